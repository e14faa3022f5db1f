#include "router/policy_yaml.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Everything the model points to is allocated through one object: blocks
 * (arrays, strings) and selectors (whose insides mf_selector() allocates)
 * are recorded as they are made, so one call frees them all, whatever
 * point parsing stopped at.
 *
 * YAML aliases let a small document name one list many times, and lists
 * nest four deep (rules, peers, selectors, values), so a few kilobytes
 * could expand to billions of objects. The arena counts what it hands
 * out (array items, string bytes, selector terms) and refuses more than
 * POLICY_YAML_MAX_UNITS, far above any real policy.
 */
#define POLICY_YAML_MAX_UNITS (1 << 18)

struct arena {
	void **blocks;
	size_t nblocks, capblocks;
	struct sluice_selector **sels;
	size_t nsels, capsels;
	size_t units;
	bool oom;
	bool too_big;
};

struct policy_yaml_np {
	struct policy_np np;
	char name[254];			/* a DNS-1123 subdomain is <= 253 */
	char ns[64];			/* a DNS-1123 label is <= 63 */
	struct arena a;
};

struct policy_yaml_anp {
	struct policy_anp anp;
	char name[254];
	struct arena a;
};

struct policy_yaml_banp {
	struct policy_banp banp;
	char name[254];
	struct arena a;
};

struct policy_yaml_netset {
	struct policy_netset set;
	char name[254];
	char ns[64];
	struct sluice_label *labels;	/* from mf_labels() */
	size_t nlabels;
	struct arena a;
};

/* Paths are at most "spec.egress[N].to[N].ipBlock.except[N]" and a key. */
#define PATH_LEN 160

static void pathf(char *buf, size_t size, const char *fmt, ...)
    LOG_PRINTF(3, 4);

/* snprintf() for key paths, which always fit (see PATH_LEN). */
static void
pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void *
alloc(struct arena *y, size_t n, size_t size)
{
	void *p;

	if (y->too_big || n > POLICY_YAML_MAX_UNITS - y->units) {
		y->too_big = true;
		return NULL;
	}
	y->units += n;
	if (y->nblocks == y->capblocks) {
		size_t cap = y->capblocks ? 2 * y->capblocks : 16;
		void **b = realloc(y->blocks, cap * sizeof(*b));

		if (b == NULL) {
			y->oom = true;
			return NULL;
		}
		y->blocks = b;
		y->capblocks = cap;
	}
	p = calloc(n ? n : 1, size);
	if (p == NULL) {
		y->oom = true;
		return NULL;
	}
	y->blocks[y->nblocks++] = p;
	return p;
}

static char *
dup(struct arena *y, const char *s)
{
	char *d = alloc(y, strlen(s) + 1, 1);

	if (d != NULL)
		memcpy(d, s, strlen(s) + 1);
	return d;
}

static void
arena_free(struct arena *y)
{
	for (size_t i = 0; i < y->nsels; i++)
		mf_selector_free(y->sels[i]);
	free(y->sels);
	for (size_t i = 0; i < y->nblocks; i++)
		free(y->blocks[i]);
	free(y->blocks);
}

void
policy_yaml_np_destroy(struct policy_yaml_np *y)
{
	if (y == NULL)
		return;
	arena_free(&y->a);
	free(y);
}

void
policy_yaml_anp_destroy(struct policy_yaml_anp *y)
{
	if (y == NULL)
		return;
	arena_free(&y->a);
	free(y);
}

const struct policy_anp *
policy_yaml_anp_get(const struct policy_yaml_anp *y)
{
	return &y->anp;
}

void
policy_yaml_banp_destroy(struct policy_yaml_banp *y)
{
	if (y == NULL)
		return;
	arena_free(&y->a);
	free(y);
}

const struct policy_banp *
policy_yaml_banp_get(const struct policy_yaml_banp *y)
{
	return &y->banp;
}

void
policy_yaml_netset_destroy(struct policy_yaml_netset *y)
{
	if (y == NULL)
		return;
	mf_labels_free(y->labels, y->nlabels);
	arena_free(&y->a);
	free(y);
}

const struct policy_netset *
policy_yaml_netset_get(const struct policy_yaml_netset *y)
{
	return &y->set;
}

const struct policy_np *
policy_yaml_np_get(const struct policy_yaml_np *y)
{
	return &y->np;
}

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

/* The value of key, NULL if absent or null (§3 E1, E6: alike here). */
static yaml_node_t *
get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = mf_get(doc, map, key);

	return n != NULL && is_null(n) ? NULL : n;
}

/*
 * The list at key: its items and count, none if absent or null. Returns
 * false (reported) if it is something else.
 */
static bool
list(struct mctx *c, yaml_document_t *doc, yaml_node_t *map, const char *key,
    const char *path, yaml_node_item_t **items, size_t *n)
{
	yaml_node_t *l = get(doc, map, key);

	*items = NULL;
	*n = 0;
	if (l == NULL)
		return true;
	if (l->type != YAML_SEQUENCE_NODE) {
		mf_report(c, &l->start_mark, path, "expected a list");
		return false;
	}
	*items = l->data.sequence.items.start;
	*n = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
	return true;
}

