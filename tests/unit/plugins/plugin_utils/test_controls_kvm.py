# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every KVM control on recorded facts: one passing and one failing case each.

The base facts were recorded with the hypervisor_facts module against a container of
startsecure-test/kvm-debian12 (libvirt 9.0, QEMU 7.2, Debian's shipped configuration,
two domains: `tiny` running with a live memtune and a VNC console on 0.0.0.0 with a
password, `tainted` defined with a TCP serial, a shared disk with error_policy=ignore and
qemu:commandline); the no-libvirt facts from a plain Debian 12 container. Each case
changes only what its control looks at, the way a host would differ.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf
from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as controls
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import kvm as controls_kvm

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "hypervisor")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


BASE = load("debian12-default.json")
NO_LIBVIRT = load("debian12-no-libvirt.json")


# --- mutators ----------------------------------------------------------------------

def conf(name, **values):
    def apply(h):
        entry = h["config"].setdefault(name, {"path": "/etc/libvirt/" + name, "present": False, "values": {},
                                              "effective": libvirt_conf.effective({}, name), "error": None})
        entry["present"] = True
        entry["values"].update(values)
        entry["effective"].update(values)
    return apply


def qemu(**values):
    return conf("qemu.conf", **values)


def libvirtd(**values):
    return conf("libvirtd.conf", **values)


def unit(name, **props):
    def apply(h):
        h["units"].setdefault(name, {"present": True, "load": "loaded"})
        h["units"][name].update(props)
        h["units"][name]["present"] = True
    return apply


def sock(path, **st):
    def apply(h):
        h["sockets"][path] = dict({"exists": True, "type": "socket", "owner": "root", "group": "root"}, **st)
    return apply


def path(p, **st):
    def apply(h):
        h["paths"][p].update(st)
    return apply


def top(**values):
    def apply(h):
        h.update(values)
    return apply


def kernel(**values):
    def apply(h):
        h["kernel"].update(values)
    return apply


def sysctl(**values):
    def apply(h):
        h["kernel"]["sysctl"].update(dict((k.replace("__", "."), v) for k, v in values.items()))
    return apply


def kvm(**values):
    def apply(h):
        h["kvm"].update(values)
    return apply


def ksm(**values):
    def apply(h):
        h["ksm"].update(values)
    return apply


def domain(name, **values):
    def apply(h):
        for d in h["domains"]:
            if d["name"] == name:
                d.update(values)
                return
        raise AssertionError("no domain %s in the fixture" % name)
    return apply


def domains(*names):
    def apply(h):
        h["domains"] = [d for d in h["domains"] if d["name"] in names]
    return apply


def all_of(*mutators):
    def apply(h):
        for mutate in mutators:
            mutate(h)
    return apply


def nothing(h):
    pass


def tiny_only(*mutators):
    return all_of(domains("tiny"), *mutators)


TINY_VNC_LOCAL = domain("tiny", graphics=[{"type": "vnc", "listen": ["127.0.0.1"], "socket": None, "autoport": True,
                                           "port": 5900, "passwd_set": True, "passwd_valid_to": None}])
NIC = {"type": "network", "source": {"network": "default"}, "model": "virtio", "mac": "52:54:00:00:00:01",
       "filterref": "clean-traffic", "trust_guest_rx_filters": False, "target": "vnet0"}
TINY_GRAPHICS_NOPW = {"type": "vnc", "listen": ["127.0.0.1"], "socket": None, "autoport": True, "port": -1,
                      "passwd_set": False, "passwd_valid_to": None}
HOSTDEV = [{"mode": "subsystem", "type": "pci", "managed": True}]
SPICE = {"type": "spice", "listen": ["0.0.0.0"], "socket": None, "autoport": True, "port": 5901, "passwd_set": True,
         "passwd_valid_to": None, "default_mode": "secure", "secure_channels": [], "insecure_channels": [],
         "clipboard": False, "filetransfer": False}
IMAGE = {"exists": True, "type": "file", "path": "/var/lib/libvirt/images/tiny.qcow2", "mode": "0600",
         "owner": "libvirt-qemu", "group": "libvirt-qemu"}
KEY = {"exists": True, "type": "file", "path": "/etc/pki/libvirt/private/serverkey.pem", "mode": "0600",
       "owner": "root", "group": "root"}
