/*
 * db-audit.c -- SQL for the audit log (sql/012_audit.sql): appending one row
 * in the caller's transaction, and reading a firm's rows newest first, one
 * keyset page at a time. The log's kinds and who may read it are decided in
 * route-audit.c; the database itself refuses any change to a written row.
 */
#include "foliod.h"

#include <stdlib.h>

int
db_audit_add(struct db *db, const struct audit_entry *e)
{
	struct params p = { 0 };

	p_int(&p, e->firm_id);
	p_id(&p, e->actor_id);
	p_str(&p, e->actor_id > 0 ? e->actor_kind : "anonymous");
	p_str(&p, e->kind);
	p_id(&p, e->subject_user_id);
	p_id(&p, e->subject_session_id);
	p_str(&p, e->address && *e->address ? e->address : NULL);
	p_str(&p, e->user_agent);
	p_str(&p, e->details ? e->details : "{}");
	return db_run(db,
		   "INSERT INTO audit_log (firm_id, actor_id, actor_kind, kind, subject_user_id,"
		   " subject_session_id, address, user_agent, details)"
		   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)",
		   &p) == 1 ? 0 : -1;
}

int
db_audit_sessions_revoked(struct db *db, const struct audit_entry *e, struct json_object *ids)
{
	struct params p = { 0 };
	struct buf arr = BUF_INIT;
	size_t i, n = json_object_array_length(ids);
	long rows;

	if (n == 0)
		return 0;
	buf_putc(&arr, '{');
	for (i = 0; i < n; i++)
		buf_printf(&arr, "%s%lld", i ? "," : "",
		    (long long)json_object_get_int64(json_object_array_get_idx(ids, i)));
	buf_putc(&arr, '}');
	p_int(&p, e->firm_id);
	p_id(&p, e->actor_id);
	p_str(&p, e->actor_id > 0 ? e->actor_kind : "anonymous");
	p_id(&p, e->subject_user_id);
	p_str(&p, e->address && *e->address ? e->address : NULL);
	p_str(&p, e->user_agent);
	p_str(&p, e->details ? e->details : "{}");
	p_str(&p, buf_str(&arr));
	rows = db_run(db,
	    "INSERT INTO audit_log (firm_id, actor_id, actor_kind, kind, subject_user_id,"
	    " subject_session_id, address, user_agent, details)"
	    " SELECT $1, $2, $3, 'session_revoked', $4, s, $5, $6, $7::jsonb"
	    "   FROM unnest($8::bigint[]) s ORDER BY s",
	    &p);
	buf_free(&arr);
	return rows == (long)n ? 0 : -1;
}

struct json_object *
db_audit_list(struct db *db, int64_t firm_id, const struct audit_filter *f,
    const struct page_keys *pk)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;
	int n = 3;

	p_int(&p, firm_id);
	p_int(&p, pk->limit);
	p_int(&p, pk->offset);
	/*
	 * Filters are spelled out only when given, so every plan walks
	 * audit_log_firm backwards from the cursor within the one firm.
	 */
	buf_puts(&sql,
	    "SELECT a.id, folio_ts(a.at) AS at, a.kind, a.actor_id, a.actor_kind,"
	    "       ua.name AS actor_name, a.subject_user_id, us.name AS subject_name,"
	    "       a.subject_session_id, a.address, a.user_agent, a.details"
	    "  FROM audit_log a"
	    "  LEFT JOIN users ua ON ua.id = a.actor_id AND ua.firm_id = a.firm_id"
	    "  LEFT JOIN users us ON us.id = a.subject_user_id AND us.firm_id = a.firm_id"
	    " WHERE a.firm_id = $1");
	if (pk->after) {
		p_int(&p, pk->after_id);
		buf_printf(&sql, " AND a.id < $%d", ++n);
	}
	if (f->kind) {
		p_str(&p, f->kind);
		buf_printf(&sql, " AND a.kind = $%d", ++n);
	}
	if (f->actor_id > 0) {
		p_int(&p, f->actor_id);
		buf_printf(&sql, " AND a.actor_id = $%d", ++n);
	}
	if (f->since) {
		p_str(&p, f->since);
		buf_printf(&sql, " AND a.at >= $%d::timestamptz", ++n);
	}
	if (f->until) {
		p_str(&p, f->until);
		buf_printf(&sql, " AND a.at < $%d::timestamptz", ++n);
	}
	buf_puts(&sql, " ORDER BY a.id DESC LIMIT $2 OFFSET $3");
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}
