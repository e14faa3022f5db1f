/*
 * policy_yaml_test.c - router/policy_yaml.c: NetworkPolicy,
 * AdminNetworkPolicy, BaselineAdminNetworkPolicy, NetworkSet and
 * GlobalNetworkSet documents into the policy model, field by field (with
 * the absent/empty cases of policy/SEMANTICS.md §3), and refused
 * documents with their exact error lines.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/policy_yaml.h"
#include "tests/unit/check.h"

/* The envelope; spec's content starts on line 7. */
#define HDR                                                                   \
	"apiVersion: networking.k8s.io/v1\n"                                  \
	"kind: NetworkPolicy\n"                                               \
	"metadata:\n"                                                         \
	"  name: web\n"                                                       \
	"  namespace: shop\n"                                                 \
	"spec:\n"

struct result {
	int rc;
	char *errs;
	size_t nlines;
	struct policy_yaml_np *y;
};

/* Parses text (in an allocation of exactly its size, for ASan). */
static struct result
parse(const char *text)
{
	struct policy_yaml_np *again;
	struct result r;
	size_t len = 0, n = strlen(text);
	char *copy = malloc(n ? n : 1);
	FILE *f;

	ASSERT(copy != NULL);
	memcpy(copy, text, n);
	f = open_memstream(&r.errs, &len);
	ASSERT(f != NULL);
	r.rc = policy_yaml_np_parse("p.yaml", (const unsigned char *)copy, n,
	    f, &r.y);
	ASSERT_OK(fclose(f));
	r.nlines = 0;
	for (const char *p = r.errs; *p != '\0'; p++)
		r.nlines += *p == '\n';
	ASSERT((r.rc == 0) == (r.y != NULL));
	ASSERT((r.rc == 0) == (r.nlines == 0));
	/* The verdict does not depend on having somewhere to write. */
	ASSERT_EQ(policy_yaml_np_parse("p.yaml", (const unsigned char *)copy,
	    n, NULL, &again), r.rc);
	policy_yaml_np_destroy(again);
	free(copy);
	return r;
}

/* Parses a document that must be accepted; returns its model. */
static const struct policy_np *
good(struct result *r, const char *text)
{
	*r = parse(text);
	if (r->rc != 0)
		CHECK_FAIL("refused:\n%s", r->errs);
	return policy_yaml_np_get(r->y);
}

static void
done(struct result *r)
{
	policy_yaml_np_destroy(r->y);
	free(r->errs);
}

/* Expects a refusal with exactly these error lines. */
static void
expect_lines(const char *text, const char *const lines[], size_t n)
{
	struct result r = parse(text);
	const char *p = r.errs;

	ASSERT_EQ(r.rc, -EINVAL);
	if (r.nlines != n)
		CHECK_FAIL("want %zu lines, got %zu:\n%s", n, r.nlines, r.errs);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		if (strncmp(p, lines[i], l) != 0 || p[l] != '\n')
			CHECK_FAIL("line %zu: want\n  %s\ngot\n  %.*s", i + 1,
			    lines[i], (int)(strchr(p, '\n') - p), p);
		p += l + 1;
	}
	done(&r);
}

#define REFUSED(text, ...)                                                    \
	do {                                                                  \
		const char *const l_[] = { __VA_ARGS__ };                     \
		expect_lines((text), l_, sizeof(l_) / sizeof(l_[0]));         \
	} while (0)

static void
expect_label(const struct sluice_selector *s, size_t i, const char *k,
    const char *v)
{
	ASSERT(s != NULL && i < s->nmatch_labels);
	ASSERT_STR_EQ(s->match_labels[i].key, k);
	ASSERT_STR_EQ(s->match_labels[i].value, v);
}

static void
expect_prefix(const struct sluice_prefix *p, const char *want)
{
	char buf[SLUICE_PREFIXSTRLEN];

	ASSERT_STR_EQ(sluice_prefix_str(p, buf, sizeof(buf)), want);
}

/* The documentation's example, extended with every kind of peer and port. */
static void
test_full(void)
{
	const struct policy_np *np;
	const struct policy_np_rule *r;
	const struct policy_np_peer *x;
	struct result res;

	np = good(&res, HDR
	    "  podSelector:\n"
	    "    matchLabels: {role: db}\n"
	    "    matchExpressions:\n"
	    "    - {key: tier, operator: In, values: [a, b]}\n"
	    "  policyTypes: [Ingress, Egress]\n"
	    "  ingress:\n"
	    "  - from:\n"
	    "    - ipBlock:\n"
	    "        cidr: 172.17.0.0/16\n"
	    "        except: [172.17.1.0/24, 172.17.2.0/24]\n"
	    "    - namespaceSelector:\n"
	    "        matchLabels: {project: myproject}\n"
	    "    - podSelector:\n"
	    "        matchLabels: {role: frontend}\n"
	    "    - namespaceSelector: {matchLabels: {team: a}}\n"
	    "      podSelector: {matchLabels: {app: b}}\n"
	    "    ports:\n"
	    "    - protocol: TCP\n"
	    "      port: 6379\n"
	    "    - {protocol: UDP, port: 1000, endPort: 2000}\n"
	    "    - {protocol: SCTP, port: serve-80}\n"
	    "  egress:\n"
	    "  - to:\n"
	    "    - ipBlock: {cidr: '2001:db8::/32'}\n"
	    "    - networkSetSelector: {matchLabels: {role: db}}\n"
	    "    - globalNetworkSetSelector: {}\n"
	    "    ports:\n"
	    "    - port: 5978\n");
	ASSERT_STR_EQ(np->name, "web");
	ASSERT_STR_EQ(np->namespace, "shop");
	ASSERT(np->pod_selector != NULL);
	ASSERT_EQ(np->pod_selector->nmatch_labels, 1);
	expect_label(np->pod_selector, 0, "role", "db");
	ASSERT_EQ(np->pod_selector->nexprs, 1);
	ASSERT_STR_EQ(np->pod_selector->exprs[0].key, "tier");
	ASSERT_EQ(np->pod_selector->exprs[0].op, SLUICE_SEL_IN);
	ASSERT_EQ(np->pod_selector->exprs[0].nvalues, 2);
	ASSERT_STR_EQ(np->pod_selector->exprs[0].values[1], "b");
	ASSERT_EQ(np->npolicy_types, 2);
	ASSERT_EQ(np->policy_types[0], POLICY_INGRESS);
	ASSERT_EQ(np->policy_types[1], POLICY_EGRESS);
	ASSERT_EQ(policy_np_types(np), POLICY_INGRESS | POLICY_EGRESS);

	ASSERT_EQ(np->ningress, 1);
	r = &np->ingress[0];
	ASSERT_EQ(r->npeers, 4);
	x = &r->peers[0];
	ASSERT(x->pod_selector == NULL && x->namespace_selector == NULL);
	ASSERT(x->ip_block != NULL);
	expect_prefix(&x->ip_block->cidr, "172.17.0.0/16");
	ASSERT_EQ(x->ip_block->nexcept, 2);
	expect_prefix(&x->ip_block->except[0], "172.17.1.0/24");
	expect_prefix(&x->ip_block->except[1], "172.17.2.0/24");
	x = &r->peers[1];
	ASSERT(x->pod_selector == NULL && x->ip_block == NULL);
	expect_label(x->namespace_selector, 0, "project", "myproject");
	x = &r->peers[2];
	/* Missing namespaceSelector: the policy's namespace (E3). */
	ASSERT(x->namespace_selector == NULL && x->ip_block == NULL);
	expect_label(x->pod_selector, 0, "role", "frontend");
	x = &r->peers[3];
	expect_label(x->namespace_selector, 0, "team", "a");
	expect_label(x->pod_selector, 0, "app", "b");
	ASSERT(x->network_set_selector == NULL &&
	    x->global_network_set_selector == NULL);

	ASSERT_EQ(r->nports, 3);
	ASSERT_EQ(r->ports[0].protocol, IPPROTO_TCP);
	ASSERT(r->ports[0].has_port && r->ports[0].name == NULL);
	ASSERT_EQ(r->ports[0].port, 6379);
	ASSERT(!r->ports[0].has_end_port);
	ASSERT_EQ(r->ports[1].protocol, IPPROTO_UDP);
	ASSERT_EQ(r->ports[1].port, 1000);
	ASSERT(r->ports[1].has_end_port);
	ASSERT_EQ(r->ports[1].end_port, 2000);
	ASSERT_EQ(r->ports[2].protocol, IPPROTO_SCTP);
	ASSERT(r->ports[2].has_port);
	ASSERT_STR_EQ(r->ports[2].name, "serve-80");

	ASSERT_EQ(np->negress, 1);
	r = &np->egress[0];
	ASSERT_EQ(r->npeers, 3);
	expect_prefix(&r->peers[0].ip_block->cidr, "2001:db8::/32");
	ASSERT_EQ(r->peers[0].ip_block->nexcept, 0);
	expect_label(r->peers[1].network_set_selector, 0, "role", "db");
	ASSERT(r->peers[2].global_network_set_selector != NULL);
	ASSERT(sluice_selector_empty(r->peers[2].global_network_set_selector));
	ASSERT_EQ(r->nports, 1);
	/* Protocol defaults to TCP (E13). */
	ASSERT_EQ(r->ports[0].protocol, IPPROTO_TCP);
	ASSERT_EQ(r->ports[0].port, 5978);
	done(&res);
}

