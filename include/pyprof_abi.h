/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprof: the one header shared by the BPF programs and userspace. */
#ifndef PYPROF_ABI_H
#define PYPROF_ABI_H

/*
 * Only fixed-width types, no pointers, no includes: the BPF side gets __u64 and
 * friends from vmlinux.h, userspace from <linux/types.h>.  Bump the version on
 * any change to a struct or enum below; pyprofd checks it against the
 * skeleton's rodata.
 */
#define PYPROF_ABI_VERSION 19

#define PYPROF_MAX_FRAMES	256	/* Python frames kept per sample */
#define PYPROF_MAX_KSTACK	127	/* kernel frames (perf_event_max_stack default) */
#define PYPROF_STACK_MARKERS	2	/* frames the daemon adds: comm, an unwind-error marker */
/* Frames in one stored stack, root first: the one depth limit of profiles, state files, replies. */
#define PYPROF_MAX_STACK	(PYPROF_MAX_FRAMES + PYPROF_MAX_KSTACK + PYPROF_STACK_MARKERS)
#define PYPROF_MAX_PROCS	8192	/* Python processes profiled at once */
#define PYPROF_MAX_THREADS	65536	/* cached (tgid, thread pointer) -> PyThreadState entries */
/*
 * tstates BPF visits looking for a thread it has not cached (newest first).
 * Older threads of a longer list are found by pyprofd, which seeds the cache
 * from the whole list when a walk ends here.
 */
#define PYPROF_THREAD_WALK	256
/* A process's walks that end at PYPROF_THREAD_WALK wake pyprofd at most this often. */
#define PYPROF_SEED_WAKEUP_NS	(10ull * 1000000)
#define PYPROF_FRAME_READ	128	/* bytes read per frame (covers every layout) */
#define PYPROF_TSTATE_READ	192	/* bytes read per tstate while walking the list */
#define PYPROF_CODE_READ	96	/* bytes read per code object for its fingerprint */
#define PYPROF_GIL_READ		24	/* bytes of the GIL state read per sample: locked, last_holder */
/* 3.11+ frames sit next to each other on the thread's data stack: read a page at once. */
#define PYPROF_PAGE		4096
#define PYPROF_BULK_READ	(PYPROF_PAGE + PYPROF_FRAME_READ)
#define PYPROF_RINGBUF_BYTES	(4u << 20)
/* --native: a stack copy of PYPROF_NATIVE_STACK bytes per sample needs a bigger ring. */
#define PYPROF_RINGBUF_NATIVE_BYTES (16u << 20)
#define PYPROF_NATIVE_STACK	8192	/* bytes of the user stack copied from sp per sample */
#define PYPROF_ENTRY_WORDS	(PYPROF_MAX_FRAMES / 64)	/* pyprof_native.entry: a bit a frame */
/* Bytes of a young process's code object's names and line table copied at first sight. */
#define PYPROF_SNAP_NAME	192	/* from its co_qualname / co_name str object */
#define PYPROF_SNAP_FILE	448	/* from its co_filename str object */
#define PYPROF_SNAP_TABLE	1024	/* from its line table bytes object */
#define PYPROF_CODE_SEEN	16384	/* (tgid, code object) snapshots remembered */
#define PYPROF_OFFCPU_KSTACKS	2048	/* off-CPU waits whose kernel stack is remembered */
#define PYPROF_OFFCPU_SLOTS	16384	/* threads of ours switching without a task storage lookup (2^n) */
#define PYPROF_COMM_LEN		16

/* How a frame records where it is in its code object. */
enum pyprof_instr_kind {
	PYPROF_INSTR_PTR = 0,	/* pointer into co_code_adaptive, or a copy of it (3.11+) */
	PYPROF_INSTR_LASTI = 1, /* int f_lasti in the frame object (<= 3.10) */
};

/*
 * What the root-most frame of a complete walk looks like.  A walk that ends
 * elsewhere raced a frame being pushed or popped (CPython stores the new
 * frame and its link in any order: a half-linked frame has back == NULL).
 */
