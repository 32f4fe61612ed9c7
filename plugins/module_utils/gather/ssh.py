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
import re
import shutil
import tempfile

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import (
    file_mode,
    files_in,
    read_text,
    systemctl_show_many,
)
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import (
    accepted_key,
    comment_out_subsystem_sftp,
    environ_value,
    find_includes,
    moduli_summary,
    parse_sshd_t,
    parse_ssh_connection,
    parse_version,
    redirect_include,
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


_PRIVSEP_RE = re.compile(r"Missing privilege separation directory: (/\S+)")


def run_sshd(module, args):
    """sshd -t/-T, also where its privilege separation directory does not exist yet.

    A socket-activated or never-started sshd may not have created it (Debian 13's
    ssh.socket). sshd only checks that it exists, so an empty one is made for the
    call and removed afterwards (rmdir: only while still empty), leaving no trace.
    """
    rc, out, err = module.run_command(args)
    found = _PRIVSEP_RE.search(err or "")
    if rc != 0 and found and not os.path.exists(found.group(1)):
        path = found.group(1)
        try:
            os.mkdir(path, 0o755)
        except OSError:
            return rc, out, err
        try:
            rc, out, err = module.run_command(args)
        finally:
            try:
                os.rmdir(path)
            except OSError:
                pass
    return rc, out, err


def effective(module, sshd, config_path):
    """(settings of ``sshd -T``, error text); the error is "" when sshd answered."""
    if not sshd:
        return {}, "sshd is not installed"
    rc, out, err = run_sshd(module, [sshd, "-T", "-f", config_path])
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


def ssh_connection(pid=None, max_depth=32):
    """This session's SSH_CONNECTION: from the environment, else from the nearest
    ancestor process that has it (sudo and su drop it from the module's environment,
    the login shell sshd started for this connection still holds it)."""
    value = os.environ.get("SSH_CONNECTION")
    pid = pid or os.getppid()
    depth = 0
    while not value and pid and pid > 1 and depth < max_depth:
        depth += 1
        try:
            with open("/proc/%d/environ" % pid, "rb") as handle:
                value = environ_value(handle.read(), "SSH_CONNECTION")
            with open("/proc/%d/status" % pid) as handle:
                status = handle.read()
        except (IOError, OSError):
            break
        ppid = [line.split()[1] for line in status.splitlines() if line.startswith("PPid:")]
        pid = int(ppid[0]) if ppid else 0
    return parse_ssh_connection(value)


def user_ca_keys(path):
    """The CA public keys of TrustedUserCAKeys (type, size, fingerprint); [] when none."""
    if not path or path == "none":
        return []
    return [key for key in (parse_public_key(line) for line in (read_text(path) or "").splitlines()) if key]


AUTH_LOGS = ("/var/log/auth.log", "/var/log/secure")


def key_in_use(module, user, connection):
    """The fingerprint of the key sshd accepted for this connection, from its log."""
    if not user or not connection:
        return None
    texts = []
    journalctl = module.get_bin_path("journalctl")
    if journalctl:
        rc, out, err = module.run_command([journalctl, "--no-pager", "-o", "cat", "-n", "20000",
                                           "-t", "sshd", "-t", "sshd-session", "-t", "sshd-auth"])
        if rc == 0:
            texts.append(out)
    for path in AUTH_LOGS:
        text = read_text(path, limit=4 * 1024 * 1024)
        if text:
            texts.append(text)
    for text in texts:
        found = accepted_key(text, user, connection["address"], connection["port"])
        if found:
            return found
    return None


def per_account(module, sshd, config_path, users, address):
    """{account: settings} of ``sshd -T -C user=,addr=,host=``: what sshd applies to this
    account from this address after Match blocks. address "" stands for unknown."""
    found = {}
    addr = address or "127.0.0.1"
    for name in users:
        context = "user=%s,addr=%s,host=%s" % (name, addr, addr)
        rc, out, err = run_sshd(module, [sshd, "-T", "-f", config_path, "-C", context])
        found[name] = parse_sshd_t(out) if rc == 0 else {"_error": (err or out).strip()}
    return found


def candidate(module, sshd, config_path, content, dropin_name, users, address):
    """Judge a candidate configuration without touching the live one.

    The live main file and drop-ins are copied into a private temporary directory,
    the candidate takes the place of ``dropin_name`` (or of the main file when
    ``dropin_name`` is empty), ``sshd -t`` validates the whole and ``sshd -T -C`` gives
    each account's settings. The directory is removed afterwards.
    """
    result = {"valid": False, "error": "", "users": {}}
    if not sshd:
        result["error"] = "sshd is not installed"
        return result
    tmp = tempfile.mkdtemp(prefix="startsecure-sshd-")
    try:
        main = os.path.join(tmp, "sshd_config")
        if dropin_name:
            files = config_files(config_path)
            copy = os.path.join(tmp, "d")
            os.mkdir(copy)
            for name in files["dropins"]:
                shutil.copy2(os.path.join(files["dropin_dir"], name), copy)
            with open(os.path.join(copy, dropin_name), "w") as handle:
                handle.write(content)
            text = comment_out_subsystem_sftp(read_text(config_path) or "")
            text = redirect_include(text, files["dropin_dir"], copy)
        else:
            text = content
        with open(main, "w") as handle:
            handle.write(text)
        os.chmod(main, 0o600)
        rc, out, err = run_sshd(module, [sshd, "-t", "-f", main])
        if rc != 0:
            result["error"] = (err or out).strip() or "sshd -t exited %d" % rc
            return result
        result["valid"] = True
        result["users"] = per_account(module, sshd, main, users, address)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
               service_units=("ssh.service", "ssh.socket", "sshd.service", "sshd.socket"),
               connecting_user="", candidate_content=None, candidate_dropin=""):
    """:func:`gather` plus what the ssh role decides with: version, algorithms, includes, units,
    accounts, this connection (address, key in use) and each account's per-connection settings.

    With ``candidate_content`` only the candidate is judged (the rest was gathered before).
    """
    sshd = find_sshd(module, sshd_path)
    connection = ssh_connection()
    address = connection["address"] if connection else ""
    if candidate_content is not None:
        return {"candidate": candidate(module, sshd, sshd_config, candidate_content, candidate_dropin,
                                       list(users), address)}
    facts = gather(module, sshd_config, moduli_min_bits, sshd_path, host_key_glob, moduli_path)
    # sshd -T prints all AuthorizedKeysFile values on one line separated by spaces.
    patterns = [p for value in facts["effective"].get("authorizedkeysfile") or [DEFAULT_AUTHORIZED_KEYS]
                for p in value.split()]
    facts.update(
        openssh=version(module, sshd),
        supported=supported(module),
        client_config=config_files(ssh_config),
        units=units(module, list(service_units)),
        users=dict((name, user(name, patterns)) for name in users),
        connection=dict(connection or {}, key_in_use=key_in_use(module, connecting_user, connection)),
        current=per_account(module, sshd, sshd_config, list(users), address) if sshd else {},
        user_ca_keys=user_ca_keys(facts["effective"].get("trustedusercakeys")),
    )
    # what a password would give the account without Match blocks, to tell a Match
    # block's opening apart from the global setting
    for settings in facts["current"].values():
        settings["_global_password"] = facts["effective"].get("passwordauthentication", "")
    return facts
