# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/controls.md is generated from the catalog; this fails when they drift apart."""

from __future__ import annotations

import importlib.util
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _generator():
    spec = importlib.util.spec_from_file_location("generate_controls", os.path.join(ROOT, "docs", "generate_controls.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_controls_doc_is_up_to_date():
    generator = _generator()
    expected = generator.render(generator._import_catalog())
    with open(os.path.join(ROOT, "docs", "controls.md")) as handle:
        assert handle.read() == expected, "docs/controls.md is out of date: run python3 docs/generate_controls.py"


def test_every_control_is_in_the_doc():
    generator = _generator()
    catalog = generator._import_catalog()
    with open(os.path.join(ROOT, "docs", "controls.md")) as handle:
        text = handle.read()
    for control in catalog.CONTROLS:
        assert "| %s | %s |" % (control.id, control.severity) in text
