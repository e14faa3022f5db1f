/*
 * compile.h - the compiled policy matcher: what the data path asks for
 * the first packet of each flow. policy_compile() turns a validated world
 * into per-pod, per-direction rule lists with every peer resolved ahead
 * of time; policy_check() then gives the same answer as policy_eval()
 * (eval.h) without scanning the world: an address lookup for each end
 * and one pass over the rules that apply to the subject pod.
 *
 * Decision ids: every outcome a direction can have maps to a dense id in
 * [0, policy_compiled_nids()), so the daemon can keep flow and packet
 * counters per rule. The ids are, in this order:
 *   - 8 fixed ones, per direction (ingress, then egress): no pod
 *     (POLICY_REASON_NOT_POD, also a direction not judged), no policy
 *     decided (DEFAULT), isolated but toward itself (NP_SELF), isolated
 *     but the peer is the pod's own node (NP_LOCAL_NODE);
 *   - per AdminNetworkPolicy in world order: its ingress rules, then
 *     its egress rules (Pass rules too: see policy_pass_id());
 *   - per NetworkPolicy in world order, per direction (ingress, then
 *     egress): "isolated, no rule allows" (NP_ISOLATED, counted against
 *     the first isolating policy, which is the one the decision names),
 *     then its rules of that direction;
 *   - per BaselineAdminNetworkPolicy: ingress rules, then egress rules.
 * Ids are only meaningful for the compiled object that issued them: a
 * recompiled world numbers its rules afresh.
 */
#ifndef SLUICE_POLICY_COMPILE_H
#define SLUICE_POLICY_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/eval.h"
#include "policy/model.h"

/* Not an id: an unknown decision, or no Pass on the way. */
#define POLICY_ID_NONE UINT32_MAX

struct policy_compiled;

/*
 * Compiles the validated world w. w (and everything it points to) is
 * borrowed and must outlive the result; it is not modified. Returns 0
 * and the matcher in *out (free it with policy_compiled_free()),
 * -ENOMEM, or -EINVAL with a sentence in err (errlen bytes; err may be
 * NULL when errlen is 0) when the world is too large to number. Takes
 * O(policies x pods) time and memory at worst and O(n log n) in the
 * CIDRs.
 */
int policy_compile(const struct policy_world *w, struct policy_compiled **out,
    char *err, size_t errlen);

/* Accepts NULL. */
void policy_compiled_free(struct policy_compiled *pc);

/*
 * policy_eval()'s contract and result for c (the pointers in *out point
 * into the compiled world), but only the directions in dirs (a mask of
 * POLICY_EGRESS and POLICY_INGRESS) are judged: a direction not judged
 * is reported as allowed with reason POLICY_REASON_NOT_POD and pod NULL,
 * and the verdict is that of the judged ones. Returns 0, or -EINVAL with
 * a sentence in err if the two addresses are not of one known family.
 * Read-only and allocation-free: any number of threads may call it on
 * one pc at once. domainNames peers call the world's dns_match (read
 * from the world at each call) exactly where policy_eval() would, so it
 * must be as thread-safe as policy_check().
 */
int policy_check(const struct policy_compiled *pc, const struct policy_conn *c,
    unsigned int dirs, struct policy_result *out, char *err, size_t errlen);

/*
 * The id of decision d of direction dir, d as policy_check() or
 * policy_eval() produced it for pc's world; POLICY_ID_NONE if d names an
 * object or rule that world does not have.
 */
uint32_t policy_decision_id(const struct policy_compiled *pc,
    const struct policy_decision *d, enum policy_dir dir);

/* The id of the ANP Pass rule d went through, or POLICY_ID_NONE. */
uint32_t policy_pass_id(const struct policy_compiled *pc,
    const struct policy_decision *d, enum policy_dir dir);

/* Number of ids: every id is below it. */
size_t policy_compiled_nids(const struct policy_compiled *pc);

/*
 * The id in words, e.g. "AdminNetworkPolicy p10 egress[0] (deny-all)
 * Deny", "NetworkPolicy x/web ingress[1]", "NetworkPolicy x/deny-all
 * ingress: isolated, no rule allows". Returns buf, truncated to size.
 */
const char *policy_id_str(const struct policy_compiled *pc, uint32_t id,
    char *buf, size_t size);

/*
 * Adds to id's counters with relaxed atomics, from any thread; an id out
 * of range is ignored. policy_counters() reads them (0 out of range).
 */
void policy_count(const struct policy_compiled *pc, uint32_t id,
    uint64_t flows, uint64_t pkts);
void policy_counters(const struct policy_compiled *pc, uint32_t id,
    uint64_t *flows, uint64_t *pkts);

/* Bytes the compiled form holds (not counting the borrowed world). */
size_t policy_compiled_size(const struct policy_compiled *pc);

#endif
