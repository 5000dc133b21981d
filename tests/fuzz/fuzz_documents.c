/*
 * fuzz_documents.c -- document ingestion (route-documents.c,
 * http-multipart.c, stream.c): the Range header (documents_range), the name
 * sent back in Content-Disposition (documents_disposition), If-None-Match
 * (documents_etag_matches), the upload name check (documents_name_ok), and a
 * multipart/form-data upload's body as our code takes it from lws' parser.
 *
 * lws_spa cannot run here: lws_spa_create_via_info reads the Content-Type
 * (whether the body is multipart at all, and its boundary) through the
 * connection's wsi, and dereferences it (a NULL wsi crashes; the closing
 * boundary also writes to it). So lws itself is not fuzzed: this target
 * splits the body at a fixed boundary as lws 4.1.6 does and makes the calls
 * lws_spa would into http_multipart_part (the callback http_multipart_start
 * registers), then http_multipart_end, and checks what reached the stream:
 * one file part at most accepted, its name, and exactly its bytes.
 *
 * The input is a few header lines, an empty line, then the body:
 *
 *     Range: bytes=0-99
 *     If-None-Match: W/"...", "..."
 *     Content-Type: multipart/form-data; boundary=...
 *     Size: 1000            (the document's size for Range)
 *     Name: report.pdf      (a name for the checks and Content-Disposition)
 *     Chunk: 1023           (the bytes lws hands over at once, 1..1023)
 *
 *     --folio-fuzz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n...
 */
#include "fuzz.h"
#include "foliod.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <libwebsockets.h>
#include <strings.h>

#define FUZZ_BOUNDARY "\r\n--folio-fuzz"
#define FUZZ_ETAG "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\""
#define FUZZ_CHUNK_MAX 1023 /* lws' storage (http-multipart.c: 1024) less its NUL */

struct fuzz_input {
	char *range, *inm, *ctype, *name;
	int64_t size;
	size_t chunk;
	const uint8_t *body;
	size_t body_len;
};

/* Takes the header lines off data; the rest is the body. Values are the caller's to free. */
static void
fuzz_input_parse(struct fuzz_input *in, const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *nl, *colon;
	char *line, *v;
	long long n;

	memset(in, 0, sizeof *in);
	in->size = 1000;
	in->chunk = FUZZ_CHUNK_MAX;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line = fuzz_string(p, (size_t)((nl ? nl : end) - p));
		p = nl ? nl + 1 : end;
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0') {
			free(line);
			break;
		}
		if ((colon = (const uint8_t *)strchr(line, ':')) == NULL) {
			free(line);
			continue;
		}
		v = (char *)colon + 1;
		if (*v == ' ')
			v++;
		*(char *)colon = '\0';
		if (strcasecmp(line, "range") == 0 && in->range == NULL)
			in->range = xstrdup(v);
		else if (strcasecmp(line, "if-none-match") == 0 && in->inm == NULL)
			in->inm = xstrdup(v);
		else if (strcasecmp(line, "content-type") == 0 && in->ctype == NULL)
			in->ctype = xstrdup(v);
		else if (strcasecmp(line, "name") == 0 && in->name == NULL)
			in->name = xstrdup(v);
		else if (strcasecmp(line, "size") == 0) {
			n = strtoll(v, NULL, 10);
			in->size = n < 0 ? 0 : n > (1LL << 53) ? (1LL << 53) : n;
		} else if (strcasecmp(line, "chunk") == 0) {
			n = strtoll(v, NULL, 10);
			in->chunk = n < 1 ? 1 : n > FUZZ_CHUNK_MAX ? FUZZ_CHUNK_MAX : (size_t)n;
		}
		free(line);
	}
	in->body = p;
	in->body_len = (size_t)(end - p);
}

/*
 * RFC 9110's byte-range-spec, strictly: 1*DIGIT "-" [1*DIGIT] or "-" 1*DIGIT,
 * one range. Returns 2 when the header is not that (or a number overflows),
 * else what documents_range must answer.
 */
