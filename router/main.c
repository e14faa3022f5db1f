/*
 * main.c - sluiced: start-up, the loop, reload and a clean stop.
 *
 * Start-up order (each step fails with a sentence naming what to fix):
 *   config -> store (locks the state dir) -> node identity -> underlay
 *   -> manifests -> status socket -> READY.
 * A clean stop undoes it in reverse: the socket file is removed, the
 * store is closed consistent. Nothing else is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mp.h"
#include "router/daemon.h"
#include "router/dnsd.h"
#include "router/egressd.h"
#include "router/policyd.h"
#include "router/notify.h"

#include <sodium.h>

/* A start that fails after binding the socket leaves no socket file. */
static const char *socket_to_remove;

static void
remove_socket(void)
{
	if (socket_to_remove != NULL)
		unlink(socket_to_remove);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sluiced [--config FILE] [--foreground] [--check-config]\n"
	    "               [--print-config] [--cleanup] [--version]\n"
	    "\n"
	    "  -c, --config FILE   node configuration (default %s)\n"
	    "  -f, --foreground    stay in the foreground, log to stderr\n"
	    "  -n, --check-config  validate the configuration and manifests, then exit\n"
	    "  -p, --print-config  print the effective configuration, then exit\n"
	    "      --cleanup       remove the TUN, routes and rules sluiced left, then exit\n"
	    "  -V, --version       print the version, then exit\n",
	    CONFIG_DEFAULT_PATH);
}

/*
 * The state directory belongs to one node. A store written under another
 * node name means a copied disk or a wrong config: refuse rather than
 * hand out that node's addresses.
 */
