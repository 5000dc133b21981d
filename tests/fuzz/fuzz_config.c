/*
 * fuzz_config.c -- foliod's configuration file (config.c: "name = value"
 * lines, comments, lists, numbers, the words of log-level and log-to) and
 * what is parsed from it at load (trusted-proxy's CIDRs in proxy.c, the
 * listen addresses in http.c). The input is the file; it reaches
 * config_load() through --config, as an operator's file would. Besides not
 * crashing: a file that loads leaves every setting in its range.
 */
#include "fuzz.h"
#include "foliod.h"

#include <sys/mman.h>
#include <unistd.h>

static int fuzz_fd = -1;
static char fuzz_flag[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	if ((fuzz_fd = memfd_create("foliod.conf", 0)) < 0)
		abort();
	snprintf(fuzz_flag, sizeof fuzz_flag, "--config=/proc/self/fd/%d", fuzz_fd);
	return 0;
}

/* What a loaded configuration promises the rest of the server. */
static void
fuzz_config_loaded(void)
{
	char iface[128];
	int port;

	FUZZ_CHECK(cfg.db_threads >= 1 && cfg.db_threads <= 64);
	FUZZ_CHECK(cfg.event_ping >= 1 && cfg.event_ping <= 3600 && cfg.event_queue >= 1);
	FUZZ_CHECK(cfg.max_body >= 0 && cfg.json_depth >= 0 && cfg.json_string >= 0);
	FUZZ_CHECK(strcmp(cfg.log_to, "stderr") == 0 || strcmp(cfg.log_to, "journald") == 0);
	if (http_parse_listen(cfg.listen, iface, sizeof iface, &port) == 0)
		FUZZ_CHECK(port > 0 && port < 65536);
	if (*cfg.metrics_listen)
		http_parse_listen(cfg.metrics_listen, iface, sizeof iface, &port);
	proxy_trusted("127.0.0.1");
	proxy_trusted("::ffff:10.1.2.3");
	proxy_trusted("2001:db8::1");
	FUZZ_CHECK(cfg.trusted_proxy != NULL && cfg.allowed_origin != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[] = { "foliod", fuzz_flag, "serve", NULL }, **argv = args;
	int argc = 3;

	if (ftruncate(fuzz_fd, 0) != 0 || pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	/* A list setting adds to what it holds: start each load empty, as foliod does. */
	free((char *)cfg.trusted_proxy);
	free((char *)cfg.allowed_origin);
	cfg.trusted_proxy = cfg.allowed_origin = NULL;
	if (config_load(&argc, &argv) == 0) {
		fuzz_config_loaded();
		FUZZ_CHECK(argc == 2 && strcmp(argv[1], "serve") == 0);
	}
	return 0;
}