enum pyprof_bottom {
	PYPROF_BOTTOM_NULL = 0,	 /* <= 3.10: f_back == NULL is all there is */
	PYPROF_BOTTOM_ENTRY = 1, /* 3.11: is_entry set, and not a generator's frame */
	PYPROF_BOTTOM_SHIM = 2,	 /* 3.12+: an entry shim, owner >= layout.owner_shim */
};

/*
 * Offsets (bytes) into the interpreter's structures for one CPython build.
 * Userspace fills this from its tables (<= 3.12) or from _Py_DebugOffsets
 * (3.13+).  -1 means "field absent in this version".
 */
struct pyprof_layout {
	__u32 version_hex;		/* PY_VERSION_HEX */
	__s16 runtime_interp_head;	/* _PyRuntimeState.interpreters.head */
	__s16 interp_next;		/* PyInterpreterState.next */
	__s16 interp_threads_head;	/* PyInterpreterState.threads.head / tstate_head */
	__s16 tstate_next;		/* PyThreadState.next */
	__s16 tstate_thread_id;		/* PyThreadState.thread_id (pthread_self()) */
	__s16 tstate_frame;		/* frame (<=3.10), cframe (3.11-3.12), current_frame (3.13+) */
	__s16 cframe_current_frame;	/* _PyCFrame.current_frame, -1 if no cframe */
	__s16 frame_code;		/* f_code / f_executable */
	__s16 frame_back;		/* f_back / previous */
	__s16 frame_instr;		/* f_lasti (int) or prev_instr / instr_ptr (pointer) */
	__s16 frame_owner;		/* owner byte, -1 before 3.11 */
	__s16 frame_is_entry;		/* is_entry byte (3.11 only), -1 otherwise */
	__s16 code_adaptive;		/* offsetof(PyCodeObject, co_code_adaptive), 3.11+ */
	/*
	 * Free-threaded 3.14+: instr_ptr points into the thread-local copy of
	 * the bytecode that the frame's int32 tlbc_index names, entry
	 * tlbc_index of the code object's co_tlbc array (_PyCodeArray: a
	 * Py_ssize_t size, then tlbc_entries on, a pointer per copy; entry 0
	 * is co_code_adaptive itself).  -1 where there are no copies.
	 */
	__s16 frame_tlbc_index;		/* offsetof(_PyInterpreterFrame, tlbc_index) */
	__s16 code_tlbc;		/* offsetof(PyCodeObject, co_tlbc) */
	__u16 frame_read;		/* bytes to read per frame, <= PYPROF_FRAME_READ */
	__s16 code_fp_off;		/* PYPROF_CODE_READ bytes of a code object read from here */
	__u8 instr_kind;		/* enum pyprof_instr_kind */
	/*
	 * Frames whose owner is this or more are not Python code and are skipped
	 * (3.12+): C entry shims (CSTACK in 3.12-3.13, INTERPRETER in 3.14+) and
	 * 3.14's CSTACK or 3.15's THREAD_STATE base frames.
	 */
	__u8 owner_shim;
	__u8 owner_generator;		/* owner value of a generator's frame (3.11+) */
	__u8 bottom;			/* enum pyprof_bottom */
	__u8 tag_mask;			/* low bits to clear from frame_code (3.14+ _PyStackRef) */
	/* Offsets inside that read of the fields the fingerprint covers. */
	__u8 fp_firstlineno;		/* co_firstlineno (int) */
	__u8 fp_name;			/* co_qualname (3.11+) or co_name */
	__u8 fp_filename;		/* co_filename */
	__u8 fp_linetable;		/* co_linetable / co_lnotab */
	__u8 frames_contiguous;		/* 3.11+: callers are read in the same page read */
	__u8 tlbc_entries;		/* offsetof(_PyCodeArray, entries) */
	__u8 pad[3];			/* zero: no implicit padding to compare */
	/*
	 * The GIL and the collector (SAMPLE_GIL, SAMPLE_GC), read from the
	 * sampled thread's interpreter; -1 where absent.  A thread holds the GIL
	 * when its _gil_runtime_state is locked and last_holder is its tstate.
	 * Free-threaded builds have no GIL: runtime_gil and interp_gil both -1.
	 */
	__s16 tstate_interp;		/* PyThreadState.interp */
	__s16 runtime_gil;		/* _PyRuntimeState.ceval.gil, the state itself (3.9-3.11) */
	__s16 interp_gil;		/* PyInterpreterState.ceval.gil, a pointer to it (3.12+) */
	__s16 gil_locked;		/* _gil_runtime_state.locked (int) */
	__s16 gil_holder;		/* _gil_runtime_state.last_holder (PyThreadState *) */
	__s16 gc_collecting;		/* PyInterpreterState.gc.collecting (int) */
};

