# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sudo_list import sudo_root_access as _parse


def sudo_root_access(text):
    """Whether `sudo -l -U` allows every command as root, and without a password; see DOCUMENTATION."""
    if not isinstance(text, str):
        raise AnsibleFilterError("sudo_root_access: expected the text of sudo -l -U, got %s" % type(text).__name__)
    return _parse(text)


class FilterModule(object):
    """What `sudo -l -U` says about becoming root."""

    def filters(self):
        return {"sudo_root_access": sudo_root_access}