/* Absent, null and empty (SEMANTICS.md §3 E1-E16). */
static void
test_absent_and_empty(void)
{
	const struct policy_np *np;
	struct result r;

	/* Minimal: namespace defaults, podSelector absent (NULL means {}). */
	np = good(&r,
	    "apiVersion: networking.k8s.io/v1\n"
	    "kind: NetworkPolicy\n"
	    "metadata: {name: deny-all}\n"
	    "spec: {}\n");
	ASSERT_STR_EQ(np->name, "deny-all");
	ASSERT_STR_EQ(np->namespace, "default");
	ASSERT(np->pod_selector == NULL);
	ASSERT_EQ(np->npolicy_types, 0);
	ASSERT_EQ(np->ningress, 0);
	ASSERT_EQ(np->negress, 0);
	ASSERT_EQ(policy_np_types(np), POLICY_INGRESS);
	done(&r);

	/* podSelector: {} is present and empty (E1). */
	np = good(&r, HDR "  podSelector: {}\n");
	ASSERT(np->pod_selector != NULL);
	ASSERT(sluice_selector_empty(np->pod_selector));
	done(&r);

	/* podSelector: (null) is absent (E1); ingress: [] and null (E6). */
	np = good(&r, HDR "  podSelector:\n  ingress: []\n  egress: ~\n");
	ASSERT(np->pod_selector == NULL);
	ASSERT_EQ(np->ningress, 0);
	ASSERT_EQ(np->negress, 0);
	done(&r);

	/* egress: [] without policyTypes does not add Egress (E8). */
	np = good(&r, HDR "  egress: []\n  policyTypes: []\n");
	ASSERT_EQ(np->negress, 0);
	ASSERT_EQ(np->npolicy_types, 0);
	ASSERT_EQ(policy_np_types(np), POLICY_INGRESS);
	done(&r);

	/* ingress: [{}]: one rule, no ports, no peers (E7). */
	np = good(&r, HDR "  ingress: [{}]\n  egress:\n  - {}\n");
	ASSERT_EQ(np->ningress, 1);
	ASSERT_EQ(np->ingress[0].nports, 0);
	ASSERT_EQ(np->ingress[0].npeers, 0);
	ASSERT_EQ(np->negress, 1);
	ASSERT_EQ(policy_np_types(np), POLICY_INGRESS | POLICY_EGRESS);
	done(&r);

	/* ports: [] and from: [] are "all" (E11, E15); ports: [{}] (E12). */
	np = good(&r, HDR
	    "  ingress:\n"
	    "  - ports: []\n"
	    "    from: []\n"
	    "  - ports:\n"
	    "    from:\n"
	    "  - ports: [{}]\n"
	    "    from: [{namespaceSelector: {}}]\n"
	    "  - ports: [{protocol: UDP}]\n"
	    "    from: [{podSelector: {}}]\n");
	ASSERT_EQ(np->ningress, 4);
	for (size_t i = 0; i < 2; i++) {
		ASSERT_EQ(np->ingress[i].nports, 0);
		ASSERT_EQ(np->ingress[i].npeers, 0);
	}
	ASSERT_EQ(np->ingress[2].nports, 1);
	ASSERT_EQ(np->ingress[2].ports[0].protocol, IPPROTO_TCP);
	ASSERT(!np->ingress[2].ports[0].has_port);
	ASSERT(!np->ingress[2].ports[0].has_end_port);
	ASSERT_EQ(np->ingress[2].npeers, 1);
	/* namespaceSelector: {} alone: every namespace (E3). */
	ASSERT(np->ingress[2].peers[0].namespace_selector != NULL);
	ASSERT(sluice_selector_empty(np->ingress[2].peers[0].namespace_selector));
	ASSERT(np->ingress[2].peers[0].pod_selector == NULL);
	ASSERT_EQ(np->ingress[3].ports[0].protocol, IPPROTO_UDP);
	ASSERT(!np->ingress[3].ports[0].has_port);
	/* podSelector: {} alone: the policy's namespace (E2). */
	ASSERT(np->ingress[3].peers[0].pod_selector != NULL);
	ASSERT(np->ingress[3].peers[0].namespace_selector == NULL);
	done(&r);

	/* policyTypes: [Egress] with ingress rules: kept, ignored (E9). */
	np = good(&r, HDR "  policyTypes: [Egress]\n  ingress: [{}]\n");
	ASSERT_EQ(np->ningress, 1);
	ASSERT_EQ(policy_np_types(np), POLICY_EGRESS);
	done(&r);

	/* endPort equal to port is one port (E19); labels are allowed. */
	np = good(&r,
	    "apiVersion: networking.k8s.io/v1\n"
	    "kind: NetworkPolicy\n"
	    "metadata:\n"
	    "  name: a.b-c\n"
	    "  labels: {app: web}\n"
	    "  annotations: {note: anything}\n"
	    "spec:\n"
	    "  egress: [{ports: [{port: 53, endPort: 53, protocol: UDP}]}]\n");
	ASSERT_EQ(np->egress[0].ports[0].port, 53);
	ASSERT_EQ(np->egress[0].ports[0].end_port, 53);
	done(&r);
}