/* Per-process configuration, keyed by tgid in map "procs". */
struct pyprof_proc {
	__u64 runtime_addr;		/* address of _PyRuntime in the target */
	/*
	 * Until then (bpf_ktime_get_ns()) every frame also records its code
	 * object's fingerprint (pyprof_code_fp()): a young process imports, and
	 * module bodies are freed and their addresses reused right away.  Later
	 * the daemon re-checks the code objects it has named instead, which
	 * keeps the walk at one read per page of frames.
	 */
	__u64 fp_until_ns;
	/* Written by BPF, 0 from userspace: */
	__u64 seed_wakeup_ns;		/* last wakeup for a walk that hit PYPROF_THREAD_WALK */
	__u64 thread_exits;		/* threads of the process that exited */
	struct pyprof_layout layout;
	/*
	 * The main interpreter's _gil_runtime_state in the target: its mutex and
	 * condition variables are the futex words a thread waiting for the GIL
	 * sleeps on (gil_wait_futex()).  gil_size 0: no GIL (free-threaded).
	 */
	__u64 gil_addr;
	__u64 gil_size;
};

/* Key of map "tstates": CPython's tstate->thread_id is pthread_self(), the fs base. */
struct pyprof_thread_key {
	__u32 tgid;
	__u32 pad;
	__u64 fsbase;
};

/* Event kinds on the ring buffer; every event starts with struct pyprof_event_hdr. */
enum pyprof_event_kind {
	PYPROF_EV_SAMPLE = 1,
	PYPROF_EV_EXEC = 2,	/* a process called exec */
	PYPROF_EV_EXIT = 3,	/* a thread group leader exited */
	PYPROF_EV_PYINIT = 4,	/* an interpreter started initialising (uprobe) */
	PYPROF_EV_DLOPEN = 5,	/* dlopen() returned in a process not profiled (uretprobe) */
	PYPROF_EV_CODE = 6,	/* a code object of a young process, first seen (pyprof_code_snap) */
	PYPROF_EV_NATIVE = 7,	/* --native: the user stack of the sample that follows (pyprof_native) */
};

struct pyprof_event_hdr {
	__u64 ts;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 kind;	/* enum pyprof_event_kind */
	__u32 pid;	/* tgid */
	__u32 tid;
	__u32 cpu;
	char comm[PYPROF_COMM_LEN];
};

/* Why a sample of a known Python process has no (or a partial) Python stack. */
enum pyprof_unwind_error {
	PYPROF_UNWIND_OK = 0,
	PYPROF_UNWIND_NO_INTERP,	/* runtime has no interpreter (yet, or any more) */
	PYPROF_UNWIND_NO_TSTATE,	/* thread has no PyThreadState (pure C thread) */
	PYPROF_UNWIND_NO_FRAME,		/* thread has a tstate but runs no Python code */
	PYPROF_UNWIND_READ_FAULT,	/* target memory unreadable (paged out, corrupt) */
	PYPROF_UNWIND_TRUNCATED,	/* more than PYPROF_MAX_FRAMES frames */
	PYPROF_UNWIND_PARTIAL,		/* the walk did not reach the root (enum pyprof_bottom) */
	PYPROF_UNWIND__MAX,
};

struct pyprof_frame {
	__u64 code;	/* PyCodeObject * in the target */
	__s32 instr;	/* code-unit index (3.10+) or byte offset (<= 3.9); -1 = not started */
	__u32 code_fp;	/* pyprof_code_fp() of the object at sample time, 0 = not read */
};

