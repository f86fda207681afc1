// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for elffile: symbols, sections, data and load bias on the ELF files of this machine. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/elffile.h"
#include "target/procmaps.h"

#define DEBIAN_PY "/usr/bin/python3.11"

static char tmp_dir[] = "/tmp/test-elffile.XXXXXX";
static int tmp_dir_made;

__attribute__((noinline)) int elffile_test_marker(int x)
{
	return x * 7 + 3;
}

__attribute__((destructor)) static void remove_tmp_dir(void)
{
	if (tmp_dir_made)
		rmdir(tmp_dir);
}

/* A path in this run's temp dir (static buffer). */
static const char *tmp_path(const char *name)
{
	static char path[128];

	if (!tmp_dir_made && mkdtemp(tmp_dir))
		tmp_dir_made = 1;
	if (!tmp_dir_made)
		TEST_FAIL("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	return path;
}

/* Reads a whole file into a malloc'ed buffer. */
static char *slurp(const char *path, size_t *ret_len)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap), *tmp;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		TEST_FAIL("%s: %s", path, strerror(errno));
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			tmp = realloc(buf, cap *= 2);
			if (!tmp)
				TEST_FAIL("out of memory");
			buf = tmp;
		}
	}
	close(fd);
	if (n < 0)
		TEST_FAIL("%s: %s", path, strerror(errno));
	*ret_len = len;
	return buf;
}

static void spew(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd))
		TEST_FAIL("%s: %s", path, strerror(errno));
}

/* Opening must fail with the given errno. */
static void open_fails(const char *path, int want)
{
	struct elf_file *ef;

	errno = 0;
	ef = elf_file__open(path);
	if (ef) {
		elf_file__free(ef);
		TEST_FAIL("%s: opened, want errno %d", path, want);
	}
	if (errno != want)
		TEST_FAIL("%s: errno %d (%s), want %d", path, errno, strerror(errno), want);
}

static const char *first_glob(const char *pattern, glob_t *g)
{
	if (glob(pattern, 0, NULL, g) != 0)
		return NULL;
	return g->gl_pathv[0];
}

TEST(debian_python)
{
	__u64 rt = 0, rt_size = 0, ver = 0, ver_size = 0, sec = 0, sec_size = 0, bss, bss_size;
	unsigned long want;
	char line[64], *end;
	__u32 hex = 0;
	__u8 zeros[64];
	struct elf_file *ef;
	FILE *p;

	if (access(DEBIAN_PY, R_OK))
		TEST_SKIP(DEBIAN_PY " not installed");
	ef = elf_file__open(DEBIAN_PY);
	ASSERT_TRUE(ef != NULL);

	/* Stripped: only .dynsym, which has every symbol we need. */
	ASSERT_EQ(elf_file__find_section(ef, ".symtab", NULL, NULL), -ENOENT);
	ASSERT_OK(elf_file__find_section(ef, ".dynsym", NULL, NULL));
	ASSERT_OK(elf_file__find_symbol(ef, "Py_Initialize", NULL, NULL));
	ASSERT_OK(elf_file__find_symbol(ef, "_PyRuntime", &rt, &rt_size));
	ASSERT_OK(elf_file__find_symbol(ef, "Py_Version", &ver, &ver_size));
	ASSERT_TRUE(rt != 0 && rt_size > 1000);
	ASSERT_TRUE(ver_size == 4 || ver_size == 8);
	ASSERT_OK(elf_file__find_section(ef, ".PyRuntime", &sec, &sec_size));
	ASSERT_EQ(sec, rt);
	ASSERT_TRUE(sec_size >= rt_size);
	ASSERT_EQ(elf_file__find_symbol(ef, "Py_Initialize_no_such", NULL, NULL), -ENOENT);
	ASSERT_EQ(elf_file__find_symbol(ef, "Py_Initializ", NULL, NULL), -ENOENT);
	ASSERT_EQ(elf_file__find_symbol(ef, "", NULL, NULL), -ENOENT);
	/* Undefined symbols (imports from libc) are not found. */
	ASSERT_EQ(elf_file__find_symbol(ef, "malloc", NULL, NULL), -ENOENT);

	ASSERT_OK(elf_file__read_vaddr(ef, ver, &hex, sizeof(hex)));
	p = popen(DEBIAN_PY " -c 'import sys; print(sys.hexversion)'", "re");
	ASSERT_TRUE(p != NULL);
	ASSERT_TRUE(fgets(line, sizeof(line), p) != NULL);
	ASSERT_EQ(pclose(p), 0);
	errno = 0;
	want = strtoul(line, &end, 10);
	ASSERT_TRUE(errno == 0 && end != line && (*end == '\n' || !*end));
	ASSERT_EQ(hex >> 16, 0x030b);
	ASSERT_EQ(hex, want);

	/* .bss has no bytes in the file: reads as zero. */
	ASSERT_OK(elf_file__find_section(ef, ".bss", &bss, &bss_size));
	ASSERT_TRUE(bss_size > sizeof(zeros));
	memset(zeros, 0xa5, sizeof(zeros));
	ASSERT_OK(elf_file__read_vaddr(ef, bss + bss_size - sizeof(zeros), zeros, sizeof(zeros)));
	for (size_t i = 0; i < sizeof(zeros); i++)
		ASSERT_EQ(zeros[i], 0);

	/* Outside every PT_LOAD, or across the end of one. */
	ASSERT_EQ(elf_file__read_vaddr(ef, 0, &hex, sizeof(hex)), -EFAULT);
	ASSERT_EQ(elf_file__read_vaddr(ef, ~0ULL - 1, &hex, sizeof(hex)), -EFAULT);
	ASSERT_EQ(elf_file__read_vaddr(ef, bss + bss_size - 2, &hex, sizeof(hex)), -EFAULT);
	ASSERT_OK(elf_file__read_vaddr(ef, bss + bss_size - 4, &hex, sizeof(hex)));
	elf_file__free(ef);
}

