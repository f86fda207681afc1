/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * statefile: the format of pyprofd's --state-dir files, one per time window.
 *
 * File "w<index>.pyprof", index = window start / window length on the
 * daemon's profile clock (since W5 wall-clock ns since the epoch, profclock.h):
 *   "PYPROFW6" | u64 raw size | zlib(raw)
 * raw, little-endian:
 *   u64 window_ns, u64 start (profile clock), u64 start_wall, char boot_id[36],
 *   u64 bucket_ns, u32 nr_procs
 *   per process: i32 pid, u64 start_time, u32 ruid, u32 euid (pyprofd writes the
 *     one uid that may see the process twice, 0xffffffff for none), u32 version_hex,
 *     u32 supported, str comm, str exe, str why,
 *     u32 nr_labels, { str key, str value }... (proclabel.h's rules),
 *     u32 nr_strings, str string...,
 *     u32 nr_frames, u8 kind[nr_frames], u32 name[nr_frames], u32 file[nr_frames],
 *       s32 line[nr_frames], s32 func_line[nr_frames],
 *     u32 nr_stacks, { u32 nr, u32 frame[nr], u64 count }..., u8 tag[nr_stacks],
 *       u8 bucket[nr_stacks], str cmdline
 *   str = u32 length + bytes (no NUL).  Frame i is {kind[i], name[i], ...}:
 *   the fields of struct frame (frame.h), name and file as string indices
 *   (file 0xffffffff: none).  Column by column, because zlib then finds the
 *   runs (files 20% smaller than frame by frame).  A stack's frames are
 *   frame indices, root first; stack i's tag is tag[i] (sample.h: a bit it
 *   does not know makes the file corrupt).  The window is cut into
 *   window_ns / bucket_ns buckets (bucket_ns divides window_ns, at most
 *   PROFILE_MAX_BUCKETS of them, profile.h), and stack i's count is of
 *   bucket[i], [start + bucket[i] * bucket_ns, + bucket_ns): a range of whole
 *   buckets is exact after a restart too.  The same frames and tag in two
 *   buckets are two stacks.  cmdline is the command line as procident.h
 *   makes it ("" when it was not read), kept so that a cmdline selector
 *   finds the history of a process pyprofd has not seen since it restarted.
 *
 * Version 5 ("PYPROFW5") is W6 without buckets and command lines: no
 * bucket_ns, no bucket column, no cmdline; it reads as one bucket, the whole window (bucket_ns = window_ns,
 * every bucket 0), and so do all older versions.  Version 4 ("PYPROFW4")
 * has the same bytes as W5, but its start is on the profile clock of its day
 * (CLOCK_MONOTONIC + 2^56): a reader places it by start_wall alone, whatever
 * the boot.  Version 3 ("PYPROFW3") is W4 without labels and tags: no
 * nr_labels, no tag column; every stack is SAMPLE_ON_CPU.  Version 2
 * ("PYPROFW2", written before frames were data) has per process u32
 * nr_names, str name... where W3 has strings and frames, and stacks of name
 * indices; each name is read back as the frame whose label it is
 * (frame__split(), by depth), so history survives an upgrade.  Only W6 is
 * written.
 *
 * A pure codec: no I/O, no logging.  Decoding checks the whole file before it
 * returns anything, so a caller applies a file whole or not at all.
 */
#ifndef PYPROF_STATEFILE_H
#define PYPROF_STATEFILE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyprof_abi.h"
#include "profile/frame.h"
#include "profile/proclabel.h"
#include "profile/procident.h"
#include "profile/profile.h"
#include "profile/sample.h"

#define STATEFILE_MAGIC	    "PYPROFW6"		/* what is written */
#define STATEFILE_MAGIC_W5  "PYPROFW5"		/* still read */
#define STATEFILE_MAGIC_W4  "PYPROFW4"		/* still read */
#define STATEFILE_MAGIC_W3  "PYPROFW3"		/* still read */
#define STATEFILE_MAGIC_W2  "PYPROFW2"		/* still read */
#define STATEFILE_VERSION   6
#define STATEFILE_VERSION_WALL 5			/* the first whose start is wall-clock time */
#define STATEFILE_VERSION_BUCKETS 6		/* the first with buckets */
#define STATEFILE_HDR_LEN   16			/* magic + raw size */
#define STATEFILE_MAX_FILE  (256u << 20)	/* bigger files are not read */
#define STATEFILE_MAX_RAW   (1024u << 20)
#define STATEFILE_BOOT_ID   36			/* /proc/sys/kernel/random/boot_id, no newline */
#define STATEFILE_MAX_EXE   4095		/* bytes of an exe path */
#define STATEFILE_MAX_WHY   127			/* bytes of the "not profiled" reason */
#define STATEFILE_MAX_CMDLINE PROCIDENT_CMDLINE_LEN	/* bytes of a command line */
#define STATEFILE_MAX_STRING FRAME_MAX_STRING	/* bytes of a string (W2: of a name) */
#define STATEFILE_NO_FILE   0xffffffffu		/* a frame's file index: none */

