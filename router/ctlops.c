/*
 * ctlops.c - what the status socket answers. Each op packs one result
 * map; sluicectl renders maps as key/value lines and arrays of maps as
 * tables, so results are plain data with no presentation in them.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "common/mp.h"
#include "router/daemon.h"
#include "router/links.h"
#include "router/natops.h"
#include "router/dnsd.h"
#include "router/egressd.h"
#include "router/manifestops.h"
#include "router/policyd.h"
#include "router/worker.h"

static int
op_version(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "version", SLUICE_VERSION);
	mp_pack_kv_u64(pk, "protocol", CTL_PROTO_VERSION);
	mp_pack_kv_u64(pk, "storeSchema", STORE_SCHEMA_VERSION);
	return 0;
}

static int
op_status(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct ctlsock_stats cs;
	struct store_info si;
	char when[32];
	struct tm tm;

	ctlsock_stats_get(d->ctl, &cs);
	if (store_info_get(d->store, &si) != 0)
		memset(&si, 0, sizeof(si));
	gmtime_r(&d->started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

	msgpack_pack_map(pk, 13);
	mp_pack_kv_str(pk, "node", d->cfg.node_name);
	mp_pack_kv_str(pk, "state", d->stopping ? "stopping" :
	    d->ready ? "running" : "starting");
	mp_pack_kv_str(pk, "version", SLUICE_VERSION);
	mp_pack_kv_u64(pk, "pid", (uint64_t)getpid());
	mp_pack_kv_str(pk, "started", when);
	mp_pack_kv_u64(pk, "uptimeSeconds",
	    (uv_now(d->loop) - d->started_ms) / 1000);
	mp_pack_kv_str(pk, "config", d->cfg.path);

	mp_pack_key(pk, "underlay");
	msgpack_pack_map(pk, 5);
	mp_pack_kv_str(pk, "interface", d->cfg.underlay_if);
	mp_pack_kv_str(pk, "address", d->cfg.underlay_addr_str);
	mp_pack_kv_u64(pk, "ifindex", (uint64_t)d->underlay.ifindex);
	mp_pack_kv_u64(pk, "mtu", d->underlay.mtu);
	mp_pack_kv_bool(pk, "up", d->underlay.up);

	mp_pack_key(pk, "overlay");
	if (d->dp != NULL) {
		struct dplane_info di;
		char mac[18];

		dplane_info_get(d->dp, &di);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		    d->vtep_mac[0], d->vtep_mac[1], d->vtep_mac[2],
		    d->vtep_mac[3], d->vtep_mac[4], d->vtep_mac[5]);
		msgpack_pack_map(pk, 10);
		mp_pack_kv_str(pk, "device", di.device);
		mp_pack_kv_u64(pk, "mtu", di.tun_mtu);
		mp_pack_kv_u64(pk, "workers", di.workers);
		mp_pack_kv_u64(pk, "sourcePorts", di.source_ports);
		mp_pack_kv_bool(pk, "multiQueue", di.multi_queue);
		mp_pack_kv_u64(pk, "vni", d->cfg.vni);
		mp_pack_kv_u64(pk, "port", di.port);
		mp_pack_kv_str(pk, "vtepMAC", mac);
		mp_pack_kv_u64(pk, "snapshot", di.gen);
		{
			char b[SLUICE_PREFIXSTRLEN];

			mp_pack_key(pk, "blocks");
			msgpack_pack_array(pk, d->nblocks);
			for (uint32_t i = 0; i < d->nblocks; i++)
				mp_pack_str(pk, sluice_prefix_str(&d->blocks[i],
				    b, sizeof(b)));
		}
	} else {
		msgpack_pack_nil(pk);
	}

	mp_pack_key(pk, "cluster");
	{
		size_t up = 0;

		for (size_t i = 0; i < d->npeers; i++)
			up += d->peers[i].state == PEER_UP;
		msgpack_pack_map(pk, 5);
		mp_pack_kv_u64(pk, "nodes", d->manifests.cluster.nnodes);
		mp_pack_kv_u64(pk, "pools", d->manifests.cluster.npools);
		mp_pack_kv_u64(pk, "peers", d->npeers);
		mp_pack_kv_u64(pk, "peersUp", up);
		mp_pack_kv_bool(pk, "secret", d->have_key);
	}

	mp_pack_key(pk, "store");
	msgpack_pack_map(pk, 5);
	mp_pack_kv_str(pk, "dir", d->cfg.state_dir);
	mp_pack_kv_u64(pk, "schema", si.schema);
	mp_pack_kv_u64(pk, "records", si.entries);
	mp_pack_kv_u64(pk, "usedBytes", si.used);
	mp_pack_kv_u64(pk, "mapBytes", si.map_size);

	mp_pack_key(pk, "manifests");
	msgpack_pack_map(pk, 6);
	mp_pack_kv_str(pk, "dir", d->cfg.manifests_dir);
	mp_pack_kv_u64(pk, "generation", d->manifests.generation);
	mp_pack_kv_u64(pk, "files", d->manifests.nfiles);
	mp_pack_kv_u64(pk, "documents", d->manifests.ndocs);
	mp_pack_kv_u64(pk, "reloadsFailed", d->reloads_failed);
	mp_pack_kv_str(pk, "lastError",
	    d->reload_error[0] ? d->reload_error : NULL);

	mp_pack_key(pk, "statusSocket");
	msgpack_pack_map(pk, 8);
	mp_pack_kv_str(pk, "path", d->cfg.socket_path);
	mp_pack_kv_u64(pk, "clients", cs.clients);
	mp_pack_kv_u64(pk, "connections", cs.connections);
	mp_pack_kv_u64(pk, "requests", cs.requests);
	mp_pack_kv_u64(pk, "deferred", cs.deferred);
	mp_pack_kv_u64(pk, "badRequests", cs.bad_requests);
	mp_pack_kv_u64(pk, "refused", cs.refused);
	mp_pack_kv_u64(pk, "dropped", cs.dropped);
	return 0;
}

static void
pack_mac(msgpack_packer *pk, const char *k, const uint8_t mac[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5]);
	mp_pack_kv_str(pk, k, buf);
}

static void
pack_blocks(msgpack_packer *pk, const char *k, const struct sluice_prefix *b,
    uint32_t n)
{
	char buf[SLUICE_PREFIXSTRLEN];

	mp_pack_key(pk, k);
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < n; i++)
		mp_pack_str(pk, sluice_prefix_str(&b[i], buf, sizeof(buf)));
}

static int
op_peers(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	uint64_t now = uv_now(d->loop);
	char a[SLUICE_ADDRSTRLEN];

	msgpack_pack_array(pk, d->npeers);
	for (size_t i = 0; i < d->npeers; i++) {
		const struct peer *p = &d->peers[i];

		msgpack_pack_map(pk, 11);
		mp_pack_kv_str(pk, "name", p->name);
		mp_pack_kv_str(pk, "address",
		    sluice_addr_str(&p->addr, a, sizeof(a)));
		mp_pack_kv_str(pk, "state", peer_state_name(p->state));
		mp_pack_kv_u64(pk, "forSeconds", (now - p->since_ms) / 1000);
		mp_pack_kv_str(pk, "link", p->managed ? links_role(p->link) :
		    "unmanaged");
		mp_pack_key(pk, "lastSeenMs");
		if (p->managed && p->last_rx_ms)
			msgpack_pack_uint64(pk, now - p->last_rx_ms);
		else
			msgpack_pack_nil(pk);
		pack_mac(pk, "vtepMAC", p->mac);
		pack_blocks(pk, "blocks", p->blocks, p->nblocks);
		mp_pack_kv_u64(pk, "ups", p->ups);
		mp_pack_kv_u64(pk, "downs", p->downs);
		mp_pack_kv_str(pk, "lastError",
		    p->last_error[0] ? p->last_error : NULL);
	}
	return 0;
}

/* One row per route of the data path, most specific first per owner. */
static int
op_routes(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	const struct cluster *cl = &d->manifests.cluster;
	char buf[SLUICE_PREFIXSTRLEN];
	uint32_t n = d->nblocks + (uint32_t)cl->npools;

	for (size_t i = 0; i < d->npeers; i++)
		n += d->peers[i].nblocks;
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < d->nblocks; i++) {
		msgpack_pack_map(pk, 4);
		mp_pack_kv_str(pk, "prefix",
		    sluice_prefix_str(&d->blocks[i], buf, sizeof(buf)));
		mp_pack_kv_str(pk, "node", d->cfg.node_name);
		mp_pack_kv_str(pk, "via", "local");
		mp_pack_kv_bool(pk, "installed", true);
	}
	for (size_t i = 0; i < d->npeers; i++) {
		const struct peer *p = &d->peers[i];
		bool live = p->state != PEER_DOWN;

		for (uint32_t b = 0; b < p->nblocks; b++) {
			msgpack_pack_map(pk, 4);
			mp_pack_kv_str(pk, "prefix",
			    sluice_prefix_str(&p->blocks[b], buf, sizeof(buf)));
			mp_pack_kv_str(pk, "node", p->name);
			mp_pack_kv_str(pk, "via", live ? "tunnel" : "unreachable");
			mp_pack_kv_bool(pk, "installed", live);
		}
	}
	for (size_t i = 0; i < cl->npools; i++) {
		msgpack_pack_map(pk, 4);
		mp_pack_kv_str(pk, "prefix",
		    sluice_prefix_str(&cl->pools[i].cidr, buf, sizeof(buf)));
		mp_pack_kv_str(pk, "node", NULL);
		mp_pack_kv_str(pk, "via", "unreachable");
		mp_pack_kv_bool(pk, "installed", true);
	}
	return 0;
}

