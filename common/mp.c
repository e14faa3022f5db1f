#include "common/mp.h"

#include <errno.h>
#include <string.h>

/* Reads a big-endian unsigned of n bytes at p. */
static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Walks the encoding without building objects. `pending` counts the
 * objects still expected at each depth; every object takes at least one
 * byte, so a container may not announce more elements than bytes remain.
 */
int
mp_check(const uint8_t *buf, size_t len, unsigned max_depth, const char **why)
{
	uint64_t pending[64];
	unsigned depth = 0;
	size_t pos = 0;

	if (max_depth >= sizeof(pending) / sizeof(pending[0]))
		max_depth = sizeof(pending) / sizeof(pending[0]) - 1;
	pending[0] = 1;
	*why = NULL;
	while (depth > 0 || pending[0] > 0) {
		uint8_t t;
		size_t hdr = 1;
		uint64_t skip = 0, items = 0;

		if (pending[depth] == 0) {
			depth--;
			continue;
		}
		if (pos >= len) {
			*why = "truncated";
			return -EBADMSG;
		}
		t = buf[pos];
		if (t <= 0x7f || t >= 0xe0 || (t >= 0xc0 && t <= 0xc3)) {
			if (t == 0xc1) {
				*why = "reserved type byte 0xc1";
				return -EBADMSG;
			}
		} else if (t >= 0xa0 && t <= 0xbf) {
			skip = t & 0x1f;
		} else if (t >= 0x90 && t <= 0x9f) {
			items = t & 0x0f;
		} else if (t >= 0x80 && t <= 0x8f) {
			items = 2 * (uint64_t)(t & 0x0f);
		} else {
			static const struct {
				uint8_t lenbytes; /* size field width */
				uint8_t fixed;	  /* fixed payload bytes */
				uint8_t kind;	  /* 0 scalar, 1 blob, 2 array, 3 map */
				uint8_t extra;	  /* ext type byte */
			} tab[] = {
				[0xc4 - 0xc4] = { 1, 0, 1, 0 }, /* bin8 */
				[0xc5 - 0xc4] = { 2, 0, 1, 0 },
				[0xc6 - 0xc4] = { 4, 0, 1, 0 },
				[0xc7 - 0xc4] = { 1, 0, 1, 1 }, /* ext8 */
				[0xc8 - 0xc4] = { 2, 0, 1, 1 },
				[0xc9 - 0xc4] = { 4, 0, 1, 1 },
				[0xca - 0xc4] = { 0, 4, 0, 0 }, /* float32 */
				[0xcb - 0xc4] = { 0, 8, 0, 0 },
				[0xcc - 0xc4] = { 0, 1, 0, 0 }, /* uint8.. */
				[0xcd - 0xc4] = { 0, 2, 0, 0 },
				[0xce - 0xc4] = { 0, 4, 0, 0 },
				[0xcf - 0xc4] = { 0, 8, 0, 0 },
				[0xd0 - 0xc4] = { 0, 1, 0, 0 }, /* int8.. */
				[0xd1 - 0xc4] = { 0, 2, 0, 0 },
				[0xd2 - 0xc4] = { 0, 4, 0, 0 },
				[0xd3 - 0xc4] = { 0, 8, 0, 0 },
				[0xd4 - 0xc4] = { 0, 2, 0, 0 }, /* fixext */
				[0xd5 - 0xc4] = { 0, 3, 0, 0 },
				[0xd6 - 0xc4] = { 0, 5, 0, 0 },
				[0xd7 - 0xc4] = { 0, 9, 0, 0 },
				[0xd8 - 0xc4] = { 0, 17, 0, 0 },
				[0xd9 - 0xc4] = { 1, 0, 1, 0 }, /* str8 */
				[0xda - 0xc4] = { 2, 0, 1, 0 },
				[0xdb - 0xc4] = { 4, 0, 1, 0 },
				[0xdc - 0xc4] = { 2, 0, 2, 0 }, /* array16 */
				[0xdd - 0xc4] = { 4, 0, 2, 0 },
				[0xde - 0xc4] = { 2, 0, 3, 0 }, /* map16 */
				[0xdf - 0xc4] = { 4, 0, 3, 0 },
			};
			const uint8_t lb = tab[t - 0xc4].lenbytes;
			uint64_t n;

			if (len - pos - 1 < lb) {
				*why = "truncated";
				return -EBADMSG;
			}
			n = be(buf + pos + 1, lb);
			hdr = 1 + lb + tab[t - 0xc4].extra;
			switch (tab[t - 0xc4].kind) {
			case 0:
				skip = tab[t - 0xc4].fixed;
				break;
			case 1:
				skip = n;
				break;
			case 2:
				items = n;
				break;
			default:
				items = 2 * n;
				break;
			}
		}
		if (len - pos < hdr || len - pos - hdr < skip) {
			*why = "truncated";
			return -EBADMSG;
		}
		pos += hdr + skip;
		pending[depth]--;
		if (items > 0) {
			if (items > len - pos) {
				*why = "container announces more elements than the message holds";
				return -EBADMSG;
			}
			if (depth + 1 > max_depth) {
				*why = "nested too deeply";
				return -EBADMSG;
			}
			pending[++depth] = items;
		}
	}
	if (pos != len) {
		*why = "trailing bytes after the message";
		return -EBADMSG;
	}
	return 0;
}

const msgpack_object *
mp_map_get(const msgpack_object *obj, const char *key)
{
	size_t klen = strlen(key);

	if (obj == NULL || obj->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < obj->via.map.size; i++) {
		const msgpack_object_kv *kv = &obj->via.map.ptr[i];

		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == klen &&
		    memcmp(kv->key.via.str.ptr, key, klen) == 0)
			return &kv->val;
	}
	return NULL;
}

bool
mp_is_str(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o != NULL && o->type == MSGPACK_OBJECT_STR &&
	    o->via.str.size == n && memcmp(o->via.str.ptr, s, n) == 0;
}

int
mp_get_str(const msgpack_object *o, char *buf, size_t size)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size >= size)
		return -EINVAL;
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return -EINVAL;
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	return 0;
}

int
mp_get_u64(const msgpack_object *o, uint64_t *out)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -EINVAL;
	*out = o->via.u64;
	return 0;
}

void
mp_pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
mp_pack_key(msgpack_packer *pk, const char *k)
{
	mp_pack_str(pk, k);
}

void
mp_pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	mp_pack_str(pk, k);
	if (v == NULL)
		msgpack_pack_nil(pk);
	else
		mp_pack_str(pk, v);
}

void
mp_pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	mp_pack_str(pk, k);
	msgpack_pack_uint64(pk, v);
}

void
mp_pack_kv_i64(msgpack_packer *pk, const char *k, int64_t v)
{
	mp_pack_str(pk, k);
	msgpack_pack_int64(pk, v);
}

void
mp_pack_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
	mp_pack_str(pk, k);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}