static int
fuzz_range_ref(const char *h, int64_t size, int64_t *from, int64_t *to)
{
	const char *s;
	uint64_t a = 0, b = 0;
	bool has_a = false, has_b = false;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 0;
	for (s = h + 6; isdigit((unsigned char)*s); s++, has_a = true) {
		if (a > (uint64_t)LLONG_MAX / 10)
			return 2;
		a = a * 10 + (uint64_t)(*s - '0');
	}
	if (*s++ != '-')
		return 2;
	for (; isdigit((unsigned char)*s); s++, has_b = true) {
		if (b > (uint64_t)LLONG_MAX / 10)
			return 2;
		b = b * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0' || (!has_a && !has_b) || a > LLONG_MAX || b > LLONG_MAX)
		return 2;
	if (!has_a) { /* the last b bytes */
		if (b == 0 || size == 0)
			return -1;
		*from = (int64_t)b >= size ? 0 : size - (int64_t)b;
		*to = size - 1;
		return 1;
	}
	if (has_b && b < a)
		return 0; /* invalid: ignored */
	if ((int64_t)a >= size)
		return -1;
	*from = (int64_t)a;
	*to = !has_b || (int64_t)b >= size ? size - 1 : (int64_t)b;
	return 1;
}

static void
fuzz_range(const char *h, int64_t size)
{
	int64_t from = -7, to = -7, rfrom = -9, rto = -9;
	int r = documents_range(h, size, &from, &to), ref = fuzz_range_ref(h, size, &rfrom, &rto);

	FUZZ_CHECK(r == 0 || r == 1 || r == -1);
	if (r == 1)
		FUZZ_CHECK(0 <= from && from <= to && to < size);
	else
		FUZZ_CHECK(from == -7 && to == -7); /* left alone */
	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		FUZZ_CHECK(r == 0);
	if (ref != 2) {
		FUZZ_CHECK(r == ref);
		FUZZ_CHECK(r != 1 || (from == rfrom && to == rto));
	}
}

/* RFC 5987's value-chars decoded: out gets the bytes; false when it is not %XX and attr-chars. */
static bool
fuzz_pct_decode(const char *s, struct buf *out)
{
	static const char attr[] = "!#$&+-.^_`|~";
	unsigned v;

	for (; *s; s++) {
		if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
			    islower((unsigned char)s[1]) || islower((unsigned char)s[2]))
				return false;
			v = (unsigned)(isdigit((unsigned char)s[1]) ? s[1] - '0' : s[1] - 'A' + 10) << 4;
			v |= (unsigned)(isdigit((unsigned char)s[2]) ? s[2] - '0' : s[2] - 'A' + 10);
			buf_putc(out, (char)v);
			s += 2;
		} else if (isalnum((unsigned char)*s) || strchr(attr, *s))
			buf_putc(out, *s);
		else
			return false;
	}
	return true;
}

/* Content-Disposition: printable ASCII, one quoted-string, filename* giving the name back. */
static void
fuzz_disposition(const char *name)
{
	static const char head[] = "attachment; filename=\"", mid[] = "\"; filename*=UTF-8''";
	char *d = documents_disposition(name);
	const char *q, *ext;
	const unsigned char *s;
	struct buf dec = BUF_INIT;
	size_t chars = 0;

	for (s = (const unsigned char *)d; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f); /* no CR, LF, NUL or 8-bit byte */
	FUZZ_CHECK(strncmp(d, head, sizeof head - 1) == 0);
	q = d + sizeof head - 1;
	/* The fallback: no quote or backslash inside it, so the quoted-string ends where we say. */
	ext = strchr(q, '"');
	FUZZ_CHECK(ext != NULL && strncmp(ext, mid, sizeof mid - 1) == 0);
	FUZZ_CHECK(memchr(q, '\\', (size_t)(ext - q)) == NULL && memchr(q, '%', (size_t)(ext - q)) == NULL);
	for (s = (const unsigned char *)name; *s; s++)
		chars += (*s & 0xc0) != 0x80;
	FUZZ_CHECK((size_t)(ext - q) == chars); /* one character each (UTF-8 lead bytes count) */
	ext += sizeof mid - 1;
	FUZZ_CHECK(fuzz_pct_decode(ext, &dec));
	FUZZ_CHECK(dec.len == strlen(name) && memcmp(buf_str(&dec), name, dec.len) == 0);
	buf_free(&dec);
	free(d);
}

/*
 * If-None-Match as RFC 9110 has it ("*" or entity-tags separated by OWS ","
 * OWS), compared weakly to FUZZ_ETAG. 2 when inm is not that.
 */
static int
fuzz_inm_ref(const char *inm)
{
	const char *s = inm, *tag;
	bool match = false;

	if (strcmp(inm, "*") == 0)
		return 1;
	for (;;) {
		if (strncmp(s, "W/", 2) == 0)
			s += 2;
		if (*s++ != '"')
			return 2;
		tag = s - 1;
		while (*s == 0x21 || (*s >= 0x23 && *s <= 0x7e) || (unsigned char)*s >= 0x80)
			s++;
		if (*s++ != '"')
			return 2;
		match |= (size_t)(s - tag) == strlen(FUZZ_ETAG) && strncmp(tag, FUZZ_ETAG, (size_t)(s - tag)) == 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return match;
		if (*s++ != ',')
			return 2;
		while (*s == ' ' || *s == '\t')
			s++;
	}
}

