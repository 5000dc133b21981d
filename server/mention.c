/*
 * mention.c -- @mentions of a firm's team members in a message body: "@Full
 * Name" or "@localpart" (of the member's email address), in any case, as a
 * whole word -- not inside an email address, not the start of a longer name
 * or word; a full stop after it may end the sentence. Pure: the caller gives
 * the firm's staff (db_staff_names), so a mention never looks beyond its firm.
 */
#include "foliod.h"
#include "utf8.h"

#include <inttypes.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* Unicode case and classes, whatever the process locale is. */
static locale_t
mention_locale(void)
{
	static locale_t loc;

	if (loc == (locale_t)0) {
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (loc == (locale_t)0)
			loc = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
	}
	return loc;
}

/* The code point at s (NUL at the end), its length in *len (malformed: one byte). */
static uint32_t
mention_cp(const char *s, int *len)
{
	uint32_t cp = 0;
	size_t n = strnlen(s, 4);

	if (n == 0) {
		*len = 0;
		return 0;
	}
	if ((*len = utf8_decode(s, n, &cp)) <= 0) {
		*len = 1;
		return 0xfffd;
	}
	return cp;
}

static bool
mention_word_cp(uint32_t cp)
{
	return cp == '_' || iswalnum_l((wint_t)cp, mention_locale());
}

/* The code point before s (not before start); 0 at the start. */
static uint32_t
mention_cp_before(const char *start, const char *s)
{
	const char *p = s;
	int len;

	if (p == start)
		return 0;
	do
		p--;
	while (p > start && ((unsigned char)*p & 0xc0) == 0x80);
	return mention_cp(p, &len);
}

/*
 * Whether word is at s in any case and ends there as a word: the end, or not
 * a letter, digit, '_', '@', '.' or '-' after it -- except a '.' that is
 * itself followed by the end or by no letter, digit or '_'.
 */
static bool
mention_word_at(const char *s, const char *word)
{
	locale_t loc = mention_locale();
	uint32_t a, b, next;
	int la, lb, ln;

	if (*word == '\0')
		return false;
	while (*word) {
		a = mention_cp(s, &la);
		b = mention_cp(word, &lb);
		if (la == 0 || towlower_l((wint_t)a, loc) != towlower_l((wint_t)b, loc))
			return false;
		s += la;
		word += lb;
	}
	a = mention_cp(s, &la);
	if (la == 0)
		return true;
	if (a == '.') {
		next = mention_cp(s + la, &ln);
		return ln == 0 || !mention_word_cp(next);
	}
	return !(mention_word_cp(a) || a == '@' || a == '-');
}

static int
mention_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int64_t *
mention_find(const char *body, const struct mention_name *staff, size_t nstaff, size_t *n)
{
	int64_t *ids = NULL;
	size_t i, k;
	const char *at;
	uint32_t before;

	*n = 0;
	for (at = strchr(body, '@'); at; at = strchr(at + 1, '@')) {
		before = mention_cp_before(body, at);
		if (before != 0 && (mention_word_cp(before) || before == '.'))
			continue; /* inside a word or an email address */
		for (i = 0; i < nstaff; i++) {
			if (!mention_word_at(at + 1, staff[i].name) &&
			    !mention_word_at(at + 1, staff[i].local))
				continue;
			for (k = 0; k < *n && ids[k] != staff[i].id; k++)
				;
			if (k < *n)
				continue; /* once each */
			ids = xrealloc(ids, (*n + 1) * sizeof *ids);
			ids[(*n)++] = staff[i].id;
		}
	}
	if (*n > 1)
		qsort(ids, *n, sizeof *ids, mention_cmp);
	return ids;
}

char *
mention_array(const int64_t *ids, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_putc(&b, '{');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%" PRId64, i ? "," : "", ids[i]);
	buf_putc(&b, '}');
	return buf_detach(&b);
}