/*
 * Fingerprint of a code object: the fields that name it.  Code objects are
 * freed (a module's body after import, exec()'d code) and their addresses
 * reused; the daemon reads names after the sample, so it checks that the
 * object it reads is the one that was sampled.  Never 0.
 */
static inline __u32 pyprof_code_fp(__u32 firstlineno, __u64 name, __u64 filename, __u64 linetable)
{
	__u64 h = (firstlineno + 1) * 0x9e3779b97f4a7c15ull;

	h = (h ^ name) * 0xff51afd7ed558ccdull;
	h ^= h >> 29;
	h = (h ^ filename) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h = (h ^ linetable) * 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	return (__u32)h | 1;
}

/*
 * The code-unit index of an instr_ptr in the bytecode that starts at base
 * (co_code_adaptive or a thread's copy of it, 3.11+), -1 when it lies outside
 * any code object.  Shared by the BPF walker and pyprofd's dump.
 */
static inline __s32 pyprof_instr_index(__u64 instr_ptr, __u64 base)
{
	__s64 instr = (__s64)(instr_ptr - base) >> 1;

	return instr < -1 || instr > 0x7fffffff ? -1 : (__s32)instr;
}

/* struct pyprof_sample's tag bits: the SAMPLE_* values of userspace/lib/profile/sample.h. */
#define PYPROF_TAG_OFF_CPU	0x01 /* weight = ns off the CPU */
#define PYPROF_TAG_GIL		0x02 /* on the CPU holding the GIL */
#define PYPROF_TAG_GIL_WAIT	0x04 /* ... waiting to take the GIL */
#define PYPROF_TAG_GC		0x08 /* running the collector */

/* A kernel stack: nr addresses, leaf first. */
struct pyprof_kstack {
	__u32 nr;
	__u32 pad;
	__u64 ips[PYPROF_MAX_KSTACK];
};

/*
 * Value of the task storage map "offcpu": a thread of a profiled process
 * off the CPU since off_ns, or back on it with an interval of pending_ns not
 * walked yet (its Python stack is read in its own context, on its return to
 * user mode or at its next switch-out).  The kernel stack it blocked in is taken as it
 * is switched back in, while it is still frozen.
 */
/*
 * What every switch of a thread of ours reads and writes: in the thread's
 * slot of offcpu_slots if it holds one, else in its task storage's hot.
 */
struct pyprof_offcpu_hot {
	__u64 off_ns;		/* the run queue's clock at switch-out (or marking), 0 = on the CPU */
	__u64 pending_ns;	/* an interval kept and not walked yet, 0 = none */
	__u64 rng;		/* xorshift64 state of the draws (offcpu_weight()), never 0 */
	__u32 state;		/* prev_state at switch-out: 0 = preempted, else blocked */
	__u32 tid;		/* a slot's thread, 0 = none */
	__u64 taken;		/* a slot's: non-zero while a thread holds it or takes it */
};

struct pyprof_offcpu {
	struct pyprof_offcpu_hot hot;	/* unused while the thread holds a slot */
	__u32 slot_tid;		/* the tid its slot was taken with (exec changes a tid), 0 = none */
	__u32 pad;
	/* off_ns as marking found it off the CPU: the interval began before recording. */
	__u64 mark_ns;
	struct pyprof_kstack kstack;	/* of the pending interval */
};

/*
 * A code object of a young process as BPF first saw it in a sample, sent
 * just before that sample: the memory that names it, copied at sample
 * time.  A module's body is freed when its import ends, and its block is
 * reused within microseconds, often before pyprofd has read the sample;
 * with this it is named anyway.  Sent again only when the object at that
 * address changed (map "code_seen").  A region whose page is followed by an
 * unmapped one is copied to the end of its page; one that could not be read
 * has len 0, and pyprofd reads what it lacks from the process if the object
 * is still the same.
 */
enum pyprof_snap_region {
	PYPROF_SNAP_NAME_REGION = 0,
	PYPROF_SNAP_FILE_REGION = 1,
	PYPROF_SNAP_TABLE_REGION = 2,
	PYPROF_SNAP_REGIONS = 3,
};

