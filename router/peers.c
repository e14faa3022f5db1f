#include "router/peers.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "router/daemon.h"
#include "router/linkproto.h"
#include "egress/egress.h"
#include "router/dnsd.h"
#include "router/egressd.h"
#include "router/endpoints.h"
#include "router/links.h"
#include "router/policyd.h"
#include "router/polstate.h"

const char *
peer_state_name(enum peer_state st)
{
	switch (st) {
	case PEER_DOWN:
		return "down";
	case PEER_GRACE:
		return "grace";
	case PEER_UP:
		return "up";
	}
	return "?";
}

void
peers_default_mac(const char *node, uint8_t mac[6])
{
	static const char label[] = "sluice-vtep-mac-v1";
	uint8_t h[16];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label));
	crypto_generichash_update(&st, (const uint8_t *)node, strlen(node));
	crypto_generichash_final(&st, h, sizeof(h));
	/* Locally administered (0x02), unicast (group bit clear). */
	mac[0] = (uint8_t)((h[0] & 0xfc) | 0x02);
	memcpy(mac + 1, h + 1, 5);
}

struct peer *
peers_find(struct sluiced *d, const char *name)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i].name, name) == 0)
			return &d->peers[i];
	return NULL;
}

struct peer *
peers_find_addr(struct sluiced *d, const struct sluice_addr *a)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (sluice_addr_eq(&d->peers[i].addr, a))
			return &d->peers[i];
	return NULL;
}

static int
set_blocks(struct peer *p, const struct sluice_prefix *b, uint32_t n)
{
	struct sluice_prefix *nb = NULL;

	if (n > 0) {
		nb = malloc(n * sizeof(*nb));
		if (nb == NULL)
			return -ENOMEM;
		memcpy(nb, b, n * sizeof(*nb));
	}
	free(p->blocks);
	p->blocks = nb;
	p->nblocks = n;
	return 0;
}

static void recheck_blocks(struct sluiced *d, struct peer *p);

void
peers_sync_manifest(struct sluiced *d, bool grace)
{
	const struct cluster *cl = &d->manifests.cluster;
	const struct cluster_node *self;
	struct peer *np;
	size_t n = 0;
	uint64_t now = uv_now(d->loop);

	/* Our own blocks: the manifest's, and what IPAM claimed for us. */
	self = cluster_node_find(cl, d->cfg.node_name);
	if (self == NULL && cl->nnodes > 0)
		log_warnx("cluster manifest has no Node %s: it has no podCIDRs",
		    d->cfg.node_name);
	ipamd_own_blocks(d);

	np = calloc(cl->nnodes ? cl->nnodes : 1, sizeof(*np));
	if (np == NULL)
		fatalx("out of memory building the peer table");
	for (size_t i = 0; i < cl->nnodes; i++) {
		const struct cluster_node *cn = &cl->nodes[i];
		struct peer *old = peers_find(d, cn->name), *p = &np[n];

		if (strcmp(cn->name, d->cfg.node_name) == 0)
			continue;
		if (old != NULL && old->managed == cn->managed &&
		    sluice_addr_eq(&old->addr, &cn->address)) {
			*p = *old;		/* keeps state, link, blocks */
			old->blocks = NULL;
			old->link = NULL;
		} else {
			snprintf(p->name, sizeof(p->name), "%s", cn->name);
			p->addr = cn->address;
			p->managed = cn->managed;
			p->since_ms = now;
			p->state = PEER_DOWN;
			if (!cn->managed) {
				p->state = PEER_UP;
				p->ups = 1;
			} else if (grace) {
				p->state = PEER_GRACE;
			}
		}
		if (cn->has_vtep_mac)
			memcpy(p->mac, cn->vtep_mac, 6);
		else if (old == NULL || !cn->managed)
			peers_default_mac(cn->name, p->mac);
		/*
		 * Until a peer announces its blocks, the manifest's are
		 * its blocks; a node without sluiced never announces.
		 */
		if (!cn->managed || p->blocks_gen == 0)
			set_blocks(p, cn->pod_cidrs, cn->n_pod_cidrs);
		n++;
	}
	/* Links point at peers: move them (or close them) first. */
	links_peers_moved(d, np, n);
	for (size_t i = 0; i < d->npeers; i++)
		free(d->peers[i].blocks);
	free(d->peers);
	d->peers = np;
	d->npeers = n;
	/* Announced blocks were checked against the old pools and blocks. */
	for (size_t i = 0; i < n; i++)
		if (np[i].managed && np[i].blocks_gen != 0)
			recheck_blocks(d, &np[i]);
}

