/*
 * netlink.h - the daemon's view of kernel network state, through
 * libnl-route-3 only (never by running ip(8)).
 */
#ifndef SLUICE_ROUTER_NETLINK_H
#define SLUICE_ROUTER_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#include "router/config.h"

struct underlay_info {
	int ifindex;
	unsigned int mtu;
	int up;			/* IFF_UP and carrier */
};

/*
 * Checks that the underlay interface exists in this network namespace and
 * carries the configured address. Returns 0, -ENODEV (no such interface),
 * -EADDRNOTAVAIL (address not on it) or another negative errno, with a
 * sentence in err.
 */
int netlink_underlay_check(const struct sluiced_config *cfg,
    struct underlay_info *out, char *err, size_t errlen);


/*
 * Kernel state sluiced installs. Everything carries the protocol number
 * NETLINK_PROTO_SLUICE (routes and rules), so a restarted daemon finds
 * exactly what it (or a crashed predecessor) installed and nothing else,
 * and `sluiced --cleanup` removes exactly that.
 */
#define NETLINK_PROTO_SLUICE 83

struct netlink;

int netlink_open(struct netlink **out, char *err, size_t errlen);
/* Accepts NULL. */
void netlink_close(struct netlink *nl);

/*
 * Sets the MTU (and the transmit queue length, unless 0) of ifname and
 * brings it up; returns its ifindex in *ifindex.
 */
int netlink_link_up(struct netlink *nl, const char *ifname, unsigned int mtu,
    unsigned int txqlen, int *ifindex, char *err, size_t errlen);
/* Deletes the link; -ENODEV if there is none. */
int netlink_link_delete(struct netlink *nl, const char *ifname);
/* The MTU of ifname, or a negative errno. */
int netlink_link_mtu(struct netlink *nl, const char *ifname);

struct netlink_sync_stats {
	unsigned int added, removed, kept;
};

/*
 * Makes the routes of protocol NETLINK_PROTO_SLUICE and of route type
 * `type` in table (of family) exactly `want`: RTN_UNICAST routes are
 * "dst dev ifindex scope link", RTN_UNREACHABLE ones have no device. A
 * route of ours of that type that is not wanted is removed, even if it
 * points elsewhere; routes of the other types are left alone.
 */
int netlink_routes_sync(struct netlink *nl, int family, uint32_t table,
    uint8_t type, int ifindex, const struct sluice_prefix *want, size_t n,
    struct netlink_sync_stats *st, char *err, size_t errlen);

/*
 * NAT outgoing's return path (DESIGN.md §1.3): rules at NAT_RULE_PREF
 * steer TCP/UDP to the NAT port range and ICMP that arrive for a NAT
 * address on the uplink into our table (the TUN); the kernel's "lookup
 * local" rule moves from 0 to NAT_LOCAL_PREF, right behind them.
 */
#define NAT_RULE_PREF 1
#define NAT_LOCAL_PREF 2

struct netlink_rule {
	uint32_t prio;
	bool has_src;
	struct sluice_prefix src;	/* "from src" */
	bool has_dst;
	struct sluice_prefix dst;	/* "to dst" */
	uint8_t ipproto;		/* "ipproto", 0: any */
	uint16_t dport_lo, dport_hi;	/* "dport lo-hi", 0: any */
	char iif[IFNAMSIZ];		/* "iif" if not empty */
	uint32_t table;			/* "lookup table" */
	bool unreachable;		/* "unreachable" instead of a lookup */
};

/* Makes the rules of protocol NETLINK_PROTO_SLUICE of family exactly `want`. */
int netlink_rules_sync(struct netlink *nl, int family,
    const struct netlink_rule *want, size_t n, struct netlink_sync_stats *st,
    char *err, size_t errlen);

/*
 * The kernel's "lookup local" rule: moved (true) from preference 0 to
 * pref, so that rules ahead of it can steer traffic for local addresses
 * (NAT replies) elsewhere, or put back at 0 (false). A local rule of ours
 * at pref must be in the rules synced with netlink_rules_sync() before
 * moving; the kernel's is deleted only once ours exists, and put back
 * before ours goes, so the node never lacks one. Returns 0 or a negative
 * errno with err set.
 */
int netlink_local_rule(struct netlink *nl, int family, bool moved,
    uint32_t pref, char *err, size_t errlen);

/* True if a rule not of ours has a preference in [lo, hi]. */
bool netlink_foreign_rule_in(struct netlink *nl, int family, uint32_t lo,
    uint32_t hi, uint32_t *found);

/* Writes value to /proc/sys/<path>; returns 0 or a negative errno. */
int netlink_sysctl_set(const char *path, const char *value);

#endif
