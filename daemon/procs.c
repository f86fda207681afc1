// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: discovery of Python processes and their per-process state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "target/cgroup.h"
#include "target/elffile.h"
#include "target/procmaps.h"
#include "profile/proclabel.h"
#include "profile/procident.h"
#include "profile/profile.h"
#include "base/util.h"
#include "analyzer.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "mapfile.h"
#include "procs.h"
#include "pynames.h"
#include "sampler.h"
#include "symbolize.h"
#include "threads.h"

#define INTERP_FILES_MAX 4096
#define PYPROFD_PROC_BUCKETS	1024
#define PYPROFD_MAX_STACKS	65536	/* distinct stacks per process per window */
#define PYPROFD_MAX_FRAMES	262144	/* distinct frame names per process */
#define PYPROFD_ANALYSIS_WAITERS 4096	/* processes waiting for one file's analysis */
#define PYPROFD_PENDING_MS	3000	/* how long to wait for libpython to be mapped after exec */
#define PYPROFD_PENDING_POLL_MS	5	/* how often to look meanwhile */
#define PYPROFD_YOUNG_MS	5000	/* younger processes: fingerprints, a wakeup per sample */

enum interp_state {
	INTERP_PENDING,		/* with the analysis worker */
	INTERP_DONE,		/* is_python says what it is */
	INTERP_REJECTED,	/* malformed or over elffile's limits: why[] says which */
};

/* A process waiting for a file's analysis, discovered again once it is done. */
struct interp_waiter {
	int pid;
	enum discover_how how;
};

/* An analysed ELF file, by the (device, inode) pair /proc/PID/maps shows. */
struct interp_file {
	__u32 dev_major, dev_minor;
	__u64 inode;
	enum interp_state state;
	bool is_python;
	bool needs_libpython;		/* DT_NEEDED names a libpython */
	struct elf_file *ef;		/* kept open for Python files only */
	struct pyinterp_info info;
	struct bpf_link *uprobes[ANALYSIS_INIT_FUNCS];
	struct interp_waiter *waiters;
	size_t nr_waiters, cap_waiters;
	char why[96];			/* INTERP_REJECTED: the reason */
	struct interp_file *next;
};

/* (pid, starttime) pairs known not to be Python, sorted by pid. */
struct seen_set {
	int *pid;
	__u64 *start;
	size_t nr, cap_pid, cap_start;
};

/* A pid to look at again soon: seen by exec before its libpython was mapped, or by dlopen. */
struct pending {
	int pid;
	enum discover_how how;
	__u64 deadline_ns;
	struct pending *next;
};

struct procs {
	const char *root;		/* where /proc is ("/proc"; a unit test's tree) */
	const struct config *cfg;
	struct sampler *sampler;
	struct pyproc *table[PYPROFD_PROC_BUCKETS];	/* by pid, live and exited */
	struct pending *pending;
	int pendfd;			/* the fast timer, armed while pending is not empty */
	bool fast_poll_on;
	struct seen_set not_python;
	struct interp_file *interp_files;	/* analysed ELF files, by dev/inode */
	size_t nr_interp_files;
	struct analyzer *analyzer;		/* the ELF analysis worker thread */
	struct bpf_link *dlopen_link;		/* uretprobe on libc's dlopen */
	struct procs_stats stats;
};

static bool is_interp_name(const char *base);

static size_t bucket(int pid)
{
	return (size_t)pid % PYPROFD_PROC_BUCKETS;
}

struct pyproc *procs__find_live(struct procs *ps, int pid)
{
	for (struct pyproc *p = ps->table[bucket(pid)]; p; p = p->next)
		if (p->pid == pid && p->live)
			return p;
	return NULL;
}

static int proc_alive(const char *root, int pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	return access(path, F_OK) == 0;
}

int procs__proc_alive(int pid)
{
	return proc_alive("/proc", pid);
}

/* Reads comm and starttime from /proc/PID/stat. */
static int read_stat(const char *root, int pid, char *comm, size_t commsz, __u64 *ret_start)
{
	char path[PATH_MAX], buf[1024], *lp, *rp, *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* "pid (comm) state ..." where comm may itself hold ')' and spaces. */
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp)
		return -EINVAL;
	snprintf(comm, commsz, "%.*s", (int)(rp - lp - 1), lp + 1);
	p = rp + 2;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &start) != 1)
		return -EINVAL;
	*ret_start = start;
	return 0;
}

int procs__start_time(int pid, __u64 *ret_start)
{
	char comm[PYPROF_COMM_LEN + 1];

	return read_stat("/proc", pid, comm, sizeof(comm), ret_start);
}

/*
 * Monotonic time (the BPF clock) until which a process counts as young.
 * starttime is in clock ticks on the boot clock, which also counts suspend:
 * the age is taken on that clock.
 */
static __u64 young_until_ns(__u64 start_ticks)
{
	const __u64 young = PYPROFD_YOUNG_MS * NSEC_PER_MSEC;
	long hz = sysconf(_SC_CLK_TCK);
	__u64 boot_now = clock_ns(CLOCK_BOOTTIME), start, age;

	if (hz <= 0 || !boot_now)
		return 0;
	start = start_ticks * (NSEC_PER_SEC / (__u64)hz);
	age = boot_now > start ? boot_now - start : 0;
	return age < young ? now_ns() + (young - age) : 0;
}

