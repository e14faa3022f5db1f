/*
 * inside.c - TUN -> de-NAT of replies -> network policy -> route -> egress
 * gateway or SNAT (natOutgoing, to the outside) -> MTU -> encap -> UDP.
 *
 * Each stage is one call that either lets the packet go on or ends it
 * with a verdict. Read from top to bottom, this is the path of every
 * packet a pod sends.
 */
#include "router/pipeline.h"

#include <netinet/in.h>
#include <string.h>

#include "nat/ct.h"
#include "nat/xlate.h"
#include "overlay/icmp.h"
#include "router/egressd.h"

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

static void
note(struct pipeline_result *r, enum dp_counter c)
{
	r->counted = true;
	r->count = c;
}

/*
 * A translated packet crosses the node's forwarding twice (into the TUN
 * and out of it again): give one hop back, so the node counts as one
 * hop to traceroute and a pod's TTL of 2 reaches the next router. Only
 * translated packets: one that came back to the TUN unchanged must not
 * live for ever in a loop.
 */
static void
hop_back(struct pkt *p)
{
	uint8_t old[2] = { p->data[8], p->data[9] }, now[2];

	if (old[0] == 255)
		return;
	now[0] = (uint8_t)(old[0] + 1);
	now[1] = old[1];
	xlate_csum_adjust(p->data + 10, old, now, 2);
	p->data[8] = now[0];
}

/*
 * An address replies come back to for translation: a NAT address, or an
 * egress IP of this node (an egress gateway).
 */
static bool
is_nat_addr(const struct dp_snapshot *s, uint32_t a)
{
	for (uint32_t i = 0; i < s->nnat; i++)
		if (s->nat_addrs[i] == a)
			return true;
	for (size_t i = 0; s->egw != NULL && i < s->egw->nself; i++)
		if (s->egw->self_addrs[i] == a)
			return true;
	return false;
}

static bool
translating(const struct dp_snapshot *s)
{
	return s->nnat > 0 || (s->egw != NULL && s->egw->nself > 0);
}

/*
 * To one of our NAT addresses, from the kernel (steered here by the
 * return-path rules): a reply of a translated flow goes back to its pod
 * (true, with ii updated); an ICMP error quoting one likewise; anything
 * else is the node's own, handed back unchanged, except TCP/UDP to the
 * NAT port range, which nothing else may use.
 */
static bool
nat_back(const struct dp_snapshot *s, struct ct_table *ct, uint32_t now,
    struct pkt *p, struct ip_info *ii, struct pipeline_result *r)
{
	struct xlate_key k;
	struct ct_flow f;

	if (xlate_key_of(p->data, ii, &k) &&
	    (k.proto != IPPROTO_ICMP || k.echo_reply) &&
	    ct_in(ct, k.proto, k.src, k.proto == IPPROTO_ICMP ? 0 : k.sport,
	    k.dst, k.proto == IPPROTO_ICMP ? k.sport : k.dport, k.tcp_flags,
	    false, now, &f) == CT_OK) {
		xlate_dst(p->data, ii, f.pod, f.pport);
		hop_back(p);
		/* ii describes the packet as it now is (policy reads it). */
		memcpy(&ii->dst.u.v4, &f.pod, 4);
		if (k.proto == IPPROTO_ICMP)
			ii->sport = f.pport;	/* the echo identifier */
		else
			ii->dport = f.pport;
		note(r, DP_NAT_IN);
		return true;
	}
	/* An error about a packet we translated: its quote's source is ours. */
	if (xlate_icmp_quote(p->data, ii, &k) &&
	    ct_in(ct, k.proto, k.dst, k.proto == IPPROTO_ICMP ? 0 : k.dport,
	    k.src, k.sport, 0, true, now, &f) == CT_OK) {
		xlate_icmp_error(p->data, ii, f.pod, f.pport);
		hop_back(p);
		memcpy(&ii->dst.u.v4, &f.pod, 4);
		note(r, DP_NAT_ICMP_IN);
		return true;
	}
	if ((ii->proto == IPPROTO_TCP || ii->proto == IPPROTO_UDP) &&
	    ii->has_ports && ii->dport >= s->nat_lo && ii->dport <= s->nat_hi) {
		drop(r, DP_DROP_NAT_NO_FLOW);
		return false;
	}
	note(r, DP_NAT_TO_NODE);
	r->verdict = VERDICT_TO_TUN;
	return false;
}

/*
 * A pod of a natOutgoing pool to an address outside the cluster: the
 * source becomes a NAT address and port. A flow that cannot be made gets
 * ICMP "administratively prohibited" back at once (never an
 * untranslated packet on the wire); TCP that starts without a SYN, bad
 * flags, fragments and other protocols are dropped and counted.
 */
