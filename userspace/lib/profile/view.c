// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* view: a stackset seen through pyprofctl's aggregation options. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/util.h"
#include "profile/view.h"

#define VIEW_MAX_SCRIPT_DIRS 64				/* candidates for the script directory */
#define MAP_UNSET	     UINT32_MAX			/* frame not looked at yet */
#define MAP_DROP	     (UINT32_MAX - 1)		/* frame not in the view */

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
	if (f.kind == FRAME_THREAD && !c->v->threads) {
		*ret = c->map[i] = MAP_DROP;
		return 0;
	}
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

/* Adds stack st of in, seen through the view, to out. */
static int view_stack(struct view_ctx *c, const struct stack *st, __u32 *buf, struct stackset *out)
{
	const __u32 *ids = stack__ids(c->in, st);
	sample_tag_t tag;
	size_t nr = 0;
	int err = 0;

	if (st->nr > STACK_MAX_DEPTH)
		return -EINVAL;
	if (!view__selects(c->v, st->tag))
		return 0;
	for (size_t i = 0; i < st->nr && !err; i++) {
		if (ids[i] >= c->in->nr_frames)
			return -EINVAL;
		err = view_frame(c, out, ids[i], &buf[nr]);
		if (!err && buf[nr] != MAP_DROP)
			nr++;
	}
	/* A stack of nothing but dropped frames has no place in the view. */
	tag = c->v->keep_tags ? st->tag : SAMPLE_ON_CPU;
	return err ?: nr ? stackset__add(out, buf, nr, tag, st->count) : 0;
}

int stackset__view(const struct stackset *in, const struct stackset_view *v, struct stackset *out)
{
	struct view_ctx c = { .in = in, .v = v };
	__u32 *buf = malloc(STACK_MAX_DEPTH * sizeof(*buf));
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
