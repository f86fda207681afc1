/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libdw for tests that read the helper .so files built next to their binary
 * (libcold.so and its variants): paths to them, each reported offline in a
 * Dwfl of its own, and their symbols' addresses.
 */
#ifndef PYPROF_TEST_DWFLHELP_H
#define PYPROF_TEST_DWFLHELP_H
#include <elfutils/libdwfl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * As nativeunwind's: no separate debug files, only what the file holds
 * (nativesyms adds a debug file itself, which is what some tests check).
 */
static inline int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			       Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			       GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name;
	(void)debuglink_file, (void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Path of file name next to this test's binary: 0, or -1 (path "") if the binary has none. */
static inline int helper_path(const char *name, char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	char *slash;

	path[n > 0 ? n : 0] = '\0';
	slash = strrchr(path, '/');
	if (!slash) {
		path[0] = '\0';
		return -1;
	}
	snprintf(slash + 1, size - (size_t)(slash + 1 - path), "%s", name);
	return 0;
}

/* The module of file name next to this test's binary, reported in a Dwfl of its own (*dwfl). */
static inline Dwfl_Module *helper_module(Dwfl **dwfl, const char *name)
{
	char path[PATH_MAX];
	Dwfl_Module *mod;

	if (helper_path(name, path, sizeof(path)) != 0)
		return NULL;
	*dwfl = dwfl_begin(&offline_callbacks);
	mod = *dwfl ? dwfl_report_offline(*dwfl, name, path, -1) : NULL;
	dwfl_report_end(*dwfl, NULL, NULL);
	return mod;
}

/* The address of symbol name in mod (the first of that name), 0 if none. */
static inline Dwarf_Addr sym_addr(Dwfl_Module *mod, const char *name)
{
	int n = dwfl_module_getsymtab(mod);

	for (int i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (s && strcmp(s, name) == 0)
			return addr;
	}
	return 0;
}
#endif /* PYPROF_TEST_DWFLHELP_H */
