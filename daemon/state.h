/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: history kept on disk (--state-dir), one file per time window. */
#ifndef PYPROFD_STATE_H
#define PYPROFD_STATE_H

#include <linux/types.h>

struct config;
struct procs;
struct state;

/* What `status` shows of the state directory. */
struct state_stats {
	__u64 write_errors;	/* windows that could not be saved */
	__u64 files_bad;	/* files skipped at load: corrupt, or dated in the future */
};

/* History for the processes of procs, in cfg->state_dir if there is one.  NULL on ENOMEM. */
struct state *state__new(const struct config *cfg, struct procs *procs);
/* Closes the directory (state__flush() first to save what is open).  NULL is fine. */
void state__free(struct state *state);
void state__stats(const struct state *state, struct state_stats *ret);
/* Opens --state-dir and gives the history found there to its processes. 0 or -Exxx. */
int state__load(struct state *state);
/* Writes the windows that can no longer get samples, and removes expired files. */
void state__tick(struct state *state);
/* At exit: every window not written yet, the open ones included. */
void state__flush(struct state *state);

#endif /* PYPROFD_STATE_H */
