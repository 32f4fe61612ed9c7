# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The patching controls (PAT-001..): security updates arrive on their own, nothing is
pending, and nothing still runs code that an update replaced.

Facts: ``audit_facts.patching`` (module_utils/gather/patching.py).
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect,
    load,
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


CONTROLS = load(__name__, AREA, SOURCE)
