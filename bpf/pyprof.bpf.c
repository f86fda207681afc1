// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprof: samples CPython stacks (and kernel stacks) in the kernel on cpu-clock events. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "pyprof_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 abi_version = PYPROF_ABI_VERSION;
const volatile bool collect_kernel = true;
const volatile __u32 daemon_pid = 0;
/* Wake the daemon only once this much sample data waits: it drains on a timer anyway. */
const volatile __u64 wakeup_bytes = PYPROF_RINGBUF_BYTES / 4;
/* Off-CPU intervals shorter than this are drawn at random (pyprofd --offcpu-min) ... */
const volatile __u64 offcpu_min_ns = 10000000;
/* ... with probability length / this, weighing this (--offcpu-sample, >= the minimum). */
const volatile __u64 offcpu_sample_ns = 50000000;
/* Off-CPU time recorded (not pyprofd --no-offcpu): threads of profiled processes get storage. */
const volatile bool offcpu_enabled = false;
/* --native: each on-CPU sample is preceded by a copy of its user stack (struct pyprof_native). */
const volatile bool native_enabled = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PYPROF_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct pyprof_proc);
} procs SEC(".maps");

/*
 * (tgid, fs base) -> PyThreadState address, validated against the thread's
 * fs base on every use.  Filled by the walk below and, for threads deeper in
 * the list than it goes, by pyprofd, which knows every tstate's thread_id
 * (the same fs base) but not every thread's tid (3.9/3.10 keep none).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PYPROF_MAX_THREADS);
	__type(key, struct pyprof_thread_key);
	__type(value, __u64);
} tstates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PYPROF_RINGBUF_BYTES);
} events SEC(".maps");

/* Young processes' code objects: the fingerprint of the last snapshot sent (snap_step()). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PYPROF_CODE_SEEN);
	__type(key, struct pyprof_code_key);
	__type(value, __u32);
} code_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PYPROF_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Per frame, what finding a free-threaded frame's bytecode copy needs after
 * the walk (tlbc_step()): its instr_ptr and tlbc_index.
 */
struct tlbc_frame {
	__u64 instr_ptr;
	__s32 idx;
	__u32 pad;
};

/* The sample being built plus buffers for a tstate, frames and a code object. */
struct scratch {
	struct pyprof_sample s;
	__u8 buf[PYPROF_TSTATE_READ];
	__u8 code[PYPROF_CODE_READ];
	__u8 bulk[PYPROF_BULK_READ];
	struct tlbc_frame tlbc[PYPROF_MAX_FRAMES];
	__u64 entry[PYPROF_ENTRY_WORDS];	/* the walk's eval-loop entry frames (walk.entry) */
};

_Static_assert(PYPROF_ENTRY_WORDS * 64 == PYPROF_MAX_FRAMES, "an entry bit for each frame");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/*
 * Every thread of a profiled process has one (offcpu__mark()), no other
 * thread does: the scheduler programs, run on every switch of every task,
 * tell ours by a plain load of task->bpf_storage, without a helper call.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pyprof_offcpu);
} offcpu SEC(".maps");

/*
 * A way an off-CPU thread waits -> the kernel stack it waits with
 * (offcpu__kstack()).  The process is its tgid, its start time and its
 * exec count: a new process with a recycled pid or a new image has other
 * waits under the same system call and first argument.
 */
struct kstack_key {
	__u64 start_ns;
	__u64 exec_id;
	__u64 syscall;
	__u64 arg;
	__u32 tgid;
	__u32 state;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PYPROF_OFFCPU_KSTACKS);
	__type(key, struct kstack_key);
	__type(value, struct pyprof_kstack);
} kstacks SEC(".maps");

/*
 * The off-CPU walks' own scratch: on_sample's tick may interrupt a walk on a
 * return to user mode, and a walk preempted (tracing programs run
 * preemptible) may find another thread's walk using it on its CPU: busy
 * says so.
 */
struct offcpu_scratch {
	struct scratch sc;
	__u64 busy;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offcpu_scratch);
} offcpu_scratch SEC(".maps");

static __always_inline void count_n(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += n;
}

static __always_inline void count(__u32 which)
{
	count_n(which, 1);
}

/* Reads a pointer-sized field at a userspace-supplied offset of a buffer already copied in. */
static __always_inline __u64 buf_u64(const __u8 *buf, __s16 off)
{
	__u32 o = (__u16)off;

	if (o > PYPROF_TSTATE_READ - 8)
		return 0;
	return *(const __u64 *)(buf + o);
}

static __always_inline __u64 bulk_u64(const __u8 *bulk, __u64 o)
{
	if (o > PYPROF_BULK_READ - 8)
		return 0;
	return *(const __u64 *)(bulk + o);
}

static __always_inline __u32 bulk_u32(const __u8 *bulk, __u64 o)
{
	if (o > PYPROF_BULK_READ - 4)
		return 0;
	return *(const __u32 *)(bulk + o);
}

static __always_inline __u8 bulk_u8(const __u8 *bulk, __u64 o)
{
	if (o > PYPROF_BULK_READ - 1)
		return 0;
	return bulk[o];
}

static __always_inline __u64 code_u64(const __u8 *code, __u8 off)
{
	__u32 o = off;

	if (o > PYPROF_CODE_READ - 8)
		return 0;
	return *(const __u64 *)(code + o);
}

/* Fingerprint of the code object at addr (see pyprof_code_fp()), 0 if unreadable. */
static __always_inline __u32 code_fingerprint(const struct pyprof_layout *l, __u8 *code, __u64 addr)
{
	__u32 first, o = l->fp_firstlineno;

	if (l->code_fp_off < 0 ||
	    bpf_probe_read_user(code, PYPROF_CODE_READ, (const void *)(addr + l->code_fp_off))) {
		count(PYPROF_CNT_READ_CODE);
		return 0;
	}
	if (o > PYPROF_CODE_READ - 4)
		return 0;
	first = *(const __u32 *)(code + o);
	return pyprof_code_fp(first, code_u64(code, l->fp_name), code_u64(code, l->fp_filename),
			      code_u64(code, l->fp_linetable));
}

static __always_inline int read_ptr(__u64 *dst, __u64 addr, __s16 off)
{
	if (off < 0)
		return -1;
	return bpf_probe_read_user(dst, sizeof(*dst), (const void *)(addr + off));
}

/* State of a thread-list or frame walk, shared with its bpf_loop() callback. */
struct walk {
	const struct pyprof_proc *proc;
	struct pyprof_sample *s;
	__u8 *buf;		/* the thread's tstate, once found */
	__u8 *code;
	__u8 *bulk;		/* frames: bulk_len bytes of the target from bulk_base */
	struct tlbc_frame *tlbc;
	/*
	 * Bit n: frame n is where an eval loop call began (pyprof_native.entry).
	 * Not in the frame's code word, which stays the address every other
	 * reader (snapshots, tlbc_step(), the daemon's lookups) keys on.
	 */
	__u64 *entry;
	__u64 bulk_base;
	__u32 bulk_len;
	bool fingerprint;	/* record code object fingerprints (young process) */
	__u64 fsbase;
	__u64 interp;
	__u64 cur;	/* tstate or frame being looked at */
	__u32 n;	/* frames stored */
	bool at_root;	/* the frame last looked at may end a complete walk */
	int err;	/* enum pyprof_unwind_error; -1 while going on */
};

/* Frame n is an eval loop entry if is is 1: branchless, frame_step() is the verifier's longest loop. */
static __always_inline void walk__entry(struct walk *w, __u32 n, __u64 is)
{
	w->entry[(n >> 6) & (PYPROF_ENTRY_WORDS - 1)] |= is << (n & 63);
}

