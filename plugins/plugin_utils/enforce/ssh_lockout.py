# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a planned sshd policy lock an account out? A pure function of facts.

The facts are the `users` part of the ssh_facts module's result; the policy is what
the ssh role is about to write. Each problem is a sentence naming the account and
the variable that fixes it, ready to show to the operator.

The optional ``context`` says how this play really reaches the host, so the judgement
follows the path that is used rather than any path that might exist:

- ``connection``: the Ansible connection plugin (``ssh``, ``paramiko``, ``local``, ...);
- ``connecting_user``: the account the play logs in as over ssh ("" if not over ssh);
- ``client_address``: the address sshd sees for this connection (SSH_CONNECTION on
  the host), matched against ``from=`` key options and ``user@host`` AllowUsers entries;
- ``client``: the controller's own ssh client (``ssh_client_facts``): the key exchange,
  cipher and MAC algorithms it offers and the fingerprints of the keys it logs in with;
- ``key_in_use``: {account: fingerprint} read from sshd's "Accepted publickey" log line
  of this very connection, the surest word on which key is used;
- ``candidate``: {account: settings} of ``sshd -T -C user=,addr=,host=`` run on the
  CANDIDATE configuration (the new drop-in in place), so Match blocks are judged;
  ``current`` the same on the live configuration, to say what a Match block used to allow;
- ``user_ca_keys``: the CA keys of TrustedUserCAKeys, judged against CASignatureAlgorithms;
- ``candidate_error``: what ``sshd -t`` said about the candidate, "" when it passed;
- ``now``: seconds since the epoch, for ``expiry-time=``.
"""

from __future__ import annotations

import calendar
import fnmatch
import ipaddress
import time

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
    "kex_algorithms": [],
    "ciphers": [],
    "macs": [],
}

CONTEXT_DEFAULTS = {
    "connection": "ssh",
    "connecting_user": "",
    "client_address": "",
    "client": {},
    "key_in_use": {},
    "candidate": {},
    "current": {},
    "now": None,
    "authorized_keys_command": "",
    "trusted_user_ca_keys": [],
    "candidate_error": "",
    "user_ca_keys": [],
}

# Connection plugins that log in through sshd. paramiko is an ssh client too: its
# account and key are judged like OpenSSH's, but ssh -Q does not describe it.
SSH_CONNECTIONS = ("ssh", "paramiko", "paramiko_ssh", "libssh")


def key_algorithms(key_type):
    """The algorithm names under which sshd accepts a key of this type."""
    if key_type == "ssh-rsa":
        return _RSA_ALGORITHMS
    if key_type == "ssh-rsa-cert-v01@openssh.com":
        return _RSA_CERT_ALGORITHMS
    return (key_type,)


def key_option(key, name):
    """The value of an authorized_keys option (``from="..."`` -> ``...``), or None."""
    prefix = name.lower() + "="
    for option in key.get("options") or []:
        if option.lower().startswith(prefix):
            return option[len(prefix):].strip('"')
    return None


def parse_expiry_time(value):
    """``expiry-time`` (YYYYMMDD[HHMM[SS]], UTC with a trailing Z or not) -> epoch, or None."""
    text = (value or "").strip().rstrip("Zz")
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    if len(text) not in formats or not text.isdigit():
        return None
    try:
        return calendar.timegm(time.strptime(text, formats[len(text)]))
    except ValueError:
        return None


def address_matches(address, pattern):
    """sshd's match of one address against one pattern: a CIDR block or a wildcard."""
    if "/" in pattern:
        try:
            return ipaddress.ip_address(address) in ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
    return fnmatch.fnmatchcase(address, pattern)


def address_in_pattern_list(address, pattern_list):
    """True/False for sshd's comma-separated pattern list (``!`` negates and wins)."""
    matched = False
    for pattern in (p.strip() for p in pattern_list.split(",")):
        if not pattern:
            continue
        if pattern.startswith("!"):
            if address_matches(address, pattern[1:]):
                return False
        elif address_matches(address, pattern):
            matched = True
    return matched


