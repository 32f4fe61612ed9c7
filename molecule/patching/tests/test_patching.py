# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the patching role on hosts whose updates the test controls.

prepare.yml built local repositories: startsecure-hello 2.0 in "<codename>-security"
(Origin Debian, Label Debian-Security: matches the role's DEFAULT security patterns) and
startsecure-other 2.0 in "<codename>" (Origin Debian, Label Debian: the main archive, which
Debian's stock unattended-upgrades configuration allows and the role must not). Both are
installed at 1.0; startsecure-hello.service runs the 1.0 binary, startsecure-fakeguest.service
runs a 1.0 binary named qemu-system-x86_64 (a stand-in for a guest's QEMU; no real QEMU here).
patching-debian12 is a guest, patching-debian13 a KVM host (molecule.yml host_vars).

The steps build on each other, so the `story` fixture runs them once, in order, on both
instances at the same time, and records what it saw; the tests then judge the records:
  1. check mode of the fleet playbook (scope all)  -> reports, changes nothing
  2. `unattended-upgrade -v` as the role configured it -> security update only
  3. needrestart -b and needrestart_facts           -> the daemon and the "guest" on replaced code
  4. back to 1.0, /run/reboot-required, fleet playbook on demand with -e patching_reboot_allowed=false
     (a STRING on the command line) -> upgraded, reported, no reboot permitted or planned
  5. the fleet playbook playing an unsupported OS family -> stops with a clear message
  6. the whole fleet playbook (every area, not only patching_apply) on demand with the on-demand
     reboot allowed -> the unattended configuration is byte for byte what converge wrote
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

HELLO = "startsecure-hello"
OTHER = "startsecure-other"
HOSTS = ("patching-debian12", "patching-debian13")
ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FLEET = os.path.join(ROOT, "playbooks", "patch_fleet.yml")
OUR_FILES = ("/etc/apt/apt.conf.d/52startsecure-* /etc/needrestart/conf.d/50-startsecure.conf"
             " /etc/systemd/system/apt-daily*.timer.d/50-startsecure.conf")
UNATTENDED = "/etc/apt/apt.conf.d/52startsecure-unattended-upgrades"
VERSIONS = "dpkg-query -W -f '${Package}=${Version}\\n' startsecure-hello startsecure-other"
# the same far-away timer schedule as converge.yml, so the playbook runs change nothing else
TIMERS = json.dumps({"patching_timer_update_calendar": "*-12-31 22:00",
                     "patching_timer_upgrade_calendar": "*-12-31 23:00"})


# both instances in the guests play, in one batch (the last -e wins)
ONE_BATCH = ("-e", "patch_fleet_guests=all", "-e", "patch_fleet_kvm_hosts=none", "-e", "patch_fleet_guest_serial=100%")


def inventory():
    """Molecule's inventory directory (hosts file plus the host_vars of molecule.yml)."""
    if os.environ.get("MOLECULE_INVENTORY_FILE"):
        return os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")


def _env():
    return dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                ANSIBLE_FORCE_COLOR="0", ANSIBLE_PIPELINING="1")


def _json(proc):
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("no JSON from ansible (rc %d): %s %s" % (proc.returncode, proc.stdout[-2000:],
                                                                      proc.stderr[-2000:]))


def adhoc(module, args=""):
    """Run one module on both instances at once; {host: result}."""
    proc = subprocess.run(["ansible", "-i", inventory(), "all", "-m", module, "-a", args],
                          env=_env(), capture_output=True, text=True, timeout=600, check=False)
    return _json(proc)["plays"][0]["tasks"][0]["hosts"]


def shell(cmd):
    results = adhoc("ansible.builtin.shell", cmd)
    for host, result in results.items():
        assert result.get("rc") == 0, "%s: %s failed: %s" % (host, cmd, result)
    return {host: result["stdout"] for host, result in results.items()}


def fleet(*args, tags=("--tags", "patching_apply")):
    """The fleet playbook: guest play then KVM host play; only the patching tasks unless tags=()."""
    cmd = (["ansible-playbook", "-i", inventory(), FLEET] + list(tags)
           + ["-e", "patch_fleet_guests=patching-debian12", "-e", "patch_fleet_kvm_hosts=patching-debian13",
              "-e", TIMERS] + list(args))
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=900, check=False)
    return proc.returncode, _json(proc)


def task_results(data, name):
    """{host: result} of the tasks with this name (role tasks carry a "role : " prefix)."""
    found = {}
    for play in data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].split(" : ")[-1] == name:
                found.update(task["hosts"])
    return found


