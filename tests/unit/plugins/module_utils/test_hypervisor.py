# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hypervisor.gather on a fake host tree built from files recorded in the kvm-debian12 container
(systemctl show output, virt-host-validate output, domain XML, libvirt's config files)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor

LIBVIRT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "libvirt")


def fixture(name):
    with open(os.path.join(LIBVIRT, name)) as handle:
        return handle.read()


def write(root, path, text, mode=None):
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    if mode is not None:
        os.chmod(str(target), mode)
    return target


class Runner:
    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        for key, result in self.outputs.items():
            if os.path.basename(argv[0]) == key:
                return result
        return 127, "", "not found"


@pytest.fixture
def kvm_host(tmp_path):
    root = tmp_path
    write(root, "/usr/sbin/libvirtd", "#!/bin/sh\n", 0o755)
    write(root, "/usr/bin/virt-host-validate", "#!/bin/sh\n", 0o755)
    write(root, "/etc/libvirt/qemu.conf", fixture("qemu.conf") + '\nvnc_listen = "0.0.0.0"\nsecurity_driver = "none"\n')
    write(root, "/etc/libvirt/libvirtd.conf", fixture("libvirtd.conf"))
    write(root, "/etc/passwd", "root:x:0:0::/root:/bin/bash\nlibvirt-qemu:x:64055:108::/var/lib/libvirt:/usr/sbin/nologin\n")
    write(root, "/etc/group", "root:x:0:\nkvm:x:104:libvirt-qemu\nlibvirt:x:107:alice,bob\nlibvirt-qemu:x:108:\n")
    write(root, "/run/libvirt/qemu/tiny.xml", open(os.path.join(LIBVIRT, "domains", "run-tiny.xml")).read())
    write(root, "/etc/libvirt/qemu/tiny.xml", open(os.path.join(LIBVIRT, "domains", "etc-tiny.xml")).read())
    write(root, "/etc/libvirt/qemu/tainted.xml", open(os.path.join(LIBVIRT, "domains", "etc-tainted.xml")).read())
    scope = "/machine.slice/machine-qemu\\x2d1\\x2dtiny.scope/libvirt"
    write(root, "/proc/173/cgroup", "4:memory:%s\n0::%s\n" % (scope, scope[: -len("/libvirt")]))
    write(root, "/run/libvirt/qemu/tiny.pid", "173")
    write(root, "/proc/173/status", "Name:\tqemu-system-x86\nVmRSS:\t  209636 kB\n")
    write(root, "/proc/1/cgroup", "4:memory:/init.scope\n0::/init.scope\n")
    write(root, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % scope, "402653184\n")
    write(root, "/sys/fs/cgroup/memory/machine.slice/memory.limit_in_bytes", "9223372036854771712\n")
    write(root, "/var/log/libvirt/qemu/tiny.log",
          "2026-01-01 10:00:00.000+0000: starting up libvirt version: 9.0.0\n"
          "2026-01-01 10:00:01.000+0000: Domain id=1 is tainted: custom-argv\n")
    write(root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 mitigations=off intel_iommu=on\n")
    write(root, "/sys/devices/system/cpu/vulnerabilities/mds", "Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable\n")
    write(root, "/sys/devices/system/cpu/smt/control", "on\n")
    write(root, "/sys/devices/system/cpu/smt/active", "1\n")
    write(root, "/proc/sys/vm/unprivileged_userfaultfd", "1\n")
    write(root, "/proc/sys/kernel/kptr_restrict", "1\n")
    write(root, "/sys/kernel/mm/ksm/run", "1\n")
    write(root, "/sys/module/kvm_intel/parameters/nested", "Y\n")
    write(root, "/etc/modprobe.d/kvm.conf", "options kvm_intel nested=1\n")
    write(root, "/etc/udev/rules.d/99-kvm.rules", 'KERNEL=="kvm", GROUP="kvm", MODE="0666"\n')
    (root / "sys/kernel/iommu_groups/0").mkdir(parents=True)
    (root / "var/lib/libvirt/images").mkdir(parents=True)
    os.chmod(str(root / "var/lib/libvirt/images"), 0o777)
    runner = Runner({
        "systemctl": (0, fixture("systemctl-show.txt"), ""),
        "virt-host-validate": (1, fixture("virt-host-validate.txt"), ""),
        "libvirtd": (0, "libvirtd (libvirt) 9.0.0\n", ""),
    })
    return root, runner


def test_gather_from_files_without_the_api(kvm_host):
    root, runner = kvm_host
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=None)
    assert facts["installed"] is True and facts["errors"] == []
    assert facts["libvirt_version"] == "9.0.0" and facts["qemu_version"] is None
    assert facts["daemon_mode"] == "monolithic"
    assert facts["units"]["libvirtd.socket"]["socket_mode"] == "0666"
    assert facts["units"]["libvirtd.socket"]["listen"] == ["/run/libvirt/libvirt-sock"]
    assert facts["units"]["virtqemud.socket"] == {"present": False}
    # one systemctl call for every unit
    assert [c[0] for c in runner.calls].count("systemctl") == 1
    qemu = facts["config"]["qemu.conf"]
    assert qemu["values"] == {"vnc_listen": "0.0.0.0", "security_driver": "none"}
    assert qemu["effective"]["vnc_listen"] == "0.0.0.0"
    assert qemu["effective"]["seccomp_sandbox"] == 1  # a default
    assert qemu["effective"]["user"] == "libvirt-qemu"  # the distribution's build default
    assert facts["config"]["virtqemud.conf"]["present"] is False
    assert facts["groups"]["libvirt"] == ["alice", "bob"]
    names = [d["name"] for d in facts["domains"]]
    assert names == ["tainted", "tiny"]
    tiny = facts["domains"][1]
    assert tiny["state"] == "running" and tiny["pid"] == 173 and tiny["rss_kib"] == 209636
    assert tiny["cgroup"]["limit_bytes"] == 402653184
    assert tiny["memtune_enforced"] is True
    assert tiny["taint"] == ["custom-argv"]
    tainted = facts["domains"][0]
    assert tainted["state"] == "shut off" and tainted["memtune_enforced"] is None and tainted["taint"] == []
    assert facts["machine_slice"]["limit_bytes"] is None and facts["machine_slice"]["exists"] is True
    kernel = facts["kernel"]
    assert kernel["risky_cmdline"] == ["mitigations=off"]
    assert kernel["iommu"] == {"groups": 1, "enabled": True, "cmdline": ["intel_iommu=on"]}
    assert kernel["smt"] == {"control": "on", "active": True}
    assert kernel["sysctl"]["vm.unprivileged_userfaultfd"] == "1"
    assert kernel["sysctl"]["kernel.yama.ptrace_scope"] is None
    assert facts["ksm"]["run"] == 1
    assert facts["kvm"]["nested_enabled"] is True
    assert facts["kvm"]["nested_modprobe"] == [{"file": "/etc/modprobe.d/kvm.conf", "line": "options kvm_intel nested=1"}]
    assert facts["kvm"]["dev_kvm_udev_rules"][0]["line"] == 'KERNEL=="kvm", GROUP="kvm", MODE="0666"'
    assert facts["paths"]["/var/lib/libvirt/images"]["mode"] == "0777"
    vhv = facts["virt_host_validate"]
    assert vhv["rc"] == 1
    assert {"driver": "QEMU", "check": "for hardware virtualization", "result": "FAIL"}.items() <= vhv["results"][0].items()


