#!/usr/bin/env bash
# Builds the libFuzzer target (clang, ASan + UBSan; fuzz/) and runs it for a bounded time on
# the seed corpus plus whatever earlier runs found (docs/robustness.md).
#
#   scripts/fuzz.sh [SECONDS]      default 60; CI runs it with the default
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
cmake --build "$build" -j "$(nproc)" --target profile_fuzzer make_corpus >/dev/null
mkdir -p "$build/seeds" "$build/corpus" "$build/findings"
"$build/fuzz/make_corpus" "$build/seeds" >/dev/null
echo "fuzz: profile_fuzzer for ${seconds} s" >&2
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=$PWD/fuzz/lsan.supp \
  "$build/fuzz/profile_fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
  -max_len=65536 -seed="$seed" -print_final_stats=1 -artifact_prefix="$build/findings/" \
  "$build/corpus" "$build/seeds" 2>"$build/fuzz.log" || {
  tail -n 60 "$build/fuzz.log" >&2
  echo "fuzz: FAILED; the input is in $build/findings/" >&2
  exit 1
}
grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE" "$build/fuzz.log" >&2 || true
