/*
 * eval.c - the reference evaluator, SEMANTICS.md §2 transcribed: each
 * function below carries the name of the pseudo-code function it is, and
 * follows it line by line. Where the pseudo-code is silent about a record
 * that validation would have refused, the choice is the closed one and is
 * said where it is made.
 */
#include "policy/eval.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- classification (§2.1) ----------------------------------------- */

enum ep_kind {
	EP_POD,
	EP_NODE,
	EP_EXTERNAL,
};

/* One end of the connection; all pointers borrowed from world and conn. */
struct endpoint {
	enum ep_kind kind;
	const struct policy_pod *pod;	/* EP_POD */
	const struct policy_node *node;	/* EP_NODE */
	const struct sluice_addr *addr;
};

static void
classify(const struct policy_world *w, const struct sluice_addr *a,
    struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->kind = EP_EXTERNAL;
	ep->addr = a;
	for (size_t i = 0; i < w->npods; i++) {
		for (size_t j = 0; j < w->pods[i].nips; j++) {
			if (sluice_addr_eq(&w->pods[i].ips[j], a)) {
				ep->kind = EP_POD;
				ep->pod = &w->pods[i];
				return;
			}
		}
	}
	for (size_t i = 0; i < w->nnodes; i++) {
		for (size_t j = 0; j < w->nodes[i].naddrs; j++) {
			if (sluice_addr_eq(&w->nodes[i].addrs[j], a)) {
				ep->kind = EP_NODE;
				ep->node = &w->nodes[i];
				return;
			}
		}
	}
}

/* ---- small predicates ----------------------------------------------- */

static bool
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* An absent (nil) selector matches nothing (§1.1). */
static bool
sel_matches(const struct sluice_selector *sel, const struct sluice_label *l,
    size_t n)
{
	return sel != NULL && sluice_selector_matches(sel, l, n);
}

static bool
ns_matches(const struct policy_world *w, const struct sluice_selector *sel,
    const char *ns)
{
	for (size_t i = 0; i < w->nnamespaces; i++) {
		const struct policy_namespace *n = &w->namespaces[i];

		if (streq(n->name, ns))
			return sel_matches(sel, n->labels, n->nlabels);
	}
	/* An unknown namespace has no labels; validation prevents it. */
	return sel_matches(sel, NULL, 0);
}

static bool
pods_match(const struct policy_world *w, const struct policy_anp_pods *p,
    const struct policy_pod *pod)
{
	return ns_matches(w, p->namespace_selector, pod->namespace) &&
	    sel_matches(p->pod_selector, pod->labels, pod->nlabels);
}

/* subject_matches (§2.3); a subject with no field matches nothing. */
static bool
subject_matches(const struct policy_world *w,
    const struct policy_anp_subject *s, const struct policy_pod *pod)
{
	if (s->namespaces != NULL)
		return ns_matches(w, s->namespaces, pod->namespace);
	if (s->pods != NULL)
		return pods_match(w, s->pods, pod);
	return false;
}

static bool
in_prefixes(const struct sluice_addr *a, const struct sluice_prefix *p,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (sluice_prefix_contains(&p[i], a))
			return true;
	}
	return false;
}

/* ipBlock: in cidr and in no except; a v4 address never matches v6. */
static bool
ip_block_matches(const struct policy_ip_block *b, const struct sluice_addr *a)
{
	return sluice_prefix_contains(&b->cidr, a) &&
	    !in_prefixes(a, b->except, b->nexcept);
}

/*
 * [EXT] Is a in a set of sets[0..n) selected by sel? namespace: only
 * sets of that namespace (NULL: any, for GlobalNetworkSets). A selector
 * that selects no set matches nothing (§3 E43).
 */
static bool
netsets_match(const struct policy_netset *sets, size_t n,
    const struct sluice_selector *sel, const char *namespace,
    const struct sluice_addr *a)
{
	for (size_t i = 0; i < n; i++) {
		const struct policy_netset *s = &sets[i];

		if (namespace != NULL && !streq(s->namespace, namespace))
			continue;
		if (!sel_matches(sel, s->labels, s->nlabels))
			continue;
		if (in_prefixes(a, s->nets, s->nnets))
			return true;
	}
	return false;
}

