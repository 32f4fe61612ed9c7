# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KVM/libvirt host controls (area ``kvm_host``), judged on hypervisor_facts.

Ids are stable forever: a control that is dropped keeps its id retired, a new one
takes the next free number. Each check takes the ``hypervisor`` dict returned by the
hypervisor_facts module. A host without libvirt makes every libvirt control
not_applicable; a host that cannot confine its guests (only the ``dac``/``none``
security models) is a finding (KVM-014), never hidden.

References: libvirt's documentation pages, the QEMU security guide, the kernel's
admin guide, and NIST SP 800-125A Rev. 1 by its baseline functions: HY-BF1 VM process
isolation, HY-BF2 device emulation and access control, HY-BF3 privileged operations
for guests, HY-BF4 VM lifecycle management, HY-BF5 management of the hypervisor
platform. No CIS or STIG id is cited: no published benchmark covers libvirt/KVM on
Debian, and none is invented here.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect, failed, load, not_applicable, passed)

AREA = "kvm_host"
SOURCE = "hypervisor"
LOOPBACK = ("127.0.0.1", "::1", "localhost", "127.0.0.1/8")


CONFINING_MODELS = ("apparmor", "selinux")
DEFAULT_DEVICE_ACL = ("/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom",
                      "/dev/ptmx", "/dev/kvm", "/dev/userfaultfd", "/dev/rtc", "/dev/hpet")


# --- helpers over the facts -------------------------------------------------------

def _qemu(h):
    return h["config"]["qemu.conf"]["effective"]


def _daemon_files(h):
    """The config files of the daemons that serve clients: libvirtd or virtqemud+virtproxyd."""
    mode = h.get("daemon_mode")
    if mode == "modular":
        return ["virtqemud.conf", "virtproxyd.conf"]
    if mode == "both":
        return ["libvirtd.conf", "virtqemud.conf", "virtproxyd.conf"]
    return ["libvirtd.conf"]


def _remote_file(h):
    return "virtproxyd.conf" if h.get("daemon_mode") == "modular" else "libvirtd.conf"


def _conf(h, name):
    return h["config"][name]["effective"]


def _unit(h, name):
    return (h.get("units") or {}).get(name) or {"present": False}


def _unit_on(unit):
    return bool(unit.get("present")) and (
        unit.get("active") in ("active", "activating") or unit.get("enabled") in ("enabled", "enabled-runtime", "static"))


def _socket_activated(h):
    return any(_unit_on(_unit(h, n)) for n in ("libvirtd.socket", "virtqemud.socket", "virtproxyd.socket"))


def _tcp_on(h):
    """Plain TCP listening: the tcp socket units, or listen_tcp where no socket activation is used."""
    units = [n for n in ("libvirtd-tcp.socket", "virtproxyd-tcp.socket") if _unit_on(_unit(h, n))]
    conf = _conf(h, _remote_file(h))
    listen = conf.get("listen_tcp") == 1 and not _socket_activated(h)
    return units, listen


def _tls_on(h):
    units = [n for n in ("libvirtd-tls.socket", "virtproxyd-tls.socket") if _unit_on(_unit(h, n))]
    values = h["config"][_remote_file(h)]["values"]
    return bool(units) or (values.get("listen_tls") == 1 and not _socket_activated(h))


def _mode(text):
    try:
        return int(str(text), 8)
    except (TypeError, ValueError):
        return None


def _sock(h, suffix):
    """(path, stat) of the daemon's socket with the suffix ('sock', 'sock-ro', 'admin-sock')."""
    names = {"sock": ("libvirt-sock", "virtqemud-sock"), "sock-ro": ("libvirt-sock-ro", "virtqemud-sock-ro"),
             "admin-sock": ("libvirt-admin-sock", "virtqemud-admin-sock")}[suffix]
    found = []
    for name in names:
        path = "/run/libvirt/" + name
        st = (h.get("sockets") or {}).get(path) or {}
        if st.get("exists"):
            found.append((path, st))
    return found


def _loopback(address):
    return address in LOOPBACK or str(address).startswith("127.")


def _domains(h):
    return h.get("domains") or []


def _running(domain):
    return domain.get("state") in ("running", "paused", "blocked", "pmsuspended", "in shutdown")


