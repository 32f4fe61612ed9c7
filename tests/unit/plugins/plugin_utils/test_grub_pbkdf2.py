# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB PBKDF2 hashing checked against real output of grub-mkpasswd-pbkdf2.

The REFERENCE lines below were printed by grub-mkpasswd-pbkdf2 from Debian 12's
grub-common 2.06-13+deb12u2, with the password typed twice on stdin, e.g.
  printf 'S3cret!\\nS3cret!\\n' | grub-mkpasswd-pbkdf2 -c 1000 -l 64 -s 32
The tool picks a random salt, so each test takes the salt and iteration count from
the recorded line and requires our code to rebuild the very same line.
"""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.grub_pbkdf2 import (
    GrubPbkdf2Error,
    grub_pbkdf2_hash,
    grub_pbkdf2_matches,
    parse_grub_pbkdf2,
)

REFERENCE = [
    # (password, grub-mkpasswd-pbkdf2 arguments, the line it printed)
    (
        "correct horse battery staple",
        "-c 10000 -l 64 -s 64",
        "grub.pbkdf2.sha512.10000."
        "FA2EB0A3A698A285165232EF09F5F7AF7A4F027D9A32B354ABF6440662D23BC2"
        "C6D4D9C37C181BDB76359FF4EC642433DF73E390C137EC555B9D3B47EB97ACE1."
        "2C773533712EC9E574A492DC99F4664F5F9468C106018AFF46D0F9C98AC008BC"
        "1746FAA23F1B17D443A7498C25B45F3360BD467D1BBED5BBD30203FE9AA651D5",
    ),
    (
        "S3cret!",
        "-c 1000 -l 64 -s 32",
        "grub.pbkdf2.sha512.1000."
        "773AA67E6058C037E49837739F48CAFE8B1ABBD631ECD8D3DE3CBE4298EDC042."
        "7AB193CDF837C326A9D0DF1B7470DE15E4F21F518244FD70D5F6C1F5D3EC7EAA"
        "8A58963782E57BA75963B1C577D96690A68709B1EE0FB093E95DB31AA267A5A2",
    ),
    (
        u"p\u00e4ssw\u00f6rd \u20ac",
        "-c 2000 -l 32 -s 16",
        "grub.pbkdf2.sha512.2000."
        "9C0E28B16AF6E5079FB953DD42012F1D."
        "47A833B88B3E4F963A7028CF55F7ADD2BF595B7AEFEF20FA75D2CBE4F0A0BCBC",
    ),
]


@pytest.mark.parametrize("password,args,line", REFERENCE, ids=[r[1] for r in REFERENCE])
def test_reproduces_grub_mkpasswd_pbkdf2(password, args, line):
    iterations, salt, digest = parse_grub_pbkdf2(line)
    assert grub_pbkdf2_hash(password, salt, iterations, len(digest) // 2) == line


@pytest.mark.parametrize("password,args,line", REFERENCE, ids=[r[1] for r in REFERENCE])
def test_matches_accepts_right_and_rejects_wrong_password(password, args, line):
    assert grub_pbkdf2_matches(password, line)
    assert not grub_pbkdf2_matches(password + "x", line)
    assert not grub_pbkdf2_matches(password.upper() if password != password.upper() else "other", line)


def test_parse_splits_fields():
    iterations, salt, digest = parse_grub_pbkdf2(REFERENCE[1][2])
    assert iterations == 1000
    assert salt == "773AA67E6058C037E49837739F48CAFE8B1ABBD631ECD8D3DE3CBE4298EDC042"
    assert len(digest) == 128


def test_format_is_upper_case_hex_with_six_fields():
    line = grub_pbkdf2_hash("pw", "ab" * 64, 1000)
    fields = line.split(".")
    assert fields[:3] == ["grub", "pbkdf2", "sha512"]
    assert fields[3] == "1000"
    assert fields[4] == "AB" * 64
    assert len(fields[5]) == 128 and fields[5] == fields[5].upper()
    int(fields[5], 16)


def test_hash_is_pbkdf2_hmac_sha512_of_utf8_password():
    salt = bytes(range(32))
    expected = hashlib.pbkdf2_hmac("sha512", u"\u00fc".encode("utf-8"), salt, 1500, 64).hex().upper()
    assert grub_pbkdf2_hash(u"\u00fc", salt, 1500).endswith("." + expected)


def test_salt_case_does_not_change_the_result():
    assert grub_pbkdf2_hash("pw", "abcdef" * 6, 1000) == grub_pbkdf2_hash("pw", "ABCDEF" * 6, 1000)


def test_different_salt_or_iterations_change_the_hash():
    base = grub_pbkdf2_hash("pw", "00" * 16, 1000)
    assert grub_pbkdf2_hash("pw", "01" * 16, 1000) != base
    assert grub_pbkdf2_hash("pw", "00" * 16, 1001).split(".")[5] != base.split(".")[5]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(password="", salt="00" * 16), "must not be empty"),
        (dict(password=None, salt="00" * 16), "password must be a string"),
        (dict(password="pw", salt="xyz"), "hexadecimal"),
        (dict(password="pw", salt="abc"), "hexadecimal"),
        (dict(password="pw", salt="00" * 8), "16 to 1024 bytes"),
        (dict(password="pw", salt=1234), "hexadecimal string"),
        (dict(password="pw", salt="00" * 16, iterations=999), "at least 1000"),
        (dict(password="pw", salt="00" * 16, iterations="many"), "integer"),
        (dict(password="pw", salt="00" * 16, iterations=True), "integer"),
        (dict(password="pw", salt="00" * 16, hash_length=8), "between 16 and 1024"),
    ],
)
def test_bad_input_is_refused_with_a_reason(kwargs, message):
    with pytest.raises(GrubPbkdf2Error, match=message):
        grub_pbkdf2_hash(**kwargs)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "grub.pbkdf2.sha512.1000.abcd.ABCD",  # lower-case hex is not what GRUB's tool writes
        "grub.pbkdf2.sha256.1000.ABCD.ABCD",
        "grub.pbkdf2.sha512.0.ABCD.ABCD",
        "grub.pbkdf2.sha512.1000.ABC.ABCD",
        "$6$salt$hash",
    ],
)
def test_parse_refuses_malformed_strings(text):
    with pytest.raises(GrubPbkdf2Error, match="not a GRUB PBKDF2 hash"):
        parse_grub_pbkdf2(text)
