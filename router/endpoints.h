/*
 * endpoints.h - the pods of the cluster as network policy needs them
 * (namespace, name, labels, addresses, named container ports), and the
 * table of what the other nodes announced over the control links.
 *
 * Each node knows its own pods from its IPAM allocations and hands them
 * to endpoints_set_local(); links.c sends that list to every peer in
 * "endpoints" messages (linkproto.h) and files what peers send here with
 * endpoints_recv_page(). The daemon reads the remote lists with
 * endpoints_each().
 *
 * Lifetime of a peer's list: it is replaced wholesale by each newer
 * announcement (a higher generation on the same link, or any generation
 * on a new link: a restarted node counts from 1 again). It stays when the
 * peer goes DOWN or its link closes: a restarting node's pods keep their
 * identity, and so their policy, until it comes back and says otherwise.
 * It goes only when the node leaves the cluster manifest (or stops being
 * managed): links_peers_moved() forgets it then, and endpoints_forget()
 * does it by hand.
 *
 * Trust: lists come only from authenticated peers (links.c never files a
 * frame of an unauthenticated link), but a peer could still announce
 * another node's addresses. The filter installed with
 * endpoints_set_filter() decides, at every endpoints_each(), whether an
 * endpoint's addresses lie in the blocks its node owns now; the daemon
 * installs one that calls endpoint_in_blocks() with the peer's blocks.
 *
 * Everything here belongs to the loop thread (STYLE.md section 5); the
 * table is one per process, since there is one daemon per process.
 */
#ifndef SLUICE_ROUTER_ENDPOINTS_H
#define SLUICE_ROUTER_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/selector.h"

/*
 * Sizes, NUL included. Labels match what IPAM stores with an allocation
 * (IPAM_LABEL_MAX, IPAM_LABELS_MAX), so every stored pod can be
 * announced; a Kubernetes label key is at most 317 bytes and a value 63,
 * well inside. A namespace is a DNS label (63), a pod name a DNS
 * subdomain (253), a port name an IANA service name (15).
 */
#define ENDPOINT_NS_MAX 64
#define ENDPOINT_POD_MAX 254
#define ENDPOINT_LABEL_MAX 320		/* one key or one value */
#define ENDPOINT_LABELS_MAX 64		/* labels per pod */
#define ENDPOINT_PORTS_MAX 64		/* named ports per pod */
#define ENDPOINT_PORT_NAME_MAX 16
#define ENDPOINT_ADDRS_MAX 2		/* IPv4 and/or IPv6 */

/* A named container port (spec.containers[].ports[] with a name). */
struct endpoint_port {
	char name[ENDPOINT_PORT_NAME_MAX];	/* IANA service name */
	uint8_t proto;			/* IPPROTO_TCP, _UDP or _SCTP */
	uint16_t port;			/* 1..65535 */
};

/*
 * One pod. A value type: embedded in its owner, which frees what it owns
 * with endpoint_free(). labels is one allocation holding the array and
 * the strings its entries point at, so that it can go straight to
 * sluice_selector_matches(); fill it with endpoint_copy_labels().
 */
struct endpoint {
	char ns[ENDPOINT_NS_MAX];	/* not empty */
	char pod[ENDPOINT_POD_MAX];	/* not empty */
	struct sluice_addr addrs[ENDPOINT_ADDRS_MAX];
	size_t naddrs;			/* 1..ENDPOINT_ADDRS_MAX, distinct */
	struct sluice_label *labels;	/* owned, with its strings */
	size_t nlabels;			/* keys distinct, not empty */
	struct endpoint_port *ports;	/* owned */
	size_t nports;			/* names distinct */
};

/* A node's list: owns v and what each entry owns. */
struct endpoint_set {
	struct endpoint *v;
	size_t n;
	uint64_t gen;			/* the announcing node's version */
};

/*
 * Checks what a peer checks of each endpoint it receives: ns and pod not
 * empty and NUL-terminated in their arrays, 1..ENDPOINT_ADDRS_MAX
 * addresses of a known family and none twice, at most
 * ENDPOINT_LABELS_MAX labels with non-empty keys, no key twice and keys
 * and values shorter than ENDPOINT_LABEL_MAX, at most ENDPOINT_PORTS_MAX
 * ports, each named with a valid IANA service name (no name twice), of
 * TCP, UDP or SCTP, and not port 0. Returns 0 or -EINVAL and why.
 */
int endpoint_validate(const struct endpoint *ep, char *err, size_t errlen);

/*
 * Replaces ep's labels with a copy of labels[0..n) (one allocation).
 * Returns 0 or -ENOMEM, keeping the old labels on failure.
 */
int endpoint_copy_labels(struct endpoint *ep, const struct sluice_label *labels,
    size_t n);
/* Replaces ep's ports with a copy; 0 or -ENOMEM (old ones kept). */
int endpoint_copy_ports(struct endpoint *ep, const struct endpoint_port *ports,
    size_t n);
/*
 * Makes dst a deep copy of src; dst must hold nothing (zeroed, or after
 * endpoint_free()). Returns 0 or -ENOMEM, leaving dst empty.
 */
int endpoint_copy(struct endpoint *dst, const struct endpoint *src);
/* Frees what ep owns and zeroes it. Accepts NULL. */
void endpoint_free(struct endpoint *ep);
/* Same pod, addresses, labels and ports, in the same order. */
bool endpoint_eq(const struct endpoint *a, const struct endpoint *b);
/* True if every address of ep lies in one of blocks[0..n). */
bool endpoint_in_blocks(const struct endpoint *ep,
    const struct sluice_prefix *blocks, size_t n);