def test_a_cap_on_machine_slice_alone_is_not_a_guests_hard_limit(kvm_host):
    # KVM-058 once passed on this: the guest's own groups have no limit, all guests
    # together are capped at 256 MiB, below the guest's hard_limit.
    root, runner = kvm_host
    scope = "/machine.slice/machine-qemu\\x2d1\\x2dtiny.scope/libvirt"
    write(root, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % scope, "9223372036854771712\n")
    write(root, "/sys/fs/cgroup/memory/machine.slice/memory.limit_in_bytes", "268435456\n")
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=None)
    tiny = [d for d in facts["domains"] if d["name"] == "tiny"][0]
    assert tiny["memtune"]["hard_limit_kib"] is not None
    assert tiny["cgroup"]["limit_bytes"] is None  # "no limit" in v1 terms
    assert tiny["memtune_enforced"] is False
    assert facts["machine_slice"]["limit_bytes"] == 268435456


def test_broken_config_is_reported_with_its_line_not_raised(kvm_host):
    root, runner = kvm_host
    write(root, "/etc/libvirt/libvirtd.conf", "listen_tcp = 0\nauth_tcp = none\"\n")
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=None)
    assert facts["errors"] == [facts["config"]["libvirtd.conf"]["error"]]
    assert "line 2" in facts["errors"][0]
    # the defaults are still judged, not an empty dict
    assert facts["config"]["libvirtd.conf"]["effective"]["auth_tcp"] == "sasl"


