/*
 * fuzz_vxlan.c - the receive path of the overlay as sluiced runs it: one
 * UDP payload from the VXLAN socket goes through vxlan_decap(); what passes
 * is encapsulated again and must decapsulate to the same inner packet. The
 * raw input also goes to ip_parse() directly (the TUN side), and every
 * packet that parses, raw or decapsulated, gets the ICMP errors a router
 * would send for it.
 *
 * Input: VNI (3 bytes, big-endian), local MAC (6 bytes), then the UDP
 * payload. Inputs shorter than 9 bytes are all payload, with VNI 0 and a
 * fixed MAC. The seeds in corpus/fuzz_vxlan/ come from
 * `overlay_test --write-seeds DIR` (tests/unit/overlay_test.c).
 *
 * Besides what ASan and UBSan catch, it aborts when:
 * - a drop changes the packet, or VXLAN_OK leaves p anywhere but on the
 *   inner packet trimmed to its declared length;
 * - re-encapsulation fails, writes other header bytes than RFC 7348 says,
 *   or does not decapsulate to the same packet and the same ip_info;
 * - ip_parse() accepts a packet with inconsistent offsets or lengths;
 * - icmp_error_build() refuses a packet no RFC rule forbids an error for,
 *   builds one for a packet a rule does forbid, or builds a packet that
 *   does not parse, does not verify by a naive checksum, is larger than
 *   576/1280 bytes, or does not quote the start of the original.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "overlay/icmp.h"
#include "overlay/ip.h"
#include "overlay/pkt.h"
#include "overlay/vxlan.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* The largest UDP payload; longer inputs are cut to it. */
#define PAYLOAD_MAX 65535
#define MTU 1400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One buffer, made on the first input and kept: reachable, not leaked. */
static struct pkt_pool *pool;

static const uint8_t default_mac[6] = { 0x02, 0x51, 0, 0, 0, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0x51, 0, 0, 0, 0x01 };

