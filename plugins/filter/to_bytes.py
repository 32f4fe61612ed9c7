# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: to_bytes
short_description: Convert a memory size such as C(512M), C(1.5GiB) or C(25%) to bytes
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - Reads a size the way systemd and libvirt do. A bare number is bytes. C(K), C(M),
    C(G), C(T), C(P) and their IEC forms C(KiB) ... C(PiB) are powers of 1024; C(kB),
    C(MB), C(GB), C(TB), C(PB) are powers of 1000. Units are case-insensitive,
    decimals are allowed (C(1.5G)).
  - A percentage (C(25%)) is taken of O(total), normally the host's memory.
  - The result is whole bytes rounded down, so a limit never grows by rounding.
  - Negative sizes, zero (unless O(allow_zero)), unknown units and percentages above
    100 fail the task with a message that starts with O(name).
options:
  _input:
    description: The size, an integer number of bytes or a string such as C(512M), C(2 GB), C(10%).
    type: raw
    required: true
  total:
    description: Bytes a percentage is taken of, for example C(ansible_memtotal_mb * 1048576). Required for percentages.
    type: integer
  allow_zero:
    description: Accept a size of zero (for example "no swap").
    type: boolean
    default: false
  name:
    description: What the value is (usually the variable name), used to start error messages.
    type: string
    default: size
seealso:
  - plugin: startsecure.hardening.human_size
    plugin_type: filter
"""

EXAMPLES = r"""
- name: 1.5 GiB in bytes (1610612736)
  ansible.builtin.debug:
    msg: "{{ '1.5GiB' | startsecure.hardening.to_bytes }}"

- name: A quarter of the host's memory, failing with the variable's name on a typo
  ansible.builtin.set_fact:
    limit_bytes: >-
      {{ my_limit | startsecure.hardening.to_bytes(total=ansible_memtotal_mb * 1048576,
         name='my_limit') }}
"""

RETURN = r"""
_value:
  description: The size in whole bytes.
  type: integer
"""

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
