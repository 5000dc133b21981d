/*
 * config.c -- where the client keeps things: the XDG state and config
 * directories, the session file (mode 0600), atomic file writes and new ids.
 * It does not know what is inside drafts or the outbox (store.c does).
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SERVER "http://127.0.0.1:8080"

/* $XDG_<var> or $HOME/<fallback>. Caller frees. */
static char *
config_xdg(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");

	if (v != NULL && *v == '/')
		return xstrdup(v);
	return xasprintf("%s/%s", home ? home : ".", fallback);
}

/* mkdir -p with mode 0700 for what it creates. */
static void
config_mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	mkdir(p, 0700);
	free(p);
}

char *
config_state_dir(void)
{
	char *base = config_xdg("XDG_STATE_HOME", ".local/state");
	char *dir = xasprintf("%s/folio", base);

	free(base);
	config_mkdirs(dir);
	return dir;
}

char *
config_state_path(const char *sub, const char *name)
{
	char *dir = config_state_dir(), *p;

	if (sub == NULL) {
		p = xasprintf("%s/%s", dir, name);
	} else {
		p = xasprintf("%s/%s", dir, sub);
		config_mkdirs(p);
		free(p);
		p = xasprintf("%s/%s/%s", dir, sub, name);
	}
	free(dir);
	return p;
}

char *
config_file_path(void)
{
	char *base = config_xdg("XDG_CONFIG_HOME", ".config");
	char *p = xasprintf("%s/folio/config", base);

	free(base);
	return p;
}

int
config_write_file(const char *path, const char *data, size_t len, int mode)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	ssize_t w;
	size_t off = 0;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	fchmod(fd, (mode_t)mode); /* whatever the umask said */
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != len || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		if (off != len)
			close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

char *
config_read_file(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			buf_free(&b);
			return NULL;
		}
		buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

static char *
config_dup_field(struct json_object *o, const char *key)
{
	const char *s;

	return json_get_string(o, key, &s) == JSON_GET_OK ? xstrdup(s) : NULL;
}

int
config_session_load(struct session *s, char *err, size_t errlen)
{
	struct json_limits lim = { 16, 1 << 16 };
	struct json_object *o, *user;
	char *path = config_state_path(NULL, "session.json"), *text, jerr[128];
	size_t len;

	memset(s, 0, sizeof *s);
	text = config_read_file(path, &len);
	if (text == NULL) {
		snprintf(err, errlen, "not logged in (run: folio login)");
		free(path);
		return -1;
	}
	o = json_parse(text, len, &lim, jerr, sizeof jerr);
	free(text);
	if (o == NULL) {
		snprintf(err, errlen, "%s: %s", path, jerr);
		free(path);
		return -1;
	}
	free(path);
	s->server = config_dup_field(o, "server");
	s->token = config_dup_field(o, "token");
	if (json_get_object(o, "user", &user) == JSON_GET_OK) {
		json_get_int(user, "id", &s->user_id);
		s->user_name = config_dup_field(user, "name");
		s->user_kind = config_dup_field(user, "kind");
	}
	json_object_put(o);
	if (s->token == NULL) {
		snprintf(err, errlen, "not logged in (run: folio login)");
		config_session_clear(s);
		return -1;
	}
	return 0;
}

int
config_session_save(const struct session *s, char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object(), *user = json_object_new_object();
	char *path = config_state_path(NULL, "session.json");
	const char *text;
	int rc;

	json_object_object_add(o, "server", json_object_new_string(s->server));
	json_object_object_add(o, "token", json_object_new_string(s->token));
	json_object_object_add(user, "id", json_object_new_int64(s->user_id));
	json_object_object_add(user, "name", json_object_new_string(s->user_name ? s->user_name : ""));
	json_object_object_add(user, "kind", json_object_new_string(s->user_kind ? s->user_kind : ""));
	json_object_object_add(o, "user", user);
	text = json_text(o);
	rc = config_write_file(path, text, strlen(text), 0600);
	if (rc != 0)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	json_object_put(o);
	free(path);
	return rc;
}

int
config_session_remove(void)
{
	char *path = config_state_path(NULL, "session.json");
	int rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;

	free(path);
	return rc;
}

void
config_session_clear(struct session *s)
{
	free(s->server);
	free(s->token);
	free(s->user_name);
	free(s->user_kind);
	memset(s, 0, sizeof *s);
}

const char *
config_server(const char *flag, const struct session *s)
{
	const char *env = getenv("FOLIO_SERVER");

	if (flag != NULL && *flag)
		return flag;
	if (env != NULL && *env)
		return env;
	if (s != NULL && s->server != NULL)
		return s->server;
	return DEFAULT_SERVER;
}

char *
config_new_id(void)
{
	unsigned char r[16];
	char *out = xmalloc(33);
	size_t i;

	/* Without the kernel's randomness ids could collide: that is a broken machine. */
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		abort();
	for (i = 0; i < sizeof r; i++)
		snprintf(out + i * 2, 3, "%02x", r[i]);
	return out;
}
