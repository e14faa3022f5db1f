/*
 * flows_test.c - the policy flow table (policy/flows.h): both
 * orientations in IPv4 and IPv6, when the judge is called and with which
 * key, cached denials and flows turning round, the TCP state machine
 * (RST, FIN/FIN, SYN reuse, loose pickup, bad flags), UDP, ICMP echo and
 * other protocols, expiry at the right second, a full table, threads on
 * overlapping flows, and a randomised run against a brute-force model.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/flows.h"
#include "tests/unit/check.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define DENY_PORT 666

static struct pf_key
K4(uint8_t proto, const char *s, uint16_t sp, const char *d, uint16_t dp)
{
	struct pf_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = proto;
	k.sport = sp;
	k.dport = dp;
	if (inet_pton(AF_INET, s, &k.src.v4) != 1 ||
	    inet_pton(AF_INET, d, &k.dst.v4) != 1)
		CHECK_FAIL("bad address %s or %s", s, d);
	return k;
}

static struct pf_key
K6(uint8_t proto, const char *s, uint16_t sp, const char *d, uint16_t dp)
{
	struct pf_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET6;
	k.proto = proto;
	k.sport = sp;
	k.dport = dp;
	if (inet_pton(AF_INET6, s, &k.src.v6) != 1 ||
	    inet_pton(AF_INET6, d, &k.dst.v6) != 1)
		CHECK_FAIL("bad address %s or %s", s, d);
	return k;
}

static bool
is_echo(const struct pf_key *k)
{
	return (k->family == AF_INET && k->proto == IPPROTO_ICMP) ||
	    (k->family == AF_INET6 && k->proto == IPPROTO_ICMPV6);
}

/* The other orientation (an echo keeps its identifier in sport). */
static struct pf_key
rev(struct pf_key k)
{
	struct pf_key r = k;

	r.src = k.dst;
	r.dst = k.src;
	if (!is_echo(&k)) {
		r.sport = k.dport;
		r.dport = k.sport;
	}
	return r;
}

static bool
key_eq(const struct pf_key *a, const struct pf_key *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->proto == b->proto &&
	    a->sport == b->sport && a->dport == b->dport &&
	    memcmp(&a->src, &b->src, n) == 0 &&
	    memcmp(&a->dst, &b->dst, n) == 0;
}

static bool
keq(struct pf_key a, struct pf_key b)
{
	return key_eq(&a, &b);
}

/* A pointer to the reverse of k, for one expression. */
#define REV(k) (&(struct pf_key[1]){ rev(k) }[0])

/* ---- a judge that remembers ------------------------------------------ */

struct judge {
	int calls, new_calls;
	struct pf_key last;
	bool last_new;
	/* Denied: destination port DENY_PORT, or a source in deny_src. */
	struct pf_key deny_src[4];
	int ndeny;
	bool deny_all;
};

static bool
src_eq(const struct pf_key *a, const struct pf_key *b)
{
	return a->family == b->family && memcmp(&a->src, &b->src,
	    a->family == AF_INET ? 4 : 16) == 0;
}

static void
judge_fn(void *arg, const struct pf_key *orig, bool is_new,
    struct pf_verdict *v)
{
	struct judge *j = arg;

	j->calls++;
	j->new_calls += is_new;
	j->last = *orig;
	j->last_new = is_new;
	v->allow = !j->deny_all && orig->dport != DENY_PORT;
	for (int i = 0; i < j->ndeny; i++)
		if (src_eq(&j->deny_src[i], orig))
			v->allow = false;
	v->id[0] = orig->dport;
	v->id[1] = v->gen * 1000;
}

static enum pf_result
trk(struct pf_table *t, struct judge *j, const struct pf_key *k,
    uint8_t flags, uint32_t now, uint32_t gen, struct pf_seen *s)
{
	memset(s, 0xa5, sizeof(*s));	/* nothing left from before */
	return pf_track(t, k, flags, now, gen, judge_fn, j, s);
}

static struct pf_flow
flow_of(struct pf_table *t, const struct pf_key *k, uint32_t now)
{
	struct pf_flow f;
	bool reply;

	if (!pf_lookup(t, k, now, &f, &reply))
		CHECK_FAIL("no flow");
	return f;
}

/* ---- tests ------------------------------------------------------------ */

static void
check_orientations(const struct pf_key *k)
{
	struct pf_table *t = pf_new(1024);
	struct judge j = { 0 };
	struct pf_key r = rev(*k);
	struct pf_seen s;
	struct pf_flow f;
	bool reply;

	ASSERT(t != NULL);
	ASSERT(!pf_lookup(t, k, 10, &f, &reply));
	ASSERT_EQ(trk(t, &j, k, SYN, 10, 1, &s), PF_OK);
	ASSERT(s.created && !s.rejudged && !s.reply && s.v.allow);
	ASSERT_EQ(s.v.gen, 1);
	ASSERT_EQ(s.v.id[0], k->dport);
	ASSERT_EQ(s.v.id[1], 1000);
	ASSERT_EQ(s.state, PF_TCP_SYN_SENT);
	ASSERT_EQ(j.calls, 1);
	ASSERT(j.last_new);
	ASSERT(key_eq(&j.last, k));
	/* The reply finds the same flow, without a verdict. */
	ASSERT_EQ(trk(t, &j, &r, SYN | ACK, 11, 1, &s), PF_OK);
	ASSERT(!s.created && !s.rejudged && s.reply && s.v.allow);
	ASSERT_EQ(s.state, PF_TCP_SYN_RECV);
	ASSERT_EQ(trk(t, &j, k, ACK, 11, 1, &s), PF_OK);
	ASSERT(!s.reply);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	ASSERT_EQ(trk(t, &j, &r, ACK | PSH, 12, 1, &s), PF_OK);
	ASSERT(s.reply);
	ASSERT_EQ(j.calls, 1);
	/* Listed once, in the original orientation, counted both ways. */
	ASSERT(pf_lookup(t, &r, 12, &f, &reply));
	ASSERT(reply);
	ASSERT(key_eq(&f.key, k));
	ASSERT_EQ(f.pkts_orig, 2);
	ASSERT_EQ(f.pkts_reply, 2);
	ASSERT_EQ(f.created, 10);
	ASSERT_EQ(f.expires, 12 + PF_TO_ESTABLISHED);
	ASSERT(pf_lookup(t, k, 12, &f, &reply));
	ASSERT(!reply);
	/* Neighbours are other flows. */
	{
		struct pf_key o = *k;

		o.sport++;
		ASSERT(!pf_lookup(t, &o, 12, &f, &reply));
		o = *k;
		o.proto = IPPROTO_UDP;
		ASSERT(!pf_lookup(t, &o, 12, &f, &reply));
		o = r;
		o.dport++;
		ASSERT(!pf_lookup(t, &o, 12, &f, &reply));
	}
	pf_free(t);
}

static void
test_orientations(void)
{
	struct pf_key k4 = K4(IPPROTO_TCP, "10.244.1.5", 40000, "10.244.2.7",
	    80);
	struct pf_key k6 = K6(IPPROTO_TCP, "fd00:10:244:1::5", 40000,
	    "fd00:10:244:2::7", 443);
	struct pf_key x;

	check_orientations(&k4);
	check_orientations(&k6);
	/* Junk in the unused bytes of an IPv4 key changes nothing. */
	x = k4;
	memset((uint8_t *)&x.src + 4, 0xee, 12);
	memset((uint8_t *)&x.dst + 4, 0x77, 12);
	check_orientations(&x);
	/* An IPv6 address whose first word is an IPv4 one's is not it. */
	{
		struct pf_table *t = pf_new(64);
		struct judge j = { 0 };
		struct pf_seen s;
		struct pf_key a = K4(IPPROTO_UDP, "10.0.0.1", 1, "10.0.0.2", 2);
		struct pf_key b = K6(IPPROTO_UDP, "a00:1::", 1, "a00:2::", 2);

		ASSERT_EQ(trk(t, &j, &a, 0, 1, 1, &s), PF_OK);
		ASSERT_EQ(trk(t, &j, &b, 0, 1, 1, &s), PF_OK);
		ASSERT(s.created);
		ASSERT_EQ(j.calls, 2);
		pf_free(t);
	}
}

