/*
 * manifest_test.c - router/manifest.c: the apiVersion/kind/metadata
 * envelope, error positions, and loading a directory all or nothing.
 *
 * A well-formed manifest of a kind no module handles must be refused by
 * name rather than accepted and ignored. The envelope tests use kinds
 * that belong to no module, so they keep holding when modules add
 * theirs. The policy kinds (router/policy_yaml.h) are loaded at the end:
 * each kind, the cross-document checks, and a bad one refusing the set;
 * then egress gateways (router/egress_yaml.c) the same way: a Node's
 * spec.egress, EgressGatewayPolicy, and the checks across documents.
 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/model.h"
#include "router/manifest.h"
#include "tests/unit/check.h"

static char top[4096];

struct result {
	int rc;
	char *errs;		/* everything written to errs */
	size_t nlines;
};

/* Parses text as file name into a fresh set, which it frees. */
static struct result
parse(const char *name, const char *text)
{
	struct manifest_set set = { 0 };
	struct result r;
	size_t len = 0;
	FILE *f;
	char *copy;

	/* An allocation of exactly the input, so ASan sees any overread. */
	copy = malloc(strlen(text) + 1);
	ASSERT(copy != NULL);
	memcpy(copy, text, strlen(text));
	f = open_memstream(&r.errs, &len);
	ASSERT(f != NULL);
	r.rc = manifest_parse(name, (const unsigned char *)copy, strlen(text),
	    &set, f);
	ASSERT_OK(fclose(f));
	free(copy);
	r.nlines = 0;
	for (const char *p = r.errs; *p != '\0'; p++)
		r.nlines += *p == '\n';
	/* Nothing is accepted yet; a refused document is never added. */
	ASSERT_EQ(set.ndocs, 0);
	manifest_set_free(&set);
	ASSERT(set.docs == NULL);

	/* The verdict does not depend on having somewhere to write. */
	copy = malloc(strlen(text) + 1);
	ASSERT(copy != NULL);
	memcpy(copy, text, strlen(text));
	ASSERT_EQ(manifest_parse(name, (const unsigned char *)copy,
	    strlen(text), &set, NULL), r.rc);
	free(copy);
	manifest_set_free(&set);
	return r;
}

/* Expects exactly these error lines (each without its newline). */
static void
expect_lines(const struct result *r, const char *const lines[], size_t n)
{
	const char *p = r->errs;

	ASSERT_EQ(r->nlines, n);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		if (strncmp(p, lines[i], l) != 0 || p[l] != '\n')
			CHECK_FAIL("line %zu: want\n  %s\ngot\n  %.*s", i + 1,
			    lines[i], (int)(strchr(p, '\n') - p), p);
		p += l + 1;
	}
}

#define EXPECT(r, ...)                                                        \
	do {                                                                  \
		const char *const l_[] = { __VA_ARGS__ };                     \
		expect_lines(&(r), l_, sizeof(l_) / sizeof(l_[0]));           \
	} while (0)

static void
refused(struct result *r)
{
	ASSERT_EQ(r->rc, -EINVAL);
	free(r->errs);
}

/*
 * A well-formed manifest of a kind no module handles is refused, naming
 * the kind, the apiVersion and this build, at the kind's line.
 */
static void
test_unhandled_kind(void)
{
	struct result r;
	char want[256];

	r = parse("w.yaml",
	    "# a comment first\n"
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata:\n"
	    "  name: w1\n"
	    "  namespace: default\n"
	    "spec:\n"
	    "  size: 3\n");
	snprintf(want, sizeof(want),
	    "w.yaml:3:7: kind: Widget (apiVersion example.com/v1) is not a kind this sluiced (%s) handles",
	    SLUICE_VERSION);
	EXPECT(r, want);
	refused(&r);

	/* Core Kubernetes kinds are not ours either; no spec is fine. */
	r = parse("cm.yaml",
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: ConfigMap\n"
	    "metadata: {name: a.b-c}\n");
	snprintf(want, sizeof(want),
	    "cm.yaml:3:7: kind: ConfigMap (apiVersion v1) is not a kind this sluiced (%s) handles",
	    SLUICE_VERSION);
	EXPECT(r, want);
	refused(&r);

	/* Flow style, everything on one line. */
	r = parse("f.yaml",
	    "{apiVersion: x/v9, kind: Gadget, metadata: {name: g}}\n");
	snprintf(want, sizeof(want),
	    "f.yaml:1:26: kind: Gadget (apiVersion x/v9) is not a kind this sluiced (%s) handles",
	    SLUICE_VERSION);
	EXPECT(r, want);
	refused(&r);
}

