/*
 * offload_test.c - TCP segmentation and coalescing for the TUN offloads
 * (overlay/offload.h).
 *
 * Super-packets are built here field by field, as the kernel hands them
 * to a TUN reader. Segmentation is checked against a naive reference
 * written from RFC 793/791/8200 (every byte compared), each segment's
 * checksums are verified with icmp.h's plain word sum, not with the code
 * under test, and coalescing the segments again must give back the
 * original super-packet byte for byte, with the virtio_net_hdr the kernel
 * expects. Malformed headers and random bytes must be refused, never
 * crash.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/icmp.h"
#include "overlay/offload.h"
#include "tests/unit/check.h"

#define SUPER_MAX 65535

static uint8_t super[SUPER_MAX];
static uint8_t seg[SUPER_MAX];
static uint8_t ref[SUPER_MAX];

static void
w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
w32(uint8_t *p, uint32_t v)
{
	w16(p, v >> 16);
	w16(p + 2, v);
}

static uint32_t
r32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The TCP pseudo-header sum, with icmp.h's word sum. */
static uint32_t
pseudo(const uint8_t *pkt, uint32_t l4len)
{
	uint32_t sum;

	if (pkt[0] >> 4 == 4)
		sum = inet_csum_add(0, pkt + 12, 8);
	else
		sum = inet_csum_add(0, pkt + 8, 32);
	return inet_csum_add(sum + 6 + (l4len >> 16) + (l4len & 0xffff), "",
	    0);
}

static bool
tcp_ok(const uint8_t *pkt, uint32_t len, uint32_t l4)
{
	return inet_csum_fold(inet_csum_add(pseudo(pkt, len - l4), pkt + l4,
	    len - l4)) == 0;
}

static bool
ip4_ok(const uint8_t *pkt)
{
	return inet_csum_fold(inet_csum_add(0, pkt, (pkt[0] & 15u) * 4)) == 0;
}

struct shape {
	int version;
	uint32_t ihl, thl, payload, mss;
	uint8_t flags;
};

/*
 * Builds a super-packet as the kernel's TCP stack makes it: headers,
 * random payload, the pseudo-header sum over the whole length in the
 * checksum field (partial), and the virtio_net_hdr.
 */
static uint32_t
build(const struct shape *sh, struct virtio_net_hdr *vh)
{
	uint32_t hl = sh->ihl + sh->thl, len = hl + sh->payload;
	uint8_t *t = super + sh->ihl;

	memset(super, 0, hl);
	if (sh->version == 4) {
		super[0] = (uint8_t)(0x40 | sh->ihl / 4);
		super[1] = 0x02;
		w16(super + 2, len);
		w16(super + 4, (uint32_t)check_below(65536));
		w16(super + 6, 0x4000);
		super[8] = 64;
		super[9] = 6;
		w32(super + 12, 0x0af40a0a);
		w32(super + 16, 0x0af40b0a);
		for (uint32_t i = 20; i < sh->ihl; i++)
			super[i] = 1;	/* NOPs */
		w16(super + 10, inet_csum_fold(inet_csum_add(0, super,
		    sh->ihl)));
	} else {
		w32(super, 0x60012345);
		w16(super + 4, len - 40);
		super[6] = 6;
		super[7] = 64;
		for (int i = 8; i < 40; i++)
			super[i] = (uint8_t)check_rand();
	}
	w16(t, 40000);
	w16(t + 2, 5201);
	w32(t + 4, (uint32_t)check_rand());
	w32(t + 8, (uint32_t)check_rand());
	t[12] = (uint8_t)(sh->thl / 4 << 4);
	t[13] = sh->flags;
	w16(t + 14, 502);
	for (uint32_t i = 20; i < sh->thl; i++)
		t[i] = (uint8_t)check_rand();
	for (uint32_t i = hl; i < len; i++)
		super[i] = (uint8_t)check_rand();
	w16(t + 16, inet_csum_add(pseudo(super, len - sh->ihl), "", 0));
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = sh->version == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
	    VIRTIO_NET_HDR_GSO_TCPV6;
	vh->gso_size = (uint16_t)sh->mss;
	vh->hdr_len = (uint16_t)hl;
	vh->csum_start = (uint16_t)sh->ihl;
	vh->csum_offset = 16;
	return len;
}

