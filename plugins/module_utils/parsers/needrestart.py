# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What still runs old code: parse needrestart's output and scan /proc for stale QEMU.

``needrestart -b`` (batch mode) prints one ``KEY: value`` line per finding::

    NEEDRESTART-VER: 3.6
    NEEDRESTART-KCUR: 6.1.0-18-amd64        running kernel
    NEEDRESTART-KEXP: 6.1.0-20-amd64        newest installed kernel
    NEEDRESTART-KSTA: 3                     0 unknown, 1 current, 2 ABI upgrade, 3 version upgrade
    NEEDRESTART-UCSTA: 2                    microcode: 0 unknown, 1 current, 2 obsolete
    NEEDRESTART-UCCUR: 0x000000f0
    NEEDRESTART-UCEXP: 0x000000f4
    NEEDRESTART-SVC: ssh.service            a service running replaced code
    NEEDRESTART-CONT: LXC web1              a container running replaced code
    NEEDRESTART-SESS: alice @ session #3    a user session running replaced code
    NEEDRESTART-PID: bash=1234,5678         (non-root runs) processes by name

needrestart 3.6 (Debian 12) and 3.11 (Debian 13) never print the VM guests in batch
mode: the guests (QEMU processes in ``machine.slice`` still mapping a replaced QEMU
binary) appear only in the list-mode text, under the heading
``VM guests are running outdated hypervisor (qemu) binaries on this host:`` as lines
`` 'NAME' with pid PID``. :func:`parse_needrestart` therefore reads both forms, so a
caller may feed it the batch output, the list-mode output, or both concatenated.

``gather/processes.py`` finds the same guests without needrestart (``stale_qemu``).
"""

from __future__ import annotations

import re

# needrestart's kernel status numbers (NEEDRESTART-KSTA), from NeedRestart::Kernel.
KERNEL_STATUS = {
    0: "unknown",
    1: "current",
    2: "abi_upgrade",
    3: "version_upgrade",
}

MICROCODE_STATUS = {
    0: "unknown",
    1: "current",
    2: "obsolete",
}

_BATCH_LINE = re.compile(r"^NEEDRESTART-(?P<key>[A-Z]+):\s?(?P<value>.*)$")
_GUEST_HEADING = "VM guests are running outdated hypervisor (qemu) binaries"
_GUEST_LINE = re.compile(r"^\s*'(?P<name>.*)' with pid (?P<pid>\d+)\s*$")


class NeedrestartParseError(ValueError):
    """Raised on input that is not needrestart output."""


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_needrestart(text):
    """Parse needrestart batch and/or list-mode output into a JSON-ready dict.

    Returns::

        {"version": "3.6" | None,
         "kernel": {"current": str|None, "expected": str|None,
                    "status": int|None, "status_name": str, "reboot_needed": bool},
         "microcode": {"status": int|None, "status_name": str, "current": ..., "expected": ...,
                       "reboot_needed": bool},
         "services": [unit, ...], "containers": [...], "sessions": [...],
         "processes": {name: [pid, ...]},
         "guests": [{"name": str, "pid": int}, ...],
         "restart_needed": bool,      # any service, container, session or guest
         "reboot_needed": bool,       # kernel or microcode says so
         "unknown": [line, ...]}      # NEEDRESTART-* lines this parser does not know

    Lines that are neither ``NEEDRESTART-*`` lines nor guest lines (the headings of
    list mode, blank lines) are ignored. Raises :class:`NeedrestartParseError` when
    ``text`` is not a string.
    """
    if text is None:
        text = ""
    if isinstance(text, (list, tuple)):
        text = "\n".join(str(line) for line in text)
    if not isinstance(text, str):
        raise NeedrestartParseError(
            "needrestart output must be a string (e.g. the stdout of 'needrestart -b'), got %s"
            % type(text).__name__
        )

    result = {
        "version": None,
        "kernel": {"current": None, "expected": None, "status": None},
        "microcode": {"status": None, "current": None, "expected": None},
        "services": [],
        "containers": [],
        "sessions": [],
        "processes": {},
        "guests": [],
        "unknown": [],
    }
    in_guests = False
    for raw in text.splitlines():
        line = raw.rstrip("\r\n")
        match = _BATCH_LINE.match(line.strip())
        if match:
            in_guests = False
            key, value = match.group("key"), match.group("value").strip()
            if key == "VER":
                result["version"] = value
            elif key == "KCUR":
                result["kernel"]["current"] = value
            elif key == "KEXP":
                result["kernel"]["expected"] = value
            elif key == "KSTA":
                result["kernel"]["status"] = _int_or_none(value)
            elif key == "UCSTA":
                result["microcode"]["status"] = _int_or_none(value)
            elif key == "UCCUR":
                result["microcode"]["current"] = value
            elif key == "UCEXP":
                result["microcode"]["expected"] = value
            elif key == "SVC":
                _append_unique(result["services"], value)
            elif key == "CONT":
                _append_unique(result["containers"], value)
            elif key == "SESS":
                _append_unique(result["sessions"], value)
            elif key == "PID":
                name, _sep, pids = value.partition("=")
                result["processes"].setdefault(name, []).extend(
                    p for p in (_int_or_none(x) for x in pids.split(",")) if p is not None
                )
            else:
                result["unknown"].append(line.strip())
            continue
        if _GUEST_HEADING in line:
            in_guests = True
            continue
        if in_guests:
            guest = _GUEST_LINE.match(line)
            if guest:
                entry = {"name": guest.group("name"), "pid": int(guest.group("pid"))}
                if entry not in result["guests"]:
                    result["guests"].append(entry)
                continue
            if line.strip():
                in_guests = False

    kernel = result["kernel"]
    kernel["status_name"] = KERNEL_STATUS.get(kernel["status"], "unknown")
    kernel["reboot_needed"] = kernel["status"] in (2, 3)
    microcode = result["microcode"]
    microcode["status_name"] = MICROCODE_STATUS.get(microcode["status"], "unknown")
    microcode["reboot_needed"] = microcode["status"] == 2
    result["reboot_needed"] = kernel["reboot_needed"] or microcode["reboot_needed"]
    result["restart_needed"] = bool(
        result["services"] or result["containers"] or result["sessions"] or result["guests"]
    )
    return result


def _append_unique(items, value):
    if value and value not in items:
        items.append(value)


def guest_name_from_cmdline(args):
    """The libvirt guest name from a QEMU command line (``-name guest=NAME,...``)."""
    for index, arg in enumerate(args):
        if arg == "-name" and index + 1 < len(args):
            for part in args[index + 1].split(","):
                if part.startswith("guest="):
                    return part[len("guest="):]
            # the old form: -name NAME
            first = args[index + 1].split(",")[0]
            if "=" not in first:
                return first
    return None
