/*
 * model.h - the network policy objects as sluice holds them: NetworkPolicy
 * (networking.k8s.io/v1), AdminNetworkPolicy and BaselineAdminNetworkPolicy
 * (policy.networking.k8s.io/v1alpha1, as of v0.1.7), and the sluice
 * extensions NetworkSet and GlobalNetworkSet, plus the world they are
 * evaluated against (namespaces, pods, nodes). policy/SEMANTICS.md is the
 * reference for every field; section numbers below point into it.
 *
 * Ownership: every struct here is a plain value built by the caller (the
 * manifest loader, a test). All pointers are borrowed: nothing in
 * policy/ allocates, copies or frees them, and they must stay valid as
 * long as the objects are used.
 *
 * Absent versus empty: where SEMANTICS.md gives a field's absence its own
 * meaning, the field is a pointer and NULL means absent:
 *   - a label selector (const struct sluice_selector *): NULL is absent
 *     (nil), a pointer to a selector with nothing in it is {} (matches
 *     everything, §1.1);
 *   - ANP/BANP lists whose absence differs from [] (rule from/to, ports,
 *     networks): NULL is absent, a non-NULL pointer with a count of 0 is
 *     the (invalid) empty list.
 * NetworkPolicy lists (ingress, egress, ports, from/to, except) treat
 * absent, null and [] alike (§3 E6, E11, E15), so only their count
 * matters.
 *
 * Protocols are IP protocol numbers (IPPROTO_TCP, _UDP, _SCTP); 0 is an
 * absent protocol field, which means TCP (NP-def, ANP-crd).
 *
 * Addresses and prefixes are common/addr.h values. Prefixes must have
 * their host bits cleared: upstream accepts 10.0.0.1/8 and means
 * 10.0.0.0/8, so the loader masks (and warns) before building the model;
 * validation refuses host bits as a loader bug.
 *
 * The validators enforce SEMANTICS.md §1 (and the validation cases of §4).
 * Each returns 0 or -EINVAL with one sentence in err (errlen bytes; err
 * may be NULL when errlen is 0) naming the object and the field path at
 * fault, e.g. "NetworkPolicy x/web: spec.egress[0].ports[1]: endPort 80
 * is below port 443". Only the first problem of one object is reported;
 * policy_world_validate() reports every object's.
 */
#ifndef SLUICE_POLICY_MODEL_H
#define SLUICE_POLICY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/selector.h"

/*
 * Caps. Upstream has none for NetworkPolicy (only the object size); sluice
 * refuses more than POLICY_NP_MAX rules, peers, ports or excepts per list
 * (§1.2 [REC]). The ANP/BANP caps are the CRD's (§1.3).
 */
#define POLICY_NP_MAX 1024
#define POLICY_ANP_RULES_MAX 100	/* ingress, egress; from, to; ports */
#define POLICY_ANP_NETWORKS_MAX 25
#define POLICY_ANP_PRIORITY_MAX 1000
#define POLICY_RULE_NAME_MAX 100
#define POLICY_NETSET_NETS_MAX 4096
/*
 * domainNames (§1.6): at most POLICY_DOMAINS_MAX patterns per peer, the
 * CRD's MaxItems for ANP, kept for the NetworkPolicy extension too. A
 * name is at most 253 characters (254 with the trailing dot); a matched
 * name is handed back in POLICY_DOMAIN_NAME_MAX bytes with its NUL, the
 * size of dns/dns.h's DNS_NAME_MAX.
 */
#define POLICY_DOMAINS_MAX 25
#define POLICY_DOMAIN_NAME_MAX 256

/* The label every namespace carries (§1.1); the model requires it. */
#define POLICY_NS_NAME_LABEL "kubernetes.io/metadata.name"

/* Directions, also the bits of a NetworkPolicy's effective policyTypes. */
enum policy_dir {
	POLICY_INGRESS = 1,
	POLICY_EGRESS = 2,
};

/* ---- NetworkPolicy (§1.2) ------------------------------------------- */

struct policy_np_port {
	int protocol;		/* 0 (TCP), IPPROTO_TCP, _UDP or _SCTP */
	bool has_port;		/* false: every port of the protocol */
	/*
	 * With has_port: a named port if name is non-NULL (an IANA service
	 * name, resolved per destination pod, §2.5), else port. A YAML
	 * string "80" is a name (and an invalid one, §3 E20).
	 */
	int32_t port;
	const char *name;
	bool has_end_port;	/* only with a numeric port */
	int32_t end_port;	/* port..end_port inclusive */
};

struct policy_ip_block {
	struct sluice_prefix cidr;
	const struct sluice_prefix *except;	/* each a strict subset */
	size_t nexcept;
};

/*
 * A NetworkPolicyPeer. At least one field is set; ip_block and the
 * [EXT] fields (the two set selectors, domain_names) each exclude every
 * other field. pod_selector alone means pods of the policy's namespace;
 * namespace_selector (with or without pod_selector) means pods of the
 * matching namespaces (§2.4).
 */
