/*
 * ipam.c - allocations, blocks, GC, verification and listing over the
 * store. Each public function that writes runs in exactly one write
 * transaction: it begins one, does all its work through the static
 * helpers below (which take the transaction and never commit), and
 * commits once at the end or aborts on any error.
 */
#include "ipam/ipam.h"
#include "ipam/internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "store/store.h"

static bool
prefix_eq(const struct sluice_prefix *a, const struct sluice_prefix *b)
{
	return a->len == b->len && sluice_addr_eq(&a->addr, &b->addr);
}

/* Offset of a in block (of host_bits), or -1 if a is not in it. */
static long
offset_in(const struct sluice_prefix *block, unsigned int host_bits,
    const struct sluice_addr *a)
{
	struct ipam__u128 base, x;

	if (a->family != block->addr.family ||
	    !sluice_prefix_contains(block, a))
		return -1;
	base = ipam__u128_of(&block->addr);
	x = ipam__u128_of(a);
	(void)host_bits;
	return (long)(x.lo - base.lo);
}

/* ---- open, close, pools ---------------------------------------------- */

int
ipam_open(struct ipam **out, struct store *st, ipam_problem_cb *on_problem,
    void *arg, char *err, size_t errlen)
{
	struct ipam *ipam;
	int rc;

	*out = NULL;
	ipam = calloc(1, sizeof(*ipam));
	if (ipam == NULL)
		return ipam__fail(err, errlen, -ENOMEM, "out of memory");
	ipam->st = st;
	rc = ipam_verify(ipam, on_problem, arg);
	if (rc < 0) {
		ipam__fail(err, errlen, rc, "cannot read the IPAM records: %s",
		    strerror(-rc));
		free(ipam);
		return rc;
	}
	*out = ipam;
	return 0;
}

void
ipam_close(struct ipam *ipam)
{
	if (ipam == NULL)
		return;
	ipam__pools_free(ipam->pools, ipam->npools);
	free(ipam);
}

/* Every stored block overlapping a new pool must be one of its blocks. */
static int
check_blocks(struct ipam *ipam, const struct ipam__pool *v, size_t n,
    char *err, size_t errlen)
{
	struct store_cursor *c = NULL;
	struct store_txn *txn;
	const void *k, *val;
	size_t kl, vl;
	int rc;

	if ((rc = store_txn_begin(ipam->st, false, &txn)) != 0)
		return ipam__fail(err, errlen, rc, "cannot read the store: %s",
		    strerror(-rc));
	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BLOCKS, &c)) != 0)
		goto out;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &val, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &val, &vl)) {
		struct ipam__block_rec rec;
		struct sluice_prefix b;
		char bb[SLUICE_PREFIXSTRLEN];

		if (ipam__block_from_key(k, kl, &b) != 0)
			continue;	/* ipam_verify() reports it */
		for (size_t i = 0; i < n; i++) {
			if (!sluice_prefix_overlaps(&b, &v[i].p.cidr) ||
			    ipam__pool_is_block(&v[i], &b))
				continue;
			if (ipam__block_decode(val, vl, &rec) != 0)
				strcpy(rec.owner, "?");
			rc = ipam__fail(err, errlen, -EINVAL,
			    "pool %s: stored block %s (owned by %s) is not one of its /%u blocks; the cidr or blockSize of a pool in use cannot change",
			    v[i].name, ipam__pstr(&b, bb), rec.owner,
			    v[i].p.block_size);
			goto out;
		}
	}
	if (rc == -ENOENT)
		rc = 0;
	else
		ipam__fail(err, errlen, rc, "cannot read the blocks: %s",
		    strerror(-rc));
out:
	store_cursor_close(c);
	store_txn_abort(txn);
	return rc;
}

int
ipam_pools_set(struct ipam *ipam, const struct ipam_pool *pools, size_t n,
    char *err, size_t errlen)
{
	struct ipam__pool *v;
	int rc;

	if ((rc = ipam__pools_build(pools, n, &v, err, errlen)) != 0)
		return rc;
	if ((rc = check_blocks(ipam, v, n, err, errlen)) != 0) {
		ipam__pools_free(v, n);
		return rc;
	}
	ipam__pools_free(ipam->pools, ipam->npools);
	ipam->pools = v;
	ipam->npools = n;
	return 0;
}

/* ---- blocks inside a transaction --------------------------------------- */

/*
 * The block record holding a: through its pool when a lies in one, else
 * (pool removed) by trying every prefix length. Returns 0 or -ENOENT.
 */
static int
find_block(struct ipam *ipam, struct store_txn *txn,
    const struct sluice_addr *a, struct sluice_prefix *block,
    struct ipam__block_rec *rec)
{
	const struct ipam__pool *p = ipam__pool_find(ipam, a);
	unsigned int width = a->family == AF_INET ? 32 : 128;
	int rc;

	if (p != NULL) {
		ipam__pool_block_of(p, ipam__u128_of(a), block);
		rc = ipam__block_get(txn, block, rec);
		if (rc != -ENOENT)
			return rc;
	}
	for (int len = (int)width; len >= 0; len--) {
		struct ipam__u128 u = ipam__u128_of(a);
		struct ipam__u128 keep = ipam__u128_shl(1, width - (unsigned)len);

		/* Clear the low width - len bits: u - (u mod 2^(w-len)). */
		if (len == 0) {
			u.hi = u.lo = 0;
		} else if (width - (unsigned)len >= 64) {
			u.lo = 0;
			u.hi &= ~(keep.hi - 1);
		} else {
			u.lo &= ~(keep.lo - 1);
		}
		ipam__u128_to(u, a->family, &block->addr);
		block->len = (uint8_t)len;
		rc = ipam__block_get(txn, block, rec);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

/* Adds delta to the used count of the block holding a, if there is one. */
static int
count_used(struct ipam *ipam, struct store_txn *txn,
    const struct sluice_addr *a, int delta)
{
	struct ipam__block_rec rec;
	struct sluice_prefix b;
	int rc = find_block(ipam, txn, a, &b, &rec);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (delta < 0 && rec.used == 0)
		return 0;
	rec.used += (uint64_t)(int64_t)delta;
	return ipam__block_put(txn, &b, &rec);
}

/*
 * The lowest address of block that is neither allocated nor skipped.
 * Returns 0, -ENOSPC if there is none, or a store error.
 */
static int
block_scan(struct store_txn *txn, const struct ipam__pool *p,
    const struct sluice_prefix *block, struct sluice_addr *out)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	struct ipam__u128 base = ipam__u128_of(&block->addr);
	struct store_cursor *c;
	uint32_t size = 1u << p->host_bits;
	long next = (long)size;
	const void *k;
	size_t kl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_IP, &c)) != 0)
		return rc;
	rc = store_cursor_seek(c, key, ipam__addr_key(&block->addr, key), &k,
	    &kl, NULL, NULL);
	for (uint32_t off = 0;; off++) {
		struct sluice_addr a;
		struct ipam__u128 u;

		/* Advance the cursor to the first allocation at or past off. */
		while (rc == 0) {
			if (ipam__addr_from_key(k, kl, &a) != 0 ||
			    (next = offset_in(block, p->host_bits, &a)) < 0) {
				next = (long)size;
				rc = -ENOENT;
				break;
			}
			if (next >= (long)off)
				break;
			rc = store_cursor_next(c, &k, &kl, NULL, NULL);
		}
		if (rc == -ENOENT)
			next = (long)size;
		else if (rc != 0)
			break;
		if (off >= size) {
			rc = -ENOSPC;
			break;
		}
		if ((long)off == next)
			continue;
		u = ipam__u128_add(base, ipam__u128_shl(off, 0));
		if (ipam__pool_skips(p, u))
			continue;
		ipam__u128_to(u, block->addr.family, out);
		rc = 0;
		break;
	}
	store_cursor_close(c);
	return rc;
}

/*
 * A block of p that node owns with a free address, lowest first, and
 * that address. Returns 0, -ENOSPC or a store error.
 */
