#!/usr/bin/env bash
# Builds sluice and passes every test, on a fresh Debian 12 machine, as root:
#   1. installs the build and test dependencies (scripts/deps.sh);
#   2. a gcc Release build with warnings as errors (build/);
#   3. a clang build with AddressSanitizer + UBSan and the libFuzzer targets
#      (build-asan/), in which ctest runs the unit tests, replays the fuzz
#      corpora and runs the integration tests in network namespaces.
# Ends with ctest's summary; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSLUICE_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"

cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Asan \
    -DSLUICE_FUZZ=ON -DSLUICE_WERROR=ON >/dev/null
cmake --build build-asan -j"$(nproc)"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-asan
ctest --output-on-failure -j"$(nproc)" "$@"
