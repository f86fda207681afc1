// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: runs a command with a directory tree as its root, either the
 * way a container runtime does or as a plain chroot(8).
 *   inroot [--chroot | --pid] ROOT COMMAND [ARG...]
 * Default: a private mount namespace whose root is ROOT (pivot_root), with
 * the host's /dev bound and a fresh /proc mounted inside, so the process's
 * /proc/PID/maps shows the tree's own paths (/usr/bin/python3.14) and the
 * host's paths are unreachable from it.  The command replaces the helper:
 * its pid is the helper's.
 * --pid: the same in a new pid namespace as well; the helper stays as the
 * parent, passes SIGTERM, SIGINT and SIGHUP on, and exits as the command
 * does (its pid is the helper's only child).
 * --chroot: chroot(2) only, in the host's mount namespace: maps show host
 * paths (ROOT/usr/bin/python3.14).
 * Nothing needs undoing on any exit path: what is mounted lives in the
 * namespace, which goes with the last process in it.  Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "inroot: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
		strerror(errno));
	return -1;
}

/* The tree becomes / of this (new, private) mount namespace, with /dev and /proc in it. */
static int enter_tree(const char *root)
{
	char dev[4096], proc[4096];

	if (snprintf(dev, sizeof(dev), "%s/dev", root) >= (int)sizeof(dev) ||
	    snprintf(proc, sizeof(proc), "%s/proc", root) >= (int)sizeof(proc)) {
		errno = ENAMETOOLONG;
		return fail("root path", root);
	}
	if (unshare(CLONE_NEWNS) < 0)
		return fail("unshare", "CLONE_NEWNS");
	/* Nothing done here may reach the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("make / private", NULL);
	/* pivot_root wants a mount point. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind", root);
	if (mount("/dev", dev, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind /dev on", dev);
	if (chdir(root) < 0)
		return fail("chdir", root);
	/* The old root is stacked under the new one, then detached. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail("pivot_root", root);
	if (umount2(".", MNT_DETACH) < 0)
		return fail("detach the old root", NULL);
	if (chdir("/") < 0)
		return fail("chdir", "/");
	return 0;
}

/* The tree's own /proc: after a new pid namespace, one that shows it. */
static int mount_proc(void)
{
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail("mount", "/proc");
	return 0;
}

static pid_t child;

static void pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Parent of the new pid namespace's init: forwards signals, returns its exit status. */
static int wait_child(void)
{
	struct sigaction sa = { .sa_handler = pass_on };
	int status;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			fail("waitpid", NULL);
			return EXIT_FAILURE;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int usage(void)
{
	fprintf(stderr, "usage: inroot [--chroot | --pid] ROOT COMMAND [ARG...]\n");
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	bool chroot_only = false, new_pid = false;
	const char *root;
	int i = 1;

	if (i < argc && strcmp(argv[i], "--chroot") == 0)
		chroot_only = true, i++;
	else if (i < argc && strcmp(argv[i], "--pid") == 0)
		new_pid = true, i++;
	if (argc - i < 2)
		return usage();
	root = argv[i++];
	if (chroot_only) {
		if (chroot(root) < 0 || chdir("/") < 0)
			return fail("chroot", root), EXIT_FAILURE;
	} else {
		if (enter_tree(root) < 0)
			return EXIT_FAILURE;
		if (new_pid) {
			if (unshare(CLONE_NEWPID) < 0)
				return fail("unshare", "CLONE_NEWPID"), EXIT_FAILURE;
			child = fork();
			if (child < 0)
				return fail("fork", NULL), EXIT_FAILURE;
			if (child > 0)
				return wait_child();
			/* The namespace's init: it goes when the helper does, and takes the rest. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
				return fail("PR_SET_PDEATHSIG", NULL), EXIT_FAILURE;
		}
		if (mount_proc() < 0)
			return EXIT_FAILURE;
	}
	execvp(argv[i], argv + i);
	fail("exec", argv[i]);
	return 127;
}
