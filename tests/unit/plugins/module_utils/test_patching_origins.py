# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Origin patterns (unattended-upgrades syntax) and the security judgement of updates."""

from __future__ import annotations

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
    OriginPatternError,
    classify_update,
    compile_patterns,
    origin_matches,
    parse_pattern,
    substitute,
    summarize,
)

DEBIAN_SECURITY = [
    "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
    "origin=Debian,codename=${distro_codename},label=Debian-Security",
]


def origin(**kw):
    base = {"origin": "", "label": "", "archive": "", "codename": "", "component": "main", "site": ""}
    base.update(kw)
    return base


SEC = origin(origin="Debian", label="Debian-Security", archive="stable-security", codename="bookworm-security")
MAIN = origin(origin="Debian", label="Debian", archive="stable", codename="bookworm")


def test_substitute_and_parse():
    assert substitute("n=${distro_codename},o=${distro_id}", "Debian", "trixie") == "n=trixie,o=Debian"
    assert parse_pattern("o=Debian,l=Debian-Security,a=stable,n=x,c=main,site=h,suite=s") == [
        ("origin", "Debian"), ("label", "Debian-Security"), ("archive", "stable"), ("codename", "x"),
        ("component", "main"), ("site", "h"), ("archive", "s")]
    assert parse_pattern(r"origin=Foo\, Inc.,label=x") == [("origin", "Foo, Inc."), ("label", "x")]


@pytest.mark.parametrize("bad,msg", [("", "non-empty"), ("origin", "not key=value"), ("colour=red", "unknown key")])
def test_bad_patterns_are_refused(bad, msg):
    with pytest.raises(OriginPatternError, match=msg):
        parse_pattern(bad)


def test_default_debian_patterns_match_security_and_not_main():
    compiled = compile_patterns(DEBIAN_SECURITY, "Debian", "bookworm")
    assert any(origin_matches(p, SEC) for _pat, p in compiled)
    assert not any(origin_matches(p, MAIN) for _pat, p in compiled)
    # another release's security archive is not this host's
    other = dict(SEC, codename="trixie-security")
    assert not any(origin_matches(p, other) for _pat, p in compiled)


def test_wildcards_are_case_sensitive_like_fnmatchcase():
    pairs = parse_pattern("origin=Start*,label=*-Security")
    assert origin_matches(pairs, origin(origin="StartsecureTest", label="StartsecureTest-Security"))
    assert not origin_matches(pairs, origin(origin="startsecureTest", label="StartsecureTest-Security"))


def test_classify_picks_the_newest_security_version_even_below_the_candidate():
    compiled = compile_patterns(DEBIAN_SECURITY, "Debian", "bookworm")
    package = {
        "name": "openssl", "arch": "amd64", "current_version": "1", "candidate_version": "3",
        "candidate_origins": [MAIN],
        "newer": [{"version": "3", "origins": [MAIN]}, {"version": "2", "origins": [SEC]}],
    }
    record = classify_update(package, compiled)
    assert record["security"] is True
    assert record["security_version"] == "2"
    assert record["security_pattern"] == DEBIAN_SECURITY[0]
    assert record["origins"] == [MAIN]


def test_classify_non_security_and_summary():
    compiled = compile_patterns(DEBIAN_SECURITY, "Debian", "bookworm")
    other = classify_update({"name": "x", "current_version": "1", "candidate_version": "2",
                             "candidate_origins": [MAIN], "newer": [{"version": "2", "origins": [MAIN]}]}, compiled)
    assert other["security"] is False and other["security_version"] is None
    sec = classify_update({"name": "y", "newer": [{"version": "2", "origins": [SEC]}]}, compiled)
    assert summarize([other, sec]) == {"total_count": 2, "security_count": 1, "other_count": 1}
    assert summarize([]) == {"total_count": 0, "security_count": 0, "other_count": 0}


def test_security_source_is_judged_from_apt_sources():
    from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
        index_component, security_source)
    main = {"uri": "http://mirror.invalid/debian/", "suite": "bookworm", "components": ["main", "contrib"]}
    missing = security_source([main], "Debian", "bookworm")
    assert missing["present"] is False
    assert missing["proposed_uri"] == "http://mirror.invalid/debian-security"   # the same mirror
    assert missing["components"] == ["main", "contrib"]
    there = security_source([main, {"uri": "file:/srv/repo", "suite": "bookworm-security"}], "Debian", "bookworm")
    assert there["present"] is True
    # Ubuntu keeps the security suite in the same archive
    ubuntu = security_source([{"uri": "http://mirror.invalid/ubuntu", "suite": "noble"}], "Ubuntu", "noble")
    assert ubuntu["proposed_uri"] == "http://mirror.invalid/ubuntu" and ubuntu["suites"] == ["noble-security"]
    # a mirror whose layout is unknown: nothing is guessed
    assert security_source([{"uri": "http://mirror.invalid/x", "suite": "bookworm"}], "Debian", "bookworm")[
        "proposed_uri"] is None
    assert index_component("http://mirror.invalid/debian bookworm/main amd64 Packages", "bookworm") == "main"
    assert index_component("something else", "bookworm") is None
