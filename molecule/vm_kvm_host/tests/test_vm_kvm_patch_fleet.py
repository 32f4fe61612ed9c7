# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The patch fleet play on a real KVM host: its guests go down cleanly or the host does not reboot.

Runs after test_vm_kvm_host.py (pytest takes the files in name order), because it reboots
the VM. The host has two guests (prepare.yml): acpiguest powers off on the ACPI power
button and logs it on its serial port; fwguest has no ACPI and can never shut down. A
pending reboot is what a kernel update leaves behind: /run/reboot-required.

1. With both guests running, the play (reboot allowed for this run) asks both to shut down
   through ACPI, stops BEFORE rebooting, names fwguest, leaves it running (never destroyed)
   and starts acpiguest again.
2. With fwguest out of the way (the operator shut it down), the same play shuts acpiguest
   down through ACPI (the guest logs the power button), reboots the VM, and acpiguest runs
   again afterwards (libvirt autostarts it; the play waits for it).
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
SERIAL_LOG = "/var/log/libvirt/qemu/acpiguest-serial.log"
READY = "startsecure-acpi-guest: ready"
BUTTON = "startsecure-acpi-guest: power button"
FLEET_ARGS = [
    "-e", "patching_reboot_allowed=true", "-e", "patching_reboot_kvm_host_allowed=true",
    "-e", "patching_guest_shutdown_timeout=45", "-e", "patching_guest_start_timeout=180",
    # Only the on-demand part (patch, report, reboot): the configuration areas are proven
    # in the patching container scenario, and each task costs seconds under emulation.
    "--tags", "patching_apply",
]


def sudo(host, command):
    with host.sudo():
        result = host.run(command)
    assert result.rc == 0, "%s: rc=%d %s" % (command, result.rc, result.stderr)
    return result.stdout.strip()


def boot_id(host):
    return host.file("/proc/sys/kernel/random/boot_id").content_string.strip()


def serial(host, ready=0):
    """The guest's serial log; with ready=N, wait (up to 120 s) until it booted N times:
    a guest the play just started prints its line a moment after virsh returns."""
    deadline = time.time() + 120
    while True:
        text = sudo(host, "cat %s" % SERIAL_LOG)
        if text.count(READY) >= ready or time.time() > deadline:
            return text
        time.sleep(3)


def patch_fleet():
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, "startsecure.hardening.patch_fleet"] + FLEET_ARGS,
                          capture_output=True, text=True, timeout=3000, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module", autouse=True)
def inventory():
    if not INVENTORY:
        pytest.skip("run by molecule verify (MOLECULE_INVENTORY_FILE)")


def test_fleet_play_refuses_to_reboot_while_a_guest_does_not_shut_down(host):
    sudo(host, "touch /run/reboot-required")
    before = boot_id(host)
    fw_pid = sudo(host, "cat /root/fwguest.pid")
    assert sudo(host, "virsh domstate acpiguest") == "running"
    assert serial(host).count(BUTTON) == 0

    rc, output = patch_fleet()

    assert rc != 0, output[-3000:]
    assert "not rebooting" in output and "fwguest" in output and "did not shut down" in output, output[-3000:]
    assert boot_id(host) == before, "the host rebooted although a guest refused to shut down"
    # The refusing guest was left alone: not destroyed, the same QEMU process.
    assert sudo(host, "virsh domstate fwguest") == "running"
    assert sudo(host, "pgrep -u libvirt-qemu -f -- '-name guest=fwguest,'") == fw_pid
    # The guest that did go down saw the power button and was started again.
    log = serial(host, ready=2)
    assert log.count(BUTTON) == 1, log
    assert log.count(READY) == 2, log
    assert sudo(host, "virsh domstate acpiguest") == "running"


def test_fleet_play_shuts_guests_down_through_acpi_reboots_and_they_run_again(host):
    sudo(host, "virsh destroy fwguest")
    before = boot_id(host)

    rc, output = patch_fleet()

    assert rc == 0, output[-4000:]
    assert boot_id(host) != before, "the host did not reboot"
    assert not host.file("/run/reboot-required").exists
    log = serial(host, ready=3)
    assert log.count(BUTTON) == 2, log
    # Booted three times: by prepare, after the refusal, and by libvirt's autostart after
    # the host's reboot.
    assert log.count(READY) == 3, log
    assert sudo(host, "virsh domstate acpiguest") == "running"
    assert sudo(host, "virsh domstate fwguest") == "shut off"