static void
fuzz_etag(const char *inm)
{
	bool m = documents_etag_matches(inm, FUZZ_ETAG);
	int ref;

	FUZZ_CHECK(!documents_etag_matches(NULL, FUZZ_ETAG));
	if (inm == NULL)
		return;
	if ((ref = fuzz_inm_ref(inm)) != 2)
		FUZZ_CHECK(m == (ref == 1));
}

/* The name check: what folio-api(7) says, and a 422 whenever it refuses. */
static bool
fuzz_name(const char *name, bool folder)
{
	struct request *req = xcalloc(1, sizeof *req);
	size_t n = strlen(name), i;
	bool ok = documents_name_ok(req, "name", name, folder), want;

	want = n >= 1 && n <= 255 && utf8_valid(name, n);
	for (i = 0; i < n; i++)
		want &= (unsigned char)name[i] >= 0x20 && name[i] != 0x7f && !(folder && name[i] == '/');
	FUZZ_CHECK(ok == want);
	FUZZ_CHECK(ok ? req->status == 0 : req->status == 422);
	req_free(req);
	return ok;
}

/* What push received, in order. */
static struct buf fuzz_pushed;

static void
fuzz_push(void *arg, const void *data, size_t len)
{
	struct stream *s = arg;

	buf_append(&fuzz_pushed, data, len);
	stream_push(s, data, len);
}

/* One part of the body as lws 4.1.6 splits it. */
struct fuzz_part {
	char filename[256];     /* lws keeps 255 bytes of it; "" for a form field */
	const uint8_t *content; /* NULL: the body ended in its headers */
	size_t len;
	bool closed;            /* a boundary followed the content */
};

static const uint8_t *
fuzz_find(const uint8_t *p, const uint8_t *end, const char *what)
{
	return memmem(p, (size_t)(end - p), what, strlen(what));
}

/*
 * The filename parameter of a Content-Disposition line, lws' way: a header
 * "content-disposition: " (any case), `filename="..."` in it. Into out.
 */
static void
fuzz_filename(const uint8_t *line, size_t len, char *out, size_t outsz)
{
	static const char hdr[] = "content-disposition: ";
	char *l = fuzz_string(line, len), *f, *q;

	out[0] = '\0';
	if (strncasecmp(l, hdr, sizeof hdr - 1) == 0 && (f = strstr(l, "filename=\"")) != NULL) {
		f += 10;
		if ((q = strchr(f, '"')) != NULL)
			*q = '\0';
		snprintf(out, outsz, "%s", f);
	}
	free(l);
}

/*
 * Splits text, the body after a CRLF (lws takes the first boundary with or
 * without one before it), at FUZZ_BOUNDARY into at most max parts, up to
 * the closing boundary ("--") or the body's end. Returns their count.
 */
static size_t
fuzz_parts(const uint8_t *text, size_t len, struct fuzz_part *parts, size_t max)
{
	const uint8_t *p = text, *end = text + len, *eol, *next;
	size_t n = 0, bl = strlen(FUZZ_BOUNDARY);

	if ((p = fuzz_find(p, end, FUZZ_BOUNDARY)) == NULL)
		return 0;
	while (n < max) {
		p += bl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the closing boundary */
		if ((eol = fuzz_find(p, end, "\r\n")) == NULL)
			break; /* ends on the boundary's line */
		memset(&parts[n], 0, sizeof parts[n]);
		for (p = eol + 2; (eol = fuzz_find(p, end, "\r\n")) != NULL && eol > p; p = eol + 2)
			if (parts[n].filename[0] == '\0')
				fuzz_filename(p, (size_t)(eol - p), parts[n].filename,
				    sizeof parts[n].filename);
		if (eol == NULL) { /* ends in the headers */
			n++;
			break;
		}
		parts[n].content = eol + 2;
		next = fuzz_find(parts[n].content, end, FUZZ_BOUNDARY);
		parts[n].len = (size_t)((next ? next : end) - parts[n].content);
		parts[n].closed = next != NULL;
		n++;
		if ((p = next) == NULL)
			break;
	}
	return n;
}

#define FUZZ_PARTS_MAX 16

