# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit, run from the controller against the hardened Molecule guest.

1. It passes every control that can pass in a container, in check mode, and it changes
   nothing: /etc and the libvirt state directory have the same checksum before and after.
2. One setting is tampered with (PasswordAuthentication yes in the ssh role's drop-in):
   the next audit fails exactly SSH-002, the play fails at the default threshold, and
   the drift section of the JSON and the HTML names SSH-002 as worse.
"""

from __future__ import annotations

import json
import os
import subprocess
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

HOST = "audit-debian12"
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
OUT = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"), "audit-results")
DROPIN = "/etc/ssh/sshd_config.d/00-startsecure-hardening.conf"
# tar with sorted names and mtimes: any written, added, removed or re-timed file changes it.
STATE = ("tar --sort=name --ignore-failed-read -C / -cf - etc var/lib/libvirt 2>/dev/null | sha256sum")


def sh(command):
    proc = subprocess.run(["docker", "exec", HOST, "sh", "-c", command], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def audit(*extra):
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, "startsecure.hardening.audit",
                           "-e", "audit_output_dir=" + OUT] + list(extra),
                          capture_output=True, text=True, timeout=600, check=False)
    with open(os.path.join(OUT, "audit.json")) as handle:
        return proc, json.load(handle)


def statuses(result):
    return dict((f["id"], f["status"]) for f in result["hosts"][HOST]["findings"])


@pytest.fixture(scope="module")
def first():
    if not INVENTORY:
        pytest.skip("run by molecule verify (MOLECULE_INVENTORY_FILE)")
    subprocess.run(["rm", "-rf", OUT], check=True)
    before = sh(STATE)
    proc, result = audit("--check")
    after = sh(STATE)
    return {"proc": proc, "result": result, "before": before, "after": after}


def test_audit_in_check_mode_changes_nothing(first):
    assert first["before"] == first["after"]
    assert first["before"].strip()


def test_hardened_guest_passes_every_control_that_can_pass(first):
    assert first["proc"].returncode == 0, first["proc"].stdout[-3000:]
    result = first["result"]
    assert sorted(result["hosts"]) == [HOST]
    findings = result["hosts"][HOST]["findings"]
    assert set(f["area"] for f in findings) == {"ssh", "console", "patching", "memory_limits"}
    bad = [(f["id"], f["status"], f["evidence"]) for f in findings if f["status"] not in ("pass", "not_applicable")]
    assert bad == []
    # What cannot apply in a container, and why, is stated rather than passed.
    not_applicable = dict((f["id"], f["evidence"]) for f in findings if f["status"] == "not_applicable")
    assert "CON-012" in not_applicable and "container" in not_applicable["CON-012"]
    assert "MEM-005" in not_applicable
    assert "PASS" in first["proc"].stdout and HOST in first["proc"].stdout   # the summary table


def test_reports_are_written_and_parse(first):
    root = ElementTree.parse(os.path.join(OUT, "audit-junit.xml")).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(first["result"]["hosts"][HOST]["findings"])

    class Text(HTMLParser):
        chunks = []

        def handle_data(self, data):
            self.chunks.append(data)
    parser = Text()
    with open(os.path.join(OUT, "audit.html")) as handle:
        parser.feed(handle.read())
    text = "".join(parser.chunks)
    assert HOST in text and all(f["id"] in text for f in first["result"]["hosts"][HOST]["findings"])


def test_audit_without_check_mode_changes_nothing_either(first):
    before = sh(STATE)
    proc, result = audit()
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert sh(STATE) == before
    assert statuses(result) == statuses(first["result"])
    assert result["drift"]["worse"] == [] and result["drift"]["better"] == []


def test_tampered_setting_fails_exactly_its_control_and_drift_names_it(first):
    previous = statuses(first["result"])
    sh("sed -i -E 's/^[[:space:]]*PasswordAuthentication[[:space:]].*/PasswordAuthentication yes/I' %s" % DROPIN)
    assert "passwordauthentication yes" in sh("sshd -T")
    try:
        proc, result = audit()
    finally:
        sh("sed -i -E 's/^PasswordAuthentication yes$/PasswordAuthentication no/' %s" % DROPIN)
    assert proc.returncode != 0                       # SSH-002 is high: the play fails
    now = statuses(result)
    changed = sorted(cid for cid in now if now[cid] != previous.get(cid))
    assert changed == ["SSH-002"] and now["SSH-002"] == "fail"
    assert [(f["host"], f["id"]) for f in result["failing"]] == [(HOST, "SSH-002")]
    worse = [(c["host"], c["id"], c["before"], c["after"]) for c in result["drift"]["worse"]]
    assert worse == [(HOST, "SSH-002", "pass", "fail")]
    with open(os.path.join(OUT, "audit.html")) as handle:
        page = handle.read()
    drift = page[page.index('id="drift"'):page.index('id="failing"')]
    assert "SSH-002" in drift and "Worse" in drift
