# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse sshd's effective settings (sshd -T), its Include lines, /etc/ssh/moduli
and OpenSSH version strings. Pure functions, shared by ssh_facts and the tests."""

from __future__ import annotations

import re

# Keywords that sshd -T prints once per value; they are always returned as lists so
# a caller never has to guess whether it got a string or a list.
MULTI_VALUE_KEYWORDS = frozenset([
    "acceptenv",
    "allowgroups",
    "allowusers",
    "authorizedkeysfile",
    "channeltimeout",
    "denygroups",
    "denyusers",
    "hostcertificate",
    "hostkey",
    "include",
    "listenaddress",
    "permitlisten",
    "permitopen",
    "port",
    "setenv",
    "subsystem",
])

_VERSION_RE = re.compile(r"OpenSSH_(\d+)\.(\d+)(?:p(\d+))?([^\s,]*)")


def parse_sshd_t(text):
    """Turn `sshd -T` output into a dict of lower-case keyword -> value.

    Keywords in MULTI_VALUE_KEYWORDS map to a list of their values in order; every
    other keyword maps to its (first) value as a string.
    """
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        keyword = parts[0].lower()
        value = parts[1] if len(parts) > 1 else ""
        if keyword in MULTI_VALUE_KEYWORDS:
            settings.setdefault(keyword, []).append(value)
        elif keyword not in settings:
            settings[keyword] = value
    return settings


def find_includes(text):
    """The patterns of all top-level Include lines of an sshd/ssh config text."""
    patterns = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(None, 1)
        if parts[0].lower() == "include" and len(parts) > 1:
            patterns.extend(parts[1].split())
    return patterns


def parse_version(text):
    """'OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL ...' -> dict, or None."""
    match = _VERSION_RE.search(text or "")
    if not match:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    end = text.find(",", match.start())
    full = text[match.start():end if end != -1 else None].strip().splitlines()[0]
    return {
        "full": full,
        "major": major,
        "minor": minor,
        "version": "%d.%d" % (major, minor),
    }


def moduli_summary(text, min_bits):
    """Count the DH groups of a moduli file and those smaller than min_bits.

    The fifth field of a moduli line is the group size minus one (e.g. 3071 for a
    3072-bit group), so a group is small when that field + 1 < min_bits.
    """
    total = 0
    small = 0
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#") or len(fields) < 7:
            continue
        try:
            size = int(fields[4]) + 1
        except ValueError:
            continue
        total += 1
        if size < min_bits:
            small += 1
    return {"groups": total, "groups_below_min": small, "min_bits": min_bits}


_ACCEPTED_RE = re.compile(
    r"Accepted publickey for (?P<user>\S+) from (?P<addr>\S+) port (?P<port>\d+) ssh2: "
    r"(?P<type>\S+) (?P<fingerprint>SHA256:[A-Za-z0-9+/]+)")


def parse_ssh_connection(value):
    """SSH_CONNECTION ("client_addr client_port server_addr server_port") -> dict or None."""
    parts = (value or "").split()
    if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():
        return None
    return {"address": parts[0], "port": int(parts[1]), "server_address": parts[2], "server_port": int(parts[3])}


def environ_value(data, name):
    """The value of `name` in a /proc/PID/environ blob (NUL-separated), or None."""
    prefix = (name + "=").encode("ascii")
    for entry in data.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix):].decode("utf-8", "replace")
    return None


def accepted_key(log_text, user, address, port):
    """The fingerprint sshd logged for this connection ("Accepted publickey for USER
    from ADDR port PORT ssh2: TYPE SHA256:..."), the last such line, or None."""
    found = None
    for match in _ACCEPTED_RE.finditer(log_text or ""):
        if match.group("user") == user and match.group("addr") == address and int(match.group("port")) == port:
            found = match.group("fingerprint")
    return found


def comment_out_subsystem_sftp(text):
    """The main sshd_config text with its `Subsystem sftp` line commented out, as the
    ssh role does when its drop-in carries that line (sshd >= 9.2 refuses a second one)."""
    return re.sub(r"(?m)^(\s*Subsystem\s+sftp\s.*)$", r"# \1", text)


def redirect_include(text, dropin_dir, new_dir):
    """Point the Include lines naming ``dropin_dir`` at ``new_dir`` (the candidate copy)."""
    base = re.escape(dropin_dir.rstrip("/"))
    short = re.escape(dropin_dir.rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"(?mi)^(\s*Include\s+)(?:%s|%s)/" % (base, short), lambda m: m.group(1) + new_dir + "/", text)
