# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The founding incident on a real kernel: a Debian 13 VM, cgroup v2, 2 GiB, no swap.

Every leak may grow past the VM's memory (hog.py's safety cap, 3000 MiB, is above it):
it stops only when the kernel kills it. With the memory_limits role (its defaults):
- a service leaking in system.slice is killed at system.slice's ceiling;
- a user who logs in over SSH (a real login through sshd and PAM) and leaks is killed at
  the per-user ceiling, in user-UID.slice, with no OOM shield inherited from sshd;
- a process in a guest's scope in machine.slice (where libvirt and nspawn put guests) is
  killed at machine.slice's ceiling;
- sshd answers a probe every second during each leak, every probe counted, and the
  protected services keep their main process;
- a fork bomb of a login user stops at TasksMax; a tmpfs filler in /run/user/UID stops at
  logind's RuntimeDirectorySize;
- the audit reports sshd's live OOM score and passes the budget the role enforced, and
  fails it once the budget is broken by hand.
The control case runs last: the same leak in a slice without the role's limits grows
past every ceiling the role sets until the kernel's global OOM killer acts (read from
the kernel log, with what it killed). The overlay VM is thrown away by destroy.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
MEMTEST = "/usr/local/libexec/memtest"
USER, UID = "leaker", 1500
MIB = 1024 * 1024
SAFETY_CAP_MIB = 3000  # above the VM's 2048 MiB: only a kill stops the leak
STEP_MIB = 16
PROTECTED = ("ssh.service", "systemd-journald.service", "systemd-logind.service")
SSH_LOGIN = ("ssh -i /root/memtest_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
             "-o LogLevel=ERROR %s@127.0.0.1 " % USER)


def sudo(host, command, ok=True):
    with host.sudo():
        result = host.run(command)
    if ok:
        assert result.rc == 0, "%s: rc=%d %s %s" % (command, result.rc, result.stdout, result.stderr)
    return result


def _main_pids(host):
    return dict((u, sudo(host, "systemctl show --property=MainPID --value %s" % u).stdout.strip()) for u in PROTECTED)


def _mib(host, unit):
    # systemd's view, not /sys/fs/cgroup: machine.slice has no cgroup until a guest starts
    value = sudo(host, "systemctl show --property=MemoryMax --value %s" % unit).stdout.strip()
    assert value.isdigit(), "%s has no ceiling: MemoryMax=%s" % (unit, value)
    return int(value) // MIB


def _kernel_marker(host, tag):
    sudo(host, "echo 'memtest: %s' > /dev/kmsg" % tag)


def _kernel_log_since(host, tag):
    return sudo(host, "dmesg | sed -n '/memtest: %s/,$p'" % tag).stdout


def _leak(host, tag, command, timeout=600):
    """A leak under leak_probe.py (sshd probed every second while it runs); its JSON report."""
    progress = "/tmp/memtest/%s.json" % tag
    sudo(host, "mkdir -p -m 1777 /tmp/memtest && rm -f %s" % progress)
    _kernel_marker(host, tag)
    # A probe may take up to 10 s to get the banner: under emulation a VM runs ~20 times
    # slower than hardware, so 10 s here is well under a second on a real host.
    out = sudo(host, "LEAK_PROBE_INTERVAL=1 LEAK_PROBE_CONNECT_TIMEOUT=10 LEAK_PROBE_TIMEOUT=%d python3 %s/leak_probe.py %s -- %s"
               % (timeout, MEMTEST, progress, command))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    report["kernel"] = _kernel_log_since(host, tag)
    return report


def _hog(tag):
    return "/usr/bin/python3 %s/hog.py %d /tmp/memtest/%s.json %d" % (MEMTEST, SAFETY_CAP_MIB, tag, STEP_MIB)


def _unit(slice_, tag):
    return "systemd-run --wait --collect --quiet --unit=memtest-%s --slice=%s %s" % (tag, slice_, _hog(tag))


