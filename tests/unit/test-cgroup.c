// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for the /proc/PID/cgroup parser: files as real v2, v1 and hybrid
 * systems print them (systemd, docker, podman, containerd, CRI-O,
 * kubernetes), and hostile ones (names with any byte, forged lines,
 * repeated hierarchies, oversize input).
 */
#include <errno.h>
#include "testhelp.h"
#include "profile/proclabel.h"
#include "target/cgroup.h"

#define ID  "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"
#define ID2 "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"

static struct cgroup_info ci;
static char buf[4][PROCLABEL_MAX_VALUE + 2];

/* The span as a string ("" for none), in one of four static buffers. */
static const char *str(const struct cgroup_span *s, int n)
{
	ASSERT_TRUE(s->len <= PROCLABEL_MAX_VALUE);
	memcpy(buf[n], s->s ? s->s : "", s->len);
	buf[n][s->len] = '\0';
	return buf[n];
}

static void parse(const char *text, const char *path, const char *unit, const char *user_unit,
		  const char *container)
{
	ASSERT_OK(cgroup__parse(text, strlen(text), &ci));
	ASSERT_STREQ(str(&ci.path, 0), path);
	ASSERT_STREQ(str(&ci.unit, 1), unit);
	ASSERT_STREQ(str(&ci.user_unit, 2), user_unit);
	ASSERT_STREQ(str(&ci.container, 3), container);
}

static void bad(const char *text, size_t len, int err)
{
	ASSERT_EQ(cgroup__parse(text, len, &ci), err);
	ASSERT_EQ(ci.path.len + ci.unit.len + ci.user_unit.len + ci.container.len, 0);
}

#define BAD(lit) bad(lit, sizeof(lit) - 1, -EINVAL)

