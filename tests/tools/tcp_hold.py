#!/usr/bin/python3
"""Holds TCP connections without speaking, for the link-limit tests.

  tcp_hold.py listen ADDR PORT SECONDS      accept and keep every connection
  tcp_hold.py connect SRC DST PORT N SECONDS open N connections from SRC, keep them
Stops by itself after SECONDS; prints how many connections were closed by
the other side (connect mode)."""
import socket
import sys
import time

mode = sys.argv[1]
if mode == "listen":
    addr, port, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    ls.settimeout(0.2)
    held = []
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            c, _ = ls.accept()
            held.append(c)
        except socket.timeout:
            pass
else:
    src, dst, port, n, secs = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(2)
        s.connect((dst, port))
        conns.append(s)
    time.sleep(min(secs, 1.0))
    closed = 0
    for s in conns:
        s.settimeout(0.2)
        try:
            if s.recv(1) == b"":
                closed += 1
        except socket.timeout:
            pass
        except OSError:
            closed += 1
    print(closed)
