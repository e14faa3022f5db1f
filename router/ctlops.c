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

	msgpack_pack_map(pk, 11);
	mp_pack_kv_str(pk, "node", d->cfg.node_name);
	mp_pack_kv_str(pk, "state", d->stopping ? "stopping" : "running");
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
	msgpack_pack_map(pk, 7);
	mp_pack_kv_str(pk, "path", d->cfg.socket_path);
	mp_pack_kv_u64(pk, "clients", cs.clients);
	mp_pack_kv_u64(pk, "connections", cs.connections);
	mp_pack_kv_u64(pk, "requests", cs.requests);
	mp_pack_kv_u64(pk, "badRequests", cs.bad_requests);
	mp_pack_kv_u64(pk, "refused", cs.refused);
	mp_pack_kv_u64(pk, "dropped", cs.dropped);
	return 0;
}

const struct ctlsock_op sluiced_ctl_ops[] = {
	{ "status", op_status },
	{ "version", op_version },
	{ NULL, NULL },
};
