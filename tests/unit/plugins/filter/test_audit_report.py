import importlib.util
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.audit_report import FilterModule, audit_report
from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog


def _sibling(name, path):
    """Reuse the recorded facts and HARDEN table of the controls' unit tests."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(__file__), path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_areas = _sibling("_audit_controls_areas", "../plugin_utils/test_controls_areas.py")
_load, hardened = _areas._load, _areas.hardened


def _hosts(facts):
    return {"guest1": {"facts": facts, "groups": ["guests"]}}


def test_registered_and_judges_with_the_whole_catalog():
    assert FilterModule().filters()["audit_report"] is audit_report
    out = audit_report(_hosts(hardened()), threshold="low", today="2026-06-01")
    findings = out["result"]["hosts"]["guest1"]["findings"]
    areas = set(f["area"] for f in findings)
    assert areas == {"ssh", "console", "patching", "memory_limits"}   # no kvm_host: not gathered there
    assert len(findings) == len([c for c in catalog.CONTROLS if c.area in areas])
    assert out["passed"] is True and out["failing"] == []
    assert json.loads(out["json"])["hosts"]["guest1"]["counts"]["fail"] == 0
    assert out["junit"].startswith("<?xml") and "<html" in out["html"] and out["text"].startswith("HOST")


def test_default_host_fails_and_previous_gives_drift():
    good = audit_report(_hosts(hardened()), today="2026-06-01")
    bad_facts = hardened()
    bad_facts["ssh"]["effective"]["passwordauthentication"] = "yes"
    bad = audit_report(_hosts(bad_facts), previous=good["json"], today="2026-06-01")
    assert bad["passed"] is False
    assert [f["id"] for f in bad["failing"]] == ["SSH-002"]
    assert [(c["host"], c["id"]) for c in bad["result"]["drift"]["worse"]] == [("guest1", "SSH-002")]


def test_waiver_and_its_expiry_through_the_filter():
    facts = _load("debian12-default.json")
    waivers = [{"id": cid, "hosts": ["guest1"], "reason": "lab", "expires": "2026-06-30"}
               for cid in ("SSH-001", "SSH-002", "SSH-012", "SSH-014", "PAT-001", "PAT-002", "PAT-003", "PAT-009",
                           "MEM-002", "MEM-003", "MEM-006", "CON-002", "CON-003")]
    out = audit_report(_hosts(facts), waivers=waivers, today="2026-06-01")
    assert [f["id"] for f in out["failing"]] == []
    later = audit_report(_hosts(facts), waivers=waivers, today="2026-07-01")
    assert "SSH-002" in [f["id"] for f in later["failing"]]


@pytest.mark.parametrize("kwargs,message", [
    ({"threshold": "urgent"}, "unknown severity"),
    ({"waivers": [{"id": "SSH-999", "hosts": ["x"], "reason": "r", "expires": "2026-01-01"}]}, "no control has the id SSH-999"),
    ({"previous": "not json"}, "not JSON"),
])
def test_bad_arguments_are_filter_errors(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        audit_report(_hosts(hardened()), **kwargs)


def test_input_must_be_a_dict():
    with pytest.raises(AnsibleFilterError, match="must be a dict"):
        audit_report(["guest1"])
