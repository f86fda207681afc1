// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyprofd: what every thread of a process does now: its state from the
 * kernel (a BPF task iterator, or /proc) and its Python stack, read from
 * its memory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "base/strbuf.h"
#include "base/util.h"
#include "target/ksyms.h"
#include "target/procns.h"
#include "clock.h"
#include "dump.h"
#include "pynames.h"
#include "pyproc.h"
#include "sampler.h"
#include "symbolize.h"
#include "target.h"
#include "threads.h"

/* Bounds against a corrupt or cyclic structure in the target. */
#define DUMP_MAX_THREADS 4096
#define DUMP_MAX_FRAMES	 4096
#define DUMP_KFUNC_MAX	 128	/* a kernel function's name shown, longer ones cut */

/* A thread's id in its own pid namespace (what CPython records) and on the host. */
struct tid_pair {
	long ns_tid, host_tid;
};

struct tid_map {
	struct tid_pair *pairs;
	size_t nr, cap;
	unsigned int reads;	/* at the first need and once more, for a thread started since */
};

/* The tid in the thread's own namespace, or -1 when it is gone. */
static long ns_tid_of(int pid, long tid)
{
	long first, last;

	return procns__read(pid, tid, &first, &last) ? -1 : last;
}

static int cmp_ns_tid(const void *a, const void *b)
{
	long x = ((const struct tid_pair *)a)->ns_tid, y = ((const struct tid_pair *)b)->ns_tid;

	return x < y ? -1 : x > y;
}

/*
 * CPython's native_thread_id is gettid() inside the process's pid namespace;
 * /proc here is the host's.  Maps one to the other through every task's
 * NSpid.  A process in our namespace maps each tid to itself.
 */
static int tid_map_read(int pid, struct tid_map *m)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	m->nr = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(dir)) && m->nr < DUMP_MAX_THREADS * 2) {
		char *end;
		long tid = strtol(de->d_name, &end, 10), ns;

		if (*end || tid <= 0)
			continue;
		ns = ns_tid_of(pid, tid);
		if (ns <= 0)
			continue; /* exited meanwhile */
		if (grow_array((void **)&m->pairs, &m->cap, m->nr + 1, sizeof(*m->pairs))) {
			err = -ENOMEM;
			break;
		}
		m->pairs[m->nr++] = (struct tid_pair){ .ns_tid = ns, .host_tid = tid };
	}
	closedir(dir);
	if (m->nr)
		qsort(m->pairs, m->nr, sizeof(*m->pairs), cmp_ns_tid);
	return err;
}

/* The host tid of a namespace tid, or -1 (the thread is gone). */
static long tid_map_host(const struct tid_map *m, long ns_tid)
{
	struct tid_pair key = { .ns_tid = ns_tid }, *found;

	found = m->nr ? bsearch(&key, m->pairs, m->nr, sizeof(key), cmp_ns_tid) : NULL;
	return found ? found->host_tid : -1;
}
/* The state letter of /proc/PID/task/TID/stat ('R', 'S', 'D', ...), or 0 if unreadable. */
static char thread_state(int pid, long tid)
{
	char path[96], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || !rp[2])
		return 0;
	return rp[2];
}

/*
 * Where the bytecode that a frame's instr_ptr points into starts, as BPF
 * finds it (tlbc_base()): co_code_adaptive, or in free-threaded 3.14+ the
 * thread-local copy the frame's tlbc_index names in the code object's
 * co_tlbc array.  -EFAULT when unreadable, -ERANGE for an index outside the
 * array or a NULL copy.
 */
static int dump_bytecode(const struct pyproc *p, const __u8 *buf, size_t size, __u64 code,
			 __u64 *base)
{
	const struct pyprof_layout *l = &p->info.layout;
	__u64 arr, entry;
	__s64 n;
	__s32 idx;

	*base = code + (__u64)l->code_adaptive;
	if (l->frame_tlbc_index < 0)
		return 0;
	if ((size_t)l->frame_tlbc_index + sizeof(idx) > size)
		return -ERANGE;
	memcpy(&idx, buf + l->frame_tlbc_index, sizeof(idx));
	if (idx == 0)
		return 0;
	if (target_read_ptr(p->pid, code, l->code_tlbc, &arr) ||
	    (arr && target_read(p->pid, arr, &n, sizeof(n))))
		return -EFAULT;
	if (!arr || idx < 0 || n <= idx)
		return -ERANGE;
	if (target_read(p->pid, arr + l->tlbc_entries + (__u64)idx * 8, &entry, sizeof(entry)))
		return -EFAULT;
	if (!entry)
		return -ERANGE;
	*base = entry;
	return 0;
}

