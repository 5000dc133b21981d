/*
 * request.c -- one HTTP request: its arguments, its JSON body and its reply.
 * Handlers use the reply_* and field_* helpers, which write API.md's error
 * shape, so a handler reads straight through: on a false/NULL, just return.
 */
#include "foliod.h"

#include <sodium.h>

#include <ctype.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
req_free(struct request *req)
{
	size_t i;

	if (req == NULL)
		return;
	for (i = 0; i < req->nargs; i++) {
		free(req->args[i].key);
		free(req->args[i].value);
	}
	free(req->args);
	free(req->path);
	free(req->authorization);
	free(req->content_type);
	free(req->range);
	free(req->if_none_match);
	free(req->user_agent);
	free(req->user.name);
	free(req->user.email);
	buf_free(&req->body);
	buf_free(&req->out);
	stream_free(req->upload);
	if (req->download)
		free(req->download->content_type);
	free(req->download);
	for (i = 0; i < (size_t)req->nxhdr; i++)
		free(req->xhdr[i].value);
	free(req);
}

void
reply_header(struct request *req, const char *name, const char *value)
{
	if (req->nxhdr >= REPLY_HEADERS_MAX)
		abort(); /* more is a programming error */
	req->xhdr[req->nxhdr].name = name;
	req->xhdr[req->nxhdr].value = xstrdup(value);
	req->nxhdr++;
}

const char *
req_arg(const struct request *req, const char *key)
{
	size_t i;

	for (i = 0; i < req->nargs; i++)
		if (strcmp(req->args[i].key, key) == 0)
			return req->args[i].value;
	return NULL;
}

int
req_arg_int(struct request *req, const char *key, int64_t dflt, int64_t min, int64_t max,
    int64_t *out)
{
	const char *v = req_arg(req, key);
	char *end;
	long long n;

	if (v == NULL || *v == '\0') {
		*out = dflt;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	/* Too large to represent is still "above the maximum": capped like any other. */
	if ((errno && !(errno == ERANGE && n == LLONG_MAX)) || *end != '\0' || n < min) {
		reply_error(req, 422, "invalid_field", "%s must be a whole number of at least %" PRId64,
		    key, min);
		return -1;
	}
	*out = n > max ? max : n;
	return 0;
}

struct json_object *
req_json(struct request *req)
{
	struct json_limits lim = { (int)cfg.json_depth, (size_t)cfg.json_string };
	struct json_object *o;
	enum json_fail why;
	char err[256];

	/* application/json, optionally with parameters; not application/json-seq and the like. */
	if (req->content_type == NULL || strncasecmp(req->content_type, "application/json", 16) != 0 ||
	    strchr("; \t", req->content_type[16]) == NULL) {
		reply_error(req, 415, "unsupported_media_type",
		    "send the body as Content-Type: application/json");
		return NULL;
	}
	o = json_parse_why(buf_str(&req->body), req->body.len, &lim, &why, err, sizeof err);
	if (o == NULL && why == JSON_FAIL_NULL) {
		reply_error(req, 422, "invalid_body", "the body must be a JSON object");
		return NULL;
	}
	if (o == NULL) {
		/* Before any handler or statement: nothing of such a body is stored. */
		reply_error(req, 400, why == JSON_FAIL_TEXT ? "invalid_utf8" : "malformed_json", "%s", err);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		reply_error(req, 422, "invalid_body", "the body must be a JSON object");
		return NULL;
	}
	return o;
}

void
reply_json(struct request *req, int status, struct json_object *o)
{
	req->status = status;
	buf_reset(&req->out);
	buf_puts(&req->out, json_text(o));
	json_object_put(o);
}

void
reply_error(struct request *req, int status, const char *code, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	reply_json(req, status, o);
}

void
reply_empty(struct request *req, int status)
{
	req->status = status;
	buf_reset(&req->out);
}

void
reply_list(struct request *req, struct json_object *items, const char *next)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "items", items);
	json_object_object_add(o, "next", next ? json_object_new_string(next) : NULL);
	reply_json(req, 200, o);
}

