/*
 * db.c -- the thin layer over libpq: parameters, statements, rows as JSON.
 * Only pool threads call these; a connection belongs to one thread at a time.
 * Every statement is prepared once per connection, the first time its text is
 * run, and executed by name after that: PostgreSQL parses it once, not on
 * every request. Statements run in a job are counted for the request log.
 * It does not know any table: the SQL lives in db-*.c.
 */
#include "foliod.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from pg_type.h, which client code may not include. */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_INT8ARR 1016
#define OID_NUMERIC 1700
#define OID_JSONB 3802

/*
 * Prepared statements of one connection, by the hash of their text (open
 * addressing). A statement is named after its slot, so names are unique
 * per connection. Past DB_PREPARED_MAX texts, statements run unprepared.
 */
#define DB_PREPARED_SLOTS 1024
#define DB_PREPARED_MAX 512
struct db_prepared {
	size_t n;
	struct {
		uint64_t hash;
		char *sql;
	} slot[DB_PREPARED_SLOTS];
};

static uint64_t
db_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
db_prepared_free(struct db *db)
{
	size_t i;

	if (db->prepared == NULL)
		return;
	for (i = 0; i < DB_PREPARED_SLOTS; i++)
		free(db->prepared->slot[i].sql);
	free(db->prepared);
	db->prepared = NULL;
}

/*
 * The statement name for sql on this connection, preparing it on first use,
 * into name. Returns 1 with a name, 0 to run it unprepared (the cache is
 * full), or -1 when preparing failed (*failed holds the result).
 */
static int
db_prepared_name(struct db *db, const char *sql, int nparams, char name[16], PGresult **failed)
{
	uint64_t h = db_hash(sql);
	size_t i = (size_t)(h % DB_PREPARED_SLOTS);
	PGresult *res;

	if (db->prepared == NULL)
		db->prepared = xcalloc(1, sizeof *db->prepared);
	while (db->prepared->slot[i].sql != NULL) {
		if (db->prepared->slot[i].hash == h && strcmp(db->prepared->slot[i].sql, sql) == 0) {
			snprintf(name, 16, "f%zu", i);
			return 1;
		}
		i = (i + 1) % DB_PREPARED_SLOTS;
	}
	if (db->prepared->n >= DB_PREPARED_MAX)
		return 0;
	snprintf(name, 16, "f%zu", i);
	res = PQprepare(db->conn, name, sql, nparams, NULL);
	db->prepares++;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*failed = res;
		return -1;
	}
	PQclear(res);
	db->prepared->slot[i].hash = h;
	db->prepared->slot[i].sql = xstrdup(sql);
	db->prepared->n++;
	return 1;
}

/* Runs sql with p: by name when prepared. Returns libpq's result (never NULL but on OOM). */
static PGresult *
db_send(struct db *db, const char *sql, const struct params *p)
{
	PGresult *failed = NULL;
	char name[16];
	int n = p ? p->n : 0;
	const char *const *v = p ? p->v : NULL;
	const int *len = p && p->binary ? p->len : NULL, *fmt = p && p->binary ? p->fmt : NULL;
	int rfmt = p && p->binary_result ? 1 : 0;

	db->statements++;
	switch (db_prepared_name(db, sql, n, name, &failed)) {
	case 1:
		return PQexecPrepared(db->conn, name, n, v, len, fmt, rfmt);
	case 0:
		return PQexecParams(db->conn, sql, n, NULL, v, len, fmt, rfmt);
	default:
		return failed;
	}
}

static void
p_add(struct params *p, const char *v)
{
	if (p->n >= 16)
		abort(); /* a statement with more parameters is a programming error */
	p->v[p->n++] = v;
}

void
p_str(struct params *p, const char *s)
{
	p_add(p, s);
}

void
p_int(struct params *p, int64_t v)
{
	snprintf(p->slot[p->n], sizeof p->slot[0], "%" PRId64, v);
	p_add(p, p->slot[p->n]);
}

void
p_bool(struct params *p, bool v)
{
	p_add(p, v ? "t" : "f");
}

void
p_null(struct params *p)
{
	p_add(p, NULL);
}

void
p_bin(struct params *p, const void *data, size_t len)
{
	if (len > INT32_MAX)
		abort(); /* chunks are small: a programming error */
	p->binary = true;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p_add(p, data);
}

void
p_id(struct params *p, int64_t v)
{
	if (v > 0)
		p_int(p, v);
	else
		p_null(p);
}

/* Server notices (e.g. "already exists, skipping") go to the debug log, not stderr. */
static void
db_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("database: %s", message);
}

void
db_job_start(struct db *db)
{
	db->fresh = true;
	db->statements = 0;
	db->prepares = 0;
}

int
db_connect(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn)
		PQfinish(db->conn);
	db_prepared_free(db); /* statements belong to the connection */
	db->conn = PQconnectdb(cfg.database_url ? cfg.database_url : "");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("database: %s", PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	/* Each statement gets a bound: a stuck query must not hold a thread forever. */
	PQclear(PQexecParams(db->conn, "SET statement_timeout = '60s'", 0, NULL, NULL, NULL, NULL, 0));
	return 0;
}

