/*
 * common_test.c - frame reader, mp_check(), the status socket protocol
 * and the log helpers.
 *
 * The frame reader is checked against a reference that knows where every
 * frame starts (it built the stream), fed in random chunk sizes. mp_check()
 * is checked against msgpack-c: whatever msgpack-c packs must pass, every
 * truncation of it must fail, and whatever mp_check() passes, msgpack-c
 * must unpack exactly.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "common/ctlproto.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/mp.h"
#include "tests/unit/check.h"

/*
 * Under ASan, watch the size of every allocation, so a test can show that
 * a hostile header never reaches an allocator.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_MALLOC_HOOKS 1
#endif
#endif
#if !defined(HAVE_MALLOC_HOOKS) && defined(__SANITIZE_ADDRESS__)
#define HAVE_MALLOC_HOOKS 1
#endif

#ifdef HAVE_MALLOC_HOOKS
#include <sanitizer/allocator_interface.h>

static volatile int watching;
static volatile size_t biggest;

static void
on_malloc(const volatile void *p, size_t size)
{
	if (watching && size > biggest)
		biggest = size;
}

static void
on_free(const volatile void *p)
{
}
#endif

/* ------------------------------------------------------------------ */
/* frame.h */

#define FR_MAX 300

struct expect {
	uint8_t **payloads;	/* what must come out, in order */
	size_t *lens;
	size_t n;
	size_t next;		/* index of the next frame expected */
	size_t fail_at;		/* cb fails on it; SIZE_MAX: never */
};

static int
expect_cb(void *arg, const uint8_t *payload, size_t len)
{
	struct expect *e = arg;

	ASSERT(e->next < e->n);
	ASSERT_EQ(len, e->lens[e->next]);
	if (len > 0)
		ASSERT_MEM_EQ(payload, e->payloads[e->next], len);
	if (e->next++ == e->fail_at)
		return -ECANCELED;
	return 0;
}

/* Builds n random frames into one stream; lengths favour 0 and FR_MAX. */
static uint8_t *
build_stream(struct expect *e, size_t n, size_t *slen)
{
	uint8_t *s;
	size_t pos = 0, total = 0;

	e->payloads = calloc(n, sizeof(*e->payloads));
	e->lens = calloc(n, sizeof(*e->lens));
	ASSERT(e->payloads != NULL && e->lens != NULL);
	e->n = n;
	e->next = 0;
	e->fail_at = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		switch (check_below(6)) {
		case 0:
			e->lens[i] = 0;
			break;
		case 1:
			e->lens[i] = FR_MAX;
			break;
		case 2:
			e->lens[i] = 1 + check_below(3);
			break;
		default:
			e->lens[i] = check_below(FR_MAX + 1);
			break;
		}
		e->payloads[i] = malloc(e->lens[i] + 1);
		ASSERT(e->payloads[i] != NULL);
		for (size_t j = 0; j < e->lens[i]; j++)
			e->payloads[i][j] = (uint8_t)check_rand();
		total += FRAME_HDR_LEN + e->lens[i];
	}
	s = malloc(total + 1);
	ASSERT(s != NULL);
	for (size_t i = 0; i < n; i++) {
		frame_header_put(s + pos, (uint32_t)e->lens[i]);
		pos += FRAME_HDR_LEN;
		memcpy(s + pos, e->payloads[i], e->lens[i]);
		pos += e->lens[i];
	}
	*slen = total;
	return s;
}

static void
expect_free(struct expect *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->payloads[i]);
	free(e->payloads);
	free(e->lens);
}

static void
test_frame_header(void)
{
	static const uint32_t v[] = { 0, 1, 0xff, 0x100, 0x01020304,
		0x7fffffff, 0x80000000, 0xffffffff };
	uint8_t h[FRAME_HDR_LEN];

	frame_header_put(h, 0x01020304);
	ASSERT(h[0] == 1 && h[1] == 2 && h[2] == 3 && h[3] == 4);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		frame_header_put(h, v[i]);
		ASSERT_EQ(frame_header_get(h), v[i]);
	}
}

/*
 * Differential: every payload comes out exactly once, in order, whatever
 * the chunking. Chunk modes: 1 byte, small, random up to the whole rest,
 * and the whole stream at once.
 */
static void
test_frame_differential(void)
{
	for (int round = 0; round < 200; round++) {
		struct frame_reader fr;
		struct expect e;
		size_t slen, pos = 0, n = 1 + check_below(40);
		uint8_t *s = build_stream(&e, n, &slen);
		int mode = round % 4;

		ASSERT_OK(frame_reader_init(&fr, FR_MAX));
		ASSERT(!frame_reader_partial(&fr));
		while (pos < slen) {
			size_t chunk;

			switch (mode) {
			case 0:
				chunk = 1;
				break;
			case 1:
				chunk = 1 + check_below(7);
				break;
			case 2:
				chunk = 1 + check_below(slen - pos);
				break;
			default:
				chunk = slen - pos;
				break;
			}
			if (chunk > slen - pos)
				chunk = slen - pos;
			ASSERT_OK(frame_reader_feed(&fr, s + pos, chunk,
			    expect_cb, &e));
			pos += chunk;
		}
		ASSERT_EQ(e.next, e.n);
		ASSERT(!frame_reader_partial(&fr));
		frame_reader_free(&fr);
		expect_free(&e);
		free(s);
	}
}

static void
test_frame_partial(void)
{
	static uint8_t five[5] = { 'h', 'e', 'l', 'l', 'o' };
	uint8_t *pl[2] = { NULL, five };
	size_t lens[2] = { 0, 5 };
	struct expect e = { pl, lens, 2, 0, SIZE_MAX };
	uint8_t st[FRAME_HDR_LEN * 2 + 5];
	struct frame_reader fr;

	/* Two frames, fed a byte at a time: 0 bytes, then 5 bytes. */
	frame_header_put(st, 0);
	frame_header_put(st + FRAME_HDR_LEN, 5);
	memcpy(st + 2 * FRAME_HDR_LEN, five, 5);
	ASSERT_OK(frame_reader_init(&fr, 16));
	for (size_t i = 0; i < sizeof(st); i++) {
		ASSERT_OK(frame_reader_feed(&fr, st + i, 1, expect_cb, &e));
		/* A frame is partial until its last byte is in. */
		if (i == FRAME_HDR_LEN - 1 || i == sizeof(st) - 1)
			ASSERT(!frame_reader_partial(&fr));
		else
			ASSERT(frame_reader_partial(&fr));
		if (i == FRAME_HDR_LEN - 1)
			ASSERT_EQ(e.next, 1);
	}
	ASSERT_EQ(e.next, 2);
	/* Feeding nothing is harmless. */
	ASSERT_OK(frame_reader_feed(&fr, st, 0, expect_cb, &e));
	ASSERT(!frame_reader_partial(&fr));
	frame_reader_free(&fr);
}

