#!/usr/bin/env bash
# NAT outgoing and bad input: a pod of a natOutgoing pool sends, through
# a raw socket, what NAT cannot or must not translate — fragments, TCP
# that starts without a SYN, flag combinations no stack sends, protocols
# other than TCP/UDP/ICMP echo, a TCP segment with a wrong checksum —
# and the outside sends garbage to the NAT ports. Each is counted under
# its reason and never leaves untranslated; the bad checksum leaves
# translated and still bad (sluiced does not check L4 sums, and the
# incremental update keeps an error an error); the daemon keeps working.
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"

tb_switch
tb_node node-a 192.0.2.1
tb_host out 192.0.2.100
tb_manifest node-a <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: nat}
spec: {cidr: 10.244.0.0/16, blockSize: 24, natOutgoing: true}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24]}
YAML
tb_pod node-a p1 10.244.1.5
tb_daemon_start node-a
tb_bg out "$PY" "$WHOAMI" serve 7000 60

# What reaches the outside host, by source address and protocol.
cat >"$TB_TMP/sniff.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("ul0", 0))
s.settimeout(0.2)
end = time.monotonic() + 20
with open(sys.argv[1], "w", buffering=1) as f:
    while time.monotonic() < end:
        try:
            d = s.recv(2048)
        except socket.timeout:
            continue
        ip = d[14:]
        f.write("%s %d\n" % (socket.inet_ntoa(ip[12:16]), ip[9]))
PY
tb_bg out "$PY" "$TB_TMP/sniff.py" "$TB_TMP/seen"
sleep 0.5

tb_exec p1 "$PY" - <<'PY' || tb_fail "sending the bad packets"
import socket, struct

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

SRC, DST = socket.inet_aton("10.244.1.5"), socket.inet_aton("192.0.2.100")

def ip(proto, payload, frag=0x4000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, frag,
                    64, proto, 0, SRC, DST)
    return h + payload

def tcp(flags, good=True):
    t = struct.pack("!HHIIBBHHH", 40000, 7000, 1, 0, 0x50, flags, 1024, 0, 0)
    c = csum(SRC + DST + struct.pack("!BBH", 0, 6, len(t)) + t)
    if not good:
        c ^= 0x00ff
    return t[:16] + struct.pack("!H", c) + t[18:]

r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
send = lambda p: r.sendto(p, ("192.0.2.100", 0))
udp = struct.pack("!HHHH", 5000, 7000, 16, 0) + b"fragment"
send(ip(17, udp, frag=0x2000))              # first fragment (MF)
send(ip(17, b"tail-of-it", frag=0x0003))    # a later fragment
send(ip(6, tcp(0x10)))                      # ACK without a flow
send(ip(6, tcp(0x03)))                      # SYN+FIN
send(ip(6, tcp(0x06)))                      # SYN+RST
send(ip(6, tcp(0x00)))                      # no flags at all
send(ip(6, tcp(0x01)))                      # FIN without ACK
send(ip(47, b"\0" * 8))                     # GRE
send(ip(6, tcp(0x02, good=False)))          # SYN, wrong checksum
PY
sleep 1
tb_assert_eq "fragments and GRE" 3 "$(tb_stat node-a drop_nat_unsupported)"
tb_assert_eq "TCP without SYN or with bad flags" 5 "$(tb_stat node-a drop_nat_invalid)"
# The bad-checksum SYN left translated; nothing left with the pod address.
awk '$1 == "10.244.1.5"' "$TB_TMP/seen" | grep -q . &&
    tb_fail "packets left with the pod's address: $(awk '$1 == "10.244.1.5"' "$TB_TMP/seen")"
grep -q '^192.0.2.1 6$' "$TB_TMP/seen" || tb_fail "the translated SYN never reached the outside"

# Garbage from the outside to the NAT ports: dropped and counted.
before=$(tb_stat node-a drop_nat_no_flow)
tb_exec out "$PY" - <<'PY'
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(61000, 61100):
    u.sendto(b"\xff" * 64, ("192.0.2.1", p))
for p in (61000, 63000, 65534):
    t = socket.socket()
    t.settimeout(0.3)
    try:
        t.connect(("192.0.2.1", p))
    except OSError:
        pass
    t.close()
PY
sleep 1
after=$(tb_stat node-a drop_nat_no_flow)
[ "$after" -ge $((before + 100)) ] || tb_fail "garbage to NAT ports: drop_nat_no_flow $before -> $after"

# Still working.
seen=$(tb_exec p1 "$PY" "$WHOAMI" tcp 192.0.2.100 7000) || tb_fail "TCP p1 -> out after the bad input"
tb_assert_match "translated after the bad input" "^192\.0\.2\.1 " "$seen"
tb_log "PASS"
