/*
 * egressgate.c - egress gateways on the data path (see egressd.h):
 * at a pod's node, which gateway a flow to the outside goes through; at
 * a gateway, whether a decapsulated flow is one it must carry, and its
 * SNAT to the egress IP.
 */
#include "router/pipeline.h"

#include <netinet/in.h>
#include <string.h>

#include "egress/egress.h"
#include "nat/ct.h"
#include "nat/xlate.h"
#include "policy/flows.h"
#include "router/egressd.h"

/* The pod holding a, or NULL. */
static const struct dp_egress_pod *
pod_of(const struct dp_egress *e, const struct sluice_addr *a)
{
	const struct lpm *t = a->family == AF_INET ? e->pod4 : e->pod6;
	uint32_t v;

	if (t == NULL || !lpm_lookup(t, a, &v) || v >= e->npods)
		return NULL;
	return &e->pods[v];
}

/* How specifically p's destinations hold dst: prefix length, or -1. */
static int
dest_match(const struct dp_egress_policy *p, const struct sluice_addr *dst)
{
	int best = -1;

	if (p->ndests == 0)
		return 0;
	for (size_t i = 0; i < p->ndests; i++)
		if (p->dests[i].len > best &&
		    sluice_prefix_contains(&p->dests[i], dst))
			best = p->dests[i].len;
	return best;
}

/*
 * The policy deciding a flow of pod to dst, egress/egress.h's precedence:
 * the pod's policies come most specific first, then by name, so the
 * first match of the most specific kind wins unless a later one of the
 * same kind matches a longer destination prefix.
 */
static int
choose(const struct dp_egress *e, const struct dp_egress_pod *pod,
    const struct sluice_addr *dst)
{
	int best = -1, best_len = -1;

	for (size_t i = 0; i < pod->npolicies; i++) {
		const struct dp_egress_policy *p = &e->policies[pod->policies[i]];
		int len = dest_match(p, dst);

		if (len < 0)
			continue;
		if (best >= 0 && p->pod_selector !=
		    e->policies[best].pod_selector)
			break;
		if (len > best_len) {
			best = (int)pod->policies[i];
			best_len = len;
		}
	}
	return best;
}

struct pick_ctx {
	const struct dp_egress *e;
	uint32_t policy;
};

/* The judge of the egress flow table: picks the gateway of a new flow. */
static void
pick(void *arg, const struct pf_key *orig, bool is_new, struct pf_verdict *v)
{
	const struct pick_ctx *c = arg;
	const struct dp_egress_policy *p = &c->e->policies[c->policy];
	struct egress_candidate cand[EGRESS_GATEWAYS_MAX];
	struct egress_gateway gw[EGRESS_GATEWAYS_MAX];
	struct sluice_addr src = { 0 }, dst = { 0 };
	size_t n = p->ncands < EGRESS_GATEWAYS_MAX ? p->ncands :
	    EGRESS_GATEWAYS_MAX;
	int i;

	(void)is_new;
	for (size_t k = 0; k < n; k++) {
		memset(&gw[k], 0, sizeof(gw[k]));
		gw[k].node = p->cands[k].node;
		gw[k].draining = p->cands[k].draining;
		cand[k].gw = &gw[k];
		cand[k].healthy = p->cands[k].healthy;
		memset(&cand[k].addr, 0, sizeof(cand[k].addr));
	}
	src.family = dst.family = orig->family;
	memcpy(&src.u, &orig->src, orig->family == AF_INET ? 4 : 16);
	memcpy(&dst.u, &orig->dst, orig->family == AF_INET ? 4 : 16);
	i = egress_pick(cand, n, egress_flow_hash(&src, &dst, orig->proto,
	    orig->sport, orig->dport), -1);
	v->gen = c->e->gen;	/* also when forced under another number */
	v->allow = i >= 0;
	v->id[0] = i >= 0 ? p->cands[i].name_hash : 0;
	v->id[1] = c->policy;
}

/* The candidate a flow is pinned to, if it still may carry it. */
static const struct dp_egress_cand *
pinned(const struct dp_egress *e, const struct pf_verdict *v,
    uint32_t policy)
{
	const struct dp_egress_policy *p;

	if (!v->allow || v->id[1] != policy || policy >= e->npolicies)
		return NULL;
	p = &e->policies[policy];
	for (size_t i = 0; i < p->ncands; i++)
		if (p->cands[i].name_hash == v->id[0])
			return p->cands[i].healthy ? &p->cands[i] : NULL;
	return NULL;
}