def _names(items):
    return ", ".join(items)


def installed(check):
    """Wrap a check: not_applicable where libvirt is not installed."""
    def wrapped(h, facts):
        if not h.get("installed"):
            return not_applicable("libvirt is not installed on this host")
        return check(h, facts)
    wrapped.__name__ = getattr(check, "__name__", "check")
    wrapped.__doc__ = check.__doc__
    return wrapped


def per_domain(what, needs_restart=False, applies=None, none_text="no domain defined"):
    """Decorate ``offends(domain, h) -> reason or ""`` into a check over all domains that
    fails listing the offenders (name: reason); ``applies(domain, h)`` picks the domains."""
    return lambda offends: _per_domain(offends, what, needs_restart, applies, none_text)


def _ksm_on(d, h):
    return (h.get("ksm") or {}).get("run") == 1


def _per_domain(offends, what, needs_restart, applies, none_text):
    def check(h, facts):
        if not h.get("installed"):
            return not_applicable("libvirt is not installed on this host")
        domains = [d for d in _domains(h) if applies is None or applies(d, h)]
        if not domains:
            return not_applicable(none_text)
        bad = []
        for domain in domains:
            reason = offends(domain, h)
            if reason:
                bad.append("%s: %s" % (domain.get("name"), reason))
        if bad:
            return failed("%s - %s" % (what, "; ".join(bad)), needs_restart=needs_restart)
        return passed("%d domain(s) checked: %s" % (len(domains), _names(d.get("name") or "?" for d in domains)))
    check.__name__ = offends.__name__
    return check


# --- checks -----------------------------------------------------------------------

def c_tcp_off(h, facts):
    units, listen = _tcp_on(h)
    masked = [n for n in ("libvirtd-tcp.socket", "virtproxyd-tcp.socket") if _unit(h, n).get("load") == "masked"]
    if units or listen:
        return failed("plain TCP listening: %s" % _names(units + (["listen_tcp = 1 in %s" % _remote_file(h)] if listen else [])))
    return passed("no TCP socket unit enabled or active%s; listen_tcp = %s" % (
        " (masked: %s)" % _names(masked) if masked else "", _conf(h, _remote_file(h)).get("listen_tcp")))


def c_auth_tcp(h, facts):
    bad = [f for f in _daemon_files(h) if _conf(h, f).get("auth_tcp") == "none"]
    seen = ["%s in %s" % (_conf(h, f).get("auth_tcp"), f) for f in _daemon_files(h) if "auth_tcp" in _conf(h, f)]
    return expect(not bad, "auth_tcp = %s" % (", ".join(seen) or "sasl (default)"))


def c_tls_verify(h, facts):
    bad = ["%s = %s in %s" % (k, _conf(h, f).get(k), f) for f in _daemon_files(h)
           for k in ("tls_no_verify_certificate", "tls_no_sanity_certificate") if _conf(h, f).get(k) not in (0, None)]
    return expect(not bad, _names(bad) if bad else "client and server certificates are verified")


def c_tls_dn(h, facts):
    if not _tls_on(h):
        return not_applicable("TLS remote access is off")
    dns = _conf(h, _remote_file(h)).get("tls_allowed_dn_list")
    return expect(bool(dns), "tls_allowed_dn_list = %r" % (dns,))


def c_tcp_ssf(h, facts):
    units, listen = _tcp_on(h)
    if not units and not listen:
        return not_applicable("plain TCP is off (SASL over TCP unused)")
    ssf = _conf(h, _remote_file(h)).get("tcp_min_ssf")
    return expect(isinstance(ssf, int) and ssf >= 112, "tcp_min_ssf = %s" % ssf)


def _rw_exposure(h):
    """[(where, mode, auth)] for the R/W socket: unit SocketMode under socket activation, else the file mode."""
    out = []
    for f in _daemon_files(h):
        if f == "virtproxyd.conf" and h.get("daemon_mode") == "modular":
            continue
        auth = _conf(h, f).get("auth_unix_rw")
        for path, st in _sock(h, "sock"):
            out.append((path, st.get("mode"), auth))
    return out


