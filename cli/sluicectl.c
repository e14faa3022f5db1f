/*
 * sluicectl - the operator's view of sluiced, over the status socket.
 *
 * Exit codes: 0 ok, 1 the daemon answered with an error, 2 usage,
 * 3 the daemon could not be reached or its reply was unreadable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/client.h"
#include "cli/render.h"
#include "common/mp.h"

enum {
	EXIT_OK = 0,
	EXIT_DAEMON_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

struct cmd {
	const char *name;
	const char *op;
	const char *help;
};

static const struct cmd cmds[] = {
	{ "status", "status", "show the daemon's state" },
	{ "version", "version", "show the versions of sluicectl and sluiced" },
	{ "peers", "peers", "show the other nodes: state, link, blocks" },
	{ "routes", "routes", "show which node each block is routed to" },
	{ "stats", "stats", "show data-path and control-link counters" },
	{ "ipam", "ipam", "show pools, blocks (owner, used/free) and allocations" },
	{ "conntrack", "conntrack", "show NAT flows and counters; filters: proto= pod= remote= state= limit=" },
	{ "policy", "policy", "show the policy in force: objects, flows, per-rule counters" },
	{ "endpoints", "endpoints", "show the pods and namespaces policy knows (labels, ports)" },
	{ "dns", "dns", "show what pods resolved: pod, name, address, TTL left; trusted resolvers" },
	{ "gateways", "gateways", "show egress gateways (egress IPs, health, draining, flows) and policies" },
	{ "label", "label", "label NS/POD KEY=VALUE... KEY-...: set or remove a pod's labels" },
	{ "apply", "apply", "apply -f FILE: put a manifest file in force (all or nothing)" },
	{ "delete", "delete", "delete -f FILE: remove the objects of a manifest file" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sluicectl [--socket PATH] [--json] [--timeout SECONDS] COMMAND\n"
	    "\n"
	    "commands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f,
	    "  ipam allocate handle=ID [namespace=NS] [pod=NAME] [pool=NAME] [address=IP]\n"
	    "             give a handle an address (idempotent)\n"
	    "  ipam release handle=ID | address=IP | block=CIDR\n"
	    "             give it back (idempotent); a block only when empty\n"
	    "  ipam get handle=ID\n"
	    "             the allocation of a handle (null if none)\n"
	    "  ipam gc live=ID,ID,... [dryRun=true]\n"
	    "             release this node's allocations whose handle (or\n"
	    "             container ID) is not listed; dryRun only lists them\n"
	    "  policy explain --from NS/POD|ADDR --to NS/POD|ADDR[:PORT][/PROTO]\n"
	    "             the verdict for a new connection and what decides it\n"
	    "             (IPv6 with a port: [ADDR]:PORT)\n");
	fprintf(f,
	    "\n"
	    "  -s, --socket PATH   status socket (default $SLUICE_SOCKET or %s)\n"
	    "  -j, --json          print JSON for scripts\n"
	    "  -t, --timeout SECS  give up after this long (default 5)\n",
	    CLIENT_DEFAULT_SOCKET);
}

static void
print_version(const msgpack_object *r)
{
	char v[64] = "?";
	uint64_t proto = 0, schema = 0;

	mp_get_str(mp_map_get(r, "version"), v, sizeof(v));
	mp_get_u64(mp_map_get(r, "protocol"), &proto);
	mp_get_u64(mp_map_get(r, "storeSchema"), &schema);
	printf("sluiced    %s (status protocol %llu, store schema %llu)\n", v,
	    (unsigned long long)proto, (unsigned long long)schema);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* Reads a manifest file whole (at most the socket's request size). */
static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 60 * 1024;
	char *buf;

	if (f == NULL) {
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	*n = fread(buf, 1, cap + 1, f);
	fclose(f);
	if (*n > cap) {
		fprintf(stderr,
		    "sluicectl: %s: larger than %zu bytes (the status socket's limit); put it in the manifests directory instead\n",
		    path, cap);
		free(buf);
		return NULL;
	}
	return buf;
}

/* apply -f FILE / delete -f FILE: the file's name and bytes. */
static int
file_args(int argc, char **argv, int i, msgpack_packer *pk)
{
	char *buf;
	size_t n;

	if (i + 2 != argc || strcmp(argv[i], "-f") != 0) {
		fprintf(stderr, "sluicectl: %s wants -f FILE\n", argv[i - 1]);
		return -1;
	}
	if ((buf = read_file(argv[i + 1], &n)) == NULL)
		return -1;
	msgpack_pack_map(pk, 2);
	mp_pack_kv_str(pk, "name", base_name(argv[i + 1]));
	mp_pack_key(pk, "content");
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, buf, n);
	free(buf);
	return 0;
}

