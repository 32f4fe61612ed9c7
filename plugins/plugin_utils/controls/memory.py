# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory_limits controls (MEM-001..): no class of workload can take the whole host.

The incident behind this project: a memory leak in one server ate all memory until the
whole virtual infrastructure fell over. The classes that can leak (users, guests) must
have a ceiling below the host's memory, so the host keeps a reserve for itself, and
sshd must be the last process the OOM killer picks, so administrators can still log in.

Facts: ``audit_facts.memory`` (gather_memory.py): systemd's view of the units.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    Control,
    expect,
    failed,
    not_applicable,
)

AREA = "memory_limits"
SOURCE = "memory"
_NIST = "NIST SP 800-125A Rev. 1 HY-SR-10 (resource limits per VM)"
_SYSTEMD = "systemd.resource-control(5)"
_CG = "Linux cgroup memory controller (memory.max / memory.limit_in_bytes)"


def _limit(props):
    """The effective ceiling in bytes of a unit (MemoryMax, MemoryHigh or v1 MemoryLimit), or None."""
    values = []
    for key in ("MemoryMax", "MemoryHigh", "MemoryLimit"):
        value = (props or {}).get(key, "infinity")
        if value and value != "infinity":
            try:
                values.append(int(value))
            except ValueError:
                continue
    return min(values) if values else None


def _gib(num):
    return "%.2f GiB" % (num / 1024.0 ** 3)


def _ceiling(unit, needs_hypervisor=False):
    def check(src, facts):
        if needs_hypervisor and not src.get("hypervisor"):
            return not_applicable("no libvirt on this host: %s holds no guests" % unit)
        props = (src.get("units") or {}).get(unit)
        if not props:
            raise LookupError("systemd did not describe %s" % unit)
        limit = _limit(props)
        total = src.get("mem_total")
        if limit is None:
            return failed("%s has no memory ceiling (MemoryMax=%s, MemoryHigh=%s)"
                          % (unit, props.get("MemoryMax"), props.get("MemoryHigh")))
        if total and limit >= total:
            return failed("%s ceiling %s is not below the host's %s" % (unit, _gib(limit), _gib(total)))
        return expect(True, "%s ceiling %s of %s" % (unit, _gib(limit), _gib(total) if total else "unknown"))
    return check


def _protected(src, facts):
    units = src.get("units") or {}
    ssh = [u for u in ("ssh.service", "sshd.service") if (units.get(u) or {}).get("LoadState") == "loaded"
           and (units.get(u) or {}).get("ActiveState") not in (None, "", "inactive")]
    if not ssh:
        ssh = [u for u in ("ssh.service", "sshd.service") if (units.get(u) or {}).get("LoadState") == "loaded"]
    if not ssh:
        return not_applicable("no sshd unit on this host")
    unit = ssh[0]
    try:
        score = int(units[unit].get("OOMScoreAdjust") or 0)
    except ValueError:
        return failed("%s OOMScoreAdjust %r" % (unit, units[unit].get("OOMScoreAdjust")))
    return expect(score < 0, "%s OOMScoreAdjust %d (want < 0: the OOM killer picks the leak, not the way in)" % (unit, score))


def _accounting(src, facts):
    units = src.get("units") or {}
    off = [u for u in ("system.slice", "user.slice") if (units.get(u) or {}).get("MemoryAccounting") != "yes"]
    return expect(not off, "MemoryAccounting off for %s" % ", ".join(off) if off else "memory accounting on for system.slice and user.slice")


def _reserve(src, facts):
    """The largest real ceiling (below the host's memory) must leave 5 % of it free.

    Missing or too-large ceilings are MEM-002..005's findings; this control judges only
    whether the ceilings that exist leave the host something of its own.
    """
    units = src.get("units") or {}
    total = src.get("mem_total")
    if not total:
        raise LookupError("the host's memory is unknown")
    # system.slice is protected, never capped (the host's own services live there).
    slices = ["user.slice"] + (["machine.slice"] if src.get("hypervisor") else [])
    limits = dict((u, _limit(units.get(u))) for u in slices)
    real = dict((u, v) for u, v in limits.items() if v is not None and v < total)
    if not real:
        return failed("no slice has a ceiling below the host's %s: nothing guarantees a reserve" % _gib(total))
    unit, biggest = max(real.items(), key=lambda item: item[1])
    return expect(total - biggest >= total * 0.05, "largest slice ceiling %s (%s) of %s leaves %s for the host itself (want >= 5%%)"
                  % (_gib(biggest), unit, _gib(total), _gib(total - biggest)))


def _ctl(cid, title, severity, rationale, references, variable, check, note=None):
    remediation = {"role": "memory_limits", "variable": variable}
    if note:
        remediation["note"] = note
    return Control(id=cid, title=title, area=AREA, severity=severity, rationale=rationale, references=references,
                   remediation=remediation, source=SOURCE, check=check, tags=("memory_limits", cid.lower()))


CONTROLS = [
    _ctl("MEM-001", "Memory accounting is on", "medium",
         "Without accounting systemd cannot see, limit or kill a leaking service or user.",
         [_SYSTEMD, _CG], "memory_limits_slices_enabled", _accounting,
         note="systemd's default on Debian; the slices' drop-ins keep it on"),
    _ctl("MEM-002", "All users together have a memory ceiling", "high",
         "One user's leak (or fork bomb of allocations) must not take the host's memory.",
         [_SYSTEMD, _CG, "NIST SP 800-53 SC-6"], "memory_limits_slices", _ceiling("user.slice"),
         note="user.slice entry"),
    _ctl("MEM-003", "sshd is the last process the OOM killer picks", "high",
         "When memory runs out the administrators must still be able to log in and stop the leak.",
         [_SYSTEMD, "proc(5) oom_score_adj", "NIST SP 800-53 SC-5"], "memory_limits_protect_os_services",
         _protected, note="with memory_limits_protected_oom_score_adjust and memory_limits_protected_services"),
    _ctl("MEM-004", "Each user has a memory ceiling", "medium",
         "A per-user ceiling keeps one user's leak from starving the other users.",
         [_SYSTEMD, "user@.service(5)"], "memory_limits_per_user", _ceiling("user-1000.slice"),
         note="applies to every user-<uid>.slice through user-.slice.d"),
    _ctl("MEM-005", "Guests together have a memory ceiling", "high",
         "The guests of a hypervisor must never be able to take the memory the host needs to run them.",
         [_NIST, _SYSTEMD, "libvirt: machine.slice resource partition"], "memory_limits_slices",
         _ceiling("machine.slice", needs_hypervisor=True), note="machine.slice entry; not applicable without libvirt"),
    _ctl("MEM-006", "The host keeps a memory reserve", "high",
         "Every slice ceiling must leave memory for sshd, journald and the hypervisor daemons.",
         [_NIST, _SYSTEMD], "memory_limits_reserve", _reserve),
]
