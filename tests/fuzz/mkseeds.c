/*
 * mkseeds.c - writes the hand-made seeds of corpus/fuzz_ctlproto/ (the
 * files named seed-*). Each seed is a byte stream as a client would send it to
 * the status socket: frames (frame.h) holding msgpack, well formed or not.
 *
 *   cmake --build BUILD --target mkseeds_ctlproto
 *   BUILD/tests/fuzz/mkseeds_ctlproto tests/fuzz/corpus/fuzz_ctlproto
 *
 * Inputs found by fuzzing and crashers are kept next to them under other
 * names (see README.md); this program leaves those alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/ctlproto.h"
#include "common/frame.h"
#include "common/mp.h"

struct seed {
	msgpack_sbuffer stream;	/* what gets written */
	msgpack_sbuffer msg;	/* the frame being built */
	msgpack_packer pk;	/* packs into msg */
};

static const char *dir;
static int failed;

static void
begin(struct seed *s)
{
	msgpack_sbuffer_init(&s->stream);
	msgpack_sbuffer_init(&s->msg);
	msgpack_packer_init(&s->pk, &s->msg, msgpack_sbuffer_write);
}

/* Appends raw bytes to the stream. */
static void
raw(struct seed *s, const void *p, size_t n)
{
	msgpack_sbuffer_write(&s->stream, p, n);
}

/* Appends a header announcing len. */
static void
header(struct seed *s, uint32_t len)
{
	uint8_t hdr[FRAME_HDR_LEN];

	frame_header_put(hdr, len);
	raw(s, hdr, sizeof(hdr));
}

/* Frames what was packed so far (keeping only cut bytes of it if cut). */
static void
frame_cut(struct seed *s, size_t cut)
{
	header(s, (uint32_t)s->msg.size);
	raw(s, s->msg.data, cut < s->msg.size ? cut : s->msg.size);
	msgpack_sbuffer_clear(&s->msg);
}

static void
frame(struct seed *s)
{
	frame_cut(s, SIZE_MAX);
}

/* A frame holding raw payload bytes. */
static void
frame_raw(struct seed *s, const void *p, size_t n)
{
	header(s, (uint32_t)n);
	raw(s, p, n);
}

static void
finish(struct seed *s, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(s->stream.data, 1, s->stream.size, f) !=
	    s->stream.size || fclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		failed = 1;
	}
	msgpack_sbuffer_destroy(&s->stream);
	msgpack_sbuffer_destroy(&s->msg);
}

/* A request with the given fields; args NULL packs none. */
static void
request(struct seed *s, const char *op, int with_id, uint64_t id)
{
	msgpack_pack_map(&s->pk, with_id ? 3 : 2);
	mp_pack_kv_u64(&s->pk, "v", CTL_PROTO_VERSION);
	mp_pack_kv_str(&s->pk, "op", op);
	if (with_id)
		mp_pack_kv_u64(&s->pk, "id", id);
}

/* Every msgpack type once, as a map (the args of a request). */
static void
all_types(msgpack_packer *pk)
{
	static const char bin[] = { 0, 1, 2, (char)0xff };
	char long_str[300];

	memset(long_str, 'x', sizeof(long_str));
	msgpack_pack_map(pk, 21);
	mp_pack_kv_bool(pk, "true", true);
	mp_pack_kv_bool(pk, "false", false);
	mp_pack_key(pk, "nil");
	msgpack_pack_nil(pk);
	mp_pack_kv_u64(pk, "u8", 200);
	mp_pack_kv_u64(pk, "u16", 60000);
	mp_pack_kv_u64(pk, "u32", 4000000000u);
	mp_pack_kv_u64(pk, "u64", UINT64_MAX);
	mp_pack_kv_i64(pk, "i5", -3);
	mp_pack_kv_i64(pk, "i8", -100);
	mp_pack_kv_i64(pk, "i16", -30000);
	mp_pack_kv_i64(pk, "i32", -2000000000);
	mp_pack_kv_i64(pk, "i64", INT64_MIN);
	mp_pack_key(pk, "f32");
	msgpack_pack_float(pk, 1.5f);
	mp_pack_key(pk, "f64");
	msgpack_pack_double(pk, -0.0);
	mp_pack_key(pk, "bin");
	msgpack_pack_bin(pk, sizeof(bin));
	msgpack_pack_bin_body(pk, bin, sizeof(bin));
	mp_pack_key(pk, "ext");
	msgpack_pack_ext(pk, 3, 7);	/* ext8 */
	msgpack_pack_ext_body(pk, "abc", 3);
	mp_pack_key(pk, "fixext4");
	msgpack_pack_ext(pk, 4, -1);
	msgpack_pack_ext_body(pk, "abcd", 4);
	mp_pack_key(pk, "str8");
	msgpack_pack_str(pk, 40);
	msgpack_pack_str_body(pk, long_str, 40);
	mp_pack_key(pk, "str16");
	msgpack_pack_str(pk, sizeof(long_str));
	msgpack_pack_str_body(pk, long_str, sizeof(long_str));
	mp_pack_key(pk, "array");
	msgpack_pack_array(pk, 3);
	msgpack_pack_int(pk, 1);
	mp_pack_str(pk, "two");
	msgpack_pack_array(pk, 0);
	msgpack_pack_int(pk, 5);	/* a non-string key */
	msgpack_pack_map(pk, 0);
}