/* pyenv's shared builds: .symtab, and the .PyRuntime section of 3.10+ holds _PyRuntime. */
TEST(pyenv_libpython)
{
	glob_t g;
	size_t checked = 0;

	if (glob("/root/.pyenv/versions/3.1*/lib/libpython3.*.so.1.0", 0, NULL, &g) != 0)
		TEST_SKIP("no pyenv builds of 3.10+");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		unsigned int maj = 0, min = 0;
		__u64 rt = 0, sec = 0, ver = 0;
		struct elf_file *ef;
		__u32 hex = 0;

		if (sscanf(strstr(path, "versions/") + 9, "%u.%u", &maj, &min) != 2 || min < 10)
			continue;
		ef = elf_file__open(path);
		if (!ef)
			TEST_FAIL("%s: %s", path, strerror(errno));
		ASSERT_OK(elf_file__find_section(ef, ".symtab", NULL, NULL));
		ASSERT_OK(elf_file__find_symbol(ef, "Py_Initialize", NULL, NULL));
		ASSERT_OK(elf_file__find_symbol(ef, "_PyRuntime", &rt, NULL));
		ASSERT_OK(elf_file__find_section(ef, ".PyRuntime", &sec, NULL));
		ASSERT_TRUE(rt != 0);
		ASSERT_EQ(sec, rt);
		/* A local (static) function, only in .symtab. */
		ASSERT_OK(elf_file__find_symbol(ef, "list_dealloc", NULL, NULL));
		if (min >= 11) {
			ASSERT_OK(elf_file__find_symbol(ef, "Py_Version", &ver, NULL));
			ASSERT_OK(elf_file__read_vaddr(ef, ver, &hex, sizeof(hex)));
			if (hex >> 24 != maj || ((hex >> 16) & 0xff) != min)
				TEST_FAIL("%s: Py_Version 0x%x", path, hex);
		}
		elf_file__free(ef);
		checked++;
	}
	globfree(&g);
	ASSERT_TRUE(checked > 0);
}

struct needed_ctx {
	const char *want;
	int found, calls, stop_at;
};

static int needed_cb(const char *name, void *ctx)
{
	struct needed_ctx *c = ctx;

	c->calls++;
	if (strcmp(name, c->want) == 0)
		c->found = 1;
	return c->calls == c->stop_at ? 42 : 0;
}