static int
owned_scan(struct store_txn *txn, const struct ipam__pool *p,
    const char *node, struct sluice_prefix *block, struct sluice_addr *out)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	struct sluice_prefix from = p->p.cidr;
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BLOCKS, &c)) != 0)
		return rc;
	from.len = 0;
	for (rc = store_cursor_seek(c, key, ipam__block_key(&from, key), &k,
	    &kl, &v, &vl); rc == 0; rc = store_cursor_next(c, &k, &kl, &v,
	    &vl)) {
		struct ipam__block_rec rec;

		if (ipam__block_from_key(k, kl, block) != 0)
			continue;
		if (block->addr.family != p->p.cidr.addr.family ||
		    !sluice_prefix_contains(&p->p.cidr, &block->addr)) {
			rc = -ENOENT;
			break;
		}
		if (block->len != p->p.block_size ||
		    ipam__block_decode(v, vl, &rec) != 0 ||
		    strcmp(rec.owner, node) != 0 ||
		    rec.used >= (1u << p->host_bits))
			continue;
		rc = block_scan(txn, p, block, out);
		if (rc != -ENOSPC)
			break;
	}
	store_cursor_close(c);
	return rc == -ENOENT ? -ENOSPC : rc;
}

/*
 * If a reservation of p covers all of block i, the index of the last
 * block it covers; else i - 1 (no jump).
 */
static uint64_t
reserved_through(const struct ipam__pool *p, uint64_t i,
    const struct sluice_prefix *b)
{
	for (size_t r = 0; r < p->p.nreserved; r++) {
		const struct sluice_prefix *res = &p->reserved[r];
		struct ipam__u128 last;

		if (res->len > b->len || !sluice_prefix_contains(res, &b->addr))
			continue;
		last = ipam__u128_add(ipam__u128_of(&res->addr),
		    ipam__u128_shl(1, p->width - res->len));
		last.hi -= last.lo == 0;
		last.lo -= 1;
		return ipam__pool_block_index(p, last);
	}
	return i - 1;
}

static bool
avoided(const struct ipam *ipam, const struct sluice_prefix *b)
{
	for (size_t i = 0; i < ipam->navoid; i++)
		if (prefix_eq(&ipam->avoid[i], b))
			return true;
	return false;
}

/*
 * The first free block of p for node at or after the node's hashed start
 * index, wrapping around (see ipam.h): not owned, not acknowledged to
 * another claimant, not avoided, with a usable address. With write it is
 * recorded as node's. Returns 0, -ENOSPC or a store error.
 */
static int
claim_free(struct ipam *ipam, struct store_txn *txn,
    const struct ipam__pool *p, const char *node, bool write,
    struct sluice_prefix *out)
{
	uint64_t start = ipam__fnv1a(node) % p->nblocks;

	for (int pass = 0; pass < 2; pass++) {
		uint64_t i = pass == 0 ? start : 0;
		uint64_t end = pass == 0 ? p->nblocks : start;

		while (i < end) {
			struct ipam__block_rec rec;
			char voted[IPAM_NAME_MAX];
			uint64_t through;
			int rc;

			ipam__pool_block(p, i, out);
			through = reserved_through(p, i, out);
			if (through + 1 > i) {
				i = through + 1;
				continue;
			}
			rc = ipam__block_get(txn, out, &rec);
			if (rc == 0 || (rc != -ENOENT && rc != -EBADMSG)) {
				if (rc != 0)
					return rc;
				i++;
				continue;
			}
			if (rc == -EBADMSG ||
			    ipam__pool_block_usable(p, out) == 0 ||
			    avoided(ipam, out)) {
				i++;
				continue;
			}
			rc = ipam__vote_get(txn, out, voted, sizeof(voted));
			if (rc == 0 && strcmp(voted, node) != 0) {
				i++;
				continue;
			}
			if (rc != 0 && rc != -ENOENT && rc != -EBADMSG)
				return rc;
			if (!write)
				return 0;
			memset(&rec, 0, sizeof(rec));
			snprintf(rec.owner, sizeof(rec.owner), "%s", node);
			rec.gen = 1;
			return ipam__block_put(txn, out, &rec);
		}
	}
	return -ENOSPC;
}

/* Writes an allocation and counts it in its block. */
static int
put_alloc(struct ipam *ipam, struct store_txn *txn,
    const struct ipam_alloc_info *info)
{
	int rc = ipam__alloc_put(txn, info);

	return rc != 0 ? rc : count_used(ipam, txn, &info->addr, 1);
}

/* Deletes both records of an allocation; uncounts it if count. */
static int
drop_alloc(struct ipam *ipam, struct store_txn *txn,
    const struct sluice_addr *a, const char *handle, bool count)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	int rc;

	rc = store_del(txn, STORE_DB_IPAM_BY_IP, key, ipam__addr_key(a, key));
	if (rc != 0 && rc != -ENOENT)
		return rc;
	rc = store_del(txn, STORE_DB_IPAM_BY_HANDLE, handle, strlen(handle));
	if (rc != 0 && rc != -ENOENT)
		return rc;
	return count ? count_used(ipam, txn, a, -1) : 0;
}

/*
 * Gives info (addr unset) an address of p for info->node: an owned block
 * first, else a newly claimed one. With claims by quorum, a needed block
 * is not claimed here: -EAGAIN and *block is the block to claim. Returns
 * 0, -ENOSPC, -EAGAIN or a store error.
 */
static int
alloc_in_pool(struct ipam *ipam, struct store_txn *txn,
    const struct ipam__pool *p, struct ipam_alloc_info *info,
    struct sluice_prefix *block, bool *claimed)
{
	int rc;

	*claimed = false;
	rc = owned_scan(txn, p, info->node, block, &info->addr);
	if (rc == -ENOSPC) {
		if ((rc = claim_free(ipam, txn, p, info->node,
		    !ipam->claims_quorum, block)) != 0)
			return rc;
		if (ipam->claims_quorum)
			return -EAGAIN;
		*claimed = true;
		if ((rc = block_scan(txn, p, block, &info->addr)) != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	return put_alloc(ipam, txn, info);
}

/* ---- allocate --------------------------------------------------------- */

static int
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		return -EINVAL;
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
	return 0;
}

/* An IANA service name as Kubernetes checks a container port's name. */
static bool
port_name_ok(const char *n)
{
	size_t len = strlen(n);
	bool letter = false;

	if (len == 0 || len > 15 || n[0] == '-' || n[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (n[i] >= 'a' && n[i] <= 'z')
			letter = true;
		else if (!(n[i] >= '0' && n[i] <= '9') &&
		    !(n[i] == '-' && n[i + 1] != '-'))
			return false;
	}
	return letter;
}

static int
info_from_req(const struct ipam_request *req, struct ipam_alloc_info *info,
    char *err, size_t errlen)
{
	memset(info, 0, sizeof(*info));
	if (req->handle == NULL || req->handle[0] == '\0' ||
	    copy_str(info->handle, sizeof(info->handle), req->handle) != 0)
		return ipam__fail(err, errlen, -EINVAL,
		    "handle must be 1 to %d bytes", IPAM_HANDLE_MAX - 1);
	if (req->node == NULL || req->node[0] == '\0' ||
	    copy_str(info->node, sizeof(info->node), req->node) != 0)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: node name must be 1 to %d bytes", info->handle,
		    IPAM_NAME_MAX - 1);
	if (copy_str(info->namespace, sizeof(info->namespace),
	    req->namespace) != 0 ||
	    copy_str(info->pod, sizeof(info->pod), req->pod) != 0)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: namespace and pod names must be under %d bytes",
		    info->handle, IPAM_NAME_MAX);
	if (req->family != 0 && req->family != AF_INET &&
	    req->family != AF_INET6)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: unknown address family %d", info->handle,
		    req->family);
	if (req->nlabels > IPAM_LABELS_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: %zu labels, at most %d are stored", info->handle,
		    req->nlabels, IPAM_LABELS_MAX);
	{
		const char *slash = strrchr(info->handle, '/');

		if (slash != NULL)
			copy_str(info->iface, sizeof(info->iface), slash + 1);
	}
	if (req->nports > IPAM_PORTS_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: %zu named ports, at most %d are stored", info->handle,
		    req->nports, IPAM_PORTS_MAX);
	for (size_t i = 0; i < req->nports; i++) {
		const struct ipam_port *pt = &req->ports[i];

		if (!port_name_ok(pt->name) || pt->port == 0 ||
		    (pt->protocol != IPPROTO_TCP && pt->protocol != IPPROTO_UDP &&
		    pt->protocol != IPPROTO_SCTP))
			return ipam__fail(err, errlen, -EINVAL,
			    "%s: named port %zu: want a name of 1 to 15 "
			    "lowercase letters, digits and '-', a port 1-65535 "
			    "and TCP, UDP or SCTP", info->handle, i);
		info->ports[i] = *pt;
	}
	info->nports = req->nports;
	if (req->nlabels > 0) {
		info->labels = calloc(req->nlabels, sizeof(*info->labels));
		if (info->labels == NULL)
			return ipam__fail(err, errlen, -ENOMEM, "out of memory");
		info->nlabels = req->nlabels;
		for (size_t i = 0; i < req->nlabels; i++) {
			const struct sluice_label *l = &req->labels[i];

			if (l->key == NULL || l->key[0] == '\0' ||
			    copy_str(info->labels[i].key,
			    sizeof(info->labels[i].key), l->key) != 0 ||
			    copy_str(info->labels[i].value,
			    sizeof(info->labels[i].value), l->value) != 0) {
				ipam__alloc_info_clear(info);
				return ipam__fail(err, errlen, -EINVAL,
				    "%s: label %zu is empty or longer than %d bytes",
				    req->handle, i, IPAM_LABEL_MAX - 1);
			}
		}
	}
	return 0;
}

