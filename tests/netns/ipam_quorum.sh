#!/usr/bin/env bash
# Blocks are claimed by quorum: a majority of the managed nodes must
# acknowledge a claim, so two nodes never own the same block, and a node
# cut off from the majority cannot claim (it keeps using its own blocks).
#
#             sw (br0)
#      /         |          \
#  node-a .1   node-b .2   node-c .3     pool tiny 10.248.0.0/26, blocks /28
#                                        (4 blocks, 62 usable addresses)
#
# 1. Three nodes allocate in parallel from a pool too small for all of
#    them: every block ends up with one owner that all three agree on, no
#    address is handed out twice, and the pool is used to the last block.
# 2. With node-b and node-c stopped, node-a (1 of 3) cannot claim a block:
#    the request waits cluster.claimTimeoutMs and fails with a reason,
#    while an address from a block node-a owns is still given at once.
# 3. node-b back (2 of 3): node-a claims again.
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_node node-c 192.0.2.3
tb_manifest node-a node-b node-c <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: tiny}
spec:
  cidr: 10.248.0.0/26
  blockSize: 28
---
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: roomy}
spec:
  cidr: 10.249.0.0/24
  blockSize: 28
  namespaceSelector: {matchLabels: {room: "yes"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: roomy, labels: {room: "yes"}}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-b}
spec: {address: 192.0.2.2}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-c}
spec: {address: 192.0.2.3}
YAML
for n in node-a node-b node-c; do
	tb_config "$n" "  claimTimeoutMs: 1500"
	tb_daemon_start "$n"
done
for n in node-a node-b node-c; do tb_wait_peers "$n" 2; done
tb_assert_eq "quorum on" "True 3" "$(tb_json node-a 'j["claims"]["quorum"], j["claims"]["members"]' ipam | tr -d '(),')"

# --- 1. contention for 4 blocks -------------------------------------------
storm() {	# storm NODE COUNT: COUNT allocations on NODE, 8 at a time
	local n=$1 i
	for i in $(seq "$2"); do
		echo "$n-$i"
	done | xargs -P 8 -I{} "$SLUICECTL" --socket "$(tb_sock "$n")" \
	    --timeout 20 --json ipam allocate handle={}/eth0 \
	    >"$TB_TMP/storm-$n" 2>"$TB_TMP/storm-$n.err" || true
}
storm node-a 30 &
s1=$!
storm node-b 30 &
s2=$!
storm node-c 30 &
s3=$!
wait $s1 $s2 $s3
sleep 1	# the last announcements

# Every node's view: blocks and owners; its own allocations.
for n in node-a node-b node-c; do
	tb_json "$n" '"\n".join(sorted(b["block"] + " " + b["owner"] for b in j["blocks"]))' ipam >"$TB_TMP/blocks-$n"
	tb_json "$n" '"\n".join(a["address"] for a in j["allocations"] if a["node"] == "'"$n"'")' ipam >"$TB_TMP/addrs-$n"
done
tb_log "blocks as node-a sees them: $(tr '\n' ',' <"$TB_TMP/blocks-node-a")"
for n in node-b node-c; do
	tb_assert_eq "$n agrees on the owners" "$(cat "$TB_TMP/blocks-node-a")" "$(cat "$TB_TMP/blocks-$n")"
done
nblocks=$(awk '{print $1}' "$TB_TMP/blocks-node-a" | sort -u | wc -l)
tb_assert_eq "each block listed once" "$(wc -l <"$TB_TMP/blocks-node-a")" "$nblocks"
tb_assert_eq "all 4 blocks claimed" 4 "$nblocks"
total=$(cat "$TB_TMP"/addrs-node-* | grep -c . || true)
unique=$(cat "$TB_TMP"/addrs-node-* | grep . | sort -u | wc -l)
tb_assert_eq "no address twice" "$total" "$unique"
# Each address lies in a block its holder owns.
for n in node-a node-b node-c; do
	"$PY" - "$TB_TMP/blocks-node-a" "$TB_TMP/addrs-$n" "$n" <<'PY' || tb_fail "$n holds an address outside its blocks"
import ipaddress, sys
owned = [ipaddress.ip_network(l.split()[0]) for l in open(sys.argv[1])
         if l.strip() and l.split()[1] == sys.argv[3]]
for a in open(sys.argv[2]):
    if a.strip() and not any(ipaddress.ip_address(a.strip()) in b for b in owned):
        sys.exit(1)
PY
done
# 62 usable addresses, 90 asked for: a node that was told "full" has no
# free address left in its blocks, and no block is left to claim.
for n in node-a node-b node-c; do
	got=$(grep -c . "$TB_TMP/addrs-$n" || true)
	free=$(tb_json "$n" 'sum(b["free"] for b in j["blocks"] if b["owner"] == "'"$n"'")' ipam)
	if [ "$got" -lt 30 ]; then
		tb_assert_eq "$n told full with free addresses" 0 "$free"
		grep -q "node $n: pool tiny is full" "$TB_TMP/storm-$n.err" ||
		    tb_fail "$n: $(head -3 "$TB_TMP/storm-$n.err")"
	fi
done
[ "$total" -gt 56 ] || tb_fail "only $total of 62 addresses given out"
tb_log "contention: $total addresses in $nblocks blocks; claims refused on a/b/c: $(for n in node-a node-b node-c; do tb_json $n 'j["claims"]["refused"]' ipam; done | tr '\n' ' ')"

