/*
 * policyops.c - the status-socket ops of network policy: the policies in
 * force with their per-rule counters, `policy explain`, the endpoints
 * policy knows, and pod labels (see policyd.h).
 */
#include "router/policyd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/mp.h"
#include "common/selector.h"
#include "ipam/ipam.h"
#include "policy/eval.h"
#include "policy/flows.h"
#include "router/ctlargs.h"
#include "router/daemon.h"
#include "router/dnsd.h"
#include "router/polstate.h"

/*
 * An end of a connection to explain: "NS/POD" (a pod of the world; its
 * address of family, or its first) or an address.
 */
static int
resolve_end(const struct policy_world *w, const char *s, int family,
    struct sluice_addr *out, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');

	if (sluice_addr_parse(s, out) == 0)
		return 0;
	if (slash == NULL)
		return ctl_fail(err, errlen, -EINVAL,
		    "\"%s\" is neither an address nor NAMESPACE/POD", s);
	for (size_t i = 0; i < w->npods; i++) {
		const struct policy_pod *p = &w->pods[i];

		if (strlen(p->namespace) != (size_t)(slash - s) ||
		    strncmp(p->namespace, s, (size_t)(slash - s)) != 0 ||
		    strcmp(p->name, slash + 1) != 0)
			continue;
		for (size_t j = 0; j < p->nips; j++)
			if (family == 0 || p->ips[j].family == family) {
				*out = p->ips[j];
				return 0;
			}
		return ctl_fail(err, errlen, -EINVAL,
		    "pod %s has no address of the other end's family", s);
	}
	return ctl_fail(err, errlen, -ENOENT,
	    "no pod %s is known to this node (sluicectl endpoints lists them)",
	    s);
}

static int
proto_of(const char *s)
{
	if (s[0] == '\0' || strcasecmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (strcasecmp(s, "udp") == 0)
		return IPPROTO_UDP;
	if (strcasecmp(s, "sctp") == 0)
		return IPPROTO_SCTP;
	if (strcasecmp(s, "icmp") == 0)
		return IPPROTO_ICMP;
	if (strcasecmp(s, "icmpv6") == 0)
		return IPPROTO_ICMPV6;
	return -1;
}

static void
pack_decision(msgpack_packer *pk, const char *key,
    const struct policy_decision *dc, enum policy_dir dir)
{
	char buf[512], pn[320];

	mp_pack_key(pk, key);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "verdict",
	    dc->verdict == POLICY_ALLOW ? "allow" : "deny");
	if (dc->pod != NULL)
		snprintf(pn, sizeof(pn), "%s/%s", dc->pod->namespace,
		    dc->pod->name);
	mp_pack_kv_str(pk, "pod", dc->pod != NULL ? pn : NULL);
	mp_pack_kv_str(pk, "decided",
	    policy_decision_str(dc, dir, buf, sizeof(buf)));
}

