#!/usr/bin/python3
"""Sends hand-made VXLAN datagrams at a sluiced node, for the bad-input
test. Each case is one datagram from a UDP socket bound to SRC.

  vxlan_send.py SRC DST PORT VNI DSTMAC CASE...
CASEs: short, noflag, badvni, badmac, arp, badinner, truncinner, spoof, good
(good carries an ICMP echo request from 10.244.2.10 to 10.244.1.10).
"""
import socket
import struct
import sys

src, dst, port, vni, dstmac = sys.argv[1:6]
port = int(port)
vni = int(vni)
mac = bytes(int(x, 16) for x in dstmac.split(":"))
srcmac = bytes([0x02, 0, 0, 0, 0, 0x99])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(payload, proto=1, s="10.244.2.10", d="10.244.1.10"):
    """An IPv4 packet; the default source is a pod of the sender (node-b)."""
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64,
                    proto, 0, socket.inet_aton(s), socket.inet_aton(d))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def echo():
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"sluice"
    return icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]


def vx(inner, flags=0x08, v=None, m=None, etype=0x0800):
    v = vni if v is None else v
    hdr = struct.pack("!B3sI", flags, b"\0\0\0", v << 8)
    eth = (m or mac) + srcmac + struct.pack("!H", etype)
    return hdr + eth + inner


cases = {
    "short": b"\x08\0\0\0",
    "noflag": vx(ipv4(echo()), flags=0x00),
    "badvni": vx(ipv4(echo()), v=(vni + 1) & 0xFFFFFF),
    "badmac": vx(ipv4(echo()), m=b"\x02\x11\x22\x33\x44\x55"),
    "arp": vx(bytes(28), etype=0x0806),
    "badinner": vx(b"\x45" + bytes(19)),
    "truncinner": vx(ipv4(echo())[:30]),
    "good": vx(ipv4(echo())),
    # node-b claiming to be a pod of node-a itself
    "spoof": vx(ipv4(echo(), s="10.244.1.99")),
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for c in sys.argv[6:]:
    s.sendto(cases[c], (dst, port))
