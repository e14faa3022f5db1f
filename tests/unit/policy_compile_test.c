/*
 * policy_compile_test.c - the compiled matcher (policy/compile.h) against
 * the reference evaluator, differentially:
 *
 *   - every verdict of policy_test.c (the §4 cases, the random orders)
 *     again: that file is compiled in here with its policy_eval() calls
 *     routed through checked_eval(), which compiles the same world and
 *     requires policy_check() to give the same result;
 *   - random worlds (namespaces, pods, nodes, NetworkPolicies, ANPs,
 *     BANPs, NetworkSets, all with random selectors, ports and CIDRs,
 *     domainNames peers and a fixed random table of DNS bindings behind
 *     the world's dns_match) and random connections between pods, nodes
 *     and addresses at the edges of the blocks, for several seeds;
 *   - decision ids, their names and the counters.
 *
 * "The same result" is the whole policy_result: verdicts, and per
 * direction the reason, subject pod, deciding object and rule, number of
 * isolating policies, the Pass on the way and the name a domainNames
 * peer matched by.
 */
#include "policy/compile.h"
#include "policy/eval.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static int checked_eval(const struct policy_world *w,
    const struct policy_conn *c, struct policy_result *out, char *err,
    size_t errlen);

/* policy_test.c, its main renamed, its evaluations checked. */
int policy_test_main(void);
#define main policy_test_main
#define policy_eval checked_eval
#include "policy_test.c"
#undef policy_eval
#undef main

static size_t ncompared;

static void
fail_result(const char *what, const struct policy_conn *c,
    const struct policy_result *want, const struct policy_result *got)
{
	char a[SLUICE_ADDRSTRLEN], b[SLUICE_ADDRSTRLEN], x[1024], y[1024];

	CHECK_FAIL("%s differs for %s -> %s proto %d port %d:\n  eval:  %s\n"
	    "  check: %s", what, sluice_addr_str(&c->src, a, sizeof(a)),
	    sluice_addr_str(&c->dst, b, sizeof(b)), c->proto, c->dport,
	    policy_result_str(want, x, sizeof(x)),
	    policy_result_str(got, y, sizeof(y)));
}

static bool
same_decision(const struct policy_decision *a, const struct policy_decision *b)
{
	return a->verdict == b->verdict && a->reason == b->reason &&
	    a->pod == b->pod && a->anp == b->anp && a->np == b->np &&
	    a->banp == b->banp && a->rule == b->rule &&
	    a->nisolating == b->nisolating && a->passed_by == b->passed_by &&
	    a->pass_rule == b->pass_rule &&
	    strcmp(a->domain, b->domain) == 0;
}

static const struct policy_decision not_judged = {
	.verdict = POLICY_ALLOW, .reason = POLICY_REASON_NOT_POD,
};

/*
 * policy_check() on pc must equal want (policy_eval()'s, which returned
 * rc) for both directions, and for each one alone.
 */
static void
compare(const struct policy_compiled *pc, const struct policy_conn *c,
    int rc, const struct policy_result *want)
{
	struct policy_result got;
	char err[256];

	ASSERT_EQ(policy_check(pc, c, POLICY_EGRESS | POLICY_INGRESS, &got,
	    err, sizeof(err)), rc);
	if (rc != 0)
		return;
	if (got.verdict != want->verdict ||
	    !same_decision(&got.egress, &want->egress) ||
	    !same_decision(&got.ingress, &want->ingress))
		fail_result("the result", c, want, &got);
	ASSERT_OK(policy_check(pc, c, POLICY_EGRESS, &got, NULL, 0));
	if (!same_decision(&got.egress, &want->egress) ||
	    !same_decision(&got.ingress, &not_judged) ||
	    got.verdict != want->egress.verdict)
		fail_result("egress alone", c, want, &got);
	ASSERT_OK(policy_check(pc, c, POLICY_INGRESS, &got, NULL, 0));
	if (!same_decision(&got.ingress, &want->ingress) ||
	    !same_decision(&got.egress, &not_judged) ||
	    got.verdict != want->ingress.verdict)
		fail_result("ingress alone", c, want, &got);
	ASSERT_OK(policy_check(pc, c, 0, &got, NULL, 0));
	ASSERT_EQ(got.verdict, POLICY_ALLOW);
	/* Every decision has an id and a name. */
	ASSERT(policy_decision_id(pc, &want->egress, POLICY_EGRESS) <
	    policy_compiled_nids(pc));
	ASSERT(policy_decision_id(pc, &want->ingress, POLICY_INGRESS) <
	    policy_compiled_nids(pc));
	ncompared++;
}

static int
checked_eval(const struct policy_world *w, const struct policy_conn *c,
    struct policy_result *out, char *err, size_t errlen)
{
	struct policy_compiled *pc;
	int rc = policy_eval(w, c, out, err, errlen);

	ASSERT_OK(policy_compile(w, &pc, NULL, 0));
	compare(pc, c, rc, out);
	policy_compiled_free(pc);
	return rc;
}

