// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: Prometheus metrics from the status verb's reply (see metrics.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/strbuf.h"
#include "proto/proto.h"
#include "metrics.h"

#define METRICS_MAX_FIELDS 512	/* status lines looked at; more are left out */
#define METRICS_MAX_KEY	   64	/* bytes of a status key, NUL included */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_FAMILY, METRIC_SKIP };

/*
 * How a status key is shown, when not as the counter pyprofd_<key>_total.
 * A METRIC_FAMILY row's key is a prefix: every key that starts with it is a
 * sample of the counter name{reason="<key>"} (but a _ns key, which is time:
 * a counter of its own).  Several rows may share a family's name: the one
 * with the help shows the family, with the keys of them all.
 */
static const struct metric {
	const char *key, *name;
	enum metric_type type;
	double scale;
	const char *help;
} table[] = {
	{ "samples_received", "pyprofd_samples_total", METRIC_COUNTER, 1,
	  "Samples of Python processes received from BPF (status samples_received)." },
	{ "uptime_s", "pyprofd_uptime_seconds", METRIC_GAUGE, 1, "Seconds since pyprofd started." },
	{ "daemon_rss_kb", "pyprofd_resident_memory_bytes", METRIC_GAUGE, 1024,
	  "pyprofd's resident memory (VmRSS)." },
	{ "daemon_fds", "pyprofd_open_fds", METRIC_GAUGE, 1,
	  "File descriptors pyprofd holds open." },
	{ "profile_bytes", "pyprofd_history_bytes", METRIC_GAUGE, 1,
	  "Bytes the profile history of every process holds in memory." },
	{ "rate_hz", "pyprofd_sample_rate_hertz", METRIC_GAUGE, 1, "Samples per second per CPU." },
	{ "window_s", "pyprofd_window_seconds", METRIC_GAUGE, 1, "Length of one time window." },
	{ "retention_s", "pyprofd_retention_seconds", METRIC_GAUGE, 1, "History kept." },
	{ "offcpu_min_ns", "pyprofd_offcpu_min_seconds", METRIC_GAUGE, 1e-9,
	  "Off-CPU intervals shorter than this are drawn at random (--offcpu-min)." },
	{ "offcpu_sample_ns", "pyprofd_offcpu_sample_seconds", METRIC_GAUGE, 1e-9,
	  "A shorter one is drawn with probability length/this, weighing this (--offcpu-sample)." },
	{ "processes_live", "pyprofd_processes_live", METRIC_GAUGE, 1,
	  "Python processes running now." },
	{ "processes_exited", "pyprofd_processes_exited", METRIC_GAUGE, 1,
	  "Exited Python processes whose history is still kept." },
	{ "cpus_sampled", "pyprofd_cpus_sampled", METRIC_GAUGE, 1, "CPUs sampled." },
	{ "clients_connected", "pyprofd_clients_connected", METRIC_GAUGE, 1,
	  "Clients connected to the Unix socket now." },
	{ "reply_bytes_queued", "pyprofd_reply_bytes_queued", METRIC_GAUGE, 1,
	  "Reply bytes built and not yet read by socket clients." },
	{ "bpf_procs_entries", "pyprofd_bpf_procs_entries", METRIC_GAUGE, 1,
	  "Entries of the BPF map of profiled processes." },
	{ "bpf_tstates_entries", "pyprofd_bpf_tstates_entries", METRIC_GAUGE, 1,
	  "Entries of the BPF thread state cache." },
	{ "code_objects_cached", "pyprofd_code_objects_cached", METRIC_GAUGE, 1,
	  "Code objects whose names are cached." },
	{ "elf_analysing", "pyprofd_elf_analysing", METRIC_GAUGE, 1,
	  "Interpreter binaries queued for or under analysis." },
	{ "thread_names_known", "pyprofd_thread_names_known", METRIC_GAUGE, 1,
	  "Python thread names known." },
	{ "push_queued", "pyprofd_push_queued", METRIC_GAUGE, 1,
	  "Pushes to the --push receiver waiting to be sent." },
	{ "push_bytes", "pyprofd_push_bytes_total", METRIC_COUNTER, 1,
	  "Bytes of pushes the --push receiver accepted (requests, head and body)." },
	/* Strings: in pyprofd_build_info and pyprofd_offcpu_enabled, or not shown (a path). */
	{ "version", NULL, METRIC_SKIP, 0, NULL },
	{ "abi", NULL, METRIC_SKIP, 0, NULL },
	{ "offcpu", NULL, METRIC_SKIP, 0, NULL },
	{ "state_dir", NULL, METRIC_SKIP, 0, NULL },
	/* Labelled families. */
	{ "bpf_lost_", "pyprofd_bpf_lost_total", METRIC_FAMILY, 1,
	  "Samples and events BPF lost, by the status counter (reason) that counts them." },
	{ "bpf_offcpu_lost_", "pyprofd_bpf_lost_total", METRIC_FAMILY, 1, NULL },
	{ "bpf_err_", "pyprofd_bpf_errors_total", METRIC_FAMILY, 1,
	  "Samples BPF could not walk whole, by the status counter (reason) that counts them." },
	{ "bpf_offcpu_err_", "pyprofd_bpf_errors_total", METRIC_FAMILY, 1, NULL },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct field {
	char key[METRICS_MAX_KEY];
	const char *value;	/* in the reply, up to its newline */
	size_t value_len;
};

/* The payload of a whole OK reply, or NULL. */
static const char *payload_of(const struct strbuf *reply, size_t *ret_len)
{
	const char *nl = reply->buf ? memchr(reply->buf, '\n', reply->len) : NULL;
	size_t hlen = nl ? (size_t)(nl - reply->buf) + 1 : 0, plen;
	char msg[PROTO_MAX_MESSAGE];

	if (!nl || proto__parse_reply_header(reply->buf, hlen, &plen, msg, sizeof(msg)) != 0 ||
	    plen != reply->len - hlen)
		return NULL;
	*ret_len = plen;
	return reply->buf + hlen;
}

/* Status lines "key value" of metric-name characters into f; how many. */
static size_t parse_status(const char *p, size_t len, struct field *f, size_t max)
{
	const char *end = p + len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		const char *eol = nl ? nl : end;
		size_t klen;

		sp = memchr(p, ' ', (size_t)(eol - p));
		klen = sp ? (size_t)(sp - p) : 0;
		if (sp && klen && klen < METRICS_MAX_KEY && strspn(p, "abcdefghijklmnopqrstuvwxyz"
					 "0123456789_") >= klen) {
			memcpy(f[n].key, p, klen);
			f[n].key[klen] = '\0';
			f[n].value = sp + 1;
			f[n].value_len = (size_t)(eol - sp - 1);
			n++;
		}
		p = eol + 1;
	}
	return n;
}

