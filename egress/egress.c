/*
 * egress.c - egress gateway policies: validation, the policy that
 * decides a flow, a policy's gateways as one node sees them, and
 * rendezvous hashing of flows over those gateways. Nothing here
 * allocates or does I/O.
 */
#include "egress/egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KIND "EgressGatewayPolicy"
#define WHY_MAX 256

/*
 * Fixed seeds: every node must compute the same hashes, so nothing here
 * may come from a random source or depend on the build.
 */
#define SEED_FLOW 0x736c75696365666cull	/* "sluicefl" */
#define SEED_NODE 0x736c756963656777ull	/* "sluicegw" */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- validation ------------------------------------------------------- */

static int
check_selector(const struct egress_policy *p, const char *field,
    const struct sluice_selector *sel, char *err, size_t errlen)
{
	char why[WHY_MAX];

	if (sel == NULL || sluice_selector_validate(sel, why, sizeof(why)) == 0)
		return 0;
	return fail(err, errlen, KIND " %s: %s: %s", p->name, field, why);
}

/* True if a /len IPv4 prefix has bits set past its length. */
static bool
host_bits_v4(const struct sluice_prefix *d)
{
	uint32_t mask = d->len == 0 ? 0 : ~(uint32_t)0 << (32 - d->len);

	return (ntohl(d->addr.u.v4.s_addr) & ~mask) != 0;
}

int
egress_policy_validate(const struct egress_policy *p, char *err,
    size_t errlen)
{
	char a[SLUICE_PREFIXSTRLEN];
	int rc;

	if (p->name == NULL || p->name[0] == '\0')
		return fail(err, errlen, KIND ": metadata.name is empty");
	if (p->namespace_selector == NULL && p->pod_selector == NULL)
		return fail(err, errlen,
		    KIND " %s: spec: needs a namespaceSelector, a podSelector or both",
		    p->name);
	if (p->gateway_selector == NULL)
		return fail(err, errlen,
		    KIND " %s: spec.gatewaySelector is required", p->name);
	if ((rc = check_selector(p, "spec.namespaceSelector",
	    p->namespace_selector, err, errlen)) != 0 ||
	    (rc = check_selector(p, "spec.podSelector", p->pod_selector, err,
	    errlen)) != 0 ||
	    (rc = check_selector(p, "spec.gatewaySelector",
	    p->gateway_selector, err, errlen)) != 0)
		return rc;

	if (p->naddrs > EGRESS_ADDRS_MAX)
		return fail(err, errlen,
		    KIND " %s: spec.egressAddresses: %zu addresses, at most %d",
		    p->name, p->naddrs, EGRESS_ADDRS_MAX);
	for (size_t i = 0; i < p->naddrs; i++) {
		sluice_addr_str(&p->addrs[i], a, sizeof(a));
		if (p->addrs[i].family != AF_INET)
			return fail(err, errlen,
			    KIND " %s: spec.egressAddresses[%zu]: %s is not an IPv4 address",
			    p->name, i, a);
		for (size_t j = 0; j < i; j++) {
			if (sluice_addr_eq(&p->addrs[j], &p->addrs[i]))
				return fail(err, errlen,
				    KIND " %s: spec.egressAddresses[%zu]: %s repeats spec.egressAddresses[%zu]",
				    p->name, i, a, j);
		}
	}

	if (p->ndests > EGRESS_DESTS_MAX)
		return fail(err, errlen,
		    KIND " %s: spec.destinations: %zu prefixes, at most %d",
		    p->name, p->ndests, EGRESS_DESTS_MAX);
	for (size_t i = 0; i < p->ndests; i++) {
		const struct sluice_prefix *d = &p->dests[i];

		sluice_prefix_str(d, a, sizeof(a));
		/* The egress IPs are IPv4: no IPv6 flow can leave by one. */
		if (d->addr.family != AF_INET)
			return fail(err, errlen,
			    KIND " %s: spec.destinations[%zu]: %s is not IPv4 (egress addresses are IPv4)",
			    p->name, i, a);
		if (d->len > 32)
			return fail(err, errlen,
			    KIND " %s: spec.destinations[%zu]: %s is longer than /32",
			    p->name, i, a);
		if (host_bits_v4(d))
			return fail(err, errlen,
			    KIND " %s: spec.destinations[%zu]: %s has host bits set",
			    p->name, i, a);
	}

	if (p->fallback != EGRESS_FALLBACK_DROP &&
	    p->fallback != EGRESS_FALLBACK_NAT)
		return fail(err, errlen,
		    KIND " %s: spec.fallback: unknown value %d", p->name,
		    (int)p->fallback);
	return 0;
}

