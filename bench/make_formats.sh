#!/bin/sh
# The 4-minute 44.1 kHz stereo test track of docs/performance.md in six formats: the first
# 240 s of bench/make_5min.sh's file as FLAC (16-bit), WAV (16-bit), Ogg Vorbis (q5), MP3
# (192 kbit/s), AAC in M4A (256 kbit/s, FFmpeg's encoder) and ALAC in M4A (16-bit).
# Needs ffmpeg; bench only.
#   bench/make_formats.sh [DIR]    (default /tmp/herscan-formats)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-/tmp/herscan-formats}
mkdir -p "$dir"
"$here/make_5min.sh" "$dir/five.flac" >/dev/null
src="$dir/five.flac"
ff() { ffmpeg -hide_banner -loglevel error -y -i "$src" -t 240 "$@"; }
ff -c:a flac -sample_fmt s16 "$dir/four.flac"
ff -c:a pcm_s16le "$dir/four.wav"
ff -c:a libvorbis -q:a 5 "$dir/four.ogg"
ff -c:a libmp3lame -b:a 192k "$dir/four.mp3"
ff -c:a aac -b:a 256k "$dir/four.m4a"
ff -c:a alac -sample_fmt s16p "$dir/four.alac.m4a"
rm "$dir/five.flac"
ls "$dir"/four.*
