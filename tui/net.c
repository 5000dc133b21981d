/*
 * net.c -- the worker thread that runs HTTP requests beside the input loop,
 * and the queue that hands finished jobs (and event frames) back to it.
 *
 * The UI thread submits jobs; one worker runs them in order (so sends keep
 * their order) with api_call(); finished jobs go on the done queue and a
 * byte goes down a pipe, which the input loop polls beside the terminal.
 */
#include "folio.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job_queue {
	struct job *head, *tail;
};

static pthread_mutex_t net_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t net_cond = PTHREAD_COND_INITIALIZER;
static struct job_queue net_todo, net_done;
static pthread_t net_thread;
static bool net_running, net_stopping;
static char *net_server, *net_token;
static int net_pipe[2] = { -1, -1 };

static void
net_queue_push(struct job_queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *
net_queue_pop(struct job_queue *q)
{
	struct job *j = q->head;

	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		j->next = NULL;
	}
	return j;
}

/* Creates the wake-up pipe once; both ends non-blocking. */
static void
net_pipe_init(void)
{
	if (net_pipe[0] >= 0)
		return;
	if (pipe2(net_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		abort(); /* no descriptors left at start-up: nothing sensible to do */
}

void
net_deliver(struct job *j)
{
	char c = 'j';

	pthread_mutex_lock(&net_lock);
	net_pipe_init();
	net_queue_push(&net_done, j);
	pthread_mutex_unlock(&net_lock);
	/* A full pipe already means "wake up"; losing this byte is fine. */
	while (write(net_pipe[1], &c, 1) < 0 && errno == EINTR)
		;
}

struct job *
net_poll(void)
{
	struct job *j;
	char drain[64];

	pthread_mutex_lock(&net_lock);
	net_pipe_init();
	j = net_queue_pop(&net_done);
	if (net_done.head == NULL)
		while (read(net_pipe[0], drain, sizeof drain) > 0)
			;
	pthread_mutex_unlock(&net_lock);
	return j;
}

int
net_fd(void)
{
	pthread_mutex_lock(&net_lock);
	net_pipe_init();
	pthread_mutex_unlock(&net_lock);
	return net_pipe[0];
}

static void *
net_main(void *arg)
{
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&net_lock);
		while (net_todo.head == NULL && !net_stopping)
			pthread_cond_wait(&net_cond, &net_lock);
		j = net_stopping ? NULL : net_queue_pop(&net_todo);
		pthread_mutex_unlock(&net_lock);
		if (j == NULL)
			return NULL;
		api_call(net_server, net_token, j);
		net_deliver(j);
	}
}

void
net_start(const char *server, const char *token)
{
	net_pipe_init();
	net_server = xstrdup(server);
	net_token = xstrdup(token);
	net_stopping = false;
	if (pthread_create(&net_thread, NULL, net_main, NULL) != 0)
		abort();
	net_running = true;
}

void
net_stop(void)
{
	struct job *j;

	if (!net_running)
		return;
	pthread_mutex_lock(&net_lock);
	net_stopping = true;
	pthread_cond_signal(&net_cond);
	pthread_mutex_unlock(&net_lock);
	/* A request in flight finishes first (at most curl's timeout). */
	pthread_join(net_thread, NULL);
	net_running = false;
	while ((j = net_queue_pop(&net_todo)) != NULL)
		job_free(j);
	while ((j = net_queue_pop(&net_done)) != NULL)
		job_free(j);
	free(net_server);
	free(net_token);
	net_server = net_token = NULL;
}

void
net_submit(struct job *j)
{
	pthread_mutex_lock(&net_lock);
	net_queue_push(&net_todo, j);
	pthread_cond_signal(&net_cond);
	pthread_mutex_unlock(&net_lock);
}
