/*
 * dns_bindings_test.c - the DNS bindings table (dns/dns.h): add, match and
 * any with exact and wildcard patterns, expiry at the grace boundary,
 * refresh, the per-pod and total limits (earliest expiry first, counted),
 * forget_pod, walk, IPv6 pods and addresses, a randomised run against a
 * brute-force model, and two threads using one table at once.
 *
 * Patterns are checked with dns_name_matches() from dns.h, the model's
 * too: the table's business is which bindings it holds, not what a
 * pattern means.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/dns.h"
#include "tests/unit/check.h"

static struct sluice_addr
A(const char *s)
{
	struct sluice_addr a;

	if (sluice_addr_parse(s, &a) != 0)
		CHECK_FAIL("bad address %s", s);
	return a;
}

static struct dns_bindings *
table(uint32_t per_pod, uint32_t total)
{
	struct dns_limits lim = { .per_pod = per_pod, .total = total };
	struct dns_bindings *t = dns_bindings_new(&lim);

	ASSERT(t != NULL);
	return t;
}

static void
add(struct dns_bindings *t, const char *pod, const char *name,
    const char *addr, uint64_t expires)
{
	struct sluice_addr p = A(pod), a = A(addr);

	ASSERT_OK(dns_bindings_add(t, &p, name, &a, expires));
}

/* The name pod has for addr under one pattern at now, or NULL. */
static const char *
match1(struct dns_bindings *t, const char *pod, const char *addr,
    const char *pattern, uint64_t now, uint32_t grace)
{
	static char buf[DNS_NAME_MAX];
	struct sluice_addr p = A(pod), a = A(addr);
	const char *pats[1] = { pattern };

	return dns_bindings_match(t, &p, &a, pats, 1, now, grace, buf,
	    sizeof(buf)) ? buf : NULL;
}

static const char *
any(struct dns_bindings *t, const char *pod, const char *addr, uint64_t now,
    uint32_t grace)
{
	static char buf[DNS_NAME_MAX];
	struct sluice_addr p = A(pod), a = A(addr);

	return dns_bindings_any(t, &p, &a, now, grace, buf, sizeof(buf)) ?
	    buf : NULL;
}

static struct dns_stats
stats(struct dns_bindings *t)
{
	struct dns_stats st;

	dns_stats_get(t, &st);
	return st;
}

/* Walks into an array. */
struct listing {
	struct dns_binding_info b[64];
	size_t n;
	size_t stop_after;	/* 0: never */
};

static bool
list_fn(void *arg, const struct dns_binding_info *b)
{
	struct listing *l = arg;

	ASSERT(l->n < 64);
	l->b[l->n++] = *b;
	return l->stop_after == 0 || l->n < l->stop_after;
}

/* The expiry of (pod, name, addr) in a walk, or 0 if it is not there. */
static uint64_t
expiry_of(struct dns_bindings *t, const char *pod, const char *name,
    const char *addr)
{
	struct listing l = { .n = 0 };
	struct sluice_addr p = A(pod), a = A(addr);

	dns_bindings_walk(t, list_fn, &l);
	for (size_t i = 0; i < l.n; i++)
		if (sluice_addr_eq(&l.b[i].pod, &p) &&
		    sluice_addr_eq(&l.b[i].addr, &a) &&
		    strcmp(l.b[i].name, name) == 0)
			return l.b[i].expires;
	return 0;
}

