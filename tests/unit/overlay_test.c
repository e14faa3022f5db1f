/*
 * overlay_test.c - inner IP parsing (ip.h), VXLAN encapsulation and
 * decapsulation (vxlan.h), the Internet checksum and ICMP errors (icmp.h).
 *
 * Packets are built by hand here, field by field, so that the code under
 * test is checked against bytes written independently of it. The checksum
 * is checked against a naive word sum on random buffers, and every ICMP
 * error built is verified with that naive sum, not with the code that made
 * it.
 *
 * `overlay_test --write-seeds DIR` writes the seed corpus of the fuzz
 * target fuzz_vxlan into DIR (tests/fuzz/corpus/fuzz_vxlan), from the same
 * table of frames that test_seeds checks: each seed keeps the verdict it
 * was written for.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "overlay/icmp.h"
#include "overlay/ip.h"
#include "overlay/pkt.h"
#include "overlay/vxlan.h"
#include "tests/unit/check.h"

#define BUF_MAX 2048

static struct pkt_pool *pool;

static const uint8_t mac_local[6] = { 0x02, 0x51, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_peer[6] = { 0x02, 0x51, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_other[6] = { 0x02, 0x51, 0x00, 0x00, 0x00, 0x03 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

#define VNI 0x123456

/* ------------------------------------------------------------------ */
/* Packet builders, written from the RFCs rather than from the code. */

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static struct sluice_addr
addr(const char *s)
{
	struct sluice_addr a;

	ASSERT_OK(sluice_addr_parse(s, &a));
	return a;
}

/* The reference checksum: 16-bit big-endian words, summed, folded once. */
static uint32_t
naive_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += i % 2 == 0 ? (uint64_t)p[i] << 8 : p[i];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static void
v4_set_csum(uint8_t *b)
{
	size_t hlen = (size_t)(b[0] & 0x0f) * 4;

	put16(b + 10, 0);
	put16(b + 10, ~naive_sum(b, hlen) & 0xffff);
}

/* IPv4, no options, the L4 bytes given; frag is the flags/offset field. */
static size_t
mk_v4(uint8_t *b, uint8_t proto, const char *src, const char *dst,
    unsigned frag, const uint8_t *l4, size_t l4len)
{
	struct sluice_addr s = addr(src), d = addr(dst);

	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (unsigned)(20 + l4len));
	put16(b + 4, 0x1234);
	put16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &s.u.v4, 4);
	memcpy(b + 16, &d.u.v4, 4);
	memcpy(b + 20, l4, l4len);
	v4_set_csum(b);
	return 20 + l4len;
}

/* IPv6 with payload (extension headers and L4) as given. */
static size_t
mk_v6(uint8_t *b, uint8_t next, const char *src, const char *dst,
    const uint8_t *payload, size_t plen)
{
	struct sluice_addr s = addr(src), d = addr(dst);

	memset(b, 0, 40);
	b[0] = 0x60;
	b[1] = 0x0a;		/* a flow label, to be carried untouched */
	put16(b + 4, (unsigned)plen);
	b[6] = next;
	b[7] = 63;
	memcpy(b + 8, &s.u.v6, 16);
	memcpy(b + 24, &d.u.v6, 16);
	memcpy(b + 40, payload, plen);
	return 40 + plen;
}

static size_t
mk_udp(uint8_t *b, unsigned sport, unsigned dport, size_t datalen)
{
	put16(b, sport);
	put16(b + 2, dport);
	put16(b + 4, (unsigned)(8 + datalen));
	put16(b + 6, 0);
	for (size_t i = 0; i < datalen; i++)
		b[8 + i] = (uint8_t)('a' + i % 26);
	return 8 + datalen;
}

static size_t
mk_tcp(uint8_t *b, unsigned sport, unsigned dport)
{
	memset(b, 0, 20);
	put16(b, sport);
	put16(b + 2, dport);
	b[12] = 5 << 4;
	b[13] = 0x02;		/* SYN */
	put16(b + 14, 65535);
	return 20;
}

static size_t
mk_icmp(uint8_t *b, uint8_t type, uint8_t code, unsigned id, size_t datalen)
{
	memset(b, 0, 8 + datalen);
	b[0] = type;
	b[1] = code;
	put16(b + 4, id);
	put16(b + 6, 1);
	return 8 + datalen;
}

/* A generic extension header of (units + 1) * 8 bytes, PadN-filled. */
static size_t
mk_ext(uint8_t *b, uint8_t next, unsigned units)
{
	size_t len = ((size_t)units + 1) * 8;

	memset(b, 0, len);
	b[0] = next;
	b[1] = (uint8_t)units;
	b[2] = 1;		/* PadN over the rest */
	b[3] = (uint8_t)(len - 4);
	return len;
}

static size_t
mk_frag(uint8_t *b, uint8_t next, unsigned offset8, bool more)
{
	memset(b, 0, 8);
	b[0] = next;
	put16(b + 2, offset8 << 3 | (more ? 1 : 0));
	put16(b + 6, 0xbeef);
	return 8;
}

/* The UDP payload of a VXLAN frame, every field chosen by the caller. */
static size_t
mk_vxlan(uint8_t *b, uint8_t flags, uint32_t vni, const uint8_t *dmac,
    unsigned ethertype, const uint8_t *inner, size_t ilen)
{
	memset(b, 0, 22);
	b[0] = flags;
	b[4] = (uint8_t)(vni >> 16);
	b[5] = (uint8_t)(vni >> 8);
	b[6] = (uint8_t)vni;
	memcpy(b + 8, dmac, 6);
	memcpy(b + 14, mac_peer, 6);
	put16(b + 20, ethertype);
	memcpy(b + 22, inner, ilen);
	return 22 + ilen;
}

/* A pkt from the pool holding a copy of data, with full headroom. */
static struct pkt *
load(const uint8_t *data, size_t len)
{
	struct pkt *p = pkt_get(pool);

	ASSERT(p != NULL);
	ASSERT(len <= pkt_tailroom(p));
	memcpy(p->data, data, len);
	p->len = (uint32_t)len;
	return p;
}

/* Sample packets used by several tests. */
static size_t
sample_v4_udp(uint8_t *b)
{
	uint8_t l4[64];

	return mk_v4(b, 17, "10.244.1.2", "10.244.2.3", 0x4000, l4,
	    mk_udp(l4, 40000, 53, 12));
}

static size_t
sample_v6_udp(uint8_t *b)
{
	uint8_t l4[64];

	return mk_v6(b, 17, "fd00:244::1:2", "fd00:244::2:3", l4,
	    mk_udp(l4, 40001, 5353, 16));
}

/* ------------------------------------------------------------------ */
/* Checksum */

static void
test_csum_known(void)
{
	/* RFC 1071 §3: the example sum. */
	static const uint8_t rfc[] = {
		0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7
	};
	/* A real IPv4 header; its checksum is 0xb861. */
	uint8_t hdr[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
	};

	ASSERT_EQ(inet_csum_add(0, rfc, sizeof(rfc)), 0xddf2);
	ASSERT_EQ(inet_csum_fold(inet_csum_add(0, rfc, sizeof(rfc))),
	    0x220d);
	ASSERT_EQ(inet_csum_add(0, hdr, sizeof(hdr)), 0xffff);
	hdr[10] = hdr[11] = 0;
	ASSERT_EQ(inet_csum_fold(inet_csum_add(0, hdr, sizeof(hdr))), 0xb861);
	/* Odd length: the last byte is a high byte. */
	ASSERT_EQ(inet_csum_add(0, rfc, 3), 0x0001 + 0xf200);
	ASSERT_EQ(inet_csum_add(0, NULL, 0), 0);
	ASSERT_EQ(inet_csum_add(0x1ffff, NULL, 0), 0x1);
	ASSERT_EQ(inet_csum_fold(0), 0xffff);
	ASSERT_EQ(inet_csum_fold(0xffff), 0);
	ASSERT_EQ(inet_csum_fold(0xffffffff), 0);
}

static void
test_csum_differential(void)
{
	uint8_t *buf = malloc(4099);

	ASSERT(buf != NULL);
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = check_below(iter < 100 ? 8 : 4099);
		uint32_t start = (uint32_t)check_rand();
		uint32_t want, got;
		uint64_t s;
		size_t pos = 0;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)check_rand();
		/* Now and then all 0xff bytes, to stress the carries. */
		if (iter % 7 == 0)
			memset(buf, 0xff, len);

		want = naive_sum(buf, len);
		ASSERT_EQ(inet_csum_add(0, buf, len), want);

		/* Any starting sum: it just adds, with end-around carry. */
		s = (uint64_t)start + want;
		while (s > 0xffff)
			s = (s & 0xffff) + (s >> 16);
		ASSERT_EQ(inet_csum_add(start, buf, len), s);

		/* Chained over even-length pieces, odd last piece. */
		got = 0;
		while (pos < len) {
			size_t n = check_below(len - pos + 1);

			if (pos + n < len)
				n &= ~(size_t)1;
			got = inet_csum_add(got, buf + pos, n);
			pos += n;
		}
		ASSERT_EQ(got, want);
		ASSERT(got <= 0xffff);

		/* A stored checksum verifies to 0xffff (when not all zero). */
		if (len >= 2 && len % 2 == 0 && want != 0) {
			put16(buf, 0);
			put16(buf, inet_csum_fold(inet_csum_add(0, buf, len)));
			ASSERT_EQ(naive_sum(buf, len), 0xffff);
		}
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* ip_parse */