/* A selector at key, or NULL if absent, null or bad (reported). */
static const struct sluice_selector *
selector(struct mctx *c, struct arena *y, yaml_document_t *doc,
    yaml_node_t *map, const char *key, const char *path)
{
	yaml_node_t *n = get(doc, map, key);
	struct sluice_selector *sel, **sels;

	if (n == NULL)
		return NULL;
	if (y->nsels == y->capsels) {
		size_t cap = y->capsels ? 2 * y->capsels : 8;

		sels = realloc(y->sels, cap * sizeof(*sels));
		if (sels == NULL) {
			y->oom = true;
			return NULL;
		}
		y->sels = sels;
		y->capsels = cap;
	}
	sel = alloc(y, 1, sizeof(*sel));
	if (sel == NULL)
		return NULL;
	y->sels[y->nsels++] = sel;
	/* An empty mapping is {}: every pod, every namespace (§1.1). */
	if (!mf_selector(c, doc, n, path, sel))
		return NULL;
	y->units += sel->nmatch_labels + sel->nexprs;
	for (size_t i = 0; i < sel->nexprs; i++)
		y->units += sel->exprs[i].nvalues;
	if (y->units > POLICY_YAML_MAX_UNITS)
		y->too_big = true;
	return sel;
}

/* Reports an arena that ran over; true if it did. */
static bool
too_big(struct mctx *c, const struct arena *a, yaml_node_t *root,
    const char *kind)
{
	if (a->too_big)
		mf_report(c, &root->start_mark, NULL,
		    "%s too large: more than %d list items, selector terms and "
		    "string bytes (every use of a YAML alias counts)", kind,
		    POLICY_YAML_MAX_UNITS);
	return a->too_big;
}

/*
 * A CIDR. One with host bits set is refused with the CIDR it means:
 * SEMANTICS.md §1.2 would mask and warn, but reports have no warnings.
 */
static bool
cidr(struct mctx *c, yaml_node_t *n, const char *path,
    struct sluice_prefix *out)
{
	char want[SLUICE_PREFIXSTRLEN];

	if (n->type == YAML_SCALAR_NODE &&
	    strlen((const char *)n->data.scalar.value) ==
	    n->data.scalar.length &&
	    sluice_prefix_parse((const char *)n->data.scalar.value, false,
	    out) != 0 &&
	    sluice_prefix_parse((const char *)n->data.scalar.value, true,
	    out) == 0) {
		mf_report(c, &n->start_mark, path,
		    "\"%s\" has host bits set; write %s, the CIDR it means",
		    (const char *)n->data.scalar.value,
		    sluice_prefix_str(out, want, sizeof(want)));
		return false;
	}
	return mf_prefix(c, n, path, out);
}

static bool
ip_block(struct mctx *c, struct arena *y, yaml_document_t *doc,
    yaml_node_t *m, const char *path, struct policy_ip_block *b)
{
	static const char *const keys[] = { "cidr", "except", NULL };
	char sub[PATH_LEN];
	yaml_node_item_t *items;
	yaml_node_t *n;
	size_t nitems;
	struct sluice_prefix *except;
	bool ok = true;

	if (!mapping(c, doc, m, path, keys))
		return false;
	pathf(sub, sizeof(sub), "%s.cidr", path);
	n = get(doc, m, "cidr");
	if (n == NULL) {
		mf_report(c, &m->start_mark, sub, "required key is missing");
		ok = false;
	} else {
		ok &= cidr(c, n, sub, &b->cidr);
	}
	pathf(sub, sizeof(sub), "%s.except", path);
	if (!list(c, doc, m, "except", sub, &items, &nitems))
		return false;
	except = alloc(y, nitems, sizeof(*except));
	if (except == NULL)
		return false;
	for (size_t i = 0; i < nitems; i++) {
		pathf(sub, sizeof(sub), "%s.except[%zu]", path, i);
		ok &= cidr(c, yaml_document_get_node(doc, items[i]), sub,
		    &except[i]);
	}
	b->except = except;
	b->nexcept = nitems;
	return ok;
}

/*
 * One domainNames entry: checked as written, then lower-cased and without
 * its trailing dot, the form DNS answers are kept in (dns/dns.h), so that
 * one name is one string everywhere. NULL if bad (reported).
 */
