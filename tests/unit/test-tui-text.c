/*
 * test-tui-text.c -- the compose editor (edit.c) and the Markdown
 * rendering (markdown.c): UTF-8 cursor moves, wrapping by display width,
 * attributes for bold, italics, code and links.
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "folio.h"
#include "utf8.h"
#include "unit.h"

START_TEST(edit_utf8_cursor_and_backspace)
{
	struct edit e;

	edit_init(&e);
	edit_insert(&e, "añ😀", strlen("añ😀"));
	ck_assert_uint_eq(e.cur, e.text.len);
	edit_backspace(&e);
	ck_assert_str_eq(buf_str(&e.text), "añ");
	edit_left(&e);
	ck_assert_uint_eq(e.cur, 1);
	edit_insert(&e, "x", 1);
	ck_assert_str_eq(buf_str(&e.text), "axñ");
	edit_delete(&e);
	ck_assert_str_eq(buf_str(&e.text), "ax");
	edit_free(&e);
}
END_TEST

START_TEST(edit_lines_and_columns)
{
	struct edit e;

	edit_init(&e);
	edit_set(&e, "東京\nabcdef");
	edit_up(&e); /* from column 6 to the end of the shorter line above */
	ck_assert_uint_eq(e.cur, strlen("東京"));
	edit_home(&e);
	ck_assert_uint_eq(e.cur, 0);
	edit_down(&e);
	ck_assert_uint_eq(e.cur, strlen("東京\n"));
	edit_end(&e);
	edit_kill_line(&e);
	edit_home(&e);
	edit_kill_line(&e);
	ck_assert_str_eq(buf_str(&e.text), "東京\n");
	edit_set(&e, "one two  ");
	edit_delete_word(&e);
	ck_assert_str_eq(buf_str(&e.text), "one ");
	edit_free(&e);
}
END_TEST

START_TEST(edit_paste_normalises_newlines_and_controls)
{
	struct edit e;
	char *t;

	edit_init(&e);
	edit_insert(&e, "a\r\nb\rc\x01\n\n", 9);
	ck_assert_str_eq(buf_str(&e.text), "a\nb\nc\n\n");
	t = edit_trimmed(&e);
	ck_assert_str_eq(t, "a\nb\nc");
	free(t);
	ck_assert(!edit_empty(&e));
	edit_set(&e, " \n\t");
	ck_assert(edit_empty(&e));
	edit_free(&e);
}
END_TEST

START_TEST(edit_layout_wraps_by_width)
{
	struct edit e;
	size_t starts[16], n, cl, cc;

	edit_init(&e);
	edit_set(&e, "漢字漢字漢"); /* 10 columns */
	n = edit_layout(&e, 7, starts, 16, &cl, &cc); /* 6 usable columns: 3 characters */
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(starts[1], strlen("漢字漢"));
	ck_assert_uint_eq(cl, 1);
	ck_assert_uint_eq(cc, 4);
	edit_set(&e, "ab\n");
	n = edit_layout(&e, 10, starts, 16, &cl, &cc);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(cl, 1);
	ck_assert_uint_eq(cc, 0);
	edit_free(&e);
}
END_TEST

static int
span_attr_at(const struct md_line *l, size_t off)
{
	size_t i;

	for (i = 0; i < l->nspans; i++)
		if (off >= l->spans[i].off && off < l->spans[i].off + l->spans[i].len)
			return l->spans[i].attr;
	return 0;
}

START_TEST(markdown_inline_attributes)
{
	struct md_doc d = { 0 };
	const char *t;

	md_render(&d, "Hi **bold** and *it* `code` [site](https://x.test)", 80);
	ck_assert_uint_eq(d.n, 1);
	t = d.lines[0].text;
	ck_assert_str_eq(t, "Hi bold and it code site <https://x.test>");
	ck_assert_int_eq(span_attr_at(&d.lines[0], 3), MD_BOLD);
	ck_assert_int_eq(span_attr_at(&d.lines[0], 12), MD_ITALIC);
	ck_assert_int_eq(span_attr_at(&d.lines[0], 15), MD_CODE);
	ck_assert_int_eq(span_attr_at(&d.lines[0], 20), MD_LINK);
	ck_assert_int_eq(span_attr_at(&d.lines[0], 0), 0);
	md_doc_clear(&d);
	md_render(&d, "snake_case_name stays", 80);
	ck_assert_str_eq(d.lines[0].text, "snake_case_name stays");
	md_doc_clear(&d);
}
END_TEST

