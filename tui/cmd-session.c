/*
 * cmd-session.c -- `folio login` and `folio logout`: the session token in
 * $XDG_STATE_HOME/folio/session.json, mode 0600. The password comes from
 * the terminal with echo off, or from standard input when that is not a
 * terminal (scripts).
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Reads one line from fp without its newline; NULL at end of input. Caller frees. */
static char *
cmd_session_line(FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, fp);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Prompts on the terminal and reads a line, echo off when secret. Caller frees. */
static char *
cmd_session_prompt(const char *prompt, bool secret)
{
	struct termios old, raw;
	FILE *tty;
	char *line;
	bool restore = false;

	if (!isatty(STDIN_FILENO))
		return cmd_session_line(stdin);
	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return cmd_session_line(stdin);
	fprintf(tty, "%s", prompt);
	fflush(tty);
	if (secret && tcgetattr(fileno(tty), &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &raw) == 0;
	}
	line = cmd_session_line(tty);
	if (restore) {
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
	}
	fclose(tty);
	return line;
}

/* Posts the credentials and fills the session from the answer. */
static int
cmd_session_create(struct session *s, const char *email, const char *password)
{
	struct json_object *req = json_object_new_object(), *o, *user;
	const char *token, *str;

	json_object_object_add(req, "email", json_object_new_string(email));
	json_object_object_add(req, "password", json_object_new_string(password));
	o = cmd_request(s, "POST", "/api/v1/sessions", json_text(req), NULL);
	json_object_put(req);
	if (o == NULL)
		return -1;
	if (json_get_string(o, "token", &token) != JSON_GET_OK) {
		cmd_fail("the server's answer has no token");
		json_object_put(o);
		return -1;
	}
	s->token = xstrdup(token);
	if (json_get_object(o, "user", &user) == JSON_GET_OK) {
		json_get_int(user, "id", &s->user_id);
		if (json_get_string(user, "name", &str) == JSON_GET_OK)
			s->user_name = xstrdup(str);
		if (json_get_string(user, "kind", &str) == JSON_GET_OK)
			s->user_kind = xstrdup(str);
	}
	json_object_put(o);
	return 0;
}

int
cmd_login(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "server", required_argument, NULL, 's' },
		{ "email", required_argument, NULL, 'e' }, { NULL, 0, NULL, 0 } };
	struct session s = { 0 };
	char *email = NULL, *password = NULL, err[512];
	const char *server = server_flag;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's')
			server = optarg;
		else if (c == 'e')
			email = xstrdup(optarg);
		else
			return 2;
	}
	if (optind != argc) {
		cmd_fail("usage: folio login [--server URL] [--email EMAIL]");
		free(email);
		return 2;
	}
	/* A new login replaces the old session, but keeps its server as a default. */
	config_session_load(&s, err, sizeof err);
	server = config_server(server, &s);
	if (s.server != server) {
		char *copy = xstrdup(server);

		free(s.server);
		s.server = copy;
	}
	free(s.token);
	s.token = NULL;
	if (email == NULL && (email = cmd_session_prompt("Email: ", false)) == NULL) {
		cmd_fail("login: no email given");
		goto out;
	}
	if ((password = cmd_session_prompt("Password: ", true)) == NULL || *password == '\0') {
		cmd_fail("login: no password given");
		goto out;
	}
	free(s.user_name);
	free(s.user_kind);
	s.user_name = s.user_kind = NULL;
	if (cmd_session_create(&s, email, password) != 0)
		goto out;
	if (config_session_save(&s, err, sizeof err) != 0) {
		cmd_fail("%s", err);
		goto out;
	}
	printf("Logged in to %s as %s.\n", s.server, s.user_name ? s.user_name : email);
	rc = 0;
out:
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	free(email);
	config_session_clear(&s);
	return rc;
}

int
cmd_logout(int argc, char **argv, const char *server_flag)
{
	struct session s;
	struct http_reply r;
	char *why;
	int rc = 0;

	if (argc > 1) {
		cmd_fail("usage: folio logout");
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	/* The local token goes in any case; say so when the server could not revoke it. */
	if (http_call(s.server, s.token, "DELETE", "/api/v1/sessions/current", NULL, &r) != 0 ||
	    (r.status != 204 && r.status != 200 && r.status != 401)) {
		why = http_reply_reason(&r);
		cmd_fail("logout: the server did not revoke the token: %s", why);
		free(why);
		rc = 1;
	}
	http_reply_free(&r);
	if (config_session_remove() != 0) {
		cmd_fail("logout: cannot remove the session file");
		rc = 1;
	}
	config_session_clear(&s);
	return rc;
}
