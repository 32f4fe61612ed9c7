# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.memory_budget import (
    BudgetError, plan_memory_limits)

_KEYS = ("reserve", "slices", "services", "user", "protected_services", "os_protected_services",
         "protected_oom_score_adjust", "protect_system_slice", "allow_overcommit", "oom_score_exempt", "sysctl",
         "runtime_directory_size", "guest_hard_limits")


def memory_budget(config, total, cgroup_version):
    """Return the plan, or fail listing every reason the limits do not fit."""
    if not isinstance(config, dict):
        raise AnsibleFilterError("memory_budget: expected a dictionary of settings, got %s" % type(config).__name__)
    unknown = sorted(set(config) - set(_KEYS))
    if unknown:
        raise AnsibleFilterError("memory_budget: unknown setting(s) %s" % ", ".join(unknown))
    if "reserve" not in config:
        raise AnsibleFilterError("memory_budget: 'reserve' is required")
    try:
        total = int(total)
    except (TypeError, ValueError):
        raise AnsibleFilterError("memory_budget: total must be a number of bytes, got %r" % (total,))
    try:
        return plan_memory_limits(total, cgroup_version, **config)
    except BudgetError as exc:
        raise AnsibleFilterError("memory budget refused: " + "; ".join(exc.errors))


class FilterModule(object):
    """Memory budget filter."""

    def filters(self):
        return {"memory_budget": memory_budget}