START_TEST(markdown_blocks_and_wrapping)
{
	struct md_doc d = { 0 };
	size_t i;

	md_render(&d, "# Title\n\n- one two three four five six\n> quoted\n\n\n1. first", 16);
	ck_assert_str_eq(d.lines[0].text, "Title");
	ck_assert(span_attr_at(&d.lines[0], 0) & MD_HEADING);
	ck_assert_str_eq(d.lines[1].text, "");
	ck_assert_str_eq(d.lines[2].text, "• one two three");
	ck_assert_str_eq(d.lines[3].text, "  four five six"); /* hanging indent */
	ck_assert_str_eq(d.lines[4].text, "│ quoted");
	ck_assert_str_eq(d.lines[5].text, ""); /* blank lines collapse */
	ck_assert_str_eq(d.lines[6].text, "1. first");
	ck_assert_uint_eq(d.n, 7);
	for (i = 0; i < d.n; i++)
		ck_assert_uint_le(utf8_width(d.lines[i].text, strlen(d.lines[i].text)), 16);
	md_doc_clear(&d);
	md_render(&d, "😀😀😀😀😀😀😀😀😀😀", 8); /* 20 columns, no spaces */
	for (i = 0; i < d.n; i++)
		ck_assert_uint_le(utf8_width(d.lines[i].text, strlen(d.lines[i].text)), 8);
	ck_assert_uint_eq(d.n, 3);
	md_doc_clear(&d);
	/* A hanging indent wider than the line (10 of 8 columns): cut to half of it, not a loop. */
	md_render(&d, "        - one two three", 8);
	for (i = 0; i < d.n; i++)
		ck_assert_uint_le(utf8_width(d.lines[i].text, strlen(d.lines[i].text)), 8);
	ck_assert_str_eq(d.lines[3].text, "    two");
	ck_assert_uint_eq(d.n, 6);
	md_doc_clear(&d);
}
END_TEST

START_TEST(markdown_code_fence_is_verbatim)
{
	struct md_doc d = { 0 };

	md_render(&d, "```\n**not bold**\n```\nafter", 40);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_str_eq(d.lines[0].text, "**not bold**");
	ck_assert_int_eq(span_attr_at(&d.lines[0], 0), MD_CODE);
	ck_assert_str_eq(d.lines[1].text, "after");
	md_doc_clear(&d);
}
END_TEST

START_TEST(keymap_names_round_trip)
{
	const char *names[] = { "Enter", "Esc", "C-d", "j", "?", "PgDn", "BTab", "F1" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_str_eq(keymap_key_name(keymap_key_parse(names[i])), names[i]);
	ck_assert_int_eq(keymap_key_parse("NoSuchKey"), -1);
	ck_assert_str_eq(keymap_lookup("compose", 4), "send");
	ck_assert_str_eq(keymap_lookup("thread", 'j'), "down"); /* from the shared list keys */
	ck_assert_ptr_null(keymap_lookup("compose", 'j'));      /* typing, not moving */
	ck_assert_ptr_nonnull(action_find("reply"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tui-text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, edit_utf8_cursor_and_backspace);
	tcase_add_test(tc, edit_lines_and_columns);
	tcase_add_test(tc, edit_paste_normalises_newlines_and_controls);
	tcase_add_test(tc, edit_layout_wraps_by_width);
	tcase_add_test(tc, markdown_inline_attributes);
	tcase_add_test(tc, markdown_blocks_and_wrapping);
	tcase_add_test(tc, markdown_code_fence_is_verbatim);
	tcase_add_test(tc, keymap_names_round_trip);
	suite_add_tcase(s, tc);
	setlocale(LC_ALL, "C.UTF-8"); /* widths of CJK and emoji */
	return unit_run(s);
}
