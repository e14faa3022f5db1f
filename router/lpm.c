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

struct lpm {
	int family;
	struct node *nodes;
	uint32_t n, cap;
	uint32_t count;
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

bool
lpm_lookup(const struct lpm *t, const struct sluice_addr *a, uint32_t *value)
{
	unsigned bits = 8 * (unsigned)sluice_addr_len(t->family);
	uint32_t cur = 0;
	bool found = false;

	if (a->family != t->family)
		return false;
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
