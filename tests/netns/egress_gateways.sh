#!/usr/bin/env bash
# Egress gateways, the seed scenario: two workers, two gateways, and an
# outside host playing the perimeter firewall (it answers only the egress
# IPs and says whom it saw). Namespace a leaves through gateway 1's egress
# IP, namespace b through gateway 2's, namespace c (no policy) with its
# node's address and is refused; pods on both workers, TCP and UDP. Then:
#   - policy and gateways together: with an AdminNetworkPolicy in force,
#     a bulk TCP flow leaves through its gateway (which does not judge the
#     replies it carries back: the pod's node does), and a change of the
#     policy that denies it cuts it at the pod's node;
#   - failover: a group of both gateways; gateway 1's daemon is killed; the
#     time until new connections succeed again is measured, and
#     connections through gateway 2 run on undisturbed;
#   - drain: a draining gateway takes no new flows;
#   - security: a host that is no node sends VXLAN (a pod's packet for the
#     outside) and control frames to a gateway: nothing is forwarded.
#
#                       sw (br0)
#     /        |         |         |          \          \
#  w1 .1     w2 .2    gw1 .11    gw2 .12    out .100   rogue .66
#  a/a1 b/b1 a/a2 b/b2  198.51.100.1  198.51.100.2
#  c/c1 h/h1
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"
GW1=198.51.100.1
GW2=198.51.100.2

tb_switch
tb_node w1 192.0.2.1
tb_node w2 192.0.2.2
tb_node gw1 192.0.2.11
tb_node gw2 192.0.2.12
tb_host out 192.0.2.100
tb_host rogue 192.0.2.66
cat >"$TB_TMP/cluster.head" <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.244.0.0/16, blockSize: 24, natOutgoing: true}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: w1}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24]}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: w2}
spec: {address: 192.0.2.2, podCIDRs: [10.244.2.0/24]}
---
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {team: b}}
---
apiVersion: v1
kind: Namespace
metadata: {name: h, labels: {team: h}}
---
apiVersion: sluice.io/v1alpha1
kind: EgressGatewayPolicy
metadata: {name: team-a}
spec:
  namespaceSelector: {matchLabels: {team: a}}
  gateways: {nodeSelector: {matchLabels: {egress: gw1}}}
---
apiVersion: sluice.io/v1alpha1
kind: EgressGatewayPolicy
metadata: {name: team-b}
spec:
  namespaceSelector: {matchLabels: {team: b}}
  gateways: {nodeSelector: {matchLabels: {egress: gw2}}}
---
apiVersion: sluice.io/v1alpha1
kind: EgressGatewayPolicy
metadata: {name: team-h}
spec:
  namespaceSelector: {matchLabels: {team: h}}
  gateways: {nodeSelector: {matchLabels: {group: ha}}}
YAML
# gateways DRAIN1: the gateway Nodes (gw1 draining if DRAIN1 is true).
gateways() {
	cat <<YAML
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: gw1, labels: {egress: gw1, group: ha}}
spec:
  address: 192.0.2.11
  podCIDRs: [10.244.11.0/24]
  egress: {addresses: [$GW1], drain: $1}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: gw2, labels: {egress: gw2, group: ha}}
spec:
  address: 192.0.2.12
  podCIDRs: [10.244.12.0/24]
  egress: {addresses: [$GW2]}
YAML
}
{ cat "$TB_TMP/cluster.head"; gateways false; } | tb_manifest w1 w2 gw1 gw2
# The outside routes each egress IP to its gateway.
tb_exec out ip route add "$GW1/32" via 192.0.2.11
tb_exec out ip route add "$GW2/32" via 192.0.2.12
for n in w1 w2 gw1 gw2; do tb_daemon_start "$n"; done
for n in w1 w2 gw1 gw2; do tb_wait_peers "$n" 3; done

tb_attach w1 a a1 a
A1=${TB_ADDR[a1]}
tb_attach w2 a a2 a
A2=${TB_ADDR[a2]}
tb_attach w1 b b1 b
B1=${TB_ADDR[b1]}
tb_attach w2 b b2 b
B2=${TB_ADDR[b2]}
tb_attach w1 c c1 c
C1=${TB_ADDR[c1]}
tb_attach w2 h h1 h
H1=${TB_ADDR[h1]}
tb_log "pods: a1 $A1, a2 $A2, b1 $B1, b2 $B2, c1 $C1, h1 $H1"
# The firewall answers the egress IPs only.
tb_bg out env WHOAMI_ALLOW="$GW1,$GW2" "$PY" "$WHOAMI" serve 7000 120 20
sleep 0.5

# --- the seed scenario ---------------------------------------------------------
seen() {	# seen POD tcp|udp [PORT]: the firewall's answer
	tb_exec "$1" timeout -k 1 5 "$PY" "$WHOAMI" "$2" 192.0.2.100 "${3:-7000}" 2>/dev/null || echo "no answer"
}
for p in a1 a2; do
	tb_assert_match "TCP from a/$p leaves through gateway 1" "^$GW1 " "$(seen $p tcp)"
	tb_assert_match "UDP from a/$p leaves through gateway 1" "^$GW1 " "$(seen $p udp)"
