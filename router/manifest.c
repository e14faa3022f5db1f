#include "router/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "common/log.h"
#include "router/cluster_parse.h"
#include "router/manifest_yaml.h"
#include "router/policy_yaml.h"

/*
 * The kinds this build understands, each with its parser.
 * Any other kind is refused rather than accepted and ignored: an operator
 * must never believe something is in force that is not.
 */
struct manifest_kind {
	const char *api_version;
	const char *kind;
	bool namespaced;
	bool spec_required;
	cluster_kind_parser *parse;	/* its spec, or NULL */
	cluster_doc_parser *parse_doc;	/* the whole document, or NULL */
};

static const struct manifest_kind kinds[] = {
	{ CLUSTER_API_VERSION, "IPPool", false, true, cluster_pool_parse,
	    NULL },
	{ CLUSTER_API_VERSION, "Node", false, true, cluster_node_parse, NULL },
	/* As Kubernetes has it; sluice reads its labels (pool selection). */
	{ "v1", "Namespace", false, false, cluster_namespace_parse, NULL },
	/*
	 * Policy (router/policy_yaml.h). Loaded and validated, not yet
	 * enforced on the data path.
	 */
	{ POLICY_YAML_NP_API_VERSION, "NetworkPolicy", true, true, NULL,
	    cluster_np_parse },
	{ POLICY_YAML_ANP_API_VERSION, "AdminNetworkPolicy", false, true, NULL,
	    cluster_anp_parse },
	{ POLICY_YAML_BANP_API_VERSION, "BaselineAdminNetworkPolicy", false,
	    true, NULL, cluster_banp_parse },
	{ POLICY_YAML_NETSET_API_VERSION, "NetworkSet", true, true, NULL,
	    cluster_netset_parse },
	{ POLICY_YAML_NETSET_API_VERSION, "GlobalNetworkSet", false, true,
	    NULL, cluster_global_netset_parse },
	/*
	 * Egress gateways (router/egress_yaml.c, egress/egress.h). Loaded
	 * and validated, not yet applied on the data path.
	 */
	{ CLUSTER_API_VERSION, "EgressGatewayPolicy", false, true,
	    cluster_egress_policy_parse, NULL },
	{ NULL, NULL, false, false, NULL, NULL },
};

/*
 * Reports scalar keys of map that an earlier key repeats. YAML forbids
 * them and libyaml leaves that to us; get() would silently take the first.
 */
static void
dup_keys(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start;
		    q < p; q++) {
			yaml_node_t *o = yaml_document_get_node(doc, q->key);

			if (o != NULL && o->type == YAML_SCALAR_NODE &&
			    o->data.scalar.length == k->data.scalar.length &&
			    memcmp(o->data.scalar.value, k->data.scalar.value,
			    k->data.scalar.length) == 0) {
				mf_report(c, &k->start_mark, NULL,
				    "%s%s: duplicate key", prefix,
				    (const char *)k->data.scalar.value);
				break;
			}
		}
	}
}

/* Copies a required scalar; reports and returns false if absent or wrong. */
static bool
scalar(struct mctx *c, yaml_document_t *doc, yaml_node_t *map,
    const char *key, const char *path, char *dst, size_t size)
{
	yaml_node_t *n = mf_get(doc, map, key);

	if (n == NULL) {
		mf_report(c, &map->start_mark, path, "required key is missing");
		return false;
	}
	if (n->type != YAML_SCALAR_NODE) {
		mf_report(c, &n->start_mark, path, "expected a string");
		return false;
	}
	if (n->data.scalar.length == 0 || n->data.scalar.length >= size) {
		mf_report(c, &n->start_mark, path,
		    "must be 1 to %zu characters", size - 1);
		return false;
	}
	/* "a\0b" would otherwise be taken for "a". */
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		mf_report(c, &n->start_mark, path, "value contains a NUL byte");
		return false;
	}
	memcpy(dst, n->data.scalar.value, n->data.scalar.length + 1);
	return true;
}

