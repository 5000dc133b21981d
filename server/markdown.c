/*
 * markdown.c -- message bodies: CommonMark to safe HTML with cmark (raw HTML
 * and unsafe links suppressed: CMARK_OPT_UNSAFE is never passed), and the
 * video/drive links that the API lists as embeds.
 */
#include "foliod.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

char *
markdown_html(const char *body)
{
	char *html = cmark_markdown_to_html(body, strlen(body), CMARK_OPT_DEFAULT | CMARK_OPT_SAFE);
	char *copy = xstrdup(html);

	free(html);
	return copy;
}

struct embed_provider {
	const char *name;
	const char *prefixes[4];
};

static const struct embed_provider providers[] = {
	{ "loom", { "loom.com/share/", "www.loom.com/share/", NULL } },
	{ "vimeo", { "vimeo.com/", "www.vimeo.com/", "player.vimeo.com/", NULL } },
	{ "youtube", { "youtube.com/watch", "www.youtube.com/watch", "youtu.be/", "m.youtube.com/watch" } },
	{ "google_drive", { "drive.google.com/", "docs.google.com/", NULL } },
	{ NULL, { NULL } },
};

static const char *
embed_provider_of(const char *host_and_path)
{
	const struct embed_provider *pr;
	int i;

	for (pr = providers; pr->name; pr++)
		for (i = 0; i < 4 && pr->prefixes[i]; i++)
			if (strncmp(host_and_path, pr->prefixes[i], strlen(pr->prefixes[i])) == 0)
				return pr->name;
	return NULL;
}

static bool
markdown_has_url(struct json_object *a, const char *url)
{
	const char *u;
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++)
		if (json_get_string(json_object_array_get_idx(a, i), "url", &u) == JSON_GET_OK &&
		    strcmp(u, url) == 0)
			return true;
	return false;
}

struct json_object *
markdown_embeds(const char *body)
{
	struct json_object *a = json_object_new_array(), *e;
	const char *p = body, *start, *rest, *name;
	size_t len;
	char *url;

	while ((start = strstr(p, "http")) != NULL) {
		rest = NULL;
		if (strncmp(start, "https://", 8) == 0)
			rest = start + 8;
		else if (strncmp(start, "http://", 7) == 0)
			rest = start + 7;
		p = start + 4;
		if (rest == NULL)
			continue;
		len = strcspn(start, " \t\r\n<>()[]\"'");
		while (len > 0 && strchr(".,;:!?", start[len - 1]) != NULL)
			len--;
		p = start + len;
		if ((name = embed_provider_of(rest)) == NULL)
			continue;
		url = xstrndup(start, len);
		if (markdown_has_url(a, url)) {
			free(url);
			continue;
		}
		e = json_object_new_object();
		json_object_object_add(e, "provider", json_object_new_string(name));
		json_object_object_add(e, "url", json_object_new_string(url));
		json_object_array_add(a, e);
		free(url);
	}
	return a;
}
