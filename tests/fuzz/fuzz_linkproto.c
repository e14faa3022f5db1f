/*
 * fuzz_linkproto.c - control link payloads (router/linkproto.h), as a
 * node reads them from a peer and writes its own.
 *
 * The sessions use a fixed cluster key and fixed nonces (in place of the
 * random ones), so the target is deterministic and the seeds written by
 * gen_link_seeds.c carry tags that verify: a mutation of a seed reaches
 * the decoder, not just the tag check. The input is used three ways:
 *
 * 1. as a payload, opened by fresh sessions (the hello path) and by keyed
 *    ones (the session path, at sequence 0), as if a peer had sent it;
 * 2. its body (all but the last LINK_TAG_LEN bytes), sealed with
 *    link_frame_seal_raw() so the tag is genuine, then opened: only the
 *    decoder can refuse it now, never the tag. What it accepts is sealed
 *    again with link_msg_seal() and must open to the same message;
 * 3. as the fields of a link_msg, sealed and opened, which must give back
 *    the message, or be refused by link_msg_seal() exactly when a simple
 *    independent check says the message is invalid. For an endpoints
 *    page that check is a table of names and values known good or bad.
 *
 * Besides what ASan and UBSan catch, it aborts when a return value is not
 * one the header documents, a refusal leaves no reason or changes the
 * session, or a round trip loses or changes anything. Every endpoints
 * page opened is freed with link_msg_clear(), so LeakSanitizer sees a
 * decoder that leaks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/addr.h"
#include "router/endpoints.h"
#include "router/linkproto.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Must match gen_link_seeds.c, or the seeds' tags stop verifying. */
#define FUZZ_KEY_BYTE 0x5a
#define FUZZ_DIALER_NONCE_BYTE 0xd1
#define FUZZ_ACCEPTOR_NONCE_BYTE 0xac

/* Templates, copied for each use so every input starts from the same state. */
static struct link_session fresh_d, fresh_a, keyed_d, keyed_a;
/* Too big for a fuzzer's stack frames, and reused. */
static struct link_msg msg, got, again;

