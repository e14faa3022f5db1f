/*
 * fuzz_policy_yaml.c - the parsers of router/policy_yaml.c on one YAML
 * document meant to be a NetworkPolicy, an AdminNetworkPolicy, a
 * BaselineAdminNetworkPolicy, a NetworkSet or a GlobalNetworkSet (each
 * input goes to all five), then the reference evaluator (policy/eval.c)
 * on a small world holding what was accepted.
 *
 * Besides what ASan and UBSan catch, it aborts when the result breaks the
 * contract of policy_yaml.h: an unknown return code, an object returned
 * with an error (or none without), an accepted policy that its validator
 * or policy_world_validate() refuses, lists whose counts and pointers
 * disagree, a protocol that is not TCP, UDP or SCTP, a domainNames entry
 * not in its normal form (a valid pattern, lower case, no trailing dot),
 * or a verdict the evaluator cannot give. The small world answers every
 * domainNames question with a binding, so name matching runs too.
 *
 * The seeds in corpus/fuzz_policy_yaml/ are hand-written: the
 * documentation's example, the absent/empty edge cases of SEMANTICS.md §3,
 * every peer and port form, flow style and anchors, and refused
 * documents (typos, bad ports, host bits, empty peers, two documents);
 * anp-*.yaml, banp-*.yaml and netset-*.yaml the same for the other kinds,
 * and *domains*.yaml for domainNames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/eval.h"
#include "policy/model.h"
#include "router/policy_yaml.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

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

/* A loaded domainNames list: present means 1 to the cap, normal form. */
static void
check_domains(const char *const *v, size_t n)
{
	if (v == NULL)
		return;
	CHECK(n >= 1 && n <= POLICY_DOMAINS_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t len;

		CHECK(v[i] != NULL);
		CHECK(policy_domain_pattern_valid(v[i], NULL, 0));
		len = strlen(v[i]);
		CHECK(len > 0 && v[i][len - 1] != '.');
		for (size_t j = 0; j < len; j++)
			CHECK(!(v[i][j] >= 'A' && v[i][j] <= 'Z'));
	}
}

/*
 * Every question has an answer: the first pattern, its '*' made a
 * label. The world's callback contract holds (n >= 1, the size).
 */
static bool
any_dns_match(void *arg, const struct policy_pod *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    char *name, size_t size)
{
	(void)arg;
	CHECK(pod != NULL && addr != NULL && patterns != NULL && n >= 1);
	CHECK(size == POLICY_DOMAIN_NAME_MAX);
	snprintf(name, size, "%s%s", patterns[0][0] == '*' ? "x" : "",
	    patterns[0][0] == '*' ? patterns[0] + 1 : patterns[0]);
	return true;
}

static void
check_rules(const struct policy_np_rule *r, size_t n)
{
	CHECK(n == 0 || r != NULL);
	for (size_t i = 0; i < n; i++) {
		CHECK(r[i].nports == 0 || r[i].ports != NULL);
		CHECK(r[i].npeers == 0 || r[i].peers != NULL);
		for (size_t j = 0; j < r[i].nports; j++) {
			const struct policy_np_port *p = &r[i].ports[j];

			CHECK(p->protocol == IPPROTO_TCP ||
			    p->protocol == IPPROTO_UDP ||
			    p->protocol == IPPROTO_SCTP);
			CHECK(!p->has_end_port || (p->has_port &&
			    p->name == NULL));
			CHECK(p->name == NULL || p->has_port);
		}
		for (size_t j = 0; j < r[i].npeers; j++) {
			const struct policy_ip_block *b = r[i].peers[j].ip_block;

			CHECK(b == NULL || b->nexcept == 0 || b->except != NULL);
			check_domains(r[i].peers[j].domain_names,
			    r[i].peers[j].ndomain_names);
		}
	}
}

/*
 * Two namespaces, a pod in each, and the policy or set (at most one of
 * them non-NULL); a few connections. A set comes with a NetworkPolicy
 * and an AdminNetworkPolicy that select it, so that its nets are looked
 * at.
 */
