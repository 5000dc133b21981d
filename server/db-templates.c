/*
 * db-templates.c -- SQL for message templates.
 */
#include "foliod.h"

/* Names in German order (ICU), as the index templates_name_de (sql/008_language.sql). */
#define TEMPLATE_NAME_KEY "lower(name) COLLATE \"de-x-icu\""

static const char template_cols[] =
    "id, name, subject, body, json_build_object('enabled', reminders_enabled,"
    " 'interval_days', reminder_interval_days, 'max_count', reminder_max_count) AS reminders,"
    " folio_ts(created_at) AS created_at, folio_ts(updated_at) AS updated_at";

struct json_object *
db_templates_list(struct db *db, int64_t firm_id, const struct page_keys *pk)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;

	p_int(&p, firm_id);
	p_int(&p, pk->limit);
	p_int(&p, pk->offset);
	buf_printf(&sql, "SELECT %s FROM templates WHERE firm_id = $1", template_cols);
	if (pk->after) {
		p_str(&p, pk->key[0]);
		p_int(&p, pk->after_id);
		buf_puts(&sql, " AND (" TEMPLATE_NAME_KEY ", id) > (lower($4) COLLATE \"de-x-icu\", $5)");
	}
	buf_puts(&sql, " ORDER BY " TEMPLATE_NAME_KEY ", id LIMIT $2 OFFSET $3");
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}

struct json_object *
db_template_get(struct db *db, int64_t firm_id, int64_t id)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *o;

	p_int(&p, firm_id);
	p_int(&p, id);
	buf_printf(&sql, "SELECT %s FROM templates WHERE firm_id = $1 AND id = $2", template_cols);
	o = db_one_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return o;
}

struct json_object *
db_template_save(struct db *db, int64_t firm_id, int64_t id, const struct template_fields *t)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *o;

	p_int(&p, firm_id);
	p_id(&p, id);
	p_str(&p, t->name);
	p_str(&p, t->subject);
	p_str(&p, t->body);
	if (t->has_enabled)
		p_bool(&p, t->enabled);
	else
		p_null(&p);
	p_id(&p, t->interval_days);
	p_id(&p, t->max_count);
	if (id > 0)
		buf_printf(&sql,
		    "UPDATE templates SET name = coalesce($3, name), subject = coalesce($4, subject),"
		    " body = coalesce($5, body), reminders_enabled = coalesce($6, reminders_enabled),"
		    " reminder_interval_days = coalesce($7, reminder_interval_days),"
		    " reminder_max_count = coalesce($8, reminder_max_count), updated_at = folio_now()"
		    " WHERE firm_id = $1 AND id = $2 RETURNING %s",
		    template_cols);
	else
		buf_printf(&sql,
		    "INSERT INTO templates (firm_id, name, subject, body, reminders_enabled,"
		    " reminder_interval_days, reminder_max_count)"
		    " SELECT $1, $3, coalesce($4, ''), coalesce($5, ''), coalesce($6, false),"
		    " coalesce($7, 3), coalesce($8, 1) WHERE $2::bigint IS NULL RETURNING %s",
		    template_cols);
	o = db_one_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return o;
}

long
db_template_delete(struct db *db, int64_t firm_id, int64_t id)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, id);
	return db_run(db, "DELETE FROM templates WHERE firm_id = $1 AND id = $2", &p);
}
