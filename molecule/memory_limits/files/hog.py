# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded memory leak: the attack the memory_limits role contains.

Usage: hog.py LIMIT_MIB PROGRESS_FILE [STEP_MIB]

Allocates 4 MiB every 80 ms and keeps it, touching every page (bytes filled with
b'x', not a lazily zeroed buffer), until it holds LIMIT_MIB, then reports done. It
never asks for more than LIMIT_MIB, so the machine running the test is never at risk.
After every step it atomically rewrites PROGRESS_FILE (JSON): how far it got, which
cgroups it runs in and as which user, so a test can read the result even when the
kernel's OOM killer ends the process.

The cgroup that limits its memory is under the key "memory" on every host: the
memory controller's path on cgroup v1 and hybrid hosts, the unified path on cgroup
v2 (where /proc/self/cgroup has only the line "0::PATH"). Its oom_score_adj is the
live score the kernel would weigh it by (a login inheriting sshd's shield shows here).
"""

from __future__ import annotations

import json
import os
import sys
import time

STEP_MIB = 4
DELAY = 0.08


def cgroups(text=None):
    """{controllers: path} of /proc/self/cgroup, with "memory" always set when known."""
    if text is None:
        with open("/proc/self/cgroup") as handle:
            text = handle.read()
    found = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        _num, controllers, path = line.split(":", 2)
        for controller in (controllers or "unified").split(","):
            found[controller] = path
    if "memory" not in found and "unified" in found:
        found["memory"] = found["unified"]  # cgroup v2: one hierarchy holds every controller
    return found


def oom_score_adj():
    with open("/proc/self/oom_score_adj") as handle:
        return int(handle.read().strip())


def report(path, state):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)


def main():
    limit_mib, progress = int(sys.argv[1]), sys.argv[2]
    step = int(sys.argv[3]) if len(sys.argv) > 3 else STEP_MIB
    state = {"pid": os.getpid(), "uid": os.getuid(), "cgroups": cgroups(),
             "oom_score_adj": oom_score_adj(), "mib": 0, "done": False}
    report(progress, state)
    chunks = []
    while state["mib"] < limit_mib:
        chunks.append(b"x" * (step * 1024 * 1024))
        state["mib"] += step
        report(progress, state)
        time.sleep(DELAY)
    state["done"] = True
    report(progress, state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
