# tests/netns/lib.sh - the test bed: hosts as network namespaces.
#
# Source it from a test (or the demo). It gives every run its own prefix,
# so runs in parallel never meet, and removes everything it made on exit,
# also when the test fails:
#   - daemons it started, by PID (never by name), SIGTERM then SIGKILL;
#   - the namespaces it made (which takes their veth pairs with them);
#   - its temporary directory.
# It never adds an address, route, rule or link to the root namespace:
# veth pairs are created inside a namespace and moved straight to another.
#
# Topology helpers:
#   tb_switch               a namespace "sw" with a bridge, the underlay LAN
#   tb_node NAME ADDR       a node namespace, ul0 (ADDR/24) plugged into sw
#   tb_host NAME ADDR       same as tb_node, for outside hosts
#   tb_pod NODE POD ADDR    a pod namespace on NODE: eth0 ADDR/32, default
#                           route via 169.254.1.1 (the node's veth), and the
#                           node's /32 route to it (what the CNI plugin will do)
#   tb_cluster NODE...      writes the cluster manifest (IPPool + Nodes) and
#                           the cluster secret every node's config points at
#   tb_daemon_start NAME    writes NAME's config and starts sluiced in it
#   tb_ctl NAME ARGS...     sluicectl against NAME's socket
#   tb_bg NAME CMD...       a background process in NAME, ended at cleanup
#   tb_cni_conf, tb_cni     run sluice-cni as a runtime would (see below)
# Assertions: tb_assert, tb_assert_eq, tb_assert_match, tb_fail.

set -euo pipefail

: "${SLUICE_BUILD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
: "${SLUICE_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SLUICED="$SLUICE_BUILD/router/sluiced"
SLUICECTL="$SLUICE_BUILD/cli/sluicectl"
PY=/usr/bin/python3

TB_ID="sl$$"
TB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-tb.XXXXXX")
TB_NS=()
TB_BG=()
declare -A TB_PID=()
declare -A TB_ADDR=()
TB_NAME=$(basename "$0" .sh)
# The cluster secret every node of this run shares (tb_config points at it).
head -c 48 /dev/urandom | base64 >"$TB_TMP/secret"
chmod 600 "$TB_TMP/secret"

tb_log() { printf '[%s] %s\n' "$TB_NAME" "$*"; }

tb_fail() {
	printf '[%s] FAIL: %s\n' "$TB_NAME" "$*" >&2
	for n in "${!TB_PID[@]}"; do
		if [ -s "$TB_TMP/$n/log" ]; then
			printf -- '--- sluiced log of %s (last 30 lines) ---\n' "$n" >&2
			tail -n 30 "$TB_TMP/$n/log" >&2
		fi
	done
	exit 1
}

tb_assert() {	# tb_assert "what" command...
	local what=$1
	shift
	"$@" || tb_fail "$what"
}

tb_assert_eq() {	# tb_assert_eq "what" expected actual
	[ "$2" = "$3" ] || tb_fail "$1: expected '$2', got '$3'"
}

tb_assert_match() {	# tb_assert_match "what" regex text
	[[ "$3" =~ $2 ]] || tb_fail "$1: '$3' does not match /$2/"
}

