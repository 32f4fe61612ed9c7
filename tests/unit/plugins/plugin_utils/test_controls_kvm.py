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
        entry = h["config"][name]
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
HOSTDEV = [{"mode": "subsystem", "type": "pci", "managed": True}]
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
    "KVM-033": (qemu(max_processes=4096, max_files=8192), nothing),
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
}


def judge(h, cid):
    # "KVM-010b": a second pair of cases for the same control
    return controls.judge(catalog.CONTROLS, {"hypervisor": h}, ids=[cid[:7]])[0]


def test_every_control_has_a_pass_and_a_fail_case():
    ids = [c.id for c in controls_kvm.CONTROLS]
    assert sorted(set(cid[:7] for cid in CASES)) == sorted(ids)
    assert len(ids) >= 40


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
    assert [cid for cid in sorted(after) if after[cid] == "fail"] == [
        "KVM-011", "KVM-014", "KVM-033", "KVM-040", "KVM-045", "KVM-047", "KVM-049"]
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
        "KVM-011", "KVM-014", "KVM-023", "KVM-028", "KVM-029", "KVM-030", "KVM-033", "KVM-035", "KVM-040",
        "KVM-045", "KVM-047", "KVM-049", "KVM-051", "KVM-052"]
    assert judged_after["KVM-051"]["evidence"] == "console on a network address - guest-open: vnc on 0.0.0.0"
    # the limits the role set are in the running QEMUs' cgroups
    for domain in after["domains"]:
        assert domain["memtune_enforced"] is True
        assert domain["cgroup"]["limit_bytes"] == domain["memtune"]["hard_limit_kib"] * 1024