def c_rw_auth(h, facts):
    exposure = _rw_exposure(h)
    if not exposure:
        return not_applicable("no R/W UNIX socket exists (daemon not started)")
    bad = ["%s mode %s with auth_unix_rw = none" % (p, m) for p, m, a in exposure
           if a == "none" and _mode(m) is not None and _mode(m) & 0o006]
    return expect(not bad, _names(bad) if bad else _names("%s mode %s, auth_unix_rw = %s" % e for e in exposure))


def c_rw_perms(h, facts):
    socks = _sock(h, "sock")
    if not socks:
        return not_applicable("no R/W UNIX socket exists (daemon not started)")
    bad = ["%s mode %s" % (p, st.get("mode")) for p, st in socks if (_mode(st.get("mode")) or 0) & 0o007]
    return expect(not bad, _names(bad) if bad else _names("%s mode %s group %s" % (p, st.get("mode"), st.get("group")) for p, st in socks))


def c_ro_perms(h, facts):
    socks = _sock(h, "sock-ro")
    if not socks:
        return not_applicable("no read-only UNIX socket exists")
    bad = ["%s mode %s" % (p, st.get("mode")) for p, st in socks if (_mode(st.get("mode")) or 0) & 0o007]
    return expect(not bad, _names(bad) if bad else _names("%s mode %s" % (p, st.get("mode")) for p, st in socks))


def c_admin_perms(h, facts):
    socks = _sock(h, "admin-sock")
    if not socks:
        return not_applicable("no admin UNIX socket exists")
    bad = ["%s mode %s owner %s" % (p, st.get("mode"), st.get("owner")) for p, st in socks
           if (_mode(st.get("mode")) or 0) & 0o077 or st.get("owner") != "root"]
    return expect(not bad, _names(bad) if bad else _names("%s mode %s" % (p, st.get("mode")) for p, st in socks))


BROAD_GROUPS = ("users", "staff", "adm", "plugdev", "audio", "video", "dialout")


def c_sock_group(h, facts):
    socks = _sock(h, "sock")
    if not socks:
        return not_applicable("no R/W UNIX socket exists (daemon not started)")
    bad = []
    seen = []
    expected = h.get("expected_admins")
    for path, st in socks:
        group = st.get("group")
        members = (h.get("groups") or {}).get(group, [])
        seen.append("%s group %s (members: %s)" % (path, group, _names(members) or "none"))
        writable = (_mode(st.get("mode")) or 0) & 0o060
        if group in BROAD_GROUPS or (writable and group in ("kvm", "libvirt-qemu")):
            bad.append("%s is writable by the broad group %s" % (path, group))
        elif writable and expected is not None and group != "root":
            extra = [m for m in members if m not in expected]
            if extra:
                bad.append("%s: %s in group %s but not among the admins (%s)" % (
                    path, _names(extra), group, _names(expected) or "none"))
    return expect(not bad, _names(bad) if bad else "; ".join(seen))


def c_access_drivers(h, facts):
    values = [(f, _conf(h, f).get("access_drivers") or []) for f in _daemon_files(h)
              if not (f == "virtproxyd.conf" and h.get("daemon_mode") == "modular")]
    bad = ["%s: %s" % (f, v or "none") for f, v in values if "polkit" not in v]
    return expect(not bad, ("no fine-grained access control: %s" % _names(bad)) if bad else "access_drivers = polkit")


def c_audit(h, facts):
    bad = []
    for f in _daemon_files(h):
        conf = _conf(h, f)
        if not isinstance(conf.get("audit_level"), int) or conf.get("audit_level") < 1:
            bad.append("audit_level = %s in %s" % (conf.get("audit_level"), f))
        if conf.get("audit_logging") != 1:
            bad.append("audit_logging = %s in %s" % (conf.get("audit_logging"), f))
    return expect(not bad, _names(bad) if bad else "audit_level >= 1 and audit_logging = 1")


def c_one_stack(h, facts):
    # judged on the units themselves, not only on the summary, so a recorded unit state decides
    mono = [n for n in ("libvirtd.service", "libvirtd.socket") if _unit_on(_unit(h, n))]
    modular = [n for n in ("virtqemud.service", "virtqemud.socket") if _unit_on(_unit(h, n))]
    if mono and modular:
        return failed("both stacks enabled: %s and %s" % (_names(mono), _names(modular)))
    return passed("daemon mode: %s" % h.get("daemon_mode"))


