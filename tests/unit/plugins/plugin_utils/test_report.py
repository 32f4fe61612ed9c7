# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime
import json
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as c
from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import render as report


def _ctl(cid, area, severity, key):
    return c.Control(id=cid, title="%s <is> & secure" % key, area=area, severity=severity, rationale="why " + cid,
                     references=["ref " + cid], remediation={"role": area, "variable": "%s_%s" % (area, key)},
                     source=area, check=lambda src, facts, key=key: c.expect(src.get(key) is True, "%s=%r" % (key, src.get(key))))


CONTROLS = [_ctl("SSH-001", "ssh", "high", "a"), _ctl("SSH-002", "ssh", "low", "b"),
            _ctl("KVM-001", "kvm_host", "critical", "c"), _ctl("CON-001", "console", "medium", "d")]


def _hosts(ssh_a=True):
    return {
        "kvm1": {"groups": ["kvm_hosts"], "facts": {"audit": {"areas": ["ssh", "kvm_host", "console"]},
                                                    "ssh": {"a": ssh_a, "b": False}, "kvm_host": {"c": True},
                                                    "console": {"d": True}}},
        "guest<1>": {"groups": ["guests"], "facts": {"audit": {"areas": ["ssh", "console"]},
                                                     "ssh": {"a": True, "b": True}, "console": {"d": False}}},
        "down": {"groups": ["guests"], "error": "unreachable: no route"},
    }


def _result(**kw):
    kw.setdefault("today", datetime.date(2026, 6, 1))
    kw.setdefault("generated", "2026-06-01T10:00:00Z")
    return report.build_result(kw.pop("hosts", _hosts()), CONTROLS, **kw)


def test_areas_per_host_and_unreachable_host_errors():
    result = _result()
    assert [f["id"] for f in result["hosts"]["guest<1>"]["findings"]] == ["CON-001", "SSH-001", "SSH-002"]
    assert len(result["hosts"]["kvm1"]["findings"]) == 4
    down = result["hosts"]["down"]["findings"]
    assert len(down) == 4 and {f["status"] for f in down} == {"error"}
    assert "unreachable: no route" in down[0]["evidence"]


def test_threshold_decides_failing():
    high = _result(threshold="high")
    # down host errors on SSH-001 (high) and KVM-001 (critical); nothing else at high fails.
    assert {(f["host"], f["id"]) for f in high["failing"]} == {("down", "SSH-001"), ("down", "KVM-001")}
    assert high["passed"] is False
    low = _result(threshold="low", hosts={k: v for k, v in _hosts().items() if k != "down"})
    assert {(f["host"], f["id"]) for f in low["failing"]} == {("kvm1", "SSH-002"), ("guest<1>", "CON-001")}
    ok = _result(threshold="critical", hosts={k: v for k, v in _hosts().items() if k != "down"})
    assert ok["passed"] is True and ok["failing"] == []
    with pytest.raises(c.ControlError):
        _result(threshold="urgent")


def test_waiver_removes_failure_and_counts():
    result = _result(threshold="low", hosts={"guest<1>": _hosts()["guest<1>"]},
                     waivers=[{"id": "CON-001", "groups": ["guests"], "reason": "kiosk", "expires": "2026-12-31"}])
    assert result["passed"] is True
    assert result["counts"]["waived"] == 1
    expired = _result(threshold="low", hosts={"guest<1>": _hosts()["guest<1>"]}, today=datetime.date(2027, 1, 1),
                      waivers=[{"id": "CON-001", "groups": ["guests"], "reason": "kiosk", "expires": "2026-12-31"}])
    assert expired["passed"] is False


def test_json_round_trip_and_drift_names_the_tampered_control():
    before = report.load_previous(report.to_json(_result()))
    after = _result(hosts=_hosts(ssh_a=False), previous=before)
    assert [(d["host"], d["id"]) for d in after["drift"]["worse"]] == [("kvm1", "SSH-001")]
    assert after["drift"]["better"] == []
    assert "worse  kvm1" in report.to_text(after)
    assert report.load_previous("") is None
    with pytest.raises(report.ReportError, match="not JSON"):
        report.load_previous("{nope")
    with pytest.raises(report.ReportError, match="not an audit result"):
        report.load_previous('{"hosts": {}}')


def test_junit_is_valid_and_has_one_case_per_host_and_control():
    result = _result()
    root = ElementTree.fromstring(report.to_junit(result).encode())
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    expected = sum(len(h["findings"]) for h in result["hosts"].values())
    assert len(cases) == expected == int(root.get("tests"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"kvm1", "guest<1>", "down"}
    assert suites["kvm1"].get("failures") == "1"      # SSH-002
    assert suites["down"].get("errors") == "4"
    failed = [case for case in suites["kvm1"] if case.find("failure") is not None]
    assert failed[0].get("name").startswith("SSH-002") and failed[0].find("failure").get("type") == "low"
    assert "remediation: role ssh variable ssh_b" in failed[0].find("failure").text


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.attrs, self.stack = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_lists_every_host_and_control():
    result = _result(previous=report.load_previous(report.to_json(_result(hosts=_hosts(ssh_a=False)))))
    page = report.to_html(result)
    parser = _Collector()
    parser.feed(page)
    parser.close()
    text = "".join(parser.text)
    for host in result["hosts"]:
        assert host in text
    for control in CONTROLS:
        assert control.id in text
    assert "<is> & secure" in text                     # escaped in the page, readable as text
    assert "svg" in parser.tags and "rect" in parser.tags
    assert "script" not in parser.tags
    for tag, attrs in parser.attrs:                    # no external assets
        assert not any(str(v).startswith(("http:", "https:", "//")) for k, v in attrs.items() if k in ("src", "href"))
    ids = {attrs.get("id") for _tag, attrs in parser.attrs}
    assert {"host-kvm1", "host-guest<1>", "control-SSH-001"} <= ids
    assert "Better" in text and "kvm1" in text        # drift: SSH-001 on kvm1 got fixed


def test_text_table():
    text = report.to_text(_result())
    lines = text.splitlines()
    assert lines[0].split() == ["HOST", "PASS", "FAIL", "WAIVED", "N/A", "ERROR", "RATE"]
    kvm = [line for line in lines if line.startswith("kvm1")][0].split()
    assert kvm[1:6] == ["3", "1", "0", "0", "0"] and kvm[6] == "75.0%"
    assert "Failing at or above high: 2" in text


def test_json_is_serialisable_and_tagged():
    data = json.loads(report.to_json(_result()))
    assert data["format"] == report.FORMAT and data["version"] == 1


def test_unreachable_host_keeps_the_areas_it_had_before():
    before = report.load_previous(report.to_json(_result()))
    hosts = _hosts()
    hosts["kvm1"] = {"groups": ["kvm_hosts"], "error": "unreachable"}
    hosts["guest<1>"] = {"groups": ["guests"], "error": "unreachable"}
    result = _result(hosts=hosts, previous=before)
    assert len(result["hosts"]["kvm1"]["findings"]) == 4
    assert [f["id"] for f in result["hosts"]["guest<1>"]["findings"]] == ["CON-001", "SSH-001", "SSH-002"]
    assert {f["status"] for f in result["hosts"]["guest<1>"]["findings"]} == {"error"}
    assert ("guest<1>", "CON-001") in [(c["host"], c["id"]) for c in result["drift"]["worse"]]
