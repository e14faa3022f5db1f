/*
 * polstate.h - the network policy in force, as the data path sees it: the
 * world (namespaces, every pod of the cluster, nodes, the policy objects),
 * its compiled form and a generation. Built on the main loop by
 * router/policyd.c, published inside a data-plane snapshot and read by the
 * worker without locks; immutable once published.
 *
 * Lifetime: a state is shared by every snapshot built while it is in
 * force, so it counts its references; the count is touched on the main
 * loop only (snapshots are built and reclaimed there).
 */
#ifndef SLUICE_ROUTER_POLSTATE_H
#define SLUICE_ROUTER_POLSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "policy/compile.h"
#include "policy/model.h"

struct policy_docs;
struct pf_table;

struct policy_state {
	uint32_t refs;			/* main loop only */
	uint32_t gen;			/* flows judged under another re-judge */
	/*
	 * Any policy object at all. Without one every flow is allowed and
	 * the data path skips the flow table entirely.
	 */
	bool active;
	struct policy_world w;		/* arrays and strings in mem */
	struct policy_compiled *pc;
	struct policy_docs *docs;	/* the policy objects w points into */
	void *mem;			/* owner of w's arrays (policyd.c) */
};

/* Takes a reference; NULL stays NULL. Main loop only. */
struct policy_state *policy_state_ref(struct policy_state *ps);
/* Drops one; frees the state with the last. Accepts NULL. Main loop only. */
void policy_state_unref(struct policy_state *ps);

#endif
