# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Console hardening, proven by behaviour in the converged containers.

The containers were prepared with a known root password, alice (in the su group
`wheel`) and bob (not in it), and pamtester to drive the real PAM stacks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest
import testinfra

ROOT_PW = "molecule-root-pw"
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs `su -c 'id -un' root` as USER inside a pseudo-terminal (su reads the password
# from its terminal), answers the password prompt, prints the output and the exit code.
SU_IN_PTY = r"""
import os, pty, select, sys, time
user, password = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("runuser", ["runuser", "-u", user, "--", "su", "-c", "id -un", "root"])
out, sent, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"assword" in out:
        time.sleep(0.3)
        os.write(fd, password.encode() + b"\n")
        sent = True
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print(out.decode(errors="replace").replace("\r", ""))
print("EXIT=%d PROMPTED=%s" % (code, sent))
"""


def _su(host, user, password):
    return host.run("python3 - %s %s <<'PYEOF'\n%s\nPYEOF" % (user, password, SU_IN_PTY)).stdout


def _pam_login(host, tty, password=ROOT_PW):
    return host.run("printf '%%s\\n' '%s' | pamtester -I tty=%s login root authenticate" % (password, tty))


# ---- Ctrl-Alt-Del ---------------------------------------------------------------
def test_ctrl_alt_del_target_is_masked(host):
    assert host.run("systemctl is-enabled ctrl-alt-del.target").stdout.strip() == "masked"


def test_ctrl_alt_del_burst_action_is_none_in_the_running_manager(host):
    assert host.run("systemctl show -p CtrlAltDelBurstAction").stdout.strip() == "CtrlAltDelBurstAction=none"


# ---- idle sessions --------------------------------------------------------------
@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_login_shell_has_tmout(host, shell):
    assert host.run("%s -lc 'echo $TMOUT'" % shell).stdout.strip() == "900"


def test_login_shell_cannot_unset_tmout(host):
    result = host.run("bash -lc 'unset TMOUT; echo value=$TMOUT'")
    assert "readonly variable" in result.stderr
    assert "value=900" in result.stdout


def test_login_shell_cannot_change_tmout(host):
    result = host.run("bash -lc 'TMOUT=0; echo changed'")
    assert "readonly variable" in result.stderr
    assert "changed" not in result.stdout


def test_tmout_for_a_user_login_shell_too(host):
    assert host.run("su -l alice -c 'echo $TMOUT'").stdout.strip() == "900"


# ---- sudo -----------------------------------------------------------------------
def test_visudo_accepts_the_whole_configuration(host):
    result = host.run("visudo -c")
    assert result.rc == 0, result.stdout + result.stderr
    assert "50-startsecure-console: parsed OK" in result.stdout


def test_sudo_runs_commands_in_their_own_pty(host):
    # Inside a terminal (script), sudo with use_pty gives the command a NEW pseudo-
    # terminal: the two tty names differ. Without use_pty they would be the same.
    out = host.run("script -qc 'tty; sudo -n tty' /dev/null").stdout
    ttys = re.findall(r"/dev/pts/[0-9]+", out)
    assert len(ttys) == 2, out
    assert ttys[0] != ttys[1], out


def test_sudo_logs_to_its_log_file(host):
    host.run("sudo -n /bin/echo console-logfile-probe")
    log = host.file("/var/log/sudo.log")
    assert log.exists and log.mode == 0o600
    assert "COMMAND=/bin/echo console-logfile-probe" in log.content_string.replace("\n    ", " ")


def test_sudo_defaults_are_the_policy(host):
    out = host.run("sudo -l -U root").stdout
    for expected in ("use_pty", "logfile=/var/log/sudo.log", "timestamp_timeout=5", "!visiblepw", "secure_path="):
        assert expected in out, out


# ---- su (pam_wheel) -------------------------------------------------------------
def test_su_accepted_for_a_member_of_the_su_group(host):
    out = _su(host, "alice", ROOT_PW)
    assert "EXIT=0" in out and "\nroot\n" in out, out


def test_su_refused_for_a_non_member_even_with_the_right_password(host):
    out = _su(host, "bob", ROOT_PW)
    assert "EXIT=1" in out and "PROMPTED=False" in out, out
    assert "root\n" not in out.replace("su: ", "")


def test_su_wrong_password_still_fails_for_a_member(host):
    out = _su(host, "alice", "not-the-password")
    assert "EXIT=1" in out and "PROMPTED=True" in out, out


# ---- rescue / emergency / debug shell -------------------------------------------
@pytest.mark.parametrize("unit", ["rescue.service", "emergency.service"])
def test_rescue_units_run_sulogin_never_forced(host, unit):
    # SYSTEMD_SULOGIN_FORCE=1 would make sulogin open a root shell WITHOUT a password
    # whenever root is locked; the role unsets it, whoever set it.
    out = host.run("systemctl show -p ExecStart -p Environment -p UnsetEnvironment %s" % unit).stdout
    assert "systemd-sulogin-shell" in out, out
    assert "UnsetEnvironment=SYSTEMD_SULOGIN_FORCE" in out, out


def test_sysrq_policy_is_what_applies_at_boot(host):
    # systemd-sysctl's own view of every sysctl file in the order it applies them at
    # boot: the last kernel.sysrq wins. (A container's /proc/sys is its host's.)
    out = host.run("/lib/systemd/systemd-sysctl --cat-config").stdout
    values = re.findall(r"^\s*kernel[./]sysrq\s*=\s*(\S+)", out, re.MULTILINE)
    assert values and values[-1] == "0", out[-2000:]


def test_debug_shell_is_masked(host):
    assert host.run("systemctl is-enabled debug-shell.service").stdout.strip() == "masked"


# ---- root on consoles (pam_access in the login service) -------------------------
@pytest.mark.parametrize("tty", ["tty1", "ttyS0"])
def test_root_login_accepted_on_listed_tty(host, tty):
    result = _pam_login(host, tty)
    assert result.rc == 0, result.stdout + result.stderr
    assert "successfully authenticated" in result.stdout + result.stderr


@pytest.mark.parametrize("tty", ["tty5", "ttyS1", "pts/0"])
def test_root_login_refused_on_other_tty_even_with_the_right_password(host, tty):
    result = _pam_login(host, tty)
    assert result.rc != 0
    assert "Permission denied" in result.stdout + result.stderr


def test_root_login_wrong_password_refused_on_listed_tty(host):
    assert _pam_login(host, "tty1", "wrong").rc != 0


def test_other_users_are_not_restricted_by_the_root_rule(host):
    result = host.run("printf 'alice-pw\\n' | pamtester -I tty=tty5 login alice authenticate")
    assert result.rc == 0, result.stdout + result.stderr


# ---- terminals ------------------------------------------------------------------
@pytest.mark.parametrize("unit", ["getty@tty1.service", "serial-getty@ttyS0.service"])
def test_listed_gettys_enabled(host, unit):
    assert host.run("systemctl is-enabled %s" % unit).stdout.strip() == "enabled"


@pytest.mark.parametrize("unit", ["getty@tty2.service", "getty@tty6.service", "serial-getty@ttyS1.service", "serial-getty@hvc0.service"])
def test_other_gettys_masked(host, unit):
    assert host.run("systemctl is-enabled %s" % unit).stdout.strip() == "masked"


def test_logind_spawns_no_automatic_gettys(host):
    out = host.run("cat /etc/systemd/logind.conf.d/*.conf").stdout
    assert "NAutoVTs=0" in out and "ReserveVT=0" in out


# ---- banners --------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/etc/issue", "/etc/issue.net", "/etc/motd"])
def test_banner_states_policy_and_no_os(host, path):
    text = host.file(path).content_string
    assert "Authorized use only" in text
    os_release = host.file("/etc/os-release").content_string
    version = [line.split("=", 1)[1].strip('"') for line in os_release.splitlines() if line.startswith("VERSION_ID=")][0]
    for leak in ("Debian", "GNU/Linux", version, "\\r", "\\v", "\\s", "\\m"):
        assert leak not in text, (path, leak)


def test_motd_scripts_print_no_version(host):
    out = host.run("run-parts --test /etc/update-motd.d").stdout
    assert "10-uname" not in out
    assert host.run("uname -r").stdout.strip() not in host.run("run-parts /etc/update-motd.d").stdout


# ---- boot loader ----------------------------------------------------------------
def _boot_loader_state(target):
    linux = target.file("/etc/grub.d/10_linux")
    return {
        "grub_scripts": linux.exists,
        "dropin": target.file("/etc/grub.d/01_startsecure_password").exists,
        "unrestricted": linux.exists and "--unrestricted" in linux.content_string,
    }


def test_no_boot_loader_change_in_a_container(host):
    # testinfra runs all tests of one host before the next host, and grub.yml below
    # runs for all hosts at once: take the state recorded before that play if any.
    state = _BEFORE_PLAYS.get(host.backend.get_hostname()) or _boot_loader_state(host)
    # grub-common is installed (prepare), so only the container check kept converge out.
    assert state == {"grub_scripts": True, "dropin": False, "unrestricted": False}


# The playbooks below run once for all hosts in parallel (forks), not once per host:
# each test then reads its own host's line of the recap.
_PLAYS = {}
_BEFORE_PLAYS = {}


def _play_once(key, playbook, extra_vars=None):
    if key not in _PLAYS:
        inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
        assert inventory, "MOLECULE_INVENTORY_FILE is not set (run through molecule verify)"
        if not _BEFORE_PLAYS:
            for target in testinfra.get_hosts(["ansible://all"], ansible_inventory=inventory):
                _BEFORE_PLAYS[target.backend.get_hostname()] = _boot_loader_state(target)
        cmd = ["ansible-playbook", "-i", inventory, os.path.join(SCENARIO_DIR, playbook)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_PIPELINING="1")
        _PLAYS[key] = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return _PLAYS[key]


def _recap(host, result):
    """(changed, failed) of this host in the play recap."""
    name = re.escape(host.backend.get_hostname())
    found = re.search(r"^%s\s*:\s*ok=[0-9]+\s+changed=([0-9]+)\s+unreachable=0\s+failed=([0-9]+)" % name,
                      result.stdout, re.MULTILINE)
    assert found, result.stdout[-4000:] + result.stderr[-2000:]
    return int(found.group(1)), int(found.group(2))


GRUB_PASSWORD = "grub-test-pw"
# The container stands in for a VM (see grub.yml for the two overridden facts).
GRUB_VARS = {"__console_in_container": False, "__console_grub_mkconfig": "/usr/local/sbin/grub-mkconfig-standin",
             "grub_test_password": GRUB_PASSWORD}


def test_grub_superuser_hash_is_grubs_own_format(host):
    first = _play_once("grub-first", "grub.yml", GRUB_VARS)
    changed, failed = _recap(host, first)
    assert failed == 0 and changed >= 2, first.stdout[-6000:]

    dropin = host.file("/etc/grub.d/01_startsecure_password")
    assert dropin.mode == 0o700 and dropin.user == "root"
    content = dropin.content_string
    assert 'set superusers="grubadmin"' in content
    match = re.search(r"password_pbkdf2 grubadmin grub\.pbkdf2\.sha512\.([0-9]+)\.([0-9A-F]+)\.([0-9A-F]+)\n", content)
    assert match, content
    iterations, salt, digest = int(match.group(1)), match.group(2), match.group(3)
    assert iterations == 100000 and len(salt) == 128 and len(digest) == 128
    # Independent re-computation: what GRUB does with the typed password.
    expected = hashlib.pbkdf2_hmac("sha512", GRUB_PASSWORD.encode(), bytes.fromhex(salt), iterations, 64).hex().upper()
    assert digest == expected
    # The script's output is valid GRUB script, and normal entries boot unrestricted.
    check = host.run("sh /etc/grub.d/01_startsecure_password | grub-script-check")
    assert check.rc == 0, check.stdout + check.stderr
    assert 'CLASS="--class gnu-linux --class gnu --class os --unrestricted"' in host.file("/etc/grub.d/10_linux").content_string
    assert host.file("/boot/grub/grub.cfg").mode == 0o600


def test_grub_rerun_with_same_password_keeps_the_hash(host):
    # A fresh random salt is offered on every run; the hash on the host is kept.
    before = host.file("/etc/grub.d/01_startsecure_password").content_string
    second = _play_once("grub-second", "grub.yml", GRUB_VARS)
    assert _recap(host, second) == (0, 0), second.stdout[-6000:]
    assert host.file("/etc/grub.d/01_startsecure_password").content_string == before


def test_generated_grub_cfg_default_entry_boots_without_the_password(host):
    # grub.yml's first run regenerated grub.cfg (stand-in grub-mkconfig fed by the role's
    # files): its default entry carries --unrestricted, and the role's check passed on it
    first = _play_once("grub-first", "grub.yml", GRUB_VARS)
    assert _recap(host, first)[1] == 0, first.stdout[-6000:]
    assert "the host still boots unattended" in first.stdout, first.stdout[-6000:]
    generated = host.run("cat /boot/grub/grub.cfg").stdout
    assert 'set superusers="grubadmin"' in generated
    assert re.search(r"^menuentry 'Debian GNU/Linux' .*--unrestricted", generated, re.M), generated


def test_restricted_default_entry_in_the_generated_grub_cfg_fails_clearly(host):
    _play_once("grub-second", "grub.yml", GRUB_VARS)  # after both grub.yml runs
    result = _play_once("grub-restricted", "grub_restricted.yml", GRUB_VARS)
    assert _recap(host, result)[1] == 0, result.stdout[-6000:] + result.stderr[-2000:]
    outcome = json.loads(host.file("/tmp/startsecure-grub-restricted.json").content_string)
    assert outcome["refused"] and "boots unattended" in outcome["task"], outcome
    assert "the default entry '0' (menuentry 'Debian GNU/Linux') has no --unrestricted" in outcome["msg"], outcome
    assert "password_pbkdf2" not in outcome["msg"] and "grub.pbkdf2" not in outcome["msg"], outcome
    # and grub.cfg was put back
    assert "--unrestricted" in host.run("cat /boot/grub/grub.cfg").stdout


# ---- negative cases: wrong values, broken sudo drop-in --------------------------
def test_wrong_values_stop_the_play_and_broken_sudo_never_lands(host):
    # negative.yml itself asserts that every case failed naming its variable and that
    # the installed sudo drop-in's checksum did not change.
    result = _play_once("negative", "negative.yml")
    assert _recap(host, result)[1] == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-6000:]
    installed = host.file("/etc/sudoers.d/50-startsecure-console").content_string
    assert "ALL=(" not in installed.replace("ALL=(ALL:ALL) ALL", "")
    assert host.run("sudo -n /bin/true").rc == 0
    assert host.run("visudo -c").rc == 0
    assert "NEGATIVE-TEST-MUST-NOT-APPEAR" not in host.file("/etc/issue").content_string


