#include "router/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

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

struct netlink {
	struct nl_sock *sk;
};

int
netlink_open(struct netlink **out, char *err, size_t errlen)
{
	struct netlink *nl;
	int rc;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (nl == NULL)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (nl->sk == NULL) {
		free(nl);
		snprintf(err, errlen, "cannot allocate a netlink socket");
		return -ENOMEM;
	}
	if ((rc = nl_connect(nl->sk, NETLINK_ROUTE)) < 0) {
		snprintf(err, errlen, "cannot connect to rtnetlink: %s",
		    nl_geterror(rc));
		nl_socket_free(nl->sk);
		free(nl);
		return nl_to_errno(rc);
	}
	*out = nl;
	return 0;
}

void
netlink_close(struct netlink *nl)
{
	if (nl == NULL)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

int
netlink_link_up(struct netlink *nl, const char *ifname, unsigned int mtu,
    unsigned int txqlen, int *ifindex, char *err, size_t errlen)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int rc;

	rc = rtnl_link_get_kernel(nl->sk, 0, ifname, &link);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", ifname, nl_geterror(rc));
		return nl_to_errno(rc);
	}
	change = rtnl_link_alloc();
	if (change == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_mtu(change, mtu);
	rtnl_link_set_flags(change, IFF_UP);
	if (txqlen > 0)
		rtnl_link_set_txqlen(change, txqlen);
	rc = rtnl_link_change(nl->sk, link, change, 0);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot set mtu %u and up: %s",
		    ifname, mtu, nl_geterror(rc));
		rc = nl_to_errno(rc);
		goto out;
	}
	*ifindex = rtnl_link_get_ifindex(link);
	rc = 0;
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	return rc;
}

int
netlink_link_delete(struct netlink *nl, const char *ifname)
{
	struct rtnl_link *link = NULL;
	int rc;

	rc = rtnl_link_get_kernel(nl->sk, 0, ifname, &link);
	if (rc < 0)
		return nl_to_errno(rc);
	rc = rtnl_link_delete(nl->sk, link);
	rtnl_link_put(link);
	return rc < 0 ? nl_to_errno(rc) : 0;
}

int
netlink_link_mtu(struct netlink *nl, const char *ifname)
{
	struct rtnl_link *link = NULL;
	int rc;

	rc = rtnl_link_get_kernel(nl->sk, 0, ifname, &link);
	if (rc < 0)
		return nl_to_errno(rc);
	rc = (int)rtnl_link_get_mtu(link);
	rtnl_link_put(link);
	return rc;
}

static struct nl_addr *
to_nl_addr(const struct sluice_prefix *p)
{
	struct nl_addr *a = nl_addr_build(p->addr.family, &p->addr.u,
	    sluice_addr_len(p->addr.family));

	if (a != NULL)
		nl_addr_set_prefixlen(a, p->len);
	return a;
}

static bool
nl_addr_is(struct nl_addr *a, const struct sluice_prefix *p)
{
	size_t n = sluice_addr_len(p->addr.family);

	if (a == NULL)
		return p->len == 0;
	return nl_addr_get_family(a) == p->addr.family &&
	    nl_addr_get_prefixlen(a) == p->len &&
	    (p->len == 0 || (nl_addr_get_len(a) == n &&
	    memcmp(nl_addr_get_binary_addr(a), &p->addr.u, n) == 0));
}

/*
 * Objects of ours found in a kernel dump that nothing wants any more.
 * Holding references, so they outlive the cache they came from.
 */
struct stale {
	struct nl_object **v;
	size_t n, cap;
};

static void
stale_push(struct stale *st, struct nl_object *obj)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		struct nl_object **nv = realloc(st->v, cap * sizeof(*nv));

		if (nv == NULL)
			return;	/* removed on the next sync */
		st->v = nv;
		st->cap = cap;
	}
	nl_object_get(obj);
	st->v[st->n++] = obj;
}

/* Deletes and releases every stale object; returns the first error. */
static int
stale_delete(struct nl_sock *sk, struct stale *st,
    int (*del)(struct nl_sock *, struct nl_object *), const char *what,
    unsigned int *removed, char *err, size_t errlen)
{
	int first = 0;

	for (size_t i = 0; i < st->n; i++) {
		int rc = del(sk, st->v[i]);

		if (rc < 0 && first == 0) {
			first = nl_to_errno(rc);
			snprintf(err, errlen, "cannot delete a %s: %s", what,
			    nl_geterror(rc));
		} else if (rc >= 0) {
			(*removed)++;
		}
		nl_object_put(st->v[i]);
	}
	free(st->v);
	memset(st, 0, sizeof(*st));
	return first;
}

