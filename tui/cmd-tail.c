/*
 * cmd-tail.c -- `folio tail`: the event stream as lines on standard output,
 * one per event, for as long as it runs. It reconnects by itself (events.c)
 * and says so on standard error; it ends with status 1 when the session is
 * no longer valid, and 0 on SIGINT, SIGTERM or a closed standard output.
 */
#include "folio.h"
#include "mem.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t tail_stop;

static void
tail_signal(int sig)
{
	tail_stop = 1;
}

/* One human line: id, type, and what it is about. */
static void
tail_print(const char *frame, bool json)
{
	struct event e;

	if (json || decode_event(frame, &e) != 0) {
		printf("%s\n", frame);
		return;
	}
	printf("%lld\t", (long long)e.id);
	cmd_puts(stdout, e.type);
	if (e.thread_id)
		printf("\tthread=%lld", (long long)e.thread_id);
	if (e.account_id)
		printf("\taccount=%lld", (long long)e.account_id);
	if (e.has_message) {
		printf("\t%s", e.message.internal ? "[internal] " : "");
		cmd_puts(stdout, e.message.author_name);
		fputs(": ", stdout);
		cmd_put(stdout, e.message.body, strcspn(e.message.body, "\n"));
	} else if (e.has_thread) {
		putchar('\t');
		cmd_puts(stdout, e.thread.subject);
	}
	putchar('\n');
	event_clear(&e);
}

/* Handles one job; returns the exit status to end with, or -1 to go on. */
static int
tail_job(struct job *j, bool json)
{
	int rc = -1;

	if (j->kind == JOB_EVENT) {
		tail_print(j->reply, json);
		if (fflush(stdout) != 0)
			rc = errno == EPIPE ? 0 : 1;
	} else if (j->kind == JOB_STREAM) {
		if (j->stream == STREAM_UP)
			fprintf(stderr, "folio: tail: connected\n");
		else if (j->stream == STREAM_DOWN && j->why)
			fprintf(stderr, "folio: tail: disconnected (%s); retrying\n", j->why);
		else if (j->stream == STREAM_RESYNC)
			fprintf(stderr, "folio: tail: events were lost (resync required)\n");
		else if (j->stream == STREAM_UNAUTHORIZED) {
			cmd_fail("tail: the session is no longer valid (run: folio login)");
			rc = 1;
		}
	}
	job_free(j);
	return rc;
}

int
cmd_tail(int argc, char **argv, const char *server_flag)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
	struct sigaction sa;
	struct pollfd pfd;
	struct session s;
	struct job *j;
	int64_t since = 0;
	bool json = false;
	char *end;
	int c, rc = -1;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c != 's')
			return 2;
		else if ((since = strtoll(optarg, &end, 10)) < 0 || end == optarg || *end != '\0') {
			cmd_fail(_("usage: --since takes an event id (a number), not \"%s\""), optarg);
			return 2;
		}
	}
	if (optind != argc) {
		cmd_fail("usage: folio tail [--json] [--since ID]");
		return 2;
	}
	if (cmd_session(&s, server_flag) != 0)
		return 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tail_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (events_start(s.server, s.token, since, options_events_mode()) != 0) {
		cmd_fail("tail: cannot use server address %s", s.server);
		config_session_clear(&s);
		return 1;
	}
	pfd.fd = net_fd();
	pfd.events = POLLIN;
	while (rc < 0 && !tail_stop) {
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		while (rc < 0 && (j = net_poll()) != NULL)
			rc = tail_job(j, json);
	}
	events_stop();
	while ((j = net_poll()) != NULL)
		job_free(j);
	config_session_clear(&s);
	return rc < 0 ? 0 : rc;
}
