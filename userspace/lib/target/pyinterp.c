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

/* Where PyASCIIObject.state's kind:3 starts: after interned:2, or after a char interned. */
#define PYINTERP_KIND_SHIFT_BITFIELD 2
#define PYINTERP_KIND_SHIFT_CHAR     8

/*
 * Built-in layouts, x86_64, default (GIL) builds.  Measured with gdb
 * offsetof() on pyenv 3.9.18, 3.10.13, 3.11.7, 3.12.1 and 3.13.0, and
 * cross-checked against 3.13's own _Py_DebugOffsets.  Offsets are stable
 * within a minor version.  The GIL and gc fields were measured the same way
 * and are checked on each interpreter installed here by test_gil.py, with
 * tests/integration/workloads/gil_oracle.py finding them in a live process.
 */
struct layout_row {
	__u8 minor;
	struct pyprof_layout l;
	struct pycode_layout c;
	__u32 gil_state_off;	/* pyinterp_info.gil_state_off */
	__u16 interp_modules;	/* pyinterp_info.interp_modules */
};

/*
 * sizeof(struct _gil_runtime_state) in default builds 3.9-3.15 on x86_64:
 * interval, last_holder, locked, switch_number, then a pthread cond and
 * mutex, and the FORCE_SWITCHING pair (gdb on the pyenv builds; 3.14 and
 * 3.15's pycore_gil.h declare the same members).
 */
#define PYINTERP_GIL_STATE_SIZE 208
/* Where locked and last_holder sit in it, the same in every default build. */
#define PYINTERP_GIL_LOCKED	16
#define PYINTERP_GIL_HOLDER	8

