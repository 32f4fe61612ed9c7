# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes that still run code an upgrade has replaced, read from /proc.

One reader for the three callers that ask: the patching area (any process mapping a
deleted shared library), and the KVM area and ``needrestart_facts`` (a QEMU process
whose executable was replaced keeps the old, possibly vulnerable, emulator until the
guest is restarted or migrated).
"""

from __future__ import annotations

import os
import re

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import read_text
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.needrestart import guest_name_from_cmdline

_LIB = re.compile(r"\s(/\S*\.so[.\d]*) \(deleted\)$")
_QEMU_NAME = re.compile(r"^(qemu-system-[\w.-]+|qemu-kvm)$")
_DELETED = " (deleted)"


def _pids(proc_root):
    try:
        entries = os.listdir(proc_root)
    except OSError:
        return []
    return sorted(int(e) for e in entries if e.isdigit())


def stale_processes(proc_root="/proc", limit=50):
    """Processes that still map a shared library deleted on disk (upgraded but not restarted)."""
    found = []
    for pid in _pids(proc_root):
        maps = read_text(os.path.join(proc_root, str(pid), "maps"), limit=4 * 1024 * 1024)
        if not maps or "(deleted)" not in maps:
            continue
        libs = sorted(set(m.group(1) for m in (_LIB.search(line) for line in maps.splitlines()) if m))
        if libs:
            comm = (read_text(os.path.join(proc_root, str(pid), "comm")) or "?").strip()
            found.append({"pid": pid, "name": comm, "libraries": libs[:5]})
            if len(found) >= limit:
                break
    return found


def stale_qemu(proc_root="/proc"):
    """QEMU processes whose executable was replaced on disk.

    Returns ``{"pid", "exe", "name", "cgroup"}`` dicts sorted by pid; ``name`` is the guest
    name from ``-name guest=...`` (None when absent). Processes that vanish while
    scanning, or whose links cannot be read (permissions), are skipped.
    """
    stale = []
    for pid in _pids(proc_root):
        base = os.path.join(proc_root, str(pid))
        try:
            exe = os.readlink(os.path.join(base, "exe"))
        except OSError:
            continue
        path = exe[: -len(_DELETED)]
        if not exe.endswith(_DELETED) or not _QEMU_NAME.match(os.path.basename(path)):
            continue
        args = [a for a in (read_text(os.path.join(base, "cmdline")) or "").split("\0") if a]
        cgroup = read_text(os.path.join(base, "cgroup")) or ""
        unified = [line.split(":", 2)[2] for line in cgroup.splitlines() if line.startswith("0::")]
        stale.append({"pid": pid, "exe": path, "name": guest_name_from_cmdline(args),
                      "cgroup": unified[0] if unified else None})
    return stale
