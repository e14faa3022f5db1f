/*
 * flows.h - the policy flow table: the verdict of network policy, decided
 * on the first packet of a flow and cached per flow, for every pod flow,
 * IPv4 and IPv6, without translation (SEMANTICS.md §2.2, §2.8). Replies
 * of an allowed flow pass; a packet of a flow judged under an older
 * policy generation has the flow judged again. No I/O, no logging.
 *
 * A flow is known by the key of its first packet, its original
 * orientation (initiator -> responder); a packet finds it in either
 * orientation, and pf_track() says which one it came in. Addresses are
 * in network byte order, ports in host order. Keys are normalised before
 * use, so callers need not zero anything:
 *   - TCP, UDP, UDP-Lite, SCTP, DCCP: both ports; all but TCP are
 *     tracked like UDP (unreplied, then assured once a reply is seen).
 *   - ICMP (IPv4) and ICMPv6 (IPv6) echo: sport = identifier, dport is
 *     forced to 0. The request and its reply carry the same identifier,
 *     so the reply's key (its own orientation, same sport) finds the flow.
 *   - Any other protocol: one flow per (protocol, addresses); the table
 *     forces both ports to 0.
 *
 * Verdicts: the judge (a callback, the policy engine) decides a flow in
 * its original orientation; denied flows are cached too, so a storm of
 * SYNs costs one verdict and the caller logs a denied flow once. Because
 * the packets of a denied flow are dropped, the other side never saw
 * them: a packet in the reply orientation of a denied flow is judged as
 * a new flow of its own (the flow turns round if that is allowed), as if
 * the denied flow did not exist, which is what Linux conntrack does when
 * a firewall drops the first packet before the entry is confirmed.
 *
 * TCP is tracked loosely (no sequence numbers), Linux-like:
 *   - A SYN without ACK starts a flow. A SYN on a flow in TIME_WAIT or
 *     CLOSE (port reuse), or a SYN in the reply orientation of any flow
 *     (the responder becoming an initiator), starts it over, judged as
 *     new in the packet's orientation. A SYN on a live flow in its own
 *     orientation is a retransmission and changes nothing.
 *   - Loose pickup (on by default, pf_set_loose()): a packet without SYN
 *     or RST for an unknown flow (a connection that outlived a daemon
 *     restart) makes a flow in ESTABLISHED (FIN_WAIT for a FIN). It is
 *     judged in the packet's orientation and, if that is denied, in the
 *     reverse one (SEMANTICS.md §2.8: the packet may be a server's reply);
 *     the flow is kept in the orientation that was allowed. With loose
 *     pickup off such packets get PF_NOT_NEW. A RST or SYN+ACK never
 *     makes a flow (PF_NOT_NEW): the SYN's retransmission will.
 *   - Flags no stack sends (SYN+FIN, SYN+RST, FIN without ACK, none at
 *     all, ...; Linux's tcp_valid_flags) get PF_BAD_FLAGS, flow or not.
 *   - SYN_SENT -> SYN_RECV on the responder's SYN+ACK -> ESTABLISHED on
 *     the initiator's ACK. A FIN from one side -> FIN_WAIT; from both ->
 *     LAST_ACK, then TIME_WAIT on the next ACK. RST -> CLOSE from any
 *     state, and it stays closed until a SYN starts it over.
 *   - The state of a denied flow does not move (its packets are dropped).
 *     A TCP connection whose SYN was seen stays in its orientation when a
 *     new generation denies it: the other side's packets in flight are
 *     its own and dropped with it (only a flow made by a loose pickup,
 *     whose orientation was a guess, may be judged the other way round).
 *
 * Timers: each state has a timeout (below; Linux's conntrack values, with
 * the shorter established timeout nat/ct.h uses, so both tables forget an
 * idle connection at the same time), refreshed by every packet of the
 * flow; a denied flow has its own short one instead. A flow is gone once
 * now >= its expiry, whether or not pf_expire() has freed it yet.
 *
 * Concurrency (STYLE.md §5): the table is cut into PF_SHARDS shards by a
 * hash that both orientations of a flow share; each shard has a mutex,
 * and every function that reads or writes a shard's flows holds that
 * shard's mutex for the call (the judge is called with it held). Entries
 * come from one pool of `capacity` (its own mutex, taken only to make or
 * free a flow), so one busy shard is not confined to a share of the table.
 */