static const char *
domain(struct mctx *c, struct arena *a, yaml_node_t *n, const char *path)
{
	char why[256];
	const char *v;
	size_t len;
	char *d;

	if (n->type != YAML_SCALAR_NODE || is_null(n) ||
	    strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		mf_report(c, &n->start_mark, path, "expected a domain name");
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	if (!policy_domain_pattern_valid(v, why, sizeof(why))) {
		/* A runaway value is cut: the reason says what is wrong. */
		mf_report(c, &n->start_mark, path, "\"%.64s%s\" %s", v,
		    len > 64 ? "..." : "", why);
		return NULL;
	}
	len -= v[len - 1] == '.';
	if ((d = alloc(a, len + 1, 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		d[i] = v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] - 'A' + 'a') :
		    v[i];
	d[len] = '\0';
	return d;
}

/*
 * m's domainNames, if present: egress only (in ingress reported at its
 * value, with ingress_why, and its entries left unread), else the
 * patterns into *out and *nout. Present means non-NULL, even when empty
 * ([] is refused by validation: 1 to POLICY_DOMAINS_MAX).
 */
static void
domains(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *m, const char *path, enum policy_dir dir,
    const char *ingress_why, const char *const **out, size_t *nout)
{
	char sub[PATH_LEN];
	yaml_node_item_t *items;
	yaml_node_t *n = get(doc, m, "domainNames");
	const char **v;
	size_t nitems;

	if (n == NULL)
		return;
	pathf(sub, sizeof(sub), "%s.domainNames", path);
	if (dir == POLICY_INGRESS) {
		mf_report(c, &n->start_mark, sub, "an egress peer only%s",
		    ingress_why);
		return;
	}
	if (!list(c, doc, m, "domainNames", sub, &items, &nitems) ||
	    (v = alloc(a, nitems, sizeof(*v))) == NULL)
		return;
	for (size_t i = 0; i < nitems; i++) {
		pathf(sub, sizeof(sub), "%s.domainNames[%zu]", path, i);
		v[i] = domain(c, a, yaml_document_get_node(doc, items[i]), sub);
	}
	*out = v;
	*nout = nitems;
}

static bool
peer(struct mctx *c, struct arena *y, yaml_document_t *doc,
    yaml_node_t *m, const char *path, enum policy_dir dir,
    struct policy_np_peer *x)
{
	static const char *const keys[] = { "podSelector", "namespaceSelector",
		"ipBlock", "networkSetSelector", "globalNetworkSetSelector",
		"domainNames", NULL };
	static const char *const sels[] = { "podSelector", "namespaceSelector",
		"networkSetSelector", "globalNetworkSetSelector" };
	const struct sluice_selector **dst[] = { &x->pod_selector,
		&x->namespace_selector, &x->network_set_selector,
		&x->global_network_set_selector };
	char sub[PATH_LEN];
	yaml_node_t *n;
	int before = c->nerr;

	if (!mapping(c, doc, m, path, keys))
		return false;
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		pathf(sub, sizeof(sub), "%s.%s", path, sels[i]);
		*dst[i] = selector(c, y, doc, m, sels[i], sub);
	}
	n = get(doc, m, "ipBlock");
	if (n != NULL) {
		struct policy_ip_block *b = alloc(y, 1, sizeof(*b));

		pathf(sub, sizeof(sub), "%s.ipBlock", path);
		if (b != NULL && ip_block(c, y, doc, n, sub, b))
			x->ip_block = b;
	}
	domains(c, y, doc, m, path, dir, ": a pod's DNS answers name where "
	    "it connects to, not who connects to it", &x->domain_names,
	    &x->ndomain_names);
	return c->nerr == before && !y->oom;
}

/* m's protocol into *out: IPPROTO_TCP if absent (NP-def, ANP-crd). */
static void
protocol(struct mctx *c, yaml_document_t *doc, yaml_node_t *m,
    const char *path, int *out)
{
	static const struct {
		const char *name;
		int proto;
	} protos[] = {
		{ "TCP", IPPROTO_TCP },
		{ "UDP", IPPROTO_UDP },
		{ "SCTP", IPPROTO_SCTP },
	};
	char sub[PATH_LEN], proto[64];

	*out = IPPROTO_TCP;
	pathf(sub, sizeof(sub), "%s.protocol", path);
	if (get(doc, m, "protocol") == NULL ||
	    !mf_str(c, doc, m, "protocol", sub, false, proto, sizeof(proto)))
		return;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcmp(proto, protos[i].name) == 0) {
			*out = protos[i].proto;
			return;
		}
	}
	mf_report(c, &mf_get(doc, m, "protocol")->start_mark, sub,
	    "\"%s\" is not TCP, UDP or SCTP", proto);
}

static bool
port(struct mctx *c, struct arena *y, yaml_document_t *doc,
    yaml_node_t *m, const char *path, struct policy_np_port *p)
{
	static const char *const keys[] = { "protocol", "port", "endPort",
		NULL };
	char sub[PATH_LEN];
	yaml_node_t *n;
	unsigned long v;
	int before = c->nerr;

	if (!mapping(c, doc, m, path, keys))
		return false;
	protocol(c, doc, m, path, &p->protocol);
	pathf(sub, sizeof(sub), "%s.port", path);
	n = get(doc, m, "port");
	if (n != NULL && n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    n->data.scalar.value[0] != '\0' &&
	    strchr("0123456789+-", n->data.scalar.value[0]) != NULL) {
		/* A number; "80" in quotes is a (bad) name, §3 E20. */
		if (mf_uint(c, doc, m, "port", sub, 1, 65535, &v)) {
			p->has_port = true;
			p->port = (int32_t)v;
		}
	} else if (n != NULL) {
		char name[64];

		/* Validation checks the name itself (IsValidPortName). */
		if (mf_str(c, doc, m, "port", sub, false, name, sizeof(name))) {
			p->has_port = true;
			p->name = dup(y, name);
		}
	}
	pathf(sub, sizeof(sub), "%s.endPort", path);
	if (get(doc, m, "endPort") != NULL &&
	    mf_uint(c, doc, m, "endPort", sub, 1, 65535, &v)) {
		p->has_end_port = true;
		p->end_port = (int32_t)v;
	}
	return c->nerr == before && !y->oom;
}

static bool
rules(struct mctx *c, struct policy_yaml_np *y, yaml_document_t *doc,
    yaml_node_t *spec, enum policy_dir dir, const struct policy_np_rule **out,
    size_t *nout)
{
	const char *key = dir == POLICY_INGRESS ? "ingress" : "egress";
	const char *peers = dir == POLICY_INGRESS ? "from" : "to";
	const char *const keys[] = { "ports", peers, NULL };
	char path[PATH_LEN], sub[PATH_LEN], item[PATH_LEN];
	yaml_node_item_t *items, *its;
	struct policy_np_rule *r;
	size_t n, nits;
	bool ok = true;

	pathf(path, sizeof(path), "spec.%s", key);
	if (!list(c, doc, spec, key, path, &items, &n))
		return false;
	r = alloc(&y->a, n, sizeof(*r));
	if (r == NULL)
		return false;
	*out = r;
	*nout = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *m = yaml_document_get_node(doc, items[i]);
		struct policy_np_port *ports;
		struct policy_np_peer *ps;

		pathf(path, sizeof(path), "spec.%s[%zu]", key, i);
		if (!mapping(c, doc, m, path, keys)) {
			ok = false;
			continue;
		}
		pathf(sub, sizeof(sub), "%s.ports", path);
		if (list(c, doc, m, "ports", sub, &its, &nits) &&
		    (ports = alloc(&y->a, nits, sizeof(*ports))) != NULL) {
			r[i].ports = ports;
			r[i].nports = nits;
			for (size_t j = 0; j < nits; j++) {
				pathf(item, sizeof(item), "%s.ports[%zu]",
				    path, j);
				ok &= port(c, &y->a, doc,
				    yaml_document_get_node(doc, its[j]), item,
				    &ports[j]);
			}
		} else {
			ok = false;
		}
		pathf(sub, sizeof(sub), "%s.%s", path, peers);
		if (list(c, doc, m, peers, sub, &its, &nits) &&
		    (ps = alloc(&y->a, nits, sizeof(*ps))) != NULL) {
			r[i].peers = ps;
			r[i].npeers = nits;
			for (size_t j = 0; j < nits; j++) {
				pathf(item, sizeof(item), "%s.%s[%zu]",
				    path, peers, j);
				ok &= peer(c, &y->a, doc,
				    yaml_document_get_node(doc, its[j]), item,
				    dir, &ps[j]);
			}
		} else {
			ok = false;
		}
	}
	return ok;
}

