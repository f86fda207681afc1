/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* elffile: symbols, sections and contents of an ELF file on disk (libelf). */
#ifndef PYPROF_ELFFILE_H
#define PYPROF_ELFFILE_H

#include <linux/types.h>
#include <stddef.h>

struct elf_file;

/*
 * Opens an ELF file for reading and indexes its symbols (.symtab and
 * .dynsym; a stripped file has only the latter).  Returns NULL with errno
 * set: ENOENT/EACCES from open(), ENOEXEC when the file is not a 64-bit
 * little-endian ELF file or is malformed.
 */
struct elf_file *elf_file__open(const char *path);

/* Closes the file and frees the index. NULL is fine. */
void elf_file__free(struct elf_file *ef);

/*
 * Looks up a defined symbol (function, object or TLS) by exact name, .symtab
 * first, then .dynsym.  Versioned dynamic names ("foo@@VER") match "foo".
 * Fills *ret_addr (st_value, an ELF virtual address) and *ret_size when
 * not NULL.  Returns 0 or -ENOENT.
 */
int elf_file__find_symbol(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size);

/* Section by name: its sh_addr and sh_size.  Returns 0 or -ENOENT. */
int elf_file__find_section(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size);

/*
 * Copies len bytes at ELF virtual address vaddr out of the file, through the
 * PT_LOAD segment that holds them.  Bytes past p_filesz (.bss) read as zero.
 * Returns 0, or -EFAULT when [vaddr, vaddr+len) is not inside one PT_LOAD.
 */
int elf_file__read_vaddr(struct elf_file *ef, __u64 vaddr, void *buf, size_t len);

/*
 * Calls cb for every DT_NEEDED entry of the dynamic section.  Stops at and
 * returns the first non-zero value cb returns; returns 0 when cb always
 * returned 0 or there is no dynamic section.
 */
int elf_file__foreach_needed(struct elf_file *ef, int (*cb)(const char *name, void *ctx),
			     void *ctx);

/*
 * Load bias of a mapping of this file: a /proc/PID/maps line says the file
 * offset map_offset is mapped at map_start.  The bias is what to add to an
 * ELF virtual address to get the address in that process
 * (map_start - map_offset - (p_vaddr - p_offset) of the PT_LOAD segment that
 * contains map_offset).  Returns 0 or -ENOENT when no PT_LOAD covers
 * map_offset.
 */
int elf_file__load_bias(struct elf_file *ef, __u64 map_start, __u64 map_offset, __u64 *ret_bias);

#endif /* PYPROF_ELFFILE_H */
