/*
 * natops.h - the status socket op "conntrack" (router/natops.c).
 *
 * args (all optional): proto ("tcp", "udp", "icmp"), pod and remote
 * (IPv4 addresses), state (ct_state_name()), limit (1-100000, default
 * 1000). The result: counters, the destinations using the most NAT
 * ports, the matching flows (at most limit), how many matched.
 */
#ifndef SLUICE_ROUTER_NATOPS_H
#define SLUICE_ROUTER_NATOPS_H

#include <stddef.h>

#include <msgpack.h>

#include "common/ctlproto.h"

int natops_conntrack(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

#endif
