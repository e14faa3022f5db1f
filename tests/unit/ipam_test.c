/*
 * ipam_test.c - IPAM (ipam/): selectors, pool validation, allocation
 * rules, persistence, a differential test against a trivially correct
 * model over three nodes sharing their block view, block conflicts
 * between nodes that did not hear of each other, GC, consistency
 * reports, and kill -9 in the middle of a storm of allocations.
 *
 * Each test works in its own store under one mkdtemp() directory, which
 * main() removes at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/addr.h"
#include "ipam/ipam.h"
#include "store/store.h"
#include "tests/unit/check.h"

static char top[4096];
static char err[512];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
subdir(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", top, name);

	ASSERT(n > 0 && (size_t)n < size);
}

static struct sluice_prefix
P(const char *s)
{
	struct sluice_prefix p;

	if (sluice_prefix_parse(s, false, &p) != 0)
		CHECK_FAIL("bad prefix %s", s);
	return p;
}

static bool
prefix_same(const struct sluice_prefix *a, const struct sluice_prefix *b)
{
	return a->len == b->len && sluice_addr_eq(&a->addr, &b->addr);
}

static struct sluice_addr
A(const char *s)
{
	struct sluice_addr a;

	if (sluice_addr_parse(s, &a) != 0)
		CHECK_FAIL("bad address %s", s);
	return a;
}

static const char *
S(const struct sluice_addr *a)
{
	static char buf[4][SLUICE_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return sluice_addr_str(a, buf[i], sizeof(buf[i]));
}

/* A node: a store and IPAM over it. */
struct node {
	char dir[4096];
	char name[32];
	struct store *st;
	struct ipam *ipam;
	struct sluice_label labels[1];
	char zone[16];
};

static int problems_seen;

static void
count_problem(void *arg, const char *problem)
{
	(void)arg;
	fprintf(stderr, "  problem: %s\n", problem);
	problems_seen++;
}

static void
node_open(struct node *n)
{
	ASSERT_OK(store_open(&n->st, n->dir, err, sizeof(err)));
	problems_seen = 0;
	ASSERT_OK(ipam_open(&n->ipam, n->st, count_problem, NULL, err,
	    sizeof(err)));
	ASSERT_EQ(problems_seen, 0);
}

static void
node_init(struct node *n, const char *test, const char *name,
    const char *zone)
{
	char sub[256];

	memset(n, 0, sizeof(*n));
	snprintf(sub, sizeof(sub), "%s-%s", test, name);
	subdir(n->dir, sizeof(n->dir), sub);
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->zone, sizeof(n->zone), "%s", zone);
	n->labels[0].key = "zone";
	n->labels[0].value = n->zone;
	node_open(n);
}

static void
node_close(struct node *n)
{
	ipam_close(n->ipam);
	store_close(n->st);
	n->ipam = NULL;
	n->st = NULL;
}

static void
request(struct ipam_request *r, const struct node *n, const char *handle,
    const char *ns)
{
	static const struct sluice_label team_b[] = { { "team", "b" } };

	memset(r, 0, sizeof(*r));
	r->handle = handle;
	r->node = n->name;
	r->node_labels = n->labels;
	r->nnode_labels = 1;
	r->namespace = ns;
	r->pod = "pod";
	if (ns != NULL && strcmp(ns, "tb") == 0) {
		r->namespace_labels = team_b;
		r->nnamespace_labels = 1;
	}
}

static int
alloc(struct node *n, const char *handle, const char *ns,
    struct ipam_result *res)
{
	struct ipam_request r;

	request(&r, n, handle, ns);
	return ipam_allocate(n->ipam, &r, res, err, sizeof(err));
}

/* ---- selectors ------------------------------------------------------ */

static void
test_selector(void)
{
	static const char *const prod[] = { "prod", "staging" };
	static const struct sluice_label l1[] = { { "env", "prod" },
		{ "tier", "web" } };
	static const struct sluice_label l2[] = { { "env", "dev" } };
	static const struct sluice_label ml[] = { { "tier", "web" } };
	struct sluice_sel_expr ex;
	struct sluice_selector s = { 0 };

	/* The empty selector matches everything, no labels included. */
	ASSERT(sluice_selector_matches(&s, NULL, 0));
	ASSERT(sluice_selector_matches(&s, l1, 2));
	ASSERT_OK(sluice_selector_validate(&s, err, sizeof(err)));

	s.match_labels = ml;
	s.nmatch_labels = 1;
	ASSERT(sluice_selector_matches(&s, l1, 2));
	ASSERT(!sluice_selector_matches(&s, l2, 1));
	ASSERT(!sluice_selector_matches(&s, NULL, 0));

	memset(&s, 0, sizeof(s));
	s.exprs = &ex;
	s.nexprs = 1;
	ex = (struct sluice_sel_expr){ "env", SLUICE_SEL_IN, prod, 2 };
	ASSERT(sluice_selector_matches(&s, l1, 2));
	ASSERT(!sluice_selector_matches(&s, l2, 1));
	ASSERT(!sluice_selector_matches(&s, NULL, 0));	/* In needs the key */
	ex.op = SLUICE_SEL_NOT_IN;
	ASSERT(!sluice_selector_matches(&s, l1, 2));
	ASSERT(sluice_selector_matches(&s, l2, 1));
	ASSERT(sluice_selector_matches(&s, NULL, 0));	/* NotIn: absent ok */
	ex = (struct sluice_sel_expr){ "tier", SLUICE_SEL_EXISTS, NULL, 0 };
	ASSERT(sluice_selector_matches(&s, l1, 2));
	ASSERT(!sluice_selector_matches(&s, l2, 1));
	ex.op = SLUICE_SEL_DOES_NOT_EXIST;
	ASSERT(!sluice_selector_matches(&s, l1, 2));
	ASSERT(sluice_selector_matches(&s, l2, 1));

	/* matchLabels and expressions must all hold. */
	s.match_labels = ml;
	s.nmatch_labels = 1;
	ex = (struct sluice_sel_expr){ "env", SLUICE_SEL_IN, prod, 1 };
	ASSERT(sluice_selector_matches(&s, l1, 2));
	ex.nvalues = 0;
	ASSERT_EQ(sluice_selector_validate(&s, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "need at least one value");
	ex = (struct sluice_sel_expr){ "env", SLUICE_SEL_EXISTS, prod, 1 };
	ASSERT_EQ(sluice_selector_validate(&s, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "take no values");
	ex = (struct sluice_sel_expr){ "", SLUICE_SEL_EXISTS, NULL, 0 };
	ASSERT_EQ(sluice_selector_validate(&s, err, sizeof(err)), -EINVAL);
	ex = (struct sluice_sel_expr){ "k", (enum sluice_sel_op)9, NULL, 0 };
	ASSERT_EQ(sluice_selector_validate(&s, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "unknown operator");
}

/*
 * Random selectors against a spelled-out reading of the Kubernetes
 * rules, over label sets drawn from a small alphabet.
 */
static void
test_selector_random(void)
{
	static const char *const keys[] = { "a", "b", "c" };
	static const char *const vals[] = { "x", "y", "z" };

	for (int round = 0; round < 20000; round++) {
		struct sluice_label labels[3], ml[2];
		struct sluice_sel_expr ex[3];
		const char *ev[3][2];
		struct sluice_selector s = { ml, 0, ex, 0 };
		size_t nl = 0;
		bool want = true;

		for (int k = 0; k < 3; k++) {
			if (check_below(2))
				labels[nl++] = (struct sluice_label){ keys[k],
				    vals[check_below(3)] };
		}
		s.nmatch_labels = check_below(3);
		for (size_t i = 0; i < s.nmatch_labels; i++)
			ml[i] = (struct sluice_label){ keys[check_below(3)],
			    vals[check_below(3)] };
		s.nexprs = check_below(4);
		for (size_t i = 0; i < s.nexprs; i++) {
			ex[i].key = keys[check_below(3)];
			ex[i].op = (enum sluice_sel_op)check_below(4);
			ex[i].nvalues = ex[i].op <= SLUICE_SEL_NOT_IN ?
			    1 + check_below(2) : 0;
			for (size_t j = 0; j < ex[i].nvalues; j++)
				ev[i][j] = vals[check_below(3)];
			ex[i].values = ev[i];
		}
		ASSERT_OK(sluice_selector_validate(&s, err, sizeof(err)));
		for (size_t i = 0; i < s.nmatch_labels; i++) {
			bool hit = false;

			for (size_t j = 0; j < nl; j++)
				hit |= strcmp(labels[j].key, ml[i].key) == 0 &&
				    strcmp(labels[j].value, ml[i].value) == 0;
			want &= hit;
		}
		for (size_t i = 0; i < s.nexprs; i++) {
			const char *v = NULL;
			bool inset = false;

			for (size_t j = 0; j < nl; j++)
				if (strcmp(labels[j].key, ex[i].key) == 0)
					v = labels[j].value;
			for (size_t j = 0; v && j < ex[i].nvalues; j++)
				inset |= strcmp(v, ev[i][j]) == 0;
			if (ex[i].op == SLUICE_SEL_IN)
				want &= v != NULL && inset;
			else if (ex[i].op == SLUICE_SEL_NOT_IN)
				want &= !inset;
			else if (ex[i].op == SLUICE_SEL_EXISTS)
				want &= v != NULL;
			else
				want &= v == NULL;
		}
		ASSERT_EQ(sluice_selector_matches(&s, labels, nl), want);
	}
}

/* ---- pools ---------------------------------------------------------- */

static void
test_pool_validation(void)
{
	struct sluice_prefix res_out = P("10.1.0.0/24");
	struct sluice_prefix res_v6 = P("fd00::1/128");
	struct sluice_sel_expr bad = { "zone", SLUICE_SEL_IN, NULL, 0 };
	struct ipam_pool p[2];
	struct ipam_result r;
	struct node n;

	node_init(&n, "validation", "n1", "z1");
	memset(p, 0, sizeof(p));
	p[0].name = "a";
	p[0].cidr = P("10.0.0.0/16");
	p[1].name = "b";
	p[1].cidr = P("10.0.128.0/17");
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "pool b (10.0.128.0/17) overlaps pool a (10.0.0.0/16)");

	p[1].cidr = P("10.1.0.0/26");
	p[1].block_size = 24;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "pool b: blockSize 24 does not fit in cidr 10.1.0.0/26");
	p[1].block_size = 33;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "blockSize 33 is out of range");
	p[1].block_size = 16;
	p[1].cidr = P("10.0.0.0/8");
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);

	p[1].cidr = P("10.1.0.0/26");
	p[1].block_size = 0;
	p[1].name = "a";
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "pool a is declared twice");
	p[1].name = "";
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "name must be");
	p[1].name = "b";

	p[0].reserved = &res_out;
	p[0].nreserved = 1;
	res_out = P("10.1.0.0/24");
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "pool a: reservation 10.1.0.0/24 is not inside cidr 10.0.0.0/16");
	res_out = P("10.0.0.0/15");
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	p[0].reserved = &res_v6;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "is not inside");
	p[0].nreserved = 0;

	p[1].node_selector.exprs = &bad;
	p[1].node_selector.nexprs = 1;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "pool b: nodeSelector:");
	p[1].node_selector.nexprs = 0;

	/* Host bits, unknown family, v6 block bounds. */
	p[1].cidr = P("10.1.0.0/26");
	p[1].cidr.addr.u.b[3] = 1;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "host bits");
	p[1].cidr.addr.family = 0;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	p[1].cidr = P("fd00::/64");
	p[1].block_size = 100;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "out of range for IPv6");

	/* Nothing was stored or kept: no pool to allocate from. */
	ASSERT_EQ(alloc(&n, "c1/eth0", "default", &r), -ENOENT);
	ASSERT_STR_HAS(err, "no enabled pool matches");

	/* A good set, with defaults filled in. */
	p[1].block_size = 0;
	ASSERT_OK(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)));
	{
		struct ipam_list l;

		ASSERT_OK(ipam_list_get(n.ipam, &l, err, sizeof(err)));
		ASSERT_EQ(l.npools, 2);
		ASSERT_STR_EQ(l.pools[0].name, "a");
		ASSERT_EQ(l.pools[0].block_size, 26);
		ASSERT_EQ(l.pools[0].blocks_total, 1024);
		ASSERT_EQ(l.pools[1].block_size, 122);
		ASSERT_EQ(l.pools[1].blocks_total, (uint64_t)1 << 58);
		ipam_list_free(&l);
	}
	ASSERT_OK(alloc(&n, "c1/eth0", "default", &r));

	/* A pool in use may not change its blockSize under its blocks. */
	p[0].block_size = 24;
	ASSERT_EQ(ipam_pools_set(n.ipam, p, 2, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "is not one of its /24 blocks");
	/* Removing the pool is allowed; the allocation stays. */
	ASSERT_OK(ipam_pools_set(n.ipam, &p[1], 1, err, sizeof(err)));
	{
		struct sluice_addr a;

		ASSERT_OK(ipam_lookup(n.ipam, "c1/eth0", &a));
		ASSERT(sluice_addr_eq(&a, &r.addr));
	}
	ASSERT_OK(ipam_verify(n.ipam, count_problem, NULL));
	node_close(&n);
}

