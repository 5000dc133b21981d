/*
 * mail-compose.c -- the words of each mail: subject, plain text and HTML for
 * every kind (a new chat or message for a client, a reminder, client activity,
 * a mention or an assignment for staff), with a link to the thread through
 * --public-url, in the firm's language (mail-lang.c: every text goes
 * through the "foliod" gettext catalog, German by default). User text is
 * escaped in HTML; a quoted message is rendered safe from its Markdown.
 * Pure functions: no SQL, no SMTP.
 */
#include "foliod.h"

#include <cmark.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A text in the mail's language; c is the mail's context. `make pot` extracts T("..."). */
#define T(msgid) mail_lang_text(c->language, (msgid))

static const char *mail_compose_kinds[] = {
	"thread", "message", "reminder", "resend", "client_thread", "client_message",
	"client_task", "mention", "assignment",
};

const char *
mail_compose_kind(enum mail_kind k)
{
	return mail_compose_kinds[k];
}

int
mail_compose_kind_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof mail_compose_kinds / sizeof mail_compose_kinds[0]; i++)
		if (strcmp(s, mail_compose_kinds[i]) == 0)
			return (int)i;
	return -1;
}

static void
mail_compose_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s); break;
		}
	}
}

/* The thread's address for people: public URL without a trailing slash. Caller frees. */
static char *
mail_compose_link(const struct notify_ctx *c)
{
	size_t n = strlen(cfg.public_url);

	while (n > 0 && cfg.public_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s/threads/%" PRId64, (int)n, cfg.public_url, c->thread_id);
}

/* The subject line. Caller frees. */
static char *
mail_compose_subject(enum mail_kind k, const struct notify_ctx *c)
{
	switch (k) {
	case MAIL_THREAD:
		return xasprintf(T("New chat from %s: %s"), c->firm_name, c->subject);
	case MAIL_MESSAGE:
		return xasprintf(T("New message from %s: %s"), c->firm_name, c->subject);
	case MAIL_REMINDER:
	case MAIL_RESEND:
		return xasprintf(T("Reminder: %s"), c->subject);
	case MAIL_CLIENT_THREAD:
		/* TRANSLATORS: account, contact, subject. */
		return xasprintf(T("[%s] New chat from %s: %s"), c->account_name, c->actor_name,
		    c->subject);
	case MAIL_CLIENT_MESSAGE:
		return xasprintf(T("[%s] %s replied: %s"), c->account_name, c->actor_name,
		    c->subject);
	case MAIL_CLIENT_TASK:
		return xasprintf(T("[%s] %s updated a task: %s"), c->account_name, c->actor_name,
		    c->subject);
	case MAIL_MENTION:
		return xasprintf(T("[%s] %s mentioned you: %s"), c->account_name, c->actor_name,
		    c->subject);
	case MAIL_ASSIGNMENT:
		return xasprintf(T("[%s] %s assigned you a chat: %s"), c->account_name, c->actor_name,
		    c->subject);
	}
	abort();
}

/* The sentence before the quoted message. Caller frees. */
static char *
mail_compose_intro(enum mail_kind k, const struct notify_ctx *c)
{
	switch (k) {
	case MAIL_THREAD:
		/* TRANSLATORS: staff member, firm, subject. */
		return xasprintf(T("%s of %s started a chat with you: \"%s\"."), c->actor_name,
		    c->firm_name, c->subject);
	case MAIL_MESSAGE:
		return xasprintf(T("%s of %s wrote in \"%s\":"), c->actor_name, c->firm_name,
		    c->subject);
	case MAIL_REMINDER:
	case MAIL_RESEND:
		return xasprintf(T("%s is waiting for your reply in \"%s\". The last message:"),
		    c->firm_name, c->subject);
	case MAIL_CLIENT_THREAD:
		/* TRANSLATORS: contact, account, subject. */
		return xasprintf(T("%s (%s) started a chat: \"%s\"."), c->actor_name,
		    c->account_name, c->subject);
	case MAIL_CLIENT_MESSAGE:
		return xasprintf(T("%s (%s) wrote in \"%s\":"), c->actor_name, c->account_name,
		    c->subject);
	case MAIL_CLIENT_TASK:
		/* TRANSLATORS: contact, account, task, subject. */
		return xasprintf(c->task_done ? T("%s (%s) marked the task \"%s\" as done in \"%s\".") :
						T("%s (%s) marked the task \"%s\" as not done in \"%s\"."),
		    c->actor_name, c->account_name, c->task_title, c->subject);
	case MAIL_MENTION:
		/* TRANSLATORS: staff member, subject, account. */
		return xasprintf(T("%s mentioned you in \"%s\" (%s):"), c->actor_name, c->subject,
		    c->account_name);
	case MAIL_ASSIGNMENT:
		return xasprintf(T("%s assigned the chat \"%s\" (%s) to you."), c->actor_name,
		    c->subject, c->account_name);
	}
	abort();
}

/* One line of text: control characters (a name's CR/LF) become spaces. Caller frees. */
static char *
mail_compose_line(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

static bool
mail_compose_quotes(enum mail_kind k, const struct notify_ctx *c)
{
	return k != MAIL_CLIENT_TASK && k != MAIL_ASSIGNMENT && c->body && *c->body;
}

/*
 * The quoted message: its time, then its text. The HTML is rendered from the
 * Markdown with every typed line break kept (the stored rendering joins two
 * typed lines into one, as CommonMark does, and a client reads a mail as
 * typed); still safe: raw HTML and unsafe links suppressed.
 */
static void
mail_compose_quote(const struct notify_ctx *c, struct buf *t, struct buf *h)
{
	char *date = c->message_at > 0 ? mail_lang_date(c->language, c->message_at) : NULL;
	char *html = cmark_markdown_to_html(c->body, strlen(c->body),
	    CMARK_OPT_DEFAULT | CMARK_OPT_SAFE | CMARK_OPT_HARDBREAKS);

	buf_puts(h, "<blockquote style=\"border-left:3px solid #ccc;margin:0;padding-left:1em\">\n");
	if (date) {
		buf_printf(t, "%s\n", date);
		buf_puts(h, "<p style=\"color:#777\">");
		mail_compose_escape(h, date);
		buf_puts(h, "</p>\n");
	}
	buf_printf(t, "%s\n\n", c->body);
	buf_puts(h, html);
	buf_puts(h, "</blockquote>\n");
	free(html);
	free(date);
}

void
mail_compose(enum mail_kind kind, const struct notify_ctx *c, const char *to_name,
    struct mail_text *out)
{
	struct buf t = BUF_INIT, h = BUF_INIT;
	char *intro = mail_compose_line(mail_compose_intro(kind, c)), *link = mail_compose_link(c);
	char *name = mail_compose_line(xstrdup(to_name));
	char *hello = xasprintf(T("Hello %s,"), name), *via = xasprintf(T("%s via Folio"), c->firm_name);
	const char *open = T("Open the chat");

	out->subject = mail_compose_subject(kind, c);
	buf_printf(&t, "%s\n\n%s\n\n", hello, intro);
	buf_printf(&h, "<!DOCTYPE html>\n<html lang=\"%s\"><body style=\"font-family:sans-serif\">\n<p>",
	    mail_lang_known(c->language) ? c->language : "de");
	mail_compose_escape(&h, hello);
	buf_puts(&h, "</p>\n<p>");
	mail_compose_escape(&h, intro);
	buf_puts(&h, "</p>\n");
	if (mail_compose_quotes(kind, c))
		mail_compose_quote(c, &t, &h);
	buf_printf(&t, "%s: %s\n\n-- \n%s\n", open, link, via);
	buf_puts(&h, "<p><a href=\"");
	mail_compose_escape(&h, link);
	buf_puts(&h, "\">");
	mail_compose_escape(&h, open);
	buf_puts(&h, "</a></p>\n<p style=\"color:#777\">");
	mail_compose_escape(&h, via);
	buf_puts(&h, "</p>\n</body></html>\n");
	out->text = buf_detach(&t);
	out->html = buf_detach(&h);
	free(hello);
	free(via);
	free(intro);
	free(name);
	free(link);
}

void
mail_compose_free(struct mail_text *m)
{
	free(m->subject);
	free(m->text);
	free(m->html);
	m->subject = m->text = m->html = NULL;
}
