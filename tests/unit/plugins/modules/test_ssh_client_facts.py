# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ssh_client_facts: what the controller's client offers, with commands answered by a stub."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import ssh_client
from ansible_collections.startsecure.hardening.plugins.modules import ssh_client_facts
from ssh_test_keys import ECDSA256, ED25519, RSA3072


@pytest.fixture
def client(tmp_path, monkeypatch):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "deploy").write_text("PRIVATE\n")
    (keys / "deploy.pub").write_text(ECDSA256 + "\n")
    (keys / "nopub").write_text("PRIVATE\n")
    calls = []
    ssh_g = ("user admin\nkexalgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256\n"
             "ciphers aes256-gcm@openssh.com\nmacs hmac-sha2-256-etm@openssh.com\nidentitiesonly no\n"
             "identityfile %s\nidentityfile %s\nidentityfile ~/.ssh/id_missing\n" % (keys / "deploy", keys / "nopub"))

    def run_command(self, args, **kwargs):
        calls.append(list(args))
        name = args[0].rsplit("/", 1)[-1]
        if args[1:] == ["-V"]:
            return 0, "", "OpenSSH_8.0p1, OpenSSL 1.1.1k  FIPS 25 Mar 2021\n"
        if name == "ssh" and args[1] == "-G":
            return 0, ssh_g, ""
        if name == "ssh-keygen":
            return 0, RSA3072 + "\n", ""
        if name == "ssh-add":
            return 0, ED25519 + "\n" + ECDSA256 + "\n", ""
        raise AssertionError("unexpected command %s" % args)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
    return keys, calls


def test_algorithms_and_identities_of_the_connection(run_module, client):
    keys, calls = client
    failed, result = run_module(ssh_client_facts.main, {
        "host": "192.0.2.10", "port": 2222, "user": "admin", "identity_files": [str(keys / "deploy")],
        "ssh_args": "-F /dev/null -o StrictHostKeyChecking=no -v -o 'ProxyCommand=nc %h %p'"})
    assert not failed and result["changed"] is False
    assert result["source"] == "ssh -G"
    assert result["kex"] == ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"]
    assert result["version"].startswith("OpenSSH_8.0p1")
    g = [c for c in calls if c[1] == "-G"][0]
    assert g[-1] == "192.0.2.10" and "-v" not in g
    assert g[g.index("-i") + 1] == str(keys / "deploy") and g[g.index("-p") + 1] == "2222"
    sources = [(i["type"], i["source"]) for i in result["identities"]]
    # the agent's keys first (ed25519; its ECDSA equals deploy's and is listed once),
    # then the file's .pub, then ssh-keygen -y for a key without .pub
    assert sources == [("ssh-ed25519", "agent"), ("ecdsa-sha2-nistp256", "agent"),
                       ("ssh-rsa", "ssh-keygen -y -f %s" % (keys / "nopub"))]
    assert result["unknown"] == []


def test_identities_only_skips_the_agent_and_option_filter():
    assert ssh_client.option_args("-F /dev/null -vvv -oBatchMode=yes -C -o 'A=b c'") == [
        "-F", "/dev/null", "-oBatchMode=yes", "-o", "A=b c"]
    settings = ssh_client.ssh_g_settings("identitiesonly yes\nidentityfile a\nidentityfile b\n")
    assert settings == {"identitiesonly": "yes", "identityfile": ["a", "b"]}
