/*
 * policyd.c - network policy in the daemon (see policyd.h).
 *
 * The world is rebuilt whole on every change: a node holds at most a few
 * thousand pods and a rebuild is a few milliseconds, so incremental
 * bookkeeping would buy little and cost correctness. Everything the world
 * points to is copied into the state's own memory, except the policy
 * objects, which stay in the reference-counted documents they were parsed
 * into (struct policy_docs) for as long as a state uses them.
 */
#include "router/policyd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mp.h"
#include "common/selector.h"
#include "ipam/ipam.h"
#include "policy/eval.h"
#include "policy/flows.h"
#include "router/ctlargs.h"
#include "router/daemon.h"
#include "router/dnsd.h"
#include "router/endpoints.h"
#include "router/polstate.h"
#include "router/policy_yaml.h"

/* ---- memory a state owns ---------------------------------------------- */

/* A bump allocator: a state's arrays and strings, freed together. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

static void *
arena_alloc(void **arena, size_t n)
{
	struct arena_chunk *c = *arena;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->next = *arena;
		c->used = 0;
		c->size = size;
		*arena = c;
	}
	c->used += n;
	return memset((char *)c->data + c->used - n, 0, n);
}

static void
arena_free(void *arena)
{
	for (struct arena_chunk *c = arena, *n; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
}

static const char *
arena_str(void **arena, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = arena_alloc(arena, n);

	return d != NULL ? memcpy(d, s, n) : NULL;
}

/* ---- the policy objects of a manifest set ----------------------------- */

struct policy_docs {
	uint32_t refs;
	struct cluster_policy p;	/* moved out of a struct cluster */
};

static struct policy_docs *
docs_ref(struct policy_docs *pd)
{
	if (pd != NULL)
		pd->refs++;
	return pd;
}

static void
docs_unref(struct policy_docs *pd)
{
	if (pd == NULL || --pd->refs > 0)
		return;
	cluster_policy_free(&pd->p);
	free(pd);
}

struct policy_state *
policy_state_ref(struct policy_state *ps)
{
	if (ps != NULL)
		ps->refs++;
	return ps;
}

void
policy_state_unref(struct policy_state *ps)
{
	if (ps == NULL || --ps->refs > 0)
		return;
	policy_compiled_free(ps->pc);
	docs_unref(ps->docs);
	arena_free(ps->mem);
	free(ps);
}

/* ---- the daemon's part ------------------------------------------------ */

struct policyd {
	struct policy_state *cur;	/* one reference held here */
	struct policy_docs *docs;	/* the set in force; one reference */
	uint32_t gen;
	uint64_t rebuilds, rebuilds_failed;
	char last_error[512];
	size_t skipped_remote;		/* pods of others left out, last build */
};

static struct policyd *
pd_of(struct sluiced *d)
{
	return d->policyd;
}

struct policy_state *
policyd_state(struct sluiced *d)
{
	return d->policyd != NULL ? d->policyd->cur : NULL;
}

void
policyd_info_get(struct sluiced *d, struct policyd_info *info)
{
	struct policyd *pd = pd_of(d);

	memset(info, 0, sizeof(*info));
	if (pd == NULL)
		return;
	info->rebuilds = pd->rebuilds;
	info->rebuilds_failed = pd->rebuilds_failed;
	info->skipped_remote = pd->skipped_remote;
	info->last_error = pd->last_error[0] ? pd->last_error : NULL;
}

/* ---- building the world ----------------------------------------------- */

/* Growable arrays of the world under construction (heap, then copied). */
struct builder {
	struct sluiced *d;
	void *mem;			/* the state's arena */
	struct policy_namespace *ns;
	size_t nns, cns;
	struct policy_pod *pods;
	size_t npods, cpods;
	struct policy_node *nodes;
	size_t nnodes;
	size_t skipped;
	bool oom;
};

static void *
grow(void *v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t c;

	if (n < *cap)
		return v;
	c = *cap ? *cap * 2 : 16;
	nv = realloc(v, c * size);
	if (nv != NULL)
		*cap = c;
	return nv;
}

static bool
have_ns(const struct builder *b, const char *name)
{
	for (size_t i = 0; i < b->nns; i++)
		if (strcmp(b->ns[i].name, name) == 0)
			return true;
	return false;
}

/*
 * A namespace with its labels and, always, kubernetes.io/metadata.name
 * (the API server sets it on every namespace; selectors rely on it).
 */
