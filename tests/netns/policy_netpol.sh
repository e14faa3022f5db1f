#!/usr/bin/env bash
# NetworkPolicy over real packets: pods attached through sluice-cni with
# namespaces, labels and named ports; policies applied with
# `sluicectl apply -f` (node-a) and by dropping the file in the watched
# manifests directory (node-b). Checks, each both ways where it matters:
#   - no policy: everything flows;
#   - default-deny egress cuts a namespace off (others unaffected), and
#     names itself in the drop log and in `policy explain`;
#   - an egress allow to an outside CIDR with an except lets exactly that
#     through (NAT'd flows: policy sees the pod's address);
#   - egress to a port range (endPort) and to a named port;
#   - ingress from namespaceSelector AND podSelector, across nodes;
#   - ingress and egress policies on both ends of one connection;
#   - ingress default deny: replies of the pod's own connections pass,
#     unsolicited inbound from the outside does not;
#   - `delete -f` lifts a policy; a bad policy is refused whole.
#
#        sw (br0)
#      /     |       \          \
#  node-a .1  out .100  out2 .101  node-b .2
#  x/a, y/c               x/b (http=8080), z/d
# Pods of namespace y take a pool without natOutgoing, routed to node-a by
# the outside; the others are NAT'd.
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_host out 192.0.2.100
tb_host out2 192.0.2.101
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.244.0.0/16, blockSize: 24, natOutgoing: true}
---
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: direct}
spec:
  cidr: 10.250.0.0/16
  blockSize: 24
  namespaceSelector: {matchLabels: {team: blue}}
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
---
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: red}}
---
apiVersion: v1
kind: Namespace
metadata: {name: y, labels: {team: blue}}
---
apiVersion: v1
kind: Namespace
metadata: {name: z, labels: {team: green}}
YAML
# Namespace y (team blue) takes the direct pool, which the outside routes
# to node-a: its pods can be reached from outside (NAT'd pods cannot).
tb_exec out ip route add 10.250.0.0/16 via 192.0.2.1
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1

tb_attach node-a x a a
A=${TB_ADDR[a]}
tb_attach node-a y c c
C=${TB_ADDR[c]}
tb_attach node-b x b b '[{"name": "http", "protocol": "TCP", "containerPort": 8080}]'
B=${TB_ADDR[b]}
tb_attach node-b z d d
D=${TB_ADDR[d]}
tb_log "pods: x/a $A, y/c $C, x/b $B, z/d $D"

tb_bg out "$PY" "$WHOAMI" serve 7000 120 4
tb_bg out2 "$PY" "$WHOAMI" serve 7000 120
tb_bg b "$PY" "$WHOAMI" serve 8080 120
tb_bg b "$PY" "$WHOAMI" serve 9000 120
tb_bg d "$PY" "$WHOAMI" serve 8080 120
tb_bg a "$PY" "$WHOAMI" serve 8080 120
tb_bg c "$PY" "$WHOAMI" serve 8080 120
sleep 0.5

# policy NAME < YAML: in force on both nodes, node-a through the socket,
# node-b through its watched directory (waited for: its objects match).
OBJ='sorted(j["objects"].items())'
same_objects() {
	local want
	want=$(tb_json node-a "$OBJ" policy)
	for _ in $(seq 50); do
		[ "$(tb_json node-b "$OBJ" policy)" = "$want" ] && return 0
		sleep 0.1
	done
	tb_fail "node-b's policy objects do not match node-a's"
}
policy() {
	local f="$TB_TMP/$1.yaml"
	cat >"$f"
	tb_ctl node-a apply -f "$f" >/dev/null || tb_fail "apply $1 on node-a"
	cp "$f" "$TB_TMP/node-b/manifests/.$1.tmp"
	mv "$TB_TMP/node-b/manifests/.$1.tmp" "$TB_TMP/node-b/manifests/$1.yaml"
	same_objects
}
unpolicy() {
	tb_ctl node-a delete -f "$TB_TMP/$1.yaml" >/dev/null || tb_fail "delete $1 on node-a"
	tb_ctl node-b delete -f "$TB_TMP/$1.yaml" >/dev/null || tb_fail "delete $1 on node-b"
}

