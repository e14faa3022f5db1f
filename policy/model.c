/*
 * model.c - validation of the policy objects (SEMANTICS.md §1) and the
 * policyTypes defaulting. Nothing here allocates.
 */
#include "policy/model.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OBJ_MAX 600		/* "Kind namespace/name" */
#define PATH_MAX_ 160		/* "spec.egress[12].to[3].pods" */
#define WHY_MAX 256

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));
static void pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

/*
 * Builds a field path such as "spec.egress[0].to[1].pods". A path longer
 * than the buffer (not possible with the caps) would only be cut short.
 */
static void
pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}


static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "(null)";
}

static bool
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label as Kubernetes checks it: [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool
dns_label(const char *s, size_t max)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return false;
	if (!lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* Labels as above joined by '.', at most 253 bytes in all. */
static bool
dns_subdomain(const char *s)
{
	char buf[254];
	char *save = NULL;
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 253)
		return false;
	if (s[0] == '.' || s[n - 1] == '.' || strstr(s, "..") != NULL)
		return false;
	memcpy(buf, s, n + 1);
	for (char *l = strtok_r(buf, ".", &save); l != NULL;
	    l = strtok_r(NULL, ".", &save)) {
		if (!dns_label(l, 253))
			return false;
	}
	return true;
}

/*
 * IsValidPortName: at most 15 characters of [a-z0-9-], at least one
 * letter, no leading, trailing or doubled '-' (an IANA service name).
 */
static bool
port_name_ok(const char *s)
{
	bool letter = false;
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 15)
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

static bool whyf(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

/* Writes a reason into why (if there is room) and returns false. */
static bool
whyf(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool
ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * Upstream's pattern is ^(\*\.)?(L\.)+L\.?$ with L a label
 * [a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?; DNS adds the lengths (63 a
 * label, 253 a name), which the pattern leaves out but no answer can
 * exceed, so a longer pattern could never match.
 */
bool
policy_domain_pattern_valid(const char *pattern, char *why, size_t whylen)
{
	const char *name, *end, *l;
	size_t len, labels = 0;

	if (pattern == NULL || pattern[0] == '\0')
		return whyf(why, whylen, "is empty");
	len = strlen(pattern);
	if (pattern[len - 1] == '.')
		len--;		/* an absolute name's one trailing dot */
	if (len > 253)
		return whyf(why, whylen, "is %zu characters long, at most 253 "
		    "(and one trailing dot)", len);
	if (len > 0 && pattern[len - 1] == '.')
		return whyf(why, whylen, "has an empty label");
	end = pattern + len;
	name = strncmp(pattern, "*.", 2) == 0 ? pattern + 2 : pattern;
	for (l = name; l < end; labels++) {
		const char *e = memchr(l, '.', (size_t)(end - l));
		size_t n;

		if (e == NULL)
			e = end;
		n = (size_t)(e - l);
		if (n == 0)
			return whyf(why, whylen, "has an empty label");
		if (n > 63)
			return whyf(why, whylen, "has a label of %zu "
			    "characters, at most 63", n);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)l[i];

			if (c == '*')
				return whyf(why, whylen, "has a '*' that is "
				    "not the whole first label (as in "
				    "\"*.example.com\")");
			if (ascii_alnum((char)c) || c == '-' || c == '_')
				continue;
			if (c >= 0x20 && c < 0x7f)
				return whyf(why, whylen, "has '%c', not a "
				    "letter, digit, '-' or '_'", c);
			return whyf(why, whylen, "has the byte 0x%02x, not a "
			    "letter, digit, '-' or '_'", c);
		}
		if (!ascii_alnum(l[0]) || !ascii_alnum(l[n - 1]))
			return whyf(why, whylen, "has the label \"%.*s\", "
			    "which starts or ends with '-' or '_'", (int)n, l);
		l = e + 1;
	}
	if (labels < 2)
		return whyf(why, whylen, "needs at least two labels%s (as in "
		    "\"example.com\")", name != pattern ? " after \"*.\"" : "");
	return true;
}

/* Two patterns alike but for ASCII case and a trailing dot. */
static bool
same_pattern(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la > 0 && a[la - 1] == '.';
	lb -= lb > 0 && b[lb - 1] == '.';
	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++) {
		char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
		char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];

		if (x != y)
			return false;
	}
	return true;
}

/* A peer's domainNames: 1..POLICY_DOMAINS_MAX valid patterns, a set. */
static int
check_domains(const char *const *names, size_t n, const char *obj,
    const char *path, char *err, size_t errlen)
{
	char why[WHY_MAX];

	if (n < 1 || n > POLICY_DOMAINS_MAX)
		return fail(err, errlen, "%s: %s.domainNames has %zu entries, "
		    "needs 1 to %d", obj, path, n, POLICY_DOMAINS_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *p = names[i];

		if (!policy_domain_pattern_valid(p, why, sizeof(why)))
			return fail(err, errlen, "%s: %s.domainNames[%zu]: "
			    "\"%.64s%s\" %s", obj, path, i, str(p),
			    p != NULL && strlen(p) > 64 ? "..." : "", why);
		for (size_t j = 0; j < i; j++) {
			if (same_pattern(p, names[j]))
				return fail(err, errlen, "%s: "
				    "%s.domainNames[%zu]: \"%s\" repeats "
				    "domainNames[%zu]", obj, path, i, p, j);
		}
	}
	return 0;
}

