# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit results and the reports people read: JSON, JUnit XML, HTML and a text table.

``build_result`` judges every host's gathered facts against the catalog, applies the
waivers, compares with the previous result (drift) and returns one JSON-ready dict.
The writers turn that dict into text; they never judge anything themselves, so the
JSON, the JUnit file, the HTML page and the summary table always agree.
"""

from __future__ import annotations

import datetime
import html
import json
from xml.etree import ElementTree

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as ctl
from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import drift as drift_mod
from ansible_collections.startsecure.hardening.plugins.plugin_utils.report import waivers as waiver_mod

FORMAT = "startsecure.hardening/audit-result"
VERSION = 1
# Display order of statuses in tables, charts and JUnit.
STATUS_ORDER = (ctl.PASS, ctl.FAIL, waiver_mod.WAIVED, ctl.NOT_APPLICABLE, ctl.ERROR)
_COLOURS = {ctl.PASS: "#2e7d32", ctl.FAIL: "#c62828", waiver_mod.WAIVED: "#ef8f00",
            ctl.NOT_APPLICABLE: "#9e9e9e", ctl.ERROR: "#6a1b9a"}


class ReportError(ValueError):
    """Input that cannot become a report (bad threshold, bad previous result...)."""


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _counts(findings):
    counts = dict((s, 0) for s in STATUS_ORDER)
    for finding in findings:
        counts[finding["status"]] = counts.get(finding["status"], 0) + 1
    judged = counts[ctl.PASS] + counts[ctl.FAIL] + counts[ctl.ERROR]
    counts["total"] = len(findings)
    counts["pass_rate"] = round(100.0 * counts[ctl.PASS] / judged, 1) if judged else None
    return counts


def host_areas(facts, requested, before=None):
    """The areas judged on a host: those it gathered facts for (``audit.areas``), within ``requested``.

    A host whose facts could not be gathered is judged on the areas it had in the
    previous result (or every requested area if it is new), so each control shows up as
    an error for it instead of disappearing from the report.
    """
    present = ((facts or {}).get("audit") or {}).get("areas")
    if present is None:
        present = before
    if present is None:
        return list(requested) if requested else None
    return [a for a in present if not requested or a in requested]


def build_result(hosts, controls, threshold="high", waivers=None, previous=None, areas=None,
                 today=None, generated=None, waiver_max_days=waiver_mod.MAX_DAYS):
    """Judge every host and return the audit result (a JSON-ready dict).

    hosts: {name: {"facts": {...audit_facts...}, "groups": [...], "error": "why facts are missing"}}
    controls: the catalog (list of Control); areas: restrict to these areas (None = all).
    threshold: the lowest severity that fails the audit. previous: the last result, for drift.
    """
    ctl.severity_rank(threshold)
    if not isinstance(hosts, dict):
        raise ReportError("hosts must be a mapping of host name to gathered facts")
    by_id = ctl.index(controls)
    today = today or datetime.date.today()
    waiver_list = waiver_mod.validate(waivers, known_ids=set(by_id), today=today, max_days=waiver_max_days)
    result = {"format": FORMAT, "version": VERSION, "generated": generated or _now(),
              "threshold": threshold, "areas": sorted(areas) if areas else sorted(set(c.area for c in controls)),
              "waivers": waiver_list, "hosts": {}}
    all_findings = []
    failing = []
    for name in sorted(hosts):
        data = hosts[name] or {}
        facts = data.get("facts") or {}
        error = data.get("error") or ""
        before = ((previous or {}).get("hosts") or {}).get(name, {}).get("areas") if isinstance(previous, dict) else None
        chosen = host_areas(facts if not error else {}, areas, before=before)
        findings = ctl.judge(controls, facts, areas=chosen)
        if error:
            for finding in findings:
                finding["status"] = ctl.ERROR
                finding["evidence"] = "host not audited: %s" % error
        groups = sorted(data.get("groups") or [])
        findings = waiver_mod.apply(findings, waiver_list, name, groups, today=today)
        for finding in ctl.failing(findings, threshold):
            failing.append({"host": name, "id": finding["id"], "title": finding["title"],
                            "severity": finding["severity"], "status": finding["status"],
                            "evidence": finding["evidence"]})
        all_findings.extend(findings)
        result["hosts"][name] = {"groups": groups, "error": error,
                                 "areas": sorted(set(f["area"] for f in findings)),
                                 "counts": _counts(findings), "findings": findings}
    result["counts"] = _counts(all_findings)
    result["failing"] = failing
    result["passed"] = not failing
    result["drift"] = None
    if previous:
        try:
            result["drift"] = drift_mod.compare(previous, result)
        except drift_mod.DriftError as exc:
            raise ReportError(str(exc)) from None
    return result


def baseline(result, previous):
    """What the next run compares with: this result, plus the previous findings of every host
    and area this run did not look at (a run limited with --limit or audit_areas)."""
    try:
        return drift_mod.merge_baseline(previous, result)
    except drift_mod.DriftError as exc:
        raise ReportError(str(exc)) from None


def load_previous(text):
    """Parse the previous JSON result; empty text means there is none."""
    if text is None or not str(text).strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportError("the previous audit result is not JSON: %s" % exc) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReportError("the previous file is not an audit result of this collection")
    return data


# ---------------------------------------------------------------- JSON
def to_json(result):
    return json.dumps(result, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- text that stays valid
# What a host reports (process names, file names, banners) may hold any byte. XML 1.0
# cannot carry C0 controls other than tab, newline and carriage return at all (even as
# character references), and HTML must not: one ESC in a process name made the whole
# JUnit file unparseable. They are written as visible escapes ("\x1b") instead.
_UNSAFE = dict((code, "\\x%02x" % code) for code in list(range(0x00, 0x09)) + [0x0b, 0x0c] + list(range(0x0e, 0x20))
               + list(range(0x7f, 0xa0)))
_UNSAFE.update((code, "\\u%04x" % code) for code in (0xfffe, 0xffff))


def printable(value):
    """The text with every character XML 1.0 or HTML cannot carry written as a visible escape."""
    text = "" if value is None else str(value)
    text = text.translate(_UNSAFE)
    # lone surrogates (undecodable bytes read with surrogateescape) cannot be encoded at all
    return "".join(ch if not 0xd800 <= ord(ch) <= 0xdfff else "\\u%04x" % ord(ch) for ch in text)


# ---------------------------------------------------------------- JUnit XML
def to_junit(result):
    """One <testsuite> per host, one <testcase> per host and control.

    fail -> <failure>, error -> <error>, not_applicable and waived -> <skipped> (with why).
    Every text and attribute goes through :func:`printable`.
    """
    p = printable
    suites = ElementTree.Element("testsuites", name="startsecure.hardening audit")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for host, data in sorted(result["hosts"].items()):
        suite = ElementTree.SubElement(suites, "testsuite", name=p(host), timestamp=p(result["generated"]))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for finding in data["findings"]:
            counts["tests"] += 1
            case = ElementTree.SubElement(suite, "testcase", classname=p("%s.%s" % (host, finding["area"])),
                                          name=p("%s %s" % (finding["id"], finding["title"])))
            text = p(_finding_text(finding))
            status = finding["status"]
            if status == ctl.FAIL:
                counts["failures"] += 1
                node = ElementTree.SubElement(case, "failure", type=p(finding["severity"]),
                                              message=p("[%s] %s" % (finding["severity"], finding["evidence"])))
                node.text = text
            elif status == ctl.ERROR:
                counts["errors"] += 1
                node = ElementTree.SubElement(case, "error", type="error", message=p(finding["evidence"]))
                node.text = text
            elif status in (ctl.NOT_APPLICABLE, waiver_mod.WAIVED):
                counts["skipped"] += 1
                ElementTree.SubElement(case, "skipped", message=p("%s: %s" % (status, finding["evidence"])))
            else:
                ElementTree.SubElement(case, "system-out").text = p(finding["evidence"])
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def _remediation_text(finding):
    rem = finding.get("remediation") or {}
    parts = ["role %s" % rem.get("role", "?")]
    if rem.get("variable"):
        parts.append("variable %s" % rem["variable"])
    if rem.get("value") is not None:
        parts.append("= %s" % json.dumps(rem["value"]))
    text = " ".join(parts)
    if rem.get("note"):
        text += " (%s)" % rem["note"]
    return text


def _finding_text(finding):
    lines = ["%s %s [%s] %s" % (finding["id"], finding["title"], finding["severity"], finding["status"]),
             "evidence: %s" % finding["evidence"],
             "rationale: %s" % finding.get("rationale", ""),
             "remediation: %s" % _remediation_text(finding),
             "references: %s" % "; ".join(finding.get("references", []))]
    return "\n".join(lines)


# ---------------------------------------------------------------- text summary
def to_text(result, max_lines=40):
    """A short fixed-width table for the play output: hosts, counts, failing and drift."""
    header = "%-28s %5s %5s %6s %5s %5s %7s" % ("HOST", "PASS", "FAIL", "WAIVED", "N/A", "ERROR", "RATE")
    lines = [header, "-" * len(header)]

    def row(name, counts):
        rate = "-" if counts["pass_rate"] is None else "%.1f%%" % counts["pass_rate"]
        return "%-28s %5d %5d %6d %5d %5d %7s" % (name[:28], counts[ctl.PASS], counts[ctl.FAIL],
                                                  counts[waiver_mod.WAIVED], counts[ctl.NOT_APPLICABLE],
                                                  counts[ctl.ERROR], rate)
    for host, data in sorted(result["hosts"].items()):
        lines.append(row(host, data["counts"]))
    lines.append(row("TOTAL (%d hosts)" % len(result["hosts"]), result["counts"]))
    failing = result["failing"]
    lines.append("")
    lines.append("Failing at or above %s: %d" % (result["threshold"], len(failing)))
    for item in failing[:max_lines]:
        lines.append("  %-20s %-8s %-8s %s" % (item["host"][:20], item["id"], item["severity"], item["title"]))
    if len(failing) > max_lines:
        lines.append("  ... and %d more (see the HTML or JSON report)" % (len(failing) - max_lines))
    drift = result.get("drift")
    if drift:
        lines.append("")
        lines.append("Since %s: %d better, %d worse" % (drift["previous_generated"] or "the previous audit",
                                                        len(drift["better"]), len(drift["worse"])))
        for label, changes in (("worse", drift["worse"]), ("better", drift["better"])):
            for change in changes[:max_lines]:
                lines.append("  %-6s %-20s %-8s %s -> %s"
                             % (label, change["host"][:20], change["id"], change["before"], change["after"]))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f4f4f4}.num{text-align:right}
.st{font-weight:600;white-space:nowrap}
.st-pass{color:#2e7d32}.st-fail{color:#c62828}.st-waived{color:#ef8f00}.st-not_applicable{color:#757575}.st-error{color:#6a1b9a}
.sev-critical,.sev-high{font-weight:700}.verdict{font-size:1.2em;padding:.5em;border-radius:4px}
.ok{background:#e8f5e9}.bad{background:#ffebee}details{margin:.3em 0}summary{cursor:pointer}
code{background:#f4f4f4;padding:0 .2em}.legend span{margin-right:1em}
"""


