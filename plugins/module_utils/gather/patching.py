# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what the patching controls judge: automatic updates configured and scheduled,
pending security updates, a pending reboot, processes still running replaced code.

Security updates are classified by the patching role's own origin matcher
(parsers/patching_origins.py), so the audit, the role and ``patch_facts`` (a thin
wrapper over :func:`read_updates`) agree on "security".
Nothing is refreshed: the audit reads the package lists as they are and says how old
they are.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import time

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import read_text, unit_file_state
from ansible_collections.startsecure.hardening.plugins.module_utils.gather.processes import stale_processes
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
    OriginPatternError,
    apt_sources,
    classify_update,
    compile_patterns,
    security_source,
    security_suites,
)

_APT_LINE = re.compile(r'^(?P<key>\S+?)(?P<list>::)? "(?P<value>.*)";$')
REBOOT_REQUIRED_FILE = "/run/reboot-required"


def parse_apt_config(text):
    """`apt-config dump` -> {key: value or [values]} (list items are written `key:: "v";`)."""
    values = {}
    for line in (text or "").splitlines():
        match = _APT_LINE.match(line.strip())
        if not match:
            continue
        key, value = match.group("key"), match.group("value")
        if match.group("list"):
            # apt-config prints the list's own node ("key "";") before its items.
            if not isinstance(values.get(key), list):
                values[key] = []
            values[key].append(value)
        elif key not in values:
            values[key] = value
    return values


