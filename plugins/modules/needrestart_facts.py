#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""needrestart_facts: what still runs replaced code (services, kernel, QEMU guests); read-only."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: needrestart_facts
short_description: Services, sessions, containers and QEMU guests still running replaced code; pending kernel
version_added: 0.1.0
description:
  - Runs C(needrestart -b -r l) (batch mode, list only - it never restarts anything) and parses its
    C(NEEDRESTART-*) lines with the same parser as the P(startsecure.hardening.needrestart#filter) filter.
  - needrestart does not print VM guests in batch mode, so with O(guests=true) the module also runs
    needrestart's list mode (C(-r l -l -n), English messages) and reads its guest lines, and scans
    C(/proc) itself for C(qemu-system-*) processes whose executable ends in C( (deleted)) — a guest
    still running a QEMU binary that an upgrade replaced. The scan works without needrestart.
  - When needrestart is not installed the needrestart part is
    empty and RV(needrestart_installed) is false.
extends_documentation_fragment:
  - startsecure.hardening.attributes
  - startsecure.hardening.attributes.facts
author:
  - startsecure engineers (!UNKNOWN)
options:
  guests:
    description:
      - Also look for QEMU guests running a replaced binary (list mode of needrestart and the C(/proc) scan).
    type: bool
    default: true
  proc_root:
    description:
      - Where the proc file system is mounted (tests point it elsewhere).
    type: path
    default: /proc
requirements:
  - needrestart on the target for services, sessions, containers and kernel status.
seealso:
  - module: startsecure.hardening.patch_facts
"""

EXAMPLES = r"""
- name: What still runs old code
  startsecure.hardening.needrestart_facts:
  register: stale

- name: Restart what needs it (guests are left alone)
  ansible.builtin.systemd_service:
    name: "{{ item }}"
    state: restarted
  loop: "{{ stale.services }}"
"""

RETURN = r"""
needrestart_installed:
  description: needrestart was found on the target.
  returned: success
  type: bool
version:
  description: needrestart's version (NEEDRESTART-VER).
  returned: success
  type: str
  sample: "3.6"
services:
  description: Services running replaced binaries or libraries (NEEDRESTART-SVC).
  returned: success
  type: list
  elements: str
  sample: [ssh.service]
containers:
  description: Containers running replaced code (NEEDRESTART-CONT).
  returned: success
  type: list
  elements: str
sessions:
  description: User sessions running replaced code (NEEDRESTART-SESS).
  returned: success
  type: list
  elements: str
kernel:
  description: Running and newest installed kernel, needrestart's status number and name, and whether it needs a reboot.
  returned: success
  type: dict
  sample: {current: 6.1.0-18-amd64, expected: 6.1.0-20-amd64, status: 3, status_name: version_upgrade, reboot_needed: true}
microcode:
  description: CPU microcode status as needrestart sees it.
  returned: success
  type: dict
guests:
  description: QEMU guests running a replaced binary, merged from needrestart and the /proc scan, by pid.
  returned: success
  type: list
  elements: dict
  sample: [{pid: 4242, name: web1, exe: /usr/bin/qemu-system-x86_64, source: [proc, needrestart]}]
reboot_needed:
  description: The kernel or the microcode needs a reboot to take effect.
  returned: success
  type: bool
restart_needed:
  description: A service, container, session or guest runs replaced code.
  returned: success
  type: bool
raw:
  description: needrestart's output as read (batch, then list mode).
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import needrestart as gather_needrestart


def main():
    module = AnsibleModule(
        argument_spec=dict(
            guests=dict(type="bool", default=True),
            proc_root=dict(type="path", default="/proc"),
        ),
        supports_check_mode=True,
    )
    try:
        facts = gather_needrestart.gather(module, module.params["guests"], module.params["proc_root"])
    except gather_needrestart.NeedrestartError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
