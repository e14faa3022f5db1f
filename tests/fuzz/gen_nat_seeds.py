#!/usr/bin/python3
"""Writes the fuzz_nat seeds (see the comment at the top of fuzz_nat.c for
the input format): IPv4 packets NAT translates (TCP, UDP, ICMP echo), ICMP
errors quoting each, packets it must leave alone (fragments, other
protocols, IPv6, truncated), and runs of flow-table operations.
Usage: gen_nat_seeds.py DIR
Files named found-* or crash-* in DIR are not touched."""
import os
import socket
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

TCP, UDP, ICMP = 6, 17, 1
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

POD = "10.244.1.5"
REMOTE = "198.51.100.2"
NAT = "192.0.2.1"
ROUTER = "203.0.113.1"


def a(s):
    return socket.inet_aton(s)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(proto, src, dst, l4, opts=b"", frag=0x4000, ident=1, tot=None):
    """An IPv4 packet with a right header checksum."""
    hl = 20 + len(opts)
    tot = hl + len(l4) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, tot, ident, frag, 64,
                    proto, 0, a(src), a(dst)) + opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4


def l4sum(proto, src, dst, l4, at, length=None):
    """l4 with its checksum at offset at set (pseudo-header included)."""
    length = len(l4) if length is None else length
    l4 = l4[:at] + b"\0\0" + l4[at + 2:]
    pseudo = a(src) + a(dst) + struct.pack("!BBH", 0, proto, length)
    c = csum(pseudo + l4[:length])
    if proto == UDP and c == 0:
        c = 0xFFFF
    return l4[:at] + struct.pack("!H", c) + l4[at + 2:]


def tcp(src, dst, sport, dport, flags, payload=b"", opts=b""):
    doff = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, doff << 4, flags,
                      64240, 0, 0) + opts + payload
    return ip4(TCP, src, dst, l4sum(TCP, src, dst, seg, 16))


def udp(src, dst, sport, dport, payload, nocsum=False, ulen=None, pad=b""):
    ulen = 8 + len(payload) if ulen is None else ulen
    dg = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    if not nocsum:
        dg = l4sum(UDP, src, dst, dg, 6, ulen)
    return ip4(UDP, src, dst, dg + pad)


def icmp(src, dst, typ, code, rest, body=b""):
    msg = struct.pack("!BBH", typ, code, 0) + rest + body
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return ip4(ICMP, src, dst, msg)


def echo(src, dst, typ, ident, seq, payload=b""):
    return icmp(src, dst, typ, 0, struct.pack("!HH", ident, seq), payload)


def error(typ, code, quoted, rest=b"\0\0\0\0", src=ROUTER, dst=NAT):
    return icmp(src, dst, typ, code, rest, quoted)


def pkt(p, flags=0, a1=NAT, p1=61000, a2=POD, p2=40000):
    """A packet-mode input: fix-up flags, addr1, port1, addr2, port2, p."""
    return struct.pack("!B4sH4sH", flags, a(a1), p1, a(a2), p2) + p


def adjust(c, old, new):
    """RFC 1624 eqn. 3, as xlate_csum_adjust() does it."""
    s = ~c & 0xFFFF
    for i in range(0, len(old), 2):
        s += ~struct.unpack("!H", old[i:i + 2])[0] & 0xFFFF
        s += struct.unpack("!H", new[i:i + 2])[0]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_quote_to_zero(sport, newport):
    """A UDP datagram from NAT:sport whose checksum, once the error is
    translated to POD:newport, comes out as 0 (to be sent as 0xffff)."""
    dg = struct.pack("!HHH", sport, 53, 8)
    d = a(NAT) + struct.pack("!H", sport), a(POD) + struct.pack("!H", newport)
    c = next(c for c in range(1, 0x10000) if adjust(c, *d) == 0)
    return ip4(UDP, NAT, REMOTE, dg + struct.pack("!H", c))


