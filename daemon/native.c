// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd --native: stack copies paired with their samples, unwound and merged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "target/nativeunwind.h"
#include "profile/frame.h"
#include "profile/nativemerge.h"
#include "profile/profile.h"
#include "clock.h"
#include "mapfile.h"
#include "native.h"
#include "pyproc.h"

#define NATIVE_MARKER "[native: partial stack]"

struct native {
	struct native_unwinder *u;
	struct pyprof_native *pending[PYPROFD_NATIVE_PENDING];	/* by CPU, allocated when used */
	struct native_stack st;
	struct merge_py py[PYPROF_MAX_FRAMES];
	struct merge_native nat[NATIVE_MAX_FRAMES];
	struct native_stats stats;
};

/*
 * The unwinder's way to a module: the file mapped (map_files), whatever its
 * path names now (an upgrade renames a library over the mapped one), else by
 * path if it is still that file (mapfile.c).
 */
static int open_mapped(void *ctx, int pid, const struct procmap *m)
{
	struct mapfile_ref ref;
	enum mapfile_via via;
	int err;

	(void)ctx;
	err = mapfile__ref_map(&ref, "/proc", pid, m);
	return err ?: mapfile__open(&ref, &via);
}

struct native *native__new(void)
{
	struct native *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->u = native_unwinder__new("/proc", open_mapped, NULL);
	if (!n->u) {
		free(n);
		return NULL;
	}
	return n;
}

void native__free(struct native *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < PYPROFD_NATIVE_PENDING; i++)
		free(n->pending[i]);
	native_unwinder__free(n->u);
	free(n);
}

void native__forget(struct native *n, int pid)
{
	if (n)
		native_unwinder__forget(n->u, pid);
}

void native__stats(const struct native *n, struct native_stats *ret)
{
	*ret = n ? n->stats : (struct native_stats){ 0 };
	if (n)
		native_unwinder__stats(n->u, &ret->symtabs_read, &ret->symtabs_shared,
				       &ret->symtabs_debug);
}

void native__record(struct native *n, const struct pyprof_native *e, size_t size)
{
	struct pyprof_native **slot;

	n->stats.received++;
	if (size < sizeof(*e) || e->len > PYPROF_NATIVE_STACK ||
	    e->hdr.cpu >= PYPROFD_NATIVE_PENDING) {
		n->stats.malformed++;
		return;
	}
	slot = &n->pending[e->hdr.cpu];
	if (!*slot)
		*slot = malloc(sizeof(**slot));
	if (!*slot)
		return;
	if ((*slot)->hdr.kind == PYPROF_EV_NATIVE)
		n->stats.orphaned++;
	memcpy(*slot, e, sizeof(*e));
}

/* The copy sent for s, taken off its slot: NULL if none. */
static struct pyprof_native *take(struct native *n, const struct pyprof_sample *s)
{
	struct pyprof_native *e = s->hdr.cpu < PYPROFD_NATIVE_PENDING ? n->pending[s->hdr.cpu] : NULL;

	if (!e || e->hdr.kind != PYPROF_EV_NATIVE || e->hdr.ts != s->hdr.ts ||
	    e->hdr.tid != s->hdr.tid)
		return NULL;
	e->hdr.kind = 0;
	return e;
}

/*
 * The interpreter's call plumbing between Python frames, hidden unless
 * --native-all: the C API's dispatch and the loader's start, not the
 * modules built into the interpreter (3.11's _json is).
 */
static bool internal(const struct native_frame *f)
{
	static const char *const interp[] = { "_Py", "Py", "_py", "cfunction_", "method_vectorcall",
					      "vectorcall", "slot_tp_", "object_vacall", "pymain_" };
	static const char *const start[] = { "__libc_start_call_main", "__libc_start_main",
					     "_start" };

	for (size_t i = 0; f->interp && i < sizeof(interp) / sizeof(interp[0]); i++)
		if (strncmp(f->name, interp[i], strlen(interp[i])) == 0)
			return true;
	for (size_t i = 0; i < sizeof(start) / sizeof(start[0]); i++)
		if (strcmp(f->name, start[i]) == 0)
			return true;
	return f->interp && strcmp(f->name, "main") == 0;
}

/*
 * The eval loop: GCC may split its body into _PyEval_EvalFrameDefault.cold
 * (3.14, 3.15), whose CFI is still that call's frame.
 */
static bool is_eval(const struct native_frame *f)
{
	return strncmp(f->name, "_PyEval_EvalFrameDefault", 24) == 0 &&
	       (!f->name[24] || f->name[24] == '.');
}

static int native_ids(struct native *n, struct pyproc *p, size_t *nr)
{
	struct frame fr = { .kind = FRAME_NATIVE, .line = FRAME_LINE_NONE };
	int err = 0;

	*nr = n->st.nr;
	for (size_t i = 0; i < n->st.nr && !err; i++) {
		const struct native_frame *f = &n->st.frames[i];

		fr.name = f->name;
		fr.file = f->module;
		fr.func_line = internal(f) ? FRAME_NATIVE_INTERNAL : FRAME_LINE_NONE;
		n->nat[i].eval = is_eval(f);
		err = profile__intern(p->profile, &fr, &n->nat[i].id);
	}
	return err;
}

int native__stack(struct native *n, struct pyproc *p, const struct pyprof_sample *s,
		  const __u32 *py_ids, __u32 *out, size_t max)
{
	const struct frame mark = { .kind = FRAME_NATIVE, .name = NATIVE_MARKER,
				    .line = FRAME_LINE_NONE, .func_line = FRAME_LINE_NONE };
	struct pyprof_native *e = n ? take(n, s) : NULL;
	struct native_regs r;
	__u64 t0 = now_ns();
	size_t nr_nat = 0;
	__u32 marker;
	int ret;

	if (!e)
		return -ENOENT;
	r = (struct native_regs){ .ip = e->ip, .sp = e->sp, .bp = e->bp, .stack = e->stack,
				  .len = e->len };
	ret = native_unwinder__unwind(n->u, p->pid, (int)s->hdr.tid, &r, &n->st);
	if (ret == -ENOENT)
		n->stats.no_elf++;
	if (!ret)
		ret = native_ids(n, p, &nr_nat) ?: profile__intern(p->profile, &mark, &marker);
	for (size_t i = 0; !ret && i < s->nr_frames && i < PYPROF_MAX_FRAMES; i++) {
		n->py[i].id = py_ids[i];
		n->py[i].entry = e->entry[i / 64] >> (i % 64) & 1;
	}
	if (!ret)
		ret = nativemerge(n->py, s->nr_frames, n->nat, nr_nat, n->st.truncated, marker,
				  out, max);
	if (ret == -E2BIG)
		n->stats.too_deep++;
	if (ret >= 0) {
		n->stats.unwound++;
		n->stats.truncated += n->st.truncated;
		n->stats.unmatched += ret > 0 && out[ret - 1] == marker;
	}
	n->stats.unwind_ns += now_ns() - t0;
	return ret < 0 ? -ENOENT : ret;
}
