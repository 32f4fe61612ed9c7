# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes that still run code an upgrade has replaced, read from /proc.

One reader for the three callers that ask: the patching area (any process mapping a
deleted shared library), and the KVM area and ``needrestart_facts`` (a QEMU process
whose executable, or a library or QEMU module it loaded, was replaced keeps the old,
possibly vulnerable, code until the guest is restarted or migrated).
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


def replaced_mappings(maps_text, limit=20):
    """Files a process still maps although they were deleted (replaced) on disk.

    ``/proc/PID/maps`` lines end in the path, then `` (deleted)`` once the file was unlinked:
    an upgrade that replaced a shared library or a QEMU module (``.../qemu/block-*.so``)
    leaves the running process on the old copy.
    """
    found = []
    for line in (maps_text or "").splitlines():
        if not line.endswith(_DELETED):
            continue
        parts = line.split(None, 5)
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue
        path = parts[5][: -len(_DELETED)]
        # SysV/POSIX shared memory and memfd segments are "deleted" files by nature
        if path.startswith(("/SYSV", "/dev/shm/", "/memfd:")):
            continue
        if path not in found and len(found) < limit:
            found.append(path)
    return found


def stale_qemu(proc_root="/proc"):
    """QEMU processes that still run replaced code.

    A guest runs old code when its QEMU binary was replaced on disk (``/proc/PID/exe`` ends in
    `` (deleted)``) OR when a library or QEMU module it loaded was (``/proc/PID/maps``).

    Returns ``{"pid", "exe", "name", "cgroup", "replaced_binary", "replaced_libraries"}`` dicts
    sorted by pid; ``name`` is the guest name from ``-name guest=...`` (None when absent).
    Processes that vanish while scanning, or whose links cannot be read (permissions), are skipped.
    """
    stale = []
    for pid in _pids(proc_root):
        base = os.path.join(proc_root, str(pid))
        try:
            exe = os.readlink(os.path.join(base, "exe"))
        except OSError:
            continue
        replaced_binary = exe.endswith(_DELETED)
        path = exe[: -len(_DELETED)] if replaced_binary else exe
        if not _QEMU_NAME.match(os.path.basename(path)):
            continue
        libraries = replaced_mappings(read_text(os.path.join(base, "maps"), limit=4 * 1024 * 1024))
        if not replaced_binary and not libraries:
            continue
        args = [a for a in (read_text(os.path.join(base, "cmdline")) or "").split("\0") if a]
        cgroup = read_text(os.path.join(base, "cgroup")) or ""
        unified = [line.split(":", 2)[2] for line in cgroup.splitlines() if line.startswith("0::")]
        stale.append({"pid": pid, "exe": path, "name": guest_name_from_cmdline(args),
                      "cgroup": unified[0] if unified else None,
                      "replaced_binary": replaced_binary, "replaced_libraries": libraries})
    return stale
