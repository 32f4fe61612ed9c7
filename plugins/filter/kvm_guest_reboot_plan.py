# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError


_TRANSIENT = ("transient (no persistent definition): after an ACPI shutdown it cannot be started again; "
              "define it or set patching_migration_peer")


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
            plan["refuse"].append({"name": name, "reason": _TRANSIENT})
            continue
        plan["shutdown"].append(name)
        plan["expect_running"].append(name)
        plan["autostart_after" if name in autostart else "start_after"].append(name)
    return plan


class FilterModule(object):
    def filters(self):
        return {"kvm_guest_reboot_plan": kvm_guest_reboot_plan}
