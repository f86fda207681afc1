// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cold parts: a pc that no symbol covers, in an FDE that no symbol covers
 * either, is the .cold part of the function whose code jumps into that FDE
 * most.  The evidence is a byte scan of each named function's code for jmp
 * rel32 (E9) and jcc rel32 (0F 80..8F): a chance byte pattern lands in a
 * given range too, rarely, hence COLDPARTS_MIN_JUMPS and the margin over
 * the runner-up.  An FDE whose first row is a function's entry (CFA rsp+8)
 * is not taken: a static function tail-called from a named one looks like
 * a cold part otherwise, and a cold part starts inside its parent's frame.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coldparts.h"

#define COLDPARTS_MIN_JUMPS 2	/* jumps from one function that make it the parent */
#define COLDPARTS_TALLY 8	/* distinct functions counted jumping into one FDE */
#define COLDPARTS_EXEC_MAX 16	/* executable sections scanned per file */
#define DWARF_RSP 7

struct cold_jump {
	__u64 target;		/* file address, in no function */
	__u32 func;		/* index in funcs */
};

/*
 * A file's scan, attached to its nativesyms table (freed with it): the
 * functions are the table's, this keeps which (indices) and the jumps.
 */
struct cold_file {
	__u32 *funcs;		/* the table's sized STT_FUNCs, by start, none overlapping */
	size_t nr_funcs;
	struct cold_jump *jumps;	/* sorted by target */
	size_t nr_jumps;
};

/*
 * A file's table and scan, as one module maps it.  The table's starts are
 * offsets from the module's start (its first mapping's address less that
 * mapping's file offset); the scan, like the sections and FDEs it reads, is
 * in file addresses, which libdw's bias turns into the process's (process =
 * file + bias).  So a symbol at offset off is at file address off + start -
 * bias, and pc at pc - bias.  start - bias (base) is the file address of the
 * module's start, libdw's bias being start less the first PT_LOAD's aligned
 * p_vaddr: the same in every process that maps the file, which is what lets
 * the table and the scan be shared by build-id.
 */
struct cold_ctx {
	const struct native_symtab *t;
	const struct cold_file *cf;
	__u64 base;		/* the file address of the module's start: start - bias */
};

static void file_free(void *p)
{
	struct cold_file *cf = p;

	free(cf->funcs);
	free(cf->jumps);
	free(cf);
}

static __s32 get_s32(const __u8 *p)
{
	__s32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int coldparts__fde(const __u8 *hdr, size_t hdr_len, __u64 hdr_addr, const __u8 *eh,
		   size_t eh_len, __u64 eh_addr, __u64 pc, __u64 *lo, __u64 *hi)
{
	size_t n, l = 0, r, off;
	__u64 loc, fde;
	__u32 len, range;

	/* version 1; eh_frame_ptr 4 bytes; fde_count udata4; table datarel sdata4 */
	if (hdr_len < 12 || hdr[0] != 1 || (hdr[1] & 0x0f) != 0x0b || hdr[2] != 0x03 ||
	    hdr[3] != 0x3b)
		return -ENOENT;
	memcpy(&len, hdr + 8, sizeof(len));
	n = len;
	if (n > (hdr_len - 12) / 8)
		return -ENOENT;
	/* The last entry whose initial location is at or below pc. */
	r = n;
	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (hdr_addr + (__u64)(__s64)get_s32(hdr + 12 + m * 8) <= pc)
			l = m + 1;
		else
			r = m;
	}
	if (!l)
		return -ENOENT;
	loc = hdr_addr + (__u64)(__s64)get_s32(hdr + 12 + (l - 1) * 8);
	fde = hdr_addr + (__u64)(__s64)get_s32(hdr + 12 + (l - 1) * 8 + 4);
	if (fde < eh_addr || fde - eh_addr > eh_len || eh_len - (fde - eh_addr) < 16)
		return -ENOENT;
	off = fde - eh_addr;
	memcpy(&len, eh + off, sizeof(len));
	memcpy(&range, eh + off + 12, sizeof(range));
	/* A 64-bit length or a CIE is not an FDE this reads; pc_begin must agree. */
	if (len < 12 || len == 0xffffffff || get_s32(eh + off + 4) == 0 ||
	    eh_addr + off + 8 + (__u64)(__s64)get_s32(eh + off + 8) != loc)
		return -ENOENT;
	if (pc >= loc + range)
		return -ENOENT;
	*lo = loc;
	*hi = loc + range;
	return 0;
}

