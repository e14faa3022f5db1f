#include "cli/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/frame.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
client_connect(struct client *c, const char *path, unsigned timeout_ms,
    char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc;

	c->fd = -1;
	c->timeout_ms = timeout_ms;
	c->next_id = 1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return rc;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		snprintf(err, errlen,
		    "cannot reach sluiced at %s: %s (is the daemon running? see --socket)",
		    path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	return 0;
}

void
client_close(struct client *c)
{
	if (c == NULL || c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
}

/* Moves all n bytes in the direction asked, within the deadline. */
static int
io_all(struct client *c, void *buf, size_t n, int writing, uint64_t deadline)
{
	size_t done = 0;

	while (done < n) {
		struct pollfd pfd = { c->fd, writing ? POLLOUT : POLLIN, 0 };
		uint64_t now = now_ms();
		ssize_t r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (writing)
			r = send(c->fd, (char *)buf + done, n - done,
			    MSG_NOSIGNAL);
		else
			r = recv(c->fd, (char *)buf + done, n - done, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		done += (size_t)r;
	}
	return 0;
}

int
client_call(struct client *c, const char *op, const void *args,
    size_t args_len, struct ctl_response *resp, char *err, size_t errlen)
{
	uint64_t deadline = now_ms() + c->timeout_ms;
	uint8_t hdr[FRAME_HDR_LEN];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint8_t *buf = NULL;
	uint32_t len;
	int rc;

	memset(resp, 0, sizeof(*resp));
	msgpack_unpacked_init(&resp->up);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ctl_request_begin(&pk, op, c->next_id++, args != NULL);
	if (args != NULL)
		msgpack_sbuffer_write(&sb, args, args_len);
	if (sb.size > CTL_MAX_REQUEST) {
		snprintf(err, errlen, "request too large (%zu bytes)", sb.size);
		rc = -EMSGSIZE;
		goto out;
	}
	frame_header_put(hdr, (uint32_t)sb.size);
	if ((rc = io_all(c, hdr, sizeof(hdr), 1, deadline)) != 0 ||
	    (rc = io_all(c, sb.data, sb.size, 1, deadline)) != 0) {
		snprintf(err, errlen, "sending the request: %s", strerror(-rc));
		goto out;
	}
	if ((rc = io_all(c, hdr, sizeof(hdr), 0, deadline)) != 0) {
		snprintf(err, errlen, "reading the reply: %s%s", strerror(-rc),
		    rc == -ETIMEDOUT ? " (see --timeout)" : "");
		goto out;
	}
	len = frame_header_get(hdr);
	if (len > CTL_MAX_RESPONSE) {
		snprintf(err, errlen, "reply too large (%u bytes)", len);
		rc = -EMSGSIZE;
		goto out;
	}
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = io_all(c, buf, len, 0, deadline)) != 0) {
		snprintf(err, errlen, "reading the reply: %s", strerror(-rc));
		goto out;
	}
	msgpack_unpacked_destroy(&resp->up);
	rc = ctl_response_parse(resp, buf, len, err, errlen);
	/* The result points into buf: the response owns it from here. */
	resp->owned = buf;
	buf = NULL;
out:
	free(buf);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}
