/*
 * store_test.c - the LMDB wrapper: schema on creation, transactions,
 * persistence, the state directory lock and refusal of newer schemas.
 *
 * Each test works in its own directory under one mkdtemp() directory,
 * which main() removes at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"

static char top[4096];

/* A fresh path under the temporary directory, not yet created. */
static void
subdir(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", top, name);

	ASSERT(n > 0 && (size_t)n < size);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static const uint8_t schema_key[] = "schema";

static void
put_schema(struct store *st, uint64_t version, size_t len)
{
	struct store_txn *txn;
	uint8_t b[9] = { 0 };

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(version >> (56 - 8 * i));
	ASSERT_OK(store_txn_begin(st, true, &txn));
	ASSERT_OK(store_put(txn, STORE_DB_META, schema_key,
	    sizeof(schema_key) - 1, b, len));
	ASSERT_OK(store_txn_commit(txn));
}

static uint64_t
get_schema(struct store *st)
{
	struct store_txn *txn;
	const void *v = NULL;
	size_t vlen = 0;
	uint64_t have = 0;

	ASSERT_OK(store_txn_begin(st, false, &txn));
	ASSERT_OK(store_get(txn, STORE_DB_META, schema_key,
	    sizeof(schema_key) - 1, &v, &vlen));
	ASSERT_EQ(vlen, 8);
	for (size_t i = 0; i < 8; i++)
		have = have << 8 | ((const uint8_t *)v)[i];
	store_txn_abort(txn);
	return have;
}

/* Expects key to hold exactly val (NULL: to be absent). */
static void
expect(struct store_txn *txn, const char *key, const char *val)
{
	const void *v = NULL;
	size_t vlen = 0;
	int rc = store_get(txn, STORE_DB_META, key, strlen(key), &v, &vlen);

	if (val == NULL) {
		ASSERT_EQ(rc, -ENOENT);
		return;
	}
	ASSERT_OK(rc);
	ASSERT_EQ(vlen, strlen(val));
	ASSERT_MEM_EQ(v, val, vlen);
}

static void
put(struct store_txn *txn, const char *key, const char *val)
{
	ASSERT_OK(store_put(txn, STORE_DB_META, key, strlen(key), val,
	    strlen(val)));
}

static void
test_create(void)
{
	struct store *st;
	struct store_info info;
	struct stat sb;
	char dir[4096], path[4200], err[512] = "";

	/* Missing parents are created too; the directory is private. */
	subdir(dir, sizeof(dir), "create/a/b");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	ASSERT(st != NULL);
	ASSERT_OK(stat(dir, &sb));
	ASSERT(S_ISDIR(sb.st_mode));
	ASSERT_EQ(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	ASSERT_OK(stat(path, &sb));
	snprintf(path, sizeof(path), "%s/sluiced.lock", dir);
	ASSERT_OK(stat(path, &sb));

	/* The schema record is written on creation. */
	ASSERT_EQ(get_schema(st), STORE_SCHEMA_VERSION);
	ASSERT_OK(store_info_get(st, &info));
	ASSERT_EQ(info.schema, STORE_SCHEMA_VERSION);
	ASSERT_EQ(info.entries, 1);
	ASSERT(info.map_size > 0);
	ASSERT(info.used > 0 && info.used <= info.map_size);
	store_close(st);

	/* Opening it again keeps the one record. */
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	ASSERT_EQ(get_schema(st), STORE_SCHEMA_VERSION);
	ASSERT_OK(store_info_get(st, &info));
	ASSERT_EQ(info.entries, 1);
	store_close(st);

	store_close(NULL);
	store_txn_abort(NULL);
}

static void
test_txn(void)
{
	struct store *st;
	struct store_txn *txn, *rd;
	struct store_info info;
	char dir[4096], err[512] = "";
	const void *v;
	size_t vlen;
	uint8_t bin[300];

	subdir(dir, sizeof(dir), "txn");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));

	/* A write transaction sees its own writes. */
	ASSERT_OK(store_txn_begin(st, true, &txn));
	expect(txn, "k1", NULL);
	put(txn, "k1", "v1");
	put(txn, "k2", "v2");
	expect(txn, "k1", "v1");
	put(txn, "k1", "v1-again");	/* overwrite */
	expect(txn, "k1", "v1-again");
	ASSERT_OK(store_txn_commit(txn));

	ASSERT_OK(store_txn_begin(st, false, &rd));
	expect(rd, "k1", "v1-again");
	expect(rd, "k2", "v2");
	store_txn_abort(rd);

	/* Abort discards everything the transaction did. */
	ASSERT_OK(store_txn_begin(st, true, &txn));
	put(txn, "k3", "v3");
	ASSERT_OK(store_del(txn, STORE_DB_META, "k1", 2));
	expect(txn, "k1", NULL);
	expect(txn, "k3", "v3");
	store_txn_abort(txn);
	ASSERT_OK(store_txn_begin(st, false, &rd));
	expect(rd, "k1", "v1-again");
	expect(rd, "k3", NULL);
	store_txn_abort(rd);

	/* A reader keeps its snapshot while a writer commits. */
	ASSERT_OK(store_txn_begin(st, false, &rd));
	ASSERT_OK(store_txn_begin(st, true, &txn));
	put(txn, "k2", "changed");
	ASSERT_OK(store_txn_commit(txn));
	expect(rd, "k2", "v2");
	store_txn_abort(rd);
	ASSERT_OK(store_txn_begin(st, false, &rd));
	expect(rd, "k2", "changed");
	store_txn_abort(rd);

	/* Delete, and delete of what is not there. */
	ASSERT_OK(store_txn_begin(st, true, &txn));
	ASSERT_OK(store_del(txn, STORE_DB_META, "k2", 2));
	ASSERT_EQ(store_del(txn, STORE_DB_META, "k2", 2), -ENOENT);
	ASSERT_EQ(store_del(txn, STORE_DB_META, "nope", 4), -ENOENT);
	expect(txn, "k2", NULL);
	ASSERT_OK(store_txn_commit(txn));

	/* Binary values with NULs, and an empty value. */
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	bin[0] = 0;
	ASSERT_OK(store_txn_begin(st, true, &txn));
	ASSERT_OK(store_put(txn, STORE_DB_META, "bin", 3, bin, sizeof(bin)));
	ASSERT_OK(store_put(txn, STORE_DB_META, "empty", 5, "", 0));
	ASSERT_OK(store_txn_commit(txn));
	ASSERT_OK(store_txn_begin(st, false, &rd));
	ASSERT_OK(store_get(rd, STORE_DB_META, "bin", 3, &v, &vlen));
	ASSERT_EQ(vlen, sizeof(bin));
	ASSERT_MEM_EQ(v, bin, sizeof(bin));
	ASSERT_OK(store_get(rd, STORE_DB_META, "empty", 5, &v, &vlen));
	ASSERT_EQ(vlen, 0);
	/* A read-only transaction cannot write. */
	ASSERT(store_put(rd, STORE_DB_META, "ro", 2, "x", 1) < 0);
	store_txn_abort(rd);

	/* schema, k1, bin, empty. */
	ASSERT_OK(store_info_get(st, &info));
	ASSERT_EQ(info.entries, 4);
	store_close(st);

	/* Commits survive close and open; aborted writes never appear. */
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	ASSERT_OK(store_txn_begin(st, false, &rd));
	expect(rd, "k1", "v1-again");
	expect(rd, "k2", NULL);
	expect(rd, "k3", NULL);
	ASSERT_OK(store_get(rd, STORE_DB_META, "bin", 3, &v, &vlen));
	ASSERT_EQ(vlen, sizeof(bin));
	ASSERT_MEM_EQ(v, bin, sizeof(bin));
	store_txn_abort(rd);
	store_close(st);
}