TEST(needed)
{
	struct needed_ctx c = { 0 };
	char want[64];
	unsigned int min;
	struct elf_file *ef;
	const char *path;
	glob_t g;

	path = first_glob("/root/.pyenv/versions/3.1*/bin/python3.1?", &g);
	if (!path)
		TEST_SKIP("no pyenv builds of 3.10+");
	if (sscanf(strrchr(path, '/'), "/python3.%u", &min) != 1)
		TEST_FAIL("%s", path);
	snprintf(want, sizeof(want), "libpython3.%u.so.1.0", min);
	ef = elf_file__open(path);
	ASSERT_TRUE(ef != NULL);
	globfree(&g);
	c.want = want;
	ASSERT_EQ(elf_file__foreach_needed(ef, needed_cb, &c), 0);
	ASSERT_TRUE(c.found);
	ASSERT_TRUE(c.calls >= 2); /* and libc.so.6 */

	/* The first non-zero return stops the walk and is returned. */
	c = (struct needed_ctx){ .want = want, .stop_at = 1 };
	ASSERT_EQ(elf_file__foreach_needed(ef, needed_cb, &c), 42);
	ASSERT_EQ(c.calls, 1);
	elf_file__free(ef);
}

TEST(not_python)
{
	struct needed_ctx c = { .want = "libc.so.6" };
	struct elf_file *ef = elf_file__open("/bin/sh");

	ASSERT_TRUE(ef != NULL);
	ASSERT_EQ(elf_file__find_symbol(ef, "Py_Initialize", NULL, NULL), -ENOENT);
	ASSERT_EQ(elf_file__find_symbol(ef, "_PyRuntime", NULL, NULL), -ENOENT);
	ASSERT_EQ(elf_file__find_section(ef, ".PyRuntime", NULL, NULL), -ENOENT);
	ASSERT_OK(elf_file__find_section(ef, ".text", NULL, NULL));
	ASSERT_OK(elf_file__foreach_needed(ef, needed_cb, &c));
	ASSERT_TRUE(c.found);
	elf_file__free(ef);
	elf_file__free(NULL);

	/* The dynamic loader has no DT_NEEDED at all. */
	ef = elf_file__open("/lib64/ld-linux-x86-64.so.2");
	if (ef) {
		c = (struct needed_ctx){ .want = "" };
		ASSERT_EQ(elf_file__foreach_needed(ef, needed_cb, &c), 0);
		ASSERT_EQ(c.calls, 0);
		elf_file__free(ef);
	}
}

TEST(not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is not an ELF file\n";
	size_t len, lib_len;
	char *sh, *lib = NULL;
	glob_t g;

	open_fails("/nonexistent/file", ENOENT);
	open_fails("/tmp", ENOEXEC);

	spew(tmp_path("text"), text, sizeof(text) - 1);
	open_fails(tmp_path("text"), ENOEXEC);
	spew(tmp_path("empty"), "", 0);
	open_fails(tmp_path("empty"), ENOEXEC);

	sh = slurp("/bin/sh", &len);
	ASSERT_TRUE(len > 4096);
	spew(tmp_path("sh100"), sh, 100);
	open_fails(tmp_path("sh100"), ENOEXEC);
	spew(tmp_path("sh4096"), sh, 4096);
	open_fails(tmp_path("sh4096"), ENOEXEC);
	spew(tmp_path("sh-1"), sh, len - 1);
	open_fails(tmp_path("sh-1"), ENOEXEC);

	/* A 32-bit, then a big-endian header. */
	sh[4] = 1; /* ELFCLASS32 */
	spew(tmp_path("sh32"), sh, len);
	open_fails(tmp_path("sh32"), ENOEXEC);
	sh[4] = 2;
	sh[5] = 2; /* ELFDATA2MSB */
	spew(tmp_path("shbe"), sh, len);
	open_fails(tmp_path("shbe"), ENOEXEC);
	free(sh);

	if (first_glob("/root/.pyenv/versions/3.1*/lib/libpython3.*.so.1.0", &g)) {
		int fd = open(g.gl_pathv[0], O_RDONLY | O_CLOEXEC);

		lib = malloc(4096);
		ASSERT_TRUE(fd >= 0 && lib);
		lib_len = (size_t)read(fd, lib, 4096);
		close(fd);
		globfree(&g);
		ASSERT_EQ(lib_len, 4096);
		spew(tmp_path("lib4096"), lib, 4096);
		open_fails(tmp_path("lib4096"), ENOEXEC);
		free(lib);
	}
	unlink(tmp_path("text"));
	unlink(tmp_path("empty"));
	unlink(tmp_path("sh100"));
	unlink(tmp_path("sh4096"));
	unlink(tmp_path("sh-1"));
	unlink(tmp_path("sh32"));
	unlink(tmp_path("shbe"));
	unlink(tmp_path("lib4096"));
}

