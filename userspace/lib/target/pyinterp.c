// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyinterp: recognise a CPython interpreter ELF file and compute its struct layout. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "target/elffile.h"
#include "target/pyinterp.h"

#define PY_HEX(maj, min) (((__u32)(maj) << 24) | ((__u32)(min) << 16))
#define PY_MINOR(hex)	 (((hex) >> 16) & 0xff)
#define PY_MAJOR(hex)	 ((hex) >> 24)

/*
 * Built-in layouts, x86_64, default (GIL) builds.  Measured with gdb
 * offsetof() on pyenv 3.9.18, 3.10.13, 3.11.7, 3.12.1 and 3.13.0, and
 * cross-checked against 3.13's own _Py_DebugOffsets.  Offsets are stable
 * within a minor version.
 */
struct layout_row {
	__u8 minor;
	struct pyprof_layout l;
	struct pycode_layout c;
};

static const struct layout_row layout_rows[] = {
	{ 9,
	  { .runtime_interp_head = 32, .interp_next = 0, .interp_threads_head = 8,
	    .tstate_next = 8, .tstate_thread_id = 176, .tstate_frame = 24,
	    .cframe_current_frame = -1, .frame_code = 32, .frame_back = 24, .frame_instr = 104,
	    .frame_owner = -1, .frame_is_entry = -1, .code_adaptive = 0,
	    .instr_kind = PYPROF_INSTR_LASTI },
	  { .co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	    .co_linetable = 120, .co_code = 48, .code_size = 128, .ascii_size = 48,
	    .compact_size = 72, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = -1 } },
	{ 10,
	  { .runtime_interp_head = 32, .interp_next = 0, .interp_threads_head = 8,
	    .tstate_next = 8, .tstate_thread_id = 176, .tstate_frame = 24,
	    .cframe_current_frame = -1, .frame_code = 32, .frame_back = 24, .frame_instr = 96,
	    .frame_owner = -1, .frame_is_entry = -1, .code_adaptive = 0,
	    .instr_kind = PYPROF_INSTR_LASTI },
	  { .co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	    .co_linetable = 120, .co_code = 48, .code_size = 128, .ascii_size = 48,
	    .compact_size = 72, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = -1 } },
	{ 11,
	  { .runtime_interp_head = 40, .interp_next = 0, .interp_threads_head = 16,
	    .tstate_next = 8, .tstate_thread_id = 152, .tstate_frame = 56,
	    .cframe_current_frame = 8, .frame_code = 32, .frame_back = 48, .frame_instr = 56,
	    .frame_owner = 69, .frame_is_entry = 68, .owner_generator = 1,
	    .bottom = PYPROF_BOTTOM_ENTRY, .code_adaptive = 184,
	    .instr_kind = PYPROF_INSTR_PTR },
	  { .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 72,
	    .co_linetable = 136, .co_code = -1, .code_size = 144, .ascii_size = 48,
	    .compact_size = 72, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = 160 } },
	{ 12,
	  { .runtime_interp_head = 40, .interp_next = 0, .interp_threads_head = 72,
	    .tstate_next = 8, .tstate_thread_id = 136, .tstate_frame = 56,
	    .cframe_current_frame = 0, .frame_code = 0, .frame_back = 8, .frame_instr = 56,
	    .frame_owner = 70, .frame_is_entry = -1, .owner_cstack = 3, .owner_generator = 1,
	    .bottom = PYPROF_BOTTOM_SHIM, .code_adaptive = 192,
	    .instr_kind = PYPROF_INSTR_PTR },
	  { .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	    .co_linetable = 136, .co_code = -1, .code_size = 144, .ascii_size = 40,
	    .compact_size = 56, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = 144 } },
	{ 13,
	  { .runtime_interp_head = 632, .interp_next = 7264, .interp_threads_head = 7344,
	    .tstate_next = 8, .tstate_thread_id = 152, .tstate_frame = 72,
	    .cframe_current_frame = -1, .frame_code = 0, .frame_back = 8, .frame_instr = 56,
	    .frame_owner = 70, .frame_is_entry = -1, .owner_cstack = 3, .owner_generator = 1,
	    .bottom = PYPROF_BOTTOM_SHIM, .code_adaptive = 200,
	    .instr_kind = PYPROF_INSTR_PTR },
	  { .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	    .co_linetable = 136, .co_code = -1, .code_size = 144, .ascii_size = 40,
	    .compact_size = 56, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = 160 } },
};

