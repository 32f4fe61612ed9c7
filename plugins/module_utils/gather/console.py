# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what the console controls judge: Ctrl-Alt-Del, rescue/emergency login, idle
shell timeout, banners, sudo defaults and rules, su restriction, bootloader password."""

from __future__ import annotations

import os
import re

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import (
    file_mode,
    files_in,
    read_text,
    sysctl_files,
    sysctl_persisted,
    sysctl_running,
    systemctl_show_many,
    unit_file_state,
)

_TMOUT = re.compile(r"^\s*(?:readonly\s+|declare\s+-r\s+|export\s+)*TMOUT=['\"]?(\d+)['\"]?", re.M)
_READONLY = re.compile(r"^\s*(?:readonly|declare\s+-r[x]*|typeset\s+-r)\s+(?:TMOUT\b|.*\bTMOUT\b)", re.M)
_PAM_ACCESS = re.compile(r"^\s*(?:auth|account)\s+(?:required|requisite)\s+pam_access\.so(?:[^\n]*?accessfile=(?P<file>\S+))?", re.M)
_PAM_WHEEL = re.compile(r"^\s*auth\s+(?:required|requisite)\s+pam_wheel\.so(?P<args>[^\n]*)$", re.M)


def sudoers_lines(text):
    """Logical lines of a sudoers file: comments dropped, backslash continuations joined."""
    lines, current = [], ""
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if current:
            line = current.rstrip() + " " + line.lstrip()
            current = ""
        if line.endswith("\\"):
            current = line[:-1]
            continue
        stripped = line.strip()
        # "#include"/"#includedir" are directives, not comments.
        if not stripped or (stripped.startswith("#") and not stripped.startswith(("#include", "#includedir"))):
            continue
        lines.append(stripped)
    if current.strip():
        lines.append(current.strip())
    return lines


# What systemd's getenv_bool() takes for true (parse_boolean); anything else is false.
_SYSTEMD_TRUE = ("1", "yes", "y", "true", "t", "on")


def root_password_state(shadow_text):
    """How usable root's password is, from /etc/shadow's text, without returning the hash.

    "usable" (a crypt hash: sulogin asks for it), "empty" (no password at all),
    "locked" (starts with ! or *, as passwd -l and most cloud images leave it),
    "missing" (no root line), or "unknown" (shadow could not be read).
    """
    if shadow_text is None:
        return "unknown"
    for line in shadow_text.splitlines():
        fields = line.split(":")
        if fields[0] != "root":
            continue
        hashed = fields[1] if len(fields) > 1 else ""
        if hashed == "":
            return "empty"
        # util-linux sulogin's locked_account_password(): the first character only.
        if hashed[0] in "!*":
            return "locked"
        return "usable"
    return "missing"


def env_assignments(value):
    """{name: value} from systemd's Environment/DefaultEnvironment property text (later wins)."""
    result = {}
    for item in re.findall(r'"[^"]*"|\S+', value or ""):
        item = item.strip('"')
        if "=" in item:
            name, val = item.split("=", 1)
            result[name] = val
    return result


def sulogin_forced(default_environment, environment, unset_environment):
    """Whether systemd-sulogin-shell passes --force to sulogin: SYSTEMD_SULOGIN_FORCE is
    true in the unit's final environment (manager default, then the unit, minus
    UnsetEnvironment=, which systemd applies last)."""
    env = env_assignments(default_environment)
    env.update(env_assignments(environment))
    for item in (unset_environment or "").split():
        name, val = item.strip('"').partition("=")[::2]
        if name in env and (not val or env[name] == val):
            del env[name]
    return env.get("SYSTEMD_SULOGIN_FORCE", "").strip().lower() in _SYSTEMD_TRUE


def sulogin_outcome(root_password, forced):
    """What util-linux sulogin does at the console, as a pure function of the facts.

    "password": asks for root's password and opens a shell only with it;
    "shell": opens a root shell with NO password (empty hash; or --force with root
    locked, missing or unreadable: sulogin(8) -e);
    "closed": nobody gets a shell ("the root account is locked", or no hash to match);
    "unknown": shadow could not be read here.
    """
    if root_password == "usable":
        return "password"
    if root_password == "empty":
        return "shell"
    if root_password == "unknown":
        return "shell" if forced else "unknown"
    return "shell" if forced else "closed"


_TTY_NAME = re.compile(r"^[A-Za-z]+[0-9]+$")


def _console_name(value, current_vt):
    """A console= value or an `active` entry -> the terminal a getty runs on, or None.

    ``ttyS1,115200n8`` -> ttyS1; ``tty0`` (the current virtual terminal) -> the VT that
    /sys/class/tty/tty0/active names, tty1 if unknown; ``lp0``, ``netcon0`` and
    ``null`` carry no login and are dropped.
    """
    name = (value or "").split(",", 1)[0].strip()
    if name.startswith("/dev/"):
        name = name[len("/dev/"):]
    if name == "tty0":
        name = current_vt or "tty1"
    if not _TTY_NAME.match(name) or name.startswith(("lp", "netcon", "ttyprintk")):
        return None
    return name