static bool
policy_types(struct mctx *c, struct policy_yaml_np *y, yaml_document_t *doc,
    yaml_node_t *spec)
{
	yaml_node_item_t *items;
	enum policy_dir *t;
	size_t n;
	bool ok = true;

	if (!list(c, doc, spec, "policyTypes", "spec.policyTypes", &items, &n))
		return false;
	t = alloc(&y->a, n, sizeof(*t));
	if (t == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *v = yaml_document_get_node(doc, items[i]);
		char path[PATH_LEN];

		pathf(path, sizeof(path), "spec.policyTypes[%zu]", i);
		if (v->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)v->data.scalar.value, "Ingress") == 0) {
			t[i] = POLICY_INGRESS;
		} else if (v->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)v->data.scalar.value, "Egress") == 0) {
			t[i] = POLICY_EGRESS;
		} else {
			mf_report(c, &v->start_mark, path,
			    "expected Ingress or Egress");
			ok = false;
		}
	}
	y->np.policy_types = t;
	y->np.npolicy_types = n;
	return ok;
}

static void
spec(struct mctx *c, struct policy_yaml_np *y, yaml_document_t *doc,
    yaml_node_t *s)
{
	static const char *const keys[] = { "podSelector", "policyTypes",
		"ingress", "egress", NULL };

	if (!mapping(c, doc, s, "spec", keys))
		return;
	y->np.pod_selector = selector(c, &y->a, doc, s, "podSelector",
	    "spec.podSelector");
	policy_types(c, y, doc, s);
	rules(c, y, doc, s, POLICY_INGRESS, &y->np.ingress, &y->np.ningress);
	rules(c, y, doc, s, POLICY_EGRESS, &y->np.egress, &y->np.negress);
}

/* apiVersion and kind must be these exactly. */
static void
expect(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    const char *key, const char *want)
{
	char got[128];

	if (mf_str(c, doc, root, key, key, true, got, sizeof(got)) &&
	    strcmp(got, want) != 0)
		mf_report(c, &mf_get(doc, root, key)->start_mark, key,
		    "expected %s, not \"%s\"", want, got);
}

/*
 * metadata into name (254 bytes) and, for a namespaced kind, ns (64
 * bytes, left alone if absent); ns is NULL for a cluster-wide kind. The
 * labels go to *labels and *nlabels (mf_labels_free() frees them) if
 * labels is not NULL, and are only checked otherwise.
 */
static void
metadata(struct mctx *c, yaml_document_t *doc, yaml_node_t *meta,
    const char *kind, char *name, char *ns, struct sluice_label **labels,
    size_t *nlabels)
{
	static const char *const keys[] = { "name", "namespace", "labels",
		"annotations", NULL };
	struct sluice_label *l;
	yaml_node_t *n;
	size_t nl;

	if (!mapping(c, doc, meta, "metadata", keys))
		return;
	mf_str(c, doc, meta, "name", "metadata.name", true, name, 254);
	/* Like kubectl, a manifest without a namespace is in "default". */
	n = get(doc, meta, "namespace");
	if (n != NULL && ns == NULL)
		mf_report(c, &n->start_mark, "metadata.namespace",
		    "%s is cluster-wide: no namespace", kind);
	else if (n != NULL)
		mf_str(c, doc, meta, "namespace", "metadata.namespace", false,
		    ns, 64);
	/* Labels must be well formed even where the model has no use. */
	if ((n = get(doc, meta, "labels")) != NULL &&
	    mf_labels(c, doc, n, "metadata.labels", &l, &nl)) {
		if (labels != NULL) {
			*labels = l;
			*nlabels = nl;
		} else {
			mf_labels_free(l, nl);
		}
	}
	if ((n = get(doc, meta, "annotations")) != NULL &&
	    n->type != YAML_MAPPING_NODE)
		mf_report(c, &n->start_mark, "metadata.annotations",
		    "expected a mapping");
}

int
policy_yaml_np_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, struct policy_yaml_np **out)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
		"spec", NULL };
	struct policy_yaml_np *y;
	yaml_node_t *n;
	char err[512];
	int before = c->nerr, rc = 0;

	*out = NULL;
	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return -ENOMEM;
	snprintf(y->ns, sizeof(y->ns), "default");
	if (!mapping(c, doc, root, NULL, keys))
		goto invalid;
	expect(c, doc, root, "apiVersion", POLICY_YAML_NP_API_VERSION);
	expect(c, doc, root, "kind", "NetworkPolicy");
	if ((n = get(doc, root, "metadata")) == NULL)
		mf_report(c, &root->start_mark, "metadata",
		    "required key is missing");
	else
		metadata(c, doc, n, "NetworkPolicy", y->name, y->ns, NULL,
		    NULL);
	/* Upstream reads an absent spec as {}: deny all ingress. Too quiet. */
	if ((n = get(doc, root, "spec")) == NULL)
		mf_report(c, &root->start_mark, "spec",
		    "required key is missing");
	else
		spec(c, y, doc, n);
	if (y->a.oom) {
		rc = -ENOMEM;
		goto err;
	}
	if (too_big(c, &y->a, root, "NetworkPolicy") || c->nerr != before)
		goto invalid;
	y->np.name = y->name;
	y->np.namespace = y->ns;
	if (policy_np_validate(&y->np, err, sizeof(err)) != 0) {
		mf_report(c, &root->start_mark, NULL, "%s", err);
		goto invalid;
	}
	*out = y;
	return 0;
