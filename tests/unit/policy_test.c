/*
 * policy_test.c - the policy model's validation and the reference
 * evaluator, against the conformance-style cases of policy/SEMANTICS.md
 * §4 (each test names its case numbers) and its validation list.
 *
 * Topology (SEMANTICS.md §4, like the upstream e2e tests): namespaces x,
 * y, z labelled ns=<name>, pods a, b, c in each labelled pod=<name>, each
 * serving TCP/UDP/SCTP 80 and 81 on container ports named serve-80-tcp
 * and so on; a and c run on node n1, b on n2. Added for cases 18 and 44:
 * namespace w (no ns label) with pod a, and kube-system with pod dns
 * (k8s-app=kube-dns, UDP and TCP 53). External hosts E = 198.51.100.10
 * and F = 203.0.113.5.
 *
 *   x/a 10.244.1.1 (and fd00:10:244::1:1)  y/a 10.244.2.1  z/a 10.244.3.1
 *   x/b 10.244.1.2                          y/b 10.244.2.2  z/b 10.244.3.2
 *   x/c 10.244.1.3                          y/c 10.244.2.3  z/c 10.244.3.3
 *   w/a 10.244.4.1   kube-system/dns 10.244.5.1
 *   n1 192.0.2.1     n2 192.0.2.2
 *
 * Each verdict check also validates the world it evaluates, so every
 * policy written here is a valid one (except where a test says not).
 */
#include "policy/eval.h"
#include "policy/model.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define SCTP IPPROTO_SCTP
#define ICMP IPPROTO_ICMP
#define ALLOW POLICY_ALLOW
#define DENY POLICY_DENY

/*
 * ARR(type, items...) expands to "array, count": after a designator it
 * initialises a pointer member and the count member that follows it.
 */
#define COUNT(type, ...) (sizeof((const type[]){__VA_ARGS__}) / sizeof(type))
#define ARR(type, ...) (const type[]){__VA_ARGS__}, COUNT(type, __VA_ARGS__)

#define SEL_ALL (&(const struct sluice_selector){0})
#define SEL(k, v) (&(const struct sluice_selector){                             \
	.match_labels = (const struct sluice_label[]){{(k), (v)}},              \
	.nmatch_labels = 1,                                                   \
})
#define SEL2(k1, v1, k2, v2) (&(const struct sluice_selector){                  \
	.match_labels =                                                       \
	    (const struct sluice_label[]){{(k1), (v1)}, {(k2), (v2)}},          \
	.nmatch_labels = 2,                                                   \
})
#define SEL_EXPR(k, o, ...) (&(const struct sluice_selector){                   \
	.exprs = (const struct sluice_sel_expr[]){{                             \
		.key = (k), .op = (o),                                        \
		.values = ARR(char *, __VA_ARGS__),                     \
	}},                                                                   \
	.nexprs = 1,                                                          \
})
#define SEL_OP(k, o) (&(const struct sluice_selector){                          \
	.exprs = (const struct sluice_sel_expr[]){{ .key = (k), .op = (o) }},   \
	.nexprs = 1,                                                          \
})

/* NetworkPolicy pieces. */
#define META(n, ns, sel) .name = (n), .namespace = (ns), .pod_selector = (sel)
#define TYPES(...) .policy_types = ARR(enum policy_dir, __VA_ARGS__)
#define NP_IN(...) .ingress = ARR(struct policy_np_rule, __VA_ARGS__)
#define NP_EG(...) .egress = ARR(struct policy_np_rule, __VA_ARGS__)
#define PEERS(...) .peers = ARR(struct policy_np_peer, __VA_ARGS__)
#define PORTS(...) .ports = ARR(struct policy_np_port, __VA_ARGS__)
#define PORT(proto, n) { .protocol = (proto), .has_port = true, .port = (n) }
#define NAMED(proto, s) { .protocol = (proto), .has_port = true, .name = (s) }
#define IPBLOCK(c, ...) (&(const struct policy_ip_block){ .cidr = (c),         \
	__VA_ARGS__ })
#define EXCEPT(...) .except = ARR(struct sluice_prefix, __VA_ARGS__)
#define ING POLICY_INGRESS
#define EGR POLICY_EGRESS

/* AdminNetworkPolicy pieces. */
#define A_IN(...) .ingress = ARR(struct policy_anp_rule, __VA_ARGS__)
#define A_EG(...) .egress = ARR(struct policy_anp_rule, __VA_ARGS__)
#define APEERS(...) .peers = ARR(struct policy_anp_peer, __VA_ARGS__)
#define APORTS(...) .ports = ARR(struct policy_anp_port, __VA_ARGS__)
#define PNUM(proto, n) { .port_number =                                       \
	&(const struct policy_anp_port_number){ (proto), (n) } }
#define PRANGE(proto, a, b) { .port_range =                                   \
	&(const struct policy_anp_port_range){ (proto), (a), (b) } }
#define PODS(nssel, podsel)                                                   \
	(&(const struct policy_anp_pods){ (nssel), (podsel) })
#define SUBJECT_NS(sel) .subject = { .namespaces = (sel) }
#define NETS(...) .networks = ARR(struct sluice_prefix, __VA_ARGS__)
#define DOMAINS(...) .domain_names = ARR(char *, __VA_ARGS__)
#define ALLOW_ POLICY_ACTION_ALLOW
#define DENY_ POLICY_ACTION_DENY
#define PASS_ POLICY_ACTION_PASS

/* Sets a world's list member and its count: w.nps = ..., w.nnps = ... */
#define SET(w, member, type, ...)                                             \
	((w).member = (const type[]){__VA_ARGS__},                            \
	    (w).n##member = COUNT(type, __VA_ARGS__))

/* ---- topology ------------------------------------------------------- */

enum { XA, XB, XC, YA, YB, YC, ZA, ZB, ZC, WA, DNS, NPODS };

static const char *const pod_ns[NPODS] = {
	"x", "x", "x", "y", "y", "y", "z", "z", "z", "w", "kube-system",
};
static const char *const pod_name[NPODS] = {
	"a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "dns",
};
static struct sluice_label pod_labels[NPODS][1];
static struct sluice_addr pod_ips[NPODS][2];
static struct policy_pod pods[NPODS];

static const struct policy_container_port serve[] = {
	{ "serve-80-tcp", TCP, 80 }, { "serve-80-udp", UDP, 80 },
	{ "serve-80-sctp", SCTP, 80 }, { "serve-81-tcp", TCP, 81 },
	{ "serve-81-udp", UDP, 81 }, { "serve-81-sctp", SCTP, 81 },
};
static const struct policy_container_port dns_ports[] = {
	{ "dns", UDP, 53 }, { "dns-tcp", TCP, 53 },
};

static const struct sluice_label ns_x[] = {
	{ "ns", "x" }, { POLICY_NS_NAME_LABEL, "x" },
};
static const struct sluice_label ns_y[] = {
	{ "ns", "y" }, { POLICY_NS_NAME_LABEL, "y" },
};
static const struct sluice_label ns_z[] = {
	{ "ns", "z" }, { POLICY_NS_NAME_LABEL, "z" },
};
static const struct sluice_label ns_w[] = { { POLICY_NS_NAME_LABEL, "w" } };
static const struct sluice_label ns_ks[] = {
	{ POLICY_NS_NAME_LABEL, "kube-system" },
};
static const struct policy_namespace namespaces[] = {
	{ "x", ns_x, 2 }, { "y", ns_y, 2 }, { "z", ns_z, 2 },
	{ "w", ns_w, 1 }, { "kube-system", ns_ks, 1 },
};

static const struct sluice_label n1_labels[] = {
	{ "kubernetes.io/hostname", "n1" }, { "zone", "one" },
};
static const struct sluice_label n2_labels[] = {
	{ "kubernetes.io/hostname", "n2" }, { "zone", "two" },
};
static struct sluice_addr node_addrs[2];
static struct policy_node nodes[2];

static size_t nverdicts;	/* verdict checks made, for the summary */

static struct sluice_addr
parse_addr(const char *s)
{
	struct sluice_addr a;

	if (sluice_addr_parse(s, &a) != 0)
		CHECK_FAIL("bad address %s", s);
	return a;
}

static void
topology_init(void)
{
	char buf[64];

	for (int i = 0; i < NPODS; i++) {
		struct policy_pod *p = &pods[i];

		pod_labels[i][0].key = i == DNS ? "k8s-app" : "pod";
		pod_labels[i][0].value = i == DNS ? "kube-dns" : pod_name[i];
		if (i < WA)
			snprintf(buf, sizeof(buf), "10.244.%d.%d", i / 3 + 1,
			    i % 3 + 1);
		else
			snprintf(buf, sizeof(buf), "10.244.%d.1",
			    i == WA ? 4 : 5);
		pod_ips[i][0] = parse_addr(buf);
		memset(p, 0, sizeof(*p));
		p->namespace = pod_ns[i];
		p->name = pod_name[i];
		p->node = i % 3 == 1 ? "n2" : "n1";
		p->labels = pod_labels[i];
		p->nlabels = 1;
		p->ips = pod_ips[i];
		p->nips = 1;
		p->ports = i == DNS ? dns_ports : serve;
		p->nports = i == DNS ? 2 : 6;
	}
	pod_ips[XA][1] = parse_addr("fd00:10:244::1:1");
	pods[XA].nips = 2;
	node_addrs[0] = parse_addr("192.0.2.1");
	node_addrs[1] = parse_addr("192.0.2.2");
	nodes[0] = (struct policy_node){
		"n1", n1_labels, 2, &node_addrs[0], 1,
	};
	nodes[1] = (struct policy_node){
		"n2", n2_labels, 2, &node_addrs[1], 1,
	};
}

/* The topology and no policy. */
static struct policy_world
base(void)
{
	return (struct policy_world){
		.namespaces = namespaces, .nnamespaces = 5,
		.pods = pods, .npods = NPODS,
		.nodes = nodes, .nnodes = 2,
	};
}

/*
 * "x/a" (its IPv4 address), "x/a@6" (its IPv6 one), "n1", "n2", "E", "F",
 * or a literal address.
 */
static struct sluice_addr
addr_of(const char *ref)
{
	char buf[64];

	if (strcmp(ref, "E") == 0)
		return parse_addr("198.51.100.10");
	if (strcmp(ref, "F") == 0)
		return parse_addr("203.0.113.5");
	if (strcmp(ref, "n1") == 0)
		return node_addrs[0];
	if (strcmp(ref, "n2") == 0)
		return node_addrs[1];
	for (int i = 0; i < NPODS; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", pod_ns[i], pod_name[i]);
		if (strcmp(ref, buf) == 0)
			return pod_ips[i][0];
		snprintf(buf, sizeof(buf), "%s/%s@6", pod_ns[i], pod_name[i]);
		if (strcmp(ref, buf) == 0)
			return pod_ips[i][1];
	}
	return parse_addr(ref);
}

/* A prefix: "10.0.0.0/8", host bits cleared as the loader does. */
static struct sluice_prefix
P(const char *s)
{
	struct sluice_prefix p;

	if (sluice_prefix_parse(s, true, &p) != 0)
		CHECK_FAIL("bad prefix %s", s);
	return p;
}

/* The prefix of length len around an address reference (see addr_of). */
static struct sluice_prefix
PP(const char *ref, int len)
{
	struct sluice_addr a = addr_of(ref);
	char s[SLUICE_ADDRSTRLEN], buf[64];

	snprintf(buf, sizeof(buf), "%s/%d", sluice_addr_str(&a, s, sizeof(s)),
	    len);
	return P(buf);
}

static void
print_problem(void *arg, const char *problem)
{
	(void)arg;
	fprintf(stderr, "  %s\n", problem);
}

/*
 * Evaluates src -> dst (proto, dport) in w and checks the verdict and
 * that the explanation contains why (NULL: anything).
 */
static void
expect_(int line, const struct policy_world *w, bool validate,
    const char *src, const char *dst, int proto, int dport,
    enum policy_verdict v, const char *why)
{
	struct policy_conn c = {
		.src = addr_of(src), .dst = addr_of(dst),
		.proto = (uint8_t)proto, .dport = (uint16_t)dport,
	};
	struct policy_result r;
	char err[512], buf[1024];

	if (validate && policy_world_validate(w, print_problem, NULL, err,
	    sizeof(err)) != 0)
		CHECK_FAIL("line %d: the world is invalid: %s", line, err);
	if (policy_eval(w, &c, &r, err, sizeof(err)) != 0)
		CHECK_FAIL("line %d: policy_eval: %s", line, err);
	policy_result_str(&r, buf, sizeof(buf));
	if (r.verdict != v || (why != NULL && strstr(buf, why) == NULL))
		CHECK_FAIL("line %d: %s -> %s proto %d port %d: expected %s "
		    "with \"%s\", got\n  %s", line, src, dst, proto, dport,
		    v == ALLOW ? "allow" : "deny", why != NULL ? why : "",
		    buf);
	nverdicts++;
}

#define EXPECT(w, src, dst, proto, port, v, why)                              \
	expect_(__LINE__, &(w), true, (src), (dst), (proto), (port), (v), (why))
#define EXPECT_UNVALIDATED(w, src, dst, proto, port, v, why)                  \
	expect_(__LINE__, &(w), false, (src), (dst), (proto), (port), (v),    \
	    (why))

/* ---- §4 cases 1-12: isolation and policyTypes ------------------------ */

static void
test_isolation(void)
{
	struct policy_world w = base();
	const struct policy_np deny_in = {
		.name = "deny-ingress", .namespace = "x",
		.pod_selector = SEL_ALL,
	};
	const struct policy_np deny_all = {
		META("deny-all", "x", SEL_ALL),
		TYPES(ING, EGR),
	};

	/* 1 */
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW,
	    "allow: egress of y/b: no policy decided (default allow); "
	    "ingress of x/a: no policy decided (default allow)");
	/* 2, 3, 4 */
	w.nps = &deny_in;
	w.nnps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "ingress of x/a: isolated by "
	    "NetworkPolicy x/deny-ingress, no rule allows it");
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY,
	    "isolated by NetworkPolicy x/deny-ingress, no rule");
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "egress of x/a: no policy");
	/* 5, 6, 7: the pod's own node only; x/a runs on n1. */
	EXPECT(w, "n1", "x/a", TCP, 80, ALLOW,
	    "source is not a pod; ingress of x/a: isolated by NetworkPolicy "
	    "x/deny-ingress, allowed: the peer is its own node");
	EXPECT(w, "n2", "x/a", TCP, 80, DENY, "no rule allows it");
	EXPECT(w, "E", "x/a", TCP, 80, DENY, "no rule allows it");
	EXPECT(w, "E", "x/b", TCP, 80, DENY, "no rule allows it");
	EXPECT(w, "n2", "x/b", TCP, 80, ALLOW, "its own node");
	/* 8 */
	w.nps = &deny_all;
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY, "egress of x/a: isolated by "
	    "NetworkPolicy x/deny-all, no rule allows it; ingress of y/b: "
	    "no policy");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "ingress of x/a: isolated by "
	    "NetworkPolicy x/deny-all, no rule");
	/* 43: the policy deleted. */
	w.nnps = 0;
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "default allow");
}

