#!/usr/bin/env bash
# Wire compatibility with the Linux kernel's own vxlan driver: node-k runs
# no sluiced but a kernel vxlan device with static fdb and neighbour
# entries, and exchanges pod traffic with a sluiced node both ways. A
# capture on the underlay decodes as VXLAN in tshark.
#
#                 sw (br0, 192.0.2.0/24)
#            /                          \
#   node-a 192.0.2.1 (sluiced)     node-k 192.0.2.9 (kernel vx0, VNI 1)
#   10.244.1.0/24                  10.244.9.0/24
#   pod-a1 10.244.1.10             pod-k1 10.244.9.10
. "$(dirname "$0")/lib.sh"

KMAC=02:00:00:00:00:09
tb_switch
tb_node node-a 192.0.2.1
tb_node node-k 192.0.2.9
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24
# node-k is in the manifest as an unmanaged node with a static VTEP MAC.
printf -- '---\napiVersion: sluice.io/v1alpha1\nkind: Node\nmetadata:\n  name: node-k\nspec:\n  address: 192.0.2.9\n  podCIDRs: [10.244.9.0/24]\n  managed: false\n  vtepMAC: "%s"\n' \
    "$KMAC" >>"$TB_TMP/node-a/manifests/cluster.yaml"
tb_pod node-a pod-a1 10.244.1.10
tb_pod node-k pod-k1 10.244.9.10
tb_daemon_start node-a
amac=$(tb_json node-a 'j["overlay"]["vtepMAC"]' status)

# The kernel side, as an operator would set it up by hand.
tb_exec node-k sysctl -qw net.ipv4.ip_forward=1
tb_exec node-k ip link add vx0 address $KMAC type vxlan id 1 dstport 4789 \
    local 192.0.2.9 dev ul0 nolearning
tb_exec node-k ip link set vx0 mtu 1450 up
# Over veth, an offloaded inner checksum is never filled in (a NIC would
# do it on the wire): have the kernel compute it before encapsulating.
tb_exec node-k ethtool -K vx0 tx off >/dev/null
tb_exec node-k bridge fdb append "$amac" dev vx0 dst 192.0.2.1
tb_exec node-k ip route add 10.244.1.0/24 dev vx0
tb_exec node-k ip neigh add 10.244.1.10 lladdr "$amac" dev vx0 nud permanent

tb_exec sw tshark -q -i br0 -f "udp port 4789" -a duration:8 -w "$TB_TMP/cap.pcap" 2>/dev/null &
cap=$!
sleep 1.5

tb_exec pod-a1 ping -c 3 -W 2 -q 10.244.9.10 >/dev/null || tb_fail "sluiced pod -> kernel-vxlan pod"
tb_exec pod-k1 ping -c 3 -W 2 -q 10.244.1.10 >/dev/null || tb_fail "kernel-vxlan pod -> sluiced pod"
# TCP both ways, 5 MB each, checked.
for dir in "pod-k1 pod-a1 10.244.1.10" "pod-a1 pod-k1 10.244.9.10"; do
	set -- $dir
	tb_exec "$2" "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-server 5003 30 >"$TB_TMP/rx" &
	srv=$!
	sleep 0.3
	sent=$(tb_exec "$1" "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-client "$3" 5003 5000000)
	wait $srv
	tb_assert_eq "5 MB $1 -> $2 intact" "$sent" "$(cat "$TB_TMP/rx")"
done
wait $cap || true

# tshark decodes what both sides sent as VXLAN, VNI 1, carrying ICMP.
dec=$(tshark -r "$TB_TMP/cap.pcap" -Y "vxlan && icmp" -T fields -e ip.src -e vxlan.vni -e vxlan.flag_i 2>/dev/null | sort -u)
# ip.src lists the outer and the inner source; then VNI 1, I flag set.
tb_assert_match "tshark: VXLAN from the sluiced node" "192\.0\.2\.1,10\.244\.1\.10[[:space:]]1[[:space:]](1|True)" "$dec"
tb_assert_match "tshark: VXLAN from the kernel node" "192\.0\.2\.9,10\.244\.9\.10[[:space:]]1[[:space:]](1|True)" "$dec"
tb_assert_eq "node-a dropped nothing from node-k as malformed" 0 \
    "$(tb_json node-a 'sum(v for k, v in j["datapath"].items() if k.startswith("drop_vxlan") or k.startswith("drop_ip"))' stats)"
tb_log "PASS (ping and 5 MB TCP both ways; tshark: $(echo $dec | tr '\n' ' '))"
