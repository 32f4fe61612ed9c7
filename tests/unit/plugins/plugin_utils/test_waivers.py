# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime

import pytest

from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import waivers as w


def _finding(cid="SSH-001", status="fail"):
    return {"id": cid, "title": "t", "area": "ssh", "severity": "high", "status": status, "evidence": "seen"}


def _waiver(**kw):
    base = {"id": "SSH-001", "hosts": ["web1"], "reason": "vendor tool (OPS-42)", "expires": "2026-12-31"}
    base.update(kw)
    return base


def test_active_waiver_turns_fail_into_waived_with_reason():
    waivers = w.validate([_waiver()])
    [finding] = w.apply([_finding()], waivers, "web1", today=datetime.date(2026, 12, 31))
    assert finding["status"] == w.WAIVED
    assert finding["waiver"]["active"] is True
    assert "waived until 2026-12-31: vendor tool" in finding["evidence"]


def test_expired_waiver_counts_as_failure_again():
    waivers = w.validate([_waiver()])
    [finding] = w.apply([_finding()], waivers, "web1", today=datetime.date(2027, 1, 1))
    assert finding["status"] == "fail"
    assert finding["waiver"]["active"] is False
    assert "waiver expired on 2026-12-31" in finding["evidence"]


def test_latest_of_several_waivers_wins():
    waivers = w.validate([_waiver(expires="2026-01-01"), _waiver(expires="2027-06-30", hosts=[], groups=["legacy"])])
    [finding] = w.apply([_finding()], waivers, "web1", groups=["legacy"], today="2026-06-01")
    assert finding["status"] == w.WAIVED
    assert finding["waiver"]["expires"] == "2027-06-30"


def test_group_waiver_applies_only_to_members():
    waivers = w.validate([_waiver(hosts=None, groups="legacy")])
    assert w.apply([_finding()], waivers, "db1", groups=["legacy"], today="2026-01-01")[0]["status"] == w.WAIVED
    assert w.apply([_finding()], waivers, "db2", groups=["web"], today="2026-01-01")[0]["status"] == "fail"


def test_waiver_for_other_control_or_passing_finding_changes_nothing():
    waivers = w.validate([_waiver()])
    out = w.apply([_finding("SSH-002"), _finding(status="pass")], waivers, "web1", today="2026-01-01")
    assert [f["status"] for f in out] == ["fail", "pass"]
    assert all("waiver" not in f for f in out)


def test_error_is_never_waived():
    waivers = w.validate([_waiver()])
    [finding] = w.apply([_finding(status="error")], waivers, "web1", today="2026-01-01")
    assert finding["status"] == "error"


def test_input_not_modified():
    original = [_finding()]
    w.apply(original, w.validate([_waiver()]), "web1", today="2026-01-01")
    assert original[0]["status"] == "fail"


@pytest.mark.parametrize("waiver,message", [
    ({"hosts": ["a"], "reason": "r", "expires": "2026-01-01"}, "needs the control 'id'"),
    (_waiver(reason=" "), "needs a 'reason'"),
    ({"id": "SSH-001", "hosts": ["a"], "reason": "r"}, "needs an 'expires' date"),
    (_waiver(expires="31.12.2026"), "YYYY-MM-DD"),
    (_waiver(hosts=[]), "name the 'hosts' and/or 'groups'"),
    (_waiver(hosts=[1]), "hosts must be a list"),
    (_waiver(until="2026-01-01"), "unknown key"),
    (_waiver(id="SSH-999"), "no control has the id SSH-999"),
])
def test_invalid_waivers_refused(waiver, message):
    with pytest.raises(w.WaiverError, match=message):
        w.validate([waiver], known_ids={"SSH-001"})


def test_validate_accepts_dates_and_none():
    assert w.validate(None) == []
    [waiver] = w.validate([_waiver(expires=datetime.date(2026, 2, 3))])
    assert waiver["expires"] == "2026-02-03"
    with pytest.raises(w.WaiverError, match="must be a list"):
        w.validate({"id": "x"})


def test_a_waiver_lives_at_most_the_policy_maximum():
    today = datetime.date(2026, 6, 1)
    # one year from today is fine, a day more is not (the annual review)
    assert w.validate([_waiver(expires="2027-06-01")], today=today)[0]["expires"] == "2027-06-01"
    with pytest.raises(w.WaiverError, match=r"366 days after today; the policy allows at most 365 days"):
        w.validate([_waiver(expires="2027-06-02")], today=today)
    # counted from the day it was granted when that is known
    with pytest.raises(w.WaiverError, match=r"it was granted \(2026-01-01\)"):
        w.validate([_waiver(expires="2027-03-01", granted="2026-01-01")], today=today)
    [kept] = w.validate([_waiver(expires="2026-12-31", granted="2026-01-01")], today=today)
    assert kept["granted"] == "2026-01-01"
    # a stricter policy
    with pytest.raises(w.WaiverError, match="at most 90 days"):
        w.validate([_waiver(expires="2026-10-01")], today=today, max_days=90)
    with pytest.raises(w.WaiverError, match="whole number of days"):
        w.validate([], max_days=0)
