/*
 * dns_test.c - dns/: the response parser (dns_parse()) and name patterns
 * (dns_name_matches(), dns_pattern_valid()).
 *
 * Responses are built here byte by byte from RFC 1035 (a small builder
 * with compression pointers), not with the parser's own code, then
 * parsed: bindings along CNAME chains, what binds nothing, and every way
 * a message can be broken (truncation at each byte, pointer loops and
 * forward pointers, long labels and names, counts the message cannot
 * hold, records of the wrong size).
 *
 * `dns_test --write-seeds DIR` writes the seed corpus of the fuzz target
 * fuzz_dns into DIR (tests/fuzz/corpus/fuzz_dns), from the same table of
 * messages that test_parse_seeds checks: each seed keeps the result it
 * was written for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "dns/dns.h"
#include "tests/unit/check.h"

/* ------------------------------------------------------------------ */
/* A response builder, written from RFC 1035 §4.1. */

#define MSG_CAP 8192

#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_OPT 41
#define T_ANY 255
#define C_IN 1
#define C_CH 3

#define F_QR 0x8000
#define F_RD 0x0100
#define F_RA 0x0080
#define F_RESP (F_QR | F_RD | F_RA)

struct msg {
	uint8_t b[MSG_CAP];
	size_t n;
	size_t rdlen_at;	/* where the open record's RDLENGTH goes */
};

