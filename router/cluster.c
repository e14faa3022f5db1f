#include "router/cluster.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router/manifest_yaml.h"
#include "router/cluster_parse.h"
#include "router/policy_yaml.h"

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A VTEP MAC is a unicast address: group bit clear, not all zero. */
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] |
	    mac[5]) != 0;
}

/* metadata.labels, if any, into *labels and *n (owned). */
static bool
meta_labels(struct mctx *c, yaml_document_t *doc, yaml_node_t *meta,
    struct sluice_label **labels, size_t *n)
{
	yaml_node_t *l = mf_get(doc, meta, "labels");

	*labels = NULL;
	*n = 0;
	return l == NULL || mf_labels(c, doc, l, "metadata.labels", labels, n);
}

/*
 * Points cl->egress_gateways at the nodes with egress addresses, in node
 * order: realloc() may have moved every node they borrow from.
 */
static void
gateways_point(struct cluster *cl)
{
	size_t k = 0;

	for (size_t i = 0; i < cl->nnodes; i++) {
		const struct cluster_node *n = &cl->nodes[i];

		if (n->negress_addrs == 0)
			continue;
		cl->egress_gateways[k++] = (struct egress_gateway){
			.node = n->name,
			.labels = n->labels,
			.nlabels = n->nlabels,
			.addrs = n->egress_addrs,
			.naddrs = n->negress_addrs,
			.draining = n->egress_drain,
		};
	}
}

int
cluster_node_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *meta,
    yaml_node_t *spec, const char *name, size_t line, struct cluster *cl)
{
	static const char *const keys[] = { "address", "podCIDRs", "managed",
		"vtepMAC", "egress", NULL };
	struct cluster_node n;
	yaml_node_t *cidrs, *egress;
	char mac[32] = "";
	int before = c->nerr;

	/*
	 * A Node's name is a node.name of some sluiced.yaml: at most 63
	 * characters, never cut short (two long names would clash, or one
	 * match a node named by its prefix).
	 */
	if (strlen(name) >= sizeof(n.name)) {
		mf_report(c, &spec->start_mark, "metadata.name",
		    "a Node name has at most %zu characters (it is a node.name)",
		    sizeof(n.name) - 1);
		return -EINVAL;
	}
	memset(&n, 0, sizeof(n));
	n.managed = true;
	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.file, sizeof(n.file), "%s", c->file);
	n.line = line;
	if (!mf_known_keys(c, doc, spec, "spec", keys))
		return -EINVAL;
	mf_addr(c, doc, spec, "address", "spec.address", true, &n.address);
	mf_bool(c, doc, spec, "managed", "spec.managed", &n.managed);
	if (mf_str(c, doc, spec, "vtepMAC", "spec.vtepMAC", false, mac,
	    sizeof(mac)) && mac[0] != '\0') {
		if (parse_mac(mac, n.vtep_mac))
			n.has_vtep_mac = true;
		else
			mf_report(c, &mf_get(doc, spec, "vtepMAC")->start_mark,
			    "spec.vtepMAC",
			    "\"%s\" is not a unicast MAC address like 02:00:00:00:00:01",
			    mac);
	}
	if (!n.managed && !n.has_vtep_mac)
		mf_report(c, &spec->start_mark, "spec.vtepMAC",
		    "required when managed is false (nothing announces the MAC)");
	if ((egress = mf_get(doc, spec, "egress")) != NULL)
		cluster_node_egress_parse(c, doc, egress, &n, cl);
	cidrs = mf_get(doc, spec, "podCIDRs");
	if (cidrs != NULL && cidrs->type != YAML_SEQUENCE_NODE) {
		mf_report(c, &cidrs->start_mark, "spec.podCIDRs",
		    "expected a list of CIDRs");
	} else if (cidrs != NULL) {
		for (yaml_node_item_t *it = cidrs->data.sequence.items.start;
		    it < cidrs->data.sequence.items.top; it++) {
			yaml_node_t *v = yaml_document_get_node(doc, *it);
			struct sluice_prefix p;

			if (v == NULL)
				continue;
			if (n.n_pod_cidrs == CLUSTER_MAX_NODE_CIDRS) {
				mf_report(c, &v->start_mark, "spec.podCIDRs",
				    "more than %d CIDRs", CLUSTER_MAX_NODE_CIDRS);
				break;
			}
			if (mf_prefix(c, v, "spec.podCIDRs", &p))
				n.pod_cidrs[n.n_pod_cidrs++] = p;
		}
	}
	if (c->nerr != before)
		return -EINVAL;
	if (cluster_node_find(cl, n.name) != NULL) {
		mf_report(c, &spec->start_mark, "metadata.name",
		    "Node %s is declared twice", n.name);
		return -EINVAL;
	}
	if (!meta_labels(c, doc, meta, &n.labels, &n.nlabels))
		return -EINVAL;
	/*
	 * The gateway array grows first: should the nodes fail to grow, it
	 * still points into the nodes as they are.
	 */
	if (n.negress_addrs > 0) {
		struct egress_gateway *g = realloc(cl->egress_gateways,
		    (cl->negress_gateways + 1) * sizeof(*g));

		if (g == NULL) {
			mf_labels_free(n.labels, n.nlabels);
			return -ENOMEM;
		}
		cl->egress_gateways = g;
	}
	{
		struct cluster_node *nn = realloc(cl->nodes,
		    (cl->nnodes + 1) * sizeof(*cl->nodes));

		if (nn == NULL) {
			mf_labels_free(n.labels, n.nlabels);
			return -ENOMEM;
		}
		cl->nodes = nn;
		cl->nodes[cl->nnodes++] = n;	/* owns the labels now */
	}
	if (n.negress_addrs > 0)
		cl->negress_gateways++;
	gateways_point(cl);
	return 0;
}

