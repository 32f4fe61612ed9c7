# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lockout judgement follows the path the play really uses (issue 12).

Each refusal names the account and the reason; each has a twin that passes, so a
test fails if the check stops refusing or starts refusing everything.
"""

from __future__ import annotations

import calendar

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_keys import (
    parse_authorized_keys_line,
    parse_public_key,
)
from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.ssh_lockout import (
    address_in_pattern_list,
    ca_problems,
    lockout_report,
    parse_expiry_time,
)
from ssh_test_keys import ECDSA256, ED25519, RSA2048, RSA3072

PQ_ONLY = ["mlkem768x25519-sha256", "sntrup761x25519-sha512"]
PLAN = {
    "password_authentication": False,
    "pubkey_accepted_algorithms": ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"],
    "rsa_min_bits": 3072,
    "kex_algorithms": PQ_ONLY,
    "ciphers": ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes256-ctr"],
    "macs": ["hmac-sha2-512-etm@openssh.com"],
}
# OpenSSH 8.0 as on RHEL 8: no post-quantum key exchange, no etm-only restriction.
RHEL8_CLIENT = {"version": "OpenSSH_8.0p1", "kex": ["curve25519-sha256", "ecdh-sha2-nistp256"],
                "cipher": ["aes256-ctr", "aes128-ctr"], "mac": ["hmac-sha2-512-etm@openssh.com"]}
NEW_CLIENT = {"version": "OpenSSH_10.0p2", "kex": ["mlkem768x25519-sha256", "curve25519-sha256"],
              "cipher": ["chacha20-poly1305@openssh.com"], "mac": ["hmac-sha2-256"]}
NOW = calendar.timegm((2026, 12, 2, 12, 0, 0))


def fp(key_text):
    return parse_public_key(key_text)["fingerprint"]


def user(*lines, **extra):
    facts = {"exists": True, "uid": 1000, "groups": ["admin"],
             "keys": [parse_authorized_keys_line(line) for line in lines],
             "authorized_keys_files": ["/home/admin/.ssh/authorized_keys"]}
    facts.update(extra)
    return facts


def over_ssh(**extra):
    context = {"connection": "ssh", "connecting_user": "admin", "client_address": "192.0.2.7", "now": NOW}
    context.update(extra)
    return context


def judge(users, accounts=("admin",), policy=None, **context):
    return lockout_report(users, list(accounts), dict(PLAN, **(policy or {})), over_ssh(**context))


# --- (a) the controller's own client must share kex, cipher, MAC -----------------------


def test_controller_without_shared_kex_is_refused_naming_the_variable():
    report = judge({"admin": user(ED25519)}, client=RHEL8_CLIENT)
    assert len(report["problems"]) == 1, report
    message = report["problems"][0]
    assert "account 'admin'" in message
    assert "no key exchange" in message
    assert "ssh_kex_classic_fallback" in message
    assert "OpenSSH_8.0p1" in message


def test_controller_with_classic_fallback_planned_passes():
    plan = {"kex_algorithms": PQ_ONLY + ["curve25519-sha256"]}
    assert judge({"admin": user(ED25519)}, policy=plan, client=RHEL8_CLIENT)["problems"] == []


def test_new_controller_passes_and_aead_cipher_needs_no_common_mac():
    # NEW_CLIENT offers only hmac-sha2-256 (not planned) but chacha20-poly1305 is common.
    assert judge({"admin": user(ED25519)}, client=NEW_CLIENT)["problems"] == []


def test_controller_without_shared_cipher_or_mac_is_refused():
    client = dict(NEW_CLIENT, cipher=["aes128-ctr"], mac=["hmac-sha1"])
    problems = judge({"admin": user(ED25519)}, client=client)["problems"]
    assert any("no cipher" in p and "ssh_ciphers" in p for p in problems), problems
    client = dict(NEW_CLIENT, cipher=["aes256-ctr"], mac=["hmac-sha1"])
    problems = judge({"admin": user(ED25519)}, client=client)["problems"]
    assert len(problems) == 1 and "no MAC" in problems[0] and "ssh_macs" in problems[0], problems


def test_paramiko_is_not_judged_by_the_controller_openssh():
    report = judge({"admin": user(ED25519)}, connection="paramiko", client=RHEL8_CLIENT)
    assert report["problems"] == []


# --- (b) the key the account logs in with is judged, not any key -----------------------


@pytest.mark.parametrize("bad", [ECDSA256, RSA2048], ids=["ecdsa", "rsa2048"])
def test_key_in_use_refused_while_another_key_is_fine_is_a_lockout(bad):
    client = dict(NEW_CLIENT, identities=[{"fingerprint": fp(bad), "source": "ansible_ssh_private_key_file"}])
    report = judge({"admin": user(bad, ED25519)}, client=client)
    assert len(report["problems"]) == 1, report
    message = report["problems"][0]
    assert message.startswith("account 'admin' would be locked out")
    assert fp(bad) in message and "the key it logs in with" in message
    assert "Another key in its file would be accepted (ssh-ed25519" in message
    # the same file, the controller using the good key: nothing to refuse
    client["identities"] = [{"fingerprint": fp(ED25519), "source": "ansible_ssh_private_key_file"}]
    assert judge({"admin": user(bad, ED25519)}, client=client)["problems"] == []


def test_key_named_by_sshd_log_wins_over_controller_guess():
    client = dict(NEW_CLIENT, identities=[{"fingerprint": fp(ED25519), "source": "agent"},
                                          {"fingerprint": fp(ECDSA256), "source": "agent"}])
    report = judge({"admin": user(ECDSA256, ED25519)}, client=client, key_in_use={"admin": fp(ECDSA256)})
    assert len(report["problems"]) == 1 and "sshd's log names" in report["problems"][0]


def test_without_knowing_the_key_any_accepted_key_is_enough():
    # no identities, no log line: the old rule (some accepted key) still holds
    assert judge({"admin": user(ECDSA256, ED25519)}, client=NEW_CLIENT)["problems"] == []
    assert judge({"admin": user(ECDSA256)}, client=NEW_CLIENT)["problems"] != []


def test_controller_keys_not_in_the_file_is_a_lockout():
    client = dict(NEW_CLIENT, identities=[{"fingerprint": fp(RSA3072), "source": "~/.ssh/id_rsa"}])
    problems = judge({"admin": user(ED25519)}, client=client)["problems"]
    assert len(problems) == 1 and "none of them is in its authorized keys" in problems[0]


def test_admin_users_other_than_the_connecting_one_keep_the_any_key_rule():
    client = dict(NEW_CLIENT, identities=[{"fingerprint": fp(ED25519), "source": "agent"}])
    users = {"admin": user(ED25519), "ops": user(ECDSA256, RSA3072)}
    assert judge(users, accounts=["admin", "ops"], client=client)["problems"] == []


def test_from_option_without_the_controller_address_is_a_lockout():
    line = 'from="10.0.0.0/8,!10.9.9.9" ' + ED25519
    problems = judge({"admin": user(line)})["problems"]
    assert len(problems) == 1 and "from=\"10.0.0.0/8,!10.9.9.9\"" in problems[0]
    assert "192.0.2.7" in problems[0]
    assert judge({"admin": user(line)}, client_address="10.1.2.3")["problems"] == []
    assert judge({"admin": user(line)}, client_address="10.9.9.9")["problems"] != []


def test_expired_key_is_a_lockout_and_a_future_one_is_not():
    problems = judge({"admin": user('expiry-time="20261201" ' + ED25519)})["problems"]
    assert len(problems) == 1 and "expiry-time=\"20261201\" has passed" in problems[0]
    assert judge({"admin": user('expiry-time="202701011200" ' + ED25519)})["problems"] == []


def test_expiry_time_and_address_patterns():
    assert parse_expiry_time("20261202") == calendar.timegm((2026, 12, 2, 0, 0, 0))
    assert parse_expiry_time("20261202123059Z") == calendar.timegm((2026, 12, 2, 12, 30, 59))
    assert parse_expiry_time("2026-12-02") is None
    assert address_in_pattern_list("10.0.0.5", "10.0.0.*")
    assert not address_in_pattern_list("10.0.1.5", "10.0.0.*")
    assert address_in_pattern_list("2001:db8::1", "2001:db8::/32")
    assert not address_in_pattern_list("10.0.0.5", "10.0.0.0/24,!10.0.0.5")


# --- (c) AllowUsers with a host part --------------------------------------------------


def test_allow_users_host_part_without_the_controller_address_is_a_lockout():
    plan = {"allow_users": ["admin@10.0.0.*"]}
    problems = judge({"admin": user(ED25519)}, policy=plan)["problems"]
    assert len(problems) == 1
    assert "account 'admin' is admitted by ssh_allow_users ['admin@10.0.0.*'] only from other addresses" \
        in problems[0]
    assert "192.0.2.7" in problems[0]
    assert judge({"admin": user(ED25519)}, policy=plan, client_address="10.0.0.12")["problems"] == []


def test_deny_users_host_part_applies_to_the_controller_address():
    plan = {"deny_users": ["admin@192.0.2.*"]}
    problems = judge({"admin": user(ED25519)}, policy=plan)["problems"]
    assert problems and "ssh_deny_users entry 'admin@192.0.2.*'" in problems[0]
    assert judge({"admin": user(ED25519)}, policy=plan, client_address="10.0.0.1")["problems"] == []


# --- (d) Match blocks: sshd -T -C on the candidate configuration ----------------------


def test_account_admitted_only_through_a_match_block_the_new_settings_close():
    # deploy has no key; today `Match User deploy` gives it PasswordAuthentication yes.
    current = {"deploy": {"passwordauthentication": "yes", "pubkeyauthentication": "yes",
                          "_global_password": "no"}}
    candidate = {"deploy": {"passwordauthentication": "no", "pubkeyauthentication": "yes"}}
    report = judge({"deploy": user()}, accounts=["deploy"], connecting_user="",
                   candidate=candidate, current=current)
    assert any("account 'deploy' would be locked out: today a Match block" in p for p in report["problems"]), report
    # the candidate keeping the block open for it: no refusal
    candidate = {"deploy": {"passwordauthentication": "yes", "pubkeyauthentication": "yes"}}
    report = judge({"deploy": user()}, accounts=["deploy"], connecting_user="",
                   candidate=candidate, current=current)
    assert report["problems"] == [], report


def test_match_block_password_closed_by_the_planned_authentication_methods():
    # Match User deploy still says PasswordAuthentication yes on the candidate, but the
    # role's global AuthenticationMethods publickey leaves no password step: locked out.
    current = {"deploy": {"passwordauthentication": "yes", "pubkeyauthentication": "yes",
                          "authenticationmethods": "any", "_global_password": "no"}}
    candidate = {"deploy": {"passwordauthentication": "yes", "pubkeyauthentication": "yes",
                            "authenticationmethods": "publickey"}}
    report = judge({"deploy": user()}, accounts=["deploy"], connecting_user="",
                   candidate=candidate, current=current)
    assert any("account 'deploy' would be locked out: today a Match block" in p
               and "AuthenticationMethods publickey, which has no password step" in p
               for p in report["problems"]), report
    # and the password is no longer counted as a way in (no "stays on" note)
    assert not any("stays on" in n for n in report["notes"]), report
    # with a password step left in AuthenticationMethods, the way stays open
    candidate["deploy"]["authenticationmethods"] = "publickey password"
    report = judge({"deploy": user()}, accounts=["deploy"], connecting_user="",
                   candidate=candidate, current=current)
    assert report["problems"] == [], report


def test_match_block_turning_pubkey_off_for_the_account_is_a_lockout():
    candidate = {"admin": {"passwordauthentication": "no", "pubkeyauthentication": "no"}}
    current = {"admin": {"pubkeyauthentication": "yes"}}
    problems = judge({"admin": user(ED25519)}, candidate=candidate, current=current)["problems"]
    assert any("PubkeyAuthentication no" in p for p in problems), problems


def test_match_block_with_allow_users_from_the_candidate_is_judged():
    candidate = {"admin": {"passwordauthentication": "no", "pubkeyauthentication": "yes",
                           "allowusers": ["ops"]}}
    problems = judge({"admin": user(ED25519)}, candidate=candidate)["problems"]
    assert any("account 'admin' is not admitted by ssh_allow_users ['ops']" in p for p in problems), problems


def test_authentication_methods_without_publickey_is_a_lockout():
    candidate = {"admin": {"passwordauthentication": "no", "pubkeyauthentication": "yes",
                           "authenticationmethods": "keyboard-interactive"}}
    problems = judge({"admin": user(ED25519)}, candidate=candidate)["problems"]
    assert any("AuthenticationMethods keyboard-interactive" in p for p in problems), problems
    candidate["admin"]["authenticationmethods"] = "publickey"
    assert judge({"admin": user(ED25519)}, candidate=candidate)["problems"] == []


# --- (e) no ssh connection and no ssh_admin_users ------------------------------------


@pytest.mark.parametrize("connection", ["local", "community.docker.docker", "ansible.builtin.local"])
def test_local_connection_without_admin_users_refuses_to_narrow(connection):
    report = lockout_report({}, [], PLAN, {"connection": connection, "connecting_user": ""})
    assert len(report["problems"]) == 1
    assert "no account is protected" in report["problems"][0]
    assert "ssh_admin_users" in report["problems"][0] and connection in report["problems"][0]


def test_local_connection_with_admin_users_judges_them():
    report = lockout_report({"ops": user(ED25519)}, ["ops"], PLAN, {"connection": "local"})
    assert report["problems"] == []


# --- what the check cannot prove is reported, never skipped ---------------------------


def test_authorized_keys_command_and_ca_are_noted_and_keys_still_judged():
    candidate = {"admin": {"passwordauthentication": "no", "pubkeyauthentication": "yes",
                           "authorizedkeyscommand": "/usr/bin/sss_ssh_authorizedkeys",
                           "trustedusercakeys": "/etc/ssh/user_ca.pub"}}
    report = judge({"admin": user(ECDSA256)}, candidate=candidate)
    assert any("AuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys" in n for n in report["notes"])
    assert any("TrustedUserCAKeys /etc/ssh/user_ca.pub" in n for n in report["notes"])
    # the account is still judged: its only key is refused
    assert report["problems"] and "account 'admin' would be locked out" in report["problems"][0]


def test_password_left_on_is_reported():
    report = judge({"admin": user()}, policy={"password_authentication": True})
    assert report["problems"] == []
    assert any("account 'admin': password or keyboard-interactive login stays on" in n
               for n in report["notes"])


def test_ca_key_type_against_ca_signature_algorithms():
    ca = [parse_public_key(ECDSA256)]
    problems = ca_problems(ca, ["ssh-ed25519", "rsa-sha2-512"])
    assert len(problems) == 1 and "ecdsa-sha2-nistp256 CA key" in problems[0]
    assert ca_problems([parse_public_key(RSA3072)], ["rsa-sha2-512"]) == []


def test_user_ca_key_the_plan_cannot_verify_is_refused():
    ca = [parse_public_key(ECDSA256)]
    report = judge({"admin": user(ED25519)}, user_ca_keys=ca)
    assert len(report["problems"]) == 1 and "TrustedUserCAKeys holds a ecdsa-sha2-nistp256" in report["problems"][0]
    assert judge({"admin": user(ED25519)}, user_ca_keys=[parse_public_key(ED25519)])["problems"] == []


def test_candidate_that_fails_sshd_t_is_refused_unless_only_host_keys_are_missing():
    report = judge({"admin": user(ED25519)}, candidate_error="Bad configuration option: Nonsense")
    assert report["problems"] and "fails sshd -t" in report["problems"][0]
    report = judge({"admin": user(ED25519)}, candidate_error="Unable to load host key: /etc/ssh/ssh_host_rsa_key")
    assert report["problems"] == [] and "sshd -t on it says" in report["notes"][0]