/* The value as a number, false if it is not one (a string field). */
static bool number(const struct field *f, unsigned long long *ret)
{
	char buf[32], *end;

	if (!f->value_len || f->value_len >= sizeof(buf) ||
	    strspn(f->value, "0123456789") < f->value_len)
		return false;
	memcpy(buf, f->value, f->value_len);
	buf[f->value_len] = '\0';
	*ret = strtoull(buf, &end, 10);
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t len = strlen(s), slen = strlen(suffix);

	return len > slen && strcmp(s + len - slen, suffix) == 0;
}

/* The row that says how key is shown, or NULL: a generic counter. */
static const struct metric *metric_of(const char *key)
{
	for (size_t i = 0; i < ARRAY_LEN(table); i++) {
		const struct metric *m = &table[i];

		if (m->type != METRIC_FAMILY ? strcmp(key, m->key) == 0
					     : strncmp(key, m->key, strlen(m->key)) == 0 &&
						       !ends_with(key, "_ns"))
			return m;
	}
	return NULL;
}

/* One metric of one sample. */
static int put_single(struct strbuf *out, const char *name, const char *type, const char *help,
		      double v)
{
	return strbuf__printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
			      type, name, v);
}

/*
 * pyprofd_<key>_total, in seconds for a time in ns or us (Prometheus' base
 * unit); the value in that unit.
 */
static double generic_name(const char *key, unsigned long long v, char *name, size_t sz)
{
	size_t klen = strlen(key);
	bool ns = ends_with(key, "_ns"), us = ends_with(key, "_us");

	if (!ns && !us) {
		snprintf(name, sz, "pyprofd_%s_total", key);
		return (double)v;
	}
	snprintf(name, sz, "pyprofd_%.*s_seconds_total", (int)(klen - 3), key);
	return (double)v * (ns ? 1e-9 : 1e-6);
}

/* Every status number that is no family's, in the status reply's order. */
static int put_singles(struct strbuf *out, const struct field *f, size_t nr)
{
	unsigned long long v;
	char name[METRICS_MAX_KEY + 32], help[METRICS_MAX_KEY + 64];
	int r = 0;

	for (size_t i = 0; i < nr && !r; i++) {
		const struct metric *m = metric_of(f[i].key);

		if ((m && (m->type == METRIC_FAMILY || m->type == METRIC_SKIP)) ||
		    !number(&f[i], &v))
			continue;
		if (m) {
			r = put_single(out, m->name, m->type == METRIC_GAUGE ? "gauge" : "counter",
				       m->help, (double)v * m->scale);
			continue;
		}
		snprintf(help, sizeof(help), "The status counter %s (pyprofctl status).", f[i].key);
		r = put_single(out, name, "counter", help,
			       generic_name(f[i].key, v, name, sizeof(name)));
	}
	return r;
}

