/*
 * result.c - what sluice-cni writes to stdout: the ADD result, the error
 * object and VERSION's answer, in the shapes of the CNI spec.
 */
#include "cni/cni.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* A copy of prev's list key, or a new empty list. */
static json_t *
prev_list(const json_t *prev, const char *key)
{
	const json_t *l = json_object_get(prev, key);

	return json_is_array(l) ? json_deep_copy(l) : json_array();
}

char *
cni_result_json(const char *version, const struct cni_attachment *a,
    const json_t *prev)
{
	json_t *r, *ifs, *ips, *routes, *dns, *hostif, *podif;
	char addr[CNI_ADDR_MAX + 4];
	size_t base;
	char *out = NULL;

	r = json_object();
	ifs = prev_list(prev, "interfaces");
	ips = prev_list(prev, "ips");
	routes = prev_list(prev, "routes");
	dns = json_is_object(json_object_get(prev, "dns")) ?
	    json_deep_copy(json_object_get(prev, "dns")) : json_object();
	if (r == NULL || ifs == NULL || ips == NULL || routes == NULL ||
	    dns == NULL)
		goto out;
	base = json_array_size(ifs);
	/* The host end first, as ptp does, for chained plugins. */
	hostif = json_pack("{s:s, s:s}", "name", a->host_ifname,
	    "mac", a->host_mac);
	podif = json_pack("{s:s, s:s}", "name", a->ifname, "mac", a->mac);
	if (podif != NULL && strcmp(version, "1.1.0") == 0)
		json_object_set_new(podif, "mtu", json_integer(a->mtu));
	if (podif != NULL)
		json_object_set_new(podif, "sandbox", json_string(a->sandbox));
	json_array_append_new(ifs, hostif);
	json_array_append_new(ifs, podif);
	snprintf(addr, sizeof(addr), "%s/32", a->address);
	json_array_append_new(ips, json_pack("{s:s, s:s, s:I}",
	    "address", addr, "gateway", CNI_GATEWAY,
	    "interface", (json_int_t)(base + 1)));
	json_array_append_new(routes, json_pack("{s:s}", "dst", "0.0.0.0/0"));
	json_object_set_new(r, "cniVersion", json_string(version));
	json_object_set(r, "interfaces", ifs);
	json_object_set(r, "ips", ips);
	json_object_set(r, "routes", routes);
	json_object_set(r, "dns", dns);
	if (hostif != NULL && podif != NULL)
		out = json_dumps(r, DUMP_FLAGS);
out:
	json_decref(dns);
	json_decref(routes);
	json_decref(ips);
	json_decref(ifs);
	json_decref(r);
	return out;
}

char *
cni_error_json(const char *version, const struct cni_err *e)
{
	json_t *r;
	char *out;

	r = json_pack("{s:s, s:i, s:s}", "cniVersion",
	    version != NULL && *version ? version : CNI_VERSION_LATEST,
	    "code", e->code, "msg", e->msg);
	if (r == NULL)	/* a message quoting input that is not UTF-8 */
		r = json_pack("{s:s, s:i, s:s}", "cniVersion",
		    version != NULL && *version ? version : CNI_VERSION_LATEST,
		    "code", e->code, "msg", "(message not valid UTF-8)");
	if (r != NULL && e->details[0] != '\0')
		json_object_set_new(r, "details", json_string(e->details));
	out = r != NULL ? json_dumps(r, DUMP_FLAGS) : NULL;
	json_decref(r);
	return out;
}

char *
cni_version_json(const char *version)
{
	json_t *r;
	char *out;

	r = json_pack("{s:s, s:[s,s]}", "cniVersion",
	    version != NULL && *version ? version : CNI_VERSION_LATEST,
	    "supportedVersions", "1.0.0", "1.1.0");
	out = r != NULL ? json_dumps(r, DUMP_FLAGS) : NULL;
	json_decref(r);
	return out;
}
