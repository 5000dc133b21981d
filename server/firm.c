/*
 * firm.c -- `foliod create-firm`: a new firm and its owner, the password read
 * from standard input, and the firm's mail language (German unless --language). The one way in for a fresh installation; the rows
 * themselves are written by db-firms.c.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

/* Reads one line from stdin without its newline. Caller frees. */
static char *
firm_read_password(void)
{
	char line[1024];
	size_t n;

	if (fgets(line, sizeof line, stdin) == NULL)
		return NULL;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return xstrdup(line);
}

int
firm_create_cli(int argc, char **argv)
{
	const char *name = NULL, *email = NULL, *owner_name = NULL, *language = "de";
	struct db db = { 0 };
	char *password, *hash, why[256];
	int64_t firm;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--owner-email") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--owner-name") == 0 && i + 1 < argc)
			owner_name = argv[++i];
		else if (strcmp(argv[i], "--language") == 0 && i + 1 < argc &&
		    mail_lang_known(argv[i + 1]))
			language = argv[++i];
		else {
			fprintf(stderr, "usage: foliod create-firm --name NAME --owner-email EMAIL"
					" [--owner-name NAME] [--language de|en] < password\n");
			return 2;
		}
	}
	if (name == NULL || email == NULL) {
		fprintf(stderr, "foliod: create-firm needs --name and --owner-email\n");
		return 2;
	}
	if (owner_name == NULL)
		owner_name = email;
	password = firm_read_password();
	if (password == NULL || auth_password_policy(password, why, sizeof why) != 0) {
		fprintf(stderr, "foliod: give the owner's password on standard input: it %s\n",
		    password ? why : "is missing");
		free(password);
		return 2;
	}
	hash = auth_hash_password(password);
	free(password);
	if (hash == NULL || db_connect(&db) != 0 || migrate_run(&db) != 0) {
		fprintf(stderr, "foliod: cannot reach or migrate the database\n");
		free(hash);
		db_close(&db);
		return 1;
	}
	firm = db_firms_create(&db, name, email, owner_name, hash, language);
	db_rollback(&db);
	db_close(&db);
	free(hash);
	if (firm == 0)
		fprintf(stderr, "foliod: %s is already taken\n", email);
	if (firm <= 0) {
		fprintf(stderr, "foliod: the firm was not created\n");
		return 1;
	}
	printf("%lld\n", (long long)firm);
	return 0;
}
