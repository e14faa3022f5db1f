/*
 * claims.h - block claims by quorum between nodes: the daemon's half of
 * what ipam/ipam.h describes ("How two nodes never own the same block").
 *
 * When an allocation needs a new block, the request waits (the status
 * socket answers it later) while this node claims the block: it
 * acknowledges its own claim, lists the block as "claiming" in its
 * announcements, and sends a claim to every managed peer over the
 * control links (again every CLAIMS_RESEND_MS until each has answered, so
 * links that come up late are asked too). With a majority of the managed
 * nodes acknowledging, the block is committed, routed and announced, and
 * the waiting requests are run again. A refusal (the block is owned or
 * being claimed elsewhere) gives the claim up and tries another block, up
 * to CLAIMS_MAX_TRIES times; no majority within cluster.claimTimeoutMs
 * gives it up and answers the waiting requests with an error that says
 * how many nodes answered. One claim is in flight at a time.
 *
 * The other side: a claim from a peer is acknowledged or refused
 * (ipam_vote()); a peer's announcement drops the acknowledgements it no
 * longer needs (ipam_votes_sync()); a reload drops those of nodes that
 * left the manifest (ipam_votes_prune()).
 *
 * A cluster of one managed node claims without asking anyone.
 */
#ifndef SLUICE_ROUTER_CLAIMS_H
#define SLUICE_ROUTER_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/addr.h"

#define CLAIMS_RESEND_MS 500
#define CLAIMS_MAX_TRIES 8
#define CLAIMS_MAX_WAITING 1024

struct sluiced;
struct peer;
struct ctl_request;
struct ctlsock_call;
struct link_claim;
struct link_vote;
struct link_blocks;

struct claims_stats {
	uint64_t started;	/* claims sent to the cluster */
	uint64_t committed;	/* ... acknowledged by a majority */
	uint64_t refused;	/* ... refused by a peer */
	uint64_t timed_out;	/* ... without a majority in time */
	uint64_t acks_given;	/* peers' claims we acknowledged */
	uint64_t acks_refused;	/* peers' claims we refused */
};

struct claims {
	bool quorum;			/* several managed nodes */
	unsigned int members;		/* managed nodes, us included */
	bool active;			/* a claim is in flight */
	uint64_t id;			/* the current (or last) claim */
	struct sluice_prefix block;
	uint64_t deadline_ms;
	char (*acked)[64];		/* peers that acknowledged */
	size_t nacked, cap_acked;
	unsigned int tries;		/* refusals since the last success */
	struct ctlsock_call **waiting;	/* requests waiting for a block */
	size_t nwaiting, cap_waiting;
	char why[320];			/* the answer to give up with */
	uv_timer_t timer;
	bool timer_open;
	struct claims_stats st;
};

/* Starts the resend/deadline timer; drops our own claims a crash left. */
int claims_start(struct sluiced *d, char *err, size_t errlen);
/* Drops waiting requests unanswered (their clients are gone by then). */
void claims_stop(struct sluiced *d);

/* The manifests in force changed: quorum or not, prune departed nodes. */
void claims_manifest(struct sluiced *d);

/*
 * ipam.allocate got -EAGAIN for block: defers req and claims the block
 * (or waits for the claim in flight). Returns CTLSOCK_DEFERRED, or a
 * negative errno with err set when the request cannot wait.
 */
int claims_wait(struct sluiced *d, const struct ctl_request *req,
    const struct sluice_prefix *block, char *err, size_t errlen);

/* The blocks we are claiming, for our announcements: at most max. */
uint32_t claims_claiming(const struct sluiced *d, struct sluice_prefix *out,
    uint32_t max);

/* From an authenticated peer's link. */
void claims_on_claim(struct sluiced *d, struct peer *p,
    const struct link_claim *c);
void claims_on_vote(struct sluiced *d, struct peer *p,
    const struct link_vote *v);
void claims_on_blocks(struct sluiced *d, struct peer *p,
    const struct link_blocks *b);

#endif