/* ANP `nodes`: a is an address of a node whose labels match. */
static bool
nodes_match(const struct policy_world *w, const struct sluice_selector *sel,
    const struct sluice_addr *a)
{
	for (size_t i = 0; i < w->nnodes; i++) {
		const struct policy_node *n = &w->nodes[i];

		if (!sel_matches(sel, n->labels, n->nlabels))
			continue;
		for (size_t j = 0; j < n->naddrs; j++) {
			if (sluice_addr_eq(&n->addrs[j], a))
				return true;
		}
	}
	return false;
}

/*
 * domainNames (§1.6): P holds a live binding of a listed name to a, by
 * the world's callback, which writes the name into domain
 * (POLICY_DOMAIN_NAME_MAX bytes). No callback, or no name: nothing.
 */
static bool
domains_match(const struct policy_world *w, const struct policy_pod *P,
    const struct sluice_addr *a, const char *const *names, size_t n,
    char *domain)
{
	if (w->dns_match == NULL || names == NULL || n == 0)
		return false;
	if (!w->dns_match(w->dns_arg, P, a, names, n, domain,
	    POLICY_DOMAIN_NAME_MAX)) {
		domain[0] = '\0';
		return false;
	}
	domain[POLICY_DOMAIN_NAME_MAX - 1] = '\0';
	return true;
}

/* ---- ports (§2.5) --------------------------------------------------- */

static int
proto_or_tcp(int p)
{
	return p != 0 ? p : IPPROTO_TCP;
}

static bool
l4(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_SCTP;
}

/*
 * A named port on the destination pod: a container port with that name,
 * the connection's protocol and the destination port. Per pod: one name
 * may be 80 on one pod and 8080 on another.
 */
static bool
named_port_matches(const struct policy_pod *portpod, const char *name,
    const struct policy_conn *c)
{
	if (portpod == NULL)
		return false;		/* toward a non-pod: nothing (E22) */
	for (size_t i = 0; i < portpod->nports; i++) {
		const struct policy_container_port *cp = &portpod->ports[i];

		if (streq(cp->name, name) && cp->port == c->dport &&
		    proto_or_tcp(cp->protocol) == c->proto)
			return true;
	}
	return false;
}

/* np_ports_match */
static bool
np_ports_match(const struct policy_np_port *ports, size_t n,
    const struct policy_pod *portpod, const struct policy_conn *c)
{
	if (n == 0)
		return true;		/* all ports, all protocols */
	if (!l4(c->proto))
		return false;		/* [REC] §2.8: ICMP needs no ports */
	for (size_t i = 0; i < n; i++) {
		const struct policy_np_port *p = &ports[i];

		if (c->proto != proto_or_tcp(p->protocol))
			continue;
		if (!p->has_port)
			return true;
		if (p->name != NULL) {
			if (named_port_matches(portpod, p->name, c))
				return true;
		} else if (p->has_end_port) {
			if (p->port <= c->dport && c->dport <= p->end_port)
				return true;
		} else if (c->dport == p->port) {
			return true;
		}
	}
	return false;
}

/* anp_ports_match; ports NULL is the absent list: every port, protocol. */
static bool
anp_ports_match(const struct policy_anp_port *ports, size_t n,
    const struct policy_pod *portpod, const struct policy_conn *c)
{
	if (ports == NULL)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct policy_anp_port *p = &ports[i];

		if (p->port_number != NULL) {
			const struct policy_anp_port_number *q = p->port_number;

			if (c->proto == proto_or_tcp(q->protocol) &&
			    c->dport == q->port)
				return true;
		} else if (p->port_range != NULL) {
			const struct policy_anp_port_range *q = p->port_range;

			if (c->proto == proto_or_tcp(q->protocol) &&
			    q->start <= c->dport && c->dport <= q->end)
				return true;
		} else if (p->named_port != NULL) {
			if (named_port_matches(portpod, p->named_port, c))
				return true;
		}
	}
	return false;
}

/* ---- NetworkPolicy rules (§2.4) ------------------------------------- */

