/*
 * fuzz_nat.c - NAT outgoing (nat/): the packet rewrites of xlate.c and the
 * flow table of ct.c, the two halves that router/inside.c's nat_out() and
 * nat_back() put together.
 *
 * Input: bit 7 of the first byte chooses the half.
 *
 * - Packets (bit 7 clear). Byte 0 holds fix-up flags, bytes 1..12 two
 *   addresses and ports (addr1, port1, addr2, port2; network order), the
 *   rest is one IPv4 packet. Before parsing, the flags may set the total
 *   length to the bytes present (0x01), the quoted IPv4 header checksum of
 *   an ICMP error (0x02), the TCP/UDP/ICMP checksum (0x04) and the header
 *   checksum (0x08), so that mutated packets mostly still parse and verify;
 *   without them the bytes go as they are. The packet is then copied into a
 *   buffer of exactly its total length, so that ASan sees any access past
 *   it. A packet xlate_key_of() accepts gets xlate_src(addr1, port1),
 *   xlate_dst(addr2, port2), then both undone; an ICMP error
 *   xlate_icmp_quote() accepts gets xlate_icmp_error(addr1, port1).
 * - The table (bit 7 set). A header (see struct ct_hdr below) gives the
 *   capacity, the port range, up to three NAT addresses, the start time and
 *   four values each of pod, remote, pod port and remote port; 3-byte
 *   operations follow: ct_out(), ct_in() (on a flow the table made, as is
 *   or one field off, or on any tuple, peeking or not), the clock moving on
 *   with or without ct_expire(), and checks: ct_walk() (at most
 *   MAX_WALKS times, and once at the end: it visits every wheel slot) or
 *   a peek at every flow. Every result is checked against a model of the
 *   flows the table should hold.
 *
 * Besides what ASan and UBSan catch, it aborts when:
 * - xlate_key_of() or xlate_icmp_quote() accepts a packet ct.h/xlate.h
 *   would not, refuses one they would, or reads a key that differs from
 *   the bytes of the packet;
 * - after a rewrite the packet no longer parses, its ip_info or key differ
 *   in more than the rewritten address and port, bytes other than those
 *   and the checksums changed, or a checksum that verified before (IPv4
 *   header; TCP and UDP with the pseudo-header, UDP over its own length;
 *   ICMP) does not verify after, by a naive sum; a UDP checksum of 0 ("none")
 *   is not kept, or another becomes 0; undoing both rewrites does not give
 *   the original bytes back (checksums may differ only as 0 and 0xffff);
 * - after xlate_icmp_error() the packet does not parse, its destination
 *   or the quote's source address and port are not the new ones, the ICMP
 *   checksum does not verify, the quoted IPv4 header checksum verified
 *   before and does not after, or the quoted TCP/UDP/echo checksum did not
 *   change by exactly what its pseudo-header, port or id did;
 * - ct_out() or ct_in() answers otherwise than the model (a known flow
 *   not found, or found with another translation; a new flow refused
 *   while the model has room and a port, or made on a port in use for its
 *   destination, outside the range, or not on the first NAT address with a
 *   free port; a reply found for no flow), a peek changes a flow, or a
 *   flow's state, counters or expiry are not what the call implies;
 * - ct_expire() frees another number of flows than expired in the model;
 * - ct_walk() does not visit exactly stats.flows flows, the flows the
 *   model holds, each once (no two with the same original or reply tuple),
 *   or visits more than it was allowed before stopping; stats.flows
 *   exceeds the capacity, or a counter differs from the model's.
 *
 * Seeds: the pkt-* and ct-* files of corpus/fuzz_nat/ are written by
 * gen_nat_seeds.py (beside this file): TCP, UDP and ICMP echo packets,
 * ICMP errors quoting each, fragments, options, truncated and broken
 * packets, and table runs.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat/ct.h"
#include "nat/xlate.h"
#include "overlay/ip.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SLUICE_FUZZ_VERBOSE=1: one line per input saying what it reached. */
static int verbose = -1;

#define NOTE(...)                                                             \
	do {                                                                  \
		if (verbose)                                                  \
			fprintf(stderr, __VA_ARGS__);                         \
	} while (0)