static void
nat_out(const struct dp_snapshot *s, struct ct_table *ct, uint32_t now,
    struct pkt *p, const struct ip_info *ii, uint8_t *scratch,
    size_t scratch_len, struct pipeline_result *r)
{
	struct xlate_key k;
	struct ct_flow f;

	if (!xlate_key_of(p->data, ii, &k) ||
	    (k.proto == IPPROTO_ICMP && k.echo_reply)) {
		drop(r, DP_DROP_NAT_UNSUPPORTED);
		return;
	}
	switch (ct_out(ct, k.proto, k.src, k.sport, k.dst,
	    k.proto == IPPROTO_ICMP ? 0 : k.dport, k.tcp_flags, s->nat_addrs,
	    s->nnat, now, &f)) {
	case CT_OK:
		xlate_src(p->data, ii, f.nat, f.nport);
		hop_back(p);
		note(r, DP_NAT_OUT);
		r->verdict = VERDICT_TO_TUN;
		return;
	case CT_FULL:
		reply_icmp(s, p, ii, ICMP_ERR_ADMIN_PROHIBITED, 0, scratch,
		    scratch_len, r, DP_DROP_NAT_FULL);
		return;
	case CT_NO_PORT:
		reply_icmp(s, p, ii, ICMP_ERR_ADMIN_PROHIBITED, 0, scratch,
		    scratch_len, r, DP_DROP_NAT_NO_PORT);
		return;
	default:
		drop(r, DP_DROP_NAT_INVALID);
		return;
	}
}

bool
inside_whole(const struct dp_snapshot *s, struct ct_table *ct, uint32_t now,
    struct pkt *p, struct pipeline_result *r)
{
	struct xlate_key k;
	struct ip_info ii;
	struct ct_flow f;
	const struct lpm *table;
	uint32_t route;

	r->peer = NULL;
	r->reply_len = 0;
	r->counted = false;
	r->counted2 = false;
	r->verdict = VERDICT_TO_TUN;
	if (ip_parse(p->data, p->len, &ii) != IP_OK || ii.proto != IPPROTO_TCP ||
	    ii.tot_len != p->len)
		return false;
	if (ct != NULL && translating(s) && ii.version == 4 &&
	    is_nat_addr(s, ii.dst.u.v4.s_addr)) {
		struct ip_info pi;
		struct sluice_addr pod = { .family = AF_INET };

		if (!xlate_key_of(p->data, &ii, &k) ||
		    ct_in(ct, k.proto, k.src, k.sport, k.dst, k.dport,
		    k.tcp_flags, true, now, &f) != CT_OK)
			return false;
		/* A pod of another node (an egress gateway's reply): cut it
		 * for the tunnel; the segments take the whole path. */
		memcpy(&pod.u.v4, &f.pod, 4);
		if (s->dst4 == NULL || !lpm_lookup(s->dst4, &pod, &route) ||
		    DP_ROUTE_KIND(route) != DP_ROUTE_LOCAL)
			return false;
		if (ct_in(ct, k.proto, k.src, k.sport, k.dst, k.dport,
		    k.tcp_flags, false, now, &f) != CT_OK)
			return false;
		/* Policy sees the pod's side: judged before the rewrite. */
		pi = ii;
		memcpy(&pi.dst.u.v4, &f.pod, 4);
		pi.dport = f.pport;
		if (!policy_gate(s, now, p->data, &pi, r))
			return false;
		xlate_dst_partial(p->data, &ii, f.pod, f.pport);
		hop_back(p);
		note(r, DP_NAT_IN);
		return true;
	}
	table = ii.version == 4 ? s->dst4 : s->dst6;
	if (table != NULL && lpm_lookup(table, &ii.dst, &route) &&
	    DP_ROUTE_KIND(route) != DP_ROUTE_LOCAL)
		return false;	/* to a peer: cut into VXLAN frames */
	if (!policy_gate(s, now, p->data, &ii, r))
		return false;	/* each segment is dropped and counted */
	if (table != NULL && lpm_lookup(table, &ii.dst, &route))
		return true;	/* a pod of this node */
	if (egress_selected(s, &ii))
		return false;	/* to its gateway, through the tunnel */
	if (ct == NULL || s->nnat == 0 || ii.version != 4 ||
	    s->nat_src == NULL || !lpm_lookup(s->nat_src, &ii.src, &route) ||
	    (s->no_nat != NULL && lpm_lookup(s->no_nat, &ii.dst, &route)))
		return true;	/* the outside, untranslated */
	if (!xlate_key_of(p->data, &ii, &k) ||
	    ct_out(ct, k.proto, k.src, k.sport, k.dst, k.dport, k.tcp_flags,
	    s->nat_addrs, s->nnat, now, &f) != CT_OK)
		return false;
	xlate_src_partial(p->data, &ii, f.nat, f.nport);
	hop_back(p);
	note(r, DP_NAT_OUT);
	return true;
}

