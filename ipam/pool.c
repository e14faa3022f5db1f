/*
 * pool.c - pool validation and the address arithmetic over a pool: which
 * block an address is in, block number i, which addresses are skipped.
 */
#include "ipam/ipam.h"
#include "ipam/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct ipam__u128
ipam__u128_of(const struct sluice_addr *a)
{
	struct ipam__u128 u = { 0, 0 };

	if (a->family == AF_INET) {
		for (int i = 0; i < 4; i++)
			u.lo = u.lo << 8 | a->u.b[i];
	} else {
		for (int i = 0; i < 8; i++)
			u.hi = u.hi << 8 | a->u.b[i];
		for (int i = 8; i < 16; i++)
			u.lo = u.lo << 8 | a->u.b[i];
	}
	return u;
}

void
ipam__u128_to(struct ipam__u128 u, int family, struct sluice_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		for (int i = 3; i >= 0; i--, u.lo >>= 8)
			a->u.b[i] = (uint8_t)u.lo;
	} else {
		for (int i = 15; i >= 8; i--, u.lo >>= 8)
			a->u.b[i] = (uint8_t)u.lo;
		for (int i = 7; i >= 0; i--, u.hi >>= 8)
			a->u.b[i] = (uint8_t)u.hi;
	}
}

struct ipam__u128
ipam__u128_add(struct ipam__u128 a, struct ipam__u128 b)
{
	struct ipam__u128 r;

	r.lo = a.lo + b.lo;
	r.hi = a.hi + b.hi + (r.lo < a.lo);
	return r;
}

struct ipam__u128
ipam__u128_shl(uint64_t v, unsigned int shift)
{
	struct ipam__u128 r = { 0, 0 };

	if (shift == 0)
		r.lo = v;
	else if (shift < 64) {
		r.lo = v << shift;
		r.hi = v >> (64 - shift);
	} else if (shift < 128)
		r.hi = v << (shift - 64);
	return r;
}

static struct ipam__u128
u128_shr(struct ipam__u128 a, unsigned int shift)
{
	struct ipam__u128 r = { 0, 0 };

	if (shift == 0)
		r = a;
	else if (shift < 64) {
		r.lo = a.lo >> shift | a.hi << (64 - shift);
		r.hi = a.hi >> shift;
	} else if (shift < 128)
		r.lo = a.hi >> (shift - 64);
	return r;
}

static struct ipam__u128
u128_sub(struct ipam__u128 a, struct ipam__u128 b)
{
	struct ipam__u128 r;

	r.lo = a.lo - b.lo;
	r.hi = a.hi - b.hi - (a.lo < b.lo);
	return r;
}

