/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * coldparts: names for the unnamed parts of functions.  GCC moves a
 * function's unlikely blocks (-freorder-blocks-and-partition, PGO) into a
 * separate range of code with an FDE of its own, which only .symtab names
 * (FUNC.cold): a stripped binary has .dynsym alone, and a pc there has no
 * symbol.  Such a range is the cold part of the function whose code jumps
 * into it: the code of every function is scanned once per ELF file (by
 * build-id) for jmp/jcc rel32 targets.  The functions are those of the
 * file's nativesyms table, and the scan is kept attached to that table: one
 * read of the symbols, one key and one bound (NATIVE_SYMTABS) per file.
 */
#ifndef PYPROF_COLDPARTS_H
#define PYPROF_COLDPARTS_H
#include <elfutils/libdwfl.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "nativesyms.h"

/*
 * Names pc (an address in the process of mod's Dwfl), which no symbol
 * covers, "FUNC.cold" into buf: 0, -ENOENT (not a cold part this can tell,
 * or mod has no build-id), -ENOMEM.  t is mod's table from c
 * (native_symtabs__get()), valid as that says; the file's scan is made on
 * the first call and attached to t, dropped with it.
 */
int coldparts__name(struct native_symtabs *c, const struct native_symtab *t, Dwfl_Module *mod,
		    Dwarf_Addr pc, char *buf, size_t size);

/*
 * The FDE whose range holds file address pc, from .eh_frame_hdr's search
 * table (hdr, hdr_len bytes at address hdr_addr) and .eh_frame (eh, eh_len
 * at eh_addr), both as the file has them: untrusted.  Only the encodings
 * GCC and clang emit on x86_64 are read (a datarel sdata4 table, pcrel
 * sdata4 FDEs).  0 and [*lo, *hi), or -ENOENT.
 */
int coldparts__fde(const __u8 *hdr, size_t hdr_len, __u64 hdr_addr, const __u8 *eh,
		   size_t eh_len, __u64 eh_addr, __u64 pc, __u64 *lo, __u64 *hi);
#endif /* PYPROF_COLDPARTS_H */
