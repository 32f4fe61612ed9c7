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
platform. DISA publishes no STIG for KVM/libvirt; where a requirement of its generic
Virtual Machine Manager SRG matches a control, it is cited by its V- and SRG ids. No
CIS benchmark covers libvirt/KVM, so no CIS id is cited, and none is invented here.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls.base import (
    expect, failed, load, not_applicable, passed)

AREA = "kvm_host"
SOURCE = "hypervisor"
LOOPBACK = ("127.0.0.1", "::1", "localhost", "127.0.0.1/8")


CONFINING_MODELS = ("apparmor", "selinux")
# KVM-033: QEMU starts a few dozen threads per guest (vCPUs, I/O, RCU, workers).
NPROC_FLOOR = 4096
NOFILE_FLOOR = 1024
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
        # not_applicable without libvirt comes from the installed() wrapper load() puts around every check
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
    # max_processes is RLIMIT_NPROC of the QEMU ACCOUNT: every thread of every guest counts
    # against it together, so a low value makes thread creation (and guest start) fail on a
    # dense host. Judged against what the account runs now, with room to double.
    q = _qemu(h)
    nproc, nofile = q.get("max_processes") or 0, q.get("max_files") or 0
    account = h.get("qemu_account") or {}
    threads = account.get("threads")
    need = max(NPROC_FLOOR, 2 * threads) if isinstance(threads, int) else NPROC_FLOOR
    bad = []
    if nproc and nproc < need:
        bad.append("max_processes = %d is below %d (%s)" % (nproc, need, (
            "the QEMU account %s runs %d threads now; twice that leaves room for more guests" % (account.get("user"), threads))
            if isinstance(threads, int) else "the QEMU account's thread count is unknown"))
    if nofile and nofile < NOFILE_FLOOR:
        bad.append("max_files = %d is below %d per QEMU process" % (nofile, NOFILE_FLOOR))
    seen = "max_processes = %s, max_files = %s (0 = the host's default); QEMU account %s: %s threads in %s processes" % (
        nproc, nofile, account.get("user", "?"), threads if threads is not None else "?", account.get("processes", "?"))
    return expect(not bad, "%s: %s" % (_names(bad), seen) if bad else seen)


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


def _tcp_listens(g):
    """The TCP addresses a console listens on ([] = UNIX socket only or no listener)."""
    return [a for a in g.get("listen") or [] if a and a != "none"]


@per_domain("console on a TCP port without password", needs_restart=True)
def d_graphics_password(d, h):
    # A TCP console on 127.0.0.1 is still open to every local account, the QEMU account of
    # every other guest included: it needs a password (its own, qemu.conf's, or SASL) unless
    # it is served on a UNIX socket only - explicitly, or by vnc/spice_auto_unix_socket for a
    # console without an address of its own (what libvirt then writes in the live XML).
    bad = []
    q = _qemu(h)
    for g in d.get("graphics") or []:
        kind = g.get("type")
        if kind not in ("vnc", "spice"):
            continue
        tcp = _tcp_listens(g)
        if not g.get("listen") and not g.get("socket"):
            # no address of its own: libvirt uses the auto UNIX socket, else qemu.conf's address
            if q.get("%s_auto_unix_socket" % kind) == 1:
                continue
            tcp = [q.get("%s_listen" % kind) or "127.0.0.1"]
        if not tcp:
            continue
        if not g.get("passwd_set") and not q.get("%s_password" % kind) and not q.get("%s_sasl" % kind):
            bad.append("%s console without password on TCP %s" % (kind, _names(tcp)))
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


# --- host files, logging, locking, polkit, kernel (KVM-064 on) ----------------------------

def _conf_file(h, name):
    """Effective values of a config file; facts gathered before the file was read fall back to
    libvirt's defaults (the same ones the gathering applies)."""
    entry = (h.get("config") or {}).get(name)
    if entry is not None:
        return entry.get("effective") or {}
    return libvirt_conf.effective({}, name)


def _qemu_group(h):
    return _qemu(h).get("group")


