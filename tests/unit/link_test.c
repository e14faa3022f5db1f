/*
 * link_test.c - control link payloads (router/linkproto.h): the handshake,
 * every message type both ways, and what the tags must refuse (another
 * cluster secret, altered, replayed, reordered, dropped, reflected and
 * stale frames), and what the decoder must refuse (every required key
 * missing or mistyped, bad values, msgpack bombs, size limits). Then the
 * pod lists nodes announce: endpoints pages on the wire, paging a list of
 * LINK_MAX_ENDPOINTS, and how router/endpoints.c files what arrives.
 *
 * Bodies that link_msg_seal() would never write are sealed with
 * link_frame_seal_raw(), so that a refusal is the decoder's, not the tag's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/addr.h"
#include "common/mp.h"
#include "router/endpoints.h"
#include "router/linkproto.h"
#include "tests/unit/check.h"

#define DIALER true
#define ACCEPTOR false

static const char secret1[] = "correct horse battery staple 1";
static const char secret2[] = "correct horse battery staple 2";
static uint8_t key1[LINK_KEY_LEN], key2[LINK_KEY_LEN];

/* Each test gets its own; a link_msg is too big to want many on a stack. */
static struct link_msg m, got;
static char err[256];

struct pair {
	struct link_session d;	/* dialer */
	struct link_session a;	/* acceptor */
};

static void
pair_init(struct pair *p, const uint8_t *dkey, const uint8_t *akey)
{
	link_session_init(&p->d, dkey, DIALER);
	link_session_init(&p->a, akey, ACCEPTOR);
}

static void
pair_wipe(struct pair *p)
{
	link_session_wipe(&p->d);
	link_session_wipe(&p->a);
}

static void
make_hello(struct link_msg *msg, const char *node, const char *addr,
    uint64_t inc)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = LINK_MSG_HELLO;
	snprintf(msg->u.hello.node, sizeof(msg->u.hello.node), "%s", node);
	ASSERT_OK(sluice_addr_parse(addr, &msg->u.hello.underlay));
	for (int i = 0; i < 6; i++)
		msg->u.hello.vtep_mac[i] = (uint8_t)(0x02 + i * 0x11);
	msg->u.hello.caps = 0x5;
	msg->u.hello.incarnation = inc;
}

static void
make_blocks(struct link_msg *msg, uint64_t gen, const char *const *cidrs)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = LINK_MSG_BLOCKS;
	msg->u.blocks.generation = gen;
	for (; *cidrs != NULL; cidrs++)
		ASSERT_OK(sluice_prefix_parse(*cidrs, false,
		    &msg->u.blocks.blocks[msg->u.blocks.n++]));
}

static void
make_keepalive(struct link_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = LINK_MSG_KEEPALIVE;
}

/* Seals msg into a fresh sb (destroyed by the caller). */
static int
seal(struct link_session *s, const struct link_msg *msg, msgpack_sbuffer *sb)
{
	msgpack_sbuffer_init(sb);
	return link_msg_seal(s, msg, sb);
}

static int
open_sb(struct link_session *s, const msgpack_sbuffer *sb,
    struct link_msg *out)
{
	err[0] = 'x';
	return link_msg_open(s, (const uint8_t *)sb->data, sb->size, out, err,
	    sizeof(err));
}

/* Seals msg on from, opens it on to, expects success. */
static void
pass(struct link_session *from, struct link_session *to,
    const struct link_msg *msg, struct link_msg *out)
{
	msgpack_sbuffer sb;

	ASSERT_OK(seal(from, msg, &sb));
	if (open_sb(to, &sb, out) != 0)
		CHECK_FAIL("open failed: %s", err);
	ASSERT_STR_EQ(err, "");
	msgpack_sbuffer_destroy(&sb);
}

static void
assert_prefixes_eq(const struct link_blocks *a, const struct link_blocks *b)
{
	ASSERT_EQ(a->generation, b->generation);
	ASSERT_EQ(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++) {
		ASSERT_EQ(a->blocks[i].len, b->blocks[i].len);
		ASSERT(sluice_addr_eq(&a->blocks[i].addr, &b->blocks[i].addr));
	}
}

static void
assert_hello_eq(const struct link_hello *sent, const struct link_hello *rcvd,
    const uint8_t *nonce)
{
	ASSERT_STR_EQ(rcvd->node, sent->node);
	ASSERT(sluice_addr_eq(&rcvd->underlay, &sent->underlay));
	ASSERT_MEM_EQ(rcvd->vtep_mac, sent->vtep_mac, 6);
	ASSERT_EQ(rcvd->caps, sent->caps);
	ASSERT_EQ(rcvd->incarnation, sent->incarnation);
	ASSERT_MEM_EQ(rcvd->nonce, nonce, LINK_NONCE_LEN);
}

/* Both hellos, dialer's first, checking what each side learns. */
static void
handshake(struct pair *p)
{
	make_hello(&m, "node-a", "192.0.2.10", 0x1122334455667788ull);
	pass(&p->d, &p->a, &m, &got);
	ASSERT_EQ(got.type, LINK_MSG_HELLO);
	ASSERT_EQ(got.version, LINK_PROTO_VERSION);
	assert_hello_eq(&m.u.hello, &got.u.hello, p->d.my_nonce);
	ASSERT(p->a.keyed);
	ASSERT(!p->d.keyed);

	make_hello(&m, "node-b", "2001:db8::b", 7);
	pass(&p->a, &p->d, &m, &got);
	assert_hello_eq(&m.u.hello, &got.u.hello, p->a.my_nonce);
	ASSERT(p->d.keyed);

	ASSERT_MEM_EQ(p->d.session_key, p->a.session_key, LINK_KEY_LEN);
	ASSERT_MEM_EQ(p->d.peer_nonce, p->a.my_nonce, LINK_NONCE_LEN);
	ASSERT_MEM_EQ(p->a.peer_nonce, p->d.my_nonce, LINK_NONCE_LEN);
	ASSERT_EQ(p->d.send_seq + p->d.recv_seq + p->a.send_seq +
	    p->a.recv_seq, 0);
}

/* ------------------------------------------------------------------ */
/* Raw bodies, for what link_msg_seal() never writes */

struct raw {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
raw_init(struct raw *r)
{
	msgpack_sbuffer_init(&r->sb);
	msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
}

static void
raw_bytes(struct raw *r, const void *p, size_t n)
{
	msgpack_sbuffer_write(&r->sb, p, n);
}

/* Packs one field's value in place of the right one. */
typedef void (*packfn)(msgpack_packer *pk);

enum { F_V, F_T, F_NODE, F_ADDR, F_MAC, F_CAPS, F_INC, F_NONCE, HELLO_F };
enum { B_V, B_T, B_GEN, B_BLOCKS, BLOCKS_F };

#define NO_FIELD (-1)
#define OMIT NULL

/* Keys of a newer peer: a nested map, an array, nil, a bin. */
#define EXTRA_KEYS 4

static void
pack_extra(msgpack_packer *pk)
{
	mp_pack_key(pk, "zone");
	msgpack_pack_map(pk, 1);
	mp_pack_kv_str(pk, "name", "eu-west");
	mp_pack_key(pk, "gateways");
	msgpack_pack_array(pk, 2);
	mp_pack_str(pk, "198.51.100.1");
	msgpack_pack_int64(pk, -3);
	mp_pack_key(pk, "nothing");
	msgpack_pack_nil(pk);
	mp_pack_key(pk, "blob");
	msgpack_pack_bin(pk, 3);
	msgpack_pack_bin_body(pk, "abc", 3);
}

/*
 * A hello body as link_msg_seal() writes it, except that field
 * (NO_FIELD: none) is omitted (alt OMIT) or has its value packed by alt,
 * and, with extra, keys this version does not know.
 */
static void
hello_body(struct raw *r, const uint8_t *nonce, int field, packfn alt,
    bool extra)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	msgpack_packer *pk = &r->pk;

	raw_init(r);
	msgpack_pack_map(pk, HELLO_F - (field != NO_FIELD && alt == OMIT) +
	    (extra ? EXTRA_KEYS : 0));
	if (extra)
		pack_extra(pk);
	for (int f = 0; f < HELLO_F; f++) {
		static const char *const keys[] = { "v", "t", "node", "addr",
			"mac", "caps", "inc", "nonce" };

		if (f == field && alt == OMIT)
			continue;
		mp_pack_key(pk, keys[f]);
		if (f == field) {
			alt(pk);
			continue;
		}
		switch (f) {
		case F_V:
			msgpack_pack_uint64(pk, LINK_PROTO_VERSION);
			break;
		case F_T:
			mp_pack_str(pk, "hello");
			break;
		case F_NODE:
			mp_pack_str(pk, "node-raw");
			break;
		case F_ADDR:
			mp_pack_str(pk, "203.0.113.9");
			break;
		case F_MAC:
			msgpack_pack_bin(pk, 6);
			msgpack_pack_bin_body(pk, mac, 6);
			break;
		case F_CAPS:
		case F_INC:
			msgpack_pack_uint64(pk, 99);
			break;
		default:
			msgpack_pack_bin(pk, LINK_NONCE_LEN);
			msgpack_pack_bin_body(pk, nonce, LINK_NONCE_LEN);
			break;
		}
	}
}

/* A blocks body of 10.1.0.0/16 and fd00::/8, generation 5, altered alike. */
static void
blocks_body(struct raw *r, int field, packfn alt, bool extra)
{
	msgpack_packer *pk = &r->pk;

	raw_init(r);
	msgpack_pack_map(pk, BLOCKS_F - (field != NO_FIELD && alt == OMIT) +
	    (extra ? EXTRA_KEYS : 0));
	for (int f = 0; f < BLOCKS_F; f++) {
		static const char *const keys[] = { "v", "t", "gen", "blocks" };

		if (f == field && alt == OMIT)
			continue;
		mp_pack_key(pk, keys[f]);
		if (f == field) {
			alt(pk);
			continue;
		}
		switch (f) {
		case B_V:
			msgpack_pack_uint64(pk, LINK_PROTO_VERSION);
			break;
		case B_T:
			mp_pack_str(pk, "blocks");
			break;
		case B_GEN:
			msgpack_pack_uint64(pk, 5);
			break;
		default:
			msgpack_pack_array(pk, 2);
			mp_pack_str(pk, "10.1.0.0/16");
			mp_pack_str(pk, "fd00::/8");
			break;
		}
	}
	/* Unknown keys last here, first in hello_body(): order is free. */
	if (extra)
		pack_extra(pk);
}

/* Opens body, raw-sealed as a hello from a fresh dialer, on an acceptor. */
static int
open_raw_hello(const void *body, size_t len, struct link_msg *out)
{
	struct pair p;
	msgpack_sbuffer sb;
	int rc;

	pair_init(&p, key1, key1);
	msgpack_sbuffer_init(&sb);
	ASSERT_OK(link_frame_seal_raw(&p.d, true, body, len, &sb));
	rc = open_sb(&p.a, &sb, out);
	ASSERT_EQ(p.a.keyed, rc == 0);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
	return rc;
}

/* Opens body, raw-sealed as the first session frame of a keyed pair. */
static int
open_raw_session(const void *body, size_t len, struct link_msg *out)
{
	struct pair p;
	msgpack_sbuffer sb;
	int rc;

	pair_init(&p, key1, key1);
	handshake(&p);
	msgpack_sbuffer_init(&sb);
	ASSERT_OK(link_frame_seal_raw(&p.d, false, body, len, &sb));
	rc = open_sb(&p.a, &sb, out);
	ASSERT_EQ(p.a.recv_seq, rc == 0 ? 1 : 0);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
	return rc;
}

/* The decoder must refuse body with -EBADMSG and say why. */
static void
refuse(const char *what, bool hello, const void *body, size_t len)
{
	int rc;

	rc = hello ? open_raw_hello(body, len, &got) :
	    open_raw_session(body, len, &got);
	if (rc != -EBADMSG)
		CHECK_FAIL("%s: %d, not -EBADMSG (%s)", what, rc, err);
	if (err[0] == '\0' || err[0] == 'x')
		CHECK_FAIL("%s: refused without a reason", what);
}

static void
refuse_raw(const char *what, bool hello, struct raw *r)
{
	refuse(what, hello, r->sb.data, r->sb.size);
	msgpack_sbuffer_destroy(&r->sb);
}

/* ------------------------------------------------------------------ */
/* Tests */

static void
test_key_derive(void)
{
	uint8_t k[LINK_KEY_LEN], again[LINK_KEY_LEN];
	static const uint8_t zero[LINK_KEY_LEN];

	ASSERT_EQ(link_key_derive((const uint8_t *)"0123456789abcde", 15, k),
	    -EINVAL);
	ASSERT_EQ(link_key_derive((const uint8_t *)"", 0, k), -EINVAL);
	ASSERT_EQ(link_key_derive(NULL, 0, k), -EINVAL);
	ASSERT_OK(link_key_derive((const uint8_t *)"0123456789abcdef", 16, k));
	ASSERT(memcmp(k, zero, sizeof(k)) != 0);
	ASSERT_OK(link_key_derive((const uint8_t *)"0123456789abcdef", 16,
	    again));
	ASSERT_MEM_EQ(k, again, sizeof(k));
	/* A trailing newline is part of the secret. */
	ASSERT_OK(link_key_derive((const uint8_t *)"0123456789abcdef\n", 17,
	    again));
	ASSERT(memcmp(k, again, sizeof(k)) != 0);
	ASSERT(memcmp(key1, key2, sizeof(key1)) != 0);
}

