/* json.c -- the one place that turns bytes into JSON: strict, UTF-8, bounded. */
#include "json.h"
#include "utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* What json_strings_check() finds. */
enum json_strings { JSON_STRINGS_OK, JSON_STRINGS_LONG, JSON_STRINGS_TEXT };

/*
 * Every string and key no longer than max and strict UTF-8 without NUL.
 * The text was checked before parsing; this also covers what json-c made of
 * \u escapes, whatever its version does with them.
 */
static enum json_strings
json_strings_check(struct json_object *o, size_t max)
{
	enum json_strings r;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		n = (size_t)json_object_get_string_len(o);
		if (!utf8_valid(json_object_get_string(o), n))
			return JSON_STRINGS_TEXT;
		return n <= max ? JSON_STRINGS_OK : JSON_STRINGS_LONG;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if ((r = json_strings_check(json_object_array_get_idx(o, i), max)) != JSON_STRINGS_OK)
				return r;
		return JSON_STRINGS_OK;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (!utf8_valid(key, strlen(key)))
				return JSON_STRINGS_TEXT;
			if (strlen(key) > max)
				return JSON_STRINGS_LONG;
			if ((r = json_strings_check(val, max)) != JSON_STRINGS_OK)
				return r;
		}
		return JSON_STRINGS_OK;
	}
	default:
		return JSON_STRINGS_OK;
	}
}

