/*
 * ct.c - the flow table of ct.h.
 *
 * Layout: one array of entries (the pool, with a free list); per shard,
 * three hash indexes (original tuple, reply tuple, destination counter)
 * whose chains link entries by index + 1 (0 ends a chain), and a timer
 * wheel of one-second slots. About 100 bytes per flow of capacity in all
 * (ct_bytes()).
 */
#include "nat/ct.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* Wheel slots (seconds); longer timeouts go round more than once. */
#define WHEEL 1024

/* Entry flags. */
#define F_FIN_OUT 0x01
#define F_FIN_IN 0x02
#define F_REPLIED 0x04

/* One cache line: a lookup touches one line per entry it walks. */
struct ent {
	uint32_t pod, remote, nat;
	uint16_t pport, rport, nport;
	uint8_t proto, state, flags, shard;
	uint32_t onext, rnext;		/* hash chains, index + 1 */
	uint32_t wnext, wprev;		/* wheel list, index + 1 */
	uint32_t expires, created;
	uint32_t pkts_out, pkts_in;
	uint32_t dest;			/* its destination counter, index + 1 */
	uint32_t spare;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ent) == 64, "a flow entry is one cache line");

/* How many flows of a shard use one (proto, remote, rport, nat). */
struct dest {
	uint32_t remote, nat;
	uint16_t rport;
	uint8_t proto, _pad;
	uint32_t count;
	uint32_t next;			/* chain, or free list; index + 1 */
};

struct shard {
	pthread_mutex_t mu;		/* guards everything below */
	uint32_t *obuck, *rbuck, *dbuck;
	uint32_t mask;			/* buckets - 1 */
	uint32_t wheel[WHEEL];		/* list heads, index + 1 */
	uint32_t done;			/* wheel: seconds processed up to */
	bool started;
};

struct ct_table {
	struct ent *e;
	struct dest *d;
	uint32_t cap;
	uint16_t lo, hi;
	pthread_mutex_t pool_mu;	/* guards efree, dfree */
	uint32_t efree, dfree;		/* free lists, index + 1 */
	uint32_t to[CT__COUNT];		/* timeouts per state, seconds */
	struct shard s[CT_SHARDS];
	_Atomic uint64_t flows, created, expired, dropped_full,
	    dropped_no_port;
};

static const uint32_t default_to[CT__COUNT] = {
	[CT_TCP_SYN_SENT] = CT_TO_SYN_SENT,
	[CT_TCP_SYN_RECV] = CT_TO_SYN_RECV,
	[CT_TCP_ESTABLISHED] = CT_TO_ESTABLISHED,
	[CT_TCP_FIN_WAIT] = CT_TO_FIN_WAIT,
	[CT_TCP_CLOSE_WAIT] = CT_TO_CLOSE_WAIT,
	[CT_TCP_TIME_WAIT] = CT_TO_TIME_WAIT,
	[CT_TCP_CLOSE] = CT_TO_CLOSE,
	[CT_UDP_UNREPLIED] = CT_TO_UDP_UNREPLIED,
	[CT_UDP_ASSURED] = CT_TO_UDP_ASSURED,
	[CT_ICMP] = CT_TO_ICMP,
};

static uint32_t
mix(uint32_t a, uint32_t b, uint32_t c)
{
	/* A small avalanche (Bob Jenkins' final mix). */
	c ^= b; c -= (b << 14) | (b >> 18);
	a ^= c; a -= (c << 11) | (c >> 21);
	b ^= a; b -= (a << 25) | (a >> 7);
	c ^= b; c -= (b << 16) | (b >> 16);
	a ^= c; a -= (c << 4) | (c >> 28);
	b ^= a; b -= (a << 14) | (a >> 18);
	c ^= b; c -= (b << 24) | (b >> 8);
	return c;
}

static uint32_t
shard_of(uint8_t proto, uint32_t remote, uint16_t rport)
{
	return mix(remote, ((uint32_t)proto << 16) | rport, 0x5eed) %
	    CT_SHARDS;
}

static uint32_t
ohash(uint8_t proto, uint32_t pod, uint16_t pport, uint32_t remote,
    uint16_t rport)
{
	return mix(pod ^ ((uint32_t)proto << 24), remote,
	    ((uint32_t)pport << 16) | rport);
}

