#include "router/worker.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "router/pipeline.h"

#define BATCH 32		/* packets per fd per wake-up, for fairness */
#define SCRATCH 1500		/* ICMP errors are at most 576/1280 bytes */

struct worker {
	pthread_t th;
	int tun_fd, udp_fd, stop_fd;
	_Atomic(struct dp_snapshot *) *snap;
	_Atomic uint64_t seen_gen;
	struct pkt_pool *pool;
	uint32_t buf_size;
	struct dp_stats st;
	/* Batch state, reused for every batch. */
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	uint8_t scratch[SCRATCH];
};

static struct log_ratelimit io_rl = LOG_RATELIMIT_INIT(5000, 5);

static void
to_tun(struct worker *w, const void *buf, size_t len)
{
	if (write(w->tun_fd, buf, len) == (ssize_t)len) {
		dp_count(&w->st, DP_TUN_TX, 1);
	} else {
		dp_count(&w->st, DP_DROP_TUN_WRITE, 1);
		if (log_ratelimit_ok(&io_rl))
			log_warn("tun write of %zu bytes", len);
	}
}

/* Carries out a verdict other than VERDICT_TO_PEER. */
static void
act(struct worker *w, struct pkt *p, const struct pipeline_result *r)
{
	switch (r->verdict) {
	case VERDICT_TO_PEER:
		/* from_tun() batches these; no other path makes them. */
		break;
	case VERDICT_TO_TUN:
		to_tun(w, p->data, p->len);
		break;
	case VERDICT_REPLY:
		dp_count(&w->st, r->drop, 1);
		dp_count(&w->st, DP_ICMP_SENT, 1);
		to_tun(w, w->scratch, r->reply_len);
		break;
	case VERDICT_DROP:
		dp_count(&w->st, r->drop, 1);
		break;
	}
}

/*
 * TUN -> peers: read up to BATCH packets one by one (a TUN without
 * offloads has no batch read), run each through inside.c, and send what
 * goes to peers with one sendmmsg().
 */
static void
from_tun(struct worker *w, const struct dp_snapshot *s)
{
	struct pipeline_result r;
	struct pkt *out[BATCH];
	int nout = 0, sent = 0;

	for (int i = 0; i < BATCH; i++) {
		struct pkt *p = pkt_get(w->pool);
		ssize_t n;

		if (p == NULL) {
			dp_count(&w->st, DP_DROP_NO_BUFFER, 1);
			break;
		}
		n = read(w->tun_fd, p->data, w->buf_size);
		if (n <= 0) {
			pkt_put(p);
			break;
		}
		p->len = (uint32_t)n;
		dp_count(&w->st, DP_TUN_RX, 1);
		dp_count(&w->st, DP_TUN_RX_BYTES, (uint64_t)n);
		inside_process(s, p, w->scratch, sizeof(w->scratch), &r);
		if (r.verdict == VERDICT_TO_PEER) {
			dp_count(&w->st, DP_FWD_PEER, 1);
			w->iov[nout] = (struct iovec){ p->data, p->len };
			w->msg[nout].msg_hdr = (struct msghdr){
				.msg_name = (void *)&r.peer->sa,
				.msg_namelen = r.peer->salen,
				.msg_iov = &w->iov[nout],
				.msg_iovlen = 1,
			};
			out[nout++] = p;
			continue;
		}
		if (r.verdict == VERDICT_TO_TUN)
			dp_count(&w->st, DP_FWD_LOCAL, 1);
		act(w, p, &r);
		pkt_put(p);
	}
	/*
	 * The peer addresses point into the snapshot, which stays valid
	 * until this batch is done (the loop frees it only once seen_gen
	 * has moved past it).
	 */
	while (sent < nout) {
		int k = sendmmsg(w->udp_fd, w->msg + sent,
		    (unsigned int)(nout - sent), MSG_DONTWAIT);

		if (k <= 0) {
			dp_count(&w->st, DP_DROP_UDP_SEND, (uint64_t)(nout - sent));
			if (log_ratelimit_ok(&io_rl))
				log_warn("sendmmsg of %d datagrams", nout - sent);
			break;
		}
		for (int j = sent; j < sent + k; j++)
			dp_count(&w->st, DP_UDP_TX_BYTES, out[j]->len);
		dp_count(&w->st, DP_UDP_TX, (uint64_t)k);
		sent += k;
	}
	for (int j = 0; j < nout; j++)
		pkt_put(out[j]);
}

