#!/usr/bin/env bash
# Path MTU through the tunnel:
#  - a DF packet larger than the local tunnel MTU gets ICMP "fragmentation
#    needed" back to the pod;
#  - node-b's underlay MTU is smaller (1200): node-a learns its tunnel MTU
#    over the control link and answers oversized DF packets towards node-b
#    with ICMP frag-needed itself, so a TCP transfer still completes.
#
#          sw (br0)
#        /          \
#  node-a ul0 1500    node-b ul0 1200
#  pod-a1 10.244.1.10 pod-b1 10.244.2.10
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1 1500
tb_node node-b 192.0.2.2 1200
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24
tb_pod node-a pod-a1 10.244.1.10
tb_pod node-b pod-b1 10.244.2.10
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_wait_peers node-b 1
tb_assert_eq "node-a tunnel MTU" 1450 "$(tb_json node-a 'j["overlay"]["mtu"]' status)"
tb_assert_eq "node-b tunnel MTU" 1150 "$(tb_json node-b 'j["overlay"]["mtu"]' status)"

# Over the local tunnel MTU (1450): frag-needed.
out=$(tb_exec pod-a1 ping -M do -s 1472 -c 1 -W 2 10.244.2.10 2>&1 || true)
tb_assert_match "DF over the tunnel MTU" "mtu ?= ?1450|Frag needed.*1450" "$out"

# Over node-b's tunnel MTU (1150) but under ours: sluiced answers.
before=$(tb_stat node-a icmp_sent)
out=$(tb_exec pod-a1 ping -M do -s 1300 -c 2 -W 2 10.244.2.10 2>&1 || true)
tb_assert_match "DF over the peer's tunnel MTU" "mtu ?= ?1150|Frag needed.*1150" "$out"
[ "$(tb_stat node-a icmp_sent)" -gt "$before" ] || tb_fail "sluiced sent no ICMP error"
tb_exec pod-a1 ping -M do -s 1100 -c 1 -W 2 -q 10.244.2.10 >/dev/null || tb_fail "a packet under both MTUs"

# TCP finds the path MTU and completes both ways.
for dir in "pod-a1 pod-b1 10.244.2.10" "pod-b1 pod-a1 10.244.1.10"; do
	set -- $dir
	tb_exec "$2" "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-server 5004 30 >"$TB_TMP/rx" &
	srv=$!
	sleep 0.3
	sent=$(tb_exec "$1" "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-client "$3" 5004 10000000)
	wait $srv
	tb_assert_eq "10 MB $1 -> $2 with a small MTU on the way" "$sent" "$(cat "$TB_TMP/rx")"
done
tb_log "PASS (icmp_sent $(tb_stat node-a icmp_sent), drop_too_big $(tb_stat node-a drop_too_big))"
