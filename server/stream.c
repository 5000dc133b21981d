/*
 * stream.c -- a bounded queue of bytes from the loop to one pool job: how an
 * upload's body reaches the database without being held whole in memory.
 *
 * The loop pushes what lws hands it (stream_push) and pauses the socket when
 * the queue holds `cap` bytes or more; the job takes bytes out (stream_read),
 * blocking while the queue is empty, and wakes the loop (lws_cancel_service)
 * once it has drained the queue to half, so the loop resumes the socket
 * (stream_resume_due). Memory per upload: at most cap plus one lws buffer.
 * It knows nothing about HTTP or SQL.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct stream_part {
	struct stream_part *next;
	size_t len, off;
	unsigned char data[];
};

struct stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct stream_part *head, *tail;
	size_t queued;   /* bytes in the queue */
	size_t cap;      /* the loop pauses the socket at this many */
	bool ended;      /* loop: the whole body has been pushed */
	bool failed;     /* loop: the body will not arrive (cut off, client gone) */
	bool closed;     /* job: it reads no more; further bytes are dropped */
	bool paused;     /* loop: the socket is paused */
	bool wake_sent;  /* job: the loop was woken for this pause */
	char *name;      /* loop: the file's name from a multipart body, once known */
	const char *why; /* loop: why the body failed, when it says */
	struct lws_context *ctx;
	struct stream *prev, *next; /* streams_live */
};

/* Every stream, so that stopping can cut them all off (stream_fail_all). */
static pthread_mutex_t streams_mu = PTHREAD_MUTEX_INITIALIZER;
static struct stream *streams_live;

struct stream *
stream_create(struct lws_context *ctx, size_t cap)
{
	struct stream *s = xcalloc(1, sizeof *s);

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->cap = cap;
	s->ctx = ctx;
	pthread_mutex_lock(&streams_mu);
	if ((s->next = streams_live) != NULL)
		s->next->prev = s;
	streams_live = s;
	pthread_mutex_unlock(&streams_mu);
	return s;
}

void
stream_fail_all(void)
{
	struct stream *s;

	pthread_mutex_lock(&streams_mu);
	for (s = streams_live; s; s = s->next)
		stream_end(s, true);
	pthread_mutex_unlock(&streams_mu);
}

static void
stream_clear(struct stream *s)
{
	struct stream_part *p;

	while ((p = s->head) != NULL) {
		s->head = p->next;
		free(p);
	}
	s->tail = NULL;
	s->queued = 0;
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&streams_mu);
	if (s->prev)
		s->prev->next = s->next;
	else
		streams_live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&streams_mu);
	stream_clear(s);
	free(s->name);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

bool
stream_push(struct stream *s, const void *data, size_t len)
{
	struct stream_part *p;
	bool full;

	pthread_mutex_lock(&s->mu);
	if (s->closed || s->ended || s->failed || len == 0) {
		pthread_mutex_unlock(&s->mu);
		return false;
	}
	p = xmalloc(sizeof *p + len);
	p->next = NULL;
	p->len = len;
	p->off = 0;
	memcpy(p->data, data, len);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	s->queued += len;
	full = s->queued >= s->cap;
	if (full) {
		s->paused = true;
		s->wake_sent = false;
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return full;
}

void
stream_end(struct stream *s, bool failed)
{
	pthread_mutex_lock(&s->mu);
	if (failed && !s->ended) /* a client gone after the whole body: the job finishes it */
		s->failed = true;
	else if (!failed)
		s->ended = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
stream_fail(struct stream *s, const char *why)
{
	pthread_mutex_lock(&s->mu);
	if (!s->ended && !s->failed) {
		s->failed = true;
		s->why = why;
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

const char *
stream_why(struct stream *s)
{
	const char *why;

	pthread_mutex_lock(&s->mu);
	why = s->why;
	pthread_mutex_unlock(&s->mu);
	return why;
}

void
stream_set_name(struct stream *s, const char *name)
{
	pthread_mutex_lock(&s->mu);
	if (s->name == NULL)
		s->name = xstrdup(name ? name : "");
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

const char *
stream_name(struct stream *s)
{
	const char *name;

	pthread_mutex_lock(&s->mu);
	while (s->name == NULL && !s->ended && !s->failed)
		pthread_cond_wait(&s->cv, &s->mu);
	name = s->name; /* set once, freed with the stream */
	pthread_mutex_unlock(&s->mu);
	return name;
}

bool
stream_ended(struct stream *s)
{
	bool e;

	pthread_mutex_lock(&s->mu);
	e = s->ended;
	pthread_mutex_unlock(&s->mu);
	return e;
}

long
stream_read(struct stream *s, void *out, size_t max)
{
	struct stream_part *p;
	size_t n = 0, k;
	bool wake = false;

	pthread_mutex_lock(&s->mu);
	while (s->head == NULL && !s->ended && !s->failed)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->failed) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	while (n < max && (p = s->head) != NULL) {
		k = p->len - p->off;
		if (k > max - n)
			k = max - n;
		memcpy((unsigned char *)out + n, p->data + p->off, k);
		p->off += k;
		n += k;
		s->queued -= k;
		if (p->off == p->len) {
			if ((s->head = p->next) == NULL)
				s->tail = NULL;
			free(p);
		}
	}
	if (s->paused && !s->wake_sent && s->queued <= s->cap / 2) {
		s->wake_sent = true;
		wake = true;
	}
	pthread_mutex_unlock(&s->mu);
	if (wake && s->ctx) /* no context: a unit test drives both ends */
		lws_cancel_service(s->ctx);
	return (long)n;
}

void
stream_close(struct stream *s)
{
	pthread_mutex_lock(&s->mu);
	s->closed = true;
	stream_clear(s);
	pthread_mutex_unlock(&s->mu);
}

bool
stream_resume_due(struct stream *s)
{
	bool due;

	pthread_mutex_lock(&s->mu);
	due = s->paused && (s->queued <= s->cap / 2 || s->closed);
	if (due)
		s->paused = false;
	pthread_mutex_unlock(&s->mu);
	return due;
}
