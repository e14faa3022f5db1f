#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#define MAP_SIZE (256ull * 1024 * 1024)

static const char *const db_names[STORE_DB_COUNT] = {
	[STORE_DB_META] = "meta",
	[STORE_DB_IPAM_BLOCKS] = "ipam_blocks",
	[STORE_DB_IPAM_BY_IP] = "ipam_by_ip",
	[STORE_DB_IPAM_BY_HANDLE] = "ipam_by_handle",
	[STORE_DB_IPAM_VOTES] = "ipam_votes",
	[STORE_DB_DNS] = "dns_bindings",
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB_COUNT];
	int lock_fd;
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
};

struct store_cursor {
	MDB_cursor *cur;
};

/* LMDB returns positive MDB_* codes or errno values; map them to -errno. */
static int
mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	case MDB_CORRUPTED:
		return -EBADMSG;
	default:
		return rc > 0 && rc < 4096 ? -rc : -EIO;
	}
}

static int
mkdir_p(const char *dir, mode_t mode)
{
	char tmp[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static const uint8_t schema_key[] = "schema";

/* Schema version as 8 bytes big-endian, so it never depends on msgpack. */
static int
check_schema(struct store *st, char *err, size_t errlen)
{
	struct store_txn *txn;
	const void *v = NULL;
	size_t vlen = 0;
	uint64_t have = 0;
	int rc;

	if ((rc = store_txn_begin(st, true, &txn)) != 0) {
		snprintf(err, errlen, "cannot begin a transaction: %s",
		    strerror(-rc));
		return rc;
	}
	rc = store_get(txn, STORE_DB_META, schema_key, sizeof(schema_key) - 1,
	    &v, &vlen);
	if (rc == -ENOENT) {
		uint8_t b[8];

		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)((uint64_t)STORE_SCHEMA_VERSION >>
			    (56 - 8 * i));
		rc = store_put(txn, STORE_DB_META, schema_key,
		    sizeof(schema_key) - 1, b, sizeof(b));
		if (rc == 0)
			return store_txn_commit(txn);
		snprintf(err, errlen, "cannot write the schema version: %s",
		    strerror(-rc));
		store_txn_abort(txn);
		return rc;
	}
	if (rc != 0 || vlen != 8) {
		snprintf(err, errlen, "schema version record is unreadable");
		store_txn_abort(txn);
		return rc ? rc : -EBADMSG;
	}
	for (int i = 0; i < 8; i++)
		have = have << 8 | ((const uint8_t *)v)[i];
	store_txn_abort(txn);
	if (have > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
		    "store has schema version %llu, newer than this sluiced supports (%d); refusing to touch it (run the newer sluiced, or move the state directory aside)",
		    (unsigned long long)have, STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	/* Older schemas are migrated here once there is more than one. */
	return 0;
}

int
store_open(struct store **out, const char *dir, char *err, size_t errlen)
{
	struct store *st;
	char path[4096];
	MDB_txn *txn;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->lock_fd = -1;
	if ((rc = mkdir_p(dir, 0700)) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		goto err_free;
	}
	snprintf(path, sizeof(path), "%s/sluiced.lock", dir);
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		goto err_free;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen,
		    "state directory %s is in use by another sluiced", dir);
		goto err_lock;
	}
	if ((rc = mdb_err(mdb_env_create(&st->env))) != 0) {
		snprintf(err, errlen, "mdb_env_create: %s", strerror(-rc));
		goto err_lock;
	}
	mdb_env_set_maxdbs(st->env, STORE_DB_COUNT + 4);
	mdb_env_set_mapsize(st->env, MAP_SIZE);
	rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open the store in %s: %s", dir,
		    mdb_strerror(rc));
		rc = mdb_err(rc);
		goto err_env;
	}
	/* Reclaim reader slots a crashed process left behind. */
	mdb_reader_check(st->env, NULL);
	if ((rc = mdb_err(mdb_txn_begin(st->env, NULL, 0, &txn))) != 0) {
		snprintf(err, errlen, "cannot begin a transaction: %s",
		    strerror(-rc));
		goto err_env;
	}
	for (int i = 0; i < STORE_DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &st->dbi[i]);
		if (rc != 0) {
			snprintf(err, errlen, "cannot open sub-database %s: %s",
			    db_names[i], mdb_strerror(rc));
			mdb_txn_abort(txn);
			rc = mdb_err(rc);
			goto err_env;
		}
	}
	if ((rc = mdb_err(mdb_txn_commit(txn))) != 0) {
		snprintf(err, errlen, "cannot commit: %s", strerror(-rc));
		goto err_env;
	}
	if ((rc = check_schema(st, err, errlen)) != 0)
		goto err_env;
	*out = st;
	return 0;

