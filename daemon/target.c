// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: reading a target process's memory. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include "target.h"

int target_read(int pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

__u64 target_field_u64(const __u8 *buf, size_t size, __s16 off)
{
	__u64 v = 0;

	if (off >= 0 && (size_t)off + 8 <= size)
		memcpy(&v, buf + off, 8);
	return v;
}

int target_read_ptr(int pid, __u64 addr, __s16 off, __u64 *ret)
{
	if (off < 0)
		return -EINVAL;
	return target_read(pid, addr + (__u64)off, ret, sizeof(*ret));
}
