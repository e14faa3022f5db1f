#include "router/manifest_yaml.h"

#include "common/suggest.h"

#include <ctype.h>
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


/* The allowed key closest to key (as config.c suggests), or NULL. */
static const char *
suggest(const char *key, const char *const allowed[])
{
	const char *found = NULL;
	size_t best = 3;

	for (const char *const *a = allowed; *a; a++) {
		size_t d = sluice_edit_distance(key, *a);

		if (d < best) {
			best = d;
			found = *a;
		}
	}
	return found;
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
			const char *hint = suggest(
			    (const char *)k->data.scalar.value, allowed);

			if (hint != NULL)
				mf_report(c, &k->start_mark, path,
				    "unknown key \"%s\" (did you mean \"%s\"?)",
				    (const char *)k->data.scalar.value, hint);
			else
				mf_report(c, &k->start_mark, path,
				    "unknown key \"%s\"",
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

/* A label name or value: up to 63 of [A-Za-z0-9-_.], alphanumeric ends. */
static bool
label_part_ok(const char *s, size_t n, bool may_be_empty)
{
	if (n == 0)
		return may_be_empty;
	if (n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A label key: [DNS-subdomain "/"] name, as Kubernetes defines it. */
static bool
label_key_ok(const char *k)
{
	const char *slash = strchr(k, '/');

	if (slash == NULL)
		return label_part_ok(k, strlen(k), false);
	if (slash == k || slash - k > 253 || strchr(slash + 1, '/') != NULL)
		return false;
	for (const char *p = k; p < slash; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '-' || *p == '.'))
			return false;
	return label_part_ok(slash + 1, strlen(slash + 1), false);
}

static char *
scalar_dup(struct mctx *c, yaml_node_t *n, const char *path)
{
	char *s;

	if (n == NULL || n->type != YAML_SCALAR_NODE) {
		if (n != NULL)
			mf_report(c, &n->start_mark, path, "expected a string");
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		mf_report(c, &n->start_mark, path, "value contains a NUL byte");
		return NULL;
	}
	s = strdup((const char *)n->data.scalar.value);
	if (s == NULL)
		mf_report(c, &n->start_mark, path, "out of memory");
	return s;
}

void
mf_selector_free(struct sluice_selector *sel)
{
	if (sel == NULL)
		return;
	mf_labels_free((struct sluice_label *)sel->match_labels,
	    sel->nmatch_labels);
	for (size_t i = 0; i < sel->nexprs; i++) {
		free((char *)sel->exprs[i].key);
		for (size_t j = 0; j < sel->exprs[i].nvalues; j++)
			free((char *)sel->exprs[i].values[j]);
		free((void *)sel->exprs[i].values);
	}
	free((void *)sel->exprs);
	memset(sel, 0, sizeof(*sel));
}

void
mf_labels_free(struct sluice_label *labels, size_t n)
{
	for (size_t i = 0; labels != NULL && i < n; i++) {
		free((char *)labels[i].key);
		free((char *)labels[i].value);
	}
	free(labels);
}

bool
mf_labels(struct mctx *c, yaml_document_t *doc, yaml_node_t *m,
    const char *path, struct sluice_label **out, size_t *nout)
{
	struct sluice_label *labels;
	size_t n = 0, cap;
	bool ok = true;

	*out = NULL;
	*nout = 0;
	if (m->type != YAML_MAPPING_NODE) {
		mf_report(c, &m->start_mark, path, "expected a mapping of labels");
		return false;
	}
	cap = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	labels = calloc(cap ? cap : 1, sizeof(*labels));
	if (labels == NULL)
		return false;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	    p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(doc, p->value);
		char *k = scalar_dup(c, kn, path), *v;

		if (k == NULL) {
			ok = false;
			continue;
		}
		v = scalar_dup(c, vn, path);
		if (v == NULL) {
			free(k);
			ok = false;
			continue;
		}
		if (!label_key_ok(k) || !label_part_ok(v, strlen(v), true)) {
			mf_report(c, &kn->start_mark, path,
			    "\"%s: %s\" is not a valid label (key [prefix/]name, value up to 63 of A-Z a-z 0-9 - _ .)",
			    k, v);
			ok = false;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(labels[i].key, k) == 0) {
				mf_report(c, &kn->start_mark, path,
				    "duplicate key \"%s\"", k);
				ok = false;
			}
		}
		labels[n].key = k;
		labels[n].value = v;
		n++;
	}
	if (!ok) {
		mf_labels_free(labels, n);
		return false;
	}
	*out = labels;
	*nout = n;
	return true;
}

static bool
parse_expression(struct mctx *c, yaml_document_t *doc, yaml_node_t *e,
    const char *path, struct sluice_sel_expr *x)
{
	static const char *const keys[] = { "key", "operator", "values", NULL };
	static const struct {
		const char *name;
		enum sluice_sel_op op;
	} ops[] = {
		{ "In", SLUICE_SEL_IN },
		{ "NotIn", SLUICE_SEL_NOT_IN },
		{ "Exists", SLUICE_SEL_EXISTS },
		{ "DoesNotExist", SLUICE_SEL_DOES_NOT_EXIST },
	};
	yaml_node_t *on, *vn;
	char *op;
	bool ok = true, found = false;

	if (!mf_known_keys(c, doc, e, path, keys))
		return false;
	x->key = scalar_dup(c, mf_get(doc, e, "key"), path);
	if (x->key == NULL || !label_key_ok(x->key)) {
		mf_report(c, &e->start_mark, path,
		    "\"key\" missing or not a valid label key");
		return false;
	}
	on = mf_get(doc, e, "operator");
	op = scalar_dup(c, on, path);
	for (size_t i = 0; op != NULL && i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(op, ops[i].name) == 0) {
			x->op = ops[i].op;
			found = true;
		}
	}
	if (!found) {
		mf_report(c, on ? &on->start_mark : &e->start_mark, path,
		    "\"operator\" must be In, NotIn, Exists or DoesNotExist");
		ok = false;
	}
	free(op);
	vn = mf_get(doc, e, "values");
	if (vn != NULL && vn->type != YAML_SEQUENCE_NODE) {
		mf_report(c, &vn->start_mark, path, "\"values\" must be a list");
		return false;
	}
	if (vn != NULL) {
		size_t cap = (size_t)(vn->data.sequence.items.top -
		    vn->data.sequence.items.start);
		const char **vals = calloc(cap ? cap : 1, sizeof(*vals));

		if (vals == NULL)
			return false;
		x->values = vals;
		for (yaml_node_item_t *it = vn->data.sequence.items.start;
		    it < vn->data.sequence.items.top; it++) {
			char *v = scalar_dup(c, yaml_document_get_node(doc, *it),
			    path);

			if (v == NULL) {
				ok = false;
				continue;
			}
			if (!label_part_ok(v, strlen(v), true)) {
				mf_report(c, &vn->start_mark, path,
				    "\"%s\" is not a valid label value", v);
				ok = false;
			}
			vals[x->nvalues++] = v;
		}
	}
	return ok;
}

