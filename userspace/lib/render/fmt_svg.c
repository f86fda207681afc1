// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_svg: an interactive flame graph, SVG with an inline script (see formats.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "render/formats.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "render/labels.h"
#include "render/units.h"

#define SVG_WIDTH	1200
#define XPAD		10
#define YPAD_TOP	40
#define YPAD_BOTTOM	34
#define FRAME_H		16
#define CHAR_W		7.2	/* advance of a 12px monospace glyph: 0.6 em */
#define MIN_WIDTH_PX	0.1
#define MAX_FRAMES	100000
#define NO_PARENT	((size_t)-1)

struct node {
	const char *name;	/* the frame's label */
	__u32 frame;		/* one frame of that label (for its kind and name) */
	size_t parent;
	size_t depth;
	__u64 total;	/* samples in this frame and its callees */
	__u64 x;	/* samples left of this frame on its row */
	__u64 next;	/* x of the next child to place */
	bool shown;
};

struct tree {
	const struct stackset *ss;
	struct labels labels;
	__u32 *rank;		/* frame index -> rank of its label, bytewise (equal: equal) */
	struct node *nodes;	/* pre-order: a parent before its children, siblings sorted */
	size_t nr, cap;
	__u64 total;
	size_t max_depth;	/* of the shown nodes */
	enum view_unit unit;	/* of the counts: what tooltips say */
};

static const char style[] =
	"<style type=\"text/css\"><![CDATA[\n"
	"text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	"#title { font-size: 17px; text-anchor: middle; }\n"
	"#search, #matched { text-anchor: end; }\n"
	".ctl { cursor: pointer; fill: #1f4e9c; }\n"
	".ctl:hover { text-decoration: underline; }\n"
	".off { visibility: hidden; }\n"
	"#frames g { cursor: pointer; }\n"
	"#frames g:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	"#frames text { pointer-events: none; }\n"
	"#frames g.anc { opacity: 0.6; }\n"
	"#frames g.hid { display: none; }\n"
	"]]></style>\n"
	"<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
	"<stop offset=\"0\" stop-color=\"#f7f7f7\"/><stop offset=\"1\" stop-color=\"#e4e7ee\"/>"
	"</linearGradient></defs>\n";

/*
 * The rest of the function render() opens with the layout constants (W, PAD, CW, TOTAL).
 * Frames carry their position in samples (data-s, data-n) and depth (data-d), so zooming
 * rescales from exact integers; the name is the <title> minus its " (N samples, P%)".
 */
