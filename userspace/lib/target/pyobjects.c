// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyobjects: dicts, str, int and attributes read from another process's memory. */
#include <errno.h>
#include <string.h>
#include "target/pyinterp.h"
#include "target/pyobjects.h"

#define PY_MINOR(hex) (((hex) >> 16) & 0xff)

/*
 * offsetof(PyHeapTypeObject, ht_cached_keys) in default builds, right after
 * ht_qualname (found live as the word that is id(cls.__qualname__), plus
 * one word, on pyenv 3.9-3.13 and sid's 3.14 and 3.15); free-threaded
 * builds add 16 (the object header; measured on 3.13t).
 */
static const struct {
	__u8 minor;
	__u16 off;
} cached_keys_rows[] = {
	{ 9, 864 }, { 10, 872 }, { 11, 872 }, { 12, 880 }, { 13, 880 }, { 14, 880 }, { 15, 888 },
};

/* Type flags (object.h) that say where an instance's attributes are. */
#define TPFLAGS_INLINE_VALUES (1ul << 2)
#define TPFLAGS_MANAGED_DICT  (1ul << 4)
#define TPFLAGS_LONG_SUBCLASS (1ul << 24)
#define TPFLAGS_UNICODE_SUBCLASS (1ul << 28)

/* 3.11+ dk_kind */
#define DICT_KEYS_GENERAL 0
#define DICT_KEYS_SPLIT	  2

/* Entries read per read of a keys table, and the longest str key compared. */
#define ENTRIES_PER_READ 128
#define MAX_KEY_LEN	 64

int pyobj__layout(const struct pyinterp_info *info, struct pyobj_layout *ret)
{
	unsigned int minor = PY_MINOR(info->version_hex);
	__u16 h = info->free_threaded ? 32 : 16; /* sizeof(PyObject) */
	__u16 keys = 0;

	for (size_t i = 0; i < sizeof(cached_keys_rows) / sizeof(cached_keys_rows[0]); i++)
		if (cached_keys_rows[i].minor == minor)
			keys = cached_keys_rows[i].off + (info->free_threaded ? 16 : 0);
	if ((info->version_hex >> 24) != 3 || !keys || !info->interp_modules || !info->supported)
		return -EPROTONOSUPPORT;
	*ret = (struct pyobj_layout){
		.ob_type = h - 8, .var_size = h, .long_digits = h + 8, .long_tagged = minor >= 12,
		.tp_basicsize = h + 16, .tp_flags = h + 152, .tp_dictoffset = h + 272,
		.ht_cached_keys = keys, .md_dict = h, .ma_keys = h + 16, .ma_values = h + 24,
		.keys_format = minor <= 10 ? PYOBJ_KEYS_310 : PYOBJ_KEYS_311,
		.values_data = minor >= 13 ? 8 : 0,
		.managed_dict = info->free_threaded ? -8 : -24,
		.interp_modules = info->interp_modules,
		.str = pystr_layout__of(&info->code),
	};
	if (minor <= 10)
		ret->attrs_format = PYOBJ_ATTRS_DICTOFFSET;
	else if (minor == 11)
		ret->attrs_format = PYOBJ_ATTRS_MANAGED_311;
	else if (minor == 12)
		ret->attrs_format = PYOBJ_ATTRS_MANAGED_312;
	else
		ret->attrs_format = PYOBJ_ATTRS_INLINE;
	return 0;
}

static int rd(const struct pyobj_reader *r, __u64 addr, void *buf, size_t len)
{
	/* NULL, and the first page: never an object. */
	if (addr < 4096 || addr + len < addr)
		return -EFAULT;
	return r->read(r->ctx, addr, buf, len) ? -EFAULT : 0;
}

static int rd_u64(const struct pyobj_reader *r, __u64 addr, __u64 *ret)
{
	return rd(r, addr, ret, sizeof(*ret));
}

