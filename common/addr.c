#include "common/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
sluice_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int
sluice_addr_parse(const char *s, struct sluice_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->u.v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->u.v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *
sluice_addr_str(const struct sluice_addr *a, char *buf, size_t size)
{
	if (a->family == 0 || inet_ntop(a->family, &a->u, buf,
	    (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
	return buf;
}

bool
sluice_addr_eq(const struct sluice_addr *a, const struct sluice_addr *b)
{
	return a->family == b->family &&
	    memcmp(&a->u, &b->u, sluice_addr_len(a->family)) == 0;
}

/* Does a match b in the first len bits? */
static bool
bits_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static void
clear_host_bits(struct sluice_addr *a, unsigned len)
{
	size_t n = sluice_addr_len(a->family);

	for (size_t i = 0; i < n; i++) {
		if (len >= 8 * (i + 1))
			continue;
		if (len <= 8 * i)
			a->u.b[i] = 0;
		else
			a->u.b[i] &= (uint8_t)(0xff << (8 - (len - 8 * i)));
	}
}

int
sluice_prefix_parse(const char *s, bool allow_host_bits,
    struct sluice_prefix *out)
{
	char buf[SLUICE_PREFIXSTRLEN + 1], *slash, *end;
	struct sluice_addr clean;
	unsigned long len;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash == NULL || slash[1] == '\0')
		return -EINVAL;
	*slash = '\0';
	if (sluice_addr_parse(buf, &out->addr) != 0)
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0 || slash[1] < '0' || slash[1] > '9' ||
	    len > 8 * sluice_addr_len(out->addr.family))
		return -EINVAL;
	out->len = (uint8_t)len;
	clean = out->addr;
	clear_host_bits(&clean, out->len);
	if (!sluice_addr_eq(&clean, &out->addr) && !allow_host_bits)
		return -EINVAL;
	out->addr = clean;
	return 0;
}

const char *
sluice_prefix_str(const struct sluice_prefix *p, char *buf, size_t size)
{
	char a[SLUICE_ADDRSTRLEN];

	snprintf(buf, size, "%s/%u", sluice_addr_str(&p->addr, a, sizeof(a)),
	    p->len);
	return buf;
}

bool
sluice_prefix_contains(const struct sluice_prefix *p,
    const struct sluice_addr *a)
{
	return p->addr.family == a->family &&
	    bits_eq(p->addr.u.b, a->u.b, p->len);
}

bool
sluice_prefix_overlaps(const struct sluice_prefix *a,
    const struct sluice_prefix *b)
{
	unsigned len = a->len < b->len ? a->len : b->len;

	return a->addr.family == b->addr.family &&
	    bits_eq(a->addr.u.b, b->addr.u.b, len);
}
