/*
 * polgate.c - the network policy stage of the packet path: every packet
 * to or from a pod of this node finds its flow in the policy flow table
 * (policy/flows.h); the first packet of a flow is judged by the compiled
 * policy (policy/compile.h) and the verdict is kept with the flow, so
 * replies of an allowed flow pass and later packets cost one lookup. A
 * policy change (a new generation) re-judges a flow on its next packet.
 *
 * Which directions a node judges: the egress of a source that is a pod of
 * this node, the ingress of a destination that is one. A flow between two
 * nodes is judged twice, each node for its own pod, and each keeps the
 * verdict for the replies that come back through it.
 *
 * What passes unjudged (policy/SEMANTICS.md §2.8 and this file's choices,
 * documented in docs/POLICY.md):
 *   - non-first fragments: the first fragment carries the ports and is
 *     judged; a datagram cannot be reassembled without it;
 *   - ICMP errors quoting a flow the table holds as allowed ("related");
 *     an error quoting no allowed flow is dropped.
 * A denied flow is dropped silently (no TCP RST, no ICMP): a probe learns
 * nothing, and a client times out as it does behind any firewall.
 */
#include "router/pipeline.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "dns/dns.h"
#include "policy/flows.h"
#include "router/polstate.h"

static struct log_ratelimit deny_rl = LOG_RATELIMIT_INIT(1000, 20);

struct judge_ctx {
	const struct dp_snapshot *s;
	const struct policy_state *ps;
};

static bool
is_local(const struct dp_snapshot *s, const struct sluice_addr *a)
{
	const struct lpm *t = a->family == AF_INET ? s->dst4 : s->dst6;
	uint32_t v;

	return t != NULL && lpm_lookup(t, a, &v) &&
	    DP_ROUTE_KIND(v) == DP_ROUTE_LOCAL;
}

static void
key_addr(struct sluice_addr *a, uint8_t family, const void *p)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(&a->u, p, family == AF_INET ? 4 : 16);
}

static void
conn_of(const struct pf_key *k, struct policy_conn *c)
{
	memset(c, 0, sizeof(*c));
	key_addr(&c->src, k->family, &k->src);
	key_addr(&c->dst, k->family, &k->dst);
	c->proto = k->proto;
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP ||
	    k->proto == IPPROTO_SCTP)
		c->dport = k->dport;
}

/* The directions this node answers for, from the flow's original key. */
static unsigned int
dirs_of(const struct dp_snapshot *s, const struct policy_conn *c)
{
	return (is_local(s, &c->src) ? POLICY_EGRESS : 0u) |
	    (is_local(s, &c->dst) ? POLICY_INGRESS : 0u);
}

static void
judge(void *arg, const struct pf_key *orig, bool is_new,
    struct pf_verdict *v)
{
	struct judge_ctx *j = arg;
	struct policy_result res;
	struct policy_conn c;
	unsigned int dirs;

	(void)is_new;
	conn_of(orig, &c);
	dirs = dirs_of(j->s, &c);
	v->gen = j->ps->gen;
	v->id[0] = v->id[1] = POLICY_ID_NONE;
	if (dirs == 0 || policy_check(j->ps->pc, &c, dirs, &res, NULL,
	    0) != 0) {
		v->allow = true;
		return;
	}
	v->allow = res.verdict == POLICY_ALLOW;
	if (dirs & POLICY_EGRESS)
		v->id[0] = policy_decision_id(j->ps->pc, &res.egress,
		    POLICY_EGRESS);
	if (dirs & POLICY_INGRESS)
		v->id[1] = policy_decision_id(j->ps->pc, &res.ingress,
		    POLICY_INGRESS);
}

static const char *
proto_name(uint8_t p, char *buf, size_t size)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		snprintf(buf, size, "proto %u", p);
		return buf;
	}
}

static void
pod_name(const struct policy_pod *p, const struct sluice_addr *a, char *buf,
    size_t size)
{
	char ab[SLUICE_ADDRSTRLEN];

	if (p != NULL)
		snprintf(buf, size, "%s (%s/%s)",
		    sluice_addr_str(a, ab, sizeof(ab)), p->namespace, p->name);
	else
		snprintf(buf, size, "%s", sluice_addr_str(a, ab, sizeof(ab)));
}

