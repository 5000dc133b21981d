/*
 * folio.c -- main(): global options, the subcommand table, and the
 * interactive client when no subcommand is given. The same table gives
 * `folio --help`; --list-keys and --list-options print the key and option
 * tables; man/folio.1 names every row of the three (tests/tui checks).
 */
#include "folio.h"
#include "log.h"
#include "mem.h"
#include "proto.h"

#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, const char *server_flag);
	const char *usage;
};

static const struct command commands[] = {
	{ "login", cmd_login, "login [--server URL] [--email EMAIL] [--firm ID] [--totp CODE]" },
	{ "logout", cmd_logout, "logout" },
	{ "accounts", cmd_accounts, "accounts [--unread] [--json]" },
	{ "threads", cmd_threads, "threads --account NAME [--archived] [--json]" },
	{ "send", cmd_send, "send --account NAME (--template NAME | --subject S --body-file F|-) "
			    "[--remind DAYS:COUNT] [--attach FILE]..." },
	{ "tail", cmd_tail, "tail [--json] [--since ID]" },
	{ "totp", cmd_totp, "totp [status | enrol | disable | recovery-codes]" },
	{ "audit", cmd_audit, "audit [--type KIND] [--actor ID] [--since TIME] [--until TIME] [--json]" },
	{ NULL, NULL, NULL },
};

static void
folio_usage(FILE *fp)
{
	const struct command *c;

	fprintf(fp, "usage: folio [--server URL] [--ca FILE] [command]\n"
		    "       folio --list-keys | --list-options\n"
		    "Without a command, folio runs the interactive client.\n"
		    "commands:\n");
	for (c = commands; c->name; c++)
		fprintf(fp, "  folio %s\n", c->usage);
}

/* Every key binding: mode, key, action and the action's help, tab-separated. */
static void
folio_list_keys(void)
{
	const struct binding *b = NULL;
	const struct action *a;
	size_t n, i;

	b = keymap_bindings(&n);
	for (i = 0; i < n; i++) {
		if (b[i].action == NULL)
			continue;
		a = action_find(b[i].action);
		printf("%s\t%s\t%s\t%s\n", b[i].mode, keymap_key_name(b[i].key), b[i].action,
		    a ? a->help : "");
	}
}

/* Every option: name, choices, default and help, tab-separated. */
static void
folio_list_options(void)
{
	const struct setting *o;
	size_t n, i;

	o = options_table(&n);
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\n", o[i].name, o[i].values, o[i].def, o[i].help);
}

/* Starts the interactive client with the stored session. */
static int
folio_interactive(const char *server_flag)
{
	struct session s;
	char *logpath;
	int rc;

	if (cmd_session(&s, server_flag) != 0)
		return 1;
	/* The terminal belongs to curses: log lines go to a file. */
	logpath = config_state_path(NULL, "folio.log");
	log_set_file(logpath);
	free(logpath);
	rc = ui_main(&s);
	config_session_clear(&s);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "server", required_argument, NULL, 's' },
		{ "ca", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ "list-keys", no_argument, NULL, 'K' }, { "list-options", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 } };
	const struct command *c;
	const char *server = NULL;
	int ch, rc;

	i18n_init();
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'c': http_set_ca(optarg); break;
		case 'h': folio_usage(stdout); return 0;
		case 'V': printf("folio %s\n", FOLIO_VERSION); return 0;
		case 'K': folio_list_keys(); return 0;
		case 'O': folio_list_options(); return 0;
		default: folio_usage(stderr); return 2;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cmd_fail("cannot initialise libcurl");
		return 1;
	}
	if (optind == argc) {
		rc = folio_interactive(server);
		curl_global_cleanup();
		return rc;
	}
	for (c = commands; c->name; c++)
		if (strcmp(c->name, argv[optind]) == 0)
			break;
	if (c->name == NULL) {
		cmd_fail("unknown command \"%s\" (see folio --help)", argv[optind]);
		curl_global_cleanup();
		return 2;
	}
	/* The interactive client reads the file itself and reports its errors (ui.c). */
	options_load_quietly(); /* "ca" and "events" */
	argv += optind;
	argc -= optind;
	optind = 0; /* GNU getopt starts over for the subcommand's own options */
	rc = c->fn(argc, argv, server);
	curl_global_cleanup();
	return rc;
}