static int cmp_jump(const void *a, const void *b)
{
	const struct cold_jump *x = a, *y = b;

	return x->target < y->target ? -1 : x->target > y->target;
}

/* Function k's [*lo, *hi) in file addresses; returns its name. */
static const char *func_range(const struct cold_ctx *x, size_t k, __u64 *lo, __u64 *hi)
{
	__u64 start, fsize;
	const char *name = native_symtab__func(x->t, x->cf->funcs[k], &start, &fsize);

	*lo = x->base + start;
	*hi = *lo + fsize;
	return name;
}

/* The index of the first function that ends above addr: nr_funcs if none. */
static size_t func_after(const struct cold_ctx *x, __u64 addr)
{
	size_t l = 0, r = x->cf->nr_funcs;
	__u64 lo, hi;

	while (l < r) {
		size_t m = l + (r - l) / 2;

		func_range(x, m, &lo, &hi);
		if (hi <= addr)
			l = m + 1;
		else
			r = m;
	}
	return l;
}

/* The function covering addr, or -1.  Functions do not overlap (scan_funcs). */
static ssize_t func_at(const struct cold_ctx *x, __u64 addr)
{
	size_t i = func_after(x, addr);
	__u64 lo, hi;

	if (i == x->cf->nr_funcs)
		return -1;
	func_range(x, i, &lo, &hi);
	return lo <= addr ? (ssize_t)i : -1;
}

/* Whether a function covers any of [lo, hi). */
static bool covers_any(const struct cold_ctx *x, __u64 lo, __u64 hi)
{
	size_t i = func_after(x, lo);
	__u64 flo, fhi;

	if (i == x->cf->nr_funcs)
		return false;
	func_range(x, i, &flo, &fhi);
	return flo < hi;
}

/*
 * The table's functions, its sized STT_FUNCs (already sorted, one a start),
 * less those starting inside the one before: nested or overlapping.
 */
static int scan_funcs(struct cold_file *cf, const struct native_symtab *t)
{
	size_t nr = native_symtab__nr(t);
	__u64 start, fsize, end = 0;

	/* The table's indices are 32-bit: a file of 4 Gi symbols is not scanned. */
	if (nr > UINT32_MAX)
		return -E2BIG;
	cf->funcs = calloc(nr ?: 1, sizeof(*cf->funcs));
	if (!cf->funcs)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		native_symtab__func(t, i, &start, &fsize);
		if (!fsize || (cf->nr_funcs && start < end))
			continue;
		cf->funcs[cf->nr_funcs++] = (__u32)i;
		end = start + fsize;
	}
	return 0;
}

struct exec_range {
	__u64 lo, hi;
	const __u8 *code;
};

static bool in_exec(const struct exec_range *x, size_t nr, __u64 addr)
{
	for (size_t i = 0; i < nr; i++)
		if (addr >= x[i].lo && addr < x[i].hi)
			return true;
	return false;
}

static int add_jump(struct cold_file *cf, size_t *cap, __u64 target, size_t func)
{
	struct cold_jump *j;

	if (cf->nr_jumps == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		j = realloc(cf->jumps, *cap * sizeof(*j));
		if (!j)
			return -ENOMEM;
		cf->jumps = j;
	}
	cf->jumps[cf->nr_jumps++] = (struct cold_jump){ target, (__u32)func };
	return 0;
}

