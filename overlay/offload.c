#include "overlay/offload.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/bytes.h"

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN 20
#define PROTO_TCP 6
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

/* TCP flags, the byte at offset 13. */
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define GRO_BUF (OFFLOAD_VNET_HLEN + 65535)

static const char *const drop_names[OFFLOAD_DROP__COUNT] = {
	[OFFLOAD_OK] = "offload_ok",
	[OFFLOAD_DROP_GSO_TYPE] = "offload_gso_type",
	[OFFLOAD_DROP_GSO_SIZE] = "offload_gso_size",
	[OFFLOAD_DROP_HDR_LEN] = "offload_hdr_len",
	[OFFLOAD_DROP_CSUM] = "offload_csum",
};

const char *
offload_drop_name(enum offload_verdict v)
{
	if ((unsigned int)v >= OFFLOAD_DROP__COUNT)
		return "offload_unknown";
	return drop_names[v];
}

/*
 * Checksums here sum the buffer as native-order 32-bit words: the ones'
 * complement sum does not care about byte order (RFC 1071 §2(B)) as long
 * as every piece but the last starts at an even offset, and a 64-bit
 * accumulator takes 2^32 words before it can overflow. Values that are
 * not in a buffer are added in network order (htons/htonl).
 */
/*
 * The bulk of a sum, 32 bytes a round, in two-lane 64-bit vectors (SSE2
 * on x86-64, NEON on arm64, plain words elsewhere: GCC and clang vector
 * extensions): each lane adds the low and the high 32-bit word of its 8
 * bytes into two accumulators, 2^32 rounds from overflowing. With dst,
 * the bytes are copied there in the same pass. Sums the first len & ~31
 * bytes; returns how many.
 */
typedef uint64_t v2u64 __attribute__((vector_size(16)));

static size_t
sum_bulk(uint64_t *acc, uint8_t *dst, const uint8_t *src, size_t len)
{
	const v2u64 lo = { 0xffffffffu, 0xffffffffu };
	v2u64 a = { 0, 0 }, b = { 0, 0 };
	size_t done = 0;

	for (; len - done >= 32; done += 32) {
		v2u64 x, y;

		memcpy(&x, src + done, 16);
		memcpy(&y, src + done + 16, 16);
		if (dst != NULL) {
			memcpy(dst + done, &x, 16);
			memcpy(dst + done + 16, &y, 16);
		}
		a += (x & lo) + (y & lo);
		b += (x >> 32) + (y >> 32);
	}
	*acc += a[0] + a[1] + b[0] + b[1];
	return done;
}

static uint64_t
sum_add(uint64_t acc, const uint8_t *p, size_t len)
{
	uint32_t w[4];
	size_t bulk = sum_bulk(&acc, NULL, p, len);

	p += bulk;
	len -= bulk;
	while (len >= 4) {
		memcpy(w, p, 4);
		acc += w[0];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len > 0) {
		uint8_t b[2] = { p[0], 0 };
		uint16_t h;

		memcpy(&h, b, 2);
		acc += h;
	}
	return acc;
}

/* Folds to 16 bits, native order, not inverted. */
static uint16_t
sum_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The TCP pseudo-header of pkt (IPv4 or IPv6) for l4len bytes of TCP. */
static uint64_t
pseudo_sum(const uint8_t *pkt, uint32_t l4len)
{
	uint64_t acc;

	if ((pkt[0] >> 4) == 4)
		acc = sum_add(0, pkt + 12, 8);
	else
		acc = sum_add(0, pkt + 8, 32);
	acc += htons(PROTO_TCP);
	acc += htonl(l4len);
	return acc;
}

/* Copies len bytes from src to dst and adds them to acc, in one pass. */
static uint64_t
sum_copy(uint64_t acc, uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t bulk = sum_bulk(&acc, dst, src, len);

	memcpy(dst + bulk, src + bulk, len - bulk);
	return sum_add(acc, dst + bulk, len - bulk);
}

/* Stores a native-order checksum at p (two bytes, any alignment). */
static void
put_csum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, 2);
}

static void
ipv4_csum_set(uint8_t *ip, uint32_t ihl)
{
	ip[10] = ip[11] = 0;
	put_csum(ip + 10, (uint16_t)~sum_fold(sum_add(0, ip, ihl)));
}

