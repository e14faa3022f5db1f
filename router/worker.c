#include "router/worker.h"

#include "nat/ct.h"
#include "policy/flows.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "overlay/offload.h"
#include "overlay/vxlan.h"
#include "router/pipeline.h"

#define BATCH 32		/* TUN reads / datagrams per wake-up, for fairness */
#define SCRATCH 1500		/* ICMP errors are at most 576/1280 bytes */
/*
 * Datagrams queued for the peers before a sendmmsg(): a batch of TUN
 * reads may be 32 super-packets of ~45 segments each, so the queue is
 * flushed whenever it fills, not only at the end of the batch.
 */
#define OUT_MAX 256
/* UDP GSO: at most 64 segments and 64 KiB of UDP payload per send. */
#define GSO_MAX_SEGS 64
#define GSO_MAX_BYTES (65535 - 40 - 8)

struct worker {
	pthread_t th;
	int tun_fd, udp_fd, stop_fd;
	_Atomic(struct dp_snapshot *) *snap;
	_Atomic uint64_t seen_gen;
	struct pkt_pool *pool;
	/*
	 * Segments of TUN super-packets, each at most seg_size bytes (the
	 * TUN MTU); OUT_MAX of them are ever queued, so it never runs dry.
	 */
	struct pkt_pool *seg_pool;
	uint32_t buf_size, seg_size;
	bool udp_gso;		/* the kernel takes UDP_SEGMENT */
	bool offloads;		/* overlay.offloads: coalesce for the TUN */
	bool housekeeper;	/* expires the shared flow tables */
	struct ct_table *ct;	/* NAT flows (borrowed from the dplane) */
	uint32_t now;		/* ct clock: monotonic seconds, per wake-up */
	uint32_t expired_at;	/* last ct_expire() */
	struct dp_stats st;
	struct worker_offload_stats ost;
	struct offload_gro *gro;
	/*
	 * Queued for the peers: out[i] goes to out_peer[i] (borrowed) from
	 * socket out_fd[i].
	 */
	struct pkt *out[OUT_MAX];
	const struct dp_peer *out_peer[OUT_MAX];
	int out_fd[OUT_MAX];
	int nout;
	int src_fds[WORKER_MAX_SRC];	/* see struct worker_conf */
	unsigned int nsrc;
	/* Batch state, reused for every batch. */
	struct mmsghdr msg[OUT_MAX];
	struct iovec iov[OUT_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl[OUT_MAX];
	struct sockaddr_storage from[BATCH];
	uint8_t scratch[SCRATCH];
};

static struct log_ratelimit io_rl = LOG_RATELIMIT_INIT(5000, 5);
static struct log_ratelimit off_rl = LOG_RATELIMIT_INIT(5000, 5);

static void
to_tun_vh(struct worker *w, const struct virtio_net_hdr *vh, const void *buf,
    size_t len)
{
	struct iovec iov[2] = {
		{ (void *)vh, OFFLOAD_VNET_HLEN },
		{ (void *)buf, len },
	};

	if (writev(w->tun_fd, iov, 2) == (ssize_t)(len + OFFLOAD_VNET_HLEN)) {
		dp_count(&w->st, DP_TUN_TX, 1);
	} else {
		dp_count(&w->st, DP_DROP_TUN_WRITE, 1);
		if (log_ratelimit_ok(&io_rl))
			log_warn("tun write of %zu bytes", len);
	}
}

/* A plain packet: a zeroed virtio_net_hdr says "complete, no GSO". */
static void
to_tun(struct worker *w, const void *buf, size_t len)
{
	static const struct virtio_net_hdr plain;

	to_tun_vh(w, &plain, buf, len);
}

/* The coalescer's output: a plain packet or a super-packet. */
static void
on_gro_emit(void *ctx, const struct virtio_net_hdr *vh, const uint8_t *pkt,
    size_t len)
{
	struct worker *w = ctx;

	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		w->ost.gro_out++;
	to_tun_vh(w, vh, pkt, len);
}

static void
offload_drop(struct worker *w, enum offload_verdict v, size_t len)
{
	w->ost.drop[v]++;
	if (log_ratelimit_ok(&off_rl))
		log_debug("tun read of %zu bytes dropped: %s", len,
		    offload_drop_name(v));
}

/* Carries out a verdict other than VERDICT_TO_PEER. */
static void
act(struct worker *w, struct pkt *p, const struct pipeline_result *r)
{
	switch (r->verdict) {
	case VERDICT_TO_PEER:
		/* from_tun() queues these; no other path makes them. */
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
 * The socket a VXLAN frame leaves from: one of the source-port sockets,
 * picked by a hash of the inner packet's addresses, protocol and ports,
 * so that a flow always leaves from one port (RFC 7348 section 5: the
 * source port carries the inner flow's entropy for the underlay).
 */
static int
src_fd(const struct worker *w, const struct pkt *p)
{
	const uint8_t *ip = p->data + VXLAN_ENCAP_LEN;
	uint32_t len = p->len - VXLAN_ENCAP_LEN, h = 2166136261u, n = 0;
	uint8_t key[37], proto = 0;
	uint32_t l4 = 0;

	if (w->nsrc == 0 || p->len < VXLAN_ENCAP_LEN + 20)
		return w->udp_fd;
	if (ip[0] >> 4 == 4) {
		memcpy(key, ip + 12, 8);
		n = 8;
		proto = ip[9];
		/* Not a later fragment: its ports are in the first. */
		if ((ip[6] & 0x1f) == 0 && ip[7] == 0)
			l4 = (uint32_t)(ip[0] & 15) * 4;
	} else if (ip[0] >> 4 == 6 && len >= 40) {
		memcpy(key, ip + 8, 32);
		n = 32;
		proto = ip[6];
		l4 = 40;
	}
	key[n++] = proto;
	if (l4 != 0 && (proto == 6 || proto == 17 || proto == 132) &&
	    len >= l4 + 4) {
		memcpy(key + n, ip + l4, 4);
		n += 4;
	}
	for (uint32_t i = 0; i < n; i++)	/* FNV-1a */
		h = (h ^ key[i]) * 16777619u;
	return w->src_fds[(h ^ (h >> 16)) % w->nsrc];
}

/*
 * Builds the message for out[first..first + n): one datagram, or with
 * UDP GSO several of one size (the last may be shorter) that the kernel
 * cuts back into datagrams of that size.
 */
static void
out_msg(struct worker *w, int m, int first, int n)
{
	const struct dp_peer *peer = w->out_peer[first];
	struct msghdr *mh = &w->msg[m].msg_hdr;

	for (int j = 0; j < n; j++)
		w->iov[first + j] = (struct iovec){ w->out[first + j]->data,
		    w->out[first + j]->len };
	*mh = (struct msghdr){
		.msg_name = (void *)&peer->sa,
		.msg_namelen = peer->salen,
		.msg_iov = &w->iov[first],
		.msg_iovlen = (size_t)n,
	};
	if (n > 1) {
		struct cmsghdr *cm;
		uint16_t seg = (uint16_t)w->out[first]->len;

		mh->msg_control = w->ctrl[m].buf;
		mh->msg_controllen = CMSG_SPACE(sizeof(seg));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	}
}

/*
 * Sends messages idx[0..n) (indices into w->msg; message m holds
 * count[m] datagrams from out[first[m]]) on fd with sendmmsg(), repeated
 * while the kernel takes only part. A GSO message the kernel refuses
 * goes one datagram at a time.
 */
static void
send_group(struct worker *w, int fd, const int *idx, int n, const int *first,
    const int *count)
{
	struct mmsghdr mv[OUT_MAX];
	int sent = 0;

	for (int j = 0; j < n; j++)
		mv[j] = w->msg[idx[j]];
	while (sent < n) {
		int k = sendmmsg(fd, mv + sent, (unsigned int)(n - sent),
		    MSG_DONTWAIT);
		int m0 = idx[sent];

		if (k <= 0 && count[m0] > 1 &&
		    (errno == EINVAL || errno == EMSGSIZE || errno == EIO)) {
			/*
			 * GSO refused (a path MTU below the datagrams: the
			 * underlay fragments them instead): one by one.
			 */
			for (int j = 0; j < count[m0]; j++) {
				out_msg(w, m0, first[m0] + j, 1);
				if (sendmsg(fd, &w->msg[m0].msg_hdr,
				    MSG_DONTWAIT) < 0) {
					dp_count(&w->st, DP_DROP_UDP_SEND, 1);
					continue;
				}
				dp_count(&w->st, DP_UDP_TX, 1);
				dp_count(&w->st, DP_UDP_TX_BYTES,
				    w->out[first[m0] + j]->len);
			}
			sent++;
			continue;
		}
		if (k <= 0) {
			int lost = 0;

			for (int j = sent; j < n; j++)
				lost += count[idx[j]];
			dp_count(&w->st, DP_DROP_UDP_SEND, (uint64_t)lost);
			if (log_ratelimit_ok(&io_rl))
				log_warn("sendmmsg of %d datagrams", lost);
			break;
		}
		for (int j = sent; j < sent + k; j++) {
			int m = idx[j];

			for (int i = first[m]; i < first[m] + count[m]; i++)
				dp_count(&w->st, DP_UDP_TX_BYTES, w->out[i]->len);
			dp_count(&w->st, DP_UDP_TX, (uint64_t)count[m]);
		}
		sent += k;
	}
}

/*
 * Sends the queue: runs of datagrams to one peer from one socket with one
 * size go as one UDP GSO message, and each socket's messages in one
 * sendmmsg() (a flow always uses one socket, so its order holds). The
 * peer addresses point into the snapshot, which stays valid until this
 * batch is done (the loop frees it only once seen_gen has moved past it).
 */
static void
flush_out(struct worker *w)
{
	int first[OUT_MAX], count[OUT_MAX], idx[OUT_MAX];
	bool done[OUT_MAX];
	int nmsg = 0;

	for (int i = 0; i < w->nout;) {
		int n = 1;
		uint32_t size = w->out[i]->len, bytes = size;

		while (w->udp_gso && i + n < w->nout && n < GSO_MAX_SEGS &&
		    w->out_peer[i + n] == w->out_peer[i] &&
		    w->out_fd[i + n] == w->out_fd[i] &&
		    w->out[i + n]->len <= size &&
		    bytes + w->out[i + n]->len <= GSO_MAX_BYTES) {
			bytes += w->out[i + n]->len;
			/* A shorter datagram ends the run. */
			if (w->out[i + n++]->len < size)
				break;
		}
		first[nmsg] = i;
		count[nmsg] = n;
		done[nmsg] = false;
		out_msg(w, nmsg++, i, n);
		i += n;
	}
	/* One sendmmsg() per socket, in the order the sockets came up. */
	for (int m = 0; m < nmsg; m++) {
		int fd = w->out_fd[first[m]], n = 0;

		if (done[m])
			continue;
		for (int j = m; j < nmsg; j++) {
			if (!done[j] && w->out_fd[first[j]] == fd) {
				idx[n++] = j;
				done[j] = true;
			}
		}
		send_group(w, fd, idx, n, first, count);
	}
	for (int j = 0; j < w->nout; j++)
		pkt_put(w->out[j]);
	w->nout = 0;
}

/* One packet from the TUN (whole, or a segment) through inside.c. */
static void
inside(struct worker *w, const struct dp_snapshot *s, struct pkt *p)
{
	struct pipeline_result r;

	dp_count(&w->st, DP_TUN_RX, 1);
	dp_count(&w->st, DP_TUN_RX_BYTES, p->len);
	inside_process(s, w->ct, w->now, p, w->scratch, sizeof(w->scratch),
	    &r);
	if (r.counted)
		dp_count(&w->st, r.count, 1);
	if (r.counted2)
		dp_count(&w->st, r.count2, 1);
	if (r.verdict == VERDICT_TO_PEER) {
		dp_count(&w->st, DP_FWD_PEER, 1);
		if (w->nout == OUT_MAX)
			flush_out(w);
		w->out_peer[w->nout] = r.peer;
		w->out_fd[w->nout] = src_fd(w, p);
		w->out[w->nout++] = p;
		return;
	}
	if (r.verdict == VERDICT_TO_TUN)
		dp_count(&w->st, DP_FWD_LOCAL, 1);
	act(w, p, &r);
	pkt_put(p);
}

/*
 * A TSO super-packet: cut into segments, each its own packet through
 * inside.c (route, MTU check, encapsulation), as if the pod had sent them
 * one by one.
 */
static void
segment(struct worker *w, const struct dp_snapshot *s,
    const struct offload_tso *t, uint8_t marks)
{
	for (uint32_t i = 0; i < t->nseg; i++) {
		uint32_t len = offload_tso_seg_len(t, i);
		struct pkt *q;

		/* Queued segments are what holds seg_pool's buffers. */
		if (w->nout == OUT_MAX)
			flush_out(w);
		q = len <= w->seg_size ? pkt_get(w->seg_pool) :
		    pkt_get(w->pool);
		if (q == NULL) {
			dp_count(&w->st, DP_DROP_NO_BUFFER, 1);
			continue;
		}
		q->len = offload_tso_segment(t, i, q->data,
		    q->size - pkt_headroom(q));
		if (q->len == 0) {	/* cannot happen: sized above */
			pkt_put(q);
			dp_count(&w->st, DP_DROP_NO_BUFFER, 1);
			continue;
		}
		q->marks = marks;
		inside(w, s, q);
	}
	w->ost.gso_in++;
	w->ost.gso_segs += t->nseg;
}

/*
 * A super-packet's flow judged once for all its segments
 * (inside_judge_whole()): false if policy denies it (dropped and counted
 * here); else *marks tells the segments whether to skip the lookup.
 */
static bool
judge_whole(struct worker *w, const struct dp_snapshot *s,
    const struct pkt *p, uint8_t *marks)
{
	struct pipeline_result r;
	bool judged;

	*marks = 0;
	if (!inside_judge_whole(s, w->now, p, &r, &judged)) {
		dp_count(&w->st, DP_TUN_RX, 1);
		dp_count(&w->st, r.drop, 1);
		return false;
	}
	if (judged)
		*marks = PKT_MARK_JUDGED;
	return true;
}

/*
 * TUN -> peers: read up to BATCH packets one by one (a TUN has no batch
 * read, but with TSO one read may be 64 KiB of TCP), run each packet or
 * segment through inside.c, and send what goes to peers with sendmmsg(),
 * UDP GSO where datagrams line up.
 */
static void
from_tun(struct worker *w, const struct dp_snapshot *s)
{
	for (int i = 0; i < BATCH; i++) {
		struct pkt *p = pkt_get(w->pool);
		struct virtio_net_hdr vh;
		struct offload_tso t;
		enum offload_verdict v;
		ssize_t n;

		if (p == NULL) {
			dp_count(&w->st, DP_DROP_NO_BUFFER, 1);
			break;
		}
		/* The header lands in the headroom, the packet at data. */
		n = read(w->tun_fd, p->data - OFFLOAD_VNET_HLEN,
		    OFFLOAD_VNET_HLEN + w->buf_size);
		if (n < (ssize_t)OFFLOAD_VNET_HLEN) {
			pkt_put(p);
			break;
		}
		memcpy(&vh, p->data - OFFLOAD_VNET_HLEN, sizeof(vh));
		p->len = (uint32_t)(n - (ssize_t)OFFLOAD_VNET_HLEN);
		if (offload_is_gso(&vh)) {
			struct pipeline_result r;
			uint8_t marks = 0;

			/* Back to the kernel: whole, translated once. */
			if ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
			    inside_whole(s, w->ct, w->now, p, &r)) {
				dp_count(&w->st, DP_TUN_RX, 1);
				dp_count(&w->st, DP_TUN_RX_BYTES, p->len);
				dp_count(&w->st, DP_FWD_LOCAL, 1);
				if (r.counted)
					dp_count(&w->st, r.count, 1);
				w->ost.gso_whole++;
				to_tun_vh(w, &vh, p->data, p->len);
				pkt_put(p);
				continue;
			}
			v = offload_tso_parse(&vh, p->data, p->len, &t);
			if (v == OFFLOAD_OK && !judge_whole(w, s, p, &marks))
				;	/* denied: dropped whole, counted */
			else if (v == OFFLOAD_OK)
				segment(w, s, &t, marks);
			else
				offload_drop(w, v, p->len);
			pkt_put(p);
			continue;
		}
		v = offload_csum_complete(&vh, p->data, p->len);
		if (v != OFFLOAD_OK) {
			offload_drop(w, v, p->len);
			pkt_put(p);
			continue;
		}
		inside(w, s, p);
	}
	if (w->nout > 0)
		flush_out(w);
}

/* The UDP_GRO segment size of a received message, or 0. */
static int
gro_size(const struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL;
	    cm = CMSG_NXTHDR((struct msghdr *)mh, cm)) {
		int v;

		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(v))) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			return v;
		}
	}
	return 0;
}

