/*
 * mp.h - small helpers over msgpack-c shared by every msgpack speaker
 * (status socket, control links, store records).
 */
#ifndef SLUICE_COMMON_MP_H
#define SLUICE_COMMON_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/*
 * Checks that buf holds exactly one well-formed msgpack object, no
 * deeper than max_depth, whose containers announce no more elements than
 * bytes remain. msgpack-c allocates what a container header announces
 * before it reads the elements, so a 6-byte frame could otherwise ask for
 * gigabytes. Returns 0 or -EBADMSG with a reason in *why (static string).
 */
int mp_check(const uint8_t *buf, size_t len, unsigned max_depth,
    const char **why);

/* Map lookup by string key; NULL if obj is not a map or has no such key. */
const msgpack_object *mp_map_get(const msgpack_object *obj, const char *key);
bool mp_is_str(const msgpack_object *o, const char *s);
/* Copies a str object into buf (NUL-terminated); -EINVAL if not a str or too long. */
int mp_get_str(const msgpack_object *o, char *buf, size_t size);
/* Returns 0 and the value if o is a non-negative integer, else -EINVAL. */
int mp_get_u64(const msgpack_object *o, uint64_t *out);

void mp_pack_str(msgpack_packer *pk, const char *s);
void mp_pack_kv_str(msgpack_packer *pk, const char *k, const char *v);
void mp_pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v);
void mp_pack_kv_i64(msgpack_packer *pk, const char *k, int64_t v);
void mp_pack_kv_bool(msgpack_packer *pk, const char *k, bool v);
/* Packs the key; the caller packs the value. */
void mp_pack_key(msgpack_packer *pk, const char *k);

#endif
