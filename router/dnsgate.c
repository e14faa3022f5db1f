/*
 * dnsgate.c - DNS answers on the data path (docs/DNS.md): an answer from
 * a trusted resolver (dns.resolvers) to a pod of this node is parsed and
 * its bindings go into the table before the packet goes on to the pod,
 * so the pod's first packet to an address it just resolved is already
 * judged with that binding in force. Answers from anyone else teach
 * nothing (they are counted and passed on as any packet).
 */
#include "router/pipeline.h"

#include <netinet/in.h>
#include <time.h>

#include "dns/dns.h"

static void
count(struct pipeline_result *r, enum dp_counter c)
{
	r->counted2 = true;
	r->count2 = c;
}

void
dns_learn(const struct dp_snapshot *s, const uint8_t *pkt,
    const struct ip_info *ii, struct pipeline_result *r)
{
	const uint8_t *msg;
	size_t len, off;
	struct dns_answer a;
	enum dns_result rc;
	uint32_t v;
	uint64_t now;

	if (s->dns == NULL || !ii->has_ports || ii->sport != 53 ||
	    ii->fragment || (ii->proto != IPPROTO_UDP &&
	    ii->proto != IPPROTO_TCP))
		return;
	if (s->dns_resolvers == NULL ||
	    !lpm_lookup(ii->version == 4 ? s->dns_resolvers :
	    s->dns_resolvers6, &ii->src, &v)) {
		count(r, DP_DNS_UNTRUSTED);
		return;
	}
	if (ii->proto == IPPROTO_UDP) {
		off = (size_t)ii->l4_off + 8;
		if (off > ii->tot_len)
			return;
		msg = pkt + off;
		len = ii->tot_len - off;
	} else {
		/*
		 * TCP: one whole message after its 2-byte length, in this
		 * segment (resolvers answer in one segment unless the answer
		 * is large; a split one teaches nothing, counted).
		 */
		size_t hl;

		if ((size_t)ii->l4_off + 20 > ii->tot_len)
			return;
		hl = (size_t)(pkt[ii->l4_off + 12] >> 4) * 4;
		off = (size_t)ii->l4_off + hl;
		if (hl < 20 || off + 2 > ii->tot_len)
			return;
		len = (size_t)pkt[off] << 8 | pkt[off + 1];
		if (off + 2 + len > ii->tot_len) {
			count(r, DP_DNS_BAD);
			return;
		}
		msg = pkt + off + 2;
	}
	rc = dns_parse(msg, len, &a);
	if (rc != DNS_OK) {
		if (rc != DNS_NOT_RESPONSE)
			count(r, DP_DNS_BAD);
		return;
	}
	now = (uint64_t)time(NULL);
	for (size_t i = 0; i < a.nb; i++)
		if (dns_bindings_add(s->dns, &ii->dst, a.b[i].name,
		    &a.b[i].addr, now + a.b[i].ttl) != 0)
			break;
	if (a.nb > 0)
		count(r, DP_DNS_ANSWERS);
}
