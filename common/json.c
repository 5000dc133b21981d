/* json.c -- the one place that turns bytes into JSON: strict, UTF-8, bounded. */
#include "json.h"

#include <stdio.h>
#include <string.h>

static bool
json_strings_ok(struct json_object *o, size_t max)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return (size_t)json_object_get_string_len(o) <= max;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!json_strings_ok(json_object_array_get_idx(o, i), max))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (strlen(key) > max || !json_strings_ok(val, max))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/*
 * What json-c's strict mode still lets through: 'single-quoted' keys, raw
 * control characters inside strings, and the words NaN and Infinity.
 * Returns a reason, or NULL when the text is clean.
 */
static const char *
json_lexical_error(const char *text, size_t len)
{
	bool in_string = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if ((unsigned char)text[i] < 0x20)
				return "control character inside a string";
			if (text[i] == '\\')
				i++;
			else if (text[i] == '"')
				in_string = false;
		} else if (text[i] == '"')
			in_string = true;
		else if (text[i] == '\'')
			return "strings take double quotes";
		else if (text[i] == 'N' || text[i] == 'I' || text[i] == 'i')
			return "NaN and Infinity are not JSON";
	}
	return NULL;
}

struct json_object *
json_parse(const char *text, size_t len, const struct json_limits *lim, char *err,
    size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	const char *lexical;
	size_t end;

	if (len == 0) {
		snprintf(err, errlen, "empty body");
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in JSON");
		return NULL;
	}
	if ((lexical = json_lexical_error(text, len)) != NULL) {
		snprintf(err, errlen, "malformed JSON: %s", lexical);
		return NULL;
	}
	tok = json_tokener_new_ex(lim->max_depth);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "unexpected end of JSON");
		else if (jerr == json_tokener_error_depth)
			snprintf(err, errlen, "JSON nested deeper than %d", lim->max_depth);
		else
			snprintf(err, errlen, "malformed JSON at byte %zu: %s", end,
			    json_tokener_error_desc(jerr));
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (end != len) {
		snprintf(err, errlen, "trailing bytes after JSON at byte %zu", end);
		json_object_put(o);
		return NULL;
	}
	if (!json_strings_ok(o, lim->max_string)) {
		snprintf(err, errlen, "a string is longer than %zu bytes", lim->max_string);
		json_object_put(o);
		return NULL;
	}
	return o;
}

static enum json_get
json_get(struct json_object *o, const char *key, enum json_type type, struct json_object **out)
{
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || v == NULL)
		return JSON_GET_MISSING;
	if (!json_object_is_type(v, type))
		return JSON_GET_WRONG_TYPE;
	*out = v;
	return JSON_GET_OK;
}

enum json_get
json_get_string(struct json_object *o, const char *key, const char **out)
{
	struct json_object *v;
	enum json_get r = json_get(o, key, json_type_string, &v);

	if (r == JSON_GET_OK)
		*out = json_object_get_string(v);
	return r;
}

enum json_get
json_get_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	enum json_get r = json_get(o, key, json_type_int, &v);

	if (r == JSON_GET_OK)
		*out = json_object_get_int64(v);
	return r;
}

enum json_get
json_get_bool(struct json_object *o, const char *key, bool *out)
{
	struct json_object *v;
	enum json_get r = json_get(o, key, json_type_boolean, &v);

	if (r == JSON_GET_OK)
		*out = json_object_get_boolean(v);
	return r;
}

enum json_get
json_get_object(struct json_object *o, const char *key, struct json_object **out)
{
	return json_get(o, key, json_type_object, out);
}

enum json_get
json_get_array(struct json_object *o, const char *key, struct json_object **out)
{
	return json_get(o, key, json_type_array, out);
}

const char *
json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
