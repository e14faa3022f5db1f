/*
 * main.c - sluice-cni, the CNI plugin of sluice (CNI spec 1.0.0, 1.1.0).
 *
 * A runtime runs it once per operation: CNI_COMMAND and the other CNI_*
 * variables say what to do, stdin carries the network config, stdout
 * gets the result or an error object (with a non-zero exit). Addresses
 * come from sluiced over its status socket (ipam.allocate, ipam.release,
 * ipam.get, ipam.gc); the veth pair is made here with netlink (veth.c).
 *
 *   ADD     allocate, then make the pair; on failure remove what was made
 *           and release. Idempotent: an existing allocation whose pair is
 *           intact gives the same result again.
 *   DEL     delete the host end (taking the pod end along), release by
 *           handle; what is already gone is no error.
 *   CHECK   the pair, the address and routes, and the allocation exist.
 *   VERSION the versions supported.
 *   STATUS  0 if sluiced answers and runs, else error 50.
 *   GC      release every allocation of this node not in
 *           cni.dev/valid-attachments and delete their host ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cni/cni.h"
#include "cni/veth.h"
#include "common/log.h"
#include "common/mp.h"

#define STDIN_MAX (1u << 20)
#define CALL_TIMEOUT_MS 30000

struct call {
	struct client cl;
	struct ctl_response resp;
	bool have_resp;
	const char *socket;
};

/*
 * sluiced closes connections beyond its client limit at once (and a
 * runtime may start hundreds of pods together): a call whose connection
 * is closed before any reply is tried again on a new one, after a short
 * random pause, for at most this long. Every op the plugin calls is
 * idempotent, so a repeat is harmless even if the first one was served.
 */
#define CALL_RETRY_MS 10000

static const char *
env_get(const char *name)
{
	return getenv(name);
}

/* Reads all of stdin (at most STDIN_MAX) into a malloc'd buffer. */
static int
read_stdin(char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap >= STDIN_MAX) {
				rc = -EFBIG;
				break;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (rc != 0) {
		free(buf);
		buf = NULL;
		len = 0;
	}
	*out = buf;
	*outlen = len;
	return rc;
}

/* Connects to sluiced; unreachable is "try again later" (11). */
static int
call_open(struct call *c, const struct cni_conf *conf, int code,
    struct cni_err *e)
{
	char err[256];
	int rc;

	memset(c, 0, sizeof(*c));
	c->socket = conf->socket;
	if ((rc = client_connect(&c->cl, conf->socket, CALL_TIMEOUT_MS, err,
	    sizeof(err))) != 0)
		cni_err_set(e, code, err, "sluiced is not reachable at %s%s",
		    conf->socket, code == CNI_ERR_TRY_AGAIN ?
		    "; try again later" : "");
	return rc;
}

/*
 * One call; args is a packed map or NULL. A failed exchange is code 11;
 * an error reply is refused_code with sluiced's sentence.
 */
static int
call_do(struct call *c, const char *op, const msgpack_sbuffer *args,
    int refused_code, struct cni_err *e)
{
	char err[256];
	int rc;

	struct timespec ts;
	unsigned int waited = 0;

	for (;;) {
		if (c->have_resp)
			ctl_response_free(&c->resp);
		rc = client_call(&c->cl, op, args ? args->data : NULL,
		    args ? args->size : 0, &c->resp, err, sizeof(err));
		c->have_resp = true;
		if ((rc != -ECONNRESET && rc != -EPIPE) ||
		    waited >= CALL_RETRY_MS)
			break;
		/* Closed on us before a reply: a new connection. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec = 0;
		ts.tv_nsec = (20 + ts.tv_nsec % 180) * 1000000L;
		nanosleep(&ts, NULL);
		waited += (unsigned int)(ts.tv_nsec / 1000000L);
		client_close(&c->cl);
		if (client_connect(&c->cl, c->socket, CALL_TIMEOUT_MS, err,
		    sizeof(err)) != 0)
			break;	/* gone: reported below as the failed call */
	}
	if (rc != 0)
		return cni_err_set(e, CNI_ERR_TRY_AGAIN, err,
		    "%s to sluiced failed; try again later", op);
	if (!c->resp.ok)
		return cni_err_set(e, refused_code, c->resp.error,
		    "sluiced: %s", c->resp.error);
	return 0;
}

static void
call_close(struct call *c)
{
	if (c->have_resp)
		ctl_response_free(&c->resp);
	c->have_resp = false;
	client_close(&c->cl);
}

static int
release(struct call *c, const char *handle, struct cni_err *e)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "handle", handle);
	rc = call_do(c, "ipam.release", &sb, CNI_ERR_IPAM, e);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* Writes s and a newline to stdout; false if that failed. */