static void
test_session_init_wipe(void)
{
	struct link_session s, t;
	static const uint8_t zero[sizeof(s)];

	link_session_init(&s, key1, DIALER);
	link_session_init(&t, key1, DIALER);
	ASSERT_MEM_EQ(s.cluster_key, key1, LINK_KEY_LEN);
	ASSERT(s.dialer);
	ASSERT(!s.keyed);
	ASSERT_EQ(s.send_seq, 0);
	ASSERT_EQ(s.recv_seq, 0);
	/* Fresh nonce per session: it is what makes each session key new. */
	ASSERT(memcmp(s.my_nonce, t.my_nonce, LINK_NONCE_LEN) != 0);
	link_session_wipe(&s);
	link_session_wipe(&t);
	ASSERT_MEM_EQ(&s, zero, sizeof(s));
	link_session_wipe(NULL);
	ASSERT_STR_EQ(link_msg_type_name(LINK_MSG_BLOCKS), "blocks");
	ASSERT_STR_EQ(link_msg_type_name((enum link_msg_type)0), "unknown");
}

static void
test_exchange(void)
{
	static const char *const v46[] = { "10.244.1.0/24", "10.244.2.0/24",
		"fd00:10:244:100::/64", "0.0.0.0/0", "::/0", "192.0.2.7/32",
		"2001:db8::1/128", "::ffff:10.0.0.0/104", NULL };
	static const char *const v6[] = { "fd00:10:244:200::/64",
		"2001:db8:ffff::/48", NULL };
	static const char *const none[] = { NULL };
	struct link_msg sent;
	struct pair p;

	pair_init(&p, key1, key1);
	handshake(&p);

	make_blocks(&sent, 42, v46);
	pass(&p.d, &p.a, &sent, &got);
	ASSERT_EQ(got.type, LINK_MSG_BLOCKS);
	assert_prefixes_eq(&sent.u.blocks, &got.u.blocks);
	ASSERT_EQ(got.u.blocks.blocks[2].addr.family, AF_INET6);
	ASSERT_EQ(got.u.blocks.blocks[2].len, 64);
	ASSERT_EQ(got.u.blocks.blocks[7].addr.family, AF_INET6);

	make_blocks(&sent, UINT64_MAX, v6);
	pass(&p.a, &p.d, &sent, &got);
	assert_prefixes_eq(&sent.u.blocks, &got.u.blocks);

	make_blocks(&sent, 0, none);
	pass(&p.a, &p.d, &sent, &got);
	ASSERT_EQ(got.u.blocks.n, 0);

	for (int i = 0; i < 3; i++) {
		make_keepalive(&sent);
		pass(&p.d, &p.a, &sent, &got);
		ASSERT_EQ(got.type, LINK_MSG_KEEPALIVE);
		pass(&p.a, &p.d, &sent, &got);
		ASSERT_EQ(got.type, LINK_MSG_KEEPALIVE);
	}
	ASSERT_EQ(p.d.send_seq, 4);
	ASSERT_EQ(p.a.recv_seq, 4);
	ASSERT_EQ(p.a.send_seq, 5);
	ASSERT_EQ(p.d.recv_seq, 5);
	pair_wipe(&p);
}

/* Claims and votes between nodes, and the blocks being claimed. */
static void
test_claims(void)
{
	static const char *const owned[] = { "10.244.1.0/26", NULL };
	struct link_msg sent;
	struct pair p;
	struct raw r;

	pair_init(&p, key1, key1);
	handshake(&p);
	make_blocks(&sent, 3, owned);
	ASSERT_OK(sluice_prefix_parse("10.244.1.64/26", false,
	    &sent.u.blocks.claiming[0]));
	sent.u.blocks.nclaiming = 1;
	pass(&p.d, &p.a, &sent, &got);
	assert_prefixes_eq(&sent.u.blocks, &got.u.blocks);
	ASSERT_EQ(got.u.blocks.nclaiming, 1);
	ASSERT_EQ(got.u.blocks.claiming[0].len, 26);
	/* Without "claiming" (an older peer): none. */
	make_blocks(&sent, 4, owned);
	pass(&p.d, &p.a, &sent, &got);
	ASSERT_EQ(got.u.blocks.nclaiming, 0);

	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_CLAIM;
	sent.u.claim.id = 77;
	ASSERT_OK(sluice_prefix_parse("fd00:1::/122", false,
	    &sent.u.claim.block));
	pass(&p.d, &p.a, &sent, &got);
	ASSERT_EQ(got.type, LINK_MSG_CLAIM);
	ASSERT_EQ(got.u.claim.id, 77);
	ASSERT_EQ(got.u.claim.block.len, 122);
	ASSERT(sluice_addr_eq(&got.u.claim.block.addr,
	    &sent.u.claim.block.addr));

	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_VOTE;
	sent.u.vote.id = 77;
	sent.u.vote.block = got.u.claim.block;
	snprintf(sent.u.vote.holder, sizeof(sent.u.vote.holder), "node-c");
	pass(&p.a, &p.d, &sent, &got);
	ASSERT_EQ(got.type, LINK_MSG_VOTE);
	ASSERT(!got.u.vote.ok);
	ASSERT_STR_EQ(got.u.vote.holder, "node-c");
	sent.u.vote.ok = true;
	pass(&p.a, &p.d, &sent, &got);
	ASSERT(got.u.vote.ok);
	ASSERT_STR_EQ(got.u.vote.holder, "");

	/* What a sender must not send. */
	make_blocks(&sent, 5, owned);
	sent.u.blocks.nclaiming = LINK_MAX_CLAIMING + 1;
	ASSERT_EQ(seal(&p.d, &sent, &r.sb), -EINVAL);
	msgpack_sbuffer_destroy(&r.sb);
	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_CLAIM;
	ASSERT_OK(sluice_prefix_parse("10.1.1.0/24", false,
	    &sent.u.claim.block));
	sent.u.claim.block.len = 16;	/* host bits set */
	ASSERT_EQ(seal(&p.d, &sent, &r.sb), -EINVAL);
	msgpack_sbuffer_destroy(&r.sb);
	pair_wipe(&p);

	/* What a receiver refuses. */
	raw_init(&r);
	msgpack_pack_map(&r.pk, 3);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "claim");
	mp_pack_kv_str(&r.pk, "block", "10.1.0.0/24");
	refuse_raw("claim without id", false, &r);
	raw_init(&r);
	msgpack_pack_map(&r.pk, 4);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "claim");
	mp_pack_kv_u64(&r.pk, "id", 1);
	mp_pack_kv_str(&r.pk, "block", "10.1.0.1/24");
	refuse_raw("claim of a block with host bits", false, &r);
	raw_init(&r);
	msgpack_pack_map(&r.pk, 4);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "vote");
	mp_pack_kv_u64(&r.pk, "id", 1);
	mp_pack_kv_str(&r.pk, "block", "10.1.0.0/24");
	refuse_raw("vote without ok", false, &r);
	raw_init(&r);
	msgpack_pack_map(&r.pk, 6);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "vote");
	mp_pack_kv_u64(&r.pk, "id", 1);
	mp_pack_kv_bool(&r.pk, "ok", false);
	mp_pack_kv_str(&r.pk, "block", "10.1.0.0/24");
	mp_pack_kv_str(&r.pk, "holder",
	    "a-name-of-sixty-four-bytes-is-one-too-long-for-a-node-name-xxxxx");
	refuse_raw("vote with a holder too long", false, &r);
	raw_init(&r);
	msgpack_pack_map(&r.pk, 5);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "blocks");
	mp_pack_kv_u64(&r.pk, "gen", 1);
	mp_pack_key(&r.pk, "blocks");
	msgpack_pack_array(&r.pk, 0);
	mp_pack_key(&r.pk, "claiming");
	msgpack_pack_array(&r.pk, LINK_MAX_CLAIMING + 1);
	for (int i = 0; i <= LINK_MAX_CLAIMING; i++)
		mp_pack_str(&r.pk, "10.0.0.0/24");
	refuse_raw("too many claiming", false, &r);
}


/* Hellos may cross: the acceptor need not wait for the dialer's. */
static void
test_acceptor_first(void)
{
	struct pair p;

	pair_init(&p, key1, key1);
	make_hello(&m, "b", "10.0.0.2", 1);
	pass(&p.a, &p.d, &m, &got);
	make_hello(&m, "a", "10.0.0.1", 2);
	pass(&p.d, &p.a, &m, &got);
	make_keepalive(&m);
	pass(&p.d, &p.a, &m, &got);
	pass(&p.a, &p.d, &m, &got);
	pair_wipe(&p);
}

/* Most of the 64 KiB: 1024 of the longest prefixes there are. */
static void
test_max_blocks(void)
{
	struct link_msg *big = calloc(1, sizeof(*big));
	msgpack_sbuffer sb;
	struct pair p;

	ASSERT(big != NULL);
	pair_init(&p, key1, key1);
	handshake(&p);
	big->type = LINK_MSG_BLOCKS;
	big->u.blocks.n = LINK_MAX_BLOCKS;
	for (int i = 0; i < LINK_MAX_BLOCKS; i++) {
		char s[SLUICE_PREFIXSTRLEN];

		snprintf(s, sizeof(s), "%s:%x/128",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0xf000 + i);
		ASSERT_OK(sluice_prefix_parse(s, false,
		    &big->u.blocks.blocks[i]));
	}
	ASSERT_OK(seal(&p.d, big, &sb));
	ASSERT(sb.size <= LINK_MAX_PAYLOAD);
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	assert_prefixes_eq(&big->u.blocks, &got.u.blocks);
	msgpack_sbuffer_destroy(&sb);

	/* One more is refused by the sender. */
	big->u.blocks.n = LINK_MAX_BLOCKS + 1;
	msgpack_sbuffer_init(&sb);
	ASSERT_EQ(link_msg_seal(&p.d, big, &sb), -EINVAL);
	ASSERT_EQ(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	free(big);
	pair_wipe(&p);
}

/* A payload can sit behind bytes already in the buffer (a frame header). */
static void
test_seal_appends(void)
{
	msgpack_sbuffer sb;
	struct pair p;

	pair_init(&p, key1, key1);
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "HDR!", 4);
	make_hello(&m, "node-a", "192.0.2.10", 1);
	ASSERT_OK(link_msg_seal(&p.d, &m, &sb));
	ASSERT_MEM_EQ(sb.data, "HDR!", 4);
	ASSERT_OK(link_msg_open(&p.a, (const uint8_t *)sb.data + 4,
	    sb.size - 4, &got, err, sizeof(err)));
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
}

static void
test_seal_refuses(void)
{
	static const char *const one[] = { "10.0.0.0/8", NULL };
	msgpack_sbuffer sb;
	struct pair p;

	pair_init(&p, key1, key1);
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "keep", 4);

	make_keepalive(&m);
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EPROTO);
	make_blocks(&m, 1, one);
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EPROTO);
	ASSERT_EQ(link_frame_seal_raw(&p.d, false, "x", 1, &sb), -EPROTO);

	make_hello(&m, "", "10.0.0.1", 1);
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);
	make_hello(&m, "n", "10.0.0.1", 1);
	memset(m.u.hello.node, 'n', sizeof(m.u.hello.node));
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);
	make_hello(&m, "n", "10.0.0.1", 1);
	m.u.hello.underlay.family = 0;
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);
	/* The longest name fits. */
	make_hello(&m, "n", "10.0.0.1", 1);
	memset(m.u.hello.node, 'n', LINK_NAME_MAX - 1);
	ASSERT_OK(link_msg_seal(&p.d, &m, &sb));
	sb.size = 4;

	handshake(&p);
	m.type = LINK_MSG_UNKNOWN;
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);
	m.type = (enum link_msg_type)0;
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);

	make_blocks(&m, 1, one);
	m.u.blocks.blocks[0].addr.u.b[3] = 1;	/* host bit */
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);
	make_blocks(&m, 1, one);
	m.u.blocks.blocks[0].len = 33;
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);
	make_blocks(&m, 1, one);
	m.u.blocks.blocks[0].addr.family = 0;
	ASSERT_EQ(link_msg_seal(&p.d, &m, &sb), -EINVAL);

	{
		static char huge[LINK_MAX_PAYLOAD];

		ASSERT_EQ(link_frame_seal_raw(&p.d, false, huge,
		    LINK_MAX_PAYLOAD - LINK_TAG_LEN + 1, &sb), -EMSGSIZE);
	}

	/* Failures leave the buffer and the counters alone. */
	ASSERT_EQ(sb.size, 4);
	ASSERT_MEM_EQ(sb.data, "keep", 4);
	ASSERT_EQ(p.d.send_seq, 0);
	/* An empty body is the peer's to refuse, not the sealer's. */
	ASSERT_OK(link_frame_seal_raw(&p.d, false, NULL, 0, &sb));
	ASSERT_EQ(sb.size, 4 + LINK_TAG_LEN);
	ASSERT_EQ(p.d.send_seq, 1);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
}

