# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_host on a Debian 12 libvirt host with two running TCG guests.

What is proven here, on the host itself:
- the collection's own auditor (hypervisor_facts + the KVM controls catalog) sees the
  insecure state before hardening (prepare saved the facts) and, after it, every
  control passes unless this host cannot pass it - those are listed below with the
  reason they must show, so nothing is hidden;
- each running guest's QEMU carries its memory hard limit in its own memory cgroup
  (read from cgroup v1 files, not only from virsh), and a guest whose limit is too small
  is killed by its cgroup ("shut off (crashed)") while the host and other guests live;
- the configuration check used before libvirtd restarts is real: it rejects a qemu.conf
  that libvirtd could not start with;
- hardening restarted libvirtd but no guest (same QEMU PIDs as after prepare); the
  console that needs a guest restart is reported, not fixed behind the operator's back.

Memory limits: this container runs with a seccomp profile (docs/testing.md, libvirt in a container)
(molecule.yml) that lets libvirt "raise" QEMU's memlock rlimit, so limits are stored in
the domain definitions as on a real host and a domain DEFINED with a too-small limit
can be started to show the cgroup killing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY",
                         os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.join(PROJECT, "build", "collections"))

from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog  # noqa: E402
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as controls  # noqa: E402

GUESTS = ("guest-quiet", "guest-open")
MIB = 1024 * 1024
GUEST_MIB, OVERHEAD_MIB = 128, 256
DRY_START = "/usr/local/sbin/startsecure-libvirt-dry-start"

# Controls this host cannot pass, and the words their evidence must carry to say why.
CANNOT_PASS = {
    # No AppArmor or SELinux in this kernel: libvirt offers only none and dac.
    "KVM-014": "none, dac",
    # No hardware virtualization inside the container: guests run under TCG.
    "KVM-049": "TCG",
    # The machine's CPU and microcode, outside anything a role can change.
    "KVM-040": "Vulnerable",
    # /proc/sys is read-only in a container: the values are only written to sysctl.d.
    "KVM-045": "want >=",
    # machine.slice's cap belongs to the memory_limits role, not applied in this scenario.
    "KVM-047": "machine.slice",
    # Fine-grained polkit ACLs need a polkit rule per libvirt API: not a safe default.
    "KVM-011": "access control",
    # libvirt may change the lock manager only while no guest runs; two guests run here.
    "KVM-035": "lock_manager",
}
# Guest settings that need a guest restart, which converge did not allow.
NEEDS_GUEST_RESTART = {"KVM-023": "guest-open", "KVM-051": "guest-open", "KVM-052": "console without password"}


def _facts(host):
    result = host.ansible("startsecure.hardening.hypervisor_facts", "virt_host_validate=false", check=True)
    return result["hypervisor"]


def _judge(facts):
    return {f["id"]: f for f in controls.judge(catalog.CONTROLS, {"hypervisor": facts}, areas=["kvm_host"])}


@pytest.fixture(scope="module")
def after(host):
    return _judge(_facts(host))


@pytest.fixture(scope="module")
def before(host):
    return _judge(json.loads(host.file("/root/controls-before.json").content_string))


def _qemu_pid(host, name):
    out = host.run("pgrep -u libvirt-qemu -f -- '-name guest=%s,'" % name)
    assert out.rc == 0, "no QEMU process for %s" % name
    return int(out.stdout.split()[0])


def _memory_cgroup(host, pid):
    for line in host.file("/proc/%d/cgroup" % pid).content_string.splitlines():
        controllers, path = line.split(":", 2)[1:]
        if "memory" in controllers.split(","):
            return "/sys/fs/cgroup/memory" + path
    raise AssertionError("QEMU %d has no memory cgroup" % pid)


# ---- the auditor's view ------------------------------------------------------------

