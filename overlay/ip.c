#include "overlay/ip.h"

#include <string.h>
#include <sys/socket.h>

#include "overlay/icmp.h"
#include "overlay/bytes.h"

#define IPV4_HLEN 20
#define IPV6_HLEN 40

#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

/* IANA protocol numbers this file looks at. */
enum {
	PROTO_HOPOPTS = 0,
	PROTO_ICMP = 1,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	PROTO_ROUTING = 43,
	PROTO_FRAGMENT = 44,
	PROTO_ICMPV6 = 58,
	PROTO_DSTOPTS = 60,
	PROTO_SCTP = 132,
};

static const char *const drop_names[IP_DROP__COUNT] = {
	[IP_OK] = "ip_ok",
	[IP_DROP_SHORT] = "ip_short",
	[IP_DROP_VERSION] = "ip_version",
	[IP_DROP_HDRLEN] = "ip_hdrlen",
	[IP_DROP_TOTLEN] = "ip_totlen",
	[IP_DROP_CSUM] = "ip_csum",
	[IP_DROP_EXTHDR] = "ip_exthdr",
};

const char *
ip_drop_name(enum ip_verdict v)
{
	return (unsigned)v < IP_DROP__COUNT ? drop_names[v] : "ip_unknown";
}

/*
 * The L4 header at data[off..end) of an unfragmented packet or a first
 * fragment: ports, or ICMP type and code. Anything too short for the
 * fixed header of its protocol is dropped (see IP_DROP_SHORT).
 */
static enum ip_verdict
parse_l4(const uint8_t *data, size_t off, size_t end, struct ip_info *out)
{
	uint8_t icmp = out->version == 4 ? PROTO_ICMP : PROTO_ICMPV6;
	size_t need;
	enum ip_verdict v = IP_OK;

	switch (out->proto) {
	case PROTO_TCP:
		need = 20;
		break;
	case PROTO_UDP:
		need = 8;
		break;
	case PROTO_SCTP:
		need = 12;
		break;
	default:
		/* Every ICMP message has type, code, checksum and 4 more. */
		need = out->proto == icmp ? 8 : 0;
		break;
	}
	if (end - off < need) {
		v = IP_DROP_SHORT;
		goto out;
	}
	if (need == 0)
		goto out;

	if (out->proto != icmp) {
		out->has_ports = true;
		out->sport = rd16(data + off);
		out->dport = rd16(data + off + 2);
		goto out;
	}
	out->icmp_type = data[off];
	out->icmp_code = data[off + 1];
	if (out->version == 4) {
		switch (out->icmp_type) {
		case 3:		/* destination unreachable */
		case 4:		/* source quench */
		case 5:		/* redirect */
		case 11:	/* time exceeded */
		case 12:	/* parameter problem */
			out->is_icmp_error = true;
			break;
		case 0:		/* echo reply */
		case 8:		/* echo request */
			out->sport = rd16(data + off + 4);
			break;
		}
	} else {
		if (out->icmp_type < 128)
			out->is_icmp_error = true;
		else if (out->icmp_type == 128 || out->icmp_type == 129)
			out->sport = rd16(data + off + 4);
	}
out:
	return v;
}

static enum ip_verdict
parse_v4(const uint8_t *data, size_t len, struct ip_info *out)
{
	size_t hlen;
	uint16_t frag;
	enum ip_verdict v;

	if (len < IPV4_HLEN) {
		v = IP_DROP_SHORT;
		goto out;
	}
	hlen = (size_t)(data[0] & 0x0f) * 4;
	if (hlen < IPV4_HLEN) {
		v = IP_DROP_HDRLEN;
		goto out;
	}
	if (hlen > len) {
		v = IP_DROP_SHORT;
		goto out;
	}
	/*
	 * The checksum goes before the length checks: tot_len is one of the
	 * fields it covers, and a corrupt header is best counted as that.
	 */
	if (inet_csum_add(0, data, hlen) != 0xffff) {
		v = IP_DROP_CSUM;
		goto out;
	}
	out->tot_len = rd16(data + 2);
	if (out->tot_len < hlen || out->tot_len > len) {
		v = IP_DROP_TOTLEN;
		goto out;
	}

	out->version = 4;
	out->ttl = data[8];
	out->proto = data[9];
	out->src.family = AF_INET;
	memcpy(&out->src.u.v4, data + 12, 4);
	out->dst.family = AF_INET;
	memcpy(&out->dst.u.v4, data + 16, 4);
	out->l4_off = (uint16_t)hlen;

	/* The reserved ("evil") bit is ignored, as hosts do. */
	frag = rd16(data + 6);
	out->df = (frag & IPV4_DF) != 0;
	out->fragment = (frag & (IPV4_MF | IPV4_OFFMASK)) != 0;
	out->first_fragment = (frag & IPV4_OFFMASK) == 0;

	v = IP_OK;
	if (out->first_fragment)
		v = parse_l4(data, hlen, out->tot_len, out);
out:
	return v;
}

