# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt config parser/writer on the files libvirt really ships and on broken input.

Fixtures in tests/unit/fixtures/libvirt/ were copied out of the kvm test image
(startsecure-test/kvm-debian12, Debian 12 libvirt-daemon-system 9.0.0):
`docker run --rm startsecure-test/kvm-debian12:current cat /etc/libvirt/<file>`.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf as lc

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "libvirt")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.mark.parametrize("name", ["qemu.conf", "libvirtd.conf", "virtlogd.conf", "qemu-lockd.conf",
                                  "libvirt.conf", "libvirt-admin.conf"])
def test_shipped_files_parse_and_are_all_comments(name):
    # Debian ships every key commented out: the effective values are the defaults.
    assert lc.parse(fixture(name)) == {}


def test_values_of_every_kind():
    text = (
        "# comment\n"
        "a = 1\n"
        "b = -5 ; \n"
        "c = \"double 'inner'\"  # trailing comment\n"
        "d = 'single \"inner\"'\n"
        "e = \"\"\"both ' and \" here\"\"\"\n"
        "f = [ \"x\", 'y',\n"
        "      \"z\",\n"
        "]\n"
        "g = []\n"
        "h.i = +7\n"
        "j = \"C:\\path\\n\"\n"
        "k = \"\"\"two\nlines\"\"\"\n"
    )
    assert lc.parse(text) == {
        "a": 1, "b": -5, "c": "double 'inner'", "d": 'single "inner"',
        "e": "both ' and \" here", "f": ["x", "y", "z"], "g": [], "h.i": 7,
        # no escapes in libvirt: the backslashes are ordinary characters
        "j": "C:\\path\\n", "k": "two\nlines",
    }


def test_first_occurrence_wins_like_libvirt():
    assert lc.parse("a = 1\na = 2\n") == {"a": 1}


@pytest.mark.parametrize("text,line,reason", [
    ("a = 1\nb 2\n", 2, "expecting an assignment"),
    ("a = 1\n\nb = \"open\n", 3, "unterminated string"),
    ("a = 'x\nb = 1\n", 1, "unterminated string"),
    ("a = [ \"x\",\n  \"y\"\n  \"z\" ]\n", 3, "expecting ',' or ']'"),
    ("a = [ \"x\",\n  # comment\n  \"y\" ]\n", 2, "expecting a value"),
    ("a = [ \"x\",\n  \"y\"\n", 1, "list is not closed"),
    ("a = yes\n", 1, "expecting a value"),
    ("a = 1 2\n", 1, "expecting a separator"),
    ("1a = 1\n", 1, "expecting a name"),
    ("a =\n", 1, "expecting a value"),
    ("a = \"\"\"never closed\n\n", 1, "unterminated triple-quoted"),
    ("x = -\n", 1, "expecting a number"),
])
def test_broken_input_names_the_line(text, line, reason):
    with pytest.raises(lc.ConfError) as info:
        lc.parse(text, path="/etc/libvirt/qemu.conf")
    assert info.value.line == line
    assert reason in info.value.reason
    assert str(info.value).startswith("/etc/libvirt/qemu.conf: line %d: " % line)


def test_edit_after_commented_default_keeps_everything_else():
    text = fixture("qemu.conf")
    result = lc.edit(text, {"vnc_listen": "127.0.0.1", "security_driver": "none",
                            "cgroup_device_acl": ["/dev/null", "/dev/kvm"], "seccomp_sandbox": True})
    lines = result.text.splitlines()
    # written right after the shipped "#key = ..." line, not after the indented example
    assert lines[lines.index('#vnc_listen = "0.0.0.0"') + 1] == 'vnc_listen = "127.0.0.1"'
    assert lines[lines.index('#security_driver = "selinux"') + 1] == 'security_driver = "none"'
    # after the whole commented multi-line list
    assert lines[lines.index("#cgroup_device_acl = [") + 4] == "#]"
    assert lines[lines.index("#cgroup_device_acl = [") + 5] == 'cgroup_device_acl = [ "/dev/null", "/dev/kvm" ]'
    assert lines[lines.index("#seccomp_sandbox = 1") + 1] == "seccomp_sandbox = 1"
    # nothing but the four new lines
    original = text.splitlines()
    assert [line for line in lines if line not in original] == [
        'vnc_listen = "127.0.0.1"', 'security_driver = "none"',
        'cgroup_device_acl = [ "/dev/null", "/dev/kvm" ]', "seccomp_sandbox = 1"]
    assert len(lines) == len(original) + 4
    assert result.config == {"vnc_listen": "127.0.0.1", "security_driver": "none",
                             "cgroup_device_acl": ["/dev/null", "/dev/kvm"], "seccomp_sandbox": 1}
    assert sorted(result.changed_keys) == ["cgroup_device_acl", "seccomp_sandbox", "security_driver", "vnc_listen"]


