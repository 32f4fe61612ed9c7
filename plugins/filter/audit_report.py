# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: audit_report
short_description: Judge gathered audit facts against the catalog and render every report
version_added: 0.1.0
author: startsecure engineers (!UNKNOWN)
description:
  - Takes the facts that M(startsecure.hardening.audit_facts) gathered on each host,
    judges them against the collection's catalog of controls (pure Python, on the
    controller), applies waivers, compares with the previous result (drift) and returns
    the result together with its JSON, JUnit XML, self-contained HTML and text renderings.
  - The renderings come from one result, so they never disagree.
options:
  _input:
    description:
      - Host name to C({facts, groups}) as gathered, or C({error, groups}) for a host
        whose facts could not be gathered (every control is then an error for it).
    type: dict
    required: true
  threshold:
    description: The lowest severity whose failures fail the audit (RV(_value.passed)).
    type: str
    choices: [info, low, medium, high, critical]
    default: high
  waivers:
    description:
      - Accepted findings; each a dict with C(id), C(hosts) and/or C(groups), C(reason)
        and C(expires) (YYYY-MM-DD). An expired waiver counts as a failure again.
    type: list
    elements: dict
    default: []
  previous:
    description: The previous JSON result (text or dict) for the drift section; empty for none.
    type: raw
  areas:
    description: Judge only these areas (default all that each host gathered).
    type: list
    elements: str
  today:
    description: The date waivers are judged on (YYYY-MM-DD); default today on the controller.
    type: str
  waiver_max_days:
    description:
      - The longest a waiver may live, from its C(granted) date or else from O(today); a waiver
        that expires later is refused (the policy's annual review by default).
    type: int
    default: 365
  title:
    description: Title of the HTML report.
    type: str
    default: startsecure.hardening audit
seealso:
  - module: startsecure.hardening.audit_facts
"""

EXAMPLES = r"""
- name: Judge and render
  ansible.builtin.set_fact:
    report: >-
      {{ {'web1': {'facts': gathered.audit_facts, 'groups': group_names}}
         | startsecure.hardening.audit_report(threshold='high', waivers=audit_waivers) }}

- name: Write the HTML report on the controller
  ansible.builtin.copy:
    content: "{{ report.html }}"
    dest: /srv/audit/audit.html
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The result and its renderings.
  type: dict
  contains:
    result:
      description: The audit result (hosts, findings, counts, failing, drift, waivers).
      type: dict
    passed:
      description: True when no finding at or above the threshold fails.
      type: bool
    failing:
      description: The findings at or above the threshold that fail (host, id, title, severity, evidence).
      type: list
      elements: dict
    json:
      description: The result of this run as JSON text.
      type: str
    baseline:
      description:
        - What the next run should read as previous (JSON text) - this result, plus the previous
          findings of every host and area that this run did not audit (C(--limit), O(areas)),
          so a limited run never overwrites the baseline of the others.
      type: str
    junit:
      description: JUnit XML, one testcase per host and control.
      type: str
    html:
      description: A self-contained HTML page (inline CSS and SVG chart, no script, no external assets).
      type: str
    text:
      description: A short fixed-width summary table for the play output.
      type: str
"""

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
