// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* view: a stackset seen through pyprofctl's aggregation options. */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/util.h"
#include "profile/view.h"

#define VIEW_MAX_SCRIPT_DIRS 64				/* candidates for the script directory */
#define MAP_UNSET	     UINT32_MAX			/* frame not looked at yet */
#define MAP_DROP	     (UINT32_MAX - 1)		/* frame not in the view */
#define VIEW_MAX_MARKERS     2				/* marker frames a tag adds */
#define VIEW_MAX_FRAMES	     (STACK_MAX_DEPTH + VIEW_MAX_MARKERS)	/* a stack being built */

/* The suffix of file after the last "/site-packages/" or "/dist-packages/", or NULL. */
static const char *after_packages(const char *file)
{
	static const char *const dirs[] = { "/site-packages/", "/dist-packages/" };
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		for (const char *p = file; (p = strstr(p, dirs[i])); p++)
			if (!best || p + strlen(dirs[i]) > best)
				best = p + strlen(dirs[i]);
	}
	return best;
}

/* The length of "pythonX.Y/" (or "pythonX.Yt/") at p, or 0. */
static size_t python_dir_len(const char *p)
{
	const char *q = p + strlen("python");
	size_t digits;

	if (strncmp(p, "python", strlen("python")))
		return 0;
	digits = strspn(q, "0123456789");
	if (!digits || q[digits] != '.')
		return 0;
	q += digits + 1;
	digits = strspn(q, "0123456789");
	if (!digits)
		return 0;
	q += digits;
	if (*q == 't')
		q++;
	return *q == '/' ? (size_t)(q + 1 - p) : 0;
}

/* The suffix of file after the last ".../lib/pythonX.Y/" (or lib64), or NULL. */
static const char *after_stdlib(const char *file)
{
	const char *best = NULL;

	for (const char *p = file; (p = strstr(p, "lib")); p++) {
		size_t lib = strncmp(p, "lib64/", 6) == 0 ? 6 : strncmp(p, "lib/", 4) == 0 ? 4 : 0;
		size_t py;

		if (!lib || (p != file && p[-1] != '/'))
			continue;
		py = python_dir_len(p + lib);
		if (py)
			best = p + lib + py;
	}
	return best;
}

const char *view__short_file(const char *file, const char *script_dir, size_t script_dir_len)
{
	const char *s = after_packages(file);

	if (!s)
		s = after_stdlib(file);
	if (!s && script_dir && script_dir_len && strncmp(file, script_dir, script_dir_len) == 0)
		s = file + script_dir_len;
	return s && *s ? s : file;
}

struct script_dir {
	const char *dir;	/* the file of a "<module>" frame, up to its last '/' included */
	size_t len;
	__u64 count;
};

/* Counts the stack's outermost Python frame's directory if it is a "<module>" one. */
static int script_dir__count(struct script_dir **dirs, size_t *nr, size_t *cap,
			     const struct stackset *ss, const struct stack *st)
{
	const __u32 *ids = stack__ids(ss, st);
	const struct frame *f = NULL;
	const char *slash;
	size_t i, len;

	for (i = 0; i < st->nr && !f; i++)
		if (ss->frames[ids[i]].kind == FRAME_PYTHON)
			f = &ss->frames[ids[i]];
	if (!f || strcmp(f->name, "<module>") || !f->file || !(slash = strrchr(f->file, '/')))
		return 0;
	len = (size_t)(slash + 1 - f->file);
	if (len < 2)	/* "/": everything would be under it */
		return 0;
	for (i = 0; i < *nr; i++)
		if ((*dirs)[i].len == len && strncmp((*dirs)[i].dir, f->file, len) == 0)
			break;
	if (i == *nr) {
		if (*nr >= VIEW_MAX_SCRIPT_DIRS)
			return 0;
		if (grow_array((void **)dirs, cap, *nr + 1, sizeof(**dirs)))
			return -ENOMEM;
		(*dirs)[(*nr)++] = (struct script_dir){ .dir = f->file, .len = len };
	}
	(*dirs)[i].count += st->count;
	return 0;
}

