// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* infojson: status and list replies as JSON (infojson.h). */
#include <string.h>
#include "base/strbuf.h"
#include "base/textenc.h"
#include "render/infojson.h"

bool infojson__is_int(const char *s, size_t len)
{
	size_t i = len && s[0] == '-';

	if (i >= len || (s[i] == '0' && len - i > 1))
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int infojson__put_int_or_null(struct strbuf *out, const char *s, size_t len)
{
	return infojson__is_int(s, len) ? strbuf__append(out, s, len) : strbuf__puts(out, "null");
}

int infojson__status(const char *text, size_t len, struct strbuf *out)
{
	const char *p = text, *end = text + len;
	int err = strbuf__puts(out, "{");
	bool first = true;

	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)) ?: end;
		const char *sp = memchr(p, ' ', (size_t)(nl - p)) ?: nl;
		const char *v = sp < nl ? sp + 1 : nl;

		if (nl > p) {
			err = strbuf__puts(out, first ? "\n  " : ",\n  ") ?:
			      json__put_string(out, p, (size_t)(sp - p)) ?: strbuf__puts(out, ": ");
			if (!err && infojson__is_int(v, (size_t)(nl - v)))
				err = strbuf__append(out, v, (size_t)(nl - v));
			else if (!err)
				err = json__put_string(out, v, (size_t)(nl - v));
			first = false;
		}
		p = nl + 1;
	}
	return err ?: strbuf__puts(out, first ? "}\n" : "\n}\n");
}
