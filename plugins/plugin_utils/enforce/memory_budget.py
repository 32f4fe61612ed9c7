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

``budget_problems()`` is that rule on its own, shared by the role (through the
memory_budget filter) and the audit (controls/memory.py, MEM-006 and MEM-010), so the
two can never judge the same limits differently.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sizes import (
    SizeError, format_size, parse_size)

DROPIN_NAME = "50-startsecure-memory-limits.conf"
PROTECT_DROPIN_NAME = "50-startsecure-memory-protect.conf"
UNIT_DIR = "/etc/systemd/system"
SYSCTL_PATH = "/etc/sysctl.d/50-startsecure-memory.conf"
LOGIND_PATH = "/etc/systemd/logind.conf.d/50-startsecure-memory.conf"
# vm.* settings this role may write, and the values each accepts
SYSCTL_CHOICES = {
    # 0 heuristic (the kernel default), 1 always, 2 strict accounting (QEMU and many
    # runtimes reserve far more than they use: strict accounting refuses guests)
    "vm.overcommit_memory": (0, 1, 2),
    # the percentage of RAM strict accounting (overcommit_memory 2) may commit
    "vm.overcommit_ratio": tuple(range(0, 101)),
    # 0: the OOM killer kills the leak; 1/2: the kernel panics and takes every guest with it
    "vm.panic_on_oom": (0, 1, 2),
}

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
OOM_SCORE_RANGE = (-1000, 1000)
_SWAP_DEFAULT_NOTE = ("MemorySwapMax=0: a capped leak is killed at its limit instead of moving to swap "
                      "(set memory_swap_max to allow swap)")


