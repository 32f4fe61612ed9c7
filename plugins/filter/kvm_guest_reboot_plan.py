# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kvm_guest_reboot_plan
short_description: Plan what happens to a KVM host's guests before and after the host reboots
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - Takes the domain lists of one KVM host (C(virsh list --name) with C(--all), C(--state-running),
    C(--autostart), C(--transient)) and decides, by policy, what happens to each running guest
    before the host reboots, and what must run again afterwards.
  - With O(peer), every running guest is live-migrated there (C(virsh migrate --live --persistent
    --undefinesource)) and is not expected back on this host.
  - Without it, every running guest is shut down through ACPI and must run again after the reboot;
    the ones marked for autostart are started by libvirt itself, the others by the play.
  - A running transient guest (no persistent definition) cannot be shut down and started again:
    without a peer it is refused, so the play stops before anything is touched.
  - The patching role's on-demand reboot of a KVM host uses it (C(patching_migration_peer)).
options:
  _input:
    description: The domain names per list.
    type: dict
    required: true
    suboptions:
      all:
        description: Every domain (C(virsh list --all --name)).
        type: list
        elements: str
      running:
        description: The running ones (C(virsh list --state-running --name)).
        type: list
        elements: str
      autostart:
        description: The ones marked for autostart (C(virsh list --all --autostart --name)).
        type: list
        elements: str
      transient:
        description: The ones without a persistent definition (C(virsh list --all --transient --name)).
        type: list
        elements: str
  peer:
    description:
      - The libvirt peer to migrate to - a host name (then C(qemu+ssh://PEER/system)) or a libvirt URI.
      - Empty means shut down and start again.
    type: string
    default: ""
"""

EXAMPLES = r"""
- name: Plan the guests of this KVM host before its reboot
  ansible.builtin.set_fact:
    guest_plan: >-
      {{ {'all': all.stdout_lines, 'running': running.stdout_lines, 'autostart': autostart.stdout_lines,
          'transient': transient.stdout_lines} | startsecure.hardening.kvm_guest_reboot_plan(peer='kvm2.example') }}
"""

RETURN = r"""
_value:
  description:
    - C(migrate) (names, to C(peer_uri)), C(shutdown) (names, through ACPI), C(start_after) (names the play
      starts after the reboot), C(autostart_after) (names libvirt starts itself), C(expect_running) (every
      name that must run again), C(refuse) (list of C({name, reason}); non-empty means do not reboot),
      C(peer_uri).
  type: dictionary
"""

from ansible.errors import AnsibleFilterError


def _names(value, key):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("kvm_guest_reboot_plan: %s must be a list of domain names" % key)
    return [str(name).strip() for name in value if str(name).strip()]


def peer_uri(peer):
    """A host name becomes qemu+ssh://PEER/system; a libvirt URI stays as it is."""
    peer = (peer or "").strip()
    if not peer:
        return ""
    return peer if "://" in peer else "qemu+ssh://%s/system" % peer


def kvm_guest_reboot_plan(domains, peer=""):
    if not isinstance(domains, dict):
        raise AnsibleFilterError("kvm_guest_reboot_plan: expected a dict of domain lists, got %s" % type(domains).__name__)
    every = _names(domains.get("all"), "all")
    running = [n for n in _names(domains.get("running"), "running") if n in every or not every]
    autostart = set(_names(domains.get("autostart"), "autostart"))
    transient = set(_names(domains.get("transient"), "transient"))
    uri = peer_uri(peer)
    plan = {"migrate": [], "shutdown": [], "start_after": [], "autostart_after": [], "expect_running": [],
            "refuse": [], "peer_uri": uri}
    for name in running:
        if uri:
            plan["migrate"].append(name)
            continue
        if name in transient:
            plan["refuse"].append({"name": name, "reason": "transient (no persistent definition): after an ACPI "
                                                       "shutdown it cannot be started again; define it or set "
                                                       "patching_migration_peer"})
            continue
        plan["shutdown"].append(name)
        plan["expect_running"].append(name)
        plan["autostart_after" if name in autostart else "start_after"].append(name)
    return plan


class FilterModule(object):
    def filters(self):
        return {"kvm_guest_reboot_plan": kvm_guest_reboot_plan}