/* The four ids of a "Uid:" or "Gid:" line of /proc/PID/status: real, effective, saved, fs. */
static bool status_ids(const char *line, const char *key, __u32 ids[4])
{
	unsigned int v[4];
	size_t k = strlen(key);

	if (strncmp(line, key, k) != 0 || sscanf(line + k, "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]) != 4)
		return false;
	for (int i = 0; i < 4; i++)
		ids[i] = v[i];
	return true;
}

static int read_owner(const char *root, int pid, __u32 *ret_uid, __u32 *ret_euid)
{
	__u32 uid[4], gid[4];
	char path[PATH_MAX], line[256];
	bool have_uid = false, have_gid = false;
	struct stat st;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%d/status", root, pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f) && !(have_uid && have_gid)) {
		have_uid = have_uid || status_ids(line, "Uid:", uid);
		have_gid = have_gid || status_ids(line, "Gid:", gid);
	}
	/*
	 * A process that is not dumpable (it exec'd a set-id program, or changed
	 * its credentials) has its /proc files owned by root (not /proc/PID
	 * itself, a directory: that keeps the euid).  Asked of the file just
	 * read, so a pid reused in between cannot lend its owner.
	 */
	if (!have_uid || !have_gid)
		err = -EINVAL;
	else if (fstat(fileno(f), &st) < 0)
		err = -errno;
	fclose(f);
	if (err)
		return err;
	if (ret_euid)
		*ret_euid = uid[1];
	/*
	 * As the kernel decides PTRACE_MODE_READ (what process_vm_readv and
	 * /proc/PID/mem need): a caller without CAP_SYS_PTRACE needs its uid to
	 * be the target's real, effective and saved uid, likewise for gids, and
	 * the target dumpable.  Set-id processes are root's to see.
	 */
	if (uid[0] == uid[1] && uid[1] == uid[2] && gid[0] == gid[1] && gid[1] == gid[2] &&
	    st.st_uid == uid[1])
		*ret_uid = uid[0];
	else
		*ret_uid = PYPROFD_UID_NONE;
	return 0;
}

int procs__read_owner(int pid, __u32 *ret_uid)
{
	return read_owner("/proc", pid, ret_uid, NULL);
}

/* Reads the small /proc file path into buf[0..cap): -E2BIG when it does not fit. */
static int read_small(const char *path, char *buf, size_t cap, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	*ret_len = len;
	return err ?: len == cap ? -E2BIG : 0;
}

/*
 * Labels the process's cgroups give it (target/cgroup.h), into the record:
 * kept as they were when the file cannot be read or parsed (a process gone
 * meanwhile, or a file cgroup__parse() refuses).
 */
static void read_labels(const char *root, struct pyproc *p)
{
	struct proclabel_builder b = { 0 };
	struct proclabel *labels = NULL;
	char path[PATH_MAX], *buf = malloc(CGROUP_TEXT_MAX + 1);
	struct cgroup_info ci;
	size_t len = 0, nr = 0;
	int err = buf ? 0 : -ENOMEM;

	snprintf(path, sizeof(path), "%s/%d/cgroup", root, p->pid);
	err = err ?: read_small(path, buf, CGROUP_TEXT_MAX + 1, &len);
	err = err ?: cgroup__parse(buf, len, &ci);
	if (!err) {
		cgroup__add_labels(&ci, &b);
		err = proclabel_builder__pack(&b, &labels, &nr);
	}
	free(buf);
	if (err) {
		if (err != -ESRCH)
			log_msg(LOG_DEBUG, "pid %d: no labels from %s: %s", p->pid, path,
				strerror(-err));
		return;
	}
	free(p->labels);
	p->labels = labels;
	p->nr_labels = nr;
}

/*
 * The command line, into the record: the one its exe and start belong to
 * (read right after them; a process gone or exec'd meanwhile gives an empty
 * or a stale line, never an error).  Unreadable: unknown (NULL).
 */
static void read_cmdline(const char *root, struct pyproc *p)
{
	char path[PATH_MAX], *buf = malloc(PROCIDENT_CMDLINE_MAX + 1), *line = NULL;
	size_t len = 0;
	int err = buf ? 0 : -ENOMEM;

	snprintf(path, sizeof(path), "%s/%d/cmdline", root, p->pid);
	err = err ?: read_small(path, buf, PROCIDENT_CMDLINE_MAX + 1, &len);
	if (err == -E2BIG || !err)
		err = procident__cmdline(buf, len, err == -E2BIG, &line);
	free(buf);
	if (err && err != -ESRCH)
		log_msg(LOG_DEBUG, "pid %d: no command line from %s: %s", p->pid, path,
			strerror(-err));
	free(p->cmdline);
	p->cmdline = line;
}

static void attach_uprobes(struct procs *ps, struct interp_file *f, const char *path,
			   const __u64 *offsets)
{
	for (size_t i = 0; i < ANALYSIS_INIT_FUNCS; i++) {
		if (f->uprobes[i] || !offsets[i])
			continue;
		f->uprobes[i] = sampler__attach_init(ps->sampler, path, offsets[i]);
		if (!f->uprobes[i])
			log_msg(LOG_DEBUG, "uprobe on %s in '%s' failed: %s", analysis_init_funcs[i], path,
				strerror(errno));
	}
}

static void interp_file_free(struct interp_file *f)
{
	for (size_t i = 0; i < ANALYSIS_INIT_FUNCS; i++)
		bpf_link__destroy(f->uprobes[i]);
	elf_file__free(f->ef);
	free(f->waiters);
	free(f);
}

static struct interp_file *interp_file_find(struct procs *ps, __u32 dev_major, __u32 dev_minor,
					    __u64 inode)
{
	for (struct interp_file *f = ps->interp_files; f; f = f->next)
		if (f->inode == inode && f->dev_major == dev_major && f->dev_minor == dev_minor)
			return f;
	return NULL;
}

/* Forgets the verdicts nothing hangs off: not Python, or rejected. */
static void interp_files_trim(struct procs *ps)
{
	struct interp_file **pp = &ps->interp_files, *f;

	while (*pp) {
		f = *pp;
		if (f->state != INTERP_PENDING && !f->is_python) {
			*pp = f->next;
			interp_file_free(f);
			ps->nr_interp_files--;
		} else {
			pp = &f->next;
		}
	}
}

/*
 * The analysed file with the ref's identity, or a new entry for it, pending
 * until the worker's result arrives.  NULL when the file is unknown and
 * cannot be queued (the next look at the process tries again).
 */
static struct interp_file *interp_file_lookup(struct procs *ps, const struct mapfile_ref *ref)
{
	struct interp_file *f = interp_file_find(ps, ref->dev_major, ref->dev_minor, ref->inode);
	struct analysis *a;

	if (f || !ps->analyzer)
		return f;
	if (ps->nr_interp_files >= INTERP_FILES_MAX)
		interp_files_trim(ps);
	f = calloc(1, sizeof(*f));
	a = calloc(1, sizeof(*a));
	if (!f || !a)
		goto fail;
	a->ref = *ref;
	f->dev_major = ref->dev_major;
	f->dev_minor = ref->dev_minor;
	f->inode = ref->inode;
	f->state = INTERP_PENDING;
	if (analyzer__submit(ps->analyzer, a) < 0)
		goto fail;
	f->next = ps->interp_files;
	ps->interp_files = f;
	ps->nr_interp_files++;
	return f;
fail:
	free(a);
	free(f);
	return NULL;
}

static struct interp_file *interp_file_get(struct procs *ps, int pid, const struct procmap *m)
{
	struct mapfile_ref ref;

	if (mapfile__ref_map(&ref, ps->root, pid, m) < 0)
		return NULL;
	return interp_file_lookup(ps, &ref);
}

static void add_waiter(struct interp_file *f, int pid, enum discover_how how)
{
	for (size_t i = 0; i < f->nr_waiters; i++)
		if (f->waiters[i].pid == pid)
			return;
	/* Past the cap the 5 s rescan finds them: they are not marked "not Python". */
	if (f->nr_waiters >= PYPROFD_ANALYSIS_WAITERS ||
	    grow_array((void **)&f->waiters, &f->cap_waiters, f->nr_waiters + 1,
		       sizeof(*f->waiters)))
		return;
	f->waiters[f->nr_waiters++] = (struct interp_waiter){ .pid = pid, .how = how };
}

/* Takes one result into its entry; false when the entry is gone (transient failure). */
static bool apply_analysis(struct procs *ps, struct interp_file *f, struct analysis *a)
{
	char path[PATH_MAX + 64];

	/* A file that did not open is nothing yet: never "not Python" (a chroot's, say). */
	if (a->unopened) {
		ps->stats.elf_failed++;
		log_msg(LOG_DEBUG, "Failed to open '%s': %s", a->ref.path, strerror(-a->err));
		return false;
	}
	/* Where the uprobes go: the way in that opened the file. */
	if (mapfile__path(&a->ref, a->via, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "%s", a->ref.path);
	switch (a->err) {
	case 0:
		f->is_python = true;
		f->ef = a->ef;
		a->ef = NULL;
		f->info = a->info;
		attach_uprobes(ps, f, path, a->init_offset);
		break;
	case -ENOENT:
		f->needs_libpython = a->needs_libpython;
		break;
	case -ENOEXEC:
		break; /* not a 64-bit ELF file (libpython3.11.a in a probed dir): not Python */
	case -EFBIG:
	case -EBADMSG:
		/* The same file gives the same verdict: kept, so a flood of execs is cheap. */
		f->state = INTERP_REJECTED;
		snprintf(f->why, sizeof(f->why), "%s",
			 a->err == -EFBIG ? "a table or count is over pyprofd's limits"
					  : "its ELF headers are inconsistent");
		if (a->err == -EFBIG)
			ps->stats.elf_too_big++;
		else
			ps->stats.elf_rejected++;
		log_msg(LOG_DEBUG, "'%s' rejected: %s", path, f->why);
		return true;
	default:
		/* EIO, ENOMEM, EACCES, a vanished path: not a verdict, try again later. */
		ps->stats.elf_failed++;
		log_msg(LOG_DEBUG, "Failed to analyse '%s': %s", path, strerror(-a->err));
		return false;
	}
	f->state = INTERP_DONE;
	return true;
}

void procs__analysis_done(struct procs *ps)
{
	struct analysis *a = analyzer__take(ps->analyzer), *next;

	for (; a; a = next) {
		struct interp_file *f = interp_file_find(ps, a->ref.dev_major, a->ref.dev_minor,
							 a->ref.inode);
		struct interp_waiter *w;
		int failed_pid = -1;
		size_t nr;

		next = a->next;
		ps->stats.elf_analysed++;
		if (!f || f->state != INTERP_PENDING) {
			analysis__free(a);
			continue;
		}
		w = f->waiters;
		nr = f->nr_waiters;
		f->waiters = NULL;
		f->nr_waiters = f->cap_waiters = 0;
		if (!apply_analysis(ps, f, a)) {
			for (struct interp_file **pp = &ps->interp_files; *pp; pp = &(*pp)->next) {
				if (*pp == f) {
					*pp = f->next;
					break;
				}
			}
			ps->nr_interp_files--;
			interp_file_free(f);
			/*
			 * The others' ways in may open what this one's could not (a
			 * chroot's path): each is tried once, as its own new entry; the
			 * rescan retries the process whose way failed.
			 */
			failed_pid = a->ref.pid;
		}
		analysis__free(a);
		/* Discovery may queue new files (a libpython mapped meanwhile): fine. */
		for (size_t i = 0; i < nr; i++)
			if (w[i].pid != failed_pid && !procs__find_live(ps, w[i].pid))
				(void)procs__discover(ps, w[i].pid, w[i].how);
		free(w);
	}
}

static bool is_interp_name(const char *base)
{
	unsigned int minor;
	char end;

	if (strncmp(base, "libpython", 9) == 0)
		return true;
	/* python3.11, python3.13t, python2.7: not python3.11-config and the like */
	return sscanf(base, "python%*u.%u%c", &minor, &end) == 1 ||
	       (sscanf(base, "python%*u.%u%c", &minor, &end) == 2 && end == 't' &&
		!strchr(base, '-'));
}

static void probe_file(struct procs *ps, const char *path)
{
	struct mapfile_ref ref;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    mapfile__ref_path(&ref, path, st.st_dev, st.st_ino) < 0)
		return;
	(void)interp_file_lookup(ps, &ref);
}

/*
 * Attaches the init uprobes to the interpreters under the given paths
 * (files, or directories whose libpython* / pythonX.Y entries are taken),
 * so a process whose interpreter no earlier process used is still caught
 * as its interpreter starts: an embedded one that dlopen()s libpython, say.
 */
void procs__probe_paths(struct procs *ps, const char *const *paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dirent *de;
		struct stat st;
		DIR *dir;

		if (stat(paths[i], &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			probe_file(ps, paths[i]);
			continue;
		}
		dir = opendir(paths[i]);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			char path[PATH_MAX];

			if (!is_interp_name(de->d_name))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", paths[i], de->d_name) >= (int)sizeof(path))
				continue;
			probe_file(ps, path);
		}
		closedir(dir);
	}
}

