/*
 * config_test.c - router/config.c against golden files, bgpd regress
 * style.
 *
 * Usage: config_test DIR [FILE...]
 *
 * For each DIR/NAME.yaml, DIR/NAME.ok holds the exact expected output:
 *   good-*.yaml must parse; NAME.ok is what config_print() writes, and
 *     that output must parse again and print identically;
 *   bad-*.yaml must be refused with -EINVAL; NAME.ok holds the error
 *     lines config_parse() writes ("NAME.yaml:LINE:COLUMN: key: reason").
 * Each FILE (the shipped example config) must load with config_load() and
 * round trip the same way.
 *
 * With SLUICE_UPDATE_GOLDEN=1 the .ok files are (re)written from the
 * current output instead of compared: review the diff before committing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "router/config.h"
#include "tests/unit/check.h"

static int failures;
static bool update;

/* Reads a whole file into an allocation of exactly its size (+1 for NUL). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		char chunk[4096];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		char *nb;

		if (got == 0)
			break;
		nb = realloc(buf, n + got + 1);
		ASSERT(nb != NULL);
		buf = nb;
		cap = n + got + 1;
		memcpy(buf + n, chunk, got);
		n += got;
	}
	ASSERT(!ferror(f));
	fclose(f);
	if (buf == NULL) {
		buf = malloc(1);
		ASSERT(buf != NULL);
		cap = 1;
	}
	ASSERT(cap == n + 1);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
spit(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	ASSERT(f != NULL);
	ASSERT_EQ(fwrite(text, 1, len, f), len);
	ASSERT_OK(fclose(f));
}

/* A memstream and what it holds; the text is NUL-terminated. */
struct out {
	FILE *f;
	char *text;
	size_t len;
};

static void
out_open(struct out *o)
{
	o->text = NULL;
	o->len = 0;
	o->f = open_memstream(&o->text, &o->len);
	ASSERT(o->f != NULL);
}

static void
out_close(struct out *o)
{
	ASSERT_OK(fclose(o->f));
	o->f = NULL;
}

static void
out_free(struct out *o)
{
	free(o->text);
	o->text = NULL;
}

/*
 * Parses buf as name, which must succeed; prints it, parses the printout
 * and prints that, which must give the same text. Returns the printout
 * (caller frees).
 */
static char *
print_roundtrip(const char *name, const unsigned char *buf, size_t len,
    struct sluiced_config *cfg)
{
	static struct sluiced_config again;
	struct out errs, p1, p2;
	int rc;

	out_open(&errs);
	rc = config_parse(cfg, name, buf, len, errs.f);
	out_close(&errs);
	if (rc != 0)
		CHECK_FAIL("%s: refused (%d):\n%s", name, rc, errs.text);
	ASSERT_EQ(errs.len, 0);
	out_free(&errs);

	out_open(&p1);
	ASSERT_OK(config_print(cfg, p1.f));
	out_close(&p1);

	out_open(&errs);
	rc = config_parse(&again, name, (const unsigned char *)p1.text, p1.len,
	    errs.f);
	out_close(&errs);
	if (rc != 0)
		CHECK_FAIL("%s: printed config does not parse again:\n%s\n"
		    "errors:\n%s", name, p1.text, errs.text);
	out_free(&errs);

	out_open(&p2);
	ASSERT_OK(config_print(&again, p2.f));
	out_close(&p2);
	if (strcmp(p1.text, p2.text) != 0)
		CHECK_FAIL("%s: printed config prints differently:\n%s\n"
		    "---\n%s", name, p1.text, p2.text);
	/* Nothing parsed is lost in the round trip. */
	ASSERT_OK(memcmp(cfg->node_name, again.node_name,
	    offsetof(struct sluiced_config, manifests_dir) +
	    sizeof(cfg->manifests_dir) -
	    offsetof(struct sluiced_config, node_name)));
	out_free(&p2);
	return p1.text;
}

/* Every error line names the file, a line and a column. */
static void
check_error_lines(const char *name, const char *text)
{
	size_t nlen = strlen(name);
	const char *l = text;

	ASSERT(*text != '\0');
	while (*l != '\0') {
		const char *nl = strchr(l, '\n');
		unsigned long line, col;
		int used = 0;

		ASSERT(nl != NULL);
		if (strncmp(l, name, nlen) != 0 ||
		    sscanf(l + nlen, ":%lu:%lu: %n", &line, &col, &used) != 2 ||
		    used == 0 || line == 0 || col == 0)
			CHECK_FAIL("malformed error line: %.*s", (int)(nl - l),
			    l);
		l = nl + 1;
	}
}

