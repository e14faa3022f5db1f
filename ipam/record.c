/*
 * record.c - store keys and msgpack records of ipam/ (layout in
 * internal.h). Decoders check every record with mp_check() first, so a
 * damaged record is an error return, never a crash.
 */
#include "ipam/ipam.h"
#include "ipam/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/mp.h"
#include "store/store.h"

#define REC_DEPTH 4

int
ipam__fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *
ipam__pstr(const struct sluice_prefix *p, char *buf)
{
	return sluice_prefix_str(p, buf, SLUICE_PREFIXSTRLEN);
}

const char *
ipam__astr(const struct sluice_addr *a, char *buf)
{
	return sluice_addr_str(a, buf, SLUICE_ADDRSTRLEN);
}

uint64_t
ipam__fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

size_t
ipam__addr_key(const struct sluice_addr *a, uint8_t *key)
{
	size_t n = sluice_addr_len(a->family);

	key[0] = a->family == AF_INET ? 4 : 6;
	memcpy(key + 1, a->u.b, n);
	return 1 + n;
}

int
ipam__addr_from_key(const void *key, size_t klen, struct sluice_addr *a)
{
	const uint8_t *k = key;

	memset(a, 0, sizeof(*a));
	if (klen == 5 && k[0] == 4)
		a->family = AF_INET;
	else if (klen == 17 && k[0] == 6)
		a->family = AF_INET6;
	else
		return -EBADMSG;
	memcpy(a->u.b, k + 1, klen - 1);
	return 0;
}

size_t
ipam__block_key(const struct sluice_prefix *p, uint8_t *key)
{
	size_t n = ipam__addr_key(&p->addr, key);

	key[n] = p->len;
	return n + 1;
}

int
ipam__block_from_key(const void *key, size_t klen, struct sluice_prefix *p)
{
	const uint8_t *k = key;
	int rc;

	if (klen < 2)
		return -EBADMSG;
	if ((rc = ipam__addr_from_key(key, klen - 1, &p->addr)) != 0)
		return rc;
	p->len = k[klen - 1];
	if (p->len > (p->addr.family == AF_INET ? 32 : 128))
		return -EBADMSG;
	return 0;
}

/* Unpacks one checked record into up (caller destroys it). */
static int
unpack(const void *v, size_t vlen, msgpack_unpacked *up)
{
	const char *why;
	size_t off = 0;

	if (mp_check(v, vlen, REC_DEPTH, &why) != 0)
		return -EBADMSG;
	if (msgpack_unpack_next(up, v, vlen, &off) != MSGPACK_UNPACK_SUCCESS)
		return -EBADMSG;
	if (up->data.type != MSGPACK_OBJECT_MAP)
		return -EBADMSG;
	return 0;
}

int
ipam__block_decode(const void *v, size_t vlen, struct ipam__block_rec *rec)
{
	msgpack_unpacked up;
	int rc;

	memset(rec, 0, sizeof(*rec));
	msgpack_unpacked_init(&up);
	if ((rc = unpack(v, vlen, &up)) != 0)
		goto out;
	if (mp_get_str(mp_map_get(&up.data, "o"), rec->owner,
	    sizeof(rec->owner)) != 0 || rec->owner[0] == '\0' ||
	    mp_get_u64(mp_map_get(&up.data, "g"), &rec->gen) != 0 ||
	    mp_get_u64(mp_map_get(&up.data, "u"), &rec->used) != 0)
		rc = -EBADMSG;
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}

int
ipam__block_get(struct store_txn *txn, const struct sluice_prefix *b,
    struct ipam__block_rec *rec)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	const void *v;
	size_t vlen;
	int rc;

	rc = store_get(txn, STORE_DB_IPAM_BLOCKS, key, ipam__block_key(b, key),
	    &v, &vlen);
	if (rc != 0)
		return rc;
	return ipam__block_decode(v, vlen, rec);
}

