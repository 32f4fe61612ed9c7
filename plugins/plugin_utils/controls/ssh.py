# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ssh controls (SSH-001..): judge sshd's EFFECTIVE settings (sshd -T), host keys and moduli.

Facts: ``audit_facts.ssh`` (module_utils/gather/ssh.py). Effective settings, not the config text, so a
drop-in or a Match block that overrides the role's file is seen as the server sees it.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect,
    failed,
    load,
    not_applicable,
    passed,
)

AREA = "ssh"
SOURCE = "ssh"

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
WEAK = {"ciphers": WEAK_CIPHERS, "macs": WEAK_MACS, "kexalgorithms": WEAK_KEX}


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


def _host_based(src, facts):
    hostbased, rhosts = _setting(src, "hostbasedauthentication"), _setting(src, "ignorerhosts")
    return expect(str(hostbased) == "no" and str(rhosts) == "yes", "HostbasedAuthentication %s, IgnoreRhosts %s" % (hostbased, rhosts))


def _no_weak(key):
    weak = WEAK[key]

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


def _at_least(key, limit):
    def check(src, facts):
        value = _setting(src, key)
        try:
            number = int(str(value))
        except ValueError:
            return failed("%s %s is not a number" % (key, value))
        return expect(number >= limit, "%s %s (want %d or more)" % (key, value, limit))
    return check


def _debian_banner(src, facts):
    value = _setting(src, "debianbanner")
    if value is None:
        return not_applicable("this sshd has no DebianBanner keyword (not a Debian-patched build)")
    return expect(value == "no", "DebianBanner %s" % value)


def _publickey_only(src, facts):
    password = _setting(src, "passwordauthentication")
    kbd = _setting(src, "kbdinteractiveauthentication")
    methods = str(_setting(src, "authenticationmethods") or "any")
    chains = methods.split()
    # every chain starting with a key step: no password can log in, whatever
    # PasswordAuthentication says
    ok = methods != "any" and all(chain.split(",")[0].split(":")[0] in ("publickey", "gssapi-with-mic")
                                  for chain in chains)
    if not ok and "yes" in (password, kbd):
        return not_applicable("password login is on (SSH-002/SSH-003 judge that); AuthenticationMethods %s" % methods)
    return expect(ok, "AuthenticationMethods %s" % methods)


def _config_private(src, facts):
    cfg = src.get("config") or {}
    if not cfg.get("exists"):
        return failed("%s does not exist" % cfg.get("path"))
    # ownership is SSH-016's question; this one asks who can read it
    return expect(not int(cfg.get("mode") or "0", 8) & 0o077,
                  "%s mode %s uid %s" % (cfg.get("path"), cfg.get("mode"), cfg.get("uid")))


CONTROLS = load(__name__, AREA, SOURCE)
