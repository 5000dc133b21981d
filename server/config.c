/*
 * config.c -- the option table: one row per setting gives its flag, its
 * environment variable, its config-file key, its default and its help line.
 * Precedence: flags, then environment, then the config file, then defaults.
 */
#include "foliod.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct config cfg;

enum opt_type { OPT_STR, OPT_LONG, OPT_BOOL, OPT_LIST };

struct option_row {
	const char *name;     /* --name and "name = value" in the file */
	enum opt_type type;
	void *ptr;
	const char *env;
	const char *dflt;
	const char *help;
};

static const struct option_row options[] = {
	{ "config", OPT_STR, &cfg.config_file, "FOLIO_CONFIG", NULL, "read settings from this file" },
	{ "database-url", OPT_STR, &cfg.database_url, "FOLIO_DATABASE_URL", "",
	    "libpq connection string or URI (PG* variables apply too)" },
	{ "listen", OPT_STR, &cfg.listen, "FOLIO_LISTEN", "127.0.0.1:8080", "address:port to serve on" },
	{ "tls-cert", OPT_STR, &cfg.tls_cert, "FOLIO_TLS_CERT", "",
	    "PEM certificate chain: serve HTTPS and wss:// (TLS 1.2+); read again on SIGHUP" },
	{ "tls-key", OPT_STR, &cfg.tls_key, "FOLIO_TLS_KEY", "", "PEM private key of --tls-cert" },
	{ "smtp-url", OPT_STR, &cfg.smtp_url, "FOLIO_SMTP_URL", "", "smtp://host:port or smtps://host:port" },
	{ "smtp-user", OPT_STR, &cfg.smtp_user, "FOLIO_SMTP_USER", "", "SMTP login name" },
	{ "smtp-password", OPT_STR, &cfg.smtp_password, "FOLIO_SMTP_PASSWORD", "", "SMTP password" },
	{ "mail-from", OPT_STR, &cfg.mail_from, "FOLIO_MAIL_FROM", "folio@localhost", "sender of mails" },
	{ "smtp-tls", OPT_STR, &cfg.smtp_tls, "FOLIO_SMTP_TLS", "auto",
	    "smtp:// STARTTLS: auto (required with a login, else if offered), starttls, none" },
	{ "mail-retry-seconds", OPT_LONG, &cfg.mail_retry_seconds, "FOLIO_MAIL_RETRY_SECONDS", "30",
	    "first retry of an undelivered mail; doubles up to an hour" },
	{ "public-url", OPT_STR, &cfg.public_url, "FOLIO_PUBLIC_URL", "http://127.0.0.1:8080",
	    "base URL used in links in mails" },
	{ "sql-dir", OPT_STR, &cfg.sql_dir, "FOLIO_SQL_DIR", FOLIO_SQL_DIR, "folder of numbered migrations" },
	{ "log-level", OPT_STR, &cfg.log_level, "FOLIO_LOG_LEVEL", "info", "debug, info, warn or error" },
	{ "log-to", OPT_STR, &cfg.log_to, "FOLIO_LOG_TO", "stderr", "where log lines go: stderr or journald" },
	{ "trusted-proxy", OPT_LIST, &cfg.trusted_proxy, "FOLIO_TRUSTED_PROXY", "",
	    "CIDR of a reverse proxy whose X-Forwarded-For is believed (repeat, or comma-separate)" },
	{ "metrics-listen", OPT_STR, &cfg.metrics_listen, "FOLIO_METRICS_LISTEN", "",
	    "address:port of GET /metrics (Prometheus); empty: off" },
	{ "db-threads", OPT_LONG, &cfg.db_threads, "FOLIO_DB_THREADS", "4", "database connections (threads)" },
	{ "max-body", OPT_LONG, &cfg.max_body, "FOLIO_MAX_BODY", "1048576", "largest JSON body in bytes" },
	{ "max-upload", OPT_LONG, &cfg.max_upload, "FOLIO_MAX_UPLOAD", "104857600", "largest upload in bytes" },
	{ "json-depth", OPT_LONG, &cfg.json_depth, "FOLIO_JSON_DEPTH", "32", "deepest JSON nesting" },
	{ "json-string", OPT_LONG, &cfg.json_string, "FOLIO_JSON_STRING", "262144",
	    "longest JSON string in bytes" },
	{ "session-days", OPT_LONG, &cfg.session_days, "FOLIO_SESSION_DAYS", "30", "days a login lasts" },
	{ "session-idle-minutes", OPT_LONG, &cfg.session_idle_minutes, "FOLIO_SESSION_IDLE_MINUTES", "30",
	    "minutes a staff login lasts unused; 0: no idle limit" },
	{ "contact-idle-minutes", OPT_LONG, &cfg.contact_idle_minutes, "FOLIO_CONTACT_IDLE_MINUTES", "30",
	    "minutes a contact's login lasts unused; 0: no idle limit" },
	{ "event-queue", OPT_LONG, &cfg.event_queue, "FOLIO_EVENT_QUEUE", "1000",
	    "events queued for one subscriber before it is cut off" },
	{ "event-retention-days", OPT_LONG, &cfg.event_retention_days, "FOLIO_EVENT_RETENTION_DAYS", "30",
	    "days events stay replayable" },
	{ "event-ping-seconds", OPT_LONG, &cfg.event_ping, "FOLIO_EVENT_PING_SECONDS", "30",
	    "idle seconds before a WebSocket ping; hang up when no pong follows" },
	{ "body-min-rate", OPT_LONG, &cfg.body_min_rate, "FOLIO_BODY_MIN_RATE", "1024",
	    "bytes per second a request body must average after 5 s, else 408; 0: off" },
	{ "max-streams-per-user", OPT_LONG, &cfg.max_streams_per_user, "FOLIO_MAX_STREAMS_PER_USER", "20",
	    "event WebSockets one user may hold open; more are closed with 4429" },
	{ "allowed-origin", OPT_LIST, &cfg.allowed_origin, "FOLIO_ALLOWED_ORIGIN", "",
	    "browser Origin allowed to open the event stream besides public-url's (repeat)" },
	{ "test-clock", OPT_BOOL, &cfg.test_clock, NULL, "0", "allow POST /api/v1/test/clock (tests only)" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static int
config_set(const struct option_row *o, const char *value, const char *from)
{
	char *end;
	long v;

	switch (o->type) {
	case OPT_STR:
		/* Every string setting is ours (a default is copied too): drop the one replaced. */
		free((char *)*(const char **)o->ptr);
		*(const char **)o->ptr = xstrdup(value);
		return 0;
	case OPT_LIST: {
		/* A repeated flag or file line adds to the list; the default is empty. */
		const char *old = *(const char **)o->ptr;
		char *joined = xasprintf("%s%s%s", old && *old ? old : "", old && *old ? "," : "", value);

		free((char *)old);
		*(const char **)o->ptr = joined;
		return 0;
	}
	case OPT_BOOL:
		*(bool *)o->ptr = strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "yes") == 0;
		return 0;
	case OPT_LONG:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end != '\0' || v < 0) {
			fprintf(stderr, "foliod: %s: %s wants a number, not \"%s\"\n", from, o->name, value);
			return -1;
		}
		*(long *)o->ptr = v;
		return 0;
	}
	return -1;
}

