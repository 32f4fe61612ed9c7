# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KVM plugins for real: a container of startsecure-test/kvm-debian12 (libvirt 9.0, QEMU 7.2
under TCG) with a tiny running domain, driven through `ansible` with the docker connection.

Run:  .venv/bin/pytest -q tests/live   (about a minute; needs Docker and the image from
`make images`; skipped otherwise). The container is named kvmplugins-live-<pid> and removed
at the end. The memory limit is applied live (docs/testing.md, libvirt in a container): a domain DEFINED with
a hard limit cannot start in a container without the seccomp trick, so config=false here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
IMAGE = "startsecure-test/kvm-debian12:current"
NAME = "kvmplugins-live-%d" % os.getpid()

DOMAIN = """<domain type='qemu'>
  <name>live</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/var/lib/libvirt/boot/startsecure-vmlinuz</kernel>
    <initrd>/var/lib/libvirt/boot/startsecure-initrd.img</initrd></os>
  <devices><serial type='pty'/><graphics type='vnc' listen='0.0.0.0' passwd='n0tsh0wn'/></devices>
</domain>
"""


def _docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check, timeout=300)


def _have_image():
    if not shutil.which("docker"):
        return False
    return _docker("image", "inspect", IMAGE, check=False).returncode == 0


pytestmark = pytest.mark.skipif(not _have_image(), reason="needs Docker and %s (make images)" % IMAGE)


@pytest.fixture(scope="module")
def host():
    _docker("run", "-d", "--name", NAME, "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "--cgroupns=host",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
            IMAGE, "/lib/systemd/systemd")
    try:
        for dummy in range(60):
            state = _docker("exec", NAME, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        proc = subprocess.run(["docker", "exec", "-i", NAME, "sh", "-c", "cat > /tmp/live.xml"], input=DOMAIN,
                              text=True, check=True, timeout=60)
        assert proc.returncode == 0
        started = _docker("exec", NAME, "sh", "-c", "virsh define /tmp/live.xml && virsh start live", check=False)
        assert started.returncode == 0, started.stdout + started.stderr
        yield NAME
    finally:
        _docker("rm", "-f", NAME, check=False)


def ansible(name, module, args="", check=False):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"),
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_NOCOLOR="1")
    argv = [os.path.join(BIN, "ansible"), "all", "-i", name + ",", "-c", "community.docker.docker",
            "-e", "ansible_python_interpreter=/usr/bin/python3", "-m", "startsecure.hardening." + module]
    if args:
        argv += ["-a", args]
    if check:
        argv.append("--check")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    data = json.loads(proc.stdout)
    return data["plays"][0]["tasks"][0]["hosts"][name]


def test_facts_memory_limit_and_controls(host):
    facts = ansible(host, "hypervisor_facts", "virt_host_validate=true")
    assert not facts.get("failed"), facts
    hv = facts["hypervisor"]
    assert hv["installed"] and hv["connected"] and hv["libvirt_version"].startswith("9.")
    assert hv["daemon_mode"] == "monolithic" and hv["secmodels"] == ["none", "dac"]
    assert hv["virt_host_validate"]["rc"] != 0 and hv["virt_host_validate"]["results"]
    [dom] = hv["domains"]
    assert dom["state"] == "running" and dom["graphics"][0]["passwd_set"] is True
    assert "n0tsh0wn" not in json.dumps(facts)

    # a limit below what QEMU already uses (RSS ~185 MB under TCG) is refused, nothing changes
    refused = ansible(host, "libvirt_domain_memory", "hard_limit=150M config=false")
    assert refused.get("failed") and "resident memory" in refused["msg"]

    # check mode reports, changes nothing
    planned = ansible(host, "libvirt_domain_memory", "overhead=256M config=false", check=True)
    assert planned["changed"] and planned["domains"][0]["applied_live"]
    applied = ansible(host, "libvirt_domain_memory", "overhead=256M config=false")
    [d] = applied["domains"]
    assert applied["changed"] and d["hard_limit_kib"] == (128 + 256) * 1024
    # the cgroup of the running QEMU really carries it
    assert d["cgroup_limit_bytes"] == d["hard_limit_kib"] * 1024
    again = ansible(host, "libvirt_domain_memory", "overhead=256M config=false")
    assert again["changed"] is False

    # and the controls see it: KVM-058 passes now, KVM-051 names the console on 0.0.0.0
    after = ansible(host, "hypervisor_facts", "virt_host_validate=false")["hypervisor"]
    sys.path.insert(0, os.path.join(ROOT, "build", "collections"))
    from ansible_collections.startsecure.hardening.plugins.filter.judge_controls import judge_controls
    findings = dict((f["id"], f) for f in judge_controls(after, source="hypervisor"))
    assert findings["KVM-058"]["status"] == "pass"
    assert findings["KVM-051"]["status"] == "fail" and "live: vnc on 0.0.0.0" in findings["KVM-051"]["evidence"]
    assert findings["KVM-014"]["status"] == "fail"


def test_libvirt_config_on_the_shipped_file(host):
    result = ansible(host, "libvirt_config", "path=/etc/libvirt/qemu.conf settings={'seccomp_sandbox':1} backup=true")
    assert result["changed"] and result["config"] == {"seccomp_sandbox": 1}
    lines = _docker("exec", host, "cat", "/etc/libvirt/qemu.conf").stdout.splitlines()
    assert lines[lines.index("#seccomp_sandbox = 1") + 1] == "seccomp_sandbox = 1"
    assert ansible(host, "libvirt_config", "path=/etc/libvirt/qemu.conf settings={'seccomp_sandbox':1}")["changed"] is False
    # libvirtd accepts what was written
    _docker("exec", host, "systemctl", "restart", "libvirtd")
    assert _docker("exec", host, "virsh", "list", "--name").stdout.strip() == "live"