invalid:
	rc = -EINVAL;
err:
	policy_yaml_np_destroy(y);
	return rc;
}

/* ---- AdminNetworkPolicy ---------------------------------------------- */

/* `pods`: both selectors required (ANP-types). */
static const struct policy_anp_pods *
anp_pods(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *m, const char *path)
{
	static const char *const keys[] = { "namespaceSelector", "podSelector",
		NULL };
	struct policy_anp_pods *p;
	char sub[PATH_LEN];

	if (!mapping(c, doc, m, path, keys))
		return NULL;
	p = alloc(a, 1, sizeof(*p));
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		pathf(sub, sizeof(sub), "%s.%s", path, keys[i]);
		if (get(doc, m, keys[i]) == NULL)
			mf_report(c, &m->start_mark, sub,
			    "required key is missing");
		else if (i == 0)
			p->namespace_selector = selector(c, a, doc, m, keys[i],
			    sub);
		else
			p->pod_selector = selector(c, a, doc, m, keys[i], sub);
	}
	return p;
}

/* spec.subject: exactly one of namespaces and pods (validation says). */
static void
anp_subject(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *spec, struct policy_anp_subject *s)
{
	static const char *const keys[] = { "namespaces", "pods", NULL };
	yaml_node_t *n = get(doc, spec, "subject"), *p;

	if (n == NULL) {
		mf_report(c, &spec->start_mark, "spec.subject",
		    "required key is missing");
		return;
	}
	if (!mapping(c, doc, n, "spec.subject", keys))
		return;
	s->namespaces = selector(c, a, doc, n, "namespaces",
	    "spec.subject.namespaces");
	if ((p = get(doc, n, "pods")) != NULL)
		s->pods = anp_pods(c, a, doc, p, "spec.subject.pods");
}

static void
anp_peer(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *m, const char *path, enum policy_dir dir,
    struct policy_anp_peer *x)
{
	static const char *const keys[] = { "namespaces", "pods", "networks",
		"nodes", "networkSets", "domainNames", NULL };
	char sub[PATH_LEN];
	yaml_node_item_t *items;
	yaml_node_t *n;
	size_t nitems;

	if (!mapping(c, doc, m, path, keys))
		return;
	pathf(sub, sizeof(sub), "%s.namespaces", path);
	x->namespaces = selector(c, a, doc, m, "namespaces", sub);
	pathf(sub, sizeof(sub), "%s.nodes", path);
	x->nodes = selector(c, a, doc, m, "nodes", sub);
	pathf(sub, sizeof(sub), "%s.networkSets", path);
	x->network_sets = selector(c, a, doc, m, "networkSets", sub);
	if ((n = get(doc, m, "pods")) != NULL) {
		pathf(sub, sizeof(sub), "%s.pods", path);
		x->pods = anp_pods(c, a, doc, n, sub);
	}
	pathf(sub, sizeof(sub), "%s.networks", path);
	if (get(doc, m, "networks") != NULL &&
	    list(c, doc, m, "networks", sub, &items, &nitems)) {
		struct sluice_prefix *nets = alloc(a, nitems, sizeof(*nets));

		if (nets == NULL)
			return;
		for (size_t i = 0; i < nitems; i++) {
			pathf(sub, sizeof(sub), "%s.networks[%zu]", path, i);
			cidr(c, yaml_document_get_node(doc, items[i]), sub,
			    &nets[i]);
		}
		/* Present, so non-NULL even if empty (refused: 1-25). */
		x->networks = nets;
		x->nnetworks = nitems;
	}
	domains(c, a, doc, m, path, dir, " (ingress peers are namespaces or "
	    "pods)", &x->domain_names, &x->ndomain_names);
}

/* A {protocol, port} or {protocol, start, end} mapping. */
static void *
anp_port_map(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *m, const char *path, bool range)
{
	static const char *const number_keys[] = { "protocol", "port", NULL };
	static const char *const range_keys[] = { "protocol", "start", "end",
		NULL };
	const char *const *keys = range ? range_keys : number_keys;
	struct policy_anp_port_number *pn;
	struct policy_anp_port_range *pr;
	unsigned long v[2] = { 0, 0 };
	char sub[PATH_LEN];

	if (!mapping(c, doc, m, path, keys))
		return NULL;
	for (size_t i = 1; keys[i] != NULL; i++) {
		pathf(sub, sizeof(sub), "%s.%s", path, keys[i]);
		if (get(doc, m, keys[i]) == NULL)
			mf_report(c, &m->start_mark, sub,
			    "required key is missing");
		else
			mf_uint(c, doc, m, keys[i], sub, 1, 65535, &v[i - 1]);
	}
	if (range) {
		if ((pr = alloc(a, 1, sizeof(*pr))) == NULL)
			return NULL;
		protocol(c, doc, m, path, &pr->protocol);
		pr->start = (int32_t)v[0];
		pr->end = (int32_t)v[1];
		return pr;
	}
	if ((pn = alloc(a, 1, sizeof(*pn))) == NULL)
		return NULL;
	protocol(c, doc, m, path, &pn->protocol);
	pn->port = (int32_t)v[0];
	return pn;
}

