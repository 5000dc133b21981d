/*
 * proxy.c -- who the client is behind a reverse proxy. With --trusted-proxy
 * the address of a request is taken from X-Forwarded-For, but only when the
 * TCP peer is one of the trusted networks, and then only the right-most
 * entry that is not itself trusted: everything left of it was written by
 * parties we cannot check. It parses and matches CIDRs (IPv4 and IPv6) and
 * walks the header; it does not read headers (http.c) or use the address.
 */
#include "foliod.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PROXY_MAX 64 /* trusted networks */

static struct proxy_net proxy_nets[PROXY_MAX];
static size_t proxy_n;

/*
 * Parses an address as 16 bytes (IPv4 as ::ffff:a.b.c.d, so that a mapped
 * peer address matches an IPv4 network). Accepts "[v6]" and a ":port" after
 * IPv4 or "[v6]", as some proxies write them. Returns -1 when it is none.
 */
static int
proxy_addr_parse(const char *s, size_t len, unsigned char out[16], bool *v4)
{
	char tmp[INET6_ADDRSTRLEN + 8], *colon;
	unsigned char a4[4];

	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof tmp)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (tmp[0] == '[') {
		if ((colon = strchr(tmp, ']')) == NULL || (colon[1] != '\0' && colon[1] != ':'))
			return -1;
		*colon = '\0';
		memmove(tmp, tmp + 1, strlen(tmp + 1) + 1);
	} else if ((colon = strchr(tmp, ':')) != NULL && strchr(colon + 1, ':') == NULL)
		*colon = '\0'; /* one colon: IPv4 with a port */
	if (inet_pton(AF_INET, tmp, a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a4, 4);
		*v4 = true;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out) != 1)
		return -1;
	*v4 = memcmp(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0;
	return 0;
}

int
proxy_net_parse(const char *s, struct proxy_net *n)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char tmp[INET6_ADDRSTRLEN], *end;
	unsigned char a4[4];
	long bits, max;

	if (alen == 0 || alen >= sizeof tmp)
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	/* A network is written plainly: no brackets, no port. */
	if (inet_pton(AF_INET, tmp, a4) == 1) {
		memset(n->addr, 0, 10);
		n->addr[10] = n->addr[11] = 0xff;
		memcpy(n->addr + 12, a4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, tmp, n->addr) == 1) {
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits > max)
			return -1;
	}
	n->bits = (int)(bits + 128 - max); /* IPv4 networks live under ::ffff:0:0/96 */
	return 0;
}

bool
proxy_net_match(const struct proxy_net *n, const char *addr)
{
	unsigned char a[16];
	bool v4;
	int full = n->bits / 8, rest = n->bits % 8;

	if (proxy_addr_parse(addr, strlen(addr), a, &v4) != 0)
		return false;
	if (memcmp(a, n->addr, (size_t)full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ n->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
proxy_configure(const char *list)
{
	char item[128];
	const char *p = list ? list : "", *comma;
	size_t len;

	proxy_n = 0;
	while (*p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len) {
			if (len >= sizeof item || proxy_n == PROXY_MAX) {
				fprintf(stderr, "foliod: trusted-proxy: too long or too many networks\n");
				return -1;
			}
			memcpy(item, p, len);
			item[len] = '\0';
			if (proxy_net_parse(item, &proxy_nets[proxy_n]) != 0) {
				fprintf(stderr, "foliod: trusted-proxy: \"%s\" is not an address or CIDR\n",
				    item);
				return -1;
			}
			proxy_n++;
		}
		p = comma ? comma + 1 : p + strlen(p);
	}
	return 0;
}

bool
proxy_trusted(const char *addr)
{
	size_t i;

	for (i = 0; i < proxy_n; i++)
		if (proxy_net_match(&proxy_nets[i], addr))
			return true;
	return false;
}

/* Copies s[0..len) trimmed into out[outsz]. */
static void
proxy_copy(char *out, size_t outsz, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

void
proxy_client(const char *peer, const char *xff, char *out, size_t outsz)
{
	unsigned char a[16];
	const char *end, *start;
	char hop[INET6_ADDRSTRLEN + 8];
	bool v4;

	proxy_copy(out, outsz, peer, strlen(peer));
	if (xff == NULL || !proxy_trusted(peer))
		return;
	/* Right to left: each trusted hop vouches for the entry before it. */
	end = xff + strlen(xff);
	while (end > xff) {
		for (start = end; start > xff && start[-1] != ','; start--)
			;
		proxy_copy(hop, sizeof hop, start, (size_t)(end - start));
		if (proxy_addr_parse(hop, strlen(hop), a, &v4) != 0)
			return; /* garbage: the last trusted hop is all we know */
		if (v4)
			inet_ntop(AF_INET, a + 12, out, (socklen_t)outsz);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)outsz);
		if (!proxy_trusted(out))
			return;
		end = start > xff ? start - 1 : xff;
	}
}