/* The largest body that fits, and one byte more. */
static void
test_size_limits(void)
{
	uint8_t *pad = calloc(1, LINK_MAX_PAYLOAD + 1);
	msgpack_sbuffer sb;
	struct raw r;
	struct pair p;
	size_t room;

	ASSERT(pad != NULL);
	raw_init(&r);
	msgpack_pack_map(&r.pk, 3);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "keepalive");
	mp_pack_key(&r.pk, "pad");
	/* What is left for the pad bytes, after the bin16 header (3 bytes). */
	room = LINK_MAX_PAYLOAD - LINK_TAG_LEN - r.sb.size - 3;
	ASSERT(room <= UINT16_MAX);
	msgpack_pack_bin(&r.pk, room);
	msgpack_pack_bin_body(&r.pk, pad, room);
	ASSERT_EQ(r.sb.size, LINK_MAX_PAYLOAD - LINK_TAG_LEN);

	pair_init(&p, key1, key1);
	handshake(&p);
	msgpack_sbuffer_init(&sb);
	ASSERT_OK(link_frame_seal_raw(&p.d, false, r.sb.data, r.sb.size, &sb));
	ASSERT_EQ(sb.size, LINK_MAX_PAYLOAD);
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	ASSERT_EQ(got.type, LINK_MSG_KEEPALIVE);
	msgpack_sbuffer_destroy(&sb);

	/* Too long or too short to hold a tag, whatever the bytes. */
	ASSERT_EQ(link_msg_open(&p.a, pad, LINK_MAX_PAYLOAD + 1, &got, err,
	    sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "bytes");
	for (size_t n = 0; n < LINK_TAG_LEN; n++)
		ASSERT_EQ(link_msg_open(&p.a, n ? pad : NULL, n, &got, err,
		    sizeof(err)), -EBADMSG);
	/* err is optional. */
	ASSERT_EQ(link_msg_open(&p.a, pad, 3, &got, NULL, 0), -EBADMSG);
	ASSERT_EQ(p.a.recv_seq, 1);

	msgpack_sbuffer_destroy(&r.sb);
	free(pad);
	pair_wipe(&p);
}

static void
test_wrong_secret(void)
{
	msgpack_sbuffer sb;
	struct pair p;

	pair_init(&p, key1, key2);
	make_hello(&m, "intruder", "10.9.9.9", 1);
	ASSERT_OK(seal(&p.d, &m, &sb));
	ASSERT_EQ(open_sb(&p.a, &sb, &got), -EACCES);
	ASSERT_STR_EQ(err, "bad tag: wrong cluster secret?");
	ASSERT(!p.a.keyed);
	msgpack_sbuffer_destroy(&sb);

	/* The other way too. */
	make_hello(&m, "victim", "10.9.9.8", 1);
	ASSERT_OK(seal(&p.a, &m, &sb));
	ASSERT_EQ(open_sb(&p.d, &sb, &got), -EACCES);
	ASSERT(!p.d.keyed);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
}

/* Flips each bit of sb in turn; every copy must be refused by s. */
static void
flip_each_bit(struct link_session *s, const msgpack_sbuffer *sb)
{
	uint8_t *buf = malloc(sb->size);
	size_t body = sb->size - LINK_TAG_LEN;

	ASSERT(buf != NULL);
	for (size_t bit = 0; bit < 8 * sb->size; bit++) {
		int rc;

		memcpy(buf, sb->data, sb->size);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = link_msg_open(s, buf, sb->size, &got, err, sizeof(err));
		if (rc == 0)
			CHECK_FAIL("bit %zu flipped and still accepted", bit);
		ASSERT(rc == -EACCES || rc == -EBADMSG || rc == -EPROTO);
		if (bit / 8 >= body)
			ASSERT_EQ(rc, -EACCES);
	}
	free(buf);
}

static void
test_bit_flips(void)
{
	static const char *const two[] = { "10.7.0.0/16", "fd07::/16", NULL };
	msgpack_sbuffer sb;
	struct pair p;

	pair_init(&p, key1, key1);
	make_hello(&m, "node-a", "192.0.2.10", 3);
	ASSERT_OK(seal(&p.d, &m, &sb));
	flip_each_bit(&p.a, &sb);
	/* Refusals left the acceptor as it was: the real hello still works. */
	ASSERT(!p.a.keyed);
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	msgpack_sbuffer_destroy(&sb);
	make_hello(&m, "node-b", "192.0.2.11", 3);
	pass(&p.a, &p.d, &m, &got);

	make_blocks(&m, 9, two);
	ASSERT_OK(seal(&p.d, &m, &sb));
	flip_each_bit(&p.a, &sb);
	ASSERT_EQ(p.a.recv_seq, 0);
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	msgpack_sbuffer_destroy(&sb);

	make_keepalive(&m);
	ASSERT_OK(seal(&p.a, &m, &sb));
	flip_each_bit(&p.d, &sb);
	ASSERT_OK(open_sb(&p.d, &sb, &got));
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
}

static void
test_replay_reorder_drop(void)
{
	msgpack_sbuffer f[4];
	struct pair p;

	pair_init(&p, key1, key1);
	handshake(&p);
	make_keepalive(&m);
	for (int i = 0; i < 4; i++)
		ASSERT_OK(seal(&p.d, &m, &f[i]));

	/* Replay. */
	ASSERT_OK(open_sb(&p.a, &f[0], &got));
	ASSERT_EQ(open_sb(&p.a, &f[0], &got), -EACCES);
	ASSERT_STR_HAS(err, "bad tag");
	/* Reorder: 2 before 1 fails, then 1 and 2 in order pass. */
	ASSERT_EQ(open_sb(&p.a, &f[2], &got), -EACCES);
	ASSERT_OK(open_sb(&p.a, &f[1], &got));
	ASSERT_OK(open_sb(&p.a, &f[2], &got));
	ASSERT_EQ(open_sb(&p.a, &f[1], &got), -EACCES);
	ASSERT_EQ(p.a.recv_seq, 3);

	/* Drop: a lost frame makes every later one fail. */
	for (int i = 0; i < 4; i++)
		msgpack_sbuffer_destroy(&f[i]);
	for (int i = 0; i < 3; i++)
		ASSERT_OK(seal(&p.a, &m, &f[i]));
	ASSERT_OK(open_sb(&p.d, &f[0], &got));
	ASSERT_EQ(open_sb(&p.d, &f[2], &got), -EACCES);
	/* And the dropped one, delivered late, only passes in its place. */
	ASSERT_OK(open_sb(&p.d, &f[1], &got));
	ASSERT_OK(open_sb(&p.d, &f[2], &got));
	for (int i = 0; i < 3; i++)
		msgpack_sbuffer_destroy(&f[i]);
	pair_wipe(&p);
}

/*
 * Frames recorded on one connection are worthless on the next, even
 * at the same sequence number and with the same cluster key; a recorded
 * hello is accepted (it proves nothing) but the recorder cannot go on.
 */
static void
test_stale_session(void)
{
	msgpack_sbuffer old_hello, old_frame, sb;
	struct pair p1, p2;
	struct link_session victim;

	pair_init(&p1, key1, key1);
	make_hello(&m, "node-a", "192.0.2.10", 1);
	ASSERT_OK(seal(&p1.d, &m, &old_hello));
	ASSERT_OK(open_sb(&p1.a, &old_hello, &got));
	make_hello(&m, "node-b", "192.0.2.11", 1);
	pass(&p1.a, &p1.d, &m, &got);
	make_keepalive(&m);
	ASSERT_OK(seal(&p1.d, &m, &old_frame));
	ASSERT_OK(open_sb(&p1.a, &old_frame, &got));

	pair_init(&p2, key1, key1);
	handshake(&p2);
	ASSERT_EQ(p2.a.recv_seq, 0);
	ASSERT_EQ(open_sb(&p2.a, &old_frame, &got), -EACCES);
	/* The real peer's frame still passes: the failure changed nothing. */
	make_keepalive(&m);
	pass(&p2.d, &p2.a, &m, &got);

	/* A recording of the old hello and frame, played to a new acceptor. */
	link_session_init(&victim, key1, ACCEPTOR);
	ASSERT_OK(open_sb(&victim, &old_hello, &got));
	ASSERT(victim.keyed);
	ASSERT_EQ(open_sb(&victim, &old_frame, &got), -EACCES);
	/*
	 * What the victim says back is keyed to a session nobody else has,
	 * so it cannot be replayed on the recorded connection either.
	 */
	make_keepalive(&m);
	ASSERT_OK(seal(&victim, &m, &sb));
	ASSERT_EQ(p1.d.recv_seq, 0);
	ASSERT_EQ(open_sb(&p1.d, &sb, &got), -EACCES);
	msgpack_sbuffer_destroy(&sb);

	msgpack_sbuffer_destroy(&old_hello);
	msgpack_sbuffer_destroy(&old_frame);
	link_session_wipe(&victim);
	pair_wipe(&p1);
	pair_wipe(&p2);
}

/* A node's own frames, sent back to it, are refused. */
static void
test_reflection(void)
{
	msgpack_sbuffer hd, ha, k;
	struct pair p;
	struct link_session other;

	pair_init(&p, key1, key1);
	make_hello(&m, "node-a", "192.0.2.10", 1);
	ASSERT_OK(seal(&p.d, &m, &hd));
	ASSERT_EQ(open_sb(&p.d, &hd, &got), -EACCES);
	ASSERT(!p.d.keyed);
	/* Nor does a dialer's hello pass on another dialer. */
	link_session_init(&other, key1, DIALER);
	ASSERT_EQ(open_sb(&other, &hd, &got), -EACCES);
	link_session_wipe(&other);
	ASSERT_OK(open_sb(&p.a, &hd, &got));

	make_hello(&m, "node-b", "192.0.2.11", 1);
	ASSERT_OK(seal(&p.a, &m, &ha));
	ASSERT_OK(open_sb(&p.d, &ha, &got));

	/* Session frames: same key both ways, told apart by direction. */
	make_keepalive(&m);
	ASSERT_OK(seal(&p.d, &m, &k));
	ASSERT_EQ(open_sb(&p.d, &k, &got), -EACCES);
	ASSERT_OK(open_sb(&p.a, &k, &got));
	msgpack_sbuffer_destroy(&k);
	ASSERT_OK(seal(&p.a, &m, &k));
	ASSERT_EQ(open_sb(&p.a, &k, &got), -EACCES);
	ASSERT_OK(open_sb(&p.d, &k, &got));

	msgpack_sbuffer_destroy(&hd);
	msgpack_sbuffer_destroy(&ha);
	msgpack_sbuffer_destroy(&k);
	pair_wipe(&p);
}

static void
test_order(void)
{
	msgpack_sbuffer k, h;
	struct pair p;
	struct link_session fresh;

	pair_init(&p, key1, key1);
	handshake(&p);
	make_keepalive(&m);
	ASSERT_OK(seal(&p.d, &m, &k));

	/* A session frame to an acceptor that has seen no hello. */
	link_session_init(&fresh, key1, ACCEPTOR);
	ASSERT_EQ(open_sb(&fresh, &k, &got), -EPROTO);
	ASSERT_STR_EQ(err, "frame before hello");
	link_session_wipe(&fresh);

	/* A second hello, genuine or not. */
	make_hello(&m, "node-a", "192.0.2.10", 1);
	ASSERT_OK(seal(&p.d, &m, &h));
	ASSERT_EQ(open_sb(&p.a, &h, &got), -EPROTO);
	ASSERT_STR_HAS(err, "second hello");
	ASSERT_OK(open_sb(&p.a, &k, &got));

	msgpack_sbuffer_destroy(&k);
	msgpack_sbuffer_destroy(&h);
	pair_wipe(&p);
}

static void
test_unknown_type(void)
{
	msgpack_sbuffer sb;
	struct raw r;
	struct pair p;

	raw_init(&r);
	msgpack_pack_map(&r.pk, 4);
	mp_pack_kv_u64(&r.pk, "v", 3);
	mp_pack_kv_str(&r.pk, "t", "gateway");
	mp_pack_key(&r.pk, "egress");
	msgpack_pack_array(&r.pk, 1);
	mp_pack_str(&r.pk, "198.51.100.7");
	mp_pack_kv_u64(&r.pk, "load", 30);

	pair_init(&p, key1, key1);
	msgpack_sbuffer_init(&sb);
	/* Before the hello it is a frame before hello like any other. */
	ASSERT_OK(link_frame_seal_raw(&p.a, true, r.sb.data, r.sb.size, &sb));
	ASSERT_EQ(open_sb(&p.d, &sb, &got), -EPROTO);
	sb.size = 0;

	handshake(&p);
	ASSERT_OK(link_frame_seal_raw(&p.a, false, r.sb.data, r.sb.size, &sb));
	memset(&got, 0xa5, sizeof(got));
	ASSERT_OK(open_sb(&p.d, &sb, &got));
	ASSERT_EQ(got.type, LINK_MSG_UNKNOWN);
	ASSERT_EQ(got.version, 3);
	ASSERT_EQ(p.d.recv_seq, 1);
	/* Unknown, but authenticated all the same. */
	ASSERT_EQ(open_sb(&p.d, &sb, &got), -EACCES);
	sb.size = 0;
	ASSERT_OK(link_frame_seal_raw(&p.a, false, r.sb.data, r.sb.size, &sb));
	sb.data[sb.size - 1] ^= 1;
	ASSERT_EQ(open_sb(&p.d, &sb, &got), -EACCES);

	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&r.sb);
	pair_wipe(&p);
}

static void
test_unknown_keys(void)
{
	msgpack_sbuffer sb;
	struct raw r;
	struct pair p;

	pair_init(&p, key1, key1);
	hello_body(&r, p.d.my_nonce, NO_FIELD, NULL, true);
	msgpack_sbuffer_init(&sb);
	ASSERT_OK(link_frame_seal_raw(&p.d, true, r.sb.data, r.sb.size, &sb));
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	ASSERT_STR_EQ(got.u.hello.node, "node-raw");
	ASSERT_EQ(got.u.hello.caps, 99);
	ASSERT_MEM_EQ(got.u.hello.nonce, p.d.my_nonce, LINK_NONCE_LEN);
	msgpack_sbuffer_destroy(&r.sb);
	sb.size = 0;

	make_hello(&m, "node-b", "10.0.0.2", 1);
	pass(&p.a, &p.d, &m, &got);
	blocks_body(&r, NO_FIELD, NULL, true);
	ASSERT_OK(link_frame_seal_raw(&p.d, false, r.sb.data, r.sb.size, &sb));
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	ASSERT_EQ(got.type, LINK_MSG_BLOCKS);
	ASSERT_EQ(got.u.blocks.generation, 5);
	ASSERT_EQ(got.u.blocks.n, 2);
	ASSERT_EQ(got.u.blocks.blocks[1].addr.family, AF_INET6);
	ASSERT_EQ(got.u.blocks.blocks[1].len, 8);

	msgpack_sbuffer_destroy(&r.sb);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
}