void
peer_set_state(struct sluiced *d, struct peer *p, enum peer_state st,
    const char *why)
{
	if (p->state == st)
		return;
	log_info("peer %s (%s): %s -> %s: %s", p->name,
	    sluice_addr_str(&p->addr, (char[SLUICE_ADDRSTRLEN]){ 0 },
	    SLUICE_ADDRSTRLEN), peer_state_name(p->state),
	    peer_state_name(st), why);
	if (st == PEER_UP)
		p->ups++;
	if (p->state == PEER_UP && st == PEER_DOWN)
		p->downs++;
	p->state = st;
	p->since_ms = uv_now(d->loop);
	peers_apply(d);
}

static bool
routed(const struct peer *p)
{
	return p->state == PEER_UP || p->state == PEER_GRACE;
}

static struct dp_snapshot *
compile(struct sluiced *d)
{
	const struct cluster *cl = &d->manifests.cluster;
	struct dp_snapshot *s;
	struct dplane_info di;
	int rc = 0;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	dplane_info_get(d->dp, &di);
	s->vni = d->cfg.vni;
	memcpy(s->mac, d->vtep_mac, 6);
	if (d->cfg.underlay_addr.family == AF_INET)
		s->self4 = d->cfg.underlay_addr;
	s->tun_mtu = di.tun_mtu;
	s->dst4 = lpm_new(AF_INET);
	s->dst6 = lpm_new(AF_INET6);
	s->src = lpm_new(d->cfg.underlay_addr.family);
	s->peers = calloc(d->npeers ? d->npeers : 1, sizeof(*s->peers));
	if (!s->dst4 || !s->dst6 || !s->src || !s->peers)
		goto fail;
	/* Least specific first: pools, then blocks (LPM picks the longest). */
	for (size_t i = 0; i < cl->npools; i++) {
		struct lpm *t = cl->pools[i].cidr.addr.family == AF_INET ?
		    s->dst4 : s->dst6;

		rc |= lpm_insert(t, &cl->pools[i].cidr, DP_ROUTE_UNREACH);
	}
	for (uint32_t i = 0; i < d->nblocks; i++) {
		struct lpm *t = d->blocks[i].addr.family == AF_INET ?
		    s->dst4 : s->dst6;

		rc |= lpm_insert(t, &d->blocks[i], DP_ROUTE_LOCAL);
	}
	for (size_t i = 0; i < d->npeers; i++) {
		const struct peer *p = &d->peers[i];
		struct dp_peer *dpp = &s->peers[s->npeers];
		struct sluice_prefix host = { .addr = p->addr,
			.len = (uint8_t)(8 * sluice_addr_len(p->addr.family)) };

		snprintf(dpp->name, sizeof(dpp->name), "%s", p->name);
		dpp->up = p->state == PEER_UP;
		dpp->underlay = p->addr;
		memcpy(dpp->mac, p->mac, 6);
		dpp->mtu = p->mtu && p->mtu < di.tun_mtu ? p->mtu : di.tun_mtu;
		if (p->addr.family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&dpp->sa;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(d->cfg.vxlan_port);
			sin->sin_addr = p->addr.u.v4;
			dpp->salen = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&dpp->sa;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(d->cfg.vxlan_port);
			sin6->sin6_addr = p->addr.u.v6;
			dpp->salen = sizeof(*sin6);
		}
		/* Any node of the manifest may send us VXLAN. */
		if (p->addr.family == d->cfg.underlay_addr.family)
			rc |= lpm_insert(s->src, &host, s->npeers);
		if (routed(p)) {
			for (uint32_t b = 0; b < p->nblocks; b++) {
				struct lpm *t = p->blocks[b].addr.family ==
				    AF_INET ? s->dst4 : s->dst6;

				rc |= lpm_insert(t, &p->blocks[b],
				    DP_ROUTE_PEER | s->npeers);
			}
		}
		s->npeers++;
	}
	/* NAT outgoing: IPv4 pools that ask for it, to the NAT addresses. */
	s->nat_src = lpm_new(AF_INET);
	s->no_nat = lpm_new(AF_INET);
	if (s->nat_src == NULL || s->no_nat == NULL)
		goto fail;
	for (size_t i = 0; i < cl->npools; i++)
		if (cl->pools[i].nat_outgoing &&
		    cl->pools[i].cidr.addr.family == AF_INET)
			rc |= lpm_insert(s->nat_src, &cl->pools[i].cidr, 1);
	for (uint32_t i = 0; i < d->cfg.nno_nat; i++)
		if (d->cfg.no_nat[i].addr.family == AF_INET)
			rc |= lpm_insert(s->no_nat, &d->cfg.no_nat[i], 1);
	for (uint32_t i = 0; i < d->cfg.nat_naddrs && i < 8; i++)
		s->nat_addrs[s->nnat++] = d->cfg.nat_addrs[i];
	s->nat_lo = d->cfg.nat_port_lo;
	s->nat_hi = d->cfg.nat_port_hi;
	s->pol = policy_state_ref(policyd_state(d));
	s->pf = dplane_pf(d->dp);
	s->egw = egressd_compile(d);
	s->egw_flows = dplane_egress_flows(d->dp);
	s->dns = dnsd_table(d);
	s->dns_grace = d->cfg.dns_grace_s;
	if (s->dns != NULL && d->cfg.ndns_resolvers > 0) {
		s->dns_resolvers = lpm_new(AF_INET);
		s->dns_resolvers6 = lpm_new(AF_INET6);
		if (s->dns_resolvers == NULL || s->dns_resolvers6 == NULL)
			goto fail;
		for (uint32_t i = 0; i < d->cfg.ndns_resolvers; i++)
			rc |= lpm_insert(d->cfg.dns_resolvers[i].addr.family ==
			    AF_INET ? s->dns_resolvers : s->dns_resolvers6,
			    &d->cfg.dns_resolvers[i], 1);
	}
	/* Read-only from here on: the sorted-range form for the worker. */
	{
		struct lpm *const tables[] = { s->dst4, s->dst6, s->src,
		    s->nat_src, s->no_nat, s->dns_resolvers,
		    s->dns_resolvers6 };

		for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]);
		    i++)
			if (tables[i] != NULL && lpm_seal(tables[i]) != 0)
				log_warnx("routes: out of memory sealing a table; lookups walk the trie");
	}
	if (rc == 0)
		return s;