/* The jumps from a named function's code into code no function covers. */
static int scan_jumps(struct cold_file *cf, const struct cold_ctx *cx, const struct exec_range *x,
		      size_t nr_x)
{
	size_t cap = 0;
	int err = 0;

	for (size_t s = 0; s < nr_x && !err; s++) {
		size_t len = x[s].hi - x[s].lo;

		for (size_t i = 0; i + 6 <= len && !err; i++) {
			const __u8 *p = x[s].code + i;
			size_t ilen = p[0] == 0xe9 ? 5 : p[0] == 0x0f && (p[1] & 0xf0) == 0x80 ? 6 : 0;
			__u64 from = x[s].lo + i, target;
			ssize_t fn;

			if (!ilen)
				continue;
			target = from + ilen + (__u64)(__s64)get_s32(p + ilen - 4);
			if (!in_exec(x, nr_x, target) || func_at(cx, target) >= 0)
				continue;
			fn = func_at(cx, from);
			if (fn >= 0)
				err = add_jump(cf, &cap, target, (size_t)fn);
		}
	}
	return err;
}

static Elf_Scn *section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh)) {
			const char *n = elf_strptr(elf, shstrndx, sh.sh_name);

			if (n && strcmp(n, name) == 0)
				return scn;
		}
	return NULL;
}

/* The executable sections of elf, with their bytes (read by libelf, kept with elf). */
static size_t exec_ranges(Elf *elf, struct exec_range *x)
{
	Elf_Scn *scn = NULL;
	size_t nr = 0;
	GElf_Shdr sh;
	Elf_Data *d;

	while ((scn = elf_nextscn(elf, scn)) && nr < COLDPARTS_EXEC_MAX) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size || sh.sh_addr + sh.sh_size < sh.sh_addr)
			continue;
		x[nr++] = (struct exec_range){ sh.sh_addr, sh.sh_addr + sh.sh_size, d->d_buf };
	}
	return nr;
}

/* Scans t's file, as mod maps it (base: see cold_ctx), into cf. */
static int file_scan(struct cold_file *cf, const struct native_symtab *t, Dwfl_Module *mod,
		     __u64 base)
{
	struct cold_ctx cx = { .t = t, .cf = cf, .base = base };
	struct exec_range x[COLDPARTS_EXEC_MAX];
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	int err;

	if (!elf)
		return -ENOENT;
	err = scan_funcs(cf, t) ?: scan_jumps(cf, &cx, x, exec_ranges(elf, x));
	if (!err && cf->nr_jumps)
		qsort(cf->jumps, cf->nr_jumps, sizeof(*cf->jumps), cmp_jump);
	return err;
}

/*
 * The scan of t's file, attached to t, made and attached if new: 0 or
 * -ENOMEM.  A file that cannot be scanned gets an empty one: not again.
 */
static int file_get(struct native_symtabs *c, const struct native_symtab *t, Dwfl_Module *mod,
		    __u64 base, const struct cold_file **out)
{
	struct cold_file *cf = native_symtab__attachment(t);
	int err;

	if (cf) {
		*out = cf;
		return 0;
	}
	cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	err = file_scan(cf, t, mod, base);
	if (err == -ENOMEM)
		goto cleanup;
	if (err) {
		free(cf->funcs);
		free(cf->jumps);
		*cf = (struct cold_file){};
	}
	err = native_symtabs__attach(c, t, cf, file_free);
	if (err)
		goto cleanup;
	*out = cf;
	return 0;
cleanup:
	file_free(cf);
	return err;
}

