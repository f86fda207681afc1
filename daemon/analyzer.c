// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: ELF analysis on a worker thread, so a slow or crafted file never stalls the loop. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "target/elffile.h"
#include "analyzer.h"

/*
 * The worker owns no daemon state: it sees only its queues, and a job is
 * the worker's from submit until it is on the done queue.  The eventfd
 * wakes the epoll loop, which takes the results and applies them.
 */
struct analyzer {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct analysis *todo, **todo_tail;
	struct analysis *done;
	size_t queued;		/* todo + in progress */
	int efd;
};

/*
 * Where an interpreter starts: the python binary's main goes through
 * Py_InitializeFromConfig, embedders through Py_InitializeEx (Py_Initialize
 * calls it).  Not _PyRuntime_Initialize: many pre-init calls run it again.
 */
const char *const analysis_init_funcs[ANALYSIS_INIT_FUNCS] = { "Py_InitializeFromConfig",
								"Py_InitializeEx" };

static int needed_is_libpython(const char *name, void *ctx)
{
	return strncmp(name, "libpython", 9) == 0 ? 1 : 0;
}

static void analyse(struct analysis *a)
{
	struct elf_file_sym syms[ANALYSIS_INIT_FUNCS];
	struct elf_file *ef;
	int err, fd;

	fd = mapfile__open(&a->ref, &a->via);
	if (fd < 0) {
		a->unopened = true;
		a->err = fd;
		return;
	}
	ef = elf_file__from_fd(fd);
	if (!ef) {
		a->err = -errno;
		return;
	}
	err = pyinterp__analyze(ef, &a->info);
	if (err == -ENOENT) {
		err = elf_file__foreach_needed(ef, needed_is_libpython, NULL);
		a->needs_libpython = err > 0;
		a->err = err < 0 ? err : -ENOENT;
		elf_file__free(ef);
		return;
	}
	if (!err)
		err = elf_file__find_symbols(ef, analysis_init_funcs, ANALYSIS_INIT_FUNCS, syms);
	for (size_t i = 0; !err && i < ANALYSIS_INIT_FUNCS; i++)
		if (syms[i].found && elf_file__vaddr_to_offset(ef, syms[i].addr,
							       &a->init_offset[i]) < 0)
			a->init_offset[i] = 0;
	a->err = err;
	if (err)
		elf_file__free(ef);
	else
		a->ef = ef;
}

/* The worker's nice value: below the loop, and below the processes it serves. */
#define ANALYSIS_NICE 10

static void *worker(void *arg)
{
	struct analyzer *an = arg;
	const __u64 one = 1;

	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), ANALYSIS_NICE);
	pthread_mutex_lock(&an->lock);
	while (!an->stop) {
		struct analysis *a = an->todo;

		if (!a) {
			pthread_cond_wait(&an->cond, &an->lock);
			continue;
		}
		an->todo = a->next;
		if (!an->todo)
			an->todo_tail = &an->todo;
		pthread_mutex_unlock(&an->lock);
		analyse(a);
		pthread_mutex_lock(&an->lock);
		a->next = an->done;
		an->done = a;
		(void)!write(an->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&an->lock);
	return NULL;
}

/*
 * The worker reads files any user can plant: it runs at normal priority,
 * niced, whatever the daemon's own (the unit makes the loop real-time, so
 * that a busy host still gets answers; a flood of crafted ELF files must not
 * get a real-time thread).
 */
static int start_worker(struct analyzer *an)
{
	struct sched_param sp = { 0 };
	pthread_attr_t attr;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return err;
	err = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) ?:
	      pthread_attr_setschedpolicy(&attr, SCHED_OTHER) ?:
	      pthread_attr_setschedparam(&attr, &sp) ?:
	      pthread_create(&an->thread, &attr, worker, an);
	(void)pthread_attr_destroy(&attr);
	if (!err)
		(void)pthread_setname_np(an->thread, "pyprofd-elf");
	return err;
}

struct analyzer *analyzer__new(void)
{
	struct analyzer *an = calloc(1, sizeof(*an));
	int err;

	if (!an)
		return NULL;
	pthread_mutex_init(&an->lock, NULL);
	pthread_cond_init(&an->cond, NULL);
	an->todo_tail = &an->todo;
	an->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (an->efd < 0) {
		err = errno;
		goto cleanup;
	}
	err = start_worker(an);
	if (err)
		goto cleanup;
	an->started = true;
	return an;

cleanup:
	analyzer__free(an);
	errno = err;
	return NULL;
}

int analyzer__fd(const struct analyzer *an)
{
	return an->efd;
}

size_t analyzer__queued(struct analyzer *an)
{
	size_t n;

	pthread_mutex_lock(&an->lock);
	n = an->queued;
	pthread_mutex_unlock(&an->lock);
	return n;
}

int analyzer__submit(struct analyzer *an, struct analysis *a)
{
	int err = 0;

	pthread_mutex_lock(&an->lock);
	if (an->queued >= PYPROFD_ANALYSIS_QUEUE_MAX) {
		err = -EBUSY;
	} else {
		a->next = NULL;
		*an->todo_tail = a;
		an->todo_tail = &a->next;
		an->queued++;
		pthread_cond_signal(&an->cond);
	}
	pthread_mutex_unlock(&an->lock);
	return err;
}

struct analysis *analyzer__take(struct analyzer *an)
{
	struct analysis *done, *rev = NULL;
	__u64 n;

	(void)!read(an->efd, &n, sizeof(n));
	pthread_mutex_lock(&an->lock);
	done = an->done;
	an->done = NULL;
	for (struct analysis *a = done; a; a = a->next)
		an->queued--;
	pthread_mutex_unlock(&an->lock);
	/* In the order they finished. */
	while (done) {
		struct analysis *next = done->next;

		done->next = rev;
		rev = done;
		done = next;
	}
	return rev;
}

void analysis__free(struct analysis *a)
{
	if (!a)
		return;
	elf_file__free(a->ef);
	free(a);
}

void analyzer__free(struct analyzer *an)
{
	if (!an)
		return;
	if (an->started) {
		pthread_mutex_lock(&an->lock);
		an->stop = true;
		pthread_cond_signal(&an->cond);
		pthread_mutex_unlock(&an->lock);
		/* A job in progress is bounded by elffile's read limits. */
		pthread_join(an->thread, NULL);
	}
	for (struct analysis *list[2] = { an->todo, an->done }, **l = list; l < list + 2; l++) {
		while (*l) {
			struct analysis *next = (*l)->next;

			analysis__free(*l);
			*l = next;
		}
	}
	if (an->efd >= 0)
		close(an->efd);
	pthread_cond_destroy(&an->cond);
	pthread_mutex_destroy(&an->lock);
	free(an);
}
