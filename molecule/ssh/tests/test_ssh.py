# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the ssh role from outside, the way an attacker and an admin see the host.

Every test talks to the container's real sshd: over the port Docker published on
127.0.0.1 (ssh, ssh-audit) or by running the role again with side variables.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

BIN = os.path.dirname(sys.executable)
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
ADMIN_KEY = os.path.join(EPHEMERAL, "admin_ed25519")
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DROPIN = "/etc/ssh/sshd_config.d/00-startsecure-hardening.conf"

# ssh-audit judges CVEs by the version in the banner. Debian backports fixes without
# changing the upstream version, so a CVE may be listed although the installed
# package is fixed. Only such entries may be excluded, each with the Debian package
# version that fixed it; test_ssh_audit checks the installed version is at least that.
# ssh-audit 3.9 reads Debian's banner suffix and reports none for the tested images,
# so the list is empty; an entry here must name its fix:
#   "CVE-2024-6387": {"debian12": "1:9.2p1-2+deb12u3"},
CVE_FIXED_BY_DEBIAN = {}


def container(host):
    return host.backend.host


def published_port(host):
    out = subprocess.run(["docker", "port", container(host), "22"], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("127.0.0.1:"):
            return int(line.rsplit(":", 1)[1])
    raise AssertionError("sshd of %s is not published on 127.0.0.1: %r" % (container(host), out))


def ssh_args(host, user, *extra, command=None, level="ERROR"):
    if shutil.which("ssh") is None:
        pytest.fail("no ssh client on the controller: install openssh-client")
    level = "DEBUG1" if "-v" in extra else level
    return ["ssh", "-p", str(published_port(host)), "-F", "/dev/null",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=10", "-o", "LogLevel=" + level] + [e for e in extra if e != "-v"] + \
        ["%s@127.0.0.1" % user] + ([command] if command else [])


def ssh(host, user, *extra, env=None, command="id -un", retries=4, level="ERROR"):
    """A real ssh connection from the controller to the container's sshd.

    OpenSSH >= 9.8 (Debian 13) penalises a source address that fails to
    authenticate (PerSourcePenalties) by refusing it for a while; a refused
    connection is retried after a pause, an authentication answer is not.
    """
    args = ssh_args(host, user, *extra, command=command, level=level)
    for _attempt in range(retries):
        result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False,
                                stdin=subprocess.DEVNULL,
                                env=dict(os.environ, **(env or {})))
        refused = result.returncode == 255 and any(
            marker in result.stderr for marker in (
                "Connection closed by", "Connection reset", "kex_exchange_identification"))
        if not refused:
            return result
        time.sleep(8)
    return result


def key_login(host, user):
    return ssh(host, user, "-i", ADMIN_KEY, "-o", "BatchMode=yes",
               "-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey")


def sha256(host, path):
    return host.check_output("sha256sum %s" % path).split()[0]


def sshd_state(host):
    """What would show any change to sshd: files, effective settings, reloads."""
    return {
        "sshd_config": sha256(host, "/etc/ssh/sshd_config"),
        "dropins": host.check_output("cat /etc/ssh/sshd_config.d/*.conf | sha256sum"),
        "effective": host.check_output("sshd -T"),
        "pid": host.check_output("systemctl show -p MainPID --value ssh.service"),
        "reloads": host.check_output(
            "journalctl -u ssh.service --no-pager -o cat | grep -c 'Received SIGHUP' || true"),
    }


def run_role(host, *extra_vars, over_ssh=False, user="sshadmin", key=ADMIN_KEY, client_args=""):
    """Run the role again against this container with side variables.

    By default through `docker exec` like Molecule; over_ssh connects as ``user`` with
    ``key`` through the container's sshd on 127.0.0.1, as an operator would, with the
    controller's ssh client given ``client_args`` (ssh -o options) on top.
    """
    if over_ssh:
        target = ["-i", "127.0.0.1,", "-e", json.dumps({
            "ansible_port": published_port(host), "ansible_user": user, "ansible_become": True,
            "ansible_ssh_private_key_file": key,
            "ansible_ssh_common_args": " ".join(filter(None, [
                "-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null", client_args]))})]
    else:
        target = ["-i", "%s," % container(host), "-c", "community.docker.docker"]
    cmd = [os.path.join(BIN, "ansible-playbook")] + target + [
        "-e", "ansible_python_interpreter=/usr/bin/python3", os.path.join(SCENARIO_DIR, "rerun.yml")]
    for extra in extra_vars:
        cmd += ["-e", json.dumps(extra)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1"))


# --- the effective configuration -----------------------------------------------------


def test_dropin_is_read_first_and_wins_over_cloud_init(host):
    dropins = host.check_output("ls /etc/ssh/sshd_config.d").split()
    assert "50-cloud-init.conf" in dropins, "prepare.yml planted it; it must still be there"
    assert sorted(dropins)[0] == os.path.basename(DROPIN)
    effective = host.check_output("sshd -T")
    assert "passwordauthentication no" in effective.splitlines()
    assert "kbdinteractiveauthentication no" in effective.splitlines()
    assert "permitrootlogin no" in effective.splitlines()
    assert "subsystem sftp internal-sftp" in effective.splitlines()
    assert "loglevel VERBOSE" in effective.splitlines()
    assert "x11forwarding no" in effective.splitlines()
    assert "allowtcpforwarding no" in effective.splitlines()
    assert "permituserenvironment no" in effective.splitlines()


def test_both_ways_of_running_sshd_are_exercised(host):
    # prepare.yml switches Debian 13 to socket activation; Debian 12 keeps ssh.service.
    socket = host.run("systemctl is-enabled ssh.socket").stdout.strip()
    service = host.run("systemctl is-enabled ssh.service").stdout.strip()
    if container(host).endswith("debian13"):
        assert (socket, service) == ("enabled", "disabled")
    else:
        assert (socket, service) == ("disabled", "enabled")


def test_sshd_config_validates_and_files_are_safe(host):
    assert host.run("sshd -t").rc == 0
    dropin = host.file(DROPIN)
    assert (dropin.user, dropin.group, dropin.mode) == ("root", "root", 0o600)
    for key in ("ed25519", "rsa"):
        private = host.file("/etc/ssh/ssh_host_%s_key" % key)
        assert (private.user, private.mode) == ("root", 0o600)
    assert not host.file("/etc/ssh/ssh_host_ecdsa_key").exists
    assert not host.file("/etc/ssh/ssh_host_dsa_key").exists


def test_moduli_has_no_group_below_3072_bits(host):
    small = host.check_output("awk '!/^#/ && $5 + 1 < 3072' /etc/ssh/moduli | wc -l")
    assert int(small) == 0
    assert int(host.check_output("awk '!/^#/' /etc/ssh/moduli | wc -l")) > 0


def test_client_config_is_hardened(host):
    conf = host.check_output("ssh -G localhost")
    lines = conf.splitlines()
    assert "hashknownhosts yes" in lines
    assert "forwardagent no" in lines
    assert "forwardx11 no" in lines


# --- from outside: ssh-audit and real logins -------------------------------------------


def test_admin_key_login_works(host):
    result = key_login(host, "sshadmin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sshadmin"


def test_ssh_audit_reports_no_failure_and_no_warning(host):
    audit = os.path.join(BIN, "ssh-audit")
    result = subprocess.run([audit, "-j", "--skip-rate-test", "-p", str(published_port(host)),
                             "127.0.0.1"], capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(result.stdout.splitlines()[0])
    assert report["banner"]["software"], "ssh-audit got no banner: %s" % result.stdout
    findings = []
    for section in ("kex", "key", "enc", "mac"):
        for entry in report.get(section, []):
            notes = entry.get("notes", {})
            for level in ("fail", "warn"):
                for note in notes.get(level, []):
                    findings.append("%s %s %s: %s" % (level, section, entry["algorithm"], note))
    for level, changes in report.get("recommendations", {}).items():
        for action, sections in changes.items():
            for section, entries in sections.items():
                for entry in entries:
                    findings.append("recommendation %s %s %s %s" % (level, action, section, entry["name"]))
    distro = container(host).rsplit("-", 1)[-1]
    installed = host.check_output("dpkg-query -W -f '${Version}' openssh-server")
    for cve in report.get("cves", []):
        fixed = CVE_FIXED_BY_DEBIAN.get(cve["name"], {}).get(distro)
        if fixed is None or host.run(
                "dpkg --compare-versions %s ge %s" % (installed, fixed)).rc != 0:
            findings.append("cve %s (cvss %s): %s" % (cve["name"], cve.get("cvssv2"), cve.get("description")))
    assert not findings, "\n".join(findings)
    kex = [entry["algorithm"] for entry in report["kex"]]
    # post-quantum hybrids only: mlkem768 where OpenSSH has it (>= 9.9), sntrup761 else
    assert kex[0] in ("mlkem768x25519-sha256", "sntrup761x25519-sha512",
                      "sntrup761x25519-sha512@openssh.com")
    keys = {entry["algorithm"] for entry in report["key"]}
    assert keys <= {"ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"}, keys
    assert "ssh-ed25519" in keys
    for entry in report["key"]:
        assert entry.get("keysize") is None or entry["keysize"] >= 3072, entry


def test_host_keys_are_ed25519_and_rsa_of_3072_bits_or_more(host):
    found = {}
    for pub in host.check_output("ls /etc/ssh/ssh_host_*_key.pub").split():
        bits, _fp, _comment = host.check_output("ssh-keygen -l -f %s" % pub).split(None, 2)
        found[pub.split("/")[-1]] = int(bits)
    assert set(found) == {"ssh_host_ed25519_key.pub", "ssh_host_rsa_key.pub"}, found
    assert found["ssh_host_rsa_key.pub"] >= 3072
    if container(host).endswith("debian12"):
        # prepare.yml planted a 2048-bit key there; the role regenerated it (ssh_host_rsa_bits)
        assert found["ssh_host_rsa_key.pub"] == 4096


def password_login(host, user):
    """ssh with the password prepare.yml set (sshpw, deploy), keys switched off."""
    askpass = os.path.join(EPHEMERAL, "askpass.sh")
    with open(askpass, "w") as handle:
        handle.write("#!/bin/sh\necho 'Molecule-Pw-Test-1'\n")
    os.chmod(askpass, 0o700)
    return ssh(host, user, "-o", "PubkeyAuthentication=no",
               "-o", "PreferredAuthentications=password,keyboard-interactive",
               "-o", "NumberOfPasswordPrompts=1",
               env={"SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"})


def test_password_login_is_refused(host):
    # The password is right (prepare.yml set it), so only the server can refuse it.
    result = password_login(host, "sshpw")
    assert result.returncode == 255, result.stdout
    assert "Permission denied (publickey)" in result.stderr, result.stderr


def test_agent_with_four_keys_logs_in_with_the_fourth(host, tmp_path):
    """MaxAuthTries must leave room for the keys an agent offers first (issue 12).

    Three keys the server does not know are offered before the admin's; with
    MaxAuthTries 3 the server would cut the connection after the third and OpenSSH
    >= 9.8 (Debian 13) would then penalise the source address.
    """
    unknown = []
    for index in range(3):
        path = str(tmp_path / ("unknown%d" % index))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        unknown += ["-i", path]
    result = ssh(host, "sshadmin", *(unknown + ["-i", ADMIN_KEY, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                                                "-o", "PreferredAuthentications=publickey", "-v"]))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "sshadmin"
    # the client really offered the unknown keys first: the server refused three
    offered = [line for line in result.stderr.splitlines() if "Offering public key" in line]
    assert len(offered) == 4, offered
    assert offered[-1].find(ADMIN_KEY) >= 0, offered


def test_forwarding_attempts_are_refused(host):
    """Behaviour, beside the sshd -T text: -W, -R and -L are refused by the server."""
    base = ["-i", ADMIN_KEY, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    # -W asks for a direct-tcpip channel, the same request -L makes for each connection
    result = ssh(host, "sshadmin", *(base + ["-W", "127.0.0.1:22"]), command=None, level="INFO")
    assert result.returncode != 0
    assert "administratively prohibited" in result.stderr, result.stderr
    result = ssh(host, "sshadmin", *(base + ["-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22"]),
                 command="true", level="INFO")
    assert result.returncode != 0 and "forwarding failed" in result.stderr, result.stderr
    # -L: the client listens; a connection through it must be refused by the server
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    local_port = probe.getsockname()[1]
    probe.close()
    tunnel = subprocess.Popen(ssh_args(host, "sshadmin", *(base + ["-N", "-L", "127.0.0.1:%d:127.0.0.1:22" % local_port]), level="INFO"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 90
        answer = None
        while time.time() < deadline and answer is None:
            try:
                with socket.create_connection(("127.0.0.1", local_port), timeout=5) as conn:
                    conn.settimeout(10)
                    answer = conn.recv(64)
            except OSError:
                time.sleep(1)
        assert answer == b"", "a connection through -L got %r: the server forwarded it" % answer
    finally:
        tunnel.terminate()
        try:
            err = tunnel.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:  # a loaded machine: stop it the hard way
            tunnel.kill()
            err = tunnel.communicate(timeout=30)[1]
    assert "administratively prohibited" in err, err


def test_agent_forwarding_is_refused(host, tmp_path):
    sock = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _wait in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        subprocess.run(["ssh-add", ADMIN_KEY], env=dict(os.environ, SSH_AUTH_SOCK=sock), check=True,
                       capture_output=True)
        result = ssh(host, "sshadmin", "-A", "-o", "BatchMode=yes", env={"SSH_AUTH_SOCK": sock},
                     command="echo agent=${SSH_AUTH_SOCK:-none}; ssh-add -l; true")
        assert result.returncode == 0, result.stderr
        # the login used the agent (no -i), yet the server gives the session no agent
        assert "agent=none" in result.stdout, result.stdout
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def sftp(host, user, batch):
    args = ["sftp", "-P", str(published_port(host)), "-F", "/dev/null", "-i", ADMIN_KEY,
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-b", "-", "%s@127.0.0.1" % user]
    return subprocess.run(args, input=batch, capture_output=True, text=True, timeout=60, check=False)


def test_sftp_only_user_lands_in_the_chroot(host, tmp_path):
    """ssh_sftp_chroot_group (converge.yml): the member sees its chroot as / and nothing else."""
    proof = tmp_path / "proof"
    proof.write_text("uploaded through the chroot\n")
    result = sftp(host, "sftpuser", "pwd\nls -1 /\nput %s /upload/proof\n" % proof)
    assert result.returncode == 0, result.stderr
    assert "Remote working directory: /" in result.stdout, result.stdout
    listed = [line.strip() for line in result.stdout.splitlines() if line.strip() and not line.startswith("sftp>")
              and not line.startswith("Remote working")]
    assert listed == ["/upload"], listed
    # the upload landed in the chroot on the host, not in a /upload of the host
    assert host.file("/srv/sftp/sftpuser/upload/proof").exists
    assert not host.file("/upload").exists
    # the host's /etc is out of reach
    result = sftp(host, "sftpuser", "ls /etc/passwd\n")
    assert result.returncode != 0


def test_sftp_only_user_cannot_run_a_shell_or_a_command(host):
    for command in ("id -un", "echo shell-ran"):
        result = ssh(host, "sftpuser", "-i", ADMIN_KEY, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                     command=command)
        # authentication succeeds (the key is valid) but ForceCommand internal-sftp runs
        # instead of the command: nothing the command would print comes back
        assert "Permission denied" not in result.stderr, result.stderr
        assert "sftpuser" not in result.stdout and "shell-ran" not in result.stdout, result.stdout
    # and the account is not simply locked: the same key gets an sftp session
    assert sftp(host, "sftpuser", "pwd\n").returncode == 0


def test_root_login_is_refused_even_with_a_valid_key(host):
    # root holds the same key that lets sshadmin in (prepare.yml).
    assert host.file("/root/.ssh/authorized_keys").content_string == \
        host.file("/home/sshadmin/.ssh/authorized_keys").content_string
    result = key_login(host, "root")
    assert result.returncode == 255, result.stdout
    assert "Permission denied" in result.stderr, result.stderr


# --- the role refuses harmful runs, before any change ------------------------------------


def test_lockout_is_prevented_and_nothing_changes(host):
    before = sshd_state(host)
    # ssh_max_auth_tries: 4 would change the drop-in if the role went on.
    result = run_role(host, {"ssh_admin_users": ["nokeys"], "ssh_max_auth_tries": 4})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "LOCKOUT PREVENTED" in output, output
    assert "account 'nokeys' would be locked out" in output
    assert "ssh_password_authentication" in output
    assert sshd_state(host) == before


def test_connecting_account_must_stay_admitted(host):
    """Over ssh the connecting account is protected without being named anywhere."""
    before = sshd_state(host)
    # AllowUsers without sshadmin would shut out the account this run connects as.
    result = run_role(host, {"ssh_admin_users": [], "ssh_allow_users": ["someone-else"]}, over_ssh=True)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "LOCKOUT PREVENTED" in output, output
    assert "account 'sshadmin' is not admitted by ssh_allow_users" in output, output
    assert sshd_state(host) == before


def test_allow_users_host_part_without_the_controller_address_is_refused(host):
    """The address sshd sees for this very connection decides user@host entries."""
    before = sshd_state(host)
    result = run_role(host, {"ssh_admin_users": [], "ssh_allow_users": ["sshadmin@10.0.0.*"]}, over_ssh=True)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "LOCKOUT PREVENTED" in output, output
    assert "account 'sshadmin' is admitted by ssh_allow_users ['sshadmin@10.0.0.*'] only from other addresses" \
        in output, output
    # the rest of the real path passed: the controller's client, the key it uses (sshadmin's
    # ed25519, named by sshd's log and by the controller), the candidate's sshd -T -C
    assert "account 'sshadmin' would be locked out" not in output and "fails sshd -t" not in output, output
    assert sshd_state(host) == before


@contextlib.contextmanager
def older_server(host):
    """The container's sshd as a host hardened less strictly, for the lockout tests that
    need a way in that works TODAY and that the role's plan would close:

    - classic curve25519-sha256 beside the post-quantum key exchange, so a controller
      restricted to it still connects;
    - RequiredRSASize 2048, so rsaadmin's RSA-2048 key logs in;
    - no AuthenticationMethods line, and `Match User deploy` / `PasswordAuthentication yes`
      in a drop-in, so deploy logs in with its password, and only through that block.

    The role's drop-in is edited in place and put back afterwards, byte for byte.
    """
    saved = host.check_output("base64 -w0 %s" % DROPIN)
    match = "/etc/ssh/sshd_config.d/60-deploy-match.conf"
    # Debian 13 runs sshd from ssh.socket: each connection's instance may remove /run/sshd
    # (RuntimeDirectory) that sshd -t and the unit's ExecReload need, so it is made first.
    reload_cmd = ("mkdir -p -m 0755 /run/sshd && sshd -t && { ! systemctl -q is-active ssh.service || "
                  "systemctl reload ssh.service || systemctl restart ssh.service; }")
    try:
        host.check_output(
            "sed -i -e '/^KexAlgorithms /s/$/,curve25519-sha256/' -e 's/^RequiredRSASize .*/RequiredRSASize 2048/' "
            "-e '/^AuthenticationMethods /d' %s" % DROPIN)
        host.check_output("printf 'Match User deploy\\n    PasswordAuthentication yes\\n' > %s && chmod 600 %s" % (
            match, match))
        host.check_output(reload_cmd)
        time.sleep(1)
        yield
    finally:
        host.run("rm -f %s" % match)
        host.check_output("echo %s | base64 -d > %s" % (saved, DROPIN))
        host.check_output(reload_cmd)
        time.sleep(1)


def refused_before_any_change(host, *extra_vars, **login):
    """Run the role over ssh; it must refuse and leave sshd exactly as it was. -> output"""
    before = sshd_state(host)
    result = run_role(host, *extra_vars, over_ssh=True, **login)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "LOCKOUT PREVENTED" in output, output
    assert sshd_state(host) == before, "the refused run changed sshd: " + output
    return output


def test_lockouts_on_the_real_path_are_refused_before_any_change(host):
    """Issue 12, must show 4: over a real ssh login, each way in that works today and the
    plan would close is refused before any change, naming the account and the reason.
    One relaxed starting point (older_server) serves the three cases."""
    rsa_key = os.path.join(EPHEMERAL, "rsaadmin_rsa2048")
    with older_server(host):
        # today each way in works
        classic = ["-o", "KexAlgorithms=curve25519-sha256"]
        assert key_login(host, "sshadmin").returncode == 0
        result = ssh(host, "sshadmin", *(classic + ["-i", ADMIN_KEY, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]))
        assert result.returncode == 0, result.stderr
        result = ssh(host, "rsaadmin", "-i", rsa_key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes")
        assert result.returncode == 0 and result.stdout.strip() == "rsaadmin", result.stderr
        result = password_login(host, "deploy")
        assert result.returncode == 0 and result.stdout.strip() == "deploy", result.stderr

        # (a) the controller's client offers only classic key exchange; the plan is post-quantum only
        output = refused_before_any_change(host, {"ssh_admin_users": []}, client_args=" ".join(classic))
        assert "account 'sshadmin' would be locked out: the controller's ssh client" in output, output
        assert "shares no key exchange" in output and "ssh_kex_classic_fallback" in output, output

        # (b) the key rsaadmin logs in with is RSA-2048; the ed25519 key beside it in its file is fine
        fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", rsa_key + ".pub"], check=True,
                                     capture_output=True, text=True).stdout.split()[1]
        output = refused_before_any_change(host, {"ssh_admin_users": []}, user="rsaadmin", key=rsa_key)
        assert "account 'rsaadmin' would be locked out" in output, output
        assert "the key it logs in with (ssh-rsa %s" % fingerprint in output, output
        assert "RSA key of 2048 bits is below ssh_rsa_min_bits (3072)" in output, output
        assert "Another key in its file would be accepted (ssh-ed25519" in output, output

        # (d) deploy gets in only by the Match block's password; the plan's AuthenticationMethods closes it
        output = refused_before_any_change(host, {"ssh_admin_users": ["sshadmin", "deploy"]})
        assert "account 'deploy' would be locked out: today a Match block lets it log in with a password" \
            in output, output
        assert "AuthenticationMethods publickey, which has no password step" in output, output
        assert "account 'sshadmin'" not in output, output

        # and the ways in still work: nothing was changed
        assert password_login(host, "deploy").returncode == 0
        assert ssh(host, "rsaadmin", "-i", rsa_key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes").returncode == 0
    # put back (read from sshd, not by a failing login: Debian 13 would penalise the source)
    assert "authenticationmethods publickey" in host.check_output(
        "mkdir -p -m 0755 /run/sshd && sshd -T -C user=deploy,addr=127.0.0.1,host=localhost").splitlines()


def test_the_check_finds_the_key_in_use_and_the_address_over_ssh(host):
    """The facts the lockout check judges, gathered over a real ssh login with sudo:
    SSH_CONNECTION from the login shell (sudo drops it) and the key sshd logged as
    accepted (sshd on Debian 12, sshd-session on Debian 13); on the controller, the key
    ssh_client_facts says the connection uses."""
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", ADMIN_KEY + ".pub"], check=True,
                                 capture_output=True, text=True).stdout.split()[1]
    common = {"ansible_port": published_port(host), "ansible_user": "sshadmin", "ansible_become": True,
              "ansible_ssh_private_key_file": ADMIN_KEY, "ansible_python_interpreter": "/usr/bin/python3",
              "ansible_ssh_common_args": "-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}
    result = subprocess.run([os.path.join(BIN, "ansible"), "all", "-i", "127.0.0.1,", "-e", json.dumps(common),
                             "-m", "startsecure.hardening.ssh_facts", "-a", "users=sshadmin connecting_user=sshadmin",
                             "-o"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    facts = json.loads(result.stdout.split("=>", 1)[1])
    assert facts["connection"]["key_in_use"] == fingerprint, facts["connection"]
    assert facts["connection"]["address"] and facts["connection"]["address"] != "127.0.0.1", facts["connection"]
    assert facts["current"]["sshadmin"]["pubkeyauthentication"] == "yes"
    result = subprocess.run([os.path.join(BIN, "ansible"), "localhost", "-c", "local", "-o",
                             "-m", "startsecure.hardening.ssh_client_facts",
                             "-a", "host=127.0.0.1 port=%d user=sshadmin identity_files=%s ssh_args='-F /dev/null'" % (
                                 published_port(host), ADMIN_KEY)],
                            capture_output=True, text=True, timeout=120, check=False,
                            env=dict(os.environ, SSH_AUTH_SOCK=""))
    assert result.returncode == 0, result.stdout + result.stderr
    client = json.loads(result.stdout.split("=>", 1)[1])
    assert client["source"] == "ssh -G" and client["kex"], client
    assert client["identities"][0]["fingerprint"] == fingerprint, client["identities"]


def test_no_ssh_connection_and_no_admin_users_is_refused(host):
    if not container(host).endswith("debian12"):
        pytest.skip("does not depend on the target; proven on debian12")
    before = sshd_state(host)
    result = run_role(host, {"ssh_admin_users": []})
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "no account is protected: the play connects with 'community.docker.docker'" in output, output
    assert sshd_state(host) == before


@pytest.mark.parametrize("extra, expected", [
    ({"ssh_permit_root_login": "maybe"}, "ssh_permit_root_login"),
    ({"ssh_max_auth_tries": -1}, "ssh_max_auth_tries=-1"),
])
def test_wrong_value_stops_the_play_before_any_change(host, extra, expected):
    if not container(host).endswith("debian12"):
        pytest.skip("variable validation does not depend on the target; proven on debian12")
    before = sshd_state(host)
    # ssh_max_sessions: 7 would change the drop-in if validation let the run through.
    result = run_role(host, dict(extra, ssh_max_sessions=7))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert expected in output, output
    assert "changed=0" in output.replace(" ", ""), output
    assert sshd_state(host) == before