done
for p in b1 b2; do
	tb_assert_match "TCP from b/$p leaves through gateway 2" "^$GW2 " "$(seen $p tcp)"
	tb_assert_match "UDP from b/$p leaves through gateway 2" "^$GW2 " "$(seen $p udp)"
done
tb_assert_eq "TCP from c/c1 (no policy): its node's address, refused" "refused" "$(seen c1 tcp)"
tb_assert_eq "UDP from c/c1 (no policy): refused" "no answer" "$(seen c1 udp)"
[ "$(tb_stat w1 egress_out)" -gt 0 ] || tb_fail "w1 sent nothing to a gateway"
[ "$(tb_stat gw1 egress_carried)" -gt 0 ] || tb_fail "gw1 carried nothing"
tb_ctl w1 gateways | tee "$TB_TMP/gateways" >/dev/null
tb_assert_match "sluicectl gateways lists gw1's egress IP" "$GW1" "$(cat "$TB_TMP/gateways")"

# --- policy cuts a bulk flow through a gateway --------------------------------------
# An ANP is in force (denying another port), so a1's connection is tracked
# from its SYN. a1 sends as fast as it can to the outside through gw1 (TCP
# super-packets, judged by policy once each); the ANP changed to deny its
# port cuts it: nothing more goes to the gateway, and what a1 retries is
# dropped as policy.
deny_bulk() {	# deny_bulk PORT: the ANP denying namespace a that port
	cat >"$TB_TMP/deny-bulk.yaml" <<YAML
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-bulk}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {team: a}}}
  egress:
  - name: deny-port
    action: Deny
    to: [{networks: [192.0.2.100/32]}]
    ports: [{portNumber: {protocol: TCP, port: $1}}]
YAML
	tb_apply "$TB_TMP/deny-bulk.yaml" w1 w2 gw1 gw2
}
deny_bulk 7101
tb_bg out "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-server 7100 30
sleep 0.3
ip netns exec "$(tb_ns_name a1)" timeout -k 1 20 "$PY" \
    "$SLUICE_SRC/tests/tools/xfer.py" tcp-client 192.0.2.100 7100 50000000000 \
    >/dev/null 2>&1 &
bulk=$!
TB_BG+=("$bulk")
sleep 1.5
e0=$(tb_stat w1 egress_out)
sleep 0.5
[ "$(tb_stat w1 egress_out)" -gt "$e0" ] || tb_fail "a1's bulk flow does not leave through a gateway"
deny_bulk 7100
sleep 1
e1=$(tb_stat w1 egress_out) d1=$(tb_stat w1 drop_policy)
sleep 1.5
tb_assert_eq "nothing more of the denied bulk flow goes to the gateway" "$e1" "$(tb_stat w1 egress_out)"
[ "$(tb_stat w1 drop_policy)" -gt "$d1" ] || tb_fail "the denied bulk flow's retries are not dropped as policy"
# The gateway carried it for w1's pod: w1 judged it, gw1 dropped nothing.
tb_assert_eq "gw1 drops no carried flow's reply as policy" 0 \
    "$(( $(tb_stat gw1 drop_policy_invalid) + $(tb_stat gw1 drop_policy) ))"
kill "$bulk" 2>/dev/null || true
for n in w1 w2 gw1 gw2; do
	tb_ctl "$n" delete -f "$TB_TMP/deny-bulk.yaml" >/dev/null || tb_fail "delete the deny on $n"
done

# --- failover --------------------------------------------------------------------
# Long-lived connections from h/h1 spread over both gateways of group ha.
# Each flow's gateway is a hash of its random source port: with 16 flows
# the chance that all land on one gateway is 2^-15 (with 8 it was 1/128,
# which a CI run hit).
HOLDS=16
for i in $(seq $HOLDS); do
	tb_exec h1 "$PY" "$WHOAMI" hold 192.0.2.100 $((7000 + i)) 60 "$TB_TMP/hold$i" &
	TB_BG+=("$!")
done
for i in $(seq $HOLDS); do
	for _ in $(seq 50); do
		[ -s "$TB_TMP/hold$i.src" ] && break
		sleep 0.1
	done
done
on1=() on2=()
for i in $(seq $HOLDS); do
	src=$(cat "$TB_TMP/hold$i.src" 2>/dev/null || true)
	case "$src" in
	"$GW1 "*) on1+=("$i") ;;
	"$GW2 "*) on2+=("$i") ;;
	*) tb_fail "held connection $i was seen as '$src'" ;;
	esac
done
tb_log "held connections: ${#on1[@]} through gw1, ${#on2[@]} through gw2"
[ "${#on1[@]}" -gt 0 ] && [ "${#on2[@]}" -gt 0 ] ||
    tb_fail "$HOLDS flows did not spread over both gateways"