struct pyprof_code_snap {
	struct pyprof_event_hdr hdr;
	__u64 addr;		/* the code object */
	__u32 fp;		/* its fingerprint, as the sample carries it */
	__u16 len[PYPROF_SNAP_REGIONS];	/* bytes copied of each region below, 0 = unreadable */
	__u16 pad;
	__u8 code[PYPROF_CODE_READ];	/* from addr + layout.code_fp_off: the fingerprint's fields */
	__u8 name[PYPROF_SNAP_NAME];	/* from the name's address (layout.fp_name in code) */
	__u8 file[PYPROF_SNAP_FILE];	/* from the file name's (layout.fp_filename) */
	__u8 table[PYPROF_SNAP_TABLE];	/* from the line table's (layout.fp_linetable) */
};

/*
 * Key of map "code_seen", whose value is the fingerprint of the last
 * snapshot sent of the object at addr.  Not keyed by fingerprint: freed
 * blocks are reused at once, and a module body's name, file name, line
 * table and code object can all come back at the same four addresses as an
 * earlier body's, with the same fingerprint.  So a snapshot is sent whenever
 * the object at addr differs from the last one sent, and pyprofd, which
 * reads them in order, names each sample after the last one before it.
 */
struct pyprof_code_key {
	__u32 tgid;
	__u32 pad;
	__u64 addr;
};

#define PYPROF_SAMPLE_USER_MODE	  0x1 /* the sample interrupted user code */
#define PYPROF_SAMPLE_WALK_LIMIT  0x2 /* no tstate within PYPROF_THREAD_WALK: seed the cache */

struct pyprof_sample {
	struct pyprof_event_hdr hdr;
	__u64 tstate;
	__u16 nr_frames;
	__u16 nr_kstack;
	__u16 error;	/* enum pyprof_unwind_error */
	__u16 flags;
	__u8 tag;	/* SAMPLE_* bits of profile/sample.h: what the thread was doing */
	__u8 pad[7];
	/* 0 for one on-CPU sample; with SAMPLE_OFF_CPU the nanoseconds off the CPU (> 0). */
	__u64 weight;
	/*
	 * Sent packed: nr_frames Python frames (leaf first), then right after
	 * them nr_kstack kernel addresses (__u64, leaf first).  A fixed kstack
	 * array sent whole put 1 KiB into every sample, most of them user-mode
	 * ones without a kernel stack: a busy start filled the ring buffer 8x
	 * sooner.  kstack_room only makes the largest sample fit.
	 */
	struct pyprof_frame frames[PYPROF_MAX_FRAMES];
	__u64 kstack_room[PYPROF_MAX_KSTACK];
};

/* Why a pyprof_native record holds less than PYPROF_NATIVE_STACK bytes (or none). */
enum pyprof_native_error {
	PYPROF_NATIVE_OK = 0,
	PYPROF_NATIVE_SHORT,		/* the stack mapping ends within the copy: len bytes */
	PYPROF_NATIVE_UNREADABLE,	/* nothing readable at sp */
	PYPROF_NATIVE_NO_REGS,		/* no user registers (kernel thread, exiting task) */
};

/*
 * --native: sent right before its sample (same hdr.ts, tid, cpu): the user
 * registers the thread will return to, and the top of its user stack, for
 * the daemon to unwind from CFI (perf's --call-graph dwarf).  A fixed size:
 * the copy goes straight into the ring buffer.
 */
struct pyprof_native {
	struct pyprof_event_hdr hdr;
	__u64 ip;
	__u64 sp;
	__u64 bp;
	__u32 len;		/* bytes of stack copied from sp */
	__u16 error;		/* enum pyprof_native_error */
	__u16 pad;
	/*
	 * Bit i (of word i / 64): the sample's frame i is the first one a C call
	 * of the eval loop ran, where a run of Python frames sits in the native
	 * stack.  Kept here, not in the frame: its code word is an address that
	 * snapshots and lookups key on.
	 */
	__u64 entry[PYPROF_ENTRY_WORDS];
	__u8 stack[PYPROF_NATIVE_STACK];
};

