/*
 * egress.h - egress gateways: which pods' flows leave the cluster through
 * which gateway nodes, with which egress IP. No I/O.
 *
 * The objects:
 *   - a gateway is a Node of the manifest with egress addresses (IPv4
 *     addresses the outside routes to that node's underlay address); it
 *     SNATs the flows it carries to one of them;
 *   - an EgressGatewayPolicy selects pods (namespaceSelector and/or
 *     podSelector), a group of gateways (a selector over Node labels,
 *     optionally narrowed to some egress addresses), optionally the
 *     destinations it applies to (CIDRs; the rest keep natOutgoing or
 *     direct behaviour), a cap on the gateways a node uses of the group
 *     (nearest first: the same topology zone as the pod's node), and
 *     what happens with no healthy gateway (drop, the default, or
 *     natOutgoing).
 *
 * Precedence (one policy decides a flow): among the policies that select
 * the pod and whose destinations contain the destination,
 *   1. a policy with a podSelector beats one with a namespaceSelector
 *      only (the more specific subject);
 *   2. then the longest matching destination prefix (an absent list
 *      counts as /0);
 *   3. then the name, in byte order (a tie must still be deterministic on
 *      every node).
 *
 * Choosing a gateway for a flow (egress_pick): rendezvous hashing (HRW)
 * of the flow's hash with each eligible gateway's name: every node picks
 * the same gateway for the same flow, a flow stays on its gateway while
 * that gateway stays eligible, and adding or removing a gateway moves
 * only the flows that hash to it. Eligible: healthy, not draining (for
 * new flows), one of the policy's maxGateways nearest.
 *
 * All pointers in the model are borrowed from their owner (the manifest
 * loader, a test).
 */
#ifndef SLUICE_EGRESS_EGRESS_H
#define SLUICE_EGRESS_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/selector.h"

#define EGRESS_ADDRS_MAX 16		/* egress addresses per gateway node */
#define EGRESS_GATEWAYS_MAX 64		/* gateway nodes in a cluster */
#define EGRESS_DESTS_MAX 64		/* destinations per policy */
#define EGRESS_ZONE_LABEL "topology.kubernetes.io/zone"

/* A gateway node, as the Node manifest declares it. */
struct egress_gateway {
	const char *node;			/* the Node's name */
	const struct sluice_label *labels;	/* the Node's labels */
	size_t nlabels;
	const struct sluice_addr *addrs;	/* IPv4 egress addresses, 1.. */
	size_t naddrs;
	bool draining;		/* spec.egress.drain: no new flows */
};

enum egress_fallback {
	EGRESS_FALLBACK_DROP = 0,	/* no healthy gateway: drop, count */
	EGRESS_FALLBACK_NAT,		/* ... leave as without the policy */
};

/* An EgressGatewayPolicy (sluice.io/v1alpha1, cluster-scoped). */
struct egress_policy {
	const char *name;
	/* At least one of the two; NULL: absent. {} selects all. */
	const struct sluice_selector *namespace_selector;
	const struct sluice_selector *pod_selector;
	const struct sluice_selector *gateway_selector;	/* Node labels; required */
	/* The egress IPs this policy's flows leave with (each of a gateway
	 * of the group); 0: each gateway's first. */
	const struct sluice_addr *addrs;
	size_t naddrs;
	/* 0: every destination outside the cluster's pools. */
	const struct sluice_prefix *dests;
	size_t ndests;
	uint32_t max_gateways;		/* 0: no cap */
	enum egress_fallback fallback;
};

/* A pod as egress selection sees it. */
struct egress_pod {
	const char *namespace;
	const struct sluice_label *ns_labels;	/* its namespace's labels */
	size_t nns_labels;
	const struct sluice_label *labels;
	size_t nlabels;
	const char *node_zone;		/* zone of the pod's node; NULL: none */
};