static int count_cb(const char *name, void *ctx)
{
	(*(int *)ctx) += (int)strlen(name) > 0;
	return 0;
}

/* Corrupt bytes of a small ELF file at random: every call must survive. */
TEST(corrupt)
{
	const char *src = access("/bin/true", R_OK) ? "/bin/sh" : "/bin/true";
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	size_t len, opened = 0;
	char *orig = slurp(src, &len), *buf = malloc(len);
	const char *path = tmp_path("corrupt");

	ASSERT_TRUE(buf && len > 8192);
	for (int iter = 0; iter < 300; iter++) {
		struct elf_file *ef;
		__u64 addr, size, bias;
		int nflips, calls = 0;
		__u8 b[16];

		memcpy(buf, orig, len);
		nflips = 1 + iter % 8;
		for (int i = 0; i < nflips; i++) {
			size_t at;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Headers at the start, section headers at the end, or anywhere. */
			switch ((seed >> 60) % 3) {
			case 0:
				at = (seed >> 20) % 512;
				break;
			case 1:
				at = len - 1 - (seed >> 20) % 2048;
				break;
			default:
				at = (seed >> 20) % len;
				break;
			}
			buf[at] = (char)(seed >> 8);
		}
		spew(path, buf, len);
		ef = elf_file__open(path);
		if (!ef) {
			/* Not ELF, inconsistent headers, or claims beyond the limits. */
			if (errno != ENOEXEC && errno != EBADMSG && errno != EFBIG)
				TEST_FAIL("iteration %d: errno %d", iter, errno);
			continue;
		}
		opened++;
		(void)elf_file__find_symbol(ef, "main", &addr, &size);
		(void)elf_file__find_symbol(ef, "getenv", &addr, &size);
		(void)elf_file__find_section(ef, ".text", &addr, &size);
		(void)elf_file__find_section(ef, ".dynamic", &addr, &size);
		(void)elf_file__foreach_needed(ef, count_cb, &calls);
		for (__u64 va = 0; va < 0x10000; va += 0x1000 - 3)
			(void)elf_file__read_vaddr(ef, va, b, sizeof(b));
		(void)elf_file__load_bias(ef, 0x555555554000ULL, 0, &bias);
		(void)elf_file__load_bias(ef, 0x555555555000ULL, 0x1000, &bias);
		elf_file__free(ef);
	}
	unlink(path);
	free(buf);
	free(orig);
	ASSERT_TRUE(opened > 0);
}

/*
 * Every mapping of the file at path in this process must give a bias that
 * puts the symbol at addr.
 */
static void check_bias(const char *path, const char *sym, uintptr_t addr)
{
	struct procmaps pm = { 0 };
	struct elf_file *ef;
	__u64 value, bias;
	size_t hits = 0;
	int err;

	ef = elf_file__open(path);
	if (!ef)
		TEST_FAIL("%s: %s", path, strerror(errno));
	ASSERT_OK(elf_file__find_symbol(ef, sym, &value, NULL));
	ASSERT_OK(procmaps__read("/proc", getpid(), &pm));
	for (size_t i = 0; i < pm.nr; i++) {
		const struct procmap *m = &pm.maps[i];

		if (strcmp(m->path, path))
			continue;
		err = elf_file__load_bias(ef, m->start, m->offset, &bias);
		if (err)
			TEST_FAIL("%s: no PT_LOAD at offset 0x%llx: %d", path,
				  (unsigned long long)m->offset, err);
		if (bias + value != addr)
			TEST_FAIL("%s %s (%s at 0x%llx): 0x%llx + 0x%llx != %p", path, m->perms,
				  sym, (unsigned long long)m->offset, (unsigned long long)bias,
				  (unsigned long long)value, (void *)addr);
		hits++;
	}
	procmaps__done(&pm);
	elf_file__free(ef);
	if (hits < 2)
		TEST_FAIL("%s: %zu mappings", path, hits);
}