/* Values in place of the right ones. */
static void
v_u2(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, 2);
}

static void
v_max(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, UINT64_MAX);
}

static void
v_zero(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, 0);
}

static void
v_neg(msgpack_packer *pk)
{
	msgpack_pack_int64(pk, -1);
}

static void
v_int(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, 7);
}

static void
v_str(msgpack_packer *pk)
{
	mp_pack_str(pk, "7");
}

static void
v_nil(msgpack_packer *pk)
{
	msgpack_pack_nil(pk);
}

static void
v_float(msgpack_packer *pk)
{
	msgpack_pack_double(pk, 1.0);
}

static void
v_bin6(msgpack_packer *pk)
{
	msgpack_pack_bin(pk, 6);
	msgpack_pack_bin_body(pk, "abcdef", 6);
}

static void
v_str6(msgpack_packer *pk)
{
	mp_pack_str(pk, "abcdef");
}

static void
v_bin5(msgpack_packer *pk)
{
	msgpack_pack_bin(pk, 5);
	msgpack_pack_bin_body(pk, "abcde", 5);
}

static void
v_bin7(msgpack_packer *pk)
{
	msgpack_pack_bin(pk, 7);
	msgpack_pack_bin_body(pk, "abcdefg", 7);
}

static void
v_bin31(msgpack_packer *pk)
{
	static const uint8_t z[31];

	msgpack_pack_bin(pk, sizeof(z));
	msgpack_pack_bin_body(pk, z, sizeof(z));
}

static void
v_bin33(msgpack_packer *pk)
{
	static const uint8_t z[33];

	msgpack_pack_bin(pk, sizeof(z));
	msgpack_pack_bin_body(pk, z, sizeof(z));
}

static void
v_str32(msgpack_packer *pk)
{
	mp_pack_str(pk, "0123456789abcdef0123456789abcdef");
}

static void
v_empty(msgpack_packer *pk)
{
	mp_pack_str(pk, "");
}

static void
v_long_name(msgpack_packer *pk)
{
	char s[LINK_NAME_MAX + 1];

	memset(s, 'n', LINK_NAME_MAX);
	s[LINK_NAME_MAX] = '\0';
	mp_pack_str(pk, s);
}

static void
v_nul_name(msgpack_packer *pk)
{
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "a\0b", 3);
}

static void
v_bad_addr(msgpack_packer *pk)
{
	mp_pack_str(pk, "10.0.0");
}

static void
v_prefix_addr(msgpack_packer *pk)
{
	mp_pack_str(pk, "10.0.0.0/8");
}

static void
v_addr_bin(msgpack_packer *pk)
{
	msgpack_pack_bin(pk, 4);
	msgpack_pack_bin_body(pk, "\x0a\x00\x00\x01", 4);
}

static void
v_long_addr(msgpack_packer *pk)
{
	mp_pack_str(pk, "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1");
}

static void
v_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}

static void
v_array1(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	mp_pack_str(pk, "hello");
}

/* One CIDR string, as the only block. */
#define ONE_BLOCK(name, cidr)                                                 \
	static void name(msgpack_packer *pk)                                  \
	{                                                                     \
		msgpack_pack_array(pk, 1);                                    \
		mp_pack_str(pk, cidr);                                        \
	}

ONE_BLOCK(b_host4, "10.1.0.1/16")
ONE_BLOCK(b_host6, "fd00::1/8")
ONE_BLOCK(b_len33, "10.0.0.0/33")
ONE_BLOCK(b_len129, "fd00::/129")
ONE_BLOCK(b_nolen, "10.0.0.0")
ONE_BLOCK(b_emptylen, "10.0.0.0/")
ONE_BLOCK(b_neglen, "10.0.0.0/-8")
ONE_BLOCK(b_junk, "10.0.0.0/8x")
ONE_BLOCK(b_empty, "")
ONE_BLOCK(b_long, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/1280")

static void
b_int(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2);
	mp_pack_str(pk, "10.0.0.0/8");
	msgpack_pack_uint64(pk, 167772160);
}

static void
b_bin(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_bin(pk, 10);
	msgpack_pack_bin_body(pk, "10.0.0.0/8", 10);
}

static void
b_nested(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 1);
	mp_pack_str(pk, "10.0.0.0/8");
}

static void
b_too_many(msgpack_packer *pk)
{
	msgpack_pack_array(pk, LINK_MAX_BLOCKS + 1);
	for (int i = 0; i <= LINK_MAX_BLOCKS; i++)
		mp_pack_str(pk, "10.0.0.0/8");
}

static void
b_max(msgpack_packer *pk)
{
	msgpack_pack_array(pk, LINK_MAX_BLOCKS);
	for (int i = 0; i < LINK_MAX_BLOCKS; i++)
		mp_pack_str(pk, "10.0.0.0/8");
}

static void
test_versions(void)
{
	struct raw r;

	/* Newer: read as far as we know. */
	hello_body(&r, key1, F_V, v_u2, false);
	ASSERT_OK(open_raw_hello(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.version, 2);
	ASSERT_STR_EQ(got.u.hello.node, "node-raw");
	msgpack_sbuffer_destroy(&r.sb);

	blocks_body(&r, B_V, v_u2, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.version, 2);
	ASSERT_EQ(got.u.blocks.n, 2);
	msgpack_sbuffer_destroy(&r.sb);

	blocks_body(&r, B_V, v_max, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.version, UINT32_MAX);
	msgpack_sbuffer_destroy(&r.sb);

	/* 0 is no version. */
	hello_body(&r, key1, F_V, v_zero, false);
	refuse_raw("hello v 0", true, &r);
	blocks_body(&r, B_V, v_zero, false);
	refuse_raw("blocks v 0", false, &r);
	ASSERT_STR_HAS(err, "version 0");
}

/* Every required key, missing and then of each wrong type. */
static void
test_missing_and_mistyped(void)
{
	static const packfn hello_wrong[HELLO_F][4] = {
		[F_V] = { v_str, v_neg, v_nil, v_float },
		[F_T] = { v_int, v_bin6, v_nil, v_array1 },
		[F_NODE] = { v_int, v_bin6, v_nil, v_map },
		[F_ADDR] = { v_int, v_addr_bin, v_nil, v_array1 },
		[F_MAC] = { v_str6, v_int, v_nil, v_map },
		[F_CAPS] = { v_str, v_neg, v_nil, v_float },
		[F_INC] = { v_str, v_neg, v_nil, v_float },
		[F_NONCE] = { v_str32, v_int, v_nil, v_bin6 },
	};
	static const packfn blocks_wrong[BLOCKS_F][4] = {
		[B_V] = { v_str, v_neg, v_nil, v_float },
		[B_T] = { v_int, v_bin6, v_nil, v_map },
		[B_GEN] = { v_str, v_neg, v_nil, v_float },
		[B_BLOCKS] = { v_str, v_map, v_nil, v_int },
	};
	struct raw r;

	for (int f = 0; f < HELLO_F; f++) {
		char what[64];

		snprintf(what, sizeof(what), "hello without field %d", f);
		hello_body(&r, key1, f, OMIT, false);
		refuse_raw(what, true, &r);
		for (int i = 0; i < 4; i++) {
			snprintf(what, sizeof(what), "hello field %d type %d",
			    f, i);
			hello_body(&r, key1, f, hello_wrong[f][i], false);
			refuse_raw(what, true, &r);
		}
	}
	for (int f = 0; f < BLOCKS_F; f++) {
		char what[64];

		snprintf(what, sizeof(what), "blocks without field %d", f);
		blocks_body(&r, f, OMIT, false);
		refuse_raw(what, false, &r);
		for (int i = 0; i < 4; i++) {
			snprintf(what, sizeof(what), "blocks field %d type %d",
			    f, i);
			blocks_body(&r, f, blocks_wrong[f][i], false);
			refuse_raw(what, false, &r);
		}
	}
}

static void
test_bad_values(void)
{
	static const struct {
		const char *what;
		int field;
		packfn alt;
	} hello[] = {
		{ "empty node", F_NODE, v_empty },
		{ "node of 64 bytes", F_NODE, v_long_name },
		{ "node with a NUL", F_NODE, v_nul_name },
		{ "address of three bytes", F_ADDR, v_bad_addr },
		{ "prefix as address", F_ADDR, v_prefix_addr },
		{ "address too long", F_ADDR, v_long_addr },
		{ "empty address", F_ADDR, v_empty },
		{ "mac of 5", F_MAC, v_bin5 },
		{ "mac of 7", F_MAC, v_bin7 },
		{ "nonce of 31", F_NONCE, v_bin31 },
		{ "nonce of 33", F_NONCE, v_bin33 },
	}, blocks[] = {
		{ "IPv4 host bits", B_BLOCKS, b_host4 },
		{ "IPv6 host bits", B_BLOCKS, b_host6 },
		{ "/33", B_BLOCKS, b_len33 },
		{ "/129", B_BLOCKS, b_len129 },
		{ "no length", B_BLOCKS, b_nolen },
		{ "empty length", B_BLOCKS, b_emptylen },
		{ "negative length", B_BLOCKS, b_neglen },
		{ "junk after length", B_BLOCKS, b_junk },
		{ "empty block", B_BLOCKS, b_empty },
		{ "block too long", B_BLOCKS, b_long },
		{ "integer block", B_BLOCKS, b_int },
		{ "bin block", B_BLOCKS, b_bin },
		{ "nested block", B_BLOCKS, b_nested },
		{ "too many blocks", B_BLOCKS, b_too_many },
	};
	struct raw r;

	for (size_t i = 0; i < sizeof(hello) / sizeof(hello[0]); i++) {
		hello_body(&r, key1, hello[i].field, hello[i].alt, false);
		refuse_raw(hello[i].what, true, &r);
	}
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		blocks_body(&r, blocks[i].field, blocks[i].alt, false);
		refuse_raw(blocks[i].what, false, &r);
	}
	blocks_body(&r, B_BLOCKS, b_too_many, false);
	refuse_raw("too many blocks", false, &r);
	ASSERT_STR_HAS(err, "1025 blocks");
	/* The most there may be. */
	blocks_body(&r, B_BLOCKS, b_max, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.u.blocks.n, LINK_MAX_BLOCKS);
	msgpack_sbuffer_destroy(&r.sb);
}

/* Bodies that are not one well-formed msgpack map, on both paths. */
static void
test_not_msgpack(void)
{
	static const struct {
		const char *what;
		const char *bytes;
		size_t len;
	} bad[] = {
		{ "empty body", "", 0 },
		{ "nil", "\xc0", 1 },
		{ "array", "\x92\x01\x02", 3 },
		{ "string", "\xa5hello", 6 },
		{ "reserved byte", "\xc1", 1 },
		{ "array32 bomb", "\xdd\xff\xff\xff\xff", 5 },
		{ "map32 bomb", "\xdf\xff\xff\xff\xff", 5 },
		{ "map16 bomb", "\xde\xff\xff", 3 },
		{ "str32 bomb", "\x81\xa1t\xdb\xff\xff\xff\xff", 8 },
		{ "bin32 bomb", "\x81\xa1t\xc6\x7f\xff\xff\xff", 8 },
		{ "ext32 bomb", "\x81\xa1x\xc9\xff\xff\xff\xff\x01", 9 },
		{ "map claiming 2 pairs, holding 1", "\x82\xa1v\x01", 4 },
		{ "truncated key", "\x81\xa4" "ab", 4 },
		{ "map of arrays bomb", "\x81\xa1x\x9f\x9f\x9f\x9f", 7 },
	};
	struct raw r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refuse(bad[i].what, true, bad[i].bytes, bad[i].len);
		refuse(bad[i].what, false, bad[i].bytes, bad[i].len);
	}

	/* Every truncation of a good body, and a good body plus a byte. */
	blocks_body(&r, NO_FIELD, NULL, true);
	for (size_t n = 0; n < r.sb.size; n++) {
		char what[64];

		snprintf(what, sizeof(what), "blocks cut at %zu", n);
		refuse(what, false, r.sb.data, n);
	}
	msgpack_pack_nil(&r.pk);
	refuse_raw("trailing nil", false, &r);
	ASSERT_STR_HAS(err, "trailing");

	hello_body(&r, key1, NO_FIELD, NULL, false);
	for (size_t n = 0; n < r.sb.size; n++)
		refuse("hello cut", true, r.sb.data, n);
	raw_bytes(&r, "\x00", 1);
	refuse_raw("hello trailing byte", true, &r);

	/* "t" itself. */
	raw_init(&r);
	msgpack_pack_map(&r.pk, 1);
	mp_pack_kv_u64(&r.pk, "v", 1);
	refuse_raw("no type", false, &r);
	ASSERT_STR_HAS(err, "\"t\"");
	raw_init(&r);
	msgpack_pack_map(&r.pk, 0);
	refuse_raw("empty map", true, &r);
}

