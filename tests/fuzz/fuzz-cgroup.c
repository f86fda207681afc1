// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: cgroup__parse() over arbitrary /proc/PID/cgroup text (not
 * NUL-terminated), then its labels through list's escaped field and back.
 * Checks: every span lies inside the input, the labels pack into a valid
 * set, and proclabel__parse_field() reads back exactly what
 * proclabel__format() wrote.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "base/strbuf.h"
#include "profile/proclabel.h"
#include "target/cgroup.h"

static void check_span(const struct cgroup_span *s, const char *text, size_t size)
{
	FUZZ_CHECK(!s->len || (s->s >= text && s->s + s->len <= text + size));
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct proclabel_builder b = { 0 };
	struct proclabel *l = NULL, *back = NULL;
	struct strbuf out = { 0 };
	char *text = fuzz__dup(data, size);
	struct cgroup_info ci;
	size_t nr = 0, nr_back = 0;

	if (cgroup__parse(text, size, &ci) == 0) {
		check_span(&ci.path, text, size);
		check_span(&ci.unit, text, size);
		check_span(&ci.user_unit, text, size);
		check_span(&ci.container, text, size);
		cgroup__add_labels(&ci, &b);
		FUZZ_CHECK(proclabel_builder__pack(&b, &l, &nr) == 0);
		FUZZ_CHECK(proclabel__valid_set(l, nr));
		FUZZ_CHECK(proclabel__format(&out, l, nr) == 0);
		FUZZ_CHECK(proclabel__parse_field(out.buf ?: "", out.len, &back, &nr_back) == 0);
		FUZZ_CHECK(nr_back == nr);
		for (size_t i = 0; i < nr; i++)
			FUZZ_CHECK(!strcmp(l[i].key, back[i].key) &&
				   !strcmp(l[i].value, back[i].value));
	} else {
		FUZZ_CHECK(!ci.path.len && !ci.unit.len && !ci.user_unit.len && !ci.container.len);
	}
	/* The input as a field: whatever parses is a valid set. */
	free(back);
	back = NULL;
	if (proclabel__parse_field(text, size, &back, &nr_back) == 0)
		FUZZ_CHECK(proclabel__valid_set(back, nr_back));
	free(back);
	free(l);
	strbuf__done(&out);
	free(text);
	return 0;
}