struct policy_np_peer {
	const struct sluice_selector *pod_selector;
	const struct sluice_selector *namespace_selector;
	const struct policy_ip_block *ip_block;
	/* [EXT] NetworkSets of the policy's namespace (§1.5). */
	const struct sluice_selector *network_set_selector;
	/* [EXT] GlobalNetworkSets. */
	const struct sluice_selector *global_network_set_selector;
	/*
	 * [EXT] domainNames, egress only (§1.7): NULL is absent, otherwise
	 * 1..POLICY_DOMAINS_MAX patterns (see policy_domain_pattern_valid()).
	 */
	const char *const *domain_names;
	size_t ndomain_names;
};

/* One ingress or egress rule: ports AND (any of the peers). */
struct policy_np_rule {
	const struct policy_np_port *ports;	/* 0: all ports, protocols */
	size_t nports;
	const struct policy_np_peer *peers;	/* from or to; 0: everyone */
	size_t npeers;
};

struct policy_np {
	const char *name;
	const char *namespace;
	const struct sluice_selector *pod_selector; /* NULL means {} (§3 E1) */
	/*
	 * spec.policyTypes as written, each POLICY_INGRESS or POLICY_EGRESS
	 * (other values are invalid: the loader's "Foo"). Empty: defaulted,
	 * see policy_np_types().
	 */
	const enum policy_dir *policy_types;
	size_t npolicy_types;
	const struct policy_np_rule *ingress;
	size_t ningress;
	const struct policy_np_rule *egress;
	size_t negress;
};

/*
 * The effective policyTypes as a mask of enum policy_dir (NP-def): the
 * listed ones if any, else Ingress, plus Egress if there are egress rules.
 */
unsigned int policy_np_types(const struct policy_np *np);

int policy_np_validate(const struct policy_np *np, char *err, size_t errlen);

/* ---- AdminNetworkPolicy and BaselineAdminNetworkPolicy (§1.3, §1.4) - */

enum policy_action {
	POLICY_ACTION_ALLOW = 1,
	POLICY_ACTION_DENY,
	POLICY_ACTION_PASS,		/* ANP only */
};

/* `pods`: both selectors are required. */
struct policy_anp_pods {
	const struct sluice_selector *namespace_selector;
	const struct sluice_selector *pod_selector;
};

/* spec.subject: exactly one field. */
struct policy_anp_subject {
	const struct sluice_selector *namespaces;
	const struct policy_anp_pods *pods;
};

/*
 * A peer: exactly one field. Ingress peers may only be namespaces or
 * pods; networks, nodes, network_sets and domain_names are egress peers,
 * and domain_names only in Allow rules (§1.6).
 */
struct policy_anp_peer {
	const struct sluice_selector *namespaces;
	const struct policy_anp_pods *pods;
	const struct sluice_prefix *networks;	/* NULL: absent; 1..25 */
	size_t nnetworks;
	const struct sluice_selector *nodes;	/* experimental */
	const struct sluice_selector *network_sets; /* [EXT] global sets */
	/* experimental; NULL: absent; 1..POLICY_DOMAINS_MAX patterns */
	const char *const *domain_names;
	size_t ndomain_names;
};

struct policy_anp_port_number {
	int protocol;		/* 0 (TCP), IPPROTO_TCP, _UDP or _SCTP */
	int32_t port;
};

struct policy_anp_port_range {
	int protocol;
	int32_t start;		/* start < end ([REC]), inclusive */
	int32_t end;
};

/* An AdminNetworkPolicyPort: exactly one field. */
struct policy_anp_port {
	const struct policy_anp_port_number *port_number;
	const struct policy_anp_port_range *port_range;
	const char *named_port;	/* experimental; protocol of the pod's port */
};

struct policy_anp_rule {
	const char *name;		/* may be NULL; informational */
	enum policy_action action;
	const struct policy_anp_peer *peers;	/* from or to: required */
	size_t npeers;
	const struct policy_anp_port *ports;	/* NULL: every port, protocol */
	size_t nports;
};

struct policy_anp {
	const char *name;
	int32_t priority;		/* 0..1000, lower wins */
	struct policy_anp_subject subject;
	const struct policy_anp_rule *ingress;	/* in precedence order */
	size_t ningress;
	const struct policy_anp_rule *egress;
	size_t negress;
};

/* The singleton, named "default"; actions Allow and Deny only. */
struct policy_banp {
	const char *name;
	struct policy_anp_subject subject;
	const struct policy_anp_rule *ingress;
	size_t ningress;
	const struct policy_anp_rule *egress;
	size_t negress;
};

int policy_anp_validate(const struct policy_anp *anp, char *err,
    size_t errlen);
int policy_banp_validate(const struct policy_banp *banp, char *err,
    size_t errlen);

