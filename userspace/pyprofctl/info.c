// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl list, status and dump: the daemon's text replies, shown safely. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "base/textenc.h"
#include "base/util.h"
#include "profile/proclabel.h"
#include "render/infojson.h"
#include "ctl.h"

#define TABLE_MAX_COLS 16
#define LIST_MAX_USER	64	/* bytes of a user name shown; longer ones show the uid */

/* Display columns of UTF-8 text s[0..len): one per character (terminal-escaped text). */
static size_t text_cols(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Bytes of UTF-8 text s[0..len) that fit in cols display columns. */
static size_t text_fit(const char *s, size_t len, size_t cols)
{
	size_t i = 0, n = 0;

	for (; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == cols)
			break;
	}
	return i;
}

/*
 * Prints a tab-separated table with aligned columns, each field escaped for
 * the terminal after the split: no byte of a field can make a column, a row
 * or a terminal sequence.  With width, each row is cut to width columns.
 */
static int print_table(const struct strbuf *text, size_t width)
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
			if (text_cols(cells[nr].buf, cells[nr].len) > widths[col])
				widths[col] = text_cols(cells[nr].buf, cells[nr].len);
			nr++;
		}
		if (!err)
			ncols[nrows] = col;
		p = nl + 1;
	}
	/* Pass 2: print, padding all but the last field of a row. */
	for (size_t r = 0; r < nrows && !err; r++) {
		strbuf__reset(&row);
		for (size_t col = 0; col < ncols[r] && !err; col++, at++) {
			const char *f = cells[at].buf ? cells[at].buf : "";
			size_t pad = 0;

			if (col + 1 < ncols[r])
				pad = widths[col] - text_cols(f, cells[at].len);
			err = strbuf__printf(&row, "%s%s%*s", col ? "  " : "", f, (int)pad, "");
		}
		/* As ps on a terminal: no row wraps (the last field is where it shows). */
		if (width && row.buf) {
			row.len = text_fit(row.buf, row.len, width);
			row.buf[row.len] = '\0';
		}
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

/* A field of list's reply: bytes of the payload, not NUL-terminated. */
struct span {
	const char *s;
	size_t len;
};

/* One row of list's reply, split at tabs. */
struct row {
	struct span f[TABLE_MAX_COLS];
	size_t n;
};

/* The columns of list's reply a client of this version shows (proto.h), by name. */
enum {
	COL_PID, COL_VERSION, COL_STATE, COL_SAMPLES, COL_COMM, COL_EXE, COL_NOTE, COL_LABELS,
	COL_UID, COL_START, COL_CPU, COL_CMDLINE, COL__MAX,
};
static const char *const col_names[COL__MAX] = {
	"PID", "VERSION", "STATE", "SAMPLES", "COMM", "EXE", "NOTE", "LABELS",
	"UID", "START_NS", "CPU_PERMILLE", "CMDLINE",
};

/* The rows of text (the header first), pointing into it.  0 or -ENOMEM. */
static int split_rows(const struct strbuf *text, struct row **ret, size_t *ret_nr)
{
	struct row *rows = NULL;
	size_t nr = 0, cap = 0;
	int err = 0;

	for (const char *p = text->buf, *end = p + text->len; p && p < end && !err; nr++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)) ?: end;

		err = grow_array((void **)&rows, &cap, nr + 1, sizeof(*rows));
		if (err)
			break;
		rows[nr].n = 0;
		for (const char *f = p, *t; f <= nl && rows[nr].n < TABLE_MAX_COLS; f = t + 1) {
			t = memchr(f, '\t', (size_t)(nl - f)) ?: nl;
			rows[nr].f[rows[nr].n++] = (struct span){ f, (size_t)(t - f) };
		}
		p = nl + 1;
	}
	if (err)
		free(rows);
	*ret = err ? NULL : rows;
	*ret_nr = err ? 0 : nr;
	return err;
}

/* What list shows of one process, from its row. */
struct proc_view {
	struct span col[COL__MAX];		/* empty for a column the daemon did not send */
	struct proclabel *labels;
	size_t nr_labels;
	char user[LIST_MAX_USER + 1];		/* "" when not known */
	char start[40], start_iso[96];		/* "" when not known */
	char cpu[32];				/* "" when not known */
};

