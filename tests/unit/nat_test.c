/*
 * nat_test.c - connection tracking and packet translation (nat/): TCP
 * and UDP states, ICMP echo, port uniqueness per destination, exhaustion
 * and spill-over, a full table, expiry on the wheel, a randomised run
 * against a simple model, and checksums after every kind of rewrite
 * verified by summing the packets again from scratch.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat/ct.h"
#include "nat/xlate.h"
#include "overlay/icmp.h"
#include "overlay/ip.h"
#include "tests/unit/check.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04

static uint32_t
A(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		CHECK_FAIL("bad address %s", s);
	return a.s_addr;
}

static const uint32_t nat1[] = { 0 };

/* ---- connection tracking ------------------------------------------------ */

static void
test_tcp_states(void)
{
	struct ct_table *t = ct_new(1024, 61000, 61099);
	uint32_t pod = A("10.244.1.5"), rem = A("198.51.100.2");
	uint32_t nat[1] = { A("192.0.2.1") };
	struct ct_flow f, g;

	ASSERT(t != NULL);
	/* A flow starts with a SYN only. */
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, ACK, nat, 1, 100,
	    &f), CT_NEW_NOT_SYN);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, SYN | FIN, nat,
	    1, 100, &f), CT_BAD_FLAGS);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, 0, nat, 1, 100,
	    &f), CT_BAD_FLAGS);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, SYN, nat, 1, 100,
	    &f), CT_OK);
	ASSERT_EQ(f.state, CT_TCP_SYN_SENT);
	ASSERT_EQ(f.nat, nat[0]);
	ASSERT(f.nport >= 61000 && f.nport <= 61099);
	ASSERT_EQ(f.expires, 100 + CT_TO_SYN_SENT);
	/* The reply finds it by the translated port only. */
	ASSERT_EQ(ct_in(t, IPPROTO_TCP, rem, 80, nat[0], f.nport ^ 1,
	    SYN | ACK, false, 101, &g), CT_NO_FLOW);
	ASSERT_EQ(ct_in(t, IPPROTO_TCP, rem, 81, nat[0], f.nport, SYN | ACK,
	    false, 101, &g), CT_NO_FLOW);
	ASSERT_EQ(ct_in(t, IPPROTO_TCP, rem, 80, nat[0], f.nport, SYN | ACK,
	    false, 101, &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_SYN_RECV);
	ASSERT_EQ(g.pod, pod);
	ASSERT_EQ(g.pport, 40000);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, ACK, nat, 1, 102,
	    &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_ESTABLISHED);
	ASSERT_EQ(g.nport, f.nport);
	ASSERT_EQ(g.expires, 102 + CT_TO_ESTABLISHED);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, FIN | ACK, nat,
	    1, 103, &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_FIN_WAIT);
	ASSERT_EQ(ct_in(t, IPPROTO_TCP, rem, 80, nat[0], f.nport, FIN | ACK,
	    false, 104, &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_CLOSE_WAIT);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, ACK, nat, 1, 105,
	    &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_TIME_WAIT);
	ASSERT_EQ(g.pkts_out, 4);
	ASSERT_EQ(g.pkts_in, 2);
	/* A new SYN on the same tuple starts it over, same port. */
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, SYN, nat, 1, 106,
	    &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_SYN_SENT);
	ASSERT_EQ(g.nport, f.nport);
	/* RST closes; an ICMP error's peek changes nothing. */
	ASSERT_EQ(ct_in(t, IPPROTO_TCP, rem, 80, nat[0], f.nport, RST, true,
	    107, &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_SYN_SENT);
	ASSERT_EQ(ct_in(t, IPPROTO_TCP, rem, 80, nat[0], f.nport, RST | ACK,
	    false, 107, &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_CLOSE);
	ASSERT_EQ(g.expires, 107 + CT_TO_CLOSE);
	/* Reset stays reset: a late ACK or FIN does not revive it. */
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, pod, 40000, rem, 80, FIN | ACK, nat, 1,
	    108, &g), CT_OK);
	ASSERT_EQ(g.state, CT_TCP_CLOSE);
	ct_free(t);
}