static void
test_ip_v4_fields(void)
{
	uint8_t b[BUF_MAX], l4[64];
	struct ip_info ii;
	struct sluice_addr s = addr("10.244.1.2"), d = addr("10.244.2.3");
	size_t n;

	n = sample_v4_udp(b);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.version, 4);
	ASSERT_EQ(ii.proto, 17);
	ASSERT_EQ(ii.ttl, 64);
	ASSERT(sluice_addr_eq(&ii.src, &s));
	ASSERT(sluice_addr_eq(&ii.dst, &d));
	ASSERT_EQ(ii.l4_off, 20);
	ASSERT_EQ(ii.tot_len, n);
	ASSERT(ii.df && !ii.fragment && ii.first_fragment);
	ASSERT(ii.has_ports);
	ASSERT_EQ(ii.sport, 40000);
	ASSERT_EQ(ii.dport, 53);
	ASSERT(!ii.is_icmp_error);

	n = mk_v4(b, 6, "10.0.0.1", "10.0.0.2", 0, l4, mk_tcp(l4, 443, 1025));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 6);
	ASSERT(ii.has_ports && !ii.df);
	ASSERT_EQ(ii.sport, 443);
	ASSERT_EQ(ii.dport, 1025);

	/* SCTP: ports in the first 4 of its 12-byte common header. */
	memset(l4, 0, 12);
	put16(l4, 2905);
	put16(l4 + 2, 38412);
	n = mk_v4(b, 132, "10.0.0.1", "10.0.0.2", 0, l4, 12);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(ii.has_ports);
	ASSERT_EQ(ii.sport, 2905);
	ASSERT_EQ(ii.dport, 38412);

	/* Echo request and reply: the identifier, no ports. */
	n = mk_v4(b, 1, "10.0.0.1", "10.0.0.2", 0, l4,
	    mk_icmp(l4, 8, 0, 0x4242, 16));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(!ii.has_ports && !ii.is_icmp_error);
	ASSERT_EQ(ii.icmp_type, 8);
	ASSERT_EQ(ii.sport, 0x4242);
	ASSERT_EQ(ii.dport, 0);
	n = mk_v4(b, 1, "10.0.0.2", "10.0.0.1", 0, l4,
	    mk_icmp(l4, 0, 0, 0x4243, 0));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.sport, 0x4243);

	/* ICMP errors (RFC 1122 §3.2.2) and a non-error, non-echo type. */
	for (unsigned t = 0; t < 256; t++) {
		bool err = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;

		n = mk_v4(b, 1, "10.0.0.1", "10.0.0.2", 0, l4,
		    mk_icmp(l4, (uint8_t)t, 7, 0x99, 0));
		ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
		ASSERT_EQ(ii.is_icmp_error, err);
		ASSERT_EQ(ii.icmp_type, t);
		ASSERT_EQ(ii.icmp_code, 7);
		ASSERT_EQ(ii.sport, t == 0 || t == 8 ? 0x99 : 0);
	}

	/* Options: the L4 header moves. */
	n = sample_v4_udp(b);
	memmove(b + 24, b + 20, n - 20);
	memcpy(b + 20, "\x01\x01\x01\x00", 4);	/* NOP NOP NOP EOL */
	b[0] = 0x46;
	put16(b + 2, (unsigned)(n + 4));
	v4_set_csum(b);
	ASSERT_EQ(ip_parse(b, n + 4, &ii), IP_OK);
	ASSERT_EQ(ii.l4_off, 24);
	ASSERT_EQ(ii.sport, 40000);
}

static void
test_ip_v4_fragments(void)
{
	uint8_t b[BUF_MAX], l4[64];
	struct ip_info ii;
	size_t n;

	/* First fragment: MF, offset 0; ports present. */
	n = mk_v4(b, 17, "10.0.0.1", "10.0.0.2", 0x2000, l4,
	    mk_udp(l4, 1, 2, 16));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(ii.fragment && ii.first_fragment && !ii.df);
	ASSERT(ii.has_ports);
	ASSERT_EQ(ii.sport, 1);

	/* Last fragment: offset only; no L4 header, however short. */
	n = mk_v4(b, 17, "10.0.0.1", "10.0.0.2", 3, l4, 4);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(ii.fragment && !ii.first_fragment);
	ASSERT(!ii.has_ports);
	ASSERT_EQ(ii.sport, 0);
	ASSERT_EQ(ii.proto, 17);

	/* Middle fragment with DF (odd, but not ours to judge). */
	n = mk_v4(b, 6, "10.0.0.1", "10.0.0.2", 0x6000 | 100, l4, 0);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(ii.df && ii.fragment && !ii.first_fragment);

	/* The reserved bit is ignored. */
	n = mk_v4(b, 17, "10.0.0.1", "10.0.0.2", 0x8000, l4,
	    mk_udp(l4, 1, 2, 0));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(!ii.df && !ii.fragment && ii.first_fragment);

	/* A first fragment cut inside the TCP header: RFC 1858. */
	mk_tcp(l4, 80, 81);
	n = mk_v4(b, 6, "10.0.0.1", "10.0.0.2", 0x2000, l4, 8);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_DROP_SHORT);
}

static void
test_ip_v6_fields(void)
{
	uint8_t b[BUF_MAX], l4[64];
	struct ip_info ii;
	struct sluice_addr s = addr("fd00:244::1:2"), d = addr("fd00:244::2:3");
	size_t n;

	n = sample_v6_udp(b);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.version, 6);
	ASSERT_EQ(ii.proto, 17);
	ASSERT_EQ(ii.ttl, 63);
	ASSERT(sluice_addr_eq(&ii.src, &s));
	ASSERT(sluice_addr_eq(&ii.dst, &d));
	ASSERT_EQ(ii.l4_off, 40);
	ASSERT_EQ(ii.tot_len, n);
	ASSERT(ii.df && !ii.fragment && ii.first_fragment);
	ASSERT(ii.has_ports);
	ASSERT_EQ(ii.sport, 40001);
	ASSERT_EQ(ii.dport, 5353);

	n = mk_v6(b, 6, "fd00::1", "fd00::2", l4, mk_tcp(l4, 22, 50000));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(ii.has_ports);
	ASSERT_EQ(ii.sport, 22);
	ASSERT_EQ(ii.dport, 50000);

	n = mk_v6(b, 58, "fd00::1", "fd00::2", l4,
	    mk_icmp(l4, 128, 0, 0x5151, 8));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(!ii.has_ports && !ii.is_icmp_error);
	ASSERT_EQ(ii.icmp_type, 128);
	ASSERT_EQ(ii.sport, 0x5151);
	ASSERT_EQ(ii.dport, 0);

	/* RFC 4443 §2.1: types below 128 are errors. */
	for (unsigned t = 0; t < 256; t++) {
		n = mk_v6(b, 58, "fd00::1", "fd00::2", l4,
		    mk_icmp(l4, (uint8_t)t, 3, 0x77, 0));
		ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
		ASSERT_EQ(ii.is_icmp_error, t < 128);
		ASSERT_EQ(ii.icmp_code, 3);
		ASSERT_EQ(ii.sport, t == 128 || t == 129 ? 0x77 : 0);
	}

	/* ICMP (v4's protocol) inside IPv6 is just a protocol number. */
	n = mk_v6(b, 1, "fd00::1", "fd00::2", l4, mk_icmp(l4, 3, 0, 0, 0));
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(!ii.is_icmp_error);
	ASSERT_EQ(ii.icmp_type, 0);
}