/* depth nested one-element arrays around nil. */
static void
nested(msgpack_packer *pk, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		msgpack_pack_array(pk, 1);
	msgpack_pack_nil(pk);
}

int
main(int argc, char **argv)
{
	struct seed s;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	/* Good requests. */
	begin(&s);
	request(&s, "status", 0, 0);
	frame(&s);
	finish(&s, "status");

	begin(&s);
	request(&s, "version", 1, 7);
	frame(&s);
	finish(&s, "version-id");

	begin(&s);
	msgpack_pack_map(&s.pk, 4);
	mp_pack_kv_u64(&s.pk, "v", 1);
	mp_pack_kv_str(&s.pk, "op", "status");
	mp_pack_kv_u64(&s.pk, "id", 42);
	mp_pack_key(&s.pk, "args");
	msgpack_pack_map(&s.pk, 2);
	mp_pack_kv_bool(&s.pk, "verbose", true);
	mp_pack_key(&s.pk, "peers");
	msgpack_pack_array(&s.pk, 2);
	mp_pack_str(&s.pk, "node-a");
	mp_pack_str(&s.pk, "node-b");
	frame(&s);
	finish(&s, "status-args");

	begin(&s);
	ctl_request_begin(&s.pk, "version", UINT64_MAX, true);
	msgpack_pack_nil(&s.pk);
	frame(&s);
	finish(&s, "args-nil-id-max");

	begin(&s);
	ctl_request_begin(&s.pk, "status", 1, true);
	all_types(&s.pk);
	frame(&s);
	finish(&s, "args-all-types");

	begin(&s);
	msgpack_pack_map(&s.pk, 4);
	mp_pack_kv_str(&s.pk, "op", "status");
	mp_pack_kv_str(&s.pk, "comment", "unknown keys are ignored");
	mp_pack_kv_u64(&s.pk, "v", 1);
	mp_pack_kv_u64(&s.pk, "future", 9);
	frame(&s);
	finish(&s, "unknown-keys");

	/* Several requests in one read, then an empty frame. */
	begin(&s);
	request(&s, "status", 1, 1);
	frame(&s);
	request(&s, "version", 1, 2);
	frame(&s);
	request(&s, "status", 1, 3);
	frame(&s);
	header(&s, 0);
	finish(&s, "pipelined");

	/* Requests the daemon must refuse with a reason. */
	begin(&s);
	msgpack_pack_map(&s.pk, 3);
	mp_pack_kv_u64(&s.pk, "v", 2);
	mp_pack_kv_str(&s.pk, "op", "status");
	mp_pack_kv_u64(&s.pk, "id", 9);
	frame(&s);
	finish(&s, "version-newer");

	begin(&s);
	msgpack_pack_map(&s.pk, 2);
	mp_pack_kv_u64(&s.pk, "v", 0);
	mp_pack_kv_str(&s.pk, "op", "status");
	frame(&s);
	finish(&s, "version-zero");

	begin(&s);
	msgpack_pack_map(&s.pk, 2);
	mp_pack_kv_str(&s.pk, "v", "1");
	mp_pack_kv_str(&s.pk, "op", "status");
	frame(&s);
	finish(&s, "version-str");

	begin(&s);
	msgpack_pack_map(&s.pk, 3);
	mp_pack_kv_u64(&s.pk, "v", 1);
	mp_pack_kv_str(&s.pk, "op", "status");
	mp_pack_kv_i64(&s.pk, "id", -1);
	frame(&s);
	finish(&s, "id-negative");

	begin(&s);
	request(&s, "this-op-name-is-longer-than-32-bytes", 1, 5);
	frame(&s);
	finish(&s, "op-too-long");

	begin(&s);
	request(&s, "", 1, 5);
	frame(&s);
	finish(&s, "op-empty");

	begin(&s);
	msgpack_pack_map(&s.pk, 2);
	mp_pack_kv_u64(&s.pk, "v", 1);
	mp_pack_key(&s.pk, "op");
	msgpack_pack_str(&s.pk, 8);
	msgpack_pack_str_body(&s.pk, "stat\0us", 8);
	frame(&s);
	finish(&s, "op-nul");

	begin(&s);
	msgpack_pack_map(&s.pk, 2);
	mp_pack_kv_u64(&s.pk, "v", 1);
	mp_pack_kv_u64(&s.pk, "op", 3);
	frame(&s);
	finish(&s, "op-int");

	begin(&s);
	ctl_request_begin(&s.pk, "status", 3, true);
	msgpack_pack_array(&s.pk, 1);
	msgpack_pack_int(&s.pk, 1);
	frame(&s);
	finish(&s, "args-array");

	begin(&s);
	msgpack_pack_array(&s.pk, 2);
	mp_pack_str(&s.pk, "v");
	mp_pack_str(&s.pk, "status");
	frame(&s);
	finish(&s, "not-a-map");

	begin(&s);
	request(&s, "status", 1, 4);
	msgpack_pack_nil(&s.pk);
	frame(&s);
	finish(&s, "trailing-byte");

	begin(&s);
	header(&s, 0);
	finish(&s, "empty-frame");

	begin(&s);
	frame_raw(&s, "\xc1", 1);
	finish(&s, "reserved-c1");

	/* Bombs: headers announcing far more than the frame holds. */
	begin(&s);
	frame_raw(&s, "\xdd\xff\xff\xff\xff", 5);
	finish(&s, "array32-bomb");

	begin(&s);
	frame_raw(&s, "\xdf\xff\xff\xff\xff\xc0\xc0", 7);
	finish(&s, "map32-bomb");

	begin(&s);
	frame_raw(&s, "\xc6\xff\xff\xff\x00", 5);
	finish(&s, "bin32-short");

	begin(&s);
	frame_raw(&s, "\x81\xa4" "args" "\xdc\xff\xff", 8);
	finish(&s, "array16-in-map");

	/* Nesting: args at the deepest level allowed, and one deeper. */
	begin(&s);
	ctl_request_begin(&s.pk, "status", 1, true);
	msgpack_pack_map(&s.pk, 1);
	mp_pack_key(&s.pk, "deep");
	nested(&s.pk, CTL_MAX_DEPTH - 2);
	frame(&s);
	finish(&s, "depth-max");

	begin(&s);
	ctl_request_begin(&s.pk, "status", 1, true);
	msgpack_pack_map(&s.pk, 1);
	mp_pack_key(&s.pk, "deep");
	nested(&s.pk, CTL_MAX_DEPTH - 1);
	frame(&s);
	finish(&s, "depth-over");

	begin(&s);
	nested(&s.pk, 200);
	frame(&s);
	finish(&s, "depth-200");

	/* Broken streams. */
	begin(&s);
	request(&s, "status", 1, 8);
	frame_cut(&s, 10);
	finish(&s, "truncated-frame");

	begin(&s);
	raw(&s, "\x00\x00", 2);
	finish(&s, "truncated-header");

	begin(&s);
	request(&s, "status", 1, 8);
	frame(&s);
	header(&s, CTL_MAX_REQUEST + 1);
	raw(&s, "\x80", 1);
	finish(&s, "oversized-header");

	begin(&s);
	header(&s, CTL_MAX_REQUEST);
	raw(&s, "\xde\xff\xff", 3);
	finish(&s, "max-header-short");

	begin(&s);
	raw(&s, "\xff\xff\xff\xff", 4);
	finish(&s, "header-ffffffff");

	/* Bare msgpack, no frame: the frame reader sees a huge header. */
	begin(&s);
	request(&s, "status", 1, 1);
	raw(&s, s.msg.data, s.msg.size);
	finish(&s, "bare-request");

	begin(&s);
	all_types(&s.pk);
	raw(&s, s.msg.data, s.msg.size);
	finish(&s, "bare-all-types");

	return failed;
}
