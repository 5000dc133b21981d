/* test-server-documents.c -- unit tests of documents' pure parts: Range, Content-Disposition, the upload queue, a multipart body's file part. */
#include <check.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

START_TEST(ranges)
{
	static const struct {
		const char *h;
		int64_t size;
		int want, from, to;
	} c[] = {
		{ NULL, 10, 0, 0, 0 },
		{ "bytes=0-4", 10, 1, 0, 4 },
		{ "bytes=5-", 10, 1, 5, 9 },
		{ "bytes=-3", 10, 1, 7, 9 },
		{ "bytes=-30", 10, 1, 0, 9 },
		{ "bytes=8-100", 10, 1, 8, 9 },
		{ "bytes=10-", 10, -1, 0, 0 },
		{ "bytes=-0", 10, -1, 0, 0 },
		{ "bytes=0-", 0, -1, 0, 0 },
		{ "bytes=4-2", 10, 0, 0, 0 },     /* invalid: ignored, the whole document */
		{ "bytes=0-1,4-5", 10, 0, 0, 0 }, /* several: the whole document */
		{ "items=0-1", 10, 0, 0, 0 },
		{ "bytes=x-1", 10, 0, 0, 0 },
		{ "bytes=1-2x", 10, 0, 0, 0 },
	};
	int64_t from, to;
	size_t i;
	int r;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		from = to = -1;
		r = documents_range(c[i].h, c[i].size, &from, &to);
		ck_assert_msg(r == c[i].want, "%s: %d, want %d", c[i].h ? c[i].h : "(none)", r, c[i].want);
		if (r == 1) {
			ck_assert_int_eq(from, c[i].from);
			ck_assert_int_eq(to, c[i].to);
		}
	}
}
END_TEST

START_TEST(dispositions)
{
	char *d = documents_disposition("Übersicht \"2026\"\\100%;\r\n.pdf");

	ck_assert_str_eq(d, "attachment; filename=\"_bersicht _2026__100_;__.pdf\"; "
			    "filename*=UTF-8''%C3%9Cbersicht%20%222026%22%5C100%25%3B%0D%0A.pdf");
	free(d);
	d = documents_disposition("plain-name_1.txt");
	ck_assert_str_eq(d, "attachment; filename=\"plain-name_1.txt\"; filename*=UTF-8''plain-name_1.txt");
	free(d);
}
END_TEST

START_TEST(stream_queues_pauses_and_ends)
{
	struct stream *s = stream_create(NULL, 8);
	char out[16];

	ck_assert(!stream_push(s, "abcd", 4));   /* 4 of 8: go on */
	ck_assert(stream_push(s, "efghij", 6));  /* 10: pause */
	ck_assert(!stream_resume_due(s));        /* nothing read yet */
	ck_assert_int_eq(stream_read(s, out, 3), 3);
	ck_assert(!stream_resume_due(s));        /* 7 left: above half */
	ck_assert_int_eq(stream_read(s, out + 3, 16), 7);
	ck_assert(memcmp(out, "abcdefghij", 10) == 0);
	ck_assert(stream_resume_due(s));         /* drained: resume, once */
	ck_assert(!stream_resume_due(s));
	stream_end(s, false);
	ck_assert(stream_ended(s));
	ck_assert_int_eq(stream_read(s, out, 16), 0);
	stream_end(s, true);                     /* gone after the whole body: still complete */
	ck_assert_int_eq(stream_read(s, out, 16), 0);
	stream_free(s);
	s = stream_create(NULL, 8);
	stream_push(s, "ab", 2);
	stream_end(s, true);
	ck_assert_int_eq(stream_read(s, out, 16), -1); /* cut off: the job rolls back */
	stream_free(s);
	s = stream_create(NULL, 8);
	stream_close(s);
	ck_assert(!stream_push(s, "ab", 2));     /* the job stopped reading: dropped */
	stream_free(s);
}
END_TEST

static void
multipart_push(void *arg, const void *data, size_t len)
{
	stream_push(arg, data, len);
}

/* http_multipart_part as lws_spa calls it (tests/fuzz/fuzz_documents.c drives it further). */
START_TEST(multipart_takes_one_whole_file_part)
{
	struct stream *s = stream_create(NULL, 1024);
	struct http_multipart *m = http_multipart_new(s, multipart_push, s);
	char out[16];

	ck_assert_int_eq(http_multipart_part(m, "a.txt", NULL, 0, LWS_UFS_OPEN), 0);
	ck_assert_int_eq(http_multipart_part(m, "a.txt", "abc", 3, LWS_UFS_CONTENT), 0);
	ck_assert_int_eq(http_multipart_part(m, "a.txt", "de", 2, LWS_UFS_FINAL_CONTENT), 0);
	ck_assert_int_eq(http_multipart_part(m, "", NULL, 0, LWS_UFS_CLOSE), 0);
	http_multipart_end(m, s);
	http_multipart_free(m);
	ck_assert_str_eq(stream_name(s), "a.txt");
	ck_assert_int_eq(stream_read(s, out, sizeof out), 5);
	ck_assert(memcmp(out, "abcde", 5) == 0);
	ck_assert_int_eq(stream_read(s, out, sizeof out), 0);
	stream_free(s);

	/* No boundary after the file part: lws never hands over what it still holds. */
	s = stream_create(NULL, 1024);
	m = http_multipart_new(s, multipart_push, s);
	ck_assert_int_eq(http_multipart_part(m, "cut.bin", NULL, 0, LWS_UFS_OPEN), 0);
	ck_assert_int_eq(http_multipart_part(m, "cut.bin", "abc", 3, LWS_UFS_CONTENT), 0);
	ck_assert_int_eq(http_multipart_part(m, "", NULL, 0, LWS_UFS_CLOSE), 0);
	http_multipart_end(m, s);
	http_multipart_free(m);
	ck_assert_int_eq(stream_read(s, out, sizeof out), -1);
	ck_assert_str_eq(stream_why(s), "the multipart body ends inside its file part");
	stream_free(s);

	/* A second file part stops the parser and fails the upload. */
	s = stream_create(NULL, 1024);
	m = http_multipart_new(s, multipart_push, s);
	ck_assert_int_eq(http_multipart_part(m, "a.txt", NULL, 0, LWS_UFS_OPEN), 0);
	ck_assert_int_eq(http_multipart_part(m, "a.txt", "a", 1, LWS_UFS_FINAL_CONTENT), 0);
	ck_assert_int_eq(http_multipart_part(m, "b.txt", NULL, 0, LWS_UFS_OPEN), -1);
	http_multipart_end(m, s);
	http_multipart_free(m);
	ck_assert_int_eq(stream_read(s, out, sizeof out), -1);
	ck_assert_str_eq(stream_why(s), "send one file per request");
	stream_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("documents");

	tcase_add_test(tc, ranges);
	tcase_add_test(tc, dispositions);
	tcase_add_test(tc, stream_queues_pauses_and_ends);
	tcase_add_test(tc, multipart_takes_one_whole_file_part);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
