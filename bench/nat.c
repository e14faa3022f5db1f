/*
 * bench/nat.c - the cost of NAT outgoing's conntrack table and packet
 * rewriting (nat/), without I/O: memory per flow, new flows/s with their
 * expiry, lookups at 10k, 100k and 1M flows (random flows, and one hot
 * destination), and packets/s through the per-packet NAT work that
 * router/inside.c does for an established flow.
 *
 *   bench_nat [SCALE]
 *
 * SCALE (default 1) multiplies the time of every timed measurement
 * (0.25 s each at 1); the whole run takes about 20 s at 1 on a 2-core
 * machine. Not a test: run it by hand, on a quiet machine.
 *
 * Flows: 4096 pods (10.244.0.0/20) to 32768 destinations (16384 remotes
 * in 198.18.0.0/18, ports 80 and 443), one NAT address, ports
 * 61000-65534 (the daemon's defaults). The "hot destination" is one
 * remote:443 that every pod talks to; it can hold one flow per NAT port.
 * Timestamps are simulated seconds, as the worker passes ct_clock().
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nat/ct.h"
#include "nat/xlate.h"
#include "overlay/icmp.h"
#include "overlay/ip.h"

#define PORT_LO 61000
#define PORT_HI 65534
#define NPORTS (PORT_HI - PORT_LO + 1)
#define CHUNK 256
#define NQ (1u << 20)		/* random queries per lookup run */
#define NPKT 65536		/* packets of distinct flows (random flows) */
#define T0 1000			/* simulated clock at the start */

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

