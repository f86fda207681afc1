/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procns: a task's ids in the pid namespaces it is in, from the NSpid line
 * of its status file.  The line lists them outermost first: the first as
 * this /proc's namespace numbers the task, the last as its own namespace
 * does (what gettid() returns inside it, and CPython records).
 */
#ifndef PYPROF_PROCNS_H
#define PYPROF_PROCNS_H

#include <stddef.h>

/*
 * Parses the text of a status file (len bytes, need not be NUL-terminated)
 * for the first and last ids of its NSpid line.  Returns 0, or -ENOENT
 * when it has no NSpid line, -EINVAL when that line holds no id or one
 * that is not a positive int.
 */
int procns__parse(const char *text, size_t len, long *ret_first, long *ret_last);

/*
 * Reads /proc/PID/task/TID/status, or /proc/PID/status for tid 0, and parses
 * it as procns__parse() does.  Returns its errors, or -ESRCH when the task
 * is gone, -errno for another failure to read.
 */
int procns__read(int pid, long tid, long *ret_first, long *ret_last);

#endif /* PYPROF_PROCNS_H */