static bool
proto_ok(int p)
{
	return p == 0 || p == IPPROTO_TCP || p == IPPROTO_UDP ||
	    p == IPPROTO_SCTP;
}

static const char *
dir_name(enum policy_dir dir)
{
	return dir == POLICY_INGRESS ? "ingress" : "egress";
}

static const char *
peers_name(enum policy_dir dir)
{
	return dir == POLICY_INGRESS ? "from" : "to";
}

/*
 * A prefix of the model: IPv4 or IPv6, a length that fits, no host bits.
 * Returns false with the reason in why.
 */
static bool
prefix_ok(const struct sluice_prefix *p, char *why, size_t whylen)
{
	size_t alen = sluice_addr_len(p->addr.family);
	struct sluice_prefix masked = *p;
	char a[SLUICE_PREFIXSTRLEN], b[SLUICE_PREFIXSTRLEN];

	if (alen == 0) {
		snprintf(why, whylen,
		    "address family %d is neither IPv4 nor IPv6",
		    p->addr.family);
		return false;
	}
	if (p->len > alen * 8) {
		snprintf(why, whylen, "prefix length %u is longer than %zu",
		    (unsigned int)p->len, alen * 8);
		return false;
	}
	for (size_t i = 0; i < alen; i++) {
		size_t bit = i * 8;
		uint8_t keep;

		if (bit >= p->len)
			keep = 0;
		else if (bit + 8 <= p->len)
			keep = 0xff;
		else
			keep = (uint8_t)(0xff << (8 - (p->len - bit)));
		masked.addr.u.b[i] &= keep;
	}
	if (memcmp(masked.addr.u.b, p->addr.u.b, alen) != 0) {
		snprintf(why, whylen, "%s has host bits set (the loader masks "
		    "them to %s)", sluice_prefix_str(p, a, sizeof(a)),
		    sluice_prefix_str(&masked, b, sizeof(b)));
		return false;
	}
	return true;
}

/* A label selector, when present: its shape rules (§1.1). */
static int
check_sel(const struct sluice_selector *sel, const char *obj, const char *path,
    char *err, size_t errlen)
{
	char why[WHY_MAX];

	if (sel == NULL || sluice_selector_validate(sel, why, sizeof(why)) == 0)
		return 0;
	return fail(err, errlen, "%s: %s: %s", obj, path, why);
}

/* Keys non-empty and unique, values present (matching needs unique keys). */
static int
check_labels(const struct sluice_label *l, size_t n, const char *obj,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (l[i].key == NULL || l[i].key[0] == '\0' ||
		    l[i].value == NULL)
			return fail(err, errlen,
			    "%s: metadata.labels[%zu] has an empty key or no "
			    "value", obj, i);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(l[i].key, l[j].key) == 0)
				return fail(err, errlen,
				    "%s: metadata.labels: key \"%s\" appears "
				    "twice", obj, l[i].key);
		}
	}
	return 0;
}

/* ---- NetworkPolicy -------------------------------------------------- */

unsigned int
policy_np_types(const struct policy_np *np)
{
	unsigned int t = 0;

	if (np->npolicy_types == 0)
		return POLICY_INGRESS | (np->negress > 0 ? POLICY_EGRESS : 0);
	for (size_t i = 0; i < np->npolicy_types; i++)
		t |= (unsigned int)np->policy_types[i];
	return t & (POLICY_INGRESS | POLICY_EGRESS);
}

static int
check_np_port(const struct policy_np_port *p, const char *obj,
    const char *path, char *err, size_t errlen)
{
	if (!proto_ok(p->protocol))
		return fail(err, errlen,
		    "%s: %s: protocol %d is not TCP, UDP or SCTP", obj, path,
		    p->protocol);
	if (p->has_port && p->name != NULL && !port_name_ok(p->name))
		return fail(err, errlen,
		    "%s: %s: port \"%s\" is neither a number nor a port name "
		    "(1 to 15 of a-z, 0-9 and '-', at least one letter, no "
		    "leading, trailing or doubled '-')", obj, path, p->name);
	if (p->has_port && p->name == NULL && (p->port < 1 || p->port > 65535))
		return fail(err, errlen, "%s: %s: port %d is outside 1-65535",
		    obj, path, (int)p->port);
	if (!p->has_end_port)
		return 0;
	if (!p->has_port)
		return fail(err, errlen,
		    "%s: %s: endPort %d needs a numeric port", obj, path,
		    (int)p->end_port);
	if (p->name != NULL)
		return fail(err, errlen,
		    "%s: %s: endPort %d cannot be used with the named port "
		    "\"%s\"", obj, path, (int)p->end_port, p->name);
	if (p->end_port < 1 || p->end_port > 65535)
		return fail(err, errlen,
		    "%s: %s: endPort %d is outside 1-65535", obj, path,
		    (int)p->end_port);
	if (p->end_port < p->port)
		return fail(err, errlen, "%s: %s: endPort %d is below port %d",
		    obj, path, (int)p->end_port, (int)p->port);
	return 0;
}

