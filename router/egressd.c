/*
 * egressd.c - egress gateways in the daemon (see egressd.h).
 */
#include "router/egressd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mp.h"
#include "egress/egress.h"
#include "policy/flows.h"
#include "router/ctlargs.h"
#include "router/daemon.h"
#include "router/lpm.h"
#include "router/policyd.h"
#include "router/polstate.h"

#define HEALTH_MS 50

void
dp_egress_free(struct dp_egress *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->npolicies; i++) {
		free(e->policies[i].dests);
		free(e->policies[i].cands);
	}
	for (size_t i = 0; i < e->npods; i++)
		free(e->pods[i].policies);
	free(e->policies);
	free(e->pods);
	lpm_destroy(e->pod4);
	lpm_destroy(e->pod6);
	free(e);
}

/* FNV-1a of a node name: how a pinned flow finds its gateway again. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static const char *
label_of(const struct sluice_label *l, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].key, key) == 0)
			return l[i].value;
	return NULL;
}

bool
egressd_healthy(struct sluiced *d, const char *node)
{
	const struct peer *p = peers_find(d, node);

	return p != NULL && p->state == PEER_UP && p->link != NULL &&
	    uv_now(d->loop) - p->last_rx_ms <= d->cfg.egress_failover_ms;
}

static const struct cluster_node *
self_node(struct sluiced *d)
{
	return cluster_node_find(&d->manifests.cluster, d->cfg.node_name);
}

static const char *
zone_of_node(struct sluiced *d, const char *node)
{
	const struct cluster_node *n =
	    cluster_node_find(&d->manifests.cluster, node);

	return n != NULL ? label_of(n->labels, n->nlabels, EGRESS_ZONE_LABEL) :
	    NULL;
}

/* The peer index a node has in the snapshot peers.c builds (its order). */
static uint32_t
peer_index(struct sluiced *d, const char *node)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i].name, node) == 0)
			return (uint32_t)i;
	return UINT32_MAX;
}

static int
build_policy(struct sluiced *d, const struct egress_policy *p,
    struct dp_egress_policy *out)
{
	const struct cluster *cl = &d->manifests.cluster;
	struct egress_candidate c[EGRESS_GATEWAYS_MAX];
	const char *zone = zone_of_node(d, d->cfg.node_name);
	size_t n;

	snprintf(out->name, sizeof(out->name), "%s", p->name);
	out->pod_selector = p->pod_selector != NULL;
	out->fallback_nat = p->fallback == EGRESS_FALLBACK_NAT;
	if (p->ndests > 0) {
		out->dests = calloc(p->ndests, sizeof(*out->dests));
		if (out->dests == NULL)
			return -ENOMEM;
		memcpy(out->dests, p->dests, p->ndests * sizeof(*out->dests));
		out->ndests = p->ndests;
	}
	/*
	 * This node's own place in the group (it carries such flows): any
	 * member, whatever the cap, since each pod's node applies the cap
	 * from its own zone and health is each node's own view.
	 */
	{
		struct egress_policy all = *p;

		all.max_gateways = 0;
		n = egress_candidates(&all, cl->egress_gateways,
		    cl->negress_gateways, NULL, c, EGRESS_GATEWAYS_MAX);
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].gw->node, d->cfg.node_name) == 0)
			memcpy(&out->self_addr, &c[i].addr.u.v4, 4);
	/* The gateways this node's pods use: nearest first, capped. */
	n = egress_candidates(p, cl->egress_gateways, cl->negress_gateways,
	    zone, c, EGRESS_GATEWAYS_MAX);
	out->cands = calloc(n ? n : 1, sizeof(*out->cands));
	if (out->cands == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct dp_egress_cand *k = &out->cands[out->ncands];

		/* Its own pods' flows a gateway does not tunnel to itself. */
		if (strcmp(c[i].gw->node, d->cfg.node_name) == 0)
			continue;
		snprintf(k->node, sizeof(k->node), "%s", c[i].gw->node);
		k->name_hash = name_hash(k->node);
		k->peer = peer_index(d, k->node);
		memcpy(&k->addr, &c[i].addr.u.v4, 4);
		k->draining = c[i].gw->draining;
		k->healthy = k->peer != UINT32_MAX &&
		    egressd_healthy(d, k->node);
		out->ncands++;
	}
	return 0;
}

/* Sorts a pod's policies: with a podSelector first, then by name. */
static const struct dp_egress_policy *sort_base;

