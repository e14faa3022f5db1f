#include "router/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "common/suggest.h"

enum ftype {
	F_NAME,		/* DNS-1123 subdomain-ish name */
	F_IFNAME,
	F_ADDR,
	F_PATH,		/* absolute path */
	F_SOCKPATH,	/* absolute path that fits sun_path */
	F_MODE,		/* octal permission bits */
	F_LOGLEVEL,
	F_GROUP,
	F_UINT,		/* whole number in [min, max], stored in num_off */
	F_PORTS,	/* "LO-HI" */
	F_ADDRS4,	/* IPv4 addresses, comma-separated */
	F_CIDRS,	/* CIDRs, comma-separated */
	F_BOOL,		/* true or false */
};

struct field {
	const char *path;	/* dotted key path */
	enum ftype type;
	bool required;
	size_t off;		/* char[] in struct sluiced_config */
	size_t size;
	const char *def;	/* default; NULL: empty */
	size_t num_off;		/* F_UINT: uint32_t in struct sluiced_config */
	unsigned long min, max;	/* F_UINT: accepted range */
};

#define FLD(p, t, r, member, d)                                               \
	{ p, t, r, offsetof(struct sluiced_config, member),                   \
	  sizeof(((struct sluiced_config *)0)->member), d, 0, 0, 0 }
#define FLDU(p, member, num, d, lo, hi)                                       \
	{ p, F_UINT, false, offsetof(struct sluiced_config, member),          \
	  sizeof(((struct sluiced_config *)0)->member), d,                    \
	  offsetof(struct sluiced_config, num), lo, hi }

