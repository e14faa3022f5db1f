#include "router/notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

void
notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status,
	    (unsigned long)getpid());
}

void
notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading manifests");
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void
notify_status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}

static void
on_watchdog(uv_timer_t *t)
{
	sd_notify(0, "WATCHDOG=1");
}

void
notify_watchdog_start(uv_loop_t *loop, uv_timer_t *timer)
{
	uint64_t usec = 0;

	uv_timer_init(loop, timer);
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	log_info("watchdog: pinging systemd every %llu ms",
	    (unsigned long long)(usec / 2000));
	sd_notify(0, "WATCHDOG=1");
	uv_timer_start(timer, on_watchdog, usec / 2000, usec / 2000);
}

void
notify_watchdog_stop(uv_timer_t *timer)
{
	uv_timer_stop(timer);
	if (!uv_is_closing((uv_handle_t *)timer))
		uv_close((uv_handle_t *)timer, NULL);
}
