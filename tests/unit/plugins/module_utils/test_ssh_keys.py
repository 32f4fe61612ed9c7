# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key parsing must tell sizes from the key material, not from comments."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import ssh_keys
from ssh_test_keys import ECDSA256, ED25519, ED25519_FP, RSA2048, RSA3072, RSA3072_CERT, RSA3072_FP


@pytest.mark.parametrize("text, key_type, bits", [
    (ED25519, "ssh-ed25519", 256),
    (RSA2048, "ssh-rsa", 2048),
    (RSA3072, "ssh-rsa", 3072),
    (ECDSA256, "ecdsa-sha2-nistp256", 256),
    (RSA3072_CERT, "ssh-rsa-cert-v01@openssh.com", 3072),
])
def test_parse_public_key_type_and_bits(text, key_type, bits):
    key = ssh_keys.parse_public_key(text)
    assert key["type"] == key_type
    assert key["bits"] == bits


def test_fingerprint_matches_ssh_keygen():
    assert ssh_keys.parse_public_key(ED25519)["fingerprint"] == ED25519_FP
    assert ssh_keys.parse_public_key(RSA3072)["fingerprint"] == RSA3072_FP


def test_comment_is_kept():
    assert ssh_keys.parse_public_key(RSA2048)["comment"] == "rsa2048@test"


def test_rsa_comment_cannot_lie_about_size():
    kind, blob, _comment = RSA2048.split()
    assert ssh_keys.parse_public_key("%s %s 4096-bit-key" % (kind, blob))["bits"] == 2048


def test_type_and_blob_mismatch_gives_no_size():
    _kind, blob, _comment = ED25519.split()
    # an ed25519 blob announced as ssh-rsa: the size cannot be trusted
    assert ssh_keys.parse_public_key("ssh-rsa %s x" % blob)["bits"] is None


def test_truncated_rsa_blob_gives_no_size():
    kind, blob, _comment = RSA3072.split()
    short = base64.b64encode(base64.b64decode(blob)[:40]).decode()
    assert ssh_keys.parse_public_key("%s %s" % (kind, short))["bits"] is None


@pytest.mark.parametrize("line", ["", "   ", "# ssh-ed25519 AAAA", "not a key", "ssh-ed25519 !!notbase64!!"])
def test_lines_without_a_key(line):
    assert ssh_keys.parse_authorized_keys_line(line) is None


def test_options_are_split_respecting_quotes():
    line = 'from="10.0.0.1,10.0.0.2",command="echo a, b",no-pty %s' % ED25519
    key = ssh_keys.parse_authorized_keys_line(line)
    assert key["type"] == "ssh-ed25519"
    assert key["options"] == ['from="10.0.0.1,10.0.0.2"', 'command="echo a, b"', "no-pty"]


def test_authorized_keys_file_in_order():
    text = "\n".join(["# admins", RSA2048, "", "restrict " + ED25519, "garbage"])
    keys = ssh_keys.parse_authorized_keys(text)
    assert [(k["type"], k["bits"]) for k in keys] == [("ssh-rsa", 2048), ("ssh-ed25519", 256)]
    assert keys[1]["options"] == ["restrict"]


def test_base_key_type():
    assert ssh_keys.base_key_type("ssh-ed25519-cert-v01@openssh.com") == "ssh-ed25519"
    assert ssh_keys.base_key_type("ssh-rsa") == "ssh-rsa"
