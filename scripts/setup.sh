#!/usr/bin/env bash
# Installs the Debian 12 packages herscan needs, only those missing.
# Idempotent and silent when there is nothing to do.
#
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --plots    also python3-matplotlib for scripts/plot_*.py (and their tests)
#   scripts/setup.sh --dev      also the tools for regenerating data/ and formatting code
#   scripts/setup.sh --browser  also headless Chromium, its driver and Selenium for the browser
#                               tests of `herscan report`; where they cannot be installed (no
#                               chromium for this machine) setup warns and the tests skip
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
  python3-dev pybind11-dev python3-numpy python3-pytest python3-dask python3-distributed
)
optional=()  # installed when possible: without them only some tests skip
for option in "$@"; do
  case "$option" in
    --plots) packages+=(python3-matplotlib python3-numpy) ;;
    --dev) packages+=(python3-matplotlib python3-numpy python3-soundfile clang-format flac) ;;
    --browser) optional+=(chromium chromium-driver python3-selenium python3-numpy fonts-dejavu-core) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --realset)
      packages+=(python3-numpy python3-scipy python3-soundfile python3-mido python3-mir-eval
        fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont
        libopenmpt-dev gcc lame vorbis-tools flac sox rubberband-cli aubio-tools ffmpeg
        python3-sklearn python3-torch) ;;
    *) echo "usage: scripts/setup.sh [--plots] [--dev] [--browser] [--fuzz] [--realset]" >&2; exit 2 ;;
  esac
done

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }
missing=() optional_missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${optional[@]}"; do installed "$p" || optional_missing+=("$p"); done
((${#missing[@]} == 0 && ${#optional_missing[@]} == 0)) && exit 0

sudo=""
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ((${#optional_missing[@]})); then
  echo "setup: installing ${optional_missing[*]}" >&2
  $sudo apt-get install -y -qq --no-install-recommends "${optional_missing[@]}" >/dev/null ||
    echo "setup: could not install ${optional_missing[*]}; the tests that need them will skip" >&2
fi
