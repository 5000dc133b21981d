/*
 * mail-lang.c -- the languages mail is written in: the firm's language code
 * ("de", "en"), the gettext catalogs of the text domain "foliod"
 * (server/po/LANG.po, built into LOCALEDIR/LANG/LC_MESSAGES/foliod.mo by the
 * Makefile) and dates in each language's words. It does not choose the
 * language (the firm's setting, loaded with the mail's context) or compose
 * mail (mail-compose.c).
 *
 * Why not setlocale() and gettext(): mail is composed on the mail worker and
 * on pool threads, each mail in its firm's language, and setlocale is global
 * to the process. The catalogs are read once into memory and looked up with
 * bsearch (msgfmt writes the original strings sorted), which is thread-safe,
 * needs no installed system locale and ignores $LANGUAGE. Dates are built
 * from translated names, not strftime, for the same reasons.
 * Where the catalogs are: FOLIO_LOCALEDIR when set, else build/locale when
 * the binary runs from the source tree, else the installed LOCALEDIR.
 */
#include "foliod.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef FOLIO_LOCALEDIR
#define FOLIO_LOCALEDIR "/usr/local/share/locale"
#endif

#define MAIL_LANG_DOMAIN "foliod"
/* Marks a string with a context for xgettext (make pot); looked up later. */
#define NP_(ctx, s) s
#define MO_MAGIC 0x950412deU

/* One language's catalog: the .mo file as read; n == 0 when there is none. */
struct mail_lang_catalog {
	const char *code;
	unsigned char *mo;
	size_t size;
	uint32_t n, orig, trans;
	bool swap;
};

/* The first row is the default for a missing or unknown code. English needs no catalog. */
static struct mail_lang_catalog mail_lang_catalogs[] = {
	{ "de", NULL, 0, 0, 0, 0, false },
	{ "en", NULL, 0, 0, 0, 0, false },
};
#define MAIL_LANG_N (sizeof mail_lang_catalogs / sizeof mail_lang_catalogs[0])

static pthread_once_t mail_lang_once = PTHREAD_ONCE_INIT;

static uint32_t
mail_lang_u32(const struct mail_lang_catalog *c, size_t off)
{
	uint32_t v;

	memcpy(&v, c->mo + off, sizeof v);
	return c->swap ? __builtin_bswap32(v) : v;
}

/* build/locale beside the running binary, else the environment or LOCALEDIR. Caller frees. */
static char *
mail_lang_dir(void)
{
	static const char *rel[] = { "../build/locale", "../locale" };
	const char *env = getenv("FOLIO_LOCALEDIR");
	char exe[PATH_MAX], *slash, *dir;
	ssize_t n;
	size_t i;

	if (env != NULL && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
				dir = xasprintf("%s/%s", exe, rel[i]);
				if (access(dir, R_OK | X_OK) == 0)
					return dir;
				free(dir);
			}
		}
	}
	return xstrdup(FOLIO_LOCALEDIR);
}

/* Reads path into c when it is a well-formed .mo file; else c stays empty. */
static void
mail_lang_read(struct mail_lang_catalog *c, const char *path)
{
	struct stat st;
	uint32_t magic;
	ssize_t got;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size >= 28 && st.st_size < 64 * 1024 * 1024) {
		c->mo = xmalloc((size_t)st.st_size + 1);
		c->size = (size_t)st.st_size;
		got = read(fd, c->mo, c->size);
		memcpy(&magic, c->mo, sizeof magic);
		c->swap = magic == __builtin_bswap32(MO_MAGIC);
		if (got == (ssize_t)c->size && (magic == MO_MAGIC || c->swap)) {
			c->n = mail_lang_u32(c, 8);
			c->orig = mail_lang_u32(c, 12);
			c->trans = mail_lang_u32(c, 16);
		}
		if (c->n > (c->size / 8) || c->orig > c->size - 8ULL * c->n ||
		    c->trans > c->size - 8ULL * c->n)
			c->n = 0;
	}
	close(fd);
	if (c->n == 0 && c->mo != NULL)
		log_warn("mail: %s is not a gettext catalog; that language's mail is in English", path);
}

