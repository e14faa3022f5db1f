#!/usr/bin/python3
"""Writes the fuzz_offload seeds: TUN reads (virtio_net_hdr + packet) as
the kernel makes them with TSO and checksum offload on, and broken ones.
Usage: gen_offload_seeds.py DIR"""
import os
import socket
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def vnet(flags=0, gso_type=0, hdr_len=0, gso_size=0, cstart=0, coff=0):
    # Host byte order (little-endian here), as the TUN uses by default.
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, cstart, coff)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def tcp4(payload, flags=0x18, seq=1000, partial=True, opts=b""):
    src, dst = socket.inet_aton("10.244.1.10"), socket.inet_aton("10.244.2.10")
    thl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", 40000, 5201, seq, 77, (thl // 4) << 4, flags,
                      65535, 0, 0) + opts
    tot = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, min(tot, 65535), 7, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", ~csum(ip) & 0xFFFF) + ip[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    c = csum(pseudo) if partial else ~csum(pseudo + tcp + payload) & 0xFFFF
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    return ip + tcp + payload


def tcp6(payload, flags=0x10):
    src = socket.inet_pton(socket.AF_INET6, "fd00::1")
    dst = socket.inet_pton(socket.AF_INET6, "fd00::2")
    tcp = struct.pack("!HHIIBBHHH", 40000, 5201, 5, 9, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp) + len(payload), 6, 64, src, dst)
    pseudo = src + dst + struct.pack("!IxxxB", len(tcp) + len(payload), 6)
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo)) + tcp[18:]
    return ip + tcp + payload


data = bytes(range(256)) * 40
seeds = {
    "tso4-3seg": vnet(1, 1, 40, 1400, 20, 16) + tcp4(data[:4000]),
    "tso4-fin": vnet(1, 1, 40, 1000, 20, 16) + tcp4(data[:2500], flags=0x19),
    "tso4-ts": vnet(1, 1, 52, 1388, 20, 16) + tcp4(data[:3000], opts=b"\x01\x01\x08\x0a" + bytes(8)),
    "tso6-2seg": vnet(1, 4, 60, 1380, 40, 16) + tcp6(data[:2700]),
    "plain-needs-csum": vnet(1, 0, 0, 0, 20, 16) + tcp4(data[:500]),
    "plain-complete": vnet() + tcp4(data[:500], partial=False),
    "bad-gso-size0": vnet(1, 1, 40, 0, 20, 16) + tcp4(data[:3000]),
    "bad-hdr-len": vnet(1, 1, 9000, 1400, 20, 16) + tcp4(data[:3000]),
    "bad-csum-start": vnet(1, 0, 0, 0, 9000, 16) + tcp4(data[:100]),
    "bad-gso-type": vnet(1, 3, 40, 1400, 20, 16) + tcp4(data[:3000]),
    "bad-version": vnet(1, 4, 40, 1400, 20, 16) + tcp4(data[:3000]),
    "truncated": vnet(1, 1, 40, 1400, 20, 16) + tcp4(data[:3000])[:30],
}
for name, blob in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)