/* Nesting: LINK_MAX_DEPTH levels under an unknown key pass, one more not. */
static void
test_depth(void)
{
	for (int depth = LINK_MAX_DEPTH; depth <= LINK_MAX_DEPTH + 1; depth++) {
		struct raw r;
		int rc;

		raw_init(&r);
		msgpack_pack_map(&r.pk, 3);
		mp_pack_kv_u64(&r.pk, "v", 1);
		mp_pack_kv_str(&r.pk, "t", "keepalive");
		mp_pack_key(&r.pk, "deep");
		/* The map is level 1. */
		for (int i = 1; i < depth; i++)
			msgpack_pack_array(&r.pk, 1);
		msgpack_pack_nil(&r.pk);
		rc = open_raw_session(r.sb.data, r.sb.size, &got);
		if (depth <= LINK_MAX_DEPTH) {
			ASSERT_OK(rc);
			msgpack_sbuffer_destroy(&r.sb);
		} else {
			ASSERT_EQ(rc, -EBADMSG);
			ASSERT_STR_HAS(err, "deep");
			refuse_raw("too deep for a hello", true, &r);
		}
	}
}

/* A hello body is tagged as a hello, and nothing else is. */
static void
test_no_type_confusion(void)
{
	struct link_session fresh;
	msgpack_sbuffer sb;
	struct raw r;
	struct pair p;

	pair_init(&p, key1, key1);
	handshake(&p);
	/* A keepalive tagged the hello way, on a keyed session. */
	raw_init(&r);
	msgpack_pack_map(&r.pk, 2);
	mp_pack_kv_u64(&r.pk, "v", 1);
	mp_pack_kv_str(&r.pk, "t", "keepalive");
	msgpack_sbuffer_init(&sb);
	ASSERT_OK(link_frame_seal_raw(&p.d, true, r.sb.data, r.sb.size, &sb));
	ASSERT_EQ(open_sb(&p.a, &sb, &got), -EACCES);
	msgpack_sbuffer_destroy(&r.sb);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);

	/* A hello tagged the session way, to a fresh acceptor. */
	pair_init(&p, key1, key1);
	handshake(&p);
	link_session_init(&fresh, key1, ACCEPTOR);
	hello_body(&r, p.d.my_nonce, NO_FIELD, NULL, false);
	msgpack_sbuffer_init(&sb);
	ASSERT_OK(link_frame_seal_raw(&p.d, false, r.sb.data, r.sb.size, &sb));
	ASSERT_EQ(open_sb(&fresh, &sb, &got), -EACCES);
	ASSERT(!fresh.keyed);
	msgpack_sbuffer_destroy(&r.sb);
	msgpack_sbuffer_destroy(&sb);
	link_session_wipe(&fresh);
	pair_wipe(&p);
}

/* ------------------------------------------------------------------ */
/* Endpoints: the pod lists nodes announce (router/endpoints.h) */

#define NODE_B "node-b"

/*
 * A pod with nlabels labels and nports named ports; a2 may be NULL. The
 * labels look like the ones Deployments and Helm put on pods.
 */
static void
make_ep(struct endpoint *ep, const char *ns, const char *pod, const char *a1,
    const char *a2, size_t nlabels, size_t nports)
{
	static const char *const keys[] = { "app.kubernetes.io/name",
		"app.kubernetes.io/instance", "app.kubernetes.io/version",
		"app.kubernetes.io/component", "app.kubernetes.io/part-of",
		"app.kubernetes.io/managed-by", "pod-template-hash",
		"helm.sh/chart" };
	struct sluice_label l[ENDPOINT_LABELS_MAX];
	struct endpoint_port p[ENDPOINT_PORTS_MAX];
	char kbuf[ENDPOINT_LABELS_MAX][48], vbuf[ENDPOINT_LABELS_MAX][48];

	memset(ep, 0, sizeof(*ep));
	snprintf(ep->ns, sizeof(ep->ns), "%s", ns);
	snprintf(ep->pod, sizeof(ep->pod), "%s", pod);
	ASSERT_OK(sluice_addr_parse(a1, &ep->addrs[ep->naddrs++]));
	if (a2 != NULL)
		ASSERT_OK(sluice_addr_parse(a2, &ep->addrs[ep->naddrs++]));
	ASSERT(nlabels <= ENDPOINT_LABELS_MAX && nports <= ENDPOINT_PORTS_MAX);
	for (size_t i = 0; i < nlabels; i++) {
		if (i < sizeof(keys) / sizeof(keys[0]))
			snprintf(kbuf[i], sizeof(kbuf[i]), "%s", keys[i]);
		else
			snprintf(kbuf[i], sizeof(kbuf[i]), "example.com/k%zu",
			    i);
		snprintf(vbuf[i], sizeof(vbuf[i]), "%s-v%zu", pod, i);
		l[i].key = kbuf[i];
		l[i].value = vbuf[i];
	}
	ASSERT_OK(endpoint_copy_labels(ep, l, nlabels));
	for (size_t i = 0; i < nports; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		snprintf(p[i].name, sizeof(p[i].name), "port-%zu", i);
		p[i].proto = i % 3 == 0 ? IPPROTO_TCP : i % 3 == 1 ?
		    IPPROTO_UDP : IPPROTO_SCTP;
		p[i].port = (uint16_t)(8000 + i);
	}
	ASSERT_OK(endpoint_copy_ports(ep, p, nports));
}

/* n pods in 10.244.0.0/16 (and fd00:244::/64 for every other one). */
static struct endpoint *
make_pods(size_t n, size_t nlabels, size_t nports)
{
	struct endpoint *v = calloc(n ? n : 1, sizeof(*v));

	ASSERT(v != NULL);
	for (size_t i = 0; i < n; i++) {
		char pod[64], a[48], a6[48];

		snprintf(pod, sizeof(pod), "web-7d4b9c-%05zu", i);
		snprintf(a, sizeof(a), "10.244.%zu.%zu", i / 256, i % 256);
		snprintf(a6, sizeof(a6), "fd00:244::%zx", i + 1);
		make_ep(&v[i], i % 7 ? "default" : "kube-system", pod, a,
		    i % 2 ? a6 : NULL, nlabels, nports);
	}
	return v;
}

static void
free_pods(struct endpoint *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		endpoint_free(&v[i]);
	free(v);
}

/* A heap page holding copies of src[0..n), as link_msg_open() gives. */
static void
make_page(struct link_endpoints *pg, uint64_t gen, uint32_t part,
    uint32_t parts, const struct endpoint *src, size_t n)
{
	memset(pg, 0, sizeof(*pg));
	pg->generation = gen;
	pg->part = part;
	pg->parts = parts;
	pg->n = (uint32_t)n;
	pg->v = calloc(n ? n : 1, sizeof(*pg->v));
	ASSERT(pg->v != NULL);
	for (size_t i = 0; i < n; i++)
		ASSERT_OK(endpoint_copy(&pg->v[i], &src[i]));
}

static int
recv_page(uint64_t session, uint64_t gen, uint32_t part, uint32_t parts,
    const struct endpoint *src, size_t n)
{
	struct link_endpoints pg;
	int rc;

	make_page(&pg, gen, part, parts, src, n);
	err[0] = 'x';
	rc = endpoints_recv_page(NODE_B, session, &pg, err, sizeof(err));
	ASSERT(pg.v == NULL);
	return rc;
}

static void
assert_set_eq(const struct endpoint_set *s, const struct endpoint *v,
    size_t n)
{
	ASSERT(s != NULL);
	ASSERT_EQ(s->n, n);
	for (size_t i = 0; i < n; i++)
		if (!endpoint_eq(&s->v[i], &v[i]))
			CHECK_FAIL("endpoint %zu differs", i);
}

static void
assert_page_eq(const struct link_endpoints *a, const struct link_endpoints *b)
{
	ASSERT_EQ(a->generation, b->generation);
	ASSERT_EQ(a->part, b->part);
	ASSERT_EQ(a->parts, b->parts);
	ASSERT_EQ(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++)
		if (!endpoint_eq(&a->v[i], &b->v[i]))
			CHECK_FAIL("endpoint %u differs", (unsigned)i);
}

static int hook_calls;

static void
count_hook(void *arg)
{
	ASSERT(arg == &hook_calls);
	hook_calls++;
}

/* Single pages both ways: v4, v6, dual stack, labels, ports, nothing. */
static void
test_endpoints_exchange(void)
{
	struct endpoint v[4];
	struct link_msg sent;
	struct pair p;

	make_ep(&v[0], "default", "a", "10.244.1.5", NULL, 0, 0);
	make_ep(&v[1], "prod", "b", "fd00::5", NULL, 3, 0);
	make_ep(&v[2], "prod", "c", "10.244.1.6", "fd00::6", 8, 5);
	make_ep(&v[3], "prod", "d", "fd00::7", "10.244.1.7", 0, 1);
	pair_init(&p, key1, key1);
	handshake(&p);

	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_ENDPOINTS;
	sent.u.endpoints.generation = 77;
	sent.u.endpoints.parts = 1;
	sent.u.endpoints.v = v;
	sent.u.endpoints.n = 4;
	pass(&p.d, &p.a, &sent, &got);
	ASSERT_EQ(got.type, LINK_MSG_ENDPOINTS);
	assert_page_eq(&sent.u.endpoints, &got.u.endpoints);
	/* Labels keep their order, and their strings live in one block. */
	ASSERT_STR_EQ(got.u.endpoints.v[2].labels[7].key, "helm.sh/chart");
	ASSERT_STR_EQ(got.u.endpoints.v[2].labels[7].value, "c-v7");
	ASSERT_EQ(got.u.endpoints.v[3].addrs[1].family, AF_INET);
	link_msg_clear(&got);
	ASSERT(got.u.endpoints.v == NULL);
	link_msg_clear(&got);
	link_msg_clear(NULL);

	/* The last of many pages, from the acceptor; then an empty list. */
	sent.u.endpoints.part = LINK_MAX_ENDPOINT_PARTS - 1;
	sent.u.endpoints.parts = LINK_MAX_ENDPOINT_PARTS;
	sent.u.endpoints.generation = UINT64_MAX;
	pass(&p.a, &p.d, &sent, &got);
	assert_page_eq(&sent.u.endpoints, &got.u.endpoints);
	link_msg_clear(&got);
	sent.u.endpoints.n = 0;
	sent.u.endpoints.v = NULL;
	sent.u.endpoints.part = 0;
	sent.u.endpoints.parts = 1;
	pass(&p.a, &p.d, &sent, &got);
	ASSERT_EQ(got.u.endpoints.n, 0);
	ASSERT(got.u.endpoints.v == NULL);
	ASSERT_STR_EQ(link_msg_type_name(LINK_MSG_ENDPOINTS), "endpoints");

	pair_wipe(&p);
	for (int i = 0; i < 4; i++)
		endpoint_free(&v[i]);
}

/*
 * 1024 pods of eight labels and two ports, dual stack for half: paged,
 * sealed, opened and filed the way links.c does it.
 */
