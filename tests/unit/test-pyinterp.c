// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for pyinterp: version and layout detection on the interpreters of this machine. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/elffile.h"
#include "target/pyinterp.h"

static int analyze(const char *path, struct pyinterp_info *info)
{
	struct elf_file *ef = elf_file__open(path);
	int err;

	if (!ef)
		return -errno;
	err = pyinterp__analyze(ef, info);
	elf_file__free(ef);
	return err;
}

TEST(debian_static_311)
{
	struct pyinterp_info info;

	if (access("/usr/bin/python3.11", R_OK))
		TEST_SKIP("/usr/bin/python3.11 not installed");
	ASSERT_OK(analyze("/usr/bin/python3.11", &info));
	ASSERT_TRUE(info.supported);
	ASSERT_EQ(info.version_hex >> 16, 0x030b);
	ASSERT_TRUE(info.runtime_vaddr != 0);
	ASSERT_EQ(info.layout.tstate_thread_id, 152);
	ASSERT_EQ(info.code.co_qualname, 128);
}

/* Every pyenv build: the right minor version from the binary, a layout or a reason. */
TEST(pyenv_libpython)
{
	glob_t g;
	size_t checked = 0;

	if (glob("/root/.pyenv/versions/*/lib/libpython*.so.1.0", 0, NULL, &g) != 0)
		TEST_SKIP("no pyenv builds");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		const char *v = strstr(path, "versions/") + 9;
		unsigned int maj = 0, min = 0;
		struct pyinterp_info info;

		if (sscanf(v, "%u.%u", &maj, &min) != 2)
			continue;
		ASSERT_OK(analyze(path, &info));
		if ((info.version_hex >> 24) != maj || ((info.version_hex >> 16) & 0xff) != min)
			TEST_FAIL("%s: detected 0x%x", path, info.version_hex);
		if (maj == 3 && min >= 9 && min <= 13) {
			if (!info.supported)
				TEST_FAIL("%s: unsupported: %s", path, info.why);
			ASSERT_TRUE(info.runtime_vaddr != 0);
		} else if (info.supported || !info.why[0]) {
			TEST_FAIL("%s: %u.%u should be unsupported with a reason", path, maj, min);
		}
		if (maj == 3 && min == 13)
			ASSERT_EQ(info.source, PYINTERP_SOURCE_DEBUG_OFFSETS);
		checked++;
	}
	globfree(&g);
	ASSERT_TRUE(checked > 0);
}

/* 3.13's own debug offsets must agree with the built-in table for 3.13. */
TEST(debug_offsets_match_table)
{
	struct pyinterp_info dbg, tab;
	glob_t g;

	if (glob("/root/.pyenv/versions/3.13*/lib/libpython3.13.so.1.0", 0, NULL, &g) != 0)
		TEST_SKIP("no CPython 3.13");
	ASSERT_OK(analyze(g.gl_pathv[0], &dbg));
	globfree(&g);
	ASSERT_EQ(dbg.source, PYINTERP_SOURCE_DEBUG_OFFSETS);
	ASSERT_OK(pyinterp__table_layout(dbg.version_hex, &tab));
	dbg.layout.version_hex = tab.layout.version_hex;
	ASSERT_TRUE(memcmp(&dbg.layout, &tab.layout, sizeof(tab.layout)) == 0);
	ASSERT_TRUE(memcmp(&dbg.code, &tab.code, sizeof(tab.code)) == 0);
	ASSERT_EQ(dbg.gil_state_off, tab.gil_state_off);
	ASSERT_EQ(dbg.gil_state_size, tab.gil_state_size);
}

/* ---- offline: the _Py_DebugOffsets blobs of real interpreters (tests/data/debugoffsets) ---- */

#define BLOB_MAX 1024

struct blob {
	__u8 b[BLOB_MAX];
	size_t len;
};

/* Word i of a blob (blobs are little-endian, like this machine). */
static __u64 blob_word(const struct blob *bl, size_t i)
{
	__u64 v;

	memcpy(&v, bl->b + i * 8, 8);
	return v;
}

static void blob_set(struct blob *bl, size_t i, __u64 v)
{
	memcpy(bl->b + i * 8, &v, 8);
}

