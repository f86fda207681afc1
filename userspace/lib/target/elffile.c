// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* elffile: symbols, sections and contents of an ELF file on disk, read in bounded chunks. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "target/elffile.h"

/* Ranks: .symtab before .dynsym; global before local; default version before hidden. */
#define RANK_DYNSYM 4
#define RANK_LOCAL  2
#define RANK_HIDDEN 1

#define VERSYM_HIDDEN_BIT 0x8000 /* .gnu.version: not the default version ("foo@VER") */

/* Where a name may start in a string table: offsets of its matches, at most this many. */
#define NAME_HITS_MAX 16

struct elf_file {
	int fd;
	__u64 file_size;
	__u64 read_left;	/* of ELFFILE_MAX_READ_BYTES */
	Elf64_Shdr *shdrs;
	size_t shnum;
	size_t shstrndx;	/* 0 when there is no section name table */
	Elf64_Phdr *phdrs;
	size_t phnum;
};

static bool range_in_file(__u64 off, __u64 size, __u64 file_size)
{
	return off <= file_size && size <= file_size - off;
}

/* Reads exactly len bytes at off, charged to the file's read budget. */
static int read_at(struct elf_file *ef, __u64 off, void *buf, size_t len)
{
	size_t done = 0;

	if (len > ef->read_left)
		return -EFBIG;
	ef->read_left -= len;
	while (done < len) {
		ssize_t r = pread(ef->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* the file shrank since it was opened */
		done += (size_t)r;
	}
	return 0;
}

static int check_ident(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT)
		return -ENOEXEC;
	return 0;
}

/*
 * Section and segment counts, with the extended numbering of section 0
 * (e_shnum 0, e_shstrndx SHN_XINDEX, e_phnum PN_XNUM) resolved.
 */
static int header_counts(struct elf_file *ef, const Elf64_Ehdr *eh, size_t *ret_shstrndx)
{
	Elf64_Shdr sh0 = { 0 };
	__u64 shnum = eh->e_shnum, phnum = eh->e_phnum, strndx = eh->e_shstrndx;
	int err;

	if (eh->e_shoff) {
		if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
		    !range_in_file(eh->e_shoff, sizeof(sh0), ef->file_size))
			return -ENOEXEC;
		err = read_at(ef, eh->e_shoff, &sh0, sizeof(sh0));
		if (err)
			return err;
		if (!shnum)
			shnum = sh0.sh_size;
		if (strndx == SHN_XINDEX)
			strndx = sh0.sh_link;
		if (phnum == PN_XNUM)
			phnum = sh0.sh_info;
	} else {
		shnum = 0;
		strndx = 0;
	}
	if (shnum > ELFFILE_MAX_SECTIONS || phnum > ELFFILE_MAX_SEGMENTS)
		return -EFBIG;
	if (shnum && !range_in_file(eh->e_shoff, shnum * sizeof(Elf64_Shdr), ef->file_size))
		return -ENOEXEC;
	if (phnum && (eh->e_phentsize != sizeof(Elf64_Phdr) ||
		      !range_in_file(eh->e_phoff, phnum * sizeof(Elf64_Phdr), ef->file_size)))
		return -ENOEXEC;
	if (strndx >= SHN_LORESERVE && strndx != SHN_XINDEX && shnum < SHN_LORESERVE)
		strndx = 0;
	if (shnum && strndx >= shnum)
		return -EBADMSG;
	ef->shnum = (size_t)shnum;
	ef->phnum = (size_t)phnum;
	*ret_shstrndx = (size_t)strndx;
	return 0;
}

static bool is_symtab(const Elf64_Shdr *sh)
{
	return sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_DYNSYM;
}