static void
test_add_match(void)
{
	struct dns_bindings *t = table(16, 64);
	const char *pod = "10.244.1.5", *other = "10.244.1.6";
	const char *pats[3] = { "*.example.org", "api.example.com",
		"*.svc.example.com" };
	struct sluice_addr p = A(pod), a = A("192.0.2.10");
	char name[DNS_NAME_MAX];

	add(t, pod, "api.example.com", "192.0.2.10", 100);
	add(t, pod, "www.example.com", "192.0.2.10", 100);
	add(t, pod, "db.svc.example.com", "192.0.2.20", 100);

	ASSERT_STR_EQ(match1(t, pod, "192.0.2.10", "api.example.com", 50, 0),
	    "api.example.com");
	ASSERT_STR_EQ(match1(t, pod, "192.0.2.10", "*.example.com", 50, 0),
	    match1(t, pod, "192.0.2.10", "*.example.com", 50, 0));
	ASSERT(match1(t, pod, "192.0.2.10", "*.example.com", 50, 0) != NULL);
	ASSERT_STR_EQ(match1(t, pod, "192.0.2.10", "WWW.Example.COM.", 50, 0),
	    "www.example.com");
	/* A wildcard is below its suffix only. */
	ASSERT(match1(t, pod, "192.0.2.10", "*.api.example.com", 50, 0) ==
	    NULL);
	ASSERT_STR_EQ(match1(t, pod, "192.0.2.20", "*.example.com", 50, 0),
	    "db.svc.example.com");
	ASSERT(match1(t, pod, "192.0.2.20", "api.example.com", 50, 0) == NULL);
	/* The name is bound to its address, not to the pod's others. */
	ASSERT(match1(t, pod, "192.0.2.30", "*.example.com", 50, 0) == NULL);
	/* Another pod resolved nothing. */
	ASSERT(match1(t, other, "192.0.2.10", "*.example.com", 50, 0) == NULL);
	ASSERT(any(t, other, "192.0.2.10", 50, 0) == NULL);

	/* Several patterns: any one will do. */
	ASSERT(dns_bindings_match(t, &p, &a, pats, 3, 50, 0, name,
	    sizeof(name)));
	ASSERT_STR_EQ(name, "api.example.com");
	ASSERT(!dns_bindings_match(t, &p, &a, pats, 1, 50, 0, name,
	    sizeof(name)));
	ASSERT(!dns_bindings_match(t, &p, &a, pats, 0, 50, 0, name,
	    sizeof(name)));
	/* The name is truncated to the room given, and optional. */
	ASSERT(dns_bindings_match(t, &p, &a, pats + 1, 1, 50, 0, name, 4));
	ASSERT_STR_EQ(name, "api");
	ASSERT(dns_bindings_match(t, &p, &a, pats + 1, 1, 50, 0, NULL, 0));

	ASSERT(any(t, pod, "192.0.2.20", 50, 0) != NULL);
	ASSERT_STR_EQ(any(t, pod, "192.0.2.20", 50, 0), "db.svc.example.com");
	ASSERT(any(t, pod, "192.0.2.30", 50, 0) == NULL);

	/* Names are kept lowercase without the dot: the same binding. */
	add(t, pod, "API.Example.com.", "192.0.2.10", 100);
	ASSERT_EQ(stats(t).bindings, 3);
	ASSERT_EQ(stats(t).added, 3);
	ASSERT_EQ(stats(t).refreshed, 1);

	/* What the table refuses. */
	{
		struct sluice_addr none = { .family = 0 };
		char longname[DNS_NAME_MAX + 8];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		ASSERT_EQ(dns_bindings_add(t, &none, "x.com", &a, 1), -EINVAL);
		ASSERT_EQ(dns_bindings_add(t, &p, "x.com", &none, 1), -EINVAL);
		ASSERT_EQ(dns_bindings_add(t, &p, "", &a, 1), -EINVAL);
		ASSERT_EQ(dns_bindings_add(t, &p, ".", &a, 1), -EINVAL);
		ASSERT_EQ(dns_bindings_add(t, &p, longname, &a, 1), -EINVAL);
		ASSERT(!dns_bindings_any(t, &none, &a, 0, 0, NULL, 0));
		ASSERT_EQ(dns_bindings_forget_pod(t, &none), 0);
		ASSERT_EQ(stats(t).bindings, 3);
	}
	ASSERT(dns_bindings_bytes(t) > 0);
	dns_bindings_free(t);
	dns_bindings_free(NULL);
}

static void
test_grace(void)
{
	struct dns_bindings *t = table(16, 64);
	const char *pod = "10.244.1.5";

	add(t, pod, "a.example.com", "192.0.2.1", 1000);
	add(t, pod, "b.example.com", "192.0.2.2", 1010);
	/* Alive up to expires + grace inclusive, dead a second later. */
	ASSERT(match1(t, pod, "192.0.2.1", "a.example.com", 1000, 0) != NULL);
	ASSERT(match1(t, pod, "192.0.2.1", "a.example.com", 1001, 0) == NULL);
	ASSERT(match1(t, pod, "192.0.2.1", "a.example.com", 1030, 30) != NULL);
	ASSERT(match1(t, pod, "192.0.2.1", "a.example.com", 1031, 30) == NULL);
	ASSERT(any(t, pod, "192.0.2.1", 1030, 30) != NULL);
	ASSERT(any(t, pod, "192.0.2.1", 1031, 30) == NULL);
	/* Dead but not yet expired, it still counts and still lists. */
	ASSERT_EQ(stats(t).bindings, 2);

	ASSERT_EQ(dns_bindings_expire(t, 1030, 30), 0);
	ASSERT_EQ(dns_bindings_expire(t, 1031, 30), 1);
	ASSERT_EQ(expiry_of(t, pod, "a.example.com", "192.0.2.1"), 0);
	ASSERT_EQ(expiry_of(t, pod, "b.example.com", "192.0.2.2"), 1010);
	ASSERT_EQ(dns_bindings_expire(t, 1040, 30), 0);
	ASSERT_EQ(dns_bindings_expire(t, 1041, 30), 1);
	ASSERT_EQ(stats(t).expired, 2);
	ASSERT_EQ(stats(t).bindings, 0);

	/* No overflow at the end of time. */
	add(t, pod, "c.example.com", "192.0.2.3", UINT64_MAX - 5);
	ASSERT(match1(t, pod, "192.0.2.3", "c.example.com", UINT64_MAX,
	    UINT32_MAX) != NULL);
	ASSERT(match1(t, pod, "192.0.2.3", "c.example.com", UINT64_MAX, 4) ==
	    NULL);
	ASSERT_EQ(dns_bindings_expire(t, UINT64_MAX, 5), 0);
	ASSERT_EQ(dns_bindings_expire(t, UINT64_MAX, 4), 1);
	dns_bindings_free(t);
}

