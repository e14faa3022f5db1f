/*
 * fuzz_ctlproto.c - the status socket request path as sluiced runs it:
 * bytes from the socket, cut into reads of any size, go through
 * frame_reader_feed(); each frame goes to ctl_request_parse(); the reply
 * sluiced would send (ok or error) goes to ctl_response_parse() as
 * sluicectl would read it.
 *
 * Besides what ASan and UBSan catch, it aborts when:
 * - the frames (or the error) depend on how the stream was cut into reads;
 * - a request, good or bad, gets a reply that the client cannot parse, or
 *   whose id, ok flag, error text or result differ from what was sent;
 * - a good request, packed again as sluicectl would (ctl_request_begin()),
 *   does not parse to the same op, id and args;
 * - mp_check() accepts a buffer that msgpack-c does not unpack exactly.
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

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* A callback return that stops frame_reader_feed(), to cover that path. */
#define MAX_FRAMES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct frames {
	size_t count;
	uint64_t hash;		/* FNV-1a of every frame's length and bytes */
	int serve;		/* parse and answer each frame */
};

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Packs o alone into sb (initialised by the caller). */
static void
repack(msgpack_sbuffer *sb, const msgpack_object *o)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *o);
}

/* Checks that x and y pack to the same bytes (NaN included). */
static void
same_object(const msgpack_object *x, const msgpack_object *y)
{
	msgpack_sbuffer a, b;

	msgpack_sbuffer_init(&a);
	msgpack_sbuffer_init(&b);
	repack(&a, x);
	repack(&b, y);
	CHECK(a.size == b.size);
	CHECK(memcmp(a.data, b.data, a.size) == 0);
	msgpack_sbuffer_destroy(&a);
	msgpack_sbuffer_destroy(&b);
}

/* Packs a parsed request as a client would and parses it again. */
static void
resend(const struct ctl_request *req)
{
	struct ctl_request again;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char err[256];

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ctl_request_begin(&pk, req->op, req->id, req->args != NULL);
	if (req->args != NULL)
		msgpack_pack_object(&pk, *req->args);
	err[0] = '\0';
	if (ctl_request_parse(&again, (const uint8_t *)sb.data, sb.size, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "request packed again does not parse: %s\n",
		    err);
		abort();
	}
	CHECK(strcmp(again.op, req->op) == 0);
	CHECK(again.has_id && again.id == req->id);
	CHECK(again.version == CTL_PROTO_VERSION);
	CHECK((again.args == NULL) == (req->args == NULL));
	if (req->args != NULL)
		same_object(again.args, req->args);
	ctl_request_free(&again);
	msgpack_sbuffer_destroy(&sb);
}

/* What sluiced does with one request frame, and sluicectl with the reply. */
static void
serve(const uint8_t *buf, size_t len)
{
	struct ctl_request req;
	struct ctl_response resp;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char err[256], rerr[256];
	int rc;

	err[0] = '\0';
	rc = ctl_request_parse(&req, buf, len, err, sizeof(err));
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (rc == 0) {
		CHECK(req.op[0] != '\0');
		CHECK(memchr(req.op, '\0', sizeof(req.op)) != NULL);
		CHECK(req.version >= 1 && req.version <= CTL_PROTO_VERSION);
		CHECK(req.args == NULL || req.args->type == MSGPACK_OBJECT_MAP);
		/* Echo the args, as an op that returns what it got would. */
		ctl_reply_ok_begin(&pk, &req);
		if (req.args != NULL)
			msgpack_pack_object(&pk, *req.args);
		else
			mp_pack_str(&pk, req.op);
	} else {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(err[0] != '\0');
		ctl_reply_error(&pk, &req, err);
	}
	CHECK(sb.size <= CTL_MAX_RESPONSE);

	rerr[0] = '\0';
	if (ctl_response_parse(&resp, (const uint8_t *)sb.data, sb.size, rerr,
	    sizeof(rerr)) != 0) {
		fprintf(stderr, "reply to a %s request does not parse: %s\n",
		    rc == 0 ? "good" : "bad", rerr);
		abort();
	}
	CHECK(resp.version == CTL_PROTO_VERSION);
	CHECK(resp.has_id == req.has_id);
	CHECK(!req.has_id || resp.id == req.id);
	CHECK(resp.ok == (rc == 0));
	if (rc == 0) {
		CHECK(resp.result != NULL);
		if (req.args != NULL)
			same_object(resp.result, req.args);
		else
			CHECK(mp_is_str(resp.result, req.op));
		resend(&req);
	} else {
		CHECK(strcmp(resp.error, err) == 0);
	}

	ctl_response_free(&resp);
	ctl_request_free(&req);
	msgpack_sbuffer_destroy(&sb);
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct frames *f = arg;
	uint64_t l = len;

	CHECK(len <= CTL_MAX_REQUEST);
	f->hash = fnv(f->hash, &l, sizeof(l));
	f->hash = fnv(f->hash, payload, len);
	if (f->serve)
		serve(payload, len);
	if (++f->count == MAX_FRAMES)
		return -ECANCELED;
	return 0;
}

/* Feeds the input in reads of pseudo-random sizes drawn from its hash. */
static int
feed_chunked(struct frame_reader *fr, const uint8_t *data, size_t size,
    struct frames *f)
{
	uint64_t s = fnv(0xcbf29ce484222325ULL, data, size) | 1;
	int rc = 0;

	while (size > 0 && rc == 0) {
		uint64_t r = xorshift(&s);
		size_t n;

		switch (r & 3) {
		case 0:
			n = 1;
			break;
		case 1:
			n = 1 + (r >> 8) % 8;
			break;
		case 2:
			n = 1 + (r >> 8) % 4096;
			break;
		default:
			n = size;
			break;
		}
		if (n > size)
			n = size;
		rc = frame_reader_feed(fr, data, n, on_frame, f);
		data += n;
		size -= n;
	}
	return rc;
}

static void
check_mp(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	msgpack_unpacked up;
	size_t off = 0;

	if (mp_check(data, size, CTL_MAX_DEPTH, &why) != 0) {
		CHECK(why != NULL);
		return;
	}
	/* Only now is it safe to let msgpack-c allocate what data announces. */
	msgpack_unpacked_init(&up);
	CHECK(msgpack_unpack_next(&up, (const char *)data, size, &off) ==
	    MSGPACK_UNPACK_SUCCESS);
	CHECK(off == size);
	msgpack_unpacked_destroy(&up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader chunked, whole;
	struct frames fc = { 0, 0xcbf29ce484222325ULL, 1 };
	struct frames fw = { 0, 0xcbf29ce484222325ULL, 0 };
	int rc_chunked, rc_whole;

	CHECK(frame_reader_init(&chunked, CTL_MAX_REQUEST) == 0);
	CHECK(frame_reader_init(&whole, CTL_MAX_REQUEST) == 0);

	rc_chunked = feed_chunked(&chunked, data, size, &fc);
	rc_whole = frame_reader_feed(&whole, data, size, on_frame, &fw);
	CHECK(rc_chunked == 0 || rc_chunked == -EMSGSIZE ||
	    rc_chunked == -ECANCELED);
	CHECK(rc_chunked == rc_whole);
	CHECK(fc.count == fw.count);
	CHECK(fc.hash == fw.hash);
	CHECK(frame_reader_partial(&chunked) == frame_reader_partial(&whole));

	frame_reader_free(&chunked);
	frame_reader_free(&whole);
	frame_reader_free(NULL);

	check_mp(data, size);
	return 0;
}