def c_confining_driver(h, facts):
    models = h.get("secmodels")
    driver = _qemu(h).get("security_driver")
    if models is None:
        return failed("the host's security models could not be read (libvirt unreachable)")
    confining = [m for m in models if m in CONFINING_MODELS]
    if not confining:
        return failed("no confining security driver: the host offers only %s - a compromised QEMU is "
                      "limited by DAC permissions alone (enable AppArmor or SELinux)" % (_names(models) or "nothing"))
    if driver == "none" or (isinstance(driver, list) and "none" in driver):
        return failed("security_driver = none although %s is available" % _names(confining))
    return passed("security models: %s; security_driver = %s" % (_names(models), driver or "default (first available)"))


def c_default_confined(h, facts):
    return expect(_qemu(h).get("security_default_confined") == 1,
                  "security_default_confined = %s" % _qemu(h).get("security_default_confined"))


def c_require_confined(h, facts):
    models = h.get("secmodels") or []
    if not any(m in CONFINING_MODELS for m in models):
        return not_applicable("no confining driver to require (reported by KVM-014)")
    return expect(_qemu(h).get("security_require_confined") == 1,
                  "security_require_confined = %s" % _qemu(h).get("security_require_confined"))


def c_user(h, facts):
    user, group = _qemu(h).get("user"), _qemu(h).get("group")
    root = ("root", "+0", "0")
    return expect(user not in root and group not in root, "QEMU runs as user %s, group %s" % (user, group))


def c_ownership(h, facts):
    q = _qemu(h)
    return expect(q.get("dynamic_ownership") == 1 and q.get("remember_owner") == 1,
                  "dynamic_ownership = %s, remember_owner = %s" % (q.get("dynamic_ownership"), q.get("remember_owner")))


def c_seccomp(h, facts):
    value = _qemu(h).get("seccomp_sandbox")
    return expect(isinstance(value, int) and value >= 1, "seccomp_sandbox = %s" % value)


def c_namespaces(h, facts):
    value = _qemu(h).get("namespaces") or []
    return expect("mount" in value, "namespaces = %s" % (value,))


def c_device_acl(h, facts):
    acl = _qemu(h).get("cgroup_device_acl") or []
    extra = [d for d in acl if d not in DEFAULT_DEVICE_ACL]
    return expect(not extra, ("cgroup_device_acl widened with %s" % _names(extra)) if extra
                  else "cgroup_device_acl holds only the default devices")


def _console_listens(h):
    q = _qemu(h)
    found = []
    for key in ("vnc_listen", "spice_listen"):
        if not _loopback(q.get(key)):
            found.append("%s = %s" % (key, q.get(key)))
    return found


def c_listen(h, facts):
    bad = _console_listens(h)
    return expect(not bad, _names(bad) if bad else "vnc_listen = %s, spice_listen = %s" % (
        _qemu(h).get("vnc_listen"), _qemu(h).get("spice_listen")))


def _remote_graphics(h, kind):
    out = []
    q = _qemu(h)
    if not _loopback(q.get(kind + "_listen")):
        out.append("%s_listen = %s" % (kind, q.get(kind + "_listen")))
    for d in _domains(h):
        for g in d.get("graphics") or []:
            if g.get("type") == kind and any(not _loopback(a) and a != "none" for a in g.get("listen") or []):
                out.append("%s listens on %s" % (d.get("name"), _names(g.get("listen"))))
    return out


def c_vnc_tls(h, facts):
    remote = _remote_graphics(h, "vnc")
    if not remote:
        return passed("VNC is reachable from loopback only")
    q = _qemu(h)
    ok = q.get("vnc_tls") == 1 and q.get("vnc_tls_x509_verify") == 1
    return expect(ok, "%s; vnc_tls = %s, vnc_tls_x509_verify = %s, vnc_sasl = %s" % (
        _names(remote), q.get("vnc_tls"), q.get("vnc_tls_x509_verify"), q.get("vnc_sasl")))


def c_spice_tls(h, facts):
    remote = _remote_graphics(h, "spice")
    if not remote:
        return passed("SPICE is reachable from loopback only")
    return expect(_qemu(h).get("spice_tls") == 1, "%s; spice_tls = %s" % (_names(remote), _qemu(h).get("spice_tls")))


