# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import importlib.util
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.audit_report import FilterModule, audit_report
from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog


def _sibling(name, path):
    """Reuse the recorded facts and HARDEN table of the controls' unit tests."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(__file__), path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_areas = _sibling("_audit_controls_areas", "../plugin_utils/test_controls_areas.py")
_load, hardened = _areas._load, _areas.hardened


def _hosts(facts):
    return {"guest1": {"facts": facts, "groups": ["guests"]}}


def test_registered_and_judges_with_the_whole_catalog():
    assert FilterModule().filters()["audit_report"] is audit_report
    out = audit_report(_hosts(hardened()), threshold="low", today="2026-06-01")
    findings = out["result"]["hosts"]["guest1"]["findings"]
    areas = set(f["area"] for f in findings)
    assert areas == {"ssh", "console", "patching", "memory_limits"}   # no kvm_host: not gathered there
    assert len(findings) == len([c for c in catalog.CONTROLS if c.area in areas])
    assert out["passed"] is True and out["failing"] == []
    assert json.loads(out["json"])["hosts"]["guest1"]["counts"]["fail"] == 0
    assert out["junit"].startswith("<?xml") and "<html" in out["html"] and out["text"].startswith("HOST")


def test_default_host_fails_and_previous_gives_drift():
    good = audit_report(_hosts(hardened()), today="2026-06-01")
    bad_facts = hardened()
    bad_facts["ssh"]["effective"]["passwordauthentication"] = "yes"
    bad = audit_report(_hosts(bad_facts), previous=good["json"], today="2026-06-01")
    assert bad["passed"] is False
    assert [f["id"] for f in bad["failing"]] == ["SSH-002"]
    assert [(c["host"], c["id"]) for c in bad["result"]["drift"]["worse"]] == [("guest1", "SSH-002")]


def test_waiver_and_its_expiry_through_the_filter():
    facts = _load("debian12-default.json")
    waivers = [{"id": cid, "hosts": ["guest1"], "reason": "lab", "expires": "2026-06-30"}
               for cid in ("SSH-001", "SSH-002", "SSH-012", "SSH-014", "PAT-001", "PAT-002", "PAT-003", "PAT-009",
                           "MEM-002", "MEM-003", "MEM-006", "MEM-009", "CON-002", "CON-003")]
    out = audit_report(_hosts(facts), waivers=waivers, today="2026-06-01")
    assert [f["id"] for f in out["failing"]] == []
    later = audit_report(_hosts(facts), waivers=waivers, today="2026-07-01")
    assert "SSH-002" in [f["id"] for f in later["failing"]]


@pytest.mark.parametrize("kwargs,message", [
    ({"threshold": "urgent"}, "unknown severity"),
    ({"waivers": [{"id": "SSH-999", "hosts": ["x"], "reason": "r", "expires": "2026-01-01"}]}, "no control has the id SSH-999"),
    ({"previous": "not json"}, "not JSON"),
])
def test_bad_arguments_are_filter_errors(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        audit_report(_hosts(hardened()), **kwargs)


def test_input_must_be_a_dict():
    with pytest.raises(AnsibleFilterError, match="must be a dict"):
        audit_report(["guest1"])


def test_junit_and_html_stay_valid_with_control_characters_from_the_host():
    """A process name with ESC and BEL (PAT-008's evidence) once made the JUnit file unparseable."""
    from html.parser import HTMLParser
    from xml.etree import ElementTree
    facts = hardened()
    facts["patching"]["stale_processes"] = [{"pid": 42, "name": "bad\x1b[31mname\x07",
                                             "libraries": ["/tmp/lib\x00x\x1f.so"]}]
    out = audit_report(_hosts(facts), today="2026-06-01")
    root = ElementTree.fromstring(out["junit"].encode("utf-8"))
    [failure] = root.findall(".//testcase/failure")
    assert "bad\\x1b[31mname\\x07" in failure.get("message") and "\\x00x\\x1f" in failure.get("message")
    assert "\x1b" not in out["junit"] and "\x1b" not in out["html"]
    HTMLParser().feed(out["html"])
    assert "bad\\x1b[31mname\\x07" in out["html"]
    # the JSON keeps the exact bytes (JSON escapes them itself)
    assert any("bad\x1b[31mname\x07" in f["evidence"] for f in json.loads(out["json"])["hosts"]["guest1"]["findings"])


def test_baseline_keeps_what_a_limited_run_did_not_audit():
    full = audit_report(_hosts(hardened()), today="2026-06-01")
    bad = hardened()
    bad["patching"]["reboot_required"] = True
    limited = audit_report({"guest1": {"facts": bad, "groups": ["guests"]}}, previous=full["baseline"],
                           areas=["patching"], today="2026-06-01")
    assert [c["id"] for c in limited["result"]["drift"]["worse"]] == ["PAT-007"]
    assert limited["result"]["drift"]["better"] == []
    baseline = json.loads(limited["baseline"])
    assert set(f["area"] for f in baseline["hosts"]["guest1"]["findings"]) == {"ssh", "console", "patching", "memory_limits"}
    assert set(f["area"] for f in json.loads(limited["json"])["hosts"]["guest1"]["findings"]) == {"patching"}


def test_waiver_longer_than_the_policy_is_a_filter_error():
    waiver = {"id": "SSH-001", "hosts": ["guest1"], "reason": "r", "expires": "2028-01-01"}
    with pytest.raises(AnsibleFilterError, match="at most 365 days"):
        audit_report(_hosts(hardened()), waivers=[waiver], today="2026-06-01")
    assert audit_report(_hosts(hardened()), waivers=[waiver], today="2026-06-01", waiver_max_days=730)["passed"]
