#!/usr/bin/env bash
# Pods on three nodes reach each other through sluiced alone: every pod
# pings every other pod (same node and across nodes), 100 MB of TCP
# arrive intact across nodes, UDP works both ways, and the counters say
# the packets went through the tunnel. Each node runs two data-path
# workers on a two-queue TUN, and 64 flows are spread over both.
#
#                     sw (br0, 192.0.2.0/24)
#          /                  |                   \
#   node-a 192.0.2.1     node-b 192.0.2.2     node-c 192.0.2.3
#   10.244.1.0/24        10.244.2.0/24        10.244.3.0/24
#   pod-a1 .10 pod-a2 .11  pod-b1 .10 pod-b2 .11  pod-c1 .10 pod-c2 .11
. "$(dirname "$0")/lib.sh"
TB_WORKERS=2

tb_switch
tb_node node-a 192.0.2.1
tb_node node-b 192.0.2.2
tb_node node-c 192.0.2.3
tb_cluster 10.244.0.0/16 node-a:10.244.1.0/24 node-b:10.244.2.0/24 node-c:10.244.3.0/24
pods=()
for n in a b c; do
	case $n in a) b=1 ;; b) b=2 ;; c) b=3 ;; esac
	tb_pod "node-$n" "pod-${n}1" "10.244.$b.10"
	tb_pod "node-$n" "pod-${n}2" "10.244.$b.11"
	pods+=("pod-${n}1" "pod-${n}2")
done
for n in node-a node-b node-c; do tb_daemon_start "$n"; done
for n in node-a node-b node-c; do tb_wait_peers "$n" 2; done

# Every pod pings every other pod.
fails=0
for src in "${pods[@]}"; do
	for dst in "${pods[@]}"; do
		[ "$src" = "$dst" ] && continue
		if ! tb_exec "$src" ping -c 1 -W 2 -q "${TB_ADDR[$dst]}" >/dev/null; then
			echo "ping $src -> $dst (${TB_ADDR[$dst]}) failed" >&2
			fails=$((fails + 1))
		fi
	done
done
tb_assert_eq "failed pings of 30" 0 "$fails"

# The kernel routes sluiced installed on node-a: the other blocks through
# the TUN, the pool unreachable, pod traffic steered by rules.
rt=$(tb_exec node-a ip route show proto 83)
tb_assert_match "route to node-b's block" "10\.244\.2\.0/24 dev sluice0" "$rt"
tb_assert_match "route to node-c's block" "10\.244\.3\.0/24 dev sluice0" "$rt"
tb_assert_match "pool unreachable" "unreachable 10\.244\.0\.0/16" "$rt"
rules=$(tb_exec node-a ip rule show)
tb_assert_match "rule: TUN output to main" "iif sluice0 lookup main" "$rules"
tb_assert_match "rule: pods to sluice" "from 10\.244\.0\.0/16 lookup 222" "$rules"

# 100 MB of TCP from pod-a1 to pod-c1, checked end to end.
tb_exec pod-c1 "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-server 5001 60 >"$TB_TMP/rx" &
srv=$!
sleep 0.3
sent=$(tb_exec pod-a1 "$PY" "$SLUICE_SRC/tests/tools/xfer.py" tcp-client 10.244.3.10 5001 100000000)
wait $srv
tb_assert_eq "100 MB arrive intact (bytes sha256)" "$sent" "$(cat "$TB_TMP/rx")"

# node-a's underlay, what node-b sends it: which UDP source port carries
# which flow.
ip netns exec "$(tb_ns_name node-a)" tshark -q -i ul0 \
    -f "udp dst port 4789 and src host 192.0.2.2" -a duration:20 \
    -w "$TB_TMP/ul.pcap" 2>/dev/null &
tshark_pid=$!
TB_BG+=("$tshark_pid")
for _ in $(seq 50); do [ -s "$TB_TMP/ul.pcap" ] && break; sleep 0.1; done
sleep 0.5

# UDP both ways between pod-b2 and pod-a2: 50 datagrams, 50 echoes.
tb_exec pod-a2 "$PY" "$SLUICE_SRC/tests/tools/xfer.py" udp-echo 5002 15 &
echo_pid=$!
sleep 0.3
back=$(tb_exec pod-b2 "$PY" "$SLUICE_SRC/tests/tools/xfer.py" udp-ping 10.244.1.11 5002 50)
# 64 flows (one datagram each from its own port): the kernel hashes them
# over node-b's two TUN queues, and each worker forwards its share.
flows=$(tb_exec pod-b2 "$PY" - <<'PY'
import socket, time
socks = []
for i in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"flow %d" % i, ("10.244.1.11", 5002))
    socks.append(s)
back = 0
for s in socks:
    try:
        s.recv(64)
        back += 1
    except OSError:
        pass
print(back)
PY
)
kill "$echo_pid" 2>/dev/null || true
wait "$echo_pid" 2>/dev/null || true
tb_assert_eq "UDP echoes from pod-a2" 50 "$back"
tb_assert_eq "echoes of 64 flows" 64 "$flows"
sleep 1
kill -INT "$tshark_pid" 2>/dev/null || true
wait "$tshark_pid" 2>/dev/null || true
# Each flow leaves from one source port (RFC 7348 section 5), never the
# VXLAN port itself, and the flows from several (overlay.sourcePorts 16
# per worker): the underlay's ECMP can tell them apart.
ports=$(tshark -r "$TB_TMP/ul.pcap" -Y "udp.dstport == 5002" -T fields \
    -e udp.srcport 2>/dev/null | "$PY" -c '
import sys
outer = {}
for line in sys.stdin:
    p = line.strip().split(",")
    if len(p) == 2:
        outer.setdefault(p[1], set()).add(p[0])
used = set().union(*outer.values()) if outer else set()
print(len(outer), max((len(v) for v in outer.values()), default=0),
      len(used), "4789" in used)')
tb_log "underlay source ports: flows, most ports of one flow, ports in all, 4789 used: $ports"
read -r nflows most nports own <<<"$ports"
# A capture on a loaded machine may miss a few; 16 flows make the point.
[ "$nflows" -ge 16 ] || tb_fail "only $nflows flows seen on the underlay"
tb_assert_eq "every flow leaves from one source port" 1 "$most"
[ "$nports" -ge 2 ] || tb_fail "$nflows flows left from $nports source port(s)"
tb_assert_eq "the VXLAN port is not a source port" False "$own"
tb_assert_eq "node-b runs two workers" 2 "$(tb_json node-b 'j["overlay"]["workers"]' status)"
tb_assert_eq "on a multi-queue TUN" True "$(tb_json node-b 'j["overlay"]["multiQueue"]' status)"
per=$(tb_json node-b '" ".join(str(w["tun_rx"]) for w in j["workers"])' stats)
tb_log "node-b TUN packets per worker: $per"
for n in $per; do
	[ "$n" -gt 0 ] || tb_fail "a worker of node-b read nothing from its queue ($per)"
done

# The tunnel carried it, and nothing was dropped for a bad reason.
for n in node-a node-b node-c; do
	dec=$(tb_stat "$n" decap)
	[ "$dec" -gt 0 ] || tb_fail "$n decapsulated nothing"
	for c in drop_unknown_source drop_not_local drop_no_route drop_tun_write drop_udp_send drop_no_buffer; do
		tb_assert_eq "$n $c" 0 "$(tb_stat "$n" $c)"
	done
done
tb_log "PASS (30 pings, 100 MB TCP intact, 50/50 UDP; node-a fwd_peer $(tb_stat node-a fwd_peer), decap $(tb_stat node-a decap))"