static const char script[] =
	"var NS = \"http://www.w3.org/2000/svg\";\n"
	"function el(id) { return document.getElementById(id); }\n"
	"var box = el(\"frames\"), details = el(\"details\"), matched = el(\"matched\");\n"
	"var unzoom = el(\"unzoom\"), search = el(\"search\");\n"
	"var frames = [], term = \"\", gs = box.getElementsByTagName(\"g\");\n"
	"for (var i = 0; i < gs.length; i++) {\n"
	"  var g = gs[i], rect = g.getElementsByTagName(\"rect\")[0];\n"
	"  var title = g.getElementsByTagName(\"title\")[0].textContent;\n"
	"  var f = { g: g, rect: rect, text: g.getElementsByTagName(\"text\")[0] || null,\n"
	"    title: title, name: title.slice(0, title.lastIndexOf(\" (\")),\n"
	"    s: +g.getAttribute(\"data-s\"), n: +g.getAttribute(\"data-n\"),\n"
	"    d: +g.getAttribute(\"data-d\"), y: +rect.getAttribute(\"y\"),\n"
	"    fill: rect.getAttribute(\"fill\") };\n"
	"  g.pyprofFrame = f;\n"
	"  frames.push(f);\n"
	"}\n"
	"function frameOf(node) {\n"
	"  for (; node && node !== box; node = node.parentNode)\n"
	"    if (node.pyprofFrame)\n"
	"      return node.pyprofFrame;\n"
	"  return null;\n"
	"}\n"
	"function fit(name, px) {\n"
	"  var cs = Array.from(name), max = Math.floor((px - 6) / CW);\n"
	"  if (max < 3)\n"
	"    return \"\";\n"
	"  return cs.length <= max ? name : cs.slice(0, max - 2).join(\"\") + \"..\";\n"
	"}\n"
	"function place(f, x, w) {\n"
	"  var label = fit(f.name, w);\n"
	"  f.rect.setAttribute(\"x\", x.toFixed(2));\n"
	"  f.rect.setAttribute(\"width\", w.toFixed(2));\n"
	"  if (label && !f.text) {\n"
	"    f.text = document.createElementNS(NS, \"text\");\n"
	"    f.text.setAttribute(\"y\", f.y + 12);\n"
	"    f.g.appendChild(f.text);\n"
	"  }\n"
	"  if (f.text) {\n"
	"    f.text.setAttribute(\"x\", (x + 3).toFixed(2));\n"
	"    f.text.textContent = label;\n"
	"  }\n"
	"}\n"
	/* Spans on a row are disjoint: containing z's span means ancestor, inside it descendant. */
	"function zoom(z) {\n"
	"  var s0 = z ? z.s : 0, n0 = z ? z.n : TOTAL, k = (W - 2 * PAD) / n0;\n"
	"  frames.forEach(function (f) {\n"
	"    var anc = !!z && f.d < z.d && f.s <= s0 && f.s + f.n >= s0 + n0;\n"
	"    var show = !z || anc || (f.d >= z.d && f.s >= s0 && f.s + f.n <= s0 + n0);\n"
	"    f.g.setAttribute(\"class\", anc ? \"anc\" : show ? \"\" : \"hid\");\n"
	"    if (anc)\n"
	"      place(f, PAD, W - 2 * PAD);\n"
	"    else if (show)\n"
	"      place(f, PAD + (f.s - s0) * k, f.n * k);\n"
	"  });\n"
	"  unzoom.setAttribute(\"class\", z ? \"ctl\" : \"ctl off\");\n"
	"}\n"
	/* Matches nest (a span inside another is a descendant): count only the outermost ones. */
	"function highlight(re) {\n"
	"  var hits = [], sum = 0, end = -1;\n"
	"  frames.forEach(function (f) {\n"
	"    var hit = re !== null && re.test(f.name);\n"
	"    f.rect.setAttribute(\"fill\", hit ? \"rgb(230,0,230)\" : f.fill);\n"
	"    if (hit)\n"
	"      hits.push(f);\n"
	"  });\n"
	"  hits.sort(function (a, b) { return a.s - b.s || b.n - a.n; });\n"
	"  hits.forEach(function (f) {\n"
	"    if (f.s >= end) {\n"
	"      sum += f.n;\n"
	"      end = f.s + f.n;\n"
	"    }\n"
	"  });\n"
	"  var pct = (100 * sum / TOTAL).toFixed(2);\n"
	"  matched.textContent = re ? \"Matched: \" + pct + \"%\" : \"\";\n"
	"}\n"
	"function ask() {\n"
	"  var t = window.prompt(\"Search frames (regular expression; empty clears)\", term), re;\n"
	"  if (t === null)\n"
	"    return;\n"
	"  if (t === \"\") {\n"
	"    term = \"\";\n"
	"    highlight(null);\n"
	"    return;\n"
	"  }\n"
	"  try {\n"
	"    re = new RegExp(t);\n"
	"  } catch (e) {\n"
	"    window.alert(\"Bad regular expression: \" + e.message);\n"
	"    return;\n"
	"  }\n"
	"  term = t;\n"
	"  highlight(re);\n"
	"}\n"
	"box.addEventListener(\"click\", function (e) {\n"
	"  var f = frameOf(e.target);\n"
	"  if (f)\n"
	"    zoom(f);\n"
	"});\n"
	"box.addEventListener(\"mouseover\", function (e) {\n"
	"  var f = frameOf(e.target);\n"
	"  details.textContent = f ? f.title : \" \";\n"
	"});\n"
	"box.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
	"unzoom.addEventListener(\"click\", function () { zoom(null); });\n"
	"search.addEventListener(\"click\", ask);\n"
	"document.addEventListener(\"keydown\", function (e) {\n"
	"  if ((e.ctrlKey || e.metaKey) && (e.key === \"f\" || e.key === \"F\")) {\n"
	"    e.preventDefault();\n"
	"    ask();\n"
	"  } else if (e.key === \"Escape\" && term) {\n"
	"    term = \"\";\n"
	"    highlight(null);\n"
	"  }\n"
	"});\n"
	"})();\n";