/* np_peer_matches; ns is the policy's namespace. */
static bool
np_peer_matches(const struct policy_world *w, const struct policy_np_peer *x,
    const char *ns, const struct endpoint *peer)
{
	const struct policy_pod *q;

	if (x->ip_block != NULL)
		return ip_block_matches(x->ip_block, peer->addr);
	if (x->network_set_selector != NULL)
		return netsets_match(w->netsets, w->nnetsets,
		    x->network_set_selector, ns, peer->addr);
	if (x->global_network_set_selector != NULL)
		return netsets_match(w->global_netsets, w->nglobal_netsets,
		    x->global_network_set_selector, NULL, peer->addr);
	if (x->domain_names != NULL)
		return false;		/* [EXT] np_rule_matches' second pass */
	/*
	 * Not in the pseudo-code: a peer with no field (refused by
	 * validation) matches nothing. NetworkPolicy rules only allow, so
	 * matching nothing is the closed choice.
	 */
	if (x->pod_selector == NULL && x->namespace_selector == NULL)
		return false;
	if (peer->kind != EP_POD)
		return false;		/* never nodes, never outside */
	q = peer->pod;
	if (x->namespace_selector != NULL) {
		if (!ns_matches(w, x->namespace_selector, q->namespace))
			return false;
	} else if (!streq(q->namespace, ns)) {
		return false;		/* podSelector alone: own namespace */
	}
	if (x->pod_selector != NULL &&
	    !sluice_selector_matches(x->pod_selector, q->labels, q->nlabels))
		return false;
	return true;
}

/*
 * np_rule_matches. [EXT] domainNames peers (egress only; in ingress they
 * match nothing, NetworkPolicy's closed choice) are tried after every
 * other peer, so that DNS is only asked, and a name only recorded, when
 * nothing else allows the address.
 */
static bool
np_rule_matches(const struct policy_world *w, const struct policy_np_rule *rule,
    const char *ns, enum policy_dir dir, const struct policy_pod *P,
    const struct endpoint *peer, const struct policy_conn *c, char *domain)
{
	const struct policy_pod *portpod;

	portpod = dir == POLICY_INGRESS ? P :
	    peer->kind == EP_POD ? peer->pod : NULL;
	if (!np_ports_match(rule->ports, rule->nports, portpod, c))
		return false;
	if (rule->npeers == 0)
		return true;		/* empty or missing: everyone */
	for (size_t i = 0; i < rule->npeers; i++) {
		if (np_peer_matches(w, &rule->peers[i], ns, peer))
			return true;
	}
	for (size_t i = 0; dir == POLICY_EGRESS && i < rule->npeers; i++) {
		const struct policy_np_peer *x = &rule->peers[i];

		/* The fields np_peer_matches() tries first win. */
		if (x->ip_block != NULL || x->network_set_selector != NULL ||
		    x->global_network_set_selector != NULL)
			continue;
		if (domains_match(w, P, peer->addr, x->domain_names,
		    x->ndomain_names, domain))
			return true;
	}
	return false;
}

/* Does np make P isolated for dir (§1.2 "Isolation")? */
static bool
np_isolates(const struct policy_np *np, enum policy_dir dir,
    const struct policy_pod *P)
{
	if (!streq(np->namespace, P->namespace))
		return false;
	if (np->pod_selector != NULL &&
	    !sluice_selector_matches(np->pod_selector, P->labels, P->nlabels))
		return false;
	return (policy_np_types(np) & (unsigned int)dir) != 0;
}

/* ---- ANP/BANP rules (§2.6) ------------------------------------------ */

/*
 * Does x have no field this rule can use? domainNames counts only in
 * Allow rules: outside them it is refused (§1.6), and a stored record
 * that has it anyway fails closed like a peer with no field.
 */
static bool
anp_peer_empty(const struct policy_anp_peer *x, enum policy_action action)
{
	return x->namespaces == NULL && x->pods == NULL &&
	    x->networks == NULL && x->nodes == NULL &&
	    x->network_sets == NULL &&
	    (x->domain_names == NULL || action != POLICY_ACTION_ALLOW);
}

/*
 * rule_matches. domainNames peers (egress Allow rules only) are tried
 * after every other peer, as in np_rule_matches(); a peer with no field
 * ends the peers that count for an Allow rule.
 */
