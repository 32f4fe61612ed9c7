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
