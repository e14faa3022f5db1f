#!/usr/bin/env bash
# The systemd service protocol without systemd: a listener stands in for
# NOTIFY_SOCKET, and sluiced must send READY=1 once it answers, WATCHDOG=1
# at half of WATCHDOG_USEC, RELOADING=1 then READY=1 around a SIGHUP,
# and STOPPING=1 on SIGTERM.
#
#   sw (br0) --- node-a (ul0 192.0.2.1, sluiced)
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
notify="$TB_TMP/notify.sock"
msgs="$TB_TMP/notify.log"
"$PY" "$SLUICE_SRC/tests/tools/notify_listen.py" "$notify" "$msgs" 60 &
TB_PID[listener]=$!
for i in $(seq 50); do [ -S "$notify" ] && break; sleep 0.1; done
TB_ENV="NOTIFY_SOCKET=$notify WATCHDOG_USEC=400000" tb_daemon_start node-a

wait_for() {	# wait_for REGEX: until a line of the log matches
	for i in $(seq 50); do
		grep -qE "$1" "$msgs" 2>/dev/null && return 0
		sleep 0.1
	done
	tb_fail "no notify message matching /$1/; got: $(cat "$msgs")"
}
wait_for "READY=1"
tb_assert_match "READY carries MAINPID" "MAINPID=${TB_PID[node-a]}" "$(grep READY=1 "$msgs" | head -1)"
sleep 1.1
n=$(grep -c "WATCHDOG=1" "$msgs")
# 200 ms period over > 1.1 s: at least 5 pings (plus the first at start).
[ "$n" -ge 5 ] || tb_fail "only $n watchdog pings in 1.1 s with WATCHDOG_USEC=400000"
kill -HUP "${TB_PID[node-a]}"
wait_for "RELOADING=1"
after=$(grep -A100 RELOADING=1 "$msgs")
tb_assert "READY=1 after the reload" grep -q READY=1 <<<"$after"
tb_daemon_stop node-a
wait_for "STOPPING=1"
tb_log "PASS ($n watchdog pings in 1.1 s)"