static const struct layout_row layout_rows[] = {
	{ 9,
	  { .runtime_interp_head = 32, .interp_next = 0, .interp_threads_head = 8,
	    .tstate_next = 8, .tstate_thread_id = 176, .tstate_frame = 24,
	    .cframe_current_frame = -1, .frame_code = 32, .frame_back = 24, .frame_instr = 104,
	    .frame_owner = -1, .frame_is_entry = -1, .code_adaptive = 0,
	    .instr_kind = PYPROF_INSTR_LASTI,
	    .tstate_interp = 16, .runtime_gil = 352, .interp_gil = -1,
	    .gil_locked = PYINTERP_GIL_LOCKED,
	    .gil_holder = PYINTERP_GIL_HOLDER, .gc_collecting = 816 },
	  { .co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	    .co_linetable = 120, .co_code = 48, .code_size = 128, .ascii_size = 48,
	    .compact_size = 72, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = -1 },
	  352, 856 },
	{ 10,
	  { .runtime_interp_head = 32, .interp_next = 0, .interp_threads_head = 8,
	    .tstate_next = 8, .tstate_thread_id = 176, .tstate_frame = 24,
	    .cframe_current_frame = -1, .frame_code = 32, .frame_back = 24, .frame_instr = 96,
	    .frame_owner = -1, .frame_is_entry = -1, .code_adaptive = 0,
	    .instr_kind = PYPROF_INSTR_LASTI,
	    .tstate_interp = 16, .runtime_gil = 352, .interp_gil = -1,
	    .gil_locked = PYINTERP_GIL_LOCKED,
	    .gil_holder = PYINTERP_GIL_HOLDER, .gc_collecting = 816 },
	  { .co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	    .co_linetable = 120, .co_code = 48, .code_size = 128, .ascii_size = 48,
	    .compact_size = 72, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = -1 },
	  352, 856 },
	{ 11,
	  { .runtime_interp_head = 40, .interp_next = 0, .interp_threads_head = 16,
	    .tstate_next = 8, .tstate_thread_id = 152, .tstate_frame = 56,
	    .cframe_current_frame = 8, .frame_code = 32, .frame_back = 48, .frame_instr = 56,
	    .frame_owner = 69, .frame_is_entry = 68, .owner_generator = 1,
	    .bottom = PYPROF_BOTTOM_ENTRY, .code_adaptive = 184,
	    .instr_kind = PYPROF_INSTR_PTR,
	    .tstate_interp = 16, .runtime_gil = 360, .interp_gil = -1,
	    .gil_locked = PYINTERP_GIL_LOCKED,
	    .gil_holder = PYINTERP_GIL_HOLDER, .gc_collecting = 848 },
	  { .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 72,
	    .co_linetable = 136, .co_code = -1, .code_size = 144, .ascii_size = 48,
	    .compact_size = 72, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = 160 },
	  360, 888 },
	{ 12,
	  { .runtime_interp_head = 40, .interp_next = 0, .interp_threads_head = 72,
	    .tstate_next = 8, .tstate_thread_id = 136, .tstate_frame = 56,
	    .cframe_current_frame = 0, .frame_code = 0, .frame_back = 8, .frame_instr = 56,
	    .frame_owner = 70, .frame_is_entry = -1, .owner_shim = 3, .owner_generator = 1,
	    .bottom = PYPROF_BOTTOM_SHIM, .code_adaptive = 192,
	    .instr_kind = PYPROF_INSTR_PTR,
	    .tstate_interp = 16, .runtime_gil = -1, .interp_gil = 384,
	    .gil_locked = PYINTERP_GIL_LOCKED,
	    .gil_holder = PYINTERP_GIL_HOLDER, .gc_collecting = 312 },
	  { .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	    .co_linetable = 136, .co_code = -1, .code_size = 144, .ascii_size = 40,
	    .compact_size = 56, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = 144 },
	  76392 + 1040, 944 }, /* _main_interpreter, its _gil; sys.modules */
	{ 13,
	  { .runtime_interp_head = 632, .interp_next = 7264, .interp_threads_head = 7344,
	    .tstate_next = 8, .tstate_thread_id = 152, .tstate_frame = 72,
	    .cframe_current_frame = -1, .frame_code = 0, .frame_back = 8, .frame_instr = 56,
	    .frame_owner = 70, .frame_is_entry = -1, .owner_shim = 3, .owner_generator = 1,
	    .bottom = PYPROF_BOTTOM_SHIM, .code_adaptive = 200,
	    .instr_kind = PYPROF_INSTR_PTR,
	    .tstate_interp = 16, .runtime_gil = -1, .interp_gil = 16,
	    .gil_locked = PYINTERP_GIL_LOCKED,
	    .gil_holder = PYINTERP_GIL_HOLDER, .gc_collecting = 7600 },
	  { .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	    .co_linetable = 136, .co_code = -1, .code_size = 144, .ascii_size = 40,
	    .compact_size = 56, .unicode_state = 32, .unicode_length = 16, .bytes_size = 16,
	    .bytes_data = 32,
	    .tstate_native_tid = 160 },
	  88352 + 7752, 7656 }, /* _main_interpreter, its _gil; sys.modules */
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
	end = field_end(l->frame_tlbc_index, 4, end);
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

const char *pyinterp__build_str(const struct pyinterp_info *info, char *buf, size_t sz)
{
	size_t n;

	pyinterp__version_str(info->version_hex, buf, sz);
	n = strlen(buf);
	if (info->free_threaded && n + 1 < sz)
		snprintf(buf + n, sz - n, "t");
	return buf;
}

int pyinterp__table_layout(__u32 version_hex, struct pyinterp_info *info)
{
	for (size_t i = 0; i < sizeof(layout_rows) / sizeof(layout_rows[0]); i++) {
		if (PY_MAJOR(version_hex) != 3 || PY_MINOR(version_hex) != layout_rows[i].minor)
			continue;
		info->layout = layout_rows[i].l;
		info->layout.version_hex = version_hex;
		/* No thread-local bytecode before 3.14; str's kind follows interned:2. */
		info->layout.frame_tlbc_index = -1;
		info->layout.code_tlbc = -1;
		info->code = layout_rows[i].c;
		info->code.unicode_kind_shift = PYINTERP_KIND_SHIFT_BITFIELD;
		info->gil_state_off = layout_rows[i].gil_state_off;
		info->gil_state_size = PYINTERP_GIL_STATE_SIZE;
		info->interp_modules = layout_rows[i].interp_modules;
		info->free_threaded = false; /* the tables are of default builds */
		finish_layout(info);
		info->source = PYINTERP_SOURCE_TABLE;
		info->supported = true;
		info->why[0] = '\0';
		return 0;
	}
	info->supported = false;
	if (PY_MAJOR(version_hex) == 3 && PY_MINOR(version_hex) > 13)
		/* Known only from its own debug offsets, which this file lacks. */
		snprintf(info->why, sizeof(info->why),
			 "CPython %u.%u without _Py_DebugOffsets is not supported",
			 PY_MAJOR(version_hex), PY_MINOR(version_hex));
	else
		snprintf(info->why, sizeof(info->why),
			 "CPython %u.%u is not supported (3.9-3.15 are)", PY_MAJOR(version_hex),
			 PY_MINOR(version_hex));
	return -EPROTONOSUPPORT;
}

/*
 * The _Py_DebugOffsets fields pyprof uses.  Each minor version lays the
 * struct out differently (fields are added in the middle), so where each
 * field sits is known per minor version (struct dbg_format), and what each
 * must hold is checked against the layout pyprof was tested with (struct
 * dbg_expect): a patch release with the same offsets works as it is, any
 * difference is refused with the field that differs.
 */
enum dbg_field {
	DBG_RUNTIME_INTERP_HEAD,
	DBG_INTERP_NEXT,
	DBG_INTERP_THREADS_HEAD,
	DBG_TSTATE_NEXT,
	DBG_TSTATE_CURRENT_FRAME,
	DBG_TSTATE_THREAD_ID,
	DBG_TSTATE_NATIVE_THREAD_ID,
	DBG_FRAME_PREVIOUS,
	DBG_FRAME_EXECUTABLE,
	DBG_FRAME_INSTR_PTR,
	DBG_FRAME_OWNER,
	DBG_FRAME_TLBC_INDEX,
	DBG_CODE_FILENAME,
	DBG_CODE_NAME,
	DBG_CODE_QUALNAME,
	DBG_CODE_LINETABLE,
	DBG_CODE_FIRSTLINENO,
	DBG_CODE_ADAPTIVE,
	DBG_CODE_TLBC,
	DBG_PYOBJECT_SIZE,
	DBG_BYTES_OB_SIZE,
	DBG_BYTES_OB_SVAL,
	DBG_UNICODE_STATE,
	DBG_UNICODE_LENGTH,
	DBG_UNICODE_ASCII_SIZE,
	DBG_TSTATE_INTERP,
	DBG_INTERP_GC,
	DBG_INTERP_CEVAL_GIL,
	DBG_INTERP_GIL_STATE,
	DBG_INTERP_GIL_LOCKED,
	DBG_INTERP_GIL_HOLDER,
	DBG_GC_COLLECTING,
	DBG__NR,
};

static const char *const dbg_names[DBG__NR] = {
	[DBG_RUNTIME_INTERP_HEAD] = "runtime_state.interpreters_head",
	[DBG_INTERP_NEXT] = "interpreter_state.next",
	[DBG_INTERP_THREADS_HEAD] = "interpreter_state.threads_head",
	[DBG_TSTATE_NEXT] = "thread_state.next",
	[DBG_TSTATE_CURRENT_FRAME] = "thread_state.current_frame",
	[DBG_TSTATE_THREAD_ID] = "thread_state.thread_id",
	[DBG_TSTATE_NATIVE_THREAD_ID] = "thread_state.native_thread_id",
	[DBG_FRAME_PREVIOUS] = "interpreter_frame.previous",
	[DBG_FRAME_EXECUTABLE] = "interpreter_frame.executable",
	[DBG_FRAME_INSTR_PTR] = "interpreter_frame.instr_ptr",
	[DBG_FRAME_OWNER] = "interpreter_frame.owner",
	[DBG_FRAME_TLBC_INDEX] = "interpreter_frame.tlbc_index",
	[DBG_CODE_FILENAME] = "code_object.filename",
	[DBG_CODE_NAME] = "code_object.name",
	[DBG_CODE_QUALNAME] = "code_object.qualname",
	[DBG_CODE_LINETABLE] = "code_object.linetable",
	[DBG_CODE_FIRSTLINENO] = "code_object.firstlineno",
	[DBG_CODE_ADAPTIVE] = "code_object.co_code_adaptive",
	[DBG_CODE_TLBC] = "code_object.co_tlbc",
	[DBG_PYOBJECT_SIZE] = "pyobject.size",
	[DBG_BYTES_OB_SIZE] = "bytes_object.ob_size",
	[DBG_BYTES_OB_SVAL] = "bytes_object.ob_sval",
	[DBG_UNICODE_STATE] = "unicode_object.state",
	[DBG_UNICODE_LENGTH] = "unicode_object.length",
	[DBG_UNICODE_ASCII_SIZE] = "unicode_object.asciiobject_size",
	[DBG_TSTATE_INTERP] = "thread_state.interp",
	[DBG_INTERP_GC] = "interpreter_state.gc",
	[DBG_INTERP_CEVAL_GIL] = "interpreter_state.ceval_gil",
	[DBG_INTERP_GIL_STATE] = "interpreter_state.gil_runtime_state",
	[DBG_INTERP_GIL_LOCKED] = "interpreter_state.gil_runtime_state_locked",
	[DBG_INTERP_GIL_HOLDER] = "interpreter_state.gil_runtime_state_holder",
	[DBG_GC_COLLECTING] = "gc.collecting",
};

/*
 * Word 0 is the cookie, 1 the version, 2 the free_threaded flag, then
 * runtime_state.size and, after two runtime fields, interpreter_state.size.
 */
#define DBG_WORD_VERSION       1
#define DBG_WORD_FREE_THREADED 2
#define DBG_WORD_RUNTIME_SIZE  3
#define DBG_WORD_INTERP_SIZE   6
/* Bytes of _PyRuntime that pyinterp__analyze() reads: covers every format below. */
#define DBG_MAX_WORDS	       128

/* Where one minor version's struct keeps each field (__u64 word index, 0: absent). */
struct dbg_format {
	__u8 minor;
	__u8 words;		/* the struct's size in words: a shorter blob is refused */
	__u8 owner_shim;	/* lowest frame owner value that is not Python code */
	__u8 tag_mask;		/* tag bits of f_executable (_PyStackRef since 3.14) */
	/*
	 * offsetof(_PyCodeArray, entries) in free-threaded builds (not in the debug
	 * offsets): Py_ssize_t size, then char *entries[] (cpython/code.h).
	 */
	__u8 tlbc_entries;
	/*
	 * interpreter_state.imports_modules: sys.modules, read for thread names
	 * only (pyobjects.h), so taken as the blob says, not checked like idx[]
	 * (a build where it moved still gets its stacks).
	 */
	__u8 imports_modules;
	__u8 idx[DBG__NR];
};

static const struct dbg_format dbg_formats[] = {
	/* 3.13: FRAME_OWNED_BY_CSTACK (3) is the last owner; f_executable a PyObject *. */
	{ 13, 73, 3, 0, 0, 11,
	  { [DBG_RUNTIME_INTERP_HEAD] = 5, [DBG_INTERP_NEXT] = 8, [DBG_INTERP_THREADS_HEAD] = 9,
	    [DBG_TSTATE_NEXT] = 21, [DBG_TSTATE_CURRENT_FRAME] = 23, [DBG_TSTATE_THREAD_ID] = 24,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 25, [DBG_FRAME_PREVIOUS] = 29,
	    [DBG_FRAME_EXECUTABLE] = 30, [DBG_FRAME_INSTR_PTR] = 31, [DBG_FRAME_OWNER] = 33,
	    [DBG_CODE_FILENAME] = 35, [DBG_CODE_NAME] = 36, [DBG_CODE_QUALNAME] = 37,
	    [DBG_CODE_LINETABLE] = 38, [DBG_CODE_FIRSTLINENO] = 39, [DBG_CODE_ADAPTIVE] = 43,
	    [DBG_PYOBJECT_SIZE] = 44, [DBG_BYTES_OB_SIZE] = 65, [DBG_BYTES_OB_SVAL] = 66,
	    [DBG_UNICODE_STATE] = 68, [DBG_UNICODE_LENGTH] = 69, [DBG_UNICODE_ASCII_SIZE] = 70,
	    [DBG_TSTATE_INTERP] = 22, [DBG_INTERP_GC] = 10, [DBG_INTERP_CEVAL_GIL] = 14,
	    [DBG_INTERP_GIL_STATE] = 15, [DBG_INTERP_GIL_LOCKED] = 17,
	    [DBG_INTERP_GIL_HOLDER] = 18, [DBG_GC_COLLECTING] = 72 } },
	/*
	 * 3.14: threads_main, code_object_generation, tlbc_generation, stackpointer,
	 * tlbc_index, co_tlbc, set_object, gen_object, llist_node and
	 * debugger_support added.  FRAME_OWNED_BY_INTERPRETER (3, the C entry frame)
	 * and FRAME_OWNED_BY_CSTACK (4) are both not Python code; f_executable is a
	 * _PyStackRef whose low bits tag deferred or immortal references.
	 */
	{ 14, 95, 3, 7, 8, 12,
	  { [DBG_RUNTIME_INTERP_HEAD] = 5, [DBG_INTERP_NEXT] = 8, [DBG_INTERP_THREADS_HEAD] = 9,
	    [DBG_TSTATE_NEXT] = 24, [DBG_TSTATE_CURRENT_FRAME] = 26, [DBG_TSTATE_THREAD_ID] = 27,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 28, [DBG_FRAME_PREVIOUS] = 32,
	    [DBG_FRAME_EXECUTABLE] = 33, [DBG_FRAME_INSTR_PTR] = 34, [DBG_FRAME_OWNER] = 36,
	    [DBG_FRAME_TLBC_INDEX] = 38, [DBG_CODE_FILENAME] = 40, [DBG_CODE_NAME] = 41,
	    [DBG_CODE_QUALNAME] = 42, [DBG_CODE_LINETABLE] = 43, [DBG_CODE_FIRSTLINENO] = 44,
	    [DBG_CODE_ADAPTIVE] = 48, [DBG_CODE_TLBC] = 49, [DBG_PYOBJECT_SIZE] = 50,
	    [DBG_BYTES_OB_SIZE] = 75, [DBG_BYTES_OB_SVAL] = 76, [DBG_UNICODE_STATE] = 78,
	    [DBG_UNICODE_LENGTH] = 79, [DBG_UNICODE_ASCII_SIZE] = 80,
	    [DBG_TSTATE_INTERP] = 25, [DBG_INTERP_GC] = 11, [DBG_INTERP_CEVAL_GIL] = 15,
	    [DBG_INTERP_GIL_STATE] = 16, [DBG_INTERP_GIL_LOCKED] = 18,
	    [DBG_INTERP_GIL_HOLDER] = 19, [DBG_GC_COLLECTING] = 82 } },
	/*
	 * 3.15: three thread_state fields after current_frame (base_frame,
	 * last_profiled_frame, ...) and more after status, err_stackitem, four
	 * more words after type_object, a larger gc block.  The base frame a
	 * thread's frames end on is FRAME_OWNED_BY_THREAD_STATE (4).
	 */
	{ 15, 111, 3, 7, 8, 12,
	  { [DBG_RUNTIME_INTERP_HEAD] = 5, [DBG_INTERP_NEXT] = 8, [DBG_INTERP_THREADS_HEAD] = 9,
	    [DBG_TSTATE_NEXT] = 24, [DBG_TSTATE_CURRENT_FRAME] = 26, [DBG_TSTATE_THREAD_ID] = 30,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 31, [DBG_FRAME_PREVIOUS] = 40,
	    [DBG_FRAME_EXECUTABLE] = 41, [DBG_FRAME_INSTR_PTR] = 42, [DBG_FRAME_OWNER] = 44,
	    [DBG_FRAME_TLBC_INDEX] = 46, [DBG_CODE_FILENAME] = 48, [DBG_CODE_NAME] = 49,
	    [DBG_CODE_QUALNAME] = 50, [DBG_CODE_LINETABLE] = 51, [DBG_CODE_FIRSTLINENO] = 52,
	    [DBG_CODE_ADAPTIVE] = 56, [DBG_CODE_TLBC] = 57, [DBG_PYOBJECT_SIZE] = 58,
	    [DBG_BYTES_OB_SIZE] = 87, [DBG_BYTES_OB_SVAL] = 88, [DBG_UNICODE_STATE] = 90,
	    [DBG_UNICODE_LENGTH] = 91, [DBG_UNICODE_ASCII_SIZE] = 92,
	    [DBG_TSTATE_INTERP] = 25, [DBG_INTERP_GC] = 11, [DBG_INTERP_CEVAL_GIL] = 15,
	    [DBG_INTERP_GIL_STATE] = 16, [DBG_INTERP_GIL_LOCKED] = 18,
	    [DBG_INTERP_GIL_HOLDER] = 19, [DBG_GC_COLLECTING] = 95 } },
};

/* What one build's fields hold, as checked on a real interpreter (or derived). */
struct dbg_expect {
	__u8 minor;
	__u8 free_threaded;
	/* Derived from the release's source: no such interpreter has run here. */
	__u8 derived;
	__u8 kind_shift;	/* PYINTERP_KIND_SHIFT_* (not in the debug offsets) */
	const char *checked;	/* the release it was checked on (or derived for) */
	__u16 v[DBG__NR];
	/*
	 * offsetof(_PyRuntimeState, _main_interpreter), its last member: the
	 * debug offsets' runtime_state.size - interpreter_state.size, checked
	 * like a field (and read live by workloads/gil_oracle.py).  Where the
	 * main GIL is; 0 in free-threaded builds, which have none.
	 */
	__u32 main_interp;
};

static const struct dbg_expect dbg_expects[] = {
	{ 13, 0, 0, PYINTERP_KIND_SHIFT_BITFIELD, "3.13.0",
	  { [DBG_RUNTIME_INTERP_HEAD] = 632, [DBG_INTERP_NEXT] = 7264,
	    [DBG_INTERP_THREADS_HEAD] = 7344, [DBG_TSTATE_NEXT] = 8,
	    [DBG_TSTATE_CURRENT_FRAME] = 72, [DBG_TSTATE_THREAD_ID] = 152,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 160, [DBG_FRAME_PREVIOUS] = 8,
	    [DBG_FRAME_EXECUTABLE] = 0, [DBG_FRAME_INSTR_PTR] = 56, [DBG_FRAME_OWNER] = 70,
	    [DBG_CODE_FILENAME] = 112, [DBG_CODE_NAME] = 120, [DBG_CODE_QUALNAME] = 128,
	    [DBG_CODE_LINETABLE] = 136, [DBG_CODE_FIRSTLINENO] = 68, [DBG_CODE_ADAPTIVE] = 200,
	    [DBG_PYOBJECT_SIZE] = 16, [DBG_BYTES_OB_SIZE] = 16, [DBG_BYTES_OB_SVAL] = 32,
	    [DBG_UNICODE_STATE] = 32, [DBG_UNICODE_LENGTH] = 16, [DBG_UNICODE_ASCII_SIZE] = 40,
	    [DBG_TSTATE_INTERP] = 16, [DBG_INTERP_GC] = 7400, [DBG_INTERP_CEVAL_GIL] = 16,
	    [DBG_INTERP_GIL_STATE] = 7752, [DBG_INTERP_GIL_LOCKED] = 7768,
	    [DBG_INTERP_GIL_HOLDER] = 7760, [DBG_GC_COLLECTING] = 200 },
	  88352 },
	/*
	 * Free-threaded 3.13.15 (forky's source, --disable-gil): a PyObject header of
	 * 32 bytes moves every object field by 16; thread and frame structs are as in
	 * the default build; f_executable and instr_ptr mean the same (no per-thread
	 * bytecode before 3.14).  Thread ids read back from a live tstate.
	 */
	{ 13, 1, 0, PYINTERP_KIND_SHIFT_BITFIELD, "3.13.15",
	  { [DBG_RUNTIME_INTERP_HEAD] = 632, [DBG_INTERP_NEXT] = 7264,
	    [DBG_INTERP_THREADS_HEAD] = 7344, [DBG_TSTATE_NEXT] = 8,
	    [DBG_TSTATE_CURRENT_FRAME] = 72, [DBG_TSTATE_THREAD_ID] = 152,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 160, [DBG_FRAME_PREVIOUS] = 8,
	    [DBG_FRAME_EXECUTABLE] = 0, [DBG_FRAME_INSTR_PTR] = 56, [DBG_FRAME_OWNER] = 70,
	    [DBG_CODE_FILENAME] = 128, [DBG_CODE_NAME] = 136, [DBG_CODE_QUALNAME] = 144,
	    [DBG_CODE_LINETABLE] = 152, [DBG_CODE_FIRSTLINENO] = 84, [DBG_CODE_ADAPTIVE] = 216,
	    [DBG_PYOBJECT_SIZE] = 32, [DBG_BYTES_OB_SIZE] = 32, [DBG_BYTES_OB_SVAL] = 48,
	    [DBG_UNICODE_STATE] = 48, [DBG_UNICODE_LENGTH] = 32, [DBG_UNICODE_ASCII_SIZE] = 56,
	    [DBG_TSTATE_INTERP] = 16, [DBG_INTERP_GC] = 7400, [DBG_INTERP_CEVAL_GIL] = 16,
	    [DBG_INTERP_GIL_STATE] = 7760, [DBG_INTERP_GIL_LOCKED] = 7784,
	    [DBG_INTERP_GIL_HOLDER] = 7776, [DBG_GC_COLLECTING] = 200 },
	  0 },
	/* Debian sid's python3.14 3.14.10-1: thread ids read back from a live tstate. */
	{ 14, 0, 0, PYINTERP_KIND_SHIFT_BITFIELD, "3.14.10",
	  { [DBG_RUNTIME_INTERP_HEAD] = 808, [DBG_INTERP_NEXT] = 7272,
	    [DBG_INTERP_THREADS_HEAD] = 7344, [DBG_TSTATE_NEXT] = 8,
	    [DBG_TSTATE_CURRENT_FRAME] = 72, [DBG_TSTATE_THREAD_ID] = 152,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 160, [DBG_FRAME_PREVIOUS] = 8,
	    [DBG_FRAME_EXECUTABLE] = 0, [DBG_FRAME_INSTR_PTR] = 56, [DBG_FRAME_OWNER] = 74,
	    [DBG_FRAME_TLBC_INDEX] = 0, [DBG_CODE_FILENAME] = 112, [DBG_CODE_NAME] = 120,
	    [DBG_CODE_QUALNAME] = 128, [DBG_CODE_LINETABLE] = 136, [DBG_CODE_FIRSTLINENO] = 68,
	    [DBG_CODE_ADAPTIVE] = 208, [DBG_CODE_TLBC] = 0, [DBG_PYOBJECT_SIZE] = 16,
	    [DBG_BYTES_OB_SIZE] = 16, [DBG_BYTES_OB_SVAL] = 32, [DBG_UNICODE_STATE] = 32,
	    [DBG_UNICODE_LENGTH] = 16, [DBG_UNICODE_ASCII_SIZE] = 40,
	    [DBG_TSTATE_INTERP] = 16, [DBG_INTERP_GC] = 7408, [DBG_INTERP_CEVAL_GIL] = 16,
	    [DBG_INTERP_GIL_STATE] = 7784, [DBG_INTERP_GIL_LOCKED] = 7800,
	    [DBG_INTERP_GIL_HOLDER] = 7792, [DBG_GC_COLLECTING] = 192 },
	  90752 },
	/*
	 * Free-threaded 3.14.10, derived (no 3.14t can be built or installed here)
	 * from the 3.14.10 headers (Debian's libpython3.14-dev 3.14.10-1) read
	 * with Py_GIL_DISABLED, starting from the default build's checked values:
	 *  - runtime, interpreter and thread state: as in the default build.  No
	 *    Py_GIL_DISABLED member comes before interpreters.head in
	 *    _PyRuntimeState, nor before next and threads.head in
	 *    PyInterpreterState (gc, qsbr, mimalloc and tlbc_indices come after);
	 *    PyThreadState has none (_PyThreadStateImpl's tlbc_index is after it).
	 *  - _PyInterpreterFrame: int32_t tlbc_index is inserted after stackpointer
	 *    (64), at 72; return_offset moves to 76 and owner from 74 to 78.
	 *  - objects: PyObject grows from 16 to 32 bytes (ob_tid, ob_flags,
	 *    ob_mutex, ob_gc_bits, ob_ref_local, ob_ref_shared before ob_type), so
	 *    every object field moves by 16: code filename, name, qualname,
	 *    linetable, firstlineno, bytes ob_size and ob_sval, str length and
	 *    state, sizeof(PyASCIIObject).
	 *  - PyCodeObject: _PyCode_DEF_THREAD_LOCAL_BYTECODE() puts the co_tlbc
	 *    pointer after co_extra, where co_code_adaptive was (208 + 16 = 224),
	 *    and co_code_adaptive follows it at 232.
	 *  - str's state: interned is an unsigned char (so that it can be read
	 *    atomically), so kind:3 starts at bit 8 instead of 2 (not in the
	 *    debug offsets, hence kind_shift).
	 * The same headers compiled with -DPy_GIL_DISABLED=1 give these values
	 * (tests/data/debugoffsets/synth-ft, which first checks that they give the
	 * real default build's blob byte for byte without it); test-pyinterp
	 * parses that blob.
	 */
	{ 14, 1, 1, PYINTERP_KIND_SHIFT_CHAR, "3.14.10",
	  { [DBG_RUNTIME_INTERP_HEAD] = 808, [DBG_INTERP_NEXT] = 7272,
	    [DBG_INTERP_THREADS_HEAD] = 7344, [DBG_TSTATE_NEXT] = 8,
	    [DBG_TSTATE_CURRENT_FRAME] = 72, [DBG_TSTATE_THREAD_ID] = 152,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 160, [DBG_FRAME_PREVIOUS] = 8,
	    [DBG_FRAME_EXECUTABLE] = 0, [DBG_FRAME_INSTR_PTR] = 56, [DBG_FRAME_OWNER] = 78,
	    [DBG_FRAME_TLBC_INDEX] = 72, [DBG_CODE_FILENAME] = 128, [DBG_CODE_NAME] = 136,
	    [DBG_CODE_QUALNAME] = 144, [DBG_CODE_LINETABLE] = 152, [DBG_CODE_FIRSTLINENO] = 84,
	    [DBG_CODE_ADAPTIVE] = 232, [DBG_CODE_TLBC] = 224, [DBG_PYOBJECT_SIZE] = 32,
	    [DBG_BYTES_OB_SIZE] = 32, [DBG_BYTES_OB_SVAL] = 48, [DBG_UNICODE_STATE] = 48,
	    [DBG_UNICODE_LENGTH] = 32, [DBG_UNICODE_ASCII_SIZE] = 56,
	    [DBG_TSTATE_INTERP] = 16, [DBG_INTERP_GC] = 7408, [DBG_INTERP_CEVAL_GIL] = 16,
	    [DBG_INTERP_GIL_STATE] = 7808, [DBG_INTERP_GIL_LOCKED] = 7832,
	    [DBG_INTERP_GIL_HOLDER] = 7824, [DBG_GC_COLLECTING] = 192 },
	  0 },
	/* Debian sid's python3.15 3.15.2-1, checked the same way. */
	{ 15, 0, 0, PYINTERP_KIND_SHIFT_BITFIELD, "3.15.2",
	  { [DBG_RUNTIME_INTERP_HEAD] = 936, [DBG_INTERP_NEXT] = 7264,
	    [DBG_INTERP_THREADS_HEAD] = 7336, [DBG_TSTATE_NEXT] = 8,
	    [DBG_TSTATE_CURRENT_FRAME] = 72, [DBG_TSTATE_THREAD_ID] = 176,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 184, [DBG_FRAME_PREVIOUS] = 8,
	    [DBG_FRAME_EXECUTABLE] = 0, [DBG_FRAME_INSTR_PTR] = 56, [DBG_FRAME_OWNER] = 74,
	    [DBG_FRAME_TLBC_INDEX] = 0, [DBG_CODE_FILENAME] = 112, [DBG_CODE_NAME] = 120,
	    [DBG_CODE_QUALNAME] = 128, [DBG_CODE_LINETABLE] = 136, [DBG_CODE_FIRSTLINENO] = 68,
	    [DBG_CODE_ADAPTIVE] = 208, [DBG_CODE_TLBC] = 0, [DBG_PYOBJECT_SIZE] = 16,
	    [DBG_BYTES_OB_SIZE] = 16, [DBG_BYTES_OB_SVAL] = 32, [DBG_UNICODE_STATE] = 32,
	    [DBG_UNICODE_LENGTH] = 16, [DBG_UNICODE_ASCII_SIZE] = 40,
	    [DBG_TSTATE_INTERP] = 16, [DBG_INTERP_GC] = 7400, [DBG_INTERP_CEVAL_GIL] = 16,
	    [DBG_INTERP_GIL_STATE] = 7736, [DBG_INTERP_GIL_LOCKED] = 7752,
	    [DBG_INTERP_GIL_HOLDER] = 7744, [DBG_GC_COLLECTING] = 112 },
	  120328 },
	/*
	 * Free-threaded 3.15.2, derived from Debian's libpython3.15-dev 3.15.2-1
	 * headers as 3.14t is: the structs pyprof reads differ from the default
	 * build exactly as in 3.14 (tlbc_index at 72 and owner 74 -> 78 in the
	 * frame, object fields +16, co_tlbc 224 and co_code_adaptive 232, kind at
	 * bit 8); the thread state is 3.15's (thread_id 176, native 184).
	 */
	{ 15, 1, 1, PYINTERP_KIND_SHIFT_CHAR, "3.15.2",
	  { [DBG_RUNTIME_INTERP_HEAD] = 936, [DBG_INTERP_NEXT] = 7264,
	    [DBG_INTERP_THREADS_HEAD] = 7336, [DBG_TSTATE_NEXT] = 8,
	    [DBG_TSTATE_CURRENT_FRAME] = 72, [DBG_TSTATE_THREAD_ID] = 176,
	    [DBG_TSTATE_NATIVE_THREAD_ID] = 184, [DBG_FRAME_PREVIOUS] = 8,
	    [DBG_FRAME_EXECUTABLE] = 0, [DBG_FRAME_INSTR_PTR] = 56, [DBG_FRAME_OWNER] = 78,
	    [DBG_FRAME_TLBC_INDEX] = 72, [DBG_CODE_FILENAME] = 128, [DBG_CODE_NAME] = 136,
	    [DBG_CODE_QUALNAME] = 144, [DBG_CODE_LINETABLE] = 152, [DBG_CODE_FIRSTLINENO] = 84,
	    [DBG_CODE_ADAPTIVE] = 232, [DBG_CODE_TLBC] = 224, [DBG_PYOBJECT_SIZE] = 32,
	    [DBG_BYTES_OB_SIZE] = 32, [DBG_BYTES_OB_SVAL] = 48, [DBG_UNICODE_STATE] = 48,
	    [DBG_UNICODE_LENGTH] = 32, [DBG_UNICODE_ASCII_SIZE] = 56,
	    [DBG_TSTATE_INTERP] = 16, [DBG_INTERP_GC] = 7400, [DBG_INTERP_CEVAL_GIL] = 16,
	    [DBG_INTERP_GIL_STATE] = 7736, [DBG_INTERP_GIL_LOCKED] = 7760,
	    [DBG_INTERP_GIL_HOLDER] = 7752, [DBG_GC_COLLECTING] = 112 },
	  0 },
};

static const struct dbg_format *dbg_format_of(unsigned int minor)
{
	for (size_t i = 0; i < sizeof(dbg_formats) / sizeof(dbg_formats[0]); i++)
		if (dbg_formats[i].minor == minor)
			return &dbg_formats[i];
	return NULL;
}

static const struct dbg_expect *dbg_expect_of(unsigned int minor, bool free_threaded)
{
	for (size_t i = 0; i < sizeof(dbg_expects) / sizeof(dbg_expects[0]); i++)
		if (dbg_expects[i].minor == minor && dbg_expects[i].free_threaded == free_threaded)
			return &dbg_expects[i];
	return NULL;
}

/* Word i of the blob: the caller's buffer promises no alignment. */
static __u64 word(const void *buf, size_t i)
{
	__u64 v;

	memcpy(&v, (const __u8 *)buf + i * sizeof(v), sizeof(v));
	return v;
}

/*
 * Checks the blob's header and finds its format.  Returns 0, -EINVAL for a
 * blob that is not a _Py_DebugOffsets struct, -EPROTONOSUPPORT for one of a
 * version pyprof has not checked; why says which.
 */
static int dbg_header(const void *buf, size_t len, struct pyinterp_info *info,
		      const struct dbg_format **ret)
{
	const struct dbg_format *fmt;
	__u64 ver, ft;
	char v[32];

	if (len < 3 * sizeof(__u64) || memcmp(buf, "xdebugpy", 8) != 0) {
		snprintf(info->why, sizeof(info->why), "no _Py_DebugOffsets cookie");
		return -EINVAL;
	}
	ver = word(buf, DBG_WORD_VERSION);
	ft = word(buf, DBG_WORD_FREE_THREADED);
	if (ver > 0xffffffffu || PY_MAJOR(ver) != 3 || PY_MINOR(ver) < 13 || ft > 1) {
		snprintf(info->why, sizeof(info->why),
			 "corrupt _Py_DebugOffsets (version 0x%llx, free_threaded %llu)",
			 (unsigned long long)ver, (unsigned long long)ft);
		return -EINVAL;
	}
	pyinterp__version_str((__u32)ver, v, sizeof(v));
	fmt = dbg_format_of(PY_MINOR(ver));
	if (!fmt) {
		snprintf(info->why, sizeof(info->why),
			 "CPython %s%s: its _Py_DebugOffsets are not checked (3.13-3.%u are)", v,
			 ft ? " free-threaded" : "",
			 dbg_formats[sizeof(dbg_formats) / sizeof(dbg_formats[0]) - 1].minor);
		return -EPROTONOSUPPORT;
	}
	if (len < fmt->words * sizeof(__u64)) {
		snprintf(info->why, sizeof(info->why), "short _Py_DebugOffsets of CPython %s", v);
		return -EINVAL;
	}
	*ret = fmt;
	return 0;
}

/*
 * Compares the blob's fields with the checked layout; the first difference
 * goes to why.  Returns 0 with the layout it matched in *ret.
 */
static int dbg_check(const __u64 *vals, const struct dbg_format *fmt, __u32 ver, bool ft,
		     struct pyinterp_info *info, const struct dbg_expect **ret)
{
	const struct dbg_expect *e = dbg_expect_of(fmt->minor, ft);
	char v[32];

	pyinterp__version_str(ver, v, sizeof(v));
	if (!e) {
		snprintf(info->why, sizeof(info->why), "%s CPython %s is not supported",
			 ft ? "free-threaded" : "default (GIL)", v);
		return -EPROTONOSUPPORT;
	}
	for (int f = 0; f < DBG__NR; f++) {
		if (!fmt->idx[f] || vals[f] == e->v[f])
			continue;
		snprintf(info->why, sizeof(info->why),
			 "CPython %s%s: _Py_DebugOffsets %s is %llu, %u in %s as %s", v,
			 ft ? " free-threaded" : "", dbg_names[f], (unsigned long long)vals[f],
			 e->v[f], e->checked, e->derived ? "derived" : "checked");
		return -EPROTONOSUPPORT;
	}
	*ret = e;
	return 0;
}

/*
 * The main interpreter is _PyRuntimeState's last member: where its GIL is
 * follows from the two sizes, checked like a field (default builds only).
 */
static int dbg_check_main(const void *buf, const struct dbg_expect *e, __u32 ver,
			  struct pyinterp_info *info)
{
	__u64 rt = word(buf, DBG_WORD_RUNTIME_SIZE), is = word(buf, DBG_WORD_INTERP_SIZE);
	char v[32];

	if (e->free_threaded || (rt >= is && rt - is == e->main_interp))
		return 0;
	snprintf(info->why, sizeof(info->why),
		 "CPython %s: _Py_DebugOffsets runtime_state.size %llu - interpreter_state.size "
		 "%llu is not %u", pyinterp__version_str(ver, v, sizeof(v)),
		 (unsigned long long)rt, (unsigned long long)is, e->main_interp);
	return -EPROTONOSUPPORT;
}

static int off16(__u64 v, __s16 *ret)
{
	if (v > 0x7fff)
		return -EINVAL;
	*ret = (__s16)v;
	return 0;
}

/* Free-threaded 3.14+: frames point into per-thread copies of the bytecode. */
static int dbg_tlbc(const __u64 *vals, const struct dbg_format *fmt, struct pyprof_layout *l)
{
	if (off16(vals[DBG_FRAME_TLBC_INDEX], &l->frame_tlbc_index) ||
	    off16(vals[DBG_CODE_TLBC], &l->code_tlbc))
		return -EINVAL;
	l->tlbc_entries = fmt->tlbc_entries;
	/* 0 is f_executable and ob_refcnt: a build without the copies after all. */
	if (l->frame_tlbc_index <= 0 || l->code_tlbc <= 0 || !l->tlbc_entries ||
	    l->frame_tlbc_index > PYPROF_FRAME_READ - 4)
		return -EINVAL;
	return 0;
}

/*
 * The GIL and collector fields: BPF reads locked and last_holder from the
 * GIL state the interpreter's ceval.gil points to, so they become offsets
 * into that state.  Free-threaded builds: no GIL, only the collector.
 */
static int dbg_gil(const __u64 *vals, const struct dbg_expect *e, struct pyprof_layout *l,
		   struct pyinterp_info *info)
{
	__u64 state = vals[DBG_INTERP_GIL_STATE], locked = vals[DBG_INTERP_GIL_LOCKED];
	__u64 holder = vals[DBG_INTERP_GIL_HOLDER];

	l->runtime_gil = l->interp_gil = l->gil_locked = l->gil_holder = -1;
	info->gil_state_off = 0;
	info->gil_state_size = 0;
	if (off16(vals[DBG_TSTATE_INTERP], &l->tstate_interp) ||
	    off16(vals[DBG_INTERP_GC] + vals[DBG_GC_COLLECTING], &l->gc_collecting) ||
	    l->tstate_interp > PYPROF_TSTATE_READ - 8)
		return -EINVAL;
	if (e->free_threaded)
		return 0;
	if (locked < state || holder < state || locked - state > PYPROF_GIL_READ - 4 ||
	    holder - state > PYPROF_GIL_READ - 8 ||
	    off16(vals[DBG_INTERP_CEVAL_GIL], &l->interp_gil))
		return -EINVAL;
	l->gil_locked = (__s16)(locked - state);
	l->gil_holder = (__s16)(holder - state);
	info->gil_state_off = e->main_interp + (__u32)state;
	info->gil_state_size = PYINTERP_GIL_STATE_SIZE;
	return 0;
}

/* The walker's layout from checked field values. */
static int dbg_layout(const __u64 *vals, const struct dbg_format *fmt,
		      const struct dbg_expect *e, __u32 ver, struct pyinterp_info *info)
{
	struct pyprof_layout l = { .version_hex = ver, .cframe_current_frame = -1,
				   .frame_is_entry = -1, .instr_kind = PYPROF_INSTR_PTR,
				   .owner_shim = fmt->owner_shim, .owner_generator = 1,
				   .bottom = PYPROF_BOTTOM_SHIM, .tag_mask = fmt->tag_mask,
				   .frame_tlbc_index = -1, .code_tlbc = -1 };
	struct pycode_layout c = { .co_code = -1, .unicode_kind_shift = e->kind_shift };
	__s16 ascii = 0, state = 0, length = 0, bsize = 0, bdata = 0;
	int err = 0;

	err |= off16(vals[DBG_RUNTIME_INTERP_HEAD], &l.runtime_interp_head);
	err |= off16(vals[DBG_INTERP_NEXT], &l.interp_next);
	err |= off16(vals[DBG_INTERP_THREADS_HEAD], &l.interp_threads_head);
	err |= off16(vals[DBG_TSTATE_NEXT], &l.tstate_next);
	err |= off16(vals[DBG_TSTATE_THREAD_ID], &l.tstate_thread_id);
	err |= off16(vals[DBG_TSTATE_CURRENT_FRAME], &l.tstate_frame);
	err |= off16(vals[DBG_FRAME_EXECUTABLE], &l.frame_code);
	err |= off16(vals[DBG_FRAME_PREVIOUS], &l.frame_back);
	err |= off16(vals[DBG_FRAME_INSTR_PTR], &l.frame_instr);
	err |= off16(vals[DBG_FRAME_OWNER], &l.frame_owner);
	err |= off16(vals[DBG_CODE_ADAPTIVE], &l.code_adaptive);
	err |= off16(vals[DBG_CODE_FILENAME], &c.co_filename);
	err |= off16(vals[DBG_CODE_NAME], &c.co_name);
	err |= off16(vals[DBG_CODE_QUALNAME], &c.co_qualname);
	err |= off16(vals[DBG_CODE_FIRSTLINENO], &c.co_firstlineno);
	err |= off16(vals[DBG_CODE_LINETABLE], &c.co_linetable);
	err |= off16(vals[DBG_TSTATE_NATIVE_THREAD_ID], &c.tstate_native_tid);
	err |= off16(vals[DBG_UNICODE_ASCII_SIZE], &ascii);
	err |= off16(vals[DBG_UNICODE_STATE], &state);
	err |= off16(vals[DBG_UNICODE_LENGTH], &length);
	err |= off16(vals[DBG_BYTES_OB_SIZE], &bsize);
	err |= off16(vals[DBG_BYTES_OB_SVAL], &bdata);
	if (e->free_threaded && fmt->idx[DBG_FRAME_TLBC_INDEX])
		err |= dbg_tlbc(vals, fmt, &l);
	err |= dbg_gil(vals, e, &l, info);
	/* The BPF side reads one block per frame and per tstate: every field must lie inside. */
	if (err || l.frame_code > PYPROF_FRAME_READ - 8 || l.frame_back > PYPROF_FRAME_READ - 8 ||
	    l.frame_instr > PYPROF_FRAME_READ - 8 || l.frame_owner > PYPROF_FRAME_READ - 1 ||
	    l.tstate_next > PYPROF_TSTATE_READ - 8 || l.tstate_thread_id > PYPROF_TSTATE_READ - 8 ||
	    l.tstate_frame > PYPROF_TSTATE_READ - 8 || ascii > 256 || state + 4 > ascii ||
	    length + 8 > ascii)
		return -EINVAL;
	c.unicode_state = (__u16)state;
	c.unicode_length = (__u16)length;
	c.ascii_size = (__u16)ascii;
	c.compact_size = c.ascii_size + 16; /* + utf8_length, utf8 (3.12+) */
	c.bytes_size = (__u16)bsize;
	c.bytes_data = (__u16)bdata;
	/* Read per code object: up to the last field symbolization uses. */
	c.code_size = 0;
	c.code_size = field_end(c.co_filename, 8, c.code_size);
	c.code_size = field_end(c.co_name, 8, c.code_size);
	c.code_size = field_end(c.co_qualname, 8, c.code_size);
	c.code_size = field_end(c.co_linetable, 8, c.code_size);
	c.code_size = field_end(c.co_firstlineno, 4, c.code_size);
	c.code_size = (c.code_size + 15) & ~15;

	info->layout = l;
	info->code = c;
	finish_layout(info);
	info->version_hex = ver;
	info->source = PYINTERP_SOURCE_DEBUG_OFFSETS;
	info->derived = e->derived;
	info->supported = true;
	info->why[0] = '\0';
	return 0;
}

int pyinterp__parse_debug_offsets(const void *buf, size_t len, struct pyinterp_info *info)
{
	const struct dbg_expect *e = NULL;
	const struct dbg_format *fmt;
	__u64 vals[DBG__NR] = { 0 };
	__u32 ver;
	bool ft;
	int err;

	info->supported = false;
	err = dbg_header(buf, len, info, &fmt);
	if (err)
		return err;
	ver = (__u32)word(buf, DBG_WORD_VERSION);
	ft = word(buf, DBG_WORD_FREE_THREADED) != 0;
	info->free_threaded = ft;
	info->derived = false;
	for (int f = 0; f < DBG__NR; f++) {
		vals[f] = fmt->idx[f] ? word(buf, fmt->idx[f]) : 0;
		/* No struct pyprof reads is this large: a corrupt blob, not another layout. */
		if (vals[f] > 0x7fff) {
			snprintf(info->why, sizeof(info->why),
				 "corrupt _Py_DebugOffsets: %s is %llu", dbg_names[f],
				 (unsigned long long)vals[f]);
			return -EINVAL;
		}
	}
	err = dbg_check(vals, fmt, ver, ft, info, &e);
	if (err)
		return err;
	err = dbg_check_main(buf, e, ver, info);
	if (err)
		return err;
	err = dbg_layout(vals, fmt, e, ver, info);
	info->interp_modules = 0;
	if (!err && word(buf, fmt->imports_modules) <= 0x7fff)
		info->interp_modules = (__u16)word(buf, fmt->imports_modules);
	if (err)
		snprintf(info->why, sizeof(info->why), "CPython %u.%u: a checked layout pyprof "
			 "cannot read", 3, fmt->minor);
	return err;
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

/*
 * Reads the start of _PyRuntime: as many words as the largest format, or
 * (a file that ends sooner) as many as the smallest.  Returns the bytes read.
 */
static size_t read_runtime_head(struct elf_file *ef, __u64 addr, __u8 *buf, size_t sz)
{
	if (elf_file__read_vaddr(ef, addr, buf, sz) == 0)
		return sz;
	if (elf_file__read_vaddr(ef, addr, buf, dbg_formats[0].words * sizeof(__u64)) == 0)
		return dbg_formats[0].words * sizeof(__u64);
	return 0;
}

int pyinterp__analyze(struct elf_file *ef, struct pyinterp_info *info)
{
	struct elf_file_sym syms[SYM__NR];
	__u64 addr = 0, size = 0;
	__u8 dbg[DBG_MAX_WORDS * sizeof(__u64)];
	size_t dbg_len = 0;
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
	if (addr)
		dbg_len = read_runtime_head(ef, addr, dbg, sizeof(dbg));
	if (dbg_len && memcmp(dbg, "xdebugpy", 8) == 0) {
		/* 3.13+: the interpreter's own offsets, checked; refused with a reason. */
		if (!info->version_hex)
			info->version_hex = (__u32)word(dbg, DBG_WORD_VERSION);
		if (pyinterp__parse_debug_offsets(dbg, dbg_len, info) == 0)
			return 0;
		info->supported = false;
		return 0;
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
