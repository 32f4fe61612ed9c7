# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every ssh/console/patching/memory_limits control on recorded facts.

debian12-default.json was gathered by audit_facts on an untouched Debian 12 container.
HARDEN turns it into what the roles produce; BREAK holds, per control, one change that
must make exactly that control fail on the hardened facts. So every control has a
recorded passing case and a failing case, and no control fails for another's setting.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as c
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import console as controls_console
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import memory as controls_memory
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import patching as controls_patching
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import ssh as controls_ssh

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "unit", "fixtures", "audit")
CONTROLS = controls_ssh.CONTROLS + controls_console.CONTROLS + controls_patching.CONTROLS + controls_memory.CONTROLS
GIB = 1024 ** 3


def _load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def _set(facts, path, value):
    node = facts
    keys = path.split("/")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


HARDEN = {
    "ssh/effective/permitrootlogin": "no",
    "ssh/effective/passwordauthentication": "no",
    "ssh/effective/maxauthtries": "4",
    "ssh/effective/debianbanner": "no",
    "ssh/effective/authenticationmethods": "publickey",
    "ssh/effective/kbdinteractiveauthentication": "no",
    "ssh/config/mode": "0600",
    "ssh/effective/logingracetime": "30",
    "ssh/effective/x11forwarding": "no",
    "ssh/effective/allowtcpforwarding": "no",
    "ssh/effective/allowagentforwarding": "no",
    "ssh/effective/macs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com",
    "ssh/effective/kexalgorithms": "sntrup761x25519-sha512@openssh.com,curve25519-sha256",
    "ssh/host_keys": [{"path": "/etc/ssh/ssh_host_ed25519_key.pub", "type": "ssh-ed25519", "bits": 256,
                       "private": {"path": "/etc/ssh/ssh_host_ed25519_key", "exists": True, "mode": "0600", "uid": 0, "gid": 0}}],
    "ssh/moduli/groups_below_min": 0,
    "ssh/effective/loglevel": "VERBOSE",
    "ssh/effective/clientaliveinterval": "300",
    "ssh/effective/clientalivecountmax": "2",
    "ssh/effective/banner": "/etc/ssh/sshd_banner",
    "console/ctrl_alt_del": {"state": "masked", "burst_action": "none"},
    "console/debug_shell": "masked",
    "console/sysrq": {"running": "0", "persisted": {"value": "0", "path": "/etc/sysctl.d/90-startsecure-sysrq.conf"}},
    "console/root_login": {"pam_access": True, "access_file": "/etc/security/access-console.conf",
                           "rules": ["+ : root : tty1 ttyS0", "- : root : ALL"]},
    "console/tmout": [{"path": "/etc/profile.d/zz-startsecure-tmout.sh", "value": 900, "readonly": True}],
    "console/banners": {"/etc/issue": "Authorized use only.\n", "/etc/issue.net": "Authorized use only.\n"},
    "console/su": {"pam_file": True, "pam_wheel": True, "pam_wheel_args": ["use_uid", "group=wheel"]},
    "patching/installed/unattended-upgrades": True,
    "patching/apt_config": {"APT::Periodic::Update-Package-Lists": "1", "APT::Periodic::Unattended-Upgrade": "1",
                            "Unattended-Upgrade::Origins-Pattern": [
                                "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"]},
    "patching/updates": {"lists_present": True, "lists_age_seconds": 3600, "security": [], "other_count": 2},
    "patching/apt_sources": {"present": True, "suites": ["bookworm-security", "bookworm/updates"],
                             "sources": [{"uri": "http://mirror.invalid/debian/", "suite": "bookworm"},
                                         {"uri": "http://mirror.invalid/debian-security/", "suite": "bookworm-security"}],
                             "release_origins": []},
    # what is in effect: OpenSSH's own -1000 on the listener, a login at 0 in user.slice
    "memory/sshd": {"pid": 512, "oom_score_adj": -1000,
                    "sessions": [{"pid": 900, "cmdline": "sshd: admin [priv]", "oom_score_adj": 0,
                                  "cgroup": "/user.slice/user-1000.slice/session-3.scope"},
                                 {"pid": 901, "cmdline": "sshd: [accepted]", "oom_score_adj": 0,
                                  "cgroup": "/system.slice/ssh.service"}]},
    "memory/sysctl": {"vm.panic_on_oom": 0, "vm.overcommit_memory": 0, "vm.overcommit_ratio": 50},
    "memory/units/system.slice/MemoryMax": str(12 * GIB),
    "memory/units/user.slice/MemoryMax": str(4 * GIB),
    "memory/units/user-1000.slice/MemoryMax": str(2 * GIB),
    "memory/units/machine.slice/MemoryMax": str(16 * GIB),
    "memory/hypervisor": True,
}


