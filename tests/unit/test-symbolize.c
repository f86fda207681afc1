// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for symbolization (daemon/symbolize.c) against a fake memory reader:
 * this file is the daemon's target.c (target_read() serves reads from a
 * table of (pid, address) -> bytes and counts them), and the code objects,
 * strings and line tables in that table are laid out as the built-in layouts
 * of CPython 3.11 and 3.12 say.  Samples go in as BPF sends them; the
 * process's profile is read back as frames.  procs, sampler and threads are
 * fakes that record what symbolization asks of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testhelp.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "profile/profile.h"
#include "target/ksyms.h"
#include "target/pyinterp.h"
#include "clock.h"
#include "procs.h"
#include "pynames.h"
#include "pyproc.h"
#include "sampler.h"
#include "symbolize.h"
#include "target.h"
#include "threads.h"

#define V311	  0x030b07f0
#define V312	  0x030c01f0
#define PID	  4242
#define TID	  4243
#define MEM_MAX	  64
#define GOT_STACKS 8
#define GOT_DEPTH 16
#define TS	  (5 * NSEC_PER_SEC)

/* The fake target memory: regions of bytes, and how many reads were asked of it. */
struct region {
	int pid;
	__u64 addr;
	size_t len;
	__u8 *bytes;
};

static struct {
	struct region r[MEM_MAX];
	size_t nr;
	__u64 next;	/* where the next region goes */
	size_t reads;
} mem;

int target_read(int pid, __u64 addr, void *buf, size_t len)
{
	mem.reads++;
	for (size_t i = 0; i < mem.nr; i++) {
		const struct region *r = &mem.r[i];

		if (r->pid == pid && addr >= r->addr && addr - r->addr <= r->len &&
		    len <= r->len - (addr - r->addr)) {
			memcpy(buf, r->bytes + (addr - r->addr), len);
			return 0;
		}
	}
	return -EFAULT;
}

/* Puts len bytes at addr (0: a fresh address), replacing a region there. */
static __u64 mem_put(__u64 addr, const void *bytes, size_t len)
{
	struct region *r = NULL;

	if (!addr) {
		addr = mem.next;
		mem.next += (len + 64) & ~(__u64)15;
	}
	for (size_t i = 0; i < mem.nr && !r; i++)
		if (mem.r[i].addr == addr)
			r = &mem.r[i];
	if (!r) {
		ASSERT_TRUE(mem.nr < MEM_MAX);
		r = &mem.r[mem.nr++];
	}
	free(r->bytes);
	*r = (struct region){ .pid = PID, .addr = addr, .len = len, .bytes = malloc(len) };
	ASSERT_TRUE(r->bytes != NULL);
	memcpy(r->bytes, bytes, len);
	return addr;
}

static void mem_reset(void)
{
	for (size_t i = 0; i < mem.nr; i++)
		free(mem.r[i].bytes);
	memset(&mem, 0, sizeof(mem));
	mem.next = 0x7f1200001000ull;
}

static __u64 sample_ts;	/* when the next sample was taken (CLOCK_MONOTONIC) */

/* The fake modules around symbolization. */
struct procs {
	struct pyproc *p;
	int discovered;		/* procs__discover() calls */
};

static struct {
	bool in_kernel;		/* sampler__get_proc() finds the pid in BPF's procs */
	int unknown_pid;	/* last sampler__unknown_pid() */
	int walk_limits;
	__u32 walk_tid;
} calls;

struct pyproc *procs__find_live(struct procs *ps, int pid)
{
	return ps->p && ps->p->pid == pid && ps->p->live ? ps->p : NULL;
}

int procs__discover(struct procs *ps, int pid, enum discover_how how)
{
	ASSERT_EQ(how, DISCOVER_SAMPLE);
	ps->discovered++;
	return -ESRCH;
}

int sampler__get_proc(struct sampler *s, int pid, struct pyprof_proc *ret)
{
	memset(ret, 0, sizeof(*ret));
	return calls.in_kernel ? 0 : -ENOENT;
}

void sampler__unknown_pid(struct sampler *s, int pid)
{
	calls.unknown_pid = pid;
}

void threads__walk_limit(struct threads *th, struct pyproc *p, __u64 ts, __u32 tid)
{
	calls.walk_limits++;
	calls.walk_tid = tid;
}

/* One test's world: a process of one Python version, its profile, the context. */
struct world {
	struct pyproc p;
	struct procs ps;
	struct symbolize_ctx sy;
	const struct pycode_layout *c;
};

/* A world whose process has the layout in info. */
static void world_init_info(struct world *w, const struct pyinterp_info *info)
{
	const struct profile_opts o = { .window_ns = 10 * NSEC_PER_SEC,
					.retention_ns = 60 * NSEC_PER_SEC,
					.max_stacks = 1000, .max_frames = 1000 };

	mem_reset();
	memset(&calls, 0, sizeof(calls));
	memset(w, 0, sizeof(*w));
	sample_ts = TS;
	w->p.pid = PID;
	w->p.live = true;
	snprintf(w->p.comm, sizeof(w->p.comm), "worker");
	w->p.info = *info;
	w->p.profile = profile__new(&o);
	ASSERT_TRUE(w->p.profile != NULL);
	w->ps.p = &w->p;
	w->sy.procs = &w->ps;
	w->c = &w->p.info.code;
}

