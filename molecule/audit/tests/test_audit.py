# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit, run from the controller against the hardened Molecule guest.

1. It passes every control that can pass in a container, in check mode, and it changes
   nothing: /etc and the libvirt state directory have the same checksum before and after.
2. One setting is tampered with (PasswordAuthentication yes in the ssh role's drop-in):
   the next audit fails exactly SSH-002, the play fails at the default threshold, and
   the drift section of the JSON and the HTML names SSH-002 as worse.
3. A run limited to one area (audit_areas), with a host in the baseline that this run
   does not reach (as --limit leaves one out), neither calls the rest "better" nor drops
   it from baseline.json; the next full run still sees SSH-002 come back from fail.
   The result also comes back through set_stats (what AWX keeps as artifacts).
4. A process whose name holds ESC and BEL and which maps a deleted library: the JUnit
   file still parses and names it (escaped), the HTML too.
5. The reports can live on another host (audit_report_host) in a persistent directory.
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


def audit(*extra, env=None):
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, "startsecure.hardening.audit",
                           "-e", "audit_output_dir=" + OUT] + list(extra),
                          capture_output=True, text=True, timeout=600, check=False,
                          env=dict(os.environ, **(env or {})))
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


def test_the_role_added_the_security_suite_and_nothing_is_pending(first):
    # the image has no security suite; the patching role added it from the image's mirror
    sources = sh("cat /etc/apt/sources.list.d/startsecure-security.sources")
    assert "Suites: bookworm-security" in sources and "/debian-security" in sources
    assert "bookworm-security" in sh("apt-cache policy")
    found = statuses(first["result"])
    assert found["PAT-009"] == "pass" and found["PAT-005"] == "pass" and found["PAT-003"] == "pass"


def _baseline():
    with open(os.path.join(OUT, "baseline.json")) as handle:
        return json.load(handle)


def test_limited_run_keeps_the_baseline_of_the_others_and_returns_set_stats(first):
    # the tamper test left SSH-002 failing in the baseline; a host --limit would leave out:
    baseline = _baseline()
    assert statuses(baseline)["SSH-002"] == "fail"
    baseline["hosts"]["left-out-by-limit"] = json.loads(json.dumps(baseline["hosts"][HOST]))
    with open(os.path.join(OUT, "baseline.json"), "w") as handle:
        json.dump(baseline, handle)
    proc, limited = audit("-e", '{"audit_areas": ["patching"], "audit_stats_result": true}',
                          env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_SHOW_CUSTOM_STATS": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert set(f["area"] for f in limited["hosts"][HOST]["findings"]) == {"patching"}
    # SSH-002 passes again, but this run did not look at ssh: no verdict on it, nor on the other host
    assert limited["drift"]["better"] == [] and limited["drift"]["worse"] == []
    assert limited["drift"]["not_audited_hosts"] == ["left-out-by-limit"]
    kept = _baseline()
    assert statuses(kept)["SSH-002"] == "fail" and "left-out-by-limit" in kept["hosts"]
    assert set(f["area"] for f in kept["hosts"][HOST]["findings"]) == {"ssh", "console", "patching", "memory_limits"}
    # the result as AWX keeps it: set_stats
    stats = json.loads(proc.stdout)["global_custom_stats"]["startsecure_audit"]
    assert stats["passed"] is True and stats["counts"] == limited["counts"]
    assert stats["result"]["hosts"][HOST]["findings"] == limited["hosts"][HOST]["findings"]
    assert stats["reports"] == {"host": "localhost", "dir": OUT}
    # the next full run compares with the kept baseline: SSH-002 came back from fail
    proc, full = audit()
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in full["drift"]["better"]] == [
        (HOST, "SSH-002", "fail", "pass")]
    assert full["drift"]["worse"] == [] and "left-out-by-limit" in _baseline()["hosts"]


def test_control_characters_in_a_process_name_keep_junit_and_html_valid(first):
    # a process named "bad<ESC>[31mname<BEL>" that maps a library deleted on disk (PAT-008);
    # the library lives in /root because /tmp is a noexec tmpfs here (dlopen cannot map it)
    script = ("import ctypes, os, time; ctypes.CDLL('/root/libstartsecure-esc.so'); os.unlink('/root/libstartsecure-esc.so');"
              " ctypes.CDLL(None).prctl(15, b'bad\\x1b[31mname\\x07', 0, 0, 0); time.sleep(600)")
    sh("cp /usr/lib/x86_64-linux-gnu/libz.so.1 /root/libstartsecure-esc.so && "
       "(setsid python3 -c \"%s\" >/dev/null 2>&1 &) && sleep 2" % script)
    try:
        proc, result = audit()
    finally:
        sh("pkill -f 'libstartsecure-es[c]' || true")
    assert statuses(result)["PAT-008"] == "fail"
    assert proc.returncode == 0, proc.stdout[-3000:]          # PAT-008 is medium, below the threshold
    with open(os.path.join(OUT, "audit-junit.xml"), "rb") as handle:
        raw = handle.read()
    assert b"\x1b" not in raw
    root = ElementTree.fromstring(raw)
    [case] = [c for c in root.iter("testcase") if c.get("name").startswith("PAT-008")]
    assert "bad\\x1b[31mname\\x07" in case.find("failure").get("message")
    with open(os.path.join(OUT, "audit.html")) as handle:
        page = handle.read()
    assert "\x1b" not in page and "bad\\x1b[31mname\\x07" in page
    HTMLParser().feed(page)


def test_reports_on_a_chosen_report_host_in_a_persistent_directory(first):
    proc, _result = audit("-e", "audit_report_host=%s" % HOST, "-e", "audit_output_dir=/var/lib/startsecure-audit",
                          "-e", "audit_report_become=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    listed = sh("ls /var/lib/startsecure-audit")
    assert all(name in listed for name in ("audit.json", "baseline.json", "audit-junit.xml", "audit.html"))
    assert json.loads(sh("cat /var/lib/startsecure-audit/audit.json"))["hosts"][HOST]["findings"]
