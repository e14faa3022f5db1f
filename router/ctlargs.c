/*
 * ctlargs.c - reading status-socket request arguments (ctlargs.h).
 */
#include "router/ctlargs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/mp.h"

int
ctl_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

int
ctl_arg_str(const struct ctl_request *req, const char *key, char *buf,
    size_t size, bool required, char *err, size_t errlen)
{
	const msgpack_object *o = mp_map_get(req->args, key);

	buf[0] = '\0';
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL) {
		if (required)
			return ctl_fail(err, errlen, -EINVAL,
			    "argument \"%s\" is required", key);
		return 0;
	}
	if (mp_get_str(o, buf, size) != 0)
		return ctl_fail(err, errlen, -EINVAL,
		    "argument \"%s\" must be a string of at most %zu bytes",
		    key, size - 1);
	return 0;
}

int
ctl_arg_bytes(const struct ctl_request *req, const char *key,
    const char **p, size_t *n, char *err, size_t errlen)
{
	const msgpack_object *o = mp_map_get(req->args, key);

	if (o != NULL && o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*n = o->via.str.size;
		return 0;
	}
	if (o != NULL && o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*n = o->via.bin.size;
		return 0;
	}
	return ctl_fail(err, errlen, -EINVAL,
	    "argument \"%s\" (the file's bytes) is required", key);
}
