/*
 * fuzz_markdown.c -- what the server makes of a message body: safe HTML
 * (markdown.c), the embeds it lists, the @mentions it resolves (mention.c)
 * and the mail that quotes it (mail-compose.c's templates, with the other
 * user-written fields taken from the input too). Besides not crashing: no
 * raw HTML or javascript: link in any HTML, embeds are http(s) links,
 * mentions ascending and each a staff member's.
 */
#include "fuzz.h"
#include "foliod.h"
#include "utf8.h"


static const struct mention_name fuzz_staff[] = {
	{ 1, "Anna Berg", "anna" },
	{ 2, "J\xc3\xb6rg \xc3\x9clker", "joerg.uelker" },
	{ 3, "A", "a-b" },
	{ 4, "\xe6\x9d\xb1\xe4\xba\xac", "tokyo" },
};
#define FUZZ_NSTAFF (sizeof fuzz_staff / sizeof fuzz_staff[0])

/*
 * HTML that no user text can have put there: every tag one that cmark or the
 * mail writes itself, and no link or image to a javascript: address.
 */
static void
fuzz_html_safe(const char *html)
{
	static const char *const tags[] = { "p", "em", "strong", "a", "img", "code", "pre",
		"blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br",
		"html", "body", "!DOCTYPE", "!--", NULL };
	const char *p;
	size_t i, n;

	for (p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		n = strcspn(p + 1 + (p[1] == '/'), " \t\n/>");
		for (i = 0; tags[i] && (strlen(tags[i]) != n ||
		    strncmp(p + 1 + (p[1] == '/'), tags[i], n) != 0); i++)
			;
		if (tags[i] == NULL && strncmp(p, "<!--", 4) != 0)
			fuzz_fail(p, __FILE__, __LINE__);
	}
	FUZZ_CHECK(strcasestr(html, "href=\"javascript:") == NULL);
	FUZZ_CHECK(strcasestr(html, "src=\"javascript:") == NULL);
}

static void
fuzz_markdown_body(const char *body)
{
	struct json_object *embeds, *e;
	const char *url, *provider;
	int64_t *ids;
	size_t i, k, n;
	char *html;

	html = markdown_html(body);
	fuzz_html_safe(html);
	free(html);

	embeds = markdown_embeds(body);
	for (i = 0; i < json_object_array_length(embeds); i++) {
		e = json_object_array_get_idx(embeds, i);
		FUZZ_CHECK(json_get_string(e, "url", &url) == JSON_GET_OK);
		FUZZ_CHECK(json_get_string(e, "provider", &provider) == JSON_GET_OK);
		FUZZ_CHECK(strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
		FUZZ_CHECK(strpbrk(url, " \t\r\n<>\"'") == NULL);
	}
	json_object_put(embeds);

	ids = mention_find(body, fuzz_staff, FUZZ_NSTAFF, &n);
	FUZZ_CHECK(n <= FUZZ_NSTAFF);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(i == 0 || ids[i - 1] < ids[i]);
		for (k = 0; k < FUZZ_NSTAFF && fuzz_staff[k].id != ids[i]; k++)
			;
		FUZZ_CHECK(k < FUZZ_NSTAFF);
	}
	html = mention_array(ids, n);
	free(html);
	free(ids);
}

/*
 * The input as the mail's fields, separated by 0x1f: body, subject, account,
 * actor, firm, recipient, task; the first byte picks the kind and language.
 */
static void
fuzz_markdown_mail(const uint8_t *data, size_t size)
{
	const char *field[7] = { "", "", "", "", "", "", "" };
	struct notify_ctx c = { 0 };
	struct mail_text m;
	char *s, *p;
	unsigned pick;
	size_t i;

	if (size == 0)
		return;
	pick = data[0];
	s = fuzz_string(data + 1, size - 1);
	for (p = s, i = 0; i < 7 && p; i++) {
		field[i] = p;
		if ((p = strchr(p, 0x1f)) != NULL)
			*p++ = '\0';
	}
	c.body = field[0];
	c.subject = field[1];
	c.account_name = field[2];
	c.actor_name = field[3];
	c.firm_name = field[4];
	c.task_title = field[6];
	c.task_done = pick & 0x10;
	c.language = pick & 0x20 ? "en" : pick & 0x40 ? "xx" : "de";
	c.thread_id = 42;
	c.message_at = pick & 0x80 ? 1764633600 : 0;
	mail_compose((enum mail_kind)((pick & 0x0f) % (MAIL_ASSIGNMENT + 1)), &c, field[5], &m);
	FUZZ_CHECK(m.subject && m.text && m.html);
	fuzz_html_safe(m.html);
	mail_compose_free(&m);
	free(s);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	cfg.public_url = "https://folio.example/";
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_string(data, size);

	fuzz_markdown_body(body);
	free(body);
	fuzz_markdown_mail(data, size);
	return 0;
}
