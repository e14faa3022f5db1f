/*
 * egress_test.c - egress gateway policies (egress/): validation and its
 * messages, which pods a policy selects, which policy decides a flow
 * (checked by hand and, on random policy sets, against the precedence
 * rules restated from scratch), a policy's gateways as one node sees
 * them, and rendezvous hashing: determinism, a pinned hash value (nodes
 * of two versions must agree during an upgrade), spread over 3 to 5
 * gateways, flows moved when a gateway leaves or joins, and draining.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress/egress.h"
#include "tests/unit/check.h"

#define NFLOWS 100000
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct sluice_addr
A(const char *s)
{
	struct sluice_addr a;

	if (sluice_addr_parse(s, &a) != 0)
		CHECK_FAIL("bad address %s", s);
	return a;
}

/* A prefix as written, host bits and all, to feed the validator. */
static struct sluice_prefix
P(const char *addr, uint8_t len)
{
	struct sluice_prefix p = { .addr = A(addr), .len = len };

	return p;
}

static struct sluice_addr
v4(uint32_t host_order)
{
	struct sluice_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.u.v4.s_addr = htonl(host_order);
	return a;
}

static const struct sluice_selector sel_all = { 0 };

static const struct sluice_label l_egress[] = { { "egress", "true" } };
static const struct sluice_selector sel_egress = {
	.match_labels = l_egress, .nmatch_labels = 1,
};

static const struct sluice_label l_team_fin[] = { { "team", "finance" } };
static const struct sluice_selector sel_team_fin = {
	.match_labels = l_team_fin, .nmatch_labels = 1,
};

static const struct sluice_label l_app_db[] = { { "app", "db" } };
static const struct sluice_selector sel_app_db = {
	.match_labels = l_app_db, .nmatch_labels = 1,
};

static const struct sluice_label l_bad[] = { { "", "x" } };
static const struct sluice_selector sel_bad = {
	.match_labels = l_bad, .nmatch_labels = 1,
};

/* ---- validation --------------------------------------------------------- */

static void
expect_invalid(const struct egress_policy *p, const char *msg)
{
	char err[512] = "";

	ASSERT_EQ(egress_policy_validate(p, err, sizeof(err)), -EINVAL);
	ASSERT_STR_EQ(err, msg);
}