def c_global_password(h, facts):
    q = _qemu(h)
    keys = [k for k in ("vnc_password", "spice_password") if q.get(k)]
    if not keys:
        return passed("no shared console password in qemu.conf")
    st = (h.get("paths") or {}).get("/etc/libvirt/qemu.conf") or {}
    readable = (_mode(st.get("mode")) or 0) & 0o077
    return expect(not readable, "%s set in qemu.conf (mode %s)" % (_names(keys), st.get("mode")))


def c_display_ports(h, facts):
    q = _qemu(h)
    low, high = q.get("remote_display_port_min"), q.get("remote_display_port_max")
    ok = isinstance(low, int) and isinstance(high, int) and 5900 <= low <= high and high - low <= 1024
    return expect(ok, "remote_display_port_min = %s, remote_display_port_max = %s" % (low, high))


def c_chardev_tls(h, facts):
    tcp = ["%s %s" % (d.get("name"), c.get("device")) for d in _domains(h) for c in d.get("chardevs") or []
           if c.get("type") == "tcp"]
    if not tcp:
        return passed("no TCP character device on any domain")
    return expect(_qemu(h).get("chardev_tls") == 1, "TCP character devices (%s); chardev_tls = %s" % (
        _names(tcp), _qemu(h).get("chardev_tls")))


def c_nbd_tls(h, facts):
    return expect(_qemu(h).get("nbd_tls") == 1, "nbd_tls = %s" % _qemu(h).get("nbd_tls"))


def c_migrate_tls(h, facts):
    return expect(_qemu(h).get("migrate_tls_force") == 1, "migrate_tls_force = %s" % _qemu(h).get("migrate_tls_force"))


def c_migration_address(h, facts):
    address = _qemu(h).get("migration_address")
    return expect(address not in ("0.0.0.0", "::", "[::]", None), "migration_address = %s" % address)


def c_core(h, facts):
    q = _qemu(h)
    ok = q.get("max_core") in (0, None) and q.get("dump_guest_core") in (0, None)
    return expect(ok, "max_core = %s, dump_guest_core = %s" % (q.get("max_core"), q.get("dump_guest_core")))


def c_stdio(h, facts):
    return expect(_qemu(h).get("stdio_handler") == "logd", "stdio_handler = %s" % _qemu(h).get("stdio_handler"))


def c_rlimits(h, facts):
    q = _qemu(h)
    ok = (q.get("max_processes") or 0) > 0 and (q.get("max_files") or 0) > 0
    return expect(ok, "max_processes = %s, max_files = %s (0 = the host's default)" % (q.get("max_processes"), q.get("max_files")))


def c_acs(h, facts):
    return expect(_qemu(h).get("relaxed_acs_check") in (0, None), "relaxed_acs_check = %s" % _qemu(h).get("relaxed_acs_check"))


def c_lock_manager(h, facts):
    value = _qemu(h).get("lock_manager")
    return expect(value in ("lockd", "sanlock"), "lock_manager = %s" % (value or "none"))


# Not readable by others: guest disks, logs (guest console output), private keys, the QEMU
# config (may hold console passwords), the domain definitions. libvirt creates the files in
# save/, snapshot/, dump/ and nvram/ 0600 itself, so those directories may stay 0755.
PRIVATE_PATHS = ("/var/lib/libvirt/images", "/var/log/libvirt", "/var/log/libvirt/qemu",
                 "/etc/pki/libvirt/private", "/etc/libvirt/qemu.conf", "/etc/libvirt/qemu")


def c_directories(h, facts):
    bad = []
    checked = 0
    for path, st in sorted((h.get("paths") or {}).items()):
        if not st.get("exists"):
            continue
        checked += 1
        mode = _mode(st.get("mode")) or 0
        if mode & 0o002 and not mode & 0o1000:
            bad.append("%s is world-writable (%s)" % (path, st.get("mode")))
        elif path in PRIVATE_PATHS and mode & 0o004:
            bad.append("%s is readable by others (%s)" % (path, st.get("mode")))
        elif st.get("owner") not in ("root", "libvirt-qemu", "qemu"):
            bad.append("%s is owned by %s" % (path, st.get("owner")))
    return expect(not bad, _names(bad) if bad else "%d paths checked: modes and owners as expected" % checked)