static uint32_t
rhash(uint8_t proto, uint32_t remote, uint16_t rport, uint32_t nat,
    uint16_t nport)
{
	return mix(remote ^ ((uint32_t)proto << 24), nat,
	    ((uint32_t)rport << 16) | nport);
}

static uint32_t
dhash(uint8_t proto, uint32_t remote, uint16_t rport, uint32_t nat)
{
	return mix(remote, nat, ((uint32_t)proto << 16) | rport);
}

static uint32_t
next_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

struct ct_table *
ct_new(uint32_t capacity, uint16_t lo, uint16_t hi)
{
	struct ct_table *t;
	uint32_t nb;

	if (capacity < 64)
		capacity = 64;
	if (lo > hi)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cap = capacity;
	memcpy(t->to, default_to, sizeof(t->to));
	t->lo = lo;
	t->hi = hi;
	t->e = aligned_alloc(64, (size_t)capacity * sizeof(*t->e));
	if (t->e != NULL)
		memset(t->e, 0, (size_t)capacity * sizeof(*t->e));
	t->d = calloc(capacity, sizeof(*t->d));
	if (t->e == NULL || t->d == NULL)
		goto err;
	for (uint32_t i = 0; i < capacity; i++) {
		t->e[i].onext = i + 2 <= capacity ? i + 2 : 0;
		t->d[i].next = i + 2 <= capacity ? i + 2 : 0;
	}
	t->efree = t->dfree = 1;
	pthread_mutex_init(&t->pool_mu, NULL);
	/* Chains of about 1 on average with the table full and flows
	 * spread; a single hot destination makes one shard's chains longer. */
	nb = next_pow2(capacity / CT_SHARDS);
	for (int i = 0; i < CT_SHARDS; i++) {
		struct shard *s = &t->s[i];

		pthread_mutex_init(&s->mu, NULL);
		s->mask = nb - 1;
		s->obuck = calloc(nb, sizeof(*s->obuck));
		s->rbuck = calloc(nb, sizeof(*s->rbuck));
		s->dbuck = calloc(nb, sizeof(*s->dbuck));
		if (s->obuck == NULL || s->rbuck == NULL || s->dbuck == NULL)
			goto err;
	}
	return t;
err:
	ct_free(t);
	return NULL;
}

void
ct_free(struct ct_table *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < CT_SHARDS; i++) {
		free(t->s[i].obuck);
		free(t->s[i].rbuck);
		free(t->s[i].dbuck);
	}
	free(t->e);
	free(t->d);
	free(t);
}

uint32_t
ct_capacity(const struct ct_table *t)
{
	return t->cap;
}

size_t
ct_bytes(const struct ct_table *t)
{
	size_t b = (size_t)t->cap * (sizeof(struct ent) + sizeof(struct dest));

	b += (size_t)CT_SHARDS * 3 * (t->s[0].mask + 1) * sizeof(uint32_t);
	return b / t->cap;
}


void
ct_set_timeouts(struct ct_table *t, const struct ct_timeouts *to)
{
	if (to->tcp_established)
		t->to[CT_TCP_ESTABLISHED] = to->tcp_established;
	if (to->udp)
		t->to[CT_UDP_UNREPLIED] = to->udp;
	if (to->udp_assured)
		t->to[CT_UDP_ASSURED] = to->udp_assured;
	if (to->icmp)
		t->to[CT_ICMP] = to->icmp;
	if (to->tcp_time_wait)
		t->to[CT_TCP_TIME_WAIT] = to->tcp_time_wait;
}

static uint32_t
timeout_of(const struct ct_table *t, uint8_t state)
{
	return state < CT__COUNT && t->to[state] ? t->to[state] : CT_TO_CLOSE;
}

/* ---- wheel (shard mutex held) ------------------------------------------ */

static void
wheel_unlink(struct ct_table *t, struct shard *s, uint32_t i)
{
	struct ent *e = &t->e[i];

	if (e->wprev)
		t->e[e->wprev - 1].wnext = e->wnext;
	else
		s->wheel[e->expires % WHEEL] = e->wnext;
	if (e->wnext)
		t->e[e->wnext - 1].wprev = e->wprev;
	e->wnext = e->wprev = 0;
}

