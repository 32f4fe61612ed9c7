# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather the state of a KVM/libvirt host: what hypervisor_facts returns.

Everything goes through a :class:`System` (files under a root, commands through a
runner) so the gathering can be unit-tested on a fake tree. Nothing here changes the
host. Every reader is tolerant: a missing file or a failing command becomes None or
an entry in ``errors``, never an exception, so one odd host cannot hide the rest.
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import re
import stat

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.processes import stale_qemu
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_domain

CONF_FILES = ("qemu.conf", "libvirtd.conf", "virtqemud.conf", "virtproxyd.conf", "virtlogd.conf", "virtlockd.conf",
              "qemu-lockd.conf")
UNITS = (
    "libvirtd.service", "libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket",
    "libvirtd-tcp.socket", "libvirtd-tls.socket",
    "virtqemud.service", "virtqemud.socket", "virtqemud-ro.socket", "virtqemud-admin.socket",
    "virtproxyd.service", "virtproxyd.socket", "virtproxyd-ro.socket", "virtproxyd-admin.socket",
    "virtproxyd-tcp.socket", "virtproxyd-tls.socket",
    "virtlogd.service", "virtlogd.socket", "virtlockd.service", "virtlockd.socket",
    "ksm.service", "ksmtuned.service", "machine.slice",
)
UNIT_PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "SocketMode",
                   "SocketGroup", "SocketUser", "Listen", "MemoryMax", "MemoryLimit", "MemoryHigh")
SOCKETS = (
    "/run/libvirt/libvirt-sock", "/run/libvirt/libvirt-sock-ro", "/run/libvirt/libvirt-admin-sock",
    "/run/libvirt/virtqemud-sock", "/run/libvirt/virtqemud-sock-ro", "/run/libvirt/virtqemud-admin-sock",
    "/run/libvirt/virtproxyd-sock", "/run/libvirt/virtproxyd-sock-ro", "/run/libvirt/virtproxyd-admin-sock",
)
DIRECTORIES = (
    "/etc/libvirt", "/etc/libvirt/qemu", "/var/lib/libvirt", "/var/lib/libvirt/images",
    "/var/lib/libvirt/qemu", "/var/lib/libvirt/qemu/save", "/var/lib/libvirt/qemu/snapshot",
    "/var/lib/libvirt/qemu/dump", "/var/lib/libvirt/qemu/nvram", "/var/log/libvirt",
    "/var/log/libvirt/qemu", "/etc/libvirt/qemu.conf", "/etc/libvirt/libvirtd.conf",
    "/etc/pki/libvirt/private", "/etc/pki/libvirt-vnc", "/etc/pki/libvirt-spice",
)
SYSCTLS = (
    "vm.unprivileged_userfaultfd", "kernel.kptr_restrict", "kernel.dmesg_restrict",
    "kernel.unprivileged_bpf_disabled", "kernel.kexec_load_disabled", "kernel.yama.ptrace_scope",
    "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
    "net.bridge.bridge-nf-call-arptables", "kernel.unprivileged_userns_clone", "vm.overcommit_memory",
)
# Where libvirt keeps disk images and TLS keys (their FILES are judged, not only the directories).
IMAGE_DIRS = ("/var/lib/libvirt/images",)
PKI_DIRS = ("/etc/pki/libvirt/private", "/etc/pki/libvirt", "/etc/pki/qemu", "/etc/pki/CA", "/etc/pki/CA/private",
            "/etc/pki/libvirt-vnc", "/etc/pki/libvirt-spice")
POLKIT_RULES = ("/etc/polkit-1/rules.d/*.rules", "/usr/share/polkit-1/rules.d/*.rules")
POLKIT_PKLA = ("/etc/polkit-1/localauthority/*/*.pkla", "/var/lib/polkit-1/localauthority/*/*.pkla")
MAX_FILES_LISTED = 500
RISKY_CMDLINE = (
    "mitigations=off", "nospectre_v1", "nospectre_v2", "spectre_v2=off", "nopti", "pti=off",
    "nospec_store_bypass_disable", "spec_store_bypass_disable=off", "l1tf=off", "mds=off",
    "tsx_async_abort=off", "kvm.nx_huge_pages=off", "srbds=off", "mmio_stale_data=off",
    "retbleed=off", "spectre_bhi=off", "gather_data_sampling=off", "reg_file_data_sampling=off",
    "tsx=on", "iommu=off", "intel_iommu=off", "amd_iommu=off", "nosmap", "nosmep", "noexec=off",
    "kvm-intel.vmentry_l1d_flush=never", "spec_rstack_overflow=off",
)


