// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for fmt_pprof: gunzips and decodes the profile.proto it writes. */
#include <errno.h>
#include <zlib.h>
#include "testhelp.h"
#include "render/formats.h"
#include "base/strbuf.h"

/* A decoded Profile: just the fields fmt_pprof writes. */
#define MAX_ITEMS 64
#define MAX_STACK 16

struct dsample {
	uint64_t locs[MAX_STACK];
	size_t nr_locs;
	int64_t values[4];
	size_t nr_values;
};

struct dprofile {
	char *strings[MAX_ITEMS];
	size_t nr_strings;
	int64_t sample_type[4][2];
	size_t nr_sample_types;
	struct dsample samples[MAX_ITEMS];
	size_t nr_samples;
	struct { uint64_t id, mapping, func, line; size_t nr_lines; } locs[MAX_ITEMS];
	size_t nr_locs;
	struct { uint64_t id, name, system_name, file; } funcs[MAX_ITEMS];
	size_t nr_funcs;
	uint64_t mapping[10];	/* by field number */
	size_t nr_mappings;
	int64_t time_nanos, duration_nanos, period;
	int64_t period_type[2];
};

struct reader {
	const unsigned char *p, *end;
};

static uint64_t rd_varint(struct reader *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			TEST_FAIL("truncated varint");
		v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			return v;
	}
	TEST_FAIL("varint too long");
}

/* Reads one field key; returns 0 at the end of the message. */
static int rd_key(struct reader *r, unsigned int *field, unsigned int *wire)
{
	uint64_t k;

	if (r->p >= r->end)
		return 0;
	k = rd_varint(r);
	*field = (unsigned int)(k >> 3);
	*wire = (unsigned int)(k & 7);
	if (*field == 0 || (*wire != 0 && *wire != 2))
		TEST_FAIL("bad key %" PRIu64, k);
	return 1;
}

static struct reader rd_sub(struct reader *r)
{
	uint64_t len = rd_varint(r);
	struct reader sub = { r->p, r->p + len };

	if (len > (uint64_t)(r->end - r->p))
		TEST_FAIL("truncated field of %" PRIu64 " bytes", len);
	r->p += len;
	return sub;
}

/* A repeated integer field, packed (wire 2) or not (wire 0). */
static void rd_repeated(struct reader *r, unsigned int wire, uint64_t *v, size_t *nr, size_t max)
{
	struct reader sub;

	if (wire == 0) {
		if (*nr >= max)
			TEST_FAIL("too many values");
		v[(*nr)++] = rd_varint(r);
		return;
	}
	sub = rd_sub(r);
	while (sub.p < sub.end) {
		if (*nr >= max)
			TEST_FAIL("too many values");
		v[(*nr)++] = rd_varint(&sub);
	}
}

static void rd_value_type(struct reader *r, int64_t vt[2])
{
	struct reader sub = rd_sub(r);
	unsigned int f, w;

	while (rd_key(&sub, &f, &w)) {
		uint64_t v = rd_varint(&sub);

		if (f == 1 || f == 2)
			vt[f - 1] = (int64_t)v;
	}
}

