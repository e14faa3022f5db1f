/*
 * worker.h - a data-path thread: one TUN queue and one UDP socket, read
 * with poll(), each packet through inside.c or outside.c.
 *
 * The worker never calls uv_* and never touches control-plane state; it
 * reads the newest published snapshot between batches and reports the
 * generation it holds (worker_seen_gen) so the loop knows when a retired
 * snapshot is free. The UDP side is batched (sendmmsg after a batch of
 * TUN reads, recvmmsg); the TUN side is one read or write per packet
 * until TUN offloads (IFF_VNET_HDR) arrive with the performance issue.
 */
#ifndef SLUICE_ROUTER_WORKER_H
#define SLUICE_ROUTER_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include "router/dataplane.h"

struct worker;

/*
 * Starts a worker on tun_fd and udp_fd (borrowed: closed by the caller
 * after worker_stop). snap points at the loop's published-snapshot slot.
 * Returns 0 or a negative errno.
 */
int worker_start(struct worker **out, int tun_fd, int udp_fd,
    _Atomic(struct dp_snapshot *) *snap, uint32_t pool_size,
    uint32_t buf_size);
/* Stops and joins the thread, then frees it. Accepts NULL. */
void worker_stop(struct worker *w);

/* The generation of the snapshot the worker last started a batch with. */
uint64_t worker_seen_gen(const struct worker *w);
const struct dp_stats *worker_stats(const struct worker *w);
void worker_pool_stats(const struct worker *w, struct pkt_pool_stats *st);

#endif