static void
anp_port(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *m, const char *path, struct policy_anp_port *p)
{
	static const char *const keys[] = { "portNumber", "portRange",
		"namedPort", NULL };
	char sub[PATH_LEN], name[128];
	yaml_node_t *n;

	if (!mapping(c, doc, m, path, keys))
		return;
	if ((n = get(doc, m, "portNumber")) != NULL) {
		pathf(sub, sizeof(sub), "%s.portNumber", path);
		p->port_number = anp_port_map(c, a, doc, n, sub, false);
	}
	if ((n = get(doc, m, "portRange")) != NULL) {
		pathf(sub, sizeof(sub), "%s.portRange", path);
		p->port_range = anp_port_map(c, a, doc, n, sub, true);
	}
	pathf(sub, sizeof(sub), "%s.namedPort", path);
	if (get(doc, m, "namedPort") != NULL &&
	    mf_str(c, doc, m, "namedPort", sub, false, name, sizeof(name)))
		p->named_port = dup(a, name);
}

/* One rule; a BANP's (banp) has no Pass. */
static void
anp_rule(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *m, const char *path, enum policy_dir dir, bool banp,
    struct policy_anp_rule *r)
{
	static const struct {
		const char *name;
		enum policy_action action;
	} actions[] = {
		{ "Allow", POLICY_ACTION_ALLOW },
		{ "Deny", POLICY_ACTION_DENY },
		{ "Pass", POLICY_ACTION_PASS },
	};
	const char *peers = dir == POLICY_INGRESS ? "from" : "to";
	const char *const keys[] = { "name", "action", peers, "ports", NULL };
	char sub[PATH_LEN], item[PATH_LEN], buf[128];
	yaml_node_item_t *items;
	size_t n;

	if (!mapping(c, doc, m, path, keys))
		return;
	pathf(sub, sizeof(sub), "%s.name", path);
	if (get(doc, m, "name") != NULL &&
	    mf_str(c, doc, m, "name", sub, false, buf, sizeof(buf)))
		r->name = dup(a, buf);
	pathf(sub, sizeof(sub), "%s.action", path);
	if (mf_str(c, doc, m, "action", sub, true, buf, sizeof(buf))) {
		for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]);
		    i++)
			if (strcmp(buf, actions[i].name) == 0 && (!banp ||
			    actions[i].action != POLICY_ACTION_PASS))
				r->action = actions[i].action;
		if (r->action == 0 && banp)
			mf_report(c, &mf_get(doc, m, "action")->start_mark,
			    sub, "\"%s\" is not Allow or Deny%s", buf,
			    strcmp(buf, "Pass") == 0 ?
			    " (Pass is for AdminNetworkPolicy)" : "");
		else if (r->action == 0)
			mf_report(c, &mf_get(doc, m, "action")->start_mark,
			    sub, "\"%s\" is not Allow, Deny or Pass", buf);
	}
	pathf(sub, sizeof(sub), "%s.%s", path, peers);
	if (get(doc, m, peers) == NULL) {
		mf_report(c, &m->start_mark, sub, "required key is missing");
	} else if (list(c, doc, m, peers, sub, &items, &n)) {
		struct policy_anp_peer *ps = alloc(a, n, sizeof(*ps));

		if (ps == NULL)
			return;
		r->peers = ps;
		r->npeers = n;
		for (size_t i = 0; i < n; i++) {
			pathf(item, sizeof(item), "%s[%zu]", sub, i);
			anp_peer(c, a, doc,
			    yaml_document_get_node(doc, items[i]), item, dir,
			    &ps[i]);
		}
	}
	pathf(sub, sizeof(sub), "%s.ports", path);
	if (get(doc, m, "ports") != NULL &&
	    list(c, doc, m, "ports", sub, &items, &n)) {
		struct policy_anp_port *ports = alloc(a, n, sizeof(*ports));

		if (ports == NULL)
			return;
		r->ports = ports;
		r->nports = n;
		for (size_t i = 0; i < n; i++) {
			pathf(item, sizeof(item), "%s[%zu]", sub, i);
			anp_port(c, a, doc,
			    yaml_document_get_node(doc, items[i]), item,
			    &ports[i]);
		}
	}
}

static void
anp_rules(struct mctx *c, struct arena *a, yaml_document_t *doc,
    yaml_node_t *spec, enum policy_dir dir, bool banp,
    const struct policy_anp_rule **out, size_t *nout)
{
	const char *key = dir == POLICY_INGRESS ? "ingress" : "egress";
	char path[PATH_LEN];
	yaml_node_item_t *items;
	struct policy_anp_rule *r;
	size_t n;

	pathf(path, sizeof(path), "spec.%s", key);
	if (!list(c, doc, spec, key, path, &items, &n))
		return;
	if ((r = alloc(a, n, sizeof(*r))) == NULL)
		return;
	*out = r;
	*nout = n;
	for (size_t i = 0; i < n; i++) {
		pathf(path, sizeof(path), "spec.%s[%zu]", key, i);
		anp_rule(c, a, doc, yaml_document_get_node(doc, items[i]),
		    path, dir, banp, &r[i]);
	}
}

