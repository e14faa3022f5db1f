/*
 * policy_yaml.h - internal to router/: the YAML front end of the policy
 * model (policy/model.h). It turns one NetworkPolicy document
 * (networking.k8s.io/v1) into a struct policy_np, reporting every problem
 * as the other manifests do (FILE:LINE:COLUMN: path: reason), then runs
 * policy_np_validate() and reports its sentence at the document. The
 * loader reports every problem of shape, type and range at its place;
 * what only validation sees (relations between fields: endPort below
 * port, a peer with no field, except outside cidr, port names) is one
 * sentence, and only once the loader found nothing else. The other kinds
 * below (AdminNetworkPolicy, BaselineAdminNetworkPolicy, NetworkSet,
 * GlobalNetworkSet) are read the same way.
 *
 * manifest.c registers every kind here (through cluster.c, which keeps
 * the parsed objects in struct cluster); the *_parse() functions take one
 * standalone document, for the tests and the fuzzer. Loading is not
 * enforcing: nothing on the data path applies these objects yet.
 *
 * What the loader decides (policy/SEMANTICS.md §1.2, §3):
 *   - metadata.namespace defaults to "default";
 *   - absent and null are alike everywhere (spec.podSelector, ingress,
 *     egress, ports, from, to, except, a peer's selectors); an absent or
 *     null spec.podSelector is NULL in the model (which means {});
 *   - an absent protocol is stored as IPPROTO_TCP (the API's default);
 *   - a port written as a plain number is numeric, anything else (a
 *     name, or a quoted "80") is a port name (§3 E20);
 *   - an ipBlock CIDR with host bits set is refused, naming the CIDR it
 *     means: SEMANTICS.md would mask it and warn, but manifest reports
 *     have no warning level, and a silent mask is worse than a refusal;
 *   - an absent spec is refused (upstream reads it as {}, which isolates
 *     every pod of the namespace for ingress: too much for a typo);
 *   - the [EXT] peers networkSetSelector and globalNetworkSetSelector
 *     are accepted (SEMANTICS.md §1.5's policy.extensions defaults to
 *     true; there is no such switch yet), and so is the [EXT] egress
 *     peer domainNames (§1.7), refused at its place in an ingress rule;
 *   - every domainNames entry (here and in the kinds below) is checked
 *     as written with policy_domain_pattern_valid(), reported at its
 *     place, and stored lower-cased without its trailing dot;
 *   - a document whose aliases expand beyond a fixed budget is refused.
 */
#ifndef SLUICE_ROUTER_POLICY_YAML_H
#define SLUICE_ROUTER_POLICY_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

#include "policy/model.h"
#include "router/cluster.h"
#include "router/manifest_yaml.h"

#define POLICY_YAML_NP_API_VERSION "networking.k8s.io/v1"

/*
 * A parsed NetworkPolicy: the model and every string, selector and array
 * it points to, all owned by it and freed together by
 * policy_yaml_np_destroy().
 */
struct policy_yaml_np;

/*
 * The NetworkPolicy of the document whose root node is root (a whole
 * apiVersion/kind/metadata/spec manifest), reporting through c. On
 * success stores a new object in *out (the caller destroys it) and
 * returns 0; otherwise *out is NULL and the return is -EINVAL (every
 * problem reported) or -ENOMEM.
 */
int policy_yaml_np_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, struct policy_yaml_np **out);

/*
 * The same on buf (len bytes, not NUL-terminated) holding exactly one
 * YAML document; file names it in reports, written to errs (may be NULL).
 */
int policy_yaml_np_parse(const char *file, const unsigned char *buf,
    size_t len, FILE *errs, struct policy_yaml_np **out);

/* The model; borrowed from y, valid until policy_yaml_np_destroy(y). */
const struct policy_np *policy_yaml_np_get(const struct policy_yaml_np *y);

/* Accepts NULL. */
void policy_yaml_np_destroy(struct policy_yaml_np *y);

