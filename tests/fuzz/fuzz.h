/*
 * fuzz.h -- what every target in tests/fuzz/ shares: libFuzzer's entry
 * points (also called by replay.c, which `make check` uses) and a check
 * that stops the run when an invariant of the code under test breaks.
 */
#ifndef FOLIO_FUZZ_H
#define FOLIO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One input; returns 0. Defined by each fuzz_*.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Once before the first input; a target that needs no set-up leaves it out. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/*
 * A broken invariant: say which on the real standard error (fd 2: targets
 * point the stdio stream stderr at /dev/null to keep the code's chatter out
 * of libFuzzer's output) and abort, which libFuzzer and replay.c report.
 */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))

static inline void
fuzz_fail(const char *what, const char *file, int line)
{
	dprintf(2, "%s:%d: broken: %s\n", file, line, what);
	abort();
}

/* The input as a NUL-terminated string (cut at its first NUL). Caller frees. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Keeps the code's own messages on stdio's stderr out of the run's output. */
static inline void
fuzz_quiet(void)
{
	FILE *null = fopen("/dev/null", "w");

	if (null != NULL)
		stderr = null;
}

#endif