int
cluster_namespace_parse(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *meta, yaml_node_t *spec, const char *name, size_t line,
    struct cluster *cl)
{
	struct cluster_namespace ns, *nn;

	memset(&ns, 0, sizeof(ns));
	/* Kubernetes namespace names are DNS labels: at most 63. */
	if (strlen(name) >= sizeof(ns.name) || strchr(name, '.') != NULL) {
		mf_report(c, &meta->start_mark, "metadata.name",
		    "a Namespace name is a DNS label (at most 63 characters, no dots)");
		return -EINVAL;
	}
	snprintf(ns.name, sizeof(ns.name), "%s", name);
	if (cluster_namespace_find(cl, name) != NULL) {
		mf_report(c, &meta->start_mark, "metadata.name",
		    "Namespace %s is declared twice", name);
		return -EINVAL;
	}
	/* spec (finalizers) and status are Kubernetes' business, not ours. */
	if (!meta_labels(c, doc, meta, &ns.labels, &ns.nlabels))
		return -EINVAL;
	nn = realloc(cl->namespaces, (cl->nnamespaces + 1) * sizeof(*nn));
	if (nn == NULL) {
		mf_labels_free(ns.labels, ns.nlabels);
		return -ENOMEM;
	}
	cl->namespaces = nn;
	cl->namespaces[cl->nnamespaces++] = ns;
	return 0;
}

const struct cluster_namespace *
cluster_namespace_find(const struct cluster *cl, const char *name)
{
	for (size_t i = 0; i < cl->nnamespaces; i++)
		if (strcmp(cl->namespaces[i].name, name) == 0)
			return &cl->namespaces[i];
	return NULL;
}

static void
pool_free(struct cluster_pool *p)
{
	mf_selector_free(&p->node_selector);
	mf_selector_free(&p->namespace_selector);
}