/*
 * Counters in the per-CPU array "counters"; every way the BPF side can bail
 * out or lose something has one.  Names for display live in userspace
 * (sampler__counter_name()).
 */
enum pyprof_counter {
	PYPROF_CNT_SAMPLES = 0,		/* perf events seen */
	PYPROF_CNT_IDLE,		/* kernel threads and the idle task */
	PYPROF_CNT_NOT_PYTHON,		/* tgid not in "procs" */
	PYPROF_CNT_EMITTED,		/* samples written to the ring buffer */
	PYPROF_CNT_RINGBUF_FULL,	/* bpf_ringbuf_output failed: sample lost */
	PYPROF_CNT_EVENT_LOST,		/* exec/exit/init event lost on a full ring */
	PYPROF_CNT_NO_SCRATCH,		/* per-CPU scratch lookup failed */
	PYPROF_CNT_NO_INTERP,
	PYPROF_CNT_NO_TSTATE,
	PYPROF_CNT_NO_FRAME,
	PYPROF_CNT_READ_RUNTIME,	/* reading _PyRuntime faulted */
	PYPROF_CNT_READ_TSTATE,		/* reading a PyThreadState / interpreter faulted */
	PYPROF_CNT_READ_FRAME,		/* reading a frame faulted */
	PYPROF_CNT_READ_CODE,		/* reading a code object faulted: frame kept, unchecked */
	PYPROF_CNT_THREAD_WALK_LIMIT,	/* uncached thread not in the first PYPROF_THREAD_WALK */
	PYPROF_CNT_TRUNCATED,		/* stack deeper than PYPROF_MAX_FRAMES */
	PYPROF_CNT_KSTACK_FAIL,		/* bpf_get_stack() failed */
	PYPROF_CNT_TSTATE_CACHE_HIT,
	PYPROF_CNT_TSTATE_CACHE_STALE,	/* cached tstate no longer belongs to the thread */
	PYPROF_CNT_FORK_INHERIT,	/* child of a Python process configured in kernel */
	PYPROF_CNT_FORK_FULL,		/* ... but "procs" was full */
	PYPROF_CNT_PARTIAL,		/* frame walk ended short of the root frame */
	PYPROF_CNT_READ_TLBC,		/* reading a code object's co_tlbc array faulted */
	PYPROF_CNT_BAD_TLBC,		/* a tlbc_index outside co_tlbc, or a NULL copy */
	/* Off-CPU intervals of threads of profiled processes (_NS: their nanoseconds summed). */
	PYPROF_CNT_OFFCPU_SWITCH_OUT,	/* switch-outs recorded */
	PYPROF_CNT_OFFCPU_NO_STORAGE,	/* threads not recorded: no task storage (allocation failed) */
	PYPROF_CNT_OFFCPU_SHORT,	/* intervals under the minimum not drawn: counted */
	PYPROF_CNT_OFFCPU_SHORT_NS,
	PYPROF_CNT_OFFCPU_KEPT,		/* intervals kept, to be walked */
	PYPROF_CNT_OFFCPU_SENT,		/* ... walked and sent (with the walk's error, if any) */
	PYPROF_CNT_OFFCPU_SENT_NS,
	PYPROF_CNT_OFFCPU_AT_SWITCH,	/* ... walked at a switch-out, not on return to user */
	PYPROF_CNT_OFFCPU_WALK_ERR,	/* ... whose walk found no (or a partial) Python stack */
	PYPROF_CNT_OFFCPU_GIL_WAIT,	/* ... waiting for the GIL */
	PYPROF_CNT_OFFCPU_LOST_RINGBUF, /* lost: the ring buffer was full */
	PYPROF_CNT_OFFCPU_LOST_RINGBUF_NS,
	PYPROF_CNT_OFFCPU_LOST_EXIT,	/* lost: the thread exited before it was walked */
	PYPROF_CNT_OFFCPU_LOST_EXIT_NS,
	PYPROF_CNT_OFFCPU_LOST_REPLACED, /* lost: a newer interval came before the walk */
	PYPROF_CNT_OFFCPU_LOST_REPLACED_NS,
	PYPROF_CNT_OFFCPU_LOST_UNPROFILED, /* lost: the process was no longer profiled (exec) */
	PYPROF_CNT_OFFCPU_LOST_UNPROFILED_NS,
	PYPROF_CNT_OFFCPU_BUSY,		/* walk put off: this CPU's off-CPU scratch was in use */
	PYPROF_CNT_READ_GIL,		/* reading the GIL state (or the pointer to it) faulted */
	PYPROF_CNT_READ_GC,		/* reading the interpreter's gc.collecting faulted */
	/* Code object snapshots of young processes (struct pyprof_code_snap). */
	PYPROF_CNT_SNAP_SENT,		/* sent */
	PYPROF_CNT_SNAP_LOST,		/* not sent: the ring buffer was full */
	PYPROF_CNT_SNAP_CHANGED,	/* not sent: the object changed since the walk read it */
	PYPROF_CNT_SNAP_PART,		/* regions left out of a sent snapshot: unreadable */
	PYPROF_CNT_OFFCPU_SHORT_DRAWN,	/* intervals under the minimum drawn: kept, weighing it */
	PYPROF_CNT_OFFCPU_MARKED,	/* threads given off-CPU storage (profiled process's) */
	/* --native stack copies (struct pyprof_native). */
	PYPROF_CNT_NATIVE_SENT,		/* sent */
	PYPROF_CNT_NATIVE_LOST,		/* not sent: the ring buffer was full */
	PYPROF_CNT_NATIVE_SHORT,	/* sent shorter than PYPROF_NATIVE_STACK: end of mapping */
	PYPROF_CNT_NATIVE_UNREADABLE,	/* sent empty: nothing readable at sp */
	PYPROF_CNT_NATIVE_NO_REGS,	/* sent empty: no user registers */
	PYPROF_CNT_OFFCPU_KSTACK_REUSED, /* kept intervals given a remembered kernel stack */
	PYPROF_CNT_OFFCPU_NO_SLOT,	/* threads marked whose slot another holds: task storage used */
	PYPROF_CNT_OFFCPU_LOST_BUSY,	/* lost at a switch-out: this CPU's scratch was in use */
	PYPROF_CNT_OFFCPU_LOST_BUSY_NS,
	PYPROF_CNT_NATIVE_NO_TSTATE,	/* sampled thread had no Python state: copy sent for it */
	PYPROF_CNT_OFFCPU_MARKED_OFF,	/* threads off the CPU when marked: recorded from then */
	PYPROF_CNT__MAX,
};