static uint32_t
naive_sum(const uint8_t *p, size_t len, uint64_t s)
{
	for (size_t i = 0; i < len; i++)
		s += i % 2 == 0 ? (uint64_t)p[i] << 8 : p[i];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/*
 * The RFC 1122 §3.2.2 / RFC 4443 §2.4(e) rules, written out again from the
 * RFCs: may a router send error `kind` about the packet *oi?
 */
static bool
error_allowed(enum icmp_err kind, const struct ip_info *oi)
{
	const uint8_t *s = oi->src.u.b, *d = oi->dst.u.b;

	if (!oi->first_fragment || oi->is_icmp_error)
		return false;
	if (oi->version == 4) {
		if (s[0] == 0 || s[0] == 127 || s[0] >= 224)
			return false;
		if (d[0] >= 224 && d[0] <= 239)
			return false;
		if (d[0] == 255 && d[1] == 255 && d[2] == 255 && d[3] == 255)
			return false;
		return true;
	}
	if (oi->proto == 58 && oi->icmp_type == 137)
		return false;
	if (s[0] == 0xff || (all_zero(s, 15) && s[15] <= 1))
		return false;
	return d[0] != 0xff || kind == ICMP_ERR_TOO_BIG;
}

/* The errors for a packet that parsed as *oi, checked independently. */
static void
check_errors(const uint8_t *pkt, size_t len, const struct ip_info *oi)
{
	static uint8_t out[ICMP_ERR_MAX_LEN + 16];
	struct sluice_addr from4 = { .family = AF_INET };
	struct sluice_addr from6 = { .family = AF_INET6 };
	const struct sluice_addr *from, *other;

	from4.u.b[0] = 192;
	from4.u.b[3] = 1;
	from6.u.b[0] = 0xfd;
	from6.u.b[15] = 1;
	from = oi->version == 4 ? &from4 : &from6;
	other = oi->version == 4 ? &from6 : &from4;

	for (int k = 0; k <= ICMP_ERR_ADMIN_PROHIBITED; k++) {
		enum icmp_err kind = (enum icmp_err)k;
		size_t hlen = oi->version == 4 ? 20 : 40, quote, want;
		size_t max = oi->version == 4 ? 576 : 1280;
		struct ip_info ei;
		int rc;

		rc = icmp_error_build(kind, MTU, oi, pkt, len, other, out,
		    sizeof(out));
		CHECK(rc == -EINVAL);
		rc = icmp_error_build(kind, MTU, oi, pkt, len, from, out,
		    sizeof(out));
		if (!error_allowed(kind, oi)) {
			CHECK(rc == -EINVAL);
			continue;
		}
		CHECK(rc > 0);
		CHECK((size_t)rc <= max);
		CHECK(ip_parse(out, (size_t)rc, &ei) == IP_OK);
		CHECK(ei.tot_len == (uint32_t)rc);
		CHECK(ei.version == oi->version && ei.is_icmp_error);
		CHECK(ei.l4_off == hlen);
		CHECK(sluice_addr_eq(&ei.src, from));
		CHECK(sluice_addr_eq(&ei.dst, &oi->src));
		quote = (size_t)rc - hlen - 8;
		want = len < oi->tot_len ? len : oi->tot_len;
		CHECK(quote == (want < max - hlen - 8 ? want : max - hlen - 8));
		CHECK(memcmp(out + hlen + 8, pkt, quote) == 0);
		if (oi->version == 4) {
			CHECK(naive_sum(out, 20, 0) == 0xffff);
			CHECK(naive_sum(out + 20, (size_t)rc - 20, 0) ==
			    0xffff);
			CHECK(kind != ICMP_ERR_TOO_BIG ||
			    (out[26] << 8 | out[27]) == MTU);
		} else {
			uint64_t ps = (uint64_t)naive_sum(out + 8, 32, 0) +
			    (uint64_t)rc - 40 + 58;

			CHECK(naive_sum(out + 40, (size_t)rc - 40, ps) ==
			    0xffff);
		}
		/* One byte short of room is -ENOSPC, never a cut packet. */
		CHECK(icmp_error_build(kind, MTU, oi, pkt, len, from, out,
		    (size_t)rc - 1) == -ENOSPC);
	}
}

static void
check_parsed(const struct ip_info *ii, size_t len)
{
	CHECK(ii->version == 4 || ii->version == 6);
	CHECK(ii->tot_len <= len);
	CHECK(ii->l4_off <= ii->tot_len);
	CHECK(ii->l4_off >= (ii->version == 4 ? 20 : 40));
	CHECK(!ii->has_ports || ii->first_fragment);
	CHECK(ii->first_fragment || ii->fragment);
	CHECK(!ii->is_icmp_error || ii->first_fragment);
	CHECK(ii->version == 4 || ii->df);
}

static bool
same_info(const struct ip_info *a, const struct ip_info *b)
{
	return a->version == b->version && a->proto == b->proto &&
	    a->ttl == b->ttl && sluice_addr_eq(&a->src, &b->src) &&
	    sluice_addr_eq(&a->dst, &b->dst) && a->l4_off == b->l4_off &&
	    a->tot_len == b->tot_len && a->df == b->df &&
	    a->fragment == b->fragment &&
	    a->first_fragment == b->first_fragment &&
	    a->has_ports == b->has_ports && a->sport == b->sport &&
	    a->dport == b->dport && a->is_icmp_error == b->is_icmp_error &&
	    a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code;
}

static void
fuzz_decap(const uint8_t *payload, size_t plen, uint32_t vni,
    const uint8_t *mac)
{
	struct ip_info inner, again;
	enum ip_verdict iv;
	enum vxlan_verdict v;
	struct pkt *p;
	uint8_t *start, *h;

	CHECK((p = pkt_get(pool)) != NULL);
	start = p->data;
	memcpy(p->data, payload, plen);
	p->len = (uint32_t)plen;

	v = vxlan_decap(p, vni, mac, &inner, &iv);
	CHECK(v < VXLAN_DROP__COUNT && iv < IP_DROP__COUNT);
	CHECK((v == VXLAN_DROP_INNER) == (iv != IP_OK));
	CHECK(v != VXLAN_OK || plen >= VXLAN_ENCAP_LEN);
	if (v != VXLAN_OK) {
		CHECK(p->data == start && p->len == plen);
		CHECK(memcmp(p->data, payload, plen) == 0);
		goto out;
	}

	CHECK(p->data == start + VXLAN_ENCAP_LEN);
	CHECK(p->len == inner.tot_len);
	CHECK(memcmp(p->data, payload + VXLAN_ENCAP_LEN, p->len) == 0);
	check_parsed(&inner, plen - VXLAN_ENCAP_LEN);
	CHECK(inner.version == (payload[20] == 0x08 ? 4 : 6));
	check_errors(p->data, p->len, &inner);

	CHECK(vxlan_encap(p, vni, peer_mac, mac) == 0);
	CHECK(p->data == start);
	CHECK(p->len == inner.tot_len + VXLAN_ENCAP_LEN);
	h = p->data;
	CHECK(h[0] == 0x08 && h[1] == 0 && h[2] == 0 && h[3] == 0);
	CHECK(((uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6]) == vni);
	CHECK(h[7] == 0);
	CHECK(memcmp(h + 8, mac, 6) == 0);
	CHECK(memcmp(h + 14, peer_mac, 6) == 0);
	CHECK(h[20] == payload[20] && h[21] == payload[21]);

	CHECK(vxlan_decap(p, vni, mac, &again, &iv) == VXLAN_OK);
	CHECK(iv == IP_OK);
	CHECK(p->data == start + VXLAN_ENCAP_LEN);
	CHECK(p->len == inner.tot_len);
	CHECK(memcmp(p->data, payload + VXLAN_ENCAP_LEN, p->len) == 0);
	CHECK(same_info(&inner, &again));
out:
	pkt_put(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *mac = default_mac, *payload = data;
	size_t plen = size;
	struct ip_info ii;
	enum ip_verdict iv;
	uint32_t vni = 0;

	if (pool == NULL)
		CHECK((pool = pkt_pool_new(1, PAYLOAD_MAX)) != NULL);

	/* The TUN side: the whole input is one IP packet. */
	iv = ip_parse(data, size, &ii);
	CHECK(iv < IP_DROP__COUNT);
	if (iv == IP_OK) {
		check_parsed(&ii, size);
		check_errors(data, size, &ii);
	}

	/* The socket side. */
	if (size >= 9) {
		vni = (uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 |
		    data[2];
		mac = data + 3;
		payload = data + 9;
		plen = size - 9;
	}
	if (plen > PAYLOAD_MAX)
		plen = PAYLOAD_MAX;
	fuzz_decap(payload, plen, vni, mac);
	return 0;
}
