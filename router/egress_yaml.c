/*
 * egress_yaml.c - the manifest side of egress gateways (egress/egress.h):
 * a Node's spec.egress, the kind EgressGatewayPolicy, and the checks that
 * span documents.
 *
 *   apiVersion: sluice.io/v1alpha1
 *   kind: EgressGatewayPolicy
 *   metadata: {name: finance}
 *   spec:
 *     namespaceSelector: {matchLabels: {team: finance}}
 *     podSelector: {}
 *     gateways:
 *       nodeSelector: {matchLabels: {egress: finance}}
 *       addresses: [198.51.100.1]
 *     destinations: [0.0.0.0/0]
 *     maxGateways: 2
 *     onNoGateway: Drop              # or NATOutgoing
 *
 * What the loader decides:
 *   - absent and null are alike for the optional keys of a policy;
 *   - at least one of namespaceSelector and podSelector ({} selects all);
 *   - gateways.nodeSelector is required ({} selects every gateway);
 *   - everything is IPv4: the gateways SNAT IPv4 flows only;
 *   - a destination with host bits set is refused with the CIDR it
 *     means, as ipBlock is (router/policy_yaml.h says why);
 *   - destinations: [] and addresses: [] are refused rather than read as
 *     "every destination" or "each gateway's first": leaving the key out
 *     says that, and an empty list more likely lost its items;
 *   - an egress address is a unicast source the outside can route back:
 *     not in 0.0.0.0/8, 127.0.0.0/8 or 224.0.0.0/3.
 */
#include "router/cluster_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/suggest.h"

/*
 * mf_selector() copies every value of every expression, and YAML aliases
 * let a short document name a list of thousands of values thousands of
 * times. A selector with more terms than this, far above any real one,
 * is refused before anything is copied.
 */
#define EGRESS_YAML_SELECTOR_TERMS 4096

/* A policy names at most every egress address of every gateway. */
#define EGRESS_YAML_POLICY_ADDRS (EGRESS_GATEWAYS_MAX * EGRESS_ADDRS_MAX)

enum { SEL_NAMESPACE, SEL_POD, SEL_GATEWAY, SEL_N };

/* A parsed EgressGatewayPolicy: the model and all it points to. */
struct egress_yaml_policy {
	struct egress_policy p;
	char name[254];			/* a DNS-1123 subdomain is <= 253 */
	struct sluice_selector sels[SEL_N];	/* from mf_selector() */
	struct sluice_addr *addrs;	/* gateways.addresses; owned */
	struct sluice_prefix dests[EGRESS_DESTS_MAX];
	bool oom;
};

/* Paths are at most "spec.gateways.addresses[NNNN]". */
#define PATH_LEN 64

/* YAML's null: "key:", "key: ~", "key: null" (plain, not quoted). */
static bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0;
}

/* The value of key, NULL if absent or null. */
static yaml_node_t *
get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = mf_get(doc, map, key);

	return n != NULL && is_null(n) ? NULL : n;
}

/*
 * Reports the unknown keys of m. Returns false only if m is not a
 * mapping (reported): the known keys of one that has unknown ones are
 * still read, so that every problem is reported.
 */
static bool
mapping(struct mctx *c, yaml_document_t *doc, yaml_node_t *m,
    const char *path, const char *const keys[])
{
	mf_known_keys(c, doc, m, path, keys);
	return m != NULL && m->type == YAML_MAPPING_NODE;
}