static void
test_refresh(void)
{
	struct dns_bindings *t = table(16, 64);
	const char *pod = "10.244.1.5";

	add(t, pod, "a.example.com", "192.0.2.1", 100);
	add(t, pod, "a.example.com", "192.0.2.1", 50);	/* keeps 100 */
	ASSERT_EQ(expiry_of(t, pod, "a.example.com", "192.0.2.1"), 100);
	add(t, pod, "a.example.com", "192.0.2.1", 200);
	ASSERT_EQ(expiry_of(t, pod, "a.example.com", "192.0.2.1"), 200);
	ASSERT_EQ(stats(t).added, 1);
	ASSERT_EQ(stats(t).refreshed, 2);
	ASSERT_EQ(stats(t).bindings, 1);
	/* The refreshed expiry is the one expiry goes by. */
	ASSERT_EQ(dns_bindings_expire(t, 150, 0), 0);
	ASSERT_EQ(dns_bindings_expire(t, 201, 0), 1);
	dns_bindings_free(t);
}

static void
test_per_pod(void)
{
	struct dns_bindings *t = table(3, 64);
	const char *pod = "10.244.1.5", *other = "10.244.1.6";

	add(t, other, "o.example.com", "192.0.2.9", 1);
	add(t, pod, "a.example.com", "192.0.2.1", 30);
	add(t, pod, "b.example.com", "192.0.2.1", 10);
	add(t, pod, "c.example.com", "192.0.2.1", 20);
	/* A refresh at the limit evicts nothing. */
	add(t, pod, "c.example.com", "192.0.2.1", 25);
	ASSERT_EQ(stats(t).evicted_pod, 0);

	/* The pod's earliest goes (b, 10), not the other pod's (o, 1). */
	add(t, pod, "d.example.com", "192.0.2.1", 40);
	ASSERT_EQ(stats(t).evicted_pod, 1);
	ASSERT_EQ(expiry_of(t, pod, "b.example.com", "192.0.2.1"), 0);
	ASSERT_EQ(expiry_of(t, other, "o.example.com", "192.0.2.9"), 1);
	ASSERT_EQ(expiry_of(t, pod, "a.example.com", "192.0.2.1"), 30);
	ASSERT_EQ(expiry_of(t, pod, "c.example.com", "192.0.2.1"), 25);
	ASSERT_EQ(expiry_of(t, pod, "d.example.com", "192.0.2.1"), 40);

	/* A new binding that would expire first is the one that goes. */
	add(t, pod, "e.example.com", "192.0.2.1", 5);
	ASSERT_EQ(stats(t).evicted_pod, 2);
	ASSERT_EQ(expiry_of(t, pod, "e.example.com", "192.0.2.1"), 0);
	ASSERT_EQ(stats(t).bindings, 4);
	ASSERT_EQ(stats(t).added, 6);
	dns_bindings_free(t);

	/* One binding per pod: the pod's only one is replaced. */
	t = table(1, 8);
	add(t, pod, "a.example.com", "192.0.2.1", 10);
	add(t, pod, "b.example.com", "192.0.2.1", 20);
	ASSERT_STR_EQ(any(t, pod, "192.0.2.1", 0, 0), "b.example.com");
	add(t, pod, "c.example.com", "192.0.2.1", 15);
	ASSERT_STR_EQ(any(t, pod, "192.0.2.1", 0, 0), "b.example.com");
	ASSERT_EQ(stats(t).evicted_pod, 2);
	ASSERT_EQ(stats(t).bindings, 1);
	dns_bindings_free(t);
}