static const uint32_t sizes[] = { 10000, 100000, 1000000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
/*
 * Memory also at the daemon's default (nat.maxFlows 262144) and at
 * 1M + 16, where the bucket arrays (a power of two) are rounded up most.
 */
static const uint32_t mem_sizes[] = { 10000, 100000, 262144, 1000000,
	1048592 };
#define NMEM (sizeof(mem_sizes) / sizeof(mem_sizes[0]))

static double budget = 0.25;	/* seconds per timed measurement */
static uint32_t nat_addr;	/* 192.0.2.1, network order */

/* A flow's original tuple, and its translated port once made. */
struct q {
	uint32_t pod, remote;
	uint16_t pport, rport, nport, _pad;
};

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

static uint64_t rng_state = 42;

static uint32_t
below(uint32_t n)
{
	rng_state = splitmix(rng_state);
	return (uint32_t)((rng_state >> 32) % n);
}

/* Flow i of the background population; (pod, pport) is unique per i. */
static void
flow_of(uint32_t i, struct q *q)
{
	uint64_t h = splitmix(i ^ 0x5eedull);

	q->pod = htonl(0x0af40000u | (i & 0xfff));
	q->pport = (uint16_t)(1024 + (i >> 12));
	q->remote = htonl(0xc6120000u | (uint32_t)(h % 16384));
	q->rport = (h >> 32) & 1 ? 443 : 80;
	q->nport = 0;
}

/* Hot flow i: a pod of 10.245.0.0/20 to 198.19.0.1:443. */
static void
hot_of(uint32_t i, struct q *q)
{
	q->pod = htonl(0x0af50000u | (i & 0xfff));
	q->pport = (uint16_t)(1024 + (i >> 12));
	q->remote = htonl(0xc6130001u);
	q->rport = 443;
	q->nport = 0;
}

static enum ct_result
out(struct ct_table *t, struct q *q, uint8_t flags, uint32_t ts)
{
	struct ct_flow f;
	enum ct_result r;

	r = ct_out(t, IPPROTO_TCP, q->pod, q->pport, q->remote, q->rport,
	    flags, &nat_addr, 1, ts, &f);
	if (r == CT_OK)
		q->nport = f.nport;
	return r;
}

static enum ct_result
in(struct ct_table *t, const struct q *q, uint8_t flags, uint32_t ts)
{
	struct ct_flow f;

	return ct_in(t, IPPROTO_TCP, q->remote, q->rport, nat_addr, q->nport,
	    flags, false, ts, &f);
}

/*
 * Runs the statement list (with n_ the running count) in chunks of CHUNK
 * until the budget has passed; ns gets the time per run.
 */
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

/* ---- memory -------------------------------------------------------------- */

struct mem {
	size_t ct_bytes;	/* what the table says */
	size_t alloc;		/* what malloc handed out */
	size_t rss_new;		/* resident after ct_new() */
	size_t rss_full;	/* resident with every entry used */
	uint32_t filled;
};

static size_t
rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t
allocated(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* In a child of its own, so that no earlier table's pages count. */
static int
measure_mem(uint32_t cap, struct mem *m)
{
	int fd[2];
	pid_t pid;
	int st;

	memset(m, 0, sizeof(*m));
	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct mem r = { 0 };
		size_t r0 = rss(), a0 = allocated();
		struct ct_table *t = ct_new(cap, PORT_LO, PORT_HI);

		close(fd[0]);
		if (t != NULL) {
			r.ct_bytes = ct_bytes(t);
			r.alloc = allocated() - a0;
			r.rss_new = rss() - r0;
			for (uint32_t i = 0; i < cap; i++) {
				struct q q;

				flow_of(i, &q);
				if (out(t, &q, SYN, T0) == CT_OK)
					r.filled++;
			}
			r.rss_full = rss() - r0;
		}
		if (write(fd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], m, sizeof(*m)) != (ssize_t)sizeof(*m))
		m->filled = 0;
	close(fd[0]);
	waitpid(pid, &st, 0);
	return m->filled == cap ? 0 : -1;
}

/* ---- packets ------------------------------------------------------------- */

/* An IPv4 TCP packet of len bytes (>= 40), checksums right. */
static void
build_tcp(uint8_t *p, size_t len, uint32_t src, uint16_t sport, uint32_t dst,
    uint16_t dport, uint8_t flags)
{
	uint32_t sum;
	uint16_t c;

	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[6] = 0x40;	/* DF */
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	c = inet_csum_fold(inet_csum_add(0, p, 20));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[27] = 1;		/* seq */
	p[31] = 1;		/* ack */
	p[32] = 5 << 4;
	p[33] = flags;
	p[34] = 0xff;		/* window */
	for (size_t i = 40; i < len; i++)
		p[i] = (uint8_t)(i * 7);
	sum = inet_csum_add(0, p + 12, 8);
	sum += IPPROTO_TCP + (uint32_t)(len - 20);
	sum = inet_csum_add(sum, p + 20, len - 20);
	c = inet_csum_fold(sum);
	p[36] = (uint8_t)(c >> 8);
	p[37] = (uint8_t)c;
}

/* True if the IPv4 header and TCP checksums of p verify. */
static bool
sums_ok(const uint8_t *p, size_t len)
{
	uint32_t sum;

	if (inet_csum_fold(inet_csum_add(0, p, 20)) != 0)
		return false;
	sum = inet_csum_add(0, p + 12, 8);
	sum += IPPROTO_TCP + (uint32_t)(len - 20);
	sum = inet_csum_add(sum, p + 20, len - 20);
	return inet_csum_fold(sum) == 0;
}

/*
 * What inside.c does for a packet a pod sends to a translated flow
 * (parse, key, ct_out, rewrite) and for a reply (parse, key, ct_in,
 * rewrite). 0 if the packet was translated.
 */
static int
nat_out_pkt(struct ct_table *t, uint8_t *p, size_t len, uint32_t ts)
{
	struct ip_info ii;
	struct xlate_key k;
	struct ct_flow f;

	if (ip_parse(p, len, &ii) != IP_OK || !xlate_key_of(p, &ii, &k) ||
	    ct_out(t, k.proto, k.src, k.sport, k.dst, k.dport, k.tcp_flags,
	    &nat_addr, 1, ts, &f) != CT_OK)
		return -1;
	xlate_src(p, &ii, f.nat, f.nport);
	return 0;
}

static int
nat_in_pkt(struct ct_table *t, uint8_t *p, size_t len, uint32_t ts)
{
	struct ip_info ii;
	struct xlate_key k;
	struct ct_flow f;

	if (ip_parse(p, len, &ii) != IP_OK || !xlate_key_of(p, &ii, &k) ||
	    ct_in(t, k.proto, k.src, k.sport, k.dst, k.dport, k.tcp_flags,
	    false, ts, &f) != CT_OK)
		return -1;
	xlate_dst(p, &ii, f.pod, f.pport);
	return 0;
}

/* ---- two threads on one table -------------------------------------------- */

struct thr {
	struct ct_table *t;
	const struct q *q;
	uint32_t nq, first;
	_Atomic int *state;	/* 0 wait, 1 run, 2 stop */
	uint64_t ops, fails;
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
			struct q q = a->q[k];

			if (out(a->t, &q, ACK, T0) != CT_OK)
				a->fails++;
			if (++k == a->nq)
				k = 0;
		}
		a->ops += CHUNK;
	}
	return NULL;
}

