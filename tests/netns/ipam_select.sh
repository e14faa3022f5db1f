#!/usr/bin/env bash
# Pools chosen by labels: a namespace-selected pool gives its namespace's
# pods their addresses on every node; a node-selected pool serves the
# nodes it selects; other pods get the plain pool; asking for a pool whose
# selectors do not match is refused with a reason. Pods from different
# pools reach each other across nodes.
#
#        sw (br0)
#      /          \
#  node-a .1       node-b .2        pools: plain    10.246.0.0/16
#  zone=a          zone=b                  zone-a   10.247.0.0/16 (nodes zone=a)
#                                          finance  10.248.0.0/16 (namespaces team=finance)
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: plain}
spec: {cidr: 10.246.0.0/16, blockSize: 28}
---
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: zone-a}
spec:
  cidr: 10.247.0.0/16
  blockSize: 28
  nodeSelector: {matchLabels: {zone: a}}
---
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: finance}
spec:
  cidr: 10.248.0.0/16
  blockSize: 28
  namespaceSelector:
    matchExpressions:
    - {key: team, operator: In, values: [finance]}
---
apiVersion: v1
kind: Namespace
metadata: {name: finance, labels: {team: finance}}
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a, labels: {zone: a}}
spec: {address: 192.0.2.1}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-b, labels: {zone: b}}
spec: {address: 192.0.2.2}
YAML
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_wait_peers node-b 1

pool_of() {	# pool_of NODE NAMESPACE HANDLE -> "pool address"
	tb_ctl "$1" --json ipam allocate "handle=$3" "namespace=$2" "pod=$3" |
	    "$PY" -c 'import json,sys; r = json.load(sys.stdin); print(r["pool"], r["address"])'
}
read -r p fa <<<"$(pool_of node-a finance fa/eth0)"
tb_assert_eq "finance pod on node-a" finance "$p"
read -r p da <<<"$(pool_of node-a default da/eth0)"
tb_assert_eq "default pod on node-a (zone=a)" zone-a "$p"
read -r p db <<<"$(pool_of node-b default db/eth0)"
tb_assert_eq "default pod on node-b (zone=b)" plain "$p"
read -r p fb <<<"$(pool_of node-b finance fb/eth0)"
tb_assert_eq "finance pod on node-b" finance "$p"
rc=0
out=$(tb_ctl node-b ipam allocate handle=x/eth0 namespace=default pool=zone-a 2>&1) || rc=$?
tb_assert_eq "a pool whose selectors do not match is refused" 1 $rc
tb_assert_match "the refusal says why" "zone-a" "$out"

# Pods from different pools, on different nodes, talk.
tb_pod node-a pod-fa "$fa"
tb_pod node-b pod-db "$db"
tb_pod node-a pod-da "$da"
for i in $(seq 30); do
	tb_exec pod-fa ping -c 1 -W 1 -q "$db" >/dev/null 2>&1 && break
	sleep 0.2
done
tb_exec pod-fa ping -c 2 -W 2 -q "$db" >/dev/null || tb_fail "finance pod ($fa) -> plain pod ($db)"
tb_exec pod-db ping -c 2 -W 2 -q "$da" >/dev/null || tb_fail "plain pod ($db) -> zone-a pod ($da)"
tb_log "PASS (finance $fa/$fb, zone-a $da, plain $db)"
