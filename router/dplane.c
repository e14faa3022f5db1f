#include "router/dplane.h"

#include "nat/ct.h"
#include "policy/flows.h"

#include <errno.h>
#include <sched.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "overlay/tun.h"
#include "router/egressd.h"
#include "router/polstate.h"
#include "router/worker.h"

#define POOL_SIZE 256
#define BUF_SIZE 65535		/* a whole UDP datagram or TUN packet */
#define RECLAIM_MS 100
#define TUN_TXQLEN 2000
#define MAX_WORKERS 64		/* overlay.workers' upper bound */

struct retired {
	struct dp_snapshot *s;
	struct retired *next;
};

struct dplane {
	uv_loop_t *loop;
	uv_timer_t reclaim;
	/* Worker i reads queue tun_fd[i] and socket udp_fd[i]. */
	unsigned int nw, nsrc;
	int tun_fd[MAX_WORKERS], udp_fd[MAX_WORKERS];
	/*
	 * Every worker sends from src_fd[0..nsrc) (overlay.sourcePorts): a
	 * flow keeps its source port when the kernel moves it to another
	 * worker's queue.
	 */
	int src_fd[WORKER_MAX_SRC];
	struct worker *w[MAX_WORKERS];
	struct ct_table *ct;		/* NAT flows, used by the worker */
	struct pf_table *pf;		/* policy flows, used by the worker */
	struct pf_table *egw;		/* flows pinned to egress gateways */
	_Atomic(struct dp_snapshot *) cur;
	struct retired *retired;
	uint32_t nretired;
	uint64_t gen;
	struct dplane_info info;
};

static const char *const names[DP_DROP_IP_BASE] = {
	[DP_TUN_RX] = "tun_rx",
	[DP_TUN_TX] = "tun_tx",
	[DP_UDP_RX] = "udp_rx",
	[DP_UDP_TX] = "udp_tx",
	[DP_TUN_RX_BYTES] = "tun_rx_bytes",
	[DP_UDP_TX_BYTES] = "udp_tx_bytes",
	[DP_FWD_LOCAL] = "fwd_local",
	[DP_FWD_PEER] = "fwd_peer",
	[DP_DECAP] = "decap",
	[DP_ICMP_SENT] = "icmp_sent",
	[DP_NAT_OUT] = "nat_out",
	[DP_NAT_IN] = "nat_in",
	[DP_NAT_ICMP_IN] = "nat_icmp_in",
	[DP_NAT_TO_NODE] = "nat_to_node",
	[DP_EGRESS_OUT] = "egress_out",
	[DP_EGRESS_CARRIED] = "egress_carried",
	[DP_DNS_ANSWERS] = "dns_answers",
	[DP_DNS_BAD] = "dns_bad",
	[DP_DNS_UNTRUSTED] = "dns_untrusted",
	[DP_DROP_NO_ROUTE] = "drop_no_route",
	[DP_DROP_TOO_BIG] = "drop_too_big",
	[DP_DROP_TOO_BIG_NODF] = "drop_too_big_nodf",
	[DP_DROP_UNKNOWN_SOURCE] = "drop_unknown_source",
	[DP_DROP_NOT_LOCAL] = "drop_not_local",
	[DP_DROP_SPOOFED_SOURCE] = "drop_spoofed_source",
	[DP_DROP_NO_BUFFER] = "drop_no_buffer",
	[DP_DROP_TUN_WRITE] = "drop_tun_write",
	[DP_DROP_UDP_SEND] = "drop_udp_send",
	[DP_DROP_ENCAP] = "drop_encap",
	[DP_DROP_NAT_FULL] = "drop_nat_full",
	[DP_DROP_NAT_NO_PORT] = "drop_nat_no_port",
	[DP_DROP_NAT_INVALID] = "drop_nat_invalid",
	[DP_DROP_NAT_UNSUPPORTED] = "drop_nat_unsupported",
	[DP_DROP_POLICY] = "drop_policy",
	[DP_DROP_POLICY_FULL] = "drop_policy_full",
	[DP_DROP_POLICY_INVALID] = "drop_policy_invalid",
	[DP_DROP_POLICY_RELATED] = "drop_policy_related",
	[DP_DROP_EGRESS_NO_GATEWAY] = "drop_egress_no_gateway",
	[DP_DROP_EGRESS_REFUSED] = "drop_egress_refused",
	[DP_DROP_NAT_NO_FLOW] = "drop_nat_no_flow",
};

