#!/usr/bin/env bash
# NAT outgoing, the harder paths: ICMP errors from a router in between
# reach the pod translated (TTL exceeded for a traceroute-like ping, frag
# needed for path MTU discovery, port unreachable); a table capped small
# refuses new flows (ICMP back to the pod) and recovers after expiry;
# with sluiced stopped, a natOutgoing pod's packets never leave with the
# pod's address.
#
#   node-a .1 ── sw ── rtr .254 ═══ far 203.0.113.2   (rtr-far MTU 1280)
#   p1 10.244.1.5 (nat pool)           node-b .2: p2 10.244.2.5, table of 64
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_host rtr 192.0.2.254
tb_ns far
ip -n "$(tb_ns_name rtr)" link add ul1 mtu 1280 type veth peer name ul0 \
    mtu 1280 netns "$(tb_ns_name far)"
tb_exec rtr ip addr add 203.0.113.1/24 dev ul1
tb_exec rtr ip link set ul1 up
tb_exec rtr sysctl -qw net.ipv4.ip_forward=1
tb_exec far ip addr add 203.0.113.2/24 dev ul0
tb_exec far ip link set ul0 up
tb_exec far ip route add default via 203.0.113.1
for n in node-a node-b; do
	tb_exec "$n" ip route add 203.0.113.0/24 via 192.0.2.254
done
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: nat}
spec: {cidr: 10.244.0.0/16, blockSize: 24, natOutgoing: true}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24]}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-b}
spec: {address: 192.0.2.2, podCIDRs: [10.244.2.0/24]}
YAML
tb_pod node-a p1 10.244.1.5
tb_pod node-b p2 10.244.2.5
tb_config node-b "nat:" "  maxFlows: 64" "  udpSeconds: 5" \
    "  portRange: 61000-61009" "  addresses: 192.0.2.2, 192.0.2.202"
# The second NAT address of node-b is routed to it, as an egress address.
tb_exec rtr ip route add 192.0.2.202/32 via 192.0.2.2
tb_daemon_start node-a
tb_daemon_start node-b

tb_exec p1 ping -c 2 -W 2 -q 203.0.113.2 >/dev/null || tb_fail "ping p1 -> far"

# --- TTL exceeded: the node counts as one hop, the router answers --------
out=$(tb_exec p1 ping -n -c 1 -W 2 -t 2 203.0.113.2 2>&1 || true)
tb_assert_match "TTL exceeded from the router" "From 192\.0\.2\.254 .*Time to live exceeded" "$out"
tb_assert "ICMP errors translated" [ "$(tb_stat node-a nat_icmp_in)" -ge 1 ]

# --- frag needed: path MTU discovery through NAT --------------------------
out=$(tb_exec p1 ping -n -c 1 -W 2 -M do -s 1300 203.0.113.2 2>&1 || true)
tb_assert_match "frag needed reaches the pod" "(Frag needed|mtu ?= ?1280)" "$out"
tb_assert_match "the pod learnt the path MTU" "mtu 1280" "$(tb_exec p1 ip route get 203.0.113.2)"
tb_exec p1 ping -c 1 -W 2 -q -s 1200 203.0.113.2 >/dev/null || tb_fail "a 1228-byte ping after PMTU"

# --- port unreachable: the pod's socket hears of it -----------------------
tb_exec p1 "$PY" - <<'PY' || tb_fail "UDP to a closed port: no ECONNREFUSED in the pod"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("203.0.113.2", 9))
for _ in range(3):
    s.send(b"x")
    try:
        s.recv(16)
    except ConnectionRefusedError:
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY

# --- spill-over: 10 ports per destination, then the next NAT address -----
tb_bg far "$PY" "$WHOAMI" serve 7000 30
sleep 0.3
tb_exec p2 "$PY" - >"$TB_TMP/spill" <<'PY' || tb_fail "connections from p2: $(cat "$TB_TMP/spill")"
import errno, socket, sys, time
held = []
for i in range(25):
    t = time.monotonic()
    try:
        s = socket.create_connection(("203.0.113.2", 7000), timeout=5)
    except OSError as e:
        # Both addresses' 10 ports used: refused at once, not timed out.
        print("refused", i, e.errno == errno.EHOSTUNREACH,
              time.monotonic() - t < 2)
        sys.exit(0)
    print(s.recv(64).decode().split()[0])
    held.append(s)