DEBIAN_POLKIT = {"file": "/usr/share/polkit-1/rules.d/60-libvirt.rules", "actions": ["org.libvirt.unix.manage"],
                 "groups": ["libvirt"], "users": [], "grants": ["YES"]}
AGENT = {"device": "channel", "type": "unix", "target_type": "virtio", "target_name": "org.qemu.guest_agent.0",
         "mode": "bind", "path": None}
SHARE = {"type": "mount", "driver": "virtiofs", "accessmode": "passthrough", "source": "/srv/share/tiny",
         "target": "share", "readonly": True}
DISK = {"device": "disk", "type": "file", "target": "vda", "source": "/var/lib/libvirt/images/tiny.qcow2",
        "format": "qcow2", "cache": "none", "encryption": None, "shareable": False, "readonly": False,
        "error_policy": None, "rerror_policy": None,
        "backing": [{"source": "/var/lib/libvirt/images/base.qcow2", "format": "qcow2"}]}
VHV_OK = [{"driver": "QEMU", "check": "for hardware virtualization", "result": "FAIL", "detail": "no VT"},
          {"driver": "QEMU", "check": "if device /dev/net/tun exists", "result": "PASS", "detail": ""},
          {"driver": "QEMU", "check": "for secure guest support", "result": "WARN", "detail": "Unknown"}]
VULN_OK = {"spectre_v2": "Mitigation: Retpolines", "mds": "Not affected", "l1tf": "Not affected"}
SMT_VULN = {"mds": "Mitigation: Clear CPU buffers; SMT vulnerable", "l1tf": "Not affected"}

