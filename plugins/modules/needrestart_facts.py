#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
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
    C(/proc) itself for C(qemu-system-*) processes whose executable ends in C( (deleted)), or whose memory
    maps show a deleted library or QEMU module - a guest still running code that an upgrade replaced.
    The scan works without needrestart.
  - Read-only; runs identically in check mode. When needrestart is not installed the needrestart part is
    empty and RV(needrestart_installed) is false.
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
  description:
    - QEMU guests running replaced code, merged from needrestart and the /proc scan, by pid.
    - A guest counts when its QEMU binary OR a library or QEMU module it loaded was replaced on disk
      (C(replaced_binary), C(replaced_libraries)).
  returned: success
  type: list
  elements: dict
  sample: [{pid: 4242, name: web1, exe: /usr/bin/qemu-system-x86_64, source: [proc, needrestart],
            replaced_binary: false, replaced_libraries: [/usr/lib/x86_64-linux-gnu/libgnutls.so.30]}]
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
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.needrestart import (
    parse_needrestart,
    scan_stale_qemu,
)

_C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


def merge_guests(parsed_guests, scanned):
    by_pid = {}
    for guest in scanned:
        by_pid[guest["pid"]] = dict(guest, source=["proc"])
    for guest in parsed_guests:
        entry = by_pid.setdefault(guest["pid"], {"pid": guest["pid"], "name": guest["name"], "exe": None,
                                                 "cgroup": None, "source": [],
                                                 "replaced_binary": True, "replaced_libraries": []})
        if not entry.get("name"):
            entry["name"] = guest["name"]
        entry["source"].append("needrestart")
    return [by_pid[pid] for pid in sorted(by_pid)]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            guests=dict(type="bool", default=True),
            proc_root=dict(type="path", default="/proc"),
        ),
        supports_check_mode=True,
    )
    binary = module.get_bin_path("needrestart", opt_dirs=["/usr/sbin", "/sbin"])
    outputs = []
    if binary:
        rc, out, err = module.run_command([binary, "-b", "-r", "l"], environ_update=_C_LOCALE)
        if rc != 0:
            module.fail_json(msg="'needrestart -b -r l' failed with rc %d: %s" % (rc, err.strip() or out.strip()),
                             rc=rc, stdout=out, stderr=err)
        outputs.append(out)
        if module.params["guests"]:
            rc, out, err = module.run_command([binary, "-r", "l", "-l", "-n", "-u", "NeedRestart::UI::stdio"],
                                              environ_update=_C_LOCALE, data="")
            if rc != 0:
                module.fail_json(msg="'needrestart -r l -l -n' failed with rc %d: %s"
                                 % (rc, err.strip() or out.strip()), rc=rc, stdout=out, stderr=err)
            outputs.append(out)
    raw = "\n".join(outputs)
    parsed = parse_needrestart(raw)
    scanned = scan_stale_qemu(module.params["proc_root"]) if module.params["guests"] else []
    guests = merge_guests(parsed["guests"], scanned)

    module.exit_json(
        changed=False,
        needrestart_installed=bool(binary),
        version=parsed["version"],
        services=parsed["services"],
        containers=parsed["containers"],
        sessions=parsed["sessions"],
        kernel=parsed["kernel"],
        microcode=parsed["microcode"],
        guests=guests,
        reboot_needed=parsed["reboot_needed"],
        restart_needed=parsed["restart_needed"] or bool(guests),
        raw=raw,
    )


if __name__ == "__main__":
    main()
