/*
 * flows.c - the policy flow table of flows.h.
 *
 * Layout: one array of 80-byte entries (the pool, with a free list) and,
 * per shard, hash buckets whose chains link entries by index + 1 (0 ends
 * a chain) and a timer wheel. An entry holds its flow's key once, in the
 * original orientation. The hash adds the hashes of the two endpoints,
 * so both orientations of a flow land in the same shard and bucket and
 * one chain link per entry is enough; the lookup compares the packet
 * with the entry both ways. The hash is keyed with a random seed, so
 * that a pod cannot choose ports and addresses that pile its flows into
 * one chain.
 *
 * Timers: a wheel of WHEEL one-second slots per shard, chosen over an
 * incremental sweep because its work is proportional to the flows that
 * expire, not to the size of the table. It is lazy:
 *   - A packet that moves a flow's expiry later (nearly every packet)
 *     writes the new time into the entry and nothing else: no list is
 *     touched on the hot path.
 *   - A packet that moves it earlier (RST, FIN, a denial) moves the entry
 *     to the earlier slot at once (the lists are doubly linked).
 *   - pf_expire() visits the slots of the seconds from the last one it
 *     did up to now; an entry found there that is due is freed, one that
 *     is not (its expiry moved later) is moved to its expiry's slot.
 * So an entry always sits in a slot visited no later than its expiry,
 * and a long-lived flow costs one visit per WHEEL seconds. Each call
 * visits at most PF_EXPIRE_BUDGET entries per shard (bounded time with
 * the shard's mutex held); a slot it could not finish is visited again
 * next time. Entries that are due but not yet freed are treated as gone
 * by pf_track() and pf_lookup(), so timing never depends on when
 * pf_expire() runs; only a full table does.
 */
#include "policy/flows.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* Wheel slots (seconds); longer timeouts go round more than once. */
#define WHEEL 1024
/* wprev of the first entry of a slot's list: HEAD | slot. */
#define HEAD 0x80000000u

/* Entry flags. */
#define F_ALLOW 0x01
#define F_FIN_ORIG 0x02
#define F_FIN_REPLY 0x04
/* Denied, and the reverse orientation was judged under the same
 * generation and denied too: no packet of it is judged again. */
#define F_DENY_BOTH 0x08
/* Made by a loose pickup: which side opened the connection is a guess. */
#define F_PICKUP 0x10

/* How a protocol is tracked. */
enum kind {
	K_TCP,
	K_UDP,			/* UDP-like: ports, unreplied/assured */
	K_ICMP,			/* echo: the identifier in sport, both ways */
	K_OTHER,		/* no ports */
};

/* A normalised key; state and flags are the entry's, not part of it. */
struct fkey {
	uint32_t src[4], dst[4];	/* IPv4 in [0], the rest zero */
	uint16_t sport, dport;
	uint8_t family, proto;
	uint8_t state, flags;
};

/* The key first: a lookup reads the first 44 bytes of each entry. */
struct ent {
	struct fkey k;			/* original orientation */
	uint32_t hnext;			/* bucket chain or free list, 1-based */
	uint32_t gen;
	uint32_t id[2];
	uint32_t expires, created;
	uint32_t wnext, wprev;		/* wheel list, index + 1 (or HEAD) */
	uint32_t pkts[2];		/* original, reply orientation */
};
_Static_assert(sizeof(struct ent) == 80, "a flow entry is 80 bytes");

struct shard {
	pthread_mutex_t mu;		/* guards everything below */
	uint32_t *buck;
	uint32_t mask;			/* buckets - 1 */
	uint32_t done;			/* wheel: seconds processed up to */
	bool started;			/* done is set */
	uint64_t flows, created, restarted, expired, full, rejudged;
	uint32_t wheel[WHEEL];		/* list heads, index + 1 */
} __attribute__((aligned(64)));

struct pf_table {
	struct ent *e;
	uint32_t cap;
	bool loose;
	uint64_t seed[2];
	uint32_t to[PF__COUNT];		/* timeouts per state, seconds */
	uint32_t to_denied;
	pthread_mutex_t pool_mu;	/* guards efree */
	uint32_t efree;			/* free list, index + 1 */
	struct shard s[PF_SHARDS];
};

