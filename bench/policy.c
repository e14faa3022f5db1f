/*
 * bench/policy.c - the compiled policy matcher (policy/compile.h) at
 * scale: compile time, memory, and new-flow verdicts/s of policy_check(),
 * with policy_eval() (the reference evaluator, which walks the world on
 * every call) for comparison where it finishes in reasonable time.
 *
 *   bench_policy [SCALE]
 *
 * SCALE (default 1) multiplies the time of every timed measurement (0.3 s
 * each at 1); the whole run takes well under a minute at 1. Not a test:
 * run it by hand, on a quiet machine.
 *
 * Worlds: 100 namespaces (team=t0..t9, env=prod|dev), 2,000 pods (20 per
 * namespace, app=a0..a9, tier=web|db|cache, an IPv4 address, every other
 * one an IPv6 address too, named ports http and metrics) on 20 nodes, and
 * 10, 1,000 or 10,000 policies: nine in ten NetworkPolicies (ingress
 * from pods and namespaces on a port or a named port, egress to an
 * ipBlock with an except for one in three), one in ten ANPs (priorities
 * 0-999, namespace and pod subjects, Allow/Deny/Pass rules on pods,
 * namespaces and networks). The last world adds 25 GlobalNetworkSets of
 * 4,000 random IPv4 nets each (100,000 CIDRs), selected by NetworkPolicy
 * egress rules and an ANP Deny rule.
 *
 * Connections: 70% pod to pod, 20% pod to an outside address, 10% outside
 * to pod; random ports among 22, 53, 80, 443, 9090.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/compile.h"
#include "policy/eval.h"
#include "policy/model.h"

#define NNS 100
#define PODS_PER_NS 20
#define NPODS (NNS * PODS_PER_NS)
#define NNODES 20
#define NSETS 25
#define NETS_PER_SET 4000
#define NCONNS 8192

static double scale = 1.0;

/* ---- allocation ------------------------------------------------------- */

/* Everything a world points to, freed with the world. */
static void **arena;
static size_t narena, arena_cap;

