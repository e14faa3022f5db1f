#!/usr/bin/env bash
# Reloads and signals while control links are half-made:
#  - SIGHUPs while a link to a silent peer is still unauthenticated (the
#    peer table is rebuilt under it) leave the daemon running;
#  - a SIGHUP right at start-up does not kill the daemon;
#  - more unauthenticated connections than allowed from one node are
#    refused and counted, and a real peer still gets in.
#
#        sw (br0)
#     /     |      \
#  node-a  node-b   node-c
#  .1      .2       .3
#  sluiced silent   sluiced
#          listener
. "$(dirname "$0")/lib.sh"

TB_DEAD_MS=3000
tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_node node-c 192.0.2.3
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24 node-c:10.244.3.0/24
# node-b takes connections on the control port and never says a word.
tb_exec node-b "$PY" "$SLUICE_SRC/tests/tools/tcp_hold.py" listen 192.0.2.2 4790 30 &
TB_PID[holder]=$!
sleep 0.3
tb_daemon_start node-a
sleep 0.5	# node-a (sorts first) has dialled node-b: a link waiting for a hello

# Reload while that link is pending, several times; the manifest also
# drops node-c and brings it back, so links are closed and re-made.
for i in 1 2 3; do
	kill -HUP "${TB_PID[node-a]}"
	sleep 0.2
done
"$PY" -c '
import sys
docs = open(sys.argv[1]).read().split("---\n")
open(sys.argv[1], "w").write("---\n".join(d for d in docs if "name: node-c" not in d))
' "$TB_TMP/node-a/manifests/cluster.yaml"
kill -HUP "${TB_PID[node-a]}"
sleep 0.3
cp "$TB_TMP/cluster.yaml" "$TB_TMP/node-a/manifests/cluster.yaml"
kill -HUP "${TB_PID[node-a]}"
sleep 0.3
kill -0 "${TB_PID[node-a]}" 2>/dev/null || tb_fail "node-a died during reloads with a pending link"
# Start, five SIGHUPs, and the two file changes the directory watcher
# reloads on by itself.
for _ in $(seq 30); do
	gen=$(tb_json node-a 'j["manifests"]["generation"]' status)
	[ "$gen" = 8 ] && break
	sleep 0.1
done
tb_assert_eq "reloads accepted" 8 "$gen"

# A SIGHUP during start-up (here 100 ms in, while the ASan build is still
# opening its store and TUN) is taken as a reload.
tb_daemon_stop node-a
ip netns exec "$(tb_ns_name node-a)" "$SLUICED" --foreground \
    --config "$TB_TMP/node-a/sluiced.yaml" >>"$TB_TMP/node-a/log" 2>&1 &
TB_PID[node-a]=$!
sleep 0.1
kill -HUP "${TB_PID[node-a]}"
tb_wait_ready node-a
sleep 0.3
kill -0 "${TB_PID[node-a]}" 2>/dev/null || tb_fail "a SIGHUP during start-up killed node-a"

# Ten silent connections from node-c's address: four are kept waiting for
# a hello, the rest are refused at once.
closed=$(tb_exec node-c "$PY" "$SLUICE_SRC/tests/tools/tcp_hold.py" connect 192.0.2.3 192.0.2.1 4790 10 2)
[ "$closed" -ge 6 ] || tb_fail "only $closed of 10 silent connections refused"
lim=$(tb_json node-a 'j["links"]["refusedLimit"]' stats)
[ "$lim" -ge 6 ] || tb_fail "refusedLimit is $lim"
# node-c's real daemon still gets its link.
tb_daemon_start node-c
for i in $(seq 60); do
	[ "$(tb_json node-a "[p['state'] for p in j if p['name'] == 'node-c'][0]" peers)" = up ] && break
	sleep 0.1
done
tb_assert_eq "node-c up on node-a after the flood" up \
    "$(tb_json node-a "[p['state'] for p in j if p['name'] == 'node-c'][0]" peers)"
tb_daemon_stop node-a
tb_log "PASS (refusedLimit $lim)"