static void
put8(struct msg *m, unsigned v)
{
	ASSERT(m->n < MSG_CAP);
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
set16(struct msg *m, size_t at, unsigned v)
{
	m->b[at] = (uint8_t)(v >> 8);
	m->b[at + 1] = (uint8_t)v;
}

/* A header; the counts are set by the caller (counts()). */
static void
hdr(struct msg *m, unsigned id, unsigned flags)
{
	memset(m, 0, sizeof(*m));
	put16(m, id);
	put16(m, flags);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
}

static void
counts(struct msg *m, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	set16(m, 4, qd);
	set16(m, 6, an);
	set16(m, 8, ns);
	set16(m, 10, ar);
}

/*
 * The labels of dotted (no escapes), then a pointer to ptr if ptr is not
 * 0, else the root label. Returns where the name starts.
 */
static size_t
name_to(struct msg *m, const char *dotted, size_t ptr)
{
	size_t at = m->n;
	const char *s = dotted;

	while (*s != '\0') {
		const char *dot = strchr(s, '.');
		size_t l = dot != NULL ? (size_t)(dot - s) : strlen(s);

		put8(m, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			put8(m, (uint8_t)s[i]);
		s += l;
		if (*s == '.')
			s++;
	}
	if (ptr != 0)
		put16(m, 0xc000 | (unsigned)ptr);
	else
		put8(m, 0);
	return at;
}

static size_t
name(struct msg *m, const char *dotted)
{
	return name_to(m, dotted, 0);
}

static size_t
question(struct msg *m, const char *dotted, unsigned type)
{
	size_t at = name(m, dotted);

	put16(m, type);
	put16(m, C_IN);
	return at;
}

/* After the owner name: type, class, TTL, and RDLENGTH to come. */
static void
rr_open(struct msg *m, unsigned type, unsigned class, uint32_t ttl)
{
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
	m->rdlen_at = m->n;
	put16(m, 0);
}

static void
rr_close(struct msg *m)
{
	set16(m, m->rdlen_at, (unsigned)(m->n - m->rdlen_at - 2));
}

/* An A record owned by the name at owner (a pointer). */
static void
rr_a(struct msg *m, size_t owner, uint32_t ttl, const char *v4)
{
	struct in_addr a;

	ASSERT_EQ(inet_pton(AF_INET, v4, &a), 1);
	put16(m, 0xc000 | (unsigned)owner);
	rr_open(m, T_A, C_IN, ttl);
	memcpy(m->b + m->n, &a, 4);
	m->n += 4;
	rr_close(m);
}

static void
rr_aaaa(struct msg *m, size_t owner, uint32_t ttl, const char *v6)
{
	struct in6_addr a;

	ASSERT_EQ(inet_pton(AF_INET6, v6, &a), 1);
	put16(m, 0xc000 | (unsigned)owner);
	rr_open(m, T_AAAA, C_IN, ttl);
	memcpy(m->b + m->n, &a, 16);
	m->n += 16;
	rr_close(m);
}

/*
 * A CNAME owned by the name at owner, to dotted (compressed against ptr
 * if not 0). Returns where the target starts.
 */
static size_t
rr_cname(struct msg *m, size_t owner, uint32_t ttl, const char *dotted,
    size_t ptr)
{
	size_t at;

	put16(m, 0xc000 | (unsigned)owner);
	rr_open(m, T_CNAME, C_IN, ttl);
	at = name_to(m, dotted, ptr);
	rr_close(m);
	return at;
}

static void
rr_mx(struct msg *m, size_t owner, uint32_t ttl, const char *dotted)
{
	put16(m, 0xc000 | (unsigned)owner);
	rr_open(m, T_MX, C_IN, ttl);
	put16(m, 10);
	name(m, dotted);
	rr_close(m);
}

static void
rr_txt(struct msg *m, size_t owner, uint32_t ttl, const char *text)
{
	size_t l = strlen(text);

	put16(m, 0xc000 | (unsigned)owner);
	rr_open(m, T_TXT, C_IN, ttl);
	put8(m, (unsigned)l);
	memcpy(m->b + m->n, text, l);
	m->n += l;
	rr_close(m);
}

/* An SOA for the zone at owner, as NXDOMAIN answers carry. */
static void
rr_soa(struct msg *m, size_t owner, uint32_t ttl)
{
	put16(m, 0xc000 | (unsigned)owner);
	rr_open(m, T_SOA, C_IN, ttl);
	name_to(m, "ns1", owner);
	name_to(m, "hostmaster", owner);
	put32(m, 2024010101);
	put32(m, 7200);
	put32(m, 3600);
	put32(m, 1209600);
	put32(m, 300);
	rr_close(m);
}

/* An EDNS(0) OPT pseudo-record (RFC 6891): root owner, payload size. */
static void
rr_opt(struct msg *m)
{
	put8(m, 0);
	rr_open(m, T_OPT, 1232, 0);
	rr_close(m);
}

/* ------------------------------------------------------------------ */
/* Checking answers. */

static struct dns_answer ans;

static enum dns_result
parse(const struct msg *m)
{
	return dns_parse(m->b, m->n, &ans);
}

/* The binding of name to addr, or NULL. */
static const struct dns_binding *
find(const char *bname, const char *addr)
{
	struct sluice_addr a;

	ASSERT_OK(sluice_addr_parse(addr, &a));
	for (size_t i = 0; i < ans.nb; i++)
		if (strcmp(ans.b[i].name, bname) == 0 &&
		    sluice_addr_eq(&ans.b[i].addr, &a))
			return &ans.b[i];
	return NULL;
}

static void
expect(const char *bname, const char *addr, uint32_t ttl)
{
	const struct dns_binding *b = find(bname, addr);

	if (b == NULL)
		CHECK_FAIL("no binding %s -> %s", bname, addr);
	if (b->ttl != ttl)
		CHECK_FAIL("%s -> %s: ttl %u, want %u", bname, addr,
		    (unsigned)b->ttl, (unsigned)ttl);
}

/* ------------------------------------------------------------------ */
/* Messages, each one a seed of fuzz_dns too. */

static void
mk_a(struct msg *m)
{
	size_t q;

	hdr(m, 0x1234, F_RESP);
	q = question(m, "www.example.com", T_A);
	rr_a(m, q, 300, "93.184.216.34");
	counts(m, 1, 1, 0, 0);
}

static void
mk_aaaa(struct msg *m)
{
	size_t q;

	hdr(m, 0x2345, F_RESP);
	q = question(m, "www.example.com", T_AAAA);
	rr_aaaa(m, q, 3600, "2606:2800:220:1:248:1893:25c8:1946");
	rr_aaaa(m, q, 3600, "2606:2800:220:1::1");
	counts(m, 1, 2, 0, 0);
}

/* Mixed case in the question and the owner, as 0x20 randomisation does. */
static void
mk_a_case(struct msg *m)
{
	size_t q;

	hdr(m, 7, F_RESP);
	q = question(m, "WwW.ExAmPle.CoM", T_A);
	put8(m, 3);
	put8(m, 'W');
	put8(m, 'W');
	put8(m, 'w');
	put16(m, 0xc000 | (unsigned)(q + 4));
	rr_open(m, T_A, C_IN, 60);
	put32(m, 0x0a000001);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

/*
 * www.shop.example -> shop.cdn.example.net (300) -> edge7.cdn.example.net
 * (60), four A records at the end (120, one at 30), with EDNS.
 */
static void
mk_chain3(struct msg *m)
{
	size_t q, c1, c2;

	hdr(m, 0x4242, F_RESP);
	q = question(m, "www.shop.example", T_A);
	c1 = rr_cname(m, q, 300, "shop.cdn.example.net", 0);
	c2 = rr_cname(m, c1, 60, "edge7", c1 + 5);
	rr_a(m, c2, 120, "198.51.100.1");
	rr_a(m, c2, 120, "198.51.100.2");
	rr_a(m, c2, 30, "198.51.100.3");
	rr_a(m, c2, 120, "198.51.100.4");
	rr_opt(m);
	counts(m, 1, 6, 0, 1);
}

/* The bench's answer: one CNAME and four A records. */
static void
mk_cname_4a(struct msg *m)
{
	size_t q, c;

	hdr(m, 0x5151, F_RESP);
	q = question(m, "api.example.com", T_A);
	c = rr_cname(m, q, 300, "api.example.com.cdn.example.net", 0);
	rr_a(m, c, 60, "203.0.113.10");
	rr_a(m, c, 60, "203.0.113.11");
	rr_a(m, c, 60, "203.0.113.12");
	rr_a(m, c, 60, "203.0.113.13");
	counts(m, 1, 5, 0, 0);
}

/*
 * The answers out of order, and an address at the middle name as well as
 * at the end: a.example -> b.example -> c.example.
 */
static void
mk_chain_middle(struct msg *m)
{
	size_t q, b, c, b2;

	hdr(m, 9, F_RESP);
	q = question(m, "a.example", T_AAAA);
	/* c's address first, owned by a name written out in full. */
	c = name(m, "c.example");
	rr_open(m, T_AAAA, C_IN, 500);
	put32(m, 0x20010db8);
	put32(m, 0);
	put32(m, 0);
	put32(m, 3);
	rr_close(m);
	b = name(m, "b.example");
	rr_open(m, T_CNAME, C_IN, 50);
	put16(m, 0xc000 | (unsigned)c);
	rr_close(m);
	b2 = m->n;
	rr_cname(m, q, 400, "B.EXAMPLE", 0);
	rr_aaaa(m, b2 + 12, 200, "2001:db8::2");
	(void)b;
	counts(m, 1, 4, 0, 0);
}

static void
mk_nxdomain(struct msg *m)
{
	size_t q;

	hdr(m, 11, F_RESP | 3);
	q = question(m, "nope.example.com", T_A);
	rr_soa(m, q + 5, 900);
	rr_opt(m);
	counts(m, 1, 0, 1, 1);
}

/* NOERROR, no data: an SOA in the authority section only. */
static void
mk_nodata(struct msg *m)
{
	size_t q;

	hdr(m, 12, F_RESP);
	q = question(m, "ipv4only.example.com", T_AAAA);
	rr_soa(m, q + 9, 900);
	counts(m, 1, 0, 1, 0);
}

/* An MX question: the A records of the additional section bind nothing. */
static void
mk_mx(struct msg *m)
{
	size_t q, mx;

	hdr(m, 13, F_RESP);
	q = question(m, "example.org", T_MX);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_MX, C_IN, 3600);
	put16(m, 10);
	mx = name_to(m, "mail", q);
	rr_close(m);
	put16(m, 0xc000 | (unsigned)mx);
	rr_open(m, T_A, C_IN, 3600);
	put32(m, 0xc0000201);
	rr_close(m);
	counts(m, 1, 1, 0, 1);
}

/* An A question whose answer also holds MX and TXT records, skipped. */
static void
mk_skip(struct msg *m)
{
	size_t q;

	hdr(m, 14, F_RESP);
	q = question(m, "mixed.example", T_A);
	rr_mx(m, q, 100, "mail.mixed.example");
	rr_txt(m, q, 100, "v=spf1 -all; not a name: *@#.");
	rr_a(m, q, 100, "192.0.2.7");
	rr_txt(m, q, 100, "");
	counts(m, 1, 4, 0, 0);
}

/* A CNAME loop a -> b -> a, with an address at b. */
static void
mk_loop2(struct msg *m)
{
	size_t q, b;

	hdr(m, 15, F_RESP);
	q = question(m, "a.loop.example", T_A);
	b = rr_cname(m, q, 100, "b", q + 2);
	rr_cname(m, b, 100, "a", q + 2);
	rr_a(m, b, 100, "192.0.2.9");
	counts(m, 1, 3, 0, 0);
}

/* The name's first byte points at itself. */
static void
mk_ptr_self(struct msg *m)
{
	hdr(m, 16, F_RESP);
	put16(m, 0xc000 | 12);
	put16(m, T_A);
	put16(m, C_IN);
	counts(m, 1, 0, 0, 0);
}

/* Two pointers to each other: the answer's owner at 29 <-> 31. */
static void
mk_ptr_loop2(struct msg *m)
{
	hdr(m, 17, F_RESP);
	question(m, "x.example", T_A);
	/* m->n is 27: a pointer there to 29, and at 29 one back to 27. */
	put16(m, 0xc000 | 29);
	put16(m, 0xc000 | 27);
	rr_open(m, T_A, C_IN, 1);
	put32(m, 1);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

/* The answer's owner points forward, at the CNAME target after it. */
static void
mk_ptr_forward(struct msg *m)
{
	size_t q, at;

	hdr(m, 18, F_RESP);
	q = question(m, "fwd.example", T_A);
	at = m->n;
	put16(m, 0);		/* patched below */
	rr_open(m, T_CNAME, C_IN, 1);
	name(m, "t.example");
	rr_close(m);
	set16(m, at, 0xc000 | (unsigned)(at + 12));
	(void)q;
	counts(m, 1, 1, 0, 0);
}

/* A pointer beyond the end of the message. */
static void
mk_ptr_outside(struct msg *m)
{
	hdr(m, 19, F_RESP);
	question(m, "out.example", T_A);
	put16(m, 0xc000 | 0x3fff);
	rr_open(m, T_A, C_IN, 1);
	put32(m, 1);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

/* A pointer into the header. */
static void
mk_ptr_header(struct msg *m)
{
	hdr(m, 20, F_RESP);
	question(m, "hdr.example", T_A);
	put16(m, 0xc000 | 4);
	rr_open(m, T_A, C_IN, 1);
	put32(m, 1);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

static void
mk_label64(struct msg *m)
{
	char n[80];

	memset(n, 'a', 64);
	strcpy(n + 64, ".example");
	hdr(m, 21, F_RESP);
	question(m, n, T_A);
	counts(m, 1, 0, 0, 0);
}

/* Labels of 1 + 63 bytes: 4 of them and a 62 are 256 on the wire. */
static void
mk_long_name(struct msg *m, size_t last)
{
	char n[300];
	size_t k = 0;

	for (int i = 0; i < 3; i++) {
		memset(n + k, 'a' + i, 63);
		k += 63;
		n[k++] = '.';
	}
	memset(n + k, 'z', last);
	n[k + last] = '\0';
	hdr(m, 22, F_RESP);
	question(m, n, T_A);
	counts(m, 1, 0, 0, 0);
}

static void
mk_name256(struct msg *m)
{
	mk_long_name(m, 62);
}

static void
mk_name255(struct msg *m)
{
	mk_long_name(m, 61);
}

/*
 * Over 255 bytes only once the pointer is followed: the answer's owner is
 * a 63-byte label (64 on the wire) pointing at a name of 193.
 */
static void
mk_name256_ptr(struct msg *m)
{
	char n[300], l[64];
	size_t q;

	memset(n, 'q', 63);
	n[63] = '.';
	memset(n + 64, 'r', 63);
	n[127] = '.';
	memset(n + 128, 's', 63);
	n[191] = '\0';
	memset(l, 'p', 63);
	l[63] = '\0';
	hdr(m, 23, F_RESP);
	q = question(m, n, T_A);
	name_to(m, l, q);
	rr_open(m, T_A, C_IN, 1);
	put32(m, 1);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

static void
mk_count65535(struct msg *m)
{
	mk_a(m);
	counts(m, 1, 65535, 0, 0);
}

static void
mk_qd65535(struct msg *m)
{
	mk_a(m);
	counts(m, 65535, 1, 0, 0);
}

static void
mk_ar65535(struct msg *m)
{
	mk_a(m);
	counts(m, 1, 1, 0, 65535);
}

static void
mk_a5(struct msg *m)
{
	size_t q;

	hdr(m, 24, F_RESP);
	q = question(m, "five.example", T_A);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_A, C_IN, 1);
	put32(m, 0x0a000001);
	put8(m, 0);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

static void
mk_aaaa4(struct msg *m)
{
	size_t q;

	hdr(m, 25, F_RESP);
	q = question(m, "four.example", T_AAAA);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_AAAA, C_IN, 1);
	put32(m, 0x0a000001);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

/* RDLENGTH says 200 bytes; the message ends after 4. */
static void
mk_rdlen_past(struct msg *m)
{
	size_t q;

	hdr(m, 26, F_RESP);
	q = question(m, "past.example", T_A);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_TXT, C_IN, 1);
	put32(m, 0);
	set16(m, m->rdlen_at, 200);
	counts(m, 1, 1, 0, 0);
}

/* A CNAME whose RDATA holds a byte after the target name. */
static void
mk_cname_slack(struct msg *m)
{
	size_t q;

	hdr(m, 27, F_RESP);
	q = question(m, "slack.example", T_A);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_CNAME, C_IN, 1);
	name(m, "t.example");
	put8(m, 0);
	rr_close(m);
	counts(m, 1, 1, 0, 0);
}

/* A CNAME whose target runs past its RDATA (into the next record). */
static void
mk_cname_short(struct msg *m)
{
	size_t q;

	hdr(m, 28, F_RESP);
	q = question(m, "short.example", T_A);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_CNAME, C_IN, 1);
	name(m, "t.example");
	set16(m, m->rdlen_at, 4);
	counts(m, 1, 1, 0, 0);
}

/* A label of the 01 (extended) type. */
static void
mk_label_ext(struct msg *m)
{
	hdr(m, 29, F_RESP);
	put8(m, 0x41);
	put8(m, 0);
	put16(m, T_A);
	put16(m, C_IN);
	counts(m, 1, 0, 0, 0);
}

/* One label "a.b": a dot inside a label. */
static void
mk_dot_label(struct msg *m)
{
	hdr(m, 30, F_RESP);
	put8(m, 3);
	put8(m, 'a');
	put8(m, '.');
	put8(m, 'b');
	put8(m, 0);
	put16(m, T_A);
	put16(m, C_IN);
	counts(m, 1, 0, 0, 0);
}

static void
mk_query(struct msg *m)
{
	hdr(m, 31, F_RD);
	question(m, "www.example.com", T_A);
	counts(m, 1, 0, 0, 0);
}

/* No question: nothing to bind the A record to. */
static void
mk_qd0(struct msg *m)
{
	hdr(m, 32, F_RESP);
	name(m, "lone.example");
	rr_open(m, T_A, C_IN, 5);
	put32(m, 0x0a000002);
	rr_close(m);
	counts(m, 0, 1, 0, 0);
}

/* Two questions: the first counts, the second must still be whole. */
static void
mk_qd2(struct msg *m)
{
	size_t q;

	hdr(m, 33, F_RESP);
	q = question(m, "one.example", T_A);
	question(m, "two.example", T_A);
	rr_a(m, q, 5, "10.0.0.1");
	counts(m, 2, 1, 0, 0);
}

static void
mk_underscore(struct msg *m)
{
	size_t q;

	hdr(m, 34, F_RESP);
	q = question(m, "_svc-1._tcp.Under_Score-x.example", T_A);
	rr_a(m, q, 5, "10.0.0.3");
	counts(m, 1, 1, 0, 0);
}

/* A CHAOS-class A record in the answer: not an IPv4 address. */
static void
mk_class_ch(struct msg *m)
{
	size_t q;

	hdr(m, 35, F_RESP);
	q = question(m, "ch.example", T_A);
	put16(m, 0xc000 | (unsigned)q);
	rr_open(m, T_A, C_CH, 5);
	put16(m, 0x1234);
	put8(m, 0);
	rr_close(m);
	rr_a(m, q, 5, "10.0.0.4");
	counts(m, 1, 2, 0, 0);
}

/* A TTL with its top bit set reads as 0 (RFC 2181 §8). */
static void
mk_ttl_top(struct msg *m)
{
	size_t q;

	hdr(m, 36, F_RESP);
	q = question(m, "ttl.example", T_A);
	rr_a(m, q, 0x80000001u, "10.0.0.5");
	counts(m, 1, 1, 0, 0);
}

/* 70 A records: DNS_BINDINGS_PER_ANSWER and `more`. */
static void
mk_many(struct msg *m)
{
	size_t q;
	char a[32];

	hdr(m, 37, F_RESP);
	q = question(m, "many.example", T_A);
	for (int i = 0; i < 70; i++) {
		snprintf(a, sizeof(a), "10.1.%d.%d", i / 256, i % 256);
		rr_a(m, q, 5, a);
	}
	counts(m, 1, 70, 0, 0);
}

/* A chain of links CNAMEs (c0 -> c1 -> ... -> c<links>), A at the end. */
static void
mk_chain_n(struct msg *m, int links)
{
	size_t owner, zone;
	char l[16];

	hdr(m, 38, F_RESP);
	owner = question(m, "c0.chain.example", T_A);
	zone = owner + 3;
	for (int i = 1; i <= links; i++) {
		snprintf(l, sizeof(l), "c%d", i);
		owner = rr_cname(m, owner, (uint32_t)(1000 - i), l, zone);
	}
	rr_a(m, owner, 5000, "10.2.0.1");
	counts(m, 1, (unsigned)links + 1, 0, 0);
}

static void
mk_chain16(struct msg *m)
{
	mk_chain_n(m, 16);
}

static void
mk_chain17(struct msg *m)
{
	mk_chain_n(m, 17);
}

/* NOTIFY's answer (opcode 4) binds nothing. */
static void
mk_notify(struct msg *m)
{
	mk_a(m);
	set16(m, 2, F_QR | 4 << 11);
}

/* TCP framing is the caller's: a length prefix here is a bad message. */
static void
mk_trailing(struct msg *m)
{
	mk_a(m);
	put8(m, 0xff);
	put8(m, 0xff);
	put8(m, 0xff);
}

struct seed {
	const char *name;
	void (*make)(struct msg *m);
	enum dns_result want;
	size_t nb;
};

static const struct seed seeds[] = {
	{ "a", mk_a, DNS_OK, 1 },
	{ "aaaa", mk_aaaa, DNS_OK, 2 },
	{ "a-case-0x20", mk_a_case, DNS_OK, 1 },
	{ "cname-chain3-edns", mk_chain3, DNS_OK, 12 },
	{ "cname-4a", mk_cname_4a, DNS_OK, 8 },
	{ "cname-middle-unordered", mk_chain_middle, DNS_OK, 5 },
	{ "cname-loop2", mk_loop2, DNS_OK, 2 },
	{ "cname-chain16", mk_chain16, DNS_OK, 17 },
	{ "cname-chain17", mk_chain17, DNS_OK, 0 },
	{ "nxdomain-soa", mk_nxdomain, DNS_OK, 0 },
	{ "nodata-soa", mk_nodata, DNS_OK, 0 },
	{ "mx-question", mk_mx, DNS_OK, 0 },
	{ "mx-txt-skipped", mk_skip, DNS_OK, 1 },
	{ "qd0", mk_qd0, DNS_OK, 0 },
	{ "qd2", mk_qd2, DNS_OK, 1 },
	{ "underscore", mk_underscore, DNS_OK, 1 },
	{ "class-chaos", mk_class_ch, DNS_OK, 1 },
	{ "ttl-top-bit", mk_ttl_top, DNS_OK, 1 },
	{ "many-a", mk_many, DNS_OK, DNS_BINDINGS_PER_ANSWER },
	{ "opcode-notify", mk_notify, DNS_OK, 0 },
	{ "trailing-bytes", mk_trailing, DNS_OK, 1 },
	{ "name-255", mk_name255, DNS_OK, 0 },
	{ "bad-query", mk_query, DNS_NOT_RESPONSE, 0 },
	{ "bad-ptr-self", mk_ptr_self, DNS_BAD_NAME, 0 },
	{ "bad-ptr-loop2", mk_ptr_loop2, DNS_BAD_NAME, 0 },
	{ "bad-ptr-forward", mk_ptr_forward, DNS_BAD_NAME, 0 },
	{ "bad-ptr-outside", mk_ptr_outside, DNS_BAD_NAME, 0 },
	{ "bad-ptr-header", mk_ptr_header, DNS_BAD_NAME, 0 },
	{ "bad-label64", mk_label64, DNS_BAD_NAME, 0 },
	{ "bad-name256", mk_name256, DNS_BAD_NAME, 0 },
	{ "bad-name256-ptr", mk_name256_ptr, DNS_BAD_NAME, 0 },
	{ "bad-label-ext", mk_label_ext, DNS_BAD_NAME, 0 },
	{ "bad-dot-in-label", mk_dot_label, DNS_BAD_NAME, 0 },
	{ "bad-an65535", mk_count65535, DNS_BAD_COUNT, 0 },
	{ "bad-qd65535", mk_qd65535, DNS_BAD_COUNT, 0 },
	{ "bad-ar65535", mk_ar65535, DNS_BAD_COUNT, 0 },
	{ "bad-a5", mk_a5, DNS_BAD_RECORD, 0 },
	{ "bad-aaaa4", mk_aaaa4, DNS_BAD_RECORD, 0 },
	{ "bad-rdlen-past-end", mk_rdlen_past, DNS_BAD_RECORD, 0 },
	{ "bad-cname-slack", mk_cname_slack, DNS_BAD_RECORD, 0 },
	{ "bad-cname-short", mk_cname_short, DNS_BAD_RECORD, 0 },
};
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))

static struct msg m;

/* ------------------------------------------------------------------ */
/* The parser. */

static void
test_parse_a(void)
{
	mk_a(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.id, 0x1234);
	ASSERT_EQ(ans.rcode, 0);
	ASSERT_STR_EQ(ans.qname, "www.example.com");
	ASSERT_EQ(ans.qtype, T_A);
	ASSERT_EQ(ans.nb, 1);
	ASSERT(!ans.more);
	expect("www.example.com", "93.184.216.34", 300);
	ASSERT_EQ(ans.b[0].addr.family, AF_INET);

	mk_aaaa(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.qtype, T_AAAA);
	ASSERT_EQ(ans.nb, 2);
	expect("www.example.com", "2606:2800:220:1:248:1893:25c8:1946", 3600);
	expect("www.example.com", "2606:2800:220:1::1", 3600);
	ASSERT_EQ(ans.b[1].addr.family, AF_INET6);
}

static void
test_parse_case(void)
{
	mk_a_case(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "www.example.com");
	ASSERT_EQ(ans.nb, 1);
	expect("www.example.com", "10.0.0.1", 60);

	mk_underscore(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "_svc-1._tcp.under_score-x.example");
	expect("_svc-1._tcp.under_score-x.example", "10.0.0.3", 5);
}

static void
test_parse_cname_chain(void)
{
	mk_chain3(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "www.shop.example");
	ASSERT_EQ(ans.nb, 12);
	for (int i = 1; i <= 4; i++) {
		char a[32];
		uint32_t end = i == 3 ? 30 : 120;

		snprintf(a, sizeof(a), "198.51.100.%d", i);
		expect("edge7.cdn.example.net", a, end);
		expect("shop.cdn.example.net", a, end < 60 ? end : 60);
		expect("www.shop.example", a, end < 60 ? end : 60);
	}
	/* The question's name comes first (the table keeps it if any). */
	ASSERT_STR_EQ(ans.b[0].name, "www.shop.example");

	mk_cname_4a(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 8);
	expect("api.example.com", "203.0.113.13", 60);
	expect("api.example.com.cdn.example.net", "203.0.113.10", 60);
}

/*
 * a -> b (400) -> c (50), AAAA at c (500) and at b (200), the records in
 * no particular order; a policy allowing only the middle name.
 */
static void
test_parse_cname_middle(void)
{
	const char *allow = "*.example";
	size_t allowed = 0;

	mk_chain_middle(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 5);
	expect("c.example", "2001:db8::3", 500);
	expect("b.example", "2001:db8::3", 50);
	expect("a.example", "2001:db8::3", 50);
	expect("b.example", "2001:db8::2", 200);
	expect("a.example", "2001:db8::2", 200);
	ASSERT(find("c.example", "2001:db8::2") == NULL);

	allow = "b.example";
	for (size_t i = 0; i < ans.nb; i++)
		allowed += dns_name_matches(allow, ans.b[i].name);
	ASSERT_EQ(allowed, 2);
	ASSERT(dns_name_matches("*.example", "b.example"));
}

static void
test_parse_cname_loop(void)
{
	size_t q;

	mk_loop2(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 2);
	expect("a.loop.example", "192.0.2.9", 100);
	expect("b.loop.example", "192.0.2.9", 100);

	/* a -> a, and an address at a. */
	hdr(&m, 1, F_RESP);
	q = question(&m, "self.example", T_A);
	rr_cname(&m, q, 100, "self.example", 0);
	rr_a(&m, q, 7, "192.0.2.10");
	counts(&m, 1, 2, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 1);
	expect("self.example", "192.0.2.10", 7);

	/* A loop with no address anywhere. */
	hdr(&m, 1, F_RESP);
	q = question(&m, "x.example", T_A);
	rr_cname(&m, rr_cname(&m, q, 1, "y.example", 0), 1, "x.example", 0);
	counts(&m, 1, 2, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);
}

static void
test_parse_chain_limit(void)
{
	mk_chain16(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 17);
	expect("c16.chain.example", "10.2.0.1", 5000);
	expect("c0.chain.example", "10.2.0.1", 1000 - 16);
	expect("c8.chain.example", "10.2.0.1", 1000 - 16);

	/* The 17th link is not followed: c17's address binds nothing. */
	mk_chain17(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);
}

static void
test_parse_no_bindings(void)
{
	size_t q;

	mk_nxdomain(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.rcode, 3);
	ASSERT_STR_EQ(ans.qname, "nope.example.com");
	ASSERT_EQ(ans.nb, 0);

	/* NXDOMAIN with an address record anyway. */
	mk_a(&m);
	set16(&m, 2, F_RESP | 3);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);
	set16(&m, 2, F_RESP | 2);	/* SERVFAIL */
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.rcode, 2);
	ASSERT_EQ(ans.nb, 0);

	mk_nodata(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);

	mk_mx(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.qtype, T_MX);
	ASSERT_EQ(ans.nb, 0);

	/* ANY, TXT questions: no bindings even with an A in the answer. */
	mk_a(&m);
	set16(&m, 12 + 17, T_ANY);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.qtype, T_ANY);
	ASSERT_EQ(ans.nb, 0);
	set16(&m, 12 + 17, T_TXT);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);
	/* A question of class CH. */
	mk_a(&m);
	set16(&m, 12 + 19, C_CH);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);

	mk_notify(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);

	mk_qd0(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "");
	ASSERT_EQ(ans.qtype, 0);
	ASSERT_EQ(ans.nb, 0);

	/* The root: asked for, or at the end of a CNAME (fuzz_dns found the
	 * first binding ""). */
	hdr(&m, 1, F_RESP);
	q = question(&m, "", T_AAAA);
	rr_aaaa(&m, q, 5, "2001:db8::7");
	counts(&m, 1, 1, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "");
	ASSERT_EQ(ans.qtype, T_AAAA);
	ASSERT_EQ(ans.nb, 0);
	hdr(&m, 1, F_RESP);
	q = question(&m, "to-root.example", T_A);
	q = rr_cname(&m, q, 5, "", 0);
	rr_a(&m, q, 5, "10.0.0.8");
	counts(&m, 1, 2, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);

	/* An address for another name than the question's. */
	mk_a(&m);
	m.b[m.n - 16 + 1] = 16;		/* owner -> "example.com" */
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 0);
}