/* ---- allocation rules ----------------------------------------------- */

static void
test_rules(void)
{
	struct sluice_prefix reserved[] = { P("10.0.0.1/32"),
		P("10.0.0.4/30") };
	static const struct sluice_label team_b = { "team", "b" };
	static const struct sluice_label pod_labels[] = { { "app", "web" },
		{ "tier", "front" } };
	struct ipam_pool p[3];
	struct ipam_request rq;
	struct ipam_result r, r2;
	struct sluice_addr a;
	struct ipam_list l;
	struct node n;
	bool found;

	node_init(&n, "rules", "n1", "z1");
	memset(p, 0, sizeof(p));
	p[0].name = "a";
	p[0].cidr = P("10.0.0.0/28");
	p[0].block_size = 29;
	p[0].reserved = reserved;
	p[0].nreserved = 2;
	p[0].nat_outgoing = true;
	p[1].name = "z-team-b";	/* sorts last by name, first by selector */
	p[1].cidr = P("10.0.1.0/28");
	p[1].block_size = 28;
	p[1].namespace_selector.match_labels = &team_b;
	p[1].namespace_selector.nmatch_labels = 1;
	p[2].name = "v6";
	p[2].cidr = P("fd00::/120");
	p[2].block_size = 124;
	ASSERT_OK(ipam_pools_set(n.ipam, p, 3, err, sizeof(err)));

	/* First address skipped, .1 and .4-.7 reserved: .2 .3 then .8... */
	ASSERT_OK(alloc(&n, "c1/eth0", "default", &r));
	ASSERT_STR_EQ(S(&r.addr), "10.0.0.2");
	ASSERT(r.claimed && !r.existing && r.nat_outgoing);
	ASSERT_STR_EQ(r.pool, "a");
	ASSERT_OK(alloc(&n, "c1/eth0", "default", &r2));	/* idempotent */
	ASSERT(r2.existing && !r2.claimed);
	ASSERT(sluice_addr_eq(&r.addr, &r2.addr));
	ASSERT_OK(alloc(&n, "c2/eth0", "default", &r));
	ASSERT_STR_EQ(S(&r.addr), "10.0.0.3");
	/* Block 10.0.0.0/29 is full: a new block, then the last is skipped. */
	ASSERT_OK(alloc(&n, "c3/eth0", "default", &r));
	ASSERT_STR_EQ(S(&r.addr), "10.0.0.8");
	ASSERT(r.claimed);
	for (int i = 9; i < 15; i++) {
		char h[32];

		snprintf(h, sizeof(h), "c%d/eth0", i);
		ASSERT_OK(alloc(&n, h, "default", &r));
		ASSERT_EQ(r.addr.u.b[3], i);
	}
	/* Pool a is full (10.0.0.15 is its broadcast-like last address). */
	request(&rq, &n, "c15/eth0", "default");
	rq.family = AF_INET;
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -ENOSPC);
	ASSERT_STR_HAS(err, "pool a is full");
	/* Any family: falls through to v6, skipping fd00::. */
	ASSERT_OK(alloc(&n, "c15/eth0", "default", &r));
	ASSERT_STR_EQ(S(&r.addr), "fd00::1");
	ASSERT_STR_EQ(r.pool, "v6");

	/* Namespace-selected pool first for team b. */
	ASSERT_OK(alloc(&n, "b1/eth0", "tb", &r));
	ASSERT_STR_EQ(r.pool, "z-team-b");
	ASSERT_STR_EQ(S(&r.addr), "10.0.1.1");

	/* Requested pool: selectors still apply. */
	request(&rq, &n, "b2/eth0", "default");
	rq.pool = "z-team-b";
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EACCES);
	ASSERT_STR_HAS(err, "namespaceSelector does not match namespace default");
	rq.pool = "nope";
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "no pool named nope");
	rq.pool = "v6";
	ASSERT_OK(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)));
	ASSERT_STR_EQ(r.pool, "v6");

	/* Requested addresses. */
	request(&rq, &n, "x1/eth0", "default");
	a = A("10.0.0.5");
	rq.addr = &a;
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "reserved or skipped");
	a = A("10.0.0.0");
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EINVAL);
	a = A("10.0.0.15");
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EINVAL);
	a = A("10.0.0.9");
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)),
	    -EADDRINUSE);
	a = A("192.168.0.1");
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "is in no pool");
	a = A("fd00::80");
	rq.labels = pod_labels;
	rq.nlabels = 2;
	ASSERT_OK(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)));
	ASSERT_STR_EQ(S(&r.addr), "fd00::80");
	ASSERT(r.claimed);
	a = A("fd00::81");	/* same handle, another address */
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EEXIST);

	/* Release: by handle, by address, idempotent. */
	ASSERT_OK(ipam_release(n.ipam, "c3/eth0", &found, err, sizeof(err)));
	ASSERT(found);
	ASSERT_OK(ipam_release(n.ipam, "c3/eth0", &found, err, sizeof(err)));
	ASSERT(!found);
	a = A("10.0.0.9");
	ASSERT_OK(ipam_release_addr(n.ipam, &a, &found, err, sizeof(err)));
	ASSERT(found);
	ASSERT_OK(ipam_release_addr(n.ipam, &a, &found, err, sizeof(err)));
	ASSERT(!found);
	ASSERT_EQ(ipam_lookup(n.ipam, "c9/eth0", &a), -ENOENT);
	/* The freed addresses come back, lowest first. */
	ASSERT_OK(alloc(&n, "c20/eth0", "default", &r));
	ASSERT_STR_EQ(S(&r.addr), "10.0.0.8");

	/* Disabled: no new allocations, existing stay. */
	p[0].disabled = true;
	ASSERT_OK(ipam_pools_set(n.ipam, p, 3, err, sizeof(err)));
	ASSERT_OK(alloc(&n, "c1/eth0", "default", &r));
	ASSERT(r.existing);
	request(&rq, &n, "c21/eth0", "default");
	rq.pool = "a";
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EACCES);
	ASSERT_STR_HAS(err, "pool a is disabled");

	/* Metadata comes back in the listing. */
	ASSERT_OK(ipam_list_get(n.ipam, &l, err, sizeof(err)));
	found = false;
	for (size_t i = 0; i < l.allocs.n; i++) {
		struct ipam_alloc_info *ai = &l.allocs.v[i];

		if (strcmp(ai->handle, "x1/eth0") != 0)
			continue;
		found = true;
		ASSERT_STR_EQ(ai->iface, "eth0");
		ASSERT_STR_EQ(ai->namespace, "default");
		ASSERT_STR_EQ(ai->pod, "pod");
		ASSERT_STR_EQ(ai->node, "n1");
		ASSERT_STR_EQ(ai->pool, "v6");
		ASSERT_EQ(ai->nlabels, 2);
		ASSERT_STR_EQ(ai->labels[1].key, "tier");
		ASSERT_STR_EQ(ai->labels[1].value, "front");
	}
	ASSERT(found);
	for (size_t i = 0; i < l.nblocks; i++) {
		if (strcmp(S(&l.blocks[i].prefix.addr), "10.0.0.8") == 0) {
			ASSERT_EQ(l.blocks[i].used, 6);
			ASSERT_EQ(l.blocks[i].free, 1);	/* .9 */
			ASSERT_STR_EQ(l.blocks[i].owner, "n1");
		}
	}
	ASSERT_EQ(l.pools[0].addrs_used, 1);	/* z-team-b sorts first */
	ipam_list_free(&l);

	/* Empty blocks can be released; busy ones and foreign ones not. */
	{
		struct sluice_prefix b = P("fd00::80/124");

		ASSERT_EQ(ipam_block_release(n.ipam, &b, "n1", err,
		    sizeof(err)), -EBUSY);
		ASSERT_STR_HAS(err, "still holds 1 allocation");
		ASSERT_EQ(ipam_block_release(n.ipam, &b, "n2", err,
		    sizeof(err)), -EPERM);
		ASSERT_OK(ipam_release(n.ipam, "x1/eth0", NULL, err,
		    sizeof(err)));
		ASSERT_OK(ipam_block_release(n.ipam, &b, "n1", err,
		    sizeof(err)));
		ASSERT_EQ(ipam_block_release(n.ipam, &b, "n1", err,
		    sizeof(err)), -ENOENT);
	}
	/* Explicit claims honour selectors and report exhaustion. */
	{
		struct sluice_prefix b;

		ASSERT_OK(ipam_block_claim(n.ipam, "v6", "n1", n.labels, 1,
		    &b, err, sizeof(err)));
		ASSERT_EQ(b.len, 124);
		ASSERT_EQ(ipam_block_claim(n.ipam, "a", "n1", n.labels, 1,
		    &b, err, sizeof(err)), -EACCES);
	}
	problems_seen = 0;
	ASSERT_EQ(ipam_verify(n.ipam, count_problem, NULL), 0);
	node_close(&n);
}

