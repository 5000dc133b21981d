/*
 * foliod.c -- main: parse the configuration, then run one subcommand
 * (migrate, serve, check, create-firm). Serving itself lives in http.c.
 */
#include "foliod.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Migrates, or with status only says where the database stands. */
static int
foliod_migrate(bool status)
{
	struct db db = { 0 };
	int rc;

	if (db_connect(&db) != 0) {
		fprintf(stderr, "foliod: cannot connect to the database (FOLIO_DATABASE_URL)\n");
		return 1;
	}
	if (status) {
		rc = migrate_status(&db, stdout);
		db_close(&db);
		return rc;
	}
	rc = migrate_run(&db);
	db_close(&db);
	return rc == 0 ? 0 : 1;
}

static void
foliod_log_level(void)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(cfg.log_level, names[i]) == 0)
			log_set_level((enum log_level)i);
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "foliod: libsodium failed to start\n");
		return 1;
	}
	totp_init();
	if (config_load(&argc, &argv) != 0)
		return 2;
	foliod_log_level();
	if (systemd_log_to(cfg.log_to) != 0)
		return 2;
	metrics_init();
	cmd = argc > 1 ? argv[1] : NULL;
	if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		config_usage(stdout);
		return cmd == NULL ? 2 : 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("foliod %s\n", FOLIO_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--list-routes") == 0) {
		route_list(stdout);
		return 0;
	}
	if (strcmp(cmd, "migrate") == 0) {
		if (argc > 2 && strcmp(argv[2], "--status") != 0) {
			fprintf(stderr, "foliod: migrate takes only --status\n");
			return 2;
		}
		return foliod_migrate(argc > 2);
	}
	if (strcmp(cmd, "check") == 0)
		return check_cli();
	if (strcmp(cmd, "create-firm") == 0)
		return firm_create_cli(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0) {
		systemd_status("migrating");
		if ((rc = foliod_migrate(false)) != 0)
			return rc;
		return http_serve() == 0 ? 0 : 1;
	}
	fprintf(stderr, "foliod: unknown command \"%s\" (try --help)\n", cmd);
	return 2;
}
