# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as c


def _control(cid="T-001", severity="high", check=None, area="test", source="things"):
    return c.Control(
        id=cid, title="thing is off", area=area, severity=severity,
        rationale="because", references=["doc"], remediation={"role": "r", "variable": "r_thing"},
        source=source, check=check or (lambda src, facts: c.expect(src.get("thing") is False, "thing=%r" % src.get("thing"))))


def test_pass_and_fail():
    ctl = _control()
    assert ctl.evaluate({"things": {"thing": False}})["status"] == c.PASS
    finding = ctl.evaluate({"things": {"thing": True}})
    assert finding["status"] == c.FAIL
    assert finding["evidence"] == "thing=True"
    assert finding["remediation"] == {"role": "r", "variable": "r_thing"}
    assert "source" not in finding


def test_missing_facts_is_an_error_not_a_pass():
    finding = _control().evaluate({})
    assert finding["status"] == c.ERROR
    assert "'things' were not gathered" in finding["evidence"]


def test_exception_in_check_is_an_error():
    finding = _control(check=lambda src, facts: src["missing"]).evaluate({"things": {}})
    assert finding["status"] == c.ERROR
    assert "KeyError" in finding["evidence"]


def test_check_returning_garbage_is_an_error():
    assert _control(check=lambda s, f: True).evaluate({"things": {}})["status"] == c.ERROR


def test_duplicate_ids_refused():
    with pytest.raises(c.ControlError, match="duplicate control id T-001"):
        c.index([_control(), _control()])


@pytest.mark.parametrize("kwargs,message", [
    ({"severity": "severe"}, "unknown severity"),
    ({"references": []}, "no references"),
    ({"remediation": {}}, "remediation"),
    ({"check": "nope"}, "not callable"),
])
def test_bad_control_definitions(kwargs, message):
    args = dict(id="X-1", title="t", area="a", severity="low", rationale="r", references=["x"],
                remediation={"role": "r"}, source="s", check=lambda s, f: c.passed())
    args.update(kwargs)
    with pytest.raises(c.ControlError, match=message):
        c.Control(**args)


def test_select_and_judge_sorted():
    ctls = [_control("T-002", "low"), _control("T-001", "critical", area="other")]
    assert [f["id"] for f in c.judge(ctls, {"things": {"thing": False}})] == ["T-001", "T-002"]
    assert [x.id for x in c.select(ctls, areas=["test"])] == ["T-002"]
    assert [x.id for x in c.select(ctls, min_severity="high")] == ["T-001"]
    with pytest.raises(c.ControlError, match="unknown control id"):
        c.select(ctls, ids=["T-999"])


def test_summary_and_threshold():
    ctls = [_control("T-001", "low"), _control("T-002", "high"), _control("T-003", "medium",
            check=lambda s, f: c.not_applicable("no such thing here"))]
    findings = c.judge(ctls, {"things": {"thing": True}})
    summary = c.summarize(findings)
    assert summary["by_status"] == {"pass": 0, "fail": 2, "not_applicable": 1, "error": 0}
    assert summary["failed_by_severity"]["high"] == 1
    assert summary["pass_rate"] == 0.0
    assert [f["id"] for f in c.failing(findings, "medium")] == ["T-002"]
    assert [f["id"] for f in c.failing(findings, "low")] == ["T-001", "T-002"]
    with pytest.raises(c.ControlError):
        c.failing(findings, "extreme")
