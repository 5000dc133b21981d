/*
 * cmd-totp.c -- `folio totp`: my two-factor login. `status` shows it,
 * `enrol` prints a new secret and its otpauth:// URI, asks for the first code
 * and prints the recovery codes, `disable` asks for the password and a code,
 * `recovery-codes` asks for a code and prints ten new ones. Codes come from
 * --code, else from the terminal or the next line of standard input. The
 * secret and the recovery codes go to standard output only, never to a log.
 * The code at login is cmd-session.c's.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs j (its body wiped after) and parses the answer; NULL after saying why. Caller puts. */
static struct json_object *
cmd_totp_run(const struct session *s, struct job *j)
{
	struct json_object *o = NULL;
	char *why;

	if (api_call(s->server, s->token, j) != 0 || !api_ok(j)) {
		why = api_reason(j);
		cmd_fail("totp: %s", why);
		free(why);
	} else if ((o = json_tokener_parse(j->reply ? j->reply : "")) == NULL) {
		cmd_fail("totp: the server's answer is not JSON");
	}
	if (j->body)
		explicit_bzero(j->body, strlen(j->body));
	job_free(j);
	return o;
}

/* The --code given, or one asked for. NULL after saying why. Caller frees. */
static char *
cmd_totp_code(const char *given)
{
	char *code;

	if (given != NULL)
		return xstrdup(given);
	code = cmd_session_prompt(_("Code from your authenticator app: "), false);
	if (code == NULL || *code == '\0') {
		cmd_fail("%s", _("totp: no code given"));
		free(code);
		return NULL;
	}
	return code;
}

/* Prints the recovery codes of an answer, with what they are for. */
static void
cmd_totp_print_codes(struct json_object *o)
{
	struct json_object *codes = json_object_object_get(o, "recovery_codes");
	size_t i;

	printf("%s\n", _("Recovery codes (each works once instead of a code; keep them safe,"
			 " they are not shown again):"));
	for (i = 0; codes && i < json_object_array_length(codes); i++)
		printf("  %s\n", json_object_get_string(json_object_array_get_idx(codes, i)));
}

static int
cmd_totp_status(const struct session *s)
{
	struct json_object *o = cmd_totp_run(s, api_totp(NULL, NULL, NULL));
	struct json_object *v;

	if (o == NULL)
		return 1;
	if (json_object_get_boolean(json_object_object_get(o, "enabled"))) {
		v = json_object_object_get(o, "enabled_at");
		printf(_("Two-factor login is on (since %s); %d recovery codes left.\n"),
		    v ? json_object_get_string(v) : "?",
		    json_object_get_int(json_object_object_get(o, "recovery_codes_left")));
	} else {
		printf("%s\n", _("Two-factor login is off."));
	}
	if (json_object_get_boolean(json_object_object_get(o, "required")))
		printf("%s\n", _("Your firm requires it."));
	json_object_put(o);
	return 0;
}

static int
cmd_totp_enrol(const struct session *s, const char *given)
{
	struct json_object *o;
	char *code;

	if ((o = cmd_totp_run(s, api_totp("", NULL, NULL))) == NULL)
		return 1;
	printf("%s\n", _("Add this account to your authenticator app (scan the URI as a QR code,"
			 " or type the secret):"));
	printf("  %s\n", json_object_get_string(json_object_object_get(o, "otpauth_uri")));
	printf(_("  Secret: %s\n"), json_object_get_string(json_object_object_get(o, "secret")));
	fflush(stdout);
	json_object_put(o);
	if ((code = cmd_totp_code(given)) == NULL)
		return 1;
	o = cmd_totp_run(s, api_totp("confirm", NULL, code));
	free(code);
	if (o == NULL)
		return 1;
	printf("%s\n", _("Two-factor login is on."));
	cmd_totp_print_codes(o);
	json_object_put(o);
	return 0;
}

static int
cmd_totp_disable(const struct session *s, const char *given)
{
	struct json_object *o = NULL;
	char *password, *code = NULL;

	password = cmd_session_prompt(_("Password: "), true);
	if (password == NULL || *password == '\0')
		cmd_fail("%s", _("totp: no password given"));
	else if ((code = cmd_totp_code(given)) != NULL)
		o = cmd_totp_run(s, api_totp("disable", password, code));
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	free(code);
	if (o == NULL)
		return 1;
	printf("%s\n", _("Two-factor login is off."));
	json_object_put(o);
	return 0;
}

static int
cmd_totp_recovery(const struct session *s, const char *given)
{
	struct json_object *o;
	char *code;

	if ((code = cmd_totp_code(given)) == NULL)
		return 1;
	o = cmd_totp_run(s, api_totp("recovery-codes", NULL, code));
	free(code);
	if (o == NULL)
		return 1;
	cmd_totp_print_codes(o);
	json_object_put(o);
	return 0;
}

int
cmd_totp(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "code", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 } };
	const char *what = "status", *code = NULL;
	struct session s;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'c')
			return 2;
		code = optarg;
	}
	if (optind < argc)
		what = argv[optind++];
	/* Options may follow the word too: folio totp enrol --code 123456. */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'c')
			return 2;
		code = optarg;
	}
	if (optind != argc || (strcmp(what, "status") != 0 && strcmp(what, "enrol") != 0 &&
	    strcmp(what, "disable") != 0 && strcmp(what, "recovery-codes") != 0)) {
		cmd_fail("usage: folio totp [status | enrol | disable | recovery-codes] [--code CODE]");
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	if (strcmp(what, "enrol") == 0)
		rc = cmd_totp_enrol(&s, code);
	else if (strcmp(what, "disable") == 0)
		rc = cmd_totp_disable(&s, code);
	else if (strcmp(what, "recovery-codes") == 0)
		rc = cmd_totp_recovery(&s, code);
	else
		rc = cmd_totp_status(&s);
	config_session_clear(&s);
	return rc;
}