fail:
	dp_snapshot_free(s);
	return NULL;
}

/* NAT outgoing is in force: an IPv4 pool asks for it, and addresses. */
static bool
nat_active(const struct sluiced *d)
{
	const struct cluster *cl = &d->manifests.cluster;

	if (d->stopping || d->cfg.nat_naddrs == 0)
		return false;
	for (size_t i = 0; i < cl->npools; i++)
		if (cl->pools[i].nat_outgoing &&
		    cl->pools[i].cidr.addr.family == AF_INET)
			return true;
	return false;
}

/*
 * The return path of NAT (netlink.h): per NAT address, TCP and UDP to
 * the port range and ICMP arriving on the uplink go to our table; and
 * our local rule behind them. Appends to rules[*nr..max).
 */
static void
nat_rules(const struct sluiced *d, struct netlink_rule *rules, size_t *nr,
    size_t max)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
		IPPROTO_ICMP };

	for (uint32_t a = 0; a < d->cfg.nat_naddrs; a++) {
		for (size_t k = 0; k < 3 && *nr < max; k++) {
			struct netlink_rule *r = &rules[(*nr)++];

			memset(r, 0, sizeof(*r));
			r->prio = NAT_RULE_PREF;
			r->has_dst = true;
			r->dst.addr.family = AF_INET;
			memcpy(&r->dst.addr.u.v4, &d->cfg.nat_addrs[a], 4);
			r->dst.len = 32;
			r->ipproto = protos[k];
			if (protos[k] != IPPROTO_ICMP) {
				r->dport_lo = d->cfg.nat_port_lo;
				r->dport_hi = d->cfg.nat_port_hi;
			}
			snprintf(r->iif, sizeof(r->iif), "%s",
			    d->cfg.underlay_if);
			r->table = d->cfg.route_table;
		}
	}
	if (*nr < max) {
		memset(&rules[*nr], 0, sizeof(rules[0]));
		rules[*nr].prio = NAT_LOCAL_PREF;
		rules[(*nr)++].table = RT_TABLE_LOCAL;
	}
}