/* ---- persistence ------------------------------------------------------ */

static void
test_persistence(void)
{
	struct sluice_addr got[200];
	struct ipam_pool p = { 0 };
	struct ipam_result r;
	struct node n;

	node_init(&n, "persist", "n1", "z1");
	p.name = "a";
	p.cidr = P("10.20.0.0/22");
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	for (int i = 0; i < 200; i++) {
		char h[32];

		snprintf(h, sizeof(h), "c%d/eth0", i);
		ASSERT_OK(alloc(&n, h, "default", &r));
		got[i] = r.addr;
	}
	for (int i = 0; i < 200; i += 3) {
		char h[32];

		snprintf(h, sizeof(h), "c%d/eth0", i);
		ASSERT_OK(ipam_release(n.ipam, h, NULL, err, sizeof(err)));
	}
	node_close(&n);
	node_open(&n);		/* verifies: no problems */
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	for (int i = 0; i < 200; i++) {
		struct sluice_addr a;
		char h[32];

		snprintf(h, sizeof(h), "c%d/eth0", i);
		if (i % 3 == 0) {
			ASSERT_EQ(ipam_lookup(n.ipam, h, &a), -ENOENT);
			continue;
		}
		ASSERT_OK(ipam_lookup(n.ipam, h, &a));
		ASSERT(sluice_addr_eq(&a, &got[i]));
		ASSERT_OK(alloc(&n, h, "default", &r));
		ASSERT(r.existing && sluice_addr_eq(&r.addr, &got[i]));
	}
	node_close(&n);
}

/* ---- pod metadata: labels and named ports --------------------------- */

static void
test_pod_meta(void)
{
	struct sluice_label labels[2] = { { "app", "web" }, { "tier", "1" } };
	struct sluice_label relabel[1] = { { "app", "db" } };
	struct ipam_port ports[2] = { { "http", IPPROTO_TCP, 8080 },
	    { "dns", IPPROTO_UDP, 53 } };
	struct ipam_port bad = { "Bad_Name", IPPROTO_TCP, 80 };
	struct ipam_alloc_info info;
	struct ipam_pool p = { 0 };
	struct ipam_request req;
	struct ipam_result r;
	struct node n;
	size_t changed;

	node_init(&n, "meta", "n1", "z1");
	p.name = "a";
	p.cidr = P("10.30.0.0/24");
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	request(&req, &n, "c1/eth0", "shop");
	req.pod = "web-1";
	req.labels = labels;
	req.nlabels = 2;
	req.ports = ports;
	req.nports = 2;
	ASSERT_OK(ipam_allocate(n.ipam, &req, &r, err, sizeof(err)));
	/* A port name Kubernetes would refuse is refused, nothing stored. */
	request(&req, &n, "c2/eth0", "shop");
	req.ports = &bad;
	req.nports = 1;
	ASSERT_EQ(ipam_allocate(n.ipam, &req, &r, err, sizeof(err)), -EINVAL);
	ASSERT(strstr(err, "named port 0") != NULL);
	ASSERT_EQ(ipam_get(n.ipam, "c2/eth0", &info, err, sizeof(err)), -ENOENT);
	/* Both survive a restart. */
	node_close(&n);
	node_open(&n);
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	ASSERT_OK(ipam_get(n.ipam, "c1/eth0", &info, err, sizeof(err)));
	ASSERT_EQ(info.nports, 2);
	ASSERT(strcmp(info.ports[0].name, "http") == 0 &&
	    info.ports[0].protocol == IPPROTO_TCP && info.ports[0].port == 8080);
	ASSERT(strcmp(info.ports[1].name, "dns") == 0 &&
	    info.ports[1].protocol == IPPROTO_UDP && info.ports[1].port == 53);
	ASSERT_EQ(info.nlabels, 2);
	ipam_alloc_info_clear(&info);
	/* Relabel: every allocation of the pod, ports kept. */
	ASSERT_OK(ipam_set_labels(n.ipam, "n1", "shop", "web-1", relabel, 1,
	    &changed, err, sizeof(err)));
	ASSERT_EQ(changed, 1);
	ASSERT_OK(ipam_get(n.ipam, "c1/eth0", &info, err, sizeof(err)));
	ASSERT_EQ(info.nlabels, 1);
	ASSERT(strcmp(info.labels[0].key, "app") == 0 &&
	    strcmp(info.labels[0].value, "db") == 0);
	ASSERT_EQ(info.nports, 2);
	ipam_alloc_info_clear(&info);
	ASSERT_EQ(ipam_set_labels(n.ipam, "n1", "shop", "nobody", relabel, 1,
	    &changed, err, sizeof(err)), -ENOENT);
	ASSERT_EQ(ipam_set_labels(n.ipam, "n2", "shop", "web-1", relabel, 1,
	    &changed, err, sizeof(err)), -ENOENT);
	node_close(&n);
}

/* ---- the model: trivially correct, over offsets into small pools ---------- */

#define M_NODES 3
#define M_HANDLES 40
#define M_POOLS 4
#define M_MAXADDR 256

struct mpool {
	const char *name;
	int family;
	const char *base;
	unsigned int size;	/* addresses */
	unsigned int bsize;	/* addresses per block */
	unsigned int res_lo[2], res_hi[2]; /* reserved offset ranges */
	int nres;
	int ns_b_only;		/* namespaceSelector team In [b] */
	int zone_not_z3;	/* nodeSelector zone NotIn [z3] */
	int zone_z3;		/* nodeSelector zone In [z3] */
	bool disabled;
	int owner[M_MAXADDR];	/* per block: node index or -1 */
	int used[M_MAXADDR];	/* per address: alloc index + 1, or 0 */
};

struct malloc_ {
	char handle[32];
	int node, pool;
	unsigned int off;
	bool live;
};

struct model {
	struct mpool pools[M_POOLS];	/* in IPAM's allocation order */
	struct malloc_ allocs[M_NODES * M_HANDLES];
};

static const char *const zones[M_NODES] = { "z1", "z2", "z3" };

/* Outcomes seen, printed so a run shows what it exercised. */
static struct {
	unsigned int ok, existing, claimed, enospc, enoent, by_addr_ok,
	    by_addr_refused, released, blocks_released, gc_stale;
} seen;

static void
model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	/* Order: namespace-selected, node-selected (by name), the rest. */
	m->pools[0] = (struct mpool){ .name = "b-team", .family = AF_INET,
		.base = "10.1.0.0", .size = 32, .bsize = 8, .nres = 1,
		.res_lo = { 9 }, .res_hi = { 9 }, .ns_b_only = 1 };
	m->pools[1] = (struct mpool){ .name = "a-v4", .family = AF_INET,
		.base = "10.0.0.0", .size = 64, .bsize = 16, .nres = 2,
		.res_lo = { 5, 48 }, .res_hi = { 5, 63 }, .zone_not_z3 = 1 };
	m->pools[2] = (struct mpool){ .name = "d-z3", .family = AF_INET,
		.base = "10.2.0.0", .size = 16, .bsize = 4, .zone_z3 = 1 };
	m->pools[3] = (struct mpool){ .name = "e-v6", .family = AF_INET6,
		.base = "fd00::", .size = 64, .bsize = 16, .nres = 1,
		.res_lo = { 16 }, .res_hi = { 19 } };
	for (int i = 0; i < M_POOLS; i++)
		for (int b = 0; b < M_MAXADDR; b++)
			m->pools[i].owner[b] = -1;
}

