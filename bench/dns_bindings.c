/*
 * bench/dns_bindings.c - the cost of the DNS bindings table (dns/dns.h),
 * without I/O: bytes per binding, and ns per add (new, refresh, with an
 * eviction) and per match (hit, miss, any) at 10k and 100k bindings,
 * then the cost of expiring them all.
 *
 *   bench_dns_bindings [SCALE]
 *
 * SCALE (default 1) multiplies the time of every timed measurement
 * (0.25 s each at 1). Not a test: run it by hand, on a quiet machine.
 *
 * Workload: 256 pods (one in four IPv6), each resolving its share of the
 * names, every name bound to 3 addresses (one in four IPv6), the names
 * shared by all pods as the replicas of a workload would share them.
 * "Distinct names" gives every binding a name of its own instead: the
 * most a name costs. Names are about 30 bytes. Matches give three
 * patterns of which the last one matches, as a policy with a few
 * domainNames would. Bytes come from dns_bindings_bytes() (the table's
 * arrays, names and pods) and from malloc's own count (mallinfo2: with
 * malloc's overhead).
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns.h"

#define PODS 256
#define PER_NAME 3		/* addresses per name */
#define CHUNK 256
#define NQ (1u << 16)		/* random queries per run */
#define T0 1700000000ull	/* wall-clock seconds */

