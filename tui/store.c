/*
 * store.c -- what the client keeps on disk so that no word is lost: drafts
 * (one JSON file per thread, one for the new chat form) and the outbox
 * (one JSON file per send not yet confirmed, named by its client_msg_id).
 * Files are written atomically (config_write_file), mode 0600.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct json_limits store_limits = { 16, 16u << 20 };

char *
store_draft_path(int64_t thread_id)
{
	char name[64];

	if (thread_id > 0)
		snprintf(name, sizeof name, "thread-%lld.json", (long long)thread_id);
	else
		snprintf(name, sizeof name, "new.json");
	return config_state_path("drafts", name);
}

static void
store_put(struct json_object *o, const char *key, const char *value)
{
	if (value != NULL && *value)
		json_object_object_add(o, key, json_object_new_string(value));
}

int
store_draft_save(int64_t thread_id, const struct draft *d)
{
	struct json_object *o = json_object_new_object();
	char *path = store_draft_path(thread_id);
	const char *text;
	int rc;

	store_put(o, "body", d->body);
	json_object_object_add(o, "internal", json_object_new_boolean(d->internal));
	store_put(o, "to", d->to);
	store_put(o, "template", d->template_name);
	store_put(o, "subject", d->subject);
	store_put(o, "remind", d->remind);
	store_put(o, "tasks", d->tasks);
	text = json_text(o);
	rc = config_write_file(path, text, strlen(text), 0600);
	json_object_put(o);
	free(path);
	return rc;
}

static char *
store_get(struct json_object *o, const char *key)
{
	const char *s;

	return json_get_string(o, key, &s) == JSON_GET_OK ? xstrdup(s) : NULL;
}

int
store_draft_load(int64_t thread_id, struct draft *d)
{
	char *path = store_draft_path(thread_id), *text, err[128];
	struct json_object *o;
	size_t len;

	memset(d, 0, sizeof *d);
	text = config_read_file(path, &len);
	free(path);
	if (text == NULL)
		return -1;
	o = json_parse(text, len, &store_limits, err, sizeof err);
	free(text);
	if (o == NULL)
		return -1;
	d->body = store_get(o, "body");
	json_get_bool(o, "internal", &d->internal);
	d->to = store_get(o, "to");
	d->template_name = store_get(o, "template");
	d->subject = store_get(o, "subject");
	d->remind = store_get(o, "remind");
	d->tasks = store_get(o, "tasks");
	json_object_put(o);
	return 0;
}

void
store_draft_remove(int64_t thread_id)
{
	char *path = store_draft_path(thread_id);

	unlink(path);
	free(path);
}

size_t
store_draft_list(int64_t **out)
{
	char *dir = config_state_path("drafts", "");
	struct dirent *de;
	size_t n = 0;
	long long id;
	DIR *d;

	*out = NULL;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (sscanf(de->d_name, "thread-%lld.json", &id) != 1 || id <= 0)
				continue;
			*out = xrealloc(*out, (n + 1) * sizeof **out);
			(*out)[n++] = (int64_t)id;
		}
		closedir(d);
	}
	free(dir);
	return n;
}

void
store_draft_clear(struct draft *d)
{
	free(d->body);
	free(d->to);
	free(d->template_name);
	free(d->subject);
	free(d->remind);
	free(d->tasks);
	memset(d, 0, sizeof *d);
}

void
store_draft_restore(int64_t thread_id, const char *request_body, const char *to)
{
	struct json_limits lim = { 16, 16u << 20 };
	struct json_object *o, *tasks, *rem;
	int64_t days = REMIND_DAYS_DEFAULT, count = REMIND_COUNT_DEFAULT;
	char spec[64];
	bool on = false;
	struct draft d;
	struct buf tb = BUF_INIT;
	const char *s;
	char err[64];
	size_t i;

	if ((o = json_parse(request_body, strlen(request_body), &lim, err, sizeof err)) == NULL)
		return;
	memset(&d, 0, sizeof d);
	if (json_get_string(o, "body", &s) == JSON_GET_OK)
		d.body = (char *)s;
	json_get_bool(o, "internal", &d.internal);
	d.to = (char *)to;
	if (json_get_string(o, "subject", &s) == JSON_GET_OK)
		d.subject = (char *)s;
	if (json_get_object(o, "reminders", &rem) == JSON_GET_OK) {
		json_get_bool(rem, "enabled", &on);
		json_get_int(rem, "interval_days", &days);
		json_get_int(rem, "max_count", &count);
		snprintf(spec, sizeof spec, "%s:%lld:%lld", on ? "on" : "off", (long long)days,
		    (long long)count);
		d.remind = spec;
	}
	if (json_get_array(o, "tasks", &tasks) == JSON_GET_OK) {
		for (i = 0; i < json_object_array_length(tasks); i++)
			if (json_get_string(json_object_array_get_idx(tasks, i), "title", &s) == JSON_GET_OK)
				buf_printf(&tb, "%s%s", i ? "\n" : "", s);
		d.tasks = (char *)buf_str(&tb);
	}
	store_draft_save(thread_id, &d);
	buf_free(&tb);
	json_object_put(o);
}

struct job *
store_outbox_add(struct job *j, const char *cmid)
{
	struct json_object *o = json_object_new_object();
	char *name = xasprintf("%s.json", cmid), *file = config_state_path("outbox", name);
	const char *text;

	json_object_object_add(o, "kind", json_object_new_string(j->kind == JOB_CREATE ? "create" :
	    "send"));
	json_object_object_add(o, "path", json_object_new_string(j->path));
	json_object_object_add(o, "body", json_object_new_string(j->body));
	json_object_object_add(o, "thread_id", json_object_new_int64(j->thread_id));
	json_object_object_add(o, "client_msg_id", json_object_new_string(cmid));
	text = json_text(o);
	/* When the disk refuses, the send still goes out; it is just not crash-safe. */
	config_write_file(file, text, strlen(text), 0600);
	json_object_put(o);
	j->outbox = file;
	free(name);
	return j;
}