static int load_blob(const char *name, struct blob *bl)
{
	const char *srcdir = getenv("PYPROF_SRCDIR");
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/tests/data/debugoffsets/%s.bin",
		 srcdir && *srcdir ? srcdir : ".", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, bl->b, sizeof(bl->b));
	close(fd);
	if (n <= 0)
		return -EIO;
	bl->len = (size_t)n;
	return 0;
}

#define LOAD(name, bl)                                                                       \
	do {                                                                                 \
		int e_ = load_blob(name, bl);                                                \
		if (e_)                                                                      \
			TEST_FAIL("tests/data/debugoffsets/%s.bin: %s (run from the source " \
				  "tree or set PYPROF_SRCDIR)",                              \
				  name, strerror(-e_));                                      \
	} while (0)

static int parse(const struct blob *bl, size_t len, struct pyinterp_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	info->why[0] = '\0';
	return pyinterp__parse_debug_offsets(bl->b, len, info);
}

/* Each real interpreter's own offsets: accepted, with the layout the walker needs. */
TEST(real_blobs)
{
	static const struct {
		const char *name;
		__u32 version;
		__s16 thread_id, adaptive, owner, linetable;
		__u8 tag_mask;
		__u16 code_size, ascii_size;
		__s16 tlbc_index, co_tlbc;
		__u16 kind_shift;
	} want[] = {
		{ "python3.13", 0x030d00f0, 152, 200, 70, 136, 0, 144, 40, -1, -1, 2 },
		/* free-threaded: a 32-byte PyObject header moves object fields by 16 */
		{ "python3.13t", 0x030d0ff0, 152, 216, 70, 152, 0, 160, 56, -1, -1, 2 },
		{ "python3.14", 0x030e0af0, 152, 208, 74, 136, 7, 144, 40, -1, -1, 2 },
		{ "python3.15", 0x030f02f0, 176, 208, 74, 136, 7, 144, 40, -1, -1, 2 },
		/*
		 * Synthesized from the releases' headers (synth-ft): thread-local
		 * bytecode, co_tlbc before co_code_adaptive, a char interned in str.
		 */
		{ "python3.14t", 0x030e0af0, 152, 232, 78, 152, 7, 160, 56, 72, 224, 8 },
		{ "python3.15t", 0x030f02f0, 176, 232, 78, 152, 7, 160, 56, 72, 224, 8 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct pyinterp_info info;
		struct blob bl;

		LOAD(want[i].name, &bl);
		if (parse(&bl, bl.len, &info))
			TEST_FAIL("%s refused: %s", want[i].name, info.why);
		ASSERT_TRUE(info.supported);
		ASSERT_EQ(info.source, PYINTERP_SOURCE_DEBUG_OFFSETS);
		ASSERT_EQ(info.version_hex, want[i].version);
		ASSERT_EQ(info.layout.version_hex, want[i].version);
		ASSERT_EQ(info.layout.tstate_thread_id, want[i].thread_id);
		ASSERT_EQ(info.layout.tstate_frame, 72);
		ASSERT_EQ(info.layout.code_adaptive, want[i].adaptive);
		ASSERT_EQ(info.layout.frame_owner, want[i].owner);
		ASSERT_EQ(info.layout.tag_mask, want[i].tag_mask);
		ASSERT_EQ(info.layout.owner_shim, 3);
		ASSERT_EQ(info.layout.bottom, PYPROF_BOTTOM_SHIM);
		ASSERT_EQ(info.layout.instr_kind, PYPROF_INSTR_PTR);
		ASSERT_EQ(info.code.co_linetable, want[i].linetable);
		ASSERT_EQ(info.code.code_size, want[i].code_size);
		ASSERT_EQ(info.code.ascii_size, want[i].ascii_size);
		ASSERT_EQ(info.code.compact_size, want[i].ascii_size + 16);
		ASSERT_EQ(info.layout.frame_tlbc_index, want[i].tlbc_index);
		ASSERT_EQ(info.layout.code_tlbc, want[i].co_tlbc);
		ASSERT_EQ(info.layout.tlbc_entries, want[i].tlbc_index >= 0 ? 8 : 0);
		ASSERT_EQ(info.code.unicode_kind_shift, want[i].kind_shift);
		/* What list shows: "3.14.10t", and whether it was ever run here. */
		{
			const char *n = want[i].name;
			bool ft = n[strlen(n) - 1] == 't';
			char v[32];

			ASSERT_EQ(info.free_threaded, ft);
			ASSERT_EQ(info.derived, ft && strcmp(n, "python3.13t") != 0);
			pyinterp__build_str(&info, v, sizeof(v));
			ASSERT_EQ(v[strlen(v) - 1] == 't', ft);
		}
		ASSERT_TRUE(info.layout.code_fp_off >= 0);
		ASSERT_TRUE(info.layout.frame_read <= PYPROF_FRAME_READ);
		/* The frame read covers tlbc_index, and owner after it. */
		ASSERT_TRUE(info.layout.frame_read >= info.layout.frame_owner + 1);
		ASSERT_TRUE(info.layout.frame_read >= info.layout.frame_tlbc_index + 4);
		ASSERT_STREQ(info.why, "");
	}
}

/*
 * The free-threaded 3.14 and 3.15 layouts against the default builds' real
 * ones: equal but for what Py_GIL_DISABLED changes in their headers (object
 * fields 16 bytes on, the frame's tlbc_index and the owner after it, co_tlbc
 * before co_code_adaptive, str's kind from bit 8), and no GIL.
 */
TEST(free_threaded_vs_default)
{
	static const char *const pairs[][2] = { { "python3.14", "python3.14t" },
						{ "python3.15", "python3.15t" } };

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct pyinterp_info gil, ft;
		struct pyprof_layout l;
		struct pycode_layout c;
		struct blob bl;

		LOAD(pairs[i][0], &bl);
		ASSERT_OK(parse(&bl, bl.len, &gil));
		LOAD(pairs[i][1], &bl);
		ASSERT_OK(parse(&bl, bl.len, &ft));
		l = gil.layout;
		l.frame_owner += 4;
		l.frame_tlbc_index = 72;
		l.code_tlbc = gil.layout.code_adaptive + 16;
		l.code_adaptive += 16 + 8;
		l.tlbc_entries = 8;
		l.code_fp_off += 16;
		l.frame_read = 80;
		/* No GIL; the collector's state is where the default build has it. */
		l.interp_gil = l.gil_locked = l.gil_holder = -1;
		ASSERT_TRUE(memcmp(&l, &ft.layout, sizeof(l)) == 0);
		c = gil.code;
		c.co_filename += 16;
		c.co_name += 16;
		c.co_qualname += 16;
		c.co_firstlineno += 16;
		c.co_linetable += 16;
		c.code_size += 16;
		c.ascii_size += 16;
		c.compact_size += 16;
		c.unicode_state += 16;
		c.unicode_length += 16;
		c.bytes_size += 16;
		c.bytes_data += 16;
		c.unicode_kind_shift = 8;
		ASSERT_TRUE(memcmp(&c, &ft.code, sizeof(c)) == 0);
	}
}

