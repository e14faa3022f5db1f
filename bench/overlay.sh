#!/usr/bin/env bash
# Pod-to-pod performance through sluiced against the kernel's own VXLAN,
# on identical namespaces, in one run. Run by hand as root (not part of the
# test command); prints each figure and the ratio sluiced/kernel.
#
#   bench/overlay.sh [SECONDS-PER-TEST] [ROUNDS]   (defaults 5 and 1)
#
# Two identical topologies exist side by side:
#
#   s-sw (br0)                         k-sw (br0)
#   s-a 192.0.2.1 --- s-b 192.0.2.2    k-a 192.0.2.1 --- k-b 192.0.2.2
#   sluiced            sluiced         kernel vx0        kernel vx0
#   s-pa 10.244.1.10   s-pb 10.244.2.10  k-pa 10.244.1.10  k-pb 10.244.2.10
#
# Measured: TCP throughput with 1 and 4 streams, 64-byte UDP packets/s
# received, ping RTT, and (sluiced only) the traffic gap of a restart under
# load. With ROUNDS > 1 the modes are interleaved and medians printed.
# Every load is bounded in time; everything is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${2:-1}

bash scripts/deps.sh
command -v iperf3 >/dev/null || { apt-get install -y -qq iperf3 >/dev/null; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=bench

# --- sluiced topology --------------------------------------------------
tb_switch
tb_node s-a 192.0.2.1
tb_node s-b 192.0.2.2
tb_cluster 10.244.0.0/16 s-a:10.244.1.0/24 s-b:10.244.2.0/24
tb_pod s-a s-pa 10.244.1.10
tb_pod s-b s-pb 10.244.2.10
tb_daemon_start s-a
tb_daemon_start s-b
tb_wait_peers s-a 1

# --- kernel VXLAN topology: the same, with vx0 instead of sluiced -----
# (tb_switch made "sw"; the kernel side gets its own switch namespace.)
ksw=$(tb_ns_name k-sw)
tb_ns k-sw
ip -n "$ksw" link add br0 type bridge
ip -n "$ksw" link set br0 up
kport=0
knode() {	# knode NAME ADDR BLOCK PEER-ADDR PEER-BLOCK
	local n=$1 ns
	tb_ns "$n"
	ns=$(tb_ns_name "$n")
	kport=$((kport + 1))
	ip -n "$ns" link add ul0 type veth peer name "k$kport" netns "$ksw"
	ip -n "$ksw" link set "k$kport" master br0 up
	ip -n "$ns" addr add "$2/24" dev ul0
	ip -n "$ns" link set ul0 up
	TB_ADDR[$n]=$2
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$ns" link add vx0 type vxlan id 1 dstport 4789 local "$2" dev ul0 nolearning
	ip -n "$ns" link set vx0 mtu 1450 up
	ip -n "$ns" addr add "${3%.0/24}.1/32" dev vx0
	ip -n "$ns" route add "$5" via "${5%.0/24}.1" dev vx0 onlink
	bridge -n "$ns" fdb append 00:00:00:00:00:00 dev vx0 dst "$4"
}
knode k-a 192.0.2.1 10.244.1.0/24 192.0.2.2 10.244.2.0/24
knode k-b 192.0.2.2 10.244.2.0/24 192.0.2.1 10.244.1.0/24
# The vx0 MACs are only known now: static neighbours for the gateways.
amac=$(ip -n "$(tb_ns_name k-a)" -br link show vx0 | awk '{print $3}')
bmac=$(ip -n "$(tb_ns_name k-b)" -br link show vx0 | awk '{print $3}')
ip -n "$(tb_ns_name k-a)" neigh add 10.244.2.1 lladdr "$bmac" dev vx0 nud permanent
ip -n "$(tb_ns_name k-b)" neigh add 10.244.1.1 lladdr "$amac" dev vx0 nud permanent
tb_pod k-a k-pa 10.244.1.10
tb_pod k-b k-pb 10.244.2.10
tb_exec k-pa ping -c 1 -W 2 -q 10.244.2.10 >/dev/null || tb_fail "kernel VXLAN path does not work"
tb_exec s-pa ping -c 1 -W 2 -q 10.244.2.10 >/dev/null || tb_fail "sluiced path does not work"

# --- measurements --------------------------------------------------------
# CPU time (user + system, clock ticks) of both sluiced daemons.
sl_ticks() {
	awk '{t += $14 + $15} END {print t}' "/proc/${TB_PID[s-a]}/stat" \
	    "/proc/${TB_PID[s-b]}/stat"
}

tcp() {	# tcp MODE STREAMS -> Gbit/s received, and (sluiced) CPU s per GB
	local srv c0 gbps
	tb_exec "$1-pb" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	c0=$(sl_ticks)
	gbps=$(tb_exec "$1-pa" iperf3 -c 10.244.2.10 -p 5201 -t "$SECS" -P "$2" -J 2>/dev/null |
	    "$PY" -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))')
	wait $srv 2>/dev/null || true
	# Both nodes' daemons: CPU seconds over gigabytes moved.
	"$PY" -c "g = $gbps * $SECS / 8; print('$gbps', '%.2f' % (($(sl_ticks) - $c0) / $(getconf CLK_TCK) / g) if '$1' == 's' and g > 0 else '-')"
}