static void
test_endpoints_pages(void)
{
	uint32_t first[LINK_MAX_ENDPOINT_PARTS + 1], nparts;
	struct endpoint *v = make_pods(LINK_MAX_ENDPOINTS, 8, 2);
	struct endpoints_stats st;
	struct link_msg sent;
	msgpack_sbuffer sb;
	size_t total = 0;
	struct pair p;

	ASSERT_OK(link_endpoints_paginate(v, LINK_MAX_ENDPOINTS, first,
	    &nparts));
	printf("  1024 pods: %u pages\n", (unsigned)nparts);
	ASSERT(nparts > 1 && nparts <= LINK_MAX_ENDPOINT_PARTS);
	ASSERT_EQ(first[0], 0);
	ASSERT_EQ(first[nparts], LINK_MAX_ENDPOINTS);

	endpoints_set_hook(count_hook, &hook_calls);
	hook_calls = 0;
	pair_init(&p, key1, key1);
	handshake(&p);
	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_ENDPOINTS;
	for (uint32_t i = 0; i < nparts; i++) {
		ASSERT(first[i + 1] > first[i]);
		sent.u.endpoints.generation = 3;
		sent.u.endpoints.part = i;
		sent.u.endpoints.parts = nparts;
		sent.u.endpoints.v = v + first[i];
		sent.u.endpoints.n = first[i + 1] - first[i];
		ASSERT_OK(seal(&p.d, &sent, &sb));
		ASSERT(sb.size <= LINK_MAX_PAYLOAD);
		/* Full pages: the next pod would not have fitted. */
		if (i + 1 < nparts)
			ASSERT(sb.size > LINK_MAX_PAYLOAD - 1024);
		total += sb.size;
		ASSERT_OK(open_sb(&p.a, &sb, &got));
		msgpack_sbuffer_destroy(&sb);
		assert_page_eq(&sent.u.endpoints, &got.u.endpoints);
		ASSERT_EQ(endpoints_recv_page(NODE_B, 1, &got.u.endpoints, err,
		    sizeof(err)), i + 1 == nparts ? 1 : 0);
		ASSERT(got.u.endpoints.v == NULL);
		ASSERT_EQ(hook_calls, i + 1 == nparts ? 1 : 0);
	}
	printf("  %zu bytes in all\n", total);
	assert_set_eq(endpoints_of(NODE_B), v, LINK_MAX_ENDPOINTS);
	ASSERT_EQ(endpoints_of(NODE_B)->gen, 3);
	ASSERT_EQ(endpoints_count(), LINK_MAX_ENDPOINTS);
	ASSERT_EQ(endpoints_nodes(), 1);
	endpoints_stats_get(&st);
	ASSERT_EQ(st.pages, nparts);
	ASSERT_EQ(st.lists, 1);

	/* One more pod is refused by the sender. */
	ASSERT_EQ(link_endpoints_paginate(v, LINK_MAX_ENDPOINTS + 1, first,
	    &nparts), -EINVAL);
	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_ENDPOINTS;
	sent.u.endpoints.parts = 1;
	sent.u.endpoints.v = v;
	sent.u.endpoints.n = LINK_MAX_ENDPOINTS + 1;
	ASSERT_EQ(seal(&p.d, &sent, &sb), -EINVAL);
	ASSERT_EQ(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	/* Nor does one page hold them all. */
	sent.u.endpoints.n = LINK_MAX_ENDPOINTS;
	ASSERT_EQ(seal(&p.d, &sent, &sb), -EMSGSIZE);
	msgpack_sbuffer_destroy(&sb);

	pair_wipe(&p);
	endpoints_clear();
	free_pods(v, LINK_MAX_ENDPOINTS);
}

/* The largest pod the caps allow fits in a page of its own. */
static void
test_endpoints_largest(void)
{
	uint32_t first[LINK_MAX_ENDPOINT_PARTS + 1], nparts;
	struct sluice_label l[ENDPOINT_LABELS_MAX];
	struct endpoint_port pt[ENDPOINT_PORTS_MAX];
	static char kv[ENDPOINT_LABELS_MAX][2][ENDPOINT_LABEL_MAX];
	struct endpoint *v = calloc(LINK_MAX_ENDPOINT_PARTS + 1, sizeof(*v));
	struct link_msg sent;
	msgpack_sbuffer sb;
	struct pair p;

	ASSERT(v != NULL);
	memset(v[0].ns, 'n', ENDPOINT_NS_MAX - 1);
	memset(v[0].pod, 'p', ENDPOINT_POD_MAX - 1);
	ASSERT_OK(sluice_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
	    &v[0].addrs[0]));
	ASSERT_OK(sluice_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    &v[0].addrs[1]));
	v[0].naddrs = 2;
	for (int i = 0; i < ENDPOINT_LABELS_MAX; i++) {
		memset(kv[i][0], 'k', ENDPOINT_LABEL_MAX - 1);
		memset(kv[i][1], 'v', ENDPOINT_LABEL_MAX - 1);
		snprintf(kv[i][0], 3, "%02d", i);	/* distinct keys */
		kv[i][0][2] = 'k';
		l[i].key = kv[i][0];
		l[i].value = kv[i][1];
	}
	ASSERT_OK(endpoint_copy_labels(&v[0], l, ENDPOINT_LABELS_MAX));
	for (int i = 0; i < ENDPOINT_PORTS_MAX; i++) {
		snprintf(pt[i].name, sizeof(pt[i].name), "abcdefghijk-%03d", i);
		pt[i].proto = IPPROTO_SCTP;
		pt[i].port = (uint16_t)(65535 - i);
	}
	ASSERT_OK(endpoint_copy_ports(&v[0], pt, ENDPOINT_PORTS_MAX));
	ASSERT_OK(endpoint_validate(&v[0], err, sizeof(err)));

	ASSERT_OK(link_endpoints_paginate(v, 1, first, &nparts));
	ASSERT_EQ(nparts, 1);
	pair_init(&p, key1, key1);
	handshake(&p);
	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_ENDPOINTS;
	sent.u.endpoints.generation = UINT64_MAX;
	sent.u.endpoints.part = LINK_MAX_ENDPOINT_PARTS - 1;
	sent.u.endpoints.parts = LINK_MAX_ENDPOINT_PARTS;
	sent.u.endpoints.v = v;
	sent.u.endpoints.n = 1;
	ASSERT_OK(seal(&p.d, &sent, &sb));
	printf("  largest pod: %zu bytes\n", sb.size);
	ASSERT(sb.size <= LINK_MAX_PAYLOAD);
	ASSERT_OK(open_sb(&p.a, &sb, &got));
	assert_page_eq(&sent.u.endpoints, &got.u.endpoints);
	link_msg_clear(&got);
	msgpack_sbuffer_destroy(&sb);

	/* Two take two pages; LINK_MAX_ENDPOINT_PARTS + 1 are too many. */
	for (int i = 1; i <= LINK_MAX_ENDPOINT_PARTS; i++) {
		ASSERT_OK(endpoint_copy(&v[i], &v[0]));
		snprintf(v[i].pod, sizeof(v[i].pod), "p%d", i);
	}
	ASSERT_OK(link_endpoints_paginate(v, 2, first, &nparts));
	ASSERT_EQ(nparts, 2);
	ASSERT_EQ(first[1], 1);
	ASSERT_OK(link_endpoints_paginate(v, LINK_MAX_ENDPOINT_PARTS, first,
	    &nparts));
	ASSERT_EQ(nparts, LINK_MAX_ENDPOINT_PARTS);
	ASSERT_EQ(link_endpoints_paginate(v, LINK_MAX_ENDPOINT_PARTS + 1,
	    first, &nparts), -EMSGSIZE);
	/* An empty list is one empty page. */
	ASSERT_OK(link_endpoints_paginate(NULL, 0, first, &nparts));
	ASSERT_EQ(nparts, 1);
	ASSERT_EQ(first[0], 0);
	ASSERT_EQ(first[1], 0);

	pair_wipe(&p);
	free_pods(v, LINK_MAX_ENDPOINT_PARTS + 1);
}

/* What endpoint_validate() refuses, the sealer refuses too. */
static void
test_endpoints_seal_refuses(void)
{
	static const struct {
		const char *what;
		int field;
	} bad[] = {
		{ "empty namespace", 0 }, { "namespace too long", 1 },
		{ "empty pod", 2 }, { "pod too long", 3 }, { "no address", 4 },
		{ "three addresses", 5 }, { "address of no family", 6 },
		{ "address twice", 7 }, { "empty label key", 8 },
		{ "label key twice", 9 }, { "label value too long", 10 },
		{ "too many labels", 11 }, { "port name empty", 12 },
		{ "port name upper case", 13 }, { "port name of digits", 14 },
		{ "port name --", 15 }, { "port name 16 bytes", 16 },
		{ "protocol ICMP", 17 }, { "protocol 0", 18 }, { "port 0", 19 },
		{ "port name twice", 20 }, { "too many ports", 21 },
		{ "port name leading -", 22 },
	};
	static char longv[ENDPOINT_LABEL_MAX + 1];
	struct sluice_label dup[2] = { { "a", "1" }, { "a", "2" } };
	struct sluice_label empty[1] = { { "", "1" } };
	struct sluice_label lv[1] = { { "k", longv } };
	struct link_msg sent;
	msgpack_sbuffer sb;
	struct pair p;

	memset(longv, 'v', ENDPOINT_LABEL_MAX);
	pair_init(&p, key1, key1);
	handshake(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct endpoint ep;
		struct endpoint_port *pt;

		make_ep(&ep, "ns", "pod", "10.0.0.1", NULL, 2, 2);
		pt = ep.ports;
		switch (bad[i].field) {
		case 0:
			ep.ns[0] = '\0';
			break;
		case 1:
			memset(ep.ns, 'n', sizeof(ep.ns));
			break;
		case 2:
			ep.pod[0] = '\0';
			break;
		case 3:
			memset(ep.pod, 'p', sizeof(ep.pod));
			break;
		case 4:
			ep.naddrs = 0;
			break;
		case 5:
			ep.naddrs = 3;
			break;
		case 6:
			ep.addrs[0].family = 0;
			break;
		case 7:
			ep.addrs[1] = ep.addrs[0];
			ep.naddrs = 2;
			break;
		case 8:
			ASSERT_OK(endpoint_copy_labels(&ep, empty, 1));
			break;
		case 9:
			ASSERT_OK(endpoint_copy_labels(&ep, dup, 2));
			break;
		case 10:
			ASSERT_OK(endpoint_copy_labels(&ep, lv, 1));
			break;
		case 11:
			ep.nlabels = ENDPOINT_LABELS_MAX + 1;
			break;
		case 12:
			pt[0].name[0] = '\0';
			break;
		case 13:
			snprintf(pt[0].name, 16, "Http");
			break;
		case 14:
			snprintf(pt[0].name, 16, "8080");
			break;
		case 15:
			snprintf(pt[0].name, 16, "a--b");
			break;
		case 16:
			memset(pt[0].name, 'a', 16);
			break;
		case 17:
			pt[0].proto = IPPROTO_ICMP;
			break;
		case 18:
			pt[0].proto = 0;
			break;
		case 19:
			pt[0].port = 0;
			break;
		case 20:
			snprintf(pt[1].name, 16, "%s", pt[0].name);
			break;
		case 21:
			ep.nports = ENDPOINT_PORTS_MAX + 1;
			break;
		default:
			snprintf(pt[0].name, 16, "-http");
			break;
		}
		err[0] = '\0';
		if (endpoint_validate(&ep, err, sizeof(err)) != -EINVAL)
			CHECK_FAIL("%s: not refused", bad[i].what);
		ASSERT(err[0] != '\0');
		memset(&sent, 0, sizeof(sent));
		sent.type = LINK_MSG_ENDPOINTS;
		sent.u.endpoints.parts = 1;
		sent.u.endpoints.v = &ep;
		sent.u.endpoints.n = 1;
		ASSERT_EQ(seal(&p.d, &sent, &sb), -EINVAL);
		ASSERT_EQ(sb.size, 0);
		msgpack_sbuffer_destroy(&sb);
		/* Counts beyond the arrays must not be freed past them. */
		if (bad[i].field == 5)
			ep.naddrs = 1;
		if (bad[i].field == 11)
			ep.nlabels = 2;
		if (bad[i].field == 21)
			ep.nports = 2;
		endpoint_free(&ep);
	}
	/* A page that says it is not one. */
	memset(&sent, 0, sizeof(sent));
	sent.type = LINK_MSG_ENDPOINTS;
	ASSERT_EQ(seal(&p.d, &sent, &sb), -EINVAL);		/* parts 0 */
	sent.u.endpoints.parts = 2;
	sent.u.endpoints.part = 2;
	ASSERT_EQ(seal(&p.d, &sent, &sb), -EINVAL);
	sent.u.endpoints.part = 0;
	sent.u.endpoints.parts = LINK_MAX_ENDPOINT_PARTS + 1;
	ASSERT_EQ(seal(&p.d, &sent, &sb), -EINVAL);
	sent.u.endpoints.parts = 1;
	sent.u.endpoints.n = 1;				/* v NULL */
	ASSERT_EQ(seal(&p.d, &sent, &sb), -EINVAL);
	ASSERT_EQ(sb.size, 0);
	ASSERT_EQ(p.d.send_seq, 0);
	msgpack_sbuffer_destroy(&sb);
	pair_wipe(&p);
}

/* Raw endpoints bodies: the page's fields and one endpoint's. */
enum { P_V, P_T, P_GEN, P_PART, P_PARTS, P_EPS, PAGE_F };
enum { E_NS, E_POD, E_ADDRS, E_LABELS, E_PORTS, EP_F };

/*
 * A page (gen 9, part 0 of 1) of one dual-stack pod with two labels and
 * a port, except that page field pf or endpoint field ef (NO_FIELD:
 * none) is omitted (OMIT) or packed by alt; with extra, unknown keys at
 * both levels.
 */
static void
endpoints_body(struct raw *r, int pf, int ef, packfn alt, bool extra)
{
	static const char *const pkeys[] = { "v", "t", "gen", "part",
		"parts", "endpoints" };
	static const char *const ekeys[] = { "ns", "pod", "addrs", "labels",
		"ports" };
	msgpack_packer *pk = &r->pk;

	/* An endpoint field is altered inside the page's, not in its place. */
	if (ef != NO_FIELD)
		pf = NO_FIELD;
	raw_init(r);
	msgpack_pack_map(pk, PAGE_F - (pf != NO_FIELD && alt == OMIT) +
	    (extra ? EXTRA_KEYS : 0));
	if (extra)
		pack_extra(pk);
	for (int f = 0; f < PAGE_F; f++) {
		if (f == pf && alt == OMIT)
			continue;
		mp_pack_key(pk, pkeys[f]);
		if (f == pf) {
			alt(pk);
			continue;
		}
		switch (f) {
		case P_V:
			msgpack_pack_uint64(pk, LINK_PROTO_VERSION);
			break;
		case P_T:
			mp_pack_str(pk, "endpoints");
			break;
		case P_GEN:
			msgpack_pack_uint64(pk, 9);
			break;
		case P_PART:
			msgpack_pack_uint64(pk, 0);
			break;
		case P_PARTS:
			msgpack_pack_uint64(pk, 1);
			break;
		default:
			msgpack_pack_array(pk, 1);
			msgpack_pack_map(pk, EP_F -
			    (ef != NO_FIELD && alt == OMIT) +
			    (extra ? EXTRA_KEYS : 0));
			for (int e = 0; e < EP_F; e++) {
				if (e == ef && alt == OMIT)
					continue;
				mp_pack_key(pk, ekeys[e]);
				if (e == ef) {
					alt(pk);
					continue;
				}
				switch (e) {
				case E_NS:
					mp_pack_str(pk, "prod");
					break;
				case E_POD:
					mp_pack_str(pk, "web-0");
					break;
				case E_ADDRS:
					msgpack_pack_array(pk, 2);
					mp_pack_str(pk, "10.244.1.9");
					mp_pack_str(pk, "fd00::9");
					break;
				case E_LABELS:
					msgpack_pack_map(pk, 2);
					mp_pack_kv_str(pk, "app", "web");
					mp_pack_kv_str(pk, "tier", "");
					break;
				default:
					msgpack_pack_array(pk, 1);
					msgpack_pack_array(pk, 3);
					mp_pack_str(pk, "http");
					msgpack_pack_uint64(pk, IPPROTO_TCP);
					msgpack_pack_uint64(pk, 8080);
					break;
				}
			}
			if (extra)
				pack_extra(pk);
			break;
		}
	}
}

