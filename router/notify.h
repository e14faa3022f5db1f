/*
 * notify.h - the systemd service protocol (sd_notify): READY, STATUS,
 * RELOADING, STOPPING and the watchdog. Every call is a no-op when the
 * daemon was not started by systemd (no NOTIFY_SOCKET).
 */
#ifndef SLUICE_ROUTER_NOTIFY_H
#define SLUICE_ROUTER_NOTIFY_H

#include <uv.h>

#include "common/log.h"

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) LOG_PRINTF(1, 2);

/*
 * Starts pinging the watchdog at half the interval systemd asked for, if
 * it asked. The timer is embedded in the caller's storage, which must
 * stay valid until notify_watchdog_stop()'s close has run.
 */
void notify_watchdog_start(uv_loop_t *loop, uv_timer_t *timer);
void notify_watchdog_stop(uv_timer_t *timer);

#endif
