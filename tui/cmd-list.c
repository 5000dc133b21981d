/*
 * cmd-list.c -- `folio accounts` and `folio threads`, and the helpers every
 * scripted subcommand shares: load the session, run a request that must
 * succeed, name the reason on standard error.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

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

struct json_object *
cmd_request(const struct session *s, const char *method, const char *path, const char *body,
    long *status)
{
	struct http_reply r;
	struct json_object *o;
	char *why;

	if (http_call(s->server, s->token, method, path, body, &r) != 0 || r.status < 200 ||
	    r.status > 299) {
		why = http_reply_reason(&r);
		cmd_fail("%s %s: %s", method, path, why);
		free(why);
		if (status)
			*status = r.status;
		http_reply_free(&r);
		return NULL;
	}
	if (status)
		*status = r.status;
	o = http_reply_json(&r);
	if (o == NULL)
		o = json_object_new_object(); /* 204 and friends */
	http_reply_free(&r);
	return o;
}

/*
 * Fetches every page of a list. Returns a new array of all items (caller
 * puts) or NULL after saying why.
 */
static struct json_object *
cmd_list_all(const struct session *s, const char *path)
{
	struct json_object *all = json_object_new_array(), *o, *items;
	const char *next = NULL;
	char *p = xasprintf("%s%climit=200", path, strchr(path, '?') ? '&' : '?'), *esc;
	size_t i;

	for (;;) {
		if ((o = cmd_request(s, "GET", p, NULL, NULL)) == NULL) {
			json_object_put(all);
			free(p);
			return NULL;
		}
		items = decode_items(o, &next);
		for (i = 0; items && i < json_object_array_length(items); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(items, i)));
		free(p);
		p = NULL;
		if (next == NULL || items == NULL || json_object_array_length(items) == 0) {
			json_object_put(o);
			return all;
		}
		esc = http_escape(next);
		p = xasprintf("%s%climit=200&cursor=%s", path, strchr(path, '?') ? '&' : '?', esc);
		free(esc);
		json_object_put(o);
	}
}

int64_t
cmd_account_id(const struct session *s, const char *name)
{
	struct json_object *items, *it;
	char *q = http_escape(name), *path = xasprintf("/api/v1/accounts?q=%s", q);
	const char *n;
	int64_t id = 0, found = 0;
	size_t i;

	items = cmd_list_all(s, path);
	free(q);
	free(path);
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
	items = cmd_list_all(&s, unread ? "/api/v1/accounts?unread=true" : "/api/v1/accounts");
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
		printf("%lld\t%lld\t%s\n", (long long)a.id, (long long)a.unread, a.name);
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
	struct thread t;
	bool json = false, archived = false;
	int64_t id;
	char *path;
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
	path = xasprintf("/api/v1/threads?account_id=%lld&archived=%s", (long long)id,
	    archived ? "true" : "false");
	items = cmd_list_all(&s, path);
	free(path);
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
		printf("%lld\t%lld\t%s\t%s\t%s\n", (long long)t.id, (long long)t.unread,
		    t.last_message_at ? t.last_message_at : "-",
		    t.waiting_on ? t.waiting_on : "-", t.subject);
		thread_clear(&t);
	}
	json_object_put(items);
	return fflush(stdout) == 0 ? 0 : 1;
}
