/*
 * msg.c - the DNS response parser and name patterns of dns.h.
 *
 * dns_parse() reads a response in one pass over its sections, checking
 * every field's bounds before reading it, and remembers only where the
 * answer section's CNAME, A and AAAA records sit (a small array on the
 * stack: nothing is allocated per packet). A second step follows the
 * question's CNAME chain through that array and emits the bindings.
 *
 * Names are checked where they are read:
 *   - a compression pointer must point before the start of the name, or
 *     of the part of it reached by the previous pointer: each jump goes
 *     strictly backwards, so a walk ends after at most one jump per byte
 *     and no loop can be written at all;
 *   - pointers into the 12-byte header are refused (nothing there is a
 *     name);
 *   - a label is at most 63 bytes, a name at most 255 on the wire;
 *     the label types 01 and 10 (RFC 6891 deprecated the extended ones)
 *     are refused;
 *   - in the question and the answer section, labels may hold only
 *     letters, digits, '-' and '_': those are the names policy patterns
 *     can name, and refusing the rest means no escaping is needed and a
 *     '.' can never appear inside a label.
 * The authority and additional sections are walked too (their names
 * checked for structure only, their records skipped by RDLENGTH), so that
 * a response is accepted only if all of it holds together; bytes after
 * the last section are ignored.
 */
#include "dns/dns.h"

#include <string.h>
#include <sys/socket.h>

#define HDR_LEN 12
#define MSG_MAX 65535		/* TCP's 2-byte length; UDP is smaller */
#define QUESTION_MIN 5		/* root name, type, class */
#define RR_MIN 11		/* root name, type, class, TTL, RDLENGTH */
#define WIRE_MAX 255		/* a name on the wire, RFC 1035 §3.1 */
#define LABEL_MAX 63

#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_AAAA 28
#define CLASS_IN 1

#define CHAIN_LINKS 16		/* CNAMEs followed from the question */

/*
 * Answer records kept for the chain: a response for an A/AAAA question
 * holds a few; past this many the rest are not looked at (and `more`
 * says bindings may be missing). 256 entries are 5 KiB of stack.
 */
#define RECS_MAX 256

/* A CNAME, A or AAAA record (class IN) of the answer section. */
struct rec {
	uint32_t hash;		/* of the owner name */
	uint32_t thash;		/* CNAME: of the target */
	uint32_t ttl;
	uint16_t owner;		/* offset of the owner name */
	uint16_t rdata;		/* offset of the RDATA */
	uint16_t type;
};

/* A name of the CNAME chain, by where it is written in the message. */
struct link {
	uint16_t off;
	uint32_t hash;
	uint32_t ttl;		/* of the CNAME leaving this name */
};

enum strictness {
	LAX,			/* structure only, nothing written */
	STRICT,			/* characters too, presentation form written */
};

static const char *const result_str[DNS_RESULT__COUNT] = {
	[DNS_OK] = "ok",
	[DNS_NOT_RESPONSE] = "not a response",
	[DNS_TRUNCATED] = "truncated",
	[DNS_BAD_NAME] = "bad name",
	[DNS_BAD_COUNT] = "bad count",
	[DNS_BAD_RECORD] = "bad record",
};

