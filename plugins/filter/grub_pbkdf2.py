# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: grub_pbkdf2
short_description: Hash a password for GRUB's C(password_pbkdf2) command
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - Produces the same string as C(grub-mkpasswd-pbkdf2), that is
    C(grub.pbkdf2.sha512.<ITERATIONS>.<SALTHEX>.<HASHHEX>) with upper-case hexadecimal,
    the PBKDF2-HMAC-SHA512 of the password's UTF-8 bytes with the given salt.
  - The salt is an explicit argument so that the same inputs always give the same
    string; a random salt on every run would rewrite the boot loader configuration
    on every run.
  - With O(existing), an already deployed hash is returned unchanged when it is a hash
    of O(_input) with O(iterations) rounds and O(hash_length) bytes. This is how the
    C(startsecure.hardening.console) role keeps a host's salt across runs and changes
    the hash only when the password or the work factor changes.
options:
  _input:
    description: The password in clear text. Must not be empty.
    type: string
    required: true
  salt:
    description:
      - The salt as hexadecimal digits (either case), 16 to 1024 bytes.
      - C(grub-mkpasswd-pbkdf2) uses 64 random bytes, that is 128 hex digits.
    type: string
    required: true
  iterations:
    description: PBKDF2 rounds, at least 1000. C(grub-mkpasswd-pbkdf2) defaults to 10000.
    type: integer
    default: 10000
  hash_length:
    description: Length of the derived key in bytes (16 to 1024), C(grub-mkpasswd-pbkdf2) uses 64.
    type: integer
    default: 64
  existing:
    description:
      - A hash already in use (for example read from the host). If the password, the
        iteration count and the hash length still match it, it is returned unchanged
        and O(salt) is ignored. A malformed or empty value is ignored.
    type: string
    default: ""
"""

EXAMPLES = r"""
- name: Hash a GRUB password with a fixed salt
  ansible.builtin.debug:
    msg: "{{ 'S3cret!' | startsecure.hardening.grub_pbkdf2(salt='00112233445566778899AABBCCDDEEFF', iterations=100000) }}"

- name: Keep the hash already on the host while the password still matches it
  ansible.builtin.set_fact:
    grub_hash: >-
      {{ grub_password | startsecure.hardening.grub_pbkdf2(salt=new_random_salt,
         iterations=100000, existing=hash_read_from_host) }}
"""

RETURN = r"""
_value:
  description: The hash, e.g. C(grub.pbkdf2.sha512.10000.2C77...D5.FA2E...E1), for C(password_pbkdf2 <user> <hash>).
  type: string
"""

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
