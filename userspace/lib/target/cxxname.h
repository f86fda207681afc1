/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cxxname: C++ symbol names (Itanium ABI, "_Z...") as C++ spells them, by
 * libstdc++'s own demangler: the one g++'s code is mangled for.
 */
#ifndef PYPROF_CXXNAME_H
#define PYPROF_CXXNAME_H
#include <stddef.h>

/*
 * Demangles sym into buf (truncated to size): 0, -EINVAL (not a mangled
 * name, or not a valid one), -ENOMEM.
 */
int cxxname__demangle(const char *sym, char *buf, size_t size);
#endif /* PYPROF_CXXNAME_H */