enum egress_way
egress_route(const struct dp_snapshot *s, uint32_t now, const uint8_t *pkt,
    const struct ip_info *ii, const struct dp_peer **peer,
    enum dp_counter *why)
{
	const struct dp_egress *e = s->egw;
	const struct dp_egress_pod *pod;
	const struct dp_egress_cand *c;
	struct pick_ctx ctx;
	struct pf_seen seen;
	struct pf_key k;
	uint8_t flags = 0;
	int pol;

	if (e == NULL || (pod = pod_of(e, &ii->src)) == NULL || !pod->local ||
	    (pol = choose(e, pod, &ii->dst)) < 0)
		return EGRESS_NOT_MINE;
	if (s->egw_flows == NULL || ii->version != 4) {
		*why = DP_DROP_EGRESS_NO_GATEWAY;
		return EGRESS_DROP;
	}
	ctx.e = e;
	ctx.policy = (uint32_t)pol;
	pipeline_flow_key(ii, &k);
	if (ii->proto == IPPROTO_TCP && ii->has_ports)
		flags = pkt[ii->l4_off + 13];
	if (pf_track(s->egw_flows, &k, flags, now, e->gen, pick, &ctx,
	    &seen) != PF_OK) {
		*why = DP_DROP_EGRESS_NO_GATEWAY;
		return EGRESS_DROP;
	}
	c = pinned(e, &seen.v, ctx.policy);
	if (c == NULL) {
		/*
		 * Its gateway died, left the group or there was none: pick
		 * again now (a generation the flow was not judged under makes
		 * the table ask; the judge stores the real one back).
		 */
		if (pf_track(s->egw_flows, &k, flags, now, e->gen + 1, pick,
		    &ctx, &seen) == PF_OK)
			c = pinned(e, &seen.v, ctx.policy);
	}
	if (c == NULL || c->peer >= s->npeers) {
		if (e->policies[pol].fallback_nat)
			return EGRESS_NOT_MINE;
		*why = DP_DROP_EGRESS_NO_GATEWAY;
		return EGRESS_DROP;
	}
	*peer = &s->peers[c->peer];
	return EGRESS_TO_GATEWAY;
}

bool
egress_selected(const struct dp_snapshot *s, const struct ip_info *ii)
{
	const struct dp_egress_pod *pod;

	return s->egw != NULL && (pod = pod_of(s->egw, &ii->src)) != NULL &&
	    pod->local && choose(s->egw, pod, &ii->dst) >= 0;
}

bool
egress_carry(const struct dp_snapshot *s, struct ct_table *ct, uint32_t now,
    struct pkt *p, const struct ip_info *ii, const struct dp_peer *from,
    struct pipeline_result *r)
{
	const struct dp_egress *e = s->egw;
	const struct dp_egress_pod *pod;
	struct xlate_key k;
	struct ct_flow f;
	uint32_t route, addr;
	int pol;

	if (e == NULL || e->nself == 0)
		return false;
	r->verdict = VERDICT_DROP;
	r->drop = DP_DROP_EGRESS_REFUSED;
	/*
	 * Only for an authenticated node, for a pod of its own (its block),
	 * to a destination outside the cluster, under a policy whose group
	 * includes this gateway: never an open relay.
	 */
	if (ct == NULL || from == NULL || !from->up || ii->version != 4 ||
	    s->dst4 == NULL || !lpm_lookup(s->dst4, &ii->src, &route) ||
	    DP_ROUTE_KIND(route) != DP_ROUTE_PEER ||
	    &s->peers[DP_ROUTE_PEER_IDX(route)] != from ||
	    lpm_lookup(s->dst4, &ii->dst, &route) ||
	    (pod = pod_of(e, &ii->src)) == NULL ||
	    strcmp(pod->node, from->name) != 0 ||
	    (pol = choose(e, pod, &ii->dst)) < 0 ||
	    (addr = e->policies[pol].self_addr) == 0)
		return true;
	if (!xlate_key_of(p->data, ii, &k) ||
	    (k.proto == IPPROTO_ICMP && k.echo_reply)) {
		r->drop = DP_DROP_NAT_UNSUPPORTED;
		return true;
	}
	switch (ct_out(ct, k.proto, k.src, k.sport, k.dst,
	    k.proto == IPPROTO_ICMP ? 0 : k.dport, k.tcp_flags, &addr, 1, now,
	    &f)) {
	case CT_OK:
		xlate_src(p->data, ii, f.nat, f.nport);
		r->verdict = VERDICT_TO_TUN;
		r->counted = true;
		r->count = DP_EGRESS_CARRIED;
		return true;
	case CT_FULL:
		r->drop = DP_DROP_NAT_FULL;
		return true;
	case CT_NO_PORT:
		r->drop = DP_DROP_NAT_NO_PORT;
		return true;
	default:
		r->drop = DP_DROP_NAT_INVALID;
		return true;
	}
}
