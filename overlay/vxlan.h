/*
 * vxlan.h - VXLAN (RFC 7348) encapsulation and decapsulation of pod IP
 * packets, in place in a struct pkt.
 *
 * On the wire, the UDP payload between nodes is
 *
 *	VXLAN header (8)  flags 0x08 (I), 3 reserved, VNI (24 bits), 1 reserved
 *	Ethernet (14)     destination MAC, source MAC, ethertype 0x0800/0x86DD
 *	inner IP packet
 *
 * The outer IP and UDP headers are the socket's business. Both functions
 * work on the bytes of one pkt without copying the payload or allocating.
 */
#ifndef SLUICE_OVERLAY_VXLAN_H
#define SLUICE_OVERLAY_VXLAN_H

#include <stdint.h>

#include "overlay/ip.h"
#include "overlay/pkt.h"

#define VXLAN_DEFAULT_PORT 4789
#define VXLAN_HLEN 8
#define VXLAN_ETH_HLEN 14
/* What vxlan_encap() pushes. */
#define VXLAN_ENCAP_LEN (VXLAN_HLEN + VXLAN_ETH_HLEN)
/* What a pod packet grows by on the wire: outer IP, UDP, VXLAN, Ethernet. */
#define VXLAN_OVERHEAD_V4 (20 + 8 + VXLAN_ENCAP_LEN)	/* = 50 */
#define VXLAN_OVERHEAD_V6 (40 + 8 + VXLAN_ENCAP_LEN)	/* = 70 */
#define VXLAN_VNI_MAX 0xffffff

/* Why vxlan_decap() refused a frame; VXLAN_OK means it did not. */
enum vxlan_verdict {
	VXLAN_OK = 0,
	VXLAN_DROP_SHORT,	/* less than the VXLAN and Ethernet headers */
	VXLAN_DROP_FLAGS,	/* I flag clear: no valid VNI */
	VXLAN_DROP_VNI,		/* not our VNI */
	/* Not local_mac: another host's, or broadcast/multicast (no flood). */
	VXLAN_DROP_DST_MAC,
	VXLAN_DROP_ETHERTYPE,	/* not IPv4 or IPv6 (ARP, VLAN tags, ...) */
	/*
	 * The inner packet failed ip_parse(), or its IP version is not the
	 * one the ethertype announces (reported as IP_DROP_VERSION).
	 */
	VXLAN_DROP_INNER,
	VXLAN_DROP__COUNT
};

/*
 * A stable snake_case name for counters and logs ("vxlan_short", ...;
 * VXLAN_OK is "vxlan_ok"). Out-of-range values give "vxlan_unknown".
 */
const char *vxlan_drop_name(enum vxlan_verdict v);

/*
 * Prepends the inner Ethernet header (dst_mac, src_mac, ethertype 0x0800
 * or 0x86DD from the IP version nibble of p->data[0]) and the 8-byte VXLAN
 * header (flags 0x08 = I, the 24-bit VNI, reserved bytes zero), so that p
 * then holds the UDP payload to send. The MACs are copied; the caller keeps
 * them.
 *
 * Returns 0, -EINVAL if p does not start with an IPv4 or IPv6 header (by
 * version nibble, and at least 20 or 40 bytes long) or vni > VXLAN_VNI_MAX,
 * or -ENOSPC if p has less than VXLAN_ENCAP_LEN bytes of headroom. On an
 * error, p is unchanged.
 */
int vxlan_encap(struct pkt *p, uint32_t vni, const uint8_t src_mac[6],
    const uint8_t dst_mac[6]);

/*
 * p holds one UDP payload received on the VXLAN socket. Checks, in this
 * order: the length, the I flag (RFC 7348 §5: the other flag and reserved
 * bits are ignored on receipt), the VNI, that the inner destination MAC is
 * local_mac (broadcast and multicast frames are dropped too: we do not
 * flood), the ethertype (IPv4 or IPv6), then ip_parse() of the inner packet
 * and that its version matches the ethertype.
 *
 * On VXLAN_OK, p->data/len cover exactly the inner IP packet, trimmed to
 * the length its header declares (Ethernet padding removed), and *inner is
 * filled. On a drop, p is unchanged and *inner is unspecified. *ipv (ipv
 * may be NULL) is set to the inner packet's verdict on VXLAN_DROP_INNER,
 * and to IP_OK otherwise.
 */
enum vxlan_verdict vxlan_decap(struct pkt *p, uint32_t vni,
    const uint8_t local_mac[6], struct ip_info *inner, enum ip_verdict *ipv);

#endif
