#!/usr/bin/env bash
# Installs what is missing, builds herscan, and profiles the demo track in data/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target herscan-cli -j "$(nproc)" >/dev/null
build/release/apps/herscan data/demo.flac --format text
echo
build/release/apps/herscan data/demo.flac --format json