class System:
    """Access to the host: file reads relative to root, commands through run(argv) -> (rc, out, err)."""

    def __init__(self, root="/", run=None):
        self.root = root
        self._run = run

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/")) if self.root not in ("", "/") else path

    def read(self, path, limit=None):
        try:
            with open(self.path(path), "rb") as handle:
                data = handle.read() if limit is None else handle.read(limit)
            return data.decode("utf-8", "replace")
        except (IOError, OSError):
            return None

    def read_tail(self, path, size):
        try:
            with open(self.path(path), "rb") as handle:
                handle.seek(0, os.SEEK_END)
                end = handle.tell()
                handle.seek(max(0, end - size))
                return handle.read().decode("utf-8", "replace")
        except (IOError, OSError):
            return None

    def exists(self, path):
        return os.path.lexists(self.path(path))

    def glob(self, pattern):
        base = self.path("/")
        found = sorted(glob.glob(self.path(pattern)))
        if self.root in ("", "/"):
            return found
        return ["/" + os.path.relpath(p, base) for p in found]

    def readlink(self, path):
        try:
            return os.readlink(self.path(path))
        except (IOError, OSError):
            return None

    def stat(self, path):
        try:
            st = os.lstat(self.path(path))
        except (IOError, OSError):
            return {"exists": False}
        return {
            "exists": True,
            "type": "socket" if stat.S_ISSOCK(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode)
            else "link" if stat.S_ISLNK(st.st_mode) else "char" if stat.S_ISCHR(st.st_mode) else "file",
            "mode": "%04o" % stat.S_IMODE(st.st_mode),
            "owner": _user(st.st_uid),
            "group": _group(st.st_gid),
        }

    def run(self, argv):
        if self._run is None:
            return 127, "", "no command runner"
        return self._run(argv)

    def which(self, name):
        for directory in ("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/libexec", "/usr/local/sbin", "/usr/local/bin"):
            if os.access(self.path(os.path.join(directory, name)), os.X_OK):
                return os.path.join(directory, name)
        return None


def gather_with_module(module, uri="qemu:///system", run_virt_host_validate=True):
    """:func:`gather` on the live host, commands through the module, in the C locale."""
    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})
    return gather(System("/", run), libvirt_module=load_libvirt(), uri=uri, run_virt_host_validate=run_virt_host_validate)


def load_libvirt():
    """The python3-libvirt binding, or None where it is not installed.

    libvirt prints its errors to stderr by default; the modules report them themselves,
    so its default error handler is silenced.
    """
    try:
        import libvirt  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    return libvirt


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _int(text):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def parse_systemctl_show(text):
    """Parse `systemctl show -p ... unit...` output (blocks separated by blank lines) by Id."""
    units = {}
    for block in re.split(r"\n\s*\n", text or ""):
        props = {}
        for line in block.splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                if key == "Listen":
                    props.setdefault("Listen", []).append(value)
                else:
                    props[key] = value
        if props.get("Id"):
            units[props["Id"]] = {
                "load": props.get("LoadState"),
                "active": props.get("ActiveState"),
                "sub": props.get("SubState"),
                "enabled": props.get("UnitFileState") or None,
                "socket_mode": props.get("SocketMode") if props["Id"].endswith(".socket") else None,
                "socket_group": (props.get("SocketGroup") or None) if props["Id"].endswith(".socket") else None,
                "listen": [item.rsplit(" (", 1)[0] for item in props.get("Listen", [])],
                "memory_max": props.get("MemoryMax"),
                "memory_high": props.get("MemoryHigh"),
                "memory_limit": props.get("MemoryLimit"),
            }
    return units


