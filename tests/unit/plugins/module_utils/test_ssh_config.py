# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sshd -T, Include lines, moduli and version strings."""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import ssh_config

SSHD_T = """port 22
port 2222
passwordauthentication no
PermitRootLogin no
hostkey /etc/ssh/ssh_host_ed25519_key
hostkey /etc/ssh/ssh_host_rsa_key
subsystem sftp internal-sftp
allowusers admin
kexalgorithms sntrup761x25519-sha512,curve25519-sha256
authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2
"""


def test_parse_sshd_t_scalars_and_lists():
    settings = ssh_config.parse_sshd_t(SSHD_T)
    assert settings["passwordauthentication"] == "no"
    assert settings["permitrootlogin"] == "no"
    assert settings["port"] == ["22", "2222"]
    assert settings["hostkey"] == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key"]
    assert settings["allowusers"] == ["admin"]
    assert settings["subsystem"] == ["sftp internal-sftp"]
    assert settings["authorizedkeysfile"] == [".ssh/authorized_keys .ssh/authorized_keys2"]
    assert settings["kexalgorithms"] == "sntrup761x25519-sha512,curve25519-sha256"


def test_parse_sshd_t_keeps_first_scalar():
    assert ssh_config.parse_sshd_t("loglevel VERBOSE\nloglevel INFO\n")["loglevel"] == "VERBOSE"


def test_find_includes_ignores_comments():
    text = "# Include /nope/*.conf\nInclude /etc/ssh/sshd_config.d/*.conf\n  include a.conf b.conf\nPort 22\n"
    assert ssh_config.find_includes(text) == ["/etc/ssh/sshd_config.d/*.conf", "a.conf", "b.conf"]
    assert ssh_config.find_includes("Port 22\n") == []


def test_parse_version_debian_12_and_13():
    v12 = ssh_config.parse_version("OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.20 7 Apr 2026")
    assert v12 == {"full": "OpenSSH_9.2p1 Debian-2+deb12u10", "major": 9, "minor": 2, "version": "9.2"}
    v13 = ssh_config.parse_version("OpenSSH_10.0p2 Debian-7+deb13u4, OpenSSL 3.5.9")
    assert (v13["major"], v13["minor"], v13["version"]) == (10, 0, "10.0")
    assert ssh_config.parse_version("no version here") is None
    assert ssh_config.parse_version(None) is None


def test_moduli_summary_counts_small_groups():
    text = "\n".join([
        "#    $OpenBSD: moduli,v 1.3",
        "20230316083349 2 6 100 2047 5 FFFF",
        "20230316083349 2 6 100 3071 2 FFFF",
        "20230316083349 2 6 100 4095 2 FFFF",
        "broken line",
    ])
    assert ssh_config.moduli_summary(text, 3072) == {"groups": 3, "groups_below_min": 1, "min_bits": 3072}
    assert ssh_config.moduli_summary(text, 4096)["groups_below_min"] == 2
    assert ssh_config.moduli_summary("", 3072)["groups"] == 0


def test_accepted_key_matches_user_address_and_port():
    from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import accepted_key
    log = ("sshd-session[9]: Accepted publickey for admin from 10.0.0.3 port 5555 ssh2: RSA SHA256:abc/+1\n"
           "sshd-session[9]: Accepted publickey for admin from 10.0.0.3 port 5556 ssh2: ED25519 SHA256:other\n")
    assert accepted_key(log, "admin", "10.0.0.3", 5555) == "SHA256:abc/+1"
    assert accepted_key(log, "admin", "10.0.0.4", 5555) is None
    assert accepted_key(log, "root", "10.0.0.3", 5555) is None


def test_ssh_connection_and_environ_parsing():
    from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import (
        environ_value,
        parse_ssh_connection,
    )
    assert parse_ssh_connection("::1 41000 ::1 22")["address"] == "::1"
    assert parse_ssh_connection("garbage") is None
    assert environ_value(b"A=1\0SSH_CONNECTION=x y\0", "SSH_CONNECTION") == "x y"
    assert environ_value(b"A=1\0", "SSH_CONNECTION") is None


def test_redirect_include_and_subsystem():
    from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import (
        comment_out_subsystem_sftp,
        redirect_include,
    )
    text = "Include /etc/ssh/sshd_config.d/*.conf\nSubsystem\tsftp /usr/lib/openssh/sftp-server\n"
    assert redirect_include(text, "/etc/ssh/sshd_config.d", "/tmp/x/d").startswith("Include /tmp/x/d/*.conf\n")
    assert redirect_include("include sshd_config.d/*.conf\n", "/etc/ssh/sshd_config.d", "/t") == "include /t/*.conf\n"
    assert "# Subsystem\tsftp" in comment_out_subsystem_sftp(text)