static void
test_udp_icmp(void)
{
	struct ct_table *t = ct_new(1024, 61000, 61099);
	uint32_t pod = A("10.244.1.5"), rem = A("198.51.100.2");
	uint32_t nat[1] = { A("192.0.2.1") };
	struct ct_flow f, g;
	struct ct_stats st;

	ASSERT(t != NULL);
	ASSERT_EQ(ct_out(t, IPPROTO_UDP, pod, 5353, rem, 53, 0, nat, 1, 10,
	    &f), CT_OK);
	ASSERT_EQ(f.state, CT_UDP_UNREPLIED);
	ASSERT_EQ(f.expires, 10 + CT_TO_UDP_UNREPLIED);
	ASSERT_EQ(ct_in(t, IPPROTO_UDP, rem, 53, nat[0], f.nport, 0, false,
	    11, &g), CT_OK);
	ASSERT_EQ(g.state, CT_UDP_ASSURED);
	ASSERT_EQ(g.expires, 11 + CT_TO_UDP_ASSURED);
	/* Echo: the id is the port; the reply comes from rport 0. */
	ASSERT_EQ(ct_out(t, IPPROTO_ICMP, pod, 0x1234, rem, 0, 0, nat, 1, 12,
	    &f), CT_OK);
	ASSERT_EQ(f.state, CT_ICMP);
	ASSERT_EQ(ct_in(t, IPPROTO_ICMP, rem, 0, nat[0], f.nport, 0, false,
	    12, &g), CT_OK);
	ASSERT_EQ(g.pport, 0x1234);
	ct_stats_get(t, &st);
	ASSERT_EQ(st.flows, 2);
	ASSERT_EQ(st.created, 2);
	/* Expiry: nothing before its time, everything after. */
	ASSERT_EQ(ct_expire(t, 12 + CT_TO_ICMP - 1), 0);
	ASSERT_EQ(ct_expire(t, 12 + CT_TO_ICMP), 1);
	ASSERT_EQ(ct_in(t, IPPROTO_ICMP, rem, 0, nat[0], f.nport, 0, true,
	    50, &g), CT_NO_FLOW);
	ASSERT_EQ(ct_expire(t, 11 + CT_TO_UDP_ASSURED), 1);
	ct_stats_get(t, &st);
	ASSERT_EQ(st.flows, 0);
	ASSERT_EQ(st.expired, 2);
	ct_free(t);
}

/* Ports are unique per destination; exhaustion and spill-over. */
static void
test_ports(void)
{
	struct ct_table *t = ct_new(4096, 62000, 62009);	/* 10 ports */
	uint32_t rem = A("198.51.100.2"), other = A("198.51.100.3");
	uint32_t nat[2] = { A("192.0.2.1"), A("192.0.2.9") };
	uint8_t seen[2][10] = { { 0 } };
	struct ct_flow f;
	struct ct_stats st;

	ASSERT(t != NULL);
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(ct_out(t, IPPROTO_TCP, A("10.244.1.5") + htonl(i),
		    1000, rem, 443, SYN, nat, 2, 1, &f), CT_OK);
		ASSERT(f.nport >= 62000 && f.nport <= 62009);
		/* The first address until its ports run out, then the next. */
		ASSERT_EQ(f.nat, nat[i < 10 ? 0 : 1]);
		ASSERT(!seen[i < 10 ? 0 : 1][f.nport - 62000]);
		seen[i < 10 ? 0 : 1][f.nport - 62000] = 1;
	}
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, A("10.244.9.9"), 1000, rem, 443, SYN,
	    nat, 2, 1, &f), CT_NO_PORT);
	/* Another destination (port or address) is unaffected. */
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, A("10.244.9.9"), 1000, rem, 80, SYN,
	    nat, 2, 1, &f), CT_OK);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, A("10.244.9.9"), 1000, other, 443,
	    SYN, nat, 1, 1, &f), CT_OK);
	/* Other protocols have their own ports. */
	ASSERT_EQ(ct_out(t, IPPROTO_UDP, A("10.244.9.9"), 1000, rem, 443, 0,
	    nat, 1, 1, &f), CT_OK);
	ct_stats_get(t, &st);
	ASSERT_EQ(st.dropped_no_port, 1);
	/* Once they expire, the ports come back. */
	ASSERT(ct_expire(t, 1 + CT_TO_SYN_SENT) >= 20);
	ASSERT_EQ(ct_out(t, IPPROTO_TCP, A("10.244.9.9"), 1000, rem, 443, SYN,
	    nat, 2, 200, &f), CT_OK);
	ct_free(t);
}