int
db_script(struct db *db, const char *sql)
{
	PGresult *res;
	int rc = 0;

	/*
	 * Only the simple query protocol runs several statements at once; the
	 * text is one of our own migration files, never user input.
	 */
	res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("database: %s", PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

void
db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db_prepared_free(db);
}

struct pg_result *
db_exec(struct db *db, const char *sql, const struct params *p)
{
	PGresult *res;
	ExecStatusType st;
	const char *state;

	db->unique_violation = 0;
	if (db->conn == NULL || db->broken) {
		db->broken = true;
		return NULL;
	}
	res = db_send(db, sql, p);
	st = PQresultStatus(res);
	if (db->fresh && PQstatus(db->conn) != CONNECTION_OK) {
		/*
		 * The connection died while idle (PostgreSQL restarted): the job has
		 * done nothing yet, so reconnect and run its first statement again.
		 */
		db->fresh = false;
		PQclear(res);
		log_info("database: reconnecting a stale connection");
		if (db_connect(db) != 0) {
			db->broken = true;
			return NULL;
		}
		db->statements--; /* the same statement, counted once */
		return db_exec(db, sql, p);
	}
	db->fresh = false;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return (struct pg_result *)res;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && strcmp(state, "23505") == 0) {
		db->unique_violation = 1;
		log_debug("database: unique violation: %s", PQresultErrorMessage(res));
	} else if (PQstatus(db->conn) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0) ||
	    (state && strncmp(state, "57P", 3) == 0)) {
		log_warn("database: connection lost: %s", PQerrorMessage(db->conn));
		db->broken = true;
	} else
		log_error("database: %s [%s]", PQresultErrorMessage(res), sql);
	PQclear(res);
	return NULL;
}

void
db_clear(struct pg_result *res)
{
	PQclear((PGresult *)res);
}

long
db_run(struct db *db, const char *sql, const struct params *p)
{
	PGresult *res = (PGresult *)db_exec(db, sql, p);
	long n;

	if (res == NULL)
		return -1;
	n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return n;
}

int
db_begin(struct db *db)
{
	return db_run(db, "BEGIN", NULL) < 0 ? -1 : 0;
}

int
db_commit(struct db *db)
{
	return db_run(db, "COMMIT", NULL) < 0 ? -1 : 0;
}

void
db_rollback(struct db *db)
{
	if (db->conn && !db->broken && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db_run(db, "ROLLBACK", NULL);
}

int
db_rows(const struct pg_result *res)
{
	return PQntuples((const PGresult *)res);
}

int64_t
db_int(const struct pg_result *res, int row, int col)
{
	return strtoll(PQgetvalue((const PGresult *)res, row, col), NULL, 10);
}

const char *
db_text(const struct pg_result *res, int row, int col)
{
	return PQgetvalue((const PGresult *)res, row, col);
}

bool
db_isnull(const struct pg_result *res, int row, int col)
{
	return PQgetisnull((const PGresult *)res, row, col);
}

const unsigned char *
db_bytes(const struct pg_result *res, int row, int col, size_t *len)
{
	*len = (size_t)PQgetlength((const PGresult *)res, row, col);
	return (const unsigned char *)PQgetvalue((const PGresult *)res, row, col);
}

static struct json_object *
db_int_array(const char *s)
{
	struct json_object *a = json_object_new_array();
	char *end;

	while (*s && *s != '}') {
		if (*s == '{' || *s == ',') {
			s++;
			continue;
		}
		json_object_array_add(a, json_object_new_int64(strtoll(s, &end, 10)));
		if (end == s)
			break;
		s = end;
	}
	return a;
}

static struct json_object *
db_value_json(const PGresult *res, int row, int col)
{
	const char *v;
	struct json_object *o;

	if (PQgetisnull(res, row, col))
		return NULL;
	v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return json_object_new_boolean(v[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return json_object_new_int64(strtoll(v, NULL, 10));
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return json_object_new_double(strtod(v, NULL));
	case OID_INT8ARR:
		return db_int_array(v);
	case OID_JSON:
	case OID_JSONB:
		o = json_tokener_parse(v);
		return o;
	default:
		return json_object_new_string(v);
	}
}

struct json_object *
db_row_json(const struct pg_result *r, int row)
{
	const PGresult *res = (const PGresult *)r;
	struct json_object *o = json_object_new_object();
	int col, n = PQnfields(res);

	for (col = 0; col < n; col++)
		json_object_object_add(o, PQfname(res, col), db_value_json(res, row, col));
	return o;
}

struct json_object *
db_rows_json(const struct pg_result *res)
{
	struct json_object *a = json_object_new_array();
	int i, n = db_rows(res);

	for (i = 0; i < n; i++)
		json_object_array_add(a, db_row_json(res, i));
	return a;
}

struct json_object *
db_one_json(struct db *db, const char *sql, const struct params *p)
{
	struct pg_result *res = db_exec(db, sql, p);
	struct json_object *o = NULL;

	if (res && db_rows(res) > 0)
		o = db_row_json(res, 0);
	db_clear(res);
	return o;
}

struct json_object *
db_all_json(struct db *db, const char *sql, const struct params *p)
{
	struct pg_result *res = db_exec(db, sql, p);
	struct json_object *a;

	if (res == NULL)
		return NULL;
	a = db_rows_json(res);
	db_clear(res);
	return a;
}

int64_t
db_one_int(struct db *db, const char *sql, const struct params *p, int64_t dflt)
{
	struct pg_result *res = db_exec(db, sql, p);
	int64_t v = dflt;

	if (res && db_rows(res) > 0 && !db_isnull(res, 0, 0))
		v = db_int(res, 0, 0);
	db_clear(res);
	return v;
}

struct json_object *
db_one_value(struct db *db, const char *sql, const struct params *p)
{
	struct pg_result *res = db_exec(db, sql, p);
	struct json_object *v = NULL;

	if (res && db_rows(res) > 0 && PQnfields((PGresult *)res) > 0)
		v = db_value_json((PGresult *)res, 0, 0);
	db_clear(res);
	return v;
}