static void
add_ns(struct builder *b, const char *name, const struct sluice_label *l,
    size_t nl)
{
	struct policy_namespace *n;
	struct sluice_label *labels;
	size_t k = 0;
	void *v;

	if (b->oom || have_ns(b, name))
		return;
	if ((v = grow(b->ns, &b->cns, b->nns, sizeof(*b->ns))) == NULL) {
		b->oom = true;
		return;
	}
	b->ns = v;
	n = &b->ns[b->nns];
	labels = arena_alloc(&b->mem, (nl + 1) * sizeof(*labels));
	if (labels == NULL || (n->name = arena_str(&b->mem, name)) == NULL) {
		b->oom = true;
		return;
	}
	labels[k].key = POLICY_NS_NAME_LABEL;
	labels[k++].value = n->name;
	for (size_t i = 0; i < nl; i++) {
		if (strcmp(l[i].key, POLICY_NS_NAME_LABEL) == 0)
			continue;	/* the name's own wins */
		labels[k].key = arena_str(&b->mem, l[i].key);
		labels[k].value = arena_str(&b->mem, l[i].value);
		if (labels[k].key == NULL || labels[k].value == NULL) {
			b->oom = true;
			return;
		}
		k++;
	}
	n->labels = labels;
	n->nlabels = k;
	b->nns++;
}

/* The pod holding a, or NULL. */
static const struct policy_pod *
pod_with_addr(const struct builder *b, const struct sluice_addr *a)
{
	for (size_t i = 0; i < b->npods; i++)
		for (size_t j = 0; j < b->pods[i].nips; j++)
			if (sluice_addr_eq(&b->pods[i].ips[j], a))
				return &b->pods[i];
	return NULL;
}

static struct policy_pod *
find_pod(struct builder *b, const char *ns, const char *name)
{
	for (size_t i = 0; i < b->npods; i++)
		if (strcmp(b->pods[i].namespace, ns) == 0 &&
		    strcmp(b->pods[i].name, name) == 0)
			return &b->pods[i];
	return NULL;
}

static struct policy_pod *
new_pod(struct builder *b, const char *ns, const char *name,
    const char *node)
{
	struct policy_pod *p;
	void *v;

	if ((v = grow(b->pods, &b->cpods, b->npods, sizeof(*b->pods))) ==
	    NULL) {
		b->oom = true;
		return NULL;
	}
	b->pods = v;
	p = &b->pods[b->npods];
	memset(p, 0, sizeof(*p));
	p->namespace = arena_str(&b->mem, ns);
	p->name = arena_str(&b->mem, name);
	p->node = arena_str(&b->mem, node);
	/* Room for both families; a pod has one address of each at most. */
	p->ips = arena_alloc(&b->mem, 2 * sizeof(*p->ips));
	if (p->namespace == NULL || p->name == NULL || p->node == NULL ||
	    p->ips == NULL) {
		b->oom = true;
		return NULL;
	}
	b->npods++;
	add_ns(b, ns, NULL, 0);
	return &b->pods[b->npods - 1];
}

static int
ipam_proto(uint8_t p)
{
	return p == 0 ? IPPROTO_TCP : p;
}

/*
 * This node's pods: every allocation of this node, one pod per
 * (namespace, name); an allocation without them (a runtime that passes
 * no Kubernetes names) is a pod of "default" named by its container ID.
 */
static void
add_local_pods(struct builder *b)
{
	struct sluiced *d = b->d;
	struct ipam_list l;
	char err[256];

	if (d->ipam == NULL)
		return;
	if (ipam_list_get(d->ipam, &l, err, sizeof(err)) != 0) {
		log_warnx("policy: cannot read this node's pods: %s", err);
		b->oom = true;	/* keep the state in force */
		return;
	}
	for (size_t i = 0; i < l.allocs.n && !b->oom; i++) {
		const struct ipam_alloc_info *a = &l.allocs.v[i];
		char name[254];
		const char *ns = a->namespace[0] ? a->namespace : "default";
		struct policy_pod *p;

		if (strcmp(a->node, d->cfg.node_name) != 0)
			continue;
		if (a->pod[0] != '\0') {
			snprintf(name, sizeof(name), "%s", a->pod);
		} else {
			size_t n = strcspn(a->handle, "/");

			snprintf(name, sizeof(name), "%.*s",
			    (int)(n < 253 ? n : 253), a->handle);
		}
		p = find_pod(b, ns, name);
		if (p == NULL) {
			struct sluice_label *labels;
			struct policy_container_port *ports;

			if ((p = new_pod(b, ns, name, d->cfg.node_name)) == NULL)
				break;
			labels = arena_alloc(&b->mem,
			    (a->nlabels + 1) * sizeof(*labels));
			ports = arena_alloc(&b->mem,
			    (a->nports + 1) * sizeof(*ports));
			if (labels == NULL || ports == NULL) {
				b->oom = true;
				break;
			}
			for (size_t j = 0; j < a->nlabels; j++) {
				labels[j].key = arena_str(&b->mem,
				    a->labels[j].key);
				labels[j].value = arena_str(&b->mem,
				    a->labels[j].value);
			}
			for (size_t j = 0; j < a->nports; j++) {
				ports[j].name = arena_str(&b->mem,
				    a->ports[j].name);
				ports[j].protocol = ipam_proto(
				    a->ports[j].protocol);
				ports[j].port = a->ports[j].port;
			}
			p->labels = labels;
			p->nlabels = a->nlabels;
			p->ports = ports;
			p->nports = a->nports;
		}
		if (p->nips < 2 && pod_with_addr(b, &a->addr) == NULL) {
			((struct sluice_addr *)p->ips)[p->nips++] = a->addr;
		}
	}
	ipam_list_free(&l);
}

