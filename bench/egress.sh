#!/usr/bin/env bash
# What an egress gateway costs, and how fast it fails over: a pod whose
# flows leave through a gateway node (pod -> its node -> tunnel -> gateway
# -> SNAT -> outside) side by side with a pod of the same node leaving
# through its own node's natOutgoing, in interleaved rounds; then the
# failover time of a group of two gateways, measured ROUNDS times (one
# gateway's daemon killed while new connections are opened every 20 ms).
# Run by hand as root (not part of the test command).
#
#   bench/egress.sh [SECONDS-PER-TEST] [ROUNDS]   (defaults 5 and 3)
#
#              sw (br0)
#     /       |       |        \
#  w1 .1    gw1 .11  gw2 .12   out .100 (routes 198.51.100.1/.2 to gw1/gw2)
#  g/pg (through the gateways), n/pn (natOutgoing at w1)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${2:-3}
CONNS=${EGRESS_BENCH_CONNS:-2000}

bash scripts/deps.sh
command -v iperf3 >/dev/null || { apt-get install -y -qq iperf3 >/dev/null; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=bench-egress
. bench/lib.sh

tb_switch
tb_node w1 192.0.2.1
tb_node gw1 192.0.2.11
tb_node gw2 192.0.2.12
tb_host out 192.0.2.100
tb_manifest w1 gw1 gw2 <<'YAML'
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
metadata: {name: gw1, labels: {group: g}}
spec: {address: 192.0.2.11, egress: {addresses: [198.51.100.1]}}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: gw2, labels: {group: g}}
spec: {address: 192.0.2.12, egress: {addresses: [198.51.100.2]}}
---
apiVersion: v1
kind: Namespace
metadata: {name: g, labels: {via: gateway}}
---
apiVersion: sluice.io/v1alpha1
kind: EgressGatewayPolicy
metadata: {name: g}
spec:
  namespaceSelector: {matchLabels: {via: gateway}}
  gateways: {nodeSelector: {matchLabels: {group: g}}}
YAML
tb_exec out ip route add 198.51.100.1/32 via 192.0.2.11
tb_exec out ip route add 198.51.100.2/32 via 192.0.2.12
for n in w1 gw1 gw2; do tb_daemon_start "$n"; done
for n in w1 gw1 gw2; do tb_wait_peers "$n" 2; done
tb_attach w1 g pg pg
tb_attach w1 n pn pn
declare -A POD=([gw]=pg [nat]=pn)

tcp() { bench_tcp "${POD[$1]}" out 192.0.2.100 "${@:2}"; }
udp64() { bench_udp64 "${POD[$1]}" out 192.0.2.100; }
conns() { bench_conns "${POD[$1]}" out 192.0.2.100 "$2"; }

declare -A R
port=7000
for round in $(seq "$ROUNDS"); do
	for m in gw nat; do
		R[$m,up,$round]=$(tcp "$m")
		R[$m,down,$round]=$(tcp "$m" -R)
		R[$m,udp,$round]=$(udp64 "$m")
		R[$m,c,$round]=$(conns "$m" "$port")
		port=$((port + 1))
	done
done

# --- failover ----------------------------------------------------------------
# New connections every 20 ms from pg; one gateway's daemon is SIGKILLed
# (its control link closes at once) or cut off (its underlay link set
# down: silence until egress.failoverMs): the time from then until the
# first of ten connections in a row that all succeed (each attempt a new
# flow, so about half of them would hash to the failed gateway).
tb_bg out "$PY" "$SLUICE_SRC/tests/tools/whoami.py" serve 6999 600
sleep 0.3
failover() {	# failover kill|cut: milliseconds in MS (in this shell: it
		# restarts gw1, whose PID the clean-up must know)
	local how=$1 t0 ok=0 n=0 t ts streak=0
	t0=$(date +%s%N)
	if [ "$how" = kill ]; then
		kill -KILL "${TB_PID[gw1]}"
		wait "${TB_PID[gw1]}" 2>/dev/null || true
		unset "TB_PID[gw1]"
	else
		tb_exec gw1 ip link set ul0 down
	fi
	while [ "$ok" -lt 10 ] && [ "$n" -lt 500 ]; do
		ts=$(date +%s%N)
		if tb_exec pg timeout -k 1 1 "$PY" "$SLUICE_SRC/tests/tools/whoami.py" \
		    tcp 192.0.2.100 6999 >/dev/null 2>&1; then
			[ "$ok" -eq 0 ] && streak=$ts
			ok=$((ok + 1))
		else
			ok=0
		fi
		n=$((n + 1))
		sleep 0.02
	done
	# From the failure to the start of the first attempt of the streak.
	t=$(( (streak - t0) / 1000000 ))
	if [ "$how" = kill ]; then
		tb_daemon_start gw1
	else
		tb_exec gw1 ip link set ul0 up
	fi
	tb_wait_peers w1 2
	sleep 1.5	# healthy again, for the next round
	MS=$t
}
for round in $(seq "$ROUNDS"); do
	failover kill
	R[fk,$round]=$MS
	failover cut
	R[fc,$round]=$MS
done

row() {
	local g n
	g=$(bench_median "gw,$2")
	n=$(bench_median "nat,$2")
	printf '%-40s %12s %12s %8s\n' "$1" "$g" "$n" "$(bench_ratio "$g" "$n")"
}
printf '\n%-40s %12s %12s %8s\n' "$SECS s each, median of $ROUNDS" "gateway" "natOutgoing" ratio
row "TCP 1 stream, pod -> outside (Gbit/s)" up
row "TCP 1 stream, outside -> pod (Gbit/s)" down
row "UDP 64 B, pod -> outside (pkt/s)" udp
row "new TCP connections/s" c
echo
echo "failover, group of 2, median of $ROUNDS (ten connections in a row through again):"
echo "  gateway daemon killed (link closes):   $(bench_median fk) ms"
echo "  gateway cut off (underlay down):       $(bench_median fc) ms (egress.failoverMs 1000)"
printf 'raw:'
for k in fk fc; do for round in $(seq "$ROUNDS"); do printf ' %s=%s' "$k" "${R[$k,$round]}"; done; done
echo
echo "machine: $(nproc) cores"
