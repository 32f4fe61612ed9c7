# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.ssh_lockout import (
    CONTEXT_DEFAULTS,
    POLICY_DEFAULTS,
    lockout_problems,
    lockout_report,
)


def ssh_lockout_problems(users, accounts, policy=None):
    if not isinstance(users, dict):
        raise AnsibleFilterError("ssh_lockout_problems: input must be the users dict of ssh_facts, got %s"
                                 % type(users).__name__)
    if not is_sequence(accounts):
        raise AnsibleFilterError("ssh_lockout_problems: accounts must be a list of account names")
    policy = dict(policy or {})
    unknown = sorted(set(policy) - set(POLICY_DEFAULTS))
    if unknown:
        raise AnsibleFilterError("ssh_lockout_problems: unknown policy keys: %s" % ", ".join(unknown))
    return lockout_problems(users, [str(a) for a in accounts], policy)


def ssh_lockout_report(users, accounts, policy=None, context=None):
    if not isinstance(users, dict):
        raise AnsibleFilterError("ssh_lockout_report: input must be the users dict of ssh_facts, got %s"
                                 % type(users).__name__)
    if not is_sequence(accounts):
        raise AnsibleFilterError("ssh_lockout_report: accounts must be a list of account names")
    policy = dict(policy or {})
    context = dict(context or {})
    for name, given, known in (("policy", policy, POLICY_DEFAULTS), ("context", context, CONTEXT_DEFAULTS)):
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise AnsibleFilterError("ssh_lockout_report: unknown %s keys: %s" % (name, ", ".join(unknown)))
    return lockout_report(users, [str(a) for a in accounts], policy, context)


class FilterModule(object):
    def filters(self):
        return {"ssh_lockout_problems": ssh_lockout_problems, "ssh_lockout_report": ssh_lockout_report}