static void
test_validate(void)
{
	struct sluice_addr addrs[EGRESS_ADDRS_MAX + 1];
	struct sluice_prefix dests[EGRESS_DESTS_MAX + 1];
	struct sluice_addr two[2];
	struct sluice_prefix d2[2];
	struct egress_policy good = {
		.name = "finance",
		.namespace_selector = &sel_team_fin,
		.gateway_selector = &sel_egress,
	}, p;
	char err[512];

	ASSERT_OK(egress_policy_validate(&good, err, sizeof(err)));
	p = good;
	p.namespace_selector = NULL;
	p.pod_selector = &sel_all;
	ASSERT_OK(egress_policy_validate(&p, err, sizeof(err)));

	p = good;
	p.name = "";
	expect_invalid(&p, "EgressGatewayPolicy: metadata.name is empty");
	p.name = NULL;
	expect_invalid(&p, "EgressGatewayPolicy: metadata.name is empty");

	p = good;
	p.namespace_selector = NULL;
	expect_invalid(&p, "EgressGatewayPolicy finance: spec: needs a "
	    "namespaceSelector, a podSelector or both");
	p = good;
	p.gateway_selector = NULL;
	expect_invalid(&p,
	    "EgressGatewayPolicy finance: spec.gatewaySelector is required");

	p = good;
	p.namespace_selector = &sel_bad;
	expect_invalid(&p, "EgressGatewayPolicy finance: "
	    "spec.namespaceSelector: matchLabels entry 0 has an empty key or "
	    "no value");
	p = good;
	p.pod_selector = &sel_bad;
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.podSelector: "
	    "matchLabels entry 0 has an empty key or no value");
	p = good;
	p.gateway_selector = &sel_bad;
	expect_invalid(&p, "EgressGatewayPolicy finance: "
	    "spec.gatewaySelector: matchLabels entry 0 has an empty key or "
	    "no value");

	/* Egress addresses: IPv4, distinct, at most EGRESS_ADDRS_MAX. */
	p = good;
	two[0] = A("192.0.2.1");
	two[1] = A("2001:db8::1");
	p.addrs = two;
	p.naddrs = 2;
	expect_invalid(&p, "EgressGatewayPolicy finance: "
	    "spec.egressAddresses[1]: 2001:db8::1 is not an IPv4 address");
	two[1] = A("192.0.2.1");
	expect_invalid(&p, "EgressGatewayPolicy finance: "
	    "spec.egressAddresses[1]: 192.0.2.1 repeats "
	    "spec.egressAddresses[0]");
	for (size_t i = 0; i < LEN(addrs); i++)
		addrs[i] = v4(0xc0000200u + (uint32_t)i);
	p.addrs = addrs;
	p.naddrs = EGRESS_ADDRS_MAX;
	ASSERT_OK(egress_policy_validate(&p, err, sizeof(err)));
	p.naddrs = EGRESS_ADDRS_MAX + 1;
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.egressAddresses: "
	    "17 addresses, at most 16");

	/* Destinations: IPv4, host bits clear, at most EGRESS_DESTS_MAX. */
	p = good;
	d2[0] = P("0.0.0.0", 0);
	d2[1] = P("10.0.0.1", 8);
	p.dests = d2;
	p.ndests = 2;
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.destinations[1]: "
	    "10.0.0.1/8 has host bits set");
	d2[1] = P("10.0.0.1", 32);
	ASSERT_OK(egress_policy_validate(&p, err, sizeof(err)));
	d2[1] = P("10.0.0.0", 33);
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.destinations[1]: "
	    "10.0.0.0/33 is longer than /32");
	d2[1] = P("2001:db8::", 32);
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.destinations[1]: "
	    "2001:db8::/32 is not IPv4 (egress addresses are IPv4)");
	d2[0] = P("128.0.0.0", 0);
	d2[1] = P("10.0.0.0", 8);
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.destinations[0]: "
	    "128.0.0.0/0 has host bits set");
	for (size_t i = 0; i < LEN(dests); i++) {
		dests[i] = P("10.0.0.0", 24);
		dests[i].addr.u.b[2] = (uint8_t)i;
	}
	p.dests = dests;
	p.ndests = EGRESS_DESTS_MAX;
	ASSERT_OK(egress_policy_validate(&p, err, sizeof(err)));
	p.ndests = EGRESS_DESTS_MAX + 1;
	expect_invalid(&p, "EgressGatewayPolicy finance: spec.destinations: "
	    "65 prefixes, at most 64");

	p = good;
	p.fallback = (enum egress_fallback)7;
	expect_invalid(&p,
	    "EgressGatewayPolicy finance: spec.fallback: unknown value 7");
	p.fallback = EGRESS_FALLBACK_NAT;
	p.max_gateways = 1000;
	ASSERT_OK(egress_policy_validate(&p, err, sizeof(err)));

	/* A short buffer is cut, never overrun; NULL is allowed. */
	p.name = "";
	memset(err, 'x', sizeof(err));
	ASSERT_EQ(egress_policy_validate(&p, err, 8), -EINVAL);
	ASSERT_STR_EQ(err, "EgressG");
	ASSERT_EQ(err[8], 'x');
	ASSERT_EQ(egress_policy_validate(&p, NULL, 0), -EINVAL);
}

/* ---- selection and precedence ------------------------------------------- */

static const struct sluice_label ns_fin[] = {
	{ "kubernetes.io/metadata.name", "fin" }, { "team", "finance" },
};
static const struct sluice_label ns_web[] = {
	{ "kubernetes.io/metadata.name", "web" }, { "team", "web" },
};
static const struct sluice_label pod_db[] = { { "app", "db" } };
static const struct sluice_label pod_api[] = { { "app", "api" } };

static const struct egress_pod fin_db = {
	.namespace = "fin", .ns_labels = ns_fin, .nns_labels = 2,
	.labels = pod_db, .nlabels = 1, .node_zone = "a",
};
static const struct egress_pod fin_api = {
	.namespace = "fin", .ns_labels = ns_fin, .nns_labels = 2,
	.labels = pod_api, .nlabels = 1,
};
static const struct egress_pod web_db = {
	.namespace = "web", .ns_labels = ns_web, .nns_labels = 2,
	.labels = pod_db, .nlabels = 1,
};

static void
test_selects(void)
{
	struct egress_policy p = {
		.name = "p", .gateway_selector = &sel_egress,
	};

	/* Neither: selects nothing, though validation refuses it anyway. */
	ASSERT(!egress_policy_selects(&p, &fin_db));
	p.namespace_selector = &sel_team_fin;
	ASSERT(egress_policy_selects(&p, &fin_db));
	ASSERT(egress_policy_selects(&p, &fin_api));
	ASSERT(!egress_policy_selects(&p, &web_db));
	/* Both: both must hold. */
	p.pod_selector = &sel_app_db;
	ASSERT(egress_policy_selects(&p, &fin_db));
	ASSERT(!egress_policy_selects(&p, &fin_api));
	ASSERT(!egress_policy_selects(&p, &web_db));
	/* Pod only: any namespace. */
	p.namespace_selector = NULL;
	ASSERT(egress_policy_selects(&p, &fin_db));
	ASSERT(egress_policy_selects(&p, &web_db));
	ASSERT(!egress_policy_selects(&p, &fin_api));
	/* {} selects every pod (or namespace). */
	p.pod_selector = &sel_all;
	ASSERT(egress_policy_selects(&p, &fin_api));
	p.pod_selector = NULL;
	p.namespace_selector = &sel_all;
	ASSERT(egress_policy_selects(&p, &web_db));
}