# virtlogd keeps max_size * (max_backups + 1) bytes per guest log at most.
LOG_BUDGET = 1024 ** 3


def c_virtlogd(h, facts):
    conf = _conf_file(h, "virtlogd.conf")
    size, backups = conf.get("max_size"), conf.get("max_backups")
    evidence = "virtlogd.conf max_size = %s, max_backups = %s" % (size, backups)
    if not isinstance(size, int) or size <= 0:
        return failed("%s: max_size 0 disables rollover - one guest's console output can fill the disk" % evidence)
    if not isinstance(backups, int) or backups < 0 or size * (backups + 1) > LOG_BUDGET:
        return failed("%s: up to %s bytes per guest log, more than %d" % (
            evidence, size * (backups + 1) if isinstance(backups, int) else "?", LOG_BUDGET))
    return passed("%s: at most %d bytes per guest log" % (evidence, size * (backups + 1)))


def c_lockd(h, facts):
    if _qemu(h).get("lock_manager") != "lockd":
        return not_applicable("lock_manager is not lockd (KVM-035 reports a missing lock manager)")
    conf = _conf_file(h, "qemu-lockd.conf")
    auto = conf.get("auto_disk_leases")
    require = conf.get("require_lease_for_disks")
    if "require_lease_for_disks" not in ((h.get("config") or {}).get("qemu-lockd.conf") or {}).get("values", {}):
        require = 0 if auto != 0 else 1  # libvirt's default follows auto_disk_leases
    bad = []
    if auto == 0 and not require:
        bad.append("auto_disk_leases = 0 and require_lease_for_disks = 0: disks without a <lease> are not locked")
    sockets = [n for n in ("virtlockd.socket", "virtlockd.service") if _unit_on(_unit(h, n))]
    if not sockets:
        state = _unit(h, "virtlockd.socket")
        bad.append("virtlockd.socket is %s" % (state.get("load") if state.get("present") else "not installed"))
    return expect(not bad, _names(bad) if bad else "lockd: auto_disk_leases = %s, require_lease_for_disks = %s, %s on" % (
        auto, require, _names(sockets)))


def c_image_files(h, facts):
    images = h.get("images")
    if images is None:
        return not_applicable("image files were not gathered")
    files = images.get("files") or []
    if not files:
        return not_applicable("no file in %s" % _names(images.get("dirs") or []))
    owners = ("root", _qemu(h).get("user"))
    bad = []
    for entry in files:
        mode = _mode(entry.get("mode")) or 0
        if mode & 0o006:
            exposure = "writable" if mode & 0o002 else "readable"
            bad.append("%s mode %s (%s by others)" % (entry["path"], entry.get("mode"), exposure))
        elif mode & 0o020 and entry.get("group") not in ("root", _qemu_group(h)):
            bad.append("%s mode %s writable by group %s" % (entry["path"], entry.get("mode"), entry.get("group")))
        elif entry.get("owner") not in owners:
            bad.append("%s owned by %s" % (entry["path"], entry.get("owner")))
    more = " (first %d files only)" % len(files) if images.get("truncated") else ""
    return expect(not bad, (_names(bad) + more) if bad else "%d image files%s: owner %s, none open to others" % (
        len(files), more, " or ".join(o for o in owners if o)))


def c_pki_keys(h, facts):
    pki = h.get("pki")
    if pki is None:
        return not_applicable("the PKI directories were not gathered")
    keys = pki.get("private_keys") or []
    if not keys:
        return not_applicable("no private key in %s" % (_names(pki.get("dirs") or []) or "the libvirt/QEMU PKI directories"))
    groups = ("root", _qemu_group(h))
    bad = []
    for key in keys:
        mode = _mode(key.get("mode")) or 0
        if mode & 0o007:
            bad.append("%s mode %s (others)" % (key["path"], key.get("mode")))
        elif mode & 0o020 or (mode & 0o040 and key.get("group") not in groups):
            bad.append("%s mode %s group %s" % (key["path"], key.get("mode"), key.get("group")))
        elif key.get("owner") not in ("root", _qemu(h).get("user")):
            bad.append("%s owned by %s" % (key["path"], key.get("owner")))
    return expect(not bad, _names(bad) if bad else "%d private keys readable by root/%s only: %s" % (
        len(keys), _qemu_group(h), _names(k["path"] for k in keys)))