/* The same pools as ipam_pool, for ipam_pools_set(). */
static size_t
model_pools(const struct model *m, struct ipam_pool *out,
    struct sluice_prefix res[M_POOLS][2])
{
	static const char *const z3[] = { "z3" };
	static const char *const b[] = { "b" };
	static const struct sluice_sel_expr not_z3 = { "zone",
		SLUICE_SEL_NOT_IN, z3, 1 };
	static const struct sluice_sel_expr in_z3 = { "zone", SLUICE_SEL_IN,
		z3, 1 };
	static const struct sluice_sel_expr team_b = { "team", SLUICE_SEL_IN,
		b, 1 };
	/* Declared out of order on purpose: IPAM sorts them. */
	static const int decl[M_POOLS] = { 3, 1, 2, 0 };

	memset(out, 0, M_POOLS * sizeof(*out));
	for (int d = 0; d < M_POOLS; d++) {
		const struct mpool *mp = &m->pools[decl[d]];
		struct ipam_pool *p = &out[d];
		unsigned int w = mp->family == AF_INET ? 32 : 128;
		unsigned int bits = 0, bbits = 0;
		char buf[64];

		while ((1u << bits) < mp->size)
			bits++;
		while ((1u << bbits) < mp->bsize)
			bbits++;
		p->name = mp->name;
		snprintf(buf, sizeof(buf), "%s/%u", mp->base, w - bits);
		p->cidr = P(buf);
		p->block_size = w - bbits;
		p->disabled = mp->disabled;
		for (int r = 0; r < mp->nres; r++) {
			struct sluice_addr a = A(mp->base);
			unsigned int n = mp->res_hi[r] - mp->res_lo[r] + 1;
			unsigned int rb = 0;
			size_t last = sluice_addr_len(a.family) - 1;

			while ((1u << rb) < n)
				rb++;
			a.u.b[last] = (uint8_t)(a.u.b[last] + mp->res_lo[r]);
			res[decl[d]][r].addr = a;
			res[decl[d]][r].len = (uint8_t)(w - rb);
		}
		p->reserved = res[decl[d]];
		p->nreserved = (size_t)mp->nres;
		if (mp->ns_b_only) {
			p->namespace_selector.exprs = &team_b;
			p->namespace_selector.nexprs = 1;
		}
		if (mp->zone_not_z3) {
			p->node_selector.exprs = &not_z3;
			p->node_selector.nexprs = 1;
		}
		if (mp->zone_z3) {
			p->node_selector.exprs = &in_z3;
			p->node_selector.nexprs = 1;
		}
	}
	return M_POOLS;
}

static struct sluice_addr
maddr(const struct mpool *mp, unsigned int off)
{
	struct sluice_addr a = A(mp->base);
	size_t last = sluice_addr_len(a.family) - 1;

	a.u.b[last] = (uint8_t)(a.u.b[last] + off);
	return a;
}

/* Pool index and offset of a, or -1. */
static int
mfind(const struct model *m, const struct sluice_addr *a, unsigned int *off)
{
	for (int i = 0; i < M_POOLS; i++) {
		const struct mpool *mp = &m->pools[i];

		for (unsigned int o = 0; o < mp->size; o++) {
			struct sluice_addr b = maddr(mp, o);

			if (sluice_addr_eq(&b, a)) {
				*off = o;
				return i;
			}
		}
	}
	return -1;
}

static bool
musable(const struct mpool *mp, unsigned int off)
{
	if (off == 0 || (mp->family == AF_INET && off == mp->size - 1))
		return false;
	for (int r = 0; r < mp->nres; r++)
		if (off >= mp->res_lo[r] && off <= mp->res_hi[r])
			return false;
	return true;
}

static bool
mmatches(const struct mpool *mp, int node, bool team_b)
{
	if (mp->disabled)
		return false;
	if (mp->ns_b_only && !team_b)
		return false;
	if (mp->zone_not_z3 && node == 2)
		return false;
	if (mp->zone_z3 && node != 2)
		return false;
	return true;
}

/* Free usable address in node's blocks of mp; free block with room. */
static bool
mown_free(const struct mpool *mp, int node)
{
	for (unsigned int o = 0; o < mp->size; o++)
		if (mp->owner[o / mp->bsize] == node && !mp->used[o] &&
		    musable(mp, o))
			return true;
	return false;
}

static bool
mfree_block(const struct mpool *mp)
{
	for (unsigned int b = 0; b < mp->size / mp->bsize; b++) {
		if (mp->owner[b] >= 0)
			continue;
		for (unsigned int o = b * mp->bsize; o < (b + 1) * mp->bsize;
		    o++)
			if (musable(mp, o))
				return true;
	}
	return false;
}

static int
mhandle(const struct model *m, const char *h)
{
	for (int i = 0; i < M_NODES * M_HANDLES; i++)
		if (m->allocs[i].live && strcmp(m->allocs[i].handle, h) == 0)
			return i;
	return -1;
}

/* Tells every other node which blocks node i owns. */
static void
announce(struct node *nodes, int i)
{
	struct ipam_block_claim claims[M_POOLS * M_MAXADDR];
	struct ipam_list l;
	size_t n = 0;

	ASSERT_OK(ipam_list_get(nodes[i].ipam, &l, err, sizeof(err)));
	for (size_t b = 0; b < l.nblocks; b++) {
		if (strcmp(l.blocks[b].owner, nodes[i].name) != 0)
			continue;
		claims[n].prefix = l.blocks[b].prefix;
		claims[n].owner = nodes[i].name;
		claims[n].gen = l.blocks[b].gen;
		n++;
	}
	for (int j = 0; j < M_NODES; j++) {
		struct ipam_allocs moved = { 0 };

		if (j == i)
			continue;
		ASSERT_OK(ipam_blocks_sync(nodes[j].ipam, nodes[i].name,
		    claims, n, &moved, err, sizeof(err)));
		ASSERT_EQ(moved.n, 0);
	}
	ipam_list_free(&l);
}

/* Every node's records against the model, and the shared block view. */
static void
model_check(struct model *m, struct node *nodes)
{
	for (int i = 0; i < M_NODES; i++) {
		struct ipam_list l;
		size_t want = 0, nb = 0;

		problems_seen = 0;
		ASSERT_EQ(ipam_verify(nodes[i].ipam, count_problem, NULL), 0);
		ASSERT_OK(ipam_list_get(nodes[i].ipam, &l, err, sizeof(err)));
		for (int k = 0; k < M_NODES * M_HANDLES; k++)
			want += m->allocs[k].live && m->allocs[k].node == i;
		ASSERT_EQ(l.allocs.n, want);
		for (size_t k = 0; k < l.allocs.n; k++) {
			const struct ipam_alloc_info *ai = &l.allocs.v[k];
			int mi = mhandle(m, ai->handle);
			unsigned int off;
			int pi = mfind(m, &ai->addr, &off);

			ASSERT(mi >= 0 && pi >= 0);
			ASSERT_EQ(m->allocs[mi].node, i);
			ASSERT_EQ(m->allocs[mi].pool, pi);
			ASSERT_EQ(m->allocs[mi].off, off);
		}
		for (int p = 0; p < M_POOLS; p++) {
			const struct mpool *mp = &m->pools[p];

			for (unsigned int b = 0; b < mp->size / mp->bsize; b++)
				nb += mp->owner[b] >= 0;
		}
		ASSERT_EQ(l.nblocks, nb);
		for (size_t k = 0; k < l.nblocks; k++) {
			unsigned int off;
			int pi = mfind(m, &l.blocks[k].prefix.addr, &off);

			ASSERT(pi >= 0);
			ASSERT_EQ(off % m->pools[pi].bsize, 0);
			ASSERT(m->pools[pi].owner[off / m->pools[pi].bsize] >= 0);
			ASSERT_STR_EQ(l.blocks[k].owner, nodes[m->pools[pi].owner[
			    off / m->pools[pi].bsize]].name);
		}
		ipam_list_free(&l);
	}
}

static void
model_set_pools(struct model *m, struct node *nodes)
{
	struct sluice_prefix res[M_POOLS][2];
	struct ipam_pool pools[M_POOLS];
	size_t n = model_pools(m, pools, res);

	for (int i = 0; i < M_NODES; i++)
		ASSERT_OK(ipam_pools_set(nodes[i].ipam, pools, n, err,
		    sizeof(err)));
}

