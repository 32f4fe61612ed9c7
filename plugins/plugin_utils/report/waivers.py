# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waivers: a documented, expiring acceptance of one finding for some hosts or groups.

A waiver is a dict (from ``audit_waivers`` in inventory)::

    {"id": "SSH-004",                 # the control id (required)
     "hosts": ["web1"],               # and/or "groups": ["legacy"]; at least one of the two
     "reason": "vendor tool needs it until the upgrade (ticket OPS-42)",   # required
     "expires": "2026-12-31",         # required, ISO date; last day the waiver holds
     "granted": "2026-01-15"}         # optional, ISO date the waiver was approved

A waiver lives at most ``max_days`` (policy; default 365, the annual policy review):
its expiry may lie no further than that after the day it was granted, or, without a
``granted`` date, after the day of the audit. A longer one is refused, naming it, so an
"accepted forever" cannot be written as a date far in the future.

A failing finding that an active waiver matches gets the status ``waived`` (it is not a
failure, and it shows in every report with its reason and expiry). Once the expiry date
has passed the waiver no longer applies: the finding is a failure again and carries the
expired waiver, so the report says why it came back. A waiver never turns an ``error``
(facts could not be read) into anything else: an auditor that cannot see must say so.
"""

from __future__ import annotations

import datetime

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import ERROR, FAIL

WAIVED = "waived"
_KEYS = {"id", "hosts", "groups", "reason", "expires", "granted"}
# The annual policy review: no waiver outlives it.
MAX_DAYS = 365


class WaiverError(ValueError):
    """A waiver that cannot be used; the message names the waiver."""


def _as_date(value, what):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.datetime.strptime(value.strip(), "%Y-%m-%d").date()
        except ValueError:
            pass
    raise WaiverError("%s: expires must be a date written YYYY-MM-DD, got %r" % (what, value))


def _as_list(value, key, what):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise WaiverError("%s: %s must be a list of names, got %r" % (what, key, value))


def validate(waivers, known_ids=None, today=None, max_days=MAX_DAYS):
    """Check and normalise a list of waivers; raise WaiverError naming the bad one.

    known_ids: control ids that exist; a waiver for an unknown id is refused (a typo
    would otherwise silently waive nothing). max_days: the longest lifetime the policy
    allows, counted from ``granted`` or else from ``today``.
    """
    if not isinstance(max_days, int) or isinstance(max_days, bool) or max_days < 1:
        raise WaiverError("the maximum waiver lifetime must be a whole number of days >= 1, got %r" % (max_days,))
    today = _as_date(today or datetime.date.today(), "today")
    if waivers is None:
        return []
    if not isinstance(waivers, (list, tuple)):
        raise WaiverError("audit waivers must be a list of dicts, got %s" % type(waivers).__name__)
    normalised = []
    for number, waiver in enumerate(waivers, start=1):
        what = "waiver #%d" % number
        if not isinstance(waiver, dict):
            raise WaiverError("%s: must be a dict, got %r" % (what, waiver))
        if waiver.get("id"):
            what = "waiver #%d (%s)" % (number, waiver["id"])
        unknown = sorted(set(waiver) - _KEYS)
        if unknown:
            raise WaiverError("%s: unknown key(s) %s (allowed: %s)" % (what, ", ".join(unknown), ", ".join(sorted(_KEYS))))
        if not waiver.get("id") or not isinstance(waiver["id"], str):
            raise WaiverError("%s: needs the control 'id' it waives" % what)
        if known_ids is not None and waiver["id"] not in known_ids:
            raise WaiverError("%s: no control has the id %s" % (what, waiver["id"]))
        reason = waiver.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise WaiverError("%s: needs a 'reason' (why the finding is accepted)" % what)
        if "expires" not in waiver:
            raise WaiverError("%s: needs an 'expires' date (YYYY-MM-DD): a waiver never lasts forever" % what)
        hosts = _as_list(waiver.get("hosts"), "hosts", what)
        groups = _as_list(waiver.get("groups"), "groups", what)
        if not hosts and not groups:
            raise WaiverError("%s: name the 'hosts' and/or 'groups' it applies to" % what)
        expires = _as_date(waiver["expires"], what)
        start = _as_date(waiver["granted"], what + " granted") if waiver.get("granted") else today
        if (expires - start).days > max_days:
            raise WaiverError("%s: expires %s, %d days after %s; the policy allows at most %d days "
                              "(audit_waiver_max_days): review it and grant it again instead"
                              % (what, expires.isoformat(), (expires - start).days,
                                 "it was granted (%s)" % start.isoformat() if waiver.get("granted") else "today",
                                 max_days))
        entry = {"id": waiver["id"], "hosts": hosts, "groups": groups,
                 "reason": reason.strip(), "expires": expires.isoformat()}
        if waiver.get("granted"):
            entry["granted"] = start.isoformat()
        normalised.append(entry)
    return normalised


def matches(waiver, control_id, host, groups):
    """True when the waiver is for this control and names the host or one of its groups."""
    if waiver["id"] != control_id:
        return False
    return host in waiver["hosts"] or bool(set(groups or ()) & set(waiver["groups"]))


def is_active(waiver, today):
    """A waiver holds up to and including its expiry date."""
    return _as_date(today, "today") <= _as_date(waiver["expires"], "waiver %s" % waiver["id"])


def apply(findings, waivers, host, groups=(), today=None):
    """Return new findings with waivers applied for one host (input is not modified).

    A failing finding matched by an active waiver becomes ``waived``; matched only by
    expired waivers it stays ``fail`` and records the expired waiver. Every matched
    finding gets a ``waiver`` key: {reason, expires, active, hosts, groups}.
    """
    today = _as_date(today or datetime.date.today(), "today")
    result = []
    for finding in findings:
        finding = dict(finding)
        candidates = [w for w in waivers if matches(w, finding["id"], host, groups)]
        if candidates and finding["status"] in (FAIL, ERROR):
            active = [w for w in candidates if is_active(w, today)]
            # The waiver that lasts longest is the one that explains the status.
            chosen = max(active or candidates, key=lambda w: w["expires"])
            finding["waiver"] = dict(chosen, active=bool(active))
            if active and finding["status"] == FAIL:
                finding["status"] = WAIVED
                finding["evidence"] = "%s (waived until %s: %s)" % (finding["evidence"], chosen["expires"], chosen["reason"])
            elif not active:
                finding["evidence"] = "%s (waiver expired on %s: %s)" % (finding["evidence"], chosen["expires"], chosen["reason"])
        result.append(finding)
    return result
