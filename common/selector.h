/*
 * selector.h - Kubernetes label selectors: matchLabels and
 * matchExpressions (In, NotIn, Exists, DoesNotExist), as IPAM's pool
 * selectors and network policy use them. Pure functions; nothing here
 * allocates except sluice_selector_copy().
 */
#ifndef SLUICE_COMMON_SELECTOR_H
#define SLUICE_COMMON_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

/* A label; both strings are borrowed from whoever built the array. */
struct sluice_label {
	const char *key;
	const char *value;
};

enum sluice_sel_op {
	SLUICE_SEL_IN = 0,		/* key present, value in values */
	SLUICE_SEL_NOT_IN,		/* key absent, or value not in values */
	SLUICE_SEL_EXISTS,		/* key present; no values */
	SLUICE_SEL_DOES_NOT_EXIST,	/* key absent; no values */
};

struct sluice_sel_expr {
	const char *key;
	enum sluice_sel_op op;
	const char *const *values;	/* borrowed */
	size_t nvalues;
};

/*
 * A Kubernetes label selector: every matchLabels pair and every
 * expression must hold. The empty selector (nothing in either) matches
 * every label set. All pointers are borrowed from the caller.
 */
struct sluice_selector {
	const struct sluice_label *match_labels;
	size_t nmatch_labels;
	const struct sluice_sel_expr *exprs;
	size_t nexprs;
};

/*
 * Checks a selector's shape: keys non-empty, In/NotIn with at least one
 * value, Exists/DoesNotExist with none. Returns 0 or -EINVAL and why.
 */
int sluice_selector_validate(const struct sluice_selector *sel, char *err,
    size_t errlen);
/* True if labels (n of them; keys unique) satisfy sel. Pure. */
bool sluice_selector_matches(const struct sluice_selector *sel,
    const struct sluice_label *labels, size_t n);

/* True if sel has neither matchLabels nor expressions (matches all). */
/*
 * Checks one label as Kubernetes does: the key an optional DNS-subdomain
 * prefix (at most 253 bytes) and '/', then a name of 1 to 63 of
 * [A-Za-z0-9._-] beginning and ending alphanumeric; the value empty or
 * such a name. 0, or -EINVAL with a sentence in err.
 */
int sluice_label_check(const char *key, const char *value, char *err,
    size_t errlen);

bool sluice_selector_empty(const struct sluice_selector *sel);
/*
 * A deep copy that owns its arrays and strings (one allocation each);
 * free it with sluice_selector_free(). Returns 0 or -ENOMEM.
 */
int sluice_selector_copy(struct sluice_selector *dst,
    const struct sluice_selector *src);
void sluice_selector_free(struct sluice_selector *sel);

#endif