static void
test_parse_skipped(void)
{
	mk_skip(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 1);
	expect("mixed.example", "192.0.2.7", 100);

	mk_class_ch(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 1);
	expect("ch.example", "10.0.0.4", 5);

	mk_ttl_top(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	expect("ttl.example", "10.0.0.5", 0);

	mk_trailing(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 1);
}

static void
test_parse_questions(void)
{
	mk_qd2(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "one.example");
	ASSERT_EQ(ans.nb, 1);
	expect("one.example", "10.0.0.1", 5);

	/* The second question's name broken: a label of 64. */
	mk_qd2(&m);
	m.b[12 + 17] = 64;
	ASSERT_EQ(parse(&m), DNS_BAD_NAME);
}

static void
test_parse_limit(void)
{
	size_t q;
	char a[32];

	mk_many(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, DNS_BINDINGS_PER_ANSWER);
	ASSERT(ans.more);
	expect("many.example", "10.1.0.0", 5);
	expect("many.example", "10.1.0.63", 5);
	ASSERT(find("many.example", "10.1.0.64") == NULL);

	/* 3 names x 30 addresses: the first 21 addresses fit whole. */
	hdr(&m, 1, F_RESP);
	q = question(&m, "x.example", T_A);
	q = rr_cname(&m, rr_cname(&m, q, 9, "y.example", 0), 8, "z.example",
	    0);
	for (int i = 0; i < 30; i++) {
		snprintf(a, sizeof(a), "10.3.0.%d", i);
		rr_a(&m, q, 10, a);
	}
	counts(&m, 1, 32, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, DNS_BINDINGS_PER_ANSWER);
	ASSERT(ans.more);
	expect("x.example", "10.3.0.20", 8);
	expect("z.example", "10.3.0.20", 10);
	expect("x.example", "10.3.0.21", 8);
	ASSERT(find("z.example", "10.3.0.21") == NULL);

	/* Exactly 64: not more. */
	hdr(&m, 1, F_RESP);
	q = question(&m, "x.example", T_A);
	for (int i = 0; i < 64; i++) {
		snprintf(a, sizeof(a), "10.4.0.%d", i);
		rr_a(&m, q, 10, a);
	}
	counts(&m, 1, 64, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 64);
	ASSERT(!ans.more);
}

/* The same record twice: one binding, with the smaller TTL. */
static void
test_parse_duplicates(void)
{
	size_t q;

	hdr(&m, 1, F_RESP);
	q = question(&m, "dup.example", T_A);
	rr_a(&m, q, 50, "10.5.0.1");
	rr_a(&m, q, 40, "10.5.0.1");
	rr_a(&m, q, 60, "10.5.0.2");
	counts(&m, 1, 3, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(ans.nb, 2);
	expect("dup.example", "10.5.0.1", 40);
	expect("dup.example", "10.5.0.2", 60);
}

static void
test_parse_bad_names(void)
{
	static const struct {
		void (*make)(struct msg *m);
		enum dns_result want;
	} cases[] = {
		{ mk_ptr_self, DNS_BAD_NAME },
		{ mk_ptr_loop2, DNS_BAD_NAME },
		{ mk_ptr_forward, DNS_BAD_NAME },
		{ mk_ptr_outside, DNS_BAD_NAME },
		{ mk_ptr_header, DNS_BAD_NAME },
		{ mk_label64, DNS_BAD_NAME },
		{ mk_name256, DNS_BAD_NAME },
		{ mk_name256_ptr, DNS_BAD_NAME },
		{ mk_label_ext, DNS_BAD_NAME },
		{ mk_dot_label, DNS_BAD_NAME },
	};
	static const uint8_t bad[] = { ' ', '*', '.', '/', '@', '\\', 0x7f,
		0x80, 0xff, 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cases[i].make(&m);
		ASSERT_EQ(parse(&m), cases[i].want);
		ASSERT_STR_EQ(ans.qname, "");
		ASSERT_EQ(ans.nb, 0);
	}

	/* 255 on the wire, 253 presented: the longest name there is. */
	mk_name255(&m);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_EQ(strlen(ans.qname), 253);
	ASSERT(dns_pattern_valid(ans.qname));

	/* A label of 63 is fine. */
	mk_label64(&m);
	m.b[12] = 63;
	memmove(m.b + 13 + 63, m.b + 13 + 64, m.n - (13 + 64));
	m.n--;
	ASSERT_EQ(parse(&m), DNS_OK);

	/* The 10 (reserved) label type. */
	mk_label_ext(&m);
	m.b[12] = 0x81;
	ASSERT_EQ(parse(&m), DNS_BAD_NAME);

	/* Bytes refused in a label: question, owner, CNAME target. */
	for (size_t i = 0; i < sizeof(bad); i++) {
		mk_a(&m);
		m.b[14] = bad[i];	/* "w?w.example.com" */
		ASSERT_EQ(parse(&m), DNS_BAD_NAME);

		/* The CNAME target "B.EXAMPLE" at 99 (see mk_chain_middle). */
		mk_chain_middle(&m);
		ASSERT_EQ(m.b[100], 'B');
		m.b[100] = bad[i];
		ASSERT_EQ(parse(&m), DNS_BAD_NAME);
	}

	/* Only structure counts in the authority section's names. */
	hdr(&m, 1, F_RESP | 3);
	question(&m, "nx.example", T_A);
	name(&m, "we*ird.ex ample");
	rr_open(&m, T_SOA, C_IN, 5);
	put32(&m, 0);
	rr_close(&m);
	counts(&m, 1, 0, 1, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "nx.example");
	counts(&m, 1, 1, 0, 0);
	ASSERT_EQ(parse(&m), DNS_BAD_NAME);
}

static void
test_parse_bad_counts(void)
{
	mk_count65535(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);
	mk_qd65535(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);
	mk_ar65535(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);
	mk_a(&m);
	counts(&m, 1, 1, 65535, 0);
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);

	/* The header only, claiming one of anything. */
	hdr(&m, 1, F_RESP);
	counts(&m, 1, 0, 0, 0);
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);
	counts(&m, 0, 0, 0, 1);
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);
	counts(&m, 0, 0, 0, 0);
	ASSERT_EQ(parse(&m), DNS_OK);
	ASSERT_STR_EQ(ans.qname, "");

	/* One record more than there is, but room for its minimum. */
	mk_a(&m);
	counts(&m, 1, 2, 0, 0);
	put8(&m, 0);
	for (int i = 0; i < 10; i++)
		put8(&m, 0);
	ASSERT_EQ(parse(&m), DNS_OK);	/* a root-owned record of type 0 */
	counts(&m, 1, 3, 0, 0);		/* 38 bytes at least, 48 there */
	ASSERT_EQ(parse(&m), DNS_TRUNCATED);
	counts(&m, 1, 4, 0, 0);		/* 49 */
	ASSERT_EQ(parse(&m), DNS_BAD_COUNT);
}

