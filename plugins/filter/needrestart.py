# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: needrestart
short_description: Parse needrestart's batch (and list-mode) output into facts
version_added: 0.1.0
author: startsecure engineers (!UNKNOWN)
description:
  - Turns the output of C(needrestart -b) into a dictionary - services to restart, containers and
    user sessions running replaced code, kernel and microcode status, and whether a reboot is needed.
  - Understands the batch lines C(NEEDRESTART-VER), C(-KCUR), C(-KEXP), C(-KSTA), C(-UCSTA), C(-UCCUR),
    C(-UCEXP), C(-SVC), C(-CONT), C(-SESS) and C(-PID).
  - needrestart prints the QEMU guests still running a replaced hypervisor binary only in its list mode
    (C(needrestart -r l), heading C(VM guests are running outdated hypervisor (qemu) binaries on this
    host:), then lines C( 'NAME' with pid PID)), never in batch mode; the filter reads those lines too, so
    the two outputs may be given concatenated. Run needrestart with C(LC_ALL=C) so the heading is English.
  - Kernel status C(KSTA) - V(0) unknown, V(1) current, V(2) ABI-compatible upgrade pending, V(3) version
    upgrade pending; V(2) and V(3) mean a reboot is needed.
  - The module P(startsecure.hardening.needrestart_facts#module) runs needrestart and this parser for you.
options:
  _input:
    description: needrestart's standard output (a string, or a list of lines such as C(stdout_lines)).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Ask needrestart, list only
  ansible.builtin.command: needrestart -b -r l
  register: nr
  changed_when: false

- name: Services still running replaced code
  ansible.builtin.debug:
    msg: "{{ (nr.stdout | startsecure.hardening.needrestart).services }}"
"""

RETURN = r"""
_value:
  description: What still runs old code.
  type: dict
  contains:
    version:
      description: needrestart's version.
      type: str
    kernel:
      description: C(current), C(expected), C(status) (int or null), C(status_name), C(reboot_needed).
      type: dict
    microcode:
      description: C(status), C(status_name), C(current), C(expected), C(reboot_needed).
      type: dict
    services:
      description: Service units to restart.
      type: list
      elements: str
    containers:
      description: Containers to restart.
      type: list
      elements: str
    sessions:
      description: User sessions running replaced code, as C(user @ session N).
      type: list
      elements: str
    processes:
      description: Process name to pids (NEEDRESTART-PID, non-root runs).
      type: dict
    guests:
      description: QEMU guests from list-mode output, each with C(name) and C(pid).
      type: list
      elements: dict
    restart_needed:
      description: Any service, container, session or guest runs replaced code.
      type: bool
    reboot_needed:
      description: Kernel or microcode need a reboot.
      type: bool
    unknown:
      description: NEEDRESTART lines this parser does not know (kept, never dropped silently).
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.needrestart import (
    NeedrestartParseError,
    parse_needrestart,
)


def needrestart(output):
    """Parse needrestart output; see DOCUMENTATION."""
    try:
        return parse_needrestart(output)
    except NeedrestartParseError as exc:
        raise AnsibleFilterError("needrestart filter: %s" % exc)


class FilterModule(object):
    """needrestart output parser."""

    def filters(self):
        return {"needrestart": needrestart}