/* The naive segment i, straight from the RFCs. */
static uint32_t
naive_segment(const struct shape *sh, uint32_t len, uint32_t i, uint32_t n)
{
	uint32_t hl = sh->ihl + sh->thl, off = i * sh->mss;
	uint32_t pl = len - hl - off < sh->mss ? len - hl - off : sh->mss;
	uint8_t *t = ref + sh->ihl;

	memcpy(ref, super, hl);
	memcpy(ref + hl, super + hl + off, pl);
	if (sh->version == 4) {
		w16(ref + 2, hl + pl);
		w16(ref + 4, ((uint32_t)super[4] << 8 | super[5]) + i);
		w16(ref + 10, 0);
		w16(ref + 10, inet_csum_fold(inet_csum_add(0, ref, sh->ihl)));
	} else {
		w16(ref + 4, hl + pl - 40);
	}
	w32(t + 4, r32(super + sh->ihl + 4) + off);
	if (i + 1 < n)
		t[13] &= (uint8_t)~0x09;	/* FIN, PSH */
	if (i > 0)
		t[13] &= (uint8_t)~0x80;	/* CWR */
	w16(t + 16, 0);
	w16(t + 16, inet_csum_fold(inet_csum_add(pseudo(ref, hl + pl -
	    sh->ihl), t, hl + pl - sh->ihl)));
	return hl + pl;
}

/* What the coalescer emitted, concatenated for checking. */
struct capture {
	int n;
	struct virtio_net_hdr vh[256];
	uint32_t off[256], len[256];
	uint32_t used;
	uint8_t buf[4 * SUPER_MAX];	/* not reset between uses */
};

static struct capture cap;

static void
on_emit(void *ctx, const struct virtio_net_hdr *vh, const uint8_t *pkt,
    size_t len)
{
	struct capture *c = ctx;

	ASSERT(c->n < 256 && c->used + len <= sizeof(c->buf));
	c->vh[c->n] = *vh;
	c->off[c->n] = c->used;
	c->len[c->n++] = (uint32_t)len;
	memcpy(c->buf + c->used, pkt, len);
	c->used += (uint32_t)len;
}

static void
random_shape(struct shape *sh)
{
	sh->version = check_below(2) ? 4 : 6;
	sh->ihl = sh->version == 4 ? 20 : 40;
	sh->thl = check_below(2) ? 32 : 20;	/* timestamps or none */
	sh->mss = 536 + (uint32_t)check_below(1000);
	sh->payload = 1 + (uint32_t)check_below(64 * sh->mss);
	if (sh->ihl + sh->thl + sh->payload > SUPER_MAX)
		sh->payload = SUPER_MAX - sh->ihl - sh->thl;
	sh->flags = 0x10 | (check_below(2) ? 0x08 : 0) |
	    (check_below(4) == 0 ? 0x40 : 0);
}