static void
compare(const char *dir, const char *name, const char *got)
{
	char okpath[4096];
	char *want;
	size_t wlen;
	int n;

	n = snprintf(okpath, sizeof(okpath), "%s/%.*s.ok", dir,
	    (int)(strlen(name) - strlen(".yaml")), name);
	ASSERT(n > 0 && (size_t)n < sizeof(okpath));
	if (update) {
		spit(okpath, got, strlen(got));
		printf("  wrote %s\n", okpath);
		return;
	}
	want = slurp(okpath, &wlen);
	if (want == NULL) {
		printf("FAIL %s: no golden file %s (SLUICE_UPDATE_GOLDEN=1 "
		    "writes it)\n--- got:\n%s", name, okpath, got);
		failures++;
		return;
	}
	if (strlen(want) != wlen || strcmp(want, got) != 0) {
		printf("FAIL %s differs from %s\n--- want:\n%s--- got:\n%s",
		    name, okpath, want, got);
		failures++;
	}
	free(want);
}

static void
run_case(const char *dir, const char *name)
{
	static struct sluiced_config cfg;
	char path[4096];
	unsigned char *buf;
	size_t len;
	bool good = strncmp(name, "good-", 5) == 0;
	int n;

	ASSERT(good || strncmp(name, "bad-", 4) == 0);
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	ASSERT(n > 0 && (size_t)n < sizeof(path));
	buf = (unsigned char *)slurp(path, &len);
	ASSERT(buf != NULL);
	printf("  %s\n", name);

	if (good) {
		char *printed = print_roundtrip(name, buf, len, &cfg);

		compare(dir, name, printed);
		free(printed);
	} else {
		struct out errs;
		int rc;

		out_open(&errs);
		rc = config_parse(&cfg, name, buf, len, errs.f);
		out_close(&errs);
		if (rc != -EINVAL)
			CHECK_FAIL("%s: expected -EINVAL, got %d", name, rc);
		check_error_lines(name, errs.text);
		compare(dir, name, errs.text);
		out_free(&errs);
		/* Without an error stream the verdict is the same. */
		ASSERT_EQ(config_parse(&cfg, name, buf, len, NULL), -EINVAL);
	}
	free(buf);
}

static int
yaml_only(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0;
}

static int
ok_only(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 3 && strcmp(de->d_name + n - 3, ".ok") == 0;
}