const char *
dp_counter_name(enum dp_counter c)
{
	static char buf[DP_COUNTER__COUNT][40];

	if (c < DP_DROP_IP_BASE)
		return names[c];
	/* Slots of the parsers' "ok" and "see the inner verdict": no drops. */
	if (c == DP_DROP_IP_BASE + IP_OK ||
	    c == DP_DROP_VXLAN_BASE + VXLAN_OK ||
	    c == DP_DROP_VXLAN_BASE + VXLAN_DROP_INNER)
		return NULL;
	/* Built once per name, on the loop thread that asks. */
	if (buf[c][0] == '\0') {
		if (c < DP_DROP_VXLAN_BASE)
			snprintf(buf[c], sizeof(buf[c]), "drop_%s",
			    ip_drop_name((enum ip_verdict)(c - DP_DROP_IP_BASE)));
		else
			snprintf(buf[c], sizeof(buf[c]), "drop_%s",
			    vxlan_drop_name((enum vxlan_verdict)(c -
			    DP_DROP_VXLAN_BASE)));
	}
	return buf[c];
}

void
dp_snapshot_free(struct dp_snapshot *s)
{
	if (s == NULL)
		return;
	lpm_destroy(s->dst4);
	lpm_destroy(s->dst6);
	lpm_destroy(s->src);
	lpm_destroy(s->nat_src);
	lpm_destroy(s->no_nat);
	policy_state_unref(s->pol);
	dp_egress_free(s->egw);
	lpm_destroy(s->dns_resolvers);
	lpm_destroy(s->dns_resolvers6);
	free(s->peers);
	free(s);
}

static void
reclaim(struct dplane *d, bool all)
{
	uint64_t seen = UINT64_MAX;
	struct retired **pp = &d->retired;

	/* A snapshot is free once every worker has moved past it. */
	for (unsigned int i = 0; i < d->nw; i++) {
		uint64_t g = d->w[i] ? worker_seen_gen(d->w[i]) : UINT64_MAX;

		seen = g < seen ? g : seen;
	}
	while (*pp) {
		struct retired *r = *pp;

		if (all || r->s->gen < seen) {
			*pp = r->next;
			dp_snapshot_free(r->s);
			free(r);
			d->nretired--;
		} else {
			pp = &r->next;
		}
	}
}

static void
on_reclaim(uv_timer_t *t)
{
	reclaim(t->data, false);
}

/*
 * A UDP socket on the node's underlay address: on the VXLAN port (rx: the
 * reuseport group that receives), or (!rx) on a port of the kernel's
 * choosing, only ever sent from.
 */