static void
test_missing(void)
{
	struct result r;

	r = parse("m.yaml",
	    "kind: Widget\n"
	    "metadata:\n"
	    "  name: a\n");
	EXPECT(r, "m.yaml:1:1: apiVersion: required key is missing");
	refused(&r);

	r = parse("m.yaml",
	    "apiVersion: example.com/v1\n"
	    "metadata:\n"
	    "  name: a\n");
	EXPECT(r, "m.yaml:1:1: kind: required key is missing");
	refused(&r);

	r = parse("m.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "spec: {}\n");
	EXPECT(r, "m.yaml:1:1: metadata: required key is missing");
	refused(&r);

	r = parse("m.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata:\n"
	    "  namespace: default\n");
	EXPECT(r, "m.yaml:4:3: metadata.name: required key is missing");
	refused(&r);

	/* All of them at once: every problem is reported. */
	r = parse("m.yaml", "spec: {}\n");
	EXPECT(r,
	    "m.yaml:1:1: apiVersion: required key is missing",
	    "m.yaml:1:1: kind: required key is missing",
	    "m.yaml:1:1: metadata: required key is missing");
	refused(&r);
}

static void
test_wrong_types(void)
{
	struct result r;

	r = parse("t.yaml",
	    "apiVersion: {group: example.com}\n"
	    "kind: [Widget]\n"
	    "metadata: w1\n");
	EXPECT(r,
	    "t.yaml:1:13: apiVersion: expected a string",
	    "t.yaml:2:7: kind: expected a string",
	    "t.yaml:3:11: metadata: expected a mapping");
	refused(&r);

	r = parse("t.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: \"\"\n"
	    "metadata:\n"
	    "  name: [a]\n"
	    "  namespace: {}\n");
	EXPECT(r,
	    "t.yaml:2:7: kind: must be 1 to 63 characters",
	    "t.yaml:4:9: metadata.name: expected a string",
	    "t.yaml:5:14: metadata.namespace: expected a string");
	refused(&r);

	/* The document itself is not a mapping. */
	r = parse("t.yaml", "- apiVersion: v1\n");
	EXPECT(r,
	    "t.yaml:1:1: a manifest must be a mapping with apiVersion, kind and metadata");
	refused(&r);
	r = parse("t.yaml", "just words\n");
	EXPECT(r,
	    "t.yaml:1:1: a manifest must be a mapping with apiVersion, kind and metadata");
	refused(&r);
}

static void
test_bad_names(void)
{
	static const char *const bad[] = {
		"Upper", "under_score", "-lead", "trail-", ".dot", "dot.",
		"sp ace", "a..b", "a.-b", "a-.b", "caf\\u00e9", "a/b",
	};
	struct result r;
	char text[512], longname[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    "apiVersion: example.com/v1\n"
		    "kind: Widget\n"
		    "metadata:\n"
		    "  name: \"%s\"\n", bad[i]);
		r = parse("n.yaml", text);
		if (r.nlines != 1 ||
		    strncmp(r.errs, "n.yaml:4:9: metadata.name: \"", 28) != 0 ||
		    strstr(r.errs, "\" is not a valid name (lower-case "
		    "RFC 1123 subdomain)\n") == NULL)
			CHECK_FAIL("name \"%s\" not refused as such:\n%s",
			    bad[i], r.errs);
		refused(&r);
	}

	/* 253 characters is the limit; the labels are fine. */
	memset(longname, 'a', 254);
	for (size_t i = 50; i < 254; i += 50)
		longname[i] = '.';
	longname[253] = '\0';
	snprintf(text, sizeof(text),
	    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n"
	    "  name: %s\n", longname);
	r = parse("n.yaml", text);
	ASSERT_EQ(r.nlines, 1);
	ASSERT_STR_HAS(r.errs, "is not a kind this sluiced");
	refused(&r);
	longname[253] = 'a';
	longname[254] = '\0';
	snprintf(text, sizeof(text),
	    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n"
	    "  name: %s\n", longname);
	r = parse("n.yaml", text);
	EXPECT(r, "n.yaml:4:9: metadata.name: must be 1 to 253 characters");
	refused(&r);

	/* Empty, and a NUL that would cut the name short. */
	r = parse("n.yaml",
	    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n"
	    "  name: \"\"\n");
	EXPECT(r, "n.yaml:4:9: metadata.name: must be 1 to 253 characters");
	refused(&r);
	r = parse("n.yaml",
	    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n"
	    "  name: \"ok\\0evil\"\n");
	EXPECT(r, "n.yaml:4:9: metadata.name: value contains a NUL byte");
	refused(&r);
}

static void
test_unknown_and_duplicate_keys(void)
{
	struct result r;

	r = parse("u.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata:\n"
	    "  name: w\n"
	    "status: {}\n"
	    "Spec: {}\n");
	EXPECT(r,
	    "u.yaml:5:1: status: unknown key",
	    "u.yaml:6:1: Spec: unknown key");
	refused(&r);

	/* A key that is not a string is not a known key either. */
	r = parse("u.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata: {name: w}\n"
	    "? [spec]\n"
	    ": {}\n");
	EXPECT(r, "u.yaml:4:3: keys must be plain strings");
	refused(&r);

	/* The same key twice: which one would win is anyone's guess. */
	r = parse("u.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata: {name: w}\n"
	    "kind: Gadget\n");
	EXPECT(r, "u.yaml:4:1: kind: duplicate key");
	refused(&r);
	r = parse("u.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata:\n"
	    "  name: w\n"
	    "  name: x\n");
	EXPECT(r, "u.yaml:5:3: metadata.name: duplicate key");
	refused(&r);
}

static void
test_invalid_yaml(void)
{
	struct result r;

	r = parse("y.yaml",
	    "apiVersion: example.com/v1\n"
	    "kind: [Widget\n"
	    "metadata: {name: w}\n");
	ASSERT_EQ(r.nlines, 1);
	ASSERT_STR_HAS(r.errs, "y.yaml:3:");
	ASSERT_STR_HAS(r.errs, ": invalid YAML: ");
	refused(&r);

	r = parse("y.yaml", "a: b\n c: d\n");
	EXPECT(r, "y.yaml:2:3: invalid YAML: mapping values are not allowed in this context");
	refused(&r);

	r = parse("y.yaml", "key: \"unterminated\n");
	ASSERT_EQ(r.nlines, 1);
	ASSERT_STR_HAS(r.errs, "y.yaml:2:1: invalid YAML: ");
	refused(&r);
}

/* Several documents: each is checked, at its own lines. */
static void
test_documents(void)
{
	struct result r;
	char want[256];

	r = parse("d.yaml",
	    "apiVersion: example.com/v1\n"		/* 1 */
	    "kind: Widget\n"
	    "metadata: {name: one}\n"
	    "---\n"
	    "apiVersion: example.com/v1\n"		/* 5 */
	    "kind: Widget\n"
	    "metadata:\n"
	    "  name: Two\n"
	    "---\n"
	    "# a comment\n"				/* 10 */
	    "kind: Widget\n"
	    "metadata: {name: three}\n"
	    "---\n"
	    "apiVersion: example.com/v1\n"
	    "kind: [\n");				/* 15 */
	snprintf(want, sizeof(want),
	    "d.yaml:2:7: kind: Widget (apiVersion example.com/v1) is not a kind this sluiced (%s) handles",
	    SLUICE_VERSION);
	EXPECT(r, want,
	    "d.yaml:8:9: metadata.name: \"Two\" is not a valid name (lower-case RFC 1123 subdomain)",
	    "d.yaml:11:1: apiVersion: required key is missing",
	    "d.yaml:16:1: invalid YAML: did not find expected node content");
	refused(&r);
}

static void
test_empty(void)
{
	struct manifest_set set = { 0 };
	static const char *const empty[] = { "", "\n", "# only a comment\n",
		"---\n...\n" };

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct result r = parse("e.yaml", empty[i]);

		/* An explicit empty document is not a manifest. */
		if (i == 3) {
			ASSERT_EQ(r.rc, -EINVAL);
			ASSERT_STR_HAS(r.errs, "must be a mapping");
		} else {
			ASSERT_OK(r.rc);
			ASSERT_EQ(r.nlines, 0);
		}
		free(r.errs);
	}
	manifest_set_free(&set);
	manifest_set_free(NULL);
}

