// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * profile_mem: the heap the profiles of NPROCS processes hold for SECONDS of
 * history, for make bench: "profile_mem WINDOW_S BUCKET_S NPROCS SECONDS"
 * prints "bytes N".  Each process has a repertoire of 60 stacks 15 to 40
 * frames deep and takes 2 samples a second over the stacks drawn for each
 * 10 s (what 2 CPUs at 99 Hz give 100 busy processes); the draws are the
 * same whatever the layout, so layouts compare side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include "base/util.h"
#include "profile/profile.h"

#define STACKS 60
#define PER_10S 10	/* distinct stacks of a process in 10 s */

static __u32 rnd(__u64 *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (__u32)(*s >> 33);
}

static int fill(struct profile *p, __u64 seed, __u64 seconds)
{
	__u32 rep[STACKS][40], depth[STACKS], names[130];
	char name[32];
	__u64 s = seed, draw;

	for (int i = 0; i < 130; i++) {
		struct frame f = { .kind = FRAME_PYTHON, .name = name, .file = "/srv/app/mod.py",
				   .line = 10 + i, .func_line = FRAME_LINE_NONE };

		snprintf(name, sizeof(name), "f%d", i);
		if (profile__intern(p, &f, &names[i]))
			return -1;
	}
	for (int k = 0; k < STACKS; k++) {
		depth[k] = 15 + rnd(&s) % 26;
		for (__u32 d = 0; d < depth[k]; d++)
			rep[k][d] = names[d < 5 ? d : 5 + rnd(&s) % 125];
	}
	for (__u64 t = 0; t < seconds; t++) {
		draw = seed * 1000003 + t / 10;
		for (int n = 0; n < 2; n++) {
			int k = (int)(rnd(&draw) % PER_10S + (t / 10 * 7) % (STACKS - PER_10S));

			if (profile__add(p, (1ull << 40) + t * NSEC_PER_SEC + n * NSEC_PER_SEC / 2,
					 SAMPLE_ON_CPU, rep[k], depth[k], 1))
				return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	long long window, bucket, nprocs, seconds;
	size_t bytes = 0;

	if (argc != 5 || parse_int_range(argv[1], 1, 3600, &window) ||
	    parse_int_range(argv[2], 0, 3600, &bucket) ||
	    parse_int_range(argv[3], 1, 100000, &nprocs) ||
	    parse_int_range(argv[4], 1, 86400, &seconds)) {
		fprintf(stderr, "usage: profile_mem WINDOW_S BUCKET_S NPROCS SECONDS\n");
		return 2;
	}
	for (long long i = 0; i < nprocs; i++) {
		struct profile_opts o = { .window_ns = (__u64)window * NSEC_PER_SEC,
					  .bucket_ns = (__u64)bucket * NSEC_PER_SEC,
					  .retention_ns = 2 * 3600 * NSEC_PER_SEC,
					  .max_stacks = 4096, .max_frames = 65536 };
		struct profile *p = profile__new(&o);
		struct profile_stats st;

		if (!p || fill(p, (__u64)i + 1, (__u64)seconds)) {
			fprintf(stderr, "profile_mem: out of memory\n");
			return 1;
		}
		profile__stats(p, &st);
		bytes += st.bytes;
		profile__free(p);
	}
	printf("bytes %zu\n", bytes);
	return 0;
}
