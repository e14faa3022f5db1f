#!/usr/bin/env bash
# Pod attachment rates: sluiced's IPAM and sluice-cni against the reference
# plugins of containernetworking-plugins (host-local IPAM, ptp), on the same
# machine, in namespaces built here, in one run. Run by hand as root (not
# part of the test command); prints each figure and the ratio sluice/ref.
#
#   bench/cni.sh [COUNT] [ROUNDS]     (defaults 500 and 3)
#
#        sw (br0)
#      /          \
#   s-node .1      k-node .2          p1 .. pCOUNT: empty pod namespaces,
#   sluiced        host-local, ptp    used by both sides in turn (each
#   pool 10.244.0.0/16, /26 blocks    side's DEL empties them again)
#
# Every figure is COUNT operations, timed inside the node's namespace by a
# loop that runs each plugin as a runtime would (a process per operation,
# CNI_* variables, the network config on stdin):
#   IPAM alone      sluicectl ipam allocate|release per call, against
#                   host-local run as the IPAM plugin (CNI_COMMAND=ADD|DEL
#                   with the config ptp would hand it); also sluiced over one
#                   connection, which no runtime does but which is what the
#                   daemon itself costs (host-local has no daemon);
#   CNI ADD/DEL     sluice-cni against ptp + host-local: a veth pair into the
#                   pod's namespace, its address, a default route, a /32
#                   route on the node (ptp also puts the gateway address on
#                   each host end; its pod address has the range's /16).
# Each sequentially and with 8 at once. Both keep their state on the same
# filesystem ($TMPDIR, default /tmp): sluiced commits every change to LMDB
# with fdatasync; host-local writes a file per address and never syncs,
# and reads every address file of the network on each call, so its cost
# grows with the number of pods. A DEL is mostly the kernel's: deleting a
# veth waits for an RCU grace period, which DELs at once share.
# Rounds interleave the two sides (alternating who goes first); medians of
# the seconds are printed. Everything is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-500}
ROUNDS=${2:-3}
PAR=8
REF=/usr/lib/cni
[[ "$COUNT" =~ ^[0-9]+$ && $COUNT -ge $PAR && $COUNT -le 4000 ]] ||
    { echo "bench/cni.sh: COUNT must be $PAR to 4000" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] ||
    { echo "bench/cni.sh: ROUNDS must be 1 to 99" >&2; exit 2; }

bash scripts/deps.sh
if [ ! -x "$REF/ptp" ] || [ ! -x "$REF/host-local" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends containernetworking-plugins >/dev/null
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=bench-cni
CNI="$SLUICE_BUILD/cni/sluice-cni"

# --- topology -------------------------------------------------------------
tb_switch
tb_node s-node 192.0.2.1
tb_node k-node 192.0.2.2
tb_manifest s-node <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: default}
spec: {cidr: 10.244.0.0/16, blockSize: 26}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: s-node}
spec: {address: 192.0.2.1}
YAML
tb_daemon_start s-node
tb_log "making $COUNT pod namespaces"
for i in $(seq "$COUNT"); do tb_ns "p$i"; done

# The network configs. The reference pod gets the same MTU and a default
# route, as sluice-cni gives; ptp hands host-local this same config.
printf '{"cniVersion": "1.0.0", "name": "sluice", "type": "sluice-cni", "socket": "%s"}\n' \
    "$(tb_sock s-node)" >"$TB_TMP/s.conf"
refconf() {	# refconf NAME
	printf '{"cniVersion": "1.0.0", "name": "%s", "type": "ptp", "ipMasq": false, "mtu": %s, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "%s"}}\n' \
	    "$1" "$(tb_json s-node 'j["overlay"]["mtu"]' status)" "$TB_TMP/host-local"
}
refconf ref-ipam >"$TB_TMP/k-ipam.conf"
refconf ref-ptp >"$TB_TMP/k-cni.conf"