/* Path of the mapping that holds addr. */
static char *mapping_path(uintptr_t addr)
{
	struct procmaps pm = { 0 };
	char *path = NULL;

	ASSERT_OK(procmaps__read("/proc", getpid(), &pm));
	for (size_t i = 0; i < pm.nr; i++)
		if (pm.maps[i].start <= addr && addr < pm.maps[i].end)
			path = strdup(pm.maps[i].path);
	procmaps__done(&pm);
	if (!path || path[0] != '/')
		TEST_FAIL("no file mapping holds %p", (void *)addr);
	return path;
}

TEST(load_bias_self)
{
	char exe[PATH_MAX];
	ssize_t n;

	ASSERT_EQ(elffile_test_marker(1), 10);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_TRUE(n > 0);
	exe[n] = '\0';
	check_bias(exe, "elffile_test_marker", (uintptr_t)&elffile_test_marker);
	check_bias(exe, "tmp_dir", (uintptr_t)tmp_dir); /* a local object in .data */
}

/* libc's own definitions, not a sanitizer's interceptors that RTLD_DEFAULT would find. */
static void *libc_handle(void)
{
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);

	if (!h)
		TEST_SKIP("libc.so.6 not loaded: %s", dlerror());
	return h;
}

TEST(load_bias_libc)
{
	/* Functions, then objects in .data and (environ) in .bss past the file. */
	static const char *const syms[] = { "qsort", "strtol", "getpid", "_IO_2_1_stdout_",
					    "environ" };
	void *h = libc_handle();
	char *libc = mapping_path((uintptr_t)dlsym(h, "qsort"));

	ASSERT_TRUE(strstr(libc, "/libc.so.6") != NULL);
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *addr = dlsym(h, syms[i]);

		if (!addr)
			TEST_FAIL("dlsym %s: %s", syms[i], dlerror());
		check_bias(libc, syms[i], (uintptr_t)addr);
	}
	free(libc);
	dlclose(h);
}

/* The default version of a symbol wins over a hidden compat one ("memcpy@GLIBC_2.2.5"). */
TEST(default_version)
{
	void *h = libc_handle(), *compat = dlvsym(h, "memcpy", "GLIBC_2.2.5");
	struct procmaps pm = { 0 };
	struct elf_file *ef;
	__u64 value, bias = 0;
	char *libc;

	if (!compat)
		TEST_SKIP("no memcpy@GLIBC_2.2.5");
	libc = mapping_path((uintptr_t)compat);
	ef = elf_file__open(libc);
	ASSERT_TRUE(ef != NULL);
	ASSERT_OK(elf_file__find_symbol(ef, "memcpy", &value, NULL));
	ASSERT_OK(procmaps__read("/proc", getpid(), &pm));
	for (size_t i = 0; i < pm.nr; i++)
		if (strcmp(pm.maps[i].path, libc) == 0 && pm.maps[i].offset == 0)
			ASSERT_OK(elf_file__load_bias(ef, pm.maps[i].start, 0, &bias));
	procmaps__done(&pm);
	ASSERT_TRUE(bias != 0);
	ASSERT_TRUE(bias + value != (uintptr_t)compat);
	elf_file__free(ef);
	free(libc);
	dlclose(h);
}

/*
 * Crafted files: a small valid ELF file built here (one PT_LOAD, .shstrtab,
 * .strtab, .symtab, .text), then broken one header field at a time.
 */
enum { S_NULL, S_SHSTR, S_STR, S_SYM, S_TEXT, S__NR };

struct crafted {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Shdr sh[S__NR];
	Elf64_Sym sym[5];
	char *strtab;
	size_t strtab_len;
	__u32 name_off[5];
};

static const char crafted_shstr[] = "\0.shstrtab\0.strtab\0.symtab\0.text";

