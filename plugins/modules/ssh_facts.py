#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: startsecure engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ssh_facts
short_description: Gather everything needed to judge an OpenSSH server in one call
version_added: 0.1.0
description:
  - Reads, never changes, the state of OpenSSH on the target host and returns it as
    structured data.
  - Returns the OpenSSH version and the algorithms this build supports (C(ssh -Q)),
    the effective server settings (C(sshd -T)) as a dictionary, whether C(sshd_config)
    includes drop-in files and which drop-ins exist, the host keys with their types
    and sizes, the Diffie-Hellman groups of the moduli file, the state of the ssh
    service and socket units, and for each requested account its authorized keys with
    type and size.
  - The ssh role uses it to pick algorithms and to refuse changes that would lock an
    account out; the audit playbook reuses the same data.
author:
  - startsecure engineers (!UNKNOWN)
options:
  users:
    description:
      - Accounts whose authorized keys, groups and existence are returned.
    type: list
    elements: str
    default: []
  sshd_config:
    description:
      - Path of the main sshd configuration file.
    type: path
    default: /etc/ssh/sshd_config
  ssh_config:
    description:
      - Path of the main ssh client configuration file.
    type: path
    default: /etc/ssh/ssh_config
  sshd_path:
    description:
      - Path of the sshd binary. When not given, C(sshd) is looked up in the usual
        sbin directories.
    type: path
  moduli_path:
    description:
      - Path of the Diffie-Hellman moduli file.
    type: path
    default: /etc/ssh/moduli
  moduli_min_bits:
    description:
      - Groups smaller than this many bits are counted in C(groups_below_min) of RV(moduli).
    type: int
    default: 3072
  host_key_glob:
    description:
      - Glob of the host public key files to report.
    type: str
    default: /etc/ssh/ssh_host_*_key.pub
  service_units:
    description:
      - systemd units whose active and enabled state is returned.
    type: list
    elements: str
    default: [ssh.service, ssh.socket, sshd.service, sshd.socket]
notes:
  - Read-only; supports check mode.
  - When C(sshd -T) fails (for example because the privilege separation directory
    C(/run/sshd) is missing on a host where sshd is socket-activated), RV(effective)
    is empty and RV(effective_error) says why; the other facts are still returned.
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
"""

EXAMPLES = r"""
- name: Gather the ssh facts of the admin account
  startsecure.hardening.ssh_facts:
    users: [admin]
  register: ssh_state

- name: Show whether password login is effectively on
  ansible.builtin.debug:
    msg: "{{ ssh_state.effective.passwordauthentication }}"

- name: Every authorized key of admin with its size
  ansible.builtin.debug:
    msg: "{{ ssh_state.users.admin.keys | map(attribute='bits') | list }}"
"""

RETURN = r"""
openssh:
  description: Version of the installed OpenSSH, or null when it cannot be told.
  returned: always
  type: dict
  sample: {"full": "OpenSSH_9.2p1 Debian-2+deb12u10", "major": 9, "minor": 2, "version": "9.2"}
supported:
  description: Algorithms this OpenSSH build supports, from C(ssh -Q), by kind.
  returned: always
  type: dict
  sample: {"kex": ["curve25519-sha256", "sntrup761x25519-sha512"], "cipher": ["aes256-gcm@openssh.com"],
           "mac": ["hmac-sha2-512-etm@openssh.com"], "key": ["ssh-ed25519"], "key_sig": ["rsa-sha2-512"]}
config:
  description: The main sshd configuration file, its Include patterns and existing drop-ins.
  returned: always
  type: dict
  contains:
    path:
      description: Path of the main file.
      type: str
    exists:
      description: Whether the main file exists.
      type: bool
    includes:
      description: Patterns of its Include lines.
      type: list
      elements: str
    dropin_dir:
      description: Directory the first Include pattern reads from, or null.
      type: str
    dropins:
      description: Sorted file names matching the Include patterns (the order sshd reads them).
      type: list
      elements: str