int
policy_yaml_anp_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, struct policy_yaml_anp **out)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
		"spec", NULL };
	static const char *const spec_keys[] = { "priority", "subject",
		"ingress", "egress", NULL };
	struct policy_yaml_anp *y;
	yaml_node_t *n;
	unsigned long prio;
	char err[512];
	int before = c->nerr, rc = 0;

	*out = NULL;
	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return -ENOMEM;
	if (!mapping(c, doc, root, NULL, keys))
		goto invalid;
	expect(c, doc, root, "apiVersion", POLICY_YAML_ANP_API_VERSION);
	expect(c, doc, root, "kind", "AdminNetworkPolicy");
	if ((n = get(doc, root, "metadata")) == NULL)
		mf_report(c, &root->start_mark, "metadata",
		    "required key is missing");
	else
		metadata(c, doc, n, "AdminNetworkPolicy", y->name, NULL,
		    NULL, NULL);
	if ((n = get(doc, root, "spec")) == NULL) {
		mf_report(c, &root->start_mark, "spec",
		    "required key is missing");
	} else if (mapping(c, doc, n, "spec", spec_keys)) {
		if (get(doc, n, "priority") == NULL)
			mf_report(c, &n->start_mark, "spec.priority",
			    "required key is missing");
		else if (mf_uint(c, doc, n, "priority", "spec.priority", 0,
		    POLICY_ANP_PRIORITY_MAX, &prio))
			y->anp.priority = (int32_t)prio;
		anp_subject(c, &y->a, doc, n, &y->anp.subject);
		anp_rules(c, &y->a, doc, n, POLICY_INGRESS, false,
		    &y->anp.ingress, &y->anp.ningress);
		anp_rules(c, &y->a, doc, n, POLICY_EGRESS, false,
		    &y->anp.egress, &y->anp.negress);
	}
	if (y->a.oom) {
		rc = -ENOMEM;
		goto err;
	}
	if (too_big(c, &y->a, root, "AdminNetworkPolicy") ||
	    c->nerr != before)
		goto invalid;
	y->anp.name = y->name;
	if (policy_anp_validate(&y->anp, err, sizeof(err)) != 0) {
		mf_report(c, &root->start_mark, NULL, "%s", err);
		goto invalid;
	}
	*out = y;
	return 0;
invalid:
	rc = -EINVAL;
err:
	policy_yaml_anp_destroy(y);
	return rc;
}

/* ---- BaselineAdminNetworkPolicy ------------------------------------- */

int
policy_yaml_banp_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, struct policy_yaml_banp **out)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
		"spec", NULL };
	/* No priority: the baseline is below every ANP and NetworkPolicy. */
	static const char *const spec_keys[] = { "subject", "ingress",
		"egress", NULL };
	struct policy_yaml_banp *y;
	yaml_node_t *n;
	char err[512];
	int before = c->nerr, rc = 0;

	*out = NULL;
	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return -ENOMEM;
	if (!mapping(c, doc, root, NULL, keys))
		goto invalid;
	expect(c, doc, root, "apiVersion", POLICY_YAML_BANP_API_VERSION);
	expect(c, doc, root, "kind", "BaselineAdminNetworkPolicy");
	if ((n = get(doc, root, "metadata")) == NULL)
		mf_report(c, &root->start_mark, "metadata",
		    "required key is missing");
	else
		metadata(c, doc, n, "BaselineAdminNetworkPolicy", y->name,
		    NULL, NULL, NULL);
	if ((n = get(doc, root, "spec")) == NULL) {
		mf_report(c, &root->start_mark, "spec",
		    "required key is missing");
	} else if (mapping(c, doc, n, "spec", spec_keys)) {
		anp_subject(c, &y->a, doc, n, &y->banp.subject);
		anp_rules(c, &y->a, doc, n, POLICY_INGRESS, true,
		    &y->banp.ingress, &y->banp.ningress);
		anp_rules(c, &y->a, doc, n, POLICY_EGRESS, true,
		    &y->banp.egress, &y->banp.negress);
	}
	if (y->a.oom) {
		rc = -ENOMEM;
		goto err;
	}
	if (too_big(c, &y->a, root, "BaselineAdminNetworkPolicy") ||
	    c->nerr != before)
		goto invalid;
	y->banp.name = y->name;
	if (policy_banp_validate(&y->banp, err, sizeof(err)) != 0) {
		mf_report(c, &root->start_mark, NULL, "%s", err);
		goto invalid;
	}
	*out = y;
	return 0;
invalid:
	rc = -EINVAL;
err:
	policy_yaml_banp_destroy(y);
	return rc;
}

/* ---- NetworkSet, GlobalNetworkSet ------------------------------------ */

/* spec.nets: at most POLICY_NETSET_NETS_MAX CIDRs, absent or null is []. */
static void
netset_nets(struct mctx *c, struct policy_yaml_netset *y,
    yaml_document_t *doc, yaml_node_t *spec)
{
	char path[PATH_LEN];
	yaml_node_item_t *items;
	struct sluice_prefix *nets;
	size_t n;

	if (!list(c, doc, spec, "nets", "spec.nets", &items, &n))
		return;
	/*
	 * Refused as a whole: a line per item past the cap would bury the
	 * one that matters.
	 */
	if (n > POLICY_NETSET_NETS_MAX) {
		mf_report(c, &get(doc, spec, "nets")->start_mark, "spec.nets",
		    "%zu entries, at most %d", n, POLICY_NETSET_NETS_MAX);
		return;
	}
	if ((nets = alloc(&y->a, n, sizeof(*nets))) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		pathf(path, sizeof(path), "spec.nets[%zu]", i);
		cidr(c, yaml_document_get_node(doc, items[i]), path, &nets[i]);
	}
	y->set.nets = nets;
	y->set.nnets = n;
}

