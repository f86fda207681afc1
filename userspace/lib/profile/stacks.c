// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* stacks: a profile as a set of (stack, count) over interned frames (see stacks.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "profile/stacks.h"
#include "base/strbuf.h"
#include "base/util.h"

#define CHUNK_SIZE 65536	/* bytes of a string arena chunk (longer strings get their own) */

struct stackset_string {
	const char *s;		/* NUL-terminated, in the arena */
	size_t len;
	__u64 hash;
};

struct stackset_chunk {
	struct stackset_chunk *next;
	size_t used, size;
	char data[];
};

void stackset__done(struct stackset *ss)
{
	struct stackset_chunk *c = ss->chunks;

	while (c) {
		struct stackset_chunk *next = c->next;

		free(c);
		c = next;
	}
	free(ss->frames);
	free(ss->stacks);
	free(ss->ids);
	free(ss->frame_hash);
	free(ss->stack_hash);
	free(ss->frame_slots);
	free(ss->stack_slots);
	free(ss->strings);
	free(ss->string_slots);
	memset(ss, 0, sizeof(*ss));
}

/* murmur3's finalizer: every input bit moves every output bit (the tables use the low bits). */
static __u64 fmix(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* A hash of len bytes, eight at a time: parsing hashes every frame it reads. */
static __u64 hash_bytes(__u64 h, const void *data, size_t len)
{
	const unsigned char *p = data;
	__u64 w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w ^ (__u64)len << 56) * 0x9e3779b97f4a7c15ull;
	return fmix(h);
}

static char *arena_alloc(struct stackset *ss, size_t n)
{
	struct stackset_chunk *c = ss->chunks;

	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		if (size > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		/* A big string's own chunk goes second: the current chunk keeps its room. */
		if (ss->chunks && n > CHUNK_SIZE) {
			c->next = ss->chunks->next;
			ss->chunks->next = c;
		} else {
			c->next = ss->chunks;
			ss->chunks = c;
		}
	}
	c->used += n;
	return c->data + c->used - n;
}

static __u64 string_hash_at(const void *ctx, size_t i)
{
	return ((const struct stackset *)ctx)->strings[i].hash;
}