#ifndef SLUICE_POLICY_FLOWS_H
#define SLUICE_POLICY_FLOWS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One packet, in its own orientation. */
struct pf_key {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t proto;			/* IPPROTO_* */
	uint16_t sport, dport;		/* host order; see above */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src, dst;			/* network order */
};

/* What the judge decided for a flow, in its original orientation. */
struct pf_verdict {
	bool allow;
	uint32_t gen;			/* policy generation judged under */
	/* Opaque to the table: the deciding rules (egress, ingress). */
	uint32_t id[2];
};

/*
 * The judge: decides the flow whose original key is orig (as a new
 * connection when is_new, else again because the policy generation
 * changed; orig is the original orientation either way, even when a
 * reply packet triggered it). *v comes preset to deny, gen = the caller's
 * cur_gen and ids 0; the judge sets allow and the ids, and gen if it
 * judged under another generation. Called with a shard mutex held: it
 * must not call into the table, and should be quick. orig is valid for
 * the call only.
 */
typedef void pf_judge_fn(void *arg, const struct pf_key *orig, bool is_new,
    struct pf_verdict *v);

enum pf_state {
	PF_NONE = 0,
	PF_TCP_SYN_SENT,	/* initiator's SYN seen */
	PF_TCP_SYN_RECV,	/* responder's SYN+ACK seen */
	PF_TCP_ESTABLISHED,	/* initiator's ACK of it seen, or picked up */
	PF_TCP_FIN_WAIT,	/* a FIN from one side */
	PF_TCP_LAST_ACK,	/* FINs from both sides, the last not ACKed */
	PF_TCP_TIME_WAIT,	/* both FINs, and an ACK after them */
	PF_TCP_CLOSE,		/* RST seen */
	PF_UDP_UNREPLIED,	/* UDP-like, nothing back yet */
	PF_UDP_ASSURED,		/* UDP-like, answered */
	PF_ICMP,		/* ICMP echo */
	PF_OTHER,		/* any other protocol */
	PF__COUNT
};

/* Default timeouts in seconds, per state. */
#define PF_TO_SYN_SENT 120
#define PF_TO_SYN_RECV 60
#define PF_TO_ESTABLISHED 7200
#define PF_TO_FIN_WAIT 120
#define PF_TO_LAST_ACK 30
#define PF_TO_TIME_WAIT 120
#define PF_TO_CLOSE 10
#define PF_TO_UDP_UNREPLIED 30
#define PF_TO_UDP_ASSURED 180
#define PF_TO_ICMP 30
#define PF_TO_OTHER 600
/* A denied flow, whatever its state, refreshed by each of its packets. */
#define PF_TO_DENIED 10

/* The timeouts operators tune; seconds, 0 keeps the default. */
struct pf_timeouts {
	uint32_t tcp_established;
	uint32_t tcp_time_wait;
	uint32_t tcp_close;
	uint32_t udp;			/* unreplied */
	uint32_t udp_assured;
	uint32_t icmp;
	uint32_t other;
	uint32_t denied;
};

#define PF_SHARDS 16
/* Entries one pf_expire() call visits per shard at most (latency). */
#define PF_EXPIRE_BUDGET 4096

struct pf_table;

/*
 * A table of at most capacity flows (at least 64), all preallocated.
 * Loose TCP pickup is on. Returns NULL if memory runs out. The caller
 * owns it and frees it with pf_free() (which accepts NULL) once no thread
 * uses it.
 */
