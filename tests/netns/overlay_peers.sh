#!/usr/bin/env bash
# Control links decide which blocks are routed:
#  - a node whose daemon dies (SIGKILL) has its block withdrawn on the
#    others within the dead interval, and restored when it comes back;
#  - a node with the wrong cluster secret never gets a route, and the
#    refusal is logged and counted;
#  - a restart (SIGTERM, start) keeps the TUN and the routes: the new
#    daemon attaches to what the old one left and traffic goes on;
#  - sluiced --cleanup removes every link, route and rule it installed.
#
#                     sw (br0, 192.0.2.0/24)
#      /              |               |               \
#  node-a .1       node-b .2       node-c .3        node-d .4 (wrong secret)
#  10.244.1.0/24   10.244.2.0/24   10.244.3.0/24    10.244.4.0/24
#  pod-a1 .10                      pod-c1 .10
. "$(dirname "$0")/lib.sh"

DEAD_MS=1500
TB_DEAD_MS=$DEAD_MS
tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_node node-c 192.0.2.3
tb_node node-d 192.0.2.4
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24 \
    node-c:10.244.3.0/24 node-d:10.244.4.0/24
tb_pod node-a pod-a1 10.244.1.10
tb_pod node-c pod-c1 10.244.3.10
head -c 48 /dev/urandom | base64 >"$TB_TMP/wrong-secret"
chmod 600 "$TB_TMP/wrong-secret"
TB_SECRET="$TB_TMP/wrong-secret" tb_config node-d
for n in node-a node-b node-c node-d; do tb_daemon_start "$n"; done
tb_wait_peers node-a 2
tb_wait_peers node-b 2
tb_wait_peers node-c 2
tb_exec pod-a1 ping -c 1 -W 2 -q 10.244.3.10 >/dev/null || tb_fail "pod-a1 -> pod-c1 before the kill"

has_route() {	# has_route NODE PREFIX: a tunnel route for PREFIX on NODE
	# (no "| grep -q": with pipefail, grep's early exit fails the pipe)
	local rt
	rt=$(tb_exec "$1" ip route show proto 83)
	grep -q "^$2 dev sluice0" <<<"$rt"
}
peer_state() {	# peer_state NODE PEER
	tb_json "$1" "[p['state'] for p in j if p['name'] == '$2'][0]" peers
}

# The wrong secret: never up, never routed, refused and counted.
sleep 1
tb_assert_eq "node-d seen from node-a" down "$(peer_state node-a node-d)"
has_route node-a 10.244.4.0/24 && tb_fail "node-a routes node-d's block"
refused=$(tb_json node-a "j['links']['refusedAuth']" stats)
[ "$refused" -ge 1 ] || tb_fail "node-a counted no refused link (refusedAuth $refused)"
tb_assert "node-a logs the refusal" grep -q "refused control link.*192.0.2.4" "$TB_TMP/node-a/log"
tb_assert_eq "node-d sees nobody up" 0 "$(tb_json node-d 'sum(1 for p in j if p["state"] == "up")' peers)"

# SIGKILL node-c: its block is withdrawn within the dead interval.
has_route node-a 10.244.3.0/24 || tb_fail "no route to node-c's block before the kill"
kill -KILL "${TB_PID[node-c]}"
wait "${TB_PID[node-c]}" 2>/dev/null || true
unset "TB_PID[node-c]"
t0=$(date +%s%N)
while has_route node-a 10.244.3.0/24; do
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt $((DEAD_MS + 2000)) ] ||
	    tb_fail "node-c's block still routed $((DEAD_MS + 2000)) ms after the kill"
	sleep 0.05
done
gone_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# node-b decides on its own, within the same bound.
while [ "$(peer_state node-b node-c)" != down ]; do
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt $((DEAD_MS + 2000)) ] ||
	    tb_fail "node-b still sees node-c up"
	sleep 0.05
done
out=$(tb_exec pod-a1 ping -c 1 -W 2 10.244.3.10 2>&1 || true)
tb_assert_match "pod-a1 is told node-c's pod is unreachable" "Unreachable|unreachable" "$out"

# node-c comes back: its block is routed again, pods talk again. Its TUN
# and its own routes outlived the killed daemon.
tb_assert "node-c's TUN survived its daemon" tb_exec node-c ip link show sluice0
t0=$(date +%s%N)
tb_daemon_start node-c
tb_assert "node-c attached to the TUN it left" grep -q "attached to sluice0" "$TB_TMP/node-c/log"
tb_wait_peers node-a 2
for i in $(seq 50); do has_route node-a 10.244.3.0/24 && break; sleep 0.1; done
has_route node-a 10.244.3.0/24 || tb_fail "node-c's block not routed again"
back_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tb_exec pod-a1 ping -c 1 -W 2 -q 10.244.3.10 >/dev/null || tb_fail "pod-a1 -> pod-c1 after node-c came back"

# A restart with SIGTERM keeps everything in place: pings keep flowing
# through it (losses are the restart gap; most of them must get through).
tb_exec pod-a1 ping -i 0.02 -c 150 -W 1 -q 10.244.3.10 >"$TB_TMP/ping" 2>&1 &
pinger=$!
sleep 1
tb_daemon_stop node-c
tb_assert "TUN kept after SIGTERM" tb_exec node-c ip link show sluice0
has_route node-c 10.244.1.0/24 || tb_fail "node-c's routes were removed by SIGTERM"
tb_daemon_start node-c
wait $pinger || true
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TB_TMP/ping")
[ "${recv:-0}" -ge 100 ] || tb_fail "only ${recv:-0} of 150 pings through a restart: $(cat "$TB_TMP/ping")"

# --cleanup removes what sluiced installed, and only that.
tb_daemon_stop node-b
tb_exec node-b "$SLUICED" --cleanup -c "$TB_TMP/node-b/sluiced.yaml" ||
    tb_fail "sluiced --cleanup failed"
tb_exec node-b ip link show sluice0 >/dev/null 2>&1 && tb_fail "TUN left after --cleanup"
[ -z "$(tb_exec node-b ip route show proto 83)" ] || tb_fail "routes left after --cleanup"
[ -z "$(tb_exec node-b ip route show table 222 2>/dev/null)" ] || tb_fail "table 222 not empty after --cleanup"
rules=$(tb_exec node-b ip rule show)
grep -q "lookup 222" <<<"$rules" && tb_fail "rules left after --cleanup"
tb_exec node-b ip link show ul0 >/dev/null || tb_fail "--cleanup touched the underlay"
tb_log "PASS (withdrawn after ${gone_ms} ms with a ${DEAD_MS} ms dead interval; back ${back_ms} ms after restart; ${recv}/150 pings through a SIGTERM restart)"
