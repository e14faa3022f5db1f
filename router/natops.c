/*
 * natops.c - the status socket's view of NAT: "conntrack" lists flows
 * (filtered), the counters, and the port use of the busiest destinations.
 */
#include "router/natops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mp.h"
#include "nat/ct.h"
#include "router/daemon.h"

#define LIST_DEFAULT 1000
#define LIST_MAX 100000
#define TOP_DESTS 20

struct dest_key {
	uint32_t remote, nat;
	uint16_t rport;
	uint8_t proto;
};

struct walk {
	/* filters */
	uint8_t proto;
	bool has_pod, has_remote;
	uint32_t pod, remote;
	int state;			/* -1: any */
	uint32_t limit;
	/* results */
	struct ct_flow *flows;
	uint32_t nflows, matched;
	struct dest_key *dests;
	size_t ndests, cap_dests;
	bool nomem;
};

static bool
visit(void *arg, const struct ct_flow *f)
{
	struct walk *w = arg;

	if (w->ndests == w->cap_dests) {
		size_t ncap = w->cap_dests ? 2 * w->cap_dests : 1024;
		struct dest_key *v = realloc(w->dests, ncap * sizeof(*v));

		if (v == NULL) {
			w->nomem = true;
			return false;
		}
		w->dests = v;
		w->cap_dests = ncap;
	}
	w->dests[w->ndests++] = (struct dest_key){ f->remote, f->nat,
		f->rport, f->proto };
	if ((w->proto && f->proto != w->proto) ||
	    (w->has_pod && f->pod != w->pod) ||
	    (w->has_remote && f->remote != w->remote) ||
	    (w->state >= 0 && f->state != w->state))
		return true;
	w->matched++;
	if (w->nflows < w->limit)
		w->flows[w->nflows++] = *f;
	return true;
}

static int
cmp_dest(const void *a, const void *b)
{
	const struct dest_key *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->remote != y->remote)
		return x->remote < y->remote ? -1 : 1;
	if (x->rport != y->rport)
		return x->rport < y->rport ? -1 : 1;
	if (x->nat != y->nat)
		return x->nat < y->nat ? -1 : 1;
	return 0;
}

static const char *
proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" :
	    p == IPPROTO_ICMP ? "icmp" : "?";
}

static void
pack_ep(msgpack_packer *pk, const char *k, uint32_t a, uint16_t port,
    bool with_port)
{
	char buf[32], ab[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ab, sizeof(ab));
	if (with_port)
		snprintf(buf, sizeof(buf), "%s:%u", ab, port);
	else
		snprintf(buf, sizeof(buf), "%s", ab);
	mp_pack_kv_str(pk, k, buf);
}

static int
arg_filters(const struct ctl_request *req, struct walk *w, char *err,
    size_t errlen)
{
	char buf[64];
	const msgpack_object *o;

	w->state = -1;
	w->limit = LIST_DEFAULT;
	if ((o = mp_map_get(req->args, "proto")) != NULL) {
		if (mp_get_str(o, buf, sizeof(buf)) != 0)
			goto bad_proto;
		w->proto = strcmp(buf, "tcp") == 0 ? IPPROTO_TCP :
		    strcmp(buf, "udp") == 0 ? IPPROTO_UDP :
		    strcmp(buf, "icmp") == 0 ? IPPROTO_ICMP : 0;
		if (w->proto == 0)
			goto bad_proto;
	}
	for (int k = 0; k < 2; k++) {
		const char *key = k == 0 ? "pod" : "remote";

		if ((o = mp_map_get(req->args, key)) == NULL)
			continue;
		if (mp_get_str(o, buf, sizeof(buf)) != 0 ||
		    inet_pton(AF_INET, buf, k == 0 ? &w->pod : &w->remote) != 1) {
			snprintf(err, errlen, "\"%s\" must be an IPv4 address", key);
			return -EINVAL;
		}
		*(k == 0 ? &w->has_pod : &w->has_remote) = true;
	}
	if ((o = mp_map_get(req->args, "state")) != NULL) {
		if (mp_get_str(o, buf, sizeof(buf)) == 0)
			for (int s = 1; s < CT__COUNT; s++)
				if (strcmp(buf, ct_state_name((uint8_t)s)) == 0)
					w->state = s;
		if (w->state < 0) {
			snprintf(err, errlen,
			    "\"state\" must be a state such as established, syn_sent, time_wait, udp_assured or icmp");
			return -EINVAL;
		}
	}
	if ((o = mp_map_get(req->args, "limit")) != NULL) {
		uint64_t n = 0;
		char *end;

		if (mp_get_u64(o, &n) != 0 && (mp_get_str(o, buf,
		    sizeof(buf)) != 0 || (n = strtoull(buf, &end, 10),
		    *end != '\0' || buf[0] == '\0')))
			n = 0;
		if (n == 0 || n > LIST_MAX) {
			snprintf(err, errlen,
			    "\"limit\" must be a number from 1 to %d", LIST_MAX);
			return -EINVAL;
		}
		w->limit = (uint32_t)n;
	}
	return 0;
bad_proto:
	snprintf(err, errlen, "\"proto\" must be tcp, udp or icmp");
	return -EINVAL;
}