static void
wheel_link(struct ct_table *t, struct shard *s, uint32_t i)
{
	struct ent *e = &t->e[i];
	uint32_t *head = &s->wheel[e->expires % WHEEL];

	e->wprev = 0;
	e->wnext = *head;
	if (*head)
		t->e[*head - 1].wprev = i + 1;
	*head = i + 1;
}

static void
set_expiry(struct ct_table *t, struct shard *s, uint32_t i, uint32_t now)
{
	struct ent *e = &t->e[i];
	uint32_t exp = now + timeout_of(t, e->state);

	if (exp == e->expires)
		return;
	wheel_unlink(t, s, i);
	e->expires = exp;
	wheel_link(t, s, i);
}

/* ---- lookups (shard mutex held) ---------------------------------------- */

static uint32_t
find_orig(struct ct_table *t, struct shard *s, uint8_t proto, uint32_t pod,
    uint16_t pport, uint32_t remote, uint16_t rport)
{
	uint32_t i = s->obuck[ohash(proto, pod, pport, remote, rport) &
	    s->mask];

	for (; i; i = t->e[i - 1].onext) {
		const struct ent *e = &t->e[i - 1];

		if (e->proto == proto && e->pod == pod && e->pport == pport &&
		    e->remote == remote && e->rport == rport)
			return i;
	}
	return 0;
}

static uint32_t
find_reply(struct ct_table *t, struct shard *s, uint8_t proto,
    uint32_t remote, uint16_t rport, uint32_t nat, uint16_t nport)
{
	uint32_t i = s->rbuck[rhash(proto, remote, rport, nat, nport) &
	    s->mask];

	for (; i; i = t->e[i - 1].rnext) {
		const struct ent *e = &t->e[i - 1];

		if (e->proto == proto && e->remote == remote &&
		    e->rport == rport && e->nat == nat && e->nport == nport)
			return i;
	}
	return 0;
}

static uint32_t
find_dest(struct ct_table *t, struct shard *s, uint8_t proto,
    uint32_t remote, uint16_t rport, uint32_t nat)
{
	uint32_t i = s->dbuck[dhash(proto, remote, rport, nat) & s->mask];

	for (; i; i = t->d[i - 1].next) {
		const struct dest *d = &t->d[i - 1];

		if (d->proto == proto && d->remote == remote &&
		    d->rport == rport && d->nat == nat)
			return i;
	}
	return 0;
}

/* Unlinks index i (1-based) from the chain at *head, via next fields. */
#define CHAIN_UNLINK(head, i, arr, field)				\
	do {								\
		uint32_t *pp_ = (head);					\
		while (*pp_ && *pp_ != (i))				\
			pp_ = &(arr)[*pp_ - 1].field;			\
		if (*pp_)						\
			*pp_ = (arr)[(i) - 1].field;			\
	} while (0)

/* ---- making and freeing flows (shard mutex held) ------------------------ */

static uint32_t
pool_take(struct ct_table *t, bool dest)
{
	uint32_t i;

	pthread_mutex_lock(&t->pool_mu);
	if (dest) {
		if ((i = t->dfree) != 0)
			t->dfree = t->d[i - 1].next;
	} else if ((i = t->efree) != 0) {
		t->efree = t->e[i - 1].onext;
	}
	pthread_mutex_unlock(&t->pool_mu);
	return i;
}

static void
pool_give(struct ct_table *t, bool dest, uint32_t i)
{
	pthread_mutex_lock(&t->pool_mu);
	if (dest) {
		t->d[i - 1].next = t->dfree;
		t->dfree = i;
	} else {
		t->e[i - 1].onext = t->efree;
		t->efree = i;
	}
	pthread_mutex_unlock(&t->pool_mu);
}