int
cluster_pool_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *meta,
    yaml_node_t *spec, const char *name, size_t line, struct cluster *cl)
{
	static const char *const keys[] = { "cidr", "blockSize", "natOutgoing",
		"disabled", "nodeSelector", "namespaceSelector", "reserved",
		NULL };
	struct cluster_pool p;
	yaml_node_t *cidr, *sel, *res;
	unsigned long bs, min;
	int before = c->nerr;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.file, sizeof(p.file), "%s", c->file);
	p.line = line;
	if (!mf_known_keys(c, doc, spec, "spec", keys))
		return -EINVAL;
	cidr = mf_get(doc, spec, "cidr");
	if (cidr == NULL)
		mf_report(c, &spec->start_mark, "spec.cidr",
		    "required key is missing");
	else
		mf_prefix(c, cidr, "spec.cidr", &p.cidr);
	if (c->nerr != before)
		return -EINVAL;
	/* Blocks no larger than the IPAM core takes, nor than the pool. */
	bs = p.cidr.addr.family == AF_INET6 ? IPAM_BLOCK_V6_DEFAULT :
	    IPAM_BLOCK_V4_DEFAULT;
	min = p.cidr.addr.family == AF_INET6 ? IPAM_BLOCK_V6_MIN :
	    IPAM_BLOCK_V4_MIN;
	if (min < p.cidr.len)
		min = p.cidr.len;
	if (bs < min)
		bs = min;
	if (mf_uint(c, doc, spec, "blockSize", "spec.blockSize", min,
	    p.cidr.addr.family == AF_INET6 ? 128 : 32, &bs))
		p.block_size = (unsigned int)bs;
	mf_bool(c, doc, spec, "natOutgoing", "spec.natOutgoing",
	    &p.nat_outgoing);
	mf_bool(c, doc, spec, "disabled", "spec.disabled", &p.disabled);
	if ((sel = mf_get(doc, spec, "nodeSelector")) != NULL)
		mf_selector(c, doc, sel, "spec.nodeSelector", &p.node_selector);
	if ((sel = mf_get(doc, spec, "namespaceSelector")) != NULL)
		mf_selector(c, doc, sel, "spec.namespaceSelector",
		    &p.namespace_selector);
	res = mf_get(doc, spec, "reserved");
	if (res != NULL && res->type != YAML_SEQUENCE_NODE) {
		mf_report(c, &res->start_mark, "spec.reserved",
		    "expected a list of addresses and CIDRs");
	} else if (res != NULL) {
		for (yaml_node_item_t *it = res->data.sequence.items.start;
		    it < res->data.sequence.items.top; it++) {
			yaml_node_t *v = yaml_document_get_node(doc, *it);
			struct sluice_prefix r;
			char pb[SLUICE_PREFIXSTRLEN];

			if (v == NULL)
				continue;
			if (p.nreserved == CLUSTER_MAX_RESERVED) {
				mf_report(c, &v->start_mark, "spec.reserved",
				    "more than %d entries", CLUSTER_MAX_RESERVED);
				break;
			}
			/* A plain address is a range of one. */
			if (v->type == YAML_SCALAR_NODE &&
			    strchr((const char *)v->data.scalar.value, '/') == NULL &&
			    sluice_addr_parse((const char *)v->data.scalar.value,
			    &r.addr) == 0) {
				r.len = (uint8_t)(8 * sluice_addr_len(r.addr.family));
			} else if (!mf_prefix(c, v, "spec.reserved", &r)) {
				continue;
			}
			if (r.addr.family != p.cidr.addr.family ||
			    r.len < p.cidr.len ||
			    !sluice_prefix_contains(&p.cidr, &r.addr)) {
				mf_report(c, &v->start_mark, "spec.reserved",
				    "%s is not inside the pool's cidr",
				    sluice_prefix_str(&r, pb, sizeof(pb)));
				continue;
			}
			p.reserved[p.nreserved++] = r;
		}
	}
	if (c->nerr != before)
		goto err;
	for (size_t i = 0; i < cl->npools; i++) {
		if (strcmp(cl->pools[i].name, p.name) == 0) {
			mf_report(c, &spec->start_mark, "metadata.name",
			    "IPPool %s is declared twice", p.name);
			goto err;
		}
	}
	{
		struct cluster_pool *np = realloc(cl->pools,
		    (cl->npools + 1) * sizeof(*cl->pools));

		if (np == NULL) {
			pool_free(&p);
			return -ENOMEM;
		}
		cl->pools = np;
		cl->pools[cl->npools++] = p;	/* owns the selectors now */
	}
	return 0;
err:
	pool_free(&p);
	return -EINVAL;
}

/* ---- policy kinds ---------------------------------------------------- */

/* One more entry in arr (n in use), or goto nomem. */
#define GROW(arr, n)                                                          \
	do {                                                                  \
		void *g_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));        \
		if (g_ == NULL)                                               \
			goto nomem;                                           \
		(arr) = g_;                                                   \
	} while (0)

static void
src_set(struct cluster_src *s, const struct mctx *c, size_t line)
{
	snprintf(s->file, sizeof(s->file), "%s", c->file);
	s->line = line;
}

/*
 * Each keeps the parsed object and a copy of its model; duplicates are
 * cluster_validate()'s, once every file is read.
 */
