/*
 * config.c - what sluice-cni is told: the network config on stdin, the
 * CNI_* environment and CNI_ARGS.
 */
#include "cni/cni.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"

int
cni_err_set(struct cni_err *e, int code, const char *details,
    const char *fmt, ...)
{
	va_list ap;

	if (e->code != 0)
		return -EINVAL;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->details, sizeof(e->details), "%s",
	    details != NULL ? details : "");
	return -EINVAL;
}

/* Copies s into buf; false if it does not fit. */
static bool
copy(char *buf, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static bool
is_true(const char *v)
{
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0;
}

int
cni_args_parse(const char *s, struct cni_args *a, struct cni_err *e)
{
	char unknown[64] = "";
	bool ignore = false;
	const char *p, *end, *eq;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	for (p = s; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		size_t klen, vlen;
		const char *v;
		char *dst = NULL;
		size_t dsize = 0;

		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			continue;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p) {
			rc = cni_err_set(e, CNI_ERR_ENV, s,
			    "CNI_ARGS: \"%.*s\" is not KEY=VALUE",
			    (int)(end - p), p);
			goto out;
		}
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = (size_t)(end - v);
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(p, k, klen) == 0)
		if (KEY("K8S_POD_NAMESPACE")) {
			dst = a->pod_namespace;
			dsize = sizeof(a->pod_namespace);
		} else if (KEY("K8S_POD_NAME")) {
			dst = a->pod_name;
			dsize = sizeof(a->pod_name);
		} else if (KEY("IP")) {
			dst = a->ip;
			dsize = sizeof(a->ip);
		} else if (KEY("MAC")) {
			dst = a->mac;
			dsize = sizeof(a->mac);
		} else if (KEY("IgnoreUnknown")) {
			char b[8];

			ignore = copy(b, sizeof(b), v, vlen) && is_true(b);
		} else if (!KEY("K8S_POD_INFRA_CONTAINER_ID") &&
		    !KEY("K8S_POD_UID") && unknown[0] == '\0') {
			snprintf(unknown, sizeof(unknown), "%.*s",
			    (int)klen, p);
		}
#undef KEY
		if (dst != NULL && !copy(dst, dsize, v, vlen)) {
			rc = cni_err_set(e, CNI_ERR_ENV, s,
			    "CNI_ARGS: the value of %.*s is too long",
			    (int)klen, p);
			goto out;
		}
	}
	if (rc == 0 && a->mac[0] != '\0' && !cni_mac_valid(a->mac)) {
		rc = cni_err_set(e, CNI_ERR_ENV, a->mac,
		    "CNI_ARGS: MAC=%s is not a unicast MAC address (xx:xx:xx:xx:xx:xx)",
		    a->mac);
		goto out;
	}
	/* IgnoreUnknown may come after the unknown key. */
	if (unknown[0] != '\0' && !ignore)
		rc = cni_err_set(e, CNI_ERR_UNSUPPORTED, s,
		    "CNI_ARGS: unknown key %s (pass IgnoreUnknown=1 to ignore it)",
		    unknown);
out:
	return rc;
}

static const struct {
	const char *name;
	enum cni_cmd cmd;
} cmds[] = {
	{ "ADD", CNI_CMD_ADD },
	{ "DEL", CNI_CMD_DEL },
	{ "CHECK", CNI_CMD_CHECK },
	{ "VERSION", CNI_CMD_VERSION },
	{ "STATUS", CNI_CMD_STATUS },
	{ "GC", CNI_CMD_GC },
};

/* The spec: "alphanumeric, plus underscore, period and hyphen". */
static bool
valid_container_id(const char *s)
{
	if (*s == '\0' || *s == '.' || *s == '-' || *s == '_')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		    *s == '-'))
			return false;
	return true;
}

/* The spec: at most 15 characters, not "." or "..", no '/', ':' or space. */
static bool
valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CNI_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strpbrk(s, "/: \t\n\r\v\f") == NULL;
}

int
cni_env_parse(struct cni_env *env, const char *(*get)(const char *),
    struct cni_err *e)
{
	const char *cmd = get("CNI_COMMAND"), *id, *ifn;
	bool attach;
	int rc = 0;

