/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyinterp: recognise a CPython interpreter ELF file and compute its struct layout. */
#ifndef PYPROF_PYINTERP_H
#define PYPROF_PYINTERP_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyprof_abi.h"

struct elf_file;

/* Offsets userspace needs to symbolize code objects (never used by BPF). */
struct pycode_layout {
	__s16 co_filename;
	__s16 co_name;
	__s16 co_qualname;	/* -1 before 3.11 */
	__s16 co_firstlineno;
	__s16 co_linetable;	/* co_lnotab (<= 3.9) or co_linetable */
	__s16 co_code;		/* co_code (<= 3.10) or -1 */
	__u16 code_size;	/* bytes read per code object, covers every field above */
	__u16 ascii_size;	/* sizeof(PyASCIIObject) */
	__u16 compact_size;	/* sizeof(PyCompactUnicodeObject) */
	__u16 unicode_state;	/* offsetof(PyASCIIObject, state) */
	__u16 unicode_length;	/* offsetof(PyASCIIObject, length) */
	__u16 bytes_size;	/* offsetof(PyBytesObject, ob_size) */
	__u16 bytes_data;	/* offsetof(PyBytesObject, ob_sval) */
	__s16 tstate_native_tid; /* PyThreadState.native_thread_id (3.11+), -1 before */
	/*
	 * Lowest bit of PyASCIIObject.state's kind:3 (compact and ascii follow):
	 * 2 after interned:2, 8 in free-threaded 3.14+ whose interned is a char.
	 */
	__u16 unicode_kind_shift;
};

#define PYINTERP_SOURCE_TABLE	      0 /* built-in table for the minor version */
#define PYINTERP_SOURCE_DEBUG_OFFSETS 1 /* _PyRuntime.debug_offsets (3.13+) */

struct pyinterp_info {
	__u32 version_hex;	/* PY_VERSION_HEX, 0 if unknown */
	__u64 runtime_vaddr;	/* ELF virtual address of _PyRuntime */
	int source;		/* PYINTERP_SOURCE_* */
	bool supported;		/* layout filled in; otherwise why[] says what is missing */
	bool free_threaded;	/* a --disable-gil build (from its _Py_DebugOffsets) */
	bool derived;		/* its layout was derived from source, never run here */
	struct pyprof_layout layout;
	struct pycode_layout code;
	/*
	 * The main interpreter's _gil_runtime_state: at this offset from
	 * _PyRuntime (in _PyRuntimeState.ceval before 3.12, then in the
	 * _main_interpreter embedded in it), gil_state_size bytes.  0 in
	 * free-threaded builds, which have no GIL.
	 */
	__u32 gil_state_off;
	__u16 gil_state_size;
	/*
	 * PyInterpreterState.modules (3.9-3.11) or .imports.modules (3.12+):
	 * sys.modules, where pyobjects.h finds the threading module.  0 if unknown.
	 */
	__u16 interp_modules;
	char why[128];		/* reason when !supported */
};

/*
 * Decides whether the ELF file holds a CPython interpreter (python binary,
 * static or not, or libpython) and, if it does, which version and layout.
 * Returns 0 with info filled (info->supported false with a reason for
 * versions pyprof cannot walk), -ENOENT when the file is not CPython, or
 * an error of elf_file__find_symbols() (-EBADMSG, -EFBIG, -EIO) when the
 * file cannot be told either way.
 */
int pyinterp__analyze(struct elf_file *ef, struct pyinterp_info *info);

/*
 * Builds the layout for a minor version from the built-in tables.  Returns
 * 0, or -EPROTONOSUPPORT with a reason in info->why.
 */
int pyinterp__table_layout(__u32 version_hex, struct pyinterp_info *info);

/*
 * Parses a _Py_DebugOffsets blob (the first len bytes of _PyRuntime, 3.13+)
 * into info, after checking every field pyprof uses against the layout it
 * was tested with for that minor version and build (default or
 * free-threaded): a patch release with the same offsets is accepted as it
 * is.  Returns 0, -EINVAL for a blob that is no _Py_DebugOffsets or is
 * corrupt (no cookie, too short, absurd values), or -EPROTONOSUPPORT for a
 * minor version or build not checked, or offsets that differ from the
 * checked ones; info->why says which, naming the field.
 */
int pyinterp__parse_debug_offsets(const void *buf, size_t len, struct pyinterp_info *info);

/* "3.11.7" style text for a PY_VERSION_HEX (buffer of >= 16 bytes). */
const char *pyinterp__version_str(__u32 version_hex, char *buf, size_t sz);

/* The same with a "t" for a free-threaded build ("3.13.15t", as python3.13t is named). */
const char *pyinterp__build_str(const struct pyinterp_info *info, char *buf, size_t sz);

/* What list and dump say about a supported build pyprof never ran: "" for the others. */
#define PYINTERP_DERIVED_NOTE "layout derived from CPython's source, not tested on a real build"

#endif /* PYPROF_PYINTERP_H */
