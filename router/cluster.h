/*
 * cluster.h - the cluster manifest, the embedded default for small
 * clusters: the same Node and IPPool documents on every node.
 *
 *   apiVersion: sluice.io/v1alpha1       apiVersion: sluice.io/v1alpha1
 *   kind: IPPool                         kind: Node
 *   metadata: {name: default}            metadata: {name: node-a}
 *   spec:                                spec:
 *     cidr: 10.244.0.0/16                  address: 192.0.2.1
 *     blockSize: 26                        podCIDRs: [10.244.1.0/26]
 *     natOutgoing: true
 *     disabled: false
 *     nodeSelector:                      # Kubernetes LabelSelectors
 *       matchLabels: {zone: a}
 *     namespaceSelector:
 *       matchExpressions:
 *       - {key: team, operator: In, values: [finance]}
 *     reserved: [10.244.0.0/28, 10.244.255.1]
 *
 * A Node with `managed: false` runs no sluiced (for example a host using
 * the kernel's own vxlan driver): no control link is expected, its routes
 * are always installed, and `vtepMAC` gives the MAC its VTEP answers to.
 * Until the IPAM issue makes block ownership dynamic, podCIDRs are the
 * blocks a node owns.
 *
 * The policy kinds (NetworkPolicy, AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy, NetworkSet, GlobalNetworkSet) are parsed by
 * router/policy_yaml.c and kept here too, in struct cluster_policy.
 *
 * Egress gateways (egress/egress.h) are declared here too, both parsed by
 * router/egress_yaml.c: a gateway is a Node with egress addresses,
 *
 *   spec:
 *     address: 192.0.2.7
 *     egress: {addresses: [198.51.100.1, 198.51.100.2], drain: false}
 *
 * and the kind EgressGatewayPolicy (sluice.io/v1alpha1, cluster-wide)
 * says which pods leave through which gateways, kept in struct
 * cluster_egress.
 */
#ifndef SLUICE_ROUTER_CLUSTER_H
#define SLUICE_ROUTER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"
#include "egress/egress.h"
#include "ipam/ipam.h"
#include "policy/model.h"

#define CLUSTER_NAME_MAX 64
#define CLUSTER_MAX_NODE_CIDRS 16
#define CLUSTER_API_VERSION "sluice.io/v1alpha1"

struct cluster_node {
	char name[CLUSTER_NAME_MAX];
	struct sluice_addr address;	/* underlay */
	struct sluice_prefix pod_cidrs[CLUSTER_MAX_NODE_CIDRS];
	unsigned int n_pod_cidrs;
	bool managed;			/* runs sluiced (default) */
	struct sluice_label *labels;	/* metadata.labels; owned */
	size_t nlabels;
	bool has_vtep_mac;
	uint8_t vtep_mac[6];
	/*
	 * spec.egress: the IPv4 addresses this node SNATs egress flows to
	 * (none: it is no gateway), each held by this node only, in no
	 * IPPool and no node's underlay address; drain: no new flows.
	 */
	struct sluice_addr egress_addrs[EGRESS_ADDRS_MAX];
	size_t negress_addrs;
	bool egress_drain;
	char file[256];			/* where it was declared */
	size_t line;
};

#define CLUSTER_MAX_RESERVED 64

/*
 * An IPPool. The selectors are in the IPAM core's own form, their
 * strings owned by the pool (freed by cluster_free()), so the daemon can
 * hand the pool to ipam_pools_set() as it is.
 */
struct cluster_pool {
	char name[254];
	struct sluice_prefix cidr;
	unsigned int block_size;	/* prefix length of its blocks */
	bool nat_outgoing;
	bool disabled;			/* no new allocations */
	struct sluice_selector node_selector;	/* empty: every node */
	struct sluice_selector namespace_selector; /* empty: every namespace */
	struct sluice_prefix reserved[CLUSTER_MAX_RESERVED];
	size_t nreserved;		/* addresses (/32, /128) and ranges */
	char file[256];
	size_t line;
};

/* A Namespace manifest: its labels select pools (and, later, policies). */
struct cluster_namespace {
	char name[64];
	struct sluice_label *labels;	/* owned */
	size_t nlabels;
};

/* Where a document was declared, for reports that span documents. */
struct cluster_src {
	char file[256];
	size_t line;
};

/* router/policy_yaml.h: each owns one parsed policy object. */
struct policy_yaml_np;
struct policy_yaml_anp;
struct policy_yaml_banp;
struct policy_yaml_netset;

