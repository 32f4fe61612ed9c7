# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sizes import SizeError, parse_size


def to_bytes(value, total=None, allow_zero=False, name="size"):
    """Return the size as whole bytes, or fail with a message naming it."""
    try:
        return parse_size(value, total=None if total is None else int(total), allow_zero=allow_zero, name=name)
    except (SizeError, ValueError, TypeError) as exc:
        raise AnsibleFilterError("to_bytes: %s" % exc)


class FilterModule(object):
    """Memory size filters."""

    def filters(self):
        return {"to_bytes": to_bytes}
