/*
 * cmd-session.c -- `folio login` and `folio logout`: the session token in
 * $XDG_STATE_HOME/folio/session.json, mode 0600. The password comes from
 * the terminal with echo off, or from standard input when that is not a
 * terminal (scripts). An account with two-factor login gives its code with
 * --totp or at the prompt that follows the password.
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
char *
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

/* Fills the session from a login's answer {token, user}; -1 after saying why. */
static int
cmd_session_fill(struct session *s, struct json_object *o)
{
	struct json_object *user;
	const char *token, *str;

	if (json_get_string(o, "token", &token) != JSON_GET_OK) {
		cmd_fail("the server's answer has no token");
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
	return 0;
}

/* The firms of a 409 choose_firm answer; NULL for any other answer. Caller puts. */
static struct json_object *
cmd_session_firms(const struct job *j)
{
	struct json_object *o, *e, *firms;
	const char *code;

	if (j->status != 409 || j->reply == NULL || (o = json_tokener_parse(j->reply)) == NULL)
		return NULL;
	if (json_get_object(o, "error", &e) != JSON_GET_OK ||
	    json_get_string(e, "code", &code) != JSON_GET_OK || strcmp(code, "choose_firm") != 0 ||
	    json_get_array(o, "firms", &firms) != JSON_GET_OK || json_object_array_length(firms) == 0) {
		json_object_put(o);
		return NULL;
	}
	json_object_get(firms);
	json_object_put(o);
	return firms;
}

/*
 * The address is in several firms: asks which one (a number from the list,
 * on the terminal or the next line of standard input). Returns the firm's
 * id, or 0 after saying why when none was chosen.
 */
static int64_t
cmd_session_pick(struct json_object *firms)
{
	size_t i, n = json_object_array_length(firms);
	struct buf list = BUF_INIT;
	const char *name;
	char *line, *end, *prompt;
	int64_t id = 0;
	long pick;
	FILE *tty = isatty(STDIN_FILENO) ? fopen("/dev/tty", "w") : NULL;

	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(firms, i);

		if (json_get_string(f, "name", &name) != JSON_GET_OK)
			name = "?";
		json_get_int(f, "id", &id);
		if (tty) {
			fprintf(tty, "  %zu  ", i + 1);
			cmd_puts(tty, name);
			fprintf(tty, " (--firm %lld)\n", (long long)id);
		}
		buf_printf(&list, "%s%lld %s", i ? ", " : "", (long long)id, name);
	}
	if (tty) {
		fprintf(tty, "%s\n", _("This address belongs to several firms."));
		fclose(tty);
	}
	prompt = xasprintf(_("Firm (1-%zu): "), n);
	line = cmd_session_prompt(prompt, false);
	free(prompt);
	pick = line ? strtol(line, &end, 10) : 0;
	if (line == NULL || *line == '\0' || *end != '\0' || pick < 1 || (size_t)pick > n) {
		cmd_fail(_("login: this address belongs to several firms (%s): choose one with --firm ID"),
		    buf_str(&list));
		id = 0;
	} else {
		json_get_int(json_object_array_get_idx(firms, (size_t)pick - 1), "id", &id);
	}
	free(line);
	buf_free(&list);
	return id;
}

/* True when j was answered 401 totp_required: the password was right, a code is needed. */
static bool
cmd_session_needs_code(const struct job *j)
{
	struct json_object *o, *e;
	const char *code;
	bool needs;

	if (j->status != 401 || j->reply == NULL || (o = json_tokener_parse(j->reply)) == NULL)
		return false;
	needs = json_get_object(o, "error", &e) == JSON_GET_OK &&
	    json_get_string(e, "code", &code) == JSON_GET_OK && strcmp(code, "totp_required") == 0;
	json_object_put(o);
	return needs;
}

/* Wipes and frees a login job: its body holds the password. */
static void
cmd_session_job_free(struct job *j)
{
	if (j != NULL && j->body != NULL)
		explicit_bzero(j->body, strlen(j->body));
	job_free(j);
}

