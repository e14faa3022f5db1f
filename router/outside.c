/*
 * outside.c - UDP -> decap -> ingress policy -> TUN (or, at an egress
 * gateway, -> SNAT -> TUN). Every datagram that reaches the underlay
 * socket takes this path.
 */
#include "router/pipeline.h"

static void
drop(struct pipeline_result *r, enum dp_counter why)
{
	r->verdict = VERDICT_DROP;
	r->drop = why;
}

void
outside_process(const struct dp_snapshot *s, struct ct_table *ct,
    uint32_t now, struct pkt *p, const struct sluice_addr *src,
    struct pipeline_result *r)
{
	struct ip_info ii;
	enum vxlan_verdict vv;
	enum ip_verdict iv = IP_OK;
	uint32_t v;
	const struct lpm *table;

	r->peer = NULL;
	r->reply_len = 0;
	r->counted = false;
	r->counted2 = false;

	/* 1. Only nodes of the cluster may send into the overlay. */
	if (s->src == NULL || !lpm_lookup(s->src, src, &v) || v >= s->npeers) {
		drop(r, DP_DROP_UNKNOWN_SOURCE);
		return;
	}
	r->peer = &s->peers[v];

	/* 2. Decapsulate: VXLAN header, VNI, inner Ethernet, inner IP. */
	vv = vxlan_decap(p, s->vni, s->mac, &ii, &iv);
	if (vv == VXLAN_DROP_INNER) {
		drop(r, (enum dp_counter)(DP_DROP_IP_BASE + iv));
		return;
	}
	if (vv != VXLAN_OK) {
		drop(r, (enum dp_counter)(DP_DROP_VXLAN_BASE + vv));
		return;
	}

	/*
	 * 3. A node speaks only for its own pods: an inner source in the
	 *    cluster's pools must lie in a block of the sender (so a node
	 *    cannot pass its packets off as another node's pods). Sources
	 *    outside the pools (replies from the outside, relayed by an
	 *    egress gateway in a later issue) are not the sender's to prove.
	 */
	table = ii.version == 4 ? s->dst4 : s->dst6;
	if (table != NULL && lpm_lookup(table, &ii.src, &v) &&
	    (DP_ROUTE_KIND(v) != DP_ROUTE_PEER ||
	    &s->peers[DP_ROUTE_PEER_IDX(v)] != r->peer)) {
		drop(r, DP_DROP_SPOOFED_SOURCE);
		return;
	}

	/*
	 * 4. Only for pods of this node: never a relay for others; at an
	 *    egress gateway, also the flows it must carry to the outside.
	 */
	if (table == NULL || !lpm_lookup(table, &ii.dst, &v) ||
	    DP_ROUTE_KIND(v) != DP_ROUTE_LOCAL) {
		if (!(table != NULL && !lpm_lookup(table, &ii.dst, &v) &&
		    egress_carry(s, ct, now, p, &ii, r->peer, r)))
			drop(r, DP_DROP_NOT_LOCAL);
		return;
	}

	/* 5. Network policy: the ingress of the pod it is for. */
	if (!policy_gate(s, now, p->data, &ii, r))
		return;
	/* 6. A resolver's answer: its bindings, before the pod has it. */
	dns_learn(s, p->data, &ii, r);
	r->verdict = VERDICT_TO_TUN;
}
