/*
 * cmd-audit.c -- `folio audit`: the firm's audit log (owners only), every
 * page of it, newest first, as tab-separated lines or as JSON. What the log
 * holds came from other people (names, user agents): no byte of it that a
 * terminal would obey -- C0 and C1 controls, ESC, DEL -- reaches standard
 * output as itself.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s as one field of a line (cmd_puts: controls as U+FFFD); empty or NULL as "-". */
static void
cmd_audit_field(FILE *fp, const char *s)
{
	cmd_puts(fp, s && *s ? s : NULL);
}

/*
 * Writes JSON text to fp with the C1 controls and DEL as \u escapes: json-c
 * escapes C0 itself but passes U+0080..U+009F through as UTF-8. Inside JSON
 * such code points occur only in strings, where the escape means the same.
 */
static void
cmd_audit_json(FILE *fp, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(fp, "\\u00%02x", p[1]);
			p++;
		} else if (*p == 0x7f)
			fputs("\\u007f", fp);
		else if (*p < 0x20 && *p != '\n')
			fprintf(fp, "\\u00%02x", *p); /* never from json-c; kept safe all the same */
		else
			fputc(*p, fp);
	}
}

/* A user as a field: the name, else "#id", else "-". */
static void
cmd_audit_user(FILE *fp, struct json_object *row, const char *name_key, const char *id_key)
{
	const char *name = NULL;
	int64_t id = 0;
	char num[32];

	if (json_get_string(row, name_key, &name) == JSON_GET_OK && *name) {
		cmd_audit_field(fp, name);
		return;
	}
	if (json_get_int(row, id_key, &id) == JSON_GET_OK && id > 0) {
		snprintf(num, sizeof num, "#%lld", (long long)id);
		cmd_audit_field(fp, num);
	} else
		cmd_audit_field(fp, NULL);
}

/* One row: id, time, kind, actor, address, subject, details (compact JSON). */
static void
cmd_audit_line(FILE *fp, struct json_object *row)
{
	struct json_object *details = NULL;
	const char *s = NULL;
	int64_t id = 0;

	json_get_int(row, "id", &id);
	fprintf(fp, "%lld\t", (long long)id);
	cmd_audit_field(fp, json_get_string(row, "at", &s) == JSON_GET_OK ? s : NULL);
	fputc('\t', fp);
	cmd_audit_field(fp, json_get_string(row, "kind", &s) == JSON_GET_OK ? s : NULL);
	fputc('\t', fp);
	cmd_audit_user(fp, row, "actor_name", "actor_id");
	fputc('\t', fp);
	cmd_audit_field(fp, json_get_string(row, "address", &s) == JSON_GET_OK ? s : NULL);
	fputc('\t', fp);
	cmd_audit_user(fp, row, "subject_name", "subject_user_id");
	fputc('\t', fp);
	json_object_object_get_ex(row, "details", &details);
	cmd_audit_field(fp, details ? json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE) : NULL);
	fputc('\n', fp);
}

int
cmd_audit(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "type", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' }, { "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct api_audit_query q = { 0 };
	struct json_object *items;
	struct session s;
	bool json = false;
	char *end;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 't')
			q.type = optarg;
		else if (c == 's')
			q.since = optarg;
		else if (c == 'u')
			q.until = optarg;
		else if (c == 'j')
			json = true;
		else if (c != 'a')
			return 2;
		else if ((q.actor = strtoll(optarg, &end, 10)) <= 0 || end == optarg || *end != '\0') {
			cmd_fail(_("usage: --actor takes a user id (a number), not \"%s\""), optarg);
			return 2;
		}
	}
	if (optind != argc) {
		cmd_fail(_("usage: folio audit [--type KIND] [--actor ID] [--since TIME] [--until TIME]"
			   " [--json]"));
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	items = cmd_list_all(&s, api_audit(&q));
	config_session_clear(&s);
	if (items == NULL)
		return 1;
	if (json) {
		cmd_audit_json(stdout, json_object_to_json_string_ext(items, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		fputc('\n', stdout);
	}
	for (i = 0; !json && i < json_object_array_length(items); i++)
		cmd_audit_line(stdout, json_object_array_get_idx(items, i));
	json_object_put(items);
	return fflush(stdout) == 0 ? 0 : 1;
}