bool
inside_judge_whole(const struct dp_snapshot *s, uint32_t now,
    const struct pkt *p, struct pipeline_result *r, bool *judged)
{
	const struct lpm *table;
	struct ip_info ii;
	uint32_t route;

	*judged = false;
	r->counted = false;
	r->counted2 = false;
	if (s->pol == NULL || ip_parse(p->data, p->len, &ii) != IP_OK)
		return true;
	/* A reply to a translated flow is judged after its de-NAT. */
	if (translating(s) && ii.version == 4 &&
	    is_nat_addr(s, ii.dst.u.v4.s_addr))
		return true;
	table = ii.version == 4 ? s->dst4 : s->dst6;
	if (table != NULL && lpm_lookup(table, &ii.dst, &route)) {
		if (DP_ROUTE_KIND(route) != DP_ROUTE_PEER)
			return true;
	} else if (!egress_selected(s, &ii)) {
		return true;
	}
	if (!policy_gate(s, now, p->data, &ii, r))
		return false;
	*judged = true;
	return true;
}

void
inside_process(const struct dp_snapshot *s, struct ct_table *ct,
    uint32_t now, struct pkt *p, uint8_t *scratch, size_t scratch_len,
    struct pipeline_result *r)
{
	const struct dp_peer *peer;
	struct ip_info ii;
	enum ip_verdict iv;
	uint32_t route;
	const struct lpm *table;

	r->peer = NULL;
	r->reply_len = 0;
	r->counted = false;
	r->counted2 = false;

	/* 1. Parse. The kernel wrote it, but nothing is trusted blindly. */
	iv = ip_parse(p->data, p->len, &ii);
	if (iv != IP_OK) {
		drop(r, (enum dp_counter)(DP_DROP_IP_BASE + iv));
		return;
	}
	pkt_trim(p, ii.tot_len);

	/* 2. A reply to a translated flow goes back to its pod. */
	if (ct != NULL && translating(s) && ii.version == 4 &&
	    is_nat_addr(s, ii.dst.u.v4.s_addr)) {
		if (!nat_back(s, ct, now, p, &ii, r))
			return;
		/*
		 * At an egress gateway, the reply of a flow carried for
		 * another node's pod: that node judges its pod's flows (it
		 * saw the first packet; this node did not), so policy here
		 * has nothing to say.
		 */
		table = s->dst4;
		if (table != NULL && lpm_lookup(table, &ii.dst, &route) &&
		    DP_ROUTE_KIND(route) == DP_ROUTE_PEER)
			p->marks |= PKT_MARK_JUDGED;
	}

	/*
	 * 3. Network policy: the egress of a pod of this node, the ingress
	 *    of one (after the de-NAT above, before the SNAT below, so it
	 *    sees the pods' own addresses).
	 */
	if (!(p->marks & PKT_MARK_JUDGED) &&
	    !policy_gate(s, now, p->data, &ii, r))
		return;

	/* 4. Route: which node owns the destination's block? */
	table = ii.version == 4 ? s->dst4 : s->dst6;
	if (table == NULL || !lpm_lookup(table, &ii.dst, &route)) {
		enum dp_counter why;

		/* Not a cluster address: through an egress gateway if a
		 * policy says so; else SNAT for natOutgoing pools, and the
		 * kernel forwards it. */
		switch (egress_route(s, now, p->data, &ii, &peer, &why)) {
		case EGRESS_TO_GATEWAY:
			note(r, DP_EGRESS_OUT);
			goto tunnel;
		case EGRESS_DROP:
			drop(r, why);
			return;
		case EGRESS_NOT_MINE:
			break;
		}
		if (ct != NULL && s->nnat > 0 && ii.version == 4 &&
		    s->nat_src != NULL && lpm_lookup(s->nat_src, &ii.src,
		    &route) && !(s->no_nat != NULL &&
		    lpm_lookup(s->no_nat, &ii.dst, &route))) {
			nat_out(s, ct, now, p, &ii, scratch, scratch_len, r);
			return;
		}
		r->verdict = VERDICT_TO_TUN;
		return;
	}
	if (DP_ROUTE_KIND(route) == DP_ROUTE_LOCAL) {
		/* A pod of this node: back to the kernel, which has its route;
		 * a resolver's answer teaches its bindings first. */
		dns_learn(s, p->data, &ii, r);
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

tunnel:
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