static long thread_step(__u32 i, struct walk *w)
{
	const struct pyprof_layout *l = &w->proc->layout;

	if (!w->cur) {
		/* End of this interpreter's threads: go on with the next interpreter. */
		if (read_ptr(&w->interp, w->interp, l->interp_next) || !w->interp) {
			count(PYPROF_CNT_NO_TSTATE);
			w->err = PYPROF_UNWIND_NO_TSTATE;
			return 1;
		}
		if (read_ptr(&w->cur, w->interp, l->interp_threads_head)) {
			count(PYPROF_CNT_READ_TSTATE);
			w->err = PYPROF_UNWIND_READ_FAULT;
			return 1;
		}
		return 0;
	}
	if (bpf_probe_read_user(w->buf, PYPROF_TSTATE_READ, (const void *)w->cur)) {
		count(PYPROF_CNT_READ_TSTATE);
		w->err = PYPROF_UNWIND_READ_FAULT;
		return 1;
	}
	if (buf_u64(w->buf, l->tstate_thread_id) == w->fsbase) {
		w->err = PYPROF_UNWIND_OK;
		return 1;
	}
	w->cur = buf_u64(w->buf, l->tstate_next);
	return 0;
}

/*
 * Finds the PyThreadState of the current thread: CPython stores pthread_self()
 * in tstate->thread_id, and on x86_64 (glibc and musl) pthread_self() is the
 * thread pointer, i.e. the task's fs base.  This works for every thread, not
 * just the GIL holder, and needs no libc internals.  Found tstates are cached
 * per (tgid, fs base) and re-validated with one read.
 */
static __always_inline int find_tstate(struct walk *w, __u32 pid, __u64 *ret)
{
	const struct pyprof_layout *l = &w->proc->layout;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct pyprof_thread_key key = { .tgid = pid };
	__u64 ts;
	__u64 *cached;

	w->fsbase = BPF_CORE_READ(task, thread.fsbase);
	key.fsbase = w->fsbase;
	cached = bpf_map_lookup_elem(&tstates, &key);
	if (cached) {
		ts = *cached;
		/* One read: the owner check here, the frame pointer for the walk. */
		if (bpf_probe_read_user(w->buf, PYPROF_TSTATE_READ, (const void *)ts) == 0 &&
		    buf_u64(w->buf, l->tstate_thread_id) == w->fsbase) {
			count(PYPROF_CNT_TSTATE_CACHE_HIT);
			*ret = ts;
			return PYPROF_UNWIND_OK;
		}
		count(PYPROF_CNT_TSTATE_CACHE_STALE);
		bpf_map_delete_elem(&tstates, &key);
	}

	if (read_ptr(&w->interp, w->proc->runtime_addr, l->runtime_interp_head)) {
		count(PYPROF_CNT_READ_RUNTIME);
		return PYPROF_UNWIND_READ_FAULT;
	}
	if (!w->interp) {
		count(PYPROF_CNT_NO_INTERP);
		return PYPROF_UNWIND_NO_INTERP;
	}
	if (read_ptr(&w->cur, w->interp, l->interp_threads_head)) {
		count(PYPROF_CNT_READ_TSTATE);
		return PYPROF_UNWIND_READ_FAULT;
	}
	w->err = -1;
	bpf_loop(PYPROF_THREAD_WALK, thread_step, w, 0);
	if (w->err < 0) {
		/* An older thread of a long list: pyprofd seeds the cache for it. */
		count(PYPROF_CNT_THREAD_WALK_LIMIT);
		w->s->flags |= PYPROF_SAMPLE_WALK_LIMIT;
		return PYPROF_UNWIND_NO_TSTATE;
	}
	if (w->err == PYPROF_UNWIND_OK) {
		bpf_map_update_elem(&tstates, &key, &w->cur, BPF_ANY);
		*ret = w->cur;
	}
	return w->err;
}

/*
 * Makes the frame at w->cur readable in w->bulk.  3.11+ frames are laid out
 * one after the other on the thread's data stack, callers below: one read
 * from the start of the frame's page (mapped, since the frame is) to the end
 * of the frame also holds the callers in that page.  Older frames are heap
 * objects: one read each.
 */
static __always_inline int load_frame(struct walk *w, __u32 size)
{
	const struct pyprof_layout *l = &w->proc->layout;
	__u64 base = w->cur, len = size;

	if (w->bulk_len && w->cur >= w->bulk_base && w->cur - w->bulk_base + size <= w->bulk_len)
		return 0;
	if (l->frames_contiguous) {
		base = w->cur & ~(__u64)(PYPROF_PAGE - 1);
		len = w->cur - base + size;
	}
	if (len > PYPROF_BULK_READ)
		len = PYPROF_BULK_READ;
	if (len == 0 || bpf_probe_read_user(w->bulk, len, (const void *)base)) {
		base = w->cur;
		len = size;
		if (bpf_probe_read_user(w->bulk, size, (const void *)base))
			return -1;
	}
	w->bulk_base = base;
	w->bulk_len = len;
	return 0;
}

/*
 * Whether a frame, if its back link is the last, ends a complete walk
 * (enum pyprof_bottom).  On 3.11 a generator's frame never does: CPython
 * clears its previous when it yields and sets it again on resuming, in no
 * set order with making the frame current: a sample in between sees it
 * alone, marked is_entry from its last resume from C.
 */
static __always_inline bool at_root(const struct pyprof_layout *l, const __u8 *bulk, __u64 off,
				    __u8 owner)
{
	if (l->bottom == PYPROF_BOTTOM_NULL)
		return true;
	if (l->bottom == PYPROF_BOTTOM_ENTRY)
		return bulk_u8(bulk, off + (__u16)l->frame_is_entry) && owner != l->owner_generator;
	return false; /* PYPROF_BOTTOM_SHIM: only shims */
}

/*
 * Free-threaded 3.14+: where the thread-local copy of the bytecode that a
 * frame's tlbc_index names starts, entry idx of the code object's co_tlbc
 * array (at code + code_tlbc; its entries at entries on).  CPython sets a
 * frame's index only to an entry that exists, and the array only grows, so
 * an index outside it or a NULL entry is a torn or stale read: the walk
 * stops there (0 returned) rather than give a line of another copy.  A
 * global function: verified once on its own, not again in every state of
 * the loop that calls it.
 */
__noinline __u64 tlbc_base(__u64 code, __u64 code_tlbc, __u64 entries, __s64 idx)
{
	__u64 arr = 0, size = 0, entry = 0;

	if (bpf_probe_read_user(&arr, sizeof(arr), (const void *)(code + code_tlbc)) ||
	    (arr && bpf_probe_read_user(&size, sizeof(size), (const void *)arr))) {
		count(PYPROF_CNT_READ_TLBC);
		return 0;
	}
	/* size is a Py_ssize_t: a negative one is as bad as a short one. */
	if (!arr || idx < 0 || (__s64)size <= idx) {
		count(PYPROF_CNT_BAD_TLBC);
		return 0;
	}
	if (bpf_probe_read_user(&entry, sizeof(entry), (const void *)(arr + entries + idx * 8))) {
		count(PYPROF_CNT_READ_TLBC);
		return 0;
	}
	if (!entry)
		count(PYPROF_CNT_BAD_TLBC);
	return entry;
}

