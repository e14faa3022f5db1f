#!/usr/bin/python3
"""Tells a client which address it came from, over TCP and UDP: the
outside host of the NAT tests. Every mode stops by itself within its
time bound.

  whoami.py serve PORT SECONDS [N]   TCP and UDP on PORT (and the N-1
                                     ports after it): answer each
                                     connection / datagram with "ADDR PORT"
                                     of the peer as seen here
  whoami.py tcp HOST PORT            connect, print the answer
  whoami.py udp HOST PORT            send a datagram, print the answer
  whoami.py tcp-many HOST PORT N T [P] open N connections (to P ports from
                                     PORT on, in turn; T seconds at most),
                                     hold them all open, then print how
                                     many got an answer and how many
                                     distinct ADDR PORT pairs
  whoami.py hold HOST PORT T FILE    one connection, held: a byte every
                                     0.1 s, echoed back by serve; FILE
                                     holds the round trips so far, then
                                     "stalled N" (no echo within 1 s) or
                                     "done N" after T seconds; FILE.src
                                     the server's "ADDR PORT" line

A served TCP connection echoes what it receives (for hold). With
WHOAMI_ALLOW=ADDR,ADDR,... serve plays a perimeter firewall: a peer not
listed is answered "refused" (TCP) or not at all (UDP).
"""
import selectors
import socket
import sys
import time


def serve(port, seconds, nports=1):
    import os
    allow = [a for a in os.environ.get("WHOAMI_ALLOW", "").split(",") if a]
    sel = selectors.DefaultSelector()
    for p in range(port, port + nports):
        lt = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lt.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lt.bind(("0.0.0.0", p))
        lt.listen(4096)
        lt.setblocking(False)
        lu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        lu.bind(("0.0.0.0", p))
        lu.setblocking(False)
        sel.register(lt, selectors.EVENT_READ, "tcp")
        sel.register(lu, selectors.EVENT_READ, "udp")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            if key.data == "tcp":
                try:
                    c, peer = key.fileobj.accept()
                except BlockingIOError:
                    continue
                try:
                    c.setblocking(True)
                    c.settimeout(2)
                    if allow and peer[0] not in allow:
                        c.sendall(b"refused\n")
                        c.close()
                        continue
                    c.sendall(("%s %d\n" % peer).encode())
                except OSError:
                    pass
                # The client closes first; no TIME_WAIT pile-up here.
                sel.register(c, selectors.EVENT_READ, "conn")
            elif key.data == "udp":
                try:
                    data, peer = key.fileobj.recvfrom(2048)
                except BlockingIOError:
                    continue
                if allow and peer[0] not in allow:
                    continue
                key.fileobj.sendto(("%s %d\n" % peer).encode(), peer)
            else:
                try:
                    data = key.fileobj.recv(64)
                    if data:
                        key.fileobj.sendall(data)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()


def tcp(host, port):
    s = socket.create_connection((host, port), timeout=5)
    print(s.recv(64).decode().strip())
    s.close()


def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for _ in range(3):
        s.sendto(b"?", (host, port))
        try:
            print(s.recv(64).decode().strip())
            return
        except socket.timeout:
            continue
    sys.exit("no answer")


def tcp_many(host, port, n, seconds, nports=1):
    end = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    pending = {}
    answers = set()
    got = 0
    opened = 0
    while (opened < n or pending) and time.monotonic() < end:
        # Open in waves so the listen backlog keeps up.
        while opened < n and len(pending) < 512:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            dport = port + opened % nports
            s.connect_ex((host, dport))
            sel.register(s, selectors.EVENT_READ)
            pending[s] = dport
            opened += 1
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(64)
            except OSError:
                data = b""
            sel.unregister(s)
            dport = pending.pop(s)
            if data:
                got += 1
                # The translation is unique per destination port.
                answers.add((dport, data.decode().strip()))
            held.append(s)
    for s in list(pending):
        s.close()
    for s in held:
        s.close()
    print(got, len(answers))


def hold(host, port, seconds, path):
    end = time.monotonic() + seconds
    s = socket.create_connection((host, port), timeout=5)
    with open(path + ".src", "w") as f:
        f.write(s.recv(64).decode())
    s.settimeout(1)
    n = 0

    def note(text):
        import os
        try:
            with open(path + ".new", "w") as f:
                f.write(text + "\n")
            os.replace(path + ".new", path)
        except OSError:
            sys.exit(1)	# the test is over: its directory is gone

    while time.monotonic() < end:
        try:
            s.sendall(b"x")
            if not s.recv(1):
                note("closed %d" % n)
                sys.exit(1)
        except (socket.timeout, OSError):
            note("stalled %d" % n)
            sys.exit(1)
        n += 1
        note("%d" % n)
        time.sleep(0.1)
    note("done %d" % n)
    s.close()


held = []
if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "serve":
        serve(int(sys.argv[2]), float(sys.argv[3]),
              int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    elif mode == "tcp":
        tcp(sys.argv[2], int(sys.argv[3]))
    elif mode == "udp":
        udp(sys.argv[2], int(sys.argv[3]))
    elif mode == "tcp-many":
        tcp_many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                 float(sys.argv[5]),
                 int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    elif mode == "hold":
        hold(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)
