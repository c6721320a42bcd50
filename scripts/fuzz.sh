#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; fuzz/) and runs each for a bounded time on
# the seed corpus plus whatever earlier runs found (docs/robustness.md): profile_fuzzer (the
# backend chosen as herscan chooses it), ffmpeg_fuzzer (every input through FFmpeg) and
# tag_editor_fuzzer (herscan-loudness --tag's TagLib editing, in memory).
#
#   scripts/fuzz.sh [SECONDS]      per target; default 60; CI runs it with the default
#
# HERSCAN_FUZZ_SEED=N fixes libFuzzer's random seed (CI uses 1, so that its inputs can be
# reproduced); unset, every run explores differently.
#
# Findings (crash-*, leak-*, timeout-*, oom-*) are written to build/fuzz/findings/ and fail the
# run. The growing corpus lives in build/fuzz/corpus/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
seed="${HERSCAN_FUZZ_SEED:-0}"  # 0: libFuzzer picks one
scripts/setup.sh --fuzz
build=build/fuzz
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$build" -DHERSCAN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHERSCAN_BUILD_TESTS=OFF -DHERSCAN_BUILD_APPS=OFF -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$build" -j "$(nproc)" --target profile_fuzzer ffmpeg_fuzzer tag_editor_fuzzer \
  make_corpus >/dev/null
mkdir -p "$build/seeds" "$build/corpus" "$build/ffmpeg-corpus" "$build/tag-corpus" \
  "$build/tag-seeds" "$build/findings"
"$build/fuzz/make_corpus" "$build/seeds" >/dev/null
# FFmpeg's containers as seeds: 0.3 s of a chord, encoded by the ffmpeg tool.
seed_wav="$build/seeds/2ch-pcm16.wav"
for spec in "aac.m4a:-c:a aac -b:a 32k" "alac.m4a:-c:a alac" "wma.wma:-c:a wmav2" \
  "wavpack.wv:-c:a wavpack" "tta.tta:-c:a tta" "ac3.ac3:-c:a ac3" "vorbis.mka:-c:a libvorbis" \
  "opus.webm:-c:a libopus" "pcm.mka:-c:a pcm_s16le" "ac3.mkv:-c:a ac3" "mp2.mp4:-c:a mp2"; do
  name="${spec%%:*}" args="${spec#*:}"
  [[ -s "$build/seeds/ffmpeg-$name" ]] ||
    ffmpeg -nostdin -loglevel error -y -i "$seed_wav" $args "$build/seeds/ffmpeg-$name"
done
# The tag editor's seeds: the files of its formats, each after its format byte (0 FLAC, 1 Ogg
# Vorbis, 2 Opus, 3 MP3, 4 MP4, 5 WavPack, 7 WAV, 8 AIFF).
for f in "$build"/seeds/*; do
  case "$f" in
    *.flac) b=0 ;; *.ogg) b=1 ;; *.opus) b=2 ;; *.mp3) b=3 ;; *.m4a | *.mp4) b=4 ;; *.wv) b=5 ;; *.wav) b=7 ;; *.aiff) b=8 ;;
    *) continue ;;
  esac
  { printf "\\x0$b"; cat "$f"; } >"$build/tag-seeds/$(basename "$f")"
done
run_fuzzer() {  # TARGET CORPUS [SEEDS]
  echo "fuzz: $1 for ${seconds} s" >&2
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=$PWD/fuzz/lsan.supp \
    "$build/fuzz/$1" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -max_len=65536 -seed="$seed" -print_final_stats=1 -artifact_prefix="$build/findings/" \
    "$build/$2" "$build/${3:-seeds}" 2>"$build/$1.log" || {
    tail -n 60 "$build/$1.log" >&2
    echo "fuzz: $1 FAILED; the input is in $build/findings/" >&2
    exit 1
  }
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE" "$build/$1.log" >&2 || true
}
run_fuzzer profile_fuzzer corpus
run_fuzzer ffmpeg_fuzzer ffmpeg-corpus
run_fuzzer tag_editor_fuzzer tag-corpus tag-seeds