static long frame_step(__u32 i, struct walk *w)
{
	const struct pyprof_layout *l = &w->proc->layout;
	__u32 size = l->frame_read;
	__u64 code, back, ptr, off;
	__s32 instr;
	__u8 owner;
	__u32 n;

	if (!w->cur) {
		if (w->at_root) {
			w->err = PYPROF_UNWIND_OK;
		} else {
			count(PYPROF_CNT_PARTIAL);
			w->err = PYPROF_UNWIND_PARTIAL;
		}
		return 1;
	}
	if (size < 8 || size > PYPROF_FRAME_READ)
		size = PYPROF_FRAME_READ;
	if (load_frame(w, size)) {
		count(PYPROF_CNT_READ_FRAME);
		w->err = PYPROF_UNWIND_READ_FAULT;
		return 1;
	}
	off = w->cur - w->bulk_base;
	code = bulk_u64(w->bulk, off + (__u16)l->frame_code) & ~(__u64)l->tag_mask;
	back = bulk_u64(w->bulk, off + (__u16)l->frame_back);
	owner = l->frame_owner >= 0 ? bulk_u8(w->bulk, off + (__u16)l->frame_owner) : 0;
	/* 3.12+: entry shims and base frames are not Python code. */
	if (l->bottom == PYPROF_BOTTOM_SHIM && owner >= l->owner_shim) {
		/* The frame below a shim is where that eval loop call began. */
		walk__entry(w, w->n - 1, w->n != 0);
		w->at_root = true;
		w->cur = back;
		return 0;
	}
	w->at_root = at_root(l, w->bulk, off, owner);
	n = w->n;
	if (n >= PYPROF_MAX_FRAMES) {
		count(PYPROF_CNT_TRUNCATED);
		w->err = PYPROF_UNWIND_TRUNCATED;
		return 1;
	}
	if (l->instr_kind == PYPROF_INSTR_PTR) {
		ptr = bulk_u64(w->bulk, off + (__u16)l->frame_instr);
		instr = pyprof_instr_index(ptr, code + (__u64)l->code_adaptive);
		/*
		 * Free-threaded 3.14+: the frame's tlbc_index, for tlbc_step().
		 * Without one, frame_tlbc_index is -1, read as offset 0xffff: past
		 * the bulk buffer, so bulk_u32() gives 0.  A branch here instead, in
		 * the loop the verifier walks most, cost it 40% more instructions,
		 * and resolving the copy here took it past its limit.
		 */
		w->tlbc[n & (PYPROF_MAX_FRAMES - 1)].instr_ptr = ptr;
		w->tlbc[n & (PYPROF_MAX_FRAMES - 1)].idx =
			(__s32)bulk_u32(w->bulk, off + (__u16)l->frame_tlbc_index);
	} else {
		instr = (__s32)bulk_u32(w->bulk, off + (__u16)l->frame_instr);
		if (instr < -1)
			instr = -1;
	}
	/*
	 * A frame that may end a walk is where an eval loop call began: before
	 * 3.11 every frame had its own, 3.11 marks them (is_entry).  Testing
	 * bottom again here instead doubled the instructions the verifier walks.
	 */
	walk__entry(w, n, w->at_root);
	w->s->frames[n & (PYPROF_MAX_FRAMES - 1)].code = code;
	w->s->frames[n & (PYPROF_MAX_FRAMES - 1)].instr = instr;
	w->s->frames[n & (PYPROF_MAX_FRAMES - 1)].code_fp =
		w->fingerprint ? code_fingerprint(l, w->code, code) : 0;
	w->n = n + 1;
	w->cur = back;
	return 0;
}

/*
 * Free-threaded 3.14+: frame i's instruction, relative to the bytecode copy
 * its tlbc_index names.  Copy 0 is co_code_adaptive itself, which frame_step()
 * already took it relative to: only other copies cost reads.  A copy not
 * found ends the stack at that frame, as an unreadable frame would.
 */
static long tlbc_step(__u32 i, struct walk *w)
{
	const struct pyprof_layout *l = &w->proc->layout;
	struct tlbc_frame *t = &w->tlbc[i & (PYPROF_MAX_FRAMES - 1)];
	struct pyprof_frame *f = &w->s->frames[i & (PYPROF_MAX_FRAMES - 1)];
	__u64 base;

	if (i >= w->n)
		return 1;
	if (!t->idx)
		return 0;
	base = tlbc_base(f->code, (__u16)l->code_tlbc, l->tlbc_entries, t->idx);
	if (!base) {
		w->n = i;
		w->err = PYPROF_UNWIND_READ_FAULT;
		return 1;
	}
	f->instr = pyprof_instr_index(t->instr_ptr, base);
	return 0;
}

/* Walks the frame chain from the thread's current frame, leaf first. */
static __always_inline int walk_frames(struct walk *w, __u64 tstate)
{
	const struct pyprof_layout *l = &w->proc->layout;
	__u64 frame = 0;

	/* find_tstate() left the tstate in w->buf. */
	frame = buf_u64(w->buf, l->tstate_frame);
	if (frame && l->cframe_current_frame >= 0 &&
	    read_ptr(&frame, frame, l->cframe_current_frame)) {
		count(PYPROF_CNT_READ_TSTATE);
		return PYPROF_UNWIND_READ_FAULT;
	}
	if (!frame) {
		count(PYPROF_CNT_NO_FRAME);
		return PYPROF_UNWIND_NO_FRAME;
	}
	w->cur = frame;
	w->n = 0;
	w->bulk_len = 0;
	w->at_root = false;
	w->err = -1;
	/* Shim frames are skipped without using a slot, hence the slack. */
	bpf_loop(PYPROF_MAX_FRAMES + 64, frame_step, w, 0);
	if (l->frame_tlbc_index >= 0 && w->n)
		bpf_loop(PYPROF_MAX_FRAMES, tlbc_step, w, 0);
	w->s->nr_frames = w->n;
	if (w->err < 0) {
		/* Out of iterations with frames left: as deep as a truncation. */
		count(PYPROF_CNT_TRUNCATED);
		return PYPROF_UNWIND_TRUNCATED;
	}
	/* 3.15: an idle thread's current frame is its base frame, which is no Python code. */
	if (w->err == PYPROF_UNWIND_OK && w->n == 0) {
		count(PYPROF_CNT_NO_FRAME);
		return PYPROF_UNWIND_NO_FRAME;
	}
	return w->err;
}

/*
 * A young process's samples wake the daemon at once: their code objects
 * (module bodies during imports) may be freed within a millisecond.  So does
 * a thread the walk could not reach, for pyprofd to seed the cache before
 * more of its samples are lost (a thread with no Python state at all also
 * ends up here: hence the rate limit).  Others are drained on the daemon's
 * timer or when the ring fills.
 */
