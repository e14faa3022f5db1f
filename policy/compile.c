/*
 * compile.c - the compiled matcher. policy_compile() precomputes, once
 * per world, everything policy_eval() works out per call:
 *
 *   - classification: one hash table from address to pod or node (first
 *     pod, then first node holding it, as eval's scan finds them);
 *   - per pod and direction, three lists: the AdminNetworkPolicies whose
 *     subject selects it, in (priority, name, index) order; the
 *     NetworkPolicies isolating it, in world order; the BANPs whose
 *     subject selects it. Identical lists are stored once;
 *   - per rule: its ports (named ports as interned string ids, resolved
 *     against the port pod's container ports at check time, as eval
 *     does), the pods its selector peers select (a bitset over pod
 *     indexes, identical sets stored once), its address peers (ipBlocks
 *     with excepts, ANP networks and nodes, NetworkSets) as at most two
 *     sorted boundary arrays, see "address sets" below, and its
 *     domainNames peers (egress only; for ANP and BANP in Allow rules
 *     only) as the borrowed pattern lists, in peer order, which are
 *     handed to the world's dns_match when nothing else matched: the
 *     bindings change between packets, so they cannot be compiled in.
 *
 * policy_check() then does two hash lookups and walks only the rules that
 * apply to the subject pod, each costing a bit test and at most two
 * binary searches. Wherever eval makes a fail-closed choice for a record
 * validation refuses (a peer with no field, a nil selector, an unknown
 * action), the compiled form makes the same one, so the two agree on any
 * world, validated or not, except prefixes longer than their family
 * (those match nothing here).
 */
#include "policy/compile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define DI(dir) ((dir) == POLICY_INGRESS ? 0u : 1u)

/* The fixed ids, 2 * kind + direction index (ingress 0, egress 1). */
enum {
	FIX_NOT_POD = 0,
	FIX_DEFAULT,
	FIX_SELF,
	FIX_LOCAL_NODE,
	FIX_COUNT,
};

/* ---- compiled form ---------------------------------------------------- */

/* One entry of a rule's ports; the rule's entries are ORed. */
struct cport {
	int32_t lo, hi;		/* numeric: lo <= dport <= hi */
	uint32_t name;		/* named port (string id), NONE: numeric */
	int proto;		/* must equal the connection's */
	bool any_proto;		/* ANP named port: the container port's */
};

/* One domainNames peer: patterns borrowed from the world. */
struct cdom {
	const char *const *names;
	size_t n;		/* >= 1 */
};

struct crule {
	uint32_t id;
	uint32_t port_off, nports;
	uint32_t pods;		/* pod bitset id, NONE: no pod peers */
	uint32_t addr[2];	/* address set ids, NONE: unused */
	uint32_t dom_off, ndoms; /* into pc->doms */
	int action;		/* enum policy_action; 0 for NetworkPolicy */
	bool any_peer;		/* peers match every peer */
	bool all_ports;		/* no ports: every port and protocol */
	bool need_l4;		/* NetworkPolicy ports: TCP, UDP, SCTP only */
};

/* A pod's named container port. */
struct pport {
	uint32_t name;
	int proto;		/* proto_or_tcp() of the container port */
	uint16_t port;
};

struct span {
	uint32_t off, n;
};

struct cpod {
	uint32_t node;		/* node name string id, NONE: unknown */
	struct span ports;	/* into pc->pports */
	struct span anp[2];	/* ANP indexes, into pc->lists */
	struct span np[2];	/* NetworkPolicy indexes */
	struct span banp[2];	/* BANP indexes */
};

/* An address set: sorted boundaries, membership flips at each. */
struct aset {
	struct span v4;		/* into pc->b4 */
	struct span v6;		/* into pc->b6 */
};

/* A 128-bit key, most significant half first; IPv4 uses lo only. */
struct key {
	uint64_t hi, lo;
};

/* Classification: an address held by pod val, or node val - npods. */
struct aent {
	uint8_t b[16];
	uint32_t val;
	int family;		/* 0: empty slot */
};

enum id_kind {
	ID_FIXED = 0,
	ID_ANP,
	ID_NP_ISO,
	ID_NP,
	ID_BANP,
};

struct idinfo {
	uint8_t kind;
	uint8_t di;
	uint32_t obj;		/* object index; the fixed kind for ID_FIXED */
	uint32_t rule;
};

struct counter {
	_Atomic uint64_t flows;
	_Atomic uint64_t pkts;
};

struct policy_compiled {
	const struct policy_world *w;	/* borrowed, outlives pc */
	uint32_t npods, nnodes;

	struct aent *addrs;		/* open addressing, power of two */
	uint32_t addr_mask;

	uint32_t *node_name;		/* per node: string id or NONE */
	struct cpod *pods;
	struct pport *pports;

	struct crule *rules;
	struct cport *cports;
	struct cdom *doms;
	struct span *anp_rules;		/* [2 * anp + di] into rules */
	struct span *np_rules;
	struct span *banp_rules;
	uint32_t *np_iso;		/* [2 * np + di]: the isolation id */

	uint32_t *lists;		/* pool of the per-pod lists */
	uint64_t *bits;			/* pool of pod bitsets */
	size_t *bits_off;		/* per bitset id: word offset */

	struct aset *asets;
	uint32_t *b4;
	struct key *b6;

	struct idinfo *ids;
	struct counter *counters;
	uint32_t nids;

	size_t bytes;			/* what the arrays above take */
};

/* ---- small helpers ---------------------------------------------------- */

static int
proto_or_tcp(int p)
{
	return p != 0 ? p : IPPROTO_TCP;
}

static bool
l4(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_SCTP;
}

static bool
sel_matches(const struct sluice_selector *sel, const struct sluice_label *l,
    size_t n)
{
	return sel != NULL && sluice_selector_matches(sel, l, n);
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	while (n >= 8) {
		uint64_t v;

		memcpy(&v, b, 8);
		h = mix(h ^ v);
		b += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t v = 0;

		memcpy(&v, b, n);
		h = mix(h ^ v ^ 0xa5);
	}
	return h;
}

/* Makes room for need elements of size el in *p (capacity *cap). */
static int
reserve(void *pp, size_t *cap, size_t need, size_t el)
{
	void **p = pp;
	size_t nc = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / el)
			return -ENOMEM;
		nc *= 2;
	}
	np = realloc(*p, nc * el);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

/* ---- interning -------------------------------------------------------- */

/*
 * A set of byte strings, each stored once and numbered in order of first
 * insertion. Entries start at 8-byte aligned offsets of the pool, so the
 * pool doubles as the storage of bitsets and id lists.
 */
struct itab {
	unsigned char *pool;
	size_t used, cap;
	size_t *off;
	uint32_t *len;
	uint64_t *hash;
	size_t n, ncap;
	uint32_t *slots;	/* id + 1, 0: empty */
	size_t nslots;
};

