// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: turns raw samples into frames (struct frame) and adds them to the process profile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/ksyms.h"
#include "target/linetable.h"
#include "target/pystr.h"
#include "profile/profile.h"
#include "profile/stacks.h"
#include "base/strbuf.h"
#include "clock.h"
#include "native.h"
#include "procs.h"
#include "pynames.h"
#include "sampler.h"
#include "symbolize.h"
#include "target.h"
#include "threads.h"

#define CODE_BUCKETS	 4096
#define MAX_NAME_CHARS	 1024		/* longer names are cut */
#define MAX_LINETABLE	 (1u << 20)	/* bigger tables are treated as corrupt */
/*
 * Past a process's young period BPF sends no fingerprints: a named code
 * object is then read again when used after this long, so a freed object
 * whose address was reused is renamed within that time.
 */
#define CODE_RECHECK_NS	 NSEC_PER_SEC
#define CODE_LINE_IDS	 8		/* frame ids cached per code object: its hot lines */
#define KFRAME_IDS	 512		/* kernel frame ids cached per process */
#define THREAD_IDS	 64		/* thread frame ids cached per process */

/*
 * A frame is the same every time its (code object, instruction), kernel
 * address or thread comes back: its profile id is kept, so that a sample
 * costs hash lookups, not a line table walk and an intern per frame.  Ids
 * are valid while the profile's epoch is the one they were taken in.
 */
struct line_id {
	int instr;
	__u32 id;
};

struct kframe_id {
	__u64 addr;	/* 0: empty */
	__u32 id;
};

struct thread_id {
	__u32 tid;	/* 0: empty (never a sampled thread) */
	__u32 id;
	char name[PYNAMES_MAX_NAME];	/* the frame's: a renamed thread gets a new frame */
};

/* A process's cached ids of the frames that are not Python ones: kernel, thread, root. */
struct kframe_cache {
	__u64 epoch;
	struct kframe_id slot[KFRAME_IDS];
	struct thread_id thread[THREAD_IDS];
	char root_comm[PYPROF_COMM_LEN + 1];	/* the comm root_id is the frame of ("": none) */
	__u32 root_id;
};

struct codeinfo;

/* What symbolize.c keeps per process: caches (until it exits) and counters (while recorded). */
struct symbolize_proc {
	struct codeinfo **code_buckets;	/* code object address -> codeinfo; NULL until needed */
	size_t code_nr;
	struct kframe_cache *kframes;	/* NULL until needed */
	struct symbolize_proc_stats stats;
};

struct codeinfo {
	__u64 addr;
	__u32 fp;	/* pyprof_code_fp() of what the names were read from */
	__u64 checked_ns;	/* when the object was last seen to be the same */
	char *name;
	char *file;
	int firstlineno;
	__u8 *linetable;
	size_t linetable_len;
	bool ok;
	__u8 nr_lines, next_line;	/* line_ids used; the one to replace next */
	__u64 lines_epoch;		/* 0: line_ids are void */
	struct line_id line_ids[CODE_LINE_IDS];
	struct codeinfo *next;
};

/*
 * Where a code object's names are read from: the process, or the snapshot
 * BPF took of them at sample time (regions of the objects' memory, at the
 * addresses snap's code read names).
 */
struct code_mem {
	int pid;
	const struct pyprof_code_snap *snap;	/* NULL: the process */
	__u64 at[PYPROF_SNAP_REGIONS];		/* where the snapshot's regions were copied from */
};

static int mem_read(const struct code_mem *m, __u64 addr, void *buf, size_t len)
{
	const struct pyprof_code_snap *e = m->snap;
	const struct {
		const __u8 *data;
		size_t size;
	} r[PYPROF_SNAP_REGIONS] = {
		{ e ? e->name : NULL, PYPROF_SNAP_NAME },
		{ e ? e->file : NULL, PYPROF_SNAP_FILE },
		{ e ? e->table : NULL, PYPROF_SNAP_TABLE },
	};

	if (!e)
		return target_read(m->pid, addr, buf, len);
	for (size_t i = 0; i < PYPROF_SNAP_REGIONS; i++) {
		size_t size = e->len[i] < r[i].size ? e->len[i] : r[i].size;

		if (addr < m->at[i] || len > size || addr - m->at[i] > size - len)
			continue;
		memcpy(buf, r[i].data + (addr - m->at[i]), len);
		return 0;
	}
	return -EFAULT;
}

