#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
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
author:
  - startsecure engineers (!UNKNOWN)
options:
  security_origins:
    description:
      - unattended-upgrades origin patterns that mark a security origin, for example
        V(origin=Debian,codename=${distro_codename}-security,label=Debian-Security).
      - Keys C(origin)/C(o), C(label)/C(l), C(archive)/C(a)/C(suite), C(codename)/C(n),
        C(component)/C(c), C(site); values are shell wildcards; C(${distro_id}) and
        C(${distro_codename}) are substituted.
    type: list
    elements: str
    default:
      - origin=Debian,codename=${distro_codename}-security,label=Debian-Security
      - origin=Debian,codename=${distro_codename},label=Debian-Security
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
security_source:
  description:
    - Whether APT's sources (one-line and deb822 files) include the distribution's security suite, the
      URI of the main suite, and the security archive on that same mirror (null when its layout is unknown).
  returned: success
  type: dict
  sample:
    present: false
    suites: [bookworm-security, bookworm/updates]
    main_uri: http://mirror.example/debian/
    proposed_uri: http://mirror.example/debian-security
    sources: [{uri: http://mirror.example/debian/, suite: bookworm}]
security_origins:
  description: The patterns used, as given.
  returned: success
  type: list
  elements: str
"""

import functools
import glob
import os
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.patching_origins import (
    OriginPatternError,
    apt_sources,
    classify_update,
    compile_patterns,
    security_source,
    summarize,
)

try:
    import apt
    import apt_pkg
    HAS_APT = True
except ImportError:  # pragma: no cover - depends on the target
    HAS_APT = False


def read_os_release(path="/etc/os-release"):
    values = {}
    try:
        with open(path) as handle:
            for line in handle:
                if "=" in line:
                    key, value = line.rstrip("\n").split("=", 1)
                    values[key] = value.strip().strip('"').strip("'")
    except (IOError, OSError):
        pass
    return values


def origin_dict(origin):
    return {
        "origin": origin.origin or "",
        "label": origin.label or "",
        "archive": origin.archive or "",
        "codename": origin.codename or "",
        "component": origin.component or "",
        "site": origin.site or "",
        "trusted": bool(origin.trusted),
    }


def package_record(pkg):
    """Plain dict of an upgradable apt.Package for patching_origins.classify_update."""
    installed = pkg.installed.version
    newer = [v for v in pkg.versions if apt_pkg.version_compare(v.version, installed) > 0]
    newer.sort(key=functools.cmp_to_key(lambda a, b: apt_pkg.version_compare(a.version, b.version)),
               reverse=True)
    candidate = pkg.candidate
    return {
        "name": pkg.name,  # "name:arch" only for a foreign architecture, as apt wants it
        "arch": pkg.architecture(),
        "current_version": installed,
        "candidate_version": candidate.version if candidate else None,
        "candidate_origins": [origin_dict(o) for o in candidate.origins] if candidate else [],
        "newer": [{"version": v.version, "origins": [origin_dict(o) for o in v.origins]} for v in newer],
    }


def lists_state():
    lists_dir = apt_pkg.config.find_dir("Dir::State::lists")
    files = glob.glob(os.path.join(lists_dir, "*_Packages")) + glob.glob(os.path.join(lists_dir, "*_Packages.*"))
    if not files:
        return False, None
    newest = max(os.path.getmtime(f) for f in files)
    return True, int(max(0, time.time() - newest))


def reboot_state(flag):
    required = os.path.exists(flag)
    packages = []
    try:
        with open(flag + ".pkgs") as handle:
            packages = sorted({line.strip() for line in handle if line.strip()})
    except (IOError, OSError):
        pass
    return required, packages


def main():
    module = AnsibleModule(
        argument_spec=dict(
            security_origins=dict(
                type="list",
                elements="str",
                default=[
                    "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
                    "origin=Debian,codename=${distro_codename},label=Debian-Security",
                ],
            ),
            distro_id=dict(type="str"),
            distro_codename=dict(type="str"),
            packages=dict(type="list", elements="str", default=[]),
            reboot_required_file=dict(type="path", default="/run/reboot-required"),
        ),
        supports_check_mode=True,
    )
    if not HAS_APT:
        module.fail_json(
            msg=missing_required_lib("python3-apt")
            + " patch_facts supports the Debian family only; other package managers are not supported yet."
        )

    os_release = read_os_release()
    distro_id = module.params["distro_id"] or os_release.get("ID", "").capitalize()
    distro_codename = module.params["distro_codename"] or os_release.get("VERSION_CODENAME", "")
    try:
        compiled = compile_patterns(module.params["security_origins"], distro_id, distro_codename)
    except OriginPatternError as exc:
        module.fail_json(msg="security_origins: %s" % exc)

    try:
        cache = apt.Cache(progress=None)
    except Exception as exc:  # apt raises SystemError/apt_pkg.Error with its own text
        module.fail_json(msg="cannot open the apt cache (is dpkg or apt running?): %s" % exc)

    records = []
    for pkg in cache:
        if pkg.is_installed and pkg.is_upgradable:
            records.append(classify_update(package_record(pkg), compiled))
    records.sort(key=lambda r: (r["name"], r["arch"] or ""))

    installed = {}
    for name in module.params["packages"]:
        pkg = cache[name] if name in cache else None
        installed[name] = pkg.installed.version if pkg is not None and pkg.installed else None

    lists_present, lists_age = lists_state()
    reboot_required, reboot_packages = reboot_state(module.params["reboot_required_file"])

    try:
        sources = apt_sources(apt_pkg)
    except Exception as exc:  # apt_pkg.Error on a broken sources file
        module.fail_json(msg="cannot read APT's sources: %s" % exc)
    source = security_source(sources, distro_id, distro_codename)
    source["sources"] = sources

    result = dict(
        changed=False,
        security_source=source,
        updates=records,
        installed=installed,
        reboot_required=reboot_required,
        reboot_required_packages=reboot_packages,
        lists_present=lists_present,
        lists_age_seconds=lists_age,
        distro_id=distro_id,
        distro_codename=distro_codename,
        security_origins=module.params["security_origins"],
    )
    result.update(summarize(records))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
