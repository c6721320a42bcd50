#!/usr/bin/env bash
# Installs the Debian 12 packages herscan needs, only those missing.
# Idempotent and silent when there is nothing to do.
#
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --plots    also python3-matplotlib for scripts/plot_*.py (and their tests)
#   scripts/setup.sh --dev      also the tools for regenerating data/ and formatting code
#   scripts/setup.sh --fuzz     also clang and its libFuzzer runtime (scripts/fuzz.sh)
#   scripts/setup.sh --realset  also the renderers, encoders and evaluators of the real-music
#                               development set (scripts/realset/make_realset.sh)
#   (options combine: scripts/setup.sh --plots --fuzz)
#
# Run as root (or with sudo available). Uses apt-get only.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libfftw3-dev libsndfile1-dev libsoxr-dev
  libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  python3 python3-jsonschema
  libebur128-dev
  libavformat-dev libavcodec-dev libavutil-dev ffmpeg
  libtag1-dev
)
for option in "$@"; do
  case "$option" in
    --plots) packages+=(python3-matplotlib python3-numpy) ;;
    --dev) packages+=(python3-matplotlib python3-numpy python3-soundfile clang-format flac) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --realset)
      packages+=(python3-numpy python3-scipy python3-soundfile python3-mido python3-mir-eval
        fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont
        libopenmpt-dev gcc lame vorbis-tools flac sox rubberband-cli aubio-tools ffmpeg
        python3-sklearn python3-torch) ;;
    *) echo "usage: scripts/setup.sh [--plots] [--dev] [--fuzz] [--realset]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

sudo=""
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
