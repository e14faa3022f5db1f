/*
 * bindings.c - the bindings table of dns.h: per pod, the names it
 * resolved and the addresses they resolved to, until they expire.
 *
 * Layout. One preallocated array of lim.total 80-byte entries, one per
 * (pod, name, address) binding, with a free list; nothing else grows
 * with the number of bindings except the two kinds of records made on
 * first use and freed with their last binding:
 *   - names, interned and counted: one answer binds its name to up to 64
 *     addresses, and the replicas of a workload resolve the same names,
 *     so an entry holds a pointer rather than 256 bytes of text;
 *   - pods: the pod's own count and its own heap (below).
 * So a binding costs its entry and its share of three hash bucket arrays
 * and the global heap (dns_bindings_bytes() says how much, names and pods
 * included), and an add can fail with -ENOMEM only when it brings a new
 * name or pod, or grows a pod's heap.
 *
 * Lookups. The match path hashes (pod, address) into chains of entries
 * (buckets >= lim.total, so chains of about one); the bindings of one
 * pair are usually one to three names, each checked against the
 * patterns. An add finds an existing binding the same way. Pods and
 * names have hash tables of their own, used by adds and forget_pod()
 * only. Every hash is keyed by a random seed, because pods choose the
 * names they resolve and, through the answers, the addresses: a fixed
 * hash would let one pile its bindings into a single chain.
 *
 * Eviction and expiry. Two binary min-heaps on the expiry, holding entry
 * indices (each entry knows its place in both):
 *   - a global one over all bindings: the binding the total limit evicts
 *     is at its top, and dns_bindings_expire() pops dead bindings off it,
 *     so its work is proportional to what it frees, not to the table;
 *   - one per pod over the pod's bindings, for the per-pod limit. A
 *     per-pod list scanned for its earliest would be simpler, but a pod
 *     at its limit would then make every one of its answers cost a scan
 *     of per_pod entries with the table locked, and the pod chooses how
 *     often it resolves.
 * An exact heap rather than a lazy scheme (a clock hand, or evicting
 * whatever is nearly earliest) because the header promises the earliest,
 * and O(log n) per add is small next to parsing the answer. A refresh
 * only ever moves an expiry later, which is a sift down in both heaps.
 * Ties between equal expiries are broken arbitrarily. Over a limit the
 * new binding takes part too: if it would expire before every binding
 * it could displace, it is the one evicted (and counted), so the table
 * always keeps the bindings that live longest.
 *
 * Time. Expiries are wall-clock seconds as the caller gives them; the
 * table never reads a clock. A binding is alive at now while now <=
 * expires + grace (computed without overflow), whether or not
 * dns_bindings_expire() has run.
 *
 * Concurrency (STYLE.md §5). One mutex, mu, guards everything but the
 * seed and the bucket counts (fixed at creation); every exported
 * function takes it for its call, and the static helpers below assume it
 * is held (asserted in debug builds). The data-path worker adds and
 * matches, the main loop walks, expires and forgets. One lock rather than
 * shards because the table is touched per DNS answer and per new flow,
 * not per packet, and the total limit and its global heap cross pods
 * anyway. Hold times: an add is O(log n), a match one chain and its
 * pattern checks; dns_bindings_expire() is O(log n) per binding it frees
 * and dns_bindings_walk() holds it throughout, as its contract says (so
 * its callback should only copy). Letting go of the lock in the middle
 * of a long expiry would not help: a glibc mutex does not hand over to a
 * waiter, the releasing thread takes it straight back. Expiring every
 * second keeps each call to what died in that second.
 */
#include "dns/dns.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

/* Above this the bucket arrays would overflow their uint32_t indices. */
#define MAX_TOTAL (1u << 30)

/* An interned name, shared by every binding of it (any pod). */
struct name {
	struct name *next;	/* hash chain */
	uint32_t refs;		/* entries pointing here */
	uint32_t h;
	uint16_t len;
	char s[];		/* len bytes and a NUL */
};

/* A pod with at least one binding (or being given its first). */
struct pod {
	struct pod *next;	/* hash chain */
	uint32_t *heap;		/* its entries, earliest expiry on top */
	uint32_t n, cap;	/* in heap; room for */
	uint32_t h;
	uint8_t fam;
	uint8_t a[16];
};

