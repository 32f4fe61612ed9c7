# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domain XML summaries on files recorded from the kvm-debian12 container
(/run/libvirt/qemu/tiny.xml is libvirt's status file, /etc/libvirt/qemu/*.xml the definitions)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_domain as ld

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "libvirt", "domains")


def read(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def test_status_file_of_a_running_domain():
    d = ld.parse_domain_xml(read("run-tiny.xml"))
    assert d["name"] == "tiny" and d["type"] == "qemu" and d["state"] == "running" and d["pid"] == 173
    assert d["memory_kib"] == 131072
    assert d["memtune"]["hard_limit_kib"] == 393216  # set live by libvirt_domain_memory
    assert d["seclabels"] == [{"type": "dynamic", "model": "dac", "relabel": True}]
    [vnc] = d["graphics"]
    assert vnc["type"] == "vnc" and vnc["listen"] == ["0.0.0.0"] and vnc["port"] == 5900
    assert vnc["passwd_set"] is True
    # the password itself never leaves the parser
    assert "hunter2" in read("run-tiny.xml") and "hunter2" not in json.dumps(d)
    assert [(c["device"], c["type"]) for c in d["chardevs"]] == [("serial", "pty"), ("console", "pty")]


def test_definition_with_risky_settings():
    d = ld.parse_domain_xml(read("etc-tainted.xml"))
    assert d["state"] is None and d["pid"] is None
    assert d["memtune"]["hard_limit_kib"] == 900 * 1024
    assert d["qemu_commandline"] == ["-rtc", "base=utc"]
    [disk] = d["disks"]
    assert disk["shareable"] and not disk["readonly"] and disk["error_policy"] == "ignore"
    serial = [c for c in d["chardevs"] if c["device"] == "serial"][0]
    assert serial["type"] == "tcp" and serial["host"] == "127.0.0.1" and serial["service"] == "4555"
    assert d["graphics"][0]["passwd_set"] is False


def test_hand_written_domain_features():
    xml = """<domain type='kvm'>
      <name>x</name><memory unit='GiB'>2</memory><currentMemory unit='MiB'>1024</currentMemory>
      <memtune><hard_limit unit='G'>3</hard_limit><soft_limit>9007199254740991</soft_limit></memtune>
      <memoryBacking><nosharepages/></memoryBacking>
      <cpu mode='host-passthrough'><feature policy='disable' name='vmx'/></cpu>
      <seclabel type='none'/>
      <seclabel type='dynamic' model='dac' relabel='no'/>
      <devices>
        <interface type='bridge' trustGuestRxFilters='yes'><mac address='52:54:00:aa:bb:cc'/>
          <source bridge='br0'/><filterref filter='clean-traffic'/></interface>
        <hostdev mode='subsystem' type='pci' managed='yes'/>
        <graphics type='spice' autoport='yes' defaultMode='secure'><listen type='address' address='::1'/>
          <channel name='main' mode='secure'/></graphics>
        <graphics type='vnc'><listen type='socket'/></graphics>
        <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
        <serial type='udp'><source mode='connect' host='192.0.2.1' service='514'/></serial>
      </devices>
    </domain>"""
    d = ld.parse_domain_xml(xml)
    assert d["memory_kib"] == 2 * 1024 * 1024 and d["current_memory_kib"] == 1024 * 1024
    assert d["memtune"] == {"hard_limit_kib": 3 * 1024 * 1024, "soft_limit_kib": None, "swap_hard_limit_kib": None}
    assert d["nosharepages"] is True
    assert d["cpu"] == {"mode": "host-passthrough", "model": None, "features": [{"name": "vmx", "policy": "disable"}]}
    assert d["seclabels"] == [{"type": "none", "model": None, "relabel": False},
                              {"type": "dynamic", "model": "dac", "relabel": False}]
    [nic] = d["interfaces"]
    assert nic["trust_guest_rx_filters"] is True and nic["filterref"] == "clean-traffic"
    assert d["hostdevs"] == [{"mode": "subsystem", "type": "pci", "managed": True}]
    spice, vnc = d["graphics"]
    assert spice["listen"] == ["::1"] and spice["default_mode"] == "secure" and spice["secure_channels"] == ["main"]
    assert vnc["listen"] == [] and vnc["socket"] == "auto"
    serial, channel = d["chardevs"]
    assert serial["type"] == "udp" and serial["host"] == "192.0.2.1"
    assert channel["target_name"] == "org.qemu.guest_agent.0"


@pytest.mark.parametrize("text,message", [
    ("<domain", "not a domain XML"),
    ("<network/>", "not <domain>"),
    ("<domstatus/>", "without a domain"),
])
def test_bad_xml(text, message):
    with pytest.raises(ld.DomainXMLError, match=message):
        ld.parse_domain_xml(text)


def test_taint_reasons_since_last_start():
    log = ("2026-01-01 10:00:00.000+0000: starting up libvirt version: 9.0.0\n"
           "2026-01-01 10:00:01.000+0000: Domain id=1 is tainted: high-privileges\n"
           "2026-01-01 11:00:00.000+0000: shutting down, reason=shutdown\n"
           "2026-01-01 12:00:00.000+0000: starting up libvirt version: 9.0.0\n"
           "2026-01-01 12:00:01.000+0000: Domain id=2 is tainted: custom-argv\n"
           "2026-01-01 12:00:01.000+0000: Domain id=2 is tainted: host-cpu\n"
           "2026-01-01 12:00:02.000+0000: Domain id=2 is tainted: custom-argv\n")
    assert ld.taint_reasons(log) == ["custom-argv", "host-cpu"]
    assert ld.taint_reasons("") == []


def test_devices_the_kvm_064_plus_controls_read():
    d = ld.parse_domain_xml(read("run-nics.xml"))
    assert d["name"] == "web" and d["state"] == "running" and d["pid"] == 4242 and d["locked_memory"] is True
    vda, vdb, vdc = d["disks"]
    assert (vda["format"], vda["cache"], vda["encryption"]) == ("qcow2", "none", None)
    # the chain ends at the empty <backingStore/>; the base image's format is pinned
    assert vda["backing"] == [{"source": "/var/lib/libvirt/images/debian-base.qcow2", "format": "qcow2"}]
    assert (vdb["format"], vdb["cache"], vdb["backing"]) == (None, "unsafe", [])  # format left to probing
    assert vdc["encryption"] == "luks"
    assert d["filesystems"] == [{"type": "mount", "driver": "virtiofs", "accessmode": "passthrough",
                                 "source": "/srv/share/web", "target": "share", "readonly": False}]
    assert d["redirdevs"] == [{"bus": "usb", "type": "spicevmc"}]
    [spice] = d["graphics"]
    assert spice["default_mode"] == "any" and spice["insecure_channels"] == ["main"]
    # SPICE agent features are on unless the XML says no
    assert spice["clipboard"] is True and spice["filetransfer"] is False
    agents = [c for c in d["chardevs"] if c.get("target_name") == "org.qemu.guest_agent.0"]
    assert len(agents) == 1 and agents[0]["type"] == "unix"
    assert [i["type"] for i in d["interfaces"]] == ["network", "bridge", "direct"]


def test_9p_share_defaults_and_a_backing_file_without_format():
    xml = """<domain type='kvm'><name>f</name><devices>
      <filesystem type='mount'><source dir='/etc'/><target dir='hostetc'/><readonly/></filesystem>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/i/a.qcow2'/>
        <backingStore type='file'><source file='/i/base.img'/></backingStore><target dev='vda'/></disk>
      <graphics type='spice'><clipboard copypaste='no'/></graphics>
    </devices></domain>"""
    d = ld.parse_domain_xml(xml)
    assert d["filesystems"][0]["driver"] == "path" and d["filesystems"][0]["accessmode"] == "passthrough"
    assert d["filesystems"][0]["readonly"] is True
    assert d["disks"][0]["backing"] == [{"source": "/i/base.img", "format": None}]
    assert d["graphics"][0]["clipboard"] is False and d["graphics"][0]["filetransfer"] is True
    assert d["redirdevs"] == []
