/*
 * replay.c - main() for fuzz targets in builds without libFuzzer (gcc, or
 * SLUICE_FUZZ=OFF): runs LLVMFuzzerTestOneInput() once on every file
 * named, and on every regular file (in name order) of every directory
 * named. Arguments starting with '-' are libFuzzer options and ignored,
 * so CTest can run both kinds of binary with the same command line.
 *
 * A failing input aborts (or trips a sanitizer) like under libFuzzer;
 * the name of the input is printed first so it can be found.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads all of path into a buffer of exactly its size (freed by the caller). */
static int
slurp(const char *path, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, got;
	FILE *f;
	int rc = 0;

	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-rc));
		return rc;
	}
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			if ((nb = realloc(buf, cap)) == NULL) {
				rc = -ENOMEM;
				goto err_buf;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		rc = -EIO;
		goto err_buf;
	}
	/* Exact size, so ASan sees a read past the end of the input. */
	if ((nb = realloc(buf, len ? len : 1)) == NULL) {
		rc = -ENOMEM;
		goto err_buf;
	}
	*out = nb;
	*outlen = len;
	fclose(f);
	return 0;

err_buf:
	free(buf);
	fclose(f);
	return rc;
}

static int
run_file(const char *path, size_t *count)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = slurp(path, &buf, &len)) != 0)
		return rc;
	/* Flushed first: if this input crashes, it is the last line seen. */
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	fflush(stderr);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int
is_file(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static int
run_path(const char *path, size_t *count)
{
	struct dirent **ents;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		rc = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);

	n = scandir(path, &ents, is_file, alphasort);
	if (n < 0) {
		rc = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-rc));
		return rc;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];

		if (rc == 0 && snprintf(full, sizeof(full), "%s/%s", path,
		    ents[i]->d_name) < (int)sizeof(full) &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(full, count);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	int rc = 0;

	for (int i = 1; i < argc && rc == 0; i++) {
		if (argv[i][0] == '-')
			continue;
		rc = run_path(argv[i], &count);
	}
	if (rc != 0)
		return 1;
	if (count == 0) {
		fprintf(stderr, "replay: no inputs given\n");
		return 1;
	}
	printf("replay: %zu inputs ran without a failure\n", count);
	return 0;
}