static struct egress_policy
pol(const char *name, const struct sluice_selector *ns,
    const struct sluice_selector *pod, const struct sluice_prefix *dests,
    size_t ndests)
{
	struct egress_policy p = {
		.name = name, .namespace_selector = ns, .pod_selector = pod,
		.gateway_selector = &sel_egress, .dests = dests,
		.ndests = ndests,
	};

	return p;
}

static const char *
match_name(const struct egress_policy *v, size_t n,
    const struct egress_pod *pod, const char *dst)
{
	struct sluice_addr d = A(dst);
	const struct egress_policy *m = egress_match(v, n, pod, &d);

	if (m == NULL)
		return "(none)";
	ASSERT(m >= v && m < v + n);
	return m->name;
}

static void
test_match(void)
{
	const struct sluice_prefix d8[] = { P("10.0.0.0", 8) };
	const struct sluice_prefix d16[] = { P("10.1.0.0", 16) };
	const struct sluice_prefix d8_24[] = {
		P("10.0.0.0", 8), P("10.1.2.0", 24),
	};
	const struct sluice_prefix d0[] = { P("0.0.0.0", 0) };
	struct egress_policy v[4];

	/* 1. A podSelector beats a namespaceSelector only, whatever the
	 * names and the prefixes. */
	v[0] = pol("a", &sel_team_fin, NULL, NULL, 0);
	v[1] = pol("z", NULL, &sel_app_db, NULL, 0);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "198.51.100.1"), "z");
	ASSERT_STR_EQ(match_name(v, 2, &fin_api, "198.51.100.1"), "a");
	ASSERT_STR_EQ(match_name(v, 2, &web_db, "198.51.100.1"), "z");
	v[0] = pol("a", &sel_team_fin, NULL, d16, 1);
	v[1] = pol("z", NULL, &sel_app_db, d8, 1);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.1.2.3"), "z");
	/* Both selectors count as having a podSelector. */
	v[1] = pol("z", &sel_team_fin, &sel_app_db, d8, 1);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.1.2.3"), "z");
	ASSERT_STR_EQ(match_name(v, 2, &fin_api, "10.1.2.3"), "a");

	/* 2. The longest destination prefix; absent counts as /0. */
	v[0] = pol("a", &sel_team_fin, NULL, d8, 1);
	v[1] = pol("b", &sel_team_fin, NULL, d16, 1);
	v[2] = pol("0", &sel_team_fin, NULL, NULL, 0);
	ASSERT_STR_EQ(match_name(v, 3, &fin_db, "10.1.2.3"), "b");
	ASSERT_STR_EQ(match_name(v, 3, &fin_db, "10.2.0.1"), "a");
	ASSERT_STR_EQ(match_name(v, 3, &fin_db, "11.0.0.1"), "0");
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "11.0.0.1"), "(none)");
	/* A policy's longest prefix counts, not its first. */
	v[0] = pol("x", &sel_team_fin, NULL, d8_24, 2);
	v[1] = pol("y", &sel_team_fin, NULL, d16, 1);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.1.2.3"), "x");
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.1.3.3"), "y");
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.9.3.3"), "x");

	/* 3. Then the lower name, wherever it sits in v. An explicit /0
	 * ties with an absent list. */
	v[0] = pol("b", &sel_team_fin, NULL, d8, 1);
	v[1] = pol("a", &sel_team_fin, NULL, d8, 1);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.0.0.1"), "a");
	v[0] = pol("a", &sel_team_fin, NULL, d8, 1);
	v[1] = pol("b", &sel_team_fin, NULL, d8, 1);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "10.0.0.1"), "a");
	v[0] = pol("b", &sel_team_fin, NULL, d0, 1);
	v[1] = pol("c", &sel_team_fin, NULL, NULL, 0);
	v[2] = pol("B", &sel_team_fin, NULL, NULL, 0);
	ASSERT_STR_EQ(match_name(v, 2, &fin_db, "192.0.2.1"), "b");
	/* Byte order: upper case sorts first. */
	ASSERT_STR_EQ(match_name(v, 3, &fin_db, "192.0.2.1"), "B");

	/* No match: pod not selected, nothing given, IPv6. */
	v[0] = pol("a", &sel_team_fin, NULL, NULL, 0);
	ASSERT_STR_EQ(match_name(v, 1, &web_db, "192.0.2.1"), "(none)");
	ASSERT_STR_EQ(match_name(v, 0, &fin_db, "192.0.2.1"), "(none)");
	ASSERT_STR_EQ(match_name(v, 1, &fin_db, "2001:db8::1"), "(none)");
}

