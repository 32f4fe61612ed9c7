# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The patching controls (PAT-001..): security updates arrive on their own, nothing is
pending, and nothing still runs code that an update replaced.

Facts: ``audit_facts.patching`` (gather_patching.py).
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    Control,
    expect,
    failed,
    not_applicable,
    passed,
)
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
    OriginPatternError,
    any_match,
    compile_patterns,
    reference_security_origins,
)

AREA = "patching"
SOURCE = "patching"
_NIST = "NIST SP 800-40 Rev. 4 (enterprise patch management)"
_CIS = "CIS Debian Linux 12 Benchmark 1.9 (updates)"
_KVM = "NIST SP 800-125A Rev. 1 HY-SR-1 (hypervisor updates)"
MAX_LIST_AGE = 2 * 24 * 3600


def _unattended_installed(src, facts):
    installed = (src.get("installed") or {}).get("unattended-upgrades")
    return expect(installed, "unattended-upgrades %s" % ("installed" if installed else "not installed"))


def _periodic(src, facts):
    config = src.get("apt_config") or {}
    lists = config.get("APT::Periodic::Update-Package-Lists", "0")
    upgrade = config.get("APT::Periodic::Unattended-Upgrade", "0")
    ok = lists not in ("", "0") and upgrade not in ("", "0")
    return expect(ok, "APT::Periodic::Update-Package-Lists %s, APT::Periodic::Unattended-Upgrade %s" % (lists, upgrade))


def _distro(src):
    distro = src.get("distro") or {}
    return (distro.get("id") or "").capitalize(), distro.get("codename") or ""


def _security_origin(src, facts):
    """A configured pattern must MATCH the security archive's origin, field by field.

    The origins come from the host's own Release files of the security suite when they
    were downloaded, else from the distribution's known values. Searching the patterns for
    the word "security" would accept "o=Debian,a=insecurity" and miss "l=*-Security"-less
    forms that do match.
    """
    config = src.get("apt_config") or {}
    patterns = [p for p in (config.get("Unattended-Upgrade::Origins-Pattern") or []) if p]
    patterns += [p for p in (config.get("Unattended-Upgrade::Allowed-Origins") or []) if p]
    distro_id, codename = _distro(src)
    origins = (src.get("apt_sources") or {}).get("release_origins") or reference_security_origins(distro_id, codename)
    matching = []
    for pattern in patterns:
        try:
            compiled = compile_patterns([pattern], distro_id, codename)
        except OriginPatternError:
            # Allowed-Origins uses "origin:archive", not key=value
            origin, sep, archive = pattern.partition(":")
            compiled = compile_patterns(["o=%s,a=%s" % (origin.replace(",", "\\,"), archive.replace(",", "\\,"))], distro_id,
                                        codename) if sep else []
        if compiled and any_match(compiled, origins):
            matching.append(pattern)
    return expect(bool(matching), "patterns matching the security archive (%s): %s" % (
        ", ".join("%s/%s" % (o["origin"], o["codename"]) for o in origins),
        ", ".join(matching) or "none (of %d patterns)" % len(patterns)))


def _security_source(src, facts):
    sources = src.get("apt_sources") or {}
    if sources.get("error"):
        raise LookupError(sources["error"])
    if sources.get("present"):
        return passed("APT's sources include %s" % " or ".join(sources.get("suites") or []))
    return failed("no %s suite among APT's %d source(s): security fixes cannot be installed or even seen" % (
        " or ".join(sources.get("suites") or ["security"]), len(sources.get("sources") or [])))


def _timers(src, facts):
    timers = src.get("timers") or {}
    bad = ["%s %s" % (t, s or "unknown") for t, s in sorted(timers.items()) if s not in ("enabled", "static", "enabled-runtime")]
    return expect(not bad and bool(timers), "; ".join(bad) if bad else "apt-daily and apt-daily-upgrade timers enabled")


def _updates(src):
    updates = src.get("updates") or {}
    if updates.get("error"):
        raise LookupError(updates["error"])
    return updates