static bool is_candidate(const struct procmap *m, const char *exe)
{
	const char *base;

	if (m->path[0] != '/' || !m->inode)
		return false;
	if (exe && strcmp(m->path, exe) == 0)
		return true;
	base = strrchr(m->path, '/');
	return strncmp(base + 1, "libpython", 9) == 0;
}

/*
 * A fast timer runs while a process waits for its libpython to be mapped.
 * (Young processes need none: each of their samples wakes the daemon.)
 */
static void fast_poll(struct procs *ps)
{
	struct itimerspec its = { 0 };
	bool on = ps->pending;

	if (on == ps->fast_poll_on || ps->pendfd < 0)
		return;
	if (on) {
		its.it_interval.tv_nsec = PYPROFD_PENDING_POLL_MS * NSEC_PER_MSEC;
		its.it_value = its.it_interval;
	}
	if (timerfd_settime(ps->pendfd, 0, &its, NULL) == 0)
		ps->fast_poll_on = on;
}

static void add_pending(struct procs *ps, int pid, enum discover_how how, __u64 ms)
{
	struct pending *p;

	for (p = ps->pending; p; p = p->next)
		if (p->pid == pid)
			return;

	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->pid = pid;
	p->how = how;
	p->deadline_ns = now_ns() + ms * NSEC_PER_MSEC;
	p->next = ps->pending;
	ps->pending = p;
	fast_poll(ps);
}

