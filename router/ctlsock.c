#include "router/ctlsock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/log.h"
#include "common/mp.h"

/* Bytes of unread replies after which a client counts as not reading. */
#define MAX_PENDING_WRITE (2 * CTL_MAX_RESPONSE)

struct ctlsock_call {
	struct client *c;		/* NULL once the client is gone */
	struct ctlsock_call *next, *prev;	/* in c->calls */
	struct ctl_request req;
	uint8_t *payload;		/* req points into it */
};

struct client {
	struct ctlsock *cs;
	struct ctlsock_call *calls;	/* deferred, waiting */
	unsigned int ncalls;
	uv_pipe_t pipe;
	uv_timer_t idle;
	struct frame_reader fr;
	int open_handles;
	bool closing;
	struct client *next, *prev;
	char rbuf[16384];
};

struct ctlsock {
	uv_loop_t *loop;
	uv_pipe_t listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct ctlsock_op *ops;
	void *arg;
	struct client *clients;
	struct ctlsock_stats st;
	bool destroyed;
	int open_handles;	/* listener + clients not yet freed */
};

struct wreq {
	uv_write_t req;
	msgpack_sbuffer sb;
};

static struct log_ratelimit bad_rl = LOG_RATELIMIT_INIT(5000, 10);

/* The request an op is handling, for ctlsock_defer() (loop thread). */
static struct {
	struct client *c;
	const uint8_t *payload;
	size_t len;
	struct ctlsock_call *call;	/* set inside ctlsock_call_run() */
} cur;

static void
maybe_free_server(struct ctlsock *cs)
{
	if (cs->destroyed && cs->open_handles == 0)
		free(cs);
}

static void
on_client_handle_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	struct ctlsock *cs = c->cs;

	if (--c->open_handles > 0)
		return;
	frame_reader_free(&c->fr);
	free(c);
	cs->open_handles--;
	maybe_free_server(cs);
}

static void
client_close(struct client *c)
{
	struct ctlsock *cs = c->cs;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cs->st.clients--;
	for (struct ctlsock_call *k = c->calls; k; k = k->next)
		k->c = NULL;	/* their holders free them */
	c->calls = NULL;
	c->ncalls = 0;
	uv_timer_stop(&c->idle);
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_close((uv_handle_t *)&c->idle, on_client_handle_closed);
	uv_close((uv_handle_t *)&c->pipe, on_client_handle_closed);
}

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	msgpack_sbuffer_destroy(&w->sb);
	free(w);
}

/* Takes ownership of sb's data. Returns 0 or a negative errno. */
static int
client_send(struct client *c, msgpack_sbuffer *sb)
{
	struct wreq *w;
	uv_buf_t bufs[2];
	uint8_t *hdr;
	int rc;

	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    MAX_PENDING_WRITE) {
		msgpack_sbuffer_destroy(sb);
		return -ENOBUFS;
	}
	w = malloc(sizeof(*w) + FRAME_HDR_LEN);
	if (w == NULL) {
		msgpack_sbuffer_destroy(sb);
		return -ENOMEM;
	}
	w->sb = *sb;
	hdr = (uint8_t *)(w + 1);
	frame_header_put(hdr, (uint32_t)w->sb.size);
	bufs[0] = uv_buf_init((char *)hdr, FRAME_HDR_LEN);
	bufs[1] = uv_buf_init(w->sb.data, (unsigned int)w->sb.size);
	rc = uv_write(&w->req, (uv_stream_t *)&c->pipe, bufs, 2, on_written);
	if (rc != 0) {
		msgpack_sbuffer_destroy(&w->sb);
		free(w);
	}
	return rc;
}

static int
send_error(struct client *c, const struct ctl_request *req, const char *msg)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	c->cs->st.bad_requests++;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ctl_reply_error(&pk, req, msg);
	return client_send(c, &sb);
}

static const struct ctlsock_op *
find_op(const struct ctlsock *cs, const char *name)
{
	for (const struct ctlsock_op *op = cs->ops; op->name; op++)
		if (strcmp(op->name, name) == 0)
			return op;
	return NULL;
}

/*
 * Runs op for req and sends its answer; CTLSOCK_DEFERRED sends nothing.
 * Returns 0, CTLSOCK_DEFERRED, or < 0 if a reply could not be queued.
 */
static int
answer(struct client *c, const struct ctl_request *req, ctlsock_op_fn fn,
    void *arg)
{
	struct ctlsock *cs = c->cs;
	msgpack_sbuffer res, out;
	msgpack_packer pk;
	char err[256];
	int rc;

	msgpack_sbuffer_init(&res);
	msgpack_packer_init(&pk, &res, msgpack_sbuffer_write);
	err[0] = '\0';
	rc = fn(arg, req, &pk, err, sizeof(err));
	if (rc == CTLSOCK_DEFERRED) {
		msgpack_sbuffer_destroy(&res);
		return rc;
	}
	if (rc == 0 && res.size > CTL_MAX_RESPONSE - 64) {
		snprintf(err, sizeof(err), "reply too large (%zu bytes)",
		    res.size);
		rc = -EMSGSIZE;
	}
	if (rc != 0) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%s", strerror(-rc));
		msgpack_sbuffer_destroy(&res);
		return send_error(c, req, err);
	}
	msgpack_sbuffer_init(&out);
	msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
	ctl_reply_ok_begin(&pk, req);
	msgpack_sbuffer_write(&out, res.data, res.size);
	msgpack_sbuffer_destroy(&res);
	cs->st.requests++;
	return client_send(c, &out);
}