static void
test_total(void)
{
	struct dns_bindings *t = table(8, 4);
	const char *p1 = "10.244.1.5", *p2 = "10.244.2.5", *p3 = "fd00::3";

	add(t, p1, "a.example.com", "192.0.2.1", 40);
	add(t, p1, "b.example.com", "192.0.2.1", 10);
	add(t, p2, "c.example.com", "192.0.2.1", 30);
	add(t, p2, "d.example.com", "192.0.2.1", 20);
	/* Full: the earliest of anyone's goes (p1's b, 10). */
	add(t, p3, "e.example.com", "192.0.2.1", 50);
	ASSERT_EQ(stats(t).evicted_total, 1);
	ASSERT_EQ(stats(t).evicted_pod, 0);
	ASSERT_EQ(expiry_of(t, p1, "b.example.com", "192.0.2.1"), 0);
	/* Then p2's d (20), then p2's c (30): p2 is left with nothing. */
	add(t, p1, "f.example.com", "192.0.2.2", 60);
	add(t, p3, "g.example.com", "192.0.2.2", 70);
	ASSERT_EQ(stats(t).evicted_total, 3);
	ASSERT(any(t, p2, "192.0.2.1", 0, 0) == NULL);
	ASSERT_EQ(dns_bindings_forget_pod(t, &(struct sluice_addr){ 0 }), 0);
	{
		struct sluice_addr p = A(p2);

		ASSERT_EQ(dns_bindings_forget_pod(t, &p), 0);
	}
	/* Earlier than all: the new one goes, counted. */
	add(t, p2, "h.example.com", "192.0.2.1", 1);
	ASSERT_EQ(stats(t).evicted_total, 4);
	ASSERT(any(t, p2, "192.0.2.1", 0, 0) == NULL);
	ASSERT_EQ(stats(t).bindings, 4);
	ASSERT_EQ(expiry_of(t, p1, "a.example.com", "192.0.2.1"), 40);
	ASSERT_EQ(expiry_of(t, p3, "e.example.com", "192.0.2.1"), 50);
	ASSERT_EQ(expiry_of(t, p1, "f.example.com", "192.0.2.2"), 60);
	ASSERT_EQ(expiry_of(t, p3, "g.example.com", "192.0.2.2"), 70);
	dns_bindings_free(t);

	/* A pod whose only binding is the earliest keeps the new one (p1's
	 * a goes for its b); then p1 loses its last binding to p2's c. */
	t = table(8, 1);
	add(t, p1, "a.example.com", "192.0.2.1", 40);
	add(t, p1, "b.example.com", "192.0.2.1", 80);
	add(t, p2, "c.example.com", "192.0.2.1", 90);
	ASSERT_STR_EQ(any(t, p2, "192.0.2.1", 0, 0), "c.example.com");
	ASSERT(any(t, p1, "192.0.2.1", 0, 0) == NULL);
	ASSERT_EQ(stats(t).evicted_total, 2);
	ASSERT_EQ(stats(t).bindings, 1);
	dns_bindings_free(t);
}

static void
test_forget(void)
{
	struct dns_bindings *t = table(16, 64);
	const char *p1 = "10.244.1.5", *p2 = "10.244.2.5";
	struct sluice_addr a1 = A(p1);

	for (int i = 0; i < 10; i++) {
		char name[32], addr[32];

		snprintf(name, sizeof(name), "n%d.example.com", i % 4);
		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		add(t, p1, name, addr, 100 + (uint64_t)i);
	}
	add(t, p2, "n0.example.com", "192.0.2.0", 100);
	ASSERT_EQ(dns_bindings_forget_pod(t, &a1), 10);
	ASSERT_EQ(dns_bindings_forget_pod(t, &a1), 0);
	ASSERT(any(t, p1, "192.0.2.0", 0, 0) == NULL);
	/* The name p1 shared with p2 is still p2's. */
	ASSERT_STR_EQ(any(t, p2, "192.0.2.0", 0, 0), "n0.example.com");
	ASSERT_EQ(stats(t).bindings, 1);
	/* The pod can start again. */
	add(t, p1, "n0.example.com", "192.0.2.0", 100);
	ASSERT_STR_EQ(any(t, p1, "192.0.2.0", 0, 0), "n0.example.com");
	ASSERT_EQ(dns_bindings_expire(t, 1000, 0), 2);
	dns_bindings_free(t);
}

static void
test_walk(void)
{
	struct dns_bindings *t = table(16, 64);
	struct listing l = { .n = 0 };
	struct sluice_addr p6 = A("fd00:10:244::7"), a6 = A("2001:db8::1");
	bool seen6 = false;

	add(t, "10.244.1.5", "a.example.com", "192.0.2.1", 100);
	add(t, "10.244.1.5", "b.example.com", "192.0.2.2", 200);
	add(t, "10.244.2.5", "a.example.com", "192.0.2.1", 300);
	add(t, "fd00:10:244::7", "c.example.com", "2001:db8::1", 400);
	dns_bindings_walk(t, list_fn, &l);
	ASSERT_EQ(l.n, 4);
	for (size_t i = 0; i < l.n; i++) {
		const struct dns_binding_info *b = &l.b[i];

		if (b->pod.family == AF_INET6) {
			ASSERT(sluice_addr_eq(&b->pod, &p6));
			ASSERT(sluice_addr_eq(&b->addr, &a6));
			ASSERT_STR_EQ(b->name, "c.example.com");
			ASSERT_EQ(b->expires, 400);
			seen6 = true;
		}
	}
	ASSERT(seen6);
	l = (struct listing){ .stop_after = 2 };
	dns_bindings_walk(t, list_fn, &l);
	ASSERT_EQ(l.n, 2);
	l = (struct listing){ .stop_after = 1 };
	dns_bindings_walk(t, list_fn, &l);
	ASSERT_EQ(l.n, 1);
	dns_bindings_free(t);

	t = table(1, 1);
	l = (struct listing){ .n = 0 };
	dns_bindings_walk(t, list_fn, &l);
	ASSERT_EQ(l.n, 0);
	dns_bindings_free(t);
}