/* Index of an entry's place in each heap. */
enum { GLOBAL = 0, POD = 1 };

/* Addresses are kept as 16 bytes, an IPv4 one zero-padded. */
struct ent {
	uint8_t pod[16];
	uint8_t addr[16];
	uint64_t expires;
	struct name *name;	/* NULL while free */
	struct pod *p;
	uint32_t h;		/* pair hash */
	uint32_t hnext;		/* pair chain or free list, index + 1 */
	uint32_t hpos[2];	/* place in the global and the pod heap */
	uint8_t pfam, afam;
};
_Static_assert(sizeof(struct ent) == 80, "a binding entry is 80 bytes");

struct dns_bindings {
	pthread_mutex_t mu;	/* guards all but seed, the masks, lim */
	bool held;		/* mu is held (for assertions) */
	struct dns_limits lim;
	uint64_t seed[2];
	struct ent *e;		/* lim.total entries */
	uint32_t efree;		/* free list, index + 1 */
	uint32_t n;		/* bindings, and the size of heap */
	uint32_t *heap;		/* global heap, lim.total */
	uint32_t *pair;		/* (pod, address) buckets, index + 1 */
	uint32_t pair_mask;
	struct name **names;
	uint32_t name_mask;
	struct pod **pods;
	uint32_t pod_mask;
	/* The pod an add is working for: drop() must not free it when an
	 * eviction takes its last binding, the add is about to give it one. */
	struct pod *pin;
	/* Bytes of names and pods, read without the lock by
	 * dns_bindings_bytes(). */
	atomic_size_t dyn;
	struct dns_stats st;	/* bindings unused: n is the truth */
};

static void
lock(struct dns_bindings *t)
{
	pthread_mutex_lock(&t->mu);
	t->held = true;
}

static void
unlock(struct dns_bindings *t)
{
	assert(t->held);
	t->held = false;
	pthread_mutex_unlock(&t->mu);
}

/* ---- keys and hashes ---------------------------------------------------- */

/* a's bytes into k (zero-padded) and its family; false if it has none. */
static bool
key_of(const struct sluice_addr *a, uint8_t k[16], uint8_t *fam)
{
	memset(k, 0, 16);
	if (a->family == AF_INET)
		memcpy(k, &a->u.v4, 4);
	else if (a->family == AF_INET6)
		memcpy(k, &a->u.v6, 16);
	else
		return false;
	*fam = (uint8_t)a->family;
	return true;
}

static void
addr_of(const uint8_t k[16], uint8_t fam, struct sluice_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = fam;
	memcpy(a->u.b, k, fam == AF_INET ? 4 : 16);
}

/* MurmurHash3's finalizer: a bijection that avalanches. */
static inline uint64_t
fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t
step(uint64_t h, uint64_t w)
{
	h ^= w * 0x87c37b91114253d5ull;
	h = (h << 31) | (h >> 33);
	return h * 0x4cf5ad432745937full;
}

/* A pod with no address (0 family) hashes the pod alone. */
static uint32_t
pair_hash(const struct dns_bindings *t, const uint8_t pod[16], uint8_t pf,
    const uint8_t addr[16], uint8_t af)
{
	uint64_t w[4], h = t->seed[0] ^ ((uint64_t)pf << 8 | af);

	memcpy(w, pod, 16);
	memcpy(w + 2, addr, 16);
	for (int i = 0; i < 4; i++)
		h = step(h, w[i]);
	return (uint32_t)fmix(h);
}

static uint32_t
name_hash(const struct dns_bindings *t, const char *s, size_t len)
{
	uint64_t h = t->seed[1] ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = step(h, w);
	}
	w = 0;
	memcpy(&w, s, len);
	return (uint32_t)fmix(step(h, w));
}

/*
 * Name into out as the table keeps it: lowercase, no trailing dot.
 * The parser gives names that way already; doing it here too keeps
 * "Example.COM." and "example.com" one binding whoever calls. Returns
 * the length, or 0 for a name that is empty or too long.
 */
static size_t
norm_name(const char *name, char out[DNS_NAME_MAX])
{
	size_t len = strnlen(name, DNS_NAME_MAX);

	if (len == DNS_NAME_MAX)
		return 0;
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	return len;
}

