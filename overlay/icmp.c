#include "overlay/icmp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "overlay/bytes.h"

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define ICMP_HLEN 8

#define PROTO_ICMP 1
#define PROTO_ICMPV6 58
#define ICMPV6_REDIRECT 137

/* RFC 1812 §4.3.2.5: errors go out with precedence 6, i.e. DSCP CS6. */
#define IPV4_TOS_CS6 0xc0
#define IPV4_DF 0x4000
#define ERR_TTL 64

static uint32_t
fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

uint32_t
inet_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	/*
	 * 64 bits hold 2^48 words before they overflow, so the carries can
	 * wait until the end.
	 */
	for (; len >= 2; p += 2, len -= 2)
		acc += (uint32_t)(p[0] << 8 | p[1]);
	if (len > 0)
		acc += (uint32_t)p[0] << 8;
	return fold(acc);
}

uint16_t
inet_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold(sum);
}

/* RFC 1122 §3.2.2: a source that does not name a single host. */
static bool
v4_src_forbidden(const uint8_t *a)
{
	/*
	 * 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4
	 * class E, which holds the limited broadcast 255.255.255.255.
	 */
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

static bool
v4_dst_forbidden(const uint8_t *a)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	/* Directed broadcasts need the prefix length; the router checks. */
	return (a[0] & 0xf0) == 224 || memcmp(a, bcast, 4) == 0;
}

/* RFC 4443 §2.4(e.6): unspecified, loopback (RFC 4291 §2.5.3), multicast. */
static bool
v6_src_forbidden(const uint8_t *a)
{
	static const uint8_t zero[15];

	return a[0] == 0xff ||
	    (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1));
}

static int
build_v4(enum icmp_err kind, uint32_t mtu, const struct ip_info *oi,
    const uint8_t *orig, size_t qlen, const struct sluice_addr *from,
    uint8_t *out, size_t cap)
{
	static const uint8_t codes[] = {
		[ICMP_ERR_TOO_BIG] = 4,
		[ICMP_ERR_HOST_UNREACH] = 1,
		[ICMP_ERR_ADMIN_PROHIBITED] = 13,
	};
	uint8_t *icmp;
	size_t total;
	int rc;

	if (from->family != AF_INET ||
	    (kind == ICMP_ERR_TOO_BIG && mtu > 0xffff) ||
	    v4_src_forbidden(oi->src.u.b) || v4_dst_forbidden(oi->dst.u.b) ||
	    oi->is_icmp_error) {
		rc = -EINVAL;
		goto out;
	}
	if (qlen > ICMP_ERR_MAX_LEN_V4 - IPV4_HLEN - ICMP_HLEN)
		qlen = ICMP_ERR_MAX_LEN_V4 - IPV4_HLEN - ICMP_HLEN;
	total = IPV4_HLEN + ICMP_HLEN + qlen;
	if (cap < total) {
		rc = -ENOSPC;
		goto out;
	}

	icmp = out + IPV4_HLEN;
	memset(out, 0, IPV4_HLEN + ICMP_HLEN);
	out[0] = 0x45;
	out[1] = IPV4_TOS_CS6;
	wr16(out + 2, (uint32_t)total);
	wr16(out + 6, IPV4_DF);
	out[8] = ERR_TTL;
	out[9] = PROTO_ICMP;
	memcpy(out + 12, &from->u.v4, 4);
	memcpy(out + 16, &oi->src.u.v4, 4);
	wr16(out + 10, inet_csum_fold(inet_csum_add(0, out, IPV4_HLEN)));

	icmp[0] = 3;		/* destination unreachable */
	icmp[1] = codes[kind];
	if (kind == ICMP_ERR_TOO_BIG)
		wr16(icmp + 6, mtu);	/* RFC 1191 §4: next-hop MTU */
	memcpy(icmp + ICMP_HLEN, orig, qlen);
	wr16(icmp + 2, inet_csum_fold(inet_csum_add(0, icmp,
	    ICMP_HLEN + qlen)));
	rc = (int)total;
out:
	return rc;
}

