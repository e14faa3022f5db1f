/*
 * veth.c - a pod's veth pair over libnl-route-3 (see veth.h).
 *
 * A netlink socket talks to the namespace it was opened in, so the pod's
 * namespace gets a socket of its own: in_netns() enters the namespace
 * only to open it and switches straight back. The pair itself is made
 * from here with the pod end created directly in the pod's namespace
 * (IFLA_NET_NS_FD on the peer), so CNI_IFNAME never exists, even briefly,
 * next to the node's own interfaces.
 */
#include "cni/veth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "common/log.h"

#define GATEWAY_BE htonl(0xa9fe0101u)	/* 169.254.1.1 */

/* A libnl error as a negative errno, for our callers. */
static int
nlerr(int rc)
{
	switch (-rc) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static struct nl_sock *
sock_open(int *rc)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	if ((*rc = nl_connect(sk, NETLINK_ROUTE)) != 0) {
		*rc = nlerr(*rc);
		nl_socket_free(sk);
		return NULL;
	}
	*rc = 0;
	return sk;
}

/*
 * A route socket in the namespace at path. Returns it, or NULL with a
 * negative errno in *rc (-ENOENT if the namespace is gone).
 */
static struct nl_sock *
in_netns(const char *path, int *rc)
{
	struct nl_sock *sk = NULL;
	int self, target;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		*rc = -errno;
		goto out;
	}
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		*rc = -errno;
		goto err_self;
	}
	if (setns(target, CLONE_NEWNET) != 0) {
		*rc = -errno;
		goto err_target;
	}
	sk = sock_open(rc);
	/* Staying in the pod's namespace would make all that follows wrong. */
	if (setns(self, CLONE_NEWNET) != 0)
		fatal("returning from the namespace %s", path);
err_target:
	close(target);
err_self:
	close(self);
out:
	return sk;
}

static struct nl_addr *
v4(struct in_addr a, unsigned int len)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, sizeof(a));

	if (n != NULL)
		nl_addr_set_prefixlen(n, len);
	return n;
}

/* Brings name up; fills *ifindex and the MAC. */
static int
link_up(struct nl_sock *sk, const char *name, int *ifindex, char *mac)
{
	struct rtnl_link *orig = NULL, *chg = NULL;
	int rc;

	if ((rc = rtnl_link_get_kernel(sk, 0, name, &orig)) != 0) {
		rc = nlerr(rc);
		goto out;
	}
	*ifindex = rtnl_link_get_ifindex(orig);
	nl_addr2str(rtnl_link_get_addr(orig), mac, VETH_MACSTRLEN);
	if (rtnl_link_get_flags(orig) & IFF_UP)
		goto out;
	if ((chg = rtnl_link_alloc()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	if ((rc = rtnl_link_change(sk, orig, chg, 0)) != 0)
		rc = nlerr(rc);
out:
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return rc;
}

/* A unicast route in the main table; gw may be NULL. */
static int
route_add(struct nl_sock *sk, int ifindex, struct in_addr dst,
    unsigned int len, const struct in_addr *gw, int scope)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = v4(dst, len), *g = gw ? v4(*gw, 32) : NULL;
	int rc = -ENOMEM;

	if (r == NULL || nh == NULL || d == NULL || (gw != NULL && g == NULL))
		goto out;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_scope(r, (uint8_t)scope);
	rtnl_route_set_type(r, RTN_UNICAST);
	if ((rc = rtnl_route_set_dst(r, d)) != 0)
		goto out;
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (g != NULL)
		rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL;	/* the route owns it */
	rc = rtnl_route_add(sk, r, NLM_F_REPLACE);
	rc = rc != 0 ? nlerr(rc) : 0;
out:
	nl_addr_put(g);
	nl_addr_put(d);
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	rtnl_route_put(r);
	return rc;
}

/* The pod end: address, up, gateway route, neighbour, default route. */
static int
pod_setup(struct nl_sock *sk, const struct veth_req *r,
    struct veth_macs *macs, char *err, size_t errlen)
{
	struct in_addr gw = { GATEWAY_BE }, any = { 0 };
	struct rtnl_addr *a = NULL;
	struct rtnl_neigh *n = NULL;
	struct nl_addr *local = NULL, *gwa = NULL, *ll = NULL;
	int ifindex = 0, rc;

	if ((rc = link_up(sk, r->ifname, &ifindex, macs->pod)) != 0) {
		snprintf(err, errlen, "bringing %s up in %s: %s", r->ifname,
		    r->netns_path, strerror(-rc));
		goto out;
	}
	a = rtnl_addr_alloc();
	local = v4(r->addr, 32);
	n = rtnl_neigh_alloc();
	gwa = v4(gw, 32);
	if (a == NULL || local == NULL || n == NULL || gwa == NULL ||
	    nl_addr_parse(macs->host, AF_LLC, &ll) != 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, AF_INET);
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, 32);
	if ((rc = rtnl_addr_add(sk, a, 0)) != 0 && rc != -NLE_EXIST) {
		rc = nlerr(rc);
		snprintf(err, errlen, "adding the address to %s: %s",
		    r->ifname, strerror(-rc));
		goto out;
	}
	if ((rc = route_add(sk, ifindex, gw, 32, NULL, RT_SCOPE_LINK)) != 0) {
		snprintf(err, errlen, "route to %s on %s: %s", "169.254.1.1",
		    r->ifname, strerror(-rc));
		goto out;
	}
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, AF_INET);
	rtnl_neigh_set_dst(n, gwa);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	if ((rc = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE)) != 0) {
		rc = nlerr(rc);
		snprintf(err, errlen, "neighbour 169.254.1.1 on %s: %s",
		    r->ifname, strerror(-rc));
		goto out;
	}
	if ((rc = route_add(sk, ifindex, any, 0, &gw, RT_SCOPE_UNIVERSE)) != 0)
		snprintf(err, errlen, "default route on %s: %s", r->ifname,
		    strerror(-rc));