static bool
rule_matches(const struct policy_world *w, const struct policy_anp_rule *rule,
    enum policy_dir dir, const struct policy_pod *P,
    const struct endpoint *peer, const struct policy_conn *c, char *domain)
{
	const struct policy_pod *portpod;
	size_t end = rule->npeers;

	portpod = dir == POLICY_INGRESS ? P :
	    peer->kind == EP_POD ? peer->pod : NULL;
	if (!anp_ports_match(rule->ports, rule->nports, portpod, c))
		return false;
	for (size_t i = 0; i < rule->npeers; i++) {
		const struct policy_anp_peer *x = &rule->peers[i];
		const struct policy_pod *q = peer->kind == EP_POD ? peer->pod :
		    NULL;

		if (anp_peer_empty(x, rule->action)) {
			if (rule->action != POLICY_ACTION_ALLOW)
				return true;
			end = i;
			break;
		}
		if (x->namespaces != NULL && q != NULL &&
		    ns_matches(w, x->namespaces, q->namespace))
			return true;
		if (x->pods != NULL && q != NULL && pods_match(w, x->pods, q))
			return true;
		/* The peer's address: pkt.dst for the egress-only peers. */
		if (x->networks != NULL &&
		    in_prefixes(peer->addr, x->networks, x->nnetworks))
			return true;
		if (x->nodes != NULL && nodes_match(w, x->nodes, peer->addr))
			return true;
		if (x->network_sets != NULL &&
		    netsets_match(w->global_netsets, w->nglobal_netsets,
		    x->network_sets, NULL, peer->addr))
			return true;
	}
	if (dir != POLICY_EGRESS || rule->action != POLICY_ACTION_ALLOW)
		return false;
	for (size_t i = 0; i < end; i++) {
		const struct policy_anp_peer *x = &rule->peers[i];

		if (domains_match(w, P, peer->addr, x->domain_names,
		    x->ndomain_names, domain))
			return true;
	}
	return false;
}

/* (priority, name) as §2.3 and E37 say, then the array index. */
static int
anp_cmp(const struct policy_world *w, const struct policy_anp *a,
    const struct policy_anp *b)
{
	int r;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	r = strcmp(a->name != NULL ? a->name : "",
	    b->name != NULL ? b->name : "");
	if (r != 0)
		return r;
	return (a - w->anps) < (b - w->anps) ? -1 :
	    (a - w->anps) > (b - w->anps) ? 1 : 0;
}

/* The ANP after prev (NULL: the first) in precedence order, or NULL. */
static const struct policy_anp *
next_anp(const struct policy_world *w, const struct policy_anp *prev)
{
	const struct policy_anp *best = NULL;

	for (size_t i = 0; i < w->nanps; i++) {
		const struct policy_anp *a = &w->anps[i];

		if (prev != NULL && anp_cmp(w, a, prev) <= 0)
			continue;
		if (best == NULL || anp_cmp(w, a, best) < 0)
			best = a;
	}
	return best;
}

/* ---- one direction (§2.3) ------------------------------------------- */

static void
decide(struct policy_decision *d, enum policy_verdict v,
    enum policy_reason reason)
{
	d->verdict = v;
	d->reason = reason;
}