/* Errors in the envelope. */
static void
test_bad_envelope(void)
{
	REFUSED("apiVersion: networking.k8s.io/v1beta1\n"
	    "kind: NetworkPolicy\n"
	    "metadata: {name: x}\n"
	    "spec: {}\n",
	    "p.yaml:1:13: apiVersion: expected networking.k8s.io/v1, not \"networking.k8s.io/v1beta1\"");
	REFUSED("apiVersion: networking.k8s.io/v1\n"
	    "kind: NetworkPolicies\n"
	    "metadata: {name: x}\n"
	    "spec: {}\n",
	    "p.yaml:2:7: kind: expected NetworkPolicy, not \"NetworkPolicies\"");
	/* Every problem is reported, typos with a suggestion. */
	REFUSED("apiVersion: networking.k8s.io/v1\n"
	    "metadata: {nmae: x, labels: {\"-bad\": x}}\n"
	    "spek: {}\n",
	    "p.yaml:3:1: unknown key \"spek\" (did you mean \"spec\"?)",
	    "p.yaml:1:1: kind: required key is missing",
	    "p.yaml:2:12: metadata: unknown key \"nmae\" (did you mean \"name\"?)",
	    "p.yaml:2:11: metadata.name: required key is missing",
	    "p.yaml:2:30: metadata.labels: \"-bad: x\" is not a valid label (key [prefix/]name, value up to 63 of A-Z a-z 0-9 - _ .)",
	    "p.yaml:1:1: spec: required key is missing");
	REFUSED("- not a mapping\n", "p.yaml:1:1: expected a mapping");
	REFUSED("", "p.yaml:1:1: no NetworkPolicy document");
	REFUSED("apiVersion: [networking.k8s.io/v1\n",
	    "p.yaml:2:1: invalid YAML: did not find expected ',' or ']'");
	REFUSED(HDR "  {}\n---\n" HDR "  {}\n",
	    "p.yaml:9:1: a second document; one NetworkPolicy is parsed at a time");
	/* Names are checked by policy_np_validate(), reported at the top. */
	REFUSED("apiVersion: networking.k8s.io/v1\n"
	    "kind: NetworkPolicy\n"
	    "metadata: {name: Web, namespace: a.b}\n"
	    "spec: {}\n",
	    "p.yaml:1:1: NetworkPolicy a.b/Web: metadata.name \"Web\" is not a DNS-1123 subdomain (at most 253 of a-z, 0-9, '-' and '.', starting and ending with a letter or digit)");
	REFUSED("apiVersion: networking.k8s.io/v1\n"
	    "kind: NetworkPolicy\n"
	    "metadata: {name: web, namespace: a.b}\n"
	    "spec: {}\n",
	    "p.yaml:1:1: NetworkPolicy a.b/web: metadata.namespace \"a.b\" is not a DNS-1123 label (at most 63 of a-z, 0-9 and '-')");
}

/* Errors in the spec, each at its place. */
static void
test_bad_spec(void)
{
	REFUSED(HDR "  podselector: {}\n  ingres: []\n  color: red\n",
	    "p.yaml:7:3: spec: unknown key \"podselector\" (did you mean \"podSelector\"?)",
	    "p.yaml:8:3: spec: unknown key \"ingres\" (did you mean \"ingress\"?)",
	    "p.yaml:9:3: spec: unknown key \"color\"");
	REFUSED(HDR "  policyTypes: [Ingress, Foo]\n  ingress: {}\n"
	    "  egress: [[]]\n",
	    "p.yaml:7:26: spec.policyTypes[1]: expected Ingress or Egress",
	    "p.yaml:8:12: spec.ingress: expected a list",
	    "p.yaml:9:12: spec.egress[0]: expected a mapping");
	REFUSED(HDR "  policyTypes: [Ingress, Egress, Ingress]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.policyTypes: 3 items, at most 2 (Ingress, Egress)");
	REFUSED(HDR "  podSelector: {matchExpressions: [{key: a, operator: Is}]}\n",
	    "p.yaml:7:55: spec.podSelector.matchExpressions[0]: \"operator\" must be In, NotIn, Exists or DoesNotExist");
	REFUSED(HDR "  podSelector: {matchLabel: {a: b}}\n",
	    "p.yaml:7:17: spec.podSelector: unknown key \"matchLabel\" (did you mean \"matchLabels\"?)");
}

static void
test_bad_ports(void)
{
	REFUSED(HDR
	    "  ingress:\n"
	    "  - ports:\n"
	    "    - protocol: ICMP\n"
	    "    - port: 0\n"
	    "    - port: 65536\n"
	    "    - {port: 80, endPort: 0}\n"
	    "    - {prot: TCP}\n"
	    "    - port: [80]\n",
	    "p.yaml:9:17: spec.ingress[0].ports[0].protocol: \"ICMP\" is not TCP, UDP or SCTP",
	    "p.yaml:10:13: spec.ingress[0].ports[1].port: \"0\" is not a whole number from 1 to 65535",
	    "p.yaml:11:13: spec.ingress[0].ports[2].port: \"65536\" is not a whole number from 1 to 65535",
	    "p.yaml:12:27: spec.ingress[0].ports[3].endPort: \"0\" is not a whole number from 1 to 65535",
	    "p.yaml:13:8: spec.ingress[0].ports[4]: unknown key \"prot\" (did you mean \"port\"?)",
	    "p.yaml:14:13: spec.ingress[0].ports[5].port: expected a single value");
	/* A quoted number is a port name, and not a valid one (E20). */
	REFUSED(HDR "  ingress: [{ports: [{port: \"80\"}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.ingress[0].ports[0]: port \"80\" is neither a number nor a port name (1 to 15 of a-z, 0-9 and '-', at least one letter, no leading, trailing or doubled '-')");
	REFUSED(HDR "  egress: [{ports: [{port: 443, endPort: 80}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].ports[0]: endPort 80 is below port 443");
	REFUSED(HDR "  egress: [{ports: [{port: http, endPort: 80}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].ports[0]: endPort 80 cannot be used with the named port \"http\"");
	REFUSED(HDR "  egress: [{ports: [{endPort: 80}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].ports[0]: endPort 80 needs a numeric port");
}

static void
test_bad_peers(void)
{
	REFUSED(HDR "  ingress: [{from: [{}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.ingress[0].from[0]: must specify a peer (podSelector, namespaceSelector, ipBlock, networkSetSelector, globalNetworkSetSelector or domainNames)");
	/* A null selector is an absent one, so this peer is empty too. */
	REFUSED(HDR "  ingress: [{from: [{podSelector: null}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.ingress[0].from[0]: must specify a peer (podSelector, namespaceSelector, ipBlock, networkSetSelector, globalNetworkSetSelector or domainNames)");
	REFUSED(HDR "  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0]: may not specify both ipBlock and another peer");
	REFUSED(HDR "  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0].ipBlock.except[0]: 10.0.0.0/8 is not a strict subset of cidr 10.0.0.0/8");
	REFUSED(HDR "  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: ['::/64']}}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0].ipBlock.except[0]: ::/64 is not a strict subset of cidr 10.0.0.0/8");
	/* Host bits: refused with the CIDR meant (no warnings here). */
	REFUSED(HDR
	    "  egress:\n"
	    "  - to:\n"
	    "    - ipBlock:\n"
	    "        cidr: 10.0.0.1/8\n"
	    "        except: [10.1.2.3/16, 10.2.0.0/33, 010.3.0.0/16]\n"
	    "    - ipBlock: {except: []}\n"
	    "    - ipBlock: {cidr: [10.0.0.0/8], exept: []}\n"
	    "    - {podSelector: {}, nameSpaceSelector: {}}\n",
	    "p.yaml:10:15: spec.egress[0].to[0].ipBlock.cidr: \"10.0.0.1/8\" has host bits set; write 10.0.0.0/8, the CIDR it means",
	    "p.yaml:11:18: spec.egress[0].to[0].ipBlock.except[0]: \"10.1.2.3/16\" has host bits set; write 10.1.0.0/16, the CIDR it means",
	    "p.yaml:11:31: spec.egress[0].to[0].ipBlock.except[1]: \"10.2.0.0/33\" is not a CIDR with zero host bits, such as 10.244.0.0/16",
	    "p.yaml:11:44: spec.egress[0].to[0].ipBlock.except[2]: \"010.3.0.0/16\" is not a CIDR with zero host bits, such as 10.244.0.0/16",
	    "p.yaml:12:16: spec.egress[0].to[1].ipBlock.cidr: required key is missing",
	    "p.yaml:13:37: spec.egress[0].to[2].ipBlock: unknown key \"exept\" (did you mean \"except\"?)",
	    "p.yaml:13:23: spec.egress[0].to[2].ipBlock.cidr: expected a CIDR",
	    "p.yaml:14:25: spec.egress[0].to[3]: unknown key \"nameSpaceSelector\" (did you mean \"namespaceSelector\"?)");
	REFUSED(HDR "  ingress: [{to: []}]\n",
	    "p.yaml:7:14: spec.ingress[0]: unknown key \"to\"");
}