/* Why pool p may not serve req, or 0. */
static int
pool_refuses(const struct ipam__pool *p, const struct ipam_request *req,
    char *err, size_t errlen)
{
	if (req->family != 0 && req->family != p->p.cidr.addr.family)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: pool %s is not of the requested address family",
		    req->handle, p->name);
	if (p->p.disabled)
		return ipam__fail(err, errlen, -EACCES,
		    "%s: pool %s is disabled (no new allocations)",
		    req->handle, p->name);
	if (!sluice_selector_matches(&p->nodesel, req->node_labels,
	    req->nnode_labels))
		return ipam__fail(err, errlen, -EACCES,
		    "%s: pool %s's nodeSelector does not match node %s",
		    req->handle, p->name, req->node);
	if (!sluice_selector_matches(&p->nssel, req->namespace_labels,
	    req->nnamespace_labels))
		return ipam__fail(err, errlen, -EACCES,
		    "%s: pool %s's namespaceSelector does not match namespace %s",
		    req->handle, p->name,
		    req->namespace != NULL ? req->namespace : "(none)");
	return 0;
}

static void
fill_result(const struct ipam__pool *p, const struct sluice_addr *a,
    struct ipam_result *res)
{
	res->addr = *a;
	if (p != NULL) {
		ipam__pool_block_of(p, ipam__u128_of(a), &res->block);
		snprintf(res->pool, sizeof(res->pool), "%s", p->name);
		res->nat_outgoing = p->p.nat_outgoing;
	}
}

/* The handle already holds an address: check the request agrees. */
static int
existing(struct ipam *ipam, struct store_txn *txn,
    const struct ipam_request *req, const void *v, size_t vlen,
    struct ipam_result *res, char *err, size_t errlen)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	struct ipam_alloc_info info;
	const struct ipam__pool *p;
	struct sluice_addr a;
	char ab[SLUICE_ADDRSTRLEN];
	const void *iv;
	size_t ivl;
	int rc;

	if ((rc = ipam__handle_decode(v, vlen, &a)) != 0 ||
	    (rc = store_get(txn, STORE_DB_IPAM_BY_IP, key,
	    ipam__addr_key(&a, key), &iv, &ivl)) != 0 ||
	    (rc = ipam__alloc_decode(iv, ivl, &info)) != 0)
		return ipam__fail(err, errlen, rc == -ENOENT ? -EBADMSG : rc,
		    "%s: the stored allocation is damaged (%s); release the handle and allocate again",
		    req->handle, strerror(-rc));
	ipam__alloc_info_clear(&info);
	if (strcmp(info.node, req->node) != 0)
		return ipam__fail(err, errlen, -EEXIST,
		    "%s already holds %s on node %s", req->handle,
		    ipam__astr(&a, ab), info.node);
	if (req->addr != NULL && !sluice_addr_eq(req->addr, &a))
		return ipam__fail(err, errlen, -EEXIST,
		    "%s already holds %s; release it before asking for another address",
		    req->handle, ipam__astr(&a, ab));
	p = ipam__pool_find(ipam, &a);
	if (req->pool != NULL && (p == NULL || strcmp(p->name, req->pool)))
		return ipam__fail(err, errlen, -EEXIST,
		    "%s already holds %s, which is not in pool %s",
		    req->handle, ipam__astr(&a, ab), req->pool);
	fill_result(p, &a, res);
	res->existing = true;
	return 0;
}

/* The request names an address. */
static int
alloc_at(struct ipam *ipam, struct store_txn *txn,
    const struct ipam_request *req, struct ipam_alloc_info *info,
    struct ipam_result *res, char *err, size_t errlen)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	const struct ipam__pool *p = ipam__pool_find(ipam, req->addr);
	struct ipam__block_rec rec;
	struct sluice_prefix b;
	char ab[SLUICE_ADDRSTRLEN], bb[SLUICE_PREFIXSTRLEN];
	const void *v;
	size_t vl;
	int rc;

	ipam__astr(req->addr, ab);
	if (p == NULL)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: requested address %s is in no pool", req->handle, ab);
	if (req->pool != NULL && strcmp(req->pool, p->name) != 0)
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: requested address %s is in pool %s, not %s",
		    req->handle, ab, p->name, req->pool);
	if ((rc = pool_refuses(p, req, err, errlen)) != 0)
		return rc;
	if (ipam__pool_skips(p, ipam__u128_of(req->addr)))
		return ipam__fail(err, errlen, -EINVAL,
		    "%s: requested address %s is reserved or skipped in pool %s and is never handed out",
		    req->handle, ab, p->name);
	rc = store_get(txn, STORE_DB_IPAM_BY_IP, key,
	    ipam__addr_key(req->addr, key), &v, &vl);
	if (rc == 0)
		return ipam__fail(err, errlen, -EADDRINUSE,
		    "%s: requested address %s is already allocated",
		    req->handle, ab);
	if (rc != -ENOENT)
		return ipam__fail(err, errlen, rc, "cannot read the store: %s",
		    strerror(-rc));
	ipam__pool_block_of(p, ipam__u128_of(req->addr), &b);
	rc = ipam__block_get(txn, &b, &rec);
	if (rc == 0 && strcmp(rec.owner, req->node) != 0)
		return ipam__fail(err, errlen, -EADDRNOTAVAIL,
		    "%s: requested address %s is in block %s, owned by node %s",
		    req->handle, ab, ipam__pstr(&b, bb), rec.owner);
	if (rc == -ENOENT && ipam->claims_quorum) {
		res->need_block = b;
		snprintf(res->need_pool, sizeof(res->need_pool), "%s", p->name);
		return ipam__fail(err, errlen, -EAGAIN,
		    "%s: block %s must be claimed first", req->handle,
		    ipam__pstr(&b, bb));
	}
	if (rc == -ENOENT) {
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.owner, sizeof(rec.owner), "%s", req->node);
		rec.gen = 1;
		if ((rc = ipam__block_put(txn, &b, &rec)) != 0)
			return ipam__fail(err, errlen, rc, "cannot claim %s: %s",
			    ipam__pstr(&b, bb), strerror(-rc));
		res->claimed = true;
	} else if (rc != 0) {
		return ipam__fail(err, errlen, rc, "block %s is unreadable: %s",
		    ipam__pstr(&b, bb), strerror(-rc));
	}
	info->addr = *req->addr;
	if ((rc = put_alloc(ipam, txn, info)) != 0)
		return ipam__fail(err, errlen, rc, "cannot store %s: %s", ab,
		    strerror(-rc));
	fill_result(p, req->addr, res);
	return 0;
}