static bool
emit(char *s)
{
	bool ok = s != NULL && printf("%s\n", s) > 0 && fflush(stdout) == 0;

	free(s);
	return ok;
}

static int
cmd_add(const struct cni_env *env, const struct cni_conf *conf,
    struct cni_err *e)
{
	const char *want = conf->req_addr[0] ? conf->req_addr :
	    env->args.ip[0] ? env->args.ip : NULL;
	char host_if[CNI_IFNAME_MAX], addr[CNI_ADDR_MAX], err[512];
	struct veth_req vr = { .ifname = env->ifname,
	    .netns_path = env->netns };
	const msgpack_object *res, *o;
	struct veth_macs macs;
	struct cni_attachment at;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct call c;
	uint64_t mtu = 0;
	bool existing;
	int rc;

	msgpack_sbuffer_init(&sb);
	cni_host_ifname(env->handle, host_if, sizeof(host_if));
	vr.host_ifname = host_if;
	if ((rc = call_open(&c, conf, CNI_ERR_TRY_AGAIN, e)) != 0)
		goto out;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1 + (env->args.pod_namespace[0] != '\0') +
	    (env->args.pod_name[0] != '\0') + (want != NULL) +
	    (conf->labels != NULL) + (conf->named_ports != NULL));
	if (conf->labels != NULL) {
		size_t i;
		json_t *x;

		mp_pack_key(&pk, "labels");
		msgpack_pack_map(&pk, json_array_size(conf->labels));
		json_array_foreach(conf->labels, i, x) {
			mp_pack_str(&pk, json_string_value(json_object_get(x,
			    "key")));
			mp_pack_str(&pk, json_string_value(json_object_get(x,
			    "value")));
		}
	}
	if (conf->named_ports != NULL) {
		size_t i;
		json_t *x;

		mp_pack_key(&pk, "ports");
		msgpack_pack_array(&pk, json_array_size(conf->named_ports));
		json_array_foreach(conf->named_ports, i, x) {
			json_int_t port = json_integer_value(json_object_get(x,
			    "containerPort"));
			const json_t *pr = json_object_get(x, "protocol");

			msgpack_pack_map(&pk, 3);
			mp_pack_kv_str(&pk, "name", json_string_value(
			    json_object_get(x, "name")));
			mp_pack_kv_str(&pk, "protocol", pr != NULL ?
			    json_string_value(pr) : "TCP");
			/* Out of range stays out of range for sluiced to refuse. */
			mp_pack_kv_u64(&pk, "port", port < 0 || port > 65535 ?
			    0 : (uint64_t)port);
		}
	}
	mp_pack_kv_str(&pk, "handle", env->handle);
	if (env->args.pod_namespace[0] != '\0')
		mp_pack_kv_str(&pk, "namespace", env->args.pod_namespace);
	if (env->args.pod_name[0] != '\0')
		mp_pack_kv_str(&pk, "pod", env->args.pod_name);
	if (want != NULL)
		mp_pack_kv_str(&pk, "address", want);
	if ((rc = call_do(&c, "ipam.allocate", &sb, CNI_ERR_IPAM, e)) != 0)
		goto done;
	res = c.resp.result;
	o = mp_map_get(res, "existing");
	existing = o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN &&
	    o->via.boolean;
	if (mp_get_str(mp_map_get(res, "address"), addr, sizeof(addr)) != 0 ||
	    mp_get_u64(mp_map_get(res, "mtu"), &mtu) != 0 ||
	    mtu < 576 || mtu > 65535) {
		rc = cni_err_set(e, CNI_ERR_IPAM, NULL,
		    "sluiced answered ipam.allocate without an address or MTU");
		goto err_alloc;
	}
	if (inet_pton(AF_INET, addr, &vr.addr) != 1) {
		rc = cni_err_set(e, CNI_ERR_CONFIG, addr,
		    "sluiced gave %s, but sluice-cni attaches IPv4 pods only",
		    addr);
		goto err_alloc;
	}
	vr.mtu = (unsigned int)mtu;
	vr.mac = conf->req_mac[0] ? conf->req_mac :
	    env->args.mac[0] ? env->args.mac : NULL;
	/* A retried ADD: the same answer if the pair is intact. */
	if (existing && cni_veth_check(&vr, &macs, err, sizeof(err)) == 0)
		goto result;
	/* Leftovers of an attempt that died half-way are ours (by name). */
	cni_veth_del(host_if, NULL, 0);
	if ((rc = cni_veth_add(&vr, &macs, err, sizeof(err))) != 0) {
		cni_err_set(e, rc == -ENOENT && access(env->netns, F_OK) != 0 ?
		    CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_NETLINK, err,
		    "attaching %s failed: %s", env->handle, err);
		goto err_alloc;
	}
