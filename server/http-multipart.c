/*
 * http-multipart.c -- a multipart/form-data upload: lws' parser (lws_spa) runs
 * on the loop over the body as it arrives and hands the one file part's bytes
 * to a push function (http.c queues them for the upload's job, see stream.c)
 * and its filename to the stream. Form fields are ignored; no file part, a
 * second one, or a body ending before the file part's closing boundary fails
 * the upload. It keeps nothing of the file itself.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

struct http_multipart {
	struct lws_spa *spa;
	struct stream *s;
	void (*push)(void *arg, const void *data, size_t len);
	void *arg;
	int files;     /* file parts seen */
	bool complete; /* the file part's boundary came (FINAL_CONTENT) */
};

bool
http_multipart_is(const char *content_type)
{
	return content_type && strncasecmp(content_type, "multipart/form-data", 19) == 0;
}

/*
 * One of lws_spa's calls for a file part, state an enum
 * lws_spa_fileupload_states: its name first (OPEN), then its bytes. The
 * first file part's name goes to the stream and its bytes to push; a second
 * file part fails the upload. Returns -1 to stop the parser.
 */
int
http_multipart_part(struct http_multipart *m, const char *filename, const void *buf, int len,
    int state)
{
	switch (state) {
	case LWS_UFS_OPEN:
		if (m->files++ > 0) {
			stream_fail(m->s, "send one file per request");
			return -1;
		}
		stream_set_name(m->s, filename);
		break;
	case LWS_UFS_CONTENT:
	case LWS_UFS_FINAL_CONTENT:
		if (len > 0 && m->files == 1)
			m->push(m->arg, buf, (size_t)len);
		if (state == LWS_UFS_FINAL_CONTENT && m->files == 1)
			m->complete = true;
		break;
	case LWS_UFS_CLOSE:
		break;
	}
	return 0;
}

/* lws hands over a file part. */
static int
http_multipart_file(void *data, const char *name, const char *filename, char *buf, int len,
    enum lws_spa_fileupload_states state)
{
	(void)name;
	return http_multipart_part(data, filename, buf, len, (int)state);
}

struct http_multipart *
http_multipart_new(struct stream *s, void (*push)(void *arg, const void *data, size_t len),
    void *arg)
{
	struct http_multipart *m = xcalloc(1, sizeof *m);

	m->s = s;
	m->push = push;
	m->arg = arg;
	return m;
}

struct http_multipart *
http_multipart_start(struct lws *wsi, struct stream *s,
    void (*push)(void *arg, const void *data, size_t len), void *arg)
{
	struct http_multipart *m = http_multipart_new(s, push, arg);
	lws_spa_create_info_t info;

	memset(&info, 0, sizeof info);
	info.max_storage = 1024; /* form fields: none are read; the file part streams */
	info.opt_cb = http_multipart_file;
	info.opt_data = m;
	if ((m->spa = lws_spa_create_via_info(wsi, &info)) == NULL)
		stream_fail(s, "the multipart body has no boundary");
	return m;
}

void
http_multipart_feed(struct http_multipart *m, const void *in, size_t len)
{
	if (m && m->spa && lws_spa_process(m->spa, in, (int)len) < 0)
		stream_fail(m->s, "the multipart body is malformed");
}

void
http_multipart_end(struct http_multipart *m, struct stream *s)
{
	if (m && m->spa)
		lws_spa_finalize(m->spa);
	if (m == NULL || m->files == 0)
		stream_fail(s, "the multipart body has no file part");
	else if (!m->complete) /* lws never hands over the last bytes of a part no boundary ends */
		stream_fail(s, "the multipart body ends inside its file part");
	else
		stream_end(s, false);
}

void
http_multipart_free(struct http_multipart *m)
{
	if (m == NULL)
		return;
	if (m->spa)
		lws_spa_destroy(m->spa);
	free(m);
}
