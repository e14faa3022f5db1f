/*
 * linkproto.h - the messages of the control links between nodes, and how
 * they are authenticated (DESIGN.md section 4).
 *
 * A control link is a TCP connection carrying frames (common/frame.h).
 * This file produces and consumes what is inside a frame, the payload:
 *
 *   payload = body || tag		(at most LINK_MAX_PAYLOAD bytes)
 *   body    = one msgpack map	{"v": 1, "t": "hello", ...}
 *   tag     = 32 bytes of HMAC-SHA-256
 *
 * Body keys: "v" (uint, protocol version, never 0) and "t" (str, the
 * type: "hello", "blocks", "keepalive", "claim", "vote" or
 * "endpoints"; any other string decodes as LINK_MSG_UNKNOWN so that
 * newer peers can add types),
 * then per type:
 *   hello:     "node" (str), "addr" (str, IPv4 or IPv6 address),
 *              "mac" (bin 6), "caps" (uint), "inc" (uint), "nonce" (bin 32),
 *              and optionally "mtu" (uint, the sender's tunnel MTU: the
 *              largest inner packet it can take; 0 or absent: unknown)
 *   blocks:    "gen" (uint), "blocks" (array of at most LINK_MAX_BLOCKS
 *              "ADDR/LEN" strings, host bits zero: the blocks the sender
 *              owns), optionally "claiming" (array of at most
 *              LINK_MAX_CLAIMING such strings: the blocks it is claiming;
 *              absent: none)
 *   keepalive: nothing more
 *   claim:     "id" (uint, the claim's number at the sender), "block"
 *              (str, ADDR/LEN): please acknowledge that I claim it
 *   vote:      "id" (uint, the claim's id), "block" (str), "ok" (bool),
 *              and with ok false optionally "holder" (str, the node that
 *              owns or is claiming the block)
 *   endpoints: "gen" (uint, the version of the sender's pod list),
 *              "part" and "parts" (uint: this is page part, counted from
 *              0, of parts; 1 <= parts <= LINK_MAX_ENDPOINT_PARTS),
 *              "endpoints" (array of at most LINK_MAX_ENDPOINTS maps, one
 *              per pod:
 *                "ns" (str), "pod" (str),
 *                "addrs" (array of 1..ENDPOINT_ADDRS_MAX address strs),
 *                optionally "labels" (map of at most ENDPOINT_LABELS_MAX
 *                  str keys to str values; absent: none),
 *                optionally "ports" (array of at most ENDPOINT_PORTS_MAX
 *                  [name (str), proto (uint), port (uint)]; absent: none)
 *              with the sizes and rules of endpoint_validate()
 *              (router/endpoints.h); keys it does not know are ignored)
 * (ipam/ipam.h says how claims and votes keep blocks exclusive.)
 *
 * A node's pod list rarely fits in one frame (1024 pods of a few labels
 * each take about 400 KB), so it goes out in pages: parts frames of the
 * same gen, part 0 to parts - 1, sent back to back on one link, each as
 * full as LINK_MAX_PAYLOAD allows. The largest endpoint the caps allow
 * (64 labels of 319-byte keys and values, 64 ports) takes about 43 KB,
 * so every endpoint fits in a page of its own. The receiver replaces the
 * sender's list once the last page is in (router/endpoints.h). Raising
 * LINK_MAX_PAYLOAD instead would let any peer make every link buffer
 * megabytes, for every frame type.
 * Keys this version does not know are ignored. A version newer than ours
 * is accepted and read as far as we understand it.
 *
 * Handshake. Both ends send a hello as soon as the TCP connection is up;
 * neither waits for the other's. A hello carries a fresh random nonce
 * (link_session.my_nonce) and is tagged with the cluster key:
 *
 *   hello tag   = HMAC(cluster_key, "sluice-hello-v1" || dir || body)
 *
 * Once a node has read the peer's hello, both nonces are known and
 *
 *   session_key = HMAC(cluster_key, "sluice-session-v1" ||
 *                      dialer_nonce || acceptor_nonce)
 *   frame tag   = HMAC(session_key, dir || seq || body)
 *
 * tags every later frame, where seq counts the non-hello frames sent in
 * that direction (0, 1, ...; 8 bytes big-endian) and dir is 0x01 for
 * frames the dialer sends and 0x02 for the acceptor's. Labels are ASCII
 * without a terminating NUL. So a node that is keyed may send at once; to
 * let the peer authenticate it (below), it should send something, a
 * keepalive at least, as soon as it is keyed.
 *
 * Threat model. The attacker sees and controls the network between nodes
 * (reads, injects, drops, reorders, replays and reflects frames, opens
 * connections) but does not hold the cluster secret. Against that:
 * - a node without the secret never gets a frame accepted, except a
 *   replay of an earlier hello (see below);
 * - a session frame is accepted only once, in order, in the direction and
 *   the session it was sent in: a replayed, reordered, dropped-then-later,
 *   reflected or altered frame, or one from another session (another
 *   connection, or before a restart), fails its tag;
 * - a hello alone proves nothing: it may be a recording of one the peer
 *   sent long ago, incarnation and all. Treat a peer as authenticated, and
 *   act on its hello (its address, its incarnation, its name), only once a
 *   session-keyed frame from it has verified. That frame proves the peer
 *   holds the cluster key now, since the session key mixes in our fresh
 *   nonce.
 * Not provided: confidentiality (frames are readable on the wire: names,
 * addresses and blocks are not secret), forward secrecy, per-node
 * identity (every holder of the cluster secret can claim any node name,
 * so a compromised node compromises the cluster), secret rotation, and
 * protection against an attacker who just cuts connections. Tags are
 * compared in constant time.
 *
 * A struct link_session belongs to one connection and to the loop thread
 * (STYLE.md section 5); nothing here locks.
 */