static __always_inline __u64 wakeup_flags(struct pyprof_proc *proc, const struct pyprof_sample *s,
					  bool young)
{
	if ((s->flags & PYPROF_SAMPLE_WALK_LIMIT) &&
	    s->hdr.ts - proc->seed_wakeup_ns >= PYPROF_SEED_WAKEUP_NS) {
		proc->seed_wakeup_ns = s->hdr.ts;
		return BPF_RB_FORCE_WAKEUP;
	}
	if (young || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * Starts the sample in sc for the current task (pid, tid) and walks its
 * Python stack into it (leaf first; s->error says how the walk ended).  The
 * one walk of every program: the current task must be the thread the sample
 * is of, since its memory and fs base are read.  w is left for the caller
 * (w->fingerprint: the process is young).
 */
static __always_inline struct pyprof_sample *sample__walk(struct scratch *sc,
							 struct pyprof_proc *proc, struct walk *w,
							 __u32 pid, __u32 tid)
{
	struct pyprof_sample *s = &sc->s;
	__u64 tstate = 0;
	int err;

	s->hdr.ts = bpf_ktime_get_ns();
	s->hdr.kind = PYPROF_EV_SAMPLE;
	s->hdr.pid = pid;
	s->hdr.tid = tid;
	s->hdr.cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(s->hdr.comm, sizeof(s->hdr.comm));
	s->tstate = 0;
	s->nr_frames = 0;
	s->nr_kstack = 0;
	s->flags = 0;
	s->tag = 0;
	s->weight = 0;

	w->proc = proc;
	w->s = s;
	w->buf = sc->buf;
	w->code = sc->code;
	w->bulk = sc->bulk;
	w->tlbc = sc->tlbc;
	w->entry = sc->entry;
	__builtin_memset(sc->entry, 0, sizeof(sc->entry));
	w->fingerprint = s->hdr.ts < proc->fp_until_ns;
	err = find_tstate(w, pid, &tstate);
	if (err == PYPROF_UNWIND_OK) {
		s->tstate = tstate;
		err = walk_frames(w, tstate);
	}
	s->error = err;
	return s;
}

/* Python frames in s, bounded for the verifier. */
static __always_inline __u32 sample__nr_frames(const struct pyprof_sample *s)
{
	__u32 nr = s->nr_frames;

	return nr > PYPROF_MAX_FRAMES ? PYPROF_MAX_FRAMES : nr;
}

struct snap_ctx {
	const struct pyprof_proc *proc;
	const struct pyprof_sample *s;
};

/*
 * Copies size bytes of the object at addr into dst, or if the page after
 * its own is unmapped (the end of an allocator's region), what its own page
 * holds of them; *len says how much, 0 if nothing could be read.
 */
static __always_inline void snap_region(void *dst, __u32 size, __u64 addr, __u16 *len)
{
	__u32 n = PYPROF_PAGE - (__u32)(addr & (PYPROF_PAGE - 1));

	*len = 0;
	if (addr && !bpf_probe_read_user(dst, size, (const void *)addr)) {
		*len = size;
		return;
	}
	if (addr && n < size && !bpf_probe_read_user(dst, n, (const void *)addr)) {
		*len = n;
		return;
	}
	count(PYPROF_CNT_SNAP_PART);
}

/*
 * Frame i of a young process's sample: sends a snapshot of its code object
 * (struct pyprof_code_snap) unless the last one sent of its address was of
 * it.  The object is read again and must still have the fingerprint the
 * walk took.
 */
static long snap_step(__u32 i, struct snap_ctx *c)
{
	const struct pyprof_layout *l = &c->proc->layout;
	const struct pyprof_frame *f = &c->s->frames[i & (PYPROF_MAX_FRAMES - 1)];
	struct pyprof_code_key key = { .tgid = c->s->hdr.pid, .addr = f->code };
	struct pyprof_code_snap *e;
	__u32 *sent;

	if (i >= c->s->nr_frames)
		return 1;
	if (!f->code_fp)
		return 0;
	sent = bpf_map_lookup_elem(&code_seen, &key);
	if (sent && *sent == f->code_fp)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(PYPROF_CNT_SNAP_LOST);
		return 1;
	}
	if (code_fingerprint(l, e->code, f->code) != f->code_fp) {
		count(PYPROF_CNT_SNAP_CHANGED);
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e->hdr = c->s->hdr;
	e->hdr.kind = PYPROF_EV_CODE;
	e->addr = f->code;
	e->fp = f->code_fp;
	e->pad = 0;
	snap_region(e->name, sizeof(e->name), code_u64(e->code, l->fp_name),
		    &e->len[PYPROF_SNAP_NAME_REGION]);
	snap_region(e->file, sizeof(e->file), code_u64(e->code, l->fp_filename),
		    &e->len[PYPROF_SNAP_FILE_REGION]);
	snap_region(e->table, sizeof(e->table), code_u64(e->code, l->fp_linetable),
		    &e->len[PYPROF_SNAP_TABLE_REGION]);
	/* The sample that follows wakes the daemon. */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	bpf_map_update_elem(&code_seen, &key, &f->code_fp, BPF_ANY);
	count(PYPROF_CNT_SNAP_SENT);
	return 0;
}

/*
 * Sends s, its nr_kstack kernel addresses right after its frames, packed:
 * false if lost.  A young process's sample is preceded by the snapshots of
 * its code objects not sent before.
 */
static __always_inline bool sample__send(struct pyprof_proc *proc, struct pyprof_sample *s,
					 bool young)
{
	__u64 size = __builtin_offsetof(struct pyprof_sample, frames) +
		     sample__nr_frames(s) * sizeof(struct pyprof_frame) +
		     s->nr_kstack * sizeof(__u64);
	struct snap_ctx sc = { .proc = proc, .s = s };

	if (young)
		bpf_loop(sample__nr_frames(s), snap_step, &sc, 0);
	if (size > sizeof(*s))
		size = sizeof(*s);
	if (bpf_ringbuf_output(&events, s, size, wakeup_flags(proc, s, young))) {
		count(PYPROF_CNT_RINGBUF_FULL);
		return false;
	}
	count(PYPROF_CNT_EMITTED);
	return true;
}

/* The GIL state is read into the code object buffer, free once the frames are walked. */
_Static_assert(PYPROF_GIL_READ <= PYPROF_CODE_READ, "GIL state read larger than its buffer");

/* A field at a userspace-supplied offset of the GIL state read in. */
static __always_inline __u64 gil_field(const __u8 *gil, __s16 off, __u32 size)
{
	__u32 o = (__u16)off;

	if (o > PYPROF_GIL_READ - size)
		return 0;
	return size == 8 ? *(const __u64 *)(gil + o) : *(const __u32 *)(gil + o);
}

/*
 * What the thread whose tstate is in w->buf does with the GIL and the
 * collector: PYPROF_TAG_GIL when its interpreter's GIL is locked with it as
 * last_holder, PYPROF_TAG_GC when that interpreter's gc.collecting is set and the
 * thread is the one collecting: the GIL's holder, or any running thread of
 * a free-threaded build (its collector stops the world).
 */
static __always_inline __u8 gil_gc_tag(const struct walk *w, __u64 tstate)
{
	const struct pyprof_layout *l = &w->proc->layout;
	__u64 interp = buf_u64(w->buf, l->tstate_interp), gil = 0;
	bool has_gil = l->runtime_gil >= 0 || l->interp_gil >= 0, held = false;
	__u8 *g = w->code;
	__u32 collecting = 0;

	if (l->runtime_gil >= 0)
		gil = w->proc->runtime_addr + l->runtime_gil;
	else if (l->interp_gil >= 0 && read_ptr(&gil, interp, l->interp_gil))
		gil = 0;
	if (has_gil && (!gil || bpf_probe_read_user(g, PYPROF_GIL_READ, (const void *)gil))) {
		count(PYPROF_CNT_READ_GIL);
		return 0;
	}
	if (has_gil)
		held = gil_field(g, l->gil_locked, 4) && gil_field(g, l->gil_holder, 8) == tstate;
	if ((has_gil && !held) || l->gc_collecting < 0)
		return held ? PYPROF_TAG_GIL : 0;
	if (bpf_probe_read_user(&collecting, sizeof(collecting),
				(const void *)(interp + l->gc_collecting))) {
		count(PYPROF_CNT_READ_GC);
		collecting = 0;
	}
	return (held ? PYPROF_TAG_GIL : 0) | (collecting ? PYPROF_TAG_GC : 0);
}

/*
 * Whether a futex word lies in the process's (main interpreter's) GIL state:
 * its mutex and condition variables, on which a thread waiting to take the
 * GIL sleeps (take_gil()).  Always false without a GIL (free-threaded).
 * For the off-CPU programs, which call it at a futex syscall's exit.
 */
static __always_inline bool gil_wait_futex(const struct pyprof_proc *proc, __u64 uaddr)
{
	return uaddr - proc->gil_addr < proc->gil_size;
}

/* task_struct.flags: the task is exiting (include/linux/sched.h; no macro in vmlinux.h). */
#define PF_EXITING 0x00000004

/*
 * Copies the top of the current thread's user stack into n: all of
 * PYPROF_NATIVE_STACK bytes, or where the stack mapping ends within them
 * (its top: few frames deep), up to the end of sp's page.  The error says
 * which; the caller counts it.
 */
static __always_inline __u16 native__copy(struct pyprof_native *n)
{
	__u64 sp = n->sp;
	__u32 part = PYPROF_PAGE - (sp & (PYPROF_PAGE - 1));

	if (!bpf_probe_read_user(n->stack, PYPROF_NATIVE_STACK, (const void *)sp)) {
		n->len = PYPROF_NATIVE_STACK;
		return PYPROF_NATIVE_OK;
	}
	if (!bpf_probe_read_user(n->stack, PYPROF_NATIVE_STACK / 2, (const void *)sp)) {
		n->len = PYPROF_NATIVE_STACK / 2;
		return PYPROF_NATIVE_SHORT;
	}
	if (part > PYPROF_PAGE)
		part = PYPROF_PAGE;
	if (part && !bpf_probe_read_user(n->stack, part, (const void *)sp)) {
		n->len = part;
		return PYPROF_NATIVE_SHORT;
	}
	n->len = 0;
	return PYPROF_NATIVE_UNREADABLE;
}

/*
 * --native: sends the user registers, stack copy and entry frames (the
 * walk's bits) of the sample s about to be sent.  The user registers are the
 * task's saved ones: in a system call or a fault the interrupted registers
 * are the kernel's.
 */
static __always_inline void native__send(const struct pyprof_sample *s, const __u64 *entry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct pyprof_native *n;
	__u16 err;

	n = bpf_ringbuf_reserve(&events, sizeof(*n), 0);
	if (!n) {
		count(PYPROF_CNT_NATIVE_LOST);
		return;
	}
	__builtin_memcpy(&n->hdr, &s->hdr, sizeof(n->hdr));
	n->hdr.kind = PYPROF_EV_NATIVE;
	n->pad = 0;
	__builtin_memcpy(n->entry, entry, sizeof(n->entry));
	n->ip = n->sp = n->bp = 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs || (task->flags & PF_EXITING) ||
	    bpf_probe_read_kernel(&n->ip, sizeof(n->ip), &regs->ip) ||
	    bpf_probe_read_kernel(&n->sp, sizeof(n->sp), &regs->sp) ||
	    bpf_probe_read_kernel(&n->bp, sizeof(n->bp), &regs->bp) || !n->sp) {
		n->len = 0;
		err = PYPROF_NATIVE_NO_REGS;
	} else {
		err = native__copy(n);
	}
	n->error = err;
	if (err == PYPROF_NATIVE_SHORT)
		count(PYPROF_CNT_NATIVE_SHORT);
	else if (err == PYPROF_NATIVE_UNREADABLE)
		count(PYPROF_CNT_NATIVE_UNREADABLE);
	else if (err == PYPROF_NATIVE_NO_REGS)
		count(PYPROF_CNT_NATIVE_NO_REGS);
	count(PYPROF_CNT_NATIVE_SENT);
	bpf_ringbuf_submit(n, BPF_RB_NO_WAKEUP);
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id, zero = 0;
	struct pyprof_proc *proc;
	struct scratch *sc;
	struct pyprof_sample *s;
	struct walk w = {};
	long kn;

	count(PYPROF_CNT_SAMPLES);
	if (pid == 0) {
		count(PYPROF_CNT_IDLE);
		return 0;
	}
	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc) {
		count(PYPROF_CNT_NOT_PYTHON);
		return 0;
	}
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc) {
		count(PYPROF_CNT_NO_SCRATCH);
		return 0;
	}
	s = sample__walk(sc, proc, &w, pid, tid);
	if (s->tstate)
		s->tag |= gil_gc_tag(&w, s->tstate);
	/* Full-width read: the verifier rejects narrowed loads of the saved registers. */
	if ((*(volatile __u64 *)&ctx->regs.cs & 3) == 3)
		s->flags |= PYPROF_SAMPLE_USER_MODE;

	/* The kernel stack goes right after the frames (the interrupted regs are still ctx's). */
	if (!(s->flags & PYPROF_SAMPLE_USER_MODE) && collect_kernel) {
		kn = bpf_get_stack(ctx, (__u64 *)&s->frames[sample__nr_frames(s)],
				   sizeof(s->kstack_room), 0);
		if (kn < 0)
			count(PYPROF_CNT_KSTACK_FAIL);
		else
			s->nr_kstack = kn / sizeof(__u64);
	}
	/*
	 * A thread with no Python state (a C extension's pthread): its native
	 * stack is all there is to show.  Not a thread the walk gave up on.
	 */
	if (native_enabled && !s->tstate && s->error == PYPROF_UNWIND_NO_TSTATE &&
	    !(s->flags & PYPROF_SAMPLE_WALK_LIMIT)) {
		count(PYPROF_CNT_NATIVE_NO_TSTATE);
		native__send(s, sc->entry);
	} else if (native_enabled && s->tstate) {
		native__send(s, sc->entry);
	}
	sample__send(proc, s, w.fingerprint);
	return 0;
}