static bool span_int(struct span sp, long long min, long long max, long long *ret)
{
	char num[24];

	if (!sp.len || sp.len >= sizeof(num))
		return false;
	memcpy(num, sp.s, sp.len);
	num[sp.len] = '\0';
	return parse_int_range(num, min, max, ret) == 0;
}

/* The user name of uid (its number when it has none, or one not fit to show). */
static void user_name(long long uid, char *buf, size_t sz)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw && pw->pw_name && *pw->pw_name && strlen(pw->pw_name) < sz)
		snprintf(buf, sz, "%s", pw->pw_name);
	else
		snprintf(buf, sz, "%lld", uid);
}

/*
 * The start time as ps's STIME (today: the time, to the second; else the
 * date) and as ISO 8601 with the local offset and milliseconds.
 */
static void start_time(long long ns, const struct tm *today, struct proc_view *v)
{
	time_t t = (time_t)(ns / (long long)NSEC_PER_SEC);
	struct tm tm;
	char off[24], base[32];
	long gmtoff;

	if (!localtime_r(&t, &tm))
		return;
	gmtoff = tm.tm_gmtoff;
	snprintf(off, sizeof(off), "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+',
		 labs(gmtoff) / 3600, labs(gmtoff) / 60 % 60);
	if (tm.tm_year == today->tm_year && tm.tm_yday == today->tm_yday)
		strftime(v->start, sizeof(v->start), "%H:%M:%S", &tm);
	else
		strftime(v->start, sizeof(v->start), "%Y-%m-%d", &tm);
	if (strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(v->start_iso, sizeof(v->start_iso), "%s.%03lld%s", base,
			 ns % (long long)NSEC_PER_SEC / (long long)NSEC_PER_MSEC, off);
}

/* The view of row r, whose columns are at idx (-1: not sent). */
static void proc_view(const struct row *r, const int *idx, const struct tm *today,
		      struct proc_view *v)
{
	long long n;

	memset(v, 0, sizeof(*v));
	for (int c = 0; c < COL__MAX; c++)
		if (idx[c] >= 0 && (size_t)idx[c] < r->n)
			v->col[c] = r->f[idx[c]];
	/* Unparseable labels (a daemon's bug): none, rather than no list. */
	if (proclabel__parse_field(v->col[COL_LABELS].s ?: "", v->col[COL_LABELS].len, &v->labels,
				   &v->nr_labels))
		v->nr_labels = 0;
	if (span_int(v->col[COL_UID], 0, 0xffffffffll, &n))
		user_name(n, v->user, sizeof(v->user));
	if (span_int(v->col[COL_START], 1, __LONG_LONG_MAX__, &n))
		start_time(n, today, v);
	if (span_int(v->col[COL_CPU], 0, __LONG_LONG_MAX__, &n))
		snprintf(v->cpu, sizeof(v->cpu), "%lld.%lld", n / 10, n % 10);
}

static const char *label(const struct proc_view *v, const char *key)
{
	return proclabel__get(v->labels, v->nr_labels, key);
}

/* A cell of the text table: escaped, "-" when empty. */
static int text_cell(struct strbuf *sb, const char *s, size_t len, bool last)
{
	int err = len ? term__put_text(sb, s, len, NULL) : strbuf__puts(sb, "-");

	return err ?: strbuf__puts(sb, last ? "\n" : "\t");
}

static int text_str(struct strbuf *sb, const char *s, bool last)
{
	return text_cell(sb, s ? s : "", s ? strlen(s) : 0, last);
}

static int text_span(struct strbuf *sb, struct span sp, bool last)
{
	return text_cell(sb, sp.s, sp.len, last);
}

/* The text table's columns: --wide's, and those left out when no process has a value. */
struct list_cols {
	bool wide, unit, container, note;
};

/* The header: the process's identity first, its command line last. */
static int text_header(struct strbuf *sb, const struct list_cols *lc)
{
	return strbuf__puts(sb, "PID\tVERSION\tSTATE\tSAMPLES\t%CPU\tUSER\tSTART\t") ?:
	       strbuf__puts(sb, lc->unit ? "UNIT\t" : "") ?:
	       strbuf__puts(sb, lc->container ? "CONTAINER\t" : "") ?:
	       strbuf__puts(sb, lc->wide ? "CGROUP\tCOMM\tEXE\tLABELS\t" : "") ?:
	       strbuf__puts(sb, lc->note ? "NOTE\tCOMMAND\n" : "COMMAND\n");
}

static int text_row(struct strbuf *sb, const struct proc_view *v, const struct list_cols *lc)
{
	const char *cid = label(v, "container");
	struct strbuf lab = { 0 };
	int err;

	err = text_span(sb, v->col[COL_PID], false) ?: text_span(sb, v->col[COL_VERSION], false) ?:
	      text_span(sb, v->col[COL_STATE], false) ?:
	      text_span(sb, v->col[COL_SAMPLES], false) ?: text_str(sb, v->cpu, false) ?:
	      text_str(sb, v->user, false) ?: text_str(sb, v->start, false);
	if (lc->unit)
		err = err ?: text_str(sb, label(v, "unit"), false);
	/* As docker ps shows ids: 12 characters (--wide and --json: all of it). */
	if (lc->container && cid)
		err = err ?: text_cell(sb, cid, lc->wide ? strlen(cid) : strnlen(cid, 12), false);
	else if (lc->container)
		err = err ?: text_str(sb, NULL, false);
	if (lc->wide) {
		err = err ?: proclabel__format(&lab, v->labels, v->nr_labels);
		err = err ?: text_str(sb, label(v, "cgroup"), false) ?:
		      text_span(sb, v->col[COL_COMM], false) ?:
		      text_span(sb, v->col[COL_EXE], false) ?:
		      text_cell(sb, lab.buf, lab.len, false);
		strbuf__done(&lab);
	}
	if (lc->note)
		err = err ?: text_span(sb, v->col[COL_NOTE], false);
	return err ?: text_span(sb, v->col[COL_CMDLINE], true);
}

static int json_span(struct strbuf *sb, const char *key, struct span sp, bool null_if_empty)
{
	int err = strbuf__printf(sb, ", \"%s\": ", key);

	if (!err && null_if_empty && !sp.len)
		return strbuf__puts(sb, "null");
	return err ?: json__put_string(sb, sp.s ?: "", sp.len);
}

static int json_str(struct strbuf *sb, const char *key, const char *s)
{
	return json_span(sb, key, (struct span){ s, s ? strlen(s) : 0 }, true);
}

/* One object of list --json: every column, numbers as numbers, what is not known null. */
static int json_row(struct strbuf *sb, const struct proc_view *v)
{
	int err = strbuf__puts(sb, "{\"pid\": ") ?:
		  infojson__put_int_or_null(sb, v->col[COL_PID].s, v->col[COL_PID].len);

	err = err ?: json_span(sb, "version", v->col[COL_VERSION], false) ?:
	      json_span(sb, "state", v->col[COL_STATE], false) ?:
	      strbuf__puts(sb, ", \"samples\": ") ?:
	      infojson__put_int_or_null(sb, v->col[COL_SAMPLES].s, v->col[COL_SAMPLES].len) ?:
	      strbuf__printf(sb, ", \"cpu_percent\": %s", *v->cpu ? v->cpu : "null") ?:
	      json_str(sb, "user", *v->user ? v->user : NULL) ?: strbuf__puts(sb, ", \"uid\": ") ?:
	      infojson__put_int_or_null(sb, v->col[COL_UID].s, v->col[COL_UID].len) ?:
	      json_str(sb, "start", *v->start_iso ? v->start_iso : NULL) ?:
	      json_str(sb, "unit", label(v, "unit")) ?:
	      json_str(sb, "container", label(v, "container")) ?:
	      json_str(sb, "cgroup", label(v, "cgroup")) ?:
	      json_span(sb, "comm", v->col[COL_COMM], false) ?:
	      json_span(sb, "exe", v->col[COL_EXE], false) ?:
	      json_span(sb, "note", v->col[COL_NOTE], false) ?:
	      json_span(sb, "command", v->col[COL_CMDLINE], true) ?:
	      strbuf__puts(sb, ", \"labels\": {");
	for (size_t i = 0; i < v->nr_labels && !err; i++)
		err = strbuf__puts(sb, i ? ", " : "") ?:
		      json__put_string(sb, v->labels[i].key, strlen(v->labels[i].key)) ?:
		      strbuf__puts(sb, ": ") ?:
		      json__put_string(sb, v->labels[i].value, strlen(v->labels[i].value));
	return err ?: strbuf__puts(sb, "}}");
}

/* The width to cut rows to: the terminal's when stdout is one, else 0 (whole rows). */
static size_t tty_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

/* The columns of list's reply by name (-1: not sent). */
static void find_cols(const struct row *hdr, int *idx)
{
	for (int c = 0; c < COL__MAX; c++) {
		idx[c] = -1;
		for (size_t i = 0; hdr && i < hdr->n; i++)
			if (hdr->f[i].len == strlen(col_names[c]) &&
			    !memcmp(hdr->f[i].s, col_names[c], hdr->f[i].len))
				idx[c] = (int)i;
	}
}

/* list's reply as the text table, or with json one JSON array. */
static int print_list(const struct strbuf *payload, bool json, bool wide)
{
	struct list_cols lc = { .wide = wide, .unit = wide, .container = wide, .note = wide };
	struct proc_view *views = NULL;
	struct strbuf sb = { 0 };
	struct row *rows = NULL;
	size_t nr = 0;
	int idx[COL__MAX], err;
	time_t now = time(NULL);
	struct tm today = { 0 };

	(void)localtime_r(&now, &today);
	err = split_rows(payload, &rows, &nr);
	find_cols(nr ? &rows[0] : NULL, idx);
	if (!err && nr > 1 && !(views = calloc(nr - 1, sizeof(*views))))
		err = -ENOMEM;
	for (size_t i = 1; i < nr && !err; i++) {
		proc_view(&rows[i], idx, &today, &views[i - 1]);
		lc.unit = lc.unit || label(&views[i - 1], "unit");
		lc.container = lc.container || label(&views[i - 1], "container");
		lc.note = lc.note || views[i - 1].col[COL_NOTE].len;
	}
	err = err ?: json ? strbuf__puts(&sb, "[") : text_header(&sb, &lc);
	for (size_t i = 1; i < nr && !err; i++) {
		if (json)
			err = strbuf__puts(&sb, i > 1 ? ",\n " : "\n ") ?:
			      json_row(&sb, &views[i - 1]);
		else
			err = text_row(&sb, &views[i - 1], &lc);
	}
	if (json)
		err = err ?: strbuf__puts(&sb, nr > 1 ? "\n]\n" : "]\n") ?:
		      write_all(sb.buf, sb.len);
	else
		err = err ?: print_table(&sb, wide ? 0 : tty_width());
	for (size_t i = 0; views && i + 1 < nr; i++)
		free(views[i].labels);
	free(views);
	free(rows);
	strbuf__done(&sb);
	return err;
}

int verb_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "wide", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char msg[PROTO_MAX_MESSAGE + 64] = "";
	struct proto_request req;
	struct reply rep = { 0 };
	bool all = false, json = false, wide = false;
	int c, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ajwh", opts, NULL)) >= 0) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'w':
			wide = true;
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
	(void)proto_request__add(&req, "identity", "1");
	status = call(&req, &rep, msg, sizeof(msg));
	/* A daemon older than the identity columns: the columns it has. */
	if (status && rep.err == -EINVAL) {
		proto_request__init(&req, "list");
		if (all)
			(void)proto_request__add(&req, "all", "1");
		status = run_call(&req, &rep);
	} else if (status) {
		print_error(*msg ? msg : "request failed");
	}
	if (!status && print_list(&rep.payload, json, wide))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
}

int verb_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct proto_request req;
	struct reply rep = { 0 };
	struct strbuf js = { 0 };
	bool json = false;
	int c, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) >= 0) {
		if (c == 'h')
			return verb_help(usage_status, false);
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	proto_request__init(&req, "status");
	status = run_call(&req, &rep);
	if (!status && json && (infojson__status(rep.payload.buf ?: "", rep.payload.len, &js) ||
				write_all(js.buf, js.len)))
		status = EXIT_ERROR;
	if (!status && !json && term_write(stdout, rep.payload.buf, rep.payload.len, "\n"))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	strbuf__done(&js);
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
