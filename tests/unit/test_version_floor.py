# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-core floor is one fact: meta/runtime.yml, the roles' metadata, the execution
environment and the versions `make test` runs the unit tests and sanity on all agree."""

from __future__ import annotations

import glob
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _minor(text):
    major, minor = re.match(r"\s*(\d+)\.(\d+)", text).groups()
    return int(major), int(minor)


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def test_floor_is_the_same_everywhere():
    floor = _minor(re.match(r">=\s*(.*)", yaml.safe_load(_read("meta", "runtime.yml"))["requires_ansible"]).group(1))
    matrix = re.search(r"^CORE_MATRIX\s*:=\s*(.*)$", _read("Makefile"), re.M).group(1).split()
    newest = _minor(re.search(r"^ansible-core==(\S+)", _read("requirements-test.txt"), re.M).group(1))
    tested = sorted({_minor(v) for v in matrix} | {newest})
    assert tested[0] == floor, "make test must run the oldest admitted minor"
    assert tested == [(floor[0], m) for m in range(floor[1], newest[1] + 1)], "every admitted minor is tested"
    roles = glob.glob(os.path.join(ROOT, "roles", "*"))
    for role in roles:
        meta = yaml.safe_load(_read(role, "meta", "main.yml"))
        assert _minor(meta["galaxy_info"]["min_ansible_version"]) == floor, role
    ee = yaml.safe_load(_read("execution-environment.yml"))["dependencies"]["ansible_core"]["package_pip"]
    low, high = re.match(r"ansible-core>=([\d.]+),<([\d.]+)$", ee).groups()
    assert _minor(low) == floor and _minor(high) == (newest[0], newest[1] + 1), ee
