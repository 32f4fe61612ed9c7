# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The needrestart filter: the parser exposed to templates, with a filter error on bad input."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.needrestart import FilterModule


def test_filter_is_registered_and_parses():
    parse = FilterModule().filters()["needrestart"]
    out = parse("NEEDRESTART-VER: 3.6\nNEEDRESTART-SVC: cron.service\nNEEDRESTART-KSTA: 2\n")
    assert out["services"] == ["cron.service"]
    assert out["kernel"]["status_name"] == "abi_upgrade"
    assert out["reboot_needed"] is True


def test_filter_error_names_the_filter():
    with pytest.raises(AnsibleFilterError, match="needrestart filter: .*must be a string"):
        FilterModule().filters()["needrestart"](42)