/* ct_out hits/s of nthr threads over the queries q[0..nq). */
static double
threads_rate(struct ct_table *t, const struct q *q, uint32_t nq, int nthr)
{
	pthread_t th[2];
	struct thr a[2];
	_Atomic int state = 0;
	double t0, el;
	uint64_t ops = 0;
	struct timespec ts = { (time_t)budget,
		(long)((budget - (double)(time_t)budget) * 1e9) };

	for (int i = 0; i < nthr; i++) {
		a[i] = (struct thr){ .t = t, .q = q, .nq = nq,
			.first = (uint32_t)i * (nq / 2), .state = &state };
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
		if (a[i].fails)
			fprintf(stderr, "bench_nat: %llu failed lookups\n",
			    (unsigned long long)a[i].fails);
	}
	return (double)ops / el;
}

/* ---- results ------------------------------------------------------------- */

struct res {
	double fill;		/* flows/s, empty to full */
	double out_ns, in_ns;	/* ct_out / ct_in hit, random flow */
	double pkt_out_ns, pkt_in_ns;	/* 64 B packets, random flows */
	double syn_ns, rest_ns, exp_ns, conn_rate, tick_max_ms;
	uint32_t conn_per_s;	/* simulated new connections per second */
	/* hot destination */
	double band_ns[4], worst_us, refused_ns, hout_ns, hin_ns;
	uint32_t hot_flows;
	double mt_rand[2], mt_hot[2];	/* Mops/s, 1 and 2 threads */
	uint64_t fails;
};

static struct q *qs;		/* NQ random queries */
static struct q *flows;		/* the table's flows, by i */

/* Lookups and the per-packet path on a table of cap flows, all made. */
static void
bench_lookup(uint32_t cap, struct res *r)
{
	struct ct_table *t = ct_new(cap, PORT_LO, PORT_HI);
	uint8_t *tmpl, *work;
	double t0;
	size_t pl = 64;

	if (t == NULL) {
		fprintf(stderr, "bench_nat: ct_new(%u) failed\n", cap);
		exit(1);
	}
	for (uint32_t i = 0; i < cap; i++)
		flow_of(i, &flows[i]);
	t0 = now();
	for (uint32_t i = 0; i < cap; i++)
		if (out(t, &flows[i], SYN, T0) != CT_OK)
			r->fails++;
	r->fill = cap / (now() - t0);
	/* Answered and acknowledged: established, as lookups find them. */
	for (uint32_t i = 0; i < cap; i++) {
		if (in(t, &flows[i], SYN | ACK, T0) != CT_OK ||
		    out(t, &flows[i], ACK, T0) != CT_OK)
			r->fails++;
	}
	for (uint32_t k = 0; k < NQ; k++)
		qs[k] = flows[below(cap)];

	TIMED(r->out_ns, if (out(t, &qs[n_ & (NQ - 1)], ACK, T0) != CT_OK)
	    r->fails++);
	TIMED(r->in_ns, if (in(t, &qs[n_ & (NQ - 1)], ACK, T0) != CT_OK)
	    r->fails++);

	/* Whole packets of random flows: NPKT templates, each restored
	 * (its 40 header bytes, all NAT touches) before it is translated. */
	tmpl = malloc((size_t)NPKT * pl);
	work = malloc((size_t)NPKT * pl);
	if (tmpl == NULL || work == NULL) {
		fprintf(stderr, "bench_nat: out of memory\n");
		exit(1);
	}
	for (uint32_t k = 0; k < NPKT; k++)
		build_tcp(tmpl + k * pl, pl, qs[k].pod, qs[k].pport,
		    qs[k].remote, qs[k].rport, ACK | PSH);
	memcpy(work, tmpl, (size_t)NPKT * pl);
	TIMED(r->pkt_out_ns, {
		uint8_t *p = work + (n_ & (NPKT - 1)) * pl;

		memcpy(p, tmpl + (n_ & (NPKT - 1)) * pl, 40);
		if (nat_out_pkt(t, p, pl, T0) != 0)
			r->fails++;
	});
	for (uint32_t k = 0; k < NPKT; k++)
		build_tcp(tmpl + k * pl, pl, qs[k].remote, qs[k].rport,
		    nat_addr, qs[k].nport, ACK | PSH);
	memcpy(work, tmpl, (size_t)NPKT * pl);
	TIMED(r->pkt_in_ns, {
		uint8_t *p = work + (n_ & (NPKT - 1)) * pl;

		memcpy(p, tmpl + (n_ & (NPKT - 1)) * pl, 40);
		if (nat_in_pkt(t, p, pl, T0) != 0)
			r->fails++;
	});
	free(tmpl);
	free(work);
	ct_free(t);
}

