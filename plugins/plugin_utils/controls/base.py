# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controls mechanism: a control judges gathered facts and yields a finding.

Every area (kvm_host, ssh, console, patching, memory_limits, ...) writes what its
controls ask and why in ``controls/<area>.yml`` and their checks in ``controls/<area>.py``,
which builds its list ``CONTROLS`` of :class:`Control` with :func:`load` (through the one
:func:`factory`); ``catalog.py`` imports every area statically and is
the one list the modules, filters, Molecule verifiers and the audit playbook share.

Judging is a pure function of the facts, so each control is unit-tested on recorded
facts without any host. A check returns a :class:`Result`; an exception inside a
check becomes a finding with status ``error`` (never a silent pass).

A finding is a plain dict (JSON-ready)::

    {"id": "KVM-001", "title": ..., "area": "kvm_host", "severity": "high",
     "status": "pass" | "fail" | "not_applicable" | "error",
     "evidence": "what was seen", "rationale": ..., "references": [...],
     "remediation": {"role": "kvm_host", "variable": "kvm_host_...", "note": ...},
     "needs_restart": False}
"""

from __future__ import annotations

import os
import sys

import yaml

PASS = "pass"
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"
ERROR = "error"
STATUSES = (PASS, FAIL, NOT_APPLICABLE, ERROR)

SEVERITIES = ("info", "low", "medium", "high", "critical")


class ControlError(ValueError):
    """A catalog or a request that does not make sense (duplicate id, unknown severity...)."""


def severity_rank(severity):
    """Return the position of a severity (info=0 ... critical=4); raise on unknown names."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ControlError("unknown severity %r (one of %s)" % (severity, ", ".join(SEVERITIES))) from None


def at_least(severity, threshold):
    """True when ``severity`` is at or above ``threshold``."""
    return severity_rank(severity) >= severity_rank(threshold)


class Result:
    """What a check saw: a status, the evidence, and whether fixing it needs a restart."""

    __slots__ = ("status", "evidence", "needs_restart")

    def __init__(self, status, evidence="", needs_restart=False):
        if status not in STATUSES:
            raise ControlError("unknown status %r" % (status,))
        self.status = status
        self.evidence = evidence
        self.needs_restart = needs_restart

    def __repr__(self):
        return "Result(%r, %r)" % (self.status, self.evidence)


def passed(evidence=""):
    return Result(PASS, evidence)


def failed(evidence="", needs_restart=False):
    return Result(FAIL, evidence, needs_restart)


def not_applicable(reason):
    return Result(NOT_APPLICABLE, reason)


def expect(condition, evidence, needs_restart=False):
    """pass when condition is true, fail otherwise; the evidence is the same either way."""
    return passed(evidence) if condition else failed(evidence, needs_restart)


class Control:
    """One control of the catalog.

    check: a callable taking the facts of its ``source`` (e.g. the ``hypervisor`` dict
    returned by hypervisor_facts) and the whole facts dict, returning a Result.
    """

    __slots__ = ("id", "title", "area", "severity", "rationale", "references",
                 "remediation", "source", "check", "tags")

    def __init__(self, id, title, area, severity, rationale, references, remediation,
                 source, check, tags=()):
        severity_rank(severity)
        if not id or not title or not rationale:
            raise ControlError("a control needs an id, a title and a rationale (%r)" % (id,))
        if not references:
            raise ControlError("control %s has no references" % id)
        if not isinstance(remediation, dict) or "role" not in remediation:
            raise ControlError("control %s: remediation must be a dict with a 'role'" % id)
        if not callable(check):
            raise ControlError("control %s: check is not callable" % id)
        self.id = id
        self.title = title
        self.area = area
        self.severity = severity
        self.rationale = rationale
        self.references = list(references)
        self.remediation = dict(remediation)
        self.source = source
        self.check = check
        self.tags = tuple(tags)

    def describe(self):
        """The control without its check: what the docs table and reports show."""
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "severity": self.severity,
            "rationale": self.rationale,
            "references": list(self.references),
            "remediation": dict(self.remediation),
            "source": self.source,
            "tags": list(self.tags),
        }

    def evaluate(self, facts):
        finding = self.describe()
        del finding["source"]
        source = facts.get(self.source) if isinstance(facts, dict) else None
        if source is None:
            result = Result(ERROR, "facts %r were not gathered for this host" % self.source)
        else:
            try:
                result = self.check(source, facts)
                if not isinstance(result, Result):
                    result = Result(ERROR, "check returned %r instead of a Result" % (result,))
            except Exception as exc:  # a broken fact must show, not pass
                result = Result(ERROR, "check failed: %s: %s" % (type(exc).__name__, exc))
        finding["status"] = result.status
        finding["evidence"] = result.evidence
        finding["needs_restart"] = bool(result.needs_restart)
        return finding