struct pf_table *pf_new(uint32_t capacity);
void pf_free(struct pf_table *t);
/* Replace the defaults (0 keeps one); before the table is used. */
void pf_set_timeouts(struct pf_table *t, const struct pf_timeouts *to);
/* Loose TCP pickup on or off (see above); before the table is used. */
void pf_set_loose(struct pf_table *t, bool on);
uint32_t pf_capacity(const struct pf_table *t);
/* Bytes allocated per flow of capacity, everything included. */
size_t pf_bytes(const struct pf_table *t);

enum pf_result {
	PF_OK = 0,		/* flow found or made: verdict in *out */
	PF_FULL,		/* a new flow, and no room for it */
	PF_NOT_NEW,		/* TCP, no flow, and this cannot start one */
	PF_BAD_FLAGS,		/* TCP flags no stack sends */
};

/* What pf_track() saw. */
struct pf_seen {
	struct pf_verdict v;	/* the flow's verdict, after this packet */
	uint8_t state;		/* enum pf_state, after this packet */
	bool reply;		/* the packet came in the reply orientation */
	/* Judged as a new flow: made now, started over by a SYN, or turned
	 * round (a reply-orientation packet of a denied flow). The caller
	 * counts flows and logs a denial when this is set. */
	bool created;
	bool rejudged;		/* judged again: the generation had changed */
};

/*
 * One packet with key k and TCP flags tcp_flags (0 for other protocols)
 * at time now (seconds of a monotonic clock, e.g. ct_clock()) under
 * policy generation cur_gen. Finds k's flow or makes one (judging it),
 * judges it again if it was judged under another generation, updates its
 * state, expiry and packet counters, and fills *out (on PF_OK only).
 * Takes the flow's shard mutex for the call; judge is called with it
 * held, at most twice (see above).
 */
enum pf_result pf_track(struct pf_table *t, const struct pf_key *k,
    uint8_t tcp_flags, uint32_t now, uint32_t cur_gen, pf_judge_fn *judge,
    void *arg, struct pf_seen *out);

/* A flow as the table lists it. */
struct pf_flow {
	struct pf_key key;		/* original orientation */
	uint8_t state;			/* enum pf_state */
	struct pf_verdict v;
	uint32_t created, expires;	/* seconds, as given to pf_track() */
	uint32_t pkts_orig, pkts_reply;
};

/*
 * The flow of k in either orientation, changing nothing: for ICMP errors
 * quoting a flow (they are "related" to it, and must not keep it alive).
 * Returns true and fills *f and *reply if a flow lives at now. The caller
 * compares f->v.gen with its generation. Holds the shard mutex.
 */
bool pf_lookup(struct pf_table *t, const struct pf_key *k, uint32_t now,
    struct pf_flow *f, bool *reply);

/*
 * Frees the flows whose time is up, visiting at most PF_EXPIRE_BUDGET
 * entries per shard per call (the rest at the next call). Returns how
 * many it freed. Call it about once a second.
 */
uint32_t pf_expire(struct pf_table *t, uint32_t now);

struct pf_stats {
	uint64_t flows;		/* in the table now (due ones until freed) */
	uint64_t created;	/* entries made */
	uint64_t restarted;	/* entries judged as new again (SYN, turned) */
	uint64_t expired;	/* entries freed */
	uint64_t full;		/* new flows refused: no room */
	uint64_t rejudged;	/* judged again for a new generation */
};

/* Counters, shard by shard, each read under its shard's mutex. */
void pf_stats_get(struct pf_table *t, struct pf_stats *st);

/*
 * Calls fn for every flow, shard by shard, each shard's mutex held while
 * its flows are visited (fn must not call into the table; f is valid for
 * the call). Stops early when fn returns false.
 */
void pf_walk(struct pf_table *t, bool (*fn)(void *arg, const struct pf_flow *f),
    void *arg);

/* "syn_sent", "established", "udp_assured", ... */
const char *pf_state_name(uint8_t state);

#endif
