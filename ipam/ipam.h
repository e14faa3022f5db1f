/*
 * ipam.h - pod address management: pools, blocks owned by nodes,
 * allocations keyed by handle, reservations and garbage collection.
 * Logic over store/ records only: no sockets, no netlink, no libuv. The
 * loop thread calls it synchronously (an LMDB write commit is one fsync).
 *
 * Every function that changes state does so in ONE store write
 * transaction, so a kill -9 at any moment leaves either the state before
 * or the state after the call: never a duplicate address, never a lost
 * allocation. Every function returns 0 or a negative errno and, on
 * failure, a sentence naming the object at fault in err (errlen bytes;
 * err may be NULL when errlen is 0).
 *
 * Pools
 *   The caller (the daemon, from IPPool manifests) hands IPAM the complete
 *   pool list with ipam_pools_set(); IPAM keeps a validated deep copy in
 *   memory and does not persist it: the manifests are the source of
 *   truth and are handed over again at every start. Blocks and
 *   allocations are persisted and outlive their pool: removing a pool
 *   keeps its allocations (no new ones are made from it).
 *
 * Addresses never handed out
 *   - IPv4: the first and the last address of the pool (network and
 *     broadcast-like, should the pool ever be used as one subnet). Block
 *     boundaries are not skipped: pods get /32s and blocks are routes.
 *   - IPv6: the first address of the pool (the Subnet-Router anycast
 *     address of RFC 4291 section 2.6.1).
 *   - every address inside one of the pool's reservations.
 *
 * Pool choice
 *   A request may name a pool or an address; otherwise the candidates are
 *   the enabled pools whose nodeSelector matches the node labels and
 *   whose namespaceSelector matches the namespace labels (selectors apply
 *   to named pools and addresses too: they are the operator's policy), of
 *   the requested family if any. They are tried in this order: pools with
 *   a non-empty namespaceSelector first (a namespace's own range wins over
 *   a catch-all), then pools with a non-empty nodeSelector, then by name.
 *   The first candidate with room wins.
 *
 * Blocks
 *   A pool is cut into blocks of blockSize; a block is owned by at most
 *   one node and only its owner allocates from it. Within a pool a node
 *   first uses the blocks it owns (lowest block, lowest free address
 *   first) and claims a new block only when those are full. The new block
 *   is the first free one at or after a start index spread by a hash
 *   (FNV-1a) of the node name, wrapping around: two nodes claiming at the
 *   same moment before hearing of each other would, with a "lowest free
 *   block" rule, always pick the same block; starting at hashed positions
 *   they collide only if their positions coincide or the pool is nearly
 *   full. The lowest-first order inside a node keeps it deterministic.
 *   Pools of more than 2^62 blocks use their first 2^62 only.
 *
 * How two nodes never own the same block (embedded default)
 *   By quorum. In a cluster of several managed nodes the daemon turns
 *   claims by quorum on (ipam_claims_quorum()): allocation then never
 *   claims a block itself but says which block it needs (-EAGAIN). The
 *   node acknowledges its own claim (ipam_vote()), asks every other
 *   managed node of the cluster manifest to acknowledge it over the
 *   control links, and records the block as its own (ipam_block_commit())
 *   only once a majority of the managed nodes, itself included, has
 *   acknowledged. A node acknowledges a block to at most one claimant at
 *   a time and only while it knows no owner for it, and it persists the
 *   acknowledgement (ipam_votes) before sending it. Two majorities of one
 *   set share at least one node, which acknowledged only one of the two
 *   claimants, so two claims of one block never both succeed; a node cut
 *   off from the majority cannot claim at all and keeps allocating from
 *   the blocks it owns. Blocks acknowledged to another claimant are
 *   skipped when choosing a block to claim.
 *   An acknowledgement stands until the claimant's "blocks owned"
 *   announcement (sent on the same ordered link after the claim) lists
 *   the block as owned (the claimant becomes its recorded owner, see
 *   ipam_blocks_sync()) or as neither owned nor being claimed (the claim
 *   was given up: ipam_votes_sync()), or until the claimant leaves the
 *   manifest (ipam_votes_prune()). A claimant that dies in the middle of
 *   a claim leaves its acknowledgements standing until it is back: those
 *   blocks are skipped by the others meanwhile, never handed out twice.
 *   What this assumes: every node counts the same managed nodes (runs the
 *   same manifest), and with two managed nodes both must be up to claim.
 *   Static podCIDRs and the blocks of a single-node cluster need no
 *   claim.
 *
 * The safety net: conflicts from before claims by quorum
 *   Stores written without quorum (a single node later joined by others,
 *   or older versions) can still meet a block owned twice. The first node
 *   to hear of it applies one fixed rule, the same on every node: the
 *   lexicographically lower node name keeps the block. The loser re-homes
 *   its allocations in that block, in the same transaction that records
 *   the winner: each gets a new address from the same pool (a block it
 *   owns) and is reported to the caller, which must reconfigure (or
 *   restart) the pods; an allocation that cannot be re-homed is released
 *   and reported without a new address.
 *
 * What a distributed store would change
 *   With etcd (or any store with compare-and-swap), a claim becomes a
 *   create-if-absent on the block key (etcd: a transaction comparing the
 *   key's create_revision to 0), and a release a delete conditional on the
 *   owner and generation read before (mod_revision). Exactly one of two
 *   concurrent claims succeeds; the loser sees the failed compare and
 *   tries the next block, so ownership is exclusive at every instant and
 *   the conflict rule and re-homing are never needed. The generation
 *   stored with each block is the field that would carry the revision.
 *   The local store stays as the node's cache and its allocation log.
 */
