#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import common as gather_common
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import console as gather_console
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import memory as gather_memory
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import patching as gather_patching
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import ssh as gather_ssh
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import DEBIAN_SECURITY_ORIGINS

AREAS = ["ssh", "console", "patching", "memory_limits", "kvm_host"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            areas=dict(type="list", elements="str", choices=AREAS, default=AREAS),
            sshd_config=dict(type="path", default=gather_ssh.SSHD_CONFIG),
            security_origins=dict(type="list", elements="str", default=DEBIAN_SECURITY_ORIGINS),
            libvirt_uri=dict(type="str", default="qemu:///system"),
            virt_host_validate=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    # Commands run in the C locale so their output parses the same everywhere.
    module.run_command_environ_update = dict(LANG="C", LC_ALL="C", LC_MESSAGES="C")
    started = time.time()
    areas = module.params["areas"]
    facts = {}
    params = module.params
    # area -> (key of its facts, how to gather them); the audit's table of contents.
    gatherers = {
        "ssh": ("ssh", lambda: gather_ssh.gather(module, params["sshd_config"])),
        "console": ("console", lambda: gather_console.gather(module)),
        "patching": ("patching", lambda: gather_patching.gather(module, params["security_origins"])),
        "memory_limits": ("memory", lambda: gather_memory.gather(module)),
        "kvm_host": ("hypervisor",
                     lambda: hypervisor.gather_with_module(module, params["libvirt_uri"], params["virt_host_validate"])),
    }
    gathered = []
    skipped = {}
    for area in AREAS:
        if area not in areas:
            continue
        # The KVM gathering reads kernel and module state too; skip it outright where
        # there is no libvirt daemon, which keeps a guest's audit fast.
        if area == "kvm_host" and not any(module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"])
                                          for name in ("libvirtd", "virtqemud")):
            skipped[area] = "libvirt is not installed"
            continue
        key, gather = gatherers[area]
        facts[key] = gather()
        gathered.append(area)
    facts["audit"] = {"areas": gathered, "skipped": skipped, "container": gather_common.container(module),
                      "seconds": round(time.time() - started, 3)}
    module.exit_json(changed=False, audit_facts=facts)


if __name__ == "__main__":
    main()
