# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files action end to end on this machine (local connection, a temporary directory):
templates rendered on the controller with the task's and the entry's variables, and what
`--check --diff` predicts per file is what the converge then changes, file by file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    greeting: hello
  tasks:
    - name: An area in one call
      startsecure.hardening.files:
        mode: "0644"
        files:
          - dest: "{{ root }}/etc/unit.d/50-a.conf"
            src: dropin.j2
            vars:
              item: {name: a, limit: 1G}
          - dest: "{{ root }}/etc/unit.d/50-b.conf"
            src: dropin.j2
            vars:
              item: {name: b, limit: 2G}
            validate: grep -q MemoryMax %s
          - dest: "{{ root }}/etc/plain.conf"
            content: "{{ greeting }}\\n"
          - dest: "{{ root }}/etc/old.conf"
            state: absent
      register: area
      notify: Area changed

    - name: Run the handlers now
      ansible.builtin.meta: flush_handlers

    - name: Record the result
      ansible.builtin.copy:
        content: "{{ {'area': area, 'handler': handler_ran | default(false)} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
      check_mode: false
  handlers:
    - name: Area changed
      ansible.builtin.set_fact:
        handler_ran: true
"""
TEMPLATE = """# {{ ansible_managed }}
# {{ item.name }} ({{ greeting }})
[Service]
MemoryMax={{ item.limit }}
"""


def snapshot(root):
    out = {}
    for base, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(base, name)
            out[path] = open(path, "rb").read() if os.path.isfile(path) else "dir"
    return out


@pytest.fixture
def play(tmp_path):
    if not shutil.which("ansible-playbook", path=os.path.dirname(sys.executable)):
        pytest.skip("ansible-playbook is not installed beside this Python")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "dropin.j2").write_text(TEMPLATE)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    root = tmp_path / "host"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "plain.conf").write_text("old\n")
    (root / "etc" / "old.conf").write_text("old\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))

    def run(*flags):
        out = tmp_path / "result.json"
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-c", "local", "-i", "localhost,",
             "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "root=%s" % root, "-e", "out=%s" % out,
             str(tmp_path / "play.yml")] + list(flags),
            cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(out.read_text()), proc.stdout

    return run, str(root)


def test_check_diff_predicts_per_file_what_the_converge_changes(play):
    run, root = play
    before = snapshot(root)
    predicted, output = run("--check", "--diff")
    assert snapshot(root) == before, "check mode changed the host"
    assert "MemoryMax=2G" in output  # the per-file diff is printed
    converged, dummy = run()
    after = snapshot(root)
    changed_on_disk = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert predicted["area"]["changed_files"] == converged["area"]["changed_files"]
    assert [(f["dest"], f["reasons"]) for f in predicted["area"]["files"]] == \
        [(f["dest"], f["reasons"]) for f in converged["area"]["files"]]
    assert changed_on_disk == sorted(set(converged["area"]["changed_files"]) | {root + "/etc/unit.d"})
    assert predicted["handler"] is True and converged["handler"] is True
    # Rendered on the controller with the task's vars and the entry's own vars.
    text = open(root + "/etc/unit.d/50-b.conf").read()
    assert text.endswith("# b (hello)\n[Service]\nMemoryMax=2G\n") and text.startswith("# ")
    # Idempotent, and the handler stays quiet.
    again, dummy = run()
    assert again["area"]["changed"] is False and again["handler"] is False


def test_a_template_error_names_the_entry(play, tmp_path):
    run, root = play
    (tmp_path / "templates" / "dropin.j2").write_text("{{ no_such_variable }}\n")
    with pytest.raises(AssertionError) as err:
        run()
    assert "files[0].src dropin.j2" in str(err.value)
