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
  - startsecure engineers
options:
  areas:
    description:
      - The areas to gather. An area whose software is absent is still gathered and
        judged (absence is a finding), except that areas listed here but not present
        are reported in RV(audit_facts.audit.skipped) with the reason.
    type: list
    elements: str
    choices: [ssh, console, patching, memory_limits]
    default: [ssh, console, patching, memory_limits]
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
notes:
  - Read-only; supports check mode. Run it with root rights (C(become)) so sudoers,
    private host keys and C(sshd -T) can be read; without them the affected controls
    report an error rather than a pass.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
seealso:
  - module: startsecure.hardening.ssh_facts
  - module: startsecure.hardening.patch_facts
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
      sample: {"areas": ["ssh", "console", "patching", "memory_limits"], "skipped": {}, "container": "docker", "seconds": 0.4}
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
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils import gather_common
from ansible_collections.startsecure.hardening.plugins.module_utils import gather_console
from ansible_collections.startsecure.hardening.plugins.module_utils import gather_memory
from ansible_collections.startsecure.hardening.plugins.module_utils import gather_patching
from ansible_collections.startsecure.hardening.plugins.module_utils import gather_ssh

AREAS = ["ssh", "console", "patching", "memory_limits"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            areas=dict(type="list", elements="str", choices=AREAS, default=AREAS),
            sshd_config=dict(type="path", default="/etc/ssh/sshd_config"),
            security_origins=dict(type="list", elements="str", default=[
                "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
                "origin=Debian,codename=${distro_codename},label=Debian-Security",
            ]),
        ),
        supports_check_mode=True,
    )
    # Commands run in the C locale so their output parses the same everywhere.
    module.run_command_environ_update = dict(LANG="C", LC_ALL="C", LC_MESSAGES="C")
    started = time.time()
    areas = module.params["areas"]
    facts = {}
    gathered = []
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
    facts["audit"] = {"areas": gathered, "skipped": {}, "container": gather_common.container(module),
                      "seconds": round(time.time() - started, 3)}
    module.exit_json(changed=False, audit_facts=facts)


if __name__ == "__main__":
    main()
