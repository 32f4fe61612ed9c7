# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift: what got better and what got worse since the previous audit result.

Both inputs are audit results as written by report.build_result (the JSON file):
``{"hosts": {HOST: {"findings": [finding, ...]}}, ...}``. A change is one
(host, control) whose status moved; its direction comes from how good each status is.

Only what the current run looked at is compared: a run limited with ``--limit`` or
``audit_areas`` says nothing about the other hosts and areas, so they are neither
"better" nor "gone"; they are listed as not audited in this run, and
:func:`merge_baseline` keeps their previous findings for the next comparison.
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
    """Return {"previous_generated", "better", "worse", "changed", "unchanged", "new_hosts", "not_audited_hosts"}.

    Each change is {"host", "id", "title", "severity", "area", "before", "after", "evidence"}.
    A control that did not exist (or was not judged) before counts as worse only when it
    fails now, and a control that disappeared is listed as better only if it was failing.
    """
    before = _statuses(previous, "the previous result")
    after = _statuses(current, "the current result")
    scope = _scope(current)
    better, worse, changed = [], [], []
    unchanged = 0
    for key in sorted(set(before) | set(after)):
        if key not in after and not _in_scope(scope, key[0], before[key].get("area")):
            continue
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
            "new_hosts": sorted(cur_hosts - prev_hosts),
            # A host this run did not reach is not "gone": --limit may have left it out.
            "not_audited_hosts": sorted(prev_hosts - cur_hosts)}


def _scope(result):
    """{host: set of areas} that a result judged."""
    return dict((host, set((data or {}).get("areas") or [f.get("area") for f in (data or {}).get("findings", [])]))
                for host, data in result["hosts"].items())


def _in_scope(scope, host, area):
    return host in scope and area in scope[host]


def merge_baseline(previous, current):
    """The result the NEXT run compares with: this run's hosts and areas, and for everything
    this run did not look at (other hosts, other areas), the previous findings unchanged.

    Without a previous result the baseline is the current result.
    """
    if not previous:
        return current
    _statuses(previous, "the previous result")
    merged = dict(current, hosts={})
    for host, data in previous["hosts"].items():
        if host not in current["hosts"]:
            merged["hosts"][host] = data
    for host, data in current["hosts"].items():
        old = previous["hosts"].get(host) or {}
        areas = set(data.get("areas") or [])
        kept = [f for f in old.get("findings", []) if f.get("area") not in areas]
        if not kept:
            merged["hosts"][host] = data
            continue
        findings = sorted(kept + list(data.get("findings", [])), key=lambda f: f["id"])
        merged["hosts"][host] = dict(data, findings=findings, areas=sorted(set(f["area"] for f in findings)))
    merged["baseline_of"] = {"generated": current.get("generated", ""), "kept_from": previous.get("generated", "")}
    return merged