struct statefile_stack {
	__u32 off;	/* first frame index in the process's ids[] (root first) */
	__u32 nr;	/* 1..STACK_MAX_DEPTH (stacks.h; W2: 1..PYPROF_MAX_STACK) */
	__u64 count;	/* >= 1 */
	sample_tag_t tag;	/* profile/sample.h, sample_tag__valid() (W2, W3: SAMPLE_ON_CPU) */
	__u8 bucket;		/* < window_ns / bucket_ns (W5 and older: 0) */
};

struct statefile_proc {
	__s32 pid;			/* >= 1 */
	__u64 start_time;
	__u32 ruid, euid;
	__u32 version_hex;
	bool supported;
	const char *comm, *exe, *why;	/* NUL-terminated */
	const char *cmdline;		/* NUL-terminated; NULL: none (W5 and older) */
	__u32 nr_labels;		/* W2, W3: none */
	struct proclabel *labels;	/* proclabel.h's rules (NULL: none); a decoder's
					   holds its strings in the same allocation */
	__u32 nr_frames;
	struct frame *frames;		/* indexed by ids[]; strings as struct frame wants */
	__u32 nr_stacks;
	struct statefile_stack *stacks;
	__u32 *ids;			/* every stack's frame indices, each < nr_frames */
	__u64 samples;			/* sum of the stacks' counts (decoder fills it in) */
	/* A decoder's: the strings frames[] point into (W3: its string table). */
	char *arena;
	char **strings;
	__u32 nr_strings;
};

/* One window file.  Decoded ones own their memory: statefile__fini(). */
struct statefile {
	__u64 window_ns;		/* >= 1 */
	__u64 bucket_ns;		/* divides window_ns, <= PROFILE_MAX_BUCKETS buckets
					   (W5 and older: window_ns) */
	__u64 start;			/* window start on the writer's profile clock */
	__u64 start_wall;		/* the same instant on CLOCK_REALTIME */
	char boot_id[STATEFILE_BOOT_ID];
	__u32 nr_procs;
	struct statefile_proc *procs;
	bool old_clock;			/* decoded from W4 or older: start is not wall time */
	bool owned;			/* filled by a decoder: fini frees */
};

struct strbuf;

/*
 * Appends the raw (uncompressed) encoding of sf to out.  Returns 0, -ENOMEM,
 * or -EINVAL when sf breaks a rule the decoder enforces (so nothing is
 * written that a reader would reject).
 */
int statefile__encode_raw(const struct statefile *sf, struct strbuf *out);

/* The whole file (header + zlib) for raw bytes; *ret is malloc'd.  0, -ENOMEM, -EIO. */
int statefile__compress(const __u8 *raw, size_t raw_len, __u8 **ret, size_t *ret_len);

/*
 * Decodes raw (uncompressed) bytes of format version 6, 5, 4, 3 or 2 into *sf,
 * which the caller owns and frees with statefile__fini() on success.  Every
 * field is checked (limits, kinds, string and frame indices, string contents,
 * tags, labels as proclabel__valid_set() wants them, buckets, no trailing
 * bytes); on any
 * error *sf is left empty.  Returns 0, -EBADMSG (corrupt or truncated, or
 * another version) or -ENOMEM.
 */
int statefile__decode_raw(const __u8 *raw, size_t len, unsigned int version,
			  struct statefile *sf);

/* Like statefile__decode_raw() for a whole file as stored (header + zlib), W6 to W2. */
int statefile__decode(const __u8 *file, size_t len, struct statefile *sf);

/* Frees what a decoder allocated; sf is empty after.  NULL-safe, idempotent. */
void statefile__fini(struct statefile *sf);

/* Where a file's window lands on the reader's clock. */
struct statefile_clock {
	const char *boot_id;		/* this boot's, STATEFILE_BOOT_ID bytes */
	__u64 now;			/* the reader's profile clock */
	__u64 wall;			/* CLOCK_REALTIME now */
	__u64 retention_ns;
};

/*
 * The start of sf's window on the reader's clock (since W5 the same clock:
 * wall time, whatever the boot); an older file's clock started elsewhere,
 * and the wall clock says how long ago it was.  Returns
 * 0, -ESTALE (older than the retention: delete it) or -ERANGE (dated in the
 * future: the file does not belong to this clock).
 */
int statefile__place(const struct statefile *sf, const struct statefile_clock *c,
		     __u64 *ret_start);

#endif /* PYPROF_STATEFILE_H */