/* Reads a str object of the target and returns it as UTF-8 (malloc'd), or NULL. */
static char *read_pystr(const struct code_mem *m, const struct pycode_layout *c, __u64 addr)
{
	__u8 hdr[128], data[MAX_NAME_CHARS * 4];
	char utf8[MAX_NAME_CHARS * 4 + 1];
	struct pystr_layout l = pystr_layout__of(c);
	struct pystr_head h;
	__u64 data_addr;
	size_t chars;

	if (c->compact_size > sizeof(hdr) || mem_read(m, addr, hdr, c->compact_size) ||
	    pystr__head(&l, hdr, c->compact_size, &h))
		return NULL;
	chars = h.length > MAX_NAME_CHARS ? MAX_NAME_CHARS : (size_t)h.length;
	if (h.compact)
		data_addr = addr + h.data_off;
	else if (mem_read(m, addr + c->compact_size, &data_addr, sizeof(data_addr)))
		return NULL;
	if (chars && mem_read(m, data_addr, data, chars * h.kind))
		return NULL;
	pystr__utf8(data, chars, h.kind, utf8, sizeof(utf8));
	return strdup(utf8);
}

static __u8 *read_pybytes(const struct code_mem *m, const struct pycode_layout *c, __u64 addr,
			  size_t *ret_len)
{
	__s64 size;
	__u8 *buf;

	if (mem_read(m, addr + c->bytes_size, &size, sizeof(size)))
		return NULL;
	if (size < 0 || size > MAX_LINETABLE)
		return NULL;
	buf = malloc(size ? size : 1);
	if (!buf)
		return NULL;
	if (size && mem_read(m, addr + c->bytes_data, buf, size)) {
		free(buf);
		return NULL;
	}
	*ret_len = size;
	return buf;
}

static void codeinfo_free(struct codeinfo *ci)
{
	free(ci->name);
	free(ci->file);
	free(ci->linetable);
	free(ci);
}

/* Forgets every code object of the process, keeping the bucket array. */
static void drop_codes(struct symbolize_proc *sp)
{
	for (size_t b = 0; b < CODE_BUCKETS; b++) {
		while (sp->code_buckets[b]) {
			struct codeinfo *ci = sp->code_buckets[b];

			sp->code_buckets[b] = ci->next;
			codeinfo_free(ci);
		}
	}
	sp->code_nr = 0;
}

void symbolize__free_codes(struct pyproc *p)
{
	struct symbolize_proc *sp = p->sym;

	if (!sp)
		return;
	free(sp->kframes);
	sp->kframes = NULL;
	if (!sp->code_buckets)
		return;
	drop_codes(sp);
	free(sp->code_buckets);
	sp->code_buckets = NULL;
}

void symbolize__forget(struct pyproc *p)
{
	symbolize__free_codes(p);
	free(p->sym);
	p->sym = NULL;
}

/* p's state, made on first use; NULL on ENOMEM. */
static struct symbolize_proc *proc_state(struct pyproc *p)
{
	if (!p->sym)
		p->sym = calloc(1, sizeof(*p->sym));
	return p->sym;
}

void symbolize__proc_stats(const struct pyproc *p, struct symbolize_proc_stats *ret)
{
	*ret = p->sym ? p->sym->stats : (struct symbolize_proc_stats){ 0 };
	ret->codes_cached = p->sym ? p->sym->code_nr : 0;
}

int symbolize__add_samples(struct pyproc *p, __u64 n)
{
	struct symbolize_proc *sp = proc_state(p);

	if (!sp)
		return -ENOMEM;
	sp->stats.samples += n;
	return 0;
}

