#include "router/ipamd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/mp.h"
#include "ipam/ipam.h"
#include "router/daemon.h"
#include "router/policyd.h"

static void
on_problem(void *arg, const char *problem)
{
	log_warnx("ipam: %s", problem);
}

int
ipamd_open(struct sluiced *d, char *err, size_t errlen)
{
	return ipam_open(&d->ipam, d->store, on_problem, d, err, errlen);
}

void
ipamd_close(struct sluiced *d)
{
	ipam_close(d->ipam);
	d->ipam = NULL;
}

int
ipamd_manifests(struct sluiced *d, const struct manifest_set *set,
    char *err, size_t errlen)
{
	const struct cluster *cl = &set->cluster;
	struct ipam_pool *pools;
	int rc;

	pools = calloc(cl->npools ? cl->npools : 1, sizeof(*pools));
	if (pools == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cl->npools; i++) {
		const struct cluster_pool *cp = &cl->pools[i];

		pools[i] = (struct ipam_pool){
			.name = cp->name,
			.cidr = cp->cidr,
			.block_size = cp->block_size,
			.nat_outgoing = cp->nat_outgoing,
			.disabled = cp->disabled,
			.node_selector = cp->node_selector,
			.namespace_selector = cp->namespace_selector,
			.reserved = cp->reserved,
			.nreserved = cp->nreserved,
		};
	}
	rc = ipam_pools_set(d->ipam, pools, cl->npools, err, errlen);
	free(pools);
	if (rc != 0)
		return rc;
	/*
	 * Static podCIDRs that are exactly a block are recorded as owned,
	 * so IPAM allocates from them and never claims another node's.
	 */
	for (size_t i = 0; i < cl->nnodes; i++) {
		const struct cluster_node *n = &cl->nodes[i];

		for (unsigned int b = 0; b < n->n_pod_cidrs; b++) {
			struct ipam_block_claim c = { n->pod_cidrs[b], n->name, 1 };
			struct ipam_allocs moved = { 0 };
			char why[256];

			if (ipam_block_observe(d->ipam, &c, &moved, why,
			    sizeof(why)) != 0)
				log_debug("ipam: podCIDR of %s not a block: %s",
				    n->name, why);
			for (size_t m = 0; m < moved.n; m++)
				log_warnx("ipam: %s re-homed off %s's block (restart its pod)",
				    moved.v[m].handle, n->name);
			ipam_allocs_free(&moved);
		}
	}
	return 0;
}

static bool
has_block(const struct sluice_prefix *v, uint32_t n,
    const struct sluice_prefix *p)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].len == p->len && sluice_addr_eq(&v[i].addr, &p->addr))
			return true;
	return false;
}

bool
ipamd_own_blocks(struct sluiced *d)
{
	const struct cluster_node *self =
	    cluster_node_find(&d->manifests.cluster, d->cfg.node_name);
	struct sluice_prefix *nb;
	struct ipam_list l;
	uint32_t n = 0, cap;
	char err[256];
	bool changed;

	memset(&l, 0, sizeof(l));
	if (d->ipam != NULL && ipam_list_get(d->ipam, &l, err,
	    sizeof(err)) != 0)
		log_warnx("ipam: cannot list blocks: %s", err);
	cap = (uint32_t)l.nblocks + CLUSTER_MAX_NODE_CIDRS;
	if (cap > LINK_MAX_BLOCKS)
		cap = LINK_MAX_BLOCKS;
	nb = calloc(cap, sizeof(*nb));
	if (nb == NULL) {
		ipam_list_free(&l);
		return false;
	}
	for (unsigned int i = 0; self != NULL && i < self->n_pod_cidrs; i++)
		nb[n++] = self->pod_cidrs[i];
	for (size_t i = 0; i < l.nblocks && n < cap; i++)
		if (strcmp(l.blocks[i].owner, d->cfg.node_name) == 0 &&
		    !has_block(nb, n, &l.blocks[i].prefix))
			nb[n++] = l.blocks[i].prefix;
	ipam_list_free(&l);
	changed = n != d->nblocks ||
	    (n > 0 && memcmp(nb, d->blocks, n * sizeof(*nb)) != 0);
	free(d->blocks);
	d->blocks = nb;
	d->nblocks = n;
	if (changed)
		d->blocks_gen++;
	return changed;
}