/*
 * Checks a whole list: every endpoint as endpoint_validate() does, no
 * pod (ns/pod) twice and no address held by two pods. 0 or -EINVAL.
 */
int endpoint_set_check(const struct endpoint_set *set, char *err,
    size_t errlen);
/* Deep copy into an empty dst; 0 or -ENOMEM (dst left empty). */
int endpoint_set_copy(struct endpoint_set *dst,
    const struct endpoint_set *src);
/* Frees what set owns and zeroes it. Accepts NULL. */
void endpoint_set_free(struct endpoint_set *set);

/* ---- the table -------------------------------------------------------- */

/*
 * Our own list. Checks it (endpoint_set_check(), at most
 * LINK_MAX_ENDPOINTS, and that it fits in LINK_MAX_ENDPOINT_PARTS pages)
 * and, if it differs from the one in force, copies it (local->gen is
 * ignored), bumps our generation and returns 1: the caller then calls
 * links_announce_endpoints(d) to send it to every authenticated peer.
 * Returns 0 if it is the same list (nothing to send), or -EINVAL (with
 * why), -EMSGSIZE (too big to announce) or -ENOMEM, keeping the old list.
 * Until the first call nothing is announced, so that a restarting node
 * does not tell its peers it has no pods before IPAM is read: call it
 * once at start, with an empty list if need be.
 */
int endpoints_set_local(const struct endpoint_set *local, char *err,
    size_t errlen);
/* Our list in force (gen 0 until the first endpoints_set_local()). */
const struct endpoint_set *endpoints_local(void);

/*
 * Called after a peer's list was replaced or forgotten, on the loop
 * thread, outside any iteration; NULL removes it. From links.c's frame
 * handler, or its timer for what links_peers_moved() forgot (the peer
 * table is being rebuilt then).
 */
typedef void endpoints_hook_fn(void *arg);
void endpoints_set_hook(endpoints_hook_fn *fn, void *arg);

/*
 * Whether endpoints_each() shows ep, announced by node: the daemon's
 * check that ep's addresses lie in node's blocks (endpoint_in_blocks()).
 * NULL (the default) shows everything.
 */
typedef bool endpoints_filter_fn(void *arg, const char *node,
    const struct endpoint *ep);
void endpoints_set_filter(endpoints_filter_fn *fn, void *arg);

/*
 * Calls fn for every remote endpoint the filter lets through, node by
 * node, in the order each node announced them; stops at the first
 * non-zero return and returns it, else 0. node and ep are borrowed until
 * the table next changes (a received list, a forget, a clear): fn must
 * not change it.
 */
typedef int endpoints_each_fn(void *arg, const char *node,
    const struct endpoint *ep);
int endpoints_each(endpoints_each_fn *fn, void *arg);

/* The remote endpoints stored, before the filter; nodes with a list. */
size_t endpoints_count(void);
size_t endpoints_nodes(void);
/* The list node announced last, or NULL. Borrowed as in endpoints_each. */
const struct endpoint_set *endpoints_of(const char *node);

struct endpoints_stats {
	uint64_t pages;		/* pages filed */
	uint64_t lists;		/* lists accepted (a node's list replaced) */
	uint64_t stale;		/* pages of lists not newer than the one held */
	uint64_t refused;	/* pages refused (the link is closed) */
	uint64_t filtered;	/* hidden by the filter, last endpoints_each() */
};
void endpoints_stats_get(struct endpoints_stats *out);

/*
 * Drops node's list (and any half-received one). Does not call the hook;
 * returns true if there was something to drop (call endpoints_notify()).
 */
bool endpoints_forget(const char *node);
/*
 * Drops the list of every node for which keep() says false; returns how
 * many. Marks the table changed for endpoints_notify().
 */
size_t endpoints_prune(bool (*keep)(void *arg, const char *node), void *arg);
/* Calls the hook if the table changed since it was last called. */
void endpoints_notify(void);
/* Drops everything (local list, remote lists, hook, filter, stats). */
void endpoints_clear(void);

struct link_endpoints;
/*
 * Files one page of node's announcement, received on the link numbered
 * session (a number links.c gives each link, never reused). Takes the
 * page's endpoints, whatever it returns (page->v is NULL after). Pages
 * of one announcement come in order (part 0, 1, ... of parts, one
 * generation); the list replaces node's once its last page is in, and
 * only if it is newer: another session than the list held came on, or
 * the same session with a higher generation. Pages of a list that is not
 * newer are counted and dropped. Calls the hook when a list was
 * replaced. Returns 1 if it was, 0 if not (yet), or, with why in err:
 *   -EPROTO   a page out of order (not the next one of the announcement
 *             in progress, or a part > 0 with none in progress);
 *   -EMSGSIZE more than LINK_MAX_ENDPOINTS endpoints in all;
 *   -EINVAL   a pod or an address twice in the list;
 *   -ENOMEM.
 * After an error the announcement in progress is dropped; the peer's
 * link should be closed (the next link sends the whole list again).
 */
int endpoints_recv_page(const char *node, uint64_t session,
    struct link_endpoints *page, char *err, size_t errlen);

#endif
