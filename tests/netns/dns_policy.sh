#!/usr/bin/env bash
# Domain names in egress policy, with a real DNS server (dnsmasq) in an
# outside namespace as the trusted resolver:
#   - an allowed name is reachable once resolved, another address is not;
#   - the name's address changes (TTL expiry): the new one works, the old
#     one keeps working for the grace period, then stops;
#   - a wildcard; a CNAME chain to an allowed name; TCP DNS;
#   - two pods: only the one that resolved gets the binding;
#   - a spoofed answer from a host that is not a trusted resolver opens
#     nothing;
#   - a restart of sluiced keeps the bindings (LMDB);
#   - sluicectl dns lists them; policy explain names the domain rule, and
#     a denial toward an address of a name no rule allows says so.
#
#        sw (br0)
#     /     |       |        |        |        \
#  node-a  dns .53  web1 .101 web2 .102 web3 .103 rogue .66
#  x/a, x/b (direct pool, routed to node-a by the hosts)
. "$(dirname "$0")/lib.sh"

WHOAMI="$SLUICE_SRC/tests/tools/whoami.py"
DNSQ="$SLUICE_SRC/tests/tools/dnsq.py"
command -v dnsmasq >/dev/null || tb_fail "dnsmasq is not installed (scripts/deps.sh installs dnsmasq-base)"

tb_switch
tb_node node-a 192.0.2.1
tb_host dns 192.0.2.53
tb_host web1 192.0.2.101
tb_host web2 192.0.2.102
tb_host web3 192.0.2.103
tb_host rogue 192.0.2.66
tb_manifest node-a <<'YAML'
apiVersion: sluice.io/v1alpha1
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.244.0.0/16, blockSize: 24}
---
apiVersion: sluice.io/v1alpha1
kind: Node
metadata: {name: node-a}
spec: {address: 192.0.2.1, podCIDRs: [10.244.1.0/24]}
---
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: x}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: by-name, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.0.2.53/32}}]
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
  - to: [{domainNames: [api.example.com, "*.wild.example"]}]
    ports: [{protocol: TCP, port: 7000}]
YAML
for h in dns web1 web2 web3 rogue; do
	tb_exec "$h" ip route add 10.244.0.0/16 via 192.0.2.1
done
tb_config node-a "dns:" "  resolvers: 192.0.2.53/32" "  graceSeconds: 5"
tb_daemon_start node-a
tb_attach node-a x a a
tb_attach node-a x b b
A=${TB_ADDR[a]}

# The resolver: api.example.com from a hosts file re-read on SIGHUP,
# TTL 2 s; a CNAME into it; a wildcard domain.
echo "192.0.2.101 api.example.com" >"$TB_TMP/hosts"
# Not through tb_exec (a function: $! would be a subshell's, and the
# SIGHUPs below are for dnsmasq itself).
ip netns exec "$(tb_ns_name dns)" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
    --no-hosts --addn-hosts="$TB_TMP/hosts" --local-ttl=2 \
    --cname=alias.other.example,api.example.com \
    --address=/wild.example/192.0.2.103 --listen-address=192.0.2.53 \
    --bind-interfaces --pid-file= --user=root --log-facility=- \
    >"$TB_TMP/dnsmasq.log" 2>&1 &
DNSMASQ=$!
TB_BG+=("$DNSMASQ")
for h in web1 web2 web3; do tb_bg "$h" "$PY" "$WHOAMI" serve 7000 120; done
for _ in $(seq 50); do
	tb_exec dns "$PY" "$DNSQ" query 192.0.2.53 api.example.com >/dev/null 2>&1 && break
	sleep 0.1
done

resolve() {	# resolve POD NAME [tcp] -> the addresses
	tb_exec "$1" "$PY" "$DNSQ" query 192.0.2.53 "$2" ${3:+tcp} || tb_fail "$1 cannot resolve $2"
}

# --- before any lookup: nothing by name ---------------------------------------
tb_tcp no a 192.0.2.101 7000 "before resolving"

