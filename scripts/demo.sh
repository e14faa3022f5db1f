#!/usr/bin/env bash
# The main job: a small sluice cluster in network namespaces on this one
# machine, using the embedded defaults. Run as root on Debian 12; it
# installs what it needs, builds, shows what the cluster does and removes
# everything it made when it ends (also on Ctrl-C).
#
#                 sw (br0, the underlay LAN 192.0.2.0/24)
#            /           |            \
#      node-a          node-b          node-c
#   192.0.2.1        192.0.2.2        192.0.2.3
#    sluiced          sluiced          sluiced
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=demo

step() { printf '\n=== %s\n' "$*"; }

step "building the underlay: a switch and three nodes"
tb_switch
nodes=(node-a node-b node-c)
for i in 0 1 2; do
	tb_node "${nodes[$i]}" "192.0.2.$((i + 1))"
	echo "${nodes[$i]}: ul0 192.0.2.$((i + 1))/24"
done

step "starting sluiced on every node"
for n in "${nodes[@]}"; do
	tb_daemon_start "$n"
	echo "$n: sluiced pid ${TB_PID[$n]} ready"
done

step "sluicectl status (node-a)"
tb_ctl node-a status

step "sluicectl --json status | node and underlay of each node"
for n in "${nodes[@]}"; do
	tb_json "$n" '"%-7s %-10s underlay %s (%s, mtu %s)" % (j["node"], j["state"], j["underlay"]["address"], j["underlay"]["interface"], j["underlay"]["mtu"])' status
done

step "sluicectl version (node-b)"
tb_ctl node-b version

step "a bad manifest is rejected on SIGHUP; the set in force stays"
printf 'apiVersion: v1\nkind: Nonsense\nmetadata:\n  name: Bad_Name\n' \
    >"$TB_TMP/node-c/manifests/bad.yaml"
kill -HUP "${TB_PID[node-c]}"
sleep 0.5
tb_json node-c '"generation %s, reloads failed %s:\n%s" % (j["manifests"]["generation"], j["manifests"]["reloadsFailed"], j["manifests"]["lastError"])' status

step "stopping every node with SIGTERM"
for n in "${nodes[@]}"; do
	tb_daemon_stop "$n"
	echo "$n: stopped cleanly; socket removed: $([ -e "$(tb_sock "$n")" ] && echo no || echo yes)"
done
step "done; the test bed removes its namespaces on exit"