#ifndef SLUICE_IPAM_IPAM_H
#define SLUICE_IPAM_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/selector.h"

struct store;
struct ipam;

#define IPAM_NAME_MAX 254	/* pool, node, namespace, pod: 253 + NUL */
#define IPAM_HANDLE_MAX 256	/* container ID + '/' + interface, + NUL */
#define IPAM_IFACE_MAX 16	/* IFNAMSIZ */
#define IPAM_LABELS_MAX 64	/* labels stored with one allocation */
#define IPAM_PORTS_MAX 32	/* named container ports of one allocation */
#define IPAM_PORT_NAME_MAX 16	/* an IANA service name: 15 + NUL */

/*
 * A named container port of the pod (spec.containers[].ports), which
 * network policy resolves by name. protocol is an IPPROTO_* number.
 */
struct ipam_port {
	char name[IPAM_PORT_NAME_MAX];
	uint8_t protocol;
	uint16_t port;
};
#define IPAM_LABEL_MAX 320	/* one label key or value, + NUL */

/* Default block sizes and the bounds accepted (at most 4096 per block). */
#define IPAM_BLOCK_V4_DEFAULT 26
#define IPAM_BLOCK_V6_DEFAULT 122
#define IPAM_BLOCK_V4_MIN 20
#define IPAM_BLOCK_V6_MIN 116

/* ---- pools ---------------------------------------------------------- */

/* One IPPool as the caller parsed it; IPAM copies what it keeps. */
struct ipam_pool {
	const char *name;		/* unique, 1..253 bytes */
	struct sluice_prefix cidr;	/* IPv4 or IPv6 */
	unsigned int block_size;	/* prefix length; 0: the default */
	bool nat_outgoing;		/* stored and reported only */
	bool disabled;			/* no new allocations or claims */
	struct sluice_selector node_selector;
	struct sluice_selector namespace_selector;
	/* Addresses (as /32 or /128) and ranges never handed out. */
	const struct sluice_prefix *reserved;
	size_t nreserved;
};

/* ---- open, close, verify -------------------------------------------- */

/* Receives one consistency problem (a sentence) at a time. */
typedef void ipam_problem_cb(void *arg, const char *problem);

/*
 * Opens IPAM over st (borrowed: it must outlive the ipam) and verifies
 * the stored records (see ipam_verify()), passing each problem to
 * on_problem (may be NULL); problems do not make the open fail, a store
 * that cannot be read does. No pools until ipam_pools_set(). The caller
 * frees *out with ipam_close().
 */
int ipam_open(struct ipam **out, struct store *st, ipam_problem_cb *on_problem,
    void *arg, char *err, size_t errlen);
/* Accepts NULL. */
void ipam_close(struct ipam *ipam);

