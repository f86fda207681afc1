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
struct stackset;

/* Appends the encoded form of one frame name to out.  Returns 0 or -ENOMEM. */
int folded__encode_frame(struct strbuf *out, const char *name);

/*
 * Appends the folded text of ss to out: each stack's frames as
 * frame__label() writes them, encoded as above, one line per distinct
 * encoded line (stacks whose lines are equal merge), sorted bytewise.
 * Returns 0 or -ENOMEM (out as before).
 */
int fmt_folded__render(const struct stackset *ss, struct strbuf *out);

#endif /* PYPROF_FMT_FOLDED_H */