static __u16 field_end(__s16 off, __u16 size, __u16 end)
{
	return off >= 0 && (__u16)(off + size) > end ? (__u16)(off + size) : end;
}

/*
 * Derived read sizes: BPF reads the smallest 8-byte multiple of a frame
 * that covers the fields it uses, and PYPROF_CODE_READ bytes of a code
 * object from the lowest of the fields that pyprof_code_fp() covers.
 */
static void finish_layout(struct pyinterp_info *info)
{
	const struct pycode_layout *c = &info->code;
	struct pyprof_layout *l = &info->layout;
	__s16 name = c->co_qualname >= 0 ? c->co_qualname : c->co_name;
	const __s16 ptrs[] = { name, c->co_filename, c->co_linetable };
	__s16 lo = c->co_firstlineno, hi = c->co_firstlineno + 4;
	__u16 end = 0;

	end = field_end(l->frame_code, 8, end);
	end = field_end(l->frame_back, 8, end);
	end = field_end(l->frame_instr, l->instr_kind == PYPROF_INSTR_PTR ? 8 : 4, end);
	end = field_end(l->frame_owner, 1, end);
	end = field_end(l->frame_is_entry, 1, end);
	l->frame_read = (end + 7) & ~7;
	/* 3.11+ _PyInterpreterFrames live on the thread's data stack, callers below. */
	l->frames_contiguous = l->instr_kind == PYPROF_INSTR_PTR;

	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
		if (ptrs[i] < lo)
			lo = ptrs[i];
		if (ptrs[i] + 8 > hi)
			hi = ptrs[i] + 8;
	}
	if (lo < 0 || hi - lo > PYPROF_CODE_READ) {
		l->code_fp_off = -1;
		return;
	}
	l->code_fp_off = lo;
	l->fp_firstlineno = (__u8)(c->co_firstlineno - lo);
	l->fp_name = (__u8)(name - lo);
	l->fp_filename = (__u8)(c->co_filename - lo);
	l->fp_linetable = (__u8)(c->co_linetable - lo);
}

const char *pyinterp__version_str(__u32 hex, char *buf, size_t sz)
{
	unsigned int micro = (hex >> 8) & 0xff, level = (hex >> 4) & 0xf, serial = hex & 0xf;
	static const char tags[] = { 'a', 'b', 'c' };

	if (!hex)
		snprintf(buf, sz, "unknown");
	else if (!(hex & 0xffff)) /* told from symbols: patch level unknown */
		snprintf(buf, sz, "%u.%u", PY_MAJOR(hex), PY_MINOR(hex));
	else if (level >= 0xa && level <= 0xc)
		snprintf(buf, sz, "%u.%u.%u%c%u", PY_MAJOR(hex), PY_MINOR(hex), micro,
			 tags[level - 0xa], serial);
	else
		snprintf(buf, sz, "%u.%u.%u", PY_MAJOR(hex), PY_MINOR(hex), micro);
	return buf;
}

int pyinterp__table_layout(__u32 version_hex, struct pyinterp_info *info)
{
	for (size_t i = 0; i < sizeof(layout_rows) / sizeof(layout_rows[0]); i++) {
		if (PY_MAJOR(version_hex) != 3 || PY_MINOR(version_hex) != layout_rows[i].minor)
			continue;
		info->layout = layout_rows[i].l;
		info->layout.version_hex = version_hex;
		info->code = layout_rows[i].c;
		finish_layout(info);
		info->source = PYINTERP_SOURCE_TABLE;
		info->supported = true;
		info->why[0] = '\0';
		return 0;
	}
	info->supported = false;
	snprintf(info->why, sizeof(info->why), "CPython %u.%u is not supported (3.9-3.13 are)",
		 PY_MAJOR(version_hex), PY_MINOR(version_hex));
	return -EPROTONOSUPPORT;
}

