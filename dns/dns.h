/*
 * dns.h - DNS answers as network policy needs them: the names a pod
 * resolved and the addresses they resolved to, learnt from the answers
 * themselves on the data path (docs/DNS.md). No I/O.
 *
 * Two parts:
 *   - the parser (dns/msg.c): one DNS response (RFC 1035 wire format, as
 *     carried by UDP, or one whole message of a TCP stream after its
 *     2-byte length), checked to the byte: compression pointers only
 *     backwards and never in a loop, names at most 255 bytes, counts
 *     bounded by what the message holds. It yields the bindings the
 *     answer makes: every name of the question's CNAME chain (within
 *     this one response, RFC 1034 §3.6.2) bound to each A/AAAA address at
 *     the end of the chain, with the smallest TTL along the way;
 *   - the bindings table (dns/bindings.c): per pod (by address), names
 *     and their addresses with an expiry, bounded per pod and in total
 *     (the oldest go first, counted), safe to use from the data-path
 *     worker and the main loop at once.
 *
 * Names are kept in presentation form, lowercased, without the trailing
 * dot ("www.example.com"); DNS_NAME_MAX holds the longest (253) and NUL.
 */
#ifndef SLUICE_DNS_DNS_H
#define SLUICE_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define DNS_NAME_MAX 256
#define DNS_BINDINGS_PER_ANSWER 64	/* (name, address) pairs one answer yields */

/* ---- the parser --------------------------------------------------------- */

/* One binding an answer makes. */
struct dns_binding {
	char name[DNS_NAME_MAX];
	struct sluice_addr addr;
	uint32_t ttl;			/* seconds */
};

/* What a response says, as far as bindings go. */
struct dns_answer {
	uint16_t id;
	uint8_t rcode;
	char qname[DNS_NAME_MAX];	/* "" if there is no question */
	uint16_t qtype;
	struct dns_binding b[DNS_BINDINGS_PER_ANSWER];
	size_t nb;
	bool more;		/* bindings beyond DNS_BINDINGS_PER_ANSWER left out */
};

enum dns_result {
	DNS_OK = 0,
	DNS_NOT_RESPONSE,	/* QR clear: a query, not an answer */
	DNS_TRUNCATED,		/* the message ends inside a field */
	DNS_BAD_NAME,		/* a label > 63, a name > 255, a pointer forward or looping */
	DNS_BAD_COUNT,		/* more records than the message can hold */
	DNS_BAD_RECORD,		/* an A of 5 bytes, an RDLENGTH past the end */
	DNS_RESULT__COUNT
};

/*
 * Parses the response msg[0..len) into *out. A response that is not
 * NOERROR, or answers no A/AAAA question, parses to no binding (DNS_OK,
 * nb 0). Never reads outside msg.
 */
enum dns_result dns_parse(const uint8_t *msg, size_t len,
    struct dns_answer *out);

/* "truncated", "bad name", ... */
const char *dns_result_str(enum dns_result r);

/*
 * A name against a policy pattern: exact (case-insensitive, a trailing
 * dot ignored on either side), or "*.example.com", which matches one or
 * more labels below example.com but not example.com itself (as
 * AdminNetworkPolicy's domainNames).
 */
bool dns_name_matches(const char *pattern, const char *name);

/* A pattern as a policy may give it: a valid name, or "*." and one. */
bool dns_pattern_valid(const char *pattern);

/* ---- the bindings table ------------------------------------------------- */

struct dns_limits {
	uint32_t per_pod;	/* (name, address) bindings per pod */
	uint32_t total;		/* in the whole table */
};

struct dns_bindings;

/* A table within lim (both at least 1). NULL if memory runs out. */
struct dns_bindings *dns_bindings_new(const struct dns_limits *lim);
void dns_bindings_free(struct dns_bindings *t);

/*
 * Pod resolved name to addr, valid until expires (seconds, wall clock,
 * so that bindings survive a restart). Adding an existing binding moves
 * its expiry (to the later one). Over a limit, the bindings that expire
 * first go (the pod's own for per_pod, anyone's for total), counted; a
 * new binding that would expire before all it could displace is the one
 * dropped. Names are stored lowercased without a trailing dot. Returns 0,
 * -EINVAL (an address of no family, an empty or over-long name) or
 * -ENOMEM (nothing changed).
 */
int dns_bindings_add(struct dns_bindings *t, const struct sluice_addr *pod,
    const char *name, const struct sluice_addr *addr, uint64_t expires);

/*
 * Whether pod holds a binding to addr, alive at now (now <= expires +
 * grace), of a name matching one of patterns[0..n); the name in
 * name[0..size) if so.
 */
bool dns_bindings_match(struct dns_bindings *t, const struct sluice_addr *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    uint64_t now, uint32_t grace, char *name, size_t size);

/* Any live name of pod's bound to addr (for explaining a denial). */
bool dns_bindings_any(struct dns_bindings *t, const struct sluice_addr *pod,
    const struct sluice_addr *addr, uint64_t now, uint32_t grace, char *name,
    size_t size);

/* Drops every binding of pod (its address went to no pod, or another). */
size_t dns_bindings_forget_pod(struct dns_bindings *t,
    const struct sluice_addr *pod);

/* Drops the bindings dead at now (expires + grace < now); how many. */
size_t dns_bindings_expire(struct dns_bindings *t, uint64_t now,
    uint32_t grace);

struct dns_binding_info {
	struct sluice_addr pod;
	char name[DNS_NAME_MAX];
	struct sluice_addr addr;
	uint64_t expires;
};

/*
 * Calls fn for every binding (the table locked meanwhile: fn must not
 * call into it); stops when fn returns false.
 */
void dns_bindings_walk(struct dns_bindings *t,
    bool (*fn)(void *arg, const struct dns_binding_info *b), void *arg);

struct dns_stats {
	uint64_t bindings;	/* now */
	uint64_t added, refreshed, expired, evicted_pod, evicted_total;
};
void dns_stats_get(struct dns_bindings *t, struct dns_stats *st);

/* Bytes per binding of capacity, for the benchmark. */
size_t dns_bindings_bytes(const struct dns_bindings *t);

#endif
