/*
 * db-people.c -- SQL for staff, accounts and contacts. Returns JSON objects
 * shaped as the API answers them; visibility is part of every query.
 */
#include "foliod.h"

#include <string.h>

/*
 * Accounts sort by name in German order (ICU, "Bäckerei" with B); the
 * cursor's key compares in the same collation, and both match the indexes
 * of sql/008_language.sql. CURSOR_NAME_KEY takes the parameter's number.
 */
#define ACCOUNT_NAME_KEY "lower(a.name) COLLATE \"de-x-icu\""
#define CURSOR_NAME_KEY "lower($%d) COLLATE \"de-x-icu\""

/*
 * The account object for user $1 (staff? $2), who sees the activity column
 * of their kind. An unread count looks only at the threads whose last message
 * the viewer may see lies past the viewer's read marker: the others have none.
 */
static void
account_cols(struct buf *b, bool staff)
{
	buf_printf(b,
	    "a.id, a.name, folio_ts(a.created_at) AS created_at, folio_ts(a.%s) AS last_activity_at,"
	    " (SELECT coalesce(sum(folio_unread(t.id, $1, $2)), 0)::bigint FROM threads t"
	    "   LEFT JOIN read_markers r ON r.thread_id = t.id AND r.user_id = $1"
	    "   WHERE t.account_id = a.id AND t.%s > coalesce(r.up_to_message_id, 0)) AS unread_count",
	    staff ? "last_activity_at" : "last_public_activity_at",
	    staff ? "last_message_id" : "last_public_message_id");
}

struct json_object *
db_accounts_list(struct db *db, const struct principal *u, const char *q, bool unread,
    bool by_name, const struct page_keys *pk)
{
	bool staff = u->kind == USER_STAFF;
	const char *col = staff ? "last_activity_at" : "last_public_activity_at";
	struct params p = { 0 };
	struct buf sql = BUF_INIT, where = BUF_INIT, order = BUF_INIT;
	struct json_object *arr;
	int n = 5;

	p_int(&p, u->id);
	p_bool(&p, staff);
	p_int(&p, u->firm_id);
	p_int(&p, pk->limit);
	p_int(&p, pk->offset);
	/*
	 * Filters and order are spelled out for this viewer, not switched by
	 * parameters, so that a plan prepared once still walks the firm's
	 * accounts in index order (accounts_activity, accounts_name).
	 */
	buf_puts(&where, "a.firm_id = $3");
	if (u->kind == USER_CONTACT) {
		p_int(&p, u->account_id);
		buf_printf(&where, " AND a.id = $%d", ++n);
	}
	if (q) {
		p_str(&p, q);
		buf_printf(&where, " AND position(folio_fold($%d) in folio_fold(a.name)) > 0", ++n);
	}
	/* After the row the cursor names: its (activity,) name and id. */
	if (pk->after) {
		p_str(&p, pk->key[1]);
		p_int(&p, pk->after_id);
		n += 2;
		if (by_name)
			buf_printf(&where, " AND (" ACCOUNT_NAME_KEY ", a.id) > (" CURSOR_NAME_KEY ", $%d)",
			    n - 1, n);
		else if (pk->key[0] == NULL)
			buf_printf(&where,
			    " AND a.%s IS NULL AND (" ACCOUNT_NAME_KEY ", a.id) > (" CURSOR_NAME_KEY ", $%d)",
			    col, n - 1, n);
		else {
			p_str(&p, pk->key[0]);
			n++;
			buf_printf(&where,
			    " AND (a.%1$s < $%2$d::timestamptz OR a.%1$s IS NULL OR (a.%1$s = $%2$d::timestamptz"
			    " AND (" ACCOUNT_NAME_KEY ", a.id) > (lower($%3$d) COLLATE \"de-x-icu\", $%4$d)))",
			    col, n, n - 2, n - 1);
		}
	}
	if (by_name)
		buf_puts(&order, ACCOUNT_NAME_KEY ", a.id");
	else
		buf_printf(&order, "a.%s DESC NULLS LAST, " ACCOUNT_NAME_KEY ", a.id", col);
	/*
	 * Unread counts cost a look at every thread: take the page first and
	 * count for its rows only, unless the filter itself is on unread.
	 */
	if (unread) {
		buf_puts(&sql, "SELECT id, name, created_at, last_activity_at, unread_count FROM (SELECT ");
		account_cols(&sql, staff);
		buf_printf(&sql, ", a.%s AS activity FROM accounts a WHERE %s) a WHERE unread_count > 0"
				 " ORDER BY %s LIMIT $4 OFFSET $5",
		    col, buf_str(&where),
		    by_name ? ACCOUNT_NAME_KEY ", a.id" :
			      "a.activity DESC NULLS LAST, " ACCOUNT_NAME_KEY ", a.id");
	} else {
		buf_puts(&sql, "SELECT ");
		account_cols(&sql, staff);
		buf_printf(&sql, " FROM (SELECT a.* FROM accounts a WHERE %s ORDER BY %s LIMIT $4 OFFSET $5) a"
				 " ORDER BY %s",
		    buf_str(&where), buf_str(&order), buf_str(&order));
	}
	arr = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	buf_free(&where);
	buf_free(&order);
	return arr;
}