def host_consoles(root="/"):
    """The consoles this host really has: where the kernel writes its console output.

    Read from the kernel command line (``console=``, the last one is /dev/console) and
    /sys/class/tty/console/active, not from /dev: the 8250 driver creates ttyS0-ttyS3
    whether a port exists or not. ttyS1 for IPMI Serial-over-LAN, hvc0 (Xen, KVM
    virtio-console, POWER) and ttyAMA0 (Arm) come out as they are configured.

    ``root`` is the file system root, for tests on a fake /proc and /sys.
    Returns {"cmdline": [...], "active": [...], "consoles": [...]} where consoles is
    the ordered union (cmdline first), or [] when neither source names any.
    """
    def path(*parts):
        return os.path.join(root, *parts)

    current_vt = (read_text(path("sys", "class", "tty", "tty0", "active")) or "").strip().split()
    current_vt = current_vt[-1] if current_vt else None
    cmdline = []
    for word in (read_text(path("proc", "cmdline")) or "").split():
        if word.startswith("console="):
            name = _console_name(word[len("console="):], current_vt)
            if name and name not in cmdline:
                cmdline.append(name)
    active = []
    for word in (read_text(path("sys", "class", "tty", "console", "active")) or "").split():
        name = _console_name(word, current_vt)
        if name and name not in active:
            active.append(name)
    consoles = list(cmdline)
    consoles.extend(name for name in active if name not in consoles)
    return {"cmdline": cmdline, "active": active, "consoles": consoles}


def _sudoers_files():
    # sudo skips files in sudoers.d whose names contain a dot or end in "~".
    extra = [p for p in files_in("/etc/sudoers.d/*") if "." not in os.path.basename(p) and not p.endswith("~")]
    return ["/etc/sudoers"] + extra


def gather(module):
    facts = {}
    facts["ctrl_alt_del"] = {"state": unit_file_state(module, "ctrl-alt-del.target"),
                             "burst_action": _systemd_setting(read_text("/etc/systemd/system.conf") or "",
                                                              files_in("/etc/systemd/system.conf.d/*.conf"),
                                                              "CtrlAltDelBurstAction")}
    # Only the state of root's password leaves the host, never the hash.
    root_password = root_password_state(read_text("/etc/shadow"))
    default_env = _manager_default_environment(module)
    facts["rescue"] = {"root_password": root_password}
    units = systemctl_show_many(module, ["rescue.service", "emergency.service"],
                                ["ExecStart", "Environment", "UnsetEnvironment"])
    for unit, props in units.items():
        forced = sulogin_forced(default_env, props.get("Environment", ""), props.get("UnsetEnvironment", ""))
        facts["rescue"][unit] = {"exec_start": props.get("ExecStart", ""), "environment": props.get("Environment", ""),
                                 "unset_environment": props.get("UnsetEnvironment", ""), "sulogin_force": forced,
                                 "sulogin": sulogin_outcome(root_password, forced)}

    facts["debug_shell"] = unit_file_state(module, "debug-shell.service")
    facts["terminals"] = host_consoles()
    facts["sysrq"] = {"running": sysctl_running("kernel.sysrq"),
                      "persisted": sysctl_persisted("kernel.sysrq", sysctl_files())}
    login_text = read_text("/etc/pam.d/login") or ""
    access = _PAM_ACCESS.search(login_text)
    access_file = (access.group("file") or "/etc/security/access.conf") if access else None
    facts["root_login"] = {"pam_access": bool(access), "access_file": access_file,
                           "rules": [line.strip() for line in (read_text(access_file) or "").splitlines()
                                     if line.strip() and not line.strip().startswith("#")] if access_file else []}

    tmout = []
    for path in ["/etc/profile", "/etc/bash.bashrc"] + files_in("/etc/profile.d/*.sh"):
        text = read_text(path) or ""
        for match in _TMOUT.finditer(text):
            tmout.append({"path": path, "value": int(match.group(1)), "readonly": bool(_READONLY.search(text))})
    facts["tmout"] = tmout

    facts["banners"] = {}
    for path in ("/etc/issue", "/etc/issue.net", "/etc/motd"):
        facts["banners"][path] = read_text(path, limit=8192)

    lines, files = [], []
    for path in _sudoers_files():
        text = read_text(path)
        if text is None:
            continue
        files.append(file_mode(path))
        lines.extend({"path": path, "line": line} for line in sudoers_lines(text))
    facts["sudo"] = {"installed": bool(module.get_bin_path("sudo")), "files": files, "lines": lines,
                     "readable": bool(files)}

    su_text = read_text("/etc/pam.d/su")
    wheel = _PAM_WHEEL.search(su_text or "")
    facts["su"] = {"pam_file": su_text is not None, "pam_wheel": bool(wheel),
                   "pam_wheel_args": wheel.group("args").split() if wheel else []}

    grub_cfg = next((p for p in ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg") if os.path.exists(p)), None)
    grub_text = read_text(grub_cfg) if grub_cfg else None
    facts["bootloader"] = {"config": grub_cfg, "readable": grub_text is not None,
                           "superusers": bool(re.search(r"^\s*set\s+superusers=", grub_text or "", re.M)),
                           "password_pbkdf2": "password_pbkdf2" in (grub_text or "")}
    return facts


def _manager_default_environment(module):
    """The service manager's DefaultEnvironment (system.conf, systemd.setenv= on the kernel command line)."""
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return ""
    rc, out, err = module.run_command([systemctl, "show", "--no-pager", "-p", "DefaultEnvironment"])
    return out.strip().partition("=")[2] if rc == 0 else ""


def _systemd_setting(main_text, dropins, key):
    value = None
    for text in [main_text] + [read_text(p) or "" for p in dropins]:
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(key + "="):
                value = line.split("=", 1)[1].strip()
    return value