/* Order here is the order --print-config writes. */
static const struct field fields[] = {
	FLD("node.name", F_NAME, true, node_name, NULL),
	FLD("underlay.interface", F_IFNAME, true, underlay_if, NULL),
	FLD("underlay.address", F_ADDR, true, underlay_addr_str, NULL),
	FLD("stateDir", F_PATH, false, state_dir, "/var/lib/sluice"),
	FLD("socket.path", F_SOCKPATH, false, socket_path,
	    "/run/sluice/sluiced.sock"),
	FLD("socket.mode", F_MODE, false, socket_mode_str, "0660"),
	FLD("socket.group", F_GROUP, false, socket_group, NULL),
	FLD("logLevel", F_LOGLEVEL, false, log_level_str, "info"),
	FLD("manifestsDir", F_PATH, false, manifests_dir,
	    "/etc/sluice/manifests"),
	FLD("overlay.device", F_IFNAME, false, tun_name, "sluice0"),
	/* Unset: the underlay MTU less the VXLAN overhead. */
	FLDU("overlay.mtu", tun_mtu_str, tun_mtu, NULL, 576, 65485),
	FLDU("overlay.vni", vni_str, vni, "1", 0, 0xffffff),
	FLDU("overlay.port", vxlan_port_str, vxlan_port, "4789", 1, 65535),
	/* TUN TSO/checksum offloads and UDP GSO/GRO (off: plain packets). */
	FLD("overlay.offloads", F_BOOL, false, offloads_str, "true"),
	/*
	 * Data-path threads, one per TUN queue and UDP socket. Unset: one per
	 * CPU sluiced may run on, at most 8.
	 */
	FLDU("overlay.workers", workers_str, workers, NULL, 1, 64),
	/*
	 * UDP source ports the workers send from, a flow's picked by its
	 * hash (entropy for the underlay's ECMP); 0: the VXLAN port alone.
	 */
	FLDU("overlay.sourcePorts", source_ports_str, source_ports, "16", 0,
	    64),
	/* Not 253-255: default, main and local belong to the kernel. */
	FLDU("overlay.routeTable", route_table_str, route_table, "222", 1, 252),
	FLDU("overlay.rulePriority", rule_priority_str, rule_priority, "1000",
	    1, 32000),
	FLD("cluster.secretFile", F_PATH, false, secret_file, NULL),
	FLDU("cluster.controlPort", control_port_str, control_port, "4790", 1,
	    65535),
	FLDU("cluster.deadIntervalMs", dead_interval_str, dead_interval_ms,
	    "3000", 300, 60000),
	FLDU("cluster.keepaliveIntervalMs", keepalive_str, keepalive_ms, "250",
	    50, 30000),
	/* How long a block claim waits for a majority of the nodes. */
	FLDU("cluster.claimTimeoutMs", claim_timeout_str, claim_timeout_ms,
	    "5000", 500, 60000),
	/* Outside the kernel's ephemeral ports (checked at start). */
	FLD("nat.portRange", F_PORTS, false, nat_ports_str, "61000-65534"),
	FLDU("nat.maxFlows", nat_max_flows_str, nat_max_flows, "262144", 64,
	    16777216),
	/* Idle timeouts of NAT flows, seconds (Linux's nf_conntrack_*). */
	FLDU("nat.tcpEstablishedSeconds", nat_tcp_est_str, nat_tcp_est_s,
	    "7200", 60, 432000),
	FLDU("nat.udpSeconds", nat_udp_str, nat_udp_s, "30", 1, 3600),
	FLDU("nat.udpAssuredSeconds", nat_udp_assured_str, nat_udp_assured_s,
	    "180", 1, 86400),
	FLDU("nat.icmpSeconds", nat_icmp_str, nat_icmp_s, "30", 1, 3600),
	/* A closed TCP flow keeps its port this long (one destination's
	 * new connections/s <= its ports / this). */
	FLDU("nat.tcpTimeWaitSeconds", nat_time_wait_str, nat_time_wait_s,
	    "120", 1, 600),
	FLD("nat.addresses", F_ADDRS4, false, nat_addrs_str, NULL),
	FLD("nat.doNotNat", F_CIDRS, false, no_nat_str, NULL),
	/*
	 * The policy flow table (its idle timeouts are nat.*'s); mid-stream
	 * TCP picked up so that a restart does not cut connections.
	 */
	FLDU("policy.maxFlows", policy_max_flows_str, policy_max_flows,
	    "262144", 64, 16777216),
	FLD("policy.tcpLoosePickup", F_BOOL, false, policy_loose_str, "true"),
	/*
	 * Egress gateways: a gateway silent this long (no verified frame on
	 * its control link) gets no flows; the table pinning flows to them.
	 */
	/* Default: 1000, or 4 keepalives if those are slower (set below). */
	FLDU("egress.failoverMs", egress_failover_str, egress_failover_ms,
	    NULL, 100, 60000),
	FLDU("egress.maxFlows", egress_max_flows_str, egress_max_flows,
	    "65536", 64, 16777216),
	/*
	 * DNS-aware policy: the resolvers whose answers to pods teach
	 * sluiced which addresses a name stands for (none: it learns
	 * nothing), how long a binding outlives its TTL, and the caps.
	 */
	FLD("dns.resolvers", F_CIDRS, false, dns_resolvers_str, NULL),
	FLDU("dns.graceSeconds", dns_grace_str, dns_grace_s, "30", 0, 86400),
	FLDU("dns.maxPerPod", dns_per_pod_str, dns_per_pod, "1024", 1,
	    1048576),
	FLDU("dns.maxBindings", dns_total_str, dns_total, "65536", 1,
	    16777216),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct ctx {
	const char *name;
	FILE *errs;
	int nerr;
	struct sluiced_config *cfg;
	bool seen[NFIELDS];
};

static void
report(struct ctx *c, const yaml_mark_t *m, const char *kpath,
    const char *fmt, ...) LOG_PRINTF(4, 5);

static void
report(struct ctx *c, const yaml_mark_t *m, const char *kpath,
    const char *fmt, ...)
{
	va_list ap;

	c->nerr++;
	if (c->errs == NULL)
		return;
	fprintf(c->errs, "%s:%zu:%zu: ", c->name, m ? m->line + 1 : 1,
	    m ? m->column + 1 : 1);
	if (kpath != NULL && kpath[0] != '\0')
		fprintf(c->errs, "%s: ", kpath);
	va_start(ap, fmt);
	vfprintf(c->errs, fmt, ap);
	va_end(ap);
	fputc('\n', c->errs);
}


/*
 * Is `prefix.key` a leaf (returns its index), a section (returns -2) or
 * unknown (-1)?
 */
static int
lookup(const char *full)
{
	size_t n = strlen(full);

	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].path, full) == 0)
			return (int)i;
		if (strncmp(fields[i].path, full, n) == 0 &&
		    fields[i].path[n] == '.')
			return -2;
	}
	return -1;
}

