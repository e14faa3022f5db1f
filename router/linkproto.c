/*
 * linkproto.c - sealing and opening control link payloads.
 *
 * The session is a small state machine, one per connection:
 * - fresh: my_nonce drawn, nothing received. We may seal our hello; we
 *   open only a hello (anything else is -EPROTO).
 * - keyed: the peer's hello was opened and session_key derived. We seal
 *   and open session frames, each numbered by send_seq / recv_seq; a
 *   second hello is -EPROTO.
 * A failed open leaves the state alone; the caller closes the link.
 */
#include "router/linkproto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/mp.h"
#include "router/endpoints.h"

#define DIR_DIALER 0x01
#define DIR_ACCEPTOR 0x02

/* Largest body: the tag takes the rest of LINK_MAX_PAYLOAD. */
#define BODY_MAX (LINK_MAX_PAYLOAD - LINK_TAG_LEN)

static const char cluster_label[] = "sluice-cluster-v1";
static const char hello_label[] = "sluice-hello-v1";
static const char session_label[] = "sluice-session-v1";

static const char *const type_names[] = {
	[LINK_MSG_HELLO] = "hello",
	[LINK_MSG_BLOCKS] = "blocks",
	[LINK_MSG_KEEPALIVE] = "keepalive",
	[LINK_MSG_CLAIM] = "claim",
	[LINK_MSG_VOTE] = "vote",
	[LINK_MSG_ENDPOINTS] = "endpoints",
};

const char *
link_msg_type_name(enum link_msg_type type)
{
	if (type >= LINK_MSG_HELLO && type <= LINK_MSG_ENDPOINTS)
		return type_names[type];
	return "unknown";
}

/* Direction byte of the frames we send, and of those we receive. */
static uint8_t
my_dir(const struct link_session *s)
{
	return s->dialer ? DIR_DIALER : DIR_ACCEPTOR;
}

static uint8_t
peer_dir(const struct link_session *s)
{
	return s->dialer ? DIR_ACCEPTOR : DIR_DIALER;
}

static void
hello_tag(const struct link_session *s, uint8_t dir, const uint8_t *body,
    size_t len, uint8_t tag[LINK_TAG_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, s->cluster_key, LINK_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)hello_label,
	    sizeof(hello_label) - 1);
	crypto_auth_hmacsha256_update(&st, &dir, 1);
	if (len > 0)
		crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, tag);
	/* The state holds the key XORed into the HMAC pads. */
	sodium_memzero(&st, sizeof(st));
}

static void
session_tag(const struct link_session *s, uint8_t dir, uint64_t seq,
    const uint8_t *body, size_t len, uint8_t tag[LINK_TAG_LEN])
{
	crypto_auth_hmacsha256_state st;
	uint8_t hdr[9];

	hdr[0] = dir;
	for (int i = 0; i < 8; i++)
		hdr[1 + i] = (uint8_t)(seq >> (56 - 8 * i));
	crypto_auth_hmacsha256_init(&st, s->session_key, LINK_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, hdr, sizeof(hdr));
	if (len > 0)
		crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, tag);
	sodium_memzero(&st, sizeof(st));
}

/* Needs both nonces; the dialer's comes first on both ends. */
static void
derive_session_key(struct link_session *s)
{
	crypto_auth_hmacsha256_state st;
	const uint8_t *dn = s->dialer ? s->my_nonce : s->peer_nonce;
	const uint8_t *an = s->dialer ? s->peer_nonce : s->my_nonce;

	crypto_auth_hmacsha256_init(&st, s->cluster_key, LINK_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)session_label,
	    sizeof(session_label) - 1);
	crypto_auth_hmacsha256_update(&st, dn, LINK_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, an, LINK_NONCE_LEN);
	crypto_auth_hmacsha256_final(&st, s->session_key);
	sodium_memzero(&st, sizeof(st));
}

int
link_key_derive(const uint8_t *secret, size_t len, uint8_t key[LINK_KEY_LEN])
{
	int rc = 0;

	if (sodium_init() < 0) {
		rc = -EIO;
		goto out;
	}
	if (secret == NULL || len < 16) {
		rc = -EINVAL;
		goto out;
	}
	crypto_generichash(key, LINK_KEY_LEN, secret, len,
	    (const uint8_t *)cluster_label, sizeof(cluster_label) - 1);
out:
	return rc;
}

