// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "debugfile.h"
#include "nativesyms.h"

enum key_kind {
	KEY_NONE = 0,
	KEY_BUILD_ID,	/* bytes: the build-id */
	KEY_PROCESS,	/* bytes: pid, module start (a file without a build-id) */
};

struct key {
	__u8 kind, len;
	__u8 bytes[NATIVE_SYMTAB_KEY];
};

struct sym {
	__u64 start, size;
	/*
	 * The largest size of the STT_FUNCs starting here, the kept symbol's or
	 * an alias's (ICF leaves sized and sizeless ones at one address): 0 if
	 * none is sized.  coldparts' functions are these, not what lookup holds.
	 */
	__u64 fsize;
	__u32 name;	/* offset in names */
	__u8 rank;	/* of symbols at one address the lowest is kept: global, weak, local */
};

struct native_symtab {
	struct key key;
	int pid;		/* KEY_PROCESS: the process */
	struct sym *syms;	/* by start, one per start */
	size_t nr;
	char *names;
	void *attachment;	/* another module's, freed by attachment_free with the table */
	void (*attachment_free)(void *attachment);
};

struct native_symtabs {
	struct native_symtab tabs[NATIVE_SYMTABS];
	size_t next;
	__u64 built, hits, debug;
	char proc_root[PATH_MAX];	/* processes' roots: proc_root/PID/root */
};

/* A table being filled: where its next symbol and name go. */
struct tab_fill {
	struct native_symtab *t;
	size_t cap, names_len, names_cap;
};

struct native_symtabs *native_symtabs__new(const char *proc_root)
{
	struct native_symtabs *c = calloc(1, sizeof(struct native_symtabs));

	if (c && snprintf(c->proc_root, sizeof(c->proc_root), "%s", proc_root) >=
			 (int)sizeof(c->proc_root)) {
		free(c);
		return NULL;
	}
	return c;
}

static void tab_clear(struct native_symtab *t)
{
	if (t->attachment)
		t->attachment_free(t->attachment);
	free(t->syms);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

void native_symtabs__free(struct native_symtabs *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NATIVE_SYMTABS; i++)
		tab_clear(&c->tabs[i]);
	free(c);
}

void native_symtabs__forget(struct native_symtabs *c, int pid)
{
	for (size_t i = 0; c && i < NATIVE_SYMTABS; i++)
		if (c->tabs[i].key.kind == KEY_PROCESS && c->tabs[i].pid == pid)
			tab_clear(&c->tabs[i]);
}

void native_symtabs__stats(const struct native_symtabs *c, __u64 *built, __u64 *hits,
			   __u64 *debug)
{
	*built = c ? c->built : 0;
	*hits = c ? c->hits : 0;
	*debug = c ? c->debug : 0;
}

/* mod's key: its build-id, else (pid, start).  False if mod has no ELF. */
static bool module_key(Dwfl_Module *mod, int pid, Dwarf_Addr start, struct key *k)
{
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	Dwarf_Addr bias;
	int len;

	memset(k, 0, sizeof(*k));
	if (!dwfl_module_getelf(mod, &bias))
		return false;
	len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0 && len <= NATIVE_SYMTAB_KEY) {
		k->kind = KEY_BUILD_ID;
		k->len = (__u8)len;
		memcpy(k->bytes, bits, (size_t)len);
		return true;
	}
	k->kind = KEY_PROCESS;
	k->len = sizeof(pid) + sizeof(start);
	memcpy(k->bytes, &pid, sizeof(pid));
	memcpy(k->bytes + sizeof(pid), &start, sizeof(start));
	return true;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->rank - (int)y->rank;
}

/* Whether a symbol can hold a pc: code, or untyped (assembly's labels). */
static bool code_sym(const GElf_Sym *s, GElf_Word shndx)
{
	int type = GELF_ST_TYPE(s->st_info);

	return shndx != SHN_UNDEF && s->st_value &&
	       (type == STT_FUNC || type == STT_GNU_IFUNC || type == STT_NOTYPE);
}

