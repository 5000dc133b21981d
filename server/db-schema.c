/*
 * db-schema.c -- SQL for migration bookkeeping: the advisory lock that
 * serialises instances, the schema_migrations table, whether a file was
 * applied and its record, and running a file's text. It does not find, read
 * or order the files (migrate.c).
 */
#include "foliod.h"

#define DB_SCHEMA_LOCK "4242001"

int
db_schema_lock(struct db *db)
{
	return db_run(db, "SELECT pg_advisory_xact_lock(" DB_SCHEMA_LOCK ")", NULL) < 0 ? -1 : 0;
}

int
db_schema_init(struct db *db)
{
	long n = db_run(db,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
	    NULL);

	return n < 0 ? -1 : 0;
}

bool
db_schema_applied(struct db *db, const char *name)
{
	struct params p = { 0 };

	p_str(&p, name);
	return db_one_int(db, "SELECT count(*) FROM schema_migrations WHERE name = $1", &p, 0) > 0;
}

int
db_schema_record(struct db *db, const char *name)
{
	struct params p = { 0 };

	p_str(&p, name);
	return db_run(db, "INSERT INTO schema_migrations (name) VALUES ($1)", &p) == 1 ? 0 : -1;
}

int
db_schema_apply(struct db *db, const char *sql)
{
	return db_script(db, sql);
}