result:
	at = (struct cni_attachment){ .host_ifname = host_if,
	    .host_mac = macs.host, .ifname = env->ifname, .mac = macs.pod,
	    .sandbox = env->netns, .address = addr, .mtu = vr.mtu };
	if (!emit(cni_result_json(conf->version, &at, conf->prev_result))) {
		rc = cni_err_set(e, CNI_ERR_IO, NULL,
		    "writing the result failed");
		cni_veth_del(host_if, NULL, 0);
		goto err_alloc;
	}
	goto done;
err_alloc:
	{
		struct cni_err ignored = { 0 };

		if (release(&c, env->handle, &ignored) != 0)
			log_warnx("%s: releasing the address after a failed ADD: %s",
			    env->handle, ignored.msg);
	}
done:
	call_close(&c);
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static int
cmd_del(const struct cni_env *env, const struct cni_conf *conf,
    struct cni_err *e)
{
	char host_if[CNI_IFNAME_MAX], err[256];
	struct cni_err verr = { 0 };
	struct call c;
	int rc;

	/* The pair goes first: a pod must not keep an address given away. */
	cni_host_ifname(env->handle, host_if, sizeof(host_if));
	if (cni_veth_del(host_if, err, sizeof(err)) != 0)
		cni_err_set(&verr, CNI_ERR_NETLINK, err, "%s", err);
	if ((rc = call_open(&c, conf, CNI_ERR_TRY_AGAIN, e)) != 0)
		goto out;
	rc = release(&c, env->handle, e);
	call_close(&c);
	if (rc == 0 && verr.code != 0) {
		*e = verr;
		rc = -EIO;
	}
out:
	return rc;
}

/* The address prevResult gives ifname in sandbox, or "" if none. */
static void
prev_address(const json_t *prev, const char *ifname, const char *sandbox,
    char *out, size_t size)
{
	const json_t *ifs = json_object_get(prev, "interfaces"), *ip;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(prev, "ips"), i, ip) {
		const json_t *idx = json_object_get(ip, "interface");
		const json_t *itf = json_array_get(ifs,
		    json_is_integer(idx) ? (size_t)json_integer_value(idx) :
		    (size_t)-1);
		const char *a = json_string_value(json_object_get(ip,
		    "address"));
		const char *n = json_string_value(json_object_get(itf, "name"));
		const char *s = json_string_value(json_object_get(itf,
		    "sandbox"));

		if (a != NULL && n != NULL && strcmp(n, ifname) == 0 &&
		    (s == NULL || strcmp(s, sandbox) == 0)) {
			snprintf(out, size, "%.*s",
			    (int)strcspn(a, "/"), a);
			return;
		}
	}
}

static int
cmd_check(const struct cni_env *env, const struct cni_conf *conf,
    struct cni_err *e)
{
	char host_if[CNI_IFNAME_MAX], addr[CNI_ADDR_MAX] = "", err[512];
	char prev[CNI_ADDR_MAX];
	struct veth_req vr = { .ifname = env->ifname,
	    .netns_path = env->netns, .host_ifname = host_if };
	struct veth_macs macs;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct call c;
	int rc;

	cni_host_ifname(env->handle, host_if, sizeof(host_if));
	if ((rc = call_open(&c, conf, CNI_ERR_TRY_AGAIN, e)) != 0)
		goto out;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "handle", env->handle);
	rc = call_do(&c, "ipam.get", &sb, CNI_ERR_IPAM, e);
	msgpack_sbuffer_destroy(&sb);
	if (rc != 0)
		goto err_call;
	if (c.resp.result != NULL && c.resp.result->type == MSGPACK_OBJECT_MAP)
		mp_get_str(mp_map_get(c.resp.result, "address"), addr,
		    sizeof(addr));
	if (addr[0] == '\0') {
		rc = cni_err_set(e, CNI_ERR_CHECK, env->handle,
		    "sluiced has no allocation for %s", env->handle);
		goto err_call;
	}
	prev_address(conf->prev_result, env->ifname, env->netns, prev,
	    sizeof(prev));
	if (prev[0] != '\0' && strcmp(prev, addr) != 0) {
		rc = cni_err_set(e, CNI_ERR_CHECK, NULL,
		    "prevResult gives %s %s, sluiced has %s", env->ifname,
		    prev, addr);
		goto err_call;
	}
	if (inet_pton(AF_INET, addr, &vr.addr) != 1) {
		rc = cni_err_set(e, CNI_ERR_CHECK, addr,
		    "%s is not an IPv4 address", addr);
		goto err_call;
	}
	if ((rc = cni_veth_check(&vr, &macs, err, sizeof(err))) != 0)
		cni_err_set(e, CNI_ERR_CHECK, NULL, "%s: %s", env->handle, err);
err_call:
	call_close(&c);
out:
	return rc;
}