# id -> (mutation giving a pass, mutation giving a fail)
CASES = {
    "KVM-001": (nothing, unit("libvirtd-tcp.socket", active="active", enabled="enabled")),
    "KVM-002": (nothing, libvirtd(auth_tcp="none")),
    "KVM-003": (nothing, libvirtd(tls_no_verify_certificate=1)),
    "KVM-004": (all_of(unit("libvirtd-tls.socket", active="active"), libvirtd(tls_allowed_dn_list=["CN=admin"])),
                unit("libvirtd-tls.socket", active="active", enabled="enabled")),
    "KVM-005": (all_of(unit("libvirtd-tcp.socket", active="active"), libvirtd(tcp_min_ssf=112)),
                unit("libvirtd-tcp.socket", active="active")),
    "KVM-006": (nothing, libvirtd(auth_unix_rw="none")),
    "KVM-007": (sock("/run/libvirt/libvirt-sock", mode="0770", group="libvirt"), nothing),
    "KVM-008": (sock("/run/libvirt/libvirt-sock-ro", mode="0770"), nothing),
    "KVM-009": (nothing, sock("/run/libvirt/libvirt-admin-sock", mode="0666")),
    "KVM-010": (sock("/run/libvirt/libvirt-sock", mode="0770", group="libvirt"),
                sock("/run/libvirt/libvirt-sock", mode="0770", group="users")),
    "KVM-010b": (all_of(sock("/run/libvirt/libvirt-sock", mode="0770", group="libvirt"),
                        top(groups={"libvirt": ["virtadmin"]}, expected_admins=["virtadmin"])),
                 all_of(sock("/run/libvirt/libvirt-sock", mode="0770", group="libvirt"),
                        top(groups={"libvirt": ["virtadmin", "stray"]}, expected_admins=["virtadmin"]))),
    "KVM-011": (libvirtd(access_drivers=["polkit"]), nothing),
    "KVM-012": (libvirtd(audit_logging=1), nothing),
    "KVM-013": (nothing, unit("virtqemud.socket", active="active", enabled="enabled")),
    "KVM-014": (top(secmodels=["apparmor", "dac"]), nothing),
    "KVM-015": (nothing, qemu(security_default_confined=0)),
    "KVM-016": (all_of(top(secmodels=["selinux", "dac"]), qemu(security_require_confined=1)),
                top(secmodels=["selinux", "dac"])),
    "KVM-017": (nothing, qemu(user="root")),
    "KVM-018": (nothing, qemu(remember_owner=0)),
    "KVM-019": (nothing, qemu(seccomp_sandbox=0)),
    "KVM-020": (nothing, qemu(namespaces=[])),
    "KVM-021": (nothing, qemu(cgroup_device_acl=["/dev/null", "/dev/kvm", "/dev/sda"])),
    "KVM-022": (nothing, qemu(spice_listen="0.0.0.0")),
    "KVM-023": (qemu(vnc_tls=1, vnc_tls_x509_verify=1), nothing),
    "KVM-024": (nothing, qemu(spice_listen="0.0.0.0")),
    "KVM-025": (all_of(qemu(vnc_password="x"), path("/etc/libvirt/qemu.conf", mode="0600")),
                all_of(qemu(vnc_password="x"), path("/etc/libvirt/qemu.conf", mode="0644"))),
    "KVM-026": (qemu(remote_display_port_max=5999), nothing),
    "KVM-027": (qemu(chardev_tls=1), nothing),
    "KVM-028": (qemu(nbd_tls=1), nothing),
    "KVM-029": (qemu(migrate_tls_force=1), nothing),
    "KVM-030": (qemu(migration_address="192.0.2.10"), nothing),
    "KVM-031": (nothing, qemu(max_core="unlimited")),
    "KVM-032": (nothing, qemu(stdio_handler="file")),
    # 0 = the host's default passes; a limit is judged against the QEMU account's threads now
    "KVM-033": (nothing, all_of(qemu(max_processes=4096),
                                top(qemu_account={"user": "libvirt-qemu", "uid": 64055, "processes": 40, "threads": 3000}))),
    "KVM-033b": (all_of(qemu(max_processes=16384, max_files=8192),
                        top(qemu_account={"user": "libvirt-qemu", "uid": 64055, "processes": 2, "threads": 300})),
                 qemu(max_files=256)),
    "KVM-034": (nothing, qemu(relaxed_acs_check=1)),
    "KVM-035": (qemu(lock_manager="lockd"), nothing),
    "KVM-036": (all_of(path("/var/log/libvirt/qemu", mode="0700"), path("/var/log/libvirt", mode="0700"),
                       path("/etc/libvirt/qemu", mode="0700")),
                nothing),
    "KVM-037": (kvm(dev_kvm={"exists": True, "mode": "0660", "owner": "root", "group": "kvm", "type": "char"}),
                kvm(dev_kvm={"exists": True, "mode": "0666", "owner": "root", "group": "kvm", "type": "char"})),
    "KVM-038": (nothing, ksm(run=1)),
    "KVM-039": (kvm(nested={"kvm_intel": "N", "kvm_amd": None}, nested_enabled=False),
                kvm(nested={"kvm_intel": "Y", "kvm_amd": None}, nested_enabled=True)),
    "KVM-040": (kernel(vulnerabilities=VULN_OK), nothing),
    "KVM-041": (nothing, kernel(risky_cmdline=["mitigations=off"])),
    "KVM-042": (nothing, kernel(smt={"control": "on", "active": True}, vulnerabilities=SMT_VULN)),
    "KVM-043": (all_of(domain("tiny", hostdevs=HOSTDEV), kernel(iommu={"groups": 12, "enabled": True, "cmdline": []})),
                domain("tiny", hostdevs=HOSTDEV)),
    "KVM-044": (nothing, sysctl(vm__unprivileged_userfaultfd="1")),
    "KVM-045": (sysctl(kernel__kptr_restrict="1"), nothing),
    "KVM-046": (nothing, sysctl(**{"net__bridge__bridge-nf-call-iptables": "0"})),
    "KVM-047": (lambda h: h["machine_slice"].update(limit_bytes=8 * 1024 ** 3), nothing),
    "KVM-048": (nothing, top(deleted_qemu_binaries=[{"pid": 4242, "exe": "/usr/bin/qemu-system-x86_64 (deleted)"}])),
    "KVM-049": (all_of(domain("tiny", type="kvm"), domain("tainted", type="kvm")), nothing),
    "KVM-050": (nothing, domain("tiny", seclabels=[{"type": "none", "model": None, "relabel": False}])),
    "KVM-051": (TINY_VNC_LOCAL, nothing),
    "KVM-052": (tiny_only(), nothing),
    # a UNIX socket console needs no password: explicit, or by vnc_auto_unix_socket for a console without an address
    "KVM-052b": (domain("tainted", graphics=[dict(TINY_GRAPHICS_NOPW, listen=[], socket="/var/lib/libvirt/qemu/vnc.sock")]),
                 domain("tainted", graphics=[dict(TINY_GRAPHICS_NOPW, listen=[], socket=None)])),
    "KVM-052c": (all_of(qemu(vnc_auto_unix_socket=1), domain("tainted", graphics=[dict(TINY_GRAPHICS_NOPW, listen=[])])),
                 domain("tainted", graphics=[dict(TINY_GRAPHICS_NOPW, listen=["none", "127.0.0.1"])])),
    "KVM-053": (tiny_only(), nothing),
    "KVM-054": (domain("tiny", interfaces=[NIC]), domain("tiny", interfaces=[dict(NIC, trust_guest_rx_filters=True)])),
    "KVM-055": (domain("tiny", interfaces=[NIC]), domain("tiny", interfaces=[dict(NIC, filterref=None)])),
    # A filterref on a macvtap interface filters nothing: still a finding.
    "KVM-055b": (domain("tiny", interfaces=[dict(NIC, type="bridge")]),
                 domain("tiny", interfaces=[dict(NIC, type="direct", source={"dev": "eth0", "mode": "bridge"})])),
    "KVM-056": (nothing, domain("tiny", cpu={"mode": "custom", "model": "qemu64",
                                             "features": [{"name": "vmx", "policy": "require"}]})),
    "KVM-057": (all_of(ksm(run=1), domain("tiny", nosharepages=True), domain("tainted", nosharepages=True)), ksm(run=1)),
    "KVM-058": (nothing, domain("tiny", memtune_enforced=False)),
    "KVM-059": (tiny_only(), nothing),
    "KVM-060": (tiny_only(), nothing),
    "KVM-061": (tiny_only(), nothing),
    "KVM-062": (nothing, domain("tiny", taint=["custom-argv"])),
    "KVM-063": (nothing, domain("tiny", hostdevs=[{"mode": "capabilities", "type": "storage", "managed": False}])),
    "KVM-064": (conf("virtlogd.conf", max_size=2097152, max_backups=3), conf("virtlogd.conf", max_size=0)),
    "KVM-064b": (conf("virtlogd.conf", max_size=128 * 1024 ** 2, max_backups=7),
                 conf("virtlogd.conf", max_size=1024 ** 3, max_backups=3)),
    "KVM-065": (qemu(lock_manager="lockd"),
                all_of(qemu(lock_manager="lockd"), conf("qemu-lockd.conf", auto_disk_leases=0, require_lease_for_disks=0))),
    "KVM-065b": (all_of(qemu(lock_manager="lockd"), conf("qemu-lockd.conf", auto_disk_leases=0)),
                 all_of(qemu(lock_manager="lockd"), unit("virtlockd.socket", load="masked", active="inactive",
                                                         enabled="masked"))),
    "KVM-066": (top(images={"dirs": ["/var/lib/libvirt/images"], "files": [IMAGE], "truncated": False}),
                top(images={"dirs": ["/var/lib/libvirt/images"], "files": [dict(IMAGE, mode="0644")], "truncated": False})),
    "KVM-066b": (top(images={"dirs": ["/var/lib/libvirt/images"], "files": [dict(IMAGE, owner="root", mode="0640")],
                             "truncated": False}),
                 top(images={"dirs": ["/var/lib/libvirt/images"], "files": [dict(IMAGE, owner="alice")], "truncated": False})),
    "KVM-067": (top(pki={"dirs": ["/etc/pki/libvirt/private"], "private_keys": [KEY]}),
                top(pki={"dirs": ["/etc/pki/libvirt/private"], "private_keys": [dict(KEY, mode="0644")]})),
    "KVM-067b": (top(pki={"dirs": ["/etc/pki/qemu"], "private_keys": [dict(KEY, mode="0640", group="libvirt-qemu")]}),
                 top(pki={"dirs": ["/etc/pki/qemu"], "private_keys": [dict(KEY, mode="0640", group="users")]})),
    "KVM-068": (top(polkit={"rules": [DEBIAN_POLKIT], "pkla": []}),
                top(polkit={"rules": [dict(DEBIAN_POLKIT, groups=[])], "pkla": []})),
    "KVM-068b": (top(polkit={"rules": [], "pkla": [{"file": "/etc/polkit-1/localauthority/50-local.d/libvirt.pkla",
                                                    "section": "libvirt", "identity": ["unix-group:virtadmins"],
                                                    "action": "org.libvirt.unix.manage",
                                                    "results": {"ResultActive": "yes"}}]}),
                 top(polkit={"rules": [], "pkla": [{"file": "/etc/polkit-1/localauthority/50-local.d/libvirt.pkla",
                                                    "section": "libvirt", "identity": ["unix-group:users"],
                                                    "action": "org.libvirt.unix.manage",
                                                    "results": {"ResultAny": "yes"}}]})),
    "KVM-069": (domain("tiny", graphics=[SPICE]), domain("tiny", graphics=[dict(SPICE, default_mode="any")])),
    "KVM-069b": (domain("tiny", graphics=[dict(SPICE, listen=["127.0.0.1"], default_mode="any")]),
                 domain("tiny", graphics=[dict(SPICE, insecure_channels=["main"])])),
    "KVM-070": (domain("tiny", graphics=[SPICE]), domain("tiny", graphics=[dict(SPICE, passwd_set=False)])),
    # without an address of its own the console is on spice_listen, or on a UNIX socket with spice_auto_unix_socket
    "KVM-070b": (all_of(qemu(spice_auto_unix_socket=1), domain("tiny", graphics=[dict(SPICE, listen=[], passwd_set=False)])),
                 all_of(qemu(spice_password="shared"), domain("tiny", graphics=[dict(SPICE, listen=[], passwd_set=False)]))),
    "KVM-071": (domain("tiny", graphics=[SPICE]), domain("tiny", graphics=[dict(SPICE, clipboard=True)])),
    "KVM-072": (domain("tiny", graphics=[SPICE]), domain("tiny", graphics=[dict(SPICE, filetransfer=True)])),
    "KVM-073": (domain("tiny", redirdevs=[]), domain("tiny", redirdevs=[{"bus": "usb", "type": "spicevmc"}])),
    "KVM-074": (domain("tiny", chardevs=[AGENT]),
                all_of(domain("tiny", chardevs=[AGENT]), top(policy={"guest_agent_allowed": False}))),
    # a forbidding policy with no agent anywhere passes; an agent in a shut-off guest still counts
    "KVM-074b": (top(policy={"guest_agent_allowed": False}),
                 all_of(domain("tainted", chardevs=[AGENT]), top(policy={"guest_agent_allowed": False}))),
    "KVM-075": (domain("tiny", filesystems=[SHARE]), domain("tiny", filesystems=[dict(SHARE, readonly=False)])),
    "KVM-075b": (domain("tiny", filesystems=[dict(SHARE, driver="path", accessmode="mapped")]),
                 domain("tiny", filesystems=[dict(SHARE, source="/etc")])),
    "KVM-075c": (domain("tiny", filesystems=[dict(SHARE, driver="path", accessmode="squash")]),
                 domain("tiny", filesystems=[dict(SHARE, driver="path")])),
    "KVM-076": (domain("tiny", disks=[DISK]), domain("tiny", disks=[dict(DISK, format=None)])),
    "KVM-076b": (domain("tiny", disks=[dict(DISK, backing=[])]),
                 domain("tiny", disks=[dict(DISK, backing=[{"source": "/var/lib/libvirt/images/base.img", "format": None}])])),
    "KVM-077": (domain("tiny", disks=[DISK]), domain("tiny", disks=[dict(DISK, cache="unsafe")])),
    "KVM-078": (all_of(top(policy={"disk_encryption_required": True}), tiny_only(domain("tiny", disks=[dict(DISK, encryption="luks")]))),
                all_of(top(policy={"disk_encryption_required": True}), tiny_only(domain("tiny", disks=[DISK])))),
    "KVM-079": (domain("tiny", locked_memory=True),
                domain("tiny", locked_memory=True,
                       memtune={"hard_limit_kib": None, "soft_limit_kib": None, "swap_hard_limit_kib": None})),
    "KVM-080": (kernel(vfio={"allow_unsafe_interrupts": "N", "cmdline": [], "modprobe": []}),
                kernel(cmdline="root=/dev/vda1 intel_iommu=on pcie_acs_override=downstream,multifunction")),
    "KVM-080b": (kernel(cmdline="root=/dev/vda1 vfio_iommu_type1.allow_unsafe_interrupts=0"),
                 kernel(vfio={"allow_unsafe_interrupts": "Y", "cmdline": [], "modprobe": []})),
    "KVM-081": (domain("tiny", seccomp_mode=2), domain("tiny", seccomp_mode=0)),
    "KVM-081b": (domain("tiny", seccomp_mode=2), domain("tiny", seccomp_mode=None)),
    # Seccomp 2 made only of the daemon's (or the container's) filters is not QEMU's sandbox
    "KVM-081c": (all_of(domain("tiny", seccomp_mode=2, seccomp_filters=2), top(daemon_seccomp_filters=1)),
                 all_of(domain("tiny", seccomp_mode=2, seccomp_filters=1), top(daemon_seccomp_filters=1))),
    "KVM-082": (top(virt_host_validate={"rc": 1, "results": VHV_OK}), nothing),
    "KVM-082b": (top(virt_host_validate={"rc": 1, "results": VHV_OK}),
                 all_of(top(virt_host_validate={"rc": 1, "results": VHV_OK}), kernel(cpu_virt_flag="vmx"),
                        kvm(loaded=["kvm", "kvm_intel"]))),
}