/*
 * Steady churn at cap flows: each simulated second, short TCP
 * connections (SYN, SYN-ACK, ACK, FIN, FIN, ACK) are made and the
 * table's expiry runs once, as the worker calls it. A connection lives
 * on in time_wait for CT_TO_TIME_WAIT seconds, so cap / that many new
 * connections a second keep the table full.
 */
static void
bench_churn(uint32_t cap, struct res *r)
{
	struct ct_table *t = ct_new(cap, PORT_LO, PORT_HI);
	uint32_t per = cap / (CT_TO_TIME_WAIT + 1), next = 0, ts = T0;
	double syn = 0, rest = 0, exp = 0, t0, t1, t2, t3, start;
	uint64_t made = 0, expired = 0;
	struct ct_stats st;

	if (t == NULL)
		exit(1);
	r->conn_per_s = per;
	/* Warm up: fill to steady state. */
	for (int s = 0; s <= CT_TO_TIME_WAIT; s++, ts++) {
		ct_expire(t, ts);
		for (uint32_t k = 0; k < per; k++) {
			struct q q;

			flow_of(next++, &q);
			if (out(t, &q, SYN, ts) != CT_OK)
				r->fails++;
		}
	}
	/* The table is full now; measure. */
	start = now();
	do {
		struct q *b = flows;

		t0 = now();
		expired += ct_expire(t, ts);
		t1 = now();
		for (uint32_t k = 0; k < per; k++) {
			flow_of(next++, &b[k]);
			if (out(t, &b[k], SYN, ts) != CT_OK)
				r->fails++;
		}
		t2 = now();
		for (uint32_t k = 0; k < per; k++) {
			if (in(t, &b[k], SYN | ACK, ts) != CT_OK ||
			    out(t, &b[k], ACK, ts) != CT_OK ||
			    out(t, &b[k], FIN | ACK, ts) != CT_OK ||
			    in(t, &b[k], FIN | ACK, ts) != CT_OK ||
			    out(t, &b[k], ACK, ts) != CT_OK)
				r->fails++;
		}
		t3 = now();
		exp += t1 - t0;
		syn += t2 - t1;
		rest += t3 - t2;
		if ((t1 - t0) * 1e3 > r->tick_max_ms)
			r->tick_max_ms = (t1 - t0) * 1e3;
		made += per;
		ts++;
	} while (now() - start < 4 * budget && next < (1u << 27));
	ct_stats_get(t, &st);
	if (st.dropped_full || st.dropped_no_port)
		fprintf(stderr,
		    "bench_nat: churn at %u: %llu full, %llu no port\n", cap,
		    (unsigned long long)st.dropped_full,
		    (unsigned long long)st.dropped_no_port);
	r->syn_ns = syn * 1e9 / (double)made;
	r->rest_ns = rest * 1e9 / (double)made;
	r->exp_ns = expired ? exp * 1e9 / (double)expired : 0;
	r->conn_rate = (double)made / (syn + rest + exp);
	ct_free(t);
}

