# bench/lib.sh - what the end-to-end benchmarks share, on top of the test
# bed (tests/netns/lib.sh, sourced first). Every load is bounded in time.
#
#   bench_tcp FROM SERVER HOST [-R]    one TCP stream (iperf3, $SECS s) from
#                                      namespace FROM to HOST, served in
#                                      namespace SERVER: Gbit/s received
#   bench_udp64 FROM SERVER HOST       64-byte UDP packets/s received
#   bench_conns FROM SERVER HOST PORT  new TCP connections/s ($CONNS of them,
#                                      bench/nat_conn.c, built to $CONN)
#   bench_median KEY                   the median of R[KEY,1..$ROUNDS]
#   bench_ratio A B                    A / B, three decimals
#   bench_overlay_pair                 two identical two-node topologies,
#                                      pods s-pa -> s-pb through sluiced
#                                      ($WORKERS workers if set), k-pa ->
#                                      k-pb through the kernel's VXLAN
CONN="$TB_TMP/nat_conn"
cc -O2 -Wall -o "$CONN" "$SLUICE_SRC/bench/nat_conn.c"

bench_iperf() {	# bench_iperf FROM SERVER HOST ARGS... -> the client's JSON
	local from=$1 server=$2 host=$3 srv
	shift 3
	ip netns exec "$(tb_ns_name "$server")" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	tb_exec "$from" iperf3 -c "$host" -p 5201 -t "$SECS" "$@" -J 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
}

bench_tcp() {
	bench_iperf "$@" | "$PY" -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' ||
	    echo 0
}

bench_udp64() {
	bench_iperf "$1" "$2" "$3" -u -l 64 -b 0 | "$PY" -c '
import json, sys
e = json.load(sys.stdin)["end"]["sum"]
print("%.0f" % ((e["packets"] - e["lost_packets"]) / e["seconds"]))' || echo 0
}

bench_conns() {
	local from=$1 server=$2 host=$3 port=$4 srv out
	# Not through tb_exec (a function: $! would be a subshell's).
	ip netns exec "$(tb_ns_name "$server")" "$CONN" serve "$port" 30 >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	out=$(tb_exec "$from" "$CONN" connect "$host" "$port" "$CONNS" 1 20)
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	set -- $out
	[ "$2" -eq 0 ] || echo "  (note: $2 connections failed)" >&2
	"$PY" -c "print('%.0f' % ($1 / $3))"
}

bench_median() {
	local v=() round
	for round in $(seq "$ROUNDS"); do v+=("${R[$1,$round]}"); done
	printf '%s\n' "${v[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

bench_ratio() { "$PY" -c "print('%.3f' % ($1 / $2) if $2 else 'n/a')"; }

# Two identical topologies side by side:
#
#   s-sw (br0)                         k-sw (br0)
#   s-a 192.0.2.1 --- s-b 192.0.2.2    k-a 192.0.2.1 --- k-b 192.0.2.2
#   sluiced            sluiced         kernel vx0        kernel vx0
#   s-pa 10.244.1.10   s-pb 10.244.2.10  k-pa 10.244.1.10  k-pb 10.244.2.10
bench_overlay_pair() {
	local ksw kport=0 amac bmac
	tb_switch
	tb_node s-a 192.0.2.1
	tb_node s-b 192.0.2.2
	tb_cluster 10.244.0.0/16 s-a:10.244.1.0/24 s-b:10.244.2.0/24
	TB_WORKERS=${WORKERS:-}
	tb_pod s-a s-pa 10.244.1.10
	tb_pod s-b s-pb 10.244.2.10
	tb_daemon_start s-a
	tb_daemon_start s-b
	tb_wait_peers s-a 1

	# The kernel's side gets its own switch namespace.
	ksw=$(tb_ns_name k-sw)
	tb_ns k-sw
	ip -n "$ksw" link add br0 type bridge
	ip -n "$ksw" link set br0 up
	knode() {	# knode NAME ADDR BLOCK PEER-ADDR PEER-BLOCK
		local n=$1 ns
		tb_ns "$n"
		ns=$(tb_ns_name "$n")
		kport=$((kport + 1))
		ip -n "$ns" link add ul0 type veth peer name "k$kport" netns "$ksw"
		ip -n "$ksw" link set "k$kport" master br0 up
		ip -n "$ns" addr add "$2/24" dev ul0
		ip -n "$ns" link set ul0 up
		TB_ADDR[$n]=$2
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
		ip -n "$ns" link add vx0 type vxlan id 1 dstport 4789 local "$2" dev ul0 nolearning
		ip -n "$ns" link set vx0 mtu 1450 up
		ip -n "$ns" addr add "${3%.0/24}.1/32" dev vx0
		ip -n "$ns" route add "$5" via "${5%.0/24}.1" dev vx0 onlink
		bridge -n "$ns" fdb append 00:00:00:00:00:00 dev vx0 dst "$4"
	}
	knode k-a 192.0.2.1 10.244.1.0/24 192.0.2.2 10.244.2.0/24
	knode k-b 192.0.2.2 10.244.2.0/24 192.0.2.1 10.244.1.0/24
	# The vx0 MACs are only known now: static neighbours for the gateways.
	amac=$(ip -n "$(tb_ns_name k-a)" -br link show vx0 | awk '{print $3}')
	bmac=$(ip -n "$(tb_ns_name k-b)" -br link show vx0 | awk '{print $3}')
	ip -n "$(tb_ns_name k-a)" neigh add 10.244.2.1 lladdr "$bmac" dev vx0 nud permanent
	ip -n "$(tb_ns_name k-b)" neigh add 10.244.1.1 lladdr "$amac" dev vx0 nud permanent
	tb_pod k-a k-pa 10.244.1.10
	tb_pod k-b k-pb 10.244.2.10
	tb_exec k-pa ping -c 1 -W 2 -q 10.244.2.10 >/dev/null || tb_fail "kernel VXLAN path does not work"
	tb_exec s-pa ping -c 1 -W 2 -q 10.244.2.10 >/dev/null || tb_fail "sluiced path does not work"
}
