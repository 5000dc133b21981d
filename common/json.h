/* json.h -- strict JSON parsing with limits, and typed field access over json-c. */
#ifndef FOLIO_JSON_H
#define FOLIO_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_limits {
	int max_depth;         /* nesting */
	size_t max_string;     /* bytes in any one string */
};

/* Why a parse failed: the JSON itself, text in it that is not strict UTF-8, or a lone null. */
enum json_fail { JSON_FAIL_NONE, JSON_FAIL_SYNTAX, JSON_FAIL_TEXT, JSON_FAIL_NULL };

/*
 * Parses exactly one strict UTF-8 JSON value filling all of [text, text+len).
 * Strict: no overlong forms, surrogates (raw or as unpaired \u escapes),
 * code points past U+10FFFF, truncated sequences or NULs (raw or \u0000),
 * in strings and keys alike. Any value may stand alone ("1", "true"), except
 * null, which json-c has no object for: it is refused (JSON_FAIL_NULL).
 * Returns the value (caller puts it) or NULL with a reason in err.
 */
struct json_object *json_parse(const char *text, size_t len, const struct json_limits *lim,
    char *err, size_t errlen);
/* json_parse(), and on failure *why says which kind (why may be NULL). */
struct json_object *json_parse_why(const char *text, size_t len, const struct json_limits *lim,
    enum json_fail *why, char *err, size_t errlen);

/* Results of the typed getters. */
enum json_get { JSON_GET_OK, JSON_GET_MISSING, JSON_GET_WRONG_TYPE };

/* Looks up key; null counts as missing. */
enum json_get json_get_string(struct json_object *o, const char *key, const char **out);
enum json_get json_get_int(struct json_object *o, const char *key, int64_t *out);
enum json_get json_get_bool(struct json_object *o, const char *key, bool *out);
enum json_get json_get_object(struct json_object *o, const char *key, struct json_object **out);
enum json_get json_get_array(struct json_object *o, const char *key, struct json_object **out);

/* Serialises compactly. The string lives as long as o. */
const char *json_text(struct json_object *o);

#endif