static void
mail_lang_load(void)
{
	char *dir = mail_lang_dir(), *path;
	size_t i;

	for (i = 0; i < MAIL_LANG_N; i++) {
		if (strcmp(mail_lang_catalogs[i].code, "en") == 0)
			continue;
		path = xasprintf("%s/%s/LC_MESSAGES/%s.mo", dir, mail_lang_catalogs[i].code,
		    MAIL_LANG_DOMAIN);
		mail_lang_read(&mail_lang_catalogs[i], path);
		if (mail_lang_catalogs[i].n == 0)
			log_warn("mail: no catalog %s; \"%s\" mail is in English", path,
			    mail_lang_catalogs[i].code);
		free(path);
	}
	free(dir);
}

bool
mail_lang_known(const char *code)
{
	size_t i;

	for (i = 0; code && i < MAIL_LANG_N; i++)
		if (strcmp(code, mail_lang_catalogs[i].code) == 0)
			return true;
	return false;
}

/* String i of the table at off, or NULL when it does not fit in the file. */
static const char *
mail_lang_string(const struct mail_lang_catalog *c, uint32_t off, uint32_t i)
{
	uint32_t len = mail_lang_u32(c, off + 8ULL * i), at = mail_lang_u32(c, off + 8ULL * i + 4);

	if (at >= c->size || len >= c->size - at || c->mo[at + len] != '\0')
		return NULL;
	return (const char *)c->mo + at;
}

const char *
mail_lang_text(const char *code, const char *msgid)
{
	const struct mail_lang_catalog *c = &mail_lang_catalogs[0];
	const char *s, *t;
	uint32_t lo = 0, hi, mid;
	size_t i;
	int cmp;

	pthread_once(&mail_lang_once, mail_lang_load);
	for (i = 0; code && i < MAIL_LANG_N; i++)
		if (strcmp(code, mail_lang_catalogs[i].code) == 0)
			c = &mail_lang_catalogs[i];
	for (hi = c->n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if ((s = mail_lang_string(c, c->orig, mid)) == NULL)
			return msgid;
		if ((cmp = strcmp(msgid, s)) == 0) {
			t = mail_lang_string(c, c->trans, mid);
			return t && *t ? t : msgid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}

const char *
mail_lang_ptext(const char *code, const char *ctx, const char *msgid)
{
	char key[128];
	const char *t;

	if ((size_t)snprintf(key, sizeof key, "%s\004%s", ctx, msgid) >= sizeof key)
		return msgid;
	t = mail_lang_text(code, key);
	return t == key ? msgid : t;
}

char *
mail_lang_date(const char *code, int64_t at)
{
	static const char *const wday[] = { NP_("weekday", "Sun"), NP_("weekday", "Mon"),
		NP_("weekday", "Tue"), NP_("weekday", "Wed"), NP_("weekday", "Thu"),
		NP_("weekday", "Fri"), NP_("weekday", "Sat") };
	static const char *const mon[] = { NP_("month", "Jan"), NP_("month", "Feb"),
		NP_("month", "Mar"), NP_("month", "Apr"), NP_("month", "May"), NP_("month", "Jun"),
		NP_("month", "Jul"), NP_("month", "Aug"), NP_("month", "Sep"), NP_("month", "Oct"),
		NP_("month", "Nov"), NP_("month", "Dec") };
	time_t t = (time_t)at;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return xstrdup("");
	/* TRANSLATORS: weekday, month, day, year, hour, minute: "Tue, Dec 9, 2026, 14:30". */
	return xasprintf(mail_lang_text(code, "%1$s, %2$s %3$d, %4$d, %5$02d:%6$02d"),
	    mail_lang_ptext(code, "weekday", wday[tm.tm_wday]),
	    mail_lang_ptext(code, "month", mon[tm.tm_mon]), tm.tm_mday, tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min);
}
