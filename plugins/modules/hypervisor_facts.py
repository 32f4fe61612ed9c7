#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor


def main():
    module = AnsibleModule(
        argument_spec=dict(
            uri=dict(type="str", default="qemu:///system"),
            virt_host_validate=dict(type="bool", default=True),
            admins=dict(type="list", elements="str"),
            guest_agent_allowed=dict(type="bool", default=True),
            disk_encryption_required=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    facts = hypervisor.gather_with_module(module, module.params["uri"], module.params["virt_host_validate"])
    facts["expected_admins"] = module.params["admins"]
    facts["policy"] = {"guest_agent_allowed": module.params["guest_agent_allowed"],
                       "disk_encryption_required": module.params["disk_encryption_required"]}
    module.exit_json(changed=False, hypervisor=facts)


if __name__ == "__main__":
    main()
