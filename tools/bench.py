# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (`make bench`): how long an audit and a hardening run take.

(a) The audit playbook (check mode) against N fresh Debian 12 containers, N = 1, 5, 20:
    wall-clock seconds, seconds per host, and the gathering time audit_facts itself
    reports per host (one module call per host gathers everything).
(b) Hardening one fresh guest container with every guest role (playbooks/guests.yml):
    the first run, the re-run and a --check re-run, with seconds and the task counts of
    the play recap.
(c) With --peer DIR --peer-playbook PLAY: the same three runs of another collection's
    play (DIR is a collections path holding it, for example devsec.hardening taken from
    its public repository by hand; it is never a dependency of this project and never
    part of make test) on a second, identical fresh container. The runs are interleaved
    (ours, peer, peer, ours, ours, peer), and the table gives each figure and the ratio
    ours/peer. DIR may also hold an older copy of this collection (before/after a change).

Both plays run with the docker connection and pipelining on. The containers are created
here (names bench-*) and removed at the end unless --keep. Numbers depend on the machine
and its load; they are printed, not asserted.
Usage: python3 tools/bench.py [--sizes 1,5,20] [--forks 10] [--keep] [--skip-harden] [--skip-audit]
                              [--peer DIR --peer-playbook PLAY [--peer-label NAME]]
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


def env(collections=None):
    extra = {"ANSIBLE_PIPELINING": "True"}
    if collections:
        # Only the peer's path (plus the collections installed with ansible itself): an
        # older copy of this collection there must not be shadowed by this checkout.
        extra["ANSIBLE_COLLECTIONS_PATH"] = collections
    return containers.environment(**extra)


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
    # Named after the hosts: two inventories of one host each (ours, the peer's) must not share a file.
    path = os.path.join(directory, "inventory-%s-%d-%s.json" % (group, len(names), names[0]))
    with open(path, "w") as handle:
        # docker exec is a way in that hardening sshd cannot close: the ssh role's lockout
        # check, which refuses a play that protects no ssh account, may only warn here.
        # The test images lack libpam-systemd: memory_limits may install it (else it refuses).
        json.dump({"all": {"vars": {"ansible_connection": "community.docker.docker",
                                    "ansible_python_interpreter": "/usr/bin/python3",
                                    "ssh_lockout_check_override": True,
                                    "memory_limits_install_pam_systemd": True},
                           "children": {group: {"hosts": dict((n, None) for n in names)}}}}, handle)
    return path


def run(args, log, collections=None):
    started = time.time()
    with open(log, "w") as handle:
        proc = subprocess.run(["ansible-playbook"] + args, stdout=handle, stderr=subprocess.STDOUT,
                              env=env(collections), cwd=ROOT, check=False)
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


RUNS = (("first run", []), ("re-run", []), ("--check re-run", ["--check"]))


def bench_harden(work, peer=None):
    """Time our guest play (and the peer's, on its own identical container), interleaved.

    peer: None or dict(collections=DIR, playbook=PLAY, label=NAME). Returns
    {label: [(run, rc, seconds, counts), ...]} with "ours" first.
    """
    sides = [("ours", dict(name="bench-harden", playbook="startsecure.hardening.guests", collections=None))]
    if peer:
        sides.append((peer["label"], dict(name="bench-harden-peer", playbook=peer["playbook"],
                                          collections=peer["collections"])))
    for dummy, side in sides:
        docker("rm", "-f", side["name"], check=False)
        start(side["name"])
    wait([side["name"] for dummy, side in sides])
    for dummy, side in sides:
        # Not timed: the image has no package lists (a real host has them).
        docker("exec", side["name"], "apt-get", "update", "-qq")
        side["inventory"] = inventory([side["name"]], "guests", work)
    results = dict((label, []) for label, dummy in sides)
    for number, (run_label, flags) in enumerate(RUNS):
        # Interleaved, and the order flips each time: neither side always runs second
        # (warm caches, the load of the other engineers' tests).
        order = sides if number % 2 == 0 else list(reversed(sides))
        for label, side in order:
            log = os.path.join(work, "harden-%s-%s.log" % (label.replace(" ", "-").replace("/", "-"),
                                                           run_label.strip("-").replace(" ", "-")))
            rc, seconds, text = run(["-i", side["inventory"], side["playbook"]] + flags, log,
                                    collections=side["collections"])
            counts = recap(text)
            results[label].append((run_label, rc, seconds, counts))
            say("%-8s %-15s: %6.1fs, ok=%d changed=%d skipped=%d failed=%d%s"
                % (label, run_label, seconds, counts["ok"], counts["changed"], counts["skipped"], counts["failed"],
                   "" if rc == 0 else " (FAILED, see %s)" % log))
    return results