void
link_session_init(struct link_session *s,
    const uint8_t cluster_key[LINK_KEY_LEN], bool dialer)
{
	/*
	 * Idempotent and cheap; done here too so that a session made from
	 * a key that did not come from link_key_derive() (tests, fuzzers)
	 * still draws its nonce from an initialised libsodium. It only
	 * fails without a random source, and randombytes_buf() then aborts
	 * rather than return predictable bytes.
	 */
	(void)!sodium_init();
	memset(s, 0, sizeof(*s));
	memcpy(s->cluster_key, cluster_key, LINK_KEY_LEN);
	randombytes_buf(s->my_nonce, LINK_NONCE_LEN);
	s->dialer = dialer;
}

void
link_session_wipe(struct link_session *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Sealing */

/*
 * A msgpack writer that appends to an sbuffer but stops, for good, at the
 * first failure, so that a body is either complete or known to be bad
 * (the mp_pack_* helpers do not report errors).
 */
struct sink {
	msgpack_sbuffer *sb;
	size_t start;		/* where the body begins in sb */
	int err;		/* first failure: -EMSGSIZE or -ENOMEM */
};

static int
sink_write(void *data, const char *buf, size_t len)
{
	struct sink *k = data;

	if (k->err == 0 && len > BODY_MAX - (k->sb->size - k->start))
		k->err = -EMSGSIZE;
	if (k->err == 0 && msgpack_sbuffer_write(k->sb, buf, len) != 0)
		k->err = -ENOMEM;
	return k->err == 0 ? 0 : -1;
}

static void
pack_kv_bin(msgpack_packer *pk, const char *k, const uint8_t *v, size_t n)
{
	mp_pack_key(pk, k);
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, v, n);
}

static int
pack_hello(msgpack_packer *pk, const struct link_session *s,
    const struct link_hello *h)
{
	char addr[SLUICE_ADDRSTRLEN];
	size_t n = strnlen(h->node, LINK_NAME_MAX);
	int rc = 0;

	if (n == 0 || n == LINK_NAME_MAX ||
	    sluice_addr_len(h->underlay.family) == 0) {
		rc = -EINVAL;
		goto out;
	}
	sluice_addr_str(&h->underlay, addr, sizeof(addr));
	msgpack_pack_map(pk, 9);
	mp_pack_kv_u64(pk, "v", LINK_PROTO_VERSION);
	mp_pack_kv_str(pk, "t", "hello");
	mp_pack_kv_u64(pk, "mtu", h->mtu);
	mp_pack_kv_str(pk, "node", h->node);
	mp_pack_kv_str(pk, "addr", addr);
	pack_kv_bin(pk, "mac", h->vtep_mac, sizeof(h->vtep_mac));
	mp_pack_kv_u64(pk, "caps", h->caps);
	mp_pack_kv_u64(pk, "inc", h->incarnation);
	pack_kv_bin(pk, "nonce", s->my_nonce, LINK_NONCE_LEN);
out:
	return rc;
}

/*
 * Packs p as "ADDR/LEN", read back as the peer will, so a prefix it
 * would refuse (host bits, a length beyond the family, no family) fails
 * here, at the sender, where the bug is.
 */
static int
pack_prefix(msgpack_packer *pk, const struct sluice_prefix *p)
{
	char buf[SLUICE_PREFIXSTRLEN];
	struct sluice_prefix check;

	sluice_prefix_str(p, buf, sizeof(buf));
	if (sluice_prefix_parse(buf, false, &check) != 0)
		return -EINVAL;
	mp_pack_str(pk, buf);
	return 0;
}

static int
pack_prefixes(msgpack_packer *pk, const char *key,
    const struct sluice_prefix *v, uint32_t n)
{
	int rc = 0;

	mp_pack_key(pk, key);
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = pack_prefix(pk, &v[i]);
	return rc;
}

static int
pack_blocks(msgpack_packer *pk, const struct link_blocks *b)
{
	int rc;

	if (b->n > LINK_MAX_BLOCKS || b->nclaiming > LINK_MAX_CLAIMING)
		return -EINVAL;
	msgpack_pack_map(pk, b->nclaiming > 0 ? 5 : 4);
	mp_pack_kv_u64(pk, "v", LINK_PROTO_VERSION);
	mp_pack_kv_str(pk, "t", "blocks");
	mp_pack_kv_u64(pk, "gen", b->generation);
	rc = pack_prefixes(pk, "blocks", b->blocks, b->n);
	if (rc == 0 && b->nclaiming > 0)
		rc = pack_prefixes(pk, "claiming", b->claiming, b->nclaiming);
	return rc;
}

static int
pack_claim(msgpack_packer *pk, const struct link_claim *c)
{
	msgpack_pack_map(pk, 4);
	mp_pack_kv_u64(pk, "v", LINK_PROTO_VERSION);
	mp_pack_kv_str(pk, "t", "claim");
	mp_pack_kv_u64(pk, "id", c->id);
	mp_pack_key(pk, "block");
	return pack_prefix(pk, &c->block);
}