/*
 * Walks the extension headers from data[IPV6_HLEN] up to the upper-layer
 * header, within data[0..end). Leaves proto and l4_off at the first header
 * that is not hop-by-hop, routing, destination options or fragment, or at
 * the payload of a non-first fragment (whose later headers are elsewhere).
 */
static enum ip_verdict
walk_v6(const uint8_t *data, size_t end, struct ip_info *out)
{
	size_t off = IPV6_HLEN, hlen;
	uint8_t next = data[6];
	bool seen_frag = false;
	enum ip_verdict v = IP_OK;

	for (unsigned n = 0;; n++) {
		if (next != PROTO_HOPOPTS && next != PROTO_ROUTING &&
		    next != PROTO_DSTOPTS && next != PROTO_FRAGMENT)
			break;
		if (n == IP6_MAX_EXTHDRS ||
		    (next == PROTO_HOPOPTS && off != IPV6_HLEN) ||
		    (next == PROTO_FRAGMENT && seen_frag) ||
		    end - off < 8) {
			v = IP_DROP_EXTHDR;
			goto out;
		}
		if (next == PROTO_FRAGMENT) {
			uint16_t frag = rd16(data + off + 2);

			seen_frag = true;
			/* An atomic fragment (RFC 6946) is no fragment. */
			out->fragment = (frag & 0xfff9) != 0;
			out->first_fragment = (frag & 0xfff8) == 0;
			hlen = 8;
		} else {
			hlen = ((size_t)data[off + 1] + 1) * 8;
			if (end - off < hlen) {
				v = IP_DROP_EXTHDR;
				goto out;
			}
		}
		next = data[off];
		off += hlen;
		if (!out->first_fragment)
			break;
	}
out:
	out->proto = next;
	/* At most 40 + IP6_MAX_EXTHDRS * 2048 bytes: it fits. */
	out->l4_off = (uint16_t)off;
	return v;
}

static enum ip_verdict
parse_v6(const uint8_t *data, size_t len, struct ip_info *out)
{
	enum ip_verdict v;

	if (len < IPV6_HLEN) {
		v = IP_DROP_SHORT;
		goto out;
	}
	out->tot_len = IPV6_HLEN + (uint32_t)rd16(data + 4);
	if (out->tot_len == IPV6_HLEN && data[6] == PROTO_HOPOPTS) {
		/* A jumbogram (RFC 2675): more than we ever carry. */
		v = IP_DROP_TOTLEN;
		goto out;
	}
	if (out->tot_len > len) {
		v = IP_DROP_TOTLEN;
		goto out;
	}

	out->version = 6;
	out->ttl = data[7];
	out->src.family = AF_INET6;
	memcpy(&out->src.u.v6, data + 8, 16);
	out->dst.family = AF_INET6;
	memcpy(&out->dst.u.v6, data + 24, 16);
	out->df = true;
	out->first_fragment = true;

	v = walk_v6(data, out->tot_len, out);
	if (v == IP_OK && out->first_fragment)
		v = parse_l4(data, out->l4_off, out->tot_len, out);
out:
	return v;
}

enum ip_verdict
ip_parse(const uint8_t *data, size_t len, struct ip_info *out)
{
	enum ip_verdict v;

	memset(out, 0, sizeof(*out));
	if (len < 1) {
		v = IP_DROP_SHORT;
		goto out;
	}
	switch (data[0] >> 4) {
	case 4:
		v = parse_v4(data, len, out);
		break;
	case 6:
		v = parse_v6(data, len, out);
		break;
	default:
		v = IP_DROP_VERSION;
		break;
	}
out:
	return v;
}
