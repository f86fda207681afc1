/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the current Python stack of every thread of a process, read from its memory now. */
#ifndef PYPROFD_DUMP_H
#define PYPROFD_DUMP_H

struct ksyms;
struct pyproc;
struct sampler;
struct strbuf;

/* What a dump needs of the other modules. */
struct dump_deps {
	struct sampler *sampler;	/* the task iterator; NULL: /proc only */
	const struct ksyms *ksyms;	/* kernel function names; NULL: /proc's wchan */
};

/*
 * Appends, for every thread of a live process, a line saying what it does
 * now (on or off the CPU, for how long and in which kernel function, what
 * it does with the GIL) and its current Python stack, read from its memory
 * now (leaf first, like py-spy dump).  0, -ESRCH when the process is gone,
 * -EFAULT when its memory does not hold what the layout says, -ENOMEM.
 */
int dump__process(struct pyproc *p, const struct dump_deps *deps, struct strbuf *out);

#endif /* PYPROFD_DUMP_H */