static void remove_pending(struct procs *ps, int pid)
{
	for (struct pending **pp = &ps->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct pending *p = *pp;

			*pp = p->next;
			free(p);
			return;
		}
	}
}

static void pyproc_free(struct pyproc *p)
{
	if (!p)
		return;
	symbolize__forget(p);
	threads__forget(p);
	pynames__forget(p);
	profile__free(p->profile);
	free(p->exe);
	free(p->cmdline);
	free(p->labels);
	free(p);
}

/* A new, empty record for (pid, start), not live yet, in the table. NULL on ENOMEM. */
static struct pyproc *pyproc_new(struct procs *ps, int pid, __u64 start)
{
	struct profile_opts popts = {
		.window_ns = ps->cfg->window_ns,
		.bucket_ns = config__bucket_ns(ps->cfg),
		.retention_ns = ps->cfg->retention_ns,
		.max_stacks = PYPROFD_MAX_STACKS,
		.max_frames = PYPROFD_MAX_FRAMES,
	};
	struct pyproc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->start_time = start;
	p->user = PYPROFD_UID_NONE;
	p->profile = profile__new(&popts);
	if (!p->profile) {
		free(p);
		return NULL;
	}
	p->next = ps->table[bucket(pid)];
	ps->table[bucket(pid)] = p;
	return p;
}