# The timed loop, run inside a node's namespace: "ops.sh SIDE CMD PAR"
# does CMD (ADD or DEL) for pods 1..COUNT with PAR loops at once and
# prints the seconds it took; it stops at the first failure.
cat >"$TB_TMP/ops.sh" <<EOF
set -u
side=\$1 cmd=\$2 par=\$3
export CNI_COMMAND=\$cmd CNI_IFNAME=eth0 CNI_PATH=$REF
one() {
	local i=\$1 netns=/var/run/netns/$TB_ID-p\$1
	local args="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p\$1"
	case \$side,\$cmd in
	s-ipam,ADD) "$SLUICECTL" --socket "$(tb_sock s-node)" ipam allocate handle=ipam-\$i namespace=default ;;
	s-ipam,DEL) "$SLUICECTL" --socket "$(tb_sock s-node)" ipam release handle=ipam-\$i ;;
	k-ipam,*) CNI_CONTAINERID=ipam-\$i CNI_NETNS=\$netns CNI_ARGS=\$args $REF/host-local <"$TB_TMP/k-ipam.conf" ;;
	s-cni,*) CNI_CONTAINERID=pod-\$i CNI_NETNS=\$netns CNI_ARGS=\$args "$CNI" <"$TB_TMP/s.conf" ;;
	k-cni,*) CNI_CONTAINERID=pod-\$i CNI_NETNS=\$netns CNI_ARGS=\$args $REF/ptp <"$TB_TMP/k-cni.conf" ;;
	esac
}
loop() {	# loop FIRST: every par-th pod from FIRST on
	local i out=$TB_TMP/out.\$1
	for ((i = \$1; i <= $COUNT; i += par)); do
		one \$i >"\$out" 2>&1 ||
		    { echo "\$side \$cmd of pod \$i: \$(cat "\$out")" >&2; return 1; }
	done
}
t0=\$EPOCHREALTIME
pids=()
for ((w = 1; w <= par; w++)); do loop \$w & pids+=(\$!); done
rc=0
for pid in "\${pids[@]}"; do wait \$pid || rc=1; done
[ \$rc -eq 0 ] && awk "BEGIN { printf \\"%.6f\\n\\", \$EPOCHREALTIME - \$t0 }"
exit \$rc
EOF

# sluiced over one connection: "conn.py SOCKET OP COUNT" does COUNT calls
# of ipam.allocate or ipam.release and prints the seconds they took.
cat >"$TB_TMP/conn.py" <<'EOF'
import socket, struct, sys, time
import msgpack
path, op, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("sluiced closed the connection")
        b += c
    return b
t0 = time.monotonic()
for i in range(1, count + 1):
    req = {"v": 1, "op": op, "id": i, "args": {"handle": "conn-%d" % i}}
    if op == "ipam.allocate":
        req["args"]["namespace"] = "default"
    body = msgpack.packb(req)
    s.sendall(struct.pack(">I", len(body)) + body)
    r = msgpack.unpackb(recv(struct.unpack(">I", recv(4))[0]), raw=False)
    if not r.get("ok"):
        sys.exit("%s %d: %s" % (op, i, r.get("error")))
print("%.6f" % (time.monotonic() - t0))
EOF

# --- checks (untimed) -----------------------------------------------------
allocs() { tb_json s-node 'len(j["allocations"])' ipam; }
ref_allocs() { find "$TB_TMP/host-local/$1" -name '10.*' 2>/dev/null | wc -l; }
veths() {	# veths NODE REGEX: the plugins' host ends on NODE
	tb_exec "$1" ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 |
	    grep -cE "$2" || true
}
check() {	# check SIDE CMD: what COUNT ADDs made, or DELs left
	local want=0 got
	[ "$2" = ADD ] && want=$COUNT
	case $1 in
	s-ipam|s-conn) got=$(allocs) ;;
	k-ipam) got=$(ref_allocs ref-ipam) ;;
	s-cni) got="$(allocs) $(veths s-node '^sl[0-9a-f]{12}$')"; want="$want $want" ;;
	k-cni) got="$(ref_allocs ref-ptp) $(veths k-node '^veth[0-9a-f]{8}$')"; want="$want $want" ;;
	esac
	tb_assert_eq "$1 after $COUNT ${2}s (addresses, veths)" "$want" "$got"
}
pings() {	# pings: the first pod of each side reaches its node
	tb_exec p1 ping -c 1 -W 2 -q "$1" >/dev/null || tb_fail "$2: p1 cannot reach $1"
}