def factory(area, source, role=None, wrap=None):
    """The one way an area declares its controls.

    ``control = factory("ssh", "ssh")`` gives a function that takes the id, title and
    severity, and everything else by keyword::

        control("SSH-001", "Root cannot log in over SSH", "high",
                rationale="...", references=[...], variable="ssh_permit_root_login",
                check=fn, tags=("login",), role="ssh", note="...")

    ``role`` (default: the area) and ``variable`` name the remediation; every control is
    tagged with its area and its lower-case id, plus ``tags``. ``wrap`` decorates every
    check of the area (the KVM area makes its controls not_applicable without libvirt).
    """
    def control(cid, title, severity, *, rationale, references, variable, check, tags=(), role=role or area,
                note=None):
        remediation = {"role": role, "variable": variable}
        if note:
            remediation["note"] = note
        return Control(id=cid, title=title, area=area, severity=severity, rationale=rationale,
                       references=references, remediation=remediation, source=source,
                       check=wrap(check) if wrap else check, tags=(area, cid.lower()) + tuple(tags))
    return control


def load(module_name, area, source, role=None, wrap=None):
    """The controls of an area: their text from ``<module>.yml`` beside the module, their
    checks from the module itself.

    Each entry of the YAML file's ``controls`` list gives ``id``, ``title``, ``severity``,
    ``rationale``, ``references``, ``variable`` and optionally ``tags``, ``role`` and
    ``note``; ``check`` names a function of the module, or ``{factory: {argument:
    value}}`` calls one of its check factories. Call it as the module's last statement:
    ``CONTROLS = load(__name__, AREA, SOURCE)``.
    """
    module = sys.modules[module_name]
    path = os.path.splitext(module.__file__)[0] + ".yml"
    with open(path, encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)["controls"]
    names = vars(module)
    control = factory(area, source, role, wrap)
    controls = []
    for entry in entries:
        entry = dict(entry)
        spec = entry.pop("check")
        if isinstance(spec, dict):
            (name, arguments), = spec.items()
            check = names[name](**arguments)
        else:
            check = names[spec]
        controls.append(control(entry.pop("id"), entry.pop("title"), entry.pop("severity"), check=check, **entry))
    return controls


def index(controls):
    """Map id -> control, refusing duplicate ids (ids are stable forever)."""
    by_id = {}
    for control in controls:
        if control.id in by_id:
            raise ControlError("duplicate control id %s" % control.id)
        by_id[control.id] = control
    return by_id


def select(controls, areas=None, ids=None, min_severity=None):
    """Filter controls by area names, ids and a minimum severity (all optional)."""
    known = index(controls)
    if ids:
        unknown = sorted(set(ids) - set(known))
        if unknown:
            raise ControlError("unknown control id(s): %s" % ", ".join(unknown))
    chosen = []
    for control in controls:
        if areas and control.area not in areas:
            continue
        if ids and control.id not in ids:
            continue
        if min_severity and not at_least(control.severity, min_severity):
            continue
        chosen.append(control)
    return chosen


def judge(controls, facts, areas=None, ids=None, min_severity=None):
    """Evaluate the chosen controls against facts; return findings sorted by id."""
    chosen = select(controls, areas=areas, ids=ids, min_severity=min_severity)
    return [control.evaluate(facts) for control in sorted(chosen, key=lambda c: c.id)]


def summarize(findings):
    """Counts by status, and failures by severity and area."""
    summary = {"total": len(findings), "by_status": dict((s, 0) for s in STATUSES),
               "failed_by_severity": dict((s, 0) for s in SEVERITIES), "failed_by_area": {}}
    for finding in findings:
        summary["by_status"][finding["status"]] = summary["by_status"].get(finding["status"], 0) + 1
        if finding["status"] in (FAIL, ERROR):
            summary["failed_by_severity"][finding["severity"]] += 1
            area = finding.get("area", "")
            summary["failed_by_area"][area] = summary["failed_by_area"].get(area, 0) + 1
    judged = summary["by_status"][PASS] + summary["by_status"][FAIL] + summary["by_status"][ERROR]
    summary["pass_rate"] = round(100.0 * summary["by_status"][PASS] / judged, 1) if judged else None
    return summary


def failing(findings, threshold):
    """The findings that fail (or errored) at or above the severity threshold."""
    severity_rank(threshold)
    return [f for f in findings if f["status"] in (FAIL, ERROR) and at_least(f["severity"], threshold)]