/*
 * Peers -> TUN: one recvmmsg() for up to BATCH datagrams (each may be
 * several the kernel joined with UDP GRO), each datagram through
 * outside.c, and the decapsulated packets through the coalescer, which
 * writes runs of one TCP flow as one super-packet.
 */
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
			.msg_control = w->ctrl[n].buf,
			.msg_controllen = sizeof(w->ctrl[n].buf),
		};
	}
	got = n > 0 ? recvmmsg(w->udp_fd, w->msg, (unsigned int)n,
	    MSG_DONTWAIT, NULL) : 0;
	for (int i = 0; i < got; i++) {
		struct sockaddr_storage *ss = &w->from[i];
		uint32_t len = w->msg[i].msg_len, step;
		int gso = gro_size(&w->msg[i].msg_hdr);
		struct sluice_addr src;

		memset(&src, 0, sizeof(src));
		if (ss->ss_family == AF_INET) {
			src.family = AF_INET;
			src.u.v4 = ((struct sockaddr_in *)ss)->sin_addr;
		} else if (ss->ss_family == AF_INET6) {
			src.family = AF_INET6;
			src.u.v6 = ((struct sockaddr_in6 *)ss)->sin6_addr;
		}
		step = gso > 0 && (uint32_t)gso < len ? (uint32_t)gso : len;
		for (uint32_t off = 0; off < len; off += step) {
			/*
			 * A view of one datagram inside the buffer: decap
			 * only moves data forward and trims, and the view
			 * lives until the coalescer has copied or written
			 * the packet.
			 */
			struct pkt v = {
				.data = in[i]->data + off,
				.len = len - off < step ? len - off : step,
				.buf = in[i]->data + off,
				.pool = in[i]->pool,
			};

			v.size = v.len;
			dp_count(&w->st, DP_UDP_RX, 1);
			outside_process(s, w->ct, w->now, &v, &src, &r);
			if (r.counted)
				dp_count(&w->st, r.count, 1);
			if (r.counted2)
				dp_count(&w->st, r.count2, 1);
			if (r.verdict == VERDICT_TO_TUN && w->offloads) {
				dp_count(&w->st, DP_DECAP, 1);
				offload_gro_add(w->gro, v.data, v.len,
				    on_gro_emit, w);
				continue;
			}
			if (r.verdict == VERDICT_TO_TUN)
				dp_count(&w->st, DP_DECAP, 1);
			act(w, &v, &r);
		}
	}
	offload_gro_flush(w->gro, on_gro_emit, w);
	for (int i = 0; i < n; i++)
		pkt_put(in[i]);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	/* Stop first: until a snapshot exists only it is polled. */
	struct pollfd pfd[3] = {
		{ w->stop_fd, POLLIN, 0 },
		{ w->tun_fd, POLLIN, 0 },
		{ w->udp_fd, POLLIN, 0 },
	};

	for (;;) {
		/*
		 * Acquire pairs with the loop's release store: the snapshot's
		 * contents are visible before its pointer is.
		 */
		const struct dp_snapshot *s =
		    atomic_load_explicit(w->snap, memory_order_acquire);
		int n;

		/*
		 * Without a snapshot there is nowhere to send anything: leave
		 * the packets queued rather than spin on readable fds.
		 */
		n = poll(pfd, s ? 3 : 1, 200);
		if (n < 0 && errno != EINTR) {
			log_warn("worker: poll");
			break;
		}
		if (n > 0 && pfd[0].revents)
			break;
		/*
		 * The newest snapshot, read after the wait: routes may have
		 * changed while we slept, and the first packets after a change
		 * must already follow it.
		 */
		s = atomic_load_explicit(w->snap, memory_order_acquire);
		atomic_store_explicit(&w->seen_gen, s ? s->gen : 0,
		    memory_order_release);
		w->now = ct_clock();
		if (w->housekeeper && w->now != w->expired_at) {
			if (w->ct != NULL)
				ct_expire(w->ct, w->now);
			if (s != NULL && s->pf != NULL)
				pf_expire(s->pf, w->now);
			if (s != NULL && s->egw_flows != NULL)
				pf_expire(s->egw_flows, w->now);
			w->expired_at = w->now;
		}
		if (s == NULL || n <= 0)
			continue;
		if (pfd[1].revents & POLLIN)
			from_tun(w, s);
		if (pfd[2].revents & POLLIN)
			from_udp(w, s);
	}
	return NULL;
}