/* direction: P is the subject pod, peer the other end. */
static void
direction(const struct policy_world *w, enum policy_dir dir,
    const struct policy_pod *P, const struct endpoint *peer,
    const struct policy_conn *c, struct policy_decision *d)
{
	const struct policy_anp *anp = NULL;

	memset(d, 0, sizeof(*d));
	d->pod = P;

	/* Tier 1: AdminNetworkPolicy, by (priority, name). */
	while ((anp = next_anp(w, anp)) != NULL) {
		const struct policy_anp_rule *rules;
		size_t n;

		if (!subject_matches(w, &anp->subject, P))
			continue;
		rules = dir == POLICY_INGRESS ? anp->ingress : anp->egress;
		n = dir == POLICY_INGRESS ? anp->ningress : anp->negress;
		for (size_t i = 0; i < n; i++) {
			if (!rule_matches(w, &rules[i], dir, P, peer, c,
			    d->domain))
				continue;
			if (rules[i].action == POLICY_ACTION_PASS) {
				d->passed_by = anp;
				d->pass_rule = i;
				goto tier2;
			}
			/* An unknown action (unvalidated record) denies. */
			d->anp = anp;
			d->rule = i;
			decide(d, rules[i].action == POLICY_ACTION_ALLOW ?
			    POLICY_ALLOW : POLICY_DENY, POLICY_REASON_ANP);
			return;
		}
		/* No rule matched: the next ANP (not the same as Pass). */
	}

tier2:
	/* Tier 2: NetworkPolicy, of P's namespace only. */
	for (size_t i = 0; i < w->nnps; i++) {
		if (!np_isolates(&w->nps[i], dir, P))
			continue;
		if (d->nisolating++ == 0)
			d->np = &w->nps[i];
	}
	if (d->nisolating > 0) {
		if (peer->kind == EP_POD && peer->pod == P) {
			decide(d, POLICY_ALLOW, POLICY_REASON_NP_SELF);
			return;
		}
		if (peer->kind == EP_NODE && streq(peer->node->name, P->node) &&
		    (dir == POLICY_INGRESS || !w->deny_egress_to_local_node)) {
			decide(d, POLICY_ALLOW, POLICY_REASON_NP_LOCAL_NODE);
			return;
		}
		for (size_t i = 0; i < w->nnps; i++) {
			const struct policy_np *np = &w->nps[i];
			const struct policy_np_rule *rules;
			size_t n;

			if (!np_isolates(np, dir, P))
				continue;
			rules = dir == POLICY_INGRESS ? np->ingress :
			    np->egress;
			n = dir == POLICY_INGRESS ? np->ningress : np->negress;
			for (size_t j = 0; j < n; j++) {
				if (!np_rule_matches(w, &rules[j],
				    np->namespace, dir, P, peer, c, d->domain))
					continue;
				d->np = np;
				d->rule = j;
				decide(d, POLICY_ALLOW, POLICY_REASON_NP_RULE);
				return;
			}
		}
		/* Isolated: final, the BANP is not consulted. */
		decide(d, POLICY_DENY, POLICY_REASON_NP_ISOLATED);
		return;
	}

	/* Tier 3: the BaselineAdminNetworkPolicy. */
	for (size_t b = 0; b < w->nbanps; b++) {
		const struct policy_banp *banp = &w->banps[b];
		const struct policy_anp_rule *rules;
		size_t n;

		if (!subject_matches(w, &banp->subject, P))
			continue;
		rules = dir == POLICY_INGRESS ? banp->ingress : banp->egress;
		n = dir == POLICY_INGRESS ? banp->ningress : banp->negress;
		for (size_t i = 0; i < n; i++) {
			if (!rule_matches(w, &rules[i], dir, P, peer, c,
			    d->domain))
				continue;
			d->banp = banp;
			d->rule = i;
			decide(d, rules[i].action == POLICY_ACTION_ALLOW ?
			    POLICY_ALLOW : POLICY_DENY, POLICY_REASON_BANP);
			return;
		}
	}
	decide(d, POLICY_ALLOW, POLICY_REASON_DEFAULT);
}

/* ---- top level (§2.2) ----------------------------------------------- */

int
policy_eval(const struct policy_world *w, const struct policy_conn *c,
    struct policy_result *out, char *err, size_t errlen)
{
	struct endpoint s, d;

	memset(out, 0, sizeof(*out));
	if (sluice_addr_len(c->src.family) == 0 ||
	    c->src.family != c->dst.family) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "connection: source (family %d) "
			    "and destination (family %d) are not both IPv4 "
			    "or both IPv6", c->src.family, c->dst.family);
		return -EINVAL;
	}
	classify(w, &c->src, &s);
	classify(w, &c->dst, &d);
	if (s.kind == EP_POD)
		direction(w, POLICY_EGRESS, s.pod, &d, c, &out->egress);
	else
		decide(&out->egress, POLICY_ALLOW, POLICY_REASON_NOT_POD);
	if (d.kind == EP_POD)
		direction(w, POLICY_INGRESS, d.pod, &s, c, &out->ingress);
	else
		decide(&out->ingress, POLICY_ALLOW, POLICY_REASON_NOT_POD);
	out->verdict = out->egress.verdict == POLICY_ALLOW &&
	    out->ingress.verdict == POLICY_ALLOW ? POLICY_ALLOW : POLICY_DENY;
	return 0;
}

/* ---- explaining ----------------------------------------------------- */