static void
test_parse_bad_records(void)
{
	mk_a5(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_RECORD);
	mk_aaaa4(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_RECORD);
	mk_rdlen_past(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_RECORD);
	mk_cname_slack(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_RECORD);
	mk_cname_short(&m);
	ASSERT_EQ(parse(&m), DNS_BAD_RECORD);

	/* An A of 3 in the additional section is not looked at. */
	mk_mx(&m);
	m.b[m.n - 5] = 3;
	m.n--;
	ASSERT_EQ(parse(&m), DNS_OK);
	/* An RDLENGTH past the end there is still refused. */
	m.b[m.n - 4] = 4;
	ASSERT_EQ(parse(&m), DNS_BAD_RECORD);
}

static void
test_parse_not_response(void)
{
	mk_query(&m);
	ASSERT_EQ(parse(&m), DNS_NOT_RESPONSE);
	ASSERT_EQ(ans.id, 31);
	ASSERT_EQ(ans.nb, 0);
	for (size_t n = 0; n < 12; n++)
		ASSERT_EQ(dns_parse(m.b, n, &ans), DNS_TRUNCATED);
}

/*
 * Every proper prefix of every message that parses is refused: the
 * counts always promise more than the prefix holds.
 */
static void
test_parse_truncations(void)
{
	for (size_t i = 0; i < NSEEDS; i++) {
		size_t len;

		if (seeds[i].want != DNS_OK || seeds[i].make == mk_trailing)
			continue;
		seeds[i].make(&m);
		len = m.n;
		for (size_t n = 0; n < len; n++) {
			enum dns_result r = dns_parse(m.b, n, &ans);

			if (r == DNS_OK)
				CHECK_FAIL("%s cut at %zu of %zu: ok",
				    seeds[i].name, n, len);
			ASSERT(r < DNS_RESULT__COUNT);
			ASSERT_EQ(ans.nb, 0);
		}
	}
}

