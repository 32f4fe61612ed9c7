# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""to_bytes and human_size: every unit, rounding, and every error."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.human_size import FilterModule as HumanFilters
from ansible_collections.startsecure.hardening.plugins.filter.human_size import human_size
from ansible_collections.startsecure.hardening.plugins.filter.to_bytes import FilterModule as BytesFilters
from ansible_collections.startsecure.hardening.plugins.filter.to_bytes import to_bytes

KIB, MIB, GIB, TIB, PIB = (1024 ** n for n in range(1, 6))


def test_filters_are_registered_under_their_names():
    assert BytesFilters().filters()["to_bytes"] is to_bytes
    assert HumanFilters().filters()["human_size"] is human_size


@pytest.mark.parametrize("value,expected", [
    (0 + 7, 7), ("7", 7), ("7B", 7), ("7b", 7),
    ("1K", KIB), ("1k", KIB), ("1KiB", KIB), ("1kib", KIB),
    ("512M", 512 * MIB), ("512MiB", 512 * MIB), ("512m", 512 * MIB),
    ("2G", 2 * GIB), ("2GiB", 2 * GIB), ("1.5GiB", 1610612736), ("1.5G", 1610612736),
    ("3T", 3 * TIB), ("3TiB", 3 * TIB), ("1P", PIB), ("1PiB", PIB),
    ("1kB", 1000), ("1KB", 1000), ("5MB", 5 * 10 ** 6), ("2GB", 2 * 10 ** 9),
    ("1TB", 10 ** 12), ("1PB", 10 ** 15), (" 2 G ", 2 * GIB), (".25G", GIB // 4),
])
def test_every_unit(value, expected):
    assert to_bytes(value) == expected


def test_the_platform_scenario_contract():
    assert to_bytes("1.5GiB") == 1610612736
    assert human_size(1610612736) == "1536M"
    assert human_size(1610612736, exact=False) == "1.5G"


def test_percentage_of_total_rounds_down():
    assert to_bytes("25%", total=8 * GIB) == 2 * GIB
    assert to_bytes("33%", total=10) == 3
    # total may arrive as a string from a template
    assert to_bytes("50%", total=str(4 * GIB)) == 2 * GIB


def test_fractions_round_down_never_up():
    assert to_bytes("1.9999999K") == 2047
    assert to_bytes("0.5K") == 512
    assert to_bytes(10.99) == 10


def test_zero_only_when_allowed():
    assert to_bytes("0", allow_zero=True) == 0
    assert to_bytes(0, allow_zero=True) == 0


@pytest.mark.parametrize("value,message", [
    ("12X", "unknown size unit 'X'"),
    ("3 parsecs", "unknown size unit"),
    ("-1G", "must not be negative"),
    (-1, "must not be negative"),
    ("0", "greater than zero"),
    (0, "greater than zero"),
    ("0.0001", "greater than zero"),
    ("G", "cannot read"),
    ("", "cannot read"),
    ("1.2.3G", "cannot read"),
    ("150%", "more than 100%"),
    (None, "expected a size"),
    (True, "expected a size"),
    ({"a": 1}, "got dict"),
])
def test_errors_name_the_variable(value, message):
    with pytest.raises(AnsibleFilterError) as exc:
        to_bytes(value, total=GIB, name="memory_limits_reserve")
    assert message in str(exc.value)
    assert "memory_limits_reserve" in str(exc.value)


def test_percentage_without_total_fails():
    with pytest.raises(AnsibleFilterError, match="no total memory"):
        to_bytes("10%")


def test_bad_total_fails_cleanly():
    with pytest.raises(AnsibleFilterError):
        to_bytes("10%", total="lots")


@pytest.mark.parametrize("value,rounded,exact", [
    (0, "0", "0"),
    (1, "1", "1"),
    (1023, "1023", "1023"),
    (KIB, "1K", "1K"),
    (1536, "1.5K", "1536"),
    (128 * MIB, "128M", "128M"),
    (1610612736, "1.5G", "1536M"),
    (2 * GIB, "2G", "2G"),
    (GIB + 1, "1G", "1073741825"),
    (int(1.25 * GIB), "1.2G", "1280M"),
    (int(1.75 * TIB), "1.8T", "1792G"),
    (PIB, "1P", "1P"),
    (10 ** 9, "953.7M", "1000000000"),
    (10 ** 6 * KIB, "976.6M", "1000000K"),
])
def test_human_size_rounding_and_exact(value, rounded, exact):
    assert human_size(value, exact=False) == rounded
    assert human_size(value) == exact


def test_human_size_exact_round_trips():
    for value in (KIB, 1610612736, 3 * GIB + 512, 123456789, 7 * PIB):
        assert to_bytes(human_size(value)) == value


def test_human_size_precision():
    assert human_size(1610612736 + 50 * MIB, exact=False, precision=2) == "1.55G"
    assert human_size(1610612736 + 50 * MIB, exact=False, precision=0) == "2G"


def test_human_size_reads_strings_and_whole_floats():
    assert human_size("2048M") == "2G"
    assert human_size("1.5GiB") == "1536M"
    assert human_size("1.5GiB", exact=False) == "1.5G"
    assert human_size(2048.0) == "2K"


@pytest.mark.parametrize("value,message", [
    (-1, "must not be negative"),
    ("-1G", "must not be negative"),
    ("12X", "unknown size unit"),
    (1.5, "whole number of bytes"),
    (True, "whole number of bytes"),
    (None, "whole number of bytes"),
])
def test_human_size_errors(value, message):
    with pytest.raises(AnsibleFilterError) as exc:
        human_size(value)
    assert message in str(exc.value)


@pytest.mark.parametrize("precision", [-1, 7, 1.5, True])
def test_human_size_bad_precision(precision):
    with pytest.raises(AnsibleFilterError, match="precision"):
        human_size(GIB, precision=precision)