/* The FDE range of file address pc in mod's file: 0 or -ENOENT. */
static int fde_of(Dwfl_Module *mod, __u64 pc, __u64 *lo, __u64 *hi)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Elf_Scn *hs = elf ? section(elf, ".eh_frame_hdr") : NULL;
	Elf_Scn *es = elf ? section(elf, ".eh_frame") : NULL;
	Elf_Data *hd = hs ? elf_getdata(hs, NULL) : NULL;
	Elf_Data *ed = es ? elf_getdata(es, NULL) : NULL;
	GElf_Shdr hsh, esh;

	if (!hd || !ed || !hd->d_buf || !ed->d_buf || !gelf_getshdr(hs, &hsh) ||
	    !gelf_getshdr(es, &esh))
		return -ENOENT;
	return coldparts__fde(hd->d_buf, hd->d_size, hsh.sh_addr, ed->d_buf, ed->d_size,
			      esh.sh_addr, pc, lo, hi);
}

/* Whether the FDE's first row is a function's entry: CFA = rsp + 8. */
static bool fde_is_entry(Dwfl_Module *mod, __u64 lo)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	Dwarf_Frame *fr = NULL;
	Dwarf_Op *ops = NULL;
	size_t nops = 0;
	bool entry = true;

	if (!cfi || dwarf_cfi_addrframe(cfi, lo, &fr) != 0)
		return true;
	if (dwarf_frame_cfa(fr, &ops, &nops) == 0 && nops == 1)
		entry = (ops[0].atom == DW_OP_bregx && ops[0].number == DWARF_RSP &&
			 ops[0].number2 == 8) ||
			(ops[0].atom == DW_OP_breg0 + DWARF_RSP && ops[0].number == 8);
	free(fr);
	return entry;
}

/* The function jumping most into [lo, hi), by COLDPARTS_MIN_JUMPS and twice the next: or -1. */
static ssize_t parent(const struct cold_file *cf, __u64 lo, __u64 hi)
{
	struct { size_t func, n; } t[COLDPARTS_TALLY];
	size_t nt = 0, l = 0, r = cf->nr_jumps, best = 0, second = 0;
	ssize_t win = -1;

	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (cf->jumps[m].target < lo)
			l = m + 1;
		else
			r = m;
	}
	for (size_t i = l; i < cf->nr_jumps && cf->jumps[i].target < hi; i++) {
		size_t k = 0;

		while (k < nt && t[k].func != cf->jumps[i].func)
			k++;
		if (k == nt) {
			if (nt == COLDPARTS_TALLY)
				return -1;	/* that many: no function's own */
			t[nt++] = (typeof(t[0])){ cf->jumps[i].func, 0 };
		}
		t[k].n++;
	}
	for (size_t k = 0; k < nt; k++) {
		if (t[k].n > best) {
			second = best;
			best = t[k].n;
			win = (ssize_t)t[k].func;
		} else if (t[k].n > second) {
			second = t[k].n;
		}
	}
	return best >= COLDPARTS_MIN_JUMPS && best > 2 * second ? win : -1;
}

int coldparts__name(struct native_symtabs *c, const struct native_symtab *t, Dwfl_Module *mod,
		    Dwarf_Addr pc, char *buf, size_t size)
{
	const unsigned char *id;
	struct cold_ctx cx = { .t = t };
	Dwarf_Addr bias, start = 0;
	GElf_Addr vaddr;
	const char *name;
	__u64 lo, hi;
	ssize_t fn;
	int err;

	/* By build-id only, as when it had a cache of its own. */
	if (!dwfl_module_getelf(mod, &bias) || pc < bias ||
	    dwfl_module_build_id(mod, &id, &vaddr) <= 0 ||
	    !dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL))
		return -ENOENT;
	cx.base = start - bias;
	err = file_get(c, t, mod, cx.base, &cx.cf);
	if (err)
		return err;
	if (!cx.cf->nr_jumps || fde_of(mod, pc - bias, &lo, &hi))
		return -ENOENT;
	/* No function may cover any of the FDE: it is then that function's own code. */
	if (covers_any(&cx, lo, hi) || fde_is_entry(mod, lo))
		return -ENOENT;
	fn = parent(cx.cf, lo, hi);
	if (fn < 0)
		return -ENOENT;
	name = func_range(&cx, (size_t)fn, &lo, &hi);
	snprintf(buf, size, "%s.cold", name);
	return 0;
}