/* The syscall number in a task's user regs->orig_ax (x86_64). */
#define SYSCALL_FUTEX 202
#define NO_FUTEX (~0ull)
/* regs->orig_ax of an interrupt's or exception's (without error code) entry: no syscall. */
#define NO_SYSCALL (~0ull)
/* task_struct.flags: the task is exiting (include/linux/sched.h; no macro in vmlinux.h). */
#define PF_EXITING 0x00000004

/* offcpu__send()'s return when this CPU's scratch is in use (vmlinux.h has no errno.h). */
#define OFFCPU_BUSY 1

/*
 * Sends the current thread's interval of ns, which its caller took off the
 * thread's hot fields, o its storage: its Python stack walked now (its own
 * context), the kernel stack taken when it was switched back in.  futex:
 * the futex word of the syscall the thread is in, or NO_FUTEX.  0, or
 * OFFCPU_BUSY (counted; nothing sent: the caller keeps the interval or
 * loses it).
 */

static __always_inline int offcpu__send(struct pyprof_offcpu *o, __u64 ns, __u64 futex,
					bool at_switch)
{
	__u64 id = bpf_get_current_pid_tgid(), kbytes;
	__u32 pid = id >> 32, tid = (__u32)id, zero = 0, nr, nk;
	struct offcpu_scratch *os;
	struct pyprof_proc *proc;
	struct pyprof_sample *s;
	struct walk w = {};

	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc) {
		count(PYPROF_CNT_OFFCPU_LOST_UNPROFILED);
		count_n(PYPROF_CNT_OFFCPU_LOST_UNPROFILED_NS, ns);
		return 0;
	}
	os = bpf_map_lookup_elem(&offcpu_scratch, &zero);
	if (!os)
		return 0;
	/* An add, not an exchange: the atomics every BPF target has. */
	if (__sync_fetch_and_add(&os->busy, 1)) {
		__sync_fetch_and_add(&os->busy, -1);
		count(PYPROF_CNT_OFFCPU_BUSY);
		return OFFCPU_BUSY;
	}
	s = sample__walk(&os->sc, proc, &w, pid, tid);
	s->tag = PYPROF_TAG_OFF_CPU;
	if (futex != NO_FUTEX && gil_wait_futex(proc, futex)) {
		s->tag |= PYPROF_TAG_GIL_WAIT;
		count(PYPROF_CNT_OFFCPU_GIL_WAIT);
	}
	s->weight = ns;
	if (s->error != PYPROF_UNWIND_OK)
		count(PYPROF_CNT_OFFCPU_WALK_ERR);
	if (at_switch)
		count(PYPROF_CNT_OFFCPU_AT_SWITCH);
	nr = sample__nr_frames(s);
	nk = o->kstack.nr;
	if (nk > PYPROF_MAX_KSTACK)
		nk = PYPROF_MAX_KSTACK;
	kbytes = nk * sizeof(__u64);
	if (kbytes && !bpf_probe_read_kernel(&s->frames[nr], kbytes, o->kstack.ips))
		s->nr_kstack = nk;
	if (sample__send(proc, s, w.fingerprint)) {
		count(PYPROF_CNT_OFFCPU_SENT);
		count_n(PYPROF_CNT_OFFCPU_SENT_NS, ns);
	} else {
		count(PYPROF_CNT_OFFCPU_LOST_RINGBUF);
		count_n(PYPROF_CNT_OFFCPU_LOST_RINGBUF_NS, ns);
	}
	__sync_fetch_and_add(&os->busy, -1);
	return 0;
}

