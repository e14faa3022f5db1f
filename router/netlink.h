/*
 * netlink.h - the daemon's view of kernel network state, through
 * libnl-route-3 only (never by running ip(8)).
 */
#ifndef SLUICE_ROUTER_NETLINK_H
#define SLUICE_ROUTER_NETLINK_H

#include <stddef.h>

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

#endif