/* 3.13's blob and the table measured with gdb agree field for field. */
TEST(real_blob_313_matches_table)
{
	struct pyinterp_info dbg, tab;
	struct blob bl;

	LOAD("python3.13", &bl);
	ASSERT_OK(parse(&bl, bl.len, &dbg));
	memset(&tab, 0, sizeof(tab));
	ASSERT_OK(pyinterp__table_layout(dbg.version_hex, &tab));
	ASSERT_TRUE(memcmp(&dbg.layout, &tab.layout, sizeof(tab.layout)) == 0);
	ASSERT_TRUE(memcmp(&dbg.code, &tab.code, sizeof(tab.code)) == 0);
	ASSERT_EQ(dbg.gil_state_off, tab.gil_state_off);
	ASSERT_EQ(dbg.gil_state_size, tab.gil_state_size);
}

/* A patch release with the same offsets works without a code change. */
TEST(patch_bump_accepted)
{
	static const char *const names[] = { "python3.13", "python3.13t", "python3.14",
					     "python3.14t", "python3.15", "python3.15t" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct pyinterp_info a, b;
		struct blob bl;
		__u64 ver;

		LOAD(names[i], &bl);
		ASSERT_OK(parse(&bl, bl.len, &a));
		ver = blob_word(&bl, 1);
		blob_set(&bl, 1, (ver & ~0xff00ull) | (((ver >> 8) & 0xff) + 7) << 8);
		ASSERT_OK(parse(&bl, bl.len, &b));
		ASSERT_EQ(b.version_hex, (__u32)blob_word(&bl, 1));
		ASSERT_TRUE(b.supported);
		b.layout.version_hex = a.layout.version_hex;
		ASSERT_TRUE(memcmp(&a.layout, &b.layout, sizeof(a.layout)) == 0);
		ASSERT_TRUE(memcmp(&a.code, &b.code, sizeof(a.code)) == 0);
		/* A release candidate of the same minor too. */
		blob_set(&bl, 1, (ver & ~0xffffull) | 0xc1);
		ASSERT_OK(parse(&bl, bl.len, &b));
	}
}

