/*
 * db-documents.c -- the SQL of folders and documents (sql/013_documents.sql):
 * the folder tree, a document's metadata, and its bytes chunk by chunk.
 * Every read is limited to what a principal may see: staff their firm's
 * accounts, a contact (or staff viewing as one) the client folders of one
 * account. It computes nothing: route-documents.c hashes and sniffs.
 */
#include "foliod.h"

#include <string.h>

/* The visibility parameters every statement here takes as $1 (firm) and $2 (a contact's account). */
static void
documents_who(struct params *p, const struct principal *u)
{
	p_int(p, u->firm_id);
	p_id(p, u->kind == USER_CONTACT ? u->account_id : 0);
}

/* The document's members as API.md lists them (alias d). */
#define DOC_COLS \
	"d.id, d.account_id, d.folder_id, d.name, d.size, d.media_type, d.sha256, " \
	"folio_ts(d.created_at) AS created_at"

int
db_documents_account_visible(struct db *db, const struct principal *u, int64_t account_id)
{
	struct params p = { 0 };
	struct pg_result *res;
	int r;

	documents_who(&p, u);
	p_int(&p, account_id);
	res = db_exec(db,
	    "SELECT 1 FROM accounts a WHERE a.id = $3 AND a.firm_id = $1"
	    " AND ($2::bigint IS NULL OR a.id = $2)", &p);
	if (res == NULL)
		return -1;
	r = db_rows(res) > 0;
	db_clear(res);
	return r;
}

struct json_object *
db_folders_list(struct db *db, const struct principal *u, int64_t account_id)
{
	struct params p = { 0 };

	documents_who(&p, u);
	p_int(&p, account_id);
	return db_all_json(db,
	    "SELECT f.id, f.name, f.access, f.parent_id, f.chat_uploads"
	    " FROM folders f WHERE f.account_id = $3 AND f.firm_id = $1"
	    " AND ($2::bigint IS NULL OR (f.account_id = $2 AND f.access <> 'private'))"
	    " ORDER BY f.parent_id NULLS FIRST, lower(f.name), f.id", &p);
}

int
db_folder_get(struct db *db, const struct principal *u, int64_t account_id, int64_t folder_id,
    struct folder_info *out)
{
	struct params p = { 0 };
	struct pg_result *res;
	int r = 0;

	documents_who(&p, u);
	p_int(&p, account_id);
	p_int(&p, folder_id);
	res = db_exec(db,
	    "SELECT f.id, f.access FROM folders f WHERE f.id = $4 AND f.account_id = $3"
	    " AND f.firm_id = $1 AND ($2::bigint IS NULL OR (f.account_id = $2 AND f.access <> 'private'))",
	    &p);
	if (res == NULL)
		return -1;
	if (db_rows(res) > 0) {
		out->id = db_int(res, 0, 0);
		snprintf(out->access, sizeof out->access, "%s", db_text(res, 0, 1));
		r = 1;
	}
	db_clear(res);
	return r;
}

struct json_object *
db_folder_create(struct db *db, const struct principal *u, int64_t account_id, int64_t parent_id,
    const char *name, const char *access)
{
	struct params p = { 0 };
	struct json_object *o;

	p_int(&p, u->firm_id);
	p_int(&p, account_id);
	p_id(&p, parent_id);
	p_str(&p, name);
	p_str(&p, access);
	p_id(&p, u->id);
	/* The trigger folio_folders_access gives a subfolder its parent's access. */
	o = db_one_json(db,
	    "INSERT INTO folders (firm_id, account_id, parent_id, name, access, created_by)"
	    " VALUES ($1, $2, $3, $4, $5, $6)"
	    " RETURNING id, name, access, parent_id, chat_uploads", &p);
	return o;
}

int64_t
db_folder_chat_uploads(struct db *db, int64_t firm_id, int64_t account_id, const char *name)
{
	struct params p = { 0 };
	int64_t id;

	p_int(&p, firm_id);
	p_int(&p, account_id);
	p_str(&p, name);
	/*
	 * The existing folder, or a new one. A first upload racing another may
	 * miss the row the other committed (this statement's snapshot): look again.
	 */
	id = db_one_int(db,
	    "WITH ins AS (INSERT INTO folders (firm_id, account_id, name, access, chat_uploads)"
	    "   VALUES ($1, $2, $3, 'client_view', true)"
	    "   ON CONFLICT (account_id) WHERE chat_uploads DO NOTHING RETURNING id)"
	    " SELECT id FROM ins UNION ALL"
	    " SELECT id FROM folders WHERE account_id = $2 AND chat_uploads LIMIT 1",
	    &p, -1);
	if (id > 0 || db->broken)
		return id;
	return db_one_int(db, "SELECT id FROM folders WHERE account_id = $2 AND chat_uploads"
			      " AND firm_id = $1 AND $3::text IS NOT NULL", &p, -1);
}

int64_t
db_document_begin(struct db *db, const struct principal *u, int64_t account_id, int64_t folder_id,
    const char *name)
{
	struct params p = { 0 };

	p_int(&p, u->firm_id);
	p_int(&p, account_id);
	p_int(&p, folder_id);
	p_str(&p, name);
	p_id(&p, u->id);
	return db_one_int(db,
	    "INSERT INTO documents (firm_id, account_id, folder_id, name, created_by)"
	    " VALUES ($1, $2, $3, $4, $5) RETURNING id", &p, -1);
}