static void
test_parse_seeds(void)
{
	for (size_t i = 0; i < NSEEDS; i++) {
		enum dns_result r;

		seeds[i].make(&m);
		r = parse(&m);
		if (r != seeds[i].want || ans.nb != seeds[i].nb)
			CHECK_FAIL("seed %s: %s, %zu bindings", seeds[i].name,
			    dns_result_str(r), ans.nb);
	}
}

/* What any input must give: the fuzz target's checks, on random bytes. */
static void
check_answer(enum dns_result r)
{
	ASSERT(r < DNS_RESULT__COUNT);
	ASSERT(ans.nb <= DNS_BINDINGS_PER_ANSWER);
	if (r != DNS_OK) {
		ASSERT_EQ(ans.nb, 0);
		return;
	}
	ASSERT(ans.qname[0] == '\0' || dns_pattern_valid(ans.qname));
	for (size_t i = 0; i < ans.nb; i++) {
		const struct dns_binding *b = &ans.b[i];

		ASSERT(strlen(b->name) > 0 && strlen(b->name) <= 253);
		ASSERT(dns_pattern_valid(b->name));
		ASSERT(b->addr.family == AF_INET || b->addr.family == AF_INET6);
		ASSERT(b->ttl <= 0x7fffffffu);
	}
	if (ans.nb > 0)
		ASSERT_STR_EQ(ans.b[0].name, ans.qname);
}

