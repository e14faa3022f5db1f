/*
 * eval.h - the reference evaluator: the verdict for one new connection,
 * computed straight from the model by the pseudo-code of SEMANTICS.md §2,
 * with what decided it. Clarity over speed: every call walks every
 * object (ANPs are ordered by a selection pass, O(n^2)). It is the oracle
 * the compiled matcher will be tested against differentially, and what
 * `sluicectl` could use to explain a verdict; it is not meant for the
 * data path.
 *
 * What it does not do (the data path's business, SEMANTICS.md §2.2,
 * §2.8): replies and later packets of an allowed connection, "related"
 * ICMP errors, loose TCP pickup after a restart, re-evaluation of
 * established flows on a policy change and fragments are all conntrack's
 * job. Every connection given here is judged as a new one, in the
 * orientation given: the source side's egress and the destination side's
 * ingress. Service VIPs are never seen (policy runs after the DNAT).
 *
 * Classification (§2.1): an address is a pod's if a pod of the world
 * holds it, else a node's if it is in a node's status.addresses, else
 * external. "The pod's own node" (NetworkPolicy's local-node exceptions)
 * is the node the subject pod runs on, so a verdict does not depend on
 * which node computes it.
 *
 * domainNames peers (§1.6) are matched through the world's dns_match
 * callback, asked only for egress, for Allow rules, once the rule's ports
 * match and none of its other peers does (so the answer, and the name in
 * the decision, only matter where the name is what allowed it); peers in
 * rule order, the first that the callback answers wins.
 *
 * Nothing here allocates. The world must have passed
 * policy_world_validate(); on records that did not (a stored object from
 * another daemon version), peers with no field fail closed as §2.6 says,
 * and absent selectors that validation would require match nothing.
 */
#ifndef SLUICE_POLICY_EVAL_H
#define SLUICE_POLICY_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "policy/model.h"

/* A new connection: addresses of one family, IP protocol, destination port. */
struct policy_conn {
	struct sluice_addr src;
	struct sluice_addr dst;
	uint8_t proto;			/* IPPROTO_* */
	uint16_t dport;			/* TCP, UDP, SCTP only */
};

enum policy_verdict {
	POLICY_ALLOW = 0,
	POLICY_DENY,
};

/* What decided one direction. */
enum policy_reason {
	/* This end is not a pod: no policy of this direction applies. */
	POLICY_REASON_NOT_POD = 0,
	/* A rule of an AdminNetworkPolicy (Allow or Deny): anp, rule. */
	POLICY_REASON_ANP,
	/* A rule of a NetworkPolicy allowed it: np, rule. */
	POLICY_REASON_NP_RULE,
	/* Isolated (np: the first isolating policy), but toward itself. */
	POLICY_REASON_NP_SELF,
	/* Isolated, but the peer is the pod's own node (§2.3). */
	POLICY_REASON_NP_LOCAL_NODE,
	/* Isolated by np (and nisolating - 1 more) and no rule allowed. */
	POLICY_REASON_NP_ISOLATED,
	/* A rule of the BaselineAdminNetworkPolicy: banp, rule. */
	POLICY_REASON_BANP,
	/* No tier decided: allowed (§2.7). */
	POLICY_REASON_DEFAULT,
};

/*
 * One direction's decision. The pointers are borrowed from the world
 * given to policy_eval() and stay valid as long as it does.
 */
struct policy_decision {
	enum policy_verdict verdict;
	enum policy_reason reason;
	const struct policy_pod *pod;	/* the subject; NULL with NOT_POD */
	const struct policy_anp *anp;	/* POLICY_REASON_ANP */
	const struct policy_np *np;	/* the NP_* reasons */
	const struct policy_banp *banp;	/* POLICY_REASON_BANP */
	size_t rule;			/* index in that object's rule list */
	size_t nisolating;		/* NP_*: policies isolating the pod */
	/* An ANP Pass rule that skipped the rest of tier 1, or NULL. */
	const struct policy_anp *passed_by;
	size_t pass_rule;
	/*
	 * The name the deciding rule matched the destination by, when it
	 * matched only through a domainNames peer (egress, §1.6): as
	 * world.dns_match gave it, NUL-terminated. "" otherwise, including
	 * when another peer of the rule matched the address anyway. A copy,
	 * so the decision stays valid on its own.
	 */
	char domain[POLICY_DOMAIN_NAME_MAX];
};

struct policy_result {
	enum policy_verdict verdict;	/* ALLOW iff both directions allow */
	struct policy_decision egress;	/* of the source */
	struct policy_decision ingress;	/* of the destination */
};

/*
 * Judges c in world w (validated, borrowed for the call; the result
 * points into it). Returns 0, or -EINVAL with a sentence in err if the
 * two addresses are not of one known family.
 */
int policy_eval(const struct policy_world *w, const struct policy_conn *c,
    struct policy_result *out, char *err, size_t errlen);

/*
 * Writes the result as one line, e.g. "deny: egress of x/a: no policy
 * (allow); ingress of y/b: isolated by NetworkPolicy y/deny-all, no rule
 * allows it". A decision by a domainNames peer ends in "via <name>".
 * Returns buf, truncated to size.
 */
const char *policy_result_str(const struct policy_result *r, char *buf,
    size_t size);

/*
 * The direction alone, e.g. "AdminNetworkPolicy p10 ingress[0] Deny" or
 * "AdminNetworkPolicy allow-dns egress[1] Allow (rule \"to-api\") via
 * api.example.com".
 */
const char *policy_decision_str(const struct policy_decision *d,
    enum policy_dir dir, char *buf, size_t size);

#endif