/*
 * The policy objects of the manifests, in load order (files in name
 * order, documents in file order). Each kind has three parallel arrays
 * of n entries:
 *   - the models (policy/model.h), values ready to serve as a struct
 *     policy_world's arrays as they are: w.nps = p->nps, w.nnps = p->nnps,
 *     and likewise anps, banps, netsets and global_netsets;
 *   - their owners, which hold every string, selector and array a model
 *     points to;
 *   - where each was declared.
 * Everything is owned by the cluster and freed by cluster_free(); models
 * and anything they point to stay valid until then. A NetworkSet's
 * namespace is set (defaulted to "default"), a GlobalNetworkSet's NULL.
 * In a set cluster_validate() accepts, no name is declared twice per kind
 * (and namespace) and there is at most one BANP. Loading is not
 * enforcing: the daemon does not apply these yet.
 */
struct cluster_policy {
	/* NetworkPolicy */
	struct policy_np *nps;
	struct policy_yaml_np **np_owners;
	struct cluster_src *np_srcs;
	size_t nnps;
	/* AdminNetworkPolicy */
	struct policy_anp *anps;
	struct policy_yaml_anp **anp_owners;
	struct cluster_src *anp_srcs;
	size_t nanps;
	/* BaselineAdminNetworkPolicy */
	struct policy_banp *banps;
	struct policy_yaml_banp **banp_owners;
	struct cluster_src *banp_srcs;
	size_t nbanps;
	/* NetworkSet */
	struct policy_netset *netsets;
	struct policy_yaml_netset **netset_owners;
	struct cluster_src *netset_srcs;
	size_t nnetsets;
	/* GlobalNetworkSet */
	struct policy_netset *global_netsets;
	struct policy_yaml_netset **global_netset_owners;
	struct cluster_src *global_netset_srcs;
	size_t nglobal_netsets;
};

/* router/egress_yaml.c: owns one parsed EgressGatewayPolicy. */
struct egress_yaml_policy;

/*
 * The EgressGatewayPolicy objects of the manifests, in load order, as
 * struct cluster_policy keeps each policy kind: n models (egress/egress.h,
 * an array to hand to egress_match() as it is), their owners (which hold
 * every string, selector and array a model points to) and where each was
 * declared. Owned by the cluster and freed by cluster_free(); models stay
 * valid until then, or until cluster_egress_free() for a daemon that took
 * them out. In a set cluster_validate() accepts, names are unique and
 * every address a policy lists is an egress address of a Node its
 * gateways.nodeSelector selects.
 */
struct cluster_egress {
	struct egress_policy *policies;
	struct egress_yaml_policy **owners;
	struct cluster_src *srcs;
	size_t n;
};

struct cluster {
	struct cluster_node *nodes;	/* owned */
	size_t nnodes;
	struct cluster_namespace *namespaces;	/* owned */
	size_t nnamespaces;
	struct cluster_pool *pools;	/* owned */
	size_t npools;
	struct cluster_policy policy;	/* owned */
	struct cluster_egress egress;	/* owned */
	/*
	 * The Nodes with egress addresses, in load order, at most
	 * EGRESS_GATEWAYS_MAX: the array the egress library takes as it is.
	 * The array is owned; what its entries point to (name, labels,
	 * addresses) is borrowed from nodes[] and valid until cluster_free()
	 * (the entries are pointed again whenever a Node is added).
	 */
	struct egress_gateway *egress_gateways;
	size_t negress_gateways;
};

/*
 * Cross-document checks once every file is read: unique node names and
 * addresses, pools that do not overlap, podCIDRs inside a pool and owned
 * by one node only; policy names unique per kind (per namespace for
 * NetworkPolicy and NetworkSet) and at most one BaselineAdminNetworkPolicy;
 * egress addresses held by one node only, in no IPPool and no node's
 * underlay address; EgressGatewayPolicy names unique, and the addresses
 * each lists egress addresses of a node of its gateways.
 * Reports each problem with the file and line of the document at fault;
 * returns 0 or -EINVAL.
 */
int cluster_validate(const struct cluster *cl, FILE *errs);

const struct cluster_node *cluster_node_find(const struct cluster *cl,
    const char *name);
const struct cluster_namespace *cluster_namespace_find(
    const struct cluster *cl, const char *name);

/* The pool containing a, or NULL. */
const struct cluster_pool *cluster_pool_find(const struct cluster *cl,
    const struct sluice_addr *a);

/*
 * Frees the policy objects and zeroes p (the daemon takes them out of a
 * cluster to keep them alive for the data path: router/policyd.c).
 */
void cluster_policy_free(struct cluster_policy *p);

/* The same for the EgressGatewayPolicy objects (router/egress_yaml.c). */
void cluster_egress_free(struct cluster_egress *e);

void cluster_free(struct cluster *cl);

#endif