declare -A before
for i in "${on2[@]}"; do before[$i]=$(cat "$TB_TMP/hold$i"); done
t0=$(date +%s%N)
kill -KILL "${TB_PID[gw1]}"
wait "${TB_PID[gw1]}" 2>/dev/null || true
unset "TB_PID[gw1]"
# New connections (each a new flow, some of which hashed to gw1) until
# ten in a row get through.
ok=0 tries=0
while [ "$ok" -lt 10 ] && [ "$tries" -lt 200 ]; do
	if [ "$(tb_exec h1 timeout -k 1 1 "$PY" "$WHOAMI" tcp 192.0.2.100 7000 2>/dev/null || true)" != "" ]; then
		ok=$((ok + 1))
		[ "$ok" -eq 1 ] && t1=$(date +%s%N)
	else
		ok=0
	fi
	tries=$((tries + 1))
done
[ "$ok" -eq 10 ] || tb_fail "new connections do not succeed after gw1 died"
t2=$(date +%s%N)
tb_log "failover: new connections succeed again $(( (t1 - t0) / 1000000 )) ms after gw1 was killed (ten in a row by $(( (t2 - t0) / 1000000 )) ms)"
for i in "${on2[@]}"; do
	now=$(cat "$TB_TMP/hold$i")
	[[ "$now" =~ ^[0-9]+$ ]] && [ "$now" -gt "${before[$i]}" ] ||
	    tb_fail "connection $i through gw2 was disturbed: ${before[$i]} -> $now"
done
tb_assert_match "new flows of group ha through gw2" "^$GW2 " "$(seen h1 tcp)"

# --- gw1 back, then draining: new flows avoid it ----------------------------------
tb_daemon_start gw1
tb_wait_peers w2 3
for _ in $(seq 50); do
	[[ "$(tb_ctl w2 gateways)" == *healthy* ]] && [[ "$(tb_json w2 '[g["health"] for g in j["gateways"] if g["node"] == "gw1"]' gateways)" == "['healthy']" ]] && break
	sleep 0.1
done
n1=0
for i in $(seq 12); do
	[[ "$(seen h1 tcp)" == "$GW1 "* ]] && n1=$((n1 + 1))
done
[ "$n1" -gt 0 ] || tb_fail "gw1 is back but takes no new flow"
{ cat "$TB_TMP/cluster.head"; gateways true; } >"$TB_TMP/cluster.yaml"
for n in w1 w2 gw1 gw2; do
	cp "$TB_TMP/cluster.yaml" "$TB_TMP/$n/manifests/.c.tmp"
	mv "$TB_TMP/$n/manifests/.c.tmp" "$TB_TMP/$n/manifests/cluster.yaml"
done
for _ in $(seq 50); do
	[ "$(tb_json w2 '[g["draining"] for g in j["gateways"] if g["node"] == "gw1"]' gateways)" = "[True]" ] && break
	sleep 0.1
done
for i in $(seq 12); do
	tb_assert_match "a new flow avoids the draining gw1" "^$GW2 " "$(seen h1 tcp)"
done

# --- security: no open relay ------------------------------------------------------
# rogue (not a node) sends gw2 a VXLAN frame holding b1's UDP packet for
# the firewall, and control-link garbage; nothing reaches the firewall.
cat >"$TB_TMP/listen.py" <<PY
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7999))
s.settimeout(4)
try:
    d, peer = s.recvfrom(2048)
    open("$TB_TMP/relayed", "w").write("%s %r\n" % (peer, d))
except socket.timeout:
    pass
PY
tb_bg out "$PY" "$TB_TMP/listen.py"
sleep 0.3
unknown=$(tb_stat gw2 drop_unknown_source)
refused=$(tb_json gw2 'j["links"]["refusedUnknown"]' stats)
tb_exec rogue "$PY" - "$B1" <<'PY'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

src, dst = socket.inet_aton(sys.argv[1]), socket.inet_aton("192.0.2.100")
payload = b"relay me"
udp = struct.pack("!HHHH", 40000, 7999, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = b"\x02\x00\x00\x00\x00\x12" + b"\x02\x00\x00\x00\x00\x66" + b"\x08\x00"
vxlan = struct.pack("!II", 0x08000000, 1 << 8)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(20):
    u.sendto(vxlan + eth + ip + udp, ("192.0.2.12", 4789))
t = socket.create_connection(("192.0.2.12", 4790), timeout=3)
try:
    t.sendall(b"\x00\x00\x00\x10" + b"\x81\xa1t\xa5hello" + b"\x00" * 8)
    t.recv(64)
except OSError:
    pass
t.close()
PY
sleep 1
[ ! -e "$TB_TMP/relayed" ] || tb_fail "a gateway relayed a stranger's packet: $(cat "$TB_TMP/relayed")"
[ "$(tb_stat gw2 drop_unknown_source)" -ge $((unknown + 20)) ] ||
    tb_fail "gw2 did not drop the stranger's VXLAN as from an unknown source"
[ "$(tb_json gw2 'j["links"]["refusedUnknown"]' stats)" -gt "$refused" ] ||
    tb_fail "gw2 did not refuse the stranger's control link"

tb_log "PASS"
