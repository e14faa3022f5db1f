/*
 * router_test.c - the data-path pieces of router/: the LPM table
 * (differentially, against a linear scan), the pipeline's verdicts over a
 * hand-built snapshot, and the cluster manifest's cross-checks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "overlay/icmp.h"
#include "router/cluster.h"
#include "router/lpm.h"
#include "router/manifest.h"
#include "router/pipeline.h"

/* The trivially correct version: scan every prefix, keep the longest. */
struct ref {
	struct sluice_prefix p[512];
	uint32_t v[512];
	int n;
};

static bool
ref_lookup(const struct ref *r, const struct sluice_addr *a, uint32_t *v)
{
	int best = -1;

	for (int i = 0; i < r->n; i++)
		if (sluice_prefix_contains(&r->p[i], a) &&
		    (best < 0 || r->p[i].len > r->p[best].len))
			best = i;
	if (best >= 0)
		*v = r->v[best];
	return best >= 0;
}

static void
rand_addr(int family, struct sluice_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	/* A narrow space so prefixes nest and collide often. */
	for (size_t i = 0; i < sluice_addr_len(family); i++)
		a->u.b[i] = i < 2 ? (uint8_t)check_below(4) :
		    (uint8_t)check_rand();
}

static void
test_lpm_differential(void)
{
	static const int fams[] = { AF_INET, AF_INET6 };

	for (int f = 0; f < 2; f++) {
		for (int round = 0; round < 20; round++) {
			struct lpm *t = lpm_new(fams[f]);
			struct ref *r = calloc(1, sizeof(*r));
			unsigned maxlen = 8 * (unsigned)sluice_addr_len(fams[f]);

			ASSERT(t != NULL && r != NULL);
			for (int i = 0; i < 200; i++) {
				struct sluice_prefix p;
				char s[SLUICE_PREFIXSTRLEN + 8];
				uint32_t v = (uint32_t)check_rand();
				int k;

				rand_addr(fams[f], &p.addr);
				p.len = (uint8_t)check_below(maxlen + 1);
				/* Through the parser, which clears host bits. */
				sluice_prefix_str(&p, s, sizeof(s));
				ASSERT_OK(sluice_prefix_parse(s, true, &p));
				ASSERT_OK(lpm_insert(t, &p, v));
				for (k = 0; k < r->n; k++)
					if (r->p[k].len == p.len &&
					    sluice_addr_eq(&r->p[k].addr, &p.addr))
						break;
				r->p[k] = p;
				r->v[k] = v;
				if (k == r->n)
					r->n++;
			}
			ASSERT_EQ(lpm_count(t), r->n);
			/* The trie first, then the sealed ranges, each against
			 * the reference. */
			for (int i = 0; i < 10000; i++) {
				struct sluice_addr a;
				uint32_t got = 0, want = 0;
				bool g, w;

				if (i % 2) {
					/* Inside a stored prefix, often. */
					a = r->p[check_below((uint64_t)r->n)].addr;
					a.u.b[sluice_addr_len(fams[f]) - 1] ^=
					    (uint8_t)check_below(4);
				} else {
					rand_addr(fams[f], &a);
				}
				if (i == 5000)
					ASSERT_OK(lpm_seal(t));
				g = lpm_lookup(t, &a, &got);
				w = ref_lookup(r, &a, &want);
				ASSERT_EQ(g, w);
				if (g)
					ASSERT_EQ(got, want);
				/* A range's edges: its first address and the one before. */
				if (i >= 5000 && i % 2) {
					struct sluice_addr e = r->p[check_below(
					    (uint64_t)r->n)].addr;

					g = lpm_lookup(t, &e, &got);
					w = ref_lookup(r, &e, &want);
					ASSERT_EQ(g, w);
					if (g)
						ASSERT_EQ(got, want);
					for (int b = (int)sluice_addr_len(fams[f]) - 1;
					    b >= 0 && e.u.b[b]-- == 0; b--)
						;
					g = lpm_lookup(t, &e, &got);
					w = ref_lookup(r, &e, &want);
					ASSERT_EQ(g, w);
					if (g)
						ASSERT_EQ(got, want);
				}
			}
			lpm_destroy(t);
			free(r);
		}
	}
}