/* A new minor version is refused with its name and the reason, whatever its blob holds. */
TEST(minor_bump_refused)
{
	struct pyinterp_info info;
	struct blob bl;

	LOAD("python3.15", &bl);
	blob_set(&bl, 1, 0x031000a1); /* 3.16.0a1 */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(!info.supported);
	ASSERT_TRUE(strstr(info.why, "3.16.0a1") != NULL);
	ASSERT_TRUE(strstr(info.why, "not checked") != NULL);
	ASSERT_TRUE(strstr(info.why, "3.13-3.15") != NULL);
	blob_set(&bl, 2, 1);
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "free-threaded") != NULL);
	blob_set(&bl, 1, 0x040000f0); /* 4.0 */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EINVAL);
	ASSERT_TRUE(info.why[0] != '\0');
}

/* A patch release that moved a field is refused, naming the field and both values. */
TEST(changed_offset_refused)
{
	struct pyinterp_info info;
	struct blob bl;

	LOAD("python3.14", &bl);
	blob_set(&bl, 1, 0x030e0bf0); /* 3.14.11 */
	blob_set(&bl, 27, 160);	     /* thread_state.thread_id */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(!info.supported);
	ASSERT_TRUE(strstr(info.why, "3.14.11") != NULL);
	ASSERT_TRUE(strstr(info.why, "thread_state.thread_id is 160, 152 in 3.14.10") != NULL);
	LOAD("python3.15", &bl);
	blob_set(&bl, 44, 75); /* interpreter_frame.owner */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "interpreter_frame.owner is 75, 74 in 3.15.2") != NULL);
}

/*
 * The GIL and collector fields, as gil_oracle.py found them in the live
 * interpreters (test_gil.py): offsets into the GIL state for BPF, the main
 * interpreter's GIL in _PyRuntime for the daemon, none in free-threaded
 * builds.  A changed field, or a main interpreter elsewhere, is refused.
 */
TEST(gil_gc_fields)
{
	static const struct {
		const char *name;
		__s16 interp_gil, locked, holder, collecting;
		__u32 state_off;
	} want[] = {
		{ "python3.13", 16, 16, 8, 7600, 88352 + 7752 },
		{ "python3.13t", -1, -1, -1, 7600, 0 },
		{ "python3.14", 16, 16, 8, 7408 + 192, 90752 + 7784 },
		{ "python3.14t", -1, -1, -1, 7408 + 192, 0 },
		{ "python3.15", 16, 16, 8, 7400 + 112, 120328 + 7736 },
		{ "python3.15t", -1, -1, -1, 7400 + 112, 0 },
	};
	struct pyinterp_info info;
	struct blob bl;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		LOAD(want[i].name, &bl);
		ASSERT_OK(parse(&bl, bl.len, &info));
		ASSERT_EQ(info.layout.tstate_interp, 16);
		ASSERT_EQ(info.layout.runtime_gil, -1);
		ASSERT_EQ(info.layout.interp_gil, want[i].interp_gil);
		ASSERT_EQ(info.layout.gil_locked, want[i].locked);
		ASSERT_EQ(info.layout.gil_holder, want[i].holder);
		ASSERT_EQ(info.layout.gc_collecting, want[i].collecting);
		ASSERT_EQ(info.gil_state_off, want[i].state_off);
		ASSERT_EQ(info.gil_state_size, want[i].state_off ? 208 : 0);
	}
	LOAD("python3.14", &bl);
	blob_set(&bl, 18, 7804); /* interpreter_state.gil_runtime_state_locked */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "gil_runtime_state_locked is 7804, 7800") != NULL);
	LOAD("python3.15", &bl);
	blob_set(&bl, 95, 120); /* gc.collecting */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "gc.collecting is 120, 112") != NULL);
	/* A larger _PyRuntimeState: the main interpreter (and its GIL) moved. */
	LOAD("python3.13", &bl);
	blob_set(&bl, 3, blob_word(&bl, 3) + 64);
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "is not 88352") != NULL);
	/* Free-threaded builds have no GIL to find: their sizes are not checked. */
	LOAD("python3.13t", &bl);
	blob_set(&bl, 3, blob_word(&bl, 3) + 64);
	ASSERT_OK(parse(&bl, bl.len, &info));
}

