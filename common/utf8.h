/* utf8.h -- UTF-8 validation, decoding and terminal display width. */
#ifndef FOLIO_UTF8_H
#define FOLIO_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when [s, s+len) is well-formed UTF-8 (no overlongs, surrogates or NULs). */
bool utf8_valid(const char *s, size_t len);
/* Offset of the first byte that breaks utf8_valid(), or len when there is none. */
size_t utf8_invalid_at(const char *s, size_t len);
/*
 * Decodes one code point at s (at most len bytes) into *cp.
 * Returns the bytes used (1..4), or -1 on a malformed sequence.
 */
int utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Columns a code point takes in a terminal (0, 1 or 2); control characters take 0. */
int utf8_cp_width(uint32_t cp);
/* Columns the string takes; malformed bytes count one column each. */
size_t utf8_width(const char *s, size_t len);
/* Bytes of s that fit in at most cols columns, never splitting a character. */
size_t utf8_fit(const char *s, size_t len, size_t cols);

#endif