/* [EXT] domainNames (SEMANTICS.md §1.7): egress only, normalised. */
static void
test_np_domains(void)
{
	const struct policy_np *np;
	const struct policy_np_peer *x;
	struct result res;

	np = good(&res, HDR
	    "  podSelector: {}\n"
	    "  policyTypes: [Egress]\n"
	    "  egress:\n"
	    "  - to:\n"
	    "    - domainNames: [API.Example.com., \"*.CDN.example\", a_b.c-d.example]\n"
	    "    - ipBlock: {cidr: 198.51.100.0/24}\n"
	    "    ports: [{port: 443}]\n");
	ASSERT_EQ(np->negress, 1);
	ASSERT_EQ(np->egress[0].npeers, 2);
	x = &np->egress[0].peers[0];
	ASSERT(x->ip_block == NULL && x->pod_selector == NULL);
	ASSERT_EQ(x->ndomain_names, 3);
	ASSERT_STR_EQ(x->domain_names[0], "api.example.com");
	ASSERT_STR_EQ(x->domain_names[1], "*.cdn.example");
	ASSERT_STR_EQ(x->domain_names[2], "a_b.c-d.example");
	ASSERT(np->egress[0].peers[1].domain_names == NULL);
	done(&res);

	/* Every bad entry at its place; ingress at the key. */
	REFUSED(HDR
	    "  ingress:\n"
	    "  - from: [{domainNames: [example.com]}]\n"
	    "  egress:\n"
	    "  - to:\n"
	    "    - domainNames:\n"
	    "      - example..com\n"
	    "      - \"*.com\"\n"
	    "      - [a.example]\n"
	    "      - ~\n"
	    "      - ok.example\n"
	    "      - -bad.example\n"
	    "    - domainNames: {a: b}\n",
	    "p.yaml:8:26: spec.ingress[0].from[0].domainNames: an egress peer only: a pod's DNS answers name where it connects to, not who connects to it",
	    "p.yaml:12:9: spec.egress[0].to[0].domainNames[0]: \"example..com\" has an empty label",
	    "p.yaml:13:9: spec.egress[0].to[0].domainNames[1]: \"*.com\" needs at least two labels after \"*.\" (as in \"example.com\")",
	    "p.yaml:14:9: spec.egress[0].to[0].domainNames[2]: expected a domain name",
	    "p.yaml:15:9: spec.egress[0].to[0].domainNames[3]: expected a domain name",
	    "p.yaml:17:9: spec.egress[0].to[0].domainNames[5]: \"-bad.example\" has the label \"-bad\", which starts or ends with '-' or '_'",
	    "p.yaml:18:20: spec.egress[0].to[1].domainNames: expected a list");
	/* What only validation sees. */
	REFUSED(HDR "  egress: [{to: [{domainNames: [a.example], podSelector: {}}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0]: may not specify both domainNames and another peer");
	REFUSED(HDR "  egress: [{to: [{domainNames: []}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0].domainNames has 0 entries, needs 1 to 25");
	REFUSED(HDR "  egress: [{to: [{domainNames: [a.example, A.Example.]}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0].domainNames[1]: \"a.example\" repeats domainNames[0]");
	/* Null is absent: no peer left. */
	REFUSED(HDR "  egress: [{to: [{domainNames: null}]}]\n",
	    "p.yaml:1:1: NetworkPolicy shop/web: spec.egress[0].to[0]: must specify a peer (podSelector, namespaceSelector, ipBlock, networkSetSelector, globalNetworkSetSelector or domainNames)");
}

/*
 * Aliases nest: 100 uses of a rule of 64 uses of a 65-term selector are
 * 416,000 selector terms from 2 KiB. Refused, not expanded without end.
 */
static void
test_alias_bomb(void)
{
	char *doc = malloc(16384), *p;
	struct result r;

	ASSERT(doc != NULL);
	p = doc + sprintf(doc, "%s", HDR "  podSelector: &s {matchExpressions: "
	    "[{key: a, operator: In, values: [");
	for (int i = 0; i < 64; i++)
		p += sprintf(p, "%sv%d", i ? ", " : "", i);
	p += sprintf(p, "]}]}\n  ingress:\n  - &r {from: [");
	for (int i = 0; i < 64; i++)
		p += sprintf(p, "%s{podSelector: *s}", i ? ", " : "");
	p += sprintf(p, "]}\n");
	for (int i = 0; i < 100; i++)
		p += sprintf(p, "  - *r\n");
	r = parse(doc);
	ASSERT_EQ(r.rc, -EINVAL);
	ASSERT_STR_EQ(r.errs, "p.yaml:1:1: NetworkPolicy too large: more than "
	    "262144 list items, selector terms and string bytes (every use of "
	    "a YAML alias counts)\n");
	done(&r);
	free(doc);
}

/* ---- AdminNetworkPolicy ---------------------------------------------- */

/* The envelope; spec's content starts on line 5. */
#define ANP_HDR                                                               \
	"apiVersion: policy.networking.k8s.io/v1alpha1\n"                     \
	"kind: AdminNetworkPolicy\n"                                          \
	"metadata: {name: cluster-control}\n"                                 \
	"spec:\n"

static struct result
parse_anp(const char *text)
{
	struct policy_yaml_anp *y, *again;
	struct result r;
	size_t len = 0, n = strlen(text);
	char *copy = malloc(n ? n : 1);
	FILE *f;

	ASSERT(copy != NULL);
	memcpy(copy, text, n);
	f = open_memstream(&r.errs, &len);
	ASSERT(f != NULL);
	r.rc = policy_yaml_anp_parse("a.yaml", (const unsigned char *)copy, n,
	    f, &y);
	ASSERT_OK(fclose(f));
	r.nlines = 0;
	for (const char *p = r.errs; *p != '\0'; p++)
		r.nlines += *p == '\n';
	ASSERT((r.rc == 0) == (y != NULL));
	ASSERT((r.rc == 0) == (r.nlines == 0));
	ASSERT_EQ(policy_yaml_anp_parse("a.yaml", (const unsigned char *)copy,
	    n, NULL, &again), r.rc);
	policy_yaml_anp_destroy(again);
	free(copy);
	r.y = (struct policy_yaml_np *)(void *)y;	/* see anp_done() */
	return r;
}

static void
anp_done(struct result *r)
{
	policy_yaml_anp_destroy((struct policy_yaml_anp *)(void *)r->y);
	free(r->errs);
}

static void
anp_expect_lines(const char *text, const char *const lines[], size_t n)
{
	struct result r = parse_anp(text);
	const char *p = r.errs;

	ASSERT_EQ(r.rc, -EINVAL);
	if (r.nlines != n)
		CHECK_FAIL("want %zu lines, got %zu:\n%s", n, r.nlines, r.errs);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		if (strncmp(p, lines[i], l) != 0 || p[l] != '\n')
			CHECK_FAIL("line %zu: want\n  %s\ngot\n  %.*s", i + 1,
			    lines[i], (int)(strchr(p, '\n') - p), p);
		p += l + 1;
	}
	anp_done(&r);
}

#define ANP_REFUSED(text, ...)                                                \
	do {                                                                  \
		const char *const l_[] = { __VA_ARGS__ };                     \
		anp_expect_lines((text), l_, sizeof(l_) / sizeof(l_[0]));     \
	} while (0)