def test_before_hardening_the_audit_shows_the_insecure_guest(before):
    assert before["KVM-051"]["status"] == "fail" and "guest-open" in before["KVM-051"]["evidence"]
    assert before["KVM-058"]["status"] == "fail"
    assert all(g in before["KVM-058"]["evidence"] for g in GUESTS)
    # and the host-level gaps the role closes
    for cid in ("KVM-007", "KVM-008", "KVM-012", "KVM-026", "KVM-029", "KVM-036"):
        assert before[cid]["status"] == "fail", before[cid]


def test_after_hardening_every_control_that_can_pass_passes(after):
    unexpected = {cid: (f["status"], f["evidence"]) for cid, f in after.items()
                  if f["status"] not in ("pass", "not_applicable")
                  and cid not in CANNOT_PASS and cid not in NEEDS_GUEST_RESTART}
    assert not unexpected, unexpected
    assert all(f["status"] != "error" for f in after.values())
    passed = sorted(cid for cid, f in after.items() if f["status"] == "pass")
    assert len(passed) >= 40, passed


@pytest.mark.parametrize("cid", sorted(CANNOT_PASS))
def test_controls_this_host_cannot_pass_are_reported_with_the_reason(after, cid):
    finding = after[cid]
    if finding["status"] == "pass":  # e.g. a CPU without known vulnerabilities
        return
    assert finding["status"] in ("fail", "not_applicable"), finding
    assert CANNOT_PASS[cid] in finding["evidence"], finding


@pytest.mark.parametrize("cid", sorted(NEEDS_GUEST_RESTART))
def test_guest_settings_needing_a_restart_are_reported_as_such(after, cid):
    finding = after[cid]
    if finding["status"] == "pass":
        return
    assert NEEDS_GUEST_RESTART[cid] in finding["evidence"], finding
    assert finding["needs_restart"] or cid == "KVM-023", finding


def test_the_memory_control_passes_for_every_guest(after):
    assert after["KVM-058"]["status"] == "pass", after["KVM-058"]
    assert all(g in after["KVM-058"]["evidence"] for g in GUESTS)


# ---- memory limits in the cgroup ---------------------------------------------------

@pytest.mark.parametrize("name", GUESTS)
def test_each_running_guest_has_its_hard_limit_in_its_memory_cgroup(host, name):
    pid = _qemu_pid(host, name)
    cgroup = _memory_cgroup(host, pid)
    # libvirt puts the emulator in <scope>/libvirt and writes the limit there
    assert "machine.slice/machine-qemu" in cgroup, cgroup
    limit = int(host.file(cgroup + "/memory.limit_in_bytes").content_string)
    assert limit == (GUEST_MIB + OVERHEAD_MIB) * MIB, (cgroup, limit)
    usage = int(host.file(cgroup + "/memory.usage_in_bytes").content_string)
    assert 0 < usage < limit
    # and stored in the definition, so it survives the guest's next start
    inactive = host.run("virsh dumpxml --inactive %s" % name).stdout
    assert "<hard_limit unit='KiB'>%d</hard_limit>" % ((GUEST_MIB + OVERHEAD_MIB) * 1024) in inactive


def test_the_module_refuses_a_limit_below_what_a_guest_uses(host):
    refused = host.ansible("startsecure.hardening.libvirt_domain_memory", "names=guest-quiet hard_limit=64M", check=True)
    # (testinfra drops the "failed" key; the refusal is in the message, nothing changed)
    assert refused["msg"].startswith("refusing hard_limit"), refused
    assert "guest-quiet" in refused["msg"] and refused["changed"] is False, refused