udp64() {	# udp64 MODE -> packets/s received
	local srv
	tb_exec "$1-pb" iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	tb_exec "$1-pa" iperf3 -c 10.244.2.10 -p 5202 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
	    "$PY" -c '
import json, sys
e = json.load(sys.stdin)["end"]["sum"]
print("%.0f" % ((e["packets"] - e["lost_packets"]) / e["seconds"]))'
	wait $srv 2>/dev/null || true
}

rtt() {	# rtt MODE -> average ms over 200 pings
	tb_exec "$1-pa" ping -q -c 200 -i 0.005 10.244.2.10 |
	    sed -n 's|.* = [0-9.]*/\([0-9.]*\)/.*|\1|p'
}

declare -A R
for round in $(seq "$ROUNDS"); do
	for mode in s k; do
		read -r R[$mode,tcp1,$round] R[$mode,cpu1,$round] < <(tcp $mode 1)
		read -r R[$mode,tcp4,$round] R[$mode,cpu4,$round] < <(tcp $mode 4)
		R[$mode,udp64,$round]=$(udp64 $mode)
		R[$mode,rtt,$round]=$(rtt $mode)
	done
done

median() {	# median KEY-PREFIX
	local v=()
	for round in $(seq "$ROUNDS"); do v+=("${R[$1,$round]}"); done
	printf '%s\n' "${v[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# Restart under load: pings every 5 ms across a SIGTERM + start of s-b.
tb_exec s-pa ping -q -i 0.005 -c 800 -W 1 10.244.2.10 >"$TB_TMP/restart-ping" 2>&1 &
pinger=$!
sleep 1
t0=$(date +%s%N)
tb_daemon_stop s-b
tb_daemon_start s-b
restart_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $pinger || true
lost=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TB_TMP/restart-ping")
lost=$((800 - ${lost:-0}))

printf '\n%-28s %12s %12s %8s\n' "pod to pod, $SECS s each" sluiced kernel ratio
row() {	# row LABEL KEY UNIT
	local s k
	s=$(median "s,$2")
	k=$(median "k,$2")
	printf '%-28s %12s %12s %8s\n' "$1 ($3)" "$s" "$k" \
	    "$("$PY" -c "print('%.3f' % ($s / $k) if $k else 'n/a')")"
}
row "TCP, 1 stream" tcp1 Gbit/s
row "TCP, 4 streams" tcp4 Gbit/s
row "UDP 64-byte packets" udp64 pkt/s
row "ping RTT" rtt ms
printf '%-28s %12s\n' "sluiced CPU, TCP 1 stream" "$(median s,cpu1) s/GB"
printf '%-28s %12s\n' "sluiced CPU, TCP 4 streams" "$(median s,cpu4) s/GB"
echo "(CPU: user + system seconds of both nodes' daemons per gigabyte received)"
echo
echo "restart of sluiced under load (SIGTERM, start, ready): ${restart_ms} ms;" \
    "pings lost at 5 ms intervals: $lost of 800 (gap about $((lost * 5)) ms)"
echo "rounds: $ROUNDS (median shown), machine: $(nproc) cores"