out:
	nl_addr_put(ll);
	nl_addr_put(gwa);
	nl_addr_put(local);
	rtnl_neigh_put(n);
	rtnl_addr_put(a);
	return rc;
}

int
cni_veth_add(const struct veth_req *r, struct veth_macs *macs, char *err,
    size_t errlen)
{
	struct nl_sock *sk = NULL, *psk = NULL;
	struct rtnl_link *l = NULL, *peer = NULL;
	int nsfd = -1, hidx = 0, rc;
	bool made = false;

	if ((sk = sock_open(&rc)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(-rc));
		goto out;
	}
	if ((nsfd = open(r->netns_path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "opening the netns %s: %s",
		    r->netns_path, strerror(errno));
		goto out;
	}
	if ((psk = in_netns(r->netns_path, &rc)) == NULL) {
		snprintf(err, errlen, "netlink in %s: %s", r->netns_path,
		    strerror(-rc));
		goto out;
	}
	if ((l = rtnl_link_veth_alloc()) == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(l, r->host_ifname);
	rtnl_link_set_mtu(l, r->mtu);
	rtnl_link_set_name(peer, r->ifname);
	rtnl_link_set_mtu(peer, r->mtu);
	if (r->mac != NULL) {
		struct nl_addr *ma = NULL;

		if (nl_addr_parse(r->mac, AF_LLC, &ma) != 0) {
			rc = -EINVAL;
			snprintf(err, errlen, "%s is not a MAC address", r->mac);
			goto out;
		}
		rtnl_link_set_addr(peer, ma);
		nl_addr_put(ma);
	}
	rtnl_link_set_ns_fd(peer, nsfd);
	if ((rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL)) != 0) {
		rc = nlerr(rc);
		snprintf(err, errlen,
		    "creating the veth pair %s (here) and %s (in %s): %s",
		    r->host_ifname, r->ifname, r->netns_path,
		    rc == -EEXIST ? "a name is taken" : strerror(-rc));
		goto out;
	}
	made = true;
	if ((rc = link_up(sk, r->host_ifname, &hidx, macs->host)) != 0) {
		snprintf(err, errlen, "bringing %s up: %s", r->host_ifname,
		    strerror(-rc));
		goto out;
	}
	if ((rc = pod_setup(psk, r, macs, err, errlen)) != 0)
		goto out;
	if ((rc = route_add(sk, hidx, r->addr, 32, NULL, RT_SCOPE_LINK)) != 0)
		snprintf(err, errlen, "route to the pod via %s: %s",
		    r->host_ifname, strerror(-rc));
out:
	if (rc != 0 && made)
		cni_veth_del(r->host_ifname, NULL, 0);
	if (peer != NULL)
		rtnl_link_put(peer);
	if (l != NULL)
		rtnl_link_veth_release(l);
	if (nsfd >= 0)
		close(nsfd);
	nl_socket_free(psk);
	nl_socket_free(sk);
	return rc;
}

int
cni_veth_del(const char *host_ifname, char *err, size_t errlen)
{
	struct nl_sock *sk;
	struct rtnl_link *l = NULL;
	int rc;

	if ((sk = sock_open(&rc)) == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "netlink: %s", strerror(-rc));
		goto out;
	}
	if ((l = rtnl_link_alloc()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_name(l, host_ifname);
	rc = rtnl_link_delete(sk, l);
	rc = rc != 0 ? nlerr(rc) : 0;
	if (rc == -ENOENT)
		rc = 0;
	if (rc != 0 && err != NULL)
		snprintf(err, errlen, "deleting %s: %s", host_ifname,
		    strerror(-rc));
out:
	rtnl_link_put(l);
	nl_socket_free(sk);
	return rc;
}

/* Has ifindex the address a/32? */
static bool
has_addr(struct nl_cache *c, int ifindex, struct in_addr a)
{
	for (struct nl_object *o = nl_cache_get_first(c); o != NULL;
	    o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(ra);

		if (rtnl_addr_get_ifindex(ra) == ifindex && l != NULL &&
		    nl_addr_get_family(l) == AF_INET &&
		    rtnl_addr_get_prefixlen(ra) == 32 &&
		    memcmp(nl_addr_get_binary_addr(l), &a, 4) == 0)
			return true;
	}
	return false;
}

/* Is there a main-table route to dst/len out of ifindex (via gw if set)? */
static bool
has_route(struct nl_cache *c, int ifindex, struct in_addr dst,
    unsigned int len, const struct in_addr *gw)
{
	for (struct nl_object *o = nl_cache_get_first(c); o != NULL;
	    o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *d = rtnl_route_get_dst(r), *g;
		struct rtnl_nexthop *nh;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || d == NULL ||
		    nl_addr_get_prefixlen(d) != len ||
		    rtnl_route_get_nnexthops(r) != 1)
			continue;
		if (len != 0 && (nl_addr_get_len(d) != 4 ||
		    memcmp(nl_addr_get_binary_addr(d), &dst, 4) != 0))
			continue;
		nh = rtnl_route_nexthop_n(r, 0);
		if (rtnl_route_nh_get_ifindex(nh) != ifindex)
			continue;
		g = rtnl_route_nh_get_gateway(nh);
		if (gw == NULL || (g != NULL && nl_addr_get_len(g) == 4 &&
		    memcmp(nl_addr_get_binary_addr(g), gw, 4) == 0))
			return true;
	}
	return false;
}

int
cni_veth_check(const struct veth_req *r, struct veth_macs *macs,
    char *err, size_t errlen)
{
	struct in_addr gw = { GATEWAY_BE }, any = { 0 };
	struct nl_sock *sk = NULL, *psk = NULL;
	struct rtnl_link *hl = NULL, *pl = NULL;
	struct nl_cache *addrs = NULL, *proutes = NULL, *hroutes = NULL;
	int rc;

	if ((sk = sock_open(&rc)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(-rc));
		goto out;
	}
	if ((psk = in_netns(r->netns_path, &rc)) == NULL) {
		snprintf(err, errlen, "the netns %s: %s", r->netns_path,
		    strerror(-rc));
		goto out;
	}
	if ((rc = rtnl_link_get_kernel(sk, 0, r->host_ifname, &hl)) != 0) {
		rc = nlerr(rc);
		snprintf(err, errlen, "the host end %s: %s", r->host_ifname,
		    strerror(-rc));
		goto out;
	}
	if ((rc = rtnl_link_get_kernel(psk, 0, r->ifname, &pl)) != 0) {
		rc = nlerr(rc);
		snprintf(err, errlen, "%s in %s: %s", r->ifname, r->netns_path,
		    strerror(-rc));
		goto out;
	}
	nl_addr2str(rtnl_link_get_addr(hl), macs->host, sizeof(macs->host));
	nl_addr2str(rtnl_link_get_addr(pl), macs->pod, sizeof(macs->pod));
	rc = -EINVAL;
	if (!(rtnl_link_get_flags(hl) & IFF_UP) ||
	    !(rtnl_link_get_flags(pl) & IFF_UP)) {
		snprintf(err, errlen, "%s or %s is down", r->host_ifname,
		    r->ifname);
		goto out;
	}
	if (r->mac != NULL && strcasecmp(macs->pod, r->mac) != 0) {
		snprintf(err, errlen, "%s has MAC %s, not %s", r->ifname,
		    macs->pod, r->mac);
		goto out;
	}
	if (rtnl_link_get_mtu(pl) != r->mtu && r->mtu != 0) {
		snprintf(err, errlen, "%s has MTU %u, not %u", r->ifname,
		    rtnl_link_get_mtu(pl), r->mtu);
		goto out;
	}
	if (rtnl_addr_alloc_cache(psk, &addrs) != 0 ||
	    rtnl_route_alloc_cache(psk, AF_INET, 0, &proutes) != 0 ||
	    rtnl_route_alloc_cache(sk, AF_INET, 0, &hroutes) != 0) {
		rc = -EIO;
		snprintf(err, errlen, "reading addresses and routes failed");
		goto out;
	}
	if (!has_addr(addrs, rtnl_link_get_ifindex(pl), r->addr)) {
		snprintf(err, errlen, "%s lacks its address %s/32", r->ifname,
		    inet_ntoa(r->addr));
		goto out;
	}
	if (!has_route(proutes, rtnl_link_get_ifindex(pl), any, 0, &gw)) {
		snprintf(err, errlen, "%s lacks the default route via 169.254.1.1",
		    r->ifname);
		goto out;
	}
	if (!has_route(hroutes, rtnl_link_get_ifindex(hl), r->addr, 32,
	    NULL)) {
		snprintf(err, errlen, "no route to %s/32 via %s",
		    inet_ntoa(r->addr), r->host_ifname);
		goto out;
	}
	rc = 0;
out:
	nl_cache_free(hroutes);
	nl_cache_free(proutes);
	nl_cache_free(addrs);
	rtnl_link_put(pl);
	rtnl_link_put(hl);
	nl_socket_free(psk);
	nl_socket_free(sk);
	return rc;
}