	memset(env, 0, sizeof(*env));
	if (cmd == NULL || *cmd == '\0') {
		rc = cni_err_set(e, CNI_ERR_ENV, NULL,
		    "CNI_COMMAND is not set");
		goto out;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			env->cmd = cmds[i].cmd;
	if (env->cmd == CNI_CMD_NONE) {
		rc = cni_err_set(e, CNI_ERR_ENV, cmd,
		    "CNI_COMMAND \"%s\" is not ADD, DEL, CHECK, VERSION, STATUS or GC",
		    cmd);
		goto out;
	}
	attach = env->cmd == CNI_CMD_ADD || env->cmd == CNI_CMD_DEL ||
	    env->cmd == CNI_CMD_CHECK;
	if (!attach)
		goto out;
	id = get("CNI_CONTAINERID");
	ifn = get("CNI_IFNAME");
	env->netns = get("CNI_NETNS");
	if (env->netns != NULL && *env->netns == '\0')
		env->netns = NULL;
	if (id == NULL || *id == '\0') {
		rc = cni_err_set(e, CNI_ERR_ENV, NULL,
		    "CNI_CONTAINERID is not set");
		goto out;
	}
	if (!valid_container_id(id) || strlen(id) + 1 + CNI_IFNAME_MAX >
	    sizeof(env->handle)) {
		rc = cni_err_set(e, CNI_ERR_ENV, id,
		    "CNI_CONTAINERID must be letters, digits, '_', '.' and '-', "
		    "at most %zu of them", sizeof(env->handle) - 1 -
		    CNI_IFNAME_MAX);
		goto out;
	}
	if (ifn == NULL || *ifn == '\0') {
		rc = cni_err_set(e, CNI_ERR_ENV, NULL, "CNI_IFNAME is not set");
		goto out;
	}
	if (!valid_ifname(ifn)) {
		rc = cni_err_set(e, CNI_ERR_ENV, ifn,
		    "CNI_IFNAME \"%s\" is not a valid interface name", ifn);
		goto out;
	}
	if (env->cmd != CNI_CMD_DEL && env->netns == NULL) {
		rc = cni_err_set(e, CNI_ERR_ENV, NULL, "CNI_NETNS is not set");
		goto out;
	}
	if (env->cmd != CNI_CMD_DEL && (get("CNI_PATH") == NULL ||
	    *get("CNI_PATH") == '\0')) {
		rc = cni_err_set(e, CNI_ERR_ENV, NULL, "CNI_PATH is not set");
		goto out;
	}
	snprintf(env->container_id, sizeof(env->container_id), "%s", id);
	snprintf(env->ifname, sizeof(env->ifname), "%s", ifn);
	snprintf(env->handle, sizeof(env->handle), "%s/%s", id, ifn);
	rc = cni_args_parse(get("CNI_ARGS"), &env->args, e);
out:
	return rc;
}

/* An optional string member; -EINVAL (code 7) if present but not a string. */
static int
opt_str(const json_t *o, const char *key, const char *where, char *buf,
    size_t size, struct cni_err *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "%s%s must be a string", where, key);
	if (!copy(buf, size, json_string_value(v), json_string_length(v)) ||
	    strlen(buf) != json_string_length(v))
		return cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "%s%s is too long or holds a NUL", where, key);
	return 0;
}

bool
cni_mac_valid(const char *s)
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &tail) != 6)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return (b[0] & 1) == 0 && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]);
}

/*
 * An "ips" list (a capability or convention): one address, with or
 * without a length, which must then be /32 or /128. The same address may
 * be listed more than once (podman 4.3 repeats it on a network reload of
 * a container started with --ip); two different ones are an error.
 */
static int
ips(const json_t *o, const char *where, struct cni_conf *c,
    struct cni_err *e)
{
	const json_t *l = json_object_get(o, "ips");
	char first[sizeof(c->req_addr)] = "";

