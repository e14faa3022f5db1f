/*
 * fuzz_dns.c - the DNS response parser (dns_parse()) and name patterns
 * (dns_name_matches(), dns_pattern_valid()) of dns/msg.c, as the data path
 * uses them: the input is one DNS message as a pod's resolver receives it
 * (a UDP payload, or a TCP message without its 2-byte length).
 *
 * The input also goes to the pattern functions as text: the bytes up to
 * the first NUL are a pattern, the bytes after it (up to the next NUL) a
 * name, checked against a label-by-label model of dns.h's rules.
 *
 * The seeds in corpus/fuzz_dns/ come from `dns_test --write-seeds DIR`
 * (tests/unit/dns_test.c): answers (A, AAAA, CNAME chains with
 * compression, NXDOMAIN, MX, TXT, EDNS) and broken messages (pointer
 * loops, forward pointers, long labels and names, impossible counts,
 * records of the wrong size).
 *
 * Besides what ASan and UBSan catch, it aborts when:
 * - an error leaves bindings or a question name behind;
 * - DNS_OK gives more than DNS_BINDINGS_PER_ANSWER bindings, a question
 *   name that is not a valid pattern, a binding whose name is empty,
 *   longer than 253, not a valid name or not matched by itself, an
 *   address of another family than AF_INET/AF_INET6, a TTL over 2^31-1,
 *   two bindings of the same name and address, or bindings whose first
 *   one is not for the question's name;
 * - bytes appended to a message that parsed change what it parses to;
 * - dns_name_matches() disagrees with the model, or matches with a
 *   pattern dns_pattern_valid() refuses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "dns/dns.h"

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

#define TEXT_MAX 512
#define LABELS_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Kept between inputs: 18 KiB each, too big for the stack of a fuzzer. */
static struct dns_answer ans, again;

/* ---- a model of the patterns -------------------------------------------- */

struct labels {
	char text[TEXT_MAX];
	const char *l[LABELS_MAX];
	size_t n;
};

/*
 * Splits s (one trailing dot dropped, lowercased) into labels; false if a
 * label is empty or longer than 63, a byte is not [a-z0-9_-] (or '*' when
 * star is set), or the whole is longer than 253.
 */
