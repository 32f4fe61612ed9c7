# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory budget: turn the memory_limits role's variables into systemd drop-ins.

``plan_memory_limits()`` is a pure function of the role's variables, the host's memory
and its cgroup version. It refuses a configuration whose limits do not fit the machine
(every error names the variable it comes from, all errors are reported together) and
otherwise returns one entry per drop-in to write, the settings that the running units
must pick up, and what cannot be applied on this cgroup version and why.

The threat it answers: one leaking workload (a guest, a user, a service) takes all the
host's memory and the host's own services (sshd, journald, the hypervisor daemons) die
with it. The host reserve is memory no limited class may take, so every limit must
leave the reserve free.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sizes import (
    SizeError, format_size, parse_size)

DROPIN_NAME = "50-startsecure-memory-limits.conf"
PROTECT_DROPIN_NAME = "50-startsecure-memory-protect.conf"
UNIT_DIR = "/etc/systemd/system"

# role key -> (systemd directive, needs cgroup v2, zero allowed, why it is v2-only)
_MEMORY_KEYS = {
    "memory_max": ("MemoryMax", False, False),
    "memory_high": ("MemoryHigh", True, False),
    "memory_swap_max": ("MemorySwapMax", True, True),
    "memory_low": ("MemoryLow", True, False),
    "memory_min": ("MemoryMin", True, False),
}
_V2_REASON = {
    "MemoryHigh": "the memory.high throttle exists only in cgroup v2; on v1 systemd ignores it",
    "MemorySwapMax": "systemd sets swap limits only through cgroup v2 memory.swap.max",
    "MemoryLow": "memory protection (memory.low) exists only in cgroup v2",
    "MemoryMin": "memory protection (memory.min) exists only in cgroup v2",
}
_SLICE_KEYS = set(_MEMORY_KEYS) | {"tasks_max"}
_SERVICE_KEYS = _SLICE_KEYS | {"allow_missing"}
_USER_KEYS = set(_SLICE_KEYS)
# system.slice holds the services that must survive: it is protected, never capped.
_SYSTEM_SLICE_FORBIDDEN = ("memory_max", "memory_high", "memory_swap_max", "tasks_max")
OOM_SCORE_RANGE = (-1000, 1000)


class BudgetError(ValueError):
    """A configuration that does not fit; ``errors`` lists every reason."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def _tasks_max(value, name):
    """TasksMax: a positive count, a percentage of the kernel's limit or 'infinity'."""
    if isinstance(value, bool):
        raise SizeError("%s: expected a number of tasks, a percentage or 'infinity', got %r" % (name, value))
    if isinstance(value, int):
        if value <= 0:
            raise SizeError("%s: must be greater than zero, got %d" % (name, value))
        return value
    if isinstance(value, str):
        text = value.strip()
        if text == "infinity":
            return text
        if text.endswith("%"):
            body = text[:-1].strip()
            try:
                pct = float(body)
            except ValueError:
                pct = -1.0
            if not 0 < pct <= 100:
                raise SizeError("%s: %r is not a percentage between 0 and 100" % (name, value))
            return "%s%%" % body
        if text.lstrip("-").isdigit():
            return _tasks_max(int(text), name)
    raise SizeError("%s: expected a number of tasks, a percentage or 'infinity', got %r" % (name, value))


def _unit_name(name, suffix):
    return name if name.endswith(suffix) else name + suffix