static void *
az(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	if (narena == arena_cap) {
		arena_cap = arena_cap ? 2 * arena_cap : 1024;
		arena = realloc(arena, arena_cap * sizeof(*arena));
		if (arena == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	arena[narena++] = p;
	return p;
}

#define NEW(type, n) ((type *)az((n) * sizeof(type)))

static void
arena_free(void)
{
	for (size_t i = 0; i < narena; i++)
		free(arena[i]);
	narena = 0;
}

/* prefix followed by i, e.g. "ns12". */
static char *
name(const char *prefix, size_t i)
{
	char *s = NEW(char, 32);

	snprintf(s, 32, "%s%zu", prefix, i);
	return s;
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dull) % n;
}

static size_t
allocated(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- worlds ------------------------------------------------------------ */

static const struct sluice_selector *
sel1(const char *k, const char *v)
{
	struct sluice_selector *s = NEW(struct sluice_selector, 1);
	struct sluice_label *l = NEW(struct sluice_label, 1);

	l->key = k;
	l->value = v;
	s->match_labels = l;
	s->nmatch_labels = 1;
	return s;
}

static const char *const apps[10] = {
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9",
};
static const char *const teams[10] = {
	"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9",
};
static const char *const tiers[3] = { "web", "db", "cache" };

static struct sluice_addr
v4(uint32_t host)
{
	struct sluice_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.u.v4.s_addr = htonl(host);
	return a;
}

static struct sluice_prefix
pfx4(uint32_t host, uint8_t len)
{
	struct sluice_prefix p;

	p.len = len;
	p.addr = v4(len == 0 ? 0 : host & ~(uint32_t)((1ull << (32 - len)) -
	    1));
	return p;
}

static void
topology(struct policy_world *w)
{
	struct policy_namespace *ns = NEW(struct policy_namespace, NNS);
	struct policy_pod *pods = NEW(struct policy_pod, NPODS);
	struct policy_node *nodes = NEW(struct policy_node, NNODES);
	struct policy_container_port *cp =
	    NEW(struct policy_container_port, 2);

	cp[0] = (struct policy_container_port){ "http", IPPROTO_TCP, 80 };
	cp[1] = (struct policy_container_port){ "metrics", IPPROTO_TCP, 9090 };
	for (size_t i = 0; i < NNS; i++) {
		struct sluice_label *l = NEW(struct sluice_label, 3);

		ns[i].name = name("ns", i);
		l[0] = (struct sluice_label){ POLICY_NS_NAME_LABEL, ns[i].name };
		l[1] = (struct sluice_label){ "team", teams[i % 10] };
		l[2] = (struct sluice_label){ "env", i % 3 ? "prod" : "dev" };
		ns[i].labels = l;
		ns[i].nlabels = 3;
	}
	for (size_t i = 0; i < NNODES; i++) {
		struct sluice_addr *a = NEW(struct sluice_addr, 1);
		struct sluice_label *l = NEW(struct sluice_label, 1);

		*a = v4(0xc0a80000u + (uint32_t)i + 1);	/* 192.168.0.x */
		l[0] = (struct sluice_label){ "zone", i % 2 ? "a" : "b" };
		nodes[i] = (struct policy_node){ name("node", i), l, 1, a,
		    1 };
	}
	for (size_t i = 0; i < NPODS; i++) {
		struct sluice_addr *a = NEW(struct sluice_addr, 2);
		struct sluice_label *l = NEW(struct sluice_label, 2);

		a[0] = v4(0x0af40000u + (uint32_t)i + 1);	/* 10.244/16 */
		memset(&a[1], 0, sizeof(a[1]));
		a[1].family = AF_INET6;
		a[1].u.b[0] = 0xfd;
		a[1].u.b[14] = (uint8_t)(i >> 8);
		a[1].u.b[15] = (uint8_t)i;
		l[0] = (struct sluice_label){ "app", apps[rnd(10)] };
		l[1] = (struct sluice_label){ "tier", tiers[rnd(3)] };
		pods[i] = (struct policy_pod){
			.namespace = ns[i / PODS_PER_NS].name,
			.name = name("pod", i),
			.node = nodes[rnd(NNODES)].name,
			.labels = l, .nlabels = 2,
			.ips = a, .nips = i % 2 ? 2 : 1,
			.ports = cp, .nports = 2,
		};
	}
	w->namespaces = ns;
	w->nnamespaces = NNS;
	w->pods = pods;
	w->npods = NPODS;
	w->nodes = nodes;
	w->nnodes = NNODES;
}

static void
gen_np(struct policy_np *np, size_t k, bool sets)
{
	struct policy_np_rule *in = NEW(struct policy_np_rule, 1);
	struct policy_np_peer *from = NEW(struct policy_np_peer, 2);
	struct policy_np_port *port = NEW(struct policy_np_port, 1);

	np->name = name("np", k);
	np->namespace = name("ns", rnd(NNS));
	np->pod_selector = sel1("app", apps[rnd(10)]);
	from[0].pod_selector = sel1("tier", tiers[rnd(3)]);
	from[1].namespace_selector = sel1("team", teams[rnd(10)]);
	from[1].pod_selector = rnd(2) ? sel1("app", apps[rnd(10)]) : NULL;
	port->protocol = IPPROTO_TCP;
	port->has_port = true;
	if (rnd(2))
		port->name = "http";
	else
		port->port = 80;
	in->ports = port;
	in->nports = 1;
	in->peers = from;
	in->npeers = 2;
	np->ingress = in;
	np->ningress = 1;
	if (rnd(3) == 0) {
		struct policy_np_rule *eg = NEW(struct policy_np_rule, 1);
		struct policy_np_peer *to = NEW(struct policy_np_peer, 2);
		struct policy_ip_block *b = NEW(struct policy_ip_block, 1);
		struct sluice_prefix *ex = NEW(struct sluice_prefix, 1);
		enum policy_dir *types = NEW(enum policy_dir, 2);

		b->cidr = pfx4(0x0a000000u, 8);
		*ex = pfx4(0x0a000000u | (uint32_t)rnd(256) << 16, 16);
		b->except = ex;
		b->nexcept = 1;
		to[0].ip_block = b;
		to[1].namespace_selector = sel1("env", "prod");
		if (sets)
			to[1] = (struct policy_np_peer){
				.global_network_set_selector =
				    sel1("kind", rnd(2) ? "blocklist" :
				    "partners"),
			};
		eg->peers = to;
		eg->npeers = 2;
		np->egress = eg;
		np->negress = 1;
		types[0] = POLICY_INGRESS;
		types[1] = POLICY_EGRESS;
		np->policy_types = types;
		np->npolicy_types = 2;
	}
}

static void
gen_anp(struct policy_anp *anp, size_t k, bool sets)
{
	struct policy_anp_rule *in = NEW(struct policy_anp_rule, 2);
	struct policy_anp_rule *eg = NEW(struct policy_anp_rule, 2);
	struct policy_anp_peer *p = NEW(struct policy_anp_peer, 4);
	struct policy_anp_pods *pods = NEW(struct policy_anp_pods, 2);
	struct policy_anp_port *port = NEW(struct policy_anp_port, 1);
	struct policy_anp_port_number *num =
	    NEW(struct policy_anp_port_number, 1);
	struct sluice_prefix *nets = NEW(struct sluice_prefix, 2);

	anp->name = name("anp", k);
	anp->priority = (int32_t)rnd(1000);
	if (rnd(2)) {
		anp->subject.namespaces = sel1("team", teams[rnd(10)]);
	} else {
		pods[0].namespace_selector = sel1("env", "prod");
		pods[0].pod_selector = sel1("app", apps[rnd(10)]);
		anp->subject.pods = &pods[0];
	}
	num->protocol = IPPROTO_TCP;
	num->port = rnd(2) ? 22 : 443;
	port->port_number = num;
	p[0].namespaces = sel1("team", teams[rnd(10)]);
	pods[1].namespace_selector = sel1("env", "dev");
	pods[1].pod_selector = sel1("tier", tiers[rnd(3)]);
	p[1].pods = &pods[1];
	nets[0] = pfx4(0xcb007100u + (uint32_t)rnd(256), 32);
	nets[1] = pfx4(0x0a000000u | (uint32_t)rnd(65536) << 8, 24);
	p[2].networks = nets;
	p[2].nnetworks = 2;
	if (sets)
		p[3].network_sets = sel1("kind", "blocklist");
	else
		p[3].nodes = sel1("zone", "a");
	in[0] = (struct policy_anp_rule){ .name = "deny-ssh",
	    .action = POLICY_ACTION_DENY, .peers = &p[0], .npeers = 1,
	    .ports = port, .nports = 1 };
	in[1] = (struct policy_anp_rule){ .action = rnd(2) ?
	    POLICY_ACTION_ALLOW : POLICY_ACTION_PASS, .peers = &p[1],
	    .npeers = 1 };
	eg[0] = (struct policy_anp_rule){ .action = POLICY_ACTION_DENY,
	    .peers = &p[2], .npeers = 2 };
	eg[1] = (struct policy_anp_rule){ .action = POLICY_ACTION_PASS,
	    .peers = &p[0], .npeers = 1 };
	anp->ingress = in;
	anp->ningress = 2;
	anp->egress = eg;
	anp->negress = 2;
}

static void
gen_sets(struct policy_world *w)
{
	struct policy_netset *s = NEW(struct policy_netset, NSETS);

	for (size_t i = 0; i < NSETS; i++) {
		struct sluice_prefix *nets = NEW(struct sluice_prefix,
		    NETS_PER_SET);
		struct sluice_label *l = NEW(struct sluice_label, 1);

		l[0] = (struct sluice_label){ "kind", i % 5 ? "blocklist" :
		    "partners" };
		for (size_t j = 0; j < NETS_PER_SET; j++) {
			/* Anywhere but 10/8, /16 to /32. */
			uint32_t a = (uint32_t)rnd(1ull << 32);

			if ((a >> 24) == 10)
				a ^= 0x80000000u;
			nets[j] = pfx4(a, (uint8_t)(16 + rnd(17)));
		}
		s[i] = (struct policy_netset){ .name = name("set", i),
		    .labels = l, .nlabels = 1, .nets = nets,
		    .nnets = NETS_PER_SET };
	}
	w->global_netsets = s;
	w->nglobal_netsets = NSETS;
}

static void
gen_world(struct policy_world *w, size_t npolicies, bool sets)
{
	size_t nanps = npolicies / 10, nnps = npolicies - nanps;
	struct policy_np *nps = NEW(struct policy_np, nnps);
	struct policy_anp *anps = NEW(struct policy_anp, nanps);

	memset(w, 0, sizeof(*w));
	topology(w);
	if (sets)
		gen_sets(w);
	for (size_t i = 0; i < nnps; i++)
		gen_np(&nps[i], i, sets);
	for (size_t i = 0; i < nanps; i++)
		gen_anp(&anps[i], i, sets);
	w->nps = nps;
	w->nnps = nnps;
	w->anps = anps;
	w->nanps = nanps;
}

static void
gen_conns(const struct policy_world *w, struct policy_conn *c, size_t n)
{
	static const uint16_t ports[] = { 22, 53, 80, 443, 9090 };

	for (size_t i = 0; i < n; i++) {
		const struct policy_pod *a = &w->pods[rnd(w->npods)];
		const struct policy_pod *b = &w->pods[rnd(w->npods)];
		uint64_t k = rnd(10);

		memset(&c[i], 0, sizeof(c[i]));
		c[i].src = a->ips[0];
		c[i].dst = b->ips[0];
		if (k >= 7) {
			struct sluice_addr x = v4((uint32_t)rnd(1ull << 32));

			if (k < 9)
				c[i].dst = x;
			else
				c[i].src = x;
		}
		c[i].proto = rnd(5) ? IPPROTO_TCP : IPPROTO_UDP;
		c[i].dport = ports[rnd(5)];
	}
}

/* ---- measuring -------------------------------------------------------- */

/* Verdicts/s of policy_check (eval false) or policy_eval (eval true). */
static double
rate(const struct policy_world *w, const struct policy_compiled *pc,
    const struct policy_conn *c, bool eval)
{
	double t0 = now(), t, budget = 0.3 * scale;
	size_t n = 0, denied = 0;
	struct policy_result r;

	do {
		for (size_t i = 0; i < 256; i++, n++) {
			const struct policy_conn *x = &c[n % NCONNS];

			if (eval)
				policy_eval(w, x, &r, NULL, 0);
			else
				policy_check(pc, x, POLICY_EGRESS |
				    POLICY_INGRESS, &r, NULL, 0);
			denied += r.verdict == POLICY_DENY;
		}
		t = now() - t0;
	} while (t < budget);
	if (denied == 0)
		fprintf(stderr, "  (no connection denied)\n");
	return (double)n / t;
}

static void
run(const char *label, size_t npolicies, bool sets, bool with_eval)
{
	struct policy_world w;
	struct policy_compiled *pc;
	struct policy_conn *conns = malloc(NCONNS * sizeof(*conns));
	size_t before, after, cidrs = 0;
	double t0, ms, check, ev = 0;
	char err[256];

	if (conns == NULL)
		exit(1);
	gen_world(&w, npolicies, sets);
	for (size_t i = 0; i < w.nglobal_netsets; i++)
		cidrs += w.global_netsets[i].nnets;
	gen_conns(&w, conns, NCONNS);
	before = allocated();
	t0 = now();
	if (policy_compile(&w, &pc, err, sizeof(err)) != 0) {
		fprintf(stderr, "policy_compile: %s\n", err);
		exit(1);
	}
	ms = (now() - t0) * 1e3;
	after = allocated();
	check = rate(&w, pc, conns, false);
	if (with_eval)
		ev = rate(&w, pc, conns, true);
	printf("%-18s %8zu %6zu %7zu %10.1f %11.2f %11.2f %12.0f ", label,
	    npolicies, w.npods, cidrs, ms, (double)(after - before) / 1e6,
	    (double)policy_compiled_size(pc) / 1e6, check);
	if (with_eval)
		printf("%10.0f\n", ev);
	else
		printf("%10s\n", "-");
	fflush(stdout);
	policy_compiled_free(pc);
	free(conns);
	arena_free();
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		scale = atof(argv[1]);
	if (scale <= 0)
		scale = 1;
	printf("%-18s %8s %6s %7s %10s %11s %11s %12s %10s\n", "world",
	    "policies", "pods", "CIDRs", "compile ms", "malloc MB",
	    "compiled MB", "check/s", "eval/s");
	run("10 policies", 10, false, true);
	run("1,000 policies", 1000, false, true);
	run("10,000 policies", 10000, false, false);
	run("100,000 CIDRs", 1000, true, false);
	free(arena);
	return 0;
}
