// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for process labels: the rules, the builder, and list's escaped field both ways. */
#include <errno.h>
#include "testhelp.h"
#include "base/strbuf.h"
#include "profile/proclabel.h"

static char *format(const struct proclabel *l, size_t nr)
{
	struct strbuf out = { 0 };

	ASSERT_OK(proclabel__format(&out, l, nr));
	ASSERT_OK(strbuf__append(&out, "", 0));
	return strbuf__detach(&out, NULL) ?: strdup("");
}

TEST(keys)
{
	ASSERT_TRUE(proclabel__valid_key("unit", 4));
	ASSERT_TRUE(proclabel__valid_key("user_unit2", 10));
	ASSERT_TRUE(!proclabel__valid_key("", 0));
	ASSERT_TRUE(!proclabel__valid_key("2x", 2));
	ASSERT_TRUE(!proclabel__valid_key("Unit", 4));
	ASSERT_TRUE(!proclabel__valid_key("a=b", 3));
	ASSERT_TRUE(!proclabel__valid_key("a-b", 3));
}

TEST(builder_sorts_and_packs)
{
	struct proclabel_builder b = { 0 };
	struct proclabel *l;
	size_t nr;

	proclabel_builder__add(&b, "unit", "x.service-and-more", 9);
	proclabel_builder__add(&b, "cgroup", "/system.slice/x.service", 23);
	proclabel_builder__add(&b, "empty", "", 0);
	proclabel_builder__add(&b, "container", NULL, 0);
	ASSERT_OK(proclabel_builder__pack(&b, &l, &nr));
	ASSERT_EQ(nr, 4);
	ASSERT_TRUE(proclabel__valid_set(l, nr));
	ASSERT_STREQ(l[0].key, "cgroup");
	ASSERT_STREQ(l[0].value, "/system.slice/x.service");
	ASSERT_STREQ(l[1].key, "container");
	ASSERT_STREQ(l[1].value, "");
	ASSERT_STREQ(l[2].key, "empty");
	ASSERT_STREQ(l[3].key, "unit");
	ASSERT_STREQ(l[3].value, "x.service");
	ASSERT_STREQ(proclabel__get(l, nr, "unit"), "x.service");
	ASSERT_TRUE(proclabel__get(l, nr, "units") == NULL);
	free(l); /* one block */
	/* Empty: NULL, 0. */
	b = (struct proclabel_builder){ 0 };
	l = (struct proclabel *)&b;
	ASSERT_OK(proclabel_builder__pack(&b, &l, &nr));
	ASSERT_TRUE(l == NULL);
	ASSERT_EQ(nr, 0);
}

TEST(builder_rejects)
{
	struct proclabel_builder b = { 0 };
	struct proclabel *l;
	char big[PROCLABEL_MAX_VALUE + 1];
	size_t nr;

	proclabel_builder__add(&b, "a", "1", 1);
	proclabel_builder__add(&b, "a", "2", 1);
	ASSERT_EQ(proclabel_builder__pack(&b, &l, &nr), -EINVAL);
	ASSERT_TRUE(l == NULL);
	b = (struct proclabel_builder){ 0 };
	proclabel_builder__add(&b, "a", "x\0y", 3);
	ASSERT_EQ(b.err, -EINVAL);
	b = (struct proclabel_builder){ 0 };
	proclabel_builder__add(&b, "A", "x", 1);
	ASSERT_EQ(proclabel_builder__pack(&b, &l, &nr), -EINVAL);
	b = (struct proclabel_builder){ 0 };
	memset(big, 'v', sizeof(big));
	proclabel_builder__add(&b, "a", big, PROCLABEL_MAX_VALUE);
	ASSERT_OK(b.err);
	proclabel_builder__add(&b, "b", big, PROCLABEL_MAX_VALUE + 1);
	ASSERT_EQ(proclabel_builder__pack(&b, &l, &nr), -E2BIG);
	b = (struct proclabel_builder){ 0 };
	for (int i = 0; i < PROCLABEL_MAX + 1; i++) {
		static const char *const keys[] = { "k0", "k1", "k2", "k3", "k4", "k5",
						    "k6", "k7", "k8", "k9", "ka", "kb",
						    "kc", "kd", "ke", "kf", "kg" };

		proclabel_builder__add(&b, keys[i], "v", 1);
	}
	ASSERT_EQ(b.nr, PROCLABEL_MAX);
	ASSERT_EQ(proclabel_builder__pack(&b, &l, &nr), -E2BIG);
}