/*
 * Checks, in one read transaction, that every by-address record has the
 * matching by-handle record and vice versa, that every allocation lies in
 * a block owned by the allocation's node, that every block's used count
 * equals its allocations, and that every record decodes. Returns the
 * number of problems found (each passed to on_problem, may be NULL) or a
 * negative errno if the store cannot be read. Repairs nothing.
 */
int ipam_verify(struct ipam *ipam, ipam_problem_cb *on_problem, void *arg);

/*
 * Replaces the pool list with a validated copy of pools[0..n). Refused
 * with -EINVAL and the first problem in err, keeping the old list, if: a
 * name is empty, too long or repeated; a cidr has host bits or an unknown
 * family; a blockSize is shorter than the cidr, longer than the address
 * or outside [IPAM_BLOCK_V4_MIN, 32] / [IPAM_BLOCK_V6_MIN, 128]; two
 * pools overlap; a reservation is of the other family or not inside its
 * pool; a selector is malformed; or a stored block overlaps a pool
 * without being exactly one of its blocks (blockSize of a pool in use
 * cannot change). Writes nothing to the store.
 */
int ipam_pools_set(struct ipam *ipam, const struct ipam_pool *pools, size_t n,
    char *err, size_t errlen);

/* ---- allocations ---------------------------------------------------- */

struct ipam_request {
	const char *handle;		/* container ID "/" interface */
	const char *namespace;		/* pod namespace; may be NULL */
	const char *pod;		/* pod name; may be NULL */
	const char *node;		/* the node the pod runs on */
	const struct sluice_label *namespace_labels; /* selection only */
	size_t nnamespace_labels;
	const struct sluice_label *node_labels;	/* selection only */
	size_t nnode_labels;
	const struct sluice_label *labels;	/* stored with the endpoint */
	size_t nlabels;
	const struct ipam_port *ports;	/* stored with the endpoint */
	size_t nports;
	int family;			/* AF_INET, AF_INET6, or 0: any */
	const char *pool;		/* requested pool name, or NULL */
	const struct sluice_addr *addr;	/* requested address, or NULL */
};

/* An allocation as stored; owns its labels (ipam_allocs_free()). */
struct ipam_alloc_info {
	struct sluice_addr addr;
	char handle[IPAM_HANDLE_MAX];
	char node[IPAM_NAME_MAX];
	char namespace[IPAM_NAME_MAX];
	char pod[IPAM_NAME_MAX];
	char iface[IPAM_IFACE_MAX];	/* after the handle's last '/' */
	char pool[IPAM_NAME_MAX];	/* "" if in no current pool */
	struct {
		char key[IPAM_LABEL_MAX];
		char value[IPAM_LABEL_MAX];
	} *labels;			/* owned */
	size_t nlabels;
	struct ipam_port ports[IPAM_PORTS_MAX];
	size_t nports;
	/* Re-home reports only: the new address; family 0 if released. */
	struct sluice_addr moved_to;
};

/* A heap array of allocations; the caller frees it with ipam_allocs_free. */
struct ipam_allocs {
	struct ipam_alloc_info *v;
	size_t n;
};
/* Frees the array and resets it to empty; accepts an empty one. */
void ipam_allocs_free(struct ipam_allocs *a);

struct ipam_result {
	struct sluice_addr addr;
	struct sluice_prefix block;	/* the block it came from */
	char pool[IPAM_NAME_MAX];
	bool nat_outgoing;		/* of that pool */
	bool existing;			/* the handle already had it */
	bool claimed;			/* a block was claimed for it */
	/* With -EAGAIN (claims by quorum): the block to claim, its pool. */
	struct sluice_prefix need_block;
	char need_pool[IPAM_NAME_MAX];
};

/*
 * Gives req->handle an address (see the header comment for the order).
 * Idempotent: a handle that already holds an address gets it back with
 * existing set, unless the request names another address (-EEXIST) or a
 * pool not holding it (-EEXIST). Errors: -EINVAL (malformed request, no
 * such pool, address outside every pool, reserved or skipped address),
 * -EACCES (the pool is disabled or its selectors do not match),
 * -EADDRINUSE (requested address held by another handle),
 * -EADDRNOTAVAIL (requested address in a block another node owns),
 * -ENOENT (no enabled pool of the family matches node and namespace),
 * -ENOSPC (no candidate pool has a free address in this node's blocks or
 * a free block; err names the pools tried), -EAGAIN (claims by quorum
 * only: the pool to allocate from needs a new block, res->need_block;
 * claim it with ipam_vote() and ipam_block_commit() and ask again), or a
 * store error. On error nothing is written.
 */
