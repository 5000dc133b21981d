/*
 * pool.c -- database threads. Each thread owns one PostgreSQL connection and
 * runs jobs with blocking libpq calls; finished jobs go back to the loop,
 * which is woken with lws_cancel_service() and runs their done() callbacks.
 * Why threads and not libpq's asynchronous API: see docs/DESIGN.md.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <pthread.h>

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, **todo_tail;
	struct job *done, **done_tail;
	pthread_t *threads;
	int nthreads;
	bool stopping;
	struct lws_context *ctx;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, NULL, NULL,
	NULL, 0, false, NULL };

static void *
pool_main(void *arg)
{
	struct db db = { 0 };
	struct job *job;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool.mu);
		while (pool.todo == NULL && !pool.stopping)
			pthread_cond_wait(&pool.cv, &pool.mu);
		if (pool.todo == NULL) {
			pthread_mutex_unlock(&pool.mu);
			break;
		}
		job = pool.todo;
		if ((pool.todo = job->next) == NULL)
			pool.todo_tail = &pool.todo;
		pthread_mutex_unlock(&pool.mu);
		metrics_pool_taken(job);

		/* A lost connection is retried once per job; the job answers 503 meanwhile. */
		db.broken = db_connect(&db) != 0;
		db_job_start(&db);
		job->run(job, &db);
		/* A job that failed inside its transaction leaves it to us: the next job starts clean. */
		db_rollback(&db);
		events_committed(); /* the job wrote events: sequence them now */
		if (db.broken)
			db_close(&db);
		db.broken = false;

		job->next = NULL;
		pthread_mutex_lock(&pool.mu);
		*pool.done_tail = job;
		pool.done_tail = &job->next;
		pthread_mutex_unlock(&pool.mu);
		lws_cancel_service(pool.ctx);
	}
	db_close(&db);
	return NULL;
}

void
pool_start(struct lws_context *ctx, int threads)
{
	int i;

	pool.ctx = ctx;
	pool.todo_tail = &pool.todo;
	pool.done_tail = &pool.done;
	pool.threads = xcalloc((size_t)threads, sizeof *pool.threads);
	pool.nthreads = threads;
	for (i = 0; i < threads; i++)
		if (pthread_create(&pool.threads[i], NULL, pool_main, NULL) != 0)
			abort();
}

void
pool_submit(struct job *job)
{
	job->next = NULL;
	metrics_pool_submitted(job);
	pthread_mutex_lock(&pool.mu);
	*pool.todo_tail = job;
	pool.todo_tail = &job->next;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}

void
pool_drain(void)
{
	struct job *list, *job;

	pthread_mutex_lock(&pool.mu);
	list = pool.done;
	pool.done = NULL;
	pool.done_tail = &pool.done;
	pthread_mutex_unlock(&pool.mu);
	while ((job = list) != NULL) {
		list = job->next;
		job->next = NULL;
		job->done(job);
	}
}

void
pool_stop(void)
{
	int i;

	pthread_mutex_lock(&pool.mu);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	for (i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	pool.threads = NULL;
	pool.nthreads = 0;
	pool_drain();
}
