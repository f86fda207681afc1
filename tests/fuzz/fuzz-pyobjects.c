// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: pyobj__threads() over a hostile process's memory.  The first
 * byte picks the build whose layout is used (3.9 to 3.15, default or
 * free-threaded); the rest is the memory at BASE, the interpreter state at
 * BASE too; every read outside it fails.  Checks: only the documented
 * errors, names NUL-terminated within their buffer, no more threads than
 * asked for, and a bounded number of reads.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "target/pyinterp.h"
#include "target/pyobjects.h"

#define BASE	   0x10000ull
#define MAX_THREADS 64

struct mem {
	const __u8 *data;
	size_t size;
	unsigned long reads;
};

static int mem_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct mem *m = ctx;

	m->reads++;
	if (addr < BASE || addr - BASE > m->size || len > m->size - (addr - BASE))
		return -EFAULT;
	memcpy(buf, m->data + (addr - BASE), len);
	return 0;
}

static int check_thread(void *ctx, const struct pyobj_thread *t)
{
	unsigned int *n = ctx;

	FUZZ_CHECK(memchr(t->name, '\0', sizeof(t->name)) != NULL);
	FUZZ_CHECK(t->native_id > 0 && t->native_id <= 0x7fffffff);
	FUZZ_CHECK(++*n <= MAX_THREADS);
	return 0;
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	static const unsigned int minors[] = { 9, 10, 11, 12, 13, 14, 15 };
	struct pyinterp_info info = { .supported = true, .interp_modules = 64 };
	struct mem m = { 0 };
	struct pyobj_reader r = { .read = mem_read, .ctx = &m };
	struct pyobj_threads_stats st;
	struct pyobj_layout l;
	__u64 cache = 0;
	unsigned int n = 0, minor;
	__u16 h;
	int err;

	if (size < 1)
		return 0;
	minor = minors[(data[0] & 0x7f) % (sizeof(minors) / sizeof(minors[0]))];
	info.free_threaded = data[0] & 0x80;
	info.version_hex = 0x03000000 | (minor << 16);
	h = info.free_threaded ? 32 : 16;
	info.code.ascii_size = minor >= 12 ? h + 24 : h + 32;
	info.code.compact_size = info.code.ascii_size + (minor >= 12 ? 16 : 24);
	info.code.unicode_state = h + 16;
	info.code.unicode_length = h;
	info.code.unicode_kind_shift = info.free_threaded && minor >= 14 ? 8 : 2;
	FUZZ_CHECK(pyobj__layout(&info, &l) == 0);
	m.data = data + 1;
	m.size = size - 1;
	err = pyobj__threads(&r, &l, BASE, &cache, MAX_THREADS, check_thread, &n, &st);
	FUZZ_CHECK(err == 0 || err == -ENOENT || err == -EFAULT || err == -EBADMSG ||
		   err == -E2BIG);
	FUZZ_CHECK(st.given == n);
	/*
	 * Tables lie in the image, so do their entries (16 bytes at least): a
	 * few reads per entry, for sys.modules, threading's dict and each thread.
	 */
	FUZZ_CHECK(m.reads <= (MAX_THREADS + 2) * (size / 4 + 64));
	return 0;
}
