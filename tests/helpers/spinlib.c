// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A shared library that burns CPU in a function named SPIN_NAME (spin_a or
 * spin_b): two builds of one layout, the same code at the same addresses
 * under other names, for a test that puts one file in place of the other
 * while it is mapped.  spin() is what the workload calls.
 */
volatile unsigned long spin_sink;

__attribute__((noinline)) void SPIN_NAME(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		spin_sink += i;
}

void spin(unsigned long n)
{
	SPIN_NAME(n);
	__asm__ volatile("" ::: "memory");
}
