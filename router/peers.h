/*
 * peers.h - the other nodes of the cluster as this node sees them, and
 * what follows from that: the data-path snapshot and the kernel routes.
 *
 * States of a peer:
 *   DOWN   no live control link: its blocks are unreachable (the kernel
 *          answers with ICMP host unreachable, so do we);
 *   GRACE  just after our own start, until the dead interval has passed:
 *          routes a predecessor installed stay in force while the links
 *          come up, so a restart of sluiced is no outage;
 *   UP     an authenticated control link has delivered a frame within the
 *          dead interval (always, for a node with managed: false).
 * Every change of state or of a peer's blocks recompiles the snapshot and
 * syncs the kernel (peers_apply).
 */
#ifndef SLUICE_ROUTER_PEERS_H
#define SLUICE_ROUTER_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

struct sluiced;
struct link;

enum peer_state {
	PEER_DOWN = 0,
	PEER_GRACE,
	PEER_UP,
};

struct peer {
	char name[64];
	struct sluice_addr addr;
	bool managed;
	enum peer_state state;
	uint8_t mac[6];
	uint32_t mtu;			/* its tunnel MTU if announced, else 0 */
	struct sluice_prefix *blocks;	/* owned; accepted blocks */
	uint32_t nblocks;
	uint64_t blocks_gen;
	uint64_t incarnation;
	uint64_t last_rx_ms;		/* last verified frame (uv_now) */
	uint64_t since_ms;		/* state entered */
	uint32_t ups, downs;
	struct link *link;		/* authenticated link, if any */
	uint64_t next_dial_ms;
	char last_error[256];
};

/* The VTEP MAC a node uses unless its manifest gives one: derived from its
 * name, so every node computes every other node's without asking. */
void peers_default_mac(const char *node, uint8_t mac[6]);

/*
 * Rebuilds the peer list from the cluster manifest in force, keeping the
 * state of peers that remain; peers that left are closed. Called at start
 * (grace: true) and after every accepted manifest reload.
 */
void peers_sync_manifest(struct sluiced *d, bool grace);

/*
 * On a stop (d->stopping set): takes out what must not outlive the
 * daemon (NAT's return-path rules, the kernel's local rule back at 0);
 * the overlay's routes and rules stay for the next start.
 */
void peers_kernel_release(struct sluiced *d);

/* Compiles and publishes the snapshot, and syncs routes and rules. */
void peers_apply(struct sluiced *d);
/*
 * Publishes a new data-path snapshot (the policy in force changed) without
 * touching the kernel. false if it could not be built (logged).
 */
bool peers_publish(struct sluiced *d);

void peer_set_state(struct sluiced *d, struct peer *p, enum peer_state st,
    const char *why);

struct peer *peers_find(struct sluiced *d, const char *name);
struct peer *peers_find_addr(struct sluiced *d, const struct sluice_addr *a);

struct link_blocks;
/*
 * Takes the blocks a peer announced: each must lie inside an IPPool and
 * overlap no block of ours or of another live peer (those are logged and
 * ignored). Applies the change if there is one.
 */
void peers_accept_blocks(struct sluiced *d, struct peer *p,
    const struct link_blocks *b);

/* Frees the peer list (links must be closed already). */
void peers_free(struct sluiced *d);

const char *peer_state_name(enum peer_state st);

#endif