#define MODE_TABLE 0x80

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
get32n(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint8_t *
dup(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	CHECK(c != NULL);
	memcpy(c, p, n);
	return c;
}

/* ---- checksums, summed naively ------------------------------------------ */

/* The ones'-complement sum of p[0..n) added to s, not folded. */
static uint64_t
naive_add(uint64_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += i % 2 == 0 ? (uint64_t)p[i] << 8 : p[i];
	return s;
}

static uint32_t
naive_fold(uint64_t s)
{
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static bool
verifies(uint64_t s)
{
	return naive_fold(s) == 0xffff;
}

/* What a checksum says of its packet. */
enum sum { SUM_NONE, SUM_OK, SUM_BAD };

/*
 * The L4 checksum of the IPv4 packet p[0..tot): TCP over the rest of the
 * packet, UDP over its own length (a length that does not fit is a
 * packet no host accepts: BAD), ICMP over the rest; a UDP checksum of 0
 * and other protocols are NONE.
 */
static enum sum
l4_sum(const uint8_t *p, size_t tot)
{
	size_t hl = (size_t)(p[0] & 0x0f) * 4, n = tot - hl;
	uint64_t s;

	switch (p[9]) {
	case IPPROTO_TCP:
		if (n < 20)
			return SUM_BAD;
		s = naive_add(IPPROTO_TCP + (uint64_t)n, p + 12, 8);
		s = naive_add(s, p + hl, n);
		break;
	case IPPROTO_UDP:
		if (n < 8)
			return SUM_BAD;
		if (get16(p + hl + 6) == 0)
			return SUM_NONE;
		if (get16(p + hl + 4) < 8 || get16(p + hl + 4) > n)
			return SUM_BAD;
		n = get16(p + hl + 4);
		s = naive_add(IPPROTO_UDP + (uint64_t)n, p + 12, 8);
		s = naive_add(s, p + hl, n);
		break;
	case IPPROTO_ICMP:
		s = naive_add(0, p + hl, n);
		break;
	default:
		return SUM_NONE;
	}
	return verifies(s) ? SUM_OK : SUM_BAD;
}

/* Sets the checksum at p[at] so that the sum s (taken with it 0) verifies. */
static void
set_sum(uint8_t *p, size_t at, uint64_t s, bool udp)
{
	uint32_t c = ~naive_fold(s) & 0xffff;

	put16(p + at, udp && c == 0 ? 0xffff : c);
}

/* ---- packet fix-ups (flags in byte 0) ------------------------------------ */

enum {
	FIX_TOTLEN = 0x01,
	FIX_QUOTE = 0x02,
	FIX_L4 = 0x04,
	FIX_IP = 0x08,
};

static void
fixup(uint8_t *p, size_t n, uint8_t flags)
{
	size_t hl, tot, l4, q, qhl;

	if (n < 20 || p[0] >> 4 != 4)
		return;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < 20 || hl > n)
		return;
	if (flags & FIX_TOTLEN)
		put16(p + 2, n > 0xffff ? 0xffff : (uint32_t)n);
	tot = get16(p + 2);
	/* L4 only in a packet whose length fits and that starts its L4. */
	if (tot < hl || tot > n || (get16(p + 6) & 0x1fff) != 0)
		goto ip;
	l4 = hl;
	if ((flags & FIX_QUOTE) && p[9] == IPPROTO_ICMP &&
	    tot >= l4 + 8 + 20) {
		q = l4 + 8;
		qhl = (size_t)(p[q] & 0x0f) * 4;
		if (qhl >= 20 && q + qhl <= tot) {
			p[q + 10] = p[q + 11] = 0;
			set_sum(p, q + 10, naive_add(0, p + q, qhl), false);
		}
	}
	if (!(flags & FIX_L4))
		goto ip;
	switch (p[9]) {
	case IPPROTO_TCP:
		if (tot - l4 < 20)
			break;
		p[l4 + 16] = p[l4 + 17] = 0;
		set_sum(p, l4 + 16, naive_add(naive_add(IPPROTO_TCP +
		    (uint64_t)(tot - l4), p + 12, 8), p + l4, tot - l4), false);
		break;
	case IPPROTO_UDP:
		if (tot - l4 < 8 || get16(p + l4 + 4) < 8 ||
		    get16(p + l4 + 4) > tot - l4)
			break;
		p[l4 + 6] = p[l4 + 7] = 0;
		set_sum(p, l4 + 6, naive_add(naive_add(IPPROTO_UDP +
		    (uint64_t)get16(p + l4 + 4), p + 12, 8), p + l4,
		    get16(p + l4 + 4)), true);
		break;
	case IPPROTO_ICMP:
		if (tot - l4 < 4)
			break;
		p[l4 + 2] = p[l4 + 3] = 0;
		set_sum(p, l4 + 2, naive_add(0, p + l4, tot - l4), false);
		break;
	}
ip:
	if (flags & FIX_IP) {
		p[10] = p[11] = 0;
		set_sum(p, 10, naive_add(0, p, hl), false);
	}
}

/* ---- packets ------------------------------------------------------------- */

/*
 * ip_info *a equals *b but for the IPv4 addresses and ports, which are
 * those of key w (for ICMP echo, the id in sport).
 */
static void
check_info(const struct ip_info *a, const struct ip_info *b,
    const struct xlate_key *w)
{
	CHECK(a->version == b->version && a->proto == b->proto);
	CHECK(a->ttl == b->ttl && a->l4_off == b->l4_off);
	CHECK(a->tot_len == b->tot_len && a->df == b->df);
	CHECK(a->fragment == b->fragment);
	CHECK(a->first_fragment == b->first_fragment);
	CHECK(a->has_ports == b->has_ports);
	CHECK(a->is_icmp_error == b->is_icmp_error);
	CHECK(a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code);
	CHECK(a->src.u.v4.s_addr == w->src && a->dst.u.v4.s_addr == w->dst);
	CHECK(a->sport == w->sport && a->dport == w->dport);
}

static bool
same_key(const struct xlate_key *a, const struct xlate_key *b)
{
	return a->proto == b->proto && a->src == b->src && a->dst == b->dst &&
	    a->sport == b->sport && a->dport == b->dport &&
	    a->tcp_flags == b->tcp_flags && a->echo_reply == b->echo_reply;
}

/*
 * xlate.h's contract for xlate_key_of(), read from the bytes: IPv4, no
 * fragment, TCP or UDP (ports), or ICMP echo request or reply (id).
 */
static bool
want_key(const uint8_t *p, const struct ip_info *ii, struct xlate_key *k)
{
	const uint8_t *l4 = p + ii->l4_off;

	memset(k, 0, sizeof(*k));
	if (ii->version != 4 || ii->fragment)
		return false;
	k->proto = p[9];
	k->src = get32n(p + 12);
	k->dst = get32n(p + 16);
	switch (p[9]) {
	case IPPROTO_TCP:
		k->tcp_flags = l4[13] & 0x3f;
		/* fall through */
	case IPPROTO_UDP:
		k->sport = get16(l4);
		k->dport = get16(l4 + 2);
		return true;
	case IPPROTO_ICMP:
		if (l4[0] != 0 && l4[0] != 8)
			return false;
		k->sport = get16(l4 + 4);
		k->echo_reply = l4[0] == 0;
		return true;
	default:
		return false;
	}
}

/* Two checksums the same in ones' complement (0 and 0xffff are). */
static bool
same_sum(uint16_t a, uint16_t b)
{
	return a % 0xffff == b % 0xffff;
}

/*
 * Fields a rewrite may change: 2-byte fields at off[], n of them; plus
 * the address at addr (4 bytes). Everything else in a and b must match.
 */
static void
check_only(const uint8_t *a, const uint8_t *b, size_t len, size_t addr,
    const size_t *off, size_t n)
{
	for (size_t i = 0; i < len; i++) {
		bool may = i >= addr && i < addr + 4;

		for (size_t j = 0; j < n && !may; j++)
			may = i >= off[j] && i < off[j] + 2;
		if (!may && a[i] != b[i]) {
			fprintf(stderr, "byte %zu changed: %02x -> %02x\n", i,
			    a[i], b[i]);
			CHECK(a[i] == b[i]);
		}
	}
}

/* The offset of the L4 checksum of a translatable packet. */
static size_t
l4_csum_off(const struct ip_info *ii)
{
	return ii->l4_off + (ii->proto == IPPROTO_TCP ? 16 :
	    ii->proto == IPPROTO_UDP ? 6 : 2);
}

/*
 * One rewrite (dst false: xlate_src, else xlate_dst) of the packet p of
 * tot bytes, parsed as *ii with key *k; checks it, and updates *ii, *k.
 */
static void
rewrite(uint8_t *p, size_t tot, struct ip_info *ii, struct xlate_key *k,
    bool dst, uint32_t addr, uint16_t port)
{
	uint8_t *before = dup(p, tot);
	struct xlate_key w = *k, got;
	struct ip_info ji;
	enum sum s0 = l4_sum(p, tot), s1;
	size_t off[3], portf;

	if (dst) {
		xlate_dst(p, ii, addr, port);
		w.dst = addr;
	} else {
		xlate_src(p, ii, addr, port);
		w.src = addr;
	}
	if (k->proto == IPPROTO_ICMP) {
		w.sport = port;
		portf = ii->l4_off + 4;
	} else if (dst) {
		w.dport = port;
		portf = ii->l4_off + 2;
	} else {
		w.sport = port;
		portf = ii->l4_off;
	}

	/* It still parses (the header checksum with it), as the same packet. */
	CHECK(ip_parse(p, tot, &ji) == IP_OK);
	check_info(&ji, ii, &w);
	CHECK(xlate_key_of(p, &ji, &got));
	CHECK(same_key(&got, &w));

	s1 = l4_sum(p, tot);
	CHECK(s0 != SUM_OK || s1 == SUM_OK);
	if (k->proto == IPPROTO_UDP) {
		/* "No checksum" stays so; a checksum never becomes 0. */
		CHECK((get16(before + l4_csum_off(ii)) == 0) ==
		    (get16(p + l4_csum_off(ii)) == 0));
	}

	off[0] = 10;
	off[1] = portf;
	off[2] = l4_csum_off(ii);
	check_only(before, p, tot, dst ? 16 : 12, off, 3);

	*ii = ji;
	*k = w;
	free(before);
}

static void
fuzz_rewrites(uint8_t *p, size_t tot, const struct ip_info *pi,
    const struct xlate_key *pk, uint32_t a1, uint16_t p1, uint32_t a2,
    uint16_t p2)
{
	uint8_t *orig = dup(p, tot);
	struct ip_info ii = *pi;
	struct xlate_key k = *pk;
	uint16_t back = pk->proto == IPPROTO_ICMP ? pk->sport : pk->dport;
	size_t c = l4_csum_off(pi);

	rewrite(p, tot, &ii, &k, false, a1, p1);
	rewrite(p, tot, &ii, &k, true, a2, p2);
	/* Undone, it is the original again. */
	rewrite(p, tot, &ii, &k, true, pk->dst, back);
	rewrite(p, tot, &ii, &k, false, pk->src, pk->sport);
	CHECK(same_key(&k, pk));
	CHECK(same_sum(get16(p + 10), get16(orig + 10)));
	CHECK(same_sum(get16(p + c), get16(orig + c)));
	memcpy(p + 10, orig + 10, 2);
	memcpy(p + c, orig + c, 2);
	CHECK(memcmp(p, orig, tot) == 0);
	free(orig);
}

/* Where xlate_icmp_quote() finds the quoted packet. */
struct quote {
	size_t q, qhl, l4;	/* quoted IPv4 header, its length, its L4 */
	struct xlate_key k;
};

/*
 * xlate.h's contract for xlate_icmp_quote(), read from the bytes: an
 * unfragmented IPv4 destination unreachable, time exceeded or parameter
 * problem, quoting a whole IPv4 header (not of a later fragment) and 8
 * bytes of TCP, UDP or ICMP echo request.
 */
static bool
want_quote(const uint8_t *p, const struct ip_info *ii, struct quote *qo)
{
	size_t hl = ii->l4_off, tot = ii->tot_len;
	const uint8_t *l4;

	memset(qo, 0, sizeof(*qo));
	if (ii->version != 4 || ii->fragment || p[9] != IPPROTO_ICMP)
		return false;
	if (p[hl] != 3 && p[hl] != 11 && p[hl] != 12)
		return false;
	qo->q = hl + 8;
	if (qo->q + 20 > tot || p[qo->q] >> 4 != 4)
		return false;
	qo->qhl = (size_t)(p[qo->q] & 0x0f) * 4;
	if (qo->qhl < 20 || qo->q + qo->qhl + 8 > tot)
		return false;
	if ((get16(p + qo->q + 6) & 0x1fff) != 0)
		return false;
	qo->l4 = qo->q + qo->qhl;
	l4 = p + qo->l4;
	qo->k.proto = p[qo->q + 9];
	qo->k.src = get32n(p + qo->q + 12);
	qo->k.dst = get32n(p + qo->q + 16);
	switch (qo->k.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		qo->k.sport = get16(l4);
		qo->k.dport = get16(l4 + 2);
		return true;
	case IPPROTO_ICMP:
		qo->k.sport = get16(l4 + 4);
		return l4[0] == 8;
	default:
		return false;
	}
}

/*
 * The sum a quoted checksum protects of what xlate_icmp_error() changes
 * (the source address in the pseudo-header and the port, or the echo id),
 * the checksum included: unchanged by an exact update. 0 if the quote
 * holds no checksum to update.
 */
static uint32_t
quote_inv(const uint8_t *p, size_t tot, const struct quote *qo,
    size_t *csum)
{
	uint64_t s;

	switch (qo->k.proto) {
	case IPPROTO_TCP:
		if (qo->l4 + 18 > tot)
			return 0;
		*csum = qo->l4 + 16;
		s = naive_add(0, p + qo->q + 12, 4);
		s = naive_add(s, p + qo->l4, 2);
		break;
	case IPPROTO_UDP:
		*csum = qo->l4 + 6;
		if (get16(p + *csum) == 0)
			return 0;
		s = naive_add(0, p + qo->q + 12, 4);
		s = naive_add(s, p + qo->l4, 2);
		break;
	default:
		*csum = qo->l4 + 2;
		s = naive_add(0, p + qo->l4 + 4, 2);
		break;
	}
	s = naive_add(s, p + *csum, 2);
	/* Mod 0xffff: 0 and 0xffff are one value. */
	return naive_fold(s) % 0xffff + 1;
}

static void
fuzz_icmp_error(uint8_t *p, size_t tot, const struct ip_info *ii,
    const struct quote *qo, uint32_t addr, uint16_t port)
{
	uint8_t *before = dup(p, tot);
	size_t hl = ii->l4_off, q = qo->q, csum = 0, off[7], n = 0;
	bool qip_ok = verifies(naive_add(0, p + q, qo->qhl));
	uint32_t inv = quote_inv(p, tot, qo, &csum);
	struct ip_info ji;
	struct xlate_key got, w = qo->k;
	struct quote qo2;

	xlate_icmp_error(p, ii, addr, port);

	CHECK(ip_parse(p, tot, &ji) == IP_OK);
	CHECK(ji.dst.u.v4.s_addr == addr);
	{
		struct xlate_key wi = { .src = ii->src.u.v4.s_addr,
			.dst = addr, .sport = ii->sport, .dport = ii->dport };

		check_info(&ji, ii, &wi);
	}
	w.src = addr;
	w.sport = port;
	CHECK(xlate_icmp_quote(p, &ji, &got));
	CHECK(same_key(&got, &w));
	CHECK(want_quote(p, &ji, &qo2) && same_key(&qo2.k, &w));

	/* The ICMP checksum always verifies; the quoted ones as before. */
	CHECK(verifies(naive_add(0, p + hl, tot - hl)));
	CHECK(!qip_ok || verifies(naive_add(0, p + q, qo->qhl)));
	if (inv != 0)
		CHECK(quote_inv(p, tot, qo, &csum) == inv);
	if (qo->k.proto == IPPROTO_UDP)
		CHECK((get16(before + qo->l4 + 6) == 0) ==
		    (get16(p + qo->l4 + 6) == 0));

	off[n++] = 10;			/* outer header checksum */
	off[n++] = 16;			/* outer destination */
	off[n++] = 18;
	off[n++] = hl + 2;		/* ICMP checksum */
	off[n++] = q + 10;		/* quoted header checksum */
	off[n++] = qo->k.proto == IPPROTO_ICMP ? qo->l4 + 4 : qo->l4;
	if (csum != 0)
		off[n++] = csum;
	check_only(before, p, tot, q + 12, off, n);
	free(before);
}

static void
fuzz_packet(const uint8_t *data, size_t size)
{
	uint8_t flags = 0, *buf, *p;
	uint32_t a1 = htonl(0xc0000201), a2 = htonl(0x0af40105);
	uint16_t p1 = 61000, p2 = 40000;
	struct ip_info ii, ii2;
	struct xlate_key k;
	struct quote qo;
	size_t tot;
	bool key, quote;

	if (size >= 13) {
		flags = data[0];
		a1 = get32n(data + 1);
		p1 = get16(data + 5);
		a2 = get32n(data + 7);
		p2 = get16(data + 11);
		data += 13;
		size -= 13;
	}
	buf = dup(data, size);
	fixup(buf, size, flags);
	if (ip_parse(buf, size, &ii) != IP_OK) {
		NOTE("packet: does not parse\n");
		free(buf);
		return;
	}
	/* From here on, exactly the packet: ASan watches its end. */
	tot = ii.tot_len;
	p = dup(buf, tot);
	free(buf);
	CHECK(ip_parse(p, tot, &ii2) == IP_OK);
	CHECK(ii2.tot_len == tot && ii2.l4_off == ii.l4_off);

	key = xlate_key_of(p, &ii, &k);
	{
		struct xlate_key wk;

		CHECK(key == want_key(p, &ii, &wk));
		CHECK(!key || same_key(&k, &wk));
	}
	quote = xlate_icmp_quote(p, &ii, &qo.k);
	{
		struct quote wq;

		CHECK(quote == want_quote(p, &ii, &wq));
		CHECK(!quote || same_key(&qo.k, &wq.k));
		qo = wq;
	}
	CHECK(!(key && quote));
	NOTE("packet: IPv%u proto %u, %zu bytes: %s, L4 checksum %s",
	    ii.version, ii.proto, tot, key ? "translatable" : quote ?
	    "ICMP error with a quote" : "left alone", ii.version != 4 ? "-" :
	    (const char *[]){ "none", "ok", "bad" }[l4_sum(p, tot)]);
	NOTE(quote ? ", quoted header checksum %s\n" : "\n",
	    quote && verifies(naive_add(0, p + qo.q, qo.qhl)) ? "ok" : "bad");
	if (key)
		fuzz_rewrites(p, tot, &ii, &k, a1, p1, a2, p2);
	else if (quote)
		fuzz_icmp_error(p, tot, &ii, &qo, a1, p1);
	free(p);
}

/* ---- the flow table ------------------------------------------------------ */

/* The table half's input header. */
struct ct_hdr {
	uint8_t mode;		/* MODE_TABLE | number of NAT addresses - 1 */
	uint8_t lo[2];		/* port range: lo, network order */
	uint8_t size;		/* ... and size - 1 (cut at 65535) */
	uint8_t capacity;	/* ct_new()'s (below 64 means 64) */
	uint8_t now[4];		/* start time, network order (30 bits) */
	uint8_t nat[3][4];
	uint8_t pod[4][4];
	uint8_t remote[4][4];
	uint8_t pport[4][2];	/* network order */
	uint8_t rport[4][2];
};

#define MAX_FLOWS 256
/* ct_walk() calls per input besides the last (see fuzz_table()). */
#define MAX_WALKS 2

/* The model: the flows the table must hold, as it last showed them. */
struct model {
	struct ct_table *t;
	uint32_t cap, now;
	uint16_t lo, hi;
	uint32_t nat[3];
	size_t nnat;
	uint32_t pod[4], remote[4];
	uint16_t pport[4], rport[4];
	struct ct_flow f[MAX_FLOWS];
	size_t n;
	struct ct_stats st;	/* what the counters must say */
};

static uint32_t
timeout_of(uint8_t state)
{
	switch (state) {
	case CT_TCP_SYN_SENT:
		return CT_TO_SYN_SENT;
	case CT_TCP_SYN_RECV:
		return CT_TO_SYN_RECV;
	case CT_TCP_ESTABLISHED:
		return CT_TO_ESTABLISHED;
	case CT_TCP_FIN_WAIT:
		return CT_TO_FIN_WAIT;
	case CT_TCP_CLOSE_WAIT:
		return CT_TO_CLOSE_WAIT;
	case CT_TCP_TIME_WAIT:
		return CT_TO_TIME_WAIT;
	case CT_TCP_CLOSE:
		return CT_TO_CLOSE;
	case CT_UDP_UNREPLIED:
		return CT_TO_UDP_UNREPLIED;
	case CT_UDP_ASSURED:
		return CT_TO_UDP_ASSURED;
	case CT_ICMP:
		return CT_TO_ICMP;
	default:
		CHECK(!"a flow in no state");
		return 0;
	}
}

/* Flags no TCP stack sends (ct.h's CT_BAD_FLAGS), as ct.c decides it. */
static bool
bad_flags(uint8_t f)
{
	return f == 0 || ((f & TCP_SYN) && (f & (TCP_FIN | TCP_RST))) ||
	    ((f & TCP_FIN) && !(f & TCP_ACK));
}

/* TCP flags from one byte: a common combination, or any. */
static uint8_t
flags_of(uint8_t c)
{
	static const uint8_t common[8] = { TCP_SYN, TCP_SYN | TCP_ACK,
		TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK,
		TCP_PSH | TCP_ACK, TCP_FIN | TCP_PSH | TCP_ACK };

	return c & 0x80 ? common[c & 7] : c & 0x3f;
}

static bool
same_flow(const struct ct_flow *a, const struct ct_flow *b)
{
	return a->proto == b->proto && a->state == b->state &&
	    a->pod == b->pod && a->remote == b->remote && a->nat == b->nat &&
	    a->pport == b->pport && a->rport == b->rport &&
	    a->nport == b->nport && a->created == b->created &&
	    a->expires == b->expires && a->pkts_out == b->pkts_out &&
	    a->pkts_in == b->pkts_in;
}

static int
find_orig(const struct model *m, uint8_t proto, uint32_t pod, uint16_t pport,
    uint32_t remote, uint16_t rport)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ct_flow *f = &m->f[i];

		if (f->proto == proto && f->pod == pod && f->pport == pport &&
		    f->remote == remote && f->rport == rport)
			return (int)i;
	}
	return -1;
}

