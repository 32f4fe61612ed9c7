# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""patch_facts is a thin wrapper over gather/patching.py: the same records the audit judges.

python3-apt is not installed on the controller, so a small stand-in for ``apt`` and
``apt_pkg`` answers with two upgradable packages (one with a security version).
"""

from __future__ import annotations

import sys
import types

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import patching as gather_patching
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import DEBIAN_SECURITY_ORIGINS
from ansible_collections.startsecure.hardening.plugins.modules import patch_facts

SEC = dict(origin="Debian", label="Debian-Security", archive="stable-security", codename="bookworm-security",
           component="main", site="", trusted=True)
MAIN = dict(SEC, label="Debian", archive="stable", codename="bookworm")


def _version(number, origin):
    return types.SimpleNamespace(version=number, origins=[types.SimpleNamespace(**origin)])


def _package(name, installed, newer):
    versions = [_version(installed, MAIN)] + newer
    return types.SimpleNamespace(name=name, shortname=name.split(":")[0], is_installed=True, is_upgradable=True,
                                 installed=versions[0], candidate=newer[0], versions=versions,
                                 architecture=lambda: "amd64")


@pytest.fixture
def fake_apt(monkeypatch, tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "deb_dists_bookworm_main_binary-amd64_Packages").write_text("")
    packages = [_package("openssl", "3.0.1", [_version("3.0.2", SEC)]),
                _package("hello:i386", "2.10", [_version("2.11", MAIN)])]

    class Cache(list):
        def __init__(self, progress=None):
            super().__init__(packages)

        def __contains__(self, name):
            return any(p.name == name for p in self)

        def __getitem__(self, name):
            return next(p for p in list(self) if p.name == name) if isinstance(name, str) else list.__getitem__(self, name)

    apt_pkg = types.ModuleType("apt_pkg")
    apt_pkg.version_compare = lambda a, b: (a > b) - (a < b)
    apt_pkg.config = types.SimpleNamespace(find_dir=lambda key: str(lists))
    apt_pkg.init = lambda: None

    class SourceList(object):
        """APT's sources: the main suite only, as debootstrap leaves them (no security suite)."""
        def __init__(self):
            self.list = []

        def read_main_list(self):
            index = types.SimpleNamespace(describe="http://mirror.invalid/debian bookworm/main amd64 Packages")
            self.list = [types.SimpleNamespace(uri="http://mirror.invalid/debian/", dist="bookworm", index_files=[index])]
    apt_pkg.SourceList = SourceList
    apt = types.ModuleType("apt")
    apt.Cache = Cache
    monkeypatch.setitem(sys.modules, "apt", apt)
    monkeypatch.setitem(sys.modules, "apt_pkg", apt_pkg)


def test_module_returns_the_gatherers_records(run_module, fake_apt):
    failed, result = run_module(patch_facts.main, {"distro_id": "Debian", "distro_codename": "bookworm",
                                                   "packages": ["openssl", "absent"]}, check_mode=True)
    assert not failed and result["changed"] is False
    assert [u["name"] for u in result["updates"]] == ["hello:i386", "openssl"]
    openssl = result["updates"][1]
    assert openssl["security"] and openssl["security_version"] == "3.0.2"
    assert openssl["origins"][0]["label"] == "Debian-Security"
    assert (result["security_count"], result["other_count"], result["total_count"]) == (1, 1, 2)
    assert result["installed"] == {"openssl": "3.0.1", "absent": None}
    assert result["lists_present"] is True
    source = result["security_source"]
    assert source["present"] is False and source["suites"] == ["bookworm-security", "bookworm/updates"]
    assert source["proposed_uri"] == "http://mirror.invalid/debian-security"
    assert source["components"] == ["main"]


def test_audit_and_module_agree(fake_apt):
    pending = gather_patching.pending_updates(DEBIAN_SECURITY_ORIGINS, "Debian", "bookworm")
    found = gather_patching.read_updates(DEBIAN_SECURITY_ORIGINS, "Debian", "bookworm")
    assert pending["security"] == [{"name": r["name"], "current": r["current_version"], "fixed": r["security_version"]}
                                   for r in found["updates"] if r["security"]]
    assert pending["other_count"] == 1


def test_without_python3_apt_the_module_says_so(run_module, monkeypatch):
    monkeypatch.setitem(sys.modules, "apt", None)
    failed, result = run_module(patch_facts.main, {})
    assert failed and "python3-apt" in result["msg"] and "Debian family" in result["msg"]
    assert gather_patching.pending_updates([], "Debian", "bookworm") == {"error": "python3-apt is not installed"}


def test_read_os_release(tmp_path):
    path = tmp_path / "os-release"
    path.write_text('ID=debian\nVERSION_CODENAME=trixie\nNAME="Debian GNU/Linux"\n')
    values = gather_patching.read_os_release(str(path))
    assert values["ID"] == "debian" and values["VERSION_CODENAME"] == "trixie"
    assert values["NAME"] == "Debian GNU/Linux"
    assert gather_patching.read_os_release(str(tmp_path / "missing")) == {}
    assert gather_patching.distro(values) == ("Debian", "trixie")
    assert gather_patching.distro(values, "Ubuntu", "noble") == ("Ubuntu", "noble")


def test_reboot_state(tmp_path):
    flag = tmp_path / "reboot-required"
    assert gather_patching.reboot_state(str(flag)) == (False, [])
    flag.write_text("*** System restart required ***\n")
    (tmp_path / "reboot-required.pkgs").write_text("linux-image-amd64\nlibc6\nlibc6\n")
    assert gather_patching.reboot_state(str(flag)) == (True, ["libc6", "linux-image-amd64"])