/*
 * The switch path's fields of threads of ours (struct pyprof_offcpu_hot),
 * each in the slot its tid picks when that was free as it was marked: a
 * task storage lookup on every switch-out and switch-in cost more than all
 * else there (the storage's lines miss the cache with threads switching;
 * measured ~100 ns each on the web bench workload), a slot is one line of
 * plain memory.  A thread whose slot another holds uses its storage's.
 * One line each, not the fields' 40 bytes: threads of consecutive tids (a
 * pool's, made together) switching on two CPUs would write each other's.
 */
struct offcpu_slot {
	struct pyprof_offcpu_hot hot;
} __attribute__((aligned(64)));

static struct offcpu_slot offcpu_slots[PYPROF_OFFCPU_SLOTS];

static __always_inline struct pyprof_offcpu_hot *offcpu__slot(__u32 tid)
{
	return &offcpu_slots[tid & (PYPROF_OFFCPU_SLOTS - 1)].hot;
}

/* task's hot fields, o its storage (looked up only if it holds no slot: *op NULL then). */
static __always_inline struct pyprof_offcpu_hot *offcpu__hot(struct task_struct *task,
							    struct pyprof_offcpu **op)
{
	__u32 tid = task->pid;
	struct pyprof_offcpu_hot *h = offcpu__slot(tid);

	*op = NULL;
	if (tid && h->tid == tid)
		return h;
	*op = bpf_task_storage_get(&offcpu, task, 0, 0);
	return *op ? &(*op)->hot : NULL;
}

/* The hot fields of task, whose storage o is. */
static __always_inline struct pyprof_offcpu_hot *offcpu__hot_of(struct task_struct *task,
							       struct pyprof_offcpu *o)
{
	__u32 tid = task->pid;
	struct pyprof_offcpu_hot *h = offcpu__slot(tid);

	return tid && h->tid == tid ? h : &o->hot;
}

/*
 * The time of a switch on this CPU, cur a task on it: the run queue's
 * clock, which __schedule() has just brought up to date (update_rq_clock(),
 * sched_clock: one clock for all CPUs where the TSC is stable, within a
 * tick of it where not).  Three plain loads, where bpf_ktime_get_ns() cost
 * ~100 ns a call on the development VM, more than all else a switch of a
 * thread of ours does (README, off-CPU trade-offs).  Zero is boot, never a
 * switch's time.  (Not bpf_this_cpu_ptr(&runqueues): a kernel without
 * CONFIG_KALLSYMS_ALL, the development VM's, cannot resolve it.  A kernel
 * without group scheduling has no cfs_rq->rq: the clock is the helper's
 * there, for every reader alike.)
 */
static __always_inline __u64 switch_ns(struct task_struct *cur)
{
	if (!bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		return bpf_ktime_get_ns();
	return cur->se.cfs_rq->rq->clock;
}

/* prev, a thread of a profiled process, leaves the CPU: it is still current. */
static __always_inline void offcpu__switch_out(struct task_struct *prev, unsigned int prev_state,
					       __u64 now)
{
	struct pyprof_offcpu *o;
	struct pyprof_offcpu_hot *h = offcpu__hot(prev, &o);
	__u64 pending;

	if (!h)
		return; /* another map's storage */
	pending = h->pending_ns;
	h->pending_ns = 0;
	h->off_ns = now;
	h->state = prev_state;
	count(PYPROF_CNT_OFFCPU_SWITCH_OUT);
	if (!pending)
		return;
	/*
	 * Ran, but not through user mode since (no rseq, or blocked again in
	 * the kernel): sent now.  h is not used past here, nor is o but as
	 * storage: the verifier then walks the Python stack once for both
	 * kinds of h (a slot, the storage's), not once each, which took
	 * on_switch past its million instructions.  So a busy scratch (nested
	 * on this CPU) loses the interval, counted, rather than keep it.
	 */
	if (!o)
		o = bpf_task_storage_get(&offcpu, prev, 0, 0);
	if (!o) {
		count(PYPROF_CNT_OFFCPU_NO_STORAGE);
		return;
	}
	if (offcpu__send(o, pending, NO_FUTEX, true) == OFFCPU_BUSY) {
		count(PYPROF_CNT_OFFCPU_LOST_BUSY);
		count_n(PYPROF_CNT_OFFCPU_LOST_BUSY_NS, pending);
	}
}

/*
 * The weight an interval of ns is recorded with, 0 if it is not.  One of at
 * least offcpu_min_ns is recorded as it is.  A shorter one is drawn with
 * probability ns / offcpu_sample_ns and then weighs offcpu_sample_ns: each
 * interval's expected weight is its length, so the sums of a profile are
 * unbiased, and a thread costs on average at most one walk per
 * offcpu_min_ns it spends off the CPU, however often it switches, and one
 * per offcpu_sample_ns of short waits: the walks that were most of a web
 * server's cost, for waits whose stacks are statistics anyway.  (24 random
 * bits: ns and the unit, below 2^34, times 2^24 fit in 64.)
 */
static __always_inline __u64 offcpu_weight(struct pyprof_offcpu_hot *h, __u64 ns)
{
	__u64 r;

	/*
	 * The thread's own xorshift64, seeded from bpf_get_prandom_u32() at
	 * offcpu__mark(): no helper call on the switch path.  Its top 24 bits.
	 */
	h->rng ^= h->rng << 13;
	h->rng ^= h->rng >> 7;
	h->rng ^= h->rng << 17;
	r = h->rng >> 40;

	if (ns >= offcpu_min_ns)
		return ns;
	if (r * offcpu_sample_ns < ns << 24) {
		count(PYPROF_CNT_OFFCPU_SHORT_DRAWN);
		return offcpu_sample_ns;
	}
	count(PYPROF_CNT_OFFCPU_SHORT);
	count_n(PYPROF_CNT_OFFCPU_SHORT_NS, ns);
	return 0;
}

/*
 * Per CPU, a cache line each: the thread last switched in there with an
 * interval to walk.  on_resume looks at its task storage only if it is
 * that thread, so a thread of ours that has nothing pending passes it with
 * no helper call.  CPUs past the array always look.
 */
#define RESUME_SLOTS 1024
#define RESUME_STRIDE 16 /* __u32s: 64 bytes */
__u32 resume_tid[RESUME_SLOTS * RESUME_STRIDE];

/*
 * The kernel stack next blocked in, into o->kstack: next is off the CPU
 * until this switch, its stack is still there.  bpf_get_task_stack() costs
 * ~10 us here (more than the Python walk), and a thread mostly waits in a
 * few ways again and again (a handler's recv() on its socket, take_gil() on
 * its futex words): a wait in the same process, system call, first argument
 * and state as one whose stack was taken is given that stack again from
 * kstacks.  (Not the depth of stack too: the kernel moves a system call's
 * stack by a random offset, RANDOMIZE_KSTACK_OFFSET.)
 */
static __always_inline void offcpu__kstack(struct pyprof_offcpu *o, __u32 state,
					   struct task_struct *next)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(next);
	struct kstack_key key = {};
	struct pyprof_kstack *ks;
	__u64 nr;
	long kn;

	/*
	 * Blocked, or preempted in user mode (an interrupt's regs: always the
	 * same way into the scheduler).  Preempted inside a system call it can
	 * have been anywhere in it: not remembered.
	 */
	key.syscall = regs ? BPF_CORE_READ(regs, orig_ax) : 0;
	if (regs && (state || key.syscall == NO_SYSCALL)) {
		key.tgid = next->tgid;
		key.state = state;
		key.start_ns = next->group_leader->start_time;
		key.exec_id = next->self_exec_id;
		key.arg = BPF_CORE_READ(regs, di);
		ks = bpf_map_lookup_elem(&kstacks, &key);
		if (ks) {
			nr = ks->nr;
			if (nr > PYPROF_MAX_KSTACK)
				nr = PYPROF_MAX_KSTACK;
			if (nr && !bpf_probe_read_kernel(o->kstack.ips, nr * sizeof(__u64), ks->ips)) {
				o->kstack.nr = nr;
				count(PYPROF_CNT_OFFCPU_KSTACK_REUSED);
				return;
			}
		}
	}
	kn = bpf_get_task_stack(next, o->kstack.ips, sizeof(o->kstack.ips), 0);
	if (kn < 0) {
		count(PYPROF_CNT_KSTACK_FAIL);
		return;
	}
	o->kstack.nr = kn / sizeof(__u64);
	if (key.tgid)
		bpf_map_update_elem(&kstacks, &key, &o->kstack, BPF_ANY);
}