/*
 * One line per denied flow, naming both ends, the port and what decided
 * it; rate limited. Judged again here, off the flow table's lock, for
 * the words: the table keeps only rule ids.
 */
static void
log_denied(const struct dp_snapshot *s, const struct policy_state *ps,
    const struct pf_key *orig)
{
	char from[400], to[400], pb[16], why[900], eg[300], in[300];
	char name[DNS_NAME_MAX];
	struct policy_result res;
	struct policy_conn c;
	unsigned int dirs;

	if (!log_ratelimit_ok(&deny_rl))
		return;
	conn_of(orig, &c);
	dirs = dirs_of(s, &c);
	if (policy_check(ps->pc, &c, dirs, &res, NULL, 0) != 0)
		return;
	pod_name(res.egress.pod, &c.src, from, sizeof(from));
	pod_name(res.ingress.pod, &c.dst, to, sizeof(to));
	why[0] = '\0';
	if (res.egress.verdict == POLICY_DENY)
		snprintf(why, sizeof(why), "egress: %s",
		    policy_decision_str(&res.egress, POLICY_EGRESS, eg,
		    sizeof(eg)));
	else if (res.ingress.verdict == POLICY_DENY)
		snprintf(why, sizeof(why), "ingress: %s",
		    policy_decision_str(&res.ingress, POLICY_INGRESS, in,
		    sizeof(in)));
	/* An address the pod resolved a name to, which no rule allows. */
	if (res.egress.verdict == POLICY_DENY && s->dns != NULL &&
	    dns_bindings_any(s->dns, &c.src, &c.dst, (uint64_t)time(NULL),
	    s->dns_grace, name, sizeof(name))) {
		size_t l = strlen(why);

		snprintf(why + l, sizeof(why) - l,
		    " (the pod resolved %s to it)", name);
	}
	if (c.dport != 0)
		log_info("policy: denied %s %s -> %s port %u: %s",
		    proto_name(c.proto, pb, sizeof(pb)), from, to, c.dport,
		    why);
	else
		log_info("policy: denied %s %s -> %s: %s",
		    proto_name(c.proto, pb, sizeof(pb)), from, to, why);
}

static void
drop(struct pipeline_result *r, enum dp_counter why)
{
	r->verdict = VERDICT_DROP;
	r->drop = why;
}

void
pipeline_flow_key(const struct ip_info *ii, struct pf_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = ii->version == 4 ? AF_INET : AF_INET6;
	k->proto = ii->proto;
	memcpy(&k->src, &ii->src.u, ii->version == 4 ? 4 : 16);
	memcpy(&k->dst, &ii->dst.u, ii->version == 4 ? 4 : 16);
	if (ii->has_ports) {
		k->sport = ii->sport;
		k->dport = ii->dport;
	} else if ((ii->proto == IPPROTO_ICMP ||
	    ii->proto == IPPROTO_ICMPV6) && !ii->is_icmp_error) {
		/* Echo: the identifier; other ICMP: 0 (one flow per pair). */
		k->sport = ii->sport;
	}
}

/*
 * The packet an ICMP error quotes (as its sender sent it): addresses,
 * protocol and ports, if the quote holds them. The quote is truncated by
 * design, so this reads only what it needs, each byte checked.
 */
