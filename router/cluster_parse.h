/*
 * cluster_parse.h - internal to router/: the parsers of the kinds kept in
 * struct cluster, called by manifest.c for each document of those kinds.
 * Each reports problems through c and appends to cl; returns 0 or
 * -EINVAL/-ENOMEM.
 */
#ifndef SLUICE_ROUTER_CLUSTER_PARSE_H
#define SLUICE_ROUTER_CLUSTER_PARSE_H

#include "router/cluster.h"
#include "router/manifest_yaml.h"

/* meta is the document's metadata mapping; spec may be NULL where optional. */
typedef int cluster_kind_parser(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *meta, yaml_node_t *spec, const char *name, size_t line,
    struct cluster *cl);

cluster_kind_parser cluster_node_parse;
cluster_kind_parser cluster_pool_parse;
cluster_kind_parser cluster_namespace_parse;

/*
 * The policy kinds read the whole document (root, which starts at line):
 * router/policy_yaml.c checks their envelope again, reads metadata
 * (labels, the namespace default) and reports what it finds at its place.
 */
typedef int cluster_doc_parser(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *root, size_t line, struct cluster *cl);

cluster_doc_parser cluster_np_parse;
cluster_doc_parser cluster_anp_parse;
cluster_doc_parser cluster_banp_parse;
cluster_doc_parser cluster_netset_parse;
cluster_doc_parser cluster_global_netset_parse;

/*
 * router/egress_yaml.c. EgressGatewayPolicy is a sluice kind: manifest.c
 * checks its envelope, so it takes the spec like IPPool and Node.
 */
cluster_kind_parser cluster_egress_policy_parse;

/*
 * A Node's spec.egress (the value node egress) into n's egress fields,
 * n's other fields (managed) read already; cl for the count of gateways.
 * Reports through c; returns false if anything was reported.
 */
bool cluster_node_egress_parse(struct mctx *c, yaml_document_t *doc,
    yaml_node_t *egress, struct cluster_node *n, const struct cluster *cl);

/*
 * cluster_validate()'s egress part: egress addresses against each other,
 * the pools and the underlay addresses; EgressGatewayPolicy names and
 * addresses. Reports as cluster_validate() does; true if it reported.
 */
bool cluster_egress_validate(const struct cluster *cl, FILE *errs);

#endif