/* Kernel frames a dump keeps per thread: enough to get past the scheduler's own. */
#define PYPROF_DUMP_KSTACK	32
#define PYPROF_DUMP_NO_SYSCALL	(~0ull)	/* pyprof_task_info.syscall: not in a system call */

/*
 * What the task iterator "dump_tasks" writes per thread of the process it
 * is attached for (one pyprofctl dump): the scheduler's view of it now.
 */
struct pyprof_task_info {
	__u32 tid;		/* on the host */
	__u32 state;		/* task->__state: 0 = running or runnable */
	__u64 fsbase;		/* thread.fsbase: pthread_self(), a tstate's thread_id */
	__u64 now_ns;		/* off_ns's clock as the iterator saw it (its CPU's run queue's) */
	__u64 off_ns;		/* offcpu storage's off_ns: off the CPU since; 0: not recorded */
	__u64 syscall;		/* orig_ax of its user registers, or PYPROF_DUMP_NO_SYSCALL */
	__u64 arg0;		/* ... and the first argument (di): a futex word */
	__u8 on_cpu;		/* running on a CPU now */
	__u8 since_mark;	/* off since before recording: off_ns is when recording began */
	__u16 nr_kstack;	/* kernel frames in kstack, 0 while on a CPU */
	__u32 pad2;
	char comm[PYPROF_COMM_LEN];
	__u64 kstack[PYPROF_DUMP_KSTACK];	/* leaf first */
};

#endif /* PYPROF_ABI_H */
