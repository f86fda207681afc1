// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: elf_file__open() over a memfd holding the input, then every
 * query on what it opened (symbols, sections, reads through PT_LOAD,
 * DT_NEEDED, load bias) and pyinterp__analyze(), which reads _PyRuntime's
 * debug offsets through the file.  Checks: documented return values only.
 */
#include <errno.h>
#include "target/elffile.h"
#include "fuzzhelp.h"
#include "target/pyinterp.h"

static int count_needed(const char *name, void *ctx)
{
	FUZZ_CHECK(name != NULL);
	return ++*(int *)ctx > 1000;
}

static void query(struct elf_file *ef)
{
	static const char *const syms[] = { "Py_Initialize", "_PyRuntime", "Py_Version",
					    "main", "" };
	struct pyinterp_info info;
	__u64 addr, size, bias;
	__u8 buf[256];
	int n = 0, r;

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (elf_file__find_symbol(ef, syms[i], &addr, &size) != 0)
			continue;
		r = elf_file__read_vaddr(ef, addr, buf, size < sizeof(buf) ? size : sizeof(buf));
		FUZZ_CHECK(r == 0 || r == -EFAULT || r == -EIO);
	}
	if (elf_file__find_section(ef, ".PyRuntime", &addr, &size) == 0)
		elf_file__read_vaddr(ef, addr, buf, sizeof(buf));
	r = elf_file__read_vaddr(ef, 0x400000, buf, sizeof(buf));
	FUZZ_CHECK(r == 0 || r == -EFAULT || r == -EIO);
	elf_file__foreach_needed(ef, count_needed, &n);
	for (__u64 off = 0; off < 0x4000; off += 0x1000)
		elf_file__load_bias(ef, 0x7f0000000000ull + off, off, &bias);
	r = pyinterp__analyze(ef, &info);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EBADMSG || r == -EFBIG || r == -EIO);
	if (r == 0)
		FUZZ_CHECK(memchr(info.why, '\0', sizeof(info.why)) != NULL);
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct elf_file *ef;
	char path[64];
	int fd = fuzz__memfd(data, size, path, sizeof(path));

	ef = elf_file__open(path);
	if (ef) {
		query(ef);
		elf_file__free(ef);
	} else {
		FUZZ_CHECK(errno == ENOEXEC || errno == EBADMSG || errno == EFBIG || errno == ENOMEM);
	}
	close(fd);
	return 0;
}
