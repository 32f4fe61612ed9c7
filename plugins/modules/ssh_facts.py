#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

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
            connecting_user=dict(type="str", default=""),
            candidate=dict(type="str"),
            candidate_dropin=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = dict(module.params)
    params["candidate_content"] = params.pop("candidate")
    module.exit_json(changed=False, **gather_ssh.gather_all(module, **params))


if __name__ == "__main__":
    main()