#ifndef SLUICE_ROUTER_LINKPROTO_H
#define SLUICE_ROUTER_LINKPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "common/addr.h"

#define LINK_PROTO_VERSION 1
#define LINK_MAX_PAYLOAD (64 * 1024)	/* body + tag */
#define LINK_TAG_LEN 32
#define LINK_NONCE_LEN 32
#define LINK_KEY_LEN 32
#define LINK_NAME_MAX 64		/* node name, NUL included */
#define LINK_MAX_BLOCKS 1024
#define LINK_MAX_CLAIMING 16
/*
 * Pods one node announces. A node rarely runs more than a few hundred
 * (kubelet's default is 110 per node); 1024 leaves room without letting a
 * peer make us hold an unbounded list. 128 pages of 64 KiB (8 MiB) carry
 * 1024 pods of 8 KB of labels each; the usual pod takes under 1 KB.
 */
#define LINK_MAX_ENDPOINTS 1024
#define LINK_MAX_ENDPOINT_PARTS 128
/*
 * Deepest nesting of a body we read (the map is depth 1). Ours needs 5
 * (a port of an endpoint); the rest is room for what newer peers add
 * under keys we ignore.
 */
#define LINK_MAX_DEPTH 16

enum link_msg_type {
	LINK_MSG_HELLO = 1,
	LINK_MSG_BLOCKS,
	LINK_MSG_KEEPALIVE,
	LINK_MSG_CLAIM,
	LINK_MSG_VOTE,
	LINK_MSG_ENDPOINTS,
	LINK_MSG_UNKNOWN,	/* a type newer than us; authenticated */
};

struct link_hello {
	char node[LINK_NAME_MAX];	/* NUL-terminated, not empty */
	struct sluice_addr underlay;
	uint8_t vtep_mac[6];
	uint64_t caps;
	/* Random per daemon start: a changed value means the peer restarted. */
	uint64_t incarnation;
	uint32_t mtu;			/* tunnel MTU; 0 unknown */
	uint8_t nonce[LINK_NONCE_LEN];
};

struct link_blocks {
	uint64_t generation;
	uint32_t n;			/* entries used in blocks */
	struct sluice_prefix blocks[LINK_MAX_BLOCKS];
	uint32_t nclaiming;		/* entries used in claiming */
	struct sluice_prefix claiming[LINK_MAX_CLAIMING];
};