/* next comes back on the CPU: keep its interval (offcpu_weight()) to be walked. */
static __always_inline void offcpu__switch_in(struct task_struct *next, __u64 now)
{
	struct pyprof_offcpu *o;
	struct pyprof_offcpu_hot *h = offcpu__hot(next, &o);
	__u32 cpu;
	__u64 ns;

	if (!h || !h->off_ns)
		return;
	/* Back on another CPU a little behind its own (an unstable TSC): no time off. */
	ns = offcpu_weight(h, now > h->off_ns ? now - h->off_ns : 0);
	h->off_ns = 0;
	if (!ns)
		return;
	if (!o)
		o = bpf_task_storage_get(&offcpu, next, 0, 0);
	if (!o) {
		count(PYPROF_CNT_OFFCPU_NO_STORAGE);
		return;
	}
	if (h->pending_ns) {
		count(PYPROF_CNT_OFFCPU_LOST_REPLACED);
		count_n(PYPROF_CNT_OFFCPU_LOST_REPLACED_NS, h->pending_ns);
	}
	h->pending_ns = ns;
	o->kstack.nr = 0;
	count(PYPROF_CNT_OFFCPU_KEPT);
	cpu = bpf_get_smp_processor_id();
	if (cpu < RESUME_SLOTS)
		resume_tid[cpu * RESUME_STRIDE] = next->pid;
	if (collect_kernel)
		offcpu__kstack(o, h->state, next);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	/*
	 * Every switch of every task comes here: one that has no task storage
	 * at all is no thread of ours (a helper call or a map lookup here cost
	 * ~250 ns per switch on the development VM, a plain load nothing).
	 */
	__u64 now;

	if (!prev->bpf_storage && !next->bpf_storage)
		return 0;
	/* One read for both: where the clock is the helper's, a hand-over pays one call. */
	now = switch_ns(prev);
	if (prev->bpf_storage)
		offcpu__switch_out(prev, prev_state, now);
	if (next->bpf_storage)
		offcpu__switch_in(next, now);
	return 0;
}

/*
 * A thread registered with rseq (glibc 2.35+ registers every thread) that was
 * switched out passes here on its way back to user mode once it runs again,
 * in its own context, with the Python stack it blocked with: the pending
 * interval is walked now.  Only tasks coming back from a switch pay: one
 * task storage lookup that misses, unless the task is a thread of a profiled
 * process.  (sys_exit, the other place a blocked thread comes back through,
 * made every syscall of every task take the slow path.)
 */
SEC("tp_btf/rseq_update")
int BPF_PROG(on_resume, struct task_struct *task)
{
	struct pyprof_offcpu_hot *h;
	struct pyprof_offcpu *o;
	struct pt_regs *regs;
	__u64 futex = NO_FUTEX, ns;
	__u32 cpu;

	/* task is current. */
	if (!task->bpf_storage)
		return 0; /* no thread of ours (on_switch) */
	cpu = bpf_get_smp_processor_id();
	if (cpu < RESUME_SLOTS) {
		if (resume_tid[cpu * RESUME_STRIDE] != task->pid)
			return 0;
		resume_tid[cpu * RESUME_STRIDE] = 0;
	}
	o = bpf_task_storage_get(&offcpu, task, 0, 0);
	if (!o)
		return 0;
	h = offcpu__hot_of(task, o);
	if (!h->pending_ns)
		return 0;
	/* The user registers of the syscall it is in, if any: futex(uaddr, ...) may be the GIL. */
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs && BPF_CORE_READ(regs, orig_ax) == SYSCALL_FUTEX)
		futex = BPF_CORE_READ(regs, di);
	ns = h->pending_ns;
	h->pending_ns = 0;
	/* Left pending if the scratch is busy: its next return to user mode or switch-out sends it. */
	if (offcpu__send(o, ns, futex, false) == OFFCPU_BUSY)
		h->pending_ns = ns;
	return 0;
}

static __always_inline void send_event(__u32 kind, __u32 pid, __u32 tid)
{
	struct pyprof_event_hdr *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(PYPROF_CNT_EVENT_LOST);
		return;
	}
	e->ts = bpf_ktime_get_ns();
	e->kind = kind;
	e->pid = pid;
	e->tid = tid;
	e->cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * The thread of o, tid, takes the slot of its tid if it is free: its hot
 * fields move there.  (An add, not a compare-and-swap: the atomics every
 * BPF target has.)
 */
static __always_inline void offcpu__take_slot(struct pyprof_offcpu *o, __u32 tid)
{
	struct pyprof_offcpu_hot *h = offcpu__slot(tid);

	if (!tid || o->slot_tid)
		return;
	if (__sync_fetch_and_add(&h->taken, 1)) {
		__sync_fetch_and_add(&h->taken, -1);
		count(PYPROF_CNT_OFFCPU_NO_SLOT);
		return;
	}
	h->off_ns = o->hot.off_ns;
	h->pending_ns = o->hot.pending_ns;
	h->rng = o->hot.rng;
	h->state = o->hot.state;
	o->slot_tid = tid;
	/* Last: from now on the switch path uses the slot. */
	*(volatile __u32 *)&h->tid = tid;
}

/* The thread of o gives its slot back, if it holds one: its hot fields, o->hot's again. */
static __always_inline struct pyprof_offcpu_hot *offcpu__give_slot(struct pyprof_offcpu *o)
{
	struct pyprof_offcpu_hot *h;

	if (!o->slot_tid)
		return &o->hot;
	h = offcpu__slot(o->slot_tid);
	*(volatile __u32 *)&h->tid = 0;
	o->hot.off_ns = h->off_ns;
	o->hot.pending_ns = h->pending_ns;
	o->hot.rng = h->rng;
	o->hot.state = h->state;
	o->slot_tid = 0;
	__sync_fetch_and_add(&h->taken, -1);
	return &o->hot;
}

/*
 * Gives a thread of a profiled process its off-CPU storage: on_switch
 * records it from then on.  Threads get it when their process is profiled
 * (mark_tasks) or when they are created in one (on_fork).
 */
static __always_inline struct pyprof_offcpu *offcpu__mark(struct task_struct *task)
{
	struct pyprof_offcpu *o;

	if (!offcpu_enabled)
		return NULL;
	o = bpf_task_storage_get(&offcpu, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!o) {
		count(PYPROF_CNT_OFFCPU_NO_STORAGE);
		return NULL;
	}
	if (!o->hot.rng)
		o->hot.rng = bpf_get_prandom_u32() | 1ull << 32;
	offcpu__take_slot(o, task->pid);
	count(PYPROF_CNT_OFFCPU_MARKED);
	return o;
}

