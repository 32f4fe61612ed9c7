"""The plan for a KVM host's guests around its reboot (filter kvm_guest_reboot_plan)."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.kvm_guest_reboot_plan import kvm_guest_reboot_plan

DOMAINS = {"all": ["web", "db", "idle", "scratch"], "running": ["web", "db"], "autostart": ["db", "idle"],
           "transient": []}


def test_without_peer_running_guests_shut_down_and_come_back_autostart_respected():
    plan = kvm_guest_reboot_plan(DOMAINS)
    assert plan["shutdown"] == ["web", "db"]
    assert plan["migrate"] == [] and plan["refuse"] == []
    assert plan["start_after"] == ["web"]          # the play starts it
    assert plan["autostart_after"] == ["db"]       # libvirt starts it itself
    assert plan["expect_running"] == ["web", "db"]
    assert "idle" not in plan["expect_running"]    # was not running: not ours to start


@pytest.mark.parametrize("peer,uri", [("kvm2.example", "qemu+ssh://kvm2.example/system"),
                                      ("qemu+tls://kvm3.example/system", "qemu+tls://kvm3.example/system")])
def test_with_peer_running_guests_migrate_and_are_not_expected_back(peer, uri):
    plan = kvm_guest_reboot_plan(dict(DOMAINS, transient=["web"]), peer=peer)
    assert plan["migrate"] == ["web", "db"] and plan["peer_uri"] == uri
    assert plan["shutdown"] == [] and plan["expect_running"] == [] and plan["refuse"] == []


def test_running_transient_guest_without_peer_is_refused_by_name():
    plan = kvm_guest_reboot_plan(dict(DOMAINS, transient=["web"]))
    assert [r["name"] for r in plan["refuse"]] == ["web"]
    assert "cannot be started again" in plan["refuse"][0]["reason"]
    assert plan["shutdown"] == ["db"]


def test_no_running_guest_no_action():
    plan = kvm_guest_reboot_plan({"all": ["a"], "running": [""], "autostart": [], "transient": []})
    assert plan["shutdown"] == plan["migrate"] == plan["expect_running"] == []


@pytest.mark.parametrize("value", ["web", ["web"], {"running": "web"}])
def test_bad_input_is_a_filter_error(value):
    with pytest.raises(AnsibleFilterError):
        kvm_guest_reboot_plan(value)