void
ipamd_peer_blocks(struct sluiced *d, const struct peer *p)
{
	struct ipam_block_claim *c;
	struct ipam_allocs moved = { 0 };
	char err[256];

	if (d->ipam == NULL)
		return;
	c = calloc(p->nblocks ? p->nblocks : 1, sizeof(*c));
	if (c == NULL)
		return;
	for (uint32_t i = 0; i < p->nblocks; i++)
		c[i] = (struct ipam_block_claim){ p->blocks[i], p->name,
			p->blocks_gen ? p->blocks_gen : 1 };
	if (ipam_blocks_sync(d->ipam, p->name, c, p->nblocks, &moved, err,
	    sizeof(err)) != 0)
		log_debug("ipam: blocks of %s: %s", p->name, err);
	for (size_t m = 0; m < moved.n; m++)
		log_warnx("ipam: block conflict with %s: %s re-homed (restart its pod)",
		    p->name, moved.v[m].handle);
	if (moved.n > 0 && ipamd_own_blocks(d)) {
		peers_apply(d);
		links_announce(d);
	}
	ipam_allocs_free(&moved);
	free(c);
}

static void
pack_addr(msgpack_packer *pk, const char *k, const struct sluice_addr *a)
{
	char b[SLUICE_ADDRSTRLEN];

	mp_pack_kv_str(pk, k, a->family ? sluice_addr_str(a, b, sizeof(b)) :
	    NULL);
}

static void
pack_prefix(msgpack_packer *pk, const char *k, const struct sluice_prefix *p)
{
	char b[SLUICE_PREFIXSTRLEN];

	mp_pack_kv_str(pk, k, sluice_prefix_str(p, b, sizeof(b)));
}

static void
pack_claims(msgpack_packer *pk, const struct claims *c)
{
	mp_pack_key(pk, "claims");
	msgpack_pack_map(pk, 10);
	mp_pack_kv_bool(pk, "quorum", c->quorum);
	mp_pack_kv_u64(pk, "members", c->members);
	if (c->active)
		pack_prefix(pk, "claiming", &c->block);
	else
		mp_pack_kv_str(pk, "claiming", NULL);
	mp_pack_kv_u64(pk, "waiting", c->nwaiting);
	mp_pack_kv_u64(pk, "started", c->st.started);
	mp_pack_kv_u64(pk, "committed", c->st.committed);
	mp_pack_kv_u64(pk, "refused", c->st.refused);
	mp_pack_kv_u64(pk, "timedOut", c->st.timed_out);
	mp_pack_kv_u64(pk, "acksGiven", c->st.acks_given);
	mp_pack_kv_u64(pk, "acksRefused", c->st.acks_refused);
}

