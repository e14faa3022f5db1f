#include "common/ctlproto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mp.h"

static int
unpack_map(msgpack_unpacked *up, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	const char *why;
	size_t off = 0;

	if (mp_check(buf, len, CTL_MAX_DEPTH, &why) != 0) {
		snprintf(err, errlen, "malformed msgpack: %s", why);
		return -EBADMSG;
	}
	if (msgpack_unpack_next(up, (const char *)buf, len, &off) !=
	    MSGPACK_UNPACK_SUCCESS) {
		snprintf(err, errlen, "malformed msgpack");
		return -EBADMSG;
	}
	if (up->data.type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "message is not a map");
		return -EBADMSG;
	}
	return 0;
}

int
ctl_request_parse(struct ctl_request *req, const uint8_t *buf, size_t len,
    char *err, size_t errlen)
{
	const msgpack_object *v, *op, *id;
	int rc;

	memset(req, 0, sizeof(*req));
	msgpack_unpacked_init(&req->up);
	if ((rc = unpack_map(&req->up, buf, len, err, errlen)) != 0)
		return rc;
	id = mp_map_get(&req->up.data, "id");
	if (id != NULL) {
		if (mp_get_u64(id, &req->id) != 0) {
			snprintf(err, errlen, "\"id\" must be an unsigned integer");
			return -EBADMSG;
		}
		req->has_id = true;
	}
	v = mp_map_get(&req->up.data, "v");
	if (mp_get_u64(v, &req->version) != 0) {
		snprintf(err, errlen, "\"v\" (protocol version) missing or not an unsigned integer");
		return -EBADMSG;
	}
	if (req->version > CTL_PROTO_VERSION || req->version == 0) {
		snprintf(err, errlen,
		    "protocol version %llu not supported (this daemon speaks %u)",
		    (unsigned long long)req->version, CTL_PROTO_VERSION);
		return -EPROTONOSUPPORT;
	}
	op = mp_map_get(&req->up.data, "op");
	if (mp_get_str(op, req->op, sizeof(req->op)) != 0 || req->op[0] == '\0') {
		snprintf(err, errlen, "\"op\" missing, not a string or too long");
		return -EBADMSG;
	}
	req->args = mp_map_get(&req->up.data, "args");
	if (req->args != NULL && req->args->type != MSGPACK_OBJECT_MAP &&
	    req->args->type != MSGPACK_OBJECT_NIL) {
		snprintf(err, errlen, "\"args\" must be a map");
		return -EBADMSG;
	}
	if (req->args != NULL && req->args->type == MSGPACK_OBJECT_NIL)
		req->args = NULL;
	return 0;
}

void
ctl_request_free(struct ctl_request *req)
{
	if (req == NULL)
		return;
	msgpack_unpacked_destroy(&req->up);
	req->args = NULL;
}

void
ctl_request_begin(msgpack_packer *pk, const char *op, uint64_t id,
    bool with_args)
{
	msgpack_pack_map(pk, with_args ? 4 : 3);
	mp_pack_kv_u64(pk, "v", CTL_PROTO_VERSION);
	mp_pack_kv_str(pk, "op", op);
	mp_pack_kv_u64(pk, "id", id);
	if (with_args)
		mp_pack_key(pk, "args");
}

static void
reply_head(msgpack_packer *pk, const struct ctl_request *req, bool ok)
{
	msgpack_pack_map(pk, 4);
	mp_pack_kv_u64(pk, "v", CTL_PROTO_VERSION);
	mp_pack_key(pk, "id");
	if (req != NULL && req->has_id)
		msgpack_pack_uint64(pk, req->id);
	else
		msgpack_pack_nil(pk);
	mp_pack_kv_bool(pk, "ok", ok);
}

void
ctl_reply_ok_begin(msgpack_packer *pk, const struct ctl_request *req)
{
	reply_head(pk, req, true);
	mp_pack_key(pk, "result");
}

void
ctl_reply_error(msgpack_packer *pk, const struct ctl_request *req,
    const char *msg)
{
	reply_head(pk, req, false);
	mp_pack_kv_str(pk, "error", msg);
}

int
ctl_response_parse(struct ctl_response *resp, const uint8_t *buf, size_t len,
    char *err, size_t errlen)
{
	const msgpack_object *ok, *e, *id;
	int rc;

	memset(resp, 0, sizeof(*resp));
	msgpack_unpacked_init(&resp->up);
	if ((rc = unpack_map(&resp->up, buf, len, err, errlen)) != 0)
		return rc;
	if (mp_get_u64(mp_map_get(&resp->up.data, "v"), &resp->version) != 0) {
		snprintf(err, errlen, "reply has no protocol version");
		return -EBADMSG;
	}
	id = mp_map_get(&resp->up.data, "id");
	if (id != NULL && mp_get_u64(id, &resp->id) == 0)
		resp->has_id = true;
	ok = mp_map_get(&resp->up.data, "ok");
	if (ok == NULL || ok->type != MSGPACK_OBJECT_BOOLEAN) {
		snprintf(err, errlen, "reply has no \"ok\" flag");
		return -EBADMSG;
	}
	resp->ok = ok->via.boolean;
	if (resp->ok) {
		resp->result = mp_map_get(&resp->up.data, "result");
		if (resp->result == NULL) {
			snprintf(err, errlen, "reply has no result");
			return -EBADMSG;
		}
	} else {
		e = mp_map_get(&resp->up.data, "error");
		if (e == NULL || e->type != MSGPACK_OBJECT_STR) {
			snprintf(resp->error, sizeof(resp->error),
			    "(daemon gave no reason)");
		} else {
			size_t n = e->via.str.size;

			if (n >= sizeof(resp->error))
				n = sizeof(resp->error) - 1;
			memcpy(resp->error, e->via.str.ptr, n);
			resp->error[n] = '\0';
		}
	}
	return 0;
}

void
ctl_response_free(struct ctl_response *resp)
{
	if (resp == NULL)
		return;
	msgpack_unpacked_destroy(&resp->up);
	resp->result = NULL;
	free(resp->owned);
	resp->owned = NULL;
}
