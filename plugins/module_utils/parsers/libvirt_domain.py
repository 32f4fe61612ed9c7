# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a libvirt domain XML into the summary the KVM controls judge.

Accepts a plain ``<domain>`` (virsh dumpxml, /etc/libvirt/qemu/NAME.xml) or libvirt's
status file (``<domstatus>`` around the live ``<domain>``, /run/libvirt/qemu/NAME.xml).
Passwords are never returned: only whether one is set.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
_UNIT = {"b": 1, "bytes": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": 1024 ** 2, "mib": 1024 ** 2,
         "mb": 1000 ** 2, "g": 1024 ** 3, "gib": 1024 ** 3, "gb": 1000 ** 3, "t": 1024 ** 4,
         "tib": 1024 ** 4, "tb": 1000 ** 4}
_TAINT_RE = re.compile(r"Domain id=\d+ is tainted: (?P<reason>[\w-]+)")
_START_RE = re.compile(r": starting up ")
# libvirt writes 9007199254740991 KiB (2^53-1) for "unlimited" memtune values.
UNLIMITED_KIB = 9007199254740991


class DomainXMLError(ValueError):
    pass


def _kib(element):
    """Value of a memory element in KiB (libvirt's default unit), or None."""
    if element is None or element.text is None:
        return None
    try:
        number = int(element.text.strip())
    except ValueError:
        return None
    unit = (element.get("unit") or "KiB").lower()
    factor = _UNIT.get(unit, 1024)
    value = number * factor // 1024
    if value >= UNLIMITED_KIB:
        return None
    return value


def _yes(value, default=False):
    if value is None:
        return default
    return value in ("yes", "on", "1", "true")


def _graphics(element, status):
    kind = element.get("type")
    listens = []
    if element.get("listen"):
        listens.append(element.get("listen"))
    socket = element.get("socket")
    for listen in element.findall("listen"):
        ltype = listen.get("type") or "address"
        if ltype == "address" and listen.get("address") and listen.get("address") not in listens:
            listens.append(listen.get("address"))
        elif ltype == "socket":
            socket = listen.get("socket") or socket or "auto"
        elif ltype == "network":
            listens.append("network:%s" % listen.get("network"))
        elif ltype == "none":
            listens.append("none")
    graphics = {
        "type": kind,
        "listen": listens,
        "socket": socket,
        "autoport": _yes(element.get("autoport")),
        "port": int(element.get("port")) if (element.get("port") or "").lstrip("-").isdigit() else None,
        # the password itself is never returned
        "passwd_set": bool(element.get("passwd")),
        "passwd_valid_to": element.get("passwdValidTo"),
    }
    if kind == "spice":
        graphics["default_mode"] = element.get("defaultMode") or "any"
        graphics["secure_channels"] = [c.get("name") for c in element.findall("channel") if c.get("mode") == "secure"]
        graphics["insecure_channels"] = [c.get("name") for c in element.findall("channel") if c.get("mode") == "insecure"]
        # SPICE agent features default to on: only an explicit 'no' turns them off
        clipboard = element.find("clipboard")
        filetransfer = element.find("filetransfer")
        graphics["clipboard"] = _yes(clipboard.get("copypaste"), default=True) if clipboard is not None else True
        graphics["filetransfer"] = _yes(filetransfer.get("enable"), default=True) if filetransfer is not None else True
    return graphics


def _chardev(element):
    source = element.find("source")
    protocol = element.find("protocol")
    kind = element.get("type")
    item = {"device": element.tag, "type": kind,
            "target_type": (element.find("target").get("type") if element.find("target") is not None else None)}
    if source is not None:
        item["mode"] = source.get("mode")
        item["host"] = source.get("host")
        item["service"] = source.get("service")
        item["path"] = source.get("path")
        item["tls"] = source.get("tls")
    if protocol is not None:
        item["protocol"] = protocol.get("type")
    if element.tag == "channel" and element.find("target") is not None:
        item["target_name"] = element.find("target").get("name")
    return item


def _interface(element):
    source = element.find("source")
    filterref = element.find("filterref")
    return {
        "type": element.get("type"),
        "source": dict(source.attrib) if source is not None else {},
        "model": element.find("model").get("type") if element.find("model") is not None else None,
        "mac": element.find("mac").get("address") if element.find("mac") is not None else None,
        "filterref": filterref.get("filter") if filterref is not None else None,
        "trust_guest_rx_filters": _yes(element.get("trustGuestRxFilters")),
        "target": element.find("target").get("dev") if element.find("target") is not None else None,
    }


def _backing_chain(element):
    """[{"source", "format"}] of a disk's backingStore chain (format None = left to probing)."""
    chain = []
    store = element.find("backingStore")
    while store is not None and (store.find("source") is not None or store.find("format") is not None):
        source = store.find("source")
        fmt = store.find("format")
        chain.append({"source": (source.get("file") or source.get("dev") or source.get("name")) if source is not None else None,
                      "format": fmt.get("type") if fmt is not None else None})
        store = store.find("backingStore")
    return chain


def _encryption(element):
    """The encryption format of a disk (LUKS in the image or by QEMU), or None."""
    for parent in (element.find("source"), element):
        if parent is not None and parent.find("encryption") is not None:
            return parent.find("encryption").get("format") or "default"
    return None