def hardened():
    facts = _load("debian12-default.json")
    for path, value in HARDEN.items():
        _set(facts, path, copy.deepcopy(value))
    sudo = facts["console"]["sudo"]
    sudo["lines"].append({"path": "/etc/sudoers.d/50-startsecure-console", "line": 'Defaults logfile="/var/log/sudo.log"'})
    sudo["lines"].append({"path": "/etc/sudoers.d/50-startsecure-console", "line": "Defaults timestamp_timeout=5"})
    return facts


def _sudo_line(line):
    return lambda f: f["console"]["sudo"]["lines"].append({"path": "/etc/sudoers.d/x", "line": line})


BREAK = {
    "SSH-001": {"ssh/effective/permitrootlogin": "prohibit-password"},
    "SSH-002": {"ssh/effective/passwordauthentication": "yes"},
    "SSH-003": {"ssh/effective/kbdinteractiveauthentication": "yes"},
    "SSH-004": {"ssh/effective/permitemptypasswords": "yes"},
    "SSH-005": {"ssh/effective/maxauthtries": "6"},
    "SSH-006": {"ssh/effective/logingracetime": "120"},
    "SSH-007": {"ssh/effective/x11forwarding": "yes"},
    "SSH-008": {"ssh/effective/allowtcpforwarding": "local"},
    "SSH-009": {"ssh/effective/allowagentforwarding": "yes"},
    "SSH-010": {"ssh/effective/permittunnel": "point-to-point"},
    "SSH-011": {"ssh/effective/gatewayports": "clientspecified"},
    "SSH-012": {"ssh/effective/ciphers": "aes256-gcm@openssh.com,aes128-cbc"},
    "SSH-013": {"ssh/effective/macs": "hmac-sha2-512-etm@openssh.com,hmac-sha1"},
    "SSH-014": {"ssh/effective/kexalgorithms": "curve25519-sha256,diffie-hellman-group14-sha1"},
    "SSH-015": {"ssh/host_keys": [{"path": "/etc/ssh/ssh_host_rsa_key.pub", "type": "ssh-rsa", "bits": 2048,
                                   "private": {"path": "/etc/ssh/ssh_host_rsa_key", "exists": True, "mode": "0600", "uid": 0, "gid": 0}}]},
    "SSH-016": {"ssh/config/uid": 1000},
    "SSH-017": {"ssh/moduli/groups_below_min": 12},
    "SSH-018": {"ssh/effective/loglevel": "INFO"},
    "SSH-019": {"ssh/effective/clientaliveinterval": "0"},
    "SSH-020": {"ssh/effective/banner": "none"},
    "SSH-021": {"ssh/effective/hostbasedauthentication": "yes"},
    "SSH-022": {"ssh/effective/permituserenvironment": "yes"},
    "SSH-023": {"ssh/effective/debianbanner": "yes"},
    "SSH-024": {"ssh/effective/authenticationmethods": "any"},
    "SSH-025": {"ssh/config/mode": "0644"},
    "SSH-026": {"ssh/effective/maxauthtries": "3"},
    "CON-001": {"console/ctrl_alt_del/state": "alias"},
    # The old role's setting on a cloud image: root locked, SYSTEMD_SULOGIN_FORCE=1.
    "CON-002": {"console/rescue/emergency.service/sulogin_force": True,
                "console/rescue/emergency.service/sulogin": "shell"},
    "CON-003": {"console/debug_shell": "disabled"},
    # Debian's kernels enable 438 (reboot included) when no sysctl file sets it.
    "CON-013": {"console/sysrq/persisted": {"value": None, "path": None}},
    "CON-004": {"console/root_login/rules": ["+ : root : ALL"]},
    "CON-005": {"console/tmout": [{"path": "/etc/profile.d/t.sh", "value": 900, "readonly": False}]},
    "CON-006": {"console/banners//etc/issue": "Debian GNU/Linux 12 \\n \\l\n"},
    "CON-007": _sudo_line("Defaults !use_pty"),
    "CON-008": _sudo_line("Defaults !logfile"),
    "CON-009": _sudo_line("deploy ALL=(ALL) NOPASSWD: ALL"),
    "CON-010": _sudo_line("Defaults timestamp_timeout=60"),
    "CON-011": {"console/su/pam_wheel": False},
    "CON-012": {"audit/container": "", "console/bootloader": {"config": "/boot/grub/grub.cfg", "readable": True,
                                                              "superusers": False, "password_pbkdf2": False}},
    "PAT-001": {"patching/installed/unattended-upgrades": False},
    "PAT-002": {"patching/apt_config/APT::Periodic::Unattended-Upgrade": "0"},
    "PAT-003": {"patching/apt_config/Unattended-Upgrade::Origins-Pattern": ["origin=Debian,codename=${distro_codename}"]},
    "PAT-004": {"patching/timers/apt-daily-upgrade.timer": "masked"},
    "PAT-005": {"patching/updates/security": [{"name": "openssl", "current": "3.0.15", "fixed": "3.0.17"}]},
    "PAT-006": {"patching/updates/lists_age_seconds": 30 * 86400},
    "PAT-007": {"patching/reboot_required": True},
    "PAT-009": {"patching/apt_sources/present": False},
    "PAT-008": {"patching/stale_processes": [{"pid": 42, "name": "sshd", "libraries": ["/usr/lib/libssl.so.3"]}]},
    "MEM-001": {"memory/units/user.slice/MemoryAccounting": "no"},
    "MEM-002": {"memory/units/user.slice/MemoryMax": "infinity"},
    "MEM-003": {"memory/sshd/oom_score_adj": 0, "audit/container": ""},
    "MEM-004": {"memory/units/user-1000.slice/MemoryMax": "infinity"},
    "MEM-005": {"memory/units/machine.slice/MemoryMax": "infinity"},
    "MEM-006": lambda f: _set(f, "memory/units/machine.slice/MemoryMax", str(int(f["memory"]["mem_total"] * 0.98))),
    "MEM-007": lambda f: f["memory"]["sshd"]["sessions"][0].update(oom_score_adj=-500),
    "MEM-008": lambda f: f["memory"]["sshd"]["sessions"][0].update(cgroup="/system.slice/ssh.service"),
    "MEM-009": {"memory/units/system.slice/MemoryMax": "infinity"},
    "MEM-010": {"hypervisor": {"domains": [{"name": "g%d" % n, "memtune": {"hard_limit_kib": 6 * 1024 ** 2}}
                                           for n in range(3)]}},
    "MEM-011": {"memory/sysctl/vm.panic_on_oom": 1},
}


