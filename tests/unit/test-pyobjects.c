// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for pyobjects: thread names read from synthetic memory images laid
 * out as each CPython build lays out its dicts, str, int and instances
 * (3.10's dictoffset, 3.11's and 3.12's managed dicts, 3.13's inline values,
 * free-threaded 3.13t), and corrupt ones.
 */
#include <errno.h>
#include <string.h>
#include "testhelp.h"
#include "target/pyinterp.h"
#include "target/pyobjects.h"

#define BASE	 0x100000ull
#define IMG_SIZE (1u << 20)

/* The target's memory: one range from BASE; reads outside it fail. */
struct image {
	__u8 mem[IMG_SIZE];
	size_t used;
	unsigned long reads;
};

static struct image img;

static int img_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct image *im = ctx;

	im->reads++;
	if (addr < BASE || addr - BASE > IMG_SIZE || len > IMG_SIZE - (addr - BASE))
		return -EFAULT;
	memcpy(buf, im->mem + (addr - BASE), len);
	return 0;
}

static const struct pyobj_reader reader = { .read = img_read, .ctx = &img };

/* size zeroed bytes at an address 16-aligned plus pre (a pre-header before it). */
static __u64 img_alloc(size_t size, size_t pre)
{
	__u64 addr;

	img.used = (img.used + pre + 15) & ~(size_t)15;
	addr = BASE + img.used;
	img.used += size;
	if (img.used > IMG_SIZE) {
		fprintf(stderr, "image full\n");
		abort();
	}
	return addr;
}

static void *at(__u64 addr)
{
	return img.mem + (addr - BASE);
}

static void put64(__u64 addr, __u64 v)
{
	memcpy(at(addr), &v, 8);
}

static struct pyobj_layout L;

static int make_layout(unsigned int minor, bool ft)
{
	struct pyinterp_info info = { .version_hex = 0x03000000 | (minor << 16), .supported = true,
				      .free_threaded = ft, .interp_modules = 856 };
	__u16 h = ft ? 32 : 16;

	info.code.ascii_size = minor >= 12 ? h + 24 : h + 32;
	info.code.compact_size = info.code.ascii_size + (minor >= 12 ? 16 : 24);
	info.code.unicode_state = h + 16;
	info.code.unicode_length = h;
	info.code.unicode_kind_shift = 2;
	memset(&img, 0, sizeof(img));
	return pyobj__layout(&info, &L);
}

static __u64 mk_str(const char *s, unsigned int kind)
{
	size_t n = strlen(s);
	bool ascii = kind == 1;
	__u64 a = img_alloc((ascii ? L.str.ascii_size : L.str.compact_size) + (n + 1) * kind, 0);
	__u64 data = a + (ascii ? L.str.ascii_size : L.str.compact_size);
	__u32 state = (kind | 1u << 3 | (ascii ? 1u : 0u) << 4) << L.str.kind_shift;

	put64(a + L.str.length, n);
	memcpy(at(a + L.str.state), &state, 4);
	for (size_t i = 0; i < n; i++) {
		/* kind 2: every byte becomes U+0100 + the byte, to be seen as UTF-8 */
		__u16 u = (__u16)(0x100 + (__u8)s[i]);

		if (kind == 1)
			((__u8 *)at(data))[i] = (__u8)s[i];
		else
			memcpy(at(data + 2 * i), &u, 2);
	}
	return a;
}

static __u64 mk_int(__u64 v)
{
	__u64 a = img_alloc(L.long_digits + 16, 0);
	size_t nd = 0;

	for (__u64 x = v; x; x >>= 30) {
		__u32 d = (__u32)(x & ((1u << 30) - 1));

		memcpy(at(a + L.long_digits + 4 * nd++), &d, 4);
	}
	put64(a + L.var_size, L.long_tagged ? (v ? nd << 3 : 1) : nd);
	return a;
}