/* The text of a scalar without a NUL inside, or NULL. */
static const char *
text(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* A list's size, or 0 if n is not a list. */
static size_t
seq_len(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
}

/*
 * The items of the list l (what: "IPv4 addresses"), reported unless it
 * is a list of 1 to max items. A list over max is refused as a whole: a
 * line per item past the cap would bury the one that matters.
 */
static bool
items_of(struct mctx *c, yaml_node_t *l, const char *path, const char *what,
    size_t max, yaml_node_item_t **items, size_t *n)
{
	if (l->type != YAML_SEQUENCE_NODE) {
		mf_report(c, &l->start_mark, path, "expected a list of %s",
		    what);
		return false;
	}
	*items = l->data.sequence.items.start;
	*n = seq_len(l);
	if (*n == 0) {
		mf_report(c, &l->start_mark, path,
		    "an empty list: leave the key out if none is meant");
		return false;
	}
	if (*n > max) {
		mf_report(c, &l->start_mark, path, "%zu %s, at most %zu", *n,
		    what, max);
		return false;
	}
	return true;
}

/* 0/8 is "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved. */
static bool
v4_unicast(const struct sluice_addr *a)
{
	return a->u.b[0] != 0 && a->u.b[0] != 127 && a->u.b[0] < 224;
}

/*
 * The n addresses of items into out, each an IPv4 unicast address listed
 * once; path is the list's. Returns false if any was reported.
 */
static bool
addr_items(struct mctx *c, yaml_document_t *doc, yaml_node_item_t *items,
    size_t n, const char *path, struct sluice_addr *out)
{
	char sub[PATH_LEN], buf[SLUICE_ADDRSTRLEN];
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *v = yaml_document_get_node(doc, items[i]);
		const char *s = text(v);

		if (v == NULL)
			continue;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (s == NULL || sluice_addr_parse(s, &out[i]) != 0) {
			mf_report(c, &v->start_mark, sub,
			    "expected an IPv4 address such as 198.51.100.1");
			ok = false;
			continue;
		}
		if (out[i].family != AF_INET) {
			mf_report(c, &v->start_mark, sub,
			    "%s is IPv6: egress gateways carry IPv4 flows only",
			    s);
			ok = false;
			continue;
		}
		if (!v4_unicast(&out[i])) {
			mf_report(c, &v->start_mark, sub,
			    "%s is not a unicast address the outside can route back",
			    s);
			ok = false;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (sluice_addr_eq(&out[j], &out[i])) {
				mf_report(c, &v->start_mark, sub,
				    "%s is listed twice",
				    sluice_addr_str(&out[i], buf, sizeof(buf)));
				ok = false;
				break;
			}
		}
	}
	return ok;
}

bool
cluster_node_egress_parse(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *egress, struct cluster_node *n, const struct cluster *cl)
{
	static const char *const keys[] = { "addresses", "drain", NULL };
	yaml_node_item_t *items;
	yaml_node_t *l;
	size_t nitems;
	int before = c->nerr;

	n->negress_addrs = 0;
	if (!mapping(c, doc, egress, "spec.egress", keys))
		return false;
	/* Its SNAT runs in sluiced: a host without one is no gateway. */
	if (!n->managed)
		mf_report(c, &egress->start_mark, "spec.egress",
		    "a gateway runs sluiced: not with managed: false");
	if (cl->negress_gateways >= EGRESS_GATEWAYS_MAX)
		mf_report(c, &egress->start_mark, "spec.egress",
		    "Node %s would be gateway number %zu: at most %d Nodes have egress addresses",
		    n->name, cl->negress_gateways + 1, EGRESS_GATEWAYS_MAX);
	l = get(doc, egress, "addresses");
	if (l == NULL)
		mf_report(c, &egress->start_mark, "spec.egress.addresses",
		    "required key is missing (leave spec.egress out for a Node that is no gateway)");
	else if (items_of(c, l, "spec.egress.addresses", "IPv4 addresses",
	    EGRESS_ADDRS_MAX, &items, &nitems) &&
	    addr_items(c, doc, items, nitems, "spec.egress.addresses",
	    n->egress_addrs))
		n->negress_addrs = nitems;
	mf_bool(c, doc, egress, "drain", "spec.egress.drain", &n->egress_drain);
	if (c->nerr != before)
		n->negress_addrs = 0;
	return c->nerr == before;
}

/* ---- EgressGatewayPolicy --------------------------------------------- */

/*
 * The selector at key into *sel, *present telling whether the key is
 * there (and not null) at all. Returns false if reported.
 */
static bool
selector(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, struct sluice_selector *sel,
    bool *present)
{
	yaml_node_t *n = get(doc, map, key), *me;
	size_t terms = 0;

	*present = n != NULL;
	if (n == NULL)
		return true;
	me = mf_get(doc, n, "matchExpressions");
	for (size_t i = 0; i < seq_len(me); i++) {
		yaml_node_t *e = yaml_document_get_node(doc,
		    me->data.sequence.items.start[i]);

		terms += 1 + seq_len(mf_get(doc, e, "values"));
	}
	if (terms > EGRESS_YAML_SELECTOR_TERMS) {
		mf_report(c, &n->start_mark, path,
		    "%zu expressions and values, at most %d (every use of a YAML alias counts)",
		    terms, EGRESS_YAML_SELECTOR_TERMS);
		return false;
	}
	return mf_selector(c, doc, n, path, sel);
}

/*
 * An IPv4 CIDR. One with host bits set is refused with the CIDR it
 * means, as policy_yaml.c refuses an ipBlock's.
 */