def judge(h, cid):
    # "KVM-010b": a second pair of cases for the same control
    return controls.judge(catalog.CONTROLS, {"hypervisor": h}, ids=[cid[:7]])[0]


def test_every_control_has_a_pass_and_a_fail_case():
    ids = [c.id for c in controls_kvm.CONTROLS]
    assert sorted(set(cid[:7] for cid in CASES)) == sorted(ids)
    assert len(ids) >= 80


@pytest.mark.parametrize("cid", sorted(CASES))
def test_pass_case(cid):
    h = copy.deepcopy(BASE)
    CASES[cid][0](h)
    finding = judge(h, cid)
    assert finding["status"] == controls.PASS, finding["evidence"]


@pytest.mark.parametrize("cid", sorted(CASES))
def test_fail_case(cid):
    h = copy.deepcopy(BASE)
    CASES[cid][1](h)
    finding = judge(h, cid)
    assert finding["status"] == controls.FAIL, finding["evidence"]
    assert finding["evidence"]


@pytest.mark.parametrize("cid", sorted(CASES))
def test_no_libvirt_is_not_applicable(cid):
    finding = judge(copy.deepcopy(NO_LIBVIRT), cid)
    assert finding["status"] == controls.NOT_APPLICABLE
    assert "not installed" in finding["evidence"]