/* Whether v shows stacks of tag. */
static bool view__selects(const struct stackset_view *v, sample_tag_t tag)
{
	if (!v->by_tag)
		return (tag & SAMPLE_OFF_CPU) == 0;
	return (tag & v->tag_mask) == v->tag_value;
}

/* The process's script directory: the one of the most samples (the first of equals). */
static int find_script_dir(const struct stackset *ss, const struct stackset_view *v,
			   const char **ret, size_t *ret_len)
{
	struct script_dir *dirs = NULL;
	size_t nr = 0, cap = 0, best = 0;
	int err = 0;

	*ret = NULL;
	*ret_len = 0;
	for (size_t i = 0; i < ss->nr && !err; i++)
		if (view__selects(v, ss->stacks[i].tag))
			err = script_dir__count(&dirs, &nr, &cap, ss, &ss->stacks[i]);
	for (size_t i = 1; i < nr && !err; i++)
		if (dirs[i].count > dirs[best].count)
			best = i;
	if (!err && nr) {
		*ret = dirs[best].dir;
		*ret_len = dirs[best].len;
	}
	free(dirs);
	return err;
}

struct view_ctx {
	const struct stackset *in;
	const struct stackset_view *v;
	const char *script_dir;
	size_t script_dir_len;
	__u32 *map;		/* in's frame index -> out's, MAP_DROP or MAP_UNSET */
	__u32 gc_id, gil_wait_id;	/* out's marker frames, MAP_UNSET until first used */
};

/* out's index of in's frame i seen through the view, or MAP_DROP. */
static int view_frame(struct view_ctx *c, struct stackset *out, __u32 i, __u32 *ret)
{
	struct frame f = c->in->frames[i];
	int err;

	if (c->map[i] != MAP_UNSET) {
		*ret = c->map[i];
		return 0;
	}
	if ((f.kind == FRAME_THREAD && !c->v->threads) ||
	    (f.kind == FRAME_MARKER && f.func_line == FRAME_MARKER_NATIVE_STANDIN && c->v->native) ||
	    (f.kind == FRAME_NATIVE && (!c->v->native ||
					(f.func_line == FRAME_NATIVE_INTERNAL && !c->v->native_all)))) {
		*ret = c->map[i] = MAP_DROP;
		return 0;
	}
	/* Merged with the same marker where the thread's native stack was not unwound. */
	if (f.kind == FRAME_MARKER)
		f.func_line = FRAME_LINE_NONE;
	if (f.kind == FRAME_PYTHON) {
		if (c->v->no_lines)
			f.line = FRAME_LINE_NONE;
		else if (c->v->function)
			f.line = f.func_line >= 0 ? f.func_line : FRAME_LINE_NONE;
		if (f.file && !c->v->full_filenames)
			f.file = view__short_file(f.file, c->script_dir, c->script_dir_len);
	}
	err = stackset__frame(out, &f, ret);
	if (!err)
		c->map[i] = *ret;
	return err;
}

/* Whether thread frame f is of a thread v asks for, by tid and by name. */
static bool view__thread_matches(const struct stackset_view *v, const struct frame *f)
{
	bool tid = !v->nr_tids, name = !v->nr_thread_names;

	for (size_t j = 0; j < v->nr_tids && !tid; j++)
		tid = f->line == v->tids[j];
	for (size_t j = 0; j < v->nr_thread_names && !name; j++)
		name = fnmatch(v->thread_names[j], f->name ? f->name : "", 0) == 0;
	return tid && name;
}

/* Whether st is of a thread v asks for (every stack when v names none). */
static bool view__thread_selected(const struct view_ctx *c, const struct stack *st)
{
	const __u32 *ids = stack__ids(c->in, st);

	if (!c->v->nr_tids && !c->v->nr_thread_names)
		return true;
	for (size_t i = 0; i < st->nr; i++) {
		const struct frame *f = &c->in->frames[ids[i]];

		if (f->kind == FRAME_THREAD)
			return view__thread_matches(c->v, f);
	}
	return false;	/* no thread frame (PYPROF/1 text): of no thread asked for */
}

