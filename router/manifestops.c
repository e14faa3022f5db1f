/*
 * manifestops.c - manifests through the status socket: `sluicectl apply
 * -f` and `delete -f` change the manifests directory, all or nothing.
 */
#include "router/manifestops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mp.h"
#include "router/ctlargs.h"
#include "router/daemon.h"

/* A plain *.yaml / *.yml name, no directory part, not hidden. */
static bool
manifest_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 200 || n[0] == '.' || strchr(n, '/') != NULL)
		return false;
	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	    (len > 4 && strcmp(n + len - 4, ".yml") == 0);
}

/* Reads path whole into a heap buffer; -ENOENT if there is none. */
static int
slurp(const char *path, char **out, size_t *n)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (f == NULL)
		return -errno;
	for (;;) {
		size_t r;

		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > MANIFEST_MAX_FILE_BYTES * 2 ||
			    (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*out = buf;
	*n = len;
	return 0;
}

/* Writes buf to dir/name atomically (temporary file, fsync, rename). */
static int
put_file(const char *dir, const char *name, const char *buf, size_t n)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd, rc = 0, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
	    (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < n && rc == 0;) {
		ssize_t w = write(fd, buf + off, n - off);

		if (w < 0)
			rc = -errno;
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/*
 * Puts the file back as it was (old: its bytes, or NULL if it did not
 * exist) after the manifests refused the new one.
 */
static void
restore(const char *dir, const char *name, const char *old, size_t n)
{
	char path[PATH_MAX];

	if (old != NULL) {
		if (put_file(dir, name, old, n) != 0)
			log_error("manifests: cannot restore %s/%s", dir, name);
		return;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    (int)sizeof(path))
		unlink(path);
}

/*
 * `sluicectl apply -f FILE`: the file goes into the manifests directory
 * under its name (replacing one of that name) and the directory is
 * reloaded; if the set with it is refused, the directory is put back as
 * it was and the reasons are the answer. Nothing half-applied.
 */
int
manifestops_apply(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	const char *dir = d->cfg.manifests_dir, *content;
	char name[256], path[PATH_MAX], *old = NULL;
	size_t n, oldn = 0;
	int rc;

	if ((rc = ctl_arg_str(req, "name", name, sizeof(name), true, err,
	    errlen)) != 0 ||
	    (rc = ctl_arg_bytes(req, "content", &content, &n, err, errlen)) != 0)
		return rc;
	if (!manifest_name_ok(name))
		return ctl_fail(err, errlen, -EINVAL,
		    "\"%s\": a manifest file name ends in .yaml or .yml and has no directory part",
		    name);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
		    strerror(errno));
		return -errno;
	}
	if (strlen(dir) + strlen(name) + 2 > sizeof(path))
		return ctl_fail(err, errlen, -ENAMETOOLONG, "%s/%s: path too long",
		    dir, name);
	memcpy(path, dir, strlen(dir));
	path[strlen(dir)] = '/';
	memcpy(path + strlen(dir) + 1, name, strlen(name) + 1);
	rc = slurp(path, &old, &oldn);
	if (rc != 0 && rc != -ENOENT) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(-rc));
		return rc;
	}
	if (old != NULL && oldn == n && memcmp(old, content, n) == 0) {
		free(old);
		msgpack_pack_map(pk, 2);
		mp_pack_kv_bool(pk, "changed", false);
		mp_pack_kv_u64(pk, "generation", d->manifests.generation);
		return 0;
	}
	if ((rc = put_file(dir, name, content, n)) != 0) {
		free(old);
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(-rc));
		return rc;
	}
	if ((rc = d->reload(d)) != 0) {
		restore(dir, name, old, oldn);
		free(old);
		snprintf(err, errlen, "refused, nothing changed: %s",
		    d->reload_error);
		return rc;
	}
	free(old);
	log_info("manifests: %s applied through the status socket", name);
	msgpack_pack_map(pk, 2);
	mp_pack_kv_bool(pk, "changed", true);
	mp_pack_kv_u64(pk, "generation", d->manifests.generation);
	return 0;
}

