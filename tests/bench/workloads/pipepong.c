// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two processes hand a byte back and forth over pipes: a context switch each
 * way, in a program pyprofd does not profile (what every other task on the
 * host pays for the scheduler programs).  argv: hand-overs.  Prints
 * "wall-seconds switches" like the Python workloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int a[2], b[2];
	struct rusage self, kids;
	double t0, t1;
	char c = 'x';
	pid_t child;

	if (pipe(a) || pipe(b))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		for (long i = 0; i < n; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	t0 = now();
	for (long i = 0; i < n; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			return 1;
	t1 = now();
	waitpid(child, NULL, 0);
	/* Both processes' context switches, as the Python workloads count theirs. */
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("%.6f %ld\n", t1 - t0,
	       self.ru_nvcsw + self.ru_nivcsw + kids.ru_nvcsw + kids.ru_nivcsw);
	return 0;
}