/* A str's header and where its characters are (h->data). */
struct str_head {
	struct pystr_head h;
	__u64 data;
};

static int str_head(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 addr,
		    __u8 *hdr, size_t hsz, struct str_head *s)
{
	int err;

	if (l->str.compact_size > hsz)
		return -EBADMSG;
	if (rd(r, addr, hdr, l->str.compact_size))
		return -EFAULT;
	err = pystr__head(&l->str, hdr, hsz, &s->h);
	if (err)
		return err;
	if (s->h.compact)
		s->data = addr + s->h.data_off;
	else if (rd_u64(r, addr + l->str.compact_size, &s->data))
		return -EFAULT;
	return 0;
}

int pyobj__read_str(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 addr,
		    char *buf, size_t sz)
{
	__u8 hdr[256], data[512];
	struct str_head h;
	size_t chars;
	int err;

	if (!sz)
		return -EINVAL;
	buf[0] = '\0';
	err = str_head(r, l, addr, hdr, sizeof(hdr), &h);
	if (err)
		return err;
	/* No more characters than could fit as one byte each. */
	chars = (size_t)h.h.length < sz - 1 ? (size_t)h.h.length : sz - 1;
	if (chars * h.h.kind > sizeof(data))
		chars = sizeof(data) / h.h.kind;
	if (chars && rd(r, h.data, data, chars * h.h.kind))
		return -EFAULT;
	return (int)pystr__utf8(data, chars, h.h.kind, buf, sz);
}

/* Whether the str at addr is exactly the ASCII text want (len bytes, <= MAX_KEY_LEN). */
static int str_equals(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 addr,
		      const char *want, size_t len)
{
	__u8 hdr[256], data[MAX_KEY_LEN];
	struct str_head h;
	int err;

	err = str_head(r, l, addr, hdr, sizeof(hdr), &h);
	if (err)
		return err;
	if (!h.h.ascii || (size_t)h.h.length != len || len > sizeof(data))
		return 0;
	if (len && rd(r, h.data, data, len))
		return -EFAULT;
	return memcmp(data, want, len) == 0;
}

int pyobj__read_u64(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 addr,
		    __u64 *ret)
{
	__u8 buf[64];
	__u32 digits[PYOBJ_MAX_INT_DIGITS];
	__u64 tag, v = 0;
	size_t nd;

	if (l->long_digits + sizeof(digits) > sizeof(buf) || l->var_size + 8 > l->long_digits)
		return -EBADMSG;
	if (rd(r, addr, buf, l->long_digits))
		return -EFAULT;
	memcpy(&tag, buf + l->var_size, sizeof(tag));
	if (l->long_tagged) {
		/* lv_tag: ndigits << 3, the sign in bits 0-1 (0 positive, 1 zero, 2 negative) */
		if ((tag & 3) == 1) {
			*ret = 0;
			return 0;
		}
		if ((tag & 3) != 0)
			return -EBADMSG;
		nd = tag >> 3;
	} else {
		if ((__s64)tag < 0)
			return -EBADMSG;
		nd = tag;
	}
	if (nd > PYOBJ_MAX_INT_DIGITS)
		return -ERANGE;
	if (nd && rd(r, addr + l->long_digits, digits, nd * sizeof(digits[0])))
		return -EFAULT;
	for (size_t i = nd; i-- > 0;) {
		if (digits[i] >> 30)
			return -EBADMSG;
		if (v >> 34)
			return -ERANGE;
		v = (v << 30) | digits[i];
	}
	*ret = v;
	return 0;
}

/* A dict's keys object: where its entries are, how many and how large. */
struct keys_info {
	__u64 entries;
	__u64 nentries;
	size_t entry_size;	/* 24: hash, key, value; 16: key, value */
	size_t key_at, value_at;
	bool split;		/* 3.11+ DICT_KEYS_SPLIT: values are in a values array */
};

