/*
 * dnsd.h - DNS-aware policy in the daemon (docs/DNS.md): the bindings
 * table (dns/dns.h) the data path fills from answers of the trusted
 * resolvers (dns.resolvers) to this node's pods, kept in LMDB so they
 * survive a restart, expired each second, dropped with their pod; the
 * callback through which policy verdicts ask it; `sluicectl dns`.
 */
#ifndef SLUICE_ROUTER_DNSD_H
#define SLUICE_ROUTER_DNSD_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

#include "router/ctlsock.h"

struct sluiced;
struct policy_pod;
struct sluice_addr;
struct dns_bindings;

/* Creates the table and loads what the store holds. */
int dnsd_start(struct sluiced *d, char *err, size_t errlen);
/* Writes the table out a last time and frees it. */
void dnsd_stop(struct sluiced *d);

/* The table (NULL before start), for the data-path snapshot. */
struct dns_bindings *dnsd_table(struct sluiced *d);

/* This node's pods changed: drops the bindings of addresses no pod holds. */
void dnsd_pods_changed(struct sluiced *d);

/*
 * policy_world's dns_match: whether pod (any of its addresses) holds a
 * live binding to addr of a name matching a pattern. Thread-safe.
 */
bool dnsd_match(void *arg, const struct policy_pod *pod,
    const struct sluice_addr *addr, const char *const *patterns, size_t n,
    char *name, size_t size);

/* Any name pod resolved to addr (for a denial's explanation). */
bool dnsd_resolved(struct sluiced *d, const struct policy_pod *pod,
    const struct sluice_addr *addr, char *name, size_t size);

int dnsd_op_list(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

#endif
