# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import drift


def _result(statuses, generated="2026-01-01T00:00:00Z"):
    hosts = {}
    for (host, cid), status in statuses.items():
        hosts.setdefault(host, {"findings": []})["findings"].append(
            {"id": cid, "title": "title " + cid, "severity": "high", "area": "ssh", "status": status, "evidence": "ev " + cid})
    return {"generated": generated, "hosts": hosts}


def test_better_and_worse_are_named():
    before = _result({("h1", "SSH-001"): "pass", ("h1", "SSH-002"): "fail", ("h1", "SSH-003"): "pass"})
    after = _result({("h1", "SSH-001"): "fail", ("h1", "SSH-002"): "pass", ("h1", "SSH-003"): "pass"})
    diff = drift.compare(before, after)
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in diff["worse"]] == [("h1", "SSH-001", "pass", "fail")]
    assert [c["id"] for c in diff["better"]] == ["SSH-002"]
    assert diff["unchanged"] == 1
    assert diff["previous_generated"] == "2026-01-01T00:00:00Z"


def test_new_and_gone_hosts_and_controls():
    before = _result({("h1", "A-1"): "fail", ("old", "A-1"): "pass"})
    after = _result({("h1", "A-2"): "fail", ("h1", "A-3"): "pass", ("new", "A-1"): "pass"})
    diff = drift.compare(before, after)
    assert diff["new_hosts"] == ["new"] and diff["not_audited_hosts"] == ["old"]
    worse = {(c["host"], c["id"]) for c in diff["worse"]}
    better = {(c["host"], c["id"]) for c in diff["better"]}
    assert ("h1", "A-2") in worse          # newly judged and failing
    assert ("h1", "A-1") in better         # failing control no longer judged
    assert ("old", "A-1") not in worse | better   # not audited this time: no verdict on it
    assert ("h1", "A-3") in better and ("new", "A-1") in better


def test_waived_and_error_directions():
    before = _result({("h", "A"): "fail", ("h", "B"): "pass", ("h", "C"): "waived"})
    after = _result({("h", "A"): "waived", ("h", "B"): "error", ("h", "C"): "not_applicable"})
    diff = drift.compare(before, after)
    assert [c["id"] for c in diff["better"]] == ["A"]
    assert [c["id"] for c in diff["worse"]] == ["B"]
    assert [c["id"] for c in diff["changed"]] == ["C"]


def test_not_a_result():
    with pytest.raises(drift.DriftError, match="previous result"):
        drift.compare({"x": 1}, _result({}))


def _areas(statuses):
    """Like _result, with the area taken from the id's prefix (SSH-1 -> ssh)."""
    result = _result({})
    for (host, cid), status in statuses.items():
        result["hosts"].setdefault(host, {"findings": []})["findings"].append(
            {"id": cid, "title": cid, "severity": "high", "area": cid.split("-")[0].lower(), "status": status,
             "evidence": ""})
    for data in result["hosts"].values():
        data["areas"] = sorted(set(f["area"] for f in data["findings"]))
    return result


def test_a_limited_run_neither_calls_the_rest_better_nor_drops_it_from_the_baseline():
    full = _areas({("h1", "SSH-1"): "fail", ("h1", "PAT-1"): "fail", ("h2", "SSH-1"): "fail"})
    # --limit h1 and audit_areas=[ssh]: h1's ssh got fixed
    limited = _areas({("h1", "SSH-1"): "pass"})
    diff = drift.compare(full, limited)
    assert [(c["host"], c["id"]) for c in diff["better"]] == [("h1", "SSH-1")]
    assert diff["worse"] == [] and diff["not_audited_hosts"] == ["h2"]
    baseline = drift.merge_baseline(full, limited)
    kept = dict(((h, f["id"]), f["status"]) for h, d in baseline["hosts"].items() for f in d["findings"])
    assert kept == {("h1", "SSH-1"): "pass", ("h1", "PAT-1"): "fail", ("h2", "SSH-1"): "fail"}
    assert baseline["hosts"]["h1"]["areas"] == ["pat", "ssh"]
    # the next full run compares with the baseline: nothing changed, nothing is news
    full_after = _areas({("h1", "SSH-1"): "pass", ("h1", "PAT-1"): "fail", ("h2", "SSH-1"): "fail"})
    again = drift.compare(baseline, full_after)
    assert again["better"] == again["worse"] == []


def test_merge_without_previous_is_the_current_result():
    current = _areas({("h1", "SSH-1"): "pass"})
    assert drift.merge_baseline(None, current) is current
