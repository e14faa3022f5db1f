#include "router/links.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/frame.h"
#include "common/log.h"
#include "router/daemon.h"
#include "router/endpoints.h"
#include "router/linkproto.h"

#define TICK_MS 100
#define DIAL_RETRY_MS 1000
/* Unauthenticated incoming connections held at once, and per address. */
#define LINKS_MAX_PENDING 64
#define LINKS_MAX_PENDING_PER_ADDR 4
/*
 * Our pod list goes to the peers at most this often: each announcement
 * is the whole list to every peer, and pods come and go in bursts (a
 * Deployment scaled up). The first change after a quiet spell goes out
 * at once; later ones wait for the timer.
 */
#define ENDPOINTS_ANNOUNCE_MS 200

struct link {
	struct sluiced *d;
	uv_tcp_t tcp;
	uv_connect_t conn;
	struct frame_reader fr;
	struct link_session sess;
	struct peer *peer;	/* dialer: the peer dialled; acceptor: once identified */
	struct sluice_addr remote;
	bool dialer, connected, authed, closing;
	bool have_hello;
	struct link_hello hello;	/* the peer's, acted on once authed */
	uint64_t serial;		/* this link's number, never reused */
	uint64_t opened_ms, last_tx_ms;
	struct link *next, *prev;
	char rbuf[16384];
};

struct wreq {
	uv_write_t req;
	msgpack_sbuffer sb;
};

static struct log_ratelimit refuse_rl = LOG_RATELIMIT_INIT(10000, 10);
static uint64_t link_serial;
static bool endpoints_pending;		/* an announcement is due */
static uint64_t endpoints_next_ms;	/* not before then */
static struct link_msg msgbuf;	/* 25 KB; the loop thread is the only user */

const char *
links_role(const struct link *l)
{
	return l == NULL ? "-" : l->dialer ? "dialer" : "acceptor";
}

static void
list_add(struct sluiced *d, struct link *l)
{
	l->next = d->links;
	if (d->links)
		d->links->prev = l;
	d->links = l;
}

static void
list_del(struct sluiced *d, struct link *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		d->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

static void
on_closed(uv_handle_t *h)
{
	struct link *l = h->data;

	frame_reader_free(&l->fr);
	link_session_wipe(&l->sess);
	free(l);
}

void
links_close(struct link *l, const char *why)
{
	char a[SLUICE_ADDRSTRLEN];

	if (l == NULL || l->closing)
		return;
	l->closing = true;
	/*
	 * A link that never authenticated is a failed attempt: refusals
	 * are logged where they happen, dial failures repeat every second
	 * while a peer is away and show in `sluicectl peers` (lastError).
	 */
	if (l->authed)
		log_info("link %s (%s, %s) closed: %s",
		    l->peer ? l->peer->name : "?",
		    sluice_addr_str(&l->remote, a, sizeof(a)), links_role(l),
		    why);
	else
		log_debug("link attempt %s %s closed: %s",
		    l->dialer ? "to" : "from",
		    sluice_addr_str(&l->remote, a, sizeof(a)), why);
	if (l->peer && l->peer->link == l)
		l->peer->link = NULL;
	list_del(l->d, l);
	uv_close((uv_handle_t *)&l->tcp, on_closed);
}

struct peer_table {
	const struct peer *v;
	size_t n;
};

/* Endpoints stay while their node is a managed node of the manifest. */
static bool
in_table(void *arg, const char *node)
{
	const struct peer_table *t = arg;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].managed && strcmp(t->v[i].name, node) == 0)
			return true;
	return false;
}