def gather_units(system):
    rc, out, err = system.run(["systemctl", "show", "--no-pager", "-p", ",".join(UNIT_PROPERTIES)] + list(UNITS))
    units = parse_systemctl_show(out) if rc == 0 or out else {}
    result = {}
    for name in UNITS:
        unit = units.get(name)
        if unit is None or unit["load"] in ("not-found", None):
            result[name] = {"present": False}
        else:
            unit["present"] = True
            result[name] = unit
    return result, (None if rc == 0 else "systemctl show failed (rc=%s): %s" % (rc, (err or "").strip()))


def _on(unit):
    return bool(unit.get("present")) and (
        unit.get("active") == "active" or unit.get("enabled") in ("enabled", "enabled-runtime", "static", "indirect", "alias"))


def daemon_mode(units):
    mono = any(_on(units.get(n, {})) for n in ("libvirtd.service", "libvirtd.socket"))
    modular = any(_on(units.get(n, {})) for n in ("virtqemud.service", "virtqemud.socket"))
    if mono and modular:
        return "both"
    if modular:
        return "modular"
    if mono:
        return "monolithic"
    return "none"


def gather_config(system, errors):
    config = {}
    for name in CONF_FILES:
        path = "/etc/libvirt/" + name
        text = system.read(path)
        entry = {"path": path, "present": text is not None, "values": {}, "error": None}
        if text is not None:
            try:
                entry["values"] = libvirt_conf.parse(text, path)
            except libvirt_conf.ConfError as exc:
                entry["error"] = str(exc)
                errors.append(str(exc))
        entry["effective"] = libvirt_conf.effective(entry["values"], name)
        if name == "qemu.conf":
            account = qemu_build_account(system)
            for key in ("user", "group"):
                if key not in entry["values"]:
                    entry["effective"][key] = account
        config[name] = entry
    return config


def qemu_build_account(system):
    """The QEMU account the distribution builds libvirt with (qemu.conf user/group default)."""
    users = [line.split(":", 1)[0] for line in (system.read("/etc/passwd") or "").splitlines()]
    for name in ("libvirt-qemu", "qemu"):
        if name in users:
            return name
    return "root"


def parse_secmodels(capabilities_xml):
    models = []
    for match in re.finditer(r"<secmodel>\s*<model>([^<]+)</model>", capabilities_xml or ""):
        if match.group(1) not in models:
            models.append(match.group(1))
    return models


def parse_virt_host_validate(text):
    results = []
    for line in (text or "").splitlines():
        match = re.match(r"^\s*(?P<driver>\w+): Checking (?P<check>.+?)\s*:\s*(?P<result>PASS|WARN|FAIL)\b\s*(?P<detail>.*)$", line)
        if match:
            detail = match.group("detail").strip()
            if detail.startswith("(") and detail.endswith(")"):
                detail = detail[1:-1]
            results.append({"driver": match.group("driver"), "check": match.group("check").strip(),
                            "result": match.group("result"), "detail": detail})
    return results


MODPROBE_DIRS = ("/etc/modprobe.d/*.conf", "/run/modprobe.d/*.conf", "/usr/lib/modprobe.d/*.conf", "/lib/modprobe.d/*.conf")


def modprobe_options(system, wanted):
    """[{"file", "line"}] of the `options` lines in modprobe.d for which wanted(line) is true."""
    found = []
    for pattern in MODPROBE_DIRS:
        for path in system.glob(pattern):
            for line in (system.read(path) or "").splitlines():
                stripped = line.strip()
                if stripped.startswith("options") and wanted(stripped):
                    found.append({"file": path, "line": stripped})
    return found


