#include "router/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

static int
nl_to_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	default:
		return -EIO;
	}
}

struct addr_match {
	int ifindex;
	const struct sluice_addr *want;
	int found;
};

static void
match_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_match *m = arg;
	struct nl_addr *local;
	size_t len;

	if (rtnl_addr_get_ifindex(a) != m->ifindex ||
	    rtnl_addr_get_family(a) != m->want->family)
		return;
	local = rtnl_addr_get_local(a);
	if (local == NULL)
		return;
	len = m->want->family == AF_INET ? 4 : 16;
	if (nl_addr_get_len(local) == len &&
	    memcmp(nl_addr_get_binary_addr(local), &m->want->u, len) == 0)
		m->found = 1;
}

int
netlink_underlay_check(const struct sluiced_config *cfg,
    struct underlay_info *out, char *err, size_t errlen)
{
	struct nl_sock *sk;
	struct rtnl_link *link = NULL;
	struct nl_cache *addrs = NULL;
	struct addr_match m = { 0 };
	unsigned int flags;
	int rc;

	memset(out, 0, sizeof(*out));
	sk = nl_socket_alloc();
	if (sk == NULL) {
		snprintf(err, errlen, "cannot allocate a netlink socket");
		return -ENOMEM;
	}
	if ((rc = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		snprintf(err, errlen, "cannot connect to rtnetlink: %s",
		    nl_geterror(rc));
		rc = nl_to_errno(rc);
		goto out_sock;
	}
	rc = rtnl_link_get_kernel(sk, 0, cfg->underlay_if, &link);
	if (rc < 0) {
		snprintf(err, errlen,
		    "underlay interface %s: not found in this network namespace (%s)",
		    cfg->underlay_if, nl_geterror(rc));
		rc = nl_to_errno(rc);
		goto out_sock;
	}
	out->ifindex = rtnl_link_get_ifindex(link);
	out->mtu = rtnl_link_get_mtu(link);
	flags = rtnl_link_get_flags(link);
	out->up = (flags & IFF_UP) && rtnl_link_get_carrier(link) > 0;

	if ((rc = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		snprintf(err, errlen, "cannot list addresses: %s",
		    nl_geterror(rc));
		rc = nl_to_errno(rc);
		goto out_link;
	}
	m.ifindex = out->ifindex;
	m.want = &cfg->underlay_addr;
	nl_cache_foreach(addrs, match_addr, &m);
	if (!m.found) {
		snprintf(err, errlen,
		    "underlay interface %s does not carry the configured address %s",
		    cfg->underlay_if, cfg->underlay_addr_str);
		rc = -EADDRNOTAVAIL;
		goto out_cache;
	}
	rc = 0;
out_cache:
	nl_cache_free(addrs);
out_link:
	rtnl_link_put(link);
out_sock:
	nl_socket_free(sk);
	return rc;
}