static const uint32_t default_to[PF__COUNT] = {
	[PF_TCP_SYN_SENT] = PF_TO_SYN_SENT,
	[PF_TCP_SYN_RECV] = PF_TO_SYN_RECV,
	[PF_TCP_ESTABLISHED] = PF_TO_ESTABLISHED,
	[PF_TCP_FIN_WAIT] = PF_TO_FIN_WAIT,
	[PF_TCP_LAST_ACK] = PF_TO_LAST_ACK,
	[PF_TCP_TIME_WAIT] = PF_TO_TIME_WAIT,
	[PF_TCP_CLOSE] = PF_TO_CLOSE,
	[PF_UDP_UNREPLIED] = PF_TO_UDP_UNREPLIED,
	[PF_UDP_ASSURED] = PF_TO_UDP_ASSURED,
	[PF_ICMP] = PF_TO_ICMP,
	[PF_OTHER] = PF_TO_OTHER,
};

/* ---- keys and hashing ------------------------------------------------- */

static enum kind
kind_of(uint8_t family, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return K_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return K_UDP;
	case IPPROTO_ICMP:
		return family == AF_INET ? K_ICMP : K_OTHER;
	case IPPROTO_ICMPV6:
		return family == AF_INET6 ? K_ICMP : K_OTHER;
	default:
		return K_OTHER;
	}
}

static enum kind
normalize(const struct pf_key *k, struct fkey *n)
{
	enum kind kd = kind_of(k->family, k->proto);

	memset(n, 0, sizeof(*n));
	n->family = k->family;
	n->proto = k->proto;
	if (k->family == AF_INET) {
		memcpy(n->src, &k->src.v4, 4);
		memcpy(n->dst, &k->dst.v4, 4);
	} else {
		memcpy(n->src, &k->src.v6, 16);
		memcpy(n->dst, &k->dst.v6, 16);
	}
	if (kd == K_TCP || kd == K_UDP) {
		n->sport = k->sport;
		n->dport = k->dport;
	} else if (kd == K_ICMP) {
		n->sport = k->sport;
	}
	return kd;
}

static void
to_pf_key(const struct fkey *n, struct pf_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = n->family;
	k->proto = n->proto;
	k->sport = n->sport;
	k->dport = n->dport;
	if (n->family == AF_INET) {
		memcpy(&k->src.v4, n->src, 4);
		memcpy(&k->dst.v4, n->dst, 4);
	} else {
		memcpy(&k->src.v6, n->src, 16);
		memcpy(&k->dst.v6, n->dst, 16);
	}
}

/* The other orientation; an echo's identifier is the same both ways. */
static void
flip(struct fkey *n, enum kind kd)
{
	uint32_t a[4];
	uint16_t p;

	memcpy(a, n->src, sizeof(a));
	memcpy(n->src, n->dst, sizeof(a));
	memcpy(n->dst, a, sizeof(a));
	if (kd != K_ICMP) {
		p = n->sport;
		n->sport = n->dport;
		n->dport = p;
	}
}

/* MurmurHash3's finalizer: a bijection that avalanches. */
static inline uint64_t
fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t
ep_hash(const uint32_t a[4], uint16_t port, bool v6, uint64_t seed)
{
	uint64_t h;

	if (!v6)	/* address and port fit one word: one round */
		return fmix((((uint64_t)a[0] << 16) | port) ^ seed);
	h = fmix((((uint64_t)a[0] << 32) | a[1]) ^ seed);
	h = fmix(h ^ (((uint64_t)a[2] << 32) | a[3]));
	return fmix(h + port);
}

/* The same for both orientations: the endpoint hashes are added. */
static uint64_t
hash(const struct pf_table *t, const struct fkey *n, enum kind kd)
{
	bool v6 = n->family != AF_INET;
	uint64_t flow = ((uint64_t)n->family << 8) | n->proto;
	uint16_t ps = n->sport, pd = n->dport;

	if (kd == K_ICMP) {	/* the identifier belongs to neither end */
		flow |= (uint64_t)n->sport << 16;
		ps = pd = 0;
	}
	return fmix((ep_hash(n->src, ps, v6, t->seed[0]) +
	    ep_hash(n->dst, pd, v6, t->seed[0])) ^
	    (flow * 0x9e3779b97f4a7c15ull) ^ t->seed[1]);
}

static struct shard *
shard_of(struct pf_table *t, uint64_t h)
{
	/* High bits: the bucket takes the low ones. */
	return &t->s[(h >> 40) % PF_SHARDS];
}

