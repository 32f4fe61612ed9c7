# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test harness itself: image cache keys and the Docker preflight's failure messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import images  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def recipes(tmp_path, monkeypatch):
    base = {"name": "t/base", "debootstrap": {"suite": "bookworm", "include": ["python3"]}, "setup": []}
    child = {"name": "t/child", "from": "base", "setup": ["true"]}
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "child.json").write_text(json.dumps(child))
    monkeypatch.setattr(images, "RECIPES", str(tmp_path))
    return tmp_path


def test_tag_is_stable_for_an_unchanged_recipe(recipes):
    assert images.tag("base") == images.tag("base")
    assert images.tag("base").startswith("t/base:")


def test_changed_recipe_changes_its_tag_and_its_childrens(recipes):
    before_base, before_child = images.tag("base"), images.tag("child")
    data = json.loads((recipes / "base.json").read_text())
    data["debootstrap"]["include"].append("sudo")
    (recipes / "base.json").write_text(json.dumps(data))
    assert images.tag("base") != before_base
    assert images.tag("child") != before_child


def test_builder_version_is_part_of_the_key(recipes, monkeypatch):
    before = images.tag("base")
    monkeypatch.setattr(images, "BUILDER_VERSION", "test-other")
    assert images.tag("base") != before


def test_existing_image_is_reused_and_said(recipes, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(images, "exists", lambda ref: True)
    monkeypatch.setattr(images, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(images, "build_debootstrap", lambda *a: pytest.fail("rebuilt a cached image"))
    images.build("base")
    assert "reusing t/base:" in capsys.readouterr().out
    assert calls == [["docker", "tag", images.tag("base"), "t/base:current"]]


def test_unknown_recipe_is_one_clear_line(recipes, capsys):
    with pytest.raises(SystemExit):
        images.load("nope")
    assert "no recipe" in capsys.readouterr().err


def _fake_bin(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def test_ensure_docker_without_root_is_one_line(tmp_path):
    # A docker client that cannot reach any engine, and an `id` that says we are not root.
    _fake_bin(tmp_path, "docker", "exit 1")
    _fake_bin(tmp_path, "id", "echo 1000")
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % tmp_path)
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "ensure-docker.sh")], env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "we are not root" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_ensure_docker_with_an_engine_says_so(tmp_path):
    _fake_bin(tmp_path, "docker", 'case "$1" in info) exit 0;; version) echo 99.0;; esac')
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % tmp_path)
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "ensure-docker.sh")], env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "already answers (99.0)" in proc.stdout


def test_ensure_docker_when_dockerd_never_answers(tmp_path):
    # root, Debian, dockerd present but the engine never comes up: bounded wait, one line.
    _fake_bin(tmp_path, "docker", "exit 1")
    _fake_bin(tmp_path, "dockerd", "exit 0")
    _fake_bin(tmp_path, "id", "echo 0")
    _fake_bin(tmp_path, "sleep", "exit 0")
    if not os.path.exists("/etc/debian_version"):
        pytest.skip("the Debian branch of the preflight needs a Debian machine")
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % tmp_path, DOCKERD_LOG=str(tmp_path / "d.log"))
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "ensure-docker.sh")], env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ["ensure-docker: dockerd did not answer within 60 s; see %s" % (tmp_path / "d.log")]


def test_ensure_commands_names_what_is_missing(tmp_path):
    _fake_bin(tmp_path, "id", "echo 1000")
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % tmp_path)
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "ensure-commands.sh"),
                           "sh:dash", "no-such-command-here:some-package"], env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "ensure-commands: missing some-package: install them (root on Debian does it by itself)"


def test_molecule_kvm_host_uses_the_tools_seccomp_profile():
    """Docker's API wants the profile inline in molecule.yml; it must stay the tools' profile."""
    import yaml
    import containers  # pylint: disable=import-outside-toplevel
    with open(os.path.join(ROOT, "molecule", "kvm_host", "molecule.yml")) as handle:
        scenario = yaml.safe_load(handle)
    options = [o for p in scenario["platforms"] for o in p.get("security_opts", []) if o.startswith("seccomp=")]
    assert options and all(json.loads(o[len("seccomp="):]) == containers.SECCOMP for o in options)