static void
test_frame_zero_length(void)
{
	struct frame_reader fr;
	uint8_t st[FRAME_HDR_LEN * 50];
	size_t lens[50] = { 0 };
	uint8_t *pl[50] = { NULL };
	struct expect e = { pl, lens, 50, 0, SIZE_MAX };

	memset(st, 0, sizeof(st));
	/* A reader that accepts only empty frames still works. */
	ASSERT_OK(frame_reader_init(&fr, 0));
	ASSERT_OK(frame_reader_feed(&fr, st, sizeof(st), expect_cb, &e));
	ASSERT_EQ(e.next, 50);
	ASSERT(!frame_reader_partial(&fr));
	frame_reader_free(&fr);
}

static int
never_cb(void *arg, const uint8_t *payload, size_t len)
{
	CHECK_FAIL("callback called for a frame of %zu bytes", len);
	return 0;
}

static void
test_frame_too_big(void)
{
	struct frame_reader fr;
	uint8_t st[FRAME_HDR_LEN + 8];
	uint8_t pl[FR_MAX];
	uint8_t *pls[1] = { pl };
	size_t lens[1] = { FR_MAX };
	struct expect e = { pls, lens, 1, 0, SIZE_MAX };
	uint8_t *big;

	/* Exactly max is fine. */
	memset(pl, 0xab, sizeof(pl));
	big = malloc(FRAME_HDR_LEN + FR_MAX);
	ASSERT(big != NULL);
	frame_header_put(big, FR_MAX);
	memcpy(big + FRAME_HDR_LEN, pl, FR_MAX);
	ASSERT_OK(frame_reader_init(&fr, FR_MAX));
	ASSERT_OK(frame_reader_feed(&fr, big, FRAME_HDR_LEN + FR_MAX,
	    expect_cb, &e));
	ASSERT_EQ(e.next, 1);
	free(big);

	/* max + 1 is refused as soon as the header is complete. */
	memset(st, 0, sizeof(st));
	frame_header_put(st, FR_MAX + 1);
	for (size_t i = 0; i < FRAME_HDR_LEN - 1; i++)
		ASSERT_OK(frame_reader_feed(&fr, st + i, 1, never_cb, NULL));
	ASSERT_EQ(frame_reader_feed(&fr, st + FRAME_HDR_LEN - 1, 1, never_cb,
	    NULL), -EMSGSIZE);
	/* The stream cannot be resynchronised: it stays refused. */
	ASSERT_EQ(frame_reader_feed(&fr, st + FRAME_HDR_LEN, 8, never_cb,
	    NULL), -EMSGSIZE);
	frame_reader_free(&fr);

	/* The whole header in one go, and the largest possible length. */
	ASSERT_OK(frame_reader_init(&fr, FR_MAX));
	frame_header_put(st, 0xffffffff);
	ASSERT_EQ(frame_reader_feed(&fr, st, sizeof(st), never_cb, NULL),
	    -EMSGSIZE);
	frame_reader_free(&fr);

	/* After a good frame in the same chunk. */
	ASSERT_OK(frame_reader_init(&fr, 4));
	{
		uint8_t two[FRAME_HDR_LEN * 2 + 1];
		uint8_t one = 7, *p1[1] = { &one };
		size_t l1[1] = { 1 };
		struct expect e1 = { p1, l1, 1, 0, SIZE_MAX };

		frame_header_put(two, 1);
		two[FRAME_HDR_LEN] = 7;
		frame_header_put(two + FRAME_HDR_LEN + 1, 5);
		ASSERT_EQ(frame_reader_feed(&fr, two, sizeof(two), expect_cb,
		    &e1), -EMSGSIZE);
		ASSERT_EQ(e1.next, 1);
	}
	frame_reader_free(&fr);
}

/* A callback's error stops the feed; the frames after it are not seen. */
static void
test_frame_cb_error(void)
{
	for (int round = 0; round < 50; round++) {
		struct frame_reader fr;
		struct expect e;
		size_t slen, n = 2 + check_below(10);
		uint8_t *s = build_stream(&e, n, &slen);

		e.fail_at = check_below(n);
		ASSERT_OK(frame_reader_init(&fr, FR_MAX));
		ASSERT_EQ(frame_reader_feed(&fr, s, slen, expect_cb, &e),
		    -ECANCELED);
		ASSERT_EQ(e.next, e.fail_at + 1);
		/* The failed frame was consumed, not left half-read. */
		ASSERT(!frame_reader_partial(&fr));
		frame_reader_free(&fr);
		expect_free(&e);
		free(s);
	}
}

static void
test_frame_free(void)
{
	struct frame_reader fr;

	frame_reader_free(NULL);
	ASSERT_OK(frame_reader_init(&fr, 10));
	frame_reader_free(&fr);
	ASSERT(fr.buf == NULL);
	frame_reader_free(&fr);	/* twice is harmless */
}

/* ------------------------------------------------------------------ */
/* mp.h: mp_check() against msgpack-c */

struct gen {
	size_t bytes;		/* payload bytes left to spend on blobs */
	size_t objs;		/* objects left */
	unsigned max_nest;	/* deepest container nesting allowed */
};

static void
pack_blob_body(msgpack_packer *pk, int kind, size_t n)
{
	char buf[256];

	while (n > 0) {
		size_t c = n < sizeof(buf) ? n : sizeof(buf);

		for (size_t i = 0; i < c; i++)
			buf[i] = (char)check_rand();
		if (kind == 0)
			msgpack_pack_str_body(pk, buf, c);
		else if (kind == 1)
			msgpack_pack_bin_body(pk, buf, c);
		else if (kind == 2)
			msgpack_pack_ext_body(pk, buf, c);
		else
			msgpack_pack_v4raw_body(pk, buf, c);
		n -= c;
	}
}

