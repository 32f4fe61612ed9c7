# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lockout judgement: who would lose access under a planned policy, and why."""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_keys import parse_public_key
from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.ssh_lockout import lockout_problems
from ssh_test_keys import ECDSA256, ED25519, RSA2048, RSA3072

HARDENED = {
    "password_authentication": False,
    "pubkey_accepted_algorithms": ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"],
    "rsa_min_bits": 3072,
    "permit_root_login": "no",
}


def user(*keys, **extra):
    facts = {"exists": True, "uid": 1000, "groups": ["admin"], "keys": [parse_public_key(k) for k in keys],
             "authorized_keys_files": ["/home/u/.ssh/authorized_keys"]}
    facts.update(extra)
    return facts


def test_admin_with_ed25519_key_is_fine():
    assert lockout_problems({"admin": user(ED25519)}, ["admin"], HARDENED) == []


def test_admin_with_rsa_3072_is_fine():
    assert lockout_problems({"admin": user(RSA3072)}, ["admin"], HARDENED) == []


def test_no_key_is_a_lockout_naming_account_and_variable():
    problems = lockout_problems({"nokeys": user()}, ["nokeys"], HARDENED)
    assert len(problems) == 1
    assert "account 'nokeys' would be locked out" in problems[0]
    assert "ssh_password_authentication" in problems[0]
    assert "/home/u/.ssh/authorized_keys" in problems[0]


def test_small_rsa_key_is_a_lockout():
    problems = lockout_problems({"admin": user(RSA2048)}, ["admin"], HARDENED)
    assert len(problems) == 1
    assert "2048 bits is below ssh_rsa_min_bits (3072)" in problems[0]


def test_key_type_not_accepted_is_a_lockout():
    problems = lockout_problems({"admin": user(ECDSA256)}, ["admin"], HARDENED)
    assert "type ecdsa-sha2-nistp256 not in ssh_pubkey_accepted_algorithms" in problems[0]


def test_one_good_key_among_bad_ones_is_enough():
    assert lockout_problems({"admin": user(RSA2048, ECDSA256, ED25519)}, ["admin"], HARDENED) == []


def test_password_login_kept_needs_no_key():
    policy = dict(HARDENED, password_authentication=True)
    assert lockout_problems({"nokeys": user()}, ["nokeys"], policy) == []


def test_missing_account():
    problems = lockout_problems({"ghost": {"exists": False}}, ["ghost"], HARDENED)
    assert "account 'ghost' does not exist" in problems[0]
    assert lockout_problems({}, ["ghost"], HARDENED)[0].startswith("account 'ghost' does not exist")


def test_allow_users_must_admit_the_account():
    policy = dict(HARDENED, allow_users=["ops*", "backup@10.0.0.*"])
    problems = lockout_problems({"admin": user(ED25519)}, ["admin"], policy)
    assert len(problems) == 1 and "ssh_allow_users" in problems[0]
    assert lockout_problems({"ops1": user(ED25519)}, ["ops1"], policy) == []
    assert lockout_problems({"backup": user(ED25519)}, ["backup"], policy) == []  # host part: a note, see test_ssh_lockout_path


def test_allow_groups_must_admit_the_account():
    policy = dict(HARDENED, allow_groups=["sshusers"])
    problems = lockout_problems({"admin": user(ED25519)}, ["admin"], policy)
    assert "ssh_allow_groups" in problems[0]
    ok = user(ED25519, groups=["admin", "sshusers"])
    assert lockout_problems({"admin": ok}, ["admin"], policy) == []


def test_deny_lists():
    facts = {"admin": user(ED25519)}
    assert "ssh_deny_users" in lockout_problems(facts, ["admin"], dict(HARDENED, deny_users=["adm*"]))[0]
    assert "ssh_deny_groups" in lockout_problems(facts, ["admin"], dict(HARDENED, deny_groups=["admin"]))[0]


def test_root_with_permit_root_login_no():
    problems = lockout_problems({"root": user(ED25519, uid=0)}, ["root"], HARDENED)
    assert len(problems) == 1 and "ssh_permit_root_login is 'no'" in problems[0]
    policy = dict(HARDENED, permit_root_login="prohibit-password")
    assert lockout_problems({"root": user(ED25519, uid=0)}, ["root"], policy) == []


def test_root_prohibit_password_needs_a_key_even_with_passwords_on():
    policy = dict(HARDENED, permit_root_login="prohibit-password", password_authentication=True)
    problems = lockout_problems({"root": user(uid=0)}, ["root"], policy)
    assert "account 'root' would be locked out" in problems[0]


def test_pubkey_authentication_off_and_passwords_off():
    policy = dict(HARDENED, pubkey_authentication=False)
    assert "ssh_pubkey_authentication is false" in lockout_problems({"a": user(ED25519)}, ["a"], policy)[0]


def test_defaults_are_strict():
    # With no policy given, password login counts as off.
    assert lockout_problems({"nokeys": user()}, ["nokeys"], None)