static int
find_reply(const struct model *m, uint8_t proto, uint32_t remote,
    uint16_t rport, uint32_t nat, uint16_t nport)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ct_flow *f = &m->f[i];

		if (f->proto == proto && f->remote == remote &&
		    f->rport == rport && f->nat == nat && f->nport == nport)
			return (int)i;
	}
	return -1;
}

/* Flows of (proto, remote, rport) on NAT address nat. */
static uint32_t
dest_count(const struct model *m, uint8_t proto, uint32_t remote,
    uint16_t rport, uint32_t nat)
{
	uint32_t c = 0;

	for (size_t i = 0; i < m->n; i++)
		c += m->f[i].proto == proto && m->f[i].remote == remote &&
		    m->f[i].rport == rport && m->f[i].nat == nat;
	return c;
}

static void
check_stats(const struct model *m)
{
	struct ct_stats st;

	ct_stats_get(m->t, &st);
	CHECK(st.flows <= m->cap);
	CHECK(st.flows == m->n);
	CHECK(st.created == m->st.created);
	CHECK(st.expired == m->st.expired);
	CHECK(st.dropped_full == m->st.dropped_full);
	CHECK(st.dropped_no_port == m->st.dropped_no_port);
}

struct walk {
	struct ct_flow f[MAX_FLOWS];
	size_t n, stop;
};

