#!/usr/bin/env bash
# What NAT outgoing costs, end to end: a pod of a natOutgoing pool talks
# to a host outside the cluster through sluiced's NAT, side by side with
# a pod of the same node in a pool without natOutgoing (the outside host
# routes that pool to the node), and with the kernel alone: a pod on a
# plain veth of a node that only forwards, and, with
# SLUICE_BENCH_KERNEL_NAT=1, one behind the kernel's own NAT (iptables
# MASQUERADE inside the test's namespace; it loads the kernel's
# netfilter NAT modules, which are machine-wide). Run by hand as
# root (not part of the test command); prints each figure and the ratios
# NAT/direct.
#
#   bench/nat.sh [SECONDS-PER-TEST] [ROUNDS]   (defaults 5 and 1)
#
#                     sw (br0)
#        /               |                \
#   node 192.0.2.1    out 192.0.2.100    kern 192.0.2.3
#   sluiced           iperf3, nat_conn   kernel forwarding
#   s-nat 10.244.1.5  (routes 10.250/16  k-dir 10.251.1.5 (routed)
#    (natOutgoing)     via node,         k-nat 10.252.1.5 (MASQUERADE)
#   s-dir 10.250.1.5   10.251/16 via kern)
#
# Where the packets go: everything the sluiced pods send goes through
# the TUN (both pools; the direct pool is handed straight back), and so
# does what the outside sends them (replies to s-nat to be translated,
# and, by the rule "iif ul0 to <pool>", those to s-dir as well).
#
# Measured: TCP throughput, 1 stream, both ways (iperf3; pod -> out and
# out -> pod with -R), 64-byte UDP packets/s received from the pod (the
# one test whose packets take the same path in both pools, so the
# difference is NAT's work alone), sluiced's CPU during each of those,
# and new TCP connections/s (connect then close,
# NAT_BENCH_CONNS connections, default 2000, with 1 and 4 clients), each
# to a server port of its own: one destination has only 4535 NAT ports
# and a closed flow keeps its port for 120 s. With ROUNDS > 1 the modes
# are interleaved and medians printed. Then, once: connections to one
# destination until its NAT ports run out. Every load is bounded in time;
# everything is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${2:-1}
CONNS=${NAT_BENCH_CONNS:-2000}
[ "$CONNS" -le 4000 ] || { echo "nat.sh: NAT_BENCH_CONNS must stay below the 4535 NAT ports of one destination" >&2; exit 2; }

bash scripts/deps.sh
command -v iperf3 >/dev/null || { apt-get install -y -qq iperf3 >/dev/null; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=bench-nat
CONN="$TB_TMP/nat_conn"
cc -O2 -Wall -o "$CONN" bench/nat_conn.c

# --- topology ------------------------------------------------------------
tb_switch
tb_node node 192.0.2.1
tb_host out 192.0.2.100
tb_node kern 192.0.2.3
tb_manifest node <<'YAML'
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
metadata: {name: node}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24, 10.250.1.0/24]}
YAML
tb_pod node s-nat 10.244.1.5
tb_pod node s-dir 10.250.1.5
tb_pod kern k-dir 10.251.1.5
tb_pod kern k-nat 10.252.1.5
tb_exec out ip route add 10.250.0.0/16 via 192.0.2.1
tb_exec out ip route add 10.251.0.0/16 via 192.0.2.3
tb_exec kern sysctl -qw net.ipv4.ip_forward=1
modes="sn sd kd"
if [ "${SLUICE_BENCH_KERNEL_NAT:-0}" != 1 ]; then
	tb_log "kernel NAT column left out (SLUICE_BENCH_KERNEL_NAT=1 adds it)"
elif tb_exec kern iptables -t nat -A POSTROUTING -s 10.252.0.0/16 -o ul0 \
    -j MASQUERADE 2>/dev/null; then
	modes="sn sd kd kn"
