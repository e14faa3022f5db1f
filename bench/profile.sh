#!/usr/bin/env bash
# Where a sluiced's time goes while it carries one TCP stream from a pod
# to a pod of another node: perf samples both daemons (the sender's and
# the receiver's) for the length of an iperf3 run, and the top symbols
# of each, with the kernel's share, are printed. Run by hand as root (not
# part of the test command); needs perf (linux-perf).
#
#   bench/profile.sh [SECONDS] [TOP]   (defaults 6 and 25)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-6}
TOP=${2:-25}

bash scripts/deps.sh
command -v iperf3 >/dev/null || { apt-get install -y -qq iperf3 >/dev/null; }
command -v perf >/dev/null || { apt-get install -y -qq linux-perf >/dev/null; }
cmake -S . -B build-prof -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-prof -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build-prof SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=profile

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24
tb_pod node-a pa 10.244.1.5
tb_pod node-b pb 10.244.2.5
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_exec pa ping -c 2 -W 2 -q 10.244.2.5 >/dev/null || tb_fail "pa cannot reach pb"

ip netns exec "$(tb_ns_name pb)" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
srv=$!
sleep 0.3
perf record -q -g -o "$TB_TMP/a.data" -p "${TB_PID[node-a]}" -- sleep "$SECS" \
    >/dev/null 2>&1 &
pa=$!
perf record -q -g -o "$TB_TMP/b.data" -p "${TB_PID[node-b]}" -- sleep "$SECS" \
    >/dev/null 2>&1 &
pb=$!
gbps=$(tb_exec pa iperf3 -c 10.244.2.5 -p 5201 -t "$SECS" -J 2>/dev/null |
    "$PY" -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' || echo "?")
wait "$pa" "$pb" 2>/dev/null || true
wait "$srv" 2>/dev/null || true
echo "TCP 1 stream pa -> pb: $gbps Gbit/s while sampled"
for n in a b; do
	echo
	echo "=== sluiced of node-$n ($([ $n = a ] && echo sender || echo receiver)): top $TOP symbols, self time"
	perf report -q -i "$TB_TMP/$n.data" --no-children --sort symbol \
	    --percent-limit 0.5 --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n "$TOP"
done