static int
op_stats(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	uint64_t c[DP_COUNTER__COUNT];
	struct pkt_pool_stats ps;
	struct worker_offload_stats os;
	struct dplane_info di;
	const struct links_stats *ls = &d->link_stats;
	/* Per worker: how the kernel spread the traffic over the queues. */
	static const enum dp_counter per_worker[] = {
		DP_TUN_RX, DP_TUN_TX, DP_UDP_RX, DP_UDP_TX,
	};

	if (d->dp == NULL) {
		snprintf(err, errlen, "the data plane is not running");
		return -ENODEV;
	}
	dplane_counters(d->dp, c);
	dplane_pool_stats(d->dp, &ps);
	dplane_offload_stats(d->dp, &os);
	dplane_info_get(d->dp, &di);
	msgpack_pack_map(pk, 5);
	mp_pack_key(pk, "datapath");
	{
		uint32_t named = 0;

		for (int i = 0; i < DP_COUNTER__COUNT; i++)
			named += dp_counter_name((enum dp_counter)i) != NULL;
		msgpack_pack_map(pk, named);
		for (int i = 0; i < DP_COUNTER__COUNT; i++) {
			const char *name = dp_counter_name((enum dp_counter)i);

			if (name != NULL)
				mp_pack_kv_u64(pk, name, c[i]);
		}
	}
	mp_pack_key(pk, "workers");
	msgpack_pack_array(pk, di.workers);
	for (unsigned int w = 0; w < di.workers; w++) {
		dplane_worker_counters(d->dp, w, c);
		msgpack_pack_map(pk, sizeof(per_worker) / sizeof(per_worker[0]));
		for (size_t i = 0; i < sizeof(per_worker) / sizeof(per_worker[0]);
		    i++)
			mp_pack_kv_u64(pk, dp_counter_name(per_worker[i]),
			    c[per_worker[i]]);
	}
	mp_pack_key(pk, "offload");
	msgpack_pack_map(pk, 4 + OFFLOAD_DROP__COUNT - 1);
	mp_pack_kv_u64(pk, "gsoIn", os.gso_in);
	mp_pack_kv_u64(pk, "gsoSegments", os.gso_segs);
	mp_pack_kv_u64(pk, "gsoWhole", os.gso_whole);
	mp_pack_kv_u64(pk, "groOut", os.gro_out);
	for (int i = 1; i < OFFLOAD_DROP__COUNT; i++) {
		char k[48];

		snprintf(k, sizeof(k), "drop_%s",
		    offload_drop_name((enum offload_verdict)i));
		mp_pack_kv_u64(pk, k, os.drop[i]);
	}
	mp_pack_key(pk, "buffers");
	msgpack_pack_map(pk, 3);
	mp_pack_kv_u64(pk, "count", ps.count);
	mp_pack_kv_u64(pk, "free", ps.free);
	mp_pack_kv_u64(pk, "exhausted", ps.exhausted);
	mp_pack_key(pk, "links");
	msgpack_pack_map(pk, 11);
	mp_pack_kv_u64(pk, "accepted", ls->accepted);
	mp_pack_kv_u64(pk, "dialled", ls->dialled);
	mp_pack_kv_u64(pk, "authenticated", ls->authenticated);
	mp_pack_kv_u64(pk, "refusedUnknown", ls->refused_unknown);
	mp_pack_kv_u64(pk, "refusedAuth", ls->refused_auth);
	mp_pack_kv_u64(pk, "refusedIdentity", ls->refused_identity);
	mp_pack_kv_u64(pk, "refusedLimit", ls->refused_limit);
	mp_pack_kv_u64(pk, "malformed", ls->malformed);
	mp_pack_kv_u64(pk, "timeouts", ls->timeouts);
	mp_pack_kv_u64(pk, "framesRx", ls->frames_rx);
	mp_pack_kv_u64(pk, "framesTx", ls->frames_tx);
	return 0;
}

const struct ctlsock_op sluiced_ctl_ops[] = {
	{ "status", op_status },
	{ "version", op_version },
	{ "peers", op_peers },
	{ "routes", op_routes },
	{ "stats", op_stats },
	{ "ipam", ipamd_op_list },
	{ "ipam.allocate", ipamd_op_allocate },
	{ "ipam.release", ipamd_op_release },
	{ "ipam.get", ipamd_op_get },
	{ "conntrack", natops_conntrack },
	{ "ipam.gc", ipamd_op_gc },
	{ "policy", policyd_op_list },
	{ "policy.explain", policyd_op_explain },
	{ "endpoints", policyd_op_endpoints },
	{ "label", policyd_op_label },
	{ "gateways", egressd_op_gateways },
	{ "dns", dnsd_op_list },
	{ "apply", manifestops_apply },
	{ "delete", manifestops_delete },
	{ NULL, NULL },
};
