# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what the memory_limits controls judge: the memory cgroup settings systemd
applies to the slices, to sshd and to a user's slice, the host's memory, and what is
in effect rather than configured: the live OOM score of sshd's listener and of every
SSH session it started, the cgroup each session runs in, and the vm.* settings."""

from __future__ import annotations

import os

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import read_text, systemctl_show_many

PROPERTIES = ["MemoryAccounting", "MemoryMin", "MemoryLow", "MemoryHigh", "MemoryMax", "MemorySwapMax",
              "MemoryLimit", "OOMScoreAdjust", "LoadState", "ActiveState", "DropInPaths", "MainPID"]
# user-1000.slice stands for every user's slice: systemd applies the user-.slice.d
# drop-ins to each user-<uid>.slice, loaded or not.
UNITS = ["system.slice", "user.slice", "machine.slice", "user-1000.slice", "ssh.service", "sshd.service"]


def mem_total():
    for line in (read_text("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def cgroup_mode():
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "unified"
    if os.path.exists("/sys/fs/cgroup/unified"):
        return "hybrid"
    return "legacy"


SYSCTL = ("vm.panic_on_oom", "vm.overcommit_memory", "vm.overcommit_ratio")


def _int(text):
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def sysctl(proc="/proc"):
    return dict((key, _int(read_text("%s/sys/%s" % (proc, key.replace(".", "/"))))) for key in SYSCTL)


def systemd_cgroup(text):
    """The cgroup systemd placed a process in: the v2 path, else v1's name=systemd path."""
    paths = {}
    for line in (text or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            paths[parts[1]] = parts[2]
    return paths.get("name=systemd") or paths.get("") or None


def _ppid(stat):
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
    rest = (stat or "").rpartition(")")[2].split()
    return _int(rest[1]) if len(rest) > 1 else None


def sshd_live(listener, proc="/proc", limit=50):
    """The listener's live oom_score_adj and every process it started (its sessions)."""
    if not listener:
        return {"pid": None, "oom_score_adj": None, "sessions": []}
    sessions = []
    try:
        pids = sorted(int(name) for name in os.listdir(proc) if name.isdigit())
    except OSError:
        pids = []
    for pid in pids:
        if _ppid(read_text("%s/%d/stat" % (proc, pid))) != listener:
            continue
        sessions.append({"pid": pid,
                         "cmdline": (read_text("%s/%d/cmdline" % (proc, pid)) or "").replace("\0", " ").strip(),
                         "oom_score_adj": _int(read_text("%s/%d/oom_score_adj" % (proc, pid))),
                         "cgroup": systemd_cgroup(read_text("%s/%d/cgroup" % (proc, pid)))})
        if len(sessions) >= limit:
            break
    return {"pid": listener, "oom_score_adj": _int(read_text("%s/%d/oom_score_adj" % (proc, listener))),
            "sessions": sessions}


def gather(module):
    units = systemctl_show_many(module, UNITS, PROPERTIES)
    hypervisor = any(module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"]) for name in ("libvirtd", "virtqemud"))
    listener = None
    for unit in ("ssh.service", "sshd.service"):
        pid = _int((units.get(unit) or {}).get("MainPID"))
        if pid:
            listener = pid
            break
    return {"mem_total": mem_total(), "cgroup": cgroup_mode(), "units": units, "hypervisor": hypervisor,
            "sshd": sshd_live(listener), "sysctl": sysctl()}
