# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ssh_facts end to end on a fake /etc/ssh: files in tmp_path, commands answered by a stub."""

from __future__ import annotations

import collections

import pytest
from ansible.module_utils import basic

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import ssh as gather_ssh
from ansible_collections.startsecure.hardening.plugins.modules import ssh_facts
from ssh_test_keys import ECDSA256, ED25519, RSA2048

Pw = collections.namedtuple("Pw", "pw_name pw_uid pw_gid pw_dir")
Gr = collections.namedtuple("Gr", "gr_name gr_gid gr_mem")

SSHD_T = "passwordauthentication no\nport 22\nauthorizedkeysfile .ssh/authorized_keys %h/.ssh/extra_keys\n"


@pytest.fixture
def fake_host(tmp_path, monkeypatch):
    etc = tmp_path / "etc"
    (etc / "sshd_config.d").mkdir(parents=True)
    (etc / "sshd_config").write_text("Include %s/sshd_config.d/*.conf\nPort 22\n" % etc)
    (etc / "sshd_config.d" / "50-cloud-init.conf").write_text("PasswordAuthentication yes\n")
    (etc / "sshd_config.d" / "00-first.conf").write_text("PasswordAuthentication no\n")
    (etc / "sshd_config.d" / "notes.txt").write_text("not included\n")
    (etc / "ssh_config").write_text("Host *\n    SendEnv LANG\n")
    (etc / "moduli").write_text("20230316 2 6 100 2047 5 FF\n20230316 2 6 100 3071 2 FF\n")
    (etc / "ssh_host_ed25519_key.pub").write_text(ED25519 + "\n")
    (etc / "ssh_host_ecdsa_key.pub").write_text(ECDSA256 + "\n")
    home = tmp_path / "home" / "admin"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "authorized_keys").write_text("# keys\n" + ED25519 + "\n")
    (home / ".ssh" / "extra_keys").write_text(RSA2048 + "\n")
    calls = []

    def run_command(self, args, **kwargs):
        calls.append(list(args))
        if args[1:] == ["-V"]:
            return 0, "", "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.20 7 Apr 2026\n"
        if args[1] == "-Q":
            return 0, {"kex": "sntrup761x25519-sha512@openssh.com\ncurve25519-sha256\n"}.get(args[2], "x\n"), ""
        if args[1] == "-T":
            return 0, SSHD_T, ""
        if args[1] == "show":
            return 0, "ActiveState=active\nUnitFileState=enabled\n", ""
        raise AssertionError("unexpected command %s" % args)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)

    def getpwnam(name):
        if name == "admin":
            return Pw("admin", 1000, 1000, str(home))
        raise KeyError(name)

    monkeypatch.setattr(gather_ssh.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(gather_ssh.grp, "getgrgid", lambda gid: Gr("admin", 1000, []))
    monkeypatch.setattr(gather_ssh.grp, "getgrall", lambda: [Gr("sudo", 27, ["admin"]), Gr("other", 5, ["x"])])
    args = {
        "users": ["admin", "ghost"],
        "sshd_config": str(etc / "sshd_config"),
        "ssh_config": str(etc / "ssh_config"),
        "moduli_path": str(etc / "moduli"),
        "host_key_glob": str(etc / "ssh_host_*_key.pub"),
        "service_units": ["ssh.service"],
    }
    return args, etc, calls


def test_gathers_everything_in_one_call(run_module, fake_host):
    args, etc, _calls = fake_host
    failed, result = run_module(ssh_facts.main, args, check_mode=True)
    assert not failed and result["changed"] is False
    assert result["openssh"]["version"] == "9.2"
    assert result["supported"]["kex"] == ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"]
    assert result["config"]["dropins"] == ["00-first.conf", "50-cloud-init.conf"]
    assert result["config"]["dropin_dir"] == str(etc / "sshd_config.d")
    assert result["client_config"]["includes"] == []
    assert result["effective"]["passwordauthentication"] == "no"
    assert result["effective"]["port"] == ["22"]
    assert result["effective_error"] == ""
    assert [(k["type"], k["bits"]) for k in result["host_keys"]] == [
        ("ecdsa-sha2-nistp256", 256), ("ssh-ed25519", 256)]
    assert result["moduli"]["groups"] == 2 and result["moduli"]["groups_below_min"] == 1
    assert result["units"] == {"ssh.service": {"active": "active", "enabled": "enabled"}}


def test_users_keys_from_every_authorized_keys_file(run_module, fake_host):
    args, _etc, _calls = fake_host
    _failed, result = run_module(ssh_facts.main, args)
    admin = result["users"]["admin"]
    assert admin["exists"] and admin["uid"] == 1000
    assert admin["groups"] == ["admin", "sudo"]
    assert [(k["type"], k["bits"]) for k in admin["keys"]] == [("ssh-ed25519", 256), ("ssh-rsa", 2048)]
    assert admin["keys"][1]["file"].endswith("/.ssh/extra_keys")
    assert result["users"]["ghost"] == {"exists": False, "uid": None, "home": None, "groups": [],
                                        "authorized_keys_files": [], "keys": []}


def test_sshd_t_failure_is_reported_not_fatal(run_module, fake_host, monkeypatch):
    args, _etc, _calls = fake_host
    original = basic.AnsibleModule.run_command

    def failing(self, cmd, **kwargs):
        if cmd[1] == "-T":
            return 255, "", "/etc/ssh/sshd_config line 3: Bad configuration option: Nonsense\n"
        return original(self, cmd, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", failing)
    failed, result = run_module(ssh_facts.main, args)
    assert not failed
    assert result["effective"] == {}
    assert "Bad configuration option" in result["effective_error"]
    # default AuthorizedKeysFile is used when sshd -T cannot tell
    assert [k["type"] for k in result["users"]["admin"]["keys"]] == ["ssh-ed25519"]


def test_missing_privilege_separation_directory_is_made_for_the_call_only(run_module, fake_host, monkeypatch, tmp_path):
    args, _etc, _calls = fake_host
    privsep = tmp_path / "run-sshd"
    original = basic.AnsibleModule.run_command
    seen = []

    def needs_privsep(self, cmd, **kwargs):
        if cmd[1] == "-T":
            seen.append(privsep.is_dir())
            if not privsep.is_dir():
                return 255, "", "Missing privilege separation directory: %s\n" % privsep
        return original(self, cmd, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", needs_privsep)
    failed, result = run_module(ssh_facts.main, args)
    assert not failed and result["effective_error"] == ""
    assert result["effective"]["passwordauthentication"] == "no"
    assert True in seen and not privsep.exists(), "made for the call, removed afterwards"


def test_expand_keys_file_tokens():
    entry = Pw("bob", 1001, 1001, "/home/bob")
    assert gather_ssh.expand_keys_file("/etc/ssh/keys/%u", entry) == "/etc/ssh/keys/bob"
    assert gather_ssh.expand_keys_file("%h/.ssh/k_%U_%%", entry) == "/home/bob/.ssh/k_1001_%"
    assert gather_ssh.expand_keys_file(".ssh/authorized_keys", entry) == "/home/bob/.ssh/authorized_keys"


# --- this connection and the candidate configuration (issue 12) -----------------------

LOG = (
    "Accepted publickey for admin from 192.0.2.7 port 40000 ssh2: ED25519 SHA256:old\n"
    "Accepted publickey for admin from 192.0.2.7 port 51234 ssh2: ECDSA SHA256:inuse+/x\n"
    "Accepted publickey for other from 192.0.2.7 port 51234 ssh2: ED25519 SHA256:notthis\n"
)


def test_connection_and_key_in_use_from_sshd_log(run_module, fake_host, monkeypatch):
    args, _etc, calls = fake_host
    original = basic.AnsibleModule.run_command

    def with_journal(self, cmd, **kwargs):
        if cmd[0].endswith("journalctl"):
            return 0, LOG, ""
        return original(self, cmd, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", with_journal)
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 51234 192.0.2.10 22")
    monkeypatch.setattr(gather_ssh, "AUTH_LOGS", ())
    _failed, result = run_module(ssh_facts.main, dict(args, connecting_user="admin"))
    assert result["connection"]["address"] == "192.0.2.7"
    assert result["connection"]["key_in_use"] == "SHA256:inuse+/x"
    # per account, from the connection's address, Match blocks applied by sshd -T -C
    assert ["-C", "user=admin,addr=192.0.2.7,host=192.0.2.7"] == [
        c for c in calls if "-C" in c][0][-2:]
    assert result["current"]["admin"]["_global_password"] == "no"


def test_candidate_is_judged_in_a_copy_with_the_drop_in_in_place(run_module, fake_host, monkeypatch):
    args, etc, _calls = fake_host
    (etc / "sshd_config").write_text("Include %s/sshd_config.d/*.conf\nSubsystem sftp /usr/lib/sftp\n" % etc)
    seen = {}
    original = basic.AnsibleModule.run_command

    def sshd(self, cmd, **kwargs):
        if cmd[1] in ("-t", "-T"):
            main = cmd[cmd.index("-f") + 1]
            text = open(main).read()
            seen["main"] = text
            copy = text.split("Include ")[1].split("/*.conf")[0]
            import os
            seen["dropins"] = sorted(os.listdir(copy))
            seen["new"] = open(os.path.join(copy, "00-hardening.conf")).read()
            if cmd[1] == "-T":
                return 0, "passwordauthentication no\nallowusers ops\n", ""
            return 0, "", ""
        return original(self, cmd, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", sshd)
    _failed, result = run_module(ssh_facts.main, dict(
        args, users=["admin"], candidate="PasswordAuthentication no\n", candidate_dropin="00-hardening.conf"))
    assert set(result) >= {"candidate"} and "users" not in result
    assert result["candidate"]["valid"] is True
    assert result["candidate"]["users"]["admin"]["allowusers"] == ["ops"]
    assert seen["new"] == "PasswordAuthentication no\n"
    assert seen["dropins"] == ["00-first.conf", "00-hardening.conf", "50-cloud-init.conf"]
    assert str(etc) not in seen["main"].split("Include ")[1], "the copy must include the copied drop-ins"
    assert "# Subsystem sftp" in seen["main"]
    # the live files are untouched
    assert (etc / "sshd_config").read_text().endswith("Subsystem sftp /usr/lib/sftp\n")
    assert not (etc / "sshd_config.d" / "00-hardening.conf").exists()


def test_invalid_candidate_says_why(run_module, fake_host, monkeypatch):
    args, _etc, _calls = fake_host
    original = basic.AnsibleModule.run_command

    def sshd(self, cmd, **kwargs):
        if cmd[1] == "-t":
            return 255, "", "Bad configuration option: Nonsense\n"
        return original(self, cmd, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", sshd)
    _failed, result = run_module(ssh_facts.main, dict(args, candidate="Nonsense yes\n"))
    assert result["candidate"] == {"valid": False, "error": "Bad configuration option: Nonsense", "users": {}}


def test_ssh_connection_found_in_an_ancestor_after_sudo(monkeypatch, tmp_path):
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    files = {"/proc/50/environ": b"HOME=/root\0", "/proc/50/status": "Name:\tsudo\nPPid:\t40\n",
             "/proc/40/environ": b"USER=admin\0SSH_CONNECTION=10.0.0.3 5555 10.0.0.1 22\0",
             "/proc/40/status": "Name:\tbash\nPPid:\t1\n"}
    import builtins
    import io
    real_open = builtins.open

    def fake_open(path, mode="r", *a, **k):
        if path in files:
            data = files[path]
            return io.BytesIO(data) if "b" in mode else io.StringIO(data)
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", fake_open)
    found = gather_ssh.ssh_connection(pid=50)
    assert found == {"address": "10.0.0.3", "port": 5555, "server_address": "10.0.0.1", "server_port": 22}