void
reply_list_text(struct request *req, const char *items, const char *next)
{
	req->status = 200;
	buf_reset(&req->out);
	buf_puts(&req->out, "{\"items\":");
	buf_puts(&req->out, items);
	buf_puts(&req->out, ",\"next\":");
	if (next) {
		buf_putc(&req->out, '"');
		buf_puts(&req->out, next); /* a number: nothing to escape */
		buf_putc(&req->out, '"');
	} else
		buf_puts(&req->out, "null");
	buf_putc(&req->out, '}');
}

static bool
field_fail(struct request *req, const char *key, enum json_get r, const char *what)
{
	if (r == JSON_GET_MISSING)
		reply_error(req, 422, "missing_field", "%s is required", key);
	else
		reply_error(req, 422, "invalid_field", "%s must be %s", key, what);
	return false;
}

bool
field_string(struct request *req, struct json_object *o, const char *key, bool required,
    size_t maxlen, const char **out)
{
	enum json_get r = json_get_string(o, key, out);

	if (r == JSON_GET_MISSING && !required)
		return true;
	if (r != JSON_GET_OK)
		return field_fail(req, key, r, "a string");
	if (required && **out == '\0') {
		reply_error(req, 422, "invalid_field", "%s must not be empty", key);
		return false;
	}
	if (strlen(*out) > maxlen) {
		reply_error(req, 422, "invalid_field", "%s is longer than %zu bytes", key, maxlen);
		return false;
	}
	return true;
}

bool
field_int(struct request *req, struct json_object *o, const char *key, bool required,
    int64_t min, int64_t max, int64_t *out)
{
	enum json_get r = json_get_int(o, key, out);

	if (r == JSON_GET_MISSING && !required)
		return true;
	if (r != JSON_GET_OK)
		return field_fail(req, key, r, "an integer");
	if (*out < min || *out > max) {
		reply_error(req, 422, "invalid_field", "%s must be from %" PRId64 " to %" PRId64, key,
		    min, max);
		return false;
	}
	return true;
}

bool
field_bool(struct request *req, struct json_object *o, const char *key, bool required, bool *out)
{
	enum json_get r = json_get_bool(o, key, out);

	if (r == JSON_GET_MISSING && !required)
		return true;
	if (r != JSON_GET_OK)
		return field_fail(req, key, r, "true or false");
	return true;
}

