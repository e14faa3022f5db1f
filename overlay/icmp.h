/*
 * icmp.h - the Internet checksum, and the ICMP/ICMPv6 errors sluiced sends
 * back to a pod as a router would: "fragmentation needed" / "packet too
 * big" for path MTU discovery, "host unreachable" when no node owns the
 * destination, "administratively prohibited" when policy denies a flow.
 *
 * Pure functions over caller-supplied buffers; nothing is allocated.
 */
#ifndef SLUICE_OVERLAY_ICMP_H
#define SLUICE_OVERLAY_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "overlay/ip.h"

/*
 * Adds data[0..len) to sum as RFC 1071 ones'-complement arithmetic and
 * returns the result folded into 16 bits, NOT inverted, so that sums can be
 * chained: the pseudo-header, then the header, then the payload.
 *
 * Words are read in network byte order and the sum is a host-order number:
 * to add a 16-bit field that is not in a buffer (a protocol number, a
 * length), add its host-order value to sum. A trailing odd byte counts as
 * the high byte of a word whose low byte is zero, so in a chain every piece
 * but the last must have an even length. sum may be any value (it is
 * folded too); start a fresh sum from 0.
 */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);

/*
 * Folds sum into 16 bits and inverts it: the checksum to store, as a
 * host-order number. Store it big-endian (p[0] = c >> 8, p[1] = c & 0xff,
 * or htons()) into a checksum field that was zero while summing. A packet
 * verifies when the sum over it, checksum included, folds to 0xffff.
 */
uint16_t inet_csum_fold(uint32_t sum);

/* The errors icmp_error_build() makes. */
enum icmp_err {
	ICMP_ERR_TOO_BIG,		/* v4 3/4 with next-hop MTU; v6 2/0 */
	ICMP_ERR_HOST_UNREACH,		/* v4 3/1; v6 1/3 address unreachable */
	ICMP_ERR_ADMIN_PROHIBITED,	/* v4 3/13; v6 1/1 */
};

/*
 * Largest packet icmp_error_build() makes: the whole error stays within
 * what every link carries, 576 bytes for IPv4 (RFC 1812 §4.3.2.3) and 1280
 * for IPv6 (RFC 4443 §2.4(c)). A buffer of ICMP_ERR_MAX_LEN always does.
 */
#define ICMP_ERR_MAX_LEN_V4 576
#define ICMP_ERR_MAX_LEN_V6 1280
#define ICMP_ERR_MAX_LEN ICMP_ERR_MAX_LEN_V6

/*
 * Builds in out[0..cap) a complete IP packet carrying the ICMP (IPv4) or
 * ICMPv6 error a router sends back for the packet orig[0..orig_len), which
 * ip_parse() parsed into *oi; out must not overlap orig, which is only read
 * and may be freed on return. Source `from`, destination orig's source,
 * TTL/hop limit 64. IPv4: no options, DSCP CS6 (RFC 1812 §4.3.2.5), DF
 * set with ID 0 (an atomic datagram, RFC 6864: at most 576 bytes never
 * needs fragmenting). IPv6: traffic class and flow label 0. The ICMP
 * payload quotes orig from its first byte, as much as fits the size above,
 * and never orig's padding past oi->tot_len. Both the IPv4 header checksum
 * and the ICMP/ICMPv6 checksum (with the pseudo-header) are set.
 *
 * mtu goes into ICMP_ERR_TOO_BIG (the next-hop MTU, at most 0xffff for
 * IPv4) and is ignored otherwise. Whether an error is due at all (DF set
 * and the packet too big, no route) is the caller's call; this function
 * only refuses what the RFCs forbid.
 *
 * Returns the packet length, or:
 * -EINVAL  no error may be sent for orig (RFC 1122 §3.2.2, RFC 4443
 *          §2.4(e)): it is an ICMP error (or an ICMPv6 redirect), a
 *          non-first fragment, its source is unspecified, loopback,
 *          multicast or (IPv4) 0/8, class E or broadcast, its destination
 *          is multicast or broadcast (IPv6: except for "packet too big",
 *          which RFC 4443 §2.4(e.3) allows for multicast path MTU
 *          discovery); or `from` is not of orig's family, kind is unknown,
 *          the IPv4 MTU exceeds 0xffff, or *oi is not an IPv4/IPv6 packet.
 * -ENOSPC  cap is less than the packet length (at most ICMP_ERR_MAX_LEN).
 */
int icmp_error_build(enum icmp_err kind, uint32_t mtu,
    const struct ip_info *oi, const uint8_t *orig, size_t orig_len,
    const struct sluice_addr *from, uint8_t *out, size_t cap);

#endif