/* Names at pad bytes into .strtab (after filler strings), so tests can put them across chunks. */
static void crafted_init(struct crafted *c, size_t pad)
{
	static const char *const names[] = { "Py_Initialize", "xPy_Version", "_PyRuntime@@V1",
					     "local_one" };
	size_t off;

	memset(c, 0, sizeof(*c));
	c->strtab = calloc(1, pad + 256);
	ASSERT_TRUE(c->strtab != NULL);
	for (size_t i = 1; i + 8 < pad; i += 8)
		memcpy(c->strtab + i, "filler_", 7);
	off = pad ? pad : 1;
	for (size_t i = 0; i < 4; i++) {
		c->name_off[i] = (__u32)off;
		strcpy(c->strtab + off, names[i]);
		off += strlen(names[i]) + 1;
	}
	c->strtab_len = off;
	memcpy(c->eh.e_ident, ELFMAG, SELFMAG);
	c->eh.e_ident[EI_CLASS] = ELFCLASS64;
	c->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	c->eh.e_ident[EI_VERSION] = EV_CURRENT;
	c->eh.e_type = ET_DYN;
	c->eh.e_machine = EM_X86_64;
	c->eh.e_version = EV_CURRENT;
	c->eh.e_ehsize = sizeof(Elf64_Ehdr);
	c->eh.e_phoff = sizeof(Elf64_Ehdr);
	c->eh.e_phentsize = sizeof(Elf64_Phdr);
	c->eh.e_phnum = 1;
	c->eh.e_shentsize = sizeof(Elf64_Shdr);
	c->eh.e_shnum = S__NR;
	c->eh.e_shstrndx = S_SHSTR;
	c->ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x1000,
			      .p_filesz = 4096, .p_memsz = 8192, .p_align = 4096 };
	c->sh[S_SHSTR] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB,
				       .sh_size = sizeof(crafted_shstr) };
	c->sh[S_STR] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_STRTAB,
				     .sh_size = c->strtab_len };
	c->sh[S_SYM] = (Elf64_Shdr){ .sh_name = 19, .sh_type = SHT_SYMTAB, .sh_link = S_STR,
				     .sh_entsize = sizeof(Elf64_Sym), .sh_size = sizeof(c->sym) };
	c->sh[S_TEXT] = (Elf64_Shdr){ .sh_name = 27, .sh_type = SHT_PROGBITS, .sh_addr = 0x1000,
				      .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_size = 64 };
	c->sym[1] = (Elf64_Sym){ .st_name = c->name_off[0], .st_value = 0x1010, .st_size = 16,
				 .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				 .st_shndx = S_TEXT };
	/* "Py_Version" is the tail of "xPy_Version": string tables share suffixes. */
	c->sym[2] = (Elf64_Sym){ .st_name = c->name_off[1] + 1, .st_value = 0x1020, .st_size = 4,
				 .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
				 .st_shndx = S_TEXT };
	c->sym[3] = (Elf64_Sym){ .st_name = c->name_off[2], .st_value = 0x1030, .st_size = 8,
				 .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
				 .st_shndx = S_TEXT };
	c->sym[4] = (Elf64_Sym){ .st_name = c->name_off[3], .st_value = 0x1040, .st_size = 8,
				 .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
				 .st_shndx = S_TEXT };
}