/* Tries the candidate pools in order. */
static int
alloc_any(struct ipam *ipam, struct store_txn *txn,
    const struct ipam_request *req, struct ipam_alloc_info *info,
    struct ipam_result *res, char *err, size_t errlen)
{
	char tried[512] = "", bb[SLUICE_PREFIXSTRLEN];
	size_t ntried = 0;
	int rc;

	if (req->pool != NULL && ipam__pool_by_name(ipam, req->pool) == NULL)
		return ipam__fail(err, errlen, -EINVAL, "%s: no pool named %s",
		    req->handle, req->pool);
	for (size_t i = 0; i < ipam->npools; i++) {
		const struct ipam__pool *p = &ipam->pools[i];
		struct sluice_prefix b;
		size_t len;

		if (req->pool != NULL && strcmp(req->pool, p->name) != 0)
			continue;
		if ((rc = pool_refuses(p, req, err, errlen)) != 0) {
			if (req->pool != NULL)
				return rc;
			continue;
		}
		len = strlen(tried);
		snprintf(tried + len, sizeof(tried) - len, "%s%s",
		    ntried++ > 0 ? ", " : "", p->name);
		rc = alloc_in_pool(ipam, txn, p, info, &b, &res->claimed);
		if (rc == 0) {
			fill_result(p, &info->addr, res);
			return 0;
		}
		if (rc == -EAGAIN) {
			res->need_block = b;
			snprintf(res->need_pool, sizeof(res->need_pool), "%s",
			    p->name);
			return ipam__fail(err, errlen, -EAGAIN,
			    "%s: pool %s needs a new block (%s) for node %s",
			    req->handle, p->name, ipam__pstr(&b, bb),
			    req->node);
		}
		if (rc != -ENOSPC)
			return ipam__fail(err, errlen, rc,
			    "%s: cannot allocate from pool %s: %s",
			    req->handle, p->name, strerror(-rc));
	}
	if (ntried == 0)
		return ipam__fail(err, errlen, -ENOENT,
		    "%s: no enabled %spool matches node %s and namespace %s",
		    req->handle, req->family == AF_INET ? "IPv4 " :
		    req->family == AF_INET6 ? "IPv6 " : "", req->node,
		    req->namespace != NULL ? req->namespace : "(none)");
	return ipam__fail(err, errlen, -ENOSPC,
	    "%s: no free address for node %s: pool%s %s %s full (no free address in the node's blocks and no free block)",
	    req->handle, req->node, ntried > 1 ? "s" : "", tried,
	    ntried > 1 ? "are" : "is");
}

int
ipam_allocate(struct ipam *ipam, const struct ipam_request *req,
    struct ipam_result *res, char *err, size_t errlen)
{
	struct ipam_alloc_info info;
	struct store_txn *txn;
	const void *v;
	size_t vl;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = info_from_req(req, &info, err, errlen)) != 0)
		return rc;
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0) {
		ipam__fail(err, errlen, rc, "cannot begin a transaction: %s",
		    strerror(-rc));
		goto err_info;
	}
	rc = store_get(txn, STORE_DB_IPAM_BY_HANDLE, req->handle,
	    strlen(req->handle), &v, &vl);
	if (rc == 0) {
		rc = existing(ipam, txn, req, v, vl, res, err, errlen);
		goto err_txn;	/* nothing to write either way */
	}
	if (rc != -ENOENT) {
		ipam__fail(err, errlen, rc, "cannot read the store: %s",
		    strerror(-rc));
		goto err_txn;
	}
	if (req->addr != NULL)
		rc = alloc_at(ipam, txn, req, &info, res, err, errlen);
	else
		rc = alloc_any(ipam, txn, req, &info, res, err, errlen);
	if (rc != 0)
		goto err_txn;
	if ((rc = store_txn_commit(txn)) != 0) {
		memset(res, 0, sizeof(*res));
		ipam__fail(err, errlen, rc, "%s: cannot commit: %s", req->handle,
		    strerror(-rc));
	}
	goto err_info;

err_txn:
	store_txn_abort(txn);
err_info:
	ipam__alloc_info_clear(&info);
	return rc;
}

/* ---- release, lookup, gc ---------------------------------------------- */

/* Releases handle inside txn; *found says whether it held anything. */
static int
release_handle(struct ipam *ipam, struct store_txn *txn, const char *handle,
    bool *found)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	struct ipam_alloc_info info;
	struct sluice_addr a;
	const void *v;
	size_t vl;
	int rc;

	*found = false;
	rc = store_get(txn, STORE_DB_IPAM_BY_HANDLE, handle, strlen(handle),
	    &v, &vl);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	*found = true;
	if (ipam__handle_decode(v, vl, &a) != 0)	/* damaged: drop it */
		return store_del(txn, STORE_DB_IPAM_BY_HANDLE, handle,
		    strlen(handle));
	rc = store_get(txn, STORE_DB_IPAM_BY_IP, key, ipam__addr_key(&a, key),
	    &v, &vl);
	if (rc == 0 && ipam__alloc_decode(v, vl, &info) == 0) {
		ipam__alloc_info_clear(&info);
		/* The address belongs to someone else: keep it. */
		if (strcmp(info.handle, handle) != 0)
			return store_del(txn, STORE_DB_IPAM_BY_HANDLE, handle,
			    strlen(handle));
	} else if (rc != 0 && rc != -ENOENT) {
		return rc;
	}
	return drop_alloc(ipam, txn, &a, handle, rc == 0);
}