/* A time as folio_ts() writes it: 2026-12-02T03:41:05.123456Z. */
static bool
req_cursor_time(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (n < sizeof shape || s[n - 1] != 'Z')
		return false;
	for (i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	if (i == n - 1)
		return true;
	if (s[i++] != '.' || n - 1 - i < 1 || n - 1 - i > 6)
		return false;
	for (; i < n - 1; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
req_page_keyset(struct request *req, struct page_pos *pp)
{
	const char *c = req_arg(req, "cursor"), *tilde;
	char *end;
	size_t n;

	memset(pp, 0, sizeof *pp);
	if (req_arg_int(req, "limit", 50, 1, 200, &pp->limit) != 0)
		return -1;
	if (c == NULL || *c == '\0' || strchr(c, '~') == NULL)
		return req_arg_int(req, "cursor", 0, 0, INT64_MAX, &pp->offset);
	/* KEY~ID: after the row with this sort key (empty: none) and id. */
	tilde = strchr(c, '~');
	n = (size_t)(tilde - c);
	pp->after_id = strtoll(tilde + 1, &end, 10);
	if (n >= sizeof pp->keybuf || (n > 0 && !req_cursor_time(c, n)) || *end != '\0' ||
	    pp->after_id <= 0 || !isdigit((unsigned char)tilde[1])) {
		reply_error(req, 422, "invalid_field", "cursor is not one this server gave");
		return -1;
	}
	memcpy(pp->keybuf, c, n);
	pp->keybuf[n] = '\0';
	pp->key = pp->keybuf;
	return 0;
}

void
reply_page_keyset(struct request *req, struct json_object *items, const struct page_pos *pp,
    const char *keyfield)
{
	struct json_object *o = json_object_new_object(), *last;
	size_t n = json_object_array_length(items);
	const char *key = NULL;
	int64_t id = 0;
	char *next = NULL;

	if ((int64_t)n == pp->limit && n > 0) {
		last = json_object_array_get_idx(items, n - 1);
		json_get_string(last, keyfield, &key);
		json_get_int(last, "id", &id);
		next = xasprintf("%s~%" PRId64, key ? key : "", id);
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "next", next ? json_object_new_string(next) : NULL);
	free(next);
	reply_json(req, 200, o);
}

int
req_page_keys(struct request *req, struct page_keys *pk, const char *kinds)
{
	const struct json_limits lim = { 2, sizeof pk->buf };
	const char *c = req_arg(req, "cursor"), *s;
	int nkeys = (int)strlen(kinds), i;
	struct json_object *a = NULL, *v;
	unsigned char raw[sizeof pk->buf + 64];
	size_t n, len, used = 0;
	char err[64];

	memset(pk, 0, sizeof *pk);
	if (req_arg_int(req, "limit", 50, 1, 200, &pk->limit) != 0)
		return -1;
	if (c == NULL || *c != 'k')
		return req_arg_int(req, "cursor", 0, 0, INT64_MAX, &pk->offset);
	if (nkeys > PAGE_KEYS_MAX ||
	    sodium_base642bin(raw, sizeof raw, c + 1, strlen(c + 1), NULL, &n, NULL,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    (a = json_parse((const char *)raw, n, &lim, err, sizeof err)) == NULL ||
	    !json_object_is_type(a, json_type_array) ||
	    (int)json_object_array_length(a) != nkeys + 1)
		goto bad;
	for (i = 0; i < nkeys; i++) {
		if ((v = json_object_array_get_idx(a, (size_t)i)) == NULL)
			continue; /* that key was null */
		if (!json_object_is_type(v, kinds[i] == 'n' ? json_type_int : json_type_string))
			goto bad;
		s = json_object_get_string(v);
		len = strlen(s);
		if ((kinds[i] == 't' && !req_cursor_time(s, len)) || used + len + 1 > sizeof pk->buf)
			goto bad;
		memcpy(pk->buf + used, s, len + 1);
		pk->key[i] = pk->buf + used;
		used += len + 1;
	}
	v = json_object_array_get_idx(a, (size_t)nkeys);
	if (!json_object_is_type(v, json_type_int) || (pk->after_id = json_object_get_int64(v)) <= 0)
		goto bad;
	pk->after = true;
	json_object_put(a);
	return 0;
bad:
	json_object_put(a);
	reply_error(req, 422, "invalid_field", "cursor is not one this server gave");
	return -1;
}

char *
page_keys_next(struct json_object *items, const struct page_keys *pk, const char *const *fields,
    int nkeys)
{
	size_t n = json_object_array_length(items), len;
	struct json_object *last, *a, *v;
	const char *text;
	char *out;
	int i;

	if (n == 0 || (int64_t)n != pk->limit)
		return NULL;
	last = json_object_array_get_idx(items, n - 1);
	a = json_object_new_array();
	for (i = 0; i < nkeys; i++) {
		v = NULL;
		json_object_object_get_ex(last, fields[i], &v);
		json_object_array_add(a, json_object_get(v));
	}
	v = NULL;
	json_object_object_get_ex(last, "id", &v);
	json_object_array_add(a, json_object_get(v));
	text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	out = xmalloc(2 + sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	out[0] = 'k';
	sodium_bin2base64(out + 1, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	    (const unsigned char *)text, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_put(a);
	return out;
}

void
reply_page_next(struct request *req, struct json_object *items, char *next, const char *key,
    struct json_object *value)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "items", items);
	json_object_object_add(o, "next", next ? json_object_new_string(next) : NULL);
	if (key)
		json_object_object_add(o, key, value);
	free(next);
	reply_json(req, 200, o);
}