def test_host_without_libvirt(tmp_path):
    write(tmp_path, "/proc/cmdline", "quiet\n")
    runner = Runner({})
    facts = hypervisor.gather(hypervisor.System(str(tmp_path), runner), libvirt_module=None)
    assert facts["installed"] is False and facts["domains"] == []
    assert runner.calls == []  # nothing run on a host without libvirt
    assert facts["kernel"]["cmdline"] == "quiet"


class FakeDom:
    def __init__(self, xml, state):
        self.xml, self._state = xml, state
        self.flags = []

    def state(self):
        return [self._state, 1]

    def XMLDesc(self, flags):
        self.flags.append(flags)
        return self.xml

    def isPersistent(self):
        return 1

    def autostart(self):
        return 0

    def ID(self):
        return 1


class FakeConn:
    def __init__(self, doms):
        self.doms = doms

    def getLibVersion(self):
        return 9000000

    def getVersion(self):
        return 7002022

    def getCapabilities(self):
        return fixture("capabilities.xml")

    def listAllDomains(self, flags):
        return self.doms

    def close(self):
        pass


class FakeLibvirt:
    VIR_DOMAIN_XML_SECURE = 1

    def __init__(self, conn=None):
        self.conn = conn

    def open(self, uri):
        if self.conn is None:
            raise RuntimeError("Failed to connect socket to '/run/libvirt/libvirt-sock': Connection refused")
        return self.conn


def test_gather_through_the_api(kvm_host):
    root, runner = kvm_host
    dom = FakeDom(open(os.path.join(LIBVIRT, "domains", "etc-tiny.xml")).read(), 1)
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=FakeLibvirt(FakeConn([dom])))
    assert facts["connected"] is True
    assert facts["libvirt_version"] == "9.0.0" and facts["qemu_version"] == "7.2.22"
    assert facts["secmodels"] == ["none", "dac"]
    assert dom.flags == [1]  # secure XML, so a set password is seen (and only reported as set)
    [tiny] = facts["domains"]
    assert tiny["state"] == "running" and tiny["id"] == 1 and tiny["pid"] == 173
    assert tiny["graphics"][0]["passwd_set"] is True


def test_unreachable_daemon_falls_back_to_files(kvm_host):
    root, runner = kvm_host
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=FakeLibvirt(None))
    assert facts["connected"] is False and "Connection refused" in facts["connect_error"]
    assert [d["name"] for d in facts["domains"]] == ["tainted", "tiny"]


def test_parse_helpers():
    assert hypervisor.parse_secmodels(fixture("capabilities.xml")) == ["none", "dac"]
    assert hypervisor.number_to_version(9000000) == "9.0.0"
    assert hypervisor.parse_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)") == "7.2.22"
    units = hypervisor.parse_systemctl_show(fixture("systemctl-show.txt"))
    assert units["libvirtd-tcp.socket"]["enabled"] == "disabled"
    assert units["libvirtd-tcp.socket"]["listen"] == ["[::]:16509"]
    assert units["machine.slice"]["memory_max"] == "infinity"
    assert hypervisor.daemon_mode({"virtqemud.socket": {"present": True, "active": "active"},
                                   "libvirtd.service": {"present": True, "enabled": "enabled"}}) == "both"


# --- an AppArmor host on libvirt's modular daemons, a guest with NICs -----------------------
# Hand-written fake tree (see the comments of the fixture files): what the KVM-064+ controls read.

KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUF\n-----END CERTIFICATE-----\n"
BROAD_RULE = """// written by a well-meaning admin
polkit.addRule(function(action, subject) {
    if (action.id.indexOf("org.libvirt.") == 0) {
        return polkit.Result.YES;
    }
});
"""
DEBIAN_RULE = """// Allow any user in the 'libvirt' group to connect to system libvirtd without entering a password.
polkit.addRule(function(action, subject) {
    if (action.id == "org.libvirt.unix.manage" &&
        subject.isInGroup("libvirt")) {
            return polkit.Result.YES;
    }
});
"""
PKLA = """[Remote libvirt SSH access]
Identity=unix-group:users
Action=org.libvirt.unix.manage
ResultAny=yes
ResultInactive=yes
ResultActive=yes

[Unrelated]
Identity=unix-user:*
Action=org.freedesktop.udisks2.filesystem-mount
ResultAny=yes
"""


