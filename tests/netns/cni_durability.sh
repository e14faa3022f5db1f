#!/usr/bin/env bash
# sluiced killed with SIGKILL in the middle of a storm of CNI ADDs and DELs
# loses no allocation and hands out no address twice.
#
#        sw (br0)
#        |
#      node-a .1        pool dur 10.245.0.0/16, blocks /28 (claimed on
#      p1..p41          demand, so the storm also claims blocks)
#
# Each round: 40 workers, one per pod netns, run a fixed sequence of ADDs
# and DELs of their own handle through sluice-cni, as a runtime would,
# with short random pauses, all in parallel; the test records every
# invocation (start, end, exit status, stdout). Once a set share of the
# invocations has finished (15%, 50%, 85% in rounds 1, 2, 3) the test
# kills sluiced with SIGKILL (by PID), runs one ADD and one DEL of its own
# (p41) against the dead socket, lets the storm run to its end, and
# restarts sluiced on the same state dir.
#
# A kill rarely lands between an allocation's commit and sluiced's reply,
# so the test also makes that case itself, once per round: before the
# storm it allocates the address of p41's handle with sluicectl (what
# sluiced commits for an ADD), and the ADD of that handle after the kill
# fails; the allocation must survive the kill, and the retried ADD must
# give it to the pod.
#
# The contract checked after the restart, handle by handle, replaying the
# outcomes the CNI side saw in their order (the ops of one handle run one
# after the other, so their order is known):
#   - an ADD that reported success holds exactly the address it reported,
#     unless a later op of the handle changed that; a retried ADD of a
#     handle known to hold X reports X again;
#   - a DEL that reported success leaves no allocation for the handle;
#   - an op that failed tells the runtime nothing, so the handle may be
#     either way: a failed ADD may have committed an allocation the plugin
#     never heard of (sluiced died between the commit and its reply), a
#     failed DEL may have released it. Such an allocation is a victim of
#     the kill, not a leak, because the runtime retries: a retried ADD of
#     the handle must give it back (the same address), a DEL must free it.
#     The test does exactly that for every handle left unsure, and then
#     exactly the handles whose last word was a successful ADD remain,
#     each with its address;
#   - an invocation that starts after sluiced is dead fails, with CNI code
#     11 ("try again later"), never with success; no invocation fails
#     before the kill;
#   - no address is allocated twice, and every block's used count is the
#     number of allocations in it (no address lost or counted twice);
#   - the restarted sluiced finds nothing to repair in its records (no
#     "ipam:" warning from its start-up verification), and its pods reach
#     each other through it;
#   - after DEL of every handle, nothing is left: no allocation, every
#     block at used 0, no host veth or host route, no eth0 in any pod.
. "$(dirname "$0")/lib.sh"

[ -x "$CNI" ] || tb_fail "no sluice-cni at $CNI (build first)"
H=40			# handles (pod netns) per round
ROUNDS=3
KILL_AT=(0 15 50 85)	# kill once this % of a round's invocations are done
# Each handle's sequence of ops, by handle number modulo 8.
PATTERNS=(A AD ADA AAD ADAD ADADA AA DA)
STORM_TIMEOUT=90	# for the kill moment and for the end of a storm

tb_switch
tb_node node-a 192.0.2.1
tb_manifest node-a <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: dur}
spec:
  cidr: 10.245.0.0/16
  blockSize: 28
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1}
YAML
tb_daemon_start node-a

host_routes() {
	tb_exec "$1" ip -4 route show proto static | grep -c '^10\.245\.' || true
}

# daemon_kill NAME: SIGKILL to NAME's sluiced, by the PID tb_daemon_start
# kept, and reap it.
daemon_kill() {
	local n=$1 pid=${TB_PID[$1]} rc=0
	kill -KILL "$pid"
	{ wait "$pid"; } 2>/dev/null || rc=$?	# no "Killed" from the shell
	unset "TB_PID[$n]"
	[ $rc -eq 137 ] || tb_fail "sluiced on $n exited with status $rc, not by SIGKILL"
}