bool
mf_selector(struct mctx *c, yaml_document_t *doc, yaml_node_t *n,
    const char *path, struct sluice_selector *sel)
{
	static const char *const keys[] = { "matchLabels", "matchExpressions",
		NULL };
	char sub[128], err[256];
	yaml_node_t *ml, *me;
	bool ok;

	memset(sel, 0, sizeof(*sel));
	if (!mf_known_keys(c, doc, n, path, keys))
		return false;
	ok = true;
	ml = mf_get(doc, n, "matchLabels");
	if (ml != NULL) {
		struct sluice_label *labels;
		size_t nl;

		snprintf(sub, sizeof(sub), "%s.matchLabels", path);
		if (mf_labels(c, doc, ml, sub, &labels, &nl)) {
			sel->match_labels = labels;
			sel->nmatch_labels = nl;
		} else {
			ok = false;
		}
	}
	me = mf_get(doc, n, "matchExpressions");
	if (me != NULL && me->type != YAML_SEQUENCE_NODE) {
		mf_report(c, &me->start_mark, path,
		    "matchExpressions must be a list");
		ok = false;
	} else if (me != NULL) {
		size_t cap = (size_t)(me->data.sequence.items.top -
		    me->data.sequence.items.start);
		struct sluice_sel_expr *x = calloc(cap ? cap : 1, sizeof(*x));

		if (x == NULL) {
			mf_selector_free(sel);
			return false;
		}
		sel->exprs = x;
		for (yaml_node_item_t *it = me->data.sequence.items.start;
		    it < me->data.sequence.items.top; it++) {
			snprintf(sub, sizeof(sub), "%s.matchExpressions[%zu]",
			    path, sel->nexprs);
			ok &= parse_expression(c, doc,
			    yaml_document_get_node(doc, *it), sub,
			    &x[sel->nexprs++]);
		}
	}
	if (ok && sluice_selector_validate(sel, err, sizeof(err)) != 0) {
		mf_report(c, &n->start_mark, path, "%s", err);
		ok = false;
	}
	if (!ok)
		mf_selector_free(sel);
	return ok;
}
