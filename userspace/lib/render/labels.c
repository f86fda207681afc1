// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* labels: the text of every frame of a stackset, made once for a renderer. */
#include <errno.h>
#include <stdlib.h>
#include "render/labels.h"
#include "render/fmt_folded.h"

int labels__make(struct labels *l, const struct stackset *ss, bool folded)
{
	struct strbuf one = { 0 };
	int err = 0;

	*l = (struct labels){ 0 };
	l->off = malloc((ss->nr_frames ? ss->nr_frames : 1) * sizeof(*l->off));
	if (!l->off)
		return -ENOMEM;
	/* allocates: labels__get() of an empty set's text is never NULL */
	err = strbuf__append(&l->text, "", 0);
	for (size_t i = 0; i < ss->nr_frames && !err; i++) {
		l->off[i] = l->text.len;
		if (folded) {
			strbuf__reset(&one);
			err = frame__label(&ss->frames[i], &one) ?:
			      folded__encode_frame(&l->text, one.buf ? one.buf : "");
		} else {
			err = frame__label(&ss->frames[i], &l->text);
		}
		err = err ?: strbuf__append(&l->text, "", 1);
	}
	strbuf__done(&one);
	if (err)
		labels__done(l);
	return err;
}

void labels__done(struct labels *l)
{
	strbuf__done(&l->text);
	free(l->off);
	*l = (struct labels){ 0 };
}
