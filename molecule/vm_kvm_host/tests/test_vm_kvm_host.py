# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_host on a real kernel: a Debian 12 VM with AppArmor and cgroup v2, one TCG domain.

What only a real kernel shows, read from the kernel and the running QEMU process:
- libvirt's security driver is AppArmor (the host offers it), and the domain's QEMU runs
  confined by a profile of its own (libvirt-<domain uuid>, enforce mode) as the
  unprivileged QEMU account;
- the domain's memory hard limit (set by the role) is its cgroup v2 memory.max;
- the domain kept running through the whole converge (same QEMU PID as after prepare);
- the collection's KVM controls agree: the confinement control passes here.
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET

import pytest

PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY",
                         os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.join(PROJECT, "build", "collections"))

from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog  # noqa: E402
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as controls  # noqa: E402

DOMAIN = "fwguest"
KIB = 1024


def sudo(host, command):
    with host.sudo():
        result = host.run(command)
    assert result.rc == 0, "%s: rc=%d %s" % (command, result.rc, result.stderr)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def qemu_pid(host):
    return int(sudo(host, "pgrep -u libvirt-qemu -f -- '-name guest=%s,'" % DOMAIN))


def test_libvirt_picked_apparmor(host):
    caps = ET.fromstring(sudo(host, "virsh capabilities"))
    models = [m.text for m in caps.findall("./host/secmodel/model")]
    assert models and models[0] == "apparmor", models
    assert 'security_driver = "apparmor"' in sudo(host, "grep -E '^security_driver' /etc/libvirt/qemu.conf")


def test_domain_kept_running_through_converge(host, qemu_pid):
    assert sudo(host, "virsh domstate %s" % DOMAIN) == "running"
    assert int(sudo(host, "cat /root/fwguest.pid")) == qemu_pid


def test_qemu_runs_unprivileged_under_its_own_apparmor_profile(host, qemu_pid):
    uuid = sudo(host, "virsh domuuid %s" % DOMAIN)
    label = host.file("/proc/%d/attr/current" % qemu_pid).content_string.strip()
    assert label == "libvirt-%s (enforce)" % uuid, label
    status = host.file("/proc/%d/status" % qemu_pid).content_string
    uids = [line.split()[1:] for line in status.splitlines() if line.startswith("Uid:")][0]
    qemu_uid = host.user("libvirt-qemu").uid
    assert uids == [str(qemu_uid)] * 4, uids
    assert qemu_uid != 0
    # The domain's own label, as libvirt reports it, is the same profile.
    seclabel = ET.fromstring(sudo(host, "virsh dumpxml %s" % DOMAIN)).find("./seclabel[@model='apparmor']")
    assert seclabel is not None and seclabel.findtext("label") == "libvirt-%s" % uuid


def test_memory_hard_limit_is_the_domains_cgroup_v2_memory_max(host, qemu_pid):
    memtune = dict((key.strip(), value.strip()) for key, value in
                   (line.split(":", 1) for line in sudo(host, "virsh memtune %s" % DOMAIN).splitlines() if ":" in line))
    hard_kib = int(memtune["hard_limit"])
    # The role's policy: guest memory (64 MiB) plus kvm_host_guest_memory_overhead (256M).
    assert hard_kib == (64 + 256) * KIB, memtune
    cgroup = host.file("/proc/%d/cgroup" % qemu_pid).content_string.strip()
    assert cgroup.startswith("0::/machine.slice/machine-qemu"), cgroup
    # libvirt puts the limit on the domain's group (.../libvirt); QEMU sits in a child
    # group of it (.../libvirt/emulator) without a memory controller of its own.
    path = "/sys/fs/cgroup" + cgroup[3:]
    limits = {}
    while path.startswith("/sys/fs/cgroup/machine.slice/"):
        if host.file(path + "/memory.max").exists:
            limits[path] = host.file(path + "/memory.max").content_string.strip()
        path = os.path.dirname(path)
    assert str(hard_kib * KIB) in limits.values(), limits


def test_kvm_controls_see_the_confinement(host):
    facts = host.ansible("startsecure.hardening.hypervisor_facts", "virt_host_validate=false",
                         check=True, become=True)["hypervisor"]
    findings = {f["id"]: f for f in controls.judge(catalog.CONTROLS, {"hypervisor": facts}, areas=["kvm_host"])}
    assert findings["KVM-014"]["status"] == "pass", findings["KVM-014"]
