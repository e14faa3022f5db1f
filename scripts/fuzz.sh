#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] - fuzz every libFuzzer target for a while.
#
# Builds the targets of tests/fuzz/ with clang, AddressSanitizer, UBSan and
# libFuzzer in build-fuzz/ (CMAKE_BUILD_TYPE=Asan, SLUICE_FUZZ=ON), then
# runs each for SECONDS (default 600) on a copy of its corpus in a scratch
# directory, one after the other, and prints a summary. The committed
# corpus is never written: see tests/fuzz/README.md for merging new inputs
# and keeping crashers. Installs nothing and uses no network.
#
# Environment:
#   SLUICE_FUZZ_TARGETS  targets to run, e.g. "config manifest" (default: every
#                        tests/fuzz/fuzz_<name>.c)
#   SLUICE_FUZZ_BUILD    build directory (default: build-fuzz/ in the tree)
#   SLUICE_FUZZ_WORK     scratch directory (default: a new mktemp -d)
#   SLUICE_FUZZ_ARGS     extra libFuzzer options, e.g. "-jobs=2 -workers=2"
#
# Exits 1 if any target crashed, leaked, timed out or failed a check.
set -euo pipefail

secs=${1:-600}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac

src=$(cd "$(dirname "$0")/.." && pwd)
build=${SLUICE_FUZZ_BUILD:-$src/build-fuzz}
if [ -n "${SLUICE_FUZZ_TARGETS:-}" ]; then
	targets=${SLUICE_FUZZ_TARGETS//fuzz_/}
else
	targets=
	for f in "$src"/tests/fuzz/fuzz_*.c; do
		f=${f##*/fuzz_}
		targets="$targets ${f%.c}"
	done
fi
work=${SLUICE_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-fuzz.XXXXXX")}
mkdir -p "$work"
extra=${SLUICE_FUZZ_ARGS:-}

if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang not found; libFuzzer needs clang" >&2
	exit 1
fi

echo "== building fuzzers in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Asan \
    -DCMAKE_C_COMPILER=clang -DSLUICE_FUZZ=ON >"$work/cmake.log" 2>&1 || {
	cat "$work/cmake.log" >&2
	exit 1
}
bins=()
for t in $targets; do
	bins+=("fuzz_$t")
done
cmake --build "$build" -j"$(nproc)" --target "${bins[@]}" \
    >>"$work/cmake.log" 2>&1 || {
	tail -50 "$work/cmake.log" >&2
	exit 1
}

failed=0
summary=()
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	dir=$work/$t
	mkdir -p "$dir/corpus" "$dir/artifacts"
	if [ -d "$src/tests/fuzz/corpus/fuzz_$t" ]; then
		cp -R "$src/tests/fuzz/corpus/fuzz_$t/." "$dir/corpus/"
	fi
	seeds=$(find "$dir/corpus" -type f | wc -l)
	echo "== fuzz_$t: ${secs}s on $seeds inputs, log $dir/log"
	rc=0
	# shellcheck disable=SC2086 # $extra is a list of options
	(cd "$dir" && "$bin" -max_total_time="$secs" -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" $extra \
	    "$dir/corpus") >"$dir/log" 2>&1 || rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" |
	    tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" |
	    tail -1)
	last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	found=$(find "$dir/artifacts" -type f | wc -l)
	status=ok
	if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
		status="FAILED (exit $rc, $found artifacts)"
		failed=1
		grep -E '^(SUMMARY|==[0-9]+==ERROR)|check failed|not parse' \
		    "$dir/log" | head -5 | sed 's/^/    /'
	fi
	summary+=("$(printf '%-10s %12s %8s %6s %7s %6s  %s' "$t" \
	    "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
	    "$status")")
done

echo
echo "== summary (${secs}s per target; work in $work)"
printf '%-10s %12s %8s %6s %7s %6s  %s\n' target execs exec/s cov ft corpus \
    status
for line in "${summary[@]}"; do
	echo "$line"
done
echo
echo "New inputs are in $work/<target>/corpus; crashers in"
echo "$work/<target>/artifacts. To keep a few, see tests/fuzz/README.md."
exit "$failed"
