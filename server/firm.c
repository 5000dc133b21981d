/*
 * firm.c -- `foliod create-firm`: a new firm and its owner, the password read
 * from standard input. The one way in for a fresh installation.
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

static int64_t
firm_insert(struct db *db, const char *name, const char *email, const char *owner_name,
    const char *hash)
{
	struct params p = { 0 };
	int64_t firm, user;

	p_str(&p, name);
	if (db_begin(db) != 0 ||
	    (firm = db_one_int(db, "INSERT INTO firms (name) VALUES ($1) RETURNING id", &p, 0)) <= 0)
		return -1;
	memset(&p, 0, sizeof p);
	p_int(&p, firm);
	p_str(&p, owner_name);
	p_str(&p, email);
	p_str(&p, hash);
	user = db_one_int(db,
	    "INSERT INTO users (firm_id, kind, name, email, password_hash)"
	    " VALUES ($1, 'staff', $2, $3, $4) RETURNING id",
	    &p, 0);
	if (user <= 0) {
		if (db->unique_violation)
			fprintf(stderr, "foliod: %s is already taken\n", email);
		return -1;
	}
	memset(&p, 0, sizeof p);
	p_int(&p, user);
	p_int(&p, firm);
	if (db_run(db, "INSERT INTO staff (user_id, firm_id, role) VALUES ($1, $2, 'owner')", &p) != 1 ||
	    db_commit(db) != 0)
		return -1;
	return firm;
}

int
firm_create_cli(int argc, char **argv)
{
	const char *name = NULL, *email = NULL, *owner_name = NULL;
	struct db db = { 0 };
	char *password, *hash;
	int64_t firm;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--owner-email") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--owner-name") == 0 && i + 1 < argc)
			owner_name = argv[++i];
		else {
			fprintf(stderr, "usage: foliod create-firm --name NAME --owner-email EMAIL"
					" [--owner-name NAME] < password\n");
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
	if (password == NULL || strlen(password) < 8) {
		fprintf(stderr, "foliod: give the owner's password (8 characters or more) on standard input\n");
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
	firm = firm_insert(&db, name, email, owner_name, hash);
	db_rollback(&db);
	db_close(&db);
	free(hash);
	if (firm <= 0) {
		fprintf(stderr, "foliod: the firm was not created\n");
		return 1;
	}
	printf("%lld\n", (long long)firm);
	return 0;
}
