#!/usr/bin/env bash
# AdminNetworkPolicy, BaselineAdminNetworkPolicy, NetworkSets and policy
# changes over real packets:
#   - an ANP Deny that a NetworkPolicy allowing everything cannot override;
#   - an ANP Pass that hands a namespace over to NetworkPolicy, past a
#     lower-priority ANP Deny that still holds for the others;
#   - a BANP default deny egress, which a NetworkPolicy overrides;
#   - a GlobalNetworkSet selected by label: changing the set's CIDRs moves
#     every policy that selects it;
#   - a policy change cuts an established TCP connection (its next packet
#     is judged again), and a label change (`sluicectl label`) on one
#     node re-judges flows on another;
#   - per-rule counters and `policy explain` name the deciding rule.
#
#        sw (br0)
#      /     |        \
#  node-a .1  out .100  node-b .2
#  x/a, y/c             z/d
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_host out 192.0.2.100
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: pods}
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
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1

tb_attach node-a x a a
A=${TB_ADDR[a]}
tb_attach node-a y c c
C=${TB_ADDR[c]}
tb_attach node-b z d d
D=${TB_ADDR[d]}
tb_log "pods: x/a $A, y/c $C, z/d $D"
tb_bg out "$PY" "$WHOAMI" serve 7000 120 4
tb_bg a "$PY" "$WHOAMI" serve 8080 120
sleep 0.5

# in_force NAME < YAML: applied on both nodes.
in_force() {
	cat >"$TB_TMP/$1.yaml"
	tb_apply "$TB_TMP/$1.yaml" node-a node-b
}
gone() {
	tb_ctl node-a delete -f "$TB_TMP/$1.yaml" >/dev/null || tb_fail "delete $1"
	tb_ctl node-b delete -f "$TB_TMP/$1.yaml" >/dev/null || tb_fail "delete $1"
}

# --- an ANP Deny beats a NetworkPolicy allowing everything ------------------
in_force np-allow-all-y <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-egress, namespace: y}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{}]
YAML
in_force anp-deny-7003 <<'YAML'
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-7003}
spec:
  priority: 10
  subject: {namespaces: {}}
  egress:
  - name: deny-7003
    action: Deny
    to: [{networks: [192.0.2.100/32]}]
    ports: [{portNumber: {protocol: TCP, port: 7003}}]
YAML
tb_tcp ok c 192.0.2.100 7000 "NetworkPolicy allows"
tb_tcp no c 192.0.2.100 7003 "ANP Deny over a NetworkPolicy allow"
tb_tcp no d 192.0.2.100 7003 "ANP Deny, node-b"
tb_assert_match "explain names the ANP rule" "AdminNetworkPolicy no-7003" \
    "$(tb_ctl node-a policy explain --from y/c --to 192.0.2.100:7003)"

# --- Pass: y is handed to NetworkPolicy past a lower-priority Deny -----------
in_force anp-pass <<'YAML'
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: blue-to-netpol}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {team: blue}}}
  egress:
  - name: pass-lan
    action: Pass
    to: [{networks: [192.0.2.0/24]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-lan}
spec:
  priority: 30
  subject: {namespaces: {}}
  egress:
  - name: deny-lan
    action: Deny
    to: [{networks: [192.0.2.0/24]}]
YAML
tb_tcp ok c 192.0.2.100 7001 "Pass hands y to its NetworkPolicy"
tb_tcp no a 192.0.2.100 7001 "the lower-priority Deny holds for x"
tb_tcp no d 192.0.2.100 7001 "the lower-priority Deny holds for z"
gone anp-pass

# --- BANP default deny egress, overridden by a NetworkPolicy ----------------
in_force banp <<'YAML'
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {team: green}}}
  egress:
  - name: default-deny
    action: Deny
    to: [{networks: [0.0.0.0/0]}]
