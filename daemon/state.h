/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: history kept on disk (--state-dir), one file per time window. */
#ifndef PYPROFD_STATE_H
#define PYPROFD_STATE_H

struct daemon;

/* Opens --state-dir and gives the history found there to its processes. 0 or -Exxx. */
int state__load(struct daemon *d);
/* Writes the windows that can no longer get samples, and removes expired files. */
void state__tick(struct daemon *d);
/* At exit: every window not written yet, the open ones included. */
void state__flush(struct daemon *d);

#endif /* PYPROFD_STATE_H */