/* Begins, runs fn, commits: the shape of every small write. */
static int
commit_or_abort(struct store_txn *txn, int rc)
{
	if (rc != 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

int
ipam_release(struct ipam *ipam, const char *handle, bool *found, char *err,
    size_t errlen)
{
	struct store_txn *txn;
	bool f = false;
	int rc;

	if (handle == NULL || handle[0] == '\0' ||
	    strlen(handle) >= IPAM_HANDLE_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "handle must be 1 to %d bytes", IPAM_HANDLE_MAX - 1);
	if ((rc = store_txn_begin(ipam->st, true, &txn)) == 0)
		rc = commit_or_abort(txn, release_handle(ipam, txn, handle,
		    &f));
	if (rc != 0)
		return ipam__fail(err, errlen, rc, "%s: cannot release: %s", handle,
		    strerror(-rc));
	if (found != NULL)
		*found = f;
	return 0;
}

static int
release_addr(struct ipam *ipam, struct store_txn *txn,
    const struct sluice_addr *a, bool *found)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	struct ipam_alloc_info info;
	struct sluice_addr ha;
	const void *v;
	size_t vl;
	int rc;

	*found = false;
	rc = store_get(txn, STORE_DB_IPAM_BY_IP, key, ipam__addr_key(a, key),
	    &v, &vl);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	*found = true;
	if (ipam__alloc_decode(v, vl, &info) != 0) {
		rc = store_del(txn, STORE_DB_IPAM_BY_IP, key, 1 +
		    sluice_addr_len(a->family));
		return rc != 0 ? rc : count_used(ipam, txn, a, -1);
	}
	ipam__alloc_info_clear(&info);
	rc = store_get(txn, STORE_DB_IPAM_BY_HANDLE, info.handle,
	    strlen(info.handle), &v, &vl);
	if (rc == 0 && (ipam__handle_decode(v, vl, &ha) != 0 ||
	    !sluice_addr_eq(&ha, a))) {
		/* The handle points elsewhere: drop only this address. */
		rc = store_del(txn, STORE_DB_IPAM_BY_IP, key, 1 +
		    sluice_addr_len(a->family));
		return rc != 0 ? rc : count_used(ipam, txn, a, -1);
	}
	return drop_alloc(ipam, txn, a, info.handle, true);
}

int
ipam_release_addr(struct ipam *ipam, const struct sluice_addr *addr,
    bool *found, char *err, size_t errlen)
{
	char ab[SLUICE_ADDRSTRLEN];
	struct store_txn *txn;
	bool f = false;
	int rc;

	if (sluice_addr_len(addr->family) == 0)
		return ipam__fail(err, errlen, -EINVAL, "not an IP address");
	if ((rc = store_txn_begin(ipam->st, true, &txn)) == 0)
		rc = commit_or_abort(txn, release_addr(ipam, txn, addr, &f));
	if (rc != 0)
		return ipam__fail(err, errlen, rc, "%s: cannot release: %s",
		    ipam__astr(addr, ab), strerror(-rc));
	if (found != NULL)
		*found = f;
	return 0;
}

int
ipam_lookup(struct ipam *ipam, const char *handle, struct sluice_addr *addr)
{
	struct store_txn *txn;
	const void *v;
	size_t vl;
	int rc;

	if ((rc = store_txn_begin(ipam->st, false, &txn)) != 0)
		return rc;
	rc = store_get(txn, STORE_DB_IPAM_BY_HANDLE, handle, strlen(handle),
	    &v, &vl);
	if (rc == 0)
		rc = ipam__handle_decode(v, vl, addr);
	store_txn_abort(txn);
	return rc;
}

int
ipam_get(struct ipam *ipam, const char *handle, struct ipam_alloc_info *info,
    char *err, size_t errlen)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	const struct ipam__pool *p;
	struct store_txn *txn;
	struct sluice_addr a;
	const void *v;
	size_t vl;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = store_txn_begin(ipam->st, false, &txn)) != 0)
		return ipam__fail(err, errlen, rc,
		    "cannot begin a transaction: %s", strerror(-rc));
	rc = store_get(txn, STORE_DB_IPAM_BY_HANDLE, handle, strlen(handle),
	    &v, &vl);
	if (rc == 0 && (rc = ipam__handle_decode(v, vl, &a)) == 0 &&
	    (rc = store_get(txn, STORE_DB_IPAM_BY_IP, key,
	    ipam__addr_key(&a, key), &v, &vl)) == 0)
		rc = ipam__alloc_decode(v, vl, info);
	store_txn_abort(txn);
	if (rc == -ENOENT)
		return ipam__fail(err, errlen, rc, "%s holds no address",
		    handle);
	if (rc != 0)
		return ipam__fail(err, errlen, rc,
		    "the allocation of %s is unreadable: %s", handle,
		    strerror(-rc));
	info->addr = a;
	if ((p = ipam__pool_find(ipam, &a)) != NULL)
		snprintf(info->pool, sizeof(info->pool), "%s", p->name);
	return 0;
}

void
ipam_alloc_info_clear(struct ipam_alloc_info *info)
{
	ipam__alloc_info_clear(info);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
ipam_gc(struct ipam *ipam, const char *node, const char *const *live,
    size_t nlive, bool dry_run, struct ipam_allocs *stale, char *err,
    size_t errlen)
{
	struct store_cursor *c = NULL;
	struct store_txn *txn = NULL;
	const char **sorted = NULL;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	stale->v = NULL;
	stale->n = 0;
	if (nlive > 0) {
		sorted = malloc(nlive * sizeof(*sorted));
		if (sorted == NULL)
			return ipam__fail(err, errlen, -ENOMEM, "out of memory");
		memcpy(sorted, live, nlive * sizeof(*sorted));
		qsort(sorted, nlive, sizeof(*sorted), cmp_str);
	}
	if ((rc = store_txn_begin(ipam->st, !dry_run, &txn)) != 0)
		goto out;
	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_IP, &c)) != 0)
		goto out;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		struct ipam_alloc_info info;
		const char *h;

		if (ipam__alloc_decode(v, vl, &info) != 0)
			continue;	/* ipam_verify() reports it */
		h = info.handle;
		if (ipam__addr_from_key(k, kl, &info.addr) != 0 ||
		    (node != NULL && strcmp(info.node, node) != 0) ||
		    (nlive > 0 && bsearch(&h, sorted, nlive, sizeof(*sorted),
		    cmp_str) != NULL)) {
			ipam__alloc_info_clear(&info);
			continue;
		}
		rc = ipam__allocs_push(stale, &info);
		ipam__alloc_info_clear(&info);
		if (rc != 0)
			goto out;
	}
	if (rc != -ENOENT)
		goto out;
	rc = 0;
	store_cursor_close(c);
	c = NULL;
	for (size_t i = 0; !dry_run && i < stale->n && rc == 0; i++)
		rc = drop_alloc(ipam, txn, &stale->v[i].addr,
		    stale->v[i].handle, true);
	if (rc == 0) {
		rc = dry_run ? 0 : store_txn_commit(txn);
		if (dry_run)
			store_txn_abort(txn);
		txn = NULL;
	}
out:
	store_cursor_close(c);
	store_txn_abort(txn);
	free(sorted);
	if (rc != 0) {
		ipam_allocs_free(stale);
		ipam__fail(err, errlen, rc, "garbage collection failed: %s",
		    strerror(-rc));
	}
	return rc;
}

int
ipam_set_labels(struct ipam *ipam, const char *node, const char *ns,
    const char *pod, const struct sluice_label *labels, size_t nlabels,
    size_t *changed, char *err, size_t errlen)
{
	struct store_cursor *c = NULL;
	struct store_txn *txn = NULL;
	struct ipam_allocs hits = { NULL, 0 };
	const void *k, *v;
	size_t kl, vl, n = 0;
	int rc;

	if (changed != NULL)
		*changed = 0;
	if (nlabels > IPAM_LABELS_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "%zu labels, at most %d are stored", nlabels,
		    IPAM_LABELS_MAX);
	for (size_t i = 0; i < nlabels; i++)
		if (labels[i].key == NULL || labels[i].key[0] == '\0' ||
		    strlen(labels[i].key) >= IPAM_LABEL_MAX ||
		    labels[i].value == NULL ||
		    strlen(labels[i].value) >= IPAM_LABEL_MAX)
			return ipam__fail(err, errlen, -EINVAL,
			    "label %zu is empty or longer than %d bytes", i,
			    IPAM_LABEL_MAX - 1);
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		goto out;
	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_IP, &c)) != 0)
		goto out;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		struct ipam_alloc_info info;

		if (ipam__alloc_decode(v, vl, &info) != 0)
			continue;	/* ipam_verify() reports it */
		if (ipam__addr_from_key(k, kl, &info.addr) == 0 &&
		    strcmp(info.node, node) == 0 &&
		    strcmp(info.namespace, ns) == 0 &&
		    strcmp(info.pod, pod) == 0)
			rc = ipam__allocs_push(&hits, &info);
		ipam__alloc_info_clear(&info);
		if (rc != 0)
			goto out;
	}
	if (rc != -ENOENT)
		goto out;
	store_cursor_close(c);
	c = NULL;
	rc = 0;
	/* Rewritten after the walk: a put under a live cursor moves it. */
	for (size_t i = 0; i < hits.n && rc == 0; i++) {
		struct ipam_alloc_info *info = &hits.v[i];

		free(info->labels);
		info->labels = NULL;
		info->nlabels = 0;
		if (nlabels > 0 && (info->labels = calloc(nlabels,
		    sizeof(*info->labels))) == NULL) {
			rc = -ENOMEM;
			break;
		}
		for (size_t j = 0; j < nlabels; j++) {
			copy_str(info->labels[j].key,
			    sizeof(info->labels[j].key), labels[j].key);
			copy_str(info->labels[j].value,
			    sizeof(info->labels[j].value), labels[j].value);
		}
		info->nlabels = nlabels;
		rc = ipam__alloc_put(txn, info);
		n++;
	}
	if (rc == 0 && hits.n == 0) {
		store_txn_abort(txn);
		txn = NULL;
		ipam_allocs_free(&hits);
		return ipam__fail(err, errlen, -ENOENT,
		    "pod %s/%s holds no address on node %s", ns, pod, node);
	}
	if (rc == 0) {
		rc = store_txn_commit(txn);
		txn = NULL;
	}