static int keys_info(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 keys,
		     struct keys_info *k)
{
	__u8 h[40];
	__u64 size, nentries, index_bytes;

	if (l->keys_format == PYOBJ_KEYS_310) {
		/* dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries, dk_indices[] */
		if (rd(r, keys, h, 40))
			return -EFAULT;
		memcpy(&size, h + 8, 8);
		memcpy(&nentries, h + 32, 8);
		if (size < 8 || size > (1ull << PYOBJ_MAX_DICT_LOG2) || (size & (size - 1)))
			return -EBADMSG;
		index_bytes = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
		k->entries = keys + 40 + size * index_bytes;
		k->entry_size = 24;
		k->key_at = 8;
		k->value_at = 16;
		k->split = false;
	} else {
		/* dk_refcnt, log2_size, log2_index_bytes, kind, version, usable, nentries */
		__u8 log2, log2_ib, kind;

		if (rd(r, keys, h, 32))
			return -EFAULT;
		log2 = h[8];
		log2_ib = h[9];
		kind = h[10];
		memcpy(&nentries, h + 24, 8);
		/* log2_index_bytes: of the whole index array, 1, 2 or 4 bytes a slot */
		if (log2 < 3 || log2 > PYOBJ_MAX_DICT_LOG2 || kind > DICT_KEYS_SPLIT ||
		    log2_ib != log2 + (log2 < 8 ? 0 : log2 < 16 ? 1 : 2))
			return -EBADMSG;
		size = 1ull << log2;
		k->entries = keys + 32 + (1ull << log2_ib);
		k->entry_size = kind == DICT_KEYS_GENERAL ? 24 : 16;
		k->key_at = kind == DICT_KEYS_GENERAL ? 8 : 0;
		k->value_at = k->key_at + 8;
		k->split = kind == DICT_KEYS_SPLIT;
	}
	/* Usable entries are 2/3 of the slots: more is a corrupt table. */
	if (nentries > size)
		return -EBADMSG;
	k->nentries = nentries;
	return 0;
}

/*
 * Calls fn for each entry of keys with a key: its index, key and value (the
 * entry's, or values[index] when values is not 0).  At most max entries
 * with a key; -E2BIG past them.
 */
static int keys_each(const struct pyobj_reader *r, const struct keys_info *k, __u64 values,
		     size_t max, int (*fn)(void *ctx, __u64 key, __u64 value), void *ctx)
{
	__u8 buf[ENTRIES_PER_READ * 24];
	__u64 vals[ENTRIES_PER_READ];
	size_t seen = 0;
	int err;

	for (__u64 i = 0; i < k->nentries; i += ENTRIES_PER_READ) {
		size_t n = k->nentries - i < ENTRIES_PER_READ ? k->nentries - i : ENTRIES_PER_READ;

		if (rd(r, k->entries + i * k->entry_size, buf, n * k->entry_size) ||
		    (values && rd(r, values + i * 8, vals, n * 8)))
			return -EFAULT;
		for (size_t j = 0; j < n; j++) {
			__u64 key, value;

			memcpy(&key, buf + j * k->entry_size + k->key_at, 8);
			memcpy(&value, buf + j * k->entry_size + k->value_at, 8);
			if (values)
				value = vals[j];
			if (!key || !value)
				continue; /* deleted, or not set in this instance */
			if (seen++ >= max)
				return -E2BIG;
			err = fn(ctx, key, value);
			if (err)
				return err;
		}
	}
	return 0;
}

/* A dict's keys and values arrays (values 0 for a combined table). */
static int dict_tables(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 dict,
		       struct keys_info *k, __u64 *values)
{
	__u64 keys;
	int err;

	if (rd_u64(r, dict + l->ma_keys, &keys) || rd_u64(r, dict + l->ma_values, values))
		return -EFAULT;
	err = keys_info(r, l, keys, k);
	if (err)
		return err;
	if (*values)
		*values += l->values_data;
	/* 3.11+ say which tables are split; before, a values array says it. */
	if (l->keys_format == PYOBJ_KEYS_311 && k->split != !!*values)
		return -EBADMSG;
	return 0;
}