/* Suggests the known key at the same level closest to the unknown one. */
static const char *
suggest(const char *prefix, const char *key, char *buf, size_t size)
{
	size_t plen = strlen(prefix), best = 3;
	const char *found = NULL;

	for (size_t i = 0; i < NFIELDS; i++) {
		const char *p = fields[i].path, *dot;
		char cand[CONFIG_NAME_MAX];
		size_t d;

		if (plen > 0) {
			if (strncmp(p, prefix, plen) != 0 || p[plen] != '.')
				continue;
			p += plen + 1;
		}
		dot = strchr(p, '.');
		snprintf(cand, sizeof(cand), "%.*s",
		    (int)(dot ? (size_t)(dot - p) : strlen(p)), p);
		d = sluice_edit_distance(key, cand);
		if (d < best) {
			best = d;
			snprintf(buf, size, "%s", cand);
			found = buf;
		}
	}
	return found;
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!(islower((unsigned char)ch) || isdigit((unsigned char)ch) ||
		    ch == '-' || ch == '.'))
			return false;
	}
	return isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1]);
}

/* A comma-separated list of IPv4 addresses or of CIDRs, parsed into cfg. */
static void
check_list(struct ctx *c, const struct field *f, const char *v,
    const yaml_mark_t *m)
{
	struct sluiced_config *cfg = c->cfg;
	bool addrs = f->type == F_ADDRS4;
	bool dns = strcmp(f->path, "dns.resolvers") == 0;
	struct sluice_prefix *cidrs = dns ? cfg->dns_resolvers : cfg->no_nat;
	size_t max = addrs ? CONFIG_NAT_ADDRS_MAX : CONFIG_NO_NAT_MAX;
	uint32_t n = 0;
	const char *p = v;

	while (*p != '\0') {
		char item[64];
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(item)) {
			report(c, m, f->path,
			    "\"%s\": expected a comma-separated list of %s", v,
			    addrs ? "IPv4 addresses" : "CIDRs");
			return;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (n == max) {
			report(c, m, f->path, "more than %zu entries", max);
			return;
		}
		if (addrs) {
			struct in_addr a;

			if (inet_pton(AF_INET, item, &a) != 1) {
				report(c, m, f->path,
				    "\"%s\" is not an IPv4 address", item);
				return;
			}
			cfg->nat_addrs[n++] = a.s_addr;
		} else if (sluice_prefix_parse(item, false, &cidrs[n++]) != 0) {
			report(c, m, f->path,
			    "\"%s\" is not a CIDR (ADDR/LEN, host bits zero)",
			    item);
			return;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (addrs)
		cfg->nat_naddrs = n;
	else if (dns)
		cfg->ndns_resolvers = n;
	else
		cfg->nno_nat = n;
}

static void
check_value(struct ctx *c, const struct field *f, const char *v,
    const yaml_mark_t *m)
{
	struct sluiced_config *cfg = c->cfg;

	switch (f->type) {
	case F_NAME:
		if (!valid_name(v))
			report(c, m, f->path,
			    "\"%s\" is not a valid name (1-63 of a-z, 0-9, '-', '.', starting and ending alphanumeric)",
			    v);
		break;
	case F_IFNAME:
		if (v[0] == '\0' || strlen(v) >= IFNAMSIZ ||
		    strpbrk(v, "/: \t") != NULL || strcmp(v, ".") == 0 ||
		    strcmp(v, "..") == 0)
			report(c, m, f->path,
			    "\"%s\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
			    v);
		break;
	case F_ADDR:
		if (inet_pton(AF_INET, v, &cfg->underlay_addr.u.v4) == 1)
			cfg->underlay_addr.family = AF_INET;
		else if (inet_pton(AF_INET6, v, &cfg->underlay_addr.u.v6) == 1)
			cfg->underlay_addr.family = AF_INET6;
		else
			report(c, m, f->path,
			    "\"%s\" is not an IPv4 or IPv6 address", v);
		break;
	case F_PATH:
	case F_SOCKPATH:
		if (v[0] != '/')
			report(c, m, f->path, "\"%s\" is not an absolute path", v);
		break;
	case F_MODE: {
		char *end;
		unsigned long mode;

		errno = 0;
		mode = strtoul(v, &end, 8);
		if (v[0] == '\0' || *end != '\0' || errno != 0 ||
		    mode > 0777 || !isdigit((unsigned char)v[0]))
			report(c, m, f->path,
			    "\"%s\" is not an octal permission mode such as \"0660\"",
			    v);
		else if ((mode & 0600) != 0600)
			report(c, m, f->path,
			    "mode %04lo leaves the owner unable to use the socket",
			    mode);
		else
			cfg->socket_mode = (mode_t)mode;
		break;
	}
	case F_LOGLEVEL:
		if (log_level_parse(v, &cfg->log_level) != 0)
			report(c, m, f->path,
			    "\"%s\" is not a log level (error, warn, info, debug)",
			    v);
		break;
	case F_GROUP:
		if (v[0] == '\0' || strpbrk(v, ": \t/") != NULL)
			report(c, m, f->path, "\"%s\" is not a group name", v);
		break;
	case F_PORTS: {
		unsigned int lo, hi;
		char tail;

		/* The kernel's rules cannot match a range ending at 65535. */
		if (sscanf(v, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 ||
		    hi > 65534 || lo > hi || !isdigit((unsigned char)v[0]))
			report(c, m, f->path,
			    "\"%s\" is not a port range LO-HI within 1024-65534",
			    v);
		else {
			cfg->nat_port_lo = (uint16_t)lo;
			cfg->nat_port_hi = (uint16_t)hi;
		}
		break;
	}
	case F_ADDRS4:
	case F_CIDRS:
		check_list(c, f, v, m);
		break;
	case F_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			report(c, m, f->path, "\"%s\" is not true or false", v);
		break;
	case F_UINT: {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' ||
		    errno != 0 || n < f->min || n > f->max)
			report(c, m, f->path,
			    "\"%s\" is not a whole number from %lu to %lu", v,
			    f->min, f->max);
		break;
	}
	}
}

/* Fills the numbers of F_UINT fields from their (checked) strings. */
static void
set_numbers(struct sluiced_config *cfg)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *v = (const char *)cfg + fields[i].off;

		if (fields[i].type != F_UINT)
			continue;
		*(uint32_t *)((char *)cfg + fields[i].num_off) =
		    v[0] ? (uint32_t)strtoul(v, NULL, 10) : 0;
	}
	cfg->offloads = strcmp(cfg->offloads_str, "false") != 0;
	cfg->policy_loose = strcmp(cfg->policy_loose_str, "false") != 0;
	/* Defaults of the structured fields (set ones are parsed already). */
	if (cfg->nat_port_lo == 0) {
		unsigned int lo = 0, hi = 0;

		if (sscanf(cfg->nat_ports_str, "%u-%u", &lo, &hi) == 2) {
			cfg->nat_port_lo = (uint16_t)lo;
			cfg->nat_port_hi = (uint16_t)hi;
		}
	}
	if (cfg->nat_naddrs == 0 && cfg->underlay_addr.family == AF_INET) {
		memcpy(&cfg->nat_addrs[0], &cfg->underlay_addr.u.v4, 4);
		cfg->nat_naddrs = 1;
	}
}