def gather_kernel(system):
    cmdline = (system.read("/proc/cmdline") or "").strip()
    options = cmdline.split()
    vulnerabilities = {}
    for path in system.glob("/sys/devices/system/cpu/vulnerabilities/*"):
        vulnerabilities[os.path.basename(path)] = (system.read(path) or "").strip()
    risky = [opt for opt in options if opt in RISKY_CMDLINE]
    sysctl = {}
    for name in SYSCTLS:
        value = system.read("/proc/sys/" + name.replace(".", "/"))
        sysctl[name] = value.strip() if value is not None else None
    smt_control = system.read("/sys/devices/system/cpu/smt/control")
    smt_active = system.read("/sys/devices/system/cpu/smt/active")
    cpuinfo = system.read("/proc/cpuinfo", limit=65536) or ""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    iommu_groups = system.glob("/sys/kernel/iommu_groups/*")
    unsafe = system.read("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts")
    vfio_modprobe = modprobe_options(system, lambda line: "allow_unsafe_interrupts" in line)
    return {
        "cmdline": cmdline,
        "risky_cmdline": risky,
        "nosmt": any(opt == "nosmt" or opt.startswith("nosmt=") for opt in options),
        "vulnerabilities": vulnerabilities,
        "smt": {"control": smt_control.strip() if smt_control else None,
                "active": _int(smt_active) == 1 if smt_active is not None else None},
        "cpu_virt_flag": "vmx" if "vmx" in flags else "svm" if "svm" in flags else None,
        "iommu": {"groups": len(iommu_groups),
                  "enabled": bool(iommu_groups),
                  "cmdline": [opt for opt in options if "iommu" in opt]},
        "sysctl": sysctl,
        "vfio": {
            # the live module parameter (Y/N), None when vfio_iommu_type1 is not loaded
            "allow_unsafe_interrupts": unsafe.strip() if unsafe is not None else None,
            "cmdline": [opt for opt in options if "allow_unsafe_interrupts" in opt or opt.startswith("pcie_acs_override")],
            "modprobe": vfio_modprobe,
        },
    }


def gather_kvm_module(system):
    nested = {}
    for module in ("kvm_intel", "kvm_amd"):
        value = system.read("/sys/module/%s/parameters/nested" % module)
        nested[module] = value.strip() if value is not None else None
    modprobe = modprobe_options(system, lambda line: bool(re.search(r"\bkvm[_-](intel|amd)\b", line)) and "nested" in line)
    enabled = any(v in ("Y", "1", "y") for v in nested.values() if v)
    udev = []
    seen = set()
    for pattern in ("/etc/udev/rules.d/*.rules", "/run/udev/rules.d/*.rules", "/usr/lib/udev/rules.d/*.rules", "/lib/udev/rules.d/*.rules"):
        for path in system.glob(pattern):
            real = os.path.realpath(system.path(path))
            if real in seen:
                continue
            seen.add(real)
            for line in (system.read(path) or "").splitlines():
                if re.search(r'KERNEL==\"kvm\"', line) and not line.lstrip().startswith("#"):
                    udev.append({"file": path, "line": line.strip()})
    dev = system.stat("/dev/kvm")
    return {"nested": nested, "nested_enabled": enabled, "nested_modprobe": modprobe, "dev_kvm": dev,
            "dev_kvm_udev_rules": udev,
            "loaded": [m for m in ("kvm", "kvm_intel", "kvm_amd") if system.exists("/sys/module/%s" % m)]}


def gather_ksm(system, units):
    run = system.read("/sys/kernel/mm/ksm/run")
    shared = system.read("/sys/kernel/mm/ksm/pages_shared")
    return {"available": run is not None, "run": _int(run), "pages_shared": _int(shared),
            "ksm_service": units.get("ksm.service", {}), "ksmtuned_service": units.get("ksmtuned.service", {})}


def group_members(system, names=("libvirt", "kvm", "libvirt-qemu")):
    members = {}
    text = system.read("/etc/group") or ""
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] in names:
            members[parts[0]] = [m for m in parts[3].split(",") if m]
    passwd = system.read("/etc/passwd") or ""
    gids = dict((line.split(":")[2], line.split(":")[0]) for line in (system.read("/etc/group") or "").splitlines()
                if line.count(":") >= 3)
    for line in passwd.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and gids.get(parts[3]) in members and parts[0] not in members[gids[parts[3]]]:
            members[gids[parts[3]]].append(parts[0])
    return members