static void
test_anp_good(void)
{
	const struct policy_anp *anp;
	const struct policy_anp_rule *r;
	struct result res = parse_anp(ANP_HDR
	    "  priority: 0\n"
	    "  subject:\n"
	    "    namespaces: {}\n"
	    "  ingress:\n"
	    "  - name: allow-monitoring\n"
	    "    action: Allow\n"
	    "    from:\n"
	    "    - namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}\n"
	    "  - action: Pass\n"
	    "    from:\n"
	    "    - pods:\n"
	    "        namespaceSelector: {}\n"
	    "        podSelector: {matchLabels: {app: x}}\n"
	    "    ports:\n"
	    "    - portNumber: {port: 80}\n"
	    "    - portRange: {protocol: UDP, start: 1000, end: 2000}\n"
	    "    - namedPort: http\n"
	    "  egress:\n"
	    "  - action: Deny\n"
	    "    to:\n"
	    "    - networks: [0.0.0.0/0, \"::/0\"]\n"
	    "    - nodes: {}\n"
	    "    - networkSets: {matchLabels: {zone: intranet}}\n");

	if (res.rc != 0)
		CHECK_FAIL("refused:\n%s", res.errs);
	anp = policy_yaml_anp_get((struct policy_yaml_anp *)(void *)res.y);
	ASSERT_STR_EQ(anp->name, "cluster-control");
	ASSERT_EQ(anp->priority, 0);
	ASSERT(anp->subject.namespaces != NULL);
	ASSERT(sluice_selector_empty(anp->subject.namespaces));
	ASSERT(anp->subject.pods == NULL);
	ASSERT_EQ(anp->ningress, 2);
	r = &anp->ingress[0];
	ASSERT_STR_EQ(r->name, "allow-monitoring");
	ASSERT_EQ(r->action, POLICY_ACTION_ALLOW);
	ASSERT_EQ(r->npeers, 1);
	expect_label(r->peers[0].namespaces, 0, "kubernetes.io/metadata.name",
	    "monitoring");
	ASSERT(r->peers[0].pods == NULL && r->peers[0].networks == NULL);
	/* Absent ports: every port, every protocol (NULL, not empty). */
	ASSERT(r->ports == NULL);
	ASSERT_EQ(r->nports, 0);
	r = &anp->ingress[1];
	ASSERT(r->name == NULL);
	ASSERT_EQ(r->action, POLICY_ACTION_PASS);
	ASSERT(r->peers[0].namespaces == NULL);
	ASSERT(r->peers[0].pods != NULL);
	ASSERT(sluice_selector_empty(r->peers[0].pods->namespace_selector));
	expect_label(r->peers[0].pods->pod_selector, 0, "app", "x");
	ASSERT_EQ(r->nports, 3);
	ASSERT(r->ports[0].port_number != NULL);
	ASSERT_EQ(r->ports[0].port_number->protocol, IPPROTO_TCP);
	ASSERT_EQ(r->ports[0].port_number->port, 80);
	ASSERT(r->ports[0].port_range == NULL && r->ports[0].named_port == NULL);
	ASSERT(r->ports[1].port_range != NULL);
	ASSERT_EQ(r->ports[1].port_range->protocol, IPPROTO_UDP);
	ASSERT_EQ(r->ports[1].port_range->start, 1000);
	ASSERT_EQ(r->ports[1].port_range->end, 2000);
	ASSERT_STR_EQ(r->ports[2].named_port, "http");
	ASSERT_EQ(anp->negress, 1);
	r = &anp->egress[0];
	ASSERT_EQ(r->action, POLICY_ACTION_DENY);
	ASSERT_EQ(r->npeers, 3);
	ASSERT_EQ(r->peers[0].nnetworks, 2);
	expect_prefix(&r->peers[0].networks[0], "0.0.0.0/0");
	expect_prefix(&r->peers[0].networks[1], "::/0");
	ASSERT(r->peers[1].nodes != NULL);
	ASSERT(sluice_selector_empty(r->peers[1].nodes));
	expect_label(r->peers[2].network_sets, 0, "zone", "intranet");
	anp_done(&res);

	/* The subject as pods; no rules at all. */
	res = parse_anp(ANP_HDR
	    "  priority: 1000\n"
	    "  subject: {pods: {namespaceSelector: {}, podSelector: {}}}\n");
	ASSERT_OK(res.rc);
	anp = policy_yaml_anp_get((struct policy_yaml_anp *)(void *)res.y);
	ASSERT_EQ(anp->priority, 1000);
	ASSERT(anp->subject.namespaces == NULL);
	ASSERT(anp->subject.pods != NULL);
	ASSERT_EQ(anp->ningress, 0);
	ASSERT_EQ(anp->negress, 0);
	anp_done(&res);
}

static void
test_anp_domains(void)
{
	const struct policy_anp *anp;
	const struct policy_anp_peer *x;
	struct result res;

	res = parse_anp(ANP_HDR
	    "  priority: 5\n"
	    "  subject: {namespaces: {}}\n"
	    "  egress:\n"
	    "  - name: to-api\n"
	    "    action: Allow\n"
	    "    to: [{domainNames: [\"*.Example.COM.\", api.test.org]}]\n"
	    "    ports: [{portNumber: {port: 443}}]\n"
	    "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n");
	if (res.rc != 0)
		CHECK_FAIL("refused:\n%s", res.errs);
	anp = policy_yaml_anp_get((struct policy_yaml_anp *)(void *)res.y);
	ASSERT_EQ(anp->negress, 2);
	x = &anp->egress[0].peers[0];
	ASSERT_EQ(x->ndomain_names, 2);
	ASSERT_STR_EQ(x->domain_names[0], "*.example.com");
	ASSERT_STR_EQ(x->domain_names[1], "api.test.org");
	ASSERT(anp->egress[1].peers[0].domain_names == NULL);
	anp_done(&res);

	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  ingress: [{action: Allow, from: [{domainNames: [a.example]}]}]\n"
	    "  egress: [{action: Allow, to: [{domainNames: [a.example, 'b c.example']}]}]\n",
	    "a.yaml:7:50: spec.ingress[0].from[0].domainNames: an egress peer only (ingress peers are namespaces or pods)",
	    "a.yaml:8:59: spec.egress[0].to[0].domainNames[1]: \"b c.example\" has ' ', not a letter, digit, '-' or '_'");
	/* Deny and Pass: the validator's sentence. */
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Deny, to: [{domainNames: [a.example]}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to[0]: domainNames is for Allow rules only: the addresses a name resolves to are never completely known, so a Deny by name would miss some of them");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Pass, to: [{namespaces: {}}, {domainNames: [a.example]}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to[1]: domainNames is for Allow rules only: the addresses a name resolves to are never completely known, so a Pass by name would miss some of them");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Allow, to: [{domainNames: [a.example], networks: [10.0.0.0/8]}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to[0]: set exactly one of namespaces, pods, networks, nodes, networkSets and domainNames (2 set)");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Allow, to: [{domainNames: [a.example]}], ports: [{namedPort: https}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to[0]: a namedPort cannot be used with a networks, nodes, networkSets or domainNames peer: they have no named ports");
}