/* The set's copy of s[0..len), interned: equal strings share one pointer. */
static int string_intern(struct stackset *ss, const char *s, size_t len, const char **ret)
{
	__u64 h = hash_bytes(0, s, len);
	size_t mask, i;
	char *copy;

	if (slots__reserve(&ss->string_slots, &ss->nr_string_slots, ss->nr_strings, string_hash_at,
			   ss))
		return -ENOMEM;
	mask = ss->nr_string_slots - 1;
	for (i = h & mask; ss->string_slots[i]; i = (i + 1) & mask) {
		const struct stackset_string *e = &ss->strings[ss->string_slots[i] - 1];

		if (e->hash == h && e->len == len && !memcmp(e->s, s, len)) {
			*ret = e->s;
			return 0;
		}
	}
	if (grow_array((void **)&ss->strings, &ss->cap_strings, ss->nr_strings + 1,
		       sizeof(*ss->strings)))
		return -ENOMEM;
	copy = arena_alloc(ss, len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	ss->strings[ss->nr_strings++] =
		(struct stackset_string){ .s = copy, .len = len, .hash = h };
	ss->string_slots[i] = ss->nr_strings;
	*ret = copy;
	return 0;
}

/* Over the contents: a frame is looked up before its strings are interned. */
static __u64 frame_hash(const struct frame *f)
{
	__u64 h = hash_bytes((__u64)f->kind << 32 | (__u32)f->line, f->name, strlen(f->name));

	h = fmix(h ^ (__u32)f->func_line);
	return f->file ? hash_bytes(h, f->file, strlen(f->file)) : h;
}

static __u64 frame_hash_at(const void *ctx, size_t i)
{
	return ((const struct stackset *)ctx)->frame_hash[i];
}

static bool frame_eq(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && a->line == b->line && a->func_line == b->func_line &&
	       !strcmp(a->name, b->name) && !a->file == !b->file &&
	       (!a->file || !strcmp(a->file, b->file));
}

/* Appends a copy of f (its strings interned) with hash h in slot i. */
static int frame_append(struct stackset *ss, const struct frame *f, __u64 h, size_t slot)
{
	struct frame k = { .kind = f->kind, .line = f->line, .func_line = f->func_line };
	int err;

	err = string_intern(ss, f->name, strlen(f->name), &k.name);
	if (!err && f->file)
		err = string_intern(ss, f->file, strlen(f->file), &k.file);
	if (err)
		return err;
	if (ss->nr_frames >= UINT32_MAX ||
	    grow_array((void **)&ss->frames, &ss->cap_frames, ss->nr_frames + 1, sizeof(k)) ||
	    grow_array((void **)&ss->frame_hash, &ss->cap_frame_hash, ss->nr_frames + 1,
		       sizeof(h)))
		return -ENOMEM;
	ss->frames[ss->nr_frames] = k;
	ss->frame_hash[ss->nr_frames] = h;
	ss->frame_slots[slot] = ++ss->nr_frames;
	return 0;
}

int stackset__frame(struct stackset *ss, const struct frame *f, __u32 *ret_idx)
{
	size_t mask, i;
	__u64 h;
	int err;

	if (!f->name || (unsigned int)f->kind >= FRAME__MAX || f->line < FRAME_LINE_NONE ||
	    f->func_line < FRAME_LINE_NONE)
		return -EINVAL;
	h = frame_hash(f);
	if (slots__reserve(&ss->frame_slots, &ss->nr_frame_slots, ss->nr_frames, frame_hash_at, ss))
		return -ENOMEM;
	mask = ss->nr_frame_slots - 1;
	for (i = h & mask; ss->frame_slots[i]; i = (i + 1) & mask) {
		size_t idx = ss->frame_slots[i] - 1;

		if (ss->frame_hash[idx] == h && frame_eq(&ss->frames[idx], f)) {
			*ret_idx = (__u32)idx;
			return 0;
		}
	}
	/* string_intern() may grow its own table, not this one: slot i stays free */
	err = frame_append(ss, f, h, i);
	if (!err)
		*ret_idx = (__u32)(ss->nr_frames - 1);
	return err;
}

static __u64 stack_hash_at(const void *ctx, size_t i)
{
	return ((const struct stackset *)ctx)->stack_hash[i];
}

int stackset__add(struct stackset *ss, const __u32 *idx, size_t nr, sample_tag_t tag,
		  __u64 count)
{
	size_t mask, i;
	__u64 h, total;

	if (!nr || nr > STACK_MAX_DEPTH || !sample_tag__valid(tag))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (idx[i] >= ss->nr_frames)
			return -EINVAL;
	/* the total must hold the sum: percentages and widths are shares of it */
	if (__builtin_add_overflow(ss->total, count, &total))
		return -EINVAL;
	h = hash_bytes(nr | (__u64)tag << 32, idx, nr * sizeof(*idx));
	if (slots__reserve(&ss->stack_slots, &ss->nr_stack_slots, ss->nr, stack_hash_at, ss))
		return -ENOMEM;
	mask = ss->nr_stack_slots - 1;
	for (i = h & mask; ss->stack_slots[i]; i = (i + 1) & mask) {
		struct stack *st = &ss->stacks[ss->stack_slots[i] - 1];

		if (ss->stack_hash[ss->stack_slots[i] - 1] == h && st->nr == nr && st->tag == tag &&
		    !memcmp(stack__ids(ss, st), idx, nr * sizeof(*idx))) {
			st->count += count;
			ss->total = total;
			return 0;
		}
	}
	if (ss->nr_ids + nr > UINT32_MAX ||
	    grow_array((void **)&ss->ids, &ss->cap_ids, ss->nr_ids + nr, sizeof(*idx)) ||
	    grow_array((void **)&ss->stacks, &ss->cap_stacks, ss->nr + 1, sizeof(*ss->stacks)) ||
	    grow_array((void **)&ss->stack_hash, &ss->cap_stack_hash, ss->nr + 1, sizeof(h)))
		return -ENOMEM;
	memcpy(ss->ids + ss->nr_ids, idx, nr * sizeof(*idx));
	ss->stacks[ss->nr] = (struct stack){ .off = (__u32)ss->nr_ids, .nr = (__u32)nr,
					     .count = count, .tag = tag };
	ss->stack_hash[ss->nr] = h;
	ss->stack_slots[i] = ++ss->nr;
	ss->nr_ids += nr;
	ss->total = total;
	return 0;
}

/* The count after a line's last space: decimal digits only, below 2^64. */
static int parse_count(const char *s, const char *end, __u64 *ret)
{
	__u64 v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (~0ull - 9) / 10)
			return -EINVAL;
		v = v * 10 + (__u64)(*s - '0');
	}
	*ret = v;
	return 0;
}