/* One random allocation on node ni, checked against the model. */
static void
model_allocate(struct model *m, struct node *nodes, int ni)
{
	struct node *n = &nodes[ni];
	struct ipam_request rq;
	struct ipam_result r;
	struct sluice_addr want_addr;
	char handle[32];
	bool team_b = check_below(4) == 0;
	int family = check_below(3) == 0 ? AF_INET6 : 0;
	int mi, rc, expect_pool = -1, expect_rc;
	unsigned int off;

	snprintf(handle, sizeof(handle), "n%d-c%d/eth0", ni,
	    (int)check_below(M_HANDLES));
	request(&rq, n, handle, team_b ? "tb" : "default");
	rq.family = family;
	mi = mhandle(m, handle);
	if (check_below(6) == 0) {
		/* Ask for an address of a random pool. */
		const struct mpool *mp = &m->pools[check_below(M_POOLS)];

		want_addr = maddr(mp, (unsigned int)check_below(mp->size));
		rq.addr = &want_addr;
		rq.family = 0;
	}
	rc = ipam_allocate(n->ipam, &rq, &r, err, sizeof(err));
	if (mi >= 0) {
		struct malloc_ *ma = &m->allocs[mi];
		struct sluice_addr have = maddr(&m->pools[ma->pool], ma->off);

		if (rq.addr != NULL && !sluice_addr_eq(rq.addr, &have)) {
			ASSERT_EQ(rc, -EEXIST);
			return;
		}
		ASSERT_OK(rc);
		ASSERT(r.existing && sluice_addr_eq(&r.addr, &have));
		seen.existing++;
		return;
	}
	if (rq.addr != NULL) {
		int pi = mfind(m, rq.addr, &off);
		struct mpool *mp = &m->pools[pi];
		int owner = mp->owner[off / mp->bsize];

		if (!mmatches(mp, ni, team_b))
			expect_rc = -EACCES;
		else if (!musable(mp, off))
			expect_rc = -EINVAL;
		else if (mp->used[off] &&
		    m->allocs[mp->used[off] - 1].node == ni)
			expect_rc = -EADDRINUSE;
		else if (owner >= 0 && owner != ni)
			expect_rc = -EADDRNOTAVAIL;
		else
			expect_rc = 0;
		if (rc != expect_rc)
			CHECK_FAIL("%s asks for %s: %d, expected %d (%s)",
			    handle, S(rq.addr), rc, expect_rc, err);
		if (rc != 0) {
			seen.by_addr_refused++;
			return;
		}
		seen.by_addr_ok++;
		ASSERT(sluice_addr_eq(&r.addr, rq.addr));
		ASSERT_EQ(r.claimed, owner < 0);
		expect_pool = pi;
	} else {
		bool any = false;

		for (int p = 0; p < M_POOLS && expect_pool < 0; p++) {
			const struct mpool *mp = &m->pools[p];

			if (!mmatches(mp, ni, team_b) ||
			    (family != 0 && mp->family != family))
				continue;
			any = true;
			if (mown_free(mp, ni) || mfree_block(mp))
				expect_pool = p;
		}
		if (expect_pool < 0) {
			if (rc != (any ? -ENOSPC : -ENOENT))
				CHECK_FAIL("%s: %d (%s), expected %s", handle,
				    rc, err, any ? "ENOSPC" : "ENOENT");
			if (any)
				ASSERT_STR_HAS(err, "full");
			if (any)
				seen.enospc++;
			else
				seen.enoent++;
			return;
		}
		if (rc != 0)
			CHECK_FAIL("%s: %d (%s), expected pool %s", handle, rc,
			    err, m->pools[expect_pool].name);
		ASSERT_STR_EQ(r.pool, m->pools[expect_pool].name);
		ASSERT_EQ(mfind(m, &r.addr, &off), expect_pool);
		/* A block is claimed exactly when the node's are full. */
		ASSERT_EQ(r.claimed, !mown_free(&m->pools[expect_pool], ni));
	}
	{
		struct mpool *mp = &m->pools[expect_pool];
		unsigned int b;

		ASSERT_EQ(mfind(m, &r.addr, &off), expect_pool);
		b = off / mp->bsize;
		ASSERT(musable(mp, off));	/* never reserved or skipped */
		ASSERT_EQ(mp->used[off], 0);	/* never a duplicate */
		ASSERT(mp->owner[b] == ni || (r.claimed && mp->owner[b] < 0));
		mp->owner[b] = ni;
		for (mi = 0; m->allocs[mi].live; mi++)
			;
		m->allocs[mi] = (struct malloc_){ .node = ni,
			.pool = expect_pool, .off = off, .live = true };
		snprintf(m->allocs[mi].handle, sizeof(m->allocs[mi].handle),
		    "%s", handle);
		mp->used[off] = mi + 1;
		seen.ok++;
		seen.claimed += r.claimed;
		if (r.claimed)
			announce(nodes, ni);
	}
}

static void
mrelease(struct model *m, int mi)
{
	struct malloc_ *ma = &m->allocs[mi];

	m->pools[ma->pool].used[ma->off] = 0;
	ma->live = false;
}

static void
model_step(struct model *m, struct node *nodes)
{
	int ni = (int)check_below(M_NODES);
	struct node *n = &nodes[ni];
	unsigned int op = (unsigned int)check_below(100);
	char handle[32];
	bool found;
	int mi;

	if (op < 60) {
		model_allocate(m, nodes, ni);
	} else if (op < 75) {
		snprintf(handle, sizeof(handle), "n%d-c%d/eth0", ni,
		    (int)check_below(M_HANDLES));
		mi = mhandle(m, handle);
		ASSERT_OK(ipam_release(n->ipam, handle, &found, err,
		    sizeof(err)));
		ASSERT_EQ(found, mi >= 0);
		if (mi >= 0) {
			mrelease(m, mi);
			seen.released++;
		}
	} else if (op < 85) {
		/* By address: one of ours, or a random one. */
		const struct mpool *mp = &m->pools[check_below(M_POOLS)];
		unsigned int off = (unsigned int)check_below(mp->size);
		struct sluice_addr a = maddr(mp, off);

		mi = mp->used[off] - 1;
		ASSERT_OK(ipam_release_addr(n->ipam, &a, &found, err,
		    sizeof(err)));
		if (mi >= 0 && m->allocs[mi].node == ni) {
			ASSERT(found);
			mrelease(m, mi);
		} else {
			ASSERT(!found);
		}
	} else if (op < 92) {
		/* Give back a random block of this node. */
		struct mpool *mp = &m->pools[check_below(M_POOLS)];
		unsigned int b = (unsigned int)check_below(mp->size /
		    mp->bsize);
		struct sluice_prefix bp;
		unsigned int bits = 0;
		bool busy = false;
		int rc;

		while ((1u << bits) < mp->bsize)
			bits++;
		bp.addr = maddr(mp, b * mp->bsize);
		bp.len = (uint8_t)((mp->family == AF_INET ? 32 : 128) - bits);
		for (unsigned int o = b * mp->bsize; o < (b + 1) * mp->bsize;
		    o++)
			busy |= mp->used[o] != 0;
		rc = ipam_block_release(n->ipam, &bp, n->name, err,
		    sizeof(err));
		if (mp->owner[b] < 0)
			ASSERT_EQ(rc, -ENOENT);
		else if (mp->owner[b] != ni)
			ASSERT_EQ(rc, -EPERM);
		else if (busy)
			ASSERT_EQ(rc, -EBUSY);
		else {
			ASSERT_OK(rc);
			seen.blocks_released++;
			mp->owner[b] = -1;
			announce(nodes, ni);
		}
	} else if (op < 99) {
		/* GC with about 7 in 8 of this node's handles alive. */
		const char *live[M_HANDLES];
		char names[M_HANDLES][32];
		struct ipam_allocs stale;
		bool dry = check_below(2) == 0;
		size_t nlive = 0, want = 0;

		for (int h = 0; h < M_HANDLES; h++) {
			snprintf(names[h], sizeof(names[h]), "n%d-c%d/eth0",
			    ni, h);
			if (check_below(8))
				live[nlive++] = names[h];
			else if (mhandle(m, names[h]) >= 0)
				want++;
		}
		ASSERT_OK(ipam_gc(n->ipam, n->name, live, nlive, dry, &stale,
		    err, sizeof(err)));
		ASSERT_EQ(stale.n, want);
		for (size_t s = 0; s < stale.n; s++) {
			mi = mhandle(m, stale.v[s].handle);
			ASSERT(mi >= 0);
			for (size_t k = 0; k < nlive; k++)
				ASSERT(strcmp(live[k], stale.v[s].handle));
			if (!dry)
				mrelease(m, mi);
			seen.gc_stale += !dry;
		}
		ipam_allocs_free(&stale);
	} else {
		/* Toggle a pool's disabled flag everywhere. */
		struct mpool *mp = &m->pools[check_below(M_POOLS)];

		mp->disabled = !mp->disabled;
		model_set_pools(m, nodes);
	}
}

static void
test_differential(void)
{
	struct node nodes[M_NODES];
	static struct model m;

	model_init(&m);
	for (int i = 0; i < M_NODES; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%d", i);
		node_init(&nodes[i], "diff", name, zones[i]);
	}
	model_set_pools(&m, nodes);
	for (int step = 0; step < 3000; step++) {
		model_step(&m, nodes);
		if (step % 250 == 249)
			model_check(&m, nodes);
		if (step == 1500) {
			/* Restart every node halfway through. */
			for (int i = 0; i < M_NODES; i++) {
				node_close(&nodes[i]);
				node_open(&nodes[i]);
			}
			model_set_pools(&m, nodes);
		}
	}
	model_check(&m, nodes);
	for (int i = 0; i < M_NODES; i++)
		node_close(&nodes[i]);
	printf("  allocated %u (%u claimed a block, %u by address), %u idempotent, %u ENOSPC, %u ENOENT, %u refused addresses; released %u, GC'd %u, blocks released %u\n",
	    seen.ok, seen.claimed, seen.by_addr_ok, seen.existing,
	    seen.enospc, seen.enoent, seen.by_addr_refused, seen.released,
	    seen.gc_stale, seen.blocks_released);
}

/* ---- conflicting claims ------------------------------------------------ */

static void
sync_all(struct node *nodes, int n, struct ipam_allocs *moved)
{
	/* Re-homing can claim new blocks: repeat until nothing moves. */
	for (int round = 0; round < 10; round++) {
		size_t before = moved->n;

		for (int i = 0; i < n; i++) {
			struct ipam_block_claim claims[256];
			struct ipam_list l;
			size_t nc = 0;

			ASSERT_OK(ipam_list_get(nodes[i].ipam, &l, err,
			    sizeof(err)));
			for (size_t b = 0; b < l.nblocks; b++) {
				if (strcmp(l.blocks[b].owner,
				    nodes[i].name) != 0)
					continue;
				ASSERT(nc < 256);
				claims[nc].prefix = l.blocks[b].prefix;
				claims[nc].owner = nodes[i].name;
				claims[nc].gen = l.blocks[b].gen;
				nc++;
			}
			for (int j = 0; j < n; j++) {
				if (j != i)
					ASSERT_OK(ipam_blocks_sync(
					    nodes[j].ipam, nodes[i].name,
					    claims, nc, moved, err,
					    sizeof(err)));
			}
			ipam_list_free(&l);
		}
		if (moved->n == before && round > 0)
			return;
	}
	CHECK_FAIL("block ownership did not settle");
}

