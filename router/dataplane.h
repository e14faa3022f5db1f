/*
 * dataplane.h - what the data path reads, and the counters it keeps.
 *
 * The loop thread owns all control-plane state. What the worker needs
 * (routes of blocks to nodes, peers, VNI, MTUs) is compiled by the loop
 * into an immutable struct dp_snapshot and published with an atomic
 * pointer swap; the worker picks the newest one up between batches and
 * reports the generation it uses, and the loop frees a retired snapshot
 * only once every worker has moved past it (STYLE.md §5).
 */
#ifndef SLUICE_ROUTER_DATAPLANE_H
#define SLUICE_ROUTER_DATAPLANE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "overlay/ip.h"
#include "overlay/pkt.h"
#include "overlay/vxlan.h"
#include "router/lpm.h"

#define DP_NAME_MAX 64

struct policy_state;
struct pf_table;
struct dp_egress;
struct dns_bindings;

struct dp_peer {
	char name[DP_NAME_MAX];
	struct sockaddr_storage sa;	/* underlay address and VXLAN port */
	socklen_t salen;
	struct sluice_addr underlay;
	uint8_t mac[6];			/* its VTEP MAC */
	uint32_t mtu;			/* largest inner packet toward it */
	bool up;			/* its control link is authenticated */
};

/* LPM values: the kind in the top byte, a peer index below. */
#define DP_ROUTE_LOCAL (1u << 24)	/* a block of this node: back to TUN */
#define DP_ROUTE_PEER (2u << 24)	/* a block of a live peer */
#define DP_ROUTE_UNREACH (3u << 24)	/* cluster address, owner unknown/down */
#define DP_ROUTE_KIND(v) ((v) & 0xff000000u)
#define DP_ROUTE_PEER_IDX(v) ((v) & 0x00ffffffu)

struct dp_snapshot {
	uint64_t gen;
	uint32_t vni;
	uint8_t mac[6];			/* this node's VTEP MAC */
	struct sluice_addr self4;	/* ICMP error source for IPv4 pods */
	uint32_t tun_mtu;
	struct lpm *dst4, *dst6;	/* inner destination -> route */
	struct lpm *src;		/* underlay source -> peer index */
	struct dp_peer *peers;
	uint32_t npeers;
	/*
	 * NAT outgoing (IPv4): pod sources to translate (pools with
	 * natOutgoing), destinations never translated (nat.doNotNat), the
	 * addresses to translate to and their port range. nnat 0: none.
	 */
	struct lpm *nat_src, *no_nat;
	uint32_t nat_addrs[8];		/* network order */
	uint32_t nnat;
	uint16_t nat_lo, nat_hi;
	/*
	 * Network policy: the state in force (a reference the snapshot
	 * holds; NULL or inactive: no policy, nothing tracked) and the
	 * flow table (the data plane's, borrowed).
	 */
	struct policy_state *pol;
	struct pf_table *pf;
	/*
	 * Egress gateways (router/egressd.h): the compiled policies and
	 * pods (owned; NULL: none) and the table pinning flows to their
	 * gateway (the data plane's, borrowed).
	 */
	struct dp_egress *egw;
	struct pf_table *egw_flows;
	/*
	 * DNS-aware policy: the bindings table (the daemon's, borrowed) and
	 * the trusted resolvers (owned; NULL: none, nothing is learnt).
	 */
	struct dns_bindings *dns;
	struct lpm *dns_resolvers, *dns_resolvers6;
	uint32_t dns_grace;		/* dns.graceSeconds */
};

/* Frees a snapshot and what it owns. Accepts NULL. */
void dp_snapshot_free(struct dp_snapshot *s);

/*
 * Counters. Drops have a reason each; the reasons of the VXLAN and inner
 * IP parsers map onto ranges so their names come from overlay/.
 */