def key_accepted(key, policy, context=None):
    """(accepted, reason) for one parsed authorized key under the policy."""
    context = context or {}
    accepted = policy["pubkey_accepted_algorithms"]
    algorithms = key_algorithms(key["type"])
    if accepted and not any(alg in accepted for alg in algorithms):
        return False, "type %s not in ssh_pubkey_accepted_algorithms" % key["type"]
    if base_key_type(key["type"]) == "ssh-rsa" and policy["rsa_min_bits"]:
        if key.get("bits") is None or key["bits"] < policy["rsa_min_bits"]:
            return False, "RSA key of %s bits is below ssh_rsa_min_bits (%d)" % (
                key.get("bits"), policy["rsa_min_bits"])
    expiry = key_option(key, "expiry-time")
    if expiry is not None:
        when = parse_expiry_time(expiry)
        now = context.get("now") or time.time()
        if when is None:
            return False, "its option expiry-time=\"%s\" cannot be read (sshd refuses the key)" % expiry
        if when <= now:
            return False, "its option expiry-time=\"%s\" has passed" % expiry
    source = key_option(key, "from")
    if source is not None and context.get("client_address"):
        if not address_in_pattern_list(context["client_address"], source):
            return False, "its option from=\"%s\" does not admit the controller's address %s" % (
                source, context["client_address"])
    return True, ""


def _split_user_host(pattern):
    user, _sep, host = pattern.partition("@")
    return user, host


def _user_entry_matches(account, address, pattern):
    """(matches, undecided) of one AllowUsers/DenyUsers entry ``user[@host]``."""
    user, host = _split_user_host(pattern)
    if not fnmatch.fnmatchcase(account, user):
        return False, False
    if not host:
        return True, False
    if not address:
        return False, True
    return address_in_pattern_list(address, host), False


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def access_problems(account, user, policy, address="", notes=None):
    """Problems from AllowUsers/AllowGroups/DenyUsers/DenyGroups and root policy.

    ``user@host`` entries are matched against ``address``, the address sshd sees for
    this account's connection (known for the account the play connects as); for
    other accounts an entry with a host part admits them and a note says it was not judged.
    """
    notes = notes if notes is not None else []
    problems = []
    groups = user.get("groups") or []
    for pattern in policy["deny_users"]:
        matched, undecided = _user_entry_matches(account, address, pattern)
        if matched:
            problems.append("account '%s' matches ssh_deny_users entry '%s'" % (account, pattern))
            break
        if undecided:
            notes.append("account '%s': ssh_deny_users entry '%s' refuses it from some addresses; "
                         "the address it comes from is unknown" % (account, pattern))
    if policy["deny_groups"] and any(_matches(g, policy["deny_groups"]) for g in groups):
        problems.append("account '%s' is in a group of ssh_deny_groups" % account)
    if policy["allow_users"] or policy["allow_groups"]:
        results = [_user_entry_matches(account, address, p) for p in policy["allow_users"]]
        by_user = any(matched for matched, _undecided in results)
        by_group = bool(policy["allow_groups"]) and any(_matches(g, policy["allow_groups"]) for g in groups)
        # sshd requires BOTH lists to admit the account when both are set.
        if policy["allow_users"] and not by_user:
            named = [p for p, (m, u) in zip(policy["allow_users"], results) if u or (
                fnmatch.fnmatchcase(account, _split_user_host(p)[0]) and _split_user_host(p)[1])]
            if named and address:
                problems.append("account '%s' is admitted by ssh_allow_users %s only from other "
                                "addresses: this connection comes from %s. Add %s@%s (or the "
                                "controller's network) there" % (account, named, address, account, address))
            elif named:
                notes.append("account '%s' is admitted by ssh_allow_users %s only from some addresses; "
                             "it is not the account this play connects as, so the address it logs in "
                             "from is unknown and not judged" % (account, named))
            else:
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