static int
udp_open(const struct sluiced_config *cfg, bool rx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, buf = 4 << 20, pmtu = IP_PMTUDISC_DONT, rc;
	/* The kernel's least: datagrams to a send-only port are not read. */
	int small = 1;
	uint16_t port = rx ? cfg->vxlan_port : 0;

	memset(&ss, 0, sizeof(ss));
	if (cfg->underlay_addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = cfg->underlay_addr.u.v4;
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = cfg->underlay_addr.u.v6;
		sl = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "udp socket: %s", strerror(errno));
		return rc;
	}
	/*
	 * One socket per worker (SO_REUSEPORT): the kernel hashes each
	 * peer's datagrams to one of them. The outer header may be
	 * fragmented by the kernel: the MTU check for pods is ours (an
	 * ICMP error back to the pod), not the underlay's.
	 */
	if (rx)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, rx ? &buf : &small, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (ss.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	/*
	 * Runs of datagrams from one peer may arrive joined (a cmsg gives
	 * their size; the worker splits them). Best effort: without it
	 * they come one by one.
	 */
	if (cfg->offloads && rx)
		setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot bind the VXLAN socket to %s port %u: %s",
		    cfg->underlay_addr_str, port, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

static void
close_fds(struct dplane *d)
{
	for (unsigned int i = 0; i < MAX_WORKERS; i++) {
		if (d->udp_fd[i] >= 0)
			close(d->udp_fd[i]);
		if (d->tun_fd[i] >= 0)
			close(d->tun_fd[i]);
	}
	for (unsigned int j = 0; j < WORKER_MAX_SRC; j++)
		if (d->src_fd[j] >= 0)
			close(d->src_fd[j]);
}

/*
 * The workers a node runs: overlay.workers, or one per CPU this process
 * may run on (at most 8: past that the kernel's side dominates).
 */
static unsigned int
workers_wanted(const struct sluiced_config *cfg)
{
	cpu_set_t set;
	int n;

	if (cfg->workers > 0)
		return cfg->workers < MAX_WORKERS ? cfg->workers : MAX_WORKERS;
	n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	return n < 1 ? 1 : n > 8 ? 8 : (unsigned int)n;
}

/*
 * Opens one TUN queue per worker. A device an older sluiced made with a
 * single queue cannot take more: one worker then, and a warning.
 */
static int
open_queues(struct dplane *d, const struct sluiced_config *cfg, char *err,
    size_t errlen)
{
	unsigned int want = workers_wanted(cfg);
	bool created, mq = true;
	int fd;

	fd = tun_open(cfg->tun_name, cfg->offloads, true, &created, err,
	    errlen);
	if (fd == -EPROTOTYPE) {
		mq = false;
		fd = tun_open(cfg->tun_name, cfg->offloads, false, &created,
		    err, errlen);
		if (fd >= 0 && want > 1)
			log_warnx("%s was made with a single queue (by an older sluiced): running 1 worker instead of %u; `sluiced --cleanup` before a start makes it anew",
			    cfg->tun_name, want);
		want = 1;
	}
	if (fd < 0)
		return fd;
	d->info.tun_created = created;
	d->info.multi_queue = mq;
	d->tun_fd[d->nw++] = fd;
	while (d->nw < want) {
		fd = tun_open(cfg->tun_name, cfg->offloads, true, &created,
		    err, errlen);
		if (fd < 0)
			return fd;
		d->tun_fd[d->nw++] = fd;
	}
	return 0;
}

int
dplane_start(struct dplane **out, uv_loop_t *loop,
    const struct sluiced_config *cfg, struct netlink *nl,
    const struct underlay_info *ul, char *err, size_t errlen)
{
	unsigned int overhead = cfg->underlay_addr.family == AF_INET6 ?
	    VXLAN_OVERHEAD_V6 : VXLAN_OVERHEAD_V4;
	struct dplane *d;
	char path[128];
	int rc;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->loop = loop;
	for (unsigned int i = 0; i < MAX_WORKERS; i++)
		d->tun_fd[i] = d->udp_fd[i] = -1;
	for (unsigned int j = 0; j < WORKER_MAX_SRC; j++)
		d->src_fd[j] = -1;
	snprintf(d->info.device, sizeof(d->info.device), "%s", cfg->tun_name);
	d->info.port = cfg->vxlan_port;
	d->info.tun_mtu = cfg->tun_mtu ? cfg->tun_mtu : ul->mtu - overhead;
	if (d->info.tun_mtu < 576 || d->info.tun_mtu > 65535 - overhead) {
		snprintf(err, errlen,
		    "tunnel MTU %u is out of range (underlay %s MTU %u)",
		    d->info.tun_mtu, cfg->underlay_if, ul->mtu);
		rc = -EINVAL;
		goto err;
	}
	if (cfg->tun_mtu && cfg->tun_mtu + overhead > ul->mtu)
		log_warnx("overlay.mtu %u + %u bytes of VXLAN exceeds the underlay MTU %u: packets will be fragmented on the underlay",
		    cfg->tun_mtu, overhead, ul->mtu);

	if ((rc = open_queues(d, cfg, err, errlen)) != 0)
		goto err;
	/*
	 * The TUN's queue absorbs the kernel's bursts (a TSO super-packet
	 * becomes dozens of packets) while the worker catches up; at the
	 * default 500 a single TCP stream loses packets there.
	 */
	rc = netlink_link_up(nl, cfg->tun_name, d->info.tun_mtu, TUN_TXQLEN,
	    &d->info.ifindex, err, errlen);
	if (rc != 0)
		goto err;
	/* Forwarding is the whole point; pods' packets cross this node. */
	if ((rc = netlink_sysctl_set("net/ipv4/ip_forward", "1")) != 0) {
		snprintf(err, errlen, "cannot enable net.ipv4.ip_forward: %s",
		    strerror(-rc));
		goto err;
	}
	/*
	 * Packets written back to the TUN carry pod sources the reverse path
	 * filter would not expect on it.
	 */
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter",
	    cfg->tun_name);
	netlink_sysctl_set(path, "0");
	/*
	 * ICMP errors sluiced sends to pods come from the node's own
	 * address, written into the TUN: not a martian here.
	 */
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/accept_local",
	    cfg->tun_name);
	netlink_sysctl_set(path, "1");
	/*
	 * Packets sluiced hands back go out another device, never back to
	 * the sender; a redirect from the kernel would only confuse pods.
	 */
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/send_redirects",
	    cfg->tun_name);
	netlink_sysctl_set(path, "0");
	/*
	 * The reverse path filter takes the larger of "all" and the
	 * device's value: a strict or loose "all" drops what sluiced hands
	 * back unchanged (ICMP to the node, which NAT's return path
	 * steers through the TUN).
	 */
	{
		char v[8] = "";
		FILE *f = fopen("/proc/sys/net/ipv4/conf/all/rp_filter", "re");

		if (f != NULL) {
			if (fgets(v, sizeof(v), f) != NULL && v[0] != '0')
				log_warnx("net.ipv4.conf.all.rp_filter is %c: ICMP to this node arriving for a NAT address (pings, errors for its own connections) will be dropped after sluiced hands it back; set it to 0 if NAT outgoing is used",
				    v[0]);
			fclose(f);
		}
	}
	d->nsrc = cfg->source_ports < WORKER_MAX_SRC ? cfg->source_ports :
	    WORKER_MAX_SRC;
	for (unsigned int i = 0; i < d->nw; i++) {
		d->udp_fd[i] = udp_open(cfg, true, err, errlen);
		if (d->udp_fd[i] < 0) {
			rc = d->udp_fd[i];
			goto err;
		}
	}
	for (unsigned int j = 0; j < d->nsrc; j++) {
		d->src_fd[j] = udp_open(cfg, false, err, errlen);
		if (d->src_fd[j] < 0) {
			rc = d->src_fd[j];
			goto err;
		}
	}
	atomic_init(&d->cur, NULL);
	d->ct = ct_new(cfg->nat_max_flows, cfg->nat_port_lo, cfg->nat_port_hi);
	if (d->ct == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen,
		    "cannot allocate the NAT flow table (nat.maxFlows %u)",
		    cfg->nat_max_flows);
		goto err;
	}
	ct_set_timeouts(d->ct, &(struct ct_timeouts){
	    .tcp_established = cfg->nat_tcp_est_s, .udp = cfg->nat_udp_s,
	    .udp_assured = cfg->nat_udp_assured_s, .icmp = cfg->nat_icmp_s,
	    .tcp_time_wait = cfg->nat_time_wait_s });
	d->pf = pf_new(cfg->policy_max_flows);
	if (d->pf == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen,
		    "cannot allocate the policy flow table (policy.maxFlows %u)",
		    cfg->policy_max_flows);
		goto err;
	}
	/* One set of conntrack timeouts for both tables. */
	pf_set_timeouts(d->pf, &(struct pf_timeouts){
	    .tcp_established = cfg->nat_tcp_est_s, .udp = cfg->nat_udp_s,
	    .udp_assured = cfg->nat_udp_assured_s, .icmp = cfg->nat_icmp_s,
	    .tcp_time_wait = cfg->nat_time_wait_s });
	pf_set_loose(d->pf, cfg->policy_loose);
	d->egw = pf_new(cfg->egress_max_flows);
	if (d->egw == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen,
		    "cannot allocate the egress flow table (egress.maxFlows %u)",
		    cfg->egress_max_flows);
		goto err;
	}
	pf_set_timeouts(d->egw, &(struct pf_timeouts){
	    .tcp_established = cfg->nat_tcp_est_s, .udp = cfg->nat_udp_s,
	    .udp_assured = cfg->nat_udp_assured_s, .icmp = cfg->nat_icmp_s,
	    .tcp_time_wait = cfg->nat_time_wait_s });
	for (unsigned int i = 0; i < d->nw; i++) {
		struct worker_conf wc = {
			.tun_fd = d->tun_fd[i], .udp_fd = d->udp_fd[i],
			.src_fds = d->src_fd, .nsrc = d->nsrc,
			.snap = &d->cur, .ct = d->ct, .offloads = cfg->offloads,
			.housekeeper = i == 0, .pool_size = POOL_SIZE,
			.buf_size = BUF_SIZE, .seg_size = d->info.tun_mtu,
		};

		if ((rc = worker_start(&d->w[i], &wc)) != 0) {
			snprintf(err, errlen,
			    "cannot start data-path worker %u: %s", i,
			    strerror(-rc));
			goto err;
		}
	}
	uv_timer_init(loop, &d->reclaim);
	d->reclaim.data = d;
	uv_timer_start(&d->reclaim, on_reclaim, RECLAIM_MS, RECLAIM_MS);
	d->info.workers = d->nw;
	d->info.source_ports = d->nsrc;
	log_info("data plane: %s %s (mtu %u), VXLAN on %s port %u, %u worker%s, %u source ports",
	    d->info.tun_created ? "created" : "attached to", cfg->tun_name,
	    d->info.tun_mtu, cfg->underlay_addr_str, cfg->vxlan_port, d->nw,
	    d->nw == 1 ? "" : "s", d->nsrc);
	*out = d;
	return 0;
