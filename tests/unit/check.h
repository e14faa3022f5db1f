/*
 * check.h - the assertions and the random source of the unit tests.
 *
 * A failed assertion prints where and what, then aborts: the remaining
 * tests of that binary would only report follow-on failures. Tests run in
 * the order main() lists them, each announced on stdout, so a failure
 * shows which test it belongs to.
 *
 * Random inputs come from a fixed seed so a failure reproduces; set
 * SLUICE_TEST_SEED to try another one (the seed in use is printed).
 */
#ifndef SLUICE_TESTS_UNIT_CHECK_H
#define SLUICE_TESTS_UNIT_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FAIL(...)                                                       \
	do {                                                                  \
		fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__); \
		fprintf(stderr, __VA_ARGS__);                                 \
		fputc('\n', stderr);                                          \
		abort();                                                      \
	} while (0)

#define ASSERT(cond)                                                          \
	do {                                                                  \
		if (!(cond))                                                  \
			CHECK_FAIL("assertion failed: %s", #cond);            \
	} while (0)

/* Integers of any type, compared and printed as intmax_t. */
#define ASSERT_EQ(a, b)                                                       \
	do {                                                                  \
		intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);              \
		if (a_ != b_)                                                 \
			CHECK_FAIL("%s == %s: %jd != %jd", #a, #b, a_, b_);   \
	} while (0)

#define ASSERT_NE(a, b)                                                       \
	do {                                                                  \
		intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);              \
		if (a_ == b_)                                                 \
			CHECK_FAIL("%s != %s: both %jd", #a, #b, a_);         \
	} while (0)

#define ASSERT_OK(x) ASSERT_EQ((x), 0)

#define ASSERT_STR_EQ(a, b)                                                   \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)          \
			CHECK_FAIL("%s == %s:\n  \"%s\"\n  \"%s\"", #a, #b,   \
			    a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
	} while (0)

/* Haystack must contain needle. */
#define ASSERT_STR_HAS(hay, needle)                                           \
	do {                                                                  \
		const char *h_ = (hay), *n_ = (needle);                       \
		if (h_ == NULL || strstr(h_, n_) == NULL)                     \
			CHECK_FAIL("%s does not contain \"%s\":\n  \"%s\"",   \
			    #hay, n_, h_ ? h_ : "(null)");                    \
	} while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                \
	do {                                                                  \
		if (memcmp((a), (b), (n)) != 0)                               \
			CHECK_FAIL("%s and %s differ in the first %zu bytes", \
			    #a, #b, (size_t)(n));                             \
	} while (0)

#define RUN(fn)                                                               \
	do {                                                                  \
		printf("%s\n", #fn);                                          \
		fflush(stdout);                                               \
		fn();                                                         \
	} while (0)

/* xorshift64*: small, fast and plenty for generating test inputs. */
static uint64_t check_rng_state = 0x9e3779b97f4a7c15ull;

static inline void
check_seed(void)
{
	const char *s = getenv("SLUICE_TEST_SEED");

	if (s != NULL && *s != '\0')
		check_rng_state = strtoull(s, NULL, 0);
	if (check_rng_state == 0)
		check_rng_state = 1;
	printf("seed %" PRIu64 "\n", check_rng_state);
}

static inline uint64_t
check_rand(void)
{
	check_rng_state ^= check_rng_state >> 12;
	check_rng_state ^= check_rng_state << 25;
	check_rng_state ^= check_rng_state >> 27;
	return check_rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform enough in [0, n); n must be > 0. */
static inline uint64_t
check_below(uint64_t n)
{
	return check_rand() % n;
}

#endif