@pytest.fixture
def modular_apparmor_host(tmp_path):
    root = tmp_path
    write(root, "/usr/sbin/virtqemud", "#!/bin/sh\n", 0o755)
    write(root, "/usr/bin/virt-host-validate", "#!/bin/sh\n", 0o755)
    write(root, "/etc/libvirt/qemu.conf", 'security_driver = "apparmor"\nlock_manager = "lockd"\nmax_processes = 2048\n')
    write(root, "/etc/libvirt/virtqemud.conf", 'audit_logging = 1\n')
    write(root, "/etc/libvirt/virtlogd.conf", fixture("virtlogd.conf") + "\nmax_size = 0\n")
    write(root, "/etc/libvirt/qemu-lockd.conf", fixture("qemu-lockd.conf"))
    write(root, "/etc/passwd", "root:x:0:0::/root:/bin/bash\nlibvirt-qemu:x:64055:108::/var/lib/libvirt:/usr/sbin/nologin\n")
    write(root, "/etc/group", "root:x:0:\nkvm:x:104:libvirt-qemu\nlibvirt:x:107:virtadmin\nlibvirt-qemu:x:108:\n")
    write(root, "/run/libvirt/qemu/web.xml", open(os.path.join(LIBVIRT, "domains", "run-nics.xml")).read())
    # the running QEMU: own seccomp filter on top of the daemon's; 2500 threads of the QEMU account
    write(root, "/proc/4242/status", "Name:\tqemu-system-x86\nUid:\t64055\t64055\t64055\t64055\nThreads:\t2500\n"
                                     "VmRSS:\t  524288 kB\nSeccomp:\t2\nSeccomp_filters:\t2\n")
    write(root, "/proc/4242/cgroup", "0::/machine.slice/machine-qemu\\x2d3\\x2dweb.scope/libvirt\n")
    write(root, "/proc/4300/status", "Name:\tvirtiofsd\nUid:\t64055\t64055\t64055\t64055\nThreads:\t9\nSeccomp:\t2\n")
    write(root, "/proc/900/status", "Name:\tvirtqemud\nUid:\t0\t0\t0\t0\nThreads:\t19\nSeccomp:\t2\nSeccomp_filters:\t1\n")
    write(root, "/run/virtqemud.pid", "900\n")
    write(root, "/proc/1/cgroup", "0::/init.scope\n")
    write(root, "/sys/fs/cgroup/machine.slice/machine-qemu\\x2d3\\x2dweb.scope/libvirt/memory.max", "1610612736\n")
    write(root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 intel_iommu=on pcie_acs_override=downstream\n")
    write(root, "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "Y\n")
    write(root, "/etc/modprobe.d/vfio.conf", "options vfio_iommu_type1 allow_unsafe_interrupts=1\n")
    # images: one private, one world-readable; a directory pool outside the default directory
    write(root, "/var/lib/libvirt/images/web.qcow2", "QFI\xfb", 0o600)
    write(root, "/var/lib/libvirt/images/debian-base.qcow2", "QFI\xfb", 0o644)
    write(root, "/etc/libvirt/storage/vms.xml", "<pool type='dir'>\n  <name>vms</name>\n  <target>\n"
                                                "    <path>/srv/vms</path>\n  </target>\n</pool>\n")
    write(root, "/srv/vms/scratch.img", "", 0o666)
    # PKI: a server key readable by others, a CA certificate (not a key), a QEMU key done right
    write(root, "/etc/pki/libvirt/private/serverkey.pem", KEY_PEM, 0o644)
    write(root, "/etc/pki/CA/cacert.pem", CERT_PEM, 0o644)
    write(root, "/etc/pki/qemu/server-key.pem", KEY_PEM, 0o600)
    write(root, "/usr/share/polkit-1/rules.d/60-libvirt.rules", DEBIAN_RULE)
    write(root, "/etc/polkit-1/rules.d/10-everyone-libvirt.rules", BROAD_RULE)
    write(root, "/etc/polkit-1/rules.d/50-other.rules", "polkit.addRule(function(a, s) { return polkit.Result.NO; });\n")
    write(root, "/etc/polkit-1/localauthority/50-local.d/libvirt.pkla", PKLA)
    runner = Runner({
        "systemctl": (0, fixture("systemctl-show-modular.txt"), ""),
        "virt-host-validate": (0, fixture("virt-host-validate.txt"), ""),
        "virtqemud": (0, "virtqemud (libvirt) 9.0.0\n", ""),
    })
    return root, runner


def test_modular_apparmor_host_with_nic_guests(modular_apparmor_host):
    root, runner = modular_apparmor_host
    dom = FakeDom(open(os.path.join(LIBVIRT, "domains", "run-nics.xml")).read(), 1)
    conn = FakeConn([dom])
    conn.getCapabilities = lambda: fixture("capabilities-apparmor.xml")
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=FakeLibvirt(conn))
    assert facts["errors"] == []
    assert facts["daemon_mode"] == "modular" and facts["virtqemud_binary"] == "/usr/sbin/virtqemud"
    assert facts["units"]["libvirtd.socket"]["load"] == "masked"
    assert facts["units"]["virtqemud.socket"]["socket_group"] == "libvirt"
    assert facts["secmodels"] == ["apparmor", "dac"]
    # one systemctl call, one virt-host-validate call, nothing else run for the new facts
    assert sorted(os.path.basename(c[0]) for c in runner.calls) == ["systemctl", "virt-host-validate"]
    assert facts["config"]["virtlogd.conf"]["effective"]["max_size"] == 0
    assert facts["config"]["virtlogd.conf"]["effective"]["max_backups"] == 3  # libvirt's default
    assert facts["config"]["qemu-lockd.conf"]["effective"]["auto_disk_leases"] == 1
    [web] = facts["domains"]
    assert web["pid"] == 4242 and web["seccomp_mode"] == 2 and web["seccomp_filters"] == 2
    assert facts["daemon_seccomp_filters"] == 1
    assert facts["qemu_account"] == {"user": "libvirt-qemu", "uid": 64055, "processes": 2, "threads": 2509}
    assert [(i["type"], i["filterref"], i["trust_guest_rx_filters"]) for i in web["interfaces"]] == [
        ("network", "clean-traffic", False), ("bridge", None, False), ("direct", "clean-traffic", True)]
    assert web["seclabels"][0] == {"type": "dynamic", "model": "apparmor", "relabel": True}
    images = dict((f["path"], f["mode"]) for f in facts["images"]["files"])
    assert facts["images"]["dirs"] == ["/var/lib/libvirt/images", "/srv/vms"]
    assert images == {"/var/lib/libvirt/images/debian-base.qcow2": "0644", "/var/lib/libvirt/images/web.qcow2": "0600",
                      "/srv/vms/scratch.img": "0666"}
    keys = dict((k["path"], k["mode"]) for k in facts["pki"]["private_keys"])
    assert keys == {"/etc/pki/libvirt/private/serverkey.pem": "0644", "/etc/pki/qemu/server-key.pem": "0600"}
    rules = dict((r["file"], r) for r in facts["polkit"]["rules"])
    assert sorted(rules) == ["/etc/polkit-1/rules.d/10-everyone-libvirt.rules", "/usr/share/polkit-1/rules.d/60-libvirt.rules"]
    assert rules["/usr/share/polkit-1/rules.d/60-libvirt.rules"]["groups"] == ["libvirt"]
    assert rules["/etc/polkit-1/rules.d/10-everyone-libvirt.rules"]["groups"] == []
    assert rules["/etc/polkit-1/rules.d/10-everyone-libvirt.rules"]["grants"] == ["YES"]
    [pkla] = facts["polkit"]["pkla"]
    assert pkla["identity"] == ["unix-group:users"] and pkla["results"]["ResultAny"] == "yes"
    vfio = facts["kernel"]["vfio"]
    assert vfio["allow_unsafe_interrupts"] == "Y" and vfio["cmdline"] == ["pcie_acs_override=downstream"]
    assert vfio["modprobe"] == [{"file": "/etc/modprobe.d/vfio.conf", "line": "options vfio_iommu_type1 allow_unsafe_interrupts=1"}]

    # the same facts judged: what this host shows
    from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base, kvm
    facts["policy"] = {"guest_agent_allowed": False, "disk_encryption_required": True}
    found = dict((f["id"], f) for f in base.judge(kvm.CONTROLS, {"hypervisor": facts}))
    status = dict((cid, f["status"]) for cid, f in found.items())
    assert status["KVM-013"] == "pass" and status["KVM-014"] == "pass"
    assert status["KVM-081"] == "pass"  # QEMU's own filter on top of the daemon's
    for cid in ("KVM-033", "KVM-054", "KVM-055", "KVM-064", "KVM-066", "KVM-067", "KVM-068", "KVM-069",
                "KVM-070", "KVM-071", "KVM-073", "KVM-074", "KVM-075", "KVM-076", "KVM-077", "KVM-078",
                "KVM-080", "KVM-082"):
        assert status[cid] == "fail", (cid, found[cid]["evidence"])
    assert status["KVM-072"] == "pass"  # filetransfer enable='no'
    assert status["KVM-079"] == "pass"  # locked, but with a hard limit
    assert status["KVM-065"] == "pass"  # lockd with virtlockd.socket and automatic leases
    # max_processes = 2048 counts every thread of the account: 2509 now, so it must allow twice that
    assert found["KVM-033"]["evidence"].startswith("max_processes = 2048 is below 5018")
    assert "macvtap" in found["KVM-055"]["evidence"] and "52:54:00:6b:3c:02 without nwfilter" in found["KVM-055"]["evidence"]
    assert "/srv/vms/scratch.img mode 0666" in found["KVM-066"]["evidence"]
    assert "debian-base.qcow2 mode 0644" in found["KVM-066"]["evidence"]
    assert "serverkey.pem" in found["KVM-067"]["evidence"] and "server-key.pem" not in found["KVM-067"]["evidence"]
    assert "10-everyone-libvirt.rules grants" in found["KVM-068"]["evidence"] and "unix-group:users" in found["KVM-068"]["evidence"]
    assert "60-libvirt.rules grants" not in found["KVM-068"]["evidence"]
    assert "vdb (/srv/vms/scratch.img) has no driver type" in found["KVM-076"]["evidence"]
    assert "vdb cache=unsafe" in found["KVM-077"]["evidence"]
    assert "vda" in found["KVM-078"]["evidence"] and "vdc" not in found["KVM-078"]["evidence"]
    assert "/srv/share/web is writable" in found["KVM-075"]["evidence"]
    assert "pcie_acs_override" in found["KVM-080"]["evidence"] and "allow_unsafe_interrupts = Y" in found["KVM-080"]["evidence"]


def test_seccomp_only_inherited_from_the_daemon(modular_apparmor_host):
    """Seccomp: 2 on QEMU with no more filters than virtqemud has: the sandbox is not QEMU's own."""
    root, runner = modular_apparmor_host
    write(root, "/proc/4242/status", "Name:\tqemu-system-x86\nUid:\t64055\t64055\t64055\t64055\nThreads:\t4\n"
                                     "Seccomp:\t2\nSeccomp_filters:\t1\n")
    facts = hypervisor.gather(hypervisor.System(str(root), runner), libvirt_module=None)
    from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base, kvm
    [finding] = base.judge(kvm.CONTROLS, {"hypervisor": facts}, ids=["KVM-081"])
    assert finding["status"] == "fail"
    assert "only the 1 filter(s) inherited from the daemon" in finding["evidence"]


def test_qemu_account_threads_by_uid(tmp_path):
    write(tmp_path, "/etc/passwd", "root:x:0:0::/root:/bin/bash\nqemu:x:107:107::/:/sbin/nologin\n")
    write(tmp_path, "/proc/10/status", "Name:\tqemu-kvm\nUid:\t107\t107\t107\t107\nThreads:\t40\n")
    write(tmp_path, "/proc/11/status", "Name:\tqemu-kvm\nUid:\t107\t107\t107\t107\nThreads:\t2\n")
    write(tmp_path, "/proc/12/status", "Name:\tsshd\nUid:\t0\t0\t0\t0\nThreads:\t1\n")
    system = hypervisor.System(str(tmp_path), Runner({}))
    assert hypervisor.gather_qemu_account(system, "qemu") == {"user": "qemu", "uid": 107, "processes": 2, "threads": 42}
    assert hypervisor.gather_qemu_account(system, "+107")["threads"] == 42
    # an account that does not exist: unknown, not "no threads"
    assert hypervisor.gather_qemu_account(system, "nobody-here")["threads"] is None


def test_polkit_parsers():
    assert hypervisor.parse_polkit_rules("polkit.addRule(function(a, s) { return polkit.Result.YES; });") is None
    commented = "// org.libvirt.unix.manage was granted here once\npolkit.addRule(function(a, s) {});\n"
    assert hypervisor.parse_polkit_rules(commented) is None
    sections = hypervisor.parse_pkla(PKLA)
    assert [s["section"] for s in sections] == ["Remote libvirt SSH access"]
