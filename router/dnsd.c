/*
 * dnsd.c - DNS-aware policy in the daemon (see dnsd.h).
 *
 * Persistence: the table lives in memory (the worker adds to it as
 * answers pass); once a second, if anything changed, the whole table is
 * written to the store's dns_bindings database in one transaction. A
 * crash loses at most the last second's bindings, which the pods' next
 * lookups make again; the answers themselves were never held back by a
 * disk write.
 */
#include "router/dnsd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mp.h"
#include "dns/dns.h"
#include "policy/model.h"
#include "router/daemon.h"
#include "router/policyd.h"
#include "router/polstate.h"
#include "store/store.h"

#define TICK_MS 1000
/* Key: pod family, pod (16), address family, address (16), name. */
#define KEY_FIXED 34

struct dnsd {
	struct dns_bindings *t;
	uv_timer_t timer;
	uint64_t saved;			/* change count last written */
	uint64_t save_errors;
};

static uint64_t
wall(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t
changes(struct dns_bindings *t)
{
	struct dns_stats st;

	dns_stats_get(t, &st);
	return st.added + st.refreshed + st.expired + st.evicted_pod +
	    st.evicted_total + st.bindings;
}

struct dns_bindings *
dnsd_table(struct sluiced *d)
{
	return d->dnsd != NULL ? d->dnsd->t : NULL;
}

static size_t
key_of(const struct dns_binding_info *b, uint8_t *k)
{
	size_t n = strlen(b->name);

	memset(k, 0, KEY_FIXED);
	k[0] = (uint8_t)b->pod.family;
	memcpy(k + 1, &b->pod.u, sluice_addr_len(b->pod.family));
	k[17] = (uint8_t)b->addr.family;
	memcpy(k + 18, &b->addr.u, sluice_addr_len(b->addr.family));
	memcpy(k + KEY_FIXED, b->name, n);
	return KEY_FIXED + n;
}

static bool
key_parse(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
    struct dns_binding_info *b)
{
	size_t n;

	if (kl <= KEY_FIXED || kl - KEY_FIXED >= DNS_NAME_MAX || vl != 8 ||
	    (k[0] != AF_INET && k[0] != AF_INET6) ||
	    (k[17] != AF_INET && k[17] != AF_INET6))
		return false;
	memset(b, 0, sizeof(*b));
	b->pod.family = k[0];
	memcpy(&b->pod.u, k + 1, sluice_addr_len(b->pod.family));
	b->addr.family = k[17];
	memcpy(&b->addr.u, k + 18, sluice_addr_len(b->addr.family));
	n = kl - KEY_FIXED;
	memcpy(b->name, k + KEY_FIXED, n);
	b->name[n] = '\0';
	b->expires = 0;
	for (int i = 0; i < 8; i++)
		b->expires = b->expires << 8 | v[i];
	return dns_pattern_valid(b->name) && b->name[0] != '*';
}

struct save_ctx {
	struct store_txn *txn;
	int rc;
};

static bool
save_one(void *arg, const struct dns_binding_info *b)
{
	struct save_ctx *c = arg;
	uint8_t k[KEY_FIXED + DNS_NAME_MAX], v[8];
	size_t kl = key_of(b, k);

	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(b->expires >> (56 - 8 * i));
	c->rc = store_put(c->txn, STORE_DB_DNS, k, kl, v, sizeof(v));
	return c->rc == 0;
}

/* The whole table, in place of what the store held, in one transaction. */
static int
save(struct sluiced *d)
{
	struct dnsd *dd = d->dnsd;
	struct save_ctx c = { NULL, 0 };
	struct store_cursor *cur;
	const void *k;
	size_t kl;
	int rc;

	if ((rc = store_txn_begin(d->store, true, &c.txn)) != 0)
		return rc;
	/* Empty it: deleting under a cursor moves it, so from the top each time. */
	while ((rc = store_cursor_open(c.txn, STORE_DB_DNS, &cur)) == 0) {
		uint8_t key[KEY_FIXED + DNS_NAME_MAX];

		rc = store_cursor_seek(cur, NULL, 0, &k, &kl, NULL, NULL);
		if (rc == 0 && kl <= sizeof(key))
			memcpy(key, k, kl);
		store_cursor_close(cur);
		if (rc != 0 || kl > sizeof(key))
			break;
		if ((rc = store_del(c.txn, STORE_DB_DNS, key, kl)) != 0)
			break;
	}
	if (rc != -ENOENT && rc != 0) {
		store_txn_abort(c.txn);
		return rc;
	}
	dns_bindings_walk(dd->t, save_one, &c);
	if (c.rc != 0) {
		store_txn_abort(c.txn);
		return c.rc;
	}
	return store_txn_commit(c.txn);
}

static int
load(struct sluiced *d, size_t *n)
{
	struct store_txn *txn;
	struct store_cursor *cur;
	const void *k, *v;
	size_t kl, vl;
	uint64_t now = wall();
	int rc;

	*n = 0;
	if ((rc = store_txn_begin(d->store, false, &txn)) != 0)
		return rc;
	if ((rc = store_cursor_open(txn, STORE_DB_DNS, &cur)) != 0) {
		store_txn_abort(txn);
		return rc;
	}
	for (rc = store_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); rc == 0;
	    rc = store_cursor_next(cur, &k, &kl, &v, &vl)) {
		struct dns_binding_info b;

		if (!key_parse(k, kl, v, vl, &b))
			continue;	/* not ours to trust; the next save drops it */
		if (b.expires + d->cfg.dns_grace_s < now)
			continue;
		if (dns_bindings_add(d->dnsd->t, &b.pod, b.name, &b.addr,
		    b.expires) == 0)
			(*n)++;
	}
	store_cursor_close(cur);
	store_txn_abort(txn);
	return rc == -ENOENT ? 0 : rc;
}

