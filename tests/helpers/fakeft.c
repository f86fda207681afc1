// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in for a free-threaded CPython 3.14 (3.14t), which cannot be built
 * here: pyprofd takes this program for one (it has Py_Initialize and a
 * _PyRuntime that starts with 3.14.10t's _Py_DebugOffsets, as synthesized in
 * tests/data/debugoffsets), and its threads hold Python stacks laid out as
 * those offsets say, with thread-local bytecode: each frame's instr_ptr
 * points into the copy of its code object's bytecode that the frame's
 * tlbc_index names.  The stacks are fixed and the threads spin in C, so a
 * test knows which line each thread's samples must name.
 *   fakeft NTHREADS SECONDS
 * Threads 1..NTHREADS run spin() at line SPIN_LINE + t from copy t of its
 * bytecode, called from run() at RUN_LINE (copy t too); one more thread has
 * tlbc_index BAD_INDEX, past its code object's copies; the main thread runs
 * main() at MAIN_LINE from co_code_adaptive (copy 0).  Prints "ready" once
 * every thread is in the thread list.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "target/pyinterp.h"

#define FILENAME   "/fake/ft.py"
/* Code units per code object: unit k is on line firstlineno + k + 1. */
#define UNITS	   32
#define SPIN_FIRST 100
#define RUN_FIRST  10
#define MAIN_FIRST 1
#define RUN_UNIT   5	/* line 16 */
#define MAIN_UNIT  3	/* line 5 */
#define SPIN_UNIT  10	/* + t: line 111 + t */
#define BAD_INDEX  99
#define MAX_THREADS 16
#define FRAME_STRIDE 128
#define OWNER_INTERPRETER 3	/* FRAME_OWNED_BY_INTERPRETER: the C entry frame */
#define DEBUG_OFFSETS_SIZE 760	/* sizeof(_Py_DebugOffsets) in 3.14 */

/* _PyRuntime: the 3.14t debug offsets, then room for the fields after them. */
__asm__(".pushsection .data\n"
	".balign 64\n"
	".globl _PyRuntime\n"
	".type _PyRuntime, @object\n"
	"_PyRuntime:\n"
	".incbin \"tests/data/debugoffsets/python3.14t.bin\"\n"
	".fill 4096, 1, 0\n"
	".size _PyRuntime, . - _PyRuntime\n"
	".popsection\n");
extern unsigned char _PyRuntime[];

/* What pyprofd looks for to tell a CPython interpreter. */
__attribute__((used, noinline)) void Py_Initialize(void)
{
	__asm__ volatile("");
}

static struct pyinterp_info info;
static unsigned char *interp;
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int registered;
static double deadline;

static void *zalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		perror("fakeft: calloc");
		exit(1);
	}
	return p;
}

static void put64(unsigned char *base, long off, unsigned long long v)
{
	memcpy(base + off, &v, sizeof(v));
}

/* A compact ASCII str object as the layout lays it out. */
static unsigned char *make_str(const char *s)
{
	const struct pycode_layout *c = &info.code;
	unsigned char *o = zalloc(c->compact_size + strlen(s) + 1);
	unsigned int state = 1u | (1u | 1u << 3 | 1u << 4) << c->unicode_kind_shift;

	put64(o, c->unicode_length, strlen(s));
	memcpy(o + c->unicode_state, &state, sizeof(state));
	memcpy(o + c->ascii_size, s, strlen(s));
	return o;
}

/* The location table: every code unit one line below the one before. */
static unsigned char *make_linetable(void)
{
	const struct pycode_layout *c = &info.code;
	unsigned char *o = zalloc(c->bytes_data + 2 * UNITS + 1);

	put64(o, c->bytes_size, 2 * UNITS);
	for (int i = 0; i < UNITS; i++) {
		o[c->bytes_data + 2 * i] = 0x80 | 13 << 3; /* no columns, one unit */
		o[c->bytes_data + 2 * i + 1] = 2;	  /* line delta +1 */
	}
	return o;
}

/* A code object whose co_tlbc has ncopies copies of its bytecode, copy 0 its own. */
static unsigned char *make_code(const char *name, int firstlineno, int ncopies)
{
	const struct pyprof_layout *l = &info.layout;
	const struct pycode_layout *c = &info.code;
	unsigned char *code = zalloc(l->code_adaptive + 2 * UNITS);
	unsigned char *arr = zalloc(l->tlbc_entries + 8 * (size_t)ncopies);

	put64(code, c->co_qualname, (unsigned long long)make_str(name));
	put64(code, c->co_name, (unsigned long long)make_str(name));
	put64(code, c->co_filename, (unsigned long long)make_str(FILENAME));
	put64(code, c->co_linetable, (unsigned long long)make_linetable());
	memcpy(code + c->co_firstlineno, &firstlineno, sizeof(firstlineno));
	put64(arr, 0, ncopies);
	put64(arr, l->tlbc_entries, (unsigned long long)(code + l->code_adaptive));
	for (int i = 1; i < ncopies; i++) {
		/* Each copy in a page of its own: far from co_code_adaptive. */
		void *copy = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

		if (copy == MAP_FAILED) {
			perror("fakeft: mmap");
			exit(1);
		}
		put64(arr, l->tlbc_entries + 8 * i, (unsigned long long)copy);
	}
	put64(code, l->code_tlbc, (unsigned long long)arr);
	return code;
}