static void
test_full(void)
{
	struct ct_table *t = ct_new(64, 61000, 65535);
	uint32_t nat[1] = { A("192.0.2.1") };
	struct ct_flow f;
	struct ct_stats st;

	ASSERT(t != NULL);
	ASSERT_EQ(ct_capacity(t), 64);
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(ct_out(t, IPPROTO_UDP, A("10.244.1.5"), (uint16_t)i,
		    A("198.51.100.2"), 53, 0, nat, 1, 5, &f), CT_OK);
	ASSERT_EQ(ct_out(t, IPPROTO_UDP, A("10.244.1.5"), 999,
	    A("198.51.100.2"), 53, 0, nat, 1, 5, &f), CT_FULL);
	/* Established ones keep working. */
	ASSERT_EQ(ct_out(t, IPPROTO_UDP, A("10.244.1.5"), 7,
	    A("198.51.100.2"), 53, 0, nat, 1, 6, &f), CT_OK);
	ct_stats_get(t, &st);
	ASSERT_EQ(st.dropped_full, 1);
	/* After expiry there is room again. */
	ASSERT_EQ(ct_expire(t, 5 + CT_TO_UDP_UNREPLIED), 63);
	ASSERT_EQ(ct_out(t, IPPROTO_UDP, A("10.244.1.5"), 999,
	    A("198.51.100.2"), 53, 0, nat, 1, 40, &f), CT_OK);
	ASSERT(ct_bytes(t) < 128);
	ct_free(t);
}

/*
 * Random traffic against a model: every flow the model holds is found in
 * both directions with the same translation, reply tuples never repeat,
 * and what expired in the model is gone from the table.
 */
struct mflow {
	bool live;
	uint8_t proto;
	uint32_t pod, remote;
	uint16_t pport, rport, nport;
	uint32_t expires;
};

static void
test_random(void)
{
	enum { N = 3000 };
	static struct mflow m[N];
	struct ct_table *t = ct_new(2048, 61000, 61063);
	uint32_t nat[1] = { A("192.0.2.1") };
	uint32_t now = 1000;
	unsigned made = 0, full = 0, noport = 0;

	ASSERT(t != NULL);
	memset(m, 0, sizeof(m));
	for (int step = 0; step < 40000; step++) {
		int k = (int)check_below(N);
		struct mflow *x = &m[k];
		struct ct_flow f;
		enum ct_result r;

		if (check_below(50) == 0) {
			now += (uint32_t)check_below(20);
			ct_expire(t, now);
			for (int i = 0; i < N; i++)
				if (m[i].live && m[i].expires <= now)
					m[i].live = false;
		}
		if (!x->live) {
			x->proto = check_below(2) ? IPPROTO_UDP : IPPROTO_ICMP;
			x->pod = A("10.244.0.0") + htonl((uint32_t)k);
			x->pport = (uint16_t)(1 + check_below(3));
			/* Few destinations: contention for their ports. */
			x->remote = A("198.51.100.0") +
			    htonl((uint32_t)check_below(4));
			x->rport = x->proto == IPPROTO_UDP ?
			    (uint16_t)(53 + check_below(2)) : 0;
		}
		r = ct_out(t, x->proto, x->pod, x->pport, x->remote, x->rport,
		    0, nat, 1, now, &f);
		if (r == CT_FULL) {
			full++;
			ASSERT(!x->live);
			continue;
		}
		if (r == CT_NO_PORT) {
			noport++;
			ASSERT(!x->live);
			continue;
		}
		ASSERT_EQ(r, CT_OK);
		if (x->live)
			ASSERT_EQ(f.nport, x->nport);
		else
			made++;
		x->live = true;
		x->nport = f.nport;
		x->expires = f.expires;
		/* Sometimes an answer. */
		if (check_below(3) == 0) {
			struct ct_flow g;

			ASSERT_EQ(ct_in(t, x->proto, x->remote, x->rport, nat[0],
			    x->nport, 0, false, now, &g), CT_OK);
			ASSERT_EQ(g.pod, x->pod);
			ASSERT_EQ(g.pport, x->pport);
			x->expires = g.expires;
		}
	}
	/* Cross-check: reply tuples unique among live flows. */
	for (int i = 0; i < N; i++) {
		struct ct_flow g;

		if (!m[i].live)
			continue;
		ASSERT_EQ(ct_in(t, m[i].proto, m[i].remote, m[i].rport, nat[0],
		    m[i].nport, 0, true, now, &g), CT_OK);
		ASSERT_EQ(g.pod, m[i].pod);
		for (int j = i + 1; j < N; j++)
			ASSERT(!(m[j].live && m[j].proto == m[i].proto &&
			    m[j].remote == m[i].remote &&
			    m[j].rport == m[i].rport &&
			    m[j].nport == m[i].nport));
	}
	printf("  %u flows made, %u refused (table full), %u refused (no port)\n",
	    made, full, noport);
	ASSERT(full > 0 || noport > 0);
	ct_free(t);
}