static const uint32_t sizes[] = { 10000, 100000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static double budget = 0.25;	/* seconds per timed measurement */
static unsigned long long fails;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* What malloc handed out, its mmap()ed blocks (big arrays) included. */
static size_t
heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

struct bind {
	struct sluice_addr pod, addr;
	char name[40];
};

static void
pod_of(uint32_t p, struct sluice_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (p % 4 != 3) {
		a->family = AF_INET;
		a->u.v4.s_addr = htonl(0x0af40000u | p);
	} else {
		static const uint8_t pre[8] = { 0xfd, 0, 0, 0x10, 0x02, 0x44 };

		a->family = AF_INET6;
		memcpy(a->u.v6.s6_addr, pre, 8);
		memcpy(a->u.v6.s6_addr + 12, &p, 4);
	}
}

/*
 * Binding i of the workload, distinct for distinct i: pod i % PODS, its
 * j-th binding (j = i / PODS), name j / PER_NAME (or i itself if
 * distinct), address j % PER_NAME of that name. gen changes every
 * address, for bindings that are new to a full table.
 */
static void
bind_of(uint32_t i, bool distinct, uint32_t gen, struct bind *b)
{
	uint32_t j = i / PODS, name = distinct ? i : j / PER_NAME;
	uint64_t h = splitmix(((uint64_t)gen << 48) ^ ((uint64_t)name << 8) ^
	    (j % PER_NAME));

	pod_of(i % PODS, &b->pod);
	snprintf(b->name, sizeof(b->name), "api-%u.svc%u.example.com", name,
	    name % 7);
	memset(&b->addr, 0, sizeof(b->addr));
	if (h % 4 != 3) {
		b->addr.family = AF_INET;
		b->addr.u.v4.s_addr = htonl(0x0a600000u |
		    (uint32_t)((h >> 40) & 0xfffff));
	} else {
		b->addr.family = AF_INET6;
		b->addr.u.v6.s6_addr[0] = 0x20;
		b->addr.u.v6.s6_addr[1] = 0x01;
		memcpy(b->addr.u.v6.s6_addr + 8, &h, 8);
	}
}

#define TIMED(ns, ...)							\
	do {								\
		double t0_ = now(), t1_;				\
		uint64_t n_ = 0;					\
		do {							\
			for (int c_ = 0; c_ < CHUNK; c_++, n_++) {	\
				__VA_ARGS__;				\
			}						\
			t1_ = now();					\
		} while (t1_ - t0_ < budget);				\
		(ns) = (t1_ - t0_) * 1e9 / (double)n_;			\
	} while (0)

static struct bind *qs;		/* NQ bindings in the table */
static struct bind *qn;		/* NQ bindings new to it */

struct res {
	size_t bytes, malloc_bytes;
	double fill_ns, refresh_ns, evict_ns;
	double hit_ns, miss_ns, any_ns, expire_ns;
};

static void
bench(uint32_t n, bool distinct, struct res *r)
{
	struct dns_limits lim = { .per_pod = n, .total = n };
	static const char *const pats[3] = { "*.example.org",
		"www.example.net", "*.example.com" };
	size_t m0 = heap_bytes();
	struct dns_bindings *t = dns_bindings_new(&lim);
	uint64_t rng = 42, gen = 1;
	struct dns_stats st;
	char name[DNS_NAME_MAX];
	double t0;

	if (t == NULL) {
		fprintf(stderr, "bench_dns_bindings: no memory for %u\n", n);
		exit(1);
	}
	t0 = now();
	for (uint32_t i = 0; i < n; i++) {
		struct bind b;

		bind_of(i, distinct, 0, &b);
		if (dns_bindings_add(t, &b.pod, b.name, &b.addr,
		    T0 + 3600 + i) != 0)
			fails++;
	}
	r->fill_ns = (now() - t0) * 1e9 / n;
	r->bytes = dns_bindings_bytes(t);
	r->malloc_bytes = (heap_bytes() - m0 + n - 1) / n;
	for (uint32_t q = 0; q < NQ; q++) {
		rng = splitmix(rng);
		bind_of((uint32_t)(rng % n), distinct, 0, &qs[q]);
	}
	TIMED(r->refresh_ns, {
		const struct bind *b = &qs[n_ & (NQ - 1)];

		if (dns_bindings_add(t, &b->pod, b->name, &b->addr, T0) != 0)
			fails++;
	});
	TIMED(r->hit_ns, {
		const struct bind *b = &qs[n_ & (NQ - 1)];

		if (!dns_bindings_match(t, &b->pod, &b->addr, pats, 3, T0, 0,
		    name, sizeof(name)))
			fails++;
	});
	TIMED(r->any_ns, {
		const struct bind *b = &qs[n_ & (NQ - 1)];

		if (!dns_bindings_any(t, &b->pod, &b->addr, T0, 0, name,
		    sizeof(name)))
			fails++;
	});
	TIMED(r->miss_ns, {
		struct bind *b = &qs[n_ & (NQ - 1)];
		struct sluice_addr a = b->addr;

		a.u.b[0] ^= 0x80;	/* outside every bound prefix */
		if (dns_bindings_match(t, &b->pod, &a, pats, 3, T0, 0, name,
		    sizeof(name)))
			fails++;
	});
	/* Full: each new binding (expiring later than all) evicts the
	 * earliest. Fresh bindings each pass, so none is a refresh. */
	for (uint32_t q = 0; q < NQ; q++)
		bind_of(q, distinct, (uint32_t)gen, &qn[q]);
	{
		uint64_t exp = T0 + 7200;

		TIMED(r->evict_ns, {
			const struct bind *b = &qn[n_ & (NQ - 1)];

			if ((n_ & (NQ - 1)) == 0 && n_ > 0) {
				/* A new generation of addresses. */
				gen++;
				for (uint32_t q = 0; q < NQ; q++)
					bind_of(q, distinct,
					    (uint32_t)gen, &qn[q]);
			}
			if (dns_bindings_add(t, &b->pod, b->name, &b->addr,
			    ++exp) != 0)
				fails++;
		});
	}
	dns_stats_get(t, &st);
	if (st.bindings != n || st.evicted_total == 0)
		fails++;
	t0 = now();
	if (dns_bindings_expire(t, UINT64_MAX, 0) != n)
		fails++;
	r->expire_ns = (now() - t0) * 1e9 / n;
	dns_bindings_free(t);
}

int
main(int argc, char **argv)
{
	double scale = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	struct res res[2][NSIZES];

	if (!(scale > 0 && scale <= 100)) {
		fprintf(stderr,
		    "usage: bench_dns_bindings [SCALE], 0 < SCALE <= 100\n");
		return 2;
	}
	budget *= scale;
	qs = calloc(NQ, sizeof(*qs));
	qn = calloc(NQ, sizeof(*qn));
	if (qs == NULL || qn == NULL)
		return 1;
	printf("bench_dns_bindings: %.2f s per measurement, %ld cores, "
	    "%d pods, %d addresses per name\n\n", budget,
	    sysconf(_SC_NPROCESSORS_ONLN), PODS, PER_NAME);
	/* A first run to warm up (page faults, frequency), not shown. */
	bench(sizes[0], false, &res[0][0]);
	for (size_t s = 0; s < NSIZES; s++) {
		bench(sizes[s], false, &res[0][s]);
		bench(sizes[s], true, &res[1][s]);
	}
	printf("  %-42s %10s %10s\n", "bindings", "10k", "100k");
#define ROW(label, d, expr, fmt)					\
	do {								\
		printf("  %-42s", label);				\
		for (size_t s = 0; s < NSIZES; s++)			\
			printf(" " fmt, res[d][s].expr);		\
		printf("\n");						\
	} while (0)
	ROW("bytes/binding, shared names (table)", 0, bytes, "%10zu");
	ROW("bytes/binding, shared names (malloc)", 0, malloc_bytes, "%10zu");
	ROW("bytes/binding, distinct names (table)", 1, bytes, "%10zu");
	ROW("bytes/binding, distinct names (malloc)", 1, malloc_bytes,
	    "%10zu");
	for (int d = 0; d < 2; d++) {
		printf("  %s names:\n", d ? "distinct" : "shared");
		ROW("  add, new (ns/op)", d, fill_ns, "%10.1f");
		ROW("  add, refresh (ns/op)", d, refresh_ns, "%10.1f");
		ROW("  add, new, evicting the earliest (ns/op)", d, evict_ns,
		    "%10.1f");
		ROW("  match, hit, 3 patterns (ns/op)", d, hit_ns, "%10.1f");
		ROW("  match, miss (ns/op)", d, miss_ns, "%10.1f");
		ROW("  any, hit (ns/op)", d, any_ns, "%10.1f");
		ROW("  expire all (ns/binding)", d, expire_ns, "%10.1f");
	}
	free(qs);
	free(qn);
	if (fails) {
		fprintf(stderr, "bench_dns_bindings: %llu operations failed\n",
		    fails);
		return 1;
	}
	return 0;
}
