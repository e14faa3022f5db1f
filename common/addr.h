/*
 * addr.h - IP addresses and prefixes as small value types, IPv4 and IPv6
 * alike. Addresses are kept in network byte order.
 */
#ifndef SLUICE_COMMON_ADDR_H
#define SLUICE_COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sluice_addr {
	int family;			/* AF_INET or AF_INET6; 0 unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	} u;
};

struct sluice_prefix {
	struct sluice_addr addr;	/* host bits are zero */
	uint8_t len;
};

#define SLUICE_ADDRSTRLEN 46		/* INET6_ADDRSTRLEN */
#define SLUICE_PREFIXSTRLEN 50		/* address, '/', up to 3 digits */

/* Bytes of an address of this family: 4, 16, or 0 if unknown. */
size_t sluice_addr_len(int family);

/* Parses an IPv4 or IPv6 address. Returns 0 or -EINVAL. */
int sluice_addr_parse(const char *s, struct sluice_addr *out);
/* Formats into buf (at least SLUICE_ADDRSTRLEN); returns buf. */
const char *sluice_addr_str(const struct sluice_addr *a, char *buf,
    size_t size);
bool sluice_addr_eq(const struct sluice_addr *a, const struct sluice_addr *b);

/*
 * Parses "ADDR/LEN". Host bits must be zero unless allow_host_bits (then
 * they are cleared). Returns 0 or -EINVAL.
 */
int sluice_prefix_parse(const char *s, bool allow_host_bits,
    struct sluice_prefix *out);
const char *sluice_prefix_str(const struct sluice_prefix *p, char *buf,
    size_t size);
bool sluice_prefix_contains(const struct sluice_prefix *p,
    const struct sluice_addr *a);
/* True if the two prefixes share any address. */
bool sluice_prefix_overlaps(const struct sluice_prefix *a,
    const struct sluice_prefix *b);

#endif
