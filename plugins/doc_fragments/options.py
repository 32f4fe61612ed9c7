# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options that several modules take, documented once."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
"""

    # patch_facts and audit_facts judge updates with the patching role's origin matcher.
    SECURITY_ORIGINS = r"""
options:
  security_origins:
    description:
      - unattended-upgrades origin patterns that mark a security origin (the patching role passes
        the list it writes into the unattended-upgrades configuration).
      - Keys C(origin)/C(o), C(label)/C(l), C(archive)/C(a)/C(suite), C(codename)/C(n),
        C(component)/C(c), C(site); values are shell wildcards; C(${distro_id}) and
        C(${distro_codename}) are substituted.
      - The default is Debian's security archive.
    type: list
    elements: str
    default:
      - origin=Debian,codename=${distro_codename}-security,label=Debian-Security
      - origin=Debian,codename=${distro_codename},label=Debian-Security
"""

    SSHD_CONFIG = r"""
options:
  sshd_config:
    description: Path of the main sshd configuration file.
    type: path
    default: /etc/ssh/sshd_config
"""

    LIBVIRT_URI = r"""
options:
  uri:
    description: The libvirt connection URI.
    type: str
    default: qemu:///system
"""
