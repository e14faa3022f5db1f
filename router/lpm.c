#include "router/lpm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * A plain binary trie in one array: node 0 is the root, child indexes of
 * 0 mean "none" (the root is never anyone's child). Small clusters hold a
 * few hundred prefixes; path compression can come when a profile asks.
 */
struct node {
	uint32_t child[2];
	uint32_t value;
	bool has_value;
};

/*
 * The sealed form: the address space cut into ranges, each with the value
 * of the longest prefix covering it (or none), sorted; a lookup is a
 * binary search over a few cache lines instead of a walk of up to 128
 * trie nodes, one miss each (the profile's hottest user-space function).
 */
typedef unsigned __int128 u128;

struct range {
	u128 lo;			/* first address of the range */
	uint32_t value;
	bool has_value;
};

struct lpm {
	int family;
	struct node *nodes;
	uint32_t n, cap;
	uint32_t count;
	struct range *ranges;		/* sealed; NULL: walk the trie */
	uint32_t nranges;
};

static int
grow(struct lpm *t)
{
	uint32_t cap = t->cap ? 2 * t->cap : 64;
	struct node *nn;

	if (cap < t->cap)
		return -ENOMEM;
	nn = realloc(t->nodes, (size_t)cap * sizeof(*nn));
	if (nn == NULL)
		return -ENOMEM;
	t->nodes = nn;
	t->cap = cap;
	return 0;
}

struct lpm *
lpm_new(int family)
{
	struct lpm *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->family = family;
	if (grow(t) != 0) {
		free(t);
		return NULL;
	}
	memset(&t->nodes[0], 0, sizeof(t->nodes[0]));
	t->n = 1;
	return t;
}

void
lpm_destroy(struct lpm *t)
{
	if (t == NULL)
		return;
	free(t->ranges);
	free(t->nodes);
	free(t);
}

static inline unsigned
bit(const uint8_t *b, unsigned i)
{
	return (b[i / 8] >> (7 - i % 8)) & 1;
}

int
lpm_insert(struct lpm *t, const struct sluice_prefix *p, uint32_t value)
{
	uint32_t cur = 0;

	if (p->addr.family != t->family ||
	    p->len > 8 * sluice_addr_len(t->family))
		return -EAFNOSUPPORT;
	free(t->ranges);	/* sealed no more */
	t->ranges = NULL;
	t->nranges = 0;
	for (unsigned i = 0; i < p->len; i++) {
		unsigned b = bit(p->addr.u.b, i);
		uint32_t next = t->nodes[cur].child[b];

		if (next == 0) {
			if (t->n == t->cap && grow(t) != 0)
				return -ENOMEM;
			next = t->n++;
			memset(&t->nodes[next], 0, sizeof(t->nodes[next]));
			t->nodes[cur].child[b] = next;
		}
		cur = next;
	}
	if (!t->nodes[cur].has_value)
		t->count++;
	t->nodes[cur].has_value = true;
	t->nodes[cur].value = value;
	return 0;
}

static u128
key(const struct sluice_addr *a, unsigned bits)
{
	u128 k = 0;

	for (unsigned i = 0; i < bits / 8; i++)
		k = k << 8 | a->u.b[i];
	return k;
}

struct sealer {
	const struct lpm *t;
	unsigned bits;
	struct range *v;
	uint32_t n;
};

/* Appends [lo, ...) with (has, value), merged with an equal predecessor. */
static void
emit(struct sealer *s, u128 lo, bool has, uint32_t value)
{
	if (s->n > 0 && s->v[s->n - 1].has_value == has &&
	    (!has || s->v[s->n - 1].value == value))
		return;
	s->v[s->n].lo = lo;
	s->v[s->n].has_value = has;
	s->v[s->n].value = value;
	s->n++;
}

/* The ranges under node cur, which covers [lo, lo + 2^(bits - depth)). */
static void
walk(struct sealer *s, uint32_t cur, unsigned depth, u128 lo, bool has,
    uint32_t value)
{
	const struct node *nd = &s->t->nodes[cur];

	if (nd->has_value) {
		has = true;
		value = nd->value;
	}
	for (unsigned b = 0; b < 2; b++) {
		u128 half = depth < s->bits ?
		    lo | ((u128)b << (s->bits - depth - 1)) : lo;

		if (depth == s->bits) {
			emit(s, lo, has, value);
			return;
		}
		if (nd->child[b] != 0)
			walk(s, nd->child[b], depth + 1, half, has, value);
		else
			emit(s, half, has, value);
	}
}

int
lpm_seal(struct lpm *t)
{
	/* Each node adds at most two ranges (its missing halves, or itself). */
	struct sealer s = { t, 8 * (unsigned)sluice_addr_len(t->family),
	    NULL, 0 };

	free(t->ranges);
	t->ranges = NULL;
	t->nranges = 0;
	s.v = malloc((size_t)(2 * t->n + 1) * sizeof(*s.v));
	if (s.v == NULL)
		return -ENOMEM;
	walk(&s, 0, 0, 0, false, 0);
	t->ranges = s.v;
	t->nranges = s.n;
	return 0;
}

bool
lpm_lookup(const struct lpm *t, const struct sluice_addr *a, uint32_t *value)
{
	unsigned bits = 8 * (unsigned)sluice_addr_len(t->family);
	uint32_t cur = 0;
	bool found = false;

	if (a->family != t->family)
		return false;
	if (t->ranges != NULL) {
		u128 k = key(a, bits);
		uint32_t lo = 0, hi = t->nranges;

		/* The last range starting at or below k (the first starts at 0). */
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (t->ranges[mid].lo <= k)
				lo = mid;
			else
				hi = mid;
		}
		if (!t->ranges[lo].has_value)
			return false;
		*value = t->ranges[lo].value;
		return true;
	}
	for (unsigned i = 0;; i++) {
		const struct node *nd = &t->nodes[cur];

		if (nd->has_value) {
			*value = nd->value;
			found = true;
		}
		if (i == bits)
			break;
		cur = nd->child[bit(a->u.b, i)];
		if (cur == 0)
			break;
	}
	return found;
}

uint32_t
lpm_count(const struct lpm *t)
{
	return t->count;
}