static int
del_route(struct nl_sock *sk, struct nl_object *o)
{
	return rtnl_route_delete(sk, (struct rtnl_route *)o, 0);
}

static int
del_rule(struct nl_sock *sk, struct nl_object *o)
{
	return rtnl_rule_delete(sk, (struct rtnl_rule *)o, 0);
}

struct route_scan {
	int family;
	uint8_t type;
	uint32_t table;
	int ifindex;
	const struct sluice_prefix *want;
	size_t n;
	bool *found;
	struct stale stale;
};

static void
scan_route(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct route_scan *s = arg;
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_family(r) != s->family ||
	    rtnl_route_get_protocol(r) != NETLINK_PROTO_SLUICE ||
	    rtnl_route_get_table(r) != s->table ||
	    rtnl_route_get_type(r) != s->type)
		return;
	nh = rtnl_route_get_nnexthops(r) == 1 ? rtnl_route_nexthop_n(r, 0) :
	    NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->found[i] && nl_addr_is(rtnl_route_get_dst(r),
		    &s->want[i]) && (s->type != RTN_UNICAST ||
		    (nh != NULL && rtnl_route_nh_get_ifindex(nh) == s->ifindex))) {
			s->found[i] = true;
			return;
		}
	}
	stale_push(&s->stale, obj);
}

int
netlink_routes_sync(struct netlink *nl, int family, uint32_t table,
    uint8_t type, int ifindex, const struct sluice_prefix *want, size_t n,
    struct netlink_sync_stats *st, char *err, size_t errlen)
{
	struct route_scan s = { .family = family, .type = type, .table = table,
		.ifindex = ifindex, .want = want, .n = n };
	struct nl_cache *cache = NULL;
	int rc, first_err = 0;

	memset(st, 0, sizeof(*st));
	s.found = calloc(n ? n : 1, sizeof(bool));
	if (s.found == NULL)
		return -ENOMEM;
	rc = rtnl_route_alloc_cache(nl->sk, family, 0, &cache);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list routes: %s", nl_geterror(rc));
		free(s.found);
		return nl_to_errno(rc);
	}
	nl_cache_foreach(cache, scan_route, &s);
	first_err = stale_delete(nl->sk, &s.stale, del_route, "route",
	    &st->removed, err, errlen);
	for (size_t i = 0; i < n; i++) {
		struct rtnl_route *r;
		struct rtnl_nexthop *nh;
		struct nl_addr *dst;

		if (s.found[i]) {
			st->kept++;
			continue;
		}
		r = rtnl_route_alloc();
		nh = type == RTN_UNICAST ? rtnl_route_nh_alloc() : NULL;
		dst = to_nl_addr(&want[i]);
		if (r == NULL || (type == RTN_UNICAST && nh == NULL) ||
		    dst == NULL) {
			rtnl_route_put(r);
			rtnl_route_nh_free(nh);
			nl_addr_put(dst);
			first_err = first_err ? first_err : -ENOMEM;
			continue;
		}
		rtnl_route_set_family(r, (uint8_t)family);
		rtnl_route_set_table(r, table);
		rtnl_route_set_protocol(r, NETLINK_PROTO_SLUICE);
		rtnl_route_set_scope(r, type == RTN_UNICAST ? RT_SCOPE_LINK :
		    RT_SCOPE_UNIVERSE);
		rtnl_route_set_type(r, type);
		rtnl_route_set_dst(r, dst);
		if (nh != NULL) {
			rtnl_route_nh_set_ifindex(nh, ifindex);
			rtnl_route_add_nexthop(r, nh);	/* r owns nh now */
		}
		rc = rtnl_route_add(nl->sk, r, NLM_F_CREATE | NLM_F_REPLACE);
		if (rc < 0 && first_err == 0) {
			char p[SLUICE_PREFIXSTRLEN];

			first_err = nl_to_errno(rc);
			snprintf(err, errlen, "cannot add route %s: %s",
			    sluice_prefix_str(&want[i], p, sizeof(p)),
			    nl_geterror(rc));
		} else if (rc >= 0) {
			st->added++;
		}
		nl_addr_put(dst);
		rtnl_route_put(r);
	}
	free(s.found);
	nl_cache_free(cache);
	return first_err;
}

struct rule_scan {
	int family;
	const struct netlink_rule *want;
	size_t n;
	bool *found;
	struct stale stale;
};