const char *
dns_result_str(enum dns_result r)
{
	if ((unsigned)r >= DNS_RESULT__COUNT)
		return "unknown";
	return result_str[r];
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The bytes a label may hold (see the top of the file). */
static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * name_char() and lower() at once, for the parser's inner loop: the byte
 * lowercased, or 0 if a label may not hold it. Setting bit 5 lowercases a
 * letter and turns no other byte into one.
 */
static uint8_t
label_byte(uint8_t c)
{
	uint8_t l = c | 0x20;

	if ((uint8_t)(l - 'a') < 26)
		return l;
	if ((uint8_t)(c - '0') < 10 || c == '-' || c == '_')
		return c;
	return 0;
}

/*
 * Reads the name at msg[off], which must lie within msg[0..len).
 * *next is where the name ends in place (after its first pointer, if
 * any). In STRICT mode the name goes to out (DNS_NAME_MAX bytes,
 * lowercased, no trailing dot, "" for the root) and *hash gets a hash
 * of that form, equal for names equal but for case.
 */
static enum dns_result
read_name(const uint8_t *msg, size_t len, size_t off, enum strictness st,
    char *out, uint32_t *hash, size_t *next)
{
	size_t pos = off, limit = off, wire = 0, n = 0;
	uint32_t h = 2166136261u;	/* FNV-1a */
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return DNS_TRUNCATED;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return DNS_TRUNCATED;
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target >= limit || target < HDR_LEN)
				return DNS_BAD_NAME;
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			limit = pos = target;
			continue;
		}
		if (c > LABEL_MAX)
			return DNS_BAD_NAME;
		wire += 1 + (size_t)c;
		if (wire > WIRE_MAX)
			return DNS_BAD_NAME;
		if (c == 0)
			break;
		if (c > len - pos - 1)
			return DNS_TRUNCATED;
		if (st == STRICT) {
			if (n > 0)
				out[n++] = '.';
			/* The length byte keeps "ab.c" and "a.bc" apart. */
			h = (h ^ c) * 16777619u;
			for (size_t i = 1; i <= c; i++) {
				uint8_t ch = label_byte(msg[pos + i]);

				if (ch == 0)
					return DNS_BAD_NAME;
				out[n++] = (char)ch;
				h = (h ^ ch) * 16777619u;
			}
		}
		pos += 1 + (size_t)c;
	}
	if (!jumped)
		*next = pos + 1;
	if (st == STRICT) {
		out[n] = '\0';
		*hash = h;
	}
	return DNS_OK;
}

/* Skips to the end of a label sequence, following pointers. */
static size_t
follow(const uint8_t *msg, size_t pos)
{
	while ((msg[pos] & 0xc0) == 0xc0)
		pos = (size_t)(msg[pos] & 0x3f) << 8 | msg[pos + 1];
	return pos;
}

/*
 * Whether the names at a and b, both read in STRICT mode before, are the
 * same but for case. Once both walks stand on the same byte, the rest is
 * the same name, which is the usual case with compression.
 */
static bool
name_eq(const uint8_t *msg, size_t a, size_t b)
{
	for (;;) {
		uint8_t la, lb;

		a = follow(msg, a);
		b = follow(msg, b);
		if (a == b)
			return true;
		la = msg[a];
		lb = msg[b];
		if (la != lb)
			return false;
		if (la == 0)
			return true;
		for (size_t i = 1; i <= la; i++)
			if (lower((char)msg[a + i]) != lower((char)msg[b + i]))
				return false;
		a += 1 + (size_t)la;
		b += 1 + (size_t)lb;
	}
}

/*
 * Names read in STRICT mode from where they start, by offset: the owners
 * of an answer's records are mostly a bare pointer to the question or to
 * a CNAME target, and need not be read again.
 */
#define SEEN_MAX 8

/* Parse state shared by the steps of dns_parse(). */
struct parse {
	const uint8_t *msg;
	size_t len, pos;
	struct rec recs[RECS_MAX];
	size_t nrecs;
	struct {
		uint16_t off;
		uint32_t hash;
	} seen[SEEN_MAX];
	unsigned nseen;
	char scratch[DNS_NAME_MAX];
};

/*
 * read_name() in STRICT mode when only the hash is wanted (the text goes
 * to p->scratch). A name that is one pointer to a name read before from
 * its start is that name: the same bytes, the same checks passed, the
 * same length.
 */