static int
check_ip_block(const struct policy_ip_block *b, const char *obj,
    const char *path, char *err, size_t errlen)
{
	char why[WHY_MAX], c[SLUICE_PREFIXSTRLEN], e[SLUICE_PREFIXSTRLEN];

	if (!prefix_ok(&b->cidr, why, sizeof(why)))
		return fail(err, errlen, "%s: %s.ipBlock.cidr: %s", obj, path,
		    why);
	if (b->nexcept > POLICY_NP_MAX)
		return fail(err, errlen,
		    "%s: %s.ipBlock.except: %zu entries, at most %d", obj,
		    path, b->nexcept, POLICY_NP_MAX);
	for (size_t i = 0; i < b->nexcept; i++) {
		const struct sluice_prefix *x = &b->except[i];

		if (!prefix_ok(x, why, sizeof(why)))
			return fail(err, errlen, "%s: %s.ipBlock.except[%zu]: "
			    "%s", obj, path, i, why);
		if (!sluice_prefix_contains(&b->cidr, &x->addr) ||
		    x->len <= b->cidr.len)
			return fail(err, errlen, "%s: %s.ipBlock.except[%zu]: "
			    "%s is not a strict subset of cidr %s", obj, path,
			    i, sluice_prefix_str(x, e, sizeof(e)),
			    sluice_prefix_str(&b->cidr, c, sizeof(c)));
	}
	return 0;
}

static int
check_np_peer(const struct policy_np_peer *x, enum policy_dir dir,
    const char *obj, const char *path, char *err, size_t errlen)
{
	char sub[PATH_MAX_];
	int n, r;

	n = (x->pod_selector != NULL) + (x->namespace_selector != NULL) +
	    (x->ip_block != NULL) + (x->network_set_selector != NULL) +
	    (x->global_network_set_selector != NULL) +
	    (x->domain_names != NULL);
	if (n == 0)
		return fail(err, errlen, "%s: %s: must specify a peer "
		    "(podSelector, namespaceSelector, ipBlock, "
		    "networkSetSelector, globalNetworkSetSelector or "
		    "domainNames)", obj, path);
	if (x->ip_block != NULL && n > 1)
		return fail(err, errlen, "%s: %s: may not specify both ipBlock "
		    "and another peer", obj, path);
	if (x->network_set_selector != NULL && n > 1)
		return fail(err, errlen, "%s: %s: may not specify both "
		    "networkSetSelector and another peer", obj, path);
	if (x->global_network_set_selector != NULL && n > 1)
		return fail(err, errlen, "%s: %s: may not specify both "
		    "globalNetworkSetSelector and another peer", obj, path);
	if (x->domain_names != NULL && n > 1)
		return fail(err, errlen, "%s: %s: may not specify both "
		    "domainNames and another peer", obj, path);
	/*
	 * Bindings come from the answers to the subject pod's own queries:
	 * they say where it connects to, never who connects to it.
	 */
	if (x->domain_names != NULL && dir == POLICY_INGRESS)
		return fail(err, errlen, "%s: %s: domainNames is an egress "
		    "peer only: a pod's DNS answers name where it connects "
		    "to, not who connects to it", obj, path);
	pathf(sub, sizeof(sub), "%s.podSelector", path);
	if ((r = check_sel(x->pod_selector, obj, sub, err, errlen)) != 0)
		return r;
	pathf(sub, sizeof(sub), "%s.namespaceSelector", path);
	if ((r = check_sel(x->namespace_selector, obj, sub, err, errlen)) != 0)
		return r;
	pathf(sub, sizeof(sub), "%s.networkSetSelector", path);
	if ((r = check_sel(x->network_set_selector, obj, sub, err,
	    errlen)) != 0)
		return r;
	pathf(sub, sizeof(sub), "%s.globalNetworkSetSelector", path);
	if ((r = check_sel(x->global_network_set_selector, obj, sub, err,
	    errlen)) != 0)
		return r;
	if (x->domain_names != NULL)
		return check_domains(x->domain_names, x->ndomain_names, obj,
		    path, err, errlen);
	if (x->ip_block != NULL)
		return check_ip_block(x->ip_block, obj, path, err, errlen);
	return 0;
}

static int
check_np_rules(const struct policy_np_rule *rules, size_t n,
    enum policy_dir dir, const char *obj, char *err, size_t errlen)
{
	char path[PATH_MAX_], sub[PATH_MAX_];
	int r;

