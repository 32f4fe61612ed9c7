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
    systemctl_show,
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
    facts["rescue"] = {}
    for unit in ("rescue.service", "emergency.service"):
        props = systemctl_show(module, unit, ["ExecStart", "Environment"])
        facts["rescue"][unit] = {"exec_start": props.get("ExecStart", ""), "environment": props.get("Environment", "")}

    facts["debug_shell"] = unit_file_state(module, "debug-shell.service")
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


def _systemd_setting(main_text, dropins, key):
    value = None
    for text in [main_text] + [read_text(p) or "" for p in dropins]:
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(key + "="):
                value = line.split("=", 1)[1].strip()
    return value