int
ipamd_op_list(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct ipam_list l;
	int rc;

	if ((rc = ipam_list_get(d->ipam, &l, err, errlen)) != 0)
		return rc;
	msgpack_pack_map(pk, 5);
	mp_pack_key(pk, "pools");
	msgpack_pack_array(pk, l.npools);
	for (size_t i = 0; i < l.npools; i++) {
		msgpack_pack_map(pk, 7);
		mp_pack_kv_str(pk, "name", l.pools[i].name);
		pack_prefix(pk, "cidr", &l.pools[i].cidr);
		mp_pack_kv_u64(pk, "blockSize", l.pools[i].block_size);
		mp_pack_kv_bool(pk, "natOutgoing", l.pools[i].nat_outgoing);
		mp_pack_kv_bool(pk, "disabled", l.pools[i].disabled);
		/* By any node, as this one knows them. */
		mp_pack_kv_u64(pk, "blocksClaimed", l.pools[i].blocks_owned);
		mp_pack_kv_u64(pk, "addressesUsed", l.pools[i].addrs_used);
	}
	mp_pack_key(pk, "blocks");
	msgpack_pack_array(pk, l.nblocks);
	for (size_t i = 0; i < l.nblocks; i++) {
		msgpack_pack_map(pk, 5);
		pack_prefix(pk, "block", &l.blocks[i].prefix);
		mp_pack_kv_str(pk, "owner", l.blocks[i].owner);
		mp_pack_kv_str(pk, "pool", l.blocks[i].pool);
		/* Only the owner knows a block's use: "-" for the others. */
		if (strcmp(l.blocks[i].owner, d->cfg.node_name) == 0) {
			mp_pack_kv_u64(pk, "used", l.blocks[i].used);
			mp_pack_kv_u64(pk, "free", l.blocks[i].free);
		} else {
			mp_pack_kv_str(pk, "used", NULL);
			mp_pack_kv_str(pk, "free", NULL);
		}
	}
	mp_pack_key(pk, "allocations");
	msgpack_pack_array(pk, l.allocs.n);
	for (size_t i = 0; i < l.allocs.n; i++) {
		const struct ipam_alloc_info *a = &l.allocs.v[i];

		msgpack_pack_map(pk, 6);
		pack_addr(pk, "address", &a->addr);
		mp_pack_kv_str(pk, "handle", a->handle);
		mp_pack_kv_str(pk, "namespace", a->namespace[0] ? a->namespace : NULL);
		mp_pack_kv_str(pk, "pod", a->pod[0] ? a->pod : NULL);
		mp_pack_kv_str(pk, "pool", a->pool[0] ? a->pool : NULL);
		mp_pack_kv_str(pk, "node", a->node);
	}
	/* Claims by quorum: what this node acknowledged, and its own. */
	mp_pack_key(pk, "acknowledged");
	msgpack_pack_array(pk, l.nvotes);
	for (size_t i = 0; i < l.nvotes; i++) {
		msgpack_pack_map(pk, 2);
		pack_prefix(pk, "block", &l.votes[i].prefix);
		mp_pack_kv_str(pk, "claimant", l.votes[i].claimant);
	}
	ipam_list_free(&l);
	pack_claims(pk, &d->claims);
	return 0;
}

/* A string argument, or NULL if absent; -EINVAL if present but not text. */
static int
arg_str(const struct ctl_request *req, const char *key, char *buf,
    size_t size, const char **out, char *err, size_t errlen)
{
	const msgpack_object *o = mp_map_get(req->args, key);

	*out = NULL;
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (mp_get_str(o, buf, size) != 0) {
		snprintf(err, errlen, "argument \"%s\" must be a string of at most %zu bytes",
		    key, size - 1);
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

/*
 * The pod's named container ports: [{name, protocol ("TCP", "UDP",
 * "SCTP"; TCP if absent), port}], as Kubernetes has them in
 * spec.containers[].ports. Checked by ipam_allocate().
 */
static int
ports_parse(const msgpack_object *o, struct ipam_port *out, size_t *n,
    char *err, size_t errlen)
{
	*n = 0;
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > IPAM_PORTS_MAX) {
		snprintf(err, errlen,
		    "argument \"ports\" must be an array of at most %d maps",
		    IPAM_PORTS_MAX);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];
		const msgpack_object *pr = mp_map_get(e, "protocol");
		char proto[8] = "TCP";
		uint64_t port = 0;

		if (e->type != MSGPACK_OBJECT_MAP ||
		    mp_get_str(mp_map_get(e, "name"), out[i].name,
		    sizeof(out[i].name)) != 0 ||
		    (pr != NULL && mp_get_str(pr, proto, sizeof(proto)) != 0) ||
		    mp_get_u64(mp_map_get(e, "port"), &port) != 0 ||
		    port == 0 || port > 65535) {
			snprintf(err, errlen,
			    "argument \"ports\"[%u] must be {name: at most 15 bytes, protocol: TCP|UDP|SCTP, port: 1-65535}",
			    i);
			return -EINVAL;
		}
		if (strcasecmp(proto, "TCP") == 0)
			out[i].protocol = IPPROTO_TCP;
		else if (strcasecmp(proto, "UDP") == 0)
			out[i].protocol = IPPROTO_UDP;
		else if (strcasecmp(proto, "SCTP") == 0)
			out[i].protocol = IPPROTO_SCTP;
		else {
			snprintf(err, errlen,
			    "argument \"ports\"[%u]: protocol \"%s\" is not TCP, UDP or SCTP",
			    i, proto);
			return -EINVAL;
		}
		out[i].port = (uint16_t)port;
		*n = i + 1;
	}
	return 0;
}