/* Is a inside one of the blocks node announced (or its podCIDRs)? */
static bool
node_owns(struct sluiced *d, const char *node, const struct sluice_addr *a)
{
	const struct peer *p = peers_find(d, node);

	if (p == NULL)
		return false;
	for (uint32_t i = 0; i < p->nblocks; i++)
		if (sluice_prefix_contains(&p->blocks[i], a))
			return true;
	return false;
}

static int
add_remote(void *arg, const char *node, const struct endpoint *e)
{
	struct builder *b = arg;
	struct policy_pod *p;
	struct sluice_label *labels;
	struct policy_container_port *ports;
	size_t ok = 0;

	if (b->oom)
		return -ENOMEM;
	/*
	 * A node speaks for the addresses of its own blocks only, and a
	 * pod's identity is never taken from another: an address already
	 * held (a pod of ours, or of another node) wins.
	 */
	for (size_t i = 0; i < e->naddrs; i++)
		if (node_owns(b->d, node, &e->addrs[i]) &&
		    pod_with_addr(b, &e->addrs[i]) == NULL)
			ok++;
	if (ok == 0 || find_pod(b, e->ns, e->pod) != NULL) {
		b->skipped++;
		return 0;
	}
	if ((p = new_pod(b, e->ns, e->pod, node)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < e->naddrs && p->nips < 2; i++)
		if (node_owns(b->d, node, &e->addrs[i]) &&
		    pod_with_addr(b, &e->addrs[i]) == NULL)
			((struct sluice_addr *)p->ips)[p->nips++] = e->addrs[i];
	labels = arena_alloc(&b->mem, (e->nlabels + 1) * sizeof(*labels));
	ports = arena_alloc(&b->mem, (e->nports + 1) * sizeof(*ports));
	if (labels == NULL || ports == NULL) {
		b->oom = true;
		return -ENOMEM;
	}
	for (size_t j = 0; j < e->nlabels; j++) {
		labels[j].key = arena_str(&b->mem, e->labels[j].key);
		labels[j].value = arena_str(&b->mem, e->labels[j].value);
	}
	for (size_t j = 0; j < e->nports; j++) {
		ports[j].name = arena_str(&b->mem, e->ports[j].name);
		ports[j].protocol = ipam_proto(e->ports[j].proto);
		ports[j].port = e->ports[j].port;
	}
	p->labels = labels;
	p->nlabels = e->nlabels;
	p->ports = ports;
	p->nports = e->nports;
	return 0;
}

static void
add_nodes(struct builder *b)
{
	const struct cluster *cl = &b->d->manifests.cluster;

	b->nodes = arena_alloc(&b->mem, (cl->nnodes + 1) * sizeof(*b->nodes));
	if (b->nodes == NULL) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < cl->nnodes; i++) {
		const struct cluster_node *n = &cl->nodes[i];
		struct policy_node *pn = &b->nodes[b->nnodes++];
		struct sluice_label *labels = arena_alloc(&b->mem,
		    (n->nlabels + 1) * sizeof(*labels));
		struct sluice_addr *addr = arena_alloc(&b->mem, sizeof(*addr));

		if (labels == NULL || addr == NULL ||
		    (pn->name = arena_str(&b->mem, n->name)) == NULL) {
			b->oom = true;
			return;
		}
		for (size_t j = 0; j < n->nlabels; j++) {
			labels[j].key = arena_str(&b->mem, n->labels[j].key);
			labels[j].value = arena_str(&b->mem,
			    n->labels[j].value);
		}
		*addr = n->address;
		pn->labels = labels;
		pn->nlabels = n->nlabels;
		pn->addrs = addr;
		pn->naddrs = 1;
	}
}