static bool
cidr(struct mctx *c, yaml_node_t *n, const char *path,
    struct sluice_prefix *out)
{
	char want[SLUICE_PREFIXSTRLEN];
	const char *s = text(n);

	if (n->type == YAML_SCALAR_NODE && s == NULL) {
		mf_report(c, &n->start_mark, path, "value contains a NUL byte");
		return false;
	}
	if (s != NULL && sluice_prefix_parse(s, false, out) != 0 &&
	    sluice_prefix_parse(s, true, out) == 0) {
		mf_report(c, &n->start_mark, path,
		    "\"%s\" has host bits set; write %s, the CIDR it means", s,
		    sluice_prefix_str(out, want, sizeof(want)));
		return false;
	}
	if (!mf_prefix(c, n, path, out))
		return false;
	if (out->addr.family != AF_INET) {
		mf_report(c, &n->start_mark, path,
		    "\"%s\" is IPv6: egress gateways carry IPv4 flows only", s);
		return false;
	}
	return true;
}

static void
gateways(struct mctx *c, yaml_document_t *doc, yaml_node_t *spec,
    struct egress_yaml_policy *y, bool *has_gw)
{
	static const char *const keys[] = { "nodeSelector", "addresses",
		NULL };
	yaml_node_t *g = get(doc, spec, "gateways"), *l;
	yaml_node_item_t *items;
	size_t n;

	*has_gw = false;
	if (g == NULL) {
		mf_report(c, &spec->start_mark, "spec.gateways",
		    "required key is missing");
		return;
	}
	if (!mapping(c, doc, g, "spec.gateways", keys))
		return;
	if (get(doc, g, "nodeSelector") == NULL)
		mf_report(c, &g->start_mark, "spec.gateways.nodeSelector",
		    "required key is missing ({} selects every gateway)");
	else
		selector(c, doc, g, "nodeSelector",
		    "spec.gateways.nodeSelector", &y->sels[SEL_GATEWAY],
		    has_gw);
	l = get(doc, g, "addresses");
	if (l == NULL || !items_of(c, l, "spec.gateways.addresses",
	    "IPv4 addresses", EGRESS_YAML_POLICY_ADDRS, &items, &n))
		return;
	y->addrs = calloc(n, sizeof(*y->addrs));
	if (y->addrs == NULL) {
		y->oom = true;
		return;
	}
	if (addr_items(c, doc, items, n, "spec.gateways.addresses", y->addrs))
		y->p.naddrs = n;
}

static void
destinations(struct mctx *c, yaml_document_t *doc, yaml_node_t *spec,
    struct egress_yaml_policy *y)
{
	yaml_node_t *l = get(doc, spec, "destinations");
	yaml_node_item_t *items;
	char path[PATH_LEN];
	size_t n;
	bool ok = true;

	if (l == NULL || !items_of(c, l, "spec.destinations", "IPv4 CIDRs",
	    EGRESS_DESTS_MAX, &items, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *v = yaml_document_get_node(doc, items[i]);

		snprintf(path, sizeof(path), "spec.destinations[%zu]", i);
		if (v != NULL)
			ok &= cidr(c, v, path, &y->dests[i]);
	}
	if (ok)
		y->p.ndests = n;
}

static void
fallback(struct mctx *c, yaml_document_t *doc, yaml_node_t *spec,
    struct egress_yaml_policy *y)
{
	static const struct {
		const char *name;
		enum egress_fallback f;
	} fb[] = {
		{ "Drop", EGRESS_FALLBACK_DROP },
		{ "NATOutgoing", EGRESS_FALLBACK_NAT },
	};
	yaml_node_t *n = get(doc, spec, "onNoGateway");
	const char *v = text(n), *hint = NULL;
	size_t best = 3;