/*
 * Random policy sets against the precedence restated: the winner applies,
 * nothing that applies outranks it, and NULL only when nothing applies.
 * "Applies" and the prefix lengths are worked out here with plain masks.
 */
static int
ref_len(const struct egress_policy *p, uint32_t dst)
{
	int best = -1;

	if (p->ndests == 0)
		return 0;
	for (size_t i = 0; i < p->ndests; i++) {
		uint32_t net = ntohl(p->dests[i].addr.u.v4.s_addr);
		uint32_t mask = p->dests[i].len == 0 ? 0 :
		    0xffffffffu << (32 - p->dests[i].len);

		if ((dst & mask) == net && p->dests[i].len > best)
			best = p->dests[i].len;
	}
	return best;
}

/* -1, 0, 1 as a outranks, ties with, or yields to b (for dst). */
static int
ref_rank(const struct egress_policy *a, const struct egress_policy *b,
    uint32_t dst)
{
	int ap = a->pod_selector != NULL, bp = b->pod_selector != NULL;
	int al = ref_len(a, dst), bl = ref_len(b, dst), c;

	if (ap != bp)
		return ap ? -1 : 1;
	if (al != bl)
		return al > bl ? -1 : 1;
	c = strcmp(a->name, b->name);
	return c < 0 ? -1 : c > 0;
}

static void
test_match_random(void)
{
	static const char *names[] = { "a", "b", "c", "d", "e", "f" };
	const struct sluice_selector *ns_sels[] = {
		NULL, &sel_all, &sel_team_fin,
	};
	const struct sluice_selector *pod_sels[] = {
		NULL, &sel_all, &sel_app_db,
	};
	const struct egress_pod *pods[] = { &fin_db, &fin_api, &web_db };
	struct sluice_prefix dests[6][3];
	struct egress_policy v[6];

	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + check_below(LEN(v));

		for (size_t i = 0; i < n; i++) {
			size_t nd = check_below(4);

			v[i] = pol(names[check_below(LEN(names))],
			    ns_sels[check_below(3)], pod_sels[check_below(3)],
			    dests[i], nd);
			if (v[i].namespace_selector == NULL &&
			    v[i].pod_selector == NULL)
				v[i].namespace_selector = &sel_all;
			for (size_t j = 0; j < nd; j++) {
				/* Nested prefixes of 10/8 so they overlap. */
				uint8_t len = (uint8_t)(8 + 8 * check_below(4));
				uint32_t a = 0x0a000000u |
				    (uint32_t)(check_below(4) << 16) |
				    (uint32_t)(check_below(4) << 8);

				a &= 0xffffffffu << (32 - len);
				dests[i][j].addr = v4(a);
				dests[i][j].len = len;
			}
		}
		for (int k = 0; k < 20; k++) {
			const struct egress_pod *pod =
			    pods[check_below(LEN(pods))];
			uint32_t dst = 0x0a000000u |
			    (uint32_t)(check_below(5) << 16) |
			    (uint32_t)(check_below(5) << 8) | 1;
			struct sluice_addr d = v4(dst);
			const struct egress_policy *m =
			    egress_match(v, n, pod, &d);
			bool any = false;

			for (size_t i = 0; i < n; i++) {
				bool applies = egress_policy_selects(&v[i],
				    pod) && ref_len(&v[i], dst) >= 0;

				any |= applies;
				if (applies && m != NULL)
					ASSERT(ref_rank(&v[i], m, dst) >= 0);
			}
			ASSERT_EQ(m != NULL, any);
			if (m != NULL) {
				ASSERT(egress_policy_selects(m, pod));
				ASSERT(ref_len(m, dst) >= 0);
			}
		}
	}
}

/* ---- candidates --------------------------------------------------------- */

static const struct sluice_label gl_a[] = {
	{ "egress", "true" }, { EGRESS_ZONE_LABEL, "a" },
};
static const struct sluice_label gl_b[] = {
	{ EGRESS_ZONE_LABEL, "b" }, { "egress", "true" },
};
static const struct sluice_label gl_none[] = { { "egress", "true" } };
static const struct sluice_label gl_other[] = {
	{ "egress", "false" }, { EGRESS_ZONE_LABEL, "a" },
};