/* Field indexes (in __u64 words) of the 3.13 _Py_DebugOffsets struct. */
enum {
	DO_COOKIE = 0,
	DO_VERSION = 1,
	DO_FREE_THREADED = 2,
	DO_RUNTIME_INTERP_HEAD = 5,
	DO_INTERP_NEXT = 8,
	DO_INTERP_THREADS_HEAD = 9,
	DO_TSTATE_NEXT = 21,
	DO_TSTATE_CURRENT_FRAME = 23,
	DO_TSTATE_THREAD_ID = 24,
	DO_TSTATE_NATIVE_THREAD_ID = 25,
	DO_FRAME_SIZE = 28,
	DO_FRAME_PREVIOUS = 29,
	DO_FRAME_EXECUTABLE = 30,
	DO_FRAME_INSTR_PTR = 31,
	DO_FRAME_OWNER = 33,
	DO_CODE_SIZE = 34,
	DO_CODE_FILENAME = 35,
	DO_CODE_NAME = 36,
	DO_CODE_QUALNAME = 37,
	DO_CODE_LINETABLE = 38,
	DO_CODE_FIRSTLINENO = 39,
	DO_CODE_ADAPTIVE = 43,
	DO_BYTES_OB_SIZE = 65,
	DO_BYTES_OB_SVAL = 66,
	DO_UNICODE_STATE = 68,
	DO_UNICODE_LENGTH = 69,
	DO_UNICODE_ASCII_SIZE = 70,
	DO__WORDS_313 = 73,
};

static int off16(__u64 v, __s16 *ret)
{
	if (v > 0x7fff)
		return -EINVAL;
	*ret = (__s16)v;
	return 0;
}

/* Word i of the blob: the caller's buffer promises no alignment. */
static __u64 word(const void *buf, size_t i)
{
	__u64 v;

	memcpy(&v, (const __u8 *)buf + i * sizeof(v), sizeof(v));
	return v;
}