print("never refused")
PY
tb_assert_eq "spill-over to the second address, then refused" \
    "10 192.0.2.2;5 192.0.2.202;refused 20 True True;" \
    "$(head -15 "$TB_TMP/spill" | sort | uniq -c | awk '{printf "%s %s;", $1, $2}'; sed -n '16,$p' "$TB_TMP/spill" | grep -c '^192.0.2.202$' | awk '$1 != 5 {printf "extra %s;", $1}'; grep '^refused\|^never' "$TB_TMP/spill" | tr '\n' ';')"
tb_assert "no port counted" [ "$(tb_stat node-b drop_nat_no_port)" -ge 1 ]

# --- a small table: full, refused at once, recovered after expiry ---------
# The 20 TCP flows above linger (FIN/TIME_WAIT): what is left of the 64.
busy=$(tb_json node-b 'j["counters"]["flows"]' conntrack)
free=$((64 - busy))
full_before=$(tb_stat node-b drop_nat_full)
tb_exec p2 "$PY" - <<'PY' >"$TB_TMP/full.out" || tb_fail "UDP flows into the small table: $(cat "$TB_TMP/full.out")"
import errno, socket
ok = refused = 0
for port in range(20000, 20080):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.02)
    s.connect(("203.0.113.2", port))
    s.send(b"x")
    try:
        s.recv(16)
    except socket.timeout:
        ok += 1          # translated and sent: nothing listens there
    except ConnectionRefusedError:
        ok += 1          # port unreachable from far: translated too
    except OSError as e:
        # ICMP administratively prohibited: EHOSTUNREACH
        refused += 1 if e.errno in (errno.EHOSTUNREACH, errno.EACCES) else 0
    s.close()
print(ok, refused)
PY
read -r ok refused <"$TB_TMP/full.out"
tb_assert_eq "flows made until the table was full" "$free" "$ok"
tb_assert_eq "flows refused with an answer" $((80 - free)) "$refused"
tb_assert_eq "drop_nat_full" $((full_before + 80 - free)) "$(tb_stat node-b drop_nat_full)"
tb_assert_eq "the table is full" 64 "$(tb_json node-b 'j["counters"]["flows"]' conntrack)"
sleep 6
tb_assert_eq "the UDP flows expired" "$busy" "$(tb_json node-b 'j["counters"]["flows"]' conntrack)"
tb_exec p2 ping -c 1 -W 2 -q 203.0.113.2 >/dev/null || tb_fail "new flow after expiry"

# --- fail closed: sluiced stopped, nothing leaves with the pod address -----
tb_exec far "$PY" - >"$TB_TMP/leak" <<'PY' &
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7777))
s.settimeout(0.2)
end = time.monotonic() + 6
seen = set()
while time.monotonic() < end:
    try:
        _, peer = s.recvfrom(64)
        seen.add(peer[0])
    except socket.timeout:
        pass
print(" ".join(sorted(seen)))
PY
leak=$!
sleep 0.5
tb_exec p1 "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"a", ("203.0.113.2", 7777))'
sleep 0.5
tb_daemon_stop node-a
tb_exec p1 "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5):
    try:
        s.sendto(b"b", ("203.0.113.2", 7777))
    except OSError:
        pass
    time.sleep(0.2)' || true
wait $leak
tb_assert_eq "seen at far: the node before the stop, nothing after" "192.0.2.1" "$(cat "$TB_TMP/leak")"

# --- a crash leaves the return path; --cleanup puts the node back ---------
kill -KILL "${TB_PID[node-b]}"
wait "${TB_PID[node-b]}" 2>/dev/null || true
unset "TB_PID[node-b]"
rules=$(tb_exec node-b ip -4 rule show)
echo "$rules" | grep -qE '^2:[[:space:]]+from all lookup local' ||
    tb_fail "after a crash the moved local rule should still be there: $rules"
tb_exec node-b "$SLUICED" --cleanup -c "$TB_TMP/node-b/sluiced.yaml" >/dev/null 2>&1 ||
    tb_fail "sluiced --cleanup failed"
rules=$(tb_exec node-b ip -4 rule show)
echo "$rules" | grep -qE '^0:[[:space:]]+from all lookup local' ||
    tb_fail "--cleanup did not put the local rule back at 0: $rules"
echo "$rules" | grep -q 'proto 83' && tb_fail "rules of sluiced left after --cleanup: $rules"
tb_exec node-b ping -c 1 -W 2 -q 203.0.113.2 >/dev/null || tb_fail "node-b's own ping after --cleanup"
tb_log "PASS"