static int
cmp_policy(const void *a, const void *b)
{
	const struct dp_egress_policy *x = &sort_base[*(const uint32_t *)a];
	const struct dp_egress_policy *y = &sort_base[*(const uint32_t *)b];

	if (x->pod_selector != y->pod_selector)
		return x->pod_selector ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const struct policy_namespace *
ns_of(const struct policy_world *w, const char *name)
{
	for (size_t i = 0; i < w->nnamespaces; i++)
		if (strcmp(w->namespaces[i].name, name) == 0)
			return &w->namespaces[i];
	return NULL;
}

static int
build_pods(struct sluiced *d, struct dp_egress *e,
    const struct cluster_egress *ce)
{
	const struct policy_state *ps = policyd_state(d);
	const struct policy_world *w;

	if (ps == NULL)
		return 0;
	w = &ps->w;
	e->pods = calloc(w->npods ? w->npods : 1, sizeof(*e->pods));
	e->pod4 = lpm_new(AF_INET);
	e->pod6 = lpm_new(AF_INET6);
	if (e->pods == NULL || e->pod4 == NULL || e->pod6 == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < w->npods; i++) {
		const struct policy_pod *pp = &w->pods[i];
		const struct policy_namespace *ns = ns_of(w, pp->namespace);
		struct egress_pod ep = {
			.namespace = pp->namespace,
			.ns_labels = ns ? ns->labels : NULL,
			.nns_labels = ns ? ns->nlabels : 0,
			.labels = pp->labels,
			.nlabels = pp->nlabels,
		};
		struct dp_egress_pod *dp = &e->pods[e->npods];

		dp->policies = calloc(ce->n ? ce->n : 1, sizeof(*dp->policies));
		if (dp->policies == NULL)
			return -ENOMEM;
		for (size_t k = 0; k < ce->n; k++)
			if (egress_policy_selects(&ce->policies[k], &ep))
				dp->policies[dp->npolicies++] = (uint32_t)k;
		sort_base = e->policies;
		qsort(dp->policies, dp->npolicies, sizeof(*dp->policies),
		    cmp_policy);
		dp->local = pp->node != NULL &&
		    strcmp(pp->node, d->cfg.node_name) == 0;
		snprintf(dp->node, sizeof(dp->node), "%s",
		    pp->node ? pp->node : "");
		for (size_t k = 0; k < pp->nips; k++) {
			struct sluice_prefix host = { .addr = pp->ips[k],
			    .len = (uint8_t)(8 * sluice_addr_len(
			    pp->ips[k].family)) };

			if (lpm_insert(pp->ips[k].family == AF_INET ? e->pod4 :
			    e->pod6, &host, (uint32_t)e->npods) != 0)
				return -ENOMEM;
		}
		e->npods++;
	}
	return 0;
}

struct dp_egress *
egressd_compile(struct sluiced *d)
{
	const struct cluster *cl = &d->manifests.cluster;
	const struct cluster_egress *ce = &cl->egress;
	const struct cluster_node *self = self_node(d);
	const struct policy_state *ps = policyd_state(d);
	struct dp_egress *e;

	if (ce->n == 0 && (self == NULL || self->negress_addrs == 0))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto oom;
	e->gen = (uint32_t)(d->manifests.generation * 65599u +
	    (ps != NULL ? ps->gen : 0));
	e->policies = calloc(ce->n ? ce->n : 1, sizeof(*e->policies));
	if (e->policies == NULL)
		goto oom;
	for (size_t i = 0; i < ce->n; i++, e->npolicies++)
		if (build_policy(d, &ce->policies[i], &e->policies[i]) != 0)
			goto oom;
	if (build_pods(d, e, ce) != 0 ||
	    (e->pod4 != NULL && lpm_seal(e->pod4) != 0) ||
	    (e->pod6 != NULL && lpm_seal(e->pod6) != 0))
		goto oom;
	for (size_t i = 0; self != NULL && i < self->negress_addrs &&
	    e->nself < sizeof(e->self_addrs) / sizeof(e->self_addrs[0]); i++)
		memcpy(&e->self_addrs[e->nself++],
		    &self->egress_addrs[i].u.v4, 4);
	return e;
oom:
	log_error("egress: out of memory compiling the gateways; egress flows are dropped until the next change");
	dp_egress_free(e);
	return NULL;
}

/* ---- health ------------------------------------------------------------ */

/*
 * Every HEALTH_MS: a gateway's health is its control link's last
 * verified frame; when one changes, a new snapshot takes it to the data
 * path (its flows move to the others, or come back for new flows).
 */
static void
on_health(uv_timer_t *t)
{
	struct sluiced *d = t->data;
	const struct cluster *cl = &d->manifests.cluster;
	uint64_t mask = 0;

	for (size_t i = 0; i < cl->negress_gateways && i < 64; i++)
		if (egressd_healthy(d, cl->egress_gateways[i].node))
			mask |= 1ull << i;
	if (mask == d->egress_health && d->egress_health_gen ==
	    d->manifests.generation)
		return;
	for (size_t i = 0; i < cl->negress_gateways && i < 64; i++)
		if (((mask ^ d->egress_health) >> i & 1) &&
		    d->egress_health_gen == d->manifests.generation)
			log_info("egress: gateway %s is %s",
			    cl->egress_gateways[i].node,
			    mask >> i & 1 ? "healthy" : "unhealthy");
	d->egress_health = mask;
	d->egress_health_gen = d->manifests.generation;
	peers_publish(d);
}

int
egressd_start(struct sluiced *d, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	uv_timer_init(d->loop, &d->egress_timer);
	d->egress_timer.data = d;
	uv_timer_start(&d->egress_timer, on_health, HEALTH_MS, HEALTH_MS);
	return 0;
}

void
egressd_stop(struct sluiced *d)
{
	uv_timer_stop(&d->egress_timer);
	uv_close((uv_handle_t *)&d->egress_timer, NULL);
}

/* ---- sluicectl gateways ------------------------------------------------- */

struct flow_count {
	uint32_t hash[EGRESS_GATEWAYS_MAX];
	uint64_t n[EGRESS_GATEWAYS_MAX];
	size_t k;
};

static bool
count_flow(void *arg, const struct pf_flow *f)
{
	struct flow_count *c = arg;

	if (!f->v.allow)
		return true;
	for (size_t i = 0; i < c->k; i++)
		if (c->hash[i] == f->v.id[0]) {
			c->n[i]++;
			return true;
		}
	if (c->k < EGRESS_GATEWAYS_MAX) {
		c->hash[c->k] = f->v.id[0];
		c->n[c->k++] = 1;
	}
	return true;
}

static uint64_t
flows_of(const struct flow_count *c, const char *node)
{
	uint32_t h = name_hash(node);

	for (size_t i = 0; i < c->k; i++)
		if (c->hash[i] == h)
			return c->n[i];
	return 0;
}

int
egressd_op_gateways(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	const struct cluster *cl = &d->manifests.cluster;
	const struct cluster_egress *ce = &cl->egress;
	struct flow_count fc = { .k = 0 };
	struct pf_table *t = dplane_egress_flows(d->dp);
	const char *zone = zone_of_node(d, d->cfg.node_name);

	(void)req;
	(void)err;
	(void)errlen;
	if (t != NULL)
		pf_walk(t, count_flow, &fc);
	msgpack_pack_map(pk, 2);
	mp_pack_key(pk, "gateways");
	msgpack_pack_array(pk, cl->negress_gateways);
	for (size_t i = 0; i < cl->negress_gateways; i++) {
		const struct egress_gateway *g = &cl->egress_gateways[i];
		const struct peer *p = peers_find(d, g->node);
		char ab[SLUICE_ADDRSTRLEN];
		bool self = strcmp(g->node, d->cfg.node_name) == 0;

		msgpack_pack_map(pk, 6);
		mp_pack_kv_str(pk, "node", g->node);
		mp_pack_key(pk, "egressIPs");
		msgpack_pack_array(pk, g->naddrs);
		for (size_t k = 0; k < g->naddrs; k++)
			mp_pack_str(pk, sluice_addr_str(&g->addrs[k], ab,
			    sizeof(ab)));
		mp_pack_kv_str(pk, "health", self ? "self" :
		    egressd_healthy(d, g->node) ? "healthy" : "unhealthy");
		mp_pack_kv_bool(pk, "draining", g->draining);
		mp_pack_kv_str(pk, "link", self ? "-" : p == NULL ? "none" :
		    peer_state_name(p->state));
		/* This node's flows pinned to it. */
		mp_pack_kv_u64(pk, "flows", flows_of(&fc, g->node));
	}
	mp_pack_key(pk, "policies");
	msgpack_pack_array(pk, ce->n);
	for (size_t i = 0; i < ce->n; i++) {
		const struct egress_policy *p = &ce->policies[i];
		struct egress_candidate c[EGRESS_GATEWAYS_MAX];
		size_t n = egress_candidates(p, cl->egress_gateways,
		    cl->negress_gateways, zone, c, EGRESS_GATEWAYS_MAX);

		msgpack_pack_map(pk, 3);
		mp_pack_kv_str(pk, "name", p->name);
		mp_pack_kv_str(pk, "onNoGateway",
		    p->fallback == EGRESS_FALLBACK_NAT ? "NATOutgoing" : "Drop");
		mp_pack_key(pk, "gateways");
		msgpack_pack_array(pk, n);
		for (size_t k = 0; k < n; k++) {
			char ab[SLUICE_ADDRSTRLEN], one[128];

			/* "node (egress IP)", in the order this node uses them. */
			snprintf(one, sizeof(one), "%s (%s)", c[k].gw->node,
			    sluice_addr_str(&c[k].addr, ab, sizeof(ab)));
			mp_pack_str(pk, one);
		}
	}
	return 0;
}