static void
pass(struct link_session *from, struct link_session *to)
{
	msgpack_sbuffer sb;
	char err[256];

	msgpack_sbuffer_init(&sb);
	CHECK(link_msg_seal(from, &msg, &sb) == 0);
	if (link_msg_open(to, (const uint8_t *)sb.data, sb.size, &got, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		abort();
	}
	msgpack_sbuffer_destroy(&sb);
}

static void
setup(void)
{
	uint8_t key[LINK_KEY_LEN];

	memset(key, FUZZ_KEY_BYTE, sizeof(key));
	link_session_init(&fresh_d, key, true);
	link_session_init(&fresh_a, key, false);
	memset(fresh_d.my_nonce, FUZZ_DIALER_NONCE_BYTE, LINK_NONCE_LEN);
	memset(fresh_a.my_nonce, FUZZ_ACCEPTOR_NONCE_BYTE, LINK_NONCE_LEN);
	keyed_d = fresh_d;
	keyed_a = fresh_a;

	memset(&msg, 0, sizeof(msg));
	msg.type = LINK_MSG_HELLO;
	strcpy(msg.u.hello.node, "fuzz");
	CHECK(sluice_addr_parse("192.0.2.1", &msg.u.hello.underlay) == 0);
	pass(&keyed_d, &keyed_a);
	pass(&keyed_a, &keyed_d);
	CHECK(keyed_d.keyed && keyed_a.keyed);
}

static bool
same_session(const struct link_session *a, const struct link_session *b)
{
	return a->keyed == b->keyed && a->dialer == b->dialer &&
	    a->send_seq == b->send_seq && a->recv_seq == b->recv_seq &&
	    memcmp(a->cluster_key, b->cluster_key, LINK_KEY_LEN) == 0 &&
	    memcmp(a->my_nonce, b->my_nonce, LINK_NONCE_LEN) == 0 &&
	    (!a->keyed ||
	    (memcmp(a->peer_nonce, b->peer_nonce, LINK_NONCE_LEN) == 0 &&
	    memcmp(a->session_key, b->session_key, LINK_KEY_LEN) == 0));
}

static void
check_prefix(const struct sluice_prefix *p)
{
	CHECK(sluice_addr_len(p->addr.family) != 0);
	CHECK(p->len <= 8 * sluice_addr_len(p->addr.family));
}

static void
check_same_prefix(const struct sluice_prefix *x, const struct sluice_prefix *y)
{
	CHECK(x->len == y->len);
	CHECK(sluice_addr_eq(&x->addr, &y->addr));
}

/* What any successfully opened message must look like. */
static void
check_sane(const struct link_msg *m)
{
	CHECK(m->version >= 1);
	CHECK(m->type >= LINK_MSG_HELLO && m->type <= LINK_MSG_UNKNOWN);
	switch (m->type) {
	case LINK_MSG_HELLO:
		CHECK(m->u.hello.node[0] != '\0');
		CHECK(memchr(m->u.hello.node, '\0', LINK_NAME_MAX) != NULL);
		CHECK(sluice_addr_len(m->u.hello.underlay.family) != 0);
		break;
	case LINK_MSG_BLOCKS:
		CHECK(m->u.blocks.n <= LINK_MAX_BLOCKS);
		CHECK(m->u.blocks.nclaiming <= LINK_MAX_CLAIMING);
		for (uint32_t i = 0; i < m->u.blocks.n; i++)
			check_prefix(&m->u.blocks.blocks[i]);
		for (uint32_t i = 0; i < m->u.blocks.nclaiming; i++)
			check_prefix(&m->u.blocks.claiming[i]);
		break;
	case LINK_MSG_CLAIM:
		check_prefix(&m->u.claim.block);
		break;
	case LINK_MSG_VOTE:
		check_prefix(&m->u.vote.block);
		CHECK(memchr(m->u.vote.holder, '\0', LINK_NAME_MAX) != NULL);
		break;
	case LINK_MSG_ENDPOINTS: {
		const struct link_endpoints *e = &m->u.endpoints;

		CHECK(e->parts >= 1 && e->parts <= LINK_MAX_ENDPOINT_PARTS);
		CHECK(e->part < e->parts);
		CHECK(e->n <= LINK_MAX_ENDPOINTS);
		CHECK((e->n == 0) == (e->v == NULL));
		for (uint32_t i = 0; i < e->n; i++)
			CHECK(endpoint_validate(&e->v[i], NULL, 0) == 0);
		break;
	}
	default:
		break;
	}
}

static void
check_same(const struct link_msg *a, const struct link_msg *b)
{
	CHECK(a->type == b->type);
	if (a->type == LINK_MSG_HELLO) {
		const struct link_hello *x = &a->u.hello, *y = &b->u.hello;

		CHECK(strcmp(x->node, y->node) == 0);
		CHECK(sluice_addr_eq(&x->underlay, &y->underlay));
		CHECK(memcmp(x->vtep_mac, y->vtep_mac, 6) == 0);
		CHECK(x->caps == y->caps);
		CHECK(x->incarnation == y->incarnation);
	} else if (a->type == LINK_MSG_BLOCKS) {
		const struct link_blocks *x = &a->u.blocks, *y = &b->u.blocks;

		CHECK(x->generation == y->generation);
		CHECK(x->n == y->n);
		CHECK(x->nclaiming == y->nclaiming);
		for (uint32_t i = 0; i < x->n; i++)
			check_same_prefix(&x->blocks[i], &y->blocks[i]);
		for (uint32_t i = 0; i < x->nclaiming; i++)
			check_same_prefix(&x->claiming[i], &y->claiming[i]);
	} else if (a->type == LINK_MSG_CLAIM) {
		CHECK(a->u.claim.id == b->u.claim.id);
		check_same_prefix(&a->u.claim.block, &b->u.claim.block);
	} else if (a->type == LINK_MSG_ENDPOINTS) {
		const struct link_endpoints *x = &a->u.endpoints;
		const struct link_endpoints *y = &b->u.endpoints;

		CHECK(x->generation == y->generation);
		CHECK(x->part == y->part && x->parts == y->parts);
		CHECK(x->n == y->n);
		for (uint32_t i = 0; i < x->n; i++)
			CHECK(endpoint_eq(&x->v[i], &y->v[i]));
	} else if (a->type == LINK_MSG_VOTE) {
		const struct link_vote *x = &a->u.vote, *y = &b->u.vote;

		CHECK(x->id == y->id && x->ok == y->ok);
		/* A holder goes with a refusal only. */
		if (x->ok)
			CHECK(y->holder[0] == '\0');
		else
			CHECK(strcmp(x->holder, y->holder) == 0);
		check_same_prefix(&x->block, &y->block);
	}
}

/* Opens payload on a copy of tmpl as a peer's frame; returns the result. */
static int
open_on(const struct link_session *tmpl, const uint8_t *payload, size_t len,
    struct link_msg *out)
{
	struct link_session s = *tmpl;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = link_msg_open(&s, payload, len, out, err, sizeof(err));
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO || rc == -EACCES ||
	    rc == -ENOMEM);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc != 0) {
		CHECK(err[0] != '\0');
		CHECK(same_session(&s, tmpl));
	} else {
		CHECK(err[0] == '\0');
		check_sane(out);
		if (out->type == LINK_MSG_HELLO) {
			CHECK(!tmpl->keyed && s.keyed);
			CHECK(memcmp(s.peer_nonce, out->u.hello.nonce,
			    LINK_NONCE_LEN) == 0);
		} else {
			CHECK(tmpl->keyed);
			CHECK(s.recv_seq == tmpl->recv_seq + 1);
		}
		link_msg_clear(out);
	}
	return rc;
}

