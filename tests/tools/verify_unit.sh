#!/usr/bin/env bash
# systemd-analyze verify on the unit as built, with ExecStart pointing at
# the binary of this build (verify checks that the executable exists).
# Fails on any complaint, warnings included.
set -euo pipefail
unit=$1 sluiced=$2 sbindir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|$sbindir/sluiced|$sluiced|g" "$unit" >"$tmp/sluiced.service"
out=$(systemd-analyze verify "$tmp/sluiced.service" 2>&1) || {
	echo "$out"
	exit 1
}
# verify exits 0 on some findings; any output about our unit is a finding.
if grep -q "sluiced.service" <<<"$out"; then
	echo "$out"
	exit 1
fi
echo "systemd-analyze verify: sluiced.service OK"
