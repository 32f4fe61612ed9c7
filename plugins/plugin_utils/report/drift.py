# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift: what got better and what got worse since the previous audit result.

Both inputs are audit results as written by report.build_result (the JSON file):
``{"hosts": {HOST: {"findings": [finding, ...]}}, ...}``. A change is one
(host, control) whose status moved; its direction comes from how good each status is.
"""

from __future__ import annotations

# How good a status is: a move up is "better", down is "worse". not_applicable and
# waived sit between pass and fail: neither proves the setting, neither is a failure.
_GOODNESS = {"pass": 3, "not_applicable": 2, "waived": 2, "fail": 1, "error": 0, "absent": None}


class DriftError(ValueError):
    """The previous result cannot be read as an audit result."""


def _statuses(result, what):
    if not isinstance(result, dict) or not isinstance(result.get("hosts"), dict):
        raise DriftError("%s is not an audit result (no 'hosts' mapping)" % what)
    table = {}
    for host, data in result["hosts"].items():
        for finding in (data or {}).get("findings", []):
            table[(host, finding["id"])] = finding
    return table


def compare(previous, current):
    """Return {"previous_generated", "better", "worse", "changed", "unchanged", "new_hosts", "gone_hosts"}.

    Each change is {"host", "id", "title", "severity", "area", "before", "after", "evidence"}.
    A control that did not exist (or was not judged) before counts as worse only when it
    fails now, and a control that disappeared is listed as better only if it was failing.
    """
    before = _statuses(previous, "the previous result")
    after = _statuses(current, "the current result")
    better, worse, changed = [], [], []
    unchanged = 0
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        old_status = old["status"] if old else "absent"
        new_status = new["status"] if new else "absent"
        if old_status == new_status:
            unchanged += 1
            continue
        ref = new or old
        change = {"host": key[0], "id": key[1], "title": ref.get("title", ""),
                  "severity": ref.get("severity", ""), "area": ref.get("area", ""),
                  "before": old_status, "after": new_status,
                  "evidence": new.get("evidence", "") if new else "no longer judged"}
        old_good, new_good = _GOODNESS.get(old_status), _GOODNESS.get(new_status)
        if old_good is None:  # newly judged: only a failure is news
            (worse if new_good is not None and new_good < 2 else better).append(change)
        elif new_good is None:  # no longer judged
            (better if old_good < 2 else worse).append(change)
        elif new_good > old_good:
            better.append(change)
        elif new_good < old_good:
            worse.append(change)
        else:  # e.g. waived <-> not_applicable: neither better nor worse, still a change
            changed.append(change)
    prev_hosts, cur_hosts = set(previous["hosts"]), set(current["hosts"])
    return {"previous_generated": previous.get("generated", ""),
            "better": better, "worse": worse, "changed": changed, "unchanged": unchanged,
            "new_hosts": sorted(cur_hosts - prev_hosts), "gone_hosts": sorted(prev_hosts - cur_hosts)}