FIX_ALL = 0x0F
data = bytes(range(256))
syn = tcp(POD, REMOTE, 40000, 443, SYN,
          opts=b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x00\x00")
# What a router sends back about the translated SYN, quoting all of it.
syn_out = tcp(NAT, REMOTE, 61000, 443, SYN)
udp_out = udp(NAT, "8.8.8.8", 61001, 53, b"\x12\x34\x01\x00\x00\x01" + bytes(6))
echo_out = echo(NAT, REMOTE, 8, 61002, 1, data[:56])
frag_udp = udp(POD, REMOTE, 5353, 53, data[:64])

packets = {
    "tcp-syn": syn,
    "tcp-syn-ack-reply": tcp(REMOTE, NAT, 443, 61000, SYN | ACK),
    "tcp-data-ip-options": ip4(TCP, POD, REMOTE, l4sum(
        TCP, POD, REMOTE, struct.pack("!HHIIBBHHH", 40001, 80, 7, 9, 5 << 4,
                                      PSH | ACK, 502, 0, 0) + data[:99], 16),
        opts=b"\x94\x04\x00\x00"),
    "tcp-bad-csum": syn[:36] + b"\xde\xad" + syn[38:],
    "udp-dns": udp(POD, "8.8.8.8", 5353, 53, data[:33]),
    "udp-no-csum": udp(POD, REMOTE, 5353, 53, data[:20], nocsum=True),
    "udp-short-len": udp(POD, REMOTE, 5353, 53, data[:12], pad=data[:6]),
    "udp-bad-len": udp(POD, REMOTE, 5353, 53, data[:12], ulen=300),
    "icmp-echo-request": echo(POD, REMOTE, 8, 0x1234, 1, data[:56]),
    "icmp-echo-reply": echo(REMOTE, NAT, 0, 61002, 1, data[:56]),
    "icmp-echo-reply-empty": echo(REMOTE, NAT, 0, 61002, 0),
    "icmp-echo-odd": echo(POD, REMOTE, 8, 7, 3, data[:13]),
    "icmp-ttl-tcp": error(11, 0, syn_out),
    "icmp-ttl-udp": error(11, 0, udp_out),
    "icmp-ttl-echo": error(11, 0, echo_out[:28 + 8]),
    "icmp-unreach-udp-8": error(3, 3, udp_out[:28], src=REMOTE),
    "icmp-frag-needed-tcp-8": error(3, 4, syn_out[:28], b"\0\0\x05\x78"),
    "icmp-param-options": error(12, 0, ip4(UDP, NAT, REMOTE, udp_out[20:36],
                                           opts=b"\x01\x01\x01\x00")),
    "icmp-unreach-udp-no-csum": error(3, 3, udp(NAT, REMOTE, 61001, 53,
                                                data[:8], nocsum=True)),
    "icmp-unreach-udp-csum-to-0": error(3, 3, udp_quote_to_zero(61001,
                                                                40000)),
    "icmp-quote-bad-hdr-csum": error(11, 0, syn_out[:10] + b"\0\0" +
                                     syn_out[12:]),
    "icmp-quote-later-frag": error(11, 1, ip4(UDP, NAT, REMOTE, data[:8],
                                              frag=0x0010)),
    "icmp-quote-short": error(11, 0, syn_out[:27]),
    "icmp-redirect": error(5, 1, syn_out[:28], a(ROUTER)),
    "icmp-quote-gre": error(3, 1, ip4(47, NAT, REMOTE, data[:8])),
    "icmp-quote-ipv6": error(3, 1, struct.pack("!IHBB", 6 << 28, 8, UDP, 64)
                             + bytes(40)),
    "frag-first": ip4(UDP, POD, REMOTE, frag_udp[20:], frag=0x2000),
    "frag-later": ip4(UDP, POD, REMOTE, data[:40], frag=0x0005),
    "gre": ip4(47, POD, REMOTE, data[:24]),
    "ipv6-udp": struct.pack("!IHBB16s16s", 6 << 28, 8, UDP, 64,
                            socket.inet_pton(socket.AF_INET6, "fd00::1"),
                            socket.inet_pton(socket.AF_INET6, "fd00::2"))
    + struct.pack("!HHHH", 5353, 53, 8, 0),
    "truncated-tcp": syn[:30],
    "truncated-header": syn[:12],
}
# ICMP errors go back to the pod: the quote's source becomes POD:40000.
seeds = {"pkt-" + n: pkt(p, 0, POD, 40000) if n.startswith("icmp-") else
         pkt(p) for n, p in packets.items()}
# Zero checksums and lengths that the harness sets: free to mutate.
seeds["pkt-fixed-tcp"] = pkt(syn[:2] + b"\0\0" + syn[4:10] + b"\0\0" +
                             syn[12:36] + b"\0\0" + syn[38:], FIX_ALL)
seeds["pkt-fixed-udp-padded"] = pkt(packets["udp-dns"] + data[:5], FIX_ALL &
                                    ~0x01)
seeds["pkt-fixed-icmp-ttl-udp"] = pkt(packets["icmp-ttl-udp"], FIX_ALL)
seeds["pkt-port-zero"] = pkt(packets["icmp-echo-reply"], 0, "0.0.0.0", 0,
                             "255.255.255.255", 0xFFFF)
seeds["pkt-raw-short"] = syn[:11]

# ---- the table ----------------------------------------------------------


def pods(*s):
    return b"".join(a(x) for x in s)


def table(ops, nnat=1, lo=61000, size=4, cap=64, now=1000,
          nat=("192.0.2.1", "192.0.2.2", "192.0.2.3"),
          pod=("10.244.1.5", "10.244.1.6", "10.244.2.7", "10.244.3.8"),
          remote=("198.51.100.2", "198.51.100.3", "8.8.8.8", "1.1.1.1"),
          pport=(40000, 40001, 5353, 1234), rport=(443, 80, 53, 123)):
    h = struct.pack("!BHBBI", 0x80 | (nnat - 1), lo, size - 1, cap, now)
    h += pods(*nat) + pods(*pod) + pods(*remote)
    h += struct.pack("!4H", *pport) + struct.pack("!4H", *rport)
    assert len(h) == 69
    return h + b"".join(struct.pack("!BBB", *o) for o in ops)


COMMON = {SYN: 0, SYN | ACK: 1, ACK: 2, FIN | ACK: 3, RST: 4, RST | ACK: 5,
          PSH | ACK: 6}
PROTO = {TCP: 0, UDP: 1, ICMP: 2}


def out_(proto, pod=0, pport=0, remote=0, rport=0, flags=SYN):
    return (PROTO[proto] << 2, pod | pport << 2 | remote << 4 | rport << 6,
            0x80 | COMMON[flags] if proto == TCP else 0)


def in_(idx, flags=ACK, peek=False, off=0):
    """A reply to the model's flow idx; off: 1 nport+1, 2 rport^1, 3 nat."""
    return (1 | 4 | off << 3 | peek << 5, idx, 0x80 | COMMON[flags])


def in_any(proto, remote=0, rport=0, nat=0, nport=0, flags=ACK):
    return (1 | ({TCP: 0, UDP: 1, ICMP: 2}[proto] << 6),
            remote | rport << 2 | nat << 4 | nport << 6, 0x80 | COMMON[flags])


STEP = [0, 1, 2, 3, 5, 9, 10, 11, 15, 29, 30, 31, 59, 60, 61, 100, 119, 120,
        121, 179, 180, 181, 500, 1023, 1024, 1025, 2000, 5000, 7199, 7200,
        7201, 20000]


def time_(secs, expire=True):
    return (2 | expire << 2, STEP.index(secs), 0)


def walk(stop=0):
    return (3, 0, stop)


def lookup():
    return (3 | 4, 0, 0)


seeds["ct-tcp-life"] = table([
    out_(TCP, flags=ACK), out_(TCP), in_(0, SYN | ACK), out_(TCP, flags=ACK),
    out_(TCP, flags=PSH | ACK), in_(0, PSH | ACK), time_(100),
    out_(TCP, flags=FIN | ACK), in_(0, FIN | ACK), out_(TCP, flags=ACK),
    walk(1), time_(119), time_(1), out_(TCP), in_(0, RST, peek=True),
    in_(0, RST | ACK), time_(10), walk()])
seeds["ct-udp-icmp"] = table([
    out_(UDP, 0, 2, 2, 2), out_(ICMP, 1, 3, 0), in_(0, off=1), in_(0),
    in_(1, peek=True), in_(1, off=2), in_(1), time_(29), time_(1),
    lookup(), time_(180), walk()])
seeds["ct-ports-spill"] = table(
    [out_(TCP, p, q, 0, 0) for p in range(4) for q in range(4)] +
    [out_(UDP, p, q, 1, 2) for p in range(4) for q in range(4)] +
    [walk(5), in_any(TCP, 0, 0, 1, 1, SYN | ACK), time_(120), walk()],
    nnat=3, size=5)
seeds["ct-no-port"] = table(
    [out_(UDP, p, q, 0, 2) for p in range(4) for q in range(4)] +
    [time_(29, False), out_(UDP, 0, 0, 0, 2), time_(1), walk(),
     out_(UDP, 3, 3, 0, 2), walk()], size=3)
seeds["ct-full"] = table(
    [out_(UDP, p, q, r, s) for r in range(4) for s in range(4)
     for p in range(2) for q in range(3)][:70] +
    [in_(5), time_(31), out_(ICMP), walk(64)], size=200)
seeds["ct-expiry-wheel"] = table(
    [out_(TCP), in_(0, SYN | ACK), out_(TCP, flags=ACK), out_(UDP, 1),
     time_(1024), time_(1023, False), time_(7199), in_(0, ACK, peek=True),
     time_(1), walk(), time_(20000), walk()], now=0, lo=65533, size=9)
seeds["ct-small-cap"] = table(
    [out_(ICMP, p, q, r) for r in range(4) for p in range(4)
     for q in range(4)] +
    [time_(30), walk()], cap=3, lo=0, size=1)

# crash-port-probe-wraps (kept in the corpus, not written here) was made
# with table() too: size=7, pod[3] = 148.65.52.18, whose UDP flow from
# port 40000 to 198.51.100.2:53 has the allocator hint 0xffffffff (found
# by trying every pod address against ct.c's ohash()). Seven flows take
# the seven ports, all but the one on lo + 6 are refreshed, that one
# expires, and pod[3]'s new flow must get lo + 6: pick_port() once
# computed (hint + k) % size, which wrapped past 2^32 and never tried it.

for name, blob in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)
