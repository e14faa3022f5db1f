/*
 * client.h - a blocking client of the status socket, for sluicectl and
 * sluice-cni (short-lived programs with nothing else to do meanwhile).
 */
#ifndef SLUICE_CLI_CLIENT_H
#define SLUICE_CLI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ctlproto.h"

#define CLIENT_DEFAULT_SOCKET "/run/sluice/sluiced.sock"

struct client {
	int fd;
	unsigned int timeout_ms;
	uint64_t next_id;
};

/* Returns 0 or a negative errno with a sentence in err. */
int client_connect(struct client *c, const char *path, unsigned timeout_ms,
    char *err, size_t errlen);
void client_close(struct client *c);

/*
 * Sends op (with args, an already packed msgpack map, or NULL) and reads
 * the reply into *resp, which the caller frees with ctl_response_free().
 * Returns 0 (the reply may still be an error reply: check resp->ok) or a
 * negative errno with a sentence in err.
 */
int client_call(struct client *c, const char *op, const void *args,
    size_t args_len, struct ctl_response *resp, char *err, size_t errlen);

#endif