	if (l == NULL || json_is_null(l) || c->req_addr[0] != '\0')
		return 0;
	if (!json_is_array(l) || json_array_size(l) > 16)
		return cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "%sips must be a list of one address (a pod has one)",
		    where);
	for (size_t i = 0; i < json_array_size(l); i++) {
		const json_t *v = json_array_get(l, i);
		char one[sizeof(c->req_addr)];
		const char *s, *slash;

		if (!json_is_string(v))
			return cni_err_set(e, CNI_ERR_CONFIG, NULL,
			    "%sips[%zu] must be a string", where, i);
		s = json_string_value(v);
		slash = strchr(s, '/');
		if (slash != NULL && strcmp(slash, "/32") != 0 &&
		    strcmp(slash, "/128") != 0)
			return cni_err_set(e, CNI_ERR_CONFIG, s,
			    "%sips: a pod's address is a /32, not %s", where,
			    s);
		if (!copy(one, sizeof(one), s,
		    slash ? (size_t)(slash - s) : strlen(s)))
			return cni_err_set(e, CNI_ERR_CONFIG, s,
			    "%sips: \"%s\" is not an address", where, s);
		if (first[0] == '\0')
			memcpy(first, one, sizeof(first));
		else if (strcmp(first, one) != 0)
			return cni_err_set(e, CNI_ERR_CONFIG, s,
			    "%sips lists %s and %s: a pod has one address",
			    where, first, one);
	}
	memcpy(c->req_addr, first, sizeof(c->req_addr));
	return 0;
}

static int
valid_attachments(struct cni_conf *c, struct cni_err *e)
{
	const json_t *l = json_object_get(c->root, "cni.dev/valid-attachments");
	size_t i;
	json_t *v;

	if (l == NULL || json_is_null(l))
		return 0;
	if (!json_is_array(l))
		return cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "cni.dev/valid-attachments must be a list");
	c->valid = calloc(json_array_size(l) ? json_array_size(l) : 1,
	    sizeof(*c->valid));
	if (c->valid == NULL)
		return cni_err_set(e, CNI_ERR_IO, NULL, "out of memory");
	json_array_foreach(l, i, v) {
		const json_t *id = json_object_get(v, "containerID");
		const json_t *ifn = json_object_get(v, "ifname");
		int n;

		if (!json_is_string(id) || !json_is_string(ifn))
			return cni_err_set(e, CNI_ERR_CONFIG, NULL,
			    "cni.dev/valid-attachments[%zu] needs containerID and ifname strings",
			    i);
		n = snprintf(c->valid[c->nvalid], sizeof(c->valid[0]), "%s/%s",
		    json_string_value(id), json_string_value(ifn));
		if (n < 0 || (size_t)n >= sizeof(c->valid[0]))
			return cni_err_set(e, CNI_ERR_CONFIG, NULL,
			    "cni.dev/valid-attachments[%zu] is too long", i);
		c->nvalid++;
	}
	return 0;
}

/*
 * args.cni.labels and args.cni.namedPorts: arrays of objects whose
 * fields have the right JSON types; sluiced checks the values.
 */
static int
pod_meta(const json_t *cni, struct cni_conf *c, struct cni_err *e)
{
	const json_t *l = json_object_get(cni, "labels");
	const json_t *p = json_object_get(cni, "namedPorts");
	size_t i;
	json_t *x;

	if (l != NULL && !json_is_null(l)) {
		if (!json_is_array(l))
			return cni_err_set(e, CNI_ERR_CONFIG, NULL,
			    "args.cni.labels must be an array of {\"key\", \"value\"}");
		json_array_foreach(l, i, x) {
			if (!json_is_object(x) ||
			    !json_is_string(json_object_get(x, "key")) ||
			    !json_is_string(json_object_get(x, "value")))
				return cni_err_set(e, CNI_ERR_CONFIG, NULL,
				    "args.cni.labels[%zu] must be {\"key\": string, \"value\": string}",
				    i);
		}
		c->labels = l;
	}
	if (p != NULL && !json_is_null(p)) {
		if (!json_is_array(p))
			return cni_err_set(e, CNI_ERR_CONFIG, NULL,
			    "args.cni.namedPorts must be an array of {\"name\", \"protocol\", \"containerPort\"}");
		json_array_foreach(p, i, x) {
			const json_t *pr = json_object_get(x, "protocol");

			if (!json_is_object(x) ||
			    !json_is_string(json_object_get(x, "name")) ||
			    !json_is_integer(json_object_get(x,
			    "containerPort")) ||
			    (pr != NULL && !json_is_string(pr)))
				return cni_err_set(e, CNI_ERR_CONFIG, NULL,
				    "args.cni.namedPorts[%zu] must be {\"name\": string, \"protocol\": string, \"containerPort\": integer}",
				    i);
		}
		c->named_ports = p;
	}
	return 0;
}

