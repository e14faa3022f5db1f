#!/usr/bin/env bash
# 200 pods on one node through sluice-cni, all at once: the plugin, run as
# a runtime would inside node-a's namespace, once per pod netns, 200 ADDs
# in parallel, then 200 DELs in parallel.
#
#        sw (br0)
#      /          \
#  node-a .1      node-b .2        pool scale 10.246.0.0/16, blocks /27,
#  p1..p200       pb1              no podCIDRs: blocks claimed on demand
#
# The 200 ADDs give 200 distinct addresses, exactly what sluiced recorded
# for each handle, in blocks node-a owns, and 200 working pods: pb1 on
# node-b pings every pod, and every pod pings pb1. The 200 DELs free it
# all: no allocation of node-a left, its blocks at used 0, no host veth or
# host route left, no eth0 left in any pod. The wall times of the ADDs
# and of the DELs are printed.
. "$(dirname "$0")/lib.sh"

[ -x "$CNI" ] || tb_fail "no sluice-cni at $CNI (build first)"
N=200
PAR_PING=16	# pings in flight at a time
# A whole run of the plugin is bounded; its own calls time out at 30s.

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: scale}
spec:
  cidr: 10.246.0.0/16
  blockSize: 27
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
YAML
tb_daemon_start node-a
tb_daemon_start node-b
tb_wait_peers node-a 1
tb_wait_peers node-b 1

now() { echo "$EPOCHREALTIME"; }
secs() { echo "$2 - $1" | bc; }

# ping_from_pb1 ADDR...: pb1 on node-b pings each address once
# (PAR_PING at a time, all inside pb1); prints the addresses with no reply.
ping_from_pb1() {
	printf '%s\n' "$@" | tb_exec pb1 xargs -r -P "$PAR_PING" -n 1 \
	    sh -c 'ping -c 1 -W 1 -q "$0" >/dev/null 2>&1 || echo "$0"'
}

# ping_to_pb1 POD...: each pod pings pb1 once from its own netns; prints
# the pods with no reply.
ping_to_pb1() {
	printf '%s\n' "$@" | xargs -r -P "$PAR_PING" -n 1 \
	    sh -c 'ip netns exec "$0-$2" ping -c 1 -W 1 -q "$1" >/dev/null 2>&1 || echo "$2"' \
	    "$TB_ID" "$pb"
}