static bool
quote_key(const uint8_t *pkt, const struct ip_info *ii, struct pf_key *k)
{
	size_t off = (size_t)ii->l4_off + 8, hl, len = ii->tot_len;
	const uint8_t *q = pkt + off;

	memset(k, 0, sizeof(*k));
	if (off + 20 > len)
		return false;
	if (ii->version == 4) {
		if (q[0] >> 4 != 4 || (hl = (size_t)(q[0] & 0xf) * 4) < 20 ||
		    off + hl > len)
			return false;
		k->family = AF_INET;
		k->proto = q[9];
		memcpy(&k->src, q + 12, 4);
		memcpy(&k->dst, q + 16, 4);
		/* A quoted non-first fragment carries no ports. */
		if ((((unsigned)q[6] << 8 | q[7]) & 0x1fff) != 0)
			return false;
	} else {
		if (off + 40 > len || q[0] >> 4 != 6)
			return false;
		hl = 40;
		k->family = AF_INET6;
		k->proto = q[6];
		memcpy(&k->src, q + 8, 16);
		memcpy(&k->dst, q + 24, 16);
	}
	q += hl;
	off += hl;
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP ||
	    k->proto == IPPROTO_SCTP) {
		if (off + 4 > len)
			return false;
		k->sport = (uint16_t)(q[0] << 8 | q[1]);
		k->dport = (uint16_t)(q[2] << 8 | q[3]);
	} else if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		if (off + 8 > len)
			return false;
		k->sport = (uint16_t)(q[4] << 8 | q[5]);	/* echo id */
	}
	return true;
}

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* The key of the same flow seen from the other end. */
static void
reverse(const struct pf_key *k, struct pf_key *o)
{
	*o = *k;
	o->src = k->dst;
	o->dst = k->src;
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		return;		/* echo: one identifier both ways */
	o->sport = k->dport;
	o->dport = k->sport;
}

/*
 * A pod of this node answers a connection its own node opened: the node
 * reaches its pods straight through their veths (the kernel's route), so
 * sluiced saw no SYN, only this SYN+ACK on its way back. The flow is made
 * as the node's connection (judged as such: NetworkPolicy never blocks a
 * pod's own node) and the answer tracked as its reply.
 */
static bool
node_opened(const struct dp_snapshot *s, const struct ip_info *ii,
    uint8_t flags)
{
	return ii->proto == IPPROTO_TCP && ii->version == 4 &&
	    (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
	    s->self4.family == AF_INET &&
	    sluice_addr_eq(&ii->dst, &s->self4) && is_local(s, &ii->src);
}

bool
policy_gate(const struct dp_snapshot *s, uint32_t now, const uint8_t *pkt,
    const struct ip_info *ii, struct pipeline_result *r)
{
	const struct policy_state *ps = s->pol;
	struct judge_ctx j = { s, ps };
	struct pf_seen seen;
	enum pf_result rc;
	struct pf_key k;
	uint8_t flags = 0;

	if (ps == NULL || !ps->active || s->pf == NULL)
		return true;
	if (ii->fragment && !ii->first_fragment)
		return true;
	if (ii->is_icmp_error) {
		struct pf_flow f;
		bool reply;

		if (quote_key(pkt, ii, &k) &&
		    pf_lookup(s->pf, &k, now, &f, &reply) && f.v.allow)
			return true;
		drop(r, DP_DROP_POLICY_RELATED);
		return false;
	}
	pipeline_flow_key(ii, &k);
	if (ii->proto == IPPROTO_TCP && ii->has_ports)
		flags = pkt[ii->l4_off + 13];
	rc = pf_track(s->pf, &k, flags, now, ps->gen, judge, &j, &seen);
	if (rc == PF_NOT_NEW && node_opened(s, ii, flags)) {
		struct pf_key o;

		reverse(&k, &o);
		if (pf_track(s->pf, &o, TCP_SYN, now, ps->gen, judge, &j,
		    &seen) == PF_OK)
			rc = pf_track(s->pf, &k, flags, now, ps->gen, judge,
			    &j, &seen);
	}
	switch (rc) {
	case PF_OK:
		break;
	case PF_FULL:
		drop(r, DP_DROP_POLICY_FULL);
		return false;
	default:
		drop(r, DP_DROP_POLICY_INVALID);
		return false;
	}
	/* Counters only of the generation in force (ids are its own). */
	for (int i = 0; i < 2 && seen.v.gen == ps->gen; i++)
		if (seen.v.id[i] != POLICY_ID_NONE)
			policy_count(ps->pc, seen.v.id[i],
			    seen.created || seen.rejudged ? 1 : 0, 1);
	if (!seen.v.allow) {
		if (seen.created || seen.rejudged) {
			struct pf_key o = k;

			/* A reply-orientation packet: the flow runs the other way. */
			if (seen.reply && !seen.created)
				reverse(&k, &o);
			log_denied(s, ps, &o);
		}
		drop(r, DP_DROP_POLICY);
		return false;
	}
	return true;
}
