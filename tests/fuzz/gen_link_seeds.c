/*
 * gen_link_seeds.c - writes the hand-made seeds of the fuzz_linkproto
 * corpus (the files named seed-*): payloads as a peer would send them,
 * well formed or not, tagged with the fixed key and nonces that
 * fuzz_linkproto.c gives its sessions, so that their tags verify there.
 * Hello seeds verify on a fresh session; the others are the first
 * session frame (sequence 0) of the dialer or, where named so, of the
 * acceptor. Most bad bodies carry a genuine tag too: it is the decoder
 * they are meant to exercise. The seed-struct-* files are aimed at the
 * target's third use of its input, as the fields of a message.
 *
 * Not built by CMake; rerun it after changing the wire format:
 *   cc -std=c11 -D_GNU_SOURCE -I. tests/fuzz/gen_link_seeds.c \
 *       router/linkproto.c router/endpoints.c common/addr.c common/mp.c \
 *       $(pkg-config --cflags --libs msgpack libsodium) -o gen_link_seeds
 *   ./gen_link_seeds tests/fuzz/corpus/fuzz_linkproto
 * Inputs found by fuzzing and crashers are kept beside them under other
 * names; this program leaves those alone.
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

/* Must match fuzz_linkproto.c. */
#define FUZZ_KEY_BYTE 0x5a
#define FUZZ_DIALER_NONCE_BYTE 0xd1
#define FUZZ_ACCEPTOR_NONCE_BYTE 0xac

static const char *dir;
static int failed;
static struct link_session fresh_d, fresh_a, keyed_d, keyed_a;
static struct link_msg msg, got;

static void
die(const char *what)
{
	fprintf(stderr, "gen_link_seeds: %s\n", what);
	exit(1);
}

static void
put(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) ||
	    fclose(f) != 0) {
		perror(path);
		failed = 1;
	}
}

