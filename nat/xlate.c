#include "nat/xlate.h"

#include <netinet/in.h>
#include <string.h>

#include "overlay/icmp.h"

#define IP_CSUM 10
#define IP_SRC 12
#define IP_DST 16
#define TCP_CSUM 16
#define TCP_FLAGS 13
#define UDP_CSUM 6
#define ICMP_CSUM 2
#define ICMP_ID 4

void
xlate_csum_adjust(uint8_t *sum, const uint8_t *old, const uint8_t *new,
    size_t n)
{
	uint32_t s = (uint16_t)~(((uint32_t)sum[0] << 8) | sum[1]);

	for (size_t i = 0; i + 1 < n; i += 2) {
		s += (uint16_t)~(((uint32_t)old[i] << 8) | old[i + 1]);
		s += ((uint32_t)new[i] << 8) | new[i + 1];
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = (uint16_t)~s;
	sum[0] = (uint8_t)(s >> 8);
	sum[1] = (uint8_t)s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static bool
is_echo(uint8_t type)
{
	return type == 8 || type == 0;
}

bool
xlate_key_of(const uint8_t *pkt, const struct ip_info *ii,
    struct xlate_key *k)
{
	memset(k, 0, sizeof(*k));
	if (ii->version != 4 || ii->fragment)
		return false;
	k->proto = ii->proto;
	memcpy(&k->src, pkt + IP_SRC, 4);
	memcpy(&k->dst, pkt + IP_DST, 4);
	switch (ii->proto) {
	case IPPROTO_TCP:
		k->tcp_flags = pkt[ii->l4_off + TCP_FLAGS] & 0x3f;
		/* fall through */
	case IPPROTO_UDP:
		if (!ii->has_ports)
			return false;
		k->sport = ii->sport;
		k->dport = ii->dport;
		return true;
	case IPPROTO_ICMP:
		if (ii->is_icmp_error || !is_echo(ii->icmp_type))
			return false;
		k->sport = get16(pkt + ii->l4_off + ICMP_ID);
		k->echo_reply = ii->icmp_type == 0;
		return true;
	default:
		return false;
	}
}

/* Changes the 4 address bytes at a and the 2 port bytes at port (or
 * none), keeping the IP header and L4 checksums right. */
static void
rewrite(uint8_t *pkt, const struct ip_info *ii, uint8_t *a, uint32_t addr,
    uint8_t *port_field, uint16_t port)
{
	uint8_t *l4 = pkt + ii->l4_off;
	uint8_t na[4], np[2];
	uint8_t *csum = NULL;

	memcpy(na, &addr, 4);
	put16(np, port);
	if (ii->proto == IPPROTO_TCP)
		csum = l4 + TCP_CSUM;
	else if (ii->proto == IPPROTO_UDP && get16(l4 + UDP_CSUM) != 0)
		csum = l4 + UDP_CSUM;
	else if (ii->proto == IPPROTO_ICMP)
		csum = l4 + ICMP_CSUM;
	/* The pseudo-header holds the addresses; ICMP has none. */
	if (csum != NULL && ii->proto != IPPROTO_ICMP)
		xlate_csum_adjust(csum, a, na, 4);
	if (csum != NULL && port_field != NULL)
		xlate_csum_adjust(csum, port_field, np, 2);
	/*
	 * Eqn. 3 may give 0 where 0xffff is as right (the same number in
	 * ones' complement), but only 0xffff is right for UDP, where 0 means
	 * "no checksum", and for an ICMP message whose words are all 0 (an
	 * echo reply with id, sequence and data 0): its sum is +0, not -0.
	 */
	if (csum != NULL && ii->proto != IPPROTO_TCP && get16(csum) == 0)
		put16(csum, 0xffff);
	xlate_csum_adjust(pkt + IP_CSUM, a, na, 4);
	memcpy(a, na, 4);
	if (port_field != NULL)
		memcpy(port_field, np, 2);
}

void
xlate_src(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port)
{
	uint8_t *l4 = pkt + ii->l4_off;

	rewrite(pkt, ii, pkt + IP_SRC, addr,
	    ii->proto == IPPROTO_ICMP ? l4 + ICMP_ID : l4, port);
}

void
xlate_dst(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port)
{
	uint8_t *l4 = pkt + ii->l4_off;

	rewrite(pkt, ii, pkt + IP_DST, addr,
	    ii->proto == IPPROTO_ICMP ? l4 + ICMP_ID : l4 + 2, port);
}

/* Adds new - old (n bytes, even) to a partial (not inverted) sum. */
static void
partial_adjust(uint8_t *sum, const uint8_t *old, const uint8_t *new,
    size_t n)
{
	uint32_t s = ((uint32_t)sum[0] << 8) | sum[1];

	for (size_t i = 0; i + 1 < n; i += 2) {
		s += (uint16_t)~(((uint32_t)old[i] << 8) | old[i + 1]);
		s += ((uint32_t)new[i] << 8) | new[i + 1];
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	sum[0] = (uint8_t)(s >> 8);
	sum[1] = (uint8_t)s;
}

static void
rewrite_partial(uint8_t *pkt, const struct ip_info *ii, uint8_t *a,
    uint32_t addr, uint8_t *port_field, uint16_t port)
{
	uint8_t na[4];

	memcpy(na, &addr, 4);
	partial_adjust(pkt + ii->l4_off + TCP_CSUM, a, na, 4);
	xlate_csum_adjust(pkt + IP_CSUM, a, na, 4);
	memcpy(a, na, 4);
	put16(port_field, port);
}

void
xlate_src_partial(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port)
{
	rewrite_partial(pkt, ii, pkt + IP_SRC, addr, pkt + ii->l4_off, port);
}

void
xlate_dst_partial(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port)
{
	rewrite_partial(pkt, ii, pkt + IP_DST, addr, pkt + ii->l4_off + 2,
	    port);
}

/* Offset of the quoted IPv4 header, its length, and the quote's end. */
static bool
quote_bounds(const uint8_t *pkt, const struct ip_info *ii, size_t *q,
    size_t *qhl, size_t *end)
{
	if (ii->version != 4 || ii->proto != IPPROTO_ICMP ||
	    !ii->is_icmp_error || ii->fragment)
		return false;
	if (ii->icmp_type != 3 && ii->icmp_type != 11 && ii->icmp_type != 12)
		return false;
	*end = ii->tot_len;
	*q = (size_t)ii->l4_off + 8;
	if (*q + 20 > *end || (pkt[*q] >> 4) != 4)
		return false;
	*qhl = (size_t)(pkt[*q] & 0x0f) * 4;
	/* The quoted header whole, and 8 bytes of what it carried. */
	return *qhl >= 20 && *q + *qhl + 8 <= *end;
}

bool
xlate_icmp_quote(const uint8_t *pkt, const struct ip_info *ii,
    struct xlate_key *k)
{
	size_t q, qhl, end;
	const uint8_t *l4;

	memset(k, 0, sizeof(*k));
	if (!quote_bounds(pkt, ii, &q, &qhl, &end))
		return false;
	/* A quoted fragment other than the first has no ports. */
	if ((get16(pkt + q + 6) & 0x1fff) != 0)
		return false;
	k->proto = pkt[q + 9];
	memcpy(&k->src, pkt + q + IP_SRC, 4);
	memcpy(&k->dst, pkt + q + IP_DST, 4);
	l4 = pkt + q + qhl;
	switch (k->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		k->sport = get16(l4);
		k->dport = get16(l4 + 2);
		return true;
	case IPPROTO_ICMP:
		/* Only our echo requests get quoted back to us. */
		if (l4[0] != 8)
			return false;
		k->sport = get16(l4 + ICMP_ID);
		return true;
	default:
		return false;
	}
}

void
xlate_icmp_error(uint8_t *pkt, const struct ip_info *ii, uint32_t addr,
    uint16_t port)
{
	size_t q, qhl, end;
	uint8_t *qip, *l4, *icmp = pkt + ii->l4_off;
	uint8_t na[4], np[2];
	uint8_t *csum = NULL, *pf;
	uint16_t c;

	if (!quote_bounds(pkt, ii, &q, &qhl, &end))
		return;
	qip = pkt + q;
	l4 = qip + qhl;
	memcpy(na, &addr, 4);
	put16(np, port);
	switch (qip[9]) {
	case IPPROTO_TCP:
		if (q + qhl + TCP_CSUM + 2 <= end)
			csum = l4 + TCP_CSUM;
		pf = l4;
		break;
	case IPPROTO_UDP:
		if (get16(l4 + UDP_CSUM) != 0)
			csum = l4 + UDP_CSUM;
		pf = l4;
		break;
	default:	/* ICMP echo: the id, under the ICMP checksum */
		csum = l4 + ICMP_CSUM;
		pf = l4 + ICMP_ID;
		break;
	}
	if (csum != NULL) {
		if (qip[9] != IPPROTO_ICMP)
			xlate_csum_adjust(csum, qip + IP_SRC, na, 4);
		xlate_csum_adjust(csum, pf, np, 2);
		if (qip[9] == IPPROTO_UDP && get16(csum) == 0)
			put16(csum, 0xffff);
	}
	memcpy(pf, np, 2);
	xlate_csum_adjust(qip + IP_CSUM, qip + IP_SRC, na, 4);
	memcpy(qip + IP_SRC, na, 4);
	/* The ICMP checksum covers all of that: summed again. */
	icmp[ICMP_CSUM] = icmp[ICMP_CSUM + 1] = 0;
	c = inet_csum_fold(inet_csum_add(0, icmp, end - ii->l4_off));
	put16(icmp + ICMP_CSUM, c);
	/* The outer destination. */
	xlate_csum_adjust(pkt + IP_CSUM, pkt + IP_DST, na, 4);
	memcpy(pkt + IP_DST, na, 4);
}
