#!/usr/bin/env bash
# IPAM in sluiced: addresses come from a pool with no static podCIDRs;
# blocks are claimed on demand, announced, routed by the other node, and
# pods given those addresses reach each other. Allocation is idempotent,
# reserved ranges are never handed out, and allocations survive a restart.
#
#        sw (br0)
#      /          \
#  node-a .1      node-b .2        pool dyn 10.246.0.0/16, blocks /28,
#  pod-a1 (IPAM)  pod-b1 (IPAM)    reserved 10.246.0.0/28
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: dyn}
spec:
  cidr: 10.246.0.0/16
  blockSize: 28
  reserved: [10.246.0.0/28]
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

alloc() {	# alloc NODE HANDLE -> address
	tb_ctl "$1" --json ipam allocate "handle=$2" namespace=default "pod=$2" |
	    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["address"])'
}

declare -A seen=()
for i in $(seq 20); do
	a=$(alloc node-a "c$i/eth0")
	[ -z "${seen[$a]:-}" ] || tb_fail "address $a handed out twice"
	seen[$a]=1
	case $a in 10.246.0.[0-9] | 10.246.0.1[0-5]) tb_fail "reserved $a handed out" ;; esac
done
tb_assert_eq "idempotent allocate" "$(alloc node-a c1/eth0)" "$(alloc node-a c1/eth0)"
blocks=$(tb_json node-a 'len([b for b in j["blocks"] if b["owner"] == "node-a"])' ipam)
[ "$blocks" -ge 2 ] || tb_fail "20 addresses in /28 blocks claimed only $blocks block(s)"

# node-b learned node-a's blocks and routes them through the tunnel.
for i in $(seq 50); do
	n=$(tb_json node-b 'len([r for r in j if r["node"] == "node-a" and r["via"] == "tunnel"])' routes)
	[ "$n" = "$blocks" ] && break
	sleep 0.1
done
tb_assert_eq "node-a's blocks routed on node-b" "$blocks" "$n"

# Real pods with IPAM's addresses talk across the nodes.
pa=$(alloc node-a pa/eth0)
pb=$(alloc node-b pb/eth0)
tb_pod node-a pod-a1 "$pa"
tb_pod node-b pod-b1 "$pb"
for i in $(seq 30); do
	tb_exec pod-a1 ping -c 1 -W 1 -q "$pb" >/dev/null 2>&1 && break
	sleep 0.2
done
tb_exec pod-a1 ping -c 3 -W 2 -q "$pb" >/dev/null || tb_fail "pod-a1 ($pa) -> pod-b1 ($pb)"
tb_exec pod-b1 ping -c 3 -W 2 -q "$pa" >/dev/null || tb_fail "pod-b1 ($pb) -> pod-a1 ($pa)"

# GC against the handles still in use: a dry run lists, a real run frees.
call() { "$PY" "$SLUICE_SRC/tests/tools/ctl_call.py" "$(tb_sock node-a)" "$@"; }
live=$("$PY" -c 'import json; print(json.dumps({"live": ["pa/eth0"] + ["c%d/eth0" % i for i in range(1, 19)], "dryRun": True}))')
out=$(call ipam.gc "$live")
tb_assert_eq "gc dry run finds c19 and c20" '["c19/eth0", "c20/eth0"]' \
    "$("$PY" -c 'import json,sys; print(json.dumps(sorted(s["handle"] for s in json.loads(sys.argv[1])["stale"])))' "$out")"
call ipam.gc "${live/true/false}" >/dev/null
tb_assert_eq "gc released them" 19 "$(tb_json node-a 'len([a for a in j["allocations"] if a["node"] == "node-a"])' ipam)"
rc=0
call ipam.gc '{"live": 7}' >/dev/null || rc=$?
tb_assert_eq "gc with a malformed live set is refused" 1 $rc

# Release is idempotent; allocations outlive a restart.
tb_assert_eq "release" True "$(tb_json node-a 'j["released"]' ipam release handle=c2/eth0)"
tb_assert_eq "release again" False "$(tb_json node-a 'j["released"]' ipam release handle=c2/eth0)"
before=$(tb_json node-a 'len(j["allocations"])' ipam)
tb_daemon_stop node-a
tb_daemon_start node-a
tb_assert_eq "allocations after a restart" "$before" "$(tb_json node-a 'len(j["allocations"])' ipam)"
tb_assert_eq "same address after a restart" "$pa" "$(alloc node-a pa/eth0)"
tb_exec pod-b1 ping -c 2 -W 2 -q "$pa" >/dev/null || tb_fail "pod-b1 -> pod-a1 after node-a restarted"
tb_log "PASS (20 distinct addresses, $blocks blocks claimed on node-a, pods $pa <-> $pb)"