int
cluster_np_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    size_t line, struct cluster *cl)
{
	struct cluster_policy *p = &cl->policy;
	struct policy_yaml_np *y;
	int rc = policy_yaml_np_from_doc(c, doc, root, &y);

	if (rc != 0)
		return rc;
	GROW(p->nps, p->nnps);
	GROW(p->np_owners, p->nnps);
	GROW(p->np_srcs, p->nnps);
	p->nps[p->nnps] = *policy_yaml_np_get(y);
	p->np_owners[p->nnps] = y;
	src_set(&p->np_srcs[p->nnps++], c, line);
	return 0;
nomem:
	policy_yaml_np_destroy(y);
	return -ENOMEM;
}

int
cluster_anp_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    size_t line, struct cluster *cl)
{
	struct cluster_policy *p = &cl->policy;
	struct policy_yaml_anp *y;
	int rc = policy_yaml_anp_from_doc(c, doc, root, &y);

	if (rc != 0)
		return rc;
	GROW(p->anps, p->nanps);
	GROW(p->anp_owners, p->nanps);
	GROW(p->anp_srcs, p->nanps);
	p->anps[p->nanps] = *policy_yaml_anp_get(y);
	p->anp_owners[p->nanps] = y;
	src_set(&p->anp_srcs[p->nanps++], c, line);
	return 0;
nomem:
	policy_yaml_anp_destroy(y);
	return -ENOMEM;
}

int
cluster_banp_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    size_t line, struct cluster *cl)
{
	struct cluster_policy *p = &cl->policy;
	struct policy_yaml_banp *y;
	int rc = policy_yaml_banp_from_doc(c, doc, root, &y);

	if (rc != 0)
		return rc;
	GROW(p->banps, p->nbanps);
	GROW(p->banp_owners, p->nbanps);
	GROW(p->banp_srcs, p->nbanps);
	p->banps[p->nbanps] = *policy_yaml_banp_get(y);
	p->banp_owners[p->nbanps] = y;
	src_set(&p->banp_srcs[p->nbanps++], c, line);
	return 0;
nomem:
	policy_yaml_banp_destroy(y);
	return -ENOMEM;
}

int
cluster_netset_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    size_t line, struct cluster *cl)
{
	struct cluster_policy *p = &cl->policy;
	struct policy_yaml_netset *y;
	int rc = policy_yaml_netset_from_doc(c, doc, root, false, &y);

	if (rc != 0)
		return rc;
	GROW(p->netsets, p->nnetsets);
	GROW(p->netset_owners, p->nnetsets);
	GROW(p->netset_srcs, p->nnetsets);
	p->netsets[p->nnetsets] = *policy_yaml_netset_get(y);
	p->netset_owners[p->nnetsets] = y;
	src_set(&p->netset_srcs[p->nnetsets++], c, line);
	return 0;
nomem:
	policy_yaml_netset_destroy(y);
	return -ENOMEM;
}

int
cluster_global_netset_parse(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, size_t line, struct cluster *cl)
{
	struct cluster_policy *p = &cl->policy;
	struct policy_yaml_netset *y;
	int rc = policy_yaml_netset_from_doc(c, doc, root, true, &y);

	if (rc != 0)
		return rc;
	GROW(p->global_netsets, p->nglobal_netsets);
	GROW(p->global_netset_owners, p->nglobal_netsets);
	GROW(p->global_netset_srcs, p->nglobal_netsets);
	p->global_netsets[p->nglobal_netsets] = *policy_yaml_netset_get(y);
	p->global_netset_owners[p->nglobal_netsets] = y;
	src_set(&p->global_netset_srcs[p->nglobal_netsets++], c, line);
	return 0;
nomem:
	policy_yaml_netset_destroy(y);
	return -ENOMEM;
}

#undef GROW

static void src_report(FILE *errs, const struct cluster_src *s,
    const char *fmt, ...) LOG_PRINTF(3, 4);