bool
offload_tcp_csum_ok(const uint8_t *pkt, size_t len, uint16_t l4_off)
{
	uint64_t acc;

	if (len < (size_t)l4_off + TCP_HLEN)
		return false;
	acc = pseudo_sum(pkt, (uint32_t)(len - l4_off));
	acc = sum_add(acc, pkt + l4_off, len - l4_off);
	return sum_fold(acc) == 0xffff;
}

bool
offload_is_gso(const struct virtio_net_hdr *vh)
{
	return (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) !=
	    VIRTIO_NET_HDR_GSO_NONE;
}

enum offload_verdict
offload_csum_complete(const struct virtio_net_hdr *vh, uint8_t *pkt,
    size_t len)
{
	size_t start = vh->csum_start, off = vh->csum_offset;

	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return OFFLOAD_OK;
	if (start > len || off + 2 > len - start)
		return OFFLOAD_DROP_CSUM;
	/*
	 * The field holds the pseudo-header sum, so summing from
	 * csum_start with it in place gives the whole checksum.
	 */
	put_csum(pkt + start + off,
	    (uint16_t)~sum_fold(sum_add(0, pkt + start, len - start)));
	return OFFLOAD_OK;
}

/*
 * Parses the IP and TCP headers of pkt[0..len): IPv4 (any IHL, not a
 * fragment) or IPv6 without extension headers, carrying TCP. Sets the
 * TCP header offset and the length of both headers.
 */
static enum offload_verdict
tcp_headers(const uint8_t *pkt, size_t len, uint16_t *l4_off,
    uint16_t *hdr_len)
{
	uint32_t ihl, thl;

	if (len < 1)
		return OFFLOAD_DROP_HDR_LEN;
	if ((pkt[0] >> 4) == 4) {
		if (len < IPV4_HLEN)
			return OFFLOAD_DROP_HDR_LEN;
		ihl = (pkt[0] & 0x0fu) * 4;
		if (ihl < IPV4_HLEN)
			return OFFLOAD_DROP_HDR_LEN;
		if (pkt[9] != PROTO_TCP ||
		    (rd16(pkt + 6) & (IPV4_MF | IPV4_OFFMASK)))
			return OFFLOAD_DROP_GSO_TYPE;
	} else if ((pkt[0] >> 4) == 6) {
		if (len < IPV6_HLEN)
			return OFFLOAD_DROP_HDR_LEN;
		if (pkt[6] != PROTO_TCP)
			return OFFLOAD_DROP_GSO_TYPE;
		ihl = IPV6_HLEN;
	} else {
		return OFFLOAD_DROP_GSO_TYPE;
	}
	if (len < ihl + TCP_HLEN)
		return OFFLOAD_DROP_HDR_LEN;
	thl = (uint32_t)(pkt[ihl + 12] >> 4) * 4;
	if (thl < TCP_HLEN || len < ihl + thl)
		return OFFLOAD_DROP_HDR_LEN;
	*l4_off = (uint16_t)ihl;
	*hdr_len = (uint16_t)(ihl + thl);
	return OFFLOAD_OK;
}

enum offload_verdict
offload_tso_parse(const struct virtio_net_hdr *vh, const uint8_t *pkt,
    size_t len, struct offload_tso *t)
{
	uint8_t type = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	enum offload_verdict v;
	uint32_t payload;

	if (type != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    type != VIRTIO_NET_HDR_GSO_TCPV6)
		return OFFLOAD_DROP_GSO_TYPE;
	if (vh->gso_size == 0)
		return OFFLOAD_DROP_GSO_SIZE;
	if (len > 65535 || vh->hdr_len > len)
		return OFFLOAD_DROP_HDR_LEN;
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    ((size_t)vh->csum_start + vh->csum_offset + 2 > len))
		return OFFLOAD_DROP_CSUM;
	v = tcp_headers(pkt, len, &t->l4_off, &t->hdr_len);
	if (v != OFFLOAD_OK)
		return v;
	t->version = pkt[0] >> 4;
	if (t->version != (type == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : 6))
		return OFFLOAD_DROP_GSO_TYPE;
	/* We recompute the checksum, but a different start is nonsense. */
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (vh->csum_start != t->l4_off || vh->csum_offset != 16))
		return OFFLOAD_DROP_CSUM;
	t->pkt = pkt;
	t->len = (uint32_t)len;
	t->mss = vh->gso_size;
	payload = t->len - t->hdr_len;
	t->nseg = payload == 0 ? 1 : (payload + t->mss - 1) / t->mss;
	return OFFLOAD_OK;
}

