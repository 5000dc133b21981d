/*
 * replay.c -- a main() for any fuzz target without libFuzzer: runs every
 * file named (or every file in a directory named) through
 * LLVMFuzzerTestOneInput once. `make check` replays the kept corpus with it
 * under the variant it builds, so a committed crashing input fails the
 * suite. An input that runs longer than REPLAY_SECONDS counts as a hang.
 */
#include "fuzz.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLAY_SECONDS 10

static const char *replay_current;

static void
replay_alarm(int sig)
{
	(void)sig;
	dprintf(2, "replay: %s runs longer than %d s (a hang)\n", replay_current, REPLAY_SECONDS);
	_exit(1);
}

/* Runs one file. Returns -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;

	if (fp == NULL) {
		dprintf(2, "replay: %s: cannot open\n", path);
		return -1;
	}
	do {
		if (size == cap && (data = realloc(data, cap = cap * 2 + 4096)) == NULL)
			abort();
		n = fread(data + size, 1, cap - size, fp);
		size += n;
	} while (n > 0);
	fclose(fp);
	replay_current = path;
	alarm(REPLAY_SECONDS);
	LLVMFuzzerTestOneInput(data, size);
	alarm(0);
	free(data);
	return 0;
}

static int
replay_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs every regular file of dir in name order. Returns the count, or -1. */
static int
replay_dir(const char *dir)
{
	struct dirent **names;
	struct stat st;
	char path[4096];
	int i, n, count = 0, rc = 0;

	if ((n = scandir(dir, &names, NULL, replay_name_cmp)) < 0) {
		dprintf(2, "replay: %s: cannot list\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				rc = -1;
			count++;
		}
		free(names[i]);
	}
	free(names);
	return rc ? -1 : count;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, n, total = 0;

	signal(SIGALRM, replay_alarm);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			n = replay_dir(argv[i]);
		else
			n = replay_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %d inputs\n", total);
	return 0;
}