static void
copy_name(const struct name *nm, char *dst, size_t size)
{
	size_t n;

	if (dst == NULL || size == 0)
		return;
	n = nm->len < size - 1 ? nm->len : size - 1;
	memcpy(dst, nm->s, n);
	dst[n] = '\0';
}

/* now <= expires + grace, without computing expires + grace. */
static inline bool
alive(uint64_t expires, uint64_t now, uint32_t grace)
{
	return now <= expires || now - expires <= grace;
}

/* ---- heaps (lock held) -------------------------------------------------- */

static void
sift_up(struct ent *e, uint32_t *a, uint32_t pos, int k)
{
	uint32_t x = a[pos];

	while (pos > 0) {
		uint32_t up = (pos - 1) / 2;

		if (e[a[up]].expires <= e[x].expires)
			break;
		a[pos] = a[up];
		e[a[pos]].hpos[k] = pos;
		pos = up;
	}
	a[pos] = x;
	e[x].hpos[k] = pos;
}

static void
sift_down(struct ent *e, uint32_t *a, uint32_t n, uint32_t pos, int k)
{
	uint32_t x = a[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= n)
			break;
		if (c + 1 < n && e[a[c + 1]].expires < e[a[c]].expires)
			c++;
		if (e[x].expires <= e[a[c]].expires)
			break;
		a[pos] = a[c];
		e[a[pos]].hpos[k] = pos;
		pos = c;
	}
	a[pos] = x;
	e[x].hpos[k] = pos;
}

static void
heap_push(struct ent *e, uint32_t *a, uint32_t *n, uint32_t i, int k)
{
	a[*n] = i;
	sift_up(e, a, (*n)++, k);
}

static void
heap_del(struct ent *e, uint32_t *a, uint32_t *n, uint32_t pos, int k)
{
	uint32_t last = a[--*n];

	if (pos == *n)
		return;
	a[pos] = last;
	e[last].hpos[k] = pos;
	sift_up(e, a, pos, k);
	sift_down(e, a, *n, e[last].hpos[k], k);
}

/* ---- names and pods (lock held) ----------------------------------------- */

/* A reference to the name s[0..len), made if new; NULL if out of memory. */
static struct name *
name_get(struct dns_bindings *t, const char *s, size_t len, uint32_t h)
{
	struct name **b = &t->names[h & t->name_mask], *nm;

	assert(t->held);
	for (nm = *b; nm != NULL; nm = nm->next)
		if (nm->h == h && nm->len == len &&
		    memcmp(nm->s, s, len) == 0) {
			nm->refs++;
			return nm;
		}
	if ((nm = malloc(sizeof(*nm) + len + 1)) == NULL)
		return NULL;
	nm->refs = 1;
	nm->h = h;
	nm->len = (uint16_t)len;
	memcpy(nm->s, s, len);
	nm->s[len] = '\0';
	nm->next = *b;
	*b = nm;
	atomic_fetch_add_explicit(&t->dyn, sizeof(*nm) + len + 1,
	    memory_order_relaxed);
	return nm;
}

static void
name_put(struct dns_bindings *t, struct name *nm)
{
	struct name **pp;

	assert(t->held && nm->refs > 0);
	if (--nm->refs > 0)
		return;
	for (pp = &t->names[nm->h & t->name_mask]; *pp != nm;
	    pp = &(*pp)->next)
		;
	*pp = nm->next;
	atomic_fetch_sub_explicit(&t->dyn, sizeof(*nm) + nm->len + 1,
	    memory_order_relaxed);
	free(nm);
}

static struct pod *
pod_find(struct dns_bindings *t, const uint8_t a[16], uint8_t fam,
    uint32_t h)
{
	struct pod *p;

	assert(t->held);
	for (p = t->pods[h & t->pod_mask]; p != NULL; p = p->next)
		if (p->h == h && p->fam == fam && memcmp(p->a, a, 16) == 0)
			break;
	return p;
}

static struct pod *
pod_make(struct dns_bindings *t, const uint8_t a[16], uint8_t fam,
    uint32_t h)
{
	struct pod **b = &t->pods[h & t->pod_mask], *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->h = h;
	p->fam = fam;
	memcpy(p->a, a, 16);
	p->next = *b;
	*b = p;
	atomic_fetch_add_explicit(&t->dyn, sizeof(*p), memory_order_relaxed);
	return p;
}

