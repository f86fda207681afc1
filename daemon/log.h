/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: logging to stderr, in a form journald reads the priority from. */
#ifndef PYPROFD_LOG_H
#define PYPROFD_LOG_H

#define LOG_ERR	  3
#define LOG_WARN  4
#define LOG_INFO  6
#define LOG_DEBUG 7

/* Set once, from the configuration: 0 no debug messages, 1 ours, 2 libbpf's as well. */
void log_set_verbose(int verbose);
int log_verbose(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* PYPROFD_LOG_H */