int
ipam__u128_cmp(struct ipam__u128 a, struct ipam__u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* All ones in the low bits bits. */
static struct ipam__u128
u128_mask(unsigned int bits)
{
	struct ipam__u128 r = { 0, 0 };

	if (bits >= 128)
		return (struct ipam__u128){ UINT64_MAX, UINT64_MAX };
	if (bits >= 64) {
		r.lo = UINT64_MAX;
		r.hi = bits == 64 ? 0 : (UINT64_MAX >> (128 - bits));
	} else if (bits > 0)
		r.lo = UINT64_MAX >> (64 - bits);
	return r;
}

static bool
prefix_has(const struct sluice_prefix *p, unsigned int width,
    struct ipam__u128 a)
{
	struct ipam__u128 lo = ipam__u128_of(&p->addr);
	struct ipam__u128 hi = ipam__u128_add(lo, u128_mask(width - p->len));

	return ipam__u128_cmp(a, lo) >= 0 && ipam__u128_cmp(a, hi) <= 0;
}

bool
ipam__pool_skips(const struct ipam__pool *p, struct ipam__u128 a)
{
	if (ipam__u128_cmp(a, p->base) == 0)
		return true;
	if (p->width == 32 && ipam__u128_cmp(a, p->last) == 0)
		return true;
	for (size_t i = 0; i < p->p.nreserved; i++) {
		if (prefix_has(&p->reserved[i], p->width, a))
			return true;
	}
	return false;
}

uint64_t
ipam__pool_block_index(const struct ipam__pool *p, struct ipam__u128 a)
{
	return u128_shr(u128_sub(a, p->base), p->host_bits).lo;
}

void
ipam__pool_block(const struct ipam__pool *p, uint64_t i,
    struct sluice_prefix *block)
{
	struct ipam__u128 a = ipam__u128_add(p->base,
	    ipam__u128_shl(i, p->host_bits));

	ipam__u128_to(a, p->p.cidr.addr.family, &block->addr);
	block->len = (uint8_t)p->p.block_size;
}

void
ipam__pool_block_of(const struct ipam__pool *p, struct ipam__u128 a,
    struct sluice_prefix *block)
{
	ipam__pool_block(p, ipam__pool_block_index(p, a), block);
}

uint32_t
ipam__pool_block_usable(const struct ipam__pool *p,
    const struct sluice_prefix *block)
{
	struct ipam__u128 a = ipam__u128_of(&block->addr);
	uint32_t n = 0, size = 1u << p->host_bits;

	for (uint32_t off = 0; off < size; off++) {
		if (!ipam__pool_skips(p, ipam__u128_add(a,
		    ipam__u128_shl(off, 0))))
			n++;
	}
	return n;
}

const struct ipam__pool *
ipam__pool_find(const struct ipam *ipam, const struct sluice_addr *a)
{
	for (size_t i = 0; i < ipam->npools; i++) {
		if (sluice_prefix_contains(&ipam->pools[i].p.cidr, a))
			return &ipam->pools[i];
	}
	return NULL;
}

const struct ipam__pool *
ipam__pool_by_name(const struct ipam *ipam, const char *name)
{
	for (size_t i = 0; i < ipam->npools; i++) {
		if (strcmp(ipam->pools[i].name, name) == 0)
			return &ipam->pools[i];
	}
	return NULL;
}

bool
ipam__pool_is_block(const struct ipam__pool *p,
    const struct sluice_prefix *block)
{
	return block->len == p->p.block_size &&
	    sluice_prefix_contains(&p->p.cidr, &block->addr);
}

void
ipam__pools_free(struct ipam__pool *pools, size_t n)
{
	if (pools == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(pools[i].name);
		free(pools[i].reserved);
		sluice_selector_free(&pools[i].nodesel);
		sluice_selector_free(&pools[i].nssel);
	}
	free(pools);
}

/* Allocation order: namespace-selected, then node-selected, then name. */
static int
pool_order(const void *a, const void *b)
{
	const struct ipam__pool *x = a, *y = b;
	bool xn = !sluice_selector_empty(&x->nssel);
	bool yn = !sluice_selector_empty(&y->nssel);

	if (xn != yn)
		return xn ? -1 : 1;
	xn = !sluice_selector_empty(&x->nodesel);
	yn = !sluice_selector_empty(&y->nodesel);
	if (xn != yn)
		return xn ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Checks pool i on its own; the name is known to be printable. */
static int
check_one(const struct ipam_pool *p, char *err, size_t errlen)
{
	char buf[SLUICE_PREFIXSTRLEN], sub[200];
	unsigned int width, bs, min;
	int rc;

	width = p->cidr.addr.family == AF_INET ? 32 :
	    p->cidr.addr.family == AF_INET6 ? 128 : 0;
	if (width == 0 || p->cidr.len > width) {
		snprintf(err, errlen, "pool %s: cidr is not an IPv4 or IPv6 prefix",
		    p->name);
		return -EINVAL;
	}
	sluice_prefix_str(&p->cidr, buf, sizeof(buf));
	{
		struct ipam__u128 a = ipam__u128_of(&p->cidr.addr);
		struct ipam__u128 m = u128_mask(width - p->cidr.len);

		if ((a.hi & m.hi) != 0 || (a.lo & m.lo) != 0) {
			snprintf(err, errlen,
			    "pool %s: cidr %s has host bits set", p->name,
			    buf);
			return -EINVAL;
		}
	}
	bs = p->block_size;
	if (bs == 0)
		bs = width == 32 ? IPAM_BLOCK_V4_DEFAULT :
		    IPAM_BLOCK_V6_DEFAULT;
	min = width == 32 ? IPAM_BLOCK_V4_MIN : IPAM_BLOCK_V6_MIN;
	if (bs < min || bs > width) {
		snprintf(err, errlen,
		    "pool %s: blockSize %u is out of range for %s (%u to %u)",
		    p->name, bs, width == 32 ? "IPv4" : "IPv6", min, width);
		return -EINVAL;
	}
	if (bs < p->cidr.len) {
		snprintf(err, errlen,
		    "pool %s: blockSize %u does not fit in cidr %s (a block may not be larger than its pool)",
		    p->name, bs, buf);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->nreserved; i++) {
		const struct sluice_prefix *r = &p->reserved[i];
		char rb[SLUICE_PREFIXSTRLEN];

		if (r->addr.family != p->cidr.addr.family ||
		    r->len > width || r->len < p->cidr.len ||
		    !sluice_prefix_contains(&p->cidr, &r->addr)) {
			snprintf(err, errlen,
			    "pool %s: reservation %s is not inside cidr %s",
			    p->name, r->addr.family == AF_INET ||
			    r->addr.family == AF_INET6 ?
			    sluice_prefix_str(r, rb, sizeof(rb)) : "?", buf);
			return -EINVAL;
		}
	}
	if ((rc = sluice_selector_validate(&p->node_selector, sub,
	    sizeof(sub))) != 0) {
		snprintf(err, errlen, "pool %s: nodeSelector: %s", p->name, sub);
		return rc;
	}
	if ((rc = sluice_selector_validate(&p->namespace_selector, sub,
	    sizeof(sub))) != 0) {
		snprintf(err, errlen, "pool %s: namespaceSelector: %s",
		    p->name, sub);
		return rc;
	}
	return 0;
}

static int
copy_one(struct ipam__pool *d, const struct ipam_pool *s)
{
	unsigned int width = s->cidr.addr.family == AF_INET ? 32 : 128;
	unsigned int bits;

	d->p = *s;
	d->width = width;
	if (d->p.block_size == 0)
		d->p.block_size = width == 32 ? IPAM_BLOCK_V4_DEFAULT :
		    IPAM_BLOCK_V6_DEFAULT;
	d->host_bits = width - d->p.block_size;
	bits = d->p.block_size - s->cidr.len;
	d->nblocks = bits >= 62 ? (uint64_t)1 << 62 : (uint64_t)1 << bits;
	d->base = ipam__u128_of(&s->cidr.addr);
	d->last = ipam__u128_add(d->base, u128_mask(width - s->cidr.len));
	if ((d->name = strdup(s->name)) == NULL)
		return -ENOMEM;
	d->p.name = d->name;
	if (s->nreserved > 0) {
		d->reserved = calloc(s->nreserved, sizeof(*d->reserved));
		if (d->reserved == NULL)
			return -ENOMEM;
		memcpy(d->reserved, s->reserved,
		    s->nreserved * sizeof(*d->reserved));
	}
	d->p.reserved = d->reserved;
	if (sluice_selector_copy(&d->nodesel, &s->node_selector) != 0 ||
	    sluice_selector_copy(&d->nssel, &s->namespace_selector) != 0)
		return -ENOMEM;
	d->p.node_selector = d->nodesel;
	d->p.namespace_selector = d->nssel;
	return 0;
}

int
ipam__pools_build(const struct ipam_pool *pools, size_t n,
    struct ipam__pool **out, char *err, size_t errlen)
{
	struct ipam__pool *v = NULL;
	size_t done = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = pools[i].name;
		size_t len = name != NULL ? strlen(name) : 0;

		if (len == 0 || len >= IPAM_NAME_MAX) {
			snprintf(err, errlen,
			    "pool %zu: name must be 1 to %d bytes", i,
			    IPAM_NAME_MAX - 1);
			return -EINVAL;
		}
		if ((rc = check_one(&pools[i], err, errlen)) != 0)
			return rc;
		for (size_t j = 0; j < i; j++) {
			char a[SLUICE_PREFIXSTRLEN], b[SLUICE_PREFIXSTRLEN];

			if (strcmp(pools[j].name, name) == 0) {
				snprintf(err, errlen,
				    "pool %s is declared twice", name);
				return -EINVAL;
			}
			if (sluice_prefix_overlaps(&pools[i].cidr,
			    &pools[j].cidr)) {
				snprintf(err, errlen,
				    "pool %s (%s) overlaps pool %s (%s)", name,
				    sluice_prefix_str(&pools[i].cidr, a,
				    sizeof(a)), pools[j].name,
				    sluice_prefix_str(&pools[j].cidr, b,
				    sizeof(b)));
				return -EINVAL;
			}
		}
	}
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (done = 0; done < n; done++) {
		if ((rc = copy_one(&v[done], &pools[done])) != 0) {
			snprintf(err, errlen, "out of memory");
			ipam__pools_free(v, done + 1);
			return rc;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), pool_order);
	*out = v;
	return 0;
}