/* The return path of this node's egress IPs, if it is a gateway. */
static void
egress_rules(const struct sluiced *d, struct netlink_rule *rules, size_t *nr,
    size_t max)
{
	const struct cluster_node *self =
	    cluster_node_find(&d->manifests.cluster, d->cfg.node_name);

	for (size_t i = 0; self != NULL && i < self->negress_addrs &&
	    *nr < max; i++) {
		struct netlink_rule *r = &rules[(*nr)++];

		memset(r, 0, sizeof(*r));
		r->prio = d->cfg.rule_priority + 1;
		r->has_dst = true;
		r->dst.addr = self->egress_addrs[i];
		r->dst.len = 32;
		snprintf(r->iif, sizeof(r->iif), "%s", d->cfg.underlay_if);
		r->table = d->cfg.route_table;
	}
}

static void
sync_kernel(struct sluiced *d)
{
	const struct cluster *cl = &d->manifests.cluster;
	struct netlink_sync_stats st;
	struct netlink_rule rules[2 + 192 + 3 * CONFIG_NAT_ADDRS_MAX + 1 +
	    EGRESS_ADDRS_MAX];
	bool nat = nat_active(d);
	uint32_t pref;

	/* Rules of someone else's where ours must go: NAT stays off. */
	if (nat && netlink_foreign_rule_in(d->nl, AF_INET, NAT_RULE_PREF,
	    NAT_LOCAL_PREF, &pref)) {
		log_error("nat: a rule not of sluiced has preference %u, which NAT outgoing needs for its return path; NAT stays off until it is moved",
		    pref);
		nat = false;
	}
	struct sluice_prefix *want;
	struct dplane_info di;
	size_t n = 0, nr = 0, total = 0;
	char err[256];
	int fam;

	dplane_info_get(d->dp, &di);
	for (size_t i = 0; i < d->npeers; i++)
		total += d->peers[i].nblocks;
	want = calloc(total + cl->npools + 1, sizeof(*want));
	if (want == NULL) {
		log_warnx("routes: out of memory; kernel routes not updated");
		return;
	}
	for (int f = 0; f < 2; f++) {
		fam = f == 0 ? AF_INET : AF_INET6;
		/* main: the blocks of live peers through the TUN ... */
		n = 0;
		for (size_t i = 0; i < d->npeers; i++) {
			if (!routed(&d->peers[i]))
				continue;
			for (uint32_t b = 0; b < d->peers[i].nblocks; b++)
				if (d->peers[i].blocks[b].addr.family == fam)
					want[n++] = d->peers[i].blocks[b];
		}
		if (netlink_routes_sync(d->nl, fam, RT_TABLE_MAIN, RTN_UNICAST,
		    di.ifindex, want, n, &st, err, sizeof(err)) != 0)
			log_warnx("routes: %s", err);
		/* ... and the rest of each pool unreachable, never leaked to
		 * a default route. Pods' /32 routes are more specific. */
		n = 0;
		for (size_t i = 0; i < cl->npools; i++)
			if (cl->pools[i].cidr.addr.family == fam)
				want[n++] = cl->pools[i].cidr;
		if (netlink_routes_sync(d->nl, fam, RT_TABLE_MAIN,
		    RTN_UNREACHABLE, 0, want, n, &st, err, sizeof(err)) != 0)
			log_warnx("routes: %s", err);
		/* Our table: a default route through the TUN, for what pods
		 * of this family send, if there is a pool of this family. */
		n = 0;
		for (size_t i = 0; i < cl->npools; i++)
			if (cl->pools[i].cidr.addr.family == fam)
				n = 1;
		memset(&want[0], 0, sizeof(want[0]));
		want[0].addr.family = fam;
		if (netlink_routes_sync(d->nl, fam, d->cfg.route_table,
		    RTN_UNICAST, di.ifindex, want, n, &st, err,
		    sizeof(err)) != 0)
			log_warnx("routes: table %u: %s", d->cfg.route_table, err);
		/*
		 * Rules: what comes out of the TUN is routed normally (so a
		 * packet sluiced hands back never loops into the TUN), what
		 * pods send goes to our table.
		 */
		nr = 0;
		if (n > 0) {
			memset(rules, 0, sizeof(rules));
			rules[nr].prio = d->cfg.rule_priority;
			snprintf(rules[nr].iif, sizeof(rules[nr].iif), "%s",
			    d->cfg.tun_name);
			rules[nr++].table = RT_TABLE_MAIN;
			for (size_t i = 0; i < cl->npools && nr < 66; i++) {
				if (cl->pools[i].cidr.addr.family != fam)
					continue;
				rules[nr].prio = d->cfg.rule_priority + 1;
				rules[nr].has_src = true;
				rules[nr].src = cl->pools[i].cidr;
				rules[nr++].table = d->cfg.route_table;
			}
			/*
			 * From the outside to a pod (pools routed to the
			 * nodes, without NAT): through sluiced too, so what
			 * applies to pods' traffic (policy) applies to it.
			 */
			for (size_t i = 0; i < cl->npools && nr < 130; i++) {
				if (cl->pools[i].cidr.addr.family != fam)
					continue;
				memset(&rules[nr], 0, sizeof(rules[0]));
				rules[nr].prio = d->cfg.rule_priority + 1;
				rules[nr].has_dst = true;
				rules[nr].dst = cl->pools[i].cidr;
				snprintf(rules[nr].iif, sizeof(rules[nr].iif), "%s",
				    d->cfg.underlay_if);
				rules[nr++].table = d->cfg.route_table;
			}
			/*
			 * Fail closed: when our table has no route (the TUN
			 * went down with the daemon), a natOutgoing pod's
			 * packet must not fall through to main and leave
			 * untranslated. Kept over a stop, like the rest.
			 */
			for (size_t i = 0; i < cl->npools && nr < 194; i++) {
				if (cl->pools[i].cidr.addr.family != fam ||
				    !cl->pools[i].nat_outgoing)
					continue;
				memset(&rules[nr], 0, sizeof(rules[0]));
				rules[nr].prio = d->cfg.rule_priority + 2;
				rules[nr].has_src = true;
				rules[nr].src = cl->pools[i].cidr;
				rules[nr++].unreachable = true;
			}
		}
		/*
		 * An egress gateway: what comes back to its egress IPs (routed
		 * here by the outside, never local addresses) goes to sluiced
		 * for translation back to the pods.
		 */
		if (fam == AF_INET && n > 0)
			egress_rules(d, rules, &nr,
			    sizeof(rules) / sizeof(rules[0]));
		/*
		 * NAT: steering rules and our local rule first, then the
		 * kernel's local rule off 0; without NAT, the kernel's back
		 * at 0 before ours go (the node never lacks one).
		 */
		if (fam == AF_INET && nat)
			nat_rules(d, rules, &nr, sizeof(rules) / sizeof(rules[0]));
		if (fam == AF_INET && !nat && netlink_local_rule(d->nl, fam,
		    false, NAT_LOCAL_PREF, err, sizeof(err)) != 0)
			log_warnx("rules: %s", err);
		if (netlink_rules_sync(d->nl, fam, rules, nr, &st, err,
		    sizeof(err)) != 0)
			log_warnx("rules: %s", err);
		if (fam == AF_INET && nat && netlink_local_rule(d->nl, fam,
		    true, NAT_LOCAL_PREF, err, sizeof(err)) != 0)
			log_warnx("rules: %s", err);
	}
	free(want);
}