def _break(facts, cid):
    change = BREAK[cid]
    if callable(change):
        change(facts)
        return
    for path, value in change.items():
        if "//" in path:  # a key that is itself a path (banners)
            head, tail = path.split("//", 1)
            _set(facts, head, dict(_get(facts, head), **{"/" + tail: value}))
        else:
            _set(facts, path, copy.deepcopy(value))


def _get(facts, path):
    node = facts
    for key in path.split("/"):
        node = node[key]
    return node


def test_every_control_has_a_breaking_case():
    assert sorted(BREAK) == sorted(ctl.id for ctl in CONTROLS)
    c.index(CONTROLS)  # ids are unique


def test_hardened_host_passes_everything_that_applies():
    findings = c.judge(CONTROLS, hardened())
    bad = [(f["id"], f["status"], f["evidence"]) for f in findings if f["status"] not in (c.PASS, c.NOT_APPLICABLE)]
    assert bad == []
    # In a container only the bootloader control cannot apply, and without kvm_host's
    # facts there are no guests' hard limits to add up.
    assert [f["id"] for f in findings if f["status"] == c.NOT_APPLICABLE] == ["CON-012", "MEM-010"]


@pytest.mark.parametrize("cid", sorted(BREAK))
def test_one_broken_setting_fails_exactly_its_control(cid):
    facts = hardened()
    _break(facts, cid)
    findings = c.judge(CONTROLS, facts)
    failing = [f["id"] for f in findings if f["status"] not in (c.PASS, c.NOT_APPLICABLE)]
    assert failing == [cid]
    finding = [f for f in findings if f["id"] == cid][0]
    assert finding["status"] == c.FAIL and finding["evidence"]