int
ipam__block_put(struct store_txn *txn, const struct sluice_prefix *b,
    const struct ipam__block_rec *rec)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	mp_pack_kv_str(&pk, "o", rec->owner);
	mp_pack_kv_u64(&pk, "g", rec->gen);
	mp_pack_kv_u64(&pk, "u", rec->used);
	rc = sb.data == NULL ? -ENOMEM :
	    store_put(txn, STORE_DB_IPAM_BLOCKS, key, ipam__block_key(b, key),
	    sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static void
set_iface(struct ipam_alloc_info *info)
{
	const char *slash = strrchr(info->handle, '/');

	info->iface[0] = '\0';
	if (slash != NULL && strlen(slash + 1) < sizeof(info->iface))
		strcpy(info->iface, slash + 1);
}

int
ipam__alloc_decode(const void *v, size_t vlen, struct ipam_alloc_info *info)
{
	const msgpack_object *o, *l;
	msgpack_unpacked up;
	int rc;

	memset(info, 0, sizeof(*info));
	msgpack_unpacked_init(&up);
	if ((rc = unpack(v, vlen, &up)) != 0)
		goto out;
	rc = -EBADMSG;
	if (mp_get_str(mp_map_get(&up.data, "h"), info->handle,
	    sizeof(info->handle)) != 0 || info->handle[0] == '\0' ||
	    mp_get_str(mp_map_get(&up.data, "n"), info->node,
	    sizeof(info->node)) != 0)
		goto out;
	if ((o = mp_map_get(&up.data, "ns")) != NULL &&
	    mp_get_str(o, info->namespace, sizeof(info->namespace)) != 0)
		goto out;
	if ((o = mp_map_get(&up.data, "p")) != NULL &&
	    mp_get_str(o, info->pod, sizeof(info->pod)) != 0)
		goto out;
	set_iface(info);
	l = mp_map_get(&up.data, "l");
	if (l != NULL && l->type == MSGPACK_OBJECT_MAP && l->via.map.size > 0) {
		if (l->via.map.size > IPAM_LABELS_MAX)
			goto out;
		info->labels = calloc(l->via.map.size, sizeof(*info->labels));
		if (info->labels == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < l->via.map.size; i++) {
			if (mp_get_str(&l->via.map.ptr[i].key,
			    info->labels[i].key,
			    sizeof(info->labels[i].key)) != 0 ||
			    mp_get_str(&l->via.map.ptr[i].val,
			    info->labels[i].value,
			    sizeof(info->labels[i].value)) != 0)
				goto out;
			info->nlabels = i + 1;
		}
	}
	/* Named ports: [[name, protocol, port], ...] (added in 0.4; optional). */
	l = mp_map_get(&up.data, "pt");
	if (l != NULL && l->type == MSGPACK_OBJECT_ARRAY) {
		if (l->via.array.size > IPAM_PORTS_MAX)
			goto out;
		for (uint32_t i = 0; i < l->via.array.size; i++) {
			const msgpack_object *e = &l->via.array.ptr[i];
			struct ipam_port *pt = &info->ports[i];

			if (e->type != MSGPACK_OBJECT_ARRAY ||
			    e->via.array.size != 3 ||
			    mp_get_str(&e->via.array.ptr[0], pt->name,
			    sizeof(pt->name)) != 0 ||
			    e->via.array.ptr[1].type !=
			    MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    e->via.array.ptr[1].via.u64 > 255 ||
			    e->via.array.ptr[2].type !=
			    MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    e->via.array.ptr[2].via.u64 == 0 ||
			    e->via.array.ptr[2].via.u64 > 65535)
				goto out;
			pt->protocol = (uint8_t)e->via.array.ptr[1].via.u64;
			pt->port = (uint16_t)e->via.array.ptr[2].via.u64;
			info->nports = i + 1;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		ipam__alloc_info_clear(info);
	msgpack_unpacked_destroy(&up);
	return rc;
}

int
ipam__handle_decode(const void *v, size_t vlen, struct sluice_addr *a)
{
	const msgpack_object *o;
	msgpack_unpacked up;
	int rc;

	msgpack_unpacked_init(&up);
	if ((rc = unpack(v, vlen, &up)) != 0)
		goto out;
	o = mp_map_get(&up.data, "a");
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN)
		rc = -EBADMSG;
	else
		rc = ipam__addr_from_key(o->via.bin.ptr, o->via.bin.size, a);
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}

int
ipam__alloc_put(struct store_txn *txn, const struct ipam_alloc_info *info)
{
	uint8_t key[IPAM__ADDR_KEY_MAX];
	size_t klen = ipam__addr_key(&info->addr, key);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 6 + (info->nports > 0));
	mp_pack_kv_str(&pk, "h", info->handle);
	mp_pack_kv_str(&pk, "n", info->node);
	mp_pack_kv_str(&pk, "ns", info->namespace);
	mp_pack_kv_str(&pk, "p", info->pod);
	mp_pack_kv_str(&pk, "i", info->iface);
	mp_pack_key(&pk, "l");
	msgpack_pack_map(&pk, info->nlabels);
	for (size_t i = 0; i < info->nlabels; i++) {
		mp_pack_str(&pk, info->labels[i].key);
		mp_pack_str(&pk, info->labels[i].value);
	}
	if (info->nports > 0) {
		mp_pack_key(&pk, "pt");
		msgpack_pack_array(&pk, info->nports);
		for (size_t i = 0; i < info->nports; i++) {
			msgpack_pack_array(&pk, 3);
			mp_pack_str(&pk, info->ports[i].name);
			msgpack_pack_uint8(&pk, info->ports[i].protocol);
			msgpack_pack_uint16(&pk, info->ports[i].port);
		}
	}
	if (sb.data == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = store_put(txn, STORE_DB_IPAM_BY_IP, key, klen, sb.data, sb.size);
	if (rc != 0)
		goto out;
	sb.size = 0;
	msgpack_pack_map(&pk, 1);
	mp_pack_key(&pk, "a");
	msgpack_pack_bin(&pk, klen);
	msgpack_pack_bin_body(&pk, key, klen);
	rc = store_put(txn, STORE_DB_IPAM_BY_HANDLE, info->handle,
	    strlen(info->handle), sb.data, sb.size);
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

void
ipam__alloc_info_clear(struct ipam_alloc_info *info)
{
	free(info->labels);
	info->labels = NULL;
	info->nlabels = 0;
	info->nports = 0;
}

int
ipam__allocs_push(struct ipam_allocs *list, const struct ipam_alloc_info *info)
{
	struct ipam_alloc_info *v, *d;

	v = realloc(list->v, (list->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	list->v = v;
	d = &v[list->n];
	*d = *info;
	d->labels = NULL;
	if (info->nlabels > 0) {
		d->labels = calloc(info->nlabels, sizeof(*d->labels));
		if (d->labels == NULL)
			return -ENOMEM;
		memcpy(d->labels, info->labels,
		    info->nlabels * sizeof(*d->labels));
	}
	list->n++;
	return 0;
}

void
ipam_allocs_free(struct ipam_allocs *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].labels);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

int
ipam__vote_get(struct store_txn *txn, const struct sluice_prefix *b,
    char *claimant, size_t size)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	msgpack_unpacked up;
	const void *v;
	size_t vlen;
	int rc;

	rc = store_get(txn, STORE_DB_IPAM_VOTES, key, ipam__block_key(b, key),
	    &v, &vlen);
	if (rc != 0)
		return rc;
	msgpack_unpacked_init(&up);
	if ((rc = unpack(v, vlen, &up)) == 0 &&
	    (mp_get_str(mp_map_get(&up.data, "c"), claimant, size) != 0 ||
	    claimant[0] == '\0'))
		rc = -EBADMSG;
	msgpack_unpacked_destroy(&up);
	return rc;
}

int
ipam__vote_put(struct store_txn *txn, const struct sluice_prefix *b,
    const char *claimant)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "c", claimant);
	rc = sb.data == NULL ? -ENOMEM :
	    store_put(txn, STORE_DB_IPAM_VOTES, key, ipam__block_key(b, key),
	    sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

int
ipam__vote_del(struct store_txn *txn, const struct sluice_prefix *b)
{
	uint8_t key[IPAM__BLOCK_KEY_MAX];
	int rc = store_del(txn, STORE_DB_IPAM_VOTES, key,
	    ipam__block_key(b, key));

	return rc == -ENOENT ? 0 : rc;
}
