/*
 * cmd-send.c -- `folio send`: open a new chat with an account from a script.
 * The request carries a fresh client_msg_id, so a retry by the caller's
 * own logic can never create the chat twice.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEND_MAX_ATTACH 32

/* The template's id by exact name (case-insensitive); 0 after saying why. */
static int64_t
cmd_send_template(const struct session *s, const char *name)
{
	struct json_object *o, *items;
	struct template_ref t;
	const char *next;
	int64_t id = 0;
	size_t i;

	if ((o = cmd_run(s, api_templates())) == NULL)
		return 0;
	items = decode_items(o, &next);
	for (i = 0; items && id == 0 && i < json_object_array_length(items); i++) {
		if (decode_template(json_object_array_get_idx(items, i), &t) != 0)
			continue;
		if (strcasecmp(t.name, name) == 0)
			id = t.id;
		template_clear(&t);
	}
	json_object_put(o);
	if (id == 0)
		cmd_fail("no template named \"%s\"", name);
	return id;
}

/* Reads the message body from a file or "-" (standard input). Caller frees. */
static char *
cmd_send_body(const char *file)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	char *text;

	if (strcmp(file, "-") != 0) {
		if ((text = config_read_file(file, NULL)) == NULL)
			cmd_fail("cannot read %s", file);
		return text;
	}
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(stdin)) {
		cmd_fail("cannot read standard input");
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* Uploads one file to the account's chat uploads; returns the document id or 0. */
static int64_t
cmd_send_upload(const struct session *s, int64_t account, const char *file)
{
	struct json_object *o, *items;
	struct http_reply r;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char *data, *name, *path, *why;
	int64_t id = 0;
	size_t len;

	if ((data = config_read_file(file, &len)) == NULL) {
		cmd_fail("cannot read %s", file);
		return 0;
	}
	name = http_escape(base);
	path = xasprintf("/api/v1/accounts/%lld/documents?name=%s", (long long)account, name);
	if (http_call_raw(s->server, s->token, "POST", path, data, len, "application/octet-stream",
	    &r) != 0 || r.status < 200 || r.status > 299) {
		why = http_reply_reason(&r);
		cmd_fail("upload %s: %s", file, why);
		free(why);
	} else {
		o = http_reply_json(&r);
		if (json_get_array(o, "items", &items) == JSON_GET_OK && json_object_array_length(items) > 0)
			json_get_int(json_object_array_get_idx(items, 0), "id", &id);
		if (id == 0)
			cmd_fail("upload %s: the answer names no document", file);
		json_object_put(o);
	}
	http_reply_free(&r);
	free(path);
	free(name);
	free(data);
	return id;
}

/* Parses DAYS:COUNT into a reminders object; NULL after saying why. */
static struct json_object *
cmd_send_remind(const char *spec)
{
	struct json_object *o;
	long days, count;
	char *end;

	days = strtol(spec, &end, 10);
	if (*end != ':' || days < 1 || days > 365)
		goto bad;
	count = strtol(end + 1, &end, 10);
	if (*end != '\0' || count < 1 || count > 100)
		goto bad;
	o = json_object_new_object();
	json_object_object_add(o, "enabled", json_object_new_boolean(1));
	json_object_object_add(o, "interval_days", json_object_new_int((int)days));
	json_object_object_add(o, "max_count", json_object_new_int((int)count));
	return o;
bad:
	cmd_fail("--remind wants DAYS:COUNT (1-365 days, 1-100 reminders), not \"%s\"", spec);
	return NULL;
}

struct send_args {
	const char *account, *template, *subject, *body_file, *remind;
	const char *attach[SEND_MAX_ATTACH];
	int nattach;
};

static int
cmd_send_parse(int argc, char **argv, struct send_args *a)
{
	static const struct option opts[] = { { "account", required_argument, NULL, 'a' },
		{ "template", required_argument, NULL, 't' }, { "subject", required_argument, NULL, 's' },
		{ "body-file", required_argument, NULL, 'b' }, { "remind", required_argument, NULL, 'r' },
		{ "attach", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'a': a->account = optarg; break;
		case 't': a->template = optarg; break;
		case 's': a->subject = optarg; break;
		case 'b': a->body_file = optarg; break;
		case 'r': a->remind = optarg; break;
		case 'f':
			if (a->nattach == SEND_MAX_ATTACH) {
				cmd_fail("at most %d attachments", SEND_MAX_ATTACH);
				return -1;
			}
			a->attach[a->nattach++] = optarg;
			break;
		default: return -1;
		}
	}
	if (optind != argc || a->account == NULL ||
	    (a->template == NULL && (a->subject == NULL || a->body_file == NULL))) {
		cmd_fail("usage: folio send --account NAME (--template NAME | --subject S "
			 "--body-file F|-) [--remind DAYS:COUNT] [--attach FILE]...");
		return -1;
	}
	return 0;
}

/* Builds the POST /threads body; NULL after saying why. */
static struct json_object *
cmd_send_request(const struct session *s, const struct send_args *a, int64_t account)
{
	struct json_object *o = json_object_new_object(), *rem, *docs;
	int64_t tid, doc;
	char *body, *cmid = config_new_id();
	int i;

	json_object_object_add(o, "account_id", json_object_new_int64(account));
	json_object_object_add(o, "client_msg_id", json_object_new_string(cmid));
	free(cmid);
	if (a->template != NULL) {
		if ((tid = cmd_send_template(s, a->template)) == 0)
			goto fail;
		json_object_object_add(o, "template_id", json_object_new_int64(tid));
	}
	if (a->subject != NULL)
		json_object_object_add(o, "subject", json_object_new_string(a->subject));
	if (a->body_file != NULL) {
		if ((body = cmd_send_body(a->body_file)) == NULL)
			goto fail;
		json_object_object_add(o, "body", json_object_new_string(body));
		free(body);
	}
	if (a->remind != NULL) {
		if ((rem = cmd_send_remind(a->remind)) == NULL)
			goto fail;
		json_object_object_add(o, "reminders", rem);
	}
	if (a->nattach > 0) {
		docs = json_object_new_array();
		json_object_object_add(o, "document_ids", docs);
		for (i = 0; i < a->nattach; i++) {
			if ((doc = cmd_send_upload(s, account, a->attach[i])) == 0)
				goto fail;
			json_object_array_add(docs, json_object_new_int64(doc));
		}
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int
cmd_send(int argc, char **argv, const char *server_flag)
{
	struct json_object *req, *o;
	struct send_args a;
	struct session s;
	int64_t account, id = 0;
	int rc = 1;

	if (cmd_send_parse(argc, argv, &a) != 0)
		return 2;
	if (a.remind != NULL && (o = cmd_send_remind(a.remind)) == NULL)
		return 2;
	else if (a.remind != NULL)
		json_object_put(o);
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	if ((account = cmd_account_id(&s, a.account)) == 0 ||
	    (req = cmd_send_request(&s, &a, account)) == NULL) {
		config_session_clear(&s);
		return 1;
	}
	o = cmd_run(&s, api_create(json_text(req)));
	if (o != NULL && json_get_int(o, "id", &id) == JSON_GET_OK) {
		printf("%lld\n", (long long)id);
		rc = 0;
	} else if (o != NULL) {
		cmd_fail("the server's answer names no thread");
	}
	json_object_put(o);
	json_object_put(req);
	config_session_clear(&s);
	return rc;
}
