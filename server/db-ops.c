/*
 * db-ops.c -- what operations ask the database: the mail outbox depth (for
 * /metrics) and the migrations recorded (for /readyz, `foliod check` and
 * `foliod migrate --status`). Read-only; it decides nothing.
 */
#include "foliod.h"

int64_t
db_ops_mail_depth(struct db *db)
{
	/* The partial index mail_outbox_due covers exactly these rows. */
	return db_one_int(db, "SELECT count(*) FROM mail_outbox WHERE state IN ('pending', 'sending')",
	    NULL, -1);
}

struct json_object *
db_ops_migrations(struct db *db)
{
	int64_t exists = db_one_int(db,
	    "SELECT (to_regclass('schema_migrations') IS NOT NULL)::int", NULL, -1);

	if (exists < 0)
		return NULL;
	if (exists == 0)
		return json_object_new_array(); /* never migrated */
	return db_all_json(db,
	    "SELECT name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	    " AS applied_at FROM schema_migrations ORDER BY name",
	    NULL);
}
