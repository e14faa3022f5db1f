/*
 * config.h - the node configuration, /etc/sluice/sluiced.yaml.
 *
 * Parsing is strict: unknown keys, duplicate keys, wrong types, bad values
 * and missing required keys are each reported as
 *   FILE:LINE:COLUMN: key.path: reason
 * and the whole file is rejected. Every error is reported, not just the
 * first, so an operator can fix a file in one pass.
 */
#ifndef SLUICE_ROUTER_CONFIG_H
#define SLUICE_ROUTER_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/addr.h"
#include "common/log.h"

#define CONFIG_DEFAULT_PATH "/etc/sluice/sluiced.yaml"
#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_NAME_MAX 64


#define CONFIG_LIST_MAX 1024		/* a comma-separated list value */
#define CONFIG_NAT_ADDRS_MAX 8
#define CONFIG_NO_NAT_MAX 32

struct sluiced_config {
	char path[PATH_MAX];		/* file it was read from */

	char node_name[CONFIG_NAME_MAX];
	char underlay_if[IFNAMSIZ];
	char underlay_addr_str[64];
	struct sluice_addr underlay_addr;
	char state_dir[PATH_MAX];
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char socket_mode_str[8];
	mode_t socket_mode;
	char socket_group[CONFIG_NAME_MAX];	/* empty: daemon's group */
	char log_level_str[8];
	enum log_level log_level;
	char manifests_dir[PATH_MAX];

	/* overlay */
	char tun_name[IFNAMSIZ];
	char tun_mtu_str[8];
	uint32_t tun_mtu;		/* 0: underlay MTU - VXLAN overhead */
	char vni_str[12];
	uint32_t vni;
	char vxlan_port_str[8];
	uint32_t vxlan_port;
	char offloads_str[8];
	bool offloads;			/* TUN TSO/csum, UDP GSO/GRO */
	char workers_str[8];
	uint32_t workers;		/* 0: one per CPU, at most 8 */
	char source_ports_str[8];
	uint32_t source_ports;		/* 0: send from the VXLAN port */
	char route_table_str[12];
	uint32_t route_table;		/* pods' traffic is looked up here */
	char rule_priority_str[8];
	uint32_t rule_priority;		/* of our rules: this and this + 1 */

	/* cluster */
	char secret_file[PATH_MAX];	/* empty: no control links */
	char control_port_str[8];
	uint32_t control_port;
	char dead_interval_str[8];
	uint32_t dead_interval_ms;
	char keepalive_str[8];
	uint32_t keepalive_ms;
	char claim_timeout_str[8];
	uint32_t claim_timeout_ms;

	/* nat (NAT outgoing, for pools with natOutgoing) */
	char nat_ports_str[16];
	uint16_t nat_port_lo, nat_port_hi;
	char nat_max_flows_str[12];
	uint32_t nat_max_flows;
	/* policy.*: the policy flow table (timeouts are nat.*'s) */
	char policy_max_flows_str[12];
	uint32_t policy_max_flows;
	char policy_loose_str[8];
	bool policy_loose;		/* mid-stream TCP picked up (restarts) */
	/* egress.*: gateway failover and the egress flow table */
	char egress_failover_str[12];
	uint32_t egress_failover_ms;
	char egress_max_flows_str[12];
	uint32_t egress_max_flows;
	/* dns.*: DNS-aware policy (docs/DNS.md) */
	char dns_resolvers_str[CONFIG_LIST_MAX];
	struct sluice_prefix dns_resolvers[CONFIG_NO_NAT_MAX];
	uint32_t ndns_resolvers;
	char dns_grace_str[12];
	uint32_t dns_grace_s;
	char dns_per_pod_str[12];
	uint32_t dns_per_pod;
	char dns_total_str[12];
	uint32_t dns_total;
	char nat_addrs_str[CONFIG_LIST_MAX];	/* empty: underlay.address */
	uint32_t nat_addrs[CONFIG_NAT_ADDRS_MAX];	/* network order */
	uint32_t nat_naddrs;
	char nat_tcp_est_str[12];
	uint32_t nat_tcp_est_s;
	char nat_udp_str[12];
	uint32_t nat_udp_s;
	char nat_udp_assured_str[12];
	uint32_t nat_udp_assured_s;
	char nat_icmp_str[12];
	uint32_t nat_icmp_s;
	char nat_time_wait_str[12];
	uint32_t nat_time_wait_s;
	char no_nat_str[CONFIG_LIST_MAX];
	struct sluice_prefix no_nat[CONFIG_NO_NAT_MAX];
	uint32_t nno_nat;
};

/*
 * Reads and validates path into *cfg. Every problem found is written to
 * errs, one line each. Returns 0, or -EINVAL after reporting, or another
 * negative errno if the file cannot be read (also reported).
 */
int config_load(struct sluiced_config *cfg, const char *path, FILE *errs);

/* Same, from a buffer; name is used in messages. For tests and fuzzing. */
int config_parse(struct sluiced_config *cfg, const char *name,
    const unsigned char *buf, size_t len, FILE *errs);

/* Writes the effective configuration (defaults included) as YAML that
 * config_parse() accepts again. Returns 0 or -EIO. */
int config_print(const struct sluiced_config *cfg, FILE *out);

#endif
