# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hypervisor_facts' argument handling, and a real run on this machine (which has no libvirt:
the module must report installed=false there, not fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor
from ansible_collections.startsecure.hardening.plugins.modules import hypervisor_facts

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
COLLECTIONS = os.path.join(ROOT, "build", "collections")


def test_runs_read_only_and_in_check_mode(run_module, monkeypatch):
    monkeypatch.setattr(hypervisor, "load_libvirt", lambda: None)
    if shutil.which("libvirtd") or shutil.which("virtqemud"):
        pytest.skip("this machine has libvirt; the no-libvirt path is covered by test_hypervisor.py")
    failed, result = run_module(hypervisor_facts.main, {}, check_mode=True)
    assert not failed, result
    assert result["changed"] is False
    facts = result["hypervisor"]
    assert facts["installed"] is False and facts["domains"] == []
    assert isinstance(facts["kernel"]["cmdline"], str)


def test_passes_options_through(run_module, monkeypatch):
    seen = {}

    def fake_gather(system, libvirt_module=None, uri=None, run_virt_host_validate=None):
        seen.update(uri=uri, vhv=run_virt_host_validate, root=system.root)
        return {"installed": True}
    monkeypatch.setattr(hypervisor, "gather", fake_gather)
    failed, result = run_module(hypervisor_facts.main, {"uri": "qemu+ssh://h/system", "virt_host_validate": False,
                                                        "admins": ["virtadmin"], "guest_agent_allowed": False})
    assert not failed and result["hypervisor"] == {
        "installed": True, "expected_admins": ["virtadmin"],
        "policy": {"guest_agent_allowed": False, "disk_encryption_required": False}}
    assert seen == {"uri": "qemu+ssh://h/system", "vhv": False, "root": "/"}


@pytest.mark.parametrize("args,message", [
    ({"nope": 1}, "Unsupported parameters"),
    ({"virt_host_validate": "maybe"}, "virt_host_validate"),
])
def test_bad_arguments(run_module, args, message):
    failed, result = run_module(hypervisor_facts.main, args)
    assert failed and message in result["msg"]


@pytest.mark.parametrize("plugin_type,name", [
    ("module", "hypervisor_facts"), ("module", "libvirt_config"), ("module", "libvirt_domain_memory"),
    ("filter", "judge_controls"), ("filter", "libvirt_conf"), ("filter", "domain_summary"),
])
def test_ansible_doc_renders(plugin_type, name):
    doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    if not os.path.exists(doc):
        pytest.skip("ansible-doc is not installed beside this Python")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([doc, "-t", plugin_type, "startsecure.hardening." + name],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "startsecure.hardening.%s" % name in proc.stdout
    assert "EXAMPLES" in proc.stdout and "[WARNING]" not in proc.stderr
