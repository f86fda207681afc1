// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Native unwinding with libdw: CFI interpretation of .eh_frame and
 * .debug_frame (and the symbol tables) is what libdw does well, so pyprof
 * keeps only the glue: one Dwfl per process, its modules reported from
 * /proc/PID/maps and opened by the caller (pyprofd: the file mapped, through
 * map_files) or through /proc/PID/root (a container's own files), and a
 * thread whose memory is the stack copy BPF sent.
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "coldparts.h"
#include "cxxname.h"
#include "nativesyms.h"
#include "nativeunwind.h"
#include "procmaps.h"

#define NATIVE_PROCS 64	/* processes whose Dwfl is kept (round robin beyond) */
/*
 * A pc in no module makes the maps be read again (a dlopen since), at most
 * this often: a pc in JIT code is in none, and reporting the
 * modules again costs milliseconds.
 */
#define NATIVE_REREPORT_NS (1000ull * 1000 * 1000)
/* x86_64 DWARF register numbers. */
#define DWARF_RBP 6
#define DWARF_RSP 7

/*
 * Names by pc, per process: a frame named again (most are) is not looked up
 * in its module's table (nativesyms: shared by build-id).  Direct mapped.
 */
#define NATIVE_NAME_CACHE 1024

struct name_slot {
	__u64 pc;
	struct native_frame f;
};

/* The maps line a module was reported from (path aside): its userdata, for find_elf(). */
struct native_map {
	struct procmap m;	/* m.path unset: the module's name, + " (deleted)" if deleted */
	bool deleted;
	void *image;		/* the vDSO's: a copy of the unwinder's, the module's ELF */
};

/*
 * The vDSO, a module too: its CFI leads out of clock_gettime() (a pc in no
 * module also had the maps read again every NATIVE_REREPORT_NS).  Every
 * 64-bit process of a kernel maps the same image: the daemon's own is read.
 */
static const char vdso_name[] = "[vdso]";

struct native_proc {
	int pid;
	Dwfl *dwfl;
	struct native_map *maps;	/* one a module reported; NULL: none kept (no memory) */
	size_t nr_maps;
	struct name_slot *names;	/* NATIVE_NAME_CACHE, NULL: no memory, no cache */
	struct native_symtabs *syms;	/* the unwinder's */
	__u64 reported_ns;		/* CLOCK_MONOTONIC when its maps were read */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

struct native_unwinder {
	char proc_root[PATH_MAX];
	native_open_fn *open;
	void *open_ctx;
	void *vdso;		/* a copy of the daemon's vDSO, NULL if none */
	size_t vdso_len;
	struct native_proc procs[NATIVE_PROCS];
	struct native_symtabs *syms;	/* symbol tables by build-id, across processes */
	size_t next;
	/* The unwind going on: libdw's callbacks see it (the daemon has one thread). */
	int pid, tid;
	const struct native_regs *regs;
	bool read_outside;	/* the unwind wanted memory the copy does not hold */
};

static struct native_unwinder *current;

/* " (deleted)": what maps appends to the path of a file unlinked since it was mapped. */
static const char deleted_suffix[] = " (deleted)";

/*
 * Opens module modname, reported from nm: by the caller's open, else through
 * the process's root (the path in maps is the container's).
 */
static int module_open(const char *modname, const struct native_map *nm)
{
	char path[PATH_MAX];
	struct procmap m;

	if (current->open && nm) {
		m = nm->m;
		if (snprintf(path, sizeof(path), "%s%s", modname,
			     nm->deleted ? deleted_suffix : "") >= (int)sizeof(path))
			return -1;
		m.path = path;
		return current->open(current->open_ctx, current->pid, &m);
	}
	if (snprintf(path, sizeof(path), "%s/%d/root%s", current->proc_root, current->pid,
		     modname) >= (int)sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

/* The vDSO's ELF, from a copy of the daemon's kept by its module's nm: -1 (no file). */
static int vdso_elf(struct native_map *nm, Elf **elfp)
{
	if (!current->vdso || !nm || nm->image)
		return -1;
	nm->image = malloc(current->vdso_len);
	if (!nm->image)
		return -1;
	memcpy(nm->image, current->vdso, current->vdso_len);
	*elfp = elf_memory(nm->image, current->vdso_len);
	return -1;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	int fd;

	(void)mod, (void)base, (void)file_name;
	if (current && strcmp(modname, vdso_name) == 0)
		return vdso_elf(*userdata, elfp);
	if (!current || modname[0] != '/')
		return -1;
	fd = module_open(modname, *userdata);
	if (fd < 0)
		return -1;
	/* Read, not mapped: a file truncated under us must not SIGBUS the daemon. */
	*elfp = elf_begin(fd, ELF_C_READ, NULL);
	if (!*elfp || elf_kind(*elfp) != ELF_K_ELF) {
		if (*elfp)
			elf_end(*elfp);
		*elfp = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

/* No separate debug files: .eh_frame and .symtab/.dynsym of the file itself. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name;
	(void)debuglink_file, (void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = find_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl, (void)arg;
	if (*thread_argp || !current)
		return 0;
	*thread_argp = current;
	return current->tid;
}

/* The copy is all the memory there is: a read outside it ends the unwind. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	const struct native_regs *r = current ? current->regs : NULL;

	(void)dwfl, (void)arg;
	if (!r || addr < r->sp || addr - r->sp > r->len || r->len - (addr - r->sp) < 8) {
		if (current)
			current->read_outside = true;
		return false;
	}
	memcpy(result, r->stack + (addr - r->sp), 8);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct native_regs *r = current->regs;
	Dwarf_Word regs[2] = { r->bp, r->sp };

	(void)arg;
	dwfl_thread_state_register_pc(thread, r->ip);
	return dwfl_thread_state_registers(thread, DWARF_RBP, 2, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* Copies the daemon's own vDSO into u (none: its frames stay unnamed, as before). */
static void vdso_read(struct native_unwinder *u)
{
	struct procmaps pm = {};

	if (procmaps__read("/proc", getpid(), &pm))
		return;
	for (size_t i = 0; i < pm.nr && !u->vdso; i++) {
		const struct procmap *m = &pm.maps[i];

		if (strcmp(m->path, vdso_name) != 0 || m->end <= m->start)
			continue;
		u->vdso = malloc(m->end - m->start);
		if (u->vdso) {
			u->vdso_len = m->end - m->start;
			memcpy(u->vdso, (const void *)(unsigned long)m->start, u->vdso_len);
		}
	}
	procmaps__done(&pm);
}

struct native_unwinder *native_unwinder__new(const char *proc_root, native_open_fn *open,
					     void *ctx)
{
	struct native_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->syms = native_symtabs__new(proc_root);
	if (!u->syms) {
		free(u);
		return NULL;
	}
	vdso_read(u);
	snprintf(u->proc_root, sizeof(u->proc_root), "%s", proc_root);
	u->open = open;
	u->open_ctx = ctx;
	return u;
}

static void proc_clear(struct native_proc *np)
{
	if (np->dwfl)
		dwfl_end(np->dwfl);
	/* After dwfl_end(): the vDSO modules' ELF images. */
	for (size_t i = 0; np->maps && i < np->nr_maps; i++)
		free(np->maps[i].image);
	free(np->names);
	free(np->maps);
	memset(np, 0, sizeof(*np));
}

void native_unwinder__free(struct native_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < NATIVE_PROCS; i++)
		proc_clear(&u->procs[i]);
	native_symtabs__free(u->syms);
	free(u->vdso);
	free(u);
}

void native_unwinder__forget(struct native_unwinder *u, int pid)
{
	for (size_t i = 0; u && i < NATIVE_PROCS; i++)
		if (u->procs[i].dwfl && u->procs[i].pid == pid)
			proc_clear(&u->procs[i]);
	if (u)
		native_symtabs__forget(u->syms, pid);
}

void native_unwinder__stats(const struct native_unwinder *u, __u64 *symtabs_built,
			    __u64 *symtabs_hits, __u64 *symtabs_debug)
{
	native_symtabs__stats(u ? u->syms : NULL, symtabs_built, symtabs_hits, symtabs_debug);
}

/*
 * Reports m, a file's executable mapping, as a module whose userdata is
 * *nm, named by m's path (less " (deleted)": a file replaced since it was
 * mapped, which only the caller's open can reach).  True if reported.
 */
static bool report_map(struct native_unwinder *u, struct native_proc *np, const struct procmap *m,
		       struct native_map *nm)
{
	size_t len = strlen(m->path), dlen = sizeof(deleted_suffix) - 1;
	bool deleted = len > dlen && strcmp(m->path + len - dlen, deleted_suffix) == 0;
	char path[PATH_MAX];
	Dwfl_Module *mod;
	void **ud = NULL;

	if (len >= sizeof(path) || (deleted && (!u->open || !nm)))
		return false;
	memcpy(path, m->path, len + 1);
	if (deleted)
		path[len - dlen] = '\0';
	/* The start of the file's first mapping is where its ELF header is. */
	mod = dwfl_report_module(np->dwfl, path, m->start - m->offset, m->end);
	if (!mod)
		return false;
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	/* A file mapped twice keeps the first mapping's. */
	if (nm && ud && !*ud) {
		nm->m = *m;
		nm->m.path = NULL;
		nm->deleted = deleted;
		*ud = nm;
	}
	return true;
}

/* Reports the process's executable mappings of files as modules; 0 or -errno. */
static int report_maps(struct native_unwinder *u, struct native_proc *np)
{
	struct procmaps pm = {};
	int err, nr = 0;

	err = procmaps__read(u->proc_root, np->pid, &pm);
	if (err)
		return err;
	/* Without them (no memory), modules are opened by path. */
	np->maps = calloc(pm.nr ?: 1, sizeof(*np->maps));
	dwfl_report_begin(np->dwfl);
	for (size_t i = 0; i < pm.nr; i++) {
		const struct procmap *m = &pm.maps[i];

		if (m->perms[2] == 'x' && (m->path[0] == '/' || strcmp(m->path, vdso_name) == 0) &&
		    report_map(u, np, m, np->maps ? &np->maps[nr] : NULL))
			nr++;
	}
	np->nr_maps = np->maps ? (size_t)nr : 0;
	dwfl_report_end(np->dwfl, NULL, NULL);
	procmaps__done(&pm);
	return nr ? 0 : -ENOENT;
}

/* The kept Dwfl of pid, made (modules reported, thread attached) if new: NULL if none. */
static struct native_proc *proc_get(struct native_unwinder *u, int pid)
{
	struct native_proc *np = NULL;

	for (size_t i = 0; i < NATIVE_PROCS; i++)
		if (u->procs[i].dwfl && u->procs[i].pid == pid)
			return &u->procs[i];
	np = &u->procs[u->next];
	u->next = (u->next + 1) % NATIVE_PROCS;
	proc_clear(np);
	np->pid = pid;
	np->names = calloc(NATIVE_NAME_CACHE, sizeof(*np->names));
	np->syms = u->syms;
	np->reported_ns = mono_ns();
	np->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!np->dwfl || report_maps(u, np) ||
	    !dwfl_attach_state(np->dwfl, NULL, pid, &thread_callbacks, u)) {
		proc_clear(np);
		return NULL;
	}
	return np;
}

/*
 * The symbol of mod holding pc (*off: pc's offset in it): from t, mod's
 * table shared by build-id, else (NULL: no memory) libdw's own lookup.
 */
static const char *module_sym(const struct native_symtab *t, Dwfl_Module *mod, Dwarf_Addr start,
			      Dwarf_Addr pc, GElf_Off *off, GElf_Sym *s)
{
	__u64 o = 0;
	const char *name;

	if (!t)
		return dwfl_module_addrinfo(mod, pc, off, s, NULL, NULL, NULL);
	name = native_symtab__lookup(t, pc - start, &o);
	*off = o;
	return name;
}

/* Names frame f: "symbol", else "module+0xoff", else "0x<pc>". */
static void frame_name(struct native_proc *np, struct native_frame *f, Dwarf_Addr pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(np->dwfl, pc);
	const struct native_symtab *t = NULL;
	const char *sym = NULL, *mname = NULL, *base;
	Dwarf_Addr start = 0;
	GElf_Off off = 0;
	GElf_Sym s;

	f->module = NULL;
	f->interp = false;
	if (mod) {
		mname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
		t = native_symtabs__get(np->syms, np->pid, mod);
		sym = module_sym(t, mod, start, pc, &off, &s);
	}
	if (mname) {
		base = strrchr(mname, '/');
		base = base ? base + 1 : mname;
		f->module = mname;
		f->interp = strncmp(base, "python", 6) == 0 || strncmp(base, "libpython", 9) == 0;
	}
	if (sym && sym[0]) {
		snprintf(f->name, sizeof(f->name), "%s", sym);
	} else if (t && coldparts__name(np->syms, t, mod, pc, f->name, sizeof(f->name)) == 0) {
		/* A stripped file's FUNC.cold, named after the function jumping there. */
	} else if (mname) {
		snprintf(f->name, sizeof(f->name), "%s+0x%llx", base,
			 (unsigned long long)(pc - start));
	} else {
		snprintf(f->name, sizeof(f->name), "0x%llx", (unsigned long long)pc);
	}
	/* C++ as C++ spells it: "_ZN3foo3barEv" is foo::bar(), a .cold part "[clone .cold]". */
	if (f->name[0] == '_' && f->name[1] == 'Z') {
		char mangled[NATIVE_NAME_MAX];

		snprintf(mangled, sizeof(mangled), "%s", f->name);
		cxxname__demangle(sym && sym[0] ? sym : mangled, f->name, sizeof(f->name));
	}
}

struct frames_ctx {
	struct native_proc *np;
	struct native_stack *st;
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct frames_ctx *c = arg;
	struct name_slot *slot;
	struct native_frame *f;
	bool activation;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (c->st->nr >= NATIVE_MAX_FRAMES) {
		c->st->truncated = true;
		return DWARF_CB_ABORT;
	}
	/* A return address is past its call: look the call up. */
	if (!activation && pc)
		pc--;
	f = &c->st->frames[c->st->nr++];
	slot = c->np->names ? &c->np->names[(pc ^ (pc >> 12)) % NATIVE_NAME_CACHE] : NULL;
	if (slot && slot->pc == pc && pc) {
		*f = slot->f;
		return DWARF_CB_OK;
	}
	f->pc = pc;
	frame_name(c->np, f, pc);
	if (slot) {
		slot->pc = pc;
		slot->f = *f;
	}
	return DWARF_CB_OK;
}

int native_unwinder__unwind(struct native_unwinder *u, int pid, int tid,
			    const struct native_regs *r, struct native_stack *st)
{
	struct native_proc *np;
	struct frames_ctx c = { .st = st };
	int err = 0;

	st->nr = 0;
	st->truncated = false;
	current = u;
	u->pid = pid;
	u->tid = tid;
	u->regs = r;
	u->read_outside = false;
	np = proc_get(u, pid);
	if (!np) {
		err = -ENOENT;
		goto cleanup;
	}
	c.np = np;
	/* A pc outside every module: a library loaded since, report the maps again once. */
	if (!dwfl_addrmodule(np->dwfl, r->ip) && mono_ns() - np->reported_ns > NATIVE_REREPORT_NS) {
		native_unwinder__forget(u, pid);
		np = proc_get(u, pid);
		if (!np) {
			err = -ENOENT;
			goto cleanup;
		}
		c.np = np;
	}
	/*
	 * 0: the outermost frame reached, or a frame whose return address the
	 * copy does not hold, which libdw takes for the end too: read_outside.
	 */
	if (dwfl_getthread_frames(np->dwfl, tid, frame_cb, &c) != 0 || u->read_outside)
		st->truncated = true;
cleanup:
	current = NULL;
	return err;
}