/*
 * One hot destination in a table of cap flows: the rest of the table is
 * background, then the hot destination is filled port by port (the cost
 * of a new flow as its ports are used up), refused when they are all
 * used, and looked up.
 */
static void
bench_hot(uint32_t cap, struct res *r)
{
	struct ct_table *t = ct_new(cap, PORT_LO, PORT_HI);
	static struct q hot[NPORTS + 1];
	uint32_t bands[4] = { NPORTS / 2, NPORTS * 9 / 10, NPORTS * 99 / 100,
		NPORTS };
	uint32_t h = 0, i = 0;
	double t0, worst = 0;
	struct q *bg = flows;

	if (t == NULL)
		exit(1);
	for (uint32_t k = 0; k + NPORTS < cap; k++) {
		flow_of(k, &bg[k]);
		if (out(t, &bg[k], SYN, T0) != CT_OK ||
		    in(t, &bg[k], SYN | ACK, T0) != CT_OK ||
		    out(t, &bg[k], ACK, T0) != CT_OK)
			r->fails++;
	}
	for (int b = 0; b < 4; b++) {
		uint32_t from = h;

		t0 = now();
		for (; h < bands[b]; h++) {
			double s = now(), e;

			hot_of(h, &hot[h]);
			if (out(t, &hot[h], SYN, T0) != CT_OK)
				r->fails++;
			e = now() - s;
			if (e > worst)
				worst = e;
		}
		r->band_ns[b] = (now() - t0) * 1e9 / (h - from);
	}
	r->worst_us = worst * 1e6;
	r->hot_flows = h;
	/* One more: refused (every port in use); new tuples each time. */
	TIMED(r->refused_ns, {
		struct q q;

		hot_of(NPORTS + 1 + i++ % 0xf00000, &q);
		if (out(t, &q, SYN, T0) != CT_NO_PORT)
			r->fails++;
	});
	for (uint32_t k = 0; k < h; k++)
		if (in(t, &hot[k], SYN | ACK, T0) != CT_OK ||
		    out(t, &hot[k], ACK, T0) != CT_OK)
			r->fails++;
	for (uint32_t k = 0; k < NQ; k++)
		qs[k] = hot[below(h)];
	TIMED(r->hout_ns, if (out(t, &qs[n_ & (NQ - 1)], ACK, T0) != CT_OK)
	    r->fails++);
	TIMED(r->hin_ns, if (in(t, &qs[n_ & (NQ - 1)], ACK, T0) != CT_OK)
	    r->fails++);
	/* Two threads: the hot destination is one shard, one mutex. */
	r->mt_hot[0] = threads_rate(t, qs, NQ, 1) / 1e6;
	r->mt_hot[1] = threads_rate(t, qs, NQ, 2) / 1e6;
	for (uint32_t k = 0; k < NQ; k++)
		qs[k] = bg[below(cap - NPORTS)];
	r->mt_rand[0] = threads_rate(t, qs, NQ, 1) / 1e6;
	r->mt_rand[1] = threads_rate(t, qs, NQ, 2) / 1e6;
	ct_free(t);
}