# retry FN WORD...: FN WORD..., then FN again on the words it printed
# (those that failed), 3 rounds at most; prints what still fails.
retry() {
	local fn=$1 left round
	shift
	left=("$@")
	for round in 1 2 3; do
		[ ${#left[@]} -gt 0 ] || break
		[ "$round" -eq 1 ] || sleep 0.5
		mapfile -t left < <("$fn" "${left[@]}")
	done
	echo "${left[*]}"
}

# --- the peer on node-b ---------------------------------------------------
tb_ns pb1
rb=$(tb_cni_conf node-b | tb_cni node-b ADD pb1) || tb_fail "ADD pb1: $rb"
pb=$(echo "$rb" | tb_jq 'j["ips"][0]["address"].split("/")[0]')

# --- 200 ADDs in parallel ---------------------------------------------------
for i in $(seq $N); do tb_ns "p$i"; done
tb_cni_conf node-a >"$TB_TMP/conf-a"
mkdir "$TB_TMP/add" "$TB_TMP/del"
t0=$(now)
pids=()
for i in $(seq $N); do
	tb_cni node-a ADD "p$i" <"$TB_TMP/conf-a" >"$TB_TMP/add/$i" \
	    2>"$TB_TMP/add/$i.err" &
	pids+=($!)
done
fails=0
for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
t1=$(now)
add_time=$(secs "$t0" "$t1")
tb_log "$N parallel ADDs in ${add_time}s"
[ $fails -eq 0 ] || tb_fail "$fails of $N parallel ADDs failed: $(cat "$TB_TMP"/add/*.err | sort | uniq -c | sort -rn | head -5)"

# Each result against sluiced's own record, in one pass: the address of
# every handle, distinct, inside a block of node-a whose used count holds.
tb_ctl node-a --json ipam >"$TB_TMP/ipam-add.json"
# Writes "POD ADDRESS" lines to $TB_TMP/addrs for what follows.
problems=$("$PY" - "$TB_TMP/add" "$N" "$TB_TMP/ipam-add.json" \
    "$TB_TMP/addrs" 2>&1 <<'PY'
import ipaddress, json, sys
d, n, ipam = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
pool = ipaddress.ip_network("10.246.0.0/16")
got = {}
with open(sys.argv[4], "w") as out:
    for i in range(1, n + 1):
        r = json.load(open(f"{d}/{i}"))
        a = r["ips"][0]["address"]
        if not a.endswith("/32") or ipaddress.ip_address(a[:-3]) not in pool:
            print(f"p{i}: result address {a} is not a /32 of {pool}")
        got[f"p{i}/eth0"] = a[:-3]
        print(f"p{i} {a[:-3]}", file=out)
if len(set(got.values())) != n:
    print(f"{len(set(got.values()))} distinct addresses in {n} results")
allocs = {a["handle"]: a["address"] for a in ipam["allocations"]
          if a["node"] == "node-a"}
if allocs != got:
    diff = sorted(set(allocs.items()) ^ set(got.items()))[:5]
    print(f"sluiced records {len(allocs)} allocations of node-a, not the "
          f"{n} results; first differences {diff}")
blocks = [b for b in ipam["blocks"] if b["owner"] == "node-a"]
nets = [ipaddress.ip_network(b["block"]) for b in blocks]
for h, a in got.items():
    if not any(ipaddress.ip_address(a) in b for b in nets):
        print(f"{h}: {a} is in no block of node-a")
used = sum(b["used"] for b in blocks)
if used != n:
    print(f"node-a's {len(blocks)} blocks count {used} used, not {n}")
PY
) || tb_fail "checking the ADD results failed: $problems"
[ -z "$problems" ] || tb_fail "after $N ADDs: $problems"
nblocks=$(tb_jq 'len([b for b in j["blocks"] if b["owner"] == "node-a"])' \
    <"$TB_TMP/ipam-add.json")
tb_assert_eq "host veths on node-a" $N "$(tb_host_veths node-a)"
tb_assert_eq "host /32 routes on node-a" $N \
    "$(tb_exec node-a ip -4 route show proto static | grep -c '^10\.246\.' || true)"
declare -A pod_of=()
addrs=()
while read -r pod a; do
	have=$(ip -n "$(tb_ns_name "$pod")" -4 -o addr show dev eth0 2>&1 |
	    awk '{print $4}') || true
	[ "$have" = "$a/32" ] || tb_fail "$pod: eth0 has '$have', its result says $a/32"
	addrs+=("$a")
	pod_of[$a]=$pod
done <"$TB_TMP/addrs"

# --- 200 working pods ---------------------------------------------------------
t2=$(now)
dead=$(retry ping_from_pb1 "${addrs[@]}")
if [ -n "$dead" ]; then
	names=$(for a in $dead; do printf '%s(%s) ' "${pod_of[$a]}" "$a"; done)
	tb_fail "pb1 ($pb) on node-b gets no reply from $(echo "$dead" | wc -w) pods of node-a: $names"
fi
dead=$(retry ping_to_pb1 $(seq -f 'p%g' $N))
[ -z "$dead" ] || tb_fail "$(echo "$dead" | wc -w) pods of node-a get no reply from pb1 ($pb): $dead"
t3=$(now)
tb_log "$N pods <-> pb1 pinged in $(secs "$t2" "$t3")s"

# --- 200 DELs in parallel ---------------------------------------------------
t0=$(now)
pids=()
for i in $(seq $N); do
	tb_cni node-a DEL "p$i" <"$TB_TMP/conf-a" >"$TB_TMP/del/$i" \
	    2>"$TB_TMP/del/$i.err" &
	pids+=($!)
done
fails=0
for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
t1=$(now)
del_time=$(secs "$t0" "$t1")
tb_log "$N parallel DELs in ${del_time}s"
[ $fails -eq 0 ] || tb_fail "$fails of $N parallel DELs failed: $(cat "$TB_TMP"/del/* | sort | uniq -c | sort -rn | head -5)"

tb_ctl node-a --json ipam >"$TB_TMP/ipam-del.json"
problems=$("$PY" - "$TB_TMP/ipam-del.json" 2>&1 <<'PY'
import ipaddress, json, sys
ipam = json.load(open(sys.argv[1]))
left = [a for a in ipam["allocations"] if a["node"] == "node-a"]
if left:
    print(f"{len(left)} allocations of node-a left, e.g. {left[:3]}")
blocks = [b for b in ipam["blocks"] if b["owner"] == "node-a"]
for b in blocks:
    size = ipaddress.ip_network(b["block"]).num_addresses
    if b["used"] != 0 or b["used"] + b["free"] > size:
        print(f"block {b['block']} of node-a: used {b['used']}, "
              f"free {b['free']} after DEL of every pod")
PY
) || tb_fail "checking the IPAM after the DELs failed: $problems"
[ -z "$problems" ] || tb_fail "after $N DELs: $problems"
tb_assert_eq "host veths on node-a after DEL" 0 "$(tb_host_veths node-a)"
tb_assert_eq "host /32 routes on node-a after DEL" 0 \
    "$(tb_exec node-a ip -4 route show proto static | grep -c '^10\.246\.' || true)"
for i in $(seq $N); do
	nlinks=$(ip -n "$(tb_ns_name "p$i")" -o link show | grep -vc ': lo:' || true)
	[ "$nlinks" = 0 ] || tb_fail "p$i keeps $nlinks links besides lo after DEL"
done
# Both daemons stop cleanly after all this (under ASan: without a report).
tb_daemon_stop node-a
tb_daemon_stop node-b
tb_log "PASS ($N pods in $nblocks blocks: ADD ${add_time}s, DEL ${del_time}s)"
