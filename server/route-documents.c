/*
 * route-documents.c -- folders, uploads and downloads of an account's
 * documents (folio-api(7), DOCUMENTS).
 *
 * An upload's body arrives through req->upload (stream.c) while this job runs:
 * it is hashed (SHA-256), sniffed (libmagic, from its first chunk) and written
 * as 256 KiB rows of document_chunks inside one transaction, so a failed
 * upload stores nothing and memory does not grow with the file. A download
 * reads one chunk per pool job (documents_chunk_run) as http.c sends it.
 * File names are data: stored, shown and sent in Content-Disposition, never
 * used as a path. The SQL is in db-documents.c.
 */
#include "foliod.h"
#include "utf8.h"

#include <magic.h>
#include <sodium.h>

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* What the chat uploads folder is called when it is created. */
#define DOCUMENTS_CHAT_FOLDER "Chat-Uploads"
#define DOCUMENTS_NAME_MAX 255

/* A folder or file name: 1..255 bytes of UTF-8 without control characters (nor '/', for folders). */
bool
documents_name_ok(struct request *req, const char *key, const char *name, bool folder)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = name ? strlen(name) : 0;

	if (name == NULL || n == 0) {
		reply_error(req, 422, "missing_field", "%s is required", key);
		return false;
	}
	if (n > DOCUMENTS_NAME_MAX || !utf8_valid(name, n)) {
		reply_error(req, 422, "invalid_field", "%s must be UTF-8 of at most %d bytes", key,
		    DOCUMENTS_NAME_MAX);
		return false;
	}
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f || (folder && *s == '/')) {
			reply_error(req, 422, "invalid_field", "%s holds a control character%s", key,
			    folder ? " or '/'" : "");
			return false;
		}
	return true;
}

/* The account of the path, as u may see it; else a 404 (or nothing on a database failure). */
static bool
documents_account(struct request *req, struct db *db)
{
	int r = db_documents_account_visible(db, &req->user, req->ids[0]);

	if (r == 0)
		reply_error(req, 404, "not_found", "no such account");
	return r == 1;
}

/* Nests the flat rows (parents first) into {items:[{..., children:[...]}]}. */
static struct json_object *
documents_tree(struct json_object *rows)
{
	struct json_object *items = json_object_new_array(), *f, *parent, *kids;
	size_t i, j, n = json_object_array_length(rows);
	int64_t pid, id;

	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(rows, i);
		json_object_object_add(f, "children", json_object_new_array());
	}
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(rows, i);
		if (json_get_int(f, "parent_id", &pid) != JSON_GET_OK) {
			json_object_array_add(items, json_object_get(f));
			continue;
		}
		for (j = 0; j < n; j++) {
			parent = json_object_array_get_idx(rows, j);
			if (json_get_int(parent, "id", &id) == JSON_GET_OK && id == pid &&
			    json_object_object_get_ex(parent, "children", &kids)) {
				json_object_array_add(kids, json_object_get(f));
				break;
			}
		}
	}
	return items;
}

void
route_folders_list(struct request *req, struct db *db)
{
	struct json_object *rows;

	if (!documents_account(req, db) ||
	    (rows = db_folders_list(db, &req->user, req->ids[0])) == NULL)
		return;
	reply_list(req, documents_tree(rows), NULL);
	json_object_put(rows);
}

void
route_folders_create(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	const char *name = NULL, *access = NULL;
	int64_t parent = 0;
	struct folder_info pf;
	int r;

	if (!documents_account(req, db) || (body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "name", true, DOCUMENTS_NAME_MAX, &name) ||
	    !documents_name_ok(req, "name", name, true) ||
	    !field_string(req, body, "access", false, 16, &access) ||
	    !field_int(req, body, "parent_id", false, 1, INT64_MAX, &parent))
		goto out;
	if (parent == 0 && access == NULL) {
		reply_error(req, 422, "missing_field", "access is required for a top-level folder");
		goto out;
	}
	if (access && strcmp(access, "private") != 0 && strcmp(access, "client_view") != 0 &&
	    strcmp(access, "client_edit") != 0) {
		reply_error(req, 422, "invalid_field",
		    "access must be private, client_view or client_edit");
		goto out;
	}
	if (parent > 0) {
		if ((r = db_folder_get(db, &req->user, req->ids[0], parent, &pf)) <= 0) {
			if (r == 0)
				reply_error(req, 422, "unknown_folder", "no such parent folder");
			goto out;
		}
		access = pf.access; /* a subfolder takes its top-level folder's access */
	}
	if ((o = db_folder_create(db, &req->user, req->ids[0], parent, name, access)) != NULL) {
		json_object_object_add(o, "children", json_object_new_array());
		reply_json(req, 201, o);
	} else if (db->unique_violation)
		reply_error(req, 409, "name_taken", "a folder of that name is already there");
out:
	json_object_put(body);
}

