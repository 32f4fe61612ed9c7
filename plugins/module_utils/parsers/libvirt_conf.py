# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and edit libvirt's configuration files (qemu.conf, libvirtd.conf, virtqemud.conf...).

The grammar is libvirt's own (src/util/virconf.c), so what this module accepts is what
the daemon accepts:

* ``name = value`` with names of letters, digits, ``_`` and ``.`` (not starting with a
  digit); an optional ``;`` or a ``# comment`` may follow on the same line.
* values: integers (``0``, ``-1``, ``+5``), strings in double quotes, single quotes or
  python-style triple double quotes (the only kind that may span lines), and lists
  ``[ v, v, ]`` that may span lines (a trailing comma is allowed, comments inside a list
  are not).
* There are NO escapes: a backslash is an ordinary character, a string simply ends at
  the next quote of its kind. A value holding both quote kinds needs triple quotes.
* When a key appears twice, libvirt uses the first one.

Editing keeps every comment and every untouched line byte for byte. A key that is set
and only exists commented out (``#key = value``, the way libvirt ships its files) is
written on the line right AFTER that comment (after the whole commented block for a
commented multi-line list), so the shipped documentation stays above it.
"""

from __future__ import annotations

import re

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_COMMENTED_KEY = re.compile(r"^[ \t]*#[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=(?P<rest>.*)$")


class ConfError(ValueError):
    """A configuration text libvirt would refuse; carries the line number."""

    def __init__(self, message, line=None, path=None):
        self.reason = message
        self.line = line
        self.path = path
        where = ""
        if path:
            where += "%s: " % path
        if line is not None:
            where += "line %d: " % line
        super(ConfError, self).__init__(where + message)


class Entry:
    """One assignment: name, parsed value and the lines [first, last] it occupies (0-based)."""

    __slots__ = ("name", "value", "first", "last")

    def __init__(self, name, value, first, last):
        self.name = name
        self.value = value
        self.first = first
        self.last = last


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.end = len(text)
        self.line = 0  # 0-based

    def error(self, message):
        raise ConfError(message, self.line + 1)

    def cur(self):
        return self.text[self.pos] if self.pos < self.end else ""

    def advance(self):
        if self.text[self.pos] == "\n":
            self.line += 1
        self.pos += 1

    def skip_blanks(self):
        while self.pos < self.end and self.text[self.pos] in " \t":
            self.pos += 1

    def skip_blanks_and_eol(self):
        while self.pos < self.end and self.text[self.pos] in " \t\r\n":
            self.advance()

    def skip_comment(self):
        while self.pos < self.end and self.text[self.pos] not in "\r\n":
            self.pos += 1

    def parse(self):
        entries = []
        while self.pos < self.end:
            self.skip_blanks_and_eol()
            if self.pos >= self.end:
                break
            char = self.cur()
            if char == "#":
                self.skip_comment()
                continue
            entries.append(self.statement())
        return entries

    def statement(self):
        first = self.line
        match = _NAME.match(self.text, self.pos)
        if not match:
            self.error("expecting a name, found %r" % self.cur())
        name = match.group(0)
        self.pos = match.end()
        self.skip_blanks()
        if self.cur() != "=":
            self.error("expecting an assignment '=' after %r" % name)
        self.pos += 1
        self.skip_blanks()
        value = self.value()
        last = self.line
        self.skip_blanks()
        if self.cur() == ";":
            self.pos += 1
            self.skip_blanks()
        if self.cur() == "#":
            self.skip_comment()
        if self.pos < self.end and self.cur() not in "\r\n":
            self.error("expecting a separator (end of line) after the value of %r, found %r" % (name, self.cur()))
        return Entry(name, value, first, last)

    def value(self):
        char = self.cur()
        if char == "":
            self.error("expecting a value, found the end of the file")
        if char == "'":
            return self.simple_string("'")
        if self.text.startswith('"""', self.pos):
            start_line = self.line
            start = self.pos + 3
            close = self.text.find('"""', start)
            if close < 0:
                self.line = start_line
                self.error("unterminated triple-quoted string")
            while self.pos < close + 3:
                self.advance()
            return self.text[start:close]
        if char == '"':
            return self.simple_string('"')
        if char in "0123456789+-":
            start = self.pos
            self.pos += 1
            while self.pos < self.end and self.text[self.pos].isdigit():
                self.pos += 1
            digits = self.text[start:self.pos]
            if digits in ("+", "-"):
                self.error("expecting a number after %r" % digits)
            return int(digits)
        if char == "[":
            return self.list()
        self.error("expecting a value (a number, a quoted string or a [list]), found %r" % char)
        return None  # not reached

    def simple_string(self, quote):
        self.pos += 1
        start = self.pos
        while self.pos < self.end and self.text[self.pos] != quote and self.text[self.pos] not in "\r\n":
            self.pos += 1
        if self.cur() != quote:
            self.error("unterminated string (no closing %s on this line)" % quote)
        value = self.text[start:self.pos]
        self.pos += 1
        return value

    def unclosed(self, start_line):
        if self.pos >= self.end:
            self.line = start_line
            self.error("list is not closed with ]")

    def list(self):
        start_line = self.line
        self.pos += 1
        items = []
        self.skip_blanks_and_eol()
        self.unclosed(start_line)
        if self.cur() == "]":
            self.pos += 1
            return items
        items.append(self.value())
        self.skip_blanks_and_eol()
        while self.pos < self.end and self.cur() != "]":
            if self.cur() != ",":
                self.error("expecting ',' or ']' in the list opened on line %d, found %r" % (start_line + 1, self.cur()))
            self.pos += 1
            self.skip_blanks_and_eol()
            self.unclosed(start_line)
            if self.cur() == "]":
                break
            items.append(self.value())
            self.skip_blanks_and_eol()
        if self.cur() != "]":
            self.line = start_line
            self.error("list is not closed with ]")
        self.pos += 1
        return items


def parse_entries(text, path=None):
    """Parse a configuration text into a list of Entry (file order); raise ConfError."""
    parser = _Parser(text)
    try:
        return parser.parse()
    except ConfError as exc:
        if path and not exc.path:
            raise ConfError(exc.reason, exc.line, path) from None
        raise


def parse(text, path=None):
    """Parse a configuration text into a dict name -> value (first occurrence wins)."""
    result = {}
    for entry in parse_entries(text, path):
        result.setdefault(entry.name, entry.value)
    return result


# The types libvirt's own schemas (the augeas lenses it ships: libvirtd.aug,
# libvirtd_qemu.aug, virtlogd.aug, virtlockd.aug, libvirt_lockd.aug, libvirt_sanlock.aug)
# give the keys that are not strings. The daemons refuse a quoted number for these
# ("expected a numeric value"), and how a Jinja result reaches a module (int or str)
# differs between ansible-core releases: a key of a known type is written in that type
# whatever it arrived as. The modular daemons' files (virtqemud.conf, virtproxyd.conf...)
# use the same keys as libvirtd.conf.
BOOLEAN_KEYS = frozenset("""
    admin_keepalive_required audit_logging keepalive_required listen_tcp listen_tls
    tls_no_sanity_certificate tls_no_verify_certificate
    allow_disk_format_probing auto_dump_bypass_cache auto_start_bypass_cache backup_tls_x509_verify
    chardev_tls chardev_tls_x509_verify clear_emulator_capabilities default_tls_x509_verify
    dump_guest_core dynamic_ownership log_timestamp mac_filter migrate_tls_force migrate_tls_x509_verify
    nbd_tls nographics_allow_host_audio relaxed_acs_check remember_owner security_default_confined
    security_require_confined set_process_name spice_auto_unix_socket spice_sasl spice_tls
    virtiofsd_debug vnc_allow_host_audio vnc_auto_unix_socket vnc_sasl vnc_tls vnc_tls_x509_verify vxhs_tls
    auto_disk_leases require_lease_for_disks ignore_readonly_and_shared_disks
""".split())
INTEGER_KEYS = frozenset("""
    admin_keepalive_count admin_keepalive_interval admin_max_client_requests admin_max_clients
    admin_max_queued_clients admin_max_workers admin_min_workers audit_level keepalive_count
    keepalive_interval log_level max_anonymous_clients max_client_requests max_clients
    max_queued_clients max_workers min_workers ovs_timeout prio_workers tcp_min_ssf
    gluster_debug_level max_files max_processes max_queued max_threads_per_process
    migration_port_max migration_port_min remote_display_port_max remote_display_port_min
    remote_websocket_port_max remote_websocket_port_min seccomp_sandbox
    max_backups max_size max_age_days host_id io_timeout
""".split())
# Keys that take a number or one word (qemu.conf max_core = "unlimited").
NUMBER_OR_WORD_KEYS = {"max_core": ("unlimited",)}
# Strings that look like numbers: an octal mode written as a YAML integer (0770) arrives
# as 504 and must not be written as "504".
OCTAL_STRING_KEYS = frozenset(("unix_sock_ro_perms", "unix_sock_rw_perms", "unix_sock_admin_perms"))
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_BOOLEAN_TEXT = {"true": 1, "yes": 1, "on": 1, "false": 0, "no": 0, "off": 0}


def _typed(value, name):
    """A value for a key whose type libvirt's schema fixes; raise ConfError on a mismatch."""
    if name in OCTAL_STRING_KEYS:
        if isinstance(value, str) and re.fullmatch(r"0?[0-7]{3,4}", value):
            return value
        raise ConfError("%s must be an octal mode as a string, e.g. \"0770\" (quote it in YAML), got %r" % (name, value))
    if isinstance(value, bool):
        return 1 if value else 0
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and _INTEGER_TEXT.fullmatch(text):
        text = int(text)
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    if name in BOOLEAN_KEYS:
        if isinstance(text, str) and text.lower() in _BOOLEAN_TEXT:
            return _BOOLEAN_TEXT[text.lower()]
        if text in (0, 1) and not isinstance(text, str):
            return text
        raise ConfError("%s is a boolean in libvirt (0 or 1), got %r" % (name, value))
    if isinstance(text, int):
        return text
    if isinstance(text, str) and text in NUMBER_OR_WORD_KEYS.get(name, ()):
        return text
    raise ConfError("%s must be an integer in libvirt, got %r" % (name, value))


def normalize(value, name="value"):
    """Turn a value given by a user (str, int, bool, list) into libvirt's model (str, int, list).

    A key whose type libvirt's schema fixes (BOOLEAN_KEYS, INTEGER_KEYS...) gets that type,
    whether the value arrived as a number or as its text."""
    if name in BOOLEAN_KEYS or name in INTEGER_KEYS or name in NUMBER_OR_WORD_KEYS or name in OCTAL_STRING_KEYS:
        if isinstance(value, (list, tuple, dict)) or value is None:
            raise ConfError("%s cannot be a %s" % (name, type(value).__name__))
        return _typed(value, name)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            raise ConfError("%s: a value must not contain a line break" % name)
        return value
    if isinstance(value, (list, tuple)):
        return [normalize(item, name) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ConfError("%s: cannot write a %s (use a string, an integer, a boolean or a list)" % (name, type(value).__name__))


def format_value(value):
    """Render a value in libvirt syntax (strings quoted with a quote kind they do not contain)."""
    value = normalize(value)
    if isinstance(value, int):
        return "%d" % value
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(format_value(item) for item in value) + " ]"
    if '"' not in value:
        return '"%s"' % value
    if "'" not in value:
        return "'%s'" % value
    if '"""' not in value and not value.endswith('"'):
        return '"""%s"""' % value
    raise ConfError("cannot quote %r: it holds both quote kinds and ends with a double quote" % value)


def format_line(name, value):
    if not _NAME.fullmatch(name or ""):
        raise ConfError("%r is not a valid libvirt setting name" % (name,))
    return "%s = %s" % (name, format_value(value))


def _commented_block(lines, name):
    """Index of the last line of the commented-out assignment of name, or None.

    libvirt ships its defaults as ``#name = value`` at the start of a line; those are
    preferred over indented examples inside the prose (``#   name = [ ... ]``).
    """
    candidates = []
    for number, line in enumerate(lines):
        match = _COMMENTED_KEY.match(line)
        if match and match.group("name") == name:
            candidates.append((0 if line.startswith("#" + name) else 1, number, match))
    for dummy, number, match in sorted(candidates, key=lambda c: c[:2])[:1]:
        rest = match.group("rest").strip()
        if rest.startswith("[") and "]" not in rest:
            end = number
            for follow in range(number + 1, min(len(lines), number + 200)):
                if not lines[follow].lstrip().startswith("#"):
                    break
                end = follow
                if "]" in lines[follow]:
                    break
            return end
        return number
    return None


class EditResult:
    __slots__ = ("text", "changed_keys", "config")

    def __init__(self, text, changed_keys, config):
        self.text = text
        self.changed_keys = changed_keys
        self.config = config


def edit(text, settings=None, absent=None, path=None):
    """Apply settings (name -> value) and remove keys in absent; return an EditResult.

    Untouched lines are kept as they are; a value equal to the wanted one is not
    rewritten (its formatting is kept). Later duplicates of a set or removed key are
    removed, so the file says one thing. Raises ConfError on a malformed input.
    """
    settings = dict(settings or {})
    absent = list(absent or [])
    for name in list(settings) + absent:
        if not _NAME.fullmatch(str(name)):
            raise ConfError("%r is not a valid libvirt setting name" % (name,))
    both = sorted(set(settings) & set(absent))
    if both:
        raise ConfError("key(s) both set and absent: %s" % ", ".join(both))
    wanted = dict((name, normalize(value, name)) for name, value in settings.items())
    entries = parse_entries(text, path)
    lines = text.splitlines(True)
    newline = "\n"
    replace = {}  # first line -> (last line, replacement text or "")
    changed = []
    seen = set()
    for entry in entries:
        if entry.name in absent:
            replace[entry.first] = (entry.last, "")
            if entry.name not in changed:
                changed.append(entry.name)
        elif entry.name in wanted:
            if entry.name in seen:
                replace[entry.first] = (entry.last, "")
                if entry.name not in changed:
                    changed.append(entry.name)
                continue
            seen.add(entry.name)
            if entry.value != wanted[entry.name] or type(entry.value) is not type(wanted[entry.name]):
                replace[entry.first] = (entry.last, format_line(entry.name, wanted[entry.name]) + newline)
                changed.append(entry.name)
    inserts = {}  # after line index -> [text]
    appended = []
    for name, value in wanted.items():
        if name in seen:
            continue
        changed.append(name)
        anchor = _commented_block(lines, name)
        new = format_line(name, value) + newline
        if anchor is None:
            appended.append(new)
        else:
            inserts.setdefault(anchor, []).append(new)
    out = []
    number = 0
    while number < len(lines):
        if number in replace:
            last, new = replace[number]
            out.append(new)
            for skipped in range(number, last + 1):
                if skipped in inserts and skipped != last:
                    out.extend(inserts.pop(skipped))
            end = last
        else:
            line = lines[number]
            out.append(line)
            end = number
        if end in inserts:
            if not out[-1].endswith("\n") and out[-1]:
                out[-1] += newline
            out.extend(inserts.pop(end))
        number = end + 1
    if appended:
        if out and not out[-1].endswith("\n"):
            out[-1] += newline
        out.extend(appended)
    new_text = "".join(out)
    config = parse(new_text, path)
    return EditResult(new_text, changed, config)


# libvirt's documented defaults for the keys the controls judge, as the daemons of
# libvirt 9.x apply them when the key is absent (see the comments of the shipped
# qemu.conf / libvirtd.conf and https://libvirt.org/remote.html). A default that
# depends on the build (polkit) or the distribution is written as the Debian/RHEL
# packages build it; None means "unset" (the feature is off / no list).
DEFAULTS = {
    "qemu.conf": {
        "vnc_listen": "127.0.0.1",
        "vnc_tls": 0,
        "vnc_tls_x509_verify": 0,
        "vnc_sasl": 0,
        "vnc_password": None,
        "vnc_auto_unix_socket": 0,
        "spice_listen": "127.0.0.1",
        "spice_tls": 0,
        "spice_password": None,
        "spice_sasl": 0,
        "remote_display_port_min": 5900,
        "remote_display_port_max": 65535,
        "chardev_tls": 0,
        "chardev_tls_x509_verify": 1,
        "nbd_tls": 0,
        "migrate_tls_force": 0,
        "migration_address": "0.0.0.0",
        "migration_host": None,
        "security_driver": None,
        "security_default_confined": 1,
        "security_require_confined": 0,
        # the packages build their own QEMU account in (Debian: libvirt-qemu, RHEL: qemu);
        # hypervisor.gather_config resolves these from the accounts that exist
        "user": "root",
        "group": "root",
        "dynamic_ownership": 1,
        "remember_owner": 1,
        "cgroup_device_acl": ["/dev/null", "/dev/full", "/dev/zero", "/dev/random",
                              "/dev/urandom", "/dev/ptmx", "/dev/kvm"],
        "seccomp_sandbox": 1,
        "namespaces": ["mount"],
        "max_core": 0,
        "dump_guest_core": 0,
        "stdio_handler": "logd",
        "max_processes": 0,
        "max_files": 0,
        "relaxed_acs_check": 0,
        "lock_manager": None,
        "set_process_name": 0,
        "clear_emulator_capabilities": 1,
        "vnc_allow_host_audio": 0,
        "nographics_allow_host_audio": 0,
        "memory_backing_dir": "/var/lib/libvirt/qemu/ram",
        "hugetlbfs_mount": None,
        "deprecation_behavior": "none",
    },
    "libvirtd.conf": {
        "listen_tls": 1,
        "listen_tcp": 0,
        "listen_addr": None,
        "unix_sock_group": "root",
        "unix_sock_ro_perms": "0777",
        # libvirt built with polkit (Debian, RHEL) opens the R/W socket to everyone (0777) and lets polkit decide
        "unix_sock_rw_perms": "0777",
        "unix_sock_admin_perms": "0700",
        "unix_sock_dir": "/run/libvirt",
        "auth_unix_ro": "polkit",
        "auth_unix_rw": "polkit",
        "auth_tcp": "sasl",
        "auth_tls": "none",
        "access_drivers": [],
        "tls_no_sanity_certificate": 0,
        "tls_no_verify_certificate": 0,
        "tls_allowed_dn_list": None,
        "tls_priority": None,
        "sasl_allowed_username_list": None,
        "tcp_min_ssf": 56,
        "audit_level": 1,
        "audit_logging": 0,
        "max_clients": 5000,
        "max_anonymous_clients": 20,
        "log_outputs": None,
        "admin_max_clients": 5,
    },
}
# The modular daemons read the same keys as libvirtd, each its own file.
DEFAULTS["virtqemud.conf"] = dict((k, v) for k, v in DEFAULTS["libvirtd.conf"].items()
                                  if not k.startswith(("listen_", "tcp_", "tls_", "auth_tcp", "auth_tls")))
DEFAULTS["virtproxyd.conf"] = dict(DEFAULTS["libvirtd.conf"])
# virtlogd.conf: 2 MiB per file, 3 rotated copies (max_size = 0 disables rollover).
DEFAULTS["virtlogd.conf"] = {"max_size": 2097152, "max_backups": 3, "max_age_days": 0}
# qemu-lockd.conf: leases are automatic; requiring them defaults to the opposite.
DEFAULTS["qemu-lockd.conf"] = {"auto_disk_leases": 1, "require_lease_for_disks": 0}


def effective(values, file_name):
    """Merge parsed values over libvirt's defaults for file_name (unknown keys are kept)."""
    merged = dict(DEFAULTS.get(file_name, {}))
    merged.update(values or {})
    return merged
