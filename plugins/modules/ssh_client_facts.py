#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ssh_client_facts: the algorithms and keys an OpenSSH client offers to one host; read-only."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import ssh_client as gather_client


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int"),
            user=dict(type="str", default=""),
            identity_files=dict(type="list", elements="path", default=[]),
            ssh_args=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, **gather_client.gather(module, **module.params))


if __name__ == "__main__":
    main()