int pyobj__dict_items(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 dict,
		      size_t max, int (*fn)(void *ctx, __u64 key, __u64 value), void *ctx)
{
	struct keys_info k;
	__u64 values;
	int err;

	err = dict_tables(r, l, dict, &k, &values);
	return err ?: keys_each(r, &k, values, max, fn, ctx);
}

/*
 * What one pyobj__threads() learnt of the key objects of attribute dicts:
 * attribute names are interned, so every Thread's "_name" key is the same
 * str object, and once known by its address no thread needs its text read.
 */
#define KEY_CACHE_MISSES 32
#define KEY_CACHE_NAMES	 2

struct key_cache {
	__u64 hit[KEY_CACHE_NAMES];	/* the key object equal to names[i], 0: unknown */
	__u64 miss[KEY_CACHE_MISSES];	/* key objects equal to none of the names */
	size_t nr_miss;
};

struct find_ctx {
	const struct pyobj_reader *r;
	const struct pyobj_layout *l;
	const char *const *names;
	size_t n;
	__u64 *vals;
	struct key_cache *kc;	/* NULL: none */
};

/* 1: key is names[i] by the cache, 0: none of them, -1: unknown. */
static int cached_key(const struct find_ctx *c, __u64 key, size_t *i)
{
	if (!c->kc || c->n > KEY_CACHE_NAMES)
		return -1;
	for (*i = 0; *i < c->n; (*i)++)
		if (c->kc->hit[*i] == key)
			return 1;
	for (size_t j = 0; j < c->kc->nr_miss; j++)
		if (c->kc->miss[j] == key)
			return 0;
	return -1;
}

static int find_one(void *ctx, __u64 key, __u64 value)
{
	struct find_ctx *c = ctx;
	size_t i;
	int known = cached_key(c, key, &i);

	if (known == 1 && !c->vals[i])
		c->vals[i] = value;
	if (known >= 0)
		return 0;
	for (i = 0; i < c->n; i++) {
		int eq = str_equals(c->r, c->l, key, c->names[i], strlen(c->names[i]));

		if (eq < 0)
			return eq == -EFAULT ? -EFAULT : 0; /* a key that is no str: not ours */
		if (eq) {
			if (!c->vals[i])
				c->vals[i] = value;
			if (c->kc && c->n <= KEY_CACHE_NAMES)
				c->kc->hit[i] = key;
			return 0;
		}
	}
	if (c->kc && c->n <= KEY_CACHE_NAMES && c->kc->nr_miss < KEY_CACHE_MISSES)
		c->kc->miss[c->kc->nr_miss++] = key;
	return 0;
}

/* Finds names[] among the keys of a keys object (and values array). */
static int keys_find(const struct pyobj_reader *r, const struct pyobj_layout *l,
		     const struct keys_info *k, __u64 values, const char *const *names, size_t n,
		     __u64 *vals, size_t max, struct key_cache *kc)
{
	struct find_ctx c = { .r = r, .l = l, .names = names, .n = n, .vals = vals, .kc = kc };

	memset(vals, 0, n * sizeof(*vals));
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) > MAX_KEY_LEN)
			return -EINVAL;
	return keys_each(r, k, values, max, find_one, &c);
}

int pyobj__dict_find(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 dict,
		     const char *const *names, size_t n, __u64 *vals)
{
	struct keys_info k;
	__u64 values;
	int err;

	memset(vals, 0, n * sizeof(*vals));
	err = dict_tables(r, l, dict, &k, &values);
	return err ?: keys_find(r, l, &k, values, names, n, vals, (size_t)1 << PYOBJ_MAX_DICT_LOG2,
				NULL);
}

