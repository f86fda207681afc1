/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fmt_folded: Brendan Gregg's FlameGraph "folded" format.
 *
 * One line per distinct stack: frames root first joined by ';', one space,
 * the sample count.  Lines are sorted bytewise, so the same profile always
 * renders the same text.  Frame names are made safe for flamegraph.pl:
 * ';' becomes ':', control characters become '?', a frame that would end in
 * whitespace plus a number (read as a second count) gets '_' for that
 * whitespace, and an empty name becomes "[unknown]".
 */
#ifndef PYPROF_FMT_FOLDED_H
#define PYPROF_FMT_FOLDED_H

#include <linux/types.h>
#include <stddef.h>

struct strbuf;
struct folded;

/* Appends the encoded form of one frame name to out.  Returns 0 or -ENOMEM. */
int folded__encode_frame(struct strbuf *out, const char *name);

/* An empty set of stacks; NULL with errno ENOMEM. */
struct folded *folded__new(void);

/* NULL is fine. */
void folded__free(struct folded *f);

/* Adds count samples of names[0..nr) (root first); equal stacks merge.  0 or -ENOMEM/-EINVAL. */
int folded__add(struct folded *f, const char *const *names, size_t nr, __u64 count);

/* Number of distinct stacks and total samples so far. */
size_t folded__nr_stacks(const struct folded *f);
__u64 folded__total(const struct folded *f);

/*
 * Calls fn for each stack in sorted order with its encoded line (without
 * count or newline).  Stops at fn's first non-zero return and returns it.
 */
int folded__foreach(struct folded *f, int (*fn)(const char *line, size_t len, __u64 count, void *arg),
		    void *arg);

/* Appends the sorted folded text to out.  Returns 0 or -ENOMEM. */
int folded__render(struct folded *f, struct strbuf *out);

#endif /* PYPROF_FMT_FOLDED_H */