int ipam_allocate(struct ipam *ipam, const struct ipam_request *req,
    struct ipam_result *res, char *err, size_t errlen);

/*
 * Release by handle or by address. Idempotent: releasing what is not
 * allocated returns 0 with *found (may be NULL) false. Blocks stay owned
 * when they empty; ipam_block_release() gives one back.
 */
int ipam_release(struct ipam *ipam, const char *handle, bool *found,
    char *err, size_t errlen);
int ipam_release_addr(struct ipam *ipam, const struct sluice_addr *addr,
    bool *found, char *err, size_t errlen);

/*
 * Garbage collection: the allocations of node (NULL: of every node) whose
 * handle is not among live[0..nlive) go to *stale (the caller frees it),
 * and unless dry_run they are released, all in one transaction.
 */
int ipam_gc(struct ipam *ipam, const char *node, const char *const *live,
    size_t nlive, bool dry_run, struct ipam_allocs *stale, char *err,
    size_t errlen);

/*
 * The allocation of handle, with its metadata (the caller frees the
 * labels with ipam_alloc_info_clear()); -ENOENT if it holds nothing.
 */
int ipam_get(struct ipam *ipam, const char *handle,
    struct ipam_alloc_info *info, char *err, size_t errlen);
void ipam_alloc_info_clear(struct ipam_alloc_info *info);

/*
 * Replaces the labels of every allocation of pod namespace/name on node
 * (the pod's endpoint metadata, which network policy selects), in one
 * transaction; *changed (may be NULL) receives how many allocations were
 * rewritten. -ENOENT with a sentence if the pod holds no address here.
 */
int ipam_set_labels(struct ipam *ipam, const char *node, const char *ns,
    const char *pod, const struct sluice_label *labels, size_t nlabels,
    size_t *changed, char *err, size_t errlen);

/* Looks a handle up; -ENOENT if it holds nothing. */
int ipam_lookup(struct ipam *ipam, const char *handle,
    struct sluice_addr *addr);

/* ---- blocks --------------------------------------------------------- */

/* A block ownership as announced between nodes. */
struct ipam_block_claim {
	struct sluice_prefix prefix;
	const char *owner;		/* borrowed */
	/*
	 * 1 for a claim of a free block; announcements carry it and a
	 * higher one from the same owner replaces a lower one. The slot a
	 * distributed store's revision would fill; the embedded default
	 * decides conflicts by node name only.
	 */
	uint64_t gen;
};

/*
 * Claims a free block of pool (NULL: of the first candidate pool for
 * node_labels, in the allocation order, ignoring namespace selectors) for
 * node, as allocation would. -ENOSPC if none is free, -EACCES if the pool
 * is disabled or its node selector does not match.
 */
int ipam_block_claim(struct ipam *ipam, const char *pool, const char *node,
    const struct sluice_label *node_labels, size_t nnode_labels,
    struct sluice_prefix *out, char *err, size_t errlen);

/*
 * Gives back a block node owns. -ENOENT if no such block, -EPERM if
 * another node owns it, -EBUSY if it still holds allocations.
 */
int ipam_block_release(struct ipam *ipam, const struct sluice_prefix *block,
    const char *node, char *err, size_t errlen);

/*
 * Records that c->owner owns c->prefix (learned from the cluster). A
 * block nobody owns here is recorded as c->owner's. If another node owns
 * it here, the lower node name keeps it; if the loser has allocations in
 * this store they are re-homed (see the header comment) in the same
 * transaction and appended to *moved (may be NULL; the caller frees it).
 * The prefix must be exactly a block of a current pool (-EINVAL).
 */
int ipam_block_observe(struct ipam *ipam, const struct ipam_block_claim *c,
    struct ipam_allocs *moved, char *err, size_t errlen);

