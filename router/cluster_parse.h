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

int cluster_node_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *spec,
    const char *name, size_t line, struct cluster *cl);
int cluster_pool_parse(struct mctx *c, yaml_document_t *doc, yaml_node_t *spec,
    const char *name, size_t line, struct cluster *cl);

#endif