# --- 2. a minority cannot claim ------------------------------------------
# node-a gets a block of the roomy pool while all are up...
tb_ctl node-a ipam allocate handle=r1/eth0 namespace=roomy >/dev/null ||
    tb_fail "roomy allocation with all nodes up"
tb_daemon_stop node-b
tb_daemon_stop node-c
# ... and goes on allocating from it alone,
t0=$(date +%s%N)
tb_ctl node-a ipam allocate handle=r2/eth0 namespace=roomy >/dev/null ||
    tb_fail "allocation from an owned block with the others down"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# At once, not after a claim's timeout (1500 ms).
[ "$ms" -lt 1400 ] || tb_fail "allocation from an owned block took $ms ms"
# but a new block needs 2 of 3: once node-a's block is full, the next
# request fails after the timeout.
rc=0
for i in $(seq 3 20); do
	out=$(tb_ctl node-a ipam allocate handle=r$i/eth0 namespace=roomy 2>&1) || { rc=$?; break; }
done
[ $rc -ne 0 ] || tb_fail "node-a alone claimed a block"
tb_assert_match "minority refusal" "1 of 3 managed nodes acknowledged within 1500 ms.*majority \(2\)" "$out"
tb_assert_eq "claim timed out" 1 "$(tb_json node-a 'j["claims"]["timedOut"]' ipam)"
tb_assert_eq "nothing allocated for r$i" 0 "$(tb_json node-a 'len([a for a in j["allocations"] if a["handle"] == "r'"$i"'/eth0"])' ipam)"
# The daemon kept answering and nothing was left waiting.
tb_assert_eq "no request waiting" 0 "$(tb_json node-a 'j["claims"]["waiting"]' ipam)"

# --- 3. a majority again -------------------------------------------------
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_ctl node-a ipam allocate handle=rx/eth0 namespace=roomy >/dev/null ||
    tb_fail "node-a could not claim with node-b back"
blocks_a=$(tb_json node-a '" ".join(sorted(b["block"] for b in j["blocks"] if b["owner"] == "node-a" and b["pool"] == "roomy"))' ipam)
# The announcement reaches node-b within moments (polled: a busy machine).
for _ in $(seq 50); do
	blocks_b=$(tb_json node-b '" ".join(sorted(b["block"] for b in j["blocks"] if b["owner"] == "node-a" and b["pool"] == "roomy"))' ipam)
	acks=$(tb_json node-b 'len(j["acknowledged"])' ipam)
	[ "$blocks_b" = "$blocks_a" ] && [ "$acks" = 0 ] && break
	sleep 0.1
done
tb_assert_eq "node-b knows node-a's new block" "$blocks_a" "$blocks_b"
tb_assert_eq "no acknowledgement left standing" 0 "$acks"

# --- 4. get, gc, and giving an empty block back ---------------------------
tb_assert_eq "ipam get" "rx/eth0 node-a roomy" "$(tb_json node-a 'j["handle"], j["node"], j["pool"]' ipam get handle=rx/eth0 | tr -d "(),'")"
tb_assert_eq "ipam get of nothing" "None" "$(tb_json node-a 'j' ipam get handle=nobody/eth0)"
rx_block=$(tb_json node-a '[b["block"] for b in j["blocks"] if b["owner"] == "node-a" and b["pool"] == "roomy" and b["used"] == 1][0]' ipam)
rc=0
out=$(tb_ctl node-a ipam release block="$rx_block" 2>&1) || rc=$?
[ $rc -ne 0 ] || tb_fail "a block holding an allocation was released"
tb_assert_match "busy block" "still holds 1 allocation" "$out"
# GC keeps what is listed live (a handle, or a bare container ID).
stale=$(tb_json node-a '" ".join(sorted(a["handle"] for a in j["stale"]))' ipam gc live=r1/eth0,r2,rx dryRun=true)
tb_assert_match "gc dry run lists the rest" " r3/eth0 r4/eth0" "$stale"
case " $stale " in *" r1/eth0 "*|*" r2/eth0 "*|*" rx/eth0 "*) tb_fail "gc would release a live handle: $stale";; esac
tb_assert_eq "dry run released nothing" 1 "$(tb_json node-a 'len([a for a in j["allocations"] if a["handle"] == "r3/eth0"])' ipam)"
tb_ctl node-a ipam gc live=r1/eth0,r2,rx >/dev/null || tb_fail "gc"
tb_assert_eq "after gc" "r1/eth0 r2/eth0 rx/eth0" "$(tb_json node-a '" ".join(sorted(a["handle"] for a in j["allocations"] if a["node"] == "node-a"))' ipam)"
tb_ctl node-a ipam release handle=rx/eth0 >/dev/null || tb_fail "release rx"
tb_ctl node-a ipam release block="$rx_block" >/dev/null || tb_fail "release of the empty block $rx_block"
tb_assert_eq "the block is free here" 0 "$(tb_json node-a 'len([b for b in j["blocks"] if b["block"] == "'"$rx_block"'"])' ipam)"
for i in $(seq 30); do
	n=$(tb_json node-b 'len([b for b in j["blocks"] if b["block"] == "'"$rx_block"'"])' ipam)
	[ "$n" = 0 ] && break
	sleep 0.1
done
tb_assert_eq "node-b forgot the released block" 0 "$n"

tb_log "PASS ($total addresses over $nblocks contended blocks, none twice; alone, node-a allocated from its own block in ${ms} ms and could not claim)"
