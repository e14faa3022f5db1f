/*
 * claim.c - block claims by quorum (the header comment of ipam.h says
 * why they are safe): the acknowledgements this node gives and keeps,
 * and the commit of a block a majority acknowledged. Each public function
 * is one store transaction.
 */
#include "ipam/ipam.h"
#include "ipam/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

void
ipam_claims_quorum(struct ipam *ipam, bool on)
{
	ipam->claims_quorum = on;
}

void
ipam_avoid(struct ipam *ipam, const struct sluice_prefix *block)
{
	if (ipam->navoid == IPAM__AVOID_MAX) {
		memmove(&ipam->avoid[0], &ipam->avoid[1],
		    (IPAM__AVOID_MAX - 1) * sizeof(ipam->avoid[0]));
		ipam->navoid--;
	}
	ipam->avoid[ipam->navoid++] = *block;
}

void
ipam_avoid_clear(struct ipam *ipam)
{
	ipam->navoid = 0;
}

/* block must be exactly a block of a current pool, with a usable address. */
static int
check_block(const struct ipam *ipam, const struct sluice_prefix *block,
    char *err, size_t errlen)
{
	const struct ipam__pool *p;
	char bb[SLUICE_PREFIXSTRLEN];

	if (sluice_addr_len(block->addr.family) == 0)
		return ipam__fail(err, errlen, -EINVAL, "not a block prefix");
	p = ipam__pool_find(ipam, &block->addr);
	if (p == NULL || !ipam__pool_is_block(p, block))
		return ipam__fail(err, errlen, -EINVAL,
		    "%s is not a block of any current pool",
		    ipam__pstr(block, bb));
	if (ipam__pool_block_usable(p, block) == 0)
		return ipam__fail(err, errlen, -EINVAL,
		    "block %s has no usable address (reserved)",
		    ipam__pstr(block, bb));
	return 0;
}

static int
check_name(const char *name, char *err, size_t errlen)
{
	if (name == NULL || name[0] == '\0' || strlen(name) >= IPAM_NAME_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "node name must be 1 to %d bytes", IPAM_NAME_MAX - 1);
	return 0;
}

/*
 * Who else holds block in txn: -EEXIST and its owner, -EBUSY and the
 * claimant acknowledged, or 0 (free, or node's own) with *owned saying
 * whether node owns it already.
 */
static int
holder_of(struct store_txn *txn, const struct sluice_prefix *block,
    const char *node, bool *owned, char *holder, size_t holderlen)
{
	struct ipam__block_rec rec;
	char voted[IPAM_NAME_MAX];
	int rc;

	*owned = false;
	rc = ipam__block_get(txn, block, &rec);
	if (rc == 0) {
		if (strcmp(rec.owner, node) == 0) {
			*owned = true;
			return 0;
		}
		snprintf(holder, holderlen, "%s", rec.owner);
		return -EEXIST;
	}
	if (rc != -ENOENT && rc != -EBADMSG)
		return rc;
	rc = ipam__vote_get(txn, block, voted, sizeof(voted));
	if (rc == 0 && strcmp(voted, node) != 0) {
		snprintf(holder, holderlen, "%s", voted);
		return -EBUSY;
	}
	return rc == 0 || rc == -ENOENT || rc == -EBADMSG ? 0 : rc;
}

static int
finish(struct store_txn *txn, int rc, const struct sluice_prefix *block,
    const char *who, const char *holder, char *err, size_t errlen)
{
	char bb[SLUICE_PREFIXSTRLEN];

	if (rc == 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);
	ipam__pstr(block, bb);
	if (rc == -EEXIST)
		return ipam__fail(err, errlen, rc, "block %s is owned by %s",
		    bb, holder);
	if (rc == -EBUSY)
		return ipam__fail(err, errlen, rc,
		    "block %s is being claimed by %s", bb, holder);
	if (rc != 0)
		return ipam__fail(err, errlen, rc,
		    "block %s for %s: store error: %s", bb, who,
		    strerror(-rc));
	return 0;
}

int
ipam_vote(struct ipam *ipam, const struct sluice_prefix *block,
    const char *claimant, char *holder, size_t holderlen, char *err,
    size_t errlen)
{
	struct store_txn *txn;
	char who[IPAM_NAME_MAX] = "";
	bool owned;
	int rc;

	if ((rc = check_name(claimant, err, errlen)) != 0 ||
	    (rc = check_block(ipam, block, err, errlen)) != 0)
		return rc;
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc,
		    "cannot begin a transaction: %s", strerror(-rc));
	rc = holder_of(txn, block, claimant, &owned, who, sizeof(who));
	if (rc == 0 && !owned)
		rc = ipam__vote_put(txn, block, claimant);
	if (holder != NULL && holderlen > 0)
		snprintf(holder, holderlen, "%s", who);
	return finish(txn, rc, block, claimant, who, err, errlen);
}

