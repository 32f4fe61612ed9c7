# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.needrestart import (
    NeedrestartParseError,
    parse_needrestart,
)


def needrestart(output):
    """Parse needrestart output; see DOCUMENTATION."""
    try:
        return parse_needrestart(output)
    except NeedrestartParseError as exc:
        raise AnsibleFilterError("needrestart filter: %s" % exc)


class FilterModule(object):
    """needrestart output parser."""

    def filters(self):
        return {"needrestart": needrestart}
