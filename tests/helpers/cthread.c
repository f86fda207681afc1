// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A shared library whose cthread_start() starts a pthread that burns CPU in
 * cthread_spin_forever() and never touches Python: a C extension's own
 * thread, which has no PyThreadState for pyprof to find.
 */
#include <pthread.h>

volatile unsigned long cthread_sink;

__attribute__((noinline)) static void *cthread_spin_forever(void *arg)
{
	for (;;)
		cthread_sink += (unsigned long)arg + 1;
	return NULL;
}

/* 0, or the error of pthread_create(). */
int cthread_start(void)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, cthread_spin_forever, NULL);

	if (!err)
		pthread_detach(t);
	return err;
}