static void
on_problem(void *arg, const char *problem)
{
	struct policyd *pd = arg;

	log_warnx("policy: %s", problem);
	if (pd->last_error[0] == '\0')
		snprintf(pd->last_error, sizeof(pd->last_error), "%s",
		    problem);
}

/* Copies a heap array into the arena (the world must not move). */
static const void *
settle(void **mem, const void *v, size_t n, size_t size, bool *oom)
{
	void *d = arena_alloc(mem, (n ? n : 1) * size);

	if (d == NULL) {
		*oom = true;
		return NULL;
	}
	if (n > 0)
		memcpy(d, v, n * size);
	return d;
}

/*
 * A new state from the current inputs, or NULL (the reason logged and
 * kept in pd->last_error) with the state in force left as it is.
 */
static struct policy_state *
build(struct sluiced *d)
{
	struct policyd *pd = pd_of(d);
	const struct cluster *cl = &d->manifests.cluster;
	const struct cluster_policy *cp = pd->docs ? &pd->docs->p : NULL;
	struct builder b = { .d = d };
	struct policy_state *ps;
	struct policy_world *w;
	char err[512];

	ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return NULL;
	for (size_t i = 0; i < cl->nnamespaces; i++)
		add_ns(&b, cl->namespaces[i].name, cl->namespaces[i].labels,
		    cl->namespaces[i].nlabels);
	add_nodes(&b);
	add_local_pods(&b);
	endpoints_each(add_remote, &b);
	w = &ps->w;
	/*
	 * The policy objects, as the documents hold them (the models are
	 * world-ready arrays); a namespace only policies name still exists.
	 */
	if (cp != NULL) {
		w->nps = cp->nps;
		w->nnps = cp->nnps;
		w->anps = cp->anps;
		w->nanps = cp->nanps;
		w->banps = cp->banps;
		w->nbanps = cp->nbanps;
		w->netsets = cp->netsets;
		w->nnetsets = cp->nnetsets;
		w->global_netsets = cp->global_netsets;
		w->nglobal_netsets = cp->nglobal_netsets;
		for (size_t i = 0; i < cp->nnps; i++)
			add_ns(&b, cp->nps[i].namespace, NULL, 0);
		for (size_t i = 0; i < cp->nnetsets; i++)
			add_ns(&b, cp->netsets[i].namespace, NULL, 0);
	}
	w->namespaces = settle(&b.mem, b.ns, b.nns, sizeof(*b.ns), &b.oom);
	w->nnamespaces = b.nns;
	w->pods = settle(&b.mem, b.pods, b.npods, sizeof(*b.pods), &b.oom);
	w->npods = b.npods;
	w->nodes = b.nodes;
	w->nnodes = b.nnodes;
	/* Domain peers ask the DNS bindings (live, thread-safe). */
	w->dns_match = dnsd_match;
	w->dns_arg = d;
	free(b.ns);
	free(b.pods);
	ps->mem = b.mem;
	ps->refs = 1;
	ps->docs = docs_ref(pd->docs);
	if (b.oom) {
		snprintf(pd->last_error, sizeof(pd->last_error),
		    "out of memory building the policy world");
		goto fail;
	}
	pd->last_error[0] = '\0';
	if (policy_world_validate(w, on_problem, pd, err, sizeof(err)) != 0)
		goto fail;
	if (policy_compile(w, &ps->pc, err, sizeof(err)) != 0) {
		snprintf(pd->last_error, sizeof(pd->last_error), "%s", err);
		goto fail;
	}
	ps->active = w->nnps + w->nanps + w->nbanps > 0;
	ps->gen = ++pd->gen;
	pd->skipped_remote = b.skipped;
	return ps;
fail:
	policy_state_unref(ps);
	return NULL;
}

/*
 * This node's pods to the other nodes: the endpoint list from IPAM, one
 * entry per pod, sent over the links if it changed.
 */
