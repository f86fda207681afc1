/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * wire: the binary profile encoding of PYPROF/3 and PYPROF/2 (the payload of
 * a snapshot asked for with "PYPROF/3 snapshot ..." or "PYPROF/2 ...", see
 * proto.h).  Version 3:
 *
 *   "PYPROFS\x03"   8-byte magic (version 3; version 2: "PYPROFS\x02")
 *   u32 nr_strings, nr_strings x { u32 len, len bytes (no NUL, len <= WIRE_MAX_STRING) }
 *   u32 nr_frames,  nr_frames  x { u8 kind (< FRAME__MAX), u32 name (a string index),
 *                                  u32 file (a string index, or WIRE_NO_STRING: none),
 *                                  s32 line, s32 func_line (each >= -1: FRAME_LINE_NONE) }
 *   u32 nr_stacks,  nr_stacks  x { u32 nr (1..STACK_MAX_DEPTH), u32 frame[nr] (frame
 *                                  indexes, root first), u64 count (>= 1),
 *                                  u8 tag (profile/sample.h; sample_tag__valid()) }
 *
 * Version 2 is the same without the tag byte: every stack is SAMPLE_ON_CPU
 * (a daemon answers a PYPROF/2 request with the on-CPU stacks only, their
 * counts samples, tags dropped and equal stacks merged).  A stack's count is
 * in its tag's unit: samples, or nanoseconds for SAMPLE_OFF_CPU.
 *
 * All integers little-endian; nothing after the last stack; counts may not
 * sum past 2^64; the whole encoding is at most PROTO_MAX_REPLY bytes.  Frame
 * kinds are enum frame_kind's values (profile/frame.h: FRAME_PROCESS 0 ..
 * FRAME_NATIVE 6; that order is part of the protocol, new kinds go at the
 * end).  Tag bits are sample.h's; a bit it does not know is an error (a new
 * bit goes with a new version).  Equal frames or stacks (frames and tag)
 * given twice are merged by the decoder.
 */
#ifndef PYPROF_WIRE_H
#define PYPROF_WIRE_H

#include <linux/types.h>
#include <stddef.h>
#include "profile/stacks.h"

struct strbuf;

#define WIRE_VERSION	3
#define WIRE_MAGIC	"PYPROFS\x03"	/* what version 3 starts with */
#define WIRE_MAGIC_V2	"PYPROFS\x02"	/* version 2, still written and read */
#define WIRE_MAGIC_LEN	8
#define WIRE_MAX_STRING FRAME_MAX_STRING	/* bytes of one string */
#define WIRE_NO_STRING	0xffffffffu	/* the file index of a frame without a file */

/*
 * Appends the encoding of ss in version (2 or WIRE_VERSION) to out: strings
 * deduplicated, frames in ss->frames order, stacks in ss->stacks order,
 * stacks of count 0 left out (they hold no samples).  Returns 0, -EINVAL
 * (another version, a string longer than WIRE_MAX_STRING, an invalid tag,
 * for version 2 a tag other than SAMPLE_ON_CPU: the caller selects and
 * merges first), -E2BIG (the encoding would pass PROTO_MAX_REPLY), -ENOMEM;
 * out is as before on error.
 */
int wire__encode(const struct stackset *ss, unsigned int version, struct strbuf *out);

/*
 * Decodes len bytes of version 3 or 2 (by the magic) into the empty set ss;
 * version 2's stacks get SAMPLE_ON_CPU.  Returns 0, -EBADMSG (anything not
 * exactly as above), -ENOMEM; ss is empty on error.
 */
int wire__decode(const __u8 *buf, size_t len, struct stackset *ss);

#endif /* PYPROF_WIRE_H */