static void
test_conflict(void)
{
	struct ipam_allocs moved = { 0 };
	struct ipam_pool p = { 0 };
	struct ipam_request rq;
	struct ipam_result r;
	struct sluice_addr a;
	struct node nodes[2];
	int lost = 0;

	node_init(&nodes[0], "conflict", "node-a", "z1");
	node_init(&nodes[1], "conflict", "node-b", "z1");
	p.name = "a";
	p.cidr = P("10.9.0.0/24");
	p.block_size = 28;
	for (int i = 0; i < 2; i++)
		ASSERT_OK(ipam_pools_set(nodes[i].ipam, &p, 1, err,
		    sizeof(err)));
	/* Both claim 10.9.0.16/28 before hearing of each other. */
	request(&rq, &nodes[0], "a1/eth0", "default");
	a = A("10.9.0.17");
	rq.addr = &a;
	ASSERT_OK(ipam_allocate(nodes[0].ipam, &rq, &r, err, sizeof(err)));
	ASSERT(r.claimed);
	request(&rq, &nodes[1], "b1/eth0", "default");
	rq.addr = &a;	/* the same address, on the other node */
	ASSERT_OK(ipam_allocate(nodes[1].ipam, &rq, &r, err, sizeof(err)));
	ASSERT(r.claimed);
	for (int i = 2; i < 5; i++) {
		char h[16];

		snprintf(h, sizeof(h), "b%d/eth0", i);
		ASSERT_OK(alloc(&nodes[1], h, "default", &r));
	}
	/* node-b hears of node-a's claim: node-a keeps it, b moves. */
	sync_all(nodes, 2, &moved);
	lost = 0;
	for (size_t i = 0; i < moved.n; i++) {
		struct sluice_addr now;
		struct sluice_prefix blk = P("10.9.0.16/28");

		ASSERT_STR_EQ(moved.v[i].node, "node-b");
		if (sluice_prefix_contains(&blk, &moved.v[i].addr))
			lost++;
		ASSERT_EQ(moved.v[i].moved_to.family, AF_INET);
		ASSERT(!sluice_prefix_contains(&blk, &moved.v[i].moved_to));
		ASSERT_OK(ipam_lookup(nodes[1].ipam, moved.v[i].handle, &now));
		ASSERT(sluice_addr_eq(&now, &moved.v[i].moved_to));
	}
	ASSERT_EQ(lost, 4);	/* b1..b4: b2..b4 filled b's block first */
	a = A("10.9.0.17");
	ASSERT_OK(ipam_lookup(nodes[0].ipam, "a1/eth0", &r.addr));
	ASSERT(sluice_addr_eq(&r.addr, &a));
	for (int i = 0; i < 2; i++) {
		problems_seen = 0;
		ASSERT_EQ(ipam_verify(nodes[i].ipam, count_problem, NULL), 0);
	}
	ipam_allocs_free(&moved);
	for (int i = 0; i < 2; i++)
		node_close(&nodes[i]);
}

/* ---- claims by quorum ----------------------------------------------- */

static void
test_votes(void)
{
	struct ipam_pool p = { 0 };
	struct ipam_request rq;
	struct ipam_result r;
	struct ipam_list l;
	struct node n;
	struct sluice_prefix b = P("10.21.0.16/28"), keep[1];
	const char *live[] = { "node-a", "node-b" };
	char holder[IPAM_NAME_MAX];

	node_init(&n, "votes", "node-a", "z1");
	p.name = "q";
	p.cidr = P("10.21.0.0/24");
	p.block_size = 28;
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	ipam_claims_quorum(n.ipam, true);
	/* Allocation never claims by itself: it names the block it needs. */
	request(&rq, &n, "a1/eth0", "default");
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EAGAIN);
	ASSERT_STR_EQ(r.need_pool, "q");
	ASSERT_EQ(r.need_block.len, 28);
	/* A block acknowledged to node-b is refused to node-c and skipped. */
	ASSERT_OK(ipam_vote(n.ipam, &r.need_block, "node-b", holder,
	    sizeof(holder), err, sizeof(err)));
	ASSERT_OK(ipam_vote(n.ipam, &r.need_block, "node-b", holder,
	    sizeof(holder), err, sizeof(err)));	/* idempotent */
	ASSERT_EQ(ipam_vote(n.ipam, &r.need_block, "node-c", holder,
	    sizeof(holder), err, sizeof(err)), -EBUSY);
	ASSERT_STR_EQ(holder, "node-b");
	ASSERT_EQ(ipam_block_commit(n.ipam, &r.need_block, "node-a", holder,
	    sizeof(holder), err, sizeof(err)), -EBUSY);
	keep[0] = r.need_block;
	ASSERT_EQ(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)), -EAGAIN);
	ASSERT(!sluice_addr_eq(&r.need_block.addr, &keep[0].addr));
	/* Not a block: refused. */
	ASSERT_EQ(ipam_vote(n.ipam, &(struct sluice_prefix){ A("10.21.0.16"),
	    27 }, "node-b", holder, sizeof(holder), err, sizeof(err)),
	    -EINVAL);
	ASSERT_EQ(ipam_vote(n.ipam, &(struct sluice_prefix){ A("10.99.0.0"),
	    28 }, "node-b", holder, sizeof(holder), err, sizeof(err)),
	    -EINVAL);
	/* node-b's announcement still lists it as being claimed: kept. */
	ASSERT_OK(ipam_votes_sync(n.ipam, "node-b", keep, 1, err,
	    sizeof(err)));
	ASSERT_EQ(ipam_vote(n.ipam, &keep[0], "node-c", holder,
	    sizeof(holder), err, sizeof(err)), -EBUSY);
	/* ... and no longer: dropped, so node-c may have it. */
	ASSERT_OK(ipam_votes_sync(n.ipam, "node-b", NULL, 0, err,
	    sizeof(err)));
	ASSERT_OK(ipam_vote(n.ipam, &keep[0], "node-c", holder,
	    sizeof(holder), err, sizeof(err)));
	/* node-c leaves the manifest: its acknowledgement goes. */
	ASSERT_OK(ipam_votes_prune(n.ipam, live, 2, err, sizeof(err)));
	/* Our own claim, acknowledged and committed. */
	ASSERT_OK(ipam_vote(n.ipam, &b, "node-a", holder, sizeof(holder),
	    err, sizeof(err)));
	ASSERT_OK(ipam_list_get(n.ipam, &l, err, sizeof(err)));
	ASSERT_EQ(l.nvotes, 1);
	ASSERT_STR_EQ(l.votes[0].claimant, "node-a");
	ipam_list_free(&l);
	ASSERT_OK(ipam_block_commit(n.ipam, &b, "node-a", holder,
	    sizeof(holder), err, sizeof(err)));
	ASSERT_OK(ipam_block_commit(n.ipam, &b, "node-a", holder,
	    sizeof(holder), err, sizeof(err)));	/* idempotent */
	ASSERT_EQ(ipam_vote(n.ipam, &b, "node-b", holder, sizeof(holder),
	    err, sizeof(err)), -EEXIST);
	ASSERT_STR_EQ(holder, "node-a");
	ASSERT_OK(ipam_list_get(n.ipam, &l, err, sizeof(err)));
	ASSERT_EQ(l.nvotes, 0);
	ipam_list_free(&l);
	/* Now the allocation finds room in the committed block. */
	ASSERT_OK(ipam_allocate(n.ipam, &rq, &r, err, sizeof(err)));
	ASSERT(sluice_prefix_contains(&b, &r.addr));
	/* Acknowledgements survive a restart. */
	ASSERT_OK(ipam_vote(n.ipam, &keep[0], "node-b", holder,
	    sizeof(holder), err, sizeof(err)));
	node_close(&n);
	node_open(&n);
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	ASSERT_EQ(ipam_vote(n.ipam, &keep[0], "node-c", holder,
	    sizeof(holder), err, sizeof(err)), -EBUSY);
	node_close(&n);
}

/*
 * Five nodes claim blocks by quorum over simulated control links: FIFO
 * queues per direction (TCP), delivered in random order, links reset at
 * random (queue lost, then the sender's announcement first, as on a new
 * link), claims given up at random (the deadline). Afterwards no block is
 * owned by two nodes and no address is held twice.
 */
#define QN 5
#define QQ 512

enum qmsg_type { Q_CLAIM, Q_VOTE, Q_BLOCKS };

struct qmsg {
	enum qmsg_type t;
	struct sluice_prefix block;
	bool ok;
};

struct qlink {
	struct qmsg m[QQ];
	size_t head, n;
};

struct qnode {
	struct node nd;
	bool claiming;
	struct sluice_prefix block;
	bool acked[QN];
	int allocs;
};

static struct qlink qlinks[QN][QN];	/* [from][to] */

static void
qsend(int from, int to, enum qmsg_type t, const struct sluice_prefix *b,
    bool ok)
{
	struct qlink *l = &qlinks[from][to];

	ASSERT(l->n < QQ);
	l->m[(l->head + l->n++) % QQ] = (struct qmsg){ t, *b, ok };
}

static void
qannounce(struct qnode *q, int self)
{
	for (int j = 0; j < QN; j++)
		if (j != self)
			qsend(self, j, Q_BLOCKS, &q[self].block, false);
}

static void
qabort(struct qnode *q, int i)
{
	ipam_avoid(q[i].nd.ipam, &q[i].block);
	q[i].claiming = false;
	ASSERT_OK(ipam_votes_sync(q[i].nd.ipam, q[i].nd.name, NULL, 0, err,
	    sizeof(err)));
	qannounce(q, i);
}

/* Delivers BLOCKS from i to j: i's owned blocks and its claim. */
static void
qblocks(struct qnode *q, int i, int j)
{
	struct ipam_block_claim claims[64];
	struct sluice_prefix keep[65];
	struct ipam_allocs moved = { 0 };
	struct ipam_list l;
	size_t nc = 0;

	ASSERT_OK(ipam_list_get(q[i].nd.ipam, &l, err, sizeof(err)));
	for (size_t b = 0; b < l.nblocks; b++) {
		if (strcmp(l.blocks[b].owner, q[i].nd.name) != 0)
			continue;
		ASSERT(nc < 64);
		claims[nc] = (struct ipam_block_claim){ l.blocks[b].prefix,
			q[i].nd.name, l.blocks[b].gen };
		keep[nc] = l.blocks[b].prefix;
		nc++;
	}
	ipam_list_free(&l);
	ASSERT_OK(ipam_blocks_sync(q[j].nd.ipam, q[i].nd.name, claims, nc,
	    &moved, err, sizeof(err)));
	ASSERT_EQ(moved.n, 0);	/* quorum: never a conflict to settle */
	if (q[i].claiming)
		keep[nc] = q[i].block;
	ASSERT_OK(ipam_votes_sync(q[j].nd.ipam, q[i].nd.name, keep,
	    nc + q[i].claiming, err, sizeof(err)));
}