def test_a_guest_over_its_limit_is_killed_by_its_cgroup_not_the_host(host):
    name = "guest-small"
    xml = host.file("/root/guest-quiet.xml").content_string
    xml = xml.replace("<name>guest-quiet</name>", "<name>%s</name>" % name).replace(
        "<vcpu>", "<memtune><hard_limit unit='MiB'>150</hard_limit></memtune>\n  <vcpu>", 1)
    host.run("cat > /root/%s.xml <<'EOF'\n%s\nEOF" % (name, xml))
    others = {g: _qemu_pid(host, g) for g in GUESTS}
    try:
        assert host.run("virsh define /root/%s.xml" % name).rc == 0
        started = host.run("virsh start %s" % name)
        assert started.rc == 0, started.stderr
        state = ""
        for _attempt in range(60):
            state = host.run("virsh domstate --reason %s" % name).stdout.strip()
            if state.startswith("shut off"):
                break
            time.sleep(1)
        assert state == "shut off (crashed)", state
        # The other guests and the host are untouched.
        assert {g: _qemu_pid(host, g) for g in GUESTS} == others
        assert host.run("systemctl is-active libvirtd.service").stdout.strip() == "active"
    finally:
        host.run("virsh destroy %s; virsh undefine %s; rm -f /root/%s.xml" % (name, name, name))


# ---- daemon, sockets, access -------------------------------------------------------

def test_hardening_restarted_libvirtd_but_no_guest(host):
    pids = json.loads(host.file("/root/guest-pids.json").content_string)
    for name in GUESTS:
        assert _qemu_pid(host, name) == pids[name], name
        assert host.run("virsh domstate %s" % name).stdout.strip() == "running"


def test_qemu_runs_unprivileged_and_sandboxed(host):
    pid = _qemu_pid(host, "guest-quiet")
    assert host.run("ps -o user= -p %d" % pid).stdout.strip() == "libvirt-qemu"
    cmdline = host.file("/proc/%d/cmdline" % pid).content_string
    assert "-sandbox\0on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny" in cmdline
    status = host.file("/proc/%d/status" % pid).content_string
    assert "CapEff:\t0000000000000000" in status


def test_no_plain_tcp_or_tls_listener(host):
    listening = host.run("ss -Hltn").stdout
    assert ":16509 " not in listening and ":16514 " not in listening
    for unit in ("libvirtd-tcp.socket", "libvirtd-tls.socket", "ksm.service", "ksmtuned.service"):
        assert host.run("systemctl is-enabled %s" % unit).stdout.strip() == "masked", unit


def test_sockets_belong_to_the_admin_group_and_it_holds_exactly_the_admins(host):
    for sock, mode in (("libvirt-sock", 0o660), ("libvirt-sock-ro", 0o660), ("libvirt-admin-sock", 0o600)):
        f = host.file("/run/libvirt/" + sock)
        assert f.mode == mode, sock
    assert host.file("/run/libvirt/libvirt-sock").group == "libvirt"
    members = host.run("getent group libvirt").stdout.strip().split(":")[3].split(",")
    assert members == ["virtadmin"]
    # the admin can use libvirt; the removed account cannot even open the socket
    assert host.run("runuser -u virtadmin -- virsh -c qemu:///system list --name").rc == 0
    denied = host.run("runuser -u stray -- virsh -c qemu:///system list --name")
    assert denied.rc != 0 and "Permission denied" in denied.stderr


def test_the_configuration_check_rejects_what_libvirtd_could_not_start_with(host):
    assert host.run("%s libvirtd qemu /etc/libvirt/qemu.conf" % DRY_START).rc == 0
    assert host.run("%s libvirtd daemon /etc/libvirt/libvirtd.conf" % DRY_START).rc == 0
    host.run("cp /etc/libvirt/qemu.conf /root/bad-qemu.conf && echo 'security_driver = \"apparmor\"' >> /root/bad-qemu.conf")
    bad = host.run("%s libvirtd qemu /root/bad-qemu.conf" % DRY_START)
    assert bad.rc == 1 and "apparmor" in bad.stderr, bad.stderr
    host.run("printf 'audit_level = \"2\"\\n' > /root/bad-libvirtd.conf")
    assert host.run("%s libvirtd daemon /root/bad-libvirtd.conf" % DRY_START).rc == 1
    # the live daemon and guests did not notice
    assert host.run("virsh domstate guest-quiet").stdout.strip() == "running"