static __u64 hash_addr(__u64 a)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	return a;
}

struct code_hdr {
	__u64 name_addr, file_addr, tab_addr;
	__s32 firstlineno;
};

/* Reads the fields of a code object that name it. */
static int read_code_hdr(const struct pyproc *p, __u64 addr, struct code_hdr *h)
{
	const struct pycode_layout *c = &p->info.code;
	__u8 raw[256];

	if (c->code_size > sizeof(raw) || target_read(p->pid, addr, raw, c->code_size))
		return -EFAULT;
	memcpy(&h->name_addr, raw + (c->co_qualname >= 0 ? c->co_qualname : c->co_name), 8);
	memcpy(&h->file_addr, raw + c->co_filename, 8);
	memcpy(&h->tab_addr, raw + c->co_linetable, 8);
	memcpy(&h->firstlineno, raw + c->co_firstlineno, 4);
	return 0;
}

/*
 * The fingerprint of the code object at addr as it is now, as BPF would
 * take it: a caller reading frames itself (dump) passes it on so that a
 * cached name of a freed object whose address was reused is not used.
 */
int symbolize__code_fp(const struct pyproc *p, __u64 addr, __u32 *fp)
{
	struct code_hdr h;
	int err = read_code_hdr(p, addr, &h);

	if (err)
		return err;
	*fp = pyprof_code_fp((__u32)h.firstlineno, h.name_addr, h.file_addr, h.tab_addr);
	return 0;
}

/* Names ci after h, reading from m: what m does not hold stays NULL. */
static void codeinfo_fill(struct pyproc *p, struct codeinfo *ci, const struct code_hdr *h,
			  const struct code_mem *m)
{
	const struct pycode_layout *c = &p->info.code;

	free(ci->name);
	free(ci->file);
	free(ci->linetable);
	ci->fp = pyprof_code_fp((__u32)h->firstlineno, h->name_addr, h->file_addr, h->tab_addr);
	ci->firstlineno = h->firstlineno;
	ci->name = read_pystr(m, c, h->name_addr);
	ci->file = read_pystr(m, c, h->file_addr);
	ci->linetable_len = 0;
	ci->linetable = read_pybytes(m, c, h->tab_addr, &ci->linetable_len);
	ci->ok = ci->name && ci->file;
	ci->lines_epoch = 0;
}

/*
 * What a snapshot could not hold (a long name, a big line table) is read
 * from the process, if the object there is still the one BPF copied.
 */
static void codeinfo_complete(struct pyproc *p, struct codeinfo *ci, const struct code_hdr *h)
{
	const struct pycode_layout *c = &p->info.code;
	const struct code_mem proc = { .pid = p->pid };
	struct code_hdr now;

	if (ci->name && ci->file && ci->linetable)
		return;
	if (read_code_hdr(p, ci->addr, &now) ||
	    pyprof_code_fp((__u32)now.firstlineno, now.name_addr, now.file_addr, now.tab_addr) !=
		    ci->fp)
		return;
	if (!ci->name)
		ci->name = read_pystr(&proc, c, h->name_addr);
	if (!ci->file)
		ci->file = read_pystr(&proc, c, h->file_addr);
	if (!ci->linetable) {
		ci->linetable_len = 0;
		ci->linetable = read_pybytes(&proc, c, h->tab_addr, &ci->linetable_len);
	}
	ci->ok = ci->name && ci->file;
}

/* The cache entry of the code object at addr, made empty if there is none; NULL on ENOMEM. */
static struct codeinfo *code_slot(struct symbolize_proc *sp, __u64 addr)
{
	struct codeinfo *ci;
	size_t b;

