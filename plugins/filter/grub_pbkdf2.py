# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.grub_pbkdf2 import (
    GrubPbkdf2Error,
    grub_pbkdf2_hash,
    grub_pbkdf2_matches,
    parse_grub_pbkdf2,
)


def grub_pbkdf2(password, salt=None, iterations=10000, hash_length=64, existing=""):
    """Return a grub.pbkdf2.sha512 hash of password (see DOCUMENTATION)."""
    if salt is None or salt == "":
        raise AnsibleFilterError("grub_pbkdf2: a salt is required (hex digits, e.g. 128 of them)")
    try:
        if existing:
            try:
                old_iterations, dummy, old_hash = parse_grub_pbkdf2(existing)
            except GrubPbkdf2Error:
                old_iterations, old_hash = None, ""
            if (
                old_iterations == int(iterations)
                and len(old_hash) // 2 == int(hash_length)
                and grub_pbkdf2_matches(password, existing)
            ):
                return existing.strip()
        return grub_pbkdf2_hash(password, salt, iterations, hash_length)
    except (GrubPbkdf2Error, TypeError, ValueError) as exc:
        raise AnsibleFilterError("grub_pbkdf2: %s" % exc)


class FilterModule(object):
    """GRUB PBKDF2 password hash filter."""

    def filters(self):
        return {"grub_pbkdf2": grub_pbkdf2}
