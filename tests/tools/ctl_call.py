#!/usr/bin/python3
"""One status-socket call with arbitrary (JSON) arguments, for tests.

  ctl_call.py SOCKET OP [ARGS-JSON]
Prints the reply as JSON; exits 1 if the daemon answered with an error."""
import json
import socket
import struct
import sys

import msgpack

sock, op = sys.argv[1], sys.argv[2]
req = {"v": 1, "op": op, "id": 1}
if len(sys.argv) > 3:
    req["args"] = json.loads(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sock)
body = msgpack.packb(req)
s.sendall(struct.pack(">I", len(body)) + body)
hdr = b""
while len(hdr) < 4:
    hdr += s.recv(4 - len(hdr))
(n,) = struct.unpack(">I", hdr)
buf = b""
while len(buf) < n:
    buf += s.recv(n - len(buf))
r = msgpack.unpackb(buf, raw=False)
print(json.dumps(r.get("result") if r.get("ok") else {"error": r.get("error")}))
sys.exit(0 if r.get("ok") else 1)
