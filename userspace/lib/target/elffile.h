/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* elffile: symbols, sections and contents of an ELF file on disk, read in bounded chunks. */
#ifndef PYPROF_ELFFILE_H
#define PYPROF_ELFFILE_H

#include <linux/types.h>
#include <stddef.h>

/*
 * Limits on what a file may make us read or allocate: the files are other
 * users' (any user can exec a crafted one), so a claim in a header never
 * sizes an allocation and no table is read whole.
 */
#define ELFFILE_MAX_SECTIONS	8192		/* section headers kept in memory (64 B each) */
#define ELFFILE_MAX_SEGMENTS	256		/* program headers kept in memory (56 B each) */
#define ELFFILE_MAX_TABLE_BYTES	(64u << 20)	/* one symbol, string or dynamic table */
#define ELFFILE_MAX_READ_BYTES	(512u << 20)	/* everything read from one file, all lookups */
#define ELFFILE_CHUNK_BYTES	(64u << 10)	/* tables are streamed in chunks of this */
#define ELFFILE_MAX_LOOKUP	32		/* names looked up in one pass */
#define ELFFILE_MAX_NAME	128		/* longest name looked up */

struct elf_file;

/*
 * Opens an ELF file for reading and checks its headers.  Nothing of the
 * symbol tables is loaded: lookups stream them.  Returns NULL with errno
 * set: ENOENT/EACCES from open(); ENOEXEC when the file is not a 64-bit
 * little-endian ELF file or its header tables are cut off; EBADMSG when
 * the headers contradict themselves (a section past the end of the file, a
 * symbol table entry size that is not sizeof(Elf64_Sym), a string table
 * index out of range); EFBIG when a count or table exceeds the limits above.
 */
struct elf_file *elf_file__open(const char *path);

/*
 * The same for a file already open for reading: the elf_file owns fd from
 * here on, and closes it on failure too.
 */
struct elf_file *elf_file__from_fd(int fd);

/* Closes the file and frees the headers. NULL is fine. */
void elf_file__free(struct elf_file *ef);

/* One result of elf_file__find_symbols(). */
struct elf_file_sym {
	__u64 addr;	/* st_value, an ELF virtual address */
	__u64 size;	/* st_size */
	int found;	/* 1 when the name was found, else 0 */
};

/*
 * Looks up n (<= ELFFILE_MAX_LOOKUP) defined symbols (function, object or
 * TLS) by exact name in one pass over the symbol tables, .symtab first,
 * then .dynsym.  Versioned names ("foo@@VER") match "foo"; the default
 * version wins over a hidden one, a global symbol over a local one.
 * Returns 0 (ret[i].found says which were found), -EINVAL for too many or
 * too long names, -EBADMSG when a symbol names a string past its string
 * table, -EFBIG when the file's read budget is spent, -EIO when the file
 * shrank.
 */
int elf_file__find_symbols(struct elf_file *ef, const char *const *names, size_t n,
			   struct elf_file_sym *ret);

/*
 * Looks up one symbol (see elf_file__find_symbols()).  Fills *ret_addr and
 * *ret_size when not NULL.  Returns 0, -ENOENT, or an error of
 * elf_file__find_symbols().
 */
int elf_file__find_symbol(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size);

/* Section by name: its sh_addr and sh_size.  Returns 0, -ENOENT or -EIO. */
int elf_file__find_section(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size);

/*
 * Copies len bytes at ELF virtual address vaddr out of the file, through the
 * PT_LOAD segment that holds them.  Bytes past p_filesz (.bss) read as zero.
 * Returns 0, or -EFAULT when [vaddr, vaddr+len) is not inside one PT_LOAD.
 */
int elf_file__read_vaddr(struct elf_file *ef, __u64 vaddr, void *buf, size_t len);

/*
 * File offset of the byte at ELF virtual address vaddr (what a uprobe is
 * attached at).  Returns 0, or -EFAULT when no PT_LOAD holds it in the file.
 */
int elf_file__vaddr_to_offset(struct elf_file *ef, __u64 vaddr, __u64 *ret_offset);

/*
 * Calls cb for every DT_NEEDED entry of the dynamic section.  Stops at and
 * returns the first non-zero value cb returns; returns 0 when cb always
 * returned 0 or there is no dynamic section, -EBADMSG when an entry names
 * a string outside the string table.
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
