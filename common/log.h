/*
 * log.h - the one logging interface of sluice programs.
 *
 * Messages go to stderr with a level. When stderr is connected to the
 * systemd journal (JOURNAL_STREAM names it), each line carries the
 * "<N>" priority prefix the journal understands and no timestamp, since
 * the journal keeps its own. log_warn() and fatal() append strerror(errno).
 */
#ifndef SLUICE_COMMON_LOG_H
#define SLUICE_COMMON_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

#define LOG_PRINTF(a, b) __attribute__((__format__(printf, a, b)))

/* Sets the program name shown in messages; the string must outlive logging. */
void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
/* From now on, send messages to syslog(3) instead of stderr (daemon mode). */
void log_to_syslog(void);
enum log_level log_get_level(void);

/* Parses "error", "warn", "info" or "debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
/* Errors that are not fatal; no errno appended. */
void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);

/* For startup failures and broken invariants only; exits with status 1. */
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * Rate limiting for messages about bad input: returns true at most
 * `burst` times per `interval_ms`, counting the rest in *suppressed.
 * Safe to share between threads (the data-path workers share theirs); at
 * a window's turn a racing thread may see one message more or less.
 */
struct log_ratelimit {
	_Atomic unsigned long long window_start_ms;
	unsigned int interval_ms;
	unsigned int burst;
	_Atomic unsigned int used;
	_Atomic unsigned long long suppressed;
};

#define LOG_RATELIMIT_INIT(interval, n) { 0, (interval), (n), 0, 0 }

bool log_ratelimit_ok(struct log_ratelimit *rl);

#endif
