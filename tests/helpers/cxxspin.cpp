// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A C++ library for the demangling tests: cxx_walk() calls back from inside
 * a C++ method (test-cxxname unwinds from there), cxx_spin() spins inside
 * one (test_native, through ctypes).  Both are extern "C" for their callers.
 */
namespace pyprof_test {
struct Walker {
	__attribute__((noinline)) static void walk(void (*cb)(void), int depth);
	__attribute__((noinline)) static unsigned long spin(unsigned long n);
};

void Walker::walk(void (*cb)(void), int depth)
{
	cb();
	__asm__ volatile("" : : "r"(depth) : "memory");
}

unsigned long Walker::spin(unsigned long n)
{
	unsigned long x = 0;

	for (unsigned long i = 0; i < n; i++) {
		x = x * 6364136223846793005ul + i;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}
} // namespace pyprof_test

extern "C" void cxx_walk(void (*cb)(void))
{
	pyprof_test::Walker::walk(cb, 1);
	__asm__ volatile("" ::: "memory");
}

extern "C" unsigned long cxx_spin(unsigned long n)
{
	unsigned long x = pyprof_test::Walker::spin(n);

	__asm__ volatile("" ::: "memory");
	return x;
}