/* The labelled families, each once (at its row with the help) with every key of its rows. */
static int put_families(struct strbuf *out, const struct field *f, size_t nr)
{
	unsigned long long v;
	int r = 0;

	for (size_t fam = 0; fam < ARRAY_LEN(table) && !r; fam++) {
		const struct metric *m = &table[fam];

		if (m->type != METRIC_FAMILY || !m->help)
			continue;
		r = strbuf__printf(out, "# HELP %s %s\n# TYPE %s counter\n", m->name, m->help,
				   m->name);
		for (size_t i = 0; i < nr && !r; i++) {
			const struct metric *k = metric_of(f[i].key);

			if (k && k->type == METRIC_FAMILY && strcmp(k->name, m->name) == 0 &&
			    number(&f[i], &v))
				r = strbuf__printf(out, "%s{reason=\"%s\"} %llu\n", m->name,
						   f[i].key, v);
		}
	}
	return r;
}

static const struct field *find(const struct field *f, size_t nr, const char *key)
{
	for (size_t i = 0; i < nr; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

/* pyprofd_build_info and pyprofd_offcpu_enabled, from the string fields. */
static int put_info(struct strbuf *out, const struct field *f, size_t nr)
{
	const struct field *ver = find(f, nr, "version"), *abi = find(f, nr, "abi"),
			   *off = find(f, nr, "offcpu");
	int r;

	/* The values come from this daemon (a version, a number): nothing to escape. */
	r = strbuf__printf(out, "# HELP pyprofd_build_info pyprofd's version and BPF ABI.\n"
				"# TYPE pyprofd_build_info gauge\n"
				"pyprofd_build_info{version=\"%.*s\",abi=\"%.*s\"} 1\n",
			   ver ? (int)strcspn(ver->value, "\"\\\n") : 0, ver ? ver->value : "",
			   abi ? (int)strcspn(abi->value, "\"\\\n") : 0, abi ? abi->value : "");
	if (!r && off)
		r = put_single(out, "pyprofd_offcpu_enabled", "gauge",
			       "1 when off-CPU time is recorded (no --no-offcpu).",
			       off->value_len == 2 && memcmp(off->value, "on", 2) == 0);
	return r;
}

/* pyprofd_processes{state=...}: the STATE column of list's table. */
static int put_processes(struct strbuf *out, const char *p, size_t len)
{
	static const char *const states[] = { "profiled", "unsupported", "exited" };
	unsigned long long count[ARRAY_LEN(states)] = { 0 };
	const char *end = p + len, *nl = memchr(p, '\n', len);
	int r;

	/* After the header line: PID VERSION STATE ... */
	for (p = nl ? nl + 1 : end; p < end; p = nl ? nl + 1 : end) {
		const char *t1, *t2;

		nl = memchr(p, '\n', (size_t)(end - p));
		t1 = memchr(p, '\t', (size_t)(end - p));
		t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(end - t1 - 1)) : NULL;
		if (!t2)
			continue;
		for (size_t s = 0; s < ARRAY_LEN(states); s++)
			if (strncmp(t2 + 1, states[s], strlen(states[s])) == 0 &&
			    t2[1 + strlen(states[s])] == '\t')
				count[s]++;
	}
	r = strbuf__puts(out, "# HELP pyprofd_processes Python processes known, by state.\n"
			      "# TYPE pyprofd_processes gauge\n");
	for (size_t s = 0; s < ARRAY_LEN(states) && !r; s++)
		r = strbuf__printf(out, "pyprofd_processes{state=\"%s\"} %llu\n", states[s],
				   count[s]);
	return r;
}

int metrics__render(const struct strbuf *status_reply, const struct strbuf *list_reply,
		    struct strbuf *out)
{
	size_t slen, llen, nr;
	const char *status = payload_of(status_reply, &slen), *list = payload_of(list_reply, &llen);
	struct field *f;
	int r;

	if (!status || !list)
		return -EPROTO;
	f = calloc(METRICS_MAX_FIELDS, sizeof(*f));
	if (!f)
		return -ENOMEM;
	nr = parse_status(status, slen, f, METRICS_MAX_FIELDS);
	r = put_info(out, f, nr) ?: put_singles(out, f, nr) ?: put_families(out, f, nr) ?:
	    put_processes(out, list, llen);
	free(f);
	return r;
}
