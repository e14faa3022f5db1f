#!/usr/bin/env bash
# sluice-cni attaches pods: the plugin, run as a runtime would inside each
# node's namespace, gets addresses from sluiced and makes the veth pairs
# (no tb_pod here: the plugin does the wiring).
#
#        sw (br0)
#      /          \
#  node-a .1      node-b .2        pool dyn 10.247.0.0/16, blocks /28,
#  pa1, p1..p50   pb1              no podCIDRs: blocks claimed on demand
#
# ADD gives a spec result and working pods across nodes; CHECK passes;
# 50 parallel ADDs give 50 distinct working addresses; DEL frees every
# address and host veth, twice and with the netns gone; ADD with sluiced
# stopped is code 11 and leaves nothing; bad input gets the spec's codes;
# VERSION, STATUS and GC.
. "$(dirname "$0")/lib.sh"

[ -x "$CNI" ] || tb_fail "no sluice-cni at $CNI (build first)"

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_manifest node-a node-b <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: dyn}
spec:
  cidr: 10.247.0.0/16
  blockSize: 28
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

allocs() {	# allocs NODE: NODE's allocations
	tb_json "$1" 'len([a for a in j["allocations"] if a["node"] == "'"$1"'"])' ipam
}

# --- VERSION and STATUS -------------------------------------------------
out=$(echo '{"cniVersion": "1.1.0"}' | CNI_COMMAND=VERSION "$CNI")
tb_assert_eq "VERSION" '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' "$out"
tb_cni_conf node-a 1.1.0 | tb_exec node-a env CNI_COMMAND=STATUS CNI_PATH=/nonexistent "$CNI" ||
    tb_fail "STATUS with sluiced running"

# --- ADD across nodes, CHECK ---------------------------------------------
tb_ns pa1
tb_ns pb1
ra=$(tb_cni_conf node-a | tb_cni node-a ADD pa1) || tb_fail "ADD pa1: $ra"
rb=$(tb_cni_conf node-b | tb_cni node-b ADD pb1) || tb_fail "ADD pb1: $rb"
pa=$(echo "$ra" | tb_jq 'j["ips"][0]["address"].split("/")[0]')
pb=$(echo "$rb" | tb_jq 'j["ips"][0]["address"].split("/")[0]')
tb_assert_match "ADD result" '^\{"cniVersion":"1\.0\.0","interfaces":\[\{"name":"sl[0-9a-f]{12}","mac":"[0-9a-f:]{17}"\},\{"name":"eth0","mac":"[0-9a-f:]{17}","sandbox":"/var/run/netns/[^"]+"\}\],"ips":\[\{"address":"10\.247\.[0-9]+\.[0-9]+/32","gateway":"169\.254\.1\.1","interface":1\}\],"routes":\[\{"dst":"0\.0\.0\.0/0"\}\],"dns":\{\}\}$' "$ra"
mtu=$(tb_json node-a 'j["overlay"]["mtu"]' status)
tb_assert_eq "pod MTU is the tunnel MTU" "$mtu" \
    "$(tb_exec pa1 cat /sys/class/net/eth0/mtu)"
proto=$(tb_exec node-a ip -4 route show "$pa/32" | grep -o 'proto [a-z0-9]*' || true)
tb_assert_eq "host route protocol" "proto static" "$proto"
for i in $(seq 30); do
	tb_exec pa1 ping -c 1 -W 1 -q "$pb" >/dev/null 2>&1 && break
	sleep 0.2
done
tb_exec pa1 ping -c 3 -W 2 -q "$pb" >/dev/null || tb_fail "pa1 ($pa) -> pb1 ($pb)"
tb_exec pb1 ping -c 3 -W 2 -q "$pa" >/dev/null || tb_fail "pb1 ($pb) -> pa1 ($pa)"
tb_cni_conf node-a 1.0.0 "\"prevResult\": $ra" | tb_cni node-a CHECK pa1 >/dev/null ||
    tb_fail "CHECK of pa1"
