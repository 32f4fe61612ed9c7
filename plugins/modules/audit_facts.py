#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: audit_facts
short_description: Gather, in one read-only call, every fact the audit controls judge
version_added: 0.1.0
description:
  - Reads the state of a host for each audit area and returns it as one dictionary,
    C(audit_facts), that the C(startsecure.hardening.audit_report) filter judges on the
    controller against the collection's catalog of controls.
  - One module call per host gathers everything, so an audit costs one round trip per
    host, not one task per setting.
  - Areas C(ssh) (effective C(sshd -T) settings, host keys, moduli), C(console)
    (Ctrl-Alt-Del, rescue login, idle timeout, banners, sudo, su, bootloader password),
    C(patching) (automatic updates, pending security updates, pending reboot, processes
    running replaced libraries) and C(memory_limits) (memory cgroup settings of the
    slices, sshd and user slices).
  - Nothing on the host is changed or refreshed; the package lists are read as they are.
author:
  - startsecure engineers (!UNKNOWN)
options:
  areas:
    description:
      - The areas to gather. The software of C(ssh), C(console), C(patching) and
        C(memory_limits) is expected everywhere, so its absence is a finding.
      - C(kvm_host) is gathered (by the same code as M(startsecure.hardening.hypervisor_facts))
        only where libvirt is installed; elsewhere it is listed in
        C(audit_facts.audit.skipped) with the reason and its controls are not judged.
    type: list
    elements: str
    choices: [ssh, console, patching, memory_limits, kvm_host]
    default: [ssh, console, patching, memory_limits, kvm_host]
  sshd_config:
    description: Path of the main sshd configuration file.
    type: path
    default: /etc/ssh/sshd_config
  security_origins:
    description:
      - Unattended-upgrades origin patterns that count as security updates
        (C(${distro_codename}) is replaced by the host's codename).
    type: list
    elements: str
    default:
      - origin=Debian,codename=${distro_codename}-security,label=Debian-Security
      - origin=Debian,codename=${distro_codename},label=Debian-Security
  libvirt_uri:
    description: The libvirt connection the C(kvm_host) area reads domains through.
    type: str
    default: qemu:///system
  virt_host_validate:
    description: Also run C(virt-host-validate qemu) (read-only) on KVM hosts.
    type: bool
    default: true
notes:
  - Read-only; supports check mode. Run it with root rights (C(become)) so sudoers,
    private host keys and C(sshd -T) can be read; without them the affected controls
    report an error rather than a pass.
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
seealso:
  - module: startsecure.hardening.ssh_facts
  - module: startsecure.hardening.patch_facts
  - module: startsecure.hardening.hypervisor_facts
"""

EXAMPLES = r"""
- name: Gather the audit facts
  startsecure.hardening.audit_facts:
  register: audit

- name: Judge them against the catalog on the controller
  ansible.builtin.debug:
    msg: "{{ {inventory_hostname: {'facts': audit.audit_facts}} | startsecure.hardening.audit_report }}"
"""

RETURN = r"""
audit_facts:
  description:
    - The gathered facts, one key per fact source used by the controls (C(ssh),
      C(console), C(patching), C(memory)) plus C(audit) (what was gathered, when, how long it took).
  returned: always
  type: dict
  contains:
    audit:
      description: C(areas) gathered, C(skipped) areas with reasons, C(container), C(seconds).
      type: dict
      returned: always
      sample: {"areas": ["ssh", "console", "patching", "memory_limits"], "skipped": {"kvm_host": "libvirt is not installed"},
               "container": "docker", "seconds": 0.4}
    ssh:
      description: Effective sshd settings (C(effective)), C(effective_error), C(host_keys), C(moduli), C(config) file mode.
      type: dict
      returned: when the ssh area is gathered
    console:
      description: C(ctrl_alt_del), C(rescue), C(tmout), C(banners), C(sudo), C(su), C(bootloader).
      type: dict
      returned: when the console area is gathered
    patching:
      description: C(installed), C(apt_config), C(timers), C(updates), C(reboot_required), C(stale_processes).
      type: dict
      returned: when the patching area is gathered
    memory:
      description: C(mem_total), C(cgroup) mode, and memory properties of C(units).
      type: dict
      returned: when the memory_limits area is gathered
    hypervisor:
      description: What M(startsecure.hardening.hypervisor_facts) returns as C(hypervisor).
      type: dict
      returned: when the kvm_host area is requested
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import common as gather_common
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import console as gather_console
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import memory as gather_memory
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import patching as gather_patching
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import ssh as gather_ssh
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor

try:
    import libvirt  # python3-libvirt, present on KVM hosts
except ImportError:
    libvirt = None
else:
    # libvirt prints its errors to stderr by default; the facts carry them instead.
    libvirt.registerErrorHandler(lambda ctx, err: None, None)

AREAS = ["ssh", "console", "patching", "memory_limits", "kvm_host"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            areas=dict(type="list", elements="str", choices=AREAS, default=AREAS),
            sshd_config=dict(type="path", default="/etc/ssh/sshd_config"),
            security_origins=dict(type="list", elements="str", default=[
                "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
                "origin=Debian,codename=${distro_codename},label=Debian-Security",
            ]),
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
    gathered = []
    skipped = {}
    if "ssh" in areas:
        facts["ssh"] = gather_ssh.gather(module, module.params["sshd_config"])
        gathered.append("ssh")
    if "console" in areas:
        facts["console"] = gather_console.gather(module)
        gathered.append("console")
    if "patching" in areas:
        facts["patching"] = gather_patching.gather(module, module.params["security_origins"])
        gathered.append("patching")
    if "memory_limits" in areas:
        facts["memory"] = gather_memory.gather(module)
        gathered.append("memory_limits")
    if "kvm_host" in areas:
        # The KVM gathering reads kernel and module state too; skip it outright where
        # there is no libvirt daemon, which keeps a guest's audit fast.
        if not any(module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"]) for name in ("libvirtd", "virtqemud")):
            skipped["kvm_host"] = "libvirt is not installed"
        else:
            def run(argv):
                return module.run_command(argv, environ_update={"LC_ALL": "C"})
            facts["hypervisor"] = hypervisor.gather(hypervisor.System("/", run), libvirt_module=libvirt,
                                                    uri=module.params["libvirt_uri"],
                                                    run_virt_host_validate=module.params["virt_host_validate"])
            gathered.append("kvm_host")
    facts["audit"] = {"areas": gathered, "skipped": skipped, "container": gather_common.container(module),
                      "seconds": round(time.time() - started, 3)}
    module.exit_json(changed=False, audit_facts=facts)


if __name__ == "__main__":
    main()
