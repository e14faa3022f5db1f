#!/usr/bin/env bash
# sluiced --check-config and --print-config as an operator runs them:
# exit codes, file:line:column: key.path messages, and the printed
# configuration parsing again to the same output.
set -euo pipefail
sluiced=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$tmp/good.yaml" <<'YAML'
node:
  name: node-a
underlay:
  interface: ul0
  address: 192.0.2.1
stateDir: /var/lib/sluice-test
logLevel: debug
manifestsDir: /nonexistent/manifests
YAML
out=$("$sluiced" --check-config -c "$tmp/good.yaml") || fail "good config rejected"
[[ $out == *"configuration OK"* ]] || fail "no OK line: $out"

# Round trip: what --print-config writes, --check-config accepts and
# --print-config reproduces byte for byte.
"$sluiced" --print-config -c "$tmp/good.yaml" >"$tmp/printed.yaml"
"$sluiced" --check-config -c "$tmp/printed.yaml" >/dev/null || fail "printed config rejected"
"$sluiced" --print-config -c "$tmp/printed.yaml" >"$tmp/printed2.yaml"
cmp -s "$tmp/printed.yaml" "$tmp/printed2.yaml" || fail "print is not a fixed point"
grep -q 'path: /run/sluice/sluiced.sock' "$tmp/printed.yaml" || fail "defaults not printed"

# A typo'd key: exit 1, file:line:column, key path, a suggestion.
sed 's/  interface: ul0/  interfase: ul0/' "$tmp/good.yaml" >"$tmp/typo.yaml"
rc=0
err=$("$sluiced" --check-config -c "$tmp/typo.yaml" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "typo: exit $rc, want 1"
grep -qF "$tmp/typo.yaml:4:3: underlay.interfase: unknown key (did you mean \"interface\"?)" <<<"$err" ||
    fail "typo: message was: $err"
grep -qF "underlay.interface: required key is missing" <<<"$err" ||
    fail "typo: missing key not reported: $err"

# A wrong type: a mapping where a string belongs.
sed 's/^logLevel: debug/logLevel:\n  level: debug/' "$tmp/good.yaml" >"$tmp/type.yaml"
rc=0
err=$("$sluiced" --check-config -c "$tmp/type.yaml" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "wrong type: exit $rc, want 1"
grep -qE "^$tmp/type.yaml:8:3: logLevel: expected a scalar value, found a mapping$" <<<"$err" ||
    fail "wrong type: message was: $err"

# A missing file.
rc=0
err=$("$sluiced" --check-config -c "$tmp/none.yaml" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "missing file: exit $rc"
grep -qF "$tmp/none.yaml: cannot open: No such file or directory" <<<"$err" || fail "missing file: $err"

# Usage errors exit 2.
rc=0
"$sluiced" --no-such-flag >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bad flag: exit $rc, want 2"
echo "check-config CLI: OK"