static void
names_of(const struct egress_candidate *c, size_t n, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		char a[SLUICE_ADDRSTRLEN];

		off += (size_t)snprintf(buf + off, size - off, "%s%s=%s",
		    i ? " " : "", c[i].gw->node,
		    sluice_addr_str(&c[i].addr, a, sizeof(a)));
		ASSERT(c[i].healthy);
	}
}

static void
expect_cands(const struct egress_policy *p,
    const struct egress_gateway *gws, size_t ngws, const char *zone,
    size_t max, const char *want)
{
	struct egress_candidate out[EGRESS_GATEWAYS_MAX + 1];
	char got[1024];
	size_t n;

	ASSERT(max <= EGRESS_GATEWAYS_MAX);
	/* A sentinel past max: nothing may be written there. */
	memset(out, 0xa5, sizeof(out));
	n = egress_candidates(p, gws, ngws, zone, out, max);
	ASSERT(n <= max);
	ASSERT_EQ(((unsigned char *)&out[max])[0], 0xa5);
	names_of(out, n, got, sizeof(got));
	ASSERT_STR_EQ(got, want);
}

static void
test_candidates(void)
{
	const struct sluice_addr a_c[] = {
		A("192.0.2.3"), A("192.0.2.33"),
	};
	const struct sluice_addr a_a[] = { A("192.0.2.1") };
	const struct sluice_addr a_b[] = { A("192.0.2.2") };
	const struct sluice_addr a_d[] = { A("192.0.2.4") };
	const struct sluice_addr a_x[] = { A("192.0.2.9") };
	struct egress_gateway gws[] = {
		{ "gw-c", gl_a, 2, a_c, 2, false },
		{ "gw-a", gl_b, 2, a_a, 1, false },
		{ "gw-b", gl_a, 2, a_b, 1, true },
		{ "gw-d", gl_none, 1, a_d, 1, false },
		{ "other", gl_other, 2, a_x, 1, false },
		{ "gw-e", gl_a, 2, NULL, 0, false },	/* no address */
	};
	struct egress_gateway rev[LEN(gws)];
	const struct sluice_addr narrow1[] = {
		A("192.0.2.33"), A("198.51.100.1"), A("192.0.2.2"),
	};
	const struct sluice_addr narrow2[] = {
		A("192.0.2.3"), A("192.0.2.33"),
	};
	const struct sluice_addr narrow3[] = {
		A("192.0.2.33"), A("192.0.2.3"),
	};
	struct egress_policy p = pol("p", &sel_all, NULL, NULL, 0);
	const size_t M = EGRESS_GATEWAYS_MAX;

	p.gateway_selector = &sel_egress;
	/* By name without a zone, or with one no gateway is in. A draining
	 * gateway is still a candidate; egress_pick() deals with it. */
	expect_cands(&p, gws, LEN(gws), NULL, M,
	    "gw-a=192.0.2.1 gw-b=192.0.2.2 gw-c=192.0.2.3 gw-d=192.0.2.4");
	expect_cands(&p, gws, LEN(gws), "zz", M,
	    "gw-a=192.0.2.1 gw-b=192.0.2.2 gw-c=192.0.2.3 gw-d=192.0.2.4");
	/* Same zone first; an unlabelled gateway is in no zone. */
	expect_cands(&p, gws, LEN(gws), "a", M,
	    "gw-b=192.0.2.2 gw-c=192.0.2.3 gw-a=192.0.2.1 gw-d=192.0.2.4");
	expect_cands(&p, gws, LEN(gws), "b", M,
	    "gw-a=192.0.2.1 gw-b=192.0.2.2 gw-c=192.0.2.3 gw-d=192.0.2.4");
	/* The order of gws does not matter. */
	for (size_t i = 0; i < LEN(gws); i++)
		rev[i] = gws[LEN(gws) - 1 - i];
	expect_cands(&p, rev, LEN(rev), "a", M,
	    "gw-b=192.0.2.2 gw-c=192.0.2.3 gw-a=192.0.2.1 gw-d=192.0.2.4");

	/* The cap takes the nearest; so does a short out array. */
	p.max_gateways = 2;
	expect_cands(&p, gws, LEN(gws), "a", M,
	    "gw-b=192.0.2.2 gw-c=192.0.2.3");
	expect_cands(&p, rev, LEN(rev), "b", M,
	    "gw-a=192.0.2.1 gw-b=192.0.2.2");
	p.max_gateways = 3;
	expect_cands(&p, rev, LEN(rev), "a", M,
	    "gw-b=192.0.2.2 gw-c=192.0.2.3 gw-a=192.0.2.1");
	expect_cands(&p, rev, LEN(rev), "a", 1, "gw-b=192.0.2.2");
	expect_cands(&p, rev, LEN(rev), "a", 0, "");
	p.max_gateways = 0;
	expect_cands(&p, gws, LEN(gws), NULL, 3,
	    "gw-a=192.0.2.1 gw-b=192.0.2.2 gw-c=192.0.2.3");

	/* Addresses narrow the group: each gateway's IP is the first of
	 * the policy's it owns, in the policy's order. */
	p.addrs = narrow1;
	p.naddrs = LEN(narrow1);
	expect_cands(&p, gws, LEN(gws), NULL, M,
	    "gw-b=192.0.2.2 gw-c=192.0.2.33");
	p.addrs = narrow2;
	p.naddrs = LEN(narrow2);
	expect_cands(&p, gws, LEN(gws), "b", M, "gw-c=192.0.2.3");
	p.addrs = narrow3;
	expect_cands(&p, gws, LEN(gws), "b", M, "gw-c=192.0.2.33");
	/* An address of a gateway the selector leaves out does not count. */
	p.addrs = a_x;
	p.naddrs = 1;
	expect_cands(&p, gws, LEN(gws), NULL, M, "");

	/* The selector; {} takes every gateway with an address. */
	p.addrs = NULL;
	p.naddrs = 0;
	p.gateway_selector = &sel_all;
	expect_cands(&p, gws, LEN(gws), NULL, M,
	    "gw-a=192.0.2.1 gw-b=192.0.2.2 gw-c=192.0.2.3 gw-d=192.0.2.4 "
	    "other=192.0.2.9");
	expect_cands(&p, gws, 0, NULL, M, "");
}