def _assert_killed_below(report, limit_mib, what):
    hog = report["hog"]
    assert hog.get("done") is False and report["rc"] != 0, report
    assert hog["mib"] <= limit_mib, (what, report)
    # it really filled its ceiling: at least half of it (the slice's other members hold the rest)
    assert hog["mib"] >= limit_mib // 2, (what, report)
    assert "Memory cgroup out of memory" in report["kernel"], report["kernel"][-3000:]


def _assert_sshd_answered_every_probe(report):
    assert report["banners_failed"] == [], report
    # one probe a second for as long as the leak ran (emulation: allow for slow probes)
    assert report["banners_ok"] >= max(3, int(report["seconds"] / 4)), report
    assert report["banner"].startswith("SSH-2.0-OpenSSH"), report


def test_cgroup_v2_and_no_swap(host):
    assert host.file("/sys/fs/cgroup/cgroup.controllers").exists
    assert sudo(host, "swapon --show --noheadings").stdout.strip() == ""


def test_sshd_sets_its_own_score_and_a_login_gets_none(host):
    # OpenSSH sets its listener to -1000 itself; ssh.service has no OOMScoreAdjust, so an
    # SSH login gets 0, not a shield inherited from sshd; journald keeps the role's -500
    listener = _main_pids(host)["ssh.service"]
    assert sudo(host, "cat /proc/%s/oom_score_adj" % listener).stdout.strip() == "-1000"
    assert sudo(host, "systemctl show --property=OOMScoreAdjust --value ssh.service").stdout.strip() == "0"
    login = sudo(host, SSH_LOGIN + "'cat /proc/self/oom_score_adj; cat /proc/self/cgroup'").stdout.split("\n")
    assert login[0] == "0", login
    assert login[1].startswith("0::/user.slice/user-%d.slice/session-" % UID), login
    journald = _main_pids(host)["systemd-journald.service"]
    assert sudo(host, "cat /proc/%s/oom_score_adj" % journald).stdout.strip() == "-500"


def test_service_leaking_in_system_slice_is_killed_at_its_ceiling(host):
    before = _main_pids(host)
    limit = _mib(host, "system.slice")
    report = _leak(host, "system", _unit("system.slice", "system"))
    assert report["hog"]["cgroups"]["memory"] == "/system.slice/memtest-system.service", report["hog"]
    _assert_killed_below(report, limit, "system.slice")
    _assert_sshd_answered_every_probe(report)
    assert _main_pids(host) == before


def test_leak_of_a_real_ssh_login_is_killed_at_the_per_user_ceiling(host):
    before = _main_pids(host)
    limit = int(sudo(host, "systemctl show --property=MemoryMax --value user-%d.slice" % UID).stdout) // MIB
    report = _leak(host, "sshlogin", SSH_LOGIN + _hog("sshlogin"))
    hog = report["hog"]
    assert hog["uid"] == UID and hog["oom_score_adj"] == 0, hog
    assert hog["cgroups"]["memory"].startswith("/user.slice/user-%d.slice/session-" % UID), hog
    _assert_killed_below(report, limit, "user-%d.slice" % UID)
    _assert_sshd_answered_every_probe(report)
    assert _main_pids(host) == before


def test_guest_scope_leaking_in_machine_slice_is_killed_at_its_ceiling(host):
    # A process charged to a scope in machine.slice, the way systemd-machined registers a
    # QEMU guest for libvirt (machine-qemu-N-NAME.scope) and nspawn its containers.
    before = _main_pids(host)
    limit = _mib(host, "machine.slice")
    report = _leak(host, "machine", "systemd-run --scope --quiet --unit=machine-qemu-memtest --slice=machine.slice "
                   + _hog("machine"))
    assert report["hog"]["cgroups"]["memory"] == "/machine.slice/machine-qemu-memtest.scope", report["hog"]
    _assert_killed_below(report, limit, "machine.slice")
    _assert_sshd_answered_every_probe(report)
    assert _main_pids(host) == before