static void
v_empty_array(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 0);
}

static void
v_u129(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, LINK_MAX_ENDPOINT_PARTS + 1);
}

static void
v_str_long_ns(msgpack_packer *pk)
{
	char s[ENDPOINT_NS_MAX + 1];

	memset(s, 'n', ENDPOINT_NS_MAX);
	s[ENDPOINT_NS_MAX] = '\0';
	mp_pack_str(pk, s);
}

static void
v_str_long_pod(msgpack_packer *pk)
{
	char s[ENDPOINT_POD_MAX + 1];

	memset(s, 'p', ENDPOINT_POD_MAX);
	s[ENDPOINT_POD_MAX] = '\0';
	mp_pack_str(pk, s);
}

static void
e_too_many(msgpack_packer *pk)
{
	msgpack_pack_array(pk, LINK_MAX_ENDPOINTS + 1);
	for (int i = 0; i <= LINK_MAX_ENDPOINTS; i++)
		msgpack_pack_nil(pk);
}

static void
e_not_map(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	mp_pack_str(pk, "prod/web-0");
}

/* An "addrs" array of the strings given. */
#define ADDRS(name, ...)                                                      \
	static void name(msgpack_packer *pk)                                  \
	{                                                                     \
		static const char *const a[] = { __VA_ARGS__ };               \
		msgpack_pack_array(pk, sizeof(a) / sizeof(a[0]));             \
		for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)         \
			mp_pack_str(pk, a[i]);                                \
	}

ADDRS(a_three, "10.0.0.1", "10.0.0.2", "fd00::1")
ADDRS(a_bad, "10.0.0")
ADDRS(a_prefix, "10.0.0.0/8")
ADDRS(a_twice, "10.0.0.1", "10.0.0.1")
ADDRS(a_empty_str, "")

static void
a_int(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_uint32(pk, 0x0a000001);
}

/* A "labels" map of one pair, or the pairs given. */
static void
l_int_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint64(pk, 1);
	mp_pack_str(pk, "v");
}

static void
l_int_value(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "k");
	msgpack_pack_uint64(pk, 1);
}

static void
l_nil_value(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "k");
	msgpack_pack_nil(pk);
}

static void
l_empty_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	mp_pack_kv_str(pk, "", "v");
}

static void
l_twice(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	mp_pack_kv_str(pk, "app", "a");
	mp_pack_kv_str(pk, "app", "b");
}

static void
l_long(msgpack_packer *pk, bool key)
{
	char s[ENDPOINT_LABEL_MAX + 1];

	memset(s, 'x', ENDPOINT_LABEL_MAX);
	s[ENDPOINT_LABEL_MAX] = '\0';
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, key ? s : "k");
	mp_pack_str(pk, key ? "v" : s);
}

static void
l_long_key(msgpack_packer *pk)
{
	l_long(pk, true);
}

static void
l_long_value(msgpack_packer *pk)
{
	l_long(pk, false);
}

static void
l_nul(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "k");
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "a\0b", 3);
}

static void
l_too_many(msgpack_packer *pk)
{
	msgpack_pack_map(pk, ENDPOINT_LABELS_MAX + 1);
	for (int i = 0; i <= ENDPOINT_LABELS_MAX; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		mp_pack_kv_str(pk, k, "v");
	}
}

/* A "ports" array of one tuple [name, proto, port]. */
static void
port_one(msgpack_packer *pk, const char *name, int64_t proto, int64_t port)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 3);
	mp_pack_str(pk, name);
	msgpack_pack_int64(pk, proto);
	msgpack_pack_int64(pk, port);
}

#define PORT(fn, name, proto, port)                                           \
	static void fn(msgpack_packer *pk)                                    \
	{                                                                     \
		port_one(pk, name, proto, port);                              \
	}

PORT(t_zero, "http", IPPROTO_TCP, 0)
PORT(t_big, "http", IPPROTO_TCP, 65536)
PORT(t_neg, "http", IPPROTO_TCP, -1)
PORT(t_icmp, "http", IPPROTO_ICMP, 80)
PORT(t_proto_big, "http", 256 + IPPROTO_TCP, 80)
PORT(t_upper, "HTTP", IPPROTO_TCP, 80)
PORT(t_digits, "8080", IPPROTO_TCP, 80)
PORT(t_long, "abcdefghijklmnop", IPPROTO_TCP, 80)
PORT(t_empty, "", IPPROTO_TCP, 80)
PORT(t_dashes, "a--b", IPPROTO_TCP, 80)

static void
t_twice(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2);
	for (int i = 0; i < 2; i++) {
		msgpack_pack_array(pk, 3);
		mp_pack_str(pk, "http");
		msgpack_pack_uint64(pk, i ? IPPROTO_UDP : IPPROTO_TCP);
		msgpack_pack_uint64(pk, 80);
	}
}

static void
t_short(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 2);
	mp_pack_str(pk, "http");
	msgpack_pack_uint64(pk, IPPROTO_TCP);
}

static void
t_long_tuple(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 4);
	mp_pack_str(pk, "http");
	msgpack_pack_uint64(pk, IPPROTO_TCP);
	msgpack_pack_uint64(pk, 80);
	msgpack_pack_uint64(pk, 81);
}

static void
t_map(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 1);
	mp_pack_kv_u64(pk, "http", 80);
}

static void
t_too_many(msgpack_packer *pk)
{
	msgpack_pack_array(pk, ENDPOINT_PORTS_MAX + 1);
	for (int i = 0; i <= ENDPOINT_PORTS_MAX; i++) {
		char n[16];

		snprintf(n, sizeof(n), "p%d", i);
		msgpack_pack_array(pk, 3);
		mp_pack_str(pk, n);
		msgpack_pack_uint64(pk, IPPROTO_TCP);
		msgpack_pack_uint64(pk, 80);
	}
}

static void
test_endpoints_decoder(void)
{
	static const struct {
		const char *what;
		int pf, ef;
		packfn alt;
	} bad[] = {
		{ "no gen", P_GEN, NO_FIELD, OMIT },
		{ "gen a string", P_GEN, NO_FIELD, v_str },
		{ "gen negative", P_GEN, NO_FIELD, v_neg },
		{ "no part", P_PART, NO_FIELD, OMIT },
		{ "part nil", P_PART, NO_FIELD, v_nil },
		{ "part beyond parts", P_PART, NO_FIELD, v_int },
		{ "part over 32 bits", P_PART, NO_FIELD, v_max },
		{ "no parts", P_PARTS, NO_FIELD, OMIT },
		{ "parts 0", P_PARTS, NO_FIELD, v_zero },
		{ "parts over the cap", P_PARTS, NO_FIELD, v_u129 },
		{ "parts a float", P_PARTS, NO_FIELD, v_float },
		{ "no endpoints", P_EPS, NO_FIELD, OMIT },
		{ "endpoints a map", P_EPS, NO_FIELD, v_map },
		{ "endpoints a string", P_EPS, NO_FIELD, v_str },
		{ "too many endpoints", P_EPS, NO_FIELD, e_too_many },
		{ "endpoint not a map", P_EPS, NO_FIELD, e_not_map },
		{ "no ns", P_EPS, E_NS, OMIT },
		{ "ns empty", P_EPS, E_NS, v_empty },
		{ "ns an integer", P_EPS, E_NS, v_int },
		{ "ns bin", P_EPS, E_NS, v_bin6 },
		{ "ns too long", P_EPS, E_NS, v_str_long_ns },
		{ "ns with a NUL", P_EPS, E_NS, v_nul_name },
		{ "no pod", P_EPS, E_POD, OMIT },
		{ "pod empty", P_EPS, E_POD, v_empty },
		{ "pod nil", P_EPS, E_POD, v_nil },
		{ "pod too long", P_EPS, E_POD, v_str_long_pod },
		{ "no addrs", P_EPS, E_ADDRS, OMIT },
		{ "addrs empty", P_EPS, E_ADDRS, v_empty_array },
		{ "addrs a string", P_EPS, E_ADDRS, v_str },
		{ "three addrs", P_EPS, E_ADDRS, a_three },
		{ "addr of three bytes", P_EPS, E_ADDRS, a_bad },
		{ "addr a prefix", P_EPS, E_ADDRS, a_prefix },
		{ "addr twice", P_EPS, E_ADDRS, a_twice },
		{ "addr empty", P_EPS, E_ADDRS, a_empty_str },
		{ "addr an integer", P_EPS, E_ADDRS, a_int },
		{ "labels an array", P_EPS, E_LABELS, v_array1 },
		{ "labels nil", P_EPS, E_LABELS, v_nil },
		{ "label key an integer", P_EPS, E_LABELS, l_int_key },
		{ "label value an integer", P_EPS, E_LABELS, l_int_value },
		{ "label value nil", P_EPS, E_LABELS, l_nil_value },
		{ "label key empty", P_EPS, E_LABELS, l_empty_key },
		{ "label key twice", P_EPS, E_LABELS, l_twice },
		{ "label key too long", P_EPS, E_LABELS, l_long_key },
		{ "label value too long", P_EPS, E_LABELS, l_long_value },
		{ "label value with a NUL", P_EPS, E_LABELS, l_nul },
		{ "too many labels", P_EPS, E_LABELS, l_too_many },
		{ "ports a map", P_EPS, E_PORTS, v_map },
		{ "port a map", P_EPS, E_PORTS, t_map },
		{ "port of two", P_EPS, E_PORTS, t_short },
		{ "port of four", P_EPS, E_PORTS, t_long_tuple },
		{ "port 0", P_EPS, E_PORTS, t_zero },
		{ "port 65536", P_EPS, E_PORTS, t_big },
		{ "port -1", P_EPS, E_PORTS, t_neg },
		{ "protocol ICMP", P_EPS, E_PORTS, t_icmp },
		{ "protocol over 255", P_EPS, E_PORTS, t_proto_big },
		{ "port name upper case", P_EPS, E_PORTS, t_upper },
		{ "port name of digits", P_EPS, E_PORTS, t_digits },
		{ "port name of 16", P_EPS, E_PORTS, t_long },
		{ "port name empty", P_EPS, E_PORTS, t_empty },
		{ "port name --", P_EPS, E_PORTS, t_dashes },
		{ "port name twice", P_EPS, E_PORTS, t_twice },
		{ "too many ports", P_EPS, E_PORTS, t_too_many },
	};
	struct raw r;

	/* The body as it should be, with and without unknown keys. */
	for (int extra = 0; extra < 2; extra++) {
		endpoints_body(&r, NO_FIELD, NO_FIELD, NULL, extra);
		ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
		ASSERT_EQ(got.type, LINK_MSG_ENDPOINTS);
		ASSERT_EQ(got.u.endpoints.generation, 9);
		ASSERT_EQ(got.u.endpoints.n, 1);
		ASSERT_STR_EQ(got.u.endpoints.v[0].pod, "web-0");
		ASSERT_EQ(got.u.endpoints.v[0].naddrs, 2);
		ASSERT_EQ(got.u.endpoints.v[0].nlabels, 2);
		ASSERT_STR_EQ(got.u.endpoints.v[0].labels[1].value, "");
		ASSERT_EQ(got.u.endpoints.v[0].nports, 1);
		ASSERT_EQ(got.u.endpoints.v[0].ports[0].port, 8080);
		link_msg_clear(&got);
		msgpack_sbuffer_destroy(&r.sb);
	}
	/* Labels and ports are optional, and may be empty. */
	endpoints_body(&r, P_EPS, E_LABELS, OMIT, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.u.endpoints.v[0].nlabels, 0);
	link_msg_clear(&got);
	msgpack_sbuffer_destroy(&r.sb);
	endpoints_body(&r, P_EPS, E_PORTS, v_empty_array, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.u.endpoints.v[0].nports, 0);
	link_msg_clear(&got);
	msgpack_sbuffer_destroy(&r.sb);
	endpoints_body(&r, P_EPS, E_LABELS, v_map, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.u.endpoints.v[0].nlabels, 0);
	ASSERT(got.u.endpoints.v[0].labels == NULL);
	link_msg_clear(&got);
	msgpack_sbuffer_destroy(&r.sb);
	endpoints_body(&r, P_EPS, NO_FIELD, v_empty_array, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.u.endpoints.n, 0);
	msgpack_sbuffer_destroy(&r.sb);
	endpoints_body(&r, P_GEN, NO_FIELD, v_max, false);
	ASSERT_OK(open_raw_session(r.sb.data, r.sb.size, &got));
	ASSERT_EQ(got.u.endpoints.generation, UINT64_MAX);
	link_msg_clear(&got);
	msgpack_sbuffer_destroy(&r.sb);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		endpoints_body(&r, bad[i].pf, bad[i].ef, bad[i].alt, false);
		refuse_raw(bad[i].what, false, &r);
	}
	endpoints_body(&r, P_EPS, NO_FIELD, e_too_many, false);
	refuse_raw("too many endpoints", false, &r);
	ASSERT_STR_HAS(err, "1025 endpoints");
	endpoints_body(&r, P_EPS, E_PORTS, t_icmp, false);
	refuse_raw("protocol ICMP", false, &r);
	ASSERT_STR_HAS(err, "endpoint 0: prod/web-0: port http: protocol 1");

	/* Every truncation of a good body. */
	endpoints_body(&r, NO_FIELD, NO_FIELD, NULL, true);
	for (size_t n = 0; n < r.sb.size; n++) {
		char what[64];

		snprintf(what, sizeof(what), "endpoints cut at %zu", n);
		refuse(what, false, r.sb.data, n);
	}
	msgpack_sbuffer_destroy(&r.sb);
}

