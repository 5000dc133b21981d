/*
 * check.c -- `foliod check`: is this instance's configuration in order?
 * One line per check ("ok NAME: detail" or "FAIL NAME: why"), every check
 * run even after a failure, exit status 0 only when all pass, so monitoring
 * and a deployment script can both use it. It reads; it never migrates.
 */
#include "foliod.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

struct check_run {
	int failed;
};

static void
check_line(struct check_run *run, bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
check_line(struct check_run *run, bool ok, const char *name, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	printf("%-4s %s: %s\n", ok ? "ok" : "FAIL", name, text);
	fflush(stdout);
	run->failed += !ok;
}

/* What config_load cannot see alone: addresses that must parse, a URL's scheme. */
static void
check_config(struct check_run *run)
{
	char iface[128];
	int port;

	if (http_parse_listen(cfg.listen, iface, sizeof iface, &port) != 0)
		check_line(run, false, "config", "listen \"%s\" is not host:port", cfg.listen);
	else if (*cfg.metrics_listen &&
	    http_parse_listen(cfg.metrics_listen, iface, sizeof iface, &port) != 0)
		check_line(run, false, "config", "metrics-listen \"%s\" is not host:port",
		    cfg.metrics_listen);
	else if (*cfg.smtp_url && strncmp(cfg.smtp_url, "smtp://", 7) != 0 &&
	    strncmp(cfg.smtp_url, "smtps://", 8) != 0)
		check_line(run, false, "config", "smtp-url must start with smtp:// or smtps://");
	else if (strcmp(cfg.smtp_tls, "auto") != 0 && strcmp(cfg.smtp_tls, "starttls") != 0 &&
	    strcmp(cfg.smtp_tls, "none") != 0)
		check_line(run, false, "config", "smtp-tls must be auto, starttls or none");
	else
		check_line(run, true, "config", "%s", cfg.config_file ? cfg.config_file : "valid");
}

/* The TLS pair, when one is configured: both files read and the key fits. */
static void
check_tls(struct check_run *run)
{
	char err[512];

	if (!tls_enabled() && cfg.tls_key[0] == '\0')
		return;
	if (tls_check(err, sizeof err) != 0)
		check_line(run, false, "tls", "%s", err);
	else
		check_line(run, true, "tls", "%s and its key load", cfg.tls_cert);
}

static void
check_database(struct check_run *run, struct db *db)
{
	struct migrate_state st;

	if (db_connect(db) != 0) {
		check_line(run, false, "database", "cannot connect (database-url)");
		check_line(run, false, "migrations", "unknown: no database");
		return;
	}
	check_line(run, true, "database", "connected");
	if (migrate_state(db, &st) != 0)
		check_line(run, false, "migrations", "cannot read schema_migrations");
	else if (migrate_current(&st))
		check_line(run, true, "migrations", "current (%s)", st.newest_applied);
	else if (st.pending)
		check_line(run, false, "migrations", "%zu pending (run foliod migrate)", st.pending);
	else
		check_line(run, false, "migrations", "the database is newer than this release (%s)",
		    st.newest_applied);
}

static void
check_smtp(struct check_run *run)
{
	char err[CURL_ERROR_SIZE + 64];

	if (*cfg.smtp_url == '\0') {
		check_line(run, false, "smtp", "no smtp-url: mail would stay in the outbox");
		return;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		check_line(run, false, "smtp", "libcurl failed to start");
		return;
	}
	if (mail_smtp_probe(err, sizeof err) == 0)
		check_line(run, true, "smtp", "%s answers", cfg.smtp_url);
	else
		check_line(run, false, "smtp", "%s: %s", cfg.smtp_url, err);
	curl_global_cleanup();
}

int
check_cli(void)
{
	struct check_run run = { 0 };
	struct db db = { 0 };

	check_config(&run);
	check_tls(&run);
	check_database(&run, &db);
	db_close(&db);
	check_smtp(&run);
	return run.failed ? 1 : 0;
}
