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
#   10.244.1.0/24      10.244.2.0/24       10.244.3.0/24    (pod blocks)
#   pod-a1 .10         pod-b1 .10          pod-c1 .10
#   pod-a2 .11
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=demo
TB_DEAD_MS=1500

step() { printf '\n=== %s\n' "$*"; }

step "building the underlay (a switch and three nodes) and four pods"
tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_node node-c 192.0.2.3
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24 node-c:10.244.3.0/24
tb_pod node-a pod-a1 10.244.1.10
tb_pod node-a pod-a2 10.244.1.11
tb_pod node-b pod-b1 10.244.2.10
tb_pod node-c pod-c1 10.244.3.10
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

step "20 MB of TCP from pod-a1 to pod-c1, checked end to end"
tb_exec pod-c1 "$PY" tests/tools/xfer.py tcp-server 5001 60 >"$TB_TMP/rx" &
srv=$!
sleep 0.3
start=$(date +%s%N)
sent=$(tb_exec pod-a1 "$PY" tests/tools/xfer.py tcp-client 10.244.3.10 5001 20000000)
wait $srv
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "sent     $sent"
echo "received $(cat "$TB_TMP/rx")  ($ms ms)"

step "node-c's daemon is killed: the others withdraw its block within the dead interval (${TB_DEAD_MS} ms)"
kill -KILL "${TB_PID[node-c]}"
wait "${TB_PID[node-c]}" 2>/dev/null || true
unset "TB_PID[node-c]"
sleep 2.2
tb_ctl node-a peers
tb_exec pod-a1 ping -c 1 -W 1 10.244.3.10 2>&1 | grep -E "Unreachable|unreachable|received" || true

step "node-c comes back: its block is routed again"
tb_daemon_start node-c
tb_wait_peers node-a 2
tb_exec pod-a1 ping -c 2 -q 10.244.3.10 | tail -2

step "sluicectl stats (node-a)"
tb_ctl node-a stats | grep -vE ' 0$'

step "stopping every node with SIGTERM (the TUN and routes stay for the next start)"
for n in node-a node-b node-c; do
	tb_daemon_stop "$n"
	echo "$n: stopped cleanly"
done
step "done; the test bed removes its namespaces on exit"