/*
 * The body through http_multipart_part as lws_spa calls it: OPEN with a
 * file part's name, its bytes as CONTENT a chunk at a time (lws holds back
 * the last chunk until it knows the boundary follows) and FINAL_CONTENT at
 * the boundary; a body ending inside the part never gets its last chunk.
 * Form fields (no filename) never reach the callback. CLOSE at the end.
 */
static void
fuzz_multipart(const struct fuzz_input *in)
{
	struct fuzz_part parts[FUZZ_PARTS_MAX];
	struct buf text = BUF_INIT;
	size_t n, i, off;
	struct stream *s = stream_create(NULL, (size_t)1 << 30);
	struct http_multipart *m = http_multipart_new(s, fuzz_push, s);
	const struct fuzz_part *first = NULL;
	int opened = 0;
	bool stop = false, want_ok;
	const char *name, *why;
	char out[4096];
	struct buf got = BUF_INIT;
	long r;

	buf_puts(&text, "\r\n");
	buf_append(&text, in->body, in->body_len);
	n = fuzz_parts((const uint8_t *)text.data, text.len, parts, FUZZ_PARTS_MAX);
	buf_reset(&fuzz_pushed);
	for (i = 0; i < n && !stop; i++) {
		if (parts[i].filename[0] == '\0')
			continue;
		opened++;
		if (http_multipart_part(m, parts[i].filename, NULL, 0, LWS_UFS_OPEN) != 0) {
			stream_fail(s, "the multipart body is malformed"); /* http_multipart_feed */
			stop = true;
			break;
		}
		if (first == NULL)
			first = &parts[i];
		if (parts[i].content == NULL)
			break;
		for (off = 0; parts[i].len - off > in->chunk; off += in->chunk)
			FUZZ_CHECK(http_multipart_part(m, parts[i].filename, parts[i].content + off,
			    (int)in->chunk, LWS_UFS_CONTENT) == 0);
		if (parts[i].closed)
			FUZZ_CHECK(http_multipart_part(m, parts[i].filename, parts[i].content + off,
			    (int)(parts[i].len - off), LWS_UFS_FINAL_CONTENT) == 0);
	}
	FUZZ_CHECK(http_multipart_part(m, "", NULL, 0, LWS_UFS_CLOSE) == 0);
	http_multipart_end(m, s);
	http_multipart_free(m);

	/* What the upload's job sees. */
	name = stream_name(s);
	while ((r = stream_read(s, out, sizeof out)) > 0)
		buf_append(&got, out, (size_t)r);
	why = stream_why(s);
	want_ok = opened == 1 && first->content != NULL && first->closed;
	FUZZ_CHECK((r == 0) == want_ok);
	if (first)
		FUZZ_CHECK(name != NULL && strcmp(name, first->filename) == 0);
	else
		FUZZ_CHECK(name == NULL);
	/* Only the first file part's bytes are ever pushed, in order. */
	FUZZ_CHECK(first || fuzz_pushed.len == 0);
	FUZZ_CHECK(!first || fuzz_pushed.len == 0 || (fuzz_pushed.len <= first->len &&
	    memcmp(buf_str(&fuzz_pushed), first->content, fuzz_pushed.len) == 0));
	if (want_ok) {
		FUZZ_CHECK(why == NULL);
		FUZZ_CHECK(got.len == first->len &&
		    (got.len == 0 || memcmp(buf_str(&got), first->content, got.len) == 0));
		if (fuzz_name(name, false))
			fuzz_disposition(name);
	} else {
		FUZZ_CHECK(r == -1 && why != NULL);
		if (opened == 0)
			FUZZ_CHECK(strcmp(why, "the multipart body has no file part") == 0);
		else if (opened > 1)
			FUZZ_CHECK(strcmp(why, "send one file per request") == 0);
	}
	buf_free(&got);
	buf_free(&text);
	stream_free(s);
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
	struct fuzz_input in;
	const char *ct;

	fuzz_input_parse(&in, data, size);
	fuzz_range(in.range, in.size);
	fuzz_range(in.range, 0);
	fuzz_etag(in.inm);
	if (in.name) {
		fuzz_name(in.name, true);
		fuzz_name(in.name, false);
		fuzz_disposition(in.name);
	}
	/* Our one decision on the Content-Type: a multipart upload or the raw file. */
	ct = in.ctype;
	FUZZ_CHECK(http_multipart_is(ct) == (ct && strncasecmp(ct, "multipart/form-data", 19) == 0));
	fuzz_multipart(&in);
	free(in.range);
	free(in.inm);
	free(in.ctype);
	free(in.name);
	return 0;
}
