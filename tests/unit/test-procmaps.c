// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for procmaps: fixture lines, malformed lines and the maps of this process. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/procmaps.h"

static const char fixture[] =
	"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00651000-00652000 r--p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00e03000-00e24000 rw-p 00000000 00:00 0                                  [heap]\n"
	"7f2c2c000000-7f2c2c021000 rw-p 00000000 00:00 0 \n"
	"7f2c34000000-7f2c34001000 ---p 00000000 00:00 0\n"
	"7f1e0a200000-7f1e0a228000 r--s 00001000 103:1f 2886203    /tmp/my dir/lib  two.so\n"
	"7f1e0a300000-7f1e0a301000 rw-s 00000000 00:01 18446744073709551615 /memfd:buf (deleted)\n"
	"7f1e0a400000-7f1e0a401000 r-xp 00002000 fd:01 42\t/usr/lib/x.so (deleted)\n"
	"7ffc6a5f0000-7ffc6a5f2000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

__attribute__((noinline)) int procmaps_test_marker(int x)
{
	return x * 3 + 1;
}

TEST(fixture)
{
	struct procmaps pm = { 0 };
	const struct procmap *m;

	ASSERT_OK(procmaps__parse(fixture, strlen(fixture), &pm));
	ASSERT_EQ(pm.nr, 10);

	m = &pm.maps[0];
	ASSERT_EQ(m->start, 0x400000);
	ASSERT_EQ(m->end, 0x452000);
	ASSERT_EQ(m->offset, 0);
	ASSERT_EQ(m->dev_major, 8);
	ASSERT_EQ(m->dev_minor, 2);
	ASSERT_EQ(m->inode, 173521);
	ASSERT_STREQ(m->perms, "r-xp");
	ASSERT_STREQ(m->path, "/usr/bin/dbus-daemon");
	ASSERT_EQ(pm.maps[1].offset, 0x51000);
	ASSERT_STREQ(pm.maps[1].perms, "r--p");

	ASSERT_STREQ(pm.maps[2].path, "[heap]");
	ASSERT_EQ(pm.maps[2].inode, 0);
	ASSERT_STREQ(pm.maps[3].path, ""); /* anonymous, trailing blank */
	ASSERT_EQ(pm.maps[3].start, 0x7f2c2c000000ULL);
	ASSERT_STREQ(pm.maps[4].path, ""); /* anonymous, no blank */
	ASSERT_STREQ(pm.maps[4].perms, "---p");

	m = &pm.maps[5];
	ASSERT_STREQ(m->path, "/tmp/my dir/lib  two.so");
	ASSERT_STREQ(m->perms, "r--s");
	ASSERT_EQ(m->offset, 0x1000);
	ASSERT_EQ(m->dev_major, 0x103);
	ASSERT_EQ(m->dev_minor, 0x1f);

	ASSERT_STREQ(pm.maps[6].path, "/memfd:buf (deleted)");
	ASSERT_TRUE(pm.maps[6].inode == UINT64_MAX);
	ASSERT_STREQ(pm.maps[7].path, "/usr/lib/x.so (deleted)");
	ASSERT_EQ(pm.maps[7].dev_major, 0xfd);
	ASSERT_EQ(pm.maps[7].offset, 0x2000);
	ASSERT_STREQ(pm.maps[8].path, "[vdso]");

	m = &pm.maps[9];
	ASSERT_TRUE(m->start == 0xffffffffff600000ULL);
	ASSERT_TRUE(m->end == 0xffffffffff601000ULL);
	ASSERT_STREQ(m->perms, "--xp");
	ASSERT_STREQ(m->path, "[vsyscall]");

	/* Appends; done empties and leaves pm reusable. */
	ASSERT_OK(procmaps__parse(fixture, strlen(fixture), &pm));
	ASSERT_EQ(pm.nr, 20);
	ASSERT_STREQ(pm.maps[19].path, "[vsyscall]");
	procmaps__done(&pm);
	ASSERT_EQ(pm.nr, 0);
	ASSERT_TRUE(pm.maps == NULL);
	ASSERT_OK(procmaps__parse(fixture, strlen(fixture), &pm));
	ASSERT_EQ(pm.nr, 10);
	procmaps__done(&pm);
	procmaps__done(&pm);
	procmaps__done(NULL);
}