int
policyd_op_explain(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct policy_state *ps = policyd_state(d);
	char from[600], to[600], proto[16], buf[1024], resolved[256];
	struct policy_result res;
	struct policy_conn c = { 0 };
	uint64_t port = 0;
	const msgpack_object *o;
	int rc, p;

	if (ps == NULL)
		return ctl_fail(err, errlen, -EAGAIN, "%s", "policy is not loaded yet");
	if ((rc = ctl_arg_str(req, "from", from, sizeof(from), true, err,
	    errlen)) != 0 ||
	    (rc = ctl_arg_str(req, "to", to, sizeof(to), true, err, errlen)) != 0 ||
	    (rc = ctl_arg_str(req, "protocol", proto, sizeof(proto), false, err,
	    errlen)) != 0)
		return rc;
	if ((p = proto_of(proto)) < 0)
		return ctl_fail(err, errlen, -EINVAL,
		    "protocol \"%s\" is not TCP, UDP, SCTP, ICMP or ICMPv6",
		    proto);
	o = mp_map_get(req->args, "port");
	if (o != NULL && (mp_get_u64(o, &port) != 0 || port > 65535))
		return ctl_fail(err, errlen, -EINVAL, "%s",
		    "argument \"port\" must be a number 0-65535");
	if ((p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP) &&
	    port == 0)
		return ctl_fail(err, errlen, -EINVAL, "%s",
		    "a TCP, UDP or SCTP connection needs a destination port");
	/* An address end first: it fixes the family of a pod end. */
	if (sluice_addr_parse(to, &c.dst) == 0) {
		if ((rc = resolve_end(&ps->w, from, c.dst.family, &c.src, err,
		    errlen)) != 0)
			return rc;
	} else {
		if ((rc = resolve_end(&ps->w, from, 0, &c.src, err,
		    errlen)) != 0 ||
		    (rc = resolve_end(&ps->w, to, c.src.family, &c.dst, err,
		    errlen)) != 0)
			return rc;
	}
	if (c.src.family != c.dst.family)
		return ctl_fail(err, errlen, -EINVAL, "%s",
		    "the two ends are of different address families");
	c.proto = (uint8_t)p;
	c.dport = (uint16_t)port;
	if ((rc = policy_eval(&ps->w, &c, &res, err, errlen)) != 0)
		return rc;
	/* Denied toward an address the pod resolved a name to: say which. */
	resolved[0] = '\0';
	if (res.egress.verdict == POLICY_DENY && res.egress.pod != NULL)
		dnsd_resolved(d, res.egress.pod, &c.dst, resolved,
		    sizeof(resolved));
	msgpack_pack_map(pk, 9);
	mp_pack_kv_str(pk, "resolvedFor", resolved[0] ? resolved : NULL);
	mp_pack_kv_str(pk, "verdict",
	    res.verdict == POLICY_ALLOW ? "allow" : "deny");
	mp_pack_kv_str(pk, "summary", policy_result_str(&res, buf,
	    sizeof(buf)));
	mp_pack_kv_str(pk, "source", sluice_addr_str(&c.src, from,
	    sizeof(from)));
	mp_pack_kv_str(pk, "destination", sluice_addr_str(&c.dst, to,
	    sizeof(to)));
	mp_pack_kv_u64(pk, "port", port);
	mp_pack_kv_u64(pk, "generation", ps->gen);
	pack_decision(pk, "egress", &res.egress, POLICY_EGRESS);
	pack_decision(pk, "ingress", &res.ingress, POLICY_INGRESS);
	return 0;
}

int
policyd_op_list(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct policyd_info pi;
	struct policy_state *ps = policyd_state(d);
	struct pf_stats fs = { 0 };
	const struct policy_world *w;
	size_t nids;

	(void)req;
	if (ps == NULL)
		return ctl_fail(err, errlen, -EAGAIN, "%s", "policy is not loaded yet");
	w = &ps->w;
	policyd_info_get(d, &pi);
	if (dplane_pf(d->dp) != NULL)
		pf_stats_get(dplane_pf(d->dp), &fs);
	nids = policy_compiled_nids(ps->pc);
	msgpack_pack_map(pk, 7);
	mp_pack_kv_u64(pk, "generation", ps->gen);
	mp_pack_kv_bool(pk, "active", ps->active);
	mp_pack_kv_str(pk, "lastError", pi.last_error);
	mp_pack_key(pk, "objects");
	msgpack_pack_map(pk, 7);
	mp_pack_kv_u64(pk, "NetworkPolicy", w->nnps);
	mp_pack_kv_u64(pk, "AdminNetworkPolicy", w->nanps);
	mp_pack_kv_u64(pk, "BaselineAdminNetworkPolicy", w->nbanps);
	mp_pack_kv_u64(pk, "NetworkSet", w->nnetsets);
	mp_pack_kv_u64(pk, "GlobalNetworkSet", w->nglobal_netsets);
	mp_pack_kv_u64(pk, "namespaces", w->nnamespaces);
	mp_pack_kv_u64(pk, "pods", w->npods);
	mp_pack_key(pk, "flows");
	msgpack_pack_map(pk, 5);
	mp_pack_kv_u64(pk, "now", fs.flows);
	mp_pack_kv_u64(pk, "created", fs.created);
	mp_pack_kv_u64(pk, "expired", fs.expired);
	mp_pack_kv_u64(pk, "rejudged", fs.rejudged);
	mp_pack_kv_u64(pk, "droppedFull", fs.full);
	mp_pack_kv_u64(pk, "skippedRemotePods", pi.skipped_remote);
	/* Every rule and outcome, with what it decided so far. */
	mp_pack_key(pk, "rules");
	msgpack_pack_array(pk, nids);
	for (size_t i = 0; i < nids; i++) {
		uint64_t flows = 0, pkts = 0;
		char buf[512];

		policy_counters(ps->pc, (uint32_t)i, &flows, &pkts);
		msgpack_pack_map(pk, 4);
		mp_pack_kv_u64(pk, "id", i);
		mp_pack_kv_str(pk, "rule", policy_id_str(ps->pc, (uint32_t)i,
		    buf, sizeof(buf)));
		mp_pack_kv_u64(pk, "flows", flows);
		mp_pack_kv_u64(pk, "packets", pkts);
	}
	return 0;
}

