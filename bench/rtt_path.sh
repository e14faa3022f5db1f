#!/usr/bin/env bash
# Where a ping's round trip goes, hop by hop, through sluiced and through
# the kernel's VXLAN on identical namespaces (bench_overlay_pair). Run by
# hand as root (not part of the test command).
#
#   bench/rtt_path.sh [PINGS] [INTERVAL]    (defaults 100 and 0.005)
#
# tcpdump in each node namespace timestamps every copy of the echo request
# and reply on every device: the pod's veth, the overlay device (sluice0 or
# vx0) and the underlay (ul0). The script prints each hop's median time in
# microseconds. On the sluiced side "TUN -> underlay" is the daemon's
# reaction to a packet the kernel queued on its TUN (thread wake-up, read,
# pipeline, send), "underlay -> TUN" the same for a datagram. tcpdump
# slows every hop a little, on both sides alike.
set -euo pipefail
cd "$(dirname "$0")/.."
PINGS=${1:-100}
INTERVAL=${2:-0.005}
SECS=1

bash scripts/deps.sh
command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export SLUICE_BUILD=$PWD/build SLUICE_SRC=$PWD
. tests/netns/lib.sh
TB_NAME=bench
. bench/lib.sh
bench_overlay_pair

trace() {	# trace MODE: captures a run of pings on both nodes
	local m=$1 n caps=()
	for n in a b; do
		ip netns exec "$(tb_ns_name "$m-$n")" timeout $((PINGS / 50 + 10)) \
		    tcpdump -i any -n -tt -l -c $((PINGS * 6 + 10)) \
		    'icmp or udp port 4789' >"$TB_TMP/cap-$m-$n" 2>/dev/null &
		caps+=("$!")
	done
	sleep 1.5
	tb_exec "$m-pa" ping -q -c "$PINGS" -i "$INTERVAL" 10.244.2.10 |
	    sed -n 's|.* = [0-9.]*/\([0-9.]*\)/.*|\1|p' >"$TB_TMP/rtt-$m"
	sleep 1
	kill "${caps[@]}" 2>/dev/null || true
	wait "${caps[@]}" 2>/dev/null || true
}
trace s
trace k

"$PY" - "$TB_TMP" <<'PY'
import re, statistics, sys
tmp = sys.argv[1]
stamp = re.compile(r"^(\d+\.\d+) (\S+)\s+(In|Out)\s+(.*)$")
echo = re.compile(r"ICMP echo (request|reply), id \d+, seq (\d+)")

def events(mode, node):
    """(kind, seq) -> {(device class, direction): time}"""
    ev, last = {}, None
    for line in open("%s/cap-%s-%s" % (tmp, mode, node)):
        m = stamp.match(line)
        if m:
            last = (float(m[1]), m[2], m[3], m[4])
            text = m[4]
        elif last is not None:
            text = line	# the inner packet of a VXLAN line
        else:
            continue
        e = echo.search(text)
        if not e or last is None:
            continue
        t, dev, d = last[0], last[1], last[2]
        cls = "ul" if dev == "ul0" else "ov" if dev in ("sluice0", "vx0") else "pod"
        ev.setdefault((e[1], int(e[2])), {}).setdefault((cls, d), t)
        last = None
    return ev

hops = [
    ("request: pod veth -> overlay device, node a", "a", "request", ("pod", "In"), "a", ("ov", "Out")),
    ("request: overlay device -> underlay, node a", "a", "request", ("ov", "Out"), "a", ("ul", "Out")),
    ("request: underlay a -> underlay b", "a", "request", ("ul", "Out"), "b", ("ul", "In")),
    ("request: underlay -> overlay device, node b", "b", "request", ("ul", "In"), "b", ("ov", "In")),
    ("request: overlay device -> pod veth, node b", "b", "request", ("ov", "In"), "b", ("pod", "Out")),
    ("pod b answers", "b", "request", ("pod", "Out"), "b", ("pod", "In", "reply")),
    ("reply: pod veth -> overlay device, node b", "b", "reply", ("pod", "In"), "b", ("ov", "Out")),
    ("reply: overlay device -> underlay, node b", "b", "reply", ("ov", "Out"), "b", ("ul", "Out")),
    ("reply: underlay b -> underlay a", "b", "reply", ("ul", "Out"), "a", ("ul", "In")),
    ("reply: underlay -> overlay device, node a", "a", "reply", ("ul", "In"), "a", ("ov", "In")),
    ("reply: overlay device -> pod veth, node a", "a", "reply", ("ov", "In"), "a", ("pod", "Out")),
]

def table(mode):
    ev = {n: events(mode, n) for n in "ab"}
    seqs = sorted({s for (k, s) in ev["a"]})
    out = []
    for name, n1, kind, p1, n2, p2 in hops:
        k2 = p2[2] if len(p2) > 2 else kind
        d = []
        for s in seqs:
            t1 = ev[n1].get((kind, s), {}).get(p1)
            t2 = ev[n2].get((k2, s), {}).get(p2[:2])
            if t1 is not None and t2 is not None and t2 >= t1:
                d.append((t2 - t1) * 1e6)
        out.append(statistics.median(d) if d else None)
    return out, len(seqs)

s, ns = table("s")
k, nk = table("k")
print("\n%-46s %9s %9s" % ("hop (median microseconds)", "sluiced", "kernel"))
for (name, *_), a, b in zip(hops, s, k):
    f = lambda v: "%9.1f" % v if v is not None else "%9s" % "-"
    print("%-46s %s %s" % (name, f(a), f(b)))
sa = sum(v for v in s if v is not None)
ka = sum(v for v in k if v is not None)
print("%-46s %9.1f %9.1f" % ("sum of the hops", sa, ka))
r = {m: open("%s/rtt-%s" % (tmp, m)).read().strip() for m in "sk"}
print("%-46s %9s %9s" % ("ping's own average RTT (ms)", r["s"], r["k"]))
print("(%d and %d pings traced)" % (ns, nk))
PY