int
natops_conntrack(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct ct_table *ct = dplane_ct(d->dp);
	struct walk w;
	struct ct_stats st;
	uint32_t now = ct_clock();
	size_t ntop = 0;
	struct { struct dest_key k; uint32_t n; } top[TOP_DESTS];
	int rc;

	memset(&w, 0, sizeof(w));
	if ((rc = arg_filters(req, &w, err, errlen)) != 0)
		return rc;
	if (ct == NULL) {
		snprintf(err, errlen, "the data plane is not running");
		return -ENODEV;
	}
	w.flows = calloc(w.limit, sizeof(*w.flows));
	if (w.flows == NULL)
		return -ENOMEM;
	ct_walk(ct, visit, &w);
	if (w.nomem) {
		free(w.flows);
		free(w.dests);
		return -ENOMEM;
	}
	/* Port use per destination: sort, count runs, keep the top. */
	qsort(w.dests, w.ndests, sizeof(*w.dests), cmp_dest);
	for (size_t i = 0; i < w.ndests;) {
		size_t j = i;

		while (j < w.ndests && cmp_dest(&w.dests[i], &w.dests[j]) == 0)
			j++;
		if (ntop < TOP_DESTS || (uint32_t)(j - i) > top[ntop - 1].n) {
			size_t at = ntop < TOP_DESTS ? ntop++ : ntop - 1;

			top[at].k = w.dests[i];
			top[at].n = (uint32_t)(j - i);
			/* Keep top sorted by count, most first. */
			while (at > 0 && top[at].n > top[at - 1].n) {
				__typeof__(top[0]) t = top[at];

				top[at] = top[at - 1];
				top[--at] = t;
			}
		}
		i = j;
	}
	ct_stats_get(ct, &st);
	msgpack_pack_map(pk, 5);
	mp_pack_key(pk, "counters");
	msgpack_pack_map(pk, 7);
	mp_pack_kv_u64(pk, "flows", st.flows);
	mp_pack_kv_u64(pk, "capacity", ct_capacity(ct));
	mp_pack_kv_u64(pk, "created", st.created);
	mp_pack_kv_u64(pk, "expired", st.expired);
	mp_pack_kv_u64(pk, "droppedFull", st.dropped_full);
	mp_pack_kv_u64(pk, "droppedNoPort", st.dropped_no_port);
	mp_pack_kv_u64(pk, "portsPerDestination",
	    (uint64_t)d->cfg.nat_port_hi - d->cfg.nat_port_lo + 1);
	mp_pack_key(pk, "destinations");
	msgpack_pack_array(pk, (uint32_t)ntop);
	for (size_t i = 0; i < ntop; i++) {
		msgpack_pack_map(pk, 4);
		mp_pack_kv_str(pk, "proto", proto_name(top[i].k.proto));
		pack_ep(pk, "remote", top[i].k.remote, top[i].k.rport,
		    top[i].k.proto != IPPROTO_ICMP);
		pack_ep(pk, "nat", top[i].k.nat, 0, false);
		mp_pack_kv_u64(pk, "portsUsed", top[i].n);
	}
	mp_pack_key(pk, "flows");
	msgpack_pack_array(pk, w.nflows);
	for (uint32_t i = 0; i < w.nflows; i++) {
		const struct ct_flow *f = &w.flows[i];
		bool ports = f->proto != IPPROTO_ICMP;

		msgpack_pack_map(pk, 8);
		mp_pack_kv_str(pk, "proto", proto_name(f->proto));
		mp_pack_kv_str(pk, "state", ct_state_name(f->state));
		pack_ep(pk, "pod", f->pod, f->pport, true);
		pack_ep(pk, "remote", f->remote, f->rport, ports);
		pack_ep(pk, "nat", f->nat, f->nport, true);
		mp_pack_kv_u64(pk, "ageS", now - f->created);
		mp_pack_kv_u64(pk, "expiresInS",
		    f->expires > now ? f->expires - now : 0);
		mp_pack_kv_u64(pk, "packets", (uint64_t)f->pkts_out +
		    f->pkts_in);
	}
	mp_pack_kv_u64(pk, "matched", w.matched);
	mp_pack_kv_bool(pk, "truncated", w.matched > w.nflows);
	free(w.flows);
	free(w.dests);
	return 0;
}