void
route_documents_list(struct request *req, struct db *db)
{
	static const char *const keys[] = { "folder_id", "name" };
	struct json_object *items;
	struct folder_info f;
	struct page_keys pk;
	int64_t folder = 0;
	int r;

	if (req_arg_int(req, "folder_id", 0, 1, INT64_MAX, &folder) != 0 ||
	    req_page_keys(req, &pk, "ns") != 0 || !documents_account(req, db))
		return;
	if (folder > 0 && (r = db_folder_get(db, &req->user, req->ids[0], folder, &f)) <= 0) {
		if (r == 0)
			reply_error(req, 404, "not_found", "no such folder");
		return;
	}
	if ((items = db_documents_list(db, &req->user, req->ids[0], folder, &pk)) != NULL)
		reply_page_next(req, items, page_keys_next(items, &pk, keys, 2), NULL, NULL);
}

void
route_documents_get(struct request *req, struct db *db)
{
	struct json_object *o = db_document_get(db, &req->user, req->ids[0], NULL, 0);

	if (o)
		reply_json(req, 200, o);
	else if (!db->broken)
		reply_error(req, 404, "not_found", "no such document");
}

/*
 * The media type of a document from its first bytes (libmagic), never from the
 * client. Into out; application/octet-stream when libmagic cannot tell.
 */
static void
documents_sniff(const unsigned char *data, size_t len, char *out, size_t outsz)
{
	magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	const char *t = NULL;

	if (m && magic_load(m, NULL) == 0)
		t = magic_buffer(m, data, len);
	/* A type is token/token: anything else (an error text) is not one. */
	snprintf(out, outsz, "%s",
	    t && strchr(t, '/') && strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789+-./") == strlen(t)
		? t
		: "application/octet-stream");
	if (m)
		magic_close(m);
}

/* Where an upload goes: the folder named by ?folder_id, or the chat uploads folder. 0 or -1. */
static int
documents_upload_folder(struct request *req, struct db *db, struct folder_info *f)
{
	int64_t id;
	int r;

	if (req_arg_int(req, "folder_id", 0, 1, INT64_MAX, &id) != 0)
		return -1;
	if (id == 0) { /* a chat upload: contacts may, into the client_view folder */
		f->id = db_folder_chat_uploads(db, req->user.firm_id, req->ids[0],
		    DOCUMENTS_CHAT_FOLDER);
		snprintf(f->access, sizeof f->access, "client_view");
		return f->id > 0 ? 0 : -1;
	}
	if ((r = db_folder_get(db, &req->user, req->ids[0], id, f)) <= 0) {
		if (r == 0)
			reply_error(req, 404, "not_found", "no such folder");
		return -1;
	}
	if (!is_staff(req) && strcmp(f->access, "client_edit") != 0) {
		reply_error(req, 403, "folder_read_only", "clients may not upload into this folder");
		return -1;
	}
	return 0;
}

/* The upload's state: the running hash, the chunk being filled, what was written. */
struct documents_upload {
	crypto_hash_sha256_state sha;
	unsigned char *chunk;
	size_t fill;
	int64_t size;
	int chunks;
	char media_type[128];
};

/* Writes the filled chunk (the first one also gives the media type). Returns -1 on failure. */
static int
documents_flush(struct db *db, int64_t doc, struct documents_upload *u)
{
	if (u->fill == 0)
		return 0;
	if (u->chunks == 0)
		documents_sniff(u->chunk, u->fill, u->media_type, sizeof u->media_type);
	crypto_hash_sha256_update(&u->sha, u->chunk, u->fill);
	if (db_document_chunk_write(db, doc, u->chunks, u->chunk, u->fill) != 0)
		return -1;
	u->size += (int64_t)u->fill;
	u->chunks++;
	u->fill = 0;
	return 0;
}

