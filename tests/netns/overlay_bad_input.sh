#!/usr/bin/env bash
# Bad datagrams at the VXLAN port are dropped and counted per reason, the
# daemon keeps forwarding, and only cluster nodes get anything through:
# short, wrong-flag, unknown-VNI, wrong-MAC, ARP, bad and truncated inner
# packets from a peer, a peer posing as a pod of another node, and a
# well-formed datagram from a stranger.
#
#            sw (br0)
#     /         |          \
#  node-a      node-b      stranger 192.0.2.66 (not in the manifest)
#  .1          .2
#  pod-a1 10.244.1.10
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_host stranger 192.0.2.66
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24
tb_pod node-a pod-a1 10.244.1.10
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
amac=$(tb_json node-a 'j["overlay"]["vtepMAC"]' status)
send() {	# send FROM-HOST FROM-ADDR CASE...
	local h=$1 a=$2
	shift 2
	tb_exec "$h" "$PY" "$SLUICE_SRC/tests/tools/vxlan_send.py" "$a" 192.0.2.1 4789 1 "$amac" "$@"
}
# node-b's daemon owns its port 4789; the test sends from another port
# of node-b's address, which is what the receiver checks.
send node-b 192.0.2.2 short short noflag badvni badmac arp badinner truncinner spoof
send stranger 192.0.2.66 good good good
sleep 0.5

expect() {	# expect COUNTER N
	tb_assert_eq "node-a $1" "$2" "$(tb_stat node-a "$1")"
}
expect drop_vxlan_short 2
expect drop_vxlan_flags 1
expect drop_vxlan_vni 1
expect drop_vxlan_dst_mac 1
expect drop_vxlan_ethertype 1
expect drop_unknown_source 3
expect drop_spoofed_source 1
inner=$(tb_json node-a 'sum(v for k, v in j["datapath"].items() if k.startswith("drop_ip_"))' stats)
tb_assert_eq "node-a bad inner packets" 2 "$inner"

# A good datagram from the peer is still delivered.
before=$(tb_stat node-a decap)
send node-b 192.0.2.2 good
sleep 0.3
# (at least one: pod-a1's echo reply draws an ICMP error from node-b,
# which crosses the tunnel too)
after=$(tb_stat node-a decap)
[ "$after" -gt "$before" ] || tb_fail "good datagram from the peer not decapsulated ($before -> $after)"
tb_ctl node-a status >/dev/null || tb_fail "node-a stopped answering"
tb_log "PASS ($(tb_json node-a '" ".join("%s=%d" % (k, v) for k, v in j["datapath"].items() if k.startswith("drop") and v)' stats))"