/* ------------------------------------------------------------------ */
/* manifest_load_dir() */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs(text, f);
	ASSERT_OK(fclose(f));
}

static int
load(const char *dir, struct manifest_set *set, char **errs)
{
	size_t len;
	FILE *f = open_memstream(errs, &len);
	int rc;

	ASSERT(f != NULL);
	/* Whatever it held before is replaced. */
	set->docs = NULL;
	set->ndocs = 99;
	set->nfiles = 99;
	rc = manifest_load_dir(dir, set, f);
	ASSERT_OK(fclose(f));
	return rc;
}

static void
test_load_dir(void)
{
	struct manifest_set set;
	char dir[4200], path[8400];
	char *errs;

	/* A missing directory is an empty set. */
	snprintf(dir, sizeof(dir), "%s/missing", top);
	ASSERT_OK(load(dir, &set, &errs));
	ASSERT_EQ(set.ndocs, 0);
	ASSERT_EQ(set.nfiles, 0);
	ASSERT(set.docs == NULL);
	ASSERT_STR_EQ(errs, "");
	free(errs);
	manifest_set_free(&set);

	/* An empty one too. */
	snprintf(dir, sizeof(dir), "%s/empty", top);
	ASSERT_OK(mkdir(dir, 0700));
	ASSERT_OK(load(dir, &set, &errs));
	ASSERT_EQ(set.ndocs, 0);
	ASSERT_EQ(set.nfiles, 0);
	free(errs);
	manifest_set_free(&set);

	/*
	 * Only *.yaml and *.yml count; hidden files and others are not
	 * read, whatever they hold.
	 */
	snprintf(dir, sizeof(dir), "%s/mixed", top);
	ASSERT_OK(mkdir(dir, 0700));
	write_file(dir, "a.yaml", "# nothing yet\n");
	write_file(dir, "b.yml", "");
	write_file(dir, "README", "kind: [\n");
	write_file(dir, "c.yaml.bak", "kind: [\n");
	write_file(dir, ".hidden.yaml", "kind: [\n");
	write_file(dir, ".yaml", "kind: [\n");
	ASSERT_OK(load(dir, &set, &errs));
	ASSERT_EQ(set.ndocs, 0);
	ASSERT_EQ(set.nfiles, 2);
	ASSERT_STR_EQ(errs, "");
	free(errs);
	manifest_set_free(&set);

	/* One bad file spoils the set; its messages name it. */
	write_file(dir, "z-bad.yaml", "apiVersion: v1\nkind: [\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT(set.docs == NULL);
	ASSERT_EQ(set.ndocs, 0);
	ASSERT_STR_HAS(errs, "z-bad.yaml:3:1: invalid YAML: ");
	free(errs);
	manifest_set_free(&set);

	/* So does a well-formed manifest of a kind nobody handles. */
	snprintf(path, sizeof(path), "%s/z-bad.yaml", dir);
	ASSERT_OK(unlink(path));
	write_file(dir, "w.yml",
	    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "w.yml:2:7: kind: Widget (apiVersion example.com/v1) is not a kind this sluiced");
	free(errs);
	manifest_set_free(&set);
	snprintf(path, sizeof(path), "%s/w.yml", dir);
	ASSERT_OK(unlink(path));

	/* Every bad file is reported, in name order, not just the first. */
	write_file(dir, "m2.yaml", "- 1\n");
	write_file(dir, "m1.yaml", "kind: Widget\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT(strstr(errs, "m1.yaml:1:1: apiVersion") != NULL);
	ASSERT(strstr(errs, "m2.yaml:1:1: a manifest must be a mapping") !=
	    NULL);
	ASSERT(strstr(errs, "m1.yaml") < strstr(errs, "m2.yaml"));
	free(errs);
	manifest_set_free(&set);
	snprintf(path, sizeof(path), "%s/m1.yaml", dir);
	ASSERT_OK(unlink(path));
	snprintf(path, sizeof(path), "%s/m2.yaml", dir);
	ASSERT_OK(unlink(path));

	/* A directory or a symlink named *.yaml is not read. */
	snprintf(path, sizeof(path), "%s/sub.yaml", dir);
	ASSERT_OK(mkdir(path, 0700));
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "sub.yaml: not a regular file");
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(rmdir(path));
	snprintf(path, sizeof(path), "%s/link.yaml", dir);
	ASSERT_OK(symlink("a.yaml", path));
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "link.yaml: cannot open");
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(unlink(path));

	/* Back to good. */
	ASSERT_OK(load(dir, &set, &errs));
	free(errs);
	manifest_set_free(&set);

	/* A file where the directory should be. */
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	ASSERT(load(path, &set, &errs) < 0);
	ASSERT_STR_HAS(errs, "a.yaml: cannot open");
	ASSERT(set.docs == NULL);
	free(errs);
	manifest_set_free(&set);
}


/* ------------------------------------------------------------------ */
/* The policy kinds */

#define NP(ns, name)                                                          \
	"apiVersion: networking.k8s.io/v1\n"                                  \
	"kind: NetworkPolicy\n"                                               \
	"metadata: {name: " name ns "}\n"                                     \
	"spec:\n"                                                             \
	"  podSelector: {matchLabels: {app: db}}\n"                           \
	"  ingress: [{from: [{networkSetSelector: {matchLabels: {role: db}}}]}]\n"
#define ANP(name)                                                             \
	"apiVersion: policy.networking.k8s.io/v1alpha1\n"                     \
	"kind: AdminNetworkPolicy\n"                                          \
	"metadata: {name: " name "}\n"                                        \
	"spec:\n"                                                             \
	"  priority: 10\n"                                                    \
	"  subject: {namespaces: {}}\n"                                       \
	"  egress:\n"                                                         \
	"  - {action: Allow, to: [{networkSets: {matchLabels: {zone: intranet}}}]}\n"
#define BANP                                                                  \
	"apiVersion: policy.networking.k8s.io/v1alpha1\n"                     \
	"kind: BaselineAdminNetworkPolicy\n"                                  \
	"metadata: {name: default}\n"                                         \
	"spec:\n"                                                             \
	"  subject: {namespaces: {}}\n"                                       \
	"  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n"
#define NETSET(ns, name)                                                      \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: NetworkSet\n"                                                  \
	"metadata: {name: " name ns ", labels: {role: db}}\n"                 \
	"spec: {nets: [198.51.100.0/28, \"2001:db8:1::/64\"]}\n"
