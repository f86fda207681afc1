// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the current Python stack of every thread of a process, read from its memory now. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "strbuf.h"
#include "pyprofd.h"

/* Bounds against a corrupt or cyclic structure in the target. */
#define DUMP_MAX_INTERPS 64
#define DUMP_MAX_THREADS 4096
#define DUMP_MAX_FRAMES	 4096

static __u64 field_u64(const __u8 *buf, size_t size, __s16 off)
{
	__u64 v = 0;

	if (off >= 0 && (size_t)off + 8 <= size)
		memcpy(&v, buf + off, 8);
	return v;
}

static int read_ptr(int pid, __u64 addr, __s16 off, __u64 *ret)
{
	if (off < 0)
		return -EINVAL;
	return target_read(pid, addr + (__u64)off, ret, sizeof(*ret));
}

/* "running", "sleeping", ... from /proc/PID/task/TID/stat, or NULL. */
static const char *thread_state(int pid, long tid)
{
	char path[96], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ')
		return NULL;
	switch (rp[2]) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "waiting for I/O";
	case 'T':
	case 't':
		return "stopped";
	case 'Z':
		return "zombie";
	default:
		return "other";
	}
}

/* The frames of one thread, leaf first, as BPF walks them. */
static int dump_frames(struct pyproc *p, __u64 frame, struct strbuf *out)
{
	const struct pyprof_layout *l = &p->info.layout;
	__u8 buf[PYPROF_FRAME_READ];
	struct strbuf name = { 0 };
	size_t size = l->frame_read && l->frame_read <= sizeof(buf) ? l->frame_read : sizeof(buf);
	unsigned int n = 0;
	int err = 0;

	for (unsigned int i = 0; frame && i < DUMP_MAX_FRAMES + 64 && !err; i++) {
		struct pyprof_frame f = { 0 };
		__u64 back;

		err = target_read(p->pid, frame, buf, size);
		if (err)
			break;
		f.code = field_u64(buf, size, l->frame_code) & ~(__u64)l->tag_mask;
		back = field_u64(buf, size, l->frame_back);
		/* 3.12+: frames owned by the C stack are entry shims, not Python code. */
		if (l->frame_owner >= 0 && (size_t)l->frame_owner < size &&
		    buf[l->frame_owner] == l->owner_cstack) {
			frame = back;
			continue;
		}
		if (l->instr_kind == PYPROF_INSTR_PTR) {
			__s64 instr = (__s64)(field_u64(buf, size, l->frame_instr) - f.code -
					      (__u64)l->code_adaptive) >> 1;

			f.instr = instr < -1 || instr > 0x7fffffff ? -1 : (__s32)instr;
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
	strbuf__done(&name);
	return err;
}

int dump__process(struct pyproc *p, struct strbuf *out)
{
	const struct pyprof_layout *l = &p->info.layout;
	const struct pycode_layout *c = &p->info.code;
	__u64 interp = 0, ts;
	__u8 tsbuf[PYPROF_TSTATE_READ];
	unsigned int threads = 0;
	char v[32];
	int err;

	err = strbuf__printf(out, "Process %d: %s (%s)\nPython v%s\n", p->pid, p->comm,
			     p->exe ? p->exe : "?",
			     pyinterp__version_str(p->info.version_hex, v, sizeof(v)));
	if (err)
		return err;
	err = read_ptr(p->pid, p->runtime_addr, l->runtime_interp_head, &interp);
	if (err)
		return procs__proc_alive(p->pid) ? err : -ESRCH;
	for (unsigned int ni = 0; interp && ni < DUMP_MAX_INTERPS; ni++) {
		if (read_ptr(p->pid, interp, l->interp_threads_head, &ts))
			return -EFAULT;
		for (; ts && threads < DUMP_MAX_THREADS; threads++) {
			__u64 frame = 0, thread_id;
			long tid = 0;
			const char *state = NULL;

			if (target_read(p->pid, ts, tsbuf, sizeof(tsbuf)))
				return -EFAULT;
			thread_id = field_u64(tsbuf, sizeof(tsbuf), l->tstate_thread_id);
			if (c->tstate_native_tid >= 0)
				tid = (long)field_u64(tsbuf, sizeof(tsbuf), c->tstate_native_tid);
			if (tid > 0)
				state = thread_state(p->pid, tid);
			if (tid > 0)
				err = strbuf__printf(out, "\nThread %ld (%s)%s:\n", tid,
						     state ? state : "gone",
						     ni ? " in a subinterpreter" : "");
			else
				err = strbuf__printf(out, "\nThread 0x%llx%s:\n",
						     (unsigned long long)thread_id,
						     ni ? " in a subinterpreter" : "");
			if (err)
				return err;
			frame = field_u64(tsbuf, sizeof(tsbuf), l->tstate_frame);
			if (frame && l->cframe_current_frame >= 0 &&
			    read_ptr(p->pid, frame, l->cframe_current_frame, &frame))
				frame = 0;
			if (!frame)
				err = strbuf__puts(out, "    [python: no Python frame]\n");
			else
				err = dump_frames(p, frame, out);
			if (err)
				return err;
			ts = field_u64(tsbuf, sizeof(tsbuf), l->tstate_next);
		}
		if (read_ptr(p->pid, interp, l->interp_next, &interp))
			break;
	}
	return 0;
}