static struct pyproc *find_restored(struct procs *ps, int pid, __u64 start)
{
	for (struct pyproc *p = ps->table[bucket(pid)]; p; p = p->next)
		if (p->pid == pid && p->start_time == start && p->restored)
			return p;
	return NULL;
}

struct pyproc *procs__restore(struct procs *ps, const struct procs_history *h)
{
	struct pyproc *p;

	for (p = ps->table[bucket(h->pid)]; p; p = p->next)
		if (p->pid == h->pid && p->start_time == h->start_time && !p->live)
			break;
	if (!p) {
		p = pyproc_new(ps, h->pid, h->start_time);
		if (!p)
			return NULL;
		p->restored = true;
		p->exit_ts = now_ns();
	}
	/* Not seen running yet: the files are all there is to say what it was. */
	if (p->restored) {
		p->uid = h->uid;
		/* An owner that may see it has all its ids equal: its euid. */
		p->user = h->uid;
		p->info.version_hex = h->version_hex;
		p->info.supported = h->supported;
		snprintf(p->comm, sizeof(p->comm), "%s", h->comm);
		snprintf(p->info.why, sizeof(p->info.why), "%s", h->why);
		if (!p->exe)
			p->exe = strdup(h->exe);
		/* What a cmdline selector matches on its history; on ENOMEM none. */
		if (!p->cmdline && h->cmdline && *h->cmdline)
			p->cmdline = strdup(h->cmdline);
		/*
		 * Every window file of a process has its labels: the first one read
		 * gives them.  On failure (ENOMEM) none.
		 */
		if (!p->labels)
			(void)proclabel__dup_set(h->labels, h->nr_labels, &p->labels,
						 &p->nr_labels);
	}
	return p;
}

__u32 procs__owner(struct pyproc *p)
{
	__u32 uid;

	if (p->live && procs__read_owner(p->pid, &uid) == 0 && uid != p->uid)
		p->uid = PYPROFD_UID_NONE;
	return p->uid;
}

/* Hands a profiled process's layout and _PyRuntime address to the BPF side. */
static void configure_bpf(struct procs *ps, struct pyproc *p, __u64 bias)
{
	struct pyprof_proc cfg = { .layout = p->info.layout };
	int err;

	if (!p->info.supported || !p->info.runtime_vaddr)
		return;
	p->runtime_addr = bias + p->info.runtime_vaddr;
	cfg.fp_until_ns = young_until_ns(p->start_time);
	cfg.runtime_addr = p->runtime_addr;
	/* The main GIL lies in _PyRuntime (3.12+: in the main interpreter embedded there). */
	if (p->info.gil_state_size) {
		cfg.gil_addr = p->runtime_addr + p->info.gil_state_off;
		cfg.gil_size = p->info.gil_state_size;
	}
	err = sampler__set_proc(ps->sampler, p->pid, &cfg);
	if (err)
		log_msg(LOG_WARN, "Failed to configure pid %d in BPF: %s", p->pid, strerror(-err));
	else
		p->in_bpf = true;
}

/* What a process's mappings say about it. */
struct maps_verdict {
	struct interp_file *found, *exe_file, *waiting, *rejected;
	const struct procmap *found_map, *rejected_map;
};

static void scan_maps(struct procs *ps, int pid, const struct procmaps *pm, const char *exe,
		      struct maps_verdict *v)
{
	for (size_t i = 0; i < pm->nr; i++) {
		const struct procmap *m = &pm->maps[i];
		struct interp_file *f;

		if (!is_candidate(m, exe))
			continue;
		f = interp_file_get(ps, pid, m);
		if (!f)
			continue;
		if (strcmp(m->path, exe) == 0)
			v->exe_file = f;
		if (f->state == INTERP_PENDING && !v->waiting)
			v->waiting = f;
		/* Only a file named like an interpreter makes the process worth a NOTE. */
		if (f->state == INTERP_REJECTED && !v->rejected &&
		    is_interp_name(strrchr(m->path, '/') + 1)) {
			v->rejected = f;
			v->rejected_map = m;
		}
		if (f->is_python && !v->found) {
			v->found = f;
			v->found_map = m;
		}
	}
}

