#!/usr/bin/env bash
# podman with its CNI network backend runs containers on a sluice network:
# sluice-cni, called by podman, gets each container's address from
# sluiced and wires its veth pair in node-a, where podman runs.
#
#          sw (br0, 192.0.2.0/24)
#        /                      \
#  node-a 192.0.2.1            node-b 192.0.2.2
#  sluiced, podman:            sluiced,
#  containers c1, c2, c3       pb1 (attached by sluice-cni by hand)
#                              pool dyn 10.247.0.0/16, blocks /28
#
# A container gets its address from sluiced (the allocation has the
# container's handle, and its eth0 has that address), it reaches a pod
# on node-b and a container on its own node; "podman run --ip" gets the
# address asked for (CNI_ARGS IP=). "podman restart" (DEL, then
# ADD) keeps it working; "podman stop" (DEL) frees its address and host
# veth, "podman start" (ADD) attaches it again; "podman network reload"
# (DEL, then ADD asking for the old address with CNI_ARGS IP=) keeps its
# address although a lower one is free; "podman rm" frees the address
# and the host veth. Podman never sends CHECK.
#
# Podman runs with its own config (containers.conf, storage.conf, a CNI
# config dir), storage (vfs) and state under $TB_TMP, rootfs busybox, no
# image. It runs in one mount namespace of the test's own, entered from
# node-a's network namespace, so that:
#   - /run is a tmpfs there: the containers' network namespaces
#     (/run/netns/netns-*), runc's state and podman's are seen nowhere else;
#   - /var/lib is an overlay whose upper half is in that tmpfs: libcni
#     keeps its cache in /var/lib/cni, and podman has no option to move it;
#   - /sys/fs/cgroup is a cgroup2 directory of the test's own: podman and
#     runc make their cgroups below it (this machine's cgroup layout is v1
#     with a unified hierarchy beside it, which podman cannot use as is),
#     and the test removes it. No cgroup controller is turned on anywhere.
. "$(dirname "$0")/lib.sh"

[ -x "$CNI" ] || tb_fail "no sluice-cni at $CNI (build first)"
for t in podman runc conmon nsenter; do
	command -v "$t" >/dev/null ||
	    tb_fail "no $t: install podman, runc and busybox-static (scripts/deps.sh)"
done
BUSYBOX=/bin/busybox
[[ "$(LC_ALL=C ldd "$BUSYBOX" 2>&1 || :)" == *"not a dynamic executable"* ]] ||
    tb_fail "$BUSYBOX is missing or not static: install busybox-static (scripts/deps.sh)"

PD="$TB_TMP/podman"
CG="$TB_ID-podman"	# the test's cgroup, a child of the cgroup2 root
HOLDER=

# A command that fails outside the assertions still says where.
trap 'tb_fail "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

# Runs before tb_cleanup (the daemons are still up, so DEL reaches
# sluiced) and keeps the exit status for it.
podman_cleanup() {
	local rc=$? _
	trap - ERR
	set +e
	[ -n "$HOLDER" ] || return $rc
	if kill -0 "$HOLDER" 2>/dev/null; then
		pm rm -a -f -t 0 >/dev/null 2>&1
		kill -TERM "$HOLDER"
		for _ in $(seq 50); do
			kill -0 "$HOLDER" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
	fi
	# Whatever podman left in the test's cgroup (a conmon, a container
	# that would not die) is the test's and goes; then the cgroup.
	# shellcheck disable=SC2016 # $1 is for the inner sh
	ip netns exec "$(tb_ns_name node-a)" sh -c '
		cg=/sys/fs/cgroup
		mount -t cgroup2 none $cg || exit 0
		[ -d "$cg/$1" ] || exit 0
		if [ -n "$(find "$cg/$1" -name cgroup.procs -exec cat {} +)" ]; then
			echo 1 >"$cg/$1/cgroup.kill"
			sleep 0.5
		fi
		find "$cg/$1" -depth -type d -exec rmdir {} + ||
		    echo "cni_podman: cgroup $1 not removed" >&2' sh "$CG"
	return $rc
}
trap 'podman_cleanup; tb_cleanup' EXIT

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

# The pod on node-b, attached by sluice-cni directly.
tb_ns pb1
out=$(tb_cni_conf node-b | tb_cni node-b ADD pb1) || tb_fail "ADD pb1: $out"
pb=$(echo "$out" | tb_jq 'j["ips"][0]["address"].split("/")[0]')