static void
evaluate(const struct policy_np *np, const struct policy_anp *anp,
    const struct policy_banp *banp, const struct policy_netset *set)
{
	static const struct sluice_selector all = { 0 };
	static const struct policy_np_peer np_peers[] = {
		{ .network_set_selector = &all },
		{ .global_network_set_selector = &all },
	};
	static const struct policy_np_rule np_rule = { .peers = np_peers,
		.npeers = 2 };
	static const struct policy_np set_np = { .name = "sets",
		.namespace = "default", .egress = &np_rule, .negress = 1,
		.ingress = &np_rule, .ningress = 1 };
	static const struct policy_anp_peer anp_peer = { .network_sets = &all };
	static const struct policy_anp_rule anp_rule = {
		.action = POLICY_ACTION_DENY, .peers = &anp_peer, .npeers = 1 };
	static const struct policy_anp set_anp = { .name = "sets",
		.priority = 1, .subject = { .namespaces = &all },
		.egress = &anp_rule, .negress = 1 };
	static const char *const names[] = { "default", "shop" };
	static const char *const ips[] = { "10.0.0.1", "10.0.1.1",
		"192.0.2.1" };
	struct sluice_label nslab[2], podlab[2];
	struct policy_namespace ns[2];
	struct policy_pod pods[2];
	struct sluice_addr addr[3];
	struct policy_world w;
	struct policy_result res;
	char buf[2048];

	memset(&w, 0, sizeof(w));
	memset(pods, 0, sizeof(pods));
	for (size_t i = 0; i < 3; i++)
		CHECK(sluice_addr_parse(ips[i], &addr[i]) == 0);
	for (size_t i = 0; i < 2; i++) {
		nslab[i] = (struct sluice_label){ POLICY_NS_NAME_LABEL,
		    names[i] };
		ns[i] = (struct policy_namespace){ names[i], &nslab[i], 1 };
		podlab[i] = (struct sluice_label){ "role",
		    i == 0 ? "db" : "frontend" };
		pods[i].namespace = names[i];
		pods[i].name = "p";
		pods[i].labels = &podlab[i];
		pods[i].nlabels = 1;
		pods[i].ips = &addr[i];
		pods[i].nips = 1;
	}
	w.namespaces = ns;
	w.nnamespaces = 2;
	w.pods = pods;
	w.npods = 2;
	if (set != NULL) {
		np = &set_np;
		anp = &set_anp;
		if (set->namespace != NULL) {
			w.netsets = set;
			w.nnetsets = 1;
		} else {
			w.global_netsets = set;
			w.nglobal_netsets = 1;
		}
	}
	w.nps = np;
	w.nnps = np != NULL;
	w.anps = anp;
	w.nanps = anp != NULL;
	w.banps = banp;
	w.nbanps = banp != NULL;
	w.dns_match = any_dns_match;
	CHECK(policy_world_validate(&w, NULL, NULL, NULL, 0) == 0);
	for (size_t s = 0; s < 3; s++) {
		for (size_t d = 0; d < 3; d++) {
			struct policy_conn c = { addr[s], addr[d],
				(uint8_t)(s == d ? IPPROTO_UDP : IPPROTO_TCP),
				(uint16_t)(80 + s) };

			CHECK(policy_eval(&w, &c, &res, NULL, 0) == 0);
			CHECK(res.verdict == POLICY_ALLOW ||
			    res.verdict == POLICY_DENY);
			CHECK(res.verdict == (res.egress.verdict ==
			    POLICY_ALLOW && res.ingress.verdict ==
			    POLICY_ALLOW ? POLICY_ALLOW : POLICY_DENY));
			/* Only an egress decision is ever made by a name. */
			CHECK(res.ingress.domain[0] == '\0');
			CHECK(res.egress.domain[0] == '\0' ||
			    res.egress.verdict == POLICY_ALLOW);
			policy_result_str(&res, buf, sizeof(buf));
		}
	}
}

static void
check_anp_rules(const struct policy_anp_rule *r, size_t n)
{
	CHECK(n == 0 || r != NULL);
	for (size_t i = 0; i < n; i++) {
		CHECK(r[i].action == POLICY_ACTION_ALLOW ||
		    r[i].action == POLICY_ACTION_DENY ||
		    r[i].action == POLICY_ACTION_PASS);
		CHECK(r[i].peers != NULL && r[i].npeers > 0);
		CHECK(r[i].ports == NULL || r[i].nports > 0);
		for (size_t j = 0; j < r[i].npeers; j++) {
			CHECK(r[i].peers[j].networks == NULL ||
			    r[i].peers[j].nnetworks > 0);
			check_domains(r[i].peers[j].domain_names,
			    r[i].peers[j].ndomain_names);
			CHECK(r[i].peers[j].domain_names == NULL ||
			    r[i].action == POLICY_ACTION_ALLOW);
		}
	}
}