def client_problems(account, client, policy):
    """The controller's own ssh client must share each algorithm kind with the plan.

    ``client`` holds the lists the controller's OpenSSH offers (``kex``, ``cipher``,
    ``mac``: ``ssh -G`` for this host, else ``ssh -Q``) and its ``version``.
    """
    problems = []
    kinds = (
        ("kex", "kex_algorithms", "key exchange", "set ssh_kex_classic_fallback: true (adds "
         "curve25519-sha256, which every OpenSSH >= 6.5 has) or list one in ssh_kex_algorithms"),
        ("cipher", "ciphers", "cipher", "add one of the client's ciphers to ssh_ciphers"),
        ("mac", "macs", "MAC", "add one of the client's MACs to ssh_macs (AEAD ciphers need none)"),
    )
    for kind, planned_key, label, fix in kinds:
        offered = client.get(kind) or []
        planned = policy.get(planned_key) or []
        if not offered or not planned:
            continue
        if kind == "mac" and any(c.endswith("@openssh.com") and ("gcm" in c or "poly1305" in c)
                                 for c in set(client.get("cipher") or []) & set(policy.get("ciphers") or [])):
            continue  # an AEAD cipher in common carries its own integrity: no MAC is negotiated
        if not set(offered) & set(planned):
            problems.append("account '%s' would be locked out: the controller's ssh client (%s) shares "
                            "no %s with the planned server configuration (server: %s; client: %s): %s" % (
                                account, client.get("version") or "OpenSSH", label, ",".join(planned),
                                ",".join(offered), fix))
    return problems


def keys_in_use(account, keys, context):
    """(keys the account really logs in with, how that was found) from the context.

    1. sshd's log line of this connection names the key's fingerprint;
    2. else the keys the controller's client offers (its identity files and agent);
    3. else unknown: every key in the file is considered, and a note says so.
    """
    if account != context.get("connecting_user"):
        return keys, ""
    logged = (context.get("key_in_use") or {}).get(account)
    if logged:
        used = [k for k in keys if k.get("fingerprint") == logged]
        if used:
            return used, "sshd's log names %s for this connection" % logged
    identities = (context.get("client") or {}).get("identities") or []
    fingerprints = set(i.get("fingerprint") for i in identities if i.get("fingerprint"))
    if fingerprints:
        return [k for k in keys if k.get("fingerprint") in fingerprints], \
            "the controller logs in with %s" % ", ".join(sorted(
                "%s (%s)" % (i.get("fingerprint"), i.get("source", "?")) for i in identities))
    return keys, ""


def _describe(key):
    return "%s %s%s" % (key.get("type"), key.get("fingerprint"),
                        " (%s)" % key["comment"] if key.get("comment") else "")


def _candidate_policy(merged, settings):
    """The policy as sshd -T -C on the candidate configuration reports it for one account."""
    derived = dict(merged)

    def yes(name, default):
        value = settings.get(name)
        return default if value is None else value == "yes"
    derived["password_authentication"] = yes("passwordauthentication", merged["password_authentication"])
    derived["kbd_interactive_authentication"] = yes(
        "kbdinteractiveauthentication", merged["kbd_interactive_authentication"])
    derived["pubkey_authentication"] = yes("pubkeyauthentication", merged["pubkey_authentication"])
    if settings.get("pubkeyacceptedalgorithms"):
        derived["pubkey_accepted_algorithms"] = settings["pubkeyacceptedalgorithms"].split(",")
    if settings.get("requiredrsasize", "").isdigit():
        derived["rsa_min_bits"] = max(int(settings["requiredrsasize"]), merged["rsa_min_bits"])
    if settings.get("permitrootlogin"):
        derived["permit_root_login"] = settings["permitrootlogin"]
    for name in ("allow_users", "allow_groups", "deny_users", "deny_groups"):
        values = settings.get(name.replace("_", ""))
        if values:
            derived[name] = [v for value in values for v in value.split()]
    return derived


def _methods_allow(settings, method):
    """Does AuthenticationMethods (sshd -T) let ``method`` complete a login on its own?"""
    methods = settings.get("authenticationmethods") or "any"
    if methods == "any":
        return True
    return any(chain.split(",") == [method] or chain.split(",")[0].split(":")[0] == method and
               len(chain.split(",")) == 1 for chain in methods.split())


def _password_way(settings, policy):
    """Can a password (PasswordAuthentication or keyboard-interactive) complete a login,
    AuthenticationMethods (sshd -T -C ``settings``) included?"""
    return bool(policy["password_authentication"] and _methods_allow(settings, "password")
                or policy["kbd_interactive_authentication"] and _methods_allow(settings, "keyboard-interactive"))