static bool
walk_fn(void *arg, const struct ct_flow *f)
{
	struct walk *w = arg;

	CHECK(w->n < MAX_FLOWS);
	w->f[w->n++] = *f;
	return w->n != w->stop;
}

/* The table's flows are the model's, each once. */
static void
check_walk(struct model *m, size_t stop)
{
	static struct walk w;

	check_stats(m);
	w.n = 0;
	w.stop = 0;
	ct_walk(m->t, walk_fn, &w);
	CHECK(w.n == m->n);
	for (size_t i = 0; i < w.n; i++) {
		const struct ct_flow *f = &w.f[i];
		int j = find_orig(m, f->proto, f->pod, f->pport, f->remote,
		    f->rport);

		CHECK(j >= 0 && same_flow(f, &m->f[j]));
		CHECK(f->nport >= m->lo && f->nport <= m->hi);
		for (size_t k = i + 1; k < w.n; k++) {
			const struct ct_flow *g = &w.f[k];

			/* Neither the original nor the reply tuple twice. */
			CHECK(!(g->proto == f->proto && g->pod == f->pod &&
			    g->pport == f->pport && g->remote == f->remote &&
			    g->rport == f->rport));
			CHECK(!(g->proto == f->proto &&
			    g->remote == f->remote && g->rport == f->rport &&
			    g->nat == f->nat && g->nport == f->nport));
		}
	}
	/* Stopping early stops at once. */
	if (stop > 0) {
		w.n = 0;
		w.stop = stop;
		ct_walk(m->t, walk_fn, &w);
		CHECK(w.n == (stop < m->n ? stop : m->n));
	}
}