/* A keys object of n (key, value) entries; values[] of a split table go to *values. */
static __u64 mk_keys(size_t n, const __u64 *keys, const __u64 *vals, bool unicode, bool split)
{
	unsigned int log2 = 3;
	size_t slots, esize, at_key;
	__u64 k, entries;

	while ((1u << log2) * 2 < n * 3 + 3)
		log2++;
	slots = 1u << log2;
	if (L.keys_format == PYOBJ_KEYS_310) {
		esize = 24;
		at_key = 8;
		k = img_alloc(40 + slots + n * esize, 0);
		put64(k + 8, slots);
		put64(k + 32, n);
		entries = k + 40 + slots;
	} else {
		esize = unicode ? 16 : 24;
		at_key = unicode ? 0 : 8;
		k = img_alloc(32 + slots + n * esize, 0);
		((__u8 *)at(k))[8] = (__u8)log2;
		((__u8 *)at(k))[9] = (__u8)log2;
		((__u8 *)at(k))[10] = split ? 2 : unicode ? 1 : 0;
		put64(k + 24, n);
		entries = k + 32 + slots;
	}
	for (size_t i = 0; i < n; i++) {
		put64(entries + i * esize + at_key, keys[i]);
		if (!split)
			put64(entries + i * esize + at_key + 8, vals[i]);
	}
	return k;
}

/* A values array of n values (3.13+: after its 8-byte header, valid). */
static __u64 mk_values(size_t n, const __u64 *vals)
{
	__u64 v = img_alloc(L.values_data + n * 8, 0);

	if (L.values_data)
		((__u8 *)at(v))[3] = 1;
	for (size_t i = 0; i < n; i++)
		put64(v + L.values_data + i * 8, vals[i]);
	return v;
}

static __u64 mk_dict(size_t n, const __u64 *keys, const __u64 *vals, bool unicode)
{
	__u64 d = img_alloc(L.ma_values + 8, 0);

	put64(d + L.ma_keys, mk_keys(n, keys, vals, unicode, false));
	return d;
}

/* A Thread class, and an instance of it with _name and _native_id set as its build does. */
static __u64 thread_type;

static __u64 thread_keys[3];	/* interned: one str object per attribute name */

static __u64 mk_thread(const char *name, unsigned int kind, __u64 native_id)
{
	__u64 *keys = thread_keys;
	__u64 vals[] = { mk_str("x", 1), mk_str(name, kind), mk_int(native_id) };
	__u64 obj = img_alloc(64 + L.values_data + 3 * 8, 32), shared, values;
	__u64 flags = 0;

	if (!thread_type) {
		thread_type = img_alloc(L.ht_cached_keys + 8, 0);
		keys[0] = mk_str("_target", 1);
		keys[1] = mk_str("_name", 1);
		keys[2] = mk_str("_native_id", 1);
	}
	put64(obj + L.ob_type, thread_type);
	switch (L.attrs_format) {
	case PYOBJ_ATTRS_DICTOFFSET:
		put64(thread_type + L.tp_dictoffset, 16);
		put64(obj + 16, mk_dict(3, keys, vals, true));
		break;
	case PYOBJ_ATTRS_MANAGED_311:
	case PYOBJ_ATTRS_MANAGED_312:
		flags = 1u << 4;
		shared = mk_keys(3, keys, NULL, true, true);
		put64(thread_type + L.ht_cached_keys, shared);
		values = mk_values(3, vals);
		if (L.attrs_format == PYOBJ_ATTRS_MANAGED_311)
			put64(obj - 32, values);
		else
			put64(obj + (__u64)(__s64)L.managed_dict, values - 1);
		break;
	case PYOBJ_ATTRS_INLINE:
		flags = 1u << 4 | 1u << 2;
		shared = mk_keys(3, keys, NULL, true, true);
		put64(thread_type + L.ht_cached_keys, shared);
		put64(thread_type + L.tp_basicsize, L.ob_type + 8);
		((__u8 *)at(obj + L.ob_type + 8))[3] = 1; /* valid */
		for (size_t i = 0; i < 3; i++)
			put64(obj + L.ob_type + 8 + L.values_data + i * 8, vals[i]);
		break;
	}
	put64(thread_type + L.tp_flags, flags);
	return obj;
}

/* An interpreter whose threading._active holds n threads "t<i>" of ids 100 + i. */
static __u64 mk_interp(size_t n, __u64 *active_ret)
{
	__u64 idents[8], threads[8], tkey, active, module, mkey, modules, interp;
	__u64 okey = mk_str("os", 1), oval = img_alloc(64, 0);

	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%zu", i);
		idents[i] = mk_int(0x7f0000001000ull + i * 0x1000);
		threads[i] = mk_thread(name, 1, 100 + i);
	}
	active = mk_dict(n, idents, threads, false);
	tkey = mk_str("_active", 1);
	module = img_alloc(64, 0);
	put64(module + L.md_dict, mk_dict(1, &tkey, &active, true));
	mkey = mk_str("threading", 1);
	{
		__u64 ks[] = { okey, mkey }, vs[] = { oval, module };

		modules = mk_dict(2, ks, vs, true);
	}
	interp = img_alloc(L.interp_modules + 8, 0);
	put64(interp + L.interp_modules, modules);
	if (active_ret)
		*active_ret = active;
	return interp;
}

