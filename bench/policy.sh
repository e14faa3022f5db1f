#!/usr/bin/env bash
# What network policy costs on the data path, end to end: the same pods
# measured with no policy object at all (nothing tracked), and under
# NetworkPolicies of RULES rules each way (default 1000; every flow
# tracked and judged, the allowing rule last), in interleaved rounds.
# Run by hand as root (not part of the test command).
#
#   bench/policy.sh [SECONDS-PER-TEST] [ROUNDS] [RULES]   (defaults 5, 3, 1000)
#
#        sw (br0)
#      /     |      \
#  node-a .1  out .100  node-b .2
#  bench/a               bench/b
#
# Measured, pod a to pod b across the overlay and pod a to the outside
# host through NAT: TCP 1 stream (iperf3), 64-byte UDP packets/s, and new
# TCP connections/s (bench/nat_conn.c: connect, close; each one a new
# flow, so a verdict). Prints medians and the ratio policy / none.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${2:-3}
RULES=${3:-1000}
CONNS=${POLICY_BENCH_CONNS:-2000}

bash scripts/deps.sh
command -v iperf3 >/dev/null || { apt-get install -y -qq iperf3 >/dev/null; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=bench-policy
. bench/lib.sh

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
YAML
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_attach node-a bench a a
A=${TB_ADDR[a]}
tb_attach node-b bench b b
B=${TB_ADDR[b]}

# RULES rules each way that match nothing these pods send, then the one
# that allows everything: a verdict walks them all.
"$PY" - "$RULES" >"$TB_TMP/policy.yaml" <<'PY'
import sys
n = int(sys.argv[1])
print("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy")
print("metadata: {name: many-rules, namespace: bench}")
print("spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]")
for d, peer in (("egress", "to"), ("ingress", "from")):
    print("  %s:" % d)
    for i in range(n - 1):
        print("  - %s: [{ipBlock: {cidr: 172.%d.%d.%d/32}}]" %
              (peer, 16 + i // 65536, i // 256 % 256, i % 256))
        print("    ports: [{port: %d}]" % (1 + i % 60000))
    print("  - %s: [{ipBlock: {cidr: 0.0.0.0/0}}]" % peer)
PY

# In force through the watched manifests directories (a file this large
# is beyond `sluicectl apply`'s 60 KiB): copied in, then waited for.
policy_wait() {	# policy_wait N: until both nodes hold N NetworkPolicies
	local n i
	for n in node-a node-b; do
		for i in $(seq 100); do
			[ "$(tb_json "$n" 'j["objects"]["NetworkPolicy"]' policy)" = "$1" ] && break
			sleep 0.1
		done
		[ "$i" -lt 100 ] || tb_fail "$n does not hold $1 NetworkPolicies"
	done
}
policy_on() {
	local n
	for n in node-a node-b; do
		cp "$TB_TMP/policy.yaml" "$TB_TMP/$n/manifests/.policy.tmp"
		mv "$TB_TMP/$n/manifests/.policy.tmp" "$TB_TMP/$n/manifests/policy.yaml"
	done
	policy_wait 1
}
policy_off() {
	rm -f "$TB_TMP/node-a/manifests/policy.yaml" "$TB_TMP/node-b/manifests/policy.yaml"
	policy_wait 0
}

# The server of HOST: pod b or the outside host.
srv_of() { [ "$1" = "$B" ] && echo b || echo out; }
tcp() { bench_tcp a "$(srv_of "$1")" "$1"; }
udp64() { bench_udp64 a "$(srv_of "$1")" "$1"; }
conns() { bench_conns a "$(srv_of "$1")" "$1" "$2"; }

declare -A R
port=7000
for round in $(seq "$ROUNDS"); do
	for mode in none policy; do
		if [ "$mode" = policy ]; then policy_on; fi
		R[$mode,tcpb,$round]=$(tcp "$B")
		R[$mode,udpb,$round]=$(udp64 "$B")
		R[$mode,cb,$round]=$(conns "$B" "$port")
		R[$mode,tcpo,$round]=$(tcp 192.0.2.100)
		R[$mode,co,$round]=$(conns 192.0.2.100 $((port + 1)))
		port=$((port + 2))
		if [ "$mode" = policy ]; then
			flows=$(tb_json node-a 'j["flows"]["created"]' policy)
			policy_off
		fi
	done
done

row() {
	local n p
	n=$(bench_median "none,$2")
	p=$(bench_median "policy,$2")
	printf '%-36s %12s %12s %8s\n' "$1" "$n" "$p" "$(bench_ratio "$p" "$n")"
}
printf '\n%-36s %12s %12s %8s\n' "$SECS s each, median of $ROUNDS" "no policy" "$RULES rules" ratio
row "TCP 1 stream, pod -> pod (Gbit/s)" tcpb
row "UDP 64 B, pod -> pod (pkt/s)" udpb
row "new TCP conns/s, pod -> pod" cb
row "TCP 1 stream, pod -> out, NAT (Gbit/s)" tcpo
row "new TCP conns/s, pod -> out, NAT" co
echo "(policy: one NetworkPolicy, $RULES egress and $RULES ingress rules, the allowing one last;"
echo " node-a's policy flows created in the last round: $flows; machine: $(nproc) cores)"
