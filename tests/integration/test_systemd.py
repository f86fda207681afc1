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


def unit_caps(svc):
    """The capability numbers of a [Service]'s CapabilityBoundingSet=."""
    return {CAPS[c.lower().replace("cap_", "", 1)] for c in svc["CapabilityBoundingSet"].split()}


def unit_daemon(argv, work, keep, sched=None, moved=None):
    """A Daemon of a unit's ExecStart argv under the bounding set keep (and
    sched, as bounding_set_only's): only the paths that would clash with a real
    installation move into work, and the options of moved ({"--http": v}) take
    those values."""
    argv = list(argv)
    sock = os.path.join(work, "pyprofd.sock")
    moved = dict({"--socket": sock, "--state-dir": os.path.join(work, "state")}, **(moved or {}))
    for i, a in enumerate(argv[:-1]):
        if a in moved:
            argv[i + 1] = moved[a]
    d = Daemon()
    d.args = argv
    d.sock = sock
    d.preexec_fn = bounding_set_only(keep, sched)
    return d


def check_network_dropin(inst, name, flag, value_prefix):
    """The unit keeps no network; the drop-in it ships as
    share/pyprof/pyprofd-NAME.conf, copied to pyprofd.service.d/NAME.conf,
    passes systemd-analyze verify (which does read it), opens TCP to loopback
    peers only, and runs the installed pyprofd with FLAG's value starting with
    value_prefix.  Returns (its ExecStart argv, the unit's bounding set)."""
    base = service_section(inst.unit)
    assert base["PrivateNetwork"] == "yes" and base["RestrictAddressFamilies"] == "AF_UNIX"
    assert flag not in base["ExecStart"]
    example = os.path.join(inst.prefix, "share/pyprof/pyprofd-%s.conf" % name)
    dropin_dir = inst.unit + ".d"
    os.makedirs(dropin_dir)
    dropin = os.path.join(dropin_dir, name + ".conf")
    shutil.copy(example, dropin)
    env = dict(os.environ, MANPATH=os.path.join(inst.prefix, "share/man"))
    r = subprocess.run(["systemd-analyze", "verify", inst.unit], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    # (verify reads the drop-in: a key it does not know is reported.)
    with open(dropin, "a") as f:
        f.write("NoSuchKey=1\n")
    r = subprocess.run(["systemd-analyze", "verify", inst.unit], capture_output=True,
                       text=True, env=env)
    assert "NoSuchKey" in r.stderr, r.stderr
    svc = service_section(example)
    assert svc["PrivateNetwork"] == "no", svc["PrivateNetwork"]
    assert set(svc["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert svc["IPAddressDeny"] == "any" and svc["IPAddressAllow"] == "localhost"
    argv = shlex.split(svc["ExecStart"])
    assert argv[0] == os.path.join(inst.prefix, "sbin/pyprofd"), argv
    assert argv[argv.index(flag) + 1].startswith(value_prefix), argv
    return argv, unit_caps(base)


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
        keep = unit_caps(svc)
        # The unit's own command line, its paths moved into the test's directory.
        work = tempfile.mkdtemp(prefix="pyproftest-unit.")
        try:
            policy = {"rr": os.SCHED_RR, "fifo": os.SCHED_FIFO}[svc["CPUSchedulingPolicy"]]
            d = unit_daemon(shlex.split(svc["ExecStart"]), work, keep,
                            (policy, int(svc["CPUSchedulingPriority"])))
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
