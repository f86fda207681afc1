// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make bench: what an interrupt takes from a busy thread.  gaps() spins
 * reading the clock; a jump between two reads longer than min_ns is time the
 * thread lost (an interrupt, with whatever BPF program it ran).  Jumps longer
 * than max_ns are the thread being scheduled out, not an interrupt, and are
 * left out.  Built into a shared object and called from Python (gaps.py), so
 * that the thread interrupted is a Python thread with a Python stack.
 */
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

#define MAX_GAPS (1 << 18)
#define BIN_NS	 20000ll	/* phase bins over one sampling period */
#define MAX_BINS 4096

static long long gap_at[MAX_GAPS], gap_ns[MAX_GAPS];
static long long bin_nr[MAX_BINS], bin_ns[MAX_BINS];

/*
 * A cpu-clock event fires every period ns of CLOCK_MONOTONIC (hrtimer based,
 * a frequency is turned into a fixed period), so its interrupts are the gaps
 * that come back at one phase of the period.  Sums the gaps of the busiest
 * 3 bins of phase, less what the other bins hold on average (interrupts of
 * other sources): out[0] ns lost to the timer, out[1] its interrupts.
 */
static void in_phase(long long nr, long long period, long long *out)
{
	long long bins = period / BIN_NS, best = 0, bg_nr = 0, bg_ns = 0;

	if (bins < 8 || bins > MAX_BINS)
		return;
	for (long long b = 0; b < bins; b++)
		bin_nr[b] = bin_ns[b] = 0;
	for (long long i = 0; i < nr; i++) {
		long long b = (gap_at[i] % period) / BIN_NS;

		if (b >= bins)
			b = bins - 1;
		bin_nr[b]++;
		bin_ns[b] += gap_ns[i];
	}
	for (long long b = 0; b < bins; b++)
		if (bin_nr[b] + bin_nr[(b + 1) % bins] + bin_nr[(b + 2) % bins] >
		    bin_nr[best] + bin_nr[(best + 1) % bins] + bin_nr[(best + 2) % bins])
			best = b;
	for (long long b = 0; b < bins; b++) {
		if (b == best || b == (best + 1) % bins || b == (best + 2) % bins)
			continue;
		bg_nr += bin_nr[b];
		bg_ns += bin_ns[b];
	}
	out[0] = out[1] = 0;
	for (long long k = 0; k < 3; k++) {
		out[0] += bin_ns[(best + k) % bins];
		out[1] += bin_nr[(best + k) % bins];
	}
	out[0] -= bg_ns * 3 / (bins - 3);
	out[1] -= bg_nr * 3 / (bins - 3);
}

/*
 * Spins for ns.  out[0], out[1]: ns lost to the gaps in phase with a timer
 * of this period and their number (see in_phase; 0 with period 0); out[2]
 * ns spun; out[3], out[4]: ns lost in all gaps and their number.
 */
void gaps(long long ns, long long min_ns, long long max_ns, long long period, long long *out)
{
	long long start = now(), prev = start, t, lost = 0, nr = 0;

	do {
		t = now();
		if (t - prev > min_ns && t - prev < max_ns) {
			if (nr < MAX_GAPS) {
				gap_at[nr] = prev;
				gap_ns[nr] = t - prev;
			}
			lost += t - prev;
			nr++;
		}
		prev = t;
	} while (t - start < ns);
	out[0] = out[1] = 0;
	if (period)
		in_phase(nr < MAX_GAPS ? nr : MAX_GAPS, period, out);
	out[2] = t - start;
	out[3] = lost;
	out[4] = nr;
}

/* A cpu-clock perf event sampling cpu at hz with no BPF program: just the interrupt. */
int clock_event(int cpu, int hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = hz,
	};

	return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}