def c_dev_kvm(h, facts):
    st = (h.get("kvm") or {}).get("dev_kvm") or {}
    rules = [r for r in (h.get("kvm") or {}).get("dev_kvm_udev_rules") or []
             if 'MODE="0666"' in r.get("line", "").replace(" ", "") or 'MODE:="0666"' in r.get("line", "").replace(" ", "")]
    if not st.get("exists") and not rules:
        return not_applicable("/dev/kvm does not exist here")
    bad = []
    if st.get("exists") and (_mode(st.get("mode")) or 0) & 0o006:
        bad.append("/dev/kvm mode %s" % st.get("mode"))
    bad.extend("udev rule %s: %s" % (r["file"], r["line"]) for r in rules)
    return expect(not bad, _names(bad) if bad else "/dev/kvm mode %s group %s" % (st.get("mode"), st.get("group")))


def c_ksm(h, facts):
    ksm = h.get("ksm") or {}
    services = [n for n in ("ksm.service", "ksmtuned.service") if _unit_on(_unit(h, n))]
    if not ksm.get("available") and not services:
        return not_applicable("the kernel has no KSM")
    return expect(ksm.get("run") in (0, 2, None) and not services,
                  "ksm run = %s, enabled services: %s" % (ksm.get("run"), _names(services) or "none"))


def c_nested(h, facts):
    kvm = h.get("kvm") or {}
    nested = dict((k, v) for k, v in (kvm.get("nested") or {}).items() if v is not None)
    enabling = [m["line"] for m in kvm.get("nested_modprobe") or [] if "nested=1" in m["line"].replace(" ", "") or "nested=Y" in m["line"].replace(" ", "")]
    if not nested and not enabling:
        return not_applicable("no kvm_intel/kvm_amd module loaded")
    on = kvm.get("nested_enabled") or bool(enabling)
    return expect(not on, "nested: %s; modprobe.d: %s" % (nested or "not loaded", _names(enabling) or "nothing"))


def c_cpu_vulns(h, facts):
    vulns = (h.get("kernel") or {}).get("vulnerabilities") or {}
    if not vulns:
        return not_applicable("the kernel does not report CPU vulnerabilities")
    bad = ["%s: %s" % (k, v) for k, v in sorted(vulns.items()) if v.startswith("Vulnerable")]
    return expect(not bad, _names(bad) if bad else "%d vulnerabilities reported, none vulnerable" % len(vulns))


def c_cmdline(h, facts):
    risky = (h.get("kernel") or {}).get("risky_cmdline") or []
    return expect(not risky, ("kernel command line weakens mitigations: %s" % _names(risky)) if risky
                  else "no mitigation-disabling kernel option")


def c_smt(h, facts):
    kernel = h.get("kernel") or {}
    smt = kernel.get("smt") or {}
    if smt.get("control") in ("off", "forceoff", "notsupported", "notimplemented") or kernel.get("nosmt") or smt.get("active") is False:
        return passed("SMT is off or unsupported (control = %s)" % smt.get("control"))
    vulns = kernel.get("vulnerabilities") or {}
    bad = ["%s: %s" % (k, v) for k, v in sorted(vulns.items()) if "SMT vulnerable" in v]
    return expect(not bad, ("SMT is on and the CPU leaks across siblings: %s" % _names(bad)) if bad
                  else "SMT is on; no vulnerability reports SMT as vulnerable")


def c_iommu(h, facts):
    passthrough = ["%s (%s)" % (d.get("name"), _names(x.get("type") or "?" for x in d["hostdevs"]))
                   for d in _domains(h) if d.get("hostdevs")]
    if not passthrough:
        return not_applicable("no domain passes host devices through")
    iommu = (h.get("kernel") or {}).get("iommu") or {}
    return expect(bool(iommu.get("enabled")), "host devices passed to %s; IOMMU groups: %s" % (
        _names(passthrough), iommu.get("groups")))


def _sysctl(h, name):
    return ((h.get("kernel") or {}).get("sysctl") or {}).get(name)


def c_userfaultfd(h, facts):
    value = _sysctl(h, "vm.unprivileged_userfaultfd")
    if value is None:
        return not_applicable("vm.unprivileged_userfaultfd does not exist in this kernel")
    return expect(value == "0", "vm.unprivileged_userfaultfd = %s" % value)


