/* utf8.c -- UTF-8 decoding and widths; widths come from the C library's wcwidth(). */
#include "utf8.h"

#include <wchar.h>

int
utf8_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c, min;
	int n, i;

	if (len == 0)
		return -1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else
		return -1;
	if ((size_t)n > len)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return n;
}

size_t
utf8_invalid_at(const char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0;
	int n;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n < 0 || cp == 0)
			return i;
		i += (size_t)n;
	}
	return len;
}

bool
utf8_valid(const char *s, size_t len)
{
	return utf8_invalid_at(s, len) == len;
}

int
utf8_cp_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	/* Emoji presentation blocks: wcwidth() in older C libraries says 1. */
	if ((cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff) ||
	    (cp >= 0x1f680 && cp <= 0x1f6ff))
		return 2;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

size_t
utf8_width(const char *s, size_t len)
{
	size_t i = 0, cols = 0;
	uint32_t cp;
	int n;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n < 0) {
			cols++, i++;
			continue;
		}
		cols += (size_t)utf8_cp_width(cp);
		i += (size_t)n;
	}
	return cols;
}

size_t
utf8_fit(const char *s, size_t len, size_t cols)
{
	size_t i = 0, used = 0, w;
	uint32_t cp;
	int n;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		w = n < 0 ? 1 : (size_t)utf8_cp_width(cp);
		if (n < 0)
			n = 1;
		if (used + w > cols)
			break;
		used += w;
		i += (size_t)n;
	}
	return i;
}
