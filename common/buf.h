/* buf.h -- a growable byte buffer, always NUL-terminated. */
#ifndef FOLIO_BUF_H
#define FOLIO_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Hands the contents to the caller (never NULL) and empties the buffer. Caller frees. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);
/* Returns the contents as a string; "" when empty. */
const char *buf_str(const struct buf *b);

#endif
