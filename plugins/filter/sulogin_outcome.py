# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.console import sulogin_outcome as _outcome

_STATES = ("usable", "empty", "locked", "missing", "unknown")


def sulogin_outcome(root_password, forced=False):
    """What sulogin does in rescue/emergency mode; see DOCUMENTATION."""
    if root_password not in _STATES:
        raise AnsibleFilterError("sulogin_outcome: root password state %r is not one of %s" % (root_password, ", ".join(_STATES)))
    if not isinstance(forced, bool):
        raise AnsibleFilterError("sulogin_outcome: forced must be a boolean, got %r" % (forced,))
    return _outcome(root_password, forced)


class FilterModule(object):
    """sulogin's decision in rescue/emergency mode."""

    def filters(self):
        return {"sulogin_outcome": sulogin_outcome}