# --- podman's world under $TB_TMP ---------------------------------------
mkdir -p "$PD"/{net.d,plugins,root,runroot,tmp}
ln -s "$CNI" "$PD/plugins/sluice-cni"
printf '{"cniVersion": "1.0.0", "name": "sluice", "plugins": [{"type": "sluice-cni", "socket": "%s"}]}\n' \
    "$(tb_sock node-a)" >"$PD/net.d/sluice.conflist"
# Away from the defaults, and why:
#   cgroups         conmon stays in the test's cgroup (podman would make
#                   one for it and fail to turn on controllers there);
#   default_ulimits podman raises both to 1048576 for root, past this
#                   machine's hard limits, and runc fails (EPERM);
#   log_driver      not the journal;
#   pids_limit      no pids controller in the test's cgroup2 (v1 has it);
#   conmon_env_vars conmon runs "podman container cleanup" when a
#                   container exits, and that podman must read this
#                   config too (CNI plugin dir, locks);
#   lock_type       files in tmp_dir, not /dev/shm/libpod_lock.
cat >"$PD/containers.conf" <<EOF
[containers]
cgroups = "no-conmon"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_driver = "k8s-file"
pids_limit = 0

[network]
network_backend = "cni"
cni_plugin_dirs = ["$PD/plugins"]
network_config_dir = "$PD/net.d"
default_network = "sluice"

[engine]
cgroup_manager = "cgroupfs"
conmon_env_vars = [
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "CONTAINERS_CONF=$PD/containers.conf",
  "CONTAINERS_STORAGE_CONF=$PD/storage.conf",
  "CONTAINERS_REGISTRIES_CONF=$PD/registries.conf",
]
events_logger = "none"
lock_type = "file"
runtime = "runc"
tmp_dir = "$PD/tmp"
EOF
cat >"$PD/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PD/root"
runroot = "$PD/runroot"
EOF
: >"$PD/registries.conf"

# rootfs NAME: a busybox root file system for one container.
rootfs() {
	local r="$PD/rootfs-$1" c
	mkdir -p "$r"/{bin,dev,etc,proc,run,sys,tmp}
	cp "$BUSYBOX" "$r/bin/busybox"
	for c in sh ip ping sleep cat; do ln -s busybox "$r/bin/$c"; done
	echo "$r"
}

# The mount namespace podman lives in (see the top). ip netns exec gives
# a mount namespace of its own with a fresh /sys; both execs keep the PID.
# shellcheck disable=SC2016 # $1 and $2 are for the inner sh
ip netns exec "$(tb_ns_name node-a)" sh -c '
	set -e
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir /run/var-lib /run/var-lib-work
	mount -t overlay -o lowerdir=/var/lib,upperdir=/run/var-lib,workdir=/run/var-lib-work overlay /var/lib
	mount -t cgroup2 none /sys/fs/cgroup
	mkdir /sys/fs/cgroup/$1 /sys/fs/cgroup/$1/podman
	mount --bind /sys/fs/cgroup/$1 /sys/fs/cgroup
	: >"$2"
	exec sleep infinity' sh "$CG" "$PD/holder.ready" &
HOLDER=$!
for _ in $(seq 50); do
	[ -e "$PD/holder.ready" ] && break
	kill -0 "$HOLDER" 2>/dev/null || tb_fail "the mount namespace for podman could not be set up"
	sleep 0.1
done
[ -e "$PD/holder.ready" ] || tb_fail "the mount namespace for podman not ready after 5s"

# pm ARGS...: podman in that namespace, its processes in a leaf of the
# test's cgroup (cgroup v2 wants none in a cgroup with children and
# controllers).
pm() {
	nsenter -t "$HOLDER" -m -n -- sh -c \
	    'echo $$ >/sys/fs/cgroup/podman/cgroup.procs && exec "$@"' sh \
	    env CONTAINERS_CONF="$PD/containers.conf" \
	    CONTAINERS_STORAGE_CONF="$PD/storage.conf" \
	    CONTAINERS_REGISTRIES_CONF="$PD/registries.conf" \
	    podman --root "$PD/root" --runroot "$PD/runroot" \
	    --tmpdir "$PD/tmp" --storage-driver vfs \
	    --cgroup-manager cgroupfs --events-backend none --runtime runc \
	    --network-backend cni --network-config-dir "$PD/net.d" "$@"
}