/* A section whose bytes we may read: inside the file, and its table under the cap. */
static int check_section(const struct elf_file *ef, const Elf64_Shdr *sh)
{
	const Elf64_Shdr *link;

	if (sh->sh_type == SHT_NOBITS || sh->sh_type == SHT_NULL)
		return 0;
	if (!range_in_file(sh->sh_offset, sh->sh_size, ef->file_size))
		return -EBADMSG;
	if (!is_symtab(sh) && sh->sh_type != SHT_DYNAMIC && sh->sh_type != SHT_GNU_versym)
		return 0;
	if (sh->sh_size > ELFFILE_MAX_TABLE_BYTES)
		return -EFBIG;
	if (sh->sh_type == SHT_GNU_versym)
		return 0;
	if (sh->sh_entsize != (is_symtab(sh) ? sizeof(Elf64_Sym) : sizeof(Elf64_Dyn)) ||
	    sh->sh_size % sh->sh_entsize)
		return -EBADMSG;
	/* The string table the names are in. */
	if (!sh->sh_link || sh->sh_link >= ef->shnum)
		return -EBADMSG;
	link = &ef->shdrs[sh->sh_link];
	if (link->sh_type != SHT_STRTAB)
		return -EBADMSG;
	if (link->sh_size > ELFFILE_MAX_TABLE_BYTES)
		return -EFBIG;
	return 0;
}

static int load_shdrs(struct elf_file *ef, const Elf64_Ehdr *eh, size_t shstrndx)
{
	int err;

	if (!ef->shnum)
		return 0;
	ef->shdrs = calloc(ef->shnum, sizeof(*ef->shdrs));
	if (!ef->shdrs)
		return -ENOMEM;
	err = read_at(ef, eh->e_shoff, ef->shdrs, ef->shnum * sizeof(*ef->shdrs));
	if (err)
		return err;
	for (size_t i = 1; i < ef->shnum; i++) {
		err = check_section(ef, &ef->shdrs[i]);
		if (err)
			return err;
	}
	if (shstrndx && ef->shdrs[shstrndx].sh_type != SHT_STRTAB)
		return -EBADMSG;
	ef->shstrndx = shstrndx;
	return 0;
}

static int load_phdrs(struct elf_file *ef, const Elf64_Ehdr *eh)
{
	int err;

	if (!ef->phnum)
		return 0;
	ef->phdrs = calloc(ef->phnum, sizeof(*ef->phdrs));
	if (!ef->phdrs)
		return -ENOMEM;
	err = read_at(ef, eh->e_phoff, ef->phdrs, ef->phnum * sizeof(*ef->phdrs));
	if (err)
		return err;
	for (size_t i = 0; i < ef->phnum; i++) {
		const Elf64_Phdr *ph = &ef->phdrs[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz ||
		    !range_in_file(ph->p_offset, ph->p_filesz, ef->file_size) ||
		    ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
			return -EBADMSG;
	}
	return 0;
}

struct elf_file *elf_file__open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : elf_file__from_fd(fd);
}

