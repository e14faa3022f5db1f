/*
 * ctlsock.h - the local status socket: a Unix stream socket speaking the
 * protocol of common/ctlproto.h.
 *
 * Robustness rules: a request frame over CTL_MAX_REQUEST gets an error
 * reply and the connection is closed (the stream cannot be resynchronised);
 * a well-framed but malformed request gets an error reply and the
 * connection stays open; a client that sends nothing for CTLSOCK_IDLE_MS
 * or does not read its replies is disconnected; past CTLSOCK_MAX_CLIENTS
 * new connections are closed at once. None of this can stall other
 * clients: everything runs on the loop without blocking.
 */
#ifndef SLUICE_ROUTER_CTLSOCK_H
#define SLUICE_ROUTER_CTLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>
#include <uv.h>

#include "common/ctlproto.h"

#define CTLSOCK_MAX_CLIENTS 256
#define CTLSOCK_IDLE_MS 30000

/*
 * Handles one request: packs exactly one result object into pk and
 * returns 0, or returns a negative errno with a sentence in err (then
 * nothing it packed is sent).
 */
typedef int (*ctlsock_op_fn)(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

struct ctlsock_op {
	const char *name;
	ctlsock_op_fn fn;
};

/*
 * Answering later. An op that must wait (ipam.allocate while a block is
 * claimed from the cluster) calls ctlsock_defer(), keeps the call and
 * returns CTLSOCK_DEFERRED; nothing is sent. Later it hands the call to
 * ctlsock_call_run() with a function of the op's shape, which answers
 * the request as an op would (or defers it again by returning
 * CTLSOCK_DEFERRED). Meanwhile the connection keeps serving other
 * requests, so replies may come out of request order: clients match
 * them by id. A connection holds at most CTLSOCK_MAX_DEFERRED waiting
 * requests and is not closed as idle while it has one. Loop thread only.
 */
#define CTLSOCK_DEFERRED 1
#define CTLSOCK_MAX_DEFERRED 16

struct ctlsock_call;

/*
 * From inside an op: takes the request being handled over. NULL if the
 * connection already has CTLSOCK_MAX_DEFERRED waiting (answer -EBUSY) or
 * memory ran out. Called again while ctlsock_call_run() runs, it returns
 * that same call.
 */
struct ctlsock_call *ctlsock_defer(const struct ctl_request *req);
/* The request; valid until the call is run to an answer or dropped. */
const struct ctl_request *ctlsock_call_request(const struct ctlsock_call *call);
/* True once the client has gone: nobody will read the answer. */
bool ctlsock_call_orphaned(const struct ctlsock_call *call);
/*
 * Answers with fn (see above) and frees the call, unless fn returned
 * CTLSOCK_DEFERRED. An orphaned call is freed without running fn.
 */
void ctlsock_call_run(struct ctlsock_call *call, ctlsock_op_fn fn, void *arg);
/* Frees a call without answering (shutting down). Accepts NULL. */
void ctlsock_call_drop(struct ctlsock_call *call);

struct ctlsock_stats {
	uint64_t clients;	/* connected now */
	uint64_t connections;	/* accepted since start */
	uint64_t requests;	/* answered with ok */
	uint64_t deferred;	/* answered later (waited on the cluster) */
	uint64_t bad_requests;	/* answered with an error */
	uint64_t refused;	/* closed at once: too many clients */
	uint64_t dropped;	/* closed: oversized, idle or not reading */
};

struct ctlsock;

/*
 * Binds path (creating its directory), sets mode and group (gid -1: leave
 * it), and listens. A stale socket file is replaced; a live one (another
 * daemon answers on it) is an error, -EADDRINUSE. ops is borrowed and must
 * outlive the server; the table ends with a NULL name.
 */
int ctlsock_new(struct ctlsock **out, uv_loop_t *loop, const char *path,
    mode_t mode, gid_t gid, const struct ctlsock_op *ops, void *arg,
    char *err, size_t errlen);

/* Closes every client and the listener and removes the socket file. The
 * memory is freed by the loop once the handles have closed. Accepts NULL. */
void ctlsock_destroy(struct ctlsock *cs);

void ctlsock_stats_get(const struct ctlsock *cs, struct ctlsock_stats *st);

#endif