def _e(value):
    return html.escape(printable(value), quote=True)


def _bar_chart(title, rows):
    """Inline SVG: one horizontal stacked bar per row (pass, fail, waived, n/a, error)."""
    label_w, bar_w, row_h = 180, 520, 22
    height = 30 + row_h * len(rows)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" aria-label="%s">'
             % (label_w + bar_w + 80, height, _e(title)),
             '<text x="0" y="16" font-size="14" font-weight="bold">%s</text>' % _e(title)]
    for number, (label, counts) in enumerate(rows):
        y = 26 + number * row_h
        total = sum(counts.get(s, 0) for s in STATUS_ORDER) or 1
        parts.append('<text x="0" y="%d" font-size="12">%s</text>' % (y + 14, _e(label[:28])))
        x = float(label_w)
        for status in STATUS_ORDER:
            value = counts.get(status, 0)
            if not value:
                continue
            width = bar_w * value / total
            parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %d</title></rect>'
                         % (x, y, width, row_h - 6, _COLOURS[status], _e(label), status, value))
            x += width
        parts.append('<text x="%d" y="%d" font-size="12">%d/%d pass</text>'
                     % (label_w + bar_w + 6, y + 14, counts.get(ctl.PASS, 0), total))
    parts.append("</svg>")
    return "".join(parts)