out:
	store_cursor_close(c);
	store_txn_abort(txn);
	ipam_allocs_free(&hits);
	if (rc != 0)
		return ipam__fail(err, errlen, rc, "cannot store the labels: %s",
		    strerror(-rc));
	if (changed != NULL)
		*changed = n;
	return 0;
}

/* ---- blocks ----------------------------------------------------------- */

int
ipam_block_claim(struct ipam *ipam, const char *pool, const char *node,
    const struct sluice_label *node_labels, size_t nnode_labels,
    struct sluice_prefix *out, char *err, size_t errlen)
{
	struct ipam_request req = {
		.handle = "(block claim)", .node = node,
		.node_labels = node_labels, .nnode_labels = nnode_labels,
		.pool = pool,
	};
	struct store_txn *txn;
	size_t ntried = 0;
	int rc = -ENOSPC;

	if (node == NULL || node[0] == '\0' || strlen(node) >= IPAM_NAME_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "node name must be 1 to %d bytes", IPAM_NAME_MAX - 1);
	if (pool != NULL && ipam__pool_by_name(ipam, pool) == NULL)
		return ipam__fail(err, errlen, -EINVAL, "no pool named %s", pool);
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc, "cannot begin a transaction: %s",
		    strerror(-rc));
	rc = -ENOSPC;
	for (size_t i = 0; i < ipam->npools && rc == -ENOSPC; i++) {
		const struct ipam__pool *p = &ipam->pools[i];
		struct sluice_selector none = { 0 };
		struct ipam__pool q;
		int why;

		if (pool != NULL && strcmp(pool, p->name) != 0)
			continue;
		/* Namespace selectors do not apply to a block claim. */
		q = *p;
		q.nssel = none;
		if ((why = pool_refuses(&q, &req, err, errlen)) != 0) {
			if (pool != NULL)
				rc = why;
			continue;
		}
		ntried++;
		rc = claim_free(ipam, txn, p, node, true, out);
	}
	if (rc == -ENOSPC)
		ipam__fail(err, errlen, ntried == 0 ? -ENOENT : -ENOSPC,
		    "no free block for node %s in %s", node,
		    ntried == 0 ? "any pool its selectors allow" :
		    pool != NULL ? pool : "the pools its selectors allow");
	if (rc == -ENOSPC && ntried == 0)
		rc = -ENOENT;
	else if (rc != 0 && rc != -ENOSPC && rc != -EACCES && rc != -EINVAL)
		ipam__fail(err, errlen, rc, "cannot claim a block: %s",
		    strerror(-rc));
	return commit_or_abort(txn, rc);
}

/* Collects the allocations stored in block into list. */
static int
allocs_in(struct store_txn *txn, const struct sluice_prefix *block,
    struct ipam_allocs *list)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_IP, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, key, ipam__addr_key(&block->addr, key),
	    &k, &kl, &v, &vl); rc == 0; rc = store_cursor_next(c, &k, &kl, &v,
	    &vl)) {
		struct ipam_alloc_info info;
		struct sluice_addr a;

		if (ipam__addr_from_key(k, kl, &a) != 0 ||
		    a.family != block->addr.family ||
		    !sluice_prefix_contains(block, &a))
			break;
		if (ipam__alloc_decode(v, vl, &info) != 0) {
			memset(&info, 0, sizeof(info));
			snprintf(info.handle, sizeof(info.handle), "?");
		}
		info.addr = a;
		rc = ipam__allocs_push(list, &info);
		ipam__alloc_info_clear(&info);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}

int
ipam_block_release(struct ipam *ipam, const struct sluice_prefix *block,
    const char *node, char *err, size_t errlen)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	struct ipam_allocs in = { 0 };
	struct ipam__block_rec rec;
	char bb[SLUICE_PREFIXSTRLEN];
	struct store_txn *txn;
	int rc;

	if (sluice_addr_len(block->addr.family) == 0)
		return ipam__fail(err, errlen, -EINVAL, "not a block prefix");
	ipam__pstr(block, bb);
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc, "cannot begin a transaction: %s",
		    strerror(-rc));
	rc = ipam__block_get(txn, block, &rec);
	if (rc == -ENOENT) {
		ipam__fail(err, errlen, rc, "block %s is not owned by any node", bb);
		goto out;
	}
	if (rc != 0) {
		ipam__fail(err, errlen, rc, "block %s is unreadable: %s", bb,
		    strerror(-rc));
		goto out;
	}
	if (strcmp(rec.owner, node) != 0) {
		rc = ipam__fail(err, errlen, -EPERM,
		    "block %s is owned by node %s, not %s", bb, rec.owner,
		    node);
		goto out;
	}
	if ((rc = allocs_in(txn, block, &in)) != 0) {
		ipam__fail(err, errlen, rc, "cannot read block %s: %s", bb,
		    strerror(-rc));
		goto out;
	}
	if (in.n > 0) {
		rc = ipam__fail(err, errlen, -EBUSY,
		    "block %s still holds %zu allocation%s (for example %s)",
		    bb, in.n, in.n > 1 ? "s" : "", in.v[0].handle);
		goto out;
	}
	rc = store_del(txn, STORE_DB_IPAM_BLOCKS, key,
	    ipam__block_key(block, key));
	if (rc != 0)
		ipam__fail(err, errlen, rc, "cannot release block %s: %s", bb,
		    strerror(-rc));
out:
	ipam_allocs_free(&in);
	rc = commit_or_abort(txn, rc);
	return rc;
}

/*
 * Moves the allocations in list (already deleted, block now someone
 * else's) to new addresses of pool p, appending each to moved.
 */
static int
rehome(struct ipam *ipam, struct store_txn *txn, const struct ipam__pool *p,
    struct ipam_allocs *list, struct ipam_allocs *moved)
{
	int rc = 0;

	for (size_t i = 0; i < list->n && rc == 0; i++) {
		struct ipam_alloc_info *info = &list->v[i];
		struct sluice_addr old = info->addr;
		struct sluice_prefix b;
		bool claimed;

		if (info->handle[0] == '?')
			continue;	/* undecodable: nothing to re-home */
		rc = alloc_in_pool(ipam, txn, p, info, &b, &claimed);
		if (rc == 0)
			info->moved_to = info->addr;
		else if (rc == -ENOSPC || rc == -EAGAIN)
			memset(&info->moved_to, 0, sizeof(info->moved_to));
		if (rc == 0 || rc == -ENOSPC || rc == -EAGAIN) {
			info->addr = old;
			rc = moved != NULL ? ipam__allocs_push(moved, info) : 0;
		}
	}
	return rc;
}