static size_t nr_chars(const char *s, size_t len)
{
	size_t i = 0, nr = 0;
	bool valid;

	while (i < len) {
		i += utf8__char((const unsigned char *)s + i, len - i, &valid);
		nr++;
	}
	return nr;
}

/*
 * Appends s[0..len) as XML character data or attribute value: markup characters escaped,
 * characters XML forbids (ill-formed UTF-8, controls, U+FFFE/U+FFFF) as U+FFFD, and cut to
 * max characters with the last two of them "..".
 */
static int put_xml(struct strbuf *out, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, limit = max, nr;
	bool cut = nr_chars(s, len) > max;
	int err = 0;

	if (cut)
		limit = max >= 2 ? max - 2 : 0;
	for (nr = 0; i < len && nr < limit && !err; nr++) {
		const char *rep = NULL;
		bool valid;
		size_t n = utf8__char(p + i, len - i, &valid);

		if (!valid || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (n == 3 && p[i] == 0xef && p[i + 1] == 0xbf && p[i + 2] >= 0xbe))
			rep = "\xef\xbf\xbd";
		else if (p[i] == '&')
			rep = "&amp;";
		else if (p[i] == '<')
			rep = "&lt;";
		else if (p[i] == '>')
			rep = "&gt;";
		else if (p[i] == '"')
			rep = "&quot;";
		else if (p[i] == '\'')
			rep = "&#39;";
		if (rep) {
			err = strbuf__append(out, s + run, i - run) ?: strbuf__puts(out, rep);
			run = i + n;
		}
		i += n;
	}
	err = err ?: strbuf__append(out, s + run, i - run);
	if (cut && !err)
		err = strbuf__puts(out, "..");
	return err;
}

static int put_xml_str(struct strbuf *out, const char *s)
{
	return put_xml(out, s, strlen(s), (size_t)-1);
}

static int cmp_label(const void *a, const void *b, void *arg)
{
	const struct labels *l = arg;

	return strcmp(labels__get(l, *(const __u32 *)a), labels__get(l, *(const __u32 *)b));
}

/* Ranks the labels, so that stacks compare as their text would, by integers. */
static int rank_labels(struct tree *t)
{
	const struct stackset *ss = t->ss;
	__u32 *order, r = 0;

	order = malloc((ss->nr_frames ? ss->nr_frames : 1) * sizeof(*order));
	t->rank = malloc((ss->nr_frames ? ss->nr_frames : 1) * sizeof(*t->rank));
	if (!order || !t->rank) {
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ss->nr_frames; i++)
		order[i] = (__u32)i;
	qsort_r(order, ss->nr_frames, sizeof(*order), cmp_label, &t->labels);
	for (size_t i = 0; i < ss->nr_frames; i++) {
		if (i && cmp_label(&order[i - 1], &order[i], &t->labels))
			r++;
		t->rank[order[i]] = r;
	}
	free(order);
	return 0;
}