/*
 * Reads the whole body from the stream into 256 KiB chunks of doc. Returns 0,
 * or -1 after replying (the body did not arrive) or on a database failure.
 */
static int
documents_receive(struct request *req, struct db *db, int64_t doc, struct documents_upload *u)
{
	long n;

	for (;;) {
		if (req->upload == NULL)
			n = 0; /* an empty body */
		else if ((n = stream_read(req->upload, u->chunk + u->fill,
				DOCUMENT_CHUNK - u->fill)) < 0) {
			reply_error(req, 400, "upload_incomplete", "%s",
			    stream_why(req->upload) ? stream_why(req->upload)
						    : "the body did not arrive in full");
			req->close_after = true;
			return -1;
		}
		if (n == 0)
			return documents_flush(db, doc, u);
		u->fill += (size_t)n;
		if (u->fill == DOCUMENT_CHUNK && documents_flush(db, doc, u) != 0)
			return -1;
	}
}

/*
 * document.created: staff always, the account's contacts unless the folder is
 * private; and an Inbox+ item for the team (but the uploader).
 */
static int
documents_created(struct db *db, const struct request *req, struct json_object *doc,
    const char *access)
{
	struct json_object *pl = json_object_new_object();
	int64_t id = 0;
	int r;

	json_object_object_add(pl, "document", json_object_get(doc));
	r = events_emit(db, "document.created", req->user.firm_id, req->ids[0],
	    strcmp(access, "private") == 0, 0, pl);
	json_object_put(pl);
	if (r == 0 && json_get_int(doc, "id", &id) == JSON_GET_OK)
		r = notify_document_uploaded(db, &req->user, req->ids[0], id);
	return r;
}

/*
 * The document's name: ?name=, else (a multipart body) its file part's
 * filename, once the loop has parsed that far. NULL after replying.
 */
static const char *
documents_upload_name(struct request *req)
{
	const char *name = req_arg(req, "name");

	if ((name == NULL || *name == '\0') && req->upload_multipart && req->upload &&
	    (name = stream_name(req->upload)) == NULL) {
		reply_error(req, 400, "upload_incomplete", "%s",
		    stream_why(req->upload) ? stream_why(req->upload) : "the body did not arrive in full");
		return NULL;
	}
	return name ? name : "";
}

/*
 * Uploads running now. An upload holds its database thread until its body is
 * in, so at most --db-threads - 1 run at once: one thread is always left for
 * every other request.
 */
static atomic_int documents_uploading;

/* Takes a place for an upload; false (after a 503) when none is free. */
static bool
documents_upload_enter(struct request *req)
{
	int max = cfg.db_threads > 1 ? (int)cfg.db_threads - 1 : 1;

	if (atomic_fetch_add(&documents_uploading, 1) < max)
		return true;
	atomic_fetch_sub(&documents_uploading, 1);
	snprintf(req->retry_after, sizeof req->retry_after, "1");
	req->close_after = true;
	reply_error(req, 503, "uploads_busy", "%d uploads are running; try again shortly", max);
	return false;
}

void
route_documents_upload(struct request *req, struct db *db)
{
	const char *name = NULL;
	struct documents_upload u;
	struct json_object *doc = NULL, *items;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	struct folder_info f;
	int64_t id;

	memset(&u, 0, sizeof u);
	snprintf(u.media_type, sizeof u.media_type, "application/x-empty");
	if (!documents_upload_enter(req)) {
		stream_close(req->upload);
		return;
	}
	if (!documents_account(req, db) || documents_upload_folder(req, db, &f) != 0 ||
	    (name = documents_upload_name(req)) == NULL || !documents_name_ok(req, "name", name, false) ||
	    db_begin(db) != 0 ||
	    (id = db_document_begin(db, &req->user, req->ids[0], f.id, name)) <= 0)
		goto out;
	u.chunk = xmalloc(DOCUMENT_CHUNK);
	crypto_hash_sha256_init(&u.sha);
	if (documents_receive(req, db, id, &u) != 0)
		goto out;
	crypto_hash_sha256_final(&u.sha, hash);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	if ((doc = db_document_finish(db, id, u.size, u.media_type, hex, u.chunks)) == NULL ||
	    documents_created(db, req, doc, f.access) != 0 || db_commit(db) != 0)
		goto out;
	activity_committed();
	items = json_object_new_array();
	json_object_array_add(items, json_object_get(doc));
	reply_list(req, items, NULL);
	req->status = 201;
out:
	if (req->upload)
		stream_close(req->upload);
	json_object_put(doc);
	free(u.chunk);
	atomic_fetch_sub(&documents_uploading, 1);
}