static inline bool
addr_eq(const uint32_t *a, const uint32_t *b)
{
	return memcmp(a, b, 16) == 0;
}

/* 1 if n is e's original orientation, 2 if its reply, else 0. */
static int
match(const struct fkey *e, const struct fkey *n, enum kind kd)
{
	if (e->proto != n->proto || e->family != n->family)
		return 0;
	if (e->sport == n->sport && e->dport == n->dport &&
	    addr_eq(e->src, n->src) && addr_eq(e->dst, n->dst))
		return 1;
	if (kd == K_ICMP ? e->sport != n->sport :
	    e->sport != n->dport || e->dport != n->sport)
		return 0;
	return addr_eq(e->src, n->dst) && addr_eq(e->dst, n->src) ? 2 : 0;
}

/* ---- pool ------------------------------------------------------------- */

static uint32_t
pool_take(struct pf_table *t)
{
	uint32_t i;

	pthread_mutex_lock(&t->pool_mu);
	if ((i = t->efree) != 0)
		t->efree = t->e[i - 1].hnext;
	pthread_mutex_unlock(&t->pool_mu);
	return i;
}

/* Gives back the chain first..last (linked by hnext). */
static void
pool_give(struct pf_table *t, uint32_t first, uint32_t last)
{
	pthread_mutex_lock(&t->pool_mu);
	t->e[last - 1].hnext = t->efree;
	t->efree = first;
	pthread_mutex_unlock(&t->pool_mu);
}

/* ---- wheel and chains (shard mutex held) ------------------------------- */

static void
wheel_unlink(struct pf_table *t, struct shard *s, uint32_t i)
{
	struct ent *e = &t->e[i - 1];

	if (e->wprev & HEAD)
		s->wheel[e->wprev & ~HEAD] = e->wnext;
	else
		t->e[e->wprev - 1].wnext = e->wnext;
	if (e->wnext)
		t->e[e->wnext - 1].wprev = e->wprev;
	e->wnext = e->wprev = 0;
}

static void
wheel_link_slot(struct pf_table *t, struct shard *s, uint32_t i,
    uint32_t slot)
{
	struct ent *e = &t->e[i - 1];
	uint32_t *head = &s->wheel[slot];

	e->wprev = HEAD | slot;
	e->wnext = *head;
	if (*head)
		t->e[*head - 1].wprev = i;
	*head = i;
}

/* Into the slot visited next at or before its expiry. */
static void
wheel_link(struct pf_table *t, struct shard *s, uint32_t i)
{
	uint32_t exp = t->e[i - 1].expires;

	/* Already past (a caller's clock behind pf_expire()'s): the next
	 * second visited, rather than a lap later. */
	if (exp <= s->done)
		exp = s->done + 1;
	wheel_link_slot(t, s, i, exp % WHEEL);
}

static void
set_expiry(struct pf_table *t, struct shard *s, uint32_t i, uint32_t exp)
{
	struct ent *e = &t->e[i - 1];

	if (exp >= e->expires) {	/* later: pf_expire() moves it */
		e->expires = exp;
		return;
	}
	wheel_unlink(t, s, i);
	e->expires = exp;
	wheel_link(t, s, i);
}

static void
hash_link(struct pf_table *t, struct shard *s, uint32_t i, uint64_t h)
{
	uint32_t *b = &s->buck[h & s->mask];

	t->e[i - 1].hnext = *b;
	*b = i;
}

static void
hash_unlink(struct pf_table *t, struct shard *s, uint32_t i)
{
	struct ent *e = &t->e[i - 1];
	uint32_t *pp = &s->buck[hash(t, &e->k, kind_of(e->k.family,
	    e->k.proto)) & s->mask];

	while (*pp != i)
		pp = &t->e[*pp - 1].hnext;
	*pp = e->hnext;
	e->hnext = 0;
}

/* Unlinks entry i; the caller gives it back to the pool. */
static void
release(struct pf_table *t, struct shard *s, uint32_t i)
{
	hash_unlink(t, s, i);
	wheel_unlink(t, s, i);
	s->flows--;
	s->expired++;
}

static uint32_t
find(struct pf_table *t, struct shard *s, const struct fkey *n,
    enum kind kd, uint64_t h, bool *reply)
{
	uint32_t i = s->buck[h & s->mask];
	int m;

	for (; i; i = t->e[i - 1].hnext)
		if ((m = match(&t->e[i - 1].k, n, kd)) != 0) {
			*reply = m == 2;
			return i;
		}
	return 0;
}

