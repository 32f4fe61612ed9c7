# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every role of the collection relies on in the test containers.

If the environment regresses (systemd not PID 1, a degraded boot, memory cgroup limits
no longer enforced), this scenario fails before any role scenario gives a confusing
result.
"""

from __future__ import annotations

import re

# A bounded memory hog: allocates HOG_MB in 10 MiB steps and really touches every page
# (bytes filled with 'x', not a lazily zeroed buffer), printing how far it got after each
# step, then "done". It never asks for more than HOG_MB, so the test machine is never at
# risk.
HOG_MB = 300
HOG = (
    "chunks = []\n"
    "for i in range(%d // 10):\n"
    "    chunks.append(b'x' * (10 * 1024 * 1024))\n"
    "    print((i + 1) * 10, flush=True)\n"
    "print('done', flush=True)\n" % HOG_MB
)


def _hog(host, properties=""):
    host.run("cat > /tmp/hog.py <<'EOF'\n%sEOF" % HOG)
    return host.run("systemd-run --wait --collect --pipe %s /usr/bin/python3 /tmp/hog.py" % properties)


def _reached(result):
    steps = [int(line) for line in result.stdout.split() if line.isdigit()]
    return max(steps or [0])


def test_systemd_is_pid1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_system_is_running(host):
    state = host.run("systemctl is-system-running --wait")
    assert state.stdout.strip() == "running", host.run("systemctl --failed --no-legend").stdout


def test_hog_without_limit_completes(host):
    # The control case: the same hog with no limit finishes, so the kill below is the limit's.
    result = _hog(host)
    assert result.rc == 0, result.stderr
    assert "done" in result.stdout and _reached(result) == HOG_MB


def test_hog_under_a_generous_limit_completes(host):
    result = _hog(host, "-p MemoryMax=%dM" % (HOG_MB + 150))
    assert result.rc == 0, result.stderr
    assert "done" in result.stdout


def test_memory_limit_is_enforced_by_oom_kill(host):
    result = _hog(host, "-p MemoryMax=50M")
    assert result.rc != 0
    assert "done" not in result.stdout
    # Killed by the kernel (SIGKILL from the memory cgroup OOM killer) near its limit.
    assert re.search(r"status=(9/)?KILL|oom-kill", result.stderr), result.stderr
    assert _reached(result) <= 50, result.stdout
