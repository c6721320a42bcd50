#!/usr/bin/env bash
# Installs what is missing, builds herscan with its tests, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --plots --browser  # the plotting scripts and the report's page are tested too
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)"