/* Random bytes flipped in the seeds, random lengths. */
static void
test_parse_random(void)
{
	struct msg c;

	for (int round = 0; round < 20000; round++) {
		const struct seed *s = &seeds[check_below(NSEEDS)];
		int flips = 1 + (int)check_below(4);

		s->make(&m);
		c = m;
		for (int k = 0; k < flips; k++) {
			size_t at = check_below(c.n);

			c.b[at] = check_below(4) == 0 ? (uint8_t)check_rand() :
			    (uint8_t)(c.b[at] ^ (1u << check_below(8)));
		}
		if (check_below(8) == 0)
			c.n = check_below(c.n + 1);
		check_answer(dns_parse(c.b, c.n, &ans));
	}
}

static void
test_parse_result_str(void)
{
	ASSERT_STR_EQ(dns_result_str(DNS_OK), "ok");
	ASSERT_STR_EQ(dns_result_str(DNS_TRUNCATED), "truncated");
	ASSERT_STR_EQ(dns_result_str(DNS_BAD_NAME), "bad name");
	for (int r = 0; r < DNS_RESULT__COUNT; r++)
		ASSERT(strcmp(dns_result_str((enum dns_result)r), "unknown"));
	ASSERT_STR_EQ(dns_result_str(DNS_RESULT__COUNT), "unknown");
}