	if (n > POLICY_NP_MAX)
		return fail(err, errlen, "%s: spec.%s: %zu rules, at most %d",
		    obj, dir_name(dir), n, POLICY_NP_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct policy_np_rule *rule = &rules[i];

		pathf(path, sizeof(path), "spec.%s[%zu]", dir_name(dir), i);
		if (rule->nports > POLICY_NP_MAX)
			return fail(err, errlen, "%s: %s.ports: %zu entries, "
			    "at most %d", obj, path, rule->nports,
			    POLICY_NP_MAX);
		if (rule->npeers > POLICY_NP_MAX)
			return fail(err, errlen, "%s: %s.%s: %zu peers, at "
			    "most %d", obj, path, peers_name(dir),
			    rule->npeers, POLICY_NP_MAX);
		for (size_t j = 0; j < rule->nports; j++) {
			pathf(sub, sizeof(sub), "%s.ports[%zu]", path, j);
			r = check_np_port(&rule->ports[j], obj, sub, err,
			    errlen);
			if (r != 0)
				return r;
		}
		for (size_t j = 0; j < rule->npeers; j++) {
			pathf(sub, sizeof(sub), "%s.%s[%zu]", path,
			    peers_name(dir), j);
			r = check_np_peer(&rule->peers[j], dir, obj, sub,
			    err, errlen);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

int
policy_np_validate(const struct policy_np *np, char *err, size_t errlen)
{
	char obj[OBJ_MAX];
	int r;

	snprintf(obj, sizeof(obj), "NetworkPolicy %s/%s", str(np->namespace),
	    str(np->name));
	if (!dns_subdomain(np->name))
		return fail(err, errlen, "%s: metadata.name \"%s\" is not a "
		    "DNS-1123 subdomain (at most 253 of a-z, 0-9, '-' and "
		    "'.', starting and ending with a letter or digit)", obj,
		    str(np->name));
	if (!dns_label(np->namespace, 63))
		return fail(err, errlen, "%s: metadata.namespace \"%s\" is not "
		    "a DNS-1123 label (at most 63 of a-z, 0-9 and '-')", obj,
		    str(np->namespace));
	r = check_sel(np->pod_selector, obj, "spec.podSelector", err, errlen);
	if (r != 0)
		return r;
	if (np->npolicy_types > 2)
		return fail(err, errlen, "%s: spec.policyTypes: %zu items, at "
		    "most 2 (Ingress, Egress)", obj, np->npolicy_types);
	for (size_t i = 0; i < np->npolicy_types; i++) {
		enum policy_dir t = np->policy_types[i];

		if (t != POLICY_INGRESS && t != POLICY_EGRESS)
			return fail(err, errlen, "%s: spec.policyTypes[%zu]: "
			    "%d is neither Ingress nor Egress", obj, i,
			    (int)t);
	}
	r = check_np_rules(np->ingress, np->ningress, POLICY_INGRESS, obj, err,
	    errlen);
	if (r != 0)
		return r;
	return check_np_rules(np->egress, np->negress, POLICY_EGRESS, obj, err,
	    errlen);
}

/* ---- AdminNetworkPolicy, BaselineAdminNetworkPolicy ------------------ */

static int
check_pods(const struct policy_anp_pods *p, const char *obj,
    const char *path, char *err, size_t errlen)
{
	char sub[PATH_MAX_];
	int r;

	if (p->namespace_selector == NULL)
		return fail(err, errlen, "%s: %s.namespaceSelector is required",
		    obj, path);
	if (p->pod_selector == NULL)
		return fail(err, errlen, "%s: %s.podSelector is required", obj,
		    path);
	pathf(sub, sizeof(sub), "%s.namespaceSelector", path);
	if ((r = check_sel(p->namespace_selector, obj, sub, err, errlen)) != 0)
		return r;
	pathf(sub, sizeof(sub), "%s.podSelector", path);
	return check_sel(p->pod_selector, obj, sub, err, errlen);
}

static int
check_subject(const struct policy_anp_subject *s, const char *obj,
    char *err, size_t errlen)
{
	int n = (s->namespaces != NULL) + (s->pods != NULL);

	if (n != 1)
		return fail(err, errlen, "%s: spec.subject: set exactly one of "
		    "namespaces and pods (%d set)", obj, n);
	if (s->pods != NULL)
		return check_pods(s->pods, obj, "spec.subject.pods", err,
		    errlen);
	return check_sel(s->namespaces, obj, "spec.subject.namespaces", err,
	    errlen);
}

static int
check_anp_port(const struct policy_anp_port *p, const char *obj,
    const char *path, char *err, size_t errlen)
{
	int n = (p->port_number != NULL) + (p->port_range != NULL) +
	    (p->named_port != NULL);

	if (n != 1)
		return fail(err, errlen, "%s: %s: set exactly one of "
		    "portNumber, portRange and namedPort (%d set)", obj, path,
		    n);
	if (p->port_number != NULL) {
		const struct policy_anp_port_number *q = p->port_number;

		if (!proto_ok(q->protocol))
			return fail(err, errlen, "%s: %s.portNumber: protocol "
			    "%d is not TCP, UDP or SCTP", obj, path,
			    q->protocol);
		if (q->port < 1 || q->port > 65535)
			return fail(err, errlen, "%s: %s.portNumber: port %d "
			    "is outside 1-65535", obj, path, (int)q->port);
	} else if (p->port_range != NULL) {
		const struct policy_anp_port_range *q = p->port_range;

		if (!proto_ok(q->protocol))
			return fail(err, errlen, "%s: %s.portRange: protocol "
			    "%d is not TCP, UDP or SCTP", obj, path,
			    q->protocol);
		if (q->start < 1 || q->start > 65535 || q->end < 1 ||
		    q->end > 65535)
			return fail(err, errlen, "%s: %s.portRange: %d-%d is "
			    "outside 1-65535", obj, path, (int)q->start,
			    (int)q->end);
		if (q->start >= q->end)
			return fail(err, errlen, "%s: %s.portRange: start %d "
			    "must be less than end %d", obj, path,
			    (int)q->start, (int)q->end);
	} else if (!port_name_ok(p->named_port)) {
		return fail(err, errlen, "%s: %s.namedPort \"%s\" is not a "
		    "port name (1 to 15 of a-z, 0-9 and '-', at least one "
		    "letter)", obj, path, p->named_port);
	}
	return 0;
}

static int
check_networks(const struct policy_anp_peer *x, const char *obj,
    const char *path, char *err, size_t errlen)
{
	char why[WHY_MAX], a[SLUICE_PREFIXSTRLEN];

	if (x->nnetworks < 1 || x->nnetworks > POLICY_ANP_NETWORKS_MAX)
		return fail(err, errlen, "%s: %s.networks has %zu entries, "
		    "needs 1 to %d", obj, path, x->nnetworks,
		    POLICY_ANP_NETWORKS_MAX);
	for (size_t i = 0; i < x->nnetworks; i++) {
		const struct sluice_prefix *p = &x->networks[i];

		if (!prefix_ok(p, why, sizeof(why)))
			return fail(err, errlen, "%s: %s.networks[%zu]: %s",
			    obj, path, i, why);
		for (size_t j = 0; j < i; j++) {
			if (p->len == x->networks[j].len &&
			    sluice_addr_eq(&p->addr, &x->networks[j].addr))
				return fail(err, errlen,
				    "%s: %s.networks[%zu]: %s repeats "
				    "networks[%zu]", obj, path, i,
				    sluice_prefix_str(p, a, sizeof(a)), j);
		}
	}
	return 0;
}

static int
check_anp_peer(const struct policy_anp_peer *x, enum policy_dir dir,
    const char *obj, const char *path, char *err, size_t errlen)
{
	char sub[PATH_MAX_];
	int n, r;

	if (dir == POLICY_INGRESS) {
		const char *f = x->networks != NULL ? "networks" :
		    x->nodes != NULL ? "nodes" :
		    x->network_sets != NULL ? "networkSets" :
		    x->domain_names != NULL ? "domainNames" : NULL;

		if (f != NULL)
			return fail(err, errlen, "%s: %s: %s is an egress "
			    "peer only (ingress peers are namespaces or pods)",
			    obj, path, f);
	}
	n = (x->namespaces != NULL) + (x->pods != NULL) +
	    (x->networks != NULL) + (x->nodes != NULL) +
	    (x->network_sets != NULL) + (x->domain_names != NULL);
	if (n != 1)
		return fail(err, errlen, "%s: %s: set exactly one of %s (%d "
		    "set)", obj, path, dir == POLICY_INGRESS ?
		    "namespaces and pods" :
		    "namespaces, pods, networks, nodes, networkSets and "
		    "domainNames", n);
	if (x->pods != NULL) {
		pathf(sub, sizeof(sub), "%s.pods", path);
		return check_pods(x->pods, obj, sub, err, errlen);
	}
	if (x->networks != NULL)
		return check_networks(x, obj, path, err, errlen);
	if (x->domain_names != NULL)
		return check_domains(x->domain_names, x->ndomain_names, obj,
		    path, err, errlen);
	pathf(sub, sizeof(sub), "%s.namespaces", path);
	if ((r = check_sel(x->namespaces, obj, sub, err, errlen)) != 0)
		return r;
	pathf(sub, sizeof(sub), "%s.nodes", path);
	if ((r = check_sel(x->nodes, obj, sub, err, errlen)) != 0)
		return r;
	pathf(sub, sizeof(sub), "%s.networkSets", path);
	return check_sel(x->network_sets, obj, sub, err, errlen);
}

static int
check_anp_rules(const struct policy_anp_rule *rules, size_t n,
    enum policy_dir dir, bool banp, const char *obj, char *err,
    size_t errlen)
{
	char path[PATH_MAX_], sub[PATH_MAX_];
	const char *pn = peers_name(dir);
	int r;

	if (n > POLICY_ANP_RULES_MAX)
		return fail(err, errlen, "%s: spec.%s: %zu rules, at most %d",
		    obj, dir_name(dir), n, POLICY_ANP_RULES_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct policy_anp_rule *rule = &rules[i];
		bool named = false;

		pathf(path, sizeof(path), "spec.%s[%zu]", dir_name(dir), i);
		if (rule->name != NULL &&
		    strlen(rule->name) > POLICY_RULE_NAME_MAX)
			return fail(err, errlen, "%s: %s.name is %zu "
			    "characters, at most %d", obj, path,
			    strlen(rule->name), POLICY_RULE_NAME_MAX);
		if (banp && rule->action != POLICY_ACTION_ALLOW &&
		    rule->action != POLICY_ACTION_DENY)
			return fail(err, errlen, "%s: %s.action: a "
			    "BaselineAdminNetworkPolicy rule is Allow or Deny "
			    "(%s)", obj, path,
			    rule->action == POLICY_ACTION_PASS ?
			    "Pass is for AdminNetworkPolicy" : "unknown value");
		if (!banp && rule->action != POLICY_ACTION_ALLOW &&
		    rule->action != POLICY_ACTION_DENY &&
		    rule->action != POLICY_ACTION_PASS)
			return fail(err, errlen, "%s: %s.action %d is not "
			    "Allow, Deny or Pass", obj, path,
			    (int)rule->action);
		if (rule->peers == NULL)
			return fail(err, errlen, "%s: %s.%s is required", obj,
			    path, pn);
		if (rule->npeers < 1 || rule->npeers > POLICY_ANP_RULES_MAX)
			return fail(err, errlen, "%s: %s.%s has %zu peers, "
			    "needs 1 to %d", obj, path, pn, rule->npeers,
			    POLICY_ANP_RULES_MAX);
		if (rule->ports != NULL && (rule->nports < 1 ||
		    rule->nports > POLICY_ANP_RULES_MAX))
			return fail(err, errlen, "%s: %s.ports has %zu "
			    "entries, needs 1 to %d (leave it out for every "
			    "port)", obj, path, rule->nports,
			    POLICY_ANP_RULES_MAX);
		for (size_t j = 0; rule->ports != NULL && j < rule->nports;
		    j++) {
			pathf(sub, sizeof(sub), "%s.ports[%zu]", path, j);
			r = check_anp_port(&rule->ports[j], obj, sub, err,
			    errlen);
			if (r != 0)
				return r;
			named |= rule->ports[j].named_port != NULL;
		}
		for (size_t j = 0; j < rule->npeers; j++) {
			const struct policy_anp_peer *x = &rule->peers[j];

			pathf(sub, sizeof(sub), "%s.%s[%zu]", path, pn, j);
			r = check_anp_peer(x, dir, obj, sub, err, errlen);
			if (r != 0)
				return r;
			if (named && (x->networks != NULL ||
			    x->nodes != NULL || x->network_sets != NULL ||
			    x->domain_names != NULL))
				return fail(err, errlen, "%s: %s: a namedPort "
				    "cannot be used with a networks, nodes, "
				    "networkSets or domainNames peer: they "
				    "have no named ports", obj, sub);
			/*
			 * NPEP-133: the addresses of a name are only those
			 * the pod was told, never all of them, so a Deny
			 * by name leaves the others open, and a Pass would
			 * skip the admin tier for an unknown set.
			 */
			if (x->domain_names != NULL &&
			    rule->action != POLICY_ACTION_ALLOW)
				return fail(err, errlen, "%s: %s: domainNames "
				    "is for Allow rules only: the addresses a "
				    "name resolves to are never completely "
				    "known, so a %s by name would miss some of "
				    "them", obj, sub,
				    rule->action == POLICY_ACTION_PASS ?
				    "Pass" : "Deny");
		}
	}
	return 0;
}

int
policy_anp_validate(const struct policy_anp *anp, char *err, size_t errlen)
{
	char obj[OBJ_MAX];
	int r;

	snprintf(obj, sizeof(obj), "AdminNetworkPolicy %s", str(anp->name));
	if (!dns_subdomain(anp->name))
		return fail(err, errlen, "%s: metadata.name \"%s\" is not a "
		    "DNS-1123 subdomain", obj, str(anp->name));
	if (anp->priority < 0 || anp->priority > POLICY_ANP_PRIORITY_MAX)
		return fail(err, errlen, "%s: spec.priority %d is outside "
		    "0-%d", obj, (int)anp->priority, POLICY_ANP_PRIORITY_MAX);
	if ((r = check_subject(&anp->subject, obj, err, errlen)) != 0)
		return r;
	r = check_anp_rules(anp->ingress, anp->ningress, POLICY_INGRESS, false,
	    obj, err, errlen);
	if (r != 0)
		return r;
	return check_anp_rules(anp->egress, anp->negress, POLICY_EGRESS, false,
	    obj, err, errlen);
}

int
policy_banp_validate(const struct policy_banp *banp, char *err,
    size_t errlen)
{
	char obj[OBJ_MAX];
	int r;

	snprintf(obj, sizeof(obj), "BaselineAdminNetworkPolicy %s",
	    str(banp->name));
	if (banp->name == NULL || strcmp(banp->name, "default") != 0)
		return fail(err, errlen, "%s: metadata.name must be "
		    "\"default\": only one BaselineAdminNetworkPolicy, named "
		    "default, can exist", obj);
	if ((r = check_subject(&banp->subject, obj, err, errlen)) != 0)
		return r;
	r = check_anp_rules(banp->ingress, banp->ningress, POLICY_INGRESS,
	    true, obj, err, errlen);
	if (r != 0)
		return r;
	return check_anp_rules(banp->egress, banp->negress, POLICY_EGRESS,
	    true, obj, err, errlen);
}

/* ---- NetworkSet, GlobalNetworkSet ----------------------------------- */

int
policy_netset_validate(const struct policy_netset *set, char *err,
    size_t errlen)
{
	char obj[OBJ_MAX], why[WHY_MAX];
	int r;

	if (set->namespace != NULL)
		snprintf(obj, sizeof(obj), "NetworkSet %s/%s", set->namespace,
		    str(set->name));
	else
		snprintf(obj, sizeof(obj), "GlobalNetworkSet %s",
		    str(set->name));
	if (!dns_subdomain(set->name))
		return fail(err, errlen, "%s: metadata.name \"%s\" is not a "
		    "DNS-1123 subdomain", obj, str(set->name));
	if (set->namespace != NULL && !dns_label(set->namespace, 63))
		return fail(err, errlen, "%s: metadata.namespace \"%s\" is not "
		    "a DNS-1123 label", obj, set->namespace);
	if ((r = check_labels(set->labels, set->nlabels, obj, err,
	    errlen)) != 0)
		return r;
	if (set->nnets > POLICY_NETSET_NETS_MAX)
		return fail(err, errlen, "%s: spec.nets: %zu entries, at most "
		    "%d", obj, set->nnets, POLICY_NETSET_NETS_MAX);
	for (size_t i = 0; i < set->nnets; i++) {
		if (!prefix_ok(&set->nets[i], why, sizeof(why)))
			return fail(err, errlen, "%s: spec.nets[%zu]: %s", obj,
			    i, why);
	}
	return 0;
}

/* ---- the world ------------------------------------------------------ */

struct report {
	policy_problem_cb *cb;
	void *arg;
	char *err;
	size_t errlen;
	size_t n;
};

/* Records one problem: to the callback, and to err if it is the first. */
static void
note(struct report *rep, const char *problem)
{
	if (rep->n++ == 0 && rep->err != NULL && rep->errlen > 0)
		snprintf(rep->err, rep->errlen, "%s", problem);
	if (rep->cb != NULL)
		rep->cb(rep->arg, problem);
}

static void notef(struct report *rep, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
notef(struct report *rep, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note(rep, buf);
}

static bool
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const struct policy_namespace *
find_ns(const struct policy_world *w, const char *name)
{
	for (size_t i = 0; i < w->nnamespaces; i++) {
		if (streq(w->namespaces[i].name, name))
			return &w->namespaces[i];
	}
	return NULL;
}

static void
check_namespaces(const struct policy_world *w, struct report *rep)
{
	char obj[OBJ_MAX], buf[1024];

	for (size_t i = 0; i < w->nnamespaces; i++) {
		const struct policy_namespace *ns = &w->namespaces[i];
		bool named = false;

		snprintf(obj, sizeof(obj), "Namespace %s", str(ns->name));
		if (!dns_label(ns->name, 63)) {
			notef(rep, "%s: metadata.name is not a DNS-1123 label",
			    obj);
			continue;
		}
		if (check_labels(ns->labels, ns->nlabels, obj, buf,
		    sizeof(buf)) != 0) {
			note(rep, buf);
			continue;
		}
		for (size_t j = 0; j < ns->nlabels; j++) {
			if (strcmp(ns->labels[j].key, POLICY_NS_NAME_LABEL) ==
			    0)
				named = streq(ns->labels[j].value, ns->name);
		}
		if (!named)
			notef(rep, "%s: metadata.labels must carry %s=%s", obj,
			    POLICY_NS_NAME_LABEL, ns->name);
		for (size_t j = 0; j < i; j++) {
			if (streq(w->namespaces[j].name, ns->name))
				notef(rep, "%s: defined twice", obj);
		}
	}
}

static void
check_pods_world(const struct policy_world *w, struct report *rep)
{
	char obj[OBJ_MAX], buf[1024], a[SLUICE_ADDRSTRLEN];

	for (size_t i = 0; i < w->npods; i++) {
		const struct policy_pod *p = &w->pods[i];

		snprintf(obj, sizeof(obj), "Pod %s/%s", str(p->namespace),
		    str(p->name));
		if (p->name == NULL || p->name[0] == '\0')
			notef(rep, "%s: metadata.name is empty", obj);
		if (find_ns(w, p->namespace) == NULL)
			notef(rep, "%s: namespace %s does not exist", obj,
			    str(p->namespace));
		if (check_labels(p->labels, p->nlabels, obj, buf,
		    sizeof(buf)) != 0)
			note(rep, buf);
		if (p->nips == 0)
			notef(rep, "%s: has no address", obj);
		for (size_t k = 0; k < i; k++) {
			if (streq(w->pods[k].namespace, p->namespace) &&
			    streq(w->pods[k].name, p->name))
				notef(rep, "%s: defined twice", obj);
		}
		for (size_t j = 0; j < p->nports; j++) {
			const struct policy_container_port *c = &p->ports[j];

			if (!proto_ok(c->protocol) || c->port == 0)
				notef(rep, "%s: containerPorts[%zu]: port "
				    "%u/%d is not a TCP, UDP or SCTP port in "
				    "1-65535", obj, j, (unsigned int)c->port,
				    c->protocol);
		}
		for (size_t j = 0; j < p->nips; j++) {
			if (sluice_addr_len(p->ips[j].family) == 0) {
				notef(rep, "%s: ips[%zu] is neither IPv4 nor "
				    "IPv6", obj, j);
				continue;
			}
			for (size_t k = 0; k < i; k++) {
				const struct policy_pod *q = &w->pods[k];

				for (size_t m = 0; m < q->nips; m++) {
					if (!sluice_addr_eq(&p->ips[j],
					    &q->ips[m]))
						continue;
					notef(rep, "%s: address %s is also pod "
					    "%s/%s's", obj,
					    sluice_addr_str(&p->ips[j], a,
					    sizeof(a)), str(q->namespace),
					    str(q->name));
				}
			}
		}
	}
}

static void
check_nodes(const struct policy_world *w, struct report *rep)
{
	char obj[OBJ_MAX], buf[1024];

	for (size_t i = 0; i < w->nnodes; i++) {
		const struct policy_node *n = &w->nodes[i];

		snprintf(obj, sizeof(obj), "Node %s", str(n->name));
		if (!dns_subdomain(n->name))
			notef(rep, "%s: metadata.name is not a DNS-1123 "
			    "subdomain", obj);
		if (check_labels(n->labels, n->nlabels, obj, buf,
		    sizeof(buf)) != 0)
			note(rep, buf);
		for (size_t j = 0; j < n->naddrs; j++) {
			if (sluice_addr_len(n->addrs[j].family) == 0)
				notef(rep, "%s: status.addresses[%zu] is "
				    "neither IPv4 nor IPv6", obj, j);
		}
		for (size_t j = 0; j < i; j++) {
			if (streq(w->nodes[j].name, n->name))
				notef(rep, "%s: defined twice", obj);
		}
	}
}

static void
check_policies(const struct policy_world *w, struct report *rep)
{
	char buf[1024];

	for (size_t i = 0; i < w->nnps; i++) {
		const struct policy_np *np = &w->nps[i];

		if (policy_np_validate(np, buf, sizeof(buf)) != 0)
			note(rep, buf);
		for (size_t j = 0; j < i; j++) {
			if (streq(w->nps[j].namespace, np->namespace) &&
			    streq(w->nps[j].name, np->name))
				notef(rep, "NetworkPolicy %s/%s: defined "
				    "twice", str(np->namespace),
				    str(np->name));
		}
	}
	for (size_t i = 0; i < w->nanps; i++) {
		if (policy_anp_validate(&w->anps[i], buf, sizeof(buf)) != 0)
			note(rep, buf);
		for (size_t j = 0; j < i; j++) {
			if (streq(w->anps[j].name, w->anps[i].name))
				notef(rep, "AdminNetworkPolicy %s: defined "
				    "twice", str(w->anps[i].name));
		}
	}
	if (w->nbanps > 1)
		notef(rep, "BaselineAdminNetworkPolicy: %zu given, only one "
		    "(named default) can exist", w->nbanps);
	for (size_t i = 0; i < w->nbanps; i++) {
		if (policy_banp_validate(&w->banps[i], buf, sizeof(buf)) != 0)
			note(rep, buf);
	}
}

static void
check_netsets(const struct policy_netset *sets, size_t n, bool global,
    struct report *rep)
{
	char buf[1024];

	for (size_t i = 0; i < n; i++) {
		const struct policy_netset *s = &sets[i];

		if (global && s->namespace != NULL) {
			notef(rep, "GlobalNetworkSet %s: is cluster-scoped and "
			    "has no namespace (%s)", str(s->name),
			    s->namespace);
			continue;
		}
		if (!global && s->namespace == NULL) {
			notef(rep, "NetworkSet %s: metadata.namespace is "
			    "required", str(s->name));
			continue;
		}
		if (policy_netset_validate(s, buf, sizeof(buf)) != 0)
			note(rep, buf);
		for (size_t j = 0; j < i; j++) {
			if (streq(sets[j].name, s->name) && (global ||
			    streq(sets[j].namespace, s->namespace)))
				notef(rep, "%s %s%s%s: defined twice",
				    global ? "GlobalNetworkSet" : "NetworkSet",
				    global ? "" : s->namespace,
				    global ? "" : "/", str(s->name));
		}
	}
}

int
policy_world_validate(const struct policy_world *w,
    policy_problem_cb *on_problem, void *arg, char *err, size_t errlen)
{
	struct report rep = {
		.cb = on_problem, .arg = arg, .err = err, .errlen = errlen,
	};

	check_namespaces(w, &rep);
	check_pods_world(w, &rep);
	check_nodes(w, &rep);
	check_policies(w, &rep);
	check_netsets(w->netsets, w->nnetsets, false, &rep);
	check_netsets(w->global_netsets, w->nglobal_netsets, true, &rep);
	return rep.n == 0 ? 0 : -EINVAL;
}