static void
on_tick(uv_timer_t *t)
{
	struct sluiced *d = t->data;
	struct dnsd *dd = d->dnsd;
	uint64_t c;
	int rc;

	dns_bindings_expire(dd->t, wall(), d->cfg.dns_grace_s);
	c = changes(dd->t);
	if (c == dd->saved)
		return;
	if ((rc = save(d)) != 0) {
		if (dd->save_errors++ == 0)
			log_warnx("dns: cannot store the bindings: %s (kept in memory, retried each second)",
			    strerror(-rc));
		return;
	}
	dd->saved = c;
}

int
dnsd_start(struct sluiced *d, char *err, size_t errlen)
{
	struct dns_limits lim = { d->cfg.dns_per_pod, d->cfg.dns_total };
	struct dnsd *dd = calloc(1, sizeof(*dd));
	size_t n;
	int rc;

	if (dd == NULL || (dd->t = dns_bindings_new(&lim)) == NULL) {
		free(dd);
		snprintf(err, errlen, "cannot allocate the DNS bindings table (dns.maxBindings %u)",
		    d->cfg.dns_total);
		return -ENOMEM;
	}
	d->dnsd = dd;
	if ((rc = load(d, &n)) != 0)
		log_warnx("dns: cannot read the stored bindings: %s; starting without them",
		    strerror(-rc));
	else if (n > 0)
		log_info("dns: %zu bindings restored from the store", n);
	dd->saved = changes(dd->t);
	uv_timer_init(d->loop, &dd->timer);
	dd->timer.data = d;
	uv_timer_start(&dd->timer, on_tick, TICK_MS, TICK_MS);
	return 0;
}

static void
on_closed(uv_handle_t *h)
{
	struct sluiced *d = h->data;

	dns_bindings_free(d->dnsd->t);
	free(d->dnsd);
	d->dnsd = NULL;
}

void
dnsd_stop(struct sluiced *d)
{
	if (d->dnsd == NULL)
		return;
	if (changes(d->dnsd->t) != d->dnsd->saved && save(d) != 0)
		log_warnx("dns: the last bindings could not be stored");
	uv_timer_stop(&d->dnsd->timer);
	uv_close((uv_handle_t *)&d->dnsd->timer, on_closed);
}

/* ---- pods --------------------------------------------------------------- */

struct forget_ctx {
	struct sluiced *d;
	struct sluice_addr gone[256];
	size_t n;
};

static bool
held_locally(struct sluiced *d, const struct sluice_addr *a)
{
	const struct policy_state *ps = policyd_state(d);

	for (size_t i = 0; ps != NULL && i < ps->w.npods; i++) {
		const struct policy_pod *p = &ps->w.pods[i];

		if (p->node == NULL || strcmp(p->node, d->cfg.node_name) != 0)
			continue;
		for (size_t j = 0; j < p->nips; j++)
			if (sluice_addr_eq(&p->ips[j], a))
				return true;
	}
	return false;
}

static bool
collect_gone(void *arg, const struct dns_binding_info *b)
{
	struct forget_ctx *c = arg;

	for (size_t i = 0; i < c->n; i++)
		if (sluice_addr_eq(&c->gone[i], &b->pod))
			return true;
	if (!held_locally(c->d, &b->pod) && c->n < 256)
		c->gone[c->n++] = b->pod;
	return true;
}

