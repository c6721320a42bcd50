#!/bin/sh
# Makes the 5-minute test file of docs/design.md and docs/loudness.md: the eight 44.1 kHz stereo
# reference excerpts of ../shared/reference/audio, then data/demo.flac twice, then the first
# excerpt again, cut to 300.0 s, as 44.1 kHz stereo 16-bit FLAC. Needs ffmpeg (bench only; never
# committed, never in CI).
#   bench/make_5min.sh [OUT.flac]    (default /tmp/music5.flac)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/music5.flac}
ref="$here/../shared/reference/audio"
set --
for name in etr_calmrace etr_credits etr_freezingpoint etr_spunkyrace etr_start lincity_01 lincity_02 lincity_03; do
  set -- "$@" -i "$ref/${name}_44k.flac"
done
set -- "$@" -i "$here/data/demo.flac" -i "$here/data/demo.flac" -i "$ref/etr_calmrace_44k.flac"
ffmpeg -hide_banner -loglevel error -y "$@" -filter_complex "concat=n=11:v=0:a=1" -t 300 \
  -ar 44100 -ac 2 -sample_fmt s16 -c:a flac "$out"
echo "$out"
