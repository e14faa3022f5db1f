/*
 * fuzz_cni_config.c - sluice-cni's stdin parser, cni_conf_parse(), for
 * every command, and its outputs (STYLE.md 7). Fails when an error has no
 * spec code or message, when the error object or (for an accepted ADD
 * config, chained after its prevResult) the result is not JSON that
 * parses back, or when an accepted config breaks cni.h's promises. The
 * input as a C string also goes through cni_args_parse() (CNI_ARGS).
 * Seeds: configs as runtimes write them (plain, chained, with ips from
 * runtimeConfig, args and ipam, GC's valid attachments) and broken ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cni_attachment att = {
	.host_ifname = "sl0123456789ab", .host_mac = "aa:aa:aa:aa:aa:aa",
	.ifname = "eth0", .mac = "bb:bb:bb:bb:bb:bb",
	.sandbox = "/var/run/netns/p", .address = "10.0.0.1", .mtu = 1450,
};

static void
check_error(const struct cni_conf *c, const struct cni_err *e)
{
	json_t *j;
	char *s;

	CHECK(e->code == CNI_ERR_VERSION || e->code == CNI_ERR_DECODE ||
	    e->code == CNI_ERR_CONFIG || e->code == CNI_ERR_IO);
	CHECK(e->msg[0] != '\0');
	s = cni_error_json(c->version, e);
	CHECK(s != NULL);
	j = json_loads(s, 0, NULL);
	CHECK(j != NULL);
	CHECK(json_integer_value(json_object_get(j, "code")) == e->code);
	json_decref(j);
	free(s);
}

static void
check_ok(const struct cni_conf *c, enum cni_cmd cmd)
{
	json_t *j;
	char *s;

	if (cmd == CNI_CMD_VERSION) {
		CHECK(c->version[0] == '\0' ||
		    strcmp(c->version, "1.0.0") == 0 ||
		    strcmp(c->version, "1.1.0") == 0);
		return;
	}
	CHECK(strcmp(c->version, "1.0.0") == 0 ||
	    strcmp(c->version, "1.1.0") == 0);
	CHECK(c->name[0] != '\0' && c->socket[0] != '\0');
	CHECK(c->prev_result == NULL || json_is_object(c->prev_result));
	CHECK(strchr(c->req_addr, '/') == NULL);
	for (size_t i = 0; i < c->nvalid; i++)
		CHECK(strchr(c->valid[i], '/') != NULL);
	if (cmd != CNI_CMD_ADD)
		return;
	s = cni_result_json(c->version, &att, c->prev_result);
	CHECK(s != NULL);
	j = json_loads(s, 0, NULL);
	CHECK(j != NULL);
	CHECK(json_array_size(json_object_get(j, "interfaces")) >= 2);
	json_decref(j);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cni_cmd cmds[] = { CNI_CMD_ADD, CNI_CMD_GC,
	    CNI_CMD_VERSION };
	struct cni_args a;
	struct cni_conf c;
	struct cni_err e;
	char *str;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (cni_conf_parse(&c, cmds[i], (const char *)data, size,
		    &e) != 0)
			check_error(&c, &e);
		else {
			CHECK(e.code == 0);
			check_ok(&c, cmds[i]);
		}
		cni_conf_free(&c);
	}
	str = malloc(size + 1);
	if (str == NULL)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	memset(&e, 0, sizeof(e));
	if (cni_args_parse(str, &a, &e) != 0)
		CHECK(e.code == CNI_ERR_ENV || e.code == CNI_ERR_UNSUPPORTED);
	free(str);
	return 0;
}
