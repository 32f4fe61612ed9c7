# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.sulogin_outcome import FilterModule

outcome = FilterModule().filters()["sulogin_outcome"]


@pytest.mark.parametrize("state, forced, expected", [
    ("locked", True, "shell"),     # the old role default on a cloud image
    ("locked", False, "closed"),
    ("usable", True, "password"),
    ("usable", False, "password"),
    ("empty", False, "shell"),
    ("unknown", False, "unknown"),
])
def test_outcome(state, forced, expected):
    assert outcome(state, forced=forced) == expected


def test_bad_input_is_an_error_not_a_guess():
    with pytest.raises(AnsibleFilterError, match="root password state"):
        outcome("$6$salt$hash")
    with pytest.raises(AnsibleFilterError, match="boolean"):
        outcome("locked", forced="yes")
