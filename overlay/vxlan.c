#include "overlay/vxlan.h"

#include <errno.h>
#include <string.h>

#define VXLAN_FLAG_I 0x08
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

static const char *const drop_names[VXLAN_DROP__COUNT] = {
	[VXLAN_OK] = "vxlan_ok",
	[VXLAN_DROP_SHORT] = "vxlan_short",
	[VXLAN_DROP_FLAGS] = "vxlan_flags",
	[VXLAN_DROP_VNI] = "vxlan_vni",
	[VXLAN_DROP_DST_MAC] = "vxlan_dst_mac",
	[VXLAN_DROP_ETHERTYPE] = "vxlan_ethertype",
	[VXLAN_DROP_INNER] = "vxlan_inner",
};

const char *
vxlan_drop_name(enum vxlan_verdict v)
{
	return (unsigned)v < VXLAN_DROP__COUNT ? drop_names[v] :
	    "vxlan_unknown";
}

int
vxlan_encap(struct pkt *p, uint32_t vni, const uint8_t src_mac[6],
    const uint8_t dst_mac[6])
{
	uint16_t type;
	uint8_t *h;
	int rc = 0;

	if (p->len >= 20 && p->data[0] >> 4 == 4) {
		type = ETHERTYPE_IPV4;
	} else if (p->len >= 40 && p->data[0] >> 4 == 6) {
		type = ETHERTYPE_IPV6;
	} else {
		rc = -EINVAL;
		goto out;
	}
	if (vni > VXLAN_VNI_MAX) {
		rc = -EINVAL;
		goto out;
	}
	if ((h = pkt_push(p, VXLAN_ENCAP_LEN)) == NULL) {
		rc = -ENOSPC;
		goto out;
	}

	h[0] = VXLAN_FLAG_I;
	h[1] = h[2] = h[3] = 0;
	h[4] = (uint8_t)(vni >> 16);
	h[5] = (uint8_t)(vni >> 8);
	h[6] = (uint8_t)vni;
	h[7] = 0;
	h += VXLAN_HLEN;
	memcpy(h, dst_mac, 6);
	memcpy(h + 6, src_mac, 6);
	h[12] = (uint8_t)(type >> 8);
	h[13] = (uint8_t)type;
out:
	return rc;
}

enum vxlan_verdict
vxlan_decap(struct pkt *p, uint32_t vni, const uint8_t local_mac[6],
    struct ip_info *inner, enum ip_verdict *ipv)
{
	const uint8_t *h = p->data, *eth = p->data + VXLAN_HLEN;
	enum ip_verdict iv = IP_OK;
	enum vxlan_verdict v;
	uint16_t type;

	if (p->len < VXLAN_ENCAP_LEN) {
		v = VXLAN_DROP_SHORT;
		goto out;
	}
	if (!(h[0] & VXLAN_FLAG_I)) {
		v = VXLAN_DROP_FLAGS;
		goto out;
	}
	if (((uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6]) != vni) {
		v = VXLAN_DROP_VNI;
		goto out;
	}
	/*
	 * The group bit marks broadcast and multicast. A bridge would flood
	 * those; we are a router with no bridge and no ARP, and peers (kernel
	 * VTEPs too, through their static neighbour entry) address us by
	 * our VTEP MAC.
	 */
	if ((eth[0] & 0x01) || memcmp(eth, local_mac, 6) != 0) {
		v = VXLAN_DROP_DST_MAC;
		goto out;
	}
	type = (uint16_t)(eth[12] << 8 | eth[13]);
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6) {
		v = VXLAN_DROP_ETHERTYPE;
		goto out;
	}

	iv = ip_parse(eth + VXLAN_ETH_HLEN, p->len - VXLAN_ENCAP_LEN, inner);
	/*
	 * The kernel hands an IPv6 packet labelled IPv4 to its IPv4 input,
	 * which drops it for the version; so do we.
	 */
	if (iv == IP_OK &&
	    inner->version != (type == ETHERTYPE_IPV4 ? 4 : 6))
		iv = IP_DROP_VERSION;
	if (iv != IP_OK) {
		v = VXLAN_DROP_INNER;
		goto out;
	}

	pkt_pull(p, VXLAN_ENCAP_LEN);
	pkt_trim(p, inner->tot_len);
	v = VXLAN_OK;
out:
	if (ipv != NULL)
		*ipv = iv;
	return v;
}