/*
 * What discovery makes of a process's mappings: 0 with the info to list it
 * under (a Python file's, or why its interpreter file was rejected),
 * -EINPROGRESS while a file is with the worker, -ENOENT when not Python.
 */
static int decide(struct procs *ps, int pid, enum discover_how how, const struct maps_verdict *v,
		  struct pyinterp_info *rejected, const struct pyinterp_info **ret_info,
		  __u64 *ret_bias)
{
	if (v->found) {
		remove_pending(ps, pid);
		*ret_info = &v->found->info;
		return elf_file__load_bias(v->found->ef, v->found_map->start, v->found_map->offset,
					   ret_bias);
	}
	if (v->waiting) {
		/* Not "not Python" yet: looked at again when the worker is done. */
		add_waiter(v->waiting, pid, how);
		return -EINPROGRESS;
	}
	if (v->rejected) {
		memset(rejected, 0, sizeof(*rejected));
		snprintf(rejected->why, sizeof(rejected->why), "%s rejected: %s",
			 strrchr(v->rejected_map->path, '/') + 1, v->rejected->why);
		*ret_info = rejected;
		return 0;
	}
	/* Right after exec the loader may not have mapped libpython yet. */
	if (how == DISCOVER_EXEC && v->exe_file && v->exe_file->needs_libpython)
		add_pending(ps, pid, DISCOVER_PENDING, PYPROFD_PENDING_MS);
	return -ENOENT;
}

/* What /proc says of a process: its program, and whether and how it runs Python. */
struct sighting {
	int pid;
	__u64 start;
	char comm[PYPROF_COMM_LEN + 1];
	char exe[PATH_MAX];
	struct stat exe_st;
	const struct pyinterp_info *info;	/* what to list it as */
	struct pyinterp_info rejected;		/* (info, when its interpreter was rejected) */
	__u64 bias;				/* load bias of the Python file */
	__u64 seen_ns;				/* before the image was read */
};

/*
 * Reads the program and mappings of a process: 0 when it runs Python (or
 * an interpreter pyprofd rejected), -EINPROGRESS while a file is with the
 * worker, -ENOENT when not Python or gone.
 */
static int look_at(struct procs *ps, enum discover_how how, struct sighting *s)
{
	struct procmaps pm = { 0 };
	struct maps_verdict v = { 0 };
	char path[PATH_MAX];
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "%s/%d/exe", ps->root, s->pid);
	n = readlink(path, s->exe, sizeof(s->exe) - 1);
	if (n <= 0 || stat(path, &s->exe_st) < 0)
		return -ENOENT; /* kernel thread, or gone */
	s->exe[n] = '\0';
	err = procmaps__read(ps->root, s->pid, &pm);
	if (err)
		return err;
	scan_maps(ps, s->pid, &pm, s->exe, &v);
	err = decide(ps, s->pid, how, &v, &s->rejected, &s->info, &s->bias);
	procmaps__done(&pm);
	return err;
}

/* The record a sighting goes to, made live. NULL on ENOMEM. */
static struct pyproc *take_record(struct procs *ps, enum discover_how how,
				  const struct sighting *s)
{
	struct pyproc *p;

	/* History kept by --state-dir of this very process (not of an image it exec'd from). */
	p = how == DISCOVER_EXEC ? NULL : find_restored(ps, s->pid, s->start);
	if (!p)
		p = pyproc_new(ps, s->pid, s->start);
	if (!p)
		return NULL;
	p->restored = false;
	p->user = PYPROFD_UID_NONE;
	if (read_owner(ps->root, s->pid, &p->uid, &p->user) < 0)
		p->uid = PYPROFD_UID_NONE; /* privileged only: safe if the process is already gone */
	read_labels(ps->root, p);
	read_cmdline(ps->root, p);
	p->start_wall_ns = procident__start_wall_ns(s->start, sysconf(_SC_CLK_TCK),
						    clock_ns(CLOCK_REALTIME),
						    clock_ns(CLOCK_BOOTTIME));
	snprintf(p->comm, sizeof(p->comm), "%s", s->comm);
	free(p->exe);
	p->exe = strdup(s->exe); /* NULL on ENOMEM: listed without one */
	p->exe_dev = s->exe_st.st_dev;
	p->exe_ino = s->exe_st.st_ino;
	p->info = *s->info;
	p->live = true;
	p->exit_ts = 0;
	p->first_ts = s->seen_ns;
	return p;
}

int procs__discover(struct procs *ps, int pid, enum discover_how how)
{
	struct sighting s = { .pid = pid };
	struct pyproc *p, *old;
	char v[32];
	int err;

	if (pid <= 0 || pid == getpid())
		return -EINVAL;
	err = read_stat(ps->root, pid, s.comm, sizeof(s.comm), &s.start);
	if (err)
		return err;
	s.seen_ns = now_ns();
	old = procs__find_live(ps, pid);
	if (old && old->start_time == s.start && how != DISCOVER_EXEC)
		return 0;
	if (old)
		procs__exited(ps, pid, now_ns());
	err = look_at(ps, how, &s);
	if (err)
		return err;
	p = take_record(ps, how, &s);
	if (!p)
		return -ENOMEM;
	configure_bpf(ps, p, s.bias);
	ps->stats.discovered[how]++;
	log_msg(LOG_INFO, "pid %d '%s': CPython %s%s%s", pid, p->comm,
		pyinterp__build_str(&p->info, v, sizeof(v)),
		p->info.supported ? "" : ", not profiled: ", p->info.supported ? "" : p->info.why);
	return 0;
}