# groups that stand for "everyone" or for people who are not hypervisor administrators
POLKIT_BROAD = BROAD_GROUPS + ("kvm", "libvirt-qemu", "wheel", "sudo", "admin")


def c_polkit(h, facts):
    polkit = h.get("polkit")
    if polkit is None:
        return not_applicable("polkit rules were not gathered")
    bad, seen = [], []
    for rule in polkit.get("rules") or []:
        grants = rule.get("grants") or []
        seen.append("%s (%s)" % (rule["file"], _names(rule.get("groups") or rule.get("users") or ["no subject test"])))
        if not grants:
            continue
        broad = [g for g in rule.get("groups") or [] if g in POLKIT_BROAD]
        if not rule.get("groups") and not rule.get("users"):
            bad.append("%s grants %s to every subject" % (rule["file"], _names(rule.get("actions") or [])))
        elif broad:
            bad.append("%s grants %s to the broad group %s" % (rule["file"], _names(rule.get("actions") or []), _names(broad)))
    for section in polkit.get("pkla") or []:
        yes = [k for k, v in (section.get("results") or {}).items() if v == "yes"]
        seen.append("%s [%s]" % (section["file"], section.get("section")))
        if not yes:
            continue
        wide = [i for i in section.get("identity") or []
                if i in ("unix-user:*", "unix-group:*") or (i.startswith("unix-group:") and i.split(":", 1)[1] in POLKIT_BROAD)]
        if wide:
            bad.append("%s [%s] %s=yes for %s" % (section["file"], section.get("section"), "/".join(yes), _names(wide)))
    if not seen:
        return passed("no polkit rule mentions org.libvirt (libvirt's default: admin authentication)")
    return expect(not bad, _names(bad) if bad else "libvirt rules grant only dedicated groups/users: %s" % _names(seen))


def c_vfio_unsafe(h, facts):
    kernel = h.get("kernel") or {}
    vfio = kernel.get("vfio") or {}
    options = (kernel.get("cmdline") or "").split()
    cmdline = [o for o in options if o.startswith("pcie_acs_override")
               or ("allow_unsafe_interrupts" in o and not o.endswith(("=0", "=N", "=n")))]
    modprobe = [m["line"] for m in vfio.get("modprobe") or []
                if "allow_unsafe_interrupts=1" in m["line"].replace(" ", "") or "allow_unsafe_interrupts=Y" in m["line"].replace(" ", "")]
    live = vfio.get("allow_unsafe_interrupts") in ("Y", "1", "y")
    bad = (["kernel command line: %s" % " ".join(cmdline)] if cmdline else []) + \
        (["modprobe.d: %s" % _names(modprobe)] if modprobe else []) + \
        (["vfio_iommu_type1 allow_unsafe_interrupts = Y"] if live else [])
    return expect(not bad, _names(bad) if bad else "no pcie_acs_override, vfio allow_unsafe_interrupts = %s" % (
        vfio.get("allow_unsafe_interrupts") or "module not loaded"))


# virt-host-validate checks that are judged elsewhere or that the hardware decides
VHV_HARDWARE = ("for hardware virtualization",)


def c_virt_host_validate(h, facts):
    vhv = h.get("virt_host_validate")
    if not vhv or not vhv.get("results"):
        return not_applicable("virt-host-validate was not run (or printed nothing)")
    qemu = [r for r in vhv["results"] if r.get("driver") == "QEMU"]
    skipped, bad = [], []
    no_vt = not (h.get("kvm") or {}).get("loaded") or (h.get("kernel") or {}).get("cpu_virt_flag") is None
    passthrough = any(d.get("hostdevs") for d in _domains(h))
    for result in qemu:
        if result.get("result") != "FAIL":
            continue
        check = result.get("check") or ""
        if check in VHV_HARDWARE and no_vt:
            skipped.append("%s (no VT-x/AMD-V here: KVM-049 reports the emulated guests)" % check)
        elif "IOMMU" in check and not passthrough:
            skipped.append("%s (no guest passes a device through)" % check)
        else:
            bad.append("%s: %s" % (check, result.get("detail") or "FAIL"))
    warned = len([r for r in qemu if r.get("result") == "WARN"])
    tail = "%d QEMU checks, %d warnings%s" % (len(qemu), warned, ("; not judged: %s" % _names(skipped)) if skipped else "")
    return expect(not bad, "virt-host-validate FAIL - %s; %s" % ("; ".join(bad), tail) if bad else tail)