static void
test_ip_v6_exthdrs(void)
{
	uint8_t b[BUF_MAX], pl[512];
	struct ip_info ii;
	size_t n, k;

	/* Hop-by-hop, then a first fragment, then UDP. */
	k = mk_ext(pl, 44, 0);
	k += mk_frag(pl + k, 17, 0, true);
	k += mk_udp(pl + k, 1111, 2222, 20);
	n = mk_v6(b, 0, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 17);
	ASSERT_EQ(ii.l4_off, 56);
	ASSERT(ii.fragment && ii.first_fragment && ii.df);
	ASSERT(ii.has_ports);
	ASSERT_EQ(ii.sport, 1111);
	ASSERT_EQ(ii.dport, 2222);

	/* A later fragment: the walk ends at the fragment header. */
	k = mk_ext(pl, 44, 1);
	k += mk_frag(pl + k, 60, 185, false);
	memset(pl + k, 0xee, 24);
	k += 24;
	n = mk_v6(b, 0, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 60);
	ASSERT_EQ(ii.l4_off, 40 + 16 + 8);
	ASSERT(ii.fragment && !ii.first_fragment);
	ASSERT(!ii.has_ports);

	/* An atomic fragment (RFC 6946) is not a fragment. */
	k = mk_frag(pl, 6, 0, false);
	k += mk_tcp(pl + k, 5, 6);
	n = mk_v6(b, 44, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT(!ii.fragment && ii.first_fragment && ii.has_ports);
	ASSERT_EQ(ii.l4_off, 48);

	/* Destination options, routing, destination options, TCP. */
	k = mk_ext(pl, 43, 2);
	k += mk_ext(pl + k, 60, 0);
	k += mk_ext(pl + k, 6, 3);
	k += mk_tcp(pl + k, 7, 8);
	n = mk_v6(b, 60, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 6);
	ASSERT_EQ(ii.l4_off, 40 + 24 + 8 + 32);
	ASSERT_EQ(ii.dport, 8);

	/* ESP, AH and "no next header" end the walk where they start. */
	k = mk_ext(pl, 50, 0);
	memset(pl + k, 0x11, 16);
	n = mk_v6(b, 60, "fd00::1", "fd00::2", pl, k + 16);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 50);
	ASSERT_EQ(ii.l4_off, 48);
	ASSERT(!ii.has_ports);
	k = mk_ext(pl, 51, 0);
	n = mk_v6(b, 0, "fd00::1", "fd00::2", pl, k + 16);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 51);
	n = mk_v6(b, 59, "fd00::1", "fd00::2", pl, 0);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 59);
	ASSERT_EQ(ii.l4_off, 40);

	/* IP6_MAX_EXTHDRS headers pass; one more does not. */
	k = 0;
	for (int i = 0; i < IP6_MAX_EXTHDRS - 1; i++)
		k += mk_ext(pl + k, 60, 0);
	k += mk_ext(pl + k, 17, 0);
	k += mk_udp(pl + k, 9, 10, 0);
	n = mk_v6(b, 60, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_OK);
	ASSERT_EQ(ii.l4_off, 40 + 8 * IP6_MAX_EXTHDRS);
	ASSERT_EQ(ii.sport, 9);
	k = 0;
	for (int i = 0; i < IP6_MAX_EXTHDRS; i++)
		k += mk_ext(pl + k, 60, 0);
	k += mk_ext(pl + k, 17, 0);
	k += mk_udp(pl + k, 9, 10, 0);
	n = mk_v6(b, 60, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(ip_parse(b, n, &ii), IP_DROP_EXTHDR);
}

/* A fresh copy of b[0..n) in a heap block of exactly n bytes. */
static uint8_t *
dup_exact(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	ASSERT(c != NULL);
	memcpy(c, b, n);
	return c;
}

static enum ip_verdict
parse_exact(const uint8_t *b, size_t n)
{
	struct ip_info ii;
	uint8_t *c = dup_exact(b, n);
	enum ip_verdict v = ip_parse(c, n, &ii);

	free(c);
	return v;
}

static void
test_ip_drops(void)
{
	uint8_t b[BUF_MAX], l4[64], pl[256];
	size_t n, k;

	/* SHORT */
	n = sample_v4_udp(b);
	ASSERT_EQ(parse_exact(b, 0), IP_DROP_SHORT);
	ASSERT_EQ(parse_exact(b, 19), IP_DROP_SHORT);
	b[0] = 0x4f;		/* 60 bytes of header, 40 present */
	ASSERT_EQ(parse_exact(b, n), IP_DROP_SHORT);
	n = sample_v6_udp(b);
	ASSERT_EQ(parse_exact(b, 39), IP_DROP_SHORT);
	n = mk_v4(b, 17, "10.0.0.1", "10.0.0.2", 0, l4, 7);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_SHORT);
	n = mk_v4(b, 1, "10.0.0.1", "10.0.0.2", 0, l4, 7);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_SHORT);
	n = mk_v4(b, 132, "10.0.0.1", "10.0.0.2", 0, l4, 11);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_SHORT);
	n = mk_v6(b, 6, "fd00::1", "fd00::2", l4, 19);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_SHORT);
	n = mk_v6(b, 58, "fd00::1", "fd00::2", l4, 4);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_SHORT);
	/* Other protocols may be empty. */
	n = mk_v4(b, 47, "10.0.0.1", "10.0.0.2", 0, l4, 0);
	ASSERT_EQ(parse_exact(b, n), IP_OK);

	/* VERSION */
	n = sample_v4_udp(b);
	for (unsigned ver = 0; ver < 16; ver++) {
		b[0] = (uint8_t)(ver << 4 | 5);
		if (ver != 4 && ver != 6)
			ASSERT_EQ(parse_exact(b, n), IP_DROP_VERSION);
	}

	/* HDRLEN */
	n = sample_v4_udp(b);
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		b[0] = (uint8_t)(0x40 | ihl);
		v4_set_csum(b);
		ASSERT_EQ(parse_exact(b, n), IP_DROP_HDRLEN);
	}

	/* CSUM: any single flipped bit of the header. */
	for (unsigned bit = 0; bit < 160; bit++) {
		n = sample_v4_udp(b);
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		/* Flipping a version or IHL bit is a different drop. */
		if (bit / 8 == 0)
			continue;
		ASSERT_EQ(parse_exact(b, n), IP_DROP_CSUM);
	}

	/* TOTLEN */
	n = sample_v4_udp(b);
	put16(b + 2, 19);
	v4_set_csum(b);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_TOTLEN);
	put16(b + 2, (unsigned)n + 1);
	v4_set_csum(b);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_TOTLEN);
	n = sample_v4_udp(b);
	ASSERT_EQ(parse_exact(b, n - 1), IP_DROP_TOTLEN);
	n = sample_v6_udp(b);
	ASSERT_EQ(parse_exact(b, n - 1), IP_DROP_TOTLEN);
	k = mk_ext(pl, 59, 0);
	n = mk_v6(b, 0, "fd00::1", "fd00::2", pl, k);
	put16(b + 4, 0);	/* jumbogram */
	ASSERT_EQ(parse_exact(b, n), IP_DROP_TOTLEN);

	/* EXTHDR: hop-by-hop not first. */
	k = mk_ext(pl, 0, 0);
	k += mk_ext(pl + k, 17, 0);
	k += mk_udp(pl + k, 1, 2, 0);
	n = mk_v6(b, 60, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_EXTHDR);
	/* Two fragment headers. */
	k = mk_frag(pl, 44, 0, true);
	k += mk_frag(pl + k, 17, 0, true);
	k += mk_udp(pl + k, 1, 2, 0);
	n = mk_v6(b, 44, "fd00::1", "fd00::2", pl, k);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_EXTHDR);
	/* Declared longer than the packet, within the bytes present. */
	k = mk_ext(pl, 17, 4);
	n = mk_v6(b, 60, "fd00::1", "fd00::2", pl, k);
	put16(b + 4, 16);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_EXTHDR);
	/* Fewer than the 8 bytes every extension header has. */
	n = mk_v6(b, 44, "fd00::1", "fd00::2", pl, 7);
	ASSERT_EQ(parse_exact(b, n), IP_DROP_EXTHDR);
}

/* Every cut of a valid packet: drops up to tot_len, then OK. */
static void
test_ip_truncations(void)
{
	uint8_t b[BUF_MAX], pl[256];
	size_t n, k;

	for (int which = 0; which < 3; which++) {
		if (which == 0) {
			n = sample_v4_udp(b);
		} else if (which == 1) {
			n = sample_v6_udp(b);
		} else {
			k = mk_ext(pl, 44, 1);
			k += mk_frag(pl + k, 6, 0, true);
			k += mk_tcp(pl + k, 1, 2);
			n = mk_v6(b, 0, "fd00::1", "fd00::2", pl, k);
		}
		for (size_t cut = 0; cut < n; cut++)
			ASSERT_NE(parse_exact(b, cut), IP_OK);
		ASSERT_EQ(parse_exact(b, n), IP_OK);
		/* Padding after tot_len is allowed. */
		memset(b + n, 0xaa, 30);
		ASSERT_EQ(parse_exact(b, n + 30), IP_OK);
	}
}

/* Random corruption: never a read out of bounds, always consistent. */
static void
test_ip_random(void)
{
	uint8_t b[BUF_MAX], pl[256];
	size_t n, k;

	for (int iter = 0; iter < 20000; iter++) {
		struct ip_info ii;
		uint8_t *c;
		enum ip_verdict v;

		switch (iter % 3) {
		case 0:
			n = sample_v4_udp(b);
			break;
		case 1:
			n = sample_v6_udp(b);
			break;
		default:
			k = mk_ext(pl, 60, 0);
			k += mk_ext(pl + k, 44, 1);
			k += mk_frag(pl + k, 58, 0, true);
			k += mk_icmp(pl + k, 128, 0, 1, 4);
			n = mk_v6(b, 0, "fd00::1", "fd00::2", pl, k);
			break;
		}
		for (int f = (int)check_below(4); f >= 0; f--)
			b[check_below(n)] = (uint8_t)check_rand();
		n = check_below(n + 1);
		c = dup_exact(b, n);
		v = ip_parse(c, n, &ii);
		ASSERT(v < IP_DROP__COUNT);
		if (v == IP_OK) {
			ASSERT(ii.version == 4 || ii.version == 6);
			ASSERT(ii.tot_len <= n);
			ASSERT(ii.l4_off <= ii.tot_len);
			ASSERT(!ii.has_ports || ii.first_fragment);
			ASSERT(ii.first_fragment || ii.fragment);
		}
		free(c);
	}
}