/*
 * What parsing keeps of the line before: folded text comes sorted, so a line
 * mostly starts with the frames of the one before, which need no lookup.
 */
struct parser {
	const char *prev;		/* the line before, or NULL */
	size_t prev_nr;
	size_t start[STACK_MAX_DEPTH + 1];	/* frame d of prev: [start[d], start[d + 1] - 1) */
	__u32 ids[STACK_MAX_DEPTH];	/* prev's frame indexes, then this line's */
	struct strbuf scratch;		/* one frame's text, split there */
};

/* The frame of text[0..len) at depth d. */
static int parse_frame(struct stackset *ss, struct parser *ps, const char *text, size_t len,
		       size_t d)
{
	struct frame f;

	strbuf__reset(&ps->scratch);
	if (strbuf__append(&ps->scratch, text, len))
		return -ENOMEM;
	frame__split(ps->scratch.buf, d, &f);
	return stackset__frame(ss, &f, &ps->ids[d]);
}

/* One line of folded text (len bytes without its newline, no NUL inside). */
static int parse_line(struct stackset *ss, struct parser *ps, const char *line, size_t len)
{
	const char *sp = memrchr(line, ' ', len), *f = line;
	bool same = ps->prev != NULL;
	size_t nr = 0;
	__u64 count;
	int err = 0;

	if (!sp || sp == line || parse_count(sp + 1, line + len, &count))
		return -EINVAL;
	for (;;) {
		const char *semi = memchr(f, ';', (size_t)(sp - f)), *end = semi ? semi : sp;
		size_t n = (size_t)(end - f);

		if (nr == STACK_MAX_DEPTH)
			return -EINVAL;
		/* frames after the first that differs are looked up */
		same = same && nr < ps->prev_nr && ps->start[nr] == (size_t)(f - line) &&
		       ps->start[nr + 1] - 1 - ps->start[nr] == n &&
		       !memcmp(ps->prev + ps->start[nr], f, n);
		ps->start[nr] = (size_t)(f - line);
		if (!same)
			err = parse_frame(ss, ps, f, n, nr);
		if (err)
			return err;
		nr++;
		ps->start[nr] = (size_t)(end - line) + 1;
		if (!semi)
			break;
		f = semi + 1;
	}
	ps->prev = line;
	ps->prev_nr = nr;
	return stackset__add(ss, ps->ids, nr, SAMPLE_ON_CPU, count);
}

int stackset__parse_folded(struct stackset *ss, const char *text, size_t len)
{
	struct parser *ps;
	const char *p, *end;
	int err = 0;

	if (!len)
		return 0;	/* text may be NULL then */
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	end = text + len;
	for (p = text; p < end && !err;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		/* a NUL inside a line would end its frame text early: malformed */
		if (nl > p && memchr(p, '\0', (size_t)(nl - p)))
			err = -EINVAL;
		else if (nl > p)
			err = parse_line(ss, ps, p, (size_t)(nl - p));
		p = nl + 1;
	}
	strbuf__done(&ps->scratch);
	free(ps);
	if (err)
		stackset__done(ss);
	return err;
}

static int put_line(struct strbuf *out, __s32 line)
{
	return line >= 0 ? strbuf__printf(out, ":%d", line) : 0;
}