/* Frees p if it has no binding left. */
static void
pod_reap(struct dns_bindings *t, struct pod *p)
{
	struct pod **pp;

	assert(t->held);
	if (p->n > 0)
		return;
	for (pp = &t->pods[p->h & t->pod_mask]; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	atomic_fetch_sub_explicit(&t->dyn, sizeof(*p) +
	    (size_t)p->cap * sizeof(*p->heap), memory_order_relaxed);
	free(p->heap);
	free(p);
}

/* Room in p's heap for one more binding; 0 or -ENOMEM. */
static int
pod_reserve(struct dns_bindings *t, struct pod *p)
{
	uint32_t max = t->lim.per_pod < t->lim.total ? t->lim.per_pod :
	    t->lim.total, cap;
	uint32_t *h;

	/* At its limit the add evicts one of its bindings first. */
	if (p->n < p->cap || p->n >= max)
		return 0;
	cap = p->cap < 4 ? 4 : p->cap * 2;
	if (cap > max)
		cap = max;
	if ((h = realloc(p->heap, (size_t)cap * sizeof(*h))) == NULL)
		return -ENOMEM;
	atomic_fetch_add_explicit(&t->dyn,
	    (size_t)(cap - p->cap) * sizeof(*h), memory_order_relaxed);
	p->heap = h;
	p->cap = cap;
	return 0;
}

/* ---- entries (lock held) ------------------------------------------------ */

/* Removes binding i (0-based) from everything and frees its entry. */
static void
drop(struct dns_bindings *t, uint32_t i)
{
	struct ent *e = &t->e[i];
	struct pod *p = e->p;
	uint32_t *pp;

	assert(t->held && e->name != NULL);
	for (pp = &t->pair[e->h & t->pair_mask]; *pp != i + 1;
	    pp = &t->e[*pp - 1].hnext)
		;
	*pp = e->hnext;
	heap_del(t->e, t->heap, &t->n, e->hpos[GLOBAL], GLOBAL);
	heap_del(t->e, p->heap, &p->n, e->hpos[POD], POD);
	name_put(t, e->name);
	e->name = NULL;
	e->p = NULL;
	e->hnext = t->efree;
	t->efree = i + 1;
	if (p != t->pin)
		pod_reap(t, p);
}

static inline bool
same_pair(const struct ent *e, uint32_t h, const uint8_t pod[16], uint8_t pf,
    const uint8_t addr[16], uint8_t af)
{
	return e->h == h && e->pfam == pf && e->afam == af &&
	    memcmp(e->addr, addr, 16) == 0 && memcmp(e->pod, pod, 16) == 0;
}

/* ---- table -------------------------------------------------------------- */

static uint32_t
next_pow2(uint32_t v)
{
	uint32_t p = 16;

	while (p < v)
		p <<= 1;
	return p;
}

struct dns_bindings *
dns_bindings_new(const struct dns_limits *lim)
{
	struct dns_bindings *t;
	uint32_t total;

	if (lim->total < 1 || lim->per_pod < 1 || lim->total > MAX_TOTAL) {
		errno = EINVAL;
		return NULL;
	}
	total = lim->total;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->lim = *lim;
	if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(t->seed)) {
		/* Early boot without entropy: weaker, but still not fixed. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->seed[0] = fmix((uint64_t)ts.tv_nsec ^ (uintptr_t)t);
		t->seed[1] = fmix(t->seed[0] ^ (uint64_t)ts.tv_sec);
	}
	pthread_mutex_init(&t->mu, NULL);
	atomic_init(&t->dyn, 0);
	/* Chains of about one at the limit; names and pods are fewer than
	 * bindings (an answer binds one name to several addresses, a pod
	 * holds several bindings), and only adds look them up. */
	t->pair_mask = next_pow2(total) - 1;
	t->name_mask = next_pow2(total / 2) - 1;
	t->pod_mask = next_pow2(total / 4) - 1;
	t->e = calloc(total, sizeof(*t->e));
	t->heap = calloc(total, sizeof(*t->heap));
	t->pair = calloc((size_t)t->pair_mask + 1, sizeof(*t->pair));
	t->names = calloc((size_t)t->name_mask + 1, sizeof(*t->names));
	t->pods = calloc((size_t)t->pod_mask + 1, sizeof(*t->pods));
	if (t->e == NULL || t->heap == NULL || t->pair == NULL ||
	    t->names == NULL || t->pods == NULL) {
		dns_bindings_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < total; i++)
		t->e[i].hnext = i + 2 <= total ? i + 2 : 0;
	t->efree = 1;
	return t;
}

void
dns_bindings_free(struct dns_bindings *t)
{
	if (t == NULL)
		return;
	/* Names and pods are reachable from their tables alone. */
	for (uint32_t b = 0; t->names != NULL && b <= t->name_mask; b++)
		for (struct name *nm = t->names[b], *nx; nm != NULL; nm = nx) {
			nx = nm->next;
			free(nm);
		}
	for (uint32_t b = 0; t->pods != NULL && b <= t->pod_mask; b++)
		for (struct pod *p = t->pods[b], *nx; p != NULL; p = nx) {
			nx = p->next;
			free(p->heap);
			free(p);
		}
	free(t->pods);
	free(t->names);
	free(t->pair);
	free(t->heap);
	free(t->e);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int
dns_bindings_add(struct dns_bindings *t, const struct sluice_addr *pod,
    const char *name, const struct sluice_addr *addr, uint64_t expires)
{
	uint8_t pk[16], ak[16], zero[16] = { 0 }, pf, af;
	char nb[DNS_NAME_MAX];
	uint32_t h, nh, ph, i;
	struct name *nm;
	struct pod *p;
	struct ent *e;
	size_t len;
	bool lost = false;
	int r = 0;

	if (!key_of(pod, pk, &pf) || !key_of(addr, ak, &af) ||
	    (len = norm_name(name, nb)) == 0)
		return -EINVAL;
	h = pair_hash(t, pk, pf, ak, af);
	nh = name_hash(t, nb, len);
	ph = pair_hash(t, pk, pf, zero, 0);
	lock(t);
	for (i = t->pair[h & t->pair_mask]; i != 0; i = e->hnext) {
		e = &t->e[i - 1];
		if (same_pair(e, h, pk, pf, ak, af) && e->name->h == nh &&
		    e->name->len == len && memcmp(e->name->s, nb, len) == 0) {
			t->st.refreshed++;
			if (expires > e->expires) {
				e->expires = expires;
				sift_down(t->e, t->heap, t->n, e->hpos[GLOBAL],
				    GLOBAL);
				sift_down(t->e, e->p->heap, e->p->n,
				    e->hpos[POD], POD);
			}
			goto out;
		}
	}
	/* Everything that can fail before anything is evicted: a failed
	 * add changes nothing. */
	if ((p = pod_find(t, pk, pf, ph)) == NULL &&
	    (p = pod_make(t, pk, pf, ph)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (pod_reserve(t, p) != 0 || (nm = name_get(t, nb, len, nh)) == NULL) {
		pod_reap(t, p);
		r = -ENOMEM;
		goto out;
	}
	t->pin = p;
	t->st.added++;
	/* Room for one more, at the cost of whichever expires first, the new
	 * binding included. The pod's own limit goes first: evicting one of
	 * its bindings makes room in the total too. */
	if (p->n >= t->lim.per_pod) {
		t->st.evicted_pod++;
		if (expires < t->e[p->heap[0]].expires)
			lost = true;
		else
			drop(t, p->heap[0]);
	} else if (t->n >= t->lim.total) {
		t->st.evicted_total++;
		if (expires < t->e[t->heap[0]].expires)
			lost = true;
		else
			drop(t, t->heap[0]);
	}
	t->pin = NULL;
	if (lost) {
		name_put(t, nm);
		pod_reap(t, p);
		goto out;
	}
	i = t->efree - 1;
	e = &t->e[i];
	t->efree = e->hnext;
	memcpy(e->pod, pk, 16);
	memcpy(e->addr, ak, 16);
	e->pfam = pf;
	e->afam = af;
	e->expires = expires;
	e->name = nm;
	e->p = p;
	e->h = h;
	e->hnext = t->pair[h & t->pair_mask];
	t->pair[h & t->pair_mask] = i + 1;
	heap_push(t->e, t->heap, &t->n, i, GLOBAL);
	heap_push(t->e, p->heap, &p->n, i, POD);
out:
	unlock(t);
	return r;
}

/*
 * The first binding of (pod, addr) alive at now whose name matches one
 * of patterns[0..n) (any name if patterns is NULL); lock held.
 */
static const struct name *
find_live(struct dns_bindings *t, const struct sluice_addr *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    uint64_t now, uint32_t grace)
{
	uint8_t pk[16], ak[16], pf, af;
	uint32_t h;

	if (!key_of(pod, pk, &pf) || !key_of(addr, ak, &af))
		return NULL;
	h = pair_hash(t, pk, pf, ak, af);
	for (uint32_t i = t->pair[h & t->pair_mask]; i != 0;
	    i = t->e[i - 1].hnext) {
		const struct ent *e = &t->e[i - 1];

		if (!same_pair(e, h, pk, pf, ak, af) ||
		    !alive(e->expires, now, grace))
			continue;
		if (patterns == NULL)
			return e->name;
		for (size_t k = 0; k < n; k++)
			if (dns_name_matches(patterns[k], e->name->s))
				return e->name;
	}
	return NULL;
}

bool
dns_bindings_match(struct dns_bindings *t, const struct sluice_addr *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    uint64_t now, uint32_t grace, char *name, size_t size)
{
	const struct name *nm;

	if (n == 0)
		return false;
	lock(t);
	if ((nm = find_live(t, pod, addr, patterns, n, now, grace)) != NULL)
		copy_name(nm, name, size);
	unlock(t);
	return nm != NULL;
}

bool
dns_bindings_any(struct dns_bindings *t, const struct sluice_addr *pod,
    const struct sluice_addr *addr, uint64_t now, uint32_t grace, char *name,
    size_t size)
{
	const struct name *nm;

	lock(t);
	if ((nm = find_live(t, pod, addr, NULL, 0, now, grace)) != NULL)
		copy_name(nm, name, size);
	unlock(t);
	return nm != NULL;
}

size_t
dns_bindings_forget_pod(struct dns_bindings *t, const struct sluice_addr *pod)
{
	uint8_t pk[16], zero[16] = { 0 }, pf;
	struct pod *p;
	size_t n = 0;

	if (!key_of(pod, pk, &pf))
		return 0;
	lock(t);
	if ((p = pod_find(t, pk, pf, pair_hash(t, pk, pf, zero, 0))) != NULL) {
		n = p->n;
		/* From the heap's end: no sifting. The last drop frees p. */
		while (p->n > 1)
			drop(t, p->heap[p->n - 1]);
		drop(t, p->heap[0]);
	}
	unlock(t);
	return n;
}

size_t
dns_bindings_expire(struct dns_bindings *t, uint64_t now, uint32_t grace)
{
	size_t n = 0;

	lock(t);
	while (t->n > 0 && !alive(t->e[t->heap[0]].expires, now, grace)) {
		drop(t, t->heap[0]);
		t->st.expired++;
		n++;
	}
	unlock(t);
	return n;
}

void
dns_bindings_walk(struct dns_bindings *t,
    bool (*fn)(void *arg, const struct dns_binding_info *b), void *arg)
{
	struct dns_binding_info bi;
	bool go = true;

	lock(t);
	/* Pod by pod, so that a listing comes grouped. */
	for (uint32_t b = 0; b <= t->pod_mask && go; b++)
		for (const struct pod *p = t->pods[b]; p != NULL && go;
		    p = p->next) {
			addr_of(p->a, p->fam, &bi.pod);
			for (uint32_t j = 0; j < p->n && go; j++) {
				const struct ent *e = &t->e[p->heap[j]];

				memcpy(bi.name, e->name->s, e->name->len + 1u);
				addr_of(e->addr, e->afam, &bi.addr);
				bi.expires = e->expires;
				go = fn(arg, &bi);
			}
		}
	unlock(t);
}

void
dns_stats_get(struct dns_bindings *t, struct dns_stats *st)
{
	lock(t);
	*st = t->st;
	st->bindings = t->n;
	unlock(t);
}

size_t
dns_bindings_bytes(const struct dns_bindings *t)
{
	size_t total = t->lim.total, b;

	b = sizeof(*t) + total * (sizeof(struct ent) + sizeof(*t->heap));
	b += ((size_t)t->pair_mask + 1) * sizeof(*t->pair);
	b += ((size_t)t->name_mask + 1) * sizeof(*t->names);
	b += ((size_t)t->pod_mask + 1) * sizeof(*t->pods);
	b += atomic_load_explicit(&t->dyn, memory_order_relaxed);
	return (b + total - 1) / total;
}