static int
check_identity(struct sluiced *d, char *err, size_t errlen)
{
	static const char key[] = "node";
	struct store_txn *txn;
	msgpack_unpacked up;
	const void *v = NULL;
	size_t vlen = 0;
	char have[CONFIG_NAME_MAX];
	int rc;

	if ((rc = store_txn_begin(d->store, true, &txn)) != 0) {
		snprintf(err, errlen, "store: %s", strerror(-rc));
		return rc;
	}
	rc = store_get(txn, STORE_DB_META, key, sizeof(key) - 1, &v, &vlen);
	if (rc == -ENOENT) {
		msgpack_sbuffer sb;
		msgpack_packer pk;

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		mp_pack_str(&pk, d->cfg.node_name);
		rc = store_put(txn, STORE_DB_META, key, sizeof(key) - 1,
		    sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
		if (rc == 0)
			return store_txn_commit(txn);
		snprintf(err, errlen, "store: cannot record the node name: %s",
		    strerror(-rc));
		store_txn_abort(txn);
		return rc;
	}
	msgpack_unpacked_init(&up);
	if (rc != 0 || msgpack_unpack_next(&up, v, vlen, NULL) !=
	    MSGPACK_UNPACK_SUCCESS || mp_get_str(&up.data, have,
	    sizeof(have)) != 0) {
		snprintf(err, errlen, "store: the node identity record is unreadable");
		rc = -EBADMSG;
	} else if (strcmp(have, d->cfg.node_name) != 0) {
		snprintf(err, errlen,
		    "state directory %s belongs to node \"%s\" but the configuration names \"%s\"; refusing to start",
		    d->cfg.state_dir, have, d->cfg.node_name);
		rc = -EEXIST;
	}
	msgpack_unpacked_destroy(&up);
	store_txn_abort(txn);
	return rc;
}

int
sluiced_reload(struct sluiced *d)
{
	struct manifest_set next;
	char *buf = NULL;
	size_t len = 0;
	FILE *errs;
	int rc;

	errs = open_memstream(&buf, &len);
	if (errs == NULL)
		return -ENOMEM;
	rc = manifest_load_dir(d->cfg.manifests_dir, &next, errs);
	/* Pools must also suit what IPAM already holds (blocks in use). */
	if (rc == 0 && d->ipam != NULL) {
		char why[512];

		rc = ipamd_manifests(d, &next, why, sizeof(why));
		if (rc != 0) {
			fprintf(errs, "IPPool: %s\n", why);
			manifest_set_free(&next);
		}
	}
	fclose(errs);
	if (rc != 0) {
		d->reloads_failed++;
		snprintf(d->reload_error, sizeof(d->reload_error), "%s",
		    buf && buf[0] ? buf : strerror(-rc));
		/* Keep one line per problem in the log, with the file named. */
		for (char *line = strtok(buf, "\n"); line;
		    line = strtok(NULL, "\n"))
			log_error("manifests: %s/%s", d->cfg.manifests_dir, line);
		log_error("manifests: reload rejected; generation %llu stays in force",
		    (unsigned long long)d->manifests.generation);
		free(buf);
		return rc;
	}
	free(buf);
	next.generation = d->manifests.generation + 1;
	manifest_set_free(&d->manifests);
	d->manifests = next;
	d->reload_error[0] = '\0';
	claims_manifest(d);
	/* Policy before the snapshot below, which carries it. */
	policyd_manifests(d, &d->manifests.cluster);
	log_info("manifests: generation %llu in force: %zu documents from %zu files in %s",
	    (unsigned long long)next.generation, next.ndocs, next.nfiles,
	    d->cfg.manifests_dir);
	if (d->dp != NULL) {
		const struct cluster_node *self =
		    cluster_node_find(&d->manifests.cluster, d->cfg.node_name);
		uint8_t mac[6];

		if (self != NULL && self->has_vtep_mac)
			memcpy(mac, self->vtep_mac, 6);
		else
			peers_default_mac(d->cfg.node_name, mac);
		if (memcmp(mac, d->vtep_mac, 6) != 0)
			log_warnx("manifests: this node's VTEP MAC changed; it takes effect at the next start");
		peers_sync_manifest(d, false);
		peers_apply(d);
		links_announce(d);
	}
	return 0;
}

/*
 * The NAT port range must stay out of the kernel's ephemeral ports: its
 * return-path rules steer those ports to sluiced, which would take the
 * node's own connections' replies.
 */
static int
check_nat_ports(const struct sluiced_config *cfg, char *err, size_t errlen)
{
	unsigned int lo = 0, hi = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f == NULL)
		return 0;	/* no procfs: nothing to compare */
	if (fscanf(f, "%u %u", &lo, &hi) != 2)
		lo = hi = 0;
	fclose(f);
	if (lo != 0 && cfg->nat_port_lo <= hi && cfg->nat_port_hi >= lo) {
		snprintf(err, errlen,
		    "nat.portRange %u-%u overlaps the kernel's ephemeral ports %u-%u (net.ipv4.ip_local_port_range): replies to the node's own connections would be taken for NAT; choose a range outside it",
		    cfg->nat_port_lo, cfg->nat_port_hi, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static void
stop(struct sluiced *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = true;
	log_info("%s: stopping; %s and its routes stay for the next start",
	    why, d->cfg.tun_name);
	notify_stopping();
	ctlsock_destroy(d->ctl);
	d->ctl = NULL;
	socket_to_remove = NULL;
	claims_stop(d);
	egressd_stop(d);
	dnsd_stop(d);
	links_stop(d);
	peers_kernel_release(d);
	dplane_stop(d->dp);	/* joins the worker; the TUN stays */
	d->dp = NULL;
	notify_watchdog_stop(&d->watchdog);
	uv_fs_event_stop(&d->manifest_watch);
	uv_close((uv_handle_t *)&d->manifest_watch, NULL);
	uv_close((uv_handle_t *)&d->manifest_quiet, NULL);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

/*
 * The manifests directory is watched: a change (an editor's save, a
 * config-management run, `sluicectl apply`) reloads it after a quiet
 * moment, so a burst of writes is one reload. A refused set is logged and
 * the one in force stays, as with SIGHUP.
 */
#define MANIFEST_QUIET_MS 200

static void
on_manifest_quiet(uv_timer_t *t)
{
	struct sluiced *d = t->data;

	if (d->stopping)
		return;
	log_info("manifests: %s changed; reloading", d->cfg.manifests_dir);
	sluiced_reload(d);
}

static void
on_manifest_event(uv_fs_event_t *h, const char *file, int events, int status)
{
	struct sluiced *d = h->data;

	(void)events;
	if (status < 0 || d->stopping)
		return;
	/* Our own temporary files (apply) and editors' hidden ones. */
	if (file != NULL && file[0] == '.')
		return;
	uv_timer_start(&d->manifest_quiet, on_manifest_quiet,
	    MANIFEST_QUIET_MS, 0);
}

static void
watch_manifests(struct sluiced *d)
{
	int rc;

	uv_timer_init(d->loop, &d->manifest_quiet);
	d->manifest_quiet.data = d;
	uv_fs_event_init(d->loop, &d->manifest_watch);
	d->manifest_watch.data = d;
	rc = uv_fs_event_start(&d->manifest_watch, on_manifest_event,
	    d->cfg.manifests_dir, 0);
	if (rc != 0)
		log_warnx("manifests: cannot watch %s (%s): changes take effect on SIGHUP only",
		    d->cfg.manifests_dir, uv_strerror(rc));
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct sluiced *d = h->data;

	if (signum == SIGHUP) {
		notify_reloading();
		log_info("SIGHUP: reloading manifests from %s",
		    d->cfg.manifests_dir);
		sluiced_reload(d);
		notify_ready("running");
		return;
	}
	stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/*
 * The cluster secret: the file's bytes without trailing whitespace (so
 * an editor's newline does not split a cluster), at least 16 of them.
 * A file others can read is a warning: anyone who reads it can join.
 */
static int
load_secret(struct sluiced *d, char *err, size_t errlen)
{
	uint8_t buf[4096];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (d->cfg.secret_file[0] == '\0') {
		log_warnx("no cluster.secretFile: control links are off, this node routes only to nodes with managed: false");
		return 0;
	}
	fd = open(d->cfg.secret_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cluster.secretFile %s: %s",
		    d->cfg.secret_file, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 0077))
		log_warnx("cluster secret %s is readable by others (mode %04o); chmod 600 it",
		    d->cfg.secret_file, (unsigned)(st.st_mode & 07777));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	rc = n < 0 ? -EIO : link_key_derive(buf, (size_t)n, d->cluster_key);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0) {
		snprintf(err, errlen,
		    "cluster.secretFile %s: %s", d->cfg.secret_file,
		    rc == -EINVAL ? "shorter than 16 bytes; use e.g. 32 random bytes in base64" :
		    "cannot derive the cluster key");
		return rc;
	}
	d->have_key = true;
	return 0;
}

/*
 * Without --foreground: fork, and let the parent exit only once the child
 * is ready (status 0) or has failed (status 1), so scripts and init
 * systems that expect a forking daemon see the real outcome.
 */
static int
daemonize(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0)
		fatal("pipe");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		int status;

		close(p[1]);
		if (read(p[0], &c, 1) == 1 && c == 'R')
			_exit(0);
		waitpid(pid, &status, 0);
		_exit(1);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal("setsid");
	return p[1];
}

static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static gid_t
socket_gid(const char *group)
{
	struct group *gr;
	char *end;
	unsigned long n;

	if (group[0] == '\0')
		return (gid_t)-1;
	gr = getgrnam(group);
	if (gr != NULL)
		return gr->gr_gid;
	n = strtoul(group, &end, 10);
	if (*end == '\0' && end != group)
		return (gid_t)n;
	fatalx("socket.group: no group named \"%s\"", group);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = CONFIG_DEFAULT_PATH;
	sigset_t lifecycle;
	bool foreground = false, check = false, print = false, cleanup = false;
	static struct sluiced d;
	char err[2 * PATH_MAX];
	int ch, rc, ready_fd = -1;

	/*
	 * Held until libuv's handlers are in place: a SIGHUP or SIGTERM that
	 * arrives during start-up is then delivered to them, not fatal.
	 */
	sigemptyset(&lifecycle);
	sigaddset(&lifecycle, SIGHUP);
	sigaddset(&lifecycle, SIGTERM);
	sigaddset(&lifecycle, SIGINT);
	sigprocmask(SIG_BLOCK, &lifecycle, NULL);

	while ((ch = getopt_long(argc, argv, "c:fnpVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'p':
			print = true;
			break;
		case 'V':
			printf("sluiced %s\n", SLUICE_VERSION);
			return 0;
		case 'C':
			cleanup = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluiced: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("sluiced", LOG_LEVEL_INFO);
	if (config_load(&d.cfg, config_path, stderr) != 0)
		return 1;
	if (print)
		return config_print(&d.cfg, stdout) == 0 ? 0 : 1;
	if (check) {
		struct manifest_set ms;

		if (manifest_load_dir(d.cfg.manifests_dir, &ms, stderr) != 0)
			return 1;
		printf("%s: configuration OK; %zu manifests in %zu files OK\n",
		    config_path, ms.ndocs, ms.nfiles);
		manifest_set_free(&ms);
		return 0;
	}
	log_set_level(d.cfg.log_level);
	if (cleanup) {
		if (netlink_open(&d.nl, err, sizeof(err)) != 0)
			fatalx("%s", err);
		rc = dplane_cleanup(&d.cfg, d.nl, err, sizeof(err));
		netlink_close(d.nl);
		if (rc != 0)
			fatalx("cleanup: %s", err);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!foreground)
		ready_fd = daemonize();

	d.loop = uv_default_loop();
	/*
	 * Handlers first: a SIGHUP (logrotate, config management) or SIGTERM
	 * during start-up must not kill the daemon half-made. libuv queues
	 * them; they are acted on once the loop runs, after READY.
	 */
	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	uv_signal_init(d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);
	uv_signal_start(&d.sig_hup, on_signal, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &lifecycle, NULL);
	d.started = time(NULL);
	d.started_ms = uv_now(d.loop);
	if ((rc = store_open(&d.store, d.cfg.state_dir, err, sizeof(err))) != 0)
		fatalx("store: %s", err);
	if (check_identity(&d, err, sizeof(err)) != 0)
		fatalx("%s", err);
	/*
	 * The socket before any kernel state: a second daemon meant for the
	 * same node is refused here, having changed nothing. Until READY it
	 * answers with state "starting".
	 */
	rc = ctlsock_new(&d.ctl, d.loop, d.cfg.socket_path, d.cfg.socket_mode,
	    socket_gid(d.cfg.socket_group), sluiced_ctl_ops, &d, err,
	    sizeof(err));
	if (rc != 0)
		fatalx("status socket: %s", err);
	socket_to_remove = d.cfg.socket_path;
	atexit(remove_socket);
	if (netlink_underlay_check(&d.cfg, &d.underlay, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (!d.underlay.up)
		log_warnx("underlay interface %s is down", d.cfg.underlay_if);
	if (check_nat_ports(&d.cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (ipamd_open(&d, err, sizeof(err)) != 0)
		fatalx("ipam: %s", err);
	d.reload = sluiced_reload;
	if (dnsd_start(&d, err, sizeof(err)) != 0)
		fatalx("dns: %s", err);
	if (policyd_start(&d, err, sizeof(err)) != 0)
		fatalx("policy: %s", err);
	if (sluiced_reload(&d) != 0)
		fatalx("manifests in %s rejected; fix them or move them aside",
		    d.cfg.manifests_dir);
	if (load_secret(&d, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (netlink_open(&d.nl, err, sizeof(err)) != 0)
		fatalx("%s", err);
	{
		const struct cluster_node *self =
		    cluster_node_find(&d.manifests.cluster, d.cfg.node_name);

		if (self != NULL && self->has_vtep_mac)
			memcpy(d.vtep_mac, self->vtep_mac, 6);
		else
			peers_default_mac(d.cfg.node_name, d.vtep_mac);
	}
	randombytes_buf(&d.incarnation, sizeof(d.incarnation));
	if (dplane_start(&d.dp, d.loop, &d.cfg, d.nl, &d.underlay, err,
	    sizeof(err)) != 0)
		fatalx("data plane: %s", err);
	/*
	 * Routes a predecessor left stay in force for one dead interval
	 * while the links come up: a restart is no outage.
	 */
	d.grace_until_ms = uv_now(d.loop) + d.cfg.dead_interval_ms;
	peers_sync_manifest(&d, true);
	peers_apply(&d);
	if (claims_start(&d, err, sizeof(err)) != 0)
		fatalx("ipam: %s", err);
	if (links_start(&d, err, sizeof(err)) != 0)
		fatalx("%s", err);
	/* This node's pods, to the others as their links come up. */
	policyd_update(&d, POLICYD_LOCAL_PODS);
	if (egressd_start(&d, err, sizeof(err)) != 0)
		fatalx("egress: %s", err);

	notify_watchdog_start(d.loop, &d.watchdog);
	watch_manifests(&d);

	log_info("node %s ready: underlay %s (%s), status socket %s, state %s",
	    d.cfg.node_name, d.cfg.underlay_if, d.cfg.underlay_addr_str,
	    d.cfg.socket_path, d.cfg.state_dir);
	d.ready = true;
	notify_ready("running");
	if (ready_fd >= 0) {
		log_to_syslog();
		detach_stdio();
		if (write(ready_fd, "R", 1) != 1)
			log_warn("cannot tell the parent we are ready");
		close(ready_fd);
	}

	uv_run(d.loop, UV_RUN_DEFAULT);

	policyd_stop(&d);
	peers_free(&d);
	ipamd_close(&d);
	netlink_close(d.nl);
	sodium_memzero(d.cluster_key, sizeof(d.cluster_key));
	manifest_set_free(&d.manifests);
	store_close(d.store);
	rc = uv_loop_close(d.loop);
	if (rc != 0)
		log_warnx("loop closed with handles still open: %s",
		    uv_strerror(rc));
	log_info("stopped");
	return 0;
}
