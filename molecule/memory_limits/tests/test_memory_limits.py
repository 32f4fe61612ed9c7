# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attack the memory_limits role exists for, reproduced.

A workload leaks memory until it is stopped. With the role applied the kernel
OOM-kills it at its limit (a service, a workload slice, a login user's session), sshd
keeps answering on 127.0.0.1 while the leak runs, and the protected services are
still running afterwards. The same leak in a slice the role does not manage runs to
its end (the control case), so the kill is the role's doing. A fork bomb as a login
user stops at TasksMax. Bad input stops the play before any change.

Every leak is bounded (hog.py never allocates more than 400 MiB, the fork bomb never
more than 200 sleeping children), so the machine running the tests is never at risk.
Limits (molecule/memory_limits/vars/limits.yml): leaky.service 96M, workload.slice 160M,
user.slice 200M, each user-UID.slice 128M and TasksMax 50, system.slice 384M.

The login user's leak runs in a real SSH login (ssh to 127.0.0.1 with a key inside the
container), the path an attacker takes: the role installed pam_systemd, so the login's
processes are in user-UID.slice/session-N.scope, and sshd gives the session no
negative OOM score. The test machine's Docker runs cgroup v1: what needs cgroup v2
(MemorySwapMax, MemoryLow, MemoryHigh) or CAP_SYS_RESOURCE (sshd's own -1000) is
proven on the VM (molecule/vm_memory).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMTEST = "/usr/local/libexec/memtest"
LEAK_MIB = 400
USER, UID = "leaker", 1500
MIB = 1024 * 1024
DROPIN = "50-startsecure-memory-limits.conf"
PROTECT = "50-startsecure-memory-protect.conf"
PROTECTED = ("ssh.service", "systemd-journald.service")
# a slice the role does not manage: the control case
CONTROL_SLICE = "memtest-control.slice"


def _json(result):
    assert result.rc == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _main_pids(host):
    return {unit: host.run("systemctl show --property=MainPID --value %s" % unit).stdout.strip()
            for unit in PROTECTED}


def _leak(host, tag, command):
    """Run a bounded leak under leak_probe.py; return its JSON report."""
    progress = "/tmp/memtest/%s.json" % tag
    host.run("mkdir -p -m 1777 /tmp/memtest && rm -f %s" % progress)
    return _json(host.run("python3 %s/leak_probe.py %s -- %s" % (MEMTEST, progress, command)))


def _systemd_run(slice_, tag, user=False):
    who = "--uid=%d " % UID if user else ""
    return ("systemd-run --wait --collect --quiet %s--slice=%s -p RuntimeMaxSec=120 /usr/bin/python3 %s/hog.py %d "
            "/tmp/memtest/%s.json" % (who, slice_, MEMTEST, LEAK_MIB, tag))


def _assert_killed_at(report, limit_mib):
    hog = report["hog"]
    assert hog.get("done") is False, report
    assert report["rc"] != 0, report
    # Killed at its limit: it held most of the limit (python itself needs ~10 MiB of it)
    # and never more than the limit.
    assert limit_mib - 48 <= hog["mib"] <= limit_mib, report


def _assert_sshd_answered(report):
    # the banner was read several times while the leak still ran, and never failed
    assert report["banners_ok"] >= 2, report
    assert report["banners_failed"] == [], report
    assert report["banner"].startswith("SSH-2.0-OpenSSH"), report


# ---- the settings ------------------------------------------------------------------

@pytest.mark.parametrize("unit,prop,expected", [
    ("user.slice", "MemoryMax", str(200 * MIB)),
    ("user.slice", "TasksMax", "400"),
    ("workload.slice", "MemoryMax", str(160 * MIB)),
    ("user-%d.slice" % UID, "MemoryMax", str(128 * MIB)),
    ("user-%d.slice" % UID, "TasksMax", "50"),
    ("leaky.service", "MemoryMax", str(96 * MIB)),
    # sshd sets its own listener's score: an OOMScoreAdjust would be inherited by every login
    ("ssh.service", "OOMScoreAdjust", "0"),
    ("systemd-journald.service", "OOMScoreAdjust", "-500"),
    ("system.slice", "MemoryMax", str(384 * MIB)),
])
def test_systemd_reads_the_limits(host, unit, prop, expected):
    assert host.run("systemctl show --property=%s --value %s" % (prop, unit)).stdout.strip() == expected


def test_check_diff_predicted_per_file_what_the_converge_changed(host):
    """The check run (--check --diff, before anything was hardened) and the converge each
    recorded memory_limits_changed_files (converge.yml): the same drop-ins, in the same
    order, and each of them is on the host now with the content systemd reads."""
    name = host.backend.get_hostname()
    lists = {}
    for run in ("check", "converge"):
        path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "changed-files-%s-%s.json" % (name, run))
        with open(path) as handle:
            lists[run] = json.load(handle)
    assert lists["converge"], "the converge changed no drop-in on a fresh host"
    assert lists["check"] == lists["converge"]
    for path in lists["converge"]:
        assert host.file(path).is_file and host.file(path).mode == 0o644, path
    expected = {"/etc/systemd/system/leaky.service.d/" + DROPIN, "/etc/systemd/system/workload.slice.d/" + DROPIN,
                "/etc/systemd/system/user-.slice.d/" + DROPIN, "/etc/systemd/system/ssh.service.d/" + PROTECT}
    assert expected <= set(lists["converge"])


