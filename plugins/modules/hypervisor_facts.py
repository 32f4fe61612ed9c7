#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hypervisor_facts
short_description: Gather the security-relevant state of a KVM/libvirt host and its domains
version_added: "0.1.0"
description:
  - Reads, in one call and without changing anything, what the C(kvm_host) controls judge
    (see the C(startsecure.hardening.judge_controls) filter).
  - libvirt and QEMU versions; daemon mode (monolithic C(libvirtd) or modular C(virtqemud)/C(virtproxyd))
    and the state of their units and sockets (one C(systemctl show) call); under socket
    activation the socket units' C(SocketMode), C(SocketGroup) and C(Listen) and the real
    modes of the sockets.
  - The EFFECTIVE settings of C(qemu.conf), C(libvirtd.conf), C(virtqemud.conf) and
    C(virtproxyd.conf) - libvirt's documented defaults for the judged keys, overridden by
    what the files set.
  - The security models the host offers, KSM, nested virtualization, C(/dev/kvm) and udev
    rules for it, CPU vulnerabilities, risky kernel command line options, SMT, IOMMU,
    relevant sysctls, ownership and modes of libvirt's directories, the C(machine.slice)
    memory cap and QEMU processes that run a deleted (since upgraded) binary.
  - Per domain - state, type, memory, memtune limits and whether the cgroup of the running
    QEMU really carries them, security labels, graphics (listen addresses, whether a
    password is set - never the password), character devices, interfaces and their
    nwfilter, host devices, CPU mode and features, C(nosharepages), shareable disks,
    error policies, C(qemu:commandline) and the taint reasons libvirt logged.
  - Uses python3-libvirt when it is installed and the daemon answers, otherwise the domain
    XML files under C(/run/libvirt/qemu) and C(/etc/libvirt/qemu).
  - On a host without libvirt it returns O(ignore:hypervisor.installed=false) and does not fail.
author:
  - startsecure engineers (!UNKNOWN)
options:
  uri:
    description: The libvirt connection URI.
    type: str
    default: qemu:///system
  virt_host_validate:
    description: Also run C(virt-host-validate qemu) and return its checks (its exit code is never required to be 0).
    type: bool
    default: true
  admins:
    description:
      - The accounts meant to manage libvirt (members of the R/W socket's group), returned as
        RV(hypervisor.expected_admins). When given, control C(KVM-010) fails for any other
        member of that group; when omitted, it fails only for a broad group (users, staff...).
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Gather the hypervisor facts
  startsecure.hardening.hypervisor_facts:
  register: kvm

- name: Judge them against the KVM controls
  ansible.builtin.debug:
    msg: "{{ kvm | startsecure.hardening.judge_controls(min_severity='high') | selectattr('status', 'eq', 'fail') }}"
"""

RETURN = r"""
hypervisor:
  description: The state of the hypervisor host.
  type: dict
  returned: always
  contains:
    installed:
      description: Whether libvirt (libvirtd or virtqemud) is installed. When false, only C(kernel) and C(kvm) are filled.
      type: bool
    libvirt_version:
      description: libvirt version.
      type: str
      sample: 9.0.0
    qemu_version:
      description: QEMU version.
      type: str
      sample: 7.2.22
    daemon_mode:
      description: C(monolithic), C(modular), C(both) (two stacks enabled at once) or C(none).
      type: str
    units:
      description: The libvirt, KSM and machine.slice units (present, load, active, enabled, socket_mode, socket_group, listen).
      type: dict
    config:
      description:
        - Per file (qemu.conf, libvirtd.conf, virtqemud.conf, virtproxyd.conf) - path, present,
          values (what the file sets), effective (with defaults), error.
      type: dict
    sockets:
      description: Path to stat (exists, mode, owner, group) of libvirt's UNIX sockets.
      type: dict
    paths:
      description: Path to stat of libvirt's directories and configuration files.
      type: dict
    secmodels:
      description: The security models the host offers (e.g. V(apparmor), V(selinux), V(dac), V(none)); null when unknown.
      type: list
      elements: str
    ksm:
      description: KSM state (run value of /sys/kernel/mm/ksm/run, pages_shared, ksm/ksmtuned units).
      type: dict
    kvm:
      description: nested parameters, modprobe.d nested options, /dev/kvm stat, udev rules for kvm, loaded modules.
      type: dict
    kernel:
      description: cmdline, risky_cmdline, nosmt, vulnerabilities, smt, cpu_virt_flag, iommu, sysctl.
      type: dict
    groups:
      description: Members of the libvirt, kvm and libvirt-qemu groups.
      type: dict
    expected_admins:
      description: The O(admins) option, null when not given.
      type: list
      elements: str
    machine_slice:
      description: The memory cap of machine.slice (limit_bytes from the cgroup, null = none).
      type: dict
    deleted_qemu_binaries:
      description: QEMU processes whose binary was replaced on disk (pid, exe).
      type: list
      elements: dict
    domains:
      description:
        - One summary per domain - name, type, state, memory_kib, memtune, cgroup, memtune_enforced,
          rss_kib, seclabels, graphics, chardevs, interfaces, hostdevs, disks, cpu, nosharepages,
          qemu_commandline, taint.
      type: list
      elements: dict
    virt_host_validate:
      description: rc and parsed results of virt-host-validate (null when not run).
      type: dict
    connected:
      description: Whether the libvirt API answered.
      type: bool
    errors:
      description: What could not be read (a malformed config file names its line).
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor

libvirt = hypervisor.load_libvirt()  # python3-libvirt, or None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            uri=dict(type="str", default="qemu:///system"),
            virt_host_validate=dict(type="bool", default=True),
            admins=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    facts = hypervisor.gather(hypervisor.System("/", run), libvirt_module=libvirt, uri=module.params["uri"],
                              run_virt_host_validate=module.params["virt_host_validate"])
    facts["expected_admins"] = module.params["admins"]
    module.exit_json(changed=False, hypervisor=facts)


if __name__ == "__main__":
    main()