int
cni_conf_parse(struct cni_conf *c, enum cni_cmd cmd, const char *buf,
    size_t len, struct cni_err *e)
{
	const json_t *v, *args;
	json_error_t jerr;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s", CLIENT_DEFAULT_SOCKET);
	c->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (cmd == CNI_CMD_VERSION) {
		/* Only a cniVersion we know is echoed back. */
		if (json_is_object(c->root))
			opt_str(c->root, "cniVersion", "", c->version,
			    sizeof(c->version), e);
		if (strcmp(c->version, "1.0.0") != 0 &&
		    strcmp(c->version, "1.1.0") != 0)
			c->version[0] = '\0';
		memset(e, 0, sizeof(*e));
		goto out;
	}
	if (c->root == NULL) {
		rc = cni_err_set(e, CNI_ERR_DECODE, jerr.text,
		    "the network config is not JSON (line %d, column %d)",
		    jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(c->root)) {
		rc = cni_err_set(e, CNI_ERR_DECODE, NULL,
		    "the network config is not a JSON object");
		goto out;
	}
	if ((rc = opt_str(c->root, "cniVersion", "", c->version,
	    sizeof(c->version), e)) != 0)
		goto out;
	if (c->version[0] == '\0') {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "the network config has no cniVersion");
		goto out;
	}
	if (strcmp(c->version, "1.0.0") != 0 &&
	    strcmp(c->version, "1.1.0") != 0) {
		rc = cni_err_set(e, CNI_ERR_VERSION, "supported: 1.0.0, 1.1.0",
		    "cniVersion %s is not supported", c->version);
		goto out;
	}
	if ((rc = opt_str(c->root, "name", "", c->name, sizeof(c->name),
	    e)) != 0)
		goto out;
	if (c->name[0] == '\0') {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "the network config has no name");
		goto out;
	}
	v = json_object_get(c->root, "type");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "the network config has no type");
		goto out;
	}
	if ((rc = opt_str(c->root, "socket", "", c->socket,
	    sizeof(c->socket), e)) != 0)
		goto out;
	if (c->socket[0] == '\0') {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL, "socket is empty");
		goto out;
	}
	v = json_object_get(c->root, "prevResult");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_object(v)) {
			rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
			    "prevResult must be an object");
			goto out;
		}
		c->prev_result = v;
	}
	/* The order of precedence: the runtime's, the config's, IPAM's. */
	v = json_object_get(c->root, "runtimeConfig");
	if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "runtimeConfig must be an object");
		goto out;
	}
	if (v != NULL && (rc = opt_str(v, "mac", "runtimeConfig.", c->req_mac,
	    sizeof(c->req_mac), e)) != 0 && cmd != CNI_CMD_DEL)
		goto out;
	if (c->req_mac[0] != '\0' && !cni_mac_valid(c->req_mac) &&
	    cmd != CNI_CMD_DEL) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, c->req_mac,
		    "runtimeConfig.mac: %s is not a unicast MAC address",
		    c->req_mac);
		goto out;
	}
	/* DEL uses no address: a bad "ips" must not stop the clean-up. */
	if ((rc = ips(v, "runtimeConfig.", c, e)) != 0 && cmd != CNI_CMD_DEL)
		goto out;
	args = json_object_get(c->root, "args");
	if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "args must be an object");
		goto out;
	}
	v = json_object_get(args, "cni");
	if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "args.cni must be an object");
		goto out;
	}
	if ((rc = ips(v, "args.cni.", c, e)) != 0 && cmd != CNI_CMD_DEL)
		goto out;
	if (cmd == CNI_CMD_ADD && (rc = pod_meta(v, c, e)) != 0)
		goto out;
	v = json_object_get(c->root, "ipam");
	if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, NULL,
		    "ipam must be an object");
		goto out;
	}
	if ((rc = ips(v, "ipam.", c, e)) != 0 && cmd != CNI_CMD_DEL)
		goto out;
	rc = 0;
	if (cmd == CNI_CMD_GC)
		rc = valid_attachments(c, e);
out:
	return rc;
}

void
cni_conf_free(struct cni_conf *c)
{
	if (c == NULL)
		return;
	json_decref(c->root);
	free(c->valid);
	c->root = NULL;
	c->valid = NULL;
	c->prev_result = NULL;
	c->labels = NULL;
	c->named_ports = NULL;
}

void
cni_host_ifname(const char *handle, char *buf, size_t size)
{
	/* FNV-1a, 64 bits, of which 48 are shown. */
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = handle; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	snprintf(buf, size, "sl%012llx",
	    (unsigned long long)(h & 0xffffffffffffull));
}
