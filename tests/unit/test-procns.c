// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for procns: NSpid lines of fixtures, malformed ones, and this process's own. */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/procns.h"

static int parse(const char *text, long *first, long *last)
{
	return procns__parse(text, strlen(text), first, last);
}

TEST(host_and_container)
{
	long first = 0, last = 0;

	ASSERT_OK(parse("Name:\tpython3\nPid:\t4242\nNSpid:\t4242\nNSpgid:\t4242\n", &first,
			&last));
	ASSERT_EQ(first, 4242);
	ASSERT_EQ(last, 4242);
	/* Two nested namespaces: outermost first. */
	ASSERT_OK(parse("Name:\tw\nNSpid:\t9001\t17\t1\n", &first, &last));
	ASSERT_EQ(first, 9001);
	ASSERT_EQ(last, 1);
	/* The last line, without its newline. */
	ASSERT_OK(parse("Name:\tw\nNSpid:\t5 3", &first, &last));
	ASSERT_EQ(first, 5);
	ASSERT_EQ(last, 3);
}

TEST(not_a_line_start)
{
	long first = -7, last = -7;

	/* The key inside another line's value is not the line (a name is escaped, still). */
	ASSERT_EQ(parse("Name:\tNSpid:\t1\nPid:\t3\n", &first, &last), -ENOENT);
	ASSERT_EQ(parse("", &first, &last), -ENOENT);
	ASSERT_EQ(first, -7);
}

TEST(malformed)
{
	long first = -7, last = -7;

	ASSERT_EQ(parse("NSpid:\n", &first, &last), -EINVAL);
	ASSERT_EQ(parse("NSpid:\t\t\n", &first, &last), -EINVAL);
	ASSERT_EQ(parse("NSpid:\t12x\n", &first, &last), -EINVAL);
	ASSERT_EQ(parse("NSpid:\t-3\n", &first, &last), -EINVAL);
	ASSERT_EQ(parse("NSpid:\t0\n", &first, &last), -EINVAL);
	ASSERT_EQ(parse("NSpid:\t99999999999999999999\n", &first, &last), -EINVAL);
	ASSERT_EQ(parse("NSpid:\t2147483648\n", &first, &last), -EINVAL);
	ASSERT_EQ(first, -7);
	ASSERT_OK(parse("NSpid:\t2147483647\n", &first, &last));
	ASSERT_EQ(last, 2147483647);
}

TEST(this_process)
{
	long first = 0, last = 0, tid = syscall(SYS_gettid);

	ASSERT_OK(procns__read(getpid(), 0, &first, &last));
	ASSERT_EQ(first, getpid());
	ASSERT_OK(procns__read(getpid(), tid, &first, &last));
	ASSERT_EQ(first, tid);
	ASSERT_EQ(procns__read(getpid(), 0x7ffffffe, &first, &last), -ESRCH);
}