static void
test_goldens(const char *dir)
{
	struct dirent **ents;
	int n, nok;

	n = scandir(dir, &ents, yaml_only, alphasort);
	if (n < 0)
		CHECK_FAIL("%s: %s", dir, strerror(errno));
	ASSERT(n > 0);
	for (int i = 0; i < n; i++) {
		run_case(dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);

	/* A golden without its input is stale. */
	nok = scandir(dir, &ents, ok_only, alphasort);
	ASSERT(nok >= 0);
	for (int i = 0; i < nok; i++) {
		char path[4096];
		struct stat sb;
		size_t l = strlen(ents[i]->d_name);

		snprintf(path, sizeof(path), "%s/%.*s.yaml", dir,
		    (int)(l - 3), ents[i]->d_name);
		if (stat(path, &sb) != 0) {
			printf("FAIL %s/%s has no .yaml\n", dir,
			    ents[i]->d_name);
			failures++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!update && nok != n) {
		printf("FAIL %d inputs but %d goldens\n", n, nok);
		failures++;
	}
}

/* What the parser stores beside the strings. */
static void
test_values(void)
{
	static const char full[] =
	    "node: {name: n}\n"
	    "underlay: {interface: eth0, address: \"2001:db8::1\"}\n"
	    "socket: {mode: \"0640\"}\n"
	    "logLevel: warning\n";
	static const char minimal[] =
	    "node: {name: n}\n"
	    "underlay: {interface: eth0, address: 192.0.2.77}\n";
	static struct sluiced_config cfg;
	struct in6_addr a6;

	ASSERT_OK(config_parse(&cfg, "full", (const unsigned char *)full,
	    sizeof(full) - 1, NULL));
	ASSERT_EQ(cfg.underlay_addr.family, AF_INET6);
	ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::1", &a6), 1);
	ASSERT_MEM_EQ(&cfg.underlay_addr.u.v6, &a6, sizeof(a6));
	ASSERT_EQ(cfg.socket_mode, 0640);
	ASSERT_EQ(cfg.log_level, LOG_LEVEL_WARN);
	ASSERT_STR_EQ(cfg.path, "full");

	ASSERT_OK(config_parse(&cfg, "minimal", (const unsigned char *)minimal,
	    sizeof(minimal) - 1, NULL));
	ASSERT_EQ(cfg.underlay_addr.family, AF_INET);
	ASSERT_EQ(ntohl(cfg.underlay_addr.u.v4.s_addr), 0xc000024d);
	ASSERT_STR_EQ(cfg.node_name, "n");
	ASSERT_STR_EQ(cfg.underlay_if, "eth0");
	ASSERT_STR_EQ(cfg.state_dir, "/var/lib/sluice");
	ASSERT_STR_EQ(cfg.socket_path, "/run/sluice/sluiced.sock");
	ASSERT_STR_EQ(cfg.socket_mode_str, "0660");
	ASSERT_EQ(cfg.socket_mode, 0660);
	ASSERT_STR_EQ(cfg.socket_group, "");
	ASSERT_STR_EQ(cfg.log_level_str, "info");
	ASSERT_EQ(cfg.log_level, LOG_LEVEL_INFO);
	ASSERT_STR_EQ(cfg.manifests_dir, "/etc/sluice/manifests");

	/* A parse starts from scratch: nothing leaks from the last one. */
	ASSERT_OK(config_parse(&cfg, "full", (const unsigned char *)full,
	    sizeof(full) - 1, NULL));
	ASSERT_OK(config_parse(&cfg, "minimal", (const unsigned char *)minimal,
	    sizeof(minimal) - 1, NULL));
	ASSERT_EQ(cfg.socket_mode, 0660);
	ASSERT_EQ(cfg.log_level, LOG_LEVEL_INFO);

	/* A stream that cannot be written is an error, not a short file. */
	{
		FILE *ro = fopen("/dev/null", "r");

		ASSERT(ro != NULL);
		ASSERT_EQ(config_print(&cfg, ro), -EIO);
		fclose(ro);
	}
}

/* config_load(): files that cannot be read, and the shipped example. */
static void
test_load(int nfiles, char **files)
{
	static struct sluiced_config cfg;
	char top[4096], path[4200];
	const char *tmp = getenv("TMPDIR");
	struct out errs;
	FILE *f;
	char *big;

	snprintf(top, sizeof(top), "%s/sluice-config-test.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	ASSERT(mkdtemp(top) != NULL);

	snprintf(path, sizeof(path), "%s/missing.yaml", top);
	out_open(&errs);
	ASSERT_EQ(config_load(&cfg, path, errs.f), -ENOENT);
	out_close(&errs);
	ASSERT_STR_HAS(errs.text, "missing.yaml: cannot open");
	out_free(&errs);

	/* A directory cannot be read as a file. */
	out_open(&errs);
	ASSERT(config_load(&cfg, top, errs.f) < 0);
	out_close(&errs);
	ASSERT_STR_HAS(errs.text, top);
	out_free(&errs);

	/* Larger than CONFIG_MAX_BYTES, even if it is all comment. */
	snprintf(path, sizeof(path), "%s/big.yaml", top);
	big = malloc(CONFIG_MAX_BYTES + 1);
	ASSERT(big != NULL);
	memset(big, '#', CONFIG_MAX_BYTES + 1);
	spit(path, big, CONFIG_MAX_BYTES + 1);
	out_open(&errs);
	ASSERT_EQ(config_load(&cfg, path, errs.f), -EFBIG);
	out_close(&errs);
	ASSERT_STR_HAS(errs.text, "larger than");
	out_free(&errs);
	/* Exactly CONFIG_MAX_BYTES is read (and is empty of keys). */
	spit(path, big, CONFIG_MAX_BYTES);
	out_open(&errs);
	ASSERT_EQ(config_load(&cfg, path, errs.f), -EINVAL);
	out_close(&errs);
	ASSERT_STR_HAS(errs.text, "big.yaml:1:1: file is empty");
	out_free(&errs);
	ASSERT_OK(unlink(path));
	free(big);

	/* Messages name the path as given. */
	snprintf(path, sizeof(path), "%s/typo.yaml", top);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs("node: {name: a}\nunderlay: {interface: e, address: \"::1\"}\n"
	    "loglevel: info\n", f);
	ASSERT_OK(fclose(f));
	out_open(&errs);
	ASSERT_EQ(config_load(&cfg, path, errs.f), -EINVAL);
	out_close(&errs);
	ASSERT_STR_HAS(errs.text, "typo.yaml:3:1: loglevel: unknown key "
	    "(did you mean \"logLevel\"?)\n");
	ASSERT(strncmp(errs.text, path, strlen(path)) == 0);
	out_free(&errs);
	ASSERT_OK(unlink(path));
	ASSERT_OK(rmdir(top));

	for (int i = 0; i < nfiles; i++) {
		unsigned char *buf;
		size_t len;
		char *printed;

		printf("  %s\n", files[i]);
		out_open(&errs);
		if (config_load(&cfg, files[i], errs.f) != 0) {
			out_close(&errs);
			CHECK_FAIL("%s: refused:\n%s", files[i], errs.text);
		}
		out_close(&errs);
		ASSERT_EQ(errs.len, 0);
		out_free(&errs);
		ASSERT_STR_EQ(cfg.path, files[i]);
		buf = (unsigned char *)slurp(files[i], &len);
		ASSERT(buf != NULL);
		printed = print_roundtrip(files[i], buf, len, &cfg);
		free(printed);
		free(buf);
	}
}

int
main(int argc, char **argv)
{
	const char *u = getenv("SLUICE_UPDATE_GOLDEN");

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [FILE...]\n", argv[0]);
		return 2;
	}
	update = u != NULL && strcmp(u, "1") == 0;
	printf("test_goldens\n");
	test_goldens(argv[1]);
	RUN(test_values);
	printf("test_load\n");
	test_load(argc - 2, argv + 2);
	if (failures > 0) {
		printf("%d golden file(s) differ\n", failures);
		return 1;
	}
	printf(update ? "ok (goldens written)\n" : "ok\n");
	return 0;
}