def test_the_configuration_check_runs_no_hook_and_chowns_no_live_file(host):
    """A daemon hook that leaves a mark, and a candidate qemu.conf whose QEMU account differs:
    the private daemon would run the hook and chown libvirt's state directories to that
    account at start-up, were they not hidden from it."""
    state = "/var/lib/libvirt/qemu"
    owner = (host.file(state).user, host.file(state).group)
    host.run("mkdir -p /etc/libvirt/hooks && printf '#!/bin/sh\\ntouch /root/hook-ran\\n' > /etc/libvirt/hooks/daemon"
             " && chmod 0755 /etc/libvirt/hooks/daemon && rm -f /root/hook-ran")
    host.run("cp /etc/libvirt/qemu.conf /root/other-user-qemu.conf && "
             "printf 'user = \"nobody\"\\ngroup = \"nogroup\"\\n' >> /root/other-user-qemu.conf")
    try:
        checked = host.run("%s libvirtd qemu /root/other-user-qemu.conf" % DRY_START)
        assert checked.rc in (0, 1), checked.stderr
        assert not host.file("/root/hook-ran").exists
        assert (host.file(state).user, host.file(state).group) == owner
    finally:
        host.run("rm -f /etc/libvirt/hooks/daemon /root/hook-ran /root/other-user-qemu.conf")


def test_the_configuration_check_fails_closed_without_the_daemon_of_the_mode(host):
    """Debian ships no modular daemons: asking virtqemud to check a file must refuse, not pass."""
    missing = host.run("%s virtqemud daemon /etc/libvirt/libvirtd.conf" % DRY_START)
    assert missing.rc == 3, (missing.rc, missing.stderr)
    assert "virtqemud is not installed" in missing.stderr and "refusing" in missing.stderr


def test_the_monolithic_daemon_files_were_edited_and_no_modular_one(host):
    libvirtd = host.file("/etc/libvirt/libvirtd.conf").content_string
    assert 'unix_sock_group = "libvirt"' in libvirtd and "audit_level = 2" in libvirtd
    for unit in ("virtqemud.socket", "virtproxyd.socket", "virtqemud-ro.socket"):
        assert not host.file("/etc/systemd/system/%s.d" % unit).exists, unit
    assert "SocketGroup=libvirt" in host.file("/etc/systemd/system/libvirtd.socket.d/50-startsecure.conf").content_string
    assert not host.file("/etc/libvirt/virtqemud.conf").exists or \
        "unix_sock_group" not in host.file("/etc/libvirt/virtqemud.conf").content_string


def _converge(extra, tags="kvm_host"):
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    run = subprocess.run(
        [playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), "--tags", tags, "-e", extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=480, check=False)
    return run.returncode, " ".join(run.stdout.split())


def _unchanged_snapshot(host):
    return (host.file("/etc/libvirt/libvirtd.conf").sha256sum, host.file("/etc/libvirt/qemu.conf").sha256sum,
            host.run("getent group libvirt").stdout, {g: _qemu_pid(host, g) for g in GUESTS})


def test_preflight_refuses_a_daemon_mode_the_host_does_not_run(host):
    before = _unchanged_snapshot(host)
    rc, out = _converge('{"kvm_host_daemon_mode": "modular"}')
    assert rc != 0
    assert "kvm_host_daemon_mode=modular but this host runs the monolithic daemons" in out, out[-2000:]
    assert _unchanged_snapshot(host) == before


def test_preflight_refuses_to_empty_the_admin_group(host):
    before = _unchanged_snapshot(host)
    rc, out = _converge('{"kvm_host_admins": []}')
    assert rc != 0
    assert "kvm_host_admins is empty but group libvirt has members (virtadmin)" in out, out[-2000:]
    assert _unchanged_snapshot(host) == before
    assert host.run("runuser -u virtadmin -- virsh -c qemu:///system list --name").rc == 0


