/*
 * i18n.c -- the client's language: the locale from the environment (LANG,
 * LC_MESSAGES, LC_ALL), the gettext catalog "folio" (tui/po/LANG.po, built
 * into LOCALEDIR/LANG/LC_MESSAGES/folio.mo by the Makefile), and dates in
 * the locale's words. Where the catalogs are: FOLIO_LOCALEDIR when set,
 * else build/locale when the binary runs from the source tree (tui/folio or
 * build/VARIANT/folio), else the installed $(PREFIX)/share/locale. Numbers
 * stay in the "C" locale so that JSON and numeric options read the same
 * everywhere.
 */
#include "folio.h"
#include "mem.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FOLIO_LOCALEDIR
#define FOLIO_LOCALEDIR "/usr/local/share/locale"
#endif

static char *i18n_catalogs;

/* build/locale beside the running binary, when it runs from the source tree. Caller frees. */
static char *
i18n_build_tree(void)
{
	static const char *rel[] = { "../build/locale", "../locale" };
	char exe[PATH_MAX], *slash, *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t i;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		dir = xasprintf("%s/%s", exe, rel[i]);
		if (access(dir, R_OK | X_OK) == 0)
			return dir;
		free(dir);
	}
	return NULL;
}

void
i18n_init(void)
{
	const char *env = getenv("FOLIO_LOCALEDIR");

	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	free(i18n_catalogs);
	if (env != NULL && *env)
		i18n_catalogs = xstrdup(env);
	else if ((i18n_catalogs = i18n_build_tree()) == NULL)
		i18n_catalogs = xstrdup(FOLIO_LOCALEDIR);
	bindtextdomain("folio", i18n_catalogs);
	bind_textdomain_codeset("folio", "UTF-8");
	textdomain("folio");
}

const char *
i18n_dir(void)
{
	return i18n_catalogs ? i18n_catalogs : FOLIO_LOCALEDIR;
}

void
i18n_strftime(char *out, size_t len, const char *fmt, const struct tm *tm)
{
	if (len == 0)
		return;
	if (strftime(out, len, fmt, tm) == 0)
		out[0] = '\0';
}
