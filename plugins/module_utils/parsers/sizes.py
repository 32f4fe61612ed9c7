# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory sizes: parse "512M", "1.5GiB", "25%" into bytes and format bytes back.

Units follow systemd and libvirt, which the roles feed: a bare letter and the
IEC forms are powers of 1024 (K = KiB = 1024), the SI forms with a B are powers of
1000 (kB, MB, GB, TB). A percentage is taken of a total (the host's memory) that the
caller passes. Results are whole bytes, rounded down, so a limit never grows by
rounding.
"""

from __future__ import annotations

import re

_BINARY = {"": 1, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": 1024 ** 5}
_SI = {"KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4, "PB": 1000 ** 5}
_SIZE_RE = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>[A-Za-z]*|%)\s*$")
_FORMAT_UNITS = (("P", 1024 ** 5), ("T", 1024 ** 4), ("G", 1024 ** 3), ("M", 1024 ** 2), ("K", 1024))


class SizeError(ValueError):
    """A size that cannot be understood; the message says why."""


def unit_factor(unit):
    """Return the multiplier of a unit string, or raise SizeError."""
    text = unit.strip()
    upper = text.upper()
    if upper in _BINARY:
        return _BINARY[upper]
    if upper.endswith("IB") and upper[:-2] in _BINARY and upper[:-2]:
        return _BINARY[upper[:-2]]
    if upper in _SI:
        return _SI[upper]
    raise SizeError("unknown size unit %r (use B, K, M, G, T, KiB..TiB, kB..TB or %%)" % unit)


def parse_size(value, total=None, allow_zero=False, name="size"):
    """Convert a size to whole bytes.

    value: int (bytes) or a string such as "512M", "1.5GiB", "2 GB", "25%".
    total: the whole a percentage is taken of (bytes); required for "%".
    allow_zero: accept 0 (e.g. "no reserve"); otherwise zero is an error.
    name: what the value is, for the error message (a variable name).
    """
    if isinstance(value, bool) or value is None:
        raise SizeError("%s: expected a size such as 512M, 2G or 25%%, got %r" % (name, value))
    if isinstance(value, int):
        number, factor, percent = value, 1, False
    elif isinstance(value, float):
        number, factor, percent = value, 1, False
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise SizeError("%s: size must not be negative, got %r" % (name, value))
        match = _SIZE_RE.match(text)
        if not match:
            raise SizeError("%s: cannot read %r as a size (expected e.g. 512M, 1.5GiB, 2G, 25%%)" % (name, value))
        number = float(match.group("num"))
        unit = match.group("unit")
        percent = unit == "%"
        try:
            factor = 1 if percent else unit_factor(unit)
        except SizeError as exc:
            raise SizeError("%s: %s" % (name, exc)) from None
    else:
        raise SizeError("%s: expected a size such as 512M, 2G or 25%%, got %s" % (name, type(value).__name__))

    if number < 0:
        raise SizeError("%s: size must not be negative, got %r" % (name, value))
    if percent:
        if total is None:
            raise SizeError("%s: %r is a percentage but no total memory is known to take it of" % (name, value))
        if number > 100:
            raise SizeError("%s: %r is more than 100%% of memory" % (name, value))
        result = int(int(total) * number / 100)
    else:
        result = int(number * factor)
    if result == 0 and not allow_zero:
        raise SizeError("%s: size must be greater than zero, got %r" % (name, value))
    return result


def format_size(num_bytes, exact=True, precision=1):
    """Format bytes for people and for systemd/libvirt.

    exact=True gives the largest binary unit that holds the value as a whole number
    ("1536M" for 1.5 GiB), which systemd and libvirt read back to the same bytes.
    exact=False gives a rounded human form ("1.5G").
    """
    if isinstance(num_bytes, bool) or not isinstance(num_bytes, int):
        raise SizeError("expected a whole number of bytes, got %r" % (num_bytes,))
    if num_bytes < 0:
        raise SizeError("a size must not be negative, got %d" % num_bytes)
    for suffix, factor in _FORMAT_UNITS:
        if exact:
            if num_bytes >= factor and num_bytes % factor == 0:
                return "%d%s" % (num_bytes // factor, suffix)
        elif num_bytes >= factor:
            text = ("%.*f" % (precision, num_bytes / factor)).rstrip("0").rstrip(".")
            return text + suffix
    return "%d" % num_bytes