static void
test_generation(void)
{
	struct pf_table *t = pf_new(1024);
	struct judge j = { 0 };
	struct pf_key k = K6(IPPROTO_TCP, "fd00::5", 40000, "fd00::7", 8080);
	struct pf_key r = rev(k);
	struct pf_seen s;

	ASSERT(t != NULL);
	ASSERT_EQ(trk(t, &j, &k, SYN, 100, 7, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, &r, SYN | ACK, 100, 7, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, &k, ACK, 100, 7, &s), PF_OK);
	ASSERT_EQ(j.calls, 1);
	/* New policy; a reply packet comes first: the flow is judged again,
	 * once, in its original orientation, not as new. */
	ASSERT_EQ(trk(t, &j, &r, ACK, 101, 8, &s), PF_OK);
	ASSERT_EQ(j.calls, 2);
	ASSERT(!j.last_new);
	ASSERT(key_eq(&j.last, &k));
	ASSERT(s.rejudged && !s.created && s.reply && s.v.allow);
	ASSERT_EQ(s.v.gen, 8);
	ASSERT_EQ(s.v.id[1], 8000);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	ASSERT_EQ(trk(t, &j, &k, ACK, 101, 8, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, &r, ACK, 101, 8, &s), PF_OK);
	ASSERT(!s.rejudged);
	ASSERT_EQ(j.calls, 2);
	/* A generation that denies it: from the next packet on, denied,
	 * with the denied timeout; its state no longer moves. */
	j.deny_src[j.ndeny++] = k;
	ASSERT_EQ(trk(t, &j, &k, FIN | ACK, 102, 9, &s), PF_OK);
	ASSERT(s.rejudged && !s.v.allow);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	ASSERT_EQ(flow_of(t, &k, 102).expires, 102 + PF_TO_DENIED);
	ASSERT_EQ(j.calls, 3);
	ASSERT_EQ(trk(t, &j, &k, ACK, 103, 9, &s), PF_OK);
	ASSERT(!s.v.allow && !s.rejudged && !s.created);
	ASSERT_EQ(j.calls, 3);
	ASSERT_EQ(flow_of(t, &k, 103).expires, 103 + PF_TO_DENIED);
	/*
	 * The other side's packets, in flight when the deny came: part of
	 * the denied connection (its SYN was seen), not a flow of their own
	 * to be judged the other way round, which would undo the deny.
	 */
	ASSERT_EQ(trk(t, &j, &r, ACK, 103, 9, &s), PF_OK);
	ASSERT(!s.v.allow && !s.created && s.reply);
	ASSERT_EQ(j.calls, 3);
	{
		struct pf_flow f = flow_of(t, &k, 103);

		ASSERT(key_eq(&f.key, &k));
	}
	/* Allowed again: it carries on where it was. */
	j.ndeny = 0;
	ASSERT_EQ(trk(t, &j, &k, ACK, 104, 10, &s), PF_OK);
	ASSERT(s.rejudged && s.v.allow);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	ASSERT_EQ(flow_of(t, &k, 104).expires, 104 + PF_TO_ESTABLISHED);
	ASSERT_EQ(j.calls, 4);
	{
		struct pf_stats st;

		pf_stats_get(t, &st);
		ASSERT_EQ(st.rejudged, 3);
		ASSERT_EQ(st.created, 1);
		ASSERT_EQ(st.flows, 1);
	}
	pf_free(t);
}

static void
test_deny_cached(void)
{
	struct pf_table *t = pf_new(1024);
	struct judge j = { 0 };
	struct pf_key k = K4(IPPROTO_TCP, "10.244.1.5", 40000, "10.244.2.7",
	    DENY_PORT);
	struct pf_key u = K4(IPPROTO_UDP, "10.244.1.5", 5000, "10.244.2.7",
	    DENY_PORT);
	struct pf_seen s;
	struct pf_stats st;

	ASSERT(t != NULL);
	ASSERT_EQ(trk(t, &j, &k, SYN, 50, 1, &s), PF_OK);
	ASSERT(s.created && !s.v.allow);
	ASSERT_EQ(s.state, PF_TCP_SYN_SENT);
	/* A storm of SYNs: one verdict, one "created". */
	for (uint32_t i = 0; i < 100; i++) {
		ASSERT_EQ(trk(t, &j, &k, SYN, 50 + i / 10, 1, &s), PF_OK);
		ASSERT(!s.created && !s.v.allow);
	}
	ASSERT_EQ(j.calls, 1);
	/* Each packet refreshes the denied timeout; silence ends it. */
	ASSERT_EQ(flow_of(t, &k, 59).expires, 59 + PF_TO_DENIED);
	ASSERT(!pf_lookup(t, &k, 59 + PF_TO_DENIED, &(struct pf_flow){ 0 },
	    &(bool){ false }));
	ASSERT_EQ(pf_expire(t, 59 + PF_TO_DENIED - 1), 0);
	ASSERT_EQ(pf_expire(t, 59 + PF_TO_DENIED), 1);
	ASSERT_EQ(trk(t, &j, &k, SYN, 80, 1, &s), PF_OK);
	ASSERT(s.created && !s.v.allow);
	ASSERT_EQ(j.calls, 2);

	/* A denied UDP flow's "reply" is a flow of its own: judged as new
	 * in its orientation (10.244.2.7:666 -> :5000, allowed), it turns
	 * the entry round, and the first side's packets are replies now. */
	ASSERT_EQ(trk(t, &j, &u, 0, 80, 1, &s), PF_OK);
	ASSERT(s.created && !s.v.allow);
	ASSERT_EQ(j.calls, 3);
	{
		struct pf_key r = rev(u);

		ASSERT_EQ(trk(t, &j, &r, 0, 81, 1, &s), PF_OK);
		ASSERT(s.created && s.v.allow && !s.reply);
		ASSERT_EQ(s.state, PF_UDP_UNREPLIED);
		ASSERT_EQ(j.calls, 4);
		ASSERT(j.last_new);
		ASSERT(key_eq(&j.last, &r));
		ASSERT_EQ(trk(t, &j, &u, 0, 82, 1, &s), PF_OK);
		ASSERT(!s.created && s.v.allow && s.reply);
		ASSERT_EQ(s.state, PF_UDP_ASSURED);
		ASSERT_EQ(j.calls, 4);
		ASSERT(keq(flow_of(t, &u, 82).key, r));
	}
	/* Denied both ways: each side judged once, then cached. */
	{
		struct pf_key a = K4(IPPROTO_UDP, "10.244.3.1", DENY_PORT,
		    "10.244.3.2", DENY_PORT);
		struct pf_key b = rev(a);
		int c = j.calls;

		ASSERT_EQ(trk(t, &j, &a, 0, 90, 1, &s), PF_OK);
		ASSERT(s.created && !s.v.allow);
		ASSERT_EQ(trk(t, &j, &b, 0, 90, 1, &s), PF_OK);
		ASSERT(s.created && !s.v.allow);
		ASSERT_EQ(j.calls, c + 2);
		for (int i = 0; i < 10; i++) {
			ASSERT_EQ(trk(t, &j, i & 1 ? &a : &b, 0, 91, 1, &s),
			    PF_OK);
			ASSERT(!s.created && !s.v.allow);
		}
		ASSERT_EQ(j.calls, c + 2);
		/* A new generation: judged again (the original), then the
		 * other side as new on its next packet. */
		ASSERT_EQ(trk(t, &j, &a, 0, 92, 2, &s), PF_OK);
		ASSERT(s.rejudged && !s.created && !s.v.allow);
		ASSERT_EQ(j.calls, c + 3);
		ASSERT_EQ(trk(t, &j, &b, 0, 92, 2, &s), PF_OK);
		ASSERT(s.created && !s.v.allow);
		ASSERT_EQ(j.calls, c + 4);
	}
	pf_stats_get(t, &st);
	ASSERT_EQ(st.created, 4);
	ASSERT_EQ(st.expired, 1);
	ASSERT_EQ(st.flows, 3);
	pf_free(t);
}

