#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""patch_facts: the pending updates of a host, judged security or not (read-only)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import patching as gather_patching
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
    DEBIAN_SECURITY_ORIGINS,
    summarize,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            security_origins=dict(type="list", elements="str", default=DEBIAN_SECURITY_ORIGINS),
            distro_id=dict(type="str"),
            distro_codename=dict(type="str"),
            packages=dict(type="list", elements="str", default=[]),
            reboot_required_file=dict(type="path", default=gather_patching.REBOOT_REQUIRED_FILE),
        ),
        supports_check_mode=True,
    )
    params = module.params
    distro_id, distro_codename = gather_patching.distro(gather_patching.read_os_release(),
                                                        params["distro_id"], params["distro_codename"])
    try:
        found = gather_patching.read_updates(params["security_origins"], distro_id, distro_codename,
                                             params["packages"])
    except gather_patching.AptMissing:
        module.fail_json(msg=missing_required_lib("python3-apt")
                         + " patch_facts supports the Debian family only; other package managers are not supported yet.")
    except gather_patching.PatchingError as exc:
        module.fail_json(msg=str(exc))
    source = gather_patching.apt_source_facts(distro_id, distro_codename)
    if source.get("error"):
        module.fail_json(msg=source["error"])
    reboot_required, reboot_packages = gather_patching.reboot_state(params["reboot_required_file"])
    module.exit_json(
        changed=False,
        security_source=source,
        reboot_required=reboot_required,
        reboot_required_packages=reboot_packages,
        distro_id=distro_id,
        distro_codename=distro_codename,
        security_origins=params["security_origins"],
        **dict(found, **summarize(found["updates"]))
    )


if __name__ == "__main__":
    main()