void
links_peers_moved(struct sluiced *d, struct peer *np, size_t n)
{
	struct link *l, *next;

	for (l = d->links; l; l = next) {
		struct peer *to = NULL;

		next = l->next;
		if (l->peer == NULL)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(np[i].name, l->peer->name) == 0) {
				to = &np[i];
				break;
			}
		}
		/*
		 * Gone, or no longer the same node (address or role changed):
		 * close while l->peer still points at live memory.
		 */
		if (to == NULL || to->managed != l->peer->managed ||
		    !sluice_addr_eq(&to->addr, &l->peer->addr)) {
			for (size_t i = 0; i < n; i++)
				if (np[i].link == l)
					np[i].link = NULL;
			links_close(l, to == NULL ?
			    "node removed from the cluster manifest" :
			    "node changed in the cluster manifest");
			continue;
		}
		l->peer = to;
	}
	endpoints_prune(in_table, &(struct peer_table){ np, n });
}

static void refuse(struct link *l, uint64_t *counter, const char *fmt, ...)
    LOG_PRINTF(3, 4);

static void
refuse(struct link *l, uint64_t *counter, const char *fmt, ...)
{
	char a[SLUICE_ADDRSTRLEN], msg[256];
	va_list ap;

	(*counter)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_ratelimit_ok(&refuse_rl))
		log_warnx("refused control link %s %s: %s",
		    l->dialer ? "to" : "from",
		    sluice_addr_str(&l->remote, a, sizeof(a)), msg);
	if (l->peer)
		snprintf(l->peer->last_error, sizeof(l->peer->last_error),
		    "%s", msg);
	links_close(l, msg);
}

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	msgpack_sbuffer_destroy(&w->sb);
	free(w);
}