static void cat(char *buf, size_t size, size_t *off, const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

/* Appends, never past size; *off may grow past it (then nothing more). */
static void
cat(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

static const char *
action_name(enum policy_action a)
{
	switch (a) {
	case POLICY_ACTION_ALLOW:
		return "Allow";
	case POLICY_ACTION_DENY:
		return "Deny";
	case POLICY_ACTION_PASS:
		return "Pass";
	}
	return "(unknown action)";
}

static void
cat_rule(char *buf, size_t size, size_t *off, const char *kind,
    const char *name, const struct policy_anp_rule *rules,
    enum policy_dir dir, size_t i)
{
	cat(buf, size, off, "%s %s %s[%zu] %s", kind, name != NULL ? name :
	    "(unnamed)", dir == POLICY_INGRESS ? "ingress" : "egress", i,
	    action_name(rules[i].action));
	if (rules[i].name != NULL)
		cat(buf, size, off, " (rule \"%s\")", rules[i].name);
}

const char *
policy_decision_str(const struct policy_decision *d, enum policy_dir dir,
    char *buf, size_t size)
{
	const char *ing = dir == POLICY_INGRESS ? "ingress" : "egress";
	size_t off = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (d->passed_by != NULL) {
		cat_rule(buf, size, &off, "passed by AdminNetworkPolicy",
		    d->passed_by->name, dir == POLICY_INGRESS ?
		    d->passed_by->ingress : d->passed_by->egress, dir,
		    d->pass_rule);
		cat(buf, size, &off, ", then ");
	}
	switch (d->reason) {
	case POLICY_REASON_NOT_POD:
		cat(buf, size, &off, "not a pod, no %s policy", ing);
		break;
	case POLICY_REASON_ANP:
		cat_rule(buf, size, &off, "AdminNetworkPolicy", d->anp->name,
		    dir == POLICY_INGRESS ? d->anp->ingress : d->anp->egress,
		    dir, d->rule);
		break;
	case POLICY_REASON_NP_RULE:
		cat(buf, size, &off, "allowed by NetworkPolicy %s/%s %s[%zu]",
		    d->np->namespace, d->np->name, ing, d->rule);
		break;
	case POLICY_REASON_NP_SELF:
	case POLICY_REASON_NP_LOCAL_NODE:
	case POLICY_REASON_NP_ISOLATED:
		cat(buf, size, &off, "isolated by NetworkPolicy %s/%s",
		    d->np->namespace, d->np->name);
		if (d->nisolating > 1)
			cat(buf, size, &off, " and %zu more",
			    d->nisolating - 1);
		cat(buf, size, &off, "%s",
		    d->reason == POLICY_REASON_NP_SELF ?
		    ", allowed toward itself" :
		    d->reason == POLICY_REASON_NP_LOCAL_NODE ?
		    ", allowed: the peer is its own node" :
		    ", no rule allows it");
		break;
	case POLICY_REASON_BANP:
		cat_rule(buf, size, &off, "BaselineAdminNetworkPolicy",
		    d->banp->name, dir == POLICY_INGRESS ? d->banp->ingress :
		    d->banp->egress, dir, d->rule);
		break;
	case POLICY_REASON_DEFAULT:
		cat(buf, size, &off, "no policy decided (default allow)");
		break;
	}
	if (d->domain[0] != '\0')
		cat(buf, size, &off, " via %.*s", POLICY_DOMAIN_NAME_MAX - 1,
		    d->domain);
	return buf;
}

const char *
policy_result_str(const struct policy_result *r, char *buf, size_t size)
{
	char e[1024], i[1024];
	size_t off = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	cat(buf, size, &off, "%s: ", r->verdict == POLICY_ALLOW ? "allow" :
	    "deny");
	if (r->egress.pod != NULL)
		cat(buf, size, &off, "egress of %s/%s: %s",
		    r->egress.pod->namespace, r->egress.pod->name,
		    policy_decision_str(&r->egress, POLICY_EGRESS, e,
		    sizeof(e)));
	else
		cat(buf, size, &off, "source is not a pod");
	if (r->ingress.pod != NULL)
		cat(buf, size, &off, "; ingress of %s/%s: %s",
		    r->ingress.pod->namespace, r->ingress.pod->name,
		    policy_decision_str(&r->ingress, POLICY_INGRESS, i,
		    sizeof(i)));
	else
		cat(buf, size, &off, "; destination is not a pod");
	return buf;
}