int
db_document_chunk_write(struct db *db, int64_t document_id, int n, const void *data, size_t len)
{
	struct params p = { 0 };

	p_int(&p, document_id);
	p_int(&p, n);
	p_bin(&p, data, len);
	return db_run(db, "INSERT INTO document_chunks (document_id, n, data) VALUES ($1, $2, $3)",
		   &p) == 1 ? 0 : -1;
}

struct json_object *
db_document_finish(struct db *db, int64_t document_id, int64_t size, const char *media_type,
    const char *sha256, int chunks)
{
	struct params p = { 0 };

	p_int(&p, document_id);
	p_int(&p, size);
	p_str(&p, media_type);
	p_str(&p, sha256);
	p_int(&p, chunks);
	return db_one_json(db,
	    "UPDATE documents d SET size = $2, media_type = $3, sha256 = $4, chunks = $5"
	    " WHERE d.id = $1 RETURNING " DOC_COLS, &p);
}

struct json_object *
db_document_get(struct db *db, const struct principal *u, int64_t document_id, char *access,
    size_t accesssz)
{
	struct params p = { 0 };
	struct json_object *o;
	const char *a = NULL;

	documents_who(&p, u);
	p_int(&p, document_id);
	o = db_one_json(db,
	    "SELECT " DOC_COLS ", f.access FROM documents d JOIN folders f ON f.id = d.folder_id"
	    " WHERE d.id = $3 AND d.firm_id = $1 AND d.sha256 IS NOT NULL"
	    " AND ($2::bigint IS NULL OR (d.account_id = $2 AND f.access <> 'private'))", &p);
	if (o && access) {
		json_get_string(o, "access", &a);
		snprintf(access, accesssz, "%s", a ? a : "private");
	}
	if (o)
		json_object_object_del(o, "access");
	return o;
}

/* The documents' order: by folder, then name as German sorts it, then id. */
#define DOC_ORDER "d.folder_id, lower(d.name) COLLATE \"de-x-icu\", d.id"

struct json_object *
db_documents_list(struct db *db, const struct principal *u, int64_t account_id, int64_t folder_id,
    const struct page_keys *pk)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;

	documents_who(&p, u);
	p_int(&p, account_id);
	p_id(&p, folder_id);
	p_int(&p, pk->limit);
	p_int(&p, pk->offset);
	buf_puts(&sql, "SELECT " DOC_COLS " FROM documents d JOIN folders f ON f.id = d.folder_id"
		       " WHERE d.account_id = $3 AND d.firm_id = $1 AND d.sha256 IS NOT NULL"
		       " AND ($4::bigint IS NULL OR d.folder_id = $4)"
		       " AND ($2::bigint IS NULL OR (d.account_id = $2 AND f.access <> 'private'))");
	if (pk->after) { /* after the last row of the page before: its folder, name and id */
		p_str(&p, pk->key[0] ? pk->key[0] : "0");
		p_str(&p, pk->key[1] ? pk->key[1] : "");
		p_int(&p, pk->after_id);
		buf_puts(&sql, " AND (" DOC_ORDER ") > ($7::bigint, lower($8) COLLATE \"de-x-icu\", $9)");
	}
	buf_puts(&sql, " ORDER BY " DOC_ORDER " LIMIT $5 OFFSET $6");
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}

int
db_document_chunk_read(struct db *db, int64_t document_id, int n, int64_t from, int64_t max,
    struct buf *out)
{
	struct params p = { 0 };
	struct pg_result *res;
	const unsigned char *data;
	size_t len;
	int r = -1;

	p_int(&p, document_id);
	p_int(&p, n);
	p.binary_result = true;
	res = db_exec(db, "SELECT data FROM document_chunks WHERE document_id = $1 AND n = $2", &p);
	if (res == NULL)
		return -1;
	if (db_rows(res) == 1) {
		data = db_bytes(res, 0, 0, &len);
		if (from >= 0 && (size_t)from < len) {
			len -= (size_t)from;
			if ((int64_t)len > max)
				len = (size_t)max;
			buf_append(out, data + from, len);
			r = 0;
		}
	}
	db_clear(res);
	return r;
}

int
db_documents_attachable(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t account_id, const char *ids, struct attach_check *out)
{
	struct params p = { 0 };
	struct pg_result *res;

	documents_who(&p, u);
	p_id(&p, thread_id);
	p_id(&p, account_id);
	p_str(&p, ids);
	/* The target's account: the thread's, or the account given, as the caller may see it. */
	res = db_exec(db,
	    "WITH t AS (SELECT a.id FROM accounts a WHERE a.firm_id = $1"
	    "   AND ($2::bigint IS NULL OR a.id = $2)"
	    "   AND a.id = coalesce($4, (SELECT account_id FROM threads WHERE id = $3 AND firm_id = $1)))"
	    " SELECT EXISTS (SELECT 1 FROM t),"
	    "  (SELECT count(DISTINCT x) FROM unnest($5::bigint[]) x),"
	    "  count(d.id), count(d.id) FILTER (WHERE f.access = 'private')"
	    " FROM documents d JOIN folders f ON f.id = d.folder_id"
	    " WHERE d.id = ANY ($5::bigint[]) AND d.firm_id = $1 AND d.sha256 IS NOT NULL"
	    "  AND d.account_id = (SELECT id FROM t)"
	    "  AND ($2::bigint IS NULL OR f.access <> 'private')",
	    &p);
	if (res == NULL)
		return -1;
	out->target = db_text(res, 0, 0)[0] == 't';
	out->wanted = db_int(res, 0, 1);
	out->found = db_int(res, 0, 2);
	out->private_ = db_int(res, 0, 3);
	db_clear(res);
	return 0;
}