/* ---- table ------------------------------------------------------------ */

static uint32_t
next_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

struct pf_table *
pf_new(uint32_t capacity)
{
	struct pf_table *t;
	uint32_t nb;

	if (capacity < 64)
		capacity = 64;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cap = capacity;
	t->loose = true;
	memcpy(t->to, default_to, sizeof(t->to));
	t->to_denied = PF_TO_DENIED;
	if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(t->seed)) {
		/* Early boot without entropy: weaker, but still not fixed. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->seed[0] = fmix((uint64_t)ts.tv_nsec ^ (uintptr_t)t);
		t->seed[1] = fmix(t->seed[0] ^ (uint64_t)ts.tv_sec);
	}
	pthread_mutex_init(&t->pool_mu, NULL);
	for (int k = 0; k < PF_SHARDS; k++)
		pthread_mutex_init(&t->s[k].mu, NULL);
	t->e = calloc(capacity, sizeof(*t->e));
	if (t->e == NULL)
		goto err;
	for (uint32_t i = 0; i < capacity; i++)
		t->e[i].hnext = i + 2 <= capacity ? i + 2 : 0;
	t->efree = 1;
	/* Chains of at most 1 on average with the table full. */
	nb = next_pow2(capacity / PF_SHARDS);
	for (int k = 0; k < PF_SHARDS; k++) {
		struct shard *s = &t->s[k];

		s->mask = nb - 1;
		s->buck = calloc(nb, sizeof(*s->buck));
		if (s->buck == NULL)
			goto err;
	}
	return t;
err:
	pf_free(t);
	return NULL;
}

void
pf_free(struct pf_table *t)
{
	if (t == NULL)
		return;
	for (int k = 0; k < PF_SHARDS; k++) {
		free(t->s[k].buck);
		pthread_mutex_destroy(&t->s[k].mu);
	}
	pthread_mutex_destroy(&t->pool_mu);
	free(t->e);
	free(t);
}

void
pf_set_timeouts(struct pf_table *t, const struct pf_timeouts *to)
{
	if (to->tcp_established)
		t->to[PF_TCP_ESTABLISHED] = to->tcp_established;
	if (to->tcp_time_wait)
		t->to[PF_TCP_TIME_WAIT] = to->tcp_time_wait;
	if (to->tcp_close)
		t->to[PF_TCP_CLOSE] = to->tcp_close;
	if (to->udp)
		t->to[PF_UDP_UNREPLIED] = to->udp;
	if (to->udp_assured)
		t->to[PF_UDP_ASSURED] = to->udp_assured;
	if (to->icmp)
		t->to[PF_ICMP] = to->icmp;
	if (to->other)
		t->to[PF_OTHER] = to->other;
	if (to->denied)
		t->to_denied = to->denied;
}

void
pf_set_loose(struct pf_table *t, bool on)
{
	t->loose = on;
}

uint32_t
pf_capacity(const struct pf_table *t)
{
	return t->cap;
}

size_t
pf_bytes(const struct pf_table *t)
{
	size_t b = sizeof(*t) + (size_t)t->cap * sizeof(struct ent);

	b += (size_t)PF_SHARDS * (t->s[0].mask + 1) * sizeof(uint32_t);
	return (b + t->cap - 1) / t->cap;
}

/* ---- state ------------------------------------------------------------ */

/* Linux's tcp_valid_flags: what stacks send, PSH, ECE and CWR aside. */
static bool
bad_flags(uint8_t f)
{
	switch (f & ~(TCP_PSH | TCP_ECE | TCP_CWR)) {
	case TCP_SYN:
	case TCP_SYN | TCP_URG:
	case TCP_SYN | TCP_ACK:
	case TCP_RST:
	case TCP_RST | TCP_ACK:
	case TCP_FIN | TCP_ACK:
	case TCP_FIN | TCP_ACK | TCP_URG:
	case TCP_ACK:
	case TCP_ACK | TCP_URG:
		return false;
	default:
		return true;
	}
}