def _lists_fresh(src, facts):
    updates = _updates(src)
    if not updates.get("lists_present"):
        return failed("the package lists were never downloaded: pending security updates cannot be known")
    age = updates.get("lists_age_seconds") or 0
    return expect(age <= MAX_LIST_AGE, "package lists are %.1f days old (want <= %d)" % (age / 86400.0, MAX_LIST_AGE // 86400))


def _pending(src, facts):
    updates = _updates(src)
    if not updates.get("lists_present"):
        return not_applicable("no package lists to compare with (see PAT-006)")
    if (src.get("apt_sources") or {}).get("present") is False:
        return not_applicable("APT has no security suite, so pending security updates cannot be seen (see PAT-009)")
    security = updates.get("security") or []
    shown = ", ".join("%s %s->%s" % (u["name"], u["current"], u["fixed"]) for u in security[:10])
    return expect(not security, "%d security update(s) pending: %s%s" % (len(security), shown, " ..." if len(security) > 10 else "")
                  if security else "no security update pending (%d other updates)" % updates.get("other_count", 0))


def _reboot(src, facts):
    return expect(not src.get("reboot_required"), "reboot required: %s" % bool(src.get("reboot_required")))


def _stale(src, facts):
    stale = src.get("stale_processes") or []
    if not stale:
        return passed("no process maps a deleted library")
    return failed("%d process(es) still run replaced libraries: %s" % (
        len(stale), ", ".join("%s[%d] %s" % (p["name"], p["pid"], p["libraries"][0]) for p in stale[:8])), needs_restart=True)


def _ctl(cid, title, severity, rationale, references, variable, check, note=None):
    remediation = {"role": "patching", "variable": variable}
    if note:
        remediation["note"] = note
    return Control(id=cid, title=title, area=AREA, severity=severity, rationale=rationale, references=references,
                   remediation=remediation, source=SOURCE, check=check, tags=("patching", cid.lower()))


CONTROLS = [
    _ctl("PAT-001", "Automatic security updates are installed", "high",
         "Known vulnerabilities are exploited within days of a fix; updates must not wait for a person.",
         [_NIST, _CIS, _KVM], "patching_unattended_enabled", _unattended_installed),
    _ctl("PAT-002", "Automatic updates run every day", "high",
         "Installed but not scheduled is the same as off.",
         [_NIST, _CIS], "patching_periodic_unattended_days", _periodic,
         note="with patching_periodic_update_days"),
    _ctl("PAT-003", "Security origins are among the automatic ones", "high",
         "Automatic updates that skip the security archive miss exactly the urgent fixes.",
         [_NIST, "unattended-upgrades(8)"], "patching_security_origins", _security_origin),
    _ctl("PAT-004", "The apt timers are enabled", "medium",
         "apt-daily and apt-daily-upgrade timers drive the automatic runs.",
         [_NIST], "patching_timers_enabled", _timers),
    _ctl("PAT-005", "No security update is pending", "high",
         "A pending security update is a known, published vulnerability on this host.",
         [_NIST, _CIS, _KVM], "patching_apply_now", _pending, note="or wait for the next automatic run"),
    _ctl("PAT-006", "Package lists are recent", "medium",
         "Stale lists hide new security updates from both the host and this audit.",
         [_NIST], "patching_cache_update_enabled", _lists_fresh),
    _ctl("PAT-007", "No reboot is pending", "medium",
         "A pending reboot means a fixed kernel or core library is installed but not running.",
         [_NIST, _KVM], "patching_reboot_allowed", _reboot, note="or reboot in a maintenance window"),
    _ctl("PAT-008", "No process runs replaced libraries", "medium",
         "A service that was not restarted after an update still runs the vulnerable code.",
         [_NIST, "needrestart(1)"], "patching_needrestart_restart", _stale,
         note="with patching_needrestart_enabled"),
    _ctl("PAT-009", "The distribution's security suite is among APT's sources", "high",
         "Without the security suite apt never sees a security fix, and every other patching check looks clean.",
         [_NIST, "Debian Security FAQ (security.debian.org in sources.list)"], "patching_security_source_enabled",
         _security_source, note="patching_security_source_uri for an internal mirror"),
]
