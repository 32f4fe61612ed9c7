# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import shutil

from ansible_collections.startsecure.hardening.plugins.modules import libvirt_config

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "libvirt")


def _conf(tmp_path, name="libvirtd.conf"):
    path = tmp_path / name
    shutil.copy(os.path.join(FIXTURES, name), str(path))
    os.chmod(str(path), 0o640)
    return path


def test_sets_keys_after_their_comment_and_is_idempotent(tmp_path, run_module):
    path = _conf(tmp_path)
    before = path.read_text()
    args = {"path": str(path), "settings": {"listen_tcp": 0, "auth_tcp": "sasl", "access_drivers": ["polkit"]}}
    failed, result = run_module(libvirt_config.main, args, diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert result["config"] == {"listen_tcp": 0, "auth_tcp": "sasl", "access_drivers": ["polkit"]}
    after = path.read_text()
    assert result["diff"]["before"] == before and result["diff"]["after"] == after
    lines = after.splitlines()
    assert lines[lines.index("#listen_tcp = 1") + 1] == "listen_tcp = 0"
    assert oct(os.stat(str(path)).st_mode & 0o777) == "0o640"  # mode kept
    failed, result = run_module(libvirt_config.main, args)
    assert result["changed"] is False and result["changed_keys"] == []
    assert path.read_text() == after


def test_check_mode_changes_nothing(tmp_path, run_module):
    path = _conf(tmp_path)
    before = path.read_text()
    failed, result = run_module(libvirt_config.main, {"path": str(path), "settings": {"listen_tcp": 0}},
                                check_mode=True)
    assert result["changed"] is True and result["changed_keys"] == ["listen_tcp"]
    assert path.read_text() == before


def test_absent_and_backup(tmp_path, run_module):
    path = tmp_path / "qemu.conf"
    path.write_text("# keep\nvnc_password = \"secret\"\nvnc_listen = \"0.0.0.0\"\n")
    failed, result = run_module(libvirt_config.main, {
        "path": str(path), "settings": {"vnc_listen": "127.0.0.1"}, "absent": ["vnc_password"], "backup": True})
    assert not failed, result
    assert path.read_text() == "# keep\nvnc_listen = \"127.0.0.1\"\n"
    assert open(result["backup_file"]).read().startswith("# keep\nvnc_password")


def test_malformed_file_fails_with_line_and_stays_untouched(tmp_path, run_module):
    path = tmp_path / "qemu.conf"
    path.write_text("a = 1\nb = 'open\n")
    failed, result = run_module(libvirt_config.main, {"path": str(path), "settings": {"a": 2}})
    assert failed
    assert result["line"] == 2 and "unterminated string" in result["reason"]
    assert str(path) in result["msg"] and "line 2" in result["msg"]
    assert path.read_text() == "a = 1\nb = 'open\n"


def test_validate_failure_leaves_file(tmp_path, run_module):
    path = _conf(tmp_path)
    before = path.read_text()
    failed, result = run_module(libvirt_config.main, {
        "path": str(path), "settings": {"listen_tcp": 0}, "validate": "grep -q no-such-text %s"})
    assert failed and "validation" in result["msg"]
    assert path.read_text() == before
    assert sorted(os.listdir(str(tmp_path))) == ["libvirtd.conf"]  # no temp file left
    failed, result = run_module(libvirt_config.main, {
        "path": str(path), "settings": {"listen_tcp": 0}, "validate": "grep -q listen_tcp %s"})
    assert not failed and result["changed"]


def test_create_and_no_create(tmp_path, run_module):
    path = tmp_path / "virtproxyd.conf"
    failed, result = run_module(libvirt_config.main, {"path": str(path), "settings": {"listen_tcp": 0},
                                                      "create": False})
    assert failed and "does not exist" in result["msg"] and not path.exists()
    failed, result = run_module(libvirt_config.main, {"path": str(path), "settings": {"listen_tcp": 0}})
    assert not failed and result["changed"] and path.read_text() == "listen_tcp = 0\n"
    assert oct(os.stat(str(path)).st_mode & 0o777) == "0o644"


def test_bad_value_fails_cleanly(tmp_path, run_module):
    path = _conf(tmp_path)
    failed, result = run_module(libvirt_config.main, {"path": str(path), "settings": {"x": {"nested": 1}}})
    assert failed and "cannot write a dict" in result["msg"]


def test_passwords_are_masked_in_result_and_diff(tmp_path, run_module):
    path = tmp_path / "qemu.conf"
    path.write_text("#vnc_password = \"XYZ12345\"\n")
    failed, result = run_module(libvirt_config.main, {"path": str(path), "settings": {"vnc_password": "s3cret!"}},
                                diff=True)
    assert not failed and result["config"] == {"vnc_password": "********"}
    assert "s3cret!" not in str(result)
    assert 'vnc_password = "********"' in result["diff"]["after"]
    assert path.read_text() == "#vnc_password = \"XYZ12345\"\nvnc_password = \"s3cret!\"\n"


PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    # As roles/kvm_host/tasks/daemons.yml builds them: Jinja results inside a dict. Some
    # ansible-core releases hand these over as text ("2", "False").
    settings:
      audit_level: "{{ level | int }}"
      listen_tls: "{{ tls | bool }}"
      max_clients: "{{ 5000 }}"
  tasks:
    - name: Write libvirtd.conf with templated typed values
      startsecure.hardening.libvirt_config:
        path: "{{ conf }}"
        settings: "{{ settings }}"
"""


def test_templated_values_are_written_typed_by_the_running_ansible_core(tmp_path):
    # The unit matrix runs this on every ansible-core minor the collection admits.
    import subprocess
    import sys
    play, conf = tmp_path / "play.yml", tmp_path / "libvirtd.conf"
    play.write_text(PLAY)
    conf.write_text("")
    collections = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "build", "collections")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    proc = subprocess.run([sys.executable, "-m", "ansible", "playbook", "-i", "localhost,", str(play),
                           "-e", "ansible_python_interpreter=%s" % sys.executable,
                           "-e", "conf=%s" % conf, "-e", "level=2", "-e", "tls=no"],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert conf.read_text().splitlines() == ["audit_level = 2", "listen_tls = 0", "max_clients = 5000"]
