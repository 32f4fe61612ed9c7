# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kvm_host preflight guards (kvm_host_refusals filter) and the role's daemon layouts."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.kvm_host_refusals import kvm_host_refusals

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "kvm_host")


def _access(members, admins, user="root"):
    return kvm_host_refusals({"access": {"group": "libvirt", "members": members, "admins": admins,
                                         "connecting_user": user}})


def test_an_empty_admin_list_does_not_empty_a_group_with_members():
    refused = _access(["alice", "bob"], [])
    assert len(refused) == 1
    assert "kvm_host_admins is empty" in refused[0] and "alice, bob" in refused[0] and "libvirt" in refused[0]


def test_the_connecting_account_keeps_its_access():
    refused = _access(["alice", "deploy"], ["alice"], user="deploy")
    assert len(refused) == 1 and "deploy, the account running this play" in refused[0]


@pytest.mark.parametrize("members,admins,user", [
    (["alice", "stray"], ["alice"], "root"),    # stray removed: intended
    (["alice", "deploy"], ["alice", "deploy"], "deploy"),
    ([], [], "root"),                           # nothing to remove
    (["alice"], ["alice"], "bob"),              # bob is not a member, loses nothing
])
def test_group_changes_that_lock_nobody_out_are_allowed(members, admins, user):
    assert _access(members, admins, user) == []


def test_ksm_unmerge_needs_the_memory_the_shared_pages_take_back():
    # 1 GiB of 4 KiB pages shared, 512 MiB available
    refused = kvm_host_refusals({"ksm": {"run": 1, "pages_sharing": 262144, "page_size": 4096,
                                         "mem_available_kib": 524288}})
    assert len(refused) == 1
    assert "kvm_host_ksm_enabled" in refused[0] and "262144 pages" in refused[0] and "1024 MiB" in refused[0]
    assert "512 MiB" in refused[0]


@pytest.mark.parametrize("ksm", [
    {"run": 1, "pages_sharing": 262144, "page_size": 4096, "mem_available_kib": 4 * 1024 * 1024},
    {"run": 0, "pages_sharing": 262144, "page_size": 4096, "mem_available_kib": 0},   # KSM off: nothing unmerged
    {"run": None, "pages_sharing": None, "page_size": 4096, "mem_available_kib": None},  # no KSM in the kernel
    {"run": 1, "pages_sharing": 0, "page_size": 4096, "mem_available_kib": 10},
])
def test_ksm_unmerge_allowed_when_covered_or_nothing_shared(ksm):
    assert kvm_host_refusals({"ksm": ksm}) == []


def test_ksm_unmerge_refused_when_available_memory_is_unknown():
    refused = kvm_host_refusals({"ksm": {"run": 1, "pages_sharing": 10, "page_size": 4096, "mem_available_kib": None}})
    assert refused and "unknown" in refused[0]


@pytest.mark.parametrize("crash_loaded,units,word", [
    (1, [], "kexec_crash_loaded = 1"),
    (0, ["kdump-tools.service"], "kdump-tools.service enabled"),
])
def test_kexec_lock_refused_while_kdump_is_in_use(crash_loaded, units, word):
    refused = kvm_host_refusals({"kexec": {"wanted": True, "crash_loaded": crash_loaded, "kdump_units": units}})
    assert len(refused) == 1 and word in refused[0] and "kernel.kexec_load_disabled" in refused[0]


def test_kexec_lock_allowed_without_kdump_or_when_not_wanted():
    assert kvm_host_refusals({"kexec": {"wanted": True, "crash_loaded": 0, "kdump_units": []}}) == []
    assert kvm_host_refusals({"kexec": {"wanted": False, "crash_loaded": 1, "kdump_units": ["kdump.service"]}}) == []


def test_refusals_rejects_a_non_dict():
    with pytest.raises(AnsibleFilterError):
        kvm_host_refusals(["access"])


# ---- the daemon layouts the role picks from --------------------------------------

with open(os.path.join(ROLE, "vars", "main.yml")) as _handle:
    _VARS = yaml.safe_load(_handle)
LAYOUTS = _VARS["__kvm_host_daemon_layouts"]


def _units(layout):
    return set(layout["services"]) | {s["unit"] for s in layout["sockets"]}


def test_the_modular_layout_never_restarts_or_reconfigures_libvirtd():
    modular = LAYOUTS["modular"]
    assert not any(u.startswith("libvirtd") for u in _units(modular)), _units(modular)
    assert "/etc/libvirt/libvirtd.conf" not in [c["path"] for c in modular["configs"]]
    assert modular["qemu_daemon"] == "virtqemud"


def test_the_monolithic_layout_never_touches_a_modular_daemon():
    mono = LAYOUTS["monolithic"]
    assert _units(mono) == {"libvirtd.service", "libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"}
    assert [c["path"] for c in mono["configs"]] == ["/etc/libvirt/libvirtd.conf"]


@pytest.mark.parametrize("mode", sorted(LAYOUTS))
def test_each_file_is_validated_by_the_daemon_that_reads_it(mode):
    for conf in LAYOUTS[mode]["configs"]:
        assert os.path.basename(conf["path"]) == conf["daemon"] + ".conf", conf
    # the network listeners are configured in exactly one file, the one of the daemon that owns them
    assert [c["daemon"] for c in LAYOUTS[mode]["configs"] if c["remote"]] == \
        [LAYOUTS[mode]["tcp_units"][0].split("-")[0]]
    # every socket kind of each daemon gets its drop-in
    for daemon in {s["unit"].split(".")[0].split("-")[0] for s in LAYOUTS[mode]["sockets"]}:
        kinds = sorted(s["kind"] for s in LAYOUTS[mode]["sockets"] if s["unit"].startswith(daemon))
        assert kinds == ["admin", "ro", "rw"], (daemon, kinds)


def test_values_read_as_text_from_sys_and_proc_are_judged_as_numbers():
    refused = kvm_host_refusals({"ksm": {"run": "1\n", "pages_sharing": "262144", "page_size": "4096",
                                         "mem_available_kib": "1000"},
                                 "kexec": {"wanted": True, "crash_loaded": "1", "kdump_units": []}})
    assert len(refused) == 2
    assert kvm_host_refusals({"ksm": {"run": "0", "pages_sharing": "5", "page_size": "4096", "mem_available_kib": ""}}) == []


def test_the_tls_socket_is_not_masked_while_peers_use_it():
    refused = kvm_host_refusals({"tls": {"masking": True, "peers": ["192.0.2.7:40022", "192.0.2.7:40022"]}})
    assert len(refused) == 1 and "kvm_host_listen_tls is false" in refused[0] and "192.0.2.7:40022" in refused[0]
    assert kvm_host_refusals({"tls": {"masking": True, "peers": []}}) == []
    assert kvm_host_refusals({"tls": {"masking": False, "peers": ["192.0.2.7:40022"]}}) == []
