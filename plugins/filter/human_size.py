# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sizes import SizeError, format_size, parse_size


def human_size(value, exact=True, precision=1):
    """Return bytes written with a binary unit."""
    try:
        if isinstance(value, str):
            value = parse_size(value, allow_zero=True, name="human_size input")
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 6:
            raise SizeError("precision must be a whole number from 0 to 6, got %r" % (precision,))
        return format_size(value, exact=exact, precision=precision)
    except SizeError as exc:
        raise AnsibleFilterError("human_size: %s" % exc)


class FilterModule(object):
    """Memory size filters."""

    def filters(self):
        return {"human_size": human_size}
