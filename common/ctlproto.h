/*
 * ctlproto.h - the status socket protocol, spoken by sluiced, sluicectl
 * and sluice-cni.
 *
 * Each message is a frame (frame.h) holding one msgpack map.
 *   request:  {"v": 1, "op": "status", "id": 7, "args": {...}}
 *             "id" and "args" are optional; unknown keys are ignored.
 *   response: {"v": 1, "id": 7, "ok": true,  "result": <any>}
 *             {"v": 1, "id": 7, "ok": false, "error": "reason"}
 * A request whose "v" is newer than CTL_PROTO_VERSION is answered with an
 * error naming both versions. Every request gets exactly one response,
 * but a request that waits on the cluster (ipam.allocate while a block is
 * claimed) is answered later, after requests sent behind it: a client
 * that sends several before reading matches responses by "id".
 */
#ifndef SLUICE_COMMON_CTLPROTO_H
#define SLUICE_COMMON_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define CTL_PROTO_VERSION 1
#define CTL_MAX_REQUEST (64u * 1024)
#define CTL_MAX_RESPONSE (4u * 1024 * 1024)
#define CTL_MAX_DEPTH 16
#define CTL_OP_MAX 32

struct ctl_request {
	uint64_t version;
	char op[CTL_OP_MAX];
	uint64_t id;
	bool has_id;
	const msgpack_object *args;	/* NULL if absent; owned by up */
	msgpack_unpacked up;
};

/*
 * Parses one request payload. On failure returns -EBADMSG (not msgpack,
 * not a map, missing or mistyped fields) or -EPROTONOSUPPORT (newer
 * version) with a reason in err; req->id/has_id are still filled in when
 * the id could be read, so the error reply can name it. The caller calls
 * ctl_request_free() whatever the result.
 */
int ctl_request_parse(struct ctl_request *req, const uint8_t *buf, size_t len,
    char *err, size_t errlen);
void ctl_request_free(struct ctl_request *req);

/*
 * Packs the request map header and fields; with with_args the caller
 * then packs exactly one object (the args map).
 */
void ctl_request_begin(msgpack_packer *pk, const char *op, uint64_t id,
    bool with_args);

/* Packs an ok reply up to "result"; the caller packs exactly one object. */
void ctl_reply_ok_begin(msgpack_packer *pk, const struct ctl_request *req);
void ctl_reply_error(msgpack_packer *pk, const struct ctl_request *req,
    const char *msg);

struct ctl_response {
	uint64_t version;
	bool ok;
	uint64_t id;
	bool has_id;
	const msgpack_object *result;	/* owned by up; ok replies only */
	char error[512];		/* error replies only */
	msgpack_unpacked up;
	/*
	 * msgpack-c's strings point into the bytes they were unpacked from:
	 * a reader that hands its buffer over here keeps result valid until
	 * ctl_response_free(), which frees it.
	 */
	void *owned;
};

/*
 * Parses a reply payload; -EBADMSG with a reason in err if malformed.
 * result borrows from buf: keep buf until ctl_response_free() (or hand it
 * over in resp->owned).
 */
int ctl_response_parse(struct ctl_response *resp, const uint8_t *buf,
    size_t len, char *err, size_t errlen);
void ctl_response_free(struct ctl_response *resp);

#endif