YAML
tb_tcp no d 192.0.2.100 7000 "BANP default deny"
tb_tcp no d "$A" 8080 "BANP default deny, to a pod"
tb_tcp ok a 192.0.2.100 7000 "BANP selects z only"
# A GlobalNetworkSet the NetworkPolicy selects by label.
in_force np-z <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: GlobalNetworkSet
metadata: {name: partners, labels: {role: partner}}
spec: {nets: [192.0.2.100/32]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-partners, namespace: z}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{globalNetworkSetSelector: {matchLabels: {role: partner}}}]
YAML
tb_tcp ok d 192.0.2.100 7000 "NetworkPolicy over BANP (NetworkSet)"
tb_tcp no d "$A" 8080 "not in the set: isolated by the NetworkPolicy"
# The set changes: the policy follows, no policy edited.
in_force np-z <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: GlobalNetworkSet
metadata: {name: partners, labels: {role: partner}}
spec: {nets: [192.0.2.200/32, 10.244.1.0/24]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-partners, namespace: z}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{globalNetworkSetSelector: {matchLabels: {role: partner}}}]
YAML
tb_tcp no d 192.0.2.100 7000 "address left the set"
tb_tcp ok d "$A" 8080 "block joined the set"
gone np-z
gone banp

# --- a policy change cuts an established connection -------------------------
tb_exec c "$PY" "$WHOAMI" hold 192.0.2.100 7002 30 "$TB_TMP/hold" &
HOLD=$!
TB_BG+=("$HOLD")
for _ in $(seq 50); do
	n=$(cat "$TB_TMP/hold" 2>/dev/null || echo 0)
	[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 5 ] && break
	sleep 0.1
done
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 5 ] || tb_fail "the held connection does not run: $n"
in_force anp-cut <<'YAML'
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: cut-7002}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {team: blue}}}
  egress:
  - name: cut
    action: Deny
    to: [{networks: [192.0.2.100/32]}]
    ports: [{portNumber: {protocol: TCP, port: 7002}}]
YAML
for _ in $(seq 40); do
	grep -q stalled "$TB_TMP/hold" 2>/dev/null && break
	sleep 0.1
done
tb_assert_match "established connection cut by the new deny" "^stalled [0-9]+" "$(cat "$TB_TMP/hold")"
tb_tcp ok c 192.0.2.100 7000 "other ports of y unaffected"
rules=$(tb_json node-a '[r for r in j["rules"] if "cut-7002" in r["rule"] and r["packets"] > 0]' policy)
tb_assert_match "the cutting rule counted packets" "cut-7002" "$rules"
gone anp-cut

# --- a label change on node-b re-judges a flow on node-a ---------------------
in_force np-a <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: trusted-only, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: trusted}}}]
YAML
tb_tcp no d "$A" 8080 "not labelled trusted"
tb_ctl node-b label z/d role=trusted >/dev/null || tb_fail "label z/d"
for _ in $(seq 50); do
	l=$(tb_json node-a '[q["labels"].get("role") for q in j["pods"] if q["pod"] == "d"]' endpoints)
	[ "$l" = "['trusted']" ] && break
	sleep 0.1
done
tb_assert_eq "node-a learnt the label" "['trusted']" "$l"
tb_tcp ok d "$A" 8080 "labelled trusted"
out=$(tb_ctl node-a label z/d role=x 2>&1) && tb_fail "labelled another node's pod"
tb_assert_match "a remote pod is labelled on its node" "runs on node node-b" "$out"
out=$(tb_ctl node-b label z/d 'bad key=1' 2>&1) && tb_fail "a bad label was accepted"
tb_assert_match "bad label refused" "label key" "$out"
tb_ctl node-b label z/d role- >/dev/null || tb_fail "unlabel z/d"
for _ in $(seq 50); do
	l=$(tb_json node-a '[q["labels"].get("role") for q in j["pods"] if q["pod"] == "d"]' endpoints)
	[ "$l" = "[None]" ] && break
	sleep 0.1
done
tb_tcp no d "$A" 8080 "label removed"

tb_log "PASS"