/* label NS/POD k=v k-: what to set and what to remove. */
static int
label_args(int argc, char **argv, int i, msgpack_packer *pk)
{
	const char *slash;
	uint32_t nset = 0, nrm = 0;

	if (i >= argc || (slash = strchr(argv[i], '/')) == NULL ||
	    slash == argv[i] || slash[1] == '\0' || i + 1 >= argc) {
		fprintf(stderr,
		    "sluicectl: label wants NAMESPACE/POD and at least one KEY=VALUE or KEY-\n");
		return -1;
	}
	for (int j = i + 1; j < argc; j++) {
		size_t len = strlen(argv[j]);

		if (strchr(argv[j], '=') != NULL)
			nset++;
		else if (len > 1 && argv[j][len - 1] == '-')
			nrm++;
		else {
			fprintf(stderr,
			    "sluicectl: \"%s\" is neither KEY=VALUE nor KEY-\n",
			    argv[j]);
			return -1;
		}
	}
	msgpack_pack_map(pk, 4);
	mp_pack_key(pk, "namespace");
	msgpack_pack_str(pk, (size_t)(slash - argv[i]));
	msgpack_pack_str_body(pk, argv[i], (size_t)(slash - argv[i]));
	mp_pack_kv_str(pk, "pod", slash + 1);
	mp_pack_key(pk, "set");
	msgpack_pack_map(pk, nset);
	for (int j = i + 1; j < argc; j++) {
		const char *eq = strchr(argv[j], '=');

		if (eq == NULL)
			continue;
		msgpack_pack_str(pk, (size_t)(eq - argv[j]));
		msgpack_pack_str_body(pk, argv[j], (size_t)(eq - argv[j]));
		mp_pack_str(pk, eq + 1);
	}
	mp_pack_key(pk, "remove");
	msgpack_pack_array(pk, nrm);
	for (int j = i + 1; j < argc; j++)
		if (strchr(argv[j], '=') == NULL) {
			msgpack_pack_str(pk, strlen(argv[j]) - 1);
			msgpack_pack_str_body(pk, argv[j], strlen(argv[j]) - 1);
		}
	return 0;
}

static bool
is_proto(const char *s)
{
	static const char *const names[] = { "tcp", "udp", "sctp", "icmp",
	    "icmpv6", NULL };

	for (int i = 0; names[i]; i++)
		if (strcasecmp(s, names[i]) == 0)
			return true;
	return false;
}

/*
 * policy explain --from A --to B[:PORT][/PROTO]: A and B are NS/POD or an
 * address; IPv6 with a port is [ADDR]:PORT.
 */
static int
explain_args(int argc, char **argv, int i, msgpack_packer *pk)
{
	const char *from = NULL, *to = NULL;
	char dst[600], proto[16] = "", *host, *portstr = NULL;
	unsigned long port = 0;
	char *p, *end;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else {
			fprintf(stderr, "sluicectl: policy explain: unexpected \"%s\"\n",
			    argv[i]);
			return -1;
		}
	}
	if (from == NULL || to == NULL || strlen(to) >= sizeof(dst)) {
		fprintf(stderr,
		    "sluicectl: policy explain wants --from NS/POD|ADDR --to NS/POD|ADDR[:PORT][/PROTO]\n");
		return -1;
	}
	snprintf(dst, sizeof(dst), "%s", to);
	if ((p = strrchr(dst, '/')) != NULL && is_proto(p + 1)) {
		snprintf(proto, sizeof(proto), "%s", p + 1);
		*p = '\0';
	}
	host = dst;
	if (dst[0] == '[') {
		if ((p = strchr(dst, ']')) == NULL ||
		    (p[1] != '\0' && p[1] != ':')) {
			fprintf(stderr, "sluicectl: \"%s\": want [ADDR]:PORT\n",
			    to);
			return -1;
		}
		*p = '\0';
		host = dst + 1;
		portstr = p[1] == ':' ? p + 2 : NULL;
	} else if ((p = strrchr(dst, ':')) != NULL && strchr(dst, ':') == p) {
		*p = '\0';		/* one ':': ADDR:PORT or NS/POD:PORT */
		portstr = p + 1;
	}
	if (portstr != NULL) {
		errno = 0;
		port = strtoul(portstr, &end, 10);
		if (errno != 0 || end == portstr || *end != '\0' ||
		    port == 0 || port > 65535) {
			fprintf(stderr, "sluicectl: \"%s\": bad port\n", to);
			return -1;
		}
	}
	if (proto[0] == '\0')
		snprintf(proto, sizeof(proto), "%s", port ? "tcp" : "icmp");
	msgpack_pack_map(pk, 4);
	mp_pack_kv_str(pk, "from", from);
	mp_pack_kv_str(pk, "to", host);
	mp_pack_kv_str(pk, "protocol", proto);
	mp_pack_kv_u64(pk, "port", port);
	return 0;
}