static void
test_tcp_states(void)
{
	struct pf_table *t = pf_new(1024);
	struct judge j = { 0 };
	struct pf_key k = K4(IPPROTO_TCP, "10.244.1.5", 40000, "10.244.2.7",
	    80);
	struct pf_key r = rev(k);
	struct pf_seen s;
	struct pf_stats st;

	ASSERT(t != NULL);
	/* Flags no stack sends, flow or not. */
	ASSERT_EQ(trk(t, &j, &k, SYN | FIN, 1, 1, &s), PF_BAD_FLAGS);
	ASSERT_EQ(trk(t, &j, &k, SYN | RST, 1, 1, &s), PF_BAD_FLAGS);
	ASSERT_EQ(trk(t, &j, &k, FIN, 1, 1, &s), PF_BAD_FLAGS);
	ASSERT_EQ(trk(t, &j, &k, 0, 1, 1, &s), PF_BAD_FLAGS);
	ASSERT_EQ(trk(t, &j, &k, FIN | RST | ACK, 1, 1, &s), PF_BAD_FLAGS);
	/* No flow from a RST or a SYN+ACK. */
	ASSERT_EQ(trk(t, &j, &k, RST, 1, 1, &s), PF_NOT_NEW);
	ASSERT_EQ(trk(t, &j, &k, RST | ACK, 1, 1, &s), PF_NOT_NEW);
	ASSERT_EQ(trk(t, &j, &k, SYN | ACK, 1, 1, &s), PF_NOT_NEW);
	ASSERT_EQ(j.calls, 0);

	ASSERT_EQ(trk(t, &j, &k, SYN | 0x40 | 0x80, 1, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_SYN_SENT);
	ASSERT_EQ(flow_of(t, &k, 1).expires, 1 + PF_TO_SYN_SENT);
	ASSERT_EQ(trk(t, &j, &k, SYN, 2, 1, &s), PF_OK);	/* again */
	ASSERT(!s.created);
	ASSERT_EQ(s.state, PF_TCP_SYN_SENT);
	ASSERT_EQ(trk(t, &j, &k, SYN | FIN, 2, 1, &s), PF_BAD_FLAGS);
	ASSERT_EQ(trk(t, &j, &r, SYN | ACK, 3, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_SYN_RECV);
	ASSERT_EQ(flow_of(t, &k, 3).expires, 3 + PF_TO_SYN_RECV);
	ASSERT_EQ(trk(t, &j, &k, ACK, 4, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	/* A SYN in its own orientation on a live flow changes nothing. */
	ASSERT_EQ(trk(t, &j, &k, SYN, 5, 1, &s), PF_OK);
	ASSERT(!s.created);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	/* FIN, FIN, ACK. */
	ASSERT_EQ(trk(t, &j, &k, FIN | ACK, 6, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_FIN_WAIT);
	ASSERT_EQ(flow_of(t, &k, 6).expires, 6 + PF_TO_FIN_WAIT);
	ASSERT_EQ(trk(t, &j, &r, ACK, 6, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_FIN_WAIT);
	ASSERT_EQ(trk(t, &j, &r, FIN | ACK, 7, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_LAST_ACK);
	ASSERT_EQ(flow_of(t, &k, 7).expires, 7 + PF_TO_LAST_ACK);
	ASSERT_EQ(trk(t, &j, &k, ACK, 8, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_TIME_WAIT);
	ASSERT_EQ(flow_of(t, &k, 8).expires, 8 + PF_TO_TIME_WAIT);
	ASSERT_EQ(j.calls, 1);
	/* Port reuse: a SYN on time-wait starts it over, judged as new. */
	ASSERT_EQ(trk(t, &j, &k, SYN, 9, 1, &s), PF_OK);
	ASSERT(s.created && !s.reply);
	ASSERT_EQ(s.state, PF_TCP_SYN_SENT);
	ASSERT_EQ(j.calls, 2);
	ASSERT(j.last_new);
	ASSERT_EQ(flow_of(t, &k, 9).created, 9);
	ASSERT_EQ(flow_of(t, &k, 9).pkts_orig, 1);
	ASSERT_EQ(trk(t, &j, &r, SYN | ACK, 9, 1, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, &k, ACK, 9, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	/* RST closes, from either side, with a short timeout. */
	ASSERT_EQ(trk(t, &j, &r, RST, 10, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_CLOSE);
	ASSERT(s.v.allow);
	ASSERT_EQ(flow_of(t, &k, 10).expires, 10 + PF_TO_CLOSE);
	/* Reset stays reset... */
	ASSERT_EQ(trk(t, &j, &k, FIN | ACK, 11, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_CLOSE);
	ASSERT_EQ(trk(t, &j, &k, ACK, 11, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_TCP_CLOSE);
	/* ...until a SYN, here from the other side: the flow turns
	 * round, judged as new in the SYN's orientation. */
	ASSERT_EQ(trk(t, &j, &r, SYN, 12, 1, &s), PF_OK);
	ASSERT(s.created && !s.reply);
	ASSERT_EQ(j.calls, 3);
	ASSERT(key_eq(&j.last, &r));
	ASSERT(keq(flow_of(t, &k, 12).key, r));
	ASSERT_EQ(trk(t, &j, &k, SYN | ACK, 12, 1, &s), PF_OK);
	ASSERT(s.reply);
	ASSERT_EQ(s.state, PF_TCP_SYN_RECV);
	/* A SYN from the responder of a live flow is no retransmission: it
	 * is judged as a flow of its own (so a denied direction cannot hide
	 * in an allowed flow's reply orientation). */
	ASSERT_EQ(trk(t, &j, &k, SYN, 13, 1, &s), PF_OK);
	ASSERT(s.created && !s.reply);
	ASSERT_EQ(j.calls, 4);
	ASSERT(keq(flow_of(t, &k, 13).key, k));
	pf_stats_get(t, &st);
	ASSERT_EQ(st.created, 1);
	ASSERT_EQ(st.restarted, 3);
	ASSERT_EQ(st.flows, 1);
	pf_free(t);
}

static void
test_loose(void)
{
	struct pf_table *t = pf_new(1024);
	struct judge j = { 0 };
	struct pf_key k = K4(IPPROTO_TCP, "10.244.1.5", 40000, "10.244.2.7",
	    80);
	struct pf_key srv = K6(IPPROTO_TCP, "fd00::7", 443, "fd00::5", 50000);
	struct pf_seen s;

	ASSERT(t != NULL);
	/* After a restart, mid-connection: picked up in its orientation. */
	ASSERT_EQ(trk(t, &j, &k, ACK | PSH, 1, 1, &s), PF_OK);
	ASSERT(s.created && s.v.allow && !s.reply);
	ASSERT_EQ(s.state, PF_TCP_ESTABLISHED);
	ASSERT_EQ(j.calls, 1);
	ASSERT(key_eq(&j.last, &k));
	ASSERT_EQ(flow_of(t, &k, 1).expires, 1 + PF_TO_ESTABLISHED);
	/* A server's packet whose own orientation is denied (its egress):
	 * judged the other way too, allowed there, kept that way round. */
	j.deny_src[j.ndeny++] = srv;
	ASSERT_EQ(trk(t, &j, &srv, ACK | PSH, 2, 1, &s), PF_OK);
	ASSERT(s.created && s.v.allow && s.reply);
	ASSERT_EQ(j.calls, 3);
	{
		struct pf_key c = rev(srv);

		ASSERT(key_eq(&j.last, &c));
		ASSERT(keq(flow_of(t, &srv, 2).key, c));
		ASSERT_EQ(trk(t, &j, &c, ACK, 2, 1, &s), PF_OK);
		ASSERT(!s.created && !s.reply && s.v.allow);
	}
	/* Both orientations denied: denied, cached. */
	{
		struct pf_key d = K4(IPPROTO_TCP, "10.244.9.9", 1234,
		    "10.244.2.7", DENY_PORT);

		j.deny_src[j.ndeny++] = rev(d);
		ASSERT_EQ(trk(t, &j, &d, FIN | ACK, 3, 1, &s), PF_OK);
		ASSERT(s.created && !s.v.allow && !s.reply);
		ASSERT_EQ(j.calls, 5);
		ASSERT_EQ(trk(t, &j, &d, ACK, 3, 1, &s), PF_OK);
		ASSERT_EQ(trk(t, &j, REV(d), ACK, 3, 1,
		    &s), PF_OK);
		ASSERT(!s.created && !s.v.allow);
		ASSERT_EQ(j.calls, 5);
	}
	/* A FIN picks up too, into FIN_WAIT. */
	{
		struct pf_key f = K4(IPPROTO_TCP, "10.244.1.5", 40001,
		    "10.244.2.7", 80);

		ASSERT_EQ(trk(t, &j, &f, FIN | ACK, 4, 1, &s), PF_OK);
		ASSERT(s.created && s.v.allow);
		ASSERT_EQ(s.state, PF_TCP_FIN_WAIT);
	}
	/* Off: nothing but a SYN starts a flow; known flows go on. */
	pf_set_loose(t, false);
	{
		struct pf_key n = K4(IPPROTO_TCP, "10.244.1.5", 40002,
		    "10.244.2.7", 80);
		int c = j.calls;

		ASSERT_EQ(trk(t, &j, &n, ACK, 5, 1, &s), PF_NOT_NEW);
		ASSERT_EQ(trk(t, &j, &n, FIN | ACK, 5, 1, &s), PF_NOT_NEW);
		ASSERT_EQ(j.calls, c);
		ASSERT_EQ(trk(t, &j, &k, ACK, 5, 1, &s), PF_OK);
		ASSERT(!s.created && s.v.allow);
		ASSERT_EQ(trk(t, &j, &n, SYN, 5, 1, &s), PF_OK);
		ASSERT(s.created && s.v.allow);
	}
	pf_free(t);
}

static void
test_udp_icmp_other(void)
{
	struct pf_table *t = pf_new(1024);
	struct judge j = { 0 };
	struct pf_seen s;
	struct pf_key u = K6(IPPROTO_UDP, "fd00::5", 5353, "fd00::53", 53);
	struct pf_key e4 = K4(IPPROTO_ICMP, "10.244.1.5", 0x1234,
	    "198.51.100.2", 0);
	struct pf_key e6 = K6(IPPROTO_ICMPV6, "fd00::5", 77, "2001:db8::1", 0);
	struct pf_key g = K4(47, "10.244.1.5", 1111, "10.244.2.7", 2222);
	struct pf_key sc = K4(IPPROTO_SCTP, "10.244.1.5", 3000, "10.244.2.7",
	    DENY_PORT);
	struct pf_flow f;
	bool reply;

	ASSERT(t != NULL);
	ASSERT_EQ(trk(t, &j, &u, 0, 10, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_UDP_UNREPLIED);
	ASSERT_EQ(flow_of(t, &u, 10).expires, 10 + PF_TO_UDP_UNREPLIED);
	ASSERT_EQ(trk(t, &j, &u, 0, 11, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_UDP_UNREPLIED);
	ASSERT_EQ(trk(t, &j, REV(u), 0, 12, 1, &s), PF_OK);
	ASSERT(s.reply);
	ASSERT_EQ(s.state, PF_UDP_ASSURED);
	ASSERT_EQ(flow_of(t, &u, 12).expires, 12 + PF_TO_UDP_ASSURED);
	ASSERT_EQ(trk(t, &j, &u, 0, 13, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_UDP_ASSURED);

	/* Echo: the reply carries the same identifier (its sport). */
	ASSERT_EQ(trk(t, &j, &e4, 0, 20, 1, &s), PF_OK);
	ASSERT(s.created && s.v.allow);
	ASSERT_EQ(s.state, PF_ICMP);
	ASSERT_EQ(flow_of(t, &e4, 20).expires, 20 + PF_TO_ICMP);
	{
		struct pf_key rep = e4, other = e4;

		rep.src = e4.dst;
		rep.dst = e4.src;
		rep.dport = 99;		/* not part of an echo's key */
		ASSERT_EQ(trk(t, &j, &rep, 0, 21, 1, &s), PF_OK);
		ASSERT(s.reply && !s.created);
		other.sport = 0x1235;	/* another identifier, another flow */
		ASSERT_EQ(trk(t, &j, &other, 0, 21, 1, &s), PF_OK);
		ASSERT(s.created);
		/* The reply must not pass as the request's port swap. */
		rep.sport = 0;
		rep.dport = 0x1234;
		ASSERT(!pf_lookup(t, &rep, 21, &f, &reply));
	}
	ASSERT_EQ(trk(t, &j, &e6, 0, 22, 1, &s), PF_OK);
	ASSERT(s.created);
	ASSERT_EQ(trk(t, &j, REV(e6), 0, 22, 1, &s),
	    PF_OK);
	ASSERT(s.reply && !s.created);
	ASSERT_EQ(flow_of(t, &e6, 22).key.dport, 0);
	/* ICMP in an IPv6 packet is no echo of ours: a port-less flow. */
	{
		struct pf_key odd = K6(IPPROTO_ICMP, "fd00::5", 5, "fd00::6",
		    0);

		ASSERT_EQ(trk(t, &j, &odd, 0, 22, 1, &s), PF_OK);
		ASSERT_EQ(s.state, PF_OTHER);
	}

	/* Other protocols: one flow per addresses, ports ignored. */
	ASSERT_EQ(trk(t, &j, &g, 0, 30, 1, &s), PF_OK);
	ASSERT_EQ(s.state, PF_OTHER);
	ASSERT_EQ(j.last.sport, 0);
	ASSERT_EQ(j.last.dport, 0);
	ASSERT_EQ(flow_of(t, &g, 30).expires, 30 + PF_TO_OTHER);
	g.sport = 5;
	ASSERT_EQ(trk(t, &j, &g, 0, 31, 1, &s), PF_OK);
	ASSERT(!s.created && !s.reply);
	ASSERT_EQ(trk(t, &j, REV(g), 0, 31, 1, &s), PF_OK);
	ASSERT(!s.created && s.reply);

	/* SCTP keeps its ports (policy matches on them). */
	ASSERT_EQ(trk(t, &j, &sc, 0, 40, 1, &s), PF_OK);
	ASSERT(!s.v.allow);
	sc.dport = 80;
	ASSERT_EQ(trk(t, &j, &sc, 0, 40, 1, &s), PF_OK);
	ASSERT(s.created && s.v.allow);
	ASSERT_EQ(trk(t, &j, REV(sc), 0, 41, 1, &s),
	    PF_OK);
	ASSERT_EQ(s.state, PF_UDP_ASSURED);
	ASSERT_STR_EQ(pf_state_name(PF_UDP_ASSURED), "udp_assured");
	ASSERT_STR_EQ(pf_state_name(200), "unknown");
	pf_free(t);
}

static void
test_expiry(void)
{
	struct pf_table *t = pf_new(4096);
	struct judge j = { 0 };
	struct pf_seen s;
	struct pf_key k = K4(IPPROTO_TCP, "10.244.1.5", 40000, "10.244.2.7",
	    80);
	struct pf_key u = K4(IPPROTO_UDP, "10.244.1.5", 4000, "10.244.2.7",
	    53);
	struct pf_timeouts to = { .udp = 5, .denied = 3 };
	struct pf_stats st;
	uint32_t t0 = 100000, exp;

	ASSERT(t != NULL);
	pf_set_timeouts(t, &to);
	/* Established, idle: gone exactly PF_TO_ESTABLISHED later, several
	 * laps of the wheel on, with a call every second or not. */
	ASSERT_EQ(trk(t, &j, &k, SYN, t0, 1, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, REV(k), SYN | ACK, t0, 1, &s),
	    PF_OK);
	ASSERT_EQ(trk(t, &j, &k, ACK, t0, 1, &s), PF_OK);
	exp = t0 + PF_TO_ESTABLISHED;
	for (uint32_t now = t0; now < exp; now += 7)
		ASSERT_EQ(pf_expire(t, now), 0);
	ASSERT_EQ(pf_expire(t, exp - 1), 0);
	ASSERT(pf_lookup(t, &k, exp - 1, &(struct pf_flow){ 0 },
	    &(bool){ false }));
	ASSERT_EQ(pf_expire(t, exp), 1);
	ASSERT(!pf_lookup(t, &k, exp, &(struct pf_flow){ 0 },
	    &(bool){ false }));

	/* Refreshed lazily: the old expiry frees nothing. */
	t0 = exp + 10;
	ASSERT_EQ(trk(t, &j, &k, SYN, t0, 1, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, REV(k), SYN | ACK, t0, 1, &s),
	    PF_OK);
	ASSERT_EQ(trk(t, &j, &k, ACK, t0, 1, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, &k, ACK, t0 + 1000, 1, &s), PF_OK);
	ASSERT_EQ(pf_expire(t, t0 + PF_TO_ESTABLISHED), 0);
	ASSERT_EQ(pf_expire(t, t0 + 1000 + PF_TO_ESTABLISHED - 1), 0);
	ASSERT_EQ(pf_expire(t, t0 + 1000 + PF_TO_ESTABLISHED), 1);

	/* Moved earlier (a RST): gone at the short time, to the second. */
	t0 += 20000;
	ASSERT_EQ(trk(t, &j, &k, SYN, t0, 1, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, REV(k), SYN | ACK, t0, 1, &s),
	    PF_OK);
	ASSERT_EQ(trk(t, &j, &k, ACK, t0 + 1, 1, &s), PF_OK);
	ASSERT_EQ(pf_expire(t, t0 + 2), 0);
	ASSERT_EQ(trk(t, &j, &k, RST, t0 + 3, 1, &s), PF_OK);
	ASSERT_EQ(pf_expire(t, t0 + 3 + PF_TO_CLOSE - 1), 0);
	ASSERT_EQ(pf_expire(t, t0 + 3 + PF_TO_CLOSE), 1);

	/* Configured timeouts: UDP 5 s, denied 3 s. */
	ASSERT_EQ(trk(t, &j, &u, 0, t0 + 20, 1, &s), PF_OK);
	ASSERT_EQ(flow_of(t, &u, t0 + 20).expires, t0 + 25);
	u.dport = DENY_PORT;
	ASSERT_EQ(trk(t, &j, &u, 0, t0 + 20, 1, &s), PF_OK);
	ASSERT_EQ(flow_of(t, &u, t0 + 20).expires, t0 + 23);
	ASSERT_EQ(pf_expire(t, t0 + 22), 0);
	ASSERT_EQ(pf_expire(t, t0 + 23), 1);
	ASSERT_EQ(pf_expire(t, t0 + 24), 0);
	ASSERT_EQ(pf_expire(t, t0 + 25), 1);

	/* A due flow that pf_expire() has not seen is gone already: its
	 * next packet makes a new one. */
	ASSERT_EQ(trk(t, &j, &u, 0, t0 + 30, 1, &s), PF_OK);
	ASSERT(s.created);
	ASSERT_EQ(trk(t, &j, &u, 0, t0 + 33, 1, &s), PF_OK);
	ASSERT(s.created);
	pf_stats_get(t, &st);
	ASSERT_EQ(st.flows, 1);
	ASSERT_EQ(st.created, st.expired + 1);

	/* A worker's clock behind the expiring thread's: a flow due at a
	 * second already done is freed at the next call, not a lap later. */
	ASSERT_EQ(pf_expire(t, t0 + 100), 1);
	/* (The same flow again: its shard's wheel has done t0 + 100.) */
	ASSERT_EQ(trk(t, &j, &u, 0, t0 + 90, 1, &s), PF_OK);
	ASSERT_EQ(flow_of(t, &u, t0 + 90).expires, t0 + 93);
	ASSERT_EQ(pf_expire(t, t0 + 101), 1);
	pf_stats_get(t, &st);
	ASSERT_EQ(st.flows, 0);

	/* A clock long gone by, many flows due in one second: later calls
	 * finish what one call's budget leaves. */
	{
		uint32_t n = 3 * PF_EXPIRE_BUDGET, freed = 0, now = t0 + 5000;

		pf_free(t);
		t = pf_new(n);
		ASSERT(t != NULL);
		pf_set_timeouts(t, &to);
		for (uint32_t i = 0; i < n; i++) {
			struct pf_key x = K4(IPPROTO_UDP, "10.244.0.0", 1,
			    "10.245.0.0", 53);

			x.src.v4.s_addr = htonl(0x0af40000u + i);
			ASSERT_EQ(trk(t, &j, &x, 0, now, 1, &s), PF_OK);
		}
		for (int c = 0; c < 8; c++)
			freed += pf_expire(t, now + 100000);
		ASSERT_EQ(freed, n);
		pf_stats_get(t, &st);
		ASSERT_EQ(st.flows, 0);
	}
	pf_free(t);
}

static void
test_full(void)
{
	struct pf_table *t = pf_new(10);	/* made 64 */
	struct judge j = { 0 };
	struct pf_seen s;
	struct pf_stats st;
	struct pf_key k = K4(IPPROTO_UDP, "10.244.1.5", 0, "10.244.2.7", 53);
	struct pf_key e = K4(IPPROTO_TCP, "10.244.1.5", 999, "10.244.2.7", 80);

	ASSERT(t != NULL);
	ASSERT_EQ(pf_capacity(t), 64);
	ASSERT_EQ(trk(t, &j, &e, SYN, 1, 1, &s), PF_OK);
	for (uint16_t i = 1; i < 64; i++) {
		k.sport = i;
		ASSERT_EQ(trk(t, &j, &k, 0, 1, 1, &s), PF_OK);
	}
	ASSERT_EQ(j.calls, 64);
	k.sport = 500;
	ASSERT_EQ(trk(t, &j, &k, 0, 2, 1, &s), PF_FULL);
	ASSERT_EQ(trk(t, &j, REV(k), 0, 2, 1, &s), PF_FULL);
	ASSERT_EQ(j.calls, 64);		/* no verdict for what is not kept */
	/* Known flows go on, including a new generation and a restart. */
	ASSERT_EQ(trk(t, &j, REV(e), SYN | ACK, 2, 1, &s),
	    PF_OK);
	ASSERT_EQ(trk(t, &j, &e, ACK, 2, 2, &s), PF_OK);
	ASSERT(s.rejudged);
	ASSERT_EQ(trk(t, &j, &e, RST, 2, 2, &s), PF_OK);
	ASSERT_EQ(trk(t, &j, &e, SYN, 3, 2, &s), PF_OK);
	ASSERT(s.created);
	pf_stats_get(t, &st);
	ASSERT_EQ(st.full, 2);
	ASSERT_EQ(st.flows, 64);
	/* The UDP flows expire; room again. */
	ASSERT_EQ(pf_expire(t, 1 + PF_TO_UDP_UNREPLIED), 63);
	ASSERT_EQ(trk(t, &j, &k, 0, 40, 1, &s), PF_OK);
	ASSERT(s.created);
	pf_stats_get(t, &st);
	ASSERT_EQ(st.flows, 2);
	ASSERT_EQ(st.created, 65);
	ASSERT_EQ(st.expired, 63);
	ASSERT(pf_bytes(t) > 80);
	pf_free(t);
	pf_free(NULL);
}

/* ---- threads ------------------------------------------------------------ */

#define NTHREADS 4
#define NKEYS 3000

struct mt {
	struct pf_table *t;
	const struct pf_key *keys;
	_Atomic uint32_t *now, *gen;
	_Atomic uint64_t *judged;
	uint64_t seed;
	uint64_t ok, full, not_new;
	bool expirer;
};

static void
mt_judge(void *arg, const struct pf_key *orig, bool is_new,
    struct pf_verdict *v)
{
	struct mt *m = arg;

	atomic_fetch_add(m->judged, 1);
	/* One orientation of some UDP flows is denied, so flows turn. */
	v->allow = !(orig->proto == IPPROTO_UDP && orig->dport % 7 == 0);
}

static void *
mt_run(void *arg)
{
	static const uint8_t fl[] = { SYN, SYN | ACK, ACK, ACK | PSH,
		FIN | ACK, RST };
	struct mt *m = arg;
	uint64_t x = m->seed;

	for (int n = 0; n < 200000; n++) {
		const struct pf_key *k;
		struct pf_key r;
		struct pf_seen s;
		uint8_t f = 0;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		k = &m->keys[(x >> 20) % NKEYS];
		if ((x >> 8) & 1) {
			r = rev(*k);
			k = &r;
		}
		if (k->proto == IPPROTO_TCP)
			f = fl[(x >> 40) % sizeof(fl)];
		if (m->expirer && n % 64 == 0) {
			atomic_fetch_add(m->now, 1);
			pf_expire(m->t, atomic_load(m->now));
		}
		if (n % 5000 == 0 && (x & 3) == 0)
			atomic_fetch_add(m->gen, 1);
		switch (pf_track(m->t, k, f, atomic_load(m->now),
		    atomic_load(m->gen), mt_judge, m, &s)) {
		case PF_OK:
			m->ok++;
			break;
		case PF_FULL:
			m->full++;
			break;
		case PF_NOT_NEW:
			m->not_new++;
			break;
		default:
			CHECK_FAIL("unexpected result");
		}
	}
	return NULL;
}

struct collect {
	struct pf_flow *f;
	size_t n, cap;
};

static bool
collect_fn(void *arg, const struct pf_flow *f)
{
	struct collect *c = arg;

	if (c->n == c->cap)
		CHECK_FAIL("more flows listed than the table holds");
	c->f[c->n++] = *f;
	return true;
}

/* A flow's key, orientation-free: the lesser endpoint first. */
static void
canon(const struct pf_flow *f, uint8_t out[40])
{
	struct pf_key a = f->key, b = rev(f->key);
	const struct pf_key *k = memcmp(&a.src, &a.dst, 16) < 0 ||
	    (memcmp(&a.src, &a.dst, 16) == 0 && a.sport <= a.dport) ? &a : &b;

	memset(out, 0, 40);
	out[0] = k->family;
	out[1] = k->proto;
	memcpy(out + 2, &k->sport, 2);
	memcpy(out + 4, &k->dport, 2);
	memcpy(out + 6, &k->src, 16);
	memcpy(out + 22, &k->dst, 16);
}

static int
cmp40(const void *a, const void *b)
{
	return memcmp(a, b, 40);
}

static void
test_threads(void)
{
	/* Smaller than the keys: new flows find it full at times. */
	struct pf_table *t = pf_new(2048);
	static struct pf_key keys[NKEYS];
	pthread_t th[NTHREADS];
	static struct mt m[NTHREADS];
	_Atomic uint32_t now = 1000, gen = 1;
	_Atomic uint64_t judged = 0;
	struct collect c = { 0 };
	struct pf_stats st;
	uint8_t (*cz)[40];
	uint64_t full = 0;

	ASSERT(t != NULL);
	for (int i = 0; i < NKEYS; i++) {
		char a[64], b[64];

		if (i % 2) {
			snprintf(a, sizeof(a), "10.244.%d.%d", i % 5, i % 7);
			snprintf(b, sizeof(b), "10.245.0.%d", i % 3);
			keys[i] = K4(i % 4 == 1 ? IPPROTO_TCP : IPPROTO_UDP, a,
			    (uint16_t)(1000 + i / 35), b, (uint16_t)(i % 11));
		} else {
			snprintf(a, sizeof(a), "fd00::%x", i % 9);
			snprintf(b, sizeof(b), "fd01::%x", i % 4);
			keys[i] = K6(i % 4 == 0 ? IPPROTO_TCP :
			    i % 4 == 2 ? IPPROTO_ICMPV6 : IPPROTO_UDP, a,
			    (uint16_t)(2000 + i / 36), b,
			    (uint16_t)(i % 4 == 2 ? 0 : i % 13));
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		m[i] = (struct mt){ .t = t, .keys = keys, .now = &now,
			.gen = &gen, .judged = &judged,
			.seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1),
			.expirer = i == 0 };
		ASSERT_OK(pthread_create(&th[i], NULL, mt_run, &m[i]));
	}
	for (int i = 0; i < NTHREADS; i++) {
		ASSERT_OK(pthread_join(th[i], NULL));
		full += m[i].full;
	}
	pf_stats_get(t, &st);
	printf("  %llu flows, %llu created, %llu restarted, %llu expired, "
	    "%llu full, %llu rejudged, %llu verdicts\n",
	    (unsigned long long)st.flows, (unsigned long long)st.created,
	    (unsigned long long)st.restarted, (unsigned long long)st.expired,
	    (unsigned long long)st.full, (unsigned long long)st.rejudged,
	    (unsigned long long)atomic_load(&judged));
	ASSERT_EQ(st.full, full);
	ASSERT_EQ(st.flows, st.created - st.expired);
	ASSERT(st.flows <= 2048);
	/* Every verdict is a creation, a restart or a re-judgement (TCP
	 * pickups are all allowed here, so none is judged twice). */
	ASSERT_EQ(atomic_load(&judged), st.created + st.restarted +
	    st.rejudged);
	c.cap = 2048;
	c.f = calloc(c.cap, sizeof(*c.f));
	cz = calloc(c.cap, sizeof(*cz));
	ASSERT(c.f != NULL && cz != NULL);
	pf_walk(t, collect_fn, &c);
	ASSERT_EQ(c.n, st.flows);
	/* No flow twice, in either orientation. */
	for (size_t i = 0; i < c.n; i++)
		canon(&c.f[i], cz[i]);
	qsort(cz, c.n, 40, cmp40);
	for (size_t i = 1; i < c.n; i++)
		ASSERT(memcmp(cz[i - 1], cz[i], 40) != 0);
	/* Everything expires in the end; the pool is whole again. */
	pf_expire(t, atomic_load(&now) + 100000);
	pf_stats_get(t, &st);
	ASSERT_EQ(st.flows, 0);
	c.n = 0;
	pf_walk(t, collect_fn, &c);
	ASSERT_EQ(c.n, 0);
	for (uint16_t i = 0; i < 2048; i++) {
		struct pf_key k = K4(IPPROTO_UDP, "10.9.0.1", i, "10.9.0.2", 1);
		struct pf_seen s;

		ASSERT_EQ(pf_track(t, &k, 0, atomic_load(&now) + 100000, 1,
		    mt_judge, &m[0], &s), PF_OK);
	}
	free(c.f);
	free(cz);
	pf_free(t);
}

/* ---- against a model ---------------------------------------------------- */

/*
 * The model restates flows.h's rules over a plain array searched from end
 * to end: a flow lives while now < expires, whether or not the table has
 * freed it. The table must give the same results, the same verdicts in
 * the same order with the same keys, and list the same flows.
 */

#define MCAP 192
#define MKEYS 600

enum { M_TCP, M_UDP, M_ICMP, M_OTHER };

struct mflow {
	struct pf_key k;		/* original orientation, normalised */
	uint8_t state;
	bool allow, fin_o, fin_r, deny_both;
	bool pickup;			/* TCP made without a SYN */
	uint32_t gen, id0, expires, created, pkts[2];
};

struct model {
	struct mflow f[MCAP];
	int n;
	bool loose;
	uint32_t to[PF__COUNT], to_denied;
	/* The verdicts expected of the judge, in order. */
	struct pf_key want[2];
	bool want_new[2];
	int nwant;
};

/* The judge of the random run: a function of the key and generation. */
static bool
rand_allow(const struct pf_key *k, uint32_t gen)
{
	uint32_t h = k->sport * 31u + k->dport * 17u + k->proto + gen * 7u;

	h += k->family == AF_INET ? ntohl(k->src.v4.s_addr) * 3u +
	    ntohl(k->dst.v4.s_addr) : k->src.v6.s6_addr[15] * 3u +
	    k->dst.v6.s6_addr[15] * 5u;
	return h % 5 != 0;
}

struct rjudge {
	struct pf_key got[4];
	bool got_new[4];
	int n;
};

static void
rand_judge(void *arg, const struct pf_key *orig, bool is_new,
    struct pf_verdict *v)
{
	struct rjudge *j = arg;

	ASSERT(j->n < 4);
	j->got[j->n] = *orig;
	j->got_new[j->n++] = is_new;
	v->allow = rand_allow(orig, v->gen);
	v->id[0] = orig->sport ^ orig->dport;
}

static int
mkind(const struct pf_key *k)
{
	switch (k->proto) {
	case IPPROTO_TCP:
		return M_TCP;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		return M_UDP;
	default:
		return is_echo(k) ? M_ICMP : M_OTHER;
	}
}

static struct pf_key
mnorm(struct pf_key k)
{
	struct pf_key n;
	int kd = mkind(&k);

	memset(&n, 0, sizeof(n));
	n.family = k.family;
	n.proto = k.proto;
	if (k.family == AF_INET) {
		n.src.v4 = k.src.v4;
		n.dst.v4 = k.dst.v4;
	} else {
		n.src.v6 = k.src.v6;
		n.dst.v6 = k.dst.v6;
	}
	if (kd == M_TCP || kd == M_UDP) {
		n.sport = k.sport;
		n.dport = k.dport;
	} else if (kd == M_ICMP) {
		n.sport = k.sport;
	}
	return n;
}

static bool
mbad(uint8_t f)
{
	uint8_t g = f & (uint8_t)~(PSH | 0x40 | 0x80);

	return !(g == SYN || g == (SYN | 0x20) || g == (SYN | ACK) ||
	    g == RST || g == (RST | ACK) || g == (FIN | ACK) ||
	    g == (FIN | ACK | 0x20) || g == ACK || g == (ACK | 0x20));
}

static bool
msyn(uint8_t f)
{
	return (f & (SYN | ACK)) == SYN;
}

static bool
mcan_start(const struct model *m, int kd, uint8_t f)
{
	return kd != M_TCP || msyn(f) || (m->loose && !(f & (SYN | RST)));
}

static bool
mjudge(struct model *m, const struct pf_key *k, bool is_new, uint32_t gen,
    uint32_t *id0)
{
	ASSERT(m->nwant < 2);
	m->want[m->nwant] = *k;
	m->want_new[m->nwant++] = is_new;
	*id0 = k->sport ^ k->dport;
	return rand_allow(k, gen);
}

/* A new flow first seen as n; returns whether n is its reply. */
static bool
mstart(struct model *m, struct mflow *x, const struct pf_key *n, int kd,
    uint8_t f, bool other_denied, uint32_t gen, uint32_t now)
{
	bool reply = false;

	memset(x, 0, sizeof(*x));
	x->k = *n;
	x->gen = gen;
	x->pickup = kd == M_TCP && !(f & SYN);
	x->allow = mjudge(m, n, true, gen, &x->id0);
	if (!x->allow && other_denied) {
		x->k = rev(*n);
		x->deny_both = true;
		reply = true;
	} else if (!x->allow && kd == M_TCP && !(f & SYN)) {
		struct pf_key r = rev(*n);

		if (mjudge(m, &r, true, gen, &x->id0)) {
			x->k = r;
			x->allow = true;
			reply = true;
		} else {
			x->id0 = n->sport ^ n->dport;
			x->deny_both = true;
		}
	}
	x->state = kd == M_TCP ? (msyn(f) ? PF_TCP_SYN_SENT :
	    PF_TCP_ESTABLISHED) : kd == M_UDP ? PF_UDP_UNREPLIED :
	    kd == M_ICMP ? PF_ICMP : PF_OTHER;
	x->created = now;
	return reply;
}

static void
mtrack_state(struct mflow *x, int kd, bool reply, uint8_t f)
{
	if (kd == M_UDP && reply)
		x->state = PF_UDP_ASSURED;
	if (kd != M_TCP)
		return;
	if (f & RST) {
		x->state = PF_TCP_CLOSE;
		return;
	}
	if (x->state == PF_TCP_CLOSE)
		return;
	if (x->state == PF_TCP_SYN_SENT && reply && (f & SYN) && (f & ACK))
		x->state = PF_TCP_SYN_RECV;
	else if (x->state == PF_TCP_SYN_RECV && !reply && !(f & SYN) &&
	    (f & ACK))
		x->state = PF_TCP_ESTABLISHED;
	if (f & FIN) {
		if (reply)
			x->fin_r = true;
		else
			x->fin_o = true;
	}
	if (x->fin_o && x->fin_r) {
		if (f & FIN)
			x->state = PF_TCP_LAST_ACK;
		else if (f & ACK)
			x->state = PF_TCP_TIME_WAIT;
	} else if (x->fin_o || x->fin_r) {
		x->state = PF_TCP_FIN_WAIT;
	}
}

static enum pf_result
mtrack(struct model *m, const struct pf_key *k0, uint8_t f, uint32_t now,
    uint32_t gen, struct pf_seen *out)
{
	struct pf_key n = mnorm(*k0), r = rev(n);
	int kd = mkind(&n), at = -1;
	bool reply = false, created = false, rejudged = false;
	struct mflow *x;
	int live = 0;

	m->nwant = 0;
	if (kd == M_TCP && mbad(f))
		return PF_BAD_FLAGS;
	for (int i = 0; i < m->n; i++) {
		if (m->f[i].expires <= now)
			continue;
		live++;
		if (key_eq(&m->f[i].k, &n)) {
			at = i;
			reply = false;
		} else if (key_eq(&m->f[i].k, &r) && at < 0) {
			at = i;
			reply = true;
		}
	}
	if (at < 0) {
		if (!mcan_start(m, kd, f))
			return PF_NOT_NEW;
		if (live >= MCAP)
			return PF_FULL;
		/* Reuse a dead slot, or the next free one. */
		for (at = 0; at < m->n && m->f[at].expires > now; at++)
			;
		if (at == m->n)
			m->n++;
		x = &m->f[at];
		reply = mstart(m, x, &n, kd, f, false, gen, now);
		created = true;
	} else {
		x = &m->f[at];
		if (kd == M_TCP && msyn(f) && (reply ||
		    x->state == PF_TCP_TIME_WAIT ||
		    x->state == PF_TCP_CLOSE)) {
			reply = mstart(m, x, &n, kd, f, false, gen, now);
			created = true;
		} else {
			if (x->gen != gen) {
				x->allow = mjudge(m, &x->k, false, gen,
				    &x->id0);
				x->gen = gen;
				x->deny_both = false;
				rejudged = true;
			}
			if (!x->allow && reply && !x->deny_both &&
			    (kd != M_TCP || x->pickup) &&
			    mcan_start(m, kd, f)) {
				reply = mstart(m, x, &n, kd, f, true, gen, now);
				created = true;
			}
		}
	}
	if (x->allow)
		mtrack_state(x, kd, reply, f);
	x->pkts[reply]++;
	x->expires = now + (x->allow ? m->to[x->state] : m->to_denied);
	out->v.allow = x->allow;
	out->v.gen = x->gen;
	out->v.id[0] = x->id0;
	out->state = x->state;
	out->reply = reply;
	out->created = created;
	out->rejudged = rejudged;
	return PF_OK;
}

struct listing {
	struct model *m;
	uint32_t now;
	int n;
};

static bool
list_check(void *arg, const struct pf_flow *f)
{
	struct listing *l = arg;
	int i;

	for (i = 0; i < l->m->n; i++)
		if (l->m->f[i].expires > l->now &&
		    key_eq(&l->m->f[i].k, &f->key))
			break;
	if (i == l->m->n)
		CHECK_FAIL("the table lists a flow the model does not have");
	ASSERT_EQ(f->state, l->m->f[i].state);
	ASSERT_EQ(f->v.allow, l->m->f[i].allow);
	ASSERT_EQ(f->v.gen, l->m->f[i].gen);
	ASSERT_EQ(f->expires, l->m->f[i].expires);
	ASSERT_EQ(f->created, l->m->f[i].created);
	ASSERT_EQ(f->pkts_orig, l->m->f[i].pkts[0]);
	ASSERT_EQ(f->pkts_reply, l->m->f[i].pkts[1]);
	l->n++;
	return true;
}

static void
test_random(void)
{
	static const uint8_t fl[] = { SYN, SYN, SYN | ACK, ACK, ACK | PSH,
		FIN | ACK, FIN | ACK, RST, RST | ACK, SYN | FIN, 0, FIN };
	static const uint8_t protos4[] = { IPPROTO_TCP, IPPROTO_TCP,
		IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_SCTP, 47 };
	static const uint8_t protos6[] = { IPPROTO_TCP, IPPROTO_UDP,
		IPPROTO_ICMPV6, 47 };
	static struct pf_key keys[MKEYS];
	static struct model m;
	struct pf_table *t = pf_new(MCAP);
	struct pf_timeouts to = { .tcp_established = 1500, .udp_assured = 60,
		.other = 45, .denied = 4 };
	struct rjudge j;
	uint32_t now = 5000, gen = 1;
	uint64_t res[4] = { 0 };

	ASSERT(t != NULL);
	memset(&m, 0, sizeof(m));
	pf_set_timeouts(t, &to);
	for (int s = 0; s < PF__COUNT; s++)
		m.to[s] = s == PF_NONE ? 0 : PF_TO_CLOSE;
	m.to[PF_TCP_SYN_SENT] = PF_TO_SYN_SENT;
	m.to[PF_TCP_SYN_RECV] = PF_TO_SYN_RECV;
	m.to[PF_TCP_ESTABLISHED] = 1500;
	m.to[PF_TCP_FIN_WAIT] = PF_TO_FIN_WAIT;
	m.to[PF_TCP_LAST_ACK] = PF_TO_LAST_ACK;
	m.to[PF_TCP_TIME_WAIT] = PF_TO_TIME_WAIT;
	m.to[PF_TCP_CLOSE] = PF_TO_CLOSE;
	m.to[PF_UDP_UNREPLIED] = PF_TO_UDP_UNREPLIED;
	m.to[PF_UDP_ASSURED] = 60;
	m.to[PF_ICMP] = PF_TO_ICMP;
	m.to[PF_OTHER] = 45;
	m.to_denied = 4;
	m.loose = true;
	/* Few addresses and ports: flows meet in both orientations. */
	for (int i = 0; i < MKEYS; i++) {
		char a[64], b[64];
		uint16_t sp = (uint16_t)(1 + check_below(3));
		uint16_t dp = (uint16_t)(1 + check_below(3));

		if (check_below(2)) {
			uint8_t p = protos4[check_below(sizeof(protos4))];

			snprintf(a, sizeof(a), "10.0.0.%d",
			    (int)check_below(4));
			snprintf(b, sizeof(b), "10.0.0.%d",
			    (int)check_below(4));
			keys[i] = K4(p, a, sp, b, dp);
		} else {
			uint8_t p = protos6[check_below(sizeof(protos6))];

			snprintf(a, sizeof(a), "fd00::%d", (int)check_below(4));
			snprintf(b, sizeof(b), "fd00::%d", (int)check_below(4));
			keys[i] = K6(p, a, sp, b, dp);
		}
	}
	for (int step = 0; step < 300000; step++) {
		struct pf_key k = keys[check_below(MKEYS)];
		uint8_t f = k.proto == IPPROTO_TCP ?
		    fl[check_below(sizeof(fl))] : 0;
		struct pf_seen a, b;
		enum pf_result ra, rb;

		if (check_below(40) == 0) {
			now += (uint32_t)check_below(check_below(10) ? 5 : 400);
			pf_expire(t, now);
		}
		if (check_below(2000) == 0)
			gen++;
		if (check_below(20000) == 0) {
			m.loose = !m.loose;
			pf_set_loose(t, m.loose);
		}
		if (check_below(2))
			k = rev(k);
		if (check_below(4) == 0)	/* junk in unused ports */
			k.dport = (uint16_t)check_rand();
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		j.n = 0;
		ra = pf_track(t, &k, f, now, gen, rand_judge, &j, &a);
		rb = mtrack(&m, &k, f, now, gen, &b);
		res[ra]++;
		if (ra != rb)
			CHECK_FAIL("step %d: result %d, model %d", step, ra,
			    rb);
		ASSERT_EQ(j.n, m.nwant);
		for (int i = 0; i < j.n; i++) {
			ASSERT(key_eq(&j.got[i], &m.want[i]));
			ASSERT_EQ(j.got_new[i], m.want_new[i]);
		}
		if (ra != PF_OK)
			continue;
		ASSERT_EQ(a.v.allow, b.v.allow);
		ASSERT_EQ(a.v.gen, b.v.gen);
		ASSERT_EQ(a.v.id[0], b.v.id[0]);
		ASSERT_EQ(a.state, b.state);
		ASSERT_EQ(a.reply, b.reply);
		ASSERT_EQ(a.created, b.created);
		ASSERT_EQ(a.rejudged, b.rejudged);
		if (step % 5000 == 0) {
			struct listing l = { &m, now, 0 };
			int live = 0;

			pf_expire(t, now);
			pf_walk(t, list_check, &l);
			for (int i = 0; i < m.n; i++)
				live += m.f[i].expires > now;
			ASSERT_EQ(l.n, live);
		}
	}
	printf("  ok %llu, full %llu, not new %llu, bad flags %llu\n",
	    (unsigned long long)res[PF_OK], (unsigned long long)res[PF_FULL],
	    (unsigned long long)res[PF_NOT_NEW],
	    (unsigned long long)res[PF_BAD_FLAGS]);
	ASSERT(res[PF_FULL] > 0);
	{
		struct pf_stats st;

		pf_stats_get(t, &st);
		printf("  created %llu, restarted %llu, rejudged %llu, "
		    "expired %llu\n", (unsigned long long)st.created,
		    (unsigned long long)st.restarted,
		    (unsigned long long)st.rejudged,
		    (unsigned long long)st.expired);
		/* Every way of being judged happened. */
		ASSERT(st.restarted > 0 && st.rejudged > 0 && st.expired > 0);
	}
	pf_free(t);
}

int
main(void)
{
	check_seed();
	RUN(test_orientations);
	RUN(test_generation);
	RUN(test_deny_cached);
	RUN(test_tcp_states);
	RUN(test_loose);
	RUN(test_udp_icmp_other);
	RUN(test_expiry);
	RUN(test_full);
	RUN(test_threads);
	RUN(test_random);
	return 0;
}