def harden_table(results):
    """The figures, one row per run; with a peer, its figures and the ratio ours/peer."""
    labels = list(results)
    head = "%-16s %10s %5s %8s" % ("harden one guest", "ours (s)", "ok", "changed")
    for label in labels[1:]:
        head += " %12s %5s %8s %7s" % ("%s (s)" % label[:8], "ok", "changed", "ratio")
    lines = [head]
    for index, (run_label, rc, seconds, counts) in enumerate(results[labels[0]]):
        line = "%-16s %10.1f %5d %8d" % (run_label, seconds, counts["ok"], counts["changed"])
        if rc != 0:
            line += " FAILED"
        for label in labels[1:]:
            dummy, peer_rc, peer_seconds, peer_counts = results[label][index]
            line += " %12.1f %5d %8d %7.2f%s" % (peer_seconds, peer_counts["ok"], peer_counts["changed"],
                                                 seconds / peer_seconds if peer_seconds else float("nan"),
                                                 "" if peer_rc == 0 else " FAILED")
        lines.append(line)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20")
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the bench-* containers")
    parser.add_argument("--skip-harden", action="store_true")
    parser.add_argument("--skip-audit", action="store_true")
    parser.add_argument("--peer", metavar="DIR",
                        help="a collections path holding another hardening collection (not a dependency)")
    parser.add_argument("--peer-playbook", metavar="PLAY", help="the peer's play: a path or a playbook FQCN")
    parser.add_argument("--peer-label", default="peer", help="the peer's name in the table")
    args = parser.parse_args()
    if bool(args.peer) != bool(args.peer_playbook):
        parser.error("--peer and --peer-playbook go together")
    peer = None
    if args.peer:
        if not os.path.isdir(os.path.join(args.peer, "ansible_collections")):
            parser.error("--peer %s: no ansible_collections directory there (give the collections path)" % args.peer)
        playbook = args.peer_playbook
        if os.path.exists(playbook):
            playbook = os.path.abspath(playbook)
        peer = dict(collections=os.path.abspath(args.peer), playbook=playbook, label=args.peer_label)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = tempfile.mkdtemp(prefix="startsecure-bench-")
    say("logs and results in %s; machine: %d CPUs, load %s" % (work, os.cpu_count(), "%.1f %.1f %.1f" % os.getloadavg()))
    try:
        audit = [] if args.skip_audit else bench_audit(sizes, args.forks, work)
        harden = {} if args.skip_harden else bench_harden(work, peer)
    finally:
        if not args.keep:
            for name in ["bench-%02d" % i for i in range(1, max(sizes) + 1)] + ["bench-harden", "bench-harden-peer"]:
                docker("rm", "-f", name, check=False)
    if audit:
        print()
        print("%-28s %10s %12s" % ("audit (check mode)", "seconds", "s per host"))
    for size, seconds, per_host, dummy_hosts, dummy_findings in audit:
        print("%-28s %10.1f %12.2f" % ("%d host(s)" % size, seconds, per_host))
    if harden:
        print()
        for line in harden_table(harden):
            print(line)


if __name__ == "__main__":
    main()
