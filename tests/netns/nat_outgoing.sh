#!/usr/bin/env bash
# NAT outgoing: pods of a natOutgoing pool reach an outside host with the
# node's address as their source (TCP, UDP, ping); pods of a pool without
# it keep their own address (the outside host routes that pool to the
# node); the node's own traffic is untouched; replies to NAT ports with
# no flow are dropped, pings to the node itself still answered; a stop
# puts the kernel's local rule back at preference 0.
#
#        sw (br0)
#      /     |      \
#  node-a .1  out .100   node-b .2
#  p1 (nat pool 10.244.1.5)  p2 (direct pool 10.250.1.5)
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_host out 192.0.2.100
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: nat}
spec: {cidr: 10.244.0.0/16, blockSize: 24, natOutgoing: true}
---
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: direct}
spec: {cidr: 10.250.0.0/16, blockSize: 24}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24, 10.250.1.0/24]}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-b}
spec: {address: 192.0.2.2, podCIDRs: [10.244.2.0/24]}
YAML
tb_pod node-a p1 10.244.1.5
tb_pod node-a p2 10.250.1.5
tb_pod node-b p3 10.244.2.5
# The outside knows the direct pool is behind node-a, nothing of the
# NAT pool.
tb_exec out ip route add 10.250.0.0/16 via 192.0.2.1
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1

tb_bg out "$PY" "$WHOAMI" serve 7000 60
sleep 0.5

# --- the return path is in place -------------------------------------------
rules=$(tb_exec node-a ip -4 rule show)
echo "$rules" | grep -qE '^2:[[:space:]]+from all lookup local' ||
    tb_fail "the local rule is not at 2: $rules"
! echo "$rules" | grep -qE '^0:[[:space:]]+from all lookup local' ||
    tb_fail "the local rule is still at 0: $rules"
tb_assert_match "NAT steering rule" "to 192.0.2.1 iif ul0 ipproto tcp dport 61000-65534 lookup 222" "$rules"

# --- NAT pool: the outside sees the node -----------------------------------
seen=$(tb_exec p1 "$PY" "$WHOAMI" tcp 192.0.2.100 7000) || tb_fail "TCP p1 -> out"
tb_assert_match "TCP from the NAT pool" "^192\.0\.2\.1 6[1-5][0-9]{3}$" "$seen"
seen=$(tb_exec p1 "$PY" "$WHOAMI" udp 192.0.2.100 7000) || tb_fail "UDP p1 -> out"
tb_assert_match "UDP from the NAT pool" "^192\.0\.2\.1 6[1-5][0-9]{3}$" "$seen"
tb_exec p1 ping -c 3 -W 2 -q 192.0.2.100 >/dev/null || tb_fail "ping p1 -> out"
# From node-b's pod too (its own node translates).
seen=$(tb_exec p3 "$PY" "$WHOAMI" tcp 192.0.2.100 7000) || tb_fail "TCP p3 -> out"
tb_assert_match "TCP from node-b's pod" "^192\.0\.2\.2 " "$seen"

# --- bulk TCP through NAT, both ways, checked end to end -------------------
# The kernel hands sluiced TCP super-packets (TSO); going back to the
# kernel they are translated once and written back whole (gsoWhole).
XFER="$SLUICE_SRC/tests/tools/xfer.py"
tb_exec out "$PY" "$XFER" tcp-server 7100 30 >"$TB_TMP/up" &
up=$!
sleep 0.3
sent=$(tb_exec p1 "$PY" "$XFER" tcp-client 192.0.2.100 7100 30000000) || tb_fail "30 MB p1 -> out"
wait $up
tb_assert_eq "30 MB pod -> outside through NAT, intact" "$sent" "$(cat "$TB_TMP/up")"
tb_exec out "$PY" "$XFER" tcp-source 7101 30000000 30 >"$TB_TMP/down" &
down=$!
sleep 0.3
got=$(tb_exec p1 "$PY" "$XFER" tcp-sink 192.0.2.100 7101) || tb_fail "30 MB out -> p1"
wait $down
tb_assert_eq "30 MB outside -> pod through NAT, intact" "$(cat "$TB_TMP/down")" "$got"
tb_log "super-packets written back whole: $(tb_json node-a 'j["offload"]["gsoWhole"]' stats), cut: $(tb_json node-a 'j["offload"]["gsoIn"]' stats)"

# --- direct pool: the pod's own address -----------------------------------
seen=$(tb_exec p2 "$PY" "$WHOAMI" tcp 192.0.2.100 7000) || tb_fail "TCP p2 -> out"
tb_assert_match "TCP from the direct pool" "^10\.250\.1\.5 " "$seen"