/* Writes what msg seals to on a copy of s. */
static void
put_msg(const char *name, const struct link_session *s)
{
	struct link_session c = *s;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	if (link_msg_seal(&c, &msg, &sb) != 0)
		die(name);
	put(name, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/* Writes body with a genuine tag from a copy of s. */
static void
put_raw(const char *name, const struct link_session *s, bool hello,
    const msgpack_sbuffer *body)
{
	struct link_session c = *s;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	if (link_frame_seal_raw(&c, hello, body->data, body->size, &sb) != 0)
		die(name);
	put(name, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static void
put_raw_bytes(const char *name, const struct link_session *s, bool hello,
    const char *bytes, size_t n)
{
	msgpack_sbuffer body = { n, (char *)bytes, n };

	put_raw(name, s, hello, &body);
}

static void
hello(const char *node, const char *addr)
{
	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_HELLO;
	snprintf(msg.u.hello.node, sizeof(msg.u.hello.node), "%s", node);
	if (sluice_addr_parse(addr, &msg.u.hello.underlay) != 0)
		die(addr);
	memcpy(msg.u.hello.vtep_mac, "\x02\x42\xac\x11\x00\x02", 6);
	msg.u.hello.caps = 3;
	msg.u.hello.incarnation = 0x0123456789abcdefull;
}

static void
blocks(uint64_t gen, const char *const *cidrs)
{
	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_BLOCKS;
	msg.u.blocks.generation = gen;
	for (; *cidrs != NULL; cidrs++)
		if (sluice_prefix_parse(*cidrs, false,
		    &msg.u.blocks.blocks[msg.u.blocks.n++]) != 0)
			die(*cidrs);
}

static void
setup(void)
{
	uint8_t key[LINK_KEY_LEN];
	msgpack_sbuffer sb;

	memset(key, FUZZ_KEY_BYTE, sizeof(key));
	link_session_init(&fresh_d, key, true);
	link_session_init(&fresh_a, key, false);
	memset(fresh_d.my_nonce, FUZZ_DIALER_NONCE_BYTE, LINK_NONCE_LEN);
	memset(fresh_a.my_nonce, FUZZ_ACCEPTOR_NONCE_BYTE, LINK_NONCE_LEN);
	keyed_d = fresh_d;
	keyed_a = fresh_a;
	hello("fuzz", "192.0.2.1");
	msgpack_sbuffer_init(&sb);
	if (link_msg_seal(&keyed_d, &msg, &sb) != 0 ||
	    link_msg_open(&keyed_a, (const uint8_t *)sb.data, sb.size, &got,
	    NULL, 0) != 0)
		die("dialer hello");
	sb.size = 0;
	if (link_msg_seal(&keyed_a, &msg, &sb) != 0 ||
	    link_msg_open(&keyed_d, (const uint8_t *)sb.data, sb.size, &got,
	    NULL, 0) != 0)
		die("acceptor hello");
	msgpack_sbuffer_destroy(&sb);
}

/* Starts a raw body: a map of n pairs, beginning with "v" and "t". */
static void
body(msgpack_sbuffer *sb, msgpack_packer *pk, uint32_t n, uint64_t v,
    const char *t)
{
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(pk, n);
	mp_pack_kv_u64(pk, "v", v);
	mp_pack_kv_str(pk, "t", t);
}

static void
pack_bin(msgpack_packer *pk, const char *k, const void *p, size_t n)
{
	mp_pack_key(pk, k);
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, p, n);
}

/* The rest of a hello body after "v" and "t"; mac_len 6 is right. */
static void
hello_rest(msgpack_packer *pk, const char *addr, size_t mac_len,
    bool nonce)
{
	static const uint8_t nb[LINK_NONCE_LEN] = { FUZZ_DIALER_NONCE_BYTE };

	mp_pack_kv_str(pk, "node", "raw");
	mp_pack_kv_str(pk, "addr", addr);
	pack_bin(pk, "mac", "\x02\x00\x00\x00\x00\x01\x02", mac_len);
	mp_pack_kv_u64(pk, "caps", 0);
	mp_pack_kv_u64(pk, "inc", 1);
	if (nonce)
		pack_bin(pk, "nonce", nb, sizeof(nb));
}

static void
raw_hellos(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	body(&sb, &pk, 10, 1, "hello");
	hello_rest(&pk, "198.51.100.4", 6, true);
	mp_pack_key(&pk, "future");
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "k", "v");
	mp_pack_key(&pk, "list");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_nil(&pk);
	msgpack_pack_double(&pk, 0.5);
	put_raw("seed-hello-extra-keys", &fresh_d, true, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 8, 2, "hello");
	hello_rest(&pk, "2001:db8::4", 6, true);
	put_raw("seed-hello-v2", &fresh_d, true, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 8, 0, "hello");
	hello_rest(&pk, "198.51.100.4", 6, true);
	put_raw("seed-hello-v0", &fresh_d, true, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 7, 1, "hello");
	hello_rest(&pk, "198.51.100.4", 6, false);
	put_raw("seed-hello-no-nonce", &fresh_d, true, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 8, 1, "hello");
	hello_rest(&pk, "198.51.100.4", 7, true);
	put_raw("seed-hello-mac7", &fresh_d, true, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 8, 1, "hello");
	hello_rest(&pk, "198.51.100.0/24", 6, true);
	put_raw("seed-hello-prefix-addr", &fresh_d, true, &sb);
	msgpack_sbuffer_destroy(&sb);
}

static void
raw_sessions(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	body(&sb, &pk, 4, 3, "gateway");
	mp_pack_key(&pk, "egress");
	msgpack_pack_array(&pk, 1);
	mp_pack_str(&pk, "198.51.100.7");
	mp_pack_kv_u64(&pk, "load", 12);
	put_raw("seed-unknown-type", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 5, 1, "blocks");
	mp_pack_kv_u64(&pk, "gen", 8);
	mp_pack_key(&pk, "blocks");
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, "10.8.0.0/16");
	mp_pack_str(&pk, "fd08::/16");
	mp_pack_kv_bool(&pk, "draining", true);
	put_raw("seed-blocks-extra-keys", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 4, 1, "blocks");
	mp_pack_kv_u64(&pk, "gen", 8);
	mp_pack_key(&pk, "blocks");
	msgpack_pack_array(&pk, 3);
	mp_pack_str(&pk, "10.8.0.0/16");
	mp_pack_str(&pk, "10.9.0.1/16");
	mp_pack_str(&pk, "fd08::1/16");
	put_raw("seed-blocks-host-bits", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	body(&sb, &pk, 4, 1, "blocks");
	mp_pack_kv_u64(&pk, "gen", 8);
	mp_pack_key(&pk, "blocks");
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, "10.8.0.0/16");
	msgpack_pack_uint32(&pk, 0x0a090000);
	put_raw("seed-blocks-int-item", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	/*
	 * One block too many. Nils keep it small (README.md: seeds under
	 * 4 KiB); the count is checked before the entries.
	 */
	body(&sb, &pk, 4, 1, "blocks");
	mp_pack_kv_u64(&pk, "gen", 8);
	mp_pack_key(&pk, "blocks");
	msgpack_pack_array(&pk, LINK_MAX_BLOCKS + 1);
	for (int i = 0; i <= LINK_MAX_BLOCKS; i++)
		msgpack_pack_nil(&pk);
	put_raw("seed-blocks-too-many", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	/* LINK_MAX_DEPTH levels pass; one more does not. */
	for (int depth = LINK_MAX_DEPTH; depth <= LINK_MAX_DEPTH + 1; depth++) {
		body(&sb, &pk, 3, 1, "keepalive");
		mp_pack_key(&pk, "deep");
		for (int i = 1; i < depth; i++)
			msgpack_pack_array(&pk, 1);
		msgpack_pack_nil(&pk);
		put_raw(depth == LINK_MAX_DEPTH ? "seed-keepalive-depth-max" :
		    "seed-keepalive-depth-over", &keyed_d, false, &sb);
		msgpack_sbuffer_destroy(&sb);
	}

	body(&sb, &pk, 2, 1, "keepalive");
	msgpack_pack_nil(&pk);
	put_raw("seed-keepalive-trailing", &keyed_d, false, &sb);
	sb.size -= 2;
	put_raw("seed-keepalive-truncated", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	put_raw_bytes("seed-bomb-array32", &keyed_d, false,
	    "\xdd\xff\xff\xff\xff", 5);
	put_raw_bytes("seed-bomb-map32", &keyed_d, false,
	    "\xdf\xff\xff\xff\xff", 5);
	put_raw_bytes("seed-bomb-str32", &keyed_d, false,
	    "\x82\xa1v\x01\xa1t\xdb\xff\xff\xff\xff", 11);
	put_raw_bytes("seed-bomb-nested", &fresh_d, true,
	    "\x81\xa1x\x9f\x9f\x9f\x9f", 7);
	put_raw_bytes("seed-not-a-map", &keyed_d, false, "\x92\x01\x02", 3);
	put_raw_bytes("seed-empty-body", &keyed_d, false, "", 0);
}

/* A pod of the endpoints seeds, its labels and ports copied in. */
static void
pod(struct endpoint *ep, const char *ns, const char *name, const char *a1,
    const char *a2, const struct sluice_label *l, size_t nl,
    const struct endpoint_port *p, size_t np)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->ns, sizeof(ep->ns), "%s", ns);
	snprintf(ep->pod, sizeof(ep->pod), "%s", name);
	if (sluice_addr_parse(a1, &ep->addrs[ep->naddrs++]) != 0 ||
	    (a2 != NULL &&
	    sluice_addr_parse(a2, &ep->addrs[ep->naddrs++]) != 0))
		die(name);
	if (endpoint_copy_labels(ep, l, nl) != 0 ||
	    endpoint_copy_ports(ep, p, np) != 0)
		die("out of memory");
}

/* Endpoints pages: good ones sealed, bad ones raw with genuine tags. */
static void
endpoints(void)
{
	static const struct sluice_label l[] = {
		{ "app.kubernetes.io/name", "web" }, { "tier", "" },
		{ "pod-template-hash", "7d4b9c" },
	};
	static const struct endpoint_port p[] = {
		{ "http", IPPROTO_TCP, 8080 }, { "dns", IPPROTO_UDP, 53 },
		{ "sig", IPPROTO_SCTP, 9899 },
	};
	struct endpoint v[3];
	msgpack_sbuffer sb;
	msgpack_packer pk;

	pod(&v[0], "prod", "web-0", "10.244.1.5", "fd00:244::5", l, 3, p, 1);
	pod(&v[1], "prod", "dns-1", "10.244.1.6", NULL, l + 1, 1, p + 1, 2);
	pod(&v[2], "kube-system", "bare", "fd00:244::7", NULL, NULL, 0,
	    NULL, 0);
	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_ENDPOINTS;
	msg.u.endpoints.generation = 4;
	msg.u.endpoints.parts = 1;
	msg.u.endpoints.v = v;
	msg.u.endpoints.n = 3;
	put_msg("seed-endpoints", &keyed_d);
	msg.u.endpoints.part = 1;
	msg.u.endpoints.parts = 3;
	msg.u.endpoints.n = 1;
	put_msg("seed-endpoints-part", &keyed_a);
	for (int i = 0; i < 3; i++)
		endpoint_free(&v[i]);

	body(&sb, &pk, 7, 1, "endpoints");
	mp_pack_kv_u64(&pk, "gen", 2);
	mp_pack_kv_u64(&pk, "part", 0);
	mp_pack_kv_u64(&pk, "parts", 1);
	mp_pack_kv_str(&pk, "zone", "eu-west");
	mp_pack_key(&pk, "endpoints");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 6);
	mp_pack_kv_str(&pk, "ns", "default");
	mp_pack_kv_str(&pk, "pod", "api-0");
	mp_pack_key(&pk, "addrs");
	msgpack_pack_array(&pk, 1);
	mp_pack_str(&pk, "10.244.2.9");
	mp_pack_key(&pk, "labels");
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "app", "api");
	mp_pack_key(&pk, "ports");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 3);
	mp_pack_str(&pk, "grpc");
	msgpack_pack_uint8(&pk, IPPROTO_TCP);
	msgpack_pack_uint16(&pk, 9090);
	mp_pack_key(&pk, "uid");
	mp_pack_str(&pk, "7f9c2ba4-e88f-11e9-81b4-2a2ae2dbcce4");
	put_raw("seed-endpoints-extra-keys", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	/* One of each thing a pod may not have, in order. */
	body(&sb, &pk, 6, 1, "endpoints");
	mp_pack_kv_u64(&pk, "gen", 2);
	mp_pack_kv_u64(&pk, "part", 0);
	mp_pack_kv_u64(&pk, "parts", 1);
	mp_pack_key(&pk, "endpoints");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 5);
	mp_pack_kv_str(&pk, "ns", "default");
	mp_pack_kv_str(&pk, "pod", "api-0");
	mp_pack_key(&pk, "addrs");
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, "10.244.2.9");
	mp_pack_str(&pk, "10.244.2.9");
	mp_pack_key(&pk, "labels");
	msgpack_pack_map(&pk, 2);
	mp_pack_kv_str(&pk, "app", "a");
	mp_pack_kv_str(&pk, "app", "b");
	mp_pack_key(&pk, "ports");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 3);
	mp_pack_str(&pk, "HTTP--");
	msgpack_pack_uint8(&pk, IPPROTO_ICMP);
	msgpack_pack_uint16(&pk, 0);
	put_raw("seed-endpoints-bad-pod", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);

	/* The count is checked before the entries: nils keep it small. */
	body(&sb, &pk, 6, 1, "endpoints");
	mp_pack_kv_u64(&pk, "gen", 2);
	mp_pack_kv_u64(&pk, "part", 3);
	mp_pack_kv_u64(&pk, "parts", LINK_MAX_ENDPOINT_PARTS);
	mp_pack_key(&pk, "endpoints");
	msgpack_pack_array(&pk, LINK_MAX_ENDPOINTS + 1);
	for (int i = 0; i <= LINK_MAX_ENDPOINTS; i++)
		msgpack_pack_nil(&pk);
	put_raw("seed-endpoints-too-many", &keyed_d, false, &sb);
	msgpack_sbuffer_destroy(&sb);
}