	y->p.fallback = EGRESS_FALLBACK_DROP;
	if (n == NULL)
		return;
	for (size_t i = 0; v != NULL && i < sizeof(fb) / sizeof(fb[0]); i++) {
		size_t d;

		if (strcmp(v, fb[i].name) == 0) {
			y->p.fallback = fb[i].f;
			return;
		}
		if ((d = sluice_edit_distance(v, fb[i].name)) < best) {
			best = d;
			hint = fb[i].name;
		}
	}
	if (hint != NULL)
		mf_report(c, &n->start_mark, "spec.onNoGateway",
		    "\"%s\" is not Drop or NATOutgoing (did you mean \"%s\"?)",
		    v, hint);
	else
		mf_report(c, &n->start_mark, "spec.onNoGateway",
		    "expected Drop or NATOutgoing");
}

static void
policy_destroy(struct egress_yaml_policy *y)
{
	if (y == NULL)
		return;
	for (size_t i = 0; i < SEL_N; i++)
		mf_selector_free(&y->sels[i]);
	free(y->addrs);
	free(y);
}

/* Labels and annotations are checked, not kept: the model has no use. */
static void
metadata(struct mctx *c, yaml_document_t *doc, yaml_node_t *meta)
{
	static const char *const keys[] = { "name", "labels", "annotations",
		NULL };
	struct sluice_label *l;
	yaml_node_t *n;
	size_t nl;

	if (!mapping(c, doc, meta, "metadata", keys))
		return;
	if ((n = get(doc, meta, "labels")) != NULL &&
	    mf_labels(c, doc, n, "metadata.labels", &l, &nl))
		mf_labels_free(l, nl);
	if ((n = get(doc, meta, "annotations")) != NULL &&
	    n->type != YAML_MAPPING_NODE)
		mf_report(c, &n->start_mark, "metadata.annotations",
		    "expected a mapping");
}

/* One more entry in arr (n in use), or goto nomem. */
#define GROW(arr, n)                                                          \
	do {                                                                  \
		void *g_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));        \
		if (g_ == NULL)                                               \
			goto nomem;                                           \
		(arr) = g_;                                                   \
	} while (0)

int
cluster_egress_policy_parse(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *meta, yaml_node_t *spec, const char *name, size_t line,
    struct cluster *cl)
{
	static const char *const keys[] = { "namespaceSelector", "podSelector",
		"gateways", "destinations", "maxGateways", "onNoGateway",
		NULL };
	struct cluster_egress *e = &cl->egress;
	struct egress_yaml_policy *y;
	bool has_ns = false, has_pod = false, has_gw = false, ok;
	unsigned long max = 0;
	int before = c->nerr;

	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return -ENOMEM;
	snprintf(y->name, sizeof(y->name), "%s", name);
	metadata(c, doc, meta);
	if (!mapping(c, doc, spec, "spec", keys))
		goto invalid;
	ok = selector(c, doc, spec, "namespaceSelector",
	    "spec.namespaceSelector", &y->sels[SEL_NAMESPACE], &has_ns);
	ok &= selector(c, doc, spec, "podSelector", "spec.podSelector",
	    &y->sels[SEL_POD], &has_pod);
	/* An absent subject selects nothing: surely not what was meant. */
	if (ok && !has_ns && !has_pod)
		mf_report(c, &spec->start_mark, "spec",
		    "namespaceSelector or podSelector is required (podSelector: {} selects every pod)");
	gateways(c, doc, spec, y, &has_gw);
	destinations(c, doc, spec, y);
	if (get(doc, spec, "maxGateways") != NULL)
		mf_uint(c, doc, spec, "maxGateways", "spec.maxGateways", 1,
		    EGRESS_GATEWAYS_MAX, &max);
	fallback(c, doc, spec, y);
	if (y->oom)
		goto nomem;
	if (c->nerr != before)
		goto invalid;
	y->p.name = y->name;
	y->p.namespace_selector = has_ns ? &y->sels[SEL_NAMESPACE] : NULL;
	y->p.pod_selector = has_pod ? &y->sels[SEL_POD] : NULL;
	y->p.gateway_selector = has_gw ? &y->sels[SEL_GATEWAY] : NULL;
	y->p.addrs = y->addrs;
	y->p.dests = y->p.ndests > 0 ? y->dests : NULL;
	y->p.max_gateways = (uint32_t)max;
	/*
	 * The library's checks after the loader's: what only relations
	 * between fields show, one sentence at the document (its field
	 * names are the model's, e.g. spec.gatewaySelector for
	 * spec.gateways.nodeSelector).
	 */
	{
		char err[512];

		if (egress_policy_validate(&y->p, err, sizeof(err)) != 0) {
			mf_report(c, &spec->start_mark, NULL, "%s", err);
			goto invalid;
		}
	}
	GROW(e->policies, e->n);
	GROW(e->owners, e->n);
	GROW(e->srcs, e->n);
	e->policies[e->n] = y->p;
	e->owners[e->n] = y;
	snprintf(e->srcs[e->n].file, sizeof(e->srcs[e->n].file), "%s",
	    c->file);
	e->srcs[e->n++].line = line;
	return 0;
nomem:
	policy_destroy(y);
	return -ENOMEM;
invalid:
	policy_destroy(y);
	return -EINVAL;
}