/* ---- which policy decides a flow -------------------------------------- */

bool
egress_policy_selects(const struct egress_policy *p,
    const struct egress_pod *pod)
{
	/* Validation rejects this; selecting every pod would be the worse
	 * mistake if an unvalidated policy got here. */
	if (p->namespace_selector == NULL && p->pod_selector == NULL)
		return false;
	if (p->namespace_selector != NULL &&
	    !sluice_selector_matches(p->namespace_selector, pod->ns_labels,
	    pod->nns_labels))
		return false;
	if (p->pod_selector != NULL &&
	    !sluice_selector_matches(p->pod_selector, pod->labels,
	    pod->nlabels))
		return false;
	return true;
}

/*
 * The length of p's longest destination containing dst, 0 with no
 * destinations (every outside address), or -1 if none contains it.
 */
static int
dest_len(const struct egress_policy *p, const struct sluice_addr *dst)
{
	int best = -1;

	if (p->ndests == 0)
		return 0;
	for (size_t i = 0; i < p->ndests; i++) {
		const struct sluice_prefix *d = &p->dests[i];

		/* An unvalidated /33.. would read past the address. */
		if (d->addr.family != AF_INET || d->len > 32)
			continue;
		if (d->len > best && sluice_prefix_contains(d, dst))
			best = d->len;
	}
	return best;
}

/* Precedence 1 to 3 of egress.h: does a (its prefix alen) beat b? */
static bool
beats(const struct egress_policy *a, int alen, const struct egress_policy *b,
    int blen)
{
	if ((a->pod_selector != NULL) != (b->pod_selector != NULL))
		return a->pod_selector != NULL;
	if (alen != blen)
		return alen > blen;
	return strcmp(str(a->name), str(b->name)) < 0;
}

const struct egress_policy *
egress_match(const struct egress_policy *v, size_t n,
    const struct egress_pod *pod, const struct sluice_addr *dst)
{
	const struct egress_policy *best = NULL;
	int best_len = -1;

	if (dst->family != AF_INET)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int len;

		if (!egress_policy_selects(&v[i], pod))
			continue;
		if ((len = dest_len(&v[i], dst)) < 0)
			continue;
		if (best == NULL || beats(&v[i], len, best, best_len)) {
			best = &v[i];
			best_len = len;
		}
	}
	return best;
}

/* ---- a policy's gateways ---------------------------------------------- */

static const char *
gw_zone(const struct egress_gateway *g)
{
	for (size_t i = 0; i < g->nlabels; i++) {
		if (g->labels[i].key != NULL &&
		    strcmp(g->labels[i].key, EGRESS_ZONE_LABEL) == 0)
			return g->labels[i].value;
	}
	return NULL;
}

/* The egress IP p's flows leave g with; false if g has none for p. */
static bool
gw_addr(const struct egress_policy *p, const struct egress_gateway *g,
    struct sluice_addr *out)
{
	if (p->naddrs == 0) {
		if (g->naddrs == 0)
			return false;
		*out = g->addrs[0];
		return true;
	}
	/* p's order, not g's: the policy says which IP it prefers. */
	for (size_t i = 0; i < p->naddrs; i++) {
		for (size_t j = 0; j < g->naddrs; j++) {
			if (sluice_addr_eq(&p->addrs[i], &g->addrs[j])) {
				*out = p->addrs[i];
				return true;
			}
		}
	}
	return false;
}

static bool
near(const struct egress_gateway *g, const char *zone)
{
	const char *z;

	return zone != NULL && (z = gw_zone(g)) != NULL && strcmp(z, zone) == 0;
}

/* Does a sort strictly before b? Same zone first, then node name. */
static bool
before(const struct egress_gateway *a, const struct egress_gateway *b,
    const char *zone)
{
	bool an = near(a, zone), bn = near(b, zone);

	if (an != bn)
		return an;
	return strcmp(a->node, b->node) < 0;
}

