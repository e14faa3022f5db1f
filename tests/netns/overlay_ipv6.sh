#!/usr/bin/env bash
# IPv6 pods over the IPv4 underlay: an IPv6 pool, pods on two nodes ping
# each other both ways and 20 MB of TCP arrive intact (the TUN's IPv6
# TSO and the receive coalescing for IPv6 included). sluiced installs the
# IPv6 routes and rules as it does the IPv4 ones.
#
#        sw (br0, 192.0.2.0/24)
#      /                 \
#  node-a .1              node-b .2
#  fd00:10:244:1::/120    fd00:10:244:2::/120
#  pod-a1 ::10            pod-b1 ::10
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: v6}
spec: {cidr: "fd00:10:244::/48", blockSize: 120}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1, podCIDRs: ["fd00:10:244:1::/120"]}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-b}
spec: {address: 192.0.2.2, podCIDRs: ["fd00:10:244:2::/120"]}
YAML

# pod6 NODE POD ADDR: a pod with ADDR/128 and a default route via fe80::1,
# the node's end of the veth (a static neighbour, as for IPv4).
pod6() {
	local nns pns hv=v6$2 mac
	tb_ns "$2"
	nns=$(tb_ns_name "$1")
	pns=$(tb_ns_name "$2")
	ip -n "$nns" link add "$hv" type veth peer name eth0 netns "$pns"
	ip -n "$nns" link set "$hv" up
	ip -n "$pns" link set eth0 up
	ip -n "$pns" addr add "$3/128" dev eth0 nodad
	ip -n "$nns" route add "$3/128" dev "$hv"
	mac=$(ip -n "$nns" -br link show "$hv" | awk '{print $3}')
	ip -n "$pns" route add fe80::1 dev eth0
	ip -n "$pns" neigh add fe80::1 dev eth0 lladdr "$mac" nud permanent
	ip -n "$pns" route add default via fe80::1 dev eth0
}
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_wait_peers node-b 1
for n in node-a node-b; do tb_exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=1; done
pod6 node-a pod-a1 fd00:10:244:1::10
pod6 node-b pod-b1 fd00:10:244:2::10

rt=$(tb_exec node-a ip -6 route show proto 83)
tb_assert_match "IPv6 route to node-b's block" "fd00:10:244:2::/120 dev sluice0" "$rt"
tb_assert_match "IPv6 pool unreachable" "unreachable fd00:10:244::/48" "$rt"
rules=$(tb_exec node-a ip -6 rule show)
tb_assert_match "IPv6 rule: pods to sluice" "from fd00:10:244::/48 lookup 222" "$rules"

# The first echo may wait for neighbour discovery on the far node.
tb_exec pod-a1 ping -6 -c 1 -W 3 -q fd00:10:244:2::10 >/dev/null 2>&1 || true
tb_exec pod-a1 ping -6 -c 3 -W 2 -q fd00:10:244:2::10 >/dev/null || tb_fail "pod-a1 -> pod-b1 over IPv6"
tb_exec pod-b1 ping -6 -c 3 -W 2 -q fd00:10:244:1::10 >/dev/null || tb_fail "pod-b1 -> pod-a1 over IPv6"

tb_exec pod-b1 "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-server 5006 60 >"$TB_TMP/rx" &
srv=$!
sleep 0.3
sent=$(tb_exec pod-a1 "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-client fd00:10:244:2::10 5006 20000000)
wait $srv
tb_assert_eq "20 MB over IPv6 intact" "$sent" "$(cat "$TB_TMP/rx")"
tb_log "PASS (IPv6 pings both ways, 20 MB TCP; gso in $(tb_json node-a 'j["offload"]["gsoIn"]' stats))"