/* The frames of one thread, leaf first, as BPF walks them. */
static int dump_frames(struct pyproc *p, __u64 frame, struct strbuf *out)
{
	const struct pyprof_layout *l = &p->info.layout;
	__u8 buf[PYPROF_FRAME_READ];
	struct strbuf name = { 0 };
	size_t size = l->frame_read && l->frame_read <= sizeof(buf) ? l->frame_read : sizeof(buf);
	unsigned int n = 0;
	bool root = false;
	int err = 0;

	for (unsigned int i = 0; frame && i < DUMP_MAX_FRAMES + 64 && !err; i++) {
		struct pyprof_frame f = { 0 };
		__u64 back;
		__u8 owner;

		err = target_read(p->pid, frame, buf, size);
		if (err)
			break;
		f.code = target_field_u64(buf, size, l->frame_code) & ~(__u64)l->tag_mask;
		back = target_field_u64(buf, size, l->frame_back);
		owner = 0;
		if (l->frame_owner >= 0 && (size_t)l->frame_owner < size)
			owner = buf[l->frame_owner];
		/* 3.12+: entry shims and base frames are not Python code (as in BPF). */
		if (l->bottom == PYPROF_BOTTOM_SHIM && owner >= l->owner_shim) {
			root = true;
			frame = back;
			continue;
		}
		/* What ends a complete walk, as in BPF (enum pyprof_bottom). */
		if (l->bottom == PYPROF_BOTTOM_NULL)
			root = true;
		else if (l->bottom == PYPROF_BOTTOM_ENTRY)
			root = l->frame_is_entry >= 0 && (size_t)l->frame_is_entry < size &&
			       buf[l->frame_is_entry] && owner != l->owner_generator;
		else
			root = false;
		if (l->instr_kind == PYPROF_INSTR_PTR) {
			__u64 base;

			err = dump_bytecode(p, buf, size, f.code, &base);
			if (err)
				break;
			f.instr = pyprof_instr_index(target_field_u64(buf, size, l->frame_instr),
						     base);
		} else if (l->frame_instr >= 0 && (size_t)l->frame_instr + 4 <= size) {
			memcpy(&f.instr, buf + l->frame_instr, 4);
		}
		/* Checked now: the cache may hold a freed object's name at this address. */
		(void)symbolize__code_fp(p, f.code, &f.code_fp);
		err = symbolize__frame(p, &f, &name) ?:
		      strbuf__printf(out, "    %s\n", name.buf ? name.buf : "");
		frame = back;
		if (++n >= DUMP_MAX_FRAMES) {
			err = err ?: strbuf__puts(out, "    [python: more frames not shown]\n");
			break;
		}
	}
	if (err == -EFAULT)
		err = strbuf__puts(out, "    [python: unreadable frame]\n");
	else if (err == -ERANGE)
		err = strbuf__puts(out, "    [python: no bytecode copy for the frame]\n");
	else if (!err && !frame && !root)
		err = strbuf__puts(out, "    [python: partial stack]\n");
	strbuf__done(&name);
	return err;
}

/* What the header line of a thread says of it, from the task iterator or /proc. */
struct thread_view {
	long tid;			/* on the host, <= 0: not found */
	char comm[PYPROF_COMM_LEN];	/* the OS thread name */
	bool on_cpu;
	bool running;			/* /proc's R: on a CPU or runnable (no iterator) */
	char state;			/* /proc stat's letter, or made from the task's state */
	const char *since;		/* why the off-CPU time is unknown; NULL: off_ns is it */
	__u64 off_ns;			/* how long it has been off the CPU */
	bool since_mark;		/* off since before recording began: longer than off_ns */
	char kfunc[DUMP_KFUNC_MAX];	/* the kernel function it waits in, "" if unknown */
	__u64 syscall, arg0;		/* the system call it is in (PYPROF_DUMP_NO_SYSCALL) */
};