# ---- rescue/emergency mode with root LOCKED (rescue.yml) ------------------------
# rescue.yml locks root (as cloud images leave it), puts back the old role's
# SYSTEMD_SULOGIN_FORCE=1, then runs the role several ways; files/sulogin_probe.py
# talks to the real systemd-sulogin-shell of emergency.service on a pseudo-terminal.
def _rescue(host):
    result = _play_once("rescue", "rescue.yml")
    assert _recap(host, result)[1] == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return json.loads(host.file("/tmp/startsecure-rescue.json").content_string)


def _root_shell(probe_output):
    return "SHELL-UID-0" in probe_output


def test_old_setting_hands_out_a_root_shell_and_con002_sees_it(host):
    old = _rescue(host)["old"]
    assert old["root_password"] == "locked"
    assert _root_shell(old["probes"][0]), old["probes"][0]
    assert old["con002"] == "fail" and "WITHOUT a password" in old["evidence"], old


def test_force_with_root_locked_is_refused_before_any_change(host):
    results = _rescue(host)
    force = results["force"]
    assert force["refused"], force
    assert "Preflight" in force["task"], force
    for words in ("refusing to change anything", "root's password is locked", "WITHOUT a password",
                  "console_root_password_hash", "console_sulogin_force: false"):
        assert words in force["msg"], force["msg"]
    assert results["force_dropin_unchanged"]