KERNEL_SYSCTLS = (("kernel.kptr_restrict", 1), ("kernel.dmesg_restrict", 1), ("kernel.unprivileged_bpf_disabled", 1),
                  ("kernel.kexec_load_disabled", 1), ("kernel.yama.ptrace_scope", 1))


def c_kernel_sysctls(h, facts):
    bad, seen = [], []
    for name, minimum in KERNEL_SYSCTLS:
        value = _sysctl(h, name)
        if value is None:
            continue
        seen.append("%s = %s" % (name, value))
        try:
            ok = int(value) >= minimum
        except ValueError:
            ok = False
        if not ok:
            bad.append("%s = %s (want >= %d)" % (name, value, minimum))
    if not seen:
        return not_applicable("none of the kernel sysctls is readable here")
    return expect(not bad, _names(bad) if bad else _names(seen))


def c_bridge_nf(h, facts):
    names = ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables")
    values = dict((n, _sysctl(h, n)) for n in names)
    if all(v is None for v in values.values()):
        return not_applicable("br_netfilter is not loaded (no bridged traffic reaches iptables)")
    bad = ["%s = %s" % (n, v) for n, v in values.items() if v is not None and v != "1"]
    return expect(not bad, ("bridged guest traffic bypasses the host firewall: %s" % _names(bad)) if bad
                  else _names("%s = %s" % item for item in values.items()))


def c_machine_slice(h, facts):
    ms = h.get("machine_slice") or {}
    if not ms.get("exists"):
        return not_applicable("no machine.slice cgroup (no domain started yet)")
    return expect(ms.get("limit_bytes") is not None, "machine.slice memory limit: %s (%s)" % (
        ms.get("limit_bytes") if ms.get("limit_bytes") is not None else "none", ms.get("limit_file")))


def c_deleted_binaries(h, facts):
    found = h.get("deleted_qemu_binaries") or []
    if found:
        return failed("QEMU processes run replaced binaries: %s" % _names("pid %s %s" % (p["pid"], p["exe"]) for p in found),
                      needs_restart=True)
    return passed("no QEMU process runs a deleted binary")


# per-domain offence functions: return a reason string or "" ------------------------------

@per_domain("not KVM-accelerated", needs_restart=True)
def d_type(d, h):
    return "type %s (TCG emulation, not a security boundary)" % d.get("type") if d.get("type") != "kvm" else ""


@per_domain("unconfined", needs_restart=True)
def d_seclabel(d, h):
    bad = []
    for label in d.get("seclabels") or []:
        if label.get("type") == "none":
            bad.append("seclabel type none%s" % (" (%s)" % label["model"] if label.get("model") else ""))
        elif label.get("relabel") is False:
            bad.append("relabel=no (%s)" % label.get("model"))
    for label in d.get("device_seclabels") or []:
        if label.get("relabel") is False:
            bad.append("%s relabel=no" % label.get("device"))
    return _names(bad)


@per_domain("console on a network address", needs_restart=True)
def d_graphics_listen(d, h):
    q = _qemu(h)
    bad = []
    for g in d.get("graphics") or []:
        listens = g.get("listen") or []
        if not listens and not g.get("socket"):
            listens = [q.get("%s_listen" % g.get("type"))] if g.get("type") in ("vnc", "spice") else []
        wide = [a for a in listens if a and a != "none" and not _loopback(a)]
        if wide:
            bad.append("%s on %s" % (g.get("type"), _names(wide)))
    return _names(bad)


@per_domain("console without password", needs_restart=True)
def d_graphics_password(d, h):
    bad = []
    q = _qemu(h)
    for g in d.get("graphics") or []:
        if g.get("type") not in ("vnc", "spice"):
            continue
        listens = g.get("listen") or []
        socket_only = (g.get("socket") or not listens) and not listens
        if socket_only and g.get("socket"):
            continue
        if not g.get("passwd_set") and not q.get("%s_password" % g.get("type")) and not q.get("%s_sasl" % g.get("type")):
            bad.append("%s console without password" % g.get("type"))
    return _names(bad)