static int
build_v6(enum icmp_err kind, uint32_t mtu, const struct ip_info *oi,
    const uint8_t *orig, size_t qlen, const struct sluice_addr *from,
    uint8_t *out, size_t cap)
{
	static const uint8_t types[] = {
		[ICMP_ERR_TOO_BIG] = 2,
		[ICMP_ERR_HOST_UNREACH] = 1,
		[ICMP_ERR_ADMIN_PROHIBITED] = 1,
	};
	static const uint8_t codes[] = {
		[ICMP_ERR_TOO_BIG] = 0,
		[ICMP_ERR_HOST_UNREACH] = 3,
		[ICMP_ERR_ADMIN_PROHIBITED] = 1,
	};
	uint8_t *icmp;
	size_t total, plen;
	uint32_t sum;
	int rc;

	/*
	 * RFC 4443 §2.4(e.3) lets "packet too big" go to a multicast
	 * destination's source, so path MTU discovery works for multicast.
	 */
	if (from->family != AF_INET6 || v6_src_forbidden(oi->src.u.b) ||
	    (oi->dst.u.b[0] == 0xff && kind != ICMP_ERR_TOO_BIG) ||
	    (oi->proto == PROTO_ICMPV6 &&
	    (oi->is_icmp_error || oi->icmp_type == ICMPV6_REDIRECT))) {
		rc = -EINVAL;
		goto out;
	}
	if (qlen > ICMP_ERR_MAX_LEN_V6 - IPV6_HLEN - ICMP_HLEN)
		qlen = ICMP_ERR_MAX_LEN_V6 - IPV6_HLEN - ICMP_HLEN;
	plen = ICMP_HLEN + qlen;
	total = IPV6_HLEN + plen;
	if (cap < total) {
		rc = -ENOSPC;
		goto out;
	}

	icmp = out + IPV6_HLEN;
	memset(out, 0, IPV6_HLEN + ICMP_HLEN);
	out[0] = 0x60;
	wr16(out + 4, (uint32_t)plen);
	out[6] = PROTO_ICMPV6;
	out[7] = ERR_TTL;
	memcpy(out + 8, &from->u.v6, 16);
	memcpy(out + 24, &oi->src.u.v6, 16);

	icmp[0] = types[kind];
	icmp[1] = codes[kind];
	if (kind == ICMP_ERR_TOO_BIG)
		wr32(icmp + 4, mtu);
	memcpy(icmp + ICMP_HLEN, orig, qlen);

	/*
	 * Pseudo-header (RFC 8200 §8.1): both addresses, which sit side by
	 * side in the header, the upper-layer length and the next header.
	 */
	sum = inet_csum_add(0, out + 8, 32);
	sum += (uint32_t)plen + PROTO_ICMPV6;
	sum = inet_csum_add(sum, icmp, plen);
	wr16(icmp + 2, inet_csum_fold(sum));
	rc = (int)total;
out:
	return rc;
}

int
icmp_error_build(enum icmp_err kind, uint32_t mtu, const struct ip_info *oi,
    const uint8_t *orig, size_t orig_len, const struct sluice_addr *from,
    uint8_t *out, size_t cap)
{
	size_t qlen;
	int rc;

	/*
	 * Common to both families: never an error about a fragment that
	 * is not the first (RFC 1122 §3.2.2, RFC 4443 §2.4(e)), and never
	 * quote the link padding after the declared length.
	 */
	if ((unsigned)kind > ICMP_ERR_ADMIN_PROHIBITED ||
	    !oi->first_fragment) {
		rc = -EINVAL;
		goto out;
	}
	qlen = orig_len < oi->tot_len ? orig_len : oi->tot_len;
	if (oi->version == 4)
		rc = build_v4(kind, mtu, oi, orig, qlen, from, out, cap);
	else if (oi->version == 6)
		rc = build_v6(kind, mtu, oi, orig, qlen, from, out, cap);
	else
		rc = -EINVAL;
out:
	return rc;
}