void
store_outbox_remove(const char *file)
{
	if (file != NULL)
		unlink(file);
}

/* Reads one outbox file into a job; NULL when it is not one of ours. */
static struct job *
store_outbox_read(const char *file)
{
	struct json_object *o;
	const char *kind, *path, *body;
	int64_t thread_id = 0;
	char *text, err[128];
	struct job *j = NULL;
	size_t len;

	if ((text = config_read_file(file, &len)) == NULL)
		return NULL;
	o = json_parse(text, len, &store_limits, err, sizeof err);
	free(text);
	if (json_get_string(o, "kind", &kind) == JSON_GET_OK &&
	    json_get_string(o, "path", &path) == JSON_GET_OK &&
	    json_get_string(o, "body", &body) == JSON_GET_OK) {
		/* The path is the one written, so that an older client's queue still goes out. */
		json_get_int(o, "thread_id", &thread_id);
		j = strcmp(kind, "create") == 0 ? api_create(body) : api_send(thread_id, body);
		free(j->path);
		j->path = xstrdup(path);
		j->outbox = xstrdup(file);
	}
	json_object_put(o);
	return j;
}

/* Oldest first, so queued messages reach a thread in the order they were written. */
static int
store_outbox_cmp(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;
	struct stat sx, sy;

	if (stat(x->outbox, &sx) != 0 || stat(y->outbox, &sy) != 0)
		return 0;
	if (sx.st_mtim.tv_sec != sy.st_mtim.tv_sec)
		return sx.st_mtim.tv_sec < sy.st_mtim.tv_sec ? -1 : 1;
	return sx.st_mtim.tv_nsec < sy.st_mtim.tv_nsec ? -1 : sx.st_mtim.tv_nsec > sy.st_mtim.tv_nsec;
}

size_t
store_outbox_load(struct job **out, size_t max)
{
	char *dir = config_state_path(NULL, "outbox"), *file;
	struct dirent *de;
	size_t n = 0, len;
	DIR *d = opendir(dir);

	while (d != NULL && n < max && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		file = xasprintf("%s/%s", dir, de->d_name);
		if ((out[n] = store_outbox_read(file)) != NULL)
			n++;
		free(file);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	qsort(out, n, sizeof *out, store_outbox_cmp);
	return n;
}

size_t
store_outbox_count(void)
{
	char *dir = config_state_path(NULL, "outbox");
	struct dirent *de;
	size_t n = 0, len;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		n += len >= 6 && strcmp(de->d_name + len - 5, ".json") == 0;
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return n;
}