@per_domain("network character device", needs_restart=True)
def d_chardev_net(d, h):
    bad = []
    for c in d.get("chardevs") or []:
        if c.get("type") == "udp":
            bad.append("%s over UDP" % c.get("device"))
        elif c.get("type") == "tcp" and c.get("tls") != "yes" and not (_qemu(h).get("chardev_tls") == 1 and c.get("tls") != "no"):
            bad.append("%s over TCP without TLS (%s:%s)" % (c.get("device"), c.get("host"), c.get("service")))
    return _names(bad)


@per_domain("trusted RX filters", needs_restart=True)
def d_trust_rx(d, h):
    return _names("%s trustGuestRxFilters=yes" % (i.get("mac") or i.get("type"))
                  for i in d.get("interfaces") or [] if i.get("trust_guest_rx_filters"))


@per_domain("unfiltered NIC", applies=lambda d, h: bool(d.get("interfaces")), none_text="no domain has a network interface")
def d_nwfilter(d, h):
    # libvirt applies nwfilter rules on the host side of network, bridge and ethernet
    # (tap) interfaces only. A direct (macvtap) interface bypasses the host's bridge and
    # netfilter: a filterref on it filters nothing, so it is a finding of its own.
    bad = []
    for i in d.get("interfaces") or []:
        name = i.get("mac") or i.get("type")
        if i.get("type") == "direct":
            bad.append("%s is macvtap (direct): nwfilter cannot filter it" % name)
        elif i.get("type") in ("network", "bridge", "ethernet") and not i.get("filterref"):
            bad.append("%s without nwfilter" % name)
    return _names(bad)


@per_domain("nested virtualization exposed", needs_restart=True)
def d_nested_cpu(d, h):
    cpu = d.get("cpu") or {}
    feats = [f["name"] for f in cpu.get("features") or [] if f.get("name") in ("vmx", "svm")
             and f.get("policy") in ("require", "force", "optional")]
    if feats:
        return "CPU exposes %s" % _names(feats)
    if cpu.get("mode") == "host-passthrough" and (h.get("kvm") or {}).get("nested_enabled"):
        disabled = [f["name"] for f in cpu.get("features") or [] if f.get("name") in ("vmx", "svm") and f.get("policy") == "disable"]
        if not disabled:
            return "host-passthrough CPU with nested enabled on the host"
    return ""


@per_domain("KSM may merge pages", needs_restart=True, applies=_ksm_on, none_text="KSM is off: no page sharing")
def d_nosharepages(d, h):
    return "" if d.get("nosharepages") else "pages may be merged by KSM"


@per_domain("no enforced memory limit")
def d_memtune(d, h):
    hard = (d.get("memtune") or {}).get("hard_limit_kib")
    if hard is None:
        return "no memtune hard_limit"
    if _running(d) and d.get("memtune_enforced") is False:
        return "hard_limit %d KiB not in its cgroup (%s)" % (hard, (d.get("cgroup") or {}).get("limit_bytes"))
    return ""


@per_domain("writable shared disk", needs_restart=True)
def d_shareable(d, h):
    return _names("%s shareable and writable" % x.get("target") for x in d.get("disks") or []
                  if x.get("shareable") and not x.get("readonly"))


@per_domain("I/O errors ignored", needs_restart=True)
def d_error_policy(d, h):
    return _names("%s %s=ignore" % (x.get("target"), k) for x in d.get("disks") or []
                  for k in ("error_policy", "rerror_policy") if x.get(k) == "ignore")


@per_domain("QEMU passthrough", needs_restart=True)
def d_commandline(d, h):
    bad = []
    if d.get("qemu_commandline"):
        bad.append("qemu:commandline %s" % " ".join(d["qemu_commandline"]))
    if d.get("qemu_override"):
        bad.append("qemu:override")
    return _names(bad)


@per_domain("tainted", needs_restart=True, applies=lambda d, h: _running(d), none_text="no running domain")
def d_taint(d, h):
    return ("tainted: %s" % _names(d["taint"])) if d.get("taint") else ""


@per_domain("host device in capabilities mode", needs_restart=True)
def d_hostdev(d, h):
    return _names("%s %s hostdev" % (x.get("mode") or "subsystem", x.get("type")) for x in d.get("hostdevs") or []
                  if x.get("mode") == "capabilities")


CONTROLS = load(__name__, AREA, SOURCE, wrap=installed)