def test_recorded_host_findings():
    """What the recorded default Debian 12 host really shows: the findings a reader would expect."""
    findings = dict((f["id"], f) for f in controls.judge(controls_kvm.CONTROLS, {"hypervisor": BASE}))
    # Debian's libvirtd.socket is 0666 guarded by polkit: not open (KVM-006) but wider than needed (KVM-007)
    assert findings["KVM-006"]["status"] == "pass" and findings["KVM-007"]["status"] == "fail"
    # no AppArmor/SELinux in the container: a finding with the reason, not hidden
    assert findings["KVM-014"]["status"] == "fail"
    assert "only none, dac" in findings["KVM-014"]["evidence"]
    # the per-domain controls name the offending domain and mark a restart
    assert findings["KVM-051"]["evidence"].endswith("tiny: vnc on 0.0.0.0")
    assert findings["KVM-051"]["needs_restart"] is True
    assert "tainted: qemu:commandline -rtc base=utc" in findings["KVM-061"]["evidence"]
    # the live memtune of the running domain is really in its cgroup
    assert findings["KVM-058"]["status"] == "pass"
    assert not any(f["status"] == "error" for f in findings.values())


def test_remediation_variables_exist_in_the_role():
    """Every remediation variable is a real public variable of its role (argument_specs)."""
    import yaml
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
    specs = {}
    for control in controls_kvm.CONTROLS:
        variable = control.remediation.get("variable")
        if not variable:
            assert control.remediation.get("note"), "%s has neither a variable nor a note" % control.id
            continue
        role = control.remediation["role"]
        if role not in specs:
            with open(os.path.join(root, "roles", role, "meta", "argument_specs.yml")) as handle:
                spec = yaml.safe_load(handle)
            specs[role] = set(spec["argument_specs"]["main"]["options"])
        assert variable in specs[role], "%s: %s is not a variable of role %s" % (control.id, variable, role)


