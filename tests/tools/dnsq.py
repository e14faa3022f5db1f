#!/usr/bin/python3
"""A DNS client for the tests, and a spoofer. Bounded in time.

  dnsq.py query SERVER NAME [tcp]      ask SERVER for NAME's A records (UDP,
                                       or TCP); print the addresses, one
                                       per line (none: exit 1)
  dnsq.py spoof DST NAME ADDR [N]      send DST (port 40000) N answers
                                       (default 5) claiming NAME is ADDR,
                                       from port 53 of this host
"""
import random
import socket
import struct
import sys


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qid):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(name) + \
        struct.pack("!HH", 1, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n & 0xc0 == 0xc0:
            return off + 2
        if n == 0:
            return off + 1
        off += 1 + n


def answers(msg):
    _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    out = []
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return out


def do_query(server, name, tcp):
    qid = random.randrange(65536)
    q = query(name, qid)
    if tcp:
        s = socket.create_connection((server, 53), timeout=3)
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        msg = buf[2:]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        msg = None
        for _ in range(3):
            s.sendto(q, (server, 53))
            try:
                msg = s.recv(4096)
                break
            except socket.timeout:
                continue
        if msg is None:
            sys.exit("no answer")
    addrs = answers(msg)
    for a in addrs:
        print(a)
    sys.exit(0 if addrs else 1)


def do_spoof(dst, name, addr, n):
    msg = struct.pack("!HHHHHH", 4242, 0x8180, 1, 1, 0, 0) + qname(name) + \
        struct.pack("!HH", 1, 1) + b"\xc0\x0c" + \
        struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(addr)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 53))
    for _ in range(n):
        s.sendto(msg, (dst, 40000))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "query":
        do_query(sys.argv[2], sys.argv[3], len(sys.argv) > 4)
    elif len(sys.argv) >= 5 and sys.argv[1] == "spoof":
        do_spoof(sys.argv[2], sys.argv[3], sys.argv[4],
                 int(sys.argv[5]) if len(sys.argv) > 5 else 5)
    else:
        sys.exit(__doc__)