static bool
split(const char *s, bool star, struct labels *out)
{
	size_t n = strlen(s), len = 0;
	char *p;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	memcpy(out->text, s, n);
	out->text[n] = '\0';
	out->n = 0;
	for (p = out->text; p != NULL && out->n < LABELS_MAX; ) {
		char *dot = strchr(p, '.');

		if (dot != NULL)
			*dot = '\0';
		len = strlen(p);
		if (len == 0 || len > 63)
			return false;
		for (size_t i = 0; i < len; i++) {
			char c = p[i];

			if (c >= 'A' && c <= 'Z')
				p[i] = (char)(c - 'A' + 'a');
			else if (!((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			    (star && c == '*')))
				return false;
		}
		out->l[out->n++] = p;
		p = dot != NULL ? dot + 1 : NULL;
	}
	return p == NULL;
}

static bool
model_valid(const char *pattern)
{
	static struct labels pl;

	if (!split(pattern, true, &pl))
		return false;
	for (size_t i = 0; i < pl.n; i++)
		if (strchr(pl.l[i], '*') != NULL &&
		    (i > 0 || strcmp(pl.l[i], "*") != 0 || pl.n == 1))
			return false;
	return true;
}

static bool
model_matches(const char *pattern, const char *name)
{
	static struct labels pl, nl;
	size_t skip;
	bool wild;

	if (!model_valid(pattern) || !split(pattern, true, &pl) ||
	    !split(name, false, &nl))
		return false;
	wild = strcmp(pl.l[0], "*") == 0;
	if (wild ? nl.n < pl.n : nl.n != pl.n)
		return false;
	skip = nl.n - pl.n;
	for (size_t i = wild ? 1 : 0; i < pl.n; i++)
		if (strcmp(pl.l[i], nl.l[skip + i]) != 0)
			return false;
	return true;
}

static void
check_match(const char *pattern, const char *name)
{
	bool m = dns_name_matches(pattern, name);

	CHECK(m == model_matches(pattern, name));
	CHECK(!m || dns_pattern_valid(pattern));
	CHECK(dns_pattern_valid(pattern) == model_valid(pattern));
}

/* The bytes of data[0..size) up to a NUL, as a string in out. */
static size_t
text(const uint8_t *data, size_t size, char *out)
{
	size_t n = 0;

	while (n < size && n < TEXT_MAX - 1 && data[n] != 0) {
		out[n] = (char)data[n];
		n++;
	}
	out[n] = '\0';
	return n;
}

/* ---- the parser ---------------------------------------------------------- */

static bool
same_answer(const struct dns_answer *a, const struct dns_answer *b)
{
	if (a->id != b->id || a->rcode != b->rcode || a->qtype != b->qtype ||
	    a->nb != b->nb || a->more != b->more ||
	    strcmp(a->qname, b->qname) != 0)
		return false;
	for (size_t i = 0; i < a->nb; i++)
		if (strcmp(a->b[i].name, b->b[i].name) != 0 ||
		    !sluice_addr_eq(&a->b[i].addr, &b->b[i].addr) ||
		    a->b[i].ttl != b->b[i].ttl)
			return false;
	return true;
}

static void
check_answer(enum dns_result r)
{
	char w[DNS_NAME_MAX + 2];

	CHECK((unsigned)r < DNS_RESULT__COUNT);
	CHECK(strcmp(dns_result_str(r), "unknown") != 0);
	CHECK(ans.nb <= DNS_BINDINGS_PER_ANSWER);
	if (r != DNS_OK) {
		CHECK(ans.nb == 0 && ans.qname[0] == '\0');
		return;
	}
	if (ans.qname[0] != '\0') {
		CHECK(dns_pattern_valid(ans.qname));
		check_match(ans.qname, ans.qname);
	}
	CHECK(ans.nb == 0 || strcmp(ans.b[0].name, ans.qname) == 0);
	for (size_t i = 0; i < ans.nb; i++) {
		const struct dns_binding *b = &ans.b[i];
		size_t n = strnlen(b->name, DNS_NAME_MAX);
		const char *dot = strchr(b->name, '.');

		CHECK(n > 0 && n <= 253);
		CHECK(dns_pattern_valid(b->name) && b->name[0] != '*');
		CHECK(dns_name_matches(b->name, b->name));
		CHECK(b->addr.family == AF_INET || b->addr.family == AF_INET6);
		CHECK(b->ttl <= 0x7fffffffu);
		if (dot != NULL) {
			snprintf(w, sizeof(w), "*%s", dot);
			check_match(w, b->name);
			CHECK(dns_name_matches(w, b->name));
		}
		check_match(ans.qname, b->name);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(ans.b[j].name, b->name) != 0 ||
			    !sluice_addr_eq(&ans.b[j].addr, &b->addr));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char pattern[TEXT_MAX], name[TEXT_MAX];
	enum dns_result r;
	uint8_t *longer;
	size_t n;

	r = dns_parse(data, size, &ans);
	check_answer(r);

	/* Whatever follows a message is not part of it. */
	if (r == DNS_OK && size < 65535) {
		CHECK((longer = malloc(size + 1)) != NULL);
		memcpy(longer, data, size);
		longer[size] = size > 0 ? data[0] : 0;
		CHECK(dns_parse(longer, size + 1, &again) == DNS_OK);
		CHECK(same_answer(&ans, &again));
		free(longer);
	}

	n = text(data, size, pattern);
	text(n < size ? data + n + 1 : data + size,
	    n < size ? size - n - 1 : 0, name);
	check_match(pattern, name);
	check_match(pattern, pattern);
	if (r == DNS_OK) {
		check_match(pattern, ans.qname);
		for (size_t i = 0; i < ans.nb; i++)
			check_match(pattern, ans.b[i].name);
	}
	return 0;
}