tb_cleanup() {
	local rc=$?
	set +e
	for pid in "${TB_BG[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for n in "${!TB_PID[@]}"; do
		kill -TERM "${TB_PID[$n]}" 2>/dev/null
	done
	for n in "${!TB_PID[@]}"; do
		local pid=${TB_PID[$n]} i
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${TB_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TB_TMP"
	exit $rc
}
trap tb_cleanup EXIT
trap 'exit 130' INT TERM

tb_ns_name() { echo "$TB_ID-$1"; }

# tb_bg NAME cmd...: runs cmd inside host NAME in the background; its PID
# is in TB_BG_PID, and the cleanup ends it (servers that would otherwise
# outlive the test and hold its output open).
tb_bg() {
	local n=$1
	shift
	ip netns exec "$(tb_ns_name "$n")" "$@" &
	TB_BG_PID=$!
	TB_BG+=("$TB_BG_PID")
}

# tb_exec NAME cmd...: runs cmd inside host NAME.
tb_exec() {
	local n=$1
	shift
	ip netns exec "$(tb_ns_name "$n")" "$@"
}

tb_ns() {
	local ns
	ns=$(tb_ns_name "$1")
	ip netns add "$ns"
	TB_NS+=("$ns")
	ip -n "$ns" link set lo up
}

tb_switch() {
	tb_ns sw
	ip -n "$(tb_ns_name sw)" link add br0 type bridge
	ip -n "$(tb_ns_name sw)" link set br0 up
	TB_SW_PORTS=0
}

# tb_node NAME ADDR [MTU]: a host on the underlay LAN with ul0 = ADDR/24.
tb_node() {
	local n=$1 addr=$2 mtu=${3:-1500} ns sw port
	tb_ns "$n"
	ns=$(tb_ns_name "$n")
	sw=$(tb_ns_name sw)
	TB_SW_PORTS=$((TB_SW_PORTS + 1))
	port="p$TB_SW_PORTS"
	ip -n "$ns" link add ul0 mtu "$mtu" type veth peer name "$port" \
	    mtu "$mtu" netns "$sw"
	ip -n "$sw" link set "$port" master br0 up
	ip -n "$ns" addr add "$addr/24" dev ul0
	ip -n "$ns" link set ul0 up
	TB_ADDR[$n]=$addr
	mkdir -p "$TB_TMP/$n/manifests"
}

tb_host() { tb_node "$@"; }

TB_PODS=0
# tb_pod NODE POD ADDR
tb_pod() {
	local node=$1 pod=$2 addr=$3 nns pns hv mac
	tb_ns "$pod"
	nns=$(tb_ns_name "$node")
	pns=$(tb_ns_name "$pod")
	TB_PODS=$((TB_PODS + 1))
	hv="sv$TB_PODS"
	ip -n "$nns" link add "$hv" type veth peer name eth0 netns "$pns"
	ip -n "$nns" link set "$hv" up
	ip -n "$nns" route add "$addr/32" dev "$hv"
	ip -n "$pns" addr add "$addr/32" dev eth0
	ip -n "$pns" link set eth0 up
	mac=$(ip -n "$nns" -br link show "$hv" | awk '{print $3}')
	ip -n "$pns" route add 169.254.1.1 dev eth0 scope link
	ip -n "$pns" neigh add 169.254.1.1 dev eth0 lladdr "$mac" nud permanent
	ip -n "$pns" route add default via 169.254.1.1 dev eth0
	TB_ADDR[$pod]=$addr
}

# tb_manifest NODE... < YAML: the cluster manifest (kept as
# $TB_TMP/cluster.yaml) installed in each node's manifests directory.
tb_manifest() {
	local n
	cat >"$TB_TMP/cluster.yaml"
	for n in "$@"; do
		cp "$TB_TMP/cluster.yaml" "$TB_TMP/$n/manifests/cluster.yaml"
	done
}

# tb_cluster POOL NODE:BLOCK...: the manifest every node loads, and the secret.
tb_cluster() {
	local pool=$1 spec n block f="$TB_TMP/cluster.yaml" nodes
	shift
	printf 'apiVersion: sluice.io/v1alpha1\nkind: IPPool\nmetadata:\n  name: default\nspec:\n  cidr: %s\n  blockSize: 24\n' "$pool" >"$f.new"
	for spec in "$@"; do
		n=${spec%%:*}
		block=${spec#*:}
		printf -- '---\napiVersion: sluice.io/v1alpha1\nkind: Node\nmetadata:\n  name: %s\nspec:\n  address: %s\n  podCIDRs: [%s]\n' \
		    "$n" "${TB_ADDR[$n]}" "$block" >>"$f.new"
	done
	nodes=()
	for spec in "$@"; do
		[ -d "$TB_TMP/${spec%%:*}/manifests" ] && nodes+=("${spec%%:*}")
	done
	tb_manifest "${nodes[@]}" <"$f.new"
	rm -f "$f.new"
}

tb_sock() { echo "$TB_TMP/$1/sluiced.sock"; }

# tb_config NAME [extra yaml lines]: writes NAME's node config.
tb_config() {
	local n=$1
	shift
	cat >"$TB_TMP/$n/sluiced.yaml" <<YAML
node:
  name: $n
underlay:
  interface: ul0
  address: ${TB_ADDR[$n]}
stateDir: $TB_TMP/$n/state
socket:
  path: $(tb_sock "$n")
logLevel: ${TB_LOGLEVEL:-info}
manifestsDir: $TB_TMP/$n/manifests
overlay:
  device: sluice0
  offloads: ${TB_OFFLOADS:-true}
$([ -z "${TB_WORKERS:-}" ] || echo "  workers: $TB_WORKERS")
$([ -z "${TB_SOURCE_PORTS:-}" ] || echo "  sourcePorts: $TB_SOURCE_PORTS")
cluster:
  secretFile: ${TB_SECRET:-$TB_TMP/secret}
  deadIntervalMs: ${TB_DEAD_MS:-1500}
  keepaliveIntervalMs: ${TB_KEEPALIVE_MS:-300}
YAML
	local line
	for line in "$@"; do
		echo "$line" >>"$TB_TMP/$n/sluiced.yaml"
	done
}

# tb_wait_ready NAME [SECONDS]: until sluicectl status answers.
tb_wait_ready() {
	local n=$1 t=${2:-20} i
	for i in $(seq $((t * 10))); do
		if "$SLUICECTL" --socket "$(tb_sock "$n")" --timeout 1 status \
		    >/dev/null 2>&1; then
			return 0
		fi
		if [ -n "${TB_PID[$n]:-}" ] && ! kill -0 "${TB_PID[$n]}" 2>/dev/null; then
			tb_fail "sluiced on $n exited during start-up"
		fi
		sleep 0.1
	done
	tb_fail "sluiced on $n not ready after ${t}s"
}

# tb_daemon_start NAME: config (if not written yet), start, wait for ready.
tb_daemon_start() {
	local n=$1
	[ -f "$TB_TMP/$n/sluiced.yaml" ] || tb_config "$n"
	# ip netns exec and env exec sluiced, so $! is the daemon's own PID
	# (a shell function here would add a subshell in between). TB_ENV
	# adds environment variables.
	# shellcheck disable=SC2086 # TB_ENV is a list of VAR=value words
	ip netns exec "$(tb_ns_name "$n")" env ${TB_ENV:-} "$SLUICED" --foreground \
	    --config "$TB_TMP/$n/sluiced.yaml" >>"$TB_TMP/$n/log" 2>&1 &
	TB_PID[$n]=$!
	tb_wait_ready "$n"
}

# tb_daemon_stop NAME: SIGTERM and expect a clean exit (status 0).
tb_daemon_stop() {
	local n=$1 pid=${TB_PID[$1]} rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	unset "TB_PID[$n]"
	[ $rc -eq 0 ] || { cat "$TB_TMP/$n/log" >&2; tb_fail "sluiced on $n exited with status $rc after SIGTERM"; }
}

tb_ctl() {
	local n=$1
	shift
	"$SLUICECTL" --socket "$(tb_sock "$n")" "$@"
}

# tb_wait_peers NODE N [SECONDS]: until NODE sees N peers up.
tb_wait_peers() {
	local n=$1 want=$2 t=${3:-20} i up
	for i in $(seq $((t * 10))); do
		up=$(tb_json "$n" 'sum(1 for p in j if p["state"] == "up")' peers 2>/dev/null || echo 0)
		[ "$up" = "$want" ] && return 0
		sleep 0.1
	done
	tb_ctl "$n" peers >&2 || true
	tb_fail "$n sees $up peers up, not $want, after ${t}s"
}

# tb_stat NODE COUNTER: a data-path counter of NODE.
tb_stat() {
	tb_json "$1" "j['datapath']['$2']" stats
}

# tb_json NAME EXPR ARGS...: runs sluicectl --json ARGS and prints the
# Python expression EXPR evaluated on the parsed reply (bound to j).
tb_json() {
	local n=$1 expr=$2
	shift 2
	tb_ctl "$n" --json "$@" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($expr)"
}

# --- sluice-cni, run as a runtime would ------------------------------------
CNI="$SLUICE_BUILD/cni/sluice-cni"
# How long one plugin run may take (a runtime's timeout; bounded loops).
: "${TB_CNI_TIMEOUT:=120}"

# tb_cni_conf NODE [VERSION [EXTRA JSON MEMBERS]]: a network config for
# NODE's sluiced.
tb_cni_conf() {
	printf '{"cniVersion": "%s", "name": "sluice", "type": "sluice-cni", "socket": "%s"%s}\n' \
	    "${2:-1.0.0}" "$(tb_sock "$1")" "${3:+, $3}"
}

# tb_cni NODE COMMAND ID [POD] < config: runs the plugin in NODE for
# container ID, eth0 in the netns of POD (a tb_ns name, default ID; "-"
# leaves CNI_NETNS out); stdout and exit status are the plugin's. The
# pod is ID of Kubernetes namespace $TB_CNI_NS (default "default").
tb_cni() {
	local node=$1 cmd=$2 id=$3 pod=${4:-$3} netns
	netns="/var/run/netns/$(tb_ns_name "$pod")"
	[ "$pod" = - ] && netns=
	tb_exec "$node" timeout -k 5 "$TB_CNI_TIMEOUT" env CNI_COMMAND="$cmd" \
	    CNI_CONTAINERID="$id" CNI_NETNS="$netns" CNI_IFNAME=eth0 \
	    CNI_PATH=/nonexistent \
	    CNI_ARGS="K8S_POD_NAMESPACE=${TB_CNI_NS:-default};K8S_POD_NAME=$id" "$CNI"
}

# tb_host_veths NODE: how many host ends of sluice-cni ("sl" + 12 hex).
tb_host_veths() {
	local links
	links=$(tb_exec "$1" ip -o link show) || return 1
	awk -F': ' '{print $2}' <<<"$links" | cut -d@ -f1 |
	    grep -cE '^sl[0-9a-f]{12}$' || true
}

# tb_attach NODE NS POD APP [NAMED PORTS JSON]: a pod namespace POD
# attached through sluice-cni as pod NS/POD with label app=APP (and
# args.cni.namedPorts); its address goes to TB_ADDR[POD]. Call it in the
# test's own shell (not in $(...)): the namespace must be remembered for
# the clean-up.
tb_attach() {
	local node=$1 ns=$2 pod=$3 app=$4 ports=${5:-} extra r
	extra="\"args\": {\"cni\": {\"labels\": [{\"key\": \"app\", \"value\": \"$app\"}]${ports:+, \"namedPorts\": $ports}}}"
	tb_ns "$pod"
	r=$(tb_cni_conf "$node" 1.0.0 "$extra" | TB_CNI_NS=$ns tb_cni "$node" ADD "$pod") ||
	    tb_fail "ADD $ns/$pod: $r"
	TB_ADDR[$pod]=$(tb_jq 'j["ips"][0]["address"].split("/")[0]' <<<"$r")
}

# tb_tcp ok|no FROM HOST PORT WHAT: a TCP connection from namespace FROM
# gets its answer (ok), or none within 3 s (no); tests/tools/whoami.py
# serves the other end.
tb_tcp() {
	local want=$1 from=$2 host=$3 port=$4 what=$5 got=no
	tb_exec "$from" timeout -k 1 3 "$PY" "$SLUICE_SRC/tests/tools/whoami.py" \
	    tcp "$host" "$port" >/dev/null 2>&1 && got=ok
	[ "$got" = "$want" ] ||
	    tb_fail "$what: $from -> $host:$port should be $([ "$want" = ok ] && echo allowed || echo denied)"
}

# tb_apply FILE NODE...: sluicectl apply -f FILE on each node.
tb_apply() {
	local f=$1 n
	shift
	for n in "$@"; do
		tb_ctl "$n" apply -f "$f" >/dev/null || tb_fail "apply $f on $n"
	done
}

# jq-like: tb_jq EXPR < JSON (the parsed document is j).
tb_jq() { "$PY" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

[ -x "$SLUICED" ] || tb_fail "no sluiced at $SLUICED (build first, or set SLUICE_BUILD)"
[ "$(id -u)" -eq 0 ] || tb_fail "the test bed needs root (network namespaces)"
