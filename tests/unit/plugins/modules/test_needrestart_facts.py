"""needrestart_facts: merging needrestart's guest lines with the /proc scan."""
from ansible_collections.startsecure.hardening.plugins.modules.needrestart_facts import merge_guests


def test_merge_by_pid_keeps_both_sources():
    scanned = [{"pid": 10, "exe": "/usr/bin/qemu-system-x86_64", "name": "web1", "cgroup": None}]
    parsed = [{"name": "web1", "pid": 10}, {"name": "Unkown VM", "pid": 11}]
    merged = merge_guests(parsed, scanned)
    assert merged[0]["source"] == ["proc", "needrestart"]
    assert merged[0]["exe"] == "/usr/bin/qemu-system-x86_64"
    assert merged[1] == {"pid": 11, "name": "Unkown VM", "exe": None, "cgroup": None, "source": ["needrestart"],
                         "replaced_binary": True, "replaced_libraries": []}  # needrestart reports binaries only
    assert merge_guests([], []) == []