struct elf_file *elf_file__from_fd(int fd)
{
	struct elf_file *ef;
	Elf64_Ehdr eh;
	size_t shstrndx = 0;
	struct stat st;
	int err;

	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	ef->read_left = ELFFILE_MAX_READ_BYTES;
	ef->fd = fd;
	if (fstat(ef->fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	err = -ENOEXEC;
	if (!S_ISREG(st.st_mode) || (__u64)st.st_size < sizeof(eh))
		goto cleanup;
	ef->file_size = (__u64)st.st_size;
	err = read_at(ef, 0, &eh, sizeof(eh));
	if (err == -EIO)
		err = -ENOEXEC;
	err = err ?: check_ident(&eh);
	err = err ?: header_counts(ef, &eh, &shstrndx);
	err = err ?: load_shdrs(ef, &eh, shstrndx);
	err = err ?: load_phdrs(ef, &eh);
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
	free(ef->shdrs);
	free(ef->phdrs);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef);
}

/* The names looked up in one pass and, per name, where it starts in the current string table. */
struct lookup {
	const char *const *names;
	size_t lens[ELFFILE_MAX_LOOKUP];
	size_t n, maxlen;
	__u32 hits[ELFFILE_MAX_LOOKUP][NAME_HITS_MAX];
	size_t nr_hits[ELFFILE_MAX_LOOKUP];
	__u64 best[ELFFILE_MAX_LOOKUP];	/* rank << 32 | index of the best match so far */
	struct elf_file_sym *ret;
};

/* Records where at base+pos each name ends in NUL or '@' ("foo@@VER" matches "foo"). */
static void scan_chunk(struct lookup *lk, const char *buf, size_t len, size_t scan_end, __u64 base)
{
	for (size_t k = 0; k < lk->n; k++) {
		const char *p = buf, *end = buf + scan_end;

		while (p < end &&
		       (p = memmem(p, (size_t)(buf + len - p), lk->names[k], lk->lens[k]))) {
			size_t at = (size_t)(p - buf);
			char next;

			if (at >= scan_end)
				break;
			if (at + lk->lens[k] >= len)
				break; /* needs the next chunk: the overlap covers it */
			next = buf[at + lk->lens[k]];
			if ((next == '\0' || next == '@') && lk->nr_hits[k] < NAME_HITS_MAX)
				lk->hits[k][lk->nr_hits[k]++] = (__u32)(base + at);
			p++;
		}
	}
}

/*
 * Streams a string table in chunks, finding every offset where a name
 * starts: consecutive chunks overlap by the longest name plus its end byte.
 */
static int find_names(struct elf_file *ef, const Elf64_Shdr *strtab, struct lookup *lk, char *buf)
{
	size_t overlap = lk->maxlen + 1;
	__u64 off = 0;
	int err;

	memset(lk->nr_hits, 0, sizeof(lk->nr_hits));
	while (off < strtab->sh_size) {
		size_t len = ELFFILE_CHUNK_BYTES;
		bool last;

		if (len > strtab->sh_size - off)
			len = (size_t)(strtab->sh_size - off);
		last = off + len == strtab->sh_size;
		err = read_at(ef, strtab->sh_offset + off, buf, len);
		if (err)
			return err;
		/* Names starting in the overlap are found by the next chunk. */
		scan_chunk(lk, buf, len, last ? len : len - overlap, off);
		if (last)
			break;
		off += len - overlap;
	}
	return 0;
}

static bool wanted_sym(const Elf64_Sym *s)
{
	int type = ELF64_ST_TYPE(s->st_info);

	/* An IFUNC is a function too (st_value is its resolver): it keeps memcpy@@ first. */
	return s->st_shndx != SHN_UNDEF && s->st_name &&
	       (type == STT_FUNC || type == STT_OBJECT || type == STT_TLS || type == STT_GNU_IFUNC);
}

/* The SHT_GNU_versym section that belongs to the symbol table at index symndx, if any. */
static const Elf64_Shdr *find_versym(const struct elf_file *ef, size_t symndx, __u64 nr)
{
	for (size_t i = 1; i < ef->shnum; i++) {
		const Elf64_Shdr *sh = &ef->shdrs[i];

		if (sh->sh_type == SHT_GNU_versym && sh->sh_link == symndx)
			return sh->sh_size / sizeof(Elf64_Half) >= nr ? sh : NULL;
	}
	return NULL;
}

static int match_sym(struct elf_file *ef, struct lookup *lk, const Elf64_Sym *s, __u64 idx,
		     __u32 rank, const Elf64_Shdr *versym)
{
	Elf64_Half vs;
	int err;

	for (size_t k = 0; k < lk->n; k++) {
		__u32 r = rank;
		__u64 order;
		size_t h;

		for (h = 0; h < lk->nr_hits[k] && lk->hits[k][h] != s->st_name; h++)
			;
		if (h == lk->nr_hits[k])
			continue;
		if (ELF64_ST_BIND(s->st_info) == STB_LOCAL)
			r |= RANK_LOCAL;
		if (versym) {
			err = read_at(ef, versym->sh_offset + idx * sizeof(vs), &vs, sizeof(vs));
			if (err)
				return err;
			if (vs & VERSYM_HIDDEN_BIT)
				r |= RANK_HIDDEN;
		}
		order = (__u64)r << 32 | (__u32)idx;
		if (lk->ret[k].found && order >= lk->best[k])
			continue;
		lk->best[k] = order;
		lk->ret[k].found = 1;
		lk->ret[k].addr = s->st_value;
		lk->ret[k].size = s->st_size;
	}
	return 0;
}

/* One symbol table, streamed: its names first, then the entries that use them. */
static int scan_symtab(struct elf_file *ef, size_t symndx, struct lookup *lk, char *buf)
{
	const Elf64_Shdr *sh = &ef->shdrs[symndx], *strtab = &ef->shdrs[sh->sh_link];
	__u64 nr = sh->sh_size / sizeof(Elf64_Sym), idx = 0;
	const Elf64_Shdr *versym = NULL;
	bool any = false;
	int err;

	err = find_names(ef, strtab, lk, buf);
	if (err)
		return err;
	for (size_t k = 0; k < lk->n; k++)
		any |= lk->nr_hits[k] > 0;
	if (!any)
		return 0; /* not one of the names is in this table */
	if (sh->sh_type == SHT_DYNSYM)
		versym = find_versym(ef, symndx, nr);
	while (idx < nr) {
		size_t cnt = ELFFILE_CHUNK_BYTES / sizeof(Elf64_Sym);
		const Elf64_Sym *syms = (const Elf64_Sym *)buf;

		if (cnt > nr - idx)
			cnt = (size_t)(nr - idx);
		err = read_at(ef, sh->sh_offset + idx * sizeof(Elf64_Sym), buf,
			      cnt * sizeof(Elf64_Sym));
		if (err)
			return err;
		for (size_t i = 0; i < cnt; i++, idx++) {
			if (!idx || !wanted_sym(&syms[i]))
				continue;
			if (syms[i].st_name >= strtab->sh_size)
				return -EBADMSG;
			err = match_sym(ef, lk, &syms[i], idx,
					sh->sh_type == SHT_DYNSYM ? RANK_DYNSYM : 0, versym);
			if (err)
				return err;
		}
	}
	return 0;
}

int elf_file__find_symbols(struct elf_file *ef, const char *const *names, size_t n,
			   struct elf_file_sym *ret)
{
	struct lookup *lk;
	char *buf = NULL;
	int err = 0;

