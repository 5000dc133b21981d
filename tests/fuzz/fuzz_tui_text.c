/*
 * fuzz_tui_text.c -- what the client does to text before it reaches the
 * screen: the Markdown rendering and its wrapping (markdown.c), the
 * compose editor's paste cleaning, cursor moves and layout (edit.c), and a
 * template's placeholders filled in (model_template_render). The first
 * input byte is the width, the second picks editor moves; the rest is the
 * text. Besides not crashing or hanging: wrapped lines fit the width, hold
 * no line break, keep their spans inside them and never split a character
 * of valid UTF-8; the editor holds no control character but tab and
 * newline, and its cursor stays on a character boundary.
 */
#include "fuzz.h"
#include "folio.h"
#include "mem.h"
#include "utf8.h"

/* md_wrap's narrowest line. */
#define FUZZ_MD_MIN_COLS 8

static void
fuzz_md_check(const struct md_doc *d, size_t cols, bool valid)
{
	size_t i, k, len;

	if (cols < FUZZ_MD_MIN_COLS)
		cols = FUZZ_MD_MIN_COLS;
	for (i = 0; i < d->n; i++) {
		len = strlen(d->lines[i].text);
		FUZZ_CHECK(strchr(d->lines[i].text, '\n') == NULL);
		FUZZ_CHECK(utf8_width(d->lines[i].text, len) <= cols);
		FUZZ_CHECK(!valid || utf8_valid(d->lines[i].text, len));
		for (k = 0; k < d->lines[i].nspans; k++)
			FUZZ_CHECK(d->lines[i].spans[k].off + d->lines[i].spans[k].len <= len);
	}
}

static void
fuzz_md(const char *text, size_t cols)
{
	bool valid = utf8_valid(text, strlen(text));
	struct md_doc d = { 0 };
	char *line;

	md_render(&d, text, cols);
	fuzz_md_check(&d, cols, valid);
	md_doc_clear(&d);
	/* md_plain takes one line (a message's "file: name"): the first. */
	line = xstrndup(text, strcspn(text, "\n"));
	md_plain(&d, line, MD_LINK, cols);
	fuzz_md_check(&d, cols, valid);
	md_doc_clear(&d);
	free(line);
}

static void
fuzz_edit_check(const struct edit *e, bool valid)
{
	size_t i;

	FUZZ_CHECK(e->cur <= e->text.len);
	for (i = 0; i < e->text.len; i++)
		FUZZ_CHECK((unsigned char)e->text.data[i] >= 0x20 || e->text.data[i] == '\n' ||
		    e->text.data[i] == '\t');
	if (valid && e->cur < e->text.len)
		FUZZ_CHECK(((unsigned char)e->text.data[e->cur] & 0xc0) != 0x80);
}

static void
fuzz_edit(const char *text, size_t n, unsigned moves, size_t cols)
{
	void (*const move[])(struct edit *) = { edit_left, edit_right, edit_up, edit_down,
		edit_home, edit_end, edit_backspace, edit_delete, edit_delete_word, edit_kill_line };
	bool valid = utf8_valid(text, n) && utf8_valid(text, n / 2);
	size_t starts[64], line, col, i;
	struct edit e;
	char *trimmed;

	edit_init(&e);
	edit_insert(&e, text, n);
	fuzz_edit_check(&e, valid);
	edit_home(&e);
	edit_insert(&e, text, n / 2);
	fuzz_edit_check(&e, valid);
	for (i = 0; i < 16; i++) {
		move[(moves >> (i % 8) ^ i) % (sizeof move / sizeof move[0])](&e);
		fuzz_edit_check(&e, valid);
		edit_layout(&e, cols, starts, sizeof starts / sizeof starts[0], &line, &col);
	}
	trimmed = edit_trimmed(&e);
	free(trimmed);
	edit_free(&e);
}

/* text, contact, account and firm, separated by 0x1f. */
static void
fuzz_template(char *s)
{
	const char *f[4] = { "", NULL, NULL, NULL };
	bool valid = utf8_valid(s, strlen(s));
	char *p, *out;
	int i;

	for (p = s, i = 0; i < 4 && p; i++) {
		f[i] = p;
		if ((p = strchr(p, 0x1f)) != NULL)
			*p++ = '\0';
	}
	out = model_template_render(f[0], f[1], f[2], f[3]);
	FUZZ_CHECK(!valid || utf8_valid(out, strlen(out)));
	free(out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cols;
	char *text;

	if (size < 2)
		return 0;
	cols = data[0] % 128;
	text = fuzz_string(data + 2, size - 2);
	fuzz_md(text, cols);
	fuzz_edit((const char *)data + 2, size - 2, data[1], cols);
	fuzz_template(text);
	free(text);
	return 0;
}
