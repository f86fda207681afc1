// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for cxxname: names demangled, others left; and a native unwind from
 * inside a C++ method of libcxxspin.so (tests/helpers/cxxspin.cpp) naming
 * that frame as C++ spells it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include "stackcopy.h"
#include "testhelp.h"
#include "target/cxxname.h"
#include "target/nativeunwind.h"

#define COPY 8192

TEST(demangle)
{
	char buf[64];

	ASSERT_OK(cxxname__demangle("_ZN3foo3barEv", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "foo::bar()");
	ASSERT_OK(cxxname__demangle("_ZN3foo3barEi.cold", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "foo::bar(int) [clone .cold]");
	/* Truncated to the buffer, never past it. */
	ASSERT_OK(cxxname__demangle("_ZN3foo3barEv", buf, 5));
	ASSERT_STREQ(buf, "foo:");
	ASSERT_EQ(cxxname__demangle("main", buf, sizeof(buf)), -EINVAL);
	ASSERT_EQ(cxxname__demangle("_Z", buf, sizeof(buf)), -EINVAL);
	ASSERT_EQ(cxxname__demangle("_ZN3foo", buf, sizeof(buf)), -EINVAL);
}

static __u8 copy[COPY];
static struct native_regs regs;

/* Copies the stack from here up, with the registers a sample would carry. */
__attribute__((noinline)) static void copy_stack(void)
{
	STACK_COPY(&regs, copy, COPY);
}

static struct native_stack st;

TEST(cxx_frame_demangled)
{
	char path[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	struct native_unwinder *u;
	void (*walk)(void (*)(void));
	bool found = false;
	void *so;

	ASSERT_TRUE(n > 0);
	path[n] = '\0';
	slash = strrchr(path, '/');
	ASSERT_TRUE(slash != NULL);
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "libcxxspin.so");
	so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ASSERT_TRUE(so != NULL);
	walk = (void (*)(void (*)(void)))dlsym(so, "cxx_walk");
	ASSERT_TRUE(walk != NULL);
	walk(copy_stack);
	u = native_unwinder__new("/proc", NULL, NULL);
	ASSERT_TRUE(u != NULL);
	ASSERT_OK(native_unwinder__unwind(u, getpid(), gettid(), &regs, &st));
	for (size_t i = 0; i < st.nr; i++)
		found |= strcmp(st.frames[i].name,
				"pyprof_test::Walker::walk(void (*)(), int)") == 0;
	if (!found)
		for (size_t i = 0; i < st.nr; i++)
			printf("  frame %zu: %s\n", i, st.frames[i].name);
	ASSERT_TRUE(found);
	native_unwinder__free(u);
	dlclose(so);
}