static bool
rule_is(struct rtnl_rule *r, const struct netlink_rule *w)
{
	const char *iif = rtnl_rule_get_iif(r);

	if (rtnl_rule_get_prio(r) != w->prio ||
	    rtnl_rule_get_action(r) != (w->unreachable ? FR_ACT_UNREACHABLE :
	    FR_ACT_TO_TBL) ||
	    (!w->unreachable && rtnl_rule_get_table(r) != w->table))
		return false;
	uint8_t ipproto = 0;
	uint16_t lo = 0, hi = 0;

	if ((iif ? iif : "")[0] != w->iif[0] ||
	    (w->iif[0] && strcmp(iif, w->iif) != 0))
		return false;
	(void)rtnl_rule_get_ipproto(r, &ipproto);
	(void)rtnl_rule_get_dport(r, &lo, &hi);
	if (ipproto != w->ipproto || lo != w->dport_lo ||
	    (w->dport_lo && hi != w->dport_hi))
		return false;
	if (w->has_dst ? !nl_addr_is(rtnl_rule_get_dst(r), &w->dst) :
	    !(rtnl_rule_get_dst(r) == NULL ||
	    nl_addr_get_prefixlen(rtnl_rule_get_dst(r)) == 0))
		return false;
	if (w->has_src)
		return nl_addr_is(rtnl_rule_get_src(r), &w->src);
	return rtnl_rule_get_src(r) == NULL ||
	    nl_addr_get_prefixlen(rtnl_rule_get_src(r)) == 0;
}

static void
scan_rule(struct nl_object *obj, void *arg)
{
	struct rtnl_rule *r = (struct rtnl_rule *)obj;
	struct rule_scan *s = arg;
	uint8_t proto = 0;

	/* The cache may hold every family whatever it was asked for. */
	if (rtnl_rule_get_family(r) != s->family ||
	    rtnl_rule_get_protocol(r, &proto) < 0 ||
	    proto != NETLINK_PROTO_SLUICE)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->found[i] && rule_is(r, &s->want[i])) {
			s->found[i] = true;
			return;
		}
	}
	stale_push(&s->stale, obj);
}

int
netlink_rules_sync(struct netlink *nl, int family,
    const struct netlink_rule *want, size_t n, struct netlink_sync_stats *st,
    char *err, size_t errlen)
{
	struct rule_scan s = { .family = family, .want = want, .n = n };
	struct nl_cache *cache = NULL;
	int rc, first_err = 0;

	memset(st, 0, sizeof(*st));
	s.found = calloc(n ? n : 1, sizeof(bool));
	if (s.found == NULL)
		return -ENOMEM;
	rc = rtnl_rule_alloc_cache(nl->sk, family, &cache);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list rules: %s", nl_geterror(rc));
		free(s.found);
		return nl_to_errno(rc);
	}
	nl_cache_foreach(cache, scan_rule, &s);
	first_err = stale_delete(nl->sk, &s.stale, del_rule, "rule",
	    &st->removed, err, errlen);
	for (size_t i = 0; i < n; i++) {
		struct rtnl_rule *r;

		if (s.found[i]) {
			st->kept++;
			continue;
		}
		r = rtnl_rule_alloc();
		if (r == NULL) {
			first_err = first_err ? first_err : -ENOMEM;
			continue;
		}
		rtnl_rule_set_family(r, family);
		rtnl_rule_set_prio(r, want[i].prio);
		if (want[i].unreachable) {
			rtnl_rule_set_action(r, FR_ACT_UNREACHABLE);
		} else {
			rtnl_rule_set_table(r, want[i].table);
			rtnl_rule_set_action(r, FR_ACT_TO_TBL);
		}
		rtnl_rule_set_protocol(r, NETLINK_PROTO_SLUICE);
		if (want[i].iif[0])
			rtnl_rule_set_iif(r, want[i].iif);
		if (want[i].has_src) {
			struct nl_addr *src = to_nl_addr(&want[i].src);

			if (src != NULL) {
				rtnl_rule_set_src(r, src);
				nl_addr_put(src);
			}
		}
		if (want[i].has_dst) {
			struct nl_addr *dst = to_nl_addr(&want[i].dst);

			if (dst != NULL) {
				rtnl_rule_set_dst(r, dst);
				nl_addr_put(dst);
			}
		}
		if (want[i].ipproto)
			rtnl_rule_set_ipproto(r, want[i].ipproto);
		if (want[i].dport_lo)
			rtnl_rule_set_dport_range(r, want[i].dport_lo,
			    want[i].dport_hi);
		rc = rtnl_rule_add(nl->sk, r, NLM_F_CREATE);
		if (rc < 0 && first_err == 0) {
			first_err = nl_to_errno(rc);
			snprintf(err, errlen, "cannot add rule prio %u: %s",
			    want[i].prio, nl_geterror(rc));
		} else if (rc >= 0) {
			st->added++;
		}
		rtnl_rule_put(r);
	}
	free(s.found);
	nl_cache_free(cache);
	return first_err;
}

