# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory_limits controls (MEM-001..): no class of workload can take the whole host.

The incident behind this project: a memory leak in one server ate all memory until the
whole virtual infrastructure fell over. The classes that can leak (users, guests) must
have a ceiling below the host's memory, so the host keeps a reserve for itself, and
sshd must be the last process the OOM killer picks, so administrators can still log in.

Facts: ``audit_facts.memory`` (module_utils/gather/memory.py): systemd's view of the units.
"""

from __future__ import annotations

import re

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect,
    load,
    failed,
    not_applicable,
)
from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.memory_budget import budget_problems

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


def _sshd_unit(units):
    for state in (("active",), None):
        for unit in ("ssh.service", "sshd.service"):
            props = units.get(unit) or {}
            if props.get("LoadState") == "loaded" and (state is None or props.get("ActiveState") in state):
                return unit
    return None


def _protected(src, facts):
    """The LIVE score of sshd's listener, not the configured OOMScoreAdjust."""
    units = src.get("units") or {}
    unit = _sshd_unit(units)
    if not unit:
        return not_applicable("no sshd unit on this host")
    live = (src.get("sshd") or {}).get("oom_score_adj")
    configured = units[unit].get("OOMScoreAdjust")
    if live is None:
        return failed("%s has no running listener whose score could be read (OOMScoreAdjust=%s configured)"
                      % (unit, configured))
    container = ((facts.get("audit") or {}) if isinstance(facts, dict) else {}).get("container")
    if live >= 0 and container:
        return not_applicable("in this container (%s) root lacks CAP_SYS_RESOURCE, which the kernel requires to lower an "
                              "OOM score: %s's listener runs at %d whatever is configured (OOMScoreAdjust=%s)"
                              % (container, unit, live, configured))
    return expect(live < 0, "%s listener (pid %s) oom_score_adj %d in effect (OOMScoreAdjust=%s configured; want < 0: "
                  "the OOM killer picks the leak, not the way in)"
                  % (unit, (src.get("sshd") or {}).get("pid"), live, configured))


_SESSION_RE = re.compile(r"^sshd(-session)?: (?!unknown )\S+ \[priv\]")


def _sessions(src):
    return [s for s in ((src.get("sshd") or {}).get("sessions") or []) if _SESSION_RE.match(s.get("cmdline") or "")]


def _sessions_not_shielded(src, facts):
    sessions = _sessions(src)
    if not sessions:
        return not_applicable("no SSH login was open while the audit ran")
    shielded = ["pid %s %d" % (s["pid"], s["oom_score_adj"]) for s in sessions
                if s.get("oom_score_adj") is not None and s["oom_score_adj"] < 0]
    return expect(not shielded, "SSH sessions shielded from the OOM killer (inherited from sshd): %s"
                  % ", ".join(shielded) if shielded else "%d SSH session(s), oom_score_adj %s"
                  % (len(sessions), ", ".join(str(s.get("oom_score_adj")) for s in sessions)))


def _sessions_in_user_slice(src, facts):
    sessions = _sessions(src)
    if not sessions:
        return not_applicable("no SSH login was open while the audit ran")
    outside = ["pid %s in %s" % (s["pid"], s.get("cgroup")) for s in sessions if "/user.slice/" not in (s.get("cgroup") or "")]
    return expect(not outside, "SSH sessions outside user.slice, beyond every user limit (is pam_systemd in the "
                  "session stack?): %s" % "; ".join(outside) if outside else "%d SSH session(s) in user.slice: %s"
                  % (len(sessions), ", ".join(s.get("cgroup") or "" for s in sessions)))


def _sysctl_value(key, want):
    def check(src, facts):
        value = (src.get("sysctl") or {}).get(key)
        if value is None:
            raise LookupError("%s could not be read" % key)
        return expect(value in want, "%s = %d (want %s)" % (key, value, " or ".join(str(w) for w in want)))
    return check


def _accounting(src, facts):
    units = src.get("units") or {}
    off = [u for u in ("system.slice", "user.slice") if (units.get(u) or {}).get("MemoryAccounting") != "yes"]
    return expect(not off, "MemoryAccounting off for %s" % ", ".join(off) if off else "memory accounting on for system.slice and user.slice")


def _ceilings(units, names):
    """{unit: bytes}: the largest finite memory ceiling of each unit (what the role's budget checks)."""
    out = {}
    for unit in names:
        values = []
        for key in ("MemoryMax", "MemoryHigh", "MemoryLimit"):
            value = ((units.get(unit) or {}).get(key) or "infinity")
            if value != "infinity":
                try:
                    values.append(int(value))
                except ValueError:
                    continue
        if values:
            out[unit] = max(values)
    return out


# memory_limits_reserve's default: the audit's reserve where systemd does not show one
DEFAULT_RESERVE = 0.10


def _host_reserve(src):
    """The reserve the role put in effect (system.slice's MemoryLow, cgroup v2), else the role's default."""
    low = ((src.get("units") or {}).get("system.slice") or {}).get("MemoryLow")
    try:
        low = int(low)
    except (TypeError, ValueError):
        low = 0
    if low > 0:
        return low, "system.slice MemoryLow"
    return int(src["mem_total"] * DEFAULT_RESERVE), "the role's default 10%"


def _reserve(src, facts):
    """The role's own budget rule (enforce/memory_budget.budget_problems) on the ceilings in effect."""
    units = src.get("units") or {}
    total = src.get("mem_total")
    if not total:
        raise LookupError("the host's memory is unknown")
    top = ["user.slice"] + (["machine.slice"] if src.get("hypervisor") else [])
    ceilings = _ceilings(units, top + ["user-1000.slice", "system.slice"])
    if not any(ceilings.get(u, total) < total for u in top):
        return failed("no slice has a ceiling below the host's %s: nothing guarantees a reserve" % _gib(total))
    reserve, where = _host_reserve(src)
    problems = budget_problems(total, reserve, ceilings, top_level=top)
    return expect(not problems, "; ".join("%s: %s" % (u or "slices", m) for u, m in problems) if problems else
                  "%s fit the host's %s with the reserve %s (%s)"
                  % (", ".join("%s %s" % (u, _gib(v)) for u, v in sorted(ceilings.items())), _gib(total),
                     _gib(reserve), where))


def _guests_fit(src, facts):
    """The sum of the guests' memory hard limits (kvm_host) against machine.slice's ceiling."""
    hypervisor = facts.get("hypervisor") if isinstance(facts, dict) else None
    if not src.get("hypervisor") or not isinstance(hypervisor, dict):
        return not_applicable("no hypervisor facts: no guests to add up")
    limits = {}
    for domain in hypervisor.get("domains") or []:
        hard = (domain.get("memtune") or {}).get("hard_limit_kib")
        if hard:
            limits[domain.get("name") or "?"] = int(hard) * 1024
    if not limits:
        return not_applicable("no guest has a memory hard limit")
    units = src.get("units") or {}
    ceilings = _ceilings(units, ["machine.slice"])
    reserve, _where = _host_reserve(src)
    problems = [p for p in budget_problems(src.get("mem_total") or 0, reserve, ceilings, guest_hard_limits=limits)
                if p[0] == "machine.slice" and "guests" in p[1]]
    return expect(not problems, problems[0][1] if problems else "%d guests' hard limits (%s) fit machine.slice's %s"
                  % (len(limits), _gib(sum(limits.values())), _gib(ceilings["machine.slice"])))


CONTROLS = load(__name__, AREA, SOURCE)