/* ---- random worlds ---------------------------------------------------- */

/* Everything a random world points to, freed at once. */
struct arena {
	void **v;
	size_t n, cap;
};

static struct arena arena;

static void *
az(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	ASSERT(p != NULL);
	if (arena.n == arena.cap) {
		arena.cap = arena.cap ? 2 * arena.cap : 256;
		arena.v = realloc(arena.v, arena.cap * sizeof(*arena.v));
		ASSERT(arena.v != NULL);
	}
	arena.v[arena.n++] = p;
	return p;
}

#define ANEW(type, n) ((type *)az((n) * sizeof(type)))

static void
arena_free(void)
{
	for (size_t i = 0; i < arena.n; i++)
		free(arena.v[i]);
	arena.n = 0;
}

static bool
one_in(uint64_t n)
{
	return check_below(n) == 0;
}

static const char *const keys[] = { "app", "tier", "env", "team" };
static const char *const values[] = { "a", "b", "c" };
static const char *const port_names[] = { "http", "dns", "metrics", "nope" };
static const uint16_t port_nums[] = { 53, 80, 81, 443, 8080 };
static const int protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
/* Names pods resolve, and patterns that match some of them, or none. */
static const char *const dns_names[] = {
	"example.com", "a.example.com", "b.a.example.com", "api.test.org",
	"test.org",
};
static const char *const dns_patterns[] = {
	"example.com", "*.example.com", "*.a.example.com", "A.Example.COM.",
	"api.test.org", "*.test.org", "nothing.example",
};

#define PICK(arr) (arr[check_below(sizeof(arr) / sizeof(arr[0]))])

static const struct sluice_label *
rand_labels(size_t *n, const char *name_key, const char *name)
{
	struct sluice_label *l = ANEW(struct sluice_label, 5);

	*n = 0;
	if (name_key != NULL)
		l[(*n)++] = (struct sluice_label){ name_key, name };
	for (size_t i = 0; i < 4; i++) {
		if (check_below(2))
			l[(*n)++] = (struct sluice_label){ keys[i],
			    PICK(values) };
	}
	return l;
}

static const struct sluice_selector *
rand_sel(void)
{
	struct sluice_selector *s = ANEW(struct sluice_selector, 1);
	struct sluice_label *ml;
	struct sluice_sel_expr *ex;

	if (one_in(4))
		return s;		/* {} */
	ml = ANEW(struct sluice_label, 2);
	ex = ANEW(struct sluice_sel_expr, 2);
	s->match_labels = ml;
	s->nmatch_labels = check_below(3);
	for (size_t i = 0; i < s->nmatch_labels; i++)
		ml[i] = (struct sluice_label){ PICK(keys), PICK(values) };
	s->exprs = ex;
	s->nexprs = check_below(3);
	for (size_t i = 0; i < s->nexprs; i++) {
		const char **v = ANEW(const char *, 2);

		ex[i].key = PICK(keys);
		ex[i].op = (enum sluice_sel_op)check_below(4);
		if (ex[i].op == SLUICE_SEL_IN || ex[i].op == SLUICE_SEL_NOT_IN) {
			v[0] = PICK(values);
			v[1] = PICK(values);
			ex[i].values = v;
			ex[i].nvalues = 1 + check_below(2);
		}
	}
	return s;
}

/* A selector, or (one time in n) absent. */
static const struct sluice_selector *
maybe_sel(uint64_t n)
{
	return one_in(n) ? NULL : rand_sel();
}

/* The world being generated, and the addresses of interest in it. */
struct gen {
	struct policy_world w;
	struct bindings dns;		/* behind w.dns_match */
	const char **ns_names;
	size_t nns;
	const char **node_names;
	size_t nnodes;
	struct sluice_addr *interesting;	/* pods, nodes, block edges */
	size_t nint, intcap;
};

static struct gen g;

static void
remember(const struct sluice_addr *a)
{
	if (g.nint == g.intcap) {
		g.intcap = g.intcap ? 2 * g.intcap : 64;
		g.interesting = realloc(g.interesting,
		    g.intcap * sizeof(*g.interesting));
		ASSERT(g.interesting != NULL);
	}
	g.interesting[g.nint++] = *a;
}

/* A random address of a small space: 10.0.0.0/21 or fd00::/117. */
static struct sluice_addr
rand_addr(int family)
{
	struct sluice_addr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	if (family == AF_INET) {
		a.u.b[0] = 10;
		a.u.b[2] = (uint8_t)check_below(8);
		a.u.b[3] = (uint8_t)check_below(256);
	} else {
		a.u.b[0] = 0xfd;
		a.u.b[14] = (uint8_t)check_below(8);
		a.u.b[15] = (uint8_t)check_below(256);
	}
	return a;
}

