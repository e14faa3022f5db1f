#include "router/claims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ipam/ipam.h"
#include "router/daemon.h"

static bool
prefix_eq(const struct sluice_prefix *a, const struct sluice_prefix *b)
{
	return a->len == b->len && sluice_addr_eq(&a->addr, &b->addr);
}

static const char *
pstr(const struct sluice_prefix *p, char *buf)
{
	return sluice_prefix_str(p, buf, SLUICE_PREFIXSTRLEN);
}

/* Runs the waiting requests with fn: again (allocate) or to an error. */
static void
run_waiting(struct sluiced *d, ctlsock_op_fn fn)
{
	struct claims *c = &d->claims;
	struct ctlsock_call **v = c->waiting;
	size_t n = c->nwaiting;

	/* They may wait again: they join a fresh list. */
	c->waiting = NULL;
	c->nwaiting = c->cap_waiting = 0;
	for (size_t i = 0; i < n; i++)
		ctlsock_call_run(v[i], fn, d);
	free(v);
}

static int
answer_why(void *arg, const struct ctl_request *req, msgpack_packer *pk,
    char *err, size_t errlen)
{
	struct sluiced *d = arg;

	(void)req;
	(void)pk;
	snprintf(err, errlen, "%s", d->claims.why);
	return -EAGAIN;
}

/* Our own announcement and acknowledgement follow the claim's end. */
static void
end_claim(struct sluiced *d)
{
	struct claims *c = &d->claims;
	char err[256];

	c->active = false;
	c->nacked = 0;
	/* Drop our own acknowledgement unless the block is ours now. */
	if (ipam_votes_sync(d->ipam, d->cfg.node_name, NULL, 0, err,
	    sizeof(err)) != 0)
		log_warnx("claims: %s", err);
	links_announce(d);
}

static void
give_up(struct sluiced *d, bool retry)
{
	struct claims *c = &d->claims;

	end_claim(d);
	if (retry && ++c->tries < CLAIMS_MAX_TRIES) {
		run_waiting(d, ipamd_op_allocate);
		return;
	}
	c->tries = 0;
	ipam_avoid_clear(d->ipam);
	log_warnx("ipam: %s", c->why);
	run_waiting(d, answer_why);
}

static void
commit(struct sluiced *d)
{
	struct claims *c = &d->claims;
	char b[SLUICE_PREFIXSTRLEN], holder[IPAM_NAME_MAX], err[256];
	int rc;

	rc = ipam_block_commit(d->ipam, &c->block, d->cfg.node_name, holder,
	    sizeof(holder), err, sizeof(err));
	if (rc != 0) {
		/* Learned meanwhile that someone else has it. */
		snprintf(c->why, sizeof(c->why),
		    "cannot claim a block: %s", err);
		ipam_avoid(d->ipam, &c->block);
		c->st.refused++;
		give_up(d, true);
		return;
	}
	c->st.committed++;
	c->tries = 0;
	ipam_avoid_clear(d->ipam);
	log_info("ipam: claimed block %s (%zu of %u nodes acknowledged)",
	    pstr(&c->block, b), c->nacked + 1, c->members);
	c->active = false;
	c->nacked = 0;
	if (ipamd_own_blocks(d))
		peers_apply(d);
	links_announce(d);
	run_waiting(d, ipamd_op_allocate);
}

static size_t
majority(const struct claims *c)
{
	return c->members / 2 + 1;
}

static void
send_claims(struct sluiced *d)
{
	struct claims *c = &d->claims;

	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = &d->peers[i];
		bool done = false;

		if (!p->managed || p->link == NULL)
			continue;
		for (size_t k = 0; k < c->nacked && !done; k++)
			done = strcmp(c->acked[k], p->name) == 0;
		if (!done)
			links_send_claim(d, p, c->id, &c->block);
	}
}