uint32_t
offload_tso_seg_len(const struct offload_tso *t, uint32_t i)
{
	uint32_t payload = t->len - t->hdr_len, off = i * (uint32_t)t->mss;
	uint32_t n = payload - off < t->mss ? payload - off : t->mss;

	return t->hdr_len + (off < payload ? n : 0);
}

uint32_t
offload_tso_segment(const struct offload_tso *t, uint32_t i, uint8_t *out,
    size_t cap)
{
	uint32_t seglen, payload;
	uint8_t *tcp = out + t->l4_off;
	bool last = i + 1 == t->nseg;
	uint64_t acc;

	if (i >= t->nseg)
		return 0;
	seglen = offload_tso_seg_len(t, i);
	payload = seglen - t->hdr_len;
	if (cap < seglen)
		return 0;
	memcpy(out, t->pkt, t->hdr_len);
	if (t->version == 4) {
		wr16(out + 2, seglen);
		wr16(out + 4, rd16(t->pkt + 4) + i);
		ipv4_csum_set(out, t->l4_off);
	} else {
		wr16(out + 4, seglen - IPV6_HLEN);
	}
	wr32(tcp + 4, rd32(t->pkt + t->l4_off + 4) + i * (uint32_t)t->mss);
	if (!last)
		tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		tcp[13] &= (uint8_t)~TCP_CWR;
	tcp[16] = tcp[17] = 0;
	acc = pseudo_sum(out, seglen - t->l4_off);
	acc = sum_add(acc, tcp, t->hdr_len - t->l4_off);
	/* The payload starts at an even offset of the TCP header: whole. */
	acc = sum_copy(acc, out + t->hdr_len,
	    t->pkt + t->hdr_len + (size_t)i * t->mss, payload);
	put_csum(tcp + 16, (uint16_t)~sum_fold(acc));
	return seglen;
}

/*
 * The coalescer. A slot holds one flow's super-packet being built in buf
 * (virtio_net_hdr, then the packet); age orders the slots for eviction.
 */
struct gro_slot {
	bool used;
	bool closed;		/* a short or PSH segment ended it */
	uint8_t version;
	uint16_t l4_off, hdr_len;
	uint16_t mss;		/* payload of the first segment */
	uint32_t len;		/* packet bytes in buf after the vnet header */
	uint32_t next_seq;
	uint32_t nseg;
	uint64_t age;
	uint8_t *buf;
};

struct offload_gro {
	struct gro_slot slot[OFFLOAD_GRO_SLOTS];
	uint64_t clock;
	uint8_t *mem;
};

struct offload_gro *
offload_gro_new(void)
{
	struct offload_gro *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->mem = malloc((size_t)OFFLOAD_GRO_SLOTS * GRO_BUF);
	if (g->mem == NULL) {
		free(g);
		return NULL;
	}
	for (int i = 0; i < OFFLOAD_GRO_SLOTS; i++)
		g->slot[i].buf = g->mem + (size_t)i * GRO_BUF;
	return g;
}

void
offload_gro_destroy(struct offload_gro *g)
{
	if (g == NULL)
		return;
	free(g->mem);
	free(g);
}

/* Same addresses and ports: pkt and the slot's packet are one flow. */
static bool
same_flow(const struct gro_slot *s, const uint8_t *pkt, uint16_t l4_off)
{
	const uint8_t *h = s->buf + OFFLOAD_VNET_HLEN;

	if (s->version != pkt[0] >> 4 || s->l4_off != l4_off)
		return false;
	if (s->version == 4 && memcmp(h + 12, pkt + 12, 8) != 0)
		return false;
	if (s->version == 6 && memcmp(h + 8, pkt + 8, 32) != 0)
		return false;
	return memcmp(h + l4_off, pkt + l4_off, 4) == 0;
}

/*
 * Whether pkt[0..len), with headers at l4_off/hdr_len, may start or join
 * a super-packet at all: flags, IP header shape, a payload. Its checksum
 * is checked while it is copied in (copy_checked()).
 */
