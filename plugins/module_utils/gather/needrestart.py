# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what still runs replaced code according to needrestart, plus stale QEMU guests.

needrestart is asked in batch mode (services, kernel, microcode) and in list mode (the
QEMU guests appear only there); ``gather/processes.py`` adds the guests it finds in
/proc, so a guest is reported even where needrestart is not installed.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.processes import stale_qemu
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.needrestart import parse_needrestart

_C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}
_COMMANDS = (["-b", "-r", "l"], ["-r", "l", "-l", "-n", "-u", "NeedRestart::UI::stdio"])


class NeedrestartError(Exception):
    """needrestart ran and failed; ``result`` carries rc, stdout and stderr."""

    def __init__(self, msg, **result):
        super(NeedrestartError, self).__init__(msg)
        self.result = result


def merge_guests(parsed_guests, scanned):
    """One entry per QEMU pid, saying which source (proc, needrestart) found it."""
    by_pid = {}
    for guest in scanned:
        by_pid[guest["pid"]] = dict(guest, source=["proc"])
    for guest in parsed_guests:
        # needrestart reports only guests whose QEMU binary was replaced
        entry = by_pid.setdefault(guest["pid"], {"pid": guest["pid"], "name": guest["name"], "exe": None,
                                                 "cgroup": None, "source": [],
                                                 "replaced_binary": True, "replaced_libraries": []})
        if not entry.get("name"):
            entry["name"] = guest["name"]
        entry["source"].append("needrestart")
    return [by_pid[pid] for pid in sorted(by_pid)]


def gather(module, guests=True, proc_root="/proc"):
    """The needrestart_facts result (without ``changed``); raises :class:`NeedrestartError`."""
    binary = module.get_bin_path("needrestart", opt_dirs=["/usr/sbin", "/sbin"])
    outputs = []
    for args in (_COMMANDS if guests else _COMMANDS[:1]) if binary else ():
        rc, out, err = module.run_command([binary] + args, environ_update=_C_LOCALE, data="")
        if rc != 0:
            raise NeedrestartError("'needrestart %s' failed with rc %d: %s" % (" ".join(args[:4]), rc, err.strip() or out.strip()),
                                   rc=rc, stdout=out, stderr=err)
        outputs.append(out)
    raw = "\n".join(outputs)
    parsed = parse_needrestart(raw)
    found = merge_guests(parsed["guests"], stale_qemu(proc_root) if guests else [])
    keys = ("version", "services", "containers", "sessions", "kernel", "microcode", "reboot_needed")
    facts = dict((key, parsed[key]) for key in keys)
    facts.update(needrestart_installed=bool(binary), guests=found, restart_needed=parsed["restart_needed"] or bool(found),
                 raw=raw)
    return facts
