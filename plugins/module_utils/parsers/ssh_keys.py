# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse OpenSSH public keys and authorized_keys lines without calling ssh-keygen.

Pure functions: the ssh_facts module uses them on the target, unit tests use them
without any host. A key's size is read from its wire-format blob, so an RSA key of
2048 bits is recognised as too small even when its comment says otherwise.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

# Key types whose size is fixed by the algorithm.
_FIXED_BITS = {
    "ssh-ed25519": 256,
    "sk-ssh-ed25519@openssh.com": 256,
    "ssh-ed448": 456,
    "ecdsa-sha2-nistp256": 256,
    "ecdsa-sha2-nistp384": 384,
    "ecdsa-sha2-nistp521": 521,
    "sk-ecdsa-sha2-nistp256@openssh.com": 256,
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": 256,
}

CERT_SUFFIX = "-cert-v01@openssh.com"


def base_key_type(key_type):
    """ssh-rsa-cert-v01@openssh.com -> ssh-rsa; plain types unchanged."""
    if key_type.endswith(CERT_SUFFIX):
        return key_type[: -len(CERT_SUFFIX)]
    return key_type


def is_key_type(word):
    """True when a word looks like an OpenSSH public key type name."""
    return (
        word.startswith("ssh-")
        or word.startswith("ecdsa-sha2-")
        or word.startswith("sk-")
        or word.startswith("webauthn-sk-")
        or word.startswith("rsa-sha2-")
    )


def _read_string(blob, offset):
    if offset + 4 > len(blob):
        raise ValueError("truncated key blob")
    (length,) = struct.unpack(">I", blob[offset:offset + 4])
    start = offset + 4
    end = start + length
    if end > len(blob):
        raise ValueError("truncated key blob")
    return blob[start:end], end


def _mpint_bits(data):
    value = int(binascii.hexlify(data), 16) if data else 0
    return value.bit_length()


def key_bits(key_type, blob):
    """Size in bits of a public key given its type and decoded wire blob.

    Returns None when the size cannot be told (unknown type, damaged blob).
    """
    plain = base_key_type(key_type)
    if plain in _FIXED_BITS:
        return _FIXED_BITS[plain]
    try:
        blob_type, offset = _read_string(blob, 0)
        if plain in ("ssh-rsa", "ssh-dss"):
            if key_type.endswith(CERT_SUFFIX):
                _nonce, offset = _read_string(blob, offset)
            elif blob_type.decode("ascii", "replace") != plain:
                return None
            if plain == "ssh-rsa":
                _exponent, offset = _read_string(blob, offset)
                modulus, offset = _read_string(blob, offset)
                return _mpint_bits(modulus)
            prime, offset = _read_string(blob, offset)
            return _mpint_bits(prime)
    except ValueError:
        return None
    return None


def fingerprint_sha256(blob):
    """The SHA256 fingerprint exactly as ssh-keygen -l prints it."""
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _split_options(line):
    """Split an authorized_keys line into (options, rest) honouring quotes."""
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char in " \t" and not in_quotes:
            return line[:index], line[index:].strip()
    return line, ""


def parse_public_key(text):
    """Parse 'TYPE BASE64 [COMMENT]' into a dict, or None if it is not a key."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or not is_key_type(parts[0]):
        return None
    try:
        blob = base64.b64decode(parts[1].encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return {
        "type": parts[0],
        "bits": key_bits(parts[0], blob),
        "comment": parts[2] if len(parts) > 2 else "",
        "fingerprint": fingerprint_sha256(blob),
    }


def parse_authorized_keys_line(line):
    """Parse one authorized_keys line.

    Returns None for blank lines, comments and lines that hold no key; otherwise
    a dict with type, bits, comment, fingerprint and options (list of strings).
    """
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    key = parse_public_key(stripped)
    options = []
    if key is None:
        option_text, rest = _split_options(stripped)
        key = parse_public_key(rest)
        if key is None:
            return None
        options = [opt for opt in _split_option_list(option_text) if opt]
    key["options"] = options
    return key


def _split_option_list(text):
    items = []
    current = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        if char == "," and not in_quotes:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items


def parse_authorized_keys(text):
    """All keys of an authorized_keys file's text, in order."""
    keys = []
    for line in text.splitlines():
        key = parse_authorized_keys_line(line)
        if key is not None:
            keys.append(key)
    return keys