TEST(dup_set)
{
	const struct proclabel in[] = { { "a", "1" }, { "b", "two" } };
	struct proclabel *l;
	size_t nr;

	ASSERT_OK(proclabel__dup_set(in, 2, &l, &nr));
	ASSERT_EQ(nr, 2);
	ASSERT_TRUE(l[1].value != in[1].value);
	ASSERT_STREQ(l[1].value, "two");
	free(l);
}

TEST(format_plain)
{
	const struct proclabel l[] = { { "cgroup", "/system.slice/x.service" },
				       { "unit", "x.service" } };
	char *s = format(l, 2);

	ASSERT_STREQ(s, "cgroup=/system.slice/x.service,unit=x.service");
	free(s);
	s = format(l, 0);
	ASSERT_STREQ(s, "");
	free(s);
}

TEST(format_escapes)
{
	const struct proclabel l[] = {
		{ "a", "x,y=z\\w" },
		{ "b", "t\tn\ne\033[31m\x7f\x01" },
		{ "c", "caf\xc3\xa9 \xc2\x85 \xff\xc3" },
		{ "d", "" },
	};
	char *s = format(l, 4);

	ASSERT_STREQ(s, "a=x\\,y\\=z\\\\w,b=t\\tn\\ne\\x1b[31m\\x7f\\x01,"
			"c=caf\xc3\xa9 \\xc2\\x85 \\xff\\xc3,d=");
	ASSERT_TRUE(!strchr(s, '\t') && !strchr(s, '\n') && !strchr(s, '\033'));
	free(s);
}

/* What format writes, parse reads back exactly. */
TEST(round_trip)
{
	static const char *const values[] = {
		"", "plain", ",", "=", "\\", "\\x41", "a\tb\nc", "\x01\x1f\x7f", "\xc2\x80\xc2\x9f",
		"\xe2\x82\xac", "\xff\xfe", "\xc3", "/user.slice/a,b=c\\d\te", "==,,\\\\",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const struct proclabel in[] = { { "k", values[i] }, { "z", "end" } };
		struct proclabel *l;
		size_t nr;
		char *s = format(in, 2);

		ASSERT_OK(proclabel__parse_field(s, strlen(s), &l, &nr));
		ASSERT_EQ(nr, 2);
		ASSERT_STREQ(l[0].key, "k");
		ASSERT_STREQ(l[0].value, values[i]);
		ASSERT_STREQ(l[1].value, "end");
		free(l);
		free(s);
	}
}

static void bad_field(const char *s)
{
	struct proclabel *l = (struct proclabel *)1;
	size_t nr = 1;

	ASSERT_EQ(proclabel__parse_field(s, strlen(s), &l, &nr), -EINVAL);
	ASSERT_TRUE(l == NULL);
	ASSERT_EQ(nr, 0);
}

TEST(parse_rejects)
{
	struct proclabel *l;
	size_t nr;

	ASSERT_OK(proclabel__parse_field("", 0, &l, &nr));
	ASSERT_EQ(nr, 0);
	bad_field("a");
	bad_field("a=1,");
	bad_field(",a=1");
	bad_field("a=1=2");
	bad_field("a=\\q");
	bad_field("a=\\");
	bad_field("a=\\x4");
	bad_field("a=\\x4g");
	bad_field("a=\\x00");		/* no NUL in a value */
	bad_field("B=1");
	bad_field("b=1,a=2");		/* sorted */
	bad_field("a=1,a=2");
	bad_field("a\\=b=1");
	bad_field("k0=,k1=,k2=,k3=,k4=,k5=,k6=,k7=,k8=,k9=,ka=,kb=,kc=,kd=,ke=,kf=,kg=");
}