static void
fuzz_anp(const uint8_t *data, size_t size)
{
	struct policy_yaml_anp *y, *again;
	const struct policy_anp *anp;
	int rc;

	rc = policy_yaml_anp_parse("fuzz.yaml", data, size, errs(), &y);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK((rc == 0) == (y != NULL));
	CHECK(policy_yaml_anp_parse("fuzz.yaml", data, size, NULL, &again) ==
	    rc);
	policy_yaml_anp_destroy(again);
	if (rc == 0) {
		anp = policy_yaml_anp_get(y);
		CHECK(anp->name != NULL && anp->name[0] != '\0');
		CHECK(policy_anp_validate(anp, NULL, 0) == 0);
		check_anp_rules(anp->ingress, anp->ningress);
		check_anp_rules(anp->egress, anp->negress);
		evaluate(NULL, anp, NULL, NULL);
	}
	policy_yaml_anp_destroy(y);
	policy_yaml_anp_destroy(NULL);
}

static void
fuzz_banp(const uint8_t *data, size_t size)
{
	struct policy_yaml_banp *y, *again;
	const struct policy_banp *banp;
	int rc;

	rc = policy_yaml_banp_parse("fuzz.yaml", data, size, errs(), &y);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK((rc == 0) == (y != NULL));
	CHECK(policy_yaml_banp_parse("fuzz.yaml", data, size, NULL, &again) ==
	    rc);
	policy_yaml_banp_destroy(again);
	if (rc == 0) {
		banp = policy_yaml_banp_get(y);
		CHECK(banp->name != NULL && strcmp(banp->name, "default") == 0);
		CHECK(policy_banp_validate(banp, NULL, 0) == 0);
		check_anp_rules(banp->ingress, banp->ningress);
		check_anp_rules(banp->egress, banp->negress);
		for (size_t i = 0; i < banp->ningress; i++)
			CHECK(banp->ingress[i].action != POLICY_ACTION_PASS);
		for (size_t i = 0; i < banp->negress; i++)
			CHECK(banp->egress[i].action != POLICY_ACTION_PASS);
		evaluate(NULL, NULL, banp, NULL);
	}
	policy_yaml_banp_destroy(y);
	policy_yaml_banp_destroy(NULL);
}

static void
fuzz_netset(const uint8_t *data, size_t size, bool global)
{
	struct policy_yaml_netset *y, *again;
	const struct policy_netset *set;
	int rc;

	rc = policy_yaml_netset_parse("fuzz.yaml", data, size, global, errs(),
	    &y);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK((rc == 0) == (y != NULL));
	CHECK(policy_yaml_netset_parse("fuzz.yaml", data, size, global, NULL,
	    &again) == rc);
	policy_yaml_netset_destroy(again);
	if (rc == 0) {
		set = policy_yaml_netset_get(y);
		CHECK(set->name != NULL && set->name[0] != '\0');
		CHECK(global == (set->namespace == NULL));
		CHECK(set->nlabels == 0 || set->labels != NULL);
		CHECK(set->nnets == 0 || set->nets != NULL);
		CHECK(set->nnets <= POLICY_NETSET_NETS_MAX);
		CHECK(policy_netset_validate(set, NULL, 0) == 0);
		evaluate(NULL, NULL, NULL, set);
	}
	policy_yaml_netset_destroy(y);
	policy_yaml_netset_destroy(NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_yaml_np *y, *again;
	const struct policy_np *np;
	int rc;

	rc = policy_yaml_np_parse("fuzz.yaml", data, size, errs(), &y);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK((rc == 0) == (y != NULL));
	/* The verdict does not depend on having somewhere to write. */
	CHECK(policy_yaml_np_parse("fuzz.yaml", data, size, NULL, &again) ==
	    rc);
	policy_yaml_np_destroy(again);
	if (rc == 0) {
		np = policy_yaml_np_get(y);
		CHECK(np->name != NULL && np->name[0] != '\0');
		CHECK(np->namespace != NULL && np->namespace[0] != '\0');
		CHECK(policy_np_validate(np, NULL, 0) == 0);
		CHECK(np->npolicy_types == 0 || np->policy_types != NULL);
		CHECK(policy_np_types(np) != 0);
		check_rules(np->ingress, np->ningress);
		check_rules(np->egress, np->negress);
		evaluate(np, NULL, NULL, NULL);
	}
	policy_yaml_np_destroy(y);
	policy_yaml_np_destroy(NULL);
	fuzz_anp(data, size);
	fuzz_banp(data, size);
	fuzz_netset(data, size, false);
	fuzz_netset(data, size, true);
	return 0;
}