static void
qdeliver(struct qnode *q, int from, int to)
{
	struct qlink *l = &qlinks[from][to];
	struct qmsg m = l->m[l->head];
	char holder[IPAM_NAME_MAX];
	int acks = 1, rc;

	l->head = (l->head + 1) % QQ;
	l->n--;
	switch (m.t) {
	case Q_CLAIM:
		rc = ipam_vote(q[to].nd.ipam, &m.block, q[from].nd.name,
		    holder, sizeof(holder), err, sizeof(err));
		ASSERT(rc == 0 || rc == -EEXIST || rc == -EBUSY);
		qsend(to, from, Q_VOTE, &m.block, rc == 0);
		break;
	case Q_VOTE:
		if (!q[to].claiming || !prefix_same(&q[to].block, &m.block))
			break;	/* a late answer to a claim given up */
		if (!m.ok) {
			qabort(q, to);
			break;
		}
		q[to].acked[from] = true;
		for (int j = 0; j < QN; j++)
			acks += j != to && q[to].acked[j];
		if (acks < QN / 2 + 1)
			break;
		rc = ipam_block_commit(q[to].nd.ipam, &m.block,
		    q[to].nd.name, holder, sizeof(holder), err, sizeof(err));
		ASSERT_EQ(rc, 0);
		q[to].claiming = false;
		ipam_avoid_clear(q[to].nd.ipam);
		qannounce(q, to);
		break;
	case Q_BLOCKS:
		qblocks(q, from, to);
		break;
	}
}

static void
qstep_alloc(struct qnode *q, int i)
{
	struct ipam_result r;
	char h[64], holder[IPAM_NAME_MAX];
	int rc;

	snprintf(h, sizeof(h), "%s-%d/eth0", q[i].nd.name, q[i].allocs);
	rc = alloc(&q[i].nd, h, "default", &r);
	if (rc == 0) {
		q[i].allocs++;
		return;
	}
	if (rc != -EAGAIN) {
		ASSERT_EQ(rc, -ENOSPC);
		return;
	}
	rc = ipam_vote(q[i].nd.ipam, &r.need_block, q[i].nd.name, holder,
	    sizeof(holder), err, sizeof(err));
	if (rc != 0) {
		ASSERT(rc == -EBUSY || rc == -EEXIST);
		ipam_avoid(q[i].nd.ipam, &r.need_block);
		return;
	}
	q[i].claiming = true;
	q[i].block = r.need_block;
	memset(q[i].acked, 0, sizeof(q[i].acked));
	qannounce(q, i);	/* "claiming" goes out before the claim */
	for (int j = 0; j < QN; j++)
		if (j != i)
			qsend(i, j, Q_CLAIM, &r.need_block, false);
}

static void
test_quorum_random(void)
{
	static struct qnode q[QN];
	struct ipam_pool p = { 0 };
	int steps = 0, claims_done = 0;

	memset(qlinks, 0, sizeof(qlinks));
	p.name = "q";
	p.cidr = P("10.22.0.0/25");	/* 8 blocks for 5 nodes */
	p.block_size = 28;
	for (int i = 0; i < QN; i++) {
		char name[16];

		memset(&q[i], 0, sizeof(q[i]));
		snprintf(name, sizeof(name), "n%d", i);
		node_init(&q[i].nd, "quorum", name, "z1");
		ASSERT_OK(ipam_pools_set(q[i].nd.ipam, &p, 1, err,
		    sizeof(err)));
		ipam_claims_quorum(q[i].nd.ipam, true);
	}
	for (steps = 0; steps < 20000; steps++) {
		int i = (int)check_below(QN), j = (int)check_below(QN);
		unsigned int what = check_below(1000);

		if (what < 250 && !q[i].claiming && q[i].allocs < 60) {
			qstep_alloc(q, i);
		} else if (what < 950 && i != j && qlinks[i][j].n > 0) {
			qdeliver(q, i, j);
		} else if (what < 953 && q[i].claiming) {
			/* The claim's deadline: given up, and the request
			 * that wanted it answered (so its avoid list goes). */
			qabort(q, i);
			ipam_avoid_clear(q[i].nd.ipam);
		} else if (what < 960 && i != j) {
			/* Link reset: in-flight frames lost; a new link
			 * starts with both announcements. */
			qlinks[i][j].n = qlinks[j][i].n = 0;
			qsend(i, j, Q_BLOCKS, &q[i].block, false);
			qsend(j, i, Q_BLOCKS, &q[j].block, false);
		}
	}
	/* Drain what is in flight, then check the owners across stores. */
	for (bool busy = true; busy;) {
		busy = false;
		for (int i = 0; i < QN; i++)
			for (int j = 0; j < QN; j++)
				if (i != j && qlinks[i][j].n > 0) {
					qdeliver(q, i, j);
					busy = true;
				}
	}
	{
		struct sluice_prefix owned[QN * 16];
		struct sluice_addr addrs[QN * 256];
		size_t nowned = 0, naddrs = 0;

		for (int i = 0; i < QN; i++) {
			struct ipam_list l;

			ASSERT_OK(ipam_list_get(q[i].nd.ipam, &l, err,
			    sizeof(err)));
			for (size_t b = 0; b < l.nblocks; b++) {
				if (strcmp(l.blocks[b].owner, q[i].nd.name))
					continue;
				for (size_t k = 0; k < nowned; k++)
					ASSERT(!prefix_same(&owned[k],
					    &l.blocks[b].prefix));
				owned[nowned++] = l.blocks[b].prefix;
			}
			for (size_t a = 0; a < l.allocs.n; a++) {
				for (size_t k = 0; k < naddrs; k++)
					ASSERT(!sluice_addr_eq(&addrs[k],
					    &l.allocs.v[a].addr));
				addrs[naddrs++] = l.allocs.v[a].addr;
			}
			ipam_list_free(&l);
			problems_seen = 0;
			ASSERT_EQ(ipam_verify(q[i].nd.ipam, count_problem,
			    NULL), 0);
		}
		claims_done = (int)nowned;
		printf("  %d blocks claimed by quorum, %zu addresses, none twice\n",
		    claims_done, naddrs);
		ASSERT(claims_done >= 6);	/* contention, yet progress */
	}
	for (int i = 0; i < QN; i++)
		node_close(&q[i].nd);
}

/*
 * Three nodes allocate in storms without hearing of each other, then
 * sync: afterwards no address is held twice across the cluster, every
 * handle still holds exactly one address (or was reported released),
 * and the block views agree.
 */
static void
test_conflict_random(void)
{
	struct node nodes[3];
	struct ipam_pool p = { 0 };

	for (int i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%d", i);
		node_init(&nodes[i], "storm", name, "z1");
	}
	p.name = "a";
	p.cidr = P("10.8.0.0/25");
	p.block_size = 29;	/* 16 blocks of 8 */
	for (int i = 0; i < 3; i++)
		ASSERT_OK(ipam_pools_set(nodes[i].ipam, &p, 1, err,
		    sizeof(err)));
	for (int round = 0; round < 8; round++) {
		struct ipam_allocs moved = { 0 };
		struct ipam_list l[3];

		for (int k = 0; k < 40; k++) {
			int ni = (int)check_below(3);
			struct ipam_request rq;
			struct ipam_result r;
			struct sluice_addr a;
			char h[32];
			int rc;

			snprintf(h, sizeof(h), "n%d-r%d-%d/eth0", ni, round,
			    k);
			request(&rq, &nodes[ni], h, "default");
			if (check_below(3) == 0) {
				a = A("10.8.0.0");
				a.u.b[3] = (uint8_t)check_below(128);
				rq.addr = &a;
			}
			rc = ipam_allocate(nodes[ni].ipam, &rq, &r, err,
			    sizeof(err));
			ASSERT(rc == 0 || rc == -ENOSPC || rc == -EINVAL ||
			    rc == -EADDRINUSE || rc == -EADDRNOTAVAIL);
			if (check_below(4) == 0 && rc == 0)
				ASSERT_OK(ipam_release(nodes[ni].ipam, h, NULL,
				    err, sizeof(err)));
		}
		sync_all(nodes, 3, &moved);
		for (size_t i = 0; i < moved.n; i++)
			if (moved.v[i].moved_to.family == 0)
				ASSERT_EQ(ipam_lookup(nodes[moved.v[i].node[1] -
				    '0'].ipam, moved.v[i].handle, &moved.v[i]
				    .moved_to), -ENOENT);
		ipam_allocs_free(&moved);
		for (int i = 0; i < 3; i++) {
			problems_seen = 0;
			ASSERT_EQ(ipam_verify(nodes[i].ipam, count_problem,
			    NULL), 0);
			ASSERT_OK(ipam_list_get(nodes[i].ipam, &l[i], err,
			    sizeof(err)));
		}
		/* Same block view everywhere; no address held twice. */
		for (int i = 1; i < 3; i++) {
			ASSERT_EQ(l[i].nblocks, l[0].nblocks);
			for (size_t b = 0; b < l[0].nblocks; b++) {
				ASSERT(sluice_addr_eq(&l[i].blocks[b].prefix
				    .addr, &l[0].blocks[b].prefix.addr));
				ASSERT_STR_EQ(l[i].blocks[b].owner,
				    l[0].blocks[b].owner);
			}
		}
		for (int i = 0; i < 3; i++)
			for (int j = i + 1; j < 3; j++)
				for (size_t x = 0; x < l[i].allocs.n; x++)
					for (size_t y = 0; y < l[j].allocs.n;
					    y++)
						ASSERT(!sluice_addr_eq(
						    &l[i].allocs.v[x].addr,
						    &l[j].allocs.v[y].addr));
		for (int i = 0; i < 3; i++)
			ipam_list_free(&l[i]);
	}
	for (int i = 0; i < 3; i++)
		node_close(&nodes[i]);
}

