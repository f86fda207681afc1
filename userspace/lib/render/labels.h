/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* labels: the text of every frame of a stackset, made once for a renderer. */
#ifndef PYPROF_LABELS_H
#define PYPROF_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include "base/strbuf.h"
#include "profile/stacks.h"

struct labels {
	struct strbuf text;	/* the labels, each NUL-terminated */
	size_t *off;		/* frame index -> offset in text */
};

/*
 * frame__label() of every frame of ss, or with folded set its folded form
 * (folded__encode_frame()).  Returns 0 or -ENOMEM (l is then empty).
 */
int labels__make(struct labels *l, const struct stackset *ss, bool folded);

static inline const char *labels__get(const struct labels *l, __u32 frame)
{
	return l->text.buf + l->off[frame];
}

void labels__done(struct labels *l);

#endif /* PYPROF_LABELS_H */