struct got {
	struct pyobj_thread t[16];
	size_t n;
};

static int collect(void *ctx, const struct pyobj_thread *t)
{
	struct got *g = ctx;

	if (g->n < 16)
		g->t[g->n++] = *t;
	return 0;
}

static int threads_of(__u64 interp, struct got *g, struct pyobj_threads_stats *st)
{
	__u64 cache = 0;

	memset(g, 0, sizeof(*g));
	return pyobj__threads(&reader, &L, interp, &cache, 100, collect, g, st);
}

static void check_build(unsigned int minor, bool ft)
{
	struct pyobj_threads_stats st;
	struct got g;
	__u64 interp;

	thread_type = 0;
	ASSERT_OK(make_layout(minor, ft));
	interp = mk_interp(3, NULL);
	ASSERT_OK(threads_of(interp, &g, &st));
	ASSERT_EQ(g.n, 3);
	ASSERT_EQ(st.given, 3);
	ASSERT_EQ(st.unreadable, 0);
	for (size_t i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%zu", i);
		ASSERT_STREQ(g.t[i].name, name);
		ASSERT_EQ(g.t[i].native_id, 100 + i);
		ASSERT_EQ(g.t[i].ident, 0x7f0000001000ull + i * 0x1000);
	}
}

TEST(threads_every_build)
{
	check_build(9, false);
	check_build(10, false);
	check_build(11, false);
	check_build(12, false);
	check_build(13, false);
	check_build(13, true);
	check_build(14, false);
	check_build(15, true);
}

/* Attribute keys are interned: known by address after the first thread, never read again. */
TEST(reads_per_thread)
{
	static const unsigned int minors[] = { 10, 11, 12, 13 };

	for (size_t m = 0; m < sizeof(minors) / sizeof(minors[0]); m++) {
		struct pyobj_threads_stats st;
		unsigned long two, eight;
		struct got g;
		__u64 interp;

		thread_type = 0;
		ASSERT_OK(make_layout(minors[m], false));
		interp = mk_interp(2, NULL);
		img.reads = 0;
		ASSERT_OK(threads_of(interp, &g, &st));
		two = img.reads;
		thread_type = 0;
		ASSERT_OK(make_layout(minors[m], false));
		interp = mk_interp(8, NULL);
		img.reads = 0;
		ASSERT_OK(threads_of(interp, &g, &st));
		eight = img.reads;
		ASSERT_EQ(g.n, 8);
		/* a thread's key, type, flags, values, keys, entries, name and id: ~15 reads */
		if (eight - two > 6 * 16)
			TEST_FAIL("3.%u: %lu reads for 6 more threads", minors[m], eight - two);
	}
}

TEST(layout_refused)
{
	struct pyinterp_info info = { .version_hex = 0x03080000, .supported = true,
				      .interp_modules = 856 };

	ASSERT_EQ(pyobj__layout(&info, &L), -EPROTONOSUPPORT);
	info.version_hex = 0x030c0000;
	info.interp_modules = 0;
	ASSERT_EQ(pyobj__layout(&info, &L), -EPROTONOSUPPORT);
}

/* Non-ASCII names come out as UTF-8, cut at a character boundary. */
TEST(str_utf8_and_cut)
{
	char buf[8];
	__u64 s;

	ASSERT_OK(make_layout(12, false));
	s = mk_str("abcdef", 2);
	ASSERT_EQ(pyobj__read_str(&reader, &L, s, buf, sizeof(buf)), 6);
	/* U+0161 is two bytes: three characters fit in 7 */
	ASSERT_STREQ(buf, "\xc5\xa1\xc5\xa2\xc5\xa3");
	s = mk_str("hello", 1);
	ASSERT_EQ(pyobj__read_str(&reader, &L, s, buf, 4), 3);
	ASSERT_STREQ(buf, "hel");
	/* a huge length reads no more than fits */
	put64(s + L.str.length, 1ull << 40);
	ASSERT_EQ(pyobj__read_str(&reader, &L, s, buf, sizeof(buf)), 7);
	put64(s + L.str.length, (__u64)-5);
	ASSERT_EQ(pyobj__read_str(&reader, &L, s, buf, sizeof(buf)), -EBADMSG);
	ASSERT_EQ(pyobj__read_str(&reader, &L, 0, buf, sizeof(buf)), -EFAULT);
}