	if (!sp->code_buckets)
		sp->code_buckets = calloc(CODE_BUCKETS, sizeof(*sp->code_buckets));
	if (!sp->code_buckets)
		return NULL;
	b = hash_addr(addr) % CODE_BUCKETS;
	for (ci = sp->code_buckets[b]; ci; ci = ci->next)
		if (ci->addr == addr)
			return ci;
	if (sp->code_nr >= PYPROFD_CODE_CACHE_MAX)
		drop_codes(sp); /* bounded: start over */
	ci = calloc(1, sizeof(*ci));
	if (!ci)
		return NULL;
	ci->addr = addr;
	ci->next = sp->code_buckets[b];
	sp->code_buckets[b] = ci;
	sp->code_nr++;
	return ci;
}

/*
 * Code objects are immutable once created: read each one once per process.
 * But one can be freed and its address reused by another (a module's body
 * after import, exec()'d code) before the daemon reads it: fp is what BPF saw
 * at sample time, and an object that no longer matches it is not named.
 * Returns NULL when the sampled object cannot be read or is gone.
 */
static struct codeinfo *code_lookup(struct pyproc *p, __u64 addr, __u32 fp)
{
	const struct code_mem proc = { .pid = p->pid };
	struct symbolize_proc *sp = proc_state(p);
	struct codeinfo *ci = sp ? code_slot(sp, addr) : NULL;
	struct code_hdr h;

	if (!ci)
		return NULL;
	if (ci->ok && fp && fp == ci->fp)
		return ci;
	if (ci->ok && !fp) {
		__u64 now = now_ns();

		if (now - ci->checked_ns < CODE_RECHECK_NS)
			return ci;
		ci->checked_ns = now;
		if (read_code_hdr(p, addr, &h) == 0 &&
		    pyprof_code_fp((__u32)h.firstlineno, h.name_addr, h.file_addr, h.tab_addr) != ci->fp)
			codeinfo_fill(p, ci, &h, &proc);
		return ci->ok ? ci : NULL;
	}
	/* New, unreadable before, or replaced since: (re)read it. */
	ci->checked_ns = now_ns();
	if (read_code_hdr(p, addr, &h) == 0)
		codeinfo_fill(p, ci, &h, &proc);
	if (!ci->ok || (fp && fp != ci->fp)) {
		if (fp && ci->ok)
			sp->stats.code_gone++;
		return NULL;
	}
	return ci;
}

/* Frame f of code object ci (NULL: unknown); its strings are ci's. */
static void code_frame(const struct pyproc *p, const struct codeinfo *ci,
		       const struct pyprof_frame *f, struct frame *ret)
{
	__u32 minor = (p->info.version_hex >> 16) & 0xff;
	int line = -1, addr;

	/* No per-address frames: they would split one unknown into many stacks. */
	if (!ci) {
		*ret = (struct frame){ .kind = FRAME_MARKER,
				       .name = "[python: unknown code object]",
				       .line = FRAME_LINE_NONE, .func_line = FRAME_LINE_NONE };
		return;
	}
	/* 3.10+ frames count code units, older ones bytes. */
	addr = f->instr < 0 ? -1 : (minor >= 10 ? f->instr * 2 : f->instr);
	if (!ci->linetable ||
	    linetable__addr2line(p->info.version_hex, ci->firstlineno, ci->linetable,
				 ci->linetable_len, addr, &line) < 0)
		line = -1;
	*ret = (struct frame){ .kind = FRAME_PYTHON, .name = ci->name, .file = ci->file,
			       .line = line < 0 ? FRAME_LINE_NONE : line,
			       .func_line = FRAME_LINE_NONE };
	if (ci->firstlineno >= 0)
		ret->func_line = ci->firstlineno;
}

int symbolize__frame(struct pyproc *p, const struct pyprof_frame *f, struct strbuf *sb)
{
	struct frame fr;

	code_frame(p, code_lookup(p, f->code, f->code_fp), f, &fr);
	strbuf__reset(sb);
	return frame__label(&fr, sb);
}