def _legend():
    return '<p class="legend">' + "".join(
        '<span><svg width="12" height="12"><rect width="12" height="12" fill="%s"/></svg> %s</span>'
        % (_COLOURS[s], s.replace("_", " ")) for s in STATUS_ORDER) + "</p>"


def _status(status):
    return '<span class="st st-%s">%s</span>' % (_e(status), _e(status.replace("_", " ")))


def _by_area(result):
    areas = {}
    for data in result["hosts"].values():
        for finding in data["findings"]:
            counts = areas.setdefault(finding["area"], {})
            counts[finding["status"]] = counts.get(finding["status"], 0) + 1
    return sorted(areas.items())


def _drift_html(drift):
    if drift is None:
        return "<p>No previous result was given, so there is nothing to compare with.</p>"
    out = ["<p>Compared with the audit of %s: <strong>%d better</strong>, <strong>%d worse</strong>, %d unchanged.</p>"
           % (_e(drift["previous_generated"] or "unknown date"), len(drift["better"]), len(drift["worse"]), drift["unchanged"])]
    for label, changes in (("Worse", drift["worse"]), ("Better", drift["better"]), ("Changed", drift.get("changed", []))):
        if not changes:
            continue
        out.append('<h3>%s</h3><table class="drift-%s"><tr><th>Host</th><th>Control</th><th>Severity</th>'
                   '<th>Before</th><th>After</th><th>Evidence now</th></tr>' % (label, label.lower()))
        for change in changes:
            out.append("<tr><td>%s</td><td>%s %s</td><td class=\"sev-%s\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                       % (_e(change["host"]), _e(change["id"]), _e(change["title"]), _e(change["severity"]),
                          _e(change["severity"]), _status(change["before"]), _status(change["after"]), _e(change["evidence"])))
        out.append("</table>")
    if drift["new_hosts"]:
        out.append("<p>New hosts: %s</p>" % _e(", ".join(drift["new_hosts"])))
    if drift.get("not_audited_hosts"):
        out.append("<p>Not audited in this run (their previous findings stay the baseline): %s</p>"
                   % _e(", ".join(drift["not_audited_hosts"])))
    return "".join(out)