/*
 * The model's flows are the table's, found by their reply tuples (peeking
 * changes nothing): with stats.flows equal to the model's count, the same
 * as a walk says, and cheaper than ct_walk() over every wheel slot.
 */
static void
check_lookup(struct model *m)
{
	check_stats(m);
	for (size_t i = 0; i < m->n; i++) {
		const struct ct_flow *x = &m->f[i];
		struct ct_flow f;

		CHECK(ct_in(m->t, x->proto, x->remote, x->rport, x->nat,
		    x->nport, 0, true, m->now, &f) == CT_OK);
		CHECK(same_flow(&f, x));
	}
}

static void
op_out(struct model *m, uint8_t a, uint8_t b, uint8_t c)
{
	static const uint8_t protos[4] = { IPPROTO_TCP, IPPROTO_UDP,
		IPPROTO_ICMP, IPPROTO_UDP };
	uint8_t proto = protos[(a >> 2) & 3];
	uint32_t pod = m->pod[b & 3], remote = m->remote[(b >> 4) & 3];
	uint16_t pport = m->pport[(b >> 2) & 3];
	uint16_t rport = proto == IPPROTO_ICMP ? 0 : m->rport[b >> 6];
	uint8_t fl = proto == IPPROTO_TCP ? flags_of(c) : 0;
	int i = find_orig(m, proto, pod, pport, remote, rport);
	struct ct_flow f, *x;
	enum ct_result r;
	size_t a_free;

	memset(&f, 0, sizeof(f));
	r = ct_out(m->t, proto, pod, pport, remote, rport, fl, m->nat,
	    m->nnat, m->now, &f);
	if (proto == IPPROTO_TCP && bad_flags(fl)) {
		CHECK(r == CT_BAD_FLAGS);
		return;
	}
	if (i >= 0) {
		/* A known flow: the same translation, one more packet. */
		x = &m->f[i];
		CHECK(r == CT_OK);
		CHECK(f.proto == proto && f.pod == pod && f.pport == pport &&
		    f.remote == remote && f.rport == rport);
		CHECK(f.nat == x->nat && f.nport == x->nport);
		CHECK(f.created == x->created);
		CHECK(f.pkts_out == x->pkts_out + 1 &&
		    f.pkts_in == x->pkts_in);
		if (proto == IPPROTO_TCP && (fl & TCP_RST))
			CHECK(f.state == CT_TCP_CLOSE);
		else if (proto == IPPROTO_TCP && (fl & TCP_SYN) &&
		    !(fl & TCP_ACK) && (x->state == CT_TCP_TIME_WAIT ||
		    x->state == CT_TCP_CLOSE))
			CHECK(f.state == CT_TCP_SYN_SENT);
		else if (proto == IPPROTO_TCP)
			CHECK(f.state >= CT_TCP_SYN_SENT &&
			    f.state <= CT_TCP_CLOSE);
		else
			CHECK(f.state == x->state);
		CHECK(f.expires == m->now + timeout_of(f.state));
		*x = f;
		return;
	}
	if (proto == IPPROTO_TCP && (!(fl & TCP_SYN) || (fl & TCP_ACK))) {
		CHECK(r == CT_NEW_NOT_SYN);
		return;
	}
	/* A new flow: on the first address with a port free, if any. */
	for (a_free = 0; a_free < m->nnat; a_free++)
		if (dest_count(m, proto, remote, rport, m->nat[a_free]) <
		    (uint32_t)(m->hi - m->lo) + 1)
			break;
	if (a_free == m->nnat || m->n == m->cap) {
		/* With both reasons, either answer will do. */
		CHECK(r == CT_NO_PORT || r == CT_FULL);
		CHECK(r == CT_NO_PORT || m->n == m->cap);
		CHECK(r == CT_FULL || a_free == m->nnat);
		if (r == CT_FULL)
			m->st.dropped_full++;
		else
			m->st.dropped_no_port++;
		return;
	}
	if (r != CT_OK)
		fprintf(stderr, "ct_out: %d for a new flow with %zu of %u "
		    "flows, %u of %u ports used on address %zu\n", r, m->n,
		    m->cap, dest_count(m, proto, remote, rport,
		    m->nat[a_free]), m->hi - m->lo + 1, a_free);
	CHECK(r == CT_OK);
	CHECK(f.proto == proto && f.pod == pod && f.pport == pport &&
	    f.remote == remote && f.rport == rport);
	CHECK(f.nat == m->nat[a_free]);
	CHECK(f.nport >= m->lo && f.nport <= m->hi);
	CHECK(find_reply(m, proto, remote, rport, f.nat, f.nport) < 0);
	CHECK(f.state == (proto == IPPROTO_TCP ? CT_TCP_SYN_SENT :
	    proto == IPPROTO_UDP ? CT_UDP_UNREPLIED : CT_ICMP));
	CHECK(f.created == m->now && f.expires == m->now +
	    timeout_of(f.state));
	CHECK(f.pkts_out == 1 && f.pkts_in == 0);
	CHECK(m->n < m->cap && m->n < MAX_FLOWS);
	m->f[m->n++] = f;
	m->st.created++;
}