static int
pack_vote(msgpack_packer *pk, const struct link_vote *v)
{
	bool holder = !v->ok && v->holder[0] != '\0';

	if (memchr(v->holder, '\0', sizeof(v->holder)) == NULL)
		return -EINVAL;
	msgpack_pack_map(pk, holder ? 6 : 5);
	mp_pack_kv_u64(pk, "v", LINK_PROTO_VERSION);
	mp_pack_kv_str(pk, "t", "vote");
	mp_pack_kv_u64(pk, "id", v->id);
	mp_pack_kv_bool(pk, "ok", v->ok);
	if (holder)
		mp_pack_kv_str(pk, "holder", v->holder);
	mp_pack_key(pk, "block");
	return pack_prefix(pk, &v->block);
}

/*
 * One endpoint, as parse_endpoint() reads it back. Empty labels and
 * ports are left out (absent is none): most pods have no named port.
 */
static int
pack_endpoint(msgpack_packer *pk, const struct endpoint *ep)
{
	char a[SLUICE_ADDRSTRLEN];

	if (endpoint_validate(ep, NULL, 0) != 0)
		return -EINVAL;
	msgpack_pack_map(pk, 3 + (ep->nlabels > 0) + (ep->nports > 0));
	mp_pack_kv_str(pk, "ns", ep->ns);
	mp_pack_kv_str(pk, "pod", ep->pod);
	mp_pack_key(pk, "addrs");
	msgpack_pack_array(pk, ep->naddrs);
	for (size_t i = 0; i < ep->naddrs; i++)
		mp_pack_str(pk, sluice_addr_str(&ep->addrs[i], a, sizeof(a)));
	if (ep->nlabels > 0) {
		mp_pack_key(pk, "labels");
		msgpack_pack_map(pk, ep->nlabels);
		for (size_t i = 0; i < ep->nlabels; i++) {
			mp_pack_str(pk, ep->labels[i].key);
			mp_pack_str(pk, ep->labels[i].value);
		}
	}
	if (ep->nports > 0) {
		mp_pack_key(pk, "ports");
		msgpack_pack_array(pk, ep->nports);
		for (size_t i = 0; i < ep->nports; i++) {
			msgpack_pack_array(pk, 3);
			mp_pack_str(pk, ep->ports[i].name);
			msgpack_pack_uint8(pk, ep->ports[i].proto);
			msgpack_pack_uint16(pk, ep->ports[i].port);
		}
	}
	return 0;
}

/* Everything of an endpoints body but the endpoints themselves. */
static void
pack_endpoints_head(msgpack_packer *pk, uint64_t gen, uint32_t part,
    uint32_t parts, uint32_t n)
{
	msgpack_pack_map(pk, 6);
	mp_pack_kv_u64(pk, "v", LINK_PROTO_VERSION);
	mp_pack_kv_str(pk, "t", "endpoints");
	mp_pack_kv_u64(pk, "gen", gen);
	mp_pack_kv_u64(pk, "part", part);
	mp_pack_kv_u64(pk, "parts", parts);
	mp_pack_key(pk, "endpoints");
	msgpack_pack_array(pk, n);
}

static int
pack_endpoints(msgpack_packer *pk, const struct link_endpoints *e)
{
	int rc = 0;

	if (e->n > LINK_MAX_ENDPOINTS || e->parts == 0 ||
	    e->parts > LINK_MAX_ENDPOINT_PARTS || e->part >= e->parts ||
	    (e->n > 0 && e->v == NULL))
		return -EINVAL;
	pack_endpoints_head(pk, e->generation, e->part, e->parts, e->n);
	for (uint32_t i = 0; i < e->n && rc == 0; i++)
		rc = pack_endpoint(pk, &e->v[i]);
	return rc;
}

/* A writer that only counts, to size pages before sealing them. */
static int
count_write(void *data, const char *buf, size_t len)
{
	(void)buf;
	*(size_t *)data += len;
	return 0;
}

int
link_endpoints_paginate(const struct endpoint *v, size_t n, uint32_t *first,
    uint32_t *nparts)
{
	msgpack_packer pk;
	size_t head = 0, room, used = 0;
	uint32_t page = 0;

	if (n > LINK_MAX_ENDPOINTS || (n > 0 && v == NULL))
		return -EINVAL;
	/* The head at its largest, so that any gen, part and parts fit. */
	msgpack_packer_init(&pk, &head, count_write);
	pack_endpoints_head(&pk, UINT64_MAX, LINK_MAX_ENDPOINT_PARTS,
	    LINK_MAX_ENDPOINT_PARTS, LINK_MAX_ENDPOINTS);
	room = BODY_MAX - head;
	first[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t size = 0;

		msgpack_packer_init(&pk, &size, count_write);
		if (pack_endpoint(&pk, &v[i]) != 0)
			return -EINVAL;
		if (size > room)	/* not with the caps as they are */
			return -EMSGSIZE;
		if (used + size > room) {
			if (++page == LINK_MAX_ENDPOINT_PARTS)
				return -EMSGSIZE;
			first[page] = (uint32_t)i;
			used = 0;
		}
		used += size;
	}
	first[page + 1] = (uint32_t)n;
	*nparts = page + 1;
	return 0;
}