def to_html(result, title="startsecure.hardening audit"):
    """One self-contained page: no script, no external stylesheet, font or image."""
    counts = result["counts"]
    verdict = ("ok", "No control at or above <strong>%s</strong> fails." % _e(result["threshold"])) if result["passed"] else \
        ("bad", "<strong>%d</strong> finding(s) at or above <strong>%s</strong> fail." % (len(result["failing"]), _e(result["threshold"])))
    out = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>"
           % (_e(title), _CSS),
           "<h1>%s</h1>" % _e(title),
           "<p>Generated %s for %d host(s); %d findings, pass rate %s.</p>"
           % (_e(result["generated"]), len(result["hosts"]), counts["total"],
              "-" if counts["pass_rate"] is None else "%.1f%%" % counts["pass_rate"]),
           '<p class="verdict %s">%s</p>' % verdict,
           "<h2 id=\"overview\">Overview</h2>", _legend(),
           _bar_chart("By area", list(_by_area(result))), "<br>",
           _bar_chart("By host", [(h, d["counts"]) for h, d in sorted(result["hosts"].items())]),
           "<h2 id=\"drift\">Drift</h2>", _drift_html(result.get("drift"))]

    out.append("<h2 id=\"failing\">Failing at or above %s</h2>" % _e(result["threshold"]))
    if result["failing"]:
        out.append("<table><tr><th>Host</th><th>Control</th><th>Severity</th><th>Evidence</th></tr>")
        for item in result["failing"]:
            out.append("<tr><td>%s</td><td>%s %s</td><td class=\"sev-%s\">%s</td><td>%s</td></tr>"
                       % (_e(item["host"]), _e(item["id"]), _e(item["title"]), _e(item["severity"]),
                          _e(item["severity"]), _e(item["evidence"])))
        out.append("</table>")
    else:
        out.append("<p>None.</p>")

    out.append("<h2 id=\"hosts\">By host</h2>")
    for host, data in sorted(result["hosts"].items()):
        c = data["counts"]
        out.append('<details class="host" id="host-%s"%s><summary><strong>%s</strong> (groups: %s) pass %d, fail %d, waived %d, '
                   "n/a %d, error %d</summary>" % (_e(host), " open" if c[ctl.FAIL] or c[ctl.ERROR] else "", _e(host),
                                                   _e(", ".join(data["groups"]) or "-"), c[ctl.PASS], c[ctl.FAIL],
                                                   c[waiver_mod.WAIVED], c[ctl.NOT_APPLICABLE], c[ctl.ERROR]))
        if data.get("error"):
            out.append("<p class=\"st-error\">Not audited: %s</p>" % _e(data["error"]))
        out.append("<table><tr><th>Control</th><th>Severity</th><th>Status</th><th>Evidence</th><th>Remediation</th></tr>")
        for finding in data["findings"]:
            out.append('<tr data-control="%s"><td><a href="#control-%s">%s</a> %s</td><td class="sev-%s">%s</td><td>%s</td>'
                       "<td>%s</td><td>%s</td></tr>"
                       % (_e(finding["id"]), _e(finding["id"]), _e(finding["id"]), _e(finding["title"]),
                          _e(finding["severity"]), _e(finding["severity"]), _status(finding["status"]),
                          _e(finding["evidence"]), _e(_remediation_text(finding))))
        out.append("</table></details>")

    out.append("<h2 id=\"controls\">By control</h2>")
    per_control = {}
    for host, data in sorted(result["hosts"].items()):
        for finding in data["findings"]:
            per_control.setdefault(finding["id"], (finding, []))[1].append((host, finding["status"], finding["evidence"]))
    for cid in sorted(per_control):
        finding, rows = per_control[cid]
        out.append('<details class="control" id="control-%s"><summary><strong>%s</strong> %s <span class="sev-%s">[%s]</span> %s</summary>'
                   % (_e(cid), _e(cid), _e(finding["title"]), _e(finding["severity"]), _e(finding["severity"]),
                      " ".join(_status(s) for s in sorted(set(r[1] for r in rows)))))
        out.append("<p><em>Area:</em> %s. <em>Why:</em> %s</p>" % (_e(finding["area"]), _e(finding.get("rationale"))))
        out.append("<p><em>Remediation:</em> %s</p>" % _e(_remediation_text(finding)))
        out.append("<p><em>References:</em> %s</p>" % _e("; ".join(finding.get("references", []))))
        out.append("<table><tr><th>Host</th><th>Status</th><th>Evidence</th></tr>")
        for host, status, evidence in rows:
            out.append("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (_e(host), _status(status), _e(evidence)))
        out.append("</table></details>")

    if result.get("waivers"):
        out.append("<h2 id=\"waivers\">Waivers</h2><table><tr><th>Control</th><th>Hosts</th><th>Groups</th>"
                   "<th>Expires</th><th>Reason</th></tr>")
        for waiver in result["waivers"]:
            out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                       % (_e(waiver["id"]), _e(", ".join(waiver["hosts"])), _e(", ".join(waiver["groups"])),
                          _e(waiver["expires"]), _e(waiver["reason"])))
        out.append("</table>")
    out.append("</body></html>\n")
    return "\n".join(out)
