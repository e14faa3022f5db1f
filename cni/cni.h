/*
 * cni.h - the parts of sluice-cni that do no I/O: the network config read
 * from stdin, the CNI_* environment and CNI_ARGS, the result and error
 * JSON written to stdout, and the name of a pod's host-side veth. The
 * CNI spec (1.0.0 and 1.1.0) defines all of it; main.c does the talking
 * to sluiced and veth.c the netlink.
 */
#ifndef SLUICE_CNI_CNI_H
#define SLUICE_CNI_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CNI_VERSION_LATEST "1.1.0"

/* The spec's well-known error codes; 100 and up are this plugin's own. */
enum cni_code {
	CNI_ERR_VERSION = 1,		/* incompatible CNI version */
	CNI_ERR_UNSUPPORTED = 2,	/* unsupported field in the config */
	CNI_ERR_UNKNOWN_CONTAINER = 3,	/* container unknown or gone */
	CNI_ERR_ENV = 4,		/* invalid necessary environment */
	CNI_ERR_IO = 5,			/* I/O failure */
	CNI_ERR_DECODE = 6,		/* failed to decode content */
	CNI_ERR_CONFIG = 7,		/* invalid network config */
	CNI_ERR_TRY_AGAIN = 11,		/* try again later */
	CNI_ERR_NOT_AVAILABLE = 50,	/* STATUS: cannot serve ADD */
	CNI_ERR_IPAM = 100,		/* sluiced refused the allocation */
	CNI_ERR_NETLINK = 101,		/* making or checking the veth failed */
	CNI_ERR_CHECK = 102,		/* CHECK found the attachment wrong */
};

struct cni_err {
	int code;			/* enum cni_code; 0 while no error */
	char msg[256];
	char details[512];		/* "" if none */
};

/* Fills e (the first error wins) and returns -EINVAL, for one-line returns. */
int cni_err_set(struct cni_err *e, int code, const char *details,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

enum cni_cmd {
	CNI_CMD_NONE = 0,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_VERSION,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
};

#define CNI_IFNAME_MAX 16		/* IFNAMSIZ: 15 + NUL */
#define CNI_HANDLE_MAX 256		/* sluiced's IPAM_HANDLE_MAX */
#define CNI_NAME_MAX 254		/* namespace, pod: 253 + NUL */
#define CNI_ADDR_MAX 46			/* INET6_ADDRSTRLEN */

/* CNI_ARGS, "K=V;K=V". */
struct cni_args {
	char pod_namespace[CNI_NAME_MAX];	/* K8S_POD_NAMESPACE or "" */
	char pod_name[CNI_NAME_MAX];		/* K8S_POD_NAME or "" */
	char ip[CNI_ADDR_MAX];			/* IP (a requested address) */
	char mac[18];				/* MAC (the pod end's) or "" */
};

/*
 * Parses CNI_ARGS (NULL or "" is empty). Keys the plugin does not know
 * are an error (code 2) unless IgnoreUnknown is 1 or true, as libcni's
 * plugins do; kubelet, containerd and podman all pass IgnoreUnknown=1.
 * Returns 0 or -EINVAL with e filled.
 */
int cni_args_parse(const char *s, struct cni_args *a, struct cni_err *e);

/* True if s is "xx:xx:xx:xx:xx:xx" (hex) and a unicast address. */
bool cni_mac_valid(const char *s);

/* The CNI_* variables the command needs. */
struct cni_env {
	enum cni_cmd cmd;
	char container_id[CNI_HANDLE_MAX];
	char ifname[CNI_IFNAME_MAX];
	/* Borrowed from the environment; NULL if unset or empty. */
	const char *netns;
	char handle[CNI_HANDLE_MAX];	/* container_id "/" ifname */
	struct cni_args args;
};

/*
 * Reads the environment through get (getenv(3) in the plugin, a table in
 * the tests). Errors: CNI_COMMAND missing or unknown, and for ADD, CHECK
 * and DEL a missing or malformed CNI_CONTAINERID or CNI_IFNAME, and a
 * missing CNI_NETNS (ADD, CHECK) or CNI_PATH (ADD, CHECK); all code 4.
 * DEL tolerates a missing CNI_NETNS and CNI_PATH: the netns may be gone.
 * Returns 0 or -EINVAL with e filled (e->code is 2 for CNI_ARGS, see above).
 */
int cni_env_parse(struct cni_env *env, const char *(*get)(const char *),
    struct cni_err *e);

/* The network config of one invocation, from stdin. */
struct cni_conf {
	char version[16];		/* cniVersion; "" only for VERSION */
	char name[CNI_NAME_MAX];
	char socket[108];		/* "socket", or CLIENT_DEFAULT_SOCKET */
	/* A requested address: runtimeConfig.ips, args.cni.ips, ipam.ips. */
	char req_addr[CNI_ADDR_MAX];
	/* The pod end's MAC: runtimeConfig.mac (the "mac" capability). */
	char req_mac[18];
	json_t *root;			/* owned: the whole config */
	const json_t *prev_result;	/* borrowed from root; NULL if absent */
	/*
	 * The pod's labels, args.cni.labels ([{key, value}], the CNI
	 * conventions' form), and its named container ports,
	 * args.cni.namedPorts ([{name, protocol, containerPort}], a sluice
	 * extension): what network policy selects and resolves. Borrowed
	 * from root; NULL if absent. Checked in shape here, in content by
	 * sluiced.
	 */
	const json_t *labels;
	const json_t *named_ports;
	/* GC: cni.dev/valid-attachments as handles. */
	char (*valid)[CNI_HANDLE_MAX];	/* owned */
	size_t nvalid;
};

/*
 * Parses the config of cmd. Malformed JSON or not an object is code 6;
 * a missing or mistyped field is 7; a cniVersion other than 1.0.0 and
 * 1.1.0 is 1. VERSION accepts any input, even none. Returns 0 or -EINVAL
 * with e filled; the caller calls cni_conf_free() either way.
 */
int cni_conf_parse(struct cni_conf *c, enum cni_cmd cmd, const char *buf,
    size_t len, struct cni_err *e);
void cni_conf_free(struct cni_conf *c);

/*
 * The host end of a pod's veth: "sl" and 12 hex digits of a hash of the
 * handle, so DEL and GC find it from the handle alone. buf holds at least
 * CNI_IFNAME_MAX bytes.
 */
void cni_host_ifname(const char *handle, char *buf, size_t size);

/* What ADD made, for the result. */
struct cni_attachment {
	const char *host_ifname;
	const char *host_mac;		/* "aa:bb:cc:dd:ee:ff" */
	const char *ifname;		/* the pod end, in the netns */
	const char *mac;
	const char *sandbox;		/* CNI_NETNS */
	const char *address;		/* the pod's IPv4 address, no length */
	unsigned int mtu;
};

#define CNI_GATEWAY "169.254.1.1"

/*
 * The ADD result in cniVersion version, after prev (the prevResult of a
 * chain, or NULL) whose interfaces, ips, routes and dns it keeps. Returns
 * a string the caller frees with free(), or NULL when out of memory.
 */
char *cni_result_json(const char *version, const struct cni_attachment *a,
    const json_t *prev);

/* The error object for e; free() it. version "" means the latest. */
char *cni_error_json(const char *version, const struct cni_err *e);

/* VERSION's answer; free() it. */
char *cni_version_json(const char *version);

#endif