int
policy_yaml_netset_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, bool global, struct policy_yaml_netset **out)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
		"spec", NULL };
	static const char *const spec_keys[] = { "nets", NULL };
	const char *kind = global ? "GlobalNetworkSet" : "NetworkSet";
	struct policy_yaml_netset *y;
	yaml_node_t *n;
	char err[512];
	int before = c->nerr, rc = 0;

	*out = NULL;
	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return -ENOMEM;
	snprintf(y->ns, sizeof(y->ns), "default");
	if (!mapping(c, doc, root, NULL, keys))
		goto invalid;
	expect(c, doc, root, "apiVersion", POLICY_YAML_NETSET_API_VERSION);
	expect(c, doc, root, "kind", kind);
	if ((n = get(doc, root, "metadata")) == NULL)
		mf_report(c, &root->start_mark, "metadata",
		    "required key is missing");
	else
		metadata(c, doc, n, kind, y->name, global ? NULL : y->ns,
		    &y->labels, &y->nlabels);
	/*
	 * An absent spec would be an empty set, harmless, but more likely
	 * a mistake; every sluice kind but Namespace requires its spec.
	 */
	if ((n = get(doc, root, "spec")) == NULL)
		mf_report(c, &root->start_mark, "spec",
		    "required key is missing");
	else if (mapping(c, doc, n, "spec", spec_keys))
		netset_nets(c, y, doc, n);
	if (y->a.oom) {
		rc = -ENOMEM;
		goto err;
	}
	if (too_big(c, &y->a, root, kind) || c->nerr != before)
		goto invalid;
	y->set.name = y->name;
	y->set.namespace = global ? NULL : y->ns;
	y->set.labels = y->labels;
	y->set.nlabels = y->nlabels;
	if (policy_netset_validate(&y->set, err, sizeof(err)) != 0) {
		mf_report(c, &root->start_mark, NULL, "%s", err);
		goto invalid;
	}
	*out = y;
	return 0;
invalid:
	rc = -EINVAL;
err:
	policy_yaml_netset_destroy(y);
	return rc;
}

typedef int from_doc_fn(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, void **out);
typedef void destroy_fn(void *y);

/* One document of buf through from_doc; see policy_yaml_np_parse(). */
static int
parse_one(const char *file, const unsigned char *buf, size_t len, FILE *errs,
    const char *kind, from_doc_fn *from_doc, destroy_fn *destroy, void **out)
{
	struct mctx c = { .file = file, .errs = errs };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		mf_report(&c, &parser.problem_mark, NULL, "invalid YAML: %s",
		    parser.problem ? parser.problem : "parse error");
		rc = -EINVAL;
		goto out_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		yaml_mark_t start = { 0 };

		mf_report(&c, &start, NULL, "no %s document", kind);
		rc = -EINVAL;
		goto out_doc;
	}
	rc = from_doc(&c, &doc, root, out);
	yaml_document_delete(&doc);
	/* One document: a second one, even a broken one, is refused. */
	if (!yaml_parser_load(&parser, &doc)) {
		mf_report(&c, &parser.problem_mark, NULL, "invalid YAML: %s",
		    parser.problem ? parser.problem : "parse error");
		goto check;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL)
		mf_report(&c, &root->start_mark, NULL,
		    "a second document; one %s is parsed at a time", kind);
out_doc:
	yaml_document_delete(&doc);
check:
	if (c.nerr > 0 && rc == 0) {
		destroy(*out);
		*out = NULL;
		rc = -EINVAL;
	}
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

static int
np_from_doc(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    void **out)
{
	struct policy_yaml_np *y;
	int rc = policy_yaml_np_from_doc(c, doc, root, &y);

	*out = y;
	return rc;
}

static void
np_destroy(void *y)
{
	policy_yaml_np_destroy(y);
}

int
policy_yaml_np_parse(const char *file, const unsigned char *buf, size_t len,
    FILE *errs, struct policy_yaml_np **out)
{
	void *y;
	int rc = parse_one(file, buf, len, errs, "NetworkPolicy", np_from_doc,
	    np_destroy, &y);

	*out = y;
	return rc;
}

static int
anp_from_doc(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    void **out)
{
	struct policy_yaml_anp *y;
	int rc = policy_yaml_anp_from_doc(c, doc, root, &y);

	*out = y;
	return rc;
}

static void
anp_destroy(void *y)
{
	policy_yaml_anp_destroy(y);
}

int
policy_yaml_anp_parse(const char *file, const unsigned char *buf,
    size_t len, FILE *errs, struct policy_yaml_anp **out)
{
	void *y;
	int rc = parse_one(file, buf, len, errs, "AdminNetworkPolicy",
	    anp_from_doc, anp_destroy, &y);

	*out = y;
	return rc;
}

static int
banp_from_doc(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    void **out)
{
	struct policy_yaml_banp *y;
	int rc = policy_yaml_banp_from_doc(c, doc, root, &y);

	*out = y;
	return rc;
}

static void
banp_destroy(void *y)
{
	policy_yaml_banp_destroy(y);
}

int
policy_yaml_banp_parse(const char *file, const unsigned char *buf,
    size_t len, FILE *errs, struct policy_yaml_banp **out)
{
	void *y;
	int rc = parse_one(file, buf, len, errs, "BaselineAdminNetworkPolicy",
	    banp_from_doc, banp_destroy, &y);

	*out = y;
	return rc;
}

static int
netset_from_doc(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    void **out)
{
	struct policy_yaml_netset *y;
	int rc = policy_yaml_netset_from_doc(c, doc, root, false, &y);

	*out = y;
	return rc;
}

static int
gnetset_from_doc(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    void **out)
{
	struct policy_yaml_netset *y;
	int rc = policy_yaml_netset_from_doc(c, doc, root, true, &y);

	*out = y;
	return rc;
}

static void
netset_destroy(void *y)
{
	policy_yaml_netset_destroy(y);
}

int
policy_yaml_netset_parse(const char *file, const unsigned char *buf,
    size_t len, bool global, FILE *errs, struct policy_yaml_netset **out)
{
	void *y;
	int rc = parse_one(file, buf, len, errs,
	    global ? "GlobalNetworkSet" : "NetworkSet",
	    global ? gnetset_from_doc : netset_from_doc, netset_destroy, &y);

	*out = y;
	return rc;
}