static void
set_leaf(struct ctx *c, int idx, yaml_node_t *val)
{
	const struct field *f = &fields[idx];
	char *dst = (char *)c->cfg + f->off;
	const char *v;
	size_t len;

	if (val->type != YAML_SCALAR_NODE) {
		report(c, &val->start_mark, f->path,
		    "expected a scalar value, found a %s%s",
		    val->type == YAML_MAPPING_NODE ? "mapping" : "sequence",
		    f->type == F_ADDRS4 || f->type == F_CIDRS ?
		    " (write the list on one line, comma-separated)" : "");
		return;
	}
	v = (const char *)val->data.scalar.value;
	len = val->data.scalar.length;
	if (strlen(v) != len) {
		report(c, &val->start_mark, f->path, "value contains a NUL byte");
		return;
	}
	if (len >= f->size) {
		report(c, &val->start_mark, f->path,
		    "value is too long (%zu bytes, at most %zu)", len,
		    f->size - 1);
		return;
	}
	/* A plain empty scalar or "~"/"null" is YAML's null, not a value. */
	if (val->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)) {
		report(c, &val->start_mark, f->path, "value is missing (null)");
		return;
	}
	memcpy(dst, v, len + 1);
	check_value(c, f, dst, &val->start_mark);
}

/* YAML forbids a key twice in one mapping; libyaml leaves that to us. */
static bool
dup_key(yaml_document_t *doc, yaml_node_t *map, yaml_node_pair_t *upto,
    yaml_node_t *k)
{
	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < upto; q++) {
		yaml_node_t *o = yaml_document_get_node(doc, q->key);

		if (o != NULL && o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == k->data.scalar.length &&
		    memcmp(o->data.scalar.value, k->data.scalar.value,
		    k->data.scalar.length) == 0)
			return true;
	}
	return false;
}

