# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grub_pbkdf2 filter: GRUB's format, explicit salt, keeping an existing hash, errors."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.grub_pbkdf2 import FilterModule, grub_pbkdf2

# Printed by Debian 12's grub-mkpasswd-pbkdf2 -c 10000 -l 64 -s 64 for this password.
PASSWORD = "correct horse battery staple"
GRUB_LINE = (
    "grub.pbkdf2.sha512.10000."
    "FA2EB0A3A698A285165232EF09F5F7AF7A4F027D9A32B354ABF6440662D23BC2"
    "C6D4D9C37C181BDB76359FF4EC642433DF73E390C137EC555B9D3B47EB97ACE1."
    "2C773533712EC9E574A492DC99F4664F5F9468C106018AFF46D0F9C98AC008BC"
    "1746FAA23F1B17D443A7498C25B45F3360BD467D1BBED5BBD30203FE9AA651D5"
)
GRUB_SALT = GRUB_LINE.split(".")[4]
OTHER_SALT = "11" * 64


def test_registered_under_its_name():
    assert FilterModule().filters()["grub_pbkdf2"] is grub_pbkdf2


def test_same_string_as_grub_mkpasswd_pbkdf2_for_same_salt():
    assert grub_pbkdf2(PASSWORD, salt=GRUB_SALT.lower(), iterations=10000) == GRUB_LINE


def test_keeps_existing_hash_when_password_still_matches():
    assert grub_pbkdf2(PASSWORD, salt=OTHER_SALT, iterations=10000, existing=GRUB_LINE + "\n") == GRUB_LINE


def test_new_hash_with_new_salt_when_password_changed():
    result = grub_pbkdf2("another password", salt=OTHER_SALT, iterations=10000, existing=GRUB_LINE)
    assert result != GRUB_LINE
    assert result.split(".")[4] == OTHER_SALT


def test_new_hash_when_work_factor_raised():
    result = grub_pbkdf2(PASSWORD, salt=OTHER_SALT, iterations=20000, existing=GRUB_LINE)
    assert result.startswith("grub.pbkdf2.sha512.20000." + OTHER_SALT + ".")


def test_malformed_existing_is_ignored():
    result = grub_pbkdf2(PASSWORD, salt=GRUB_SALT, iterations=10000, existing="not a hash")
    assert result == GRUB_LINE


@pytest.mark.parametrize(
    "args,kwargs,message",
    [
        ((PASSWORD,), {}, "a salt is required"),
        ((PASSWORD,), {"salt": ""}, "a salt is required"),
        (("",), {"salt": OTHER_SALT}, "must not be empty"),
        ((PASSWORD,), {"salt": "zz" * 16}, "hexadecimal"),
        ((PASSWORD,), {"salt": OTHER_SALT, "iterations": 10}, "at least 1000"),
    ],
)
def test_errors_are_filter_errors(args, kwargs, message):
    with pytest.raises(AnsibleFilterError, match="grub_pbkdf2: .*" + message):
        grub_pbkdf2(*args, **kwargs)
