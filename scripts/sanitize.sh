#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer + UndefinedBehaviorSanitizer (the asan preset)
# and runs the whole test suite under them; any finding fails a test (docs/robustness.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --plots
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions="$PWD/fuzz/lsan.supp" ctest --preset asan -j "$(nproc)"
