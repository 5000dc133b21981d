/*
 * fuzz_json.c -- request JSON: common/json.c's strict parser (UTF-8, limits,
 * one value and nothing after it) and the server's use of it for a body
 * (req_json) and for a keyset cursor (req_page_keys). Besides not crashing:
 * a parsed value prints and parses back equal, trailing blanks change
 * nothing, and a value that parses inside an array parses alone.
 */
#include "fuzz.h"
#include "foliod.h"
#include "utf8.h"

#include <sodium.h>

static const struct json_limits fuzz_lim = { 8, 256 };

/* Parses text; returns the value or NULL, checking what the contract says of each. */
static struct json_object *
fuzz_json_parse(const char *text, size_t len, enum json_fail *why)
{
	struct json_object *o;
	char err[256] = "";

	o = json_parse_why(text, len, &fuzz_lim, why, err, sizeof err);
	if (o != NULL) {
		FUZZ_CHECK(*why == JSON_FAIL_NONE);
		FUZZ_CHECK(utf8_valid(text, len));
	} else {
		FUZZ_CHECK(*why != JSON_FAIL_NONE);
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strstr(err, "success") == NULL); /* json-c's word for no error */
	}
	return o;
}

static void
fuzz_json_value(const uint8_t *data, size_t size)
{
	struct json_object *o, *back, *alone;
	enum json_fail why, why2;
	const char *text;
	char *more;

	o = fuzz_json_parse((const char *)data, size, &why);
	if (o != NULL) {
		text = json_text(o);
		back = fuzz_json_parse(text, strlen(text), &why2);
		FUZZ_CHECK(back != NULL && json_object_equal(o, back));
		json_object_put(back);
	}
	/* The same with a blank after it: accepted exactly when it was. */
	more = xmalloc(size + 2);
	memcpy(more + 1, data, size);
	more[size + 1] = ' ';
	alone = fuzz_json_parse(more + 1, size + 1, &why2);
	FUZZ_CHECK((alone != NULL) == (o != NULL));
	json_object_put(alone);
	/* Inside an array of one: the value alone parses too (it is one value). */
	more = xrealloc(more, size + 2);
	more[0] = '[';
	memcpy(more + 1, data, size);
	more[size + 1] = ']';
	alone = fuzz_json_parse(more, size + 2, &why2);
	if (alone != NULL && json_object_is_type(alone, json_type_array) &&
	    json_object_array_length(alone) == 1 && json_object_array_get_idx(alone, 0) != NULL)
		FUZZ_CHECK(o != NULL);
	json_object_put(alone);
	json_object_put(o);
	free(more);
}

/* The body of a request, and the same bytes as a keyset cursor. */
static void
fuzz_json_request(const uint8_t *data, size_t size)
{
	struct request *req = xcalloc(1, sizeof *req);
	struct json_object *o;
	struct page_keys pk;
	size_t clen = sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *cursor = xmalloc(clen + 1);

	req->content_type = xstrdup("application/json; charset=utf-8");
	buf_append(&req->body, data, size);
	o = req_json(req);
	FUZZ_CHECK((o == NULL) == (req->status != 0));
	FUZZ_CHECK(o == NULL || json_object_is_type(o, json_type_object));
	json_object_put(o);

	cursor[0] = 'k';
	sodium_bin2base64(cursor + 1, clen, data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	req->args = xcalloc(1, sizeof *req->args);
	req->args[0].key = xstrdup("cursor");
	req->args[0].value = cursor;
	req->nargs = 1;
	req->status = 0;
	if (req_page_keys(req, &pk, "ts") == 0) {
		FUZZ_CHECK(pk.after && pk.after_id > 0);
		FUZZ_CHECK(req->status == 0);
	} else
		FUZZ_CHECK(req->status == 422);
	req_free(req);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	cfg.json_depth = 32;
	cfg.json_string = 262144;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_json_value(data, size);
	fuzz_json_request(data, size);
	return 0;
}