# --- per-domain (KVM-064 on) ----------------------------------------------------------------

def _spice(d):
    return [g for g in d.get("graphics") or [] if g.get("type") == "spice"]


def _has_spice(d, h):
    return bool(_spice(d))


@per_domain("SPICE accepts plain-text channels beyond loopback", needs_restart=True, applies=_has_spice,
            none_text="no domain has a SPICE console")
def d_spice_mode(d, h):
    q = _qemu(h)
    bad = []
    for g in _spice(d):
        listens = _tcp_listens(g) or ([] if g.get("socket") or g.get("listen") else [q.get("spice_listen")])
        wide = [a for a in listens if a and not _loopback(a)]
        if not wide:
            continue
        if g.get("default_mode", "any") != "secure":
            bad.append("defaultMode=%s on %s" % (g.get("default_mode", "any"), _names(wide)))
        if g.get("insecure_channels"):
            bad.append("insecure channels %s" % _names(g["insecure_channels"]))
    return _names(bad)


@per_domain("SPICE console without a password of its own", needs_restart=True, applies=_has_spice,
            none_text="no domain has a SPICE console")
def d_spice_password(d, h):
    # a shared qemu.conf spice_password opens every guest's console at once
    bad = []
    for g in _spice(d):
        if not _tcp_listens(g) and (g.get("socket") or g.get("listen")):
            continue
        if not g.get("listen") and not g.get("socket") and _qemu(h).get("spice_auto_unix_socket") == 1:
            continue  # no address of its own: libvirt serves it on a UNIX socket
        if not g.get("passwd_set") and not _qemu(h).get("spice_sasl"):
            bad.append("SPICE console without its own passwd%s" % (
                " (only qemu.conf's shared spice_password)" if _qemu(h).get("spice_password") else ""))
    return _names(bad)


@per_domain("SPICE clipboard shared with the guest", applies=_has_spice, none_text="no domain has a SPICE console")
def d_spice_clipboard(d, h):
    return "clipboard copypaste on (default)" if any(g.get("clipboard", True) for g in _spice(d)) else ""


@per_domain("SPICE file transfer into the guest", applies=_has_spice, none_text="no domain has a SPICE console")
def d_spice_filetransfer(d, h):
    return "filetransfer enabled (default)" if any(g.get("filetransfer", True) for g in _spice(d)) else ""


@per_domain("USB redirection from the console client", needs_restart=True)
def d_usb_redir(d, h):
    redir = [r for r in d.get("redirdevs") or [] if r.get("type") == "spicevmc"]
    return ("%d spicevmc redirdev(s)" % len(redir)) if redir else ""


GUEST_AGENT = "org.qemu.guest_agent.0"


def _agents(d):
    return [c for c in d.get("chardevs") or [] if c.get("device") == "channel" and c.get("target_name") == GUEST_AGENT]


def c_guest_agent(h, facts):
    domains = _domains(h)
    if not domains:
        return not_applicable("no domain defined")
    with_agent = [d.get("name") for d in domains if _agents(d)]
    allowed = (h.get("policy") or {}).get("guest_agent_allowed", True)
    evidence = "guest agent channel in %s" % (_names(with_agent) or "no domain")
    if with_agent and not allowed:
        return failed("%s; the policy (guest_agent_allowed = false) forbids it" % evidence, needs_restart=True)
    return passed("%s; policy: guest agent %s" % (evidence, "allowed" if allowed else "forbidden"))