def test_fork_bomb_of_a_login_user_stops_at_tasks_max(host):
    out = sudo(host, SSH_LOGIN + "/usr/bin/python3 %s/forker.py 500" % MEMTEST, ok=False)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["refused"] and report["started"] < 64, report


def test_tmpfs_filler_of_a_login_user_stops_at_its_size(host):
    out = sudo(host, SSH_LOGIN + "'dd if=/dev/zero of=/run/user/%d/fill bs=1M count=1500 2>&1; "
                                 "stat -c %%s /run/user/%d/fill; df -B1 --output=size /run/user/%d | tail -1; "
                                 "rm -f /run/user/%d/fill'" % (UID, UID, UID, UID), ok=False)
    assert "No space left on device" in out.stdout, out.stdout
    lines = out.stdout.strip().splitlines()
    written, size = int(lines[-2]), int(lines[-1])
    total = int(sudo(host, "awk '/^MemTotal:/ {print $2}' /proc/meminfo").stdout) * 1024
    assert written <= size <= total * 0.05 + MIB, (written, size, total)


def _audit(tag):
    out = os.path.join(EPHEMERAL or "/tmp", "vm-memory-audit-" + tag)
    subprocess.run(["rm", "-rf", out], check=True)
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, "startsecure.hardening.audit",
                           "-e", "audit_output_dir=" + out, "-e", "audit_fail_severity=critical",
                           "-e", '{"audit_gather_areas": ["memory_limits"]}'],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    with open(os.path.join(out, "audit.json")) as fh:
        data = json.load(fh)
    return dict((f["id"], f) for f in list(data["hosts"].values())[0]["findings"])


def test_audit_reports_the_live_score_and_the_budget_and_fails_a_broken_one(host):
    if not INVENTORY:
        pytest.skip("run by molecule verify (MOLECULE_INVENTORY_FILE)")
    findings = _audit("enforced")
    assert findings["MEM-003"]["status"] == "pass" and "oom_score_adj -1000 in effect" in findings["MEM-003"]["evidence"]
    for control in ("MEM-002", "MEM-004", "MEM-006", "MEM-007", "MEM-008", "MEM-009", "MEM-011"):
        assert findings[control]["status"] == "pass", findings[control]
    # the audit connects over SSH as the admin: its own login is a session it judged
    assert "user.slice" in findings["MEM-008"]["evidence"]
    # break the budget by hand: user.slice may take 95% of the memory
    before = sudo(host, "systemctl show --property=MemoryMax --value user.slice").stdout.strip()
    sudo(host, "systemctl set-property --runtime user.slice MemoryMax=95%")
    try:
        broken = _audit("broken")
    finally:
        sudo(host, "systemctl set-property --runtime user.slice MemoryMax=%s" % before)
        sudo(host, "rm -f /run/systemd/system.control/user.slice.d/50-MemoryMax.conf && systemctl daemon-reload")
    assert broken["MEM-006"]["status"] == "fail", broken["MEM-006"]
    assert "user.slice" in broken["MEM-006"]["evidence"]


def test_control_without_the_roles_limits_ends_in_the_global_oom_killer(host):
    # last: it may take the VM's memory. The same leak in a slice the role does not manage.
    system_limit = _mib(host, "system.slice")
    report = _leak(host, "control", _unit("memtest-control.slice", "control"))
    hog = report["hog"]
    assert hog.get("done") is False, report
    # it grew past every ceiling the role would have stopped it at
    assert hog["mib"] > system_limit, (system_limit, report)
    kernel = report["kernel"]
    killed = [line for line in kernel.splitlines() if "Out of memory: Killed process" in line]
    assert killed, kernel[-3000:]
    assert "constraint=CONSTRAINT_NONE" in kernel, kernel[-3000:]   # global, not a cgroup's limit
    print("control: the leak reached %d MiB; the global OOM killer: %s" % (hog["mib"], killed))
    assert "(python3)" in killed[0] and str(hog["pid"]) in killed[0], killed
    # the VM is still up and sshd still answers
    time.sleep(2)
    assert host.run("true").rc == 0