/* ------------------------------------------------------------------ */
/* Names against patterns. */

static void
test_match_exact(void)
{
	ASSERT(dns_name_matches("example.com", "example.com"));
	ASSERT(dns_name_matches("Example.COM", "example.com"));
	ASSERT(dns_name_matches("example.com", "EXAMPLE.com"));
	ASSERT(dns_name_matches("example.com.", "example.com"));
	ASSERT(dns_name_matches("example.com", "example.com."));
	ASSERT(dns_name_matches("example.com.", "example.com."));
	ASSERT(dns_name_matches("_x-y.example.com", "_X-Y.example.com"));
	ASSERT(dns_name_matches("com", "com"));

	ASSERT(!dns_name_matches("example.com", "www.example.com"));
	ASSERT(!dns_name_matches("www.example.com", "example.com"));
	ASSERT(!dns_name_matches("example.com", "example.co"));
	ASSERT(!dns_name_matches("example.com", "xexample.com"));
	ASSERT(!dns_name_matches("example.com", "example.com.."));
	ASSERT(!dns_name_matches("example.com", ""));
	ASSERT(!dns_name_matches("example.com", "."));
	ASSERT(!dns_name_matches("", ""));
	ASSERT(!dns_name_matches(NULL, "a"));
	ASSERT(!dns_name_matches("a", NULL));
}

static void
test_match_wildcard(void)
{
	ASSERT(dns_name_matches("*.example.com", "www.example.com"));
	ASSERT(dns_name_matches("*.example.com", "a.b.example.com"));
	ASSERT(dns_name_matches("*.Example.com", "WWW.example.COM."));
	ASSERT(dns_name_matches("*.example.com.", "www.example.com"));
	ASSERT(dns_name_matches("*.com", "example.com"));

	/* Not the apex, and only whole labels. */
	ASSERT(!dns_name_matches("*.example.com", "example.com"));
	ASSERT(!dns_name_matches("*.example.com", "example.com."));
	ASSERT(!dns_name_matches("*.com", "com"));
	ASSERT(!dns_name_matches("*.example.com", "wwwexample.com"));
	ASSERT(!dns_name_matches("*.example.com", ".example.com"));
	ASSERT(!dns_name_matches("*.example.com", "a..example.com"));
	ASSERT(!dns_name_matches("*.example.com", "www.example.org"));
	ASSERT(!dns_name_matches("*.example.com", "www.example.com.evil"));
	ASSERT(!dns_name_matches("*.example.com", "a b.example.com"));
	/* The star is not a literal label either. */
	ASSERT(!dns_name_matches("*.example.com", "*.example.com"));
	ASSERT(!dns_name_matches("www.example.com", "*.example.com"));
}