def test_ids_are_numbered_and_unique():
    ids = [c.id for c in controls_kvm.CONTROLS]
    assert ids == ["KVM-%03d" % n for n in range(1, len(ids) + 1)]
    assert all(c.area == "kvm_host" and c.source == "hypervisor" for c in controls_kvm.CONTROLS)


def test_recorded_hardening_turns_findings_into_passes():
    """The same container, recorded again after hardening it by hand with libvirt_config (qemu.conf,
    libvirtd.conf), socket drop-ins (SocketMode=0660, SocketGroup=libvirt), masked TCP/TLS sockets,
    directory modes, the risky domain undefined and `tiny` redefined with VNC on 127.0.0.1 and
    nosharepages, its memory limit applied live by libvirt_domain_memory."""
    hardened = load("debian12-hardened.json")
    before = dict((f["id"], f["status"]) for f in controls.judge(controls_kvm.CONTROLS, {"hypervisor": BASE}))
    after = dict((f["id"], f["status"]) for f in controls.judge(controls_kvm.CONTROLS, {"hypervisor": hardened}))
    fixed = sorted(cid for cid in after if before[cid] == "fail" and after[cid] == "pass")
    assert fixed == ["KVM-007", "KVM-008", "KVM-012", "KVM-023", "KVM-026", "KVM-027", "KVM-028", "KVM-029",
                     "KVM-030", "KVM-035", "KVM-036", "KVM-051", "KVM-052", "KVM-053", "KVM-059", "KVM-060",
                     "KVM-061"]
    # what hardening libvirt cannot fix in a container stays a finding
    # KVM-033 no longer fails on max_processes = 0 (the host's default); the container lacks /dev/net/tun (KVM-082)
    assert [cid for cid in sorted(after) if after[cid] == "fail"] == [
        "KVM-011", "KVM-014", "KVM-040", "KVM-045", "KVM-047", "KVM-049", "KVM-082"]
    assert not any(after[cid] == "pass" and before[cid] == "fail" and cid == "KVM-014" for cid in after)
    assert hardened["units"]["libvirtd-tcp.socket"]["load"] == "masked"