class _Planner:
    def __init__(self, total, cgroup_version):
        self.total = total
        self.v2 = cgroup_version == "v2"
        self.cgroup_version = cgroup_version
        self.errors = []
        self.not_applied = []

    def size(self, value, name, allow_zero=False):
        try:
            return parse_size(value, total=self.total, allow_zero=allow_zero, name=name)
        except SizeError as exc:
            self.errors.append(str(exc))
            return None

    def limits(self, entry, name, allowed, unit):
        """Check one limits dict; return (settings, runtime, bytes) for the unit."""
        if not isinstance(entry, dict):
            self.errors.append("%s: expected a dictionary of limits, got %s" % (name, type(entry).__name__))
            return None
        unknown = sorted(set(entry) - allowed)
        if unknown:
            self.errors.append("%s: unknown key(s) %s (allowed: %s)" % (name, ", ".join(unknown), ", ".join(sorted(allowed))))
        settings, runtime, sizes, skipped = {}, {}, {}, []
        for key, (directive, v2_only, allow_zero) in _MEMORY_KEYS.items():
            if key not in entry or entry[key] is None:
                continue
            var = "%s.%s" % (name, key)
            value = self.size(entry[key], var, allow_zero=allow_zero)
            if value is None:
                continue
            sizes[key] = value
            if key != "memory_swap_max" and value + self.reserve > self.total and key in ("memory_max", "memory_high"):
                self.errors.append(
                    "%s: %s plus the host reserve memory_limits_reserve (%s) is more than the host's memory (%s)"
                    % (var, format_size(value, exact=False), format_size(self.reserve, exact=False),
                       format_size(self.total, exact=False)))
            if v2_only and not self.v2:
                skipped.append("%s=%s not applied: %s (this host runs cgroup %s)" % (
                    directive, format_size(value), _V2_REASON[directive], self.cgroup_version))
                self.not_applied.append("%s: %s" % (unit, skipped[-1]))
                continue
            settings[directive] = format_size(value)
            runtime[directive] = format_size(value)
        if "memory_max" in sizes and "memory_high" in sizes and sizes["memory_high"] > sizes["memory_max"]:
            self.errors.append("%s.memory_high (%s) is above %s.memory_max (%s): the throttle would never act"
                               % (name, format_size(sizes["memory_high"], exact=False), name,
                                  format_size(sizes["memory_max"], exact=False)))
        if "memory_min" in sizes and "memory_low" in sizes and sizes["memory_min"] > sizes["memory_low"]:
            self.errors.append("%s.memory_min is above %s.memory_low" % (name, name))
        if entry.get("tasks_max") is not None:
            try:
                tasks = _tasks_max(entry["tasks_max"], "%s.tasks_max" % name)
                settings["TasksMax"] = tasks
                runtime["TasksMax"] = tasks
            except SizeError as exc:
                self.errors.append(str(exc))
        if settings:
            settings = dict([("MemoryAccounting", "yes")] + sorted(settings.items()))
        return settings, runtime, sizes, skipped