/* At most this many documents on one message. */
#define DOCUMENTS_ATTACH_MAX 50

int
documents_attach(struct request *req, struct db *db, struct json_object *body, int64_t thread_id,
    int64_t account_id, bool internal, char **out)
{
	struct json_object *ids = NULL, *v;
	struct attach_check c;
	struct buf a = BUF_INIT;
	size_t i, n;
	int64_t id;

	*out = NULL;
	if (json_get_array(body, "document_ids", &ids) == JSON_GET_WRONG_TYPE ||
	    (ids && json_object_array_length(ids) > DOCUMENTS_ATTACH_MAX)) {
		reply_error(req, 422, "invalid_field", "document_ids must be a list of at most %d ids",
		    DOCUMENTS_ATTACH_MAX);
		return -1;
	}
	if (ids == NULL || (n = json_object_array_length(ids)) == 0)
		return 0;
	buf_putc(&a, '{');
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) <= 0) {
			buf_free(&a);
			reply_error(req, 422, "invalid_field", "document_ids must be a list of ids");
			return -1;
		}
		buf_printf(&a, "%s%" PRId64, i ? "," : "", id);
	}
	buf_putc(&a, '}');
	if (db_documents_attachable(db, &req->user, thread_id, account_id, buf_str(&a), &c) != 0) {
		buf_free(&a);
		return -1;
	}
	/* No such thread or account: the write answers 404 as it would without documents. */
	if (c.target && c.found < c.wanted) {
		reply_error(req, 422, "unknown_document", "no such document in this account");
	} else if (c.target && c.private_ > 0 && !internal) {
		reply_error(req, 409, "private_folder",
		    "a document from a private folder can only go on an internal note");
	} else {
		*out = buf_detach(&a);
		return 0;
	}
	buf_free(&a);
	return -1;
}

/*
 * A single byte range of a document of size bytes: 1 with [*from, *to], 0 to
 * send it whole (no Range, or one we do not serve: several ranges, another
 * unit), -1 when it cannot be satisfied (416).
 */