int
ipamd_op_allocate(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	char handle[IPAM_HANDLE_MAX], ns[IPAM_NAME_MAX], pod[IPAM_NAME_MAX];
	char pool[IPAM_NAME_MAX], addr[SLUICE_ADDRSTRLEN];
	struct ipam_request r = { .node = d->cfg.node_name };
	const struct cluster_node *self;
	const struct cluster_namespace *ns_obj;
	struct ipam_result res;
	struct sluice_addr want;
	const char *a = NULL;
	struct dplane_info di;
	struct ipam_port ports[IPAM_PORTS_MAX];
	struct sluice_label *labels = NULL;
	int rc;

	if ((rc = arg_str(req, "handle", handle, sizeof(handle), &r.handle,
	    err, errlen)) != 0 ||
	    (rc = arg_str(req, "namespace", ns, sizeof(ns), &r.namespace, err,
	    errlen)) != 0 ||
	    (rc = arg_str(req, "pod", pod, sizeof(pod), &r.pod, err,
	    errlen)) != 0 ||
	    (rc = arg_str(req, "pool", pool, sizeof(pool), &r.pool, err,
	    errlen)) != 0 ||
	    (rc = arg_str(req, "address", addr, sizeof(addr), &a, err,
	    errlen)) != 0)
		return rc;
	if (r.handle == NULL) {
		snprintf(err, errlen, "argument \"handle\" is required");
		return -EINVAL;
	}
	if ((rc = ports_parse(mp_map_get(req->args, "ports"), ports,
	    &r.nports, err, errlen)) != 0)
		return rc;
	r.ports = ports;
	if ((rc = policyd_labels_parse(mp_map_get(req->args, "labels"),
	    "argument \"labels\"", &labels, &r.nlabels, err, errlen)) != 0)
		return rc;
	r.labels = labels;
	/*
	 * Selection by labels: this node's (its Node manifest) and the pod
	 * namespace's (its Namespace manifest; none if there is none).
	 */
	self = cluster_node_find(&d->manifests.cluster, d->cfg.node_name);
	if (self != NULL) {
		r.node_labels = self->labels;
		r.nnode_labels = self->nlabels;
	}
	ns_obj = r.namespace != NULL ?
	    cluster_namespace_find(&d->manifests.cluster, r.namespace) : NULL;
	if (ns_obj != NULL) {
		r.namespace_labels = ns_obj->labels;
		r.nnamespace_labels = ns_obj->nlabels;
	}
	if (a != NULL) {
		if (sluice_addr_parse(a, &want) != 0) {
			snprintf(err, errlen, "\"%s\" is not an IP address", a);
			rc = -EINVAL;
			goto out;
		}
		r.addr = &want;
	}
	rc = ipam_allocate(d->ipam, &r, &res, err, errlen);
	if (rc == -EAGAIN) {	/* a new block first, from the cluster */
		rc = claims_wait(d, req, &res.need_block, err, errlen);
		goto out;
	}
	if (rc != 0)
		goto out;
	/* A new block is routed here and announced before we answer. */
	if (res.claimed && ipamd_own_blocks(d)) {
		peers_apply(d);
		links_announce(d);
	}
	if (!res.existing) {
		char ab[SLUICE_ADDRSTRLEN];

		/*
		 * The pod is under its policy before it has its address:
		 * its first packet is judged as its own.
		 */
		policyd_update(d, POLICYD_LOCAL_PODS);

		log_info("ipam: %s gets %s (pool %s%s%s%s%s)", r.handle,
		    sluice_addr_str(&res.addr, ab, sizeof(ab)), res.pool,
		    r.namespace ? ", namespace " : "",
		    r.namespace ? r.namespace : "", r.pod ? ", pod " : "",
		    r.pod ? r.pod : "");
	}
	dplane_info_get(d->dp, &di);
	msgpack_pack_map(pk, 6);
	pack_addr(pk, "address", &res.addr);
	pack_prefix(pk, "block", &res.block);
	mp_pack_kv_str(pk, "pool", res.pool);
	mp_pack_kv_bool(pk, "natOutgoing", res.nat_outgoing);
	mp_pack_kv_bool(pk, "existing", res.existing);
	mp_pack_kv_u64(pk, "mtu", di.tun_mtu);
out:
	policyd_labels_free(labels, r.nlabels);
	return rc;
}

