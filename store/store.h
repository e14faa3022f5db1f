/*
 * store.h - the node's durable state: one LMDB environment in the state
 * directory. This is the only module that includes lmdb.h; callers see
 * named sub-databases of opaque byte records (msgpack by convention).
 *
 * One sluiced owns a state directory at a time: store_open() takes an
 * exclusive lock on DIR/sluiced.lock and refuses a directory in use.
 */
#ifndef SLUICE_STORE_STORE_H
#define SLUICE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Schema this build reads and writes. A store with a newer one is refused.
 * Bump it only when an existing record changes meaning or encoding. A new
 * sub-database is additive: store_open() creates it on an older store and
 * an older sluiced never opens it, so it needs no bump. History:
 *   1  meta.
 *   1  (additive) ipam_blocks, ipam_by_ip, ipam_by_handle; ipam/ owns
 *      their records and documents them in ipam/internal.h.
 *   1  (additive) ipam_votes: block claims this node has acknowledged.
 */
#define STORE_SCHEMA_VERSION 1

enum store_db {
	STORE_DB_META = 0,	/* schema version, node identity */
	STORE_DB_IPAM_BLOCKS,	/* block prefix -> owner node, generation */
	STORE_DB_IPAM_BY_IP,	/* address -> handle and endpoint metadata */
	STORE_DB_IPAM_BY_HANDLE, /* handle -> address */
	STORE_DB_IPAM_VOTES,	/* block prefix -> the claimant acknowledged */
	STORE_DB_DNS,		/* pod address, name, address -> expiry (dns/) */
	STORE_DB_COUNT,
};

struct store;
struct store_txn;
struct store_cursor;

struct store_info {
	uint64_t schema;
	uint64_t map_size;	/* bytes reserved for the map */
	uint64_t used;		/* bytes in use (pages * page size) */
	uint64_t entries;	/* records over all sub-databases */
};

/*
 * Opens (creating if needed, mode 0700) the store in dir. On failure
 * returns a negative errno and a sentence in err: -EBUSY if another
 * process holds the directory, -EPROTONOSUPPORT if the store was written
 * by a newer schema. The caller owns *out and frees it with store_close().
 */
int store_open(struct store **out, const char *dir, char *err, size_t errlen);
/* Accepts NULL. Aborting transactions still open is the caller's job. */
void store_close(struct store *st);

int store_info_get(struct store *st, struct store_info *info);

/* A transaction; write transactions are serialised by LMDB. */
int store_txn_begin(struct store *st, bool write, struct store_txn **out);
/* Commits and frees txn, also on failure. */
int store_txn_commit(struct store_txn *txn);
/* Accepts NULL. */
void store_txn_abort(struct store_txn *txn);

/*
 * Looks key up. The value is borrowed: valid until the transaction ends
 * and never to be written. Returns 0, -ENOENT or another negative errno.
 */
int store_get(struct store_txn *txn, enum store_db db, const void *key,
    size_t klen, const void **val, size_t *vlen);
int store_put(struct store_txn *txn, enum store_db db, const void *key,
    size_t klen, const void *val, size_t vlen);
/* Returns 0 or -ENOENT. */
int store_del(struct store_txn *txn, enum store_db db, const void *key,
    size_t klen);
/* Number of records in db as seen by txn. */
int store_count(struct store_txn *txn, enum store_db db, uint64_t *out);

/*
 * Cursors walk a sub-database in key order (bytewise, shorter first on a
 * common prefix). A cursor belongs to txn and must be closed before txn
 * is committed or aborted. Keys and values it returns are borrowed like
 * store_get()'s, and also become invalid once the transaction writes to
 * db: close the cursor (or seek again) after a put or del.
 */
int store_cursor_open(struct store_txn *txn, enum store_db db,
    struct store_cursor **out);
/* Accepts NULL. */
void store_cursor_close(struct store_cursor *c);
/*
 * Moves to the first record whose key is >= key (klen 0: the first
 * record) and returns it. Returns 0, -ENOENT if there is none, or another
 * negative errno. k/klen/v/vlen may be NULL if not wanted.
 */
int store_cursor_seek(struct store_cursor *c, const void *key, size_t klen,
    const void **k, size_t *kl, const void **v, size_t *vl);
/* Moves to the next record; as store_cursor_seek(), -ENOENT at the end. */
int store_cursor_next(struct store_cursor *c, const void **k, size_t *kl,
    const void **v, size_t *vl);

#endif
