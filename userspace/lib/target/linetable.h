/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* linetable: CPython code object line tables, bytecode offset to source line. */
#ifndef PYPROF_LINETABLE_H
#define PYPROF_LINETABLE_H

#include <linux/types.h>
#include <stddef.h>

/*
 * Source line of the instruction at byte offset addr of a code object, as
 * CPython's own PyCode_Addr2Line() computes it for that version:
 *   - 3.8/3.9: co_lnotab (byte increments, signed line increments);
 *   - 3.10: co_linetable (PEP 626 (sdelta, ldelta) pairs, ldelta -128 = no line);
 *   - 3.11-3.15: the location table (Objects/locations.md: varint entries,
 *     codes 0-15, NONE = 15 keeps the running line and reports -1).
 * version_hex is PY_VERSION_HEX (only major/minor are used), firstlineno is
 * co_firstlineno, tab/len the bytes of co_lnotab or co_linetable.
 * addr < 0 gives firstlineno, as CPython does.  Sets *ret_line to the line,
 * or -1 when the instruction has no line (3.10+).  Returns 0, -EINVAL
 * for a table that is malformed (truncated varint, ...), -ERANGE when addr
 * lies past the end of the table (3.10+: co_lnotab does not record the code
 * size, so 3.8/3.9 give the last line, as CPython does), -EPROTONOSUPPORT
 * for other versions.
 * Never reads outside tab[0..len).
 */
int linetable__addr2line(__u32 version_hex, int firstlineno, const __u8 *tab, size_t len, int addr,
			 int *ret_line);

#endif /* PYPROF_LINETABLE_H */