static void
walk(struct ctx *c, yaml_document_t *doc, yaml_node_t *map, const char *prefix)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	    p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		char full[256], hint[CONFIG_NAME_MAX];
		const char *key;
		int idx;

		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			report(c, &k->start_mark, prefix,
			    "keys must be plain strings");
			continue;
		}
		key = (const char *)k->data.scalar.value;
		/* "logLevel\0x" must not pass for logLevel. */
		if (strlen(key) != k->data.scalar.length) {
			report(c, &k->start_mark, prefix,
			    "key contains a NUL byte");
			continue;
		}
		if (snprintf(full, sizeof(full), "%s%s%s", prefix,
		    prefix[0] ? "." : "", key) >= (int)sizeof(full)) {
			report(c, &k->start_mark, prefix, "key is too long");
			continue;
		}
		if (dup_key(doc, map, p, k)) {
			report(c, &k->start_mark, full, "duplicate key");
			continue;
		}
		/*
		 * "node.name: x" would otherwise match node.name through
		 * the dotted path and could set a key twice unnoticed.
		 */
		if (strchr(key, '.') != NULL) {
			report(c, &k->start_mark, full,
			    "unknown key (keys contain no '.'; write each section as a nested mapping)");
			continue;
		}
		idx = lookup(full);
		if (idx == -1) {
			if (suggest(prefix, key, hint, sizeof(hint)))
				report(c, &k->start_mark, full,
				    "unknown key (did you mean \"%s\"?)", hint);
			else
				report(c, &k->start_mark, full, "unknown key");
			continue;
		}
		if (idx == -2) {
			if (v->type != YAML_MAPPING_NODE) {
				report(c, &v->start_mark, full,
				    "expected a mapping (a section of keys)");
				continue;
			}
			walk(c, doc, v, full);
			continue;
		}
		c->seen[idx] = true;
		set_leaf(c, idx, v);
	}
}

static void
apply_defaults(struct sluiced_config *cfg)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		char *dst = (char *)cfg + fields[i].off;

		if (fields[i].def != NULL)
			snprintf(dst, fields[i].size, "%s", fields[i].def);
	}
	cfg->socket_mode = 0660;
	cfg->log_level = LOG_LEVEL_INFO;
}

int
config_parse(struct sluiced_config *cfg, const char *name,
    const unsigned char *buf, size_t len, FILE *errs)
{
	struct ctx c = { .name = name, .errs = errs, .cfg = cfg };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int rc = 0;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	apply_defaults(cfg);

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t m = parser.problem_mark;

		report(&c, &m, NULL, "invalid YAML: %s%s%s",
		    parser.problem ? parser.problem : "parse error",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		report(&c, NULL, NULL, "file is empty");
		rc = -EINVAL;
		goto out_doc;
	}
	if (root->type != YAML_MAPPING_NODE) {
		report(&c, &root->start_mark, NULL,
		    "the file must hold a mapping of keys");
		rc = -EINVAL;
		goto out_doc;
	}
	walk(&c, &doc, root, "");

	/*
	 * A second document is an error, not something to ignore, and so is
	 * anything after the first that is not YAML at all.
	 */
	if (yaml_parser_load(&parser, &extra)) {
		yaml_node_t *r2 = yaml_document_get_root_node(&extra);

		if (r2 != NULL)
			report(&c, &r2->start_mark, NULL,
			    "only one YAML document is allowed");
		yaml_document_delete(&extra);
	} else {
		yaml_mark_t m = parser.problem_mark;

		report(&c, &m, NULL, "invalid YAML: %s%s%s",
		    parser.problem ? parser.problem : "parse error",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
	}

	set_numbers(cfg);
	/* Only between values that are valid on their own. */
	if (c.nerr == 0 && cfg->keepalive_ms >= cfg->dead_interval_ms)
		report(&c, &root->start_mark, "cluster.keepaliveIntervalMs",
		    "%u ms is not shorter than cluster.deadIntervalMs (%u ms)",
		    cfg->keepalive_ms, cfg->dead_interval_ms);
	/* A healthy gateway sends at least two keepalives per failover. */
	if (c.nerr == 0 && cfg->egress_failover_ms == 0) {
		cfg->egress_failover_ms = 4 * cfg->keepalive_ms > 1000 ?
		    4 * cfg->keepalive_ms : 1000;
		snprintf(cfg->egress_failover_str,
		    sizeof(cfg->egress_failover_str), "%u",
		    cfg->egress_failover_ms);
	}
	if (c.nerr == 0 && 2 * cfg->keepalive_ms > cfg->egress_failover_ms)
		report(&c, &root->start_mark, "cluster.keepaliveIntervalMs",
		    "%u ms is more than half of egress.failoverMs (%u ms): a healthy gateway would look dead between keepalives",
		    cfg->keepalive_ms, cfg->egress_failover_ms);
	for (size_t i = 0; i < NFIELDS; i++) {
		if (fields[i].required && !c.seen[i])
			report(&c, &root->start_mark, fields[i].path,
			    "required key is missing");
	}
	if (c.nerr > 0)
		rc = -EINVAL;
out_doc:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
config_load(struct sluiced_config *cfg, const char *path, FILE *errs)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		if (errs)
			fprintf(errs, "%s: cannot open: %s\n", path, strerror(-rc));
		return rc;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out_file;
	}
	len = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		if (errs)
			fprintf(errs, "%s: read error\n", path);
		goto out_buf;
	}
	if (len > CONFIG_MAX_BYTES) {
		rc = -EFBIG;
		if (errs)
			fprintf(errs, "%s: larger than %d bytes\n", path,
			    CONFIG_MAX_BYTES);
		goto out_buf;
	}
	rc = config_parse(cfg, path, buf, len, errs);
