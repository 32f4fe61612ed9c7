# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog
from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import render as report
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import ControlError
from ansible_collections.startsecure.hardening.plugins.plugin_utils.report.waivers import WaiverError


def _plain(value):
    """Copy Ansible's tagged/lazy containers into plain Python ones."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def render(hosts, controls, threshold="high", waivers=None, previous=None, areas=None, today=None,
           title="startsecure.hardening audit", waiver_max_days=365):
    try:
        prev = previous if isinstance(previous, dict) else report.load_previous(previous)
        prev = _plain(prev) if prev else None
        result = report.build_result(_plain(hosts), controls, threshold=threshold, waivers=_plain(waivers or []),
                                     previous=prev, areas=list(areas) if areas else None,
                                     today=today or None, waiver_max_days=int(waiver_max_days))
        baseline = report.baseline(result, prev)
    except (ControlError, WaiverError, report.ReportError) as exc:
        raise AnsibleFilterError("audit_report: %s" % exc) from None
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("audit_report: waiver_max_days must be a number of days: %s" % exc) from None
    return {"result": result, "passed": result["passed"], "failing": result["failing"],
            "json": report.to_json(result), "baseline": report.to_json(baseline), "junit": report.to_junit(result),
            "html": report.to_html(result, title=title), "text": report.to_text(result)}


def audit_report(hosts, threshold="high", waivers=None, previous=None, areas=None, today=None,
                 title="startsecure.hardening audit", waiver_max_days=365):
    if not isinstance(hosts, dict):
        raise AnsibleFilterError("audit_report: the input must be a dict of host name to gathered facts, got %s"
                                 % type(hosts).__name__)
    return render(hosts, catalog.CONTROLS, threshold=threshold, waivers=waivers, previous=previous, areas=areas,
                  today=today, title=title, waiver_max_days=waiver_max_days)


class FilterModule(object):
    def filters(self):
        return {"audit_report": audit_report}