/* ipam_block_observe() inside txn. */
static int
observe(struct ipam *ipam, struct store_txn *txn,
    const struct ipam_block_claim *c, struct ipam_allocs *moved, char *err,
    size_t errlen)
{
	struct ipam_allocs lost = { 0 };
	const struct ipam__pool *p;
	struct ipam__block_rec rec;
	char bb[SLUICE_PREFIXSTRLEN];
	int rc;

	if (sluice_addr_len(c->prefix.addr.family) == 0)
		return ipam__fail(err, errlen, -EINVAL, "not a block prefix");
	ipam__pstr(&c->prefix, bb);
	if (c->owner == NULL || c->owner[0] == '\0' ||
	    strlen(c->owner) >= IPAM_NAME_MAX)
		return ipam__fail(err, errlen, -EINVAL,
		    "block %s: owner name must be 1 to %d bytes", bb,
		    IPAM_NAME_MAX - 1);
	p = ipam__pool_find(ipam, &c->prefix.addr);
	if (p == NULL || !ipam__pool_is_block(p, &c->prefix))
		return ipam__fail(err, errlen, -EINVAL,
		    "block %s (owner %s) is not a block of any current pool",
		    bb, c->owner);
	rc = ipam__block_get(txn, &c->prefix, &rec);
	if (rc == -ENOENT || rc == -EBADMSG ||
	    (rc == 0 && strcmp(rec.owner, c->owner) > 0)) {
		/* New to us, damaged, or we lose: c->owner takes it. */
		if (rc == 0 && (rc = allocs_in(txn, &c->prefix, &lost)) != 0)
			goto out;
		rc = 0;
		for (size_t i = 0; i < lost.n && rc == 0; i++) {
			if (strcmp(lost.v[i].node, c->owner) == 0)
				continue;
			rc = drop_alloc(ipam, txn, &lost.v[i].addr,
			    lost.v[i].handle, false);
		}
		if (rc != 0)
			goto out;
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.owner, sizeof(rec.owner), "%s", c->owner);
		rec.gen = c->gen;
		for (size_t i = 0; i < lost.n; i++)
			rec.used += strcmp(lost.v[i].node, c->owner) == 0;
		if ((rc = ipam__block_put(txn, &c->prefix, &rec)) != 0 ||
		    (rc = ipam__vote_del(txn, &c->prefix)) != 0)
			goto out;
		/* Only the loser's allocations move. */
		for (size_t i = 0; i < lost.n; i++) {
			if (strcmp(lost.v[i].node, c->owner) == 0)
				lost.v[i].handle[0] = '?';
		}
		rc = rehome(ipam, txn, p, &lost, moved);
	} else if (rc == 0 && strcmp(rec.owner, c->owner) == 0 &&
	    c->gen > rec.gen) {
		rec.gen = c->gen;
		rc = ipam__block_put(txn, &c->prefix, &rec);
	}
	/* Otherwise we keep it (lower name) and c->owner will learn so. */
out:
	ipam_allocs_free(&lost);
	if (rc != 0)
		ipam__fail(err, errlen, rc, "block %s (owner %s): %s", bb, c->owner,
		    strerror(-rc));
	return rc;
}

int
ipam_block_observe(struct ipam *ipam, const struct ipam_block_claim *c,
    struct ipam_allocs *moved, char *err, size_t errlen)
{
	struct store_txn *txn;
	int rc;

	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc, "cannot begin a transaction: %s",
		    strerror(-rc));
	return commit_or_abort(txn, observe(ipam, txn, c, moved, err,
	    errlen));
}

int
ipam_blocks_sync(struct ipam *ipam, const char *owner,
    const struct ipam_block_claim *claims, size_t n,
    struct ipam_allocs *moved, char *err, size_t errlen)
{
	struct sluice_prefix *forget = NULL;
	struct store_cursor *c = NULL;
	struct store_txn *txn;
	size_t nforget = 0;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if (owner == NULL || owner[0] == '\0')
		return ipam__fail(err, errlen, -EINVAL, "owner name is empty");
	if ((rc = store_txn_begin(ipam->st, true, &txn)) != 0)
		return ipam__fail(err, errlen, rc, "cannot begin a transaction: %s",
		    strerror(-rc));
	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BLOCKS, &c)) != 0)
		goto out;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		struct ipam__block_rec rec;
		struct sluice_prefix b, *nf;
		bool listed = false;

		if (ipam__block_from_key(k, kl, &b) != 0 ||
		    ipam__block_decode(v, vl, &rec) != 0 ||
		    strcmp(rec.owner, owner) != 0 || rec.used > 0)
			continue;
		for (size_t i = 0; i < n && !listed; i++)
			listed = prefix_eq(&claims[i].prefix, &b);
		if (listed)
			continue;
		nf = realloc(forget, (nforget + 1) * sizeof(*forget));
		if (nf == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		forget = nf;
		forget[nforget++] = b;
	}
	if (rc != -ENOENT)
		goto out;
	rc = 0;
	store_cursor_close(c);
	c = NULL;
	for (size_t i = 0; i < nforget && rc == 0; i++) {
		uint8_t key[IPAM__BLOCK_KEY_MAX];

		rc = store_del(txn, STORE_DB_IPAM_BLOCKS, key,
		    ipam__block_key(&forget[i], key));
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (claims[i].owner == NULL ||
		    strcmp(claims[i].owner, owner) != 0) {
			rc = ipam__fail(err, errlen, -EINVAL,
			    "claim %zu of node %s names another owner", i,
			    owner);
			goto out;
		}
		if ((rc = observe(ipam, txn, &claims[i], moved, err,
		    errlen)) != 0)
			goto out;
	}
out:
	if (rc != 0 && rc != -EINVAL)
		ipam__fail(err, errlen, rc, "cannot sync the blocks of node %s: %s",
		    owner, strerror(-rc));
	store_cursor_close(c);
	free(forget);
	return commit_or_abort(txn, rc);
}

/* ---- verify ------------------------------------------------------------ */

struct vblock {
	struct sluice_prefix prefix;
	struct ipam__block_rec rec;
	uint64_t counted;
};

struct verifier {
	ipam_problem_cb *cb;
	void *arg;
	int n;
	struct vblock *blocks;		/* in key order */
	size_t nblocks;
};

