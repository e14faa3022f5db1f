/*
 * pipeline.h - the packet path as pure functions over a packet buffer
 * (router/inside.c and router/outside.c). No I/O here: the worker reads,
 * calls one of these, and does what the verdict says.
 */
#ifndef SLUICE_ROUTER_PIPELINE_H
#define SLUICE_ROUTER_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "router/dataplane.h"

enum verdict {
	VERDICT_DROP = 0,	/* counted in result.drop */
	VERDICT_TO_PEER,	/* p is encapsulated; send to result.peer */
	VERDICT_TO_TUN,		/* p is an IP packet for the kernel */
	VERDICT_REPLY,		/* an ICMP error for the pod is in the scratch buffer */
};

struct pipeline_result {
	enum verdict verdict;
	enum dp_counter drop;		/* why, for VERDICT_DROP */
	const struct dp_peer *peer;	/* VERDICT_TO_PEER; borrowed from the snapshot */
	size_t reply_len;		/* VERDICT_REPLY */
	bool counted;			/* also count `count` (NAT) */
	enum dp_counter count;
	bool counted2;			/* and `count2` (DNS answers) */
	enum dp_counter count2;
};

struct ct_table;

/*
 * pkt.marks: a segment of a super-packet policy judged whole (its flow's
 * lookup done once for all its segments).
 */
#define PKT_MARK_JUDGED 0x01

/*
 * A packet the kernel routed into the TUN: parse, translate back if it is
 * a reply to a NAT'd flow, route, translate the source if it leaves the
 * cluster from a natOutgoing pool, check the MTU, encapsulate. scratch
 * (at least 1280 bytes) receives an ICMP error when one is due. ct (the
 * worker's flow table; NULL: no NAT) and now (its clock, seconds) serve
 * NAT.
 */
void inside_process(const struct dp_snapshot *s, struct ct_table *ct,
    uint32_t now, struct pkt *p, uint8_t *scratch, size_t scratch_len,
    struct pipeline_result *r);

/*
 * A TCP super-packet from the TUN (TSO, checksum partial), looked at
 * whole: if it goes back to the kernel (a pod of this node, the outside)
 * and NAT, where it applies, translates its flow, the headers are
 * rewritten once and true says "write it back whole" (the kernel cuts it
 * later, or forwards it as GSO). false, with nothing changed: cut it and
 * take each segment through inside_process() (to a peer, or whatever
 * NAT could not do, which that path answers or drops).
 */
bool inside_whole(const struct dp_snapshot *s, struct ct_table *ct,
    uint32_t now, struct pkt *p, struct pipeline_result *r);

/*
 * A super-packet inside_whole() left to be cut, judged by policy once
 * for all its segments where that is the same as judging each: one for
 * another node's pod, or one an egress policy sends to a gateway (no
 * translation comes between). false: policy denies the flow (r says
 * why; drop it whole). true: *judged says whether the segments may skip
 * policy (PKT_MARK_JUDGED); if not, each takes the whole path.
 */
bool inside_judge_whole(const struct dp_snapshot *s, uint32_t now,
    const struct pkt *p, struct pipeline_result *r, bool *judged);

/*
 * A datagram from the underlay socket, from src: check the sender,
 * decapsulate, check the inner destination is ours (or, at an egress
 * gateway, that it is a flow this gateway must carry: then SNATed with ct),
 * apply the ingress policy of the pod it is for (now: the flow tables'
 * clock).
 */
void outside_process(const struct dp_snapshot *s, struct ct_table *ct,
    uint32_t now, struct pkt *p, const struct sluice_addr *src,
    struct pipeline_result *r);

/*
 * The network policy stage (router/polgate.c): the packet ii describes,
 * with both addresses as the pods see them (before SNAT, after de-NAT),
 * finds or makes its flow; true if it may go on, false with r set to a
 * drop. pkt is only read. now is the flow table's clock.
 */
bool policy_gate(const struct dp_snapshot *s, uint32_t now,
    const uint8_t *pkt, const struct ip_info *ii, struct pipeline_result *r);

/*
 * An answer of a trusted resolver to a pod of this node (ii's
 * destination): its bindings into the snapshot's DNS table, now, before
 * the caller hands the packet on (router/dnsgate.c). Counted in r's
 * second slot.
 */
void dns_learn(const struct dp_snapshot *s, const uint8_t *pkt,
    const struct ip_info *ii, struct pipeline_result *r);

struct pf_key;
/* The flow key of the packet ii describes, in its own orientation. */
void pipeline_flow_key(const struct ip_info *ii, struct pf_key *k);

/* Egress gateways (router/egressgate.c). */
enum egress_way {
	EGRESS_NOT_MINE = 0,	/* no policy: the usual path (NAT, direct) */
	EGRESS_TO_GATEWAY,	/* encapsulate to *peer, the flow's gateway */
	EGRESS_DROP,		/* a policy, no gateway: dropped, counted in *why */
};

/*
 * At a pod's node, a packet from one of its pods to the outside: the
 * gateway of its flow, pinned at its first packet.
 */
enum egress_way egress_route(const struct dp_snapshot *s, uint32_t now,
    const uint8_t *pkt, const struct ip_info *ii, const struct dp_peer **peer,
    enum dp_counter *why);

/* The source is a pod of this node whose flow to ii's destination goes
 * through an egress gateway (so it is tunnelled, not handed back). */
bool egress_selected(const struct dp_snapshot *s, const struct ip_info *ii);

/*
 * At a gateway, a decapsulated packet from peer from for a destination
 * outside the cluster: false if this node is no gateway (the caller drops
 * it as not local); true with r set otherwise: SNATed to the policy's
 * egress IP for the TUN, or dropped (not a flow this gateway carries).
 */
bool egress_carry(const struct dp_snapshot *s, struct ct_table *ct,
    uint32_t now, struct pkt *p, const struct ip_info *ii,
    const struct dp_peer *from, struct pipeline_result *r);

#endif
