# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what an OpenSSH client offers when it connects to one host: algorithms and keys.

Run on the controller (the ``ssh_client_facts`` module, delegated to localhost), it
answers the two questions the ssh role's lockout check needs about the play's own
connection: which key exchange, cipher and MAC algorithms the client offers
(``ssh -G`` for that host, so ~/.ssh/config and -o options count; ``ssh -Q`` when -G
fails) and which keys it logs in with (the private key files it is given or
configured with, by the fingerprint of their public half, and the agent's keys).
"""

from __future__ import annotations

import os
import shlex

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import read_text
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import parse_version
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_keys import parse_public_key

# ssh options that change what -G prints and take a value; other words of
# ansible_ssh_common_args (ProxyCommand quoting, -v, ...) are dropped.
_OPTIONS_WITH_VALUE = ("-F", "-o", "-i", "-c", "-m", "-J", "-l", "-p")


def ssh_g_settings(text):
    """``ssh -G`` output -> {keyword: value}, ``identityfile`` as a list in order."""
    settings = {"identityfile": []}
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            continue
        keyword, value = parts[0].lower(), parts[1]
        if keyword == "identityfile":
            settings["identityfile"].append(value)
        elif keyword not in settings:
            settings[keyword] = value
    return settings


def option_args(args_text):
    """The -F/-o/-i/... pairs of an ssh argument string, safe to give to ``ssh -G``."""
    words = shlex.split(args_text or "")
    kept = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in _OPTIONS_WITH_VALUE and index + 1 < len(words):
            kept += [word, words[index + 1]]
            index += 2
            continue
        if len(word) > 2 and word[:2] in _OPTIONS_WITH_VALUE:
            kept.append(word)
        index += 1
    return kept


def public_half(module, path):
    """(parsed public key, how it was read) of a private key file, or (None, reason)."""
    path = os.path.expanduser(path)
    text = read_text(path + ".pub")
    if text and parse_public_key(text):
        return parse_public_key(text), path + ".pub"
    if not os.path.exists(path):
        return None, "%s does not exist" % path
    keygen = module.get_bin_path("ssh-keygen")
    if not keygen:
        return None, "ssh-keygen not found"
    # -P "" never prompts: a key with a passphrase and no .pub file stays unknown.
    rc, out, err = module.run_command([keygen, "-y", "-P", "", "-f", path])
    key = parse_public_key(out) if rc == 0 else None
    return (key, "ssh-keygen -y -f %s" % path) if key else (None, "cannot read the public half of %s" % path)


def gather(module, host, port=None, user="", identity_files=(), ssh_args=""):
    """What the client offers to ``user@host:port`` with ``ssh_args``."""
    ssh = module.get_bin_path("ssh")
    facts = {"installed": bool(ssh), "version": None, "kex": [], "cipher": [], "mac": [],
             "identities": [], "unknown": [], "source": ""}
    if not ssh:
        return facts
    rc, out, err = module.run_command([ssh, "-V"])
    found = parse_version(err + out)
    facts["version"] = found["full"] if found else None
    identity_files = [f for f in identity_files if f]
    cmd = [ssh, "-G"] + option_args(ssh_args)
    for path in identity_files:
        cmd += ["-i", path]
    if port:
        cmd += ["-p", str(port)]
    if user:
        cmd += ["-l", user]
    rc, out, err = module.run_command(cmd + [host])
    settings = ssh_g_settings(out) if rc == 0 else {"identityfile": []}
    if rc == 0:
        facts["source"] = "ssh -G"
        facts["kex"] = settings.get("kexalgorithms", "").split(",") if settings.get("kexalgorithms") else []
        facts["cipher"] = settings.get("ciphers", "").split(",") if settings.get("ciphers") else []
        facts["mac"] = settings.get("macs", "").split(",") if settings.get("macs") else []
    else:
        facts["source"] = "ssh -Q"
        for kind in ("kex", "cipher", "mac"):
            rc, out, err = module.run_command([ssh, "-Q", kind])
            facts[kind] = [line.strip() for line in out.splitlines() if line.strip()] if rc == 0 else []
    seen = set()

    def add(key, source):
        if key and key["fingerprint"] not in seen:
            seen.add(key["fingerprint"])
            facts["identities"].append({"fingerprint": key["fingerprint"], "type": key["type"],
                                        "bits": key["bits"], "source": source})
    # The agent's keys are offered first unless IdentitiesOnly is set.
    if settings.get("identitiesonly", "no") != "yes" and os.environ.get("SSH_AUTH_SOCK"):
        agent = module.get_bin_path("ssh-add")
        if agent:
            rc, out, err = module.run_command([agent, "-L"])
            for line in out.splitlines() if rc == 0 else []:
                add(parse_public_key(line), "agent")
    # ssh -G lists the explicit -i files first, then the configured and default ones;
    # a default file that does not exist is not offered and is not reported.
    for path in identity_files + settings["identityfile"]:
        key, how = public_half(module, path)
        if key:
            add(key, how)
        elif path in identity_files or os.path.exists(os.path.expanduser(path)):
            facts["unknown"].append(how)
    return facts