else
	tb_log "no iptables NAT in this kernel: the kernel NAT column is left out"
fi
tb_daemon_start node

declare -A POD=([sn]=s-nat [sd]=s-dir [kd]=k-dir [kn]=k-nat)
declare -A SEEN=([sn]='^192\.0\.2\.1 6[1-5][0-9]{3}$' [sd]='^10\.250\.1\.5 '
    [kd]='^10\.251\.1\.5 ' [kn]='^192\.0\.2\.3 ')

# Each path works, and the outside sees the source it should.
ip netns exec "$(tb_ns_name out)" "$PY" "$SLUICE_SRC/tests/tools/whoami.py" \
    serve 6999 10 >/dev/null 2>&1 &
who=$!
sleep 0.5
for m in $modes; do
	seen=$(tb_exec "${POD[$m]}" "$PY" "$SLUICE_SRC/tests/tools/whoami.py" \
	    tcp 192.0.2.100 6999) || tb_fail "${POD[$m]} cannot reach the outside"
	tb_assert_match "source seen from ${POD[$m]}" "${SEEN[$m]}" "$seen"
done
kill "$who" 2>/dev/null || true
wait "$who" 2>/dev/null || true

# --- measurements --------------------------------------------------------
# sluiced's CPU time (user + system, in clock ticks): a TUN write runs
# the kernel's forwarding of the packet in the writer's system call, so
# this is the data path's whole cost on the node.
cpu_ticks() { awk '{print $14 + $15}' "/proc/${TB_PID[node]}/stat"; }

iperf() {	# iperf MODE ARGS... -> the client's JSON, "sluiced CPU %" in $TB_TMP/cpu
	local srv c0 t0
	ip netns exec "$(tb_ns_name out)" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	c0=$(cpu_ticks)
	t0=$(date +%s%N)
	tb_exec "${POD[$1]}" iperf3 -c 192.0.2.100 -p 5201 -t "$SECS" "${@:2}" -J 2>/dev/null || true
	"$PY" -c "print('%.0f' % (($(cpu_ticks) - $c0) * 1e11 / $(getconf CLK_TCK) / ($(date +%s%N) - $t0)))" >"$TB_TMP/cpu"
	wait "$srv" 2>/dev/null || true
}

tcp() {	# tcp MODE [-R] -> "Gbit/s received" and "sluiced CPU %"
	iperf "$@" | "$PY" -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' ||
	    echo 0
	cat "$TB_TMP/cpu"
}

udp64() {	# udp64 MODE -> "packets/s received" and "sluiced CPU %"
	iperf "$1" -u -l 64 -b 0 | "$PY" -c '
import json, sys
e = json.load(sys.stdin)["end"]["sum"]
print("%.0f" % ((e["packets"] - e["lost_packets"]) / e["seconds"]))' || echo 0
	cat "$TB_TMP/cpu"
}

conns() {	# conns MODE PROCS COUNT PORT -> "OK FAILED SECONDS"
	local srv port=$4 limit=$((SECS * 2 > 20 ? SECS * 2 : 20))
	# Not through tb_exec (a function: $! would be a subshell's).
	ip netns exec "$(tb_ns_name out)" "$CONN" serve "$port" \
	    $((limit + 2)) >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	tb_exec "${POD[$1]}" "$CONN" connect 192.0.2.100 "$port" "$3" "$2" "$limit"
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
}

rate() {	# rate "OK FAILED SECONDS" -> connections/s; notes failures
	set -- $1
	[ "$2" -eq 0 ] || echo "  (note: $2 connections failed)" >&2
	"$PY" -c "print('%.0f' % ($1 / $3))"
}