int
worker_start(struct worker **out, const struct worker_conf *c)
{
	struct worker *w;
	socklen_t sl = sizeof(int);
	int rc, seg;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->tun_fd = c->tun_fd;
	w->udp_fd = c->udp_fd;
	w->snap = c->snap;
	w->ct = c->ct;
	w->offloads = c->offloads;
	w->housekeeper = c->housekeeper;
	w->nsrc = c->nsrc < WORKER_MAX_SRC ? c->nsrc : WORKER_MAX_SRC;
	for (unsigned int i = 0; i < w->nsrc; i++)
		w->src_fds[i] = c->src_fds[i];
	w->buf_size = c->buf_size;
	w->seg_size = c->seg_size;
	/* A kernel that knows UDP_SEGMENT answers for it (4.18+). */
	w->udp_gso = c->offloads &&
	    getsockopt(c->udp_fd, SOL_UDP, UDP_SEGMENT, &seg, &sl) == 0;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->pool = pkt_pool_new(c->pool_size, c->buf_size);
	w->seg_pool = pkt_pool_new(OUT_MAX + 1, c->seg_size);
	w->gro = offload_gro_new();
	if (w->stop_fd < 0 || w->pool == NULL || w->seg_pool == NULL ||
	    w->gro == NULL) {
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
	offload_gro_destroy(w->gro);
	pkt_pool_destroy(w->seg_pool);
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
	offload_gro_destroy(w->gro);
	pkt_pool_destroy(w->seg_pool);
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

void
worker_offload_stats(const struct worker *w, struct worker_offload_stats *st)
{
	/* Read racily, like the pool's: figures for operators. */
	*st = w->ost;
}