def test_default_with_root_locked_asks_and_gives_no_shell(host):
    default = _rescue(host)["default"]
    probe = default["probes"][0]
    assert "root account is locked" in probe, probe
    assert not _root_shell(probe), probe
    assert default["con002"] == "pass", default


def test_empty_root_password_is_refused_even_with_the_default(host):
    empty = _rescue(host)["empty"]
    assert empty["refused"] and "root's password is empty" in empty["msg"], empty


def test_root_password_policy_makes_emergency_mode_ask_for_it(host):
    results = _rescue(host)
    policy = results["hash"]
    wrong, right = policy["probes"]
    assert "Login incorrect" in wrong and not _root_shell(wrong), wrong
    assert _root_shell(right), right
    assert policy["con002"] == "pass" and policy["root_password"] == "usable", policy
    assert results["root_restored"]


# ---- sudo: an early NOPASSWD drop-in keeps working (sudo.yml) --------------------
def _sudo(host):
    result = _play_once("sudo", "sudo.yml")
    assert _recap(host, result)[1] == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return json.loads(host.file("/tmp/startsecure-sudo.json").content_string)


def test_old_drop_in_overrode_the_early_nopasswd_rule(host):
    # The hole the role closes: its later `%sudo ALL=(ALL:ALL) ALL` won over carol's NOPASSWD.
    results = _sudo(host)
    assert results["old_rc"] != 0 and "password" in results["old_err"], results


