# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write docs/controls.md from the controls catalog (plugins/plugin_utils/catalog.py).

    python3 docs/generate_controls.py          # rewrite docs/controls.md
    python3 docs/generate_controls.py --check  # exit 1 when the file is out of date

tests/unit/test_docs_controls.py runs the check, so the table cannot drift from the code.
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.path.join(HERE, "controls.md")


def _import_catalog():
    collections = os.path.join(ROOT, "build", "collections")
    link = os.path.join(collections, "ansible_collections", "startsecure", "hardening")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    if collections not in sys.path:
        sys.path.insert(0, collections)
    from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog
    return catalog


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _reference(ref):
    return "<%s>" % ref if ref.startswith("http") else ref


def render(catalog):
    lines = [
        "# Controls catalog",
        "",
        "Generated from `plugins/plugin_utils/catalog.py` by `docs/generate_controls.py`; do not edit",
        "by hand (a unit test fails when this file and the catalog differ).",
        "",
        "Each control is judged on gathered facts (e.g. `startsecure.hardening.hypervisor_facts`) by the",
        "`startsecure.hardening.judge_controls` filter. Ids are stable: a retired id is never reused.",
        "Severity: info < low < medium < high < critical.",
        "",
    ]
    for area in sorted(catalog.AREAS):
        controls = sorted(catalog.AREAS[area], key=lambda c: c.id)
        lines += ["## %s (%d controls)" % (area, len(controls)), "",
                  "| Id | Severity | Control | Remediation |", "|---|---|---|---|"]
        for control in controls:
            rem = control.remediation
            fix = "role `%s`" % rem["role"]
            if rem.get("variable"):
                fix += ", `%s`" % rem["variable"]
            if rem.get("note"):
                fix += " - %s" % rem["note"]
            lines.append("| %s | %s | %s | %s |" % (control.id, control.severity, _cell(control.title), _cell(fix)))
        lines.append("")
        for control in controls:
            lines += ["### %s %s" % (control.id, control.title), "",
                      _cell(control.rationale), "",
                      "References: " + ", ".join(_reference(r) for r in control.references), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when out of date")
    args = parser.parse_args(argv)
    text = render(_import_catalog())
    current = open(TARGET).read() if os.path.exists(TARGET) else None
    if args.check:
        if current != text:
            sys.stderr.write("docs/controls.md is out of date: run python3 docs/generate_controls.py\n")
            return 1
        return 0
    if current != text:
        with open(TARGET, "w") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