struct json_object *
db_account_get(struct db *db, const struct principal *u, int64_t id)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *o;

	buf_puts(&sql, "SELECT ");
	account_cols(&sql, u->kind == USER_STAFF);
	buf_puts(&sql,
	    ", (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name,"
	    "   'email', u.email, 'portal_access', c.portal_access, 'notify', c.notify) ORDER BY u.id),"
	    "   '[]') FROM contacts c JOIN users u ON u.id = c.user_id WHERE c.account_id = a.id)"
	    "   AS contacts"
	    " FROM accounts a WHERE a.firm_id = $3 AND a.id = $4 AND ($5::bigint IS NULL OR a.id = $5)");
	p_int(&p, u->id);
	p_bool(&p, u->kind == USER_STAFF);
	p_int(&p, u->firm_id);
	p_int(&p, id);
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	o = db_one_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return o;
}

struct json_object *
db_account_create(struct db *db, int64_t firm_id, const char *name)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_str(&p, name);
	return db_one_json(db,
	    "INSERT INTO accounts (firm_id, name) VALUES ($1, $2)"
	    " RETURNING id, name, folio_ts(created_at) AS created_at, NULL::text AS last_activity_at,"
	    " 0::bigint AS unread_count, '[]'::json AS contacts",
	    &p);
}

/* Inserts a user row; returns its id, 0 when the email is taken, -1 on failure. */
static int64_t
db_user_insert(struct db *db, int64_t firm_id, const char *kind, const char *name,
    const char *email, const char *hash)
{
	struct params p = { 0 };
	int64_t id;

	p_int(&p, firm_id);
	p_str(&p, kind);
	p_str(&p, name);
	p_str(&p, email);
	p_str(&p, hash);
	id = db_one_int(db,
	    "INSERT INTO users (firm_id, kind, name, email, password_hash)"
	    " VALUES ($1, $2, $3, $4, $5) RETURNING id",
	    &p, -1);
	if (id < 0 && db->unique_violation)
		return 0;
	return id;
}

int64_t
db_contact_create(struct db *db, int64_t firm_id, int64_t account_id, const char *name,
    const char *email, const char *hash, bool portal_access, bool notify)
{
	struct params p = { 0 };
	int64_t id;

	if ((id = db_user_insert(db, firm_id, "contact", name, email, hash)) <= 0)
		return id;
	p_int(&p, id);
	p_int(&p, firm_id);
	p_int(&p, account_id);
	p_bool(&p, portal_access);
	p_bool(&p, notify);
	if (db_run(db,
		"INSERT INTO contacts (user_id, firm_id, account_id, portal_access, notify)"
		" VALUES ($1, $2, $3, $4, $5)",
		&p) != 1)
		return -1;
	return id;
}

struct json_object *
db_contact_get(struct db *db, int64_t id)
{
	struct params p = { 0 };

	p_int(&p, id);
	return db_one_json(db,
	    "SELECT u.id, u.name, u.email, c.account_id, c.portal_access, c.notify,"
	    " folio_ts(u.created_at) AS created_at"
	    " FROM contacts c JOIN users u ON u.id = c.user_id WHERE u.id = $1",
	    &p);
}

static const char staff_cols[] =
    "SELECT u.id, u.name, u.email, s.role, s.active, folio_ts(u.created_at) AS created_at"
    " FROM staff s JOIN users u ON u.id = s.user_id";

struct json_object *
db_staff_list(struct db *db, int64_t firm_id)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;

	p_int(&p, firm_id);
	buf_printf(&sql, "%s WHERE s.firm_id = $1 ORDER BY lower(u.name), u.id", staff_cols);
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}