def test_demo_and_bench_start_containers_the_same_way():
    import bench  # pylint: disable=import-outside-toplevel
    import demo  # pylint: disable=import-outside-toplevel
    import containers  # pylint: disable=import-outside-toplevel
    for tool in (bench, demo):
        assert not hasattr(tool, "CGROUP") and not hasattr(tool, "SECCOMP")
        assert tool.containers is containers


def test_every_molecule_scenario_converges_with_diff():
    import yaml
    with open(os.path.join(ROOT, ".config", "molecule", "config.yml")) as handle:
        assert yaml.safe_load(handle)["provisioner"]["options"]["diff"] is True
    scenarios = [d for d in os.listdir(os.path.join(ROOT, "molecule"))
                 if os.path.exists(os.path.join(ROOT, "molecule", d, "molecule.yml"))]
    assert scenarios
    for scenario in scenarios:
        with open(os.path.join(ROOT, "molecule", scenario, "molecule.yml")) as handle:
            options = (yaml.safe_load(handle).get("provisioner") or {}).get("options") or {}
        assert options.get("diff", True) is True, scenario


def test_check_tarball_names_generated_output(tmp_path):
    import tarfile
    import check_tarball  # pylint: disable=import-outside-toplevel
    assert check_tarball.generated(["galaxy.yml", "plugins/modules/ssh_facts.py", "docs/audit.md"]) == []
    assert check_tarball.generated(["demo-output/after/audit.html", "audit-results/audit.json", "build/x",
                                    "plugins/__pycache__/a.pyc", "tests/output/junit.xml"]) == [
        "audit-results/audit.json", "build/x", "demo-output/after/audit.html", "plugins/__pycache__/a.pyc",
        "tests/output/junit.xml"]
    bad = tmp_path / "bad.tar.gz"
    (tmp_path / "demo-output").mkdir()
    (tmp_path / "demo-output" / "audit.json").write_text("{}")
    with tarfile.open(bad, "w:gz") as tar:
        tar.add(tmp_path / "demo-output", arcname="demo-output")
    with pytest.raises(SystemExit) as exc:
        check_tarball.main([str(bad)])
    assert "demo-output/audit.json" in str(exc.value)


def test_bench_table_gives_each_figure_and_the_ratio_ours_over_the_peer():
    import bench  # pylint: disable=import-outside-toplevel
    results = {"ours": [("first run", 0, 30.0, {"ok": 90, "changed": 40}), ("re-run", 0, 10.0, {"ok": 90, "changed": 0})],
               "devsec": [("first run", 0, 120.0, {"ok": 137, "changed": 36}),
                          ("re-run", 2, 80.0, {"ok": 137, "changed": 0})]}
    head, first, rerun = bench.harden_table(results)
    assert "devsec" in head and "ratio" in head
    assert first.split()[-1] == "0.25" and "30.0" in first and "120.0" in first
    assert rerun.endswith("FAILED") and " 0.12 " in rerun + " "


def test_bench_runs_the_peer_with_only_its_own_collections_path(tmp_path):
    import bench  # pylint: disable=import-outside-toplevel
    assert bench.env(str(tmp_path))["ANSIBLE_COLLECTIONS_PATH"] == str(tmp_path)
    assert bench.env()["ANSIBLE_COLLECTIONS_PATH"].endswith("build/collections")
    assert bench.env()["ANSIBLE_PIPELINING"] == "True"


def test_bench_gives_each_side_its_own_inventory(tmp_path):
    import bench  # pylint: disable=import-outside-toplevel
    ours = bench.inventory(["bench-harden"], "guests", str(tmp_path))
    peer = bench.inventory(["bench-harden-peer"], "guests", str(tmp_path))
    assert ours != peer
    with open(ours) as handle:
        assert list(json.load(handle)["all"]["children"]["guests"]["hosts"]) == ["bench-harden"]