static void
test_lpm_edges(void)
{
	struct lpm *t = lpm_new(AF_INET);
	struct sluice_prefix p;
	struct sluice_addr a;
	uint32_t v;

	ASSERT(t != NULL);
	ASSERT_OK(sluice_addr_parse("10.1.2.3", &a));
	ASSERT(!lpm_lookup(t, &a, &v));
	ASSERT_OK(sluice_prefix_parse("0.0.0.0/0", false, &p));
	ASSERT_OK(lpm_insert(t, &p, 7));
	ASSERT(lpm_lookup(t, &a, &v));
	ASSERT_EQ(v, 7);
	ASSERT_OK(sluice_prefix_parse("10.1.2.3/32", false, &p));
	ASSERT_OK(lpm_insert(t, &p, 9));
	ASSERT(lpm_lookup(t, &a, &v));
	ASSERT_EQ(v, 9);
	/* Replacing keeps the count. */
	ASSERT_OK(lpm_insert(t, &p, 10));
	ASSERT_EQ(lpm_count(t), 2);
	ASSERT_OK(sluice_prefix_parse("2001:db8::/32", false, &p));
	ASSERT_EQ(lpm_insert(t, &p, 1), -EAFNOSUPPORT);
	ASSERT_OK(sluice_addr_parse("2001:db8::1", &a));
	ASSERT(!lpm_lookup(t, &a, &v));
	/* Sealed, the same answers; an insert after it is seen. */
	ASSERT_OK(lpm_seal(t));
	ASSERT_OK(sluice_addr_parse("10.1.2.3", &a));
	ASSERT(lpm_lookup(t, &a, &v));
	ASSERT_EQ(v, 10);
	ASSERT_OK(sluice_addr_parse("255.255.255.255", &a));
	ASSERT(lpm_lookup(t, &a, &v));
	ASSERT_EQ(v, 7);
	ASSERT_OK(sluice_prefix_parse("10.1.2.0/24", false, &p));
	ASSERT_OK(lpm_insert(t, &p, 11));
	ASSERT_OK(sluice_addr_parse("10.1.2.4", &a));
	ASSERT(lpm_lookup(t, &a, &v));
	ASSERT_EQ(v, 11);
	lpm_destroy(t);
	lpm_destroy(NULL);
}

/* A snapshot: us 10.244.1.0/24, peer "b" 10.244.2.0/24 at 192.0.2.2. */
static struct dp_snapshot *
snapshot(uint32_t peer_mtu)
{
	struct dp_snapshot *s = calloc(1, sizeof(*s));
	struct sluice_prefix p;
	struct sockaddr_in *sin;

	ASSERT(s != NULL);
	s->vni = 7;
	memcpy(s->mac, "\x02\x00\x00\x00\x00\x01", 6);
	ASSERT_OK(sluice_addr_parse("192.0.2.1", &s->self4));
	s->tun_mtu = 1450;
	s->dst4 = lpm_new(AF_INET);
	s->dst6 = lpm_new(AF_INET6);
	s->src = lpm_new(AF_INET);
	s->peers = calloc(1, sizeof(*s->peers));
	ASSERT(s->dst4 && s->dst6 && s->src && s->peers);
	s->npeers = 1;
	snprintf(s->peers[0].name, sizeof(s->peers[0].name), "b");
	memcpy(s->peers[0].mac, "\x02\x00\x00\x00\x00\x02", 6);
	s->peers[0].mtu = peer_mtu;
	sin = (struct sockaddr_in *)&s->peers[0].sa;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.2", &sin->sin_addr);
	s->peers[0].salen = sizeof(*sin);
	ASSERT_OK(sluice_addr_parse("192.0.2.2", &s->peers[0].underlay));
	ASSERT_OK(sluice_prefix_parse("10.244.0.0/16", false, &p));
	ASSERT_OK(lpm_insert(s->dst4, &p, DP_ROUTE_UNREACH));
	ASSERT_OK(sluice_prefix_parse("10.244.1.0/24", false, &p));
	ASSERT_OK(lpm_insert(s->dst4, &p, DP_ROUTE_LOCAL));
	ASSERT_OK(sluice_prefix_parse("10.244.2.0/24", false, &p));
	ASSERT_OK(lpm_insert(s->dst4, &p, DP_ROUTE_PEER | 0));
	ASSERT_OK(sluice_prefix_parse("192.0.2.2/32", false, &p));
	ASSERT_OK(lpm_insert(s->src, &p, 0));
	return s;
}