static void
release(struct ct_table *t, struct shard *s, uint32_t i)
{
	struct ent *e = &t->e[i - 1];
	struct dest *d = &t->d[e->dest - 1];

	CHAIN_UNLINK(&s->obuck[ohash(e->proto, e->pod, e->pport, e->remote,
	    e->rport) & s->mask], i, t->e, onext);
	CHAIN_UNLINK(&s->rbuck[rhash(e->proto, e->remote, e->rport, e->nat,
	    e->nport) & s->mask], i, t->e, rnext);
	wheel_unlink(t, s, i - 1);
	if (--d->count == 0) {
		CHAIN_UNLINK(&s->dbuck[dhash(d->proto, d->remote, d->rport,
		    d->nat) & s->mask], e->dest, t->d, next);
		pool_give(t, true, e->dest);
	}
	memset(e, 0, sizeof(*e));
	pool_give(t, false, i);
	atomic_fetch_sub(&t->flows, 1);
}

/*
 * A free nport for (proto, remote, rport, nat), trying from hint: 0 and
 * *out, or -ENOSPC. dest (1-based, or 0) is its counter if there is one.
 */
static int
pick_port(struct ct_table *t, struct shard *s, uint8_t proto,
    uint32_t remote, uint16_t rport, uint32_t nat, uint32_t dest,
    uint32_t hint, uint16_t *out)
{
	uint32_t size = (uint32_t)t->hi - t->lo + 1;
	/* Reduced first: hint + k would wrap past 2^32 and, unless size is
	 * a power of 2, skip ports. */
	uint32_t start = hint % size;

	if (dest && t->d[dest - 1].count >= size)
		return -ENOSPC;
	for (uint32_t k = 0; k < size; k++) {
		uint16_t p = (uint16_t)(t->lo + (start + k) % size);

		if (!find_reply(t, s, proto, remote, rport, nat, p)) {
			*out = p;
			return 0;
		}
	}
	return -ENOSPC;
}

static enum ct_result
create(struct ct_table *t, struct shard *s, uint8_t proto, uint32_t pod,
    uint16_t pport, uint32_t remote, uint16_t rport, const uint32_t *nat,
    size_t nnat, uint32_t now, uint32_t *out)
{
	uint32_t hint = ohash(proto, pod, pport, remote, rport);
	uint32_t i, di = 0;
	uint16_t nport = 0;
	size_t a;
	struct ent *e;

	if (!s->started) {	/* the wheel's clock starts with its first flow */
		s->started = true;
		s->done = now > 0 ? now - 1 : 0;
	}

	for (a = 0; a < nnat; a++) {
		di = find_dest(t, s, proto, remote, rport, nat[a]);
		if (pick_port(t, s, proto, remote, rport, nat[a], di, hint,
		    &nport) == 0)
			break;
	}
	if (a == nnat) {
		atomic_fetch_add(&t->dropped_no_port, 1);
		return CT_NO_PORT;
	}
	if ((i = pool_take(t, false)) == 0) {
		atomic_fetch_add(&t->dropped_full, 1);
		return CT_FULL;
	}
	if (di == 0) {
		struct dest *d;

		/* As many counters as entries: never short of one. */
		if ((di = pool_take(t, true)) == 0) {
			pool_give(t, false, i);
			atomic_fetch_add(&t->dropped_full, 1);
			return CT_FULL;
		}
		d = &t->d[di - 1];
		*d = (struct dest){ .remote = remote, .nat = nat[a],
			.rport = rport, .proto = proto };
		d->next = s->dbuck[dhash(proto, remote, rport, nat[a]) &
		    s->mask];
		s->dbuck[dhash(proto, remote, rport, nat[a]) & s->mask] = di;
	}
	t->d[di - 1].count++;
	e = &t->e[i - 1];
	*e = (struct ent){ .pod = pod, .remote = remote, .nat = nat[a],
		.pport = pport, .rport = rport, .nport = nport, .proto = proto,
		.shard = (uint8_t)(s - t->s), .created = now, .expires = now,
		.dest = di };
	e->onext = s->obuck[ohash(proto, pod, pport, remote, rport) & s->mask];
	s->obuck[ohash(proto, pod, pport, remote, rport) & s->mask] = i;
	e->rnext = s->rbuck[rhash(proto, remote, rport, nat[a], nport) &
	    s->mask];
	s->rbuck[rhash(proto, remote, rport, nat[a], nport) & s->mask] = i;
	wheel_link(t, s, i - 1);
	atomic_fetch_add(&t->flows, 1);
	atomic_fetch_add(&t->created, 1);
	*out = i;
	return CT_OK;
}