def report_of(data, host):
    result = task_results(data, "Reboot | record it in the report").get(host) \
        or task_results(data, "Report | the patching_report fact")[host]
    return result["ansible_facts"]["patching_report"]


def versions(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def sections(text):
    """Split the output of several commands run as one: "### name" starts a section."""
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            found[current] = []
        elif current:
            found[current].append(line)
    return {key: "\n".join(lines) for key, lines in found.items()}


def steps(*pairs):
    """One shell run per instance for several named commands (each ansible call is slow)."""
    script = "; ".join("echo '### %s'; %s" % pair for pair in pairs)
    return {host: sections(out) for host, out in shell(script).items()}


@pytest.fixture(scope="session")
def story():
    seen = {}
    seen["converged"] = steps(
        ("md5", "md5sum " + OUR_FILES),
        ("apt_config", "apt-config dump"),
        ("stock", "cat /etc/apt/apt.conf.d/50unattended-upgrades"),
        ("needrestart_conf", "cat /etc/needrestart/conf.d/50-startsecure.conf"),
        ("timers", "systemctl show -p ActiveState -p RandomizedDelayUSec apt-daily.timer apt-daily-upgrade.timer"),
        ("timer_units", "systemctl cat apt-daily.timer apt-daily-upgrade.timer"),
        ("sources", "ls /etc/apt/sources.list.d/"),
    )
    # 1. check mode, scope all: reports everything, installs nothing
    # (one play for both instances: nothing here depends on the host role)
    seen["check_rc"], seen["check"] = fleet("--check", "-e", "patching_apply_scope=all", *ONE_BATCH)
    seen["after_check"] = steps(
        ("md5", "md5sum " + OUR_FILES),
        ("versions", VERSIONS),
        # 2. unattended-upgrade exactly as the role configured it
        ("unattended", "unattended-upgrade -v 2>&1; echo rc=$?"),
        ("versions_after_unattended", VERSIONS),
        ("uu_log", "cat /var/log/unattended-upgrades/unattended-upgrades.log"),
        # 3. what still runs old code
        ("needrestart_b", "needrestart -b -r l"),
        # back to 1.0 (the daemons keep running a replaced binary) and a reboot request,
        # as a libc upgrade leaves it
        ("downgrade", "dpkg -i /srv/localrepo/debs/startsecure-hello_1.0_*.deb >/dev/null"
                      " && echo '*** System restart required ***' > /run/reboot-required"
                      " && echo libc6 > /run/reboot-required.pkgs && echo ok"),
        ("pid1", "stat -c %Z /proc/1"),
    )
    seen["needrestart_facts"] = adhoc("startsecure.hardening.needrestart_facts")
    # 4. the fleet playbook on demand (security scope). "-e x=false" is a string: it must
    # still mean false (a bare `when: x` would take it as true)
    seen["apply_rc"], seen["apply"] = fleet("-e", "patching_reboot_allowed=false")
    seen["after_apply"] = steps(("versions", VERSIONS), ("pid1", "stat -c %Z /proc/1"))
    # 5. an OS family the role does not support, both instances in one batch
    seen["gentoo_rc"], seen["gentoo"] = fleet("-e", "__patching_os_family=Gentoo", *ONE_BATCH)
    # 6. every area of the fleet playbook, with the on-demand reboot allowed everywhere:
    # the unattended policy must not move (the reboot itself is skipped: containers)
    seen["before_reboot_run"] = steps(("unattended_md5", "md5sum " + UNATTENDED))
    seen["reboot_rc"], seen["reboot_run"] = fleet("-e", "patching_reboot_allowed=true",
                                                  "-e", "patching_reboot_kvm_host_allowed=true", tags=())
    seen["after_reboot_run"] = steps(("unattended_md5", "md5sum " + UNATTENDED),
                                     ("automatic_reboot", "apt-config dump | grep 'Automatic-Reboot '"))
    return seen


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


# --- configuration written by converge ---------------------------------------------------------

def test_unattended_upgrades_allows_only_security_origins(story, name):
    dump = story["converged"][name]["apt_config"]
    patterns = [line.split('"')[1] for line in dump.splitlines()
                if line.startswith("Unattended-Upgrade::Origins-Pattern::")]
    assert patterns == [
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
        "origin=Debian,codename=${distro_codename},label=Debian-Security",
    ]
    # the stock file still lists the main archive; the role's #clear removed it
    assert 'label=Debian";' in story["converged"][name]["stock"]


def test_reboot_policy_report_and_needrestart_mode(story, name):
    dump = story["converged"][name]["apt_config"]
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in dump
    assert 'Unattended-Upgrade::Automatic-Reboot-WithUsers "false";' in dump
    assert 'Unattended-Upgrade::SyslogEnable "true";' in dump
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert 'APT::Periodic::Update-Package-Lists "1";' in dump
    conf = story["converged"][name]["needrestart_conf"]
    assert "$nrconf{restart} = 'l';" in conf
    assert ("KVM host" if name.endswith("debian13") else "guest") in conf


def test_timers_randomised_and_active(story, name):
    shown = story["converged"][name]["timers"].splitlines()
    assert shown.count("ActiveState=active") == 2
    assert "RandomizedDelayUSec=12h" in shown and "RandomizedDelayUSec=1h" in shown
    assert story["converged"][name]["timer_units"].count("OnCalendar=*-12-31") == 2


# --- 2. check mode: 1 pending security update reported, nothing changed -----------------------

def test_check_mode_reports_one_pending_security_update_and_changes_nothing(story, name):
    assert story["check_rc"] == 0
    report = report_of(story["check"], name)
    pending = report["pending"]
    assert report["check_mode"] is True
    assert pending["security_count"] == 1
    assert pending["security"] == [HELLO]
    assert OTHER in pending["other"]
    hello = [u for u in pending["updates"] if u["name"] == HELLO][0]
    assert (hello["current_version"], hello["candidate_version"], hello["security_version"]) == ("1.0", "2.0", "2.0")
    assert hello["origins"][0]["label"] == "Debian-Security"
    assert hello["origins"][0]["codename"].endswith("-security")
    # scope all: both would be upgraded, neither was
    would = {u["name"]: u for u in report["upgraded"] if u["name"].startswith("startsecure-")}
    assert set(would) == {HELLO, OTHER}
    assert [u["applied"] for u in would.values()] == [False, False]
    assert (would[HELLO]["to"], would[OTHER]["to"]) == ("2.0", "2.0")
    assert versions(story["after_check"][name]["versions"]) == {HELLO: "1.0", OTHER: "1.0"}
    assert story["after_check"][name]["md5"] == story["converged"][name]["md5"]


# --- 3. unattended-upgrade as configured: the security origin yes, the main archive no ---------

def test_unattended_upgrade_installs_the_security_update_only(story, name):
    seen = story["after_check"][name]
    assert seen["unattended"].rstrip().endswith("rc=0"), seen["unattended"]
    assert versions(seen["versions_after_unattended"]) == {HELLO: "2.0", OTHER: "1.0"}
    assert "Packages that will be upgraded: " + HELLO in seen["uu_log"]


# --- 5 (part). what still runs old code ---------------------------------------------------------

def test_replaced_binary_is_reported_by_needrestart_and_the_module(story, name):
    assert "NEEDRESTART-SVC: startsecure-hello.service" in story["after_check"][name]["needrestart_b"]
    facts = story["needrestart_facts"][name]
    assert "startsecure-hello.service" in facts["services"]
    assert facts["restart_needed"] is True
    guests = [g for g in facts["guests"] if g["exe"] == "/usr/lib/startsecure-hello/qemu-system-x86_64"]
    assert len(guests) == 1 and guests[0]["source"] == ["proc"]


# --- 4 and 5. on demand through the fleet playbook; reboot required, not allowed ----------------

def test_on_demand_upgrades_reports_and_does_not_reboot(story, name):
    assert story["apply_rc"] == 0
    report = report_of(story["apply"], name)
    upgraded = [u for u in report["upgraded"] if u["name"].startswith("startsecure-")]
    assert upgraded == [{"name": HELLO, "from": "1.0", "to": "2.0", "security": True, "applied": True}]
    assert story["after_check"][name]["downgrade"].strip() == "ok"
    assert versions(story["after_apply"][name]["versions"]) == {HELLO: "2.0", OTHER: "1.0"}
    assert report["apply_scope"] == "security"
    assert report["reboot_required"] is True
    assert report["reboot_required_packages"] == ["libc6"]
    assert report["reboot_permitted"] is False
    assert report["reboot_planned"] is False
    assert report["reboot_performed"] is False
    assert "startsecure-hello.service" in report["services_to_restart"]
    policy = task_results(story["apply"], "Reboot | required but not permitted by the policy")[name]
    assert "requires a reboot" in policy["msg"] and "Not rebooting" in policy["msg"]
    assert task_results(story["apply"], "Reboot | reboot and wait for the host to come back")[name].get("skipped")
    assert story["after_apply"][name]["pid1"] == story["after_check"][name]["pid1"]
    if name.endswith("debian13"):
        assert report["host_role"] == "kvm_host"
        assert "KVM host" in policy["msg"]
        assert [g["exe"] for g in report["guests_on_replaced_qemu"]] == ["/usr/lib/startsecure-hello/qemu-system-x86_64"]
    else:
        assert report["host_role"] == "guest"


# --- 7. an unsupported OS family stops the play with a clear message ---------------------------

def test_unsupported_os_family_stops_with_a_clear_message(story, name):
    assert story["gentoo_rc"] != 0
    result = task_results(story["gentoo"], "Preflight | refuse an unsupported OS family")[name]
    assert result.get("failed") is True
    assert "OS family Gentoo is not supported yet" in result["msg"]
    assert "Nothing was changed" in result["msg"]


# --- 6. an on-demand run that may reboot never changes the unattended policy ----------------

def test_on_demand_reboot_run_leaves_the_unattended_configuration_unchanged(story, name):
    assert story["reboot_rc"] == 0
    before = story["before_reboot_run"][name]["unattended_md5"]
    assert before and before == story["after_reboot_run"][name]["unattended_md5"]
    assert before == [line for line in story["converged"][name]["md5"].splitlines() if UNATTENDED in line][0]
    assert story["after_reboot_run"][name]["automatic_reboot"].strip() == 'Unattended-Upgrade::Automatic-Reboot "false";'
    report = report_of(story["reboot_run"], name)
    assert report["reboot_required"] is True and report["reboot_permitted"] is True
    assert report["unattended_reboot"] is False
    # a container is never rebooted: the run says so instead of planning it
    assert report["reboot_planned"] is False and report["reboot_performed"] is False
    skipped = task_results(story["reboot_run"], "Reboot | a container cannot reboot itself")[name]
    assert "restart the container" in skipped["msg"]


def test_security_suite_already_configured_is_left_alone(story, name):
    # prepare.yml's local "<codename>-security" suite counts: nothing is added next to it
    assert "startsecure-security.sources" not in story["converged"][name]["sources"]