def test_untouched_debian12_fails_the_baseline():
    findings = dict((f["id"], f) for f in c.judge(CONTROLS, _load("debian12-default.json")))
    for cid in ("SSH-001", "SSH-002", "CON-001", "CON-011", "PAT-001", "MEM-002"):
        assert findings[cid]["status"] == c.FAIL, cid
    assert "PasswordAuthentication yes" in findings["SSH-002"]["evidence"]


def test_unknown_sshd_settings_are_errors_not_passes():
    facts = hardened()
    facts["ssh"]["effective"] = {}
    facts["ssh"]["effective_error"] = "Missing privilege separation directory: /run/sshd"
    finding = [f for f in c.judge(CONTROLS, facts, areas=["ssh"]) if f["id"] == "SSH-002"][0]
    assert finding["status"] == c.ERROR and "/run/sshd" in finding["evidence"]


def test_memory_guest_ceiling_not_applicable_without_libvirt():
    facts = hardened()
    facts["memory"]["hypervisor"] = False
    facts["memory"]["units"]["machine.slice"]["MemoryMax"] = "infinity"
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "MEM-005"][0]
    assert finding["status"] == c.NOT_APPLICABLE


def test_guests_that_fit_machine_slice_pass_with_the_roles_budget_rule():
    facts = hardened()
    facts["hypervisor"] = {"domains": [{"name": "web", "memtune": {"hard_limit_kib": 8 * 1024 ** 2}},
                                       {"name": "db", "memtune": {"hard_limit_kib": 8 * 1024 ** 2}},
                                       {"name": "nolimit", "memtune": {}}]}
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "MEM-010"][0]
    assert finding["status"] == c.PASS and "2 guests" in finding["evidence"], finding
    facts["hypervisor"]["domains"][0]["memtune"]["hard_limit_kib"] = 8 * 1024 ** 2 + 1
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "MEM-010"][0]
    assert finding["status"] == c.FAIL and "more than machine.slice" in finding["evidence"], finding


def test_sshd_score_is_the_live_one_not_the_configured_one():
    facts = hardened()
    facts["memory"]["units"]["ssh.service"]["OOMScoreAdjust"] = "-500"
    facts["memory"]["sshd"]["oom_score_adj"] = 0  # configured -500, but not in effect
    facts["audit"]["container"] = ""
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "MEM-003"][0]
    assert finding["status"] == c.FAIL and "oom_score_adj 0 in effect" in finding["evidence"], finding
    # in a container the kernel refuses any lower score: stated, not failed
    facts["audit"]["container"] = "docker"
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "MEM-003"][0]
    assert finding["status"] == c.NOT_APPLICABLE and "CAP_SYS_RESOURCE" in finding["evidence"], finding