#undef GROW

void
cluster_egress_free(struct cluster_egress *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		policy_destroy(e->owners[i]);
	free(e->policies);
	free(e->owners);
	free(e->srcs);
	memset(e, 0, sizeof(*e));
}

/* ---- across documents ------------------------------------------------ */

static void report(FILE *errs, const char *file, size_t line,
    const char *fmt, ...) LOG_PRINTF(4, 5);

/* FILE:LINE:1: and the sentence, as cluster_validate() reports. */
static void
report(FILE *errs, const char *file, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (errs == NULL)
		return;
	fprintf(errs, "%s:%zu:1: ", file, line);
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

/* The node holding egress address a, or NULL. */
static const struct cluster_node *
holder(const struct cluster *cl, const struct sluice_addr *a)
{
	for (size_t i = 0; i < cl->nnodes; i++)
		for (size_t k = 0; k < cl->nodes[i].negress_addrs; k++)
			if (sluice_addr_eq(&cl->nodes[i].egress_addrs[k], a))
				return &cl->nodes[i];
	return NULL;
}

/*
 * The outside routes an egress address to its gateway, so it must be
 * that node's alone, and neither a pod's nor a node's own.
 */
static bool
node_addrs_validate(const struct cluster *cl, FILE *errs)
{
	char a[SLUICE_ADDRSTRLEN], p[SLUICE_PREFIXSTRLEN];
	bool bad = false;

	for (size_t i = 0; i < cl->nnodes; i++) {
		const struct cluster_node *n = &cl->nodes[i];

		for (size_t k = 0; k < n->negress_addrs; k++) {
			const struct sluice_addr *x = &n->egress_addrs[k];
			const struct cluster_pool *pool = cluster_pool_find(cl,
			    x);
			const struct cluster_node *h = holder(cl, x);

			sluice_addr_str(x, a, sizeof(a));
			if (pool != NULL) {
				report(errs, n->file, n->line,
				    "spec.egress.addresses: %s of Node %s is inside IPPool %s (%s)",
				    a, n->name, pool->name,
				    sluice_prefix_str(&pool->cidr, p,
				    sizeof(p)));
				bad = true;
			}
			for (size_t j = 0; j < cl->nnodes; j++) {
				if (!sluice_addr_eq(x, &cl->nodes[j].address))
					continue;
				report(errs, n->file, n->line,
				    "spec.egress.addresses: %s of Node %s is the underlay address of Node %s",
				    a, n->name, cl->nodes[j].name);
				bad = true;
			}
			/* Each later holder is reported, naming the first. */
			if (h != n) {
				report(errs, n->file, n->line,
				    "spec.egress.addresses: %s of Node %s is an egress address of Node %s too (%s:%zu)",
				    a, n->name, h->name, h->file, h->line);
				bad = true;
			}
		}
	}
	return bad;
}

bool
cluster_egress_validate(const struct cluster *cl, FILE *errs)
{
	const struct cluster_egress *e = &cl->egress;
	char a[SLUICE_ADDRSTRLEN];
	bool bad = node_addrs_validate(cl, errs);

	for (size_t i = 0; i < e->n; i++) {
		const struct egress_policy *p = &e->policies[i];
		const struct cluster_src *s = &e->srcs[i];
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(e->policies[j].name, p->name) == 0)
				break;
		if (j < i) {
			report(errs, s->file, s->line,
			    "metadata.name: EgressGatewayPolicy %s is declared twice (first at %s:%zu)",
			    p->name, e->srcs[j].file, e->srcs[j].line);
			bad = true;
		}
		for (size_t k = 0; k < p->naddrs; k++) {
			const struct cluster_node *h = holder(cl, &p->addrs[k]);

			sluice_addr_str(&p->addrs[k], a, sizeof(a));
			if (h == NULL) {
				report(errs, s->file, s->line,
				    "spec.gateways.addresses: %s of EgressGatewayPolicy %s is not an egress address of any Node",
				    a, p->name);
				bad = true;
			} else if (!sluice_selector_matches(p->gateway_selector,
			    h->labels, h->nlabels)) {
				/* Its flows could never leave with it. */
				report(errs, s->file, s->line,
				    "spec.gateways.addresses: %s of EgressGatewayPolicy %s is an egress address of Node %s, which spec.gateways.nodeSelector does not select",
				    a, p->name, h->name);
				bad = true;
			}
		}
	}
	return bad;
}