void procs__exec(struct procs *ps, int pid, __u64 ts)
{
	struct pyproc *p = procs__find_live(ps, pid);

	/*
	 * Found after this exec (by a sample or a rescan read while the event
	 * waited in the ring): the record is of the new image already.  Made
	 * again, the same process would be two records.
	 */
	if (p && p->first_ts > ts)
		return;
	procs__exited(ps, pid, ts);
	(void)procs__discover(ps, pid, DISCOVER_EXEC);
}

void procs__exited(struct procs *ps, int pid, __u64 ts)
{
	struct pyproc *p = procs__find_live(ps, pid);

	remove_pending(ps, pid);
	if (!p)
		return;
	p->live = false;
	p->exit_ts = ts;
	if (p->in_bpf)
		sampler__clear_proc(ps->sampler, pid);
	p->in_bpf = false;
	/* Code objects die with the process; the history keeps the names. */
	symbolize__free_codes(p);
	pynames__forget(p);
	log_msg(LOG_DEBUG, "pid %d '%s' exited", pid, p->comm);
}

struct pyproc *procs__check_live(struct procs *ps, int pid)
{
	struct pyproc *p = procs__find_live(ps, pid);
	char path[PATH_MAX];
	struct stat st;

	if (!p)
		return NULL;
	snprintf(path, sizeof(path), "%s/%d/exe", ps->root, pid);
	/* Gone (its exit event is on its way) or still the image it was found as. */
	if (stat(path, &st) < 0 || (st.st_dev == p->exe_dev && st.st_ino == p->exe_ino))
		return p;
	log_msg(LOG_DEBUG, "pid %d '%s' runs another program now", pid, p->comm);
	procs__exec(ps, pid, now_ns());
	return procs__find_live(ps, pid);
}