def test_session_controls_do_not_apply_without_an_open_login():
    facts = hardened()
    facts["memory"]["sshd"]["sessions"] = [{"pid": 7, "cmdline": "sshd: unknown [priv]", "oom_score_adj": -500,
                                            "cgroup": "/system.slice/ssh.service"}]
    findings = dict((f["id"], f["status"]) for f in c.judge(CONTROLS, facts))
    assert findings["MEM-007"] == findings["MEM-008"] == c.NOT_APPLICABLE


def test_the_audit_reserve_is_the_one_the_role_put_in_effect():
    facts = hardened()
    total = facts["memory"]["mem_total"]
    # user 4G + machine 16G fit with the default 10% reserve; with a 4G reserve in
    # effect (system.slice MemoryLow, cgroup v2) they do not: the same rule as the role's
    facts["memory"]["units"]["system.slice"]["MemoryLow"] = str(4 * GIB)
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "MEM-006"][0]
    assert finding["status"] == c.FAIL and "together" in finding["evidence"], (total, finding)


def test_sudo_defaults_parser():
    src = {"sudo": {"lines": [{"line": 'Defaults env_reset, secure_path="/a:/b", !visiblepw'},
                              {"line": "Defaults:alice !use_pty"}, {"line": "Defaults use_pty"}]}}
    opts = controls_console.sudo_defaults(src)
    assert opts == {"env_reset": True, "secure_path": "/a:/b", "visiblepw": False, "use_pty": True}


def test_every_remediation_names_a_role_variable():
    for ctl in CONTROLS:
        assert ctl.remediation["variable"].startswith(ctl.remediation["role"] + "_"), ctl.id


ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")


@pytest.mark.parametrize("role", ["ssh", "console", "patching", "memory_limits"])
def test_remediation_variables_exist_in_the_role_argument_specs(role):
    yaml = pytest.importorskip("yaml")
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml")) as handle:
        spec = yaml.safe_load(handle)
    options = set(spec["argument_specs"]["main"]["options"])
    wanted = set(ctl.remediation["variable"] for ctl in CONTROLS if ctl.remediation["role"] == role)
    assert wanted and wanted <= options, sorted(wanted - options)


@pytest.mark.parametrize("pattern,status", [
    ("origin=Debian,codename=${distro_codename}-security,label=Debian-Security", c.PASS),
    ("o=Debian,n=${distro_codename}-security", c.PASS),
    ("origin=Debian,codename=${distro_codename}-insecurity", c.FAIL),        # "security" is in it, but it matches nothing
    ("origin=Debian,label=Debian-Security-Archive", c.FAIL),
    ("origin=*,codename=*", c.PASS),                                          # a wildcard matches, as unattended-upgrades would
])
def test_security_origin_patterns_are_matched_not_searched_for_a_word(pattern, status):
    facts = hardened()
    facts["patching"]["apt_config"]["Unattended-Upgrade::Origins-Pattern"] = [pattern]
    [finding] = [f for f in c.judge(CONTROLS, facts) if f["id"] == "PAT-003"]
    assert finding["status"] == status, finding["evidence"]


@pytest.mark.parametrize("persisted, running, container, status", [
    ("0", "0", "", "pass"),
    ("16", "16", "", "pass"),            # sync only
    ("176", "176", "", "fail"),          # 128: reboot
    ("0x40", "0", "", "fail"),           # 64: signal every process
    ("1", "1", "", "fail"),              # everything
    ("0", "438", "", "fail"),            # the file says 0 but it was never applied
    ("0", "438", "docker", "pass"),      # a container's /proc/sys is its host's
    (None, "0", "", "fail"),             # not persisted: the kernel's default at boot
])
def test_con013_sysrq(persisted, running, container, status):
    facts = hardened()
    facts["audit"]["container"] = container
    facts["console"]["sysrq"] = {"running": running, "persisted": {"value": persisted, "path": "/etc/sysctl.d/x.conf"}}
    finding = [f for f in c.judge(CONTROLS, facts) if f["id"] == "CON-013"][0]
    assert finding["status"] == status, finding