# A retried ADD gives the same result.
tb_assert_eq "ADD again" "$ra" "$(tb_cni_conf node-a | tb_cni node-a ADD pa1)"
# CHECK notices a missing default route.
tb_exec pa1 ip route del default
rc=0
out=$(tb_cni_conf node-a | tb_cni node-a CHECK pa1) || rc=$?
[ $rc -ne 0 ] || tb_fail "CHECK passed without the default route"
tb_assert_match "CHECK failure" '"code":102,.*default route' "$out"
# ... and a retried ADD repairs it, with the same address.
tb_assert_eq "ADD repairs" "$pa" "$(tb_cni_conf node-a | tb_cni node-a ADD pa1 | tb_jq 'j["ips"][0]["address"].split("/")[0]')"
tb_exec pa1 ping -c 1 -W 2 -q "$pb" >/dev/null || tb_fail "pa1 after the repair"

# --- 50 parallel ADDs on one node -----------------------------------------
for i in $(seq 50); do tb_ns "p$i"; done
tb_cni_conf node-a >"$TB_TMP/conf-a"
t0=$(date +%s.%N)
pids=()
for i in $(seq 50); do
	tb_cni node-a ADD "p$i" <"$TB_TMP/conf-a" >"$TB_TMP/add$i" 2>"$TB_TMP/add$i.err" &
	pids+=($!)
done
fails=0
for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
t1=$(date +%s.%N)
[ $fails -eq 0 ] || tb_fail "$fails of 50 parallel ADDs failed: $(cat "$TB_TMP"/add*.err | sort | uniq -c | head -5)"
addrs=$(for i in $(seq 50); do tb_jq 'j["ips"][0]["address"]' <"$TB_TMP/add$i"; done | sort -u | wc -l)
tb_assert_eq "50 distinct addresses" 50 "$addrs"
tb_assert_eq "host veths on node-a" 51 "$(tb_host_veths node-a)"
for i in 1 17 33 50; do
	a=$(tb_jq 'j["ips"][0]["address"].split("/")[0]' <"$TB_TMP/add$i")
	tb_exec "p$i" ping -c 1 -W 2 -q "$pb" >/dev/null || tb_fail "p$i ($a) -> pb1"
	tb_exec pb1 ping -c 1 -W 2 -q "$a" >/dev/null || tb_fail "pb1 -> p$i ($a)"
done
par=$(echo "$t1 - $t0" | bc)
tb_log "50 parallel ADDs in ${par}s"

# --- DEL --------------------------------------------------------------------
pids=()
for i in $(seq 50); do
	tb_cni node-a DEL "p$i" <"$TB_TMP/conf-a" >/dev/null &
	pids+=($!)
done
fails=0
for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
[ $fails -eq 0 ] || tb_fail "$fails of 50 DELs failed"
tb_cni_conf node-a | tb_cni node-a DEL pa1 >/dev/null || tb_fail "DEL pa1"
tb_assert_eq "node-a allocations after DEL" 0 "$(allocs node-a)"
tb_assert_eq "node-a host veths after DEL" 0 "$(tb_host_veths node-a)"
tb_cni_conf node-a | tb_cni node-a DEL pa1 >/dev/null || tb_fail "DEL pa1 twice"
tb_cni_conf node-a | tb_cni node-a DEL pa1 - >/dev/null || tb_fail "DEL without CNI_NETNS"
# DEL after the netns is gone.
tb_ns pgone
tb_cni_conf node-a | tb_cni node-a ADD pgone >/dev/null || tb_fail "ADD pgone"
ip netns del "$(tb_ns_name pgone)"
tb_cni_conf node-a | tb_cni node-a DEL pgone >/dev/null || tb_fail "DEL with its netns deleted"
tb_assert_eq "allocations after DEL of a gone netns" 0 "$(allocs node-a)"
tb_assert_eq "host veths after DEL of a gone netns" 0 "$(tb_host_veths node-a)"
# ADD into a netns that does not exist: code 3, nothing left.
rc=0
out=$(tb_cni_conf node-a | tb_cni node-a ADD pgone) || rc=$?
tb_assert_match "ADD into a missing netns" '"code":3,' "$out"
tb_assert_eq "allocations after a failed ADD" 0 "$(allocs node-a)"

