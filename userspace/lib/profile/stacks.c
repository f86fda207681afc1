// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* stacks: a profile as a set of (stack, count), parsed from folded text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/stacks.h"
#include "base/util.h"

void stackset__done(struct stackset *ss)
{
	free(ss->stacks);
	free(ss->text);
	free(ss->frames);
	memset(ss, 0, sizeof(*ss));
}

int stackset__parse_folded(struct stackset *ss, const char *text, size_t len)
{
	size_t *first = NULL, cap_first = 0;
	char *p, *end;
	int err = 0;

	ss->text = malloc(len + 1);
	if (!ss->text)
		return -ENOMEM;
	memcpy(ss->text, text, len);
	ss->text[len] = '\0';
	end = ss->text + len;
	for (p = ss->text; p < end && !err;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *sp, *f;
		unsigned long long count = 0;
		struct stack *st;

		if (!nl)
			nl = end;
		*nl = '\0';
		if (nl == p) {
			p = nl + 1;
			continue;
		}
		sp = strrchr(p, ' ');
		if (!sp || sp == p || !sp[1]) {
			err = -EINVAL;
			break;
		}
		for (char *d = sp + 1; *d; d++) {
			if (*d < '0' || *d > '9' || count > (~0ull - 9) / 10) {
				err = -EINVAL;
				break;
			}
			count = count * 10 + (unsigned long long)(*d - '0');
		}
		/* the total must hold the sum: percentages and widths are shares of it */
		if (err || __builtin_add_overflow(ss->total, count, &ss->total)) {
			err = -EINVAL;
			break;
		}
		*sp = '\0';
		if (grow_array((void **)&ss->stacks, &ss->cap, ss->nr + 1, sizeof(*ss->stacks)) ||
		    grow_array((void **)&first, &cap_first, ss->nr + 1, sizeof(*first))) {
			err = -ENOMEM;
			break;
		}
		st = &ss->stacks[ss->nr];
		st->count = count;
		st->nr = 0;
		first[ss->nr] = ss->nr_frames;
		for (f = p;;) {
			char *semi = strchr(f, ';');

			if (grow_array((void **)&ss->frames, &ss->cap_frames, ss->nr_frames + 1,
				 sizeof(*ss->frames))) {
				err = -ENOMEM;
				break;
			}
			if (semi)
				*semi = '\0';
			ss->frames[ss->nr_frames++] = f;
			st->nr++;
			if (!semi)
				break;
			f = semi + 1;
		}
		ss->nr++;
		p = nl + 1;
	}
	/* frames may have moved while growing: point the stacks at them only now. */
	for (size_t i = 0; i < ss->nr && !err; i++)
		ss->stacks[i].frames = ss->frames + first[i];
	free(first);
	if (err)
		stackset__done(ss);
	return err;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

void frame__split(const char *frame, size_t depth, struct frame_parts *ret)
{
	size_t len = strlen(frame);
	const char *open, *colon;

	memset(ret, 0, sizeof(*ret));
	ret->name = frame;
	ret->name_len = len;
	if (depth == 0) {
		ret->kind = FRAME_PROCESS;
		return;
	}
	if (ends_with(frame, len, "_[k]")) {
		ret->kind = FRAME_KERNEL;
		ret->name_len = len - 4;
		return;
	}
	if (len >= 2 && frame[0] == '[' && frame[len - 1] == ']') {
		ret->kind = FRAME_MARKER;
		return;
	}
	ret->kind = FRAME_OTHER;
	if (len < 4 || frame[len - 1] != ')')
		return;
	/* The first " (" opens the location: qualified names hold no spaces, paths may. */
	open = strstr(frame, " (");
	if (!open || open == frame)
		return;
	ret->kind = FRAME_PYTHON;
	ret->name_len = (size_t)(open - frame);
	ret->file = open + 2;
	ret->file_len = (size_t)(frame + len - 1 - ret->file);
	colon = memrchr(ret->file, ':', ret->file_len);
	if (colon && colon + 1 < ret->file + ret->file_len) {
		int line = 0;
		const char *d;

		for (d = colon + 1; d < ret->file + ret->file_len && *d >= '0' && *d <= '9'; d++)
			line = line < 100000000 ? line * 10 + (*d - '0') : line;
		if (d == ret->file + ret->file_len) {
			ret->line = line;
			ret->file_len = (size_t)(colon - ret->file);
		}
	}
}
