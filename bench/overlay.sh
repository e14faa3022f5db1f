#!/usr/bin/env bash
# Pod-to-pod performance through sluiced against the kernel's own VXLAN,
# on identical namespaces, in one run. Run by hand as root (not part of the
# test command); prints each figure and the ratio sluiced/kernel.
#
#   bench/overlay.sh [SECONDS-PER-TEST] [ROUNDS]   (defaults 5 and 1)
#   WORKERS=N bench/overlay.sh ...   sluiced with overlay.workers N
#
# Two identical topologies exist side by side (bench_overlay_pair in
# bench/lib.sh): pods s-pa -> s-pb through sluiced, k-pa -> k-pb through
# the kernel's VXLAN.
#
# Measured: TCP throughput with 1 and 4 streams, 64- and 1400-byte UDP
# packets/s received, ping RTT (pings 5 ms apart, and back to back), CPU
# seconds of sluiced per GB, and (sluiced only) the traffic gap of a
# restart under load. With ROUNDS > 1 the modes are interleaved and
# medians printed.
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

. bench/lib.sh
bench_overlay_pair

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

udp() {	# udp MODE LEN -> packets/s received
	local srv
	tb_exec "$1-pb" iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	tb_exec "$1-pa" iperf3 -c 10.244.2.10 -p 5202 -u -l "$2" -b 0 -t "$SECS" -J 2>/dev/null |
	    "$PY" -c '
import json, sys
e = json.load(sys.stdin)["end"]["sum"]
print("%.0f" % ((e["packets"] - e["lost_packets"]) / e["seconds"]))'
	wait $srv 2>/dev/null || true
}

rtt() {	# rtt MODE INTERVAL -> average ms over 200 (0: 1000 back to back)
	local c=200
	[ "$2" = 0 ] && c=1000
	tb_exec "$1-pa" ping -q -c $c -i "$2" 10.244.2.10 |
	    sed -n 's|.* = [0-9.]*/\([0-9.]*\)/.*|\1|p'
}

declare -A R
for round in $(seq "$ROUNDS"); do
	for mode in s k; do
		read -r R[$mode,tcp1,$round] R[$mode,cpu1,$round] < <(tcp $mode 1)
		read -r R[$mode,tcp4,$round] R[$mode,cpu4,$round] < <(tcp $mode 4)
		R[$mode,udp64,$round]=$(udp $mode 64)
		R[$mode,udp1400,$round]=$(udp $mode 1400)
		R[$mode,rtt,$round]=$(rtt $mode 0.005)
		R[$mode,rttbb,$round]=$(rtt $mode 0)
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

printf '\n%-32s %12s %12s %8s\n' "pod to pod, $SECS s each" sluiced kernel ratio
row() {	# row LABEL KEY UNIT
	local s k
	s=$(median "s,$2")
	k=$(median "k,$2")
	printf '%-32s %12s %12s %8s\n' "$1 ($3)" "$s" "$k" \
	    "$("$PY" -c "print('%.3f' % ($s / $k) if $k else 'n/a')")"
}
row "TCP, 1 stream" tcp1 Gbit/s
row "TCP, 4 streams" tcp4 Gbit/s
row "UDP 64-byte packets" udp64 pkt/s
row "UDP 1400-byte packets" udp1400 pkt/s
row "ping RTT, 5 ms apart" rtt ms
row "ping RTT, back to back" rttbb ms
printf '%-32s %12s\n' "sluiced CPU, TCP 1 stream" "$(median s,cpu1) s/GB"
printf '%-32s %12s\n' "sluiced CPU, TCP 4 streams" "$(median s,cpu4) s/GB"
echo "(CPU: user + system seconds of both nodes' daemons per gigabyte received)"
echo
echo "restart of sluiced under load (SIGTERM, start, ready): ${restart_ms} ms;" \
    "pings lost at 5 ms intervals: $lost of 800 (gap about $((lost * 5)) ms)"
echo "rounds: $ROUNDS (median shown), machine: $(nproc) cores," \
    "sluiced workers: $(tb_json s-a 'j["overlay"]["workers"]' status)"