/* Lays the parts out and writes the file; extra zero bytes (a hole) at the end. */
static void crafted_write(struct crafted *c, const char *path, __u64 hole)
{
	__u64 off = 4096; /* the PT_LOAD covers the headers page */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ASSERT_TRUE(fd >= 0);
	if (!c->sh[S_SHSTR].sh_offset)
		c->sh[S_SHSTR].sh_offset = off;
	off += 256;
	if (!c->sh[S_STR].sh_offset)
		c->sh[S_STR].sh_offset = off;
	off += (c->strtab_len + 255) & ~255ul;
	if (!c->sh[S_SYM].sh_offset)
		c->sh[S_SYM].sh_offset = off;
	off += sizeof(c->sym);
	if (!c->eh.e_shoff)
		c->eh.e_shoff = off;
	ASSERT_EQ(pwrite(fd, &c->eh, sizeof(c->eh), 0), (ssize_t)sizeof(c->eh));
	ASSERT_EQ(pwrite(fd, &c->ph, sizeof(c->ph), sizeof(c->eh)), (ssize_t)sizeof(c->ph));
	ASSERT_EQ(pwrite(fd, crafted_shstr, sizeof(crafted_shstr), 4096),
		  (ssize_t)sizeof(crafted_shstr));
	ASSERT_EQ(pwrite(fd, c->strtab, c->strtab_len, 4096 + 256), (ssize_t)c->strtab_len);
	ASSERT_EQ(pwrite(fd, c->sym, sizeof(c->sym), 4096 + 256 + ((c->strtab_len + 255) & ~255ul)),
		  (ssize_t)sizeof(c->sym));
	ASSERT_EQ(pwrite(fd, c->sh, sizeof(c->sh), off), (ssize_t)sizeof(c->sh));
	if (hole)
		ASSERT_OK(ftruncate(fd, (off_t)(off + sizeof(c->sh) + hole)));
	ASSERT_OK(close(fd));
	free(c->strtab);
	c->strtab = NULL;
}

TEST(crafted_valid)
{
	static const char *const names[] = { "Py_Initialize", "Py_Version", "_PyRuntime",
					     "local_one", "xPy_Version", "Py_Init", "filler_" };
	/* Small, then with the names past the first chunk and across its end. */
	static const size_t pads[] = { 0, 70000, ELFFILE_CHUNK_BYTES - 5,
				       ELFFILE_CHUNK_BYTES - ELFFILE_MAX_NAME - 1 };
	const char *path = tmp_path("crafted");

	for (size_t p = 0; p < sizeof(pads) / sizeof(pads[0]); p++) {
		struct elf_file_sym r[7];
		struct crafted c;
		struct elf_file *ef;
		__u64 addr, off;

		crafted_init(&c, pads[p]);
		crafted_write(&c, path, 0);
		ef = elf_file__open(path);
		if (!ef)
			TEST_FAIL("pad %zu: %s", pads[p], strerror(errno));
		ASSERT_OK(elf_file__find_symbols(ef, names, 7, r));
		ASSERT_TRUE(r[0].found && r[0].addr == 0x1010 && r[0].size == 16);
		ASSERT_TRUE(r[1].found && r[1].addr == 0x1020);
		ASSERT_TRUE(r[2].found && r[2].addr == 0x1030);
		ASSERT_TRUE(r[3].found && r[3].addr == 0x1040);
		ASSERT_TRUE(!r[4].found && !r[5].found && !r[6].found);
		ASSERT_OK(elf_file__find_symbol(ef, "Py_Version", &addr, NULL));
		ASSERT_EQ(addr, 0x1020);
		ASSERT_OK(elf_file__find_section(ef, ".text", &addr, NULL));
		ASSERT_EQ(addr, 0x1000);
		ASSERT_OK(elf_file__vaddr_to_offset(ef, 0x1010, &off));
		ASSERT_EQ(off, 0x10);
		ASSERT_EQ(elf_file__vaddr_to_offset(ef, 0x1000 + 4096, &off), -EFAULT);
		elf_file__free(ef);
	}
	unlink(path);
}

/* Opening must fail with want, without a large allocation (the caller limits RLIMIT_AS). */
static void crafted_fails(struct crafted *c, __u64 hole, int want, const char *what)
{
	const char *path = tmp_path("crafted-bad");
	struct elf_file *ef;

	crafted_write(c, path, hole);
	errno = 0;
	ef = elf_file__open(path);
	if (ef) {
		elf_file__free(ef);
		TEST_FAIL("%s: opened, want %s", what, strerror(want));
	}
	if (errno != want)
		TEST_FAIL("%s: %s, want %s", what, strerror(errno), strerror(want));
	unlink(path);
}

/* Virtual memory of this process now, in bytes. */
static __u64 vm_size(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
			break;
	fclose(f);
	ASSERT_TRUE(kb > 0);
	return kb * 1024;
}