static void
clear_host(struct sluice_addr *a, unsigned len)
{
	size_t n = sluice_addr_len(a->family);

	for (size_t i = 0; i < n; i++) {
		if (len >= 8 * (i + 1))
			continue;
		if (len <= 8 * i)
			a->u.b[i] = 0;
		else
			a->u.b[i] &= (uint8_t)(0xff << (8 - (len - 8 * i)));
	}
}

/* Adds d (+1 or -1) to a, wrapping. */
static struct sluice_addr
addr_step(struct sluice_addr a, int d)
{
	for (size_t i = sluice_addr_len(a.family); i-- > 0;) {
		a.u.b[i] = (uint8_t)(a.u.b[i] + d);
		if ((d > 0 && a.u.b[i] != 0) || (d < 0 && a.u.b[i] != 0xff))
			break;
	}
	return a;
}

/* The prefix's first and last addresses and their neighbours. */
static void
remember_edges(const struct sluice_prefix *p)
{
	struct sluice_addr lo = p->addr, hi = p->addr;
	unsigned bits = 8 * (unsigned)sluice_addr_len(p->addr.family);

	for (unsigned i = p->len; i < bits; i++)
		hi.u.b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	remember(&lo);
	remember(&hi);
	lo = addr_step(lo, -1);
	hi = addr_step(hi, 1);
	remember(&lo);
	remember(&hi);
}

static struct sluice_prefix
rand_prefix(int family)
{
	struct sluice_prefix p;

	if (g.nint > 0 && one_in(2)) {
		p.addr = g.interesting[check_below(g.nint)];
		if (p.addr.family != family)
			p.addr = rand_addr(family);
	} else {
		p.addr = rand_addr(family);
	}
	if (family == AF_INET)
		p.len = one_in(20) ? 0 : (uint8_t)(18 + check_below(15));
	else
		p.len = one_in(20) ? 0 : (uint8_t)(112 + check_below(17));
	clear_host(&p.addr, p.len);
	remember_edges(&p);
	return p;
}