err:
	for (unsigned int i = 0; i < d->nw; i++)
		worker_stop(d->w[i]);
	ct_free(d->ct);
	pf_free(d->pf);
	pf_free(d->egw);
	close_fds(d);
	free(d);
	return rc;
}

static void
on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
dplane_stop(struct dplane *d)
{
	if (d == NULL)
		return;
	for (unsigned int i = 0; i < d->nw; i++) {
		worker_stop(d->w[i]);
		d->w[i] = NULL;
	}
	ct_free(d->ct);
	d->ct = NULL;
	reclaim(d, true);
	dp_snapshot_free(atomic_load(&d->cur));
	atomic_store(&d->cur, NULL);
	pf_free(d->pf);		/* after the snapshots that borrow it */
	d->pf = NULL;
	pf_free(d->egw);
	d->egw = NULL;
	close_fds(d);		/* the TUN is persistent: the device stays */
	uv_timer_stop(&d->reclaim);
	uv_close((uv_handle_t *)&d->reclaim, on_timer_closed);
}

struct pf_table *
dplane_pf(const struct dplane *d)
{
	return d != NULL ? d->pf : NULL;
}

struct pf_table *
dplane_egress_flows(const struct dplane *d)
{
	return d != NULL ? d->egw : NULL;
}

struct ct_table *
dplane_ct(const struct dplane *d)
{
	return d != NULL ? d->ct : NULL;
}