/* The profile id of frame f. */
static int frame_id(struct pyproc *p, const struct pyprof_frame *f, __u32 *ret)
{
	struct codeinfo *ci = code_lookup(p, f->code, f->code_fp);
	__u64 epoch = profile__epoch(p->profile);
	struct line_id *li;
	struct frame fr;
	int err;

	if (ci && ci->lines_epoch != epoch) {
		ci->lines_epoch = epoch;
		ci->nr_lines = ci->next_line = 0;
	}
	for (__u8 i = 0; ci && i < ci->nr_lines; i++) {
		if (ci->line_ids[i].instr == f->instr) {
			*ret = ci->line_ids[i].id;
			return 0;
		}
	}
	code_frame(p, ci, f, &fr);
	err = profile__intern(p->profile, &fr, ret);
	if (err || !ci)
		return err;
	if (ci->nr_lines < CODE_LINE_IDS) {
		li = &ci->line_ids[ci->nr_lines++];
	} else {
		li = &ci->line_ids[ci->next_line];
		ci->next_line = (ci->next_line + 1) % CODE_LINE_IDS;
	}
	li->instr = f->instr;
	li->id = *ret;
	return 0;
}

/* p's cache of non-Python frame ids for the profile's epoch, or NULL (no memory: no cache). */
static struct kframe_cache *frame_cache(struct symbolize_proc *sp, const struct pyproc *p)
{
	__u64 epoch = profile__epoch(p->profile);

	if (!sp->kframes)
		sp->kframes = calloc(1, sizeof(*sp->kframes));
	if (sp->kframes && sp->kframes->epoch != epoch) {
		memset(sp->kframes, 0, sizeof(*sp->kframes));
		sp->kframes->epoch = epoch;
	}
	return sp->kframes;
}

static int intern_simple(struct pyproc *p, enum frame_kind kind, const char *name, int line,
			 __u32 *ret)
{
	struct frame f = { .kind = kind, .name = name, .line = line,
			   .func_line = FRAME_LINE_NONE };

	return profile__intern(p->profile, &f, ret);
}

/* The profile id of the kernel frame at addr. */
static int kframe_id(const struct symbolize_ctx *sy, struct pyproc *p, struct kframe_cache *kc,
		     __u64 addr, __u32 *ret)
{
	struct kframe_id *slot = kc ? &kc->slot[hash_addr(addr) % KFRAME_IDS] : NULL;
	const char *name = NULL;
	char hex[24];
	int err;

	if (slot && addr && slot->addr == addr) {
		*ret = slot->id;
		return 0;
	}
	if (sy->ksyms)
		name = ksyms__lookup(sy->ksyms, addr, NULL);
	if (!name) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)addr);
		name = hex;
	}
	err = intern_simple(p, FRAME_KERNEL, name, FRAME_LINE_NONE, ret);
	if (!err && slot) {
		slot->addr = addr;
		slot->id = *ret;
	}
	return err;
}

/* The profile id of the thread frame of tid (line = tid, name its name or ""). */
static int thread_id(struct pyproc *p, struct kframe_cache *kc, __u32 tid, __u64 ts, __u32 *ret)
{
	struct thread_id *slot = kc ? &kc->thread[tid % THREAD_IDS] : NULL;
	const char *name = tid ? pynames__name(p, tid, ts, NULL) : NULL;
	int err;

	if (!name)
		name = "";
	if (slot && tid && slot->tid == tid && strcmp(slot->name, name) == 0) {
		*ret = slot->id;
		return 0;
	}
	err = intern_simple(p, FRAME_THREAD, name, (int)tid, ret);
	if (!err && slot) {
		slot->tid = tid;
		slot->id = *ret;
		snprintf(slot->name, sizeof(slot->name), "%s", name);
	}
	return err;
}

/* The profile id of the root frame: the process name. */
static int root_id(struct pyproc *p, struct kframe_cache *kc, __u32 *ret)
{
	int err;

	if (kc && kc->root_comm[0] && strcmp(kc->root_comm, p->comm) == 0) {
		*ret = kc->root_id;
		return 0;
	}
	err = intern_simple(p, FRAME_PROCESS, p->comm, FRAME_LINE_NONE, ret);
	if (!err && kc) {
		snprintf(kc->root_comm, sizeof(kc->root_comm), "%s", p->comm);
		kc->root_id = *ret;
	}
	return err;
}