/* A blob length that hits the encodings' boundaries, within budget. */
static size_t
blob_len(struct gen *g)
{
	static const size_t edges[] = { 0, 1, 2, 4, 8, 16, 31, 32, 255, 256,
		65535, 65536 };
	size_t n;

	if (check_below(3) == 0)
		n = edges[check_below(sizeof(edges) / sizeof(edges[0]))];
	else
		n = check_below(40);
	if (n > g->bytes)
		n = g->bytes < 40 ? g->bytes : check_below(40);
	if (n > g->bytes)
		n = g->bytes;
	g->bytes -= n;
	return n;
}

/*
 * Packs one random object and returns its nesting: the number of
 * non-empty containers on the deepest path. Empty containers do not
 * count, for mp_check() and msgpack-c alike: they hold nothing to descend
 * into.
 */
static unsigned
gen_obj(msgpack_packer *pk, struct gen *g, unsigned nest)
{
	unsigned deepest = 0;
	size_t n;

	if (g->objs > 0)
		g->objs--;
	switch (check_below(nest < g->max_nest && g->objs > 0 ? 14 : 11)) {
	case 0:
		msgpack_pack_nil(pk);
		break;
	case 1:
		if (check_below(2))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case 2:
		msgpack_pack_uint64(pk, check_rand() >> check_below(64));
		break;
	case 3:
		msgpack_pack_int64(pk, (int64_t)check_rand() >>
		    check_below(64));
		break;
	case 4:
		switch (check_below(8)) {
		case 0:
			msgpack_pack_fix_uint8(pk, (uint8_t)check_rand());
			break;
		case 1:
			msgpack_pack_fix_uint16(pk, (uint16_t)check_rand());
			break;
		case 2:
			msgpack_pack_fix_uint32(pk, (uint32_t)check_rand());
			break;
		case 3:
			msgpack_pack_fix_uint64(pk, check_rand());
			break;
		case 4:
			msgpack_pack_fix_int8(pk, (int8_t)check_rand());
			break;
		case 5:
			msgpack_pack_fix_int16(pk, (int16_t)check_rand());
			break;
		case 6:
			msgpack_pack_fix_int32(pk, (int32_t)check_rand());
			break;
		default:
			msgpack_pack_fix_int64(pk, (int64_t)check_rand());
			break;
		}
		break;
	case 5: {
		uint64_t bits = check_rand();
		double d;
		float f;

		if (check_below(2)) {
			memcpy(&d, &bits, sizeof(d));
			msgpack_pack_double(pk, d);
		} else {
			uint32_t b32 = (uint32_t)bits;

			memcpy(&f, &b32, sizeof(f));
			msgpack_pack_float(pk, f);
		}
		break;
	}
	case 6:
	case 7:
		n = blob_len(g);
		msgpack_pack_str(pk, n);
		pack_blob_body(pk, 0, n);
		break;
	case 8:
		n = blob_len(g);
		msgpack_pack_bin(pk, n);
		pack_blob_body(pk, 1, n);
		break;
	case 9:
		n = blob_len(g);
		msgpack_pack_ext(pk, n, (int8_t)check_rand());
		pack_blob_body(pk, 2, n);
		break;
	case 10:
		n = blob_len(g);
		msgpack_pack_v4raw(pk, n);
		pack_blob_body(pk, 3, n);
		break;
	case 11:
	case 12:
		n = check_below(3) == 0 ? 16 + check_below(8) : check_below(6);
		if (n > g->objs)
			n = g->objs;
		msgpack_pack_array(pk, n);
		for (size_t i = 0; i < n; i++) {
			unsigned d = gen_obj(pk, g, nest + 1);

			if (d > deepest)
				deepest = d;
		}
		if (n > 0)
			deepest++;
		break;
	default:
		n = check_below(3) == 0 ? 16 + check_below(4) : check_below(5);
		if (2 * n > g->objs)
			n = g->objs / 2;
		msgpack_pack_map(pk, n);
		for (size_t i = 0; i < 2 * n; i++) {
			unsigned d = gen_obj(pk, g, nest + 1);

			if (d > deepest)
				deepest = d;
		}
		if (n > 0)
			deepest++;
		break;
	}
	return deepest;
}

/* True if msgpack-c unpacks buf as one object using exactly len bytes. */
static bool
unpacks_exactly(const uint8_t *buf, size_t len)
{
	msgpack_unpacked up;
	msgpack_unpack_return r;
	size_t off = 0;

	msgpack_unpacked_init(&up);
	r = msgpack_unpack_next(&up, (const char *)buf, len, &off);
	msgpack_unpacked_destroy(&up);
	return r == MSGPACK_UNPACK_SUCCESS && off == len;
}