/*
 * Where st's markers go: after its last Python frame; without one, before
 * the kernel frames that end it; never before the root.
 */
static size_t marker_position(const struct stackset *in, const struct stack *st)
{
	const __u32 *ids = stack__ids(in, st);
	size_t pos = st->nr;

	for (size_t i = st->nr; i > 0; i--)
		if (in->frames[ids[i - 1]].kind == FRAME_PYTHON)
			return i;
	while (pos > 1 && in->frames[ids[pos - 1]].kind == FRAME_KERNEL)
		pos--;
	return pos;
}

/* Appends the marker name (interned once into *id) to buf[*nr]. */
static int add_marker(struct stackset *out, const char *name, __u32 *id, __u32 *buf, size_t *nr)
{
	struct frame f = { .kind = FRAME_MARKER, .name = name, .line = FRAME_LINE_NONE,
			   .func_line = FRAME_LINE_NONE };
	int err = 0;

	if (*id == MAP_UNSET)
		err = stackset__frame(out, &f, id);
	if (!err)
		buf[(*nr)++] = *id;
	return err;
}

/* The markers st's tag calls for (at most VIEW_MAX_MARKERS), at buf[*nr]. */
static int add_markers(struct view_ctx *c, const struct stack *st, struct stackset *out,
		       __u32 *buf, size_t *nr)
{
	int err = 0;

	if (c->v->gc_marker && (st->tag & SAMPLE_GC))
		err = add_marker(out, VIEW_MARKER_GC, &c->gc_id, buf, nr);
	if (!err && c->v->gil_wait_marker && (st->tag & SAMPLE_GIL_WAIT))
		err = add_marker(out, VIEW_MARKER_GIL_WAIT, &c->gil_wait_id, buf, nr);
	return err;
}

/*
 * A stack made deeper than STACK_MAX_DEPTH by its markers loses frames at
 * its leaf end, those nearest the markers, not the markers: the tag stays
 * shown.  Markers sit at buf[at..at+nr_markers).
 */
static void fit_depth(__u32 *buf, size_t *nr, size_t at, size_t nr_markers)
{
	size_t excess = *nr > STACK_MAX_DEPTH ? *nr - STACK_MAX_DEPTH : 0;

	if (!excess)
		return;
	if (at + nr_markers == *nr && at > excess)
		memmove(buf + at - excess, buf + at, nr_markers * sizeof(*buf));
	*nr -= excess;
}

/* st's count in the view's unit: on-CPU samples as ns for the wall view. */
static int view_count(const struct stackset_view *v, const struct stack *st, __u64 *ret)
{
	*ret = st->count;
	if (!v->on_cpu_ns || (st->tag & SAMPLE_OFF_CPU))
		return 0;
	if (st->count > UINT64_MAX / v->on_cpu_ns)
		return -EINVAL;
	*ret = st->count * v->on_cpu_ns;
	return 0;
}

/*
 * Adds stack st of in, seen through the view, to out (buf: room for
 * VIEW_MAX_FRAMES).
 */