/*
 * AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1, v0.1.7),
 * cluster-wide, the same way: one owner of everything, every problem
 * reported, then policy_anp_validate()'s sentence at the document. Absent
 * and [] differ here (SEMANTICS.md §3 E29): an absent ports or networks
 * is NULL, a present one non-NULL even when empty (which validation
 * refuses); the same for experimental domainNames, an egress peer
 * (refused at its place in an ingress rule) that validation allows in
 * Allow rules only.
 */
#define POLICY_YAML_ANP_API_VERSION "policy.networking.k8s.io/v1alpha1"

struct policy_yaml_anp;

int policy_yaml_anp_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, struct policy_yaml_anp **out);
int policy_yaml_anp_parse(const char *file, const unsigned char *buf,
    size_t len, FILE *errs, struct policy_yaml_anp **out);
/* Borrowed from y, valid until policy_yaml_anp_destroy(y). */
const struct policy_anp *policy_yaml_anp_get(const struct policy_yaml_anp *y);
/* Accepts NULL. */
void policy_yaml_anp_destroy(struct policy_yaml_anp *y);

/*
 * BaselineAdminNetworkPolicy (same group and version), cluster-wide, the
 * same way as an AdminNetworkPolicy but without spec.priority, and with
 * actions Allow and Deny only: Pass is reported at the rule's action.
 * domainNames is read as for an AdminNetworkPolicy (an [EXT] for the
 * baseline, SEMANTICS.md §1.4). The name "default" and the singleton are
 * policy_banp_validate()'s and cluster_validate()'s to check.
 */
#define POLICY_YAML_BANP_API_VERSION POLICY_YAML_ANP_API_VERSION

struct policy_yaml_banp;

int policy_yaml_banp_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, struct policy_yaml_banp **out);
int policy_yaml_banp_parse(const char *file, const unsigned char *buf,
    size_t len, FILE *errs, struct policy_yaml_banp **out);
/* Borrowed from y, valid until policy_yaml_banp_destroy(y). */
const struct policy_banp *policy_yaml_banp_get(
    const struct policy_yaml_banp *y);
/* Accepts NULL. */
void policy_yaml_banp_destroy(struct policy_yaml_banp *y);

/*
 * NetworkSet (namespaced, metadata.namespace defaulting to "default") and
 * GlobalNetworkSet (cluster-wide), sluice's own kinds (SEMANTICS.md §1.5)
 * in the project's API group:
 *
 *   apiVersion: sluice.io/v1alpha1
 *   kind: NetworkSet                  # or GlobalNetworkSet, no namespace
 *   metadata: {name: external-db, namespace: shop, labels: {role: db}}
 *   spec:
 *     nets: [198.51.100.0/28, 2001:db8:1::/64]
 *
 * Policies select sets by metadata.labels, which the model keeps (owned,
 * like everything else, by the object). spec is required (spec: {} is an
 * empty set, which matches nothing); spec.nets is a list of at most
 * POLICY_NETSET_NETS_MAX IPv4 or IPv6 CIDRs, absent or null meaning [],
 * duplicates kept as written. A CIDR with host bits set is refused with
 * the CIDR it means, as for ipBlock. global chooses the kind expected.
 */
#define POLICY_YAML_NETSET_API_VERSION CLUSTER_API_VERSION

struct policy_yaml_netset;

int policy_yaml_netset_from_doc(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, bool global, struct policy_yaml_netset **out);
int policy_yaml_netset_parse(const char *file, const unsigned char *buf,
    size_t len, bool global, FILE *errs, struct policy_yaml_netset **out);
/*
 * Borrowed from y, valid until policy_yaml_netset_destroy(y); namespace
 * is NULL for a GlobalNetworkSet.
 */
const struct policy_netset *policy_yaml_netset_get(
    const struct policy_yaml_netset *y);
/* Accepts NULL. */
void policy_yaml_netset_destroy(struct policy_yaml_netset *y);

#endif
