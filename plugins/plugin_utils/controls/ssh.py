# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ssh controls (SSH-001..): judge sshd's EFFECTIVE settings (sshd -T), host keys and moduli.

Facts: ``audit_facts.ssh`` (gather_ssh.py). Effective settings, not the config text, so a
drop-in or a Match block that overrides the role's file is seen as the server sees it.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import Control, expect, failed, passed

AREA = "ssh"
SOURCE = "ssh"
_CIS = "CIS Debian Linux 12 Benchmark, 5.1 (SSH Server)"
_NIST = "NIST SP 800-123 / SP 800-53 AC-17, IA-2"
_MOZ = "Mozilla OpenSSH guidelines (modern)"

# Algorithms below 128-bit strength or with known weaknesses (SHA-1, CBC, 64-bit tags, NIST curves).
WEAK_CIPHERS = ("3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "blowfish-cbc", "cast128-cbc",
                "arcfour", "arcfour128", "arcfour256", "rijndael-cbc@lysator.liu.se")
WEAK_KEX = ("diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1",
            "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "gss-gex-sha1-", "gss-group1-sha1-",
            "gss-group14-sha1-")
WEAK_MACS = ("hmac-md5", "hmac-md5-96", "hmac-sha1", "hmac-sha1-96", "umac-64@openssh.com", "hmac-md5-etm@openssh.com",
             "hmac-md5-96-etm@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
             "umac-64-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "umac-128@openssh.com")
WEAK_HOST_KEY_TYPES = ("ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")


def _setting(src, key):
    """The effective value of a keyword, or raise so the control reports an error (never a pass)."""
    effective = src.get("effective") or {}
    if not effective:
        raise LookupError("effective sshd settings unknown: %s" % (src.get("effective_error") or "sshd -T gave nothing"))
    return effective.get(key)


def _equals(key, wanted, shown=None):
    def check(src, facts):
        value = _setting(src, key)
        return expect(str(value).lower() in wanted, "%s %s" % (shown or key, value))
    return check


def _at_most(key, limit):
    def check(src, facts):
        value = _setting(src, key)
        try:
            number = int(str(value).rstrip("s"))
        except ValueError:
            return failed("%s %s is not a number" % (key, value))
        return expect(0 < number <= limit, "%s %s (want 1..%d)" % (key, value, limit))
    return check


def _no_weak(key, weak):
    def check(src, facts):
        offered = [a for a in str(_setting(src, key) or "").split(",") if a]
        bad = [a for a in offered if a in weak or any(a.startswith(w) for w in weak if w.endswith("-"))]
        return expect(not bad, "%s: %s" % (key, ("weak: " + ",".join(bad)) if bad else "only strong algorithms offered"))
    return check


def _host_keys(src, facts):
    keys = src.get("host_keys") or []
    if not keys:
        return failed("no host keys found")
    min_bits = int(facts.get("ssh", {}).get("rsa_min_bits", 3072))
    bad = ["%s (%s %s bits)" % (k["path"], k["type"], k["bits"]) for k in keys
           if k.get("type") in WEAK_HOST_KEY_TYPES or (k.get("type") == "ssh-rsa" and (k.get("bits") or 0) < min_bits)
           or k.get("type") is None]
    return expect(not bad, "weak or unreadable host keys: %s" % ", ".join(bad) if bad else
                  "host keys: %s" % ", ".join("%s %s" % (k["type"], k["bits"]) for k in keys))


def _host_key_files(src, facts):
    bad = ["%s mode %s uid %s" % (k["private"]["path"], k["private"]["mode"], k["private"]["uid"])
           for k in src.get("host_keys") or [] if k["private"]["exists"]
           and (k["private"]["uid"] != 0 or int(k["private"]["mode"], 8) & 0o077)]
    cfg = src.get("config") or {}
    if cfg.get("exists") and (cfg.get("uid") != 0 or int(cfg.get("mode") or "0", 8) & 0o022):
        bad.append("%s mode %s uid %s" % (cfg["path"], cfg["mode"], cfg["uid"]))
    for dropin in src.get("dropins") or []:
        if dropin.get("uid") != 0 or int(dropin.get("mode") or "0", 8) & 0o022:
            bad.append("%s mode %s uid %s" % (dropin["path"], dropin["mode"], dropin["uid"]))
    return expect(not bad, "; ".join(bad) if bad else "config and private host keys owned by root, not writable/readable by others")


def _moduli(src, facts):
    moduli = src.get("moduli") or {}
    if not moduli.get("exists"):
        return passed("no moduli file: group exchange uses built-in groups")
    small = moduli.get("groups_below_min", 0)
    return expect(small == 0, "%d of %d DH groups are smaller than %s bits" % (small, moduli.get("groups", 0), moduli.get("min_bits")))


def _alive(src, facts):
    interval = int(_setting(src, "clientaliveinterval") or 0)
    count = int(_setting(src, "clientalivecountmax") or 0)
    return expect(0 < interval and 0 < count and interval * count <= 900,
                  "ClientAliveInterval %d x ClientAliveCountMax %d = %ds (want 1..900)" % (interval, count, interval * count))


def _banner(src, facts):
    banner = _setting(src, "banner")
    return expect(banner not in (None, "", "none"), "Banner %s" % banner)


def _log_level(src, facts):
    level = str(_setting(src, "loglevel")).upper()
    return expect(level in ("VERBOSE", "DEBUG", "DEBUG1"), "LogLevel %s (VERBOSE logs the key fingerprint of each login)" % level)


def _ctl(cid, title, severity, rationale, references, variable, check, note=None):
    remediation = {"role": "ssh", "variable": variable}
    if note:
        remediation["note"] = note
    return Control(id=cid, title=title, area=AREA, severity=severity, rationale=rationale,
                   references=references, remediation=remediation, source=SOURCE, check=check,
                   tags=("ssh", cid.lower()))


CONTROLS = [
    _ctl("SSH-001", "Root cannot log in over SSH", "high",
         "Direct root login hides who did what and is the first target of password guessing.",
         [_CIS + " 5.1.20", "STIG V-238218", _NIST], "ssh_permit_root_login",
         _equals("permitrootlogin", ("no",), "PermitRootLogin")),
    _ctl("SSH-002", "Password authentication is off", "high",
         "Passwords can be guessed, phished and reused; keys cannot.",
         [_CIS + " 5.1.x", "NIST SP 800-63B", _MOZ], "ssh_password_authentication",
         _equals("passwordauthentication", ("no",), "PasswordAuthentication")),
    _ctl("SSH-003", "Keyboard-interactive authentication is off", "high",
         "Keyboard-interactive is password login through PAM by another name.",
         [_CIS + " 5.1.x", _MOZ], "ssh_kbd_interactive_authentication",
         _equals("kbdinteractiveauthentication", ("no",), "KbdInteractiveAuthentication")),
    _ctl("SSH-004", "Empty passwords are refused", "critical",
         "An account without a password must never be reachable over the network.",
         [_CIS + " 5.1.19", "STIG V-238219"], "ssh_password_authentication",
         _equals("permitemptypasswords", ("no",), "PermitEmptyPasswords"), note="sshd default; the role never enables it"),
    _ctl("SSH-005", "Few authentication attempts per connection", "medium",
         "Limits password and key guessing per connection; failures beyond half are logged.",
         [_CIS + " 5.1.16"], "ssh_max_auth_tries", _at_most("maxauthtries", 4)),
    _ctl("SSH-006", "Unauthenticated connections are dropped quickly", "low",
         "Pending unauthenticated connections hold slots; a short grace time resists slot exhaustion.",
         [_CIS + " 5.1.17"], "ssh_login_grace_time", _at_most("logingracetime", 60)),
    _ctl("SSH-007", "X11 forwarding is off", "medium",
         "X11 forwarding exposes the client's display to the server side.",
         [_CIS + " 5.1.x", "STIG V-238220"], "ssh_x11_forwarding",
         _equals("x11forwarding", ("no",), "X11Forwarding")),
    _ctl("SSH-008", "TCP forwarding is off", "medium",
         "Port forwarding turns the host into a pivot into networks behind it (e.g. guest networks).",
         [_CIS + " 5.1.x", "NIST SP 800-125A HY-SR-4"], "ssh_allow_tcp_forwarding",
         _equals("allowtcpforwarding", ("no",), "AllowTcpForwarding")),
    _ctl("SSH-009", "Agent forwarding is off", "medium",
         "Root on the server could use a forwarded agent to log in elsewhere as the user.",
         [_MOZ], "ssh_allow_agent_forwarding", _equals("allowagentforwarding", ("no",), "AllowAgentForwarding")),
    _ctl("SSH-010", "Tunnel devices are off", "medium",
         "tun/tap forwarding bridges whole networks through the SSH connection.",
         [_MOZ], "ssh_permit_tunnel", _equals("permittunnel", ("no",), "PermitTunnel")),
    _ctl("SSH-011", "Forwarded ports stay on loopback", "low",
         "GatewayPorts would publish forwarded ports to the whole network.",
         [_MOZ], "ssh_gateway_ports", _equals("gatewayports", ("no",), "GatewayPorts")),
    _ctl("SSH-012", "No weak ciphers", "high",
         "CBC, 3DES, Blowfish and RC4 ciphers have practical attacks or too little margin.",
         [_MOZ, "NIST SP 800-131A", _CIS + " 5.1.4"], "ssh_ciphers", _no_weak("ciphers", WEAK_CIPHERS)),
    _ctl("SSH-013", "No weak MACs", "medium",
         "MD5, SHA-1, 64-bit tags and encrypt-and-MAC modes are below current guidance.",
         [_MOZ, "NIST SP 800-131A", _CIS + " 5.1.6"], "ssh_macs", _no_weak("macs", WEAK_MACS)),
    _ctl("SSH-014", "No weak key exchange", "high",
         "SHA-1 and 1024-bit DH groups are breakable; NIST curves are avoided for trust reasons.",
         [_MOZ, "NIST SP 800-131A", _CIS + " 5.1.5"], "ssh_kex_algorithms", _no_weak("kexalgorithms", WEAK_KEX)),
    _ctl("SSH-015", "Host keys are ed25519 or RSA of at least 3072 bits", "medium",
         "A weak host key lets an attacker impersonate the server; DSA and NIST-curve keys are avoided.",
         [_MOZ, "NIST SP 800-57 Part 1"], "ssh_host_keys_enabled", _host_keys,
         note="with ssh_rsa_min_bits; the role removes weak keys and regenerates RSA"),
    _ctl("SSH-016", "sshd config and private host keys are protected", "medium",
         "A writable config or a readable private key is a backdoor or an impersonation.",
         [_CIS + " 5.1.1-5.1.3"], "ssh_server_enabled", _host_key_files),
    _ctl("SSH-017", "Diffie-Hellman groups are at least 3072 bits", "low",
         "Small group-exchange groups give less than 128-bit strength (Logjam class attacks).",
         [_MOZ, "https://weakdh.org"], "ssh_moduli_enabled", _moduli, note="with ssh_moduli_min_bits"),
    _ctl("SSH-018", "Logins are logged verbosely", "low",
         "VERBOSE logs which key logged in, so a stolen key can be traced.",
         [_CIS + " 5.1.13"], "ssh_log_level", _log_level),
    _ctl("SSH-019", "Idle sessions are reaped", "low",
         "Abandoned sessions are an open door; dead ones hold resources.",
         [_CIS + " 5.1.x", "STIG V-238213"], "ssh_client_alive_interval", _alive,
         note="with ssh_client_alive_count_max"),
    _ctl("SSH-020", "A warning banner is shown before login", "low",
         "A legal notice before authentication supports prosecution and policy.",
         [_CIS + " 5.1.x", "STIG V-238214"], "ssh_banner_enabled", _banner),
    _ctl("SSH-021", "Host-based and rhosts authentication are off", "medium",
         "Trusting another host's word for a user's identity extends the attack surface to that host.",
         [_CIS + " 5.1.x"], "ssh_server_enabled",
         lambda src, facts: expect(str(_setting(src, "hostbasedauthentication")) == "no"
                                   and str(_setting(src, "ignorerhosts")) == "yes",
                                   "HostbasedAuthentication %s, IgnoreRhosts %s"
                                   % (_setting(src, "hostbasedauthentication"), _setting(src, "ignorerhosts"))),
         note="sshd defaults; the role keeps them"),
    _ctl("SSH-022", "Users cannot set the server environment", "medium",
         "PermitUserEnvironment lets a user inject e.g. LD_PRELOAD into their sshd session.",
         [_CIS + " 5.1.x", "STIG V-238217"], "ssh_server_enabled",
         _equals("permituserenvironment", ("no",), "PermitUserEnvironment"), note="sshd default; the role keeps it"),
]
