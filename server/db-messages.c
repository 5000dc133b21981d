/*
 * db-messages.c -- SQL for messages: pages of a thread, one message, the
 * client_msg_id lookup, the firm's staff as mention targets, and the write
 * path: a send and a new chat are one statement each (folio_message_post and
 * folio_thread_post in sql/004_write_path.sql), which write the change with
 * its events, notification items and mail rows and commit on their own. The
 * caller renders Markdown and resolves mentions before; nothing written is
 * read back: the statement answers what the reply needs.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

/* The page's rows, their authors and (staff) deliveries in one pass, after the visibility check. */
#define MESSAGES_PAGE(where, order) \
	"SELECT p.items, p.n, p.first, p.last FROM threads t CROSS JOIN LATERAL (SELECT" \
	"  coalesce(json_agg(folio_message_view(x, u.name, d.delivery, $1) ORDER BY x.id), '[]')" \
	"   AS items, count(*) AS n, min(x.id) AS first, max(x.id) AS last" \
	"  FROM (SELECT m.* FROM messages m WHERE m.thread_id = t.id AND ($2 OR NOT m.internal)" \
	"   AND " where " ORDER BY " order " LIMIT $6) x" \
	"  JOIN users u ON u.id = x.author_id LEFT JOIN LATERAL folio_delivery(x.id) d ON $2) p" \
	" WHERE t.id = $3 AND t.firm_id = $7 AND ($8::bigint IS NULL OR t.account_id = $8)"

int
db_messages_page(struct db *db, const struct principal *u, int64_t thread_id, int64_t before,
    int64_t after, int64_t limit, struct message_page *out)
{
	struct params p = { 0 };
	struct pg_result *res;
	const char *sql;
	int found;

	memset(out, 0, sizeof *out);
	/* Viewing as a client, none of the messages is the viewer's own (client_msg_id). */
	p_int(&p, u->view_as_account > 0 ? 0 : u->id);
	p_bool(&p, u->kind == USER_STAFF);
	p_int(&p, thread_id);
	p_id(&p, before);
	p_id(&p, after);
	p_int(&p, limit);
	p_int(&p, u->firm_id);
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	/* Newest last: page backwards from before (or the end), forwards from after. */
	/* Each case its own text, so that a generic plan still walks the thread's index. */
	if (after > 0 && before > 0)
		sql = MESSAGES_PAGE("m.id > $5 AND m.id < $4 AND $4 > 0", "m.id");
	else if (after > 0)
		sql = MESSAGES_PAGE("m.id > $5 AND $4::bigint IS NULL", "m.id");
	else if (before > 0)
		sql = MESSAGES_PAGE("m.id < $4 AND $5::bigint IS NULL", "m.id DESC");
	else
		sql = MESSAGES_PAGE("$4::bigint IS NULL AND $5::bigint IS NULL", "m.id DESC");
	res = db_exec(db, sql, &p);
	if (res == NULL)
		return -1;
	if ((found = db_rows(res) > 0)) {
		out->items = xstrdup(db_text(res, 0, 0));
		out->n = db_int(res, 0, 1);
		out->first = db_isnull(res, 0, 2) ? 0 : db_int(res, 0, 2);
		out->last = db_isnull(res, 0, 3) ? 0 : db_int(res, 0, 3);
	}
	db_clear(res);
	return found;
}

struct json_object *
db_message_get(struct db *db, const struct principal *u, int64_t id)
{
	struct params p = { 0 };

	p_int(&p, u->id);
	p_bool(&p, u->kind == USER_STAFF);
	p_int(&p, id);
	return db_one_value(db,
	    "SELECT folio_message_json(m, $1, $2) FROM messages m"
	    " WHERE m.id = $3 AND ($2 OR NOT m.internal)",
	    &p);
}

int
db_client_msg_find(struct db *db, int64_t author_id, const char *client_msg_id,
    int64_t *message_id, int64_t *thread_id, bool *first)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	p_int(&p, author_id);
	p_str(&p, client_msg_id);
	res = db_exec(db,
	    "SELECT m.id, m.thread_id, NOT EXISTS (SELECT 1 FROM messages o"
	    "   WHERE o.thread_id = m.thread_id AND o.id < m.id)"
	    " FROM messages m WHERE m.author_id = $1 AND m.client_msg_id = $2",
	    &p);
	if (res == NULL)
		return -1;
	found = db_rows(res) > 0;
	if (found) {
		*message_id = db_int(res, 0, 0);
		*thread_id = db_int(res, 0, 1);
		*first = db_text(res, 0, 2)[0] == 't';
	}
	db_clear(res);
	return found;
}

void
db_mention_names_free(struct mention_names *m)
{
	if (m == NULL)
		return;
	json_object_put(m->rows);
	free(m->v);
	memset(m, 0, sizeof *m);
}

