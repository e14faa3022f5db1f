#!/usr/bin/env bash
# The status socket under bad input and load: garbage, truncated and
# oversized frames, 100 concurrent clients, a stalled client, more
# clients than allowed and a client that never reads. The daemon keeps
# answering throughout and exits cleanly afterwards.
#
#   sw (br0) --- node-a (ul0 192.0.2.1, sluiced)
. "$(dirname "$0")/lib.sh"

tb_switch
tb_node node-a 192.0.2.1
tb_daemon_start node-a
"$PY" "$SLUICE_SRC/tests/tools/ctl_abuse.py" "$(tb_sock node-a)" ||
    tb_fail "status socket abuse checks failed"
tb_ctl node-a status >/dev/null || tb_fail "daemon no longer answers"
tb_daemon_stop node-a
tb_log "PASS"
