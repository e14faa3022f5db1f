/*
 * worker.h - a data-path thread: one TUN queue and one UDP socket, read
 * with poll(), each packet through inside.c or outside.c. A node runs one
 * worker per TUN queue (overlay.workers); the kernel keeps each flow on
 * one queue and each peer's datagrams on one socket, and the flow tables
 * the workers share (NAT, policy, egress pinning) lock per shard.
 *
 * The worker never calls uv_* and never touches control-plane state; it
 * reads the newest published snapshot between batches and reports the
 * generation it holds (worker_seen_gen) so the loop knows when a retired
 * snapshot is free. The UDP side is batched (sendmmsg after a batch of
 * TUN reads, with UDP GSO for runs of equal datagrams to one peer;
 * recvmmsg with UDP GRO). The TUN side uses the virtio-net offloads
 * (overlay/offload.h): a read may be a 64 KiB TCP super-packet, cut into
 * segments that each take the pipeline; on the way back, runs of one TCP
 * flow from a receive batch are coalesced into one write.
 */
#ifndef SLUICE_ROUTER_WORKER_H
#define SLUICE_ROUTER_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "overlay/offload.h"
#include "router/dataplane.h"

struct worker;

/* Offload figures a worker keeps besides its struct dp_stats. */
struct worker_offload_stats {
	uint64_t drop[OFFLOAD_DROP__COUNT];	/* TUN reads refused */
	uint64_t gso_in;	/* TUN super-packets read */
	uint64_t gso_segs;	/* segments cut from them */
	uint64_t gso_whole;	/* written back to the TUN whole */
	uint64_t gro_out;	/* coalesced super-packets written */
};

struct ct_table;
#define WORKER_MAX_SRC 64	/* overlay.sourcePorts' upper bound */
struct worker_conf {
	int tun_fd;		/* one queue of the TUN (tun_open()) */
	int udp_fd;		/* this worker's socket of the reuseport group */
	/*
	 * Sockets on other source ports to send from, shared by the workers,
	 * a flow's always from the same one (its hash picks it): the
	 * underlay's ECMP and the peer's reuseport group see the flows
	 * apart. None: everything leaves from udp_fd.
	 */
	const int *src_fds;
	unsigned int nsrc;
	_Atomic(struct dp_snapshot *) *snap;	/* the loop's published slot */
	struct ct_table *ct;	/* NAT flows, shared by the workers */
	bool offloads;
	/*
	 * Expires the shared flow tables once a second: one worker does it
	 * for all.
	 */
	bool housekeeper;
	uint32_t pool_size;
	uint32_t buf_size;	/* largest packet or datagram (64 KiB) */
	/*
	 * Largest segment cut from a super-packet without a full-size buffer
	 * (the TUN MTU).
	 */
	uint32_t seg_size;
};

/*
 * Starts a worker on c->tun_fd and c->udp_fd (both borrowed: closed by
 * the caller after worker_stop). Several workers may run at once, each on
 * its own queue and socket. Returns 0 or a negative errno.
 */
int worker_start(struct worker **out, const struct worker_conf *c);
/* Stops and joins the thread, then frees it. Accepts NULL. */
void worker_stop(struct worker *w);

/* The generation of the snapshot the worker last started a batch with. */
uint64_t worker_seen_gen(const struct worker *w);
const struct dp_stats *worker_stats(const struct worker *w);
void worker_pool_stats(const struct worker *w, struct pkt_pool_stats *st);
/* A racy copy of the offload figures. */
void worker_offload_stats(const struct worker *w,
    struct worker_offload_stats *st);

#endif