/* A strict subset of p, if it has one. */
static struct sluice_prefix
rand_sub(const struct sluice_prefix *p)
{
	unsigned bits = 8 * (unsigned)sluice_addr_len(p->addr.family);
	struct sluice_prefix s = *p;

	if (p->len >= bits)
		return s;
	s.len = (uint8_t)(p->len + 1 + check_below(bits - p->len < 6 ?
	    bits - p->len : 6));
	for (unsigned i = p->len; i < s.len; i++) {
		if (check_below(2))
			s.addr.u.b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	remember_edges(&s);
	return s;
}

static const struct sluice_prefix *
rand_prefixes(size_t n)
{
	struct sluice_prefix *v = ANEW(struct sluice_prefix, n);

	for (size_t i = 0; i < n; i++)
		v[i] = rand_prefix(one_in(4) ? AF_INET6 : AF_INET);
	return v;
}

static const char *
rand_ns_name(void)
{
	if (one_in(40))
		return one_in(2) ? NULL : "ghost";
	return g.nns > 0 ? g.ns_names[check_below(g.nns)] : "ghost";
}

static char *
fmt_name(const char *prefix, size_t i)
{
	char *s = ANEW(char, 24);

	snprintf(s, 24, "%s%zu", prefix, i);
	return s;
}

static void
gen_topology(void)
{
	struct policy_namespace *ns;
	struct policy_node *nodes_;
	struct policy_pod *pods_;

	g.nns = 1 + check_below(4);
	g.ns_names = ANEW(const char *, g.nns);
	ns = ANEW(struct policy_namespace, g.nns);
	for (size_t i = 0; i < g.nns; i++) {
		g.ns_names[i] = fmt_name("ns", i);
		ns[i].name = g.ns_names[i];
		ns[i].labels = rand_labels(&ns[i].nlabels,
		    POLICY_NS_NAME_LABEL, ns[i].name);
	}
	g.w.namespaces = ns;
	g.w.nnamespaces = g.nns;

	g.nnodes = check_below(4);
	g.node_names = ANEW(const char *, g.nnodes + 1);
	nodes_ = ANEW(struct policy_node, g.nnodes);
	for (size_t i = 0; i < g.nnodes; i++) {
		struct sluice_addr *a = ANEW(struct sluice_addr, 2);

		g.node_names[i] = one_in(20) ? "n0" : fmt_name("n", i);
		nodes_[i].name = g.node_names[i];
		nodes_[i].labels = rand_labels(&nodes_[i].nlabels, NULL,
		    NULL);
		a[0] = rand_addr(AF_INET);
		a[1] = rand_addr(AF_INET6);
		remember(&a[0]);
		remember(&a[1]);
		nodes_[i].addrs = a;
		nodes_[i].naddrs = 1 + check_below(2);
	}
	g.w.nodes = nodes_;
	g.w.nnodes = g.nnodes;

	g.w.npods = check_below(12);
	pods_ = ANEW(struct policy_pod, g.w.npods);
	for (size_t i = 0; i < g.w.npods; i++) {
		struct policy_pod *p = &pods_[i];
		struct sluice_addr *a = ANEW(struct sluice_addr, 2);
		struct policy_container_port *cp =
		    ANEW(struct policy_container_port, 3);

		p->namespace = rand_ns_name();
		p->name = fmt_name("p", i);
		p->node = g.nnodes > 0 && !one_in(10) ?
		    g.node_names[check_below(g.nnodes)] : NULL;
		p->labels = rand_labels(&p->nlabels, NULL, NULL);
		/* Now and then an address another pod or a node holds. */
		a[0] = g.nint > 0 && one_in(25) ?
		    g.interesting[check_below(g.nint)] : rand_addr(AF_INET);
		a[1] = rand_addr(AF_INET6);
		if (a[0].family == AF_INET6 || one_in(4)) {
			a[0] = a[1];
			p->nips = 1;
		} else {
			p->nips = 1 + check_below(2);
		}
		for (size_t j = 0; j < p->nips; j++)
			remember(&a[j]);
		p->ips = a;
		p->ports = cp;
		p->nports = check_below(4);
		for (size_t j = 0; j < p->nports; j++) {
			cp[j].name = one_in(5) ? NULL : PICK(port_names);
			cp[j].protocol = PICK(protos);
			cp[j].port = PICK(port_nums);
		}
	}
	g.w.pods = pods_;
}

static struct policy_netset *
gen_netsets(size_t n, bool global)
{
	struct policy_netset *v = ANEW(struct policy_netset, n);

	for (size_t i = 0; i < n; i++) {
		v[i].name = fmt_name("set", i);
		v[i].namespace = global ? NULL : rand_ns_name();
		v[i].labels = rand_labels(&v[i].nlabels, NULL, NULL);
		v[i].nnets = check_below(5);
		v[i].nets = rand_prefixes(v[i].nnets);
	}
	return v;
}

static const struct policy_np_port *
gen_np_ports(size_t n)
{
	struct policy_np_port *v = ANEW(struct policy_np_port, n);

	for (size_t i = 0; i < n; i++) {
		v[i].protocol = PICK(protos);
		v[i].has_port = !one_in(5);
		if (!v[i].has_port)
			continue;
		if (one_in(3)) {
			v[i].name = PICK(port_names);
			continue;
		}
		v[i].port = PICK(port_nums);
		if (one_in(3)) {
			v[i].has_end_port = true;
			v[i].end_port = v[i].port + (int32_t)check_below(3) *
			    (int32_t)check_below(300);
		}
	}
	return v;
}

static const struct policy_ip_block *
gen_block(void)
{
	struct policy_ip_block *b = ANEW(struct policy_ip_block, 1);
	struct sluice_prefix *ex = ANEW(struct sluice_prefix, 3);

	b->cidr = rand_prefix(one_in(4) ? AF_INET6 : AF_INET);
	b->nexcept = check_below(4);
	for (size_t i = 0; i < b->nexcept; i++)
		ex[i] = rand_sub(i > 0 && one_in(3) ? &ex[i - 1] : &b->cidr);
	b->except = ex;
	return b;
}

static struct sluice_addr conn_addr(int family);

/* 1 to 3 patterns; now and then the (invalid) empty list. */
static const char *const *
gen_domains(size_t *n)
{
	const char **v = ANEW(const char *, 3);

	*n = one_in(15) ? 0 : 1 + check_below(3);
	for (size_t i = 0; i < *n; i++)
		v[i] = PICK(dns_patterns);
	return v;
}

static const struct policy_np_peer *
gen_np_peers(size_t n)
{
	struct policy_np_peer *v = ANEW(struct policy_np_peer, n);

	for (size_t i = 0; i < n; i++) {
		switch (check_below(8)) {
		case 7:
			v[i].domain_names = gen_domains(&v[i].ndomain_names);
			/* Now and then (invalid) with another field. */
			if (one_in(10))
				v[i].ip_block = gen_block();
			break;
		case 0:
			v[i].pod_selector = rand_sel();
			break;
		case 1:
			v[i].namespace_selector = rand_sel();
			break;
		case 2:
			v[i].pod_selector = rand_sel();
			v[i].namespace_selector = rand_sel();
			break;
		case 3:
		case 4:
			v[i].ip_block = gen_block();
			break;
		case 5:
			v[i].network_set_selector = rand_sel();
			break;
		case 6:
			if (!one_in(10))	/* else a peer with no field */
				v[i].global_network_set_selector = rand_sel();
			break;
		}
	}
	return v;
}

static const struct policy_np_rule *
gen_np_rules(size_t n)
{
	struct policy_np_rule *v = ANEW(struct policy_np_rule, n);

	for (size_t i = 0; i < n; i++) {
		v[i].nports = one_in(2) ? 0 : 1 + check_below(3);
		v[i].ports = gen_np_ports(v[i].nports);
		v[i].npeers = one_in(4) ? 0 : 1 + check_below(3);
		v[i].peers = gen_np_peers(v[i].npeers);
	}
	return v;
}

static void
gen_nps(void)
{
	struct policy_np *v;

	g.w.nnps = check_below(7);
	v = ANEW(struct policy_np, g.w.nnps);
	for (size_t i = 0; i < g.w.nnps; i++) {
		enum policy_dir *t = ANEW(enum policy_dir, 2);

		v[i].name = fmt_name("np", i);
		v[i].namespace = rand_ns_name();
		v[i].pod_selector = maybe_sel(4);
		v[i].npolicy_types = check_below(3);
		for (size_t j = 0; j < v[i].npolicy_types; j++)
			t[j] = one_in(2) ? POLICY_INGRESS : POLICY_EGRESS;
		v[i].policy_types = t;
		v[i].ningress = check_below(4);
		v[i].ingress = gen_np_rules(v[i].ningress);
		v[i].negress = check_below(4);
		v[i].egress = gen_np_rules(v[i].negress);
	}
	g.w.nps = v;
}

static const struct policy_anp_pods *
gen_pods_peer(void)
{
	struct policy_anp_pods *p = ANEW(struct policy_anp_pods, 1);

	p->namespace_selector = maybe_sel(15);
	p->pod_selector = maybe_sel(15);
	return p;
}

static const struct policy_anp_port *
gen_anp_ports(size_t n)
{
	struct policy_anp_port *v = ANEW(struct policy_anp_port, n);

	for (size_t i = 0; i < n; i++) {
		struct policy_anp_port_number *num;
		struct policy_anp_port_range *rng;

		switch (check_below(7)) {
		case 0:
		case 1:
		case 2:
			num = ANEW(struct policy_anp_port_number, 1);
			num->protocol = PICK(protos);
			num->port = PICK(port_nums);
			v[i].port_number = num;
			break;
		case 3:
		case 4:
			rng = ANEW(struct policy_anp_port_range, 1);
			rng->protocol = PICK(protos);
			rng->start = PICK(port_nums);
			rng->end = rng->start + (int32_t)check_below(500);
			v[i].port_range = rng;
			break;
		case 5:
			v[i].named_port = PICK(port_names);
			break;
		default:
			break;		/* no field: matches nothing */
		}
	}
	return v;
}

static const struct policy_anp_rule *
gen_anp_rules(size_t n, bool pass)
{
	static const char *const rule_names[] = { NULL, "r", "deny-all" };
	struct policy_anp_rule *v = ANEW(struct policy_anp_rule, n);

	for (size_t i = 0; i < n; i++) {
		struct policy_anp_peer *x;

		v[i].name = PICK(rule_names);
		v[i].action = (enum policy_action)(1 + check_below(pass ? 3 :
		    2));
		if (one_in(50))
			v[i].action = (enum policy_action)7;
		if (!one_in(3)) {
			v[i].nports = one_in(10) ? 0 : 1 + check_below(3);
			v[i].ports = gen_anp_ports(v[i].nports);
		}
		v[i].npeers = 1 + check_below(3);
		x = ANEW(struct policy_anp_peer, v[i].npeers);
		v[i].peers = x;
		for (size_t j = 0; j < v[i].npeers; j++) {
			switch (check_below(7)) {
			case 6:
				x[j].domain_names =
				    gen_domains(&x[j].ndomain_names);
				/* Now and then (invalid) with another field. */
				if (one_in(10))
					x[j].namespaces = rand_sel();
				break;
			case 0:
				x[j].namespaces = rand_sel();
				break;
			case 1:
				x[j].pods = gen_pods_peer();
				break;
			case 2:
				x[j].nnetworks = 1 + check_below(3);
				x[j].networks = rand_prefixes(x[j].nnetworks);
				break;
			case 3:
				x[j].nodes = rand_sel();
				break;
			case 4:
				x[j].network_sets = rand_sel();
				break;
			default:
				if (!one_in(6))	/* else no field */
					x[j].namespaces = rand_sel();
				break;
			}
		}
	}
	return v;
}

static struct policy_anp_subject
gen_subject(void)
{
	struct policy_anp_subject s = { 0 };

	if (one_in(30))
		return s;
	if (one_in(2))
		s.namespaces = rand_sel();
	else
		s.pods = gen_pods_peer();
	return s;
}

static void
gen_anps(void)
{
	static const int32_t prios[] = { 0, 1, 1, 2, 5, 1000 };
	struct policy_anp *v;
	struct policy_banp *b;

	g.w.nanps = check_below(6);
	v = ANEW(struct policy_anp, g.w.nanps);
	for (size_t i = 0; i < g.w.nanps; i++) {
		/* Mostly unique names; equal priorities are common. */
		v[i].name = one_in(15) ? "dup" : fmt_name("anp", 9 - i);
		v[i].priority = PICK(prios);
		v[i].subject = gen_subject();
		v[i].ningress = check_below(4);
		v[i].ingress = gen_anp_rules(v[i].ningress, true);
		v[i].negress = check_below(4);
		v[i].egress = gen_anp_rules(v[i].negress, true);
	}
	g.w.anps = v;
	g.w.nbanps = one_in(3) ? 0 : one_in(20) ? 2 : 1;
	b = ANEW(struct policy_banp, g.w.nbanps);
	for (size_t i = 0; i < g.w.nbanps; i++) {
		b[i].name = "default";
		b[i].subject = gen_subject();
		b[i].ningress = check_below(4);
		b[i].ingress = gen_anp_rules(b[i].ningress, one_in(10));
		b[i].negress = check_below(4);
		b[i].egress = gen_anp_rules(b[i].negress, one_in(10));
	}
	g.w.banps = b;
}

/*
 * The DNS bindings: pods resolving names to pod and node addresses, block
 * edges, anything; a pod now and then binds two names to one address.
 */
static void
gen_bindings(void)
{
	struct binding *b;
	size_t n = g.w.npods == 0 || one_in(10) ? 0 : check_below(16);

	b = ANEW(struct binding, n);
	for (size_t i = 0; i < n; i++) {
		b[i].pod = &g.w.pods[check_below(g.w.npods)];
		b[i].addr = i > 0 && one_in(5) ? b[i - 1].addr :
		    conn_addr(one_in(4) ? AF_INET6 : AF_INET);
		b[i].name = PICK(dns_names);
	}
	g.dns = (struct bindings){ b, n, 0 };
	g.w.dns_match = one_in(20) ? NULL : table_dns_match;
	g.w.dns_arg = &g.dns;
}

static void
gen_world(void)
{
	memset(&g.w, 0, sizeof(g.w));
	g.nint = 0;
	gen_topology();
	g.w.nnetsets = check_below(4);
	g.w.netsets = gen_netsets(g.w.nnetsets, false);
	g.w.nglobal_netsets = check_below(4);
	g.w.global_netsets = gen_netsets(g.w.nglobal_netsets, true);
	gen_nps();
	gen_anps();
	g.w.deny_egress_to_local_node = one_in(2);
	gen_bindings();
}

/* Mostly pods (so that policies apply), then nodes, edges, anything. */
static struct sluice_addr
conn_addr(int family)
{
	uint64_t kind = check_below(20);

	for (int tries = 0; tries < 8; tries++) {
		struct sluice_addr a;

		if (kind < 11 && g.w.npods > 0) {
			const struct policy_pod *p =
			    &g.w.pods[check_below(g.w.npods)];

			a = p->ips[check_below(p->nips)];
		} else if (kind < 13 && g.w.nnodes > 0) {
			const struct policy_node *n =
			    &g.w.nodes[check_below(g.w.nnodes)];

			a = n->addrs[check_below(n->naddrs)];
		} else if (kind < 18 && g.nint > 0) {
			a = g.interesting[check_below(g.nint)];
		} else {
			break;
		}
		if (a.family == family)
			return a;
	}
	return rand_addr(family);
}

/* c from a binding's pod to its address, when the families agree. */
static void
binding_conn(struct policy_conn *c)
{
	const struct binding *b = &g.dns.v[check_below(g.dns.n)];

	for (size_t i = 0; i < b->pod->nips; i++) {
		if (b->pod->ips[i].family == b->addr.family) {
			c->src = b->pod->ips[i];
			c->dst = b->addr;
			return;
		}
	}
}

static void
test_random_worlds(void)
{
	static const uint8_t conn_protos[] = {
		IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP,
		IPPROTO_ICMP, IPPROTO_ICMPV6, 0,
	};
	static const uint16_t dports[] = { 0, 53, 80, 81, 443, 444, 8080 };
	uint64_t seed0 = check_rng_state;
	size_t nworlds = 0, nconns = 0, decided[8] = { 0 }, by_name = 0;

	for (uint64_t seed = 0; seed < 4; seed++) {
		check_rng_state = seed0 + seed * 0x9e3779b97f4a7c15ull;
		if (check_rng_state == 0)
			check_rng_state = 1;
		for (int i = 0; i < 450; i++, nworlds++) {
			struct policy_compiled *pc;
			char err[256];

			gen_world();
			if (policy_compile(&g.w, &pc, err, sizeof(err)) != 0)
				CHECK_FAIL("policy_compile: %s", err);
			for (int k = 0; k < 100; k++, nconns++) {
				int fam = one_in(4) ? AF_INET6 : AF_INET;
				struct policy_conn c = {
					.src = conn_addr(fam),
					.dst = conn_addr(fam),
					.proto = PICK(conn_protos),
					.dport = one_in(8) ?
					    (uint16_t)check_below(65536) :
					    PICK(dports),
				};
				struct policy_result want;
				int rc;

				if (one_in(200))
					c.dst = conn_addr(fam == AF_INET ?
					    AF_INET6 : AF_INET);
				/* Now and then along a DNS binding. */
				if (g.dns.n > 0 && one_in(6))
					binding_conn(&c);
				rc = policy_eval(&g.w, &c, &want, NULL, 0);
				compare(pc, &c, rc, &want);
				if (rc == 0) {
					decided[want.egress.reason]++;
					decided[want.ingress.reason]++;
					by_name += want.egress.domain[0] != 0;
					ASSERT_STR_EQ(want.ingress.domain, "");
				}
			}
			policy_compiled_free(pc);
			arena_free();
		}
	}
	check_rng_state = seed0;
	printf("  %zu worlds, %zu connections; reasons: not-pod %zu, anp %zu, "
	    "np-rule %zu, self %zu, local-node %zu, isolated %zu, banp %zu, "
	    "default %zu; by a domain name %zu\n", nworlds, nconns,
	    decided[0], decided[1], decided[2], decided[3], decided[4],
	    decided[5], decided[6], decided[7], by_name);
	/* The generator must reach every outcome, or it tests too little. */
	for (int i = 0; i < 8; i++)
		ASSERT(decided[i] > 0);
	ASSERT(by_name > 0);
}

/* ---- ids, names and counters ------------------------------------------- */

static void
test_ids(void)
{
	static const struct sluice_label xl[] = {
		{ POLICY_NS_NAME_LABEL, "x" },
	};
	static const struct sluice_label al[] = { { "app", "a" } };
	static const struct sluice_label bl[] = { { "app", "web" } };
	struct sluice_addr ips[3];
	struct sluice_prefix all = P("0.0.0.0/0");
	const struct policy_namespace ns = { "x", xl, 1 };
	struct policy_pod ps[2] = {
		{ .namespace = "x", .name = "a", .labels = al, .nlabels = 1,
		    .ips = &ips[0], .nips = 1 },
		{ .namespace = "x", .name = "web", .labels = bl, .nlabels = 1,
		    .ips = &ips[1], .nips = 1 },
	};
	const struct policy_anp_peer everywhere = {
		.networks = &all, .nnetworks = 1,
	};
	const struct policy_anp_rule anp_eg[] = {
		{ .name = "deny-all", .action = POLICY_ACTION_DENY,
		    .peers = &everywhere, .npeers = 1,
		    .ports = (const struct policy_anp_port[]){
			PNUM(TCP, 25) }, .nports = 1 },
		{ .action = POLICY_ACTION_PASS, .peers = &everywhere,
		    .npeers = 1 },
	};
	const struct policy_anp anp = {
		.name = "p10", .priority = 10,
		.subject = { .namespaces = SEL_ALL },
		.egress = anp_eg, .negress = 2,
	};
	const struct policy_np_rule web_in[] = {
		{ .nports = 0, PEERS({ .pod_selector = SEL("app", "nobody") }) },
		{ .nports = 0, PEERS({ .pod_selector = SEL("app", "a") }) },
	};
	const struct policy_np nps_[] = {
		{ META("web", "x", SEL("app", "web")), .ingress = web_in,
		    .ningress = 2 },
		{ META("deny-all", "x", SEL_ALL), TYPES(ING) },
	};
	const struct policy_anp_rule banp_eg[] = {
		{ .action = POLICY_ACTION_ALLOW, .peers = &everywhere,
		    .npeers = 1 },
	};
	const struct policy_banp banp = {
		.name = "default", .subject = { .namespaces = SEL_ALL },
		.egress = banp_eg, .negress = 1,
	};
	struct policy_world w = {
		.namespaces = &ns, .nnamespaces = 1, .pods = ps, .npods = 2,
		.nps = nps_, .nnps = 2, .anps = &anp, .nanps = 1,
		.banps = &banp, .nbanps = 1,
	};
	struct policy_compiled *pc;
	struct policy_result r;
	struct policy_conn c = { .proto = TCP, .dport = 80 };
	char buf[256], buf2[256];
	uint64_t flows, pkts;
	uint32_t id;

	ips[0] = parse_addr("10.0.0.1");
	ips[1] = parse_addr("10.0.0.2");
	ips[2] = parse_addr("192.0.2.9");
	ASSERT_OK(policy_world_validate(&w, print_problem, NULL, NULL, 0));
	ASSERT_OK(policy_compile(&w, &pc, NULL, 0));
	/* 8 fixed, 2 ANP rules, NP web 2 + 2 rules, deny-all 2, BANP 1. */
	ASSERT_EQ(policy_compiled_nids(pc), 8 + 2 + 4 + 2 + 1);
	ASSERT(policy_compiled_size(pc) > 0);

	/* a -> web: ANP Pass, then web ingress[1] allows; BANP egress. */
	c.src = ips[0];
	c.dst = ips[1];
	ASSERT_OK(policy_check(pc, &c, POLICY_EGRESS | POLICY_INGRESS, &r,
	    NULL, 0));
	ASSERT_EQ(r.verdict, ALLOW);
	id = policy_decision_id(pc, &r.ingress, POLICY_INGRESS);
	ASSERT_STR_EQ(policy_id_str(pc, id, buf, sizeof(buf)),
	    "NetworkPolicy x/web ingress[1]");
	id = policy_decision_id(pc, &r.egress, POLICY_EGRESS);
	ASSERT_STR_EQ(policy_id_str(pc, id, buf, sizeof(buf)),
	    "BaselineAdminNetworkPolicy default egress[0] Allow");
	id = policy_pass_id(pc, &r.egress, POLICY_EGRESS);
	ASSERT_STR_EQ(policy_id_str(pc, id, buf, sizeof(buf)),
	    "AdminNetworkPolicy p10 egress[1] Pass");
	ASSERT_EQ(policy_pass_id(pc, &r.ingress, POLICY_INGRESS),
	    POLICY_ID_NONE);

	/* web -> a:25: the ANP denies; a is isolated by deny-all. */
	c.src = ips[1];
	c.dst = ips[0];
	c.dport = 25;
	ASSERT_OK(policy_check(pc, &c, POLICY_EGRESS | POLICY_INGRESS, &r,
	    NULL, 0));
	ASSERT_EQ(r.verdict, DENY);
	id = policy_decision_id(pc, &r.egress, POLICY_EGRESS);
	ASSERT_STR_EQ(policy_id_str(pc, id, buf, sizeof(buf)),
	    "AdminNetworkPolicy p10 egress[0] (deny-all) Deny");
	id = policy_decision_id(pc, &r.ingress, POLICY_INGRESS);
	ASSERT_STR_EQ(policy_id_str(pc, id, buf, sizeof(buf)),
	    "NetworkPolicy x/deny-all ingress: isolated, no rule allows");

	/* Outside -> a: not a pod on egress; the fixed ids. */
	c.src = ips[2];
	ASSERT_OK(policy_check(pc, &c, POLICY_INGRESS, &r, NULL, 0));
	id = policy_decision_id(pc, &r.egress, POLICY_EGRESS);
	ASSERT_STR_EQ(policy_id_str(pc, id, buf, sizeof(buf)),
	    "egress: not a pod, no policy");
	ASSERT_STR_EQ(policy_id_str(pc, 2, buf, sizeof(buf)),
	    "ingress: no policy decided (default allow)");
	ASSERT_STR_EQ(policy_id_str(pc, 5, buf, sizeof(buf)),
	    "egress: isolated, allowed toward itself");
	ASSERT_STR_EQ(policy_id_str(pc, 6, buf, sizeof(buf)),
	    "ingress: isolated, allowed: the peer is its own node");
	ASSERT_STR_HAS(policy_id_str(pc, 1000, buf, sizeof(buf)), "no such");
	ASSERT_STR_EQ(policy_id_str(pc, 9, buf, 8), "AdminNe");

	/* Every id has a name of its own. */
	for (uint32_t i = 0; i < policy_compiled_nids(pc); i++) {
		policy_id_str(pc, i, buf, sizeof(buf));
		for (uint32_t j = 0; j < i; j++)
			ASSERT(strcmp(buf, policy_id_str(pc, j, buf2,
			    sizeof(buf2))) != 0);
	}

	/* A decision this world cannot have. */
	r.egress.reason = POLICY_REASON_ANP;
	r.egress.rule = 2;
	ASSERT_EQ(policy_decision_id(pc, &r.egress, POLICY_EGRESS),
	    POLICY_ID_NONE);
	r.egress.rule = 0;
	r.egress.anp = &anp + 1;
	ASSERT_EQ(policy_decision_id(pc, &r.egress, POLICY_EGRESS),
	    POLICY_ID_NONE);

	/* Counters. */
	for (uint32_t i = 0; i < policy_compiled_nids(pc); i++) {
		policy_counters(pc, i, &flows, &pkts);
		ASSERT_EQ(flows, 0);
		ASSERT_EQ(pkts, 0);
	}
	policy_count(pc, 9, 1, 10);
	policy_count(pc, 9, 2, 5);
	policy_count(pc, 1000, 1, 1);	/* ignored */
	policy_counters(pc, 9, &flows, &pkts);
	ASSERT_EQ(flows, 3);
	ASSERT_EQ(pkts, 15);
	policy_counters(pc, 8, &flows, &pkts);
	ASSERT_EQ(flows, 0);
	policy_counters(pc, 1000, &flows, &pkts);
	ASSERT_EQ(flows, 0);
	policy_compiled_free(pc);
	policy_compiled_free(NULL);
}

int
main(void)
{
	/* The §4 cases, every verdict also compiled and checked. */
	policy_test_main();
	printf("%zu results of policy_test compared\n", ncompared);
	ncompared = 0;
	RUN(test_ids);
	RUN(test_random_worlds);
	printf("%zu results compared\n", ncompared);
	free(g.interesting);
	free(arena.v);
	return 0;
}
