/*
 * selector.c - Kubernetes label selectors: matchLabels and
 * matchExpressions (In, NotIn, Exists, DoesNotExist).
 */
#include "common/selector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
lookup(const struct sluice_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(labels[i].key, key) == 0)
			return labels[i].value;
	}
	return NULL;
}

static bool
in(const struct sluice_sel_expr *e, const char *v)
{
	for (size_t i = 0; i < e->nvalues; i++) {
		if (strcmp(e->values[i], v) == 0)
			return true;
	}
	return false;
}

bool
sluice_selector_matches(const struct sluice_selector *sel,
    const struct sluice_label *labels, size_t n)
{
	for (size_t i = 0; i < sel->nmatch_labels; i++) {
		const char *v = lookup(labels, n, sel->match_labels[i].key);

		if (v == NULL || strcmp(v, sel->match_labels[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < sel->nexprs; i++) {
		const struct sluice_sel_expr *e = &sel->exprs[i];
		const char *v = lookup(labels, n, e->key);
		bool ok;

		switch (e->op) {
		case SLUICE_SEL_IN:
			ok = v != NULL && in(e, v);
			break;
		case SLUICE_SEL_NOT_IN:
			ok = v == NULL || !in(e, v);
			break;
		case SLUICE_SEL_EXISTS:
			ok = v != NULL;
			break;
		case SLUICE_SEL_DOES_NOT_EXIST:
			ok = v == NULL;
			break;
		default:
			ok = false;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

int
sluice_selector_validate(const struct sluice_selector *sel, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < sel->nmatch_labels; i++) {
		const struct sluice_label *l = &sel->match_labels[i];

		if (l->key == NULL || l->key[0] == '\0' || l->value == NULL) {
			snprintf(err, errlen,
			    "matchLabels entry %zu has an empty key or no value",
			    i);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sel->nexprs; i++) {
		const struct sluice_sel_expr *e = &sel->exprs[i];

		if (e->key == NULL || e->key[0] == '\0') {
			snprintf(err, errlen,
			    "matchExpressions entry %zu has an empty key", i);
			return -EINVAL;
		}
		for (size_t j = 0; j < e->nvalues; j++) {
			if (e->values[j] == NULL) {
				snprintf(err, errlen,
				    "matchExpressions entry %zu (%s) has a null value",
				    i, e->key);
				return -EINVAL;
			}
		}
		switch (e->op) {
		case SLUICE_SEL_IN:
		case SLUICE_SEL_NOT_IN:
			if (e->nvalues == 0) {
				snprintf(err, errlen,
				    "matchExpressions entry %zu (%s): In and NotIn need at least one value",
				    i, e->key);
				return -EINVAL;
			}
			break;
		case SLUICE_SEL_EXISTS:
		case SLUICE_SEL_DOES_NOT_EXIST:
			if (e->nvalues != 0) {
				snprintf(err, errlen,
				    "matchExpressions entry %zu (%s): Exists and DoesNotExist take no values",
				    i, e->key);
				return -EINVAL;
			}
			break;
		default:
			snprintf(err, errlen,
			    "matchExpressions entry %zu (%s): unknown operator %d",
			    i, e->key, (int)e->op);
			return -EINVAL;
		}
	}
	return 0;
}

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* A label name or value: 1..63 of [A-Za-z0-9._-], alphanumeric ends. */
static bool
label_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A DNS subdomain (RFC 1123): lowercase labels of [a-z0-9-] and dots. */
static bool
subdomain_ok(const char *s, size_t n)
{
	size_t run = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (run == 0 || s[i - 1] == '-')
				return false;
			run = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c == '-' && run > 0)) {
			if (++run > 63)
				return false;
		} else {
			return false;
		}
	}
	return run > 0 && s[n - 1] != '-';
}

int
sluice_label_check(const char *key, const char *value, char *err,
    size_t errlen)
{
	const char *slash = key != NULL ? strchr(key, '/') : NULL;
	const char *name = slash != NULL ? slash + 1 : key;

	if (key == NULL || (slash != NULL &&
	    !subdomain_ok(key, (size_t)(slash - key))) ||
	    !label_name_ok(name, strlen(name))) {
		snprintf(err, errlen,
		    "label key \"%s\" is not [prefix/]name with a name of 1 to 63 "
		    "letters, digits, '-', '_', '.' (alphanumeric at both ends) "
		    "and a DNS subdomain as prefix", key ? key : "");
		return -EINVAL;
	}
	if (value == NULL || (value[0] != '\0' &&
	    !label_name_ok(value, strlen(value)))) {
		snprintf(err, errlen,
		    "label %s: value \"%s\" must be empty or 1 to 63 letters, "
		    "digits, '-', '_', '.' beginning and ending alphanumeric",
		    key, value ? value : "");
		return -EINVAL;
	}
	return 0;
}

bool
sluice_selector_empty(const struct sluice_selector *sel)
{
	return sel->nmatch_labels == 0 && sel->nexprs == 0;
}

/*
 * The copy is one allocation per array and per string, all owned through
 * the const pointers of dst; sluice_selector_free() casts them back.
 */
int
sluice_selector_copy(struct sluice_selector *dst, const struct sluice_selector *src)
{
	struct sluice_label *ml = NULL;
	struct sluice_sel_expr *ex = NULL;

	memset(dst, 0, sizeof(*dst));
	if (src->nmatch_labels > 0) {
		ml = calloc(src->nmatch_labels, sizeof(*ml));
		if (ml == NULL)
			goto err;
		dst->match_labels = ml;
		for (size_t i = 0; i < src->nmatch_labels; i++) {
			ml[i].key = strdup(src->match_labels[i].key);
			ml[i].value = strdup(src->match_labels[i].value);
			dst->nmatch_labels = i + 1;
			if (ml[i].key == NULL || ml[i].value == NULL)
				goto err;
		}
	}
	if (src->nexprs > 0) {
		ex = calloc(src->nexprs, sizeof(*ex));
		if (ex == NULL)
			goto err;
		dst->exprs = ex;
		for (size_t i = 0; i < src->nexprs; i++) {
			const struct sluice_sel_expr *e = &src->exprs[i];
			char **vals = NULL;

			dst->nexprs = i + 1;
			ex[i].op = e->op;
			ex[i].key = strdup(e->key);
			if (ex[i].key == NULL)
				goto err;
			if (e->nvalues == 0)
				continue;
			vals = calloc(e->nvalues, sizeof(*vals));
			if (vals == NULL)
				goto err;
			ex[i].values = (const char *const *)vals;
			for (size_t j = 0; j < e->nvalues; j++) {
				ex[i].nvalues = j + 1;
				vals[j] = strdup(e->values[j]);
				if (vals[j] == NULL)
					goto err;
			}
		}
	}
	return 0;

err:
	sluice_selector_free(dst);
	return -ENOMEM;
}

void
sluice_selector_free(struct sluice_selector *sel)
{
	if (sel == NULL)
		return;
	for (size_t i = 0; i < sel->nmatch_labels; i++) {
		free((char *)sel->match_labels[i].key);
		free((char *)sel->match_labels[i].value);
	}
	free((struct sluice_label *)sel->match_labels);
	for (size_t i = 0; i < sel->nexprs; i++) {
		const struct sluice_sel_expr *e = &sel->exprs[i];

		for (size_t j = 0; j < e->nvalues; j++)
			free((char *)e->values[j]);
		free((char **)e->values);
		free((char *)e->key);
	}
	free((struct sluice_sel_expr *)sel->exprs);
	memset(sel, 0, sizeof(*sel));
}
