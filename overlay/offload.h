/*
 * offload.h - TCP segmentation and coalescing for the TUN device's
 * virtio-net offloads (IFF_VNET_HDR with TUN_F_CSUM, TUN_F_TSO4/6).
 *
 * With offloads on, every TUN read and write starts with a struct
 * virtio_net_hdr. A read may return a TCP "super-packet" of up to 64 KiB
 * that the kernel expects us to cut into MSS-sized segments (the VXLAN
 * path carries plain packets, so the peer - ours or a kernel VTEP - gets
 * complete ones). A write may carry one super-packet built from
 * consecutive segments of one flow, which the kernel delivers to the pod
 * as one skb: one write instead of dozens.
 *
 * Everything here is a pure function over caller-supplied buffers; the
 * coalescer owns scratch allocated once by offload_gro_new(). Nothing is
 * allocated per packet. The virtio_net_hdr fields are in the host's byte
 * order (a TUN device on a little-endian host, or TUNSETVNETLE).
 */
#ifndef SLUICE_OVERLAY_OFFLOAD_H
#define SLUICE_OVERLAY_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFFLOAD_VNET_HLEN sizeof(struct virtio_net_hdr)	/* 10 */
/* Segments one coalesced super-packet may hold (the kernel's GRO limit). */
#define OFFLOAD_GRO_MAX_SEGS 64
/* Flows the coalescer holds open at once; the oldest goes out first. */
#define OFFLOAD_GRO_SLOTS 8

/* Why a virtio_net_hdr was refused; OFFLOAD_OK means it was not. */
enum offload_verdict {
	OFFLOAD_OK = 0,
	/*
	 * gso_type unknown (only TCPV4 and TCPV6 are requested), or not the
	 * packet's IP version, or the packet is not TCP over plain IPv4 or
	 * IPv6 without extension headers.
	 */
	OFFLOAD_DROP_GSO_TYPE,
	OFFLOAD_DROP_GSO_SIZE,	/* gso_size 0 on a GSO packet */
	/*
	 * hdr_len beyond the packet, or the IP/TCP headers (which we read
	 * ourselves and do not take from hdr_len) are.
	 */
	OFFLOAD_DROP_HDR_LEN,
	/*
	 * NEEDS_CSUM with csum_start/csum_offset pointing past the packet,
	 * or a GSO packet whose csum_start is not its TCP header.
	 */
	OFFLOAD_DROP_CSUM,
	OFFLOAD_DROP__COUNT
};

/* "offload_gso_type", ...; OFFLOAD_OK is "offload_ok". Never NULL. */
const char *offload_drop_name(enum offload_verdict v);

/* True if vh describes a GSO super-packet (gso_type not NONE). */
bool offload_is_gso(const struct virtio_net_hdr *vh);

/*
 * A non-GSO packet pkt[0..len) read with header *vh: if vh asks for it
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM), completes the checksum the kernel left
 * partial, the ones' complement sum of pkt[csum_start..len) stored at
 * csum_start + csum_offset (which holds the pseudo-header sum on entry).
 * Returns OFFLOAD_OK, or OFFLOAD_DROP_CSUM with pkt unchanged.
 */
enum offload_verdict offload_csum_complete(const struct virtio_net_hdr *vh,
    uint8_t *pkt, size_t len);

/* A validated TCP super-packet; pkt is borrowed from the caller. */
struct offload_tso {
	const uint8_t *pkt;
	uint32_t len;
	uint8_t version;	/* 4 or 6 */
	uint16_t l4_off;	/* TCP header */
	uint16_t hdr_len;	/* IP + TCP headers with options */
	uint16_t mss;		/* payload bytes per segment */
	uint32_t nseg;		/* segments it makes, at least 1 */
};

/*
 * Checks the GSO super-packet pkt[0..len) read with header *vh and fills
 * *t. The headers are parsed from the packet; vh's hdr_len is only
 * bounds-checked (the kernel's value is not always the full header
 * length). Returns OFFLOAD_OK or why the packet must be dropped.
 */
enum offload_verdict offload_tso_parse(const struct virtio_net_hdr *vh,
    const uint8_t *pkt, size_t len, struct offload_tso *t);

/* Length of segment i (< t->nseg) of *t. */
uint32_t offload_tso_seg_len(const struct offload_tso *t, uint32_t i);

/*
 * Writes segment i (< t->nseg) of *t into out[0..cap) as a complete IP
 * packet: IPv4 total length, ID + i and header checksum, or IPv6 payload
 * length; TCP sequence number + i * mss, FIN and PSH only on the last
 * segment, CWR only on the first, and the full TCP checksum. Returns its
 * length, or 0 if cap is too small.
 */
uint32_t offload_tso_segment(const struct offload_tso *t, uint32_t i,
    uint8_t *out, size_t cap);

/*
 * The coalescer, for the receive path: IP packets offered one by one
 * (decapsulated from one recvmmsg() batch) come out as they went in,
 * except that consecutive TCP segments of one flow (same addresses and
 * ports; contiguous sequence numbers; the same ACK, window, TCP options,
 * TOS/traffic class and TTL; DF set; flags exactly ACK (ECE and a PSH on
 * the last one allowed); IPv4 without options, IPv6 without extension
 * headers; a valid TCP checksum; every segment but the last of the
 * first's size) are joined into one super-packet with a GSO
 * virtio_net_hdr (NEEDS_CSUM, the pseudo-header sum in the TCP checksum
 * field). Packets of one flow keep their order; flows may interleave.
 */
struct offload_gro;

/*
 * What the coalescer hands back: *vh and pkt[0..len), borrowed for the
 * duration of the call. A plain packet has a zeroed vh.
 */
typedef void offload_emit_fn(void *ctx, const struct virtio_net_hdr *vh,
    const uint8_t *pkt, size_t len);

/* Allocates the coalescer and its scratch (OFFLOAD_GRO_SLOTS x 64 KiB). */
struct offload_gro *offload_gro_new(void);
/* Frees it; anything still held is lost. Accepts NULL. */
void offload_gro_destroy(struct offload_gro *g);

/*
 * Offers the IP packet pkt[0..len), which is copied or emitted before the
 * call returns (pkt is only read). Anything emitted goes to emit(ctx, ...)
 * during the call: earlier held packets, then possibly pkt itself.
 */
void offload_gro_add(struct offload_gro *g, const uint8_t *pkt, size_t len,
    offload_emit_fn *emit, void *ctx);

/* Emits everything held, oldest first: call at the end of a batch. */
void offload_gro_flush(struct offload_gro *g, offload_emit_fn *emit,
    void *ctx);

/*
 * The Internet checksum of a TCP packet pkt[0..len) (IPv4 or IPv6, TCP at
 * l4_off, nothing but TCP after the IP header), pseudo-header included:
 * true when the checksum in the packet is right. For the tests and for
 * the coalescer.
 */
bool offload_tcp_csum_ok(const uint8_t *pkt, size_t len, uint16_t l4_off);

#endif
