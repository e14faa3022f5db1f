#!/usr/bin/env bash
# Two sluiced nodes start, report ready, answer sluicectl (text and JSON),
# reload manifests on SIGHUP (a bad set is rejected, the old one stays),
# refuse a second daemon on the same state dir or socket, and stop on
# SIGTERM leaving nothing behind but a consistent store.
#
#        sw (br0)
#       /        \
#   node-a        node-b
#   ul0 192.0.2.1 ul0 192.0.2.2
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_daemon_start node-a
tb_daemon_start node-b

for n in node-a node-b; do
	out=$(tb_ctl $n status)
	tb_assert_match "$n status names the node" "node: +$n" "$out"
	tb_assert_match "$n status says running" "state: +running" "$out"
	tb_assert_match "$n status shows the underlay" "address: +${TB_ADDR[$n]}" "$out"
	tb_assert_eq "$n --json node" "$n" "$(tb_json $n 'j["node"]' status)"
	tb_assert_eq "$n --json underlay up" "True" "$(tb_json $n 'j["underlay"]["up"]' status)"
	tb_assert_eq "$n --json pid" "${TB_PID[$n]}" "$(tb_json $n 'j["pid"]' status)"
done
ver=$(tb_ctl node-a version)
tb_assert_match "version shows both sides" "sluicectl +0\.[0-9.]+.*sluiced +0\.[0-9.]+" "$(echo $ver)"

sock=$(tb_sock node-a)
tb_assert_eq "socket mode" "660" "$(stat -c %a "$sock")"

# A second daemon on the same state directory is refused, by name.
cp "$TB_TMP/node-a/sluiced.yaml" "$TB_TMP/second.yaml"
sed -i "s|path: .*sluiced.sock|path: $TB_TMP/second.sock|" "$TB_TMP/second.yaml"
rc=0
out=$(tb_exec node-a "$SLUICED" -f -c "$TB_TMP/second.yaml" 2>&1) || rc=$?
tb_assert_eq "second daemon on a used state dir exits 1" 1 $rc
tb_assert_match "second daemon says why" "in use by another sluiced" "$out"

# A second daemon on a live socket is refused too.
sed -e "s|stateDir: .*|stateDir: $TB_TMP/second-state|" \
    -e "s|path: .*second.sock|path: $sock|" "$TB_TMP/second.yaml" >"$TB_TMP/third.yaml"
rc=0
out=$(tb_exec node-a "$SLUICED" -f -c "$TB_TMP/third.yaml" 2>&1) || rc=$?
tb_assert_eq "second daemon on a live socket exits 1" 1 $rc
tb_assert_match "second daemon names the socket" "another daemon is answering on $sock" "$out"

# A missing underlay interface is a clear start-up error.
sed -e "s|interface: ul0|interface: nosuch0|" \
    -e "s|stateDir: .*|stateDir: $TB_TMP/fourth-state|" \
    -e "s|path: .*second.sock|path: $TB_TMP/fourth.sock|" "$TB_TMP/second.yaml" >"$TB_TMP/fourth.yaml"
rc=0
out=$(tb_exec node-a "$SLUICED" -f -c "$TB_TMP/fourth.yaml" 2>&1) || rc=$?
tb_assert_eq "missing underlay exits 1" 1 $rc
tb_assert_match "missing underlay is named" "underlay interface nosuch0: not found" "$out"
tb_assert "a failed start leaves no socket" test ! -e "$TB_TMP/fourth.sock"

# SIGHUP: a bad manifest is rejected with file:line, the daemon keeps the
# set in force; once fixed, the next reload is accepted.
gen=$(tb_json node-a 'j["manifests"]["generation"]' status)
cat >"$TB_TMP/node-a/manifests/10-bad.yaml" <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata:
  nam: typo
YAML
kill -HUP "${TB_PID[node-a]}"
for i in $(seq 50); do
	[ "$(tb_json node-a 'j["manifests"]["reloadsFailed"]' status)" = 1 ] && break
	sleep 0.1
done
tb_assert_eq "bad reload counted" 1 "$(tb_json node-a 'j["manifests"]["reloadsFailed"]' status)"
tb_assert_eq "generation unchanged after a bad reload" "$gen" "$(tb_json node-a 'j["manifests"]["generation"]' status)"
err=$(tb_json node-a 'j["manifests"]["lastError"]' status)
tb_assert_match "reload error names file and line" "10-bad.yaml:[0-9]+:[0-9]+: metadata.name: required key is missing" "$err"
tb_assert "the error is logged" grep -q "10-bad.yaml:.*metadata.name" "$TB_TMP/node-a/log"
tb_ctl node-a status >/dev/null || tb_fail "daemon stopped answering after a bad reload"
rm "$TB_TMP/node-a/manifests/10-bad.yaml"
kill -HUP "${TB_PID[node-a]}"
for i in $(seq 50); do
	[ "$(tb_json node-a 'j["manifests"]["generation"]' status)" = $((gen + 1)) ] && break
	sleep 0.1
done
tb_assert_eq "good reload bumps the generation" $((gen + 1)) "$(tb_json node-a 'j["manifests"]["generation"]' status)"
tb_assert_eq "good reload clears the error" "None" "$(tb_json node-a 'j["manifests"]["lastError"]' status)"

# SIGTERM: clean exit, socket gone, sluicectl says the daemon is down.
for n in node-a node-b; do
	tb_daemon_stop $n
	tb_assert "$n socket removed" test ! -e "$(tb_sock $n)"
	rc=0
	out=$(tb_ctl $n status 2>&1) || rc=$?
	tb_assert_eq "sluicectl exit code with the daemon down" 3 $rc
	tb_assert_match "sluicectl says it cannot reach the daemon" "cannot reach sluiced" "$out"
done

# The store is consistent: the node starts again on it. Under another
# node name it is refused.
tb_daemon_start node-a
tb_daemon_stop node-a
sed -i "s|name: node-a|name: node-z|" "$TB_TMP/node-a/sluiced.yaml"
rc=0
out=$(tb_exec node-a "$SLUICED" -f -c "$TB_TMP/node-a/sluiced.yaml" 2>&1) || rc=$?
tb_assert_eq "a store of another node is refused" 1 $rc
tb_assert_match "the refusal names both nodes" "belongs to node \"node-a\" but the configuration names \"node-z\"" "$out"
sed -i "s|name: node-z|name: node-a|" "$TB_TMP/node-a/sluiced.yaml"

# Without --foreground the parent returns once the daemon is ready.
tb_exec node-a "$SLUICED" -c "$TB_TMP/node-a/sluiced.yaml" ||
    tb_fail "sluiced without --foreground did not report ready"
pid=$(tb_json node-a 'j["pid"]' status)
TB_PID[node-a-bg]=$pid
kill -TERM "$pid"
for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && tb_fail "background daemon did not stop on SIGTERM"
unset "TB_PID[node-a-bg]"
tb_assert "background daemon removed its socket" test ! -e "$(tb_sock node-a)"

tb_log "PASS"