/* The value of the four hex digits at s, or -1. */
static long
json_hex4(const char *s, size_t avail)
{
	long v = 0;
	size_t i;

	if (avail < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= s[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * A \u escape at text[i] (the backslash) that stands for no character of
 * strict UTF-8: \u0000, or a surrogate that is not a high one followed by a
 * low one. Returns the reason, or NULL; a malformed escape is json-c's to report.
 */
static const char *
json_escape_error(const char *text, size_t len, size_t i)
{
	long v = json_hex4(text + i + 2, len - i - 2), lo;

	if (v == 0)
		return "\\u0000 (NUL) in a string";
	if (v >= 0xdc00 && v <= 0xdfff)
		return "a lone low surrogate escape in a string";
	if (v >= 0xd800 && v <= 0xdbff) {
		lo = i + 12 <= len && text[i + 6] == '\\' && text[i + 7] == 'u' ?
		    json_hex4(text + i + 8, len - i - 8) : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return "a lone high surrogate escape in a string";
	}
	return NULL;
}

/*
 * The end of the number at text[i] ('-' or a digit) by RFC 8259's grammar, or
 * 0 when it breaks it: json-c's strict mode takes "-01", "1." and "1.e5".
 */
static size_t
json_number_end(const char *text, size_t len, size_t i)
{
	size_t d;

	if (text[i] == '-')
		i++;
	if (i < len && text[i] == '0')
		i++;
	else {
		for (d = i; i < len && isdigit((unsigned char)text[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && text[i] == '.') {
		for (d = ++i; i < len && isdigit((unsigned char)text[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (text[i] == 'e' || text[i] == 'E')) {
		if (++i < len && (text[i] == '+' || text[i] == '-'))
			i++;
		for (d = i; i < len && isdigit((unsigned char)text[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i < len && isdigit((unsigned char)text[i]) ? 0 : i; /* "01" */
}

/*
 * What json-c's strict mode still lets through: 'single-quoted' keys, raw
 * control characters inside strings, the words NaN and Infinity, numbers
 * outside JSON's grammar, and \u escapes of NUL or of unpaired surrogates
 * (those set *text_error).
 * Returns a reason, or NULL when the text is clean.
 */
static const char *
json_lexical_error(const char *text, size_t len, bool *text_error)
{
	bool in_string = false;
	const char *why;
	size_t i, end;

	*text_error = false;
	for (i = 0; i < len; i++) {
		if (in_string) {
			if ((unsigned char)text[i] < 0x20)
				return "control character inside a string";
			if (text[i] == '\\') {
				if (i + 1 < len && text[i + 1] == 'u' &&
				    (why = json_escape_error(text, len, i)) != NULL) {
					*text_error = true;
					return why;
				}
				/* A good surrogate pair: step over its low half too. */
				if (i + 1 < len && text[i + 1] == 'u' && json_hex4(text + i + 2, len - i - 2) >= 0xd800 &&
				    json_hex4(text + i + 2, len - i - 2) <= 0xdbff)
					i += 6;
				i++;
			} else if (text[i] == '"')
				in_string = false;
		} else if (text[i] == '"')
			in_string = true;
		else if (text[i] == '\'')
			return "strings take double quotes";
		else if (text[i] == 'N' || text[i] == 'I' || text[i] == 'i')
			return "NaN and Infinity are not JSON";
		else if (text[i] == '-' || isdigit((unsigned char)text[i])) {
			if ((end = json_number_end(text, len, i)) == 0)
				return "a number not written as JSON writes it";
			i = end - 1;
		}
	}
	return NULL;
}

static struct json_object *
json_fail(enum json_fail *why, enum json_fail kind, struct json_object *o)
{
	if (why)
		*why = kind;
	json_object_put(o);
	return NULL;
}

struct json_object *
json_parse(const char *text, size_t len, const struct json_limits *lim, char *err,
    size_t errlen)
{
	return json_parse_why(text, len, lim, NULL, err, errlen);
}

struct json_object *
json_parse_why(const char *text, size_t len, const struct json_limits *lim,
    enum json_fail *why, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	const char *lexical;
	bool text_error;
	size_t end;

	if (why)
		*why = JSON_FAIL_NONE;
	if (len == 0) {
		snprintf(err, errlen, "empty body");
		return json_fail(why, JSON_FAIL_SYNTAX, NULL);
	}
	if ((end = utf8_invalid_at(text, len)) < len) {
		if (text[end] == '\0')
			snprintf(err, errlen, "NUL byte in JSON at byte %zu", end);
		else
			snprintf(err, errlen, "not UTF-8 at byte %zu (overlong, surrogate, "
			    "past U+10FFFF or cut short)", end);
		return json_fail(why, JSON_FAIL_TEXT, NULL);
	}
	if ((lexical = json_lexical_error(text, len, &text_error)) != NULL) {
		snprintf(err, errlen, "malformed JSON: %s", lexical);
		return json_fail(why, text_error ? JSON_FAIL_TEXT : JSON_FAIL_SYNTAX, NULL);
	}
	tok = json_tokener_new_ex(lim->max_depth);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue && end == len) {
		/* A value ending with the text ("1", "null") is complete only at a NUL. */
		o = json_tokener_parse_ex(tok, "", 1);
		if ((jerr = json_tokener_get_error(tok)) != json_tokener_success)
			jerr = json_tokener_continue;
	}
	json_tokener_free(tok);
	if (o == NULL && jerr == json_tokener_success) {
		/* json-c has no object for null: refused, rather than taken for a failure without reason. */
		snprintf(err, errlen, "JSON null where a value was expected");
		return json_fail(why, JSON_FAIL_NULL, NULL);
	}
	if (o == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "unexpected end of JSON");
		else if (jerr == json_tokener_error_depth)
			snprintf(err, errlen, "JSON nested deeper than %d", lim->max_depth);
		else
			snprintf(err, errlen, "malformed JSON at byte %zu: %s", end,
			    json_tokener_error_desc(jerr));
		return json_fail(why, JSON_FAIL_SYNTAX, o);
	}
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (end != len) {
		snprintf(err, errlen, "trailing bytes after JSON at byte %zu", end);
		return json_fail(why, JSON_FAIL_SYNTAX, o);
	}
	switch (json_strings_check(o, lim->max_string)) {
	case JSON_STRINGS_LONG:
		snprintf(err, errlen, "a string is longer than %zu bytes", lim->max_string);
		return json_fail(why, JSON_FAIL_SYNTAX, o);
	case JSON_STRINGS_TEXT:
		snprintf(err, errlen, "a string or key is not strict UTF-8 or holds NUL");
		return json_fail(why, JSON_FAIL_TEXT, o);
	default:
		return o;
	}
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