TEST(v2_system_service)
{
	parse("0::/system.slice/nginx.service\n", "/system.slice/nginx.service", "nginx.service",
	      "", "");
	parse("0::/init.scope\n", "/init.scope", "init.scope", "", "");
	parse("0::/\n", "/", "", "", "");
	/* A cgroup the service made below its own: still the service. */
	parse("0::/system.slice/app.service/worker/w1\n", "/system.slice/app.service/worker/w1",
	      "app.service", "", "");
	/* Nested slices. */
	parse("0::/system.slice/system-getty.slice/getty@tty1.service\n",
	      "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "", "");
	/* Other unit types that hold processes. */
	parse("0::/system.slice/dev-sda2.swap\n", "/system.slice/dev-sda2.swap", "dev-sda2.swap",
	      "", "");
}

TEST(v2_user_session_and_manager)
{
	parse("0::/user.slice/user-1000.slice/session-3.scope\n",
	      "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "", "");
	parse("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
	      "app-gnome-org.gnome.Terminal-1234.scope\n",
	      "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	      "app-gnome-org.gnome.Terminal-1234.scope",
	      "user@1000.service", "app-gnome-org.gnome.Terminal-1234.scope", "");
	/* A user's delegated subtree cannot make the system unit another one. */
	parse("0::/user.slice/user-1000.slice/user@1000.service/x.slice/sshd.service\n",
	      "/user.slice/user-1000.slice/user@1000.service/x.slice/sshd.service",
	      "user@1000.service", "sshd.service", "");
	parse("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n",
	      "/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service",
	      "init.scope", "");
}

TEST(unit_names_systemd_would_not_write)
{
	/* Not below slices from the root: no unit. */
	parse("0::/mygroup/x.service\n", "/mygroup/x.service", "", "", "");
	/* A slice alone, a template, bad characters, no prefix. */
	parse("0::/system.slice\n", "/system.slice", "", "", "");
	parse("0::/system.slice/getty@.service\n", "/system.slice/getty@.service", "", "", "");
	parse("0::/system.slice/a b.service\n", "/system.slice/a b.service", "", "", "");
	parse("0::/system.slice/.service\n", "/system.slice/.service", "", "", "");
	parse("0::/system.slice/@x.service\n", "/system.slice/@x.service", "", "", "");
	parse("0::/system.slice/a@b@c.service\n", "/system.slice/a@b@c.service", "", "", "");
	parse("0::/system.slice/x.target\n", "/system.slice/x.target", "", "", "");
	/* systemd's escape of names that could clash with the kernel's files. */
	parse("0::/system.slice/_cpu.service\n", "/system.slice/_cpu.service", "cpu.service", "",
	      "");
}

TEST(unit_name_length)
{
	char text[600], name[300];

	memset(name, 'a', 247);
	strcpy(name + 247, ".service"); /* 255 bytes: systemd's longest */
	snprintf(text, sizeof(text), "0::/system.slice/%s\n", name);
	ASSERT_OK(cgroup__parse(text, strlen(text), &ci));
	ASSERT_EQ(ci.unit.len, 255);
	memset(name, 'a', 248);
	strcpy(name + 248, ".service");
	snprintf(text, sizeof(text), "0::/system.slice/%s\n", name);
	ASSERT_OK(cgroup__parse(text, strlen(text), &ci));
	ASSERT_EQ(ci.unit.len, 0);
}

TEST(hybrid_prefers_unified)
{
	parse("12:pids:/system.slice/a.service\n"
	      "4:cpu,cpuacct:/system.slice/a.service\n"
	      "1:name=systemd:/system.slice/a.service\n"
	      "0::/system.slice/b.service\n",
	      "/system.slice/b.service", "b.service", "", "");
	/* As this machine's: a v2 line that is only "/", and a named v1 hierarchy. */
	parse("9:name=systemd:/\n8:pids:/\n4:memory:/process_api/1c24eb5304bcd477d9c577de4c875fbf\n"
	      "0::/\n",
	      "/", "", "", "");
}

TEST(v1_name_systemd)
{
	parse("11:devices:/system.slice/docker-" ID2 ".scope\n"
	      "2:cpuacct,cpu:/system.slice/docker-" ID2 ".scope\n"
	      "1:name=systemd:/system.slice/docker-" ID2 ".scope\n",
	      "/system.slice/docker-" ID2 ".scope", "docker-" ID2 ".scope", "", ID2);
	/* name=systemd among other names, not a prefix match. */
	parse("2:name=systemdx:/a.slice/x.service\n"
	      "1:name=systemd,name=foo:/system.slice/y.service\n",
	      "/system.slice/y.service", "y.service", "", "");
	parse("1:name=systemdx:/system.slice/x.service\n", "", "", "", "");
}

TEST(v1_without_systemd_container_from_controllers)
{
	/* docker's cgroupfs driver on a v1 host without systemd (as neuvector's tests have it) */
	parse("10:net_prio:/" ID "\n9:perf_event:/" ID "\n2:cpu:/" ID "\n", "", "", "", ID);
	parse("4:memory:/docker/" ID "\n3:cpu:/\n", "", "", "", ID);
}

TEST(containers_systemd_driver)
{
	parse("0::/system.slice/docker-" ID ".scope\n", "/system.slice/docker-" ID ".scope",
	      "docker-" ID ".scope", "", ID);
	parse("0::/machine.slice/libpod-" ID ".scope/container\n",
	      "/machine.slice/libpod-" ID ".scope/container", "libpod-" ID ".scope", "", ID);
	/* rootless podman, in the user's manager */
	parse("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope\n",
	      "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	      "user@1000.service", "libpod-" ID ".scope", ID);
	parse("0::/kubepods.slice/kubepods-burstable.slice/"
	      "kubepods-burstable-pod0b8b3d5a_c8a3_4f6e_9d43_5a3c2f1e7b90.slice/"
	      "cri-containerd-" ID ".scope\n",
	      "/kubepods.slice/kubepods-burstable.slice/"
	      "kubepods-burstable-pod0b8b3d5a_c8a3_4f6e_9d43_5a3c2f1e7b90.slice/"
	      "cri-containerd-" ID ".scope",
	      "cri-containerd-" ID ".scope", "", ID);
	parse("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podX.slice/crio-" ID
	      ".scope\n",
	      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podX.slice/crio-" ID
	      ".scope",
	      "crio-" ID ".scope", "", ID);
}

TEST(containers_cgroupfs_driver)
{
	parse("0::/docker/" ID "\n", "/docker/" ID, "", "", ID);
	parse("0::/kubepods/burstable/pod0b8b3d5a-c8a3-4f6e-9d43-5a3c2f1e7b90/" ID "\n",
	      "/kubepods/burstable/pod0b8b3d5a-c8a3-4f6e-9d43-5a3c2f1e7b90/" ID, "", "", ID);
	parse("0::/libpod_parent/libpod-" ID "\n", "/libpod_parent/libpod-" ID, "", "", ID);
	parse("0::/kubepods/besteffort/podX/crio-" ID "\n", "/kubepods/besteffort/podX/crio-" ID,
	      "", "", ID);
	parse("0::/kubepods-besteffort-podX.slice:cri-containerd:" ID "\n",
	      "/kubepods-besteffort-podX.slice:cri-containerd:" ID, "", "", ID);
	/* docker in docker: the inner container */
	parse("0::/docker/" ID "/docker/" ID2 "\n", "/docker/" ID "/docker/" ID2, "", "", ID2);
}

TEST(not_containers)
{
	/* the conmon monitors of podman and CRI-O, short, long, upper-case ids */
	parse("0::/machine.slice/libpod-conmon-" ID ".scope\n",
	      "/machine.slice/libpod-conmon-" ID ".scope", "libpod-conmon-" ID ".scope", "", "");
	parse("0::/system.slice/crio-conmon-" ID ".scope\n",
	      "/system.slice/crio-conmon-" ID ".scope", "crio-conmon-" ID ".scope", "", "");
	parse("0::/docker/4f797c539e6c\n", "/docker/4f797c539e6c", "", "", "");
	parse("0::/docker/" ID "0\n", "/docker/" ID "0", "", "", "");
	parse("0::/docker/4F797C539E6C745DE61A93CA3FF892358ECBCACCD8414D5DB545C38428142970\n",
	      "/docker/4F797C539E6C745DE61A93CA3FF892358ECBCACCD8414D5DB545C38428142970", "", "",
	      "");
	parse("0::/system.slice/docker-" ID ".service\n", "/system.slice/docker-" ID ".service",
	      "docker-" ID ".service", "", "");
	parse("0::/system.slice/" ID ".scope\n", "/system.slice/" ID ".scope", ID ".scope", "", "");
	parse("0::/docker-" ID "\n", "/docker-" ID, "", "", "");
}

TEST(hostile_names_taken_as_bytes)
{
	/* Tab, comma, '=', ':', an escape sequence, bytes >= 0x80: all part of the path. */
	parse("0::/system.slice/x.service/a\tb,c=d:e\033[31m\\x41\xff\n",
	      "/system.slice/x.service/a\tb,c=d:e\033[31m\\x41\xff", "x.service", "", "");
	/* A name that looks like a line of its own is part of the path too. */
	parse("0::/a 0::/system.slice/sshd.service\n", "/a 0::/system.slice/sshd.service", "", "",
	      "");
	/* Empty components ("//") are skipped as the kernel would never print them. */
	parse("0::/system.slice//x.service\n", "/system.slice//x.service", "x.service", "", "");
}

TEST(forged_lines_rejected)
{
	/* A newline in a name (older kernels) forges a line: a repeated hierarchy, or junk. */
	BAD("0::/user.slice/x\n0::/system.slice/sshd.service\n");
	BAD("1:name=systemd:/a\n1:name=systemd:/system.slice/sshd.service\n0::/a\n");
	BAD("0::/user.slice/x\nsshd.service\n");
	BAD("0::/a\n\n");
}

TEST(malformed_rejected)
{
	BAD("0::/a");			/* no final newline: cut short */
	BAD("\n");
	BAD("0:/a\n");
	BAD("0::a\n");			/* a path is absolute */
	BAD("0::\n");
	BAD("0:cpu:/a\n");		/* v2 has no controllers */
	BAD("1::/a\n");			/* v1 has some */
	BAD("x::/a\n");
	BAD(":cpu:/a\n");
	BAD("-1:cpu:/a\n");
	BAD("01:cpu:/a\n");		/* one spelling per id */
	BAD("12345678901:cpu:/a\n");
	BAD("0::/a\0b\n");
	BAD("0::/a\r\n" "junk");
	/* Work is bounded: one line per hierarchy at most. */
	{
		char text[CGROUP_LINES_MAX * 16 + 16];
		size_t n = 0;

		for (int i = 1; i <= CGROUP_LINES_MAX + 1; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%d:c%d:/\n", i, i);
		bad(text, n, -EINVAL);
	}
	ASSERT_OK(cgroup__parse("", 0, &ci));
	ASSERT_EQ(ci.path.len, 0);
}

TEST(oversize_input)
{
	size_t len = CGROUP_TEXT_MAX + 1;
	char *text = malloc(len);

	ASSERT_TRUE(text != NULL);
	memset(text, 'a', len);
	memcpy(text, "0::/", 4);
	text[len - 1] = '\n';
	bad(text, len, -E2BIG);
	free(text);
}

/* A path longer than a label value: no cgroup label, the unit still. */
TEST(long_path_gives_no_cgroup_label)
{
	size_t n = PROCLABEL_MAX_VALUE + 200;
	struct proclabel_builder b = { 0 };
	struct proclabel *l;
	size_t nr;
	char *text = malloc(n + 256);
	int at;

	ASSERT_TRUE(text != NULL);
	at = snprintf(text, 64, "0::/system.slice/x.service");
	while ((size_t)at < n) {
		memcpy(text + at, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 31);
		at += 31;
	}
	memcpy(text + at, "/docker/" ID "\n", 8 + 64 + 1);
	at += 8 + 64 + 1;
	ASSERT_OK(cgroup__parse(text, (size_t)at, &ci));
	ASSERT_TRUE(ci.path.len > PROCLABEL_MAX_VALUE);
	cgroup__add_labels(&ci, &b);
	ASSERT_OK(proclabel_builder__pack(&b, &l, &nr));
	ASSERT_EQ(nr, 2);
	ASSERT_TRUE(proclabel__get(l, nr, "cgroup") == NULL);
	ASSERT_STREQ(proclabel__get(l, nr, "unit"), "x.service");
	ASSERT_STREQ(proclabel__get(l, nr, "container"), ID);
	free(l);
	free(text);
}

TEST(labels_from_a_file)
{
	static const char text[] = "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/"
				   "app.slice/libpod-" ID ".scope\n"
				   "0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
				   "libpod-" ID ".scope\n";
	struct proclabel_builder b = { 0 };
	struct proclabel *l;
	size_t nr;

	ASSERT_OK(cgroup__parse(text, sizeof(text) - 1, &ci));
	cgroup__add_labels(&ci, &b);
	ASSERT_OK(proclabel_builder__pack(&b, &l, &nr));
	ASSERT_EQ(nr, 4);
	ASSERT_TRUE(proclabel__valid_set(l, nr));
	ASSERT_STREQ(l[0].key, "cgroup");
	ASSERT_STREQ(l[0].value, "/user.slice/user-1000.slice/user@1000.service/app.slice/"
				 "libpod-" ID ".scope");
	ASSERT_STREQ(l[1].key, "container");
	ASSERT_STREQ(l[1].value, ID);
	ASSERT_STREQ(l[2].key, "unit");
	ASSERT_STREQ(l[2].value, "user@1000.service");
	ASSERT_STREQ(l[3].key, "user_unit");
	ASSERT_STREQ(l[3].value, "libpod-" ID ".scope");
	free(l);
}