static void
pack_labels(msgpack_packer *pk, const struct sluice_label *l, size_t n)
{
	msgpack_pack_map(pk, n);
	for (size_t i = 0; i < n; i++) {
		mp_pack_str(pk, l[i].key);
		mp_pack_str(pk, l[i].value);
	}
}

int
policyd_op_endpoints(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct policy_state *ps = policyd_state(d);
	const struct policy_world *w;

	(void)req;
	if (ps == NULL)
		return ctl_fail(err, errlen, -EAGAIN, "%s", "policy is not loaded yet");
	w = &ps->w;
	msgpack_pack_map(pk, 2);
	mp_pack_key(pk, "pods");
	msgpack_pack_array(pk, w->npods);
	for (size_t i = 0; i < w->npods; i++) {
		const struct policy_pod *p = &w->pods[i];
		char ab[SLUICE_ADDRSTRLEN];

		msgpack_pack_map(pk, 6);
		mp_pack_kv_str(pk, "namespace", p->namespace);
		mp_pack_kv_str(pk, "pod", p->name);
		mp_pack_kv_str(pk, "node", p->node);
		mp_pack_key(pk, "addresses");
		msgpack_pack_array(pk, p->nips);
		for (size_t j = 0; j < p->nips; j++)
			mp_pack_str(pk, sluice_addr_str(&p->ips[j], ab,
			    sizeof(ab)));
		mp_pack_key(pk, "labels");
		pack_labels(pk, p->labels, p->nlabels);
		mp_pack_key(pk, "ports");
		msgpack_pack_array(pk, p->nports);
		for (size_t j = 0; j < p->nports; j++) {
			msgpack_pack_map(pk, 3);
			mp_pack_kv_str(pk, "name", p->ports[j].name);
			mp_pack_kv_u64(pk, "protocol", (uint64_t)p->ports[j].protocol);
			mp_pack_kv_u64(pk, "port", p->ports[j].port);
		}
	}
	mp_pack_key(pk, "namespaces");
	msgpack_pack_array(pk, w->nnamespaces);
	for (size_t i = 0; i < w->nnamespaces; i++) {
		msgpack_pack_map(pk, 2);
		mp_pack_kv_str(pk, "name", w->namespaces[i].name);
		mp_pack_key(pk, "labels");
		pack_labels(pk, w->namespaces[i].labels,
		    w->namespaces[i].nlabels);
	}
	return 0;
}

/* ---- labels ------------------------------------------------------------ */

void
policyd_labels_free(struct sluice_label *l, size_t n)
{
	for (size_t i = 0; l != NULL && i < n; i++) {
		free((char *)l[i].key);
		free((char *)l[i].value);
	}
	free(l);
}

static char *
dup_obj_str(const msgpack_object *o)
{
	char *s;

	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > 4096 ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return NULL;
	s = malloc(o->via.str.size + 1);
	if (s != NULL) {
		memcpy(s, o->via.str.ptr, o->via.str.size);
		s[o->via.str.size] = '\0';
	}
	return s;
}

int
policyd_labels_parse(const msgpack_object *o, const char *what,
    struct sluice_label **out, size_t *n, char *err, size_t errlen)
{
	struct sluice_label *l;
	char why[400];

	*out = NULL;
	*n = 0;
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_MAP)
		return ctl_fail(err, errlen, -EINVAL,
		    "%s must be a map of label keys to values", what);
	if (o->via.map.size > IPAM_LABELS_MAX) {
		snprintf(err, errlen, "%s: %u labels, at most %d are kept",
		    what, o->via.map.size, IPAM_LABELS_MAX);
		return -EINVAL;
	}
	if (o->via.map.size == 0)
		return 0;
	l = calloc(o->via.map.size, sizeof(*l));
	if (l == NULL)
		return ctl_fail(err, errlen, -ENOMEM, "%s", "out of memory");
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		l[i].key = dup_obj_str(&o->via.map.ptr[i].key);
		l[i].value = dup_obj_str(&o->via.map.ptr[i].val);
		*n = i + 1;
		if (l[i].key == NULL || l[i].value == NULL) {
			snprintf(err, errlen,
			    "%s: entry %u is not a string key and a string value",
			    what, i);
			goto bad;
		}
		if (sluice_label_check(l[i].key, l[i].value, why,
		    sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", what, why);
			goto bad;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(l[j].key, l[i].key) == 0) {
				snprintf(err, errlen,
				    "%s: label %s is given twice", what,
				    l[i].key);
				goto bad;
			}
	}
	*out = l;
	return 0;