static void world_init(struct world *w, __u32 version_hex)
{
	struct pyinterp_info info;

	ASSERT_OK(pyinterp__table_layout(version_hex, &info));
	info.version_hex = version_hex; /* as pyinterp__analyze() sets it */
	world_init_info(w, &info);
}

/* A world laid out as tests/data/debugoffsets/NAME.bin (3.13+) says. */
static void world_init_blob(struct world *w, const char *name)
{
	const char *srcdir = getenv("PYPROF_SRCDIR");
	struct pyinterp_info info;
	char path[512];
	__u8 blob[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/tests/data/debugoffsets/%s.bin",
		 srcdir && *srcdir ? srcdir : ".", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		TEST_FAIL("%s: %s (run from the source tree or set PYPROF_SRCDIR)", path,
			  strerror(errno));
	n = read(fd, blob, sizeof(blob));
	close(fd);
	ASSERT_TRUE(n > 0);
	if (pyinterp__parse_debug_offsets(blob, (size_t)n, &info))
		TEST_FAIL("%s refused: %s", name, info.why);
	world_init_info(w, &info);
}

static void world_done(struct world *w)
{
	symbolize__forget(&w->p);
	pynames__forget(&w->p); /* the thread frames asked it for names */
	profile__free(w->p.profile);
	mem_reset();
}

/* What symbolize.c counted of the test's process. */
static struct symbolize_proc_stats counted(const struct world *w)
{
	struct symbolize_proc_stats st;

	symbolize__proc_stats(&w->p, &st);
	return st;
}

/* A str object: compact, of kind 1, 2 or 4 (ascii when every unit is below 0x80). */
static __u64 put_str_kind(const struct world *w, const void *units, size_t n, __u32 kind)
{
	const struct pycode_layout *c = w->c;
	__u8 buf[256] = { 0 };
	bool ascii = kind == 1;
	size_t hdr;
	__s64 len = (__s64)n;
	__u32 state;

	for (size_t i = 0; ascii && i < n; i++)
		ascii = ((const __u8 *)units)[i] < 0x80;
	hdr = ascii ? c->ascii_size : c->compact_size;
	ASSERT_TRUE(hdr + n * kind <= sizeof(buf) && c->compact_size <= sizeof(buf));
	/* interned (1: interned), then kind, compact and ascii from the layout's kind bit on */
	state = 1u | (kind | 1u << 3 | (ascii ? 1u << 4 : 0)) << c->unicode_kind_shift;
	memcpy(buf + c->unicode_length, &len, sizeof(len));
	memcpy(buf + c->unicode_state, &state, sizeof(state));
	memcpy(buf + hdr, units, n * kind);
	return mem_put(0, buf, hdr + n * kind > c->compact_size ? hdr + n * kind : c->compact_size);
}

static __u64 put_str(const struct world *w, const char *s)
{
	return put_str_kind(w, s, strlen(s), 1);
}

static __u64 put_bytes(const struct world *w, const __u8 *data, size_t n)
{
	__u8 buf[256] = { 0 };
	__s64 size = (__s64)n;

	ASSERT_TRUE(w->c->bytes_data + n <= sizeof(buf));
	memcpy(buf + w->c->bytes_size, &size, sizeof(size));
	memcpy(buf + w->c->bytes_data, data, n);
	return mem_put(0, buf, w->c->bytes_data + n);
}

/*
 * 3.11+ location table (tests/unit/test-linetable.c's, co_firstlineno 100):
 * code unit 0 -> line 100, 2 -> 101, 3 -> none, 7 -> 98, 11 -> 50, 15 -> 5050.
 */
static const __u8 loc[] = {
	0x81, 0x05, 0xd8, 4, 10, 0xfa, 0xa8, 0x12, 0xe9, 0x07, 0xf8, 0xe0, 1, 2,
	0xf3, 0x65, 0x01, 0x00, 0x48, 0x03, 0x52, 0x03,
	0xf0, 0x50, 0x5c, 0x02, 0x00, 0x01, 0x01, 0xd7, 0, 0,
};

/* A code object's naming fields as pointers into the fake memory. */
struct code {
	__u64 addr;
	__u64 qualname, name, file, tab;
	__s32 firstlineno;
	__u32 fp;
};

/* Writes code object k at k->addr (0: a fresh address) and takes its fingerprint. */
static void put_code(const struct world *w, struct code *k)
{
	const struct pycode_layout *c = w->c;
	__u8 buf[256] = { 0 };

	ASSERT_TRUE(c->code_size <= sizeof(buf));
	memcpy(buf + c->co_qualname, &k->qualname, 8);
	memcpy(buf + c->co_name, &k->name, 8);
	memcpy(buf + c->co_filename, &k->file, 8);
	memcpy(buf + c->co_linetable, &k->tab, 8);
	memcpy(buf + c->co_firstlineno, &k->firstlineno, 4);
	k->addr = mem_put(k->addr, buf, c->code_size);
	k->fp = pyprof_code_fp((__u32)k->firstlineno, k->qualname, k->file, k->tab);
}

/* Code object qualname (co_name: its last part) in file, with the location table above. */
static struct code make_code(const struct world *w, const char *qualname, const char *file)
{
	const char *dot = strrchr(qualname, '.');
	struct code k = { .qualname = put_str(w, qualname),
			  .name = put_str(w, dot ? dot + 1 : qualname),
			  .file = put_str(w, file), .tab = put_bytes(w, loc, sizeof(loc)),
			  .firstlineno = 100 };

	put_code(w, &k);
	return k;
}

static struct pyprof_frame pyframe(const struct code *k, int instr)
{
	return (struct pyprof_frame){ .code = k->addr, .instr = instr, .code_fp = k->fp };
}

/* A sample as BPF packs it: frames leaf first, then the kernel stack (leaf first). */
static size_t make_sample(struct pyprof_sample *s, const struct pyprof_frame *f, size_t nf,
			  const __u64 *k, size_t nk)
{
	memset(s, 0, sizeof(*s));
	s->hdr = (struct pyprof_event_hdr){ .ts = sample_ts, .kind = PYPROF_EV_SAMPLE, .pid = PID,
					    .tid = TID };
	s->nr_frames = (__u16)nf;
	s->nr_kstack = (__u16)nk;
	if (nf)
		memcpy(s->frames, f, nf * sizeof(*f));
	if (nk)
		memcpy(&s->frames[nf], k, nk * sizeof(*k));
	return __builtin_offsetof(struct pyprof_sample, frames) + nf * sizeof(*f) + nk * sizeof(*k);
}

/* The profile's stacks read back, frames copied. */
struct got_frame {
	enum frame_kind kind;
	char name[64], file[64];	/* file "": none */
	int line, func_line;
};

struct got {
	const struct profile *prof;
	size_t nr;
	size_t depth[GOT_STACKS];
	__u64 count[GOT_STACKS];
	struct got_frame f[GOT_STACKS][GOT_DEPTH];
};

static int got_stack(const __u32 *ids, size_t nr, sample_tag_t tag, __u64 count, void *arg)
{
	struct got *g = arg;

	ASSERT_TRUE(g->nr < GOT_STACKS && nr <= GOT_DEPTH);
	for (size_t i = 0; i < nr; i++) {
		const struct frame *f = profile__frame(g->prof, ids[i]);
		struct got_frame *out = &g->f[g->nr][i];

		ASSERT_TRUE(f != NULL);
		out->kind = f->kind;
		snprintf(out->name, sizeof(out->name), "%s", f->name);
		snprintf(out->file, sizeof(out->file), "%s", f->file ? f->file : "");
		out->line = f->line;
		out->func_line = f->func_line;
	}
	g->depth[g->nr] = nr;
	g->count[g->nr++] = count;
	return 0;
}

static void collect(const struct world *w, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->prof = w->p.profile;
	ASSERT_OK(profile__collect(w->p.profile, 0, ~0ull, got_stack, g));
}

static void check_frame(const struct got_frame *f, enum frame_kind kind, const char *name,
			const char *file, int line, int func_line)
{
	ASSERT_EQ(f->kind, kind);
	ASSERT_STREQ(f->name, name);
	ASSERT_STREQ(f->file, file ? file : "");
	ASSERT_EQ(f->line, line);
	ASSERT_EQ(f->func_line, func_line);
}

/* The root and thread frames every stack starts with. */
static void check_top(const struct got *g, size_t st, const char *comm)
{
	check_frame(&g->f[st][0], FRAME_PROCESS, comm, NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	check_frame(&g->f[st][1], FRAME_THREAD, "", NULL, TID, FRAME_LINE_NONE);
}

/* The stack whose frame i is named name (stacks come back in no promised order). */
static size_t stack_with(const struct got *g, size_t i, const char *name, int line)
{
	for (size_t st = 0; st < g->nr; st++)
		if (i < g->depth[st] && strcmp(g->f[st][i].name, name) == 0 &&
		    g->f[st][i].line == line)
			return st;
	TEST_FAIL("no stack with %s line %d at depth %zu", name, line, i);
}

static struct pyprof_sample sample;

static int add(const struct world *w, const struct pyprof_frame *f, size_t nf, const __u64 *k,
	       size_t nk)
{
	size_t size = make_sample(&sample, f, nf, k, nk);

	return symbolize__sample(&w->sy, &sample, size);
}

/* Two Python frames and two kernel frames of one version: every field, root first. */
static void check_stack(__u32 version_hex)
{
	static const __u64 kstack[] = { 0xffffffff81000123ull, 0xffffffff81000456ull };
	struct world w;
	struct code outer, inner;
	struct pyprof_frame f[2];
	struct got g;

	world_init(&w, version_hex);
	outer = make_code(&w, "<module>", "/app/main.py");
	inner = make_code(&w, "Worker.run", "/app/worker.py");
	f[0] = pyframe(&inner, 7);	/* leaf: line 98 */
	f[1] = pyframe(&outer, 2);	/* line 101 */
	ASSERT_OK(add(&w, f, 2, kstack, 2));
	ASSERT_OK(add(&w, f, 2, kstack, 2));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 1);
	ASSERT_EQ(g.count[0], 2);
	ASSERT_EQ(g.depth[0], 6);
	check_top(&g, 0, "worker");
	check_frame(&g.f[0][2], FRAME_PYTHON, "<module>", "/app/main.py", 101, 100);
	check_frame(&g.f[0][3], FRAME_PYTHON, "Worker.run", "/app/worker.py", 98, 100);
	check_frame(&g.f[0][4], FRAME_KERNEL, "0xffffffff81000456", NULL, FRAME_LINE_NONE,
		    FRAME_LINE_NONE);
	check_frame(&g.f[0][5], FRAME_KERNEL, "0xffffffff81000123", NULL, FRAME_LINE_NONE,
		    FRAME_LINE_NONE);
	ASSERT_EQ(counted(&w).samples, 2);
	ASSERT_EQ(counted(&w).errors[PYPROF_UNWIND_OK], 2);
	world_done(&w);
}

TEST(stack_311)
{
	check_stack(V311);
}

TEST(stack_312)
{
	check_stack(V312);
}

/*
 * Layouts from debug offsets, the free-threaded ones included: 3.14t's and
 * 3.15t's str state keeps kind from bit 8 on (interned is a char there), and
 * their objects start 16 bytes later.  The names and lines must come out the
 * same.
 */
static void check_stack_blob(const char *name)
{
	struct world w;
	struct code outer, inner, uni;
	static const __u16 ucs2[] = { 0x3b1, '.', 0x3b2 };
	struct pyprof_frame f[3];
	struct got g;

	world_init_blob(&w, name);
	outer = make_code(&w, "<module>", "/app/main.py");
	inner = make_code(&w, "Worker.run", "/app/worker.py");
	uni = make_code(&w, "x", "/app/u.py");
	uni.addr = 0;
	uni.qualname = put_str_kind(&w, ucs2, 3, 2);
	put_code(&w, &uni);
	f[0] = pyframe(&uni, 0);
	f[1] = pyframe(&inner, 7);
	f[2] = pyframe(&outer, 2);
	ASSERT_OK(add(&w, f, 3, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 1);
	ASSERT_EQ(g.depth[0], 5);
	check_frame(&g.f[0][2], FRAME_PYTHON, "<module>", "/app/main.py", 101, 100);
	check_frame(&g.f[0][3], FRAME_PYTHON, "Worker.run", "/app/worker.py", 98, 100);
	check_frame(&g.f[0][4], FRAME_PYTHON, "\xce\xb1.\xce\xb2", "/app/u.py", 100, 100);
	world_done(&w);
}

TEST(stack_debug_offsets)
{
	static const char *const names[] = { "python3.13", "python3.13t", "python3.14",
					     "python3.14t", "python3.15", "python3.15t" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_stack_blob(names[i]);
}

/* Lines from the table by code unit; none where the table says none; -1 (not started). */
TEST(lines)
{
	static const int instr[] = { 0, 3, 11, 15, -1 };
	static const int want[] = { 100, FRAME_LINE_NONE, 50, 5050, 100 };

	for (size_t i = 0; i < sizeof(instr) / sizeof(instr[0]); i++) {
		struct pyprof_frame f;
		struct world w;
		struct code k;
		struct got g;

		world_init(&w, V312);
		k = make_code(&w, "f", "/app/f.py");
		f = pyframe(&k, instr[i]);
		ASSERT_OK(add(&w, &f, 1, NULL, 0));
		collect(&w, &g);
		ASSERT_EQ(g.nr, 1);
		check_frame(&g.f[0][2], FRAME_PYTHON, "f", "/app/f.py", want[i], 100);
		world_done(&w);
	}
}

/* Kernel frames named from a kallsyms file; an address below every symbol stays hex. */
TEST(kernel_symbols)
{
	static const __u64 kstack[] = { 0xffffffff81000010ull, 0xffffffff81002008ull, 0x1000 };
	char path[] = "/tmp/pyprof-ksyms-XXXXXX";
	int fd = mkstemp(path);
	struct world w;
	struct got g;
	FILE *f;

	ASSERT_TRUE(fd >= 0);
	f = fdopen(fd, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "ffffffff81000000 T do_syscall_64\nffffffff81002000 T schedule\n");
	ASSERT_EQ(fclose(f), 0);
	world_init(&w, V311);
	w.sy.ksyms = ksyms__load(path);
	(void)unlink(path);
	ASSERT_TRUE(w.sy.ksyms != NULL);
	ASSERT_OK(add(&w, NULL, 0, kstack, 3));
	collect(&w, &g);
	ASSERT_EQ(g.depth[0], 5);
	check_top(&g, 0, "worker");
	check_frame(&g.f[0][2], FRAME_KERNEL, "0x1000", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	check_frame(&g.f[0][3], FRAME_KERNEL, "schedule", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	check_frame(&g.f[0][4], FRAME_KERNEL, "do_syscall_64", NULL, FRAME_LINE_NONE,
		    FRAME_LINE_NONE);
	ksyms__free(w.sy.ksyms);
	world_done(&w);
}

static void check_marker(const struct got_frame *f, const char *name)
{
	check_frame(f, FRAME_MARKER, name, NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
}

/*
 * A code object that cannot be read, or whose name cannot, is one marker
 * frame (not one per address), and the frames around it stay named.
 */
TEST(unreadable_code)
{
	struct world w;
	struct code ok, bad_name, none = { .addr = 0x7f0000dead00ull, .fp = 1 };
	struct pyprof_frame f[3];
	struct got g;

	world_init(&w, V311);
	ok = make_code(&w, "main", "/app/main.py");
	bad_name = ok;
	bad_name.addr = 0;
	bad_name.qualname = 0x7f0000beef00ull;
	put_code(&w, &bad_name);
	f[0] = pyframe(&none, 0);
	f[1] = pyframe(&bad_name, 0);
	f[2] = pyframe(&ok, 2);
	ASSERT_OK(add(&w, f, 3, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 1);
	ASSERT_EQ(g.depth[0], 5);
	check_top(&g, 0, "worker");
	check_frame(&g.f[0][2], FRAME_PYTHON, "main", "/app/main.py", 101, 100);
	check_marker(&g.f[0][3], "[python: unknown code object]");
	check_marker(&g.f[0][4], "[python: unknown code object]");
	ASSERT_EQ(counted(&w).code_gone, 0);
	world_done(&w);
}

/* Why BPF stopped walking: a marker right below the thread, above the frames it did get. */
TEST(error_markers)
{
	static const struct {
		__u16 error;
		size_t nf;
		const char *marker;
	} cases[] = {
		{ PYPROF_UNWIND_NO_INTERP, 0, "[python: interpreter not running]" },
		{ PYPROF_UNWIND_NO_TSTATE, 0, "[python: thread has no Python state]" },
		{ PYPROF_UNWIND_NO_FRAME, 0, "[python: no Python frame]" },
		{ PYPROF_UNWIND_READ_FAULT, 0, "[python: unreadable stack]" },
		{ PYPROF_UNWIND_READ_FAULT, 1, "[python: partial stack]" },
		{ PYPROF_UNWIND_TRUNCATED, 1, "[python: truncated stack]" },
		{ PYPROF_UNWIND_PARTIAL, 1, "[python: partial stack]" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pyprof_frame f;
		struct world w;
		struct code k;
		struct got g;
		size_t size;

		world_init(&w, V312);
		k = make_code(&w, "leaf", "/app/leaf.py");
		f = pyframe(&k, 7);
		size = make_sample(&sample, &f, cases[i].nf, NULL, 0);
		sample.error = cases[i].error;
		ASSERT_OK(symbolize__sample(&w.sy, &sample, size));
		collect(&w, &g);
		ASSERT_EQ(g.depth[0], 3 + cases[i].nf);
		check_top(&g, 0, "worker");
		check_marker(&g.f[0][2], cases[i].marker);
		if (cases[i].nf)
			check_frame(&g.f[0][3], FRAME_PYTHON, "leaf", "/app/leaf.py", 98, 100);
		ASSERT_EQ(counted(&w).errors[cases[i].error], 1);
		world_done(&w);
	}
}

/*
 * A young process frees a code object and another takes its address: BPF's
 * fingerprint says which one was sampled.  The new one is named with its own
 * name, and a sample of the old one, read too late, is unknown and counted.
 */
TEST(code_replaced)
{
	struct pyprof_frame old_f, new_f;
	struct code k, old;
	struct world w;
	struct got g;

	world_init(&w, V311);
	k = make_code(&w, "old_module_body", "/app/old.py");
	old = k;
	old_f = pyframe(&old, 2);
	ASSERT_OK(add(&w, &old_f, 1, NULL, 0));
	k.qualname = put_str(&w, "replacement");
	k.file = put_str(&w, "/app/new.py");
	k.firstlineno = 100;
	put_code(&w, &k);
	ASSERT_EQ(k.addr, old.addr);
	ASSERT_TRUE(k.fp != old.fp);
	new_f = pyframe(&k, 2);
	ASSERT_OK(add(&w, &new_f, 1, NULL, 0));
	ASSERT_OK(add(&w, &old_f, 1, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 3);
	check_frame(&g.f[stack_with(&g, 2, "old_module_body", 101)][2], FRAME_PYTHON,
		    "old_module_body", "/app/old.py", 101, 100);
	check_frame(&g.f[stack_with(&g, 2, "replacement", 101)][2], FRAME_PYTHON, "replacement",
		    "/app/new.py", 101, 100);
	check_marker(&g.f[stack_with(&g, 2, "[python: unknown code object]", FRAME_LINE_NONE)][2],
		     "[python: unknown code object]");
	ASSERT_EQ(counted(&w).code_gone, 1);
	world_done(&w);
}

/*
 * Copies max bytes of the fake memory from addr on, as BPF reads a span of
 * memory: the objects in it, and zeros between them.  False if addr is in none.
 */
static bool mem_copy(__u64 addr, void *dst, size_t max)
{
	bool found = false;

	memset(dst, 0, max);
	for (size_t i = 0; i < mem.nr; i++) {
		const struct region *r = &mem.r[i];

		for (size_t o = 0; o < max; o++) {
			if (addr + o >= r->addr && addr + o - r->addr < r->len) {
				((__u8 *)dst)[o] = r->bytes[addr + o - r->addr];
				found |= o == 0;
			}
		}
	}
	return found;
}

/* Regions of a snapshot, for snap_of(). */
#define SNAP_NAME  0x1
#define SNAP_FILE  0x2
#define SNAP_TABLE 0x4
#define SNAP_ALL   (SNAP_NAME | SNAP_FILE | SNAP_TABLE)

/* The snapshot BPF would send of code object k now, with the regions in have. */
static struct pyprof_code_snap snap_of(const struct world *w, const struct code *k, __u16 have)
{
	struct pyprof_code_snap e = { .hdr = { .ts = sample_ts, .kind = PYPROF_EV_CODE,
					       .pid = PID, .tid = TID },
				      .addr = k->addr, .fp = k->fp };

	ASSERT_TRUE(mem_copy(k->addr + w->p.info.layout.code_fp_off, e.code, sizeof(e.code)));
	if ((have & SNAP_NAME) && mem_copy(k->qualname, e.name, sizeof(e.name)))
		e.len[PYPROF_SNAP_NAME_REGION] = sizeof(e.name);
	if ((have & SNAP_FILE) && mem_copy(k->file, e.file, sizeof(e.file)))
		e.len[PYPROF_SNAP_FILE_REGION] = sizeof(e.file);
	if ((have & SNAP_TABLE) && mem_copy(k->tab, e.table, sizeof(e.table)))
		e.len[PYPROF_SNAP_TABLE_REGION] = sizeof(e.table);
	return e;
}

/* Overwrites the memory of k's strings, table and object: freed and reused. */
static void reuse(const struct code *k)
{
	static const __u8 junk[64] = { 0xee };

	mem_put(k->qualname, junk, sizeof(junk));
	mem_put(k->name, junk, sizeof(junk));
	mem_put(k->file, junk, sizeof(junk));
	mem_put(k->tab, junk, sizeof(junk));
	mem_put(k->addr, junk, sizeof(junk));
}

/* Puts the object written at from at addr instead. */
static void put_at(__u64 addr, __u64 from)
{
	for (size_t i = 0; i < mem.nr; i++) {
		if (mem.r[i].addr == from) {
			__u8 *bytes = malloc(mem.r[i].len);
			size_t len = mem.r[i].len;

			ASSERT_TRUE(bytes != NULL);
			memcpy(bytes, mem.r[i].bytes, len);
			mem_put(addr, bytes, len);
			free(bytes);
			return;
		}
	}
	TEST_FAIL("no object at 0x%llx", (unsigned long long)from);
}


/* make_code() with the line table a page away: not in the copies of the names. */
static struct code make_code_far_table(const struct world *w, const char *name, const char *file)
{
	struct code k = { .qualname = put_str(w, name), .name = put_str(w, name),
			  .file = put_str(w, file), .firstlineno = 100 };

	mem.next += 4096;
	k.tab = put_bytes(w, loc, sizeof(loc));
	put_code(w, &k);
	return k;
}

/*
 * A young process's module body is freed before its sample is read: the
 * snapshot BPF sent before the sample names it, line included, with no read
 * of the process.  Another body then comes back at the same four addresses
 * (same fingerprint): its snapshot replaces the first one, and each sample
 * is named after the snapshot sent before it.
 */
TEST(code_snapshot)
{
	struct pyprof_code_snap e;
	struct pyprof_frame f;
	struct code k;
	struct world w;
	struct got g;
	size_t reads;

	world_init(&w, V312);
	k = make_code(&w, "body_a", "/app/a.py");
	e = snap_of(&w, &k, SNAP_ALL);
	reuse(&k);
	reads = mem.reads;
	ASSERT_OK(symbolize__code_snap(&w.sy, &e, sizeof(e)));
	f = pyframe(&k, 2);
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	ASSERT_EQ(mem.reads, reads);
	/* body_b at the same addresses, its strings written in place. */
	put_at(k.qualname, put_str(&w, "body_b"));
	put_at(k.file, put_str(&w, "/app/b.py"));
	put_at(k.tab, put_bytes(&w, loc, sizeof(loc)));
	put_code(&w, &k);
	ASSERT_EQ(k.fp, f.code_fp);
	e = snap_of(&w, &k, SNAP_ALL);
	ASSERT_OK(symbolize__code_snap(&w.sy, &e, sizeof(e)));
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 2);
	check_frame(&g.f[stack_with(&g, 2, "body_a", 101)][2], FRAME_PYTHON, "body_a", "/app/a.py",
		    101, 100);
	check_frame(&g.f[stack_with(&g, 2, "body_b", 101)][2], FRAME_PYTHON, "body_b", "/app/b.py",
		    101, 100);
	ASSERT_EQ(counted(&w).code_snaps, 2);
	ASSERT_EQ(counted(&w).code_gone, 0);
	world_done(&w);
}

/*
 * What a snapshot lacks (a line table too big for it) is read from the
 * process while the object is still there; once it is gone, the frame is
 * named without a line.  A snapshot whose fingerprint does not match what it
 * holds, or that is cut short, is refused.
 */
TEST(code_snapshot_partial)
{
	struct pyprof_code_snap e;
	struct pyprof_frame f;
	struct code k, gone;
	struct world w;
	struct got g;

	world_init(&w, V312);
	k = make_code_far_table(&w, "kept", "/app/k.py");
	e = snap_of(&w, &k, SNAP_NAME | SNAP_FILE);
	ASSERT_OK(symbolize__code_snap(&w.sy, &e, sizeof(e)));
	f = pyframe(&k, 2);
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	gone = make_code_far_table(&w, "gone", "/app/g.py");
	e = snap_of(&w, &gone, SNAP_NAME | SNAP_FILE);
	reuse(&gone);
	ASSERT_OK(symbolize__code_snap(&w.sy, &e, sizeof(e)));
	f = pyframe(&gone, 2);
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 2);
	check_frame(&g.f[stack_with(&g, 2, "kept", 101)][2], FRAME_PYTHON, "kept", "/app/k.py", 101,
		    100);
	check_frame(&g.f[stack_with(&g, 2, "gone", FRAME_LINE_NONE)][2], FRAME_PYTHON, "gone",
		    "/app/g.py", FRAME_LINE_NONE, 100);
	e.fp ^= 2;
	ASSERT_EQ(symbolize__code_snap(&w.sy, &e, sizeof(e)), -EINVAL);
	e.fp ^= 2;
	ASSERT_EQ(symbolize__code_snap(&w.sy, &e, sizeof(e) - 1), -EINVAL);
	ASSERT_EQ(counted(&w).code_snaps, 2);
	world_done(&w);
}

/*
 * Code objects are read once: a second sample of the same code, another
 * line of it, or a sample past the young period (no fingerprint) within the
 * recheck time costs no read, and neither does a kernel or thread frame seen before.
 */
TEST(caches)
{
	static const __u64 kstack[] = { 0xffffffff81000123ull };
	struct pyprof_frame f[2];
	struct code a, b;
	struct world w;
	struct got g;

	world_init(&w, V312);
	a = make_code(&w, "a", "/app/a.py");
	b = make_code(&w, "b", "/app/b.py");
	f[0] = pyframe(&a, 7);
	f[1] = pyframe(&b, 0);
	mem.reads = 0;
	ASSERT_OK(add(&w, f, 2, kstack, 1));
	ASSERT_TRUE(mem.reads > 0);
	mem.reads = 0;
	ASSERT_OK(add(&w, f, 2, kstack, 1));
	ASSERT_EQ(mem.reads, 0);
	f[0].instr = 11;
	ASSERT_OK(add(&w, f, 2, kstack, 1));
	f[0].code_fp = f[1].code_fp = 0;
	ASSERT_OK(add(&w, f, 2, kstack, 1));
	ASSERT_EQ(mem.reads, 0);
	collect(&w, &g);
	ASSERT_EQ(g.nr, 2);
	for (size_t i = 0; i < 2; i++) {
		size_t st = stack_with(&g, 3, "a", i ? 50 : 98);

		ASSERT_EQ(g.count[st], 2);
		check_frame(&g.f[st][2], FRAME_PYTHON, "b", "/app/b.py", 100, 100);
		check_frame(&g.f[st][3], FRAME_PYTHON, "a", "/app/a.py", i ? 50 : 98, 100);
	}
	world_done(&w);
}

/* Names that are not ASCII: latin-1, UCS-2 and UCS-4 strings come out as UTF-8. */
TEST(unicode_names)
{
	static const __u8 latin1[] = { 'c', 'a', 'f', 0xe9 };
	static const __u16 ucs2[] = { 0x3b1, '.', 0x3b2 };
	static const __u32 ucs4[] = { '/', 0x1f40d, '.', 'p', 'y' };
	struct pyprof_frame f[2];
	struct code a, b;
	struct world w;
	struct got g;

	world_init(&w, V312);
	a = make_code(&w, "x", "/x.py");
	b = a;
	a.addr = b.addr = 0;
	a.qualname = put_str_kind(&w, latin1, 4, 1);
	b.qualname = put_str_kind(&w, ucs2, 3, 2);
	b.file = put_str_kind(&w, ucs4, 5, 4);
	put_code(&w, &a);
	put_code(&w, &b);
	f[0] = pyframe(&a, 0);
	f[1] = pyframe(&b, 0);
	ASSERT_OK(add(&w, f, 2, NULL, 0));
	collect(&w, &g);
	check_frame(&g.f[0][2], FRAME_PYTHON, "\xce\xb1.\xce\xb2", "/\xf0\x9f\x90\x8d.py", 100,
		    100);
	check_frame(&g.f[0][3], FRAME_PYTHON, "caf\xc3\xa9", "/x.py", 100, 100);
	world_done(&w);
}

/* co_qualname, not co_name, from 3.11 on. */
TEST(qualname)
{
	struct pyprof_frame f;
	struct world w;
	struct code k;
	struct got g;

	world_init(&w, V311);
	k = make_code(&w, "Outer.method", "/app/m.py");
	f = pyframe(&k, 0);
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	collect(&w, &g);
	check_frame(&g.f[0][2], FRAME_PYTHON, "Outer.method", "/app/m.py", 100, 100);
	world_done(&w);
}

/*
 * A sample of no known process the kernel still profiles (a fork child):
 * discovery is asked, then BPF is told to forget the pid.
 */
TEST(unknown_pid)
{
	struct world w;

	world_init(&w, V311);
	w.p.live = false;
	calls.in_kernel = true;
	ASSERT_EQ(add(&w, NULL, 0, NULL, 0), -ESRCH);
	ASSERT_EQ(w.ps.discovered, 1);
	ASSERT_EQ(calls.unknown_pid, PID);
	ASSERT_EQ(counted(&w).samples, 0);
	world_done(&w);
}

/*
 * One the kernel no longer profiles: a fork child's sample from before its
 * exec.  /proc shows the new image, which must not be found from it.
 */
TEST(sample_of_an_image_gone)
{
	struct world w;

	world_init(&w, V311);
	w.p.live = false;
	ASSERT_EQ(add(&w, NULL, 0, NULL, 0), -ESRCH);
	ASSERT_EQ(w.ps.discovered, 0);
	ASSERT_EQ(calls.unknown_pid, PID);
	ASSERT_EQ(counted(&w).samples, 0);
	world_done(&w);
}

/* Sizes that do not cover what the sample says it holds; counts past the limits. */
TEST(bad_sizes)
{
	static const __u64 k[] = { 0xffffffff81000000ull };
	struct pyprof_frame f = { .code = 0x1000 };
	struct world w;
	size_t size;

	world_init(&w, V311);
	size = make_sample(&sample, &f, 1, k, 1);
	ASSERT_EQ(symbolize__sample(&w.sy, &sample, size - 1), -EINVAL);
	size = __builtin_offsetof(struct pyprof_sample, frames) - 1;
	ASSERT_EQ(symbolize__sample(&w.sy, &sample, size), -EINVAL);
	sample.nr_frames = PYPROF_MAX_FRAMES + 1;
	ASSERT_EQ(symbolize__sample(&w.sy, &sample, sizeof(sample)), -EINVAL);
	sample.nr_frames = 0;
	sample.nr_kstack = PYPROF_MAX_KSTACK + 1;
	ASSERT_EQ(symbolize__sample(&w.sy, &sample, sizeof(sample)), -EINVAL);
	ASSERT_EQ(counted(&w).samples, 0);
	ASSERT_EQ(w.ps.discovered, 0);
	world_done(&w);
}

/* A sample that says BPF's thread walk hit its limit asks threads.c to seed. */
TEST(walk_limit)
{
	struct world w;
	size_t size;

	world_init(&w, V311);
	size = make_sample(&sample, NULL, 0, NULL, 0);
	ASSERT_OK(symbolize__sample(&w.sy, &sample, size));
	ASSERT_EQ(calls.walk_limits, 0);
	sample.flags = PYPROF_SAMPLE_WALK_LIMIT;
	ASSERT_OK(symbolize__sample(&w.sy, &sample, size));
	ASSERT_EQ(calls.walk_limits, 1);
	ASSERT_EQ(calls.walk_tid, TID);
	world_done(&w);
}

/* The root frame follows the process's comm, cached or not. */
TEST(comm_change)
{
	struct world w;
	struct got g;

	world_init(&w, V311);
	ASSERT_OK(add(&w, NULL, 0, NULL, 0));
	snprintf(w.p.comm, sizeof(w.p.comm), "renamed");
	ASSERT_OK(add(&w, NULL, 0, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 2);
	check_top(&g, stack_with(&g, 0, "worker", FRAME_LINE_NONE), "worker");
	check_top(&g, stack_with(&g, 0, "renamed", FRAME_LINE_NONE), "renamed");
	world_done(&w);
}

/* What dump.c asks: a frame's label, and the fingerprint of the object at an address now. */
TEST(frame_label)
{
	struct pyprof_frame f, gone = { .code = 0x7f0000dead00ull };
	struct strbuf sb = { 0 };
	struct world w;
	struct code k;
	__u32 fp = 0;

	world_init(&w, V311);
	k = make_code(&w, "Worker.run", "/app/worker.py");
	f = pyframe(&k, 7);
	ASSERT_OK(symbolize__code_fp(&w.p, k.addr, &fp));
	ASSERT_EQ(fp, k.fp);
	ASSERT_EQ(symbolize__code_fp(&w.p, gone.code, &fp), -EFAULT);
	ASSERT_OK(symbolize__frame(&w.p, &f, &sb));
	ASSERT_STREQ(sb.buf, "Worker.run (/app/worker.py:98)");
	ASSERT_OK(symbolize__frame(&w.p, &gone, &sb));
	ASSERT_STREQ(sb.buf, "[python: unknown code object]");
	strbuf__done(&sb);
	world_done(&w);
}

/*
 * The profile renumbers its frames when old windows go (a new epoch): the
 * frame ids symbolization cached before are void, and a sample after that
 * still gets its own frames.
 */
TEST(epoch)
{
	static const __u64 ka = 0xffffffff81000aaaull, kb = 0xffffffff81000bbbull;
	struct pyprof_frame fa, fb;
	struct code a, b;
	struct world w;
	struct got g;
	__u64 epoch;

	world_init(&w, V312);
	a = make_code(&w, "a", "/app/a.py");
	b = make_code(&w, "b", "/app/b.py");
	fa = pyframe(&a, 7);
	fb = pyframe(&b, 11);
	ASSERT_OK(add(&w, &fa, 1, &ka, 1));
	sample_ts = TS + 75 * NSEC_PER_SEC;
	ASSERT_OK(add(&w, &fb, 1, &kb, 1));
	epoch = profile__epoch(w.p.profile);
	profile__expire(w.p.profile, prof_time(TS + 80 * NSEC_PER_SEC));
	ASSERT_TRUE(profile__epoch(w.p.profile) != epoch);
	ASSERT_OK(add(&w, &fb, 1, &kb, 1));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 1);
	ASSERT_EQ(g.count[0], 2);
	ASSERT_EQ(g.depth[0], 4);
	check_top(&g, 0, "worker");
	check_frame(&g.f[0][2], FRAME_PYTHON, "b", "/app/b.py", 50, 100);
	check_frame(&g.f[0][3], FRAME_KERNEL, "0xffffffff81000bbb", NULL, FRAME_LINE_NONE,
		    FRAME_LINE_NONE);
	world_done(&w);
}

/*
 * Past the young period BPF sends no fingerprint: a named object is taken
 * as it is until symbolize.c's recheck time (one second) has passed, then
 * read again, so that an address reused by another object gets its name.
 */
TEST(recheck_old_process)
{
	struct pyprof_frame f;
	struct world w;
	struct code k;
	struct got g;

	world_init(&w, V311);
	k = make_code(&w, "first", "/app/first.py");
	f = (struct pyprof_frame){ .code = k.addr, .instr = 0 };
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	k.qualname = put_str(&w, "second");
	put_code(&w, &k);
	mem.reads = 0;
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	ASSERT_EQ(mem.reads, 0);
	usleep(1100 * 1000);
	ASSERT_OK(add(&w, &f, 1, NULL, 0));
	collect(&w, &g);
	ASSERT_EQ(g.nr, 2);
	ASSERT_EQ(g.count[stack_with(&g, 2, "first", 100)], 2);
	ASSERT_EQ(g.count[stack_with(&g, 2, "second", 100)], 1);
	ASSERT_EQ(counted(&w).code_gone, 0);
	world_done(&w);
}