/*
 * Replaces what this store knows of owner's blocks with the complete set
 * claims[0..n) (each with owner equal to owner), as a "blocks owned"
 * announcement from another node carries them; owner must not be a node
 * whose allocations this store holds. Blocks recorded for
 * owner but not in the set are forgotten (unless they hold allocations of
 * this store, which stay and are reported by ipam_verify()), the others
 * observed as by ipam_block_observe(). One transaction.
 */
int ipam_blocks_sync(struct ipam *ipam, const char *owner,
    const struct ipam_block_claim *claims, size_t n,
    struct ipam_allocs *moved, char *err, size_t errlen);

/* ---- claims by quorum ------------------------------------------------ */

/*
 * Off by default (a node alone claims inside ipam_allocate()); see the
 * header comment. Not persisted.
 */
void ipam_claims_quorum(struct ipam *ipam, bool on);

/*
 * Acknowledges claimant's claim of block (persisted). 0 if it now stands
 * (also when it stood already, or claimant owns the block), -EEXIST if
 * another node owns the block, -EBUSY if it is acknowledged to another
 * claimant (holder, holderlen bytes, names the node either way), -EINVAL
 * if block is not exactly a block of a current pool with a usable
 * address.
 */
int ipam_vote(struct ipam *ipam, const struct sluice_prefix *block,
    const char *claimant, char *holder, size_t holderlen, char *err,
    size_t errlen);

/*
 * Drops claimant's acknowledgements of blocks not in keep[0..n) (what it
 * owns or is claiming), as its announcement says. One transaction.
 */
int ipam_votes_sync(struct ipam *ipam, const char *claimant,
    const struct sluice_prefix *keep, size_t n, char *err, size_t errlen);

/* Drops the acknowledgements of claimants not in nodes[0..n). */
int ipam_votes_prune(struct ipam *ipam, const char *const *nodes, size_t n,
    char *err, size_t errlen);

/*
 * Records block as node's, once a majority acknowledged it: 0 (also if
 * node owns it already), -EEXIST if another node owns it (holder names
 * it), -EBUSY if it is acknowledged here to another claimant, -EINVAL as
 * ipam_vote(). Drops the acknowledgement.
 */
int ipam_block_commit(struct ipam *ipam, const struct sluice_prefix *block,
    const char *node, char *holder, size_t holderlen, char *err,
    size_t errlen);

/*
 * Blocks allocation must not pick for a claim (refused by a peer, being
 * claimed by another): at most 64, the oldest dropped first. In memory.
 */
void ipam_avoid(struct ipam *ipam, const struct sluice_prefix *block);
void ipam_avoid_clear(struct ipam *ipam);

/* ---- listing -------------------------------------------------------- */

struct ipam_pool_info {
	char name[IPAM_NAME_MAX];
	struct sluice_prefix cidr;
	unsigned int block_size;
	bool nat_outgoing;
	bool disabled;
	uint64_t blocks_total;		/* capped at 2^62 */
	uint64_t blocks_owned;		/* by any node, as known here */
	uint64_t addrs_used;		/* allocations in this store */
};

struct ipam_block_info {
	struct sluice_prefix prefix;
	char owner[IPAM_NAME_MAX];
	char pool[IPAM_NAME_MAX];	/* "" if in no current pool */
	uint64_t gen;
	uint32_t used;			/* allocations in this store */
	uint32_t free;			/* usable addresses left */
};

/* An acknowledgement this node gave (or its own claim in progress). */
struct ipam_vote_info {
	struct sluice_prefix prefix;
	char claimant[IPAM_NAME_MAX];
};

/* A snapshot for rendering; the caller frees it with ipam_list_free(). */
struct ipam_list {
	struct ipam_pool_info *pools;
	size_t npools;
	struct ipam_block_info *blocks;
	size_t nblocks;
	struct ipam_allocs allocs;
	struct ipam_vote_info *votes;
	size_t nvotes;
};

/* Takes a consistent snapshot (one read transaction). */
int ipam_list_get(struct ipam *ipam, struct ipam_list *out, char *err,
    size_t errlen);
/* Frees and zeroes; accepts a zeroed list. */
void ipam_list_free(struct ipam_list *l);

#endif
