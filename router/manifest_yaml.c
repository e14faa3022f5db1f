#include "router/manifest_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
mf_report(struct mctx *c, const yaml_mark_t *m, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	c->nerr++;
	if (c->errs == NULL)
		return;
	fprintf(c->errs, "%s:%zu:%zu: ", c->file, m->line + 1, m->column + 1);
	if (path)
		fprintf(c->errs, "%s: ", path);
	va_start(ap, fmt);
	vfprintf(c->errs, fmt, ap);
	va_end(ap);
	fputc('\n', c->errs);
}

yaml_node_t *
mf_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		/* Lengths too: "kind\0x" is not the key "kind". */
		if (k && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == strlen(key) &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

bool
mf_known_keys(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *path, const char *const allowed[])
{
	bool ok = true;

	if (map == NULL || map->type != YAML_MAPPING_NODE) {
		if (map != NULL)
			mf_report(c, &map->start_mark, path, "expected a mapping");
		return false;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		bool known = false;

		if (k == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			mf_report(c, &k->start_mark, path,
			    "keys must be plain strings");
			ok = false;
			continue;
		}
		if (strlen((const char *)k->data.scalar.value) !=
		    k->data.scalar.length) {
			mf_report(c, &k->start_mark, path,
			    "key contains a NUL byte");
			ok = false;
			continue;
		}
		for (const char *const *a = allowed; *a; a++)
			known |= strcmp((const char *)k->data.scalar.value,
			    *a) == 0;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start;
		    q < p; q++) {
			yaml_node_t *o = yaml_document_get_node(doc, q->key);

			if (o && o->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)o->data.scalar.value,
			    (const char *)k->data.scalar.value) == 0) {
				mf_report(c, &k->start_mark, path,
				    "duplicate key \"%s\"",
				    (const char *)k->data.scalar.value);
				ok = false;
			}
		}
		if (!known) {
			mf_report(c, &k->start_mark, path, "unknown key \"%s\"",
			    (const char *)k->data.scalar.value);
			ok = false;
		}
	}
	return ok;
}

static yaml_node_t *
scalar_node(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool required)
{
	yaml_node_t *n = mf_get(doc, map, key);

	if (n == NULL) {
		if (required)
			mf_report(c, &map->start_mark, path,
			    "required key is missing");
		return NULL;
	}
	if (n->type != YAML_SCALAR_NODE) {
		mf_report(c, &n->start_mark, path, "expected a single value");
		return NULL;
	}
	return n;
}

bool
mf_str(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool required, char *dst, size_t size)
{
	yaml_node_t *n = scalar_node(c, doc, map, key, path, required);

	if (n == NULL)
		return mf_get(doc, map, key) == NULL && !required;
	if (n->data.scalar.length >= size ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		mf_report(c, &n->start_mark, path,
		    "value too long (at most %zu characters) or not text",
		    size - 1);
		return false;
	}
	memcpy(dst, n->data.scalar.value, n->data.scalar.length + 1);
	return true;
}

bool
mf_bool(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool *out)
{
	yaml_node_t *n = scalar_node(c, doc, map, key, path, false);
	const char *v;

	if (n == NULL)
		return mf_get(doc, map, key) == NULL;
	v = (const char *)n->data.scalar.value;
	if (strcmp(v, "true") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "false") == 0) {
		*out = false;
		return true;
	}
	mf_report(c, &n->start_mark, path, "\"%s\" is not true or false", v);
	return false;
}

bool
mf_uint(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, unsigned long min, unsigned long max,
    unsigned long *out)
{
	yaml_node_t *n = scalar_node(c, doc, map, key, path, false);
	const char *v;
	char *end;
	unsigned long x;

	if (n == NULL)
		return mf_get(doc, map, key) == NULL;
	v = (const char *)n->data.scalar.value;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 ||
	    x < min || x > max) {
		mf_report(c, &n->start_mark, path,
		    "\"%s\" is not a whole number from %lu to %lu", v, min, max);
		return false;
	}
	*out = x;
	return true;
}

bool
mf_addr(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, bool required, struct sluice_addr *out)
{
	yaml_node_t *n = scalar_node(c, doc, map, key, path, required);

	if (n == NULL)
		return false;
	if (sluice_addr_parse((const char *)n->data.scalar.value, out) != 0) {
		mf_report(c, &n->start_mark, path,
		    "\"%s\" is not an IPv4 or IPv6 address",
		    (const char *)n->data.scalar.value);
		return false;
	}
	return true;
}

bool
mf_prefix(struct mctx *c, yaml_node_t *n, const char *path,
    struct sluice_prefix *out)
{
	if (n->type != YAML_SCALAR_NODE) {
		mf_report(c, &n->start_mark, path, "expected a CIDR");
		return false;
	}
	if (sluice_prefix_parse((const char *)n->data.scalar.value, false,
	    out) != 0) {
		mf_report(c, &n->start_mark, path,
		    "\"%s\" is not a CIDR with zero host bits, such as 10.244.0.0/16",
		    (const char *)n->data.scalar.value);
		return false;
	}
	return true;
}