static void
itab_free(struct itab *t)
{
	free(t->pool);
	free(t->off);
	free(t->len);
	free(t->hash);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static int
itab_rehash(struct itab *t)
{
	size_t ns = t->nslots ? 2 * t->nslots : 64;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = t->hash[i] & (ns - 1);

		while (s[j] != 0)
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return 0;
}

/* Sets *id to data's number, adding it if new. Returns 0 or -ENOMEM. */
static int
itab_add(struct itab *t, const void *data, size_t len, uint32_t *id)
{
	uint64_t h = hash_bytes(data, len);
	size_t j, at;

	if (len > UINT32_MAX || t->n >= NONE - 1)
		return -ENOMEM;
	if (2 * (t->n + 1) > t->nslots && itab_rehash(t) != 0)
		return -ENOMEM;
	for (j = h & (t->nslots - 1); t->slots[j] != 0;
	    j = (j + 1) & (t->nslots - 1)) {
		size_t i = t->slots[j] - 1;

		if (t->hash[i] == h && t->len[i] == len &&
		    memcmp(t->pool + t->off[i], data, len) == 0) {
			*id = (uint32_t)i;
			return 0;
		}
	}
	at = (t->used + 7) & ~(size_t)7;
	if (reserve(&t->pool, &t->cap, at + len + 8, 1) != 0)
		return -ENOMEM;
	if (t->n == t->ncap) {
		/* The three grow alike, from the same capacity. */
		size_t c1 = t->ncap, c2 = t->ncap, c3 = t->ncap;

		if (reserve(&t->off, &c1, t->n + 1, sizeof(*t->off)) != 0 ||
		    reserve(&t->len, &c2, t->n + 1, sizeof(*t->len)) != 0 ||
		    reserve(&t->hash, &c3, t->n + 1, sizeof(*t->hash)) != 0)
			return -ENOMEM;
		t->ncap = c1;
	}
	if (len > 0)
		memcpy(t->pool + at, data, len);
	t->used = at + len;
	t->off[t->n] = at;
	t->len[t->n] = (uint32_t)len;
	t->hash[t->n] = h;
	t->slots[j] = (uint32_t)t->n + 1;
	*id = (uint32_t)t->n++;
	return 0;
}

/* ---- address keys ----------------------------------------------------- */

static uint64_t
be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static struct key
addr_key(const struct sluice_addr *a)
{
	struct key k = { 0, 0 };

	if (a->family == AF_INET)
		k.lo = ntohl(a->u.v4.s_addr);
	else {
		k.hi = be64(a->u.b);
		k.lo = be64(a->u.b + 8);
	}
	return k;
}

static int
key_cmp(const struct key *a, const struct key *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

/* The host bits of a prefix of len bits of a width-bit family. */
static struct key
host_mask(unsigned len, unsigned width)
{
	struct key m = { 0, 0 };
	unsigned host = width - len;

	if (host >= 64) {
		m.lo = UINT64_MAX;
		m.hi = host >= 128 ? UINT64_MAX :
		    host == 64 ? 0 : (UINT64_MAX >> (128 - host));
	} else {
		m.lo = host == 0 ? 0 : UINT64_MAX >> (64 - host);
	}
	return m;
}

/* ---- the classification table ---------------------------------------- */

static size_t
aent_slot(const struct sluice_addr *a, uint8_t b[16])
{
	size_t len = sluice_addr_len(a->family);

	memset(b, 0, 16);
	memcpy(b, a->u.b, len);
	return hash_bytes(b, 16) ^ (size_t)a->family;
}

/* pod index, npods + node index, or NONE. */
static uint32_t
addr_find(const struct policy_compiled *pc, const struct sluice_addr *a)
{
	uint8_t b[16];
	size_t j = aent_slot(a, b) & pc->addr_mask;

	for (;; j = (j + 1) & pc->addr_mask) {
		const struct aent *e = &pc->addrs[j];

		if (e->family == 0)
			return NONE;
		if (e->family == a->family && memcmp(e->b, b, 16) == 0)
			return e->val;
	}
}

static void
addr_put(struct policy_compiled *pc, const struct sluice_addr *a,
    uint32_t val)
{
	uint8_t b[16];
	size_t j;

	if (sluice_addr_len(a->family) == 0)
		return;		/* never equal to a connection's address */
	j = aent_slot(a, b) & pc->addr_mask;
	for (;; j = (j + 1) & pc->addr_mask) {
		struct aent *e = &pc->addrs[j];

		if (e->family == 0) {
			memcpy(e->b, b, 16);
			e->family = a->family;
			e->val = val;
			return;
		}
		if (e->family == a->family && memcmp(e->b, b, 16) == 0)
			return;	/* the first holder wins, as in eval */
	}
}

/* ---- compile-time state ----------------------------------------------- */

/* One source of addresses of an address set, for deduplication. */
struct token {
	uint64_t kind;
	uint64_t ptr;
	uint64_t n;
};

enum {
	TOK_BLOCK = 1,		/* a policy_ip_block */
	TOK_NETS,		/* an ANP networks array */
	TOK_NODE,		/* a node's addresses */
	TOK_NETSET,		/* a NetworkSet */
	TOK_GNETSET,		/* a GlobalNetworkSet */
};

/* A prefix in an address set being built. */
struct item {
	struct key start, end;
	uint32_t block;
	bool except;
};

struct cc {
	const struct policy_world *w;
	struct policy_compiled *pc;

	struct itab strs;		/* strings: namespaces, nodes, ports */
	uint32_t *ns_first;		/* per string id: first namespace */
	uint32_t *pod_ns;		/* per pod: namespace string id */
	/* Pods by namespace string id (NONE last): CSR. */
	uint32_t *grp_start, *grp_pods, *grps;
	size_t ngrps;

	size_t words;			/* per pod bitset */
	uint64_t *scratch;		/* one bitset */
	struct itab bitsets;
	struct itab lists;
	struct itab asets;		/* token lists */
	size_t nasets_cap, b4_n, b4_cap, b6_n, b6_cap;

	struct token *toks[2];		/* a rule's literal and set sources */
	size_t ntoks[2], toks_cap[2];

	size_t nrules, rules_cap, ncports, cports_cap, ndoms, doms_cap;
	size_t npports, pports_cap;
	uint32_t *tmp;			/* a list being built */
};

static uint32_t
str_id(struct cc *cc, const char *s)
{
	uint32_t id;

	if (s == NULL)
		return NONE;
	/* Only called after every string was interned: never fails. */
	if (itab_add(&cc->strs, s, strlen(s), &id) != 0)
		return NONE;
	return id;
}

static int
str_add(struct cc *cc, const char *s)
{
	uint32_t id;

	return s == NULL ? 0 : itab_add(&cc->strs, s, strlen(s), &id);
}

/* Does sel (non-NULL) select namespace group g, as eval's ns_matches? */
static bool
grp_ns_matches(const struct cc *cc, const struct sluice_selector *sel,
    uint32_t g)
{
	uint32_t ns = g < cc->strs.n ? cc->ns_first[g] : NONE;

	if (ns == NONE)
		return sluice_selector_matches(sel, NULL, 0);
	return sluice_selector_matches(sel, cc->w->namespaces[ns].labels,
	    cc->w->namespaces[ns].nlabels);
}

static void
add_grp_pods(struct cc *cc, uint32_t g, const struct sluice_selector *podsel,
    bool nil_pod_all)
{
	for (uint32_t k = cc->grp_start[g]; k < cc->grp_start[g + 1]; k++) {
		uint32_t p = cc->grp_pods[k];
		const struct policy_pod *pod = &cc->w->pods[p];

		if (podsel == NULL ? nil_pod_all :
		    sluice_selector_matches(podsel, pod->labels, pod->nlabels))
			cc->scratch[p / 64] |= 1ull << (p % 64);
	}
}

/*
 * Adds to the scratch bitset the pods of the namespaces nssel selects
 * (nssel NULL: of namespace string own_ns) that podsel selects (podsel
 * NULL: all of them if nil_pod_all, else none).
 */
static void
add_pods(struct cc *cc, const struct sluice_selector *nssel, uint32_t own_ns,
    const struct sluice_selector *podsel, bool nil_pod_all)
{
	if (nssel == NULL) {
		if (own_ns != NONE)
			add_grp_pods(cc, own_ns, podsel, nil_pod_all);
		return;
	}
	for (size_t i = 0; i < cc->ngrps; i++) {
		if (grp_ns_matches(cc, nssel, cc->grps[i]))
			add_grp_pods(cc, cc->grps[i], podsel, nil_pod_all);
	}
}

static bool
scratch_empty(const struct cc *cc)
{
	for (size_t i = 0; i < cc->words; i++) {
		if (cc->scratch[i] != 0)
			return false;
	}
	return true;
}

/* Interns the scratch bitset (NONE if empty) and clears it. */
static int
take_pods(struct cc *cc, uint32_t *id)
{
	int r = 0;

	*id = NONE;
	if (!scratch_empty(cc))
		r = itab_add(&cc->bitsets, cc->scratch,
		    cc->words * sizeof(uint64_t), id);
	memset(cc->scratch, 0, cc->words * sizeof(uint64_t));
	return r;
}

/* ---- address sets ----------------------------------------------------- */

static int
add_token(struct cc *cc, int which, uint64_t kind, const void *ptr,
    uint64_t n)
{
	struct token t;

	if (reserve(&cc->toks[which], &cc->toks_cap[which],
	    cc->ntoks[which] + 1, sizeof(t)) != 0)
		return -ENOMEM;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.ptr = (uint64_t)(uintptr_t)ptr;
	t.n = n;
	cc->toks[which][cc->ntoks[which]++] = t;
	return 0;
}

static int
token_cmp(const void *a, const void *b)
{
	const struct token *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->ptr != y->ptr)
		return x->ptr < y->ptr ? -1 : 1;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int r = key_cmp(&x->start, &y->start);

	/* Equal starts: the wider prefix (the container) first. */
	return r != 0 ? r : -key_cmp(&x->end, &y->end);
}

struct items {
	struct item *v;
	size_t n, cap;
	uint32_t nblocks;
};

static int
add_item(struct items *it, const struct sluice_prefix *p, int family,
    uint32_t block, bool except)
{
	unsigned width = 8 * (unsigned)sluice_addr_len(family);
	struct item *x;
	struct key m;

	/* Longer than the family: eval's comparison reads past the address. */
	if (p->addr.family != family || p->len > width)
		return 0;
	if (reserve(&it->v, &it->cap, it->n + 1, sizeof(*x)) != 0)
		return -ENOMEM;
	x = &it->v[it->n++];
	m = host_mask(p->len, width);
	x->start = addr_key(&p->addr);
	x->start.hi &= ~m.hi;
	x->start.lo &= ~m.lo;
	x->end.hi = x->start.hi | m.hi;
	x->end.lo = x->start.lo | m.lo;
	x->block = block;
	x->except = except;
	return 0;
}

/* Gathers the prefixes of one family of a token list into it. */
static int
gather(struct cc *cc, const struct token *t, size_t n, int family,
    struct items *it)
{
	const struct policy_world *w = cc->w;

	it->n = 0;
	it->nblocks = 1;	/* block 0: every prefix without excepts */
	for (size_t i = 0; i < n; i++) {
		const void *ptr = (const void *)(uintptr_t)t[i].ptr;
		const struct policy_netset *s;
		const struct policy_node *nd;
		const struct policy_ip_block *b;
		const struct sluice_prefix *nets;

		switch (t[i].kind) {
		case TOK_BLOCK:
			b = ptr;
			if (b->cidr.addr.family != family)
				break;
			if (add_item(it, &b->cidr, family, it->nblocks, false))
				return -ENOMEM;
			for (size_t j = 0; j < b->nexcept; j++) {
				if (add_item(it, &b->except[j], family,
				    it->nblocks, true))
					return -ENOMEM;
			}
			it->nblocks++;
			break;
		case TOK_NETS:
			nets = ptr;
			for (size_t j = 0; j < t[i].n; j++) {
				if (add_item(it, &nets[j], family, 0, false))
					return -ENOMEM;
			}
			break;
		case TOK_NODE:
			nd = &w->nodes[t[i].n];
			for (size_t j = 0; j < nd->naddrs; j++) {
				struct sluice_prefix p = {
					.addr = nd->addrs[j],
					.len = (uint8_t)(8 * sluice_addr_len(
					    nd->addrs[j].family)),
				};

				if (add_item(it, &p, family, 0, false))
					return -ENOMEM;
			}
			break;
		case TOK_NETSET:
		case TOK_GNETSET:
			s = t[i].kind == TOK_NETSET ? &w->netsets[t[i].n] :
			    &w->global_netsets[t[i].n];
			for (size_t j = 0; j < s->nnets; j++) {
				if (add_item(it, &s->nets[j], family, 0, false))
					return -ENOMEM;
			}
			break;
		}
	}
	return 0;
}

/* Appends boundary k, or removes the last one if it is k (two flips). */
static void
flip(struct key *out, size_t *n, const struct key *k)
{
	if (*n > 0 && key_cmp(&out[*n - 1], k) == 0)
		(*n)--;
	else
		out[(*n)++] = *k;
}

struct sweep {
	uint32_t *in, *ex;	/* per block: cidrs, excepts containing */
	size_t active;		/* blocks with in > 0 and ex == 0 */
};

static void
apply(struct sweep *s, const struct item *x, int d)
{
	bool was = s->in[x->block] > 0 && s->ex[x->block] == 0;
	bool now;

	if (x->except)
		s->ex[x->block] += (uint32_t)d;
	else
		s->in[x->block] += (uint32_t)d;
	now = s->in[x->block] > 0 && s->ex[x->block] == 0;
	if (was && !now)
		s->active--;
	else if (!was && now)
		s->active++;
}

/*
 * Turns the prefixes into the boundaries where membership flips. The
 * prefixes nest or are disjoint, so a sweep in address order with a stack
 * of the prefixes containing the current point knows, at every point,
 * which cidrs and excepts hold it: the point is in the set when some
 * block has a cidr and no except holding it. O(n log n).
 */
static int
flatten(struct items *it, unsigned width, struct key **outp, size_t *nout)
{
	struct item **stack = NULL;
	struct key *out = NULL, max = host_mask(0, width);
	struct sweep s = { 0 };
	size_t sp = 0, n = 0;
	int r = -ENOMEM;

	*outp = NULL;
	*nout = 0;
	if (it->n == 0)
		return 0;
	qsort(it->v, it->n, sizeof(*it->v), item_cmp);
	stack = malloc(it->n * sizeof(*stack));
	out = malloc(2 * it->n * sizeof(*out));
	s.in = calloc(it->nblocks, sizeof(*s.in));
	s.ex = calloc(it->nblocks, sizeof(*s.ex));
	if (stack == NULL || out == NULL || s.in == NULL || s.ex == NULL)
		goto out;
	for (size_t i = 0; i <= it->n; i++) {
		struct item *x = i < it->n ? &it->v[i] : NULL;

		while (sp > 0 && (x == NULL ||
		    key_cmp(&stack[sp - 1]->end, &x->start) < 0)) {
			struct item *top = stack[--sp];
			bool was = s.active > 0;
			struct key k = top->end;

			apply(&s, top, -1);
			if (was == (s.active > 0) || key_cmp(&k, &max) == 0)
				continue;
			if (++k.lo == 0)
				k.hi++;
			flip(out, &n, &k);
		}
		if (x != NULL) {
			bool was = s.active > 0;

			apply(&s, x, +1);
			if (was != (s.active > 0))
				flip(out, &n, &x->start);
			stack[sp++] = x;
		}
	}
	*outp = out;
	*nout = n;
	out = NULL;
	r = 0;
out:
	free(out);
	free(s.in);
	free(s.ex);
	free(stack);
	return r;
}

/* Builds address set id from its token list t. */
static int
build_aset(struct cc *cc, uint32_t id, const struct token *t, size_t n)
{
	struct policy_compiled *pc = cc->pc;
	struct items it = { 0 };
	struct key *b = NULL;
	size_t nb;
	int r;

	if (reserve(&pc->asets, &cc->nasets_cap, (size_t)id + 1,
	    sizeof(*pc->asets)) != 0)
		return -ENOMEM;
	if ((r = gather(cc, t, n, AF_INET, &it)) != 0 ||
	    (r = flatten(&it, 32, &b, &nb)) != 0)
		goto out;
	if (cc->b4_n + nb > NONE ||
	    reserve(&pc->b4, &cc->b4_cap, cc->b4_n + nb, sizeof(*pc->b4))) {
		r = -ENOMEM;
		goto out;
	}
	pc->asets[id].v4.off = (uint32_t)cc->b4_n;
	pc->asets[id].v4.n = (uint32_t)nb;
	for (size_t i = 0; i < nb; i++)
		pc->b4[cc->b4_n++] = (uint32_t)b[i].lo;
	free(b);
	b = NULL;
	if ((r = gather(cc, t, n, AF_INET6, &it)) != 0 ||
	    (r = flatten(&it, 128, &b, &nb)) != 0)
		goto out;
	if (cc->b6_n + nb > NONE ||
	    reserve(&pc->b6, &cc->b6_cap, cc->b6_n + nb, sizeof(*pc->b6))) {
		r = -ENOMEM;
		goto out;
	}
	pc->asets[id].v6.off = (uint32_t)cc->b6_n;
	pc->asets[id].v6.n = (uint32_t)nb;
	if (nb > 0)
		memcpy(pc->b6 + cc->b6_n, b, nb * sizeof(*b));
	cc->b6_n += nb;
out:
	free(b);
	free(it.v);
	return r;
}

/* Turns the rule's token list `which` into an address set id (or NONE). */
static int
take_aset(struct cc *cc, int which, uint32_t *id)
{
	struct token *t = cc->toks[which];
	size_t n = cc->ntoks[which], m = 0;
	size_t before = cc->asets.n;
	int r;

	*id = NONE;
	cc->ntoks[which] = 0;
	if (n == 0)
		return 0;
	qsort(t, n, sizeof(*t), token_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m == 0 || token_cmp(&t[m - 1], &t[i]) != 0)
			t[m++] = t[i];
	}
	if ((r = itab_add(&cc->asets, t, m * sizeof(*t), id)) != 0)
		return r;
	if (cc->asets.n != before)
		return build_aset(cc, *id, t, m);
	return 0;
}