/* An IPv4 UDP packet of len bytes (at least 28) into p. */
static void
udp4(struct pkt *p, const char *src, const char *dst, uint16_t len, bool df)
{
	uint8_t *b;
	uint32_t sum;
	uint16_t c;

	pkt_reset(p);
	b = p->data;
	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[6] = df ? 0x40 : 0;
	b[8] = 64;
	b[9] = 17;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	sum = inet_csum_add(0, b, 20);
	c = inet_csum_fold(sum);
	b[10] = (uint8_t)(c >> 8);
	b[11] = (uint8_t)c;
	b[20] = 0x30;	/* ports 12345 -> 53 */
	b[21] = 0x39;
	b[23] = 53;
	b[24] = (uint8_t)((len - 20) >> 8);
	b[25] = (uint8_t)(len - 20);
	p->len = len;
}

static void
test_inside(void)
{
	struct pkt_pool *pool = pkt_pool_new(2, 65535);
	struct dp_snapshot *s = snapshot(1400);
	struct pipeline_result r;
	uint8_t scratch[1500];
	struct pkt *p = pkt_get(pool);
	struct ip_info ii;

	ASSERT(pool && p);
	/* To a pod of the peer: encapsulated, addressed to it. */
	udp4(p, "10.244.1.10", "10.244.2.10", 100, true);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_TO_PEER);
	ASSERT(r.peer == &s->peers[0]);
	ASSERT_EQ(p->len, 100 + VXLAN_ENCAP_LEN);
	ASSERT_EQ(p->data[0], 0x08);			/* I flag */
	ASSERT_EQ(p->data[7 - 1], 7);			/* VNI 7 */
	ASSERT_MEM_EQ(p->data + 8, "\x02\x00\x00\x00\x00\x02", 6);
	ASSERT_MEM_EQ(p->data + 14, "\x02\x00\x00\x00\x00\x01", 6);

	/* To a pod of ours, and to the outside: back to the kernel. */
	udp4(p, "10.244.1.10", "10.244.1.11", 100, true);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_TO_TUN);
	udp4(p, "10.244.1.10", "198.51.100.7", 100, true);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_TO_TUN);

	/* A pool address nobody owns: host unreachable, from our address. */
	udp4(p, "10.244.1.10", "10.244.9.1", 100, true);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_REPLY);
	ASSERT_EQ(r.drop, DP_DROP_NO_ROUTE);
	ASSERT_EQ(ip_parse(scratch, r.reply_len, &ii), IP_OK);
	ASSERT_EQ(ii.proto, 1);
	ASSERT_EQ(ii.icmp_type, 3);
	ASSERT_EQ(ii.icmp_code, 1);
	ASSERT_MEM_EQ(&ii.src.u.v4, "\xc0\x00\x02\x01", 4);
	ASSERT_MEM_EQ(&ii.dst.u.v4, "\x0a\xf4\x01\x0a", 4);

	/* Over the peer's MTU with DF: frag-needed carrying that MTU. */
	udp4(p, "10.244.1.10", "10.244.2.10", 1420, true);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_REPLY);
	ASSERT_EQ(r.drop, DP_DROP_TOO_BIG);
	ASSERT_EQ(ip_parse(scratch, r.reply_len, &ii), IP_OK);
	ASSERT_EQ(ii.icmp_type, 3);
	ASSERT_EQ(ii.icmp_code, 4);
	ASSERT_EQ(scratch[20 + 6] << 8 | scratch[20 + 7], 1400);
	/* Without DF: dropped, counted apart. */
	udp4(p, "10.244.1.10", "10.244.2.10", 1420, false);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_DROP);
	ASSERT_EQ(r.drop, DP_DROP_TOO_BIG_NODF);
	/* Exactly the MTU passes. */
	udp4(p, "10.244.1.10", "10.244.2.10", 1400, true);
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_TO_PEER);

	/* Garbage from the TUN is dropped with the parser's reason. */
	udp4(p, "10.244.1.10", "10.244.2.10", 100, true);
	p->data[0] = 0x75;
	inside_process(s, NULL, 0, p, scratch, sizeof(scratch), &r);
	ASSERT_EQ(r.verdict, VERDICT_DROP);
	ASSERT_EQ(r.drop, DP_DROP_IP_BASE + IP_DROP_VERSION);

	pkt_put(p);
	pkt_pool_destroy(pool);
	dp_snapshot_free(s);
}