static void decode(const struct strbuf *gz, size_t start, struct dprofile *d)
{
	static unsigned char raw[1 << 20];
	struct reader r = { raw, raw };
	z_stream zs;
	unsigned int f, w;

	memset(d, 0, sizeof(*d));
	memset(&zs, 0, sizeof(zs));
	ASSERT_TRUE(gz->len > start + 2);
	/* gzip magic, then inflate with gzip (not zlib) framing. */
	ASSERT_EQ((unsigned char)gz->buf[start], 0x1f);
	ASSERT_EQ((unsigned char)gz->buf[start + 1], 0x8b);
	ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz->buf + start;
	zs.avail_in = (uInt)(gz->len - start);
	zs.next_out = raw;
	zs.avail_out = sizeof(raw);
	ASSERT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
	ASSERT_EQ(zs.avail_in, 0);
	r.end = raw + zs.total_out;
	inflateEnd(&zs);

	while (rd_key(&r, &f, &w)) {
		struct reader sub;
		unsigned int sf, sw;

		switch (f) {
		case 1:
			ASSERT_TRUE(d->nr_sample_types < 4);
			rd_value_type(&r, d->sample_type[d->nr_sample_types++]);
			break;
		case 2: {
			struct dsample *s = &d->samples[d->nr_samples++];

			ASSERT_TRUE(d->nr_samples <= MAX_ITEMS);
			sub = rd_sub(&r);
			while (rd_key(&sub, &sf, &sw)) {
				uint64_t *values = (uint64_t *)s->values;

				if (sf == 1)
					rd_repeated(&sub, sw, s->locs, &s->nr_locs, MAX_STACK);
				else if (sf == 2)
					rd_repeated(&sub, sw, values, &s->nr_values, 4);
				else
					TEST_FAIL("unexpected Sample field %u", sf);
			}
			break;
		}
		case 3:
			d->nr_mappings++;
			sub = rd_sub(&r);
			while (rd_key(&sub, &sf, &sw)) {
				uint64_t v = rd_varint(&sub);

				if (sf < 10)
					d->mapping[sf] = v;
			}
			break;
		case 4: {
			size_t i = d->nr_locs++;

			ASSERT_TRUE(d->nr_locs <= MAX_ITEMS);
			sub = rd_sub(&r);
			while (rd_key(&sub, &sf, &sw)) {
				if (sf == 1) {
					d->locs[i].id = rd_varint(&sub);
				} else if (sf == 2) {
					d->locs[i].mapping = rd_varint(&sub);
				} else if (sf == 4) {
					struct reader line = rd_sub(&sub);
					unsigned int lf, lw;

					d->locs[i].nr_lines++;
					while (rd_key(&line, &lf, &lw)) {
						uint64_t v = rd_varint(&line);

						if (lf == 1)
							d->locs[i].func = v;
						else if (lf == 2)
							d->locs[i].line = v;
					}
				} else {
					TEST_FAIL("unexpected Location field %u", sf);
				}
			}
			break;
		}
		case 5: {
			size_t i = d->nr_funcs++;

			ASSERT_TRUE(d->nr_funcs <= MAX_ITEMS);
			sub = rd_sub(&r);
			while (rd_key(&sub, &sf, &sw)) {
				uint64_t v = rd_varint(&sub);

				if (sf == 1)
					d->funcs[i].id = v;
				else if (sf == 2)
					d->funcs[i].name = v;
				else if (sf == 3)
					d->funcs[i].system_name = v;
				else if (sf == 4)
					d->funcs[i].file = v;
			}
			break;
		}
		case 6:
			sub = rd_sub(&r);
			ASSERT_TRUE(d->nr_strings < MAX_ITEMS);
			d->strings[d->nr_strings++] =
				strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
			break;
		case 9:
			d->time_nanos = (int64_t)rd_varint(&r);
			break;
		case 10:
			d->duration_nanos = (int64_t)rd_varint(&r);
			break;
		case 11:
			rd_value_type(&r, d->period_type);
			break;
		case 12:
			d->period = (int64_t)rd_varint(&r);
			break;
		default:
			TEST_FAIL("unexpected Profile field %u", f);
		}
	}
}

static void dprofile_done(struct dprofile *d)
{
	for (size_t i = 0; i < d->nr_strings; i++)
		free(d->strings[i]);
}

static const char *str_at(const struct dprofile *d, uint64_t i)
{
	if (i >= d->nr_strings)
		TEST_FAIL("string index %" PRIu64 " out of %zu", i, d->nr_strings);
	return d->strings[i];
}

/* "name|file|line" of a location id, for comparing whole stacks at once. */
static void describe(const struct dprofile *d, uint64_t loc_id, char *buf, size_t size)
{
	for (size_t i = 0; i < d->nr_locs; i++) {
		if (d->locs[i].id != loc_id)
			continue;
		for (size_t j = 0; j < d->nr_funcs; j++) {
			if (d->funcs[j].id != d->locs[i].func)
				continue;
			snprintf(buf, size, "%s|%s|%" PRIu64, str_at(d, d->funcs[j].name),
				 str_at(d, d->funcs[j].file), d->locs[i].line);
			return;
		}
		TEST_FAIL("location %" PRIu64 ": no function %" PRIu64, loc_id, d->locs[i].func);
	}
	TEST_FAIL("no location %" PRIu64, loc_id);
}