#define GNETSET(name)                                                         \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: GlobalNetworkSet\n"                                            \
	"metadata: {name: " name ", labels: {zone: intranet}}\n"              \
	"spec:\n"                                                             \
	"  nets: [192.0.2.0/24]\n"
#define IN(ns) ", namespace: " ns

static void
expect_src(const struct cluster_src *s, const char *file, size_t line)
{
	ASSERT_STR_EQ(s->file, file);
	ASSERT_EQ(s->line, line);
}

/* Every policy kind loads, into models ready for a struct policy_world. */
static void
test_policy_kinds(void)
{
	const struct cluster_policy *p;
	struct manifest_set set;
	struct policy_world w;
	char dir[4200], *errs;

	snprintf(dir, sizeof(dir), "%s/policy", top);
	ASSERT_OK(mkdir(dir, 0700));
	write_file(dir, "a-np.yaml",
	    NP(IN("shop"), "web")		/* line 1 */
	    "---\n"
	    NP("", "web")			/* line 8, in "default" */
	    "---\n"
	    NP(IN("other"), "web"));		/* line 15 */
	write_file(dir, "b-admin.yaml",
	    ANP("cluster-control")		/* line 1 */
	    "---\n"
	    ANP("second")			/* line 10 */
	    "---\n"
	    BANP);				/* line 19 */
	write_file(dir, "c-sets.yml",
	    "# sets\n"
	    NETSET(IN("shop"), "external-db")	/* line 2 */
	    "---\n"
	    NETSET(IN("other"), "external-db")	/* line 7 */
	    "---\n"
	    GNETSET("corp-intranet")		/* line 12 */
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Namespace\n"
	    "metadata: {name: shop, labels: {team: a}}\n");
	if (load(dir, &set, &errs) != 0)
		CHECK_FAIL("refused:\n%s", errs);
	ASSERT_STR_EQ(errs, "");
	free(errs);
	ASSERT_EQ(set.nfiles, 3);
	ASSERT_EQ(set.ndocs, 10);
	ASSERT_EQ(set.cluster.nnamespaces, 1);
	p = &set.cluster.policy;

	ASSERT_EQ(p->nnps, 3);
	ASSERT_STR_EQ(p->nps[0].namespace, "shop");
	ASSERT_STR_EQ(p->nps[1].namespace, "default");
	ASSERT_STR_EQ(p->nps[2].namespace, "other");
	for (size_t i = 0; i < 3; i++) {
		ASSERT_STR_EQ(p->nps[i].name, "web");
		ASSERT(p->np_owners[i] != NULL);
		expect_src(&p->np_srcs[i], "a-np.yaml", 1 + 7 * i);
	}
	ASSERT_STR_EQ(p->nps[0].pod_selector->match_labels[0].value, "db");
	ASSERT(p->nps[0].ingress[0].peers[0].network_set_selector != NULL);

	ASSERT_EQ(p->nanps, 2);
	ASSERT_STR_EQ(p->anps[0].name, "cluster-control");
	ASSERT_STR_EQ(p->anps[1].name, "second");
	ASSERT_EQ(p->anps[1].priority, 10);
	expect_src(&p->anp_srcs[0], "b-admin.yaml", 1);
	expect_src(&p->anp_srcs[1], "b-admin.yaml", 10);
	ASSERT_EQ(p->nbanps, 1);
	ASSERT_STR_EQ(p->banps[0].name, "default");
	ASSERT_EQ(p->banps[0].ingress[0].action, POLICY_ACTION_DENY);
	expect_src(&p->banp_srcs[0], "b-admin.yaml", 19);

	ASSERT_EQ(p->nnetsets, 2);
	ASSERT_STR_EQ(p->netsets[0].name, "external-db");
	ASSERT_STR_EQ(p->netsets[0].namespace, "shop");
	ASSERT_STR_EQ(p->netsets[1].namespace, "other");
	ASSERT_EQ(p->netsets[0].nlabels, 1);
	ASSERT_STR_EQ(p->netsets[0].labels[0].key, "role");
	ASSERT_EQ(p->netsets[0].nnets, 2);
	expect_src(&p->netset_srcs[0], "c-sets.yml", 2);
	expect_src(&p->netset_srcs[1], "c-sets.yml", 7);
	ASSERT_EQ(p->nglobal_netsets, 1);
	ASSERT_STR_EQ(p->global_netsets[0].name, "corp-intranet");
	ASSERT(p->global_netsets[0].namespace == NULL);
	ASSERT_EQ(p->global_netsets[0].nnets, 1);
	expect_src(&p->global_netset_srcs[0], "c-sets.yml", 12);

	/* The arrays are a world's as they are. */
	memset(&w, 0, sizeof(w));
	w.nps = p->nps;
	w.nnps = p->nnps;
	w.anps = p->anps;
	w.nanps = p->nanps;
	w.banps = p->banps;
	w.nbanps = p->nbanps;
	w.netsets = p->netsets;
	w.nnetsets = p->nnetsets;
	w.global_netsets = p->global_netsets;
	w.nglobal_netsets = p->nglobal_netsets;
	ASSERT_OK(policy_world_validate(&w, NULL, NULL, NULL, 0));
	manifest_set_free(&set);
	ASSERT_EQ(set.cluster.policy.nnps, 0);
	ASSERT(set.cluster.policy.nps == NULL);

	/* The same kinds with the wrong apiVersion are someone else's. */
	write_file(dir, "d.yaml",
	    "apiVersion: projectcalico.org/v3\n"
	    "kind: NetworkSet\n"
	    "metadata: {name: x}\n"
	    "spec: {nets: []}\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "d.yaml:2:7: kind: NetworkSet (apiVersion "
	    "projectcalico.org/v3) is not a kind this sluiced");
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

/* Names unique per kind (and namespace), one BANP: file:line of both. */
static void
test_policy_duplicates(void)
{
	struct manifest_set set;
	char dir[4200], path[8400], *errs;
	const char *want =
	    "b.yaml:1:1: metadata.name: NetworkPolicy shop/web is declared twice (first at a.yaml:1)\n"
	    "b.yaml:8:1: metadata.name: NetworkPolicy default/web is declared twice (first at a.yaml:8)\n"
	    "b.yaml:15:1: metadata.name: AdminNetworkPolicy second is declared twice (first at a.yaml:15)\n"
	    "b.yaml:24:1: a second BaselineAdminNetworkPolicy (the first is at a.yaml:24): only one, named default, can exist\n"
	    "b.yaml:31:1: metadata.name: NetworkSet shop/external-db is declared twice (first at a.yaml:31)\n"
	    "b.yaml:36:1: metadata.name: GlobalNetworkSet corp-intranet is declared twice (first at a.yaml:36)\n";
	const char *docs =
	    NP(IN("shop"), "web")		/* line 1 */
	    "---\n"
	    NP(IN("default"), "web")		/* line 8 */
	    "---\n"
	    ANP("second")			/* line 15 */
	    "---\n"
	    BANP				/* line 24 */
	    "---\n"
	    NETSET(IN("shop"), "external-db")	/* line 31 */
	    "---\n"
	    GNETSET("corp-intranet");		/* line 36 */

	snprintf(dir, sizeof(dir), "%s/dups", top);
	ASSERT_OK(mkdir(dir, 0700));
	/*
	 * b.yaml repeats a.yaml. What differs only by namespace, or by
	 * kind (a NetworkSet and a GlobalNetworkSet), is no duplicate.
	 */
	write_file(dir, "a.yaml", docs);
	write_file(dir, "b.yaml", docs);
	write_file(dir, "c.yaml",
	    NP(IN("other"), "web")
	    "---\n"
	    NETSET(IN("other"), "external-db")
	    "---\n"
	    NETSET(IN("shop"), "corp-intranet")
	    "---\n"
	    GNETSET("external-db"));
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs, want);
	free(errs);
	/* Refused whole: nothing is kept. */
	ASSERT(set.docs == NULL);
	ASSERT_EQ(set.ndocs, 0);
	ASSERT_EQ(set.cluster.policy.nnps, 0);
	ASSERT_EQ(set.cluster.policy.nbanps, 0);
	manifest_set_free(&set);

	/* Within one file, and a BANP twice in the same one. */
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	ASSERT_OK(unlink(path));
	write_file(dir, "c.yaml", "---\n" BANP "---\n" BANP);
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "c.yaml:2:1: a second BaselineAdminNetworkPolicy (the first is at a.yaml:24): only one, named default, can exist\n"
	    "c.yaml:9:1: a second BaselineAdminNetworkPolicy (the first is at a.yaml:24): only one, named default, can exist\n");
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

/* A bad policy document anywhere refuses every file of the set. */
static void
test_policy_refused(void)
{
	struct manifest_set set;
	char dir[4200], *errs;

	snprintf(dir, sizeof(dir), "%s/bad-policy", top);
	ASSERT_OK(mkdir(dir, 0700));
	write_file(dir, "a.yaml", NP(IN("shop"), "web") "---\n" BANP);
	write_file(dir, "c.yaml",
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: IPPool\n"
	    "metadata: {name: p}\n"
	    "spec: {cidr: 10.244.0.0/16}\n");
	ASSERT_OK(load(dir, &set, &errs));
	ASSERT_EQ(set.cluster.policy.nnps, 1);
	ASSERT_EQ(set.cluster.npools, 1);
	free(errs);
	manifest_set_free(&set);

	/* Every problem of the bad file, at its place. */
	write_file(dir, "b.yaml",
	    GNETSET("ok")
	    "---\n"
	    "apiVersion: networking.k8s.io/v1\n"	/* line 7 */
	    "kind: NetworkPolicy\n"
	    "metadata: {name: db, namespace: shop}\n"
	    "spec:\n"
	    "  egress: [{to: [{ipBlock: {cidr: 10.0.0.1/8}}]}]\n"
	    "  ingres: []\n"
	    "---\n"
	    "apiVersion: policy.networking.k8s.io/v1alpha1\n"	/* line 14 */
	    "kind: AdminNetworkPolicy\n"
	    "metadata: {name: a, namespace: shop}\n"
	    "spec: {priority: 1, subject: {namespaces: {}}}\n"
	    "---\n"
	    "apiVersion: sluice.io/v1alpha1\n"	/* line 19 */
	    "kind: NetworkSet\n"
	    "metadata: {name: s}\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "b.yaml:12:3: spec: unknown key \"ingres\" (did you mean \"ingress\"?)\n"
	    "b.yaml:11:35: spec.egress[0].to[0].ipBlock.cidr: \"10.0.0.1/8\" has host bits set; write 10.0.0.0/8, the CIDR it means\n"
	    "b.yaml:16:32: metadata.namespace: AdminNetworkPolicy is cluster-wide: no namespace\n"
	    "b.yaml:19:1: spec: required key is missing\n");
	ASSERT(set.docs == NULL);
	ASSERT_EQ(set.cluster.policy.nnps, 0);
	ASSERT_EQ(set.cluster.policy.nglobal_netsets, 0);
	ASSERT_EQ(set.cluster.npools, 0);
	free(errs);
	manifest_set_free(&set);

	/* What only validation sees refuses the set too. */
	write_file(dir, "b.yaml",
	    "apiVersion: policy.networking.k8s.io/v1alpha1\n"
	    "kind: BaselineAdminNetworkPolicy\n"
	    "metadata: {name: other}\n"
	    "spec: {subject: {namespaces: {}}}\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "b.yaml:1:1: BaselineAdminNetworkPolicy other: metadata.name must be \"default\": only one BaselineAdminNetworkPolicy, named default, can exist\n");
	ASSERT_EQ(set.cluster.policy.nbanps, 0);
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

/* ------------------------------------------------------------------ */
/* Egress gateways */

#define EPOOL                                                                 \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: IPPool\n"                                                      \
	"metadata: {name: default}\n"                                         \
	"spec: {cidr: 10.244.0.0/16}\n"
#define ENODE(name, labels, addr, egress)                                     \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: Node\n"                                                        \
	"metadata: {name: " name ", labels: {" labels "}}\n"                  \
	"spec: {address: " addr egress "}\n"
#define EGP(name, spec)                                                       \
	"apiVersion: sluice.io/v1alpha1\n"                                    \
	"kind: EgressGatewayPolicy\n"                                         \
	"metadata: {name: " name "}\n"                                        \
	"spec:\n" spec

/* Gateways and policies load: every field, and the defaults. */
static void
test_egress_kinds(void)
{
	const struct cluster *cl;
	const struct egress_policy *p;
	const struct egress_gateway *g;
	struct manifest_set set;
	char dir[4200], *errs;

	snprintf(dir, sizeof(dir), "%s/egress", top);
	ASSERT_OK(mkdir(dir, 0700));
	/*
	 * Enough plain nodes between the gateways for the node array to
	 * move: the gateways must follow it.
	 */
	write_file(dir, "a-nodes.yaml",
	    EPOOL
	    "---\n"
	    ENODE("gw-a", "egress: finance, topology.kubernetes.io/zone: a",
		"192.0.2.1", ", egress: {addresses: [198.51.100.1, 198.51.100.2], drain: true}")
	    "---\n" ENODE("n1", "", "192.0.2.11", "")
	    "---\n" ENODE("n2", "", "192.0.2.12", "")
	    "---\n" ENODE("n3", "", "192.0.2.13", "")
	    "---\n" ENODE("n4", "", "192.0.2.14", "")
	    "---\n" ENODE("n5", "", "192.0.2.15", "")
	    "---\n" ENODE("n6", "", "192.0.2.16", "")
	    "---\n" ENODE("n7", "", "192.0.2.17", "")
	    "---\n" ENODE("n8", "", "192.0.2.18", "")
	    "---\n"
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: Node\n"
	    "metadata: {name: gw-b, labels: {egress: finance}}\n"
	    "spec:\n"
	    "  address: 192.0.2.2\n"
	    "  egress:\n"
	    "    addresses:\n"
	    "    - 203.0.113.7\n");
	write_file(dir, "b-egress.yaml",
	    EGP("finance",				/* line 1 */
	    "  namespaceSelector: {matchLabels: {team: finance}}\n"
	    "  podSelector:\n"
	    "    matchExpressions:\n"
	    "    - {key: app, operator: In, values: [ledger, payroll]}\n"
	    "  gateways:\n"
	    "    nodeSelector: {matchLabels: {egress: finance}}\n"
	    "    addresses: [198.51.100.2, 203.0.113.7]\n"
	    "  destinations: [0.0.0.0/0, 192.0.2.128/25]\n"
	    "  maxGateways: 2\n"
	    "  onNoGateway: NATOutgoing\n")
	    "---\n"
	    EGP("everyone",				/* line 16 */
	    "  podSelector: {}\n"
	    "  gateways: {nodeSelector: {}}\n"
	    "  destinations: ~\n"
	    "  maxGateways:\n")
	    "---\n"
	    EGP("by-namespace",				/* line 25 */
	    "  namespaceSelector: {}\n"
	    "  podSelector: null\n"
	    "  gateways: {nodeSelector: {matchLabels: {egress: finance}}}\n"
	    "  maxGateways: 64\n"
	    "  onNoGateway: Drop\n"));
	if (load(dir, &set, &errs) != 0)
		CHECK_FAIL("refused:\n%s", errs);
	ASSERT_STR_EQ(errs, "");
	free(errs);
	cl = &set.cluster;
	ASSERT_EQ(cl->nnodes, 10);

	/* The Nodes: addresses kept in order, drain defaults to false. */
	ASSERT_EQ(cl->nodes[0].negress_addrs, 2);
	ASSERT(cl->nodes[0].egress_drain);
	ASSERT_EQ(cl->nodes[0].egress_addrs[1].family, AF_INET);
	ASSERT_EQ(cl->nodes[0].egress_addrs[1].u.b[3], 2);
	ASSERT_EQ(cl->nodes[1].negress_addrs, 0);
	ASSERT_EQ(cl->nodes[9].negress_addrs, 1);
	ASSERT(!cl->nodes[9].egress_drain);

	/* The gateways, pointing into the nodes where they are now. */
	ASSERT_EQ(cl->negress_gateways, 2);
	g = cl->egress_gateways;
	ASSERT_STR_EQ(g[0].node, "gw-a");
	ASSERT(g[0].node == cl->nodes[0].name);
	ASSERT(g[0].addrs == cl->nodes[0].egress_addrs);
	ASSERT_EQ(g[0].naddrs, 2);
	ASSERT(g[0].draining);
	ASSERT_EQ(g[0].nlabels, 2);
	ASSERT(g[0].labels == cl->nodes[0].labels);
	ASSERT_STR_EQ(g[0].labels[1].key, EGRESS_ZONE_LABEL);
	ASSERT_STR_EQ(g[1].node, "gw-b");
	ASSERT(g[1].node == cl->nodes[9].name);
	ASSERT(g[1].addrs == cl->nodes[9].egress_addrs);
	ASSERT_EQ(g[1].naddrs, 1);
	ASSERT_EQ(g[1].addrs[0].u.b[0], 203);
	ASSERT(!g[1].draining);

	/* Every field. */
	ASSERT_EQ(cl->egress.n, 3);
	p = &cl->egress.policies[0];
	ASSERT_STR_EQ(p->name, "finance");
	ASSERT(p->namespace_selector != NULL);
	ASSERT_EQ(p->namespace_selector->nmatch_labels, 1);
	ASSERT_STR_EQ(p->namespace_selector->match_labels[0].value,
	    "finance");
	ASSERT(p->pod_selector != NULL);
	ASSERT_EQ(p->pod_selector->nexprs, 1);
	ASSERT_EQ(p->pod_selector->exprs[0].nvalues, 2);
	ASSERT(p->gateway_selector != NULL);
	ASSERT_STR_EQ(p->gateway_selector->match_labels[0].key, "egress");
	ASSERT_EQ(p->naddrs, 2);
	ASSERT_EQ(p->addrs[0].u.b[3], 2);
	ASSERT_EQ(p->addrs[1].u.b[3], 7);
	ASSERT_EQ(p->ndests, 2);
	ASSERT_EQ(p->dests[0].len, 0);
	ASSERT_EQ(p->dests[1].len, 25);
	ASSERT_EQ(p->max_gateways, 2);
	ASSERT_EQ(p->fallback, EGRESS_FALLBACK_NAT);
	ASSERT(cl->egress.owners[0] != NULL);
	expect_src(&cl->egress.srcs[0], "b-egress.yaml", 1);
	ASSERT(sluice_selector_matches(p->gateway_selector, g[1].labels,
	    g[1].nlabels));

	/* The defaults; null is absent. */
	p = &cl->egress.policies[1];
	ASSERT_STR_EQ(p->name, "everyone");
	ASSERT(p->namespace_selector == NULL);
	ASSERT(p->pod_selector != NULL);
	ASSERT(sluice_selector_empty(p->pod_selector));
	ASSERT(sluice_selector_empty(p->gateway_selector));
	ASSERT(p->addrs == NULL);
	ASSERT_EQ(p->naddrs, 0);
	ASSERT(p->dests == NULL);
	ASSERT_EQ(p->ndests, 0);
	ASSERT_EQ(p->max_gateways, 0);
	ASSERT_EQ(p->fallback, EGRESS_FALLBACK_DROP);
	expect_src(&cl->egress.srcs[1], "b-egress.yaml", 16);
	p = &cl->egress.policies[2];
	ASSERT(p->namespace_selector != NULL);
	ASSERT(p->pod_selector == NULL);
	ASSERT_EQ(p->max_gateways, 64);
	ASSERT_EQ(p->fallback, EGRESS_FALLBACK_DROP);
	expect_src(&cl->egress.srcs[2], "b-egress.yaml", 25);

	manifest_set_free(&set);
	ASSERT_EQ(set.cluster.egress.n, 0);
	ASSERT(set.cluster.egress.policies == NULL);
	ASSERT(set.cluster.egress_gateways == NULL);
	ASSERT_EQ(set.cluster.negress_gateways, 0);
	cluster_egress_free(NULL);
	ASSERT_OK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

/* Every problem of a document, at its place. */
static void
test_egress_bad(void)
{
	struct manifest_set set;
	char dir[4200], *errs;

	snprintf(dir, sizeof(dir), "%s/egress-bad", top);
	ASSERT_OK(mkdir(dir, 0700));
	write_file(dir, "a.yaml",
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: Node\n"
	    "metadata: {name: a}\n"
	    "spec:\n"
	    "  address: 192.0.2.1\n"
	    "  egress:\n"
	    "    adresses: [198.51.100.1]\n"		/* line 7 */
	    "    drain: maybe\n"
	    "---\n"
	    "apiVersion: sluice.io/v1alpha1\n"
	    "kind: Node\n"
	    "metadata: {name: b}\n"
	    "spec:\n"
	    "  address: 192.0.2.2\n"
	    "  managed: false\n"
	    "  vtepMAC: \"02:00:00:00:00:02\"\n"
	    "  egress:\n"				/* line 17 */
	    "    addresses: [198.51.100.1, \"2001:db8::1\", 198.51.100.1, "
	    "127.0.0.1, 10.0.0.0/8]\n"
	    "---\n"
	    ENODE("c", "", "192.0.2.3", ", egress: {addresses: []}")
	    "---\n"						/* line 24 */
	    ENODE("d", "", "192.0.2.4", ", egress: {addresses: [1.0.0.1, "
	    "1.0.0.2, 1.0.0.3, 1.0.0.4, 1.0.0.5, 1.0.0.6, 1.0.0.7, 1.0.0.8, "
	    "1.0.0.9, 1.0.0.10, 1.0.0.11, 1.0.0.12, 1.0.0.13, 1.0.0.14, "
	    "1.0.0.15, 1.0.0.16, 1.0.0.17]}")
	    "---\n"
	    ENODE("e", "", "192.0.2.5", ", egress: [198.51.100.9]"));
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "a.yaml:7:5: spec.egress: unknown key \"adresses\" (did you mean \"addresses\"?)\n"
	    "a.yaml:7:5: spec.egress.addresses: required key is missing (leave spec.egress out for a Node that is no gateway)\n"
	    "a.yaml:8:12: spec.egress.drain: \"maybe\" is not true or false\n"
	    "a.yaml:18:5: spec.egress: a gateway runs sluiced: not with managed: false\n"
	    "a.yaml:18:31: spec.egress.addresses[1]: 2001:db8::1 is IPv6: egress gateways carry IPv4 flows only\n"
	    "a.yaml:18:46: spec.egress.addresses[2]: 198.51.100.1 is listed twice\n"
	    "a.yaml:18:60: spec.egress.addresses[3]: 127.0.0.1 is not a unicast address the outside can route back\n"
	    "a.yaml:18:71: spec.egress.addresses[4]: expected an IPv4 address such as 198.51.100.1\n"
	    "a.yaml:23:48: spec.egress.addresses: an empty list: leave the key out if none is meant\n"
	    "a.yaml:28:48: spec.egress.addresses: 17 IPv4 addresses, at most 16\n"
	    "a.yaml:33:36: spec.egress: expected a mapping\n");
	free(errs);
	manifest_set_free(&set);

	write_file(dir, "a.yaml",
	    EGP("typos",					/* line 1 */
	    "  podSelecter: {}\n"
	    "  gateways: {nodeselector: {}, adresses: [198.51.100.1]}\n"
	    "  onNoGateway: Dorp\n"
	    "  maxGateways: 0\n")
	    "---\n"
	    EGP("values",					/* line 10 */
	    "  podSelector:\n"
	    "    matchExpressions: [{key: app, operator: In}]\n"
	    "  namespaceSelector: {matchLabels: {\"a b\": c}}\n"
	    "  gateways: {nodeSelector: {matchLabels: {egress: x}}}\n"
	    "  destinations: [10.0.0.1/8, \"2001:db8::/32\", 0.0.0.0/0, bogus]\n"
	    "  maxGateways: 65\n"
	    "  onNoGateway: drop-it-all\n")
	    "---\n"
	    EGP("empty",					/* line 22 */
	    "  namespaceSelector: ~\n"
	    "  gateways: {nodeSelector: {}, addresses: []}\n"
	    "  destinations: []\n")
	    "---\n"
	    "apiVersion: sluice.io/v1alpha1\n"		/* line 30 */
	    "kind: EgressGatewayPolicy\n"
	    "metadata: {name: meta, lables: {a: b}}\n"
	    "spec: {podSelector: {}, gateways: {nodeSelector: {}}, "
	    "colour: blue}\n"
	    "---\n"
	    "apiVersion: sluice.io/v1alpha1\n"		/* line 35 */
	    "kind: EgressGatewayPolicy\n"
	    "metadata: {name: cluster-wide, namespace: shop}\n"
	    "spec: {podSelector: {}, gateways: {nodeSelector: {}}}\n");
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "a.yaml:5:3: spec: unknown key \"podSelecter\" (did you mean \"podSelector\"?)\n"
	    "a.yaml:5:3: spec: namespaceSelector or podSelector is required (podSelector: {} selects every pod)\n"
	    "a.yaml:6:14: spec.gateways: unknown key \"nodeselector\" (did you mean \"nodeSelector\"?)\n"
	    "a.yaml:6:32: spec.gateways: unknown key \"adresses\" (did you mean \"addresses\"?)\n"
	    "a.yaml:6:13: spec.gateways.nodeSelector: required key is missing ({} selects every gateway)\n"
	    "a.yaml:8:16: spec.maxGateways: \"0\" is not a whole number from 1 to 64\n"
	    "a.yaml:7:16: spec.onNoGateway: \"Dorp\" is not Drop or NATOutgoing (did you mean \"Drop\"?)\n"
	    "a.yaml:16:37: spec.namespaceSelector.matchLabels: \"a b: c\" is not a valid label (key [prefix/]name, value up to 63 of A-Z a-z 0-9 - _ .)\n"
	    "a.yaml:15:5: spec.podSelector: matchExpressions entry 0 (app): In and NotIn need at least one value\n"
	    "a.yaml:18:18: spec.destinations[0]: \"10.0.0.1/8\" has host bits set; write 10.0.0.0/8, the CIDR it means\n"
	    "a.yaml:18:30: spec.destinations[1]: \"2001:db8::/32\" is IPv6: egress gateways carry IPv4 flows only\n"
	    "a.yaml:18:58: spec.destinations[3]: \"bogus\" is not a CIDR with zero host bits, such as 10.244.0.0/16\n"
	    "a.yaml:19:16: spec.maxGateways: \"65\" is not a whole number from 1 to 64\n"
	    "a.yaml:20:16: spec.onNoGateway: expected Drop or NATOutgoing\n"
	    "a.yaml:26:3: spec: namespaceSelector or podSelector is required (podSelector: {} selects every pod)\n"
	    "a.yaml:27:43: spec.gateways.addresses: an empty list: leave the key out if none is meant\n"
	    "a.yaml:28:17: spec.destinations: an empty list: leave the key out if none is meant\n"
	    "a.yaml:32:24: metadata: unknown key \"lables\" (did you mean \"labels\"?)\n"
	    "a.yaml:33:55: spec: unknown key \"colour\"\n"
	    "a.yaml:37:43: metadata.namespace: EgressGatewayPolicy is cluster-wide: no namespace\n");
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

/*
 * Across documents: an egress address is one node's, outside the pools
 * and the underlay; policies are named once and list egress addresses of
 * the gateways they select. A bad set keeps nothing.
 */
static void
test_egress_cross(void)
{
	struct manifest_set set;
	char dir[4200], path[8400], *errs, *big, *end;
	size_t size = 65 * 256;

	snprintf(dir, sizeof(dir), "%s/egress-cross", top);
	ASSERT_OK(mkdir(dir, 0700));
	write_file(dir, "a.yaml",
	    EPOOL
	    "---\n"
	    ENODE("gw-a", "egress: finance", "192.0.2.1",	/* line 6 */
		", egress: {addresses: [198.51.100.1, 10.244.3.4, 192.0.2.2]}")
	    "---\n"
	    ENODE("gw-b", "", "192.0.2.2",			/* line 11 */
		", egress: {addresses: [198.51.100.5, 198.51.100.1]}"));
	write_file(dir, "b.yaml",
	    EGP("finance",					/* line 1 */
	    "  podSelector: {}\n"
	    "  gateways:\n"
	    "    nodeSelector: {matchLabels: {egress: finance}}\n"
	    "    addresses: [198.51.100.9, 198.51.100.5, 198.51.100.1]\n")
	    "---\n"
	    EGP("finance",					/* line 10 */
	    "  namespaceSelector: {}\n"
	    "  gateways: {nodeSelector: {}, addresses: [198.51.100.5]}\n"));
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "a.yaml:6:1: spec.egress.addresses: 10.244.3.4 of Node gw-a is inside IPPool default (10.244.0.0/16)\n"
	    "a.yaml:6:1: spec.egress.addresses: 192.0.2.2 of Node gw-a is the underlay address of Node gw-b\n"
	    "a.yaml:11:1: spec.egress.addresses: 198.51.100.1 of Node gw-b is an egress address of Node gw-a too (a.yaml:6)\n"
	    "b.yaml:1:1: spec.gateways.addresses: 198.51.100.9 of EgressGatewayPolicy finance is not an egress address of any Node\n"
	    "b.yaml:1:1: spec.gateways.addresses: 198.51.100.5 of EgressGatewayPolicy finance is an egress address of Node gw-b, which spec.gateways.nodeSelector does not select\n"
	    "b.yaml:10:1: metadata.name: EgressGatewayPolicy finance is declared twice (first at b.yaml:1)\n");
	free(errs);
	/* Refused whole: nothing is kept. */
	ASSERT(set.docs == NULL);
	ASSERT_EQ(set.cluster.nnodes, 0);
	ASSERT_EQ(set.cluster.negress_gateways, 0);
	ASSERT_EQ(set.cluster.egress.n, 0);
	manifest_set_free(&set);
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	ASSERT_OK(unlink(path));

	/* At most EGRESS_GATEWAYS_MAX gateways: the next one is refused. */
	big = malloc(size);
	ASSERT(big != NULL);
	end = big;
	for (int i = 1; i <= EGRESS_GATEWAYS_MAX + 1; i++)
		end += snprintf(end, size - (size_t)(end - big),
		    "---\n" ENODE("n%d", "", "192.0.2.%d",
		    ", egress: {addresses: [198.51.100.%d]}"), i, i, i);
	write_file(dir, "a.yaml", big);
	free(big);
	ASSERT_EQ(load(dir, &set, &errs), -EINVAL);
	ASSERT_STR_EQ(errs,
	    "a.yaml:325:37: spec.egress: Node n65 would be gateway number 65: at most 64 Nodes have egress addresses\n");
	free(errs);
	manifest_set_free(&set);
	ASSERT_OK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(top, sizeof(top), "%s/sluice-manifest-test.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	ASSERT(mkdtemp(top) != NULL);
	RUN(test_unhandled_kind);
	RUN(test_missing);
	RUN(test_wrong_types);
	RUN(test_bad_names);
	RUN(test_unknown_and_duplicate_keys);
	RUN(test_invalid_yaml);
	RUN(test_documents);
	RUN(test_empty);
	RUN(test_load_dir);
	RUN(test_policy_kinds);
	RUN(test_policy_duplicates);
	RUN(test_policy_refused);
	RUN(test_egress_kinds);
	RUN(test_egress_bad);
	RUN(test_egress_cross);
	ASSERT_OK(nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS));
	printf("ok\n");
	return 0;
}
