#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "sluice";
static enum log_level cur_level = LOG_LEVEL_INFO;
static int journal = -1;	/* -1: not yet checked */
static int use_syslog;

static const char *const names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* sd-daemon(3) priorities: err, warning, info, debug. */
static const int prio[] = { 3, 4, 6, 7 };

/*
 * JOURNAL_STREAM is "dev:ino" of the stream the journal gave us; it only
 * counts if stderr is still that stream (a child may have redirected it).
 */
static int
on_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level level)
{
	prog = progname;
	cur_level = level;
	journal = on_journal();
}

void
log_to_syslog(void)
{
	openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = 1;
}

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return 0;
	}
	return -EINVAL;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[level];
}

static void vlog(enum log_level level, int errnum, const char *fmt,
    va_list ap) LOG_PRINTF(3, 0);

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (level > cur_level)
		return;
	if (journal < 0)
		journal = on_journal();
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_syslog) {
		if (errnum)
			syslog(prio[level], "%s: %s", msg, strerror(errnum));
		else
			syslog(prio[level], "%s", msg);
	} else if (journal) {
		if (errnum)
			fprintf(stderr, "<%d>%s: %s\n", prio[level], msg,
			    strerror(errnum));
		else
			fprintf(stderr, "<%d>%s\n", prio[level], msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		if (errnum)
			fprintf(stderr, "%s.%03ldZ %s %s: %s: %s\n", when,
			    ts.tv_nsec / 1000000, prog, names[level], msg,
			    strerror(errnum));
		else
			fprintf(stderr, "%s.%03ldZ %s %s: %s\n", when,
			    ts.tv_nsec / 1000000, prog, names[level], msg);
	}
	fflush(stderr);
	errno = saved;
}

#define DEFINE_LOG(name, level, with_errno)                                   \
	void name(const char *fmt, ...)                                       \
	{                                                                     \
		int e = errno;                                                \
		va_list ap;                                                   \
		va_start(ap, fmt);                                            \
		vlog(level, with_errno ? e : 0, fmt, ap);                     \
		va_end(ap);                                                   \
	}

DEFINE_LOG(log_error, LOG_LEVEL_ERROR, 0)
DEFINE_LOG(log_warn, LOG_LEVEL_WARN, 1)
DEFINE_LOG(log_warnx, LOG_LEVEL_WARN, 0)
DEFINE_LOG(log_info, LOG_LEVEL_INFO, 0)
DEFINE_LOG(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

bool
log_ratelimit_ok(struct log_ratelimit *rl)
{
	struct timespec ts;
	unsigned long long now, start;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	start = atomic_load_explicit(&rl->window_start_ms,
	    memory_order_relaxed);
	/* The thread that moves the window on starts the new burst. */
	if (now - start >= rl->interval_ms &&
	    atomic_compare_exchange_strong(&rl->window_start_ms, &start, now))
		atomic_store(&rl->used, 0);
	if (atomic_load_explicit(&rl->used, memory_order_relaxed) <
	    rl->burst && atomic_fetch_add(&rl->used, 1) < rl->burst)
		return true;
	atomic_fetch_add_explicit(&rl->suppressed, 1, memory_order_relaxed);
	return false;
}