static enum dns_result
hash_name(struct parse *p, size_t len, size_t off, uint32_t *hash,
    size_t *next)
{
	enum dns_result r;
	unsigned k;

	if (off + 1 < len && (p->msg[off] & 0xc0) == 0xc0) {
		size_t target = (size_t)(p->msg[off] & 0x3f) << 8 |
		    p->msg[off + 1];

		for (k = 0; k < p->nseen && k < SEEN_MAX; k++) {
			if (p->seen[k].off == target && target < off) {
				*hash = p->seen[k].hash;
				*next = off + 2;
				return DNS_OK;
			}
		}
	}
	r = read_name(p->msg, len, off, STRICT, p->scratch, hash, next);
	if (r == DNS_OK && (p->msg[off] & 0xc0) != 0xc0) {
		k = p->nseen++ % SEEN_MAX;
		p->seen[k].off = (uint16_t)off;
		p->seen[k].hash = *hash;
	}
	return r;
}

static enum dns_result
questions(struct parse *p, unsigned qd, struct dns_answer *out,
    size_t *qoff, uint32_t *qhash, uint16_t *qclass)
{
	for (unsigned i = 0; i < qd; i++) {
		enum dns_result r;
		uint32_t h;
		size_t start = p->pos;

		r = read_name(p->msg, p->len, p->pos, STRICT,
		    i == 0 ? out->qname : p->scratch, &h, &p->pos);
		if (r != DNS_OK)
			return r;
		if (p->len - p->pos < 4)
			return DNS_TRUNCATED;
		if (i == 0) {
			*qoff = start;
			*qhash = h;
			p->seen[0].off = (uint16_t)start;
			p->seen[0].hash = h;
			p->nseen = 1;
			out->qtype = get16(p->msg + p->pos);
			*qclass = get16(p->msg + p->pos + 2);
		}
		p->pos += 4;
	}
	return DNS_OK;
}

/*
 * One resource record at p->pos: its owner name, fixed fields and RDATA
 * bounds checked, in the answer section (answer) its A, AAAA or CNAME
 * RDATA too, and remembered.
 */
static enum dns_result
record(struct parse *p, bool answer, bool *dropped)
{
	enum dns_result r;
	struct rec rr = { 0 };
	size_t owner = p->pos, rdata, end;
	uint16_t type, class, rdlen;
	uint32_t ttl;

	if (answer)
		r = hash_name(p, p->len, p->pos, &rr.hash, &p->pos);
	else
		r = read_name(p->msg, p->len, p->pos, LAX, NULL, NULL,
		    &p->pos);
	if (r != DNS_OK)
		return r;
	if (p->len - p->pos < 10)
		return DNS_TRUNCATED;
	type = get16(p->msg + p->pos);
	class = get16(p->msg + p->pos + 2);
	ttl = get32(p->msg + p->pos + 4);
	rdlen = get16(p->msg + p->pos + 8);
	rdata = p->pos + 10;
	if (rdlen > p->len - rdata)
		return DNS_BAD_RECORD;
	end = rdata + rdlen;
	p->pos = end;
	if (!answer || class != CLASS_IN)
		return DNS_OK;

	switch (type) {
	case TYPE_A:
		if (rdlen != 4)
			return DNS_BAD_RECORD;
		break;
	case TYPE_AAAA:
		if (rdlen != 16)
			return DNS_BAD_RECORD;
		break;
	case TYPE_CNAME: {
		size_t next;

		/* The target must fill the RDATA exactly, no more, no less. */
		r = hash_name(p, end, rdata, &rr.thash, &next);
		if (r == DNS_TRUNCATED || (r == DNS_OK && next != end))
			return DNS_BAD_RECORD;
		if (r != DNS_OK)
			return r;
		break;
	}
	default:
		return DNS_OK;
	}
	if (p->nrecs == RECS_MAX) {
		*dropped = true;
		return DNS_OK;
	}
	/* RFC 2181 §8: a TTL with the top bit set is read as zero. */
	rr.ttl = ttl > 0x7fffffffu ? 0 : ttl;
	rr.owner = (uint16_t)owner;
	rr.rdata = (uint16_t)rdata;
	rr.type = type;
	p->recs[p->nrecs++] = rr;
	return DNS_OK;
}

/* The chain entry at off, or -1. */
static int
chain_find(const struct parse *p, const struct link *chain, int n,
    size_t off, uint32_t hash)
{
	for (int i = 0; i < n; i++)
		if (chain[i].hash == hash && name_eq(p->msg, chain[i].off, off))
			return i;
	return -1;
}

