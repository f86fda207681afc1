// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl list, status and dump: the daemon's text replies, shown safely. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/textenc.h"
#include "base/util.h"
#include "ctl.h"

#define TABLE_MAX_COLS 16

/*
 * Prints the daemon's tab-separated table with aligned columns, each field
 * escaped for the terminal after the split: no byte of a field can make a
 * column, a row or a terminal sequence.
 */
static int print_table(const struct strbuf *text)
{
	size_t widths[TABLE_MAX_COLS] = { 0 }, nr = 0, cap = 0, at = 0;
	struct strbuf *cells = NULL, row = { 0 };
	size_t *ncols = NULL, nrows = 0, rcap = 0;
	int err = 0;

	/* Pass 1: split and escape every field, noting the column widths. */
	for (const char *p = text->buf, *end = p + text->len; p && p < end && !err; nrows++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)) ?: end;
		size_t col = 0;

		err = grow_array((void **)&ncols, &rcap, nrows + 1, sizeof(*ncols));
		for (const char *f = p, *t; !err && f <= nl && col < TABLE_MAX_COLS; f = t + 1, col++) {
			t = memchr(f, '\t', (size_t)(nl - f)) ?: nl;
			err = grow_array((void **)&cells, &cap, nr + 1, sizeof(*cells));
			if (err)
				break;
			memset(&cells[nr], 0, sizeof(cells[nr]));
			err = term__put_text(&cells[nr], f, (size_t)(t - f), NULL);
			if (cells[nr].len > widths[col])
				widths[col] = cells[nr].len;
			nr++;
		}
		if (!err)
			ncols[nrows] = col;
		p = nl + 1;
	}
	/* Pass 2: print, padding all but the last field of a row. */
	for (size_t r = 0; r < nrows && !err; r++) {
		strbuf__reset(&row);
		for (size_t col = 0; col < ncols[r] && !err; col++, at++)
			err = strbuf__printf(&row, "%s%-*s", col ? "  " : "",
					     col + 1 < ncols[r] ? (int)widths[col] : 0,
					     cells[at].buf ? cells[at].buf : "");
		while (row.len && row.buf[row.len - 1] == ' ')
			row.buf[--row.len] = '\0';
		if (!err && printf("%s\n", row.buf ? row.buf : "") < 0)
			err = -EIO;
	}
	for (size_t i = 0; i < nr; i++)
		strbuf__done(&cells[i]);
	free(cells);
	free(ncols);
	strbuf__done(&row);
	return err ?: fflush(stdout) ? -EIO : 0;
}

int verb_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct proto_request req;
	struct reply rep = { 0 };
	bool all = false;
	int c, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) >= 0) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			return verb_help(usage_list, false);
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	proto_request__init(&req, "list");
	if (all)
		(void)proto_request__add(&req, "all", "1");
	status = run_call(&req, &rep);
	if (!status && print_table(&rep.payload))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
}

/* A verb without options but --help. */
static int no_options(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
		return c == 'h' ? verb_help(usage, false) ?: -1 : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

int verb_status(int argc, char **argv)
{
	struct proto_request req;
	struct reply rep = { 0 };
	int status = no_options(argc, argv, usage_status);

	if (status)
		return status < 0 ? 0 : status;
	proto_request__init(&req, "status");
	status = run_call(&req, &rep);
	if (!status && term_write(stdout, rep.payload.buf, rep.payload.len, "\n"))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
}

int verb_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pid = NULL;
	struct proto_request req;
	struct reply rep = { 0 };
	long long v;
	int c, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &v))
				return EXIT_USAGE;
			pid = optarg;
			break;
		case 'h':
			return verb_help(usage_dump, false);
		default:
			return EXIT_USAGE;
		}
	}
	if (check_rest(argc, argv, "dump", pid))
		return EXIT_USAGE;
	proto_request__init(&req, "dump");
	if (proto_request__add(&req, "pid", pid))
		return EXIT_USAGE;
	status = run_call(&req, &rep);
	if (!status && term_write(stdout, rep.payload.buf, rep.payload.len, "\n"))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
}