client_config:
  description: The main ssh client configuration file, its Include patterns and drop-ins (same keys as RV(config)).
  returned: always
  type: dict
  sample: {"path": "/etc/ssh/ssh_config", "exists": true, "includes": ["/etc/ssh/ssh_config.d/*.conf"],
           "dropin_dir": "/etc/ssh/ssh_config.d", "dropins": []}
effective:
  description:
    - Effective global sshd settings from C(sshd -T), keyword (lower case) to value.
    - Keywords that may repeat (hostkey, port, listenaddress, subsystem, acceptenv,
      allowusers, ...) map to lists, all others to strings.
  returned: always
  type: dict
  sample: {"passwordauthentication": "no", "port": ["22"], "hostkey": ["/etc/ssh/ssh_host_ed25519_key"]}
effective_error:
  description: Error output of C(sshd -T) when it failed, else an empty string.
  returned: always
  type: str
host_keys:
  description: Host public keys found by O(host_key_glob).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/ssh/ssh_host_ed25519_key.pub", "private_path": "/etc/ssh/ssh_host_ed25519_key",
            "type": "ssh-ed25519", "bits": 256, "fingerprint": "SHA256:..."}]
moduli:
  description: Counts of the Diffie-Hellman groups in the moduli file.
  returned: always
  type: dict
  sample: {"path": "/etc/ssh/moduli", "exists": true, "groups": 405, "groups_below_min": 60, "min_bits": 3072}
units:
  description: For each of O(service_units), its systemd ActiveState and UnitFileState (empty when unknown).
  returned: always
  type: dict
  sample: {"ssh.service": {"active": "active", "enabled": "enabled"}, "ssh.socket": {"active": "inactive", "enabled": "disabled"}}
users:
  description: Per requested account, whether it exists, its uid, home, groups, authorized key files and keys.
  returned: always
  type: dict
  sample:
    admin:
      exists: true
      uid: 1000
      home: /home/admin
      groups: [admin, sudo]
      authorized_keys_files: [/home/admin/.ssh/authorized_keys]
      keys: [{"type": "ssh-ed25519", "bits": 256, "comment": "admin@laptop", "fingerprint": "SHA256:...",
              "options": [], "file": "/home/admin/.ssh/authorized_keys"}]