static void
announce_local(struct sluiced *d)
{
	struct endpoint_set set = { 0 };
	struct ipam_list l;
	char err[256];
	int rc;

	if (d->ipam == NULL)
		return;
	if (ipam_list_get(d->ipam, &l, err, sizeof(err)) != 0) {
		log_warnx("policy: cannot read this node's pods to announce them: %s",
		    err);
		return;
	}
	set.v = calloc(l.allocs.n + 1, sizeof(*set.v));
	if (set.v == NULL)
		goto out;
	for (size_t i = 0; i < l.allocs.n; i++) {
		const struct ipam_alloc_info *a = &l.allocs.v[i];
		const char *ns = a->namespace[0] ? a->namespace : "default";
		char name[ENDPOINT_POD_MAX];
		struct endpoint *e = NULL;

		if (strcmp(a->node, d->cfg.node_name) != 0)
			continue;
		if (a->pod[0] != '\0') {
			snprintf(name, sizeof(name), "%s", a->pod);
		} else {
			size_t n = strcspn(a->handle, "/");

			snprintf(name, sizeof(name), "%.*s",
			    (int)(n < 253 ? n : 253), a->handle);
		}
		for (size_t j = 0; j < set.n && e == NULL; j++)
			if (strcmp(set.v[j].ns, ns) == 0 &&
			    strcmp(set.v[j].pod, name) == 0)
				e = &set.v[j];
		if (strlen(ns) >= sizeof(set.v[0].ns)) {
			log_warnx("policy: pod %s/%s: a namespace name is at most %zu bytes; not announced",
			    ns, name, sizeof(set.v[0].ns) - 1);
			continue;
		}
		if (e == NULL) {
			struct endpoint_port ports[IPAM_PORTS_MAX];
			struct sluice_label labels[IPAM_LABELS_MAX];

			e = &set.v[set.n++];
			memcpy(e->ns, ns, strlen(ns) + 1);
			snprintf(e->pod, sizeof(e->pod), "%s", name);
			for (size_t j = 0; j < a->nlabels; j++) {
				labels[j].key = a->labels[j].key;
				labels[j].value = a->labels[j].value;
			}
			for (size_t j = 0; j < a->nports; j++) {
				memcpy(ports[j].name, a->ports[j].name,
				    sizeof(ports[j].name));
				ports[j].proto = a->ports[j].protocol;
				ports[j].port = a->ports[j].port;
			}
			if (endpoint_copy_labels(e, labels, a->nlabels) != 0 ||
			    endpoint_copy_ports(e, ports, a->nports) != 0)
				goto out;
		}
		if (e->naddrs < ENDPOINT_ADDRS_MAX)
			e->addrs[e->naddrs++] = a->addr;
	}
	rc = endpoints_set_local(&set, err, sizeof(err));
	if (rc == 1)
		links_announce_endpoints(d);
	else if (rc < 0)
		log_warnx("policy: this node's pods cannot be announced: %s",
		    err);
out:
	endpoint_set_free(&set);
	ipam_list_free(&l);
}

void
policyd_update(struct sluiced *d, unsigned int what)
{
	struct policyd *pd = pd_of(d);
	struct policy_state *ps;

	if (pd == NULL)
		return;
	if (what & POLICYD_LOCAL_PODS)
		announce_local(d);
	pd->rebuilds++;
	ps = build(d);
	if (ps == NULL) {
		pd->rebuilds_failed++;
		log_error("policy: the world cannot be rebuilt (%s); generation %u stays in force",
		    pd->last_error, pd->gen);
		return;
	}
	policy_state_unref(pd->cur);
	pd->cur = ps;
	/* A pod gone: what it resolved must not pass to the next holder. */
	if (what & POLICYD_LOCAL_PODS)
		dnsd_pods_changed(d);
	peers_publish(d);
}

/* ---- start, stop, manifests ------------------------------------------ */

/* Another node's pod list changed: its pods, as policy sees them. */
static void
on_remote_endpoints(void *arg)
{
	policyd_update(arg, POLICYD_REMOTE_PODS);
}

int
policyd_start(struct sluiced *d, char *err, size_t errlen)
{
	struct policyd *pd = calloc(1, sizeof(*pd));

	if (pd == NULL)
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	d->policyd = pd;
	endpoints_set_hook(on_remote_endpoints, d);
	return 0;
}

void
policyd_stop(struct sluiced *d)
{
	struct policyd *pd = pd_of(d);

	if (pd == NULL)
		return;
	endpoints_set_hook(NULL, NULL);
	policy_state_unref(pd->cur);
	docs_unref(pd->docs);
	free(pd);
	d->policyd = NULL;
}

void
policyd_manifests(struct sluiced *d, struct cluster *cl)
{
	struct policyd *pd = pd_of(d);
	struct policy_docs *docs;

	if (pd == NULL)
		return;
	docs = calloc(1, sizeof(*docs));
	if (docs == NULL) {
		log_error("policy: out of memory taking the new manifests; the policy in force stays");
		return;
	}
	docs->refs = 1;
	docs->p = cl->policy;
	memset(&cl->policy, 0, sizeof(cl->policy));
	docs_unref(pd->docs);
	pd->docs = docs;
	policyd_update(d, 0);
}