def test_machine_slice_leaves_the_reserve_free(host):
    total = int(host.run("awk '/^MemTotal:/ {print $2}' /proc/meminfo").stdout) * 1024
    limit = int(host.run("systemctl show --property=MemoryMax --value machine.slice").stdout)
    # 50% of the memory, to the byte, and with the 256M reserve it fits
    assert limit == total // 2
    assert limit + 256 * MIB <= total


def test_v1_host_gets_only_what_v1_can_apply_and_is_told_why(host):
    if host.run("stat -fc %T /sys/fs/cgroup/").stdout.strip() == "cgroup2fs":
        pytest.skip("cgroup v2 host: everything applies")
    text = host.file("/etc/systemd/system/machine.slice.d/" + DROPIN).content_string
    settings = [line for line in text.splitlines() if not line.startswith("#")]
    assert any(line.startswith("MemoryMax=") for line in settings)
    assert not any(line.startswith(("MemoryHigh=", "MemorySwapMax=")) for line in settings)
    assert "# MemoryHigh=" in text and "not applied" in text and "cgroup v2" in text
    ssh = host.file("/etc/systemd/system/ssh.service.d/" + PROTECT).content_string
    assert "OOMScoreAdjust=" not in ssh.replace("No OOMScoreAdjust", "") and "# MemoryLow=256M not applied" in ssh
    journald = host.file("/etc/systemd/system/systemd-journald.service.d/" + PROTECT).content_string
    assert "OOMScoreAdjust=-500" in journald


# Run inside the user's slice: print the memory limit of the user's slice and of
# user.slice from the kernel's own cgroup files (v1 memory.limit_in_bytes, v2 memory.max).
KERNEL_LIMITS = (
    'if [ "$(stat -fc %T /sys/fs/cgroup/)" = cgroup2fs ]; then '
    'p=$(sed -n "s/^0:://p" /proc/self/cgroup); f=memory.max; d=/sys/fs/cgroup$(dirname "$p"); '
    'else p=$(grep :memory: /proc/self/cgroup | cut -d: -f3); f=memory.limit_in_bytes; '
    'd=/sys/fs/cgroup/memory$(dirname "$p"); fi; '
    'echo "$d"; cat "$d/$f" "$(dirname "$d")/$f"'
)


def test_running_slices_have_the_limits_in_the_kernel(host):
    # The limit must be in the cgroup files themselves, not only in systemd's view
    # (systemd 257 on cgroup v1 does not re-apply limits to a running slice at
    # daemon-reload; the role's handler does it with set-property).
    out = host.run("systemd-run --wait --collect --quiet --pipe --uid=%d --slice=user-%d.slice /bin/sh -c %s"
                   % (UID, UID, shlex.quote(KERNEL_LIMITS)))
    assert out.rc == 0, out.stdout + out.stderr
    directory, user_limit, users_limit = out.stdout.split()
    assert directory.endswith("/user.slice/user-%d.slice" % UID)
    assert int(user_limit) == 128 * MIB
    assert int(users_limit) == 200 * MIB