/* One complete frame. Returning < 0 closes the connection. */
static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct client *c = arg;
	struct ctlsock *cs = c->cs;
	const struct ctlsock_op *op;
	struct ctl_request req;
	char err[256];
	int rc;

	rc = ctl_request_parse(&req, payload, len, err, sizeof(err));
	if (rc != 0) {
		if (log_ratelimit_ok(&bad_rl))
			log_debug("status socket: bad request: %s", err);
		rc = send_error(c, &req, err);
		ctl_request_free(&req);
		return rc;
	}
	op = find_op(cs, req.op);
	if (op == NULL) {
		snprintf(err, sizeof(err), "unknown op \"%s\"", req.op);
		rc = send_error(c, &req, err);
		ctl_request_free(&req);
		return rc;
	}
	cur.c = c;
	cur.payload = payload;
	cur.len = len;
	rc = answer(c, &req, op->fn, cs->arg);
	cur.c = NULL;
	ctl_request_free(&req);
	return rc == CTLSOCK_DEFERRED ? 0 : rc;
}

struct ctlsock_call *
ctlsock_defer(const struct ctl_request *req)
{
	struct ctlsock_call *call;
	struct client *c = cur.c;
	char err[64];

	(void)req;
	if (cur.call != NULL)
		return cur.call;
	if (c == NULL || c->ncalls >= CTLSOCK_MAX_DEFERRED)
		return NULL;
	call = calloc(1, sizeof(*call));
	if (call == NULL)
		return NULL;
	call->payload = malloc(cur.len ? cur.len : 1);
	if (call->payload == NULL) {
		free(call);
		return NULL;
	}
	memcpy(call->payload, cur.payload, cur.len);
	/* It parsed once; the copy parses the same. */
	if (ctl_request_parse(&call->req, call->payload, cur.len, err,
	    sizeof(err)) != 0) {
		ctl_request_free(&call->req);
		free(call->payload);
		free(call);
		return NULL;
	}
	call->c = c;
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	c->ncalls++;
	return call;
}

const struct ctl_request *
ctlsock_call_request(const struct ctlsock_call *call)
{
	return &call->req;
}

bool
ctlsock_call_orphaned(const struct ctlsock_call *call)
{
	return call->c == NULL;
}

void
ctlsock_call_drop(struct ctlsock_call *call)
{
	struct client *c;

	if (call == NULL)
		return;
	if ((c = call->c) != NULL) {
		if (call->prev)
			call->prev->next = call->next;
		else
			c->calls = call->next;
		if (call->next)
			call->next->prev = call->prev;
		c->ncalls--;
		if (c->ncalls == 0 && !c->closing)
			uv_timer_again(&c->idle);
	}
	ctl_request_free(&call->req);
	free(call->payload);
	free(call);
}

void
ctlsock_call_run(struct ctlsock_call *call, ctlsock_op_fn fn, void *arg)
{
	struct client *c = call->c;
	int rc;

	if (c == NULL) {
		ctlsock_call_drop(call);
		return;
	}
	cur.call = call;
	rc = answer(c, &call->req, fn, arg);
	cur.call = NULL;
	if (rc == CTLSOCK_DEFERRED)
		return;
	c->cs->st.deferred++;
	ctlsock_call_drop(call);
	if (rc < 0) {
		c->cs->st.dropped++;
		client_close(c);
	}
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;

	/* One read is outstanding per stream, so one buffer per client. */
	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct client *c = req->handle->data;

	free(req);
	client_close(c);
}

/* Closes once queued replies (an error reply, typically) are written. */
static void
client_close_after_write(struct client *c)
{
	uv_shutdown_t *req = malloc(sizeof(*req));

	uv_read_stop((uv_stream_t *)&c->pipe);
	if (req == NULL ||
	    uv_shutdown(req, (uv_stream_t *)&c->pipe, on_shutdown) != 0) {
		free(req);
		client_close(c);
	}
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c = s->data;
	int rc;

	if (nread == 0)
		return;
	if (nread < 0) {
		/* EOF mid-frame is a truncated request: nothing to answer. */
		client_close(c);
		return;
	}
	uv_timer_again(&c->idle);
	rc = frame_reader_feed(&c->fr, (const uint8_t *)buf->base,
	    (size_t)nread, on_frame, c);
	if (rc == -EMSGSIZE) {
		char msg[96];

		snprintf(msg, sizeof(msg),
		    "request larger than %u bytes; closing the connection",
		    CTL_MAX_REQUEST);
		c->cs->st.dropped++;
		if (send_error(c, NULL, msg) == 0)
			client_close_after_write(c);
		else
			client_close(c);
	} else if (rc < 0) {
		/* A reply could not be queued: the client is not reading. */
		c->cs->st.dropped++;
		client_close(c);
	}
}