static const char *error_frame(int err, int nr_frames)
{
	switch (err) {
	case PYPROF_UNWIND_NO_INTERP:
		return "[python: interpreter not running]";
	case PYPROF_UNWIND_NO_TSTATE:
		return "[python: thread has no Python state]";
	case PYPROF_UNWIND_NO_FRAME:
		return "[python: no Python frame]";
	case PYPROF_UNWIND_READ_FAULT:
		return nr_frames ? "[python: partial stack]" : "[python: unreadable stack]";
	case PYPROF_UNWIND_TRUNCATED:
		return "[python: truncated stack]";
	case PYPROF_UNWIND_PARTIAL:
		return "[python: partial stack]";
	default:
		return NULL;
	}
}

/* The frames of sample s of p, root first, into ids[]: returns how many (or -errno). */
static int sample_ids(const struct symbolize_ctx *sy, struct pyproc *p,
		      const struct pyprof_sample *s, const __u64 *kstack, __u32 *ids)
{
	struct kframe_cache *kc = frame_cache(p->sym, p);
	const char *marker = error_frame(s->error, (int)s->nr_frames);
	/*
	 * A C-only thread: its native stack, if unwound, follows the marker,
	 * which then stands in for it in the views without native frames.
	 */
	bool c_only = s->error == PYPROF_UNWIND_NO_TSTATE && !s->nr_frames;
	struct frame mark = { .kind = FRAME_MARKER, .line = FRAME_LINE_NONE };
	static __u32 py_ids[PYPROF_MAX_FRAMES];
	size_t n = 0;
	int err, m;

	err = root_id(p, kc, &ids[n++]) ?: thread_id(p, kc, s->hdr.tid, s->hdr.ts, &ids[n++]);
	/* Python frames arrive leaf first; the profile wants root first. */
	for (size_t i = 0; i < s->nr_frames && !err; i++)
		err = frame_id(p, &s->frames[i], &py_ids[i]);
	n += marker != NULL;
	m = err ? -ENOENT : native__stack(sy->native, p, s, py_ids, &ids[n],
					  STACK_MAX_DEPTH - n - s->nr_kstack);
	if (!err && marker) {
		mark.name = marker;
		mark.func_line = c_only && m > 0 ? FRAME_MARKER_NATIVE_STANDIN : FRAME_LINE_NONE;
		err = profile__intern(p->profile, &mark, &ids[n - 1]);
	}
	if (m >= 0)
		n += (size_t)m;
	for (size_t i = s->nr_frames; m < 0 && i-- > 0 && !err;)
		ids[n++] = py_ids[i];
	for (size_t i = s->nr_kstack; i-- > 0 && !err;)
		err = kframe_id(sy, p, kc, kstack[i], &ids[n++]);
	return err ?: (int)n;
}

/* The process of a sample or snapshot, discovered if new: NULL if it is none. */
static struct pyproc *event_proc(const struct symbolize_ctx *sy, __u32 pid)
{
	struct pyproc *p = procs__find_live(sy->procs, pid);
	struct pyprof_proc cfg;

	/*
	 * A fork child the kernel profiles as its parent's copy.  Unless it has
	 * exec'd since (on_exec dropped that copy): then what /proc shows is
	 * the new image, the event is of the old one, and the exec event after
	 * it in the ring makes the new image's record.
	 */
	if (!p && sampler__get_proc(sy->sampler, (int)pid, &cfg) == 0 &&
	    procs__discover(sy->procs, pid, DISCOVER_SAMPLE) == 0)
		p = procs__find_live(sy->procs, pid);
	if (!p)
		sampler__unknown_pid(sy->sampler, (int)pid);
	return p;
}

