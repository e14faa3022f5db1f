/*
 * ct.h - connection tracking for NAT outgoing: a fixed-capacity flow
 * table, preallocated, with O(1) lookup in both directions, TCP/UDP/ICMP
 * echo state and timeouts, expiry on a timer wheel, and the SNAT port
 * allocator. IPv4 only (NAT outgoing is for IPv4 pools). No I/O.
 *
 * A flow is
 *   original: pod:pport  -> remote:rport    (what the pod sends)
 *   reply:    remote:rport -> nat:nport      (what comes back, translated)
 * For ICMP echo, pport is the pod's identifier, nport the translated one
 * and rport 0. Addresses are in network byte order, ports in host order.
 *
 * Concurrency (STYLE.md §5): the table is cut into shards by a hash of
 * (protocol, remote, rport), which both directions of a flow know, so a
 * flow and every flow competing for its translated ports live in one
 * shard. Each shard has a mutex; every function that reads or writes a
 * shard's flows holds that shard's mutex for the call, and says so. The
 * entries themselves come from one pool of `capacity` entries (its own
 * mutex, taken only to create or free one), so the flows of a single busy
 * destination are not confined to a shard's share of the table; its
 * ports are the limit: the range's size per NAT address at once, which
 * with TIME_WAIT's timeout bounds its new connections per second.
 *
 * Uniqueness: a translated (nat, nport) is unique per (protocol, remote,
 * rport): the reply tuple identifies exactly one flow. The allocator
 * starts at a hash of the original tuple and probes the range; a
 * per-destination counter says at once when the range is used up, so an
 * exhausted destination costs no probing and others are unaffected.
 */
#ifndef SLUICE_NAT_CT_H
#define SLUICE_NAT_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP states, as far as NAT needs them. */
enum ct_state {
	CT_NONE = 0,
	CT_TCP_SYN_SENT,	/* pod's SYN seen */
	CT_TCP_SYN_RECV,	/* remote's SYN-ACK seen */
	CT_TCP_ESTABLISHED,	/* pod's ACK of it seen */
	CT_TCP_FIN_WAIT,	/* a FIN from one side */
	CT_TCP_CLOSE_WAIT,	/* FINs from both sides, not yet all ACKed */
	CT_TCP_TIME_WAIT,	/* both FINs ACKed */
	CT_TCP_CLOSE,		/* RST seen */
	CT_UDP_UNREPLIED,	/* UDP, nothing back yet */
	CT_UDP_ASSURED,		/* UDP, answered */
	CT_ICMP,		/* echo */
	CT__COUNT
};

/* Timeouts in seconds, per state (Linux's, with a shorter established). */
#define CT_TO_SYN_SENT 120
#define CT_TO_SYN_RECV 60
#define CT_TO_ESTABLISHED 7200
#define CT_TO_FIN_WAIT 120
#define CT_TO_CLOSE_WAIT 60
#define CT_TO_TIME_WAIT 120
#define CT_TO_CLOSE 10
#define CT_TO_UDP_UNREPLIED 30
#define CT_TO_UDP_ASSURED 180
#define CT_TO_ICMP 30

/* The timeouts operators tune (nat.* in the node config); seconds. */
struct ct_timeouts {
	uint32_t tcp_established;
	uint32_t udp;			/* unreplied */
	uint32_t udp_assured;
	uint32_t icmp;
	uint32_t tcp_time_wait;
};

#define CT_SHARDS 16
/* Expirations one ct_expire() call does per shard at most (latency). */
#define CT_EXPIRE_BUDGET 4096

/* A flow as the table lists it. */
struct ct_flow {
	uint8_t proto;
	uint8_t state;			/* enum ct_state */
	uint32_t pod, remote, nat;	/* network order */
	uint16_t pport, rport, nport;
	uint32_t created, expires;	/* ct clock seconds */
	uint32_t pkts_out, pkts_in;
};

struct ct_stats {
	uint64_t flows;			/* now */
	uint64_t created;
	uint64_t expired;
	uint64_t dropped_full;		/* new flow, table full */
	uint64_t dropped_no_port;	/* new flow, its destination's ports used up */
};

struct ct_table;

/*
 * A table of at most capacity flows (at least 64) translating to ports
 * lo..hi (lo <= hi). Returns NULL if memory runs out.
 */
struct ct_table *ct_new(uint32_t capacity, uint16_t lo, uint16_t hi);
void ct_free(struct ct_table *t);
/* Replaces the defaults above (0 keeps one); before the table is used. */
void ct_set_timeouts(struct ct_table *t, const struct ct_timeouts *to);
uint32_t ct_capacity(const struct ct_table *t);
/* Bytes allocated per flow of capacity, for the benchmark. */
size_t ct_bytes(const struct ct_table *t);

/* The result of ct_out() and ct_in(). */
enum ct_result {
	CT_OK = 0,		/* flow found or made; translation in *f */
	CT_NEW_NOT_SYN,		/* TCP: no flow, and not a SYN to start one */
	CT_BAD_FLAGS,		/* TCP flags no stack sends (SYN+FIN, ...) */
	CT_FULL,		/* no room for a new flow */
	CT_NO_PORT,		/* the destination's ports are used up */
	CT_NO_FLOW,		/* ct_in(): nothing matches */
};

/*
 * Original direction: a packet pod:pport -> remote:rport of proto (TCP,
 * UDP or ICMP echo request with pport = id, rport = 0) with TCP flags
 * (0 otherwise), to be translated to one of nat[0..nnat) (spilling over
 * to the next address when one's ports for this destination are used
 * up). Finds the flow or makes one, updates its state and expiry, and
 * copies it to *f. Holds the flow's shard mutex for the call.
 */
enum ct_result ct_out(struct ct_table *t, uint8_t proto, uint32_t pod,
    uint16_t pport, uint32_t remote, uint16_t rport, uint8_t tcp_flags,
    const uint32_t *nat, size_t nnat, uint32_t now, struct ct_flow *f);

/*
 * Reply direction: remote:rport -> nat:nport. Finds the flow (never
 * makes one), updates state and expiry unless peek, and copies it to *f.
 * peek is for ICMP errors quoting a flow: they must not keep it alive.
 */
enum ct_result ct_in(struct ct_table *t, uint8_t proto, uint32_t remote,
    uint16_t rport, uint32_t nat, uint16_t nport, uint8_t tcp_flags,
    bool peek, uint32_t now, struct ct_flow *f);

/*
 * Frees the flows whose time is up, at most CT_EXPIRE_BUDGET per shard
 * per call (the rest at the next call). Returns how many it freed.
 */
uint32_t ct_expire(struct ct_table *t, uint32_t now);

/* Counters (a consistent-enough read: each counter is atomic). */
void ct_stats_get(const struct ct_table *t, struct ct_stats *st);

/*
 * Calls fn for every flow, shard by shard, each shard's mutex held while
 * its flows are visited (fn must not call into the table). Stops early
 * when fn returns false.
 */
void ct_walk(struct ct_table *t, bool (*fn)(void *arg, const struct ct_flow *f),
    void *arg);

/* The ct clock: CLOCK_MONOTONIC in whole seconds. */
uint32_t ct_clock(void);

/* "syn_sent", "established", "udp_assured", ... */
const char *ct_state_name(uint8_t state);

#endif
