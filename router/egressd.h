/*
 * egressd.h - egress gateways in the daemon (docs/EGRESS.md).
 *
 * On the loop, egressd compiles what the data path needs into a
 * struct dp_egress that rides in the data-path snapshot (immutable once
 * published, freed with the snapshot): every pod of the cluster with the
 * EgressGatewayPolicies that select it, each policy with its gateway
 * candidates as this node sees them (peer, egress IP, health), and this
 * node's own egress addresses when it is a gateway. Gateway health is
 * the control link: a gateway that has sent no verified frame for
 * egress.failoverMs is unhealthy, checked every 50 ms, and a change
 * publishes a new snapshot.
 *
 * The data path (router/egressgate.c):
 *   - at a pod's node, the first packet of a flow to the outside picks a
 *     gateway (egress/egress.h: precedence, rendezvous hashing) and the
 *     choice is pinned in the egress flow table; later packets go to the
 *     same gateway while it is healthy (also while it drains), and move
 *     when it is not;
 *   - at a gateway, a decapsulated packet for the outside is carried only
 *     if its sender is an authenticated node, its source a pod of that
 *     node, and a policy whose group includes this gateway selects that
 *     pod and destination: then it is SNATed to the policy's egress IP
 *     here. Anything else is dropped: never an open relay.
 */
#ifndef SLUICE_ROUTER_EGRESSD_H
#define SLUICE_ROUTER_EGRESSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "common/addr.h"
#include "router/ctlsock.h"

struct sluiced;
struct lpm;

#define DP_EGRESS_NONE UINT32_MAX

/* A gateway of a policy, as this node uses it. */
struct dp_egress_cand {
	uint32_t name_hash;		/* pins a flow across snapshots */
	uint32_t peer;			/* index in the snapshot's peers */
	uint32_t addr;			/* the egress IP (network order) */
	bool healthy;
	bool draining;
	char node[64];
};

struct dp_egress_policy {
	char name[254];
	struct sluice_prefix *dests;	/* owned; 0: everything outside */
	size_t ndests;
	bool pod_selector;		/* more specific than namespace-only */
	bool fallback_nat;
	struct dp_egress_cand *cands;	/* owned, in the library's order */
	size_t ncands;
	/* This node is in the group: the egress IP it SNATs to. 0: not. */
	uint32_t self_addr;
};

/* A pod and the policies that select it, most specific first. */
struct dp_egress_pod {
	uint32_t *policies;		/* owned; indices into policies */
	size_t npolicies;
	bool local;			/* a pod of this node */
	char node[64];			/* its node */
};

struct dp_egress {
	uint32_t gen;			/* config generation (not health) */
	struct dp_egress_policy *policies;	/* owned */
	size_t npolicies;
	struct dp_egress_pod *pods;	/* owned */
	size_t npods;
	struct lpm *pod4, *pod6;	/* address -> index into pods */
	uint32_t self_addrs[16];	/* this node's egress IPs */
	size_t nself;
};

void dp_egress_free(struct dp_egress *e);

/*
 * Builds the egress part of a snapshot (NULL when no policy exists or
 * memory runs out; the latter is logged).
 */
struct dp_egress *egressd_compile(struct sluiced *d);

/* Starts the health timer; stops it. */
int egressd_start(struct sluiced *d, char *err, size_t errlen);
void egressd_stop(struct sluiced *d);

/* A gateway's health as the data path uses it. */
bool egressd_healthy(struct sluiced *d, const char *node);

/* `sluicectl gateways`. */
int egressd_op_gateways(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

#endif