static void
op_in(struct model *m, uint8_t a, uint8_t b, uint8_t c)
{
	static const uint8_t protos[4] = { IPPROTO_TCP, IPPROTO_UDP,
		IPPROTO_ICMP, IPPROTO_TCP };
	bool peek = (a >> 5) & 1;
	uint8_t proto, fl;
	uint32_t remote, nat;
	uint16_t rport, nport;
	struct ct_flow f, *x;
	enum ct_result r;
	int i;

	if ((a & 0x04) && m->n > 0) {
		/* A reply to a flow the table made, or one field off. */
		x = &m->f[b % m->n];
		proto = x->proto;
		remote = x->remote;
		rport = x->rport;
		nat = x->nat;
		nport = x->nport;
		switch ((a >> 3) & 3) {
		case 1:
			nport++;
			break;
		case 2:
			rport ^= 1;
			break;
		case 3:
			nat = m->nat[(b >> 4) % m->nnat];
			break;
		}
	} else {
		proto = protos[a >> 6];
		remote = m->remote[b & 3];
		rport = proto == IPPROTO_ICMP ? 0 : m->rport[(b >> 2) & 3];
		nat = m->nat[((b >> 4) & 3) % m->nnat];
		nport = (uint16_t)(m->lo + (b >> 6) % (m->hi - m->lo + 1));
	}
	fl = proto == IPPROTO_TCP ? flags_of(c) : 0;
	i = find_reply(m, proto, remote, rport, nat, nport);

	memset(&f, 0, sizeof(f));
	r = ct_in(m->t, proto, remote, rport, nat, nport, fl, peek, m->now,
	    &f);
	if (!peek && proto == IPPROTO_TCP && bad_flags(fl)) {
		CHECK(r == CT_BAD_FLAGS);
		return;
	}
	if (i < 0) {
		CHECK(r == CT_NO_FLOW);
		return;
	}
	x = &m->f[i];
	CHECK(r == CT_OK);
	/* The pod and port of the flow whose reply this is. */
	CHECK(f.pod == x->pod && f.pport == x->pport);
	CHECK(f.proto == proto && f.remote == remote && f.rport == rport &&
	    f.nat == nat && f.nport == nport);
	if (peek) {
		CHECK(same_flow(&f, x));
		return;
	}
	CHECK(f.created == x->created);
	CHECK(f.pkts_out == x->pkts_out && f.pkts_in == x->pkts_in + 1);
	if (proto == IPPROTO_UDP)
		CHECK(f.state == CT_UDP_ASSURED);
	else if (proto == IPPROTO_ICMP)
		CHECK(f.state == CT_ICMP);
	else if (fl & TCP_RST)
		CHECK(f.state == CT_TCP_CLOSE);
	else
		CHECK(f.state >= CT_TCP_SYN_SENT && f.state <= CT_TCP_CLOSE);
	CHECK(f.expires == m->now + timeout_of(f.state));
	*x = f;
}