def _disk(element):
    driver = element.find("driver")
    source = element.find("source")
    target = element.find("target")
    path = None
    if source is not None:
        path = source.get("file") or source.get("dev") or source.get("name") or source.get("volume")
    return {
        "format": driver.get("type") if driver is not None else None,
        "cache": driver.get("cache") if driver is not None else None,
        "backing": _backing_chain(element),
        "encryption": _encryption(element),
        "device": element.get("device") or "disk",
        "type": element.get("type"),
        "target": target.get("dev") if target is not None else None,
        "source": path,
        "shareable": element.find("shareable") is not None,
        "readonly": element.find("readonly") is not None,
        "error_policy": driver.get("error_policy") if driver is not None else None,
        "rerror_policy": driver.get("rerror_policy") if driver is not None else None,
    }


def _filesystem(element):
    """A host directory shared into the guest (virtiofs or 9p)."""
    driver = element.find("driver")
    source = element.find("source")
    target = element.find("target")
    return {
        "type": element.get("type") or "mount",
        "driver": (driver.get("type") if driver is not None else None) or "path",
        "accessmode": element.get("accessmode") or "passthrough",
        "source": (source.get("dir") or source.get("file") or source.get("name") or source.get("socket"))
        if source is not None else None,
        "target": target.get("dir") if target is not None else None,
        "readonly": element.find("readonly") is not None,
    }


def parse_domain_xml(text):
    """Return the summary dict of a domain XML text; raise DomainXMLError on bad XML."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DomainXMLError("not a domain XML: %s" % exc) from None
    status = None
    if root.tag == "domstatus":
        status = root.get("state")
        pid = root.get("pid")
        root = root.find("domain")
        if root is None:
            raise DomainXMLError("a domstatus without a domain")
    else:
        pid = None
    if root.tag != "domain":
        raise DomainXMLError("root element is <%s>, not <domain>" % root.tag)
    devices = root.find("devices")
    if devices is None:
        devices = ET.Element("devices")
    memtune = root.find("memtune")
    memory_backing = root.find("memoryBacking")
    cpu = root.find("cpu")
    cpu_summary = None
    if cpu is not None:
        cpu_summary = {
            "mode": cpu.get("mode") or ("custom" if cpu.find("model") is not None else None),
            "model": cpu.find("model").text if cpu.find("model") is not None else None,
            "features": [{"name": f.get("name"), "policy": f.get("policy") or "require"}
                         for f in cpu.findall("feature")],
        }
    qemu_args = []
    commandline = root.find("{%s}commandline" % QEMU_NS)
    if commandline is not None:
        qemu_args = [arg.get("value") for arg in commandline.findall("{%s}arg" % QEMU_NS)]
    qemu_override = root.find("{%s}override" % QEMU_NS) is not None
    seclabels = []
    for label in root.findall("seclabel"):
        seclabels.append({"type": label.get("type") or "dynamic", "model": label.get("model"),
                          "relabel": _yes(label.get("relabel"), default=label.get("type") != "none")})
    device_seclabels = []
    for element in devices.iter():
        for label in element.findall("seclabel"):
            if element.tag in ("disk", "source", "hostdev", "serial", "console", "channel"):
                device_seclabels.append({"device": element.tag, "model": label.get("model"),
                                         "relabel": _yes(label.get("relabel"), default=True)})
    hostdevs = []
    for hostdev in devices.findall("hostdev"):
        hostdevs.append({"mode": hostdev.get("mode"), "type": hostdev.get("type"),
                         "managed": _yes(hostdev.get("managed"))})
    chardevs = [_chardev(e) for tag in ("serial", "console", "channel", "parallel") for e in devices.findall(tag)]
    return {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "type": root.get("type"),
        "state": status,
        "pid": int(pid) if pid and pid.isdigit() else None,
        "memory_kib": _kib(root.find("memory")),
        "current_memory_kib": _kib(root.find("currentMemory")),
        "max_memory_kib": _kib(root.find("maxMemory")),
        "memtune": {
            "hard_limit_kib": _kib(memtune.find("hard_limit")) if memtune is not None else None,
            "soft_limit_kib": _kib(memtune.find("soft_limit")) if memtune is not None else None,
            "swap_hard_limit_kib": _kib(memtune.find("swap_hard_limit")) if memtune is not None else None,
        },
        "nosharepages": memory_backing is not None and memory_backing.find("nosharepages") is not None,
        "locked_memory": memory_backing is not None and memory_backing.find("locked") is not None,
        "seclabels": seclabels,
        "device_seclabels": device_seclabels,
        "graphics": [_graphics(g, status) for g in devices.findall("graphics")],
        "chardevs": chardevs,
        "interfaces": [_interface(i) for i in devices.findall("interface")],
        "hostdevs": hostdevs,
        "disks": [_disk(d) for d in devices.findall("disk")],
        "filesystems": [_filesystem(f) for f in devices.findall("filesystem")],
        "redirdevs": [{"bus": r.get("bus"), "type": r.get("type")} for r in devices.findall("redirdev")],
        "cpu": cpu_summary,
        "qemu_commandline": qemu_args,
        "qemu_override": qemu_override,
        "emulator": devices.findtext("emulator"),
    }


def taint_reasons(log_text):
    """Taint reasons logged since the domain's last start ("Domain id=N is tainted: REASON")."""
    lines = log_text.splitlines()
    start = 0
    for number, line in enumerate(lines):
        if _START_RE.search(line):
            start = number
    reasons = []
    for line in lines[start:]:
        match = _TAINT_RE.search(line)
        if match and match.group("reason") not in reasons:
            reasons.append(match.group("reason"))
    return reasons