static __u8 sym_rank(const GElf_Sym *s)
{
	int bind = GELF_ST_BIND(s->st_info);

	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

/* Appends a symbol at off (from the module's start): 0, -ENOMEM or -E2BIG. */
static int tab_add(struct tab_fill *f, const char *name, __u64 off, const GElf_Sym *s)
{
	struct native_symtab *t = f->t;
	size_t len = strlen(name) + 1;
	void *p;

	/* Names are found by a 32-bit offset: a hostile file's 4 GiB of them are refused. */
	if (f->names_len + len > UINT32_MAX)
		return -E2BIG;
	if (t->nr == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 256;
		p = realloc(t->syms, f->cap * sizeof(*t->syms));
		if (!p)
			return -ENOMEM;
		t->syms = p;
	}
	if (f->names_len + len > f->names_cap) {
		f->names_cap = (f->names_cap ? f->names_cap * 2 : 4096) + len;
		p = realloc(t->names, f->names_cap);
		if (!p)
			return -ENOMEM;
		t->names = p;
	}
	memcpy(t->names + f->names_len, name, len);
	t->syms[t->nr++] = (struct sym){
		.start = off, .size = s->st_size,
		.fsize = GELF_ST_TYPE(s->st_info) == STT_FUNC ? s->st_size : 0,
		.name = (__u32)f->names_len, .rank = sym_rank(s) };
	f->names_len += len;
	return 0;
}

/* Appends mod's code symbols (unsorted); 0, -ENOMEM or -E2BIG. */
static int tab_read(struct tab_fill *f, Dwfl_Module *mod, Dwarf_Addr start)
{
	int nr = dwfl_module_getsymtab(mod), err;

	for (int i = 1; i < nr; i++) {
		GElf_Sym s;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(mod, i, &s, &addr, &shndx, NULL, NULL);

		if (!name || !name[0] || !code_sym(&s, shndx) || addr < start)
			continue;
		err = tab_add(f, name, addr - start, &s);
		if (err)
			return err;
	}
	return 0;
}

/* The section of type type in elf, and its header: NULL if none. */
static Elf_Scn *section_of_type(Elf *elf, GElf_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	return NULL;
}

/* Appends the code symbols of a debug file's .symtab; bias: the module's load bias. */
static int tab_read_debug(struct tab_fill *f, Elf *elf, Dwarf_Addr bias, Dwarf_Addr start)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section_of_type(elf, SHT_SYMTAB, &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t nr = d && sh.sh_entsize ? d->d_size / sh.sh_entsize : 0;
	int err;

	for (size_t i = 1; i < nr && i <= INT_MAX; i++) {
		GElf_Sym s;
		const char *name;

		if (!gelf_getsym(d, (int)i, &s) || !code_sym(&s, s.st_shndx) ||
		    s.st_value + bias < start || s.st_value + bias < s.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !name[0])
			continue;
		err = tab_add(f, name, s.st_value + bias - start, &s);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A stripped file (no .symtab of its own) gets the symbols of its debug
 * file too, if one is installed in pid's root: true if it did.  The debug
 * file has the file's own addresses, so the module's bias places them.
 */
static bool tab_read_debugfile(struct native_symtabs *c, struct tab_fill *f, Dwfl_Module *mod,
			       int pid, const struct key *k, Dwarf_Addr start)
{
	Dwarf_Addr bias;
	Elf *main = dwfl_module_getelf(mod, &bias), *elf;
	GElf_Shdr sh;
	int fd;
	bool ok;

	if (k->kind != KEY_BUILD_ID || !main || section_of_type(main, SHT_SYMTAB, &sh))
		return false;
	fd = debugfile__open(c->proc_root, pid, k->bytes, k->len, &elf);
	if (fd < 0)
		return false;
	ok = tab_read_debug(f, elf, bias, start) == 0;
	elf_end(elf);
	close(fd);
	return ok;
}

/* Sorts t's symbols and keeps the best ranked of each address, with its aliases' fsize. */
static void tab_sort(struct native_symtab *t)
{
	size_t n = 0;

	if (!t->nr)
		return;
	qsort(t->syms, t->nr, sizeof(*t->syms), sym_cmp);
	for (size_t i = 1; i < t->nr; i++) {
		if (t->syms[i].start != t->syms[n].start)
			t->syms[++n] = t->syms[i];
		else if (t->syms[i].fsize > t->syms[n].fsize)
			t->syms[n].fsize = t->syms[i].fsize;
	}
	t->nr = n + 1;
}

const struct native_symtab *native_symtabs__get(struct native_symtabs *c, int pid,
						Dwfl_Module *mod)
{
	struct tab_fill f = { 0 };
	struct native_symtab *t;
	Dwarf_Addr start = 0;
	struct key k;

	if (!c || !dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL) ||
	    !module_key(mod, pid, start, &k))
		return NULL;
	for (size_t i = 0; i < NATIVE_SYMTABS; i++) {
		t = &c->tabs[i];
		if (t->key.kind == k.kind && t->key.len == k.len &&
		    memcmp(t->key.bytes, k.bytes, k.len) == 0) {
			c->hits++;
			return t;
		}
	}
	t = &c->tabs[c->next];
	c->next = (c->next + 1) % NATIVE_SYMTABS;
	tab_clear(t);
	f.t = t;
	if (tab_read(&f, mod, start)) {
		tab_clear(t);
		return NULL;
	}
	/* A debug file that cannot be read leaves the file's own symbols. */
	c->debug += tab_read_debugfile(c, &f, mod, pid, &k, start);
	tab_sort(t);
	t->key = k;
	t->pid = pid;
	c->built++;
	return t;
}

/*
 * The symbol holding off: the last one starting at or below it whose size
 * covers it (one nested in a bigger one comes after it), else a sizeless one
 * right below it (nothing after it starts before off).
 */
const char *native_symtab__lookup(const struct native_symtab *t, __u64 off, __u64 *sym_off)
{
	size_t lo = 0, hi = t->nr, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	i = lo - 1;
	/* A few back: the function a small nested label (sized 0) sits in. */
	for (size_t j = i + 1, n = 0; j-- > 0 && n < 8; n++) {
		const struct sym *s = &t->syms[j];

		if (s->size && off - s->start < s->size) {
			*sym_off = off - s->start;
			return t->names + s->name;
		}
	}
	if (t->syms[i].size)
		return NULL;
	*sym_off = off - t->syms[i].start;
	return t->names + t->syms[i].name;
}

size_t native_symtab__nr(const struct native_symtab *t)
{
	return t->nr;
}

const char *native_symtab__func(const struct native_symtab *t, size_t i, __u64 *start,
				__u64 *fsize)
{
	*start = t->syms[i].start;
	*fsize = t->syms[i].fsize;
	return t->names + t->syms[i].name;
}

void *native_symtab__attachment(const struct native_symtab *t)
{
	return t->attachment;
}

int native_symtabs__attach(struct native_symtabs *c, const struct native_symtab *t, void *data,
			   void (*free_fn)(void *data))
{
	/* c's own entry, reached through c: the table stays const to its readers. */
	for (size_t i = 0; c && data && free_fn && i < NATIVE_SYMTABS; i++) {
		if (&c->tabs[i] != t || t->attachment)
			continue;
		c->tabs[i].attachment = data;
		c->tabs[i].attachment_free = free_fn;
		return 0;
	}
	return -EINVAL;
}