/* ---- rendezvous hashing ------------------------------------------------- */

static uint64_t
random_flow(void)
{
	/* A pod in 10.244/16 to anywhere, mostly HTTPS. */
	struct sluice_addr s = v4(0x0af40000u | (uint32_t)check_below(65536));
	struct sluice_addr d = v4((uint32_t)check_rand());
	uint8_t proto = check_below(2) ? IPPROTO_TCP : IPPROTO_UDP;

	return egress_flow_hash(&s, &d, proto,
	    (uint16_t)(32768 + check_below(28232)),
	    (uint16_t)(check_below(2) ? 443 : check_below(65536)));
}

static uint64_t *
random_flows(void)
{
	uint64_t *f = malloc(NFLOWS * sizeof(*f));

	ASSERT(f != NULL);
	for (size_t i = 0; i < NFLOWS; i++)
		f[i] = random_flow();
	return f;
}

static const struct sluice_addr gw_ip[] = { { .family = AF_INET } };

/* Gateways with the given names, healthy, not draining. */
static void
make(struct egress_gateway *g, struct egress_candidate *c,
    const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].node = names[i];
		g[i].addrs = gw_ip;
		g[i].naddrs = 1;
		c[i].gw = &g[i];
		c[i].addr = gw_ip[0];
		c[i].healthy = true;
	}
}

static const char *
pick_name(const struct egress_candidate *c, size_t n, uint64_t h, int pinned)
{
	int i = egress_pick(c, n, h, pinned);

	if (i < 0)
		return NULL;
	ASSERT((size_t)i < n);
	return c[i].gw->node;
}

static void
test_hash(void)
{
	struct sluice_addr s = A("10.244.1.5"), d = A("198.51.100.2");
	struct sluice_addr s6 = A("fd00::5"), d6 = A("2001:db8::2");
	uint64_t h = egress_flow_hash(&s, &d, IPPROTO_TCP, 40000, 443);

	/*
	 * Pinned values: every node must compute these, whatever its
	 * version, or flows move between gateways during a rolling upgrade.
	 * Changing the hash is a protocol change.
	 */
	printf("  flow hash %016" PRIx64 ", weight %016" PRIx64 "\n", h,
	    egress_weight("gw-1", h));
	ASSERT_EQ(h, 0xdf677e1957b91772ull);
	ASSERT_EQ(egress_weight("gw-1", h), 0xac51965913f72824ull);

	ASSERT_EQ(egress_flow_hash(&s, &d, IPPROTO_TCP, 40000, 443), h);
	/* Not symmetric, and every field counts. */
	ASSERT_NE(egress_flow_hash(&d, &s, IPPROTO_TCP, 443, 40000), h);
	ASSERT_NE(egress_flow_hash(&s, &d, IPPROTO_UDP, 40000, 443), h);
	ASSERT_NE(egress_flow_hash(&s, &d, IPPROTO_TCP, 40001, 443), h);
	ASSERT_NE(egress_flow_hash(&s, &d, IPPROTO_TCP, 40000, 444), h);
	ASSERT_NE(egress_flow_hash(&s, &d, IPPROTO_TCP, 443, 40000), h);
	d.u.b[3] ^= 1;
	ASSERT_NE(egress_flow_hash(&s, &d, IPPROTO_TCP, 40000, 443), h);
	/* Bytes past an IPv4 address are not read. */
	d.u.b[3] ^= 1;
	d.u.b[9] = 0x77;
	ASSERT_EQ(egress_flow_hash(&s, &d, IPPROTO_TCP, 40000, 443), h);
	ASSERT_NE(egress_flow_hash(&s6, &d6, IPPROTO_TCP, 40000, 443), h);
	ASSERT_EQ(egress_flow_hash(&s6, &d6, IPPROTO_TCP, 40000, 443),
	    egress_flow_hash(&s6, &d6, IPPROTO_TCP, 40000, 443));

	/* Names differing in one byte, or by a trailing byte, weigh
	 * differently. */
	ASSERT_NE(egress_weight("gw-1", h), egress_weight("gw-2", h));
	ASSERT_NE(egress_weight("gw-1", h), egress_weight("gw-1\x01", h));
	ASSERT_NE(egress_weight("gateway-0001", h),
	    egress_weight("gateway-0001x", h));
	ASSERT_NE(egress_weight("", h), egress_weight("", h + 1));
}