/* Gives back an empty block this node claimed; announced at once. */
static int
release_block(struct sluiced *d, const char *text, msgpack_packer *pk,
    char *err, size_t errlen)
{
	const struct cluster_node *self =
	    cluster_node_find(&d->manifests.cluster, d->cfg.node_name);
	struct sluice_prefix b;
	int rc;

	if (sluice_prefix_parse(text, false, &b) != 0) {
		snprintf(err, errlen, "\"%s\" is not a block (ADDR/LEN, host bits zero)",
		    text);
		return -EINVAL;
	}
	for (unsigned int i = 0; self != NULL && i < self->n_pod_cidrs; i++)
		if (self->pod_cidrs[i].len == b.len &&
		    sluice_addr_eq(&self->pod_cidrs[i].addr, &b.addr)) {
			snprintf(err, errlen,
			    "%s is a podCIDR of this node in the cluster manifest; remove it there",
			    text);
			return -EPERM;
		}
	if ((rc = ipam_block_release(d->ipam, &b, d->cfg.node_name, err,
	    errlen)) != 0)
		return rc;
	log_info("ipam: released block %s", text);
	if (ipamd_own_blocks(d))
		peers_apply(d);
	links_announce(d);
	msgpack_pack_map(pk, 1);
	mp_pack_kv_bool(pk, "released", true);
	return 0;
}

int
ipamd_op_release(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	char handle[IPAM_HANDLE_MAX], addr[SLUICE_ADDRSTRLEN];
	char block[SLUICE_PREFIXSTRLEN];
	const char *h, *a, *b;
	struct sluice_addr sa;
	bool found = false;
	int rc;

	if ((rc = arg_str(req, "handle", handle, sizeof(handle), &h, err,
	    errlen)) != 0 ||
	    (rc = arg_str(req, "address", addr, sizeof(addr), &a, err,
	    errlen)) != 0 ||
	    (rc = arg_str(req, "block", block, sizeof(block), &b, err,
	    errlen)) != 0)
		return rc;
	if ((h != NULL) + (a != NULL) + (b != NULL) != 1) {
		snprintf(err, errlen,
		    "give exactly one of \"handle\", \"address\" and \"block\"");
		return -EINVAL;
	}
	if (b != NULL)
		return release_block(d, b, pk, err, errlen);
	if (h != NULL) {
		rc = ipam_release(d->ipam, h, &found, err, errlen);
	} else if (sluice_addr_parse(a, &sa) != 0) {
		snprintf(err, errlen, "\"%s\" is not an IP address", a);
		return -EINVAL;
	} else {
		rc = ipam_release_addr(d->ipam, &sa, &found, err, errlen);
	}
	if (rc != 0)
		return rc;
	if (found) {
		log_info("ipam: released %s", h != NULL ? h : a);
		policyd_update(d, POLICYD_LOCAL_PODS);
	}
	msgpack_pack_map(pk, 1);
	mp_pack_kv_bool(pk, "released", found);
	return 0;
}

/* Looks one handle up: its allocation, or null. */
int
ipamd_op_get(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	char handle[IPAM_HANDLE_MAX];
	struct ipam_alloc_info info;
	const char *h;
	int rc;

	if ((rc = arg_str(req, "handle", handle, sizeof(handle), &h, err,
	    errlen)) != 0)
		return rc;
	if (h == NULL) {
		snprintf(err, errlen, "argument \"handle\" is required");
		return -EINVAL;
	}
	rc = ipam_get(d->ipam, h, &info, err, errlen);
	if (rc == -ENOENT) {
		msgpack_pack_nil(pk);
		return 0;
	}
	if (rc != 0)
		return rc;
	msgpack_pack_map(pk, 6);
	pack_addr(pk, "address", &info.addr);
	mp_pack_kv_str(pk, "handle", info.handle);
	mp_pack_kv_str(pk, "namespace", info.namespace[0] ? info.namespace : NULL);
	mp_pack_kv_str(pk, "pod", info.pod[0] ? info.pod : NULL);
	mp_pack_kv_str(pk, "pool", info.pool[0] ? info.pool : NULL);
	mp_pack_kv_str(pk, "node", info.node);
	ipam_alloc_info_clear(&info);
	return 0;
}