struct dump_ctx {
	struct pyproc *p;
	const struct dump_deps *deps;
	struct strbuf *out;
	struct tid_map tids;
	struct pyprof_task_info *tasks;	/* sorted by fs base; NULL: no iterator, /proc only */
	size_t nr_tasks;
	const char *no_offcpu;		/* why off_ns means nothing; NULL: it is recorded */
};

static int cmp_fsbase(const void *a, const void *b)
{
	__u64 x = ((const struct pyprof_task_info *)a)->fsbase;
	__u64 y = ((const struct pyprof_task_info *)b)->fsbase;

	return x < y ? -1 : x > y;
}

/* The thread whose fs base (pthread_self()) a tstate's thread_id is, or NULL. */
static const struct pyprof_task_info *task_of(const struct dump_ctx *c, __u64 thread_id)
{
	struct pyprof_task_info key = { .fsbase = thread_id };

	if (!c->nr_tasks || !thread_id)
		return NULL;
	return bsearch(&key, c->tasks, c->nr_tasks, sizeof(key), cmp_fsbase);
}

/* The letter /proc would show for a task state (include/linux/sched.h's bits). */
static char state_letter(__u32 state)
{
	if (state == 0)
		return 'R';
	if (state & 0x0002 && !(state & 0x0400))
		return 'D';	/* TASK_UNINTERRUPTIBLE, and not TASK_NOLOAD (an idle wait) */
	if (state & 0x000c)
		return 'T';	/* __TASK_STOPPED, __TASK_TRACED */
	if (state & 0x00b0)
		return 'Z';	/* EXIT_DEAD, EXIT_ZOMBIE (as __state shows them), TASK_DEAD */
	return 'S';
}

/*
 * The scheduler's own frames and the generic waits under the function that
 * says what a thread waits for: futex_wait under futex_do_wait (6.x;
 * futex_wait_queue before), ep_poll under schedule_hrtimeout_range.
 */
static bool wait_frame(const char *name)
{
	static const char *const generic[] = { "__cond_resched", "futex_do_wait",
					       "futex_wait_queue", "__futex_wait", "wait_woken",
					       NULL };

	if (strstr(name, "schedule"))
		return true;
	for (unsigned int i = 0; generic[i]; i++)
		if (strcmp(name, generic[i]) == 0)
			return true;
	return false;
}

/* A thread preempted on its way back to user mode waits for nothing but a CPU. */
static bool preempted_frame(const char *name)
{
	return strstr(name, "to_user_mode") != NULL;
}

/* The first kernel frame of a blocked task's stack that is not a wait_frame(), or "". */
static void kfunc_of(const struct dump_ctx *c, const struct pyprof_task_info *t, char *out,
		     size_t size)
{
	unsigned int nr = t->nr_kstack < PYPROF_DUMP_KSTACK ? t->nr_kstack : PYPROF_DUMP_KSTACK;
	const char *name;

	out[0] = '\0';
	for (unsigned int i = 0; i < nr; i++) {
		name = ksyms__lookup(c->deps->ksyms, t->kstack[i], NULL);
		if (name && preempted_frame(name))
			return;
		if (name && !wait_frame(name)) {
			snprintf(out, size, "%s", name);
			break;
		}
	}
	/* do_sigtimedwait.isra.0: the compiler's clone of a function is still that function. */
	out[strcspn(out, ".")] = '\0';
}