def budget_problems(total, reserve, ceilings, top_level=None, allow_overcommit=False,
                    guest_hard_limits=None, machine_slice="machine.slice"):
    """The one budget rule of the role and the audit; returns [(unit, message)].

    total: the host's memory in bytes; reserve: the host reserve in bytes.
    ceilings: {unit: bytes} of every capped unit (MemoryMax/MemoryHigh).
    top_level: the units (slices directly under -.slice) whose ceilings must fit
        together with the reserve; system.slice is not one of them: it holds the
        reserve (MemoryLow) and the host's own services, its ceiling only stops a
        leak among them, so it must be larger than the reserve.
    guest_hard_limits: {guest: bytes}, the per-guest hard limits (kvm_host); their sum
        must fit in machine.slice's ceiling, or the kernel kills a guest at the slice's
        limit although each stayed within its own.
    """
    problems = []

    def human(num):
        return format_size(num, exact=False)
    for unit, value in sorted(ceilings.items()):
        if value is None:
            continue
        if unit == "system.slice":
            if value <= reserve:
                problems.append((unit, "%s is not larger than the host reserve memory_limits_reserve (%s) that "
                                       "system.slice must hold for the host's own services"
                                 % (human(value), human(reserve))))
            elif value > total:
                problems.append((unit, "%s is more than the host's memory (%s)" % (human(value), human(total))))
        elif value + reserve > total:
            problems.append((unit, "%s plus the host reserve memory_limits_reserve (%s) is more than the host's "
                                   "memory (%s)" % (human(value), human(reserve), human(total))))
    limited = dict((u, ceilings.get(u)) for u in (top_level or []) if ceilings.get(u) and u != "system.slice")
    if not allow_overcommit and len(limited) > 1 and sum(limited.values()) + reserve > total:
        problems.append((None, "the top-level slices together may take %s (%s) and with the reserve "
                               "memory_limits_reserve (%s) that is more than the host's memory (%s); lower them "
                               "or set memory_limits_allow_overcommit: true"
                         % (human(sum(limited.values())),
                            ", ".join("%s %s" % (k, human(v)) for k, v in sorted(limited.items())),
                            human(reserve), human(total))))
    if guest_hard_limits:
        guests = sum(guest_hard_limits.values())
        machine = ceilings.get(machine_slice)
        if machine is None:
            problems.append((machine_slice, "the guests' hard limits add up to %s but %s has no ceiling"
                             % (human(guests), machine_slice)))
        elif guests > machine:
            problems.append((machine_slice, "the guests' hard limits add up to %s (%d guests), more than %s's "
                                            "ceiling %s: the kernel would kill a guest at the slice's limit "
                                            "although each stays within its own"
                             % (human(guests), len(guest_hard_limits), machine_slice, human(machine))))
    return problems


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
        self.ceilings = []

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
            if key in ("memory_max", "memory_high"):
                self.ceilings.append((unit, var, value))
            if v2_only and not self.v2:
                skipped.append("%s=%s not applied: %s (this host runs cgroup %s)" % (
                    directive, format_size(value), _V2_REASON[directive], self.cgroup_version))
                self.not_applied.append("%s: %s" % (unit, skipped[-1]))
                continue
            settings[directive] = format_size(value)
            runtime[directive] = format_size(value)
        if self.v2 and "memory_max" in sizes and "memory_swap_max" not in entry:
            # every capped unit gets a swap limit on v2: a leak must not fill swap first
            settings["MemorySwapMax"] = runtime["MemorySwapMax"] = "0"
            skipped.append(_SWAP_DEFAULT_NOTE)
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
                       protect_system_slice=True, allow_overcommit=False, oom_score_exempt=None,
                       sysctl=None, runtime_directory_size=None, guest_hard_limits=None):
    """Check the budget and return the drop-ins to write.

    total: the host's physical memory in bytes.
    cgroup_version: "v2", or "v1" (also for hybrid hosts, whose memory controller is v1).
    reserve: memory_limits_reserve, memory no limited class may take.
    slices: memory_limits_slices, {slice: {memory_max, memory_high, memory_swap_max,
        memory_low, memory_min, tasks_max}}; system.slice may be capped too (its ceiling
        must be larger than the reserve it holds).
    services: memory_limits_services, the same keys plus allow_missing.
    user: memory_limits_per_user, limits for every login user's user-UID.slice.
    protected_services: memory_limits_protected_services, services kept alive by
        OOMScoreAdjust (and MemoryLow on cgroup v2).
    os_protected_services: the distribution's essential services, protected the same
        way when memory_limits_protect_os_services is true.
    oom_score_exempt: protected services that set their own OOM score and must not get
        OOMScoreAdjust (sshd: it sets its listener to -1000 itself and gives every
        session the score it was started with, so OOMScoreAdjust would shield sessions).
    sysctl: memory_limits_sysctl, {vm.overcommit_memory, vm.overcommit_ratio, vm.panic_on_oom}.
    runtime_directory_size: memory_limits_runtime_directory_size, logind's tmpfs size of
        each user's /run/user/UID (a size or a percentage), or None to leave it.
    guest_hard_limits: memory_limits_guest_hard_limits, {guest: size}; their sum must fit
        machine.slice's ceiling.
    """
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
    top_level = []
    system_entry = (slices or {}).get("system.slice")
    for name, entry in sorted((slices or {}).items()):
        var = "memory_limits_slices[%r]" % name
        if not isinstance(name, str) or not name.endswith(".slice") or "/" in name:
            planner.errors.append("%s: a slice name must end in .slice" % var)
            continue
        result = planner.limits(entry, var, _SLICE_KEYS, name)
        if result is None:
            continue
        settings, runtime, sizes, skipped = result
        if "-" not in name[:-len(".slice")]:
            top_level.append(name)
        dropins.append(_dropin(name, "slices", settings, runtime, var, skipped))

    system_protected = isinstance(system_entry, dict) and any(k in system_entry for k in ("memory_low", "memory_min"))
    if protect_system_slice and planner.reserve and not system_protected:
        if planner.v2:
            value = format_size(planner.reserve)
            dropins.append(_dropin("system.slice", "protect", {"MemoryAccounting": "yes", "MemoryLow": value},
                                   {"MemoryLow": value}, "memory_limits_reserve", []))
        else:
            planner.not_applied.append(
                "system.slice: MemoryLow=%s (the host reserve) not applied: %s (this host runs cgroup %s); "
                "the reserve is kept by the limits on the other slices"
                % (format_size(planner.reserve), _V2_REASON["MemoryLow"], cgroup_version))

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

    exempt = set(_unit_name(n, ".service") for n in (oom_score_exempt or []) if isinstance(n, str) and n)
    protected, oom_scored = [], []
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
        settings, runtime, skipped = {}, {}, []
        if unit in exempt:
            skipped.append("No OOMScoreAdjust: %s sets its own listener to -1000 and gives each session the score it "
                           "was started with; an OOMScoreAdjust here would shield every login's processes" % unit)
        else:
            settings["OOMScoreAdjust"] = adj
            oom_scored.append(unit)
        if planner.reserve:
            if planner.v2:
                # on v2 the protected services share the reserve as memory.low
                settings["MemoryLow"] = runtime["MemoryLow"] = format_size(planner.reserve)
            else:
                skipped.append("MemoryLow=%s not applied: %s (this host runs cgroup %s)"
                               % (format_size(planner.reserve), _V2_REASON["MemoryLow"], cgroup_version))
        # written even when empty: it replaces an older drop-in that gave sshd an OOMScoreAdjust
        dropins.append(_dropin(unit, "protect", settings, runtime, source, skipped))

    sysctl_settings = _sysctl(planner, sysctl)
    if sysctl_settings:
        dropins.append(_file_entry("sysctl", "kernel", SYSCTL_PATH, sysctl_settings, "memory_limits_sysctl"))
    if runtime_directory_size not in (None, ""):
        size = planner.size(runtime_directory_size, "memory_limits_runtime_directory_size")
        if size is not None:
            dropins.append(_file_entry("logind", "sessions", LOGIND_PATH,
                                       {"RuntimeDirectorySize": format_size(size)},
                                       "memory_limits_runtime_directory_size"))

    guests = {}
    for name, value in sorted((guest_hard_limits or {}).items()):
        size = planner.size(value, "memory_limits_guest_hard_limits[%r]" % (name,))
        if size is not None:
            guests[name] = size

    ceilings, variables = {}, {}
    for unit, var, value in planner.ceilings:
        # the largest ceiling of a unit is the one that must fit (MemoryMax, where the kernel kills)
        if unit not in ceilings or value > ceilings[unit]:
            ceilings[unit] = value
            variables[unit] = var
    variables["machine.slice"] = variables.get("machine.slice", "memory_limits_guest_hard_limits")
    for unit, message in budget_problems(total, planner.reserve, ceilings, top_level=top_level,
                                         allow_overcommit=allow_overcommit, guest_hard_limits=guests):
        planner.errors.append("%s: %s" % (variables[unit] if unit else "memory_limits_slices", message))

    if planner.errors:
        raise BudgetError(planner.errors)
    return {
        "total": total,
        "total_human": format_size(total, exact=False),
        "reserve": planner.reserve,
        "reserve_human": format_size(planner.reserve, exact=False) if planner.reserve else "0",
        "cgroup_version": cgroup_version,
        "dropins": dropins,
        "must_exist": must_exist,
        "protected_services": protected,
        "oom_score_services": oom_scored,
        "not_applied": planner.not_applied,
    }


