/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nativesyms: the function symbols of an ELF file, sorted by address once,
 * kept by build-id and so shared by every process that maps the file: 64
 * workers of one service read libpython's table once, and a lookup is a
 * binary search (libdw's dwfl_module_addrinfo() scans the whole table, tens
 * of microseconds a call for libpython's).  Addresses are offsets from the
 * module's start (its first mapping's, minus that mapping's file offset).
 */
#ifndef PYPROF_NATIVESYMS_H
#define PYPROF_NATIVESYMS_H
#include <elfutils/libdwfl.h>
#include <linux/types.h>
#include <stddef.h>

#define NATIVE_SYMTABS	    64	/* ELF files whose tables are kept (round robin beyond) */
#define NATIVE_SYMTAB_KEY   40	/* bytes of a key: a build-id (20 bytes for GNU's sha1) */

struct native_symtab;
struct native_symtabs;

/*
 * proc_root: where processes are (/proc): a stripped file's debug file is
 * looked for in its process's root, proc_root/PID/root (debugfile.h).
 */
struct native_symtabs *native_symtabs__new(const char *proc_root);
void native_symtabs__free(struct native_symtabs *c);
/*
 * The table of module mod (of process pid): found by its build-id, made
 * from mod's symbols if new.  A file with no build-id gets a table of its
 * own for (pid, the module's start), dropped by native_symtabs__forget(pid).
 * NULL: no ELF, or no memory (the caller falls back to libdw's lookup).
 * Valid until the next call.
 */
const struct native_symtab *native_symtabs__get(struct native_symtabs *c, int pid,
						Dwfl_Module *mod);
/* Drops the tables of process pid's files without a build-id (it exited or exec'd). */
void native_symtabs__forget(struct native_symtabs *c, int pid);
/*
 * The name of the symbol holding offset off (from the module's start), and
 * off's offset in it: NULL if none does.
 */
const char *native_symtab__lookup(const struct native_symtab *t, __u64 off, __u64 *sym_off);
/*
 * The table as it is, for coldparts: nr code symbols sorted by start, one a
 * start, nested ones kept.  Symbol i (< nr): its name (the best bound of
 * those at its start), start (an offset from the module's start, as
 * lookup's) and fsize: the largest size of the STT_FUNCs starting there,
 * the kept symbol's or its aliases', 0 if none is sized.
 */
size_t native_symtab__nr(const struct native_symtab *t);
const char *native_symtab__func(const struct native_symtab *t, size_t i, __u64 *start,
				__u64 *fsize);
/*
 * One attachment a table: what another module derives from the same file
 * (coldparts' jump table), kept under the table's key and freed with it by
 * free_fn(data): one cache, one bound.  native_symtab__attachment(): NULL
 * until attached.  native_symtabs__attach(): t is one of c's, valid (as
 * __get() says) and without one: 0, else -EINVAL (data is the caller's).
 */
void *native_symtab__attachment(const struct native_symtab *t);
int native_symtabs__attach(struct native_symtabs *c, const struct native_symtab *t, void *data,
			   void (*free_fn)(void *data));
/*
 * Tables made from a module's symbols, tables found again, and tables that
 * got a debug file's symbols: the cache's counters.
 */
void native_symtabs__stats(const struct native_symtabs *c, __u64 *built, __u64 *hits,
			   __u64 *debug);
#endif /* PYPROF_NATIVESYMS_H */