/* Appends the tag of the body at out->data + start, and counts the frame. */
static int
seal_tail(struct link_session *s, bool hello, msgpack_sbuffer *out,
    size_t start)
{
	uint8_t tag[LINK_TAG_LEN];
	size_t len = out->size - start;
	/* An empty sbuffer has no data pointer to offset. */
	const uint8_t *body = len > 0 ? (const uint8_t *)out->data + start :
	    NULL;
	int rc = 0;

	if (hello)
		hello_tag(s, my_dir(s), body, len, tag);
	else
		session_tag(s, my_dir(s), s->send_seq, body, len, tag);
	if (msgpack_sbuffer_write(out, (const char *)tag, sizeof(tag)) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (!hello)
		s->send_seq++;
out:
	return rc;
}

int
link_frame_seal_raw(struct link_session *s, bool hello, const void *body,
    size_t len, msgpack_sbuffer *out)
{
	size_t start = out->size;
	int rc = 0;

	if (!hello && !s->keyed) {
		rc = -EPROTO;
		goto out;
	}
	if (len > BODY_MAX) {
		rc = -EMSGSIZE;
		goto out;
	}
	if (len > 0 && msgpack_sbuffer_write(out, body, len) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = seal_tail(s, hello, out, start);
out:
	if (rc != 0)
		out->size = start;
	return rc;
}

int
link_msg_seal(struct link_session *s, const struct link_msg *msg,
    msgpack_sbuffer *out)
{
	struct sink k = { out, out->size, 0 };
	bool hello = msg->type == LINK_MSG_HELLO;
	msgpack_packer pk;
	int rc = 0;

	if (!hello && !s->keyed) {
		rc = -EPROTO;
		goto out;
	}
	msgpack_packer_init(&pk, &k, sink_write);
	switch (msg->type) {
	case LINK_MSG_HELLO:
		rc = pack_hello(&pk, s, &msg->u.hello);
		break;
	case LINK_MSG_BLOCKS:
		rc = pack_blocks(&pk, &msg->u.blocks);
		break;
	case LINK_MSG_CLAIM:
		rc = pack_claim(&pk, &msg->u.claim);
		break;
	case LINK_MSG_VOTE:
		rc = pack_vote(&pk, &msg->u.vote);
		break;
	case LINK_MSG_ENDPOINTS:
		rc = pack_endpoints(&pk, &msg->u.endpoints);
		break;
	case LINK_MSG_KEEPALIVE:
		msgpack_pack_map(&pk, 2);
		mp_pack_kv_u64(&pk, "v", LINK_PROTO_VERSION);
		mp_pack_kv_str(&pk, "t", "keepalive");
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc == 0)
		rc = k.err;
	if (rc == 0)
		rc = seal_tail(s, hello, out, k.start);
out:
	if (rc != 0)
		out->size = k.start;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Opening */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));

/* Writes the reason into err (if any) and returns rc. */
static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
get_u64(const msgpack_object *map, const char *key, uint64_t *v, char *err,
    size_t errlen)
{
	if (mp_get_u64(mp_map_get(map, key), v) != 0)
		return fail(err, errlen, -EBADMSG,
		    "\"%s\" missing or not an unsigned integer", key);
	return 0;
}

/* Copies a bin of exactly n bytes. */
static int
get_bin(const msgpack_object *map, const char *key, uint8_t *buf, size_t n,
    char *err, size_t errlen)
{
	const msgpack_object *o = mp_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
		return fail(err, errlen, -EBADMSG,
		    "\"%s\" missing or not %zu bytes of bin", key, n);
	memcpy(buf, o->via.bin.ptr, n);
	return 0;
}

static int
parse_hello(const msgpack_object *map, struct link_hello *h, char *err,
    size_t errlen)
{
	char addr[SLUICE_ADDRSTRLEN];
	int rc;

	memset(h, 0, sizeof(*h));
	rc = mp_get_str(mp_map_get(map, "node"), h->node, sizeof(h->node));
	if (rc != 0 || h->node[0] == '\0') {
		rc = fail(err, errlen, -EBADMSG,
		    "hello: \"node\" missing, not a string, empty or longer than %d bytes",
		    LINK_NAME_MAX - 1);
		goto out;
	}
	if (mp_get_str(mp_map_get(map, "addr"), addr, sizeof(addr)) != 0 ||
	    sluice_addr_parse(addr, &h->underlay) != 0) {
		rc = fail(err, errlen, -EBADMSG,
		    "hello: \"addr\" missing or not an IP address");
		goto out;
	}
	rc = get_bin(map, "mac", h->vtep_mac, sizeof(h->vtep_mac), err, errlen);
	if (rc == 0)
		rc = get_u64(map, "caps", &h->caps, err, errlen);
	if (rc == 0)
		rc = get_u64(map, "inc", &h->incarnation, err, errlen);
	if (rc == 0)
		rc = get_bin(map, "nonce", h->nonce, LINK_NONCE_LEN, err,
		    errlen);
	/* Optional: a peer that does not say gets our own MTU. */
	if (rc == 0 && mp_map_get(map, "mtu") != NULL) {
		uint64_t mtu;

		rc = get_u64(map, "mtu", &mtu, err, errlen);
		if (rc == 0 && mtu > 65535)
			rc = fail(err, errlen, -EBADMSG,
			    "hello: \"mtu\" larger than 65535");
		if (rc == 0)
			h->mtu = (uint32_t)mtu;
	}
out:
	return rc;
}

static int
parse_prefix(const msgpack_object *o, struct sluice_prefix *p)
{
	char buf[SLUICE_PREFIXSTRLEN];

	if (o == NULL || mp_get_str(o, buf, sizeof(buf)) != 0 ||
	    sluice_prefix_parse(buf, false, p) != 0)
		return -EBADMSG;
	return 0;
}

/* An optional (if !required) array of at most max prefixes under key. */
static int
parse_prefixes(const msgpack_object *map, const char *key, bool required,
    struct sluice_prefix *v, uint32_t max, uint32_t *n, char *err,
    size_t errlen)
{
	const msgpack_object *arr = mp_map_get(map, key);

	*n = 0;
	if (arr == NULL && !required)
		return 0;
	if (arr == NULL || arr->type != MSGPACK_OBJECT_ARRAY)
		return fail(err, errlen, -EBADMSG,
		    "\"%s\" missing or not an array", key);
	if (arr->via.array.size > max)
		return fail(err, errlen, -EBADMSG,
		    "%u %s, more than the %u allowed",
		    (unsigned)arr->via.array.size, key, (unsigned)max);
	for (uint32_t i = 0; i < arr->via.array.size; i++)
		if (parse_prefix(&arr->via.array.ptr[i], &v[i]) != 0)
			return fail(err, errlen, -EBADMSG,
			    "%s %u is not an ADDR/LEN string with zero host bits",
			    key, (unsigned)i);
	*n = arr->via.array.size;
	return 0;
}

static int
parse_blocks(const msgpack_object *map, struct link_blocks *b, char *err,
    size_t errlen)
{
	int rc;

	b->n = b->nclaiming = 0;
	if ((rc = get_u64(map, "gen", &b->generation, err, errlen)) != 0 ||
	    (rc = parse_prefixes(map, "blocks", true, b->blocks,
	    LINK_MAX_BLOCKS, &b->n, err, errlen)) != 0 ||
	    (rc = parse_prefixes(map, "claiming", false, b->claiming,
	    LINK_MAX_CLAIMING, &b->nclaiming, err, errlen)) != 0)
		b->n = b->nclaiming = 0;
	return rc;
}

static int
parse_claim(const msgpack_object *map, struct link_claim *c, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = get_u64(map, "id", &c->id, err, errlen)) != 0)
		return rc;
	if (parse_prefix(mp_map_get(map, "block"), &c->block) != 0)
		return fail(err, errlen, -EBADMSG,
		    "\"block\" missing or not an ADDR/LEN string with zero host bits");
	return 0;
}

