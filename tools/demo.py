# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab demo (`make demo`): audit, harden, audit again, and show the difference.

From nothing (the Makefile's venv, docker and images targets ran first) it starts a
local lab of systemd containers:

  demo-kvm    one KVM host: startsecure-test/kvm-debian12 (libvirt + QEMU under TCG)
              running two small emulated guests;
  demo-guest  one Linux guest: startsecure-test/debian12.

Then it audits the lab (playbooks/audit.yml), hardens it with every role
(playbooks/site.yml), audits it again with the first audit as the previous result,
and leaves both reports in demo-output/ (gitignored). A second run reuses the
containers, which are then already hardened. Ansible reaches the containers with the
community.docker.docker connection plugin; the inventory is written here.

Usage: python3 tools/demo.py [--clean]    (--clean removes the demo containers and stops)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import containers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "demo-output")
LAB = os.path.join(OUT, "lab")
HOSTS = {
    "demo-kvm": {"image": "startsecure-test/kvm-debian12:current", "group": "kvm_hosts", "kvm": True,
                 "vars": {"kvm_host_admins": ["virtadmin"]}},
    "demo-guest": {"image": "startsecure-test/debian12:current", "group": "guests", "kvm": False, "vars": {}},
}


def say(message):
    print("demo: %s" % message, flush=True)


def die(message):
    print("demo: %s" % message, file=sys.stderr, flush=True)
    sys.exit(1)


def docker(*args, check=True):
    return containers.docker(*args, check=check, who="demo")


def environment():
    return containers.environment(ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")


def write_inventory():
    # docker exec is a way in that hardening sshd cannot close: the ssh role's lockout
    # check, which refuses a play that protects no ssh account, may only warn here.
    # The test images lack libpam-systemd: memory_limits may install it (else it refuses).
    inventory = {"all": {"vars": {"ansible_connection": "community.docker.docker",
                                  "ansible_python_interpreter": "/usr/bin/python3",
                                  "ssh_lockout_check_override": True,
                                  "memory_limits_install_pam_systemd": True},
                         "children": {}}}
    for name, spec in HOSTS.items():
        group = inventory["all"]["children"].setdefault(spec["group"], {"hosts": {}})
        group["hosts"][name] = spec["vars"] or None
    path = os.path.join(LAB, "inventory.json")
    with open(path, "w") as handle:
        json.dump(inventory, handle, indent=2)
    return path


def playbook(name, inventory, log, *extra):
    command = ["ansible-playbook", "-i", inventory, name] + list(extra)
    say("running %s (log: %s)" % (" ".join(command[3:]) or name, os.path.relpath(log, ROOT)))
    started = time.time()
    with open(log, "w") as handle:
        proc = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=environment(), cwd=ROOT, check=False)
    return proc.returncode, time.time() - started


def summary_of(path):
    with open(path) as handle:
        result = json.load(handle)
    return result


# Every file and directory under /etc and /var/lib/libvirt with its mtime, size and mode,
# plus a checksum of the file contents: a written, added, removed or re-timed file shows.
STATE = ("find /etc /var/lib/libvirt -printf '%p %T@ %s %m\\n' 2>/dev/null | sort; "
         "tar --sort=name --ignore-failed-read -C / -cf - etc var/lib/libvirt 2>/dev/null | sha256sum")


def state(name):
    return docker("exec", name, "sh", "-c", STATE).stdout.splitlines()


def state_difference(before, after):
    """The paths whose listing line differs, for the report when a checksum moved."""
    old, new = set(before[:-1]), set(after[:-1])
    paths = sorted(set(line.rsplit(" ", 3)[0] for line in old ^ new))
    if before[-1:] != after[-1:] and not paths:
        paths = ["(file contents)"]
    return paths


def print_table(result_path):
    """The audit's own summary table, rendered from its JSON result by the collection's report code."""
    collections = os.path.join(ROOT, "build", "collections")
    if collections not in sys.path:
        sys.path.insert(0, collections)
    from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import render as report
    with open(result_path) as handle:
        text = report.to_text(json.load(handle), max_lines=12)
    for line in text.splitlines():
        print("    " + line)


