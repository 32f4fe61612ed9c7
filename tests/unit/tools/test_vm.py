# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real-kernel VM harness (tools/vm.py): image cache keys, Molecule glue, bad input."""

from __future__ import annotations

import json
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import images  # noqa: E402  pylint: disable=wrong-import-position
import vm  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def recipes(tmp_path, monkeypatch):
    base = {"name": "t/base", "debootstrap": {"suite": "bookworm", "include": ["python3"]}, "setup": []}
    guest = {"name": "t/vm-base", "from": "base", "files": ["vm-setup.sh"], "vm": {"packages": []}}
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "vm-base.json").write_text(json.dumps(guest))
    (tmp_path / "vm-setup.sh").write_text("#!/bin/sh\ntrue\n")
    monkeypatch.setattr(images, "RECIPES", str(tmp_path))
    monkeypatch.setattr(vm, "CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_vm_recipes_are_apart_from_container_recipes(recipes):
    assert images.all_names() == ["base"]
    assert images.all_names("vm") == ["vm-base"]


def test_the_projects_vm_recipes_are_found():
    names = images.all_names("vm")
    assert {"vm-debian12", "vm-debian13", "vm-kvm-debian12"} <= set(names)
    assert not set(names) & set(images.all_names())


def test_image_name_changes_with_setup_script_parent_and_builder(recipes, monkeypatch):
    first = vm.paths("vm-base")["disk"]
    assert first == vm.paths("vm-base")["disk"]
    assert first.startswith(str(recipes / "cache" / "vm-base-")) and first.endswith(".qcow2")
    (recipes / "vm-setup.sh").write_text("#!/bin/sh\necho changed\n")
    second = vm.paths("vm-base")["disk"]
    assert second != first
    data = json.loads((recipes / "base.json").read_text())
    data["debootstrap"]["include"].append("sudo")
    (recipes / "base.json").write_text(json.dumps(data))
    third = vm.paths("vm-base")["disk"]
    assert third != second
    monkeypatch.setattr(vm, "VM_BUILDER_VERSION", "test-other")
    assert vm.paths("vm-base")["disk"] != third


def test_cached_image_is_reused_and_said(recipes, monkeypatch, capsys):
    p = vm.paths("vm-base")
    os.makedirs(os.path.dirname(p["disk"]))
    for path in (p["disk"], p["key"]):
        open(path, "w").close()
    monkeypatch.setattr(vm, "make_rootfs", lambda *a: pytest.fail("rebuilt a cached VM image"))
    vm.build("vm-base")
    assert "reusing" in capsys.readouterr().out


def test_a_container_recipe_is_not_a_vm(recipes, capsys):
    with pytest.raises(SystemExit):
        vm.paths("base")
    assert "not a VM recipe" in capsys.readouterr().err


def test_molecule_platforms_become_specs():
    platforms = [{"name": "a", "image": "vm-debian12", "memory_mib": 3072, "cpus": 1, "groups": ["x"]},
                 {"name": "b", "image": "vm-debian13"}]
    specs = vm.platform_specs(json.dumps(platforms))
    assert specs == ["a=vm-debian12:3072:1", "b=vm-debian13:2048:2"]
    assert [vm.parse_spec(s) for s in specs] == [("a", "vm-debian12", 3072, 1), ("b", "vm-debian13", 2048, 2)]


@pytest.mark.parametrize("bad, words", [
    ("not json", "not JSON"),
    (json.dumps([{"name": "a"}]), "needs a name and an image"),
    (json.dumps(["a"]), "needs a name and an image"),
])
def test_bad_platforms_are_refused_with_a_reason(bad, words, capsys):
    with pytest.raises(SystemExit):
        vm.platform_specs(bad)
    assert words in capsys.readouterr().err


def test_bad_spec_is_refused(capsys):
    with pytest.raises(SystemExit):
        vm.parse_spec("=vm-debian12")
    assert "INSTANCE=IMAGE" in capsys.readouterr().err


def test_instance_config_has_what_molecule_reads(tmp_path):
    info = {"instance": "a", "address": "127.0.0.1", "user": "admin", "port": 40000,
            "identity_file": "/k", "pid": 1, "console_log": "/c"}
    path = str(tmp_path / "instance_config.yml")
    vm.write_instance_config(path, [info])
    with open(path) as fh:
        assert json.load(fh) == [{"instance": "a", "address": "127.0.0.1", "user": "admin",
                                  "port": 40000, "identity_file": "/k"}]
    assert not os.path.exists(path + ".tmp")


def test_sizes():
    assert vm.size_bytes("4G") == 4 << 30
    assert vm.size_bytes("512M") == 512 << 20
    assert vm.size_bytes("1024") == 1024


def test_down_without_state_is_quiet(tmp_path):
    vm.down(str(tmp_path), [])
    vm.down(str(tmp_path), ["missing"])


def test_a_new_build_prunes_older_builds_of_the_same_recipe_only(tmp_path, monkeypatch):
    monkeypatch.setattr(vm, "CACHE", str(tmp_path))
    for name in ("debian12-aaaaaaaaaaaa", "debian12-bbbbbbbbbbbb", "kvm-debian12-cccccccccccc"):
        for ext in (".qcow2", ".key"):
            (tmp_path / (name + ext)).write_text("x")
    vm.prune({"disk": str(tmp_path / "debian12-bbbbbbbbbbbb.qcow2")})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "debian12-bbbbbbbbbbbb.key", "debian12-bbbbbbbbbbbb.qcow2",
        "kvm-debian12-cccccccccccc.key", "kvm-debian12-cccccccccccc.qcow2"]
