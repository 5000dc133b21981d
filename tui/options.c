/*
 * options.c -- the client's options, one table {name, values, default, env,
 * help}, and the config file ($XDG_CONFIG_HOME/folio/config) that sets them
 * with "name = value" lines beside the key bindings ("bind ...", handed to
 * keymap.c). The same table feeds the help screen, and man/folio.1 names
 * every row. An option's environment variable, when it has one, wins over
 * the file.
 */
#include "folio.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct setting options[] = {
	{ "mouse", "on|off", "off", NULL,
	    N_("Clicks select and open, the wheel scrolls (off leaves the mouse to the terminal)") },
	{ "colours", "auto|256|8|off", "auto", NULL,
	    N_("Colours: as many as the terminal has, 256, the basic 8, or none (as with NO_COLOR)") },
	{ "wide", "NUMBER", "160", NULL,
	    N_("From this many columns on, accounts, threads and thread side by side; 0: never") },
	{ "events", "auto|websocket|poll", "auto", "FOLIO_EVENTS",
	    N_("Live events over the WebSocket, by long polling, or the WebSocket with polling "
	       "when it cannot connect") },
	{ "ca", "FILE", "", "FOLIO_CA",
	    N_("CA certificates (PEM) an https:// server's certificate must be signed by; "
	       "empty: the system's (--ca wins)") },
};
#define OPTIONS_N (sizeof options / sizeof options[0])
#define OPTIONS_SPACE " \t\r\n"

static char *options_value[OPTIONS_N];

const struct setting *
options_table(size_t *n)
{
	*n = OPTIONS_N;
	return options;
}

static int
options_index(const char *name)
{
	size_t i;

	for (i = 0; i < OPTIONS_N; i++)
		if (strcmp(options[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Whether value is one of the choices of option i. */
static bool
options_valid(size_t i, const char *value)
{
	const char *c = options[i].values, *bar;
	size_t n = strlen(value);
	char *end;

	if (strcmp(c, "NUMBER") == 0)
		return *value && strtol(value, &end, 10) >= 0 && *end == '\0';
	if (strcmp(c, "FILE") == 0)
		return true;
	for (; c; c = bar ? bar + 1 : NULL) {
		bar = strchr(c, '|');
		if ((bar ? (size_t)(bar - c) : strlen(c)) == n && strncasecmp(c, value, n) == 0)
			return true;
	}
	return false;
}

int
options_set(const char *name, const char *value, char *err, size_t errlen)
{
	int i = options_index(name);

	if (i < 0) {
		snprintf(err, errlen, _("no option \"%s\""), name);
		return -1;
	}
	if (!options_valid((size_t)i, value)) {
		snprintf(err, errlen, _("%s: \"%s\" is not one of %s"), name, value,
		    options[i].values);
		return -1;
	}
	free(options_value[i]);
	options_value[i] = xstrdup(value);
	return 0;
}

const char *
options_get(const char *name)
{
	int i = options_index(name);
	const char *env;

	if (i < 0)
		abort(); /* the code asked for an option the table lacks: a bug */
	if (options[i].env && (env = getenv(options[i].env)) != NULL &&
	    options_valid((size_t)i, env))
		return env;
	return options_value[i] ? options_value[i] : options[i].def;
}

bool
options_on(const char *name)
{
	return strcasecmp(options_get(name), "on") == 0;
}

long
options_number(const char *name)
{
	return strtol(options_get(name), NULL, 10);
}

/* One line of the file, split into words ("name = value" may also be "name=value"). */
static int
options_line(char *line, char *err, size_t errlen)
{
	char *words[5], *save = NULL, *w, *eq;
	int n = 0;

	if ((eq = strchr(line, '=')) != NULL && strncmp(line, "bind", 4) != 0) {
		*eq = ' ';
		for (w = strtok_r(line, OPTIONS_SPACE, &save); w && n < 3;
		    w = strtok_r(NULL, OPTIONS_SPACE, &save))
			words[n++] = w;
		if (n != 2) {
			snprintf(err, errlen, "%s", _("expected \"name = value\""));
			return -1;
		}
		return options_set(words[0], words[1], err, errlen);
	}
	for (w = strtok_r(line, OPTIONS_SPACE, &save); w && n < 5;
	    w = strtok_r(NULL, OPTIONS_SPACE, &save))
		words[n++] = w;
	if (n == 0 || words[0][0] == '#')
		return 0;
	return keymap_apply(words, n, err, errlen);
}

int
options_load(const char *path, char *err, size_t errlen)
{
	char *line = NULL, why[200];
	size_t cap = 0;
	int errors = 0, lineno = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (getline(&line, &cap, fp) >= 0) {
		lineno++;
		if (line[strspn(line, " \t")] == '#')
			continue;
		if (options_line(line, why, sizeof why) != 0 && errors++ == 0)
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
	}
	free(line);
	fclose(fp);
	return errors;
}

void
options_load_quietly(void)
{
	char *path = config_file_path(), err[256];

	options_load(path, err, sizeof err);
	free(path);
}

enum events_mode
options_events_mode(void)
{
	const char *v = options_get("events");

	return strcasecmp(v, "poll") == 0 ? EVENTS_POLL : strcasecmp(v, "websocket") == 0 ?
	    EVENTS_WEBSOCKET : EVENTS_AUTO;
}
