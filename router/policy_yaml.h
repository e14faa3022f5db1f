/*
 * policy_yaml.h - internal to router/: the YAML front end of the policy
 * model (policy/model.h). It turns one NetworkPolicy document
 * (networking.k8s.io/v1) into a struct policy_np, reporting every problem
 * as the other manifests do (FILE:LINE:COLUMN: path: reason), then runs
 * policy_np_validate() and reports its sentence at the document. The
 * loader reports every problem of shape, type and range at its place;
 * what only validation sees (relations between fields: endPort below
 * port, a peer with no field, except outside cidr, port names) is one
 * sentence, and only once the loader found nothing else.
 *
 * Not registered in manifest.c's kinds table: policy is not enforced yet,
 * and a kind stays refused until a module handles it. These functions are
 * for that future registration and for the tests.
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
 *     true; there is no such switch yet);
 *   - a document whose aliases expand beyond a fixed budget is refused.
 */
#ifndef SLUICE_ROUTER_POLICY_YAML_H
#define SLUICE_ROUTER_POLICY_YAML_H

#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

#include "policy/model.h"
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
 * refuses). Experimental domainNames is not in the model and is refused
 * as an unknown key.
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

#endif