void
peers_kernel_release(struct sluiced *d)
{
	/* d->stopping is set: sync_kernel() leaves NAT out. */
	sync_kernel(d);
}

bool
peers_publish(struct sluiced *d)
{
	struct dp_snapshot *s;

	if (d->dp == NULL)
		return false;
	s = compile(d);
	if (s == NULL) {
		log_warnx("routes: cannot compile the data-path snapshot (out of memory); the previous one stays");
		return false;
	}
	dplane_publish(d->dp, s);
	return true;
}

void
peers_apply(struct sluiced *d)
{
	if (peers_publish(d))
		sync_kernel(d);
}

void
peers_free(struct sluiced *d)
{
	free(d->blocks);
	d->blocks = NULL;
	d->nblocks = 0;
	for (size_t i = 0; i < d->npeers; i++)
		free(d->peers[i].blocks);
	free(d->peers);
	d->peers = NULL;
	d->npeers = 0;
}

/*
 * Keeps of b[0..n) what lies inside an IPPool and overlaps no block of
 * ours or of another live peer, writing it to ok; logs the rest.
 */
static uint32_t
filter_blocks(struct sluiced *d, const struct peer *p,
    const struct sluice_prefix *b, uint32_t n, struct sluice_prefix *ok)
{
	const struct cluster *cl = &d->manifests.cluster;
	char s[SLUICE_PREFIXSTRLEN];
	uint32_t kept = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct sluice_prefix *x = &b[i];
		const struct cluster_pool *pool = cluster_pool_find(cl, &x->addr);
		const char *why = NULL;

		if (pool == NULL || x->len < pool->cidr.len)
			why = "not inside any IPPool";
		for (uint32_t j = 0; why == NULL && j < d->nblocks; j++)
			if (sluice_prefix_overlaps(x, &d->blocks[j]))
				why = "overlaps a block of this node";
		for (size_t k = 0; why == NULL && k < d->npeers; k++) {
			const struct peer *o = &d->peers[k];

			if (o == p || o->state == PEER_DOWN)
				continue;
			for (uint32_t j = 0; why == NULL && j < o->nblocks; j++)
				if (sluice_prefix_overlaps(x, &o->blocks[j]))
					why = "overlaps a block of another live node";
		}
		if (why != NULL) {
			log_warnx("peer %s announces %s: %s; ignored", p->name,
			    sluice_prefix_str(x, s, sizeof(s)), why);
			continue;
		}
		ok[kept++] = *x;
	}
	return kept;
}