# ---- host settings -----------------------------------------------------------------

def test_host_files(host):
    assert "options kvm_intel nested=0" in host.file("/etc/modprobe.d/startsecure-kvm-nested.conf").content_string
    assert 'KERNEL=="kvm", OWNER="root", GROUP="kvm", MODE="0660"' in \
        host.file("/etc/udev/rules.d/65-startsecure-kvm.rules").content_string
    sysctl = host.file("/etc/sysctl.d/60-startsecure-kvm.conf").content_string
    assert "vm.unprivileged_userfaultfd = 0" in sysctl and "kernel.kptr_restrict = 1" in sysctl
    for path, mode in (("/etc/libvirt/qemu", 0o700), ("/var/log/libvirt", 0o700), ("/var/lib/libvirt/images", 0o711)):
        assert host.file(path).mode == mode, path


def test_the_open_console_is_left_for_a_restart_not_changed_behind_the_operator(host):
    live = host.run("virsh dumpxml guest-open").stdout
    assert "listen='0.0.0.0'" in live


def test_with_restart_allowed_the_open_console_is_fixed_by_a_guest_restart(host):
    """The role again, guests area only, now allowed to restart: guest-open is redefined
    (its explicit 0.0.0.0 removed, so it follows qemu.conf's loopback) and restarted,
    and it comes back with its memory limit from its definition."""
    old_pid = _qemu_pid(host, "guest-open")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    run = subprocess.run(
        [playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
         "--tags", "kvm_host_guests", "-e", "kvm_host_guest_restart_allowed=true"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=480, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    new_pid = _qemu_pid(host, "guest-open")
    assert new_pid != old_pid
    # no address of its own any more: qemu.conf's vnc_auto_unix_socket serves it on a UNIX
    # socket in the guest's private directory, no TCP port at all (KVM-052)
    live = host.run("virsh dumpxml guest-open").stdout
    assert "<listen type='socket'" in live and "listen='" not in live, live
    assert "0.0.0.0" not in host.run("virsh dumpxml --inactive guest-open").stdout
    limit = int(host.file(_memory_cgroup(host, new_pid) + "/memory.limit_in_bytes").content_string)
    assert limit == (GUEST_MIB + OVERHEAD_MIB) * MIB
    findings = _judge(_facts(host))
    assert findings["KVM-051"]["status"] == "pass", findings["KVM-051"]
    assert "guest-open:" not in findings["KVM-052"]["evidence"], findings["KVM-052"]
    # the other guest was not touched
    assert _qemu_pid(host, "guest-quiet") == json.loads(host.file("/root/guest-pids.json").content_string)["guest-quiet"]


def test_patching_will_not_reboot_a_host_whose_guests_ignore_acpi(host):
    """The patching role's step before a KVM host reboot: no migration peer, so ACPI
    shutdown; these guests' init ignores the power button, so the play stops before the
    reboot and names them, and nothing is destroyed: both keep running, same processes."""
    names = ("guest-open", "guest-quiet")
    pids = dict((name, _qemu_pid(host, name)) for name in names)
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    run = subprocess.run(
        [playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "guests_before_reboot.yml"),
         "-e", "patching_guest_shutdown_timeout=10"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=480, check=False)
    assert run.returncode != 0, run.stdout[-3000:]
    # The YAML callback folds a long message over several lines: read it as one text.
    output = " ".join(run.stdout.split())
    assert "not rebooting kvm_host-debian12" in output, run.stdout[-3000:]
    refusal = output[output.rindex("not rebooting kvm_host-debian12"):][:400]
    assert all(name in refusal for name in names), refusal
    assert "did not shut down through ACPI within 10 s" in refusal, refusal
    for name in names:
        assert host.run("virsh domstate %s" % name).stdout.strip() == "running"
        assert _qemu_pid(host, name) == pids[name]