def test_no_runtime_override_shadows_the_dropins(host):
    # set-property --runtime leaves files under /run/systemd/system.control that would
    # outrank the drop-ins in /etc until the next boot; the role's handler removes them.
    listing = host.run("ls -R /run/systemd/system.control 2>/dev/null").stdout
    assert "MemoryMax" not in listing and "TasksMax" not in listing, listing


# ---- the attack ----------------------------------------------------------------------

def test_leaking_service_is_killed_at_its_limit_while_sshd_answers(host):
    before = _main_pids(host)
    report = _leak(host, "leaky", "systemctl --wait start leaky.service")
    assert report["hog"]["cgroups"]["memory"].endswith("/workload.slice/leaky.service")
    _assert_killed_at(report, 96)
    assert host.run("systemctl show --property=Result --value leaky.service").stdout.strip() in ("oom-kill", "signal")
    assert host.run("systemctl show --property=ExecMainStatus --value leaky.service").stdout.strip() == "9"  # SIGKILL
    _assert_sshd_answered(report)
    # the protected services were never touched: same main process, still running
    assert _main_pids(host) == before
    for unit in PROTECTED:
        assert host.service(unit.replace(".service", "")).is_running


def test_leak_in_the_workload_slice_is_killed_at_the_slice_limit(host):
    report = _leak(host, "workload", _systemd_run("workload.slice", "workload"))
    assert "/workload.slice/run-" in report["hog"]["cgroups"]["memory"]
    _assert_killed_at(report, 160)
    _assert_sshd_answered(report)


def test_login_users_leak_is_killed_at_the_per_user_limit(host):
    before = _main_pids(host)
    report = _leak(host, "user", _systemd_run("user-%d.slice" % UID, "user", user=True))
    hog = report["hog"]
    # it really ran as the login user, inside user.slice/user-UID.slice
    assert hog["uid"] == UID
    assert "/user.slice/user-%d.slice/" % UID in hog["cgroups"]["memory"], hog
    _assert_killed_at(report, 128)
    _assert_sshd_answered(report)
    assert _main_pids(host) == before


def test_leak_in_system_slice_is_killed_at_its_ceiling_while_the_protected_services_live(host):
    # a daemon (or a Docker container with the systemd cgroup driver) leaking in
    # system.slice: killed inside system.slice, sshd and journald untouched
    before = _main_pids(host)
    report = _leak(host, "system", _systemd_run("system.slice", "system"))
    hog = report["hog"]
    assert "/system.slice/run-" in hog["cgroups"]["memory"], hog
    assert hog.get("done") is False and report["rc"] != 0, report
    # the slice's other services hold part of the 384M: the leak got most of the rest
    assert 200 <= hog["mib"] <= 384, report
    _assert_sshd_answered(report)
    assert _main_pids(host) == before


SSH_LOGIN = ("ssh -i /root/memtest_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
             "-o LogLevel=ERROR %s@127.0.0.1 " % USER)


def test_ssh_login_lands_in_the_users_slice_without_sshds_oom_shield(host):
    out = host.run(SSH_LOGIN + "'cat /proc/self/oom_score_adj; grep -E \"^(0::|[0-9]+:name=systemd:)\" /proc/self/cgroup'")
    assert out.rc == 0, out.stdout + out.stderr
    score, cgroup = out.stdout.split("\n", 1)
    assert int(score) >= 0, out.stdout
    assert "/user.slice/user-%d.slice/session-" % UID in cgroup, out.stdout


