/*
 * cmd-list.c -- `folio accounts` and `folio threads`, and the helpers every
 * scripted subcommand shares: load the session, run a request that must
 * succeed, name the reason on standard error.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"
#include "utf8.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
cmd_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("folio: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Writes a field that came from the server for plain (not --json) output.
 * Control characters (C0 with tab and line breaks, DEL, C1, and so ESC and
 * CSI) and malformed bytes become U+FFFD: a name or subject can neither steer
 * the terminal (colours, cursor, title, clipboard) nor split the line or
 * field a script reads.
 */
void
cmd_put(FILE *out, const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;
	int n;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n < 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			fputs("\xEF\xBF\xBD", out);
			i += n < 0 ? 1 : (size_t)n;
			continue;
		}
		fwrite(s + i, 1, (size_t)n, out);
		i += (size_t)n;
	}
}

/* cmd_put() of a NUL-terminated field; NULL prints as "-". */
void
cmd_puts(FILE *out, const char *s)
{
	if (s == NULL)
		s = "-";
	cmd_put(out, s, strlen(s));
}

int
cmd_session(struct session *s, const char *server_flag)
{
	char err[512];
	const char *server;

	if (config_session_load(s, err, sizeof err) != 0) {
		cmd_fail("%s", err);
		return -1;
	}
	server = config_server(server_flag, s);
	if (server != s->server) {
		free(s->server);
		s->server = xstrdup(server);
	}
	return 0;
}

/* Runs j and parses its answer; NULL (after saying why) unless it was 2xx. */
static struct json_object *
cmd_answer(const struct session *s, struct job *j)
{
	struct json_limits lim = { 64, 16u << 20 };
	struct json_object *o = NULL;
	char *why, err[128];

	if (api_call(s->server, s->token, j) != 0 || !api_ok(j)) {
		why = api_reason(j);
		cmd_fail("%s %s: %s", j->method, j->path, why);
		free(why);
		return NULL;
	}
	if (j->reply != NULL && *j->reply != '\0')
		o = json_parse(j->reply, strlen(j->reply), &lim, err, sizeof err);
	return o != NULL ? o : json_object_new_object(); /* 204 and friends */
}

struct json_object *
cmd_run(const struct session *s, struct job *j)
{
	struct json_object *o = cmd_answer(s, j);

	job_free(j);
	return o;
}

/*
 * Fetches every page of the list j asks for (j is freed). Returns a new
 * array of all items (caller puts) or NULL after saying why.
 */
struct json_object *
cmd_list_all(const struct session *s, struct job *j)
{
	struct json_object *all = json_object_new_array(), *o, *items;
	const char *next = NULL;
	struct job *more;
	size_t i;

	for (;;) {
		if ((o = cmd_answer(s, j)) == NULL) {
			json_object_put(all);
			job_free(j);
			return NULL;
		}
		items = decode_items(o, &next);
		for (i = 0; items && i < json_object_array_length(items); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(items, i)));
		if (next == NULL || items == NULL || json_object_array_length(items) == 0) {
			json_object_put(o);
			job_free(j);
			return all;
		}
		more = api_next(j, next);
		job_free(j);
		j = more;
		json_object_put(o);
	}
}

int64_t
cmd_account_id(const struct session *s, const char *name)
{
	struct json_object *items, *it;
	const char *n;
	int64_t id = 0, found = 0;
	size_t i;

	items = cmd_list_all(s, api_accounts_named(name));
	if (items == NULL)
		return 0;
	for (i = 0; i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		if (json_get_string(it, "name", &n) == JSON_GET_OK && strcasecmp(n, name) == 0 &&
		    json_get_int(it, "id", &id) == JSON_GET_OK)
			found = found ? -1 : id;
	}
	json_object_put(items);
	if (found == 0)
		cmd_fail("no account named \"%s\"", name);
	else if (found < 0)
		cmd_fail("more than one account is named \"%s\"", name);
	return found > 0 ? found : 0;
}

int
cmd_accounts(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "unread", no_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	struct json_object *items, *it;
	struct session s;
	struct account a;
	bool unread = false, json = false;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'u')
			unread = true;
		else if (c == 'j')
			json = true;
		else
			return 2;
	}
	if (optind != argc) {
		cmd_fail("accounts: unexpected argument \"%s\"", argv[optind]);
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	items = cmd_list_all(&s, api_accounts(0, unread));
	config_session_clear(&s);
	if (items == NULL)
		return 1;
	if (json)
		printf("%s\n", json_object_to_json_string_ext(items, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	for (i = 0; !json && i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		if (decode_account(it, &a) != 0)
			continue;
		printf("%lld\t%lld\t", (long long)a.id, (long long)a.unread);
		cmd_puts(stdout, a.name);
		putchar('\n');
		account_clear(&a);
	}
	json_object_put(items);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
cmd_threads(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "account", required_argument, NULL, 'a' },
		{ "archived", no_argument, NULL, 'A' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct json_object *items, *it;
	const char *account = NULL;
	struct session s;
	struct api_threads_query q = { 0 };
	struct thread t;
	bool json = false, archived = false;
	int64_t id;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'a')
			account = optarg;
		else if (c == 'A')
			archived = true;
		else if (c == 'j')
			json = true;
		else
			return 2;
	}
	if (account == NULL || optind != argc) {
		cmd_fail("usage: folio threads --account NAME [--archived] [--json]");
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	if ((id = cmd_account_id(&s, account)) == 0) {
		config_session_clear(&s);
		return 1;
	}
	q.account_id = id;
	q.archived = archived;
	items = cmd_list_all(&s, api_threads(&q));
	config_session_clear(&s);
	if (items == NULL)
		return 1;
	if (json)
		printf("%s\n", json_object_to_json_string_ext(items, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	for (i = 0; !json && i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		if (decode_thread(it, &t) != 0)
			continue;
		printf("%lld\t%lld\t", (long long)t.id, (long long)t.unread);
		cmd_puts(stdout, t.last_message_at);
		putchar('\t');
		cmd_puts(stdout, t.waiting_on);
		putchar('\t');
		cmd_puts(stdout, t.subject);
		putchar('\n');
		thread_clear(&t);
	}
	json_object_put(items);
	return fflush(stdout) == 0 ? 0 : 1;
}