void
dplane_publish(struct dplane *d, struct dp_snapshot *s)
{
	struct dp_snapshot *old;

	s->gen = ++d->gen;
	/* Release: everything in *s is visible before the pointer is. */
	old = atomic_exchange_explicit(&d->cur, s, memory_order_acq_rel);
	if (old != NULL) {
		struct retired *r = malloc(sizeof(*r));

		if (r == NULL)
			fatalx("out of memory retiring a snapshot");
		r->s = old;
		r->next = d->retired;
		d->retired = r;
		d->nretired++;
	}
}

void
dplane_info_get(const struct dplane *d, struct dplane_info *info)
{
	*info = d->info;
	info->gen = d->gen;
	info->retired = d->nretired;
}

void
dplane_worker_counters(const struct dplane *d, unsigned int w, uint64_t *out)
{
	const struct dp_stats *st = worker_stats(d->w[w]);

	for (int i = 0; i < DP_COUNTER__COUNT; i++)
		out[i] = atomic_load_explicit(&st->c[i], memory_order_relaxed);
}

void
dplane_counters(const struct dplane *d, uint64_t *out)
{
	uint64_t one[DP_COUNTER__COUNT];

	memset(out, 0, sizeof(uint64_t) * DP_COUNTER__COUNT);
	for (unsigned int w = 0; w < d->nw; w++) {
		dplane_worker_counters(d, w, one);
		for (int i = 0; i < DP_COUNTER__COUNT; i++)
			out[i] += one[i];
	}
}