/* ---- translation -------------------------------------------------------- */

/* Builds an IPv4 packet: 20-byte header, l4 bytes; checksums right. */
static size_t
build(uint8_t *p, uint8_t proto, const char *src, const char *dst,
    const uint8_t *l4, size_t l4len)
{
	uint32_t s = A(src), d = A(dst), sum;
	size_t len = 20 + l4len;
	uint16_t c;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[6] = 0x40;	/* DF */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &s, 4);
	memcpy(p + 16, &d, 4);
	c = inet_csum_fold(inet_csum_add(0, p, 20));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	memcpy(p + 20, l4, l4len);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		size_t off = proto == IPPROTO_TCP ? 16 : 6;

		p[20 + off] = p[21 + off] = 0;
		sum = inet_csum_add(0, p + 12, 8);
		sum += proto + (uint32_t)l4len;
		sum = inet_csum_add(sum, p + 20, l4len);
		c = inet_csum_fold(sum);
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		p[20 + off] = (uint8_t)(c >> 8);
		p[21 + off] = (uint8_t)c;
	} else if (proto == IPPROTO_ICMP) {
		p[22] = p[23] = 0;
		c = inet_csum_fold(inet_csum_add(0, p + 20, l4len));
		p[22] = (uint8_t)(c >> 8);
		p[23] = (uint8_t)c;
	}
	return len;
}

/* True if every checksum of the IPv4 packet p verifies. */
static bool
sums_ok(const uint8_t *p, size_t len)
{
	size_t hl = (size_t)(p[0] & 0x0f) * 4;
	uint8_t proto = p[9];
	uint32_t sum;

	if (inet_csum_fold(inet_csum_add(0, p, hl)) != 0)
		return false;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (proto == IPPROTO_UDP && p[hl + 6] == 0 && p[hl + 7] == 0)
			return true;
		sum = inet_csum_add(0, p + 12, 8);
		sum += proto + (uint32_t)(len - hl);
		sum = inet_csum_add(sum, p + hl, len - hl);
		return inet_csum_fold(sum) == 0;
	}
	if (proto == IPPROTO_ICMP)
		return inet_csum_fold(inet_csum_add(0, p + hl, len - hl)) == 0;
	return true;
}

static void
random_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)check_below(256);
}

static void
test_xlate_random(void)
{
	for (int i = 0; i < 3000; i++) {
		uint8_t l4[200], p[256];
		uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
		uint8_t proto = protos[check_below(3)];
		size_t l4len = proto == IPPROTO_TCP ? 20 + check_below(100) :
		    8 + check_below(100);
		struct ip_info ii;
		struct xlate_key k, k2;
		size_t len;
		uint32_t addr = (uint32_t)check_rand();
		uint16_t port = (uint16_t)check_rand();

		random_bytes(l4, l4len);
		if (proto == IPPROTO_TCP) {
			l4[12] = 0x50;	/* data offset 5 */
			l4[13] = SYN;
		}
		if (proto == IPPROTO_UDP) {
			l4[4] = (uint8_t)(l4len >> 8);
			l4[5] = (uint8_t)l4len;
			if (check_below(4) == 0)
				l4[6] = l4[7] = 0;	/* no checksum */
		}
		if (proto == IPPROTO_ICMP)
			l4[0] = check_below(2) ? 8 : 0, l4[1] = 0;
		len = build(p, proto, "10.244.1.5", "198.51.100.2", l4, l4len);
		if (proto == IPPROTO_UDP && check_below(4) == 0) {
			p[26] = p[27] = 0;
		}
		ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
		ASSERT(xlate_key_of(p, &ii, &k));
		ASSERT(sums_ok(p, len));
		if (check_below(2)) {
			xlate_src(p, &ii, addr, port);
			ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
			ASSERT(xlate_key_of(p, &ii, &k2));
			ASSERT_EQ(k2.src, addr);
			ASSERT_EQ(k2.sport, port);
			ASSERT_EQ(k2.dst, k.dst);
			if (proto != IPPROTO_ICMP)
				ASSERT_EQ(k2.dport, k.dport);
		} else {
			xlate_dst(p, &ii, addr, port);
			ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
			ASSERT(xlate_key_of(p, &ii, &k2));
			ASSERT_EQ(k2.dst, addr);
			ASSERT_EQ(k2.src, k.src);
			if (proto == IPPROTO_ICMP)
				ASSERT_EQ(k2.sport, port);	/* the id */
			else
				ASSERT_EQ(k2.dport, port);
		}
		if (!sums_ok(p, len))
			CHECK_FAIL("checksum wrong after rewrite %d (proto %u)",
			    i, proto);
	}
}

