# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a planned sshd policy lock an account out? A pure function of facts.

The facts are the `users` part of the ssh_facts module's result; the policy is what
the ssh role is about to write. Each problem is a sentence naming the account and
the variable that fixes it, ready to show to the operator.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_keys import base_key_type

# The signature algorithms through which a key of a given type can log in.
_RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
_RSA_CERT_ALGORITHMS = (
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
)

POLICY_DEFAULTS = {
    "password_authentication": False,
    "kbd_interactive_authentication": False,
    "pubkey_authentication": True,
    "pubkey_accepted_algorithms": [],
    "rsa_min_bits": 0,
    "permit_root_login": "no",
    "allow_users": [],
    "allow_groups": [],
    "deny_users": [],
    "deny_groups": [],
}


def key_algorithms(key_type):
    """The algorithm names under which sshd accepts a key of this type."""
    if key_type == "ssh-rsa":
        return _RSA_ALGORITHMS
    if key_type == "ssh-rsa-cert-v01@openssh.com":
        return _RSA_CERT_ALGORITHMS
    return (key_type,)


def key_accepted(key, policy):
    """(accepted, reason) for one parsed authorized key under the policy."""
    accepted = policy["pubkey_accepted_algorithms"]
    algorithms = key_algorithms(key["type"])
    if accepted and not any(alg in accepted for alg in algorithms):
        return False, "type %s not in ssh_pubkey_accepted_algorithms" % key["type"]
    if base_key_type(key["type"]) == "ssh-rsa" and policy["rsa_min_bits"]:
        if key.get("bits") is None or key["bits"] < policy["rsa_min_bits"]:
            return False, "RSA key of %s bits is below ssh_rsa_min_bits (%d)" % (
                key.get("bits"), policy["rsa_min_bits"])
    return True, ""


def _user_patterns(patterns):
    # user@host patterns restrict the source too; the source is unknown here, so
    # only the user part is compared (the check errs towards "admitted").
    return [pattern.split("@", 1)[0] for pattern in patterns]


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def access_problems(account, user, policy):
    """Problems from AllowUsers/AllowGroups/DenyUsers/DenyGroups and root policy."""
    problems = []
    groups = user.get("groups") or []
    if policy["deny_users"] and _matches(account, _user_patterns(policy["deny_users"])):
        problems.append("account '%s' matches ssh_deny_users" % account)
    if policy["deny_groups"] and any(_matches(g, policy["deny_groups"]) for g in groups):
        problems.append("account '%s' is in a group of ssh_deny_groups" % account)
    if policy["allow_users"] or policy["allow_groups"]:
        by_user = bool(policy["allow_users"]) and _matches(account, _user_patterns(policy["allow_users"]))
        by_group = bool(policy["allow_groups"]) and any(_matches(g, policy["allow_groups"]) for g in groups)
        # sshd requires BOTH lists to admit the account when both are set.
        if policy["allow_users"] and not by_user:
            problems.append("account '%s' is not admitted by ssh_allow_users %s: add it there" % (
                account, policy["allow_users"]))
        if policy["allow_groups"] and not by_group:
            problems.append("account '%s' (groups %s) is not admitted by ssh_allow_groups %s: "
                            "add one of its groups there" % (account, groups, policy["allow_groups"]))
    if account == "root" or user.get("uid") == 0:
        if policy["permit_root_login"] == "no":
            problems.append("account '%s' is root and ssh_permit_root_login is 'no': connect "
                            "as an admin account in ssh_admin_users instead" % account)
        elif policy["permit_root_login"] == "forced-commands-only":
            problems.append("account '%s' is root and ssh_permit_root_login is "
                            "'forced-commands-only': it can only run forced commands" % account)
    return problems


def lockout_problems(users, accounts, policy):
    """All reasons why one of `accounts` could no longer log in.

    users: mapping account -> facts (exists, uid, groups, keys) from ssh_facts.
    accounts: the accounts that must keep access (connecting user, admins).
    policy: the planned settings; missing entries take POLICY_DEFAULTS.
    """
    merged = dict(POLICY_DEFAULTS)
    merged.update(policy or {})
    problems = []
    password_possible = merged["password_authentication"] or merged["kbd_interactive_authentication"]
    root_password_blocked = merged["permit_root_login"] in ("prohibit-password", "without-password")
    for account in accounts:
        user = (users or {}).get(account) or {}
        if not user.get("exists"):
            problems.append("account '%s' does not exist on the host: create it (with an authorized "
                            "key) before hardening, or remove it from ssh_admin_users" % account)
            continue
        problems.extend(access_problems(account, user, merged))
        is_root = account == "root" or user.get("uid") == 0
        if password_possible and not (is_root and root_password_blocked):
            continue
        if not merged["pubkey_authentication"]:
            problems.append("account '%s' would have no way in: ssh_pubkey_authentication is false "
                            "and password login is off (ssh_password_authentication)" % account)
            continue
        keys = user.get("keys") or []
        usable = [k for k in keys if key_accepted(k, merged)[0]]
        if not usable:
            if keys:
                reasons = "; ".join(sorted(set(key_accepted(k, merged)[1] for k in keys)))
                detail = "none of its %d authorized key(s) is accepted by the new policy (%s)" % (
                    len(keys), reasons)
            else:
                detail = "it has no authorized key (looked in %s)" % (
                    ", ".join(user.get("authorized_keys_files") or []) or "its AuthorizedKeysFile")
            problems.append("account '%s' would be locked out: password login is switched off "
                            "(ssh_password_authentication: false) and %s. Add an ed25519 or "
                            "RSA >= 3072 key for it, or set ssh_password_authentication: true" % (
                                account, detail))
    return problems