static void
test_ipv6(void)
{
	struct dns_bindings *t = table(16, 64);
	const char *p6 = "fd00:10:244:1::5", *p4 = "10.244.1.5";

	add(t, p6, "v6.example.com", "2001:db8::10", 100);
	add(t, p6, "v4.example.com", "192.0.2.10", 100);
	add(t, p4, "v6.example.com", "2001:db8::10", 100);
	ASSERT_STR_EQ(match1(t, p6, "2001:db8::10", "*.example.com", 0, 0),
	    "v6.example.com");
	ASSERT_STR_EQ(match1(t, p6, "192.0.2.10", "*.example.com", 0, 0),
	    "v4.example.com");
	ASSERT_STR_EQ(match1(t, p4, "2001:db8::10", "*.example.com", 0, 0),
	    "v6.example.com");
	ASSERT(match1(t, p4, "192.0.2.10", "*.example.com", 0, 0) == NULL);
	/* An IPv4-mapped address is not the IPv4 one, for pods or
	 * addresses: the data path sees them as different packets. */
	ASSERT(match1(t, p6, "::ffff:192.0.2.10", "*.example.com", 0, 0) ==
	    NULL);
	ASSERT(match1(t, "::ffff:10.244.1.5", "2001:db8::10", "*.example.com",
	    0, 0) == NULL);
	/* Neighbouring addresses differ in the last byte only. */
	ASSERT(match1(t, p6, "2001:db8::11", "*.example.com", 0, 0) == NULL);
	ASSERT(match1(t, "fd00:10:244:1::6", "2001:db8::10", "*.example.com",
	    0, 0) == NULL);
	{
		struct sluice_addr p = A(p6);

		ASSERT_EQ(dns_bindings_forget_pod(t, &p), 2);
	}
	ASSERT_EQ(stats(t).bindings, 1);
	dns_bindings_free(t);
}

/* ---- randomised, against a brute-force model ---------------------------- */

/*
 * A universe of pods, names (as added, some not normalised, and as
 * kept) and addresses that bindings are drawn from, and the most
 * bindings a round's table may hold. The small one makes collisions,
 * limits and refreshes frequent; the big one makes the heaps deep.
 */
struct universe {
	int npods, nnames, naddrs, max;
	const char *const *pods, *const *addrs;
	const char *const *names_in, *const *names;
};

static const char *const s_pods[] = { "10.244.0.1", "10.244.0.2",
	"10.244.1.1", "fd00::1", "fd00::2", "::ffff:10.244.0.1" };
static const char *const s_addrs[] = { "192.0.2.1", "192.0.2.2",
	"2001:db8::1", "2001:db8::2", "::ffff:192.0.2.1", "198.51.100.7" };
static const char *const s_names_in[] = { "a.example.com",
	"B.example.com", "x.b.example.com.", "example.com", "c.example.org",
	"deep.x.b.example.com", "Mixed.Example.COM.", "api.svc", "q.example.org" };
static const char *const s_names[] = { "a.example.com",
	"b.example.com", "x.b.example.com", "example.com", "c.example.org",
	"deep.x.b.example.com", "mixed.example.com", "api.svc", "q.example.org" };
static const struct universe small = { 6, 9, 6, 64, s_pods, s_addrs,
	s_names_in, s_names };

#define B_PODS 24
#define B_NAMES 400
#define B_ADDRS 300
static char b_pods[B_PODS][SLUICE_ADDRSTRLEN];
static char b_addrs[B_ADDRS][SLUICE_ADDRSTRLEN];
static char b_names[B_NAMES][32];
static const char *b_pods_p[B_PODS], *b_addrs_p[B_ADDRS], *b_names_p[B_NAMES];
static const struct universe big = { B_PODS, B_NAMES, B_ADDRS, 3000,
	b_pods_p, b_addrs_p, b_names_p, b_names_p };

static void
big_init(void)
{
	for (int i = 0; i < B_PODS; i++) {
		snprintf(b_pods[i], sizeof(b_pods[i]), i % 3 ? "10.244.%d.9" :
		    "fd00:10:244:%d::9", i);
		b_pods_p[i] = b_pods[i];
	}
	for (int i = 0; i < B_ADDRS; i++) {
		snprintf(b_addrs[i], sizeof(b_addrs[i]), i % 4 ? "10.96.%d.%d" :
		    "2001:db8::%x:%x", i / 256, i % 256);
		b_addrs_p[i] = b_addrs[i];
	}
	for (int i = 0; i < B_NAMES; i++) {
		snprintf(b_names[i], sizeof(b_names[i]), i % 2 ?
		    "s%d.example.com" : "s%d.q.example.org", i);
		b_names_p[i] = b_names[i];
	}
}

static const struct universe *u = &small;

static const char *const m_pats[] = { "a.example.com", "*.example.com",
	"*.b.example.com", "example.com", "*.example.org", "api.svc",
	"nothing.example.net", "*.svc", "X.B.EXAMPLE.COM.", "s7.example.com",
	"*.q.example.org" };
#define M_PATS (sizeof(m_pats) / sizeof(m_pats[0]))

struct mb {
	int pod, name, addr;
	uint64_t expires;
};

