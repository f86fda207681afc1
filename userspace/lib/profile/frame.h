/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * frame: one frame of a stack as data.  The daemon records frames in this
 * form, the profile store and the state files keep them, PYPROF/2 carries
 * them, and only the renderers turn them into text.
 */
#ifndef PYPROF_FRAME_H
#define PYPROF_FRAME_H

#include <linux/types.h>

/* The values are part of PYPROF/2 (proto/wire.h) and the state files: new kinds go at the end. */
enum frame_kind {
	FRAME_PROCESS,	/* the root: name = the process name (comm) */
	FRAME_PYTHON,	/* name = co_qualname (co_name before 3.11), file = co_filename */
	FRAME_KERNEL,	/* name = kernel symbol, or "0x<hex>" when none is known */
	FRAME_MARKER,	/* name = a bracketed note: "[python: unknown code object]", ... */
	FRAME_OTHER,	/* text of unknown shape, read from folded input */
	FRAME_THREAD,	/* below the root when threads are shown: line = the thread's tid */
	FRAME_NATIVE,	/* native code: name = symbol, file = the ELF object */
	FRAME__MAX,
};

#define FRAME_LINE_NONE (-1)	/* line or func_line not known */
/*
 * A FRAME_NATIVE frame's func_line: the interpreter's own plumbing between
 * Python frames (call dispatch, the eval loop's helpers), hidden unless asked.
 */
#define FRAME_NATIVE_INTERNAL 1
/*
 * A FRAME_MARKER frame's func_line: the marker stands for the native frames
 * that follow it (a thread with no Python state, unwound natively), shown
 * by the views that leave native frames out, dropped by those that show them.
 */
#define FRAME_MARKER_NATIVE_STANDIN 1
/* Bytes of a frame's name or file: what the profile, the state files and PYPROF/2 hold. */
#define FRAME_MAX_STRING 65535

struct frame {
	enum frame_kind kind;
	const char *name;	/* NUL-terminated, never NULL (may be "") */
	const char *file;	/* NUL-terminated; NULL when the frame has none */
	__s32 line;		/* FRAME_LINE_NONE, or the line (a tid for FRAME_THREAD) */
	__s32 func_line;	/* first line of the function (co_firstlineno), or FRAME_LINE_NONE */
};

#endif /* PYPROF_FRAME_H */