static int cmp_stack(const void *a, const void *b, void *arg)
{
	const struct tree *t = arg;
	const struct stack *x = *(const struct stack *const *)a;
	const struct stack *y = *(const struct stack *const *)b;
	const __u32 *xi = stack__ids(t->ss, x), *yi = stack__ids(t->ss, y);
	size_t n = x->nr < y->nr ? x->nr : y->nr;

	for (size_t i = 0; i < n; i++)
		if (t->rank[xi[i]] != t->rank[yi[i]])
			return t->rank[xi[i]] < t->rank[yi[i]] ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int add_node(struct tree *t, __u32 frame, size_t parent, size_t depth)
{
	if (grow_array((void **)&t->nodes, &t->cap, t->nr + 1, sizeof(*t->nodes)))
		return -ENOMEM;
	t->nodes[t->nr++] = (struct node){ .name = labels__get(&t->labels, frame), .frame = frame,
					   .parent = parent, .depth = depth };
	return 0;
}

/* Places every node on its row: after its elder siblings, inside its parent. */
static void place_nodes(struct tree *t)
{
	__u64 root_next = 0;

	for (size_t i = 0; i < t->nr; i++) {
		struct node *n = &t->nodes[i];
		__u64 *next = n->parent == NO_PARENT ? &root_next : &t->nodes[n->parent].next;

		n->x = *next;
		*next += n->total;
		n->next = n->x;
	}
	t->total = root_next;
}

/*
 * Merges the stacks into a call tree.  Sorted stacks share their common prefix with the one
 * before, so each stack only adds the nodes past it, and siblings come out in name order.
 */
static int build_tree(const struct stackset *ss, struct tree *t)
{
	const struct stack **order, *prev = NULL;
	size_t *path = NULL, max_nr = 1;
	int err;

	err = labels__make(&t->labels, ss, false) ?: rank_labels(t);
	if (err)
		return err;
	order = malloc(ss->nr * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nr; i++) {
		order[i] = &ss->stacks[i];
		if (ss->stacks[i].nr > max_nr)
			max_nr = ss->stacks[i].nr;
	}
	qsort_r(order, ss->nr, sizeof(*order), cmp_stack, t);
	path = malloc(max_nr * sizeof(*path));
	if (!path)
		err = -ENOMEM;
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = order[i];
		const __u32 *ids = stack__ids(ss, st), *pids = prev ? stack__ids(ss, prev) : NULL;
		size_t d = 0;

		while (prev && d < prev->nr && d < st->nr && t->rank[pids[d]] == t->rank[ids[d]])
			d++;
		for (; d < st->nr; d++) {
			err = add_node(t, ids[d], d ? path[d - 1] : NO_PARENT, d);
			if (err)
				break;
			path[d] = t->nr - 1;
		}
		for (d = 0; d < st->nr && !err; d++)
			t->nodes[path[d]].total += st->count;
		prev = st;
	}
	free(path);
	free(order);
	if (!err)
		place_nodes(t);
	return err;
}

