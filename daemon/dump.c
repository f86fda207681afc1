// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the current Python stack of every thread of a process, read from its memory now. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "clock.h"
#include "dump.h"
#include "pynames.h"
#include "pyproc.h"
#include "symbolize.h"
#include "target.h"
#include "threads.h"

/* Bounds against a corrupt or cyclic structure in the target. */
#define DUMP_MAX_THREADS 4096
#define DUMP_MAX_FRAMES	 4096

/* A thread's id in its own pid namespace (what CPython records) and on the host. */
struct tid_pair {
	long ns_tid, host_tid;
};

struct tid_map {
	struct tid_pair *pairs;
	size_t nr, cap;
	bool reread;	/* read again once for a thread started after the first read */
};

/* The last NSpid field of /proc/PID/task/TID/status: the tid in the thread's own namespace. */
static long ns_tid_of(int pid, long tid)
{
	char path[96], line[256], *tok, *save = NULL;
	long last = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/status", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (tok = strtok_r(line + 6, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			last = strtol(tok, NULL, 10);
		break;
	}
	fclose(f);
	return last;
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

struct dump_ctx {
	struct pyproc *p;
	struct strbuf *out;
	struct tid_map tids;
	struct strbuf name;	/* dump_name()'s */
};

/* " \"NAME\"", the thread's name escaped (pynames.h), or "" (pynames: the only lines). */
static const char *dump_name(struct dump_ctx *c, long tid, struct strbuf *sb)
{
	const char *name = tid > 0 ? pynames__name(c->p, (__u32)tid, now_ns(), NULL) : NULL;

	strbuf__reset(sb);
	if (!name || !*name || strbuf__puts(sb, " \"") ||
	    term__put_text(sb, name, strlen(name), NULL) || strbuf__puts(sb, "\""))
		return "";
	return sb->buf;
}

static int dump_header(struct dump_ctx *c, const __u8 *buf, size_t size, unsigned int interp)
{
	const char *sub = interp ? " in a subinterpreter" : "";
	__u64 thread_id = target_field_u64(buf, size, c->p->info.layout.tstate_thread_id);
	long ns_tid = 0, tid;
	const char *state, *name;

	if (c->p->info.code.tstate_native_tid >= 0)
		ns_tid = (long)target_field_u64(buf, size, c->p->info.code.tstate_native_tid);
	/* 3.9, 3.10: no native id in the tstate; threading._active maps its thread_id. */
	if (ns_tid <= 0 && pynames__by_ident(c->p, thread_id, now_ns(), &ns_tid, &tid))
		ns_tid = 0;
	if (ns_tid <= 0)
		return strbuf__printf(c->out, "\nThread 0x%llx%s:\n", (unsigned long long)thread_id,
				      sub);
	tid = tid_map_host(&c->tids, ns_tid);
	if (tid <= 0 && !c->tids.reread) {
		c->tids.reread = true;
		if (tid_map_read(c->p->pid, &c->tids) == 0)
			tid = tid_map_host(&c->tids, ns_tid);
	}
	state = tid > 0 ? thread_state(c->p->pid, tid) : NULL;
	name = dump_name(c, tid, &c->name);
	if (tid <= 0)
		return strbuf__printf(c->out, "\nThread %ld (gone)%s:\n", ns_tid, sub);
	if (tid != ns_tid)
		return strbuf__printf(c->out,
				      "\nThread %ld%s (%s)%s, tid %ld in its pid namespace:\n", tid,
				      name, state ? state : "gone", sub, ns_tid);
	return strbuf__printf(c->out, "\nThread %ld%s (%s)%s:\n", tid, name, state ? state : "gone",
			      sub);
}

static int dump_thread(void *ctx, __u64 tstate, const __u8 *buf, size_t size, unsigned int interp)
{
	struct dump_ctx *c = ctx;
	const struct pyprof_layout *l = &c->p->info.layout;
	__u64 frame;
	int err;

	err = dump_header(c, buf, size, interp);
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

int dump__process(struct pyproc *p, struct strbuf *out)
{
	struct dump_ctx c = { .p = p, .out = out };
	char v[32];
	int err;

	err = strbuf__printf(out, "Process %d: %s (%s)\nPython v%s%s%s%s\n", p->pid, p->comm,
			     p->exe ? p->exe : "?", pyinterp__build_str(&p->info, v, sizeof(v)),
			     p->info.derived ? " (" : "", p->info.derived ? PYINTERP_DERIVED_NOTE : "",
			     p->info.derived ? ")" : "");
	if (err)
		return err;
	/* Every version: 3.9 and 3.10 have native ids from threading._active (pynames.h). */
	err = tid_map_read(p->pid, &c.tids);
	pynames__refresh(p, now_ns());
	err = err ?: threads__walk(p, DUMP_MAX_THREADS, dump_thread, &c);
	free(c.tids.pairs);
	strbuf__done(&c.name);
	return err;
}
