# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The 512-byte ACPI test guest (tools/acpi_guest.py): a valid boot sector, and with QEMU at
hand, a guest that really powers off on the power button and only then."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import acpi_guest  # noqa: E402  pylint: disable=wrong-import-position


def test_boot_sector_is_512_bytes_with_the_signature():
    sector = acpi_guest.boot_sector()
    assert len(sector) == 512
    assert sector[510:] == b"\x55\xaa"
    assert sector[0] == 0xFA  # cli: execution starts with code, not data


def test_messages_are_in_the_sector_and_addressed_from_0x7c00():
    sector = acpi_guest.boot_sector()
    for message in (acpi_guest.READY, acpi_guest.BUTTON):
        offset = sector.index(message + b"\0")
        # mov si, imm16 (0xBE) loads the message's load address.
        assert b"\xbe" + (0x7C00 + offset).to_bytes(2, "little") in sector


def test_assembler_refuses_a_short_jump_out_of_range():
    asm = acpi_guest.Assembler()
    asm.here("far")
    asm.emit(bytes(200))
    asm.jump(0xEB, "far")
    with pytest.raises(ValueError, match="out of range"):
        asm.resolve()


def test_main_writes_a_whole_megabyte_disk(tmp_path):
    out = tmp_path / "guest.img"
    assert acpi_guest.main(["acpi_guest.py", str(out)]) == 0
    data = out.read_bytes()
    assert len(data) == acpi_guest.DISK_BYTES
    assert data[:512] == acpi_guest.boot_sector()
    assert acpi_guest.main(["acpi_guest.py"]) == 2


def _qmp(path, command):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    stream = sock.makefile("rw")
    stream.readline()
    for message in ({"execute": "qmp_capabilities"}, {"execute": command}):
        stream.write(json.dumps(message) + "\n")
        stream.flush()
        stream.readline()
    sock.close()


def _wait_for(path, text, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path, encoding="latin-1").read():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="QEMU not installed (make vm-tools)")
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_guest_powers_off_on_the_acpi_power_button_and_not_before(tmp_path, machine):
    disk, log, qmp = tmp_path / "g.img", tmp_path / "serial.log", str(tmp_path / "qmp.sock")
    acpi_guest.main(["acpi_guest.py", str(disk)])
    proc = subprocess.Popen(["qemu-system-x86_64", "-machine", machine, "-accel", "tcg", "-m", "16",
                             "-display", "none", "-nodefaults", "-no-reboot",
                             "-drive", "file=%s,format=raw,if=virtio" % disk, "-serial", "file:%s" % log,
                             "-qmp", "unix:%s,server=on,wait=off" % qmp])
    try:
        assert _wait_for(str(log), acpi_guest.READY.decode().strip(), 60), "the guest did not boot"
        time.sleep(1)
        assert proc.poll() is None, "the guest powered off before the button"
        assert acpi_guest.BUTTON.decode().strip() not in log.read_text(encoding="latin-1")
        _qmp(qmp, "system_powerdown")
        assert proc.wait(timeout=30) == 0
        assert acpi_guest.BUTTON.decode().strip() in log.read_text(encoding="latin-1")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