bad:
	policyd_labels_free(l, *n);
	*n = 0;
	return -EINVAL;
}

/*
 * Sets and removes labels of a pod of this node: args namespace, pod,
 * set (map) and remove (array of keys). The result is stored with the
 * pod's allocations, in force (policy re-judges its flows) and announced
 * before the answer.
 */
int
policyd_op_label(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct policy_state *ps = policyd_state(d);
	char ns[IPAM_NAME_MAX], pod[IPAM_NAME_MAX];
	struct sluice_label *set = NULL, *merged = NULL;
	size_t nset = 0, nmerged = 0, changed = 0;
	const struct policy_pod *p = NULL;
	const msgpack_object *rm;
	int rc;

	if ((rc = ctl_arg_str(req, "namespace", ns, sizeof(ns), true, err,
	    errlen)) != 0 ||
	    (rc = ctl_arg_str(req, "pod", pod, sizeof(pod), true, err,
	    errlen)) != 0)
		return rc;
	if (ps == NULL || d->ipam == NULL)
		return ctl_fail(err, errlen, -EAGAIN, "%s", "policy is not loaded yet");
	for (size_t i = 0; i < ps->w.npods; i++)
		if (strcmp(ps->w.pods[i].namespace, ns) == 0 &&
		    strcmp(ps->w.pods[i].name, pod) == 0)
			p = &ps->w.pods[i];
	if (p == NULL) {
		snprintf(err, errlen, "no pod %s/%s is known (sluicectl endpoints lists them)",
		    ns, pod);
		return -ENOENT;
	}
	if (p->node == NULL || strcmp(p->node, d->cfg.node_name) != 0) {
		snprintf(err, errlen,
		    "pod %s/%s runs on node %s: its labels are kept there; label it through that node's sluiced",
		    ns, pod, p->node ? p->node : "(unknown)");
		return -EPERM;
	}
	rm = mp_map_get(req->args, "remove");
	if (rm != NULL && rm->type != MSGPACK_OBJECT_NIL &&
	    rm->type != MSGPACK_OBJECT_ARRAY)
		return ctl_fail(err, errlen, -EINVAL, "%s",
		    "argument \"remove\" must be an array of label keys");
	if ((rc = policyd_labels_parse(mp_map_get(req->args, "set"),
	    "argument \"set\"", &set, &nset, err, errlen)) != 0)
		return rc;
	merged = calloc(p->nlabels + nset + 1, sizeof(*merged));
	if (merged == NULL) {
		rc = ctl_fail(err, errlen, -ENOMEM, "%s", "out of memory");
		goto out;
	}
	/* Kept: the pod's labels neither removed nor set again. */
	for (size_t i = 0; i < p->nlabels; i++) {
		bool drop = false;

		for (size_t j = 0; j < nset && !drop; j++)
			drop = strcmp(set[j].key, p->labels[i].key) == 0;
		for (uint32_t j = 0; rm != NULL &&
		    rm->type == MSGPACK_OBJECT_ARRAY &&
		    j < rm->via.array.size && !drop; j++) {
			const msgpack_object *k = &rm->via.array.ptr[j];

			drop = k->type == MSGPACK_OBJECT_STR &&
			    k->via.str.size == strlen(p->labels[i].key) &&
			    memcmp(k->via.str.ptr, p->labels[i].key,
			    k->via.str.size) == 0;
		}
		if (!drop)
			merged[nmerged++] = p->labels[i];
	}
	for (size_t j = 0; j < nset; j++)
		merged[nmerged++] = set[j];
	rc = ipam_set_labels(d->ipam, d->cfg.node_name, ns, pod, merged,
	    nmerged, &changed, err, errlen);
	if (rc != 0)
		goto out;
	log_info("policy: labels of pod %s/%s set (%zu labels)", ns, pod,
	    nmerged);
	/* p points into the state the update replaces: done with it. */
	p = NULL;
	policyd_update(d, POLICYD_LOCAL_PODS);
	msgpack_pack_map(pk, 2);
	mp_pack_kv_u64(pk, "allocations", changed);
	mp_pack_kv_u64(pk, "generation", policyd_state(d)->gen);
out:
	free(merged);
	policyd_labels_free(set, nset);
	return rc;
}