/*
 * Seals body with a genuine tag from a copy of from, opens it on a copy of
 * to, and whatever opens, seals again properly and opens again.
 */
static void
reseal(const struct link_session *from, const struct link_session *to,
    bool hello, const uint8_t *body, size_t len)
{
	struct link_session d = *from, a = *to;
	msgpack_sbuffer sb;
	char err[256];
	int rc;

	msgpack_sbuffer_init(&sb);
	rc = link_frame_seal_raw(&d, hello, body, len, &sb);
	CHECK(rc == 0 || (rc == -EMSGSIZE &&
	    len > LINK_MAX_PAYLOAD - LINK_TAG_LEN));
	if (rc != 0)
		goto out;
	CHECK(sb.size == len + LINK_TAG_LEN);
	rc = link_msg_open(&a, (const uint8_t *)sb.data, sb.size, &got, err,
	    sizeof(err));
	/* The tag is genuine: only the body can be refused. */
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO || rc == -ENOMEM);
	if (rc != 0 || got.type == LINK_MSG_UNKNOWN)
		goto out;
	check_sane(&got);

	/* Our own encoding of what we read must read the same. */
	if (hello) {
		d = *from;
		a = *to;
	}
	sb.size = 0;
	CHECK(link_msg_seal(&d, &got, &sb) == 0);
	if (link_msg_open(&a, (const uint8_t *)sb.data, sb.size, &again, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "resealed %s does not open: %s\n",
		    link_msg_type_name(got.type), err);
		abort();
	}
	CHECK(again.version == LINK_PROTO_VERSION);
	check_same(&got, &again);
	if (hello)
		CHECK(memcmp(again.u.hello.nonce, from->my_nonce,
		    LINK_NONCE_LEN) == 0);
	link_msg_clear(&again);
out:
	if (rc == 0)
		link_msg_clear(&got);
	msgpack_sbuffer_destroy(&sb);
}

/* Reads the input as fields; past its end, every byte is 0. */
struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t
byte(struct reader *r)
{
	uint8_t b = 0;

	if (r->n > 0) {
		b = *r->p++;
		r->n--;
	}
	return b;
}

static uint64_t
u64(struct reader *r, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | byte(r);
	return v;
}

static int
family(struct reader *r)
{
	switch (byte(r) % 3) {
	case 0:
		return AF_INET;
	case 1:
		return AF_INET6;
	default:
		return 0;
	}
}