def read_os_release(path="/etc/os-release"):
    """/etc/os-release as a dict (empty when it cannot be read)."""
    values = {}
    for line in (read_text(path) or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value.strip().strip('"').strip("'")
    return values


def distro(os_release, distro_id=None, distro_codename=None):
    """The ``${distro_id}`` and ``${distro_codename}`` unattended-upgrades substitutes."""
    return (distro_id or os_release.get("ID", "").capitalize(),
            distro_codename or os_release.get("VERSION_CODENAME", ""))


def reboot_state(flag=REBOOT_REQUIRED_FILE):
    """(the flag file exists, sorted packages that asked for the reboot)."""
    packages = sorted({line.strip() for line in (read_text(flag + ".pkgs") or "").splitlines() if line.strip()})
    return os.path.exists(flag), packages


class PatchingError(Exception):
    """The package manager cannot be read; the message says why."""


class AptMissing(PatchingError):
    """python3-apt is not installed (a host outside the Debian family, or a minimal one)."""


def _origin(origin):
    return {"origin": origin.origin or "", "label": origin.label or "", "archive": origin.archive or "",
            "codename": origin.codename or "", "component": origin.component or "", "site": origin.site or "",
            "trusted": bool(origin.trusted)}


def package_record(pkg, apt_pkg):
    """Plain dict of an upgradable apt.Package for patching_origins.classify_update."""
    installed = pkg.installed.version
    newer = sorted((v for v in pkg.versions if apt_pkg.version_compare(v.version, installed) > 0),
                   key=functools.cmp_to_key(lambda a, b: apt_pkg.version_compare(a.version, b.version)),
                   reverse=True)
    candidate = pkg.candidate
    return {
        "name": pkg.name,  # "name:arch" only for a foreign architecture, as apt wants it
        "arch": pkg.architecture(),
        "current_version": installed,
        "candidate_version": candidate.version if candidate else None,
        "candidate_origins": [_origin(o) for o in candidate.origins] if candidate else [],
        "newer": [{"version": v.version, "origins": [_origin(o) for o in v.origins]} for v in newer],
    }


def lists_state(apt_pkg):
    """(package lists present, age of the newest in seconds or None)."""
    lists_dir = (apt_pkg.config.find_dir("Dir::State::lists") if apt_pkg.config else "") or "/var/lib/apt/lists/"
    files = glob.glob(os.path.join(lists_dir, "*_Packages")) + glob.glob(os.path.join(lists_dir, "*_Packages.*"))
    if not files:
        return False, None
    return True, int(max(0, time.time() - max(os.path.getmtime(f) for f in files)))


def read_updates(origin_patterns, distro_id, distro_codename, packages=()):
    """Every upgradable package, judged security or not, from apt's cache as it is (never refreshed).

    Returns ``{"updates": [classify_update records sorted by name], "installed": {name: version},
    "lists_present", "lists_age_seconds"}``; raises :class:`PatchingError`.
    """
    try:
        import apt  # python3-apt, Debian family; pylint: disable=import-outside-toplevel
        import apt_pkg  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise AptMissing("python3-apt is not installed")
    try:
        compiled = compile_patterns(origin_patterns, distro_id, distro_codename)
    except OriginPatternError as exc:
        raise PatchingError("security_origins: %s" % exc)
    try:
        cache = apt.Cache(progress=None)
    except Exception as exc:  # apt raises SystemError/apt_pkg.Error with its own text
        raise PatchingError("cannot open the apt cache (is dpkg or apt running?): %s" % exc)
    records = sorted((classify_update(package_record(pkg, apt_pkg), compiled)
                      for pkg in cache if pkg.is_installed and pkg.is_upgradable),
                     key=lambda r: (r["name"], r["arch"] or ""))
    installed = {}
    for name in packages:
        pkg = cache[name] if name in cache else None
        installed[name] = pkg.installed.version if pkg is not None and pkg.installed else None
    present, age = lists_state(apt_pkg)
    return {"updates": records, "installed": installed, "lists_present": present, "lists_age_seconds": age}


def pending_updates(origin_patterns, distro_id, codename):
    """What the patching controls judge: the security updates waiting, or an "error" string."""
    try:
        found = read_updates(origin_patterns, distro_id, codename)
    except PatchingError as exc:
        return {"error": str(exc)}
    if not found["lists_present"]:
        return {"lists_present": False, "lists_age_seconds": None, "security": [], "other_count": 0}
    security = [{"name": r["name"], "current": r["current_version"], "fixed": r["security_version"]}
                for r in found["updates"] if r["security"]]
    return {"lists_present": True, "lists_age_seconds": found["lists_age_seconds"], "security": security,
            "other_count": len(found["updates"]) - len(security)}


_RELEASE_FIELDS = {"Origin": "origin", "Label": "label", "Suite": "archive", "Codename": "codename"}


def release_origins(lists_dir="/var/lib/apt/lists", codenames=()):
    """The origins stated by the downloaded Release files whose codename is one of ``codenames``."""
    found = []
    for path in sorted(glob.glob(os.path.join(lists_dir, "*Release"))):
        head = (read_text(path, limit=8192) or "").split("\n\n", 1)[0]
        origin = {"origin": "", "label": "", "archive": "", "codename": "", "component": "", "site": ""}
        for line in head.splitlines():
            key, sep, value = line.partition(":")
            if sep and key in _RELEASE_FIELDS:
                origin[_RELEASE_FIELDS[key]] = value.strip()
        if origin["codename"] in codenames and origin not in found:
            found.append(origin)
    return found


def apt_source_facts(distro_id, codename):
    """APT's sources and whether the distribution's security suite is among them."""
    try:
        import apt_pkg  # pylint: disable=import-outside-toplevel
        apt_pkg.init()
        sources = apt_sources(apt_pkg)
    except ImportError:
        return {"error": "python3-apt is not installed"}
    except Exception as exc:  # apt_pkg.Error on a broken sources file
        return {"error": "cannot read APT's sources: %s" % exc}
    result = security_source(sources, distro_id, codename)
    result["sources"] = sources
    result["release_origins"] = release_origins(codenames=security_suites(distro_id, codename))
    return result


def gather(module, origin_patterns):
    facts = {}
    dpkg = module.get_bin_path("dpkg-query")
    installed = {}
    for name in ("unattended-upgrades", "needrestart"):
        if dpkg:
            rc, out, err = module.run_command([dpkg, "-W", "-f", "${db:Status-Abbrev}", name])
            installed[name] = rc == 0 and out.startswith("ii")
        else:
            installed[name] = False
    facts["installed"] = installed
    apt_config = module.get_bin_path("apt-config")
    config = {}
    if apt_config:
        rc, out, err = module.run_command([apt_config, "dump"])
        if rc == 0:
            config = parse_apt_config(out)
    facts["apt_config"] = dict((k, v) for k, v in config.items()
                               if k.startswith(("APT::Periodic::", "Unattended-Upgrade::")))
    facts["timers"] = dict((t, unit_file_state(module, t)) for t in ("apt-daily.timer", "apt-daily-upgrade.timer"))
    release = read_os_release()
    facts["distro"] = {"id": release.get("ID", ""), "codename": release.get("VERSION_CODENAME", "")}
    facts["apt_sources"] = apt_source_facts(*distro(release))
    facts["updates"] = pending_updates(origin_patterns, *distro(release))
    facts["reboot_required"] = reboot_state()[0]
    facts["stale_processes"] = stale_processes()
    return facts