struct model {
	struct mb *b;		/* u->max + 1: one more before an eviction */
	int n;
	uint32_t per_pod, total;
	struct dns_stats st;
};

static int
m_find(const struct model *m, int pod, int name, int addr)
{
	for (int i = 0; i < m->n; i++)
		if (m->b[i].pod == pod && m->b[i].name == name &&
		    m->b[i].addr == addr)
			return i;
	return -1;
}

static void
m_del(struct model *m, int i)
{
	m->b[i] = m->b[--m->n];
}

/* The earliest of pod's (pod < 0: anyone's). */
static int
m_earliest(const struct model *m, int pod)
{
	int best = -1;

	for (int i = 0; i < m->n; i++)
		if ((pod < 0 || m->b[i].pod == pod) &&
		    (best < 0 || m->b[i].expires < m->b[best].expires))
			best = i;
	return best;
}

static void
m_add(struct model *m, int pod, int name, int addr, uint64_t expires)
{
	int i = m_find(m, pod, name, addr), k = 0;

	if (i >= 0) {
		m->st.refreshed++;
		if (expires > m->b[i].expires)
			m->b[i].expires = expires;
		return;
	}
	m->b[m->n++] = (struct mb){ pod, name, addr, expires };
	m->st.added++;
	for (int j = 0; j < m->n; j++)
		k += m->b[j].pod == pod;
	if ((uint32_t)k > m->per_pod) {
		m_del(m, m_earliest(m, pod));
		m->st.evicted_pod++;
	} else if ((uint32_t)m->n > m->total) {
		m_del(m, m_earliest(m, -1));
		m->st.evicted_total++;
	}
}

static bool
m_alive(uint64_t expires, uint64_t now, uint32_t grace)
{
	/* The model's times are far from overflowing. */
	return expires + grace >= now;
}

