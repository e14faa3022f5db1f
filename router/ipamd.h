/*
 * ipamd.h - sluiced's side of IPAM: the IPAM core (ipam/) over this
 * node's store, fed by the manifests and the control links, answering on
 * the status socket.
 *
 * This node's blocks are the union of the manifest's podCIDRs for it and
 * the blocks IPAM has claimed for it; they are what the node routes
 * locally and announces. Blocks other nodes announce are recorded in
 * IPAM so that it never claims them.
 */
#ifndef SLUICE_ROUTER_IPAMD_H
#define SLUICE_ROUTER_IPAMD_H

#include <stddef.h>

#include "router/ctlsock.h"

struct sluiced;
struct manifest_set;
struct peer;

/* Opens IPAM on the store; consistency problems are logged. */
int ipamd_open(struct sluiced *d, char *err, size_t errlen);
void ipamd_close(struct sluiced *d);

/*
 * Hands the pools of set to IPAM (which validates them against what it
 * holds) and records the manifest's podCIDRs as owned blocks. On failure
 * nothing changes and err says why: the caller rejects the manifests.
 */
int ipamd_manifests(struct sluiced *d, const struct manifest_set *set,
    char *err, size_t errlen);

/*
 * Recomputes this node's blocks (manifest podCIDRs + IPAM claims) into
 * d->blocks; returns true if they changed (blocks_gen is then bumped).
 */
bool ipamd_own_blocks(struct sluiced *d);

/* A peer announced its blocks: record them so IPAM never claims them. */
void ipamd_peer_blocks(struct sluiced *d, const struct peer *p);

/* Status ops: "ipam", "ipam.allocate", "ipam.release", "ipam.gc". */
int ipamd_op_list(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int ipamd_op_allocate(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int ipamd_op_release(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
/* "ipam.gc": args {live: [handles], dryRun: bool}; this node's only. */
int ipamd_op_get(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int ipamd_op_gc(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

#endif