static void
test_busy(void)
{
	struct store *st, *st2 = (struct store *)&st;
	char dir[4096], err[512] = "";

	subdir(dir, sizeof(dir), "busy");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	ASSERT_EQ(store_open(&st2, dir, err, sizeof(err)), -EBUSY);
	ASSERT(st2 == NULL);
	ASSERT_STR_HAS(err, "in use");
	ASSERT_STR_HAS(err, dir);
	/* The refused open left the first one working. */
	ASSERT_EQ(get_schema(st), STORE_SCHEMA_VERSION);
	store_close(st);

	/* Closing releases the directory. */
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	store_close(st);
}

static void
test_newer_schema(void)
{
	struct store *st, *st2;
	char dir[4096], err[512] = "";

	subdir(dir, sizeof(dir), "newer");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	put_schema(st, STORE_SCHEMA_VERSION + 1, 8);
	store_close(st);

	st = (struct store *)&st;
	ASSERT_EQ(store_open(&st, dir, err, sizeof(err)), -EPROTONOSUPPORT);
	ASSERT(st == NULL);
	ASSERT_STR_HAS(err, "newer");
	ASSERT_STR_HAS(err, "schema version 2");
	/*
	 * The refusal released the lock (a second try is refused for the
	 * schema again, not as busy) and left the record alone.
	 */
	ASSERT_EQ(store_open(&st, dir, err, sizeof(err)), -EPROTONOSUPPORT);
	ASSERT_STR_HAS(err, "newer");

	/* A far newer one too. */
	subdir(dir, sizeof(dir), "newest");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	put_schema(st, UINT64_MAX, 8);
	store_close(st);
	ASSERT_EQ(store_open(&st, dir, err, sizeof(err)), -EPROTONOSUPPORT);
	ASSERT_STR_HAS(err, "18446744073709551615");

	/* A schema record of the wrong size is refused, not guessed at. */
	subdir(dir, sizeof(dir), "short");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	put_schema(st, STORE_SCHEMA_VERSION, 7);
	store_close(st);
	ASSERT_EQ(store_open(&st, dir, err, sizeof(err)), -EBADMSG);
	ASSERT_STR_HAS(err, "unreadable");

	/* An older or equal schema opens (0 is older than any). */
	subdir(dir, sizeof(dir), "older");
	ASSERT_OK(store_open(&st, dir, err, sizeof(err)));
	put_schema(st, 0, 8);
	store_close(st);
	ASSERT_OK(store_open(&st2, dir, err, sizeof(err)));
	store_close(st2);
}

static void
test_bad_dir(void)
{
	struct store *st;
	char file[4096], dir[4200], err[512] = "";
	FILE *f;

	/* A state "directory" that is a file. */
	subdir(file, sizeof(file), "plain-file");
	f = fopen(file, "w");
	ASSERT(f != NULL);
	fclose(f);
	ASSERT(store_open(&st, file, err, sizeof(err)) < 0);
	ASSERT(st == NULL);
	ASSERT(err[0] != '\0');

	/* Under a file. */
	snprintf(dir, sizeof(dir), "%s/sub", file);
	ASSERT(store_open(&st, dir, err, sizeof(err)) < 0);
	ASSERT(st == NULL);
	ASSERT_STR_HAS(err, "cannot create");

	ASSERT(store_open(&st, "", err, sizeof(err)) < 0);
	ASSERT(st == NULL);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(top, sizeof(top), "%s/sluice-store-test.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	ASSERT(mkdtemp(top) != NULL);
	printf("in %s\n", top);
	RUN(test_create);
	RUN(test_txn);
	RUN(test_busy);
	RUN(test_newer_schema);
	RUN(test_bad_dir);
	ASSERT_OK(nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS));
	ASSERT(access(top, F_OK) != 0);
	printf("ok\n");
	return 0;
}
