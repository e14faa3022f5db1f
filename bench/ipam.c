/*
 * bench/ipam.c - durable allocations/s and releases/s through the IPAM
 * API alone (no status socket, no CNI): each call is one LMDB write
 * transaction committed with fsync, as the daemon does it.
 *
 *   bench_ipam [COUNT [DIR]]
 *
 * COUNT allocations (default 5000) on one node from a /16 pool with /26
 * blocks, then COUNT idempotent repeats (read-only), then COUNT releases.
 * The store lives in a fresh mkdtemp() directory under DIR (default
 * /tmp: put it on the filesystem of /var/lib/sluice to measure that
 * disk), removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipam/ipam.h"
#include "store/store.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The store directory is flat (LMDB's files and the lock): empty it. */
static void
rm_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (dp == NULL)
		return;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(dp), de->d_name, 0);
	closedir(dp);
	rmdir(dir);
}

static void
handle(char *buf, size_t size, long i)
{
	snprintf(buf, size, "%064lx/eth0", i);
}

int
main(int argc, char **argv)
{
	static const struct sluice_label node_labels[] = { { "zone", "a" } };
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
	const char *base = argc > 2 ? argv[2] : "/tmp";
	struct ipam_pool pool = { 0 };
	struct ipam *ipam = NULL;
	struct store *st = NULL;
	char dir[4096], err[512], h[128];
	double t0, ta, tr, ti;
	int rc = 1;

	if (count <= 0 || count > 16000) {
		fprintf(stderr, "bench_ipam: COUNT must be 1 to 16000\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/sluice-bench-ipam.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("bench_ipam: mkdtemp");
		return 1;
	}
	if (store_open(&st, dir, err, sizeof(err)) != 0 ||
	    ipam_open(&ipam, st, NULL, NULL, err, sizeof(err)) != 0)
		goto fail;
	pool.name = "default";
	if (sluice_prefix_parse("10.244.0.0/16", false, &pool.cidr) != 0)
		goto out;
	if (ipam_pools_set(ipam, &pool, 1, err, sizeof(err)) != 0)
		goto fail;

	t0 = now();
	for (long i = 0; i < count; i++) {
		struct ipam_request rq = {
			.handle = h, .namespace = "default", .pod = "bench",
			.node = "node-a", .node_labels = node_labels,
			.nnode_labels = 1,
		};
		struct ipam_result r;

		handle(h, sizeof(h), i);
		if (ipam_allocate(ipam, &rq, &r, err, sizeof(err)) != 0)
			goto fail;
	}
	ta = now() - t0;
	t0 = now();
	for (long i = 0; i < count; i++) {
		struct ipam_request rq = {
			.handle = h, .namespace = "default", .pod = "bench",
			.node = "node-a", .node_labels = node_labels,
			.nnode_labels = 1,
		};
		struct ipam_result r;

		handle(h, sizeof(h), i);
		if (ipam_allocate(ipam, &rq, &r, err, sizeof(err)) != 0 ||
		    !r.existing)
			goto fail;
	}
	ti = now() - t0;
	t0 = now();
	for (long i = 0; i < count; i++) {
		bool found;

		handle(h, sizeof(h), i);
		if (ipam_release(ipam, h, &found, err, sizeof(err)) != 0 ||
		    !found)
			goto fail;
	}
	tr = now() - t0;
	printf("bench_ipam: %ld handles, store in %s (fsync per commit)\n",
	    count, base);
	printf("  allocate (durable, one write txn each): %8.0f /s  %7.1f us each\n",
	    count / ta, ta / count * 1e6);
	printf("  allocate again (idempotent, read-only): %8.0f /s  %7.1f us each\n",
	    count / ti, ti / count * 1e6);
	printf("  release  (durable, one write txn each): %8.0f /s  %7.1f us each\n",
	    count / tr, tr / count * 1e6);
	rc = 0;
	goto out;

fail:
	fprintf(stderr, "bench_ipam: %s\n", err);
out:
	ipam_close(ipam);
	store_close(st);
	rm_dir(dir);
	return rc;
}