static void
test_ip_drop_names(void)
{
	for (int i = 0; i < IP_DROP__COUNT; i++) {
		const char *a = ip_drop_name((enum ip_verdict)i);

		ASSERT(a != NULL);
		ASSERT(strncmp(a, "ip_", 3) == 0);
		for (const char *c = a; *c; c++)
			ASSERT((*c >= 'a' && *c <= 'z') || *c == '_');
		for (int j = 0; j < i; j++)
			ASSERT(strcmp(a,
			    ip_drop_name((enum ip_verdict)j)) != 0);
	}
	ASSERT_STR_EQ(ip_drop_name(IP_DROP_SHORT), "ip_short");
	ASSERT_STR_EQ(ip_drop_name(IP_DROP__COUNT), "ip_unknown");
	ASSERT_STR_EQ(ip_drop_name((enum ip_verdict)-1), "ip_unknown");
}

/* ------------------------------------------------------------------ */
/* VXLAN */

static void
test_encap_bytes(void)
{
	static const uint8_t want[22] = {
		/* VXLAN: I flag, reserved, VNI 0x123456, reserved */
		0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00,
		/* Ethernet: destination, source, IPv4 */
		0x02, 0x51, 0x00, 0x00, 0x00, 0x01,
		0x02, 0x51, 0x00, 0x00, 0x00, 0x02,
		0x08, 0x00,
	};
	uint8_t b[BUF_MAX];
	size_t n = sample_v4_udp(b);
	struct pkt *p = load(b, n);
	uint8_t *start = p->data;

	ASSERT_EQ(VXLAN_ENCAP_LEN, 22);
	ASSERT_EQ(VXLAN_OVERHEAD_V4, 50);
	ASSERT_EQ(VXLAN_OVERHEAD_V6, 70);
	ASSERT_OK(vxlan_encap(p, VNI, mac_local, mac_peer));
	ASSERT_EQ(p->len, n + 22);
	ASSERT(p->data == start - 22);
	ASSERT_EQ(pkt_headroom(p), PKT_HEADROOM - 22);
	for (size_t i = 0; i < 22; i++) {
		if (p->data[i] != want[i])
			CHECK_FAIL("byte %zu: %#x, want %#x", i, p->data[i],
			    want[i]);
	}
	ASSERT_MEM_EQ(p->data + 22, b, n);
	pkt_put(p);

	/* IPv6 ethertype, and the VNI bounds. */
	n = sample_v6_udp(b);
	p = load(b, n);
	ASSERT_OK(vxlan_encap(p, 0xffffff, mac_local, mac_peer));
	ASSERT_EQ(get16(p->data + 20), 0x86dd);
	ASSERT_MEM_EQ(p->data + 4, "\xff\xff\xff\x00", 4);
	pkt_put(p);
	p = load(b, n);
	ASSERT_OK(vxlan_encap(p, 0, mac_local, mac_peer));
	ASSERT_MEM_EQ(p->data, "\x08\0\0\0\0\0\0\0", 8);
	pkt_put(p);
}

static void
test_encap_errors(void)
{
	uint8_t b[BUF_MAX];
	size_t n = sample_v4_udp(b);
	struct pkt *p = load(b, n);
	uint8_t *data = p->data;

	ASSERT_EQ(vxlan_encap(p, 0x1000000, mac_local, mac_peer), -EINVAL);
	ASSERT(p->data == data && p->len == n);
	p->data[0] = 0x55;
	ASSERT_EQ(vxlan_encap(p, VNI, mac_local, mac_peer), -EINVAL);
	p->data[0] = 0x65;	/* IPv6 nibble, but 39 bytes */
	p->len = 39;
	ASSERT_EQ(vxlan_encap(p, VNI, mac_local, mac_peer), -EINVAL);
	p->data[0] = 0x45;
	p->len = 19;
	ASSERT_EQ(vxlan_encap(p, VNI, mac_local, mac_peer), -EINVAL);
	p->len = 0;
	ASSERT_EQ(vxlan_encap(p, VNI, mac_local, mac_peer), -EINVAL);
	ASSERT(p->data == data);

	/* 21 bytes of headroom are not enough; 22 are. */
	pkt_reset(p);
	p->data = p->buf + 21;
	memcpy(p->data, b, n);
	p->len = (uint32_t)n;
	ASSERT_EQ(vxlan_encap(p, VNI, mac_local, mac_peer), -ENOSPC);
	ASSERT(p->data == p->buf + 21 && p->len == n);
	p->data = p->buf + 22;
	memcpy(p->data, b, n);
	ASSERT_OK(vxlan_encap(p, VNI, mac_local, mac_peer));
	ASSERT(p->data == p->buf);
	pkt_put(p);
}

/* encap then decap gives back the same packet, in place. */
static void
roundtrip(const uint8_t *b, size_t n, uint8_t version)
{
	struct pkt *p = load(b, n);
	uint8_t *data = p->data;
	struct ip_info ii, direct;
	enum ip_verdict iv = IP_DROP__COUNT;

	ASSERT_OK(vxlan_encap(p, VNI, mac_peer, mac_local));
	ASSERT_EQ(vxlan_decap(p, VNI, mac_local, &ii, &iv), VXLAN_OK);
	ASSERT_EQ(iv, IP_OK);
	ASSERT(p->data == data);
	ASSERT_EQ(p->len, n);
	ASSERT_MEM_EQ(p->data, b, n);
	ASSERT_EQ(ip_parse(b, n, &direct), IP_OK);
	ASSERT_EQ(ii.version, version);
	ASSERT_EQ(ii.tot_len, direct.tot_len);
	ASSERT_EQ(ii.proto, direct.proto);
	ASSERT_EQ(ii.sport, direct.sport);
	ASSERT_EQ(ii.dport, direct.dport);
	ASSERT(sluice_addr_eq(&ii.src, &direct.src));
	ASSERT(sluice_addr_eq(&ii.dst, &direct.dst));
	pkt_put(p);
}

static void
test_roundtrip(void)
{
	uint8_t b[BUF_MAX], l4[BUF_MAX];
	size_t n;

	roundtrip(b, sample_v4_udp(b), 4);
	roundtrip(b, sample_v6_udp(b), 6);
	n = mk_v4(b, 6, "10.0.0.1", "10.0.0.2", 0x4000, l4, mk_tcp(l4, 1, 2));
	roundtrip(b, n, 4);
	n = mk_v6(b, 58, "fd00::1", "fd00::2", l4,
	    mk_icmp(l4, 129, 0, 7, 1400));
	roundtrip(b, n, 6);
	/* The smallest IPv4 packet, and a big one. */
	n = mk_v4(b, 253, "10.0.0.1", "10.0.0.2", 0, l4, 0);
	roundtrip(b, n, 4);
	n = mk_v4(b, 17, "10.0.0.1", "10.0.0.2", 0, l4,
	    mk_udp(l4, 1, 2, 1472));
	roundtrip(b, n, 4);
}

/* Decapsulates b[0..len): the verdicts, and p untouched on a drop. */
static void
decap_expect(const uint8_t *b, size_t len, enum vxlan_verdict want,
    enum ip_verdict want_ip, int line)
{
	struct pkt *p = load(b, len);
	uint8_t *data = p->data;
	enum ip_verdict iv = IP_DROP__COUNT;
	enum vxlan_verdict v;
	struct ip_info ii;

	v = vxlan_decap(p, VNI, mac_local, &ii, &iv);
	if (v != want || iv != want_ip)
		CHECK_FAIL("line %d: %s/%s, want %s/%s", line,
		    vxlan_drop_name(v), ip_drop_name(iv),
		    vxlan_drop_name(want), ip_drop_name(want_ip));
	if (want != VXLAN_OK) {
		ASSERT(p->data == data);
		ASSERT_EQ(p->len, len);
	}
	pkt_put(p);
}

#define DECAP(len, want, want_ip) \
	decap_expect(b, (len), (want), (want_ip), __LINE__)