def lockout_report(users, accounts, policy, context=None):
    """{"problems": [...], "notes": [...]}: why an account would be locked out, and
    what the check could only report (a way in it cannot prove, such as a certificate).

    users: mapping account -> facts (exists, uid, groups, keys) from ssh_facts.
    accounts: the accounts that must keep access (connecting user, admins).
    policy: the planned settings; missing entries take POLICY_DEFAULTS.
    context: how the play reaches the host; missing entries take CONTEXT_DEFAULTS.
    """
    merged = dict(POLICY_DEFAULTS)
    merged.update(policy or {})
    ctx = dict(CONTEXT_DEFAULTS)
    ctx.update(context or {})
    problems = []
    notes = []
    over_ssh = any(ctx["connection"] == c or ctx["connection"].endswith("." + c) for c in SSH_CONNECTIONS)
    if not accounts:
        problems.append("no account is protected: the play connects with '%s', not over ssh as an "
                        "account the check could keep, and ssh_admin_users is empty. The role "
                        "refuses to narrow access to sshd without knowing who must keep it: list "
                        "the accounts that administer this host in ssh_admin_users" % ctx["connection"])
    error = ctx["candidate_error"]
    if error and "host key" in error.lower() or error and "hostkey" in error.lower():
        # host keys are replaced by the role after this check; sshd -t is run again then
        notes.append("the candidate configuration was not judged per account: sshd -t on it says: %s" % error)
    elif error:
        problems.append("the candidate sshd configuration fails sshd -t, so no account could be judged "
                        "with it: %s" % error)
    if ctx["user_ca_keys"]:
        # CASignatureAlgorithms is the plain (non-certificate) part of the accepted list
        problems.extend(ca_problems(ctx["user_ca_keys"], [
            a for a in merged["pubkey_accepted_algorithms"] if not a.endswith("-cert-v01@openssh.com")]))
    connecting = ctx["connecting_user"]
    client = ctx["client"] or {}
    if connecting and over_ssh and client and ctx["connection"].rsplit(".", maxsplit=1)[-1] == "ssh":
        problems.extend(client_problems(connecting, client, merged))
    for account in accounts:
        user = (users or {}).get(account) or {}
        if not user.get("exists"):
            problems.append("account '%s' does not exist on the host: create it (with an authorized "
                            "key) before hardening, or remove it from ssh_admin_users" % account)
            continue
        settings = (ctx["candidate"] or {}).get(account) or {}
        judged = _candidate_policy(merged, settings) if settings else merged
        address = ctx["client_address"] if account == connecting else ""
        problems.extend(access_problems(account, user, judged, address, notes))
        if settings:
            problems.extend(_match_problems(account, settings, (ctx["current"] or {}).get(account) or {},
                                            user, judged))
        is_root = account == "root" or user.get("uid") == 0
        root_password_blocked = judged["permit_root_login"] in ("prohibit-password", "without-password")
        password_possible = _password_way(settings, judged) and not (is_root and root_password_blocked)
        if password_possible:
            notes.append("account '%s': password or keyboard-interactive login stays on (%s), so its "
                         "keys are judged but do not decide" % (
                             account, "ssh_password_authentication" if judged["password_authentication"]
                             else "ssh_kbd_interactive_authentication"))
        _other_ways_notes(account, settings, ctx, notes)
        if not judged["pubkey_authentication"]:
            if not password_possible:
                problems.append("account '%s' would have no way in: ssh_pubkey_authentication is false "
                                "and password login is off (ssh_password_authentication)" % account)
            continue
        keys = user.get("keys") or []
        used, how = keys_in_use(account, keys, ctx)
        source = dict(ctx, client_address=address)
        usable = [k for k in used if key_accepted(k, judged, source)[0]]
        if usable or password_possible:
            continue
        if how and keys and not used:
            problems.append("account '%s' would be locked out: %s, and none of them is in its "
                            "authorized keys (%s), so the check cannot prove it keeps access. Add the "
                            "controller's key there, or point ansible_ssh_private_key_file at a key "
                            "that is" % (account, how, ", ".join(user.get("authorized_keys_files") or [])))
            continue
        if used:
            reasons = "; ".join(sorted(set(key_accepted(k, judged, source)[1] for k in used)))
            others = [k for k in keys if k not in used and key_accepted(k, judged, source)[0]]
            if how:
                detail = "the key it logs in with (%s; %s) is refused: %s" % (
                    ", ".join(_describe(k) for k in used), how, reasons)
                if others:
                    detail += ". Another key in its file would be accepted (%s) but it is not the one " \
                              "used: point ansible_ssh_private_key_file at it" % ", ".join(
                                  _describe(k) for k in others)
            else:
                detail = "none of its %d authorized key(s) is accepted by the new policy (%s)" % (
                    len(used), reasons)
        else:
            detail = "it has no authorized key (looked in %s)" % (
                ", ".join(user.get("authorized_keys_files") or []) or "its AuthorizedKeysFile")
        problems.append("account '%s' would be locked out: password login is switched off "
                        "(ssh_password_authentication: false) and %s. Add an ed25519 or "
                        "RSA >= 3072 key for it, or set ssh_password_authentication: true" % (
                            account, detail))
    return {"problems": problems, "notes": notes}