def main():
    if "--clean" in sys.argv[1:]:
        for name in HOSTS:
            docker("rm", "-f", name, check=False)
        say("removed the demo containers; demo-output/ is kept")
        return
    os.makedirs(LAB, exist_ok=True)
    containers.ensure_collection_link()
    for name, spec in HOSTS.items():
        say("starting %s from %s" % (name, spec["image"]))
        containers.run_systemd(name, spec["image"], "startsecure.demo",
                               containers.kvm_args(LAB) if spec["kvm"] else (), who="demo")
    containers.wait_for_systemd(list(HOSTS), timeout=180, who="demo")
    inventory = write_inventory()
    logs = os.path.join(OUT, "logs")
    os.makedirs(logs, exist_ok=True)

    rc, seconds = playbook(os.path.join(ROOT, "tools", "demo", "lab.yml"), inventory, os.path.join(logs, "lab.log"))
    if rc != 0:
        die("preparing the lab failed; see demo-output/logs/lab.log")

    before_dir, after_dir = os.path.join(OUT, "before"), os.path.join(OUT, "after")
    states = dict((name, state(name)) for name in HOSTS)
    rc, audit1 = playbook("startsecure.hardening.audit", inventory, os.path.join(logs, "audit-before.log"),
                          "-e", "audit_output_dir=" + before_dir, "-e", "audit_keep_history=false")
    if not os.path.exists(os.path.join(before_dir, "audit.json")):
        die("the first audit wrote no result; see demo-output/logs/audit-before.log")
    say("audit before hardening: %.0fs, %s (a failing audit is expected here)" % (audit1, "passed" if rc == 0 else "failed"))
    for name in HOSTS:
        now = state(name)
        same = now == states[name]
        say("  %s: checksum of /etc and /var/lib/libvirt %s by the audit" % (name, "unchanged" if same else "CHANGED"))
        for path in state_difference(states[name], now)[:10]:
            say("    changed: %s" % path)
    print_table(os.path.join(before_dir, "audit.json"))

    rc, harden = playbook("startsecure.hardening.site", inventory, os.path.join(logs, "site.log"))
    if rc != 0:
        die("hardening failed after %.0fs; see demo-output/logs/site.log" % harden)
    say("hardened every host with playbooks/site.yml in %.0fs" % harden)

    rc, audit2 = playbook("startsecure.hardening.audit", inventory, os.path.join(logs, "audit-after.log"),
                          "-e", "audit_output_dir=" + after_dir, "-e", "audit_keep_history=false",
                          "-e", "audit_previous_result=" + os.path.join(before_dir, "audit.json"))
    if not os.path.exists(os.path.join(after_dir, "audit.json")):
        die("the second audit wrote no result; see demo-output/logs/audit-after.log")
    say("audit after hardening: %.0fs, %s" % (audit2, "passed" if rc == 0 else "failed"))
    print_table(os.path.join(after_dir, "audit.json"))

    before, after = summary_of(os.path.join(before_dir, "audit.json")), summary_of(os.path.join(after_dir, "audit.json"))
    drift = after.get("drift") or {}
    print()
    say("pass rate before: %s%%  after: %s%%  (%d controls better, %d worse)" % (
        before["counts"]["pass_rate"], after["counts"]["pass_rate"], len(drift.get("better", [])),
        len(drift.get("worse", []))))
    for host in sorted(after["hosts"]):
        say("  %-12s %5s%% -> %5s%%" % (host, before["hosts"].get(host, {}).get("counts", {}).get("pass_rate"),
                                        after["hosts"][host]["counts"]["pass_rate"]))
    still = [(f["host"], f["id"], f["title"]) for f in after["failing"]]
    if still:
        say("still failing at or above %s after hardening (see the report for why):" % after["threshold"])
        for host, cid, title in still:
            say("  %-12s %s %s" % (host, cid, title))
    say("reports: %s/before/audit.html and %s/after/audit.html (JSON and JUnit beside them)" % (OUT, OUT))
    say("the lab keeps running; `python3 tools/demo.py --clean` removes it")


if __name__ == "__main__":
    main()