static void render(const char *folded, const struct fmt_meta *m, struct dprofile *d)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, folded, strlen(folded)));
	ASSERT_OK(fmt_pprof__render(&ss, m, &out));
	decode(&out, 0, d);
	strbuf__done(&out);
	stackset__done(&ss);
}

static const char folded[] =
	"python3;<module> (/app/main.py:30);Worker.run (/app/w.py:12);hot (/app/w.py:5) 70\n"
	"python3;<module> (/app/main.py:30);Worker.run (/app/w.py:14);"
	"read_[k];do_syscall_64_[k] 20\n"
	"python3;[python: no Python frame] 9\n"
	"python3;<module> (/app/main.py:31);hot (/app/w.py:5) 1\n";

TEST(structure)
{
	struct fmt_meta m = { .rate_hz = 100 };
	struct dprofile d;

	render(folded, &m, &d);
	ASSERT_TRUE(d.nr_strings > 5);
	ASSERT_STREQ(d.strings[0], "");
	ASSERT_EQ(d.nr_sample_types, 2);
	ASSERT_STREQ(str_at(&d, d.sample_type[0][0]), "samples");
	ASSERT_STREQ(str_at(&d, d.sample_type[0][1]), "count");
	ASSERT_STREQ(str_at(&d, d.sample_type[1][0]), "cpu");
	ASSERT_STREQ(str_at(&d, d.sample_type[1][1]), "nanoseconds");
	ASSERT_STREQ(str_at(&d, d.period_type[0]), "cpu");
	ASSERT_STREQ(str_at(&d, d.period_type[1]), "nanoseconds");
	ASSERT_EQ(d.period, 10000000);
	ASSERT_EQ(d.time_nanos, 0);
	ASSERT_EQ(d.duration_nanos, 0);
	/* One mapping, symbolized: id, no file name (comm unknown), has functions, files, lines. */
	ASSERT_EQ(d.nr_mappings, 1);
	ASSERT_EQ(d.mapping[1], 1);
	ASSERT_EQ(d.mapping[5], 0);
	ASSERT_EQ(d.mapping[7], 1);
	ASSERT_EQ(d.mapping[8], 1);
	ASSERT_EQ(d.mapping[9], 1);
	/* Strings are unique. */
	for (size_t i = 0; i < d.nr_strings; i++)
		for (size_t j = i + 1; j < d.nr_strings; j++)
			ASSERT_TRUE(strcmp(d.strings[i], d.strings[j]) != 0);
	dprofile_done(&d);
}

TEST(samples_leaf_first)
{
	static const char *const want[][6] = {
		{ "hot|/app/w.py|5", "Worker.run|/app/w.py|12", "<module>|/app/main.py|30",
		  "python3||0" },
		{ "do_syscall_64|[kernel]|0", "read|[kernel]|0", "Worker.run|/app/w.py|14",
		  "<module>|/app/main.py|30", "python3||0" },
		{ "[python: no Python frame]||0", "python3||0" },
		{ "hot|/app/w.py|5", "<module>|/app/main.py|31", "python3||0" },
	};
	static const int64_t counts[] = { 70, 20, 9, 1 };
	struct fmt_meta m = { .rate_hz = 100 };
	struct dprofile d;
	char buf[256];

	render(folded, &m, &d);
	ASSERT_EQ(d.nr_samples, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct dsample *s = &d.samples[i];
		size_t n = 0;

		while (n < 6 && want[i][n])
			n++;
		ASSERT_EQ(s->nr_locs, n);
		ASSERT_EQ(s->nr_values, 2);
		ASSERT_EQ(s->values[0], counts[i]);
		ASSERT_EQ(s->values[1], counts[i] * 10000000);
		for (size_t j = 0; j < n; j++) {
			describe(&d, s->locs[j], buf, sizeof(buf));
			ASSERT_STREQ(buf, want[i][j]);
		}
	}
	dprofile_done(&d);
}