# --- measurements ------------------------------------------------------------
declare -A R
run() {	# run SIDE CMD PAR ROUND
	local t key="$1,$2,$3,$4"
	case $1 in
	s-conn) t=$(tb_exec s-node "$PY" "$TB_TMP/conn.py" "$(tb_sock s-node)" \
	    "$([ "$2" = ADD ] && echo ipam.allocate || echo ipam.release)" "$COUNT") ||
	    tb_fail "$key" ;;
	s-*) t=$(tb_exec s-node bash "$TB_TMP/ops.sh" "$1" "$2" "$3") || tb_fail "$key" ;;
	k-*) t=$(tb_exec k-node bash "$TB_TMP/ops.sh" "$1" "$2" "$3") || tb_fail "$key" ;;
	esac
	R[$key]=$t
}
both() {	# both KIND PAR ROUND: ADD then DEL on each side, in turn
	local first=s second=k side
	[ $(($3 % 2)) -eq 0 ] && { first=k; second=s; }
	for side in $first $second; do
		run "$side-$1" ADD "$2" "$3"
		check "$side-$1" ADD
		if [ "$1" = cni ] && [ "$3" = 1 ] && [ "$2" = 1 ]; then
			if [ "$side" = s ]; then pings 192.0.2.1 sluice-cni
			else pings 10.244.0.1 ptp; fi
		fi
		run "$side-$1" DEL "$2" "$3"
		check "$side-$1" DEL
	done
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
	tb_log "round $round of $ROUNDS"
	both ipam 1 "$round"
	both ipam $PAR "$round"
	run s-conn ADD 1 "$round"
	check s-conn ADD
	run s-conn DEL 1 "$round"
	check s-conn DEL
	both cni 1 "$round"
	both cni $PAR "$round"
done

median() {	# median KEY: the median over the rounds of R[KEY,round]
	local r
	for r in $(seq "$ROUNDS"); do echo "${R[$1,$r]}"; done |
	    sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
rounds() {	# rounds KEY: R[KEY,round] of every round
	local r
	for r in $(seq "$ROUNDS"); do printf ' %s' "${R[$1,$r]}"; done
}
raw=()
row() {	# row LABEL S-KEY K-KEY
	local s k
	s=$(median "$2")
	k=$(median "$3")
	"$PY" -c "
s, k, n = $s, $k, $COUNT
print('%-34s %5d %8.3f %8.0f %8.3f %8.0f %7.2f' % ('$1', n, s, n / s, k, n / k, k / s))"
	raw+=("$(printf '%-34s%s |%s' "$1" "$(rounds "$2")" "$(rounds "$3")")")
}
echo
printf '%-34s %5s %17s %17s %7s\n' "" "" "---- sluice ----" "-- host-local --" ratio
printf '%-34s %5s %8s %8s %8s %8s %7s\n' "$COUNT pods, median of $ROUNDS" ops seconds ops/s seconds ops/s s/ref
row "IPAM allocate, process per call" s-ipam,ADD,1 k-ipam,ADD,1
row "IPAM release, process per call" s-ipam,DEL,1 k-ipam,DEL,1
row "IPAM allocate, $PAR at once" s-ipam,ADD,$PAR k-ipam,ADD,$PAR
row "IPAM release, $PAR at once" s-ipam,DEL,$PAR k-ipam,DEL,$PAR
row "IPAM allocate, one connection *" s-conn,ADD,1 k-ipam,ADD,1
row "IPAM release, one connection *" s-conn,DEL,1 k-ipam,DEL,1
echo "  (ptp + host-local below)"
row "CNI ADD, sequential" s-cni,ADD,1 k-cni,ADD,1
row "CNI DEL, sequential" s-cni,DEL,1 k-cni,DEL,1
row "CNI ADD, $PAR at once" s-cni,ADD,$PAR k-cni,ADD,$PAR
row "CNI DEL, $PAR at once" s-cni,DEL,$PAR k-cni,DEL,$PAR
echo
echo "* sluiced alone, every call on one status-socket connection (no process"
echo "  per call); host-local has no daemon, so its column repeats its process-per-call figure."
echo "ratio: sluice ops/s over host-local ops/s. sluiced fdatasyncs each LMDB commit;"
echo "host-local never syncs. State on $(df --output=fstype "$TB_TMP" | tail -1) ($TB_TMP)."
echo "rounds: $ROUNDS (median shown, sides alternate going first), machine: $(nproc) cores,"
echo "load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
    "host-local/ptp $(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null || echo '?')"
echo
echo "seconds of each round, in order (sluice | host-local):"
printf '  %s\n' "${raw[@]}"
