# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The judge_controls, libvirt_conf and domain_summary filters."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.domain_summary import domain_summary
from ansible_collections.startsecure.hardening.plugins.filter.judge_controls import judge_controls
from ansible_collections.startsecure.hardening.plugins.filter.libvirt_conf import libvirt_conf

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")

with open(os.path.join(FIXTURES, "hypervisor", "debian12-default.json")) as _handle:
    HYPERVISOR = json.load(_handle)


def test_judge_registered_module_result():
    registered = {"changed": False, "failed": False, "hypervisor": copy.deepcopy(HYPERVISOR)}
    findings = judge_controls(registered)
    assert [f["id"] for f in findings] == sorted(f["id"] for f in findings)
    assert all(f["area"] == "kvm_host" for f in findings)  # only the gathered source is judged
    by_id = dict((f["id"], f) for f in findings)
    assert by_id["KVM-014"]["status"] == "fail"
    assert by_id["KVM-014"]["remediation"]["variable"] == "kvm_host_security_driver"


def test_judge_bare_facts_with_source_and_filters():
    findings = judge_controls(copy.deepcopy(HYPERVISOR), source="hypervisor", min_severity="critical")
    assert findings and all(f["severity"] == "critical" for f in findings)
    only = judge_controls({"hypervisor": HYPERVISOR}, ids=["KVM-017", "KVM-014"])
    assert [f["id"] for f in only] == ["KVM-014", "KVM-017"]
    assert judge_controls({"hypervisor": HYPERVISOR}, areas=["kvm_host"], ids=["KVM-001"])[0]["status"] == "pass"


def test_judge_asked_for_control_without_facts_is_an_error_finding():
    [finding] = judge_controls({"something": {}}, ids=["KVM-001"])
    assert finding["status"] == "error"


@pytest.mark.parametrize("facts,kwargs,message", [
    ("text", {}, "expected a dict"),
    ({"hypervisor": {}}, {"ids": ["KVM-999"]}, "unknown control id"),
    ({"hypervisor": {}}, {"min_severity": "severe"}, "unknown severity"),
    ({"unknown": {}}, {}, "no control matches facts with keys unknown"),
])
def test_judge_errors(facts, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        judge_controls(facts, **kwargs)


def test_libvirt_conf_filter():
    with open(os.path.join(FIXTURES, "libvirt", "qemu.conf")) as handle:
        text = handle.read()
    assert libvirt_conf(text) == {}
    effective = libvirt_conf(text + 'vnc_listen = "0.0.0.0"\n', defaults="qemu.conf")
    assert effective["vnc_listen"] == "0.0.0.0" and effective["seccomp_sandbox"] == 1
    with pytest.raises(AnsibleFilterError, match="line 2: unterminated string"):
        libvirt_conf("a = 1\nb = 'x\n")
    with pytest.raises(AnsibleFilterError, match="defaults must be one of"):
        libvirt_conf("", defaults="nope.conf")
    with pytest.raises(AnsibleFilterError, match="expected the text"):
        libvirt_conf(None)


def test_domain_summary_filter():
    with open(os.path.join(FIXTURES, "libvirt", "domains", "etc-tiny.xml")) as handle:
        summary = domain_summary(handle.read())
    assert summary["name"] == "tiny" and summary["graphics"][0]["listen"] == ["0.0.0.0"]
    assert summary["graphics"][0]["passwd_set"] is True
    with pytest.raises(AnsibleFilterError, match="not a domain XML"):
        domain_summary("<domain")
