#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

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
extends_documentation_fragment:
  - startsecure.hardening.attributes
  - startsecure.hardening.attributes.facts
  - startsecure.hardening.options.sshd_config
author:
  - startsecure engineers (!UNKNOWN)
options:
  users:
    description:
      - Accounts whose authorized keys, groups and existence are returned.
    type: list
    elements: str
    default: []
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
  - When C(sshd -T) fails (for example because the privilege separation directory
    C(/run/sshd) is missing on a host where sshd is socket-activated), RV(effective)
    is empty and RV(effective_error) says why; the other facts are still returned.
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
installed:
  description: Whether an sshd binary was found.
  returned: always
  type: bool
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
    mode:
      description: Its permission bits as an octal string (null when it does not exist).
      type: str
    uid:
      description: Its owner's uid.
      type: int
    gid:
      description: Its group's gid.
      type: int
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
            "type": "ssh-ed25519", "bits": 256, "fingerprint": "SHA256:...",
            "private": {"path": "/etc/ssh/ssh_host_ed25519_key", "exists": true, "mode": "0600", "uid": 0, "gid": 0}}]
moduli:
  description: Counts of the Diffie-Hellman groups in the moduli file.
  returned: always
  type: dict
  sample: {"path": "/etc/ssh/moduli", "exists": true, "groups": 405, "groups_below_min": 60, "min_bits": 3072}
dropins:
  description: Mode and owner of each C(sshd_config.d/*.conf) beside O(sshd_config).
  returned: always
  type: list
  elements: dict
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import ssh as gather_ssh


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type="list", elements="str", default=[]),
            sshd_config=dict(type="path", default=gather_ssh.SSHD_CONFIG),
            ssh_config=dict(type="path", default="/etc/ssh/ssh_config"),
            sshd_path=dict(type="path"),
            moduli_path=dict(type="path", default=gather_ssh.MODULI),
            moduli_min_bits=dict(type="int", default=gather_ssh.MODULI_MIN_BITS),
            host_key_glob=dict(type="str", default=gather_ssh.HOST_KEY_GLOB, no_log=False),
            service_units=dict(type="list", elements="str",
                               default=["ssh.service", "ssh.socket", "sshd.service", "sshd.socket"]),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, **gather_ssh.gather_all(module, **module.params))


if __name__ == "__main__":
    main()
