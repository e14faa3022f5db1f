/*
 * bench/flows.c - the cost of the policy flow table (policy/flows.h),
 * without I/O: bytes per flow, new flows/s, and pf_track() hits on
 * random established flows at 10k, 100k and 1M flows, in the original
 * and the reply orientation, with one and two threads.
 *
 *   bench_flows [SCALE]
 *
 * SCALE (default 1) multiplies the time of every timed measurement
 * (0.25 s each at 1); the whole run takes about 10 s at 1 on a 2-core
 * machine. Not a test: run it by hand, on a quiet machine.
 *
 * Flows: TCP, three in four IPv4 (pods of 10.244.0.0/16 to 10.96.0.0/16),
 * one in four IPv6 (fd00:10:244::/64 to fd00:10:96::/64), each made by
 * SYN, SYN+ACK, ACK; every one allowed by a judge that costs nothing, so
 * the figures are the table's own. Timestamps are simulated seconds.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy/flows.h"

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define CHUNK 256
#define NQ (1u << 20)		/* random queries per run */
#define T0 1000

static const uint32_t sizes[] = { 10000, 100000, 1000000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static double budget = 0.25;	/* seconds per timed measurement */

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

static void
allow_all(void *arg, const struct pf_key *orig, bool is_new,
    struct pf_verdict *v)
{
	v->allow = true;
}

/* Flow i's original key; distinct for distinct i. */
static void
key_of(uint32_t i, struct pf_key *k)
{
	uint64_t h = splitmix(i);

	memset(k, 0, sizeof(*k));
	k->proto = IPPROTO_TCP;
	k->sport = (uint16_t)(1024 + (i >> 16));
	k->dport = (h >> 32) & 1 ? 443 : 80;
	if (i % 4 != 3) {
		k->family = AF_INET;
		k->src.v4.s_addr = htonl(0x0af40000u | (i & 0xffff));
		k->dst.v4.s_addr = htonl(0x0a600000u | (uint32_t)(h & 0xffff));
	} else {
		static const uint8_t s[8] = { 0xfd, 0, 0, 0x10, 0x02, 0x44 };
		static const uint8_t d[8] = { 0xfd, 0, 0, 0x10, 0, 0x96 };
		uint32_t a = i & 0xffff, b = (uint32_t)(h & 0xffff);

		k->family = AF_INET6;
		memcpy(k->src.v6.s6_addr, s, 8);
		memcpy(k->dst.v6.s6_addr, d, 8);
		memcpy(k->src.v6.s6_addr + 12, &a, 4);
		memcpy(k->dst.v6.s6_addr + 12, &b, 4);
	}
}

static void
reverse(const struct pf_key *k, struct pf_key *r)
{
	*r = *k;
	r->src = k->dst;
	r->dst = k->src;
	r->sport = k->dport;
	r->dport = k->sport;
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

static struct pf_key *qs;	/* NQ queries, original orientation */
static struct pf_key *qr;	/* the same, reply orientation */
static _Atomic uint64_t fails;

static int
hit(struct pf_table *t, const struct pf_key *k)
{
	struct pf_seen s;

	return pf_track(t, k, ACK | PSH, T0, 1, allow_all, NULL, &s) ==
	    PF_OK && !s.created ? 0 : -1;
}

struct thr {
	struct pf_table *t;
	uint32_t first;
	_Atomic int *state;	/* 0 wait, 1 run, 2 stop */
	uint64_t ops;
};

static void *
thr_run(void *arg)
{
	struct thr *a = arg;
	uint32_t k = a->first;

	while (atomic_load(a->state) == 0)
		;
	while (atomic_load(a->state) == 1) {
		for (int c = 0; c < CHUNK; c++) {
			if (hit(a->t, &qs[k]) != 0)
				fails++;
			k = (k + 1) & (NQ - 1);
		}
		a->ops += CHUNK;
	}
	return NULL;
}

/* Hits per second of nthr threads over qs. */
static double
threads_rate(struct pf_table *t, int nthr)
{
	pthread_t th[2];
	struct thr a[2];
	_Atomic int state = 0;
	double t0, el;
	uint64_t ops = 0;
	struct timespec ts = { (time_t)budget,
		(long)((budget - (double)(time_t)budget) * 1e9) };

	for (int i = 0; i < nthr; i++) {
		a[i] = (struct thr){ .t = t, .first = (uint32_t)i * (NQ / 2),
			.state = &state };
		if (pthread_create(&th[i], NULL, thr_run, &a[i]) != 0)
			return 0;
	}
	t0 = now();
	atomic_store(&state, 1);
	nanosleep(&ts, NULL);
	atomic_store(&state, 2);
	el = now() - t0;
	for (int i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		ops += a[i].ops;
	}
	return (double)ops / el;
}

struct res {
	size_t bytes;
	double fill;		/* new flows/s (3 packets each) */
	double orig_ns, reply_ns, miss_ns;
	double mt[2];		/* M hits/s, 1 and 2 threads */
};

static void
bench(uint32_t cap, struct res *r)
{
	struct pf_table *t = pf_new(cap);
	uint64_t rng = 42;
	double t0;
	uint32_t i = 0;

	if (t == NULL) {
		fprintf(stderr, "bench_flows: no memory for %u flows\n", cap);
		exit(1);
	}
	r->bytes = pf_bytes(t);
	t0 = now();
	for (i = 0; i < cap; i++) {
		struct pf_key k, rk;
		struct pf_seen s;

		key_of(i, &k);
		reverse(&k, &rk);
		if (pf_track(t, &k, SYN, T0, 1, allow_all, NULL, &s) != PF_OK ||
		    pf_track(t, &rk, SYN | ACK, T0, 1, allow_all, NULL,
		    &s) != PF_OK ||
		    pf_track(t, &k, ACK, T0, 1, allow_all, NULL, &s) != PF_OK)
			fails++;
	}
	r->fill = cap / (now() - t0);
	for (uint32_t q = 0; q < NQ; q++) {
		rng = splitmix(rng);
		key_of((uint32_t)(rng % cap), &qs[q]);
		reverse(&qs[q], &qr[q]);
	}
	TIMED(r->orig_ns, if (hit(t, &qs[n_ & (NQ - 1)]) != 0) fails++);
	TIMED(r->reply_ns, if (hit(t, &qr[n_ & (NQ - 1)]) != 0) fails++);
	/* A miss that cannot start a flow (loose pickup off): the lookup
	 * alone, with no verdict or insertion. */
	pf_set_loose(t, false);
	TIMED(r->miss_ns, {
		struct pf_key k = qs[n_ & (NQ - 1)];
		struct pf_seen s;

		k.sport ^= 0x8000;
		if (pf_track(t, &k, ACK, T0, 1, allow_all, NULL, &s) !=
		    PF_NOT_NEW)
			fails++;
	});
	r->mt[0] = threads_rate(t, 1) / 1e6;
	r->mt[1] = threads_rate(t, 2) / 1e6;
	pf_free(t);
}

int
main(int argc, char **argv)
{
	double scale = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	struct res res[NSIZES];

	if (!(scale > 0 && scale <= 100)) {
		fprintf(stderr,
		    "usage: bench_flows [SCALE], 0 < SCALE <= 100\n");
		return 2;
	}
	budget *= scale;
	qs = calloc(NQ, sizeof(*qs));
	qr = calloc(NQ, sizeof(*qr));
	if (qs == NULL || qr == NULL)
		return 1;
	printf("bench_flows: %.2f s per measurement, %ld cores, %d shards\n\n",
	    budget, sysconf(_SC_NPROCESSORS_ONLN), PF_SHARDS);
	for (size_t s = 0; s < NSIZES; s++)
		bench(sizes[s], &res[s]);
	printf("  %-40s %10s %10s %10s\n", "flows", "10k", "100k", "1M");
#define ROW(label, expr, fmt)						\
	do {								\
		printf("  %-40s", label);				\
		for (size_t s = 0; s < NSIZES; s++)			\
			printf(" " fmt, expr);				\
		printf("\n");						\
	} while (0)
	ROW("bytes per flow (pf_bytes)", res[s].bytes, "%10zu");
	ROW("new flows/s (SYN, SYN+ACK, ACK)", res[s].fill, "%10.0f");
	ROW("pf_track hit, original (ns/op)", res[s].orig_ns, "%10.1f");
	ROW("pf_track hit, reply (ns/op)", res[s].reply_ns, "%10.1f");
	ROW("pf_track miss, not new (ns/op)", res[s].miss_ns, "%10.1f");
	ROW("hits, 1 thread (M/s)", res[s].mt[0], "%10.2f");
	ROW("hits, 2 threads (M/s)", res[s].mt[1], "%10.2f");
	free(qs);
	free(qr);
	if (fails) {
		fprintf(stderr, "bench_flows: %llu operations failed\n",
		    (unsigned long long)atomic_load(&fails));
		return 1;
	}
	return 0;
}
