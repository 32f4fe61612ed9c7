# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.grub_cfg import unattended_problems


def grub_unattended_problems(text, saved_entry=""):
    """Entries of a generated grub.cfg booted unattended that would ask for a password (see DOCUMENTATION)."""
    return unattended_problems(text or "", saved_entry or "")


class FilterModule(object):
    """Judge a generated grub.cfg for unattended boots."""

    def filters(self):
        return {"grub_unattended_problems": grub_unattended_problems}
