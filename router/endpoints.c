/*
 * endpoints.c - pod endpoints: the value type, our own list, and the
 * lists the peers announced.
 *
 * Per peer node, the table holds the list in force and at most one
 * announcement being received page by page:
 * - idle: nothing in progress. Part 0 of a newer list starts one; part 0
 *   of a list that is not newer starts one that is counted and dropped
 *   (its pages must still come in order); any other part is out of order.
 * - receiving (session, gen, next, parts): the page numbered next of the
 *   same session, gen and parts is appended; the last one ends it, and a
 *   newer list replaces the one in force. Anything else is out of order.
 *   A new part 0 (the link closed halfway, and the next one starts over)
 *   drops the announcement in progress and starts another.
 */
#include "router/endpoints.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam/ipam.h"
#include "router/linkproto.h"

/* Whatever IPAM stores with a pod can be announced (endpoints.h). */
_Static_assert(ENDPOINT_LABEL_MAX == IPAM_LABEL_MAX, "label size");
_Static_assert(ENDPOINT_LABELS_MAX == IPAM_LABELS_MAX, "labels per pod");
_Static_assert(ENDPOINT_POD_MAX == IPAM_NAME_MAX, "pod name size");

struct remote {
	char node[LINK_NAME_MAX];
	bool have;			/* a list is in force */
	uint64_t session;		/* the link it came on */
	struct endpoint_set set;	/* set.gen: its generation */
	/* The announcement being received, if receiving. */
	bool receiving, discard;
	uint64_t rx_session, rx_gen;
	uint32_t rx_next, rx_parts;
	struct endpoint_set rx;
	size_t rx_cap;
};

static struct {
	struct endpoint_set local;
	struct remote *v;
	size_t n, cap;
	endpoints_hook_fn *hook;
	void *hook_arg;
	endpoints_filter_fn *filter;
	void *filter_arg;
	bool changed;			/* since the hook last ran */
	struct endpoints_stats st;
} T;

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- the value type ---------------------------------------------------- */

/*
 * IsValidPortName, as policy/model.c checks a policy's named ports: at
 * most 15 of [a-z0-9-], a letter at least, no leading, trailing or
 * doubled '-'. A pod's port that breaks it could never match one.
 */
