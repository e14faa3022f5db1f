/*
 * daemon.h - the state of one sluiced, owned by the libuv loop thread.
 */
#ifndef SLUICE_ROUTER_DAEMON_H
#define SLUICE_ROUTER_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "router/config.h"
#include "router/ctlsock.h"
#include "router/manifest.h"
#include "router/netlink.h"
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

	time_t started;			/* wall clock, for operators */
	uint64_t started_ms;		/* uv_now() at start, for uptime */
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t watchdog;
	bool stopping;
};

/* The ops the status socket answers (router/ctlops.c). */
extern const struct ctlsock_op sluiced_ctl_ops[];

/* Reloads the manifests directory; keeps the set in force on failure. */
int sluiced_reload(struct sluiced *d);

#endif