TEST(int_bounds)
{
	__u64 v, a;

	for (unsigned int minor = 11; minor <= 12; minor++) {
		ASSERT_OK(make_layout(minor, false));
		ASSERT_OK(pyobj__read_u64(&reader, &L, mk_int(0), &v));
		ASSERT_EQ(v, 0);
		ASSERT_OK(pyobj__read_u64(&reader, &L, mk_int(0xfedcba9876543210ull), &v));
		ASSERT_EQ(v, 0xfedcba9876543210ull);
		a = mk_int(5);
		put64(a + L.var_size, L.long_tagged ? 1000ull << 3 : 1000);
		ASSERT_EQ(pyobj__read_u64(&reader, &L, a, &v), -ERANGE);
		put64(a + L.var_size, L.long_tagged ? (1ull << 3) | 2 : (__u64)-1);
		ASSERT_EQ(pyobj__read_u64(&reader, &L, a, &v), -EBADMSG);
	}
}

/* A corrupt dict on the way gives an error, fast; a corrupt thread is skipped. */
TEST(corrupt)
{
	static const unsigned int minors[] = { 10, 12, 13 };

	for (size_t m = 0; m < sizeof(minors) / sizeof(minors[0]); m++) {
		struct pyobj_threads_stats st;
		__u64 interp, active, keys, obj;
		struct got g;
		unsigned long reads;

		thread_type = 0;
		ASSERT_OK(make_layout(minors[m], false));
		interp = mk_interp(3, &active);
		keys = *(__u64 *)at(active + L.ma_keys);
		/* more entries than slots */
		put64(keys + (L.keys_format == PYOBJ_KEYS_310 ? 32 : 24), 1ull << 40);
		img.reads = 0;
		ASSERT_EQ(threads_of(interp, &g, &st), -EBADMSG);
		reads = img.reads;
		ASSERT_TRUE(reads < 100);
		put64(keys + (L.keys_format == PYOBJ_KEYS_310 ? 32 : 24), 3);
		/* an absurd table size */
		if (L.keys_format == PYOBJ_KEYS_310)
			put64(keys + 8, 1ull << 62);
		else
			((__u8 *)at(keys))[8] = 60;
		ASSERT_EQ(threads_of(interp, &g, &st), -EBADMSG);
		/* a dangling keys pointer */
		put64(active + L.ma_keys, 0xdead0000);
		ASSERT_EQ(threads_of(interp, &g, &st), -EFAULT);
		put64(active + L.ma_keys, keys);
		if (L.keys_format == PYOBJ_KEYS_310)
			put64(keys + 8, 8);
		else
			((__u8 *)at(keys))[8] = 3;
		ASSERT_OK(threads_of(interp, &g, &st));
		ASSERT_EQ(g.n, 3);
		/* a thread whose type is garbage: skipped, counted */
		/* entry 0's value: after the header and 8 one-byte slots, hash and key */
		obj = *(__u64 *)at(keys + (L.keys_format == PYOBJ_KEYS_310 ? 40 : 32) + 8 + 16);
		put64(obj + L.ob_type, 0x10);
		ASSERT_OK(threads_of(interp, &g, &st));
		ASSERT_EQ(g.n, 2);
		ASSERT_EQ(st.unreadable, 1);
	}
}

TEST(no_threading)
{
	struct pyobj_threads_stats st;
	__u64 interp, modules;
	struct got g;

	ASSERT_OK(make_layout(11, false));
	interp = mk_interp(1, NULL);
	modules = *(__u64 *)at(interp + L.interp_modules);
	/* rename the key "threading" to "threadinx" */
	{
		__u64 keys = *(__u64 *)at(modules + L.ma_keys);
		__u64 key = *(__u64 *)at(keys + 32 + 8 + 16);

		((char *)at(key + L.str.ascii_size))[8] = 'x';
	}
	ASSERT_EQ(threads_of(interp, &g, &st), -ENOENT);
	put64(interp + L.interp_modules, 0);
	ASSERT_EQ(threads_of(interp, &g, &st), -ENOENT);
}
