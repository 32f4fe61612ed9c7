# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which updates are security updates: unattended-upgrades' origin patterns, in Python.

An origin pattern is the string unattended-upgrades reads from
``Unattended-Upgrade::Origins-Pattern``: comma-separated ``key=value`` pairs that must
all match one origin (one Release file) of a package version, e.g.
``origin=Debian,codename=${distro_codename}-security,label=Debian-Security``.
Keys: ``origin``/``o``, ``label``/``l``, ``archive``/``a``/``suite``, ``codename``/``n``,
``component``/``c``, ``site``. Values are shell wildcards (``fnmatch``); ``\\,`` is a
literal comma; ``${distro_id}`` and ``${distro_codename}`` are replaced first.

The patching role writes the same list into the unattended-upgrades configuration and
hands it to ``patch_facts`` and ``audit_facts``, so "what the audit calls a security update" and "what the
automatic upgrade installs" come from one variable and cannot drift apart.

Everything here works on plain dicts, so it is unit-tested without python3-apt:
an origin is ``{"origin", "label", "archive", "codename", "component", "site"}``.
"""

from __future__ import annotations

import fnmatch

# Debian's security archive: "<codename>-security" since Debian 11, "<codename>" labelled
# Debian-Security before. The modules' default; the patching role passes its own list.
DEBIAN_SECURITY_ORIGINS = [
    "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
    "origin=Debian,codename=${distro_codename},label=Debian-Security",
]

KEYS = {
    "o": "origin",
    "origin": "origin",
    "l": "label",
    "label": "label",
    "a": "archive",
    "archive": "archive",
    "suite": "archive",
    "n": "codename",
    "codename": "codename",
    "c": "component",
    "component": "component",
    "site": "site",
}

_COMMA = "\x00comma\x00"


class OriginPatternError(ValueError):
    """An origin pattern that unattended-upgrades would reject."""


def substitute(pattern, distro_id, distro_codename):
    """Replace ``${distro_id}`` and ``${distro_codename}`` like unattended-upgrades does."""
    return pattern.replace("${distro_id}", distro_id or "").replace(
        "${distro_codename}", distro_codename or ""
    )


def parse_pattern(pattern):
    """Split one pattern into a list of ``(field, glob)`` pairs; raise on nonsense."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise OriginPatternError("an origin pattern must be a non-empty string, got %r" % (pattern,))
    pairs = []
    for token in pattern.strip().replace("\\,", _COMMA).split(","):
        if "=" not in token:
            raise OriginPatternError(
                "origin pattern %r: %r is not key=value (keys: %s)"
                % (pattern, token.replace(_COMMA, ","), ", ".join(sorted(set(KEYS.values()))))
            )
        key, value = token.split("=", 1)
        key = key.strip()
        if key not in KEYS:
            raise OriginPatternError(
                "origin pattern %r: unknown key %r (keys: %s)"
                % (pattern, key, ", ".join(sorted(KEYS)))
            )
        pairs.append((KEYS[key], value.strip().replace(_COMMA, ",")))
    return pairs


def origin_matches(pairs, origin):
    """True when every ``(field, glob)`` of a parsed pattern matches the origin dict."""
    for field, glob in pairs:
        if not fnmatch.fnmatchcase(origin.get(field) or "", glob):
            return False
    return True


def compile_patterns(patterns, distro_id, distro_codename):
    """Substitute and parse a list of patterns once, for :func:`any_match`."""
    return [
        (pattern, parse_pattern(substitute(pattern, distro_id, distro_codename)))
        for pattern in patterns or []
    ]


def any_match(compiled, origins):
    """The first pattern (as written) that matches one of ``origins``, or None."""
    for pattern, pairs in compiled:
        for origin in origins:
            if origin_matches(pairs, origin):
                return pattern
    return None


def classify_update(package, compiled):
    """Judge one upgradable package.

    ``package`` is ``{"name", "arch", "current_version", "candidate_version",
    "candidate_origins": [origin, ...], "newer": [{"version", "origins"}, ...]}`` where
    ``newer`` lists every available version above the installed one, newest first (as
    apt's cache gives them). Returns the public record::

        {"name", "arch", "current_version", "candidate_version", "origins",
         "security": bool, "security_version": str|None, "security_pattern": str|None}

    ``security_version`` is the newest version from a security origin: unattended-upgrades
    installs that one even when a non-security origin offers a newer candidate.
    """
    security_version = None
    security_pattern = None
    for version in package.get("newer") or []:
        matched = any_match(compiled, version.get("origins") or [])
        if matched:
            security_version = version["version"]
            security_pattern = matched
            break
    return {
        "name": package["name"],
        "arch": package.get("arch"),
        "current_version": package.get("current_version"),
        "candidate_version": package.get("candidate_version"),
        "origins": package.get("candidate_origins") or [],
        "security": security_version is not None,
        "security_version": security_version,
        "security_pattern": security_pattern,
    }


