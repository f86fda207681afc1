/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: ELF analysis on a worker thread, so a slow or crafted file never stalls the loop. */
#ifndef PYPROFD_ANALYZER_H
#define PYPROFD_ANALYZER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "target/pyinterp.h"
#include "mapfile.h"

#define PYPROFD_ANALYSIS_QUEUE_MAX 1024	/* ELF files waiting for the analysis worker */
#define ANALYSIS_INIT_FUNCS 2
/* The functions whose start is an interpreter's: the init uprobes go there. */
extern const char *const analysis_init_funcs[ANALYSIS_INIT_FUNCS];

struct elf_file;

/* One ELF file to analyse, then the result (the worker's between submit and take). */
struct analysis {
	struct mapfile_ref ref;		/* the file, and the identity it is known by */
	enum mapfile_via via;		/* how it was opened */
	bool unopened;			/* it was not: err says why, nothing about the file */
	int err;			/* 0 Python, -ENOENT not Python, else why not known */
	struct elf_file *ef;		/* Python: kept open, the taker's */
	struct pyinterp_info info;
	bool needs_libpython;		/* not Python, but DT_NEEDED names a libpython */
	__u64 init_offset[ANALYSIS_INIT_FUNCS];	/* file offsets of the init functions, 0 = none */
	struct analysis *next;
};

struct analyzer;
/* Starts the worker thread (signals must be blocked already).  NULL with errno set. */
struct analyzer *analyzer__new(void);
/* The eventfd that is readable when results are waiting. */
int analyzer__fd(const struct analyzer *an);
/* Queues a job: 0, or -EBUSY when PYPROFD_ANALYSIS_QUEUE_MAX are queued. */
int analyzer__submit(struct analyzer *an, struct analysis *a);
/* Finished jobs, oldest first (a list through ->next), the caller's to free. */
struct analysis *analyzer__take(struct analyzer *an);
/* Jobs queued or in progress. */
size_t analyzer__queued(struct analyzer *an);
void analysis__free(struct analysis *a);
/* Stops the worker (after the job in progress) and frees what is queued. NULL is fine. */
void analyzer__free(struct analyzer *an);

#endif /* PYPROFD_ANALYZER_H */
