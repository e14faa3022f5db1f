#!/usr/bin/python3
"""Stands in for systemd's notify socket: appends each datagram a daemon
sends (READY=1, WATCHDOG=1, ...) as one line to OUT, with a timestamp.

Usage: notify_listen.py SOCKET_PATH OUT SECONDS  (stops after SECONDS)
"""
import os
import socket
import sys
import time

path, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.monotonic() + limit
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        msg = data.decode(errors="replace").replace("\n", " ")
        f.write("%.3f %s\n" % (time.monotonic(), msg))
s.close()
os.unlink(path)