static bool
lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 subdomain, as Kubernetes requires of metadata.name. */
static bool
dns_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		/*
		 * Every dot-separated label starts and ends alphanumeric:
		 * no "a..b", "a.-b" or "a-.b".
		 */
		switch (s[i]) {
		case '.':
			if (i == 0 || i == n - 1 || !lower_alnum(s[i - 1]) ||
			    !lower_alnum(s[i + 1]))
				return false;
			break;
		case '-':
			if (i == 0 || i == n - 1)
				return false;
			break;
		default:
			if (!lower_alnum(s[i]))
				return false;
			break;
		}
	}
	return true;
}

static int
check_doc(struct mctx *c, yaml_document_t *doc, yaml_node_t *root,
    struct manifest_doc *out, struct manifest_set *set)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata",
		"spec" };
	const struct manifest_kind *k;
	yaml_node_t *meta, *ns, *spec;
	int before = c->nerr;

	if (root->type != YAML_MAPPING_NODE) {
		mf_report(c, &root->start_mark, NULL,
		    "a manifest must be a mapping with apiVersion, kind and metadata");
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(doc, p->key);
		bool known = false;

		if (key == NULL)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			mf_report(c, &key->start_mark, NULL,
			    "keys must be plain strings");
			continue;
		}
		if (strlen((const char *)key->data.scalar.value) !=
		    key->data.scalar.length) {
			mf_report(c, &key->start_mark, NULL,
			    "key contains a NUL byte");
			continue;
		}
		for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
			known |= strcmp((const char *)key->data.scalar.value,
			    top[i]) == 0;
		if (!known)
			mf_report(c, &key->start_mark,
			    (const char *)key->data.scalar.value,
			    "unknown key");
	}
	dup_keys(c, doc, root, "");
	out->line = root->start_mark.line + 1;
	scalar(c, doc, root, "apiVersion", "apiVersion", out->api_version,
	    sizeof(out->api_version));
	scalar(c, doc, root, "kind", "kind", out->kind, sizeof(out->kind));
	meta = mf_get(doc, root, "metadata");
	if (meta == NULL) {
		mf_report(c, &root->start_mark, "metadata",
		    "required key is missing");
	} else if (meta->type != YAML_MAPPING_NODE) {
		mf_report(c, &meta->start_mark, "metadata", "expected a mapping");
	} else {
		dup_keys(c, doc, meta, "metadata.");
		if (scalar(c, doc, meta, "name", "metadata.name", out->name,
		    sizeof(out->name)) && !dns_subdomain(out->name))
			mf_report(c, &mf_get(doc, meta, "name")->start_mark,
			    "metadata.name",
			    "\"%s\" is not a valid name (lower-case RFC 1123 subdomain)",
			    out->name);
		ns = mf_get(doc, meta, "namespace");
		if (ns != NULL)
			scalar(c, doc, meta, "namespace", "metadata.namespace",
			    out->name_space, sizeof(out->name_space));
	}
	if (c->nerr != before)
		return -EINVAL;
	for (k = kinds; k->kind != NULL; k++) {
		if (strcmp(k->kind, out->kind) == 0 &&
		    strcmp(k->api_version, out->api_version) == 0)
			break;
	}
	if (k->kind == NULL) {
		mf_report(c, &mf_get(doc, root, "kind")->start_mark, "kind",
		    "%s (apiVersion %s) is not a kind this sluiced (%s) handles",
		    out->kind, out->api_version, SLUICE_VERSION);
		return -EINVAL;
	}
	if (!k->namespaced && out->name_space[0] != '\0') {
		mf_report(c, &mf_get(doc, meta, "namespace")->start_mark,
		    "metadata.namespace", "%s is cluster-wide: no namespace",
		    out->kind);
		return -EINVAL;
	}
	spec = mf_get(doc, root, "spec");
	if (spec == NULL && k->spec_required) {
		mf_report(c, &root->start_mark, "spec", "required key is missing");
		return -EINVAL;
	}
	if (k->parse_doc != NULL)
		return k->parse_doc(c, doc, root, out->line, &set->cluster);
	return k->parse(c, doc, meta, spec, out->name, out->line,
	    &set->cluster);
}