static int
cmp_info(const void *a, const void *b)
{
	const struct dns_binding_info *x = a, *y = b;
	int c;

	if ((c = memcmp(&x->pod, &y->pod, sizeof(x->pod))) != 0)
		return c;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

struct mlist {
	struct dns_binding_info *b;
	size_t n, cap;
};

static bool
collect(void *arg, const struct dns_binding_info *b)
{
	struct mlist *l = arg;

	ASSERT(l->n < l->cap);
	l->b[l->n++] = *b;
	return true;
}

static void
m_compare(struct dns_bindings *t, const struct model *m)
{
	size_t cap = (size_t)u->max + 1;
	struct mlist got = { calloc(cap, sizeof(*got.b)), 0, cap };
	struct mlist want = { calloc(cap, sizeof(*want.b)), 0, cap };
	struct dns_stats st;

	ASSERT(got.b != NULL && want.b != NULL);
	dns_bindings_walk(t, collect, &got);
	for (int i = 0; i < m->n; i++) {
		struct dns_binding_info *b = &want.b[want.n++];

		b->pod = A(u->pods[m->b[i].pod]);
		b->addr = A(u->addrs[m->b[i].addr]);
		snprintf(b->name, sizeof(b->name), "%s",
		    u->names[m->b[i].name]);
		b->expires = m->b[i].expires;
	}
	ASSERT_EQ(got.n, want.n);
	qsort(got.b, got.n, sizeof(got.b[0]), cmp_info);
	qsort(want.b, want.n, sizeof(want.b[0]), cmp_info);
	for (size_t i = 0; i < got.n; i++) {
		ASSERT_EQ(cmp_info(&got.b[i], &want.b[i]), 0);
		ASSERT_EQ(got.b[i].expires, want.b[i].expires);
	}
	free(got.b);
	free(want.b);
	dns_stats_get(t, &st);
	ASSERT_EQ(st.bindings, m->n);
	ASSERT_EQ(st.added, m->st.added);
	ASSERT_EQ(st.refreshed, m->st.refreshed);
	ASSERT_EQ(st.expired, m->st.expired);
	ASSERT_EQ(st.evicted_pod, m->st.evicted_pod);
	ASSERT_EQ(st.evicted_total, m->st.evicted_total);
}

/*
 * Expiries are unique (a random time, then a sequence number in the low
 * bits), so "the earliest" is one binding and the model agrees with the
 * table without a rule for ties.
 */
static void
m_round(int ops, int compare_every)
{
	struct model m = { .b = calloc((size_t)u->max + 1, sizeof(*m.b)) };
	struct dns_bindings *t;
	uint64_t seq = 0;

	ASSERT(m.b != NULL);
	m.total = 1 + (uint32_t)check_below((uint64_t)u->max);
	m.per_pod = 1 + (uint32_t)check_below(check_below(2) ?
	    (uint64_t)u->max / 8 : (uint64_t)u->max);
	t = table(m.per_pod, m.total);
	for (int op = 0; op < ops; op++) {
		int pod = (int)check_below((uint64_t)u->npods);
		int addr = (int)check_below((uint64_t)u->naddrs);
		uint64_t now = check_below(64) << 20 | check_below(1u << 20);
		uint32_t grace = check_below(2) ? 0 :
		    (uint32_t)check_below(4u << 20);
		struct sluice_addr p = A(u->pods[pod]), a = A(u->addrs[addr]);
		uint64_t r = check_below(100);

		if (r < 45) {
			int name = (int)check_below((uint64_t)u->nnames);
			uint64_t exp = check_below(64) << 20 | ++seq;

			ASSERT_OK(dns_bindings_add(t, &p, u->names_in[name], &a,
			    exp));
			m_add(&m, pod, name, addr, exp);
		} else if (r < 75) {
			const char *pats[4];
			size_t np = check_below(5);
			char name[DNS_NAME_MAX];
			bool want = false, got;

			for (size_t k = 0; k < np; k++)
				pats[k] = m_pats[check_below(M_PATS)];
			for (int i = 0; i < m.n; i++) {
				const struct mb *b = &m.b[i];

				if (b->pod != pod || b->addr != addr ||
				    !m_alive(b->expires, now, grace))
					continue;
				for (size_t k = 0; k < np; k++)
					want |= dns_name_matches(pats[k],
					    u->names[b->name]);
			}
			got = dns_bindings_match(t, &p, &a, pats, np, now,
			    grace, name, sizeof(name));
			ASSERT_EQ(got, want);
			if (got) {	/* one of the model's, matching */
				bool ok = false;

				for (int i = 0; i < m.n && !ok; i++) {
					const struct mb *b = &m.b[i];

					if (b->pod != pod || b->addr != addr ||
					    !m_alive(b->expires, now, grace) ||
					    strcmp(u->names[b->name], name) != 0)
						continue;
					for (size_t k = 0; k < np; k++)
						ok |= dns_name_matches(pats[k],
						    name);
				}
				ASSERT(ok);
			}
		} else if (r < 88) {
			char name[DNS_NAME_MAX];
			bool want = false, got;

			for (int i = 0; i < m.n; i++)
				want |= m.b[i].pod == pod &&
				    m.b[i].addr == addr &&
				    m_alive(m.b[i].expires, now, grace);
			got = dns_bindings_any(t, &p, &a, now, grace, name,
			    sizeof(name));
			ASSERT_EQ(got, want);
			if (got) {
				bool ok = false;

				for (int i = 0; i < m.n; i++)
					ok |= m.b[i].pod == pod &&
					    m.b[i].addr == addr &&
					    m_alive(m.b[i].expires, now,
					    grace) &&
					    strcmp(u->names[m.b[i].name],
					    name) == 0;
				ASSERT(ok);
			}
		} else if (r < 94) {
			size_t want = 0;

			for (int i = 0; i < m.n;)
				if (!m_alive(m.b[i].expires, now, grace)) {
					m_del(&m, i);
					want++;
				} else {
					i++;
				}
			m.st.expired += want;
			ASSERT_EQ(dns_bindings_expire(t, now, grace), want);
		} else if (r < 97) {
			size_t want = 0;

			for (int i = 0; i < m.n;)
				if (m.b[i].pod == pod) {
					m_del(&m, i);
					want++;
				} else {
					i++;
				}
			ASSERT_EQ(dns_bindings_forget_pod(t, &p), want);
		} else if (check_below((uint64_t)compare_every) == 0) {
			m_compare(t, &m);
		}
	}
	m_compare(t, &m);
	dns_bindings_free(t);
	free(m.b);
}

static void
test_model(void)
{
	time_t t0 = time(NULL);
	int rounds = 0;

	/* A few seconds at most, even under ASan; at least 200 rounds. */
	u = &small;
	while (rounds < 200 || (rounds < 4000 && time(NULL) - t0 < 2)) {
		m_round(2000, 1);
		rounds++;
	}
	printf("  %d small rounds\n", rounds);
	/* Deep heaps, thousands of bindings, many names per pod. */
	big_init();
	u = &big;
	t0 = time(NULL);
	rounds = 0;
	while (rounds < 2 || (rounds < 50 && time(NULL) - t0 < 2)) {
		m_round(30000, 20);
		rounds++;
	}
	printf("  %d big rounds\n", rounds);
	u = &small;
}

/* ---- two threads --------------------------------------------------------- */

/*
 * The worker adds and matches, the main loop walks, expires and forgets,
 * as in sluiced. Pods 0-3 get bindings with random expiries (some dead
 * already) and are forgotten from time to time; pods 4-7 get ever later
 * expiries far in the future and are never forgotten, so a binding just
 * added to one of them is always the latest and must match at once.
 */
#define T_PODS 8
#define T_PER_POD 16
#define T_TOTAL 64
#define T_FAR (1ull << 40)

struct shared {
	struct dns_bindings *t;
	atomic_bool stop;
	uint64_t adds, checks;
};

static struct sluice_addr
t_pod(int i)
{
	struct sluice_addr a;

	memset(&a, 0, sizeof(a));
	if (i % 2) {
		a.family = AF_INET6;
		a.u.v6.s6_addr[0] = 0xfd;
		a.u.v6.s6_addr[15] = (uint8_t)i;
	} else {
		a.family = AF_INET;
		a.u.v4.s_addr = htonl(0x0af40000u | (uint32_t)i);
	}
	return a;
}

static struct sluice_addr
t_addr(uint32_t i)
{
	struct sluice_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.u.v4.s_addr = htonl(0xc0000200u | (i & 0xff));
	return a;
}

static void *
t_worker(void *arg)
{
	struct shared *s = arg;
	uint64_t rng = 0x1234567, seq = 0;

	while (!atomic_load(&s->stop)) {
		int pod;
		uint32_t ai, ni;
		struct sluice_addr p, a;
		char name[32], got[DNS_NAME_MAX];
		const char *pats[2] = { "nomatch.example.net", name };
		uint64_t exp;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		pod = (int)(rng >> 60) % T_PODS;
		ai = (uint32_t)(rng >> 40) % 32;
		ni = (uint32_t)(rng >> 20) % 24;
		p = t_pod(pod);
		a = t_addr(ai);
		snprintf(name, sizeof(name), "n%u.example.com", ni);
		exp = pod < 4 ? (rng >> 8) % 2000 : T_FAR + ++seq;
		ASSERT_OK(dns_bindings_add(s->t, &p, name, &a, exp));
		s->adds++;
		if (pod >= 4) {
			ASSERT(dns_bindings_match(s->t, &p, &a, pats, 2, 1000,
			    0, got, sizeof(got)));
			ASSERT_STR_EQ(got, name);
			ASSERT(dns_bindings_any(s->t, &p, &a, 1000, 0, NULL,
			    0));
			s->checks++;
		} else {
			(void)dns_bindings_match(s->t, &p, &a, pats, 2, 1000,
			    0, got, sizeof(got));
		}
	}
	return NULL;
}

struct t_walk {
	size_t n;
	uint32_t per[T_PODS];
};

static bool
t_walk_fn(void *arg, const struct dns_binding_info *b)
{
	struct t_walk *w = arg;
	int pod = -1;

	for (int i = 0; i < T_PODS; i++) {
		struct sluice_addr p = t_pod(i);

		if (sluice_addr_eq(&p, &b->pod))
			pod = i;
	}
	ASSERT(pod >= 0);
	ASSERT(b->addr.family == AF_INET);
	ASSERT(strncmp(b->name, "n", 1) == 0);
	ASSERT_STR_HAS(b->name, ".example.com");
	ASSERT(pod < 4 ? b->expires < 2000 : b->expires > T_FAR);
	w->per[pod]++;
	w->n++;
	return true;
}

static void
test_threads(void)
{
	struct dns_limits lim = { .per_pod = T_PER_POD, .total = T_TOTAL };
	struct shared s = { .t = dns_bindings_new(&lim) };
	uint64_t forgotten = 0, rounds = 0, now = 0;
	struct timespec t0, t1;
	pthread_t th;

	ASSERT(s.t != NULL);
	atomic_init(&s.stop, false);
	ASSERT_OK(pthread_create(&th, NULL, t_worker, &s));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct t_walk w = { .n = 0 };
		struct dns_stats st;
		struct sluice_addr p = t_pod((int)(rounds % 4));

		dns_bindings_walk(s.t, t_walk_fn, &w);
		ASSERT(w.n <= T_TOTAL);
		for (int i = 0; i < T_PODS; i++)
			ASSERT(w.per[i] <= T_PER_POD);
		(void)dns_bindings_expire(s.t, now, 0);
		now = (now + 7) % 2000;
		if (rounds % 5 == 0)
			forgotten += dns_bindings_forget_pod(s.t, &p);
		/* Each add, refresh and eviction is whole within one hold of
		 * the lock, so the counters always add up. */
		dns_stats_get(s.t, &st);
		ASSERT(st.bindings <= T_TOTAL);
		ASSERT_EQ(st.added - st.expired - st.evicted_pod -
		    st.evicted_total - forgotten, st.bindings);
		rounds++;
		/* A main loop does other things between its calls; without
		 * this pause it takes the mutex back before the worker wakes
		 * up, and the worker barely runs. */
		nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec < 1 ||
	    (t1.tv_sec - t0.tv_sec == 1 && t1.tv_nsec < t0.tv_nsec));
	atomic_store(&s.stop, true);
	ASSERT_OK(pthread_join(th, NULL));
	printf("  %llu adds, %llu checked, %llu main-loop rounds\n",
	    (unsigned long long)s.adds, (unsigned long long)s.checks,
	    (unsigned long long)rounds);
	ASSERT(s.checks > 0 && rounds > 0);
	dns_bindings_free(s.t);
}

int
main(void)
{
	check_seed();
	RUN(test_add_match);
	RUN(test_grace);
	RUN(test_refresh);
	RUN(test_per_pod);
	RUN(test_total);
	RUN(test_forget);
	RUN(test_walk);
	RUN(test_ipv6);
	RUN(test_model);
	RUN(test_threads);
	return 0;
}