/* The first line of a /proc/PID/task/TID file, "" if unreadable. */
static void task_file(int pid, long tid, const char *name, char *buf, size_t size)
{
	char path[96];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%ld/%s", pid, tid, name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * /proc's wchan: the kernel skips the scheduler's frames there too.  A
 * generic wait stays: it is one frame, not a stack to look further into.
 */
static void wchan_of(int pid, long tid, struct thread_view *v)
{
	task_file(pid, tid, "wchan", v->kfunc, sizeof(v->kfunc));
	if (strcmp(v->kfunc, "0") == 0 || preempted_frame(v->kfunc))
		v->kfunc[0] = '\0';
	v->kfunc[strcspn(v->kfunc, ".")] = '\0';
}

static void view_from_task(const struct dump_ctx *c, const struct pyprof_task_info *t,
			   struct thread_view *v)
{
	v->tid = t->tid;
	memcpy(v->comm, t->comm, sizeof(v->comm));
	v->comm[sizeof(v->comm) - 1] = '\0';
	v->on_cpu = t->on_cpu;
	v->running = t->on_cpu;
	v->state = state_letter(t->state);
	v->syscall = t->syscall;
	v->arg0 = t->arg0;
	if (v->on_cpu)
		return;
	if (c->deps->ksyms)
		kfunc_of(c, t, v->kfunc, sizeof(v->kfunc));
	else
		wchan_of(c->p->pid, v->tid, v); /* kallsyms hidden (kptr_restrict) */
	if (c->no_offcpu)
		v->since = c->no_offcpu;
	else if (!t->off_ns)
		v->since = "since before recording";
	else /* off since after the iterator's CPU last read its clock: just now */
		v->off_ns = t->off_ns < t->now_ns ? t->now_ns - t->off_ns : 0;
	v->since_mark = t->since_mark;
}

/*
 * Without the iterator: /proc's state letter, comm, wchan (the kernel skips
 * the scheduler's frames there too) and syscall (number, then arguments).
 */
static void view_from_proc(const struct dump_ctx *c, long tid, struct thread_view *v)
{
	char buf[256], *end;

	v->tid = tid;
	v->state = thread_state(c->p->pid, tid);
	v->running = v->state == 'R';
	v->since = "time unknown";
	v->syscall = PYPROF_DUMP_NO_SYSCALL;
	task_file(c->p->pid, tid, "comm", v->comm, sizeof(v->comm));
	if (v->running || !v->state)
		return;
	wchan_of(c->p->pid, tid, v);
	task_file(c->p->pid, tid, "syscall", buf, sizeof(buf));
	errno = 0;
	v->syscall = strtoull(buf, &end, 10);
	if (end == buf || *end != ' ' || errno)
		v->syscall = PYPROF_DUMP_NO_SYSCALL;
	else
		v->arg0 = strtoull(end + 1, NULL, 16);
}

/* What a thread does with its interpreter's GIL. */
enum gil_role {
	GIL_NOT_HELD = 0,	/* or unreadable: nothing said */
	GIL_FREE_THREADED,	/* the build has none */
	GIL_HOLDS,
	GIL_WAITS,		/* in a futex wait on one of the GIL state's words */
};

/*
 * As BPF's gil_gc_tag() and gil_wait_futex() tell, read now: the GIL state
 * of the thread's interpreter (in _PyRuntime up to 3.11, behind the
 * interpreter's pointer from 3.12), locked with this tstate as last holder;
 * or the futex word of the wait the thread is in lying in that state.
 */
static enum gil_role gil_role_of(const struct pyproc *p, __u64 tstate, const __u8 *buf,
				 size_t size, const struct thread_view *v)
{
	const struct pyprof_layout *l = &p->info.layout;
	__u64 interp = target_field_u64(buf, size, l->tstate_interp), gil = 0, holder = 0;
	__u8 g[PYPROF_GIL_READ];
	__u32 locked = 0;

	if (l->runtime_gil < 0 && l->interp_gil < 0)
		return GIL_FREE_THREADED;
	if (l->runtime_gil >= 0)
		gil = p->runtime_addr + (__u64)l->runtime_gil;
	else if (!interp || target_read_ptr(p->pid, interp, l->interp_gil, &gil))
		gil = 0;
	if (!gil)
		return GIL_NOT_HELD;
	/* A running thread's saved user registers are those of its last entry to the kernel. */
	if (!v->on_cpu && !v->running && v->syscall == SYS_futex &&
	    v->arg0 - gil < p->info.gil_state_size)
		return GIL_WAITS;
	if (target_read(p->pid, gil, g, sizeof(g)))
		return GIL_NOT_HELD;
	if (l->gil_locked >= 0 && (size_t)l->gil_locked + sizeof(locked) <= sizeof(g))
		memcpy(&locked, g + l->gil_locked, sizeof(locked));
	if (l->gil_holder >= 0 && (size_t)l->gil_holder + sizeof(holder) <= sizeof(g))
		memcpy(&holder, g + l->gil_holder, sizeof(holder));
	return locked && holder == tstate ? GIL_HOLDS : GIL_NOT_HELD;
}

/* A thread name from another user: quotes, backslashes and control bytes as \xHH. */
static int put_name(struct strbuf *out, const char *name)
{
	int err = strbuf__puts(out, "\"");

	for (const unsigned char *s = (const unsigned char *)name; *s && !err; s++) {
		if (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
			err = strbuf__printf(out, "\\x%02x", *s);
		else
			err = strbuf__append(out, s, 1);
	}
	return err ?: strbuf__puts(out, "\"");
}

/* " 2.31 s", or under a second " 12.3 ms". */
static int put_duration(struct strbuf *out, __u64 ns)
{
	if (ns >= NSEC_PER_SEC)
		return strbuf__printf(out, " %.2f s", (double)ns / NSEC_PER_SEC);
	return strbuf__printf(out, " %.1f ms", (double)ns / NSEC_PER_MSEC);
}

/* The task's state when it is not an ordinary sleep (or being on a CPU), else NULL. */
static const char *state_words(char state)
{
	switch (state) {
	case 'R':
		return "runnable";
	case 'D':
		return "uninterruptible";
	case 'T':
	case 't':
		return "stopped";
	case 'Z':
	case 'X':
		return "exiting";
	default:
		return NULL;
	}
}

/*
 * " 2.31 s", " over 1.20 s (since before recording)" for a wait that began
 * before its process was profiled (only the recorded part is known), or
 * why the time is unknown.
 */
static int put_off_time(struct strbuf *out, const struct thread_view *v)
{
	if (v->since)
		return strbuf__printf(out, " (%s)", v->since);
	if (!v->since_mark)
		return put_duration(out, v->off_ns);
	return strbuf__puts(out, " over") ?: put_duration(out, v->off_ns) ?:
	       strbuf__puts(out, " (since before recording)");
}

/*
 * "on CPU", "running" (/proc's R: on a CPU or waiting for one), or "off CPU
 * 2.31 s in futex_wait" and the state if it is not an ordinary sleep; then
 * what it does with the GIL.
 */
static int put_status(struct strbuf *out, const struct thread_view *v, enum gil_role gil)
{
	static const char *const gil_words[] = {
		[GIL_FREE_THREADED] = ", no GIL",
		[GIL_HOLDS] = ", holding the GIL",
		[GIL_WAITS] = ", waiting for the GIL",
	};
	const char *state = state_words(v->state);
	int err;

	if (v->on_cpu)
		err = strbuf__puts(out, "on CPU");
	else if (v->running)
		err = strbuf__puts(out, "running");
	else
		err = strbuf__puts(out, "off CPU") ?: put_off_time(out, v) ?:
		      (v->kfunc[0] ? strbuf__printf(out, " in %s", v->kfunc) : 0) ?:
		      (state ? strbuf__printf(out, ", %s", state) : 0);
	if (!err && gil_words[gil])
		err = strbuf__puts(out, gil_words[gil]);
	return err;
}

/* The host tid of a namespace tid from /proc (no iterator), or -1. */
static long host_tid_of(struct dump_ctx *c, long ns_tid)
{
	long tid = tid_map_host(&c->tids, ns_tid);

	if (tid <= 0 && c->tids.reads < 2) {
		c->tids.reads++;
		if (tid_map_read(c->p->pid, &c->tids) == 0)
			tid = tid_map_host(&c->tids, ns_tid);
	}
	return tid;
}

/*
 * `Thread TID "comm" (status):`, then where the tid differs in the
 * process's pid namespace.  The thread is found by its fs base in the
 * iterator's records (every version: 3.9/3.10 record no tid), else by the
 * tid CPython records (3.11+) in /proc.
 */
static int dump_header(struct dump_ctx *c, __u64 tstate, const __u8 *buf, size_t size,
		       unsigned int interp)
{
	const char *sub = interp ? " in a subinterpreter" : "";
	__u64 thread_id = target_field_u64(buf, size, c->p->info.layout.tstate_thread_id);
	const struct pyprof_task_info *t = task_of(c, thread_id);
	struct thread_view v = { .syscall = PYPROF_DUMP_NO_SYSCALL };
	const char *name;
	long ns_tid = 0;
	int err;

	if (c->p->info.code.tstate_native_tid >= 0)
		ns_tid = (long)target_field_u64(buf, size, c->p->info.code.tstate_native_tid);
	if (t)
		view_from_task(c, t, &v);
	else if (!c->tasks && ns_tid > 0 && (v.tid = host_tid_of(c, ns_tid)) > 0)
		view_from_proc(c, v.tid, &v);
	if (v.tid > 0 && !v.state)
		v.tid = 0; /* exited meanwhile */
	if (v.tid <= 0 && ns_tid <= 0)
		return strbuf__printf(c->out, "\nThread 0x%llx%s%s:\n",
				      (unsigned long long)thread_id, c->tasks ? " (gone)" : "", sub);
	if (v.tid <= 0)
		return strbuf__printf(c->out, "\nThread %ld (gone)%s:\n", ns_tid, sub);
	if (ns_tid <= 0)
		ns_tid = ns_tid_of(c->p->pid, v.tid);
	/* Python's name for it where pyprofd can read it (pynames.h), else the OS's. */
	name = pynames__name(c->p, (__u32)v.tid, now_ns(), NULL);
	err = strbuf__printf(c->out, "\nThread %ld ", v.tid) ?:
	      put_name(c->out, name && *name ? name : v.comm) ?:
	      strbuf__puts(c->out, " (") ?:
	      put_status(c->out, &v, gil_role_of(c->p, tstate, buf, size, &v)) ?:
	      strbuf__printf(c->out, ")%s", sub);
	if (!err && ns_tid > 0 && ns_tid != v.tid)
		err = strbuf__printf(c->out, ", tid %ld in its pid namespace", ns_tid);
	return err ?: strbuf__puts(c->out, ":\n");
}

static int dump_thread(void *ctx, __u64 tstate, const __u8 *buf, size_t size, unsigned int interp)
{
	struct dump_ctx *c = ctx;
	const struct pyprof_layout *l = &c->p->info.layout;
	__u64 frame;
	int err;

	err = dump_header(c, tstate, buf, size, interp);
	if (err)
		return err;
	frame = target_field_u64(buf, size, l->tstate_frame);
	if (frame && l->cframe_current_frame >= 0 &&
	    target_read_ptr(c->p->pid, frame, l->cframe_current_frame, &frame))
		frame = 0;
	if (!frame)
		return strbuf__puts(c->out, "    [python: no Python frame]\n");
	return dump_frames(c->p, frame, c->out);
}

/* The kernel's view of every thread, from the task iterator; none: /proc. */
static void dump_tasks(struct dump_ctx *c)
{
	struct sampler *s = c->deps->sampler;

	if (!s || sampler__tasks(s, c->p->pid, DUMP_MAX_THREADS * 2, &c->tasks, &c->nr_tasks))
		return;
	if (c->nr_tasks)
		qsort(c->tasks, c->nr_tasks, sizeof(*c->tasks), cmp_fsbase);
	/* off_ns is written only while the process is in BPF's procs map. */
	if (!sampler__offcpu(s))
		c->no_offcpu = "time not recorded: --no-offcpu";
	else if (!c->p->in_bpf)
		c->no_offcpu = "time not recorded";
}

int dump__process(struct pyproc *p, const struct dump_deps *deps, struct strbuf *out)
{
	struct dump_ctx c = { .p = p, .deps = deps, .out = out };
	char v[32];
	int err;

	err = strbuf__printf(out, "Process %d: %s (%s)\nPython v%s%s%s%s\n", p->pid, p->comm,
			     p->exe ? p->exe : "?", pyinterp__build_str(&p->info, v, sizeof(v)),
			     p->info.derived ? " (" : "", p->info.derived ? PYINTERP_DERIVED_NOTE : "",
			     p->info.derived ? ")" : "");
	if (err)
		return err;
	dump_tasks(&c);
	pynames__refresh(p, now_ns()); /* every thread is shown once: new ones named too */
	err = threads__walk(p, DUMP_MAX_THREADS, dump_thread, &c);
	free(c.tids.pairs);
	free(c.tasks);
	return err;
}