int frame__label(const struct frame *f, struct strbuf *out)
{
	const char *name = f->name ? f->name : "";
	int err;

	switch (f->kind) {
	case FRAME_PYTHON:
		if (!f->file)
			return strbuf__puts(out, name);
		err = strbuf__puts(out, name) ?: strbuf__puts(out, " (") ?:
		      strbuf__puts(out, f->file) ?: put_line(out, f->line);
		return err ?: strbuf__puts(out, ")");
	case FRAME_KERNEL:
		return strbuf__puts(out, name) ?: strbuf__puts(out, "_[k]");
	case FRAME_THREAD:
		if (!*name)
			return strbuf__printf(out, "thread %d", f->line);
		return strbuf__printf(out, "%s (tid %d)", name, f->line);
	case FRAME_NATIVE:
		if (!f->file)
			return strbuf__puts(out, name);
		return strbuf__printf(out, "%s (%s)", name, f->file);
	default:
		return strbuf__puts(out, name);
	}
}

/* s[0..len) as a line number: canonical decimal (no sign, no leading 0) below 2^31, or -1. */
static __s32 canonical_line(const char *s, size_t len)
{
	__s64 v = 0;

	if (!len || len > 10 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > INT32_MAX ? -1 : (__s32)v;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* "thread <tid>" or "name (tid <tid>)", the labels of FRAME_THREAD. */
static bool split_thread(char *text, size_t len, struct frame *ret)
{
	static const char tid[] = " (tid ";
	char *open;
	__s32 line;

	if (len > 7 && !memcmp(text, "thread ", 7)) {
		line = canonical_line(text + 7, len - 7);
		if (line < 0)
			return false;
		*ret = (struct frame){ .kind = FRAME_THREAD, .name = "", .line = line,
				       .func_line = FRAME_LINE_NONE };
		return true;
	}
	if (len < sizeof(tid) + 2 || text[len - 1] != ')')
		return false;
	/* the tid is the last " (tid ": a thread's name may hold the pattern itself */
	for (open = text + len - sizeof(tid); open > text; open--)
		if (!memcmp(open, tid, sizeof(tid) - 1))
			break;
	if (open == text)
		return false;
	line = canonical_line(open + sizeof(tid) - 1,
			      (size_t)(text + len - 1 - open) - (sizeof(tid) - 1));
	if (line < 0)
		return false;
	*open = '\0';
	*ret = (struct frame){ .kind = FRAME_THREAD, .name = text, .line = line,
			       .func_line = FRAME_LINE_NONE };
	return true;
}

/* "name (file:line)" or "name (file)": the first " (" ends the name. */
static bool split_python(char *text, size_t len, struct frame *ret)
{
	char *open, *file, *end, *colon;
	__s32 line = FRAME_LINE_NONE;

	if (len < 4 || text[len - 1] != ')')
		return false;
	/* Qualified names hold no spaces, paths may. */
	open = strstr(text, " (");
	if (!open || open == text)
		return false;
	file = open + 2;
	end = text + len - 1;
	colon = memrchr(file, ':', (size_t)(end - file));
	if (colon) {
		line = canonical_line(colon + 1, (size_t)(end - colon - 1));
		if (line >= 0)
			end = colon;
	}
	*open = '\0';
	*end = '\0';
	*ret = (struct frame){ .kind = FRAME_PYTHON, .name = text, .file = file,
			       .line = line < 0 ? FRAME_LINE_NONE : line,
			       .func_line = FRAME_LINE_NONE };
	return true;
}

void frame__split(char *text, size_t depth, struct frame *ret)
{
	size_t len = strlen(text);

	*ret = (struct frame){ .kind = FRAME_OTHER, .name = text, .line = FRAME_LINE_NONE,
			       .func_line = FRAME_LINE_NONE };
	if (depth == 0) {
		ret->kind = FRAME_PROCESS;
	} else if (ends_with(text, len, "_[k]")) {
		ret->kind = FRAME_KERNEL;
		text[len - 4] = '\0';
	} else if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		ret->kind = FRAME_MARKER;
	} else if (depth == 1 && split_thread(text, len, ret)) {
		return;
	} else {
		split_python(text, len, ret);
	}
}