static int
send_msg(struct link *l, const struct link_msg *m)
{
	struct wreq *w;
	uv_buf_t buf;
	int rc;

	w = malloc(sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	msgpack_sbuffer_init(&w->sb);
	/* Room for the frame header, filled in once the length is known. */
	msgpack_sbuffer_write(&w->sb, "\0\0\0\0", FRAME_HDR_LEN);
	rc = link_msg_seal(&l->sess, m, &w->sb);
	if (rc != 0) {
		msgpack_sbuffer_destroy(&w->sb);
		free(w);
		return rc;
	}
	frame_header_put((uint8_t *)w->sb.data,
	    (uint32_t)(w->sb.size - FRAME_HDR_LEN));
	buf = uv_buf_init(w->sb.data, (unsigned int)w->sb.size);
	rc = uv_write(&w->req, (uv_stream_t *)&l->tcp, &buf, 1, on_written);
	if (rc != 0) {
		msgpack_sbuffer_destroy(&w->sb);
		free(w);
		return rc;
	}
	l->last_tx_ms = uv_now(l->d->loop);
	l->d->link_stats.frames_tx++;
	return 0;
}

static int
send_hello(struct link *l)
{
	struct sluiced *d = l->d;

	memset(&msgbuf, 0, sizeof(msgbuf));
	msgbuf.type = LINK_MSG_HELLO;
	snprintf(msgbuf.u.hello.node, sizeof(msgbuf.u.hello.node), "%s",
	    d->cfg.node_name);
	msgbuf.u.hello.underlay = d->cfg.underlay_addr;
	memcpy(msgbuf.u.hello.vtep_mac, d->vtep_mac, 6);
	msgbuf.u.hello.incarnation = d->incarnation;
	if (d->dp != NULL) {
		struct dplane_info di;

		dplane_info_get(d->dp, &di);
		msgbuf.u.hello.mtu = di.tun_mtu;
	}
	return send_msg(l, &msgbuf);
}

static int
send_blocks(struct link *l)
{
	struct sluiced *d = l->d;

	memset(&msgbuf, 0, sizeof(msgbuf));
	msgbuf.type = LINK_MSG_BLOCKS;
	msgbuf.u.blocks.generation = d->blocks_gen;
	msgbuf.u.blocks.n = d->nblocks;
	memcpy(msgbuf.u.blocks.blocks, d->blocks,
	    d->nblocks * sizeof(d->blocks[0]));
	msgbuf.u.blocks.nclaiming = claims_claiming(d,
	    msgbuf.u.blocks.claiming, LINK_MAX_CLAIMING);
	return send_msg(l, &msgbuf);
}

static int
send_keepalive(struct link *l)
{
	memset(&msgbuf, 0, sizeof(msgbuf));
	msgbuf.type = LINK_MSG_KEEPALIVE;
	return send_msg(l, &msgbuf);
}

/*
 * Our pod list, in as many pages as it takes, back to back: no page of
 * another announcement can come in between, which the receiver relies
 * on. Nothing before the daemon's first endpoints_set_local(): an empty
 * list then would make the peers forget our pods while we restart.
 */
static int
send_endpoints(struct link *l)
{
	const struct endpoint_set *set = endpoints_local();
	uint32_t first[LINK_MAX_ENDPOINT_PARTS + 1], nparts;
	int rc;

	if (set->gen == 0)
		return 0;
	rc = link_endpoints_paginate(set->v, set->n, first, &nparts);
	for (uint32_t i = 0; i < nparts && rc == 0; i++) {
		memset(&msgbuf, 0, sizeof(msgbuf));
		msgbuf.type = LINK_MSG_ENDPOINTS;
		msgbuf.u.endpoints.generation = set->gen;
		msgbuf.u.endpoints.part = i;
		msgbuf.u.endpoints.parts = nparts;
		msgbuf.u.endpoints.v = set->n > 0 ? set->v + first[i] : NULL;
		msgbuf.u.endpoints.n = first[i + 1] - first[i];
		rc = send_msg(l, &msgbuf);
	}
	return rc;
}

void
links_send_claim(struct sluiced *d, struct peer *p, uint64_t id,
    const struct sluice_prefix *block)
{
	struct link *l = p->link;

	if (l == NULL || !l->authed)
		return;
	memset(&msgbuf, 0, sizeof(msgbuf));
	msgbuf.type = LINK_MSG_CLAIM;
	msgbuf.u.claim.id = id;
	msgbuf.u.claim.block = *block;
	if (send_msg(l, &msgbuf) != 0)
		links_close(l, "cannot send a claim");
}

void
links_send_vote(struct sluiced *d, struct peer *p, const struct link_vote *v)
{
	struct link *l = p->link;

	if (l == NULL || !l->authed)
		return;
	memset(&msgbuf, 0, sizeof(msgbuf));
	msgbuf.type = LINK_MSG_VOTE;
	msgbuf.u.vote = *v;
	if (send_msg(l, &msgbuf) != 0)
		links_close(l, "cannot send a vote");
}

void
links_announce(struct sluiced *d)
{
	for (struct link *l = d->links; l; l = l->next)
		if (l->authed && send_blocks(l) != 0)
			links_close(l, "cannot send blocks");
}

static void
announce_endpoints_now(struct sluiced *d)
{
	endpoints_pending = false;
	endpoints_next_ms = uv_now(d->loop) + ENDPOINTS_ANNOUNCE_MS;
	for (struct link *l = d->links; l; l = l->next)
		if (l->authed && !l->closing && send_endpoints(l) != 0)
			links_close(l, "cannot send endpoints");
}

void
links_announce_endpoints(struct sluiced *d)
{
	if (uv_now(d->loop) < endpoints_next_ms)
		endpoints_pending = true;
	else
		announce_endpoints_now(d);
}

/*
 * The hello names a node: it must be a managed node of the manifest, not
 * us, at the address the connection comes from, and for a dialer the
 * node we meant to reach.
 */
static int
check_hello(struct link *l, const struct link_hello *h)
{
	struct sluiced *d = l->d;
	struct peer *p = peers_find(d, h->node);
	char a[SLUICE_ADDRSTRLEN], why[200];

	if (p == NULL || !p->managed) {
		refuse(l, &d->link_stats.refused_unknown,
		    "node \"%s\" is not a managed node of the cluster manifest",
		    h->node);
		return -EPERM;
	}
	if (!sluice_addr_eq(&p->addr, &l->remote) ||
	    !sluice_addr_eq(&h->underlay, &p->addr) ||
	    (l->dialer && l->peer != p)) {
		snprintf(why, sizeof(why),
		    "hello names %s (%s), which the manifest places at %s",
		    h->node, sluice_addr_str(&h->underlay, a, sizeof(a)),
		    sluice_addr_str(&p->addr, (char[SLUICE_ADDRSTRLEN]){ 0 },
		    SLUICE_ADDRSTRLEN));
		refuse(l, &d->link_stats.refused_identity, "%s", why);
		return -EPERM;
	}
	l->peer = p;
	return 0;
}

/* The first verified session frame: the peer holds the key now. */
static void
authenticated(struct link *l)
{
	struct sluiced *d = l->d;
	struct peer *p = l->peer;

	l->authed = true;
	d->link_stats.authenticated++;
	if (p->link != NULL && p->link != l)
		links_close(p->link, "replaced by a newer link");
	p->link = l;
	if (p->incarnation != 0 && p->incarnation != l->hello.incarnation)
		log_info("peer %s restarted (incarnation changed)", p->name);
	p->incarnation = l->hello.incarnation;
	if (memcmp(p->mac, l->hello.vtep_mac, 6) != 0 ||
	    p->mtu != l->hello.mtu) {
		memcpy(p->mac, l->hello.vtep_mac, 6);
		p->mtu = l->hello.mtu;
		peers_apply(d);
	}
	p->last_error[0] = '\0';
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct link *l = arg;
	struct sluiced *d = l->d;
	char err[256];
	bool first;
	int rc;

	rc = link_msg_open(&l->sess, payload, len, &msgbuf, err, sizeof(err));
	if (rc == -EACCES) {
		refuse(l, &d->link_stats.refused_auth, "%s", err);
		return rc;
	}
	if (rc != 0) {
		refuse(l, &d->link_stats.malformed, "%s", err);
		return rc;
	}
	d->link_stats.frames_rx++;
	if (msgbuf.type == LINK_MSG_HELLO) {
		if ((rc = check_hello(l, &msgbuf.u.hello)) != 0)
			return rc;
		l->hello = msgbuf.u.hello;
		l->have_hello = true;
		/* Keyed now: prove we hold the key, and say what we own. */
		if (send_blocks(l) != 0 || send_keepalive(l) != 0) {
			links_close(l, "cannot send");
			return -EIO;
		}
		return 0;
	}
	first = !l->authed;
	if (first)
		authenticated(l);
	l->peer->last_rx_ms = uv_now(d->loop);
	if (l->peer->state != PEER_UP)
		peer_set_state(d, l->peer, PEER_UP, "control link authenticated");
	/*
	 * msgbuf is also the send buffer: copy what a handler reads after
	 * it may have sent something.
	 */
	switch (msgbuf.type) {
	case LINK_MSG_BLOCKS:
		claims_on_blocks(d, l->peer, &msgbuf.u.blocks);
		peers_accept_blocks(d, l->peer, &msgbuf.u.blocks);
		break;
	case LINK_MSG_CLAIM: {
		struct link_claim c = msgbuf.u.claim;

		claims_on_claim(d, l->peer, &c);
		break;
	}
	case LINK_MSG_VOTE: {
		struct link_vote v = msgbuf.u.vote;

		claims_on_vote(d, l->peer, &v);
		break;
	}
	case LINK_MSG_ENDPOINTS:
		/* Takes the page's endpoints; may call the daemon's hook. */
		rc = endpoints_recv_page(l->peer->name, l->serial,
		    &msgbuf.u.endpoints, err, sizeof(err));
		if (rc < 0) {
			refuse(l, &d->link_stats.malformed, "%s", err);
			return rc;
		}
		break;
	default:
		break;
	}
	/*
	 * Our pods go to authenticated peers only: a hello may be a
	 * recording, and frames are not encrypted.
	 */
	if (first && !l->closing && send_endpoints(l) != 0) {
		links_close(l, "cannot send endpoints");
		return -EIO;
	}
	return 0;
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct link *l = h->data;

	*buf = uv_buf_init(l->rbuf, sizeof(l->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct link *l = s->data;
	int rc;

	if (nread == 0 || l->closing)
		return;
	if (nread < 0) {
		links_close(l, nread == UV_EOF ? "closed by peer" :
		    uv_strerror((int)nread));
		return;
	}
	rc = frame_reader_feed(&l->fr, (const uint8_t *)buf->base,
	    (size_t)nread, on_frame, l);
	if (rc == -EMSGSIZE)
		refuse(l, &l->d->link_stats.malformed,
		    "frame larger than %d bytes", LINK_MAX_PAYLOAD);
	/* Other errors closed the link already. */
}

static struct link *
link_new(struct sluiced *d, bool dialer)
{
	struct link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (frame_reader_init(&l->fr, LINK_MAX_PAYLOAD) != 0) {
		free(l);
		return NULL;
	}
	l->d = d;
	l->serial = ++link_serial;
	l->dialer = dialer;
	l->opened_ms = uv_now(d->loop);
	link_session_init(&l->sess, d->cluster_key, dialer);
	uv_tcp_init(d->loop, &l->tcp);
	l->tcp.data = l;
	list_add(d, l);
	return l;
}

static void
start(struct link *l)
{
	l->connected = true;
	uv_tcp_nodelay(&l->tcp, 1);
	if (uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read) != 0 ||
	    send_hello(l) != 0)
		links_close(l, "cannot start");
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct link *l = req->data;

	if (l->closing)
		return;
	if (status < 0) {
		if (l->peer)
			snprintf(l->peer->last_error,
			    sizeof(l->peer->last_error), "connect: %s",
			    uv_strerror(status));
		links_close(l, uv_strerror(status));
		return;
	}
	start(l);
}

static void
sockaddr_of(const struct sluice_addr *a, uint16_t port,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->u.v4;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = a->u.v6;
	}
}

static void
dial(struct sluiced *d, struct peer *p)
{
	struct sockaddr_storage src, dst;
	struct link *l;
	int rc;

	p->next_dial_ms = uv_now(d->loop) + DIAL_RETRY_MS;
	l = link_new(d, true);
	if (l == NULL)
		return;
	l->peer = p;
	l->remote = p->addr;
	d->link_stats.dialled++;
	/* From our underlay address, which is what the peer checks. */
	sockaddr_of(&d->cfg.underlay_addr, 0, &src);
	sockaddr_of(&p->addr, d->cfg.control_port, &dst);
	l->conn.data = l;
	if ((rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&src, 0)) != 0 ||
	    (rc = uv_tcp_connect(&l->conn, &l->tcp, (struct sockaddr *)&dst,
	    on_connect)) != 0) {
		snprintf(p->last_error, sizeof(p->last_error), "connect: %s",
		    uv_strerror(rc));
		links_close(l, uv_strerror(rc));
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct sluiced *d = server->data;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	struct peer *p;
	struct link *l;

	if (status < 0)
		return;
	l = link_new(d, false);
	if (l == NULL) {
		/*
		 * Accept and drop it all the same: a connection left pending
		 * would stop libuv from ever polling the listener again.
		 */
		uv_tcp_t *tmp = malloc(sizeof(*tmp));

		if (tmp != NULL) {
			uv_tcp_init(d->loop, tmp);
			uv_accept(server, (uv_stream_t *)tmp);
			uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
		}
		return;
	}
	d->link_stats.accepted++;
	if (uv_accept(server, (uv_stream_t *)&l->tcp) != 0 ||
	    uv_tcp_getpeername(&l->tcp, (struct sockaddr *)&ss, &sl) != 0) {
		links_close(l, "accept failed");
		return;
	}
	if (ss.ss_family == AF_INET) {
		l->remote.family = AF_INET;
		l->remote.u.v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	} else {
		l->remote.family = AF_INET6;
		l->remote.u.v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	}
	/* Cheap first filter: only addresses of managed nodes get a hello. */
	p = peers_find_addr(d, &l->remote);
	if (p == NULL || !p->managed) {
		refuse(l, &d->link_stats.refused_unknown,
		    "not the address of a managed node of the cluster manifest");
		return;
	}
	/*
	 * Anyone on a node (a pod behind SNAT, later) can open connections
	 * from its address: bound what those who have not authenticated hold.
	 */
	{
		unsigned int all = 0, same = 0;

		for (struct link *o = d->links; o; o = o->next) {
			if (o == l || o->authed || o->dialer || o->closing)
				continue;
			all++;
			same += sluice_addr_eq(&o->remote, &l->remote);
		}
		if (all >= LINKS_MAX_PENDING || same >= LINKS_MAX_PENDING_PER_ADDR) {
			refuse(l, &d->link_stats.refused_limit,
			    "too many unauthenticated connections (%u from this address)",
			    same);
			return;
		}
	}
	start(l);
}

static void
on_tick(uv_timer_t *t)
{
	struct sluiced *d = t->data;
	uint64_t now = uv_now(d->loop);
	struct link *l, *next;

	/* What links_peers_moved() forgot, now that the table is whole. */
	endpoints_notify();
	if (endpoints_pending && now >= endpoints_next_ms)
		announce_endpoints_now(d);
	for (l = d->links; l; l = next) {
		next = l->next;
		if (!l->authed && now - l->opened_ms > d->cfg.dead_interval_ms) {
			d->link_stats.timeouts++;
			if (l->peer)
				snprintf(l->peer->last_error,
				    sizeof(l->peer->last_error),
				    "no authentication within %u ms",
				    d->cfg.dead_interval_ms);
			links_close(l, "handshake timed out");
			continue;
		}
		if (l->authed && now - l->last_tx_ms >= d->cfg.keepalive_ms &&
		    send_keepalive(l) != 0)
			links_close(l, "cannot send a keepalive");
	}
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = &d->peers[i];

		if (!p->managed)
			continue;
		if (p->state == PEER_UP &&
		    now - p->last_rx_ms > d->cfg.dead_interval_ms) {
			char why[96];

			snprintf(why, sizeof(why), "no frame for %llu ms",
			    (unsigned long long)(now - p->last_rx_ms));
			if (p->link)
				links_close(p->link, why);
			peer_set_state(d, p, PEER_DOWN, why);
		} else if (p->state == PEER_GRACE && now >= d->grace_until_ms) {
			peer_set_state(d, p, PEER_DOWN,
			    "no control link since start");
		}
		if (!d->have_key || p->link != NULL ||
		    strcmp(d->cfg.node_name, p->name) > 0 ||
		    now < p->next_dial_ms)
			continue;
		/* Not while an attempt is in flight. */
		for (l = d->links; l; l = l->next)
			if (l->peer == p && l->dialer)
				break;
		if (l == NULL)
			dial(d, p);
	}
}

int
links_start(struct sluiced *d, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int rc;

	uv_timer_init(d->loop, &d->link_timer);
	d->link_timer.data = d;
	uv_timer_start(&d->link_timer, on_tick, TICK_MS, TICK_MS);
	if (!d->have_key)
		return 0;
	sockaddr_of(&d->cfg.underlay_addr, d->cfg.control_port, &ss);
	uv_tcp_init(d->loop, &d->link_listener);
	d->link_listener.data = d;
	d->listening = true;
	if ((rc = uv_tcp_bind(&d->link_listener, (struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&d->link_listener, 64,
	    on_connection)) != 0) {
		snprintf(err, errlen,
		    "cannot listen for control links on %s port %u: %s",
		    d->cfg.underlay_addr_str, d->cfg.control_port,
		    uv_strerror(rc));
		return rc;
	}
	return 0;
}

void
links_stop(struct sluiced *d)
{
	while (d->links)
		links_close(d->links, "stopping");
	uv_timer_stop(&d->link_timer);
	uv_close((uv_handle_t *)&d->link_timer, NULL);
	if (d->listening)
		uv_close((uv_handle_t *)&d->link_listener, NULL);
	d->listening = false;
}