static int view_stack(struct view_ctx *c, const struct stack *st, __u32 *buf, struct stackset *out)
{
	const __u32 *ids = stack__ids(c->in, st);
	size_t nr = 0, pos, at = 0, markers = 0;
	sample_tag_t tag;
	__u64 count;
	int err = 0;

	if (st->nr > STACK_MAX_DEPTH)
		return -EINVAL;
	for (size_t i = 0; i < st->nr; i++)
		if (ids[i] >= c->in->nr_frames)
			return -EINVAL;
	if (!view__selects(c->v, st->tag) || !view__thread_selected(c, st))
		return 0;
	pos = marker_position(c->in, st);
	for (size_t i = 0; i <= st->nr && !err; i++) {
		if (i == pos) {
			at = nr;
			err = add_markers(c, st, out, buf, &nr);
			markers = nr - at;
		}
		if (err || i == st->nr)
			break;
		err = view_frame(c, out, ids[i], &buf[nr]);
		if (!err && buf[nr] != MAP_DROP)
			nr++;
	}
	fit_depth(buf, &nr, at, markers);
	err = err ?: view_count(c->v, st, &count);
	/* A stack of nothing but dropped frames has no place in the view. */
	tag = c->v->keep_tags ? st->tag : SAMPLE_ON_CPU;
	return err ?: nr > markers ? stackset__add(out, buf, nr, tag, count) : 0;
}

int stackset__view(const struct stackset *in, const struct stackset_view *v, struct stackset *out)
{
	struct view_ctx c = { .in = in, .v = v, .gc_id = MAP_UNSET, .gil_wait_id = MAP_UNSET };
	__u32 *buf = malloc(VIEW_MAX_FRAMES * sizeof(*buf));
	int err = buf ? 0 : -ENOMEM;

	if (!err && in->nr_frames) {
		c.map = malloc(in->nr_frames * sizeof(*c.map));
		err = c.map ? 0 : -ENOMEM;
	}
	if (!err && !v->full_filenames)
		err = find_script_dir(in, v, &c.script_dir, &c.script_dir_len);
	for (size_t i = 0; !err && i < in->nr_frames; i++)
		c.map[i] = MAP_UNSET;
	for (size_t i = 0; !err && i < in->nr; i++)
		err = view_stack(&c, &in->stacks[i], buf, out);
	if (err)
		stackset__done(out);
	free(c.map);
	free(buf);
	return err;
}

static const char *const mode_names[VIEW_MODE__MAX] = {
	[VIEW_MODE_CPU] = "cpu",
	[VIEW_MODE_WALL] = "wall",
	[VIEW_MODE_OFFCPU] = "offcpu",
	[VIEW_MODE_GIL] = "gil",
};

const char *view_mode__name(enum view_mode mode)
{
	return (unsigned int)mode < VIEW_MODE__MAX ? mode_names[mode] : NULL;
}

int view_mode__parse(const char *name, enum view_mode *ret)
{
	for (unsigned int m = 0; m < VIEW_MODE__MAX; m++)
		if (strcmp(name, mode_names[m]) == 0) {
			*ret = (enum view_mode)m;
			return 0;
		}
	return -EINVAL;
}

enum view_unit view_mode__unit(enum view_mode mode)
{
	return mode == VIEW_MODE_WALL || mode == VIEW_MODE_OFFCPU ? VIEW_UNIT_NS
								 : VIEW_UNIT_SAMPLES;
}