"""

import glob
import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
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

QUERY_KINDS = {"kex": "kex", "cipher": "cipher", "mac": "mac", "key": "key", "key_sig": "key-sig"}
DEFAULT_AUTHORIZED_KEYS = ".ssh/authorized_keys .ssh/authorized_keys2"


def read_text(path):
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return None


def find_sshd(module):
    path = module.params["sshd_path"]
    if path:
        return path
    return module.get_bin_path("sshd", opt_dirs=["/usr/sbin", "/usr/local/sbin", "/sbin"])


def gather_version(module, sshd):
    ssh = module.get_bin_path("ssh")
    if ssh:
        rc, out, err = module.run_command([ssh, "-V"])
        version = parse_version(err + out)
        if version:
            return version
    if sshd:
        rc, out, err = module.run_command([sshd, "-V"])
        return parse_version(err + out)
    return None


def gather_supported(module):
    ssh = module.get_bin_path("ssh")
    supported = dict((name, []) for name in QUERY_KINDS)
    if not ssh:
        return supported
    for name, query in QUERY_KINDS.items():
        rc, out, err = module.run_command([ssh, "-Q", query])
        if rc == 0:
            supported[name] = [line.strip() for line in out.splitlines() if line.strip()]
    return supported


def gather_config(path):
    text = read_text(path)
    includes = find_includes(text) if text is not None else []
    base = os.path.dirname(path)
    dropins = []
    dropin_dir = None
    for pattern in includes:
        full = pattern if os.path.isabs(pattern) else os.path.join(base, pattern)
        if dropin_dir is None:
            dropin_dir = os.path.dirname(full)
        dropins.extend(os.path.basename(name) for name in glob.glob(full) if os.path.isfile(name))
    return {
        "path": path,
        "exists": text is not None,
        "includes": includes,
        "dropin_dir": dropin_dir,
        "dropins": sorted(set(dropins)),
    }


def gather_effective(module, sshd, config_path):
    if not sshd:
        return {}, "sshd not found"
    rc, out, err = module.run_command([sshd, "-T", "-f", config_path])
    if rc != 0:
        return {}, (err or out).strip()
    return parse_sshd_t(out), ""


def gather_host_keys(pattern):
    keys = []
    for path in sorted(glob.glob(pattern)):
        text = read_text(path)
        key = parse_public_key(text) if text else None
        entry = {"path": path, "private_path": path[:-4] if path.endswith(".pub") else path,
                 "type": None, "bits": None, "fingerprint": None}
        if key:
            entry.update(type=key["type"], bits=key["bits"], fingerprint=key["fingerprint"])
        keys.append(entry)
    return keys


def gather_moduli(path, min_bits):
    text = read_text(path)
    summary = moduli_summary(text or "", min_bits)
    summary.update(path=path, exists=text is not None)
    return summary


def gather_units(module, units):
    result = {}
    systemctl = module.get_bin_path("systemctl")
    for unit in units:
        state = {"active": "", "enabled": ""}
        if systemctl:
            rc, out, err = module.run_command(
                [systemctl, "show", "--property=ActiveState,UnitFileState", unit])
            for line in out.splitlines():
                key, _sep, value = line.partition("=")
                if key == "ActiveState":
                    state["active"] = value
                elif key == "UnitFileState":
                    state["enabled"] = value
        result[unit] = state
    return result


def expand_keys_file(pattern, entry):
    path = pattern.replace("%%", "\0").replace("%h", entry.pw_dir).replace("%u", entry.pw_name)
    path = path.replace("%U", str(entry.pw_uid)).replace("\0", "%")
    if not os.path.isabs(path):
        path = os.path.join(entry.pw_dir, path)
    return path


def gather_user(name, authorized_keys_patterns):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return {"exists": False, "uid": None, "home": None, "groups": [],
                "authorized_keys_files": [], "keys": []}
    groups = set()
    try:
        groups.add(grp.getgrgid(entry.pw_gid).gr_name)
    except KeyError:
        pass
    for group in grp.getgrall():
        if name in group.gr_mem:
            groups.add(group.gr_name)
    files = []
    keys = []
    for pattern in authorized_keys_patterns:
        if pattern.lower() == "none":
            continue
        path = expand_keys_file(pattern, entry)
        files.append(path)
        text = read_text(path)
        for key in parse_authorized_keys(text or ""):
            key["file"] = path
            keys.append(key)
    return {"exists": True, "uid": entry.pw_uid, "home": entry.pw_dir, "groups": sorted(groups),
            "authorized_keys_files": files, "keys": keys}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type="list", elements="str", default=[]),
            sshd_config=dict(type="path", default="/etc/ssh/sshd_config"),
            ssh_config=dict(type="path", default="/etc/ssh/ssh_config"),
            sshd_path=dict(type="path"),
            moduli_path=dict(type="path", default="/etc/ssh/moduli"),
            moduli_min_bits=dict(type="int", default=3072),
            host_key_glob=dict(type="str", default="/etc/ssh/ssh_host_*_key.pub", no_log=False),
            service_units=dict(type="list", elements="str",
                               default=["ssh.service", "ssh.socket", "sshd.service", "sshd.socket"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    sshd = find_sshd(module)
    effective, effective_error = gather_effective(module, sshd, params["sshd_config"])
    keys_patterns = effective.get("authorizedkeysfile") or [DEFAULT_AUTHORIZED_KEYS]
    # sshd -T prints all AuthorizedKeysFile values on one line separated by spaces.
    keys_patterns = [p for value in keys_patterns for p in value.split()]
    module.exit_json(
        changed=False,
        openssh=gather_version(module, sshd),
        supported=gather_supported(module),
        config=gather_config(params["sshd_config"]),
        client_config=gather_config(params["ssh_config"]),
        effective=effective,
        effective_error=effective_error,
        host_keys=gather_host_keys(params["host_key_glob"]),
        moduli=gather_moduli(params["moduli_path"], params["moduli_min_bits"]),
        units=gather_units(module, params["service_units"]),
        users=dict((name, gather_user(name, keys_patterns)) for name in params["users"]),
    )


if __name__ == "__main__":
    main()