# --- both nodes know every pod, with labels and named ports ---------------
for _ in $(seq 50); do
	n=$(tb_json node-a 'len(j["pods"])' endpoints)
	[ "$n" = 4 ] && break
	sleep 0.1
done
tb_assert_eq "pods known to node-a" 4 "$n"
tb_assert_eq "x/b's named port, as node-a knows it" "http 8080" \
    "$(tb_json node-a '" ".join([str(p["name"])+" "+str(p["port"]) for q in j["pods"] if q["pod"]=="b" for p in q["ports"]])' endpoints)"

# --- no policy: everything flows ------------------------------------------
tb_tcp ok a 192.0.2.100 7000 "no policy"
tb_tcp ok a "$B" 8080 "no policy"
tb_tcp ok c "$D" 8080 "no policy"
tb_tcp ok out "$C" 8080 "no policy (inbound)"

# --- default deny egress in x ----------------------------------------------
policy deny-egress-x <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
YAML
tb_tcp no a 192.0.2.100 7000 "default deny egress"
tb_tcp no a "$C" 8080 "default deny egress, same node"
tb_tcp no b "$D" 8080 "default deny egress, node-b"
tb_tcp ok c 192.0.2.100 7000 "another namespace"
tb_tcp ok c "$A" 8080 "into x (ingress not isolated)"
log=$(cat "$TB_TMP/node-a/log")
tb_assert_match "drop log" "policy: denied tcp $A \(x/a\) -> 192\.0\.2\.100 port 7000: egress: .*deny-egress" "$log"
explain=$(tb_ctl node-a policy explain --from x/a --to 192.0.2.100:7000/tcp)
tb_assert_match "explain names the policy" "verdict  deny" "$explain"
tb_assert_match "explain names the policy" "x/deny-egress" "$explain"
drops=$(tb_stat node-a drop_policy)
[ "$drops" -gt 0 ] || tb_fail "drop_policy counter is $drops"

# --- allow egress to the outside, with an except ----------------------------
policy allow-out-x <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-out, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.101/32]}
    ports:
    - {protocol: TCP, port: 7000, endPort: 7001}
    - {protocol: TCP, port: 7100}
YAML
tb_tcp ok a 192.0.2.100 7000 "ipBlock allow"
tb_tcp ok a 192.0.2.100 7001 "endPort"
tb_tcp no a 192.0.2.100 7002 "beyond endPort"
# Bulk both ways through policy and NAT: TCP super-packets (offloads on)
# are judged whole and written back whole, or cut and judged per segment.
XFER="$SLUICE_SRC/tests/tools/xfer.py"
tb_exec out "$PY" "$XFER" tcp-server 7100 30 >"$TB_TMP/up" &
up=$!
sleep 0.3
sent=$(tb_exec a "$PY" "$XFER" tcp-client 192.0.2.100 7100 20000000) || tb_fail "20 MB a -> out"
wait $up
tb_assert_eq "20 MB through policy and NAT, intact" "$sent" "$(cat "$TB_TMP/up")"
tb_exec out "$PY" "$XFER" tcp-source 7100 20000000 30 >"$TB_TMP/down" &
down=$!
sleep 0.3
got=$(tb_exec a "$PY" "$XFER" tcp-sink 192.0.2.100 7100) || tb_fail "20 MB out -> a"
wait $down
tb_assert_eq "20 MB back through policy and NAT, intact" "$(cat "$TB_TMP/down")" "$got"
tb_tcp no a 192.0.2.101 7000 "ipBlock except"
tb_tcp no b 192.0.2.100 7000 "podSelector app=a only"
tb_assert_match "explain allow" "verdict  allow" \
    "$(tb_ctl node-a policy explain --from x/a --to 192.0.2.100:7001/tcp)"

# --- a named port, across nodes -------------------------------------------
policy allow-http-x <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-http, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: http}]
YAML
tb_tcp ok a "$B" 8080 "named port http"
tb_tcp no a "$B" 9000 "not the named port"
unpolicy allow-http-x
tb_tcp no a "$B" 8080 "named port policy deleted"
unpolicy allow-out-x
unpolicy deny-egress-x
tb_tcp ok a 192.0.2.100 7000 "policies deleted"

# --- ingress: namespaceSelector AND podSelector ------------------------------
policy ingress-d <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-red-a, namespace: z}
spec:
  podSelector: {matchLabels: {app: d}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: red}}
      podSelector: {matchLabels: {app: a}}
