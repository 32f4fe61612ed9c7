# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt_domain_memory against a fake libvirt (the real one is exercised in the kvm_host scenario
and was run by hand against the kvm-debian12 container: see the changelog fragment)."""

from __future__ import annotations

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor
from ansible_collections.startsecure.hardening.plugins.modules import libvirt_domain_memory as mod

UNLIMITED = 9007199254740991


class LibvirtError(Exception):
    pass


class FakeDomain:
    def __init__(self, name, state=1, memory=131072, current=131072, live=None, config=None, persistent=True):
        self._name = name
        self._state = state
        self.memory = memory
        self.current = current
        self.params = {1: dict(live or {"hard_limit": UNLIMITED, "soft_limit": UNLIMITED}),
                       2: dict(config or {"hard_limit": UNLIMITED, "soft_limit": UNLIMITED})}
        self.persistent = persistent
        self.calls = []

    def name(self):
        return self._name

    def state(self):
        return [self._state, 1]

    def isPersistent(self):
        return self.persistent

    def info(self):
        return [self._state, self.memory, self.current, 1, 0]

    def memoryParameters(self, flags):
        return dict(self.params[flags])

    def setMemoryParameters(self, params, flags):
        self.calls.append((dict(params), flags))
        self.params[flags].update(params)


class FakeConn:
    def __init__(self, domains):
        self.domains = domains

    def listAllDomains(self, flags):
        return list(self.domains)

    def close(self):
        pass


class FakeLibvirt:
    VIR_DOMAIN_AFFECT_LIVE = 1
    VIR_DOMAIN_AFFECT_CONFIG = 2
    libvirtError = LibvirtError

    def __init__(self, domains, fail_open=False):
        self.conn = FakeConn(domains)
        self.fail_open = fail_open

    def open(self, uri):
        if self.fail_open:
            raise LibvirtError("Failed to connect socket to '/run/libvirt/libvirt-sock': No such file or directory")
        return self.conn


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A fake /proc and /run for a running QEMU (pid 4242, RSS 200 MiB) in a limited cgroup."""
    root = tmp_path
    (root / "run/libvirt/qemu").mkdir(parents=True)
    (root / "run/libvirt/qemu/web.pid").write_text("4242")
    (root / "proc/4242").mkdir(parents=True)
    (root / "proc/4242/status").write_text("Name:\tqemu\nVmRSS:\t  204800 kB\n")
    scope = "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt"
    (root / "proc/4242/cgroup").write_text("4:memory:%s\n0::%s\n" % (scope, scope))
    cg = root / ("sys/fs/cgroup/memory" + scope)
    cg.mkdir(parents=True)
    (cg / "memory.limit_in_bytes").write_text("402653184\n")
    monkeypatch.setattr(mod, "host_system", lambda: hypervisor.System(str(root)))
    return root


def run(run_module, monkeypatch, domains, args, check_mode=False, **kw):
    fake = FakeLibvirt(domains, **kw)
    monkeypatch.setattr(mod, "libvirt", fake)
    return run_module(mod.main, args, check_mode=check_mode)


def test_default_limit_is_memory_plus_overhead_live_and_config(run_module, monkeypatch, host):
    web = FakeDomain("web")
    off = FakeDomain("off", state=5)
    failed, result = run(run_module, monkeypatch, [web, off], {})
    assert not failed, result
    assert result["changed"] is True
    by = dict((d["name"], d) for d in result["domains"])
    assert by["web"]["hard_limit_kib"] == 131072 + 262144
    assert by["web"]["applied_live"] and by["web"]["applied_config"]
    assert by["web"]["rss_kib"] == 204800 and by["web"]["cgroup_limit_bytes"] == 402653184
    assert by["web"]["hard_limit_kib_before"] is None
    assert by["off"]["applied_live"] is False and by["off"]["applied_config"] is True
    assert web.calls == [({"hard_limit": 393216}, 1), ({"hard_limit": 393216}, 2)]
    # second run: nothing to do
    failed, result = run(run_module, monkeypatch, [web, off], {})
    assert result["changed"] is False and web.calls[2:] == []


def test_check_mode_changes_nothing(run_module, monkeypatch, host):
    web = FakeDomain("web")
    failed, result = run(run_module, monkeypatch, [web], {"hard_limit": "1G"}, check_mode=True)
    assert result["changed"] is True and result["domains"][0]["hard_limit_kib"] == 1048576
    assert web.calls == []


def test_live_only_and_soft_limit_and_bare_number_is_kib(run_module, monkeypatch, host):
    web = FakeDomain("web")
    failed, result = run(run_module, monkeypatch, [web], {"hard_limit": 600000, "soft_limit": "300M", "config": False})
    assert not failed, result
    assert web.calls == [({"hard_limit": 600000, "soft_limit": 307200}, 1)]
    assert result["domains"][0]["applied_config"] is False


@pytest.mark.parametrize("args,used,what", [
    ({"hard_limit": "100M"}, 131072, "its current memory"),
    ({"hard_limit": "150M"}, 204800, "the resident memory of its QEMU"),
])
def test_refuses_a_limit_below_use_before_changing_anything(run_module, monkeypatch, host, args, used, what):
    other = FakeDomain("aaa", state=5, memory=65536, current=65536)
    web = FakeDomain("web")
    failed, result = run(run_module, monkeypatch, [other, web], args)
    assert failed and result["domain"] == "web" and result["used_kib"] == used
    assert what in result["msg"]
    assert other.calls == [] and web.calls == []


def test_names_and_exclude(run_module, monkeypatch, host):
    a, b = FakeDomain("web"), FakeDomain("db", state=5)
    failed, result = run(run_module, monkeypatch, [a, b], {"exclude": ["web"]})
    assert [d["name"] for d in result["domains"]] == ["db"] and a.calls == []
    failed, result = run(run_module, monkeypatch, [a, b], {"names": ["nope"]})
    assert failed and "no such domain(s): nope" in result["msg"]


@pytest.mark.parametrize("args,message", [
    ({"hard_limit": "lots"}, "hard_limit: cannot read 'lots'"),
    ({"hard_limit": "1G", "soft_limit": "2G"}, "soft_limit (2097152 KiB) is above hard_limit"),
])
def test_bad_sizes(run_module, monkeypatch, host, args, message):
    failed, result = run(run_module, monkeypatch, [], args)
    assert failed and message in result["msg"]


def test_missing_binding_and_unreachable_daemon(run_module, monkeypatch, host):
    monkeypatch.setattr(mod, "libvirt", None)
    failed, result = run_module(mod.main, {})
    assert failed and "python3-libvirt is not installed" in result["msg"]
    failed, result = run(run_module, monkeypatch, [], {}, fail_open=True)
    assert failed and "cannot connect to qemu:///system" in result["msg"]
