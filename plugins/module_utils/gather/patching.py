# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what the patching controls judge: automatic updates configured and scheduled,
pending security updates, a pending reboot, processes still running replaced code.

Security updates are classified by the patching role's own origin matcher
(module_utils/patching_origins.py), so the audit and the role agree on "security".
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
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
    OriginPatternError,
    apt_sources,
    classify_update,
    compile_patterns,
    security_source,
    security_suites,
)

_APT_LINE = re.compile(r'^(?P<key>\S+?)(?P<list>::)? "(?P<value>.*)";$')
_LIB = re.compile(r"\s(/\S*\.so[.\d]*) \(deleted\)$")


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


def stale_processes(proc_root="/proc", limit=50):
    """Processes that still map a shared library deleted on disk (upgraded but not restarted)."""
    found = []
    for entry in sorted(os.listdir(proc_root), key=lambda e: int(e) if e.isdigit() else 0):
        if not entry.isdigit():
            continue
        maps = read_text(os.path.join(proc_root, entry, "maps"), limit=4 * 1024 * 1024)
        if not maps or "(deleted)" not in maps:
            continue
        libs = sorted(set(m.group(1) for m in (_LIB.search(line) for line in maps.splitlines()) if m))
        if libs:
            comm = (read_text(os.path.join(proc_root, entry, "comm")) or "?").strip()
            found.append({"pid": int(entry), "name": comm, "libraries": libs[:5]})
            if len(found) >= limit:
                break
    return found


def _os_release():
    values = {}
    for line in (read_text("/etc/os-release") or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value.strip().strip('"')
    return values


def _origin(origin):
    return {"origin": origin.origin or "", "label": origin.label or "", "archive": origin.archive or "",
            "codename": origin.codename or "", "component": origin.component or "", "site": origin.site or "",
            "trusted": bool(origin.trusted)}


def pending_updates(origin_patterns, distro_id, codename):
    """Upgradable packages classified security/other, or an "error" string when apt cannot tell."""
    try:
        import apt  # python3-apt, Debian family
        import apt_pkg
    except ImportError:
        return {"error": "python3-apt is not installed"}
    lists_dir = apt_pkg.config.find_dir("Dir::State::lists") if apt_pkg.config else "/var/lib/apt/lists/"
    lists = glob.glob(os.path.join(lists_dir or "/var/lib/apt/lists/", "*_Packages*"))
    if not lists:
        return {"lists_present": False, "lists_age_seconds": None, "security": [], "other_count": 0}
    try:
        compiled = compile_patterns(origin_patterns, distro_id, codename)
    except OriginPatternError as exc:
        return {"error": "origin pattern: %s" % exc}
    try:
        cache = apt.Cache(progress=None)
    except Exception as exc:  # apt raises its own error types
        return {"error": "cannot open the apt cache: %s" % exc}
    security, other = [], 0
    for pkg in cache:
        if not (pkg.is_installed and pkg.is_upgradable):
            continue
        installed = pkg.installed.version
        newer = sorted((v for v in pkg.versions if apt_pkg.version_compare(v.version, installed) > 0),
                       key=functools.cmp_to_key(lambda a, b: apt_pkg.version_compare(a.version, b.version)),
                       reverse=True)
        record = classify_update({"name": pkg.shortname, "arch": pkg.architecture(), "current_version": installed,
                                  "candidate_version": pkg.candidate.version if pkg.candidate else None,
                                  "candidate_origins": [],
                                  "newer": [{"version": v.version, "origins": [_origin(o) for o in v.origins]}
                                            for v in newer]}, compiled)
        if record["security"]:
            security.append({"name": record["name"], "current": installed, "fixed": record["security_version"]})
        else:
            other += 1
    age = int(max(0, time.time() - max(os.path.getmtime(p) for p in lists)))
    return {"lists_present": True, "lists_age_seconds": age, "security": security, "other_count": other}


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
        import apt_pkg
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
    release = _os_release()
    facts["distro"] = {"id": release.get("ID", ""), "codename": release.get("VERSION_CODENAME", "")}
    facts["apt_sources"] = apt_source_facts(release.get("ID", "").capitalize(), release.get("VERSION_CODENAME", ""))
    facts["updates"] = pending_updates(origin_patterns, release.get("ID", "").capitalize(),
                                       release.get("VERSION_CODENAME", ""))
    facts["reboot_required"] = os.path.exists("/run/reboot-required") or os.path.exists("/var/run/reboot-required")
    facts["stale_processes"] = stale_processes()
    return facts