int pyinterp__parse_debug_offsets(const void *buf, size_t len, struct pyinterp_info *info)
{
	struct pyprof_layout l = { 0 };
	struct pycode_layout c = { 0 };
	__u64 ver;
	__s16 tmp;
	int err = 0;

	if (len < DO__WORDS_313 * sizeof(__u64) || memcmp(buf, "xdebugpy", 8) != 0)
		return -EINVAL;
	ver = word(buf, DO_VERSION);
	if (PY_MAJOR(ver) != 3 || PY_MINOR(ver) != 13) {
		snprintf(info->why, sizeof(info->why),
			 "_Py_DebugOffsets of CPython %u.%u are not known (3.13 are)",
			 (unsigned int)PY_MAJOR(ver), (unsigned int)PY_MINOR(ver));
		return -EPROTONOSUPPORT;
	}
	if (word(buf, DO_FREE_THREADED)) {
		snprintf(info->why, sizeof(info->why), "free-threaded builds are not supported");
		return -EPROTONOSUPPORT;
	}
	l.version_hex = (__u32)ver;
	err |= off16(word(buf, DO_RUNTIME_INTERP_HEAD), &l.runtime_interp_head);
	err |= off16(word(buf, DO_INTERP_NEXT), &l.interp_next);
	err |= off16(word(buf, DO_INTERP_THREADS_HEAD), &l.interp_threads_head);
	err |= off16(word(buf, DO_TSTATE_NEXT), &l.tstate_next);
	err |= off16(word(buf, DO_TSTATE_THREAD_ID), &l.tstate_thread_id);
	err |= off16(word(buf, DO_TSTATE_CURRENT_FRAME), &l.tstate_frame);
	l.cframe_current_frame = -1;
	err |= off16(word(buf, DO_FRAME_EXECUTABLE), &l.frame_code);
	err |= off16(word(buf, DO_FRAME_PREVIOUS), &l.frame_back);
	err |= off16(word(buf, DO_FRAME_INSTR_PTR), &l.frame_instr);
	err |= off16(word(buf, DO_FRAME_OWNER), &l.frame_owner);
	err |= off16(word(buf, DO_CODE_ADAPTIVE), &l.code_adaptive);
	err |= off16(word(buf, DO_FRAME_SIZE), &tmp);
	if (err)
		return -EINVAL;
	/* The BPF side reads one block per frame and per tstate: every field must lie inside. */
	if (l.frame_code > PYPROF_FRAME_READ - 8 || l.frame_back > PYPROF_FRAME_READ - 8 ||
	    l.frame_instr > PYPROF_FRAME_READ - 8 || l.frame_owner > PYPROF_FRAME_READ - 1 ||
	    l.tstate_next > PYPROF_TSTATE_READ - 8 || l.tstate_thread_id > PYPROF_TSTATE_READ - 8)
		return -EINVAL;
	l.instr_kind = PYPROF_INSTR_PTR;
	l.owner_cstack = 3; /* FRAME_OWNED_BY_CSTACK in 3.13 */
	l.owner_generator = 1; /* FRAME_OWNED_BY_GENERATOR */
	l.frame_is_entry = -1;
	l.bottom = PYPROF_BOTTOM_SHIM;

	err |= off16(word(buf, DO_CODE_FILENAME), &c.co_filename);
	err |= off16(word(buf, DO_CODE_NAME), &c.co_name);
	err |= off16(word(buf, DO_CODE_QUALNAME), &c.co_qualname);
	err |= off16(word(buf, DO_CODE_FIRSTLINENO), &c.co_firstlineno);
	err |= off16(word(buf, DO_CODE_LINETABLE), &c.co_linetable);
	err |= off16(word(buf, DO_CODE_SIZE), &tmp);
	if (err)
		return -EINVAL;
	c.co_code = -1;
	c.code_size = 144;
	c.unicode_state = (__u16)word(buf, DO_UNICODE_STATE);
	c.unicode_length = (__u16)word(buf, DO_UNICODE_LENGTH);
	c.ascii_size = (__u16)word(buf, DO_UNICODE_ASCII_SIZE);
	c.compact_size = c.ascii_size + 16; /* + utf8_length, utf8 (3.12+) */
	c.bytes_size = (__u16)word(buf, DO_BYTES_OB_SIZE);
	c.bytes_data = (__u16)word(buf, DO_BYTES_OB_SVAL);
	err |= off16(word(buf, DO_TSTATE_NATIVE_THREAD_ID), &c.tstate_native_tid);
	if (err || c.co_filename > c.code_size - 8 || c.co_name > c.code_size - 8 ||
	    c.co_qualname > c.code_size - 8 || c.co_linetable > c.code_size - 8 ||
	    c.co_firstlineno > c.code_size - 4)
		return -EINVAL;

	info->layout = l;
	info->code = c;
	finish_layout(info);
	info->version_hex = l.version_hex;
	info->source = PYINTERP_SOURCE_DEBUG_OFFSETS;
	info->supported = true;
	info->why[0] = '\0';
	return 0;
}

/*
 * The symbols analysis needs, looked up in one pass over the symbol tables
 * (a file's tables are streamed, not indexed: one pass is the cost).
 * Before 3.11 there is no Py_Version symbol and the version string is built
 * from immediates, so the minor version is told from API symbols that each
 * release added (all exported in .dynsym, also by static binaries).
 */
enum {
	SYM_INITIALIZE,
	SYM_INITIALIZE_EX,
	SYM_RUNTIME,
	SYM_VERSION,
	SYM_MARKS,	/* first of the version marks, newest release first */
	SYM__NR = SYM_MARKS + 8,
};

