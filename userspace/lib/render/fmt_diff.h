/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fmt_diff: the differential folded format of FlameGraph's difffolded.pl,
 * what its flamegraph.pl draws as a differential flame graph.
 *
 * One line per stack of the union of two profiles, A (the baseline) and B:
 * the stack as fmt_folded writes it (fmt_folded.h: frames root first joined
 * by ';', names made safe), one space, A's count, one space, B's count; 0
 * where the stack is not in that profile.  Stacks are the folded lines'
 * text, as difffolded.pl keys them: stacks that fold to the same text are
 * one.  Lines are sorted bytewise by stack, so the same two profiles always
 * render the same text (difffolded.pl prints them in Perl's hash order).
 * With normalize, A's counts are scaled to B's total as difffolded.pl -n
 * does: floor(countA * totalB / totalA), when both totals are non-zero and
 * differ.
 */
#ifndef PYPROF_FMT_DIFF_H
#define PYPROF_FMT_DIFF_H

#include <stdbool.h>

struct strbuf;
struct stackset;

/*
 * Appends the differential folded text of a and b to out.  Returns 0,
 * -EINVAL (a or b NULL, or a total past 2^64: folded text of it would not
 * add up) or -ENOMEM; out is as before on error.
 */
int fmt_diff__render(const struct stackset *a, const struct stackset *b, bool normalize,
		     struct strbuf *out);

#endif /* PYPROF_FMT_DIFF_H */