def cgroup_paths(system, pid):
    """Map controller -> path for a process (cgroup v1 lines and the v2 '0::' line)."""
    paths = {}
    for line in (system.read("/proc/%s/cgroup" % pid) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            paths["unified"] = parts[2]
        for controller in parts[1].split(","):
            if controller:
                paths[controller] = parts[2]
    return paths


def _limit(text):
    if text is None:
        return None
    text = text.strip()
    if text == "max":
        return None
    value = _int(text)
    if value is None or value >= 2 ** 62:
        return None
    return value


def memory_limit(system, cgpath, stop_at=None, include_stop=True):
    """Effective memory limit (bytes) of a cgroup path: the smallest limit on it and its
    ancestors (v1 memory.limit_in_bytes, else v2 memory.max). Returns (limit, where).
    The walk ends at the group named stop_at; include_stop=False leaves that group's own
    limit out (a guest's limit is its own, not the cap of all guests together)."""
    best, where = None, None
    path = cgpath.rstrip("/")
    while True:
        if not include_stop and stop_at and path.endswith(stop_at):
            break
        for base, name in (("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
                           ("/sys/fs/cgroup", "memory.max"), ("/sys/fs/cgroup/unified", "memory.max")):
            value = _limit(system.read("%s%s/%s" % (base, path, name)))
            if value is not None and (best is None or value < best):
                best, where = value, "%s%s/%s" % (base, path, name)
        if not path or path == "/" or (stop_at and path.endswith(stop_at)):
            break
        path = path.rsplit("/", 1)[0]
    return best, where


def _file_entries(system, directory, depth=1):
    """Stat of the regular files under directory (depth levels), at most MAX_FILES_LISTED."""
    entries = []
    pattern = directory.rstrip("/")
    for level in range(depth):
        pattern += "/*"
        for path in system.glob(pattern):
            st = system.stat(path)
            if st.get("type") == "file":
                entries.append(dict(st, path=path))
            if len(entries) >= MAX_FILES_LISTED:
                return entries, True
    return entries, False


def storage_pool_dirs(system):
    """The target paths of libvirt's directory storage pools (plus the default image directory)."""
    dirs = list(IMAGE_DIRS)
    for path in system.glob("/etc/libvirt/storage/*.xml"):
        text = system.read(path) or ""
        if re.search(r"<pool[^>]*type=['\"](dir|fs|netfs)['\"]", text):
            match = re.search(r"<target>\s*<path>([^<]+)</path>", text)
            if match and match.group(1).strip() not in dirs:
                dirs.append(match.group(1).strip())
    return dirs


def gather_images(system):
    """Owners and modes of the FILES in libvirt's image directories."""
    files, truncated = [], False
    dirs = storage_pool_dirs(system)
    for directory in dirs:
        found, more = _file_entries(system, directory, depth=2)
        files.extend(found)
        truncated = truncated or more
    return {"dirs": dirs, "files": files, "truncated": truncated}


def gather_pki(system):
    """Private keys in the libvirt/QEMU PKI directories: path, owner, group, mode (never the key)."""
    keys, seen = [], set()
    for directory in PKI_DIRS:
        found, _more = _file_entries(system, directory, depth=2)
        for entry in found:
            if entry["path"] in seen:
                continue
            seen.add(entry["path"])
            head = system.read(entry["path"], limit=4096) or ""
            if "PRIVATE KEY" in head or entry["path"].endswith("key.pem"):
                keys.append(entry)
    return {"dirs": [d for d in PKI_DIRS if system.exists(d)], "private_keys": keys}


_GRANT_JS = re.compile(r"polkit\.Result\.(YES|AUTH_SELF(?:_KEEP)?)\b")


def parse_polkit_rules(text):
    """What a JavaScript polkit rules file grants on libvirt actions (heuristic, per file):
    actions named, groups/users it tests, and whether it returns YES (or AUTH_SELF)."""
    if "org.libvirt" not in (text or ""):
        return None
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    if "org.libvirt" not in code:
        return None
    return {
        "actions": sorted(set(re.findall(r"org\.libvirt[\w.*-]*", code))),
        "groups": sorted(set(re.findall(r"isInGroup\(\s*['\"]([^'\"]+)['\"]", code))),
        "users": sorted(set(re.findall(r"user\s*===?\s*['\"]([^'\"]+)['\"]", code))),
        "grants": sorted(set(_GRANT_JS.findall(code))),
    }


def parse_pkla(text):
    """The sections of a .pkla file that concern libvirt actions."""
    sections, current = [], None
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = {"section": line[1:-1]}
            sections.append(current)
        elif "=" in line and current is not None:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
    out = []
    for section in sections:
        if "org.libvirt" not in section.get("Action", ""):
            continue
        out.append({"section": section["section"], "identity": [i for i in section.get("Identity", "").split(";") if i],
                    "action": section.get("Action"),
                    "results": dict((k, section.get(k)) for k in ("ResultAny", "ResultInactive", "ResultActive")
                                    if section.get(k))})
    return out


def gather_polkit(system):
    rules = []
    for pattern in POLKIT_RULES:
        for path in system.glob(pattern):
            parsed = parse_polkit_rules(system.read(path))
            if parsed:
                rules.append(dict(parsed, file=path))
    pkla = []
    for pattern in POLKIT_PKLA:
        for path in system.glob(pattern):
            for section in parse_pkla(system.read(path)):
                pkla.append(dict(section, file=path))
    return {"rules": rules, "pkla": pkla}


def gather_machine_slice(system, units):
    own = cgroup_paths(system, 1)
    prefix = own.get("memory") or own.get("unified") or "/"
    if prefix.endswith("/init.scope"):
        prefix = prefix[: -len("/init.scope")]
    prefix = prefix.rstrip("/")
    path = prefix + "/machine.slice"
    value = None
    source = None
    for base, name in (("/sys/fs/cgroup/memory", "memory.limit_in_bytes"), ("/sys/fs/cgroup", "memory.max"),
                       ("/sys/fs/cgroup/unified", "memory.max")):
        text = system.read("%s%s/%s" % (base, path, name))
        if text is not None:
            value, source = _limit(text), "%s%s/%s" % (base, path, name)
            break
    unit = units.get("machine.slice", {})
    return {"cgroup": path, "limit_bytes": value, "limit_file": source, "exists": source is not None,
            "memory_max": unit.get("memory_max"), "memory_high": unit.get("memory_high")}


def deleted_qemu_binaries(system):
    """QEMU processes whose executable an upgrade replaced (see gather/processes.py)."""
    return stale_qemu(system.path("/proc"))


def process_status(system, pid):
    """The fields of /proc/PID/status (name -> text after the colon, stripped)."""
    fields = {}
    for line in (system.read("/proc/%s/status" % pid) or "").splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def process_rss_kib(system, pid):
    value = process_status(system, pid).get("VmRSS")
    return _int(value.split()[0]) if value else None


def daemon_seccomp_filters(system):
    """Seccomp filters the QEMU driver's daemon runs under (a QEMU inherits them), or None."""
    for pidfile in ("/run/virtqemud.pid", "/run/libvirtd.pid"):
        pid = _int(system.read(pidfile))
        if pid:
            return _int(process_status(system, pid).get("Seccomp_filters"))
    return None


def gather_qemu_account(system, user):
    """Processes and threads the QEMU account runs now: max_processes (RLIMIT_NPROC) counts
    all its threads together, across every guest."""
    uid = None
    for line in (system.read("/etc/passwd") or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[0] == user:
            uid = parts[2]
    if str(user).startswith("+") and str(user)[1:].isdigit():
        uid = str(user)[1:]  # qemu.conf takes "+UID"
    elif user in ("root", "0"):
        uid = "0"
    if uid is None:
        return {"user": user, "uid": None, "processes": None, "threads": None}
    processes = threads = 0
    for path in system.glob("/proc/[0-9]*/status"):
        status = process_status(system, path.split("/")[2])
        if (status.get("Uid") or "").split()[:1] == [uid]:
            processes += 1
            threads += _int(status.get("Threads")) or 1
    return {"user": user, "uid": _int(uid), "processes": processes, "threads": threads}


def enrich_domain(system, domain):
    """Add the running process' cgroup limit, RSS and taint reasons to a parsed domain."""
    pid = domain.get("pid")
    if pid is None and domain.get("name"):
        pid = _int(system.read("/run/libvirt/qemu/%s.pid" % domain["name"]))
    running = domain.get("state") in ("running", "paused", "blocked", "pmsuspended", "in shutdown")
    domain["pid"] = pid if running else None
    cgroup = {"path": None, "limit_bytes": None, "limit_file": None}
    if running and pid:
        paths = cgroup_paths(system, pid)
        path = paths.get("memory") or paths.get("unified")
        if path:
            # Only the domain's own groups count: a cap on machine.slice (all guests
            # together) lower than this guest's hard_limit is not this guest's limit.
            limit, where = memory_limit(system, path, stop_at="machine.slice", include_stop=False)
            cgroup = {"path": path, "limit_bytes": limit, "limit_file": where}
        status = process_status(system, pid)
        domain["rss_kib"] = _int((status.get("VmRSS") or "").split()[0]) if status.get("VmRSS") else None
        # 2 = a seccomp filter is in force on the running QEMU, whatever qemu.conf says now
        domain["seccomp_mode"] = _int(status.get("Seccomp"))
        domain["seccomp_filters"] = _int(status.get("Seccomp_filters"))  # Linux >= 5.9
    else:
        domain["rss_kib"] = None
        domain["seccomp_mode"] = None
        domain["seccomp_filters"] = None
    domain["cgroup"] = cgroup
    hard = (domain.get("memtune") or {}).get("hard_limit_kib")
    if running and hard is not None:
        domain["memtune_enforced"] = cgroup["limit_bytes"] is not None and cgroup["limit_bytes"] <= hard * 1024
    else:
        domain["memtune_enforced"] = None
    log = system.read_tail("/var/log/libvirt/qemu/%s.log" % domain.get("name"), 262144)
    domain["taint"] = libvirt_domain.taint_reasons(log) if (log and running) else []
    return domain


_STATES = {0: "nostate", 1: "running", 2: "blocked", 3: "paused", 4: "in shutdown", 5: "shut off",
           6: "crashed", 7: "pmsuspended"}


def domains_from_api(conn, secure_flag):
    domains = []
    for dom in conn.listAllDomains(0):
        state = _STATES.get(dom.state()[0], "unknown")
        try:
            xml = dom.XMLDesc(secure_flag)
        except Exception:  # a read-only connection cannot read secure XML
            xml = dom.XMLDesc(0)
        summary = libvirt_domain.parse_domain_xml(xml)
        summary["state"] = state
        summary["persistent"] = bool(dom.isPersistent())
        summary["autostart"] = bool(dom.autostart()) if summary["persistent"] else False
        if state == "running":
            summary["id"] = dom.ID()
        domains.append(summary)
    return domains


def _parsed_domains(system, pattern, errors):
    """Each domain XML file matching pattern, parsed; a broken file is an error, not a stop."""
    for path in system.glob(pattern):
        try:
            yield libvirt_domain.parse_domain_xml(system.read(path) or "")
        except libvirt_domain.DomainXMLError as exc:
            errors.append("%s: %s" % (path, exc))


def domains_from_files(system, errors):
    """Without the API: the status XML of running domains, the definitions of the others."""
    domains = {}
    for summary in _parsed_domains(system, "/run/libvirt/qemu/*.xml", errors):
        summary["persistent"] = None
        domains[summary["name"]] = summary
    for summary in _parsed_domains(system, "/etc/libvirt/qemu/*.xml", errors):
        if summary["name"] in domains:
            domains[summary["name"]]["persistent"] = True
            continue
        summary["state"] = "shut off"
        summary["persistent"] = True
        domains[summary["name"]] = summary
    return [domains[name] for name in sorted(domains)]


def parse_version(text):
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", text or "")
    return match.group(1) if match else None


def number_to_version(number):
    if not number:
        return None
    return "%d.%d.%d" % (number // 1000000, (number // 1000) % 1000, number % 1000)


def gather(system, libvirt_module=None, uri="qemu:///system", run_virt_host_validate=True):
    """Return the hypervisor facts dict (see the hypervisor_facts module's RETURN)."""
    errors = []
    libvirtd = system.which("libvirtd")
    virtqemud = system.which("virtqemud")
    installed = bool(libvirtd or virtqemud)
    facts = {"installed": installed, "errors": errors, "libvirtd_binary": libvirtd, "virtqemud_binary": virtqemud,
             "python_libvirt": libvirt_module is not None, "container": _container(system)}
    kvm = gather_kvm_module(system)
    kernel = gather_kernel(system)
    facts["kernel"] = kernel
    facts["kvm"] = kvm
    if not installed:
        facts.update({"libvirt_version": None, "qemu_version": None, "domains": []})
        return facts

    units, error = gather_units(system)
    if error:
        errors.append(error)
    facts["units"] = units
    facts["daemon_mode"] = daemon_mode(units)
    facts["config"] = gather_config(system, errors)
    facts["sockets"] = dict((path, system.stat(path)) for path in SOCKETS)
    facts["paths"] = dict((path, system.stat(path)) for path in DIRECTORIES)
    socket_groups = [st.get("group") for st in facts["sockets"].values() if st.get("exists")]
    socket_groups += [u.get("socket_group") for u in units.values() if u.get("socket_group")]
    facts["groups"] = group_members(system, tuple(sorted(set(("libvirt", "kvm", "libvirt-qemu")) | set(socket_groups))))
    facts["ksm"] = gather_ksm(system, units)
    facts["machine_slice"] = gather_machine_slice(system, units)
    facts["deleted_qemu_binaries"] = deleted_qemu_binaries(system)
    facts["images"] = gather_images(system)
    facts["pki"] = gather_pki(system)
    facts["polkit"] = gather_polkit(system)
    facts["qemu_account"] = gather_qemu_account(system, facts["config"]["qemu.conf"]["effective"].get("user"))
    facts["daemon_seccomp_filters"] = daemon_seccomp_filters(system)

    conn = None
    facts["connected"] = False
    facts["connect_error"] = None
    capabilities = None
    if libvirt_module is not None:
        try:
            conn = libvirt_module.open(uri)
            facts["connected"] = True
        except Exception as exc:  # libvirt.libvirtError; daemon down or no access
            facts["connect_error"] = str(exc)
    else:
        facts["connect_error"] = "python3-libvirt is not installed; read the XML files instead"
    if conn is not None:
        try:
            facts["libvirt_version"] = number_to_version(conn.getLibVersion())
            facts["qemu_version"] = number_to_version(conn.getVersion())
            capabilities = conn.getCapabilities()
            facts["domains"] = domains_from_api(conn, getattr(libvirt_module, "VIR_DOMAIN_XML_SECURE", 1))
        except Exception as exc:
            errors.append("libvirt API: %s" % exc)
            facts.setdefault("domains", domains_from_files(system, errors))
        finally:
            try:
                conn.close()
            except Exception:
                pass
    else:
        facts["domains"] = domains_from_files(system, errors)
    if not facts.get("libvirt_version"):
        rc, out, err = system.run([libvirtd or virtqemud, "--version"])
        facts["libvirt_version"] = parse_version(out) if rc == 0 else None
    if not facts.get("qemu_version"):
        qemu = system.which("qemu-system-x86_64") or system.which("qemu-kvm") or system.which("qemu-system-aarch64")
        if qemu:
            rc, out, err = system.run([qemu, "--version"])
            facts["qemu_version"] = parse_version(out) if rc == 0 else None
        else:
            facts["qemu_version"] = None
    if capabilities is None and system.which("virsh") and not facts["connected"]:
        rc, out, err = system.run(["virsh", "-c", uri, "capabilities"])
        capabilities = out if rc == 0 else None
    facts["secmodels"] = parse_secmodels(capabilities) if capabilities else None
    for domain in facts["domains"]:
        enrich_domain(system, domain)
    if run_virt_host_validate and system.which("virt-host-validate"):
        rc, out, err = system.run(["virt-host-validate", "qemu"])
        facts["virt_host_validate"] = {"rc": rc, "results": parse_virt_host_validate(out)}
    else:
        facts["virt_host_validate"] = None
    return facts


def _container(system):
    if system.exists("/.dockerenv") or system.exists("/run/.containerenv"):
        return True
    env = system.read("/proc/1/environ") or ""
    return "container=" in env