	if (n > ELFFILE_MAX_LOOKUP)
		return -EINVAL;
	memset(ret, 0, n * sizeof(*ret));
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	lk->names = names;
	lk->n = n;
	lk->ret = ret;
	for (size_t k = 0; k < n; k++) {
		lk->lens[k] = strlen(names[k]);
		if (!lk->lens[k] || lk->lens[k] > ELFFILE_MAX_NAME) {
			err = -EINVAL;
			goto cleanup;
		}
		if (lk->lens[k] > lk->maxlen)
			lk->maxlen = lk->lens[k];
	}
	buf = malloc(ELFFILE_CHUNK_BYTES);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* .symtab first: its entries outrank those of .dynsym. */
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (size_t i = 1; i < ef->shnum && !err; i++) {
			if (ef->shdrs[i].sh_type == (pass ? SHT_DYNSYM : SHT_SYMTAB))
				err = scan_symtab(ef, i, lk, buf);
		}
	}
cleanup:
	free(buf);
	free(lk);
	return err;
}

int elf_file__find_symbol(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size)
{
	struct elf_file_sym s;
	int err;

	if (!*name || strlen(name) > ELFFILE_MAX_NAME)
		return -ENOENT;
	err = elf_file__find_symbols(ef, &name, 1, &s);
	if (err)
		return err;
	if (!s.found)
		return -ENOENT;
	if (ret_addr)
		*ret_addr = s.addr;
	if (ret_size)
		*ret_size = s.size;
	return 0;
}

/* Reads the NUL-terminated string at off of a string table into buf; -EBADMSG if it is not one. */
static int read_str(struct elf_file *ef, const Elf64_Shdr *strtab, __u64 off, char *buf,
		    size_t sz)
{
	size_t len = sz;
	int err;

	if (off >= strtab->sh_size)
		return -EBADMSG;
	if (len > strtab->sh_size - off)
		len = (size_t)(strtab->sh_size - off);
	err = read_at(ef, strtab->sh_offset + off, buf, len);
	if (err)
		return err;
	if (!memchr(buf, '\0', len))
		return -ENAMETOOLONG; /* longer than any name we look for */
	return 0;
}

