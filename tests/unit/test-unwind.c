// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for nativeunwind: a copy of this process's own stack, unwound from its CFI. */
#include <string.h>
#include <unistd.h>
#include "stackcopy.h"
#include "testhelp.h"
#include "target/nativeunwind.h"

#define COPY 8192

static __u8 copy[COPY];
static struct native_regs regs;

/* Copies the stack from here up, with the registers a sample would carry. */
__attribute__((noinline)) static void unwind_test_leaf(void)
{
	STACK_COPY(&regs, copy, COPY);
}

__attribute__((noinline)) static void unwind_test_middle(void)
{
	unwind_test_leaf();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void unwind_test_outer(void)
{
	unwind_test_middle();
	__asm__ volatile("" ::: "memory");
}

static struct native_stack st;

TEST(own_stack)
{
	struct native_unwinder *u = native_unwinder__new("/proc", NULL, NULL);
	bool outer = false;

	ASSERT_TRUE(u != NULL);
	unwind_test_outer();
	ASSERT_OK(native_unwinder__unwind(u, getpid(), gettid(), &regs, &st));
	ASSERT_TRUE(st.nr >= 2);
	/* A global function: named from .symtab (the test binary is not stripped). */
	for (size_t i = 0; i < st.nr; i++)
		outer |= strcmp(st.frames[i].name, "unwind_test_outer") == 0;
	ASSERT_TRUE(outer);
	native_unwinder__free(u);
}

TEST(copy_too_short)
{
	struct native_unwinder *u = native_unwinder__new("/proc", NULL, NULL);

	ASSERT_TRUE(u != NULL);
	unwind_test_outer();
	regs.len = 16;
	ASSERT_OK(native_unwinder__unwind(u, getpid(), gettid(), &regs, &st));
	ASSERT_TRUE(st.truncated);
	ASSERT_TRUE(st.nr <= 3);
	native_unwinder__free(u);
}

/* A process unwound again from scratch (as another of the same files would be): no table read. */
TEST(symbol_tables_kept_by_build_id)
{
	struct native_unwinder *u = native_unwinder__new("/proc", NULL, NULL);
	__u64 read1, read2, hits1, hits2, debug;
	bool outer = false;

	ASSERT_TRUE(u != NULL);
	unwind_test_outer();
	ASSERT_OK(native_unwinder__unwind(u, getpid(), gettid(), &regs, &st));
	native_unwinder__stats(u, &read1, &hits1, &debug);
	ASSERT_TRUE(read1 >= 1);
	native_unwinder__forget(u, getpid());
	ASSERT_OK(native_unwinder__unwind(u, getpid(), gettid(), &regs, &st));
	native_unwinder__stats(u, &read2, &hits2, &debug);
	ASSERT_EQ(read2, read1);
	ASSERT_TRUE(hits2 > hits1);
	for (size_t i = 0; i < st.nr; i++)
		outer |= strcmp(st.frames[i].name, "unwind_test_outer") == 0;
	ASSERT_TRUE(outer);
	native_unwinder__free(u);
}
