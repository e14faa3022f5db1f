/*
 * inside.c - TUN -> (policy, NAT: later issues) -> encap -> UDP.
 *
 * Each stage is one call that either lets the packet go on or ends it
 * with a verdict. Read from top to bottom, this is the path of every
 * packet a pod sends.
 */
#include "router/pipeline.h"

#include "overlay/icmp.h"

static void
drop(struct pipeline_result *r, enum dp_counter why)
{
	r->verdict = VERDICT_DROP;
	r->drop = why;
}

/* Sends an ICMP error back to the pod if the rules allow one. */
static void
reply_icmp(const struct dp_snapshot *s, const struct pkt *p,
    const struct ip_info *ii, enum icmp_err kind, uint32_t mtu,
    uint8_t *scratch, size_t scratch_len, struct pipeline_result *r,
    enum dp_counter why)
{
	int n = -1;

	if (ii->version == 4 && s->self4.family == AF_INET)
		n = icmp_error_build(kind, mtu, ii, p->data, p->len, &s->self4,
		    scratch, scratch_len);
	if (n <= 0) {
		drop(r, why);
		return;
	}
	r->verdict = VERDICT_REPLY;
	r->drop = why;		/* the original is still dropped */
	r->reply_len = (size_t)n;
}

void
inside_process(const struct dp_snapshot *s, struct pkt *p, uint8_t *scratch,
    size_t scratch_len, struct pipeline_result *r)
{
	const struct dp_peer *peer;
	struct ip_info ii;
	enum ip_verdict iv;
	uint32_t route;
	const struct lpm *table;

	r->peer = NULL;
	r->reply_len = 0;

	/* 1. Parse. The kernel wrote it, but nothing is trusted blindly. */
	iv = ip_parse(p->data, p->len, &ii);
	if (iv != IP_OK) {
		drop(r, (enum dp_counter)(DP_DROP_IP_BASE + iv));
		return;
	}
	pkt_trim(p, ii.tot_len);

	/* 2. Route: which node owns the destination's block? */
	table = ii.version == 4 ? s->dst4 : s->dst6;
	if (table == NULL || !lpm_lookup(table, &ii.dst, &route)) {
		/* Not a cluster address: the kernel forwards it. */
		r->verdict = VERDICT_TO_TUN;
		return;
	}
	if (DP_ROUTE_KIND(route) == DP_ROUTE_LOCAL) {
		/* A pod of this node: back to the kernel, which has its route. */
		r->verdict = VERDICT_TO_TUN;
		return;
	}
	/* A snapshot never holds a bad index; checked all the same. */
	if (DP_ROUTE_KIND(route) != DP_ROUTE_PEER ||
	    DP_ROUTE_PEER_IDX(route) >= s->npeers) {
		reply_icmp(s, p, &ii, ICMP_ERR_HOST_UNREACH, 0, scratch,
		    scratch_len, r, DP_DROP_NO_ROUTE);
		return;
	}
	peer = &s->peers[DP_ROUTE_PEER_IDX(route)];

	/* 3. (policy: the network policy issue) */
	/* 4. (SNAT: the NAT outgoing issue) */

	/* 5. MTU: a packet the tunnel cannot carry whole. */
	if (p->len > peer->mtu) {
		if (ii.df)
			reply_icmp(s, p, &ii, ICMP_ERR_TOO_BIG, peer->mtu,
			    scratch, scratch_len, r, DP_DROP_TOO_BIG);
		else
			drop(r, DP_DROP_TOO_BIG_NODF);
		return;
	}

	/* 6. Encapsulate for the peer's VTEP. */
	if (vxlan_encap(p, s->vni, s->mac, peer->mac) != 0) {
		drop(r, DP_DROP_ENCAP);
		return;
	}
	r->verdict = VERDICT_TO_PEER;
	r->peer = peer;
}
