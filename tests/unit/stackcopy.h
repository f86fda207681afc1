/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * STACK_COPY(r, buf, size): what a sample would carry, taken where it is
 * written: rsp and rbp into *r, r->ip the address of a label there, and the
 * stack from rsp up copied into buf (at most size bytes, not past the top of
 * the thread's stack: the main thread's may hold less above rsp).  The
 * kernel copies (process_vm_readv), as BPF's copy is made: a memcpy() of the
 * raw stack reads other frames' redzones, an error to ASan.  r->len is 0 if
 * the copy failed.
 *
 * A macro, not a function: the registers, the label (&&) and so the
 * unwind's first frame must be the caller's.  A function would be a frame
 * of its own, and GCC does not inline one that takes a label's address.
 * Once per function: the label is its.
 */
#ifndef PYPROF_TEST_STACKCOPY_H
#define PYPROF_TEST_STACKCOPY_H
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>
#include "target/nativeunwind.h"

#define STACK_COPY(r, buf, size)                                                          \
	do {                                                                              \
		pthread_attr_t sc_attr;                                                   \
		struct iovec sc_local, sc_remote;                                         \
		size_t sc_size = 0;                                                       \
		void *sc_lo = NULL;                                                       \
		__u64 sc_sp, sc_bp, sc_top;                                               \
                                                                                          \
		__asm__ volatile("mov %%rsp, %0; mov %%rbp, %1" : "=r"(sc_sp), "=r"(sc_bp)); \
		if (pthread_getattr_np(pthread_self(), &sc_attr) == 0) {                  \
			pthread_attr_getstack(&sc_attr, &sc_lo, &sc_size);                \
			pthread_attr_destroy(&sc_attr);                                   \
		}                                                                         \
		sc_top = (__u64)(unsigned long)sc_lo + sc_size;                           \
		(r)->ip = (__u64)(unsigned long)&&stack_copy_here;                        \
stack_copy_here:                                                                          \
		(r)->sp = sc_sp;                                                          \
		(r)->bp = sc_bp;                                                          \
		(r)->len = sc_top > sc_sp && sc_top - sc_sp < (size) ? sc_top - sc_sp : (size); \
		sc_local = (struct iovec){ .iov_base = (buf), .iov_len = (r)->len };      \
		sc_remote = (struct iovec){ .iov_base = (void *)(unsigned long)sc_sp,     \
					    .iov_len = (r)->len };                        \
		if (process_vm_readv(getpid(), &sc_local, 1, &sc_remote, 1, 0) !=          \
		    (ssize_t)(r)->len)                                                    \
			(r)->len = 0;                                                     \
		(r)->stack = (buf);                                                       \
	} while (0)
#endif /* PYPROF_TEST_STACKCOPY_H */
