# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: libvirt_conf
short_description: Parse a libvirt configuration text (qemu.conf, libvirtd.conf...) into a dict
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - Reads a text in libvirt's configuration syntax with libvirt's own grammar - integers,
    strings in either quote kind (no escapes, as in libvirt), triple-quoted strings, lists
    spanning lines - and returns the keys it sets. When a key appears twice, the first wins,
    as in libvirt.
  - With O(defaults), libvirt's documented defaults for the keys the KVM controls judge are
    merged under the values (the effective configuration), for the file named by O(defaults).
  - A malformed text is an error naming the line and the reason.
options:
  _input:
    description: The configuration text (for example from C(ansible.builtin.slurp) and C(b64decode)).
    type: string
    required: true
  defaults:
    description: Merge libvirt's defaults for this file under the values.
    type: string
    choices: [qemu.conf, libvirtd.conf, virtqemud.conf, virtproxyd.conf]
"""

EXAMPLES = r"""
- name: Read qemu.conf
  ansible.builtin.slurp:
    src: /etc/libvirt/qemu.conf
  register: qemu_conf

- name: Show the effective console address
  ansible.builtin.debug:
    msg: "{{ (qemu_conf.content | b64decode | startsecure.hardening.libvirt_conf(defaults='qemu.conf')).vnc_listen }}"
"""

RETURN = r"""
_value:
  description: Key to value (integers, strings, lists), with the defaults when O(defaults) is given.
  type: dictionary
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf as lc


def libvirt_conf(text, defaults=None):
    if not isinstance(text, str):
        raise AnsibleFilterError("libvirt_conf: expected the text of a libvirt configuration file, got %s"
                                 % type(text).__name__)
    if defaults is not None and defaults not in lc.DEFAULTS:
        raise AnsibleFilterError("libvirt_conf: defaults must be one of %s, got %r" % (", ".join(sorted(lc.DEFAULTS)), defaults))
    try:
        values = lc.parse(text)
    except lc.ConfError as exc:
        raise AnsibleFilterError("libvirt_conf: %s" % exc)
    return lc.effective(values, defaults) if defaults else values


class FilterModule(object):
    def filters(self):
        return {"libvirt_conf": libvirt_conf}