static int cmp_u64_desc(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Marks the frames to draw: those at least MIN_WIDTH_PX wide and, past MAX_FRAMES of them,
 * only the widest.  A frame is never narrower than its children, and ties go in pre-order,
 * so the parent of a shown frame is always shown.
 */
static int pick_shown(struct tree *t)
{
	double min = MIN_WIDTH_PX * (double)t->total / (SVG_WIDTH - 2 * XPAD);
	__u64 cut = 0, *totals;
	size_t nr = 0, ties = 0, above = 0;

	for (size_t i = 0; i < t->nr; i++)
		if (t->nodes[i].total && (double)t->nodes[i].total >= min)
			nr++;
	if (nr > MAX_FRAMES) {
		totals = malloc(nr * sizeof(*totals));
		if (!totals)
			return -ENOMEM;
		nr = 0;
		for (size_t i = 0; i < t->nr; i++)
			if (t->nodes[i].total && (double)t->nodes[i].total >= min)
				totals[nr++] = t->nodes[i].total;
		qsort(totals, nr, sizeof(*totals), cmp_u64_desc);
		cut = totals[MAX_FRAMES - 1];
		while (above < MAX_FRAMES && totals[above] > cut)
			above++;
		ties = MAX_FRAMES - above;
		free(totals);
	}
	for (size_t i = 0; i < t->nr; i++) {
		struct node *n = &t->nodes[i];

		if (!n->total || (double)n->total < min)
			continue;
		if (n->total > cut)
			n->shown = true;
		else if (n->total == cut && ties > 0) {
			n->shown = true;
			ties--;
		}
		if (n->shown && n->depth > t->max_depth)
			t->max_depth = n->depth;
	}
	return 0;
}

static __u64 hash_bytes(const char *s, size_t len)
{
	__u64 h = fnv1a(FNV1A_OFFSET, s, len);

	return h ^ (h >> 29);
}

/* Python yellow to orange, kernel orange-red, markers grey: hue by kind, shade by name. */
static int put_fill(struct strbuf *out, const struct frame *f)
{
	double v1, v2, v3;
	int r, g, b;
	__u64 h = hash_bytes(f->name, strlen(f->name));

	v1 = (double)(h & 0xffff) / 0xffff;
	v2 = (double)((h >> 16) & 0xffff) / 0xffff;
	v3 = (double)((h >> 32) & 0xffff) / 0xffff;
	switch (f->kind) {
	case FRAME_PYTHON:
		r = 240 + (int)(15 * v3);
		g = 150 + (int)(80 * v1);
		b = 30 + (int)(45 * v2);
		break;
	case FRAME_KERNEL:
		r = 210 + (int)(40 * v1);
		g = 55 + (int)(40 * v2);
		b = 35 + (int)(25 * v3);
		break;
	case FRAME_MARKER:
		r = g = b = 175 + (int)(30 * v1);
		break;
	case FRAME_PROCESS:
		r = 176;
		g = 188;
		b = 206;
		break;
	default:
		r = 95 + (int)(50 * v1);
		g = 190 + (int)(40 * v2);
		b = 185 + (int)(40 * v2);
		break;
	}
	return strbuf__printf(out, "rgb(%d,%d,%d)", r, g, b);
}

static int put_frame(struct strbuf *out, const struct tree *t, const struct node *n, int height)
{
	double k = (double)(SVG_WIDTH - 2 * XPAD) / (double)t->total;
	double x = XPAD + (double)n->x * k, w = (double)n->total * k;
	int y = height - YPAD_BOTTOM - (int)(n->depth + 1) * FRAME_H;
	size_t len = strlen(n->name);
	double chars = (w - 6) / CHAR_W;
	int err;

	err = strbuf__printf(out, "<g data-s=\"%llu\" data-n=\"%llu\" data-d=\"%zu\"><title>",
			     (unsigned long long)n->x, (unsigned long long)n->total, n->depth);
	err = err ?: put_xml(out, n->name, len, (size_t)-1);
	err = err ?: strbuf__puts(out, " (") ?: units__put(out, t->unit, n->total);
	err = err ?: strbuf__printf(out, ", %.2f%%)</title>",
				    100.0 * (double)n->total / (double)t->total);
	err = err ?: strbuf__printf(out, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
					 "rx=\"2\" fill=\"",
				    x, y, w, FRAME_H - 1);
	err = err ?: put_fill(out, &t->ss->frames[n->frame]);
	err = err ?: strbuf__puts(out, "\"/>");
	if (chars >= 3 && !err) {
		err = strbuf__printf(out, "<text x=\"%.2f\" y=\"%d\">", x + 3, y + 12);
		err = err ?: put_xml(out, n->name, len, (size_t)chars);
		err = err ?: strbuf__puts(out, "</text>");
	}
	return err ?: strbuf__puts(out, "</g>\n");
}

/*
 * "pyprof: <comm> (pid N), last S s, T samples", leaving out what is unknown;
 * the views other than cpu say what they count: "wall-clock time 2.06 s",
 * "12 samples holding the GIL".
 */
static int put_title(struct strbuf *out, const struct fmt_meta *m, __u64 total)
{
	const char *sep = "";
	int err;

	err = strbuf__printf(out, "<text id=\"title\" x=\"%d\" y=\"24\">pyprof: ", SVG_WIDTH / 2);
	if (m->comm) {
		err = err ?: put_xml_str(out, m->comm);
		if (m->pid)
			err = err ?: strbuf__printf(out, " (pid %d)", m->pid);
		sep = ", ";
	} else if (m->pid) {
		err = err ?: strbuf__printf(out, "pid %d", m->pid);
		sep = ", ";
	}
	if (m->seconds) {
		err = err ?: strbuf__printf(out, "%slast %llu s", sep,
					    (unsigned long long)m->seconds);
		sep = ", ";
	}
	err = err ?: strbuf__puts(out, sep);
	if (view_mode__unit(m->mode) == VIEW_UNIT_NS)
		err = err ?: strbuf__printf(out, "%s ", units__what(m->mode)) ?:
		      units__put(out, VIEW_UNIT_NS, total);
	else
		err = err ?: units__put(out, VIEW_UNIT_SAMPLES, total) ?:
		      strbuf__puts(out, m->mode == VIEW_MODE_GIL ? " holding the GIL" : "");
	return err ?: strbuf__puts(out, "</text>\n");
}

static int put_head(struct strbuf *out, const struct fmt_meta *m, __u64 total, int height)
{
	return strbuf__printf(out,
			      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
			      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
			      "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
			      SVG_WIDTH, height, SVG_WIDTH, height) ?:
	       strbuf__puts(out, style) ?:
	       strbuf__puts(out, "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" "
				 "fill=\"url(#bg)\"/>\n") ?:
	       put_title(out, m, total);
}

static int render_empty(const struct fmt_meta *m, struct strbuf *out)
{
	int height = 120;

	return put_head(out, m, 0, height) ?:
	       strbuf__printf(out,
			      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples</text>\n"
			      "</svg>\n",
			      SVG_WIDTH / 2, height / 2 + 6);
}

static int render(const struct tree *t, const struct fmt_meta *m, struct strbuf *out)
{
	int height = YPAD_TOP + (int)(t->max_depth + 1) * FRAME_H + YPAD_BOTTOM;
	int err;

	err = put_head(out, m, t->total, height);
	err = err ?: strbuf__printf(out,
				    "<text id=\"unzoom\" class=\"ctl off\" x=\"%d\" y=\"24\">"
				    "Reset Zoom</text>\n"
				    "<text id=\"search\" class=\"ctl\" x=\"%d\" y=\"24\">"
				    "Search</text>\n"
				    "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
				    "<text id=\"matched\" x=\"%d\" y=\"%d\"></text>\n"
				    "<g id=\"frames\">\n",
				    XPAD, SVG_WIDTH - XPAD, XPAD, height - 12, SVG_WIDTH - XPAD,
				    height - 12);
	for (size_t i = 0; i < t->nr && !err; i++)
		if (t->nodes[i].shown)
			err = put_frame(out, t, &t->nodes[i], height);
	err = err ?: strbuf__printf(out,
				    "</g>\n<script type=\"text/ecmascript\"><![CDATA[\n"
				    "(function () {\n\"use strict\";\n"
				    "var W = %d, PAD = %d, CW = %.1f, TOTAL = %llu;\n",
				    SVG_WIDTH, XPAD, CHAR_W, (unsigned long long)t->total);
	return err ?: strbuf__puts(out, script) ?: strbuf__puts(out, "]]></script>\n</svg>\n");
}

int fmt_svg__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	static const struct fmt_meta none;
	struct tree t = { .ss = ss };
	__u64 sum = 0;
	size_t start;
	int err;

	if (!ss || !out)
		return -EINVAL;
	if (!m)
		m = &none;
	t.unit = view_mode__unit(m->mode);
	/* A sum past 2^64 wraps the tree's total: frames wider than the graph, labels past size_t. */
	for (size_t i = 0; i < ss->nr; i++)
		if (__builtin_add_overflow(sum, ss->stacks[i].count, &sum))
			return -EINVAL;
	start = out->len;
	err = ss->nr ? build_tree(ss, &t) : 0;
	if (!err && t.total)
		err = pick_shown(&t) ?: render(&t, m, out);
	else if (!err)
		err = render_empty(m, out);
	free(t.nodes);
	free(t.rank);
	labels__done(&t.labels);
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return err;
}
