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
	    "             container ID) is not listed; dryRun only lists them\n");
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
	} else {
		render_human(resp.result, stdout);
		status = EXIT_OK;
	}
	ctl_response_free(&resp);
	return status;
}