static bool
port_name_ok(const char *s, size_t size)
{
	bool letter = false;
	size_t n = strnlen(s, size);

	if (n == 0 || n == size || n > 15)
		return false;
	if (s[0] == '-' || s[n - 1] == '-' || strstr(s, "--") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

static bool
str_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n > 0 && n < size;
}

int
endpoint_validate(const struct endpoint *ep, char *err, size_t errlen)
{
	if (!str_ok(ep->ns, sizeof(ep->ns)))
		return fail(err, errlen, -EINVAL,
		    "namespace empty or longer than %d bytes",
		    ENDPOINT_NS_MAX - 1);
	if (!str_ok(ep->pod, sizeof(ep->pod)))
		return fail(err, errlen, -EINVAL,
		    "pod name empty or longer than %d bytes",
		    ENDPOINT_POD_MAX - 1);
	if (ep->naddrs == 0 || ep->naddrs > ENDPOINT_ADDRS_MAX)
		return fail(err, errlen, -EINVAL,
		    "%s/%s: %zu addresses, not 1 to %d", ep->ns, ep->pod,
		    ep->naddrs, ENDPOINT_ADDRS_MAX);
	for (size_t i = 0; i < ep->naddrs; i++) {
		if (sluice_addr_len(ep->addrs[i].family) == 0)
			return fail(err, errlen, -EINVAL,
			    "%s/%s: address %zu of no family", ep->ns,
			    ep->pod, i);
		for (size_t j = 0; j < i; j++)
			if (sluice_addr_eq(&ep->addrs[i], &ep->addrs[j]))
				return fail(err, errlen, -EINVAL,
				    "%s/%s: an address twice", ep->ns,
				    ep->pod);
	}
	if (ep->nlabels > ENDPOINT_LABELS_MAX ||
	    (ep->nlabels > 0 && ep->labels == NULL))
		return fail(err, errlen, -EINVAL,
		    "%s/%s: %zu labels, more than %d", ep->ns, ep->pod,
		    ep->nlabels, ENDPOINT_LABELS_MAX);
	for (size_t i = 0; i < ep->nlabels; i++) {
		const struct sluice_label *l = &ep->labels[i];

		if (l->key == NULL || l->value == NULL ||
		    !str_ok(l->key, ENDPOINT_LABEL_MAX) ||
		    strnlen(l->value, ENDPOINT_LABEL_MAX) == ENDPOINT_LABEL_MAX)
			return fail(err, errlen, -EINVAL,
			    "%s/%s: label %zu: key empty, or key or value longer than %d bytes",
			    ep->ns, ep->pod, i, ENDPOINT_LABEL_MAX - 1);
		/* 64 at most: pairs are cheaper than sorting. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->key, ep->labels[j].key) == 0)
				return fail(err, errlen, -EINVAL,
				    "%s/%s: label \"%s\" twice", ep->ns,
				    ep->pod, l->key);
	}
	if (ep->nports > ENDPOINT_PORTS_MAX ||
	    (ep->nports > 0 && ep->ports == NULL))
		return fail(err, errlen, -EINVAL,
		    "%s/%s: %zu ports, more than %d", ep->ns, ep->pod,
		    ep->nports, ENDPOINT_PORTS_MAX);
	for (size_t i = 0; i < ep->nports; i++) {
		const struct endpoint_port *p = &ep->ports[i];

		if (!port_name_ok(p->name, sizeof(p->name)))
			return fail(err, errlen, -EINVAL,
			    "%s/%s: port %zu: name not an IANA service name",
			    ep->ns, ep->pod, i);
		if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP &&
		    p->proto != IPPROTO_SCTP)
			return fail(err, errlen, -EINVAL,
			    "%s/%s: port %s: protocol %u is not TCP, UDP or SCTP",
			    ep->ns, ep->pod, p->name, p->proto);
		if (p->port == 0)
			return fail(err, errlen, -EINVAL,
			    "%s/%s: port %s: port 0", ep->ns, ep->pod,
			    p->name);
		/* Kubernetes: port names are unique within a pod. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->name, ep->ports[j].name) == 0)
				return fail(err, errlen, -EINVAL,
				    "%s/%s: port name %s twice", ep->ns,
				    ep->pod, p->name);
	}
	return 0;
}

int
endpoint_copy_labels(struct endpoint *ep, const struct sluice_label *labels,
    size_t n)
{
	struct sluice_label *v = NULL;
	size_t bytes = n * sizeof(*v);
	char *s;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(labels[i].key) + strlen(labels[i].value) + 2;
	if (n > 0 && (v = malloc(bytes)) == NULL)
		return -ENOMEM;
	s = n > 0 ? (char *)(v + n) : NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(labels[i].key) + 1;
		size_t l = strlen(labels[i].value) + 1;

		memcpy(s, labels[i].key, k);
		v[i].key = s;
		s += k;
		memcpy(s, labels[i].value, l);
		v[i].value = s;
		s += l;
	}
	free(ep->labels);
	ep->labels = v;
	ep->nlabels = n;
	return 0;
}

int
endpoint_copy_ports(struct endpoint *ep, const struct endpoint_port *ports,
    size_t n)
{
	struct endpoint_port *v = NULL;

	if (n > 0) {
		if ((v = malloc(n * sizeof(*v))) == NULL)
			return -ENOMEM;
		memcpy(v, ports, n * sizeof(*v));
	}
	free(ep->ports);
	ep->ports = v;
	ep->nports = n;
	return 0;
}

int
endpoint_copy(struct endpoint *dst, const struct endpoint *src)
{
	int rc;

	*dst = *src;
	dst->labels = NULL;
	dst->nlabels = 0;
	dst->ports = NULL;
	dst->nports = 0;
	if ((rc = endpoint_copy_labels(dst, src->labels, src->nlabels)) != 0 ||
	    (rc = endpoint_copy_ports(dst, src->ports, src->nports)) != 0)
		endpoint_free(dst);
	return rc;
}

void
endpoint_free(struct endpoint *ep)
{
	if (ep == NULL)
		return;
	free(ep->labels);
	free(ep->ports);
	memset(ep, 0, sizeof(*ep));
}

bool
endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
	if (strcmp(a->ns, b->ns) != 0 || strcmp(a->pod, b->pod) != 0 ||
	    a->naddrs != b->naddrs || a->nlabels != b->nlabels ||
	    a->nports != b->nports)
		return false;
	for (size_t i = 0; i < a->naddrs; i++)
		if (!sluice_addr_eq(&a->addrs[i], &b->addrs[i]))
			return false;
	for (size_t i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].key, b->labels[i].key) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return false;
	for (size_t i = 0; i < a->nports; i++)
		if (strcmp(a->ports[i].name, b->ports[i].name) != 0 ||
		    a->ports[i].proto != b->ports[i].proto ||
		    a->ports[i].port != b->ports[i].port)
			return false;
	return true;
}

bool
endpoint_in_blocks(const struct endpoint *ep,
    const struct sluice_prefix *blocks, size_t n)
{
	for (size_t i = 0; i < ep->naddrs; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (sluice_prefix_contains(&blocks[j], &ep->addrs[i]))
				break;
		if (j == n)
			return false;
	}
	return true;
}

/* ---- lists --------------------------------------------------------------- */

static int
cmp_pod(const void *x, const void *y)
{
	const struct endpoint *a = *(const struct endpoint *const *)x;
	const struct endpoint *b = *(const struct endpoint *const *)y;
	int c = strcmp(a->ns, b->ns);

	return c != 0 ? c : strcmp(a->pod, b->pod);
}

static int
cmp_addr(const void *x, const void *y)
{
	const struct sluice_addr *a = *(const struct sluice_addr *const *)x;
	const struct sluice_addr *b = *(const struct sluice_addr *const *)y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->u.b, b->u.b, sluice_addr_len(a->family));
}

int
endpoint_set_check(const struct endpoint_set *set, char *err, size_t errlen)
{
	const struct endpoint **pods = NULL;
	const struct sluice_addr **addrs = NULL;
	size_t na = 0;
	int rc = 0;

	for (size_t i = 0; i < set->n && rc == 0; i++)
		rc = endpoint_validate(&set->v[i], err, errlen);
	if (rc != 0 || set->n < 2)
		goto out;
	/* Sorted pointers: lists run to LINK_MAX_ENDPOINTS. */
	pods = malloc(set->n * sizeof(*pods));
	addrs = malloc(set->n * ENDPOINT_ADDRS_MAX * sizeof(*addrs));
	if (pods == NULL || addrs == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < set->n; i++) {
		pods[i] = &set->v[i];
		for (size_t j = 0; j < set->v[i].naddrs; j++)
			addrs[na++] = &set->v[i].addrs[j];
	}
	qsort(pods, set->n, sizeof(*pods), cmp_pod);
	for (size_t i = 1; i < set->n && rc == 0; i++)
		if (cmp_pod(&pods[i - 1], &pods[i]) == 0)
			rc = fail(err, errlen, -EINVAL, "pod %s/%s twice",
			    pods[i]->ns, pods[i]->pod);
	qsort(addrs, na, sizeof(*addrs), cmp_addr);
	for (size_t i = 1; i < na && rc == 0; i++) {
		char a[SLUICE_ADDRSTRLEN];

		if (cmp_addr(&addrs[i - 1], &addrs[i]) == 0)
			rc = fail(err, errlen, -EINVAL,
			    "address %s held by two pods",
			    sluice_addr_str(addrs[i], a, sizeof(a)));
	}
out:
	free(pods);
	free(addrs);
	return rc;
}

int
endpoint_set_copy(struct endpoint_set *dst, const struct endpoint_set *src)
{
	int rc = 0;

	memset(dst, 0, sizeof(*dst));
	dst->gen = src->gen;
	if (src->n == 0)
		return 0;
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (dst->v == NULL)
		return -ENOMEM;
	for (; dst->n < src->n && rc == 0; dst->n++)
		rc = endpoint_copy(&dst->v[dst->n], &src->v[dst->n]);
	if (rc != 0)
		endpoint_set_free(dst);
	return rc;
}

void
endpoint_set_free(struct endpoint_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		endpoint_free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

static bool
set_eq(const struct endpoint_set *a, const struct endpoint_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!endpoint_eq(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/* ---- our list ------------------------------------------------------------ */

int
endpoints_set_local(const struct endpoint_set *local, char *err,
    size_t errlen)
{
	uint32_t first[LINK_MAX_ENDPOINT_PARTS + 1], nparts;
	struct endpoint_set copy;
	int rc;

	if (local->n > LINK_MAX_ENDPOINTS)
		return fail(err, errlen, -EMSGSIZE,
		    "%zu pods, more than the %d a node may announce",
		    local->n, LINK_MAX_ENDPOINTS);
	if ((rc = endpoint_set_check(local, err, errlen)) != 0)
		return rc;
	if (link_endpoints_paginate(local->v, local->n, first, &nparts) != 0)
		return fail(err, errlen, -EMSGSIZE,
		    "the pod list takes more than %d frames",
		    LINK_MAX_ENDPOINT_PARTS);
	/* gen 0 is "never set": the first call always announces. */
	if (T.local.gen != 0 && set_eq(&T.local, local))
		return 0;
	if (endpoint_set_copy(&copy, local) != 0)
		return fail(err, errlen, -ENOMEM, "out of memory");
	copy.gen = T.local.gen + 1;
	endpoint_set_free(&T.local);
	T.local = copy;
	return 1;
}

const struct endpoint_set *
endpoints_local(void)
{
	return &T.local;
}

/* ---- the peers' lists ---------------------------------------------------- */

void
endpoints_set_hook(endpoints_hook_fn *fn, void *arg)
{
	T.hook = fn;
	T.hook_arg = arg;
}

void
endpoints_set_filter(endpoints_filter_fn *fn, void *arg)
{
	T.filter = fn;
	T.filter_arg = arg;
}

void
endpoints_notify(void)
{
	if (!T.changed)
		return;
	T.changed = false;
	if (T.hook != NULL)
		T.hook(T.hook_arg);
}

static struct remote *
find(const char *node)
{
	for (size_t i = 0; i < T.n; i++)
		if (strcmp(T.v[i].node, node) == 0)
			return &T.v[i];
	return NULL;
}

static struct remote *
find_or_add(const char *node)
{
	struct remote *r = find(node);

	if (r != NULL)
		return r;
	if (strnlen(node, LINK_NAME_MAX) == LINK_NAME_MAX)
		return NULL;
	if (T.n == T.cap) {
		size_t cap = T.cap ? 2 * T.cap : 8;
		struct remote *v = realloc(T.v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		T.v = v;
		T.cap = cap;
	}
	r = &T.v[T.n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s", node);
	return r;
}

static void
rx_drop(struct remote *r)
{
	endpoint_set_free(&r->rx);
	r->rx_cap = 0;
	r->receiving = r->discard = false;
}

static void
remote_free(struct remote *r)
{
	rx_drop(r);
	endpoint_set_free(&r->set);
}

/* Removes T.v[i], keeping the order of the rest. */
static void
remove_at(size_t i)
{
	remote_free(&T.v[i]);
	memmove(&T.v[i], &T.v[i + 1], (T.n - i - 1) * sizeof(T.v[0]));
	T.n--;
}

bool
endpoints_forget(const char *node)
{
	struct remote *r = find(node);
	bool had;

	if (r == NULL)
		return false;
	had = r->have && r->set.n > 0;
	remove_at((size_t)(r - T.v));
	T.changed = T.changed || had;
	return had;
}

size_t
endpoints_prune(bool (*keep)(void *arg, const char *node), void *arg)
{
	size_t dropped = 0;

	for (size_t i = 0; i < T.n;) {
		if (keep(arg, T.v[i].node)) {
			i++;
			continue;
		}
		if (T.v[i].have && T.v[i].set.n > 0)
			T.changed = true;
		remove_at(i);
		dropped++;
	}
	return dropped;
}

/* Frees what a page still holds. */
static void
page_free(struct link_endpoints *pg)
{
	for (uint32_t i = 0; i < pg->n && pg->v != NULL; i++)
		endpoint_free(&pg->v[i]);
	free(pg->v);
	pg->v = NULL;
	pg->n = 0;
}

/* Moves page's endpoints to the end of r->rx. */
static int
rx_append(struct remote *r, struct link_endpoints *page, char *err,
    size_t errlen)
{
	size_t need = r->rx.n + page->n;

	if (need > LINK_MAX_ENDPOINTS)
		return fail(err, errlen, -EMSGSIZE,
		    "more than %d endpoints in one list", LINK_MAX_ENDPOINTS);
	if (need > r->rx_cap) {
		size_t cap = r->rx_cap ? r->rx_cap : 64;
		struct endpoint *v;

		while (cap < need)
			cap *= 2;
		v = realloc(r->rx.v, cap * sizeof(*v));
		if (v == NULL)
			return fail(err, errlen, -ENOMEM, "out of memory");
		r->rx.v = v;
		r->rx_cap = cap;
	}
	if (page->n > 0)
		memcpy(&r->rx.v[r->rx.n], page->v, page->n * sizeof(*page->v));
	r->rx.n = need;
	/* The endpoints' own arrays moved with them. */
	free(page->v);
	page->v = NULL;
	page->n = 0;
	return 0;
}

int
endpoints_recv_page(const char *node, uint64_t session,
    struct link_endpoints *page, char *err, size_t errlen)
{
	struct link_endpoints pg = *page;
	struct remote *r;
	int rc = 0;

	page->v = NULL;
	page->n = 0;
	T.st.pages++;
	if ((r = find_or_add(node)) == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if (pg.part == 0) {
		rx_drop(r);
		r->receiving = true;
		/* Newer: another link, or a later list on the same one. */
		r->discard = r->have && r->session == session &&
		    pg.generation <= r->set.gen;
		r->rx_session = session;
		r->rx_gen = pg.generation;
		r->rx_next = 0;
		r->rx_parts = pg.parts;
	} else if (!r->receiving || r->rx_session != session ||
	    r->rx_gen != pg.generation || r->rx_next != pg.part ||
	    r->rx_parts != pg.parts) {
		rc = fail(err, errlen, -EPROTO,
		    "endpoints: page %u of %u (gen %llu) out of order",
		    (unsigned)pg.part, (unsigned)pg.parts,
		    (unsigned long long)pg.generation);
		goto out;
	}
	r->rx_next++;
	if (r->discard) {
		T.st.stale++;
	} else if ((rc = rx_append(r, &pg, err, errlen)) != 0) {
		goto out;
	}
	if (r->rx_next < r->rx_parts)
		goto out;

	/* The last page. */
	if (r->discard) {
		rx_drop(r);
		goto out;
	}
	r->rx.gen = r->rx_gen;
	if ((rc = endpoint_set_check(&r->rx, err, errlen)) != 0)
		goto out;
	endpoint_set_free(&r->set);
	r->set = r->rx;
	memset(&r->rx, 0, sizeof(r->rx));
	r->rx_cap = 0;
	r->receiving = false;
	r->have = true;
	r->session = session;
	T.st.lists++;
	T.changed = true;
	rc = 1;
out:
	page_free(&pg);
	if (rc < 0) {
		T.st.refused++;
		if (r != NULL)
			rx_drop(r);
	}
	if (rc == 1)
		endpoints_notify();
	return rc;
}

/* ---- queries ------------------------------------------------------------- */

int
endpoints_each(endpoints_each_fn *fn, void *arg)
{
	uint64_t hidden = 0;
	int rc = 0;

	for (size_t i = 0; i < T.n && rc == 0; i++) {
		const struct remote *r = &T.v[i];

		for (size_t j = 0; j < r->set.n && rc == 0; j++) {
			if (T.filter != NULL &&
			    !T.filter(T.filter_arg, r->node, &r->set.v[j])) {
				hidden++;
				continue;
			}
			rc = fn(arg, r->node, &r->set.v[j]);
		}
	}
	T.st.filtered = hidden;
	return rc;
}

size_t
endpoints_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < T.n; i++)
		n += T.v[i].set.n;
	return n;
}

size_t
endpoints_nodes(void)
{
	size_t n = 0;

	for (size_t i = 0; i < T.n; i++)
		n += T.v[i].have;
	return n;
}

const struct endpoint_set *
endpoints_of(const char *node)
{
	const struct remote *r = find(node);

	return r != NULL && r->have ? &r->set : NULL;
}

void
endpoints_stats_get(struct endpoints_stats *out)
{
	*out = T.st;
}

void
endpoints_clear(void)
{
	for (size_t i = 0; i < T.n; i++)
		remote_free(&T.v[i]);
	free(T.v);
	endpoint_set_free(&T.local);
	memset(&T, 0, sizeof(T));
}