static const char *const wanted_syms[SYM__NR] = {
	[SYM_INITIALIZE] = "Py_Initialize",
	[SYM_INITIALIZE_EX] = "Py_InitializeEx",
	[SYM_RUNTIME] = "_PyRuntime",
	[SYM_VERSION] = "Py_Version",
	[SYM_MARKS + 0] = "PyAIter_Check",
	[SYM_MARKS + 1] = "Py_GenericAlias",
	[SYM_MARKS + 2] = "PyConfig_Read",
	[SYM_MARKS + 3] = "PyInterpreterState_GetID",
	[SYM_MARKS + 4] = "PyErr_ResourceWarning",
	[SYM_MARKS + 5] = "PyModule_ExecDef",
	[SYM_MARKS + 6] = "Py_InitModule4_64",
	[SYM_MARKS + 7] = "Py_InitModule4",
};

static const __u32 mark_versions[SYM__NR - SYM_MARKS] = {
	PY_HEX(3, 10), PY_HEX(3, 9), PY_HEX(3, 8), PY_HEX(3, 7),
	PY_HEX(3, 6),  PY_HEX(3, 5), PY_HEX(2, 7), PY_HEX(2, 7),
};

static __u32 version_from_symbols(const struct elf_file_sym *syms)
{
	for (size_t i = SYM_MARKS; i < SYM__NR; i++)
		if (syms[i].found)
			return mark_versions[i - SYM_MARKS];
	return 0;
}

int pyinterp__analyze(struct elf_file *ef, struct pyinterp_info *info)
{
	struct elf_file_sym syms[SYM__NR];
	__u64 addr = 0, size = 0;
	__u8 dbg[DO__WORDS_313 * sizeof(__u64)];
	char v[32];
	int err;

	memset(info, 0, sizeof(*info));
	err = elf_file__find_symbols(ef, wanted_syms, SYM__NR, syms);
	if (err)
		return err;
	if (!syms[SYM_INITIALIZE].found && !syms[SYM_INITIALIZE_EX].found)
		return -ENOENT;

	/* _PyRuntime by symbol, or by its own section (3.10+) when symbols are stripped. */
	if (syms[SYM_RUNTIME].found)
		addr = syms[SYM_RUNTIME].addr;
	else if (elf_file__find_section(ef, ".PyRuntime", &addr, &size) != 0)
		addr = 0;
	info->runtime_vaddr = addr;

	if (syms[SYM_VERSION].found) {
		__u32 hex;

		if (elf_file__read_vaddr(ef, syms[SYM_VERSION].addr, &hex, sizeof(hex)) == 0)
			info->version_hex = hex;
	}
	if (addr && elf_file__read_vaddr(ef, addr, dbg, sizeof(dbg)) == 0 &&
	    memcmp(dbg, "xdebugpy", 8) == 0) {
		__u32 dbg_hex = (__u32)word(dbg, DO_VERSION);

		if (!info->version_hex)
			info->version_hex = dbg_hex;
		err = pyinterp__parse_debug_offsets(dbg, sizeof(dbg), info);
		if (err == -EPROTONOSUPPORT) {
			info->supported = false;
			return 0;
		}
		if (err == 0)
			return 0;
		/* A corrupt blob: fall back to the table for this version. */
	}
	if (!info->version_hex)
		info->version_hex = version_from_symbols(syms);
	if (!info->version_hex) {
		snprintf(info->why, sizeof(info->why), "cannot tell the CPython version");
		return 0;
	}
	if (pyinterp__table_layout(info->version_hex, info) < 0)
		return 0;
	if (!addr) {
		info->supported = false;
		snprintf(info->why, sizeof(info->why), "CPython %s without a _PyRuntime symbol",
			 pyinterp__version_str(info->version_hex, v, sizeof(v)));
	}
	return 0;
}
