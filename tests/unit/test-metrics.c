// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Status replies as Prometheus metrics (daemon/metrics.c). */
#include <errno.h>
#include <string.h>
#include "base/strbuf.h"
#include "proto/proto.h"
#include "metrics.h"
#include "testhelp.h"

/* A socket reply: the OK line, then payload. */
static void reply(struct strbuf *sb, const char *payload)
{
	char hdr[64];
	int n = proto__format_ok(strlen(payload), hdr, sizeof(hdr));

	strbuf__reset(sb);
	ASSERT_TRUE(n > 0);
	ASSERT_OK(strbuf__append(sb, hdr, (size_t)n));
	ASSERT_OK(strbuf__puts(sb, payload));
}

static const char *const STATUS =
	"version 0.1.0\nabi 15\nrate_hz 99\nuptime_s 12\nsamples_received 4242\n"
	"daemon_rss_kb 2048\nbpf_lost_ringbuf_full 3\nbpf_err_read_frame 5\n"
	"bpf_offcpu_lost_thread_exit 7\nbpf_offcpu_lost_thread_exit_ns 2500000000\n"
	"tstate_seed_us 1500000\nsome_new_counter 9\nstate_dir /var/lib/pyprof\noffcpu on\n"
	"Bad-Key 1\n";
static const char *const LIST = "PID\tVERSION\tSTATE\tSAMPLES\n1\t3.11\tprofiled\t5\n"
				"2\t3.12\texited\t0\n3\t3.11\tprofiled\t1\n"
				"4\t3.9\tunsupported\t0\n";

TEST(status_becomes_metrics)
{
	struct strbuf st = { 0 }, ls = { 0 }, out = { 0 };

	reply(&st, STATUS);
	reply(&ls, LIST);
	ASSERT_OK(metrics__render(&st, &ls, &out));
	ASSERT_TRUE(strstr(out.buf, "# TYPE pyprofd_samples_total counter\n"
				    "pyprofd_samples_total 4242\n"));
	ASSERT_TRUE(strstr(out.buf, "pyprofd_resident_memory_bytes 2097152\n"));
	ASSERT_TRUE(strstr(out.buf, "# TYPE pyprofd_uptime_seconds gauge\n"));
	ASSERT_TRUE(strstr(out.buf, "pyprofd_build_info{version=\"0.1.0\",abi=\"15\"} 1\n"));
	ASSERT_TRUE(strstr(out.buf, "pyprofd_offcpu_enabled 1\n"));
	/* Families: one HELP and TYPE, every reason's sample after them. */
	ASSERT_TRUE(strstr(out.buf, "# TYPE pyprofd_bpf_lost_total counter\n"
				    "pyprofd_bpf_lost_total{reason=\"bpf_lost_ringbuf_full\"} 3\n"
				    "pyprofd_bpf_lost_total"
				    "{reason=\"bpf_offcpu_lost_thread_exit\"} 7\n"));
	ASSERT_TRUE(strstr(out.buf, "pyprofd_bpf_errors_total{reason=\"bpf_err_read_frame\"} 5\n"));
	/* Times in seconds; counters nobody listed as themselves. */
	ASSERT_TRUE(strstr(out.buf, "pyprofd_bpf_offcpu_lost_thread_exit_seconds_total 2.5\n"));
	ASSERT_TRUE(strstr(out.buf, "pyprofd_tstate_seed_seconds_total 1.5\n"));
	ASSERT_TRUE(strstr(out.buf, "# TYPE pyprofd_some_new_counter_total counter\n"
				    "pyprofd_some_new_counter_total 9\n"));
	ASSERT_TRUE(strstr(out.buf, "pyprofd_processes{state=\"profiled\"} 2\n"
				    "pyprofd_processes{state=\"unsupported\"} 1\n"
				    "pyprofd_processes{state=\"exited\"} 1\n"));
	/* No path, no string, no key that is not a metric name. */
	ASSERT_TRUE(!strstr(out.buf, "/var/lib") && !strstr(out.buf, "state_dir") &&
		    !strstr(out.buf, "Bad"));
	strbuf__done(&st);
	strbuf__done(&ls);
	strbuf__done(&out);
}

TEST(error_replies_are_refused)
{
	struct strbuf st = { 0 }, ls = { 0 }, out = { 0 };

	ASSERT_OK(strbuf__puts(&st, "ERR EBUSY busy\n"));
	reply(&ls, LIST);
	ASSERT_EQ(metrics__render(&st, &ls, &out), -EPROTO);
	strbuf__reset(&st);
	ASSERT_OK(strbuf__puts(&st, "OK 100\nshort"));
	ASSERT_EQ(metrics__render(&st, &ls, &out), -EPROTO);
	strbuf__done(&st);
	strbuf__done(&ls);
	strbuf__done(&out);
}