struct local_scan {
	int family;
	uint32_t pref;
	bool kernel0, ours;		/* found: at 0 (not ours), ours at pref */
	struct rtnl_rule *kernel_rule;	/* the one at 0, referenced */
	uint32_t lo, hi, foreign;	/* netlink_foreign_rule_in() */
	bool any_foreign;
};

static void
scan_local(struct nl_object *obj, void *arg)
{
	struct rtnl_rule *r = (struct rtnl_rule *)obj;
	struct local_scan *s = arg;
	uint8_t proto = 0;

	if (rtnl_rule_get_family(r) != s->family ||
	    rtnl_rule_get_table(r) != RT_TABLE_LOCAL ||
	    rtnl_rule_get_action(r) != FR_ACT_TO_TBL)
		return;
	(void)rtnl_rule_get_protocol(r, &proto);
	if (rtnl_rule_get_prio(r) == 0 && proto != NETLINK_PROTO_SLUICE &&
	    s->kernel_rule == NULL) {
		s->kernel0 = true;
		nl_object_get(obj);
		s->kernel_rule = r;
	}
	if (rtnl_rule_get_prio(r) == s->pref && proto == NETLINK_PROTO_SLUICE)
		s->ours = true;
}

int
netlink_local_rule(struct netlink *nl, int family, bool moved, uint32_t pref,
    char *err, size_t errlen)
{
	struct local_scan s = { .family = family, .pref = pref };
	struct nl_cache *cache = NULL;
	int rc = 0;

	rc = rtnl_rule_alloc_cache(nl->sk, family, &cache);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list rules: %s", nl_geterror(rc));
		return nl_to_errno(rc);
	}
	nl_cache_foreach(cache, scan_local, &s);
	if (moved && s.kernel0) {
		if (!s.ours) {
			snprintf(err, errlen,
			    "will not move the local rule: ours at %u is missing",
			    pref);
			rc = -ENOENT;
		} else if ((rc = rtnl_rule_delete(nl->sk, s.kernel_rule,
		    0)) < 0) {
			snprintf(err, errlen,
			    "cannot move the local rule off preference 0: %s",
			    nl_geterror(rc));
			rc = nl_to_errno(rc);
		}
	} else if (!moved && !s.kernel0) {
		struct rtnl_rule *r = rtnl_rule_alloc();

		if (r == NULL) {
			rc = -ENOMEM;
		} else {
			rtnl_rule_set_family(r, family);
			rtnl_rule_set_prio(r, 0);
			rtnl_rule_set_table(r, RT_TABLE_LOCAL);
			rtnl_rule_set_action(r, FR_ACT_TO_TBL);
			rtnl_rule_set_protocol(r, RTPROT_KERNEL);
			rc = rtnl_rule_add(nl->sk, r, NLM_F_CREATE);
			if (rc < 0) {
				snprintf(err, errlen,
				    "cannot put the local rule back at preference 0: %s",
				    nl_geterror(rc));
				rc = nl_to_errno(rc);
			}
			rtnl_rule_put(r);
		}
	}
	if (s.kernel_rule != NULL)
		rtnl_rule_put(s.kernel_rule);
	nl_cache_free(cache);
	return rc < 0 ? rc : 0;
}

static void
scan_foreign(struct nl_object *obj, void *arg)
{
	struct rtnl_rule *r = (struct rtnl_rule *)obj;
	struct local_scan *s = arg;
	uint8_t proto = 0;
	uint32_t prio = rtnl_rule_get_prio(r);

	(void)rtnl_rule_get_protocol(r, &proto);
	if (rtnl_rule_get_family(r) != s->family ||
	    proto == NETLINK_PROTO_SLUICE || prio < s->lo || prio > s->hi)
		return;
	if (!s->any_foreign) {
		s->any_foreign = true;
		s->foreign = prio;
	}
}

bool
netlink_foreign_rule_in(struct netlink *nl, int family, uint32_t lo,
    uint32_t hi, uint32_t *found)
{
	struct local_scan s = { .family = family, .lo = lo, .hi = hi };
	struct nl_cache *cache = NULL;

	if (rtnl_rule_alloc_cache(nl->sk, family, &cache) < 0)
		return false;
	nl_cache_foreach(cache, scan_foreign, &s);
	nl_cache_free(cache);
	if (s.any_foreign && found != NULL)
		*found = s.foreign;
	return s.any_foreign;
}

int
netlink_sysctl_set(const char *path, const char *value)
{
	char full[256];
	int fd, rc = 0;
	size_t len = strlen(value);

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		rc = -errno;
	close(fd);
	return rc;
}