void
dnsd_pods_changed(struct sluiced *d)
{
	struct forget_ctx c = { .d = d, .n = 0 };

	if (d->dnsd == NULL)
		return;
	dns_bindings_walk(d->dnsd->t, collect_gone, &c);
	for (size_t i = 0; i < c.n; i++)
		dns_bindings_forget_pod(d->dnsd->t, &c.gone[i]);
}

/* ---- policy ------------------------------------------------------------- */

bool
dnsd_match(void *arg, const struct policy_pod *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    char *name, size_t size)
{
	struct sluiced *d = arg;
	struct dns_bindings *t = dnsd_table(d);

	for (size_t i = 0; t != NULL && i < pod->nips; i++)
		if (dns_bindings_match(t, &pod->ips[i], addr, patterns, n,
		    wall(), d->cfg.dns_grace_s, name, size))
			return true;
	return false;
}

bool
dnsd_resolved(struct sluiced *d, const struct policy_pod *pod,
    const struct sluice_addr *addr, char *name, size_t size)
{
	struct dns_bindings *t = dnsd_table(d);

	for (size_t i = 0; t != NULL && pod != NULL && i < pod->nips; i++)
		if (dns_bindings_any(t, &pod->ips[i], addr, wall(),
		    d->cfg.dns_grace_s, name, size))
			return true;
	return false;
}

/* ---- sluicectl dns ------------------------------------------------------ */

struct list_ctx {
	struct dns_binding_info *v;
	size_t n, cap;
};

/* One walk copies the table (the worker may add meanwhile). */
static bool
copy_one(void *arg, const struct dns_binding_info *b)
{
	struct list_ctx *c = arg;

	if (c->n == c->cap)
		return false;
	c->v[c->n++] = *b;
	return true;
}

static const struct policy_pod *
pod_at(struct sluiced *d, const struct sluice_addr *a)
{
	const struct policy_state *ps = policyd_state(d);

	for (size_t i = 0; ps != NULL && i < ps->w.npods; i++)
		for (size_t j = 0; j < ps->w.pods[i].nips; j++)
			if (sluice_addr_eq(&ps->w.pods[i].ips[j], a))
				return &ps->w.pods[i];
	return NULL;
}

int
dnsd_op_list(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	struct dns_bindings *t = dnsd_table(d);
	struct list_ctx c = { NULL, 0, 10000 };
	struct dns_stats st;
	uint64_t now = wall();
	char pb[64];

	(void)req;
	if (t == NULL) {
		snprintf(err, errlen, "DNS bindings are not loaded yet");
		return -EAGAIN;
	}
	if ((c.v = calloc(c.cap, sizeof(*c.v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	dns_stats_get(t, &st);
	dns_bindings_walk(t, copy_one, &c);
	msgpack_pack_map(pk, 4);
	mp_pack_key(pk, "resolvers");
	msgpack_pack_array(pk, d->cfg.ndns_resolvers);
	for (uint32_t i = 0; i < d->cfg.ndns_resolvers; i++)
		mp_pack_str(pk, sluice_prefix_str(&d->cfg.dns_resolvers[i], pb,
		    sizeof(pb)));
	mp_pack_kv_u64(pk, "graceSeconds", d->cfg.dns_grace_s);
	mp_pack_key(pk, "counters");
	msgpack_pack_map(pk, 6);
	mp_pack_kv_u64(pk, "bindings", st.bindings);
	mp_pack_kv_u64(pk, "added", st.added);
	mp_pack_kv_u64(pk, "refreshed", st.refreshed);
	mp_pack_kv_u64(pk, "expired", st.expired);
	mp_pack_kv_u64(pk, "evictedPerPod", st.evicted_pod);
	mp_pack_kv_u64(pk, "evictedTotal", st.evicted_total);
	/* At most 10,000 listed; the counters say how many there are. */
	mp_pack_key(pk, "bindings");
	msgpack_pack_array(pk, c.n);
	for (size_t i = 0; i < c.n; i++) {
		const struct dns_binding_info *b = &c.v[i];
		const struct policy_pod *p = pod_at(d, &b->pod);
		char ab[SLUICE_ADDRSTRLEN], pn[320];

		if (p != NULL)
			snprintf(pn, sizeof(pn), "%s/%s", p->namespace, p->name);
		else
			sluice_addr_str(&b->pod, pn, sizeof(pn));
		msgpack_pack_map(pk, 4);
		mp_pack_kv_str(pk, "pod", pn);
		mp_pack_kv_str(pk, "name", b->name);
		mp_pack_kv_str(pk, "address", sluice_addr_str(&b->addr, ab,
		    sizeof(ab)));
		/* Negative: past its TTL, alive for the grace period. */
		mp_pack_kv_i64(pk, "ttlLeft", (int64_t)b->expires -
		    (int64_t)now);
	}
	free(c.v);
	return 0;
}
