# -*- coding: utf-8 -*-
# Copyright: startsecure engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ssh_lockout_problems
short_description: Reasons why a planned sshd policy would lock accounts out
version_added: 0.1.0
description:
  - Takes the C(users) facts of the M(startsecure.hardening.ssh_facts) module and
    returns, for the accounts that must keep access, every reason why they could not
    log in under the planned policy (no accepted authorized key while password login
    is off, not admitted by AllowUsers/AllowGroups, denied, root with
    PermitRootLogin no).
  - An empty list means no listed account is locked out.
author:
  - startsecure engineers (!UNKNOWN)
options:
  _input:
    description: The C(users) dictionary returned by M(startsecure.hardening.ssh_facts).
    type: dict
    required: true
  accounts:
    description: Accounts that must still be able to log in.
    type: list
    elements: str
    required: true
  policy:
    description:
      - The planned settings. Keys are C(password_authentication),
        C(kbd_interactive_authentication), C(pubkey_authentication) (bools),
        C(pubkey_accepted_algorithms) (list, empty means any), C(rsa_min_bits) (int),
        C(permit_root_login) (str), C(allow_users), C(allow_groups), C(deny_users),
        C(deny_groups) (lists). Missing keys take safe defaults (password login off).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Stop before a change that would lock out the admins
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' | ') }}"
  vars:
    problems: >-
      {{ ssh_state.users | startsecure.hardening.ssh_lockout_problems(['admin'],
         {'password_authentication': false, 'rsa_min_bits': 3072}) }}
"""

RETURN = r"""
_value:
  description: One sentence per problem, naming the account and the variable to set.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.ssh_lockout import (
    POLICY_DEFAULTS,
    lockout_problems,
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


class FilterModule(object):
    def filters(self):
        return {"ssh_lockout_problems": ssh_lockout_problems}