static void
on_timer(uv_timer_t *t)
{
	struct sluiced *d = t->data;
	struct claims *c = &d->claims;
	char b[SLUICE_PREFIXSTRLEN];

	if (!c->active)
		return;
	if (uv_now(d->loop) < c->deadline_ms) {
		send_claims(d);
		return;
	}
	c->st.timed_out++;
	snprintf(c->why, sizeof(c->why),
	    "cannot claim block %s: %zu of %u managed nodes acknowledged within %u ms, and a majority (%zu) must; the node allocates only from the blocks it owns until more nodes are reachable",
	    pstr(&c->block, b), c->nacked + 1, c->members,
	    d->cfg.claim_timeout_ms, majority(c));
	give_up(d, false);
}

static void
begin(struct sluiced *d, const struct sluice_prefix *block)
{
	struct claims *c = &d->claims;
	char b[SLUICE_PREFIXSTRLEN], holder[IPAM_NAME_MAX], err[256];
	int rc;

	rc = ipam_vote(d->ipam, block, d->cfg.node_name, holder,
	    sizeof(holder), err, sizeof(err));
	if (rc != 0) {
		snprintf(c->why, sizeof(c->why), "cannot claim a block: %s",
		    err);
		ipam_avoid(d->ipam, block);
		give_up(d, rc == -EBUSY || rc == -EEXIST);
		return;
	}
	c->active = true;
	c->id++;
	c->block = *block;
	c->nacked = 0;
	c->deadline_ms = uv_now(d->loop) + d->cfg.claim_timeout_ms;
	c->st.started++;
	if (!c->quorum) {
		commit(d);
		return;
	}
	log_debug("ipam: claiming block %s from the cluster (claim %llu)",
	    pstr(block, b), (unsigned long long)c->id);
	links_announce(d);	/* "claiming" goes out before the claim */
	send_claims(d);
	uv_timer_start(&c->timer, on_timer, CLAIMS_RESEND_MS,
	    CLAIMS_RESEND_MS);
}