err_env:
	mdb_env_close(st->env);
err_lock:
	close(st->lock_fd);
err_free:
	free(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* releases the flock */
	free(st);
}

int
store_info_get(struct store *st, struct store_info *info)
{
	MDB_envinfo ei;
	MDB_stat ms;
	MDB_txn *txn;
	int rc;

	memset(info, 0, sizeof(*info));
	info->schema = STORE_SCHEMA_VERSION;
	mdb_env_info(st->env, &ei);
	mdb_env_stat(st->env, &ms);
	info->map_size = ei.me_mapsize;
	info->used = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	for (int i = 0; i < STORE_DB_COUNT; i++) {
		if (mdb_stat(txn, st->dbi[i], &ms) == 0)
			info->entries += ms.ms_entries;
	}
	mdb_txn_abort(txn);
	return 0;
}

int
store_txn_begin(struct store *st, bool write, struct store_txn **out)
{
	struct store_txn *t;
	int rc;

	t = malloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->st = st;
	rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != 0) {
		free(t);
		return mdb_err(rc);
	}
	*out = t;
	return 0;
}

int
store_txn_commit(struct store_txn *txn)
{
	int rc = mdb_txn_commit(txn->txn);

	free(txn);
	return mdb_err(rc);
}

void
store_txn_abort(struct store_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn->txn);
	free(txn);
}

int
store_get(struct store_txn *txn, enum store_db db, const void *key,
    size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(txn->txn, txn->st->dbi[db], &k, &v);

	if (rc != 0)
		return mdb_err(rc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int
store_put(struct store_txn *txn, enum store_db db, const void *key,
    size_t klen, const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };

	return mdb_err(mdb_put(txn->txn, txn->st->dbi[db], &k, &v, 0));
}

int
store_del(struct store_txn *txn, enum store_db db, const void *key,
    size_t klen)
{
	MDB_val k = { klen, (void *)key };

	return mdb_err(mdb_del(txn->txn, txn->st->dbi[db], &k, NULL));
}

int
store_count(struct store_txn *txn, enum store_db db, uint64_t *out)
{
	MDB_stat ms;
	int rc = mdb_stat(txn->txn, txn->st->dbi[db], &ms);

	*out = rc == 0 ? ms.ms_entries : 0;
	return mdb_err(rc);
}

int
store_cursor_open(struct store_txn *txn, enum store_db db,
    struct store_cursor **out)
{
	struct store_cursor *c;
	int rc;

	*out = NULL;
	c = malloc(sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	rc = mdb_cursor_open(txn->txn, txn->st->dbi[db], &c->cur);
	if (rc != 0) {
		free(c);
		return mdb_err(rc);
	}
	*out = c;
	return 0;
}

void
store_cursor_close(struct store_cursor *c)
{
	if (c == NULL)
		return;
	mdb_cursor_close(c->cur);
	free(c);
}

static int
cursor_get(struct store_cursor *c, MDB_val *key, MDB_cursor_op op,
    const void **k, size_t *kl, const void **v, size_t *vl)
{
	MDB_val val;
	int rc = mdb_cursor_get(c->cur, key, &val, op);

	if (rc != 0)
		return mdb_err(rc);
	if (k != NULL)
		*k = key->mv_data;
	if (kl != NULL)
		*kl = key->mv_size;
	if (v != NULL)
		*v = val.mv_data;
	if (vl != NULL)
		*vl = val.mv_size;
	return 0;
}

int
store_cursor_seek(struct store_cursor *c, const void *key, size_t klen,
    const void **k, size_t *kl, const void **v, size_t *vl)
{
	MDB_val mk = { klen, (void *)key };

	return cursor_get(c, &mk, klen == 0 ? MDB_FIRST : MDB_SET_RANGE, k,
	    kl, v, vl);
}

int
store_cursor_next(struct store_cursor *c, const void **k, size_t *kl,
    const void **v, size_t *vl)
{
	MDB_val mk = { 0, NULL };

	return cursor_get(c, &mk, MDB_NEXT, k, kl, v, vl);
}
