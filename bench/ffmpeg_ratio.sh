#!/bin/sh
# Decode-only CPU of herscan's FFmpeg path against the ffmpeg tool on the same files
# (docs/performance.md, "Through FFmpeg"): for each file, the best of R runs of
#   ffmpeg -threads 1 -i FILE -f null -     (user + system CPU of the process)
#   bench/floor's decode column             (AudioFileReader, in process)
# and the tool's start-up cost (the same command on a 0.1 s cut of the file), interleaved so
# that both see the same machine. bench only.
#   bench/ffmpeg_ratio.sh [--runs R] FILE...      (build with -DHERSCAN_BUILD_BENCH=ON)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
floor="$here/../build/release/bench/floor"
runs=7
if [ "${1:-}" = "--runs" ]; then runs=$2; shift 2; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpu() {  # CPU seconds of a command
  /usr/bin/time -f "%U %S" -o "$tmp/t" "$@" >/dev/null 2>&1
  awk '{printf "%.3f\n", $1 + $2}' "$tmp/t"
}
min() { sort -g | head -n 1; }
echo "| file | ffmpeg -f null (CPU-s) | its start-up | herscan decode (CPU-s) | ratio | ratio without start-up |"
echo "|---|---|---|---|---|---|"
for f in "$@"; do
  ext="${f##*.}"
  ffmpeg -nostdin -loglevel error -y -i "$f" -t 0.1 -c copy "$tmp/cut.$ext"
  : >"$tmp/ff"; : >"$tmp/up"; : >"$tmp/hs"
  i=0
  while [ $i -lt "$runs" ]; do
    cpu ffmpeg -nostdin -loglevel error -threads 1 -i "$f" -f null - >>"$tmp/ff"
    cpu ffmpeg -nostdin -loglevel error -threads 1 -i "$tmp/cut.$ext" -f null - >>"$tmp/up"
    "$floor" --runs 1 "$f" | awk -F'|' 'NR == 3 {split($4, a, " "); print a[1]}' >>"$tmp/hs"
    i=$((i + 1))
  done
  ff=$(min <"$tmp/ff"); up=$(min <"$tmp/up"); hs=$(min <"$tmp/hs")
  awk -v f="$(basename "$f")" -v ff="$ff" -v up="$up" -v hs="$hs" 'BEGIN {
    printf "| %s | %.3f | %.3f | %.3f | %.2f | %.2f |\n", f, ff, up, hs, hs / ff, hs / (ff - up) }'
done
