/*
 * lpm.h - longest-prefix match from IP prefixes to small integer values,
 * one table per address family.
 *
 * Built by the loop, then only read: a table inside a published data-path
 * snapshot is never changed, so workers read it without locks. A lookup
 * walks at most 32 (IPv4) or 128 (IPv6) nodes of a binary trie, without
 * allocating; once sealed (lpm_seal(), after the last insert), it is a
 * binary search over the sorted ranges the prefixes cut the space into.
 */
#ifndef SLUICE_ROUTER_LPM_H
#define SLUICE_ROUTER_LPM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

struct lpm;

/* Returns NULL on allocation failure. Freed with lpm_destroy(). */
struct lpm *lpm_new(int family);
/* Accepts NULL. */
void lpm_destroy(struct lpm *t);

/* Inserts or replaces. Returns 0, -EAFNOSUPPORT (wrong family), -ENOMEM. */
int lpm_insert(struct lpm *t, const struct sluice_prefix *p, uint32_t value);

/* The value of the longest prefix containing a; false if none does. */
bool lpm_lookup(const struct lpm *t, const struct sluice_addr *a,
    uint32_t *value);

/*
 * Builds the sorted-ranges form lookups use from now on (an insert undoes
 * it). Returns 0 or -ENOMEM (the trie still answers).
 */
int lpm_seal(struct lpm *t);

/* Number of prefixes stored. */
uint32_t lpm_count(const struct lpm *t);

#endif
