# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: domain_summary
short_description: Summarize a libvirt domain XML (memory, memtune, consoles, labels, devices)
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - Reads a domain XML (C(virsh dumpxml), C(/etc/libvirt/qemu/NAME.xml) or libvirt's status file
    C(/run/libvirt/qemu/NAME.xml)) into the same per-domain summary that
    P(startsecure.hardening.hypervisor_facts#module) returns - without the live parts (cgroup, RSS, taint).
  - A console password is never returned, only whether one is set.
options:
  _input:
    description: The domain XML text.
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Read a domain's definition
  ansible.builtin.command: virsh dumpxml web1
  register: web1_xml
  changed_when: false

- name: Consoles that listen beyond the loopback
  ansible.builtin.debug:
    msg: "{{ (web1_xml.stdout | startsecure.hardening.domain_summary).graphics | map(attribute='listen') | flatten }}"
"""

RETURN = r"""
_value:
  description:
    - name, uuid, type, state, memory_kib, current_memory_kib, memtune (hard_limit_kib, soft_limit_kib,
      swap_hard_limit_kib), nosharepages, seclabels, graphics (type, listen, socket, passwd_set),
      chardevs, interfaces (filterref, trust_guest_rx_filters), hostdevs, disks (shareable,
      error_policy), cpu (mode, features), qemu_commandline.
  type: dictionary
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_domain


def domain_summary(text):
    if not isinstance(text, str):
        raise AnsibleFilterError("domain_summary: expected a domain XML text, got %s" % type(text).__name__)
    try:
        return libvirt_domain.parse_domain_xml(text)
    except libvirt_domain.DomainXMLError as exc:
        raise AnsibleFilterError("domain_summary: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"domain_summary": domain_summary}
