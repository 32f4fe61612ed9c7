#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""patch_facts: the pending updates of a host, judged security or not (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: patch_facts
short_description: Pending package updates, which of them are security updates, and whether a reboot is required
version_added: 0.1.0
description:
  - Reads the package manager's local cache (it never refreshes it, never installs anything) and
    returns every upgradable package with its installed and candidate versions and the origins that
    publish the candidate.
  - An update is a security update when one of its newer versions comes from an origin matching
    O(security_origins), the same origin patterns unattended-upgrades reads, so the report and the
    automatic upgrade agree on what "security" means.
  - Also reports whether the system asks for a reboot (V(/run/reboot-required) on the Debian family)
    and, with O(packages), the installed versions of the named packages (to tell what an upgrade changed).
  - Runs identically in check mode; one call, so an audit can judge the result.
  - Supports the Debian family (python3-apt). On other families the module fails with a clear message.
extends_documentation_fragment:
  - startsecure.hardening.attributes
  - startsecure.hardening.attributes.facts
  - startsecure.hardening.options.security_origins
author:
  - startsecure engineers (!UNKNOWN)
options:
  distro_id:
    description:
      - Value of C(${distro_id}) in patterns (what C(lsb_release -is) prints, for example V(Debian)).
      - Defaults to the capitalised C(ID) of C(/etc/os-release).
    type: str
  distro_codename:
    description:
      - Value of C(${distro_codename}) in patterns (for example V(bookworm)).
      - Defaults to C(VERSION_CODENAME) of C(/etc/os-release).
    type: str
  packages:
    description:
      - Names of packages whose installed version is returned in RV(installed) (V(null) when not installed).
    type: list
    elements: str
    default: []
  reboot_required_file:
    description:
      - The flag file that package scripts create when a reboot is needed.
    type: path
    default: /run/reboot-required
notes:
  - The cache is only as fresh as the last C(apt-get update); RV(lists_age_seconds) says how old it is.
  - Does not set C(ansible_facts); register the result.
requirements:
  - python3-apt on the target (part of every Debian installation that runs Ansible's apt module).
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Read pending updates (also in check mode)
  startsecure.hardening.patch_facts:
  register: pending

- name: Fail the audit when security updates wait
  ansible.builtin.assert:
    that: pending.security_count == 0
    fail_msg: "{{ pending.updates | selectattr('security') | map(attribute='name') | join(', ') }}"

- name: Treat a vendor's repository as a security origin too
  startsecure.hardening.patch_facts:
    security_origins:
      - origin=Debian,codename=${distro_codename}-security,label=Debian-Security
      - origin=Example,label=Example-Security
    packages: [openssl]
"""

RETURN = r"""
updates:
  description: Every installed package with a newer version available, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Package name (C(name:arch) for a foreign architecture).
      type: str
      returned: always
    arch:
      description: Architecture.
      type: str
      returned: always
    current_version:
      description: Installed version.
      type: str
      returned: always
    candidate_version:
      description: Version apt would install.
      type: str
      returned: always
    origins:
      description: Origins (Release files) publishing the candidate.
      type: list
      elements: dict
      returned: always
      sample: [{origin: Debian, label: Debian-Security, archive: stable-security,
                codename: bookworm-security, component: main, site: "", trusted: true}]
    security:
      description: A newer version comes from a security origin.
      type: bool
      returned: always
    security_version:
      description: Newest version from a security origin (null when there is none).
      type: str
      returned: always
    security_pattern:
      description: The pattern that matched (null when none did).
      type: str
      returned: always
  sample:
    - name: openssl
      arch: amd64
      current_version: 3.0.15-1~deb12u1
      candidate_version: 3.0.17-1~deb12u2
      security: true
      security_version: 3.0.17-1~deb12u2
      security_pattern: origin=Debian,codename=${distro_codename}-security,label=Debian-Security
      origins: []
security_count:
  description: Number of updates with a security version.
  returned: success
  type: int
  sample: 1
other_count:
  description: Number of updates without one.
  returned: success
  type: int
  sample: 4
total_count:
  description: Number of upgradable packages.
  returned: success
  type: int
  sample: 5
reboot_required:
  description: The system asks for a reboot (O(reboot_required_file) exists).
  returned: success
  type: bool
reboot_required_packages:
  description: Packages that asked for the reboot (the C(.pkgs) file beside the flag), sorted.
  returned: success
  type: list
  elements: str
installed:
  description: Installed version of each package named in O(packages) (null when not installed).
  returned: success
  type: dict
  sample: {openssl: 3.0.17-1~deb12u2}
lists_present:
  description: The package lists exist (false on a host where C(apt-get update) never ran; then nothing can be judged).
  returned: success
  type: bool
lists_age_seconds:
  description: Age of the newest package list in seconds, or null without lists.
  returned: success
  type: int
distro_id:
  description: The C(${distro_id}) used.
  returned: success
  type: str
distro_codename:
  description: The C(${distro_codename}) used.
  returned: success
  type: str
security_origins:
  description: The patterns used, as given.
  returned: success
  type: list
  elements: str
"""

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
    reboot_required, reboot_packages = gather_patching.reboot_state(params["reboot_required_file"])
    module.exit_json(
        changed=False,
        reboot_required=reboot_required,
        reboot_required_packages=reboot_packages,
        distro_id=distro_id,
        distro_codename=distro_codename,
        security_origins=params["security_origins"],
        **dict(found, **summarize(found["updates"]))
    )


if __name__ == "__main__":
    main()
