/*
 * veth.h - a pod's veth pair, made, checked and removed with libnl-route-3.
 *
 * The pod end (ifname, in the netns at netns_path) gets address/32, the
 * MTU, a scope-link route to 169.254.1.1, a permanent neighbour entry for
 * 169.254.1.1 at the host end's MAC and a default route via it. The host
 * end (host_ifname, in the namespace we run in) gets the same MTU and a
 * /32 route to the pod in the main table, protocol RTPROT_STATIC: never
 * sluiced's own protocol, whose routes it syncs and would remove.
 */
#ifndef SLUICE_CNI_VETH_H
#define SLUICE_CNI_VETH_H

#include <netinet/in.h>
#include <stddef.h>

#define VETH_MACSTRLEN 18

struct veth_req {
	const char *host_ifname;
	const char *ifname;
	const char *netns_path;
	struct in_addr addr;
	unsigned int mtu;
	const char *mac;	/* the pod end's MAC, or NULL: the kernel's */
};

struct veth_macs {
	char host[VETH_MACSTRLEN];
	char pod[VETH_MACSTRLEN];
};

/*
 * Makes and configures the pair. On failure nothing is left: the host
 * end is deleted, which takes the pod end with it. Returns 0, -EEXIST if
 * either name is taken, or another negative errno; err says which step.
 */
int cni_veth_add(const struct veth_req *r, struct veth_macs *macs,
    char *err, size_t errlen);

/*
 * Checks that both ends exist, are up and carry the address and routes
 * above. Returns 0 with macs filled, -ENOENT if the pod end or the host
 * end is missing (or the netns is gone), -EINVAL if something is wrong,
 * or another negative errno; err says what.
 */
int cni_veth_check(const struct veth_req *r, struct veth_macs *macs,
    char *err, size_t errlen);

/* Deletes the host end (and so the pair). Returns 0, also when it is gone. */
int cni_veth_del(const char *host_ifname, char *err, size_t errlen);

#endif