int stackset_view__set_mode(struct stackset_view *v, enum view_mode mode, __u64 period_ns)
{
	v->by_tag = true;
	v->on_cpu_ns = 0;
	switch (mode) {
	case VIEW_MODE_CPU:
		v->tag_mask = SAMPLE_OFF_CPU;
		v->tag_value = SAMPLE_ON_CPU;
		return 0;
	case VIEW_MODE_WALL:
		/* Every stack: on-CPU samples stand for period_ns each. */
		v->tag_mask = 0;
		v->tag_value = 0;
		v->on_cpu_ns = period_ns;
		return period_ns ? 0 : -EINVAL;
	case VIEW_MODE_OFFCPU:
		v->tag_mask = SAMPLE_OFF_CPU;
		v->tag_value = SAMPLE_OFF_CPU;
		return 0;
	case VIEW_MODE_GIL:
		v->tag_mask = SAMPLE_OFF_CPU | SAMPLE_GIL;
		v->tag_value = SAMPLE_GIL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Stacks of one set by their tag and frame sequence in a common frame space (subtract's). */
struct stack_key {
	const __u32 *ids;	/* common frame indexes */
	size_t nr;
	sample_tag_t tag;
	size_t stack;		/* index in its set */
};

static int stack_key__cmp(const void *a, const void *b)
{
	const struct stack_key *x = a, *y = b;
	size_t n = x->nr < y->nr ? x->nr : y->nr;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	for (size_t i = 0; i < n; i++)
		if (x->ids[i] != y->ids[i])
			return x->ids[i] < y->ids[i] ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

/* Keys of every stack of ss with its frames interned in common (ids: their storage). */
static int stack_keys(const struct stackset *ss, struct stackset *common, __u32 **ret_ids,
		      struct stack_key **ret_keys)
{
	size_t nr_ids = 0;
	__u32 *ids;
	struct stack_key *keys;
	int err;

	for (size_t i = 0; i < ss->nr; i++)
		if (ss->stacks[i].off + (size_t)ss->stacks[i].nr > nr_ids)
			nr_ids = ss->stacks[i].off + (size_t)ss->stacks[i].nr;
	ids = malloc((nr_ids ?: 1) * sizeof(*ids));
	keys = malloc((ss->nr ?: 1) * sizeof(*keys));
	err = ids && keys ? 0 : -ENOMEM;

	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *src = stack__ids(ss, st);

		for (size_t j = 0; j < st->nr && !err; j++) {
			if (src[j] >= ss->nr_frames)
				err = -EINVAL;
			else
				err = stackset__frame(common, &ss->frames[src[j]], &ids[st->off + j]);
		}
		keys[i] = (struct stack_key){ .ids = ids + st->off, .nr = st->nr, .tag = st->tag,
					      .stack = i };
	}
	if (err) {
		free(ids);
		free(keys);
		ids = NULL;
		keys = NULL;
	}
	*ret_ids = ids;
	*ret_keys = keys;
	return err;
}

/* Adds stack st of ss to out with count. */
static int copy_stack(const struct stackset *ss, const struct stack *st, __u64 count, __u32 *buf,
		      struct stackset *out)
{
	const __u32 *ids = stack__ids(ss, st);
	int err = st->nr > STACK_MAX_DEPTH ? -EINVAL : 0;

	for (size_t i = 0; i < st->nr && !err; i++)
		err = stackset__frame(out, &ss->frames[ids[i]], &buf[i]);
	return err ?: stackset__add(out, buf, st->nr, st->tag, count);
}

int stackset__subtract(const struct stackset *cur, const struct stackset *prev,
		       struct stackset *out)
{
	struct stackset common = { 0 };
	struct stack_key *ckeys = NULL, *pkeys = NULL, *hit;
	__u32 *cids = NULL, *pids = NULL, *buf = malloc(STACK_MAX_DEPTH * sizeof(*buf));
	__u64 *before = calloc(cur->nr ?: 1, sizeof(*before));
	int err = buf && before ? 0 : -ENOMEM;

	err = err ?: stack_keys(cur, &common, &cids, &ckeys) ?:
		     stack_keys(prev, &common, &pids, &pkeys);
	if (!err && cur->nr)
		qsort(ckeys, cur->nr, sizeof(*ckeys), stack_key__cmp);
	for (size_t i = 0; !err && cur->nr && i < prev->nr; i++) {
		hit = bsearch(&pkeys[i], ckeys, cur->nr, sizeof(*ckeys), stack_key__cmp);
		if (hit)
			before[hit->stack] += prev->stacks[pkeys[i].stack].count;
	}
	for (size_t i = 0; !err && i < cur->nr; i++) {
		const struct stack *st = &cur->stacks[i];
		/* Fewer than before: a window left the history; count what is there. */
		__u64 n = st->count >= before[i] ? st->count - before[i] : st->count;

		if (n)
			err = copy_stack(cur, st, n, buf, out);
	}
	if (err)
		stackset__done(out);
	stackset__done(&common);
	free(ckeys);
	free(pkeys);
	free(cids);
	free(pids);
	free(before);
	free(buf);
	return err;
}