/* One established flow, whole packets of 64 and 1400 bytes. */
static void
bench_packets(double ns[2][2])
{
	static const size_t lens[2] = { 64, 1400 };
	struct ct_table *t = ct_new(262144, PORT_LO, PORT_HI);
	struct q f = { .pod = htonl(0x0af40105), .pport = 40000,
		.remote = htonl(0xc6336402), .rport = 443 };
	static uint8_t tmpl[1500], p[1500];

	if (t == NULL)
		exit(1);
	/* The daemon's default capacity, with 100k other flows in it. */
	for (uint32_t k = 0; k < 100000; k++) {
		struct q q;

		flow_of(k, &q);
		out(t, &q, SYN, T0);
	}
	if (out(t, &f, SYN, T0) != CT_OK || in(t, &f, SYN | ACK, T0) != CT_OK ||
	    out(t, &f, ACK, T0) != CT_OK) {
		fprintf(stderr, "bench_nat: no established flow\n");
		exit(1);
	}
	for (int l = 0; l < 2; l++) {
		size_t len = lens[l];

		/* Outbound: the pod's packet gets the NAT source. */
		build_tcp(tmpl, len, f.pod, f.pport, f.remote, f.rport,
		    ACK | PSH);
		memcpy(p, tmpl, len);
		if (nat_out_pkt(t, p, len, T0) != 0 || !sums_ok(p, len) ||
		    memcmp(p + 12, &nat_addr, 4) != 0) {
			fprintf(stderr, "bench_nat: bad outbound rewrite\n");
			exit(1);
		}
		TIMED(ns[0][l], {
			memcpy(p, tmpl, 40);
			if (nat_out_pkt(t, p, len, T0) != 0)
				exit(1);
		});
		/* Reply: back to the pod. */
		build_tcp(tmpl, len, f.remote, f.rport, nat_addr, f.nport,
		    ACK | PSH);
		memcpy(p, tmpl, len);
		if (nat_in_pkt(t, p, len, T0) != 0 || !sums_ok(p, len) ||
		    memcmp(p + 16, &f.pod, 4) != 0) {
			fprintf(stderr, "bench_nat: bad reply rewrite\n");
			exit(1);
		}
		TIMED(ns[1][l], {
			memcpy(p, tmpl, 40);
			if (nat_in_pkt(t, p, len, T0) != 0)
				exit(1);
		});
	}
	ct_free(t);
}

/* ---- output -------------------------------------------------------------- */

static void
row(const char *label, const struct res *r, size_t off, int prec)
{
	double v[NSIZES];

	printf("  %-44s", label);
	for (size_t s = 0; s < NSIZES; s++) {
		memcpy(&v[s], (const char *)&r[s] + off, sizeof(double));
		printf(" %10.*f", prec, v[s]);
	}
	if (v[0] > 0)
		printf("  %7.2f", v[NSIZES - 1] / v[0]);
	printf("\n");
}

#define ROW(label, field, prec)						\
	row(label, res, offsetof(struct res, field), prec)

