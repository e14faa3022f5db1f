/*
 * xlate.h - rewriting IPv4 packets for NAT: addresses, ports and ICMP
 * echo identifiers, with incremental checksum updates (RFC 1624) of the
 * IPv4 header, the TCP/UDP pseudo-header and ports, and the ICMP
 * checksum; and ICMP errors that quote a translated packet, whose quoted
 * header is translated back too. Pure functions over a buffer; no I/O.
 *
 * Each function takes the packet as ip_parse() (overlay/ip.h) parsed it
 * and touches nothing past ii->tot_len.
 */
#ifndef SLUICE_NAT_XLATE_H
#define SLUICE_NAT_XLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "overlay/ip.h"

/*
 * The flow key of a packet NAT can translate: TCP or UDP (ports), ICMP
 * echo request/reply (id in sport, dport 0). Fragments and anything else
 * are not translatable (false).
 */
struct xlate_key {
	uint8_t proto;
	uint32_t src, dst;	/* network order */
	uint16_t sport, dport;	/* host order */
	uint8_t tcp_flags;	/* TCP only */
	bool echo_reply;	/* ICMP: a reply (else a request) */
};
bool xlate_key_of(const uint8_t *pkt, const struct ip_info *ii,
    struct xlate_key *k);

/*
 * Rewrites the source (addr, port or echo id) of a translatable packet,
 * or its destination; checksums follow. addr is network order, port host
 * order.
 */
void xlate_src(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port);
void xlate_dst(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port);

/*
 * The same for a TCP super-packet whose checksum the kernel left partial
 * (virtio-net NEEDS_CSUM: the field holds the folded pseudo-header sum,
 * not inverted, and the sum over the segment is added when it is cut):
 * the field follows the addresses only, since the ports are summed
 * later with the rest of the header.
 */
void xlate_src_partial(uint8_t *pkt, const struct ip_info *ii,
    uint32_t addr, uint16_t port);
void xlate_dst_partial(uint8_t *pkt, const struct ip_info *ii,
    uint32_t addr, uint16_t port);

/*
 * An ICMP error (destination unreachable, time exceeded, parameter
 * problem) quoting a packet: the quote's key as it was sent (its source
 * is the translated address and port), read from the quoted IPv4 header
 * and the first 8 bytes after it. false if the quote is not a TCP, UDP
 * or ICMP echo packet with a whole IPv4 header and 8 bytes of L4.
 */
bool xlate_icmp_quote(const uint8_t *pkt, const struct ip_info *ii,
    struct xlate_key *q);

/*
 * Translates an ICMP error for a translated flow back: the outer
 * destination becomes addr, the quoted packet's source addr:port. The
 * quoted IPv4 header checksum, the quoted L4 checksum (when the quote
 * holds it) and the ICMP checksum are updated, then the outer header's.
 */
void xlate_icmp_error(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port);

/*
 * RFC 1624 eqn. 3: updates the checksum at sum (2 bytes, network order)
 * for n bytes (even) at the same place changing from old to new.
 */
void xlate_csum_adjust(uint8_t *sum, const uint8_t *old, const uint8_t *new,
    size_t n);

#endif