def summarize(records):
    """Counts for a list of :func:`classify_update` records."""
    security = [r for r in records if r["security"]]
    return {
        "total_count": len(records),
        "security_count": len(security),
        "other_count": len(records) - len(security),
    }


# --- Is the distribution's security suite among APT's sources at all? -------------------
# Without it "no security update pending" means nothing: apt cannot see the fixes.
# Suites per distribution (``{codename}`` substituted); Debian before 11 used "/updates".
SECURITY_SUITES = {
    "Debian": ("{codename}-security", "{codename}/updates"),
    "Ubuntu": ("{codename}-security",),
}
# Where the security suite lives relative to the main suite's URI on the same mirror:
# Debian keeps it in a sibling archive (".../debian" -> ".../debian-security"), Ubuntu
# in the same archive.
_SECURITY_ARCHIVE = {
    "Debian": ("/debian", "/debian-security"),
    "Ubuntu": ("", ""),
}


def apt_sources(apt_pkg):
    """APT's configured sources as ``[{"uri", "suite", "components"}]`` (one-line and deb822 alike).

    ``apt_pkg`` is python3-apt's module, passed in so this file imports without it. The
    components are read from the index files' descriptions ("URI SUITE/COMPONENT ARCH Packages").
    """
    source_list = apt_pkg.SourceList()
    source_list.read_main_list()
    merged = {}
    for meta in source_list.list:
        entry = merged.setdefault((meta.uri, meta.dist), {"uri": meta.uri, "suite": meta.dist, "components": []})
        for index in getattr(meta, "index_files", None) or []:
            component = index_component(getattr(index, "describe", "") or "", meta.dist)
            if component and component not in entry["components"]:
                entry["components"].append(component)
    return list(merged.values())


def index_component(describe, suite):
    """The component in an index file's description, e.g. "main" of ".../debian bookworm/main amd64 Packages"."""
    marker = " %s/" % suite.strip("/")
    if marker not in describe:
        return None
    return describe.split(marker, 1)[1].split(" ", 1)[0] or None


def security_suites(distro_id, codename):
    """The suite names that carry ``distro_id``'s security updates for ``codename``."""
    return [suite.format(codename=codename) for suite in SECURITY_SUITES.get(distro_id, ("{codename}-security",))]


def security_source(sources, distro_id, codename):
    """Judge APT's sources: is the security suite there, and where would it come from?

    Returns ``{"present": bool, "suites": [...], "main_uri": str|None, "proposed_uri": str|None,
    "components": [...]}``: ``main_uri`` is the URI of the main suite (``codename`` itself),
    ``proposed_uri`` the security archive on that same mirror (None when the mirror's layout
    is unknown), ``components`` those of the main suite (``["main"]`` when unknown).
    """
    wanted = security_suites(distro_id, codename)
    present = any((s.get("suite") or "").strip("/") in wanted for s in sources or [])
    main_source = next((s for s in sources or [] if (s.get("suite") or "").strip("/") == codename), {})
    main = main_source.get("uri")
    proposed = None
    if main and distro_id in _SECURITY_ARCHIVE:
        tail, replacement = _SECURITY_ARCHIVE[distro_id]
        base = main.rstrip("/")
        if not tail:
            proposed = base
        elif base.endswith(tail):
            proposed = base[: -len(tail)] + replacement
    return {"present": present, "suites": wanted, "main_uri": main, "proposed_uri": proposed,
            "components": main_source.get("components") or ["main"]}


def reference_security_origins(distro_id, codename):
    """The origins (as Release files state them) of the distribution's security suite.

    The audit uses these to prove that a configured pattern matches the security archive
    exactly, instead of trusting a pattern because the word "security" occurs in it.
    """
    if distro_id == "Ubuntu":
        return [{"origin": "Ubuntu", "label": "Ubuntu", "archive": "%s-security" % codename,
                 "codename": codename, "component": "main", "site": ""}]
    return [{"origin": "Debian", "label": "Debian-Security", "archive": "stable-security",
             "codename": "%s-security" % codename, "component": "main", "site": ""}]
