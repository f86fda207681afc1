// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: renders folded text from stdin in one of the output formats,
 * for tests that hand the result to the real consumers and for the golden
 * tests (tests/golden/).
 *   fmt_render FORMAT [RATE_HZ [PID COMM SECONDS DURATION_NS END_UNIX_NS [MODE PERIOD_NS]]]
 *              < folded > output
 * FORMAT is pprof, speedscope, svg, json or folded; RATE_HZ 0 (the default) is
 * unknown; the other fields fill struct fmt_meta (0 or "" = unknown); MODE is
 * the view the counts are of (cpu, wall, offcpu, gil: profile/view.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "render/formats.h"
#include "render/fmt_folded.h"
#include "base/strbuf.h"
#include "base/util.h"

/* The folded text the daemon would write for this set. */
static int render_folded(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	return fmt_folded__render(ss, out);
}

static const struct {
	const char *name;
	int (*render)(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);
} formats[] = {
	{ "pprof", fmt_pprof__render },
	{ "speedscope", fmt_speedscope__render },
	{ "svg", fmt_svg__render },
	{ "json", fmt_json__render },
	{ "folded", render_folded },
};

static int read_all(FILE *f, struct strbuf *sb)
{
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (strbuf__append(sb, buf, n))
			return -ENOMEM;
	return ferror(f) ? -EIO : 0;
}

int main(int argc, char **argv)
{
	struct strbuf in = { 0 }, out = { 0 };
	struct stackset ss = { 0 };
	struct fmt_meta m = { 0 };
	long long rate = 0, pid = 0, seconds = 0, duration = 0, end = 0, period = 0;
	size_t i;
	int err;

	if ((argc < 2 || argc > 3) && argc != 8 && argc != 10) {
		fprintf(stderr, "usage: fmt_render pprof|speedscope|svg|json|folded "
				"[RATE_HZ [PID COMM SECONDS DURATION_NS END_UNIX_NS "
				"[MODE PERIOD_NS]]] < folded\n");
		return 2;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(argv[1], formats[i].name))
			break;
	if (i == sizeof(formats) / sizeof(formats[0])) {
		fprintf(stderr, "fmt_render: unknown format '%s'\n", argv[1]);
		return 2;
	}
	if (argc >= 3 && parse_int_range(argv[2], 0, 1000000, &rate)) {
		fprintf(stderr, "fmt_render: invalid RATE_HZ '%s'\n", argv[2]);
		return 2;
	}
	if (argc == 10 && (view_mode__parse(argv[8], &m.mode) ||
			   parse_int_range(argv[9], 0, 1ll << 62, &period))) {
		fprintf(stderr, "fmt_render: invalid MODE or PERIOD_NS\n");
		return 2;
	}
	if (argc >= 8 && (parse_int_range(argv[3], 0, 0x7fffffff, &pid) ||
			  parse_int_range(argv[5], 0, 1ll << 40, &seconds) ||
			  parse_int_range(argv[6], 0, 1ll << 62, &duration) ||
			  parse_int_range(argv[7], 0, 1ll << 62, &end))) {
		fprintf(stderr, "fmt_render: invalid PID, SECONDS, DURATION_NS or END_UNIX_NS\n");
		return 2;
	}
	m.rate_hz = (__u32)rate;
	m.pid = (int)pid;
	m.comm = argc >= 8 && *argv[4] ? argv[4] : NULL;
	m.period_ns = (__u64)period;
	m.seconds = (__u64)seconds;
	m.duration_ns = (__u64)duration;
	m.end_unix_ns = (__u64)end;
	err = read_all(stdin, &in);
	if (err) {
		fprintf(stderr, "fmt_render: reading stdin: %s\n", strerror(-err));
		return 1;
	}
	err = stackset__parse_folded(&ss, in.buf ? in.buf : "", in.len);
	if (err) {
		fprintf(stderr, "fmt_render: parsing folded input: %s\n", strerror(-err));
		return 1;
	}
	err = formats[i].render(&ss, &m, &out);
	if (err) {
		fprintf(stderr, "fmt_render: rendering %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = fd__write_all(STDOUT_FILENO, out.buf ? out.buf : "", out.len);
	if (err) {
		fprintf(stderr, "fmt_render: writing: %s\n", strerror(-err));
		return 1;
	}
	strbuf__done(&out);
	stackset__done(&ss);
	strbuf__done(&in);
	return 0;
}