# From the outside to the direct pool: through sluiced too (rule iif ul0).
before=$(tb_stat node-a fwd_local)
tb_exec out ping -c 3 -W 2 -q 10.250.1.5 >/dev/null || tb_fail "ping out -> p2"
after=$(tb_stat node-a fwd_local)
[ "$after" -ge $((before + 3)) ] || tb_fail "out -> p2 did not pass sluiced (fwd_local $before -> $after)"

# --- pods among themselves: never translated ------------------------------
tb_exec p1 ping -c 2 -W 2 -q 10.244.2.5 >/dev/null || tb_fail "ping p1 -> p3"

# --- the node's own traffic ------------------------------------------------
seen=$(tb_exec node-a "$PY" "$WHOAMI" tcp 192.0.2.100 7000) || tb_fail "TCP node-a -> out"
tb_assert_match "the node's own TCP" "^192\.0\.2\.1 (3[2-9][0-9]{3}|[45][0-9]{4}|60[0-9]{3}) *$" "$seen"
tb_exec node-a ping -c 2 -W 2 -q 192.0.2.100 >/dev/null || tb_fail "ping node-a -> out"
tb_exec out ping -c 2 -W 2 -q 192.0.2.1 >/dev/null || tb_fail "ping out -> node-a (the node itself)"

# --- counters and flows ----------------------------------------------------
tb_assert "NAT out counted" [ "$(tb_stat node-a nat_out)" -gt 0 ]
tb_assert "NAT in counted" [ "$(tb_stat node-a nat_in)" -gt 0 ]
tb_assert "node-addressed ICMP handed back" [ "$(tb_stat node-a nat_to_node)" -gt 0 ]

# sluicectl conntrack: p1's flows with their translations.
tcpflows=$(tb_json node-a 'len([f for f in j["flows"] if f["pod"].startswith("10.244.1.5:") and f["nat"].startswith("192.0.2.1:") and f["remote"] == "192.0.2.100:7000"])' conntrack proto=tcp)
[ "$tcpflows" -ge 1 ] || tb_fail "no TCP flow of p1 in conntrack: $(tb_ctl node-a conntrack)"
tb_assert_eq "filter by pod" 0 "$(tb_json node-a 'len([f for f in j["flows"] if not f["pod"].startswith("10.244.1.5:")])' conntrack pod=10.244.1.5)"
tb_assert_eq "icmp flow" "icmp" "$(tb_json node-a 'j["flows"][0]["state"]' conntrack proto=icmp)"
tb_assert "destinations listed" [ "$(tb_json node-a 'j["destinations"][0]["portsUsed"]' conntrack)" -ge 1 ]
tb_assert_eq "counters" True "$(tb_json node-a 'j["counters"]["created"] >= 3 and j["counters"]["capacity"] == 262144' conntrack)"
rc=0
out=$(tb_ctl node-a conntrack proto=sctp 2>&1) || rc=$?
tb_assert_eq "bad filter exit" 1 "$rc"
tb_assert_match "bad filter" "proto.*tcp, udp or icmp" "$out"

# --- a reply to a NAT port with no flow: dropped, counted -------------------
before=$(tb_stat node-a drop_nat_no_flow)
tb_exec out "$PY" - <<'PY' || true
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (61001, 62002, 64003):
    s.sendto(b"x", ("192.0.2.1", p))
PY
sleep 0.3
after=$(tb_stat node-a drop_nat_no_flow)
[ "$after" -ge $((before + 3)) ] || tb_fail "unsolicited datagrams to NAT ports: drop_nat_no_flow $before -> $after"

# --- a stop puts the local rule back --------------------------------------
tb_daemon_stop node-a
rules=$(tb_exec node-a ip -4 rule show)
echo "$rules" | grep -qE '^0:[[:space:]]+from all lookup local' ||
    tb_fail "the local rule is not back at 0: $rules"
case "$rules" in *"ipproto tcp dport 61000-65534"*) tb_fail "NAT rules left after the stop: $rules";; esac
tb_exec node-a ping -c 1 -W 2 -q 192.0.2.100 >/dev/null || tb_fail "node-a's own ping after the stop"
# --- a NAT range inside the kernel's ephemeral ports is refused -----------
tb_exec node-a sysctl -qw net.ipv4.ip_local_port_range="40000 62000"
rc=0
out=$(timeout 20 ip netns exec "$(tb_ns_name node-a)" "$SLUICED" --foreground \
    --config "$TB_TMP/node-a/sluiced.yaml" 2>&1) || rc=$?
[ $rc -ne 0 ] || tb_fail "sluiced started with its NAT ports in the ephemeral range"
tb_assert_match "ephemeral overlap refused" "nat.portRange 61000-65534 overlaps the kernel's ephemeral ports 40000-62000" "$out"
tb_log "PASS"