static void
test_anp_bad(void)
{
	ANP_REFUSED("apiVersion: policy.networking.k8s.io/v1alpha1\n"
	    "kind: AdminNetworkPolicy\n"
	    "metadata: {name: a, namespace: default}\n"
	    "spec:\n"
	    "  priority: 1001\n"
	    "  subjekt: {}\n"
	    "  ingress:\n"
	    "  - action: Block\n"
	    "    from: [{pods: {podSelector: {}}}]\n"
	    "  egress:\n"
	    "  - to: [{domainNames: [a..example]}]\n"
	    "    ports: [{portNumber: {protocol: ICMP}}, {portRange: {start: 0, end: 2}}]\n",
	    "a.yaml:3:32: metadata.namespace: AdminNetworkPolicy is cluster-wide: no namespace",
	    "a.yaml:6:3: spec: unknown key \"subjekt\" (did you mean \"subject\"?)",
	    "a.yaml:5:13: spec.priority: \"1001\" is not a whole number from 0 to 1000",
	    "a.yaml:5:3: spec.subject: required key is missing",
	    "a.yaml:8:13: spec.ingress[0].action: \"Block\" is not Allow, Deny or Pass",
	    "a.yaml:9:19: spec.ingress[0].from[0].pods.namespaceSelector: required key is missing",
	    "a.yaml:11:5: spec.egress[0].action: required key is missing",
	    "a.yaml:11:25: spec.egress[0].to[0].domainNames[0]: \"a..example\" has an empty label",
	    "a.yaml:12:26: spec.egress[0].ports[0].portNumber.port: required key is missing",
	    "a.yaml:12:37: spec.egress[0].ports[0].portNumber.protocol: \"ICMP\" is not TCP, UDP or SCTP",
	    "a.yaml:12:65: spec.egress[0].ports[1].portRange.start: \"0\" is not a whole number from 1 to 65535");
	/* [] is not absent here (E29). */
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  ingress: [{action: Allow, from: [{namespaces: {}}], ports: []}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.ingress[0].ports has 0 entries, needs 1 to 100 (leave it out for every port)");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Allow, to: []}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to has 0 peers, needs 1 to 100");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Allow, to: [{networks: []}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to[0].networks has 0 entries, needs 1 to 25");
	ANP_REFUSED(ANP_HDR "  priority: 1\n"
	    "  subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.subject: set exactly one of namespaces and pods (2 set)");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  ingress: [{action: Deny, from: [{networks: [10.0.0.0/8]}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.ingress[0].from[0]: networks is an egress peer only (ingress peers are namespaces or pods)");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}], ports: [{namedPort: http}]}]\n",
	    "a.yaml:1:1: AdminNetworkPolicy cluster-control: spec.egress[0].to[0]: a namedPort cannot be used with a networks, nodes, networkSets or domainNames peer: they have no named ports");
	ANP_REFUSED(ANP_HDR "  priority: 1\n  subject: {namespaces: {}}\n"
	    "  egress: [{action: Deny, to: [{}, {networks: [10.1.0.0/8]}]}]\n",
	    "a.yaml:7:48: spec.egress[0].to[1].networks[0]: \"10.1.0.0/8\" has host bits set; write 10.0.0.0/8, the CIDR it means");
}


/* ---- BaselineAdminNetworkPolicy, NetworkSet, GlobalNetworkSet -------- */

enum kind {
	KIND_BANP,
	KIND_NETSET,
	KIND_GLOBAL_NETSET,
};

struct kresult {
	int rc;
	char *errs;
	size_t nlines;
	enum kind kind;
	void *y;		/* a struct policy_yaml_banp or _netset */
};

static int
kind_parse(enum kind k, const char *buf, size_t n, FILE *f, void **out)
{
	struct policy_yaml_banp *b;
	struct policy_yaml_netset *s;
	int rc;

	if (k == KIND_BANP) {
		rc = policy_yaml_banp_parse("b.yaml",
		    (const unsigned char *)buf, n, f, &b);
		*out = b;
	} else {
		rc = policy_yaml_netset_parse("s.yaml",
		    (const unsigned char *)buf, n, k == KIND_GLOBAL_NETSET, f,
		    &s);
		*out = s;
	}
	return rc;
}

static void
kind_destroy(enum kind k, void *y)
{
	if (k == KIND_BANP)
		policy_yaml_banp_destroy(y);
	else
		policy_yaml_netset_destroy(y);
}

/* As parse(), for the kinds of enum kind. */
static struct kresult
kparse(enum kind k, const char *text)
{
	struct kresult r = { .kind = k };
	size_t len = 0, n = strlen(text);
	char *copy = malloc(n ? n : 1);
	void *again;
	FILE *f;

	ASSERT(copy != NULL);
	memcpy(copy, text, n);
	f = open_memstream(&r.errs, &len);
	ASSERT(f != NULL);
	r.rc = kind_parse(k, copy, n, f, &r.y);
	ASSERT_OK(fclose(f));
	for (const char *p = r.errs; *p != '\0'; p++)
		r.nlines += *p == '\n';
	ASSERT((r.rc == 0) == (r.y != NULL));
	ASSERT((r.rc == 0) == (r.nlines == 0));
	ASSERT_EQ(kind_parse(k, copy, n, NULL, &again), r.rc);
	kind_destroy(k, again);
	free(copy);
	return r;
}

static void
kdone(struct kresult *r)
{
	kind_destroy(r->kind, r->y);
	free(r->errs);
}

static const struct policy_banp *
banp_good(struct kresult *r, const char *text)
{
	*r = kparse(KIND_BANP, text);
	if (r->rc != 0)
		CHECK_FAIL("refused:\n%s", r->errs);
	return policy_yaml_banp_get(r->y);
}

static const struct policy_netset *
netset_good(struct kresult *r, enum kind k, const char *text)
{
	*r = kparse(k, text);
	if (r->rc != 0)
		CHECK_FAIL("refused:\n%s", r->errs);
	return policy_yaml_netset_get(r->y);
}

static void
kexpect_lines(enum kind k, const char *text, const char *const lines[],
    size_t n)
{
	struct kresult r = kparse(k, text);
	const char *p = r.errs;

	ASSERT_EQ(r.rc, -EINVAL);
	if (r.nlines != n)
		CHECK_FAIL("want %zu lines, got %zu:\n%s", n, r.nlines, r.errs);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		if (strncmp(p, lines[i], l) != 0 || p[l] != '\n')
			CHECK_FAIL("line %zu: want\n  %s\ngot\n  %.*s", i + 1,
			    lines[i], (int)(strchr(p, '\n') - p), p);
		p += l + 1;
	}
	kdone(&r);
}

#define KREFUSED(k, text, ...)                                                \
	do {                                                                  \
		const char *const l_[] = { __VA_ARGS__ };                     \
		kexpect_lines((k), (text), l_, sizeof(l_) / sizeof(l_[0]));   \
	} while (0)

/* The envelope; spec's content starts on line 5. */
#define BANP_HDR                                                              \
	"apiVersion: policy.networking.k8s.io/v1alpha1\n"                     \
	"kind: BaselineAdminNetworkPolicy\n"                                  \
	"metadata: {name: default}\n"                                         \
	"spec:\n"

static void
test_banp_good(void)
{
	const struct policy_banp *b;
	const struct policy_anp_rule *r;
	struct kresult res;

	b = banp_good(&res, BANP_HDR
	    "  subject:\n"
	    "    pods:\n"
	    "      namespaceSelector: {matchLabels: {tenant: a}}\n"
	    "      podSelector: {}\n"
	    "  ingress:\n"
	    "  - name: deny-other-tenants\n"
	    "    action: Deny\n"
	    "    from:\n"
	    "    - namespaces: {matchExpressions: [{key: tenant, operator: NotIn, values: [a]}]}\n"
	    "  - action: Allow\n"
	    "    from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: mon}}}}]\n"
	    "    ports: [{portNumber: {protocol: UDP, port: 161}}]\n"
	    "  egress:\n"
	    "  - action: Deny\n"
	    "    to:\n"
	    "    - networks: [10.0.0.0/8, \"fd00::/8\"]\n"
	    "    - nodes: {matchLabels: {role: control}}\n"
	    "    - networkSets: {}\n"
	    "    ports: [{portRange: {start: 1, end: 1023}}]\n"
	    "  - action: Allow\n"
	    "    to: [{domainNames: [Mirror.Example.org.]}]\n");
	ASSERT_STR_EQ(b->name, "default");
	ASSERT(b->subject.namespaces == NULL);
	ASSERT(b->subject.pods != NULL);
	expect_label(b->subject.pods->namespace_selector, 0, "tenant", "a");
	ASSERT(sluice_selector_empty(b->subject.pods->pod_selector));
	ASSERT_EQ(b->ningress, 2);
	r = &b->ingress[0];
	ASSERT_STR_EQ(r->name, "deny-other-tenants");
	ASSERT_EQ(r->action, POLICY_ACTION_DENY);
	ASSERT_EQ(r->npeers, 1);
	ASSERT_EQ(r->peers[0].namespaces->nexprs, 1);
	ASSERT_EQ(r->peers[0].namespaces->exprs[0].op, SLUICE_SEL_NOT_IN);
	ASSERT(r->ports == NULL);
	r = &b->ingress[1];
	ASSERT(r->name == NULL);
	ASSERT_EQ(r->action, POLICY_ACTION_ALLOW);
	expect_label(r->peers[0].pods->pod_selector, 0, "app", "mon");
	ASSERT_EQ(r->nports, 1);
	ASSERT_EQ(r->ports[0].port_number->protocol, IPPROTO_UDP);
	ASSERT_EQ(r->ports[0].port_number->port, 161);
	ASSERT_EQ(b->negress, 2);
	ASSERT_EQ(b->egress[1].peers[0].ndomain_names, 1);
	ASSERT_STR_EQ(b->egress[1].peers[0].domain_names[0],
	    "mirror.example.org");
	r = &b->egress[0];
	ASSERT_EQ(r->action, POLICY_ACTION_DENY);
	ASSERT_EQ(r->npeers, 3);
	ASSERT_EQ(r->peers[0].nnetworks, 2);
	expect_prefix(&r->peers[0].networks[0], "10.0.0.0/8");
	expect_prefix(&r->peers[0].networks[1], "fd00::/8");
	expect_label(r->peers[1].nodes, 0, "role", "control");
	ASSERT(sluice_selector_empty(r->peers[2].network_sets));
	ASSERT_EQ(r->ports[0].port_range->protocol, IPPROTO_TCP);
	ASSERT_EQ(r->ports[0].port_range->start, 1);
	ASSERT_EQ(r->ports[0].port_range->end, 1023);
	kdone(&res);

	/* A subject and nothing else: affects no traffic, but valid. */
	b = banp_good(&res, BANP_HDR "  subject: {namespaces: {}}\n"
	    "  ingress: []\n  egress: ~\n");
	ASSERT(sluice_selector_empty(b->subject.namespaces));
	ASSERT_EQ(b->ningress, 0);
	ASSERT_EQ(b->negress, 0);
	kdone(&res);
}

static void
test_banp_bad(void)
{
	/* Shape, type and range problems, every one at its place. */
	KREFUSED(KIND_BANP,
	    "apiVersion: policy.networking.k8s.io/v1alpha1\n"
	    "kind: BaselineAdminNetworkPolicy\n"
	    "metadata: {name: default, namespace: kube-system}\n"
	    "spec:\n"
	    "  priority: 10\n"
	    "  subject: {namespace: {}}\n"
	    "  ingress:\n"
	    "  - action: Pass\n"
	    "    from: [{namespaces: {}}]\n"
	    "  - action: allow\n"
	    "    from: [{namespaces: {}}]\n"
	    "  egress:\n"
	    "  - action: Allow\n"
	    "    to: [{domainNames: [\"*.*.example\"]}, {networks: [10.0.0.1/8]}]\n",
	    "b.yaml:3:38: metadata.namespace: BaselineAdminNetworkPolicy is cluster-wide: no namespace",
	    "b.yaml:5:3: spec: unknown key \"priority\"",
	    "b.yaml:6:13: spec.subject: unknown key \"namespace\" (did you mean \"namespaces\"?)",
	    "b.yaml:8:13: spec.ingress[0].action: \"Pass\" is not Allow or Deny (Pass is for AdminNetworkPolicy)",
	    "b.yaml:10:13: spec.ingress[1].action: \"allow\" is not Allow or Deny",
	    "b.yaml:14:25: spec.egress[0].to[0].domainNames[0]: \"*.*.example\" has a '*' that is not the whole first label (as in \"*.example.com\")",
	    "b.yaml:14:54: spec.egress[0].to[1].networks[0]: \"10.0.0.1/8\" has host bits set; write 10.0.0.0/8, the CIDR it means");
	KREFUSED(KIND_BANP,
	    "apiVersion: policy.networking.k8s.io/v1\n"
	    "kind: AdminNetworkPolicy\n"
	    "metadata: {name: default}\n",
	    "b.yaml:1:13: apiVersion: expected policy.networking.k8s.io/v1alpha1, not \"policy.networking.k8s.io/v1\"",
	    "b.yaml:2:7: kind: expected BaselineAdminNetworkPolicy, not \"AdminNetworkPolicy\"",
	    "b.yaml:1:1: spec: required key is missing");
	KREFUSED(KIND_BANP, BANP_HDR "  ingress: []\n",
	    "b.yaml:5:3: spec.subject: required key is missing");
	KREFUSED(KIND_BANP, "",
	    "b.yaml:1:1: no BaselineAdminNetworkPolicy document");
	/* What only validation sees: one sentence, at the document. */
	KREFUSED(KIND_BANP,
	    "apiVersion: policy.networking.k8s.io/v1alpha1\n"
	    "kind: BaselineAdminNetworkPolicy\n"
	    "metadata: {name: baseline}\n"
	    "spec: {subject: {namespaces: {}}}\n",
	    "b.yaml:1:1: BaselineAdminNetworkPolicy baseline: metadata.name must be \"default\": only one BaselineAdminNetworkPolicy, named default, can exist");
	KREFUSED(KIND_BANP, BANP_HDR "  subject: {namespaces: {}}\n"
	    "  egress: [{action: Deny, to: [{networks: [10.0.0.0/8], nodes: {}}]}]\n",
	    "b.yaml:1:1: BaselineAdminNetworkPolicy default: spec.egress[0].to[0]: set exactly one of namespaces, pods, networks, nodes, networkSets and domainNames (2 set)");
	KREFUSED(KIND_BANP, BANP_HDR "  subject: {namespaces: {}}\n"
	    "  egress: [{action: Deny, to: [{domainNames: [a.example]}]}]\n",
	    "b.yaml:1:1: BaselineAdminNetworkPolicy default: spec.egress[0].to[0]: domainNames is for Allow rules only: the addresses a name resolves to are never completely known, so a Deny by name would miss some of them");
	KREFUSED(KIND_BANP, BANP_HDR "  subject: {namespaces: {}}\n"
	    "  ingress: [{action: Allow, from: [{namespaces: {}}], ports: []}]\n",
	    "b.yaml:1:1: BaselineAdminNetworkPolicy default: spec.ingress[0].ports has 0 entries, needs 1 to 100 (leave it out for every port)");
}

/* The envelopes; spec's content starts on line 5 (6 for NS_HDR). */
#define NS_HDR                                                                \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: NetworkSet\n"                                                  \
	"metadata:\n"                                                         \
	"  name: external-db\n"                                               \
	"  namespace: shop\n"                                                 \
	"spec:\n"
#define GNS_HDR                                                               \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: GlobalNetworkSet\n"                                            \
	"metadata: {name: corp-intranet, labels: {zone: intranet}}\n"          \
	"spec:\n"

static void
test_netset_good(void)
{
	const struct policy_netset *s;
	struct kresult r;

	/* SEMANTICS.md §1.5's examples. */
	s = netset_good(&r, KIND_NETSET,
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: NetworkSet\n"
	    "metadata: {name: external-db, namespace: shop, labels: {role: db, tier: \"\"}}\n"
	    "spec:\n"
	    "  nets: [198.51.100.0/28, 2001:db8:1::/64, 198.51.100.0/28]\n");
	ASSERT_STR_EQ(s->name, "external-db");
	ASSERT_STR_EQ(s->namespace, "shop");
	ASSERT_EQ(s->nlabels, 2);
	ASSERT_STR_EQ(s->labels[0].key, "role");
	ASSERT_STR_EQ(s->labels[0].value, "db");
	ASSERT_STR_EQ(s->labels[1].key, "tier");
	ASSERT_STR_EQ(s->labels[1].value, "");
	/* Duplicates are kept as written; the matcher collapses them. */
	ASSERT_EQ(s->nnets, 3);
	expect_prefix(&s->nets[0], "198.51.100.0/28");
	expect_prefix(&s->nets[1], "2001:db8:1::/64");
	expect_prefix(&s->nets[2], "198.51.100.0/28");
	kdone(&r);

	s = netset_good(&r, KIND_GLOBAL_NETSET, GNS_HDR
	    "  nets:\n"
	    "  - 192.0.2.0/24\n"
	    "  - 203.0.113.7/32\n"
	    "  - ::/0\n");
	ASSERT_STR_EQ(s->name, "corp-intranet");
	ASSERT(s->namespace == NULL);
	ASSERT_EQ(s->nlabels, 1);
	ASSERT_STR_EQ(s->labels[0].key, "zone");
	ASSERT_STR_EQ(s->labels[0].value, "intranet");
	ASSERT_EQ(s->nnets, 3);
	expect_prefix(&s->nets[1], "203.0.113.7/32");
	expect_prefix(&s->nets[2], "::/0");
	kdone(&r);

	/* No namespace: "default"; no labels; empty sets match nothing. */
	s = netset_good(&r, KIND_NETSET,
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: NetworkSet\n"
	    "metadata: {name: nothing}\n"
	    "spec: {}\n");
	ASSERT_STR_EQ(s->namespace, "default");
	ASSERT_EQ(s->nlabels, 0);
	ASSERT_EQ(s->nnets, 0);
	kdone(&r);
	s = netset_good(&r, KIND_GLOBAL_NETSET, GNS_HDR "  nets: []\n");
	ASSERT_EQ(s->nnets, 0);
	kdone(&r);
	s = netset_good(&r, KIND_GLOBAL_NETSET, GNS_HDR "  nets:\n");
	ASSERT_EQ(s->nnets, 0);
	kdone(&r);
}

static void
test_netset_bad(void)
{
	char *doc, *p;

	KREFUSED(KIND_NETSET, NS_HDR
	    "  net: []\n"
	    "  nets:\n"
	    "  - 10.1.2.3/16\n"
	    "  - 10.0.0.0/33\n"
	    "  - 10.0.0.0\n"
	    "  - [10.0.0.0/8]\n"
	    "  - \"2001:db8::1/64\"\n",
	    "s.yaml:7:3: spec: unknown key \"net\" (did you mean \"nets\"?)",
	    "s.yaml:9:5: spec.nets[0]: \"10.1.2.3/16\" has host bits set; write 10.1.0.0/16, the CIDR it means",
	    "s.yaml:10:5: spec.nets[1]: \"10.0.0.0/33\" is not a CIDR with zero host bits, such as 10.244.0.0/16",
	    "s.yaml:11:5: spec.nets[2]: \"10.0.0.0\" is not a CIDR with zero host bits, such as 10.244.0.0/16",
	    "s.yaml:12:5: spec.nets[3]: expected a CIDR",
	    "s.yaml:13:5: spec.nets[4]: \"2001:db8::1/64\" has host bits set; write 2001:db8::/64, the CIDR it means");
	KREFUSED(KIND_NETSET, NS_HDR "  nets: 10.0.0.0/8\n",
	    "s.yaml:7:9: spec.nets: expected a list");
	KREFUSED(KIND_NETSET,
	    "apiVersion: projectcalico.org/v3\n"
	    "kind: NetworkSet\n"
	    "metadata: {name: a, labels: [role]}\n",
	    "s.yaml:1:13: apiVersion: expected sluice.io/v1alpha1, not \"projectcalico.org/v3\"",
	    "s.yaml:3:29: metadata.labels: expected a mapping of labels",
	    "s.yaml:1:1: spec: required key is missing");
	/* Each kind is its own: a GlobalNetworkSet has no namespace. */
	KREFUSED(KIND_GLOBAL_NETSET, NS_HDR "  nets: []\n",
	    "s.yaml:2:7: kind: expected GlobalNetworkSet, not \"NetworkSet\"",
	    "s.yaml:5:14: metadata.namespace: GlobalNetworkSet is cluster-wide: no namespace");
	KREFUSED(KIND_NETSET, GNS_HDR "  nets: []\n",
	    "s.yaml:2:7: kind: expected NetworkSet, not \"GlobalNetworkSet\"");
	KREFUSED(KIND_GLOBAL_NETSET,
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: GlobalNetworkSet\n"
	    "metadata: {name: a}\n"
	    "spec: {nets: []}\n"
	    "spec: {}\n",
	    "s.yaml:5:1: duplicate key \"spec\"");
	/* What only validation sees: one sentence, at the document. */
	KREFUSED(KIND_NETSET,
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: NetworkSet\n"
	    "metadata: {name: Db, namespace: shop}\n"
	    "spec: {}\n",
	    "s.yaml:1:1: NetworkSet shop/Db: metadata.name \"Db\" is not a DNS-1123 subdomain");
	KREFUSED(KIND_GLOBAL_NETSET,
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: GlobalNetworkSet\n"
	    "metadata: {name: a_b}\n"
	    "spec: {}\n",
	    "s.yaml:1:1: GlobalNetworkSet a_b: metadata.name \"a_b\" is not a DNS-1123 subdomain");

	/* POLICY_NETSET_NETS_MAX, then one more: refused as a whole. */
	doc = malloc(64 + 16 * (POLICY_NETSET_NETS_MAX + 1));
	ASSERT(doc != NULL);
	p = doc + sprintf(doc, "%s", GNS_HDR "  nets: [");
	for (int i = 0; i < POLICY_NETSET_NETS_MAX; i++)
		p += sprintf(p, "%s10.%d.%d.0/24", i ? ", " : "", i / 256,
		    i % 256);
	sprintf(p, "]\n");
	{
		struct kresult r;
		const struct policy_netset *s = netset_good(&r,
		    KIND_GLOBAL_NETSET, doc);

		ASSERT_EQ(s->nnets, POLICY_NETSET_NETS_MAX);
		expect_prefix(&s->nets[POLICY_NETSET_NETS_MAX - 1],
		    "10.15.255.0/24");
		kdone(&r);
	}
	sprintf(p, ", 10.16.0.0/24]\n");
	KREFUSED(KIND_GLOBAL_NETSET, doc,
	    "s.yaml:5:9: spec.nets: 4097 entries, at most 4096");
	free(doc);
}

int
main(void)
{
	RUN(test_full);
	RUN(test_absent_and_empty);
	RUN(test_bad_envelope);
	RUN(test_bad_spec);
	RUN(test_bad_ports);
	RUN(test_bad_peers);
	RUN(test_np_domains);
	RUN(test_alias_bomb);
	RUN(test_anp_good);
	RUN(test_anp_domains);
	RUN(test_anp_bad);
	RUN(test_banp_good);
	RUN(test_banp_bad);
	RUN(test_netset_good);
	RUN(test_netset_bad);
	printf("ok\n");
	return 0;
}