# worker ROUND I PATTERN [PAUSE]: handle r<ROUND>c<I>/eth0 in pod netns
# p<I> runs PATTERN (A = ADD, D = DEL), one op after the other, with pauses
# of 0 to 29 ms (none if PAUSE is 0); each op leaves "K OP STATUS START END"
# in $D/I.log and its stdout in $D/I.K.out.
worker() {
	local round=$1 i=$2 pattern=$3 pause=${4:-1} id="r$1c$2" k op cmd rc t0 t1
	for ((k = 1; k <= ${#pattern}; k++)); do
		op=${pattern:k-1:1}
		[ "$op" = A ] && cmd=ADD || cmd=DEL
		[ "$pause" = 0 ] ||
		    sleep "0.0$(printf '%02d' $((RANDOM % 30)))"
		rc=0
		t0=$EPOCHREALTIME
		tb_cni node-a "$cmd" "$id" "p$i" <"$TB_TMP/conf-a" \
		    >"$D/$i.$k.out" 2>"$D/$i.$k.err" || rc=$?
		t1=$EPOCHREALTIME
		echo "$k $op $rc $t0 $t1" >>"$D/$i.log"
	done
}

# The checks, in Python for the bookkeeping. Modes:
#   storm DIR IPAM N ROUND T_SENT T_REAPED: replays each handle's outcomes
#     (see the contract above) against the allocations in IPAM; prints
#     problems, writes DIR/sure ("HANDLE ADDRESS", the handles that must
#     remain) and DIR/unsure ("HANDLE ADDRESS|-", the handles to resolve),
#     and prints "STATS ..." last.
#   state IPAM EXPECT: node-a's allocations are exactly EXPECT ("HANDLE
#     ADDRESS" lines), no address twice, each block's used count is its
#     number of allocations; prints problems.
cat >"$TB_TMP/check.py" <<'PY'
import ipaddress, json, os, sys

POOL = ipaddress.ip_network("10.245.0.0/16")
ABSENT, ANY = "absent", "any"


def load_ipam(path):
    ipam = json.load(open(path))
    out = []
    allocs = [a for a in ipam["allocations"] if a["node"] == "node-a"]
    seen = {}
    for a in ipam["allocations"]:
        if a["address"] in seen:
            out.append(f"address {a['address']} allocated twice: "
                       f"{seen[a['address']]} and {a['handle']}")
        seen[a["address"]] = a["handle"]
    handles = {}
    for a in allocs:
        if a["handle"] in handles:
            out.append(f"handle {a['handle']} holds two addresses: "
                       f"{handles[a['handle']]} and {a['address']}")
        handles[a["handle"]] = a["address"]
    blocks = [b for b in ipam["blocks"] if b["owner"] == "node-a"]
    nets = {b["block"]: ipaddress.ip_network(b["block"]) for b in blocks}
    count = {b["block"]: 0 for b in blocks}
    for a in allocs:
        ip = ipaddress.ip_address(a["address"])
        inb = [k for k, n in nets.items() if ip in n]
        if len(inb) != 1:
            out.append(f"{a['handle']}: {a['address']} is in {len(inb)} "
                       f"blocks of node-a, not 1")
        for k in inb:
            count[k] += 1
    for b in blocks:
        size = nets[b["block"]].num_addresses
        if b["used"] != count[b["block"]]:
            out.append(f"block {b['block']} counts {b['used']} used, but "
                       f"holds {count[b['block']]} allocations")
        if b["used"] + b["free"] > size:
            out.append(f"block {b['block']}: used {b['used']} + free "
                       f"{b['free']} > {size}")
    return handles, out


def storm(d, ipam_path, n, rnd, t_sent, t_reaped):
    allocs, problems = load_ipam(ipam_path)
    sure, unsure = {}, {}
    n_ok = n_fail = n_after = n_flight = n_victims = 0
    for i in range(1, n + 1):
        handle = f"r{rnd}c{i}/eth0"
        ops = [l.split() for l in open(f"{d}/{i}.log")]
        ops.sort(key=lambda o: int(o[0]))
        s = {ABSENT}
        reported = set()	# every address an ADD of handle reported
        for k, op, rc, t0, t1 in ops:
            rc, t0, t1 = int(rc), float(t0), float(t1)
            what = f"{handle} op {k} ({'ADD' if op == 'A' else 'DEL'})"
            out = open(f"{d}/{i}.{k}.out").read()
            if t0 < t_sent < t1:
                n_flight += 1
            if rc == 0:
                n_ok += 1
                if t0 > t_reaped:
                    problems.append(f"{what} started after sluiced was "
                                    f"dead and reported success: {out!r}")
                if op == "A":
                    try:
                        a = json.loads(out)["ips"][0]["address"]
                    except (ValueError, KeyError, IndexError) as e:
                        problems.append(f"{what} succeeded without an "
                                        f"address: {out!r}")
                        s = {ANY}
                        continue
                    ip = a.split("/")[0]
                    if not a.endswith("/32") or \
                            ipaddress.ip_address(ip) not in POOL:
                        problems.append(f"{what} gave {a}, not a /32 of "
                                        f"{POOL}")
                    if len(s) == 1 and ABSENT not in s and ANY not in s \
                            and ip not in s:
                        problems.append(f"{what}: a retried ADD gave {ip}, "
                                        f"the handle held {s.pop()}")
                    s = {ip}
                    reported.add(ip)
                else:
                    s = {ABSENT}
                continue
            n_fail += 1
            if t1 < t_sent:
                problems.append(f"{what} failed before the kill (status "
                                f"{rc}): {out.strip()}")
            if t0 > t_reaped:
                n_after += 1
            try:
                e = json.loads(out)
                code, msg = e["code"], e["msg"]
            except (ValueError, KeyError) as ex:
                problems.append(f"{what} failed (status {rc}) without a CNI "
                                f"error object: {out!r}")
                code, msg = None, ""
            if code is not None and (code != 11 or not msg):
                problems.append(f"{what} failed with code {code} "
                                f"({msg!r}), not 11 (try again later)")
            if op == "A" and ABSENT in s:
                s.add(ANY)
            s.add(ABSENT)
        have = allocs.get(handle, ABSENT)
        if not (have in s or (ANY in s and have != ABSENT)):
            want = " or ".join(sorted(s))
            problems.append(f"{handle}: after the restart it holds {have}, "
                            f"the CNI side's outcomes allow {want} "
                            f"(ops: {' '.join(o[1] + '=' + o[2] for o in ops)})")
        if have != ABSENT and have not in reported:
            n_victims += 1	# allocated, the CNI side never told
        if len(s) == 1 and ABSENT not in s and ANY not in s:
            sure[handle] = next(iter(s))
        elif s != {ABSENT}:
            unsure[handle] = have if have != ABSENT else "-"
    for handle in allocs:
        if not handle.startswith(f"r{rnd}c"):
            problems.append(f"{handle} of another round holds "
                            f"{allocs[handle]}")
    with open(f"{d}/sure", "w") as f:
        for k, v in sure.items():
            print(k, v, file=f)
    with open(f"{d}/unsure", "w") as f:
        for k, v in unsure.items():
            print(k, v, file=f)
    for p in problems:
        print(p)
    print(f"STATS {n_ok} {n_fail} {n_after} {n_flight} {len(sure)} "
          f"{len(unsure)} {sum(1 for v in unsure.values() if v != '-')} "
          f"{n_victims}")


def state(ipam_path, expect_path):
    allocs, problems = load_ipam(ipam_path)
    want = dict(l.split() for l in open(expect_path) if l.strip())
    for h in sorted(set(allocs) | set(want)):
        if allocs.get(h) != want.get(h):
            problems.append(f"{h}: holds {allocs.get(h, 'nothing')}, "
                            f"expected {want.get(h, 'nothing')}")
    for p in problems[:20]:
        print(p)


if sys.argv[1] == "storm":
    storm(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
          float(sys.argv[6]), float(sys.argv[7]))
else:
    state(sys.argv[2], sys.argv[3])
PY

# check_state WHAT EXPECT: node-a's IPAM holds exactly EXPECT (see above).
check_state() {
	local problems
	tb_ctl node-a --json ipam >"$TB_TMP/ipam.json" ||
	    tb_fail "$1: sluicectl ipam failed"
	problems=$("$PY" "$TB_TMP/check.py" state "$TB_TMP/ipam.json" "$2" 2>&1) ||
	    tb_fail "$1: check.py failed: $problems"
	[ -z "$problems" ] || tb_fail "$1: $problems"
}

# pod_of HANDLE: the pod netns of r<R>c<I>/eth0, p<I>.
pod_of() {
	local id=${1%/eth0}
	echo "p${id#r*c}"
}

# Handle H+1 is the test's own probe of the outage: an ADD and a DEL run
# right after the kill, so that every round has invocations that meet the
# dead sluiced, however late the kill came in the storm; its address is
# allocated before the storm (the planted victim, see above).
P=$((H + 1))
for i in $(seq $P); do tb_ns "p$i"; done
tb_cni_conf node-a >"$TB_TMP/conf-a"
: >"$TB_TMP/empty"
storm_ops=0
for i in $(seq $H); do
	p=${PATTERNS[$((i % ${#PATTERNS[@]}))]}
	storm_ops=$((storm_ops + ${#p}))
done
total=$((storm_ops + 2))
t_start=$SECONDS
summary=""

for round in $(seq $ROUNDS); do
	D="$TB_TMP/r$round"
	mkdir "$D"
	for i in $(seq $P); do : >"$D/$i.log"; done
	kill_after=$((storm_ops * KILL_AT[round] / 100))
	planted=$(tb_ctl node-a --json ipam allocate handle="r${round}c$P/eth0" \
	    namespace=default pod="r${round}c$P" | tb_jq 'j["address"]') ||
	    tb_fail "round $round: allocating the planted victim failed"
	pids=()
	for i in $(seq $H); do
		worker "$round" "$i" "${PATTERNS[$((i % ${#PATTERNS[@]}))]}" &
		pids+=($!)
	done
	# The kill, once kill_after invocations have finished.
	deadline=$((SECONDS + STORM_TIMEOUT))
	while [ "$(cat "$D"/*.log | wc -l)" -lt "$kill_after" ]; do
		[ $SECONDS -lt $deadline ] || {
			kill "${pids[@]}" 2>/dev/null
			tb_fail "round $round: fewer than $kill_after of $storm_ops invocations done after ${STORM_TIMEOUT}s"
		}
		sleep 0.01
	done
	done_at_kill=$(cat "$D"/*.log | wc -l)
	t_sent=$EPOCHREALTIME
	daemon_kill node-a
	t_reaped=$EPOCHREALTIME
	worker "$round" "$P" AD 0
	# The rest of the storm meets the dead socket; bounded by TB_CNI_TIMEOUT.
	for pid in "${pids[@]}"; do wait "$pid"; done
	n=$(cat "$D"/*.log | wc -l)
	tb_assert_eq "round $round: invocations recorded" "$total" "$n"

	logsize=$(stat -c %s "$TB_TMP/node-a/log")
	tb_daemon_start node-a
	tb_ctl node-a --json ipam >"$D/ipam.json" ||
	    tb_fail "round $round: sluicectl ipam after the restart"
	out=$("$PY" "$TB_TMP/check.py" storm "$D" "$D/ipam.json" "$P" \
	    "$round" "$t_sent" "$t_reaped" 2>&1) ||
	    tb_fail "round $round: check.py failed: $out"
	stats=$(echo "$out" | tail -n 1)
	problems=$(echo "$out" | sed '$d')
	[ -z "$problems" ] || tb_fail "round $round (killed after $done_at_kill of $storm_ops invocations): $problems"
	read -r _ n_ok n_fail n_after n_flight n_sure n_unsure n_held n_victims <<<"$stats"
	tb_log "round $round: killed after $done_at_kill of $storm_ops invocations ($n_flight in flight); of $total, $n_ok succeeded, $n_fail failed ($n_after started after the kill); $n_sure handles sure, $n_unsure unsure ($n_held holding an allocation; $n_victims holding one that no ADD reported, 1 of them planted)"
	[ "$n_ok" -gt 0 ] || tb_fail "round $round: no invocation succeeded before the kill"
	grep -qx "r${round}c$P/eth0 $planted" "$D/unsure" ||
	    tb_fail "round $round: r${round}c$P/eth0 lost $planted, allocated (and acknowledged) before the kill"
	# The restarted daemon's start-up verification found nothing wrong.
	warn=$(tail -c +$((logsize + 1)) "$TB_TMP/node-a/log" | grep -E 'warn: ipam:' || true)
	[ -z "$warn" ] || tb_fail "round $round: sluiced found damaged IPAM records after the SIGKILL: $warn"

	# Resolve the unsure handles as a runtime would: a retried ADD gives
	# back the allocation the kill left behind (its address), a DEL frees
	# the handle either way.
	while read -r h a; do
		pod=$(pod_of "$h")
		if [ "$a" != - ]; then
			r=$(tb_cni node-a ADD "${h%/eth0}" "$pod" <"$TB_TMP/conf-a") ||
			    tb_fail "round $round: retried ADD of $h (holding $a) failed: $r"
			got=$(echo "$r" | tb_jq 'j["ips"][0]["address"]')
			tb_assert_eq "round $round: retried ADD of $h" "$a/32" "$got"
		fi
		r=$(tb_cni node-a DEL "${h%/eth0}" "$pod" <"$TB_TMP/conf-a") ||
		    tb_fail "round $round: DEL of unsure $h failed: $r"
	done <"$D/unsure"
	check_state "round $round: after resolving the unsure handles" "$D/sure"
	n_sure=$(wc -l <"$D/sure")
	tb_assert_eq "round $round: host veths of the sure handles" "$n_sure" \
	    "$(tb_host_veths node-a)"
	tb_assert_eq "round $round: host routes of the sure handles" "$n_sure" \
	    "$(host_routes node-a)"
	sure_pods=()
	while read -r h a; do
		pod=$(pod_of "$h")
		have=$(ip -n "$(tb_ns_name "$pod")" -4 -o addr show dev eth0 \
		    2>/dev/null | awk '{print $4}') || true
		[ "$have" = "$a/32" ] || tb_fail "round $round: $h: eth0 in $pod has '$have', not $a/32"
		sure_pods+=("$pod $a")
	done <"$D/sure"
	# Two of the pods that survived talk through the restarted sluiced.
	if [ ${#sure_pods[@]} -ge 2 ]; then
		read -r p1 a1 <<<"${sure_pods[0]}"
		read -r p2 a2 <<<"${sure_pods[-1]}"
		ok=0
		for i in $(seq 10); do
			tb_exec "$p1" ping -c 1 -W 1 -q "$a2" >/dev/null 2>&1 && { ok=1; break; }
			sleep 0.2
		done
		[ $ok = 1 ] || tb_fail "round $round: $p1 ($a1) cannot reach $p2 ($a2) after the restart"
	fi

	# DEL of every handle, in parallel: everything is free again.
	pids=()
	for i in $(seq $P); do
		tb_cni node-a DEL "r${round}c$i" "p$i" <"$TB_TMP/conf-a" \
		    >"$D/del$i" 2>&1 &
		pids+=($!)
	done
	fails=0
	for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
	[ $fails -eq 0 ] || tb_fail "round $round: $fails of $P final DELs failed: $(cat "$D"/del* | sort | uniq -c | head -3)"
	check_state "round $round: after DEL of every handle" "$TB_TMP/empty"
	tb_assert_eq "round $round: host veths after DEL" 0 "$(tb_host_veths node-a)"
	tb_assert_eq "round $round: host routes after DEL" 0 "$(host_routes node-a)"
	for i in $(seq $P); do
		left=$(ip -n "$(tb_ns_name "p$i")" -o link show | grep -vc ': lo:' || true)
		[ "$left" = 0 ] || tb_fail "round $round: p$i keeps $left links besides lo"
	done
	summary+=" r$round: kill at $done_at_kill/$storm_ops, real victims $((n_victims - 1));"
done
# The last restart of sluiced stops cleanly (under ASan: without a report).
tb_daemon_stop node-a
tb_log "PASS ($ROUNDS rounds of $total invocations on $P handles in $((SECONDS - t_start))s;${summary%;})"
