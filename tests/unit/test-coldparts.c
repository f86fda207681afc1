// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for coldparts: libcold.so (tests/helpers/coldlib.c, GCC's
 * cold_parent.cold in .symtab) stripped, where only the jumps into it can
 * name that part; and .eh_frame_hdr lookups of hostile bytes.
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "dwflhelp.h"
#include "testhelp.h"
#include "target/coldparts.h"
#include "target/nativesyms.h"

/* coldparts__name() of pc in mod, with mod's table from c, as nativeunwind asks. */
static int cold_name(struct native_symtabs *c, Dwfl_Module *mod, Dwarf_Addr pc, char *buf,
		     size_t size)
{
	const struct native_symtab *t = native_symtabs__get(c, getpid(), mod);

	return t ? coldparts__name(c, t, mod, pc, buf, size) : -ENOMEM;
}

TEST(stripped_cold_part_named_after_its_parent)
{
	Dwfl *full = NULL, *stripped = NULL;
	Dwfl_Module *fm = helper_module(&full, "libcold.so");
	Dwfl_Module *sm = helper_module(&stripped, "libcold_stripped.so");
	/* No process root, so no debug file: only what the stripped file holds. */
	struct native_symtabs *c = native_symtabs__new("/nonexistent");
	Dwarf_Addr cold, fail, parent, fbias, sbias;
	__u64 built, hits, debug;
	char name[64];

	ASSERT_TRUE(fm && sm && c);
	dwfl_module_getelf(fm, &fbias);
	dwfl_module_getelf(sm, &sbias);
	cold = sym_addr(fm, "cold_parent.cold");
	fail = sym_addr(fm, "cold_fail");
	parent = sym_addr(fm, "cold_parent");
	/* GCC split it, and the stripped copy names neither part in its symbols. */
	ASSERT_TRUE(cold && fail && parent);
	ASSERT_TRUE(dwfl_module_addrname(sm, cold - fbias + sbias) == NULL);
	ASSERT_OK(cold_name(c, sm, cold - fbias + sbias + 1, name, sizeof(name)));
	ASSERT_STREQ(name, "cold_parent.cold");
	/* Again, from the scan attached to the file's table: one table read. */
	memset(name, 0, sizeof(name));
	ASSERT_TRUE(native_symtab__attachment(native_symtabs__get(c, getpid(), sm)) != NULL);
	ASSERT_OK(cold_name(c, sm, cold - fbias + sbias, name, sizeof(name)));
	ASSERT_STREQ(name, "cold_parent.cold");
	native_symtabs__stats(c, &built, &hits, &debug);
	ASSERT_EQ(built, 1);
	/* A static function is called, not jumped into, and starts a frame: not a cold part. */
	ASSERT_EQ(cold_name(c, sm, fail - fbias + sbias + 1, name, sizeof(name)), -ENOENT);
	/* A named function is its own. */
	ASSERT_EQ(cold_name(c, sm, parent - fbias + sbias + 1, name, sizeof(name)), -ENOENT);
	native_symtabs__free(c);
	/*
	 * The unstripped file, in a cache of its own (strip keeps the build-id,
	 * the key): every jump lands in a symbol, none is kept.
	 */
	c = native_symtabs__new("/nonexistent");
	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(cold_name(c, fm, cold + 1, name, sizeof(name)), -ENOENT);
	native_symtabs__free(c);
	dwfl_end(full);
	dwfl_end(stripped);
}

/*
 * MiniDebugInfo: libdw reads .gnu_debugdata's symbols itself (elfutils built
 * with liblzma, as Debian's is), so its static functions and .cold parts
 * are named without coldparts.
 */
TEST(minidebuginfo_symbols)
{
	Dwfl *full = NULL, *mini = NULL;
	Dwfl_Module *fm = helper_module(&full, "libcold.so");
	Dwfl_Module *mm = helper_module(&mini, "libcold_mini.so");
	Dwarf_Addr fbias, mbias;
	const char *name;

	ASSERT_TRUE(fm && mm);
	dwfl_module_getelf(fm, &fbias);
	dwfl_module_getelf(mm, &mbias);
	name = dwfl_module_addrname(mm, sym_addr(fm, "cold_fail") - fbias + mbias + 1);
	ASSERT_STREQ(name, "cold_fail");
	name = dwfl_module_addrname(mm, sym_addr(fm, "cold_parent.cold") - fbias + mbias + 1);
	ASSERT_STREQ(name, "cold_parent.cold");
	dwfl_end(full);
	dwfl_end(mini);
}

/* An .eh_frame_hdr with one entry for the FDE at eh_addr + 0 covering [0x1000, 0x1010). */
static void make_fde(__u8 *hdr, __u8 *eh)
{
	__u32 n = 1, len = 16, cie = 8, range = 0x10;
	__s32 ehptr = 0x2100 - (0x2000 + 4), loc = 0x1000 - 0x2000, fde = 0x2100 - 0x2000;
	__s32 pcrel = 0x1000 - (0x2100 + 8);

	hdr[0] = 1;
	hdr[1] = 0x1b;
	hdr[2] = 0x03;
	hdr[3] = 0x3b;
	memcpy(hdr + 4, &ehptr, 4);
	memcpy(hdr + 8, &n, 4);
	memcpy(hdr + 12, &loc, 4);
	memcpy(hdr + 16, &fde, 4);
	memcpy(eh, &len, 4);
	memcpy(eh + 4, &cie, 4);
	memcpy(eh + 8, &pcrel, 4);
	memcpy(eh + 12, &range, 4);
}

TEST(fde_table)
{
	__u8 hdr[20] = { 0 }, eh[20] = { 0 };
	__u64 lo = 0, hi = 0;
	__u32 big = 0x7fffffff;

	make_fde(hdr, eh);
	ASSERT_OK(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, sizeof(eh), 0x2100, 0x1008, &lo, &hi));
	ASSERT_EQ(lo, 0x1000);
	ASSERT_EQ(hi, 0x1010);
	/* Past its range, below the first entry, the table cut, the FDE cut. */
	ASSERT_EQ(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, sizeof(eh), 0x2100, 0x1010, &lo, &hi),
		  -ENOENT);
	ASSERT_EQ(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, sizeof(eh), 0x2100, 0xfff, &lo, &hi),
		  -ENOENT);
	ASSERT_EQ(coldparts__fde(hdr, 19, 0x2000, eh, sizeof(eh), 0x2100, 0x1008, &lo, &hi),
		  -ENOENT);
	ASSERT_EQ(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, 15, 0x2100, 0x1008, &lo, &hi),
		  -ENOENT);
	/* An FDE count beyond the table; a pc_begin that disagrees; another encoding. */
	memcpy(hdr + 8, &big, 4);
	ASSERT_EQ(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, sizeof(eh), 0x2100, 0x1008, &lo, &hi),
		  -ENOENT);
	make_fde(hdr, eh);
	eh[8] ^= 1;
	ASSERT_EQ(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, sizeof(eh), 0x2100, 0x1008, &lo, &hi),
		  -ENOENT);
	make_fde(hdr, eh);
	hdr[3] = 0x1b;
	ASSERT_EQ(coldparts__fde(hdr, sizeof(hdr), 0x2000, eh, sizeof(eh), 0x2100, 0x1008, &lo, &hi),
		  -ENOENT);
}