static bool
coalescable(const uint8_t *pkt, size_t len, uint16_t l4_off,
    uint16_t hdr_len)
{
	uint8_t flags = pkt[l4_off + 13];

	if (len <= hdr_len)
		return false;	/* pure ACKs and the like go as they are */
	if ((flags & ~(TCP_PSH | TCP_ECE)) != TCP_ACK)
		return false;
	if (pkt[0] >> 4 == 4) {
		if (l4_off != IPV4_HLEN || rd16(pkt + 2) != len ||
		    (rd16(pkt + 6) & ~IPV4_DF) != 0 ||
		    !(rd16(pkt + 6) & IPV4_DF))
			return false;
	} else if ((size_t)rd16(pkt + 4) + IPV6_HLEN != len) {
		return false;
	}
	return true;
}

/*
 * Copies pkt[from..len) to dst and says whether pkt's TCP checksum
 * (over [l4_off, len)) is good: the bytes before from are summed in
 * place, the rest as they are copied, one pass over the payload. from -
 * l4_off is even (a TCP header's length, or 0).
 */
static bool
copy_checked(uint8_t *dst, const uint8_t *pkt, size_t len, uint16_t l4_off,
    size_t from)
{
	uint64_t acc = pseudo_sum(pkt, (uint32_t)(len - l4_off));

	acc = sum_add(acc, pkt + l4_off, from - l4_off);
	acc = sum_copy(acc, dst, pkt + from, len - from);
	return sum_fold(acc) == 0xffff;
}

/* Whether pkt (same flow, coalescable) continues the slot's packet. */
static bool
continues(const struct gro_slot *s, const uint8_t *pkt, size_t len,
    uint16_t hdr_len)
{
	const uint8_t *h = s->buf + OFFLOAD_VNET_HLEN;
	const uint8_t *t = h + s->l4_off, *pt = pkt + s->l4_off;
	uint32_t payload = (uint32_t)(len - hdr_len);

	if (s->closed || hdr_len != s->hdr_len || payload > s->mss ||
	    s->nseg >= OFFLOAD_GRO_MAX_SEGS ||
	    s->len + payload > 65535 || rd32(pt + 4) != s->next_seq)
		return false;
	if (s->version == 4) {
		/* TOS, TTL and flags (DF) the same; IDs may do as they like. */
		if (h[1] != pkt[1] || h[8] != pkt[8] ||
		    rd16(h + 6) != rd16(pkt + 6))
			return false;
	} else {
		/* Traffic class, flow label, hop limit. */
		if (memcmp(h, pkt, 4) != 0 || h[7] != pkt[7])
			return false;
	}
	/* ACK, header length, flags but PSH (ours never has it), window. */
	if (rd32(t + 8) != rd32(pt + 8) || t[12] != pt[12] ||
	    (t[13] & ~TCP_PSH) != (pt[13] & ~TCP_PSH) ||
	    rd16(t + 14) != rd16(pt + 14))
		return false;
	/* Options (timestamps included) byte for byte, the kernel's rule. */
	return memcmp(t + TCP_HLEN, pt + TCP_HLEN,
	    (size_t)s->hdr_len - s->l4_off - TCP_HLEN) == 0;
}

static void
emit_slot(struct gro_slot *s, offload_emit_fn *emit, void *ctx)
{
	struct virtio_net_hdr vh;
	uint8_t *h = s->buf + OFFLOAD_VNET_HLEN, *tcp = h + s->l4_off;

	memset(&vh, 0, sizeof(vh));
	if (s->nseg > 1) {
		uint32_t l4len = s->len - s->l4_off;

		if (s->version == 4) {
			wr16(h + 2, s->len);
			ipv4_csum_set(h, s->l4_off);
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		} else {
			wr16(h + 4, s->len - IPV6_HLEN);
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		}
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.hdr_len = s->hdr_len;
		vh.gso_size = s->mss;
		vh.csum_start = s->l4_off;
		vh.csum_offset = 16;
		/* The partial checksum: the pseudo-header over all of it. */
		put_csum(tcp + 16, sum_fold(pseudo_sum(h, l4len)));
	}
	emit(ctx, &vh, h, s->len);
	s->used = false;
}

