/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyobjects: reading a few kinds of CPython objects out of another process's
 * memory (dicts, str, int, modules, an instance's attributes) and, with them,
 * the names of its threads from the threading module.  Read-only: the target
 * is never stopped, so every structure may change or be freed under the
 * reader; every size, count and pointer is bounded, and a corrupt structure
 * gives an error, never a long loop.
 */
#ifndef PYPROF_PYOBJECTS_H
#define PYPROF_PYOBJECTS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "target/pystr.h"

struct pyinterp_info;

/* Reads len bytes at addr of the target: 0 or -errno (a short read is an error). */
typedef int (*pyobj_read_fn)(void *ctx, __u64 addr, void *buf, size_t len);

struct pyobj_reader {
	pyobj_read_fn read;
	void *ctx;
};

/* How a dict's keys object is laid out. */
enum pyobj_keys_format {
	PYOBJ_KEYS_310 = 1,	/* 3.9, 3.10: dk_size, dk_lookup, 24-byte entries */
	PYOBJ_KEYS_311,		/* 3.11+: dk_log2_size, dk_kind; str-only keys in 16 bytes */
};

/* Where an instance's attributes are. */
enum pyobj_attrs_format {
	PYOBJ_ATTRS_DICTOFFSET = 1,	/* 3.9, 3.10: a dict at tp_dictoffset */
	PYOBJ_ATTRS_MANAGED_311,	/* 3.11: values at -4 words, dict at -3 */
	PYOBJ_ATTRS_MANAGED_312,	/* 3.12: one word at -3, values - 1 or the dict */
	PYOBJ_ATTRS_INLINE,		/* 3.13+: values after tp_basicsize, dict at managed_dict */
};

/* Offsets of one interpreter build (pyobj__layout()). */
struct pyobj_layout {
	__u16 ob_type;		/* PyObject.ob_type */
	__u16 var_size;		/* PyVarObject.ob_size; _PyLongValue.lv_tag in 3.12+ ints */
	__u16 long_digits;	/* PyLongObject.ob_digit */
	bool long_tagged;	/* 3.12+: lv_tag (ndigits << 3 | sign) instead of ob_size */
	__u16 tp_basicsize, tp_flags, tp_dictoffset;
	__u16 ht_cached_keys;	/* PyHeapTypeObject.ht_cached_keys: an instance's shared keys */
	__u16 md_dict;		/* PyModuleObject.md_dict */
	__u16 ma_keys, ma_values;	/* PyDictObject */
	__u8 keys_format;	/* enum pyobj_keys_format */
	__u8 attrs_format;	/* enum pyobj_attrs_format */
	__u8 values_data;	/* offset of values[] in PyDictValues: 0, or 8 in 3.13+ */
	__s16 managed_dict;	/* offset from an object of its managed dict pointer (3.11+) */
	__u16 interp_modules;	/* PyInterpreterState.modules (3.9-3.11), .imports.modules */
	struct pystr_layout str;
};

/*
 * The layout of info's build: 0, or -EPROTONOSUPPORT for a build whose
 * objects pyprof does not know (no interp_modules offset).
 */
int pyobj__layout(const struct pyinterp_info *info, struct pyobj_layout *ret);

/* Bounds against a corrupt or hostile target. */
#define PYOBJ_MAX_DICT_LOG2	20	/* dicts of more slots are corrupt for pyprof */
#define PYOBJ_MAX_INT_DIGITS	3	/* ints read are below 2^90: thread ids */
#define PYOBJ_MAX_ATTRS		512	/* an instance with more attributes is corrupt */

/*
 * The str at addr as UTF-8 (NUL-terminated, cut at a character boundary to
 * fit sz; sz >= 1).  Returns the bytes written, -EFAULT (unreadable) or
 * -EBADMSG (not a str of the layout).
 */
int pyobj__read_str(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 addr,
		    char *buf, size_t sz);

/*
 * The int at addr, at most PYOBJ_MAX_INT_DIGITS 30-bit digits.  0,
 * -EFAULT, -EBADMSG (not an int, or negative), -ERANGE (above 2^64).
 */
int pyobj__read_u64(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 addr,
		    __u64 *ret);

/*
 * Finds the str keys of names[] in the dict at addr: vals[i] the value of
 * names[i], 0 where absent.  0, -EFAULT or -EBADMSG (a corrupt dict).
 */
int pyobj__dict_find(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 dict,
		     const char *const *names, size_t n, __u64 *vals);

/*
 * Calls fn(ctx, key, value) for each item of the dict at addr, in order,
 * at most max; fn returns 0 to go on.  Returns 0, fn's non-zero value,
 * -EFAULT, -EBADMSG, or -E2BIG (more than max items; the first max were given).
 */
int pyobj__dict_items(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 dict,
		      size_t max, int (*fn)(void *ctx, __u64 key, __u64 value), void *ctx);

/*
 * An instance's attributes named names[] (as pyobj__dict_find(), from its
 * __dict__, managed dict or inline values).  0, -EFAULT, -EBADMSG, or
 * -E2BIG (more than PYOBJ_MAX_ATTRS).
 */
int pyobj__attrs(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 obj,
		 const char *const *names, size_t n, __u64 *vals);

/* One thread of threading._active. */
struct pyobj_thread {
	__u64 ident;		/* its key: threading.get_ident(), pthread_self() */
	__u64 native_id;	/* Thread._native_id: the tid in the process's pid namespace */
	char name[128];		/* Thread._name, cut (UTF-8) */
};

/*
 * What pyobj__threads() did: threads given, and the ones whose name or id
 * could not be read (skipped).
 */
struct pyobj_threads_stats {
	unsigned int given, unreadable;
};

/*
 * Reads threading._active of the interpreter at interp (its sys.modules,
 * the threading module, the dict) and calls fn for each thread whose name
 * and native id it could read, at most max.  Returns 0, -ENOENT (threading
 * not imported), -EFAULT, -EBADMSG (a corrupt structure on the way),
 * -E2BIG (more than max threads: the first max were given), or fn's
 * non-zero value.  *threading_dict caches the module's dict between calls
 * (0: look it up; set to 0 again when it no longer leads to _active).
 */
int pyobj__threads(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 interp,
		   __u64 *threading_dict, size_t max,
		   int (*fn)(void *ctx, const struct pyobj_thread *t), void *ctx,
		   struct pyobj_threads_stats *stats);

#endif /* PYPROF_PYOBJECTS_H */
