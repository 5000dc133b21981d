/*
 * send-batch.c -- sends that reach the pool together are written by one
 * statement and one commit. A pool thread with a send ready (rendered, its
 * mentions resolved) queues it; while fewer than SEND_BATCH_LEADERS batches
 * are in flight, a waiting thread becomes a leader, takes up to
 * SEND_BATCH_MAX sends from the head of the queue and writes them on its own
 * connection (folio_message_post_batch: one subtransaction each, so one that
 * fails fails alone); the others wait for their results. The batch size comes
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

/* Writes the n sends of take on db and fills in their results (NULL: failed). */
static void
send_batch_write(struct db *db, struct send_batch_item **take, size_t n)
{
	struct json_object *r;
	int saved = db->statements;
	size_t i;

	if (n == 1) {
		take[0]->result = db_message_post(db, take[0]->u, take[0]->thread_id, take[0]->d);
	} else {
		r = db_message_post_batch(db, (const struct send_batch_item *const *)take, n);
		for (i = 0; i < n; i++)
			take[i]->result = r ? json_object_get(json_object_array_get_idx(r, i)) : NULL;
		json_object_put(r);
	}
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
		for (n = 0; n < SEND_BATCH_MAX && sb.head; n++) {
			take[n] = sb.head;
			sb.head = sb.head->next;
		}
		if (sb.head == NULL)
			sb.tail = &sb.head;
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