int
main(int argc, char **argv)
{
	double scale = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	struct res res[NSIZES];
	struct mem mem[NMEM];
	double pk[2][2];
	uint64_t fails = 0;

	if (!(scale > 0 && scale <= 100)) {
		fprintf(stderr, "usage: bench_nat [SCALE], 0 < SCALE <= 100\n");
		return 2;
	}
	budget *= scale;
	nat_addr = htonl(0xc0000201);
	qs = calloc(NQ, sizeof(*qs));
	flows = calloc(sizes[NSIZES - 1], sizeof(*flows));
	if (qs == NULL || flows == NULL)
		return 1;
	memset(res, 0, sizeof(res));

	printf("bench_nat: %.2f s per measurement, %ld cores, %d shards, "
	    "NAT ports %d-%d (%d), one NAT address\n\n", budget,
	    sysconf(_SC_NPROCESSORS_ONLN), CT_SHARDS, PORT_LO, PORT_HI,
	    NPORTS);

	printf("Memory per flow of capacity (target: under 128 bytes)\n");
	printf("  %-10s %10s %12s %12s %12s %14s\n", "capacity", "ct_bytes()",
	    "allocated", "RSS new", "RSS full", "total alloc");
	for (size_t s = 0; s < NMEM; s++) {
		uint32_t cap = mem_sizes[s];

		if (measure_mem(cap, &mem[s]) != 0) {
			fprintf(stderr, "bench_nat: memory of %u: filled %u\n",
			    cap, mem[s].filled);
			fails++;
		}
		printf("  %-10u %8zu B %10.1f B %10.1f B %10.1f B %11.1f MiB\n",
		    cap, mem[s].ct_bytes, (double)mem[s].alloc / cap,
		    (double)mem[s].rss_new / cap,
		    (double)mem[s].rss_full / cap,
		    (double)mem[s].alloc / 1048576.0);
	}
	printf("  (allocated: malloc'd bytes of ct_new() over capacity, "
	    "fixed parts included;\n   RSS: resident growth after ct_new() "
	    "and with every entry in use)\n\n");
	fflush(stdout);

	for (size_t s = 0; s < NSIZES; s++) {
		bench_lookup(sizes[s], &res[s]);
		bench_churn(sizes[s], &res[s]);
		bench_hot(sizes[s], &res[s]);
		fails += res[s].fails;
	}

	printf("  %-44s %10s %10s %10s %8s\n",
	    "Conntrack, random flows (ns per call)", "10k", "100k", "1M",
	    "1M/10k");
	ROW("fill, empty to full (new flows/s)", fill, 0);
	ROW("ct_out, existing flow", out_ns, 1);
	ROW("ct_in, existing flow", in_ns, 1);
	ROW("out packet, 64 B, random flow (whole NAT)", pkt_out_ns, 1);
	ROW("reply packet, 64 B, random flow", pkt_in_ns, 1);
	printf("  churn, table full, short TCP connections:\n");
	printf("  %-44s", "  new connections per simulated second");
	for (size_t s = 0; s < NSIZES; s++)
		printf(" %10u", res[s].conn_per_s);
	printf("\n");
	ROW("  new flow (ct_out of the SYN)", syn_ns, 1);
	ROW("  its other 5 packets (all 5)", rest_ns, 1);
	ROW("  expiry (ct_expire, per flow freed)", exp_ns, 1);
	ROW("  connections/s, all of it (one thread)", conn_rate, 0);
	ROW("  slowest ct_expire() call (ms)", tick_max_ms, 3);
	printf("\n");

	printf("  %-44s %10s %10s %10s %8s\n",
	    "One hot destination (ns per call)", "10k", "100k", "1M",
	    "1M/10k");
	ROW("new flow, ports 0-50% used", band_ns[0], 1);
	ROW("new flow, ports 50-90% used", band_ns[1], 1);
	ROW("new flow, ports 90-99% used", band_ns[2], 1);
	ROW("new flow, ports 99-100% used", band_ns[3], 1);
	ROW("slowest single new flow (us)", worst_us, 1);
	ROW("new flow refused, ports used up", refused_ns, 1);
	ROW("ct_out, existing hot flow", hout_ns, 1);
	ROW("ct_in, existing hot flow", hin_ns, 1);
	ROW("ct_out hits, 1 thread, random (M/s)", mt_rand[0], 2);
	ROW("ct_out hits, 2 threads, random (M/s)", mt_rand[1], 2);
	ROW("ct_out hits, 1 thread, hot (M/s)", mt_hot[0], 2);
	ROW("ct_out hits, 2 threads, hot (M/s)", mt_hot[1], 2);
	printf("\n");
	fflush(stdout);

	bench_packets(pk);
	printf("Per-packet NAT work, one established flow (ip_parse, "
	    "xlate_key_of, ct_out/ct_in,\nxlate_src/xlate_dst; table of "
	    "262144 holding 100k flows)\n");
	printf("  %-28s %10s %10s %12s %10s\n", "", "ns/packet", "Mpkt/s",
	    "Gbit/s (L3)", "1400/64");
	for (int d = 0; d < 2; d++)
		for (int l = 0; l < 2; l++) {
			size_t len = l ? 1400 : 64;
			char label[64];

			snprintf(label, sizeof(label), "%s, %zu B",
			    d ? "reply (ct_in)" : "outbound (ct_out)", len);
			printf("  %-28s %10.1f %10.2f %12.1f", label, pk[d][l],
			    1e3 / pk[d][l], len * 8.0 / pk[d][l]);
			if (l)
				printf(" %10.2f", pk[d][1] / pk[d][0]);
			printf("\n");
		}
	if (fails) {
		fprintf(stderr, "bench_nat: %llu operations failed\n",
		    (unsigned long long)fails);
		return 1;
	}
	free(qs);
	free(flows);
	return 0;
}