static bool seen_before(const struct seen_set *s, int pid, __u64 start)
{
	size_t lo = 0, hi = s->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->pid[mid] == pid)
			return s->start[mid] == start;
		if (s->pid[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void seen_add(struct seen_set *s, int pid, __u64 start)
{
	if (grow_array((void **)&s->pid, &s->cap_pid, s->nr + 1, sizeof(*s->pid)) ||
	    grow_array((void **)&s->start, &s->cap_start, s->nr + 1, sizeof(*s->start)))
		return;
	s->pid[s->nr] = pid;
	s->start[s->nr] = start;
	s->nr++;
}

static int cmp_pid(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the set by pid (readdir order is not guaranteed numeric); empties it on ENOMEM. */
static void seen_sort(struct seen_set *s)
{
	struct {
		int pid;
		__u64 start;
	} *pairs;
	bool sorted = true;

	for (size_t i = 1; i < s->nr && sorted; i++)
		sorted = s->pid[i - 1] < s->pid[i];
	if (sorted)
		return;
	/* Sort pairs through an index; rare, so keep it simple. */
	pairs = malloc(s->nr * sizeof(*pairs));
	if (!pairs) {
		s->nr = 0;
		return;
	}
	for (size_t i = 0; i < s->nr; i++) {
		pairs[i].pid = s->pid[i];
		pairs[i].start = s->start[i];
	}
	qsort(pairs, s->nr, sizeof(*pairs), cmp_pid);
	for (size_t i = 0; i < s->nr; i++) {
		s->pid[i] = pairs[i].pid;
		s->start[i] = pairs[i].start;
	}
	free(pairs);
}

/*
 * Looks at every process once: a (pid, starttime) found not to be Python is
 * not looked at again until it execs (the exec event rediscovers it).
 */
void procs__rescan(struct procs *ps)
{
	struct seen_set next = { 0 };
	DIR *dir = opendir(ps->root);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char *end, comm[64];
		long pid = strtol(de->d_name, &end, 10);
		__u64 start;

		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		if (read_stat(ps->root, (int)pid, comm, sizeof(comm), &start))
			continue;
		if (seen_before(&ps->not_python, (int)pid, start) ||
		    procs__check_live(ps, (int)pid)) {
			seen_add(&next, (int)pid, start);
			continue;
		}
		if (procs__discover(ps, (int)pid, DISCOVER_SCAN) == -ENOENT)
			seen_add(&next, (int)pid, start);
	}
	closedir(dir);
	seen_sort(&next);
	free(ps->not_python.pid);
	free(ps->not_python.start);
	ps->not_python = next;
	/* Records we think are live but whose process is gone (a lost exit event). */
	procs__for_each(ps, p)
	{
		if (p->live && !proc_alive(ps->root, p->pid))
			procs__exited(ps, p->pid, now_ns());
	}
}

static void retry_pending(struct procs *ps)
{
	__u64 now = now_ns();
	struct pending *p = ps->pending, *next;

	for (; p; p = next) {
		int pid = p->pid;

		next = p->next;
		if (procs__discover(ps, pid, p->how) == 0)
			continue; /* removed itself from the list */
		if (now > p->deadline_ns || !proc_alive(ps->root, pid))
			remove_pending(ps, pid);
	}
}

/*
 * dlopen() returned in a process not profiled: it is looked at on the next
 * fast poll tick, once however many dlopen() calls it makes meanwhile.
 */
void procs__dlopened(struct procs *ps, int pid)
{
	if (!procs__find_live(ps, pid))
		add_pending(ps, pid, DISCOVER_DLOPEN, 0);
}

/* The libc.so.6 this daemon maps (the host's), by the path its maps show. */
static int find_libc(char *path, size_t sz)
{
	struct procmaps pm = { 0 };
	int err = procmaps__read("/proc", getpid(), &pm);

	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < pm.nr && err; i++) {
		const char *base = strrchr(pm.maps[i].path, '/');

		if (!base || strcmp(base + 1, "libc.so.6") || pm.maps[i].path[0] != '/')
			continue;
		err = snprintf(path, sz, "%s", pm.maps[i].path) < (int)sz ? 0 : -ENAMETOOLONG;
	}
	procmaps__done(&pm);
	return err;
}

int procs__attach_dlopen(struct procs *ps)
{
	struct elf_file *ef = NULL;
	char libc[PATH_MAX];
	__u64 addr, off;
	int err;

	err = find_libc(libc, sizeof(libc));
	if (err)
		return err;
	ef = elf_file__open(libc);
	if (!ef)
		return -errno;
	/* The default version: dlopen@@GLIBC_2.34, where the older ones forward to. */
	err = elf_file__find_symbol(ef, "dlopen", &addr, NULL);
	err = err ?: elf_file__vaddr_to_offset(ef, addr, &off);
	elf_file__free(ef);
	if (err)
		return err;
	ps->dlopen_link = sampler__attach_dlopen(ps->sampler, libc, off);
	return ps->dlopen_link ? 0 : -errno;
}

void procs__expire(struct procs *ps)
{
	__u64 now = now_ns();

	for (size_t b = 0; b < PYPROFD_PROC_BUCKETS; b++) {
		struct pyproc **pp = &ps->table[b];

		while (*pp) {
			struct pyproc *p = *pp;

			profile__expire(p->profile, prof_time(now));
			if (!p->live && profile__empty(p->profile)) {
				*pp = p->next;
				pyproc_free(p);
				continue;
			}
			pp = &p->next;
		}
	}
}

struct procs *procs__new(const char *proc_root, const struct config *cfg, struct sampler *sampler)
{
	struct procs *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->root = proc_root;
	ps->cfg = cfg;
	ps->sampler = sampler;
	ps->pendfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ps->pendfd < 0)
		goto fail;
	ps->analyzer = analyzer__new();
	if (!ps->analyzer) {
		log_msg(LOG_ERR, "Failed to start the ELF analysis thread: %s", strerror(errno));
		goto fail;
	}
	return ps;
fail:
	procs__free(ps);
	return NULL;
}

int procs__pending_fd(const struct procs *ps)
{
	return ps->pendfd;
}

int procs__analysis_fd(const struct procs *ps)
{
	return analyzer__fd(ps->analyzer);
}

void procs__pending_tick(struct procs *ps)
{
	__u64 expirations;

	(void)!read(ps->pendfd, &expirations, sizeof(expirations));
	retry_pending(ps);
	fast_poll(ps);
}

void procs__stats(const struct procs *ps, struct procs_stats *ret)
{
	*ret = ps->stats;
	ret->elf_analysing = analyzer__queued(ps->analyzer);
}

struct pyproc *procs__first(const struct procs *ps)
{
	for (size_t b = 0; b < PYPROFD_PROC_BUCKETS; b++)
		if (ps->table[b])
			return ps->table[b];
	return NULL;
}

struct pyproc *procs__next(const struct procs *ps, const struct pyproc *p)
{
	if (p->next)
		return p->next;
	for (size_t b = bucket(p->pid) + 1; b < PYPROFD_PROC_BUCKETS; b++)
		if (ps->table[b])
			return ps->table[b];
	return NULL;
}

void procs__free(struct procs *ps)
{
	int saved = errno;

	if (!ps)
		return;
	/* First: the worker may still hold jobs for the files freed below. */
	analyzer__free(ps->analyzer);
	for (size_t b = 0; b < PYPROFD_PROC_BUCKETS; b++) {
		while (ps->table[b]) {
			struct pyproc *p = ps->table[b];

			ps->table[b] = p->next;
			pyproc_free(p);
		}
	}
	while (ps->pending) {
		struct pending *p = ps->pending;

		ps->pending = p->next;
		free(p);
	}
	free(ps->not_python.pid);
	free(ps->not_python.start);
	while (ps->interp_files) {
		struct interp_file *f = ps->interp_files;

		ps->interp_files = f->next;
		interp_file_free(f);
	}
	bpf_link__destroy(ps->dlopen_link);
	if (ps->pendfd >= 0)
		close(ps->pendfd);
	free(ps);
	errno = saved;
}
