# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather OpenSSH's state: effective sshd settings, host keys, moduli, includes, units, accounts.

One gatherer for both callers: :func:`gather` is what the audit's ssh controls judge,
:func:`gather_all` adds what the ssh role needs to pick algorithms and to refuse a
lockout (the ``ssh_facts`` module returns it as it is). Parsing is the ssh role's own
(``parsers/ssh_config.py`` and ``parsers/ssh_keys.py``).
"""

from __future__ import annotations

import grp
import os
import pwd

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import (
    file_mode,
    files_in,
    read_text,
    systemctl_show_many,
)
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import (
    find_includes,
    moduli_summary,
    parse_sshd_t,
    parse_version,
)
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_keys import (
    parse_authorized_keys,
    parse_public_key,
)

SSHD_CONFIG = "/etc/ssh/sshd_config"
HOST_KEY_GLOB = "/etc/ssh/ssh_host_*_key.pub"
MODULI = "/etc/ssh/moduli"
MODULI_MIN_BITS = 3072
QUERY_KINDS = {"kex": "kex", "cipher": "cipher", "mac": "mac", "key": "key", "key_sig": "key-sig"}
DEFAULT_AUTHORIZED_KEYS = ".ssh/authorized_keys .ssh/authorized_keys2"


def find_sshd(module, path=None):
    return path or module.get_bin_path("sshd", opt_dirs=["/usr/sbin", "/usr/local/sbin", "/sbin"])


def version(module, sshd):
    ssh = module.get_bin_path("ssh")
    if ssh:
        rc, out, err = module.run_command([ssh, "-V"])
        found = parse_version(err + out)
        if found:
            return found
    if sshd:
        rc, out, err = module.run_command([sshd, "-V"])
        return parse_version(err + out)
    return None


def supported(module):
    """The algorithms this OpenSSH build knows (``ssh -Q``), by kind."""
    ssh = module.get_bin_path("ssh")
    found = dict((name, []) for name in QUERY_KINDS)
    if not ssh:
        return found
    for name, query in QUERY_KINDS.items():
        rc, out, err = module.run_command([ssh, "-Q", query])
        if rc == 0:
            found[name] = [line.strip() for line in out.splitlines() if line.strip()]
    return found


def config_files(path):
    """The main config file (mode, owner), the Include patterns it names and the drop-ins that exist."""
    text = read_text(path)
    includes = find_includes(text) if text is not None else []
    base = os.path.dirname(path)
    dropins = []
    dropin_dir = None
    for pattern in includes:
        full = pattern if os.path.isabs(pattern) else os.path.join(base, pattern)
        if dropin_dir is None:
            dropin_dir = os.path.dirname(full)
        dropins.extend(os.path.basename(name) for name in files_in(full))
    return dict(file_mode(path), includes=includes, dropin_dir=dropin_dir, dropins=sorted(set(dropins)))


def effective(module, sshd, config_path):
    """(settings of ``sshd -T``, error text); the error is "" when sshd answered."""
    if not sshd:
        return {}, "sshd is not installed"
    # sshd -T needs its privilege separation directory; on a socket-activated or
    # never-started sshd it may be missing. Say so instead of creating it (read-only).
    rc, out, err = module.run_command([sshd, "-T", "-f", config_path])
    if rc != 0:
        return {}, (err or out).strip() or "sshd -T exited %d" % rc
    return parse_sshd_t(out), ""


def host_keys(pattern=HOST_KEY_GLOB):
    """Each host public key with type, size, fingerprint and its private key's mode and owner."""
    keys = []
    for path in files_in(pattern):
        key = parse_public_key(read_text(path) or "") or {}
        private = path[:-4] if path.endswith(".pub") else path
        keys.append({"path": path, "private_path": private, "type": key.get("type"), "bits": key.get("bits"),
                     "fingerprint": key.get("fingerprint"), "private": file_mode(private)})
    return keys


def moduli(path=MODULI, min_bits=MODULI_MIN_BITS):
    text = read_text(path)
    return dict(moduli_summary(text or "", min_bits), path=path, exists=text is not None)


def units(module, names):
    """{unit: {"active", "enabled"}} in one systemctl call."""
    shown = systemctl_show_many(module, names, ("ActiveState", "UnitFileState"))
    return dict((name, {"active": shown[name].get("ActiveState", ""), "enabled": shown[name].get("UnitFileState", "")})
                for name in names)


def expand_keys_file(pattern, entry):
    path = pattern.replace("%%", "\0").replace("%h", entry.pw_dir).replace("%u", entry.pw_name)
    path = path.replace("%U", str(entry.pw_uid)).replace("\0", "%")
    if not os.path.isabs(path):
        path = os.path.join(entry.pw_dir, path)
    return path


def user(name, authorized_keys_patterns):
    """An account's existence, groups and authorized keys (as sshd would look them up)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return {"exists": False, "uid": None, "home": None, "groups": [], "authorized_keys_files": [], "keys": []}
    groups = set()
    try:
        groups.add(grp.getgrgid(entry.pw_gid).gr_name)
    except KeyError:
        pass
    groups.update(group.gr_name for group in grp.getgrall() if name in group.gr_mem)
    files = []
    keys = []
    for pattern in authorized_keys_patterns:
        if pattern.lower() == "none":
            continue
        path = expand_keys_file(pattern, entry)
        files.append(path)
        for key in parse_authorized_keys(read_text(path) or ""):
            key["file"] = path
            keys.append(key)
    return {"exists": True, "uid": entry.pw_uid, "home": entry.pw_dir, "groups": sorted(groups),
            "authorized_keys_files": files, "keys": keys}


def gather(module, sshd_config=SSHD_CONFIG, moduli_min_bits=MODULI_MIN_BITS, sshd_path=None,
           host_key_glob=HOST_KEY_GLOB, moduli_path=MODULI):
    """What the audit's ssh controls judge."""
    sshd = find_sshd(module, sshd_path)
    settings, error = effective(module, sshd, sshd_config)
    return {"installed": bool(sshd), "config": config_files(sshd_config), "effective": settings,
            "effective_error": error, "host_keys": host_keys(host_key_glob), "moduli": moduli(moduli_path, moduli_min_bits),
            "dropins": [file_mode(p) for p in files_in(os.path.join(os.path.dirname(sshd_config), "sshd_config.d", "*.conf"))]}


def gather_all(module, users=(), sshd_config=SSHD_CONFIG, ssh_config="/etc/ssh/ssh_config", sshd_path=None,
               moduli_path=MODULI, moduli_min_bits=MODULI_MIN_BITS, host_key_glob=HOST_KEY_GLOB,
               service_units=("ssh.service", "ssh.socket", "sshd.service", "sshd.socket")):
    """:func:`gather` plus what the ssh role decides with: version, algorithms, includes, units, accounts."""
    facts = gather(module, sshd_config, moduli_min_bits, sshd_path, host_key_glob, moduli_path)
    sshd = find_sshd(module, sshd_path)
    # sshd -T prints all AuthorizedKeysFile values on one line separated by spaces.
    patterns = [p for value in facts["effective"].get("authorizedkeysfile") or [DEFAULT_AUTHORIZED_KEYS]
                for p in value.split()]
    facts.update(
        openssh=version(module, sshd),
        supported=supported(module),
        client_config=config_files(ssh_config),
        units=units(module, list(service_units)),
        users=dict((name, user(name, patterns)) for name in users),
    )
    return facts