out_buf:
	free(buf);
out_file:
	fclose(f);
	return rc;
}

/* Emitter helpers: each returns false once the emitter has failed. */
static bool
emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) != 0;
}

static bool
emit_scalar(yaml_emitter_t *e, const char *s, bool quoted)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), 1, 1,
	    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
	return emit(e, &ev);
}

static bool
emit_map(yaml_emitter_t *e, bool start)
{
	yaml_event_t ev;

	if (start)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	return emit(e, &ev);
}

/*
 * Would this value, written as a plain scalar, read back as something
 * other than the same string? config_parse() takes "~" and "null" for a
 * missing value; other YAML readers also resolve booleans and numbers.
 */
static bool
needs_quotes(const char *v)
{
	static const char *const special[] = { "~", "null", "true", "false",
		"yes", "no", "on", "off", "y", "n" };
	char *end;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		if (strcasecmp(v, special[i]) == 0)
			return true;
	}
	(void)strtod(v, &end);
	return v[0] != '\0' && *end == '\0';
}

static int
write_out(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, (FILE *)data) == size;
}

int
config_print(const struct sluiced_config *cfg, FILE *out)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	char section[64] = "";
	bool ok = true;

	if (!yaml_emitter_initialize(&e))
		return -ENOMEM;
	yaml_emitter_set_output(&e, write_out, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = ok && emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && emit(&e, &ev);
	ok = ok && emit_map(&e, true);
	for (size_t i = 0; ok && i < NFIELDS; i++) {
		const char *v = (const char *)cfg + fields[i].off;
		const char *dot = strchr(fields[i].path, '.');
		char sec[64] = "";

		if (v[0] == '\0')
			continue;	/* unset optional key */
		if (dot)
			snprintf(sec, sizeof(sec), "%.*s",
			    (int)(dot - fields[i].path), fields[i].path);
		if (strcmp(sec, section) != 0) {
			if (section[0])
				ok = ok && emit_map(&e, false);
			if (sec[0]) {
				ok = ok && emit_scalar(&e, sec, false);
				ok = ok && emit_map(&e, true);
			}
			snprintf(section, sizeof(section), "%s", sec);
		}
		ok = ok && emit_scalar(&e, dot ? dot + 1 : fields[i].path, false);
		/*
		 * Quote socket modes, which YAML could read as numbers, and
		 * any value a reader could take for null, a boolean or a
		 * number.
		 */
		ok = ok && emit_scalar(&e, v,
		    fields[i].type == F_MODE ||
		    (fields[i].type != F_UINT && needs_quotes(v)));
	}
	if (section[0])
		ok = ok && emit_map(&e, false);
	ok = ok && emit_map(&e, false);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && emit(&e, &ev);
	yaml_emitter_delete(&e);
	return ok ? 0 : -EIO;
}