static void
test_decap_drops(void)
{
	uint8_t in[BUF_MAX], b[BUF_MAX], bad[BUF_MAX];
	size_t n = sample_v4_udp(in), n6, k;
	struct ip_info ii;
	struct pkt *p;


	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, in, n);
	DECAP(k, VXLAN_OK, IP_OK);
	/* Other flag bits and the reserved bytes are ignored (RFC 7348). */
	k = mk_vxlan(b, 0xff, VNI, mac_local, 0x0800, in, n);
	b[1] = b[2] = b[3] = b[7] = 0xa5;
	DECAP(k, VXLAN_OK, IP_OK);

	/* SHORT: up to the end of the Ethernet header. */
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, in, n);
	for (size_t cut = 0; cut < 22; cut++)
		DECAP(cut, VXLAN_DROP_SHORT, IP_OK);
	DECAP(22, VXLAN_DROP_INNER, IP_DROP_SHORT);

	/* FLAGS */
	k = mk_vxlan(b, 0xf7, VNI, mac_local, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_FLAGS, IP_OK);

	/* VNI: any other, including the neighbours. */
	k = mk_vxlan(b, 0x08, VNI + 1, mac_local, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_VNI, IP_OK);
	k = mk_vxlan(b, 0x08, VNI - 1, mac_local, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_VNI, IP_OK);
	k = mk_vxlan(b, 0x08, VNI ^ 0x800000, mac_local, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_VNI, IP_OK);

	/* DST_MAC: another host's, broadcast, multicast. */
	k = mk_vxlan(b, 0x08, VNI, mac_other, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_DST_MAC, IP_OK);
	k = mk_vxlan(b, 0x08, VNI, mac_bcast, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_DST_MAC, IP_OK);
	k = mk_vxlan(b, 0x08, VNI, mac_mcast, 0x0800, in, n);
	DECAP(k, VXLAN_DROP_DST_MAC, IP_OK);

	/* ETHERTYPE: ARP, a VLAN tag, nothing. */
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0806, in, n);
	DECAP(k, VXLAN_DROP_ETHERTYPE, IP_OK);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x8100, in, n);
	DECAP(k, VXLAN_DROP_ETHERTYPE, IP_OK);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0000, in, n);
	DECAP(k, VXLAN_DROP_ETHERTYPE, IP_OK);

	/* INNER: the ip verdict comes out, whatever it is. */
	memcpy(bad, in, n);
	bad[12] ^= 1;
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, bad, n);
	DECAP(k, VXLAN_DROP_INNER, IP_DROP_CSUM);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, in, n - 1);
	DECAP(k, VXLAN_DROP_INNER, IP_DROP_TOTLEN);
	bad[0] = 0x75;
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, bad, n);
	DECAP(k, VXLAN_DROP_INNER, IP_DROP_VERSION);
	/* IPv4 labelled IPv6 and the other way round. */
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x86dd, in, n);
	DECAP(k, VXLAN_DROP_INNER, IP_DROP_VERSION);
	n6 = sample_v6_udp(bad);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, bad, n6);
	DECAP(k, VXLAN_DROP_INNER, IP_DROP_VERSION);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x86dd, bad, n6);
	DECAP(k, VXLAN_OK, IP_OK);

	/* ipv may be NULL. */
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x86dd, in, n);
	p = load(b, k);
	ASSERT_EQ(vxlan_decap(p, VNI, mac_local, &ii, NULL), VXLAN_DROP_INNER);
	pkt_put(p);
}

static void
test_decap_padding(void)
{
	uint8_t in[BUF_MAX], b[BUF_MAX], l4[64];
	size_t n, k;
	struct ip_info ii;
	struct pkt *p;

	/* 28 bytes of IP in a 60-byte frame: 18 bytes of padding. */
	n = mk_v4(b, 1, "10.0.0.1", "10.0.0.2", 0, l4,
	    mk_icmp(l4, 8, 0, 1, 0));
	memcpy(in, b, n);
	ASSERT_EQ(n, 28);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x0800, in, n);
	memset(b + k, 0, 18);
	p = load(b, k + 18);
	ASSERT_EQ(vxlan_decap(p, VNI, mac_local, &ii, NULL), VXLAN_OK);
	ASSERT_EQ(p->len, 28);
	ASSERT_MEM_EQ(p->data, in, 28);
	pkt_put(p);

	/* IPv6 with junk after the payload length. */
	n = sample_v6_udp(in);
	k = mk_vxlan(b, 0x08, VNI, mac_local, 0x86dd, in, n);
	memset(b + k, 0x5a, 7);
	p = load(b, k + 7);
	ASSERT_EQ(vxlan_decap(p, VNI, mac_local, &ii, NULL), VXLAN_OK);
	ASSERT_EQ(p->len, n);
	ASSERT_EQ(ii.tot_len, n);
	pkt_put(p);
}

static void
test_vxlan_drop_names(void)
{
	for (int i = 0; i < VXLAN_DROP__COUNT; i++) {
		const char *a = vxlan_drop_name((enum vxlan_verdict)i);

		ASSERT(a != NULL);
		ASSERT(strncmp(a, "vxlan_", 6) == 0);
		for (const char *c = a; *c; c++)
			ASSERT((*c >= 'a' && *c <= 'z') || *c == '_');
		for (int j = 0; j < i; j++)
			ASSERT(strcmp(a,
			    vxlan_drop_name((enum vxlan_verdict)j)) != 0);
	}
	ASSERT_STR_EQ(vxlan_drop_name(VXLAN_DROP_DST_MAC), "vxlan_dst_mac");
	ASSERT_STR_EQ(vxlan_drop_name(VXLAN_DROP__COUNT), "vxlan_unknown");
}

/* ------------------------------------------------------------------ */
/* ICMP errors */

/*
 * Checks an ICMP error built for orig: re-parsed, checksums by the naive
 * sum, addresses, type, code, MTU and the quote. Returns its length.
 */
static size_t
check_error(const uint8_t *out, int rc, enum icmp_err kind, uint32_t mtu,
    const uint8_t *orig, size_t orig_len, const struct sluice_addr *from)
{
	static const uint8_t v4code[] = { 4, 1, 13 };
	static const uint8_t v6type[] = { 2, 1, 1 };
	static const uint8_t v6code[] = { 0, 3, 1 };
	struct ip_info oi, ei;
	size_t len, quote, max, hlen;
	const uint8_t *icmp;

	ASSERT(rc > 0);
	len = (size_t)rc;
	ASSERT_EQ(ip_parse(orig, orig_len, &oi), IP_OK);
	ASSERT_EQ(ip_parse(out, len, &ei), IP_OK);
	ASSERT_EQ(ei.tot_len, len);
	ASSERT_EQ(ei.version, oi.version);
	ASSERT_EQ(ei.ttl, 64);
	ASSERT(sluice_addr_eq(&ei.src, from));
	ASSERT(sluice_addr_eq(&ei.dst, &oi.src));
	ASSERT(ei.is_icmp_error);
	ASSERT(!ei.fragment);

	hlen = oi.version == 4 ? 20 : 40;
	max = oi.version == 4 ? 576 : 1280;
	icmp = out + hlen;
	ASSERT_EQ(ei.l4_off, hlen);
	quote = len - hlen - 8;
	ASSERT(len <= max);
	ASSERT_EQ(quote, orig_len < oi.tot_len ? (orig_len < max - hlen - 8 ?
	    orig_len : max - hlen - 8) : (oi.tot_len < max - hlen - 8 ?
	    oi.tot_len : max - hlen - 8));
	ASSERT_MEM_EQ(icmp + 8, orig, quote);

	if (oi.version == 4) {
		ASSERT_EQ(ei.proto, 1);
		ASSERT_EQ(out[0], 0x45);
		ASSERT(ei.df);
		ASSERT_EQ(naive_sum(out, 20), 0xffff);
		ASSERT_EQ(naive_sum(icmp, len - 20), 0xffff);
		ASSERT_EQ(ei.icmp_type, 3);
		ASSERT_EQ(ei.icmp_code, v4code[kind]);
		ASSERT_EQ(get16(icmp + 4), 0);
		ASSERT_EQ(get16(icmp + 6), kind == ICMP_ERR_TOO_BIG ? mtu : 0);
	} else {
		uint8_t pseudo[40];
		uint64_t s;

		ASSERT_EQ(ei.proto, 58);
		ASSERT_EQ(out[0], 0x60);
		ASSERT_EQ(out[1], 0);
		ASSERT_EQ(get16(out + 4), len - 40);
		/* Pseudo-header by hand: addresses, length, next header. */
		memcpy(pseudo, out + 8, 32);
		memset(pseudo + 32, 0, 8);
		pseudo[34] = (uint8_t)((len - 40) >> 8);
		pseudo[35] = (uint8_t)(len - 40);
		pseudo[39] = 58;
		s = (uint64_t)naive_sum(pseudo, 40) + naive_sum(icmp, len - 40);
		while (s > 0xffff)
			s = (s & 0xffff) + (s >> 16);
		ASSERT_EQ(s, 0xffff);
		ASSERT_EQ(ei.icmp_type, v6type[kind]);
		ASSERT_EQ(ei.icmp_code, v6code[kind]);
		ASSERT_EQ((uint32_t)get16(icmp + 4) << 16 | get16(icmp + 6),
		    kind == ICMP_ERR_TOO_BIG ? mtu : 0);
	}
	return len;
}

static int
build(enum icmp_err kind, uint32_t mtu, const uint8_t *orig, size_t len,
    const char *from, uint8_t *out, size_t cap)
{
	struct sluice_addr f = addr(from);
	struct ip_info oi;

	ASSERT_EQ(ip_parse(orig, len, &oi), IP_OK);
	return icmp_error_build(kind, mtu, &oi, orig, len, &f, out, cap);
}