/* Settings that take one of a few words. */
static int
config_check_words(void)
{
	static const char *levels[] = { "debug", "info", "warn", "error", NULL };
	static const char *dests[] = { "stderr", "journald", NULL };
	static const struct {
		const char *name, *const *value, *const *words;
	} rows[] = {
		{ "log-level", &cfg.log_level, levels },
		{ "log-to", &cfg.log_to, dests },
	};
	size_t i, k;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		for (k = 0; rows[i].words[k]; k++)
			if (strcmp(*rows[i].value, rows[i].words[k]) == 0)
				break;
		if (rows[i].words[k] == NULL) {
			fprintf(stderr, "foliod: %s: \"%s\" is not one of", rows[i].name, *rows[i].value);
			for (k = 0; rows[i].words[k]; k++)
				fprintf(stderr, " %s", rows[i].words[k]);
			fprintf(stderr, "\n");
			return -1;
		}
	}
	return 0;
}

static const struct option_row *
config_find(const char *name, size_t len)
{
	const struct option_row *o;

	for (o = options; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Reads "key = value" lines; '#' starts a comment. Keys already set by flags or env win. */
static int
config_file(const char *path, const bool *set)
{
	const struct option_row *o;
	char line[4096], *eq, *key, *val;
	FILE *fp = fopen(path, "r");
	int lineno = 0;

	if (fp == NULL) {
		fprintf(stderr, "foliod: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		key = trim(line);
		if (*key == '#' || *key == '\0')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			fprintf(stderr, "foliod: %s:%d: expected name = value\n", path, lineno);
			fclose(fp);
			return -1;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		if ((o = config_find(key, strlen(key))) == NULL) {
			fprintf(stderr, "foliod: %s:%d: unknown setting %s\n", path, lineno, key);
			fclose(fp);
			return -1;
		}
		if (!set[o - options] && config_set(o, val, path) != 0) {
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	return 0;
}

int
config_load(int *argc, char ***argv)
{
	const struct option_row *o;
	bool set[sizeof options / sizeof options[0]] = { false };
	char **av = *argv, *arg, *eq;
	const char *val;
	int i, out = 1;

	for (o = options; o->name; o++)
		if (o->dflt)
			config_set(o, o->dflt, "default");
	/* Flags first: they win over everything. Leave non-option words in argv. */
	for (i = 1; i < *argc; i++) {
		arg = av[i];
		if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--help") == 0 ||
		    strcmp(arg, "--version") == 0 || strcmp(arg, "--list-routes") == 0) {
			av[out++] = arg;
			continue;
		}
		eq = strchr(arg + 2, '=');
		o = config_find(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (o == NULL) {
			av[out++] = arg; /* a subcommand's own flag */
			continue;
		}
		if (o->type == OPT_BOOL && eq == NULL)
			val = "1";
		else if (eq)
			val = eq + 1;
		else if (i + 1 < *argc)
			val = av[++i];
		else {
			fprintf(stderr, "foliod: --%s needs a value\n", o->name);
			return -1;
		}
		if (config_set(o, val, "flag") != 0)
			return -1;
		set[o - options] = true;
	}
	av[out] = NULL;
	*argc = out;
	for (o = options; o->name; o++)
		if (!set[o - options] && o->env && (val = getenv(o->env)) != NULL && *val) {
			if (config_set(o, val, o->env) != 0)
				return -1;
			set[o - options] = true;
		}
	if (cfg.config_file && config_file(cfg.config_file, set) != 0)
		return -1;
	if (cfg.event_ping < 1 || cfg.event_ping > 3600 || cfg.event_queue < 1) {
		fprintf(stderr, "foliod: event-ping-seconds must be 1 to 3600, event-queue at least 1\n");
		return -1;
	}
	if (cfg.db_threads < 1 || cfg.db_threads > 64) {
		fprintf(stderr, "foliod: db-threads must be 1 to 64\n");
		return -1;
	}
	if (config_check_words() != 0 || proxy_configure(cfg.trusted_proxy) != 0)
		return -1;
	return 0;
}

void
config_usage(FILE *fp)
{
	const struct option_row *o;

	fprintf(fp, "usage: foliod [options] migrate [--status] | serve | check\n"
		    "       foliod [options] create-firm --name N --owner-email E\n"
		    "       foliod --help | --version | --list-routes\n\noptions:\n");
	for (o = options; o->name; o++)
		fprintf(fp, "  --%-22s %s%s%s%s%s\n", o->name, o->help, o->env ? " [" : "",
		    o->env ? o->env : "", o->env ? "]" : "", "");
}