static int
parse_vote(const msgpack_object *map, struct link_vote *v, char *err,
    size_t errlen)
{
	const msgpack_object *ok = mp_map_get(map, "ok");
	const msgpack_object *holder = mp_map_get(map, "holder");
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = get_u64(map, "id", &v->id, err, errlen)) != 0)
		return rc;
	if (parse_prefix(mp_map_get(map, "block"), &v->block) != 0)
		return fail(err, errlen, -EBADMSG,
		    "\"block\" missing or not an ADDR/LEN string with zero host bits");
	if (ok == NULL || ok->type != MSGPACK_OBJECT_BOOLEAN)
		return fail(err, errlen, -EBADMSG,
		    "\"ok\" missing or not a boolean");
	v->ok = ok->via.boolean;
	/* A holder goes with a refusal only. */
	if (!v->ok && holder != NULL && mp_get_str(holder, v->holder,
	    sizeof(v->holder)) != 0)
		return fail(err, errlen, -EBADMSG,
		    "\"holder\" not a string of at most %d bytes",
		    LINK_NAME_MAX - 1);
	return 0;
}

/* A uint under key, at most max. */
static int
get_u32_max(const msgpack_object *map, const char *key, uint32_t max,
    uint32_t *v, char *err, size_t errlen)
{
	uint64_t x;
	int rc;

	if ((rc = get_u64(map, key, &x, err, errlen)) != 0)
		return rc;
	if (x > max)
		return fail(err, errlen, -EBADMSG, "\"%s\" over %u", key,
		    (unsigned)max);
	*v = (uint32_t)x;
	return 0;
}