int
ipam_block_commit(struct ipam *ipam, const struct sluice_prefix *block,
    const char *node, char *holder, size_t holderlen, char *err,
    size_t errlen)
{
	struct ipam__block_rec rec;
	struct store_txn *txn;
	char who[IPAM_NAME_MAX] = "";
	bool owned;
	int rc;

	if ((rc = check_name(node, err, errlen)) != 0 ||
	    (rc = check_block(ipam, block, err, errlen)) != 0)
		return rc;
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc,
		    "cannot begin a transaction: %s", strerror(-rc));
	rc = holder_of(txn, block, node, &owned, who, sizeof(who));
	if (rc == 0 && !owned) {
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.owner, sizeof(rec.owner), "%s", node);
		rec.gen = 1;
		rc = ipam__block_put(txn, block, &rec);
	}
	if (rc == 0)
		rc = ipam__vote_del(txn, block);
	if (holder != NULL && holderlen > 0)
		snprintf(holder, holderlen, "%s", who);
	return finish(txn, rc, block, node, who, err, errlen);
}

static bool
listed(const struct sluice_prefix *v, size_t n, const struct sluice_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len == p->len && sluice_addr_eq(&v[i].addr, &p->addr))
			return true;
	return false;
}

static bool
named(const char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

/* Deletes the votes for which drop(claimant, block) holds; one transaction. */
static int
votes_drop(struct ipam *ipam,
    bool (*drop)(const void *arg, const char *claimant,
    const struct sluice_prefix *block), const void *arg, char *err,
    size_t errlen)
{
	struct ipam_list l = { 0 };
	struct store_txn *txn;
	int rc;

	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc,
		    "cannot begin a transaction: %s", strerror(-rc));
	rc = ipam__list_votes(txn, &l);
	for (size_t i = 0; i < l.nvotes && rc == 0; i++)
		if (drop(arg, l.votes[i].claimant, &l.votes[i].prefix))
			rc = ipam__vote_del(txn, &l.votes[i].prefix);
	free(l.votes);
	if (rc == 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);
	return rc == 0 ? 0 : ipam__fail(err, errlen, rc,
	    "cannot update the acknowledged claims: %s", strerror(-rc));
}

struct sync_arg {
	const char *claimant;
	const struct sluice_prefix *keep;
	size_t n;
};

static bool
sync_drop(const void *arg, const char *claimant,
    const struct sluice_prefix *block)
{
	const struct sync_arg *a = arg;

	return strcmp(claimant, a->claimant) == 0 &&
	    !listed(a->keep, a->n, block);
}

int
ipam_votes_sync(struct ipam *ipam, const char *claimant,
    const struct sluice_prefix *keep, size_t n, char *err, size_t errlen)
{
	struct sync_arg a = { claimant, keep, n };
	int rc;

	if ((rc = check_name(claimant, err, errlen)) != 0)
		return rc;
	return votes_drop(ipam, sync_drop, &a, err, errlen);
}

struct prune_arg {
	const char *const *nodes;
	size_t n;
};

static bool
prune_drop(const void *arg, const char *claimant,
    const struct sluice_prefix *block)
{
	const struct prune_arg *a = arg;

	(void)block;
	return !named(a->nodes, a->n, claimant);
}

int
ipam_votes_prune(struct ipam *ipam, const char *const *nodes, size_t n,
    char *err, size_t errlen)
{
	struct prune_arg a = { nodes, n };

	return votes_drop(ipam, prune_drop, &a, err, errlen);
}

int
ipam__list_votes(struct store_txn *txn, struct ipam_list *l)
{
	uint8_t key[1] = { 0 };
	struct store_cursor *c;
	const void *k;
	size_t kl, cap = 0;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_VOTES, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, key, 1, &k, &kl, NULL, NULL); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, NULL, NULL)) {
		struct ipam_vote_info *vi;

		if (l->nvotes == cap) {
			size_t ncap = cap ? 2 * cap : 16;

			vi = realloc(l->votes, ncap * sizeof(*vi));
			if (vi == NULL) {
				rc = -ENOMEM;
				break;
			}
			l->votes = vi;
			cap = ncap;
		}
		vi = &l->votes[l->nvotes];
		if (ipam__block_from_key(k, kl, &vi->prefix) != 0)
			continue;
		/* A damaged record reads as claimant "?": pruned, shown. */
		if (ipam__vote_get(txn, &vi->prefix, vi->claimant,
		    sizeof(vi->claimant)) != 0)
			snprintf(vi->claimant, sizeof(vi->claimant), "?");
		l->nvotes++;
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}