int
manifest_parse(const char *name, const unsigned char *buf, size_t len,
    struct manifest_set *set, FILE *errs)
{
	struct mctx c = { .file = name, .errs = errs };
	yaml_parser_t parser;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, buf, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		struct manifest_doc d;
		int r;

		if (!yaml_parser_load(&parser, &doc)) {
			mf_report(&c, &parser.problem_mark, NULL,
			    "invalid YAML: %s",
			    parser.problem ? parser.problem : "parse error");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL) {	/* end of stream */
			yaml_document_delete(&doc);
			break;
		}
		memset(&d, 0, sizeof(d));
		snprintf(d.file, sizeof(d.file), "%s", name);
		r = check_doc(&c, &doc, root, &d, set);
		/* Not reported by the parser: it is no fault of the file. */
		if (r == -ENOMEM) {
			yaml_document_delete(&doc);
			rc = r;
			break;
		}
		if (r == 0) {
			struct manifest_doc *nd;

			if (set->ndocs >= MANIFEST_MAX_DOCS) {
				mf_report(&c, &root->start_mark, NULL,
				    "more than %d manifests", MANIFEST_MAX_DOCS);
				yaml_document_delete(&doc);
				break;
			}
			nd = realloc(set->docs,
			    (set->ndocs + 1) * sizeof(*set->docs));
			if (nd == NULL) {
				yaml_document_delete(&doc);
				rc = -ENOMEM;
				break;
			}
			set->docs = nd;
			set->docs[set->ndocs++] = d;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && c.nerr > 0)
		rc = -EINVAL;
	return rc;
}

static int
yaml_name(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	if (de->d_name[0] == '.')
		return 0;
	return (n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(de->d_name + n - 4, ".yml") == 0);
}

static int
read_file(int dfd, const char *name, unsigned char **buf, size_t *len,
    FILE *errs)
{
	struct stat st;
	ssize_t got;
	int fd, rc = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		fprintf(errs, "%s: cannot open: %s\n", name, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(errs, "%s: not a regular file\n", name);
		rc = -EINVAL;
		goto out;
	}
	if (st.st_size > MANIFEST_MAX_FILE_BYTES) {
		fprintf(errs, "%s: larger than %d bytes\n", name,
		    MANIFEST_MAX_FILE_BYTES);
		rc = -EFBIG;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	*len = 0;
	while (*len < (size_t)st.st_size) {
		got = read(fd, *buf + *len, (size_t)st.st_size - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		*len += (size_t)got;
	}
out:
	close(fd);
	return rc;
}

int
manifest_load_dir(const char *dir, struct manifest_set *out, FILE *errs)
{
	struct dirent **ents = NULL;
	int n, dfd, rc = 0, bad = 0;

	memset(out, 0, sizeof(*out));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		fprintf(errs, "%s: cannot open: %s\n", dir, strerror(errno));
		return rc;
	}
	n = scandir(dir, &ents, yaml_name, alphasort);
	if (n < 0) {
		rc = -errno;
		fprintf(errs, "%s: cannot list: %s\n", dir, strerror(errno));
		close(dfd);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		unsigned char *buf = NULL;
		size_t len = 0;
		int r;

		r = read_file(dfd, ents[i]->d_name, &buf, &len, errs);
		if (r == 0)
			r = manifest_parse(ents[i]->d_name, buf, len, out, errs);
		free(buf);
		if (r == -ENOMEM)
			rc = r;
		else if (r != 0)
			bad = 1;
		out->nfiles++;
		free(ents[i]);
	}
	free(ents);
	close(dfd);
	if (rc == 0 && !bad && cluster_validate(&out->cluster, errs) != 0)
		bad = 1;
	if (rc == 0 && bad)
		rc = -EINVAL;
	if (rc != 0)
		manifest_set_free(out);
	return rc;
}

void
manifest_set_free(struct manifest_set *set)
{
	if (set == NULL)
		return;
	free(set->docs);
	set->docs = NULL;
	cluster_free(&set->cluster);
	set->ndocs = 0;
	set->nfiles = 0;
}
