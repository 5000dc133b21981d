/* test-server-route.c -- unit tests of pure server logic: route matching, Markdown, embeds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

START_TEST(routes_match_with_ids)
{
	int64_t ids[4];
	int n, status;
	const struct route *r;

	r = route_match(M_GET, "/api/v1/threads/42/messages", ids, &n, &status);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pattern, "/api/v1/threads/{id}/messages");
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ids[0], 42);
	r = route_match(M_POST, "/api/v1/threads/42/messages", ids, &n, &status);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->method, M_POST);
}
END_TEST

START_TEST(routes_refuse_bad_ids_and_methods)
{
	static const char *bad[] = { "/api/v1/threads/0", "/api/v1/threads/-1", "/api/v1/threads/01",
		"/api/v1/threads/x", "/api/v1/threads/1x", "/api/v1/threads/99999999999999999999",
		"/api/v1/thread", "/api/v1/threads/1/messages/2", "/" };
	int64_t ids[4];
	int n, status;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(route_match(M_GET, bad[i], ids, &n, &status) == NULL, "matched %s", bad[i]);
		ck_assert_int_eq(status, 404);
	}
	ck_assert_ptr_null(route_match(M_PUT, "/api/v1/threads", ids, &n, &status));
	ck_assert_int_eq(status, 405);
}
END_TEST

START_TEST(route_table_is_well_formed)
{
	const struct route *r, *q;

	for (r = routes; r->pattern; r++) {
		ck_assert_ptr_nonnull(r->fn);
		ck_assert_ptr_nonnull(r->help);
		ck_assert(r->pattern[0] == '/');
		for (q = r + 1; q->pattern; q++)
			ck_assert_msg(!(q->method == r->method && strcmp(q->pattern, r->pattern) == 0),
			    "duplicate route %s", r->pattern);
	}
}
END_TEST

START_TEST(markdown_is_safe)
{
	char *h = markdown_html("**bold** <script>alert(1)</script> [x](javascript:alert(1))");

	ck_assert_ptr_nonnull(strstr(h, "<strong>bold</strong>"));
	ck_assert_ptr_null(strstr(h, "<script>"));
	ck_assert_ptr_null(strstr(h, "javascript:"));
	free(h);
}
END_TEST

START_TEST(embeds_found)
{
	struct json_object *a = markdown_embeds(
	    "see https://www.youtube.com/watch?v=abc, and (https://vimeo.com/123) or "
	    "https://www.loom.com/share/xyz. Not https://example.com/youtube.com/watch nor httpx://loom.com/share/q "
	    "https://drive.google.com/file/d/1/view and again https://vimeo.com/123");
	const char *want[][2] = { { "youtube", "https://www.youtube.com/watch?v=abc" },
		{ "vimeo", "https://vimeo.com/123" }, { "loom", "https://www.loom.com/share/xyz" },
		{ "google_drive", "https://drive.google.com/file/d/1/view" } };
	const char *v;
	size_t i;

	ck_assert_uint_eq(json_object_array_length(a), 4);
	for (i = 0; i < 4; i++) {
		json_get_string(json_object_array_get_idx(a, i), "provider", &v);
		ck_assert_str_eq(v, want[i][0]);
		json_get_string(json_object_array_get_idx(a, i), "url", &v);
		ck_assert_str_eq(v, want[i][1]);
	}
	json_object_put(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("route");

	tcase_add_test(tc, routes_match_with_ids);
	tcase_add_test(tc, routes_refuse_bad_ids_and_methods);
	tcase_add_test(tc, route_table_is_well_formed);
	tcase_add_test(tc, markdown_is_safe);
	tcase_add_test(tc, embeds_found);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