/* The built-in tables for 3.9-3.12 hold what gil_oracle.py found in those interpreters. */
TEST(table_gil_fields)
{
	static const struct {
		__u32 hex;
		__s16 runtime_gil, interp_gil, collecting;
		__u32 state_off;
	} want[] = {
		{ 0x030912f0, 352, -1, 816, 352 },
		{ 0x030a0df0, 352, -1, 816, 352 },
		{ 0x030b07f0, 360, -1, 848, 360 },
		{ 0x030c01f0, -1, 384, 312, 76392 + 1040 },
	};
	struct pyinterp_info info;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(&info, 0, sizeof(info));
		ASSERT_OK(pyinterp__table_layout(want[i].hex, &info));
		ASSERT_EQ(info.layout.tstate_interp, 16);
		ASSERT_EQ(info.layout.runtime_gil, want[i].runtime_gil);
		ASSERT_EQ(info.layout.interp_gil, want[i].interp_gil);
		ASSERT_EQ(info.layout.gil_locked, 16);
		ASSERT_EQ(info.layout.gil_holder, 8);
		ASSERT_EQ(info.layout.gc_collecting, want[i].collecting);
		ASSERT_EQ(info.gil_state_off, want[i].state_off);
		ASSERT_EQ(info.gil_state_size, 208);
	}
}

/* The free_threaded flag selects another checked layout: a GIL layout is never used for it. */
TEST(free_threaded_flag)
{
	struct pyinterp_info info;
	struct blob bl;

	/* The default 3.14 and 3.15 flagged free-threaded: not the derived layouts. */
	LOAD("python3.14", &bl);
	blob_set(&bl, 2, 1);
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "CPython 3.14.10 free-threaded: _Py_DebugOffsets "
				     "interpreter_frame.owner is 74, 78 in 3.14.10 as "
				     "derived") != NULL);
	LOAD("python3.15", &bl);
	blob_set(&bl, 2, 1);
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "in 3.15.2 as derived") != NULL);
	/* And the free-threaded ones flagged as default builds. */
	LOAD("python3.14t", &bl);
	ASSERT_EQ(blob_word(&bl, 2), 1);
	blob_set(&bl, 2, 0);
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "in 3.14.10 as checked") != NULL);
	LOAD("python3.13", &bl);
	blob_set(&bl, 2, 1); /* a GIL 3.13 layout flagged free-threaded: offsets differ */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "free-threaded") != NULL);
	ASSERT_TRUE(strstr(info.why, "in 3.13.15 as checked") != NULL);
	blob_set(&bl, 2, 2); /* neither 0 nor 1 */
	ASSERT_EQ(parse(&bl, bl.len, &info), -EINVAL);
	/* The real 3.13t: accepted as free-threaded, refused when flagged as a GIL build. */
	LOAD("python3.13t", &bl);
	ASSERT_EQ(blob_word(&bl, 2), 1);
	ASSERT_OK(parse(&bl, bl.len, &info));
	blob_set(&bl, 2, 0);
	ASSERT_EQ(parse(&bl, bl.len, &info), -EPROTONOSUPPORT);
	ASSERT_TRUE(strstr(info.why, "in 3.13.0 as checked") != NULL);
}

/*
 * Every word of every real blob corrupted, one at a time, and every length
 * cut short: an error with a reason or the same layout, never a crash (the
 * sanitizer build checks reads), never a layout from a changed field.
 */