int
db_mention_names(struct db *db, int64_t firm_id, struct mention_names *out)
{
	struct params p = { 0 };
	struct json_object *row;
	size_t i;

	memset(out, 0, sizeof *out);
	p_int(&p, firm_id);
	/* The firm's staff only (staff_firm index): never another firm's people, nor contacts. */
	out->rows = db_all_json(db,
	    "SELECT u.id, u.name, split_part(u.email, '@', 1) AS local"
	    " FROM staff s JOIN users u ON u.id = s.user_id WHERE s.firm_id = $1",
	    &p);
	if (out->rows == NULL)
		return -1;
	out->n = json_object_array_length(out->rows);
	out->v = xcalloc(out->n ? out->n : 1, sizeof *out->v);
	for (i = 0; i < out->n; i++) {
		row = json_object_array_get_idx(out->rows, i);
		out->v[i].name = out->v[i].local = "";
		json_get_int(row, "id", &out->v[i].id);
		json_get_string(row, "name", &out->v[i].name);
		json_get_string(row, "local", &out->v[i].local);
	}
	return 0;
}

struct json_object *
db_message_post(struct db *db, const struct principal *u, int64_t thread_id,
    const struct message_draft *d)
{
	struct params p = { 0 };

	p_int(&p, u->firm_id);
	p_int(&p, thread_id);
	p_int(&p, u->id);
	p_str(&p, proto_kind_name(u->kind));
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	p_str(&p, d->body);
	p_str(&p, d->html);
	p_bool(&p, d->internal);
	p_str(&p, d->client_msg_id);
	p_str(&p, d->embeds);
	p_str(&p, d->mentions);
	p_str(&p, d->documents);
	return db_one_value(db,
	    "SELECT folio_message_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::bigint[],"
	    " $12::bigint[])",
	    &p);
}

struct json_object *
db_thread_post(struct db *db, const struct principal *u, int64_t account_id, const char *subject,
    const struct message_draft *d, const char *tasks, const struct reminder_settings *r)
{
	struct params p = { 0 };

	p_int(&p, u->firm_id);
	p_int(&p, account_id);
	p_int(&p, u->id);
	p_str(&p, proto_kind_name(u->kind));
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	p_str(&p, subject);
	p_str(&p, d->body);
	p_str(&p, d->html);
	p_str(&p, d->client_msg_id);
	p_str(&p, d->embeds);
	p_str(&p, d->mentions);
	p_str(&p, tasks);
	p_bool(&p, r->enabled);
	p_int(&p, r->interval_days);
	p_int(&p, r->max_count);
	p_str(&p, d->documents);
	return db_one_value(db,
	    "SELECT folio_thread_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb,"
	    " $11::bigint[], $12::json, $13, $14, $15, $16::bigint[])",
	    &p);
}

struct json_object *
db_message_post_batch(struct db *db, const struct send_batch_item *const *items, size_t n)
{
	struct json_object *a = json_object_new_array(), *o, *r;
	const struct send_batch_item *it;
	struct params p = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		it = items[i];
		o = json_object_new_object();
		json_object_object_add(o, "n", json_object_new_int64((int64_t)i + 1));
		json_object_object_add(o, "firm", json_object_new_int64(it->u->firm_id));
		json_object_object_add(o, "thread", json_object_new_int64(it->thread_id));
		json_object_object_add(o, "author", json_object_new_int64(it->u->id));
		json_object_object_add(o, "kind", json_object_new_string(proto_kind_name(it->u->kind)));
		if (it->u->kind == USER_CONTACT)
			json_object_object_add(o, "account", json_object_new_int64(it->u->account_id));
		json_object_object_add(o, "body", json_object_new_string(it->d->body));
		json_object_object_add(o, "html", json_object_new_string(it->d->html));
		json_object_object_add(o, "internal", json_object_new_boolean(it->d->internal));
		if (it->d->client_msg_id)
			json_object_object_add(o, "cmid", json_object_new_string(it->d->client_msg_id));
		json_object_object_add(o, "embeds", json_tokener_parse(it->d->embeds));
		json_object_object_add(o, "mentions", json_object_new_string(it->d->mentions));
		if (it->d->documents)
			json_object_object_add(o, "docs", json_object_new_string(it->d->documents));
		json_object_array_add(a, o);
	}
	p_str(&p, json_text(a));
	r = db_one_value(db, "SELECT folio_message_post_batch($1::json)", &p);
	json_object_put(a);
	if (r && (!json_object_is_type(r, json_type_array) || json_object_array_length(r) != n)) {
		log_error("database: a batch of %zu sends answered %s", n, json_text(r));
		json_object_put(r);
		r = NULL;
	}
	return r;
}