static bool
syn_only(uint8_t f)
{
	return (f & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

/* Whether a packet with no flow (of its orientation) may start one. */
static bool
can_start(const struct pf_table *t, enum kind kd, uint8_t f)
{
	if (kd != K_TCP || syn_only(f))
		return true;
	/* SYN+ACK and RST never; the rest by loose pickup. */
	return t->loose && !(f & (TCP_SYN | TCP_RST));
}

static void
judge_key(const struct fkey *n, bool is_new, uint32_t gen,
    pf_judge_fn *judge, void *arg, struct pf_verdict *v)
{
	struct pf_key k;

	to_pf_key(n, &k);
	*v = (struct pf_verdict){ .allow = false, .gen = gen };
	judge(arg, &k, is_new, v);
}

static void
set_verdict(struct ent *e, const struct pf_verdict *v)
{
	if (v->allow)
		e->k.flags |= F_ALLOW;
	else
		e->k.flags &= (uint8_t)~F_ALLOW;
	e->gen = v->gen;
	e->id[0] = v->id[0];
	e->id[1] = v->id[1];
}

/*
 * Makes e a new flow first seen as packet n with TCP flags f: its key,
 * first state and verdict; counters restart. A loose pickup that is
 * denied is judged in the reverse orientation too, unless other_denied
 * says that one was just found denied (the flow turning round; if n is
 * denied too, the flow stays the way it was). Returns true if the flow
 * ends up in the reverse orientation of n.
 */
static bool
start(struct ent *e, const struct fkey *n, enum kind kd, uint8_t f,
    bool other_denied, uint32_t gen, pf_judge_fn *judge, void *arg)
{
	struct pf_verdict v;
	bool reply = false;

	e->k = *n;
	judge_key(&e->k, true, gen, judge, arg, &v);
	if (!v.allow && other_denied) {
		/* Denied both ways: it keeps the orientation seen first. */
		flip(&e->k, kd);
		e->k.flags |= F_DENY_BOTH;
		reply = true;
	} else if (!v.allow && kd == K_TCP && !(f & TCP_SYN)) {
		struct fkey r = *n;
		struct pf_verdict w;

		flip(&r, kd);
		judge_key(&r, true, gen, judge, arg, &w);
		if (w.allow) {
			e->k = r;
			v = w;
			reply = true;
		} else {
			e->k.flags |= F_DENY_BOTH;
		}
	}
	set_verdict(e, &v);
	if (kd == K_TCP && !(f & TCP_SYN))
		e->k.flags |= F_PICKUP;
	switch (kd) {
	case K_TCP:
		/* A pickup is mid-connection; the packet's FIN, if any, is
		 * for track() to see. */
		e->k.state = syn_only(f) ? PF_TCP_SYN_SENT :
		    PF_TCP_ESTABLISHED;
		break;
	case K_UDP:
		e->k.state = PF_UDP_UNREPLIED;
		break;
	case K_ICMP:
		e->k.state = PF_ICMP;
		break;
	default:
		e->k.state = PF_OTHER;
		break;
	}
	e->pkts[0] = e->pkts[1] = 0;
	return reply;
}

/* A packet of an allowed flow moves its state. */
static void
track(struct ent *e, enum kind kd, bool reply, uint8_t f)
{
	const uint8_t both = F_FIN_ORIG | F_FIN_REPLY;
	uint8_t *st = &e->k.state;

	if (kd == K_UDP) {
		if (reply)
			*st = PF_UDP_ASSURED;
		return;
	}
	if (kd != K_TCP)
		return;
	if (f & TCP_RST) {
		*st = PF_TCP_CLOSE;
		return;
	}
	/* Reset stays reset: only a SYN (pf_track()) starts it over. */
	if (*st == PF_TCP_CLOSE)
		return;
	if (*st == PF_TCP_SYN_SENT && reply &&
	    (f & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		*st = PF_TCP_SYN_RECV;
	else if (*st == PF_TCP_SYN_RECV && !reply &&
	    (f & (TCP_SYN | TCP_ACK)) == TCP_ACK)
		*st = PF_TCP_ESTABLISHED;
	if (f & TCP_FIN)
		e->k.flags |= reply ? F_FIN_REPLY : F_FIN_ORIG;
	if ((e->k.flags & both) == both) {
		/* Both FINs: the first ACK after the last one ends it. */
		if (f & TCP_FIN)
			*st = PF_TCP_LAST_ACK;
		else if (*st != PF_TCP_TIME_WAIT && (f & TCP_ACK))
			*st = PF_TCP_TIME_WAIT;
	} else if (e->k.flags & both) {
		*st = PF_TCP_FIN_WAIT;
	}
}

static uint32_t
timeout_of(const struct pf_table *t, const struct ent *e)
{
	return e->k.flags & F_ALLOW ? t->to[e->k.state] : t->to_denied;
}

enum pf_result
pf_track(struct pf_table *t, const struct pf_key *k, uint8_t tcp_flags,
    uint32_t now, uint32_t cur_gen, pf_judge_fn *judge, void *arg,
    struct pf_seen *out)
{
	struct fkey n;
	enum kind kd = normalize(k, &n);
	enum pf_result r = PF_OK;
	bool reply = false, created = false, rejudged = false, fresh = false;
	struct shard *s;
	struct ent *e;
	uint64_t h;
	uint32_t i;

	if (kd == K_TCP && bad_flags(tcp_flags))
		return PF_BAD_FLAGS;
	h = hash(t, &n, kd);
	s = shard_of(t, h);
	pthread_mutex_lock(&s->mu);
	if (!s->started) {	/* the wheel's clock starts at first use */
		s->started = true;
		s->done = now > 0 ? now - 1 : 0;
	}
	i = find(t, s, &n, kd, h, &reply);
	if (i && t->e[i - 1].expires <= now) {	/* due, not yet freed */
		release(t, s, i);
		pool_give(t, i, i);
		i = 0;
	}
	if (i == 0) {
		if (!can_start(t, kd, tcp_flags)) {
			r = PF_NOT_NEW;
			goto out;
		}
		if ((i = pool_take(t)) == 0) {
			s->full++;
			r = PF_FULL;
			goto out;
		}
		e = &t->e[i - 1];
		memset(e, 0, sizeof(*e));
		reply = start(e, &n, kd, tcp_flags, false, cur_gen, judge, arg);
		e->created = now;
		hash_link(t, s, i, h);
		s->flows++;
		s->created++;
		created = fresh = true;
	} else {
		e = &t->e[i - 1];
		if (kd == K_TCP && syn_only(tcp_flags) && (reply ||
		    e->k.state == PF_TCP_TIME_WAIT ||
		    e->k.state == PF_TCP_CLOSE)) {
			/* Port reuse, or the responder now initiating:
			 * a new connection, whatever came before. */
			reply = start(e, &n, kd, tcp_flags, false, cur_gen,
			    judge, arg);
			e->created = now;
			s->restarted++;
			created = true;
		} else {
			if (e->gen != cur_gen) {
				struct pf_verdict v;

				judge_key(&e->k, false, cur_gen, judge, arg,
				    &v);
				set_verdict(e, &v);
				e->k.flags &= (uint8_t)~F_DENY_BOTH;
				s->rejudged++;
				rejudged = true;
			}
			/*
			 * The denied flow's packets never reached the other
			 * side: this one is not a reply but a flow of its own,
			 * judged as new (the reverse is known denied). Not for
			 * a TCP connection whose opening SYN was seen: the
			 * other side's packets are its own, in flight when a
			 * new deny cut it, and turning the flow round on them
			 * would undo the deny. (A SYN from the other side
			 * starts over above.)
			 */
			if (!(e->k.flags & F_ALLOW) && reply &&
			    !(e->k.flags & F_DENY_BOTH) &&
			    (kd != K_TCP || (e->k.flags & F_PICKUP)) &&
			    can_start(t, kd, tcp_flags)) {
				reply = start(e, &n, kd, tcp_flags, true,
				    cur_gen, judge, arg);
				e->created = now;
				s->restarted++;
				created = true;
			}
		}
	}
	if (e->k.flags & F_ALLOW)
		track(e, kd, reply, tcp_flags);
	e->pkts[reply]++;
	if (fresh) {
		e->expires = now + timeout_of(t, e);
		wheel_link(t, s, i);
	} else {
		set_expiry(t, s, i, now + timeout_of(t, e));
	}
	out->v = (struct pf_verdict){ .allow = e->k.flags & F_ALLOW,
		.gen = e->gen, .id = { e->id[0], e->id[1] } };
	out->state = e->k.state;
	out->reply = reply;
	out->created = created;
	out->rejudged = rejudged;
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void
copy_out(const struct ent *e, struct pf_flow *f)
{
	memset(f, 0, sizeof(*f));
	to_pf_key(&e->k, &f->key);
	f->state = e->k.state;
	f->v = (struct pf_verdict){ .allow = e->k.flags & F_ALLOW,
		.gen = e->gen, .id = { e->id[0], e->id[1] } };
	f->created = e->created;
	f->expires = e->expires;
	f->pkts_orig = e->pkts[0];
	f->pkts_reply = e->pkts[1];
}

bool
pf_lookup(struct pf_table *t, const struct pf_key *k, uint32_t now,
    struct pf_flow *f, bool *reply)
{
	struct fkey n;
	enum kind kd = normalize(k, &n);
	uint64_t h = hash(t, &n, kd);
	struct shard *s = shard_of(t, h);
	uint32_t i;
	bool rep = false;

	pthread_mutex_lock(&s->mu);
	i = find(t, s, &n, kd, h, &rep);
	if (i && t->e[i - 1].expires <= now)
		i = 0;
	if (i) {
		copy_out(&t->e[i - 1], f);
		*reply = rep;
	}
	pthread_mutex_unlock(&s->mu);
	return i != 0;
}

uint32_t
pf_expire(struct pf_table *t, uint32_t now)
{
	uint32_t freed = 0;

	for (int k = 0; k < PF_SHARDS; k++) {
		struct shard *s = &t->s[k];
		uint32_t budget = PF_EXPIRE_BUDGET, first = 0, last = 0;

		pthread_mutex_lock(&s->mu);
		if (!s->started) {	/* no flow yet: nothing to expire */
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		/* After a long pause, whole laps need no second visit. */
		if (now > s->done && now - s->done > WHEEL)
			s->done = now - WHEEL;
		while (s->done < now && budget > 0) {
			uint32_t slot = (s->done + 1) % WHEEL, i;

			while ((i = s->wheel[slot]) != 0 && budget > 0) {
				struct ent *e = &t->e[i - 1];
				uint32_t to = e->expires % WHEEL;

				budget--;
				if (e->expires <= now) {
					release(t, s, i);
					e->hnext = first;
					first = i;
					if (last == 0)
						last = i;
					freed++;
					continue;
				}
				/* Moved later since it was linked. Its own
				 * slot may be this one, a lap on: then the one
				 * before (visited a second earlier on that
				 * lap), so this loop does not meet it again. */
				wheel_unlink(t, s, i);
				wheel_link_slot(t, s, i, to != slot ? to :
				    (slot + WHEEL - 1) % WHEEL);
			}
			if (s->wheel[slot] != 0)
				break;		/* out of budget: next call */
			s->done++;
		}
		pthread_mutex_unlock(&s->mu);
		if (first)
			pool_give(t, first, last);
	}
	return freed;
}

void
pf_stats_get(struct pf_table *t, struct pf_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (int k = 0; k < PF_SHARDS; k++) {
		struct shard *s = &t->s[k];

		pthread_mutex_lock(&s->mu);
		st->flows += s->flows;
		st->created += s->created;
		st->restarted += s->restarted;
		st->expired += s->expired;
		st->full += s->full;
		st->rejudged += s->rejudged;
		pthread_mutex_unlock(&s->mu);
	}
}

void
pf_walk(struct pf_table *t, bool (*fn)(void *arg, const struct pf_flow *f),
    void *arg)
{
	for (int k = 0; k < PF_SHARDS; k++) {
		struct shard *s = &t->s[k];
		bool go = true;

		pthread_mutex_lock(&s->mu);
		for (uint32_t b = 0; b <= s->mask && go; b++)
			for (uint32_t i = s->buck[b]; i && go;
			    i = t->e[i - 1].hnext) {
				struct pf_flow f;

				copy_out(&t->e[i - 1], &f);
				go = fn(arg, &f);
			}
		pthread_mutex_unlock(&s->mu);
		if (!go)
			return;
	}
}

const char *
pf_state_name(uint8_t state)
{
	static const char *const names[PF__COUNT] = {
		[PF_NONE] = "none",
		[PF_TCP_SYN_SENT] = "syn_sent",
		[PF_TCP_SYN_RECV] = "syn_recv",
		[PF_TCP_ESTABLISHED] = "established",
		[PF_TCP_FIN_WAIT] = "fin_wait",
		[PF_TCP_LAST_ACK] = "last_ack",
		[PF_TCP_TIME_WAIT] = "time_wait",
		[PF_TCP_CLOSE] = "close",
		[PF_UDP_UNREPLIED] = "udp_unreplied",
		[PF_UDP_ASSURED] = "udp_assured",
		[PF_ICMP] = "icmp",
		[PF_OTHER] = "other",
	};

	return state < PF__COUNT ? names[state] : "unknown";
}