static void crafted_hostile(void)
{
	const __u64 two_gib = 2ull << 30;
	struct crafted c;

	crafted_init(&c, 0);
	c.sh[S_SYM].sh_offset = 1u << 20; /* the file is 5 KiB */
	crafted_fails(&c, 0, EBADMSG, "section beyond the end of the file");
	crafted_init(&c, 0);
	c.sh[S_SYM].sh_size = two_gib / 24 * 24;
	crafted_fails(&c, 0, EBADMSG, "2 GiB .symtab in a small file");
	crafted_init(&c, 0);
	c.sh[S_SYM].sh_size = two_gib / 24 * 24;
	crafted_fails(&c, two_gib + 4096, EFBIG, "2 GiB .symtab in a sparse 2 GiB file");
	crafted_init(&c, 0);
	c.sh[S_STR].sh_size = two_gib;
	crafted_fails(&c, two_gib + 4096, EFBIG, "2 GiB .strtab in a sparse 2 GiB file");
	crafted_init(&c, 0);
	c.sh[S_SYM].sh_offset = ~0ull - 10;
	crafted_fails(&c, 0, EBADMSG, "offset + size wraps around");

	for (__u64 ent = 0; ent < 50; ent += 23) {
		crafted_init(&c, 0);
		c.sh[S_SYM].sh_entsize = ent; /* 0, 23, 46 */
		crafted_fails(&c, 0, EBADMSG, "sh_entsize not sizeof(Elf64_Sym)");
	}
	crafted_init(&c, 0);
	c.sh[S_SYM].sh_size = sizeof(c.sym) - 1;
	crafted_fails(&c, 0, EBADMSG, "sh_size not a multiple of sh_entsize");

	crafted_init(&c, 0);
	c.eh.e_shstrndx = S__NR + 100;
	crafted_fails(&c, 0, EBADMSG, "e_shstrndx out of range");
	crafted_init(&c, 0);
	c.eh.e_shstrndx = S_SYM;
	crafted_fails(&c, 0, EBADMSG, "e_shstrndx not a string table");
	crafted_init(&c, 0);
	c.sh[S_SYM].sh_link = 0xffff;
	crafted_fails(&c, 0, EBADMSG, "symbol string table index out of range");
	crafted_init(&c, 0);
	c.sh[S_SYM].sh_link = S_TEXT;
	crafted_fails(&c, 0, EBADMSG, "symbol string table not SHT_STRTAB");

	/* Extended numbering: section 0 claims a billion sections, or 60000 (note) segments. */
	crafted_init(&c, 0);
	c.eh.e_shnum = 0;
	c.sh[S_NULL].sh_size = 1u << 30;
	crafted_fails(&c, two_gib, EFBIG, "a billion sections");
	crafted_init(&c, 0);
	c.eh.e_shnum = S__NR + 1;
	crafted_fails(&c, 0, ENOEXEC, "section headers past the end of the file");
	crafted_init(&c, 0);
	c.eh.e_phnum = PN_XNUM;
	c.sh[S_NULL].sh_info = 60000;
	crafted_fails(&c, two_gib, EFBIG, "60000 program headers");
	crafted_init(&c, 0);
	c.ph.p_filesz = two_gib;
	c.ph.p_memsz = two_gib;
	crafted_fails(&c, 0, EBADMSG, "PT_LOAD past the end of the file");
}

TEST(crafted_hostile)
{
	struct rlimit old, lim;
	const char *path = tmp_path("crafted-name");
	struct crafted c;
	struct elf_file *ef;
	int err;

	/* No claim in a file may size an allocation: 64 MiB more address space is plenty. */
	ASSERT_OK(getrlimit(RLIMIT_AS, &old));
	lim = old;
	lim.rlim_cur = vm_size() + (64u << 20);
	ASSERT_OK(setrlimit(RLIMIT_AS, &lim));
	crafted_hostile();

	/* A symbol whose name is past its string table: found by the lookup that reaches it. */
	crafted_init(&c, 0);
	c.sym[4].st_name = 1u << 20;
	crafted_write(&c, path, 0);
	ef = elf_file__open(path);
	ASSERT_TRUE(ef != NULL);
	err = elf_file__find_symbol(ef, "Py_Initialize", NULL, NULL);
	elf_file__free(ef);
	unlink(path);
	ASSERT_OK(setrlimit(RLIMIT_AS, &old));
	ASSERT_EQ(err, -EBADMSG);
}
