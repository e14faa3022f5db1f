/*
 * policyd.h - network policy in the daemon: it gathers the world a verdict
 * depends on (the manifest's namespaces, nodes and policy objects; this
 * node's pods from IPAM, with their labels and named ports; the other
 * nodes' pods from their announcements on the control links), validates
 * and compiles it off the packet path, and publishes it to the data path
 * in the next snapshot. Also the status-socket ops of policy: the policies
 * in force with their counters, `explain`, pod labels and endpoints
 * (router/policyops.c).
 *
 * Rebuilt synchronously whenever an input changes, before the change is
 * acknowledged: a pod's IPAM allocation is answered only once the policy
 * that includes the pod is in force, so its first packet is already
 * judged as its own (no window in which it is an unknown address).
 */
#ifndef SLUICE_ROUTER_POLICYD_H
#define SLUICE_ROUTER_POLICYD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "router/ctlsock.h"

struct sluiced;
struct cluster;
struct policy_state;

/* Starts with an empty state (no policy); manifests come next. */
int policyd_start(struct sluiced *d, char *err, size_t errlen);
/* Frees what policyd holds; the snapshots hold their own references. */
void policyd_stop(struct sluiced *d);

/*
 * A manifest set was accepted: the policy objects of cl move into
 * policyd (cl keeps none afterwards), and the state is rebuilt.
 */
void policyd_manifests(struct sluiced *d, struct cluster *cl);

/* What changed, for policyd_update(). */
enum {
	POLICYD_LOCAL_PODS = 1,		/* this node's allocations or labels */
	POLICYD_REMOTE_PODS = 2,	/* another node's announcement */
	POLICYD_TOPOLOGY = 4,		/* blocks or peers */
};

/*
 * Rebuilds the world and publishes it. With POLICYD_LOCAL_PODS the new
 * local endpoint list is also announced to the other nodes.
 */
void policyd_update(struct sluiced *d, unsigned int what);

/* The state in force (borrowed; NULL before policyd_start()). */
struct policy_state *policyd_state(struct sluiced *d);

struct policyd_info {
	uint64_t rebuilds, rebuilds_failed;
	size_t skipped_remote;		/* other nodes' pods left out, last build */
	const char *last_error;		/* of the last build; NULL if none */
};
void policyd_info_get(struct sluiced *d, struct policyd_info *info);

/*
 * Parses a msgpack map of label key -> value into labels (heap arrays the
 * caller frees with policyd_labels_free()), checking each label's syntax.
 * 0, or -EINVAL with a sentence in err.
 */
struct sluice_label;
int policyd_labels_parse(const msgpack_object *o, const char *what,
    struct sluice_label **out, size_t *n, char *err, size_t errlen);
void policyd_labels_free(struct sluice_label *l, size_t n);

/* Status socket ops (router/policyops.c; router/ctlops.c lists them). */
int policyd_op_list(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int policyd_op_explain(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int policyd_op_label(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int policyd_op_endpoints(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

#endif