/* ---- state ------------------------------------------------------------- */

static bool
bad_flags(uint8_t f)
{
	return f == 0 || ((f & TCP_SYN) && (f & (TCP_FIN | TCP_RST))) ||
	    ((f & TCP_FIN) && !(f & TCP_ACK));
}

static void
track(struct ent *e, bool out, uint8_t f)
{
	if (e->proto == IPPROTO_UDP) {
		if (!out)
			e->state = CT_UDP_ASSURED;
		return;
	}
	if (e->proto != IPPROTO_TCP)
		return;
	if (f & TCP_RST) {
		e->state = CT_TCP_CLOSE;
		return;
	}
	/* Reset stays reset: only a new SYN (ct_out()) starts it over. */
	if (e->state == CT_TCP_CLOSE)
		return;
	switch (e->state) {
	case CT_TCP_SYN_SENT:
		if (!out && (f & TCP_SYN) && (f & TCP_ACK))
			e->state = CT_TCP_SYN_RECV;
		break;
	case CT_TCP_SYN_RECV:
		if (out && (f & TCP_ACK) && !(f & TCP_SYN))
			e->state = CT_TCP_ESTABLISHED;
		break;
	default:
		break;
	}
	if (f & TCP_FIN)
		e->flags |= out ? F_FIN_OUT : F_FIN_IN;
	if ((e->flags & (F_FIN_OUT | F_FIN_IN)) == (F_FIN_OUT | F_FIN_IN)) {
		/* Both FINs: the last ACK ends it. */
		e->state = (f & TCP_ACK) && !(f & TCP_FIN) ?
		    CT_TCP_TIME_WAIT : CT_TCP_CLOSE_WAIT;
	} else if (e->flags & (F_FIN_OUT | F_FIN_IN)) {
		e->state = CT_TCP_FIN_WAIT;
	}
}

static void
copy_out(const struct ent *e, struct ct_flow *f)
{
	*f = (struct ct_flow){ .proto = e->proto, .state = e->state,
		.pod = e->pod, .remote = e->remote, .nat = e->nat,
		.pport = e->pport, .rport = e->rport, .nport = e->nport,
		.created = e->created, .expires = e->expires,
		.pkts_out = e->pkts_out, .pkts_in = e->pkts_in };
}