/* ---- consistency reports ------------------------------------------------ */

static void
test_verify_reports(void)
{
	struct ipam_pool p = { 0 };
	struct ipam_result r;
	struct store_txn *txn;
	struct node n;
	uint8_t junk[] = { 0xc1 };

	node_init(&n, "verify", "n1", "z1");
	p.name = "a";
	p.cidr = P("10.30.0.0/24");
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	ASSERT_OK(alloc(&n, "c1/eth0", "default", &r));
	ASSERT_OK(alloc(&n, "c2/eth0", "default", &r));
	ASSERT_OK(alloc(&n, "c3/eth0", "default", &r));
	node_close(&n);

	/* Damage the records behind IPAM's back. */
	ASSERT_OK(store_open(&n.st, n.dir, err, sizeof(err)));
	ASSERT_OK(store_txn_begin(n.st, true, &txn));
	ASSERT_OK(store_del(txn, STORE_DB_IPAM_BY_HANDLE, "c1/eth0", 7));
	ASSERT_OK(store_put(txn, STORE_DB_IPAM_BY_HANDLE, "c2/eth0", 7, junk,
	    sizeof(junk)));
	ASSERT_OK(store_put(txn, STORE_DB_IPAM_BY_HANDLE, "ghost/eth0", 10,
	    "\x81\xa1\x61\xc4\x05\x04\x0a\x1e\x00\x63", 10));
	ASSERT_OK(store_txn_commit(txn));
	problems_seen = 0;
	ASSERT_OK(ipam_open(&n.ipam, n.st, count_problem, NULL, err,
	    sizeof(err)));
	/* c1 no by-handle, c2 unreadable, ghost dangling. */
	ASSERT_EQ(problems_seen, 3);
	/* Still usable: releasing and allocating do not crash. */
	ASSERT_OK(ipam_pools_set(n.ipam, &p, 1, err, sizeof(err)));
	ASSERT_OK(ipam_release(n.ipam, "c2/eth0", NULL, err, sizeof(err)));
	ASSERT_OK(ipam_release(n.ipam, "ghost/eth0", NULL, err, sizeof(err)));
	ASSERT_OK(ipam_release_addr(n.ipam, &r.addr, NULL, err, sizeof(err)));
	ASSERT_OK(alloc(&n, "c4/eth0", "default", &r));
	node_close(&n);
}

/* ---- kill -9 in the middle ------------------------------------------- */

/*
 * The child allocates and releases at random and reports on a pipe: a
 * line "+ HANDLE ADDR" or "- HANDLE" only after the call returned, so
 * after the commit. The parent kills it at a random moment.
 */
static void
crash_child(const char *dir, int fd, int run, uint64_t seed)
{
	static char live[400][32];
	struct store *st;
	struct ipam *ipam;
	struct ipam_pool p = { 0 };
	size_t nlive = 0;

	check_rng_state = seed;
	if (store_open(&st, dir, err, sizeof(err)) != 0 ||
	    ipam_open(&ipam, st, NULL, NULL, err, sizeof(err)) != 0)
		_exit(2);
	p.name = "a";
	p.cidr = P("10.40.0.0/20");
	p.block_size = 27;
	if (ipam_pools_set(ipam, &p, 1, err, sizeof(err)) != 0)
		_exit(3);
	for (int i = 0;; i++) {
		char line[128];
		int n;

		if (nlive > 0 && (nlive >= 400 || check_below(3) == 0)) {
			size_t k = check_below(nlive);

			if (ipam_release(ipam, live[k], NULL, err,
			    sizeof(err)) != 0)
				_exit(4);
			n = snprintf(line, sizeof(line), "- %s\n", live[k]);
			memcpy(live[k], live[--nlive], sizeof(live[k]));
		} else {
			struct ipam_request rq = { 0 };
			struct ipam_result r;

			snprintf(live[nlive], sizeof(live[nlive]),
			    "r%d-%d/eth0", run, i);
			rq.handle = live[nlive];
			rq.node = "n1";
			rq.namespace = "default";
			rq.pod = "p";
			if (ipam_allocate(ipam, &rq, &r, err, sizeof(err)) != 0)
				_exit(5);
			n = snprintf(line, sizeof(line), "+ %s %s\n",
			    live[nlive], S(&r.addr));
			nlive++;
		}
		if (write(fd, line, (size_t)n) != n)
			_exit(6);
	}
}

struct confirmed {
	char handle[IPAM_HANDLE_MAX];
	char addr[SLUICE_ADDRSTRLEN];
	bool live;
};

static void
test_crash(void)
{
	static struct confirmed conf[20000];
	size_t nconf = 0, total_missing = 0, total_extra = 0;
	char dir[4096];

	subdir(dir, sizeof(dir), "crash");
	for (int run = 0; run < 20; run++) {
		size_t nlive = 0;
		struct ipam_list l;
		struct node n;
		char buf[1 << 16], *line;
		size_t have = 0;
		int fds[2], status;
		uint64_t want = 20 + check_below(300);
		uint64_t lines = 0;
		size_t missing = 0, extra = 0;
		pid_t pid;

		ASSERT_OK(pipe(fds));
		fflush(NULL);
		pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(dir, fds[1], run, check_rand());
		}
		close(fds[1]);
		/* Let it run for a random number of operations, then kill. */
		while (lines < want) {
			ssize_t r = read(fds[0], buf + have, sizeof(buf) - have);

			ASSERT(r > 0);
			for (ssize_t i = 0; i < r; i++)
				lines += buf[have + i] == '\n';
			have += (size_t)r;
			ASSERT(have < sizeof(buf));
		}
		usleep((useconds_t)check_below(3000));
		ASSERT_OK(kill(pid, SIGKILL));
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		for (;;) {
			ssize_t r = read(fds[0], buf + have, sizeof(buf) - have);

			ASSERT(r >= 0);
			if (r == 0)
				break;
			have += (size_t)r;
			ASSERT(have < sizeof(buf));
		}
		close(fds[0]);
		buf[have] = '\0';

		/* Replay this run's confirmations onto the earlier ones. */
		for (line = strtok(buf, "\n"); line != NULL;
		    line = strtok(NULL, "\n")) {
			char h[32], a[SLUICE_ADDRSTRLEN];

			if (sscanf(line, "+ %31s %45s", h, a) == 2) {
				ASSERT(nconf < 20000);
				snprintf(conf[nconf].handle, sizeof(h), "%s", h);
				snprintf(conf[nconf].addr, sizeof(a), "%s", a);
				conf[nconf++].live = true;
			} else if (sscanf(line, "- %31s", h) == 1) {
				for (size_t k = 0; k < nconf; k++)
					if (strcmp(conf[k].handle, h) == 0)
						conf[k].live = false;
			}
		}
		/*
		 * Reopen: no problems, every confirmed allocation present at
		 * its address, and at most one difference: the call in
		 * flight at the kill (an allocation or a release that
		 * committed but was not confirmed).
		 */
		snprintf(n.dir, sizeof(n.dir), "%s", dir);
		node_open(&n);
		ASSERT_OK(ipam_list_get(n.ipam, &l, err, sizeof(err)));
		for (size_t k = 0; k < nconf; k++) {
			bool present = false;

			if (!conf[k].live)
				continue;
			nlive++;
			for (size_t i = 0; i < l.allocs.n; i++) {
				if (strcmp(l.allocs.v[i].handle,
				    conf[k].handle) != 0)
					continue;
				present = true;
				ASSERT_STR_EQ(S(&l.allocs.v[i].addr),
				    conf[k].addr);
			}
			if (!present) {
				missing++;
				conf[k].live = false;
			}
		}
		extra = l.allocs.n - (nlive - missing);
		ASSERT(l.allocs.n >= nlive - missing);
		ASSERT(missing + extra <= 1);
		/* Adopt the in-flight allocation, if it committed. */
		for (size_t i = 0; extra > 0 && i < l.allocs.n; i++) {
			bool known = false;

			for (size_t k = 0; k < nconf && !known; k++)
				known = conf[k].live && strcmp(conf[k].handle,
				    l.allocs.v[i].handle) == 0;
			if (known)
				continue;
			ASSERT(nconf < 20000);
			snprintf(conf[nconf].handle, sizeof(conf[nconf].handle),
			    "%s", l.allocs.v[i].handle);
			snprintf(conf[nconf].addr, sizeof(conf[nconf].addr),
			    "%s", S(&l.allocs.v[i].addr));
			conf[nconf++].live = true;
		}
		for (size_t i = 0; i < l.allocs.n; i++)
			for (size_t j = i + 1; j < l.allocs.n; j++)
				ASSERT(!sluice_addr_eq(&l.allocs.v[i].addr,
				    &l.allocs.v[j].addr));
		total_missing += missing;
		total_extra += extra;
		ipam_list_free(&l);
		node_close(&n);
	}
	printf("  20 kills: %zu in-flight allocations and %zu in-flight releases had committed\n",
	    total_extra, total_missing);
}

int
main(void)
{
	char tmpl[] = "/tmp/sluice-ipam-test.XXXXXX";

	check_seed();
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(top, sizeof(top), "%s", tmpl);
	RUN(test_selector);
	RUN(test_selector_random);
	RUN(test_pool_validation);
	RUN(test_rules);
	RUN(test_persistence);
	RUN(test_pod_meta);
	RUN(test_differential);
	RUN(test_conflict);
	RUN(test_conflict_random);
	RUN(test_votes);
	RUN(test_quorum_random);
	RUN(test_verify_reports);
	RUN(test_crash);
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
