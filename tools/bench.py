# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (`make bench`): how long an audit and a hardening run take.

(a) The audit playbook (check mode) against N fresh Debian 12 containers, N = 1, 5, 20:
    wall-clock seconds, seconds per host, and the gathering time audit_facts itself
    reports per host (one module call per host gathers everything).
(b) Hardening one fresh guest container with every guest role (playbooks/guests.yml):
    the first run and the re-run, with seconds and the task counts of the play recap.

The containers are created here (names bench-*) and removed at the end unless --keep.
Numbers depend on the machine and its load; they are printed, not asserted.
Usage: python3 tools/bench.py [--sizes 1,5,20] [--forks 10] [--keep] [--skip-harden]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time

import containers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = "startsecure-test/debian12:current"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def say(message):
    print("bench: %s" % message, flush=True)


def env():
    return containers.environment()


def docker(*args, check=True):
    return containers.docker(*args, check=check, who="bench")


def start(name):
    containers.run_systemd(name, IMAGE, "startsecure.bench", who="bench")


def wait(names, timeout=600):
    """Wait until systemd runs in every container (see containers.wait_for_systemd)."""
    again = containers.wait_for_systemd(names, timeout, who="bench")
    if again:
        say("restarted %s (systemd exited at start: inotify instances are shared by every container)" % ", ".join(again))


def inventory(names, group, directory):
    path = os.path.join(directory, "inventory-%s-%d.json" % (group, len(names)))
    with open(path, "w") as handle:
        json.dump({"all": {"vars": {"ansible_connection": "community.docker.docker",
                                    "ansible_python_interpreter": "/usr/bin/python3"},
                           "children": {group: {"hosts": dict((n, None) for n in names)}}}}, handle)
    return path


def run(args, log):
    started = time.time()
    with open(log, "w") as handle:
        proc = subprocess.run(["ansible-playbook"] + args, stdout=handle, stderr=subprocess.STDOUT, env=env(), cwd=ROOT,
                              check=False)
    seconds = time.time() - started
    with open(log) as handle:
        text = handle.read()
    return proc.returncode, seconds, text


INOTIFY = "/proc/sys/fs/inotify/max_user_instances"
# Each systemd container holds about six inotify instances (systemd, journald, logind...),
# all counted against the one root user of the machine.
PER_CONTAINER = 8


def ensure_inotify(containers):
    """Raise fs.inotify.max_user_instances when it cannot hold this many systemd containers.

    The usual default, 128, is exhausted by about twenty systemd containers, whose systemd
    then exits at start. Raising it is what container-in-container tools (kind, k3d)
    document too; it is done only when needed, only as root, and said out loud.
    """
    try:
        with open(INOTIFY) as handle:
            current = int(handle.read().strip())
    except (IOError, OSError, ValueError):
        return
    wanted = 256 + PER_CONTAINER * containers
    if current >= wanted:
        return
    if os.geteuid() != 0:
        say("fs.inotify.max_user_instances is %d; %d systemd containers may need %d (run as root to raise it)"
            % (current, containers, wanted))
        return
    with open(INOTIFY, "w") as handle:
        handle.write(str(wanted))
    say("raised fs.inotify.max_user_instances from %d to %d so %d systemd containers can start"
        % (current, wanted, containers))


def bench_audit(sizes, forks, work):
    names = ["bench-%02d" % i for i in range(1, max(sizes) + 1)]
    ensure_inotify(len(names) + 1)
    say("starting %d Debian 12 containers" % len(names))
    for name in names:
        start(name)
        # One at a time: twenty systemd boots at once starve a small machine.
        wait([name])
    rows = []
    for size in sizes:
        out = os.path.join(work, "audit-%d" % size)
        rc, seconds, text = run(["-i", inventory(names[:size], "guests", work), "-f", str(forks),
                                 "startsecure.hardening.audit", "--check", "-e", "audit_output_dir=" + out,
                                 "-e", "audit_keep_history=false"], os.path.join(work, "audit-%d.log" % size))
        with open(os.path.join(out, "audit.json")) as handle:
            result = json.load(handle)
        gathered = [h for h in result["hosts"].values() if not h.get("error")]
        findings = sum(len(h["findings"]) for h in result["hosts"].values())
        rows.append((size, seconds, seconds / size, len(gathered), findings))
        say("audit of %2d host(s): %6.1fs wall, %5.2fs per host, %d findings (forks %d)"
            % (size, seconds, seconds / size, findings, forks))
    return rows


def recap(text):
    totals = {"ok": 0, "changed": 0, "failed": 0, "skipped": 0}
    for match in RECAP.finditer(text):
        totals["ok"] += int(match.group(2))
        totals["changed"] += int(match.group(3))
        totals["failed"] += int(match.group(5))
        totals["skipped"] += int(match.group(6))
    return totals


def bench_harden(work):
    name = "bench-harden"
    docker("rm", "-f", name, check=False)
    start(name)
    wait([name])
    # Not timed: the image has no package lists (a real host has them).
    docker("exec", name, "apt-get", "update", "-qq")
    inv = inventory([name], "guests", work)
    results = []
    for label in ("first run", "re-run"):
        rc, seconds, text = run(["-i", inv, "startsecure.hardening.guests"], os.path.join(work, "harden-%s.log" % label.replace(" ", "-")))
        counts = recap(text)
        results.append((label, rc, seconds, counts))
        say("hardening one fresh guest, %-9s: %6.1fs, ok=%d changed=%d skipped=%d failed=%d%s"
            % (label, seconds, counts["ok"], counts["changed"], counts["skipped"], counts["failed"],
               "" if rc == 0 else " (FAILED, see %s)" % work))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20")
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the bench-* containers")
    parser.add_argument("--skip-harden", action="store_true")
    parser.add_argument("--skip-audit", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = tempfile.mkdtemp(prefix="startsecure-bench-")
    say("logs and results in %s; machine: %d CPUs, load %s" % (work, os.cpu_count(), "%.1f %.1f %.1f" % os.getloadavg()))
    try:
        audit = [] if args.skip_audit else bench_audit(sizes, args.forks, work)
        harden = [] if args.skip_harden else bench_harden(work)
    finally:
        if not args.keep:
            for name in ["bench-%02d" % i for i in range(1, max(sizes) + 1)] + ["bench-harden"]:
                docker("rm", "-f", name, check=False)
    print()
    print("%-28s %10s %12s" % ("audit (check mode)", "seconds", "s per host"))
    for size, seconds, per_host, dummy_hosts, dummy_findings in audit:
        print("%-28s %10.1f %12.2f" % ("%d host(s)" % size, seconds, per_host))
    if harden:
        print()
        print("%-28s %10s %6s %8s" % ("harden one guest", "seconds", "ok", "changed"))
        for label, rc, seconds, counts in harden:
            print("%-28s %10.1f %6d %8d" % (label, seconds, counts["ok"], counts["changed"]))


if __name__ == "__main__":
    main()
