# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: human_size
short_description: Write a number of bytes as a size such as C(1.5G) or C(1536M)
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - The inverse of P(startsecure.hardening.to_bytes#filter). Units are powers of 1024
    (C(K), C(M), C(G), C(T), C(P)), the form systemd and libvirt read.
  - By default the result is exact, the largest unit that holds the value as a whole
    number (C(1536M) for 1.5 GiB), which systemd and libvirt read back to exactly the
    same bytes, so it is safe to write into a configuration file.
  - With O(exact=false) it is rounded for people (C(1.5G), O(precision) decimals).
  - A string input is read as a size first, so C('2048M' | human_size) gives C(2G).
options:
  _input:
    description: Bytes (an integer) or a size string accepted by P(startsecure.hardening.to_bytes#filter).
    type: raw
    required: true
  exact:
    description: Return a lossless form (C(1536M)); V(false) gives a rounded one (C(1.5G)).
    type: boolean
    default: true
  precision:
    description: Decimals of the rounded form (O(exact=false)), 0 to 6.
    type: integer
    default: 1
seealso:
  - plugin: startsecure.hardening.to_bytes
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write a limit systemd reads back exactly (1536M)
  ansible.builtin.debug:
    msg: "MemoryMax={{ 1610612736 | startsecure.hardening.human_size }}"

- name: Show a limit to people (1.5G)
  ansible.builtin.debug:
    msg: "{{ 1610612736 | startsecure.hardening.human_size(exact=false) }}"
"""

RETURN = r"""
_value:
  description: The size with a unit, for example C(1536M) (or C(1.5G) with O(exact=false)), or bare bytes where no unit fits.
  type: string
"""

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
