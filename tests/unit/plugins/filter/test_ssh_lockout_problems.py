# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter is a thin, strict wrapper around plugin_utils.enforce.ssh_lockout."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.ssh_lockout_problems import (
    FilterModule,
    ssh_lockout_problems,
)

NOKEYS = {"nokeys": {"exists": True, "uid": 1001, "groups": ["nokeys"], "keys": [],
                     "authorized_keys_files": ["/home/nokeys/.ssh/authorized_keys"]}}


def test_registered_under_its_name():
    assert FilterModule().filters()["ssh_lockout_problems"] is ssh_lockout_problems


def test_reports_the_locked_out_account():
    problems = ssh_lockout_problems(NOKEYS, ["nokeys"], {"password_authentication": False})
    assert len(problems) == 1 and "'nokeys'" in problems[0]


def test_no_problem_when_passwords_stay_on():
    assert ssh_lockout_problems(NOKEYS, ["nokeys"], {"password_authentication": True}) == []


def test_rejects_unknown_policy_keys():
    with pytest.raises(AnsibleFilterError, match="unknown policy keys: passwordauth"):
        ssh_lockout_problems(NOKEYS, ["nokeys"], {"passwordauth": False})


def test_rejects_wrong_input():
    with pytest.raises(AnsibleFilterError, match="users dict of ssh_facts"):
        ssh_lockout_problems(["nokeys"], ["nokeys"])
    with pytest.raises(AnsibleFilterError, match="accounts must be a list"):
        ssh_lockout_problems(NOKEYS, "nokeys")