size_t
egress_candidates(const struct egress_policy *p,
    const struct egress_gateway *gws, size_t ngws, const char *zone,
    struct egress_candidate *out, size_t max)
{
	size_t cap = max, n = 0;

	if (p->gateway_selector == NULL)
		return 0;
	if (p->max_gateways != 0 && p->max_gateways < cap)
		cap = p->max_gateways;
	/*
	 * Insertion into the sorted, capped prefix of out: no scratch array,
	 * so no limit on ngws, and O(ngws * cap) with both small.
	 */
	for (size_t i = 0; i < ngws && cap > 0; i++) {
		const struct egress_gateway *g = &gws[i];
		struct egress_candidate c = { .gw = g, .healthy = true };
		size_t pos, keep;

		if (g->node == NULL ||
		    !sluice_selector_matches(p->gateway_selector, g->labels,
		    g->nlabels) || !gw_addr(p, g, &c.addr))
			continue;
		/* After its equals: entries for one node keep gws' order. */
		pos = n;
		while (pos > 0 && before(g, out[pos - 1].gw, zone))
			pos--;
		if (pos >= cap)
			continue;
		/* When full, the last entry falls off the end. */
		keep = n < cap ? n : cap - 1;
		memmove(&out[pos + 1], &out[pos], (keep - pos) * sizeof(*out));
		out[pos] = c;
		if (n < cap)
			n++;
	}
	return n;
}

/* ---- hashing ---------------------------------------------------------- */

/*
 * The splitmix64 finaliser: a bijection on 64 bits in which every input
 * bit flips each output bit with probability close to 1/2.
 */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* Little-endian whatever the host, so that every node agrees. */
static uint64_t
le64(const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

/*
 * A hash of n bytes chained through mix() from h, eight bytes at a time.
 * The tail word carries its length so that trailing zero bytes count.
 * Not a defence against chosen inputs; a pod can steer its own flows
 * anyway by picking its source ports.
 */
static uint64_t
hash_bytes(uint64_t h, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	for (; n >= 8; p += 8, n -= 8)
		h = mix(h ^ le64(p, 8));
	return mix(h ^ le64(p, n) ^ (uint64_t)(n + 1) << 56);
}

uint64_t
egress_weight(const char *node, uint64_t flow_hash)
{
	const char *s = str(node);

	/* H(flow, node), the textbook HRW weight: the flow hash seeds a
	 * hash of the name, so each node's weight is its own draw. */
	return hash_bytes(mix(flow_hash ^ SEED_NODE), s, strlen(s));
}

uint64_t
egress_flow_hash(const struct sluice_addr *src,
    const struct sluice_addr *dst, uint8_t proto, uint16_t sport,
    uint16_t dport)
{
	/* family, source, destination, protocol, ports (big-endian): a
	 * fixed layout, zero-padded, independent of struct padding. */
	uint8_t b[1 + 16 + 16 + 1 + 2 + 2] = { 0 };
	size_t sl = sluice_addr_len(src->family);
	size_t dl = sluice_addr_len(dst->family);

	b[0] = src->family == AF_INET6 ? 6 : src->family == AF_INET ? 4 : 0;
	memcpy(&b[1], src->u.b, sl);
	memcpy(&b[17], dst->u.b, dl);
	b[33] = proto;
	b[34] = (uint8_t)(sport >> 8);
	b[35] = (uint8_t)sport;
	b[36] = (uint8_t)(dport >> 8);
	b[37] = (uint8_t)dport;
	return hash_bytes(SEED_FLOW, b, sizeof(b));
}

/* ---- picking a gateway ------------------------------------------------ */

int
egress_pick(const struct egress_candidate *c, size_t n, uint64_t flow_hash,
    int pinned)
{
	uint64_t best_w = 0;
	int best = -1;

	if (pinned >= 0 && (size_t)pinned < n && c[pinned].healthy)
		return pinned;
	for (size_t i = 0; i < n; i++) {
		uint64_t w;

		if (!c[i].healthy || c[i].gw->draining)
			continue;
		w = egress_weight(c[i].gw->node, flow_hash);
		if (best < 0 || w > best_w || (w == best_w &&
		    strcmp(str(c[i].gw->node), str(c[best].gw->node)) < 0)) {
			best = (int)i;
			best_w = w;
		}
	}
	return best;
}
