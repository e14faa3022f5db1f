/*
 * bench/dns.c - the cost of dns_parse() (dns/msg.c) on the data path,
 * without I/O: answers parsed per second and nanoseconds per answer, for
 * the typical answer (one A question, one CNAME, four A records, compressed
 * as resolvers write them: 8 bindings out) and, for comparison, an
 * NXDOMAIN (no bindings) and an answer of 16 A records behind a 3-link
 * CNAME chain.
 *
 *   bench_dns [SCALE]
 *
 * SCALE (default 1) multiplies the time of every timed measurement
 * (0.5 s each at 1, so under 2 s in all; SCALE is capped so that the run
 * stays under 10 s). Not a test: run it by hand, on a quiet machine.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"

#define MSG_CAP 1024

struct msg {
	uint8_t b[MSG_CAP];
	size_t n;
};

static double budget = 0.5;	/* seconds per timed measurement */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put(struct msg *m, const void *p, size_t n)
{
	if (m->n + n > MSG_CAP) {
		fprintf(stderr, "bench_dns: message too long\n");
		exit(1);
	}
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* Labels of dotted, then a pointer to ptr (if not 0) or the root. */
static size_t
name(struct msg *m, const char *dotted, size_t ptr)
{
	size_t at = m->n;

	while (*dotted != '\0') {
		size_t l = strcspn(dotted, ".");
		uint8_t lb = (uint8_t)l;

		put(m, &lb, 1);
		put(m, dotted, l);
		dotted += l;
		if (*dotted == '.')
			dotted++;
	}
	if (ptr != 0)
		put16(m, 0xc000 | (unsigned)ptr);
	else
		put(m, "", 1);
	return at;
}

static void
header(struct msg *m, unsigned rcode, unsigned an, unsigned ns)
{
	m->n = 0;
	put16(m, 0xbeef);
	put16(m, 0x8180 | rcode);	/* QR, RD, RA */
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
}

static void
rr(struct msg *m, size_t owner, unsigned type, uint32_t ttl)
{
	put16(m, 0xc000 | (unsigned)owner);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
}

static size_t
cname(struct msg *m, size_t owner, uint32_t ttl, const char *target,
    size_t ptr)
{
	size_t at, len_at;

	rr(m, owner, 5, ttl);
	len_at = m->n;
	put16(m, 0);
	at = name(m, target, ptr);
	m->b[len_at] = (uint8_t)((m->n - at) >> 8);
	m->b[len_at + 1] = (uint8_t)(m->n - at);
	return at;
}

static void
a(struct msg *m, size_t owner, uint32_t ttl, uint32_t v4)
{
	rr(m, owner, 1, ttl);
	put16(m, 4);
	put32(m, v4);
}

/* api.example.com CNAME api.example.com.edge.example.com, 4 A. */
static void
typical(struct msg *m)
{
	size_t q, c;

	header(m, 0, 5, 0);
	q = name(m, "api.example.com", 0);
	put16(m, 1);
	put16(m, 1);
	c = cname(m, q, 300, "api.example.com.edge.example", q + 12);
	for (uint32_t i = 0; i < 4; i++)
		a(m, c, 60, 0xcb007100 + i);
}

static void
nxdomain(struct msg *m)
{
	size_t q;

	header(m, 3, 0, 1);
	q = name(m, "nope.example.com", 0);
	put16(m, 1);
	put16(m, 1);
	rr(m, q + 5, 6, 900);
	put16(m, 6 + 13 + 20);		/* ns1, hostmaster, 5 numbers */
	name(m, "ns1", q + 5);
	name(m, "hostmaster", q + 5);
	for (int i = 0; i < 5; i++)
		put32(m, 3600);
}

static void
chain16(struct msg *m)
{
	size_t q, c;

	header(m, 0, 19, 0);
	q = name(m, "www.shop.example", 0);
	put16(m, 1);
	put16(m, 1);
	c = cname(m, q, 300, "shop.cdn.example.net", 0);
	c = cname(m, c, 120, "geo", c + 5);
	c = cname(m, c, 60, "edge7", c + 4);
	for (uint32_t i = 0; i < 16; i++)
		a(m, c, 30, 0xc6336400 + i);
}

static void
run(const char *what, const struct msg *m, size_t want)
{
	static struct dns_answer ans;
	uint64_t n = 0, chunk = 1024;
	double t0, t;

	if (dns_parse(m->b, m->n, &ans) != DNS_OK || ans.nb != want) {
		fprintf(stderr, "bench_dns: %s: %zu bindings, want %zu\n",
		    what, ans.nb, want);
		exit(1);
	}
	t0 = now();
	do {
		for (uint64_t i = 0; i < chunk; i++) {
			/* The answer is read so the parse cannot be dropped. */
			if (dns_parse(m->b, m->n, &ans) != DNS_OK ||
			    ans.nb != want)
				exit(1);
		}
		n += chunk;
		t = now() - t0;
	} while (t < budget);
	printf("%-34s %4zu bytes %3zu bindings  %10.0f answers/s  %7.1f "
	    "ns/answer\n", what, m->n, want, (double)n / t, t * 1e9 /
	    (double)n);
}

int
main(int argc, char **argv)
{
	static struct msg m;
	double scale = argc > 1 ? atof(argv[1]) : 1;

	/* Three measurements: at most 9 s, whatever SCALE says. */
	if (scale <= 0)
		scale = 1;
	if (scale > 6)
		scale = 6;
	budget *= scale;

	typical(&m);
	run("typical (1 CNAME, 4 A)", &m, 8);
	nxdomain(&m);
	run("NXDOMAIN (SOA)", &m, 0);
	chain16(&m);
	run("3 CNAMEs, 16 A", &m, 64);
	return 0;
}
