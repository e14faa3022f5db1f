#!/usr/bin/env bash
# The data path's workers and the TUN's queues across restarts:
#  - node-a finds a single-queue sluice0 (as an older sluiced left it):
#    it warns, runs one worker, and pods still reach each other;
#  - `sluiced --cleanup` and a start make the device anew with a queue per
#    worker (overlay.workers 3);
#  - a restart with fewer workers attaches to the multi-queue device, and
#    100 MB of TCP cross intact with both nodes running several workers;
#  - with overlay.sourcePorts 0, node-b sends from the VXLAN port alone.
#
#        sw (br0)
#       /        \
#   node-a        node-b
#   10.244.1.0/24 10.244.2.0/24
#   pod-a .10     pod-b .10
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24
tb_pod node-a pod-a 10.244.1.10
tb_pod node-b pod-b 10.244.2.10

reach() {	# reach WHAT: pod-a and pod-b ping each other
	tb_assert "$1: pod-a reaches pod-b" tb_exec pod-a ping -c 2 -W 2 -q 10.244.2.10
	tb_assert "$1: pod-b reaches pod-a" tb_exec pod-b ping -c 2 -W 2 -q 10.244.1.10
}
queues() {	# queues NODE: "WORKERS MULTIQUEUE"
	tb_json "$1" '"%d %s" % (j["overlay"]["workers"], j["overlay"]["multiQueue"])' status
}

# A single-queue TUN device, persistent, where sluiced expects its own.
tb_exec node-a ip tuntap add dev sluice0 mode tun vnet_hdr
TB_WORKERS=2 tb_config node-a
TB_WORKERS=2 tb_config node-b
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_assert_eq "node-a: one worker on the single-queue device" "1 False" "$(queues node-a)"
tb_assert_match "node-a says why and what to do" \
    "sluice0 was made with a single queue .*running 1 worker instead of 2.*--cleanup" \
    "$(cat "$TB_TMP/node-a/log")"
tb_assert_eq "node-b: two workers" "2 True" "$(queues node-b)"
reach "single-queue node-a"

# --cleanup removes the old device; the next start makes a multi-queue one.
tb_daemon_stop node-a
tb_exec node-a "$SLUICED" --cleanup -c "$TB_TMP/node-a/sluiced.yaml" >/dev/null 2>&1 ||
    tb_fail "sluiced --cleanup failed"
TB_WORKERS=3 tb_config node-a
tb_daemon_start node-a
tb_wait_peers node-a 1
tb_assert_eq "node-a: three workers after --cleanup" "3 True" "$(queues node-a)"
tb_assert_match "the kernel's device is multi-queue" "multi_queue" \
    "$(tb_exec node-a ip -d tuntap show dev sluice0 2>/dev/null || tb_exec node-a ip -d tuntap show)"
reach "three workers on node-a"

# Fewer workers on a restart: the device keeps working with two queues.
tb_daemon_stop node-a
TB_WORKERS=2 tb_config node-a
tb_daemon_start node-a
tb_wait_peers node-a 1
tb_assert_eq "node-a: two workers after a restart" "2 True" "$(queues node-a)"
reach "two workers on node-a"

tb_exec pod-b "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-server 5001 60 >"$TB_TMP/rx" &
srv=$!
sleep 0.3
sent=$(tb_exec pod-a "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-client 10.244.2.10 5001 100000000)
wait $srv
tb_assert_eq "100 MB arrive intact (bytes sha256)" "$sent" "$(cat "$TB_TMP/rx")"
for n in node-a node-b; do
	for c in drop_no_buffer drop_tun_write drop_udp_send; do
		tb_assert_eq "$n $c" 0 "$(tb_stat "$n" $c)"
	done
done

# sourcePorts 0: every frame node-b sends leaves from port 4789.
tb_daemon_stop node-b
TB_WORKERS=2 TB_SOURCE_PORTS=0 tb_config node-b
tb_daemon_start node-b
tb_wait_peers node-b 1
tb_assert_eq "node-b: no source-port sockets" 0 \
    "$(tb_json node-b 'j["overlay"]["sourcePorts"]' status)"
ip netns exec "$(tb_ns_name node-a)" tshark -q -i ul0 \
    -f "udp dst port 4789 and src host 192.0.2.2" -a duration:15 \
    -w "$TB_TMP/ul.pcap" 2>/dev/null &
tshark_pid=$!
TB_BG+=("$tshark_pid")
for _ in $(seq 50); do [ -s "$TB_TMP/ul.pcap" ] && break; sleep 0.1; done
sleep 0.5
reach "sourcePorts 0 on node-b"
sleep 1
kill -INT "$tshark_pid" 2>/dev/null || true
wait "$tshark_pid" 2>/dev/null || true
tb_assert_eq "node-b's frames all leave from the VXLAN port" 4789 \
    "$(tshark -r "$TB_TMP/ul.pcap" -T fields -e udp.srcport 2>/dev/null | cut -d, -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
tb_log "PASS (single-queue fallback, multi-queue after --cleanup, 3 -> 2 workers, 100 MB intact, sourcePorts 0)"