TEST(functions_and_locations)
{
	struct fmt_meta m = { .rate_hz = 100 };
	struct dprofile d;
	size_t nr_worker = 0, nr_hot = 0;

	render(folded, &m, &d);
	/* python3 <module> Worker.run hot read do_syscall_64 marker */
	ASSERT_EQ(d.nr_funcs, 7);
	/* ... at (process) (main:30) (main:31) (w:12) (w:14) (w:5) read do_sys marker */
	ASSERT_EQ(d.nr_locs, 9);
	for (size_t i = 0; i < d.nr_funcs; i++) {
		ASSERT_EQ(d.funcs[i].id, i + 1);
		/* pprof would "demangle" a system_name such as "<lambda>" to nothing. */
		ASSERT_EQ(d.funcs[i].system_name, 0);
	}
	for (size_t i = 0; i < d.nr_locs; i++) {
		ASSERT_EQ(d.locs[i].id, i + 1);
		ASSERT_EQ(d.locs[i].mapping, 1);
		ASSERT_EQ(d.locs[i].nr_lines, 1);
		ASSERT_TRUE(d.locs[i].func >= 1 && d.locs[i].func <= d.nr_funcs);
		if (!strcmp(str_at(&d, d.funcs[d.locs[i].func - 1].name), "Worker.run"))
			nr_worker++;
		if (!strcmp(str_at(&d, d.funcs[d.locs[i].func - 1].name), "hot"))
			nr_hot++;
	}
	/* One Function per (name, file), one Location per (function, line). */
	ASSERT_EQ(nr_worker, 2);
	ASSERT_EQ(nr_hot, 1);
	dprofile_done(&d);
}

TEST(same_name_other_file)
{
	const char *text = "p;f (a.py:1) 1\np;f (b.py:1) 2\np;f (a.py:2) 3\np;f_[k] 4\n";
	struct dprofile d;
	char buf[256];

	render(text, NULL, &d);
	ASSERT_EQ(d.nr_funcs, 4);
	ASSERT_EQ(d.nr_locs, 5);
	describe(&d, d.samples[1].locs[0], buf, sizeof(buf));
	ASSERT_STREQ(buf, "f|b.py|1");
	describe(&d, d.samples[3].locs[0], buf, sizeof(buf));
	ASSERT_STREQ(buf, "f|[kernel]|0");
	dprofile_done(&d);
}

TEST(unknown_rate_and_times)
{
	struct fmt_meta m = { .seconds = 60, .end_unix_ns = 1700000000000000000ull, .comm = "web" };
	struct dprofile d;

	render("p;f (a.py:1) 3\n", &m, &d);
	/* rate 0: pyprofd's default, 99 Hz. */
	ASSERT_EQ(d.period, 1000000000 / 99);
	ASSERT_EQ(d.samples[0].values[1], 3 * (1000000000 / 99));
	ASSERT_EQ(d.duration_nanos, 60000000000ll);
	ASSERT_EQ(d.time_nanos, 1700000000000000000ll - 60000000000ll);
	ASSERT_STREQ(str_at(&d, d.mapping[5]), "web");
	dprofile_done(&d);
}

