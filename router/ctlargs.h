/*
 * ctlargs.h - reading the arguments of a status-socket request (the op's
 * args map) with one sentence for the client when they are wrong.
 */
#ifndef SLUICE_ROUTER_CTLARGS_H
#define SLUICE_ROUTER_CTLARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/ctlproto.h"

/* Writes the sentence to err (errlen bytes) and returns rc. */
int ctl_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The string argument key into buf (size bytes): "" if absent or nil
 * (-EINVAL if required), -EINVAL if not a string that fits.
 */
int ctl_arg_str(const struct ctl_request *req, const char *key, char *buf,
    size_t size, bool required, char *err, size_t errlen);

/*
 * The bytes of argument key, a string or binary (borrowed from req);
 * -EINVAL if absent.
 */
int ctl_arg_bytes(const struct ctl_request *req, const char *key,
    const char **p, size_t *n, char *err, size_t errlen);

#endif
