/* test-server-ops.c -- unit tests of the operations pieces: trusted proxies and X-Forwarded-For. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

START_TEST(cidr_parse_accepts_and_refuses)
{
	static const char *good[] = { "10.0.0.0/8", "127.0.0.1", "0.0.0.0/0", "192.168.1.7/32",
		"::1", "::/0", "fd00::/8", "2001:db8::/32", "::ffff:10.0.0.0/104" };
	static const char *bad[] = { "", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::1/129",
		"[::1]", "10.0.0.1:80", "example.com", "10.0.0.0/8x", "10.0.0.0/-1", "/8",
		"1.2.3.4/ 8" };
	struct proxy_net n;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(proxy_net_parse(good[i], &n) == 0, "refused %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(proxy_net_parse(bad[i], &n) != 0, "accepted %s", bad[i]);
	ck_assert_int_eq(proxy_net_parse("10.0.0.0/8", &n), 0);
	ck_assert_int_eq(n.bits, 104);
	ck_assert_int_eq(proxy_net_parse("fd00::/8", &n), 0);
	ck_assert_int_eq(n.bits, 8);
}
END_TEST

START_TEST(cidr_match_v4_v6_and_mapped)
{
	static const struct {
		const char *net, *addr;
		bool in;
	} rows[] = {
		{ "10.0.0.0/8", "10.255.3.4", true },
		{ "10.0.0.0/8", "11.0.0.1", false },
		{ "10.0.0.0/8", "::ffff:10.1.2.3", true }, /* a v6 listener's view of a v4 peer */
		{ "192.168.1.0/25", "192.168.1.127", true },
		{ "192.168.1.0/25", "192.168.1.128", false },
		{ "172.16.0.0/12", "172.31.255.255", true },
		{ "172.16.0.0/12", "172.32.0.0", false },
		{ "127.0.0.1", "127.0.0.1", true },
		{ "127.0.0.1", "127.0.0.2", false },
		{ "0.0.0.0/0", "203.0.113.9", true },
		{ "0.0.0.0/0", "2001:db8::1", false }, /* all of IPv4 is not all of IPv6 */
		{ "::1", "::1", true },
		{ "::1", "::2", false },
		{ "fd00::/8", "fd12:3456::1", true },
		{ "fd00::/8", "fe80::1", false },
		{ "2001:db8::/33", "2001:db8:7fff::1", true },
		{ "2001:db8::/33", "2001:db8:8000::1", false },
		{ "::/0", "10.0.0.1", true },
		{ "10.0.0.0/8", "not-an-address", false },
		{ "10.0.0.0/8", "", false },
	};
	struct proxy_net n;
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ck_assert_int_eq(proxy_net_parse(rows[i].net, &n), 0);
		ck_assert_msg(proxy_net_match(&n, rows[i].addr) == rows[i].in, "%s in %s: want %d",
		    rows[i].addr, rows[i].net, rows[i].in);
	}
}
END_TEST

START_TEST(configure_lists_and_refuses)
{
	ck_assert_int_eq(proxy_configure("10.0.0.0/8, ::1 ,127.0.0.1"), 0);
	ck_assert(proxy_trusted("10.9.9.9"));
	ck_assert(proxy_trusted("::1"));
	ck_assert(proxy_trusted("127.0.0.1"));
	ck_assert(!proxy_trusted("192.168.0.1"));
	ck_assert_int_eq(proxy_configure(""), 0);
	ck_assert(!proxy_trusted("127.0.0.1"));
	ck_assert_int_eq(proxy_configure(NULL), 0);
	ck_assert_int_ne(proxy_configure("10.0.0.0/8,nonsense"), 0);
}
END_TEST

START_TEST(xff_walk_takes_the_right_most_untrusted)
{
	static const struct {
		const char *peer, *xff, *want;
	} rows[] = {
		/* Not through a trusted proxy: the header is ignored, whatever it says. */
		{ "198.51.100.1", "203.0.113.7", "198.51.100.1" },
		{ "198.51.100.1", NULL, "198.51.100.1" },
		/* Through a trusted proxy: its one entry is the client. */
		{ "127.0.0.1", "203.0.113.7", "203.0.113.7" },
		/* Spoofed entries left of the real one are skipped: only the right-most untrusted counts. */
		{ "127.0.0.1", "1.1.1.1, 203.0.113.7", "203.0.113.7" },
		/* Trusted hops on the right are walked over. */
		{ "127.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.5, 10.0.0.6", "203.0.113.7" },
		/* IPv6 entries, and a port some proxies add. */
		{ "127.0.0.1", "2001:db8::7", "2001:db8::7" },
		{ "127.0.0.1", "[2001:db8::8]:4711", "2001:db8::8" },
		{ "127.0.0.1", "203.0.113.9:4711", "203.0.113.9" },
		{ "::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7" },
		/* Every entry trusted: the left-most is as far as we can see. */
		{ "127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1" },
		/* Garbage stops the walk at the last hop we trust. */
		{ "127.0.0.1", "203.0.113.7, unknown", "127.0.0.1" },
		{ "127.0.0.1", "203.0.113.7, garbage, 10.0.0.3", "10.0.0.3" },
		{ "127.0.0.1", "", "127.0.0.1" },
		{ "127.0.0.1", " , ", "127.0.0.1" },
	};
	char out[64];
	size_t i;

	ck_assert_int_eq(proxy_configure("127.0.0.0/8,10.0.0.0/8"), 0);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		proxy_client(rows[i].peer, rows[i].xff, out, sizeof out);
		ck_assert_msg(strcmp(out, rows[i].want) == 0, "peer %s xff %s: got %s, want %s",
		    rows[i].peer, rows[i].xff ? rows[i].xff : "(none)", out, rows[i].want);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server-ops");
	TCase *tc = tcase_create("proxy");

	tcase_add_test(tc, cidr_parse_accepts_and_refuses);
	tcase_add_test(tc, cidr_match_v4_v6_and_mapped);
	tcase_add_test(tc, configure_lists_and_refuses);
	tcase_add_test(tc, xff_walk_takes_the_right_most_untrusted);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