static struct gro_slot *
oldest(struct offload_gro *g, bool used)
{
	struct gro_slot *best = NULL;

	for (int i = 0; i < OFFLOAD_GRO_SLOTS; i++) {
		struct gro_slot *s = &g->slot[i];

		if (s->used != used)
			continue;
		if (!used)
			return s;
		if (best == NULL || s->age < best->age)
			best = s;
	}
	return best;
}

/* Starts s with pkt; false (s stays free) if pkt's checksum is bad. */
static bool
start(struct offload_gro *g, struct gro_slot *s, const uint8_t *pkt,
    size_t len, uint16_t l4_off, uint16_t hdr_len)
{
	uint8_t flags = pkt[l4_off + 13];

	memcpy(s->buf + OFFLOAD_VNET_HLEN, pkt, l4_off);
	if (!copy_checked(s->buf + OFFLOAD_VNET_HLEN + l4_off, pkt, len,
	    l4_off, l4_off))
		return false;
	s->used = true;
	s->closed = (flags & TCP_PSH) != 0;
	s->version = pkt[0] >> 4;
	s->l4_off = l4_off;
	s->hdr_len = hdr_len;
	s->mss = (uint16_t)(len - hdr_len);
	s->len = (uint32_t)len;
	s->next_seq = rd32(pkt + l4_off + 4) + s->mss;
	s->nseg = 1;
	s->age = ++g->clock;
	return true;
}

/*
 * Appends pkt's payload to s; false (s unchanged: the copy went past its
 * end) if pkt's checksum is bad.
 */
static bool
append(struct gro_slot *s, const uint8_t *pkt, size_t len, uint16_t hdr_len)
{
	uint8_t *tcp = s->buf + OFFLOAD_VNET_HLEN + s->l4_off;
	uint32_t payload = (uint32_t)(len - hdr_len);

	if (!copy_checked(s->buf + OFFLOAD_VNET_HLEN + s->len, pkt, len,
	    s->l4_off, hdr_len))
		return false;
	s->len += payload;
	s->next_seq += payload;
	s->nseg++;
	if (pkt[s->l4_off + 13] & TCP_PSH) {
		tcp[13] |= TCP_PSH;
		s->closed = true;
	}
	if (payload < s->mss)
		s->closed = true;
	return true;
}

static void
emit_plain(const uint8_t *pkt, size_t len, offload_emit_fn *emit, void *ctx)
{
	struct virtio_net_hdr vh;

	memset(&vh, 0, sizeof(vh));
	emit(ctx, &vh, pkt, len);
}

void
offload_gro_add(struct offload_gro *g, const uint8_t *pkt, size_t len,
    offload_emit_fn *emit, void *ctx)
{
	struct gro_slot *s = NULL;
	uint16_t l4_off, hdr_len;
	bool ok;

	if (len > 65535 ||
	    tcp_headers(pkt, len, &l4_off, &hdr_len) != OFFLOAD_OK) {
		emit_plain(pkt, len, emit, ctx);
		return;
	}
	for (int i = 0; i < OFFLOAD_GRO_SLOTS; i++) {
		if (g->slot[i].used && same_flow(&g->slot[i], pkt, l4_off)) {
			s = &g->slot[i];
			break;
		}
	}
	ok = coalescable(pkt, len, l4_off, hdr_len);
	if (s != NULL && ok && continues(s, pkt, len, hdr_len) &&
	    append(s, pkt, len, hdr_len))
		return;
	/*
	 * What the flow held goes first, to keep its order. A packet with a
	 * bad checksum goes as it is, for the kernel to drop.
	 */
	if (s != NULL)
		emit_slot(s, emit, ctx);
	if (!ok) {
		emit_plain(pkt, len, emit, ctx);
		return;
	}
	if (s == NULL && (s = oldest(g, false)) == NULL) {
		s = oldest(g, true);
		emit_slot(s, emit, ctx);
	}
	if (!start(g, s, pkt, len, l4_off, hdr_len))
		emit_plain(pkt, len, emit, ctx);
}

void
offload_gro_flush(struct offload_gro *g, offload_emit_fn *emit, void *ctx)
{
	struct gro_slot *s;

	while ((s = oldest(g, true)) != NULL)
		emit_slot(s, emit, ctx);
}