static void
print_explain(const msgpack_object *r)
{
	char v[16] = "?", sum[1200] = "", e[600] = "", in[600] = "";
	char rf[256] = "";

	mp_get_str(mp_map_get(r, "verdict"), v, sizeof(v));
	mp_get_str(mp_map_get(r, "summary"), sum, sizeof(sum));
	mp_get_str(mp_map_get(mp_map_get(r, "egress"), "decided"), e,
	    sizeof(e));
	mp_get_str(mp_map_get(mp_map_get(r, "ingress"), "decided"), in,
	    sizeof(in));
	printf("verdict  %s\n", v);
	printf("egress   %s\n", e);
	printf("ingress  %s\n", in);
	if (mp_get_str(mp_map_get(r, "resolvedFor"), rf, sizeof(rf)) == 0 &&
	    rf[0] != '\0')
		printf("note     the pod resolved %s to this address; no domain rule allows it\n",
		    rf);
}

/*
 * Packs the value of key=value for op: strings, except ipam.gc's "live"
 * (a comma-separated list; empty: none) and "dryRun" (true or false).
 */
static int
pack_value(msgpack_packer *pk, const char *op, const char *kv,
    const char *value)
{
	if (strcmp(op, "ipam.gc") == 0 && strncmp(kv, "dryRun=", 7) == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
			fprintf(stderr, "sluicectl: dryRun is true or false\n");
			return -1;
		}
		if (value[0] == 't')
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		return 0;
	}
	if (strcmp(op, "ipam.gc") == 0 && strncmp(kv, "live=", 5) == 0) {
		uint32_t n = value[0] != '\0';

		for (const char *c = value; *c; c++)
			n += *c == ',';
		msgpack_pack_array(pk, n);
		for (const char *c = value; n > 0; n--) {
			const char *end = strchr(c, ',');
			size_t len = end ? (size_t)(end - c) : strlen(c);

			msgpack_pack_str(pk, len);
			msgpack_pack_str_body(pk, c, len);
			c += len + (end != NULL);
		}
		return 0;
	}
	mp_pack_str(pk, value);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("SLUICE_SOCKET");
	const struct cmd *cmd;
	struct ctl_response resp;
	struct client cl;
	unsigned timeout_ms = 5000;
	bool json = false, have_args = false;
	char op[CTL_OP_MAX];
	msgpack_sbuffer args;
	msgpack_packer apk;
	char err[512];
	int ch, rc, status, first;

	if (sock == NULL || sock[0] == '\0')
		sock = CLIENT_DEFAULT_SOCKET;
	while ((ch = getopt_long(argc, argv, "+s:jt:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't': {
			char *end;
			double s = strtod(optarg, &end);

			if (*end != '\0' || !(s > 0) || s > 3600) {
				fprintf(stderr,
				    "sluicectl: --timeout wants seconds between 0 and 3600, not \"%s\"\n",
				    optarg);
				return EXIT_USAGE;
			}
			timeout_ms = (unsigned)(s * 1000);
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (cmd = cmds; cmd->name; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL) {
		fprintf(stderr, "sluicectl: unknown command \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	/*
	 * "ipam allocate k=v ...", "ipam release k=v" and so on: the
	 * subcommand names the op; "conntrack k=v ...": filters. The pairs
	 * become the op's arguments.
	 */
	first = -1;
	if (strcmp(cmd->name, "ipam") == 0 && optind + 1 < argc) {
		const char *sub = argv[optind + 1];

		if (strcmp(sub, "allocate") != 0 && strcmp(sub, "release") != 0 &&
		    strcmp(sub, "get") != 0 && strcmp(sub, "gc") != 0) {
			fprintf(stderr, "sluicectl: unknown ipam subcommand \"%s\"\n",
			    sub);
			return EXIT_USAGE;
		}
		snprintf(op, sizeof(op), "ipam.%s", sub);
		first = optind + 2;
	} else if (strcmp(cmd->name, "conntrack") == 0) {
		snprintf(op, sizeof(op), "%s", cmd->op);
		first = optind + 1;
	} else if ((strcmp(cmd->name, "policy") == 0 && optind + 1 < argc) ||
	    strcmp(cmd->name, "label") == 0 ||
	    strcmp(cmd->name, "apply") == 0 ||
	    strcmp(cmd->name, "delete") == 0) {
		int r;

		msgpack_sbuffer_init(&args);
		msgpack_packer_init(&apk, &args, msgpack_sbuffer_write);
		if (strcmp(cmd->name, "policy") == 0) {
			if (strcmp(argv[optind + 1], "explain") != 0) {
				fprintf(stderr,
				    "sluicectl: unknown policy subcommand \"%s\"\n",
				    argv[optind + 1]);
				msgpack_sbuffer_destroy(&args);
				return EXIT_USAGE;
			}
			snprintf(op, sizeof(op), "policy.explain");
			r = explain_args(argc, argv, optind + 2, &apk);
		} else {
			snprintf(op, sizeof(op), "%s", cmd->op);
			r = strcmp(cmd->name, "label") == 0 ?
			    label_args(argc, argv, optind + 1, &apk) :
			    file_args(argc, argv, optind + 1, &apk);
		}
		if (r != 0) {
			msgpack_sbuffer_destroy(&args);
			return EXIT_USAGE;
		}
		have_args = true;
	} else if (optind + 1 != argc) {
		fprintf(stderr, "sluicectl: %s takes no arguments\n", cmd->name);
		return EXIT_USAGE;
	} else {
		snprintf(op, sizeof(op), "%s", cmd->op);
	}
	if (first >= 0) {
		msgpack_sbuffer_init(&args);
		msgpack_packer_init(&apk, &args, msgpack_sbuffer_write);
		msgpack_pack_map(&apk, (uint32_t)(argc - first));
		for (int i = first; i < argc; i++) {
			const char *eq = strchr(argv[i], '=');

			if (eq == NULL || eq == argv[i]) {
				fprintf(stderr, "sluicectl: \"%s\" is not key=value\n",
				    argv[i]);
				msgpack_sbuffer_destroy(&args);
				return EXIT_USAGE;
			}
			msgpack_pack_str(&apk, (size_t)(eq - argv[i]));
			msgpack_pack_str_body(&apk, argv[i], (size_t)(eq - argv[i]));
			if (pack_value(&apk, op, argv[i], eq + 1) != 0) {
				msgpack_sbuffer_destroy(&args);
				return EXIT_USAGE;
			}
		}
		have_args = true;
	}
	if (strcmp(cmd->name, "version") == 0 && !json)
		printf("sluicectl  %s\n", SLUICE_VERSION);

	if (client_connect(&cl, sock, timeout_ms, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluicectl: %s\n", err);
		if (have_args)
			msgpack_sbuffer_destroy(&args);
		return EXIT_UNREACHABLE;
	}
	rc = client_call(&cl, op, have_args ? args.data : NULL,
	    have_args ? args.size : 0, &resp, err, sizeof(err));
	if (have_args)
		msgpack_sbuffer_destroy(&args);
	client_close(&cl);
	if (rc != 0) {
		fprintf(stderr, "sluicectl: %s: %s\n", sock, err);
		ctl_response_free(&resp);
		return EXIT_UNREACHABLE;
	}
	if (!resp.ok) {
		fprintf(stderr, "sluicectl: %s: sluiced says: %s\n", cmd->name,
		    resp.error);
		status = EXIT_DAEMON_ERROR;
	} else if (json) {
		status = render_json(resp.result, stdout) == 0 ? EXIT_OK :
		    EXIT_UNREACHABLE;
	} else if (strcmp(cmd->name, "version") == 0) {
		print_version(resp.result);
		status = EXIT_OK;
	} else if (strcmp(op, "policy.explain") == 0) {
		print_explain(resp.result);
		status = EXIT_OK;
	} else {
		render_human(resp.result, stdout);
		status = EXIT_OK;
	}
	ctl_response_free(&resp);
	return status;
}