/* FILE:LINE:1: and the sentence, as cluster_validate() reports. */
static void
src_report(FILE *errs, const struct cluster_src *s, const char *fmt, ...)
{
	va_list ap;

	if (errs == NULL)
		return;
	fprintf(errs, "%s:%zu:1: ", s->file, s->line);
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

static bool
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The first of sets[0..i) with the name (and namespace) of sets[i], or
 * SIZE_MAX. NetworkSets and GlobalNetworkSets share the model type.
 */
static size_t
netset_twin(const struct policy_netset *sets, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (same(sets[j].name, sets[i].name) &&
		    same(sets[j].namespace, sets[i].namespace))
			return j;
	return SIZE_MAX;
}

/*
 * Names unique per kind (per namespace where namespaced), one BANP.
 * Each later declaration is reported, naming the first. Returns true if
 * anything was.
 */
static bool
policy_validate(const struct cluster_policy *p, FILE *errs)
{
	bool bad = false;
	size_t j;

	for (size_t i = 0; i < p->nnps; i++) {
		for (j = 0; j < i; j++)
			if (same(p->nps[j].namespace, p->nps[i].namespace) &&
			    same(p->nps[j].name, p->nps[i].name))
				break;
		if (j < i) {
			src_report(errs, &p->np_srcs[i],
			    "metadata.name: NetworkPolicy %s/%s is declared "
			    "twice (first at %s:%zu)", p->nps[i].namespace,
			    p->nps[i].name, p->np_srcs[j].file,
			    p->np_srcs[j].line);
			bad = true;
		}
	}
	for (size_t i = 0; i < p->nanps; i++) {
		for (j = 0; j < i; j++)
			if (same(p->anps[j].name, p->anps[i].name))
				break;
		if (j < i) {
			src_report(errs, &p->anp_srcs[i],
			    "metadata.name: AdminNetworkPolicy %s is declared "
			    "twice (first at %s:%zu)", p->anps[i].name,
			    p->anp_srcs[j].file, p->anp_srcs[j].line);
			bad = true;
		}
	}
	/* Its name is "default", so a second one is also a duplicate. */
	for (size_t i = 1; i < p->nbanps; i++) {
		src_report(errs, &p->banp_srcs[i],
		    "a second BaselineAdminNetworkPolicy (the first is at "
		    "%s:%zu): only one, named default, can exist",
		    p->banp_srcs[0].file, p->banp_srcs[0].line);
		bad = true;
	}
	for (size_t i = 0; i < p->nnetsets; i++) {
		if ((j = netset_twin(p->netsets, i)) != SIZE_MAX) {
			src_report(errs, &p->netset_srcs[i],
			    "metadata.name: NetworkSet %s/%s is declared twice "
			    "(first at %s:%zu)", p->netsets[i].namespace,
			    p->netsets[i].name, p->netset_srcs[j].file,
			    p->netset_srcs[j].line);
			bad = true;
		}
	}
	for (size_t i = 0; i < p->nglobal_netsets; i++) {
		if ((j = netset_twin(p->global_netsets, i)) != SIZE_MAX) {
			src_report(errs, &p->global_netset_srcs[i],
			    "metadata.name: GlobalNetworkSet %s is declared "
			    "twice (first at %s:%zu)",
			    p->global_netsets[i].name,
			    p->global_netset_srcs[j].file,
			    p->global_netset_srcs[j].line);
			bad = true;
		}
	}
	return bad;
}

void
cluster_policy_free(struct cluster_policy *p)
{
	for (size_t i = 0; i < p->nnps; i++)
		policy_yaml_np_destroy(p->np_owners[i]);
	for (size_t i = 0; i < p->nanps; i++)
		policy_yaml_anp_destroy(p->anp_owners[i]);
	for (size_t i = 0; i < p->nbanps; i++)
		policy_yaml_banp_destroy(p->banp_owners[i]);
	for (size_t i = 0; i < p->nnetsets; i++)
		policy_yaml_netset_destroy(p->netset_owners[i]);
	for (size_t i = 0; i < p->nglobal_netsets; i++)
		policy_yaml_netset_destroy(p->global_netset_owners[i]);
	free(p->nps);
	free(p->np_owners);
	free(p->np_srcs);
	free(p->anps);
	free(p->anp_owners);
	free(p->anp_srcs);
	free(p->banps);
	free(p->banp_owners);
	free(p->banp_srcs);
	free(p->netsets);
	free(p->netset_owners);
	free(p->netset_srcs);
	free(p->global_netsets);
	free(p->global_netset_owners);
	free(p->global_netset_srcs);
	memset(p, 0, sizeof(*p));
}

const struct cluster_node *
cluster_node_find(const struct cluster *cl, const char *name)
{
	for (size_t i = 0; i < cl->nnodes; i++)
		if (strcmp(cl->nodes[i].name, name) == 0)
			return &cl->nodes[i];
	return NULL;
}

const struct cluster_pool *
cluster_pool_find(const struct cluster *cl, const struct sluice_addr *a)
{
	for (size_t i = 0; i < cl->npools; i++)
		if (sluice_prefix_contains(&cl->pools[i].cidr, a))
			return &cl->pools[i];
	return NULL;
}

int
cluster_validate(const struct cluster *cl, FILE *errs)
{
	char a[SLUICE_PREFIXSTRLEN], b[SLUICE_PREFIXSTRLEN];
	int bad = 0;

#define REPORT(file, line, ...)                                               \
	do {                                                                  \
		bad = 1;                                                      \
		if (errs) {                                                   \
			fprintf(errs, "%s:%zu:1: ", file, line);              \
			fprintf(errs, __VA_ARGS__);                           \
			fputc('\n', errs);                                    \
		}                                                             \
	} while (0)

	for (size_t i = 0; i < cl->npools; i++) {
		for (size_t j = 0; j < i; j++) {
			if (sluice_prefix_overlaps(&cl->pools[i].cidr,
			    &cl->pools[j].cidr))
				REPORT(cl->pools[i].file, cl->pools[i].line,
				    "spec.cidr: IPPool %s (%s) overlaps IPPool %s (%s)",
				    cl->pools[i].name,
				    sluice_prefix_str(&cl->pools[i].cidr, a, sizeof(a)),
				    cl->pools[j].name,
				    sluice_prefix_str(&cl->pools[j].cidr, b, sizeof(b)));
		}
	}
	for (size_t i = 0; i < cl->nnodes; i++) {
		const struct cluster_node *n = &cl->nodes[i];

		for (size_t j = 0; j < i; j++) {
			if (sluice_addr_eq(&n->address, &cl->nodes[j].address))
				REPORT(n->file, n->line,
				    "spec.address: Node %s has the address of Node %s",
				    n->name, cl->nodes[j].name);
		}
		for (unsigned k = 0; k < n->n_pod_cidrs; k++) {
			const struct sluice_prefix *p = &n->pod_cidrs[k];
			const struct cluster_pool *pool =
			    cluster_pool_find(cl, &p->addr);

			if (pool == NULL || p->len < pool->cidr.len)
				REPORT(n->file, n->line,
				    "spec.podCIDRs: %s of Node %s is not inside any IPPool",
				    sluice_prefix_str(p, a, sizeof(a)), n->name);
			for (size_t j = 0; j <= i; j++) {
				const struct cluster_node *o = &cl->nodes[j];

				for (unsigned l = 0; l < o->n_pod_cidrs; l++) {
					if (j == i && l >= k)
						break;
					if (sluice_prefix_overlaps(p, &o->pod_cidrs[l]))
						REPORT(n->file, n->line,
						    "spec.podCIDRs: %s of Node %s overlaps %s of Node %s",
						    sluice_prefix_str(p, a, sizeof(a)),
						    n->name,
						    sluice_prefix_str(&o->pod_cidrs[l], b, sizeof(b)),
						    o->name);
				}
			}
		}
	}
#undef REPORT
	if (policy_validate(&cl->policy, errs))
		bad = 1;
	if (cluster_egress_validate(cl, errs))
		bad = 1;
	return bad ? -EINVAL : 0;
}

void
cluster_free(struct cluster *cl)
{
	if (cl == NULL)
		return;
	for (size_t i = 0; i < cl->npools; i++)
		pool_free(&cl->pools[i]);
	for (size_t i = 0; i < cl->nnodes; i++)
		mf_labels_free(cl->nodes[i].labels, cl->nodes[i].nlabels);
	for (size_t i = 0; i < cl->nnamespaces; i++)
		mf_labels_free(cl->namespaces[i].labels,
		    cl->namespaces[i].nlabels);
	cluster_policy_free(&cl->policy);
	cluster_egress_free(&cl->egress);
	free(cl->egress_gateways);
	free(cl->namespaces);
	free(cl->nodes);
	free(cl->pools);
	memset(cl, 0, sizeof(*cl));
}
