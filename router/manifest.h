/*
 * manifest.h - Kubernetes-style manifests (apiVersion/kind/metadata/spec)
 * from the manifests directory.
 *
 * A load reads every *.yaml and *.yml file in the directory (not
 * recursive, in name order), each holding one or more YAML documents.
 * The set is all or nothing: if any document is invalid the whole load is
 * rejected with file:line:column: path: reason lines, and the set in
 * force stays as it was. Kinds are accepted only when a module of this
 * build handles them (manifest_kinds[]); anything else is an error, never
 * silently ignored.
 */
#ifndef SLUICE_ROUTER_MANIFEST_H
#define SLUICE_ROUTER_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "router/cluster.h"

#define MANIFEST_MAX_FILE_BYTES (4 * 1024 * 1024)
#define MANIFEST_MAX_DOCS 10000

struct manifest_doc {
	char file[256];		/* base name within the directory */
	size_t line;
	char kind[64];
	char api_version[64];
	char name_space[64];	/* metadata.namespace; empty if none */
	char name[254];		/* metadata.name */
};

struct manifest_set {
	struct manifest_doc *docs;	/* owned */
	size_t ndocs;
	size_t nfiles;
	uint64_t generation;		/* bumped by every accepted load */
	/* Node, IPPool, Namespace and the policy kinds' documents */
	struct cluster cluster;
};

/*
 * Loads dir into *out (which the caller frees with manifest_set_free()).
 * A missing directory is an empty set. Returns 0, or -EINVAL after
 * writing every problem to errs, or another negative errno.
 */
int manifest_load_dir(const char *dir, struct manifest_set *out, FILE *errs);

/* Checks one file's documents and appends them to set. For tests/fuzzing. */
int manifest_parse(const char *name, const unsigned char *buf, size_t len,
    struct manifest_set *set, FILE *errs);

void manifest_set_free(struct manifest_set *set);

#endif
