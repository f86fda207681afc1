// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: an application embedding CPython.  It dlopen()s the libpython
 * given on the command line, so nothing at exec time says it is a Python
 * process, then runs a script file in the interpreter.
 *   embed /path/to/libpython3.X.so SCRIPT
 * EMBED_DELAY_MS=N waits that long before loading libpython.  Once dlopen()
 * returns it writes "dlopen NS" (CLOCK_MONOTONIC) to stderr, for tests that
 * measure how soon the process is found.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*init_fn)(void);
typedef int (*finalize_fn)(void);
typedef int (*run_file_fn)(FILE *fp, const char *filename, int closeit, void *flags);

int main(int argc, char **argv)
{
	struct timespec now;
	run_file_fn run_file;
	finalize_fn finalize;
	init_fn init;
	void *lib;
	FILE *fp;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: embed LIBPYTHON SCRIPT\n");
		return EXIT_FAILURE;
	}
	if (getenv("EMBED_DELAY_MS")) {
		long ms = strtol(getenv("EMBED_DELAY_MS"), NULL, 10);
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!lib) {
		fprintf(stderr, "embed: %s\n", dlerror());
		return EXIT_FAILURE;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "dlopen %lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	fflush(stderr);
	init = (init_fn)dlsym(lib, "Py_Initialize");
	finalize = (finalize_fn)dlsym(lib, "Py_FinalizeEx");
	run_file = (run_file_fn)dlsym(lib, "PyRun_SimpleFileExFlags");
	if (!init || !finalize || !run_file) {
		fprintf(stderr, "embed: '%s' lacks the embedding API\n", argv[1]);
		return EXIT_FAILURE;
	}
	fp = fopen(argv[2], "re");
	if (!fp) {
		perror(argv[2]);
		return EXIT_FAILURE;
	}
	init();
	rc = run_file(fp, argv[2], 1, NULL);
	if (finalize() < 0)
		rc = -1;
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
