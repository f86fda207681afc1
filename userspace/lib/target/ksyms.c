// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ksyms: kernel symbols from /proc/kallsyms, address to name. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/ksyms.h"
#include "base/util.h"

#define KSYMS_IOBUF (64 * 1024)

struct ksym {
	__u64 addr;
	__u64 name_off;	/* into names; grows with file order, so it also breaks ties */
};

struct ksyms {
	struct ksym *syms;	/* sorted by address, one per address */
	size_t nr, cap;
	char *names;		/* every name NUL-terminated, back to back */
	size_t names_len, names_cap;
};

static bool is_text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

static int ksym_cmp(const void *pa, const void *pb)
{
	const struct ksym *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->name_off < b->name_off ? -1 : a->name_off > b->name_off;
}

static int add_sym(struct ksyms *ks, __u64 addr, const char *name, size_t len)
{
	if (grow_array((void **)&ks->syms, &ks->cap, ks->nr + 1, sizeof(*ks->syms)))
		return -ENOMEM;
	if (grow_array((void **)&ks->names, &ks->names_cap, ks->names_len + len + 1, 1))
		return -ENOMEM;
	memcpy(ks->names + ks->names_len, name, len);
	ks->names[ks->names_len + len] = '\0';
	ks->syms[ks->nr].addr = addr;
	ks->syms[ks->nr].name_off = ks->names_len;
	ks->names_len += len + 1;
	ks->nr++;
	return 0;
}

/*
 * One line "addr type name[\t[module]]".  Returns 1 and fills the fields, or
 * 0 for a line that does not parse (skipped).
 */
static int parse_line(const char *s, __u64 *addr, char *type, const char **name, size_t *len)
{
	__u64 v = 0;
	int d, digits = 0;

	for (; (d = hex_digit(*s)) >= 0; s++, digits++) {
		if (digits == 16)
			return 0;
		v = v << 4 | (__u64)d;
	}
	if (!digits || s[0] != ' ' || !s[1] || s[2] != ' ')
		return 0;
	*addr = v;
	*type = s[1];
	s += 3;
	*len = strcspn(s, " \t\r\n");
	*name = s;
	return *len > 0;
}

struct ksyms *ksyms__load(const char *path)
{
	struct ksyms *ks = NULL;
	bool any_addr = false;
	char *line = NULL, *iobuf = NULL;
	size_t line_cap = 0, n;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	iobuf = malloc(KSYMS_IOBUF);
	if (!ks || !iobuf) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* procfs reports 1 KiB blocks: 5000 read()s for kallsyms with the default buffer. */
	setvbuf(f, iobuf, _IOFBF, KSYMS_IOBUF);
	while (getline(&line, &line_cap, f) > 0) {
		const char *name;
		__u64 addr;
		size_t len;
		char type;

		if (!parse_line(line, &addr, &type, &name, &len))
			continue;
		if (addr)
			any_addr = true;
		if (!addr || !is_text_type(type))
			continue;
		err = add_sym(ks, addr, name, len);
		if (err)
			goto cleanup;
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	if (!any_addr) {
		err = -EPERM;
		goto cleanup;
	}

	/* Sort by address and keep the first symbol, in file order, of each address. */
	if (ks->nr)
		qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym_cmp);
	n = 0;
	for (size_t i = 0; i < ks->nr; i++)
		if (!n || ks->syms[i].addr != ks->syms[n - 1].addr)
			ks->syms[n++] = ks->syms[i];
	ks->nr = n;

cleanup:
	free(line);
	fclose(f);
	free(iobuf);
	if (err) {
		ksyms__free(ks);
		errno = -err;
		return NULL;
	}
	return ks;
}

const char *ksyms__lookup(const struct ksyms *ks, __u64 addr, __u64 *ret_off)
{
	size_t lo = 0, hi = ks->nr;

	/* The first symbol above addr; the one before it is the answer. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (ret_off)
		*ret_off = addr - ks->syms[lo - 1].addr;
	return ks->names + ks->syms[lo - 1].name_off;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->names);
	free(ks);
}