/* How a node's list is filed: order of pages, generations, sessions. */
static void
test_endpoints_table(void)
{
	struct endpoint *v = make_pods(8, 2, 1), *w = make_pods(8, 3, 0);
	struct endpoints_stats st;

	endpoints_clear();
	endpoints_set_hook(count_hook, &hook_calls);
	hook_calls = 0;
	ASSERT(endpoints_of(NODE_B) == NULL);

	/* Two pages, then the same list again: stale, and dropped. */
	ASSERT_EQ(recv_page(1, 5, 0, 2, v, 3), 0);
	ASSERT(endpoints_of(NODE_B) == NULL);
	ASSERT_EQ(recv_page(1, 5, 1, 2, v + 3, 5), 1);
	assert_set_eq(endpoints_of(NODE_B), v, 8);
	ASSERT_EQ(hook_calls, 1);
	ASSERT_EQ(recv_page(1, 5, 0, 2, w, 3), 0);
	ASSERT_EQ(recv_page(1, 5, 1, 2, w + 3, 5), 0);
	ASSERT_EQ(recv_page(1, 4, 0, 1, w, 8), 0);
	assert_set_eq(endpoints_of(NODE_B), v, 8);
	endpoints_stats_get(&st);
	ASSERT_EQ(st.stale, 3);
	ASSERT_EQ(hook_calls, 1);

	/* Newer on the same link, and older on a new one (a restart). */
	ASSERT_EQ(recv_page(1, 6, 0, 1, w, 8), 1);
	assert_set_eq(endpoints_of(NODE_B), w, 8);
	ASSERT_EQ(recv_page(2, 1, 0, 1, v, 2), 1);
	assert_set_eq(endpoints_of(NODE_B), v, 2);
	ASSERT_EQ(endpoints_of(NODE_B)->gen, 1);
	ASSERT_EQ(hook_calls, 3);

	/* Out of order: nothing changes, the page is refused. */
	ASSERT_EQ(recv_page(2, 2, 1, 2, w, 1), -EPROTO);
	ASSERT_STR_HAS(err, "out of order");
	ASSERT_EQ(recv_page(2, 2, 0, 3, w, 1), 0);
	ASSERT_EQ(recv_page(2, 2, 2, 3, w, 1), -EPROTO);
	ASSERT_EQ(recv_page(2, 2, 1, 3, w, 1), -EPROTO);	/* dropped */
	ASSERT_EQ(recv_page(2, 2, 0, 2, w, 1), 0);
	ASSERT_EQ(recv_page(2, 3, 1, 2, w, 1), -EPROTO);	/* other gen */
	ASSERT_EQ(recv_page(2, 2, 0, 2, w, 1), 0);
	ASSERT_EQ(recv_page(3, 2, 1, 2, w, 1), -EPROTO);	/* other link */
	ASSERT_EQ(recv_page(2, 2, 0, 2, w, 1), 0);
	ASSERT_EQ(recv_page(2, 2, 1, 3, w, 1), -EPROTO);	/* parts */
	/* A new part 0 starts over. */
	ASSERT_EQ(recv_page(2, 2, 0, 2, w, 1), 0);
	ASSERT_EQ(recv_page(2, 3, 0, 2, w, 4), 0);
	ASSERT_EQ(recv_page(2, 3, 1, 2, w + 4, 4), 1);
	assert_set_eq(endpoints_of(NODE_B), w, 8);
	/* A stale announcement's pages must still come in order. */
	ASSERT_EQ(recv_page(2, 3, 0, 2, v, 1), 0);
	ASSERT_EQ(recv_page(2, 3, 2, 2, v, 1), -EPROTO);
	ASSERT_EQ(recv_page(2, 3, 0, 2, v, 1), 0);
	ASSERT_EQ(recv_page(2, 3, 1, 2, v, 1), 0);
	assert_set_eq(endpoints_of(NODE_B), w, 8);

	/* A pod or an address twice across pages; too many in all. */
	ASSERT_EQ(recv_page(2, 4, 0, 2, v, 2), 0);
	ASSERT_EQ(recv_page(2, 4, 1, 2, v + 1, 2), -EINVAL);
	ASSERT_STR_HAS(err, "twice");
	{
		struct endpoint x[2];

		ASSERT_OK(endpoint_copy(&x[0], &v[0]));
		ASSERT_OK(endpoint_copy(&x[1], &v[1]));
		x[1].addrs[0] = x[0].addrs[0];
		ASSERT_EQ(recv_page(2, 4, 0, 1, x, 2), -EINVAL);
		ASSERT_STR_HAS(err, "held by two pods");
		endpoint_free(&x[0]);
		endpoint_free(&x[1]);
	}
	{
		struct endpoint *many = make_pods(LINK_MAX_ENDPOINTS, 0, 0);

		ASSERT_EQ(recv_page(2, 4, 0, 2, many, LINK_MAX_ENDPOINTS), 0);
		ASSERT_EQ(recv_page(2, 4, 1, 2, v, 1), -EMSGSIZE);
		free_pods(many, LINK_MAX_ENDPOINTS);
	}
	assert_set_eq(endpoints_of(NODE_B), w, 8);
	endpoints_stats_get(&st);
	ASSERT_EQ(st.refused, 10);
	ASSERT_EQ(hook_calls, 4);

	/* An empty list replaces a full one. */
	ASSERT_EQ(recv_page(2, 9, 0, 1, NULL, 0), 1);
	ASSERT_EQ(endpoints_of(NODE_B)->n, 0);
	ASSERT_EQ(endpoints_nodes(), 1);
	ASSERT_EQ(endpoints_count(), 0);
	ASSERT_EQ(hook_calls, 5);

	free_pods(v, 8);
	free_pods(w, 8);
	endpoints_clear();
}

static bool
keep_c(void *arg, const char *node)
{
	(void)arg;
	return strcmp(node, "node-c") == 0;
}

struct seen {
	size_t n;
	char last[LINK_NAME_MAX];
	int stop_at;
};

static int
see(void *arg, const char *node, const struct endpoint *ep)
{
	struct seen *s = arg;

	ASSERT(endpoint_validate(ep, NULL, 0) == 0);
	snprintf(s->last, sizeof(s->last), "%s", node);
	return ++s->n == (size_t)s->stop_at ? 42 : 0;
}

/* Only addresses in 10.244.0.0/24 and fd00:244::/112 are node-b's. */
static bool
only_b_blocks(void *arg, const char *node, const struct endpoint *ep)
{
	struct sluice_prefix b[2];

	ASSERT(arg == &hook_calls);
	ASSERT_OK(sluice_prefix_parse("10.244.0.0/24", false, &b[0]));
	ASSERT_OK(sluice_prefix_parse("fd00:244::/112", false, &b[1]));
	return strcmp(node, NODE_B) != 0 || endpoint_in_blocks(ep, b, 2);
}

/* Several nodes: the query side, the filter, forget and prune. */
static void
test_endpoints_query(void)
{
	struct endpoint *v = make_pods(300, 1, 0);
	struct endpoints_stats st;
	struct link_endpoints pg;
	struct seen s = { 0 };

	endpoints_clear();
	endpoints_set_hook(count_hook, &hook_calls);
	hook_calls = 0;
	ASSERT_EQ(recv_page(1, 1, 0, 1, v, 300), 1);
	make_page(&pg, 1, 0, 1, v, 2);
	ASSERT_EQ(endpoints_recv_page("node-c", 2, &pg, err, sizeof(err)), 1);
	ASSERT_EQ(endpoints_count(), 302);
	ASSERT_EQ(endpoints_nodes(), 2);

	ASSERT_OK(endpoints_each(see, &s));
	ASSERT_EQ(s.n, 302);
	ASSERT_STR_EQ(s.last, "node-c");
	s.n = 0;
	s.stop_at = 5;
	ASSERT_EQ(endpoints_each(see, &s), 42);
	ASSERT_EQ(s.n, 5);

	/* Pods 256..299 lie outside node-b's blocks. */
	endpoints_set_filter(only_b_blocks, &hook_calls);
	s.n = 0;
	s.stop_at = 0;
	ASSERT_OK(endpoints_each(see, &s));
	ASSERT_EQ(s.n, 258);
	endpoints_stats_get(&st);
	ASSERT_EQ(st.filtered, 44);
	ASSERT_EQ(endpoints_count(), 302);
	endpoints_set_filter(NULL, NULL);

	/* Forgetting does not call the hook; endpoints_notify() does. */
	ASSERT_EQ(hook_calls, 2);
	ASSERT(endpoints_forget(NODE_B));
	ASSERT(!endpoints_forget(NODE_B));
	ASSERT(endpoints_of(NODE_B) == NULL);
	ASSERT_EQ(endpoints_count(), 2);
	ASSERT_EQ(hook_calls, 2);
	endpoints_notify();
	ASSERT_EQ(hook_calls, 3);
	endpoints_notify();
	ASSERT_EQ(hook_calls, 3);

	ASSERT_EQ(recv_page(1, 1, 0, 1, v, 3), 1);
	ASSERT_EQ(endpoints_prune(keep_c, NULL), 1);
	ASSERT(endpoints_of(NODE_B) == NULL);
	ASSERT(endpoints_of("node-c") != NULL);
	endpoints_notify();
	ASSERT_EQ(hook_calls, 5);

	free_pods(v, 300);
	endpoints_clear();
}

/* Our own list: checked, copied, and a generation only when it changes. */
static void
test_endpoints_local(void)
{
	struct endpoint *v = make_pods(LINK_MAX_ENDPOINTS + 1, 2, 1);
	struct endpoint_set set = { v, 10, 99 }, copy;

	endpoints_clear();
	ASSERT_EQ(endpoints_local()->gen, 0);
	ASSERT_EQ(endpoints_set_local(&set, err, sizeof(err)), 1);
	ASSERT_EQ(endpoints_local()->gen, 1);
	assert_set_eq(endpoints_local(), v, 10);
	ASSERT(endpoints_local()->v != v);
	ASSERT_EQ(endpoints_set_local(&set, err, sizeof(err)), 0);
	ASSERT_EQ(endpoints_local()->gen, 1);

	/* Changed: a label, then the list. */
	ASSERT_OK(endpoint_set_copy(&copy, &set));
	ASSERT_EQ(copy.gen, 99);
	ASSERT_OK(endpoint_copy_labels(&copy.v[3], v[4].labels, 2));
	ASSERT_EQ(endpoints_set_local(&copy, err, sizeof(err)), 1);
	ASSERT_EQ(endpoints_local()->gen, 2);
	set.n = 9;
	ASSERT_EQ(endpoints_set_local(&set, err, sizeof(err)), 1);
	ASSERT_EQ(endpoints_local()->gen, 3);

	/* Refused, keeping the list in force. */
	snprintf(copy.v[1].pod, sizeof(copy.v[1].pod), "%s", copy.v[0].pod);
	snprintf(copy.v[1].ns, sizeof(copy.v[1].ns), "%s", copy.v[0].ns);
	ASSERT_EQ(endpoints_set_local(&copy, err, sizeof(err)), -EINVAL);
	ASSERT_STR_HAS(err, "twice");
	copy.v[2].ports[0].port = 0;
	ASSERT_EQ(endpoints_set_local(&copy, err, sizeof(err)), -EINVAL);
	set.n = LINK_MAX_ENDPOINTS + 1;
	ASSERT_EQ(endpoints_set_local(&set, err, sizeof(err)), -EMSGSIZE);
	ASSERT_EQ(endpoints_local()->gen, 3);
	assert_set_eq(endpoints_local(), v, 9);
	/* The most there may be. */
	set.n = LINK_MAX_ENDPOINTS;
	ASSERT_EQ(endpoints_set_local(&set, err, sizeof(err)), 1);
	ASSERT_EQ(endpoints_local()->n, LINK_MAX_ENDPOINTS);

	endpoint_set_free(&copy);
	endpoint_set_free(NULL);
	endpoint_free(NULL);
	free_pods(v, LINK_MAX_ENDPOINTS + 1);
	endpoints_clear();
	ASSERT_EQ(endpoints_local()->gen, 0);
}

int
main(void)
{
	ASSERT_OK(link_key_derive((const uint8_t *)secret1,
	    sizeof(secret1) - 1, key1));
	ASSERT_OK(link_key_derive((const uint8_t *)secret2,
	    sizeof(secret2) - 1, key2));

	RUN(test_key_derive);
	RUN(test_session_init_wipe);
	RUN(test_exchange);
	RUN(test_claims);
	RUN(test_acceptor_first);
	RUN(test_max_blocks);
	RUN(test_seal_appends);
	RUN(test_seal_refuses);
	RUN(test_size_limits);
	RUN(test_wrong_secret);
	RUN(test_bit_flips);
	RUN(test_replay_reorder_drop);
	RUN(test_stale_session);
	RUN(test_reflection);
	RUN(test_order);
	RUN(test_unknown_type);
	RUN(test_unknown_keys);
	RUN(test_versions);
	RUN(test_missing_and_mistyped);
	RUN(test_bad_values);
	RUN(test_not_msgpack);
	RUN(test_depth);
	RUN(test_no_type_confusion);
	RUN(test_endpoints_exchange);
	RUN(test_endpoints_pages);
	RUN(test_endpoints_largest);
	RUN(test_endpoints_seal_refuses);
	RUN(test_endpoints_decoder);
	RUN(test_endpoints_table);
	RUN(test_endpoints_query);
	RUN(test_endpoints_local);
	printf("ok\n");
	return 0;
}