enum dp_counter {
	DP_TUN_RX,		/* packets read from the TUN */
	DP_TUN_TX,		/* packets written to the TUN */
	DP_UDP_RX,		/* datagrams received */
	DP_UDP_TX,		/* datagrams sent */
	DP_TUN_RX_BYTES,
	DP_UDP_TX_BYTES,
	DP_FWD_LOCAL,		/* TUN -> TUN: same node or outside */
	DP_FWD_PEER,		/* TUN -> peer */
	DP_DECAP,		/* peer -> TUN */
	DP_ICMP_SENT,		/* errors sent back to pods */
	DP_NAT_OUT,		/* pod -> outside, source translated */
	DP_NAT_IN,		/* reply translated back to the pod */
	DP_NAT_ICMP_IN,		/* ICMP error for a translated flow, to the pod */
	DP_NAT_TO_NODE,		/* to a NAT address, no flow: to the node itself */
	DP_EGRESS_OUT,		/* pod -> outside, tunnelled to its egress gateway */
	DP_EGRESS_CARRIED,	/* at a gateway: SNATed to an egress IP, out */
	DP_DNS_ANSWERS,		/* trusted answers to pods that made bindings */
	DP_DNS_BAD,		/* trusted answers that do not parse (passed on) */
	DP_DNS_UNTRUSTED,	/* answers from other sources: nothing learnt */
	DP_DROP_NO_ROUTE,	/* cluster address nobody live owns */
	DP_DROP_TOO_BIG,	/* over the tunnel MTU (an ICMP error went back) */
	DP_DROP_TOO_BIG_NODF,	/* over the tunnel MTU, no DF: fragmenting is the kernel's job */
	DP_DROP_UNKNOWN_SOURCE,	/* datagram from no known peer */
	DP_DROP_NOT_LOCAL,	/* decapsulated packet for another node */
	DP_DROP_SPOOFED_SOURCE,	/* inner source in a block the sender does not own */
	DP_DROP_NO_BUFFER,	/* buffer pool empty */
	DP_DROP_TUN_WRITE,
	DP_DROP_UDP_SEND,
	DP_DROP_ENCAP,
	DP_DROP_NAT_FULL,	/* new flow, conntrack table full (ICMP back) */
	DP_DROP_NAT_NO_PORT,	/* new flow, destination's ports used up (ICMP back) */
	DP_DROP_NAT_INVALID,	/* TCP without a flow and not a SYN, or bad flags */
	DP_DROP_NAT_UNSUPPORTED, /* fragment, or not TCP/UDP/ICMP echo */
	DP_DROP_NAT_NO_FLOW,	/* to a NAT address and port, no flow */
	DP_DROP_POLICY,		/* network policy denied the flow */
	DP_DROP_POLICY_FULL,	/* new flow, policy flow table full */
	DP_DROP_POLICY_INVALID,	/* TCP flags no stack sends, or no SYN (pickup off) */
	DP_DROP_POLICY_RELATED,	/* ICMP error quoting no allowed flow */
	DP_DROP_EGRESS_NO_GATEWAY, /* an egress policy, no healthy gateway (fail closed) */
	DP_DROP_EGRESS_REFUSED,	/* at a gateway: not traffic it must carry */
	DP_DROP_IP_BASE,
	DP_DROP_VXLAN_BASE = DP_DROP_IP_BASE + IP_DROP__COUNT,
	DP_COUNTER__COUNT = DP_DROP_VXLAN_BASE + VXLAN_DROP__COUNT,
};

struct dp_stats {
	_Atomic uint64_t c[DP_COUNTER__COUNT];
};

/* Name for counters (stable: scripts read them); NULL for the unused
 * slots of the parser ranges. */
const char *dp_counter_name(enum dp_counter c);

static inline void
dp_count(struct dp_stats *st, enum dp_counter c, uint64_t n)
{
	atomic_fetch_add_explicit(&st->c[c], n, memory_order_relaxed);
}

#endif