static void
test_outside(void)
{
	struct pkt_pool *pool = pkt_pool_new(2, 65535);
	struct dp_snapshot *s = snapshot(1400);
	struct pipeline_result r;
	struct sluice_addr from, stranger;
	struct pkt *p = pkt_get(pool);
	const uint8_t *peer_mac = s->peers[0].mac;

	ASSERT(pool && p);
	ASSERT_OK(sluice_addr_parse("192.0.2.2", &from));
	ASSERT_OK(sluice_addr_parse("192.0.2.99", &stranger));

	/* From the peer, for a pod of ours: to the TUN, headers gone. */
	udp4(p, "10.244.2.10", "10.244.1.10", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.verdict, VERDICT_TO_TUN);
	ASSERT_EQ(p->len, 100);
	ASSERT_EQ(p->data[0], 0x45);

	/* The same from an unknown sender: dropped before parsing. */
	udp4(p, "10.244.2.10", "10.244.1.10", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &stranger, &r);
	ASSERT_EQ(r.verdict, VERDICT_DROP);
	ASSERT_EQ(r.drop, DP_DROP_UNKNOWN_SOURCE);

	/* For a pod of another node: we are no relay. */
	udp4(p, "10.244.2.10", "10.244.2.11", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.drop, DP_DROP_NOT_LOCAL);
	udp4(p, "10.244.2.10", "198.51.100.1", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.drop, DP_DROP_NOT_LOCAL);

	/*
	 * The peer speaks only for its own block: our pods' addresses or a
	 * pool address nobody owns as source are spoofed; a source outside
	 * the pools (a reply from the outside) is not its to prove.
	 */
	udp4(p, "10.244.1.77", "10.244.1.10", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.drop, DP_DROP_SPOOFED_SOURCE);
	udp4(p, "10.244.9.1", "10.244.1.10", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.drop, DP_DROP_SPOOFED_SOURCE);
	udp4(p, "198.51.100.1", "10.244.1.10", 100, true);
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.verdict, VERDICT_TO_TUN);

	/* Wrong VNI, and a bad inner packet: the decoder's reasons. */
	udp4(p, "10.244.2.10", "10.244.1.10", 100, true);
	ASSERT_OK(vxlan_encap(p, 8, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.drop, DP_DROP_VXLAN_BASE + VXLAN_DROP_VNI);
	udp4(p, "10.244.2.10", "10.244.1.10", 100, true);
	p->data[3] = 200;	/* total length beyond the packet */
	ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
	outside_process(s, NULL, 0, p, &from, &r);
	ASSERT_EQ(r.verdict, VERDICT_DROP);
	ASSERT(r.drop >= DP_DROP_IP_BASE && r.drop < DP_DROP_VXLAN_BASE);

	/* Every truncation of a good datagram is dropped, never read past. */
	for (uint32_t cut = 0; cut < 100 + VXLAN_ENCAP_LEN; cut++) {
		udp4(p, "10.244.2.10", "10.244.1.10", 100, true);
		ASSERT_OK(vxlan_encap(p, 7, peer_mac, s->mac));
		p->len = cut;
		outside_process(s, NULL, 0, p, &from, &r);
		ASSERT_EQ(r.verdict, VERDICT_DROP);
	}
	pkt_put(p);
	pkt_pool_destroy(pool);
	dp_snapshot_free(s);
}

static int
load(const char *yaml, struct manifest_set *set, char **errs)
{
	size_t len = 0;
	FILE *f = open_memstream(errs, &len);
	int rc;

	ASSERT(f != NULL);
	memset(set, 0, sizeof(*set));
	rc = manifest_parse("c.yaml", (const unsigned char *)yaml,
	    strlen(yaml), set, f);
	if (rc == 0)
		rc = cluster_validate(&set->cluster, f);
	fclose(f);
	return rc;
}

#define POOL "apiVersion: sluice.io/v1alpha1\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.244.0.0/16}\n"
#define NODE(n, a, c) "---\napiVersion: sluice.io/v1alpha1\nkind: Node\nmetadata: {name: " n "}\nspec: {address: " a ", podCIDRs: [" c "]}\n"