struct link_claim {
	uint64_t id;
	struct sluice_prefix block;
};

struct link_vote {
	uint64_t id;
	struct sluice_prefix block;
	bool ok;
	char holder[LINK_NAME_MAX];	/* "" if not said */
};

struct endpoint;

/*
 * One page of a node's pod list. Sealing reads v[0..n) (the caller's);
 * an opened message owns v and what each endpoint owns: take v (and set
 * it NULL), or free it with link_msg_clear().
 */
struct link_endpoints {
	uint64_t generation;
	uint32_t part;			/* 0..parts - 1 */
	uint32_t parts;			/* 1..LINK_MAX_ENDPOINT_PARTS */
	struct endpoint *v;
	uint32_t n;			/* at most LINK_MAX_ENDPOINTS */
};

/* About 25 KB: keep it off small stacks (the loop thread's is fine). */
struct link_msg {
	enum link_msg_type type;
	uint32_t version;	/* the sender's "v"; saturates at UINT32_MAX */
	union {
		struct link_hello hello;
		struct link_blocks blocks;
		struct link_claim claim;
		struct link_vote vote;
		struct link_endpoints endpoints;
	} u;
};

/*
 * The state of one link. Embedded in its owner; link_session_wipe() it
 * when the link closes, since it holds keys. Read the fields, but only
 * link_* functions change them.
 */
struct link_session {
	uint8_t cluster_key[LINK_KEY_LEN];
	uint8_t session_key[LINK_KEY_LEN];	/* valid once keyed */
	uint8_t my_nonce[LINK_NONCE_LEN];
	uint8_t peer_nonce[LINK_NONCE_LEN];	/* valid once keyed */
	bool dialer;		/* we opened the TCP connection */
	bool keyed;		/* both hellos seen */
	uint64_t send_seq, recv_seq;	/* next non-hello frame's number */
};

/*
 * Derives the cluster key from the bytes of the cluster secret file:
 * BLAKE2b-256 (crypto_generichash) of the bytes as they are, keyed with
 * the label "sluice-cluster-v1" so that the key differs from any other use
 * of the same file. A trailing newline counts, so the caller decides
 * whether to strip it, the same way on every node. Initialises libsodium.
 * Returns 0, -EINVAL if len < 16 (too short to be a secret: the caller
 * refuses it with a clear message) or -EIO if libsodium cannot start.
 */
int link_key_derive(const uint8_t *secret, size_t len,
    uint8_t key[LINK_KEY_LEN]);

/*
 * Starts a session for a new connection: copies cluster_key, draws a
 * fresh random my_nonce, sequence numbers 0, not keyed.
 */
void link_session_init(struct link_session *s,
    const uint8_t cluster_key[LINK_KEY_LEN], bool dialer);

/* Zeroes the whole session, keys included. Accepts NULL. */
void link_session_wipe(struct link_session *s);

/*
 * Appends the payload (body || tag) of msg to out, which the caller owns
 * and may already hold bytes (a frame header, say). The body gets
 * "v": LINK_PROTO_VERSION whatever msg->version says, and a hello gets
 * s->my_nonce whatever msg->u.hello.nonce says. Sealing a non-hello
 * advances s->send_seq. Nothing is allocated except by growing out.
 * Returns 0, or on failure leaves out's contents and *s as they were and
 * returns:
 *   -EPROTO   a non-hello before the session is keyed;
 *   -EINVAL   a message that the peer would refuse: type
 *             LINK_MSG_UNKNOWN, a node name empty or without a NUL in
 *             LINK_NAME_MAX, an underlay address of no family, more than
 *             LINK_MAX_BLOCKS blocks (LINK_MAX_CLAIMING claiming), a
 *             block with host bits set, a length beyond its family or no
 *             family, a vote's holder without a NUL in LINK_NAME_MAX,
 *             endpoints: more than LINK_MAX_ENDPOINTS, parts 0 or over
 *             LINK_MAX_ENDPOINT_PARTS, part not below parts, or an
 *             endpoint endpoint_validate() refuses;
 *   -EMSGSIZE the payload would exceed LINK_MAX_PAYLOAD;
 *   -ENOMEM   out could not grow.
 */