def plan_memory_limits(total, cgroup_version, reserve, slices=None, services=None, user=None,
                       protected_services=None, os_protected_services=None, protected_oom_score_adjust=-500,
                       protect_system_slice=True, allow_overcommit=False):
    """Check the budget and return the drop-ins to write.

    total: the host's physical memory in bytes.
    cgroup_version: "v2", or "v1" (also for hybrid hosts, whose memory controller is v1).
    reserve: memory_limits_reserve, memory no limited class may take.
    slices: memory_limits_slices, {slice: {memory_max, memory_high, memory_swap_max,
        memory_low, memory_min, tasks_max}}.
    services: memory_limits_services, the same keys plus allow_missing.
    user: memory_limits_per_user, limits for every login user's user-UID.slice.
    protected_services: memory_limits_protected_services, services kept alive by
        OOMScoreAdjust (and MemoryLow on cgroup v2).
    os_protected_services: the distribution's essential services, protected the same
        way when memory_limits_protect_os_services is true.
    """
    errors = []
    if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
        raise BudgetError(["the host's memory must be a positive number of bytes, got %r" % (total,)])
    if cgroup_version not in ("v1", "v2"):
        raise BudgetError(["cgroup_version must be v1 or v2, got %r" % (cgroup_version,)])
    planner = _Planner(total, cgroup_version)
    planner.reserve = planner.size(reserve, "memory_limits_reserve") or 0
    if planner.reserve and planner.reserve >= total:
        planner.errors.append("memory_limits_reserve (%s) is not smaller than the host's memory (%s)"
                              % (format_size(planner.reserve, exact=False), format_size(total, exact=False)))
    adj = protected_oom_score_adjust
    if isinstance(adj, bool) or not isinstance(adj, int) or not OOM_SCORE_RANGE[0] <= adj <= OOM_SCORE_RANGE[1]:
        planner.errors.append("memory_limits_protected_oom_score_adjust: expected a number from -1000 to 1000, got %r" % (adj,))
        adj = 0

    dropins = []
    top_level = {}
    for name, entry in sorted((slices or {}).items()):
        var = "memory_limits_slices[%r]" % name
        if not isinstance(name, str) or not name.endswith(".slice") or "/" in name:
            planner.errors.append("%s: a slice name must end in .slice" % var)
            continue
        if name == "system.slice":
            capped = sorted(k for k in _SYSTEM_SLICE_FORBIDDEN if isinstance(entry, dict) and k in entry)
            if capped:
                planner.errors.append("%s: system.slice holds the services that must survive; it is protected, "
                                      "not capped (%s): limit single services with memory_limits_services"
                                      % (var, ", ".join(capped)))
                continue
        result = planner.limits(entry, var, _SLICE_KEYS, name)
        if result is None:
            continue
        settings, runtime, sizes, skipped = result
        if "-" not in name[:-len(".slice")] and name != "system.slice":
            top_level[name] = sizes.get("memory_max", sizes.get("memory_high"))
        dropins.append(_dropin(name, "slices", settings, runtime, var, skipped))

    if protect_system_slice and planner.reserve and not (slices or {}).get("system.slice"):
        if planner.v2:
            value = format_size(planner.reserve)
            dropins.append(_dropin("system.slice", "protect", {"MemoryAccounting": "yes", "MemoryLow": value},
                                   {"MemoryLow": value}, "memory_limits_reserve", []))
        else:
            planner.not_applied.append(
                "system.slice: MemoryLow=%s (the host reserve) not applied: %s (this host runs cgroup %s); "
                "the reserve is kept by the limits on the other slices"
                % (format_size(planner.reserve), _V2_REASON["MemoryLow"], cgroup_version))

    limited = [value for value in top_level.values() if value]
    if not allow_overcommit and len(limited) > 1 and sum(limited) + planner.reserve > total:
        planner.errors.append(
            "memory_limits_slices: the top-level slices together may take %s (%s) and with the reserve "
            "memory_limits_reserve (%s) that is more than the host's memory (%s); lower them or set "
            "memory_limits_allow_overcommit: true"
            % (format_size(sum(limited), exact=False),
               ", ".join("%s %s" % (k, format_size(v, exact=False)) for k, v in sorted(top_level.items()) if v),
               format_size(planner.reserve, exact=False), format_size(total, exact=False)))

    if user:
        result = planner.limits(user, "memory_limits_per_user", _USER_KEYS, "user-.slice")
        if result is not None:
            settings, runtime, _sizes, skipped = result
            dropins.append(_dropin("user-.slice", "users", settings, runtime, "memory_limits_per_user", skipped))

    must_exist = []
    for name, entry in sorted((services or {}).items()):
        var = "memory_limits_services[%r]" % name
        if not isinstance(name, str) or not name or "/" in name:
            planner.errors.append("%s: not a service name" % var)
            continue
        unit = _unit_name(name, ".service")
        result = planner.limits(entry, var, _SERVICE_KEYS, unit)
        if result is None:
            continue
        settings, runtime, _sizes, skipped = result
        allow_missing = entry.get("allow_missing", False)
        if not isinstance(allow_missing, bool):
            planner.errors.append("%s.allow_missing: expected true or false, got %r" % (var, allow_missing))
        elif not allow_missing:
            must_exist.append({"unit": unit, "variable": var})
        dropins.append(_dropin(unit, "services", settings, runtime, var, skipped))

    protected = []
    candidates = [(name, "memory_limits_protect_os_services") for name in os_protected_services or []]
    candidates += [(name, "memory_limits_protected_services[%d]" % index)
                   for index, name in enumerate(protected_services or [])]
    for name, source in candidates:
        if not isinstance(name, str) or not name or "/" in name:
            planner.errors.append("%s: not a service name: %r" % (source, name))
            continue
        unit = _unit_name(name, ".service")
        if unit in protected:
            continue
        protected.append(unit)
        settings, runtime, skipped = {"OOMScoreAdjust": adj}, {}, []
        if planner.reserve:
            if planner.v2:
                # on v2 the protected services share the reserve as memory.low
                settings["MemoryLow"] = runtime["MemoryLow"] = format_size(planner.reserve)
            else:
                skipped.append("MemoryLow=%s not applied: %s (this host runs cgroup %s)"
                               % (format_size(planner.reserve), _V2_REASON["MemoryLow"], cgroup_version))
        dropins.append(_dropin(unit, "protect", settings, runtime, source, skipped))

    errors.extend(planner.errors)
    if errors:
        raise BudgetError(errors)
    return {
        "total": total,
        "total_human": format_size(total, exact=False),
        "reserve": planner.reserve,
        "reserve_human": format_size(planner.reserve, exact=False) if planner.reserve else "0",
        "cgroup_version": cgroup_version,
        "dropins": dropins,
        "must_exist": must_exist,
        "protected_services": protected,
        "not_applied": planner.not_applied,
    }


def _dropin(unit, area, settings, runtime, variable, not_applied):
    kind = "slice" if unit.endswith(".slice") else "service"
    name = PROTECT_DROPIN_NAME if area == "protect" else DROPIN_NAME
    return {
        "unit": unit,
        "area": area,
        "kind": kind,
        "section": "Slice" if kind == "slice" else "Service",
        "directory": "%s/%s.d" % (UNIT_DIR, unit),
        "path": "%s/%s.d/%s" % (UNIT_DIR, unit, name),
        "settings": settings,
        "runtime": runtime,
        "variable": variable,
        "not_applied": not_applied,
    }