# --- an allowed name, resolved: its address, and only it -----------------------
tb_assert_eq "api.example.com" 192.0.2.101 "$(resolve a api.example.com)"
tb_tcp ok a 192.0.2.101 7000 "the address the pod resolved an allowed name to"
tb_tcp no a 192.0.2.102 7000 "another address"
tb_tcp no b 192.0.2.101 7000 "a pod that did not resolve the name"
explain=$(tb_ctl node-a policy explain --from x/a --to 192.0.2.101:7000/tcp)
tb_assert_match "explain names the domain rule" "by-name egress\[1\].*api\.example\.com" "$explain"
[ "$(tb_stat node-a dns_answers)" -gt 0 ] || tb_fail "no DNS answer counted"

# --- a wildcard, a CNAME chain, TCP DNS ------------------------------------------
tb_assert_eq "wildcard" 192.0.2.103 "$(resolve a foo.wild.example)"
tb_tcp ok a 192.0.2.103 7000 "*.wild.example"
tb_assert_eq "CNAME chain" 192.0.2.101 "$(resolve b alias.other.example)"
tb_tcp ok b 192.0.2.101 7000 "a CNAME chain to an allowed name"
tb_assert_eq "over TCP" 192.0.2.101 "$(resolve b api.example.com tcp)"

# --- a spoofed answer from an untrusted host opens nothing -----------------------
untrusted=$(tb_stat node-a dns_untrusted)
tb_exec rogue "$PY" "$DNSQ" spoof "$A" api.example.com 192.0.2.102
sleep 0.3
[ "$(tb_stat node-a dns_untrusted)" -gt "$untrusted" ] || tb_fail "the spoofed answers were not seen"
tb_tcp no a 192.0.2.102 7000 "an address only a spoofed answer named"

# --- the name moves: the new address works, the old one for the grace ----------
tb_assert_eq "api.example.com, again" 192.0.2.101 "$(resolve a api.example.com)"
echo "192.0.2.102 api.example.com" >"$TB_TMP/hosts"
kill -HUP "$DNSMASQ"
sleep 0.3
tb_assert_eq "api.example.com moved" 192.0.2.102 "$(resolve a api.example.com)"
tb_tcp ok a 192.0.2.102 7000 "the new address"
tb_tcp ok a 192.0.2.101 7000 "the old address, within TTL + grace"
list=$(tb_ctl node-a dns)
tb_assert_match "sluicectl dns lists a's binding" "x/a +api\.example\.com +192\.0\.2\.102" "$list"
# The old binding's TTL (2 s) and grace (5 s) run out; the new one is
# resolved again after.
sleep 8
tb_assert_eq "re-resolved" 192.0.2.102 "$(resolve a api.example.com)"
tb_tcp no a 192.0.2.101 7000 "the old address after TTL + grace"
tb_tcp ok a 192.0.2.102 7000 "the new address, still"

# --- a denied name says so ---------------------------------------------------------
echo "192.0.2.102 api.example.com" >"$TB_TMP/hosts"
echo "192.0.2.103 blocked.example.org" >>"$TB_TMP/hosts"
kill -HUP "$DNSMASQ"
sleep 0.3
tb_assert_eq "blocked.example.org" 192.0.2.103 "$(resolve b blocked.example.org)"
tb_tcp no b 192.0.2.103 7000 "a name no rule allows"
tb_assert_match "explain: the name the pod resolved" "resolved blocked\.example\.org" \
    "$(tb_ctl node-a policy explain --from x/b --to 192.0.2.103:7000/tcp)"
tb_assert_match "drop log: the name the pod resolved" "x/b.*192\.0\.2\.103 port 7000.*resolved blocked\.example\.org" \
    "$(cat "$TB_TMP/node-a/log")"

# --- a restart keeps the bindings ---------------------------------------------------
tb_assert_eq "re-resolved before the restart" 192.0.2.102 "$(resolve a api.example.com)"
sleep 1.2	# stored within a second
tb_daemon_stop node-a
tb_daemon_start node-a
tb_assert_match "restored from the store" "dns: [0-9]+ bindings restored" "$(cat "$TB_TMP/node-a/log")"
tb_tcp ok a 192.0.2.102 7000 "after a restart, without resolving again"
tb_tcp no b 192.0.2.102 7000 "b never resolved a name to .102"

tb_log "PASS"