static bool
aset_has(const struct policy_compiled *pc, uint32_t id,
    const struct sluice_addr *a)
{
	const struct aset *s = &pc->asets[id];
	struct key k = addr_key(a);
	size_t lo = 0, hi;

	if (a->family == AF_INET) {
		const uint32_t *b = pc->b4 + s->v4.off;
		uint32_t x = (uint32_t)k.lo;

		hi = s->v4.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (b[mid] <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
	} else {
		const struct key *b = pc->b6 + s->v6.off;

		hi = s->v6.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (key_cmp(&b[mid], &k) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return (lo & 1) != 0;
}

/* ---- rules ------------------------------------------------------------ */

static struct crule *
new_rule(struct cc *cc)
{
	struct crule *r;

	if (cc->nrules >= NONE ||
	    reserve(&cc->pc->rules, &cc->rules_cap, cc->nrules + 1,
	    sizeof(*r)) != 0)
		return NULL;
	r = &cc->pc->rules[cc->nrules++];
	memset(r, 0, sizeof(*r));
	r->pods = NONE;
	r->addr[0] = r->addr[1] = NONE;
	r->port_off = (uint32_t)cc->ncports;
	r->dom_off = (uint32_t)cc->ndoms;
	return r;
}

/* A domainNames peer of r, in peer order; an empty list matches nothing. */
static int
add_dom(struct cc *cc, struct crule *r, const char *const *names, size_t n)
{
	if (names == NULL || n == 0)
		return 0;
	if (cc->ndoms >= NONE ||
	    reserve(&cc->pc->doms, &cc->doms_cap, cc->ndoms + 1,
	    sizeof(*cc->pc->doms)) != 0)
		return -ENOMEM;
	cc->pc->doms[cc->ndoms].names = names;
	cc->pc->doms[cc->ndoms].n = n;
	cc->ndoms++;
	r->ndoms++;
	return 0;
}

static int
add_cport(struct cc *cc, struct crule *r, int32_t lo, int32_t hi,
    uint32_t name, int proto, bool any_proto)
{
	struct cport *p;

	if (cc->ncports >= NONE ||
	    reserve(&cc->pc->cports, &cc->cports_cap, cc->ncports + 1,
	    sizeof(*p)) != 0)
		return -ENOMEM;
	p = &cc->pc->cports[cc->ncports++];
	p->lo = lo;
	p->hi = hi;
	p->name = name;
	p->proto = proto;
	p->any_proto = any_proto;
	r->nports++;
	return 0;
}

/* Selected NetworkSets (namespace NULL: any) or GlobalNetworkSets. */
static int
add_netsets(struct cc *cc, bool global, const struct sluice_selector *sel,
    const char *namespace)
{
	const struct policy_world *w = cc->w;
	const struct policy_netset *sets = global ? w->global_netsets :
	    w->netsets;
	size_t n = global ? w->nglobal_netsets : w->nnetsets;

	for (size_t i = 0; i < n; i++) {
		const struct policy_netset *s = &sets[i];

		if (!global && namespace != NULL && (s->namespace == NULL ||
		    strcmp(s->namespace, namespace) != 0))
			continue;
		if (!sel_matches(sel, s->labels, s->nlabels) || s->nnets == 0)
			continue;
		if (add_token(cc, 1, global ? TOK_GNETSET : TOK_NETSET, NULL,
		    i) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* The peers' pods and addresses into r, from cc's scratch and tokens. */
static int
finish_peers(struct cc *cc, struct crule *r)
{
	uint32_t pods, a0, a1;
	int e;

	if ((e = take_pods(cc, &pods)) != 0 ||
	    (e = take_aset(cc, 0, &a0)) != 0 ||
	    (e = take_aset(cc, 1, &a1)) != 0)
		return e;
	r->pods = pods;
	r->addr[0] = a0;
	r->addr[1] = a1;
	return 0;
}

static int
np_rule(struct cc *cc, const struct policy_np *np,
    const struct policy_np_rule *rule, unsigned di, uint32_t id)
{
	struct crule *r = new_rule(cc);
	uint32_t own = str_id(cc, np->namespace);

	if (r == NULL)
		return -ENOMEM;
	r->id = id;
	r->all_ports = rule->nports == 0;
	r->need_l4 = true;
	for (size_t i = 0; i < rule->nports; i++) {
		const struct policy_np_port *p = &rule->ports[i];
		int proto = proto_or_tcp(p->protocol);
		int e;

		if (!p->has_port)
			e = add_cport(cc, r, INT32_MIN, INT32_MAX, NONE, proto,
			    false);
		else if (p->name != NULL)
			e = add_cport(cc, r, 0, 0, str_id(cc, p->name), proto,
			    false);
		else if (p->has_end_port)
			e = add_cport(cc, r, p->port, p->end_port, NONE, proto,
			    false);
		else
			e = add_cport(cc, r, p->port, p->port, NONE, proto,
			    false);
		if (e != 0)
			return e;
	}
	r->any_peer = rule->npeers == 0;
	for (size_t i = 0; i < rule->npeers; i++) {
		const struct policy_np_peer *x = &rule->peers[i];

		/* The same precedence of fields as eval's np_peer_matches. */
		if (x->ip_block != NULL) {
			if (add_token(cc, 0, TOK_BLOCK, x->ip_block, 0) != 0)
				return -ENOMEM;
		} else if (x->network_set_selector != NULL) {
			if (add_netsets(cc, false, x->network_set_selector,
			    np->namespace) != 0)
				return -ENOMEM;
		} else if (x->global_network_set_selector != NULL) {
			if (add_netsets(cc, true,
			    x->global_network_set_selector, NULL) != 0)
				return -ENOMEM;
		} else if (x->domain_names != NULL) {
			/* Ingress: nothing, as eval. */
			if (di == 1 && add_dom(cc, r, x->domain_names,
			    x->ndomain_names) != 0)
				return -ENOMEM;
		} else if (x->pod_selector != NULL ||
		    x->namespace_selector != NULL) {
			add_pods(cc, x->namespace_selector, own,
			    x->pod_selector, true);
		}
	}
	return finish_peers(cc, r);
}

static int
anp_rule(struct cc *cc, const struct policy_anp_rule *rule, unsigned di,
    uint32_t id)
{
	const struct policy_world *w = cc->w;
	struct crule *r = new_rule(cc);

	if (r == NULL)
		return -ENOMEM;
	r->id = id;
	r->action = (int)rule->action;
	r->all_ports = rule->ports == NULL;
	for (size_t i = 0; rule->ports != NULL && i < rule->nports; i++) {
		const struct policy_anp_port *p = &rule->ports[i];
		int e = 0;

		if (p->port_number != NULL)
			e = add_cport(cc, r, p->port_number->port,
			    p->port_number->port, NONE,
			    proto_or_tcp(p->port_number->protocol), false);
		else if (p->port_range != NULL)
			e = add_cport(cc, r, p->port_range->start,
			    p->port_range->end, NONE,
			    proto_or_tcp(p->port_range->protocol), false);
		else if (p->named_port != NULL)
			e = add_cport(cc, r, 0, 0, str_id(cc, p->named_port),
			    0, true);
		if (e != 0)
			return e;
	}
	for (size_t i = 0; i < rule->npeers; i++) {
		const struct policy_anp_peer *x = &rule->peers[i];

		bool dom = x->domain_names != NULL &&
		    rule->action == POLICY_ACTION_ALLOW;

		if (x->namespaces == NULL && x->pods == NULL &&
		    x->networks == NULL && x->nodes == NULL &&
		    x->network_sets == NULL && !dom) {
			/*
			 * eval stops here: Deny and Pass match everyone,
			 * Allow only what the peers before matched.
			 */
			r->any_peer = rule->action != POLICY_ACTION_ALLOW;
			break;
		}
		if (dom && di == 1 && add_dom(cc, r, x->domain_names,
		    x->ndomain_names) != 0)
			return -ENOMEM;
		if (x->namespaces != NULL)
			add_pods(cc, x->namespaces, NONE, NULL, true);
		if (x->pods != NULL && x->pods->namespace_selector != NULL)
			add_pods(cc, x->pods->namespace_selector, NONE,
			    x->pods->pod_selector, false);
		if (x->networks != NULL && x->nnetworks > 0 &&
		    add_token(cc, 0, TOK_NETS, x->networks, x->nnetworks))
			return -ENOMEM;
		for (size_t j = 0; x->nodes != NULL && j < w->nnodes; j++) {
			if (sel_matches(x->nodes, w->nodes[j].labels,
			    w->nodes[j].nlabels) &&
			    add_token(cc, 0, TOK_NODE, NULL, j) != 0)
				return -ENOMEM;
		}
		if (x->network_sets != NULL &&
		    add_netsets(cc, true, x->network_sets, NULL) != 0)
			return -ENOMEM;
	}
	return finish_peers(cc, r);
}

/* ---- numbering -------------------------------------------------------- */

static void
set_id(struct policy_compiled *pc, uint32_t id, enum id_kind kind,
    unsigned di, size_t obj, size_t rule)
{
	pc->ids[id].kind = (uint8_t)kind;
	pc->ids[id].di = (uint8_t)di;
	pc->ids[id].obj = (uint32_t)obj;
	pc->ids[id].rule = (uint32_t)rule;
}

static const struct policy_anp_rule *
anp_dir_rules(const struct policy_anp *a, unsigned di, size_t *n)
{
	*n = di == 0 ? a->ningress : a->negress;
	return di == 0 ? a->ingress : a->egress;
}

static const struct policy_anp_rule *
banp_dir_rules(const struct policy_banp *b, unsigned di, size_t *n)
{
	*n = di == 0 ? b->ningress : b->negress;
	return di == 0 ? b->ingress : b->egress;
}

static const struct policy_np_rule *
np_dir_rules(const struct policy_np *np, unsigned di, size_t *n)
{
	*n = di == 0 ? np->ningress : np->negress;
	return di == 0 ? np->ingress : np->egress;
}

static int
fail(char *err, size_t errlen, const char *what, size_t n)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "policy world: %zu %s are more than the "
		    "compiled matcher can number", n, what);
	return -EINVAL;
}

/* Counts the ids; -EINVAL if they do not fit in 32 bits. */
static int
count_ids(const struct policy_world *w, size_t *nids, char *err,
    size_t errlen)
{
	const size_t lim = (size_t)INT32_MAX;
	size_t n = 2 * FIX_COUNT;

	if (w->npods > lim)
		return fail(err, errlen, "pods", w->npods);
	if (w->nnodes > lim)
		return fail(err, errlen, "nodes", w->nnodes);
	if (w->nanps > lim / 2 || w->nnps > lim / 2 || w->nbanps > lim / 2)
		return fail(err, errlen, "policies",
		    w->nanps + w->nnps + w->nbanps);
	for (size_t i = 0; i < w->nanps; i++)
		n += w->anps[i].ningress + w->anps[i].negress;
	for (size_t i = 0; i < w->nnps; i++)
		n += 2 + w->nps[i].ningress + w->nps[i].negress;
	for (size_t i = 0; i < w->nbanps; i++)
		n += w->banps[i].ningress + w->banps[i].negress;
	if (n > lim)
		return fail(err, errlen, "rules", n);
	*nids = n;
	return 0;
}

/* ---- per-pod lists ---------------------------------------------------- */

static int
anp_cmp(const void *x, const void *y)
{
	const struct policy_anp *a = *(const struct policy_anp *const *)x;
	const struct policy_anp *b = *(const struct policy_anp *const *)y;
	int r;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	r = strcmp(a->name != NULL ? a->name : "",
	    b->name != NULL ? b->name : "");
	if (r != 0)
		return r;
	return a < b ? -1 : a > b ? 1 : 0;
}

static int
take_list(struct cc *cc, size_t n, struct span *s)
{
	uint32_t id;

	s->n = (uint32_t)n;
	s->off = 0;
	if (n == 0)
		return 0;
	if (itab_add(&cc->lists, cc->tmp, n * sizeof(uint32_t), &id) != 0)
		return -ENOMEM;
	s->off = (uint32_t)(cc->lists.off[id] / sizeof(uint32_t));
	return 0;
}

static void
subject_pods(struct cc *cc, const struct policy_anp_subject *s)
{
	if (s->namespaces != NULL)
		add_pods(cc, s->namespaces, NONE, NULL, true);
	else if (s->pods != NULL && s->pods->namespace_selector != NULL)
		add_pods(cc, s->pods->namespace_selector, NONE,
		    s->pods->pod_selector, false);
}

static bool
bit(const uint64_t *b, uint32_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

/*
 * Each pod's three lists per direction. ANPs and BANPs: the subject
 * bitsets of all of them at once (O(policies x pods) bits), then one pass
 * per pod in precedence order. NetworkPolicies: only those of the pod's
 * namespace, in world order.
 */
static int
pod_lists(struct cc *cc)
{
	const struct policy_world *w = cc->w;
	struct policy_compiled *pc = cc->pc;
	const struct policy_anp **order = NULL;
	uint64_t *subj = NULL, *bsubj = NULL;
	uint32_t *np_start = NULL, *np_by_ns = NULL, *np_types = NULL;
	size_t W = cc->words, nstr = cc->strs.n;
	int r = -ENOMEM;

	order = malloc((w->nanps + 1) * sizeof(*order));
	subj = calloc(w->nanps * W + 1, sizeof(*subj));
	bsubj = calloc(w->nbanps * W + 1, sizeof(*bsubj));
	np_start = calloc(nstr + 2, sizeof(*np_start));
	np_by_ns = malloc((w->nnps + 1) * sizeof(*np_by_ns));
	np_types = malloc((w->nnps + 1) * sizeof(*np_types));
	if (order == NULL || subj == NULL || bsubj == NULL ||
	    np_start == NULL || np_by_ns == NULL || np_types == NULL)
		goto out;

	for (size_t i = 0; i < w->nanps; i++) {
		order[i] = &w->anps[i];
		subject_pods(cc, &w->anps[i].subject);
		memcpy(subj + i * W, cc->scratch, W * sizeof(uint64_t));
		memset(cc->scratch, 0, W * sizeof(uint64_t));
	}
	if (w->nanps > 0)
		qsort(order, w->nanps, sizeof(*order), anp_cmp);
	for (size_t i = 0; i < w->nbanps; i++) {
		subject_pods(cc, &w->banps[i].subject);
		memcpy(bsubj + i * W, cc->scratch, W * sizeof(uint64_t));
		memset(cc->scratch, 0, W * sizeof(uint64_t));
	}

	/* NetworkPolicies by namespace string id, in world order. */
	for (size_t i = 0; i < w->nnps; i++) {
		uint32_t g = str_id(cc, w->nps[i].namespace);

		np_types[i] = policy_np_types(&w->nps[i]);
		if (g != NONE)
			np_start[g + 1]++;
	}
	for (size_t g = 0; g < nstr; g++)
		np_start[g + 1] += np_start[g];
	for (size_t i = 0; i < w->nnps; i++) {
		uint32_t g = str_id(cc, w->nps[i].namespace);

		if (g != NONE)
			np_by_ns[np_start[g]++] = (uint32_t)i;
	}
	for (size_t g = nstr; g > 0; g--)
		np_start[g] = np_start[g - 1];
	np_start[0] = 0;

	for (uint32_t p = 0; p < pc->npods; p++) {
		const struct policy_pod *pod = &w->pods[p];
		struct cpod *cp = &pc->pods[p];
		uint32_t g = cc->pod_ns[p];

		for (unsigned di = 0; di < 2; di++) {
			size_t n = 0, nr;

			for (size_t k = 0; k < w->nanps; k++) {
				size_t a = (size_t)(order[k] - w->anps);

				anp_dir_rules(order[k], di, &nr);
				if (nr > 0 && bit(subj + a * W, p))
					cc->tmp[n++] = (uint32_t)a;
			}
			if (take_list(cc, n, &cp->anp[di]) != 0)
				goto out;
			n = 0;
			for (size_t b = 0; b < w->nbanps; b++) {
				banp_dir_rules(&w->banps[b], di, &nr);
				if (nr > 0 && bit(bsubj + b * W, p))
					cc->tmp[n++] = (uint32_t)b;
			}
			if (take_list(cc, n, &cp->banp[di]) != 0)
				goto out;
			n = 0;
			for (uint32_t k = np_start[g == NONE ? nstr : g];
			    g != NONE && k < np_start[g + 1]; k++) {
				const struct policy_np *np =
				    &w->nps[np_by_ns[k]];

				if (!(np_types[np_by_ns[k]] &
				    (di == 0 ? POLICY_INGRESS : POLICY_EGRESS)))
					continue;
				if (np->pod_selector != NULL &&
				    !sluice_selector_matches(np->pod_selector,
				    pod->labels, pod->nlabels))
					continue;
				cc->tmp[n++] = np_by_ns[k];
			}
			if (take_list(cc, n, &cp->np[di]) != 0)
				goto out;
		}
	}
	r = 0;
out:
	free(np_types);
	free(np_by_ns);
	free(np_start);
	free(bsubj);
	free(subj);
	free(order);
	return r;
}

/* ---- policy_compile ------------------------------------------------- */

static int
intern_strings(struct cc *cc)
{
	const struct policy_world *w = cc->w;

	for (size_t i = 0; i < w->nnamespaces; i++) {
		if (str_add(cc, w->namespaces[i].name) != 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < w->npods; i++) {
		const struct policy_pod *p = &w->pods[i];

		if (str_add(cc, p->namespace) != 0 ||
		    str_add(cc, p->node) != 0)
			return -ENOMEM;
		for (size_t j = 0; j < p->nports; j++) {
			if (str_add(cc, p->ports[j].name) != 0)
				return -ENOMEM;
		}
	}
	for (size_t i = 0; i < w->nnodes; i++) {
		if (str_add(cc, w->nodes[i].name) != 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < w->nnps; i++) {
		const struct policy_np *np = &w->nps[i];

		if (str_add(cc, np->namespace) != 0)
			return -ENOMEM;
		for (unsigned di = 0; di < 2; di++) {
			size_t n;
			const struct policy_np_rule *rs = np_dir_rules(np, di,
			    &n);

			for (size_t j = 0; j < n; j++) {
				for (size_t k = 0; k < rs[j].nports; k++) {
					if (rs[j].ports[k].has_port &&
					    str_add(cc, rs[j].ports[k].name))
						return -ENOMEM;
				}
			}
		}
	}
	for (size_t i = 0; i < w->nanps + w->nbanps; i++) {
		for (unsigned di = 0; di < 2; di++) {
			const struct policy_anp_rule *rs;
			size_t n;

			rs = i < w->nanps ? anp_dir_rules(&w->anps[i], di, &n) :
			    banp_dir_rules(&w->banps[i - w->nanps], di, &n);
			for (size_t j = 0; j < n; j++) {
				for (size_t k = 0; rs[j].ports != NULL &&
				    k < rs[j].nports; k++) {
					if (str_add(cc,
					    rs[j].ports[k].named_port) != 0)
						return -ENOMEM;
				}
			}
		}
	}
	return 0;
}

/* Pods by namespace string (the group NONE maps to nstr), CSR. */
static int
group_pods(struct cc *cc)
{
	const struct policy_world *w = cc->w;
	size_t nstr = cc->strs.n, ng = nstr + 1;
	uint32_t *cnt;

	cc->ns_first = malloc((nstr + 1) * sizeof(*cc->ns_first));
	cc->pod_ns = malloc((w->npods + 1) * sizeof(*cc->pod_ns));
	cc->grp_start = calloc(ng + 1, sizeof(*cc->grp_start));
	cc->grp_pods = malloc((w->npods + 1) * sizeof(*cc->grp_pods));
	cc->grps = malloc(ng * sizeof(*cc->grps));
	cnt = calloc(ng + 1, sizeof(*cnt));
	if (cc->ns_first == NULL || cc->pod_ns == NULL ||
	    cc->grp_start == NULL || cc->grp_pods == NULL ||
	    cc->grps == NULL || cnt == NULL) {
		free(cnt);
		return -ENOMEM;
	}
	for (size_t i = 0; i <= nstr; i++)
		cc->ns_first[i] = NONE;
	for (size_t i = w->nnamespaces; i > 0; i--) {
		uint32_t s = str_id(cc, w->namespaces[i - 1].name);

		if (s != NONE)
			cc->ns_first[s] = (uint32_t)(i - 1);
	}
	for (size_t p = 0; p < w->npods; p++) {
		uint32_t s = str_id(cc, w->pods[p].namespace);

		cc->pod_ns[p] = s;
		cnt[s == NONE ? nstr : s]++;
	}
	for (size_t g = 0; g < ng; g++) {
		cc->grp_start[g + 1] = cc->grp_start[g] + cnt[g];
		if (cnt[g] > 0)
			cc->grps[cc->ngrps++] = (uint32_t)g;
		cnt[g] = cc->grp_start[g];
	}
	for (size_t p = 0; p < w->npods; p++) {
		uint32_t s = cc->pod_ns[p];

		cc->grp_pods[cnt[s == NONE ? nstr : s]++] = (uint32_t)p;
	}
	free(cnt);
	return 0;
}

static int
build_pods(struct cc *cc)
{
	const struct policy_world *w = cc->w;
	struct policy_compiled *pc = cc->pc;
	size_t naddrs = 0, cap = 16;

	for (size_t i = 0; i < w->npods; i++)
		naddrs += w->pods[i].nips;
	for (size_t i = 0; i < w->nnodes; i++)
		naddrs += w->nodes[i].naddrs;
	while (cap < 2 * naddrs)
		cap *= 2;
	pc->addrs = calloc(cap, sizeof(*pc->addrs));
	pc->addr_mask = (uint32_t)(cap - 1);
	pc->pods = calloc(w->npods + 1, sizeof(*pc->pods));
	pc->node_name = malloc((w->nnodes + 1) * sizeof(*pc->node_name));
	if (pc->addrs == NULL || pc->pods == NULL || pc->node_name == NULL)
		return -ENOMEM;
	pc->bytes += cap * sizeof(*pc->addrs) +
	    (w->npods + 1) * sizeof(*pc->pods) +
	    (w->nnodes + 1) * sizeof(*pc->node_name);
	for (size_t i = 0; i < w->npods; i++) {
		const struct policy_pod *p = &w->pods[i];
		struct cpod *cp = &pc->pods[i];

		for (size_t j = 0; j < p->nips; j++)
			addr_put(pc, &p->ips[j], (uint32_t)i);
		cp->node = str_id(cc, p->node);
		cp->ports.off = (uint32_t)cc->npports;
		for (size_t j = 0; j < p->nports; j++) {
			const struct policy_container_port *q = &p->ports[j];
			struct pport *pp;

			if (q->name == NULL)
				continue;
			if (cc->npports >= NONE ||
			    reserve(&pc->pports, &cc->pports_cap,
			    cc->npports + 1, sizeof(*pp)) != 0)
				return -ENOMEM;
			pp = &pc->pports[cc->npports++];
			pp->name = str_id(cc, q->name);
			pp->proto = proto_or_tcp(q->protocol);
			pp->port = q->port;
			cp->ports.n++;
		}
	}
	for (size_t i = 0; i < w->nnodes; i++) {
		pc->node_name[i] = str_id(cc, w->nodes[i].name);
		for (size_t j = 0; j < w->nodes[i].naddrs; j++)
			addr_put(pc, &w->nodes[i].addrs[j],
			    (uint32_t)(w->npods + i));
	}
	return 0;
}

/* Every rule of every object, numbered as compile.h says. */
static int
build_rules(struct cc *cc)
{
	const struct policy_world *w = cc->w;
	struct policy_compiled *pc = cc->pc;
	uint32_t id = 2 * FIX_COUNT;

	pc->anp_rules = calloc(2 * w->nanps + 1, sizeof(struct span));
	pc->np_rules = calloc(2 * w->nnps + 1, sizeof(struct span));
	pc->banp_rules = calloc(2 * w->nbanps + 1, sizeof(struct span));
	pc->np_iso = calloc(2 * w->nnps + 1, sizeof(uint32_t));
	if (pc->anp_rules == NULL || pc->np_rules == NULL ||
	    pc->banp_rules == NULL || pc->np_iso == NULL)
		return -ENOMEM;
	pc->bytes += (2 * (w->nanps + w->nnps + w->nbanps) + 3) *
	    sizeof(struct span) + (2 * w->nnps + 1) * sizeof(uint32_t);
	for (unsigned k = 0; k < 2 * FIX_COUNT; k++)
		set_id(pc, k, ID_FIXED, k % 2, k / 2, 0);
	for (size_t i = 0; i < w->nanps; i++) {
		for (unsigned di = 0; di < 2; di++) {
			size_t n;
			const struct policy_anp_rule *rs =
			    anp_dir_rules(&w->anps[i], di, &n);

			pc->anp_rules[2 * i + di].off = (uint32_t)cc->nrules;
			pc->anp_rules[2 * i + di].n = (uint32_t)n;
			for (size_t j = 0; j < n; j++, id++) {
				set_id(pc, id, ID_ANP, di, i, j);
				if (anp_rule(cc, &rs[j], di, id) != 0)
					return -ENOMEM;
			}
		}
	}
	for (size_t i = 0; i < w->nnps; i++) {
		for (unsigned di = 0; di < 2; di++) {
			size_t n;
			const struct policy_np_rule *rs =
			    np_dir_rules(&w->nps[i], di, &n);

			set_id(pc, id, ID_NP_ISO, di, i, 0);
			pc->np_iso[2 * i + di] = id++;
			pc->np_rules[2 * i + di].off = (uint32_t)cc->nrules;
			pc->np_rules[2 * i + di].n = (uint32_t)n;
			for (size_t j = 0; j < n; j++, id++) {
				set_id(pc, id, ID_NP, di, i, j);
				if (np_rule(cc, &w->nps[i], &rs[j], di,
				    id) != 0)
					return -ENOMEM;
			}
		}
	}
	for (size_t i = 0; i < w->nbanps; i++) {
		for (unsigned di = 0; di < 2; di++) {
			size_t n;
			const struct policy_anp_rule *rs =
			    banp_dir_rules(&w->banps[i], di, &n);

			pc->banp_rules[2 * i + di].off = (uint32_t)cc->nrules;
			pc->banp_rules[2 * i + di].n = (uint32_t)n;
			for (size_t j = 0; j < n; j++, id++) {
				set_id(pc, id, ID_BANP, di, i, j);
				if (anp_rule(cc, &rs[j], di, id) != 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static void
cc_free(struct cc *cc)
{
	itab_free(&cc->strs);
	itab_free(&cc->bitsets);
	itab_free(&cc->lists);
	itab_free(&cc->asets);
	free(cc->ns_first);
	free(cc->pod_ns);
	free(cc->grp_start);
	free(cc->grp_pods);
	free(cc->grps);
	free(cc->scratch);
	free(cc->toks[0]);
	free(cc->toks[1]);
	free(cc->tmp);
}

/* Keeps the pool of an intern table as pc's storage (it is aligned). */
static void *
keep_pool(struct itab *t, size_t *bytes)
{
	void *p = t->pool;

	*bytes += t->cap;
	t->pool = NULL;
	return p;
}

int
policy_compile(const struct policy_world *w, struct policy_compiled **out,
    char *err, size_t errlen)
{
	struct policy_compiled *pc;
	struct cc cc;
	size_t nids, tmpn;
	int r = -ENOMEM;

	*out = NULL;
	if ((r = count_ids(w, &nids, err, errlen)) != 0)
		return r;
	r = -ENOMEM;
	memset(&cc, 0, sizeof(cc));
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		goto err_nomem;
	cc.w = w;
	cc.pc = pc;
	pc->w = w;
	pc->npods = (uint32_t)w->npods;
	pc->nnodes = (uint32_t)w->nnodes;
	pc->nids = (uint32_t)nids;
	pc->ids = calloc(nids, sizeof(*pc->ids));
	pc->counters = calloc(nids, sizeof(*pc->counters));
	cc.words = (w->npods + 63) / 64 + 1;
	cc.scratch = calloc(cc.words, sizeof(uint64_t));
	tmpn = w->nanps > w->nnps ? w->nanps : w->nnps;
	tmpn = tmpn > w->nbanps ? tmpn : w->nbanps;
	cc.tmp = malloc((tmpn + 1) * sizeof(*cc.tmp));
	if (pc->ids == NULL || pc->counters == NULL || cc.scratch == NULL ||
	    cc.tmp == NULL)
		goto err_nomem;
	pc->bytes += sizeof(*pc) + nids * (sizeof(*pc->ids) +
	    sizeof(*pc->counters));

	if (intern_strings(&cc) != 0 || group_pods(&cc) != 0 ||
	    build_pods(&cc) != 0 || build_rules(&cc) != 0 ||
	    pod_lists(&cc) != 0)
		goto err_nomem;

	pc->bytes += cc.rules_cap * sizeof(*pc->rules) +
	    cc.cports_cap * sizeof(*pc->cports) +
	    cc.doms_cap * sizeof(*pc->doms) +
	    cc.pports_cap * sizeof(*pc->pports) +
	    cc.nasets_cap * sizeof(*pc->asets) +
	    cc.b4_cap * sizeof(*pc->b4) + cc.b6_cap * sizeof(*pc->b6);
	/* Never NULL: check() offsets them even for empty spans. */
	if (reserve(&cc.lists.pool, &cc.lists.cap, 8, 1) != 0 ||
	    reserve(&pc->b4, &cc.b4_cap, 1, sizeof(*pc->b4)) != 0 ||
	    reserve(&pc->b6, &cc.b6_cap, 1, sizeof(*pc->b6)) != 0)
		goto err_nomem;
	pc->lists = keep_pool(&cc.lists, &pc->bytes);
	pc->bits = keep_pool(&cc.bitsets, &pc->bytes);
	/* Bitset ids to word offsets: the table's offset array, in bytes. */
	pc->bits_off = cc.bitsets.off;
	cc.bitsets.off = NULL;
	for (size_t i = 0; i < cc.bitsets.n; i++)
		pc->bits_off[i] /= sizeof(uint64_t);
	pc->bytes += cc.bitsets.ncap * sizeof(size_t);
	cc_free(&cc);
	*out = pc;
	return 0;

err_nomem:
	cc_free(&cc);
	policy_compiled_free(pc);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "policy world: out of memory compiling "
		    "it");
	return -ENOMEM;
}

void
policy_compiled_free(struct policy_compiled *pc)
{
	if (pc == NULL)
		return;
	free(pc->addrs);
	free(pc->node_name);
	free(pc->pods);
	free(pc->pports);
	free(pc->rules);
	free(pc->cports);
	free(pc->doms);
	free(pc->anp_rules);
	free(pc->np_rules);
	free(pc->banp_rules);
	free(pc->np_iso);
	free(pc->lists);
	free(pc->bits);
	free(pc->bits_off);
	free(pc->asets);
	free(pc->b4);
	free(pc->b6);
	free(pc->ids);
	free(pc->counters);
	free(pc);
}

size_t
policy_compiled_size(const struct policy_compiled *pc)
{
	return pc->bytes;
}

/* ---- policy_check ----------------------------------------------------- */

enum ep_kind {
	EP_POD,
	EP_NODE,
	EP_EXTERNAL,
};

struct ep {
	enum ep_kind kind;
	uint32_t idx;			/* pod or node index */
	const struct sluice_addr *addr;
};

static void
classify(const struct policy_compiled *pc, const struct sluice_addr *a,
    struct ep *e)
{
	uint32_t v = addr_find(pc, a);

	e->addr = a;
	e->idx = 0;
	if (v == NONE) {
		e->kind = EP_EXTERNAL;
	} else if (v < pc->npods) {
		e->kind = EP_POD;
		e->idx = v;
	} else {
		e->kind = EP_NODE;
		e->idx = v - pc->npods;
	}
}

/* A named port of the port pod: name, connection protocol and port. */
static bool
named(const struct policy_compiled *pc, uint32_t portpod, uint32_t name,
    const struct policy_conn *c)
{
	const struct cpod *cp;

	if (portpod == NONE)
		return false;
	cp = &pc->pods[portpod];
	for (uint32_t i = 0; i < cp->ports.n; i++) {
		const struct pport *q = &pc->pports[cp->ports.off + i];

		if (q->name == name && q->port == c->dport &&
		    q->proto == c->proto)
			return true;
	}
	return false;
}

static bool
ports_match(const struct policy_compiled *pc, const struct crule *r,
    uint32_t portpod, const struct policy_conn *c)
{
	if (r->all_ports)
		return true;
	if (r->need_l4 && !l4(c->proto))
		return false;
	for (uint32_t i = 0; i < r->nports; i++) {
		const struct cport *p = &pc->cports[r->port_off + i];

		if (!p->any_proto && p->proto != c->proto)
			continue;
		if (p->name == NONE) {
			if (p->lo <= c->dport && c->dport <= p->hi)
				return true;
		} else if (named(pc, portpod, p->name, c)) {
			return true;
		}
	}
	return false;
}

/*
 * Domain peers come last, as in eval: the callback (a lookup under a
 * lock in the daemon) only runs when nothing compiled matched, and a
 * name is only recorded when it is what allowed the address.
 */
static bool
rule_matches(const struct policy_compiled *pc, const struct crule *r,
    unsigned di, uint32_t P, const struct ep *peer,
    const struct policy_conn *c, char *domain)
{
	const struct policy_world *w = pc->w;
	uint32_t portpod = di == 0 ? P : peer->kind == EP_POD ? peer->idx :
	    NONE;

	if (!ports_match(pc, r, portpod, c))
		return false;
	if (r->any_peer)
		return true;
	if (r->pods != NONE && peer->kind == EP_POD &&
	    bit(pc->bits + pc->bits_off[r->pods], peer->idx))
		return true;
	for (int k = 0; k < 2; k++) {
		if (r->addr[k] != NONE && aset_has(pc, r->addr[k], peer->addr))
			return true;
	}
	for (uint32_t i = 0; w->dns_match != NULL && i < r->ndoms; i++) {
		const struct cdom *x = &pc->doms[r->dom_off + i];

		if (w->dns_match(w->dns_arg, &w->pods[P], peer->addr, x->names,
		    x->n, domain, POLICY_DOMAIN_NAME_MAX)) {
			domain[POLICY_DOMAIN_NAME_MAX - 1] = '\0';
			return true;
		}
		domain[0] = '\0';
	}
	return false;
}

static void
decide(struct policy_decision *d, enum policy_verdict v,
    enum policy_reason reason)
{
	d->verdict = v;
	d->reason = reason;
}

/* eval's direction(), over P's precomputed lists. */
static void
direction(const struct policy_compiled *pc, enum policy_dir dir, uint32_t P,
    const struct ep *peer, const struct policy_conn *c,
    struct policy_decision *d)
{
	const struct policy_world *w = pc->w;
	const struct cpod *cp = &pc->pods[P];
	unsigned di = DI(dir);
	const uint32_t *l;

	memset(d, 0, sizeof(*d));
	d->pod = &w->pods[P];

	l = pc->lists + cp->anp[di].off;
	for (uint32_t k = 0; k < cp->anp[di].n; k++) {
		const struct span *s = &pc->anp_rules[2 * l[k] + di];

		for (uint32_t i = 0; i < s->n; i++) {
			const struct crule *r = &pc->rules[s->off + i];

			if (!rule_matches(pc, r, di, P, peer, c, d->domain))
				continue;
			if (r->action == POLICY_ACTION_PASS) {
				d->passed_by = &w->anps[l[k]];
				d->pass_rule = i;
				goto tier2;
			}
			d->anp = &w->anps[l[k]];
			d->rule = i;
			decide(d, r->action == POLICY_ACTION_ALLOW ?
			    POLICY_ALLOW : POLICY_DENY, POLICY_REASON_ANP);
			return;
		}
	}

tier2:
	if (cp->np[di].n > 0) {
		l = pc->lists + cp->np[di].off;
		d->nisolating = cp->np[di].n;
		d->np = &w->nps[l[0]];
		if (peer->kind == EP_POD && peer->idx == P) {
			decide(d, POLICY_ALLOW, POLICY_REASON_NP_SELF);
			return;
		}
		if (peer->kind == EP_NODE && cp->node != NONE &&
		    pc->node_name[peer->idx] == cp->node &&
		    (dir == POLICY_INGRESS || !w->deny_egress_to_local_node)) {
			decide(d, POLICY_ALLOW, POLICY_REASON_NP_LOCAL_NODE);
			return;
		}
		for (uint32_t k = 0; k < cp->np[di].n; k++) {
			const struct span *s = &pc->np_rules[2 * l[k] + di];

			for (uint32_t i = 0; i < s->n; i++) {
				if (!rule_matches(pc, &pc->rules[s->off + i],
				    di, P, peer, c, d->domain))
					continue;
				d->np = &w->nps[l[k]];
				d->rule = i;
				decide(d, POLICY_ALLOW, POLICY_REASON_NP_RULE);
				return;
			}
		}
		decide(d, POLICY_DENY, POLICY_REASON_NP_ISOLATED);
		return;
	}

	l = pc->lists + cp->banp[di].off;
	for (uint32_t k = 0; k < cp->banp[di].n; k++) {
		const struct span *s = &pc->banp_rules[2 * l[k] + di];

		for (uint32_t i = 0; i < s->n; i++) {
			const struct crule *r = &pc->rules[s->off + i];

			if (!rule_matches(pc, r, di, P, peer, c, d->domain))
				continue;
			d->banp = &w->banps[l[k]];
			d->rule = i;
			decide(d, r->action == POLICY_ACTION_ALLOW ?
			    POLICY_ALLOW : POLICY_DENY, POLICY_REASON_BANP);
			return;
		}
	}
	decide(d, POLICY_ALLOW, POLICY_REASON_DEFAULT);
}

int
policy_check(const struct policy_compiled *pc, const struct policy_conn *c,
    unsigned int dirs, struct policy_result *out, char *err, size_t errlen)
{
	struct ep s, d;

	memset(out, 0, sizeof(*out));
	if (sluice_addr_len(c->src.family) == 0 ||
	    c->src.family != c->dst.family) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "connection: source (family %d) "
			    "and destination (family %d) are not both IPv4 "
			    "or both IPv6", c->src.family, c->dst.family);
		return -EINVAL;
	}
	classify(pc, &c->src, &s);
	classify(pc, &c->dst, &d);
	if ((dirs & POLICY_EGRESS) && s.kind == EP_POD)
		direction(pc, POLICY_EGRESS, s.idx, &d, c, &out->egress);
	if ((dirs & POLICY_INGRESS) && d.kind == EP_POD)
		direction(pc, POLICY_INGRESS, d.idx, &s, c, &out->ingress);
	out->verdict = out->egress.verdict == POLICY_ALLOW &&
	    out->ingress.verdict == POLICY_ALLOW ? POLICY_ALLOW : POLICY_DENY;
	return 0;
}

/* ---- ids and counters --------------------------------------------------- */

/* The index of p in base[0..n) (elements of size el), or NONE. */
static uint32_t
index_of(const void *p, const void *base, size_t n, size_t el)
{
	uintptr_t x = (uintptr_t)p, b = (uintptr_t)base;

	if (p == NULL || base == NULL || x < b || (x - b) % el != 0 ||
	    (x - b) / el >= n)
		return NONE;
	return (uint32_t)((x - b) / el);
}

static uint32_t
rule_id(const struct policy_compiled *pc, const struct span *spans,
    uint32_t obj, unsigned di, size_t rule)
{
	const struct span *s;

	if (obj == NONE)
		return NONE;
	s = &spans[2 * obj + di];
	return rule < s->n ? pc->rules[s->off + rule].id : NONE;
}

uint32_t
policy_decision_id(const struct policy_compiled *pc,
    const struct policy_decision *d, enum policy_dir dir)
{
	const struct policy_world *w = pc->w;
	unsigned di;
	uint32_t i;

	if (dir != POLICY_INGRESS && dir != POLICY_EGRESS)
		return NONE;
	di = DI(dir);
	switch (d->reason) {
	case POLICY_REASON_NOT_POD:
		return 2 * FIX_NOT_POD + di;
	case POLICY_REASON_DEFAULT:
		return 2 * FIX_DEFAULT + di;
	case POLICY_REASON_NP_SELF:
		return 2 * FIX_SELF + di;
	case POLICY_REASON_NP_LOCAL_NODE:
		return 2 * FIX_LOCAL_NODE + di;
	case POLICY_REASON_ANP:
		i = index_of(d->anp, w->anps, w->nanps, sizeof(*w->anps));
		return rule_id(pc, pc->anp_rules, i, di, d->rule);
	case POLICY_REASON_NP_RULE:
		i = index_of(d->np, w->nps, w->nnps, sizeof(*w->nps));
		return rule_id(pc, pc->np_rules, i, di, d->rule);
	case POLICY_REASON_NP_ISOLATED:
		i = index_of(d->np, w->nps, w->nnps, sizeof(*w->nps));
		return i == NONE ? NONE : pc->np_iso[2 * i + di];
	case POLICY_REASON_BANP:
		i = index_of(d->banp, w->banps, w->nbanps, sizeof(*w->banps));
		return rule_id(pc, pc->banp_rules, i, di, d->rule);
	}
	return NONE;
}

uint32_t
policy_pass_id(const struct policy_compiled *pc,
    const struct policy_decision *d, enum policy_dir dir)
{
	const struct policy_world *w = pc->w;

	if (d->passed_by == NULL ||
	    (dir != POLICY_INGRESS && dir != POLICY_EGRESS))
		return NONE;
	return rule_id(pc, pc->anp_rules, index_of(d->passed_by, w->anps,
	    w->nanps, sizeof(*w->anps)), DI(dir), d->pass_rule);
}

size_t
policy_compiled_nids(const struct policy_compiled *pc)
{
	return pc->nids;
}

static const char *
action_name(int a)
{
	switch (a) {
	case POLICY_ACTION_ALLOW:
		return "Allow";
	case POLICY_ACTION_DENY:
		return "Deny";
	case POLICY_ACTION_PASS:
		return "Pass";
	}
	return "(unknown action)";
}

static const char *
or_unnamed(const char *s)
{
	return s != NULL ? s : "(unnamed)";
}

const char *
policy_id_str(const struct policy_compiled *pc, uint32_t id, char *buf,
    size_t size)
{
	static const char *const fixed[FIX_COUNT] = {
		"not a pod, no policy",
		"no policy decided (default allow)",
		"isolated, allowed toward itself",
		"isolated, allowed: the peer is its own node",
	};
	const struct policy_world *w = pc->w;
	const struct policy_anp_rule *ar;
	const struct idinfo *x;
	const char *dir, *kind, *name;
	size_t n;

	if (size == 0)
		return buf;
	if (id >= pc->nids) {
		snprintf(buf, size, "(no such id %" PRIu32 ")", id);
		return buf;
	}
	x = &pc->ids[id];
	dir = x->di == 0 ? "ingress" : "egress";
	switch (x->kind) {
	case ID_FIXED:
		snprintf(buf, size, "%s: %s", dir, fixed[x->obj]);
		break;
	case ID_NP_ISO:
		snprintf(buf, size, "NetworkPolicy %s/%s %s: isolated, no "
		    "rule allows", or_unnamed(w->nps[x->obj].namespace),
		    or_unnamed(w->nps[x->obj].name), dir);
		break;
	case ID_NP:
		snprintf(buf, size, "NetworkPolicy %s/%s %s[%" PRIu32 "]",
		    or_unnamed(w->nps[x->obj].namespace),
		    or_unnamed(w->nps[x->obj].name), dir, x->rule);
		break;
	default:
		if (x->kind == ID_ANP) {
			kind = "AdminNetworkPolicy";
			name = w->anps[x->obj].name;
			ar = anp_dir_rules(&w->anps[x->obj], x->di, &n);
		} else {
			kind = "BaselineAdminNetworkPolicy";
			name = w->banps[x->obj].name;
			ar = banp_dir_rules(&w->banps[x->obj], x->di, &n);
		}
		ar += x->rule;
		snprintf(buf, size, "%s %s %s[%" PRIu32 "]%s%s%s %s", kind,
		    or_unnamed(name), dir, x->rule,
		    ar->name != NULL ? " (" : "",
		    ar->name != NULL ? ar->name : "",
		    ar->name != NULL ? ")" : "", action_name(ar->action));
		break;
	}
	return buf;
}

void
policy_count(const struct policy_compiled *pc, uint32_t id, uint64_t flows,
    uint64_t pkts)
{
	if (id >= pc->nids)
		return;
	atomic_fetch_add_explicit(&pc->counters[id].flows, flows,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&pc->counters[id].pkts, pkts,
	    memory_order_relaxed);
}

void
policy_counters(const struct policy_compiled *pc, uint32_t id,
    uint64_t *flows, uint64_t *pkts)
{
	*flows = 0;
	*pkts = 0;
	if (id >= pc->nids)
		return;
	*flows = atomic_load_explicit(&pc->counters[id].flows,
	    memory_order_relaxed);
	*pkts = atomic_load_explicit(&pc->counters[id].pkts,
	    memory_order_relaxed);
}
