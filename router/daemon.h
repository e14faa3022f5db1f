/*
 * daemon.h - the state of one sluiced, owned by the libuv loop thread.
 */
#ifndef SLUICE_ROUTER_DAEMON_H
#define SLUICE_ROUTER_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "router/claims.h"
#include "router/cluster.h"
#include "router/config.h"
#include "router/ctlsock.h"
#include "router/ipamd.h"
#include "router/dplane.h"
#include "router/linkproto.h"
#include "router/links.h"
#include "router/manifest.h"
#include "router/netlink.h"
#include "router/peers.h"
#include "store/store.h"

struct sluiced {
	uv_loop_t *loop;
	struct sluiced_config cfg;
	struct underlay_info underlay;
	struct store *store;
	struct ctlsock *ctl;

	struct manifest_set manifests;	/* the set in force */
	uint64_t reloads_failed;
	char reload_error[512];		/* last rejected load; empty if none */

	/* Overlay: the data plane, our blocks, the peers and their links. */
	struct netlink *nl;
	struct dplane *dp;
	uint8_t vtep_mac[6];
	struct ipam *ipam;
	struct policyd *policyd;	/* network policy (policyd.h) */
	struct dnsd *dnsd;		/* DNS bindings (dnsd.h) */
	/* sluiced_reload() (main.c), for ops that change the manifests. */
	int (*reload)(struct sluiced *d);
	struct claims claims;		/* block claims by quorum */
	struct sluice_prefix *blocks;	/* owned: manifest podCIDRs + IPAM claims */
	uint32_t nblocks;
	uint64_t blocks_gen;
	struct peer *peers;		/* owned */
	size_t npeers;
	uint64_t grace_until_ms;	/* peers in GRACE until then */
	bool have_key;			/* a cluster secret was configured */
	uint8_t cluster_key[LINK_KEY_LEN];
	uint64_t incarnation;		/* random per start */
	struct link *links;		/* every open link */
	struct links_stats link_stats;
	uv_tcp_t link_listener;
	bool listening;
	uv_timer_t link_timer;

	time_t started;			/* wall clock, for operators */
	uint64_t started_ms;		/* uv_now() at start, for uptime */
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t watchdog;
	uv_fs_event_t manifest_watch;	/* the manifests directory */
	uv_timer_t manifest_quiet;	/* a reload once changes settle */
	uv_timer_t egress_timer;	/* gateway health (egressd.c) */
	uint64_t egress_health;		/* bit i: egress_gateways[i] healthy */
	uint64_t egress_health_gen;	/* the manifests it was computed for */
	bool ready;			/* start-up complete */
	bool stopping;
};

/* The ops the status socket answers (router/ctlops.c). */
extern const struct ctlsock_op sluiced_ctl_ops[];

/* Reloads the manifests directory; keeps the set in force on failure. */
int sluiced_reload(struct sluiced *d);

#endif
