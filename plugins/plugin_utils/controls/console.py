# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console controls (CON-001..): local and console access, sudo and su.

Facts: ``audit_facts.console`` (module_utils/gather/console.py).
"""

from __future__ import annotations

import re

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect,
    load,
    failed,
    not_applicable,
    passed,
)

AREA = "console"
SOURCE = "console"
# Escapes agetty expands to the OS name, release, version or machine; and plain OS names.
_DISCLOSING = re.compile(r"\\[rsvmo]|debian|ubuntu|gnu/linux|red hat|centos|rocky|alma", re.I)


def sudo_defaults(src):
    """Global sudo Defaults as {option: value} (True for flags, False for !flags); later wins."""
    options = {}
    for entry in src.get("sudo", {}).get("lines", []):
        line = entry["line"]
        match = re.match(r"^Defaults(\s+|$)(?P<rest>.*)$", line)
        if not match:
            continue
        for item in re.findall(r'(?:[^,"]|"[^"]*")+', match.group("rest")):
            item = item.strip()
            if not item:
                continue
            if "=" in item:
                key, value = item.split("=", 1)
                options[key.strip().rstrip("+-")] = value.strip().strip('"')
            elif item.startswith("!"):
                options[item[1:].strip()] = False
            else:
                options[item] = True
    return options


def _sudo_readable(src):
    sudo = src.get("sudo") or {}
    if not sudo.get("installed"):
        return "sudo is not installed"
    if not sudo.get("readable"):
        raise LookupError("sudoers could not be read (run the audit with become)")
    return None


def _ctrl_alt_del(src, facts):
    cad = src.get("ctrl_alt_del") or {}
    state, burst = cad.get("state"), cad.get("burst_action")
    return expect(state == "masked" and burst == "none",
                  "ctrl-alt-del.target %s, CtrlAltDelBurstAction %s" % (state or "unknown", burst or "unset (reboot-force)"))


def _rescue(src, facts):
    # What sulogin will do at the console, as the gatherer worked it out from root's
    # password state and SYSTEMD_SULOGIN_FORCE in each unit's final environment.
    rescue = src.get("rescue") or {}
    bad, notes = [], []
    for unit in ("rescue.service", "emergency.service"):
        state = rescue.get(unit) or {}
        if "sulogin" not in state.get("exec_start", ""):
            bad.append("%s runs without sulogin" % unit)
            continue
        outcome = state.get("sulogin")
        if outcome == "unknown":
            raise LookupError("/etc/shadow could not be read (run the audit with become)")
        if outcome == "shell":
            bad.append("%s: sulogin opens a root shell WITHOUT a password (root password %s, SYSTEMD_SULOGIN_FORCE %s)"
                       % (unit, rescue.get("root_password"), "set" if state.get("sulogin_force") else "unset"))
        elif outcome in ("password", "closed"):
            notes.append("%s: %s" % (unit, "sulogin asks for root's password" if outcome == "password"
                                     else "sulogin opens no shell (root is locked)"))
        else:
            bad.append("%s: sulogin's behaviour unknown (facts from an older gatherer?)" % unit)
    return expect(not bad, "; ".join(bad) if bad else "; ".join(notes))


def _debug_shell(src, facts):
    state = src.get("debug_shell") or "unknown"
    return expect(state in ("masked", "not-found"), "debug-shell.service %s" % state)


def _root_login(src, facts):
    root = src.get("root_login") or {}
    if not root.get("pam_access"):
        return failed("login does not use pam_access: root may log in on every terminal")
    deny_all = [r for r in root.get("rules", []) if re.match(r"^-\s*:\s*root\s*:\s*ALL\s*$", r)]
    return expect(bool(deny_all), "%s: %s" % (root.get("access_file"), "; ".join(root.get("rules", [])) or "no rules"))


def _tmout(src, facts):
    entries = src.get("tmout") or []
    good = [e for e in entries if 0 < e["value"] <= 900 and e["readonly"]]
    if good:
        return passed("TMOUT=%d readonly in %s" % (good[0]["value"], good[0]["path"]))
    return failed("; ".join("TMOUT=%d in %s%s" % (e["value"], e["path"], "" if e["readonly"] else " (not readonly)")
                            for e in entries) or "no TMOUT set for login shells")


def _banners(src, facts):
    banners = src.get("banners") or {}
    bad = []
    for path in ("/etc/issue", "/etc/issue.net"):
        text = banners.get(path)
        if not (text or "").strip():
            bad.append("%s is empty or missing" % path)
        elif _DISCLOSING.search(text):
            bad.append("%s discloses the OS (%s)" % (path, _DISCLOSING.search(text).group(0)))
    return expect(not bad, "; ".join(bad) if bad else "/etc/issue and /etc/issue.net carry a policy text only")


def _sudo_flag(option, wanted=True):
    def check(src, facts):
        reason = _sudo_readable(src)
        if reason:
            return not_applicable(reason)
        value = sudo_defaults(src).get(option)
        return expect(value == wanted if wanted is True else bool(value), "Defaults %s: %s" % (option, value))
    return check


def _sudo_nopasswd(src, facts):
    reason = _sudo_readable(src)
    if reason:
        return not_applicable(reason)
    bad = ["%s: %s" % (e["path"], e["line"]) for e in src["sudo"]["lines"]
           if "NOPASSWD" in e["line"] or "!authenticate" in e["line"]]
    return expect(not bad, "; ".join(bad) if bad else "every sudo rule asks for a password")


def _sudo_timeout(src, facts):
    reason = _sudo_readable(src)
    if reason:
        return not_applicable(reason)
    value = sudo_defaults(src).get("timestamp_timeout")
    try:
        minutes = float(value) if value is not None else 15.0  # sudo's default
    except ValueError:
        return failed("timestamp_timeout %r is not a number" % value)
    shown = "%s" % value if value is not None else "15 (default)"
    return expect(0 <= minutes <= 15, "timestamp_timeout %s" % shown)


def _su(src, facts):
    su = src.get("su") or {}
    if not su.get("pam_file"):
        return not_applicable("/etc/pam.d/su does not exist")
    return expect(su.get("pam_wheel"), "pam_wheel in /etc/pam.d/su: %s" % (" ".join(su.get("pam_wheel_args") or []) or "absent"))


def _bootloader(src, facts):
    container = (facts.get("audit") or {}).get("container")
    if container:
        return not_applicable("runs in a %s container: there is no bootloader" % container)
    boot = src.get("bootloader") or {}
    if not boot.get("config"):
        return not_applicable("no GRUB configuration found")
    if not boot.get("readable"):
        raise LookupError("%s could not be read (run the audit with become)" % boot["config"])
    return expect(boot.get("superusers") and boot.get("password_pbkdf2"),
                  "%s: superusers %s, password_pbkdf2 %s" % (boot["config"], boot.get("superusers"), boot.get("password_pbkdf2")))


# kernel.sysrq bits that reboot or power off (128), signal every process (64), or enable all (1).
_SYSRQ_DANGEROUS = 1 | 64 | 128


def _sysrq_value(text):
    try:
        return int(str(text), 0)
    except (TypeError, ValueError):
        return None


def _sysrq(src, facts):
    sysrq = src.get("sysrq") or {}
    persisted = sysrq.get("persisted") or {}
    bad, seen = [], []
    pvalue = _sysrq_value(persisted.get("value"))
    if persisted.get("value") is None:
        bad.append("kernel.sysrq not set in sysctl.d (the kernel's build default applies at boot)")
    elif pvalue is None or pvalue & _SYSRQ_DANGEROUS:
        bad.append("kernel.sysrq = %s at boot (%s)" % (persisted.get("value"), persisted.get("path")))
    else:
        seen.append("kernel.sysrq = %s at boot (%s)" % (persisted["value"], persisted.get("path")))
    # A container's /proc/sys is its host's: only what would apply at boot is judged.
    if not (facts.get("audit") or {}).get("container"):
        running = _sysrq_value(sysrq.get("running"))
        if running is None or running & _SYSRQ_DANGEROUS:
            bad.append("running kernel.sysrq = %s" % sysrq.get("running"))
        else:
            seen.append("running kernel.sysrq = %s" % running)
    return expect(not bad, "; ".join(bad) if bad else "; ".join(seen))


CONTROLS = load(__name__, AREA, SOURCE)