/*
 * Checks one policy: name, a subject selector, a gateway selector,
 * IPv4 addresses and destinations with host bits clear, caps. 0 or
 * -EINVAL with a sentence naming the policy and the field, e.g.
 * "EgressGatewayPolicy finance: spec.destinations[1]: 10.0.0.1/8 has host
 * bits set". Destinations are IPv4 only: the egress IPs are IPv4, so an
 * IPv6 flow could not be SNATed to one. Egress addresses must not repeat.
 * The field names are those of the document: spec.namespaceSelector,
 * spec.podSelector, spec.gatewaySelector, spec.egressAddresses,
 * spec.destinations, spec.fallback.
 */
int egress_policy_validate(const struct egress_policy *p, char *err,
    size_t errlen);

/*
 * True if p selects pod (subject only; destinations aside): the
 * namespace selector, if any, matches the namespace's labels and the pod
 * selector, if any, the pod's. A policy with neither selects nothing.
 */
bool egress_policy_selects(const struct egress_policy *p,
    const struct egress_pod *pod);

/*
 * The policy of v[0..n) that decides a flow of pod to dst (precedence
 * above), or NULL if none applies. dst must not be a cluster address
 * (the caller routes those through the overlay). A name tie goes to the
 * lower name. NULL for a non-IPv4 dst: no policy applies to IPv6 flows,
 * even one without destinations, as no egress IP could carry them.
 */
const struct egress_policy *egress_match(const struct egress_policy *v,
    size_t n, const struct egress_pod *pod, const struct sluice_addr *dst);

/* A gateway of a policy's group, as egress_pick() sees it. */
struct egress_candidate {
	const struct egress_gateway *gw;
	struct sluice_addr addr;	/* the egress IP this policy uses on it */
	bool healthy;			/* its control link is alive */
};

/*
 * The gateways of policy p among gws[0..ngws), each with the egress IP p
 * uses there (p->addrs narrowed to the gateway's, else its first), in a
 * stable order: same zone as zone first (when zone is non-NULL), then by
 * node name; cut to p->max_gateways. Writes at most max entries to out
 * and returns how many.
 *
 * A gateway is one if its labels match p->gateway_selector and it has an
 * egress IP for p: with p->addrs, the first of p->addrs (in p's order)
 * that the gateway owns, and a gateway owning none of them is not one;
 * without, the gateway's first address. A gateway's zone is its
 * EGRESS_ZONE_LABEL label. The cap counts gateways whatever their health
 * (this has no view of it): every entry comes back with healthy true and
 * the caller clears it for the gateways whose control link is down.
 */
size_t egress_candidates(const struct egress_policy *p,
    const struct egress_gateway *gws, size_t ngws, const char *zone,
    struct egress_candidate *out, size_t max);

/*
 * The gateway for a flow with hash flow_hash among c[0..n): the highest
 * rendezvous weight among the healthy, non-draining candidates (for
 * a new flow), or among the healthy ones (for a flow already on a
 * draining gateway: pinned says "keep it where it is" and is the index
 * it is on, or -1). Returns an index into c, or -1 if none is eligible.
 *
 * Precisely: if pinned is an index into c and c[pinned] is healthy, that
 * is the answer, draining or not, so that a flow's conntrack and SNAT
 * state stay on one gateway for its life. Otherwise (pinned -1, out of
 * range, or its gateway unhealthy) the flow is placed as a new one. Equal
 * weights (the same node twice) go to the lower node name, then the
 * lower index.
 */
int egress_pick(const struct egress_candidate *c, size_t n,
    uint64_t flow_hash, int pinned);

/* The rendezvous weight of a gateway name for a flow hash. */
uint64_t egress_weight(const char *node, uint64_t flow_hash);

/*
 * The hash of a flow's 5-tuple, in its original orientation (pod to
 * outside; not symmetric). Ports are numbers in host byte order, 0 for
 * protocols without ports. The seed is fixed and the bytes are read in
 * a fixed order, so every node computes the same hash for a flow: the
 * pod's node to pick a gateway, the gateway to check the flow is its.
 */
uint64_t egress_flow_hash(const struct sluice_addr *src,
    const struct sluice_addr *dst, uint8_t proto, uint16_t sport,
    uint16_t dport);

#endif
