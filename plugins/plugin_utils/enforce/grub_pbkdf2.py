# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB 2 PBKDF2 password hashes, in the exact format of grub-mkpasswd-pbkdf2.

grub-mkpasswd-pbkdf2 prints ``grub.pbkdf2.sha512.<ITERATIONS>.<SALT>.<HASH>``, where
SALT and HASH are upper-case hexadecimal and HASH is PBKDF2-HMAC-SHA512 of the
password (UTF-8 bytes, no trailing newline) with the raw salt bytes. GRUB's
``password_pbkdf2`` command accepts exactly that string.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re

PREFIX = "grub.pbkdf2.sha512."
# grub-mkpasswd-pbkdf2's own defaults: 10000 iterations, 64-byte salt, 64-byte hash.
MIN_ITERATIONS = 1000
MIN_SALT_BYTES = 16
MAX_SALT_BYTES = 1024
MIN_HASH_BYTES = 16
MAX_HASH_BYTES = 1024

_HASH_RE = re.compile(
    r"^grub\.pbkdf2\.sha512\.(?P<iterations>[1-9][0-9]*)\.(?P<salt>(?:[0-9A-F]{2})+)\.(?P<hash>(?:[0-9A-F]{2})+)$"
)


class GrubPbkdf2Error(ValueError):
    """A password, salt, iteration count or hash string that GRUB would not accept."""


def _salt_bytes(salt):
    if isinstance(salt, bytes):
        raw = salt
    elif isinstance(salt, str):
        text = salt.strip()
        if not re.match(r"^(?:[0-9A-Fa-f]{2})+$", text):
            raise GrubPbkdf2Error("salt must be an even number of hexadecimal digits, got %r" % salt)
        raw = binascii.unhexlify(text)
    else:
        raise GrubPbkdf2Error("salt must be a hexadecimal string, got %s" % type(salt).__name__)
    if not MIN_SALT_BYTES <= len(raw) <= MAX_SALT_BYTES:
        raise GrubPbkdf2Error(
            "salt must be %d to %d bytes (%d to %d hex digits), got %d bytes"
            % (MIN_SALT_BYTES, MAX_SALT_BYTES, 2 * MIN_SALT_BYTES, 2 * MAX_SALT_BYTES, len(raw))
        )
    return raw


def _int_option(name, value, minimum, maximum=None):
    if isinstance(value, bool):
        raise GrubPbkdf2Error("%s must be an integer, got a boolean" % name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise GrubPbkdf2Error("%s must be an integer, got %r" % (name, value))
    if isinstance(value, float) and number != value:
        raise GrubPbkdf2Error("%s must be an integer, got %r" % (name, value))
    if number < minimum or (maximum is not None and number > maximum):
        if maximum is None:
            raise GrubPbkdf2Error("%s must be at least %d, got %d" % (name, minimum, number))
        raise GrubPbkdf2Error("%s must be between %d and %d, got %d" % (name, minimum, maximum, number))
    return number


def grub_pbkdf2_hash(password, salt, iterations=10000, hash_length=64):
    """Return the grub.pbkdf2.sha512 string for password, salt (hex or bytes) and iterations."""
    if isinstance(password, bytes):
        secret = password
    elif isinstance(password, str):
        secret = password.encode("utf-8")
    else:
        raise GrubPbkdf2Error("password must be a string, got %s" % type(password).__name__)
    if not secret:
        raise GrubPbkdf2Error("password must not be empty")
    raw_salt = _salt_bytes(salt)
    rounds = _int_option("iterations", iterations, MIN_ITERATIONS)
    length = _int_option("hash_length", hash_length, MIN_HASH_BYTES, MAX_HASH_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", secret, raw_salt, rounds, length)
    return "%s%d.%s.%s" % (
        PREFIX,
        rounds,
        binascii.hexlify(raw_salt).decode("ascii").upper(),
        binascii.hexlify(digest).decode("ascii").upper(),
    )


def parse_grub_pbkdf2(text):
    """Split a grub.pbkdf2.sha512 string into (iterations, salt_hex, hash_hex); raise if malformed."""
    if not isinstance(text, str):
        raise GrubPbkdf2Error("a GRUB PBKDF2 hash must be a string, got %s" % type(text).__name__)
    match = _HASH_RE.match(text.strip())
    if not match:
        raise GrubPbkdf2Error(
            "not a GRUB PBKDF2 hash (expected grub.pbkdf2.sha512.<iterations>.<SALTHEX>.<HASHHEX>"
            " in upper-case hex): %r" % (text[:40] + "..." if len(text) > 40 else text)
        )
    return int(match.group("iterations")), match.group("salt"), match.group("hash")


def grub_pbkdf2_matches(password, text):
    """True if password produces the given grub.pbkdf2.sha512 string (constant-time compare)."""
    iterations, salt_hex, hash_hex = parse_grub_pbkdf2(text)
    candidate = grub_pbkdf2_hash(password, salt_hex, iterations, len(hash_hex) // 2)
    return hmac.compare_digest(candidate, text.strip())
