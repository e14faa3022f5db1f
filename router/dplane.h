/*
 * dplane.h - the loop's handle on the data plane: the TUN device, the
 * underlay UDP socket, the worker, and the snapshots it reads.
 *
 * Stopping the data plane leaves the TUN device (persistent) and the
 * kernel routes in place so that a restarted sluiced carries on where
 * this one stopped; dplane_cleanup() is what removes them.
 */
#ifndef SLUICE_ROUTER_DPLANE_H
#define SLUICE_ROUTER_DPLANE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "router/config.h"
#include "router/dataplane.h"
#include "router/netlink.h"

struct dplane;

struct dplane_info {
	char device[IFNAMSIZ];
	int ifindex;
	unsigned int tun_mtu;
	bool tun_created;	/* false: attached to one a predecessor left */
	uint16_t port;
	uint64_t gen;		/* snapshot in force */
	uint32_t retired;	/* snapshots waiting for the workers to move on */
	unsigned int workers;	/* data-path threads, one per TUN queue */
	bool multi_queue;	/* false: a single-queue device from before */
	unsigned int source_ports;	/* 0: sent from the VXLAN port */
};

/*
 * Opens the TUN (creating it if needed), sets its MTU and brings it up,
 * enables IPv4 forwarding, binds the underlay UDP socket on the node's
 * address and starts the worker. tun_mtu 0 means underlay MTU - 50.
 */
int dplane_start(struct dplane **out, uv_loop_t *loop,
    const struct sluiced_config *cfg, struct netlink *nl,
    const struct underlay_info *ul, char *err, size_t errlen);

/* Stops the worker and frees everything; kernel state stays. Accepts NULL. */
void dplane_stop(struct dplane *d);

/* Publishes s (taking ownership) and retires the previous snapshot. */
void dplane_publish(struct dplane *d, struct dp_snapshot *s);

void dplane_info_get(const struct dplane *d, struct dplane_info *info);
/*
 * The NAT flow table: the worker's, which the loop may read through
 * ct_walk()/ct_stats_get() (they lock). NULL before the start.
 */
struct ct_table;
struct ct_table *dplane_ct(const struct dplane *d);
/* The policy flow table (NULL before start). */
struct pf_table;
struct pf_table *dplane_pf(const struct dplane *d);
/* The table pinning flows to egress gateways (NULL before start). */
struct pf_table *dplane_egress_flows(const struct dplane *d);
/* Sums the workers' counters into out[DP_COUNTER__COUNT]. */
void dplane_counters(const struct dplane *d, uint64_t *out);
/* Worker w's (< dplane_info.workers) counters alone. */
void dplane_worker_counters(const struct dplane *d, unsigned int w,
    uint64_t *out);
void dplane_pool_stats(const struct dplane *d, struct pkt_pool_stats *st);
struct worker_offload_stats;
void dplane_offload_stats(const struct dplane *d,
    struct worker_offload_stats *st);

/*
 * Removes what sluiced installs in the kernel and leaves behind on a stop:
 * the TUN device, and every route and rule carrying NETLINK_PROTO_SLUICE.
 * For uninstalling, or after a crash when the node leaves the cluster.
 */
int dplane_cleanup(const struct sluiced_config *cfg, struct netlink *nl,
    char *err, size_t errlen);

#endif