static void
test_mp_valid_and_truncated(void)
{
	size_t accepted = 0;

	for (int round = 0; round < 1500; round++) {
		struct gen g;
		msgpack_sbuffer sb;
		msgpack_packer pk;
		const uint8_t *buf;
		const char *why;
		unsigned nest;
		uint8_t *copy;

		/* A few rounds with room for 16- and 32-bit blob lengths. */
		g.bytes = round % 100 == 0 ? 140000 : 600;
		g.objs = round % 100 == 0 ? 24 : 1 + check_below(120);
		g.max_nest = (unsigned)check_below(20);
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		nest = gen_obj(&pk, &g, 0);
		buf = (const uint8_t *)sb.data;

		/* The generator is sound: msgpack-c reads it back. */
		ASSERT(unpacks_exactly(buf, sb.size));
		ASSERT_OK(mp_check(buf, sb.size, nest, &why));
		ASSERT(why == NULL);
		ASSERT_OK(mp_check(buf, sb.size, 63, &why));
		if (nest > 0) {
			ASSERT_EQ(mp_check(buf, sb.size, nest - 1, &why),
			    -EBADMSG);
			ASSERT_STR_EQ(why, "nested too deeply");
		}
		accepted++;

		/*
		 * Every truncation fails, for mp_check() and msgpack-c. A
		 * small message's prefix is moved to the end of an
		 * allocation of exactly the message's size, so ASan catches
		 * a read past the prefix; moving the big ones would only
		 * make the test slow.
		 */
		copy = malloc(sb.size);
		ASSERT(copy != NULL);
		for (size_t plen = 0; plen < sb.size; plen++) {
			const uint8_t *p = buf;

			if (sb.size <= 4096) {
				memcpy(copy + sb.size - plen, buf, plen);
				p = copy + sb.size - plen;
			}
			why = NULL;
			ASSERT_EQ(mp_check(p, plen, 63, &why), -EBADMSG);
			ASSERT(why != NULL);
			ASSERT(!unpacks_exactly(p, plen));
		}
		free(copy);

		/* Trailing bytes fail, whatever they are. */
		copy = malloc(sb.size + 2);
		ASSERT(copy != NULL);
		memcpy(copy, buf, sb.size);
		copy[sb.size] = (uint8_t)check_rand();
		copy[sb.size + 1] = (uint8_t)check_rand();
		ASSERT_EQ(mp_check(copy, sb.size + 1, 63, &why), -EBADMSG);
		ASSERT_STR_EQ(why, "trailing bytes after the message");
		ASSERT_EQ(mp_check(copy, sb.size + 2, 63, &why), -EBADMSG);
		ASSERT_STR_EQ(why, "trailing bytes after the message");
		free(copy);
		msgpack_sbuffer_destroy(&sb);
	}
	ASSERT_EQ(accepted, 1500);
}

/* Containers too large to truncate byte by byte: sampled prefixes. */
static void
test_mp_big_containers(void)
{
	static const size_t counts[] = { 15, 16, 65535, 65536, 70000 };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		for (int map = 0; map < 2; map++) {
			msgpack_sbuffer sb;
			msgpack_packer pk;
			const uint8_t *buf;
			const char *why;
			size_t n = counts[c], plen;

			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
			if (map)
				msgpack_pack_map(&pk, n);
			else
				msgpack_pack_array(&pk, n);
			for (size_t i = 0; i < (map ? 2 * n : n); i++)
				msgpack_pack_fix_uint8(&pk, (uint8_t)i);
			buf = (const uint8_t *)sb.data;
			ASSERT(unpacks_exactly(buf, sb.size));
			ASSERT_OK(mp_check(buf, sb.size, 1, &why));
			ASSERT_EQ(mp_check(buf, sb.size, 0, &why), -EBADMSG);
			for (plen = 0; plen < sb.size;
			    plen += plen < 16 ? 1 : 997 + check_below(5000)) {
				ASSERT_EQ(mp_check(buf, plen, 1, &why),
				    -EBADMSG);
				ASSERT(!unpacks_exactly(buf, plen));
			}
			ASSERT_EQ(mp_check(buf, sb.size - 1, 1, &why),
			    -EBADMSG);
			msgpack_sbuffer_destroy(&sb);
		}
	}
}

