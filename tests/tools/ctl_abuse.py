#!/usr/bin/python3
"""Throws bad input and many clients at a sluiced status socket.

Usage: ctl_abuse.py SOCKET
Exits 0 when every check passed, 1 with a reason otherwise. Every step is
bounded in time; nothing here leaves the machine (a Unix socket).
"""
import os
import random
import socket
import struct
import sys
import threading
import time

import msgpack

SOCK = sys.argv[1]
MAX_REQUEST = 64 * 1024
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def connect(timeout=5.0):
    # A full listen backlog answers EAGAIN on Unix sockets: wait for the
    # daemon to accept, as a real client would, within a bound.
    deadline = time.monotonic() + 5
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(SOCK)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_reply(s):
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    return msgpack.unpackb(recv_exact(s, n), raw=False)


def request(op="status", rid=1, **extra):
    m = {"v": 1, "op": op, "id": rid}
    m.update(extra)
    return frame(msgpack.packb(m))


def expect_ok(s, rid=1, what="request"):
    r = read_reply(s)
    if not r.get("ok") or r.get("id") != rid:
        fail("%s: expected an ok reply with id %d, got %r" % (what, rid, r))
    return r


def expect_error(s, needle, what):
    r = read_reply(s)
    if r.get("ok") is not False or needle not in (r.get("error") or ""):
        fail("%s: expected an error containing %r, got %r" % (what, needle, r))
    return r


def closed_by_peer(s, within=5.0):
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


# 1. Well-framed garbage gets an error reply and the connection stays usable.
s = connect()
rng = random.Random(42)
cases = [
    (b"", "malformed msgpack"),
    (b"\xc1", "malformed msgpack"),
    (bytes([0x93, 1, 2, 3]), "not a map"),
    (msgpack.packb({"op": "status"}), "protocol version"),
    (msgpack.packb({"v": 99, "op": "status"}), "not supported"),
    (msgpack.packb({"v": 1}), "\"op\""),
    (msgpack.packb({"v": 1, "op": 7}), "\"op\""),
    (msgpack.packb({"v": 1, "op": "x" * 100}), "\"op\""),
    (msgpack.packb({"v": 1, "op": "status", "args": [1]}), "args"),
    (msgpack.packb({"v": 1, "op": "no-such-op"}), "unknown op"),
    (b"\xdd\xff\xff\xff\xff", "malformed msgpack"),  # array32 bomb header
    (b"\x91" * 40 + b"\xc0", "malformed msgpack"),   # nested too deep
    (msgpack.packb({"v": 1, "op": "status"}) + b"\x00", "trailing"),
]
for payload, needle in cases:
    s.sendall(frame(payload))
    expect_error(s, needle, "garbage %r" % payload[:16])
for i in range(200):
    s.sendall(frame(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))))
    r = read_reply(s)
    if "ok" not in r:
        fail("random garbage %d: reply without ok: %r" % (i, r))
s.sendall(request(rid=77))
expect_ok(s, 77, "request after garbage")
# Unknown keys are ignored.
s.sendall(request(rid=78, future_field={"x": 1}))
expect_ok(s, 78, "request with an unknown key")
s.close()

# 2. Oversized: an error reply, then the daemon closes the connection.
s = connect()
s.sendall(struct.pack(">I", MAX_REQUEST + 1))
expect_error(s, "larger than", "oversized frame header")
if not closed_by_peer(s):
    fail("oversized frame: connection not closed")
s.close()
s = connect()
big = frame(msgpack.packb({"v": 1, "op": "status", "pad": "x" * (MAX_REQUEST + 10)}))
try:
    s.sendall(big)
except (BrokenPipeError, ConnectionResetError):
    pass
expect_error(s, "larger than", "oversized frame body")
s.close()

# 3. Truncated: header only, half a header, half a body; then hang up.
for blob in (b"\x00\x00", struct.pack(">I", 100), struct.pack(">I", 100) + b"\x80" * 10):
    s = connect()
    s.sendall(blob)
    s.close()

# 4. A stalled client (half a frame, never finished) and a pipelining one
#    must not delay anyone while 100 clients do 20 requests each.
stalled = connect()
stalled.sendall(struct.pack(">I", 1000) + b"\x81")
pipelined = connect()
pipelined.sendall(b"".join(request(rid=i) for i in range(1, 51)))
for i in range(1, 51):
    expect_ok(pipelined, i, "pipelined request %d" % i)
pipelined.close()

errors = []
latencies = []
lock = threading.Lock()


def worker(k):
    try:
        c = connect(timeout=10)
        for i in range(20):
            t0 = time.monotonic()
            c.sendall(request(rid=k * 100 + i))
            r = read_reply(c)
            dt = time.monotonic() - t0
            if not r.get("ok") or r.get("id") != k * 100 + i:
                raise RuntimeError("bad reply %r" % r)
            with lock:
                latencies.append(dt)
        c.close()
    except Exception as e:  # noqa: BLE001 - report whatever went wrong
        with lock:
            errors.append("client %d: %s" % (k, e))


threads = [threading.Thread(target=worker, args=(k,)) for k in range(100)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=60)
elapsed = time.monotonic() - t0
if any(t.is_alive() for t in threads):
    fail("some of the 100 clients did not finish in 60 s")
for e in errors[:5]:
    fail(e)
if len(latencies) != 2000:
    fail("expected 2000 answered requests, got %d" % len(latencies))
else:
    latencies.sort()
    print("100 clients x 20 requests: %.2f s, median %.1f ms, max %.1f ms"
          % (elapsed, latencies[1000] * 1e3, latencies[-1] * 1e3))

# The stalled client is still connected (under the idle timeout) and the
# daemon still answers new clients.
s = connect()
s.sendall(request(rid=5))
expect_ok(s, 5, "request while a client is stalled")
s.close()
stalled.close()

# 5. More clients than the daemon serves at once: the extra ones are
#    closed at once, the others keep working.
held = []
try:
    for _ in range(300):
        held.append(connect())
except OSError as e:
    fail("could not open 300 connections: %s" % e)
time.sleep(0.3)
closed = sum(1 for c in held[256:] if closed_by_peer(c, 2.0))
if closed < 1:
    fail("no connection over the limit was refused")
r_ok = 0
for c in held[:5]:
    try:
        c.sendall(request(rid=9))
        r_ok += read_reply(c).get("ok") is True
    except (OSError, EOFError):
        pass
if r_ok != 5:
    fail("clients under the limit stopped being served (%d of 5)" % r_ok)
for c in held:
    c.close()
time.sleep(0.3)

# 6. A client that sends requests and never reads is dropped once its
#    unread replies pass the daemon's bound; others are unaffected.
hog = connect()
hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
req = request(rid=1) * 256
deadline = time.monotonic() + 30
dropped = False
hog.settimeout(0.5)
while time.monotonic() < deadline:
    try:
        hog.sendall(req)
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
        break
    except socket.timeout:
        # The daemon stopped reading from us, or closed: find out which.
        pass
if not dropped:
    fail("a client that never reads was not dropped within 30 s")
hog.close()

# 7. Everything still works, and the counters saw what happened.
s = connect()
s.sendall(request(rid=11))
st = expect_ok(s, 11, "final status")["result"]["statusSocket"]
s.close()
print("daemon counters:", st)
if st["badRequests"] < len(cases) + 200:
    fail("badRequests %d < %d" % (st["badRequests"], len(cases) + 200))
if st["refused"] < 1:
    fail("refused counter did not move")
if st["dropped"] < 2:
    fail("dropped counter %d < 2 (oversized x2, hog)" % st["dropped"])

sys.exit(1 if failures else 0)
