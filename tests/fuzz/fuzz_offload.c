/*
 * fuzz_offload.c - the TUN offload parsers (overlay/offload.c): what the
 * kernel hands sluiced with a virtio_net_hdr, and the receive coalescer.
 *
 * Input: a virtio_net_hdr (OFFLOAD_VNET_HLEN bytes) then a packet, as a
 * TUN read returns them. Checks:
 *  - offload_tso_parse() accepts only what it can cut: every segment of
 *    an accepted super-packet fits its announced length, parses as IP,
 *    and has a correct TCP checksum;
 *  - the segments, offered to the coalescer, come back out (nothing is
 *    held after a flush) and every emitted packet parses as IP;
 *  - offload_csum_complete() never writes outside the packet;
 *  - the raw packet offered to the coalescer comes out, whatever it is.
 * Seeds: tests/fuzz/corpus/fuzz_offload/ (hand-made TSO and plain reads).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/ip.h"
#include "overlay/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t seg[65536];
static uint8_t copy[65536];
static size_t emitted, emitted_bytes;

static void
on_emit(void *ctx, const struct virtio_net_hdr *vh, const uint8_t *pkt,
    size_t len)
{
	struct ip_info ii;

	(void)ctx;
	emitted++;
	emitted_bytes += len;
	/* A coalesced super-packet or a plain packet: its header must parse
	 * (a super-packet's total length may say 0 for IPv6 jumbo: skip). */
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE &&
	    ip_parse(pkt, len, &ii) != IP_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct offload_gro *gro;
	struct virtio_net_hdr vh;
	struct offload_tso t;
	size_t len, offered = 0;

	if (gro == NULL && (gro = offload_gro_new()) == NULL)
		abort();
	if (size < OFFLOAD_VNET_HLEN || size - OFFLOAD_VNET_HLEN > sizeof(copy))
		return 0;
	memcpy(&vh, data, sizeof(vh));
	len = size - OFFLOAD_VNET_HLEN;
	memcpy(copy, data + OFFLOAD_VNET_HLEN, len);

	emitted = 0;
	if (offload_is_gso(&vh)) {
		if (offload_tso_parse(&vh, copy, len, &t) == OFFLOAD_OK) {
			if (t.nseg == 0)
				abort();
			for (uint32_t i = 0; i < t.nseg; i++) {
				uint32_t want = offload_tso_seg_len(&t, i);
				uint32_t n = offload_tso_segment(&t, i, seg,
				    sizeof(seg));
				struct ip_info ii;

				if (n != want || n == 0)
					abort();
				if (ip_parse(seg, n, &ii) != IP_OK ||
				    ii.proto != 6 ||
				    !offload_tcp_csum_ok(seg, n, ii.l4_off))
					abort();
				offload_gro_add(gro, seg, n, on_emit, NULL);
				offered++;
			}
		}
	} else {
		/* csum_complete must stay inside copy[0..len). */
		(void)offload_csum_complete(&vh, copy, len);
		offload_gro_add(gro, copy, len, on_emit, NULL);
		offered++;
	}
	offload_gro_flush(gro, on_emit, NULL);
	/* Everything offered came out, coalesced or not. */
	if (offered > 0 && emitted == 0)
		abort();
	return 0;
}