/* sluice_addr_eq(), with sizes the compiler sees (called per binding). */
static bool
same_addr(const struct sluice_addr *a, const struct sluice_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return memcmp(a->u.b, b->u.b, 4) == 0;
	return memcmp(a->u.b, b->u.b, 16) == 0;
}

/*
 * Binds chain names 0..j to the address of record a: each name's TTL is
 * the smallest along the way from it to the address.
 */
static void
bind_addr(struct parse *p, const struct link *chain, int j, const struct rec *a,
    char (*names)[DNS_NAME_MAX], bool *named, uint8_t *of,
    struct dns_answer *out)
{
	uint32_t ttls[CHAIN_LINKS + 1], m = a->ttl;
	struct sluice_addr addr;

	memset(&addr, 0, sizeof(addr));
	addr.family = a->type == TYPE_A ? AF_INET : AF_INET6;
	memcpy(addr.u.b, p->msg + a->rdata, a->type == TYPE_A ? 4 : 16);
	for (int i = j; i >= 0; i--) {
		ttls[i] = m;
		if (i > 0 && chain[i - 1].ttl < m)
			m = chain[i - 1].ttl;
	}

	for (int i = 0; i <= j; i++) {
		struct dns_binding *b = NULL;

		/* A record repeated: one binding, the shorter TTL. */
		for (size_t k = 0; k < out->nb; k++) {
			if (of[k] == i && same_addr(&out->b[k].addr, &addr)) {
				b = &out->b[k];
				break;
			}
		}
		if (b != NULL) {
			if (ttls[i] < b->ttl)
				b->ttl = ttls[i];
			continue;
		}
		if (out->nb == DNS_BINDINGS_PER_ANSWER) {
			out->more = true;
			continue;
		}
		if (!named[i]) {
			uint32_t h;
			size_t next;

			/* Read and checked before: cannot fail now. */
			(void)read_name(p->msg, p->len, chain[i].off, STRICT,
			    names[i], &h, &next);
			named[i] = true;
		}
		b = &out->b[out->nb];
		of[out->nb++] = (uint8_t)i;
		memcpy(b->name, names[i], strlen(names[i]) + 1);
		b->addr = addr;
		b->ttl = ttls[i];
	}
}

static void
bindings(struct parse *p, size_t qoff, uint32_t qhash,
    struct dns_answer *out)
{
	struct link chain[CHAIN_LINKS + 1];
	char names[CHAIN_LINKS + 1][DNS_NAME_MAX];
	bool named[CHAIN_LINKS + 1] = { true };
	uint8_t of[DNS_BINDINGS_PER_ANSWER];
	int n = 1;

	memcpy(names[0], out->qname, sizeof(out->qname));
	chain[0].off = (uint16_t)qoff;
	chain[0].hash = qhash;
	chain[0].ttl = 0;
	while (n <= CHAIN_LINKS) {
		const struct link *cur = &chain[n - 1];
		const struct rec *c = NULL;

		/* Two CNAMEs for one name break RFC 1034; the first counts. */
		for (size_t i = 0; i < p->nrecs && c == NULL; i++) {
			const struct rec *r = &p->recs[i];

			if (r->type == TYPE_CNAME && r->hash == cur->hash &&
			    name_eq(p->msg, r->owner, cur->off))
				c = r;
		}
		/*
		 * The end, a loop, or the root, which no pattern can name
		 * (and which would bind "").
		 */
		if (c == NULL || p->msg[follow(p->msg, c->rdata)] == 0 ||
		    chain_find(p, chain, n, c->rdata, c->thash) >= 0)
			break;
		chain[n - 1].ttl = c->ttl;
		chain[n].off = c->rdata;
		chain[n].hash = c->thash;
		chain[n].ttl = 0;
		n++;
	}

	for (size_t i = 0; i < p->nrecs; i++) {
		const struct rec *r = &p->recs[i];
		int j;

		if (r->type == TYPE_CNAME)
			continue;
		j = chain_find(p, chain, n, r->owner, r->hash);
		if (j >= 0)
			bind_addr(p, chain, j, r, names, named, of, out);
	}
}

