// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* elffile: symbols, sections and contents of an ELF file on disk (libelf). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gelf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elffile.h"

/* One defined symbol; name points into libelf's copy of the string table. */
struct elf_sym {
	const char *name;
	__u64 value;
	__u64 size;
	__u64 order;	/* rank << 32 | index: the lower wins among equal names */
	__u32 len;	/* bytes of name before any "@VERSION" */
};

/* Ranks: .symtab before .dynsym; global before local; default version before hidden. */
#define RANK_DYNSYM 4
#define RANK_LOCAL  2
#define RANK_HIDDEN 1

#ifndef VERSYM_HIDDEN
#define VERSYM_HIDDEN 0x8000	/* .gnu.version: not the default version ("foo@VER") */
#endif

struct elf_file {
	int fd;
	Elf *elf;
	size_t shstrndx;	/* 0 when there is no section name table */
	GElf_Phdr *phdrs;
	size_t phnum;
	struct elf_sym *syms;	/* sorted by name, then order */
	size_t nr_syms;
	size_t cap_syms;
};

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int sym_cmp(const void *pa, const void *pb)
{
	const struct elf_sym *a = pa, *b = pb;
	int c = name_cmp(a->name, a->len, b->name, b->len);

	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool range_in_file(__u64 off, __u64 size, __u64 file_size)
{
	return off <= file_size && size <= file_size - off;
}

static int load_phdrs(struct elf_file *ef, __u64 file_size)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOEXEC;
	if (!n)
		return 0;
	ef->phdrs = calloc(n, sizeof(*ef->phdrs));
	if (!ef->phdrs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr *ph = &ef->phdrs[i];

		if (!gelf_getphdr(ef->elf, (int)i, ph))
			return -ENOEXEC;
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz ||
		    !range_in_file(ph->p_offset, ph->p_filesz, file_size) ||
		    ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
			return -ENOEXEC;
	}
	ef->phnum = n;
	return 0;
}

/* The SHT_GNU_versym section that belongs to the symbol table at index symndx, if any. */
static Elf_Data *find_versym(struct elf_file *ef, size_t symndx, size_t nr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf_Data *data;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_GNU_versym || sh.sh_link != symndx)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || data->d_size / sizeof(GElf_Versym) < nr)
			return NULL;
		return data;
	}
	return NULL;
}

static int add_symtab(struct elf_file *ef, Elf_Scn *scn, const GElf_Shdr *sh)
{
	size_t ent = gelf_fsize(ef->elf, ELF_T_SYM, 1, EV_CURRENT);
	size_t symndx = elf_ndxscn(scn), nr;
	Elf_Data *data, *versym = NULL;
	__u32 rank = sh->sh_type == SHT_DYNSYM ? RANK_DYNSYM : 0;

	data = elf_getdata(scn, NULL);
	if (!data || !ent)
		return -ENOEXEC;
	if (!data->d_buf)
		return 0;
	nr = data->d_size / ent;
	if (nr > INT_MAX)
		return -ENOEXEC;
	if (nr > ef->cap_syms - ef->nr_syms) {
		size_t cap = ef->nr_syms + nr;
		struct elf_sym *tmp = reallocarray(ef->syms, cap, sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		ef->syms = tmp;
		ef->cap_syms = cap;
	}
	if (sh->sh_type == SHT_DYNSYM)
		versym = find_versym(ef, symndx, nr);

	for (size_t i = 1; i < nr; i++) {
		struct elf_sym *s = &ef->syms[ef->nr_syms];
		__u32 r = rank;
		GElf_Versym vs;
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			return -ENOEXEC;
		/* An IFUNC is a function too (st_value is its resolver): it keeps memcpy@@ first. */
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || !sym.st_name ||
		    (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS &&
		     type != STT_GNU_IFUNC))
			continue;
		name = elf_strptr(ef->elf, sh->sh_link, sym.st_name);
		if (!name || !*name || *name == '@')
			continue;
		if (GELF_ST_BIND(sym.st_info) == STB_LOCAL)
			r |= RANK_LOCAL;
		if (versym && gelf_getversym(versym, (int)i, &vs) && (vs & VERSYM_HIDDEN))
			r |= RANK_HIDDEN;
		s->name = name;
		s->len = (__u32)strcspn(name, "@");
		s->value = sym.st_value;
		s->size = sym.st_size;
		s->order = (__u64)r << 32 | (__u32)ef->nr_syms;
		ef->nr_syms++;
	}
	return 0;
}