/*
 * The labels of an endpoint, in the layout endpoints.h gives them: one
 * allocation, the array first, then the strings it points at.
 */
static int
parse_labels(const msgpack_object *o, struct endpoint *ep, char *err,
    size_t errlen)
{
	const msgpack_object_kv *kv;
	size_t n, bytes;
	char *str;

	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_MAP)
		return fail(err, errlen, -EBADMSG, "\"labels\" not a map");
	n = o->via.map.size;
	kv = o->via.map.ptr;
	if (n > ENDPOINT_LABELS_MAX)
		return fail(err, errlen, -EBADMSG,
		    "%zu labels, more than the %d allowed", n,
		    ENDPOINT_LABELS_MAX);
	if (n == 0)
		return 0;
	bytes = n * sizeof(struct sluice_label);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *k = &kv[i].key, *v = &kv[i].val;

		if (k->type != MSGPACK_OBJECT_STR ||
		    v->type != MSGPACK_OBJECT_STR ||
		    k->via.str.size >= ENDPOINT_LABEL_MAX ||
		    v->via.str.size >= ENDPOINT_LABEL_MAX ||
		    memchr(k->via.str.ptr, '\0', k->via.str.size) != NULL ||
		    memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL)
			return fail(err, errlen, -EBADMSG,
			    "label %zu: key or value not a string of at most %d bytes without NUL",
			    i, ENDPOINT_LABEL_MAX - 1);
		bytes += k->via.str.size + v->via.str.size + 2;
	}
	ep->labels = malloc(bytes);
	if (ep->labels == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ep->nlabels = n;
	str = (char *)(ep->labels + n);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object_str *k = &kv[i].key.via.str;
		const msgpack_object_str *v = &kv[i].val.via.str;

		memcpy(str, k->ptr, k->size);
		str[k->size] = '\0';
		ep->labels[i].key = str;
		str += k->size + 1;
		memcpy(str, v->ptr, v->size);
		str[v->size] = '\0';
		ep->labels[i].value = str;
		str += v->size + 1;
	}
	return 0;
}

static int
parse_ports(const msgpack_object *o, struct endpoint *ep, char *err,
    size_t errlen)
{
	size_t n;

	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return fail(err, errlen, -EBADMSG, "\"ports\" not an array");
	n = o->via.array.size;
	if (n > ENDPOINT_PORTS_MAX)
		return fail(err, errlen, -EBADMSG,
		    "%zu ports, more than the %d allowed", n,
		    ENDPOINT_PORTS_MAX);
	if (n == 0)
		return 0;
	ep->ports = calloc(n, sizeof(*ep->ports));
	if (ep->ports == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ep->nports = n;
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *t = &o->via.array.ptr[i];
		uint64_t proto, port;

		if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != 3 ||
		    mp_get_str(&t->via.array.ptr[0], ep->ports[i].name,
		    sizeof(ep->ports[i].name)) != 0 ||
		    mp_get_u64(&t->via.array.ptr[1], &proto) != 0 ||
		    mp_get_u64(&t->via.array.ptr[2], &port) != 0 ||
		    proto > UINT8_MAX || port > UINT16_MAX)
			return fail(err, errlen, -EBADMSG,
			    "port %zu not [name of at most %d bytes, protocol, port]",
			    i, ENDPOINT_PORT_NAME_MAX - 1);
		ep->ports[i].proto = (uint8_t)proto;
		ep->ports[i].port = (uint16_t)port;
	}
	return 0;
}