def test_leak_of_a_real_ssh_login_is_killed_at_the_per_user_limit(host):
    # the attacker's path: log in over SSH and leak (not a unit started in the user's slice)
    before = _main_pids(host)
    report = _leak(host, "sshlogin", SSH_LOGIN + "/usr/bin/python3 %s/hog.py %d /tmp/memtest/sshlogin.json"
                   % (MEMTEST, LEAK_MIB))
    hog = report["hog"]
    assert hog["uid"] == UID, report
    assert "/user.slice/user-%d.slice/session-" % UID in hog["cgroups"]["memory"], hog
    assert hog["oom_score_adj"] >= 0, hog
    _assert_killed_at(report, 128)
    _assert_sshd_answered(report)
    assert _main_pids(host) == before


def test_kernel_and_session_files(host):
    sysctl = host.file("/etc/sysctl.d/50-startsecure-memory.conf").content_string
    assert "vm.panic_on_oom = 0" in sysctl and "vm.overcommit_memory = 0" in sysctl
    logind = host.file("/etc/systemd/logind.conf.d/50-startsecure-memory.conf").content_string
    assert "[Login]" in logind and "RuntimeDirectorySize=64M" in logind
    # the role installed pam_systemd and Debian put it in the session stack of sshd and login
    assert host.package("libpam-systemd").is_installed
    assert host.run("grep -E '^session.*pam_systemd[.]so' /etc/pam.d/common-session").rc == 0


def test_control_the_same_leak_runs_to_its_end_without_the_roles_limits(host):
    # The same bounded leak in a slice the role does not manage allocates all 400 MiB:
    # without the role's settings nothing stops it. So the kills above are the role's.
    assert not host.file("/etc/systemd/system/%s.d" % CONTROL_SLICE).exists
    report = _leak(host, "control", _systemd_run(CONTROL_SLICE, "control"))
    assert report["hog"]["done"] is True, report
    assert report["hog"]["mib"] == LEAK_MIB
    assert report["rc"] == 0


def _forker(host, slice_, user):
    who = "--uid=%d " % UID if user else ""
    return _json(host.run("systemd-run --wait --collect --quiet --pipe %s--slice=%s -p RuntimeMaxSec=60 "
                          "/usr/bin/python3 %s/forker.py 200" % (who, slice_, MEMTEST)))


def test_fork_bomb_as_login_user_stops_at_tasks_max(host):
    report = _forker(host, "user-%d.slice" % UID, user=True)
    # TasksMax=50 counts the bomb itself: at most 49 children, then fork() fails
    assert 10 <= report["started"] < 50, report
    assert report["refused"], report
    assert host.service("ssh").is_running


def test_control_the_same_fork_bomb_gets_all_its_children_elsewhere(host):
    report = _forker(host, CONTROL_SLICE, user=False)
    assert report == {"wanted": 200, "started": 200, "refused": None}


# ---- bad input stops the play before any change ------------------------------------------

BAD_INPUTS = [
    ("reserve larger than RAM", {"memory_limits_reserve": "1T"},
     ["memory_limits_reserve", "not smaller than the host's memory"]),
    ("machine.slice plus reserve larger than RAM",
     {"memory_limits_slices": {"machine.slice": {"memory_max": "99%"}}},
     ["memory_limits_slices['machine.slice'].memory_max", "plus the host reserve"]),
    ("unknown unit", {"memory_limits_reserve": "1Q"}, ["memory_limits_reserve", "unknown size unit 'Q'"]),
    ("negative size", {"memory_limits_per_user": {"memory_max": "-128M"}},
     ["memory_limits_per_user.memory_max", "must not be negative"]),
    ("zero size", {"memory_limits_slices": {"workload.slice": {"memory_max": 0}}},
     ["memory_limits_slices['workload.slice'].memory_max", "greater than zero"]),
    ("unknown service", {"memory_limits_services": {"no-such-app": {"memory_max": "64M"}}},
     ["memory_limits_services['no-such-app']", "not known to systemd", "Nothing was changed"]),
    ("system.slice ceiling below the reserve", {"memory_limits_slices": {"system.slice": {"memory_max": "100M"}}},
     ["memory_limits_slices['system.slice'].memory_max", "not larger than the host reserve"]),
    ("panic on OOM", {"memory_limits_sysctl": {"vm.panic_on_oom": 5}},
     ["memory_limits_sysctl['vm.panic_on_oom']", "not one of 0, 1, 2"]),
    ("guests over machine.slice", {"memory_limits_guest_hard_limits": {"web": "30%", "db": "30%"}},
     ["memory_limits_slices['machine.slice'].memory_max", "the guests' hard limits add up to"]),
    ("bad tmpfs size", {"memory_limits_runtime_directory_size": "lots"},
     ["memory_limits_runtime_directory_size", "cannot read"]),
    ("login without pam_systemd", {"memory_limits_session_pam_services": ["memtest-nopam"]},
     ["memory_limits_session_pam_services", "memtest-nopam", "Nothing was changed"]),
    ("not a bool", {"memory_limits_install_pam_systemd": "perhaps"}, ["memory_limits_install_pam_systemd"]),
]