enum dns_result
dns_parse(const uint8_t *msg, size_t len, struct dns_answer *out)
{
	struct parse p;
	enum dns_result r;
	unsigned qd, an, rest, flags;
	size_t qoff = 0;
	uint32_t qhash = 0;
	uint16_t qclass = 0;
	bool dropped = false;

	out->id = 0;
	out->rcode = 0;
	out->qname[0] = '\0';
	out->qtype = 0;
	out->nb = 0;
	out->more = false;
	if (len < HDR_LEN)
		return DNS_TRUNCATED;
	/* Bytes past 64 KiB belong to no DNS message. */
	if (len > MSG_MAX)
		len = MSG_MAX;

	out->id = get16(msg);
	flags = get16(msg + 2);
	out->rcode = flags & 0xf;
	if (!(flags & 0x8000))
		return DNS_NOT_RESPONSE;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	rest = (unsigned)get16(msg + 8) + get16(msg + 10);
	/* Counts first: 65535 records in 40 bytes is refused in O(1). */
	if ((size_t)qd * QUESTION_MIN + ((size_t)an + rest) * RR_MIN >
	    len - HDR_LEN)
		return DNS_BAD_COUNT;

	p.msg = msg;
	p.len = len;
	p.pos = HDR_LEN;
	p.nrecs = 0;
	p.nseen = 0;
	r = questions(&p, qd, out, &qoff, &qhash, &qclass);
	for (unsigned i = 0; i < an && r == DNS_OK; i++)
		r = record(&p, true, &dropped);
	for (unsigned i = 0; i < rest && r == DNS_OK; i++)
		r = record(&p, false, &dropped);
	if (r != DNS_OK) {
		out->qname[0] = '\0';
		out->qtype = 0;
		return r;
	}

	/*
	 * Opcode QUERY only: the answer to a NOTIFY or UPDATE binds nothing;
	 * nor does a question for the root.
	 */
	if (out->qname[0] == '\0' || out->rcode != 0 ||
	    (flags & 0x7800) != 0 ||
	    qclass != CLASS_IN ||
	    (out->qtype != TYPE_A && out->qtype != TYPE_AAAA))
		return DNS_OK;
	bindings(&p, qoff, qhash, out);
	if (dropped)
		out->more = true;
	return DNS_OK;
}

/* ---- patterns ----------------------------------------------------------- */

/* s[0..n) as a name: labels of 1..63 name_char()s, 253 bytes at most. */
static bool
name_valid(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > WIRE_MAX - 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!name_char(s[i]) || ++label > LABEL_MAX) {
			return false;
		}
	}
	return label > 0;
}

/* strlen(s) without one trailing dot. */
static size_t
bare_len(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

static bool
is_wildcard(const char *pattern)
{
	return pattern[0] == '*' && pattern[1] == '.';
}

bool
dns_pattern_valid(const char *pattern)
{
	size_t n;

	if (pattern == NULL)
		return false;
	n = bare_len(pattern);
	if (n >= 2 && is_wildcard(pattern))
		return name_valid(pattern + 2, n - 2);
	return name_valid(pattern, n);
}

static bool
same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool
dns_name_matches(const char *pattern, const char *name)
{
	size_t pn, nn, sn;
	const char *suffix;

	if (pattern == NULL || name == NULL || !dns_pattern_valid(pattern))
		return false;
	pn = bare_len(pattern);
	nn = bare_len(name);
	if (!is_wildcard(pattern) || pn < 2)
		return nn == pn && same(pattern, name, pn);

	/* "*.example.com": at least one whole label before ".example.com". */
	suffix = pattern + 2;
	sn = pn - 2;
	if (nn < sn + 2 || nn > WIRE_MAX - 2 || name[nn - sn - 1] != '.')
		return false;
	return same(suffix, name + nn - sn, sn) &&
	    name_valid(name, nn - sn - 1);
}
