# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The systemd unit: `make install` puts it (and the binaries and man pages)
under a prefix, systemd-analyze accepts it, and its ExecStart line runs
pyprofd with no more than the unit's capability bounding set."""

import configparser
import ctypes
import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (OUTPUT, ROOT, Daemon, Skip, Workload, interpreters, main,  # noqa: E402
                        need_root, test, wait_for)


class Installed:
    def __enter__(self):
        self.prefix = tempfile.mkdtemp(prefix="pyproftest-install.")
        r = subprocess.run(["make", "-s", "-C", ROOT, "OUTPUT=" + OUTPUT, "install",
                            "prefix=" + self.prefix], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        self.unit = os.path.join(self.prefix, "lib/systemd/system/pyprofd.service")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.prefix, ignore_errors=True)


# linux/capability.h
CAPS = {"chown": 0, "dac_override": 1, "dac_read_search": 2, "fowner": 3, "fsetid": 4,
        "kill": 5, "setgid": 6, "setuid": 7, "setpcap": 8, "linux_immutable": 9,
        "net_bind_service": 10, "net_broadcast": 11, "net_admin": 12, "net_raw": 13,
        "ipc_lock": 14, "ipc_owner": 15, "sys_module": 16, "sys_rawio": 17, "sys_chroot": 18,
        "sys_ptrace": 19, "sys_pacct": 20, "sys_admin": 21, "sys_boot": 22, "sys_nice": 23,
        "sys_resource": 24, "sys_time": 25, "sys_tty_config": 26, "mknod": 27, "lease": 28,
        "audit_write": 29, "audit_control": 30, "setfcap": 31, "mac_override": 32,
        "mac_admin": 33, "syslog": 34, "wake_alarm": 35, "block_suspend": 36,
        "audit_read": 37, "perfmon": 38, "bpf": 39, "checkpoint_restore": 40}
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38


def bounding_set_only(keep, sched=None):
    """A preexec_fn: what systemd does with CapabilityBoundingSet=, NoNewPrivileges=
    and CPUSchedulingPolicy=/CPUSchedulingPriority= (sched: (policy, priority))."""
    libc = ctypes.CDLL(None, use_errno=True)

    def drop():
        if sched:
            os.sched_setscheduler(0, sched[0], os.sched_param(sched[1]))
        for name, num in CAPS.items():
            if num not in keep and libc.prctl(PR_CAPBSET_DROP, num, 0, 0, 0) != 0:
                if ctypes.get_errno() != 22:  # EINVAL: the kernel does not know it
                    raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP %s" % name)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    return drop


def service_section(path):
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(path)
    return cp["Service"]


@test
def install_and_verify_units():
    if not shutil.which("systemd-analyze"):
        raise Skip("no systemd-analyze")
    with Installed() as inst:
        for f in ("sbin/pyprofd", "bin/pyprofctl", "share/man/man8/pyprofd.8",
                  "share/man/man1/pyprofctl.1", "lib/systemd/system/pyprofd.socket"):
            assert os.path.exists(os.path.join(inst.prefix, f)), f
        units = glob.glob(os.path.join(inst.prefix, "lib/systemd/system/*"))
        env = dict(os.environ, MANPATH=os.path.join(inst.prefix, "share/man"))
        r = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True, text=True,
                           env=env)
        print("  systemd-analyze verify %s: rc %d %s"
              % (" ".join(os.path.basename(u) for u in units), r.returncode, r.stderr.strip()))
        assert r.returncode == 0 and not r.stderr.strip(), r.stderr
        svc = service_section(inst.unit)
        for key, want in (("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"),
                          ("PrivateTmp", "yes"), ("RuntimeDirectory", "pyprof"),
                          ("StateDirectory", "pyprof"), ("Restart", "on-failure"),
                          # Ahead of a busy host's threads: snapshots are wanted then.
                          ("CPUSchedulingPolicy", "rr"), ("CPUSchedulingPriority", "1")):
            assert svc.get(key) == want, (key, svc.get(key))
        assert svc["ExecStart"].startswith(os.path.join(inst.prefix, "sbin/pyprofd") + " ")


@test
def exec_start_runs_with_the_unit_capabilities():
    need_root()
    builds = [b for m in (11, 12, 13) for b in interpreters(m)]
    if not builds:
        raise Skip("no CPython 3.11+")
    with Installed() as inst:
        svc = service_section(inst.unit)
        argv = shlex.split(svc["ExecStart"])
        caps = svc["CapabilityBoundingSet"].split()
        keep = {CAPS[c.lower().replace("cap_", "", 1)] for c in caps}
        # The unit's own command line; only the paths that would clash with a real
        # installation move into the test's directory.
        work = tempfile.mkdtemp(prefix="pyproftest-unit.")
        try:
            for i, a in enumerate(argv):
                if a == "--socket":
                    argv[i + 1] = os.path.join(work, "pyprofd.sock")
                elif a == "--state-dir":
                    argv[i + 1] = os.path.join(work, "state")
            d = Daemon()
            d.args = argv
            policy = {"rr": os.SCHED_RR, "fifo": os.SCHED_FIFO}[svc["CPUSchedulingPolicy"]]
            d.preexec_fn = bounding_set_only(keep, (policy, int(svc["CPUSchedulingPriority"])))
            d.sock = os.path.join(work, "pyprofd.sock")
            print("  %s" % " ".join(d.args))
            with d, Workload(builds[0][1], "hotwarm.py", 60) as w:
                # What the daemon really holds: the bounding set, nothing more.
                pid = d.proc.pid
                with open("/proc/%d/status" % pid) as f:
                    capbnd = next(int(line.split()[1], 16) for line in f
                                  if line.startswith("CapBnd:"))
                # (A sandbox may hold fewer capabilities than the unit allows.)
                with open("/proc/self/status") as f:
                    mine = next(int(line.split()[1], 16) for line in f
                                if line.startswith("CapBnd:"))
                assert capbnd == sum(1 << c for c in keep) & mine, hex(capbnd)
                # The loop runs as the unit says; the ELF worker, which reads files
                # any user can plant, at normal priority and niced.
                threads = {}
                for tid in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                        comm = f.read().strip()
                    with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                        fields = f.read().rpartition(")")[2].split()
                    threads[comm] = (int(fields[38]), int(fields[16]))  # policy, nice
                print("  threads (policy, nice): %s" % threads)
                assert threads["pyprofd"] == (policy, 0), threads
                assert threads["pyprofd-elf"] == (os.SCHED_OTHER, 10), threads
                d.wait_samples(w.pid, 100, match="hot (", timeout=30)
                st = d.status()
                assert int(st["bpf_emitted"]) > 0 and st["state_dir"].startswith(work), st
            assert glob.glob(os.path.join(work, "state", "w*.pyprof")), "no state saved"
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
