/*
 * ip.h - validation and parsing of the inner (pod) IP packets, IPv4 and
 * IPv6, as they come from the TUN device or out of a VXLAN frame.
 *
 * ip_parse() is a pure function over a buffer: it reads nothing past the
 * length it is given and allocates nothing. Its verdict says whether the
 * packet may travel on; a bad packet is a drop with a reason, never an
 * error return (STYLE.md §4).
 */
#ifndef SLUICE_OVERLAY_IP_H
#define SLUICE_OVERLAY_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

/*
 * Extension headers ip_parse() walks before it gives up on an IPv6 packet
 * (IP_DROP_EXTHDR). A real chain (hop-by-hop, destination options,
 * routing, fragment, destination options) has at most five; the bound
 * keeps a hostile chain of empty headers from costing more than a few
 * dozen bytes of reading.
 */
#define IP6_MAX_EXTHDRS 8

/* Why ip_parse() refused a packet; IP_OK means it did not. */
enum ip_verdict {
	IP_OK = 0,
	/*
	 * Shorter than its headers: the fixed IPv4/IPv6 header, the IPv4
	 * header length, or the L4 header (TCP 20, UDP 8, SCTP 12,
	 * ICMP/ICMPv6 8 bytes) of an unfragmented packet or a first
	 * fragment. A first fragment without its whole L4 header is how
	 * filters are evaded (RFC 1858, RFC 7112), so it is no fragment we
	 * pass on.
	 */
	IP_DROP_SHORT,
	IP_DROP_VERSION,	/* neither 4 nor 6 */
	IP_DROP_HDRLEN,		/* IPv4 IHL below 5 */
	/*
	 * The declared length is below the header length (IPv4), announces
	 * an IPv6 jumbogram (payload length 0 and a hop-by-hop header,
	 * RFC 2675: more than we carry) or is beyond the bytes present.
	 */
	IP_DROP_TOTLEN,
	IP_DROP_CSUM,		/* IPv4 header checksum */
	/*
	 * IPv6 extension headers: one runs past the packet, more than
	 * IP6_MAX_EXTHDRS, a hop-by-hop header not right after the IPv6
	 * header (RFC 8200 §4.1), or a second fragment header.
	 */
	IP_DROP_EXTHDR,
	IP_DROP__COUNT
};

/*
 * A stable snake_case name for counters and logs ("ip_short", ...; IP_OK
 * is "ip_ok"). Out-of-range values give "ip_unknown", never NULL.
 */
const char *ip_drop_name(enum ip_verdict v);

/*
 * What ip_parse() learnt about a packet. Offsets count from the first byte
 * of the IP header. Fields that do not apply to the packet are zero.
 */
struct ip_info {
	uint8_t version;	/* 4 or 6 */
	uint8_t proto;		/* L4 protocol, after IPv6 extension headers */
	uint8_t ttl;		/* TTL / hop limit */
	struct sluice_addr src, dst;	/* network byte order */
	/*
	 * Offset of the L4 header. In a non-first IPv6 fragment, the
	 * offset of the fragment's payload after the fragment header, and
	 * proto is the fragment header's next header.
	 */
	uint16_t l4_off;
	uint32_t tot_len;	/* packet length the header declares */
	bool df;		/* IPv4 DF; IPv6 true: routers never fragment */
	bool fragment;		/* any fragment (MF set or offset non-zero) */
	bool first_fragment;	/* offset 0 (or not a fragment) */
	/*
	 * sport/dport valid: TCP, UDP or SCTP in an unfragmented packet or
	 * a first fragment (whose L4 header is then always present).
	 */
	bool has_ports;
	/*
	 * Host byte order. ICMP/ICMPv6 echo request and reply: the
	 * identifier is in sport and dport is 0, with has_ports false.
	 */
	uint16_t sport, dport;
	/*
	 * ICMP or ICMPv6 (the protocol of the packet's own family) in an
	 * unfragmented packet or first fragment: type and code, and whether
	 * it is an error message (IPv4: RFC 1122 §3.2.2 types 3, 4, 5, 11,
	 * 12; IPv6: types below 128, RFC 4443 §2.1).
	 */
	bool is_icmp_error;
	uint8_t icmp_type, icmp_code;
};

/*
 * Validates the packet at data[0..len) and parses it into *out. Never reads
 * past len and never beyond the declared length: bytes after tot_len
 * (which must be <= len) are link padding, which the caller may trim.
 * Verifies the IPv4 header checksum; IPv4 options are skipped unread. For
 * IPv6, walks hop-by-hop, routing, destination options and fragment
 * headers (at most IP6_MAX_EXTHDRS); ESP, AH, no-next-header and anything
 * unknown end the walk with proto set to it. L4 headers are read only in
 * unfragmented packets and first fragments; L4 checksums are not checked
 * (the receiving host does that).
 *
 * Returns IP_OK with *out filled, or the reason for the drop with *out in
 * an unspecified state.
 */
enum ip_verdict ip_parse(const uint8_t *data, size_t len, struct ip_info *out);

#endif