/* Segment, check against the reference, coalesce, compare. */
static void
test_roundtrip(void)
{
	struct offload_gro *g = offload_gro_new();

	ASSERT(g != NULL);
	for (int iter = 0; iter < 300; iter++) {
		struct virtio_net_hdr vh;
		struct offload_tso t;
		struct shape sh;
		uint32_t len, hl;

		random_shape(&sh);
		len = build(&sh, &vh);
		hl = sh.ihl + sh.thl;
		ASSERT_EQ(offload_tso_parse(&vh, super, len, &t), OFFLOAD_OK);
		ASSERT_EQ(t.nseg, (sh.payload + sh.mss - 1) / sh.mss);
		ASSERT_EQ(t.hdr_len, hl);
		memset(&cap, 0, offsetof(struct capture, buf));
		for (uint32_t i = 0; i < t.nseg; i++) {
			uint32_t n = offload_tso_segment(&t, i, seg, sizeof(seg));
			uint32_t rn = naive_segment(&sh, len, i, t.nseg);

			ASSERT_EQ(n, rn);
			ASSERT_EQ(n, offload_tso_seg_len(&t, i));
			ASSERT_MEM_EQ(seg, ref, n);
			ASSERT(tcp_ok(seg, n, sh.ihl));
			ASSERT(offload_tcp_csum_ok(seg, n, (uint16_t)sh.ihl));
			if (sh.version == 4)
				ASSERT(ip4_ok(seg));
			ASSERT(n <= hl + sh.mss);
			offload_gro_add(g, seg, n, on_emit, &cap);
		}
		ASSERT_EQ(offload_tso_segment(&t, t.nseg, seg, sizeof(seg)), 0);
		offload_gro_flush(g, on_emit, &cap);
		/*
		 * At most 64 segments: one super-packet, the original
		 * bytes, or the single segment itself.
		 */
		ASSERT_EQ(cap.n, 1);
		if (t.nseg == 1) {
			ASSERT_EQ(cap.vh[0].gso_type, VIRTIO_NET_HDR_GSO_NONE);
			ASSERT_EQ(cap.vh[0].flags, 0);
			naive_segment(&sh, len, 0, 1);
			ASSERT_EQ(cap.len[0], len);
			ASSERT_MEM_EQ(cap.buf, ref, len);
			continue;
		}
		ASSERT_EQ(cap.len[0], len);
		ASSERT_MEM_EQ(cap.buf, super, len);
		ASSERT_EQ(cap.vh[0].gso_type, vh.gso_type);
		ASSERT_EQ(cap.vh[0].flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		ASSERT_EQ(cap.vh[0].gso_size, sh.mss);
		ASSERT_EQ(cap.vh[0].hdr_len, hl);
		ASSERT_EQ(cap.vh[0].csum_start, sh.ihl);
		ASSERT_EQ(cap.vh[0].csum_offset, 16);
	}
	offload_gro_destroy(g);
}

/* A segment that may not join stays apart, and each flow keeps order. */
static void
test_gro_refusals(void)
{
	static uint8_t a[8][2048];
	struct offload_gro *g = offload_gro_new();
	struct virtio_net_hdr vh;
	struct offload_tso t;
	struct shape sh = { 4, 20, 32, 8 * 1000, 1000, 0x10 };
	uint32_t len = build(&sh, &vh), n[8];

	ASSERT_EQ(offload_tso_parse(&vh, super, len, &t), OFFLOAD_OK);
	for (uint32_t i = 0; i < 8; i++)
		n[i] = offload_tso_segment(&t, i, a[i], sizeof(a[i]));

	/* Out of order: 0 1 3 2 -> [0 1] [3] [2]. */
	memset(&cap, 0, offsetof(struct capture, buf));
	offload_gro_add(g, a[0], n[0], on_emit, &cap);
	offload_gro_add(g, a[1], n[1], on_emit, &cap);
	offload_gro_add(g, a[3], n[3], on_emit, &cap);
	offload_gro_add(g, a[2], n[2], on_emit, &cap);
	offload_gro_flush(g, on_emit, &cap);
	ASSERT_EQ(cap.n, 3);
	ASSERT_EQ(cap.len[0], 52 + 2000);
	ASSERT_MEM_EQ(cap.buf + cap.off[1], a[3], n[3]);
	ASSERT_MEM_EQ(cap.buf + cap.off[2], a[2], n[2]);

	/* A bad checksum passes as it is, after what its flow held. */
	memset(&cap, 0, offsetof(struct capture, buf));
	a[2][100] ^= 0x55;
	offload_gro_add(g, a[0], n[0], on_emit, &cap);
	offload_gro_add(g, a[1], n[1], on_emit, &cap);
	offload_gro_add(g, a[2], n[2], on_emit, &cap);
	offload_gro_flush(g, on_emit, &cap);
	ASSERT_EQ(cap.n, 2);
	ASSERT_EQ(cap.vh[1].gso_type, VIRTIO_NET_HDR_GSO_NONE);
	ASSERT_MEM_EQ(cap.buf + cap.off[1], a[2], n[2]);
	a[2][100] ^= 0x55;

	/*
	 * A bad checksum on the first segment (checked while it is copied
	 * into a slot) starts nothing; the next two still join.
	 */
	memset(&cap, 0, offsetof(struct capture, buf));
	a[0][n[0] - 1] ^= 0x55;
	offload_gro_add(g, a[0], n[0], on_emit, &cap);
	offload_gro_add(g, a[1], n[1], on_emit, &cap);
	offload_gro_add(g, a[2], n[2], on_emit, &cap);
	offload_gro_flush(g, on_emit, &cap);
	ASSERT_EQ(cap.n, 2);
	ASSERT_EQ(cap.vh[0].gso_type, VIRTIO_NET_HDR_GSO_NONE);
	ASSERT_MEM_EQ(cap.buf + cap.off[0], a[0], n[0]);
	ASSERT_EQ(cap.vh[1].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ASSERT_EQ(cap.len[1], 52 + 2000);
	a[0][n[0] - 1] ^= 0x55;

	/* FIN, a different ACK, a non-TCP packet: none join. */
	memset(&cap, 0, offsetof(struct capture, buf));
	offload_gro_add(g, a[0], n[0], on_emit, &cap);
	a[1][20 + 13] |= 0x01;
	offload_gro_add(g, a[1], n[1], on_emit, &cap);
	a[1][20 + 13] &= (uint8_t)~0x01;
	a[2][20 + 8] ^= 1;
	offload_gro_add(g, a[2], n[2], on_emit, &cap);
	a[2][20 + 8] ^= 1;
	a[3][9] = 17;
	offload_gro_add(g, a[3], n[3], on_emit, &cap);
	a[3][9] = 6;
	offload_gro_flush(g, on_emit, &cap);
	ASSERT_EQ(cap.n, 4);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(cap.vh[i].gso_type, VIRTIO_NET_HDR_GSO_NONE);

	/* Two flows interleaved: two super-packets. */
	memset(&cap, 0, offsetof(struct capture, buf));
	for (uint32_t i = 0; i < 4; i++) {
		static uint8_t b[2048];

		memcpy(b, a[i], n[i]);
		b[20] ^= 1;	/* another source port */
		w16(b + 36, 0);
		w16(b + 36, inet_csum_fold(inet_csum_add(pseudo(b,
		    n[i] - 20), b + 20, n[i] - 20)));
		offload_gro_add(g, a[i], n[i], on_emit, &cap);
		offload_gro_add(g, b, n[i], on_emit, &cap);
	}
	offload_gro_flush(g, on_emit, &cap);
	ASSERT_EQ(cap.n, 2);
	ASSERT_EQ(cap.vh[0].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ASSERT_EQ(cap.vh[1].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ASSERT_EQ(cap.len[0], 52 + 4000);
	offload_gro_destroy(g);
}

/* Headers that lie are refused with a reason, never read past. */
static void
test_malformed(void)
{
	struct shape sh = { 4, 20, 32, 5000, 1000, 0x10 };
	struct virtio_net_hdr vh, bad;
	struct offload_tso t;
	uint32_t len = build(&sh, &vh);

	bad = vh;
	bad.gso_size = 0;
	ASSERT_EQ(offload_tso_parse(&bad, super, len, &t),
	    OFFLOAD_DROP_GSO_SIZE);
	bad = vh;
	bad.hdr_len = (uint16_t)(len + 1);
	ASSERT_EQ(offload_tso_parse(&bad, super, len, &t),
	    OFFLOAD_DROP_HDR_LEN);
	bad = vh;
	bad.csum_start = (uint16_t)len;
	ASSERT_EQ(offload_tso_parse(&bad, super, len, &t), OFFLOAD_DROP_CSUM);
	bad = vh;
	bad.csum_start = 24;
	ASSERT_EQ(offload_tso_parse(&bad, super, len, &t), OFFLOAD_DROP_CSUM);
	bad = vh;
	bad.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	ASSERT_EQ(offload_tso_parse(&bad, super, len, &t),
	    OFFLOAD_DROP_GSO_TYPE);
	bad = vh;
	bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	ASSERT_EQ(offload_tso_parse(&bad, super, len, &t),
	    OFFLOAD_DROP_GSO_TYPE);
	/* Truncated to within the headers. */
	for (uint32_t l = 0; l < 52; l++)
		ASSERT_NE(offload_tso_parse(&vh, super, l, &t), OFFLOAD_OK);
	ASSERT_STR_EQ(offload_drop_name(OFFLOAD_DROP_CSUM), "offload_csum");
	ASSERT_STR_EQ(offload_drop_name((enum offload_verdict)99),
	    "offload_unknown");

	/* NEEDS_CSUM on a plain packet past its end. */
	bad = vh;
	bad.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	bad.csum_start = 60;
	bad.csum_offset = 0xfff0;
	ASSERT_EQ(offload_csum_complete(&bad, super, 100), OFFLOAD_DROP_CSUM);
	bad.csum_start = 0xffff;
	bad.csum_offset = 0;
	ASSERT_EQ(offload_csum_complete(&bad, super, 100), OFFLOAD_DROP_CSUM);

	/* Random headers over random bytes: whatever passes segments. */
	for (int iter = 0; iter < 20000; iter++) {
		uint32_t l = (uint32_t)check_below(200);
		struct offload_gro *g;

		for (uint32_t i = 0; i < l; i++)
			super[i] = (uint8_t)check_rand();
		if (l > 0 && check_below(2))
			super[0] = check_below(2) ? 0x45 : 0x60;
		if (l > 9)
			super[9] = 6;
		if (l > 6 && super[0] == 0x60)
			super[6] = 6;
		vh.flags = (uint8_t)check_below(4);
		vh.gso_type = (uint8_t)check_below(8);
		vh.gso_size = (uint16_t)check_below(64);
		vh.hdr_len = (uint16_t)check_below(256);
		vh.csum_start = (uint16_t)check_below(256);
		vh.csum_offset = (uint16_t)check_below(32);
		if (offload_tso_parse(&vh, super, l, &t) == OFFLOAD_OK) {
			ASSERT(t.nseg >= 1);
			for (uint32_t i = 0; i < t.nseg; i++)
				ASSERT_NE(offload_tso_segment(&t, i, seg,
				    sizeof(seg)), 0);
		}
		(void)offload_csum_complete(&vh, super, l);
		g = iter % 1000 == 0 ? offload_gro_new() : NULL;
		if (g != NULL) {
			memset(&cap, 0, offsetof(struct capture, buf));
			offload_gro_add(g, super, l, on_emit, &cap);
			offload_gro_flush(g, on_emit, &cap);
			ASSERT_EQ(cap.n, 1);
			offload_gro_destroy(g);
		}
	}
}

/* NEEDS_CSUM on a plain packet: the checksum comes out whole. */
static void
test_csum_complete(void)
{
	for (int iter = 0; iter < 200; iter++) {
		struct shape sh = { 4, 20, 20, 0, 1000, 0x18 };
		struct virtio_net_hdr vh;
		uint32_t len;

		sh.version = check_below(2) ? 4 : 6;
		sh.ihl = sh.version == 4 ? 20 : 40;
		sh.payload = (uint32_t)check_below(1400);
		len = build(&sh, &vh);
		vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
		vh.gso_size = 0;
		ASSERT_EQ(offload_csum_complete(&vh, super, len), OFFLOAD_OK);
		ASSERT(tcp_ok(super, len, sh.ihl));
		/* No flag: nothing touched. */
		vh.flags = 0;
		super[sh.ihl + 16] ^= 1;
		ASSERT_EQ(offload_csum_complete(&vh, super, len), OFFLOAD_OK);
		ASSERT(!tcp_ok(super, len, sh.ihl));
	}
}

/*
 * The vectorised sums against icmp.h's plain one: every TCP length from a
 * bare header to past three 32-byte rounds and on to 64 KiB, random
 * bytes; a good checksum is accepted and any flipped bit refused.
 */
static void
test_csum_lengths(void)
{
	static uint8_t pkt[65535];

	for (uint32_t l4len = 20; l4len <= 65535 - 20;
	    l4len += l4len < 200 ? 1 : 997) {
		uint32_t len = 20 + l4len;
		for (uint32_t i = 0; i < len; i++)
			pkt[i] = (uint8_t)check_below(256);
		pkt[0] = 0x45;
		pkt[9] = 6;
		pkt[36] = pkt[37] = 0;
		w16(pkt + 36, inet_csum_fold(inet_csum_add(pseudo(pkt, l4len),
		    pkt + 20, l4len)));
		ASSERT(tcp_ok(pkt, len, 20));
		ASSERT(offload_tcp_csum_ok(pkt, len, 20));
		pkt[20 + check_below(l4len)] ^= (uint8_t)(1u << check_below(8));
		ASSERT(!offload_tcp_csum_ok(pkt, len, 20));
	}
}

int
main(void)
{
	check_seed();
	RUN(test_roundtrip);
	RUN(test_gro_refusals);
	RUN(test_malformed);
	RUN(test_csum_complete);
	RUN(test_csum_lengths);
	printf("ok\n");
	return 0;
}
