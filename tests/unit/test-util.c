// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for util: array growth, the open-addressing slot index, writing whole buffers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "testhelp.h"
#include "base/util.h"

/* A pipe takes 64 KiB at a time: 1 MiB arrives whole through short writes. */
TEST(fd_write_all_writes_everything)
{
	static char buf[1 << 20], got[1 << 20];
	int p[2];
	size_t have = 0;
	pid_t pid;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 31 + 7);
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(fd__write_all(p[1], buf, sizeof(buf)) ? 1 : 0);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], got + have, sizeof(got) - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(p[0]);
	ASSERT_EQ(have, sizeof(buf));
	ASSERT_TRUE(memcmp(buf, got, sizeof(buf)) == 0);
	ASSERT_EQ(fd__write_all(-1, buf, 1), -EBADF);
	ASSERT_EQ(fd__write_all(-1, buf, 0), 0);
}

TEST(grow_array_keeps_contents)
{
	int *v = NULL;
	size_t cap = 0;

	for (int i = 0; i < 1000; i++) {
		ASSERT_OK(grow_array((void **)&v, &cap, (size_t)i + 1, sizeof(*v)));
		ASSERT_TRUE(cap >= (size_t)i + 1);
		v[i] = i * 7;
	}
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(v[i], i * 7);
	free(v);
}

TEST(grow_array_refuses_overflow)
{
	void *v = NULL;
	size_t cap = 0;

	ASSERT_EQ(grow_array(&v, &cap, (size_t)-1 / 2, 8), -ENOMEM);
	ASSERT_TRUE(v == NULL && cap == 0);
}

static __u64 key_hash(const void *ctx, size_t i)
{
	const __u64 *keys = ctx;

	/* Few distinct hashes: long probe chains. */
	return keys[i] % 97;
}

/* The item number (1-based) holding key, or 0. */
static size_t find(const size_t *slots, size_t nr_slots, const __u64 *keys, __u64 key)
{
	for (size_t s = (key % 97) & (nr_slots - 1); slots[s]; s = (s + 1) & (nr_slots - 1))
		if (keys[slots[s] - 1] == key)
			return slots[s];
	return 0;
}

TEST(slots_index_every_item_and_stay_sparse)
{
	__u64 keys[5000];
	size_t *slots = NULL, nr_slots = 0;

	for (size_t i = 0; i < 5000; i++) {
		size_t s;

		keys[i] = i * 1000003u;
		ASSERT_OK(slots__reserve(&slots, &nr_slots, i, key_hash, keys));
		/* A power of two with room for this item, at most 3/4 full. */
		ASSERT_TRUE(nr_slots && !(nr_slots & (nr_slots - 1)));
		ASSERT_TRUE((i + 1) * 4 <= nr_slots * 3);
		for (s = (keys[i] % 97) & (nr_slots - 1); slots[s]; s = (s + 1) & (nr_slots - 1))
			;
		slots[s] = i + 1;
	}
	ASSERT_EQ(nr_slots, (size_t)8192);
	for (size_t i = 0; i < 5000; i++)
		ASSERT_EQ(find(slots, nr_slots, keys, keys[i]), i + 1);
	ASSERT_EQ(find(slots, nr_slots, keys, 1), (size_t)0);
	free(slots);
}