/* Replaces p's blocks with ok[0..n) (taking ownership); true if changed. */
static bool
replace_blocks(struct peer *p, struct sluice_prefix *ok, uint32_t n)
{
	bool changed = n != p->nblocks ||
	    (n > 0 && memcmp(ok, p->blocks, n * sizeof(*ok)) != 0);

	free(p->blocks);
	p->blocks = ok;
	p->nblocks = n;
	return changed;
}

/* After a reload: what a peer announced must still be acceptable. */
static void
recheck_blocks(struct sluiced *d, struct peer *p)
{
	struct sluice_prefix *ok = calloc(p->nblocks ? p->nblocks : 1,
	    sizeof(*ok));
	uint32_t n;

	if (ok == NULL)
		return;
	n = filter_blocks(d, p, p->blocks, p->nblocks, ok);
	if (replace_blocks(p, ok, n))
		log_info("peer %s keeps %u blocks under the new manifest",
		    p->name, n);
}

void
peers_accept_blocks(struct sluiced *d, struct peer *p,
    const struct link_blocks *b)
{
	struct sluice_prefix *ok;
	uint32_t n;

	ok = calloc(b->n ? b->n : 1, sizeof(*ok));
	if (ok == NULL)
		return;
	n = filter_blocks(d, p, b->blocks, b->n, ok);
	p->blocks_gen = b->generation ? b->generation : 1;
	if (replace_blocks(p, ok, n)) {
		log_info("peer %s owns %u blocks", p->name, n);
		ipamd_peer_blocks(d, p);
		/* Its pods are believed for the addresses of its blocks. */
		if (endpoints_of(p->name) != NULL)
			policyd_update(d, POLICYD_TOPOLOGY);
		peers_apply(d);
	}
}