static void
on_idle(uv_timer_t *t)
{
	struct client *c = t->data;

	if (c->ncalls > 0)
		return;	/* waiting on us, not idle */
	c->cs->st.dropped++;
	log_debug("status socket: closing a client idle for %d ms",
	    CTLSOCK_IDLE_MS);
	client_close(c);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct ctlsock *cs = server->data;
	struct client *c;

	if (status < 0) {
		log_warnx("status socket: accept: %s", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || frame_reader_init(&c->fr, CTL_MAX_REQUEST) != 0) {
		free(c);
		c = NULL;
	}
	if (c == NULL || cs->st.clients >= CTLSOCK_MAX_CLIENTS) {
		/* Accept and close at once, so the backlog does not fill up. */
		uv_pipe_t *tmp = malloc(sizeof(*tmp));

		if (c) {
			frame_reader_free(&c->fr);
			free(c);
		}
		cs->st.refused++;
		if (tmp == NULL)
			return;
		uv_pipe_init(cs->loop, tmp, 0);
		if (uv_accept(server, (uv_stream_t *)tmp) == 0)
			log_debug("status socket: too many clients, refusing one");
		uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
		return;
	}
	c->cs = cs;
	uv_pipe_init(cs->loop, &c->pipe, 0);
	uv_timer_init(cs->loop, &c->idle);
	c->pipe.data = c;
	c->idle.data = c;
	c->open_handles = 2;
	cs->open_handles++;
	c->next = cs->clients;
	if (cs->clients)
		cs->clients->prev = c;
	cs->clients = c;
	cs->st.clients++;
	cs->st.connections++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, CTLSOCK_IDLE_MS, CTLSOCK_IDLE_MS);
}

static int
mkparent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Returns true if something accepts connections on path. */
static bool
socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ok;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int
ctlsock_new(struct ctlsock **out, uv_loop_t *loop, const char *path,
    mode_t mode, gid_t gid, const struct ctlsock_op *ops, void *arg,
    char *err, size_t errlen)
{
	struct ctlsock *cs;
	struct stat st;
	int rc;

	*out = NULL;
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return -ENOMEM;
	cs->loop = loop;
	cs->ops = ops;
	cs->arg = arg;
	snprintf(cs->path, sizeof(cs->path), "%s", path);

	if ((rc = mkparent(path)) != 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
		    path, strerror(-rc));
		goto err_free;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
			    "%s exists and is not a socket; refusing to replace it",
			    path);
			rc = -EEXIST;
			goto err_free;
		}
		if (socket_alive(path)) {
			snprintf(err, errlen,
			    "another daemon is answering on %s", path);
			rc = -EADDRINUSE;
			goto err_free;
		}
		unlink(path);	/* stale, left by a daemon that died */
	}
	uv_pipe_init(loop, &cs->listener, 0);
	cs->listener.data = cs;
	cs->open_handles = 1;
	if ((rc = uv_pipe_bind(&cs->listener, path)) != 0) {
		snprintf(err, errlen, "cannot bind %s: %s", path,
		    uv_strerror(rc));
		goto err_close;
	}
	if (chmod(path, mode) != 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0)) {
		rc = -errno;
		snprintf(err, errlen, "cannot set the mode or group of %s: %s",
		    path, strerror(errno));
		goto err_unlink;
	}
	if ((rc = uv_listen((uv_stream_t *)&cs->listener, 128,
	    on_connection)) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path,
		    uv_strerror(rc));
		goto err_unlink;
	}
	*out = cs;
	return 0;

err_unlink:
	unlink(path);
err_close:
	/* The handle is closed by the loop; free when it has. */
	cs->destroyed = true;
	uv_close((uv_handle_t *)&cs->listener, NULL);
	cs->open_handles = 0;
	uv_run(loop, UV_RUN_NOWAIT);
err_free:
	free(cs);
	return rc;
}

static void
on_listener_closed(uv_handle_t *h)
{
	struct ctlsock *cs = h->data;

	cs->open_handles--;
	maybe_free_server(cs);
}

void
ctlsock_destroy(struct ctlsock *cs)
{
	if (cs == NULL)
		return;
	cs->destroyed = true;
	while (cs->clients)
		client_close(cs->clients);
	uv_close((uv_handle_t *)&cs->listener, on_listener_closed);
	unlink(cs->path);
}

void
ctlsock_stats_get(const struct ctlsock *cs, struct ctlsock_stats *st)
{
	*st = cs->st;
}