/* True if no bit of a beyond the first len is set (the reference check). */
static bool
host_bits_zero(const struct sluice_addr *a, unsigned len)
{
	size_t bits = 8 * sluice_addr_len(a->family);

	for (size_t i = len; i < bits; i++)
		if (a->u.b[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void
clear_host_bits(struct sluice_addr *a, unsigned len)
{
	size_t bits = 8 * sluice_addr_len(a->family);

	for (size_t i = len; i < bits; i++)
		a->u.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* A prefix from r, mostly clean; returns whether a peer would accept it. */
static bool
build_prefix(struct reader *r, struct sluice_prefix *p)
{
	uint8_t how = byte(r);
	unsigned max;

	p->addr.family = how & 1 ? AF_INET6 : AF_INET;
	if ((how & 0x0e) == 0x0e)
		p->addr.family = 0;
	max = 8 * (unsigned)sluice_addr_len(p->addr.family);
	for (size_t j = 0; j < sluice_addr_len(p->addr.family); j++)
		p->addr.u.b[j] = byte(r);
	p->len = byte(r);
	if (!(how & 0x80))
		p->len = (uint8_t)(p->len % (max + 1));
	if (!(how & 0x40))
		clear_host_bits(&p->addr, p->len);
	return p->addr.family != 0 && p->len <= max &&
	    host_bits_zero(&p->addr, p->len);
}

/*
 * Endpoints for build(): a few per page, their labels and ports in
 * static storage (sealing only reads them). Each name or value comes
 * from a table that says whether a peer must accept it.
 */
#define FUZZ_EPS 3
#define FUZZ_EP_ITEMS 4

static struct endpoint eps[FUZZ_EPS];
static struct sluice_label labels[FUZZ_EPS][FUZZ_EP_ITEMS];
static struct endpoint_port ports[FUZZ_EPS][FUZZ_EP_ITEMS];
static char long_label[ENDPOINT_LABEL_MAX + 1];

struct choice {
	const char *s;
	bool ok;
};

static const struct choice label_keys[] = {
	{ "app", true }, { "tier", true }, { "app.kubernetes.io/name", true },
	{ "", false }, { long_label, false }, { "a", true },
};
static const struct choice label_values[] = {
	{ "web", true }, { "", true }, { "x y", true }, { long_label, false },
};
static const struct choice port_names[] = {
	{ "http", true }, { "dns-tcp", true }, { "metrics9", true },
	{ "abcdefghijklmno", true }, { "", false }, { "HTTP", false },
	{ "8080", false }, { "a--b", false }, { "-http", false },
	{ "http-", false }, { "h_t", false },
};

static bool
addr_ok_pair(const struct sluice_addr *a, const struct sluice_addr *b)
{
	return !(a->family == b->family &&
	    memcmp(a->u.b, b->u.b, sluice_addr_len(a->family)) == 0);
}

static bool
build_endpoint(struct reader *r, size_t k)
{
	struct endpoint *ep = &eps[k];
	uint8_t how = byte(r);
	bool valid = true;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	n = byte(r) % 8;
	for (size_t i = 0; i < n; i++)
		ep->ns[i] = "ns-\0"[byte(r) % 4];
	if (how & 1)
		memset(ep->ns, 'n', sizeof(ep->ns));
	n = strnlen(ep->ns, sizeof(ep->ns));
	valid = n > 0 && n < sizeof(ep->ns);
	snprintf(ep->pod, sizeof(ep->pod), "pod-%zu", k);
	if (how & 2)
		ep->pod[0] = '\0';
	if (how & 4)
		memset(ep->pod, 'p', sizeof(ep->pod));
	valid = valid && !(how & 6);

	ep->naddrs = (how >> 3) % 4;
	valid = valid && ep->naddrs >= 1 && ep->naddrs <= ENDPOINT_ADDRS_MAX;
	for (size_t i = 0; i < ep->naddrs && i < ENDPOINT_ADDRS_MAX; i++) {
		struct sluice_addr *a = &ep->addrs[i];

		a->family = family(r);
		for (size_t j = 0; j < sluice_addr_len(a->family); j++)
			a->u.b[j] = byte(r);
		valid = valid && a->family != 0;
		for (size_t j = 0; j < i; j++)
			valid = valid && addr_ok_pair(a, &ep->addrs[j]);
	}

	n = byte(r);
	ep->labels = labels[k];
	ep->nlabels = (how & 0x80) ? ENDPOINT_LABELS_MAX + 1 :
	    n % (FUZZ_EP_ITEMS + 1);
	valid = valid && !(how & 0x80);
	for (size_t i = 0; i < ep->nlabels && i < FUZZ_EP_ITEMS; i++) {
		const struct choice *key = &label_keys[byte(r) %
		    (sizeof(label_keys) / sizeof(label_keys[0]))];
		const struct choice *val = &label_values[byte(r) %
		    (sizeof(label_values) / sizeof(label_values[0]))];

		labels[k][i].key = key->s;
		labels[k][i].value = val->s;
		valid = valid && key->ok && val->ok;
		for (size_t j = 0; j < i; j++)
			valid = valid && strcmp(key->s, labels[k][j].key) != 0;
	}

	n = byte(r);
	ep->ports = ports[k];
	ep->nports = (how & 0x40) ? ENDPOINT_PORTS_MAX + 1 :
	    n % (FUZZ_EP_ITEMS + 1);
	valid = valid && !(how & 0x40);
	for (size_t i = 0; i < ep->nports && i < FUZZ_EP_ITEMS; i++) {
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
			IPPROTO_SCTP, 0, IPPROTO_ICMP };
		const struct choice *name = &port_names[byte(r) %
		    (sizeof(port_names) / sizeof(port_names[0]))];
		uint8_t proto = protos[byte(r) % sizeof(protos)];
		struct endpoint_port *p = &ports[k][i];

		snprintf(p->name, sizeof(p->name), "%s", name->s);
		p->proto = proto;
		p->port = (uint16_t)u64(r, 2);
		valid = valid && name->ok && p->port != 0 &&
		    (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		    proto == IPPROTO_SCTP);
		for (size_t j = 0; j < i; j++)
			valid = valid && strcmp(p->name, ports[k][j].name) != 0;
	}
	return valid;
}

/* Builds msg from r; returns whether link_msg_seal() must accept it. */
static bool
build(struct reader *r, struct link_msg *m)
{
	bool valid = true;

	memset(m, 0, sizeof(*m));
	/* Garbage that sealing must ignore. */
	m->version = (uint32_t)u64(r, 1);
	switch (byte(r) % 7) {
	case 0: {
		struct link_hello *h = &m->u.hello;
		size_t n = byte(r) % (LINK_NAME_MAX + 2);

		m->type = LINK_MSG_HELLO;
		for (size_t i = 0; i < n && i < LINK_NAME_MAX; i++)
			h->node[i] = (char)byte(r);
		n = strnlen(h->node, LINK_NAME_MAX);
		valid = n > 0 && n < LINK_NAME_MAX;
		h->underlay.family = family(r);
		for (size_t i = 0; i < 16; i++)
			h->underlay.u.b[i] = byte(r);
		valid = valid && h->underlay.family != 0;
		for (size_t i = 0; i < 6; i++)
			h->vtep_mac[i] = byte(r);
		h->caps = u64(r, 8);
		h->incarnation = u64(r, 8);
		for (size_t i = 0; i < LINK_NONCE_LEN; i++)
			h->nonce[i] = byte(r);
		break;
	}
	case 1: {
		struct link_blocks *b = &m->u.blocks;
		uint32_t n = (uint32_t)u64(r, 2) % (LINK_MAX_BLOCKS + 2);

		m->type = LINK_MSG_BLOCKS;
		b->generation = u64(r, 8);
		b->n = n;
		valid = n <= LINK_MAX_BLOCKS;
		for (uint32_t i = 0; i < n && i < LINK_MAX_BLOCKS; i++)
			valid = build_prefix(r, &b->blocks[i]) && valid;
		n = byte(r) % (LINK_MAX_CLAIMING + 2);
		b->nclaiming = n;
		valid = valid && n <= LINK_MAX_CLAIMING;
		for (uint32_t i = 0; i < n && i < LINK_MAX_CLAIMING; i++)
			valid = build_prefix(r, &b->claiming[i]) && valid;
		break;
	}
	case 3:
		m->type = LINK_MSG_CLAIM;
		m->u.claim.id = u64(r, 8);
		valid = build_prefix(r, &m->u.claim.block);
		break;
	case 4: {
		struct link_vote *v = &m->u.vote;
		size_t n = byte(r) % (LINK_NAME_MAX + 2);

		m->type = LINK_MSG_VOTE;
		v->id = u64(r, 8);
		v->ok = byte(r) & 1;
		for (size_t i = 0; i < n && i < LINK_NAME_MAX; i++)
			v->holder[i] = (char)byte(r);
		valid = build_prefix(r, &v->block) &&
		    memchr(v->holder, '\0', LINK_NAME_MAX) != NULL;
		break;
	}
	case 2:
		m->type = LINK_MSG_KEEPALIVE;
		break;
	case 5: {
		struct link_endpoints *e = &m->u.endpoints;

		m->type = LINK_MSG_ENDPOINTS;
		e->generation = u64(r, 8);
		e->parts = byte(r) % (LINK_MAX_ENDPOINT_PARTS + 2);
		e->part = byte(r) % (e->parts + 2);
		valid = e->parts >= 1 && e->parts <= LINK_MAX_ENDPOINT_PARTS &&
		    e->part < e->parts;
		e->n = byte(r) % (FUZZ_EPS + 1);
		e->v = e->n > 0 ? eps : NULL;
		for (uint32_t i = 0; i < e->n; i++)
			valid = build_endpoint(r, i) && valid;
		break;
	}
	default:
		m->type = LINK_MSG_UNKNOWN;
		valid = false;
		break;
	}
	return valid;
}

static void
round_trip(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct link_session d, a;
	msgpack_sbuffer sb;
	char err[256];
	bool valid, hello;
	int rc;

	valid = build(&r, &msg);
	hello = msg.type == LINK_MSG_HELLO;
	d = hello ? fresh_d : keyed_d;
	a = hello ? fresh_a : keyed_a;
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "hdr", 3);
	rc = link_msg_seal(&d, &msg, &sb);
	if (!valid) {
		CHECK(rc == -EINVAL);
		CHECK(sb.size == 3);
		CHECK(same_session(&d, hello ? &fresh_d : &keyed_d));
		goto out;
	}
	CHECK(rc == 0);
	CHECK(sb.size <= 3 + LINK_MAX_PAYLOAD);
	if (link_msg_open(&a, (const uint8_t *)sb.data + 3, sb.size - 3, &got,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "sealed %s does not open: %s\n",
		    link_msg_type_name(msg.type), err);
		abort();
	}
	CHECK(got.version == LINK_PROTO_VERSION);
	check_same(&msg, &got);
	if (hello)
		CHECK(memcmp(got.u.hello.nonce, fresh_d.my_nonce,
		    LINK_NONCE_LEN) == 0);
	else
		CHECK(d.send_seq == 1 && a.recv_seq == 1);
	link_msg_clear(&got);
out:
	msgpack_sbuffer_destroy(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		memset(long_label, 'x', ENDPOINT_LABEL_MAX);
		setup();
		ready = true;
	}

	/* 1. A peer's payload, on each side, before and after the hellos. */
	open_on(&fresh_a, data, size, &got);
	open_on(&fresh_d, data, size, &got);
	open_on(&keyed_a, data, size, &got);
	open_on(&keyed_d, data, size, &got);

	/* 2. Its body, with a genuine tag, both ways and both kinds. */
	if (size >= LINK_TAG_LEN) {
		size_t blen = size - LINK_TAG_LEN;

		reseal(&fresh_d, &fresh_a, true, data, blen);
		reseal(&keyed_a, &keyed_d, false, data, blen);
	}

	/* 3. Its bytes as a message. */
	round_trip(data, size);
	return 0;
}