/* Peers -> TUN: one recvmmsg() for up to BATCH datagrams. */
static void
from_udp(struct worker *w, const struct dp_snapshot *s)
{
	struct pipeline_result r;
	struct pkt *in[BATCH];
	int n = 0, got;

	for (; n < BATCH; n++) {
		in[n] = pkt_get(w->pool);
		if (in[n] == NULL) {
			dp_count(&w->st, DP_DROP_NO_BUFFER, 1);
			break;
		}
		w->iov[n] = (struct iovec){ in[n]->data, w->buf_size };
		w->msg[n].msg_hdr = (struct msghdr){
			.msg_name = &w->from[n],
			.msg_namelen = sizeof(w->from[n]),
			.msg_iov = &w->iov[n],
			.msg_iovlen = 1,
		};
	}
	got = n > 0 ? recvmmsg(w->udp_fd, w->msg, (unsigned int)n,
	    MSG_DONTWAIT, NULL) : 0;
	for (int i = 0; i < got; i++) {
		struct pkt *p = in[i];
		struct sockaddr_storage *ss = &w->from[i];
		struct sluice_addr src;

		p->len = w->msg[i].msg_len;
		dp_count(&w->st, DP_UDP_RX, 1);
		memset(&src, 0, sizeof(src));
		if (ss->ss_family == AF_INET) {
			src.family = AF_INET;
			src.u.v4 = ((struct sockaddr_in *)ss)->sin_addr;
		} else if (ss->ss_family == AF_INET6) {
			src.family = AF_INET6;
			src.u.v6 = ((struct sockaddr_in6 *)ss)->sin6_addr;
		}
		outside_process(s, p, &src, &r);
		if (r.verdict == VERDICT_TO_TUN)
			dp_count(&w->st, DP_DECAP, 1);
		act(w, p, &r);
	}
	for (int i = 0; i < n; i++)
		pkt_put(in[i]);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[3] = {
		{ w->tun_fd, POLLIN, 0 },
		{ w->udp_fd, POLLIN, 0 },
		{ w->stop_fd, POLLIN, 0 },
	};

	for (;;) {
		const struct dp_snapshot *s;
		int n = poll(pfd, 3, 200);

		if (n < 0 && errno != EINTR) {
			log_warn("worker: poll");
			break;
		}
		if (pfd[2].revents)
			break;
		/*
		 * Acquire pairs with the loop's release store: the snapshot's
		 * contents are visible before its pointer is.
		 */
		s = atomic_load_explicit(w->snap, memory_order_acquire);
		atomic_store_explicit(&w->seen_gen, s ? s->gen : 0,
		    memory_order_release);
		if (s == NULL)
			continue;
		if (n > 0 && (pfd[0].revents & POLLIN))
			from_tun(w, s);
		if (n > 0 && (pfd[1].revents & POLLIN))
			from_udp(w, s);
	}
	return NULL;
}

int
worker_start(struct worker **out, int tun_fd, int udp_fd,
    _Atomic(struct dp_snapshot *) *snap, uint32_t pool_size,
    uint32_t buf_size)
{
	struct worker *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->tun_fd = tun_fd;
	w->udp_fd = udp_fd;
	w->snap = snap;
	w->buf_size = buf_size;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->pool = pkt_pool_new(pool_size, buf_size);
	if (w->stop_fd < 0 || w->pool == NULL) {
		rc = w->stop_fd < 0 ? -errno : -ENOMEM;
		goto err;
	}
	if ((rc = pthread_create(&w->th, NULL, run, w)) != 0) {
		rc = -rc;
		goto err;
	}
	*out = w;
	return 0;
err:
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	pkt_pool_destroy(w->pool);
	free(w);
	return rc;
}

void
worker_stop(struct worker *w)
{
	uint64_t one = 1;

	if (w == NULL)
		return;
	if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("worker: cannot signal stop");
	pthread_join(w->th, NULL);
	close(w->stop_fd);
	pkt_pool_destroy(w->pool);
	free(w);
}

uint64_t
worker_seen_gen(const struct worker *w)
{
	return atomic_load_explicit(&w->seen_gen, memory_order_acquire);
}

const struct dp_stats *
worker_stats(const struct worker *w)
{
	return &w->st;
}

void
worker_pool_stats(const struct worker *w, struct pkt_pool_stats *st)
{
	/* Read racily: figures for operators, not for decisions. */
	pkt_pool_stats_get(w->pool, st);
}