def _sysctl(planner, sysctl):
    if not sysctl:
        return {}
    if not isinstance(sysctl, dict):
        planner.errors.append("memory_limits_sysctl: expected a dictionary of vm.* settings, got %s"
                              % type(sysctl).__name__)
        return {}
    settings = {}
    for key, value in sorted(sysctl.items()):
        var = "memory_limits_sysctl[%r]" % (key,)
        if key not in SYSCTL_CHOICES:
            planner.errors.append("%s: not a setting this role manages (allowed: %s)"
                                  % (var, ", ".join(sorted(SYSCTL_CHOICES))))
            continue
        number = value
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if isinstance(number, bool) or not isinstance(number, int) or number not in SYSCTL_CHOICES[key]:
            choices = SYSCTL_CHOICES[key]
            planner.errors.append("%s: %r is not one of %s" % (
                var, value, "0 to 100" if len(choices) > 10 else ", ".join(str(c) for c in choices)))
            continue
        settings[key] = number
    return settings


def _file_entry(kind, area, path, settings, variable):
    return {
        "unit": path,
        "area": area,
        "kind": kind,
        "section": "Login" if kind == "logind" else None,
        "directory": path.rsplit("/", 1)[0],
        "path": path,
        "settings": settings,
        "runtime": {},
        "variable": variable,
        "not_applied": [],
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