TEST(empty_and_unterminated)
{
	struct procmaps pm = { 0 };
	const char *first_nl = strchr(fixture, '\n');
	char cut[128];

	ASSERT_OK(procmaps__parse("", 0, &pm));
	ASSERT_EQ(pm.nr, 0);
	ASSERT_OK(procmaps__parse(fixture, 0, &pm));
	ASSERT_EQ(pm.nr, 0);

	/* One line with its newline: one entry, no empty trailing one. */
	ASSERT_OK(procmaps__parse(fixture, (size_t)(first_nl + 1 - fixture), &pm));
	ASSERT_EQ(pm.nr, 1);
	procmaps__done(&pm);

	/* len is honoured, no NUL needed: a buffer cut in the middle of the path. */
	memset(cut, 'X', sizeof(cut));
	memcpy(cut, fixture, (size_t)(first_nl - fixture));
	ASSERT_OK(procmaps__parse(cut, (size_t)(first_nl - fixture) - 6, &pm));
	ASSERT_EQ(pm.nr, 1);
	ASSERT_STREQ(pm.maps[0].path, "/usr/bin/dbus-");
	procmaps__done(&pm);
}

TEST(malformed)
{
	static const char *const bad[] = {
		"",					/* an empty line */
		"zz-1000 r-xp 00000000 00:00 0",
		"1000 r-xp 00000000 00:00 0",
		"1000-2000 r-xq 00000000 00:00 0",
		"1000-2000 rwx 00000000 00:00 0",
		"1000-2000 r-xp 00000000 00:00",
		"1000-2000 r-xp 00000000 0000 0",
		"1000-2000 r-xp 00000000 00:00 0x12 /a",
		"1000-2000 r-xp 00000000 00:00 -1",
		"1000-2000  r-xp 00000000 00:00 0",
		"2000-1000 r-xp 00000000 00:00 0",
		"10000000000000000-10000000000000001 r-xp 00000000 00:00 0",
		"1000-2000 r-xp 00000000 100000000:00 0 /a",
		"1000-2000 r-xp 00000000 00:00 99999999999999999999 /a",
		"1000-2000",
	};
	struct procmaps pm = { 0 };
	char text[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = snprintf(text, sizeof(text), "1000-2000 r-xp 00000000 00:00 0 /ok\n%s\n"
				 "3000-4000 r-xp 00000000 00:00 0 /after\n", bad[i]);

		if (procmaps__parse(text, (size_t)n, &pm) != -EINVAL)
			TEST_FAIL("accepted: \"%s\"", bad[i]);
		/* The lines before the bad one are kept. */
		ASSERT_EQ(pm.nr, 1);
		ASSERT_STREQ(pm.maps[0].path, "/ok");
		procmaps__done(&pm);
	}
}

TEST(self)
{
	uintptr_t fn = (uintptr_t)&procmaps_test_marker;
	struct procmaps pm = { 0 };
	size_t hits = 0;

	ASSERT_EQ(procmaps_test_marker(1), 4);
	ASSERT_OK(procmaps__read("/proc", getpid(), &pm));
	ASSERT_TRUE(pm.nr > 3);
	for (size_t i = 0; i < pm.nr; i++) {
		const struct procmap *m = &pm.maps[i];

		if (m->start <= fn && fn < m->end) {
			ASSERT_TRUE(m->perms[2] == 'x');
			ASSERT_TRUE(m->path[0] == '/');
			ASSERT_TRUE(m->inode != 0);
			hits++;
		}
	}
	ASSERT_EQ(hits, 1);
	procmaps__done(&pm);
}

TEST(no_such_process)
{
	struct procmaps pm = { 0 };
	char dir[] = "/tmp/test-procmaps.XXXXXX";

	ASSERT_EQ(procmaps__read("/proc", INT_MAX, &pm), -ESRCH);
	ASSERT_EQ(pm.nr, 0);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_EQ(procmaps__read(dir, 1, &pm), -ESRCH);
	rmdir(dir);
}

/* A maps file bigger than any first read buffer, under a fake proc root. */
TEST(large_file)
{
	char dir[] = "/tmp/test-procmaps.XXXXXX", sub[64], path[96];
	struct procmaps pm = { 0 };
	const size_t lines = 20000;
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/42", dir);
	snprintf(path, sizeof(path), "%s/maps", sub);
	ASSERT_OK(mkdir(sub, 0700));
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	for (size_t i = 0; i < lines; i++)
		fprintf(f, "%zx-%zx r--p %08zx fd:01 %zu                 /usr/lib/lib %zu.so\n",
			0x7f0000000000 + i * 0x1000, 0x7f0000001000 + i * 0x1000, i * 0x1000,
			i + 1, i);
	ASSERT_OK(fclose(f) ? -errno : 0);
	ASSERT_OK(procmaps__read(dir, 42, &pm));
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	ASSERT_EQ(pm.nr, lines);
	ASSERT_EQ(pm.maps[lines - 1].inode, lines);
	ASSERT_EQ(pm.maps[lines - 1].offset, (lines - 1) * 0x1000);
	ASSERT_STREQ(pm.maps[lines - 1].path, "/usr/lib/lib 19999.so");
	procmaps__done(&pm);
}
