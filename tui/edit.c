/*
 * edit.c -- a multi-line text being edited: UTF-8 bytes with a cursor that
 * always sits on a character boundary, and the soft-wrapped layout the
 * compose box draws. No curses here; the views draw from edit_layout().
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

void
edit_init(struct edit *e)
{
	memset(e, 0, sizeof *e);
}

void
edit_free(struct edit *e)
{
	buf_free(&e->text);
	memset(e, 0, sizeof *e);
}

void
edit_set(struct edit *e, const char *s)
{
	buf_reset(&e->text);
	buf_puts(&e->text, s ? s : "");
	e->cur = e->text.len;
	e->goal_col = 0;
}

bool
edit_empty(const struct edit *e)
{
	size_t i;

	for (i = 0; i < e->text.len; i++)
		if (strchr(" \t\r\n", e->text.data[i]) == NULL)
			return false;
	return true;
}

void
edit_insert(struct edit *e, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	/* CRLF and CR (from pastes) become LF; other controls but tab are dropped. */
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\r')
			buf_putc(&b, '\n');
		else if ((unsigned char)s[i] >= 0x20 || s[i] == '\n' || s[i] == '\t')
			buf_putc(&b, s[i]);
	}
	if (b.len > 0) {
		buf_append(&e->text, b.data, b.len); /* grow; then move the tail */
		memmove(e->text.data + e->cur + b.len, e->text.data + e->cur,
		    e->text.len - b.len - e->cur);
		memcpy(e->text.data + e->cur, b.data, b.len);
		e->cur += b.len;
	}
	buf_free(&b);
	e->goal_col = 0;
}

/* The offset of the character before off. */
static size_t
edit_prev(const struct edit *e, size_t off)
{
	if (off == 0)
		return 0;
	off--;
	while (off > 0 && ((unsigned char)e->text.data[off] & 0xc0) == 0x80)
		off--;
	return off;
}

/* The offset of the character after off. */
static size_t
edit_next(const struct edit *e, size_t off)
{
	uint32_t cp;
	int n;

	if (off >= e->text.len)
		return e->text.len;
	n = utf8_decode(e->text.data + off, e->text.len - off, &cp);
	return off + (n > 0 ? (size_t)n : 1);
}

static void
edit_cut(struct edit *e, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(e->text.data + from, e->text.data + to, e->text.len - to + 1);
	e->text.len -= to - from;
	e->cur = from;
}

void
edit_backspace(struct edit *e)
{
	edit_cut(e, edit_prev(e, e->cur), e->cur);
	e->goal_col = 0;
}

void
edit_delete(struct edit *e)
{
	size_t at = e->cur;

	edit_cut(e, at, edit_next(e, at));
	e->cur = at;
}

void
edit_left(struct edit *e)
{
	e->cur = edit_prev(e, e->cur);
	e->goal_col = 0;
}

void
edit_right(struct edit *e)
{
	e->cur = edit_next(e, e->cur);
	e->goal_col = 0;
}

static size_t
edit_line_start(const struct edit *e, size_t off)
{
	while (off > 0 && e->text.data[off - 1] != '\n')
		off--;
	return off;
}

static size_t
edit_line_end(const struct edit *e, size_t off)
{
	while (off < e->text.len && e->text.data[off] != '\n')
		off++;
	return off;
}

void
edit_home(struct edit *e)
{
	e->cur = edit_line_start(e, e->cur);
	e->goal_col = 0;
}

void
edit_end(struct edit *e)
{
	e->cur = edit_line_end(e, e->cur);
	e->goal_col = 0;
}

/* Moves to column col (in display columns) of the logical line starting at start. */
static void
edit_to_col(struct edit *e, size_t start, size_t col)
{
	size_t end = edit_line_end(e, start);

	e->cur = start + utf8_fit(e->text.data + start, end - start, col);
}

void
edit_up(struct edit *e)
{
	size_t start, col;

	if (e->text.len == 0)
		return;
	start = edit_line_start(e, e->cur);
	col = e->goal_col ? e->goal_col : utf8_width(e->text.data + start, e->cur - start);
	if (start == 0) {
		e->cur = 0;
		return;
	}
	edit_to_col(e, edit_line_start(e, start - 1), col);
	e->goal_col = col;
}

void
edit_down(struct edit *e)
{
	size_t start, end, col;

	if (e->text.len == 0)
		return;
	start = edit_line_start(e, e->cur);
	end = edit_line_end(e, e->cur);
	col = e->goal_col ? e->goal_col : utf8_width(e->text.data + start, e->cur - start);
	if (end >= e->text.len) {
		e->cur = e->text.len;
		return;
	}
	edit_to_col(e, end + 1, col);
	e->goal_col = col;
}

void
edit_kill_line(struct edit *e)
{
	size_t end = edit_line_end(e, e->cur);

	/* At the end of a line, join the next one (like Emacs and readline). */
	if (end == e->cur && end < e->text.len)
		end++;
	edit_cut(e, e->cur, end);
}

void
edit_delete_word(struct edit *e)
{
	size_t from = e->cur;

	while (from > 0 && strchr(" \t\n", e->text.data[from - 1]) != NULL)
		from--;
	while (from > 0 && strchr(" \t\n", e->text.data[from - 1]) == NULL)
		from--;
	edit_cut(e, from, e->cur);
}

char *
edit_trimmed(const struct edit *e)
{
	size_t n = e->text.len;

	while (n > 0 && strchr(" \t\r\n", e->text.data[n - 1]) != NULL)
		n--;
	return xstrndup(e->text.data ? e->text.data : "", n);
}

size_t
edit_layout(const struct edit *e, size_t cols, size_t *starts, size_t max, size_t *cur_line,
    size_t *cur_col)
{
	const char *s = e->text.data ? e->text.data : "";
	size_t n = 0, off = 0, line_start = 0, col = 0, w;
	uint32_t cp;
	int len;

	if (cols < 2)
		cols = 2;
	*cur_line = *cur_col = 0;
	if (max > 0)
		starts[n] = 0;
	n = 1;
	for (;;) {
		if (off == e->cur) {
			*cur_line = n - 1;
			*cur_col = col;
		}
		if (off >= e->text.len)
			break;
		len = utf8_decode(s + off, e->text.len - off, &cp);
		if (len < 0)
			len = 1, cp = '?';
		w = s[off] == '\t' ? 1 : (size_t)utf8_cp_width(cp);
		if (s[off] == '\n') {
			off += (size_t)len;
			line_start = off;
			col = 0;
		} else if (col > 0 && col + w > cols - 1) {
			/* Wrap before this character; the last column is kept for the cursor. */
			line_start = off;
			col = 0;
		} else {
			off += (size_t)len;
			col += w;
			continue;
		}
		if (n < max)
			starts[n] = line_start;
		n++;
	}
	return n;
}
