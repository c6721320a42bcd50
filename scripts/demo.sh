#!/usr/bin/env bash
# Installs what is missing, builds herscan (and its Python module, installed into the system
# Python's site-packages: `python3 -c "import herscan"` works afterwards), and profiles the demo
# track in data/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target herscan-cli herscan_python -j "$(nproc)" >/dev/null
cmake --install build/release --component python >/dev/null
build/release/apps/herscan data/demo.flac --format text
echo
build/release/apps/herscan data/demo.flac --format json
