/*
 * systemd.c -- foliod under systemd, through libsystemd: the readiness
 * protocol (READY=1 once the database answers and migrations are current,
 * STATUS=, STOPPING=1 on SIGTERM), watchdog pings from a timer on the loop,
 * and log lines to the journal (--log-to journald).
 * Everything here is harmless without systemd: sd_notify() does nothing when
 * NOTIFY_SOCKET is unset, and the journal is used only when asked for.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/stat.h>
#include <unistd.h>

/* sd-journal.h brings <syslog.h>, whose LOG_DEBUG and LOG_INFO would hide log.h's levels. */
#undef LOG_DEBUG
#undef LOG_INFO

/*
 * The pool counts as stuck when jobs have waited this long with none taken:
 * longer than the 60 s statement timeout, so slow queries alone never stop
 * the pings. A database that is down is not stuck (jobs answer 503 at once),
 * and restarting foliod would not bring it back.
 */
#define SYSTEMD_POOL_STALL_S 75

static struct {
	struct lws_context *ctx;
	lws_sorted_usec_list_t sul;
	uint64_t interval_us;    /* half of WATCHDOG_USEC; 0: no watchdog */
	bool warned;
} sd;

void
systemd_status(const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", text);
}

/* A ping only while the loop runs (this is its timer) and the pool moves. */
static void
systemd_watchdog_tick(lws_sorted_usec_list_t *sul)
{
	if (!metrics_pool_stalled(SYSTEMD_POOL_STALL_S)) {
		sd_notify(0, "WATCHDOG=1");
		sd.warned = false;
	} else if (!sd.warned) {
		sd.warned = true;
		log_error("watchdog: no database job started for %d s; pings stop",
		    SYSTEMD_POOL_STALL_S);
		systemd_status("stuck: the database pool makes no progress");
	}
	lws_sul_schedule(sd.ctx, 0, &sd.sul, systemd_watchdog_tick, (lws_usec_t)sd.interval_us);
}

void
systemd_ready(struct lws_context *ctx, const char *fmt, ...)
{
	char text[256];
	uint64_t usec = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", text, (unsigned long)getpid());
	/* WATCHDOG_USEC (and WATCHDOG_PID, when set, naming us): ping at half of it. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		sd.ctx = ctx;
		sd.interval_us = usec / 2;
		log_info("watchdog: pinging every %llu ms", (unsigned long long)(sd.interval_us / 1000));
		systemd_watchdog_tick(&sd.sul);
	}
}

void
systemd_stopping(int inflight)
{
	if (sd.ctx) {
		lws_sul_cancel(&sd.sul);
		sd.ctx = NULL;
	}
	sd_notifyf(0, "STOPPING=1\nSTATUS=stopping: %d requests in flight", inflight);
}

/* A log line to the journal: the JSON line as MESSAGE, its level as PRIORITY. */
static void
systemd_journal_sink(enum log_level level, const char *line)
{
	/* syslog(3)'s debug, info, warning, err (its names are undefined above). */
	static const int prio[] = { 7, 6, 4, 3 };

	sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", prio[level], "SYSLOG_IDENTIFIER=foliod",
	    NULL);
}

int
systemd_log_to(const char *dest)
{
	struct stat st;

	if (strcmp(dest, "journald") != 0) {
		log_set_sink(NULL);
		return 0;
	}
	/* No journal here (a container, a test): say so on stderr and keep logging there. */
	if (stat("/run/systemd/journal/socket", &st) != 0 || !S_ISSOCK(st.st_mode)) {
		log_warn("log-to journald: no journal socket (/run/systemd/journal/socket); "
			 "logging to stderr");
		return 0;
	}
	log_set_sink(systemd_journal_sink);
	return 0;
}
