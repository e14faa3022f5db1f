/*
 * manifest_yaml.h - internal to router/: the YAML helpers manifest.c
 * shares with the parsers of each kind's spec (cluster.c, ...). Every
 * problem is reported as FILE:LINE:COLUMN: path: reason and counted.
 */
#ifndef SLUICE_ROUTER_MANIFEST_YAML_H
#define SLUICE_ROUTER_MANIFEST_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

#include "common/addr.h"
#include "common/log.h"
#include "ipam/ipam.h"

struct mctx {
	const char *file;
	FILE *errs;
	int nerr;
};

void mf_report(struct mctx *c, const yaml_mark_t *m, const char *path,
    const char *fmt, ...) LOG_PRINTF(4, 5);

/* The value of key in map, or NULL. */
yaml_node_t *mf_get(yaml_document_t *doc, yaml_node_t *map, const char *key);

/*
 * Reports every key of map not in allowed (NULL-terminated) as unknown,
 * with a "did you mean" when an allowed key is close to it.
 * Returns false if map is not a mapping (reported) or a key was unknown.
 */
bool mf_known_keys(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *path, const char *const allowed[]);

/*
 * Copies the scalar at key into dst. A missing key is reported when
 * required; returns false on any problem (reported), true if copied, and
 * true with dst untouched if absent and optional.
 */
bool mf_str(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool required, char *dst, size_t size);
bool mf_bool(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool *out);
bool mf_uint(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, unsigned long min, unsigned long max,
    unsigned long *out);
bool mf_addr(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool required, struct sluice_addr *out);
bool mf_prefix(struct mctx *c, yaml_node_t *n, const char *path,
    struct sluice_prefix *out);

/*
 * A Kubernetes LabelSelector (matchLabels, matchExpressions with In,
 * NotIn, Exists, DoesNotExist) at n into *sel, whose strings it allocates
 * (mf_selector_free() frees them). Label keys and values are checked as
 * Kubernetes checks them. Returns false (reported, *sel empty) on any
 * problem.
 */
bool mf_selector(struct mctx *c, yaml_document_t *doc, yaml_node_t *n,
    const char *path, struct sluice_selector *sel);
/* Accepts an empty selector. */
void mf_selector_free(struct sluice_selector *sel);

/*
 * A mapping of Kubernetes labels at n (checked as Kubernetes checks them)
 * into a new array *out of *n labels with owned strings, freed with
 * mf_labels_free(). Returns false (reported, nothing allocated) on any
 * problem.
 */
bool mf_labels(struct mctx *c, yaml_document_t *doc, yaml_node_t *n,
    const char *path, struct sluice_label **out, size_t *nout);
void mf_labels_free(struct sluice_label *labels, size_t n);

#endif