def test_recorded_kvm_host_role_converge():
    """Facts recorded around a converge of roles/kvm_host (molecule/kvm_host prepare.yml and
    converge.yml run by hand against a kvm-debian12 container with the scenario's seccomp
    profile): the role closes these findings; the rest are what a container cannot fix
    (no AppArmor/SELinux, read-only kernel parameters, TCG) or what the role leaves to the
    operator (console on 0.0.0.0 needs a guest restart, TLS needs certificates)."""
    before = load("debian12-kvm_host-before.json")
    after = load("debian12-kvm_host-role.json")
    assert after["expected_admins"] == ["virtadmin"] and after["groups"]["libvirt"] == ["virtadmin"]
    judged_before = dict((f["id"], f["status"]) for f in controls.judge(controls_kvm.CONTROLS, {"hypervisor": before}))
    judged_after = dict((f["id"], f) for f in controls.judge(controls_kvm.CONTROLS, {"hypervisor": after}))
    fixed = sorted(cid for cid, f in judged_after.items() if judged_before[cid] == "fail" and f["status"] == "pass")
    assert fixed == ["KVM-007", "KVM-008", "KVM-012", "KVM-026", "KVM-036", "KVM-058"]
    assert sorted(cid for cid, f in judged_after.items() if f["status"] == "fail") == [
        "KVM-011", "KVM-014", "KVM-023", "KVM-028", "KVM-029", "KVM-030", "KVM-035", "KVM-040",
        "KVM-045", "KVM-047", "KVM-049", "KVM-051", "KVM-052", "KVM-082"]
    assert judged_after["KVM-051"]["evidence"] == "console on a network address - guest-open: vnc on 0.0.0.0"
    # the role's default console (127.0.0.1, no password) is open to every local account: still KVM-052
    assert "guest-quiet: vnc console without password on TCP 127.0.0.1" in judged_after["KVM-052"]["evidence"]
    # the limits the role set are in the running QEMUs' cgroups
    for domain in after["domains"]:
        assert domain["memtune_enforced"] is True
        assert domain["cgroup"]["limit_bytes"] == domain["memtune"]["hard_limit_kib"] * 1024
