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