static void
test_icmp_error_v4(void)
{
	uint8_t orig[BUF_MAX], l4[BUF_MAX], out[ICMP_ERR_MAX_LEN];
	struct sluice_addr from = addr("10.244.0.1");
	size_t n;
	int rc;

	for (int kind = 0; kind <= ICMP_ERR_ADMIN_PROHIBITED; kind++) {
		/* A big packet: the error stops at 576 bytes. */
		n = mk_v4(orig, 6, "10.244.1.2", "10.244.2.3", 0x4000, l4,
		    1480);
		memset(orig + 20, 0x3c, 1480);
		mk_tcp(orig + 20, 1234, 80);
		v4_set_csum(orig);
		memset(out, 0xee, sizeof(out));
		rc = build((enum icmp_err)kind, 1450, orig, n, "10.244.0.1",
		    out, sizeof(out));
		ASSERT_EQ(rc, 576);
		check_error(out, rc, (enum icmp_err)kind, 1450, orig, n,
		    &from);

		/* A small one is quoted whole, without its padding. */
		n = mk_v4(orig, 17, "10.244.1.2", "10.244.2.3", 0, l4,
		    mk_udp(l4, 5, 6, 0));
		memset(orig + n, 0, 18);
		rc = build((enum icmp_err)kind, 1400, orig, n + 18,
		    "10.244.0.1", out, sizeof(out));
		ASSERT_EQ(rc, 20 + 8 + 28);
		check_error(out, rc, (enum icmp_err)kind, 1400, orig, n + 18,
		    &from);

		/* Exactly enough room, then one byte less. */
		rc = build((enum icmp_err)kind, 1400, orig, n, "10.244.0.1",
		    out, 56);
		ASSERT_EQ(rc, 56);
		rc = build((enum icmp_err)kind, 1400, orig, n, "10.244.0.1",
		    out, 55);
		ASSERT_EQ(rc, -ENOSPC);
		rc = build((enum icmp_err)kind, 1400, orig, n, "10.244.0.1",
		    NULL, 0);
		ASSERT_EQ(rc, -ENOSPC);
	}

	/* An echo request, a first fragment: errors are fine. */
	n = mk_v4(orig, 1, "10.244.1.2", "10.244.2.3", 0x2000, l4,
	    mk_icmp(l4, 8, 0, 3, 100));
	rc = build(ICMP_ERR_HOST_UNREACH, 0, orig, n, "10.244.0.1", out,
	    sizeof(out));
	check_error(out, rc, ICMP_ERR_HOST_UNREACH, 0, orig, n, &from);
	/* The largest MTU a 16-bit field takes. */
	rc = build(ICMP_ERR_TOO_BIG, 0xffff, orig, n, "10.244.0.1", out,
	    sizeof(out));
	check_error(out, rc, ICMP_ERR_TOO_BIG, 0xffff, orig, n, &from);
}

