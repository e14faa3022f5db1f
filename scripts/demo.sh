#!/usr/bin/env bash
# The main job: a small sluice cluster in network namespaces on this one
# machine, using the embedded defaults (a cluster manifest shared by all
# nodes). Run as root on Debian 12; it installs what it needs, builds,
# shows what the cluster does and removes everything it made when it
# ends (also on Ctrl-C).
#
#                 sw (br0, the underlay LAN 192.0.2.0/24)
#            /               |                \
#      node-a            node-b              node-c
#   192.0.2.1          192.0.2.2           192.0.2.3
#   pod-a1, pod-a2     pod-b1              pod-c1
#
# node-b and node-c are also egress gateways (egress IPs 198.51.100.1 and
# .2, routed to them by the outside): namespace finance leaves through
# node-b, research through node-c.
#
# The pool 10.244.0.0/16 is cut into /26 blocks. Pods are attached as a
# container runtime attaches them: it runs sluice-cni on the pod's node,
# sluice-cni asks that node's sluiced for an address and wires the pod up.
# A node claims a block when its first pod comes and announces it to the
# others, which route it through the tunnel.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=demo
TB_DEAD_MS=1500
CNI="$SLUICE_BUILD/cni/sluice-cni"

step() { printf '\n=== %s\n' "$*"; }

# cni NODE COMMAND POD: runs sluice-cni on NODE as a runtime would: what
# to do in CNI_* variables, the network config on stdin, the result (or
# an error) on stdout.
cni() {
	local node=$1 cmd=$2 pod=$3
	printf '{"cniVersion": "1.0.0", "name": "sluice", "type": "sluice-cni", "socket": "%s"}\n' \
	    "$(tb_sock "$node")" |
	    tb_exec "$node" env CNI_COMMAND="$cmd" CNI_CONTAINERID="$pod" \
	    CNI_NETNS="/var/run/netns/$(tb_ns_name "$pod")" CNI_IFNAME=eth0 \
	    CNI_PATH="$SLUICE_BUILD/cni" \
	    CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" "$CNI"
}

