#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""needrestart_facts: what still runs replaced code (services, kernel, QEMU guests); read-only."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import needrestart as gather_needrestart


def main():
    module = AnsibleModule(
        argument_spec=dict(
            guests=dict(type="bool", default=True),
            proc_root=dict(type="path", default="/proc"),
        ),
        supports_check_mode=True,
    )
    try:
        facts = gather_needrestart.gather(module, module.params["guests"], module.params["proc_root"])
    except gather_needrestart.NeedrestartError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