declare -A R
port=7000	# a fresh server port, so a fresh destination, per figure
for round in $(seq "$ROUNDS"); do
	for m in $modes; do
		read -r R[$m,up,$round] R[$m,upcpu,$round] < <(tcp "$m" | paste -sd' ')
		read -r R[$m,down,$round] R[$m,downcpu,$round] < <(tcp "$m" -R | paste -sd' ')
		read -r R[$m,udp,$round] R[$m,udpcpu,$round] < <(udp64 "$m" | paste -sd' ')
		R[$m,c1,$round]=$(rate "$(conns "$m" 1 "$CONNS" "$port")")
		R[$m,c4,$round]=$(rate "$(conns "$m" 4 "$CONNS" $((port + 1)))")
		port=$((port + 2))
	done
done

median() {	# median KEY-PREFIX
	local v=()
	for round in $(seq "$ROUNDS"); do v+=("${R[$1,$round]}"); done
	printf '%s\n' "${v[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

ratio() { "$PY" -c "print('%.3f' % ($1 / $2) if $2 else 'n/a')"; }

# --- one destination's ports used up ---------------------------------------
# 5000 connections to one remote:port: the first 4535 get a NAT port
# (each kept 120 s after its close), the rest are refused at once with
# ICMP administratively prohibited.
before=$(tb_stat node drop_nat_no_port)
read -r ex_ok ex_bad ex_secs < <(conns sn 1 5000 6998)
after=$(tb_stat node drop_nat_no_port)
flows=$(tb_json node 'j["counters"]["flows"]' conntrack)

# --- table -----------------------------------------------------------------
printf '\n%-34s %10s %10s %8s %10s %10s %8s\n' "pod -> outside, $SECS s each" \
    "sl NAT" "sl direct" "ratio" "k routed" "k NAT" "ratio"
row() {	# row LABEL KEY UNIT
	local sn sd kd kn="-" kr="-"
	sn=$(median "sn,$2")
	sd=$(median "sd,$2")
	kd=$(median "kd,$2")
	if [[ " $modes " == *" kn "* ]]; then
		kn=$(median "kn,$2")
		kr=$(ratio "$kn" "$kd")
	fi
	printf '%-34s %10s %10s %8s %10s %10s %8s\n' "$1 ($3)" "$sn" "$sd" \
	    "$(ratio "$sn" "$sd")" "$kd" "$kn" "$kr"
}
cpurow() {	# cpurow KEY
	local sn sd
	sn=$(median "sn,$1")
	sd=$(median "sd,$1")
	printf '%-34s %10s %10s %8s\n' "  sluiced CPU (%)" "$sn" "$sd" \
	    "$(ratio "$sn" "$sd")"
}
row "TCP 1 stream, pod -> out" up Gbit/s
cpurow upcpu
row "TCP 1 stream, out -> pod" down Gbit/s
cpurow downcpu
row "UDP 64 B, pod -> out" udp pkt/s
cpurow udpcpu
row "new TCP conns, 1 client" c1 /s
row "new TCP conns, 4 clients" c4 /s
echo "(sl = sluiced, k = the kernel alone; ratios are NAT/direct, NAT/routed;"
echo " sluiced CPU: its user + system time over the test, 100% = one core)"
echo
echo "one destination, 5000 connections in a row: $ex_ok made, $ex_bad refused" \
    "in ${ex_secs}s; sluiced drop_nat_no_port +$((after - before)), flows now $flows"
echo "sluiced: nat_out $(tb_stat node nat_out), nat_in $(tb_stat node nat_in)," \
    "TUN MTU $(tb_exec node cat /sys/class/net/sluice0/mtu)"
printf 'raw, round by round:'
for m in $modes; do
	for k in up upcpu down downcpu udp udpcpu c1 c4; do
		[[ $m == k* && $k == *cpu ]] && continue
		printf ' %s.%s=' "$m" "$k"
		for round in $(seq "$ROUNDS"); do
			printf '%s%s' "${R[$m,$k,$round]}" "$([ "$round" -lt "$ROUNDS" ] && echo /)"
		done
	done
done
echo
echo "rounds: $ROUNDS (median shown), $CONNS connections per figure," \
    "machine: $(nproc) cores"