static void
test_mp_reserved_byte(void)
{
	static const uint8_t alone[] = { 0xc1 };
	static const uint8_t in_array[] = { 0x92, 0x01, 0xc1 };
	static const uint8_t as_key[] = { 0x81, 0xc1, 0x01 };
	const char *why;

	ASSERT_EQ(mp_check(alone, sizeof(alone), 8, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "reserved type byte 0xc1");
	ASSERT_EQ(mp_check(in_array, sizeof(in_array), 8, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "reserved type byte 0xc1");
	ASSERT_EQ(mp_check(as_key, sizeof(as_key), 8, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "reserved type byte 0xc1");
	/* And msgpack-c agrees that none of these is a message. */
	ASSERT(!unpacks_exactly(alone, sizeof(alone)));
	ASSERT(!unpacks_exactly(in_array, sizeof(in_array)));
	ASSERT(!unpacks_exactly(as_key, sizeof(as_key)));
}

/*
 * A 6-byte message announcing 2^32-1 elements. msgpack-c would allocate
 * room for them all before reading one; mp_check() must refuse it first,
 * and ctl_request_parse() must never hand it to msgpack-c.
 */
static void
test_mp_huge_announcement(void)
{
	static const uint8_t arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00 };
	static const uint8_t map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0x00 };
	static const uint8_t arr16[] = { 0xdc, 0xff, 0xff, 0x00 };
	static const uint8_t nested[] = { 0x91, 0xdd, 0xff, 0xff, 0xff, 0xff,
		0x00 };
	static const uint8_t str32[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61 };
	static const uint8_t ext32[] = { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01 };
	/* Two elements announced, two bytes left: no off-by-one. */
	static const uint8_t exact[] = { 0x92, 0x01, 0x02 };
	static const uint8_t one_short[] = { 0x93, 0x01, 0x02 };
	struct ctl_request req;
	const char *why;
	char err[256];

	ASSERT_EQ(mp_check(arr32, sizeof(arr32), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why,
	    "container announces more elements than the message holds");
	ASSERT_EQ(mp_check(map32, sizeof(map32), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why,
	    "container announces more elements than the message holds");
	ASSERT_EQ(mp_check(arr16, sizeof(arr16), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why,
	    "container announces more elements than the message holds");
	ASSERT_EQ(mp_check(nested, sizeof(nested), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why,
	    "container announces more elements than the message holds");
	ASSERT_EQ(mp_check(str32, sizeof(str32), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "truncated");
	ASSERT_EQ(mp_check(ext32, sizeof(ext32), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "truncated");
	ASSERT_OK(mp_check(exact, sizeof(exact), 16, &why));
	ASSERT_EQ(mp_check(one_short, sizeof(one_short), 16, &why), -EBADMSG);
	ASSERT_STR_EQ(why,
	    "container announces more elements than the message holds");

#ifdef HAVE_MALLOC_HOOKS
	biggest = 0;
	watching = 1;
#endif
	ASSERT_EQ(ctl_request_parse(&req, map32, sizeof(map32), err,
	    sizeof(err)), -EBADMSG);
	ctl_request_free(&req);
	ASSERT_EQ(ctl_request_parse(&req, arr32, sizeof(arr32), err,
	    sizeof(err)), -EBADMSG);
	ctl_request_free(&req);
#ifdef HAVE_MALLOC_HOOKS
	watching = 0;
	ASSERT(biggest < 4096);
#endif
	ASSERT_STR_EQ(err, "malformed msgpack: container announces more elements than the message holds");
}

/* Arrays nested d deep around one integer: [[...[1]...]]. */
static void
test_mp_depth(void)
{
	uint8_t buf[80];
	const char *why;

	for (unsigned d = 0; d < 70; d++) {
		memset(buf, 0x91, d);
		buf[d] = 0x01;
		if (d <= 63)
			ASSERT_OK(mp_check(buf, d + 1, d, &why));
		if (d > 0) {
			ASSERT_EQ(mp_check(buf, d + 1, d - 1, &why), -EBADMSG);
			ASSERT_STR_EQ(why, "nested too deeply");
		}
		/* A huge max_depth is capped, not trusted. */
		if (d > 63) {
			ASSERT_EQ(mp_check(buf, d + 1, 100000, &why), -EBADMSG);
			ASSERT_STR_EQ(why, "nested too deeply");
		}
		/* What ctl_request_parse() accepts, msgpack-c can unpack. */
		if (d <= CTL_MAX_DEPTH)
			ASSERT(unpacks_exactly(buf, d + 1));
	}
	/* Empty containers do not deepen: [[[]]] is nesting 2. */
	buf[0] = 0x91;
	buf[1] = 0x91;
	buf[2] = 0x90;
	ASSERT_OK(mp_check(buf, 3, 2, &why));
	ASSERT_EQ(mp_check(buf, 3, 1, &why), -EBADMSG);
	/* A map nests its values. */
	buf[0] = 0x81;
	buf[1] = 0x01;
	buf[2] = 0x91;
	buf[3] = 0x01;
	ASSERT_OK(mp_check(buf, 4, 2, &why));
	ASSERT_EQ(mp_check(buf, 4, 1, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "nested too deeply");
	/* The empty input is not a message. */
	ASSERT_EQ(mp_check(buf, 0, 2, &why), -EBADMSG);
	ASSERT_STR_EQ(why, "truncated");
}

/*
 * Random and mutated byte strings: whatever mp_check() accepts, msgpack-c
 * unpacks as one object of exactly that length. The mutations start from
 * valid messages, so many of them are accepted and the check has teeth.
 */
static void
test_mp_random_bytes(void)
{
	size_t accepted = 0, tried = 0;

	for (int round = 0; round < 200000; round++) {
		uint8_t *buf;
		size_t len;
		const char *why;

		if (round % 2 == 0) {
			len = check_below(12);
			buf = malloc(len + 1);
			ASSERT(buf != NULL);
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)check_rand();
			/* Bias toward small ints, so containers fill up. */
			for (size_t i = 1; i < len; i++)
				if (check_below(2))
					buf[i] &= 0x7f;
		} else {
			msgpack_sbuffer sb;
			msgpack_packer pk;
			struct gen g = { 200, 1 + check_below(20), 6 };

			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
			gen_obj(&pk, &g, 0);
			len = sb.size;
			buf = malloc(len + 2);
			ASSERT(buf != NULL);
			memcpy(buf, sb.data, len);
			msgpack_sbuffer_destroy(&sb);
			switch (check_below(4)) {
			case 0:
				buf[check_below(len)] = (uint8_t)check_rand();
				break;
			case 1:
				buf[check_below(len)] ^=
				    (uint8_t)(1u << check_below(8));
				break;
			case 2:
				len = check_below(len + 1);
				break;
			default:
				buf[len++] = (uint8_t)check_rand();
				break;
			}
		}
		tried++;
		if (mp_check(buf, len, 16, &why) == 0) {
			accepted++;
			if (!unpacks_exactly(buf, len)) {
				fprintf(stderr, "msgpack-c disagrees:");
				for (size_t i = 0; i < len; i++)
					fprintf(stderr, " %02x", buf[i]);
				fputc('\n', stderr);
				CHECK_FAIL("mp_check accepted a bad message");
			}
		} else {
			ASSERT(why != NULL);
		}
		free(buf);
	}
	printf("  %zu of %zu accepted\n", accepted, tried);
	ASSERT(accepted > tried / 20);
}

static void
test_mp_helpers(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	size_t off = 0;
	char s[8];
	uint64_t u;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 6);
	mp_pack_kv_str(&pk, "s", "hello");
	mp_pack_kv_str(&pk, "nil", NULL);
	mp_pack_kv_u64(&pk, "u", UINT64_MAX);
	mp_pack_kv_i64(&pk, "i", -5);
	mp_pack_kv_bool(&pk, "b", true);
	mp_pack_key(&pk, "nul");
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "a\0b", 3);
	msgpack_unpacked_init(&up);
	ASSERT_EQ(msgpack_unpack_next(&up, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);

	ASSERT(mp_is_str(mp_map_get(&up.data, "s"), "hello"));
	ASSERT(!mp_is_str(mp_map_get(&up.data, "s"), "hell"));
	ASSERT(!mp_is_str(mp_map_get(&up.data, "u"), "hello"));
	ASSERT(!mp_is_str(NULL, "hello"));
	ASSERT(mp_map_get(&up.data, "missing") == NULL);
	ASSERT(mp_map_get(NULL, "s") == NULL);
	ASSERT(mp_map_get(mp_map_get(&up.data, "s"), "s") == NULL);
	ASSERT_EQ(mp_map_get(&up.data, "nil")->type, MSGPACK_OBJECT_NIL);

	ASSERT_OK(mp_get_str(mp_map_get(&up.data, "s"), s, sizeof(s)));
	ASSERT_STR_EQ(s, "hello");
	/* Exactly fitting needs room for the NUL. */
	ASSERT_OK(mp_get_str(mp_map_get(&up.data, "s"), s, 6));
	ASSERT_EQ(mp_get_str(mp_map_get(&up.data, "s"), s, 5), -EINVAL);
	ASSERT_EQ(mp_get_str(mp_map_get(&up.data, "nul"), s, sizeof(s)),
	    -EINVAL);
	ASSERT_EQ(mp_get_str(mp_map_get(&up.data, "u"), s, sizeof(s)),
	    -EINVAL);
	ASSERT_EQ(mp_get_str(NULL, s, sizeof(s)), -EINVAL);

	ASSERT_OK(mp_get_u64(mp_map_get(&up.data, "u"), &u));
	ASSERT(u == UINT64_MAX);
	ASSERT_EQ(mp_get_u64(mp_map_get(&up.data, "i"), &u), -EINVAL);
	ASSERT_EQ(mp_get_u64(mp_map_get(&up.data, "b"), &u), -EINVAL);
	ASSERT_EQ(mp_get_u64(NULL, &u), -EINVAL);

	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* ------------------------------------------------------------------ */
/* ctlproto.h */

/* One msgpack buffer per test, reset between messages. */
struct msg {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
msg_init(struct msg *m)
{
	msgpack_sbuffer_init(&m->sb);
	msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void
msg_reset(struct msg *m)
{
	msgpack_sbuffer_clear(&m->sb);
}

static void
msg_free(struct msg *m)
{
	msgpack_sbuffer_destroy(&m->sb);
}

static int
parse_req(struct msg *m, struct ctl_request *req, char *err, size_t errlen)
{
	err[0] = '\0';
	return ctl_request_parse(req, (const uint8_t *)m->sb.data, m->sb.size,
	    err, errlen);
}

static void
test_ctl_request_ok(void)
{
	struct ctl_request req;
	struct msg m;
	char err[256];
	const msgpack_object *x;
	uint64_t u;

	msg_init(&m);

	/* The way sluicectl builds it. */
	ctl_request_begin(&m.pk, "status", 7, true);
	msgpack_pack_map(&m.pk, 1);
	mp_pack_kv_u64(&m.pk, "x", 42);
	ASSERT_OK(parse_req(&m, &req, err, sizeof(err)));
	ASSERT_EQ(req.version, CTL_PROTO_VERSION);
	ASSERT_STR_EQ(req.op, "status");
	ASSERT(req.has_id);
	ASSERT_EQ(req.id, 7);
	ASSERT(req.args != NULL);
	ASSERT_EQ(req.args->type, MSGPACK_OBJECT_MAP);
	x = mp_map_get(req.args, "x");
	ASSERT_OK(mp_get_u64(x, &u));
	ASSERT_EQ(u, 42);
	ctl_request_free(&req);

	/* Minimal: v and op only; no id, no args. */
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_str(&m.pk, "op", "ping");
	mp_pack_kv_u64(&m.pk, "v", 1);
	ASSERT_OK(parse_req(&m, &req, err, sizeof(err)));
	ASSERT_STR_EQ(req.op, "ping");
	ASSERT(!req.has_id);
	ASSERT(req.args == NULL);
	ctl_request_free(&req);

	/* Unknown keys are ignored; args nil is no args; the longest op. */
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 6);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_str(&m.pk, "op", "abcdefghijklmnopqrstuvwxyz01234");
	mp_pack_kv_u64(&m.pk, "id", UINT64_MAX);
	mp_pack_kv_str(&m.pk, "args", NULL);
	mp_pack_key(&m.pk, "future");
	msgpack_pack_array(&m.pk, 2);
	msgpack_pack_int64(&m.pk, -1);
	msgpack_pack_double(&m.pk, 0.5);
	msgpack_pack_int64(&m.pk, 5);		/* a non-string key */
	msgpack_pack_nil(&m.pk);
	ASSERT_OK(parse_req(&m, &req, err, sizeof(err)));
	ASSERT_EQ(strlen(req.op), CTL_OP_MAX - 1);
	ASSERT(req.id == UINT64_MAX);
	ASSERT(req.args == NULL);
	ctl_request_free(&req);

	/* An empty args map is still args. */
	msg_reset(&m);
	ctl_request_begin(&m.pk, "x", 0, true);
	msgpack_pack_map(&m.pk, 0);
	ASSERT_OK(parse_req(&m, &req, err, sizeof(err)));
	ASSERT(req.has_id);
	ASSERT_EQ(req.id, 0);
	ASSERT(req.args != NULL);
	ASSERT_EQ(req.args->via.map.size, 0);
	ctl_request_free(&req);

	ctl_request_free(NULL);
	msg_free(&m);
}

static void
test_ctl_request_version(void)
{
	static const uint64_t bad[] = { 0, 2, 3, 255, UINT64_MAX };
	struct ctl_request req;
	struct msg m;
	char err[256], want[128];

	msg_init(&m);

	/* Missing v. */
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_str(&m.pk, "op", "status");
	mp_pack_kv_u64(&m.pk, "id", 3);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "\"v\"");
	ASSERT(req.has_id);
	ASSERT_EQ(req.id, 3);
	ctl_request_free(&req);

	/* v of the wrong type. */
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_str(&m.pk, "v", "1");
	mp_pack_kv_str(&m.pk, "op", "status");
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "\"v\"");
	ctl_request_free(&req);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_i64(&m.pk, "v", -1);
	mp_pack_kv_str(&m.pk, "op", "status");
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ctl_request_free(&req);

	/* Unsupported versions name both versions; the id still comes back. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg_reset(&m);
		msgpack_pack_map(&m.pk, 3);
		mp_pack_kv_u64(&m.pk, "v", bad[i]);
		mp_pack_kv_str(&m.pk, "op", "status");
		mp_pack_kv_u64(&m.pk, "id", 99);
		ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)),
		    -EPROTONOSUPPORT);
		snprintf(want, sizeof(want),
		    "protocol version %llu not supported (this daemon speaks %u)",
		    (unsigned long long)bad[i], CTL_PROTO_VERSION);
		ASSERT_STR_EQ(err, want);
		ASSERT(req.has_id);
		ASSERT_EQ(req.id, 99);
		ctl_request_free(&req);
	}
	msg_free(&m);
}

static void
test_ctl_request_bad(void)
{
	static const uint8_t garbage[] = { 0xc1 };
	struct ctl_request req;
	struct msg m;
	char err[256];
	char longop[CTL_OP_MAX + 1];

	msg_init(&m);

	/* op: missing, not a string, empty, too long, with a NUL. */
	msgpack_pack_map(&m.pk, 1);
	mp_pack_kv_u64(&m.pk, "v", 1);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "\"op\"");
	ctl_request_free(&req);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_u64(&m.pk, "op", 5);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "\"op\"");
	ctl_request_free(&req);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_str(&m.pk, "op", "");
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "\"op\"");
	ctl_request_free(&req);

	memset(longop, 'o', CTL_OP_MAX);
	longop[CTL_OP_MAX] = '\0';
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_str(&m.pk, "op", longop);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "too long");
	ctl_request_free(&req);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_key(&m.pk, "op");
	msgpack_pack_str(&m.pk, 4);
	msgpack_pack_str_body(&m.pk, "st\0p", 4);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "\"op\"");
	ctl_request_free(&req);

	/* id: negative, string. */
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 3);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_str(&m.pk, "op", "status");
	mp_pack_kv_i64(&m.pk, "id", -7);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "\"id\" must be an unsigned integer");
	ASSERT(!req.has_id);
	ctl_request_free(&req);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 3);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_str(&m.pk, "op", "status");
	mp_pack_kv_str(&m.pk, "id", "7");
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "\"id\" must be an unsigned integer");
	ctl_request_free(&req);

	/* args: array, string, integer. */
	for (int kind = 0; kind < 3; kind++) {
		msg_reset(&m);
		ctl_request_begin(&m.pk, "status", 1, true);
		if (kind == 0) {
			msgpack_pack_array(&m.pk, 1);
			msgpack_pack_nil(&m.pk);
		} else if (kind == 1) {
			mp_pack_str(&m.pk, "a=b");
		} else {
			msgpack_pack_uint64(&m.pk, 1);
		}
		ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
		ASSERT_STR_EQ(err, "\"args\" must be a map");
		ASSERT(req.has_id);
		ctl_request_free(&req);
	}

	/* Not a map; not msgpack; two messages; nothing at all. */
	msg_reset(&m);
	msgpack_pack_array(&m.pk, 2);
	msgpack_pack_uint64(&m.pk, 1);
	mp_pack_str(&m.pk, "status");
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "message is not a map");
	ctl_request_free(&req);

	ASSERT_EQ(ctl_request_parse(&req, garbage, sizeof(garbage), err,
	    sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "malformed msgpack: reserved type byte 0xc1");
	ctl_request_free(&req);

	msg_reset(&m);
	ctl_request_begin(&m.pk, "status", 1, false);
	ctl_request_begin(&m.pk, "status", 2, false);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "malformed msgpack: trailing bytes after the message");
	ctl_request_free(&req);

	ASSERT_EQ(ctl_request_parse(&req, garbage, 0, err, sizeof(err)),
	    -EBADMSG);
	ASSERT_STR_EQ(err, "malformed msgpack: truncated");
	ctl_request_free(&req);

	/* Deeper than CTL_MAX_DEPTH inside args. */
	msg_reset(&m);
	ctl_request_begin(&m.pk, "status", 1, true);
	msgpack_pack_map(&m.pk, 1);
	mp_pack_key(&m.pk, "deep");
	for (int i = 0; i < CTL_MAX_DEPTH; i++)
		msgpack_pack_array(&m.pk, 1);
	msgpack_pack_nil(&m.pk);
	ASSERT_EQ(parse_req(&m, &req, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "malformed msgpack: nested too deeply");
	ctl_request_free(&req);

	/* A short error buffer truncates, never overflows. */
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 0);
	ASSERT_EQ(parse_req(&m, &req, err, 8), -EBADMSG);
	ASSERT_EQ(strlen(err), 7);
	ctl_request_free(&req);

	msg_free(&m);
}

