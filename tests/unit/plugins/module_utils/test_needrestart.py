# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""needrestart output parser and the /proc scan for QEMU running a replaced binary."""

from __future__ import annotations

import os

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.processes import stale_qemu
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.needrestart import (
    NeedrestartParseError,
    guest_name_from_cmdline,
    parse_needrestart,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "needrestart")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.mark.parametrize("name,version", [("deb12-batch-service.txt", "3.6"), ("deb13-batch-service.txt", "3.11")])
def test_recorded_batch_output_of_a_replaced_service(name, version):
    parsed = parse_needrestart(fixture(name))
    assert parsed["version"] == version
    assert parsed["services"] == ["sst-hello.service"]
    assert parsed["restart_needed"] is True
    # a container has no kernel status lines: unknown, and no reboot claimed
    assert parsed["kernel"]["status"] is None
    assert parsed["kernel"]["status_name"] == "unknown"
    assert parsed["reboot_needed"] is False
    assert parsed["guests"] == [] and parsed["unknown"] == []


def test_recorded_list_output_has_no_guests_and_no_batch_lines():
    parsed = parse_needrestart(fixture("deb12-list-service.txt"))
    assert parsed["guests"] == []
    assert parsed["services"] == []  # list mode prints prose, not NEEDRESTART-SVC
    assert parsed["version"] is None


def test_kvm_host_batch_kernel_microcode_services_containers_sessions():
    parsed = parse_needrestart(fixture("kvm-host-batch.txt"))
    assert parsed["kernel"] == {
        "current": "6.1.0-18-amd64",
        "expected": "6.1.0-20-amd64",
        "status": 3,
        "status_name": "version_upgrade",
        "reboot_needed": True,
    }
    assert parsed["microcode"]["status_name"] == "obsolete"
    assert parsed["microcode"]["reboot_needed"] is True
    assert parsed["microcode"]["expected"] == "0x000000f4"
    assert parsed["services"] == ["libvirtd.service", "ssh.service", "virtlogd.service"]
    assert parsed["containers"] == ["LXC web1"]
    assert parsed["sessions"] == ["root @ session #3", "alice @ user manager service"]
    assert parsed["reboot_needed"] is True


def test_kvm_host_guest_lines_from_list_mode_combined_with_batch():
    parsed = parse_needrestart(fixture("kvm-host-batch.txt") + fixture("kvm-host-list.txt"))
    assert parsed["guests"] == [
        {"name": "web1", "pid": 4242},
        {"name": "db,primary", "pid": 4343},
        {"name": "Unkown VM", "pid": 4444},
    ]
    # the prose of list mode does not add services twice or invent any
    assert parsed["services"] == ["libvirtd.service", "ssh.service", "virtlogd.service"]
    assert parsed["restart_needed"] is True


def test_guest_section_ends_at_the_next_prose_line():
    text = (
        "VM guests are running outdated hypervisor (qemu) binaries on this host:\n"
        " 'a' with pid 1\n"
        "Something else:\n"
        " 'b' with pid 2\n"
    )
    assert parse_needrestart(text)["guests"] == [{"name": "a", "pid": 1}]


@pytest.mark.parametrize("ksta,name,reboot", [("0", "unknown", False), ("1", "current", False),
                                              ("2", "abi_upgrade", True), ("3", "version_upgrade", True),
                                              ("x", "unknown", False)])
def test_kernel_status_numbers(ksta, name, reboot):
    parsed = parse_needrestart("NEEDRESTART-KCUR: 6.1.0\nNEEDRESTART-KSTA: %s\n" % ksta)
    assert parsed["kernel"]["status_name"] == name
    assert parsed["reboot_needed"] is reboot


def test_nothing_to_do_and_empty_input():
    for text in ("", None, "NEEDRESTART-VER: 3.6\nNEEDRESTART-KCUR: 6.1.0\nNEEDRESTART-KSTA: 1\n"):
        parsed = parse_needrestart(text)
        assert parsed["restart_needed"] is False
        assert parsed["reboot_needed"] is False
        assert parsed["services"] == []


