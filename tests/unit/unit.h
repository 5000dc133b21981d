/* unit.h -- the end every unit test program shares: run its suite, exit non-zero on a failure. */
#ifndef FOLIO_UNIT_H
#define FOLIO_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Runs every test of s (each in a child process, so a crash fails one test) and frees s. */
static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