static void
test_match_patterns(void)
{
	char p[300], w[310];

	ASSERT(dns_pattern_valid("example.com"));
	ASSERT(dns_pattern_valid("example.com."));
	ASSERT(dns_pattern_valid("*.example.com"));
	ASSERT(dns_pattern_valid("*.com"));
	ASSERT(dns_pattern_valid("com"));
	ASSERT(dns_pattern_valid("_sip._udp.example.com"));

	ASSERT(!dns_pattern_valid(NULL));
	ASSERT(!dns_pattern_valid(""));
	ASSERT(!dns_pattern_valid("."));
	ASSERT(!dns_pattern_valid("*"));
	ASSERT(!dns_pattern_valid("*."));
	ASSERT(!dns_pattern_valid("*.*.com"));
	ASSERT(!dns_pattern_valid("a.*.com"));
	ASSERT(!dns_pattern_valid("**.x"));
	ASSERT(!dns_pattern_valid("*x.com"));
	ASSERT(!dns_pattern_valid("x*.com"));
	ASSERT(!dns_pattern_valid("a..com"));
	ASSERT(!dns_pattern_valid(".a.com"));
	ASSERT(!dns_pattern_valid("a.com.."));
	ASSERT(!dns_pattern_valid("a com"));
	ASSERT(!dns_pattern_valid("a\\.com"));
	ASSERT(!dns_pattern_valid("caf\xc3\xa9.com"));

	/* Labels of 63 and 64. */
	memset(p, 'a', 63);
	strcpy(p + 63, ".com");
	ASSERT(dns_pattern_valid(p));
	ASSERT(dns_name_matches(p, p));
	memset(p, 'a', 64);
	strcpy(p + 64, ".com");
	ASSERT(!dns_pattern_valid(p));
	ASSERT(!dns_name_matches(p, p));
	/* Names of 253 and 254 (and 253 with its trailing dot). */
	for (int i = 0; i < 4; i++) {
		memset(p + 64 * i, 'a' + i, 63);
		p[64 * i + 63] = '.';
	}
	p[253] = '\0';
	ASSERT_EQ(strlen(p), 253);
	ASSERT(dns_pattern_valid(p));
	p[253] = '.';
	p[254] = '\0';
	ASSERT(dns_pattern_valid(p));
	p[253] = 'e';
	ASSERT(!dns_pattern_valid(p));
	/*
	 * A wildcard over a name of 249 ("*." and 249 in p): names of 251
	 * and 253 match it, 254 is too long.
	 */
	memcpy(p, "*.", 2);
	p[251] = '\0';
	ASSERT(dns_pattern_valid(p));
	ASSERT(!dns_name_matches(p, p));
	snprintf(w, sizeof(w), "x.%s", p + 2);
	ASSERT(dns_name_matches(p, w));
	snprintf(w, sizeof(w), "xyz.%s", p + 2);
	ASSERT_EQ(strlen(w), 253);
	ASSERT(dns_name_matches(p, w));
	snprintf(w, sizeof(w), "wxyz.%s", p + 2);
	ASSERT(!dns_name_matches(p, w));
	snprintf(w, sizeof(w), "x.y.%s", p + 2);
	ASSERT(dns_name_matches(p, w));
}

/* Every name the parser can give is a valid pattern matching itself. */
static void
test_match_parsed(void)
{
	char w[DNS_NAME_MAX + 2];

	for (size_t i = 0; i < NSEEDS; i++) {
		seeds[i].make(&m);
		if (parse(&m) != DNS_OK || ans.qname[0] == '\0')
			continue;
		ASSERT(dns_pattern_valid(ans.qname));
		ASSERT(dns_name_matches(ans.qname, ans.qname));
		snprintf(w, sizeof(w), "*.%s", ans.qname);
		ASSERT(!dns_name_matches(w, ans.qname));
		if (strchr(ans.qname, '.') != NULL) {
			snprintf(w, sizeof(w), "*%s", strchr(ans.qname, '.'));
			ASSERT(dns_name_matches(w, ans.qname));
		}
	}
}

/* ------------------------------------------------------------------ */

/*
 * fuzz_dns also reads its input as text: a pattern, a NUL and a name.
 * These seeds give it patterns and names to start from (as DNS messages
 * they are refused).
 */
static const struct {
	const char *name, *pattern, *dname;
} text_seeds[] = {
	{ "pattern-wildcard", "*.example.com", "www.Example.com." },
	{ "pattern-apex", "*.example.com.", "example.com" },
	{ "pattern-exact", "Example.COM", "example.com." },
	{ "pattern-bad-star", "a.*.com", "a.b.com" },
	{ "pattern-underscore", "*._tcp.svc-1.example",
	    "_http._tcp.svc-1.example" },
};
#define NTEXT (sizeof(text_seeds) / sizeof(text_seeds[0]))

static int
write_seeds(const char *dir)
{
	char path[4096];
	int rc = 0;

	for (size_t i = 0; i < NSEEDS + NTEXT && rc == 0; i++) {
		const char *sname;
		FILE *f;

		if (i < NSEEDS) {
			seeds[i].make(&m);
			sname = seeds[i].name;
		} else {
			const char *pt = text_seeds[i - NSEEDS].pattern;
			const char *dn = text_seeds[i - NSEEDS].dname;

			sname = text_seeds[i - NSEEDS].name;
			m.n = strlen(pt) + 1 + strlen(dn);
			memcpy(m.b, pt, strlen(pt) + 1);
			memcpy(m.b + strlen(pt) + 1, dn, strlen(dn));
		}
		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    sname) >= (int)sizeof(path)) {
			rc = -ENAMETOOLONG;
			fprintf(stderr, "%s: path too long\n", dir);
			break;
		}
		if ((f = fopen(path, "wb")) == NULL) {
			rc = -errno;
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			break;
		}
		if (fwrite(m.b, 1, m.n, f) != m.n)
			rc = -EIO;
		if (fclose(f) != 0 && rc == 0)
			rc = -errno;
		if (rc != 0)
			fprintf(stderr, "%s: write failed\n", path);
	}
	if (rc == 0)
		printf("%zu seeds written to %s\n", NSEEDS + NTEXT, dir);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]) == 0 ? 0 : 1;
	check_seed();
	RUN(test_parse_a);
	RUN(test_parse_case);
	RUN(test_parse_cname_chain);
	RUN(test_parse_cname_middle);
	RUN(test_parse_cname_loop);
	RUN(test_parse_chain_limit);
	RUN(test_parse_no_bindings);
	RUN(test_parse_skipped);
	RUN(test_parse_questions);
	RUN(test_parse_limit);
	RUN(test_parse_duplicates);
	RUN(test_parse_bad_names);
	RUN(test_parse_bad_counts);
	RUN(test_parse_bad_records);
	RUN(test_parse_not_response);
	RUN(test_parse_truncations);
	RUN(test_parse_seeds);
	RUN(test_parse_random);
	RUN(test_parse_result_str);
	RUN(test_match_exact);
	RUN(test_match_wildcard);
	RUN(test_match_patterns);
	RUN(test_match_parsed);
	printf("ok\n");
	return 0;
}
