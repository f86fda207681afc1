/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nativeunwind: the native frames of a thread from a copy of the top of its
 * user stack and its ip/sp/bp (struct pyprof_native), unwound from the CFI
 * (.eh_frame, .debug_frame) of the process's ELF files by elfutils' libdw,
 * opened by the caller's native_open_fn or through /proc/PID/root.  Frames
 * come leaf first.
 */
#ifndef PYPROF_NATIVEUNWIND_H
#define PYPROF_NATIVEUNWIND_H
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define NATIVE_MAX_FRAMES 128	/* native frames kept per sample */
#define NATIVE_NAME_MAX	  192	/* bytes of a frame's name ("sym" or "module+0xoff") */

struct native_frame {
	__u64 pc;
	char name[NATIVE_NAME_MAX];	/* the symbol, or "module+0x<offset in the module>" */
	const char *module;		/* the ELF file's path in the process, or NULL */
	bool interp;			/* in the interpreter's own ELF (python, libpython) */
};

struct native_stack {
	struct native_frame frames[NATIVE_MAX_FRAMES];
	size_t nr;
	bool truncated;	/* the unwind stopped short of the outermost frame */
};

struct native_regs {
	__u64 ip, sp, bp;
	const __u8 *stack;	/* a copy of len bytes of the stack from sp */
	size_t len;
};

struct native_unwinder;
struct procmap;

/*
 * Opens for reading the file that mapping m of process pid maps (m->path as
 * maps shows it, " (deleted)" included): a descriptor (O_CLOEXEC), or -errno.
 */
typedef int native_open_fn(void *ctx, int pid, const struct procmap *m);

/*
 * proc_root: "/proc" normally.  open: how modules are opened, ctx its own;
 * NULL: <proc_root>/PID/root + path, and deleted files left out (their path
 * names another file, if any).  NULL on -ENOMEM (errno set).
 */
struct native_unwinder *native_unwinder__new(const char *proc_root, native_open_fn *open,
					     void *ctx);
void native_unwinder__free(struct native_unwinder *u);
/* Forgets what is kept of process pid (it exited or exec'd). */
void native_unwinder__forget(struct native_unwinder *u, int pid);
/*
 * Symbol tables read from an ELF file, found again by build-id (another
 * process's), and given a debug file's symbols (nativesyms.h).
 */
void native_unwinder__stats(const struct native_unwinder *u, __u64 *symtabs_built,
			    __u64 *symtabs_hits, __u64 *symtabs_debug);
/*
 * Unwinds thread tid of process pid from r into st.  0 (st->truncated says
 * whether the walk reached the outermost frame), -ENOENT (no ELF of the
 * process could be read), -ENOMEM.
 */
int native_unwinder__unwind(struct native_unwinder *u, int pid, int tid,
			    const struct native_regs *r, struct native_stack *st);
#endif /* PYPROF_NATIVEUNWIND_H */
