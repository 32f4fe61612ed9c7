# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.sudo_root_access import FilterModule

access = FilterModule().filters()["sudo_root_access"]

HEAD = ("Matching Defaults entries for carol on host:\n    env_reset, mail_badpass,\n    secure_path=/usr/sbin\\:/usr/bin,"
        " use_pty\n\nUser carol may run the following commands on host:\n")


def test_early_nopasswd_overridden_by_a_later_group_rule():
    # 10-carol NOPASSWD first, then the old role's %sudo ALL=(ALL:ALL) ALL: the last one wins.
    text = HEAD + "    (ALL) NOPASSWD: ALL\n    (ALL : ALL) ALL\n"
    assert access(text) == {"allowed": True, "nopasswd": False, "rules": ["(ALL) NOPASSWD: ALL", "(ALL : ALL) ALL"]}


def test_nopasswd_last_keeps_become_working():
    assert access(HEAD + "    (ALL : ALL) ALL\n    (ALL) NOPASSWD: ALL\n")["nopasswd"] is True


def test_tags_and_runas():
    expected = {"allowed": True, "nopasswd": True, "rules": ["(root) SETENV: NOPASSWD: ALL"]}
    assert access(HEAD + "    (root) SETENV: NOPASSWD: ALL\n") == expected
    # Commands other than ALL, or another runas user, do not make root.
    assert access(HEAD + "    (root) NOPASSWD: /usr/bin/apt, /usr/bin/systemctl\n")["allowed"] is False
    assert access(HEAD + "    (postgres) NOPASSWD: ALL\n")["allowed"] is False


def test_not_allowed_at_all():
    assert access("User bob is not allowed to run sudo on host.\n") == {"allowed": False, "nopasswd": False, "rules": []}


def test_wrong_input():
    with pytest.raises(AnsibleFilterError, match="sudo -l"):
        access(None)