int link_msg_seal(struct link_session *s, const struct link_msg *msg,
    msgpack_sbuffer *out);

/*
 * The primitive under link_msg_seal(): appends body (len bytes, taken as
 * they are, not checked) and its tag to out, tagged as a hello if hello,
 * else as the next session frame (advancing s->send_seq). link_msg_seal()
 * packs its body into out and tags it the same way. For tests and fuzzers,
 * which need to seal bodies that link_msg_seal() would never write. body
 * must not point into out. Returns 0, -EPROTO (not hello and not keyed),
 * -EMSGSIZE or -ENOMEM, leaving out and *s as they were on failure.
 */
int link_frame_seal_raw(struct link_session *s, bool hello, const void *body,
    size_t len, msgpack_sbuffer *out);

/*
 * Authenticates and decodes one payload received on the link of s. The
 * payload is only read during the call; *out refers to none of it.
 *
 * A hello is accepted once, before the session is keyed; it sets
 * s->peer_nonce, derives s->session_key and sets s->keyed. Any other
 * frame needs a keyed session and advances s->recv_seq. An authenticated
 * frame of a type we do not know returns 0 with out->type
 * LINK_MSG_UNKNOWN, out->version set and out->u untouched. An endpoints
 * page is the only message that allocates: after a 0 return of that type
 * the caller owns out->u.endpoints.v (link_msg_clear()); on failure
 * nothing is left allocated. *out's previous contents are neither read
 * nor freed.
 *
 * Returns 0, or on failure leaves *s as it was, *out unspecified, a reason
 * in err (always NUL-terminated if errlen > 0) and returns:
 *   -EBADMSG  malformed: too short or too long, not one well-formed
 *             msgpack map (mp_check()), a required key missing or of the
 *             wrong type, "v" 0, a bad address or prefix, too many blocks,
 *             an endpoints page over a cap or with an endpoint that
 *             endpoint_validate() refuses;
 *   -EPROTO   a frame before the hello, or a second hello;
 *   -EACCES   the tag does not verify: the wrong cluster secret (hello), or
 *             a forged, altered, replayed, reordered, reflected or stale
 *             frame;
 *   -ENOMEM   no memory for an endpoints page.
 * The link should be closed after any failure (DESIGN.md section 4): a
 * peer that sent a bad frame cannot be trusted with the next one.
 * Since the type is read before the tag is checked, a frame altered in
 * transit may fail with -EBADMSG or -EPROTO rather than -EACCES.
 */
int link_msg_open(struct link_session *s, const uint8_t *payload, size_t len,
    struct link_msg *out, char *err, size_t errlen);

/*
 * Frees what an opened message owns (an endpoints page's endpoints) and
 * leaves it holding nothing. Only for messages link_msg_open() filled:
 * a message built for sealing borrows its endpoints. Accepts NULL.
 */
void link_msg_clear(struct link_msg *m);

/*
 * Splits a pod list v[0..n) into the pages of one announcement, each as
 * full as fits in LINK_MAX_PAYLOAD whatever its gen, part and parts:
 * page i holds v[first[i] .. first[i + 1]), for i < *nparts, and
 * first[*nparts] == n (first must hold LINK_MAX_ENDPOINT_PARTS + 1
 * entries). An empty list is one empty page. Allocates nothing. Returns
 * 0, -EINVAL (n over LINK_MAX_ENDPOINTS, or an endpoint that
 * endpoint_validate() refuses) or -EMSGSIZE (more than
 * LINK_MAX_ENDPOINT_PARTS pages).
 */
int link_endpoints_paginate(const struct endpoint *v, size_t n,
    uint32_t *first, uint32_t *nparts);

/* "hello", "blocks", ..., "endpoints" or "unknown"; never NULL. */
const char *link_msg_type_name(enum link_msg_type type);

#endif