/* An instance's dict: PYOBJ_MAX_ATTRS at most (a thread's are read for each thread). */
static int attrs_dict_find(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 dict,
			   const char *const *names, size_t n, __u64 *vals, struct key_cache *kc)
{
	struct keys_info k;
	__u64 values;
	int err;

	memset(vals, 0, n * sizeof(*vals));
	err = dict_tables(r, l, dict, &k, &values);
	return err ?: keys_find(r, l, &k, values, names, n, vals, PYOBJ_MAX_ATTRS, kc);
}

/* Attributes kept in values shared-keys style: the type's cached keys, the instance's values. */
static int split_find(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 type,
		      __u64 values, const char *const *names, size_t n, __u64 *vals,
		      struct key_cache *kc)
{
	struct keys_info k;
	__u64 keys;
	int err;

	if (rd_u64(r, type + l->ht_cached_keys, &keys))
		return -EFAULT;
	err = keys_info(r, l, keys, &k);
	if (err)
		return err;
	if (l->keys_format == PYOBJ_KEYS_311 && !k.split)
		return -EBADMSG;
	return keys_find(r, l, &k, values, names, n, vals, PYOBJ_MAX_ATTRS, kc);
}

/* 3.13+: the inline values after the object, unless a dict took them over. */
static int inline_find(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 obj,
		       __u64 type, const char *const *names, size_t n, __u64 *vals,
		       struct key_cache *kc)
{
	__u64 basicsize, dict;
	__u8 hdr[4];

	if (rd_u64(r, obj + (__u64)(__s64)l->managed_dict, &dict))
		return -EFAULT;
	if (dict)
		return attrs_dict_find(r, l, dict, names, n, vals, kc);
	if (rd_u64(r, type + l->tp_basicsize, &basicsize))
		return -EFAULT;
	if (basicsize < (__u64)l->ob_type + 8 || basicsize > 4096 || rd(r, obj + basicsize, hdr, 4))
		return basicsize > 4096 ? -EBADMSG : -EFAULT;
	/* capacity, size, embedded, valid: no valid values and no dict is no attribute yet */
	if (!hdr[3])
		return -EBADMSG;
	return split_find(r, l, type, obj + basicsize + l->values_data, names, n, vals, kc);
}

static int attrs_find(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 obj,
		      const char *const *names, size_t n, __u64 *vals, struct key_cache *kc)
{
	__u64 type, flags, w, dict = 0;
	__s64 off;

	memset(vals, 0, n * sizeof(*vals));
	if (rd_u64(r, obj + l->ob_type, &type) || rd_u64(r, type + l->tp_flags, &flags))
		return -EFAULT;
	switch (l->attrs_format) {
	case PYOBJ_ATTRS_DICTOFFSET:
		if (rd(r, type + l->tp_dictoffset, &off, sizeof(off)))
			return -EFAULT;
		if (off <= 0 || off > 4096)
			return -EBADMSG; /* no __dict__, or one at the end of a variable object */
		if (rd_u64(r, obj + (__u64)off, &dict))
			return -EFAULT;
		break;
	case PYOBJ_ATTRS_MANAGED_311:
		if (!(flags & TPFLAGS_MANAGED_DICT))
			return -EBADMSG;
		if (rd_u64(r, obj - 32, &w))
			return -EFAULT;
		if (w)
			return split_find(r, l, type, w, names, n, vals, kc);
		if (rd_u64(r, obj - 24, &dict))
			return -EFAULT;
		break;
	case PYOBJ_ATTRS_MANAGED_312:
		if (!(flags & TPFLAGS_MANAGED_DICT))
			return -EBADMSG;
		if (rd_u64(r, obj + (__u64)(__s64)l->managed_dict, &w))
			return -EFAULT;
		/* PyDictOrValues: values - 1 (odd: values are pointer-aligned), or the dict */
		if (w & 1)
			return split_find(r, l, type, w + 1, names, n, vals, kc);
		dict = w;
		break;
	case PYOBJ_ATTRS_INLINE:
		if (flags & TPFLAGS_INLINE_VALUES)
			return inline_find(r, l, obj, type, names, n, vals, kc);
		if (!(flags & TPFLAGS_MANAGED_DICT))
			return -EBADMSG;
		if (rd_u64(r, obj + (__u64)(__s64)l->managed_dict, &dict))
			return -EFAULT;
		break;
	default:
		return -EBADMSG;
	}
	if (!dict)
		return 0; /* no attributes at all */
	return attrs_dict_find(r, l, dict, names, n, vals, kc);
}

