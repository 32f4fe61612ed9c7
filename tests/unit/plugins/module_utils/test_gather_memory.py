# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather/memory.py reads what is in effect: sshd's live OOM scores, the cgroup of each
process the listener started, and the vm.* settings, from a /proc it is given."""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import memory


def _proc(tmp_path, pid, ppid, comm, cmdline, adj, cgroup):
    d = tmp_path / str(pid)
    d.mkdir()
    (d / "stat").write_text("%d (%s) S %d 1 1 0 -1\n" % (pid, comm, ppid))
    (d / "cmdline").write_bytes(cmdline.encode().replace(b" ", b"\0") + b"\0")
    (d / "oom_score_adj").write_text("%d\n" % adj)
    (d / "cgroup").write_text(cgroup)


def test_listener_and_its_sessions_with_live_scores_and_cgroups(tmp_path):
    _proc(tmp_path, 500, 1, "sshd", "sshd: /usr/sbin/sshd -D [listener]", -1000, "0::/system.slice/ssh.service\n")
    _proc(tmp_path, 900, 500, "sshd", "sshd: admin [priv]", 0, "0::/user.slice/user-1000.slice/session-4.scope\n")
    # a comm with a space and a parenthesis must not shift the fields
    _proc(tmp_path, 901, 500, "sshd) x", "sshd: leaker [priv]", -500,
          "12:memory:/system.slice/ssh.service\n1:name=systemd:/system.slice/ssh.service\n0::/\n")
    _proc(tmp_path, 950, 900, "bash", "-bash", 0, "0::/user.slice/user-1000.slice/session-4.scope\n")
    live = memory.sshd_live(500, proc=str(tmp_path))
    assert live["pid"] == 500 and live["oom_score_adj"] == -1000
    assert [(s["pid"], s["oom_score_adj"], s["cgroup"]) for s in live["sessions"]] == [
        (900, 0, "/user.slice/user-1000.slice/session-4.scope"),
        (901, -500, "/system.slice/ssh.service")]   # v1: systemd's own hierarchy, not the v2 root
    assert live["sessions"][0]["cmdline"] == "sshd: admin [priv]"


def test_no_listener():
    assert memory.sshd_live(None) == {"pid": None, "oom_score_adj": None, "sessions": []}


def test_sysctl_values(tmp_path):
    vm = tmp_path / "sys" / "vm"
    vm.mkdir(parents=True)
    (vm / "panic_on_oom").write_text("1\n")
    (vm / "overcommit_memory").write_text("0\n")
    assert memory.sysctl(str(tmp_path)) == {"vm.panic_on_oom": 1, "vm.overcommit_memory": 0, "vm.overcommit_ratio": None}
