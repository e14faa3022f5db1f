#!/usr/bin/env bash
# NAT outgoing at scale: 10,000 concurrent TCP connections from a pod of
# a natOutgoing pool to an outside host all complete, each with its own
# translated port (spread over 4 server ports: one destination has 4,535
# ports in the default range), and conntrack holds them all; the node's
# own connections keep working meanwhile.
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"
N=${NAT_SCALE_CONNS:-10000}

# Each end holds N sockets open.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 12000 ] ||
    tb_fail "this test needs 12000 open files per process; the hard limit is $(ulimit -Hn)"

tb_switch
tb_node node-a 192.0.2.1
tb_host out 192.0.2.100
tb_manifest node-a <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: nat}
spec: {cidr: 10.244.0.0/16, blockSize: 24, natOutgoing: true}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24]}
YAML
tb_pod node-a p1 10.244.1.5
tb_daemon_start node-a

tb_bg out bash -c "ulimit -n 12000 && exec $PY $WHOAMI serve 7000 120 4"
sleep 0.5

t0=$(date +%s.%N)
tb_exec p1 bash -c "ulimit -n 12000 && exec $PY $WHOAMI tcp-many 192.0.2.100 7000 $N 90 4" \
    >"$TB_TMP/many" &
many=$!
# The node's own traffic while the pod's connections pile up.
for i in 1 2 3; do
	sleep 1
	seen=$(tb_exec node-a "$PY" "$WHOAMI" tcp 192.0.2.100 7000) ||
	    tb_fail "the node's own TCP during the load"
	tb_assert_match "the node's own source port" "^192\.0\.2\.1 (3[2-9]|[45][0-9]|60)[0-9]{3}$" "$seen"
done
wait $many || tb_fail "tcp-many failed: $(cat "$TB_TMP/many")"
t1=$(date +%s.%N)
read -r got distinct <"$TB_TMP/many"
tb_assert_eq "connections answered" "$N" "$got"
tb_assert_eq "distinct translated addr:port seen outside" "$N" "$distinct"
created=$(tb_json node-a 'j["counters"]["created"]' conntrack)
[ "$created" -ge "$N" ] || tb_fail "conntrack created $created flows for $N connections"
tb_assert_eq "no flow refused" "0 0" "$(tb_json node-a 'j["counters"]["droppedFull"], j["counters"]["droppedNoPort"]' conntrack | tr -d '(),')"
top=$(tb_json node-a 'j["destinations"][0]["portsUsed"]' conntrack)
tb_log "busiest destination uses $top ports"
tb_log "PASS ($N concurrent connections in $(echo "$t1 - $t0" | bc) s)"