/* Inputs laid out for build() in fuzz_linkproto.c. */
static void
structs(void)
{
	uint8_t b[256];
	size_t n = 0;

	/* version, type 0 (hello), name length, name, family 1 (IPv6)... */
	b[n++] = 9;
	b[n++] = 0;
	b[n++] = 5;
	memcpy(b + n, "node1", 5);
	n += 5;
	b[n++] = 1;
	memcpy(b + n, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	n += 16;
	memset(b + n, 0x42, 6 + 8 + 8 + LINK_NONCE_LEN);
	n += 6 + 8 + 8 + LINK_NONCE_LEN;
	put("seed-struct-hello", b, n);

	/* version, type 1 (blocks), count 3, generation, then the prefixes. */
	n = 0;
	b[n++] = 1;
	b[n++] = 1;
	b[n++] = 0;
	b[n++] = 3;
	memset(b + n, 0, 8);
	n += 8;
	memcpy(b + n, "\x00\x0a\x01\x00\x00\x18", 6);	/* 10.1.0.0/24 */
	n += 6;
	b[n++] = 0x01;					/* fd00::/8 */
	memcpy(b + n, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	n += 16;
	b[n++] = 8;
	/* 10.1.0.1/24, host bits kept: the seal must refuse it. */
	memcpy(b + n, "\x40\x0a\x01\x00\x01\x18", 6);
	n += 6;
	put("seed-struct-blocks", b, n);

	/*
	 * version, type 5 (endpoints), generation, parts, part, count 2,
	 * then per endpoint: how (0x10: one address), namespace length and
	 * characters, the address (family 0: IPv4), label count, key and
	 * value choices, port count, name and protocol choices, port.
	 */
	memset(b, 0, sizeof(b));
	n = 0;
	b[n++] = 1;
	b[n++] = 5;
	memset(b + n, 0, 7);
	n += 7;
	b[n++] = 7;
	b[n++] = 3;
	b[n++] = 1;
	b[n++] = 2;
	for (int k = 0; k < 2; k++) {
		b[n++] = k ? 0x08 : 0x10;	/* 2 addresses, then 1 */
		b[n++] = 3;
		b[n++] = 0;
		b[n++] = 1;
		b[n++] = 2;
		for (int a = 0; a < (k ? 1 : 2); a++) {
			b[n++] = (uint8_t)a;	/* IPv4, then IPv6 */
			memcpy(b + n, "\x0a\xf4\x01\x05\xfd", 5);
			b[n + 3] = (uint8_t)(5 + k);
			n += a ? 16 : 4;
		}
		b[n++] = 2;
		b[n++] = 0;
		b[n++] = 0;
		b[n++] = 1;
		b[n++] = 1;
		b[n++] = 1;
		b[n++] = (uint8_t)k;	/* http, dns-tcp */
		b[n++] = 0;		/* TCP */
		b[n++] = 0x1f;		/* 8080 */
		b[n++] = 0x90;
	}
	put("seed-struct-endpoints", b, n);
}

int
main(int argc, char **argv)
{
	static const char *const mixed[] = { "10.244.1.0/24", "10.244.2.0/24",
		"fd00:10:244:100::/64", "0.0.0.0/0", "::/0", "192.0.2.7/32",
		"2001:db8::1/128", "::ffff:10.0.0.0/104", NULL };
	static const char *const none[] = { NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	setup();

	hello("node-a", "192.0.2.10");
	put_msg("seed-hello-v4", &fresh_d);
	hello("n", "2001:db8::10");
	memset(msg.u.hello.node, 'n', LINK_NAME_MAX - 1);
	put_msg("seed-hello-v6-long-name", &fresh_d);
	hello("node-b", "192.0.2.11");
	put_msg("seed-hello-from-acceptor", &fresh_a);

	blocks(42, mixed);
	put_msg("seed-blocks-mixed", &keyed_d);
	put_msg("seed-blocks-mixed-from-acceptor", &keyed_a);
	blocks(0, none);
	put_msg("seed-blocks-empty", &keyed_d);
	/* Many, not LINK_MAX_BLOCKS: that would not fit in 4 KiB. */
	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_BLOCKS;
	msg.u.blocks.n = 100;
	for (int i = 0; i < 100; i++) {
		char s[SLUICE_PREFIXSTRLEN];

		snprintf(s, sizeof(s), i % 2 ? "fd00:%x::/32" : "10.%d.0.0/16",
		    i);
		if (sluice_prefix_parse(s, false, &msg.u.blocks.blocks[i]) != 0)
			die(s);
	}
	put_msg("seed-blocks-many", &keyed_d);

	/* Claims by quorum: a claim, its votes, blocks being claimed. */
	blocks(7, mixed);
	if (sluice_prefix_parse("10.244.3.0/26", false,
	    &msg.u.blocks.claiming[0]) != 0)
		die("claiming");
	msg.u.blocks.nclaiming = 1;
	put_msg("seed-blocks-claiming", &keyed_d);
	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_CLAIM;
	msg.u.claim.id = 3;
	if (sluice_prefix_parse("fd00:10:244::40/122", false,
	    &msg.u.claim.block) != 0)
		die("claim");
	put_msg("seed-claim", &keyed_d);
	msg.type = LINK_MSG_VOTE;
	msg.u.vote.id = 3;
	msg.u.vote.block = msg.u.claim.block;
	msg.u.vote.ok = true;
	put_msg("seed-vote-ok", &keyed_a);
	msg.u.vote.ok = false;
	snprintf(msg.u.vote.holder, sizeof(msg.u.vote.holder), "node-c");
	put_msg("seed-vote-refused", &keyed_a);

	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_KEEPALIVE;
	put_msg("seed-keepalive", &keyed_d);
	{
		/* The second keepalive: out of order at sequence 0. */
		struct link_session c = keyed_d;
		msgpack_sbuffer sb;

		msgpack_sbuffer_init(&sb);
		if (link_msg_seal(&c, &msg, &sb) != 0)
			die("keepalive");
		sb.size = 0;
		if (link_msg_seal(&c, &msg, &sb) != 0)
			die("keepalive");
		put("seed-keepalive-seq1", sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
	}

	raw_hellos();
	raw_sessions();
	endpoints();
	structs();

	put("seed-empty", "", 0);
	put("seed-short", "\x82\xa1v\x01\xa1t\xa9keepalive", 15);
	{
		static const uint8_t zero[LINK_TAG_LEN];

		put("seed-tag-only", zero, sizeof(zero));
	}

	link_session_wipe(&fresh_d);
	link_session_wipe(&fresh_a);
	link_session_wipe(&keyed_d);
	link_session_wipe(&keyed_a);
	return failed;
}