int pyobj__attrs(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 obj,
		 const char *const *names, size_t n, __u64 *vals)
{
	return attrs_find(r, l, obj, names, n, vals, NULL);
}

struct threads_ctx {
	const struct pyobj_reader *r;
	const struct pyobj_layout *l;
	int (*fn)(void *ctx, const struct pyobj_thread *t);
	void *ctx;
	struct pyobj_threads_stats *stats;
	struct key_cache kc;
};

static int thread_one(void *ctx, __u64 key, __u64 value)
{
	static const char *const attrs[] = { "_name", "_native_id" };
	struct threads_ctx *c = ctx;
	struct pyobj_thread t = { 0 };
	__u64 vals[2];

	if (pyobj__read_u64(c->r, c->l, key, &t.ident) ||
	    attrs_find(c->r, c->l, value, attrs, 2, vals, &c->kc) || !vals[0] || !vals[1] ||
	    pyobj__read_str(c->r, c->l, vals[0], t.name, sizeof(t.name)) < 0 ||
	    pyobj__read_u64(c->r, c->l, vals[1], &t.native_id) || !t.native_id ||
	    t.native_id > 0x7fffffff) {
		/* A thread being started or torn down, or not a Thread: skipped, counted. */
		c->stats->unreadable++;
		return 0;
	}
	c->stats->given++;
	return c->fn(c->ctx, &t);
}

/* threading's module dict, from sys.modules. */
static int threading_dict(const struct pyobj_reader *r, const struct pyobj_layout *l,
			  __u64 interp, __u64 *ret)
{
	static const char *const mod[] = { "threading" };
	__u64 modules, module;
	int err;

	if (rd_u64(r, interp + l->interp_modules, &modules))
		return -EFAULT;
	if (!modules)
		return -ENOENT; /* the interpreter is starting or going */
	err = pyobj__dict_find(r, l, modules, mod, 1, &module);
	if (err)
		return err;
	if (!module)
		return -ENOENT;
	if (rd_u64(r, module + l->md_dict, ret))
		return -EFAULT;
	return *ret ? 0 : -EBADMSG;
}

int pyobj__threads(const struct pyobj_reader *r, const struct pyobj_layout *l, __u64 interp,
		   __u64 *cached_dict, size_t max,
		   int (*fn)(void *ctx, const struct pyobj_thread *t), void *ctx,
		   struct pyobj_threads_stats *stats)
{
	static const char *const active[] = { "_active" };
	struct threads_ctx c = { .r = r, .l = l, .fn = fn, .ctx = ctx, .stats = stats };
	__u64 dict;
	int err = 0;

	memset(stats, 0, sizeof(*stats));
	/* The cached module dict first; looked up again once when it leads nowhere. */
	for (int pass = 0; pass < 2; pass++) {
		if (!*cached_dict || pass) {
			*cached_dict = 0;
			err = threading_dict(r, l, interp, cached_dict);
			if (err)
				return err;
		}
		err = pyobj__dict_find(r, l, *cached_dict, active, 1, &dict);
		if (!err && dict)
			break;
		err = err ?: -ENOENT;
		if (pass)
			*cached_dict = 0;
	}
	if (err)
		return err;
	return pyobj__dict_items(r, l, dict, max, thread_one, &c);
}