static int
parse_resp(struct msg *m, struct ctl_response *resp, char *err,
    size_t errlen)
{
	err[0] = '\0';
	return ctl_response_parse(resp, (const uint8_t *)m->sb.data,
	    m->sb.size, err, errlen);
}

/* Replies as the daemon packs them, parsed as sluicectl does. */
static void
test_ctl_reply_roundtrip(void)
{
	struct ctl_request req;
	struct ctl_response resp;
	struct msg m;
	char err[256], longmsg[700];
	uint64_t u;

	msg_init(&m);

	/* A request to answer. */
	ctl_request_begin(&m.pk, "status", 12345, false);
	ASSERT_OK(parse_req(&m, &req, err, sizeof(err)));

	/* ok, with a map result. */
	msg_reset(&m);
	ctl_reply_ok_begin(&m.pk, &req);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_str(&m.pk, "node", "node-a");
	mp_pack_kv_u64(&m.pk, "peers", 3);
	ASSERT_OK(parse_resp(&m, &resp, err, sizeof(err)));
	ASSERT_EQ(resp.version, CTL_PROTO_VERSION);
	ASSERT(resp.ok);
	ASSERT(resp.has_id);
	ASSERT_EQ(resp.id, 12345);
	ASSERT(resp.result != NULL);
	ASSERT(mp_is_str(mp_map_get(resp.result, "node"), "node-a"));
	ASSERT_OK(mp_get_u64(mp_map_get(resp.result, "peers"), &u));
	ASSERT_EQ(u, 3);
	ctl_response_free(&resp);

	/* ok, with a nil result: present, just nil. */
	msg_reset(&m);
	ctl_reply_ok_begin(&m.pk, &req);
	msgpack_pack_nil(&m.pk);
	ASSERT_OK(parse_resp(&m, &resp, err, sizeof(err)));
	ASSERT(resp.ok);
	ASSERT(resp.result != NULL);
	ASSERT_EQ(resp.result->type, MSGPACK_OBJECT_NIL);
	ctl_response_free(&resp);

	/* An error. */
	msg_reset(&m);
	ctl_reply_error(&m.pk, &req, "no such op \"x\"");
	ASSERT_OK(parse_resp(&m, &resp, err, sizeof(err)));
	ASSERT(!resp.ok);
	ASSERT(resp.has_id);
	ASSERT_EQ(resp.id, 12345);
	ASSERT_STR_EQ(resp.error, "no such op \"x\"");
	ASSERT(resp.result == NULL);
	ctl_response_free(&resp);

	/* An error for a request that could not be read: id is nil. */
	msg_reset(&m);
	ctl_reply_error(&m.pk, NULL, "malformed msgpack: truncated");
	ASSERT_OK(parse_resp(&m, &resp, err, sizeof(err)));
	ASSERT(!resp.ok);
	ASSERT(!resp.has_id);
	ASSERT_STR_EQ(resp.error, "malformed msgpack: truncated");
	ctl_response_free(&resp);

	/* An error message longer than the buffer is cut, NUL-terminated. */
	memset(longmsg, 'e', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	msg_reset(&m);
	ctl_reply_error(&m.pk, &req, longmsg);
	ASSERT_OK(parse_resp(&m, &resp, err, sizeof(err)));
	ASSERT_EQ(strlen(resp.error), sizeof(resp.error) - 1);
	ASSERT_MEM_EQ(resp.error, longmsg, sizeof(resp.error) - 1);
	ctl_response_free(&resp);

	/* An error with no reason. */
	msg_reset(&m);
	ctl_reply_error(&m.pk, &req, NULL);
	ASSERT_OK(parse_resp(&m, &resp, err, sizeof(err)));
	ASSERT(!resp.ok);
	ASSERT_STR_EQ(resp.error, "(daemon gave no reason)");
	ctl_response_free(&resp);
	ctl_request_free(&req);

	/* Malformed replies. */
	msg_reset(&m);
	msgpack_pack_map(&m.pk, 1);
	mp_pack_kv_bool(&m.pk, "ok", true);
	ASSERT_EQ(parse_resp(&m, &resp, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "reply has no protocol version");
	ctl_response_free(&resp);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_u64(&m.pk, "ok", 1);
	ASSERT_EQ(parse_resp(&m, &resp, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "reply has no \"ok\" flag");
	ctl_response_free(&resp);

	msg_reset(&m);
	msgpack_pack_map(&m.pk, 2);
	mp_pack_kv_u64(&m.pk, "v", 1);
	mp_pack_kv_bool(&m.pk, "ok", true);
	ASSERT_EQ(parse_resp(&m, &resp, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "reply has no result");
	ctl_response_free(&resp);

	msg_reset(&m);
	mp_pack_str(&m.pk, "ok");
	ASSERT_EQ(parse_resp(&m, &resp, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_EQ(err, "message is not a map");
	ctl_response_free(&resp);

	ctl_response_free(NULL);
	msg_free(&m);
}

/* ------------------------------------------------------------------ */
/* log.h */

static void
test_log_level_parse(void)
{
	static const struct {
		const char *s;
		int rc;
		enum log_level level;
	} cases[] = {
		{ "error", 0, LOG_LEVEL_ERROR },
		{ "warn", 0, LOG_LEVEL_WARN },
		{ "warning", 0, LOG_LEVEL_WARN },
		{ "info", 0, LOG_LEVEL_INFO },
		{ "debug", 0, LOG_LEVEL_DEBUG },
		{ "", -EINVAL, 0 },
		{ "Info", -EINVAL, 0 },
		{ "DEBUG", -EINVAL, 0 },
		{ "inf", -EINVAL, 0 },
		{ "infos", -EINVAL, 0 },
		{ " info", -EINVAL, 0 },
		{ "verbose", -EINVAL, 0 },
		{ "err", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum log_level l = (enum log_level)77;

		ASSERT_EQ(log_level_parse(cases[i].s, &l), cases[i].rc);
		if (cases[i].rc == 0)
			ASSERT_EQ(l, cases[i].level);
		else
			ASSERT_EQ(l, 77);	/* untouched on failure */
	}
	for (int l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++) {
		enum log_level back;

		ASSERT_OK(log_level_parse(log_level_name((enum log_level)l),
		    &back));
		ASSERT_EQ(back, l);
	}
	ASSERT_STR_EQ(log_level_name((enum log_level)4), "?");
	ASSERT_STR_EQ(log_level_name((enum log_level)-1), "?");
}

static void
test_log_ratelimit(void)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(3600 * 1000, 3);
	struct log_ratelimit fast = LOG_RATELIMIT_INIT(200, 2);
	struct timespec pause = { 0, 300 * 1000 * 1000 };

	/* A burst of 3, then everything is counted, not let through. */
	for (int i = 0; i < 3; i++)
		ASSERT(log_ratelimit_ok(&rl));
	for (int i = 0; i < 10; i++)
		ASSERT(!log_ratelimit_ok(&rl));
	ASSERT_EQ(rl.suppressed, 10);

	/* A new window lets a new burst through; the count is kept. */
	ASSERT(log_ratelimit_ok(&fast));
	ASSERT(log_ratelimit_ok(&fast));
	ASSERT(!log_ratelimit_ok(&fast));
	ASSERT_EQ(fast.suppressed, 1);
	nanosleep(&pause, NULL);
	ASSERT(log_ratelimit_ok(&fast));
	ASSERT(log_ratelimit_ok(&fast));
	ASSERT(!log_ratelimit_ok(&fast));
	ASSERT_EQ(fast.suppressed, 2);

	/* A burst of 0 lets nothing through. */
	{
		struct log_ratelimit none = LOG_RATELIMIT_INIT(1000, 0);

		ASSERT(!log_ratelimit_ok(&none));
		ASSERT_EQ(none.suppressed, 1);
	}
}

int
main(void)
{
#ifdef HAVE_MALLOC_HOOKS
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#endif
	check_seed();
	RUN(test_frame_header);
	RUN(test_frame_differential);
	RUN(test_frame_partial);
	RUN(test_frame_zero_length);
	RUN(test_frame_too_big);
	RUN(test_frame_cb_error);
	RUN(test_frame_free);
	RUN(test_mp_valid_and_truncated);
	RUN(test_mp_big_containers);
	RUN(test_mp_reserved_byte);
	RUN(test_mp_huge_announcement);
	RUN(test_mp_depth);
	RUN(test_mp_random_bytes);
	RUN(test_mp_helpers);
	RUN(test_ctl_request_ok);
	RUN(test_ctl_request_version);
	RUN(test_ctl_request_bad);
	RUN(test_ctl_reply_roundtrip);
	RUN(test_log_level_parse);
	RUN(test_log_ratelimit);
	printf("ok\n");
	return 0;
}