static void
test_types_defaulting(void)
{
	struct policy_world w = base();
	const struct policy_np allow_in = {
		META("allow-in", "x", SEL_ALL),
		NP_IN({ 0 }),
	};
	const struct policy_np empty_egress = {
		/* egress: [] (present, empty); policyTypes absent */
		.name = "empty-egress", .namespace = "x",
		.pod_selector = SEL_ALL,
		.egress = (const struct policy_np_rule[]){ { 0 } },
		.negress = 0,
	};
	const struct policy_np egress_only = {
		META("egress-only", "x", SEL_ALL),
		TYPES(EGR),
	};
	const struct policy_np nps12[] = {
		{
			.name = "egress-only", .namespace = "x",
			.pod_selector = SEL_ALL, TYPES(EGR),
			NP_EG({ 0 }),
			NP_IN({ PEERS({ .pod_selector = SEL_ALL }) }),
		},
		{ .name = "deny-ingress", .namespace = "x",
		    .pod_selector = SEL_ALL },
	};
	const struct policy_np types_empty = {
		/* policyTypes: [] is the same as absent (E10). */
		META("types-empty", "x", SEL_ALL),
		.policy_types = (const enum policy_dir[]){ POLICY_EGRESS },
		.npolicy_types = 0,
		NP_EG({ 0 }),
	};

	ASSERT_EQ(policy_np_types(&allow_in), POLICY_INGRESS);
	ASSERT_EQ(policy_np_types(&empty_egress), POLICY_INGRESS);
	ASSERT_EQ(policy_np_types(&egress_only), POLICY_EGRESS);
	ASSERT_EQ(policy_np_types(&nps12[0]), POLICY_EGRESS);
	ASSERT_EQ(policy_np_types(&types_empty),
	    POLICY_INGRESS | POLICY_EGRESS);

	/* 9: ingress: [{}] allows everything, every protocol. */
	w.nps = &allow_in;
	w.nnps = 1;
	EXPECT(w, "z/c", "x/a", UDP, 81, ALLOW,
	    "allowed by NetworkPolicy x/allow-in ingress[0]");
	EXPECT(w, "E", "x/b", SCTP, 80, ALLOW,
	    "allowed by NetworkPolicy x/allow-in ingress[0]");
	/* 10 (E8): egress: [] without policyTypes isolates ingress only. */
	w.nps = &empty_egress;
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "egress of x/a: no policy");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/empty-egress, no rule");
	/* 11 */
	w.nps = &egress_only;
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY, "egress of x/a: isolated by "
	    "NetworkPolicy x/egress-only, no rule allows it");
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "ingress of x/a: no policy");
	/* 12 (E9): the first policy's ingress rule is ignored. */
	SET(w, nps, struct policy_np, nps12[0], nps12[1]);
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY,
	    "egress of x/b: allowed by NetworkPolicy x/egress-only egress[0]; "
	    "ingress of x/a: isolated by NetworkPolicy x/deny-ingress, "
	    "no rule allows it");
	/* E10: policyTypes: [] is defaulted: Ingress plus Egress (rules). */
	w.nps = &types_empty;
	w.nnps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/types-empty, no rule");
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW,
	    "allowed by NetworkPolicy x/types-empty egress[0]");
}

/* ---- §4 cases 13-20: peers ------------------------------------------ */

static void
test_peers(void)
{
	struct policy_world w = base();

	/* 13 */
	SET(w, nps, struct policy_np, {
		META("from-b", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .pod_selector = SEL("pod", "b") }) }),
	});
	EXPECT(w, "x/b", "x/a", TCP, 80, ALLOW, "x/from-b ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/from-b, no rule");
	EXPECT(w, "x/c", "x/a", TCP, 80, DENY, "x/from-b, no rule");
	EXPECT(w, "x/c", "x/b", TCP, 80, ALLOW, "ingress of x/b: no policy");

	/* 14 */
	SET(w, nps, struct policy_np, {
		.name = "from-ns-y", .namespace = "x",
		.pod_selector = SEL("pod", "a"),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/c", "x/a", TCP, 80, ALLOW, "x/from-ns-y ingress[0]");
	EXPECT(w, "z/c", "x/a", TCP, 80, DENY, "x/from-ns-y, no rule");
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY, "x/from-ns-y, no rule");

	/* 15: one peer with both selectors: AND. */
	SET(w, nps, struct policy_np, {
		META("and", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y"),
		    .pod_selector = SEL("pod", "b") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "x/and ingress[0]");
	EXPECT(w, "y/c", "x/a", TCP, 80, DENY, "x/and, no rule");
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY, "x/and, no rule");

	/* 16: two peers: OR (E5). */
	SET(w, nps, struct policy_np, {
		META("or", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y") },
		    { .pod_selector = SEL("pod", "b") }) }),
	});
	EXPECT(w, "y/c", "x/a", TCP, 80, ALLOW, "x/or ingress[0]");
	EXPECT(w, "x/b", "x/a", TCP, 80, ALLOW, "x/or ingress[0]");
	EXPECT(w, "z/b", "x/a", TCP, 80, DENY, "x/or, no rule");

	/* 17 (E4): namespaceSelector {} is every pod, never outside. */
	SET(w, nps, struct policy_np, {
		META("all-ns", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector = SEL_ALL }) }),
	});
	EXPECT(w, "z/c", "x/a", TCP, 80, ALLOW, "x/all-ns ingress[0]");
	EXPECT(w, "w/a", "x/a", TCP, 80, ALLOW, "x/all-ns ingress[0]");
	EXPECT(w, "E", "x/a", TCP, 80, DENY, "x/all-ns, no rule");
	EXPECT(w, "n2", "x/a", TCP, 80, DENY, "x/all-ns, no rule");

	/* 18 (E28): NotIn matches a namespace without the key. */
	SET(w, nps, struct policy_np, {
		META("not-x", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector =
		    SEL_EXPR("ns", SLUICE_SEL_NOT_IN, "x") }) }),
	});
	EXPECT(w, "w/a", "x/a", TCP, 80, ALLOW, "x/not-x ingress[0]");
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY, "x/not-x, no rule");
	EXPECT(w, "y/a", "x/a", TCP, 80, ALLOW, "x/not-x ingress[0]");

	/* 19: a namespace by name. */
	SET(w, nps, struct policy_np, {
		META("by-name", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector = SEL_EXPR(
		    POLICY_NS_NAME_LABEL, SLUICE_SEL_IN, "y") }) }),
	});
	EXPECT(w, "y/a", "x/a", TCP, 80, ALLOW, "x/by-name ingress[0]");
	EXPECT(w, "z/a", "x/a", TCP, 80, DENY, "x/by-name, no rule");

	/* 20 */
	SET(w, nps, struct policy_np, {
		META("exprs", "x", SEL("pod", "a")),
		NP_IN({ PEERS({
		    .pod_selector = SEL_EXPR("pod", SLUICE_SEL_IN, "b", "c"),
		    .namespace_selector = SEL_EXPR("ns", SLUICE_SEL_NOT_IN, "x"),
		}) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "x/exprs ingress[0]");
	EXPECT(w, "z/c", "x/a", TCP, 80, ALLOW, "x/exprs ingress[0]");
	EXPECT(w, "y/a", "x/a", TCP, 80, DENY, "x/exprs, no rule");
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY, "x/exprs, no rule");

	/* E1: an absent spec.podSelector selects every pod, like {}. */
	SET(w, nps, struct policy_np, { .name = "nil", .namespace = "x" });
	EXPECT(w, "y/b", "x/c", TCP, 80, DENY, "x/nil, no rule");
	/* DoesNotExist and Exists. */
	SET(w, nps, struct policy_np, {
		META("exists", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector =
		    SEL_OP("ns", SLUICE_SEL_DOES_NOT_EXIST) },
		    { .namespace_selector =
		    SEL_OP("nope", SLUICE_SEL_EXISTS) }) }),
	});
	EXPECT(w, "w/a", "x/a", TCP, 80, ALLOW, "x/exists ingress[0]");
	EXPECT(w, "kube-system/dns", "x/a", TCP, 80, ALLOW, "x/exists");
	EXPECT(w, "y/a", "x/a", TCP, 80, DENY, "x/exists, no rule");
}

/* ---- §4 cases 21-28, 37-40, 44: ports ------------------------------- */