static void
test_icmp_error_v6(void)
{
	uint8_t orig[BUF_MAX], l4[BUF_MAX], out[ICMP_ERR_MAX_LEN];
	struct sluice_addr from = addr("fd00:244::1");
	size_t n, k;
	int rc;

	for (int kind = 0; kind <= ICMP_ERR_ADMIN_PROHIBITED; kind++) {
		n = mk_v6(orig, 17, "fd00:244::1:2", "2001:db8::1", l4,
		    mk_udp(l4, 7, 8, 1452));
		rc = build((enum icmp_err)kind, 1430, orig, n, "fd00:244::1",
		    out, sizeof(out));
		ASSERT_EQ(rc, 1280);
		check_error(out, rc, (enum icmp_err)kind, 1430, orig, n,
		    &from);

		n = sample_v6_udp(orig);
		memset(orig + n, 0x99, 5);
		rc = build((enum icmp_err)kind, 1280, orig, n + 5,
		    "fd00:244::1", out, sizeof(out));
		ASSERT_EQ(rc, 48 + n);
		check_error(out, rc, (enum icmp_err)kind, 1280, orig, n + 5,
		    &from);
		ASSERT_EQ(build((enum icmp_err)kind, 1280, orig, n,
		    "fd00:244::1", out, 48 + n - 1), -ENOSPC);
	}

	/* A first fragment behind extension headers. */
	k = mk_ext(l4, 44, 0);
	k += mk_frag(l4 + k, 6, 0, true);
	k += mk_tcp(l4 + k, 9, 10);
	n = mk_v6(orig, 0, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	rc = build(ICMP_ERR_ADMIN_PROHIBITED, 0, orig, n, "fd00:244::1",
	    out, sizeof(out));
	check_error(out, rc, ICMP_ERR_ADMIN_PROHIBITED, 0, orig, n, &from);
	/* MTU is a full 32-bit field in ICMPv6. */
	rc = build(ICMP_ERR_TOO_BIG, 0x12345678, orig, n, "fd00:244::1",
	    out, sizeof(out));
	check_error(out, rc, ICMP_ERR_TOO_BIG, 0x12345678, orig, n, &from);
	/* Packet too big may go back for a multicast packet. */
	n = mk_v6(orig, 17, "fd00:244::1:2", "ff0e::1", l4,
	    mk_udp(l4, 7, 8, 100));
	rc = build(ICMP_ERR_TOO_BIG, 1280, orig, n, "fd00:244::1", out,
	    sizeof(out));
	check_error(out, rc, ICMP_ERR_TOO_BIG, 1280, orig, n, &from);
}

static void
test_icmp_error_forbidden(void)
{
	uint8_t orig[BUF_MAX], l4[BUF_MAX], out[ICMP_ERR_MAX_LEN];
	static const char *const v4src[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1",
		"239.255.255.255", "240.0.0.1", "255.255.255.255",
	};
	static const char *const v4dst[] = {
		"224.0.0.5", "239.1.2.3", "255.255.255.255",
	};
	static const char *const v6src[] = {
		"::", "::1", "ff02::1", "ff0e::1234",
	};
	size_t n, k;

	for (int kind = 0; kind <= ICMP_ERR_ADMIN_PROHIBITED; kind++) {
		enum icmp_err e = (enum icmp_err)kind;

		/* IPv4: sources and destinations. */
		for (size_t i = 0; i < sizeof(v4src) / sizeof(*v4src); i++) {
			n = mk_v4(orig, 17, v4src[i], "10.0.0.2", 0, l4,
			    mk_udp(l4, 1, 2, 8));
			ASSERT_EQ(build(e, 1400, orig, n, "10.0.0.1", out,
			    sizeof(out)), -EINVAL);
		}
		for (size_t i = 0; i < sizeof(v4dst) / sizeof(*v4dst); i++) {
			n = mk_v4(orig, 17, "10.0.0.2", v4dst[i], 0, l4,
			    mk_udp(l4, 1, 2, 8));
			ASSERT_EQ(build(e, 1400, orig, n, "10.0.0.1", out,
			    sizeof(out)), -EINVAL);
		}
		/* ICMP errors, every type of them. */
		for (uint8_t t = 3; t <= 12; t++) {
			if (t != 3 && t != 4 && t != 5 && t != 11 && t != 12)
				continue;
			n = mk_v4(orig, 1, "10.0.0.2", "10.0.0.3", 0, l4,
			    mk_icmp(l4, t, 0, 0, 28));
			ASSERT_EQ(build(e, 1400, orig, n, "10.0.0.1", out,
			    sizeof(out)), -EINVAL);
		}
		/* A later fragment. */
		n = mk_v4(orig, 17, "10.0.0.2", "10.0.0.3", 0x2000 | 185, l4,
		    16);
		ASSERT_EQ(build(e, 1400, orig, n, "10.0.0.1", out,
		    sizeof(out)), -EINVAL);
		/* from of the other family. */
		n = mk_v4(orig, 17, "10.0.0.2", "10.0.0.3", 0, l4,
		    mk_udp(l4, 1, 2, 8));
		ASSERT_EQ(build(e, 1400, orig, n, "fd00::1", out,
		    sizeof(out)), -EINVAL);

		/* IPv6 sources. */
		for (size_t i = 0; i < sizeof(v6src) / sizeof(*v6src); i++) {
			n = mk_v6(orig, 17, v6src[i], "fd00::2", l4,
			    mk_udp(l4, 1, 2, 8));
			ASSERT_EQ(build(e, 1400, orig, n, "fd00::1", out,
			    sizeof(out)), -EINVAL);
		}
		/* ICMPv6 errors and redirects. */
		for (unsigned t = 0; t < 256; t++) {
			int rc;

			n = mk_v6(orig, 58, "fd00::2", "fd00::3", l4,
			    mk_icmp(l4, (uint8_t)t, 0, 0, 40));
			rc = build(e, 1400, orig, n, "fd00::1", out,
			    sizeof(out));
			if (t < 128 || t == 137)
				ASSERT_EQ(rc, -EINVAL);
			else
				ASSERT(rc > 0);
		}
		/* A later fragment. */
		k = mk_frag(l4, 17, 100, true);
		memset(l4 + k, 0, 16);
		n = mk_v6(orig, 44, "fd00::2", "fd00::3", l4, k + 16);
		ASSERT_EQ(build(e, 1400, orig, n, "fd00::1", out,
		    sizeof(out)), -EINVAL);
		/* Multicast destination, except for packet too big. */
		n = mk_v6(orig, 17, "fd00::2", "ff02::1", l4,
		    mk_udp(l4, 1, 2, 8));
		ASSERT_EQ(build(e, 1400, orig, n, "fd00::1", out, sizeof(out)),
		    e == ICMP_ERR_TOO_BIG ? 48 + (int)n : -EINVAL);
		/* from of the other family. */
		n = mk_v6(orig, 17, "fd00::2", "fd00::3", l4,
		    mk_udp(l4, 1, 2, 8));
		ASSERT_EQ(build(e, 1400, orig, n, "10.0.0.1", out,
		    sizeof(out)), -EINVAL);
	}

	/* An IPv4 MTU that does not fit 16 bits; an unknown kind. */
	n = mk_v4(orig, 17, "10.0.0.2", "10.0.0.3", 0, l4,
	    mk_udp(l4, 1, 2, 8));
	ASSERT_EQ(build(ICMP_ERR_TOO_BIG, 0x10000, orig, n, "10.0.0.1", out,
	    sizeof(out)), -EINVAL);
	ASSERT(build(ICMP_ERR_HOST_UNREACH, 0x10000, orig, n, "10.0.0.1",
	    out, sizeof(out)) > 0);
	ASSERT_EQ(build((enum icmp_err)3, 0, orig, n, "10.0.0.1", out,
	    sizeof(out)), -EINVAL);
	ASSERT_EQ(build((enum icmp_err)-1, 0, orig, n, "10.0.0.1", out,
	    sizeof(out)), -EINVAL);
}

/* ------------------------------------------------------------------ */
/*
 * The fuzz_vxlan seeds. An input is VNI (3 bytes), local MAC (6 bytes),
 * then one UDP payload; see tests/fuzz/fuzz_vxlan.c.
 */

struct seed {
	char name[48];
	uint8_t data[BUF_MAX];
	size_t len;
	enum vxlan_verdict want;
	enum ip_verdict want_ip;
};

#define SEEDS_MAX 64

static struct seed seeds[SEEDS_MAX];
static size_t n_seeds;

/* Adds a seed: the prefix for VNI/local_mac, then the frame. */
static void
add_seed(const char *name, const uint8_t *frame, size_t len,
    enum vxlan_verdict want, enum ip_verdict want_ip)
{
	struct seed *s;

	ASSERT(n_seeds < SEEDS_MAX);
	s = &seeds[n_seeds++];
	ASSERT(strlen(name) < sizeof(s->name));
	ASSERT(9 + len <= sizeof(s->data));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->data[0] = (uint8_t)(VNI >> 16);
	s->data[1] = (uint8_t)(VNI >> 8);
	s->data[2] = (uint8_t)VNI;
	memcpy(s->data + 3, mac_local, 6);
	memcpy(s->data + 9, frame, len);
	s->len = 9 + len;
	s->want = want;
	s->want_ip = want_ip;
}

static void
add_vx(const char *name, const uint8_t *in, size_t n, unsigned ethertype,
    enum vxlan_verdict want, enum ip_verdict want_ip)
{
	uint8_t f[BUF_MAX];

	add_seed(name, f, mk_vxlan(f, 0x08, VNI, mac_local, ethertype, in, n),
	    want, want_ip);
}

/* A raw IP packet as the whole input: its first 9 bytes are the prefix. */
static void
add_raw(const char *name, const uint8_t *in, size_t n)
{
	struct seed *s;

	ASSERT(n_seeds < SEEDS_MAX);
	s = &seeds[n_seeds++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->data, in, n);
	s->len = n;
	s->want = VXLAN_DROP__COUNT;	/* not a frame */
	s->want_ip = IP_OK;
}

static void
make_seeds(void)
{
	uint8_t in[BUF_MAX], l4[BUF_MAX], f[BUF_MAX], q[BUF_MAX];
	size_t n, n6, k;

	n_seeds = 0;
	n = mk_v4(in, 6, "10.244.1.2", "10.244.2.3", 0x4000, l4,
	    mk_tcp(l4, 40000, 80));
	add_vx("ok-v4-tcp", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = sample_v4_udp(in);
	add_vx("ok-v4-udp", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 1, "10.244.1.2", "10.244.2.3", 0, l4,
	    mk_icmp(l4, 8, 0, 0x1234, 16));
	add_vx("ok-v4-icmp-echo", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(q, 17, "10.244.2.3", "10.244.9.9", 0, l4,
	    mk_udp(l4, 1, 2, 0));
	memcpy(l4 + 8, q, n);
	mk_icmp(l4, 3, 1, 0, 0);
	n = mk_v4(in, 1, "10.244.0.1", "10.244.2.3", 0, l4, 8 + n);
	add_vx("ok-v4-icmp-error", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "10.244.1.2", "10.244.2.3", 0x2000, l4,
	    mk_udp(l4, 7, 8, 24));
	add_vx("ok-v4-first-frag", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "10.244.1.2", "10.244.2.3", 4, l4, 12);
	add_vx("ok-v4-last-frag", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 1, "10.244.1.2", "10.244.2.3", 0, l4,
	    mk_icmp(l4, 0, 0, 1, 0));
	k = mk_vxlan(f, 0x08, VNI, mac_local, 0x0800, in, n);
	memset(f + k, 0, 18);
	add_seed("ok-v4-padded", f, k + 18, VXLAN_OK, IP_OK);
	n = sample_v4_udp(in);
	memmove(in + 24, in + 20, n - 20);
	memcpy(in + 20, "\x94\x04\x00\x00", 4);		/* router alert */
	in[0] = 0x46;
	put16(in + 2, (unsigned)n + 4);
	v4_set_csum(in);
	add_vx("ok-v4-options", in, n + 4, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "127.0.0.1", "10.244.2.3", 0, l4,
	    mk_udp(l4, 1, 2, 0));
	add_vx("ok-v4-loopback-src", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "10.244.1.2", "224.0.0.251", 0, l4,
	    mk_udp(l4, 5353, 5353, 0));
	add_vx("ok-v4-multicast-dst", in, n, 0x0800, VXLAN_OK, IP_OK);

	n = mk_v4(in, 6, "10.244.1.2", "10.244.2.3", 0x4000, l4, 1480);
	memset(in + 20, 0x3c, 1480);
	mk_tcp(in + 20, 40002, 8080);
	v4_set_csum(in);
	add_vx("ok-v4-1500", in, n, 0x0800, VXLAN_OK, IP_OK);

	n = sample_v6_udp(in);
	add_vx("ok-v6-udp", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 17, "fd00:244::1:2", "fd00:244::2:3", l4,
	    mk_udp(l4, 40003, 4789, 1452));
	add_vx("ok-v6-1500", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 58, "fd00:244::1:2", "fd00:244::2:3", l4,
	    mk_icmp(l4, 128, 0, 0x4321, 16));
	add_vx("ok-v6-icmp-echo", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 58, "fd00:244::1", "fd00:244::2:3", l4,
	    mk_icmp(l4, 2, 0, 0, 48));
	add_vx("ok-v6-icmp-error", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 58, "fd00:244::1", "fd00:244::2:3", l4,
	    mk_icmp(l4, 137, 0, 0, 32));
	add_vx("ok-v6-redirect", in, n, 0x86dd, VXLAN_OK, IP_OK);
	k = mk_ext(l4, 44, 0);
	k += mk_frag(l4 + k, 17, 0, true);
	k += mk_udp(l4 + k, 1111, 2222, 16);
	n = mk_v6(in, 0, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	add_vx("ok-v6-hbh-frag-udp", in, n, 0x86dd, VXLAN_OK, IP_OK);
	k = mk_frag(l4, 17, 100, false);
	memset(l4 + k, 0x42, 16);
	n = mk_v6(in, 44, "fd00:244::1:2", "fd00:244::2:3", l4, k + 16);
	add_vx("ok-v6-last-frag", in, n, 0x86dd, VXLAN_OK, IP_OK);
	k = mk_ext(l4, 43, 1);
	k += mk_ext(l4 + k, 60, 0);
	k += mk_ext(l4 + k, 6, 0);
	k += mk_tcp(l4 + k, 22, 33);
	n = mk_v6(in, 60, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	add_vx("ok-v6-dst-rt-dst-tcp", in, n, 0x86dd, VXLAN_OK, IP_OK);
	memset(l4, 0x77, 32);
	n = mk_v6(in, 50, "fd00:244::1:2", "fd00:244::2:3", l4, 32);
	add_vx("ok-v6-esp", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 17, "fd00:244::1:2", "ff02::fb", l4,
	    mk_udp(l4, 5353, 5353, 0));
	add_vx("ok-v6-multicast-dst", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 59, "fd00:244::1:2", "fd00:244::2:3", l4, 0);
	add_vx("ok-v6-no-next", in, n, 0x86dd, VXLAN_OK, IP_OK);
	n = mk_v6(in, 17, "::", "ff02::1:2", l4, mk_udp(l4, 546, 547, 3));
	add_vx("ok-v6-unspec-src", in, n, 0x86dd, VXLAN_OK, IP_OK);
	memset(l4, 0, 12);
	put16(l4, 2905);
	put16(l4 + 2, 2905);
	n = mk_v4(in, 132, "10.244.1.2", "10.244.2.3", 0x4000, l4, 12);
	add_vx("ok-v4-sctp", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 1, "10.244.0.1", "10.244.2.3", 0, l4,
	    mk_icmp(l4, 11, 0, 0, 28));
	add_vx("ok-v4-time-exceeded", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "0.0.0.0", "255.255.255.255", 0, l4,
	    mk_udp(l4, 68, 67, 5));
	add_vx("ok-v4-dhcp", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "10.244.1.2", "10.244.2.3", 0, l4,
	    mk_udp(l4, 1000, 2000, 7));
	add_vx("ok-v4-udp-odd", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 1, "10.244.0.1", "10.244.2.3", 0, l4,
	    mk_icmp(l4, 12, 0, 0, 28));
	add_vx("ok-v4-param-problem", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v4(in, 17, "224.0.0.1", "10.244.2.3", 0, l4,
	    mk_udp(l4, 1, 2, 0));
	add_vx("ok-v4-multicast-src", in, n, 0x0800, VXLAN_OK, IP_OK);
	n = mk_v6(in, 58, "::1", "fd00:244::2:3", l4,
	    mk_icmp(l4, 129, 0, 0x4321, 16));
	add_vx("ok-v6-loopback-src", in, n, 0x86dd, VXLAN_OK, IP_OK);

	/* The drops. */
	n = sample_v4_udp(in);
	k = mk_vxlan(f, 0x08, VNI, mac_local, 0x0800, in, n);
	add_seed("bad-short", f, 21, VXLAN_DROP_SHORT, IP_OK);
	add_seed("bad-empty", f, 0, VXLAN_DROP_SHORT, IP_OK);
	f[0] = 0x00;
	add_seed("bad-flags", f, k, VXLAN_DROP_FLAGS, IP_OK);
	k = mk_vxlan(f, 0x08, VNI + 1, mac_local, 0x0800, in, n);
	add_seed("bad-vni", f, k, VXLAN_DROP_VNI, IP_OK);
	k = mk_vxlan(f, 0x08, VNI, mac_other, 0x0800, in, n);
	add_seed("bad-dst-mac", f, k, VXLAN_DROP_DST_MAC, IP_OK);
	k = mk_vxlan(f, 0x08, VNI, mac_bcast, 0x0800, in, n);
	add_seed("bad-broadcast", f, k, VXLAN_DROP_DST_MAC, IP_OK);
	k = mk_vxlan(f, 0x08, VNI, mac_mcast, 0x86dd, in, n);
	add_seed("bad-multicast", f, k, VXLAN_DROP_DST_MAC, IP_OK);
	memset(q, 0, 28);
	put16(q, 1);
	put16(q + 2, 0x0800);
	q[4] = 6;
	q[5] = 4;
	put16(q + 6, 1);
	add_vx("bad-arp", q, 28, 0x0806, VXLAN_DROP_ETHERTYPE, IP_OK);
	k = sample_v6_udp(q);
	add_vx("bad-v6-as-v4", q, k, 0x0800, VXLAN_DROP_INNER,
	    IP_DROP_VERSION);
	add_vx("bad-v4-as-v6", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_VERSION);
	memcpy(q, in, n);
	q[19] ^= 0x10;
	add_vx("bad-v4-csum", q, n, 0x0800, VXLAN_DROP_INNER, IP_DROP_CSUM);
	memcpy(q, in, n);
	q[0] = 0x44;
	v4_set_csum(q);
	add_vx("bad-v4-ihl", q, n, 0x0800, VXLAN_DROP_INNER, IP_DROP_HDRLEN);
	add_vx("bad-v4-totlen", in, n - 1, 0x0800, VXLAN_DROP_INNER,
	    IP_DROP_TOTLEN);
	memcpy(q, in, n);
	put16(q + 2, 19);
	v4_set_csum(q);
	add_vx("bad-v4-totlen-small", q, n, 0x0800, VXLAN_DROP_INNER,
	    IP_DROP_TOTLEN);
	n6 = mk_v6(q, 60, "fd00:244::1:2", "fd00:244::2:3", l4, 6);
	add_vx("bad-v6-ext-tiny", q, n6, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_EXTHDR);
	add_vx("bad-v4-no-ip", in, 10, 0x0800, VXLAN_DROP_INNER,
	    IP_DROP_SHORT);
	memcpy(q, in, n);
	q[0] = 0x4f;
	v4_set_csum(q);
	add_vx("bad-v4-ihl-long", q, n, 0x0800, VXLAN_DROP_INNER,
	    IP_DROP_SHORT);
	n6 = sample_v6_udp(q);
	add_vx("bad-v6-short", q, 39, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_SHORT);
	add_vx("bad-v6-totlen", q, n6 - 1, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_TOTLEN);
	n = mk_v4(in, 6, "10.244.1.2", "10.244.2.3", 0x2000, l4, 8);
	add_vx("bad-v4-tiny-frag", in, n, 0x0800, VXLAN_DROP_INNER,
	    IP_DROP_SHORT);
	k = mk_ext(l4, 17, 3);
	n = mk_v6(in, 0, "fd00:244::1:2", "fd00:244::2:3", l4, 16);
	add_vx("bad-v6-ext-trunc", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_EXTHDR);
	k = 0;
	for (int i = 0; i <= IP6_MAX_EXTHDRS; i++)
		k += mk_ext(l4 + k, 60, 0);
	k += mk_ext(l4 + k, 59, 0);
	n = mk_v6(in, 60, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	add_vx("bad-v6-ext-many", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_EXTHDR);
	k = mk_ext(l4, 0, 0);
	k += mk_ext(l4 + k, 59, 0);
	n = mk_v6(in, 60, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	add_vx("bad-v6-hbh-late", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_EXTHDR);
	k = mk_frag(l4, 44, 0, true);
	k += mk_frag(l4 + k, 17, 0, true);
	k += mk_udp(l4 + k, 1, 2, 0);
	n = mk_v6(in, 44, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	add_vx("bad-v6-two-frags", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_EXTHDR);
	k = mk_ext(l4, 59, 0);
	n = mk_v6(in, 0, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	put16(in + 4, 0);
	add_vx("bad-v6-jumbo", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_TOTLEN);
	n = sample_v6_udp(in);
	in[0] = 0x50;
	add_vx("bad-version", in, n, 0x86dd, VXLAN_DROP_INNER,
	    IP_DROP_VERSION);

	/* Raw IP packets without VXLAN, for the direct ip_parse() path. */
	n = sample_v4_udp(in);
	add_raw("raw-v4-udp", in, n);
	n = mk_v4(in, 6, "10.244.1.2", "10.244.2.3", 0x4000, l4,
	    mk_tcp(l4, 40000, 443));
	add_raw("raw-v4-tcp", in, n);
	k = mk_ext(l4, 44, 0);
	k += mk_frag(l4 + k, 58, 0, true);
	k += mk_icmp(l4 + k, 128, 0, 9, 8);
	n = mk_v6(in, 0, "fd00:244::1:2", "fd00:244::2:3", l4, k);
	add_raw("raw-v6-icmp", in, n);
	add_raw("raw-empty", in, 0);
}

/* The seeds decapsulate (or drop) the way they were written to. */
static void
test_seeds(void)
{
	make_seeds();
	for (size_t i = 0; i < n_seeds; i++) {
		const struct seed *s = &seeds[i];
		struct ip_info ii;
		enum ip_verdict iv;
		enum vxlan_verdict v;
		struct pkt *p;

		if (s->want == VXLAN_DROP__COUNT) {
			ASSERT_EQ(ip_parse(s->data, s->len, &ii),
			    s->len == 0 ? IP_DROP_SHORT : IP_OK);
			continue;
		}
		p = load(s->data + 9, s->len - 9);
		v = vxlan_decap(p, VNI, mac_local, &ii, &iv);
		if (v != s->want || iv != s->want_ip)
			CHECK_FAIL("seed %s: %s/%s", s->name,
			    vxlan_drop_name(v), ip_drop_name(iv));
		pkt_put(p);
	}
}

static int
write_seeds(const char *dir)
{
	char path[4096];
	int rc = 0;

	make_seeds();
	for (size_t i = 0; i < n_seeds && rc == 0; i++) {
		FILE *f;

		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    seeds[i].name) >= (int)sizeof(path)) {
			rc = -ENAMETOOLONG;
			fprintf(stderr, "%s: path too long\n", dir);
			break;
		}
		if ((f = fopen(path, "wb")) == NULL) {
			rc = -errno;
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			break;
		}
		if (fwrite(seeds[i].data, 1, seeds[i].len, f) != seeds[i].len)
			rc = -EIO;
		if (fclose(f) != 0 && rc == 0)
			rc = -errno;
		if (rc != 0)
			fprintf(stderr, "%s: write failed\n", path);
	}
	if (rc == 0)
		printf("%zu seeds written to %s\n", n_seeds, dir);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	pool = pkt_pool_new(8, 4096);
	ASSERT(pool != NULL);
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		rc = write_seeds(argv[2]);
		goto out;
	}
	check_seed();
	RUN(test_csum_known);
	RUN(test_csum_differential);
	RUN(test_ip_v4_fields);
	RUN(test_ip_v4_fragments);
	RUN(test_ip_v6_fields);
	RUN(test_ip_v6_exthdrs);
	RUN(test_ip_drops);
	RUN(test_ip_truncations);
	RUN(test_ip_random);
	RUN(test_ip_drop_names);
	RUN(test_encap_bytes);
	RUN(test_encap_errors);
	RUN(test_roundtrip);
	RUN(test_decap_drops);
	RUN(test_decap_padding);
	RUN(test_vxlan_drop_names);
	RUN(test_icmp_error_v4);
	RUN(test_icmp_error_v6);
	RUN(test_icmp_error_forbidden);
	RUN(test_seeds);
	printf("ok\n");
out:
	pkt_pool_destroy(pool);
	return rc == 0 ? 0 : 1;
}