/* Adds the handles of this node whose container part is listed bare. */
static int
expand_containers(struct sluiced *d, char (**handles)[IPAM_HANDLE_MAX],
    const char ***ptrs, uint32_t *n, char *err, size_t errlen)
{
	struct ipam_list l;
	uint32_t orig = *n;
	int rc;

	if ((rc = ipam_list_get(d->ipam, &l, err, errlen)) != 0)
		return rc;
	for (size_t a = 0; a < l.allocs.n; a++) {
		const char *h = l.allocs.v[a].handle;
		const char *slash = strrchr(h, '/');
		bool keep = false;

		if (slash == NULL ||
		    strcmp(l.allocs.v[a].node, d->cfg.node_name) != 0)
			continue;
		for (uint32_t i = 0; i < orig && !keep; i++)
			keep = strchr((*handles)[i], '/') == NULL &&
			    strlen((*handles)[i]) == (size_t)(slash - h) &&
			    strncmp((*handles)[i], h, (size_t)(slash - h)) == 0;
		if (keep) {
			char (*nh)[IPAM_HANDLE_MAX] = realloc(*handles,
			    (*n + 1) * sizeof(**handles));
			const char **np;

			if (nh == NULL) {
				rc = -ENOMEM;
				break;
			}
			*handles = nh;
			np = realloc(*ptrs, (*n + 1) * sizeof(**ptrs));
			if (np == NULL) {
				rc = -ENOMEM;
				break;
			}
			*ptrs = np;
			snprintf((*handles)[*n], IPAM_HANDLE_MAX, "%s", h);
			(*n)++;
		}
	}
	/* realloc may have moved the strings: point at them again. */
	for (uint32_t i = 0; rc == 0 && i < *n; i++)
		(*ptrs)[i] = (*handles)[i];
	ipam_list_free(&l);
	return rc;
}

int
ipamd_op_gc(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;
	const msgpack_object *live = mp_map_get(req->args, "live");
	const msgpack_object *dry = mp_map_get(req->args, "dryRun");
	struct ipam_allocs stale = { 0 };
	char (*handles)[IPAM_HANDLE_MAX] = NULL;
	const char **ptrs = NULL;
	uint32_t n = 0;
	int rc;

	if (live == NULL || live->type != MSGPACK_OBJECT_ARRAY) {
		snprintf(err, errlen,
		    "argument \"live\" (the handles still in use) must be a list");
		return -EINVAL;
	}
	if (dry != NULL && dry->type != MSGPACK_OBJECT_BOOLEAN) {
		snprintf(err, errlen, "argument \"dryRun\" must be true or false");
		return -EINVAL;
	}
	n = live->via.array.size;
	handles = calloc(n ? n : 1, sizeof(*handles));
	ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	if (handles == NULL || ptrs == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (mp_get_str(&live->via.array.ptr[i], handles[i],
		    sizeof(handles[i])) != 0 || handles[i][0] == '\0') {
			snprintf(err, errlen, "live[%u] is not a handle", i);
			rc = -EINVAL;
			goto out;
		}
		ptrs[i] = handles[i];
	}
	/* A bare container ID keeps every interface of that container. */
	if ((rc = expand_containers(d, &handles, &ptrs, &n, err,
	    errlen)) != 0)
		goto out;
	/* Only this node's allocations: the others are their nodes' to judge. */
	rc = ipam_gc(d->ipam, d->cfg.node_name, ptrs, n,
	    dry != NULL && dry->via.boolean, &stale, err, errlen);
	if (rc != 0)
		goto out;
	if (!(dry != NULL && dry->via.boolean) && stale.n > 0)
		policyd_update(d, POLICYD_LOCAL_PODS);
	msgpack_pack_map(pk, 2);
	mp_pack_kv_bool(pk, "released", !(dry != NULL && dry->via.boolean));
	mp_pack_key(pk, "stale");
	msgpack_pack_array(pk, (uint32_t)stale.n);
	for (size_t i = 0; i < stale.n; i++) {
		msgpack_pack_map(pk, 2);
		pack_addr(pk, "address", &stale.v[i].addr);
		mp_pack_kv_str(pk, "handle", stale.v[i].handle);
	}
out:
	ipam_allocs_free(&stale);
	free(handles);
	free(ptrs);
	return rc;
}