TEST(corrupt_blobs)
{
	static const char *const names[] = { "python3.13", "python3.13t", "python3.14",
					     "python3.14t", "python3.15", "python3.15t" };
	static const __u64 junk[] = { 0, 1, 8, 0x7fff, 0x8000, 0xffffffffull, ~0ull };

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		struct pyinterp_info good, info;
		struct blob bl, orig;
		size_t words;
		int r;

		LOAD(names[n], &orig);
		ASSERT_OK(parse(&orig, orig.len, &good));
		words = orig.len / 8;
		for (size_t i = 0; i < words; i++) {
			for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
				bl = orig;
				blob_set(&bl, i, junk[j]);
				r = parse(&bl, bl.len, &info);
				if (r != 0 && r != -EINVAL && r != -EPROTONOSUPPORT)
					TEST_FAIL("%s word %zu: %d", names[n], i, r);
				if (r != 0 && (!memchr(info.why, '\0', sizeof(info.why)) ||
					       !info.why[0] || info.supported))
					TEST_FAIL("%s word %zu: refused without a reason", names[n],
						  i);
				if (r == 0 && i != 1 &&
				    (memcmp(&info.layout, &good.layout, sizeof(good.layout)) ||
				     memcmp(&info.code, &good.code, sizeof(good.code)) ||
				     info.gil_state_off != good.gil_state_off))
					TEST_FAIL("%s word %zu = %llu: accepted another layout",
						  names[n], i, (unsigned long long)junk[j]);
			}
		}
		for (size_t len = 0; len < orig.len; len++) {
			r = parse(&orig, len, &info);
			if (r != 0 && r != -EINVAL)
				TEST_FAIL("%s cut to %zu bytes: %d", names[n], len, r);
			if (r == 0 && memcmp(&info.layout, &good.layout, sizeof(good.layout)))
				TEST_FAIL("%s cut to %zu bytes: another layout", names[n], len);
		}
		/* The shortest accepted length is the struct's own size. */
		ASSERT_EQ(parse(&orig, 72 * 8, &info), -EINVAL);
	}
}

/* The blob pyinterp__analyze() hands over is a byte array: no alignment promised. */
TEST(debug_offsets_unaligned)
{
	_Alignas(8) __u8 raw[BLOB_MAX + 1];
	struct pyinterp_info a, b;
	struct blob bl;

	LOAD("python3.14", &bl);
	memcpy(raw + 1, bl.b, bl.len);
	ASSERT_OK(parse(&bl, bl.len, &a));
	memset(&b, 0, sizeof(b));
	ASSERT_OK(pyinterp__parse_debug_offsets(raw + 1, bl.len, &b));
	ASSERT_TRUE(memcmp(&a.layout, &b.layout, sizeof(a.layout)) == 0);
}

/* The tree's interpreters themselves, when it is there (tests/pythons/provision). */
TEST(sid_tree_binaries)
{
	const char *tree = getenv("PYPROF_SID_TREE");
	static const struct {
		const char *path;
		__u32 minor;
	} bins[] = {
		{ "usr/bin/python3.14", 14 },
		{ "usr/bin/python3.15", 15 },
		{ "usr/lib/x86_64-linux-gnu/libpython3.14.so.1.0", 14 },
		{ "usr/lib/x86_64-linux-gnu/libpython3.15.so.1.0", 15 },
		{ "opt/py313t/bin/python3.13t", 13 },
	};
	size_t checked = 0;

	if (!tree || !*tree)
		tree = "/var/cache/pyprof/pythons/sid";
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		struct pyinterp_info info;
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", tree, bins[i].path);
		if (access(path, R_OK))
			continue;
		ASSERT_OK(analyze(path, &info));
		if (!info.supported)
			TEST_FAIL("%s: %s", path, info.why);
		ASSERT_EQ((info.version_hex >> 16) & 0xff, bins[i].minor);
		ASSERT_EQ(info.source, PYINTERP_SOURCE_DEBUG_OFFSETS);
		ASSERT_TRUE(info.runtime_vaddr != 0);
		checked++;
	}
	if (!checked)
		TEST_SKIP("no sid tree at %s", tree);
}

TEST(not_python)
{
	struct pyinterp_info info;

	ASSERT_EQ(analyze("/bin/sh", &info), -ENOENT);
}

TEST(version_str)
{
	char b[32];

	ASSERT_STREQ(pyinterp__version_str(0x030b07f0, b, sizeof(b)), "3.11.7");
	ASSERT_STREQ(pyinterp__version_str(0x030d00a2, b, sizeof(b)), "3.13.0a2");
	ASSERT_STREQ(pyinterp__version_str(0x030a0000, b, sizeof(b)), "3.10");
	ASSERT_STREQ(pyinterp__version_str(0, b, sizeof(b)), "unknown");
}