/* ---- NetworkSet and GlobalNetworkSet ([EXT], §1.5) ------------------ */

/* namespace is NULL for a GlobalNetworkSet, set for a NetworkSet. */
struct policy_netset {
	const char *name;
	const char *namespace;
	const struct sluice_label *labels;
	size_t nlabels;
	const struct sluice_prefix *nets;	/* 0..4096; 0 matches nothing */
	size_t nnets;
};

int policy_netset_validate(const struct policy_netset *set, char *err,
    size_t errlen);

/* ---- domainNames (§1.6) --------------------------------------------- */

/*
 * A domainNames pattern as upstream's DomainName pattern admits it, with
 * DNS's lengths: an exact name ("api.example.com") or "*." and a name
 * ("*.example.com": one or more labels below it, not itself). The name
 * has at least two labels of 1 to 63 letters, digits, '-' and '_' (any
 * case), each starting and ending with a letter or digit, at most 253
 * characters in all, and may end in one dot; '*' appears nowhere else.
 * Returns false with the reason in why (why may be NULL when whylen is
 * 0), a phrase to follow the quoted pattern, e.g. "has an empty label".
 * Normalising (lower case, no trailing dot) is the loader's job; the
 * matcher behind policy_world.dns_match must ignore case and one
 * trailing dot anyway.
 */
bool policy_domain_pattern_valid(const char *pattern, char *why,
    size_t whylen);

/* ---- the world ------------------------------------------------------ */

/* Namespace labels must include POLICY_NS_NAME_LABEL=name (§1.1). */
struct policy_namespace {
	const char *name;
	const struct sluice_label *labels;
	size_t nlabels;
};

/* A spec.containers[].ports entry, for named ports (§2.5). */
struct policy_container_port {
	const char *name;		/* may be NULL: unnamed */
	int protocol;			/* 0 (TCP), IPPROTO_TCP, _UDP, _SCTP */
	uint16_t port;
};

/* A pod endpoint (never a hostNetwork pod, §2.8). */
struct policy_pod {
	const char *namespace;
	const char *name;
	const char *node;		/* may be NULL: unknown */
	const struct sluice_label *labels;
	size_t nlabels;
	const struct sluice_addr *ips;
	size_t nips;
	const struct policy_container_port *ports;
	size_t nports;
};

/* A node: its labels (ANP `nodes`) and status.addresses. */
struct policy_node {
	const char *name;
	const struct sluice_label *labels;
	size_t nlabels;
	const struct sluice_addr *addrs;
	size_t naddrs;
};

/*
 * Everything a verdict depends on. At most one BANP (it is a singleton;
 * an array so validation can refuse a second one).
 */
struct policy_world {
	const struct policy_namespace *namespaces;
	size_t nnamespaces;
	const struct policy_pod *pods;
	size_t npods;
	const struct policy_node *nodes;
	size_t nnodes;
	const struct policy_np *nps;
	size_t nnps;
	const struct policy_anp *anps;
	size_t nanps;
	const struct policy_banp *banps;
	size_t nbanps;
	const struct policy_netset *netsets;		/* namespaced */
	size_t nnetsets;
	const struct policy_netset *global_netsets;
	size_t nglobal_netsets;
	/*
	 * policy.egressToLocalNode (§2.8, §5.2): false, the default, lets a
	 * pod isolated for egress by NetworkPolicy still reach its own node.
	 */
	bool deny_egress_to_local_node;
	/*
	 * The DNS bindings domainNames peers are matched against (§1.6,
	 * §2.6): whether pod (the subject of an egress verdict) holds a live
	 * binding of a name matching one of patterns[0..n) (n >= 1) to addr
	 * (the destination), and if so that name, NUL-terminated, in
	 * name[0..size) (size is POLICY_DOMAIN_NAME_MAX). Called with
	 * dns_arg by policy_eval() and policy_check(), so from any number of
	 * threads at once: it must be safe for that, must not call back into
	 * policy/, and must answer the same for the same bindings (pod and
	 * patterns are borrowed for the call). NULL: domainNames peers match
	 * nothing.
	 */
	bool (*dns_match)(void *arg, const struct policy_pod *pod,
	    const struct sluice_addr *addr, const char *const *patterns,
	    size_t n, char *name, size_t size);
	void *dns_arg;
};

/* Receives one problem (a sentence) at a time. */
typedef void policy_problem_cb(void *arg, const char *problem);

/*
 * Validates every object of w and their relations: names unique per kind
 * (per namespace where namespaced), at most one BANP, every namespace
 * carrying POLICY_NS_NAME_LABEL with its own name, every pod in a known
 * namespace with at least one address, no address held by two pods, and
 * valid container port protocols. Passes every problem to on_problem (may
 * be NULL) and returns -EINVAL with the first one in err, or 0.
 */
int policy_world_validate(const struct policy_world *w,
    policy_problem_cb *on_problem, void *arg, char *err, size_t errlen);

#endif