SENSITIVE_HOST_PATHS = ("/etc", "/root", "/boot", "/proc", "/sys", "/dev", "/run", "/usr", "/bin", "/sbin", "/lib",
                        "/lib64", "/var/lib/libvirt", "/var/log", "/etc/libvirt")
SENSITIVE_EXACT = ("/", "/home", "/var", "/var/lib", "/srv")


def _sensitive(path):
    path = (path or "").rstrip("/") or "/"
    return path in SENSITIVE_EXACT or any(path == p or path.startswith(p + "/") for p in SENSITIVE_HOST_PATHS)


@per_domain("host directory shared into the guest", needs_restart=True)
def d_host_shares(d, h):
    bad = []
    for fs in d.get("filesystems") or []:
        if fs.get("type") not in ("mount", None):
            continue
        what = "%s %s" % (fs.get("driver"), fs.get("source"))
        if _sensitive(fs.get("source")):
            bad.append("%s is a sensitive host path" % what)
        if not fs.get("readonly"):
            bad.append("%s is writable" % what)
        if fs.get("driver") in ("path", "handle") and fs.get("accessmode") == "passthrough":
            bad.append("%s 9p accessmode=passthrough (guest sets host ownership and modes)" % what)
    return _names(bad)


def _judged_disks(d):
    # facts gathered before the format was read have no "format" key: nothing to judge there
    return [x for x in d.get("disks") or [] if "format" in x and x.get("device") in ("disk", "lun", None)]


@per_domain("disk format left to probing", needs_restart=True)
def d_disk_format(d, h):
    bad = []
    for x in _judged_disks(d):
        if x.get("source") is None:
            continue
        if not x.get("format"):
            bad.append("%s (%s) has no driver type" % (x.get("target"), x.get("source")))
        bad.extend("%s backing file %s without format" % (x.get("target"), b.get("source"))
                   for b in x.get("backing") or [] if not b.get("format"))
    return _names(bad)


@per_domain("cache=unsafe", needs_restart=True)
def d_cache_unsafe(d, h):
    return _names("%s cache=unsafe" % x.get("target") for x in d.get("disks") or [] if x.get("cache") == "unsafe")


def _encryption_asked(h):
    return bool((h.get("policy") or {}).get("disk_encryption_required"))


@per_domain("unencrypted disk", needs_restart=True, applies=lambda d, h: _encryption_asked(h),
            none_text="the policy does not ask for disk encryption (disk_encryption_required)")
def d_disk_encryption(d, h):
    return _names("%s (%s) not encrypted" % (x.get("target"), x.get("source")) for x in d.get("disks") or []
                  if x.get("device") in ("disk", "lun", None) and not x.get("readonly") and not x.get("encryption"))


@per_domain("locked memory without a hard limit", needs_restart=True)
def d_locked_memory(d, h):
    if d.get("locked_memory") and (d.get("memtune") or {}).get("hard_limit_kib") is None:
        return "<locked/> with no memtune hard_limit: QEMU may lock (never swap) any amount of host memory"
    return ""


def _seccomp_read(d, h):
    # facts gathered before this control have no seccomp_mode key: nothing was read there
    return _running(d) and d.get("pid") is not None and "seccomp_mode" in d


@per_domain("QEMU runs without its own seccomp filter", needs_restart=True, applies=_seccomp_read,
            none_text="no running domain whose seccomp state was read")
def d_seccomp_running(d, h):
    mode, filters = d.get("seccomp_mode"), d.get("seccomp_filters")
    inherited = h.get("daemon_seccomp_filters")
    if mode is None:
        return "pid %s: Seccomp state not readable" % d.get("pid")
    if mode != 2:
        return "pid %s: Seccomp: %s (2 = filter in force)" % (d.get("pid"), mode)
    # a filter the daemon (or the container runtime) already had is inherited, not QEMU's sandbox
    if isinstance(filters, int) and isinstance(inherited, int) and filters <= inherited:
        return "pid %s: only the %d filter(s) inherited from the daemon, none of QEMU's own" % (d.get("pid"), filters)
    return ""


CONTROLS = load(__name__, AREA, SOURCE, wrap=installed)