__attribute__((__format__(printf, 2, 3))) static void
problem(struct verifier *vf, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	vf->n++;
	if (vf->cb == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vf->cb(vf->arg, buf);
}

/* The recorded block containing a: the last with key <= a's, if any. */
static struct vblock *
vblock_of(struct verifier *vf, const struct sluice_addr *a)
{
	uint8_t ak[IPAM__BLOCK_KEY_MAX], bk[IPAM__BLOCK_KEY_MAX];
	size_t lo = 0, hi = vf->nblocks, akl;

	akl = ipam__addr_key(a, ak);
	ak[akl++] = 0xff;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t bkl = ipam__block_key(&vf->blocks[mid].prefix, bk);
		int c = memcmp(bk, ak, bkl < akl ? bkl : akl);

		if (c < 0 || (c == 0 && bkl <= akl))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (!sluice_prefix_contains(&vf->blocks[lo - 1].prefix, a))
		return NULL;
	return &vf->blocks[lo - 1];
}

static int
verify_blocks(struct verifier *vf, struct store_txn *txn)
{
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BLOCKS, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		struct vblock vb = { 0 }, *nv;
		char bb[SLUICE_PREFIXSTRLEN];

		if (ipam__block_from_key(k, kl, &vb.prefix) != 0) {
			problem(vf, "a block record has a malformed key (%zu bytes)",
			    kl);
			continue;
		}
		if (ipam__block_decode(v, vl, &vb.rec) != 0) {
			problem(vf, "block %s: record is unreadable",
			    ipam__pstr(&vb.prefix, bb));
			continue;
		}
		nv = realloc(vf->blocks, (vf->nblocks + 1) * sizeof(*nv));
		if (nv == NULL) {
			rc = -ENOMEM;
			break;
		}
		vf->blocks = nv;
		vf->blocks[vf->nblocks++] = vb;
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}

static int
verify_by_ip(struct verifier *vf, struct store_txn *txn)
{
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_IP, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		char ab[SLUICE_ADDRSTRLEN], hb[SLUICE_ADDRSTRLEN];
		char bb[SLUICE_PREFIXSTRLEN];
		struct ipam_alloc_info info;
		struct sluice_addr a, ha;
		struct vblock *vb;
		const void *hv;
		size_t hvl;
		int r;

		if (ipam__addr_from_key(k, kl, &a) != 0) {
			problem(vf, "an allocation record has a malformed key (%zu bytes)",
			    kl);
			continue;
		}
		ipam__astr(&a, ab);
		if (ipam__alloc_decode(v, vl, &info) != 0) {
			problem(vf, "address %s: allocation record is unreadable",
			    ab);
			continue;
		}
		ipam__alloc_info_clear(&info);
		r = store_get(txn, STORE_DB_IPAM_BY_HANDLE, info.handle,
		    strlen(info.handle), &hv, &hvl);
		if (r == -ENOENT)
			problem(vf, "address %s (handle %s) has no by-handle record",
			    ab, info.handle);
		else if (r != 0 || ipam__handle_decode(hv, hvl, &ha) != 0)
			;	/* verify_by_handle() reports it */
		else if (!sluice_addr_eq(&ha, &a))
			problem(vf, "address %s is recorded for handle %s, but the handle points to %s",
			    ab, info.handle, ipam__astr(&ha, hb));
		vb = vblock_of(vf, &a);
		if (vb == NULL) {
			problem(vf, "address %s (handle %s, node %s) lies in no block",
			    ab, info.handle, info.node);
			continue;
		}
		vb->counted++;
		if (strcmp(vb->rec.owner, info.node) != 0)
			problem(vf, "address %s (handle %s) of node %s lies in block %s, owned by node %s",
			    ab, info.handle, info.node, ipam__pstr(&vb->prefix, bb),
			    vb->rec.owner);
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}

static int
verify_by_handle(struct verifier *vf, struct store_txn *txn)
{
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_HANDLE, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		char h[IPAM_HANDLE_MAX], ab[SLUICE_ADDRSTRLEN];
		uint8_t key[IPAM__ADDR_KEY_MAX];
		struct ipam_alloc_info info;
		struct sluice_addr a;
		const void *iv;
		size_t ivl;
		int r;

		snprintf(h, sizeof(h), "%.*s", (int)(kl < sizeof(h) - 1 ?
		    kl : sizeof(h) - 1), (const char *)k);
		if (ipam__handle_decode(v, vl, &a) != 0) {
			problem(vf, "handle %s: record is unreadable", h);
			continue;
		}
		ipam__astr(&a, ab);
		r = store_get(txn, STORE_DB_IPAM_BY_IP, key,
		    ipam__addr_key(&a, key), &iv, &ivl);
		if (r == -ENOENT) {
			problem(vf, "handle %s points to %s, which has no by-address record",
			    h, ab);
			continue;
		}
		if (r != 0 || ipam__alloc_decode(iv, ivl, &info) != 0)
			continue;	/* reported by verify_by_ip() */
		ipam__alloc_info_clear(&info);
		if (strcmp(info.handle, h) != 0)
			problem(vf, "handle %s points to %s, which is recorded for handle %s",
			    h, ab, info.handle);
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}

int
ipam_verify(struct ipam *ipam, ipam_problem_cb *on_problem, void *arg)
{
	struct verifier vf = { .cb = on_problem, .arg = arg };
	struct store_txn *txn;
	int rc;

	if ((rc = store_txn_begin(ipam->st, false, &txn)) != 0)
		return rc;
	if ((rc = verify_blocks(&vf, txn)) == 0 &&
	    (rc = verify_by_ip(&vf, txn)) == 0)
		rc = verify_by_handle(&vf, txn);
	for (size_t i = 0; rc == 0 && i < vf.nblocks; i++) {
		struct vblock *vb = &vf.blocks[i];
		char bb[SLUICE_PREFIXSTRLEN];

		if (vb->rec.used != vb->counted)
			problem(&vf, "block %s counts %llu allocations but holds %llu",
			    ipam__pstr(&vb->prefix, bb),
			    (unsigned long long)vb->rec.used,
			    (unsigned long long)vb->counted);
	}
	store_txn_abort(txn);
	free(vf.blocks);
	return rc != 0 ? rc : vf.n;
}

/* ---- list ------------------------------------------------------------- */

void
ipam_list_free(struct ipam_list *l)
{
	if (l == NULL)
		return;
	free(l->pools);
	free(l->blocks);
	free(l->votes);
	ipam_allocs_free(&l->allocs);
	memset(l, 0, sizeof(*l));
}

static const struct ipam__pool *
pool_of_block(const struct ipam *ipam, const struct sluice_prefix *b)
{
	const struct ipam__pool *p = ipam__pool_find(ipam, &b->addr);

	return p != NULL && ipam__pool_is_block(p, b) ? p : NULL;
}

static int
list_blocks(struct ipam *ipam, struct store_txn *txn, struct ipam_list *l)
{
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BLOCKS, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		struct ipam_block_info *bi, *nb;
		const struct ipam__pool *p;
		struct ipam__block_rec rec;
		struct sluice_prefix b;

		if (ipam__block_from_key(k, kl, &b) != 0 ||
		    ipam__block_decode(v, vl, &rec) != 0)
			continue;	/* ipam_verify() reports it */
		nb = realloc(l->blocks, (l->nblocks + 1) * sizeof(*nb));
		if (nb == NULL) {
			rc = -ENOMEM;
			break;
		}
		l->blocks = nb;
		bi = &l->blocks[l->nblocks++];
		memset(bi, 0, sizeof(*bi));
		bi->prefix = b;
		snprintf(bi->owner, sizeof(bi->owner), "%s", rec.owner);
		bi->gen = rec.gen;
		bi->used = (uint32_t)rec.used;
		if ((p = pool_of_block(ipam, &b)) != NULL) {
			uint32_t usable = ipam__pool_block_usable(p, &b);

			snprintf(bi->pool, sizeof(bi->pool), "%s", p->name);
			bi->free = usable > bi->used ? usable - bi->used : 0;
			l->pools[p - ipam->pools].blocks_owned++;
		}
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}

static int
list_allocs(struct ipam *ipam, struct store_txn *txn, struct ipam_list *l)
{
	struct store_cursor *c;
	const void *k, *v;
	size_t kl, vl;
	int rc;

	if ((rc = store_cursor_open(txn, STORE_DB_IPAM_BY_IP, &c)) != 0)
		return rc;
	for (rc = store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(c, &k, &kl, &v, &vl)) {
		struct ipam_alloc_info info;
		const struct ipam__pool *p;

		if (ipam__alloc_decode(v, vl, &info) != 0)
			continue;
		if (ipam__addr_from_key(k, kl, &info.addr) != 0) {
			ipam__alloc_info_clear(&info);
			continue;
		}
		if ((p = ipam__pool_find(ipam, &info.addr)) != NULL) {
			snprintf(info.pool, sizeof(info.pool), "%s", p->name);
			l->pools[p - ipam->pools].addrs_used++;
		}
		rc = ipam__allocs_push(&l->allocs, &info);
		ipam__alloc_info_clear(&info);
		if (rc != 0)
			break;
	}
	store_cursor_close(c);
	return rc == -ENOENT ? 0 : rc;
}

int
ipam_list_get(struct ipam *ipam, struct ipam_list *out, char *err,
    size_t errlen)
{
	struct store_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ipam->npools > 0) {
		out->pools = calloc(ipam->npools, sizeof(*out->pools));
		if (out->pools == NULL)
			return ipam__fail(err, errlen, -ENOMEM, "out of memory");
	}
	out->npools = ipam->npools;
	for (size_t i = 0; i < ipam->npools; i++) {
		const struct ipam__pool *p = &ipam->pools[i];
		struct ipam_pool_info *pi = &out->pools[i];

		snprintf(pi->name, sizeof(pi->name), "%s", p->name);
		pi->cidr = p->p.cidr;
		pi->block_size = p->p.block_size;
		pi->nat_outgoing = p->p.nat_outgoing;
		pi->disabled = p->p.disabled;
		pi->blocks_total = p->nblocks;
	}
	if ((rc = store_txn_begin(ipam->st, false, &txn)) != 0)
		goto err;
	if ((rc = list_blocks(ipam, txn, out)) == 0 &&
	    (rc = list_allocs(ipam, txn, out)) == 0)
		rc = ipam__list_votes(txn, out);
	store_txn_abort(txn);
	if (rc == 0)
		return 0;
err:
	ipam_list_free(out);
	return ipam__fail(err, errlen, rc, "cannot list the IPAM records: %s",
	    strerror(-rc));
}
