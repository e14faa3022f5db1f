/*
 * cluster_parse.h - internal to router/: the spec parsers of the Node and
 * IPPool kinds, called by manifest.c for each document of those kinds.
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

#endif
