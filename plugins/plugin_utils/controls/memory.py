# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory_limits controls (MEM-001..): no class of workload can take the whole host.

The incident behind this project: a memory leak in one server ate all memory until the
whole virtual infrastructure fell over. The classes that can leak (users, guests) must
have a ceiling below the host's memory, so the host keeps a reserve for itself, and
sshd must be the last process the OOM killer picks, so administrators can still log in.

Facts: ``audit_facts.memory`` (module_utils/gather/memory.py): systemd's view of the units.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect,
    load,
    failed,
    not_applicable,
)

AREA = "memory_limits"
SOURCE = "memory"


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


CONTROLS = load(__name__, AREA, SOURCE)