static void
op_time(struct model *m, uint8_t a, uint8_t b)
{
	/* Steps around the timeouts, and some longer. */
	static const uint32_t step[32] = { 0, 1, 2, 3, 5, 9, 10, 11, 15, 29,
		30, 31, 59, 60, 61, 100, 119, 120, 121, 179, 180, 181, 500,
		1023, 1024, 1025, 2000, 5000, 7199, 7200, 7201, 20000 };
	uint32_t freed, gone = 0;
	size_t i = 0;

	m->now += step[b & 31];
	if (!(a & 0x04))
		return;		/* time passes, nothing expires yet */
	freed = ct_expire(m->t, m->now);
	while (i < m->n) {
		if (m->f[i].expires <= m->now) {
			m->f[i] = m->f[--m->n];
			gone++;
		} else {
			i++;
		}
	}
	CHECK(freed == gone);
	m->st.expired += gone;
	check_lookup(m);
}

static void
fuzz_table(const uint8_t *data, size_t size)
{
	static struct model m;
	struct ct_hdr h;
	uint32_t size_ports;
	int walks = 0;

	memset(&h, 0, sizeof(h));
	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	data += size < sizeof(h) ? size : sizeof(h);
	size -= size < sizeof(h) ? size : sizeof(h);

	memset(&m, 0, sizeof(m));
	m.lo = get16(h.lo);
	size_ports = (uint32_t)h.size + 1;
	m.hi = (uint16_t)(m.lo + size_ports - 1 > 0xffff ? 0xffff :
	    m.lo + size_ports - 1);
	m.cap = h.capacity < 64 ? 64 : h.capacity;
	m.now = (uint32_t)(h.now[0] & 0x3f) << 24 | (uint32_t)h.now[1] << 16 |
	    (uint32_t)h.now[2] << 8 | h.now[3];
	m.nnat = 1 + (h.mode & 3) % 3;
	for (int i = 0; i < 3; i++)
		m.nat[i] = get32n(h.nat[i]);
	for (int i = 0; i < 4; i++) {
		m.pod[i] = get32n(h.pod[i]);
		m.remote[i] = get32n(h.remote[i]);
		m.pport[i] = get16(h.pport[i]);
		m.rport[i] = get16(h.rport[i]);
	}

	CHECK(ct_new(64, 2, 1) == NULL);
	CHECK((m.t = ct_new(h.capacity, m.lo, m.hi)) != NULL);
	CHECK(ct_capacity(m.t) == m.cap);

	for (; size >= 3; data += 3, size -= 3) {
		uint8_t a = data[0], b = data[1], c = data[2];

		switch (a & 3) {
		case 0:
			op_out(&m, a, b, c);
			break;
		case 1:
			op_in(&m, a, b, c);
			break;
		case 2:
			op_time(&m, a, b);
			break;
		case 3:
			/* A walk costs a visit of every wheel slot: a few. */
			if ((a & 0x1c) == 0 && walks < MAX_WALKS) {
				check_walk(&m, 1 + c % 80);
				walks++;
			} else {
				check_lookup(&m);
			}
			break;
		}
		check_stats(&m);
	}
	check_walk(&m, 0);
	NOTE("table: %" PRIu64 " flows made, %" PRIu64 " expired, %" PRIu64
	    " refused (full), %" PRIu64 " refused (no port), %zu left\n",
	    m.st.created, m.st.expired, m.st.dropped_full,
	    m.st.dropped_no_port, m.n);
	for (size_t i = 0; i < m.n; i++)
		CHECK(ct_state_name(m.f[i].state) != NULL);
	ct_free(m.t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (verbose < 0)
		verbose = getenv("SLUICE_FUZZ_VERBOSE") != NULL;
	if (size > 0 && (data[0] & MODE_TABLE))
		fuzz_table(data, size);
	else
		fuzz_packet(data, size);
	return 0;
}