static void
test_ports(void)
{
	struct policy_world w = base();

	/* 21 (E13) */
	SET(w, nps, struct policy_np, {
		META("p81", "x", SEL("pod", "a")),
		NP_IN({ PORTS({ .has_port = true, .port = 81 }),
		    PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 81, ALLOW, "x/p81 ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/p81, no rule");
	EXPECT(w, "y/b", "x/a", UDP, 81, DENY, "x/p81, no rule");

	/* 22 (E14) */
	SET(w, nps, struct policy_np, {
		META("udp", "x", SEL("pod", "a")),
		NP_IN({ PORTS({ .protocol = UDP }) }),
	});
	EXPECT(w, "y/b", "x/a", UDP, 80, ALLOW, "x/udp ingress[0]");
	EXPECT(w, "y/b", "x/a", UDP, 81, ALLOW, "x/udp ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/udp, no rule");

	/* 23 (E12): ports: [{}] is every TCP port only. */
	SET(w, nps, struct policy_np, {
		META("tcp", "x", SEL("pod", "a")),
		NP_IN({ PORTS({ 0 }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 12345, ALLOW, "x/tcp ingress[0]");
	EXPECT(w, "y/b", "x/a", UDP, 80, DENY, "x/tcp, no rule");
	EXPECT(w, "y/b", "x/a", ICMP, 0, DENY, "x/tcp, no rule");

	/* 24 */
	SET(w, nps, struct policy_np, {
		META("range", "x", SEL("pod", "a")),
		NP_IN({ PORTS({ .has_port = true, .port = 8000,
		    .has_end_port = true, .end_port = 8010 }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 8000, ALLOW, "x/range ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 8010, ALLOW, "x/range ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 8011, DENY, "x/range, no rule");
	EXPECT(w, "y/b", "x/a", TCP, 7999, DENY, "x/range, no rule");

	/* 25 */
	SET(w, nps, struct policy_np, {
		META("named", "x", SEL_ALL),
		NP_IN({ PORTS(NAMED(0, "serve-81-tcp")) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 81, ALLOW, "x/named ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/named, no rule");

	/* 26 (E21): the name and the protocol must both agree. */
	SET(w, nps, struct policy_np, {
		.name = "named-udp", .namespace = "x",
		.pod_selector = SEL("pod", "a"),
		NP_IN({ PORTS(NAMED(UDP, "serve-81-tcp")) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 81, DENY, "x/named-udp, no rule");
	EXPECT(w, "y/b", "x/a", UDP, 81, DENY, "x/named-udp, no rule");

	/* 28 (E22): a named port toward a non-pod matches nothing. */
	SET(w, nps, struct policy_np, {
		META("eg-named", "x", SEL_ALL),
		TYPES(EGR), NP_EG({ PORTS(NAMED(0, "serve-80-tcp")) }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "x/eg-named egress[0]");
	EXPECT(w, "x/a", "y/b", TCP, 81, DENY, "x/eg-named, no rule");
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "x/eg-named, no rule");

	/* 37 (E41): an SCTP-only rule still isolates. */
	SET(w, nps, struct policy_np, {
		META("sctp", "x", SEL("pod", "a")),
		NP_IN({ PORTS(PORT(SCTP, 81)) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 81, DENY, "x/sctp, no rule");
	EXPECT(w, "y/b", "x/a", SCTP, 81, ALLOW, "x/sctp ingress[0]");

	/* 38, 39: ICMP only through port-less rules. */
	SET(w, nps, struct policy_np, {
		META("y80", "x", SEL("pod", "a")),
		NP_IN({ PORTS(PORT(0, 80)),
		    PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", ICMP, 0, DENY, "x/y80, no rule");
	SET(w, nps, struct policy_np, {
		META("y-any", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", ICMP, 0, ALLOW, "x/y-any ingress[0]");

	/* 40: stacked policies are a union. */
	SET(w, nps, struct policy_np, {
		META("p1", "x", SEL("pod", "a")),
		NP_IN({ PORTS(PORT(0, 81)),
		    PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	}, {
		META("p2", "x", SEL("pod", "a")),
		NP_IN({ PORTS(PORT(0, 80)),
		    PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "x/p2 ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 81, ALLOW, "x/p1 ingress[0]");
	EXPECT(w, "z/b", "x/a", TCP, 80, DENY,
	    "isolated by NetworkPolicy x/p1 and 1 more, no rule allows it");

	/* 44 (E39): DNS must be allowed explicitly, per protocol. */
	SET(w, nps, struct policy_np, {
		META("dns", "x", SEL_ALL),
		TYPES(EGR),
		NP_EG({ PORTS(PORT(UDP, 53)), PEERS({
		    .namespace_selector = SEL(POLICY_NS_NAME_LABEL,
		    "kube-system"),
		    .pod_selector = SEL("k8s-app", "kube-dns") }) }),
	});
	EXPECT(w, "x/a", "kube-system/dns", UDP, 53, ALLOW, "x/dns egress[0]");
	EXPECT(w, "x/a", "kube-system/dns", TCP, 53, DENY, "x/dns, no rule");
	EXPECT(w, "x/a", "E", UDP, 53, DENY, "x/dns, no rule");
}

/* 27: a named port resolves per destination pod. */
static void
test_named_port_per_pod(void)
{
	struct policy_world w = base();
	struct policy_pod p[NPODS];
	const struct policy_container_port http80[] = { { "http", TCP, 80 } };
	const struct policy_container_port http8080[] = {
		{ "http", TCP, 8080 },
	};

	memcpy(p, pods, sizeof(p));
	p[XA].ports = http80;
	p[XA].nports = 1;
	p[XB].ports = http8080;
	p[XB].nports = 1;
	w.pods = p;
	SET(w, nps, struct policy_np, {
		META("http", "x", SEL_ALL),
		NP_IN({ PORTS(NAMED(0, "http")) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "x/http ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 8080, DENY, "x/http, no rule");
	EXPECT(w, "y/b", "x/b", TCP, 8080, ALLOW, "x/http ingress[0]");
	EXPECT(w, "y/b", "x/b", TCP, 80, DENY, "x/http, no rule");
	/* Same with an ANP namedPort (protocol from the container port). */
	w.nnps = 0;
	SET(w, anps, struct policy_anp, {
		.name = "deny-http", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_, APEERS({ .namespaces = SEL_ALL }),
		    APORTS({ .named_port = "http" }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY,
	    "AdminNetworkPolicy deny-http ingress[0] Deny");
	EXPECT(w, "y/b", "x/a", TCP, 8080, ALLOW, "default allow");
	EXPECT(w, "y/b", "x/b", TCP, 8080, DENY, "deny-http ingress[0]");
	EXPECT(w, "y/b", "x/b", UDP, 8080, ALLOW, "default allow");
}

/* ---- §4 cases 29-32: ipBlock ----------------------------------------- */

static void
test_ip_block(void)
{
	struct policy_world w = base();

	/* 29 */
	SET(w, nps, struct policy_np, {
		META("cidr", "x", SEL_ALL),
		TYPES(EGR),
		NP_EG({ PEERS({ .ip_block = IPBLOCK(P("198.51.100.0/24"),
		    EXCEPT(P("198.51.100.128/25"))) }) }),
	});
	EXPECT(w, "x/a", "E", TCP, 80, ALLOW, "x/cidr egress[0]");
	EXPECT(w, "x/a", "198.51.100.200", TCP, 80, DENY, "x/cidr, no rule");
	EXPECT(w, "x/a", "F", TCP, 80, DENY, "x/cidr, no rule");
	/* A v6 connection never matches a v4 block. */
	EXPECT(w, "x/a@6", "2001:db8::1", TCP, 80, DENY, "x/cidr, no rule");

	/* 30 (E23): ipBlock matches pod addresses. */
	SET(w, nps, struct policy_np, {
		META("to-yb", "x", SEL("pod", "a")),
		TYPES(EGR),
		NP_EG({ PEERS({ .ip_block = IPBLOCK(PP("y/b", 32)) }) }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "x/to-yb egress[0]");
	EXPECT(w, "x/a", "y/c", TCP, 80, DENY, "x/to-yb, no rule");

	/* 31: except, then (E26) a second policy re-allowing the /32. */
	SET(w, nps, struct policy_np, {
		META("wide", "x", SEL("pod", "a")),
		TYPES(EGR),
		NP_EG({ PEERS({ .ip_block = IPBLOCK(PP("x/a", 4),
		    EXCEPT(PP("x/b", 32))) }) }),
	});
	EXPECT(w, "x/a", "x/b", TCP, 80, DENY, "x/wide, no rule");
	EXPECT(w, "x/a", "x/c", TCP, 80, ALLOW, "x/wide egress[0]");
	SET(w, nps, struct policy_np, {
		META("wide", "x", SEL("pod", "a")),
		TYPES(EGR),
		NP_EG({ PEERS({ .ip_block = IPBLOCK(PP("x/a", 4),
		    EXCEPT(PP("x/b", 32))) }) }),
	}, {
		.name = "narrow", .namespace = "x",
		.pod_selector = SEL("pod", "a"), TYPES(EGR),
		NP_EG({ PEERS({ .ip_block = IPBLOCK(PP("x/b", 32)) }) }),
	});
	EXPECT(w, "x/a", "x/b", TCP, 80, ALLOW, "x/narrow egress[0]");
	EXPECT(w, "x/a", "x/c", TCP, 80, ALLOW, "x/wide egress[0]");

	/* E25: overlapping excepts. */
	SET(w, nps, struct policy_np, {
		META("nested", "x", SEL_ALL),
		TYPES(EGR),
		NP_EG({ PEERS({ .ip_block = IPBLOCK(P("198.51.100.0/24"),
		    EXCEPT(P("198.51.100.0/25"), P("198.51.100.0/28"))) }) }),
	});
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "x/nested, no rule");
	EXPECT(w, "x/a", "198.51.100.129", TCP, 80, ALLOW, "x/nested");

	/* 32: ingress from 0.0.0.0/0 takes outside and pods. */
	SET(w, nps, struct policy_np, {
		META("world", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .ip_block = IPBLOCK(P("0.0.0.0/0")) }) }),
	});
	EXPECT(w, "E", "x/a", TCP, 80, ALLOW, "x/world ingress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "x/world ingress[0]");
	EXPECT(w, "x/a@6", "x/a@6", TCP, 80, ALLOW, "allowed toward itself");
}

/* ---- §4 cases 33-36, 41-43, 45, 46: both ends, changes, self -------- */

static void
test_both_ends(void)
{
	struct policy_world w = base();
	const struct policy_np to_y = {
		META("to-y", "x", SEL("pod", "a")),
		TYPES(ING, EGR),
		NP_EG({ PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	};
	const struct policy_np deny_eg = {
		.name = "deny-egress", .namespace = "x",
		.pod_selector = SEL("pod", "a"), TYPES(EGR),
	};

	/* 33: both ends must allow. */
	SET(w, nps, struct policy_np, deny_eg, {
		META("allow-in", "y", SEL_ALL),
		NP_IN({ 0 }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY,
	    "egress of x/a: isolated by NetworkPolicy x/deny-egress, no rule "
	    "allows it; ingress of y/b: allowed by NetworkPolicy y/allow-in "
	    "ingress[0]");
	/* 34 */
	SET(w, nps, struct policy_np, {
		META("deny-b", "y", SEL("pod", "b")),
	});
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY,
	    "egress of x/a: no policy decided (default allow); ingress of "
	    "y/b: isolated by NetworkPolicy y/deny-b, no rule allows it");
	/* 35, 36: new connections only; the reply is conntrack's. */
	w.nps = &to_y;
	w.nnps = 1;
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "x/to-y egress[0]");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/to-y, no rule");
	/* 46: after the change, the flow's next evaluation denies it. */
	w.nps = &deny_eg;
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY, "x/deny-egress, no rule");
	/* Egress to the own node: allowed unless configured otherwise. */
	EXPECT(w, "x/a", "n1", TCP, 10250, ALLOW,
	    "x/deny-egress, allowed: the peer is its own node");
	EXPECT(w, "x/a", "n2", TCP, 10250, DENY, "x/deny-egress, no rule");
	w.deny_egress_to_local_node = true;
	EXPECT(w, "x/a", "n1", TCP, 10250, DENY, "x/deny-egress, no rule");
	w.deny_egress_to_local_node = false;

	/* 45: a pod cannot block itself. */
	SET(w, nps, struct policy_np, {
		META("same-ns", "x", SEL_ALL),
		NP_IN({ PEERS({ .pod_selector = SEL_ALL }) }),
	});
	EXPECT(w, "x/a", "x/a", TCP, 80, ALLOW,
	    "x/same-ns, allowed toward itself");
	SET(w, nps, struct policy_np, deny_eg, {
		META("deny-in", "x", SEL_ALL),
	});
	EXPECT(w, "x/a", "x/a", TCP, 80, ALLOW,
	    "egress of x/a: isolated by NetworkPolicy x/deny-egress, allowed "
	    "toward itself; ingress of x/a: isolated by NetworkPolicy "
	    "x/deny-in, allowed toward itself");
}

static void
test_label_changes(void)
{
	struct policy_world w = base();
	struct policy_pod p[NPODS];
	const struct sluice_label xb2[] = {
		{ "pod", "b" }, { "pod2", "updated" },
	};
	const struct sluice_label xa2[] = {
		{ "pod", "a" }, { "target", "isolated" },
	};

	memcpy(p, pods, sizeof(p));
	w.pods = p;
	/* 41: the client gains the label the rule wants. */
	SET(w, nps, struct policy_np, {
		.name = "updated", .namespace = "x",
		.pod_selector = SEL("pod", "a"),
		NP_IN({ PEERS({ .pod_selector = SEL2("pod", "b", "pod2",
		    "updated") }) }),
	});
	EXPECT(w, "x/b", "x/a", TCP, 80, DENY, "x/updated, no rule");
	p[XB].labels = xb2;
	p[XB].nlabels = 2;
	EXPECT(w, "x/b", "x/a", TCP, 80, ALLOW, "x/updated ingress[0]");
	/* 42: the server gains the label the policy selects. */
	memcpy(p, pods, sizeof(p));
	SET(w, nps, struct policy_np, {
		.name = "isolate", .namespace = "x",
		.pod_selector = SEL("target", "isolated"),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "default allow");
	p[XA].labels = xa2;
	p[XA].nlabels = 2;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "x/isolate, no rule");
}

/* ---- §4 cases 47-66, 71: AdminNetworkPolicy ------------------------- */

static void
test_anp(void)
{
	struct policy_world w = base();
	const struct policy_np allow_all_in = {
		META("allow-all", "x", SEL_ALL),
		NP_IN({ 0 }),
	};
	const struct policy_np allow_y = {
		META("allow-y", "x", SEL_ALL),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	};
	const struct policy_np z_only = {
		META("z-only", "x", SEL("pod", "a")),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "z") }) }),
	};
	const struct policy_banp banp_deny_y = {
		.name = "default", SUBJECT_NS(SEL_ALL),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	};

	/* 47: an ANP Deny beats a NetworkPolicy allow. */
	SET(w, anps, struct policy_anp, {
		.name = "p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .name = "deny-y", .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	w.nps = &allow_all_in;
	w.nnps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY,
	    "ingress of x/a: AdminNetworkPolicy p10 ingress[0] Deny "
	    "(rule \"deny-y\")");
	EXPECT(w, "z/b", "x/a", TCP, 80, ALLOW, "x/allow-all ingress[0]");

	/* 48 */
	SET(w, anps, struct policy_anp, {
		.name = "p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	w.nnps = 0;
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY,
	    "egress of x/a: AdminNetworkPolicy p10 egress[0] Deny");
	EXPECT(w, "x/a", "y/b", TCP, 8080, DENY, "p10 egress[0] Deny");

	/* 49, 50: Pass hands over to NetworkPolicy, then to the BANP. */
	SET(w, anps, struct policy_anp, {
		.name = "p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = PASS_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	w.banps = &banp_deny_y;
	w.nbanps = 1;
	w.nps = &allow_y;
	w.nnps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW,
	    "passed by AdminNetworkPolicy p10 ingress[0] Pass, then allowed "
	    "by NetworkPolicy x/allow-y ingress[0]");
	w.nnps = 0;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY,
	    "passed by AdminNetworkPolicy p10 ingress[0] Pass, then "
	    "BaselineAdminNetworkPolicy default ingress[0] Deny");
	/* 51 */
	w.nbanps = 0;
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW,
	    "passed by AdminNetworkPolicy p10 ingress[0] Pass, then no policy "
	    "decided (default allow)");
	/* 52 (E32): Pass into isolation without an allowing rule. */
	w.nps = &z_only;
	w.nnps = 1;
	w.nbanps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY,
	    "Pass, then isolated by NetworkPolicy x/z-only, no rule");
	w.nnps = 0;
	w.nbanps = 0;

	/* 53, 54: priority decides; lower wins. */
	SET(w, anps, struct policy_anp, {
		.name = "allow-p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	}, {
		.name = "deny-p5", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "deny-p5 ingress[0] Deny");
	SET(w, anps, struct policy_anp, {
		.name = "allow-p5", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	}, {
		.name = "deny-p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "allow-p5 ingress[0] Allow");
	/* E38: priority 0 is the highest. */
	SET(w, anps, struct policy_anp, {
		.name = "allow-p5", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	}, {
		.name = "deny-p0", .priority = 0, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "deny-p0 ingress[0] Deny");

	/* 55: rule order inside one ANP. */
	SET(w, anps, struct policy_anp, {
		.name = "ordered", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = ALLOW_, APEERS({ .pods =
		    PODS(SEL("ns", "y"), SEL("pod", "b")) }) },
		    { .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "ordered ingress[0] Allow");
	EXPECT(w, "y/c", "x/a", TCP, 80, DENY, "ordered ingress[1] Deny");

	/* 56 (E31): Pass skips every remaining ANP. */
	SET(w, anps, struct policy_anp, {
		.name = "pass-p5", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = PASS_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	}, {
		.name = "deny-p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW,
	    "passed by AdminNetworkPolicy pass-p5 ingress[0] Pass, then no "
	    "policy decided");
	/* 57 (E31): no match goes on to the next ANP. */
	SET(w, anps, struct policy_anp, {
		.name = "allow-z-p5", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "z") }) }),
	}, {
		.name = "deny-p10", .priority = 10, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "deny-p10 ingress[0] Deny");
	EXPECT(w, "z/b", "x/a", TCP, 80, ALLOW, "allow-z-p5 ingress[0] Allow");

	/* 71 (E37): equal priorities, ordered by name. */
	SET(w, anps, struct policy_anp, {
		.name = "b-deny", .priority = 3, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	}, {
		.name = "a-allow", .priority = 3, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "a-allow ingress[0] Allow");
}

static void
test_anp_directions(void)
{
	struct policy_world w = base();
	const struct policy_np deny_eg = {
		META("deny-egress", "x", SEL_ALL),
		TYPES(EGR),
	};
	const struct policy_np deny_in_y = {
		META("deny-in", "y", SEL_ALL),
	};

	/* 58: an ANP Allow beats the NP egress isolation... */
	SET(w, anps, struct policy_anp, {
		.name = "eg-y", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	w.nps = &deny_eg;
	w.nnps = 1;
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW,
	    "egress of x/a: AdminNetworkPolicy eg-y egress[0] Allow");
	EXPECT(w, "x/a", "z/b", TCP, 80, DENY, "x/deny-egress, no rule");
	/* 59 (E34): ...but not the other end's ingress. */
	SET(w, nps, struct policy_np, deny_eg, deny_in_y);
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY,
	    "egress of x/a: AdminNetworkPolicy eg-y egress[0] Allow; ingress "
	    "of y/b: isolated by NetworkPolicy y/deny-in, no rule allows it");
	w.nnps = 0;

	/* 60: a pods subject. */
	SET(w, anps, struct policy_anp, {
		.name = "subj-pods", .priority = 1,
		.subject = { .pods = PODS(SEL_ALL, SEL("pod", "a")) },
		A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "z") }) }),
	});
	EXPECT(w, "z/b", "x/a", TCP, 80, DENY, "subj-pods ingress[0] Deny");
	EXPECT(w, "z/b", "x/b", TCP, 80, ALLOW, "default allow");
	EXPECT(w, "z/b", "y/a", TCP, 80, DENY, "subj-pods ingress[0] Deny");

	/* 61 (E35): networks see pod traffic too. */
	SET(w, anps, struct policy_anp, {
		.name = "egress-lock", .priority = 1,
		SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = ALLOW_, APEERS({ .pods =
		    PODS(SEL("ns", "y"), SEL_ALL) }) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0"),
		    P("::/0")) }) }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "egress-lock egress[0] Allow");
	EXPECT(w, "x/a", "y/b", UDP, 80, ALLOW, "egress-lock egress[0] Allow");
	EXPECT(w, "x/a", "y/b", SCTP, 80, ALLOW, "egress-lock egress[0]");
	EXPECT(w, "x/a", "z/b", TCP, 80, DENY, "egress-lock egress[1] Deny");
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "egress-lock egress[1] Deny");
	EXPECT(w, "x/a@6", "2001:db8::1", TCP, 80, DENY, "egress[1] Deny");
	/* 0.0.0.0/0 alone leaves IPv6 alone. */
	SET(w, anps, struct policy_anp, {
		.name = "v4-only", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }),
	});
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "v4-only egress[0] Deny");
	EXPECT(w, "x/a@6", "2001:db8::1", TCP, 80, ALLOW, "default allow");

	/* 62 */
	SET(w, anps, struct policy_anp, {
		.name = "egress-lock", .priority = 1,
		SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = ALLOW_, APEERS({ NETS(PP("z/b", 32)) }) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0"),
		    P("::/0")) }) }),
	});
	EXPECT(w, "x/a", "z/b", TCP, 80, ALLOW, "egress-lock egress[0] Allow");
	EXPECT(w, "x/a", "z/c", TCP, 80, DENY, "egress-lock egress[1] Deny");

	/* 63 */
	SET(w, anps, struct policy_anp, {
		.name = "range", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_, APORTS(PRANGE(TCP, 8000, 8010)),
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 8005, DENY, "range egress[0] Deny");
	EXPECT(w, "x/a", "y/b", TCP, 8011, ALLOW, "default allow");
	EXPECT(w, "x/a", "y/b", UDP, 8005, ALLOW, "default allow");
	EXPECT(w, "x/a", "y/b", ICMP, 0, ALLOW, "default allow");

	/* 64 */
	SET(w, anps, struct policy_anp, {
		.name = "dns", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_, APORTS(PNUM(UDP, 53)),
		    APEERS({ NETS(P("0.0.0.0/0")) }) }),
	});
	EXPECT(w, "x/a", "E", UDP, 53, DENY, "dns egress[0] Deny");
	EXPECT(w, "x/a", "E", TCP, 53, ALLOW, "default allow");

	/* 65: ingress peers are pods only. */
	SET(w, anps, struct policy_anp, {
		.name = "all-ns", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_IN({ .action = DENY_, APEERS({ .namespaces = SEL_ALL }) }),
	});
	EXPECT(w, "E", "x/a", TCP, 80, ALLOW, "default allow");
	EXPECT(w, "n1", "x/a", TCP, 80, ALLOW, "default allow");
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY, "all-ns ingress[0] Deny");
	/* An ANP applies to Service hairpin traffic (§2.8 Self traffic). */
	EXPECT(w, "x/a", "x/a", TCP, 80, DENY, "all-ns ingress[0] Deny");

	/* 66: nodes (experimental); it also overrides the local node rule. */
	SET(w, anps, struct policy_anp, {
		.name = "kubelet", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_, APORTS(PNUM(TCP, 10250)),
		    APEERS({ .nodes = SEL_ALL }) }),
	});
	EXPECT(w, "x/a", "n1", TCP, 10250, DENY, "kubelet egress[0] Deny");
	EXPECT(w, "x/a", "n2", TCP, 10250, DENY, "kubelet egress[0] Deny");
	EXPECT(w, "x/a", "E", TCP, 10250, ALLOW, "default allow");
	SET(w, anps, struct policy_anp, {
		.name = "zone-two", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_,
		    APEERS({ .nodes = SEL("zone", "two") }) }),
	});
	EXPECT(w, "x/a", "n1", TCP, 22, ALLOW, "default allow");
	EXPECT(w, "x/a", "n2", TCP, 22, DENY, "zone-two egress[0] Deny");
}

/* ---- §4 cases 67-70: BaselineAdminNetworkPolicy --------------------- */

static void
test_banp(void)
{
	struct policy_world w = base();
	const struct policy_banp deny_all_ns = {
		.name = "default", SUBJECT_NS(SEL_ALL),
		A_IN({ .action = DENY_, APEERS({ .namespaces = SEL_ALL }) }),
	};
	const struct policy_np allow_y = {
		META("allow-y", "x", SEL_ALL),
		NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y") }) }),
	};
	const struct policy_np ingress_only = {
		.name = "ingress-only", .namespace = "x",
		.pod_selector = SEL("pod", "a"), TYPES(ING), NP_IN({ 0 }),
	};

	/* 67 */
	w.banps = &deny_all_ns;
	w.nbanps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, DENY,
	    "ingress of x/a: BaselineAdminNetworkPolicy default ingress[0] "
	    "Deny");
	EXPECT(w, "E", "x/a", TCP, 80, ALLOW, "default allow");
	/* 68: NetworkPolicy isolation is final both ways. */
	w.nps = &allow_y;
	w.nnps = 1;
	EXPECT(w, "y/b", "x/a", TCP, 80, ALLOW, "x/allow-y ingress[0]");
	EXPECT(w, "z/b", "x/a", TCP, 80, DENY, "x/allow-y, no rule allows it");
	/* Pods not isolated still get the BANP. */
	EXPECT(w, "x/a", "z/b", TCP, 80, DENY,
	    "ingress of z/b: BaselineAdminNetworkPolicy default ingress[0]");

	/* 69: an Ingress-only NP leaves egress to the BANP. */
	SET(w, banps, struct policy_banp, {
		.name = "default", SUBJECT_NS(SEL_ALL),
		A_EG({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }),
	});
	w.nps = &ingress_only;
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY,
	    "egress of x/a: BaselineAdminNetworkPolicy default egress[0] "
	    "Deny");
	w.nnps = 0;

	/* 70: rule order. */
	SET(w, banps, struct policy_banp, {
		.name = "default", SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL("ns", "y") }) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 80, ALLOW, "default egress[0] Allow");
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "default egress[1] Deny");
	EXPECT(w, "y/a", "E", TCP, 80, ALLOW, "default allow");
}

/* ---- §4 cases 72-76: NetworkSets [EXT] ------------------------------ */

static void
test_netsets(void)
{
	struct policy_world w = base();
	const struct sluice_label intranet[] = { { "zone", "intranet" } };
	const struct sluice_label db[] = { { "role", "db" } };
	struct sluice_prefix corp_nets[] = { P("203.0.113.0/24") };
	struct policy_netset corp = {
		"corp", NULL, intranet, 1, corp_nets, 1,
	};
	struct policy_netset dbset = {
		"db", "x", db, 1, (const struct sluice_prefix[]){
		    P("198.51.100.0/28") }, 1,
	};

	/* 72, 73 */
	w.global_netsets = &corp;
	w.nglobal_netsets = 1;
	SET(w, anps, struct policy_anp, {
		.name = "intranet", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = ALLOW_,
		    APEERS({ .network_sets = SEL("zone", "intranet") }) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }),
	});
	EXPECT(w, "x/a", "F", TCP, 443, ALLOW, "intranet egress[0] Allow");
	EXPECT(w, "x/a", "E", TCP, 443, DENY, "intranet egress[1] Deny");
	corp.nnets = 0;
	EXPECT(w, "x/a", "F", TCP, 443, DENY, "intranet egress[1] Deny");
	corp.nnets = 1;
	/* The ANP peer sees GlobalNetworkSets only, never namespaced ones. */
	w.netsets = &(const struct policy_netset){
		"tenant", "x", intranet, 1, (const struct sluice_prefix[]){
		    P("198.51.100.0/24") }, 1,
	};
	w.nnetsets = 1;
	EXPECT(w, "x/a", "E", TCP, 443, DENY, "intranet egress[1] Deny");
	w.nanps = 0;

	/* 74, 75 */
	w.netsets = &dbset;
	w.nnetsets = 1;
	SET(w, nps, struct policy_np, {
		META("to-db", "x", SEL_ALL),
		TYPES(EGR),
		NP_EG({ PEERS({ .network_set_selector = SEL("role", "db") }) }),
	});
	EXPECT(w, "x/a", "E", TCP, 5432, ALLOW, "x/to-db egress[0]");
	EXPECT(w, "x/a", "198.51.100.20", TCP, 5432, DENY, "x/to-db, no rule");
	dbset.namespace = "y";
	EXPECT(w, "x/a", "E", TCP, 5432, DENY, "x/to-db, no rule");
	dbset.namespace = "x";
	/* Ingress from a set works the same way. */
	SET(w, nps, struct policy_np, {
		META("from-db", "x", SEL_ALL),
		NP_IN({ PEERS({ .network_set_selector = SEL_ALL }) }),
	});
	EXPECT(w, "E", "x/b", TCP, 80, ALLOW, "x/from-db ingress[0]");
	EXPECT(w, "F", "x/b", TCP, 80, DENY, "x/from-db, no rule");

	/* 76 (E43), and a matching global selector. */
	SET(w, nps, struct policy_np, {
		META("nothing", "x", SEL_ALL),
		TYPES(EGR), NP_EG({ PEERS({ .global_network_set_selector =
		    SEL("zone", "nothing-matches") }) }),
	});
	EXPECT(w, "x/a", "F", TCP, 80, DENY, "x/nothing, no rule");
	SET(w, nps, struct policy_np, {
		META("corp", "x", SEL_ALL),
		TYPES(EGR), NP_EG({ PEERS({ .global_network_set_selector =
		    SEL_ALL }) }),
	});
	EXPECT(w, "x/a", "F", TCP, 80, ALLOW, "x/corp egress[0]");
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "x/corp, no rule");
}

/* ---- records validation would refuse: fail closed (§2.6) ------------ */

static void
test_fail_closed(void)
{
	struct policy_world w = base();
	const struct policy_anp_peer unknown = { 0 };

	/* A peer with no known field: a Deny matches everything... */
	SET(w, anps, struct policy_anp, {
		.name = "future", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		.egress = &(const struct policy_anp_rule){ .action = DENY_,
		    .peers = &unknown, .npeers = 1 }, .negress = 1,
	});
	ASSERT_EQ(policy_world_validate(&w, NULL, NULL, NULL, 0), -EINVAL);
	EXPECT_UNVALIDATED(w, "x/a", "E", TCP, 80, DENY,
	    "future egress[0] Deny");
	/* ...an Allow matches nothing. */
	SET(w, anps, struct policy_anp, {
		.name = "future", .priority = 1, SUBJECT_NS(SEL("ns", "x")),
		.egress = &(const struct policy_anp_rule){ .action = ALLOW_,
		    .peers = &unknown, .npeers = 1 }, .negress = 1,
	}, {
		.name = "deny", .priority = 2, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_, APEERS({ .namespaces = SEL_ALL }) }),
	});
	EXPECT_UNVALIDATED(w, "x/a", "y/b", TCP, 80, DENY,
	    "deny egress[0] Deny");
	/* An NP peer with no field allows nothing. */
	w.nanps = 0;
	SET(w, nps, struct policy_np, {
		META("empty-peer", "x", SEL_ALL),
		NP_IN({ .peers = &(const struct policy_np_peer){ 0 },
		    .npeers = 1 }),
	});
	EXPECT_UNVALIDATED(w, "x/b", "x/a", TCP, 80, DENY,
	    "x/empty-peer, no rule");
}

/* ---- domainNames (§1.6) and the NetworkPolicy extension (§1.7) ------ */

/*
 * The matching rule of dns/dns.h's dns_name_matches(), restated for the
 * tests (policy/ never links dns/): exact but for case and a trailing
 * dot, or "*.suffix": one or more labels below suffix, not suffix.
 */
static bool
name_matches(const char *pattern, const char *name)
{
	size_t lp = strlen(pattern), ln = strlen(name);

	lp -= lp > 0 && pattern[lp - 1] == '.';
	ln -= ln > 0 && name[ln - 1] == '.';
	if (lp >= 2 && pattern[0] == '*' && pattern[1] == '.')
		return ln > lp - 1 &&
		    strncasecmp(name + ln - (lp - 1), pattern + 1, lp - 1) == 0;
	return lp == ln && strncasecmp(pattern, name, lp) == 0;
}

/* One DNS binding: pod resolved name to addr. */
struct binding {
	const struct policy_pod *pod;
	struct sluice_addr addr;
	const char *name;
};

struct bindings {
	const struct binding *v;
	size_t n;
	size_t calls;		/* test_domains only: single-threaded */
};

/*
 * A world's dns_match over a fixed table (arg): the first binding of pod
 * to addr whose name a pattern matches. The same answer for the same
 * question, as the daemon's must be for the same bindings.
 */
static bool
table_dns_match(void *arg, const struct policy_pod *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    char *name, size_t size)
{
	struct bindings *t = arg;

	ASSERT(n >= 1 && size == POLICY_DOMAIN_NAME_MAX);
	t->calls++;
	for (size_t i = 0; i < t->n; i++) {
		const struct binding *b = &t->v[i];

		if (b->pod != pod || !sluice_addr_eq(&b->addr, addr))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (name_matches(patterns[j], b->name)) {
				snprintf(name, size, "%s", b->name);
				return true;
			}
		}
	}
	return false;
}

/* The decision of one direction, for what a string cannot show. */
static struct policy_result
eval_of(const struct policy_world *w, const char *src, const char *dst,
    int proto, int dport)
{
	struct policy_conn c = {
		.src = addr_of(src), .dst = addr_of(dst),
		.proto = (uint8_t)proto, .dport = (uint16_t)dport,
	};
	struct policy_result r;

	ASSERT_OK(policy_eval(w, &c, &r, NULL, 0));
	nverdicts++;
	return r;
}

static void
test_domains(void)
{
	struct policy_world w = base();
	const struct binding table[] = {
		{ &pods[XA], addr_of("E"), "api.example.com" },
		{ &pods[XA], addr_of("F"), "img.cdn.example" },
		{ &pods[XB], addr_of("F"), "api.example.com" },
		{ &pods[XA], addr_of("203.0.113.6"), "cdn.example" },
		{ &pods[XA], addr_of("y/b"), "db.internal.example" },
		{ &pods[XA], addr_of("x/a@6"), "self.internal.example" },
	};
	struct bindings t = { table, sizeof(table) / sizeof(table[0]), 0 };
	const struct policy_anp allow_dns = {
		.name = "allow-dns", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .name = "dns", .action = ALLOW_,
		    APEERS({ .pods = PODS(SEL_ALL,
		    SEL("k8s-app", "kube-dns")) }),
		    APORTS(PNUM(UDP, 53)) },
		    { .name = "to-api", .action = ALLOW_,
		    APEERS({ DOMAINS("API.example.com.", "*.cdn.example") }),
		    APORTS(PNUM(TCP, 443)) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }),
	};
	struct policy_result r;

	w.anps = &allow_dns;
	w.nanps = 1;
	/* 78: no callback, so no bindings: the names match nothing. */
	EXPECT(w, "x/a", "E", TCP, 443, DENY, "allow-dns egress[2] Deny");
	EXPECT(w, "x/a", "kube-system/dns", UDP, 53, ALLOW,
	    "allow-dns egress[0] Allow (rule \"dns\")");

	/* 77 */
	w.dns_match = table_dns_match;
	w.dns_arg = &t;
	EXPECT(w, "x/a", "E", TCP, 443, ALLOW,
	    "egress of x/a: AdminNetworkPolicy allow-dns egress[1] Allow "
	    "(rule \"to-api\") via api.example.com; destination is not a pod");
	EXPECT(w, "x/a", "E", TCP, 80, DENY, "allow-dns egress[2] Deny");
	EXPECT(w, "x/a", "E", UDP, 443, DENY, "allow-dns egress[2] Deny");
	/* Per pod: x/b resolved the name to F, not to E. */
	EXPECT(w, "x/b", "E", TCP, 443, DENY, "allow-dns egress[2] Deny");
	EXPECT(w, "x/b", "F", TCP, 443, ALLOW, "via api.example.com");
	EXPECT(w, "x/a", "F", TCP, 443, ALLOW, "via img.cdn.example");
	/* "*.cdn.example" is below cdn.example, not cdn.example itself. */
	EXPECT(w, "x/a", "203.0.113.6", TCP, 443, DENY, "egress[2] Deny");
	/* A name no pattern lists (0.0.0.0/0 holds pods too, E35). */
	EXPECT(w, "x/a", "y/b", TCP, 443, DENY, "allow-dns egress[2] Deny");
	/* A pod that is no subject. */
	EXPECT(w, "y/a", "E", TCP, 443, ALLOW, "default allow");
	/* The other rules decide without asking DNS. */
	t.calls = 0;
	r = eval_of(&w, "x/a", "kube-system/dns", UDP, 53);
	ASSERT_EQ(r.verdict, ALLOW);
	ASSERT_STR_EQ(r.egress.domain, "");
	ASSERT_EQ(t.calls, 0);
	r = eval_of(&w, "x/a", "E", TCP, 443);
	ASSERT_STR_EQ(r.egress.domain, "api.example.com");
	ASSERT_STR_EQ(r.ingress.domain, "");

	/* 79: [EXT] NetworkPolicy egress to names. */
	w.nanps = 0;
	SET(w, nps, struct policy_np, {
		META("egress-dns", "x", SEL("pod", "a")), TYPES(EGR),
		NP_EG({ PEERS({ DOMAINS("*.internal.example") }),
		    PORTS(PORT(TCP, 443)) }),
	});
	EXPECT(w, "x/a", "y/b", TCP, 443, ALLOW,
	    "egress of x/a: allowed by NetworkPolicy x/egress-dns egress[0] "
	    "via db.internal.example");
	EXPECT(w, "x/a", "E", TCP, 443, DENY, "x/egress-dns, no rule allows");
	EXPECT(w, "x/a", "y/b", TCP, 80, DENY, "x/egress-dns, no rule allows");
	/* The NP tier's own exceptions come before any name. */
	r = eval_of(&w, "x/a@6", "x/a@6", TCP, 443);
	ASSERT_EQ(r.egress.reason, POLICY_REASON_NP_SELF);
	ASSERT_STR_EQ(r.egress.domain, "");
	/* Another peer matching the address: no name is recorded. */
	SET(w, nps, struct policy_np, {
		META("egress-dns", "x", SEL("pod", "a")), TYPES(EGR),
		NP_EG({ PEERS({ DOMAINS("*.internal.example") },
		    { .ip_block = IPBLOCK(PP("y/b", 32)) }) }),
	});
	t.calls = 0;
	r = eval_of(&w, "x/a", "y/b", TCP, 443);
	ASSERT_EQ(r.egress.reason, POLICY_REASON_NP_RULE);
	ASSERT_STR_EQ(r.egress.domain, "");
	ASSERT_EQ(t.calls, 0);

	/* 80: BaselineAdminNetworkPolicy (§1.4 [EXT]): Allow by name. */
	w.nnps = 0;
	SET(w, banps, struct policy_banp, {
		.name = "default", SUBJECT_NS(SEL_ALL),
		A_EG({ .action = ALLOW_,
		    APEERS({ DOMAINS("api.example.com") }) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }),
	});
	EXPECT(w, "x/a", "E", TCP, 80, ALLOW,
	    "BaselineAdminNetworkPolicy default egress[0] Allow via "
	    "api.example.com");
	EXPECT(w, "y/a", "E", TCP, 80, DENY, "default egress[1] Deny");
	w.nbanps = 0;

	/*
	 * Stored records validation refuses: a Deny by name fails closed
	 * (it matches everyone, as a peer with no field does); a name in
	 * an ingress rule matches nothing.
	 */
	SET(w, anps, struct policy_anp, {
		.name = "deny-by-name", .priority = 1,
		SUBJECT_NS(SEL("ns", "x")),
		A_EG({ .action = DENY_,
		    APEERS({ DOMAINS("api.example.com") }) }),
		A_IN({ .action = ALLOW_,
		    APEERS({ DOMAINS("api.example.com") }) },
		    { .action = DENY_, APEERS({ .namespaces = SEL_ALL }) }),
	});
	ASSERT_EQ(policy_world_validate(&w, NULL, NULL, NULL, 0), -EINVAL);
	EXPECT_UNVALIDATED(w, "x/a", "y/b", TCP, 80, DENY,
	    "deny-by-name egress[0] Deny");
	EXPECT_UNVALIDATED(w, "x/b", "x/a", TCP, 80, DENY,
	    "ingress of x/a: AdminNetworkPolicy deny-by-name ingress[1] Deny");
	w.nanps = 0;
	SET(w, nps, struct policy_np, {
		META("in-by-name", "x", SEL_ALL),
		NP_IN({ PEERS({ DOMAINS("api.example.com") }) }),
	});
	EXPECT_UNVALIDATED(w, "E", "x/a", TCP, 80, DENY,
	    "x/in-by-name, no rule allows");
}

static void
test_domain_patterns(void)
{
	static const struct {
		const char *pattern;
		const char *why;	/* NULL: valid */
	} cases[] = {
		{ "example.com", NULL },
		{ "*.example.com", NULL },
		{ "API.Example.COM.", NULL },
		{ "*.example.com.", NULL },
		{ "a-b_c.d1", NULL },
		{ "123.456", NULL },
		{ "x.y.z.example", NULL },
		{ "", "is empty" },
		{ ".", "needs at least two labels" },
		{ "com", "needs at least two labels (as in" },
		{ "com.", "needs at least two labels" },
		{ "*.com", "needs at least two labels after \"*.\"" },
		{ "*.", "needs at least two labels after \"*.\"" },
		{ "*", "has a '*' that is not the whole first label" },
		{ "**.example.com", "has a '*' that is not" },
		{ "*a.example.com", "has a '*' that is not" },
		{ "a.*.example.com", "has a '*' that is not" },
		{ "example.*", "has a '*' that is not" },
		{ "a..example", "has an empty label" },
		{ ".example.com", "has an empty label" },
		{ "example.com..", "has an empty label" },
		{ "*..example.com", "has an empty label" },
		{ "-a.example", "has the label \"-a\", which starts or ends "
		    "with '-' or '_'" },
		{ "a_.example", "has the label \"a_\"" },
		{ "example._tcp", "has the label \"_tcp\"" },
		{ "a b.example", "has ' ', not a letter, digit, '-' or '_'" },
		{ "a/b.example", "has '/', not a letter" },
		{ "\xc3\xa9.example", "has the byte 0xc3, not a letter" },
		{ "a.example\x01", "has the byte 0x01" },
	};
	char buf[300], why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = policy_domain_pattern_valid(cases[i].pattern, why,
		    sizeof(why));

		if (ok != (cases[i].why == NULL) || (!ok &&
		    strstr(why, cases[i].why) == NULL))
			CHECK_FAIL("\"%s\": %s, want %s", cases[i].pattern,
			    ok ? "valid" : why, cases[i].why != NULL ?
			    cases[i].why : "valid");
	}
	ASSERT(!policy_domain_pattern_valid(NULL, NULL, 0));
	/* Lengths: 63 a label, 253 a name (a trailing dot aside). */
	memset(buf, 'a', 63);
	snprintf(buf + 63, sizeof(buf) - 63, ".example");
	ASSERT(policy_domain_pattern_valid(buf, NULL, 0));
	buf[63] = 'a';
	snprintf(buf + 64, sizeof(buf) - 64, ".example");
	ASSERT(!policy_domain_pattern_valid(buf, why, sizeof(why)));
	ASSERT_STR_EQ(why, "has a label of 64 characters, at most 63");
	for (size_t i = 0; i < 253; i++)
		buf[i] = i % 2 == 0 ? 'a' : '.';
	buf[253] = '\0';		/* a.a.a...a: 127 labels, 253 bytes */
	ASSERT(policy_domain_pattern_valid(buf, NULL, 0));
	buf[253] = '.';
	buf[254] = '\0';
	ASSERT(policy_domain_pattern_valid(buf, NULL, 0));
	buf[254] = 'a';
	buf[255] = '\0';
	ASSERT(!policy_domain_pattern_valid(buf, why, sizeof(why)));
	ASSERT_STR_EQ(why, "is 255 characters long, at most 253 (and one "
	    "trailing dot)");
	/* The tests' matcher, which stands for dns_name_matches(). */
	ASSERT(name_matches("*.example.com", "a.b.example.com"));
	ASSERT(name_matches("*.example.com.", "A.EXAMPLE.com"));
	ASSERT(!name_matches("*.example.com", "example.com"));
	ASSERT(!name_matches("*.example.com", "aexample.com"));
	ASSERT(name_matches("Example.com", "example.com."));
	ASSERT(!name_matches("example.com", "a.example.com"));
}

static void
test_eval_errors(void)
{
	struct policy_world w = base();
	struct policy_conn c = { .src = addr_of("x/a"), .dst = addr_of("x/a@6"),
	    .proto = TCP, .dport = 80 };
	struct policy_result r;
	char err[256];

	ASSERT_EQ(policy_eval(&w, &c, &r, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "not both IPv4 or both IPv6");
	memset(&c.src, 0, sizeof(c.src));
	memset(&c.dst, 0, sizeof(c.dst));
	ASSERT_EQ(policy_eval(&w, &c, &r, NULL, 0), -EINVAL);
	/* External to external: nothing to check. */
	EXPECT(w, "E", "F", TCP, 80, ALLOW,
	    "allow: source is not a pod; destination is not a pod");
}

/*
 * Random worlds: verdicts must not depend on the order of the policy
 * arrays (NetworkPolicies are a union, ANPs are ordered by priority and
 * name, not by position). Policies come from a fixed pool, subsets and
 * orders at random.
 */
static void
shuffle_np(struct policy_np *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)check_below(i);
		struct policy_np t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void
shuffle_anp(struct policy_anp *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)check_below(i);
		struct policy_anp t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void
test_random_order(void)
{
	const struct policy_np np_pool[] = {
		{ META("deny-in", "x", SEL_ALL) },
		{ META("deny-eg", "y", SEL("pod", "b")), TYPES(EGR) },
		{ META("from-y", "x", SEL("pod", "a")),
		    NP_IN({ PEERS({ .namespace_selector = SEL("ns", "y") }) }) },
		{ META("p80", "z", SEL_ALL),
		    NP_IN({ PORTS(PORT(0, 80), PORT(UDP, 80)) }) },
		{ META("named", "y", SEL_ALL),
		    NP_IN({ PORTS(NAMED(SCTP, "serve-81-sctp")) }) },
		{ META("eg-cidr", "x", SEL("pod", "c")), TYPES(EGR),
		    NP_EG({ PEERS({ .ip_block = IPBLOCK(P("10.244.0.0/16"),
		    EXCEPT(P("10.244.3.0/24"))) }) }) },
		{ META("eg-ns", "z", SEL_ALL), TYPES(ING, EGR),
		    NP_EG({ PEERS({ .namespace_selector = SEL_ALL,
		    .pod_selector = SEL("pod", "a") }) }) },
		{ META("all-in", "y", SEL("pod", "c")), NP_IN({ 0 }) },
	};
	const struct policy_anp anp_pool[] = {
		{ .name = "deny-z", .priority = 5, SUBJECT_NS(SEL_ALL),
		    A_IN({ .action = DENY_,
		    APEERS({ .namespaces = SEL("ns", "z") }) }) },
		{ .name = "pass-y", .priority = 5, SUBJECT_NS(SEL("ns", "x")),
		    A_IN({ .action = PASS_,
		    APEERS({ .namespaces = SEL("ns", "y") }) }) },
		{ .name = "allow-b", .priority = 3,
		    .subject = { .pods = PODS(SEL_ALL, SEL("pod", "a")) },
		    A_IN({ .action = ALLOW_, APEERS({ .pods =
		    PODS(SEL_ALL, SEL("pod", "b")) }) }) },
		{ .name = "no-ext", .priority = 7, SUBJECT_NS(SEL("ns", "y")),
		    A_EG({ .action = ALLOW_,
		    APEERS({ .namespaces = SEL_ALL }) },
		    { .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }) },
		{ .name = "udp", .priority = 0, SUBJECT_NS(SEL_ALL),
		    A_EG({ .action = DENY_, APORTS(PNUM(UDP, 81)),
		    APEERS({ .namespaces = SEL("ns", "x") }) }) },
		{ .name = "pass-all", .priority = 9, SUBJECT_NS(SEL_ALL),
		    A_EG({ .action = PASS_,
		    APEERS({ .namespaces = SEL_ALL }) }) },
	};
	const struct policy_banp banp = {
		.name = "default", SUBJECT_NS(SEL_ALL),
		A_IN({ .action = DENY_, APEERS({ .namespaces = SEL_ALL }) }),
		A_EG({ .action = DENY_, APEERS({ NETS(P("0.0.0.0/0")) }) }),
	};
	const char *const ends[] = {
		"x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c",
		"E", "F", "n1", "n2",
	};
	const struct { int proto; int port; } svc[] = {
		{ TCP, 80 }, { TCP, 81 }, { UDP, 80 }, { UDP, 81 },
		{ SCTP, 81 }, { ICMP, 0 }, { TCP, 8005 },
	};
	struct policy_np nps[8];
	struct policy_anp anps[6];
	size_t checked = 0;

	for (int round = 0; round < 200; round++) {
		struct policy_world a = base(), b;
		size_t nn = 0, na = 0;

		for (size_t i = 0; i < 8; i++) {
			if (check_below(2))
				nps[nn++] = np_pool[i];
		}
		for (size_t i = 0; i < 6; i++) {
			if (check_below(2))
				anps[na++] = anp_pool[i];
		}
		a.nps = nps;
		a.nnps = nn;
		a.anps = anps;
		a.nanps = na;
		a.banps = &banp;
		a.nbanps = check_below(2);
		ASSERT_OK(policy_world_validate(&a, print_problem, NULL, NULL,
		    0));
		for (int k = 0; k < 40; k++) {
			int e1 = (int)check_below(13), e2 = (int)check_below(13);
			int si = (int)check_below(7);
			struct policy_conn c = {
				.src = addr_of(ends[e1]),
				.dst = addr_of(ends[e2]),
				.proto = (uint8_t)svc[si].proto,
				.dport = (uint16_t)svc[si].port,
			};
			struct policy_result r1, r2;
			struct policy_np nps2[8];
			struct policy_anp anps2[6];

			memcpy(nps2, nps, sizeof(nps));
			memcpy(anps2, anps, sizeof(anps));
			shuffle_np(nps2, nn);
			shuffle_anp(anps2, na);
			b = a;
			b.nps = nps2;
			b.anps = anps2;
			ASSERT_OK(policy_eval(&a, &c, &r1, NULL, 0));
			ASSERT_OK(policy_eval(&b, &c, &r2, NULL, 0));
			ASSERT_EQ(r1.verdict, r2.verdict);
			ASSERT_EQ(r1.egress.verdict, r2.egress.verdict);
			ASSERT_EQ(r1.ingress.verdict, r2.ingress.verdict);
			ASSERT_EQ(r1.egress.reason, r2.egress.reason);
			ASSERT_EQ(r1.ingress.reason, r2.ingress.reason);
			ASSERT_EQ(r1.verdict, r1.egress.verdict == ALLOW &&
			    r1.ingress.verdict == ALLOW ? ALLOW : DENY);
			/* The same ANP decides, whatever its position. */
			if (r1.ingress.anp != NULL)
				ASSERT_STR_EQ(r1.ingress.anp->name,
				    r2.ingress.anp->name);
			if (r1.egress.anp != NULL)
				ASSERT_STR_EQ(r1.egress.anp->name,
				    r2.egress.anp->name);
			checked++;
		}
	}
	printf("  %zu random connections in both orders\n", checked);
}

/* ---- validation (§1, §4 "Validation cases") ------------------------- */

static void
bad_np_(int line, const struct policy_np *np, const char *want)
{
	char err[512] = "";

	if (policy_np_validate(np, err, sizeof(err)) != -EINVAL)
		CHECK_FAIL("line %d: accepted, expected \"%s\"", line, want);
	if (strstr(err, want) == NULL)
		CHECK_FAIL("line %d: \"%s\" lacks \"%s\"", line, err, want);
}

static void
bad_anp_(int line, const struct policy_anp *anp, const char *want)
{
	char err[512] = "";

	if (policy_anp_validate(anp, err, sizeof(err)) != -EINVAL)
		CHECK_FAIL("line %d: accepted, expected \"%s\"", line, want);
	if (strstr(err, want) == NULL)
		CHECK_FAIL("line %d: \"%s\" lacks \"%s\"", line, err, want);
}

static void
bad_banp_(int line, const struct policy_banp *banp, const char *want)
{
	char err[512] = "";

	if (policy_banp_validate(banp, err, sizeof(err)) != -EINVAL)
		CHECK_FAIL("line %d: accepted, expected \"%s\"", line, want);
	if (strstr(err, want) == NULL)
		CHECK_FAIL("line %d: \"%s\" lacks \"%s\"", line, err, want);
}

static size_t nrefused;

/* A NetworkPolicy x/p with the given fields must be refused with want. */
#define BAD_NP(want, ...)                                                     \
	do {                                                                  \
		const struct policy_np np_ = {                                \
			.name = "p", .namespace = "x", __VA_ARGS__            \
		};                                                            \
		bad_np_(__LINE__, &np_, (want));                              \
		nrefused++;                                                   \
	} while (0)
#define BAD_NP_INGRESS_PORT(want, ...)                                        \
	BAD_NP(want, NP_IN({ PORTS({ __VA_ARGS__ }) }))
#define BAD_NP_PEER(want, ...) BAD_NP(want, NP_IN({ PEERS({ __VA_ARGS__ }) }))
/* An AdminNetworkPolicy "a" (priority 0) with the given fields. */
#define BAD_ANP(want, ...)                                                    \
	do {                                                                  \
		const struct policy_anp anp_ = {                              \
			.name = "a", __VA_ARGS__                              \
		};                                                            \
		bad_anp_(__LINE__, &anp_, (want));                            \
		nrefused++;                                                   \
	} while (0)
#define BAD_ANP_EGRESS(want, ...)                                             \
	BAD_ANP(want, SUBJECT_NS(SEL_ALL), A_EG({ __VA_ARGS__ }))
#define BAD_BANP(want, ...)                                                   \
	do {                                                                  \
		const struct policy_banp banp_ = { __VA_ARGS__ };             \
		bad_banp_(__LINE__, &banp_, (want));                          \
		nrefused++;                                                   \
	} while (0)

static void
test_validate_np(void)
{
	char err[512];

	/* The brief's example and its neighbours. */
	BAD_NP("NetworkPolicy x/p: spec.egress[0].ports[1]: endPort 80 is "
	    "below port 443", TYPES(EGR), NP_EG({ PORTS(PORT(0, 22),
	    { .has_port = true, .port = 443, .has_end_port = true,
	    .end_port = 80 }) }));
	BAD_NP_INGRESS_PORT("spec.ingress[0].ports[0]: port 0 is outside "
	    "1-65535", .has_port = true, .port = 0);
	BAD_NP_INGRESS_PORT("port 65536 is outside 1-65535", .has_port = true,
	    .port = 65536);
	BAD_NP_INGRESS_PORT("spec.ingress[0].ports[0]: endPort 90 needs a "
	    "numeric port", .has_end_port = true, .end_port = 90);
	BAD_NP_INGRESS_PORT("endPort 79 is below port 80", .has_port = true,
	    .port = 80, .has_end_port = true, .end_port = 79);
	BAD_NP_INGRESS_PORT("endPort 70000 is outside 1-65535",
	    .has_port = true, .port = 80, .has_end_port = true,
	    .end_port = 70000);
	BAD_NP_INGRESS_PORT("endPort 90 cannot be used with the named port "
	    "\"http\"", .has_port = true, .name = "http",
	    .has_end_port = true, .end_port = 90);
	BAD_NP_INGRESS_PORT("spec.ingress[0].ports[0]: protocol 1 is not TCP, "
	    "UDP or SCTP", .protocol = ICMP);
	BAD_NP_INGRESS_PORT("port \"80\" is neither a number nor a port name",
	    .has_port = true, .name = "80");
	BAD_NP_INGRESS_PORT("port \"Serve_80\" is neither", .has_port = true,
	    .name = "Serve_80");
	BAD_NP_INGRESS_PORT("port \"-http\" is neither", .has_port = true,
	    .name = "-http");
	BAD_NP_INGRESS_PORT("port \"ht--tp\" is neither", .has_port = true,
	    .name = "ht--tp");
	BAD_NP_INGRESS_PORT("port \"sixteen-chars-xx\" is neither",
	    .has_port = true, .name = "sixteen-chars-xx");
	/* Peers. */
	BAD_NP("spec.ingress[0].from[0]: must specify a peer",
	    NP_IN({ PEERS({ 0 }) }));
	BAD_NP("spec.egress[0].to[1]: must specify a peer", TYPES(EGR),
	    NP_EG({ PEERS({ .pod_selector = SEL_ALL }, { 0 }) }));
	BAD_NP_PEER("spec.ingress[0].from[0]: may not specify both ipBlock "
	    "and another peer", .ip_block = IPBLOCK(P("10.0.0.0/8")),
	    .pod_selector = SEL_ALL);
	BAD_NP_PEER("may not specify both networkSetSelector and another "
	    "peer", .network_set_selector = SEL_ALL, .pod_selector = SEL_ALL);
	BAD_NP_PEER("may not specify both globalNetworkSetSelector and "
	    "another peer", .global_network_set_selector = SEL_ALL,
	    .namespace_selector = SEL_ALL);
	BAD_NP_PEER("spec.ingress[0].from[0].ipBlock.except[0]: 10.0.0.0/8 is "
	    "not a strict subset of cidr 10.0.0.0/8",
	    .ip_block = IPBLOCK(P("10.0.0.0/8"), EXCEPT(P("10.0.0.0/8"))));
	BAD_NP_PEER("except[1]: 192.168.0.0/16 is not a strict subset of cidr "
	    "10.0.0.0/8", .ip_block = IPBLOCK(P("10.0.0.0/8"),
	    EXCEPT(P("10.1.0.0/16"), P("192.168.0.0/16"))));
	BAD_NP_PEER("except[0]: fd00::/8 is not a strict subset",
	    .ip_block = IPBLOCK(P("10.0.0.0/8"), EXCEPT(P("fd00::/8"))));
	BAD_NP_PEER("ipBlock.cidr: 10.0.0.1/8 has host bits set (the loader "
	    "masks them to 10.0.0.0/8)", .ip_block = IPBLOCK(
	    ((struct sluice_prefix){ addr_of("10.0.0.1"), 8 })));
	BAD_NP_PEER("ipBlock.cidr: prefix length 33 is longer than 32",
	    .ip_block = IPBLOCK(((struct sluice_prefix){
	    addr_of("10.0.0.0"), 33 })));
	BAD_NP_PEER("ipBlock.cidr: address family 0 is neither IPv4 nor IPv6",
	    .ip_block = IPBLOCK(((struct sluice_prefix){ .len = 8 })));
	/* [EXT] domainNames (§1.7). */
	BAD_NP("NetworkPolicy x/p: spec.egress[0].to[0]: may not specify both "
	    "domainNames and another peer", TYPES(EGR), NP_EG({ PEERS({
	    DOMAINS("example.com"), .pod_selector = SEL_ALL }) }));
	BAD_NP("NetworkPolicy x/p: spec.ingress[0].from[0]: domainNames is an "
	    "egress peer only: a pod's DNS answers name where it connects "
	    "to, not who connects to it", NP_IN({ PEERS({
	    DOMAINS("example.com") }) }));
	BAD_NP("spec.egress[0].to[1].domainNames has 0 entries, needs 1 to 25",
	    NP_EG({ PEERS({ .pod_selector = SEL_ALL }, {
	    .domain_names = (const char *const[]){ "x.y" },
	    .ndomain_names = 0 }) }));
	BAD_NP("spec.egress[0].to[0].domainNames[1]: \"a_.example\" has the "
	    "label \"a_\", which starts or ends with '-' or '_'",
	    NP_EG({ PEERS({ DOMAINS("ok.example", "a_.example") }) }));
	BAD_NP("spec.egress[0].to[0].domainNames[1]: \"Example.COM.\" repeats "
	    "domainNames[0]", NP_EG({ PEERS({ DOMAINS("example.com",
	    "Example.COM.") }) }));
	/* policyTypes. */
	BAD_NP("spec.policyTypes: 3 items, at most 2", TYPES(ING, EGR, ING));
	BAD_NP("spec.policyTypes[0]: 7 is neither Ingress nor Egress",
	    TYPES((enum policy_dir)7));
	/* Selectors. */
	BAD_NP("spec.podSelector: matchExpressions entry 0 (pod): In and NotIn "
	    "need at least one value", .pod_selector = &(const struct
	    sluice_selector){ .exprs = &(const struct sluice_sel_expr){
	    .key = "pod", .op = SLUICE_SEL_IN }, .nexprs = 1 });
	BAD_NP_PEER("spec.ingress[0].from[0].namespaceSelector: "
	    "matchExpressions entry 0 (ns): Exists and DoesNotExist take no "
	    "values", .namespace_selector = SEL_EXPR("ns", SLUICE_SEL_EXISTS,
	    "x"));
	BAD_NP_PEER("from[0].podSelector: matchExpressions entry 0 (n): "
	    "unknown operator 9", .pod_selector = SEL_OP("n",
	    (enum sluice_sel_op)9));
	BAD_NP_PEER("networkSetSelector: matchLabels entry 0 has an empty "
	    "key", .network_set_selector = SEL("", "v"));
	/* Names. */
	{
		const struct policy_np bad = {
			.name = "Web", .namespace = "x",
		};
		const struct policy_np bad_ns = { .name = "web",
		    .namespace = "x.y" };

		ASSERT_EQ(policy_np_validate(&bad, err, sizeof(err)), -EINVAL);
		ASSERT_STR_HAS(err, "NetworkPolicy x/Web: metadata.name "
		    "\"Web\" is not a DNS-1123 subdomain");
		ASSERT_EQ(policy_np_validate(&bad_ns, err, sizeof(err)),
		    -EINVAL);
		ASSERT_STR_HAS(err, "metadata.namespace \"x.y\" is not a "
		    "DNS-1123 label");
		nrefused += 2;
	}

	/* Valid edge cases: endPort == port, a dotted name, every field. */
	{
		const struct policy_np ok = {
			.name = "web.v1", .namespace = "x",
			TYPES(ING, ING),	/* duplicates are accepted */
			NP_IN({ PORTS({ .has_port = true, .port = 80,
			    .has_end_port = true, .end_port = 80 },
			    NAMED(SCTP, "serve-80-sctp"),
			    { .protocol = UDP }),
			    PEERS({ .ip_block = IPBLOCK(P("::/0"),
			    EXCEPT(P("fd00::/8"))) },
			    { .namespace_selector = SEL_ALL,
			    .pod_selector = SEL_ALL },
			    { .global_network_set_selector = SEL_ALL }) }),
		};

		ASSERT_OK(policy_np_validate(&ok, err, sizeof(err)));
	}
}

static void
test_validate_anp(void)
{
	static struct policy_anp_rule many[POLICY_ANP_RULES_MAX + 1];
	static struct sluice_prefix nets26[POLICY_ANP_NETWORKS_MAX + 1];
	const struct policy_anp_peer ns_peer = { .namespaces = SEL_ALL };
	const struct policy_anp_peer many_nets = {
		.networks = nets26, .nnetworks = POLICY_ANP_NETWORKS_MAX + 1,
	};
	static char domain_buf[POLICY_DOMAINS_MAX + 1][16];
	static const char *domains26[POLICY_DOMAINS_MAX + 1];
	const struct policy_anp_peer many_domains = {
		.domain_names = domains26,
		.ndomain_names = POLICY_DOMAINS_MAX + 1,
	};
	char err[512], buf[64];

	for (size_t i = 0; i <= POLICY_DOMAINS_MAX; i++) {
		snprintf(domain_buf[i], sizeof(domain_buf[i]), "n%zu.example",
		    i);
		domains26[i] = domain_buf[i];
	}

	for (size_t i = 0; i < POLICY_ANP_RULES_MAX + 1; i++)
		many[i] = (struct policy_anp_rule){ .action = DENY_,
		    .peers = &ns_peer, .npeers = 1 };
	for (size_t i = 0; i < POLICY_ANP_NETWORKS_MAX + 1; i++) {
		snprintf(buf, sizeof(buf), "10.%zu.0.0/16", i);
		nets26[i] = P(buf);
	}

	BAD_ANP("AdminNetworkPolicy a: spec.priority -1 is outside 0-1000",
	    .priority = -1, SUBJECT_NS(SEL_ALL));
	BAD_ANP("spec.priority 1001 is outside 0-1000", .priority = 1001,
	    SUBJECT_NS(SEL_ALL));
	BAD_ANP("spec.subject: set exactly one of namespaces and pods (0 set)");
	BAD_ANP("spec.subject: set exactly one of namespaces and pods (2 set)",
	    .subject = { SEL_ALL, PODS(SEL_ALL, SEL_ALL) });
	BAD_ANP("spec.subject.pods.podSelector is required",
	    .subject = { .pods = PODS(SEL_ALL, NULL) });
	BAD_ANP("spec.subject.pods.namespaceSelector is required",
	    .subject = { .pods = PODS(NULL, SEL_ALL) });
	BAD_ANP("spec.ingress: 101 rules, at most 100", SUBJECT_NS(SEL_ALL),
	    .ingress = many, .ningress = POLICY_ANP_RULES_MAX + 1);
	BAD_ANP("spec.ingress[0].from is required", SUBJECT_NS(SEL_ALL),
	    A_IN({ .action = DENY_ }));
	BAD_ANP("spec.ingress[0].from has 0 peers, needs 1 to 100",
	    SUBJECT_NS(SEL_ALL), A_IN({ .action = DENY_, .peers = &ns_peer,
	    .npeers = 0 }));
	BAD_ANP_EGRESS("spec.egress[0].ports has 0 entries, needs 1 to 100",
	    .action = DENY_, .peers = &ns_peer, .npeers = 1,
	    .ports = &(const struct policy_anp_port){ 0 }, .nports = 0);
	BAD_ANP_EGRESS("spec.egress[0].to[0]: set exactly one of namespaces, "
	    "pods, networks, nodes, networkSets and domainNames (2 set)",
	    .action = DENY_,
	    APEERS({ .namespaces = SEL_ALL, NETS(P("10.0.0.0/8")) }));
	BAD_ANP_EGRESS("spec.egress[0].to[0]: set exactly one of namespaces, "
	    "pods, networks, nodes, networkSets and domainNames (0 set)",
	    .action = DENY_,
	    APEERS({ 0 }));
	BAD_ANP("spec.ingress[0].from[0]: networks is an egress peer only",
	    SUBJECT_NS(SEL_ALL), A_IN({ .action = DENY_,
	    APEERS({ NETS(P("10.0.0.0/8")) }) }));
	BAD_ANP("spec.ingress[0].from[1]: nodes is an egress peer only",
	    SUBJECT_NS(SEL_ALL), A_IN({ .action = DENY_,
	    APEERS({ .namespaces = SEL_ALL }, { .nodes = SEL_ALL }) }));
	BAD_ANP_EGRESS("spec.egress[0].ports[0].portRange: start 8010 must be "
	    "less than end 8000", .action = DENY_,
	    APEERS({ .namespaces = SEL_ALL }),
	    APORTS(PRANGE(TCP, 8010, 8000)));
	BAD_ANP_EGRESS("portRange: start 80 must be less than end 80",
	    .action = DENY_, APEERS({ .namespaces = SEL_ALL }),
	    APORTS(PRANGE(TCP, 80, 80)));
	BAD_ANP_EGRESS("ports[1].portNumber: port 0 is outside 1-65535",
	    .action = DENY_, APEERS({ .namespaces = SEL_ALL }),
	    APORTS(PNUM(TCP, 80), PNUM(TCP, 0)));
	BAD_ANP_EGRESS("ports[0].portNumber: protocol 1 is not TCP, UDP or "
	    "SCTP", .action = DENY_, APEERS({ .namespaces = SEL_ALL }),
	    APORTS(PNUM(ICMP, 80)));
	BAD_ANP_EGRESS("ports[0]: set exactly one of portNumber, portRange "
	    "and namedPort (2 set)", .action = DENY_,
	    APEERS({ .namespaces = SEL_ALL }),
	    APORTS({ .port_number = &(const struct policy_anp_port_number){
	    TCP, 80 }, .named_port = "http" }));
	BAD_ANP_EGRESS("spec.egress[0].to[0].networks has 26 entries, needs 1 "
	    "to 25", .action = DENY_, .peers = &many_nets, .npeers = 1);
	BAD_ANP_EGRESS("spec.egress[0].to[0].networks[2]: 10.0.0.0/8 repeats "
	    "networks[0]", .action = DENY_, APEERS({ NETS(P("10.0.0.0/8"),
	    P("fd00::/8"), P("10.0.0.0/8")) }));
	BAD_ANP_EGRESS("networks has 0 entries", .action = DENY_,
	    APEERS({ .networks = nets26, .nnetworks = 0 }));
	BAD_ANP_EGRESS("spec.egress[0].to[1]: a namedPort cannot be used with "
	    "a networks, nodes, networkSets or domainNames peer",
	    .action = ALLOW_,
	    APORTS({ .named_port = "http" }),
	    APEERS({ .namespaces = SEL_ALL }, { NETS(P("10.0.0.0/8")) }));
	/* domainNames (§1.6). */
	BAD_ANP_EGRESS("AdminNetworkPolicy a: spec.egress[0].to[1]: "
	    "domainNames is for Allow rules only: the addresses a name "
	    "resolves to are never completely known, so a Deny by name would "
	    "miss some of them", .action = DENY_,
	    APEERS({ .namespaces = SEL_ALL }, { DOMAINS("example.com") }));
	BAD_ANP_EGRESS("spec.egress[0].to[0]: domainNames is for Allow rules "
	    "only: the addresses a name resolves to are never completely "
	    "known, so a Pass by name would miss some of them",
	    .action = PASS_, APEERS({ DOMAINS("*.example.com") }));
	BAD_ANP("spec.ingress[0].from[0]: domainNames is an egress peer only "
	    "(ingress peers are namespaces or pods)", SUBJECT_NS(SEL_ALL),
	    A_IN({ .action = ALLOW_, APEERS({ DOMAINS("example.com") }) }));
	BAD_ANP_EGRESS("spec.egress[0].to[0]: set exactly one of namespaces, "
	    "pods, networks, nodes, networkSets and domainNames (2 set)",
	    .action = ALLOW_, APEERS({ DOMAINS("example.com"),
	    .nodes = SEL_ALL }));
	BAD_ANP_EGRESS("spec.egress[0].to[0]: a namedPort cannot be used with "
	    "a networks, nodes, networkSets or domainNames peer",
	    .action = ALLOW_, APORTS({ .named_port = "http" }),
	    APEERS({ DOMAINS("example.com") }));
	BAD_ANP_EGRESS("spec.egress[0].to[0].domainNames has 26 entries, needs "
	    "1 to 25", .action = ALLOW_, .peers = &many_domains, .npeers = 1);
	BAD_ANP_EGRESS("spec.egress[0].to[0].domainNames[0]: \"*.com\" needs "
	    "at least two labels after \"*.\"", .action = ALLOW_,
	    APEERS({ DOMAINS("*.com") }));
	BAD_ANP_EGRESS("spec.egress[0].to[0].domainNames[0]: \"(null)\" is "
	    "empty", .action = ALLOW_, APEERS({ DOMAINS(NULL) }));
	{
		const struct policy_anp ok = {
			.name = "a", SUBJECT_NS(SEL_ALL),
			A_EG({ .action = ALLOW_, APEERS({ .domain_names =
			    domains26, .ndomain_names = POLICY_DOMAINS_MAX },
			    { DOMAINS("*.Example.com.", "example.com") }),
			    APORTS(PNUM(TCP, 443)) }),
		};

		ASSERT_OK(policy_anp_validate(&ok, err, sizeof(err)));
	}
	BAD_ANP_EGRESS("ports[0].namedPort \"HTTP\" is not a port name",
	    .action = ALLOW_, APORTS({ .named_port = "HTTP" }),
	    APEERS({ .namespaces = SEL_ALL }));
	BAD_ANP_EGRESS("spec.egress[0].action 7 is not Allow, Deny or Pass",
	    .action = (enum policy_action)7,
	    APEERS({ .namespaces = SEL_ALL }));
	BAD_ANP_EGRESS("spec.egress[0].to[0].pods.podSelector is required",
	    .action = DENY_, APEERS({ .pods = PODS(SEL_ALL, NULL) }));
	BAD_ANP_EGRESS("spec.egress[0].to[0].networkSets: matchExpressions "
	    "entry 0 (zone): In and NotIn need at least one value",
	    .action = DENY_, APEERS({ .network_sets = &(const struct
	    sluice_selector){ .exprs = &(const struct sluice_sel_expr){
	    .key = "zone", .op = SLUICE_SEL_NOT_IN }, .nexprs = 1 } }));
	BAD_ANP_EGRESS("spec.egress[0].name is 101 characters, at most 100",
	    .name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "a",
	    .action = DENY_,
	    APEERS({ .namespaces = SEL_ALL }));
	{
		const struct policy_anp bad = { .name = "A_b",
		    SUBJECT_NS(SEL_ALL) };

		ASSERT_EQ(policy_anp_validate(&bad, err, sizeof(err)), -EINVAL);
		ASSERT_STR_HAS(err, "AdminNetworkPolicy A_b: metadata.name "
		    "\"A_b\" is not a DNS-1123 subdomain");
		nrefused++;
	}

	/* The limits themselves are fine. */
	{
		const struct policy_anp ok = {
			.name = "ok", .priority = 1000, SUBJECT_NS(SEL_ALL),
			.ingress = many, .ningress = POLICY_ANP_RULES_MAX,
			A_EG({ .action = PASS_, .peers = &(const struct
			    policy_anp_peer){ .networks = nets26,
			    .nnetworks = POLICY_ANP_NETWORKS_MAX },
			    .npeers = 1, APORTS(PRANGE(UDP, 1, 65535),
			    PNUM(0, 53)) },
			    { .action = ALLOW_,
			    APORTS({ .named_port = "http" }),
			    APEERS({ .pods = PODS(SEL_ALL, SEL_ALL) }) },
			    { .action = DENY_,
			    APEERS({ .network_sets = SEL_ALL },
			    { .nodes = SEL_ALL }) }),
		};

		ASSERT_OK(policy_anp_validate(&ok, err, sizeof(err)));
	}
}

static void
test_validate_banp_netset(void)
{
	char err[512];

	BAD_BANP("BaselineAdminNetworkPolicy mine: metadata.name must be "
	    "\"default\"", .name = "mine", SUBJECT_NS(SEL_ALL));
	BAD_BANP("BaselineAdminNetworkPolicy default: spec.ingress[0].action: "
	    "a BaselineAdminNetworkPolicy rule is Allow or Deny (Pass is for "
	    "AdminNetworkPolicy)", .name = "default", SUBJECT_NS(SEL_ALL),
	    A_IN({ .action = PASS_, APEERS({ .namespaces = SEL_ALL }) }));
	BAD_BANP("spec.subject: set exactly one of namespaces and pods (0 set)",
	    .name = "default");
	BAD_BANP("BaselineAdminNetworkPolicy default: spec.egress[0].to[0]: "
	    "domainNames is for Allow rules only", .name = "default",
	    SUBJECT_NS(SEL_ALL), A_EG({ .action = DENY_,
	    APEERS({ DOMAINS("example.com") }) }));
	BAD_BANP("spec.egress[0].to[0].networks[0]: prefix length 129 is "
	    "longer than 128", .name = "default", SUBJECT_NS(SEL_ALL),
	    A_EG({ .action = DENY_, APEERS({ NETS(((struct sluice_prefix){
	    addr_of("fd00::"), 129 })) }) }));
	{
		const struct policy_banp ok = {
			.name = "default",
			.subject = { .pods = PODS(SEL_ALL, SEL("pod", "a")) },
			A_IN({ .action = ALLOW_,
			    APEERS({ .namespaces = SEL_ALL }) }),
			A_EG({ .action = ALLOW_,
			    APEERS({ DOMAINS("*.example.com") }) }),
		};

		ASSERT_OK(policy_banp_validate(&ok, err, sizeof(err)));
	}

	/* NetworkSet net 10.0.0.0/33. */
	{
		const struct policy_netset bad = {
			"db", "x", NULL, 0, &(const struct sluice_prefix){
			    addr_of("10.0.0.0"), 33 }, 1,
		};
		const struct policy_netset bad_label = {
			"corp", NULL, (const struct sluice_label[]){ { "a", "1" },
			    { "a", "2" } }, 2, NULL, 0,
		};
		const struct policy_netset ok = { "empty", NULL, NULL, 0, NULL,
		    0 };

		ASSERT_EQ(policy_netset_validate(&bad, err, sizeof(err)),
		    -EINVAL);
		ASSERT_STR_HAS(err, "NetworkSet x/db: spec.nets[0]: prefix "
		    "length 33 is longer than 32");
		ASSERT_EQ(policy_netset_validate(&bad_label, err, sizeof(err)),
		    -EINVAL);
		ASSERT_STR_HAS(err, "GlobalNetworkSet corp: metadata.labels: "
		    "key \"a\" appears twice");
		ASSERT_OK(policy_netset_validate(&ok, err, sizeof(err)));
		nrefused += 2;
	}
}

struct problems {
	size_t n;
	char text[16][512];
};

static void
collect(void *arg, const char *problem)
{
	struct problems *p = arg;

	if (p->n < 16)
		snprintf(p->text[p->n], sizeof(p->text[0]), "%s", problem);
	p->n++;
}

static void
test_validate_world(void)
{
	struct policy_world w = base();
	struct policy_pod p[NPODS];
	struct problems got = { 0 };
	const struct sluice_label bad_ns_labels[] = {
		{ POLICY_NS_NAME_LABEL, "y" },
	};
	char err[512];

	ASSERT_OK(policy_world_validate(&w, NULL, NULL, err, sizeof(err)));

	/* Every problem is reported, the first one in err. */
	memcpy(p, pods, sizeof(p));
	p[YB].ips = pod_ips[YA];	/* y/b takes y/a's address */
	p[ZA].namespace = "q";
	w.pods = p;
	SET(w, namespaces, struct policy_namespace, namespaces[0],
	    namespaces[1], namespaces[2], namespaces[3], namespaces[4],
	    { "v", bad_ns_labels, 1 });
	SET(w, nps, struct policy_np, { .name = "dup", .namespace = "x" },
	    { .name = "dup", .namespace = "x" },
	    { .name = "dup", .namespace = "y" },
	    { .name = "bad", .namespace = "y", TYPES(ING, EGR, ING) });
	SET(w, banps, struct policy_banp,
	    { .name = "default", SUBJECT_NS(SEL_ALL) },
	    { .name = "default", SUBJECT_NS(SEL_ALL) });
	SET(w, global_netsets, struct policy_netset,
	    { "g", "x", NULL, 0, NULL, 0 });
	ASSERT_EQ(policy_world_validate(&w, collect, &got, err, sizeof(err)),
	    -EINVAL);
	for (size_t i = 0; i < got.n && i < 16; i++)
		printf("  problem: %s\n", got.text[i]);
	ASSERT_EQ(got.n, 7);
	ASSERT_STR_EQ(err, got.text[0]);
	ASSERT_STR_HAS(got.text[0], "Namespace v: metadata.labels must carry "
	    "kubernetes.io/metadata.name=v");
	ASSERT_STR_HAS(got.text[1], "Pod y/b: address 10.244.2.1 is also pod "
	    "y/a's");
	ASSERT_STR_HAS(got.text[2], "Pod q/a: namespace q does not exist");
	ASSERT_STR_HAS(got.text[3], "NetworkPolicy x/dup: defined twice");
	ASSERT_STR_HAS(got.text[4], "NetworkPolicy y/bad: spec.policyTypes: 3 "
	    "items, at most 2");
	ASSERT_STR_HAS(got.text[5], "BaselineAdminNetworkPolicy: 2 given, only "
	    "one (named default) can exist");
	ASSERT_STR_HAS(got.text[6], "GlobalNetworkSet g: is cluster-scoped");
	nrefused += 7;
}

int
main(void)
{
	check_seed();
	topology_init();
	RUN(test_isolation);
	RUN(test_types_defaulting);
	RUN(test_peers);
	RUN(test_ports);
	RUN(test_named_port_per_pod);
	RUN(test_ip_block);
	RUN(test_both_ends);
	RUN(test_label_changes);
	RUN(test_anp);
	RUN(test_anp_directions);
	RUN(test_banp);
	RUN(test_netsets);
	RUN(test_fail_closed);
	RUN(test_domains);
	RUN(test_domain_patterns);
	RUN(test_eval_errors);
	RUN(test_random_order);
	RUN(test_validate_np);
	RUN(test_validate_anp);
	RUN(test_validate_banp_netset);
	RUN(test_validate_world);
	printf("%zu verdicts checked, %zu invalid objects refused\n",
	    nverdicts, nrefused);
	return 0;
}
