/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the current Python stack of every thread of a process, read from its memory now. */
#ifndef PYPROFD_DUMP_H
#define PYPROFD_DUMP_H

struct pyproc;
struct strbuf;

/*
 * Appends the current Python stack of every thread of a live process, read
 * from its memory now (leaf first, like py-spy dump).  0, -ESRCH when the
 * process is gone, -EFAULT when its memory does not hold what the layout
 * says, -ENOMEM.
 */
int dump__process(struct pyproc *p, struct strbuf *out);

#endif /* PYPROFD_DUMP_H */