int elf_file__find_section(struct elf_file *ef, const char *name, __u64 *ret_addr, __u64 *ret_size)
{
	size_t len = strlen(name);
	char buf[ELFFILE_MAX_NAME + 1];
	int err;

	if (!ef->shstrndx || len > ELFFILE_MAX_NAME)
		return -ENOENT;
	for (size_t i = 1; i < ef->shnum; i++) {
		const Elf64_Shdr *sh = &ef->shdrs[i];

		err = read_str(ef, &ef->shdrs[ef->shstrndx], sh->sh_name, buf, len + 1);
		if (err == -EIO || err == -EFBIG)
			return err;
		if (err || strcmp(buf, name))
			continue;
		if (ret_addr)
			*ret_addr = sh->sh_addr;
		if (ret_size)
			*ret_size = sh->sh_size;
		return 0;
	}
	return -ENOENT;
}

int elf_file__read_vaddr(struct elf_file *ef, __u64 vaddr, void *buf, size_t len)
{
	for (size_t i = 0; i < ef->phnum; i++) {
		const Elf64_Phdr *ph = &ef->phdrs[i];
		__u64 off, n;
		int err;

		if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr)
			continue;
		off = vaddr - ph->p_vaddr;
		if (off > ph->p_memsz || len > ph->p_memsz - off)
			continue;
		n = off < ph->p_filesz ? ph->p_filesz - off : 0;
		if (n > len)
			n = len;
		err = n ? read_at(ef, ph->p_offset + off, buf, (size_t)n) : 0;
		if (err)
			return err;
		memset((char *)buf + n, 0, len - n);
		return 0;
	}
	return -EFAULT;
}

int elf_file__vaddr_to_offset(struct elf_file *ef, __u64 vaddr, __u64 *ret_offset)
{
	for (size_t i = 0; i < ef->phnum; i++) {
		const Elf64_Phdr *ph = &ef->phdrs[i];

		if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr ||
		    vaddr - ph->p_vaddr >= ph->p_filesz)
			continue;
		*ret_offset = ph->p_offset + (vaddr - ph->p_vaddr);
		return 0;
	}
	return -EFAULT;
}

/* The DT_NEEDED entries of one dynamic section, streamed. */
static int walk_dynamic(struct elf_file *ef, const Elf64_Shdr *sh,
			int (*cb)(const char *name, void *ctx), void *ctx)
{
	__u64 nr = sh->sh_size / sizeof(Elf64_Dyn), idx = 0;
	Elf64_Dyn dyn[256];
	char name[256];
	int err;

	while (idx < nr) {
		size_t cnt = sizeof(dyn) / sizeof(dyn[0]);

		if (cnt > nr - idx)
			cnt = (size_t)(nr - idx);
		err = read_at(ef, sh->sh_offset + idx * sizeof(Elf64_Dyn), dyn, cnt * sizeof(*dyn));
		if (err)
			return err;
		for (size_t i = 0; i < cnt; i++, idx++) {
			if (dyn[i].d_tag == DT_NULL)
				return 0;
			if (dyn[i].d_tag != DT_NEEDED)
				continue;
			err = read_str(ef, &ef->shdrs[sh->sh_link], dyn[i].d_un.d_val, name,
				       sizeof(name));
			if (err == -ENAMETOOLONG)
				continue; /* no library of ours has such a name */
			if (err)
				return err;
			err = cb(name, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

int elf_file__foreach_needed(struct elf_file *ef, int (*cb)(const char *name, void *ctx),
			     void *ctx)
{
	for (size_t i = 1; i < ef->shnum; i++)
		if (ef->shdrs[i].sh_type == SHT_DYNAMIC)
			return walk_dynamic(ef, &ef->shdrs[i], cb, ctx);
	return 0;
}

int elf_file__load_bias(struct elf_file *ef, __u64 map_start, __u64 map_offset, __u64 *ret_bias)
{
	long page = sysconf(_SC_PAGESIZE);
	__u64 mask = ~((__u64)(page > 0 ? page : 4096) - 1);
	const Elf64_Phdr *hit = NULL;

	/*
	 * The kernel maps a segment from its page-aligned file offset, so the
	 * first page of a segment may also hold the tail of the one before it:
	 * a segment that starts on the page at map_offset wins over one that
	 * merely contains it (the tail of an earlier segment).
	 */
	for (size_t i = 0; i < ef->phnum; i++) {
		const Elf64_Phdr *ph = &ef->phdrs[i];

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
