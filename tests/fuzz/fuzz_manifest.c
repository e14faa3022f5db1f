/*
 * fuzz_manifest.c - manifest_parse() on one file of the manifests
 * directory: any number of YAML documents, each meant to be an
 * apiVersion/kind/metadata/spec envelope, and then, as
 * manifest_load_dir() does once every file is read, cluster_validate() on
 * the Node and IPPool documents it kept.
 *
 * Besides what ASan and UBSan catch, it aborts when the result breaks the
 * contract of manifest.h: an unknown return code, more than
 * MANIFEST_MAX_DOCS documents, or a kept document with unterminated or
 * empty fields.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/cluster.h"
#include "router/manifest.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* See fuzz_config.c. */
static FILE *
errs(void)
{
	static FILE *f;

	if (f == NULL) {
		if (getenv("SLUICE_FUZZ_VERBOSE") != NULL)
			f = stderr;
		else
			f = fopen("/dev/null", "w");
	}
	return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_set set;
	int rc;

	memset(&set, 0, sizeof(set));
	rc = manifest_parse("fuzz.yaml", data, size, &set, errs());
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK(set.ndocs <= MANIFEST_MAX_DOCS);
	CHECK(set.ndocs == 0 || set.docs != NULL);
	for (size_t i = 0; i < set.ndocs; i++) {
		const struct manifest_doc *d = &set.docs[i];

		CHECK(TERMINATED(d->file) && strcmp(d->file, "fuzz.yaml") == 0);
		CHECK(TERMINATED(d->kind) && d->kind[0] != '\0');
		CHECK(TERMINATED(d->api_version) && d->api_version[0] != '\0');
		CHECK(TERMINATED(d->name_space));
		CHECK(TERMINATED(d->name) && d->name[0] != '\0');
		CHECK(d->line >= 1);
	}
	if (rc == 0) {
		rc = cluster_validate(&set.cluster, errs());
		CHECK(rc == 0 || rc == -EINVAL);
	}
	manifest_set_free(&set);
	CHECK(set.docs == NULL && set.ndocs == 0);
	manifest_set_free(NULL);
	return 0;
}