/*
 * Posts the credentials and fills the session from the answer. A person in
 * several firms (409 choose_firm) is asked which, then logged in again; an
 * account with two-factor login (401 totp_required) is asked for its code,
 * unless totp gave one already.
 */
static int
cmd_session_create(struct session *s, const char *email, const char *password, int64_t firm_id,
    const char *totp)
{
	struct json_object *o, *firms;
	struct job *j = api_login(email, password, firm_id, totp);
	char *code = NULL;
	int rc = -1;

	api_call(s->server, NULL, j);
	if (firm_id <= 0 && (firms = cmd_session_firms(j)) != NULL) {
		firm_id = cmd_session_pick(firms);
		json_object_put(firms);
		cmd_session_job_free(j);
		if (firm_id <= 0)
			return -1;
		j = api_login(email, password, firm_id, totp);
		api_call(s->server, NULL, j);
	}
	if (totp == NULL && cmd_session_needs_code(j)) {
		/* The code is not secret once used (replay is refused): no need to hide it. */
		code = cmd_session_prompt(_("Code from your authenticator app (or a recovery code): "),
		    false);
		if (code == NULL || *code == '\0') {
			cmd_fail("%s", _("login: this account needs a code from its authenticator app"
					 " (--totp CODE)"));
			free(code);
			cmd_session_job_free(j);
			return -1;
		}
		cmd_session_job_free(j);
		j = api_login(email, password, firm_id, code);
		api_call(s->server, NULL, j);
		explicit_bzero(code, strlen(code));
		free(code);
	}
	explicit_bzero(j->body, strlen(j->body));
	if (!api_ok(j)) {
		char *why = api_reason(j);

		cmd_fail("%s %s: %s", j->method, j->path, why);
		free(why);
	} else if ((o = json_tokener_parse(j->reply ? j->reply : "")) != NULL) {
		rc = cmd_session_fill(s, o);
		s->totp_enrol = json_object_get_boolean(json_object_object_get(o,
		    "totp_enrolment_required"));
		json_object_put(o);
	} else {
		cmd_fail("the server's answer has no token");
	}
	job_free(j);
	return rc;
}

int
cmd_login(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "server", required_argument, NULL, 's' },
		{ "email", required_argument, NULL, 'e' }, { "firm", required_argument, NULL, 'f' },
		{ "totp", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	struct session s = { 0 };
	char *email = NULL, *password = NULL, *totp = NULL, err[512], *end;
	bool bad_firm = false;
	const char *server = server_flag;
	int64_t firm_id = 0;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's')
			server = optarg;
		else if (c == 'e')
			email = xstrdup(optarg);
		else if (c == 't')
			totp = optarg;
		else if (c != 'f')
			return 2;
		else if ((firm_id = strtoll(optarg, &end, 10)) <= 0 || *end != '\0')
			bad_firm = true;
	}
	if (optind != argc || bad_firm) {
		cmd_fail("usage: folio login [--server URL] [--email EMAIL] [--firm ID] [--totp CODE]");
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
	if (cmd_session_create(&s, email, password, firm_id, totp) != 0)
		goto out;
	if (config_session_save(&s, err, sizeof err) != 0) {
		cmd_fail("%s", err);
		goto out;
	}
	/* TRANSLATORS: the server's address, then the user's name. */
	printf(_("Logged in to %s as "), s.server);
	cmd_puts(stdout, s.user_name ? s.user_name : email);
	puts(".");
	if (s.totp_enrol)
		printf("%s\n", _("Your firm requires two-factor login: set it up with \"folio totp enrol\"."));
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
	struct job *j;
	char *why;
	int rc = 0;

	if (argc > 1) {
		cmd_fail("usage: folio logout");
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	/* The local token goes in any case; say so when the server could not revoke it. */
	j = api_logout();
	if (api_call(s.server, s.token, j) != 0 || (!api_ok(j) && j->status != 401)) {
		why = api_reason(j);
		cmd_fail("logout: the server did not revoke the token: %s", why);
		free(why);
		rc = 1;
	}
	job_free(j);
	if (config_session_remove() != 0) {
		cmd_fail("logout: cannot remove the session file");
		rc = 1;
	}
	config_session_clear(&s);
	return rc;
}