/* One pod; what it allocated stays in ep for the caller to free. */
static int
parse_endpoint(const msgpack_object *o, struct endpoint *ep, char *err,
    size_t errlen)
{
	const msgpack_object *addrs;
	char a[SLUICE_ADDRSTRLEN], why[160];
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP)
		return fail(err, errlen, -EBADMSG, "not a map");
	if (mp_get_str(mp_map_get(o, "ns"), ep->ns, sizeof(ep->ns)) != 0)
		return fail(err, errlen, -EBADMSG,
		    "\"ns\" missing or not a string of at most %d bytes",
		    ENDPOINT_NS_MAX - 1);
	if (mp_get_str(mp_map_get(o, "pod"), ep->pod, sizeof(ep->pod)) != 0)
		return fail(err, errlen, -EBADMSG,
		    "\"pod\" missing or not a string of at most %d bytes",
		    ENDPOINT_POD_MAX - 1);
	addrs = mp_map_get(o, "addrs");
	if (addrs == NULL || addrs->type != MSGPACK_OBJECT_ARRAY ||
	    addrs->via.array.size > ENDPOINT_ADDRS_MAX)
		return fail(err, errlen, -EBADMSG,
		    "\"addrs\" missing, not an array or of more than %d",
		    ENDPOINT_ADDRS_MAX);
	for (uint32_t i = 0; i < addrs->via.array.size; i++)
		if (mp_get_str(&addrs->via.array.ptr[i], a, sizeof(a)) != 0 ||
		    sluice_addr_parse(a, &ep->addrs[i]) != 0)
			return fail(err, errlen, -EBADMSG,
			    "address %u is not an IP address string",
			    (unsigned)i);
	ep->naddrs = addrs->via.array.size;
	if ((rc = parse_labels(mp_map_get(o, "labels"), ep, err, errlen)) ||
	    (rc = parse_ports(mp_map_get(o, "ports"), ep, err, errlen)))
		return rc;
	/* The rules beyond the wire's shape are the sender's too. */
	if (endpoint_validate(ep, why, sizeof(why)) != 0)
		return fail(err, errlen, -EBADMSG, "%s", why);
	return 0;
}

static int
parse_endpoints(const msgpack_object *map, struct link_endpoints *e,
    char *err, size_t errlen)
{
	const msgpack_object *arr = mp_map_get(map, "endpoints");
	char why[200];
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = get_u64(map, "gen", &e->generation, err, errlen)) != 0 ||
	    (rc = get_u32_max(map, "parts", LINK_MAX_ENDPOINT_PARTS,
	    &e->parts, err, errlen)) != 0 ||
	    (rc = get_u32_max(map, "part", UINT32_MAX, &e->part, err,
	    errlen)) != 0)
		return rc;
	if (e->parts == 0 || e->part >= e->parts)
		return fail(err, errlen, -EBADMSG,
		    "endpoints: part %u of %u", (unsigned)e->part,
		    (unsigned)e->parts);
	if (arr == NULL || arr->type != MSGPACK_OBJECT_ARRAY)
		return fail(err, errlen, -EBADMSG,
		    "\"endpoints\" missing or not an array");
	if (arr->via.array.size > LINK_MAX_ENDPOINTS)
		return fail(err, errlen, -EBADMSG,
		    "%u endpoints, more than the %d allowed",
		    (unsigned)arr->via.array.size, LINK_MAX_ENDPOINTS);
	if (arr->via.array.size == 0)
		return 0;
	/* mp_check() bounded the count by the body's bytes. */
	e->v = calloc(arr->via.array.size, sizeof(*e->v));
	if (e->v == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	e->n = arr->via.array.size;
	for (uint32_t i = 0; i < e->n && rc == 0; i++) {
		rc = parse_endpoint(&arr->via.array.ptr[i], &e->v[i], why,
		    sizeof(why));
		if (rc != 0)
			fail(err, errlen, rc, "endpoint %u: %s", (unsigned)i,
			    why);
	}
	if (rc != 0) {
		for (uint32_t i = 0; i < e->n; i++)
			endpoint_free(&e->v[i]);
		free(e->v);
		e->v = NULL;
		e->n = 0;
	}
	return rc;
}

void
link_msg_clear(struct link_msg *m)
{
	if (m == NULL || m->type != LINK_MSG_ENDPOINTS)
		return;
	for (uint32_t i = 0; i < m->u.endpoints.n && m->u.endpoints.v; i++)
		endpoint_free(&m->u.endpoints.v[i]);
	free(m->u.endpoints.v);
	m->u.endpoints.v = NULL;
	m->u.endpoints.n = 0;
}

/* Unpacks body into up after mp_check() has bounded what that allocates. */
static int
unpack_body(msgpack_unpacked *up, const uint8_t *body, size_t len, char *err,
    size_t errlen)
{
	const char *why;
	size_t off = 0;

	if (mp_check(body, len, LINK_MAX_DEPTH, &why) != 0)
		return fail(err, errlen, -EBADMSG, "malformed msgpack: %s",
		    why);
	if (msgpack_unpack_next(up, (const char *)body, len, &off) !=
	    MSGPACK_UNPACK_SUCCESS || off != len)
		return fail(err, errlen, -EBADMSG, "malformed msgpack");
	if (up->data.type != MSGPACK_OBJECT_MAP)
		return fail(err, errlen, -EBADMSG, "body is not a map");
	return 0;
}