static int
cmd_status(const struct cni_conf *conf, struct cni_err *e)
{
	char state[32] = "";
	struct call c;
	int rc;

	if ((rc = call_open(&c, conf, CNI_ERR_NOT_AVAILABLE, e)) != 0)
		goto out;
	if ((rc = call_do(&c, "status", NULL, CNI_ERR_NOT_AVAILABLE, e)) != 0) {
		e->code = CNI_ERR_NOT_AVAILABLE;
		goto err_call;
	}
	mp_get_str(mp_map_get(c.resp.result, "state"), state, sizeof(state));
	if (strcmp(state, "running") != 0)
		rc = cni_err_set(e, CNI_ERR_NOT_AVAILABLE, state,
		    "sluiced at %s is %s, not running", conf->socket,
		    state[0] ? state : "in an unknown state");
err_call:
	call_close(&c);
out:
	return rc;
}

static int
cmd_gc(const struct cni_conf *conf, struct cni_err *e)
{
	const msgpack_object *stale;
	char handle[CNI_HANDLE_MAX], host_if[CNI_IFNAME_MAX], err[256];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct call c;
	int rc;

	msgpack_sbuffer_init(&sb);
	if ((rc = call_open(&c, conf, CNI_ERR_TRY_AGAIN, e)) != 0)
		goto out;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	mp_pack_key(&pk, "live");
	msgpack_pack_array(&pk, conf->nvalid);
	for (size_t i = 0; i < conf->nvalid; i++)
		mp_pack_str(&pk, conf->valid[i]);
	mp_pack_kv_bool(&pk, "dryRun", false);
	if ((rc = call_do(&c, "ipam.gc", &sb, CNI_ERR_IPAM, e)) != 0)
		goto err_call;
	stale = mp_map_get(c.resp.result, "stale");
	for (uint32_t i = 0; stale != NULL &&
	    stale->type == MSGPACK_OBJECT_ARRAY &&
	    i < stale->via.array.size; i++) {
		if (mp_get_str(mp_map_get(&stale->via.array.ptr[i], "handle"),
		    handle, sizeof(handle)) != 0)
			continue;
		cni_host_ifname(handle, host_if, sizeof(host_if));
		if (cni_veth_del(host_if, err, sizeof(err)) != 0)
			log_warnx("gc: %s: %s", handle, err);
	}
err_call:
	call_close(&c);
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cni_err e = { 0 };
	struct cni_conf conf;
	struct cni_env env;
	char *in = NULL;
	size_t inlen = 0;
	int rc;

	log_init("sluice-cni", LOG_LEVEL_WARN);
	memset(&conf, 0, sizeof(conf));
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-v") == 0)) {
		fprintf(stderr, "sluice-cni %s, CNI spec 1.0.0 and 1.1.0\n",
		    SLUICE_VERSION);
		return 0;
	}
	/* stdin first: an error about the environment names its cniVersion. */
	if (!isatty(STDIN_FILENO) && (rc = read_stdin(&in, &inlen)) != 0) {
		cni_err_set(&e, rc == -EFBIG ? CNI_ERR_DECODE : CNI_ERR_IO,
		    NULL, "reading the network config: %s", strerror(-rc));
		goto out;
	}
	if ((rc = cni_env_parse(&env, env_get, &e)) != 0) {
		cni_conf_parse(&conf, CNI_CMD_VERSION, in ? in : "", inlen,
		    &(struct cni_err){ 0 });
		goto out;
	}
	rc = cni_conf_parse(&conf, env.cmd, in ? in : "", inlen, &e);
	if (rc != 0)
		goto out;
	switch (env.cmd) {
	case CNI_CMD_ADD:
		rc = cmd_add(&env, &conf, &e);
		break;
	case CNI_CMD_DEL:
		rc = cmd_del(&env, &conf, &e);
		break;
	case CNI_CMD_CHECK:
		rc = cmd_check(&env, &conf, &e);
		break;
	case CNI_CMD_VERSION:
		if (!emit(cni_version_json(conf.version)))
			rc = cni_err_set(&e, CNI_ERR_IO, NULL,
			    "writing the versions failed");
		break;
	case CNI_CMD_STATUS:
		rc = cmd_status(&conf, &e);
		break;
	case CNI_CMD_GC:
		rc = cmd_gc(&conf, &e);
		break;
	default:
		rc = cni_err_set(&e, CNI_ERR_ENV, NULL, "no command");
		break;
	}
out:
	if (rc != 0) {
		/* stdout for the runtime, stderr for whoever reads its logs. */
		emit(cni_error_json(conf.version, &e));
		fprintf(stderr, "sluice-cni: %s\n", e.msg);
	}
	cni_conf_free(&conf);
	free(in);
	return rc != 0 ? 1 : 0;
}