/*
 * A thread already off the CPU as its process starts to be profiled (one
 * asleep in a server since long before): off from now on, as far as
 * recording knows, so the part of its wait that is recorded is when it
 * ends, as every other.  Without this a thread blocked for an hour when
 * pyprofd started would have none of its wall time until it woke.  A
 * switch meanwhile on another CPU wins: it writes off_ns after this.
 */
static __always_inline void offcpu__mark_off(struct task_struct *task,
					      struct pyprof_offcpu *o)
{
	struct pyprof_offcpu_hot *h;

	if (!o || BPF_CORE_READ(task, on_cpu))
		return;
	h = offcpu__hot_of(task, o);
	if (h->off_ns)
		return;
	h->state = BPF_CORE_READ(task, __state);
	h->off_ns = switch_ns(bpf_get_current_task_btf());
	o->mark_ns = h->off_ns;
	count(PYPROF_CNT_OFFCPU_MARKED_OFF);
}

/* An exec'ing thread keeps its task struct: what it runs now is not profiled (yet). */
static __always_inline void offcpu__unmark(struct task_struct *task)
{
	struct pyprof_offcpu_hot *h;
	struct pyprof_offcpu *o;

	if (!task->bpf_storage)
		return;
	o = bpf_task_storage_get(&offcpu, task, 0, 0);
	if (!o)
		return;
	/* By its storage: an exec by another thread than the leader took the leader's tid. */
	h = offcpu__give_slot(o);
	if (h->pending_ns) {
		count(PYPROF_CNT_OFFCPU_LOST_UNPROFILED);
		count_n(PYPROF_CNT_OFFCPU_LOST_UNPROFILED_NS, h->pending_ns);
	}
	bpf_task_storage_delete(&offcpu, task);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = BPF_CORE_READ(p, tgid);

	/* The old image is gone: its layout must not be applied to the new one. */
	bpf_map_delete_elem(&procs, &pid);
	offcpu__unmark(p);
	if (pid != daemon_pid)
		send_event(PYPROF_EV_EXEC, pid, BPF_CORE_READ(p, pid));
	return 0;
}

/* A child process of a Python process has the same memory layout: profile it at once. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid);
	__u32 cpid = BPF_CORE_READ(child, tgid);
	struct pyprof_proc *proc;

	proc = bpf_map_lookup_elem(&procs, &ppid);
	if (!proc)
		return 0;
	if (cpid == ppid) {
		offcpu__mark(child); /* a new thread of a profiled process */
		return 0;
	}
	if (bpf_map_update_elem(&procs, &cpid, proc, BPF_NOEXIST)) {
		count(PYPROF_CNT_FORK_FULL);
		return 0;
	}
	count(PYPROF_CNT_FORK_INHERIT);
	offcpu__mark(child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid);
	__u32 tid = BPF_CORE_READ(p, pid);
	/* The exiting task is current: its fs base is the one its samples used. */
	struct pyprof_thread_key key = { .tgid = pid, .fsbase = BPF_CORE_READ(p, thread.fsbase) };
	struct pyprof_proc *proc = bpf_map_lookup_elem(&procs, &pid);

	struct pyprof_offcpu *o = bpf_task_storage_get(&offcpu, p, 0, 0);
	struct pyprof_offcpu_hot *h = o ? offcpu__give_slot(o) : NULL;

	bpf_map_delete_elem(&tstates, &key);
	if (h && h->pending_ns) {
		count(PYPROF_CNT_OFFCPU_LOST_EXIT);
		count_n(PYPROF_CNT_OFFCPU_LOST_EXIT_NS, h->pending_ns);
		h->pending_ns = 0; /* not walked at its last switch-out too */
	}
	/* Tells pyprofd whether a thread exited while it seeded the cache. */
	if (proc)
		__sync_fetch_and_add(&proc->thread_exits, 1);
	/* signal->live has dropped to 0 once the last thread of the group exits. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (bpf_map_delete_elem(&procs, &pid) == 0)
		send_event(PYPROF_EV_EXIT, pid, tid);
	return 0;
}

/* Attached by pyprofd to each interpreter binary or libpython it knows of. */
SEC("uprobe")
int on_py_init(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;

	/* Already profiled (a fork child, a second interpreter): nothing to tell. */
	if (!bpf_map_lookup_elem(&procs, &pid))
		send_event(PYPROF_EV_PYINIT, pid, (__u32)id);
	return 0;
}

/*
 * Attached by pyprofd to libc's dlopen (glibc 2.34+ has it in libc.so.6): an
 * embedder may just have mapped a libpython that no uprobe watches yet, one
 * outside the system dirs.  Only processes not profiled yet are told of.
 */
SEC("uretprobe")
int on_dlopen_ret(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;

	if (PT_REGS_RC(ctx) && !bpf_map_lookup_elem(&procs, &pid))
		send_event(PYPROF_EV_DLOPEN, pid, (__u32)id);
	return 0;
}

/* The record dump_tasks is building (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pyprof_task_info);
} dump_scratch SEC(".maps");

/*
 * pyprofctl dump: run once per dump, attached with the process's pid as its
 * filter, it writes one struct pyprof_task_info per thread: on a CPU or not,
 * since when (the offcpu storage on_switch keeps), the kernel stack it
 * blocked in and the system call it is in (a futex on the GIL's words is a
 * wait for the GIL).  The daemon matches the records to tstates by fs base.
 */
SEC("iter/task")
int dump_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct pyprof_task_info *ti;
	struct pyprof_offcpu *o;
	struct pt_regs *regs;
	__u32 zero = 0;
	long kn;

	if (!task)
		return 0; /* the end of the walk */
	ti = bpf_map_lookup_elem(&dump_scratch, &zero);
	if (!ti) {
		count(PYPROF_CNT_NO_SCRATCH);
		return 0;
	}
	ti->tid = task->pid;
	ti->state = BPF_CORE_READ(task, __state);
	ti->fsbase = BPF_CORE_READ(task, thread.fsbase);
	/* off_ns's clock, this CPU's: up to a tick old. */
	ti->now_ns = switch_ns(bpf_get_current_task_btf());
	ti->on_cpu = BPF_CORE_READ(task, on_cpu) ? 1 : 0;
	BPF_CORE_READ_STR_INTO(&ti->comm, task, comm);
	o = bpf_task_storage_get(&offcpu, task, 0, 0);
	ti->off_ns = o ? offcpu__hot_of(task, o)->off_ns : 0;
	ti->since_mark = o && ti->off_ns && ti->off_ns == o->mark_ns;
	ti->syscall = PYPROF_DUMP_NO_SYSCALL;
	ti->arg0 = 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs) {
		ti->syscall = BPF_CORE_READ(regs, orig_ax);
		ti->arg0 = BPF_CORE_READ(regs, di);
	}
	ti->nr_kstack = 0;
	/* A running task's stack changes under the walk: only a frozen one says where it waits. */
	if (!ti->on_cpu) {
		kn = bpf_get_task_stack(task, ti->kstack, sizeof(ti->kstack), 0);
		if (kn > 0)
			ti->nr_kstack = kn / sizeof(__u64);
	}
	bpf_seq_write(ctx->meta->seq, ti, sizeof(*ti));
	return 0;
}

/*
 * Run by pyprofd over the threads of each process it starts to profile
 * (attached with its pid as the filter), after it has put the process in
 * procs: on_fork marks the threads created from then on.
 */
SEC("iter/task")
int mark_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	/* An exiting task can get no storage, and would not use it. */
	if (task && task->tgid != daemon_pid && !(task->flags & PF_EXITING)) {
		offcpu__mark_off(task, offcpu__mark(task));
	}
	return 0;
}