int
claims_wait(struct sluiced *d, const struct ctl_request *req,
    const struct sluice_prefix *block, char *err, size_t errlen)
{
	struct claims *c = &d->claims;
	struct ctlsock_call *call;

	if (c->nwaiting >= CLAIMS_MAX_WAITING) {
		snprintf(err, errlen,
		    "%zu requests are already waiting for a block; try again",
		    c->nwaiting);
		return -EBUSY;
	}
	if (c->nwaiting == c->cap_waiting) {
		size_t ncap = c->cap_waiting ? 2 * c->cap_waiting : 16;
		struct ctlsock_call **v = realloc(c->waiting,
		    ncap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->waiting = v;
		c->cap_waiting = ncap;
	}
	call = ctlsock_defer(req);
	if (call == NULL) {
		snprintf(err, errlen,
		    "this connection has %d requests waiting already",
		    CTLSOCK_MAX_DEFERRED);
		return -EBUSY;
	}
	c->waiting[c->nwaiting++] = call;
	if (!c->active)
		begin(d, block);
	return CTLSOCK_DEFERRED;
}

uint32_t
claims_claiming(const struct sluiced *d, struct sluice_prefix *out,
    uint32_t max)
{
	if (!d->claims.active || max == 0)
		return 0;
	out[0] = d->claims.block;
	return 1;
}

void
claims_on_claim(struct sluiced *d, struct peer *p, const struct link_claim *m)
{
	struct link_vote v = { .id = m->id, .block = m->block };
	char b[SLUICE_PREFIXSTRLEN], err[256];
	int rc;

	if (d->ipam == NULL)
		return;
	rc = ipam_vote(d->ipam, &m->block, p->name, v.holder,
	    sizeof(v.holder), err, sizeof(err));
	v.ok = rc == 0;
	if (v.ok) {
		d->claims.st.acks_given++;
	} else {
		d->claims.st.acks_refused++;
		log_debug("ipam: refused %s's claim of %s: %s", p->name,
		    pstr(&m->block, b), err);
		if (rc != -EEXIST && rc != -EBUSY)
			v.holder[0] = '\0';
	}
	links_send_vote(d, p, &v);
}

void
claims_on_vote(struct sluiced *d, struct peer *p, const struct link_vote *v)
{
	struct claims *c = &d->claims;
	char b[SLUICE_PREFIXSTRLEN];

	if (!c->active || v->id != c->id || !prefix_eq(&v->block, &c->block))
		return;		/* a late answer to a claim given up */
	if (!v->ok) {
		c->st.refused++;
		snprintf(c->why, sizeof(c->why),
		    "cannot claim block %s: node %s refused it%s%s",
		    pstr(&c->block, b), p->name,
		    v->holder[0] ? ", held by " : "", v->holder);
		log_debug("ipam: %s", c->why);
		ipam_avoid(d->ipam, &c->block);
		give_up(d, true);
		return;
	}
	for (size_t k = 0; k < c->nacked; k++)
		if (strcmp(c->acked[k], p->name) == 0)
			return;
	if (c->nacked == c->cap_acked) {
		size_t ncap = c->cap_acked ? 2 * c->cap_acked : 8;
		char (*a)[64] = realloc(c->acked, ncap * sizeof(*a));

		if (a == NULL)
			return;	/* counted at the next answer */
		c->acked = a;
		c->cap_acked = ncap;
	}
	snprintf(c->acked[c->nacked++], sizeof(c->acked[0]), "%s", p->name);
	if (c->nacked + 1 >= majority(c))
		commit(d);
}

void
claims_on_blocks(struct sluiced *d, struct peer *p,
    const struct link_blocks *b)
{
	struct sluice_prefix *keep;
	char err[256];
	uint32_t n = b->n + b->nclaiming;

	if (d->ipam == NULL)
		return;
	keep = calloc(n ? n : 1, sizeof(*keep));
	if (keep == NULL)
		return;
	memcpy(keep, b->blocks, b->n * sizeof(*keep));
	memcpy(keep + b->n, b->claiming, b->nclaiming * sizeof(*keep));
	if (ipam_votes_sync(d->ipam, p->name, keep, n, err, sizeof(err)) != 0)
		log_warnx("claims of %s: %s", p->name, err);
	free(keep);
}

void
claims_manifest(struct sluiced *d)
{
	const struct cluster *cl = &d->manifests.cluster;
	struct claims *c = &d->claims;
	const char **names;
	unsigned int n = 0;
	bool self = false;
	char err[256];

	names = calloc(cl->nnodes + 1, sizeof(*names));
	if (names == NULL)
		return;
	for (size_t i = 0; i < cl->nnodes; i++) {
		if (!cl->nodes[i].managed)
			continue;
		names[n++] = cl->nodes[i].name;
		self |= strcmp(cl->nodes[i].name, d->cfg.node_name) == 0;
	}
	if (!self)
		names[n++] = d->cfg.node_name;
	c->members = n;
	c->quorum = n > 1;
	if (d->ipam != NULL) {
		ipam_claims_quorum(d->ipam, c->quorum);
		if (ipam_votes_prune(d->ipam, names, n, err, sizeof(err)) != 0)
			log_warnx("claims: %s", err);
	}
	free(names);
}

int
claims_start(struct sluiced *d, char *err, size_t errlen)
{
	struct claims *c = &d->claims;
	int rc;

	if ((rc = uv_timer_init(d->loop, &c->timer)) != 0) {
		snprintf(err, errlen, "claims timer: %s", uv_strerror(rc));
		return rc;
	}
	c->timer.data = d;
	c->timer_open = true;
	/* A claim of ours that a crash cut short is over. */
	if (ipam_votes_sync(d->ipam, d->cfg.node_name, NULL, 0, err,
	    errlen) != 0)
		return -EIO;
	return 0;
}

void
claims_stop(struct sluiced *d)
{
	struct claims *c = &d->claims;

	for (size_t i = 0; i < c->nwaiting; i++)
		ctlsock_call_drop(c->waiting[i]);
	free(c->waiting);
	c->waiting = NULL;
	c->nwaiting = c->cap_waiting = 0;
	free(c->acked);
	c->acked = NULL;
	c->nacked = c->cap_acked = 0;
	c->active = false;
	if (c->timer_open) {
		uv_timer_stop(&c->timer);
		uv_close((uv_handle_t *)&c->timer, NULL);
		c->timer_open = false;
	}
}
