/*
 * markdown.c -- message bodies (CommonMark) turned into wrapped display
 * lines with attribute spans: bold, italics, code, links shown with their
 * URL, headings, lists and quotes. It is a terminal rendering of the common
 * subset, not a full CommonMark parser; anything it does not know stays
 * visible as the text the author typed. No curses: views map the spans.
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* Text with one attribute byte per text byte, before wrapping. */
struct md_run {
	struct buf text;
	struct buf attr;
};

static void
md_put(struct md_run *r, const char *s, size_t n, int attr)
{
	size_t i;

	buf_append(&r->text, s, n);
	for (i = 0; i < n; i++)
		buf_putc(&r->attr, (char)attr);
}

static void
md_add_line(struct md_doc *d, const char *text, const char *attr, size_t n, int indent)
{
	struct md_line *l;
	size_t i, start;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->lines = xrealloc(d->lines, d->cap * sizeof *d->lines);
	}
	l = &d->lines[d->n++];
	memset(l, 0, sizeof *l);
	l->text = xstrndup(text, n);
	l->indent = indent;
	for (i = 0; i < n;) {
		start = i;
		while (i < n && attr[i] == attr[start])
			i++;
		if (attr[start] == 0)
			continue;
		l->spans = xrealloc(l->spans, (l->nspans + 1) * sizeof *l->spans);
		l->spans[l->nspans].off = start;
		l->spans[l->nspans].len = i - start;
		l->spans[l->nspans].attr = (unsigned char)attr[start];
		l->nspans++;
	}
}

/*
 * Wraps a run at cols: words move whole to the next line when they do not
 * fit; a word longer than a line is cut. Continuation lines start with
 * indent spaces (the hanging indent of list items).
 */
static void
md_wrap(struct md_doc *d, struct md_run *r, size_t cols, int indent)
{
	const char *s = buf_str(&r->text), *a = buf_str(&r->attr);
	struct buf lt = BUF_INIT, la = BUF_INIT;
	size_t len = r->text.len, i = 0, w, col = 0, word, fit;

	if (cols < 8)
		cols = 8;
	/* At least half of each line for text: a hanging indent as wide as the line left no room, ever. */
	if ((size_t)indent > cols / 2)
		indent = (int)(cols / 2);
	while (i < len) {
		word = i;
		while (word < len && s[word] != ' ')
			word++;
		word -= i; /* bytes in this word */
		w = utf8_width(s + i, word);
		if (col > (size_t)indent && col + w > cols) {
			while (lt.len > 0 && lt.data[lt.len - 1] == ' ')
				lt.len--, la.len--; /* the space we broke at */
			md_add_line(d, buf_str(&lt), buf_str(&la), lt.len, indent);
			buf_reset(&lt), buf_reset(&la);
			for (col = 0; col < (size_t)indent; col++)
				buf_putc(&lt, ' '), buf_putc(&la, 0);
		}
		while (col + w > cols) {
			fit = utf8_fit(s + i, word, cols - col);
			if (fit == 0)
				fit = word; /* a character wider than the line: show it anyway */
			buf_append(&lt, s + i, fit), buf_append(&la, a + i, fit);
			md_add_line(d, buf_str(&lt), buf_str(&la), lt.len, indent);
			buf_reset(&lt), buf_reset(&la);
			for (col = 0; col < (size_t)indent; col++)
				buf_putc(&lt, ' '), buf_putc(&la, 0);
			i += fit, word -= fit;
			w = utf8_width(s + i, word);
		}
		buf_append(&lt, s + i, word), buf_append(&la, a + i, word);
		col += w;
		i += word;
		if (i < len) { /* the space */
			if (col < cols)
				buf_putc(&lt, ' '), buf_putc(&la, a[i]), col++;
			i++;
		}
	}
	md_add_line(d, buf_str(&lt), buf_str(&la), lt.len, indent);
	buf_free(&lt);
	buf_free(&la);
}

/* The length of a delimiter run like "**" at s; 0 when s is not one. */
static size_t
md_delim(const char *s, char c)
{
	size_t n = 0;

	while (s[n] == c)
		n++;
	return n;
}

/* Handles [text](url) at s; returns bytes used or 0. */
static size_t
md_link(struct md_run *r, const char *s, size_t n, int attr)
{
	const char *close = memchr(s, ']', n), *end;

	if (close == NULL || (size_t)(close - s) + 1 >= n || close[1] != '(')
		return 0;
	end = memchr(close + 2, ')', n - (size_t)(close + 2 - s));
	if (end == NULL)
		return 0;
	md_put(r, s + 1, (size_t)(close - s - 1), attr | MD_LINK);
	md_put(r, " <", 2, attr);
	md_put(r, close + 2, (size_t)(end - close - 2), attr);
	md_put(r, ">", 1, attr);
	return (size_t)(end - s) + 1;
}