static void
test_pick_determinism(void)
{
	static const char *names[] = {
		"gw-1", "gw-2", "gw-3", "gw-4", "gw-5",
	};
	struct egress_gateway g[5], g2[5];
	struct egress_candidate c[5], c2[5];

	make(g, c, names, 5);
	for (int i = 0; i < 5; i++) {
		/* The same gateways in another order, as on another node. */
		g2[i] = g[(i * 3) % 5];
		c2[i] = c[(i * 3) % 5];
		c2[i].gw = &g2[i];
	}
	for (int k = 0; k < 10000; k++) {
		uint64_t h = random_flow();
		const char *a = pick_name(c, 5, h, -1);

		ASSERT(a != NULL);
		ASSERT_STR_EQ(pick_name(c, 5, h, -1), a);
		ASSERT_STR_EQ(pick_name(c2, 5, h, -1), a);
	}
	ASSERT_EQ(egress_pick(c, 0, 1, -1), -1);
	ASSERT_EQ(egress_pick(NULL, 0, 1, -1), -1);
	ASSERT_EQ(egress_pick(c, 0, 1, 0), -1);
}

static void
test_pick_distribution(void)
{
	static const char *const sets[][5] = {
		{ "gw-1", "gw-2", "gw-3" },
		{ "node-a", "node-b", "node-c", "node-d" },
		{ "ip-10-0-1-23.ec2.internal", "ip-10-0-1-24.ec2.internal",
		    "ip-10-0-2-23.ec2.internal", "ip-10-0-3-5.ec2.internal",
		    "ip-10-0-3-50.ec2.internal" },
	};
	static const size_t sizes[] = { 3, 4, 5 };
	uint64_t *f = random_flows();

	for (size_t s = 0; s < LEN(sets); s++) {
		struct egress_gateway g[5];
		struct egress_candidate c[5];
		size_t n = sizes[s], count[5] = { 0 };
		double fair = (double)NFLOWS / (double)n;

		make(g, c, sets[s], n);
		for (size_t i = 0; i < NFLOWS; i++) {
			int k = egress_pick(c, n, f[i], -1);

			ASSERT(k >= 0 && (size_t)k < n);
			count[k]++;
		}
		for (size_t k = 0; k < n; k++) {
			printf("  %s: %zu of %d\n", g[k].node, count[k],
			    NFLOWS);
			ASSERT(count[k] > 0.85 * fair &&
			    count[k] < 1.15 * fair);
		}
	}
	free(f);
}

/* Removing a gateway moves its flows and nothing else. */
static void
test_pick_remove(void)
{
	static const char *names[] = {
		"gw-1", "gw-2", "gw-3", "gw-4", "gw-5",
	};
	uint64_t *f = random_flows();

	for (size_t gone = 0; gone < 5; gone++) {
		struct egress_gateway g[5], g4[4];
		struct egress_candidate c[5], c4[4];
		const char *rest[4];
		size_t on_gone = 0, moved = 0;

		for (size_t i = 0, j = 0; i < 5; i++) {
			if (i != gone)
				rest[j++] = names[i];
		}
		make(g, c, names, 5);
		make(g4, c4, rest, 4);
		for (size_t i = 0; i < NFLOWS; i++) {
			const char *before = pick_name(c, 5, f[i], -1);
			const char *after = pick_name(c4, 4, f[i], -1);

			ASSERT(after != NULL && strcmp(after, names[gone]));
			if (strcmp(before, names[gone]) == 0)
				on_gone++;
			if (strcmp(before, after) != 0) {
				ASSERT_STR_EQ(before, names[gone]);
				moved++;
			}
		}
		ASSERT_EQ(moved, on_gone);
		ASSERT(on_gone > 0);
	}
	free(f);
}