/* The fields of BPF's code read (layout.fp_*) that name the object. */
static int snap_hdr(const struct pyprof_layout *l, const struct pyprof_code_snap *e,
		    struct code_hdr *h)
{
	const __u8 off[3] = { l->fp_name, l->fp_filename, l->fp_linetable };
	__u64 *dst[3] = { &h->name_addr, &h->file_addr, &h->tab_addr };

	if (l->fp_firstlineno > PYPROF_CODE_READ - 4)
		return -EINVAL;
	memcpy(&h->firstlineno, e->code + l->fp_firstlineno, 4);
	for (size_t i = 0; i < 3; i++) {
		if (off[i] > PYPROF_CODE_READ - 8)
			return -EINVAL;
		memcpy(dst[i], e->code + off[i], 8);
	}
	return 0;
}

int symbolize__code_snap(const struct symbolize_ctx *sy, const struct pyprof_code_snap *e,
			 size_t size)
{
	struct symbolize_proc *sp;
	struct codeinfo *ci;
	struct code_mem m;
	struct code_hdr h;
	struct pyproc *p;

	if (size < sizeof(*e))
		return -EINVAL;
	p = event_proc(sy, e->hdr.pid);
	if (!p)
		return -ESRCH;
	if (snap_hdr(&p->info.layout, e, &h) ||
	    pyprof_code_fp((__u32)h.firstlineno, h.name_addr, h.file_addr, h.tab_addr) != e->fp)
		return -EINVAL;
	sp = proc_state(p);
	ci = sp ? code_slot(sp, e->addr) : NULL;
	if (!ci)
		return -ENOMEM;
	/* Even with the fingerprint ci has: BPF sends one only for another object. */
	m = (struct code_mem){ .pid = p->pid, .snap = e,
			       .at = { h.name_addr, h.file_addr, h.tab_addr } };
	codeinfo_fill(p, ci, &h, &m);
	codeinfo_complete(p, ci, &h);
	ci->checked_ns = now_ns();
	sp->stats.code_snaps++;
	return 0;
}

void symbolize__native(const struct symbolize_ctx *sy, const struct pyprof_native *e, size_t size)
{
	if (sy->native)
		native__record(sy->native, e, size);
}

int symbolize__sample(const struct symbolize_ctx *sy, const struct pyprof_sample *s, size_t size)
{
	static __u32 ids[STACK_MAX_DEPTH];
	struct symbolize_proc *sp;
	struct pyproc *p;
	const __u64 *kstack;
	size_t nf, nk;
	int n;

	if (size < __builtin_offsetof(struct pyprof_sample, frames))
		return -EINVAL;
	nf = s->nr_frames;
	nk = s->nr_kstack;
	if (nf > PYPROF_MAX_FRAMES || nk > PYPROF_MAX_KSTACK ||
	    size < __builtin_offsetof(struct pyprof_sample, frames) + nf * sizeof(s->frames[0]) +
			   nk * sizeof(__u64))
		return -EINVAL;
	/* A count in the tag's unit: ns off the CPU (never 0), or one sample. */
	if (!sample_tag__valid(s->tag) || !(s->tag & SAMPLE_OFF_CPU) != !s->weight)
		return -EINVAL;
	/* Packed right after the frames (16-byte entries: aligned for __u64). */
	kstack = (const __u64 *)&s->frames[nf];

	p = event_proc(sy, s->hdr.pid);
	if (!p)
		return -ESRCH;
	sp = proc_state(p);
	if (!sp)
		return -ENOMEM;
	sp->stats.samples++;
	if (s->error < PYPROF_UNWIND__MAX)
		sp->stats.errors[s->error]++;
	if (s->flags & PYPROF_SAMPLE_WALK_LIMIT)
		threads__walk_limit(sy->threads, p, s->hdr.ts, s->hdr.tid);
	/* Root, thread, marker, Python frames, kernel frames: STACK_MAX_DEPTH at most. */
	n = sample_ids(sy, p, s, kstack, ids);
	if (n < 0)
		return n;
	return profile__add(p->profile, prof_time(s->hdr.ts), s->tag, ids, (size_t)n,
			    s->weight ? s->weight : 1);
}
