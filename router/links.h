/*
 * links.h - control links: TCP between nodes, frames of linkproto.h.
 *
 * Who dials: of two managed nodes, the one whose name sorts first dials
 * the other (so there is one link per pair, not two); the other accepts.
 * A dialer whose attempt fails retries every second.
 *
 * A link's life:
 *   connected -> both send hello -> keyed -> both send blocks and a
 *   keepalive -> the first verified session frame authenticates the peer
 *   (a hello alone proves nothing: it may be a recording) -> peer UP, and
 *   we send it our pod list (endpoints.h), which the peer's hello alone
 *   would not have earned.
 * A peer's pod list is filed in endpoints.c under its node name, and
 * forgotten when the node leaves the manifest (links_peers_moved()).
 * Keepalives every keepalive interval; the peer goes DOWN when no frame
 * has verified for the dead interval (a closed link alone does not take
 * it down: a restarting peer comes back within it). A link that has not
 * authenticated within the dead interval is closed. A wrong cluster
 * secret, a malformed or unverifiable frame, an unknown node or a node
 * claiming another's name or address closes the link, is logged (rate
 * limited) and counted, and touches nothing else.
 */
#ifndef SLUICE_ROUTER_LINKS_H
#define SLUICE_ROUTER_LINKS_H

#include <stddef.h>
#include <stdint.h>

struct sluiced;
struct link;
struct peer;

struct links_stats {
	uint64_t accepted;		/* TCP connections accepted */
	uint64_t dialled;		/* connections we opened */
	uint64_t authenticated;		/* links that reached UP */
	uint64_t refused_unknown;	/* not a managed node of the manifest */
	uint64_t refused_auth;		/* tag failed: wrong secret, tampering, replay */
	uint64_t refused_identity;	/* name/address do not match the manifest */
	uint64_t refused_limit;		/* too many unauthenticated connections */
	uint64_t malformed;		/* undecodable frames, protocol errors */
	uint64_t timeouts;		/* no authentication within the dead interval */
	uint64_t frames_rx, frames_tx;
};

/* Starts listening (if the node has a cluster secret) and the link timer. */
int links_start(struct sluiced *d, char *err, size_t errlen);
/* Closes every link and the listener. */
void links_stop(struct sluiced *d);

/* Closes a link; its peer keeps its state until the dead interval. */
void links_close(struct link *l, const char *why);
/*
 * The peer table is being rebuilt into np[0..n): every link, authenticated
 * or not, is pointed at its peer's new entry (found by name), or closed if
 * that node is gone or changed address or role. Call it while the old
 * table is still allocated.
 */
void links_peers_moved(struct sluiced *d, struct peer *np, size_t n);
struct sluice_prefix;
struct link_vote;
/* Sends a claim (claims.c) to p, if it has an authenticated link. */
void links_send_claim(struct sluiced *d, struct peer *p, uint64_t id,
    const struct sluice_prefix *block);
/* Answers a claim of p's on its link. */
void links_send_vote(struct sluiced *d, struct peer *p,
    const struct link_vote *v);
/* Sends our blocks to every authenticated peer (our blocks changed). */
void links_announce(struct sluiced *d);
/*
 * Sends our pod list (endpoints_local()) to every authenticated peer:
 * call it after endpoints_set_local() returned 1. At once if the last
 * announcement is 200 ms old, else from the link timer when it is, so
 * that a burst of pod changes costs a few announcements, not one each.
 * Each link also gets the list when it authenticates.
 */
void links_announce_endpoints(struct sluiced *d);

const char *links_role(const struct link *l);

#endif
