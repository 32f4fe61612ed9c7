# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: memory_budget
short_description: Check memory limits against the host's memory and plan their systemd drop-ins
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - The budget check of the C(startsecure.hardening.memory_limits) role, a pure function
    of the role's variables, the host's memory and its cgroup version.
  - It refuses a configuration whose limits do not fit, before anything changes, and
    names the variable in every message. Refused are a host reserve that is not smaller
    than the memory; any slice, user or service limit that together with the reserve is
    more than the memory (for example C(machine.slice) plus the reserve); top-level slices
    whose limits together with the reserve exceed the memory (unless O(_input.allow_overcommit));
    unknown units, negative and zero sizes; C(memory_high) above C(memory_max);
    caps on C(system.slice), which is protected, never capped; unknown keys.
  - On cgroup v1 (also hybrid hosts) C(MemoryHigh), C(MemorySwapMax), C(MemoryLow) and
    C(MemoryMin) have no effect in systemd; they are left out of the drop-ins and listed
    in RV(_value.not_applied) with the reason. C(MemoryMax) becomes C(memory.limit_in_bytes)
    there and C(TasksMax) the pids controller's C(pids.max).
options:
  _input:
    description: The role's settings.
    type: dict
    required: true
    suboptions:
      reserve:
        description: C(memory_limits_reserve), memory no limited class may take (size or percentage).
        type: raw
        required: true
      slices:
        description: C(memory_limits_slices), slice name to limits.
        type: dict
      services:
        description: C(memory_limits_services), service name to limits (and C(allow_missing)).
        type: dict
      user:
        description: C(memory_limits_per_user), limits for every login user's C(user-UID.slice).
        type: dict
      protected_services:
        description: C(memory_limits_protected_services).
        type: list
        elements: string
      os_protected_services:
        description: The distribution's essential services (protected when C(memory_limits_protect_os_services)).
        type: list
        elements: string
      protected_oom_score_adjust:
        description: C(memory_limits_protected_oom_score_adjust).
        type: integer
        default: -500
      protect_system_slice:
        description: Give C(system.slice) the reserve as C(MemoryLow) (cgroup v2).
        type: boolean
        default: true
      allow_overcommit:
        description: C(memory_limits_allow_overcommit).
        type: boolean
        default: false
  total:
    description: The host's memory in bytes.
    type: integer
    required: true
  cgroup_version:
    description: C(v2) for the unified hierarchy; C(v1) for legacy and hybrid hosts.
    type: string
    choices: [v1, v2]
    required: true
seealso:
  - plugin: startsecure.hardening.to_bytes
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Refuse limits that do not fit before anything changes
  ansible.builtin.set_fact:
    memory_plan: >-
      {{ {'reserve': '1G',
          'slices': {'machine.slice': {'memory_max': '70%'}, 'user.slice': {'memory_max': '4G', 'tasks_max': 4096}},
          'user': {'memory_max': '1G', 'tasks_max': 512}}
         | startsecure.hardening.memory_budget(total=ansible_memtotal_mb * 1048576, cgroup_version='v2') }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    total:
      description: The host's memory in bytes.
      type: integer
    reserve:
      description: The reserve in bytes.
      type: integer
    dropins:
      description:
        - One entry per drop-in, with C(unit), C(area) (C(slices), C(users), C(services) or
          C(protect)), C(kind) (C(slice) or C(service)), C(section), C(directory), C(path),
          C(settings) (directive to value, what the file says), C(runtime) (what
          C(systemctl set-property --runtime) gives the running unit), C(variable) (where the
          values came from) and C(not_applied) (what was left out on this cgroup version, and why).
      type: list
      elements: dict
    must_exist:
      description: Services that must be loaded on the host (those without C(allow_missing)), with the variable that names them.
      type: list
      elements: dict
    protected_services:
      description: The protected service units.
      type: list
      elements: string
    not_applied:
      description: Settings this host's cgroup version cannot apply, each with the reason.
      type: list
      elements: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.memory_budget import (
    BudgetError, plan_memory_limits)

_KEYS = ("reserve", "slices", "services", "user", "protected_services", "os_protected_services",
         "protected_oom_score_adjust", "protect_system_slice", "allow_overcommit")


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