static int index_symbols(struct elf_file *ef)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		err = add_symtab(ef, scn, &sh);
		if (err)
			return err;
	}
	if (ef->nr_syms)
		qsort(ef->syms, ef->nr_syms, sizeof(*ef->syms), sym_cmp);
	return 0;
}

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *ef;
	GElf_Ehdr ehdr;
	size_t shnum, phnum;
	struct stat st;
	int err;

	pthread_once(&libelf_once, libelf_init);
	if (!libelf_ok) {
		errno = ENOEXEC;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return NULL;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(ef->fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	err = -ENOEXEC;
	if (!S_ISREG(st.st_mode))
		goto cleanup;
	/* ELF_C_READ, not mmap: a file truncated under us must not SIGBUS. */
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &ehdr))
		goto cleanup;
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
		goto cleanup;
	/* libelf quietly shortens header tables cut off by the end of the file: refuse those. */
	if (elf_getshdrnum(ef->elf, &shnum) || elf_getphdrnum(ef->elf, &phnum))
		goto cleanup;
	if (ehdr.e_shnum && shnum != ehdr.e_shnum)
		goto cleanup;
	if (shnum &&
	    (ehdr.e_shentsize != sizeof(Elf64_Shdr) ||
	     !range_in_file(ehdr.e_shoff, (__u64)shnum * sizeof(Elf64_Shdr), (__u64)st.st_size) ||
	     elf_getshdrstrndx(ef->elf, &ef->shstrndx)))
		goto cleanup;
	if (ehdr.e_phnum != PN_XNUM && phnum != ehdr.e_phnum)
		goto cleanup;
	if (phnum &&
	    (ehdr.e_phentsize != sizeof(Elf64_Phdr) ||
	     !range_in_file(ehdr.e_phoff, (__u64)phnum * sizeof(Elf64_Phdr), (__u64)st.st_size)))
		goto cleanup;
	err = load_phdrs(ef, (__u64)st.st_size);
	if (err)
		goto cleanup;
	err = index_symbols(ef);
	if (err)
		goto cleanup;
	return ef;

cleanup:
	elf_file__free(ef);
	errno = -err;
	return NULL;
}

void elf_file__free(struct elf_file *ef)
{
	if (!ef)
		return;
	free(ef->syms);
	free(ef->phdrs);
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef);
}

int elf_file__find_symbol(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size)
{
	size_t lo = 0, hi = ef->nr_syms, len = strlen(name);

	/* Lower bound: the first entry not below name, the best ranked among equal names. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct elf_sym *s = &ef->syms[mid];

		if (name_cmp(s->name, s->len, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ef->nr_syms || name_cmp(ef->syms[lo].name, ef->syms[lo].len, name, len))
		return -ENOENT;
	if (ret_addr)
		*ret_addr = ef->syms[lo].value;
	if (ret_size)
		*ret_size = ef->syms[lo].size;
	return 0;
}

int elf_file__find_section(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size)
{
	Elf_Scn *scn = NULL;
	const char *s;
	GElf_Shdr sh;

	if (!ef->shstrndx)
		return -ENOENT;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		s = elf_strptr(ef->elf, ef->shstrndx, sh.sh_name);
		if (!s || strcmp(s, name))
			continue;
		if (ret_addr)
			*ret_addr = sh.sh_addr;
		if (ret_size)
			*ret_size = sh.sh_size;
		return 0;
	}
	return -ENOENT;
}

int elf_file__read_vaddr(struct elf_file *ef, __u64 vaddr, void *buf, size_t len)
{
	for (size_t i = 0; i < ef->phnum; i++) {
		const GElf_Phdr *ph = &ef->phdrs[i];
		__u64 off, n, done = 0;

		if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr)
			continue;
		off = vaddr - ph->p_vaddr;
		if (off > ph->p_memsz || len > ph->p_memsz - off)
			continue;
		n = off < ph->p_filesz ? ph->p_filesz - off : 0;
		if (n > len)
			n = len;
		while (done < n) {
			ssize_t r = pread(ef->fd, (char *)buf + done, n - done,
					  (off_t)(ph->p_offset + off + done));

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -EIO; /* the file shrank since it was opened */
			done += (__u64)r;
		}
		memset((char *)buf + n, 0, len - n);
		return 0;
	}
	return -EFAULT;
}

int elf_file__foreach_needed(struct elf_file *ef, int (*cb)(const char *name, void *ctx),
			     void *ctx)
{
	size_t ent = gelf_fsize(ef->elf, ELF_T_DYN, 1, EV_CURRENT);
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;
	GElf_Dyn dyn;
	int ret;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !ent)
			return -ENOEXEC;
		for (size_t i = 0; data->d_buf && i < data->d_size / ent; i++) {
			const char *name;

			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val);
			if (!name)
				continue;
			ret = cb(name, ctx);
			if (ret)
				return ret;
		}
		return 0;
	}
	return 0;
}

int elf_file__load_bias(struct elf_file *ef, __u64 map_start, __u64 map_offset, __u64 *ret_bias)
{
	long page = sysconf(_SC_PAGESIZE);
	__u64 mask = ~((__u64)(page > 0 ? page : 4096) - 1);
	const GElf_Phdr *hit = NULL;

	/*
	 * The kernel maps a segment from its page-aligned file offset, so the
	 * first page of a segment may also hold the tail of the one before it:
	 * a segment that starts on the page at map_offset wins over one that
	 * merely contains it (the tail of an earlier segment).
	 */
	for (size_t i = 0; i < ef->phnum; i++) {
		const GElf_Phdr *ph = &ef->phdrs[i];

		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		if ((ph->p_offset & mask) == map_offset) {
			hit = ph;
			break;
		}
		if (!hit && (ph->p_offset & mask) <= map_offset &&
		    map_offset < ph->p_offset + ph->p_filesz)
			hit = ph;
	}
	if (!hit)
		return -ENOENT;
	*ret_bias = map_start - map_offset - (hit->p_vaddr - hit->p_offset);
	return 0;
}