static void
test_cluster(void)
{
	struct manifest_set set;
	char *errs = NULL;

	ASSERT_OK(load(POOL NODE("a", "192.0.2.1", "10.244.1.0/24")
	    NODE("b", "192.0.2.2", "10.244.2.0/24"), &set, &errs));
	ASSERT_EQ(set.cluster.nnodes, 2);
	ASSERT_EQ(set.cluster.npools, 1);
	ASSERT_EQ(set.cluster.pools[0].block_size, 26);
	ASSERT(set.cluster.nodes[0].managed);
	ASSERT(cluster_node_find(&set.cluster, "b") != NULL);
	manifest_set_free(&set);
	free(errs);

	/* Overlapping blocks of two nodes. */
	ASSERT_EQ(load(POOL NODE("a", "192.0.2.1", "10.244.1.0/24")
	    NODE("b", "192.0.2.2", "10.244.1.128/25"), &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "10.244.1.128/25 of Node b overlaps 10.244.1.0/24 of Node a");
	manifest_set_free(&set);
	free(errs);

	/* A block outside every pool, and two nodes at one address. */
	ASSERT_EQ(load(POOL NODE("a", "192.0.2.1", "10.99.1.0/24")
	    NODE("b", "192.0.2.1", "10.244.2.0/24"), &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "10.99.1.0/24 of Node a is not inside any IPPool");
	ASSERT_STR_HAS(errs, "Node b has the address of Node a");
	manifest_set_free(&set);
	free(errs);

	/* Spec errors carry file:line:column and the key path. */
	ASSERT_EQ(load(POOL "---\napiVersion: sluice.io/v1alpha1\nkind: Node\n"
	    "metadata: {name: a}\nspec:\n  address: nope\n  podCIDRs: [10.244.1.1/24]\n"
	    "  managed: false\n  colour: blue\n", &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "c.yaml:13:3: spec: unknown key \"colour\"");
	manifest_set_free(&set);
	free(errs);
	ASSERT_EQ(load(POOL "---\napiVersion: sluice.io/v1alpha1\nkind: Node\n"
	    "metadata: {name: a}\nspec:\n  address: nope\n  podCIDRs: [10.244.1.1/24]\n"
	    "  managed: false\n", &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "c.yaml:10:12: spec.address: \"nope\" is not an IPv4 or IPv6 address");
	ASSERT_STR_HAS(errs, "c.yaml:11:14: spec.podCIDRs: \"10.244.1.1/24\" is not a CIDR with zero host bits");
	ASSERT_STR_HAS(errs, "spec.vtepMAC: required when managed is false");
	manifest_set_free(&set);
	free(errs);

	/* A Node name is never cut short to fit: longer than 63 is refused. */
	ASSERT_EQ(load(POOL "---\napiVersion: sluice.io/v1alpha1\nkind: Node\n"
	    "metadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n"
	    "spec: {address: 192.0.2.1}\n", &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "metadata.name: a Node name has at most 63 characters");
	manifest_set_free(&set);
	free(errs);
	/* Nor does a key with a NUL byte pass for another. */
	{
		static const char nul[] = POOL "---\napiVersion: sluice.io/v1alpha1\n"
		    "kind: Node\nmetadata: {name: a}\nspec: {\"address\\0x\": 192.0.2.1}\n";

		ASSERT_EQ(load(nul, &set, &errs), -EINVAL);
		ASSERT_STR_HAS(errs, "spec: key contains a NUL byte");
		manifest_set_free(&set);
		free(errs);
	}

	/* Cluster-wide kinds take no namespace; a spec is required. */
	ASSERT_EQ(load("apiVersion: sluice.io/v1alpha1\nkind: IPPool\n"
	    "metadata: {name: p, namespace: x}\nspec: {cidr: 10.0.0.0/8}\n",
	    &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "metadata.namespace: IPPool is cluster-wide");
	manifest_set_free(&set);
	free(errs);
	ASSERT_EQ(load("apiVersion: sluice.io/v1alpha1\nkind: IPPool\n"
	    "metadata: {name: p}\n", &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "spec: required key is missing");
	manifest_set_free(&set);
	free(errs);
}

static void
test_pool_spec(void)
{
	struct manifest_set set;
	const struct cluster_pool *p;
	char *errs = NULL;
	struct sluice_label zone_a[] = { { "zone", "a" }, { "tier", "edge" } };
	struct sluice_label zone_b[] = { { "zone", "b" }, { "tier", "edge" } };
	struct sluice_label team[] = { { "team", "finance" } };

	ASSERT_OK(load("apiVersion: sluice.io/v1alpha1\nkind: IPPool\n"
	    "metadata: {name: fin}\nspec:\n  cidr: 10.245.0.0/16\n"
	    "  blockSize: 24\n  natOutgoing: true\n  disabled: false\n"
	    "  nodeSelector:\n    matchLabels: {zone: a}\n"
	    "    matchExpressions:\n    - {key: tier, operator: In, values: [edge, core]}\n"
	    "  namespaceSelector:\n    matchExpressions:\n"
	    "    - {key: team, operator: Exists}\n"
	    "  reserved: [10.245.0.0/28, 10.245.255.1]\n", &set, &errs));
	p = &set.cluster.pools[0];
	ASSERT_EQ(p->block_size, 24);
	ASSERT(p->nat_outgoing);
	ASSERT(!p->disabled);
	ASSERT_EQ(p->nreserved, 2);
	ASSERT_EQ(p->reserved[1].len, 32);
	ASSERT(sluice_selector_matches(&p->node_selector, zone_a, 2));
	ASSERT(!sluice_selector_matches(&p->node_selector, zone_b, 2));
	ASSERT(sluice_selector_matches(&p->namespace_selector, team, 1));
	ASSERT(!sluice_selector_matches(&p->namespace_selector, zone_a, 1));
	manifest_set_free(&set);
	free(errs);

	/* Each problem reported with its place; nothing kept. */
	ASSERT_EQ(load("apiVersion: sluice.io/v1alpha1\nkind: IPPool\n"
	    "metadata: {name: bad}\nspec:\n  cidr: 10.245.0.0/16\n"
	    "  blockSize: 18\n"
	    "  nodeSelector:\n    matchExpressions:\n"
	    "    - {key: tier, operator: Near, values: [x]}\n"
	    "  namespaceSelector:\n    matchLabels: {\"bad key!\": x}\n"
	    "  reserved: [10.99.0.1]\n", &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "spec.blockSize: \"18\" is not a whole number from 20 to 32");
	ASSERT_STR_HAS(errs, "spec.nodeSelector.matchExpressions[0]: \"operator\" must be In, NotIn, Exists or DoesNotExist");
	ASSERT_STR_HAS(errs, "spec.namespaceSelector.matchLabels: \"bad key!: x\" is not a valid label");
	ASSERT_STR_HAS(errs, "spec.reserved: 10.99.0.1/32 is not inside the pool's cidr");
	ASSERT_EQ(set.cluster.npools, 0);
	manifest_set_free(&set);
	free(errs);

	/* Namespaces and Node labels, for pool selection. */
	ASSERT_OK(load("apiVersion: v1\nkind: Namespace\n"
	    "metadata: {name: finance, labels: {team: finance, example.com/tier: gold}}\n"
	    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n"
	    "---\napiVersion: sluice.io/v1alpha1\nkind: Node\n"
	    "metadata: {name: n1, labels: {zone: a}}\nspec: {address: 192.0.2.1}\n",
	    &set, &errs));
	ASSERT_EQ(set.cluster.nnamespaces, 2);
	ASSERT_EQ(cluster_namespace_find(&set.cluster, "finance")->nlabels, 2);
	ASSERT_EQ(cluster_namespace_find(&set.cluster, "default")->nlabels, 0);
	ASSERT_STR_EQ(set.cluster.nodes[0].labels[0].value, "a");
	manifest_set_free(&set);
	free(errs);
	ASSERT_EQ(load("apiVersion: v1\nkind: Namespace\n"
	    "metadata: {name: a.b, labels: {\"-bad\": x}}\n", &set, &errs),
	    -EINVAL);
	ASSERT_STR_HAS(errs, "a Namespace name is a DNS label");
	manifest_set_free(&set);
	free(errs);
	ASSERT_EQ(load("apiVersion: v1\nkind: Namespace\n"
	    "metadata: {name: ok, labels: {\"-bad\": x}}\n", &set, &errs),
	    -EINVAL);
	ASSERT_STR_HAS(errs, "metadata.labels: \"-bad: x\" is not a valid label");
	manifest_set_free(&set);
	free(errs);

	/* In without values is a selector of the wrong shape. */
	ASSERT_EQ(load("apiVersion: sluice.io/v1alpha1\nkind: IPPool\n"
	    "metadata: {name: bad}\nspec:\n  cidr: 10.245.0.0/16\n"
	    "  nodeSelector:\n    matchExpressions:\n"
	    "    - {key: tier, operator: In}\n", &set, &errs), -EINVAL);
	ASSERT_STR_HAS(errs, "spec.nodeSelector");
	manifest_set_free(&set);
	free(errs);
}

int
main(void)
{
	check_seed();
	RUN(test_lpm_edges);
	RUN(test_lpm_differential);
	RUN(test_inside);
	RUN(test_outside);
	RUN(test_cluster);
	RUN(test_pool_spec);
	printf("ok\n");
	return 0;
}