enum ct_result
ct_out(struct ct_table *t, uint8_t proto, uint32_t pod, uint16_t pport,
    uint32_t remote, uint16_t rport, uint8_t tcp_flags, const uint32_t *nat,
    size_t nnat, uint32_t now, struct ct_flow *f)
{
	struct shard *s = &t->s[shard_of(proto, remote, rport)];
	enum ct_result r = CT_OK;
	uint32_t i;
	struct ent *e;

	if (proto == IPPROTO_TCP && bad_flags(tcp_flags))
		return CT_BAD_FLAGS;
	pthread_mutex_lock(&s->mu);
	i = find_orig(t, s, proto, pod, pport, remote, rport);
	/* A new SYN on a closed flow starts it over (port reuse). */
	if (i && proto == IPPROTO_TCP && (tcp_flags & TCP_SYN) &&
	    !(tcp_flags & TCP_ACK) &&
	    (t->e[i - 1].state == CT_TCP_TIME_WAIT ||
	    t->e[i - 1].state == CT_TCP_CLOSE)) {
		e = &t->e[i - 1];
		e->state = CT_TCP_SYN_SENT;
		e->flags = 0;
	} else if (!i) {
		if (proto == IPPROTO_TCP && (!(tcp_flags & TCP_SYN) ||
		    (tcp_flags & TCP_ACK))) {
			r = CT_NEW_NOT_SYN;
			goto out;
		}
		r = create(t, s, proto, pod, pport, remote, rport, nat, nnat,
		    now, &i);
		if (r != CT_OK)
			goto out;
		t->e[i - 1].state = proto == IPPROTO_TCP ? CT_TCP_SYN_SENT :
		    proto == IPPROTO_UDP ? CT_UDP_UNREPLIED : CT_ICMP;
	}
	e = &t->e[i - 1];
	track(e, true, tcp_flags);
	e->pkts_out++;
	set_expiry(t, s, i - 1, now);
	copy_out(e, f);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

enum ct_result
ct_in(struct ct_table *t, uint8_t proto, uint32_t remote, uint16_t rport,
    uint32_t nat, uint16_t nport, uint8_t tcp_flags, bool peek,
    uint32_t now, struct ct_flow *f)
{
	struct shard *s = &t->s[shard_of(proto, remote, rport)];
	enum ct_result r = CT_OK;
	uint32_t i;
	struct ent *e;

	if (!peek && proto == IPPROTO_TCP && bad_flags(tcp_flags))
		return CT_BAD_FLAGS;
	pthread_mutex_lock(&s->mu);
	i = find_reply(t, s, proto, remote, rport, nat, nport);
	if (!i) {
		r = CT_NO_FLOW;
		goto out;
	}
	e = &t->e[i - 1];
	if (!peek) {
		track(e, false, tcp_flags);
		e->flags |= F_REPLIED;
		e->pkts_in++;
		set_expiry(t, s, i - 1, now);
	}
	copy_out(e, f);
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

uint32_t
ct_expire(struct ct_table *t, uint32_t now)
{
	uint32_t freed = 0;

	for (int k = 0; k < CT_SHARDS; k++) {
		struct shard *s = &t->s[k];
		uint32_t budget = CT_EXPIRE_BUDGET;

		pthread_mutex_lock(&s->mu);
		if (!s->started) {	/* no flow yet: nothing to expire */
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		/* After a long pause, whole laps need no second visit. */
		if (now - s->done > WHEEL)
			s->done = now - WHEEL;
		/* Slots from the last second done up to now; a slot that
		 * runs out of budget is visited again next time. */
		while (s->done < now && budget > 0) {
			uint32_t slot = (s->done + 1) % WHEEL;
			uint32_t i = s->wheel[slot];

			while (i && budget > 0) {
				uint32_t next = t->e[i - 1].wnext;

				if (t->e[i - 1].expires <= now) {
					release(t, s, i);
					freed++;
					budget--;
				}
				i = next;
			}
			if (budget > 0)
				s->done++;
		}
		pthread_mutex_unlock(&s->mu);
	}
	atomic_fetch_add(&t->expired, freed);
	return freed;
}

void
ct_stats_get(const struct ct_table *t, struct ct_stats *st)
{
	st->flows = atomic_load(&t->flows);
	st->created = atomic_load(&t->created);
	st->expired = atomic_load(&t->expired);
	st->dropped_full = atomic_load(&t->dropped_full);
	st->dropped_no_port = atomic_load(&t->dropped_no_port);
}

void
ct_walk(struct ct_table *t, bool (*fn)(void *arg, const struct ct_flow *f),
    void *arg)
{
	for (int k = 0; k < CT_SHARDS; k++) {
		struct shard *s = &t->s[k];
		bool go = true;

		pthread_mutex_lock(&s->mu);
		for (uint32_t w = 0; w < WHEEL && go; w++)
			for (uint32_t i = s->wheel[w]; i && go;
			    i = t->e[i - 1].wnext) {
				struct ct_flow f;

				copy_out(&t->e[i - 1], &f);
				go = fn(arg, &f);
			}
		pthread_mutex_unlock(&s->mu);
		if (!go)
			return;
	}
}

uint32_t
ct_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_sec;
}

const char *
ct_state_name(uint8_t state)
{
	static const char *const names[CT__COUNT] = {
		[CT_NONE] = "none",
		[CT_TCP_SYN_SENT] = "syn_sent",
		[CT_TCP_SYN_RECV] = "syn_recv",
		[CT_TCP_ESTABLISHED] = "established",
		[CT_TCP_FIN_WAIT] = "fin_wait",
		[CT_TCP_CLOSE_WAIT] = "close_wait",
		[CT_TCP_TIME_WAIT] = "time_wait",
		[CT_TCP_CLOSE] = "close",
		[CT_UDP_UNREPLIED] = "udp_unreplied",
		[CT_UDP_ASSURED] = "udp_assured",
		[CT_ICMP] = "icmp",
	};

	return state < CT__COUNT ? names[state] : "unknown";
}