def test_edit_is_idempotent_and_keeps_formatting():
    text = "listen_tcp=0   # off\nauth_tcp = 'sasl'\nlst = [\n  \"a\",\n  \"b\",\n]\n"
    result = lc.edit(text, {"listen_tcp": 0, "auth_tcp": "sasl", "lst": ["a", "b"]})
    assert result.text == text
    assert result.changed_keys == []
    again = lc.edit(lc.edit(text, {"listen_tcp": 1}).text, {"listen_tcp": 1})
    assert again.changed_keys == []


def test_edit_replaces_multiline_value_and_removes_keys_and_duplicates():
    text = "# head\nlst = [\n  \"a\",\n  \"b\" ]\nx = 1\ny = 2\nx = 3\n# tail\n"
    result = lc.edit(text, {"lst": ["c"], "x": 5}, absent=["y", "missing"])
    assert result.text == "# head\nlst = [ \"c\" ]\nx = 5\n# tail\n"
    assert result.config == {"lst": ["c"], "x": 5}


def test_type_change_is_a_change():
    # "0" (a string) and 0 (an integer) are different things to libvirt
    assert lc.edit("listen_tcp = \"0\"\n", {"listen_tcp": 0}).text == "listen_tcp = 0\n"


def test_append_when_key_is_nowhere_and_file_lacks_final_newline():
    assert lc.edit("a = 1", {"b": "x"}).text == "a = 1\nb = \"x\"\n"
    assert lc.edit("", {"b": 2}).text == "b = 2\n"


@pytest.mark.parametrize("value,expected", [
    ("plain", '"plain"'), ('has "double"', "'has \"double\"'"),
    ("both ' and \" inside", '"""both \' and " inside"""'), (True, "1"), (False, "0"),
    (0o700, "448"), ([], "[ ]"), (["a", 1], '[ "a", 1 ]'),
])
def test_format_value_round_trips(value, expected):
    assert lc.format_value(value) == expected
    assert lc.parse("k = %s\n" % expected)["k"] == lc.normalize(value)


@pytest.mark.parametrize("settings,absent,message", [
    ({"a": "line\nbreak"}, [], "line break"),
    ({"a": {"x": 1}}, [], "cannot write a dict"),
    ({"bad name": 1}, [], "not a valid libvirt setting name"),
    ({"a": 1}, ["a"], "both set and absent"),
    ({"a": "both ' and \"\"\"x"}, [], "cannot quote"),
])
def test_edit_refuses_what_it_cannot_write(settings, absent, message):
    with pytest.raises(lc.ConfError, match=message):
        lc.edit("", settings, absent)


def test_edit_refuses_malformed_file():
    with pytest.raises(lc.ConfError) as info:
        lc.edit("a = 1\nb = [\n", {"a": 2}, path="f.conf")
    assert info.value.line == 2 and info.value.path == "f.conf"


def test_effective_merges_defaults():
    values = lc.effective({"listen_tcp": 1}, "libvirtd.conf")
    assert values["listen_tcp"] == 1
    assert values["auth_tcp"] == "sasl"
    assert lc.effective({}, "qemu.conf")["security_default_confined"] == 1
    assert lc.effective({"x": 1}, "unknown.conf") == {"x": 1}


@pytest.mark.parametrize("given, written", [
    # How a templated value may reach the module depends on the ansible-core release.
    ({"audit_level": "2"}, "audit_level = 2"),
    ({"audit_level": 2}, "audit_level = 2"),
    ({"audit_level": " 2 "}, "audit_level = 2"),
    ({"max_processes": "16384"}, "max_processes = 16384"),
    ({"listen_tls": "False"}, "listen_tls = 0"),
    ({"listen_tls": "true"}, "listen_tls = 1"),
    ({"listen_tls": True}, "listen_tls = 1"),
    ({"audit_logging": "1"}, "audit_logging = 1"),
    ({"max_core": "unlimited"}, 'max_core = "unlimited"'),
    ({"max_core": "0"}, "max_core = 0"),
    ({"unix_sock_rw_perms": "0770"}, 'unix_sock_rw_perms = "0770"'),
    # Keys of no fixed type keep what they were given.
    ({"vnc_listen": "127.0.0.1"}, 'vnc_listen = "127.0.0.1"'),
    ({"host_uuid_source": "smbios"}, 'host_uuid_source = "smbios"'),
])
def test_keys_of_a_known_type_are_written_in_that_type(given, written):
    result = lc.edit("", given)
    assert result.text.strip() == written
    # ... and a second run with the same value in text form changes nothing.
    assert lc.edit(result.text, given).text == result.text


@pytest.mark.parametrize("given, words", [
    ({"audit_level": "two"}, "audit_level must be an integer"),
    ({"audit_level": [2]}, "audit_level cannot be a list"),
    ({"listen_tls": 2}, "listen_tls is a boolean"),
    ({"listen_tls": "maybe"}, "listen_tls is a boolean"),
    ({"max_core": "lots"}, "max_core must be an integer"),
    ({"unix_sock_rw_perms": 504}, "unix_sock_rw_perms must be an octal mode as a string"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_key(given, words):
    with pytest.raises(lc.ConfError, match=words):
        lc.edit("audit_level = 1\n", given)
