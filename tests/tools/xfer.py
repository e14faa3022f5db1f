#!/usr/bin/python3
"""Moves bytes between two hosts of the test bed and checks they arrive
intact. Deterministic data (a counter hashed in blocks), so both ends can
compute the digest without sharing anything.

  xfer.py tcp-server PORT SECONDS            print "<bytes> <sha256>" of what arrives
  xfer.py tcp-client HOST PORT BYTES         send BYTES, print "<bytes> <sha256>"
  xfer.py tcp-source PORT BYTES SECONDS      serve one connection: send BYTES, print "<bytes> <sha256>"
  xfer.py tcp-sink HOST PORT                 connect, print "<bytes> <sha256>" of what arrives
  xfer.py udp-echo PORT SECONDS              echo datagrams back until SECONDS pass
  xfer.py udp-ping HOST PORT COUNT           send COUNT datagrams, print how many came back
Every mode stops by itself within its time bound.
"""
import hashlib
import socket
import sys
import time


def blocks(total):
    """Yields the deterministic payload in 64 KiB pieces."""
    i = 0
    sent = 0
    while sent < total:
        seed = hashlib.sha256(i.to_bytes(8, "big")).digest()
        chunk = (seed * 2048)[: min(65536, total - sent)]
        yield chunk
        sent += len(chunk)
        i += 1


def tcp_server(port, seconds):
    # IPv6 with V6ONLY off takes IPv4 connections too.
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", port))
    ls.listen(1)
    ls.settimeout(seconds)
    c, _ = ls.accept()
    c.settimeout(seconds)
    h = hashlib.sha256()
    n = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = c.recv(1 << 20)
        if not data:
            break
        h.update(data)
        n += len(data)
    print(n, h.hexdigest())


def tcp_client(host, port, total):
    s = socket.create_connection((host, port), timeout=30)
    h = hashlib.sha256()
    for chunk in blocks(total):
        s.sendall(chunk)
        h.update(chunk)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(30)
    while s.recv(65536):
        pass
    print(total, h.hexdigest())


def tcp_source(port, total, seconds):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    ls.settimeout(seconds)
    c, _ = ls.accept()
    c.settimeout(seconds)
    h = hashlib.sha256()
    for chunk in blocks(total):
        c.sendall(chunk)
        h.update(chunk)
    c.close()
    print(total, h.hexdigest())


def tcp_sink(host, port):
    s = socket.create_connection((host, port), timeout=30)
    h = hashlib.sha256()
    n = 0
    while True:
        data = s.recv(1 << 20)
        if not data:
            break
        h.update(data)
        n += len(data)
    print(n, h.hexdigest())


def udp_echo(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        s.sendto(data, peer)


def udp_ping(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    back = 0
    for i in range(count):
        msg = b"sluice-%d-" % i + bytes(100)
        s.sendto(msg, (host, port))
        try:
            data, _ = s.recvfrom(65535)
            back += data == msg
        except socket.timeout:
            pass
    print(back)


mode = sys.argv[1]
if mode == "tcp-server":
    tcp_server(int(sys.argv[2]), float(sys.argv[3]))
elif mode == "tcp-client":
    tcp_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif mode == "tcp-source":
    tcp_source(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
elif mode == "tcp-sink":
    tcp_sink(sys.argv[2], int(sys.argv[3]))
elif mode == "udp-echo":
    udp_echo(int(sys.argv[2]), float(sys.argv[3]))
elif mode == "udp-ping":
    udp_ping(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
else:
    sys.exit("unknown mode " + mode)