def test_early_nopasswd_rule_keeps_working_after_the_role(host):
    results = _sudo(host)
    assert results["carol_rc"] == 0, results
    assert "ALL=" not in host.file("/etc/sudoers.d/50-startsecure-console").content_string.replace("secure_path", "")


def test_drop_in_that_takes_root_away_is_rolled_back_naming_the_account(host):
    results = _sudo(host)
    dave = results["dave"]
    assert dave["refused"], dave
    assert "rolled back" in dave["msg"] and "dave could run every command as root" in dave["msg"], dave
    assert results["dave_unchanged"]
    assert "(ALL : ALL) ALL" in results["dave_list"], results["dave_list"]


# ---- su: the play itself becomes root through su (su.yml) ------------------------
def _su_play(host):
    result = _play_once("su", "su.yml")
    assert _recap(host, result)[1] == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return json.loads(host.file("/tmp/startsecure-su.json").content_string)


def test_play_becoming_root_through_su_as_a_non_member_is_refused_before_any_change(host):
    results = _su_play(host)
    assert results["bob_id"] == "root", results  # the play really went through su
    bob = results["bob"]
    assert bob["refused"] and "Preflight" in bob["task"], bob
    for words in ("refusing to change anything", "through su as 'bob'", "console_su_group 'wheel'"):
        assert words in bob["msg"], bob["msg"]
    assert results["bob_unchanged"], results


def test_play_becoming_root_through_su_as_a_member_passes(host):
    results = _su_play(host)
    assert results["alice"]["passed"], results["alice"]
    assert "group=wheel" in results["wheel_line"], results