/* The time views: one sample type in ns, the count as it is; wall's period is the sample's. */
TEST(time_views)
{
	struct fmt_meta m = { .rate_hz = 100, .mode = VIEW_MODE_WALL, .period_ns = 10000000 };
	struct dprofile d;

	render("p;f (a.py:1) 2000000000\np;g (a.py:2) 850\n", &m, &d);
	ASSERT_EQ(d.nr_sample_types, 1);
	ASSERT_STREQ(str_at(&d, d.sample_type[0][0]), "wall");
	ASSERT_STREQ(str_at(&d, d.sample_type[0][1]), "nanoseconds");
	ASSERT_STREQ(str_at(&d, d.period_type[0]), "wall");
	ASSERT_STREQ(str_at(&d, d.period_type[1]), "nanoseconds");
	ASSERT_EQ(d.period, 10000000);
	ASSERT_EQ(d.nr_samples, 2);
	ASSERT_EQ(d.samples[0].nr_values, 1);
	ASSERT_EQ(d.samples[0].values[0], 2000000000);
	ASSERT_EQ(d.samples[1].values[0], 850);
	dprofile_done(&d);
	m.mode = VIEW_MODE_OFFCPU;
	render("p;f (a.py:1) 2000000000\n", &m, &d);
	ASSERT_EQ(d.nr_sample_types, 1);
	ASSERT_STREQ(str_at(&d, d.sample_type[0][0]), "off_cpu");
	ASSERT_STREQ(str_at(&d, d.period_type[0]), "off_cpu");
	ASSERT_EQ(d.period, 0);
	ASSERT_EQ(d.samples[0].values[0], 2000000000);
	dprofile_done(&d);
	/* gil counts samples, as cpu does */
	m.mode = VIEW_MODE_GIL;
	render("p;f (a.py:1) 3\n", &m, &d);
	ASSERT_EQ(d.nr_sample_types, 2);
	ASSERT_STREQ(str_at(&d, d.sample_type[0][0]), "samples");
	ASSERT_EQ(d.samples[0].values[1], 30000000);
	dprofile_done(&d);
}

TEST(empty)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };
	struct dprofile d;

	ASSERT_OK(stackset__parse_folded(&ss, "", 0));
	ASSERT_OK(fmt_pprof__render(&ss, NULL, &out));
	decode(&out, 0, &d);
	ASSERT_EQ(d.nr_samples, 0);
	ASSERT_EQ(d.nr_locs, 0);
	ASSERT_EQ(d.nr_funcs, 0);
	ASSERT_EQ(d.nr_sample_types, 2);
	ASSERT_STREQ(d.strings[0], "");
	dprofile_done(&d);
	strbuf__done(&out);
	stackset__done(&ss);
}

TEST(appends_and_deterministic)
{
	struct stackset ss = { 0 };
	struct strbuf a = { 0 }, b = { 0 };
	struct fmt_meta m = { .rate_hz = 99, .seconds = 5 };
	struct dprofile d;

	ASSERT_OK(stackset__parse_folded(&ss, folded, strlen(folded)));
	ASSERT_OK(strbuf__puts(&a, "prefix"));
	ASSERT_OK(fmt_pprof__render(&ss, &m, &a));
	ASSERT_OK(fmt_pprof__render(&ss, &m, &b));
	ASSERT_TRUE(memcmp(a.buf, "prefix", 6) == 0);
	ASSERT_EQ(a.len, b.len + 6);
	ASSERT_TRUE(memcmp(a.buf + 6, b.buf, b.len) == 0);
	decode(&a, 6, &d);
	ASSERT_EQ(d.nr_samples, 4);
	dprofile_done(&d);
	strbuf__done(&a);
	strbuf__done(&b);
	stackset__done(&ss);
}

TEST(many_stacks)
{
	struct strbuf text = { 0 }, out = { 0 };
	struct stackset ss = { 0 };
	struct dprofile d;

	/* Enough distinct strings and locations to grow every table. */
	for (int i = 0; i < 2000; i++)
		ASSERT_OK(strbuf__printf(&text, "p;f%d (m%d.py:%d);g (x.py:%d) %d\n", i % 40, i % 7,
					 i, i % 300, i + 1));
	ASSERT_OK(stackset__parse_folded(&ss, text.buf, text.len));
	ASSERT_OK(fmt_pprof__render(&ss, NULL, &out));
	ASSERT_TRUE(out.len > 100);
	ASSERT_EQ((unsigned char)out.buf[0], 0x1f);
	strbuf__done(&out);
	stackset__done(&ss);
	strbuf__done(&text);
	/* A small one through the decoder, which holds only MAX_ITEMS of each. */
	render("p;a (x.py:1);b (x.py:2) 5\n", NULL, &d);
	ASSERT_EQ(d.samples[0].nr_locs, 3);
	dprofile_done(&d);
}