static int
get_type(const msgpack_object *map, enum link_msg_type *type, char *err,
    size_t errlen)
{
	const msgpack_object *t = mp_map_get(map, "t");

	if (t == NULL || t->type != MSGPACK_OBJECT_STR)
		return fail(err, errlen, -EBADMSG,
		    "\"t\" (type) missing or not a string");
	if (mp_is_str(t, "hello"))
		*type = LINK_MSG_HELLO;
	else if (mp_is_str(t, "blocks"))
		*type = LINK_MSG_BLOCKS;
	else if (mp_is_str(t, "keepalive"))
		*type = LINK_MSG_KEEPALIVE;
	else if (mp_is_str(t, "claim"))
		*type = LINK_MSG_CLAIM;
	else if (mp_is_str(t, "vote"))
		*type = LINK_MSG_VOTE;
	else if (mp_is_str(t, "endpoints"))
		*type = LINK_MSG_ENDPOINTS;
	else
		*type = LINK_MSG_UNKNOWN;
	return 0;
}

int
link_msg_open(struct link_session *s, const uint8_t *payload, size_t len,
    struct link_msg *out, char *err, size_t errlen)
{
	uint8_t want[LINK_TAG_LEN];
	msgpack_unpacked up;
	const msgpack_object *map;
	size_t blen;
	uint64_t v;
	bool hello;
	int rc;

	fail(err, errlen, 0, "%s", "");
	msgpack_unpacked_init(&up);
	if (len < LINK_TAG_LEN || len > LINK_MAX_PAYLOAD) {
		rc = fail(err, errlen, -EBADMSG,
		    "payload of %zu bytes: not between %d and %d", len,
		    LINK_TAG_LEN, LINK_MAX_PAYLOAD);
		goto out;
	}
	blen = len - LINK_TAG_LEN;

	/*
	 * The type, read before the tag is checked, picks which key and
	 * which state the tag is checked against. That reads unauthenticated
	 * bytes, but only through mp_check() and msgpack-c, which face
	 * anyone who can connect anyway; and the tag covers the type, so a
	 * frame cannot be moved from one kind to the other.
	 */
	if ((rc = unpack_body(&up, payload, blen, err, errlen)) != 0)
		goto out;
	map = &up.data;
	if ((rc = get_type(map, &out->type, err, errlen)) != 0)
		goto out;
	hello = out->type == LINK_MSG_HELLO;
	if (hello && s->keyed) {
		rc = fail(err, errlen, -EPROTO, "second hello on the link");
		goto out;
	}
	if (!hello && !s->keyed) {
		rc = fail(err, errlen, -EPROTO, "frame before hello");
		goto out;
	}

	if (hello)
		hello_tag(s, peer_dir(s), payload, blen, want);
	else
		session_tag(s, peer_dir(s), s->recv_seq, payload, blen, want);
	if (crypto_verify_32(want, payload + blen) != 0) {
		rc = fail(err, errlen, -EACCES, hello ?
		    "bad tag: wrong cluster secret?" :
		    "bad tag: forged, altered, replayed or out-of-order frame");
		goto out;
	}

	if ((rc = get_u64(map, "v", &v, err, errlen)) != 0)
		goto out;
	if (v == 0) {
		rc = fail(err, errlen, -EBADMSG, "protocol version 0");
		goto out;
	}
	/* Newer peers are read as far as we understand them. */
	out->version = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;

	switch (out->type) {
	case LINK_MSG_HELLO:
		rc = parse_hello(map, &out->u.hello, err, errlen);
		break;
	case LINK_MSG_BLOCKS:
		rc = parse_blocks(map, &out->u.blocks, err, errlen);
		break;
	case LINK_MSG_CLAIM:
		rc = parse_claim(map, &out->u.claim, err, errlen);
		break;
	case LINK_MSG_VOTE:
		rc = parse_vote(map, &out->u.vote, err, errlen);
		break;
	case LINK_MSG_ENDPOINTS:
		rc = parse_endpoints(map, &out->u.endpoints, err, errlen);
		break;
	default:
		break;
	}
	if (rc != 0)
		goto out;

	/* Only a frame that passed every check changes the session. */
	if (hello) {
		memcpy(s->peer_nonce, out->u.hello.nonce, LINK_NONCE_LEN);
		derive_session_key(s);
		s->keyed = true;
	} else {
		s->recv_seq++;
	}
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}
