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