def _inventory():
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    assert inventory, "MOLECULE_INVENTORY_FILE is not set (run through molecule verify)"
    return inventory


def _playbook(playbook, extra=None):
    """ansible-playbook against every host of the scenario at once."""
    cmd = ["ansible-playbook", "-i", _inventory(), os.path.join(SCENARIO_DIR, playbook)]
    if extra is not None:
        cmd += ["-e", json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=SCENARIO_DIR)


def _recap(output, name):
    lines = [line for line in output.splitlines() if line.startswith(name + " ") and "ok=" in line]
    assert lines, output
    return lines[-1]


DROPIN_STATE = ("find /etc/systemd/system -path '*.d/50-startsecure-memory-*' -type f "
                "-exec sha256sum {} + | sort")
_RUNS = {}


def _bad_runs(host):
    """Every bad input against every host, the plays in parallel (they only read)."""
    if "bad" not in _RUNS:
        names = json.loads(subprocess.run(["ansible-inventory", "-i", _inventory(), "--list"], capture_output=True,
                                          text=True, check=True).stdout)["_meta"]["hostvars"].keys()
        state = {name: _docker_sh(name, DROPIN_STATE) for name in names}
        procs = {case: _playbook("bad_input.yml", extra) for case, extra, _words in BAD_INPUTS}
        results = {case: (proc.communicate(timeout=900)[0], proc.returncode) for case, proc in procs.items()}
        _RUNS["bad"] = (state, results, {name: _docker_sh(name, DROPIN_STATE) for name in names})
    return _RUNS["bad"]


def _docker_sh(name, command):
    return subprocess.run(["docker", "exec", name, "sh", "-c", command], capture_output=True, text=True,
                          check=True, timeout=60).stdout


@pytest.mark.parametrize("case,extra,words", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_stops_the_play_before_any_change(host, case, extra, words):
    name = host.backend.get_hostname()
    before, results, after = _bad_runs(host)
    output, returncode = results[case]
    assert returncode != 0, output
    for word in words:
        assert word in output, output
    recap = _recap(output, name)
    assert "changed=0" in recap and "failed=1" in recap, recap
    # no drop-in was written, rewritten or removed by any of the refused runs
    assert before[name].count("\n") > 10
    assert after[name] == before[name]


def test_a_changed_limit_reaches_the_running_slice_at_once(host):
    # rerun.yml changes user.slice to 190M while it runs, asserts the kernel's value,
    # then puts the scenario's limits back (one play for both hosts).
    if "rerun" not in _RUNS:
        proc = _playbook("rerun.yml")
        _RUNS["rerun"] = (proc.communicate(timeout=900)[0], proc.returncode)
    output, returncode = _RUNS["rerun"]
    name = host.backend.get_hostname()
    assert returncode == 0, output
    assert "failed=0" in _recap(output, name)
    assert "The running slice has the new limit in the kernel" in output
    assert "Give the running units their new limits" in output
    assert host.run("systemctl show --property=MemoryMax --value user.slice").stdout.strip() == str(200 * MIB)
    assert "MemoryMax=200M" in host.file("/etc/systemd/system/user.slice.d/" + DROPIN).content_string
