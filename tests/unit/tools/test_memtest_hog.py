# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory_limits scenario's leak (molecule/memory_limits/files/hog.py) reports the
cgroup that limits it under "memory" on cgroup v1, hybrid and v2 hosts, where the
tests read it (on v2 it used to be stored under "unified" only)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HOG = os.path.join(ROOT, "molecule", "memory_limits", "files", "hog.py")
_SPEC = importlib.util.spec_from_file_location("memtest_hog", HOG)
hog = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(hog)

V2 = "0::/user.slice/user-1000.slice/session-3.scope\n"
V1 = ("12:memory:/user.slice/user-1000.slice/session-3.scope\n"
      "5:cpu,cpuacct:/user.slice\n"
      "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n")
HYBRID = ("12:memory:/system.slice/leaky.service\n"
          "1:name=systemd:/system.slice/leaky.service\n"
          "0::/system.slice/leaky.service\n")


def test_v2_cgroup_is_under_memory():
    found = hog.cgroups(V2)
    assert found["memory"] == "/user.slice/user-1000.slice/session-3.scope"
    assert found["unified"] == found["memory"]


def test_v1_memory_controller_path_wins_and_joined_controllers_are_split():
    found = hog.cgroups(V1)
    assert found["memory"] == "/user.slice/user-1000.slice/session-3.scope"
    assert found["cpu"] == found["cpuacct"] == "/user.slice"


def test_hybrid_host_reports_the_v1_memory_controller():
    # hybrid: the memory controller is on v1; the unified tree only tracks processes
    assert hog.cgroups(HYBRID)["memory"] == "/system.slice/leaky.service"


def test_a_small_run_reports_progress_cgroup_and_live_oom_score(tmp_path):
    progress = tmp_path / "hog.json"
    subprocess.run([sys.executable, HOG, "8", str(progress)], check=True, timeout=60)
    state = json.loads(progress.read_text())
    assert state["done"] is True and state["mib"] == 8
    assert state["cgroups"]["memory"].startswith("/")
    with open("/proc/self/oom_score_adj") as handle:
        assert state["oom_score_adj"] == int(handle.read())