/* Inline markup of one block of text into r. */
static void
md_inline(struct md_run *r, const char *s, size_t n, int base)
{
	int attr = base;
	size_t i = 0, k, used;
	const char *end;

	while (i < n) {
		if (s[i] == '\\' && i + 1 < n && strchr("\\`*_[]()#+-.!<>", s[i + 1])) {
			md_put(r, s + i + 1, 1, attr);
			i += 2;
		} else if (s[i] == '`' && (end = memchr(s + i + 1, '`', n - i - 1)) != NULL) {
			md_put(r, s + i + 1, (size_t)(end - s - i - 1), attr | MD_CODE);
			i = (size_t)(end - s) + 1;
		} else if (s[i] == '[' && (used = md_link(r, s + i, n - i, attr)) > 0) {
			i += used;
		} else if (s[i] == '<' && (end = memchr(s + i, '>', n - i)) != NULL &&
		    (strncmp(s + i + 1, "http://", 7) == 0 || strncmp(s + i + 1, "https://", 8) == 0)) {
			md_put(r, s + i + 1, (size_t)(end - s - i - 1), attr | MD_LINK);
			i = (size_t)(end - s) + 1;
		} else if ((s[i] == '*' || s[i] == '_') && (k = md_delim(s + i, s[i])) >= 1 &&
		    (s[i] == '*' || i == 0 || s[i - 1] == ' ' || (attr & (k >= 2 ? MD_BOLD : MD_ITALIC)))) {
			k = k >= 2 ? 2 : 1;
			attr ^= k == 2 ? MD_BOLD : MD_ITALIC;
			i += k;
		} else {
			md_put(r, s + i, 1, attr);
			i++;
		}
	}
}

static void
md_run_free(struct md_run *r)
{
	buf_free(&r->text);
	buf_free(&r->attr);
}

/* One source line outside code fences: block prefix, then inline markup. */
static void
md_block_line(struct md_doc *d, const char *s, size_t n, size_t cols)
{
	struct md_run r = { BUF_INIT, BUF_INIT };
	size_t lead = 0, h;
	int indent = 0, attr = 0;
	char num[16];

	while (lead < n && lead < 8 && s[lead] == ' ')
		lead++;
	s += lead, n -= lead;
	md_put(&r, "        ", lead, 0);
	indent = (int)lead;
	if ((h = md_delim(s, '#')) >= 1 && h <= 6 && h < n && s[h] == ' ') {
		attr = MD_HEADING | MD_BOLD;
		s += h + 1, n -= h + 1;
	} else if (n >= 2 && strchr("-*+", s[0]) && s[1] == ' ') {
		md_put(&r, "\xe2\x80\xa2 ", 4, 0); /* a bullet */
		s += 2, n -= 2, indent += 2;
	} else if (n >= 2 && s[0] == '>') {
		h = s[1] == ' ' ? 2 : 1;
		md_put(&r, "\xe2\x94\x82 ", 4, MD_QUOTE);
		s += h, n -= h, indent += 2, attr = MD_QUOTE;
	} else {
		for (h = 0; h < n && h < 9 && s[h] >= '0' && s[h] <= '9'; h++)
			;
		if (h > 0 && h + 1 < n && (s[h] == '.' || s[h] == ')') && s[h + 1] == ' ') {
			memcpy(num, s, h + 2);
			md_put(&r, num, h + 2, 0);
			s += h + 2, n -= h + 2, indent += (int)h + 2;
		}
	}
	md_inline(&r, s, n, attr);
	md_wrap(d, &r, cols, indent);
	md_run_free(&r);
}

void
md_render(struct md_doc *d, const char *src, size_t cols)
{
	const char *s = src, *nl;
	bool fence = false, blank = false;
	char *code;
	size_t n;

	while (*s) {
		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n >= 3 && strncmp(s, "```", 3) == 0) {
			fence = !fence;
		} else if (fence) {
			code = xstrndup(s, n);
			md_plain(d, code, MD_CODE, cols);
			free(code);
		} else if (n == 0 || strspn(s, " \t") == n) {
			if (!blank && d->n > 0)
				md_add_line(d, "", "", 0, 0);
			blank = true;
		} else {
			md_block_line(d, s, n, cols);
			blank = false;
		}
		s += n;
		if (*s == '\r')
			s++;
		if (*s == '\n')
			s++;
	}
	/* No trailing blank line: the view puts its own gap between messages. */
	while (d->n > 0 && d->lines[d->n - 1].text[0] == '\0') {
		free(d->lines[d->n - 1].text);
		free(d->lines[d->n - 1].spans);
		d->n--;
	}
}

void
md_plain(struct md_doc *d, const char *text, int attr, size_t cols)
{
	struct md_run r = { BUF_INIT, BUF_INIT };

	md_put(&r, text, strlen(text), attr);
	md_wrap(d, &r, cols, 0);
	md_run_free(&r);
}

void
md_doc_clear(struct md_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->lines[i].text);
		free(d->lines[i].spans);
	}
	free(d->lines);
	memset(d, 0, sizeof *d);
}