def test_pid_lines_unknown_lines_duplicates_and_line_lists():
    parsed = parse_needrestart(["NEEDRESTART-PID: bash=12,34", "NEEDRESTART-SVC: a.service",
                                "NEEDRESTART-SVC: a.service", "NEEDRESTART-FOO: bar"])
    assert parsed["processes"] == {"bash": [12, 34]}
    assert parsed["services"] == ["a.service"]
    assert parsed["unknown"] == ["NEEDRESTART-FOO: bar"]


def test_rejects_non_text():
    with pytest.raises(NeedrestartParseError, match="must be a string"):
        parse_needrestart({"stdout": "x"})


def test_guest_name_from_cmdline():
    assert guest_name_from_cmdline(["qemu-system-x86_64", "-name", "guest=web1,debug-threads=on"]) == "web1"
    assert guest_name_from_cmdline(["qemu-system-x86_64", "-name", "old"]) == "old"
    assert guest_name_from_cmdline(["qemu-system-x86_64", "-m", "128"]) is None


def _proc(tmp_path, pid, exe, cmdline, cgroup="0::/machine.slice/machine-qemu\\x2d1\\x2dweb1.scope\n", maps=""):
    base = tmp_path / str(pid)
    base.mkdir()
    os.symlink(exe, str(base / "exe"))
    (base / "maps").write_text(maps)
    (base / "cmdline").write_bytes(b"\0".join(a.encode() for a in cmdline) + b"\0")
    (base / "cgroup").write_text(cgroup)


def test_scan_finds_only_qemu_with_a_deleted_executable(tmp_path):
    _proc(tmp_path, 4242, "/usr/bin/qemu-system-x86_64 (deleted)",
          ["/usr/bin/qemu-system-x86_64", "-name", "guest=web1,debug-threads=on"])
    _proc(tmp_path, 4343, "/usr/bin/qemu-system-x86_64", ["/usr/bin/qemu-system-x86_64", "-name", "guest=fresh"])
    _proc(tmp_path, 77, "/usr/sbin/sshd (deleted)", ["sshd"])
    _proc(tmp_path, 88, "/usr/bin/qemu-img (deleted)", ["qemu-img"])
    (tmp_path / "self").mkdir()
    stale = stale_qemu(str(tmp_path))
    assert stale == [{
        "pid": 4242,
        "exe": "/usr/bin/qemu-system-x86_64",
        "name": "web1",
        "cgroup": "/machine.slice/machine-qemu\\x2d1\\x2dweb1.scope",
        "replaced_binary": True,
        "replaced_libraries": [],
    }]


MAPS = """\
55d0c0a00000-55d0c0b00000 r-xp 00000000 08:01 131 /usr/bin/qemu-system-x86_64
7f0000000000-7f0000100000 r-xp 00000000 08:01 200 /usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3 (deleted)
7f0000200000-7f0000300000 r-xp 00000000 08:01 201 /usr/lib/x86_64-linux-gnu/qemu/block-curl.so (deleted)
7f0000300000-7f0000400000 rw-s 00000000 00:05 202 /SYSV00000000 (deleted)
7f0000400000-7f0000500000 rw-s 00000000 00:01 203 /memfd:pc.ram (deleted)
7f0000500000-7f0000600000 r-xp 00000000 08:01 204 /usr/lib/x86_64-linux-gnu/libc.so.6
"""


def test_scan_counts_a_guest_whose_libraries_or_modules_were_replaced(tmp_path):
    _proc(tmp_path, 5000, "/usr/bin/qemu-system-x86_64", ["/usr/bin/qemu-system-x86_64", "-name", "guest=db"], maps=MAPS)
    _proc(tmp_path, 5001, "/usr/bin/qemu-system-x86_64", ["/usr/bin/qemu-system-x86_64", "-name", "guest=ok"],
          maps="7f0000500000-7f0000600000 r-xp 00000000 08:01 204 /usr/lib/x86_64-linux-gnu/libc.so.6\n")
    stale = stale_qemu(str(tmp_path))
    assert [(g["pid"], g["name"], g["replaced_binary"]) for g in stale] == [(5000, "db", False)]
    assert stale[0]["replaced_libraries"] == ["/usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3",
                                              "/usr/lib/x86_64-linux-gnu/qemu/block-curl.so"]


def test_scan_of_a_missing_proc_is_empty(tmp_path):
    assert stale_qemu(str(tmp_path / "nope")) == []
