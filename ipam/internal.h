/*
 * internal.h - what the ipam/ files share: the in-memory pool copy,
 * 128-bit address arithmetic, and the store keys and records.
 *
 * Records (msgpack maps with short string keys; unknown keys are ignored
 * so fields can be added without a schema bump):
 *   ipam_blocks     key  [4|6][address bytes][prefix length]
 *                   val  {"o": owner node, "g": generation,
 *                         "u": allocations of this store in the block}
 *   ipam_by_ip      key  [4|6][address bytes]
 *                   val  {"h": handle, "n": node, "ns": namespace,
 *                         "p": pod, "i": interface, "l": {label: value}}
 *   ipam_by_handle  key  handle bytes (no NUL)
 *                   val  {"a": by_ip key as bin}
 *   ipam_votes      key  as ipam_blocks
 *                   val  {"c": the claimant this node acknowledged}
 * Keys start with the family and are big-endian, so LMDB's bytewise
 * order is address order and a pool's or a block's records are one
 * contiguous range.
 */
#ifndef SLUICE_IPAM_INTERNAL_H
#define SLUICE_IPAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "ipam/ipam.h"

struct store_txn;

#define IPAM__ADDR_KEY_MAX 17
#define IPAM__BLOCK_KEY_MAX 18

struct ipam__u128 {
	uint64_t hi;
	uint64_t lo;
};

/* A pool as IPAM keeps it: deep copies of everything the caller gave. */
struct ipam__pool {
	struct ipam_pool p;		/* pointers into the copies below */
	char *name;
	struct sluice_prefix *reserved;
	struct sluice_selector nodesel;	/* owned copy; see selector.c */
	struct sluice_selector nssel;
	unsigned int width;		/* 32 or 128 */
	unsigned int host_bits;		/* of a block: width - block_size */
	uint64_t nblocks;		/* capped at 2^62 */
	struct ipam__u128 base;		/* first address */
	struct ipam__u128 last;		/* last address */
};

#define IPAM__AVOID_MAX 64

struct ipam {
	struct store *st;
	struct ipam__pool *pools;	/* in allocation order */
	size_t npools;
	bool claims_quorum;		/* see ipam_claims_quorum() */
	struct sluice_prefix avoid[IPAM__AVOID_MAX];
	size_t navoid;
};


/* pool.c */
struct ipam__u128 ipam__u128_of(const struct sluice_addr *a);
void ipam__u128_to(struct ipam__u128 u, int family, struct sluice_addr *a);
struct ipam__u128 ipam__u128_add(struct ipam__u128 a, struct ipam__u128 b);
/* v << shift for shift < 128. */
struct ipam__u128 ipam__u128_shl(uint64_t v, unsigned int shift);
int ipam__u128_cmp(struct ipam__u128 a, struct ipam__u128 b);
/* Validates and deep-copies pools into a sorted array (*out, *nout). */
int ipam__pools_build(const struct ipam_pool *pools, size_t n,
    struct ipam__pool **out, char *err, size_t errlen);
void ipam__pools_free(struct ipam__pool *pools, size_t n);
/* Never to be handed out: skipped first/last or reserved. */
bool ipam__pool_skips(const struct ipam__pool *p, struct ipam__u128 a);
/* The block of p containing a (a must lie in p). */
void ipam__pool_block_of(const struct ipam__pool *p, struct ipam__u128 a,
    struct sluice_prefix *block);
/* Block number i of p (i < nblocks). */
void ipam__pool_block(const struct ipam__pool *p, uint64_t i,
    struct sluice_prefix *block);
uint64_t ipam__pool_block_index(const struct ipam__pool *p,
    struct ipam__u128 a);
/* Addresses of block that may be handed out. */
uint32_t ipam__pool_block_usable(const struct ipam__pool *p,
    const struct sluice_prefix *block);
/* The pool containing a, or NULL. */
const struct ipam__pool *ipam__pool_find(const struct ipam *ipam,
    const struct sluice_addr *a);
const struct ipam__pool *ipam__pool_by_name(const struct ipam *ipam,
    const char *name);
/* True if block is exactly one of p's blocks. */
bool ipam__pool_is_block(const struct ipam__pool *p,
    const struct sluice_prefix *block);

/* record.c */
__attribute__((__format__(printf, 4, 5))) int ipam__fail(char *err,
    size_t errlen, int rc, const char *fmt, ...);
const char *ipam__pstr(const struct sluice_prefix *p, char *buf);
const char *ipam__astr(const struct sluice_addr *a, char *buf);
uint64_t ipam__fnv1a(const char *s);

struct ipam__block_rec {
	char owner[IPAM_NAME_MAX];
	uint64_t gen;
	uint64_t used;
};

size_t ipam__addr_key(const struct sluice_addr *a, uint8_t *key);
int ipam__addr_from_key(const void *key, size_t klen, struct sluice_addr *a);
size_t ipam__block_key(const struct sluice_prefix *p, uint8_t *key);
int ipam__block_from_key(const void *key, size_t klen,
    struct sluice_prefix *p);
int ipam__block_get(struct store_txn *txn, const struct sluice_prefix *b,
    struct ipam__block_rec *rec);
int ipam__block_put(struct store_txn *txn, const struct sluice_prefix *b,
    const struct ipam__block_rec *rec);
int ipam__block_decode(const void *v, size_t vlen,
    struct ipam__block_rec *rec);
/* Decodes a by_ip value into info (labels allocated; addr not set). */
int ipam__alloc_decode(const void *v, size_t vlen,
    struct ipam_alloc_info *info);
/* Writes by_ip and by_handle for info (addr and handle set). */
int ipam__alloc_put(struct store_txn *txn, const struct ipam_alloc_info *info);
int ipam__handle_decode(const void *v, size_t vlen, struct sluice_addr *a);
void ipam__alloc_info_clear(struct ipam_alloc_info *info);
/* The claimant a block's vote is for (-ENOENT: none). */
int ipam__vote_get(struct store_txn *txn, const struct sluice_prefix *b,
    char *claimant, size_t size);
int ipam__vote_put(struct store_txn *txn, const struct sluice_prefix *b,
    const char *claimant);
/* Deletes a vote; 0 also if there was none. */
int ipam__vote_del(struct store_txn *txn, const struct sluice_prefix *b);
/* claim.c: appends the votes to l->votes (one read of the table). */
int ipam__list_votes(struct store_txn *txn, struct ipam_list *l);
/* Appends a copy of info (labels duplicated) to list. */
int ipam__allocs_push(struct ipam_allocs *list,
    const struct ipam_alloc_info *info);

#endif