# attach NODE POD: a new pod namespace, attached by sluice-cni ADD; the
# pod's address (from the result) goes to TB_ADDR[POD].
attach() {
	local node=$1 pod=$2 res addr host
	tb_ns "$pod"
	res=$(cni "$node" ADD "$pod") || tb_fail "sluice-cni ADD of $pod on $node: $res"
	read -r addr host < <(echo "$res" | "$PY" -c 'import json, sys
r = json.load(sys.stdin)
print(r["ips"][0]["address"], r["interfaces"][0]["name"])')
	TB_ADDR[$pod]=${addr%/*}
	printf '%-7s on %s: eth0 %s, host end %s\n' "$pod" "$node" "$addr" "$host"
}

# wait_routes NODE N: until NODE routes N blocks of other nodes through
# the tunnel (announcements take a moment).
wait_routes() {
	local n=0
	for _ in $(seq 50); do
		n=$(tb_json "$1" 'len([r for r in j if r["via"] == "tunnel"])' routes)
		[ "$n" = "$2" ] && return 0
		sleep 0.1
	done
	tb_ctl "$1" routes >&2 || true
	tb_fail "$1 routes $n blocks of other nodes, not $2"
}

step "building the underlay (a switch, three nodes and an outside host)"
tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_node node-c 192.0.2.3
tb_host outside 192.0.2.100
tb_manifest node-a node-b node-c <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: default}
spec:
  cidr: 10.244.0.0/16
  blockSize: 26
  natOutgoing: true
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-b, labels: {egress: finance}}
spec:
  address: 192.0.2.2
  egress: {addresses: [198.51.100.1]}   # routed to node-b by the outside
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-c, labels: {egress: research}}
spec:
  address: 192.0.2.3
  egress: {addresses: [198.51.100.2]}
---
apiVersion: v1
kind: Namespace
metadata: {name: finance, labels: {team: finance}}
---
apiVersion: v1
kind: Namespace
metadata: {name: research, labels: {team: research}}
---
apiVersion: sluice.io/v1alpha1
kind: EgressGatewayPolicy
metadata: {name: finance}
spec:
  namespaceSelector: {matchLabels: {team: finance}}
  gateways: {nodeSelector: {matchLabels: {egress: finance}}}
---
apiVersion: sluice.io/v1alpha1
kind: EgressGatewayPolicy
metadata: {name: research}
spec:
  namespaceSelector: {matchLabels: {team: research}}
  gateways: {nodeSelector: {matchLabels: {egress: research}}}
YAML
# The outside network routes each egress IP to its gateway node.
tb_exec outside ip route add 198.51.100.1/32 via 192.0.2.2
tb_exec outside ip route add 198.51.100.2/32 via 192.0.2.3
echo "cluster manifest (the same file on every node):"
sed 's/^/    /' "$TB_TMP/cluster.yaml"

step "starting sluiced on every node"
for n in node-a node-b node-c; do
	tb_daemon_start "$n"
	echo "$n: sluiced pid ${TB_PID[$n]} ready"
done
for n in node-a node-b node-c; do tb_wait_peers "$n" 2; done

step "sluicectl status (node-a)"
tb_ctl node-a status

step "sluicectl peers (node-a): authenticated control links"
tb_ctl node-a peers

step "four pods attached through sluice-cni, addresses from sluiced"
attach node-a pod-a1
attach node-a pod-a2
attach node-b pod-b1
attach node-c pod-c1
for n in node-a node-b node-c; do wait_routes "$n" 2; done

step "sluicectl ipam (node-a): pools, blocks claimed by each node, allocations"
tb_ctl node-a ipam
step "sluicectl routes (node-b)"
tb_ctl node-b routes

step "every pod pings every other pod (same node and across nodes)"
pods=(pod-a1 pod-a2 pod-b1 pod-c1)
for s in "${pods[@]}"; do
	line="$s ->"
	for d in "${pods[@]}"; do
		[ "$s" = "$d" ] && continue
		if rtt=$(tb_exec "$s" ping -c 1 -W 2 "${TB_ADDR[$d]}" | sed -n 's/.*time=\([0-9.]*\) ms/\1/p') && [ -n "$rtt" ]; then
			line+=" $d ${rtt}ms"
		else
			line+=" $d FAILED"
		fi
	done
	echo "$line"
done

c1=${TB_ADDR[pod-c1]}
step "20 MB of TCP from pod-a1 to pod-c1 ($c1), checked end to end"
tb_exec pod-c1 "$PY" tests/tools/xfer.py tcp-server 5001 60 >"$TB_TMP/rx" &
srv=$!
sleep 0.3
start=$(date +%s%N)
sent=$(tb_exec pod-a1 "$PY" tests/tools/xfer.py tcp-client "$c1" 5001 20000000)
wait $srv
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "sent     $sent"
echo "received $(cat "$TB_TMP/rx")  ($ms ms)"

step "NAT outgoing: the outside host (192.0.2.100) sees each pod as its node"
tb_bg outside "$PY" tests/tools/whoami.py serve 7000 120 2
sleep 0.3
for pod in pod-a1 pod-b1 pod-c1; do
	seen=$(tb_exec "$pod" "$PY" tests/tools/whoami.py tcp 192.0.2.100 7000) ||
	    tb_fail "$pod -> outside"
	printf '%-7s %-14s -> outside sees %s\n' "$pod" "${TB_ADDR[$pod]}" "$seen"
done
tb_exec pod-a1 ping -c 1 -W 2 -q 192.0.2.100 | tail -1
tb_ctl node-a conntrack | sed -n '1,12p'

step "Network policy: the default namespace may reach only the outside host's port 7000"
cat >"$TB_TMP/egress.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-7000, namespace: default}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.0.2.100/32}}]
    ports: [{protocol: TCP, port: 7000}]
YAML
cat "$TB_TMP/egress.yaml"
for n in node-a node-b node-c; do
	tb_ctl "$n" apply -f "$TB_TMP/egress.yaml" >/dev/null || tb_fail "apply on $n"
done
echo "(applied with sluicectl apply -f on every node)"
if seen=$(tb_exec pod-a1 timeout 3 "$PY" tests/tools/whoami.py tcp 192.0.2.100 7000); then
	echo "pod-a1 -> outside:7000  allowed (outside sees $seen)"
else
	tb_fail "pod-a1 -> outside:7000 was denied"
fi
if tb_exec pod-a1 timeout 3 "$PY" tests/tools/whoami.py tcp 192.0.2.100 7001 >/dev/null 2>&1; then
	tb_fail "pod-a1 -> outside:7001 was allowed"
fi
echo "pod-a1 -> outside:7001  denied (no answer)"
echo "node-a's log:"
grep -m1 'policy: denied' "$TB_TMP/node-a/log" | sed 's/^/  /'
echo "sluicectl policy explain --from default/pod-a1 --to 192.0.2.100:7001/tcp"
tb_ctl node-a policy explain --from default/pod-a1 --to 192.0.2.100:7001/tcp
echo "sluicectl policy explain --from default/pod-a1 --to 192.0.2.100:7000/tcp"
tb_ctl node-a policy explain --from default/pod-a1 --to 192.0.2.100:7000/tcp
for n in node-a node-b node-c; do
	tb_ctl "$n" delete -f "$TB_TMP/egress.yaml" >/dev/null || tb_fail "delete on $n"
done
echo "(deleted with sluicectl delete -f: pods talk freely again)"

step "Egress gateways: two namespaces leave through two egress IPs (node-b's, node-c's)"
tb_attach node-a finance pay-1 pay
tb_attach node-a research lab-1 lab
for pod in pay-1 lab-1 pod-a1; do
	seen=$(tb_exec "$pod" "$PY" tests/tools/whoami.py tcp 192.0.2.100 7000) ||
	    tb_fail "$pod -> outside"
	printf '%-7s %-14s -> outside sees %s\n' "$pod" "${TB_ADDR[$pod]}" "$seen"
done
echo "(pay-1 is in namespace finance, lab-1 in research: both on node-a; pod-a1 has no egress policy)"
tb_ctl node-a gateways

step "node-c's daemon is killed: the others withdraw its block within the dead interval (${TB_DEAD_MS} ms)"
kill -KILL "${TB_PID[node-c]}"
wait "${TB_PID[node-c]}" 2>/dev/null || true
unset "TB_PID[node-c]"
sleep 2.2
tb_ctl node-a peers
tb_exec pod-a1 ping -c 1 -W 1 "$c1" 2>&1 | grep -E "Unreachable|unreachable|received" || true

step "node-c comes back: its block is routed again, pod-c1 keeps its address"
tb_daemon_start node-c
tb_wait_peers node-a 2
wait_routes node-a 2
tb_ctl node-c ipam | grep -E 'ADDRESS +HANDLE|pod-c1/' ||
    tb_fail "node-c lost pod-c1's allocation"
tb_exec pod-a1 ping -c 2 -q "$c1" | tail -2

step "sluicectl stats (node-a)"
tb_ctl node-a stats | grep -vE ' 0$'

step "the pods are deleted through sluice-cni DEL: veths gone, addresses released"
cni node-a DEL pod-a1 >/dev/null || tb_fail "sluice-cni DEL of pod-a1"
cni node-a DEL pod-a2 >/dev/null || tb_fail "sluice-cni DEL of pod-a2"
cni node-b DEL pod-b1 >/dev/null || tb_fail "sluice-cni DEL of pod-b1"
cni node-c DEL pod-c1 >/dev/null || tb_fail "sluice-cni DEL of pod-c1"
for n in node-a node-b node-c; do
	echo "$n: $(tb_json "$n" 'len([a for a in j["allocations"] if a["node"] == "'"$n"'"])' ipam) allocations," \
	    "$(tb_exec "$n" ip -o link show | grep -cE '^[0-9]+: sl[0-9a-f]{12}@' || true) pod veths"
done

step "stopping every node with SIGTERM (the TUN and routes stay for the next start)"
for n in node-a node-b node-c; do
	tb_daemon_stop "$n"
	echo "$n: stopped cleanly"
done
step "done; the test bed removes its namespaces on exit"
