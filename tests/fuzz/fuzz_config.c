/*
 * fuzz_config.c - config_parse() on sluiced.yaml as an operator (or a
 * typo) may write it, and the --print-config round trip (STYLE.md 7):
 * whatever config_parse() accepts, config_print() must write as YAML that
 * config_parse() accepts again, giving the same configuration, and
 * printing that must give the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/config.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Errors are formatted (that code runs too) but thrown away; set
 * SLUICE_FUZZ_VERBOSE to see them when replaying one input.
 */
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

/* Returns the printed configuration in *out (freed by the caller). */
static void
print(const struct sluiced_config *cfg, char **out, size_t *len)
{
	FILE *m;

	*out = NULL;
	*len = 0;
	m = open_memstream(out, len);
	CHECK(m != NULL);
	CHECK(config_print(cfg, m) == 0);
	CHECK(fclose(m) == 0);
}

static void
same(const struct sluiced_config *a, const struct sluiced_config *b)
{
	CHECK(strcmp(a->node_name, b->node_name) == 0);
	CHECK(strcmp(a->underlay_if, b->underlay_if) == 0);
	CHECK(strcmp(a->underlay_addr_str, b->underlay_addr_str) == 0);
	CHECK(a->underlay_addr.family == b->underlay_addr.family);
	CHECK(memcmp(&a->underlay_addr.u, &b->underlay_addr.u,
	    sizeof(a->underlay_addr.u)) == 0);
	CHECK(strcmp(a->state_dir, b->state_dir) == 0);
	CHECK(strcmp(a->socket_path, b->socket_path) == 0);
	CHECK(strcmp(a->socket_mode_str, b->socket_mode_str) == 0);
	CHECK(a->socket_mode == b->socket_mode);
	CHECK(strcmp(a->socket_group, b->socket_group) == 0);
	CHECK(strcmp(a->log_level_str, b->log_level_str) == 0);
	CHECK(a->log_level == b->log_level);
	CHECK(strcmp(a->manifests_dir, b->manifests_dir) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Static: the struct is over 12 KiB of paths. */
	static struct sluiced_config a, b;
	char *out, *out2, *why = NULL;
	size_t outlen, out2len, whylen = 0;
	FILE *w;
	int rc;

	rc = config_parse(&a, "fuzz.yaml", data, size, errs());
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc != 0)
		return 0;

	print(&a, &out, &outlen);
	w = open_memstream(&why, &whylen);
	CHECK(w != NULL);
	rc = config_parse(&b, "printed.yaml", (const unsigned char *)out,
	    outlen, w);
	CHECK(fclose(w) == 0);
	if (rc != 0) {
		fprintf(stderr, "--print-config output does not parse again:\n"
		    "%.*s%s", (int)outlen, out, why);
		abort();
	}
	same(&a, &b);

	print(&b, &out2, &out2len);
	CHECK(outlen == out2len);
	CHECK(memcmp(out, out2, outlen) == 0);

	free(out);
	free(out2);
	free(why);
	return 0;
}