/* The start of copy idx of code's bytecode (copy 0 if idx is past the copies). */
static unsigned long long bytecode(const unsigned char *code, int idx)
{
	const struct pyprof_layout *l = &info.layout;
	unsigned long long arr, n, entry;

	memcpy(&arr, code + l->code_tlbc, 8);
	memcpy(&n, (void *)arr, 8);
	memcpy(&entry, (unsigned char *)arr + l->tlbc_entries + 8 * (idx < (int)n ? idx : 0), 8);
	return entry;
}

/* Frame slot i of a thread's stack (0: the entry frame), pointing at unit of copy idx. */
static unsigned char *make_frame(unsigned char *stack, int i, unsigned char *prev,
				 const unsigned char *code, int idx, int unit)
{
	const struct pyprof_layout *l = &info.layout;
	unsigned char *f = stack + i * FRAME_STRIDE;

	put64(f, l->frame_back, (unsigned long long)prev);
	if (!code) {
		f[l->frame_owner] = OWNER_INTERPRETER;
		return f;
	}
	/* f_executable is a _PyStackRef: tag bit 0 set, a deferred reference. */
	put64(f, l->frame_code, (unsigned long long)code | 1);
	put64(f, l->frame_instr, bytecode(code, idx) + 2ull * unit);
	memcpy(f + l->frame_tlbc_index, &idx, sizeof(idx));
	return f;
}

/* Puts the calling thread in the interpreter's thread list with the stack ending in leaf. */
static void register_thread(unsigned char *leaf)
{
	const struct pyprof_layout *l = &info.layout;
	unsigned char *ts = zalloc(4096);
	unsigned long long head;

	put64(ts, l->tstate_thread_id, (unsigned long long)pthread_self());
	put64(ts, info.code.tstate_native_tid, (unsigned long long)syscall(SYS_gettid));
	put64(ts, l->tstate_frame, (unsigned long long)leaf);
	pthread_mutex_lock(&list_lock);
	memcpy(&head, interp + l->interp_threads_head, 8);
	put64(ts, l->tstate_next, head);
	__atomic_store_n((unsigned long long *)(interp + l->interp_threads_head),
			 (unsigned long long)ts, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&list_lock);
	registered++;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void spin_until_deadline(void)
{
	volatile unsigned long x = 0;

	while (now() < deadline)
		for (int i = 0; i < 100000; i++)
			x++;
}

static unsigned char *code_run, *code_spin, *code_main;

static void *thread_main(void *arg)
{
	int t = (int)(long)arg, idx = t ? t : BAD_INDEX;
	unsigned char *stack = aligned_alloc(4096, 4096), *entry, *run;

	memset(stack, 0, 4096);
	entry = make_frame(stack, 0, NULL, NULL, 0, 0);
	run = make_frame(stack, 1, entry, code_run, t ? t : 1, RUN_UNIT);
	register_thread(make_frame(stack, 2, run, code_spin, idx, SPIN_UNIT + t));
	spin_until_deadline();
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[1]) : 0;
	pthread_t th[MAX_THREADS + 1];
	unsigned char *stack;

	if (n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "usage: fakeft NTHREADS(1-%d) SECONDS\n", MAX_THREADS);
		return 2;
	}
	Py_Initialize();
	if (pyinterp__parse_debug_offsets(_PyRuntime, DEBUG_OFFSETS_SIZE, &info) ||
	    info.layout.frame_tlbc_index < 0) {
		fprintf(stderr, "fakeft: not a free-threaded 3.14+ layout: %s\n", info.why);
		return 1;
	}
	deadline = now() + atof(argv[2]);
	interp = zalloc(info.layout.interp_threads_head + 4096);
	put64(_PyRuntime, info.layout.runtime_interp_head, (unsigned long long)interp);
	code_run = make_code("run", RUN_FIRST, n + 1);
	code_spin = make_code("spin", SPIN_FIRST, n + 1);
	code_main = make_code("main", MAIN_FIRST, 1);
	stack = aligned_alloc(4096, 4096);
	memset(stack, 0, 4096);
	register_thread(make_frame(stack, 1, make_frame(stack, 0, NULL, NULL, 0, 0), code_main, 0,
				   MAIN_UNIT));
	/* Thread 0 is the one with the bad index. */
	for (long t = 0; t <= n; t++)
		if (pthread_create(&th[t], NULL, thread_main, (void *)t)) {
			perror("fakeft: pthread_create");
			return 1;
		}
	while (registered < n + 2)
		usleep(1000);
	printf("ready\n");
	fflush(stdout);
	spin_until_deadline();
	for (int t = 0; t <= n; t++)
		pthread_join(th[t], NULL);
	return 0;
}