def _match_problems(account, settings, current, user, judged):
    """What the candidate configuration's per-account view (Match blocks) closes."""
    problems = []
    where = "sshd -T -C user=%s on the candidate configuration" % account
    if settings.get("pubkeyauthentication") == "no" and current.get("pubkeyauthentication") == "yes":
        problems.append("account '%s' would be locked out: %s gives PubkeyAuthentication no (a Match "
                        "block applies to it)" % (account, where))
    password_now = _password_way(current, {
        "password_authentication": current.get("passwordauthentication") == "yes",
        "kbd_interactive_authentication": current.get("kbdinteractiveauthentication") == "yes"})
    password_open = judged["password_authentication"] or judged["kbd_interactive_authentication"]
    password_then = _password_way(settings, judged)
    if password_now and not password_then and current.get("_global_password") == "no":
        if password_open:
            # the Match block still says yes, but the new AuthenticationMethods (set
            # because passwords are off) has no password step: the way is closed all the same
            closed = "gives AuthenticationMethods %s, which has no password step (the role " \
                     "sets it because ssh_password_authentication is false)" % settings.get("authenticationmethods")
        else:
            closed = "shows it closed"
        problems.append("account '%s' would be locked out: today a Match block lets it log in with a "
                        "password (sshd -T -C shows PasswordAuthentication yes for it only) and %s "
                        "%s. Give it an authorized ed25519 key first, or keep the way open with "
                        "ssh_password_authentication: true" % (account, where, closed))
    if judged["pubkey_authentication"] and not _methods_allow(settings, "publickey") and \
            not any("publickey" in chain for chain in (settings.get("authenticationmethods") or "").split()):
        problems.append("account '%s' would be locked out: %s gives AuthenticationMethods %s, "
                        "which has no publickey step" % (account, where, settings.get("authenticationmethods")))
    return problems


def _other_ways_notes(account, settings, ctx, notes):
    """Ways in that the key check cannot prove: reported, never a reason to skip the account."""
    command = settings.get("authorizedkeyscommand") or ctx.get("authorized_keys_command") or ""
    if command and command != "none":
        notes.append("account '%s': AuthorizedKeysCommand %s may admit more keys than its files; the "
                     "check judged the keys in its files only" % (account, command))
    cas = settings.get("trustedusercakeys") or ""
    if cas and cas != "none":
        notes.append("account '%s': certificates signed by TrustedUserCAKeys %s are accepted; the "
                     "check judged its plain keys" % (account, cas))


def ca_problems(ca_keys, ca_signature_algorithms):
    """User CA keys whose type no CASignatureAlgorithms entry can verify: every
    certificate they signed stops working."""
    problems = []
    allowed = set(ca_signature_algorithms or [])
    if not allowed:
        return problems
    for key in ca_keys or []:
        if not any(alg in allowed for alg in key_algorithms(key.get("type") or "")):
            problems.append("TrustedUserCAKeys holds a %s CA key (%s) that the planned "
                            "CASignatureAlgorithms (%s) cannot verify: every user certificate it "
                            "signed would be refused. Add its algorithm to ssh_pubkey_accepted_algorithms" % (
                                key.get("type"), key.get("fingerprint"), ",".join(sorted(allowed))))
    return problems


def lockout_problems(users, accounts, policy, context=None):
    """All reasons why one of `accounts` could no longer log in (see lockout_report)."""
    if context is None and not accounts:
        return []
    return lockout_report(users, accounts, policy, context)["problems"]