/* Adding a gateway moves to it about 1/(n+1) of the flows, and only to it. */
static void
test_pick_add(void)
{
	static const char *names[] = {
		"gw-1", "gw-2", "gw-3", "gw-4", "gw-new",
	};
	uint64_t *f = random_flows();

	for (size_t n = 3; n <= 4; n++) {
		struct egress_gateway g[5];
		struct egress_candidate c[5];
		const char *grown[5];
		size_t moved = 0;
		double want = (double)NFLOWS / (double)(n + 1);

		memcpy(grown, names, n * sizeof(*grown));
		grown[n] = "gw-new";
		make(g, c, grown, n + 1);
		for (size_t i = 0; i < NFLOWS; i++) {
			const char *before = pick_name(c, n, f[i], -1);
			const char *after = pick_name(c, n + 1, f[i], -1);

			if (strcmp(before, after) != 0) {
				ASSERT_STR_EQ(after, "gw-new");
				moved++;
			} else {
				ASSERT(strcmp(after, "gw-new") != 0);
			}
		}
		printf("  %zu -> %zu gateways: %zu of %d flows moved\n", n,
		    n + 1, moved, NFLOWS);
		ASSERT(moved > 0.85 * want && moved < 1.15 * want);
	}
	free(f);
}

/*
 * Draining: new flows avoid the gateway and the others' flows stay put;
 * a flow pinned to it stays while it is healthy. Unhealthy: never chosen,
 * pinned or not.
 */
static void
test_pick_drain(void)
{
	static const char *names[] = { "gw-1", "gw-2", "gw-3", "gw-4" };
	struct egress_gateway g[4];
	struct egress_candidate c[4];
	size_t on2 = 0;
	uint64_t *f = random_flows();

	make(g, c, names, 4);
	for (size_t i = 0; i < NFLOWS; i++) {
		int was = egress_pick(c, 4, f[i], -1), now, pinned;

		ASSERT(was >= 0);
		g[2].draining = true;
		now = egress_pick(c, 4, f[i], -1);
		ASSERT(now >= 0 && now != 2);
		if (was != 2)
			ASSERT_EQ(now, was);
		else
			on2++;
		/* Pinned: stays, draining or not, while healthy. */
		ASSERT_EQ(egress_pick(c, 4, f[i], was), was);
		ASSERT_EQ(egress_pick(c, 4, f[i], 2), 2);
		/* Unhealthy: the pinned flow moves as a new one would. */
		c[2].healthy = false;
		ASSERT_EQ(egress_pick(c, 4, f[i], 2), now);
		g[2].draining = false;
		ASSERT_EQ(egress_pick(c, 4, f[i], 2), now);
		ASSERT_EQ(egress_pick(c, 4, f[i], -1), now);
		c[2].healthy = true;
		/* A pin out of range counts as none. */
		ASSERT_EQ(egress_pick(c, 4, f[i], 4), was);
		ASSERT_EQ(egress_pick(c, 4, f[i], -7), was);
		/* A flow pinned elsewhere than HRW says stays too. */
		pinned = (was + 1) % 4;
		ASSERT_EQ(egress_pick(c, 4, f[i], pinned), pinned);
	}
	ASSERT(on2 > 0);

	/* None eligible. */
	for (int i = 0; i < 4; i++)
		g[i].draining = true;
	ASSERT_EQ(egress_pick(c, 4, f[0], -1), -1);
	ASSERT_EQ(egress_pick(c, 4, f[0], 3), 3);
	for (int i = 0; i < 4; i++) {
		g[i].draining = false;
		c[i].healthy = false;
	}
	ASSERT_EQ(egress_pick(c, 4, f[0], -1), -1);
	ASSERT_EQ(egress_pick(c, 4, f[0], 3), -1);
	c[1].healthy = true;
	for (size_t i = 0; i < 1000; i++)
		ASSERT_EQ(egress_pick(c, 4, f[i], 3), 1);
	free(f);
}

int
main(void)
{
	check_seed();
	RUN(test_validate);
	RUN(test_selects);
	RUN(test_match);
	RUN(test_match_random);
	RUN(test_candidates);
	RUN(test_hash);
	RUN(test_pick_determinism);
	RUN(test_pick_distribution);
	RUN(test_pick_remove);
	RUN(test_pick_add);
	RUN(test_pick_drain);
	return 0;
}
