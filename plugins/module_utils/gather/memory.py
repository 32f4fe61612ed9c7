# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what the memory_limits controls judge: the memory cgroup settings systemd
applies to the slices, to sshd and to a user's slice, and the host's memory."""

from __future__ import annotations

import os

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import read_text, systemctl_show_many

PROPERTIES = ["MemoryAccounting", "MemoryMin", "MemoryLow", "MemoryHigh", "MemoryMax", "MemorySwapMax",
              "MemoryLimit", "OOMScoreAdjust", "LoadState", "ActiveState", "DropInPaths"]
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


def gather(module):
    units = systemctl_show_many(module, UNITS, PROPERTIES)
    hypervisor = any(module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"]) for name in ("libvirtd", "virtqemud"))
    return {"mem_total": mem_total(), "cgroup": cgroup_mode(), "units": units, "hypervisor": hypervisor}