int64_t
db_staff_create(struct db *db, int64_t firm_id, const char *name, const char *email,
    const char *hash, const char *role)
{
	struct params p = { 0 };
	int64_t id;

	if ((id = db_user_insert(db, firm_id, "staff", name, email, hash)) <= 0)
		return id;
	p_int(&p, id);
	p_int(&p, firm_id);
	p_str(&p, role);
	if (db_run(db, "INSERT INTO staff (user_id, firm_id, role) VALUES ($1, $2, $3)", &p) != 1)
		return -1;
	return id;
}

struct json_object *
db_staff_get(struct db *db, int64_t firm_id, int64_t id)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *o;

	p_int(&p, firm_id);
	p_int(&p, id);
	buf_printf(&sql, "%s WHERE s.firm_id = $1 AND s.user_id = $2", staff_cols);
	o = db_one_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return o;
}

int
db_account_visible(struct db *db, const struct principal *u, int64_t account_id)
{
	struct params p = { 0 };

	p_int(&p, account_id);
	p_int(&p, u->firm_id);
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	return (int)db_one_int(db,
	    "SELECT count(*) FROM accounts WHERE id = $1 AND firm_id = $2"
	    " AND ($3::bigint IS NULL OR id = $3)",
	    &p, -1);
}

int
db_staff_lock(struct db *db, int64_t firm_id, int64_t id, enum staff_role *role, bool *active,
    int64_t *owners)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	/*
	 * The firm's active owners are locked with the member: two owners who
	 * demote each other at once are serialised, and the second sees that it
	 * would leave the firm without one.
	 */
	p_int(&p, firm_id);
	p_int(&p, id);
	res = db_exec(db,
	    "WITH o AS (SELECT user_id FROM staff WHERE firm_id = $1 AND role = 'owner' AND active"
	    "   ORDER BY user_id FOR UPDATE)"
	    " SELECT s.role, s.active, (SELECT count(*) FROM o) FROM staff s"
	    "  WHERE s.firm_id = $1 AND s.user_id = $2 FOR UPDATE",
	    &p);
	if (res == NULL)
		return -1;
	if ((found = db_rows(res) == 1)) {
		*role = proto_role_parse(db_text(res, 0, 0));
		*active = db_text(res, 0, 1)[0] == 't';
		*owners = db_int(res, 0, 2);
	}
	db_clear(res);
	return found;
}

int
db_staff_update(struct db *db, int64_t firm_id, int64_t id, const char *name, const char *role,
    int active)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, id);
	p_str(&p, name);
	p_str(&p, role);
	if (active < 0)
		p_null(&p);
	else
		p_bool(&p, active != 0);
	return db_run(db,
		   "WITH u AS (UPDATE users SET name = coalesce($3::text, name) WHERE id = $2 AND firm_id = $1"
		   "   AND $3::text IS NOT NULL)"
		   " UPDATE staff SET role = coalesce($4::text, role), active = coalesce($5::boolean, active)"
		   "  WHERE firm_id = $1 AND user_id = $2",
		   &p) == 1 ? 0 : -1;
}

int
db_contact_lock(struct db *db, int64_t firm_id, int64_t id, bool *portal_access)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	p_int(&p, firm_id);
	p_int(&p, id);
	res = db_exec(db, "SELECT portal_access FROM contacts WHERE firm_id = $1 AND user_id = $2 FOR UPDATE",
	    &p);
	if (res == NULL)
		return -1;
	if ((found = db_rows(res) == 1))
		*portal_access = db_text(res, 0, 0)[0] == 't';
	db_clear(res);
	return found;
}

int
db_contact_update(struct db *db, int64_t firm_id, int64_t id, const struct contact_change *c)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, id);
	p_str(&p, c->name);
	p_str(&p, c->email);
	if (c->notify < 0)
		p_null(&p);
	else
		p_bool(&p, c->notify != 0);
	if (c->portal_access < 0)
		p_null(&p);
	else
		p_bool(&p, c->portal_access != 0);
	/* The users row first: a taken address fails the statement (db->unique_violation). */
	return db_run(db,
		   "WITH u AS (UPDATE users SET name = coalesce($3::text, name), email = coalesce($4::text, email)"
		   "   WHERE id = $2 AND firm_id = $1 AND ($3::text IS NOT NULL OR $4::text IS NOT NULL))"
		   " UPDATE contacts SET notify = coalesce($5::boolean, notify),"
		   "   portal_access = coalesce($6::boolean, portal_access)"
		   "  WHERE firm_id = $1 AND user_id = $2",
		   &p) == 1 ? 0 : -1;
}
