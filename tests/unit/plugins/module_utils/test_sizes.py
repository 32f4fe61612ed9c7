# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sizes import (
    SizeError, format_size, parse_size, unit_factor)

GIB = 1024 ** 3


@pytest.mark.parametrize("value,expected", [
    (1048576, 1048576),
    ("1048576", 1048576),
    ("512", 512),
    ("512B", 512),
    ("1K", 1024), ("1k", 1024), ("1KiB", 1024),
    ("512M", 512 * 1024 ** 2), ("512MiB", 512 * 1024 ** 2),
    ("2G", 2 * GIB), ("2g", 2 * GIB), ("1.5GiB", 1610612736), ("1.5G", 1610612736),
    ("1T", 1024 ** 4), ("1TiB", 1024 ** 4), ("1P", 1024 ** 5),
    ("1kB", 1000), ("2MB", 2000000), ("1GB", 10 ** 9), ("1TB", 10 ** 12),
    (" 2 G ", 2 * GIB), (".5G", GIB // 2),
])
def test_parse_units(value, expected):
    assert parse_size(value) == expected


def test_percentage_of_total():
    assert parse_size("25%", total=8 * GIB) == 2 * GIB
    assert parse_size("100%", total=1000) == 1000
    # rounding is down, so a limit never grows by rounding
    assert parse_size("33%", total=10) == 3


def test_fractional_bytes_round_down():
    assert parse_size("1.0000001K") == 1024
    assert parse_size(10.9) == 10


@pytest.mark.parametrize("value,message", [
    ("12X", "unknown size unit 'X'"),
    ("12 parsecs", "unknown size unit"),
    ("-1G", "must not be negative"),
    (-5, "must not be negative"),
    ("0", "greater than zero"),
    ("0M", "greater than zero"),
    ("G", "cannot read 'G'"),
    ("", "cannot read"),
    ("1.2.3G", "cannot read"),
    (None, "expected a size"),
    (True, "expected a size"),
    ([1], "got list"),
    ("150%", "more than 100%"),
])
def test_parse_errors_name_the_variable(value, message):
    with pytest.raises(SizeError) as exc:
        parse_size(value, total=GIB, name="memory_limits_reserve")
    assert message in str(exc.value)
    assert "memory_limits_reserve" in str(exc.value)


def test_percentage_needs_total():
    with pytest.raises(SizeError, match="no total memory"):
        parse_size("10%")


def test_zero_allowed_when_asked():
    assert parse_size("0", allow_zero=True) == 0


def test_unit_factor_unknown():
    with pytest.raises(SizeError):
        unit_factor("iB")


@pytest.mark.parametrize("num,exact,human", [
    (0, "0", "0"),
    (1023, "1023", "1023"),
    (1024, "1K", "1K"),
    (1610612736, "1536M", "1.5G"),
    (2 * GIB, "2G", "2G"),
    (1024 ** 4, "1T", "1T"),
    (1536, "1536", "1.5K"),
    (1000000, "1000000", "976.6K"),
])
def test_format(num, exact, human):
    assert format_size(num) == exact
    assert format_size(num, exact=False) == human


@pytest.mark.parametrize("num", [1024, 1610612736, 3 * GIB + 512, 123456789])
def test_round_trip_exact(num):
    assert parse_size(format_size(num)) == num


@pytest.mark.parametrize("bad", [-1, "1G", 1.5, True])
def test_format_errors(bad):
    with pytest.raises(SizeError):
        format_size(bad)