/*
 * An ICMP error from a router quoting a translated packet comes back to
 * the pod with the pod's address and port inside and out, every
 * checksum right.
 */
static void
test_icmp_error(void)
{
	uint8_t tcp[20] = { 0xee, 0x48, 0x01, 0xbb };	/* 61000 -> 443 */
	uint8_t quoted[48], icmp[8 + 48], p[128], udp[8] = { 0xee, 0x48, 0,
	    53, 0, 8 };
	struct xlate_key q;
	struct ip_info ii;
	size_t qlen, len;
	uint8_t *qi;

	tcp[12] = 0x50;
	tcp[13] = SYN;
	qlen = build(quoted, IPPROTO_TCP, "192.0.2.1", "198.51.100.2", tcp,
	    sizeof(tcp));
	memset(icmp, 0, 8);
	icmp[0] = 11;	/* time exceeded */
	memcpy(icmp + 8, quoted, qlen);
	len = build(p, IPPROTO_ICMP, "203.0.113.1", "192.0.2.1", icmp,
	    8 + qlen);
	ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
	ASSERT(ii.is_icmp_error);
	ASSERT(xlate_icmp_quote(p, &ii, &q));
	ASSERT_EQ(q.proto, IPPROTO_TCP);
	ASSERT_EQ(q.src, A("192.0.2.1"));
	ASSERT_EQ(q.sport, 61000);
	ASSERT_EQ(q.dport, 443);
	xlate_icmp_error(p, &ii, A("10.244.1.5"), 40000);
	ASSERT(sums_ok(p, len));
	ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
	ASSERT(xlate_icmp_quote(p, &ii, &q));
	ASSERT_EQ(q.src, A("10.244.1.5"));
	ASSERT_EQ(q.sport, 40000);
	qi = p + 28;
	ASSERT(sums_ok(qi, qlen));	/* the quoted TCP segment, whole */
	ASSERT(memcmp(p + 16, &(uint32_t){ A("10.244.1.5") }, 4) == 0);

	/* A quote of 8 bytes of UDP (as RFC 792 asks at least). */
	qlen = build(quoted, IPPROTO_UDP, "192.0.2.1", "198.51.100.2", udp,
	    sizeof(udp));
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 3;	/* port unreachable */
	memcpy(icmp + 8, quoted, qlen);
	len = build(p, IPPROTO_ICMP, "198.51.100.2", "192.0.2.1", icmp,
	    8 + qlen);
	ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
	ASSERT(xlate_icmp_quote(p, &ii, &q));
	ASSERT_EQ(q.proto, IPPROTO_UDP);
	xlate_icmp_error(p, &ii, A("10.244.1.5"), 5353);
	ASSERT(sums_ok(p, len));
	ASSERT(sums_ok(p + 28, qlen));
	/* Too short a quote: not translatable. */
	len = build(p, IPPROTO_ICMP, "198.51.100.2", "192.0.2.1", icmp,
	    8 + 20 + 4);
	ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
	ASSERT(!xlate_icmp_quote(p, &ii, &q));
	/* Fragments are not translatable. */
	len = build(p, IPPROTO_UDP, "10.244.1.5", "198.51.100.2", udp, 8);
	p[6] = 0x20;	/* MF */
	p[10] = p[11] = 0;
	{
		uint16_t c = inet_csum_fold(inet_csum_add(0, p, 20));

		p[10] = (uint8_t)(c >> 8);
		p[11] = (uint8_t)c;
	}
	ASSERT_EQ(ip_parse(p, len, &ii), IP_OK);
	ASSERT(!xlate_key_of(p, &ii, &q));
	(void)nat1;
}

int
main(void)
{
	check_seed();
	RUN(test_tcp_states);
	RUN(test_udp_icmp);
	RUN(test_ports);
	RUN(test_full);
	RUN(test_random);
	RUN(test_xlate_random);
	RUN(test_icmp_error);
	return 0;
}