# run NAME [OPTION...]: starts container NAME on the sluice network.
run() {
	local n=$1 out
	shift
	out=$(pm run -d --name "$n" --network sluice "$@" \
	    --rootfs "$(rootfs "$n")" sleep 100000 2>&1) ||
	    tb_fail "podman run $n: $out"
}

# The host end sluice-cni names after a handle (cni_host_ifname()).
host_ifname() {
	"$PY" -c '
import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("sl%012x" % (h & 0xffffffffffff))' "$1"
}

# eth0_addr NAME: the IPv4 address container NAME sees on its eth0.
eth0_addr() {
	pm exec "$1" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

# alloc_of HANDLE: "address node pod" of HANDLE's allocation on node-a,
# one line per allocation (none if it has none).
alloc_of() {
	tb_json node-a '"\n".join("%s %s %s" % (a["address"], a["node"], a["pod"]) for a in j["allocations"] if a["handle"] == "'"$1"'")' ipam
}

# attached NAME: checks that container NAME is attached as sluice-cni
# should: one allocation for its handle, with the address its eth0 has
# and podman reports, on node-a, and its host veth routes to it. Sets
# addr to the address.
attached() {
	local n=$1 id seen alloc hv route
	id=$(pm inspect -f '{{.Id}}' "$n") || tb_fail "podman inspect $n"
	addr=$(pm inspect -f '{{.NetworkSettings.Networks.sluice.IPAddress}}' "$n") ||
	    tb_fail "podman inspect $n"
	tb_assert_match "$n: podman's address" '^10\.247\.[0-9]+\.[0-9]+$' "$addr"
	seen=$(eth0_addr "$n") || tb_fail "podman exec $n ip addr"
	tb_assert_eq "$n: the address on its eth0" "$addr" "$seen"
	alloc=$(alloc_of "$id/eth0") || tb_fail "sluicectl ipam on node-a"
	tb_assert_eq "$n: sluiced's allocation for $id/eth0" "$addr node-a $n" "$alloc"
	hv=$(host_ifname "$id/eth0")
	route=$(tb_exec node-a ip -4 route show "$addr/32" | awk '{print $1, $2, $3}')
	tb_assert_eq "$n: node-a's route to $addr" "$addr dev $hv" "$route"
}

# ifindex IFNAME: IFNAME's index on node-a; a new pair gets a new one.
ifindex() {
	tb_exec node-a cat "/sys/class/net/$1/ifindex"
}

# ping_ok NAME DST: container NAME reaches DST (retried while the path
# comes up).
ping_ok() {
	local _
	for _ in $(seq 20); do
		pm exec "$1" ping -c 1 -W 1 -q "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# --- run: the address comes from sluiced ---------------------------------
t0=$(date +%s%N)
run c1
c1_id=$(pm inspect -f '{{.Id}}' c1)
attached c1
a1=$addr
tb_assert_eq "host veths on node-a with c1" 1 "$(tb_host_veths node-a)"
ping_ok c1 "$pb" || tb_fail "c1 ($a1) -> pb1 ($pb) on node-b"
tb_exec pb1 ping -c 2 -W 2 -q "$a1" >/dev/null || tb_fail "pb1 ($pb) -> c1 ($a1)"
run c2
c2_id=$(pm inspect -f '{{.Id}}' c2)
attached c2
a2=$addr
[ "$a1" != "$a2" ] || tb_fail "c1 and c2 both got $a1"
ping_ok c2 "$a1" || tb_fail "c2 ($a2) -> c1 ($a1) on the same node"
# c3 asks for an address (--ip, which podman passes as CNI_ARGS IP=): the
# 11th of c1's block (a /28 of node-a's), above the lowest free one.
want=${a1%.*}.$(( (${a1##*.} & ~15) + 10 ))
run c3 --ip "$want"
attached c3
tb_assert_eq "c3's address (podman run --ip)" "$want" "$addr"
ping_ok c3 "$pb" || tb_fail "c3 ($addr) -> pb1 ($pb) on node-b"
tb_assert_eq "host veths on node-a with c1, c2, c3" 3 "$(tb_host_veths node-a)"

# --- restart: DEL, then ADD ------------------------------------------------
hv1=$(host_ifname "$c1_id/eth0")
idx=$(ifindex "$hv1")
out=$(pm restart -t 0 c1 2>&1) || tb_fail "podman restart c1: $out"
attached c1
a1r=$addr
now=$(ifindex "$hv1")
[ "$now" != "$idx" ] ||
    tb_fail "c1's host veth $hv1 is the one from before the restart (no DEL and ADD?)"
tb_assert_eq "host veths on node-a after the restart" 3 "$(tb_host_veths node-a)"
ping_ok c1 "$pb" || tb_fail "c1 ($a1r) -> pb1 after the restart"
tb_exec pb1 ping -c 1 -W 2 -q "$a1r" >/dev/null || tb_fail "pb1 -> c1 ($a1r) after the restart"

# --- stop: DEL ---------------------------------------------------------------
out=$(pm stop -t 0 c1 2>&1) || tb_fail "podman stop c1: $out"
al=$(alloc_of "$c1_id/eth0")
tb_assert_eq "c1's allocation after podman stop" "" "$al"
tb_assert_eq "host veths on node-a with c1 stopped" 2 "$(tb_host_veths node-a)"

# --- network reload: DEL, then ADD with IP=<the old address> ---------------
# c1's address is free now and lower than c2's, so an ADD that does not
# ask for c2's old address gets c1's.
hv2=$(host_ifname "$c2_id/eth0")
idx=$(ifindex "$hv2")
mac2=$(pm exec c2 cat /sys/class/net/eth0/address)
out=$(pm network reload c2 2>&1) || tb_fail "podman network reload c2: $out"
attached c2
tb_assert_eq "c2's address after network reload" "$a2" "$addr"
# ... and its MAC (CNI_ARGS MAC=), so the container's neighbours need
# not learn a new one.
tb_assert_eq "c2's MAC after network reload" "$mac2" "$(pm exec c2 cat /sys/class/net/eth0/address)"
now=$(ifindex "$hv2")
[ "$now" != "$idx" ] ||
    tb_fail "c2's host veth $hv2 is the one from before network reload (no DEL and ADD?)"
ping_ok c2 "$pb" || tb_fail "c2 ($a2) -> pb1 after network reload"
# c3 was started with --ip: podman 4.3 adds its old address to the one
# --ip asked for and sends runtimeConfig.ips ["X", "X"].
out=$(pm network reload c3 2>&1) || tb_fail "podman network reload c3: $out"
attached c3
tb_assert_eq "c3's address after network reload" "$want" "$addr"
ping_ok c3 "$pb" || tb_fail "c3 ($want) -> pb1 after network reload"

# --- start: ADD ----------------------------------------------------------------
out=$(pm start c1 2>&1) || tb_fail "podman start c1: $out"
attached c1
a1s=$addr
tb_assert_eq "host veths on node-a with c1 started again" 3 "$(tb_host_veths node-a)"
ping_ok c1 "$a2" || tb_fail "c1 ($a1s) -> c2 ($a2) after podman start"

# --- rm: DEL frees the address and the host veth -----------------------------
out=$(pm rm -f -t 0 c1 2>&1) || tb_fail "podman rm c1: $out"
al=$(alloc_of "$c1_id/eth0")
tb_assert_eq "c1's allocation after podman rm" "" "$al"
tb_exec node-a ip link show "$hv1" >/dev/null 2>&1 &&
    tb_fail "c1's host veth $hv1 is still on node-a after podman rm"
tb_assert_eq "host veths on node-a after podman rm c1" 2 "$(tb_host_veths node-a)"
ping_ok c2 "$pb" || tb_fail "c2 ($a2) -> pb1 after c1 was removed"
out=$(pm rm -f -t 0 c2 c3 2>&1) || tb_fail "podman rm c2 c3: $out"
tb_assert_eq "allocations of node-a after podman rm c2 c3" 0 \
    "$(tb_json node-a 'len([a for a in j["allocations"] if a["node"] == "node-a"])' ipam)"
tb_assert_eq "host veths on node-a after podman rm c2 c3" 0 "$(tb_host_veths node-a)"
tb_assert_eq "containers left" "" "$(pm ps -a -q)"
t1=$(date +%s%N)
tb_log "PASS (c1 $a1, $a1r after restart, $a1s after stop and start; c2 $a2 kept through network reload; c3 $want asked for; pb1 $pb; podman part $(((t1 - t0) / 1000000)) ms)"
