/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* infojson: pyprofd's text replies of status and list as JSON values (pyprofctl --json). */
#ifndef PYPROF_INFOJSON_H
#define PYPROF_INFOJSON_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* Whether s[0..len) is an integer as pyprofd writes them, so a JSON number: -?(0|[1-9][0-9]*). */
bool infojson__is_int(const char *s, size_t len);

/*
 * status's reply, lines "key value", as one JSON object with every key in its
 * order: a value that is an integer as a number, any other as a string (any
 * bytes: json__put_string()'s escaping), a line without a value as "".  Empty
 * lines are skipped; a key given twice keeps both (the daemon never does).
 * 0 or -ENOMEM.
 */
int infojson__status(const char *text, size_t len, struct strbuf *out);

/* s[0..len) as a JSON number when infojson__is_int(), else as null.  0 or -ENOMEM. */
int infojson__put_int_or_null(struct strbuf *out, const char *s, size_t len);

#endif /* PYPROF_INFOJSON_H */