void
dplane_pool_stats(const struct dplane *d, struct pkt_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int w = 0; w < d->nw; w++) {
		struct pkt_pool_stats one;

		worker_pool_stats(d->w[w], &one);
		st->count += one.count;
		st->free += one.free;
		st->exhausted += one.exhausted;
	}
}

int
dplane_cleanup(const struct sluiced_config *cfg, struct netlink *nl,
    char *err, size_t errlen)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	static const uint8_t types[] = { RTN_UNICAST, RTN_UNREACHABLE };
	struct netlink_sync_stats st;
	unsigned int removed = 0;
	int rc, first = 0;

	for (size_t f = 0; f < 2; f++) {
		for (size_t t = 0; t < 2; t++) {
			rc = netlink_routes_sync(nl, fams[f], RT_TABLE_MAIN,
			    types[t], 0, NULL, 0, &st, err, errlen);
			first = first ? first : rc;
			removed += st.removed;
		}
		rc = netlink_routes_sync(nl, fams[f], cfg->route_table,
		    RTN_UNICAST, 0, NULL, 0, &st, err, errlen);
		first = first ? first : rc;
		removed += st.removed;
		/* The kernel's local rule back at 0 before ours goes. */
		rc = netlink_local_rule(nl, fams[f], false, NAT_LOCAL_PREF, err,
		    errlen);
		first = first ? first : rc;
		rc = netlink_rules_sync(nl, fams[f], NULL, 0, &st, err, errlen);
		first = first ? first : rc;
		removed += st.removed;
	}
	rc = netlink_link_delete(nl, cfg->tun_name);
	if (rc == 0)
		log_info("cleanup: removed %s", cfg->tun_name);
	else if (rc != -ENODEV)
		first = first ? first : rc;
	log_info("cleanup: removed %u routes and rules", removed);
	return first;
}

void
dplane_offload_stats(const struct dplane *d, struct worker_offload_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int w = 0; w < d->nw; w++) {
		struct worker_offload_stats one;

		worker_offload_stats(d->w[w], &one);
		for (int i = 0; i < OFFLOAD_DROP__COUNT; i++)
			st->drop[i] += one.drop[i];
		st->gso_in += one.gso_in;
		st->gso_segs += one.gso_segs;
		st->gso_whole += one.gso_whole;
		st->gro_out += one.gro_out;
	}
}
