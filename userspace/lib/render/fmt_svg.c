// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fmt_svg: an interactive flame graph, SVG with an inline script, and its differential
 * (see formats.h).
 */
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
	__u64 total;	/* width: samples in this frame and its callees */
	__u64 x;	/* samples left of this frame on its row */
	__u64 next;	/* x of the next child to place */
	__u64 a, b;	/* differential: A's and B's own counts of the same (unscaled) */
	bool shown;
};

/* A stack to draw: frame indexes of tree.ss, root first, and its weights. */
struct item {
	const __u32 *ids;
	size_t nr;
	__u64 count;	/* its width */
	__u64 a, b;	/* differential: its counts in A and in B */
};

struct tree {
	const struct stackset *ss;	/* the frames (in a differential, of both profiles) */
	const struct item *items;
	size_t nr_items;
	struct labels labels;
	__u32 *rank;		/* frame index -> rank of its label, bytewise (equal: equal) */
	struct node *nodes;	/* pre-order: a parent before its children, siblings sorted */
	size_t nr, cap;
	__u64 total;
	size_t max_depth;	/* of the shown nodes */
	enum view_unit unit;	/* of the counts: what tooltips say */
	bool diff;		/* differential: items and nodes carry a and b */
	const struct fmt_meta *mb;	/* differential: B's (the title's second part) */
	__u64 total_a, total_b;
	double max_change;	/* differential: the largest |share in B - share in A| shown */
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

static int cmp_item(const void *a, const void *b, void *arg)
{
	const struct tree *t = arg;
	const struct item *x = *(const struct item *const *)a;
	const struct item *y = *(const struct item *const *)b;
	size_t n = x->nr < y->nr ? x->nr : y->nr;

	for (size_t i = 0; i < n; i++)
		if (t->rank[x->ids[i]] != t->rank[y->ids[i]])
			return t->rank[x->ids[i]] < t->rank[y->ids[i]] ? -1 : 1;
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
 * Merges the items into a call tree.  Sorted items share their common prefix with the one
 * before, so each item only adds the nodes past it, and siblings come out in name order.
 */
static int build_tree(struct tree *t)
{
	const struct item **order, *prev = NULL;
	size_t *path = NULL, max_nr = 1;
	int err;

	err = labels__make(&t->labels, t->ss, false) ?: rank_labels(t);
	if (err)
		return err;
	order = malloc((t->nr_items ? t->nr_items : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_items; i++) {
		order[i] = &t->items[i];
		if (t->items[i].nr > max_nr)
			max_nr = t->items[i].nr;
	}
	qsort_r(order, t->nr_items, sizeof(*order), cmp_item, t);
	path = malloc(max_nr * sizeof(*path));
	if (!path)
		err = -ENOMEM;
	for (size_t i = 0; i < t->nr_items && !err; i++) {
		const struct item *it = order[i];
		size_t d = 0;

		while (prev && d < prev->nr && d < it->nr &&
		       t->rank[prev->ids[d]] == t->rank[it->ids[d]])
			d++;
		for (; d < it->nr; d++) {
			err = add_node(t, it->ids[d], d ? path[d - 1] : NO_PARENT, d);
			if (err)
				break;
			path[d] = t->nr - 1;
		}
		for (d = 0; d < it->nr && !err; d++) {
			t->nodes[path[d]].total += it->count;
			t->nodes[path[d]].a += it->a;
			t->nodes[path[d]].b += it->b;
		}
		prev = it;
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

/*
 * A node's change in a differential: its share of B's total less its share of A's, and
 * the sign of that, exact (by integers: a share of an empty profile is 0).
 */
static double node_change(const struct tree *t, const struct node *n, int *sign)
{
	double sa = t->total_a ? (double)n->a / (double)t->total_a : 0;
	double sb = t->total_b ? (double)n->b / (double)t->total_b : 0;
	unsigned __int128 xa = (unsigned __int128)n->a * (t->total_b ? t->total_b : 1);
	unsigned __int128 xb = (unsigned __int128)n->b * (t->total_a ? t->total_a : 1);

	if (!t->total_a)
		xa = 0;
	if (!t->total_b)
		xb = 0;
	*sign = xb > xa ? 1 : xb < xa ? -1 : 0;
	return sb - sa;
}

/* The largest change of a shown frame, that the colours' intensity is relative to. */
static void find_max_change(struct tree *t)
{
	int sign;

	for (size_t i = 0; i < t->nr; i++) {
		double c = t->nodes[i].shown ? node_change(t, &t->nodes[i], &sign) : 0;

		if (c < 0)
			c = -c;
		if (c > t->max_change)
			t->max_change = c;
	}
}

/*
 * Red for growth, blue for shrinkage, white for none, as flamegraph.pl's differential
 * colours: any change is a visible tint, the largest the deepest.
 */
static int put_diff_fill(struct strbuf *out, const struct tree *t, const struct node *n)
{
	int sign, v;
	double c = node_change(t, n, &sign);

	if (!sign)
		return strbuf__puts(out, "rgb(255,255,255)");
	if (c < 0)
		c = -c;
	v = 235 - (int)(200 * (t->max_change > 0 ? c / t->max_change : 1) + 0.5);
	if (v < 35)
		v = 35;
	return sign > 0 ? strbuf__printf(out, "rgb(255,%d,%d)", v, v) :
			  strbuf__printf(out, "rgb(%d,%d,255)", v, v);
}

/* " (12 samples, 40.00%)"; a differential's " (A: 12 samples, 40.00%; B: ...; -40.00%)". */
static int put_counts(struct strbuf *out, const struct tree *t, const struct node *n)
{
	double pa, pb;
	int sign, err;

	if (!t->diff)
		return strbuf__puts(out, " (") ?: units__put(out, t->unit, n->total) ?:
		       strbuf__printf(out, ", %.2f%%)",
				      100.0 * (double)n->total / (double)t->total);
	pa = t->total_a ? 100.0 * (double)n->a / (double)t->total_a : 0;
	pb = t->total_b ? 100.0 * (double)n->b / (double)t->total_b : 0;
	err = strbuf__puts(out, " (A: ") ?: units__put(out, t->unit, n->a);
	err = err ?: strbuf__printf(out, ", %.2f%%; B: ", pa) ?: units__put(out, t->unit, n->b);
	err = err ?: strbuf__printf(out, ", %.2f%%; ", pb);
	node_change(t, n, &sign);
	return err ?: sign ? strbuf__printf(out, "%+.2f%%)", pb - pa) : strbuf__puts(out, "0%)");
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
	err = err ?: put_xml(out, n->name, len, (size_t)-1) ?: put_counts(out, t, n);
	err = err ?: strbuf__printf(out, "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
					 "height=\"%d\" rx=\"2\" fill=\"",
				    x, y, w, FRAME_H - 1);
	err = err ?: t->diff ? put_diff_fill(out, t, n) : put_fill(out, &t->ss->frames[n->frame]);
	err = err ?: strbuf__puts(out, "\"/>");
	if (chars >= 3 && !err) {
		err = strbuf__printf(out, "<text x=\"%.2f\" y=\"%d\">", x + 3, y + 12);
		err = err ?: put_xml(out, n->name, len, (size_t)chars);
		err = err ?: strbuf__puts(out, "</text>");
	}
	return err ?: strbuf__puts(out, "</g>\n");
}

/*
 * "<comm> (pid N), last S s, T samples", leaving out what is unknown; the views other than
 * cpu say what they count: "wall-clock time 2.06 s", "12 samples holding the GIL".
 */
static int put_about(struct strbuf *out, const struct fmt_meta *m, __u64 total)
{
	const char *sep = "";
	int err = 0;

	if (m->comm) {
		err = put_xml_str(out, m->comm);
		if (m->pid)
			err = err ?: strbuf__printf(out, " (pid %d)", m->pid);
		sep = ", ";
	} else if (m->pid) {
		err = strbuf__printf(out, "pid %d", m->pid);
		sep = ", ";
	}
	if (m->end_unix_ns && (m->duration_ns || m->seconds)) {
		/* U+2013 EN DASH as a character reference: a range, not a minus. */
		err = err ?: strbuf__puts(out, sep) ?: fmt_meta__put_range(out, m, "&#8211;");
		sep = ", ";
	} else if (m->seconds) {
		err = err ?: strbuf__printf(out, "%slast %llu s", sep,
					    (unsigned long long)m->seconds);
		sep = ", ";
	}
	err = err ?: strbuf__puts(out, sep);
	if (view_mode__unit(m->mode) == VIEW_UNIT_NS)
		return err ?: strbuf__printf(out, "%s ", units__what(m->mode)) ?:
		       units__put(out, VIEW_UNIT_NS, total);
	return err ?: units__put(out, VIEW_UNIT_SAMPLES, total) ?:
	       strbuf__puts(out, m->mode == VIEW_MODE_GIL ? " holding the GIL" : "");
}

/* "pyprof: <about>", or a differential's "pyprof diff: A: <about> vs B: <about>". */
static int put_title(struct strbuf *out, const struct tree *t, const struct fmt_meta *m)
{
	int err;

	err = strbuf__printf(out, "<text id=\"title\" x=\"%d\" y=\"24\">", SVG_WIDTH / 2);
	if (t->diff)
		err = err ?: strbuf__puts(out, "pyprof diff: A: ") ?:
		      put_about(out, m, t->total_a) ?: strbuf__puts(out, " vs B: ") ?:
		      put_about(out, t->mb, t->total_b);
	else
		err = err ?: strbuf__puts(out, "pyprof: ") ?: put_about(out, m, t->total);
	return err ?: strbuf__puts(out, "</text>\n");
}

static int put_head(struct strbuf *out, const struct tree *t, const struct fmt_meta *m,
		    int height)
{
	return strbuf__printf(out,
			      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
			      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
			      "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
			      SVG_WIDTH, height, SVG_WIDTH, height) ?:
	       strbuf__puts(out, style) ?:
	       strbuf__puts(out, "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" "
				 "fill=\"url(#bg)\"/>\n") ?:
	       put_title(out, t, m);
}

static int render_empty(const struct tree *t, const struct fmt_meta *m, struct strbuf *out)
{
	int height = 120;

	return put_head(out, t, m, height) ?:
	       strbuf__printf(out,
			      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples</text>\n"
			      "</svg>\n",
			      SVG_WIDTH / 2, height / 2 + 6);
}

static int render(const struct tree *t, const struct fmt_meta *m, struct strbuf *out)
{
	int height = YPAD_TOP + (int)(t->max_depth + 1) * FRAME_H + YPAD_BOTTOM;
	int err;

	err = put_head(out, t, m, height);
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

/* Draws t's items into out (as before on error), and frees t. */
static int draw(struct tree *t, const struct fmt_meta *m, struct strbuf *out)
{
	size_t start = out->len;
	int err;

	err = t->nr_items ? build_tree(t) : 0;
	if (!err && t->total) {
		err = pick_shown(t);
		if (!err && t->diff)
			find_max_change(t);
		err = err ?: render(t, m, out);
	} else if (!err) {
		err = render_empty(t, m, out);
	}
	free(t->nodes);
	free(t->rank);
	labels__done(&t->labels);
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return err;
}

int fmt_svg__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	static const struct fmt_meta none;
	struct tree t = { .ss = ss };
	struct item *items;
	__u64 sum = 0;
	int err;

	if (!ss || !out)
		return -EINVAL;
	t.unit = view_mode__unit((m ? m : &none)->mode);
	/* A sum past 2^64 wraps the tree's total: frames wider than the graph, labels past size_t. */
	for (size_t i = 0; i < ss->nr; i++)
		if (__builtin_add_overflow(sum, ss->stacks[i].count, &sum))
			return -EINVAL;
	items = malloc((ss->nr ? ss->nr : 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nr; i++)
		items[i] = (struct item){ .ids = stack__ids(ss, &ss->stacks[i]),
					  .nr = ss->stacks[i].nr, .count = ss->stacks[i].count };
	t.items = items;
	t.nr_items = ss->nr;
	err = draw(&t, m ? m : &none, out);
	free(items);
	return err;
}

/* The stacks of a differential. */
struct diff_items {
	struct stackset frames;	/* both profiles' frames */
	struct item *items;
	size_t nr;
	__u32 *ids;
	size_t nr_ids;
};

/* Adds side's stacks (side 0: A, 1: B) to d, its frames as d's. */
static int diff_items__add(struct diff_items *d, const struct stackset *side, int which)
{
	__u32 *map;
	int err = 0;

	map = malloc((side->nr_frames ? side->nr_frames : 1) * sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < side->nr_frames && !err; i++)
		err = stackset__frame(&d->frames, &side->frames[i], &map[i]);
	for (size_t i = 0; i < side->nr && !err; i++) {
		const struct stack *st = &side->stacks[i];
		const __u32 *ids = stack__ids(side, st);
		struct item *it = &d->items[d->nr++];

		*it = (struct item){ .ids = d->ids + d->nr_ids, .nr = st->nr };
		*(which ? &it->b : &it->a) = st->count;
		for (size_t k = 0; k < st->nr; k++)
			d->ids[d->nr_ids++] = map[ids[k]];
	}
	free(map);
	return err;
}

/* Allocates d for the stacks of a and b, and adds them.  0, -EINVAL (a sum past 2^64), -ENOMEM. */
static int diff_items__make(struct diff_items *d, const struct stackset *a,
			    const struct stackset *b, __u64 *total_a, __u64 *total_b)
{
	size_t nr_ids = 0;

	for (size_t i = 0; i < a->nr; i++)
		if (__builtin_add_overflow(*total_a, a->stacks[i].count, total_a))
			return -EINVAL;
	for (size_t i = 0; i < b->nr; i++)
		if (__builtin_add_overflow(*total_b, b->stacks[i].count, total_b))
			return -EINVAL;
	for (size_t i = 0; i < a->nr; i++)
		nr_ids += a->stacks[i].nr;
	for (size_t i = 0; i < b->nr; i++)
		nr_ids += b->stacks[i].nr;
	d->items = malloc((a->nr + b->nr ? a->nr + b->nr : 1) * sizeof(*d->items));
	d->ids = malloc((nr_ids ? nr_ids : 1) * sizeof(*d->ids));
	if (!d->items || !d->ids)
		return -ENOMEM;
	return diff_items__add(d, a, 0) ?: diff_items__add(d, b, 1);
}

/*
 * Each item's width: its count in B plus its count in A scaled to B's total (A's own when
 * B is empty), so that both profiles weigh the same and what vanished still shows.
 */
static int diff_widths(struct diff_items *d, __u64 total_a, __u64 total_b)
{
	__u64 sum = 0;

	for (size_t i = 0; i < d->nr; i++) {
		struct item *it = &d->items[i];
		__u64 a = it->a;

		if (total_a && total_b)
			a = (__u64)((unsigned __int128)it->a * total_b / total_a);
		if (__builtin_add_overflow(a, it->b, &it->count) ||
		    __builtin_add_overflow(sum, it->count, &sum))
			return -EINVAL;
	}
	return 0;
}

int fmt_svg__render_diff(const struct stackset *a, const struct fmt_meta *ma,
			 const struct stackset *b, const struct fmt_meta *mb, struct strbuf *out)
{
	static const struct fmt_meta none;
	struct diff_items d = { 0 };
	struct tree t = { .diff = true };
	int err;

	if (!a || !b || !out)
		return -EINVAL;
	t.mb = mb ? mb : &none;
	t.unit = view_mode__unit((ma ? ma : &none)->mode);
	err = diff_items__make(&d, a, b, &t.total_a, &t.total_b) ?:
	      diff_widths(&d, t.total_a, t.total_b);
	if (!err) {
		t.ss = &d.frames;
		t.items = d.items;
		t.nr_items = d.nr;
		err = draw(&t, ma ? ma : &none, out);
	}
	stackset__done(&d.frames);
	free(d.items);
	free(d.ids);
	return err;
}