int
documents_range(const char *h, int64_t size, int64_t *from, int64_t *to)
{
	const char *s;
	char *end;
	long long a, b;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 0;
	s = h + 6;
	errno = 0;
	if (*s == '-') { /* the last N bytes */
		b = strtoll(s + 1, &end, 10);
		if (errno || *end != '\0' || end == s + 1 || b < 0)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	a = strtoll(s, &end, 10);
	if (errno || end == s || *end != '-' || a < 0)
		return 0;
	s = end + 1;
	if (*s == '\0')
		b = size - 1;
	else {
		b = strtoll(s, &end, 10);
		if (errno || *end != '\0' || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 1;
}

/*
 * Content-Disposition for a file name (RFC 6266): an ASCII fallback in
 * filename= and the UTF-8 name percent-encoded in filename*= (RFC 5987).
 * Caller frees.
 */
char *
documents_disposition(const char *name)
{
	static const char hexd[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	const unsigned char *s;

	buf_puts(&b, "attachment; filename=\"");
	for (s = (const unsigned char *)name; *s; s++)
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\' && *s != '%')
			buf_putc(&b, (char)*s);
		else if (*s < 0x80 || *s >= 0xc0) /* one '_' per character, not per byte */
			buf_putc(&b, '_');
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (s = (const unsigned char *)name; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("!#$&+-.^_`|~", *s) != NULL)
			buf_putc(&b, (char)*s);
		else {
			buf_putc(&b, '%');
			buf_putc(&b, hexd[*s >> 4]);
			buf_putc(&b, hexd[*s & 15]);
		}
	}
	return buf_detach(&b);
}

/* True when If-None-Match names etag (or is "*"). */
bool
documents_etag_matches(const char *inm, const char *etag)
{
	return inm && (strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL);
}

void
documents_chunk_run(struct job *job, struct db *db)
{
	struct request *req = (struct request *)job;
	struct download *d = req->download;
	int n = (int)(d->next / DOCUMENT_CHUNK);
	int64_t from = d->next % DOCUMENT_CHUNK;
	size_t before = req->out.len;

	if (db->broken || db_document_chunk_read(db, d->document_id, n, from, d->end - d->next,
			      &req->out) != 0)
		d->failed = true;
	else
		d->next += (int64_t)(req->out.len - before);
}

/*
 * Starts the answer's body: bytes [from, to] of the document, the first chunk
 * read in this job already. Returns -1 after replying 500 when it cannot be read.
 */
static int
documents_download_start(struct request *req, struct db *db, const char *name, const char *type,
    int64_t from, int64_t to)
{
	struct download *d = xcalloc(1, sizeof *d);
	char *disp = documents_disposition(name ? name : "document");

	reply_header(req, "content-disposition:", disp);
	free(disp);
	/* A browser must not run what it was sent (an HTML upload, say). */
	reply_header(req, "content-security-policy:", "sandbox");
	d->document_id = req->ids[0];
	d->next = from;
	d->end = to + 1;
	d->length = to + 1 - from;
	d->content_type = xstrdup(type ? type : "application/octet-stream");
	req->download = d;
	buf_reset(&req->out);
	if (d->length > 0)
		documents_chunk_run(&req->job, db);
	if (!d->failed)
		return 0;
	reply_error(req, 500, "internal_error", "the document cannot be read");
	free(d->content_type);
	free(d);
	req->download = NULL;
	return -1;
}

/* The audit row of a download (the whole document, or the range served). */
static int
documents_audit_download(struct request *req, struct db *db, const char *name, int64_t from,
    int64_t to, bool ranged)
{
	struct json_object *d = json_object_new_object();
	struct audit_entry e;

	route_audit_entry(&e, req, "document_downloaded");
	json_object_object_add(d, "document_id", json_object_new_int64(req->ids[0]));
	json_object_object_add(d, "name", json_object_new_string(name ? name : ""));
	if (ranged) {
		json_object_object_add(d, "from", json_object_new_int64(from));
		json_object_object_add(d, "to", json_object_new_int64(to));
	}
	return route_audit_record(db, &e, d);
}

void
route_documents_content(struct request *req, struct db *db)
{
	struct json_object *doc = db_document_get(db, &req->user, req->ids[0], NULL, 0);
	const char *sha = NULL, *name = NULL, *type = NULL;
	int64_t size = 0, from = 0, to = 0;
	char etag[80], range[96];
	int r;

	if (doc == NULL) {
		if (!db->broken)
			reply_error(req, 404, "not_found", "no such document");
		return;
	}
	json_get_string(doc, "sha256", &sha);
	json_get_string(doc, "name", &name);
	json_get_string(doc, "media_type", &type);
	json_get_int(doc, "size", &size);
	snprintf(etag, sizeof etag, "\"%s\"", sha ? sha : "");
	reply_header(req, "etag:", etag);
	reply_header(req, "accept-ranges:", "bytes");
	if (documents_etag_matches(req->if_none_match, etag)) {
		reply_empty(req, 304);
	} else if ((r = documents_range(req->range, size, &from, &to)) < 0) {
		snprintf(range, sizeof range, "bytes */%" PRId64, size);
		reply_header(req, "content-range:", range);
		reply_error(req, 416, "range_not_satisfiable", "the document has %" PRId64 " bytes",
		    size);
	} else {
		if (r == 0) {
			from = 0;
			to = size - 1;
		} else {
			snprintf(range, sizeof range, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, from, to,
			    size);
			reply_header(req, "content-range:", range);
		}
		/* Nothing is served that the audit log does not hold. */
		if (documents_audit_download(req, db, name, from, to, r == 1) != 0) {
			if (!db->broken)
				reply_error(req, 500, "internal_error", "the download cannot be recorded");
		} else if (documents_download_start(req, db, name, type, from, to) == 0)
			req->status = r == 1 ? 206 : 200;
	}
	json_object_put(doc);
}