# --- GC -----------------------------------------------------------------------
for i in 1 2 3; do tb_cni_conf node-a | tb_cni node-a ADD "p$i" >/dev/null || tb_fail "ADD p$i for GC"; done
tb_cni_conf node-a 1.1.0 '"cni.dev/valid-attachments": [{"containerID": "p2", "ifname": "eth0"}]' |
    tb_exec node-a env CNI_COMMAND=GC CNI_PATH=/nonexistent "$CNI" || tb_fail "GC"
tb_assert_eq "allocations after GC" 1 "$(allocs node-a)"
tb_assert_eq "host veths after GC" 1 "$(tb_host_veths node-a)"
tb_exec p2 ping -c 1 -W 2 -q "$pb" >/dev/null || tb_fail "p2 after GC"
tb_cni_conf node-a | tb_cni node-a DEL p2 >/dev/null || tb_fail "DEL p2"

# --- bad input ---------------------------------------------------------------
code() {	# code NODE CMD ID < config: the error code of a failing run
	local out rc=0
	out=$(tb_cni "$@") || rc=$?
	[ $rc -ne 0 ] || tb_fail "$*: exit status 0 for bad input ($out)"
	echo "$out" | tb_jq 'j["code"]'
}
tb_assert_eq "malformed JSON" 6 "$(echo '{"cniVersion":' | code node-a ADD p1)"
tb_assert_eq "unknown cniVersion" 1 "$(tb_cni_conf node-a 0.9.9 | code node-a ADD p1)"
tb_assert_eq "no name" 7 "$(echo '{"cniVersion": "1.0.0", "type": "sluice-cni"}' | code node-a ADD p1)"
out=$(tb_cni_conf node-a | tb_exec node-a env CNI_COMMAND=ADD CNI_NETNS=/var/run/netns/"$(tb_ns_name p1)" \
    CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$CNI") && tb_fail "ADD without CNI_CONTAINERID passed"
tb_assert_eq "missing CNI_CONTAINERID" 4 "$(echo "$out" | tb_jq 'j["code"]')"
tb_assert_eq "allocations after bad input" 0 "$(allocs node-a)"

# --- sluiced at its client limit ----------------------------------------------
# 256 idle connections fill sluiced's client table; a further one is
# closed at once. ADD must wait its turn, not fail: it retries on a new
# connection, and the holder lets go after a second.
"$PY" - "$(tb_sock node-a)" 256 1.0 <<'PY' &
import socket, sys, time
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
time.sleep(float(sys.argv[3]))
PY
holder=$!
sleep 0.5
rc=0
out=$(tb_cni_conf node-a | tb_cni node-a ADD p1) || rc=$?
wait $holder
[ $rc -eq 0 ] || tb_fail "ADD while sluiced had 256 clients: $out"
tb_assert_match "ADD at the client limit" '"address":"10\.247\.' "$out"
refused=$(tb_json node-a 'j["statusSocket"]["refused"]' status)
[ "$refused" -gt 0 ] || tb_fail "the client limit was not reached (refused $refused)"
tb_cni_conf node-a | tb_cni node-a DEL p1 >/dev/null || tb_fail "DEL of p1"

# --- sluiced stopped ----------------------------------------------------------
tb_daemon_stop node-a
tb_assert_eq "ADD with sluiced stopped" 11 "$(tb_cni_conf node-a | code node-a ADD p1)"
tb_assert_eq "host veths after that" 0 "$(tb_host_veths node-a)"
tb_assert_eq "no eth0 left in the pod" 1 "$(tb_exec p1 ip -o link show | wc -l)"
rc=0
out=$(tb_cni_conf node-a 1.1.0 | tb_exec node-a env CNI_COMMAND=STATUS CNI_PATH=/nonexistent "$CNI") || rc=$?
tb_assert_eq "STATUS with sluiced stopped" 50 "$(echo "$out" | tb_jq 'j["code"]')"
tb_log "PASS (pods $pa <-> $pb, 50 parallel ADDs in ${par}s)"