/*
 * `sluicectl delete -f FILE`: the objects FILE declares are removed, which
 * means removing the manifest file holding exactly them. An object that
 * shares its file with others is refused with the file named (edit it
 * there), and so is one that is not in force.
 */
int
manifestops_delete(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen)
{
	struct sluiced *d = arg;
	const char *dir = d->cfg.manifests_dir, *content;
	struct manifest_set want = { 0 };
	const char *file = NULL;
	char path[PATH_MAX], *old = NULL, name[256];
	size_t n, oldn = 0, infile = 0;
	FILE *errs;
	char *ebuf = NULL;
	size_t elen = 0;
	int rc;

	if ((rc = ctl_arg_str(req, "name", name, sizeof(name), false, err,
	    errlen)) != 0 ||
	    (rc = ctl_arg_bytes(req, "content", &content, &n, err, errlen)) != 0)
		return rc;
	errs = open_memstream(&ebuf, &elen);
	if (errs == NULL)
		return ctl_fail(err, errlen, -ENOMEM, "%s", "out of memory");
	rc = manifest_parse(name[0] ? name : "(input)",
	    (const unsigned char *)content, n, &want, errs);
	fclose(errs);
	if (rc != 0) {
		snprintf(err, errlen, "the file does not parse: %s",
		    ebuf ? ebuf : "");
		free(ebuf);
		manifest_set_free(&want);
		return -EINVAL;
	}
	free(ebuf);
	for (size_t i = 0; i < want.ndocs; i++) {
		const struct manifest_doc *w = &want.docs[i];
		const struct manifest_doc *hit = NULL;

		for (size_t j = 0; j < d->manifests.ndocs && hit == NULL; j++) {
			const struct manifest_doc *h = &d->manifests.docs[j];

			if (strcmp(h->kind, w->kind) == 0 &&
			    strcmp(h->name_space, w->name_space) == 0 &&
			    strcmp(h->name, w->name) == 0)
				hit = h;
		}
		if (hit == NULL) {
			snprintf(err, errlen, "%s %s%s%s is not in force",
			    w->kind, w->name_space, w->name_space[0] ? "/" : "",
			    w->name);
			rc = -ENOENT;
			goto out;
		}
		if (file != NULL && strcmp(file, hit->file) != 0) {
			snprintf(err, errlen,
			    "the objects are in more than one file (%s, %s); delete them one file at a time",
			    file, hit->file);
			rc = -EINVAL;
			goto out;
		}
		file = hit->file;
	}
	if (file == NULL) {
		rc = ctl_fail(err, errlen, -EINVAL, "%s", "the file declares no object");
		goto out;
	}
	for (size_t j = 0; j < d->manifests.ndocs; j++)
		if (strcmp(d->manifests.docs[j].file, file) == 0)
			infile++;
	if (infile != want.ndocs) {
		snprintf(err, errlen,
		    "%s/%s also declares other objects: edit that file instead",
		    dir, file);
		rc = -EINVAL;
		goto out;
	}
	snprintf(name, sizeof(name), "%s", file);
	if (strlen(dir) + strlen(name) + 2 > sizeof(path)) {
		rc = ctl_fail(err, errlen, -ENAMETOOLONG, "%s/%s: path too long",
		    dir, name);
		goto out;
	}
	memcpy(path, dir, strlen(dir));
	path[strlen(dir)] = '/';
	memcpy(path + strlen(dir) + 1, name, strlen(name) + 1);
	if ((rc = slurp(path, &old, &oldn)) != 0 || unlink(path) != 0) {
		rc = rc ? rc : -errno;
		snprintf(err, errlen, "cannot remove %s: %s", path,
		    strerror(-rc));
		goto out;
	}
	if ((rc = d->reload(d)) != 0) {
		restore(dir, name, old, oldn);
		snprintf(err, errlen, "refused, nothing changed: %s",
		    d->reload_error);
		goto out;
	}
	log_info("manifests: %s deleted through the status socket", name);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "file", name);
	mp_pack_kv_u64(pk, "objects", want.ndocs);
	mp_pack_kv_u64(pk, "generation", d->manifests.generation);
out:
	free(old);
	manifest_set_free(&want);
	return rc;
}

