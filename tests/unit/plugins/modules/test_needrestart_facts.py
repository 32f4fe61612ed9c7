# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""needrestart_facts: merging needrestart's guest lines with the /proc scan."""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.needrestart import merge_guests


def test_merge_by_pid_keeps_both_sources():
    scanned = [{"pid": 10, "exe": "/usr/bin/qemu-system-x86_64", "name": "web1", "cgroup": None}]
    parsed = [{"name": "web1", "pid": 10}, {"name": "Unkown VM", "pid": 11}]
    merged = merge_guests(parsed, scanned)
    assert merged[0]["source"] == ["proc", "needrestart"]
    assert merged[0]["exe"] == "/usr/bin/qemu-system-x86_64"
    assert merged[1] == {"pid": 11, "name": "Unkown VM", "exe": None, "cgroup": None, "source": ["needrestart"],
                         "replaced_binary": True, "replaced_libraries": []}  # needrestart reports binaries only
    assert merge_guests([], []) == []


def _module_with(monkeypatch, answers):
    from ansible.module_utils import basic
    calls = []

    def run_command(self, args, **kwargs):
        calls.append(args[1:])
        return answers.pop(0)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)
    return calls


def test_module_asks_batch_then_list_mode(run_module, monkeypatch, tmp_path):
    from ansible_collections.startsecure.hardening.plugins.modules import needrestart_facts
    calls = _module_with(monkeypatch, [(0, "NEEDRESTART-VER: 3.6\nNEEDRESTART-KSTA: 1\nNEEDRESTART-SVC: cron.service\n", ""),
                                       (0, "", "")])
    failed, result = run_module(needrestart_facts.main, {"proc_root": str(tmp_path)}, check_mode=True)
    assert not failed and calls == [["-b", "-r", "l"], ["-r", "l", "-l", "-n", "-u", "NeedRestart::UI::stdio"]]
    assert result["needrestart_installed"] and result["version"] == "3.6" and result["services"] == ["cron.service"]
    assert result["guests"] == [] and result["restart_needed"] is True


def test_module_fails_with_needrestarts_words(run_module, monkeypatch, tmp_path):
    from ansible_collections.startsecure.hardening.plugins.modules import needrestart_facts
    _module_with(monkeypatch, [(2, "", "boom")])
    failed, result = run_module(needrestart_facts.main, {"proc_root": str(tmp_path)})
    assert failed and result["msg"] == "'needrestart -b -r l' failed with rc 2: boom" and result["rc"] == 2