YAML
tb_tcp ok a "$D" 8080 "ns+pod selector (x/a, other node)"
tb_tcp no c "$D" 8080 "ns+pod selector (y/c: wrong namespace)"
tb_tcp no b "$D" 8080 "ns+pod selector (x/b: wrong pod, same node as d)"
tb_tcp no out "$D" 8080 "ns+pod selector (outside)"
unpolicy ingress-d

# --- ingress and egress together, on both ends of one connection -----------
# z/d takes connections from x/a only and may open none itself; x/a may
# open connections to z/d only. The replies of d (egress-isolated) pass.
policy both <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: d-serves-a, namespace: z}
spec:
  podSelector: {matchLabels: {app: d}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: red}}, podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 8080}, {port: 8090}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-to-d, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {team: green}}}]
YAML
tb_tcp ok a "$D" 8080 "egress of a and ingress of d both allow (replies of d pass)"
# Bulk across nodes: TCP super-packets judged once for all their segments.
tb_exec d "$PY" "$XFER" tcp-server 8090 30 >"$TB_TMP/across" &
across=$!
sleep 0.3
sent=$(tb_exec a "$PY" "$XFER" tcp-client "$D" 8090 10000000) || tb_fail "10 MB a -> d"
wait $across
tb_assert_eq "10 MB across nodes through both policies, intact" "$sent" "$(cat "$TB_TMP/across")"
tb_tcp no a 192.0.2.100 7000 "egress of a: only to z"
tb_tcp no d 192.0.2.100 7000 "egress of d: nothing"
tb_tcp no d "$A" 8080 "egress of d: not even to a"
tb_tcp no b "$D" 8080 "ingress of d: x/a only"
tb_assert_match "explain: both sides" "verdict  allow" \
    "$(tb_ctl node-a policy explain --from x/a --to z/d:8080/tcp)"
tb_assert_match "explain: the deciding ingress rule" "d-serves-a ingress\[0\]" \
    "$(tb_ctl node-a policy explain --from x/a --to z/d:8080/tcp)"
unpolicy both

# --- ingress default deny: replies pass, unsolicited inbound does not -------
policy deny-ingress <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: x}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: y}
spec:
  podSelector: {}
YAML
tb_tcp ok a 192.0.2.100 7000 "own connection, replies pass (NAT)"
tb_tcp ok c 192.0.2.100 7000 "own connection, replies pass (direct)"
tb_exec a "$PY" "$WHOAMI" udp 192.0.2.100 7000 >/dev/null || tb_fail "UDP reply to x/a"
tb_exec c "$PY" "$WHOAMI" udp 192.0.2.100 7000 >/dev/null || tb_fail "UDP reply to y/c"
tb_exec a ping -c 2 -W 2 -q 192.0.2.100 >/dev/null || tb_fail "ping reply to x/a"
tb_tcp ok a "$D" 8080 "own connection across nodes"
tb_tcp ok node-a "$A" 8080 "the pod's own node (probes) reaches it"
tb_tcp no out "$C" 8080 "unsolicited inbound from the outside"
tb_tcp no c "$A" 8080 "unsolicited inbound from a pod"
tb_tcp no d "$B" 8080 "unsolicited inbound, node-b"
! tb_exec out ping -c 1 -W 1 -q "$C" >/dev/null || tb_fail "unsolicited ping reached y/c"

# --- bad input: refused whole, nothing changes --------------------------------
cat >"$TB_TMP/bad.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: x}
spec:
  podSelector: {}
  egress:
  - ports: [{port: 443, endPort: 80}]
YAML
gen=$(tb_json node-a 'j["generation"]' policy)
out=$(tb_ctl node-a apply -f "$TB_TMP/bad.yaml" 2>&1) && tb_fail "a bad policy was applied"
tb_assert_match "bad policy refused with a reason" "endPort 80 is below port 443" "$out"
tb_assert_eq "policy generation unchanged" "$gen" "$(tb_json node-a 'j["generation"]' policy)"
[ ! -e "$TB_TMP/node-a/manifests/bad.yaml" ] || tb_fail "the refused file was left in place"
tb_tcp no out "$C" 8080 "policy still in force after a refused apply"

tb_log "PASS"
