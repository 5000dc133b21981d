/*
 * send-batch.c -- sends that reach the pool together are written by one
 * statement and one commit. A pool thread with a send ready (rendered, its
 * mentions resolved) queues it; while fewer than SEND_BATCH_LEADERS batches
 * are in flight, a waiting thread becomes a leader, takes up to
 * SEND_BATCH_MAX sends from the head of the queue and writes them on its own
 * connection with one set-based statement (folio_message_post_batch, at most
 * one send per thread: the others stay queued for the next batch); the
 * others wait for their results. When the statement fails as a whole, the
 * leader writes each send alone, so one that fails fails alone. The batch size comes
 * from the queue, never from a timer: a send that finds nobody waiting is a
 * batch of one and waits for nothing. Each send is answered only after the
 * commit of its batch, and a thread's events keep commit order because the
 * database orders them.
 */
#include "foliod.h"

#include <pthread.h>
#include <string.h>

#define SEND_BATCH_MAX 32
#define SEND_BATCH_LEADERS 2

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct send_batch_item *head, **tail;
	int leaders;
} sb = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &sb.head, 0 };

/* Takes up to SEND_BATCH_MAX sends from the queue, in order, one per thread. Locked. */
static size_t
send_batch_take(struct send_batch_item **take)
{
	struct send_batch_item **pp = &sb.head, *it;
	size_t n = 0, i;

	while ((it = *pp) != NULL && n < SEND_BATCH_MAX) {
		for (i = 0; i < n && take[i]->thread_id != it->thread_id; i++)
			;
		if (i < n) { /* the same thread twice: the next batch writes it, after this one */
			pp = &it->next;
			continue;
		}
		take[n++] = it;
		*pp = it->next;
	}
	/* The tail: the last item left in the queue. */
	sb.tail = &sb.head;
	for (it = sb.head; it; it = it->next)
		sb.tail = &it->next;
	return n;
}

/* Writes the n sends of take on db and fills in their results (NULL: failed). */
static void
send_batch_write(struct db *db, struct send_batch_item **take, size_t n)
{
	struct json_object *r;
	int saved = db->statements;
	size_t i;

	r = n > 1 ? db_message_post_batch(db, (const struct send_batch_item *const *)take, n) : NULL;
	for (i = 0; i < n; i++) {
		if (r != NULL)
			take[i]->result = json_object_get(json_object_array_get_idx(r, i));
		else if (!db->broken) /* alone, or after the batch failed: each on its own */
			take[i]->result = db_message_post(db, take[i]->u, take[i]->thread_id, take[i]->d);
	}
	json_object_put(r);
	for (i = 0; i < n; i++) {
		take[i]->batch = (int)n;
		take[i]->broken = db->broken;
	}
	db->statements = saved; /* each send counts the statement it rode in, below */
}

struct json_object *
send_batch_post(struct db *db, const struct principal *u, int64_t thread_id,
    const struct message_draft *d, int *batch)
{
	struct send_batch_item me, *take[SEND_BATCH_MAX];
	size_t n;

	memset(&me, 0, sizeof me);
	me.u = u;
	me.thread_id = thread_id;
	me.d = d;
	pthread_mutex_lock(&sb.mu);
	*sb.tail = &me;
	sb.tail = &me.next;
	while (!me.done) {
		if (sb.leaders >= SEND_BATCH_LEADERS || sb.head == NULL) {
			pthread_cond_wait(&sb.cv, &sb.mu);
			continue;
		}
		/* Lead: the queue's head, which may or may not hold this thread's own send. */
		sb.leaders++;
		n = send_batch_take(take);
		pthread_mutex_unlock(&sb.mu);
		send_batch_write(db, take, n);
		pthread_mutex_lock(&sb.mu);
		sb.leaders--;
		while (n > 0)
			take[--n]->done = true;
		pthread_cond_broadcast(&sb.cv);
	}
	pthread_mutex_unlock(&sb.mu);
	db->statements++;
	if (me.result == NULL && me.broken)
		db->broken = true; /* the batch lost its connection: this send answers 503 too */
	*batch = me.batch;
	return me.result;
}
